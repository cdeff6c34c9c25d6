/*
 * Directories as open files: getdents64 over 9P directory reads, with a
 * union directory's members read in turn and each name listed once, and
 * "." and ".." first, as Linux lists them. A directory's members are
 * opened on the first read.
 */
#include <string/kstring.h>

#include "state.h"

static struct dirbuf *dirbuf_get(void)
{
	for (int i = 0; i < MAX_DIRBUFS; i++) {
		struct dirbuf *b = &rt_shared->dirbufs[i];
		int zero = 0;
		if (__atomic_compare_exchange_n(&b->used, &zero, 1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			b->len = b->pos = 0;
			b->nseen = 0;
			return b;
		}
	}
	return 0;
}

static void dir_forget(struct ofile *f)
{
	if (f->buf)
		f->buf->used = 0;
	f->buf = 0;
	f->member = f->dots = 0;
	f->dir_offset = f->cookie = 0;
}

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* Opens member i of a directory for reading, on first use. */
static long open_member(struct ofile *f, int i)
{
	struct loc *l = &f->loc[i];
	if (f->opened & (1u << i))
		return 0;
	long rc = p9c_open(loc_client(l), l->fid, P9_OREAD, 0);
	if (rc == 0)
		f->opened |= 1u << i;
	return rc;
}

/* Fills f's buffer with more raw entries: 0, or 1 at the end of all. */
static long refill(struct ofile *f)
{
	struct dirbuf *b = f->buf;
	while (f->member < f->nloc) {
		struct loc *l = &f->loc[f->member];
		long rc = open_member(f, f->member);
		if (rc)
			return rc;
		long r = p9c_read(loc_client(l), l->fid, f->dir_offset, b->data,
				  sizeof(b->data));
		if (r < 0)
			return r;
		if (r > 0) {
			f->dir_offset += (uint64_t)r;
			b->len = (uint32_t)r;
			b->pos = 0;
			return 0;
		}
		f->member++;
		f->dir_offset = 0;
		b->len = b->pos = 0;
	}
	return 1;
}

/* Puts one entry in the user's buffer: its size, or 0 when it is full. */
static uint64_t put_dirent(uint8_t *out, uint64_t room, uint64_t ino,
			   uint64_t cookie, uint8_t type, const char *name,
			   size_t len)
{
	uint64_t reclen = (19 + len + 1 + 7) & ~7ull;
	if (reclen > room)
		return 0;
	struct lx_dirent64 *d = (struct lx_dirent64 *)out;
	d->d_ino = ino;
	d->d_off = (int64_t)cookie;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, len);
	memset(d->d_name + len, 0, reclen - 19 - len);
	return reclen;
}

static uint8_t dirent_type(const struct p9_stat *st)
{
	if (st->mode & P9_DMDIR)
		return LX_DT_DIR;
	if (st->mode & P9_DMNAMEDPIPE)
		return LX_DT_FIFO;
	if (st->mode & P9_DMSOCKET)
		return LX_DT_SOCK;
	return st->mode & P9_DMSYMLINK ? LX_DT_LNK : LX_DT_REG;
}

/* "." and "..", before the server's entries: 0 or how much went. */
static long put_dots(struct ofile *f, uint8_t *out, uint64_t count,
		     uint64_t *used)
{
	static const char *const dots[] = { ".", ".." };
	while (f->dots < 2) {
		uint64_t k =
		    put_dirent(out + *used, count - *used, f->loc[0].qid.path,
			       f->cookie + 1, LX_DT_DIR, dots[f->dots],
			       strlen(dots[f->dots]));
		if (!k)
			return *used ? 1 : -P9_EINVAL;
		*used += k, f->cookie++, f->dots++;
	}
	return 0;
}

/* Whether a union has listed this name already (and now it has). */
static int listed(struct ofile *f, const struct p9_stat *st)
{
	struct dirbuf *b = f->buf;
	uint64_t h = name_hash(st->name.s, st->name.len);
	for (int i = 0; i < b->nseen; i++)
		if (b->seen[i] == h)
			return 1;
	if (f->nloc > 1 && b->nseen < 256)
		b->seen[b->nseen++] = h;
	return 0;
}

static long dir_getdents(struct ofile *f, uint64_t ubuf, uint64_t count)
{
	if (!f->buf && !(f->buf = dirbuf_get()))
		return -P9_ENOMEM;
	uint8_t *out = (uint8_t *)ubuf;
	uint64_t used = 0;
	long rc = put_dots(f, out, count, &used);
	if (rc)
		return rc < 0 ? rc : (long)used;
	struct dirbuf *b = f->buf;
	for (;;) {
		if (b->pos >= b->len) {
			rc = refill(f);
			if (rc < 0)
				return used ? (long)used : rc;
			if (rc == 1)
				break;
		}
		struct p9_stat st;
		long n = p9_stat_decode(b->data + b->pos, b->len - b->pos, &st);
		if (n < 0)
			return used ? (long)used : -P9_EIO;
		if (!listed(f, &st)) {
			uint64_t k =
			    put_dirent(out + used, count - used, st.qid.path,
				       f->cookie + 1, dirent_type(&st),
				       st.name.s, st.name.len);
			if (!k)
				return used ? (long)used : -P9_EINVAL;
			used += k, f->cookie++;
		}
		b->pos += (uint32_t)n;
	}
	return (long)used;
}

static long dir_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	(void)f, (void)ubuf, (void)n;
	return -P9_EISDIR;
}

static long dir_pread(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t off)
{
	(void)off;
	return dir_read(f, ubuf, n);
}

/* Only back to the start: 9P reads a directory again from 0. */
static long dir_seek(struct ofile *f, int64_t off, int whence)
{
	int64_t to = whence == LX_SEEK_CUR ? (int64_t)f->offset + off : off;
	if ((whence != LX_SEEK_SET && whence != LX_SEEK_CUR) || to != 0)
		return -P9_EINVAL;
	dir_forget(f);
	f->offset = 0;
	return 0;
}

const struct file_ops dir_ops = {
	.kind = "directory",
	.read = dir_read,
	.pread = dir_pread,
	.seek = dir_seek,
	.close = dir_forget,
	.stat = file9p_stat,
	.getdents = dir_getdents,
	.chmod = file9p_chmod,
	.wstat = file9p_wstat,
};
