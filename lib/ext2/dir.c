/*
 * Directories: entries checked as they are read (a bad rec_len or inode
 * number is -P9_EIO with fs->msg, never a wild access), lookup, reading,
 * and the operations on names: create, mkdir, symlink, link, unlink,
 * rmdir, rename. Each checks everything that can fail for a reason of
 * the caller's before it changes anything.
 */
#include <string/kstring.h>

#include "9p/errstr.h"
#include "ext2/cache.h"
#include "ext2/inode.h"
#include "ext2/internal.h"
#include "ext2/layout.h"

#define NONE	  0xFFFFFFFFu
#define HDR	  8	/* an entry's header: inode, rec_len, name_len, type */
#define MAX_DEPTH 65536 /* ".." steps before a loop is called damage */

/* Where an entry is: its block, offset, the previous entry's offset. */
struct where {
	uint32_t pblk, off, prev;
	uint32_t ino;
	uint8_t type;
};

static uint32_t rec_len(uint32_t namelen)
{
	return (HDR + namelen + 3) & ~3u;
}

static int is_dir(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static uint8_t ftype(const struct ext2 *fs, uint32_t mode)
{
	if (!(fs->sb->s_feature_incompat & EXT2_INCOMPAT_FILETYPE))
		return 0;
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		return EXT2_FT_REG;
	case EXT2_S_IFDIR:
		return EXT2_FT_DIR;
	case EXT2_S_IFLNK:
		return EXT2_FT_SYMLINK;
	case EXT2_S_IFIFO:
		return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK:
		return EXT2_FT_SOCK;
	case 0020000:
		return EXT2_FT_CHR;
	case 0060000:
		return EXT2_FT_BLK;
	}
	return 0;
}

/* The header of the entry at off of block data, checked. */
static int entry(struct ext2 *fs, uint32_t dir, uint32_t pblk,
		 const uint8_t *data, uint32_t off, struct ext2_dirent_disk *e)
{
	memcpy(e, data + off, HDR);
	if (e->rec_len < HDR || (e->rec_len & 3) ||
	    e->rec_len > fs->bsize - off || HDR + e->name_len > e->rec_len ||
	    e->inode > fs->ninodes) {
		ext2_msg(fs,
			 "directory %u: bad entry in block %u at offset %u "
			 "(rec_len %u, inode %u)",
			 dir, pblk, off, e->rec_len, e->inode);
		return -P9_EIO;
	}
	return 0;
}

/* A directory's block lblk (a directory has no holes). */
static int dir_block(struct ext2 *fs, uint32_t dir, struct ext2_inode *din,
		     uint64_t lblk, uint32_t *pblk)
{
	int rc = bmap(fs, din, lblk, 0, pblk);
	if (rc == 0 && !*pblk) {
		ext2_msg(fs, "directory %u: a hole at block %u", dir,
			 (uint32_t)lblk);
		rc = -P9_EIO;
	}
	return rc;
}

/* A directory inode, live: 0, -P9_ENOTDIR, -P9_ENOENT (removed). */
static int get_dir(struct ext2 *fs, uint32_t dir, struct ext2_inode *din)
{
	int rc = iread(fs, dir, din);
	if (rc)
		return rc;
	if (!is_dir(din))
		return -P9_ENOTDIR;
	return din->i_links_count ? 0 : -P9_ENOENT;
}

/* Find name in dir: 0 and *w, -P9_ENOENT, or an error. */
static int dir_find(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		    struct where *w)
{
	struct ext2_inode din;
	int rc = get_dir(fs, dir, &din);
	if (rc)
		return rc;
	uint64_t nblk = din.i_size / fs->bsize;
	for (uint64_t lblk = 0; lblk < nblk; lblk++) {
		uint32_t pblk, prev = NONE;
		if ((rc = dir_block(fs, dir, &din, lblk, &pblk)))
			return rc;
		struct ext2_buf *b = bget(fs, pblk, BGET_READ, &rc);
		if (!b)
			return rc;
		struct ext2_dirent_disk e;
		for (uint32_t off = 0; off < fs->bsize;
		     prev = off, off += e.rec_len) {
			if ((rc = entry(fs, dir, pblk, b->data, off, &e)))
				return rc;
			if (e.inode && e.name_len == len &&
			    memcmp(b->data + off + HDR, name, len) == 0) {
				*w = (struct where){ pblk, off, prev, e.inode,
						     e.file_type };
				return 0;
			}
		}
	}
	return -P9_ENOENT;
}

int ext2_lookup(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		uint32_t *ino)
{
	struct where w;
	int rc = dir_find(fs, dir, name, len, &w);
	if (rc == 0)
		*ino = w.ino;
	return rc;
}

