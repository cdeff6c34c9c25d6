/* Open files and descriptors: see fd.h. */
#include <string/kstring.h>

#include "state.h"

struct ofile *fd_get(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return 0;
	return rt.fds[fd].f;
}

/* The table is shared by forked processes (state.h): an entry is taken
 * by moving its count from 0 to 1 atomically. */
struct ofile *ofile_new(const struct file_ops *ops)
{
	for (int i = 0; i < MAX_FILES; i++) {
		struct ofile *f = &rt_shared->files[i];
		int zero = 0;
		if (f->refs == 0 &&
		    __atomic_compare_exchange_n(&f->refs, &zero, -1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			/* -1 while it is being set up: not free, not used. */
			memset((char *)f + sizeof(f->refs), 0,
			       sizeof(*f) - sizeof(f->refs));
			f->ops = ops;
			__atomic_store_n(&f->refs, 1, __ATOMIC_RELEASE);
			return f;
		}
	}
	return 0;
}

void ofile_hold(struct ofile *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void ofile_put(struct ofile *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	__atomic_store_n(&f->refs, -1, __ATOMIC_RELAXED); /* closing */
	if (f->ops->close)
		f->ops->close(f);
	for (int i = 0; i < f->nloc; i++)
		loc_clunk(&f->loc[i]);
	f->nloc = 0;
	__atomic_store_n(&f->refs, 0, __ATOMIC_RELEASE);
}

int fd_install(struct ofile *f, int min, int cloexec)
{
	for (int fd = min < 0 ? 0 : min; fd < MAX_FDS; fd++) {
		if (!rt.fds[fd].f) {
			rt.fds[fd].f = f;
			rt.fds[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -P9_EMFILE;
}

void fd_close_all(void)
{
	for (int fd = 0; fd < MAX_FDS; fd++) {
		struct ofile *f = rt.fds[fd].f;
		rt.fds[fd].f = 0;
		if (f)
			ofile_put(f);
	}
}

static long do_close(int fd)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	rt.fds[fd].f = 0;
	ofile_put(f);
	return 0;
}

static long do_dup(int fd, int min, int cloexec)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	int nfd = fd_install(f, min, cloexec);
	if (nfd >= 0)
		ofile_hold(f);
	return nfd;
}

/* dup2 and dup3: newfd is closed first, quietly, unless it is oldfd. */
static long do_dup3(int oldfd, int newfd, int flags, int is_dup3)
{
	struct ofile *f = fd_get(oldfd);
	if (!f)
		return -P9_EBADF;
	if (newfd < 0 || newfd >= MAX_FDS)
		return -P9_EBADF;
	if ((flags & ~LX_O_CLOEXEC) || (is_dup3 && oldfd == newfd))
		return -P9_EINVAL;
	if (oldfd == newfd)
		return newfd;
	do_close(newfd);
	rt.fds[newfd].f = f;
	rt.fds[newfd].cloexec = !!(flags & LX_O_CLOEXEC);
	ofile_hold(f);
	return newfd;
}

static long do_fcntl(int fd, int cmd, uint64_t arg)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	switch (cmd) {
	case LX_F_DUPFD:
	case LX_F_DUPFD_CLOEXEC:
		if ((int64_t)arg < 0 || arg >= MAX_FDS)
			return -P9_EINVAL;
		return do_dup(fd, (int)arg, cmd == LX_F_DUPFD_CLOEXEC);
	case LX_F_GETFD:
		return rt.fds[fd].cloexec ? LX_FD_CLOEXEC : 0;
	case LX_F_SETFD:
		rt.fds[fd].cloexec = arg & LX_FD_CLOEXEC;
		return 0;
	case LX_F_GETFL:
		return f->flags;
	case LX_F_SETFL:
		/* Only these may change; the access mode stays. */
		f->flags = (f->flags & LX_O_ACCMODE) |
			   ((int)arg & (LX_O_APPEND | LX_O_NONBLOCK));
		return 0;
	}
	return -P9_EINVAL;
}

long sys_close(const uint64_t *a)
{
	return do_close((int)a[0]);
}

long sys_dup(const uint64_t *a)
{
	return do_dup((int)a[0], 0, 0);
}

long sys_dup2(const uint64_t *a)
{
	return do_dup3((int)a[0], (int)a[1], 0, 0);
}

long sys_dup3(const uint64_t *a)
{
	return do_dup3((int)a[0], (int)a[1], (int)a[2], 1);
}

long sys_fcntl(const uint64_t *a)
{
	return do_fcntl((int)a[0], (int)a[1], a[2]);
}
