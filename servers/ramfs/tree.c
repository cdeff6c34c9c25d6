/*
 * ramfs tree. Memory: pages come from a free list or, while the region
 * lasts, from its never-used end; node pages are cut into nodes once and
 * stay node pages (nodes are recycled through their own free list).
 * Invariant: a file's pages all lie below its length, and the bytes of a
 * page past the length are zero, so growing a file (write past the end,
 * wstat length) never shows old data.
 */
#include "tree.h"

#include <metta/proto.h>
#include <metta/status.h>
#include <string/kstring.h>

#include "cpio/cpio.h"

#define PAGE RAMFS_PAGE
#define PPP  RAMFS_PPP
/* Permission and type bits a node keeps; the type bits never change. */
#define TYPE_BITS (P9_DMDIR | P9_DMSYMLINK | P9_DMNAMEDPIPE | P9_DMSOCKET)
#define MODE_BITS \
	(TYPE_BITS | P9_DMAPPEND | P9_DMEXCL | P9_DMSPECIAL | 0777u)

static uint32_t now(const struct ramfs *fs)
{
	return fs->clock ? fs->clock() : 0;
}

/* The node holding the file a name names: a hard link's target. */
static struct ramfs_node *ino(struct ramfs_node *n)
{
	return n->target ? n->target : n;
}

static int isdir(const struct ramfs_node *n)
{
	return (n->mode & P9_DMDIR) != 0;
}

static void *page_alloc(struct ramfs *fs)
{
	void *p = fs->freepages;
	if (p)
		fs->freepages = *(void **)p;
	else if (fs->nextpage < fs->npages)
		p = fs->base + PAGE * fs->nextpage++;
	else
		return 0;
	fs->pages_used++;
	return p;
}

static void *zpage_alloc(struct ramfs *fs)
{
	void *p = page_alloc(fs);
	if (p)
		memset(p, 0, PAGE);
	return p;
}

static void page_free(struct ramfs *fs, void *p)
{
	*(void **)p = fs->freepages;
	fs->freepages = p;
	fs->pages_used--;
}

size_t ramfs_free_bytes(const struct ramfs *fs)
{
	return (fs->npages - fs->pages_used) * PAGE;
}

/* A zeroed node, or 0 when no node is free and no page is left. */
static struct ramfs_node *node_alloc(struct ramfs *fs)
{
	if (!fs->freenodes) {
		struct ramfs_node *n = page_alloc(fs);
		if (!n)
			return 0;
		for (size_t i = 0; i < PAGE / sizeof(*n); i++) {
			n[i].next = fs->freenodes;
			fs->freenodes = &n[i];
		}
		fs->nfreenodes += PAGE / sizeof(*n);
	}
	struct ramfs_node *n = fs->freenodes;
	fs->freenodes = n->next;
	fs->nfreenodes--;
	memset(n, 0, sizeof(*n));
	return n;
}

/*
 * The slot of page pg of n, or 0 when an index page on the way is missing
 * (and alloc is 0, or no page is left: the index pages allocated hold no
 * data, so nothing visible changed).
 */
static void **page_slot(struct ramfs *fs, struct ramfs_node *n, uint64_t pg,
			int alloc)
{
	if (pg < RAMFS_NDIRECT)
		return &n->direct[pg];
	pg -= RAMFS_NDIRECT;
	if (pg < PPP) {
		if (!n->ind && (!alloc || !(n->ind = zpage_alloc(fs))))
			return 0;
		return &n->ind[pg];
	}
	pg -= PPP;
	if (pg >= (uint64_t)PPP * PPP)
		return 0;
	if (!n->dind && (!alloc || !(n->dind = zpage_alloc(fs))))
		return 0;
	void **mid = n->dind[pg / PPP];
	if (!mid && (!alloc || !(mid = n->dind[pg / PPP] = zpage_alloc(fs))))
		return 0;
	return &mid[pg % PPP];
}

static void free_slot(struct ramfs *fs, void **slot)
{
	if (*slot) {
		page_free(fs, *slot);
		*slot = 0;
	}
}