int ext2_readdir(struct ext2 *fs, uint32_t dir, uint64_t *pos,
		 struct ext2_dirent *out)
{
	struct ext2_inode din;
	int rc = iread(fs, dir, &din);
	if (rc)
		return rc;
	if (!is_dir(&din))
		return -P9_ENOTDIR;
	for (uint64_t p = *pos; p < din.i_size;) {
		uint32_t pblk;
		if ((rc = dir_block(fs, dir, &din, p / fs->bsize, &pblk)))
			return rc;
		struct ext2_buf *b = bget(fs, pblk, BGET_READ, &rc);
		if (!b)
			return rc;
		uint64_t base = p - p % fs->bsize;
		struct ext2_dirent_disk e;
		for (uint32_t off = 0; off < fs->bsize; off += e.rec_len) {
			if ((rc = entry(fs, dir, pblk, b->data, off, &e)))
				return rc;
			if (base + off < p || !e.inode)
				continue;
			out->ino = e.inode;
			out->type = e.file_type;
			out->namelen = e.name_len;
			memcpy(out->name, b->data + off + HDR, e.name_len);
			out->name[e.name_len] = 0;
			*pos = base + off + e.rec_len;
			return 1;
		}
		p = base + fs->bsize;
	}
	*pos = din.i_size;
	return 0;
}

/* The time stamps of a directory whose entries changed. */
static int dir_touch(struct ext2 *fs, uint32_t dir, struct ext2_inode *din)
{
	din->i_mtime = din->i_ctime = ext2_now(fs);
	din->i_flags &= ~EXT2_INDEX_FL; /* its hash index is not kept */
	return iwrite(fs, dir, din);
}

/* Put the entry in block data at off, its record rec bytes long. */
static void put_entry(uint8_t *data, uint32_t off, uint32_t rec, uint32_t ino,
		      const char *name, size_t len, uint8_t type)
{
	struct ext2_dirent_disk e = { ino, (uint16_t)rec, (uint8_t)len, type };
	memcpy(data + off, &e, HDR);
	memcpy(data + off + HDR, name, len);
}

/* Room for an entry of `need` bytes in the block: its offset, or NONE;
 * *split is the record length the entry before it keeps (or NONE). */
static int find_room(struct ext2 *fs, uint32_t dir, uint32_t pblk,
		     const uint8_t *data, uint32_t need, uint32_t *at,
		     uint32_t *keep)
{
	struct ext2_dirent_disk e;
	*at = NONE;
	for (uint32_t off = 0; off < fs->bsize; off += e.rec_len) {
		int rc = entry(fs, dir, pblk, data, off, &e);
		if (rc)
			return rc;
		uint32_t used = e.inode ? rec_len(e.name_len) : 0;
		if (e.rec_len >= used + need) {
			*at = off;
			*keep = used;
			return 0;
		}
	}
	return 0;
}

/* Add name -> ino (of type) to dir, whose name it must not be yet. */
static int dir_add(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		   uint32_t ino, uint8_t type)
{
	struct ext2_inode din;
	int rc = get_dir(fs, dir, &din);
	if (rc)
		return rc;
	uint32_t need = rec_len((uint32_t)len), pblk, at, keep;
	uint64_t nblk = din.i_size / fs->bsize;
	for (uint64_t lblk = 0; lblk < nblk; lblk++) {
		if ((rc = dir_block(fs, dir, &din, lblk, &pblk)))
			return rc;
		struct ext2_buf *b = bget(fs, pblk, BGET_READ, &rc);
		if (!b ||
		    (rc = find_room(fs, dir, pblk, b->data, need, &at, &keep)))
			return rc;
		if (at == NONE)
			continue;
		uint16_t total;
		memcpy(&total, b->data + at + 4, 2);
		if (keep) { /* shorten the entry there, add ours after it */
			uint16_t k = (uint16_t)keep;
			memcpy(b->data + at + 4, &k, 2);
		}
		put_entry(b->data, at + keep, total - keep, ino, name, len,
			  type);
		bdirty(fs, b);
		return dir_touch(fs, dir, &din);
	}
	if ((uint64_t)din.i_size + fs->bsize > 0xFFFFFFFFu)
		return -P9_ENOSPC;
	if ((rc = bmap(fs, &din, nblk, 1, &pblk)))
		return rc;
	struct ext2_buf *b = bget(fs, pblk, BGET_ZERO, &rc);
	if (!b)
		return rc;
	put_entry(b->data, 0, fs->bsize, ino, name, len, type);
	bdirty(fs, b);
	din.i_size += fs->bsize;
	return dir_touch(fs, dir, &din);
}

