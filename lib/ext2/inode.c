/*
 * Inodes and file data: reading and writing inodes through the cache,
 * the block map (direct, indirect, double and triple indirect), reads,
 * writes, truncation, symbolic links, attributes, open references.
 */
#include <string/kstring.h>

#include "9p/errstr.h"
#include "ext2/cache.h"
#include "ext2/inode.h"
#include "ext2/internal.h"
#include "ext2/layout.h"

int iread(struct ext2 *fs, uint32_t ino, struct ext2_inode *in)
{
	if (ino == 0 || ino > fs->ninodes) {
		ext2_msg(fs, "inode %u out of range (the fs has %u)", ino,
			 fs->ninodes);
		return -P9_EIO;
	}
	uint32_t g = (ino - 1) / fs->ipg, i = (ino - 1) % fs->ipg;
	uint64_t byte = (uint64_t)i * fs->isize;
	int err = 0;
	struct ext2_buf *b =
	    bget(fs, fs->gd[g].bg_inode_table + (uint32_t)(byte / fs->bsize),
		 BGET_READ, &err);
	if (!b)
		return err;
	memset(in, 0, sizeof(*in));
	memcpy(in, b->data + byte % fs->bsize,
	       fs->isize < sizeof(*in) ? fs->isize : sizeof(*in));
	return 0;
}

int iwrite(struct ext2 *fs, uint32_t ino, const struct ext2_inode *in)
{
	int rc = ext2_change(fs);
	if (rc)
		return rc;
	uint32_t g = (ino - 1) / fs->ipg, i = (ino - 1) % fs->ipg;
	uint64_t byte = (uint64_t)i * fs->isize;
	struct ext2_buf *b =
	    bget(fs, fs->gd[g].bg_inode_table + (uint32_t)(byte / fs->bsize),
		 BGET_READ, &rc);
	if (!b)
		return rc;
	memcpy(b->data + byte % fs->bsize, in,
	       fs->isize < sizeof(*in) ? fs->isize : sizeof(*in));
	bdirty(fs, b);
	return 0;
}

uint64_t isize_of(const struct ext2_inode *in)
{
	uint64_t s = in->i_size;
	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		s |= (uint64_t)in->i_size_high << 32;
	return s;
}

int set_isize(struct ext2 *fs, struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		in->i_size_high = (uint32_t)(size >> 32);
	if (size >= (1ull << 31) &&
	    !(fs->sb->s_feature_ro_compat & EXT2_ROCOMPAT_LARGE_FILE)) {
		fs->sb->s_feature_ro_compat |= EXT2_ROCOMPAT_LARGE_FILE;
		return sb_put(fs);
	}
	return 0;
}

/* The block map. */

static uint32_t apb(const struct ext2 *fs)
{
	return fs->bsize / 4;
}

/* Largest file size the map reaches (and i_blocks may count). */
uint64_t max_size(const struct ext2 *fs)
{
	uint64_t a = apb(fs);
	uint64_t blocks = EXT2_NDIR + a + a * a + a * a * a;
	uint64_t lim = (1ull << 32) * 512 / fs->bsize - a * a; /* i_blocks */
	return (blocks < lim ? blocks : lim) * fs->bsize;
}