/* Free the data pages from page first on, and index pages left empty. */
static void free_pages_from(struct ramfs *fs, struct ramfs_node *n,
			    uint64_t first)
{
	for (uint64_t pg = first; pg < RAMFS_NDIRECT; pg++)
		free_slot(fs, &n->direct[pg]);
	uint64_t start = first > RAMFS_NDIRECT ? first - RAMFS_NDIRECT : 0;
	if (n->ind) {
		for (uint64_t i = start; i < PPP; i++)
			free_slot(fs, &n->ind[i]);
		if (start == 0)
			free_slot(fs, (void **)&n->ind);
	}
	start = start > PPP ? start - PPP : 0;
	if (!n->dind)
		return;
	for (uint64_t j = 0; j < PPP; j++) {
		void **mid = n->dind[j];
		uint64_t lo = j * PPP;
		if (!mid || lo + PPP <= start)
			continue;
		for (uint64_t i = start > lo ? start - lo : 0; i < PPP; i++)
			free_slot(fs, &mid[i]);
		if (start <= lo)
			free_slot(fs, &n->dind[j]);
	}
	if (start == 0)
		free_slot(fs, (void **)&n->dind);
}

/* Where page pg's bytes are, given its slot's page: the page itself, or
 * for a file in memory (whose slot holds only the page kept for it) its
 * place in the window. */
static uint8_t *page_data(const struct ramfs_node *n, uint64_t pg, void *page)
{
	return n->window ? n->window + pg * PAGE : page;
}

/* A page for slot pg of n: a zeroed one, or for a file in memory one kept
 * for it, its memory given back (the window's page holds the bytes). */
static void *page_for(struct ramfs *fs, struct ramfs_node *n)
{
	if (!n->window)
		return zpage_alloc(fs);
	void *p = page_alloc(fs);
	if (p)
		fs->mem->discard(fs, 0, (uint64_t)(uintptr_t)p, 1);
	return p;
}

static uint64_t pages_of(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE;
}

/*
 * A file in memory's state page (struct p9_memstate, mapped just after
 * its window's RAMFS_MAXPAGES pages), which clients map read-only
 * (P9_MEMSTATE: an object of its own, so that no client may write it) to
 * read the file
 * without a call. Every change of a file's bytes or length is bracketed
 * by change_begin and change_end (seq odd meanwhile), so such a reader
 * sees the file before or after a change, never half of one (proto.h).
 */
static struct p9_memstate *memstate(const struct ramfs_node *n)
{
	return (struct p9_memstate *)(n->window + RAMFS_MAXFILE);
}

static void change_begin(struct ramfs_node *n)
{
	if (!n->window)
		return;
	struct p9_memstate *s = memstate(n);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* before the bytes change */
}

