/*
 * A kind of open file that is a plain 9P file on some server: reads and
 * writes at an offset, in 9P-sized pieces; and the reads and writes of
 * streams, 9P files without offsets (pipe.c's and tty.c's kinds).
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

/* ---- stat ---- */

static uint32_t file_type(const struct p9_stat *st)
{
	if (st->mode & P9_DMDIR)
		return LX_S_IFDIR;
	if (st->mode & P9_DMSYMLINK)
		return LX_S_IFLNK;
	if (st->mode & P9_DMNAMEDPIPE)
		return LX_S_IFIFO;
	if (st->mode & P9_DMSOCKET)
		return LX_S_IFSOCK;
	/* A device server marks its files with a stat type (Plan 9's device
	 * letter): those are character devices to a Linux program. */
	return st->type ? LX_S_IFCHR : LX_S_IFREG;
}

#define LX_S_ISUID 04000
#define LX_S_ISGID 02000
#define LX_S_ISVTX 01000

uint32_t perm_to_9p(uint32_t mode)
{
	return (mode & 0777) | (mode & LX_S_ISUID ? P9_DMSETUID : 0) |
	       (mode & LX_S_ISGID ? P9_DMSETGID : 0) |
	       (mode & LX_S_ISVTX ? P9_DMSETVTX : 0);
}

uint32_t perm_from_9p(uint32_t p9mode)
{
	return (p9mode & 0777) | (p9mode & P9_DMSETUID ? LX_S_ISUID : 0) |
	       (p9mode & P9_DMSETGID ? LX_S_ISGID : 0) |
	       (p9mode & P9_DMSETVTX ? LX_S_ISVTX : 0);
}

static void to_stat(const struct p9_stat *st, struct lx_stat *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t type = file_type(st);
	out->st_ino = st->qid.path;
	/* A server with hard links gives a file's count in dev
	 * (docs/servers.md); others give 0: one name. */
	out->st_nlink = type == LX_S_IFDIR ? 2 : st->dev ? st->dev : 1;
	out->st_mode = type | perm_from_9p(st->mode);
	out->st_rdev = type == LX_S_IFCHR
			   ? (uint64_t)st->type << 8 | (st->qid.path & 0xff)
			   : 0;
	out->st_size = (int64_t)st->length;
	out->st_blksize = 4096;
	out->st_blocks = (int64_t)((st->length + 511) / 512);
	out->st_atim.tv_sec = st->atime;
	out->st_mtim.tv_sec = st->mtime;
	out->st_ctim.tv_sec = st->mtime;
}

long stat_loc(const struct loc *l, struct lx_stat *out)
{
	struct p9_stat st;
	int rc = p9c_stat(loc_client(l), l->fid, &st);
	if (rc)
		return rc;
	to_stat(&st, out);
	return 0;
}

long statfs_loc(const struct loc *l, uint64_t ubuf)
{
	struct p9_statfs sf;
	struct lx_statfs out;
	long rc = user_writable(ubuf, sizeof(out));
	if (rc)
		return rc;
	rc = l ? p9c_statfs(loc_client(l), l->fid, &sf) : -P9_ENOTSUP;
	if (rc == -P9_ENOTSUP)
		sf = (struct p9_statfs){ .type = P9_STATFS_MAGIC,
					 .bsize = 4096,
					 .namelen = 255 };
	else if (rc)
		return rc;
	out = (struct lx_statfs){ .f_type = sf.type,
				  .f_bsize = sf.bsize,
				  .f_blocks = sf.blocks,
				  .f_bfree = sf.bfree,
				  .f_bavail = sf.bavail,
				  .f_files = sf.files,
				  .f_ffree = sf.ffree,
				  .f_fsid = { (int32_t)sf.fsid,
					      (int32_t)(sf.fsid >> 32) },
				  .f_namelen = sf.namelen,
				  .f_frsize = sf.bsize,
				  .f_flags = LX_ST_VALID };
	memcpy((void *)ubuf, &out, sizeof(out));
	return 0;
}

long wstat_loc(struct loc *l, const struct p9_stat *st)
{
	return p9c_wstat(loc_client(l), l->fid, st);
}

long truncate_loc(struct loc *l, int64_t len)
{
	struct p9_stat st;
	if (len < 0)
		return -P9_EINVAL;
	p9c_nochange(&st);
	st.length = (uint64_t)len;
	return wstat_loc(l, &st);
}

long chmod_loc(struct loc *l, int mode)
{
	struct p9_stat st, now;
	int rc = p9c_stat(loc_client(l), l->fid, &now);
	if (rc)
		return rc;
	p9c_nochange(&st);
	st.mode = (now.mode & ~(0777u | P9_DMSPECIAL)) |
		  perm_to_9p((uint32_t)mode & 07777);
	return wstat_loc(l, &st);
}