/* Remove the entry at w (found just now) from dir. */
static int dir_remove(struct ext2 *fs, uint32_t dir, const struct where *w)
{
	int rc = 0;
	struct ext2_buf *b = bget(fs, w->pblk, BGET_READ, &rc);
	if (!b)
		return rc;
	if (w->prev == NONE) {
		memset(b->data + w->off, 0, 4); /* inode 0: unused */
	} else {
		uint16_t a, c;
		memcpy(&a, b->data + w->prev + 4, 2);
		memcpy(&c, b->data + w->off + 4, 2);
		a = (uint16_t)(a + c);
		memcpy(b->data + w->prev + 4, &a, 2);
	}
	bdirty(fs, b);
	struct ext2_inode din;
	if ((rc = iread(fs, dir, &din)))
		return rc;
	return dir_touch(fs, dir, &din);
}

/* Point the entry at w at ino instead. */
static int dir_set(struct ext2 *fs, const struct where *w, uint32_t ino,
		   uint8_t type)
{
	int rc = 0;
	struct ext2_buf *b = bget(fs, w->pblk, BGET_READ, &rc);
	if (!b)
		return rc;
	memcpy(b->data + w->off, &ino, 4);
	if (fs->sb->s_feature_incompat & EXT2_INCOMPAT_FILETYPE)
		b->data[w->off + 7] = type;
	bdirty(fs, b);
	return 0;
}

/* Whether dir holds nothing but "." and "..": 1, 0, or an error. */
static int dir_empty(struct ext2 *fs, uint32_t dir)
{
	struct ext2_dirent e;
	uint64_t pos = 0;
	int rc;
	while ((rc = ext2_readdir(fs, dir, &pos, &e)) == 1)
		if (!(e.namelen == 1 && e.name[0] == '.') &&
		    !(e.namelen == 2 && e.name[0] == '.' && e.name[1] == '.'))
			return 0;
	return rc < 0 ? rc : 1;
}

static int links_add(struct ext2 *fs, uint32_t ino, int delta)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	in.i_links_count = (uint16_t)(in.i_links_count + delta);
	in.i_ctime = ext2_now(fs);
	return iwrite(fs, ino, &in);
}

/* An inode lost links: it goes now when no link and no open is left. */
static int drop_links(struct ext2 *fs, uint32_t ino, int all)
{
	struct ext2_inode in;
	int rc = iread(fs, ino, &in);
	if (rc)
		return rc;
	in.i_links_count = all || !in.i_links_count ? 0 : in.i_links_count - 1;
	in.i_ctime = ext2_now(fs);
	if ((rc = iwrite(fs, ino, &in)))
		return rc;
	if (in.i_links_count == 0 && open_refs(fs, ino) == 0)
		return free_inode_all(fs, ino);
	return 0;
}

static int bad_name(const char *name, size_t len)
{
	if (len == 0 || len > EXT2_NAME_MAX)
		return len ? -P9_ENAMETOOLONG : -P9_ENOENT;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -P9_EEXIST;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == 0)
			return -P9_EINVAL;
	return 0;
}

/* A fresh inode of mode for uid and gid (not yet named anywhere). */
static int new_inode(struct ext2 *fs, uint32_t dir, uint32_t mode, uint32_t uid,
		     uint32_t gid, uint32_t *ino, struct ext2_inode *in)
{
	int isdir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	int rc = alloc_inode(fs, dir, isdir, ino);
	if (rc)
		return rc;
	struct ext2_inode old;
	if ((rc = iread(fs, *ino, &old)))
		return rc;
	uint32_t now = ext2_now(fs);
	memset(in, 0, sizeof(*in));
	in->i_mode = (uint16_t)mode;
	in->i_uid = (uint16_t)uid;
	in->i_uid_high = (uint16_t)(uid >> 16);
	in->i_gid = (uint16_t)gid;
	in->i_gid_high = (uint16_t)(gid >> 16);
	in->i_atime = in->i_mtime = in->i_ctime = now;
	in->i_links_count = 1;
	in->i_generation = old.i_generation + 1;
	if (fs->isize >= EXT2_GOOD_OLD_ISIZE + EXT2_EXTRA_ISIZE) {
		in->i_extra_isize = EXT2_EXTRA_ISIZE;
		in->i_crtime = now;
	}
	return 0;
}