static void change_end(struct ramfs_node *n)
{
	if (!n->window)
		return;
	struct p9_memstate *s = memstate(n);
	__atomic_store_n(&s->length, n->length, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

/* A file in memory grows to len: a page kept for each of its new pages,
 * so that a client mapping them cannot make ramfs pay beyond its region.
 * Pages kept past the length are invisible, so a failure changes
 * nothing a client sees. */
static int keep_pages(struct ramfs *fs, struct ramfs_node *n, uint64_t len)
{
	for (uint64_t pg = n->length / PAGE; pg < pages_of(len); pg++) {
		void **slot = page_slot(fs, n, pg, 1);
		if (!slot || (!*slot && !(*slot = page_for(fs, n))))
			return -P9_ENOSPC;
	}
	return 0;
}

/* A file in memory shrinks: what lies past len reads as zeros if it grows
 * again; the pages kept for it stay (a client may still map them). */
static void shrink_in_memory(struct ramfs *fs, struct ramfs_node *n,
			     uint64_t len)
{
	if (len % PAGE)
		memset(n->window + len, 0, PAGE - len % PAGE);
	uint64_t from = pages_of(len), to = pages_of(n->length);
	if (to > from)
		fs->mem->discard(fs, n->mem, from, to - from);
}

/* Shrink or grow n to len bytes (cannot fail: growing makes a hole). */
static void resize(struct ramfs *fs, struct ramfs_node *n, uint64_t len)
{
	change_begin(n);
	if (len < n->length && n->window) {
		shrink_in_memory(fs, n, len);
	} else if (len < n->length) {
		free_pages_from(fs, n, (len + PAGE - 1) / PAGE);
		void **slot = page_slot(fs, n, len / PAGE, 0);
		if (len % PAGE && slot && *slot)
			memset((uint8_t *)*slot + len % PAGE, 0,
			       PAGE - len % PAGE);
	}
	n->length = len;
	change_end(n);
}

static void node_free(struct ramfs *fs, struct ramfs_node *n)
{
	struct ramfs_node *t = n->target;
	free_pages_from(fs, n, 0);
	if (n->window) {
		/* Clients' mappings outlive the object's last capability
		 * here: tell them to let go. */
		change_begin(n);
		memstate(n)->gone = 1;
		change_end(n);
		page_free(fs, n->statepage);
		n->statepage = 0;
		fs->mem->destroy(fs, n->mem, n->state, n->window);
		n->window = 0;
		n->mem = 0;
	}
	n->next = fs->freenodes;
	fs->freenodes = n;
	fs->nfreenodes++;
	if (fs->rd_node == n || fs->rd_dir == n)
		fs->rd_dir = 0;
	if (t && --t->refs == 0) /* a hard link held its file */
		node_free(fs, t);
}

static void touch(struct ramfs *fs, struct ramfs_node *n)
{
	n->mtime = now(fs);
	n->version++;
}

static int name_is(const struct ramfs_node *n, const char *s, size_t len)
{
	return n->namelen == len && memcmp(n->name, s, len) == 0;
}

static struct ramfs_node *lookup(struct ramfs_node *dir, const char *s,
				 size_t len)
{
	for (struct ramfs_node *c = dir->first; c; c = c->next)
		if (name_is(c, s, len))
			return c;
	return 0;
}

static void set_str(char *dst, const char *s, size_t len)
{
	memcpy(dst, s, len);
	dst[len] = 0;
}

static void link_child(struct ramfs_node *dir, struct ramfs_node *n)
{
	n->parent = dir;
	n->prev = dir->last;
	n->next = 0;
	if (dir->last)
		dir->last->next = n;
	else
		dir->first = n;
	dir->last = n;
}

static void unlink_child(struct ramfs_node *n)
{
	struct ramfs_node *dir = n->parent;
	if (n->prev)
		n->prev->next = n->next;
	else
		dir->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		dir->last = n->prev;
	n->parent = n->prev = n->next = 0;
}

/*
 * A new node name in dir, linked (one reference for the link), owned by
 * uid with group gid. Checks nothing but memory: 0 when none is left.
 */
static struct ramfs_node *node_new(struct ramfs *fs, struct ramfs_node *dir,
				   struct p9_str name, uint32_t mode,
				   const char *uid, const char *gid)
{
	struct ramfs_node *n = node_alloc(fs);
	if (!n)
		return 0;
	n->refs = 1;
	n->nlink = 1;
	n->mode = mode & MODE_BITS;
	n->atime = n->mtime = now(fs);
	n->path = fs->nextpath++;
	n->namelen = name.len;
	set_str(n->name, name.s, name.len);
	set_str(n->uid, uid, strlen(uid));
	set_str(n->gid, gid, strlen(gid));
	set_str(n->muid, uid, strlen(uid));
	link_child(dir, n);
	touch(fs, dir);
	return n;
}

int ramfs_init(struct ramfs *fs, void *base, size_t size,
	       uint32_t (*clock)(void), const char *owner)
{
	memset(fs, 0, sizeof(*fs));
	uintptr_t b = ((uintptr_t)base + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	size_t skip = b - (uintptr_t)base;
	fs->base = (uint8_t *)b;
	fs->npages = size > skip ? (size - skip) / PAGE : 0;
	fs->clock = clock;
	fs->nextpath = 1;
	size_t olen = strlen(owner);
	struct ramfs_node *r = olen <= RAMFS_UID_MAX ? node_alloc(fs) : 0;
	if (!r)
		return STATUS_ERR_NOMEM;
	r->refs = 1;
	r->mode = P9_DMDIR | 0775;
	r->atime = r->mtime = now(fs);
	r->path = 0;
	r->namelen = 1;
	set_str(r->name, "/", 1);
	set_str(r->uid, owner, olen);
	set_str(r->gid, owner, olen);
	set_str(r->muid, owner, olen);
	fs->root = r;
	return STATUS_OK;
}

/* p9srv operations. */

static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	struct ramfs *fs = ctx;
	(void)uname, (void)aname;
	fs->root->refs++;
	*root = fs->root;
	return 0;
}

static int op_walk1(void *ctx, void *dir, struct p9_str name, void **child)
{
	struct ramfs_node *d = dir, *c;
	if (!isdir(d))
		return -P9_ENOTDIR;
	if (d != ((struct ramfs *)ctx)->root && !d->parent)
		return -P9_ENOENT; /* removed: it has no entries, nor a parent
				    */
	if (p9_str_eq(name, ".."))
		c = d->parent ? d->parent : d;
	else if (!(c = lookup(d, name.s, name.len)))
		return -P9_ENOENT;
	c->refs++;
	*child = c;
	return 0;
}

/* The stat of the file n names, with n's name. */
static void fill_stat(struct ramfs_node *name, struct p9_stat *st)
{
	const struct ramfs_node *n = ino(name);
	memset(st, 0, sizeof(*st));
	st->qid.type = (uint8_t)(n->mode >> 24);
	st->qid.version = n->version;
	st->qid.path = n->path;
	st->mode = n->mode;
	st->atime = n->atime;
	st->mtime = n->mtime;
	st->length = isdir(n) ? 0 : n->length;
	st->dev = isdir(n) ? 0 : n->nlink;
	st->name = (struct p9_str){ name->namelen, name->name };
	st->uid = p9_str(n->uid);
	st->gid = p9_str(n->gid);
	st->muid = p9_str(n->muid);
}

static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	(void)ctx;
	fill_stat(node, st);
	return 0;
}

static void op_ref(void *ctx, void *node)
{
	(void)ctx;
	((struct ramfs_node *)node)->refs++;
}

static void op_unref(void *ctx, void *node)
{
	struct ramfs_node *n = node;
	if (--n->refs == 0)
		node_free(ctx, n);
}

/* A FIFO has no bytes here: clients open the pipe server's pipe of that
 * name instead (docs/servers.md), and learn it from this refusal. */
static int op_open(void *ctx, void *node, uint8_t mode)
{
	struct ramfs_node *n = ino(node);
	if (n->mode & (P9_DMNAMEDPIPE | P9_DMSOCKET))
		return -P9_ENXIO; /* (a socket's: Linux's answer too) */
	if ((mode & P9_OTRUNC) && !isdir(n)) {
		resize(ctx, n, 0);
		touch(ctx, n);
	}
	return 0;
}

static long op_read(void *ctx, void *node, uint64_t off, void *buf,
		    uint32_t count)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *n = ino(node);
	if (isdir(n))
		return -P9_EISDIR;
	if (off >= n->length)
		return 0;
	if (count > n->length - off)
		count = (uint32_t)(n->length - off);
	for (uint32_t done = 0; done < count;) {
		uint64_t pos = off + done;
		uint32_t k = PAGE - pos % PAGE;
		if (k > count - done)
			k = count - done;
		void **slot = page_slot(fs, n, pos / PAGE, 0);
		if (slot && *slot)
			memcpy((uint8_t *)buf + done,
			       page_data(n, pos / PAGE, *slot) + pos % PAGE, k);
		else
			memset((uint8_t *)buf + done, 0, k); /* a hole */
		done += k;
	}
	n->atime = now(fs);
	return count;
}

