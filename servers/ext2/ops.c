/*
 * The p9srv operations over lib/ext2. Owners: Metta has one user, root;
 * uid and gid 0 are "root" in a stat, others their decimal numbers, and
 * a create gives the new file the attaching user's uid ("root": 0) and
 * the directory's gid. The mode on disk is Linux's; a stat gives 9P's
 * bits for the type (directory, symbolic link, fifo, socket) and
 * set-id/sticky, and a file's link count in dev (docs/servers.md).
 */
#include "ops.h"

#include <fmt/fmt.h>
#include <string/kstring.h>

#define NNODES		  4352 /* every fid of every connection, and some */
#define LINK_MAX_LEN	  4096
#define EXT2_STATFS_MAGIC 0xEF53 /* Linux's EXT2_SUPER_MAGIC */

struct node {
	uint32_t ino, dir, refs;
	uint16_t namelen;
	char name[EXT2_NAME_MAX + 1];
	struct node *nextfree;
};

static struct node nodes[NNODES], *freelist;
static uint32_t nused;
static char uidbuf[12], gidbuf[12];
static struct ext2_dirent dent;
/* Directory read cursor: entry index of dir at byte position pos. */
static uint32_t rd_dir, rd_index;
static uint64_t rd_pos;
static int refusal; /* ext2srv_refuse's */
const struct ext2srv_pages *ext2srv_pages;

void ext2srv_refuse(int err)
{
	refusal = err;
}

static struct node *node_new(struct ext2 *fs, uint32_t ino, uint32_t dir,
			     const char *name, size_t len)
{
	if (!freelist && nused < NNODES)
		freelist = &nodes[nused++], freelist->nextfree = 0;
	struct node *n = freelist;
	if (!n || ext2_open(fs, ino))
		return 0;
	freelist = n->nextfree;
	n->ino = ino;
	n->dir = dir;
	n->refs = 1;
	n->namelen = (uint16_t)len;
	memcpy(n->name, name, len);
	n->name[len] = 0;
	return n;
}

static void op_ref(void *ctx, void *node)
{
	(void)ctx;
	((struct node *)node)->refs++;
}

static void op_unref(void *ctx, void *node)
{
	struct node *n = node;
	if (--n->refs)
		return;
	ext2_close(ctx, n->ino);
	if (ext2srv_pages)
		ext2srv_pages->released(ctx, n->ino);
	n->nextfree = freelist;
	freelist = n;
}

static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	(void)uname, (void)aname;
	if (refusal)
		return refusal;
	struct node *n = node_new(ctx, EXT2_ROOT_INO, EXT2_ROOT_INO, "/", 1);
	*root = n;
	return n ? 0 : -P9_ENFILE;
}

static int op_walk1(void *ctx, void *dir, struct p9_str name, void **child)
{
	struct node *d = dir, *n;
	uint32_t ino;
	int rc = ext2_lookup(ctx, d->ino, name.s, name.len, &ino);
	if (rc)
		return rc;
	n = node_new(ctx, ino, d->ino, name.s, name.len);
	*child = n;
	return n ? 0 : -P9_ENFILE;
}

static uint32_t type_bits(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFDIR:
		return P9_DMDIR;
	case EXT2_S_IFLNK:
		return P9_DMSYMLINK;
	case EXT2_S_IFIFO:
		return P9_DMNAMEDPIPE;
	case EXT2_S_IFSOCK:
		return P9_DMSOCKET;
	}
	return 0;
}

static uint32_t mode_to_9p(uint32_t mode)
{
	return type_bits(mode) | (mode & 0777) |
	       (mode & 04000 ? P9_DMSETUID : 0) |
	       (mode & 02000 ? P9_DMSETGID : 0) |
	       (mode & 01000 ? P9_DMSETVTX : 0);
}

static uint32_t mode_from_9p(uint32_t p)
{
	return (p & 0777) | (p & P9_DMSETUID ? 04000 : 0) |
	       (p & P9_DMSETGID ? 02000 : 0) | (p & P9_DMSETVTX ? 01000 : 0);
}

static struct p9_str owner(char *buf, uint32_t id)
{
	if (id == 0)
		return p9_str("root");
	fmt_snprintf(buf, 12, "%u", id);
	return p9_str(buf);
}

/* An owner's number from its name: "root" or decimal; -1 otherwise. */
static int64_t owner_id(struct p9_str s)
{
	if (p9_str_eq(s, "root"))
		return 0;
	int64_t v = 0;
	for (uint16_t i = 0; i < s.len; i++) {
		if (s.s[i] < '0' || s.s[i] > '9' || v > 0xFFFFFFF)
			return -1;
		v = v * 10 + (s.s[i] - '0');
	}
	return s.len ? v : -1;
}

