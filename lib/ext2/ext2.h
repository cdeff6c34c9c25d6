/*
 * ext2: the second extended file system, revision 0 and 1, with 1 to 4
 * KiB blocks, over a device that reads and writes bytes at offsets. Pure
 * (no system calls): the host tests run it on image files made by
 * mke2fs, servers/ext2 on a 9P file (docs/servers.md).
 *
 * Files are named by inode number. Every operation returns 0 (or a
 * count) or a negative Linux errno (P9_E* of 9p/errstr.h); a damaged
 * disk gives -P9_EIO and a sentence in fs->msg (which block, which
 * inode, what is wrong) and never a crash. Not thread-safe: the caller
 * serialises every call.
 *
 * The supported features: filetype (incompatible); sparse_super and
 * large_file (read-only compatible); any compatible feature, including
 * has_journal: an ext3 image whose journal needs no recovery is mounted
 * as ext2 (the journal is left alone, unused). Other incompatible
 * features (needs_recovery, extents, 64bit, meta_bg, flex_bg, inline
 * data, ...) refuse the mount naming the feature; other read-only
 * compatible ones (metadata_csum, huge_file, dir_nlink, ...) mount it
 * read-only, naming them in fs->msg. Indexed (htree) directories are
 * read as the linear directories they also are; changing one drops its
 * index flag, as Linux's ext2 does not keep the index either.
 *
 * The block cache: every metadata and data block goes through a cache
 * of the memory given at mount, written back (dirty blocks stay in
 * memory) until ext2_sync, ext2_fsync or a victim must be found, which
 * writes every dirty block back in block order, runs of consecutive
 * blocks in one device write. ext2_fsync of a file is a sync of the
 * whole file system and a device flush: when it returns the file's data
 * and metadata (and everything else) are on the disk.
 *
 * A file unlinked while open (ext2_open references) keeps its inode and
 * blocks until its last ext2_close. The first change after a mount or
 * ext2_syncfs marks the superblock not clean on disk; ext2_syncfs marks
 * it clean again.
 */
#ifndef LIB_EXT2_EXT2_H
#define LIB_EXT2_EXT2_H

#include <stddef.h>
#include <stdint.h>

#define EXT2_ROOT_INO	2
#define EXT2_NAME_MAX	255
#define EXT2_LINK_MAX	32000
#define EXT2_MSG_MAX	160
#define EXT2_OPEN_SLOTS 8192 /* inodes held open at once (power of 2) */

/* Linux's file type bits of a mode (the on-disk i_mode is Linux's). */
#define EXT2_S_IFMT   0170000
#define EXT2_S_IFSOCK 0140000
#define EXT2_S_IFLNK  0120000
#define EXT2_S_IFREG  0100000
#define EXT2_S_IFDIR  0040000
#define EXT2_S_IFIFO  0010000

/* The device: bytes at byte offsets; 0 or a negative errno. */
struct ext2_dev {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
	int (*flush)(void *ctx); /* what was written is stable */
	void *ctx;
};

/* A file's attributes (ext2_getattr). */
struct ext2_attr {
	uint32_t ino, mode, uid, gid, nlink;
	uint64_t size, blocks; /* blocks: 512-byte units */
	uint32_t atime, mtime, ctime;
	uint32_t generation;
};

/* What ext2_setattr changes: fields at EXT2_KEEP stay. */
#define EXT2_KEEP 0xFFFFFFFFu
struct ext2_setattr {
	uint32_t mode; /* permission bits (07777) only */
	uint32_t uid, gid, atime, mtime;
};

struct ext2_dirent {
	uint32_t ino;
	uint8_t type; /* EXT2_FT_* below */
	uint8_t namelen;
	char name[EXT2_NAME_MAX + 1];
};
enum {
	EXT2_FT_UNKNOWN,
	EXT2_FT_REG,
	EXT2_FT_DIR,
	EXT2_FT_CHR,
	EXT2_FT_BLK,
	EXT2_FT_FIFO,
	EXT2_FT_SOCK,
	EXT2_FT_SYMLINK
};

struct ext2_statfs {
	uint32_t bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
};

struct ext2_super;
struct ext2_gd;
struct ext2_buf;