static long op_write(void *ctx, void *node, uint64_t off, const void *data,
		     uint32_t count)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *n = ino(node);
	if (isdir(n))
		return -P9_EISDIR;
	if (n->mode & P9_DMAPPEND)
		off = n->length;
	if (count == 0)
		return 0;
	if (off >= RAMFS_MAXFILE)
		return -P9_EFBIG;
	if (count > RAMFS_MAXFILE - off)
		count = (uint32_t)(RAMFS_MAXFILE - off);
	uint32_t done = 0;
	change_begin(n);
	while (done < count) {
		uint64_t pos = off + done;
		uint32_t k = PAGE - pos % PAGE;
		if (k > count - done)
			k = count - done;
		void **slot = page_slot(fs, n, pos / PAGE, 1);
		if (!slot || (!*slot && !(*slot = page_for(fs, n))))
			break;
		memcpy(page_data(n, pos / PAGE, *slot) + pos % PAGE,
		       (const uint8_t *)data + done, k);
		done += k;
	}
	if (off + done > n->length)
		n->length = off + done;
	change_end(n);
	if (done == 0)
		return -P9_ENOSPC;
	touch(fs, n);
	return done;
}

/*
 * Entry index of dir. Reading a directory asks for 0, 1, 2, ... in turn:
 * a cursor remembers the last entry so that is constant time per entry;
 * any change to the directory bumps its version and drops the cursor.
 */
