/*
 * Mounting, the superblock and group descriptors, allocation of blocks
 * and inodes (bitmaps and counts kept consistent), sync.
 */
#include <string/kstring.h>

#include "9p/errstr.h"
#include "ext2/cache.h"
#include "ext2/internal.h"
#include "ext2/layout.h"

struct feature {
	uint32_t bit;
	const char *name;
};

static const struct feature incompat_names[] = {
	{ 0x0001, "compression" },
	{ 0x0004, "needs_recovery (a journal to replay)" },
	{ 0x0008, "journal_dev" },
	{ 0x0010, "meta_bg" },
	{ 0x0040, "extents" },
	{ 0x0080, "64bit" },
	{ 0x0100, "mmp" },
	{ 0x0200, "flex_bg" },
	{ 0x0400, "ea_inode" },
	{ 0x1000, "dirdata" },
	{ 0x2000, "metadata_csum_seed" },
	{ 0x4000, "large_dir" },
	{ 0x8000, "inline_data" },
	{ 0x10000, "encrypt" },
	{ 0x20000, "casefold" },
};
static const struct feature rocompat_names[] = {
	{ 0x0008, "huge_file" }, { 0x0010, "uninit_bg" },
	{ 0x0020, "dir_nlink" }, { 0x0040, "extra_isize" },
	{ 0x0080, "snapshot" },	 { 0x0100, "quota" },
	{ 0x0200, "bigalloc" },	 { 0x0400, "metadata_csum" },
	{ 0x0800, "replica" },	 { 0x1000, "read-only" },
	{ 0x2000, "project" },	 { 0x8000, "verity" },
};
#define INCOMPAT_OK EXT2_INCOMPAT_FILETYPE
#define ROCOMPAT_OK                                              \
	(EXT2_ROCOMPAT_SPARSE_SUPER | EXT2_ROCOMPAT_LARGE_FILE | \
	 EXT2_ROCOMPAT_BTREE_DIR)

/* The name of the first feature of bits in table t (or "unknown"). */
static const char *feature_name(const struct feature *t, size_t n,
				uint32_t bits)
{
	for (size_t i = 0; i < n; i++)
		if (bits & t[i].bit)
			return t[i].name;
	return "unknown";
}

uint32_t ext2_now(struct ext2 *fs)
{
	return fs->clock ? fs->clock() : 0;
}

/* The superblock into its cache block (dirty). */
int sb_put(struct ext2 *fs)
{
	int err = 0;
	struct ext2_buf *b =
	    bget(fs, EXT2_SB_OFFSET / fs->bsize, BGET_READ, &err);
	if (!b)
		return err;
	fs->sb->s_wtime = ext2_now(fs);
	memcpy(b->data + EXT2_SB_OFFSET % fs->bsize, fs->sb, sizeof(*fs->sb));
	bdirty(fs, b);
	return 0;
}

int gd_put(struct ext2 *fs, uint32_t g)
{
	int err = 0;
	uint32_t per = fs->bsize / sizeof(struct ext2_gd);
	struct ext2_buf *b =
	    bget(fs, fs->first_data + 1 + g / per, BGET_READ, &err);
	if (!b)
		return err;
	memcpy(b->data + (g % per) * sizeof(struct ext2_gd), &fs->gd[g],
	       sizeof(struct ext2_gd));
	bdirty(fs, b);
	return 0;
}

int ext2_change(struct ext2 *fs)
{
	if (fs->ro)
		return -P9_EROFS;
	if (!fs->clean_on_disk)
		return 0;
	fs->clean_on_disk = 0;
	fs->sb->s_state &= ~EXT2_VALID_FS;
	return sb_put(fs);
}

/* The geometry's checks: 0 or -P9_EINVAL with the reason. */
static int check_super(struct ext2 *fs, const struct ext2_super *s)
{
	if (s->s_magic != EXT2_MAGIC) {
		ext2_msg(fs, "not ext2: bad superblock magic 0x%x", s->s_magic);
		return -P9_EINVAL;
	}
	if (s->s_rev_level > 1 || s->s_log_block_size > 2) {
		ext2_msg(fs, "revision %u, block size 1024<<%u: not supported",
			 s->s_rev_level, s->s_log_block_size);
		return -P9_EINVAL;
	}
	uint32_t bs = 1024u << s->s_log_block_size;
	uint32_t isz = s->s_rev_level ? s->s_inode_size : EXT2_GOOD_OLD_ISIZE;
	if (isz < EXT2_GOOD_OLD_ISIZE || isz > bs || (isz & (isz - 1)) ||
	    !s->s_blocks_per_group || s->s_blocks_per_group > 8 * bs ||
	    !s->s_inodes_per_group || s->s_inodes_per_group > 8 * bs ||
	    s->s_first_data_block != (bs == 1024) ||
	    s->s_blocks_count <= s->s_first_data_block) {
		ext2_msg(fs, "bad superblock geometry");
		return -P9_EINVAL;
	}
	uint32_t ng = (s->s_blocks_count - s->s_first_data_block +
		       s->s_blocks_per_group - 1) /
		      s->s_blocks_per_group;
	if ((uint64_t)ng * s->s_inodes_per_group != s->s_inodes_count ||
	    (s->s_rev_level && (s->s_first_ino < EXT2_GOOD_OLD_FIRST_INO ||
				s->s_first_ino > s->s_inodes_count))) {
		ext2_msg(fs, "bad superblock: %u inodes in %u groups",
			 s->s_inodes_count, ng);
		return -P9_EINVAL;
	}
	return 0;
}