struct ext2 {
	struct ext2_dev dev;
	uint32_t (*clock)(void); /* seconds since 1970; may be 0 */
	int ro;
	char msg[EXT2_MSG_MAX]; /* why the last failure (or a ro mount) */
	/* The geometry, from the superblock. */
	uint32_t bsize, log_bsize, ngroups, ipg, bpg, isize, first_ino;
	uint32_t first_data, nblocks, ninodes, gdt_blocks;
	struct ext2_super *sb; /* the superblock as in memory */
	struct ext2_gd *gd;    /* every group descriptor */
	int clean_on_disk;     /* s_state says valid: mark it on a change */
	uint32_t next_goal;    /* where the next block search starts */
	/* The cache. */
	struct ext2_buf *bufs, **hash, *lru_first, *lru_last;
	struct ext2_buf **sortv;
	uint8_t *bounce, *rabuf; /* coalesced writes, read-ahead */
	uint32_t nbuf, hashmask, ndirty;
	/* Open inodes: {ino, references}, open addressing. */
	uint32_t open_ino[EXT2_OPEN_SLOTS], open_refs[EXT2_OPEN_SLOTS];
	uint32_t open_used;
	uint64_t reads, writes; /* device calls (statistics) */
};

/* Memory ext2_mount needs for the cache at the least. */
#define EXT2_MIN_MEM (256 * 1024)

/*
 * Mount the file system on dev using mem (memsize bytes, EXT2_MIN_MEM at
 * least; more is more cache). ro: read-only. 0, or -P9_EINVAL with the
 * reason in fs->msg (a bad superblock, an unsupported feature, a group
 * descriptor out of range), -P9_EIO when the device failed. A read-only
 * compatible feature we do not support mounts read-only: fs->ro is set
 * and fs->msg says why.
 */
int ext2_mount(struct ext2 *fs, const struct ext2_dev *dev, void *mem,
	       size_t memsize, uint32_t (*clock)(void), int ro);
/* Write everything back, mark the fs clean, flush the device. */
int ext2_syncfs(struct ext2 *fs);
/* Write every dirty block back (no device flush). */
int ext2_writeback(struct ext2 *fs);
/* ext2_writeback and a device flush. */
int ext2_sync(struct ext2 *fs);
/* ino's data and metadata on the disk (see above: a sync). */
int ext2_fsync(struct ext2 *fs, uint32_t ino);

int ext2_getattr(struct ext2 *fs, uint32_t ino, struct ext2_attr *a);
int ext2_setattr(struct ext2 *fs, uint32_t ino, const struct ext2_setattr *s);
/* The inode of name in directory dir: 0 and *ino, or -P9_ENOENT. */
int ext2_lookup(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		uint32_t *ino);
/* Up to n bytes at off: the count (0 at the end); holes read as 0. */
long ext2_read(struct ext2 *fs, uint32_t ino, uint64_t off, void *buf,
	       size_t n);
/* n bytes at off: the count written (short when the disk filled). */
long ext2_write(struct ext2 *fs, uint32_t ino, uint64_t off, const void *buf,
		size_t n);
/* Grow (a hole) or shrink (freeing blocks) a regular file to size. */
int ext2_truncate(struct ext2 *fs, uint32_t ino, uint64_t size);
/*
 * A new file, directory, fifo or socket (mode: type and permissions)
 * named name in dir, owned by uid and gid: 0 and *ino, -P9_EEXIST.
 */
int ext2_create(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		uint32_t mode, uint32_t uid, uint32_t gid, uint32_t *ino);
/* A symbolic link to target (fast when it fits in the inode). */
int ext2_symlink(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		 const char *target, size_t tlen, uint32_t uid, uint32_t gid,
		 uint32_t *ino);
/* Set the target of an empty symbolic link (made by ext2_create with
 * EXT2_S_IFLNK): 9P makes one by a create and a write. */
int ext2_set_symlink(struct ext2 *fs, uint32_t ino, const char *target,
		     size_t tlen);
/* The target of a symbolic link into buf: its length. */
long ext2_readlink(struct ext2 *fs, uint32_t ino, char *buf, size_t cap);
/* A hard link: name in dir for ino (not a directory). */
int ext2_link(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
	      uint32_t ino);
/* Remove name from dir (an empty directory too): the inode goes with its
 * last link and its last ext2_close. */
int ext2_unlink(struct ext2 *fs, uint32_t dir, const char *name, size_t len);
/* rename(2): oname of odir becomes nname of ndir, replacing it. */
int ext2_rename(struct ext2 *fs, uint32_t odir, const char *oname, size_t olen,
		uint32_t ndir, const char *nname, size_t nlen);
/*
 * The entry of dir at byte position *pos or after (entries "." and ".."
 * included): 1 and *pos moved past it, 0 at the end.
 */
int ext2_readdir(struct ext2 *fs, uint32_t dir, uint64_t *pos,
		 struct ext2_dirent *e);
int ext2_statfs(struct ext2 *fs, struct ext2_statfs *st);
/* References that keep an unlinked inode: 0, or -P9_ENFILE (table
 * full), -P9_EIO (a bad inode number). */
int ext2_open(struct ext2 *fs, uint32_t ino);
void ext2_close(struct ext2 *fs, uint32_t ino);

#endif