static int op_readdir(void *ctx, void *dir, uint32_t index, struct p9_stat *st)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *d = dir, *c = d->first;
	uint32_t i = 0;
	if (fs->rd_dir == d && fs->rd_version == d->version &&
	    fs->rd_index <= index && fs->rd_node) {
		c = fs->rd_node;
		i = fs->rd_index;
	}
	for (; c && i < index; i++)
		c = c->next;
	if (!c)
		return 0;
	fs->rd_dir = d;
	fs->rd_version = d->version;
	fs->rd_index = i;
	fs->rd_node = c;
	fill_stat(c, st);
	return 1;
}

/* create(5): the directory's permissions limit the new file's (a named
 * pipe's as a file's); a symbolic link's are always 0777, as Linux's. */
static uint32_t create_mode(uint32_t perm, uint32_t dirmode)
{
	if (perm & P9_DMSYMLINK)
		return P9_DMSYMLINK | 0777;
	if (perm & P9_DMDIR)
		return perm & (~0777u | (dirmode & 0777));
	return perm & (~0666u | (dirmode & 0666));
}

static int op_create(void *ctx, void *dir, struct p9_str name, uint32_t perm,
		     uint8_t mode, struct p9_str uname, void **node)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *d = dir, *n;
	char uid[RAMFS_UID_MAX + 1];
	(void)mode;
	uint32_t type = perm & TYPE_BITS;
	if (type & (type - 1))
		return -P9_EINVAL; /* one type at most */
	if (!isdir(d))
		return -P9_ENOTDIR;
	if (d != fs->root && !d->parent)
		return -P9_ENOENT;
	if (name.len > RAMFS_NAME_MAX || uname.len > RAMFS_UID_MAX)
		return -P9_ENAMETOOLONG;
	if (lookup(d, name.s, name.len))
		return -P9_EEXIST;
	set_str(uid, uname.s, uname.len);
	/* create(5): the owner is the user, the group the directory's. */
	n = node_new(fs, d, name, create_mode(perm, d->mode), uid, d->gid);
	if (!n)
		return -P9_ENOSPC;
	n->refs++;
	*node = n;
	return 0;
}

static int op_remove(void *ctx, void *node)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *n = node, *dir = n->parent;
	if (n == fs->root)
		return -P9_EBUSY;
	if (!dir)
		return -P9_ENOENT;
	if (n->first)
		return -P9_ENOTEMPTY;
	unlink_child(n);
	ino(n)->nlink--;
	touch(fs, dir);
	if (--n->refs == 0)
		node_free(fs, n);
	return 0;
}

/* The checks of a wstat of name n (a hard link's file is f), before
 * anything changes. */
static int wstat_check(struct ramfs *fs, struct ramfs_node *n,
		       struct ramfs_node *f, const struct p9_stat *st)
{
	if (st->name.len && !name_is(n, st->name.s, st->name.len)) {
		if (n == fs->root)
			return -P9_EPERM;
		if (!n->parent)
			return -P9_ENOENT;
		if (st->name.len > RAMFS_NAME_MAX)
			return -P9_ENAMETOOLONG;
		if (lookup(n->parent, st->name.s, st->name.len))
			return -P9_EEXIST;
	}
	if (st->gid.len > RAMFS_UID_MAX)
		return -P9_ENAMETOOLONG;
	if (st->length != ~0ull && isdir(f))
		return -P9_EISDIR;
	if (st->length != ~0ull && st->length > RAMFS_MAXFILE)
		return -P9_EFBIG;
	if (st->length != ~0ull && f->window && st->length > f->length)
		return keep_pages(fs, f, st->length);
	return 0;
}