/* The features: 0, -P9_EINVAL (refused, named), or 1 (read-only). */
static int check_features(struct ext2 *fs, const struct ext2_super *s)
{
	if (s->s_rev_level == 0)
		return 0;
	uint32_t bad = s->s_feature_incompat & ~INCOMPAT_OK;
	if (bad) {
		ext2_msg(fs, "unsupported feature %s (incompatible 0x%x)",
			 feature_name(incompat_names,
				      sizeof(incompat_names) /
					  sizeof(incompat_names[0]),
				      bad),
			 bad);
		return -P9_EINVAL;
	}
	bad = s->s_feature_ro_compat & ~ROCOMPAT_OK;
	if (bad) {
		ext2_msg(fs,
			 "feature %s (read-only compatible 0x%x) not "
			 "supported: mounted read-only",
			 feature_name(rocompat_names,
				      sizeof(rocompat_names) /
					  sizeof(rocompat_names[0]),
				      bad),
			 bad);
		return 1;
	}
	return 0;
}

static int in_fs(struct ext2 *fs, uint32_t blk, uint32_t n)
{
	return blk >= fs->first_data && blk < fs->nblocks &&
	       n <= fs->nblocks - blk;
}

/* Every descriptor's bitmaps and table inside the fs. */
static int check_groups(struct ext2 *fs)
{
	uint32_t itb = (fs->ipg * fs->isize + fs->bsize - 1) / fs->bsize;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		const struct ext2_gd *d = &fs->gd[g];
		if (!in_fs(fs, d->bg_block_bitmap, 1) ||
		    !in_fs(fs, d->bg_inode_bitmap, 1) ||
		    !in_fs(fs, d->bg_inode_table, itb)) {
			ext2_msg(fs,
				 "group descriptor %u out of range (bitmaps "
				 "%u, %u, table %u)",
				 g, d->bg_block_bitmap, d->bg_inode_bitmap,
				 d->bg_inode_table);
			return -P9_EINVAL;
		}
	}
	return 0;
}

/* Read the descriptors from the blocks after the superblock's. */
static int load_groups(struct ext2 *fs)
{
	uint32_t per = fs->bsize / sizeof(struct ext2_gd);
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		int err = 0;
		struct ext2_buf *b =
		    bget(fs, fs->first_data + 1 + i, BGET_READ, &err);
		if (!b)
			return err;
		uint32_t n =
		    fs->ngroups - i * per < per ? fs->ngroups - i * per : per;
		memcpy(&fs->gd[i * per], b->data, n * sizeof(struct ext2_gd));
	}
	return check_groups(fs);
}

static void geometry(struct ext2 *fs, const struct ext2_super *s)
{
	fs->log_bsize = 10 + s->s_log_block_size;
	fs->bsize = 1u << fs->log_bsize;
	fs->bpg = s->s_blocks_per_group;
	fs->ipg = s->s_inodes_per_group;
	fs->nblocks = s->s_blocks_count;
	fs->ninodes = s->s_inodes_count;
	fs->first_data = s->s_first_data_block;
	fs->isize = s->s_rev_level ? s->s_inode_size : EXT2_GOOD_OLD_ISIZE;
	fs->first_ino =
	    s->s_rev_level ? s->s_first_ino : EXT2_GOOD_OLD_FIRST_INO;
	fs->ngroups = (fs->nblocks - fs->first_data + fs->bpg - 1) / fs->bpg;
	fs->gdt_blocks =
	    (fs->ngroups * (uint32_t)sizeof(struct ext2_gd) + fs->bsize - 1) /
	    fs->bsize;
}