static int fill_stat(struct ext2 *fs, uint32_t ino, const char *name,
		     size_t len, struct p9_stat *st)
{
	struct ext2_attr a;
	int rc = ext2_getattr(fs, ino, &a);
	if (rc)
		return rc;
	int isdir = (a.mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	memset(st, 0, sizeof(*st));
	st->qid.type = (uint8_t)(type_bits(a.mode) >> 24);
	st->qid.path = ino | (uint64_t)a.generation << 32;
	st->qid.version = a.mtime ^ a.ctime ^ (uint32_t)a.size;
	st->mode = mode_to_9p(a.mode);
	st->atime = a.atime;
	st->mtime = a.mtime;
	st->length = isdir ? 0 : a.size;
	st->dev = isdir ? 0 : a.nlink;
	st->name = (struct p9_str){ (uint16_t)len, name };
	st->uid = st->muid = owner(uidbuf, a.uid);
	st->gid = owner(gidbuf, a.gid);
	return 0;
}

static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	struct node *n = node;
	return fill_stat(ctx, n->ino, n->name, n->namelen, st);
}

/* A regular file's new length, its copy in memory (pages.c) following. */
static int truncate_file(struct ext2 *fs, uint32_t ino, uint64_t size)
{
	int rc = ext2_truncate(fs, ino, size);
	if (rc == 0 && ext2srv_pages)
		ext2srv_pages->resized(ino, size);
	return rc;
}

static int op_open(void *ctx, void *node, uint8_t mode)
{
	struct node *n = node;
	struct ext2_attr a;
	int rc = ext2_getattr(ctx, n->ino, &a);
	if (rc)
		return rc;
	uint32_t type = a.mode & EXT2_S_IFMT;
	if (type == EXT2_S_IFIFO || type == EXT2_S_IFSOCK)
		return -P9_ENXIO; /* the pipe server's (as ramfs) */
	if ((mode & P9_OTRUNC) && type == EXT2_S_IFREG && a.size)
		return truncate_file(ctx, n->ino, 0);
	return 0;
}

static long op_read(void *ctx, void *node, uint64_t off, void *buf,
		    uint32_t count)
{
	struct node *n = node;
	static char target[LINK_MAX_LEN];
	long len = ext2_readlink(ctx, n->ino, target, sizeof(target));
	if (len == -P9_EINVAL) /* not a link */
		return ext2_read(ctx, n->ino, off, buf, count);
	if (len < 0)
		return len;
	if (off >= (uint64_t)len)
		return 0;
	if (count > len - off)
		count = (uint32_t)(len - off);
	memcpy(buf, target + off, count);
	return count;
}

/* Entry index of dir ("." and ".." are not listed, as 9P wants). */
static int op_readdir(void *ctx, void *dir, uint32_t index, struct p9_stat *st)
{
	struct node *d = dir;
	if (rd_dir != d->ino || index < rd_index) {
		rd_dir = d->ino;
		rd_index = 0;
		rd_pos = 0;
	}
	for (;;) {
		int rc = ext2_readdir(ctx, d->ino, &rd_pos, &dent);
		if (rc <= 0) {
			rd_dir = 0;
			return rc;
		}
		if ((dent.namelen == 1 && dent.name[0] == '.') ||
		    (dent.namelen == 2 && dent.name[0] == '.' &&
		     dent.name[1] == '.'))
			continue;
		if (rd_index++ == index)
			return fill_stat(ctx, dent.ino, dent.name, dent.namelen,
					 st)
				   ?: 1;
	}
}

static long op_write(void *ctx, void *node, uint64_t off, const void *data,
		     uint32_t count)
{
	struct node *n = node;
	struct ext2_attr a;
	int rc = ext2_getattr(ctx, n->ino, &a);
	if (rc)
		return rc;
	if ((a.mode & EXT2_S_IFMT) == EXT2_S_IFLNK) { /* its target, whole */
		if (off != 0 || a.size)
			return -P9_EINVAL;
		rc = ext2_set_symlink(ctx, n->ino, data, count);
		return rc ? rc : (long)count;
	}
	long done = ext2_write(ctx, n->ino, off, data, count);
	if (done > 0 && ext2srv_pages)
		ext2srv_pages->wrote(n->ino, off, data, (size_t)done);
	return done;
}

/* create(5)'s masking by the directory's permissions; a link's 0777. */
static uint32_t create_mode(uint32_t perm, uint32_t dirmode)
{
	uint32_t type;
	if (perm & P9_DMSYMLINK)
		return EXT2_S_IFLNK | 0777;
	if (perm & P9_DMDIR)
		return EXT2_S_IFDIR |
		       (mode_from_9p(perm) & (~0777u | (dirmode & 0777)));
	type = perm & P9_DMNAMEDPIPE ? EXT2_S_IFIFO
	       : perm & P9_DMSOCKET  ? EXT2_S_IFSOCK
				     : EXT2_S_IFREG;
	return type | (mode_from_9p(perm) & (~0666u | (dirmode & 0666)));
}