/* A new directory's first block: "." and "..". */
static int dir_init(struct ext2 *fs, uint32_t ino, struct ext2_inode *in,
		    uint32_t parent)
{
	uint32_t pblk;
	int rc = bmap(fs, in, 0, 1, &pblk);
	if (rc)
		return rc;
	struct ext2_buf *b = bget(fs, pblk, BGET_ZERO, &rc);
	if (!b)
		return rc;
	uint8_t t = ftype(fs, EXT2_S_IFDIR);
	put_entry(b->data, 0, 12, ino, ".", 1, t);
	put_entry(b->data, 12, fs->bsize - 12, parent, "..", 2, t);
	bdirty(fs, b);
	in->i_size = fs->bsize;
	in->i_links_count = 2;
	return 0;
}

/* Checks before a new name in dir: 0, or why not. */
static int can_add(struct ext2 *fs, uint32_t dir, const char *name, size_t len)
{
	struct ext2_inode din;
	struct where w;
	int rc = bad_name(name, len);
	if (rc || (rc = ext2_change(fs)) || (rc = get_dir(fs, dir, &din)))
		return rc;
	rc = dir_find(fs, dir, name, len, &w);
	return rc == -P9_ENOENT ? 0 : rc ? rc : -P9_EEXIST;
}

static int make(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		uint32_t mode, uint32_t uid, uint32_t gid, uint32_t *ino,
		const char *target, size_t tlen)
{
	struct ext2_inode in, din;
	uint32_t type = mode & EXT2_S_IFMT;
	int rc = can_add(fs, dir, name, len);
	if (rc)
		return rc;
	if (type != EXT2_S_IFREG && type != EXT2_S_IFDIR &&
	    type != EXT2_S_IFLNK && type != EXT2_S_IFIFO &&
	    type != EXT2_S_IFSOCK)
		return -P9_EINVAL;
	if (type == EXT2_S_IFDIR &&
	    ((rc = iread(fs, dir, &din)) || din.i_links_count >= EXT2_LINK_MAX))
		return rc ? rc : -P9_EMLINK;
	if (target && (tlen == 0 || tlen >= fs->bsize))
		return tlen ? -P9_ENAMETOOLONG : -P9_ENOENT;
	if ((rc = new_inode(fs, dir, mode, uid, gid, ino, &in)))
		return rc;
	if (type == EXT2_S_IFDIR)
		rc = dir_init(fs, *ino, &in, dir);
	if (!rc)
		rc = iwrite(fs, *ino, &in);
	if (!rc && target)
		rc = ext2_set_symlink(fs, *ino, target, tlen);
	if (!rc)
		rc = dir_add(fs, dir, name, len, *ino, ftype(fs, mode));
	if (rc) { /* undo: the inode was named nowhere */
		free_inode_all(fs, *ino);
		return rc;
	}
	return type == EXT2_S_IFDIR ? links_add(fs, dir, 1) : 0;
}

int ext2_create(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		uint32_t mode, uint32_t uid, uint32_t gid, uint32_t *ino)
{
	return make(fs, dir, name, len, mode, uid, gid, ino, 0, 0);
}

int ext2_symlink(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
		 const char *target, size_t tlen, uint32_t uid, uint32_t gid,
		 uint32_t *ino)
{
	return make(fs, dir, name, len, EXT2_S_IFLNK | 0777, uid, gid, ino,
		    target, tlen);
}

int ext2_link(struct ext2 *fs, uint32_t dir, const char *name, size_t len,
	      uint32_t ino)
{
	struct ext2_inode in;
	int rc = can_add(fs, dir, name, len);
	if (rc || (rc = iread(fs, ino, &in)))
		return rc;
	if (is_dir(&in))
		return -P9_EPERM;
	if (in.i_links_count == 0)
		return -P9_ENOENT;
	if (in.i_links_count >= EXT2_LINK_MAX)
		return -P9_EMLINK;
	if ((rc = dir_add(fs, dir, name, len, ino, ftype(fs, in.i_mode))))
		return rc;
	return links_add(fs, ino, 1);
}

static int is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

int ext2_unlink(struct ext2 *fs, uint32_t dir, const char *name, size_t len)
{
	struct ext2_inode in;
	struct where w;
	int rc = ext2_change(fs);
	if (rc)
		return rc;
	if (is_dot(name, len))
		return len == 1 ? -P9_EINVAL : -P9_ENOTEMPTY;
	if ((rc = dir_find(fs, dir, name, len, &w)) ||
	    (rc = iread(fs, w.ino, &in)))
		return rc;
	int isdir = is_dir(&in);
	if (isdir && (rc = dir_empty(fs, w.ino)) <= 0)
		return rc ? rc : -P9_ENOTEMPTY;
	if ((rc = dir_remove(fs, dir, &w)))
		return rc;
	if (isdir && (rc = links_add(fs, dir, -1)))
		return rc;
	return drop_links(fs, w.ino, isdir);
}