/* A wstat: the name is the name's (n), the rest the file's (f). */
static int op_wstat(void *ctx, void *node, const struct p9_stat *st)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *n = node, *f = ino(n);
	int rc = wstat_check(fs, n, f, st);
	if (rc)
		return rc;
	uint32_t version = f->version;
	if (st->length != ~0ull && st->length != f->length) {
		resize(fs, f, st->length);
		touch(fs, f);
	}
	if (st->mode != ~0u)
		f->mode = (f->mode & TYPE_BITS) |
			  (st->mode & MODE_BITS & ~TYPE_BITS);
	if (st->gid.len)
		set_str(f->gid, st->gid.s, st->gid.len);
	if (st->name.len && !name_is(n, st->name.s, st->name.len)) {
		n->namelen = st->name.len;
		set_str(n->name, st->name.s, st->name.len);
		touch(fs, n->parent);
	}
	if (st->mtime != ~0u)
		f->mtime = st->mtime;
	if (st->atime != ~0u)
		f->atime = st->atime;
	if (f->version == version)
		f->version++;
	return 0;
}

/* Tlink: a new name in dir for node's file (docs/servers.md). */
static int op_link(void *ctx, void *dir, struct p9_str name, void *node)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *d = dir, *f = ino(node), *n;
	if (!isdir(d))
		return -P9_ENOTDIR;
	if ((d != fs->root && !d->parent) || f->nlink == 0)
		return -P9_ENOENT; /* a removed directory, or file (Linux) */
	if (isdir(f))
		return -P9_EPERM;
	if (name.len > RAMFS_NAME_MAX)
		return -P9_ENAMETOOLONG;
	if (lookup(d, name.s, name.len))
		return -P9_EEXIST;
	if (!(n = node_alloc(fs)))
		return -P9_ENOSPC;
	n->refs = 1;
	n->target = f;
	f->refs++;
	f->nlink++;
	n->namelen = name.len;
	set_str(n->name, name.s, name.len);
	link_child(d, n);
	touch(fs, d);
	return 0;
}

/* Whether d is n or lies below it (a directory cannot move there). */
static int within(const struct ramfs_node *d, const struct ramfs_node *n)
{
	for (; d; d = d->parent)
		if (d == n)
			return 1;
	return 0;
}

/* Whether n (a name moving) may replace t (a name there, or 0). */
static int may_replace(const struct ramfs_node *n, const struct ramfs_node *t)
{
	if (!t)
		return 0;
	if (isdir(n))
		return !isdir(t) ? -P9_ENOTDIR : t->first ? -P9_ENOTEMPTY : 0;
	return isdir(t) ? -P9_EISDIR : 0;
}

/* The checks of a rename, before anything changes: 0, 1 when there is
 * nothing to do, or an errno. */
static int rename_check(struct ramfs *fs, struct ramfs_node *od,
			struct ramfs_node *nd, struct ramfs_node *n,
			struct ramfs_node *t, struct p9_str newname)
{
	if (!isdir(od) || !isdir(nd))
		return -P9_ENOTDIR;
	if ((od != fs->root && !od->parent) || (nd != fs->root && !nd->parent))
		return -P9_ENOENT; /* a removed directory */
	if (!n)
		return -P9_ENOENT;
	if (newname.len > RAMFS_NAME_MAX)
		return -P9_ENAMETOOLONG;
	if (isdir(n) && within(nd, n))
		return -P9_EINVAL;
	if (t && ino(t) == ino(n))
		return 1; /* itself, or another name of it: Linux does nothing
			   */
	return may_replace(n, t);
}

/* Trenameat: n moves, keeping its node (so its qid and every fid). */
static int op_rename(void *ctx, void *olddir, struct p9_str oldname,
		     void *newdir, struct p9_str newname)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *od = olddir, *nd = newdir;
	struct ramfs_node *n =
	    isdir(od) ? lookup(od, oldname.s, oldname.len) : 0;
	struct ramfs_node *t =
	    isdir(nd) ? lookup(nd, newname.s, newname.len) : 0;
	int rc = rename_check(fs, od, nd, n, t, newname);
	if (rc)
		return rc < 0 ? rc : 0;
	if (t)
		op_remove(fs, t); /* checked above: it cannot fail */
	unlink_child(n);
	n->namelen = newname.len;
	set_str(n->name, newname.s, newname.len);
	link_child(nd, n);
	touch(fs, od);
	if (nd != od)
		touch(fs, nd);
	return 0;
}