/* The path to logical block lblk: the inode slot and up to 3 indexes. */
static int map_path(const struct ext2 *fs, uint64_t lblk, int *slot,
		    uint32_t idx[3])
{
	uint64_t a = apb(fs);
	if (lblk < EXT2_NDIR) {
		*slot = (int)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR;
	if (lblk < a) {
		*slot = EXT2_IND;
		idx[0] = (uint32_t)lblk;
		return 1;
	}
	lblk -= a;
	if (lblk < a * a) {
		*slot = EXT2_DIND;
		idx[0] = (uint32_t)(lblk / a);
		idx[1] = (uint32_t)(lblk % a);
		return 2;
	}
	lblk -= a * a;
	if (lblk < a * a * a) {
		*slot = EXT2_TIND;
		idx[0] = (uint32_t)(lblk / (a * a));
		idx[1] = (uint32_t)(lblk / a % a);
		idx[2] = (uint32_t)(lblk % a);
		return 3;
	}
	return -1;
}

/* A new block for in (counted in i_blocks), zeroed when zero is set. */
static int new_block(struct ext2 *fs, struct ext2_inode *in, int zero,
		     uint32_t *out)
{
	int rc = alloc_block(fs, fs->next_goal, out);
	if (rc)
		return rc;
	in->i_blocks += fs->bsize / 512;
	if (zero) {
		struct ext2_buf *b = bget(fs, *out, BGET_ZERO, &rc);
		if (!b)
			return rc;
		bdirty(fs, b);
	}
	return 0;
}

/* Entry i of indirect block blk, or with set its new value v. */
static int ind_get(struct ext2 *fs, uint32_t blk, uint32_t i, uint32_t *v)
{
	int err = 0;
	struct ext2_buf *b = bget(fs, blk, BGET_READ, &err);
	if (!b)
		return err;
	memcpy(v, b->data + 4 * i, 4);
	return 0;
}

static int ind_set(struct ext2 *fs, uint32_t blk, uint32_t i, uint32_t v)
{
	int err = 0;
	struct ext2_buf *b = bget(fs, blk, BGET_READ, &err);
	if (!b)
		return err;
	memcpy(b->data + 4 * i, &v, 4);
	bdirty(fs, b);
	return 0;
}

int bmap(struct ext2 *fs, struct ext2_inode *in, uint64_t lblk, int alloc,
	 uint32_t *pblk)
{
	int slot;
	uint32_t idx[3];
	int depth = map_path(fs, lblk, &slot, idx);
	if (depth < 0)
		return -P9_EFBIG;
	uint32_t cur = in->i_block[slot];
	int rc;
	if (!cur && alloc) {
		if ((rc = new_block(fs, in, depth > 0, &cur)))
			return rc;
		in->i_block[slot] = cur;
	}
	for (int d = 0; d < depth && cur; d++) {
		uint32_t next;
		if ((rc = ind_get(fs, cur, idx[d], &next)))
			return rc;
		if (!next && alloc) {
			if ((rc = new_block(fs, in, d + 1 < depth, &next)) ||
			    (rc = ind_set(fs, cur, idx[d], next)))
				return rc;
		}
		cur = next;
	}
	if (cur && (cur < fs->first_data || cur >= fs->nblocks)) {
		ext2_msg(fs, "a file's block %u out of range", cur);
		return -P9_EIO;
	}
	*pblk = cur;
	return 0;
}

/*
 * Free the blocks of the subtree *ref (depth levels of indirection above
 * data blocks) that map logical blocks from `from` on; base is the first
 * logical block it maps. The subtree's own block goes when all it maps
 * lies at or past from.
 */
static int free_tree(struct ext2 *fs, struct ext2_inode *in, uint32_t *ref,
		     int depth, uint64_t base, uint64_t from)
{
	if (!*ref)
		return 0;
	uint64_t span = 1;
	for (int d = 0; d < depth; d++)
		span *= apb(fs);
	if (base + span <= from)
		return 0;
	int rc;
	if (depth > 0) {
		uint64_t sub = span / apb(fs);
		for (uint32_t i = 0; i < apb(fs); i++) {
			uint32_t v;
			if (base + (i + 1) * sub <= from)
				continue;
			if ((rc = ind_get(fs, *ref, i, &v)))
				return rc;
			uint32_t old = v;
			if ((rc = free_tree(fs, in, &v, depth - 1,
					    base + i * sub, from)))
				return rc;
			if (v != old && base < from &&
			    (rc = ind_set(fs, *ref, i, v)))
				return rc;
		}
	}
	if (base < from)
		return 0;
	if ((rc = free_block(fs, *ref)))
		return rc;
	in->i_blocks -= fs->bsize / 512;
	*ref = 0;
	return 0;
}

/* Free every block mapping logical block `from` and after. */
static int free_from(struct ext2 *fs, struct ext2_inode *in, uint64_t from)
{
	uint64_t a = apb(fs), base = EXT2_NDIR;
	int rc;
	for (uint32_t i = 0; i < EXT2_NDIR; i++)
		if ((rc = free_tree(fs, in, &in->i_block[i], 0, i, from)))
			return rc;
	if ((rc = free_tree(fs, in, &in->i_block[EXT2_IND], 1, base, from)))
		return rc;
	base += a;
	if ((rc = free_tree(fs, in, &in->i_block[EXT2_DIND], 2, base, from)))
		return rc;
	base += a * a;
	return free_tree(fs, in, &in->i_block[EXT2_TIND], 3, base, from);
}

/* Data. */

static int is_fast_symlink(const struct ext2 *fs, const struct ext2_inode *in)
{
	uint32_t xattr = in->i_file_acl ? fs->bsize / 512 : 0;
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK &&
	       in->i_blocks == xattr;
}

/* relatime, as Linux: atime moves when older than mtime or a day. */
static int want_atime(const struct ext2_inode *in, uint32_t now)
{
	return in->i_atime <= in->i_mtime || in->i_atime <= in->i_ctime ||
	       now - in->i_atime >= 24 * 3600;
}

long ext2_read(struct ext2 *fs, uint32_t ino, uint64_t off, void *buf, size_t n)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	if ((in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return -P9_EISDIR;
	uint64_t size = isize_of(&in);
	if (off >= size)
		return 0;
	if (n > size - off)
		n = (size_t)(size - off);
	for (size_t done = 0; done < n;) {
		uint64_t pos = off + done;
		uint32_t k = fs->bsize - (uint32_t)(pos % fs->bsize), pblk;
		if (k > n - done)
			k = (uint32_t)(n - done);
		if ((rc = bmap(fs, &in, pos / fs->bsize, 0, &pblk)))
			return done ? (long)done : rc;
		/* the rest of the request, likely the blocks after this one */
		uint32_t ahead =
		    (uint32_t)((n - done + pos % fs->bsize + fs->bsize - 1) /
			       fs->bsize);
		struct ext2_buf *b =
		    pblk ? bget_ahead(fs, pblk, ahead, &rc) : 0;
		if (pblk && !b)
			return done ? (long)done : rc;
		if (b)
			memcpy((uint8_t *)buf + done, b->data + pos % fs->bsize,
			       k);
		else
			memset((uint8_t *)buf + done, 0, k);
		done += k;
	}
	uint32_t now = ext2_now(fs);
	if (!fs->ro && want_atime(&in, now)) {
		in.i_atime = now;
		iwrite(fs, ino, &in); /* a failure here loses only the atime */
	}
	return (long)n;
}

/* Write the part [pos, pos+k) of one block (k <= the block size). */
static int write_block(struct ext2 *fs, struct ext2_inode *in, uint64_t pos,
		       const uint8_t *src, uint32_t k, uint64_t size)
{
	uint32_t pblk;
	uint64_t lblk = pos / fs->bsize;
	int rc = bmap(fs, in, lblk, 0, &pblk);
	if (rc)
		return rc;
	int fresh = !pblk;
	if (fresh && (rc = bmap(fs, in, lblk, 1, &pblk)))
		return rc;
	/* A new block, or one wholly overwritten, need not be read. */
	int whole = k == fs->bsize || (pos % fs->bsize == 0 && pos + k >= size);
	struct ext2_buf *b =
	    bget(fs, pblk, fresh || whole ? BGET_ZERO : BGET_READ, &rc);
	if (!b)
		return rc;
	memcpy(b->data + pos % fs->bsize, src, k);
	bdirty(fs, b);
	return 0;
}

long ext2_write(struct ext2 *fs, uint32_t ino, uint64_t off, const void *buf,
		size_t n)
{
	struct ext2_inode in;
	int rc = ext2_change(fs);
	if (rc || (rc = iread(fs, ino, &in)))
		return rc;
	if ((in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return -P9_EISDIR;
	if ((in.i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK)
		return -P9_EINVAL; /* a link's target is set whole */
	if (n == 0)
		return 0;
	if (off >= max_size(fs))
		return -P9_EFBIG;
	if (n > max_size(fs) - off)
		n = (size_t)(max_size(fs) - off);
	uint64_t size = isize_of(&in);
	size_t done = 0;
	while (done < n) {
		uint64_t pos = off + done;
		uint32_t k = fs->bsize - (uint32_t)(pos % fs->bsize);
		if (k > n - done)
			k = (uint32_t)(n - done);
		if ((rc = write_block(fs, &in, pos, (const uint8_t *)buf + done,
				      k, size)))
			break;
		done += k;
	}
	if (off + done > size)
		set_isize(fs, &in, off + done);
	in.i_mtime = in.i_ctime = ext2_now(fs);
	int wrc = iwrite(fs, ino, &in);
	if (done == 0)
		return rc ? rc : wrc;
	return wrc ? wrc : (long)done;
}

/* Zero the bytes of size's block past size (a later grow shows zeros). */
static int zero_tail(struct ext2 *fs, struct ext2_inode *in, uint64_t size)
{
	uint32_t pblk, o = (uint32_t)(size % fs->bsize);
	int rc;
	if (o == 0 || (rc = bmap(fs, in, size / fs->bsize, 0, &pblk)) || !pblk)
		return 0;
	struct ext2_buf *b = bget(fs, pblk, BGET_READ, &rc);
	if (!b)
		return rc;
	memset(b->data + o, 0, fs->bsize - o);
	bdirty(fs, b);
	return 0;
}

int truncate_inode(struct ext2 *fs, struct ext2_inode *in, uint64_t size)
{
	uint64_t old = isize_of(in);
	int rc;
	if (size < old) {
		uint64_t keep = (size + fs->bsize - 1) / fs->bsize;
		if ((rc = free_from(fs, in, keep)) ||
		    (rc = zero_tail(fs, in, size)))
			return rc;
	}
	return set_isize(fs, in, size);
}

int ext2_truncate(struct ext2 *fs, uint32_t ino, uint64_t size)
{
	struct ext2_inode in;
	int rc = ext2_change(fs);
	if (rc || (rc = iread(fs, ino, &in)))
		return rc;
	uint32_t type = in.i_mode & EXT2_S_IFMT;
	if (type == EXT2_S_IFDIR)
		return -P9_EISDIR;
	if (type != EXT2_S_IFREG)
		return -P9_EINVAL;
	if (size > max_size(fs))
		return -P9_EFBIG;
	if (size != isize_of(&in)) {
		if ((rc = truncate_inode(fs, &in, size)))
			return rc;
		in.i_mtime = in.i_ctime = ext2_now(fs);
	}
	return iwrite(fs, ino, &in);
}

/* Symbolic links. */

int ext2_set_symlink(struct ext2 *fs, uint32_t ino, const char *target,
		     size_t tlen)
{
	struct ext2_inode in;
	int rc = ext2_change(fs);
	if (rc || (rc = iread(fs, ino, &in)))
		return rc;
	if ((in.i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK || in.i_size)
		return -P9_EINVAL;
	if (tlen == 0 || tlen >= fs->bsize)
		return tlen ? -P9_ENAMETOOLONG : -P9_ENOENT;
	if (tlen < sizeof(in.i_block)) { /* fast: in the inode */
		memset(in.i_block, 0, sizeof(in.i_block));
		memcpy(in.i_block, target, tlen);
	} else {
		uint32_t pblk;
		if ((rc = bmap(fs, &in, 0, 1, &pblk)))
			return rc;
		struct ext2_buf *b = bget(fs, pblk, BGET_ZERO, &rc);
		if (!b)
			return rc;
		memcpy(b->data, target, tlen);
		bdirty(fs, b);
	}
	in.i_size = (uint32_t)tlen;
	in.i_ctime = ext2_now(fs);
	return iwrite(fs, ino, &in);
}

long ext2_readlink(struct ext2 *fs, uint32_t ino, char *buf, size_t cap)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	if ((in.i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
		return -P9_EINVAL;
	size_t n = in.i_size < cap ? in.i_size : cap;
	if (is_fast_symlink(fs, &in)) {
		if (n > sizeof(in.i_block))
			n = sizeof(in.i_block);
		memcpy(buf, in.i_block, n);
		return (long)n;
	}
	if (in.i_size >= fs->bsize) {
		ext2_msg(fs, "inode %u: a symbolic link of %u bytes", ino,
			 in.i_size);
		return -P9_EIO;
	}
	uint32_t pblk;
	if ((rc = bmap(fs, &in, 0, 0, &pblk)))
		return rc;
	struct ext2_buf *b = pblk ? bget(fs, pblk, BGET_READ, &rc) : 0;
	if (!b)
		return pblk ? rc : -P9_EIO;
	memcpy(buf, b->data, n);
	return (long)n;
}

/* Attributes. */

int ext2_getattr(struct ext2 *fs, uint32_t ino, struct ext2_attr *a)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	*a = (struct ext2_attr){
		.ino = ino,
		.mode = in.i_mode,
		.uid = in.i_uid | (uint32_t)in.i_uid_high << 16,
		.gid = in.i_gid | (uint32_t)in.i_gid_high << 16,
		.nlink = in.i_links_count,
		.size = isize_of(&in),
		.blocks = in.i_blocks,
		.atime = in.i_atime,
		.mtime = in.i_mtime,
		.ctime = in.i_ctime,
		.generation = in.i_generation,
	};
	return 0;
}

int ext2_setattr(struct ext2 *fs, uint32_t ino, const struct ext2_setattr *s)
{
	struct ext2_inode in;
	int rc = ext2_change(fs);
	if (rc || (rc = iread(fs, ino, &in)))
		return rc;
	if (s->mode != EXT2_KEEP)
		in.i_mode =
		    (uint16_t)((in.i_mode & EXT2_S_IFMT) | (s->mode & 07777));
	if (s->uid != EXT2_KEEP) {
		in.i_uid = (uint16_t)s->uid;
		in.i_uid_high = (uint16_t)(s->uid >> 16);
	}
	if (s->gid != EXT2_KEEP) {
		in.i_gid = (uint16_t)s->gid;
		in.i_gid_high = (uint16_t)(s->gid >> 16);
	}
	if (s->atime != EXT2_KEEP)
		in.i_atime = s->atime;
	if (s->mtime != EXT2_KEEP)
		in.i_mtime = s->mtime;
	in.i_ctime = ext2_now(fs);
	return iwrite(fs, ino, &in);
}

/* Freeing an inode: its blocks, its attribute block, its bit. */

static int release_xattr(struct ext2 *fs, struct ext2_inode *in)
{
	int rc = 0;
	uint32_t blk = in->i_file_acl;
	if (!blk)
		return 0;
	struct ext2_buf *b = bget(fs, blk, BGET_READ, &rc);
	if (!b)
		return rc;
	struct ext2_xattr_header h;
	memcpy(&h, b->data, sizeof(h));
	in->i_file_acl = 0;
	in->i_blocks -= fs->bsize / 512;
	if (h.h_magic == EXT2_XATTR_MAGIC && h.h_refcount > 1) {
		h.h_refcount--;
		memcpy(b->data, &h, sizeof(h));
		bdirty(fs, b);
		return 0;
	}
	return free_block(fs, blk);
}

int free_inode_all(struct ext2 *fs, uint32_t ino)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	int isdir = (in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	if (!is_fast_symlink(fs, &in) && (rc = free_from(fs, &in, 0)))
		return rc;
	if ((rc = release_xattr(fs, &in)))
		return rc;
	memset(in.i_block, 0, sizeof(in.i_block));
	in.i_size = in.i_size_high = 0;
	in.i_links_count = 0;
	in.i_dtime = ext2_now(fs) ? ext2_now(fs) : 1;
	if ((rc = iwrite(fs, ino, &in)))
		return rc;
	return free_inode(fs, ino, isdir);
}

/* Open references: an open-addressing table (ino 0: an empty slot). */

static uint32_t open_slot(struct ext2 *fs, uint32_t ino)
{
	uint32_t i = (ino * 2654435761u) & (EXT2_OPEN_SLOTS - 1);
	while (fs->open_ino[i] && fs->open_ino[i] != ino)
		i = (i + 1) & (EXT2_OPEN_SLOTS - 1);
	return i;
}

int open_refs(struct ext2 *fs, uint32_t ino)
{
	uint32_t i = open_slot(fs, ino);
	return fs->open_ino[i] ? (int)fs->open_refs[i] : 0;
}

int ext2_open(struct ext2 *fs, uint32_t ino)
{
	if (ino == 0 || ino > fs->ninodes)
		return -P9_EIO;
	uint32_t i = open_slot(fs, ino);
	if (!fs->open_ino[i]) {
		if (fs->open_used >=
		    EXT2_OPEN_SLOTS / 2) /* probes stay short */
			return -P9_ENFILE;
		fs->open_used++;
		fs->open_ino[i] = ino;
		fs->open_refs[i] = 0;
	}
	fs->open_refs[i]++;
	return 0;
}

/* Remove slot i, moving later entries of its probe run back. */
static void open_delete(struct ext2 *fs, uint32_t i)
{
	uint32_t mask = EXT2_OPEN_SLOTS - 1, j = i;
	fs->open_ino[i] = 0;
	fs->open_used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!fs->open_ino[j])
			return;
		uint32_t home = (fs->open_ino[j] * 2654435761u) & mask;
		/* j's entry may fill the hole i when home is not in (i, j]. */
		if ((i < j) ? (home <= i || home > j)
			    : (home <= i && home > j)) {
			fs->open_ino[i] = fs->open_ino[j];
			fs->open_refs[i] = fs->open_refs[j];
			fs->open_ino[j] = 0;
			i = j;
		}
	}
}

void ext2_close(struct ext2 *fs, uint32_t ino)
{
	uint32_t i = open_slot(fs, ino);
	if (!fs->open_ino[i] || --fs->open_refs[i])
		return;
	open_delete(fs, i);
	struct ext2_inode in;
	if (!fs->ro && iread(fs, ino, &in) == 0 && in.i_links_count == 0 &&
	    in.i_mode && in.i_dtime == 0)
		free_inode_all(fs, ino); /* unlinked while open: goes now */
}