static int op_create(void *ctx, void *dir, struct p9_str name, uint32_t perm,
		     uint8_t mode, struct p9_str uname, void **node)
{
	struct node *d = dir;
	struct ext2_attr da;
	uint32_t ino;
	(void)mode;
	uint32_t types =
	    perm & (P9_DMDIR | P9_DMSYMLINK | P9_DMNAMEDPIPE | P9_DMSOCKET);
	if (types & (types - 1))
		return -P9_EINVAL;
	int64_t uid = owner_id(uname);
	int rc = ext2_getattr(ctx, d->ino, &da);
	if (rc)
		return rc;
	rc = ext2_create(ctx, d->ino, name.s, name.len,
			 create_mode(perm, da.mode),
			 uid < 0 ? 0 : (uint32_t)uid, da.gid, &ino);
	if (rc)
		return rc;
	struct node *n = node_new(ctx, ino, d->ino, name.s, name.len);
	if (!n) {
		ext2_unlink(ctx, d->ino, name.s, name.len);
		return -P9_ENFILE;
	}
	*node = n;
	return 0;
}

/* Whether n still names its inode in its directory (not renamed). */
static int still_named(struct ext2 *fs, const struct node *n)
{
	uint32_t ino;
	return ext2_lookup(fs, n->dir, n->name, n->namelen, &ino) == 0 &&
	       ino == n->ino;
}

static int op_remove(void *ctx, void *node)
{
	struct node *n = node;
	if (n->ino == EXT2_ROOT_INO)
		return -P9_EBUSY;
	if (!still_named(ctx, n))
		return -P9_ENOENT;
	return ext2_unlink(ctx, n->dir, n->name, n->namelen);
}

static int nochange(const struct p9_stat *st)
{
	return st->length == ~0ull && st->mode == ~0u && st->atime == ~0u &&
	       st->mtime == ~0u && !st->name.len && !st->gid.len &&
	       !st->uid.len;
}

/* The name part of a wstat: a rename within the directory. */
static int wstat_name(struct ext2 *fs, struct node *n, struct p9_str name)
{
	uint32_t ino;
	if (!name.len ||
	    (name.len == n->namelen && !memcmp(name.s, n->name, name.len)))
		return 0;
	if (n->ino == EXT2_ROOT_INO)
		return -P9_EPERM;
	if (!still_named(fs, n))
		return -P9_ENOENT;
	if (ext2_lookup(fs, n->dir, name.s, name.len, &ino) == 0)
		return -P9_EEXIST;
	int rc = ext2_rename(fs, n->dir, n->name, n->namelen, n->dir, name.s,
			     name.len);
	if (rc)
		return rc;
	n->namelen = name.len;
	memcpy(n->name, name.s, name.len);
	n->name[name.len] = 0;
	return 0;
}

/* A wstat that changes nothing is 9P's "commit to stable storage". */
static int op_wstat(void *ctx, void *node, const struct p9_stat *st)
{
	struct node *n = node;
	if (nochange(st))
		return n->ino == EXT2_ROOT_INO ? ext2_sync(ctx)
					       : ext2_fsync(ctx, n->ino);
	int64_t gid = st->gid.len ? owner_id(st->gid) : EXT2_KEEP;
	if (gid < 0)
		return -P9_EINVAL;
	struct ext2_setattr sa = {
		.mode = st->mode == ~0u ? EXT2_KEEP : mode_from_9p(st->mode),
		.uid = EXT2_KEEP,
		.gid = (uint32_t)gid,
		.atime = st->atime,
		.mtime = st->mtime,
	};
	int rc = 0;
	if (st->length != ~0ull)
		rc = truncate_file(ctx, n->ino, st->length);
	if (!rc && (sa.mode != EXT2_KEEP || sa.gid != EXT2_KEEP ||
		    sa.atime != EXT2_KEEP || sa.mtime != EXT2_KEEP))
		rc = ext2_setattr(ctx, n->ino, &sa);
	if (!rc)
		rc = wstat_name(ctx, n, st->name);
	return rc;
}

static int op_link(void *ctx, void *dir, struct p9_str name, void *node)
{
	return ext2_link(ctx, ((struct node *)dir)->ino, name.s, name.len,
			 ((struct node *)node)->ino);
}

static int op_rename(void *ctx, void *olddir, struct p9_str oldname,
		     void *newdir, struct p9_str newname)
{
	return ext2_rename(ctx, ((struct node *)olddir)->ino, oldname.s,
			   oldname.len, ((struct node *)newdir)->ino, newname.s,
			   newname.len);
}

static int op_memory(void *ctx, void *node, uint32_t *mem, uint64_t *pages,
		     uint32_t *state)
{
	if (!ext2srv_pages)
		return -P9_ENODEV;
	return ext2srv_pages->memory(ctx, ((struct node *)node)->ino, mem,
				     pages, state);
}

static int op_statfs(void *ctx, void *node, struct p9_statfs *sf)
{
	struct ext2_statfs s;
	(void)node;
	ext2_statfs(ctx, &s);
	*sf = (struct p9_statfs){ .type = EXT2_STATFS_MAGIC,
				  .bsize = s.bsize,
				  .blocks = s.blocks,
				  .bfree = s.bfree,
				  .bavail = s.bavail,
				  .files = s.files,
				  .ffree = s.ffree,
				  .namelen = EXT2_NAME_MAX };
	return 0;
}

const struct p9srv_ops ext2srv_ops = {
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