long file9p_stat(struct ofile *f, struct lx_stat *st)
{
	return stat_loc(&f->loc[0], st);
}

long file9p_wstat(struct ofile *f, const struct p9_stat *st)
{
	return wstat_loc(&f->loc[0], st);
}

long file9p_chmod(struct ofile *f, int mode)
{
	return chmod_loc(&f->loc[0], mode);
}

static long file_length(struct ofile *f, uint64_t *len)
{
	if (filemem_length(&f->loc[0], len) == 0)
		return 0; /* a file in memory: its state page says */
	struct p9_stat st;
	int rc = p9c_stat(loc_client(&f->loc[0]), f->loc[0].fid, &st);
	if (rc == 0)
		*len = st.length;
	return rc;
}

/* ---- moving bytes ---- */

/*
 * A piece by P9_READ or P9_WRITE (metta/proto.h): the bytes go straight
 * between the program's buffer and the server, no 9P message and no copy
 * of ours. -P9_ENOTSUP when 9P must do it: a server without the
 * operations (not asked again on that connection), or a read into a
 * buffer not all writable (the 9P path gives Linux's EFAULT rule).
 */
static long piece_direct(struct loc *l, uint8_t *buf, uint32_t k,
			 uint64_t off, int write)
{
	struct conn *c = l->c;
	if (c->no_direct || (!write && user_writable((uint64_t)buf, k)))
		return -P9_ENOTSUP;
	if (rt_take_intr())
		return -P9_EINTR;
	rt_unlock(); /* the server may hold it, as any request (ns.c) */
	long r = write ? p9_portal_write(c->slot, l->fid, off, buf, k)
		       : p9_portal_read(c->slot, l->fid, off, buf, k);
	rt_lock();
	if (r == -P9_ENOTSUP)
		c->no_direct = 1;
	return r;
}

/*
 * One 9P-sized piece at off, read into or written from buf: the bytes
 * moved, or an errno. Like Linux, a read needs somewhere to put only the
 * bytes that arrive: EFAULT otherwise.
 */
static long piece(struct ofile *f, uint8_t *buf, uint32_t k, uint64_t off,
		  int write)
{
	long r = piece_direct(&f->loc[0], buf, k, off, write);
	if (r != -P9_ENOTSUP)
		return r;
	struct p9c *c = loc_client(&f->loc[0]);
	if (write)
		return p9c_write(c, f->loc[0].fid, off, buf, k);
	const uint8_t *data;
	r = p9c_read_ref(c, f->loc[0].fid, off, k, &data);
	if (r > 0 && user_writable((uint64_t)buf, (uint64_t)r))
		return -P9_EFAULT;
	if (r > 0)
		memcpy(buf, data, (size_t)r);
	return r;
}

/*
 * n bytes at off in 9P-sized pieces; stops at a short piece (the end of a
 * file, or a line from the console). An error after some bytes moved
 * gives those bytes, as Linux does.
 */
long file9p_transfer(struct ofile *f, uint8_t *buf, uint64_t n, uint64_t off,
		     int write)
{
	uint32_t unit = p9c_iounit(loc_client(&f->loc[0]));
	uint64_t done = 0;
	while (done < n) {
		uint32_t k = n - done > unit ? unit : (uint32_t)(n - done);
		long r = piece(f, buf + done, k, off + done, write);
		if (r < 0)
			return done ? (long)done : r;
		done += (uint64_t)r;
		if ((uint32_t)r < k)
			break;
	}
	return (long)done;
}

long file_memory(int fd, uint32_t *mem, uint64_t *pages)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	if ((f->flags & LX_O_ACCMODE) == LX_O_WRONLY)
		return -P9_EACCES; /* Linux maps only what it may read */
	if (f->ops != &file9p_ops)
		return -P9_ENODEV;
	uint32_t slot = metta_slot_alloc();
	if (!slot)
		return -P9_ENOMEM;
	uint64_t w[4] = { P9_MEMORY, f->loc[0].fid };
	long rc = metta_request(f->loc[0].c->slot, w, 0, 0, 0, 0, 0, 0, slot);
	if (rc == STATUS_ERR_NOTSUP)
		return -P9_ENODEV; /* a server without the operation */
	if (rc)
		return -P9_EIO;
	if (w[1])
		return -(long)w[1];
	*mem = slot;
	*pages = w[2];
	return 0;
}

/* Reads go by filemem.c, which reads a file in memory from its pages
 * and the rest by file9p_transfer. */
static long file9p_pread(struct ofile *f, uint64_t ubuf, uint64_t n,
			 uint64_t off)
{
	return filemem_pread(f, ubuf, n, off);
}

static long file9p_pwrite(struct ofile *f, uint64_t ubuf, uint64_t n,
			  uint64_t off)
{
	return file9p_transfer(f, (uint8_t *)ubuf, n, off, 1);
}