int ext2_mount(struct ext2 *fs, const struct ext2_dev *dev, void *mem,
	       size_t memsize, uint32_t (*clock)(void), int ro)
{
	static struct ext2_super sbuf; /* only until it has its place */
	memset(fs, 0, sizeof(*fs));
	fs->dev = *dev;
	fs->clock = clock;
	fs->ro = ro;
	if (dev->read(dev->ctx, EXT2_SB_OFFSET, &sbuf, sizeof(sbuf))) {
		ext2_msg(fs, "cannot read the superblock");
		return -P9_EIO;
	}
	int rc = check_super(fs, &sbuf);
	int feat = rc ? rc : check_features(fs, &sbuf);
	if (feat < 0)
		return feat;
	if (feat > 0)
		fs->ro = 1;
	geometry(fs, &sbuf);
	/* The superblock and descriptors first in mem, the cache after. */
	uintptr_t p = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
	size_t need = sizeof(struct ext2_super) +
		      fs->ngroups * sizeof(struct ext2_gd) + 64;
	if (memsize < EXT2_MIN_MEM || need + EXT2_MIN_MEM / 2 > memsize) {
		ext2_msg(fs, "not enough memory for %u groups", fs->ngroups);
		return -P9_ENOMEM;
	}
	fs->sb = (struct ext2_super *)p;
	*fs->sb = sbuf;
	fs->gd = (struct ext2_gd *)(p + sizeof(struct ext2_super));
	if ((rc = cache_init(fs, (void *)(p + need),
			     memsize - (p + need - (uintptr_t)mem))))
		return rc;
	if ((rc = load_groups(fs)))
		return rc;
	fs->next_goal = fs->first_data;
	fs->clean_on_disk = (fs->sb->s_state & EXT2_VALID_FS) != 0;
	if (!fs->ro) { /* as Linux: count the mount, mark it in use */
		fs->sb->s_mnt_count++;
		fs->sb->s_mtime = ext2_now(fs);
		fs->clean_on_disk = 1;
		if ((rc = ext2_change(fs)))
			return rc;
	}
	if (!feat)
		fs->msg[0] = 0;
	return 0;
}

int ext2_writeback(struct ext2 *fs)
{
	if (!fs->ndirty)
		return 0;
	int rc = fs->ro ? 0 : sb_put(fs); /* its counts live in memory */
	return rc ? rc : cache_writeback(fs);
}

int ext2_sync(struct ext2 *fs)
{
	int rc = ext2_writeback(fs);
	if (rc)
		return rc;
	if (fs->dev.flush && fs->dev.flush(fs->dev.ctx)) {
		ext2_msg(fs, "device flush failed");
		return -P9_EIO;
	}
	return 0;
}

int ext2_fsync(struct ext2 *fs, uint32_t ino)
{
	(void)ino; /* the whole fs: simple, and no less than asked */
	return ext2_sync(fs);
}

int ext2_syncfs(struct ext2 *fs)
{
	if (!fs->ro && !fs->clean_on_disk) {
		fs->sb->s_state |= EXT2_VALID_FS;
		int rc = sb_put(fs);
		if (rc)
			return rc;
		fs->clean_on_disk = 1;
	}
	return ext2_sync(fs);
}

int ext2_statfs(struct ext2 *fs, struct ext2_statfs *st)
{
	const struct ext2_super *s = fs->sb;
	st->bsize = fs->bsize;
	st->blocks = s->s_blocks_count;
	st->bfree = s->s_free_blocks_count;
	st->bavail = s->s_free_blocks_count > s->s_r_blocks_count
			 ? s->s_free_blocks_count - s->s_r_blocks_count
			 : 0;
	st->files = s->s_inodes_count;
	st->ffree = s->s_free_inodes_count;
	return 0;
}

/* Allocation. */

/* Blocks of group g (the last group may be short). */
static uint32_t group_blocks(struct ext2 *fs, uint32_t g)
{
	uint32_t first = fs->first_data + g * fs->bpg;
	return fs->nblocks - first < fs->bpg ? fs->nblocks - first : fs->bpg;
}

/* The first clear bit of bitmap block bm in [from, n), or -1. */
static int64_t find_clear(const uint8_t *bm, uint32_t from, uint32_t n)
{
	for (uint32_t i = from; i < n; i++) {
		if ((i & 7) == 0 && bm[i >> 3] == 0xFF && i + 8 <= n) {
			i += 7;
			continue;
		}
		if (!(bm[i >> 3] & (1u << (i & 7))))
			return i;
	}
	return -1;
}

/* One clear bit of bitmap block bmblk, set: its index, or -1. Searched
 * in [from, n), then from `wrap` on to from (wrap = from: not at all). */
