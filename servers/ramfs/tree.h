/*
 * ramfs's file tree: files, directories and symbolic links in memory,
 * served through p9srv (ramfs_ops; the fs context is the struct ramfs).
 * A symbolic link is a file with P9_DMSYMLINK in its mode (its qid type
 * P9_QTSYMLINK) whose contents are the target (docs/servers.md): made by
 * a create with that bit and a write; walks never go through one (it is
 * not a directory), clients follow links themselves. A named pipe is a
 * file with P9_DMNAMEDPIPE, made by a create with that bit: ramfs keeps
 * only its name and mode (clients open it as the pipe server's).
 *
 * All memory comes from one region given at init, cut into 4 KiB pages:
 * file data pages, the index pages that find them (8 direct pointers, one
 * indirect and one double-indirect page per file, so any byte is found in
 * constant time), and pages cut into nodes. An operation that needs more
 * memory than is left fails with ENOSPC and changes nothing visible; a
 * write stores what fits (a short count) and fails only when nothing fits.
 *
 * Nodes are reference counted: being linked in the tree holds one
 * reference and each fid another, so a removed file stays readable and
 * writable through open fids and is freed with its last reference.
 *
 * A hard link (Tlink) is a node of its own in its directory, a name only:
 * its target is the file's first node, which holds the data, mode, times
 * and qid, and which the link holds a reference of. So every name of a
 * file shows the same file, removing any name (the first too) leaves the
 * others whole, and the file goes with its last name and fid. nlink
 * counts the names; a stat gives it in its dev field (docs/servers.md).
 *
 * A rename (Trenameat) moves a name node to its new directory: the file
 * keeps its node, so its qid and every fid, and a replaced name goes as
 * a remove does. It allocates nothing, so it cannot fail halfway.
 * Tstatfs counts the region's pages as blocks and nodes as files.
 *
 * A file in memory (P9_MEMORY, for clients' shared mappings): the first
 * time a client asks for a file's memory, ramfs moves its data into a
 * memory object of its own (RAMFS_MAXPAGES pages, paid for as touched),
 * mapped in ramfs's window for it, and hands out that object; from then
 * on reads and writes of the file go to the window too, so clients'
 * mappings and 9P see the same bytes. The file keeps a region page for
 * each of its pages in its index, whose memory is given back (discarded):
 * so the region still bounds what ramfs pays for, a write that needs a
 * new page still fails with ENOSPC when the region is full, and a client
 * cannot make ramfs pay for more than its files' largest sizes. (A
 * client still mapping a file after its last name and fid went keeps
 * the pages it touched; ramfs no longer counts them.) Without `mem`
 * (host tests) no file is memory.
 *
 * A file in memory also has a state page (P9_MEMSTATE, struct
 * p9_memstate in metta/proto.h), an object of its own that clients map
 * read-only: its length and a change count that is odd while ramfs
 * changes the file's bytes or length, so that clients read the file from
 * its pages without a call (tree.c's change_begin/change_end); `gone`
 * once the file is freed. A region page is kept for it too.
 */
#ifndef SERVERS_RAMFS_TREE_H
#define SERVERS_RAMFS_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "9p/srv.h"

#define RAMFS_PAGE     4096
#define RAMFS_NAME_MAX 255
#define RAMFS_UID_MAX  P9SRV_UNAME_MAX
#define RAMFS_NDIRECT  8
#define RAMFS_PPP      (RAMFS_PAGE / sizeof(void *)) /* pointers per page */
#define RAMFS_MAXPAGES \
	(RAMFS_NDIRECT + RAMFS_PPP + (uint64_t)RAMFS_PPP * RAMFS_PPP)
#define RAMFS_MAXFILE (RAMFS_MAXPAGES * RAMFS_PAGE)