static long file9p_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	long rc = file9p_pread(f, ubuf, n, f->offset);
	if (rc > 0)
		f->offset += (uint64_t)rc;
	return rc;
}

/* At the offset, or at the end with O_APPEND. */
static long file9p_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	uint64_t off = f->offset;
	long rc = (f->flags & LX_O_APPEND) ? file_length(f, &off) : 0;
	if (rc == 0)
		rc = file9p_pwrite(f, ubuf, n, off);
	if (rc > 0)
		f->offset = off + (uint64_t)rc;
	return rc;
}

static long file9p_seek(struct ofile *f, int64_t off, int whence)
{
	uint64_t base = 0;
	if (whence == LX_SEEK_CUR)
		base = f->offset;
	else if (whence == LX_SEEK_END) {
		long rc = file_length(f, &base);
		if (rc)
			return rc;
	} else if (whence != LX_SEEK_SET)
		return -P9_EINVAL;
	int64_t to = (int64_t)base + off;
	if (to < 0)
		return -P9_EINVAL;
	f->offset = (uint64_t)to;
	return to;
}

static long file9p_truncate(struct ofile *f, int64_t len)
{
	return truncate_loc(&f->loc[0], len);
}

/* stat(5): a wstat changing nothing asks the server to commit. */
static long file9p_sync(struct ofile *f)
{
	struct p9_stat st;
	p9c_nochange(&st);
	long rc = wstat_loc(&f->loc[0], &st);
	return rc == -P9_ENOTSUP ? 0 : rc;
}

/*
 * A file open only for reading is kept for its next open (opencache.c),
 * or clunked without waiting (its clunk
 * rides with the next batch to its server), where the server says such a
 * clunk changes nothing anyone sees: close then costs no round trip.
 */
static void file9p_close(struct ofile *f)
{
	if ((f->flags & LX_O_ACCMODE) != LX_O_RDONLY || f->nloc != 1)
		return; /* ofile_put clunks it now */
	if (ocache_close(f))
		return; /* kept for the next open of its path (opencache.c) */
	loc_clunk_later(&f->loc[0]);
	f->nloc = 0;
}

const struct file_ops file9p_ops = {
	.kind = "file",
	.close = file9p_close,
	.read = file9p_read,
	.write = file9p_write,
	.pread = file9p_pread,
	.pwrite = file9p_pwrite,
	.seek = file9p_seek,
	.stat = file9p_stat,
	.truncate = file9p_truncate,
	.chmod = file9p_chmod,
	.wstat = file9p_wstat,
	.sync = file9p_sync,
};

/* ---- streams: 9P files without offsets (pipes, the terminal) ---- */

/*
 * One read of a stream, the 9P offset carrying flags (PIPE_NOWAIT, the
 * caller's group): what the server has (a line, the bytes a pipe holds),
 * 0 at its end; by P9_READ where the server has it (a held read whose
 * caller gives up gives its bytes back to the server, as with Tflush).
 * The bytes are lost when ubuf cannot take them, as on Linux (by 9P).
 */
long stream_read(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t flags)
{
	struct p9c *c = loc_client(&f->loc[0]);
	uint32_t unit = p9c_iounit(c);
	uint32_t k = n > unit ? unit : (uint32_t)n;
	if (k == 0)
		return 0;
	long r = piece_direct(&f->loc[0], (uint8_t *)ubuf, k, flags, 0);
	if (r != -P9_ENOTSUP)
		return r;
	const uint8_t *data;
	r = p9c_read_ref(c, f->loc[0].fid, flags, k, &data);
	if (r > 0 && user_writable(ubuf, (uint64_t)r))
		return -P9_EFAULT;
	if (r > 0)
		memcpy((void *)ubuf, data, (size_t)r);
	return r;
}

/*
 * All n bytes, in pieces the server takes (a pipe takes each whole if at
 * most PIPE_BUF); without waiting, what went (EAGAIN if nothing did). An
 * error after some bytes went gives those bytes.
 */
long stream_write(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t flags)
{
	return stream_write_loc(&f->loc[0], ubuf, n, flags);
}

long stream_write_loc(struct loc *l, uint64_t ubuf, uint64_t n, uint64_t flags)
{
	struct p9c *c = loc_client(l);
	uint32_t unit = p9c_iounit(c);
	uint64_t done = 0;
	while (done < n) {
		uint32_t k = n - done > unit ? unit : (uint32_t)(n - done);
		long r = piece_direct(l, (uint8_t *)ubuf + done, k, flags, 1);
		if (r == -P9_ENOTSUP)
			r = p9c_write(c, l->fid, flags,
				      (const uint8_t *)ubuf + done, k);
		if (r <= 0)
			return done ? (long)done : (r ? r : -P9_EIO);
		done += (uint64_t)r;
	}
	return (long)done;
}