static int64_t take_bit(struct ext2 *fs, uint32_t bmblk, uint32_t from,
			uint32_t wrap, uint32_t n, int *err)
{
	struct ext2_buf *b = bget(fs, bmblk, BGET_READ, err);
	if (!b)
		return -1;
	int64_t i = find_clear(b->data, from, n);
	if (i < 0 && wrap < from)
		i = find_clear(b->data, wrap, from);
	if (i >= 0) {
		b->data[i >> 3] |= (uint8_t)(1u << (i & 7));
		bdirty(fs, b);
	}
	return i;
}

int alloc_block(struct ext2 *fs, uint32_t goal, uint32_t *out)
{
	int err = ext2_change(fs);
	if (err)
		return err;
	if (goal < fs->first_data || goal >= fs->nblocks)
		goal = fs->first_data;
	uint32_t g0 = (goal - fs->first_data) / fs->bpg;
	for (uint32_t k = 0; k <= fs->ngroups; k++) {
		uint32_t g = (g0 + k) % fs->ngroups;
		if (!fs->gd[g].bg_free_blocks_count ||
		    fs->sb->s_free_blocks_count == 0)
			continue;
		uint32_t from = k == 0 ? (goal - fs->first_data) % fs->bpg : 0;
		int64_t i = take_bit(fs, fs->gd[g].bg_block_bitmap, from, 0,
				     group_blocks(fs, g), &err);
		if (err)
			return err;
		if (i < 0) {
			ext2_msg(fs,
				 "group %u: its count says free blocks, its "
				 "bitmap none",
				 g);
			return -P9_EIO;
		}
		fs->gd[g].bg_free_blocks_count--;
		fs->sb->s_free_blocks_count--;
		*out = fs->first_data + g * fs->bpg + (uint32_t)i;
		fs->next_goal = *out + 1;
		return gd_put(fs, g);
	}
	return -P9_ENOSPC;
}

/* Clear bit i of bitmap block bmblk: 0, or -P9_EIO when it was clear. */
static int clear_bit(struct ext2 *fs, uint32_t bmblk, uint32_t i)
{
	int err = 0;
	struct ext2_buf *b = bget(fs, bmblk, BGET_READ, &err);
	if (!b)
		return err;
	if (!(b->data[i >> 3] & (1u << (i & 7)))) {
		ext2_msg(fs, "freeing a free object (bitmap block %u bit %u)",
			 bmblk, i);
		return -P9_EIO;
	}
	b->data[i >> 3] &= (uint8_t) ~(1u << (i & 7));
	bdirty(fs, b);
	return 0;
}

int free_block(struct ext2 *fs, uint32_t blk)
{
	if (blk < fs->first_data || blk >= fs->nblocks) {
		ext2_msg(fs, "freeing block %u: out of range", blk);
		return -P9_EIO;
	}
	uint32_t g = (blk - fs->first_data) / fs->bpg;
	int rc = clear_bit(fs, fs->gd[g].bg_block_bitmap,
			   (blk - fs->first_data) % fs->bpg);
	if (rc)
		return rc;
	bforget(fs, blk);
	fs->gd[g].bg_free_blocks_count++;
	fs->sb->s_free_blocks_count++;
	return gd_put(fs, g);
}

int alloc_inode(struct ext2 *fs, uint32_t near, int isdir, uint32_t *out)
{
	int err = ext2_change(fs);
	if (err)
		return err;
	uint32_t g0 = near ? (near - 1) / fs->ipg : 0;
	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (g0 + k) % fs->ngroups;
		if (!fs->gd[g].bg_free_inodes_count)
			continue;
		uint32_t from = g == 0 ? fs->first_ino - 1 : 0;
		int64_t i = take_bit(fs, fs->gd[g].bg_inode_bitmap, from, from,
				     fs->ipg, &err);
		if (err)
			return err;
		if (i < 0) {
			ext2_msg(fs,
				 "group %u: its count says free inodes, its "
				 "bitmap none",
				 g);
			return -P9_EIO;
		}
		fs->gd[g].bg_free_inodes_count--;
		fs->sb->s_free_inodes_count--;
		if (isdir)
			fs->gd[g].bg_used_dirs_count++;
		*out = g * fs->ipg + (uint32_t)i + 1;
		return gd_put(fs, g);
	}
	return -P9_ENOSPC;
}

int free_inode(struct ext2 *fs, uint32_t ino, int isdir)
{
	uint32_t g = (ino - 1) / fs->ipg;
	int rc = clear_bit(fs, fs->gd[g].bg_inode_bitmap, (ino - 1) % fs->ipg);
	if (rc)
		return rc;
	fs->gd[g].bg_free_inodes_count++;
	fs->sb->s_free_inodes_count++;
	if (isdir && fs->gd[g].bg_used_dirs_count)
		fs->gd[g].bg_used_dirs_count--;
	return gd_put(fs, g);
}
