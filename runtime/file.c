/*
 * The calls on an open file: each checks the descriptor, the access mode
 * and the user's memory, then asks the file's kind (fd.h) to do it. A
 * kind without the operation gets the answer fd.h gives for it.
 */
#include <string/kstring.h>

#include "state.h"

static long readable(struct ofile *f)
{
	if (!f || (f->flags & LX_O_ACCMODE) == LX_O_WRONLY)
		return -P9_EBADF;
	return 0;
}

static long writable(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	if (!f || (f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -P9_EBADF;
	return user_readable(ubuf, n);
}

/* read/pread: at the file's offset (moving it) or at `at` (>= 0). */
static long do_read(int fd, uint64_t ubuf, uint64_t n, int64_t at)
{
	struct ofile *f = fd_get(fd);
	long rc = readable(f);
	if (rc)
		return rc;
	if (at < 0)
		return f->ops->read ? f->ops->read(f, ubuf, n) : -P9_EINVAL;
	return f->ops->pread ? f->ops->pread(f, ubuf, n, (uint64_t)at)
			     : -P9_ESPIPE;
}

static long do_write(int fd, uint64_t ubuf, uint64_t n, int64_t at)
{
	struct ofile *f = fd_get(fd);
	long rc = writable(f, ubuf, n);
	if (rc)
		return rc;
	if (at < 0)
		return f->ops->write ? f->ops->write(f, ubuf, n) : -P9_EINVAL;
	return f->ops->pwrite ? f->ops->pwrite(f, ubuf, n, (uint64_t)at)
			      : -P9_ESPIPE;
}

long sys_read(const uint64_t *a)
{
	return do_read((int)a[0], a[1], a[2], -1);
}

long sys_write(const uint64_t *a)
{
	return do_write((int)a[0], a[1], a[2], -1);
}

long sys_pread64(const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return fd_get((int)a[0]) ? -P9_EINVAL : -P9_EBADF;
	return do_read((int)a[0], a[1], a[2], (int64_t)a[3]);
}

long sys_pwrite64(const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return fd_get((int)a[0]) ? -P9_EINVAL : -P9_EBADF;
	return do_write((int)a[0], a[1], a[2], (int64_t)a[3]);
}

static long do_iov(int fd, uint64_t uiov, int64_t cnt, int write)
{
	if (cnt < 0 || cnt > 1024)
		return -P9_EINVAL;
	long rc = user_readable(uiov, (uint64_t)cnt * sizeof(struct lx_iovec));
	if (rc)
		return rc;
	const struct lx_iovec *iov = (const struct lx_iovec *)uiov;
	long total = 0;
	for (int64_t i = 0; i < cnt; i++) {
		if (iov[i].len == 0)
			continue;
		long r = write ? do_write(fd, iov[i].base, iov[i].len, -1)
			       : do_read(fd, iov[i].base, iov[i].len, -1);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < iov[i].len)
			break;
	}
	return total;
}

long sys_readv(const uint64_t *a)
{
	return do_iov((int)a[0], a[1], (int64_t)a[2], 0);
}

long sys_writev(const uint64_t *a)
{
	return do_iov((int)a[0], a[1], (int64_t)a[2], 1);
}

long file_pread_into(int fd, void *buf, uint64_t n, uint64_t off)
{
	struct ofile *f = fd_get(fd);
	long rc = readable(f);
	if (rc)
		return rc;
	if (f->ops != &file9p_ops)
		return -P9_EACCES; /* Linux: mmap of what is not a file */
	return file9p_transfer(f, buf, n, off, 0);
}

long sys_lseek(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	return f->ops->seek ? f->ops->seek(f, (int64_t)a[1], (int)a[2])
			    : -P9_ESPIPE;
}

long sys_fstat(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	struct lx_stat st;
	if (!f)
		return -P9_EBADF;
	long rc = user_writable(a[1], sizeof(st));
	if (rc == 0 && (rc = f->ops->stat(f, &st)) == 0)
		memcpy((void *)a[1], &st, sizeof(st));
	return rc;
}

long sys_getdents64(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	if (!f->ops->getdents)
		return -P9_ENOTDIR;
	long rc = user_writable(a[1], a[2]);
	return rc ? rc : f->ops->getdents(f, a[1], a[2]);
}

long sys_ftruncate(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	if (!f->ops->truncate || (f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -P9_EINVAL;
	return f->ops->truncate(f, (int64_t)a[1]);
}

long sys_fchmod(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	return f->ops->chmod ? f->ops->chmod(f, (int)a[1]) : -P9_EINVAL;
}

long sys_fsync(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	return f->ops->sync ? f->ops->sync(f) : 0;
}

long sys_ioctl(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	return f->ops->ioctl ? f->ops->ioctl(f, a[1], a[2]) : -P9_ENOTTY;
}

#define MAX_RW_COUNT 0x7ffff000 /* Linux's: most one call moves */

/*
 * sendfile: count bytes from in (at *offset, which moves, or at its own
 * offset) to out, through a buffer mapped in the program's memory for the
 * call, so every kind's read and write take it as they take the
 * program's. Linux's order of checks; an error after some bytes went
 * gives those bytes.
 */
#define SENDFILE_BUF 65536

/*
 * count bytes from in to out through buf (in the program's memory), each
 * at *inoff / *outoff when given (moved by what went) or at its file's
 * offset: the bytes moved, or an errno when none did.
 */
static long send_pieces(int out, int in, uint64_t buf, int64_t *inoff,
			int64_t *outoff, uint64_t count)
{
	uint64_t done = 0;
	while (done < count) {
		uint64_t k =
		    count - done < SENDFILE_BUF ? count - done : SENDFILE_BUF;
		long r = do_read(in, buf, k, inoff ? *inoff : -1);
		if (r <= 0)
			return done ? (long)done : r;
		long w = do_write(out, buf, (uint64_t)r, outoff ? *outoff : -1);
		if (w < 0)
			return done ? (long)done : w;
		if (inoff)
			*inoff += w;
		else if (w < r && fd_get(in)->ops->seek)
			fd_get(in)->ops->seek(fd_get(in), w - r, LX_SEEK_CUR);
		if (outoff)
			*outoff += w;
		done += (uint64_t)w;
		if (w < r || (uint64_t)r < k)
			break;
	}
	return (long)done;
}

/* send_pieces through a buffer mapped for the call. */
static long send_mapped(int out, int in, int64_t *inoff, int64_t *outoff,
			uint64_t count)
{
	uint64_t m[6] = { 0,
			  SENDFILE_BUF,
			  LX_PROT_READ | LX_PROT_WRITE,
			  LX_MAP_PRIVATE | LX_MAP_ANONYMOUS,
			  (uint64_t)-1,
			  0 };
	long buf = sys_mmap(m);
	if (buf < 0)
		return buf;
	long rc = send_pieces(out, in, (uint64_t)buf, inoff, outoff, count);
	uint64_t u[2] = { (uint64_t)buf, SENDFILE_BUF };
	sys_munmap(u);
	return rc;
}

/* An offset the program passes by pointer (uoff, 0: none) into *off. */
static long user_offset(uint64_t uoff, int64_t *off)
{
	if (uoff && (user_readable(uoff, 8) || user_writable(uoff, 8)))
		return -P9_EFAULT;
	*off = uoff ? *(const int64_t *)uoff : 0;
	return 0;
}

static long do_sendfile(int out, int in, uint64_t uoff, uint64_t count)
{
	int64_t off;
	if (user_offset(uoff, &off))
		return -P9_EFAULT;
	struct ofile *fi = fd_get(in), *fo = fd_get(out);
	if (readable(fi))
		return -P9_EBADF;
	if (uoff && !fi->ops->pread)
		return -P9_ESPIPE;
	if (off < 0)
		return -P9_EINVAL;
	if (!fo || (fo->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -P9_EBADF;
	if (fo->flags & LX_O_APPEND)
		return -P9_EINVAL;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	if (count == 0)
		return 0;
	long rc = send_mapped(out, in, uoff ? &off : 0, 0, count);
	if (uoff)
		*(int64_t *)uoff = off;
	return rc;
}

long sys_sendfile(const uint64_t *a)
{
	return do_sendfile((int)a[0], (int)a[1], a[2], a[3]);
}

/*
 * copy_file_range: between two regular files, through reads and writes
 * (send_pieces); each side at its pointer's offset, or its file's.
 * Linux's checks in Linux's order: descriptors, offsets, flags, kinds,
 * access, then a copy within one file must not overlap itself.
 */
static long copy_checks(struct ofile *fi, struct ofile *fo)
{
	if (fi->ops == &dir_ops || fo->ops == &dir_ops)
		return -P9_EISDIR;
	if (fi->ops != &file9p_ops || fo->ops != &file9p_ops)
		return -P9_EINVAL;
	if (readable(fi) || (fo->flags & LX_O_ACCMODE) == LX_O_RDONLY ||
	    (fo->flags & LX_O_APPEND))
		return -P9_EBADF;
	return 0;
}

/* The count left once shortened to in's end; EINVAL for a copy onto
 * itself that overlaps. */
static long copy_count(struct ofile *fi, struct ofile *fo, int64_t pin,
		       int64_t pout, uint64_t *count)
{
	struct lx_stat si, so;
	long rc = fi->ops->stat(fi, &si);
	if (rc || (rc = fo->ops->stat(fo, &so)))
		return rc;
	uint64_t left = pin >= si.st_size ? 0 : (uint64_t)(si.st_size - pin);
	if (*count > left)
		*count = left;
	if (si.st_ino == so.st_ino && si.st_dev == so.st_dev &&
	    (uint64_t)pout + *count > (uint64_t)pin &&
	    (uint64_t)pout < (uint64_t)pin + *count)
		return -P9_EINVAL;
	return 0;
}

static long do_copy_file_range(int in, uint64_t uin, int out, uint64_t uout,
			       uint64_t count, uint64_t flags)
{
	struct ofile *fi = fd_get(in), *fo = fd_get(out);
	int64_t pin, pout;
	if (!fi || !fo)
		return -P9_EBADF;
	if (user_offset(uin, &pin) || user_offset(uout, &pout))
		return -P9_EFAULT;
	if (!uin)
		pin = (int64_t)fi->offset;
	if (!uout)
		pout = (int64_t)fo->offset;
	if (flags)
		return -P9_EINVAL;
	long rc = copy_checks(fi, fo);
	if (rc)
		return rc;
	if (pin < 0 || pout < 0)
		return -P9_EINVAL;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	if ((rc = copy_count(fi, fo, pin, pout, &count)) || count == 0)
		return rc;
	rc = send_mapped(out, in, &pin, &pout, count);
	if (rc > 0) {
		if (uin)
			*(int64_t *)uin = pin;
		else
			fi->offset = (uint64_t)pin;
		if (uout)
			*(int64_t *)uout = pout;
		else
			fo->offset = (uint64_t)pout;
	}
	return rc;
}

long sys_copy_file_range(const uint64_t *a)
{
	return do_copy_file_range((int)a[0], a[1], (int)a[2], a[3], a[4], a[5]);
}

long sys_fstatfs(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	return statfs_loc(f->nloc ? &f->loc[0] : 0, a[1]);
}

/*
 * fallocate: mode 0 only (the others are EOPNOTSUPP, as on a Linux file
 * system without them): a file shorter than offset + len grows to it
 * with zeros written, so its pages are the server's before the call
 * returns (ENOSPC now, not at a later write; the file is as it was).
 */
#define FALLOC_ZEROS 16384

static long grow_with_zeros(struct ofile *f, uint64_t from, uint64_t to)
{
	static const uint8_t zeros[FALLOC_ZEROS];
	for (uint64_t at = from; at < to;) {
		uint64_t k = to - at < FALLOC_ZEROS ? to - at : FALLOC_ZEROS;
		long w = file9p_transfer(f, (uint8_t *)zeros, k, at, 1);
		if (w <= 0) {
			f->ops->truncate(f, (int64_t)from);
			return w < 0 ? w : -P9_ENOSPC;
		}
		at += (uint64_t)w;
	}
	return 0;
}

/* Whether f's server has room for n more bytes, as its Tstatfs says (a
 * server that keeps no count may have): so a size far beyond it fails at
 * once rather than after writing all it has. */
static int room_for(struct ofile *f, uint64_t n)
{
	struct p9_statfs sf;
	if (p9c_statfs(loc_client(&f->loc[0]), f->loc[0].fid, &sf) ||
	    sf.bsize == 0)
		return 1;
	return n / sf.bsize <= sf.bavail;
}

static long do_fallocate(int fd, int mode, int64_t off, int64_t len)
{
	struct ofile *f = fd_get(fd);
	struct lx_stat st;
	if (!f)
		return -P9_EBADF;
	if (off < 0 || len <= 0)
		return -P9_EINVAL;
	if (mode)
		return -P9_ENOTSUP;
	if ((f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -P9_EBADF;
	if (f->ops == &pipe_ops)
		return -P9_ESPIPE;
	if (f->ops == &dir_ops)
		return -P9_EISDIR;
	if (f->ops != &file9p_ops)
		return -P9_ENODEV;
	if (off + len < 0)
		return -P9_EFBIG;
	long rc = f->ops->stat(f, &st);
	if (rc || st.st_size >= off + len)
		return rc;
	if (!room_for(f, (uint64_t)(off + len - st.st_size)))
		return -P9_ENOSPC;
	return grow_with_zeros(f, (uint64_t)st.st_size, (uint64_t)(off + len));
}

long sys_fallocate(const uint64_t *a)
{
	return do_fallocate((int)a[0], (int)a[1], (int64_t)a[2], (int64_t)a[3]);
}

/* fadvise64: advice taken and nothing done (no page cache here to act
 * on); a pipe is ESPIPE, an unknown advice EINVAL, as on Linux. */
#define POSIX_FADV_NOREUSE 5

long sys_fadvise64(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	if (f->ops == &pipe_ops)
		return -P9_ESPIPE;
	if ((int)a[3] < 0 || (int)a[3] > POSIX_FADV_NOREUSE)
		return -P9_EINVAL;
	return 0;
}

/* readahead: accepted for a regular file open for reading (nothing to
 * read ahead into); EBADF, else EINVAL for what is no regular file. */
long sys_readahead(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (readable(f))
		return -P9_EBADF;
	return f->ops == &file9p_ops ? 0 : -P9_EINVAL;
}

/* Standard input, output and error: the console, as the namespace has it. */
void fd_init(void)
{
	static const char cons[] = "/dev/cons";
	if (fd_table_init())
		return;
	struct ofile *f = ofile_new(&tty_ops);
	int n = f ? ns_walk_union(cons, f->loc, 1) : -P9_ENFILE;
	if (n > 0) {
		f->nloc = 1;
		strcpy(f->path, cons);
		f->flags = LX_O_RDWR;
		if (p9c_open(loc_client(&f->loc[0]), f->loc[0].fid, P9_ORDWR,
			     0) == 0) {
			fd_install(f, 0, 0);
			for (int fd = 1; fd <= 2; fd++)
				if (fd_install(f, fd, 0) == fd)
					ofile_hold(f);
			return;
		}
	}
	rt_log("no %s: standard input and output are closed", cons);
	if (f)
		ofile_put(f);
}