struct ramfs_node {
	struct ramfs_node *target;	 /* a hard link's file, else 0 */
	struct ramfs_node *parent;	 /* 0 once unlinked */
	struct ramfs_node *first, *last; /* children, in creation order */
	struct ramfs_node *prev, *next;	 /* siblings */
	uint32_t refs;
	uint32_t nlink; /* names in the tree (a file's first node) */
	uint32_t mode;	/* P9_DMDIR and permission bits */
	uint32_t atime, mtime, version;
	uint64_t path, length;
	void *direct[RAMFS_NDIRECT];
	void **ind;  /* RAMFS_PPP data pages */
	uint8_t *window; /* a file in memory: where its bytes are, else 0 */
	uint32_t mem;	 /* and its memory object's slot */
	uint32_t state;	 /* and its state page's (struct p9_memstate) */
	void *statepage; /* the region page kept for that page */
	void **dind; /* RAMFS_PPP pages of RAMFS_PPP data pages */
	uint16_t namelen;
	char name[RAMFS_NAME_MAX + 1];
	char uid[RAMFS_UID_MAX + 1], gid[RAMFS_UID_MAX + 1];
	char muid[RAMFS_UID_MAX + 1];
};

struct ramfs;

/* What files in memory need from the program around the tree. */
struct ramfs_mem {
	/* A new object of RAMFS_MAXPAGES pages and a one-page object for
	 * its state (struct p9_memstate) mapped read-write just after it:
	 * their slots and where: 0 or -P9_ENOMEM. */
	int (*create)(struct ramfs *fs, uint32_t *mem, uint32_t *state,
		      uint8_t **window);
	void (*destroy)(struct ramfs *fs, uint32_t mem, uint32_t state,
			uint8_t *window);
	/* Gives pages [first, first + n) of object mem back (they read as
	 * zeros after); mem 0: region pages, first being a page's address. */
	void (*discard)(struct ramfs *fs, uint32_t mem, uint64_t first,
			uint64_t n);
};

struct ramfs {
	uint8_t *base;
	size_t npages, nextpage; /* pages of the region; first never used */
	void *freepages; /* list linked through each page's first word */
	struct ramfs_node *freenodes; /* linked through next */
	size_t nfreenodes;
	size_t pages_used;
	struct ramfs_node *root;
	uint32_t (*clock)(void); /* seconds, for timestamps; may be 0 */
	const struct ramfs_mem *mem; /* files in memory; may be 0 */
	uint64_t nextpath;
	/* Directory read cursor: entry index of dir (at dirversion). */
	struct ramfs_node *rd_dir, *rd_node;
	uint32_t rd_index, rd_version;
	/* What ramfs_load_cpio loaded: regular files (and their bytes),
	 * symbolic links. */
	uint32_t loaded_files, loaded_links;
	uint64_t loaded_bytes;
};

/*
 * A tree with an empty root directory (mode 0775, uid and gid owner) over
 * the region base[size] (its whole 4 KiB pages are used). Returns 0, or
 * STATUS_ERR_NOMEM when the region cannot hold the root.
 */
int ramfs_init(struct ramfs *fs, void *base, size_t size,
	       uint32_t (*clock)(void), const char *owner);

/* The p9srv operations over a struct ramfs. */
extern const struct p9srv_ops ramfs_ops;

/* Bytes of the region not in use (free pages, not counting free nodes). */
size_t ramfs_free_bytes(const struct ramfs *fs);

/*
 * Add the directories, regular files and symbolic links (mode 0120000,
 * the data is the target) of a newc archive (other entry types are
 * skipped), owned like the root, with the archive's modes and mtimes; a
 * file already there is replaced. Returns 0, STATUS_ERR_CORRUPT for a
 * corrupt archive or a path through a file or link or with "..",
 * STATUS_ERR_NOMEM when the region is full; what was loaded before an
 * error stays. Counts files and bytes in loaded_files and loaded_bytes,
 * links in loaded_links.
 */
int ramfs_load_cpio(struct ramfs *fs, const void *archive, size_t len);

#endif
