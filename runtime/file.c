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

/*
 * fadvise64: advice about how a file will be read. Metta keeps no page
 * cache to prefetch into or drop, so valid advice is taken and changes
 * nothing; the errors are Linux's (generic_fadvise), in its order: a bad
 * descriptor, a pipe or FIFO (ESPIPE), a negative length or an unknown
 * advice (EINVAL).
 */
long sys_fadvise64(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	if (f->ops == &pipe_ops)
		return -P9_ESPIPE;
	if ((int64_t)a[2] < 0 || (uint32_t)a[3] > LX_POSIX_FADV_MAX)
		return -P9_EINVAL;
	return 0;
}

/*
 * sendfile: count bytes from in (at *offset, which moves, or at its own
 * offset) to out, through a buffer mapped in the program's memory for the
 * call, so every kind's read and write take it as they take the
 * program's. Linux's order of checks; an error after some bytes went
 * gives those bytes.
 */
#define SENDFILE_BUF 65536

static long send_pieces(int out, int in, uint64_t buf, int64_t *off,
			uint64_t count)
{
	uint64_t done = 0;
	while (done < count) {
		uint64_t k =
		    count - done < SENDFILE_BUF ? count - done : SENDFILE_BUF;
		long r = do_read(in, buf, k, off ? *off : -1);
		if (r <= 0)
			return done ? (long)done : r;
		long w = do_write(out, buf, (uint64_t)r, -1);
		if (w < 0)
			return done ? (long)done : w;
		if (off)
			*off += w;
		else if (w < r && fd_get(in)->ops->seek)
			fd_get(in)->ops->seek(fd_get(in), w - r, LX_SEEK_CUR);
		done += (uint64_t)w;
		if (w < r || (uint64_t)r < k)
			break;
	}
	return (long)done;
}

static long do_sendfile(int out, int in, uint64_t uoff, uint64_t count)
{
	int64_t off = 0;
	if (uoff && (user_readable(uoff, 8) || user_writable(uoff, 8)))
		return -P9_EFAULT;
	if (uoff)
		off = *(const int64_t *)uoff;
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
	if (count > 0x7ffff000)
		count = 0x7ffff000; /* Linux's MAX_RW_COUNT */
	if (count == 0)
		return 0;
	uint64_t m[6] = { 0,
			  SENDFILE_BUF,
			  LX_PROT_READ | LX_PROT_WRITE,
			  LX_MAP_PRIVATE | LX_MAP_ANONYMOUS,
			  (uint64_t)-1,
			  0 };
	long buf = sys_mmap(m);
	if (buf < 0)
		return buf;
	long rc = send_pieces(out, in, (uint64_t)buf, uoff ? &off : 0, count);
	uint64_t u[2] = { (uint64_t)buf, SENDFILE_BUF };
	sys_munmap(u);
	if (uoff)
		*(int64_t *)uoff = off;
	return rc;
}

long sys_sendfile(const uint64_t *a)
{
	return do_sendfile((int)a[0], (int)a[1], a[2], a[3]);
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