/* Tstatfs: the region's pages are the blocks, nodes the files. */
#define NODES_PER_PAGE (PAGE / sizeof(struct ramfs_node))

static int op_statfs(void *ctx, void *node, struct p9_statfs *sf)
{
	struct ramfs *fs = ctx;
	(void)node;
	uint64_t freepages = fs->npages - fs->pages_used;
	*sf = (struct p9_statfs){ .type = P9_STATFS_MAGIC,
				  .bsize = PAGE,
				  .blocks = fs->npages,
				  .bfree = freepages,
				  .bavail = freepages,
				  .files = fs->npages * NODES_PER_PAGE,
				  .ffree = fs->nfreenodes +
					   freepages * NODES_PER_PAGE,
				  .namelen = RAMFS_NAME_MAX };
	return 0;
}

/* Index pages a file of `pages` pages may need beyond its own. */
static uint64_t index_pages(uint64_t pages)
{
	return 2 + (pages > RAMFS_NDIRECT + PPP ? (pages - RAMFS_NDIRECT - PPP) / PPP + 1 : 0);
}

/* Moves n's data into a memory object of its own (see tree.h): every
 * page up to its length gets a kept page, so all is checked first and
 * nothing changes on ENOSPC. */
static int to_memory(struct ramfs *fs, struct ramfs_node *n)
{
	uint64_t npg = pages_of(n->length), holes = 0;
	for (uint64_t pg = 0; pg < npg; pg++) {
		void **slot = page_slot(fs, n, pg, 0);
		holes += !slot || !*slot;
	}
	/* The index may need pages too, and the state page one. */
	if (fs->npages - fs->pages_used <
	    1 + (holes ? holes + index_pages(npg) : 0))
		return -P9_ENOSPC;
	uint8_t *window;
	uint32_t mem, state;
	if (fs->mem->create(fs, &mem, &state, &window))
		return -P9_ENOMEM;
	n->statepage = page_alloc(fs); /* kept for the state page */
	fs->mem->discard(fs, 0, (uint64_t)(uintptr_t)n->statepage, 1);
	for (uint64_t pg = 0; pg < npg; pg++) {
		void **slot = page_slot(fs, n, pg, 1);
		if (*slot)
			memcpy(window + pg * PAGE, *slot, PAGE);
		else
			*slot = page_alloc(fs);
		fs->mem->discard(fs, 0, (uint64_t)(uintptr_t)*slot, 1);
	}
	n->window = window;
	n->mem = mem;
	n->state = state;
	memstate(n)->length = n->length;
	memstate(n)->path = n->path;
	return 0;
}

static int op_memory(void *ctx, void *node, uint32_t *slot, uint64_t *pages,
		     uint32_t *state)
{
	struct ramfs *fs = ctx;
	struct ramfs_node *n = ino(node);
	if (!fs->mem || isdir(n) || (n->mode & (P9_DMSYMLINK | P9_DMNAMEDPIPE)))
		return -P9_ENODEV;
	int rc = n->window ? 0 : to_memory(fs, n);
	if (rc)
		return rc;
	*slot = n->mem;
	*pages = RAMFS_MAXPAGES;
	*state = n->state;
	return 0;
}

const struct p9srv_ops ramfs_ops = {
	.attach = op_attach,
	.walk1 = op_walk1,
	.stat = op_stat,
	.ref = op_ref,
	.unref = op_unref,
	.open = op_open,
	.read = op_read,
	.readdir = op_readdir,
	.write = op_write,
	.create = op_create,
	.remove = op_remove,
	.wstat = op_wstat,
	.link = op_link,
	.rename = op_rename,
	.statfs = op_statfs,
	.memory = op_memory,
};

/* Loading an archive. */