/* Whether directory ino is `anc` or lies below it: 1, 0, or an error. */
static int within(struct ext2 *fs, uint32_t ino, uint32_t anc)
{
	for (int i = 0; i < MAX_DEPTH; i++) {
		if (ino == anc)
			return 1;
		if (ino == EXT2_ROOT_INO)
			return 0;
		int rc = ext2_lookup(fs, ino, "..", 2, &ino);
		if (rc)
			return rc;
	}
	ext2_msg(fs, "a loop of \"..\" entries");
	return -P9_EIO;
}

/* The checks of a rename (s: the source's entry, t: the target's or 0).
 * 0, 1 when there is nothing to do, or an errno. */
static int rename_check(struct ext2 *fs, uint32_t odir, uint32_t ndir,
			const struct where *s, const struct where *t,
			struct ext2_inode *sin)
{
	struct ext2_inode tin, nin;
	int rc = iread(fs, s->ino, sin);
	if (rc)
		return rc;
	if (t && t->ino == s->ino)
		return 1; /* itself, or another name of it: Linux does nothing
			   */
	if (t && (rc = iread(fs, t->ino, &tin)))
		return rc;
	if (is_dir(sin)) {
		if (t && !is_dir(&tin))
			return -P9_ENOTDIR;
		if (t && (rc = dir_empty(fs, t->ino)) <= 0)
			return rc ? rc : -P9_ENOTEMPTY;
		if (odir != ndir && (rc = within(fs, ndir, s->ino)))
			return rc > 0 ? -P9_EINVAL : rc;
		if (odir != ndir && !t &&
		    ((rc = iread(fs, ndir, &nin)) ||
		     nin.i_links_count >= EXT2_LINK_MAX))
			return rc ? rc : -P9_EMLINK;
	} else if (t && is_dir(&tin)) {
		return -P9_EISDIR;
	}
	return 0;
}

/* A directory moved from odir to ndir: its ".." and the link counts. */
static int moved_dir(struct ext2 *fs, uint32_t ino, uint32_t odir,
		     uint32_t ndir)
{
	struct where dd;
	int rc = dir_find(fs, ino, "..", 2, &dd);
	if (rc || (rc = dir_set(fs, &dd, ndir, ftype(fs, EXT2_S_IFDIR))))
		return rc;
	if ((rc = links_add(fs, odir, -1)))
		return rc;
	return links_add(fs, ndir, 1);
}

int ext2_rename(struct ext2 *fs, uint32_t odir, const char *oname, size_t olen,
		uint32_t ndir, const char *nname, size_t nlen)
{
	struct ext2_inode sin, din;
	struct where s, t;
	int rc = ext2_change(fs);
	if (rc || (rc = get_dir(fs, odir, &din)) ||
	    (rc = get_dir(fs, ndir, &din)))
		return rc;
	if (is_dot(oname, olen) || is_dot(nname, nlen))
		return -P9_EBUSY;
	if ((rc = bad_name(nname, nlen)) ||
	    (rc = dir_find(fs, odir, oname, olen, &s)))
		return rc;
	rc = dir_find(fs, ndir, nname, nlen, &t);
	if (rc && rc != -P9_ENOENT)
		return rc;
	int have_t = rc == 0;
	if ((rc = rename_check(fs, odir, ndir, &s, have_t ? &t : 0, &sin)))
		return rc < 0 ? rc : 0;
	int isdir = is_dir(&sin);
	/* The new name first (a replaced one points at the file at once),
	 * then the old name goes: found again, as adding may split entries. */
	rc = have_t
		 ? dir_set(fs, &t, s.ino, ftype(fs, sin.i_mode))
		 : dir_add(fs, ndir, nname, nlen, s.ino, ftype(fs, sin.i_mode));
	if (rc || (rc = dir_find(fs, odir, oname, olen, &s)) ||
	    (rc = dir_remove(fs, odir, &s)))
		return rc;
	if (have_t && (rc = iread(fs, ndir, &din)) == 0)
		rc = dir_touch(fs, ndir, &din);
	if (!rc && isdir && odir != ndir)
		rc = moved_dir(fs, s.ino, odir, ndir);
	if (!rc && have_t && isdir)
		rc = links_add(fs, ndir, -1); /* the replaced one's ".." */
	if (!rc && have_t)
		rc = drop_links(fs, t.ino, isdir);
	if (!rc)
		rc = links_add(fs, s.ino, 0); /* its ctime */
	return rc;
}