/* The next path component of s[*pos..len): its bounds, skipping "/". */
static int next_comp(const char *s, size_t len, size_t *pos, struct p9_str *c)
{
	while (*pos < len && s[*pos] == '/')
		(*pos)++;
	size_t start = *pos;
	while (*pos < len && s[*pos] != '/')
		(*pos)++;
	c->s = s + start;
	c->len = (uint16_t)(*pos - start);
	return *pos > start;
}

/* The directory holding the last component of a path; *last is that. */
static int load_parent(struct ramfs *fs, const struct cpio_entry *e,
		       struct ramfs_node **dirp, struct p9_str *last)
{
	struct ramfs_node *dir = fs->root;
	struct p9_str c, next;
	size_t pos = 0;
	int have = next_comp(e->name, e->namelen, &pos, &c);
	last->len = 0;
	while (have) {
		if (c.len > RAMFS_NAME_MAX || p9_str_eq(c, ".."))
			return STATUS_ERR_CORRUPT;
		have = next_comp(e->name, e->namelen, &pos, &next);
		if (p9_str_eq(c, ".")) {
			c = next;
			continue;
		}
		if (!have) {
			*last = c;
			break;
		}
		struct ramfs_node *d = lookup(dir, c.s, c.len);
		if (!d)
			d = node_new(fs, dir, c, P9_DMDIR | 0755, dir->uid,
				     dir->gid);
		if (!d)
			return STATUS_ERR_NOMEM;
		if (!isdir(d))
			return STATUS_ERR_CORRUPT;
		dir = d;
		c = next;
	}
	*dirp = dir;
	return 0;
}

/* The node mode of an archive entry of a type we load. */
static uint32_t entry_mode(const struct cpio_entry *e)
{
	switch (e->mode & CPIO_S_IFMT) {
	case CPIO_S_IFDIR:
		return P9_DMDIR | (e->mode & 0777);
	case CPIO_S_IFLNK: /* its data is the target */
		return P9_DMSYMLINK | 0777;
	}
	return e->mode & 0777;
}

/* A file's or a link's contents: the entry's data. */
static int load_data(struct ramfs *fs, struct ramfs_node *n,
		     const struct cpio_entry *e)
{
	resize(fs, n, 0);
	for (size_t off = 0; off < e->size;) {
		size_t k =
		    e->size - off > 0x40000000 ? 0x40000000 : e->size - off;
		long w = op_write(fs, n, off, (const uint8_t *)e->data + off,
				  (uint32_t)k);
		if (w <= 0)
			return w == -P9_EFBIG ? STATUS_ERR_RANGE
					      : STATUS_ERR_NOMEM;
		off += (size_t)w;
	}
	return 0;
}

static int load_entry(struct ramfs *fs, const struct cpio_entry *e)
{
	struct ramfs_node *dir, *n;
	struct p9_str name;
	uint32_t mode = entry_mode(e);
	int wantdir = (mode & P9_DMDIR) != 0;
	int rc = load_parent(fs, e, &dir, &name);
	if (rc)
		return rc;
	if (name.len == 0) { /* the archive's "." is our root */
		if (!wantdir)
			return STATUS_ERR_CORRUPT;
		n = dir;
	} else if ((n = lookup(dir, name.s, name.len))) {
		n = ino(n);
		if (isdir(n) != wantdir)
			return STATUS_ERR_CORRUPT;
	} else if (!(n = node_new(fs, dir, name, mode, dir->uid, dir->gid))) {
		return STATUS_ERR_NOMEM;
	}
	n->mode = mode;
	if (!wantdir && (rc = load_data(fs, n, e)))
		return rc;
	if (mode & P9_DMSYMLINK) {
		fs->loaded_links++;
	} else if (!wantdir) {
		fs->loaded_files++;
		fs->loaded_bytes += e->size;
	}
	n->mtime = e->mtime;
	return 0;
}

int ramfs_load_cpio(struct ramfs *fs, const void *archive, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int rc;
	cpio_iter_init(&it, archive, len);
	while ((rc = cpio_next(&it, &e)) > 0) {
		uint32_t type = e.mode & CPIO_S_IFMT;
		if (type != CPIO_S_IFDIR && type != CPIO_S_IFREG &&
		    type != CPIO_S_IFLNK)
			continue; /* devices, fifos, sockets: not kept */
		rc = load_entry(fs, &e);
		if (rc)
			return rc;
	}
	return rc;
}
