/* Open files and descriptors: see fd.h. */
#include <string/kstring.h>

#include "fd.h"

static struct ofile files[MAX_FILES];
static struct {
	struct ofile *f;
	int cloexec;
} fds[MAX_FDS];

struct ofile *fd_get(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return 0;
	return fds[fd].f;
}

struct ofile *ofile_new(void)
{
	for (int i = 0; i < MAX_FILES; i++) {
		if (!files[i].refs) {
			memset(&files[i], 0, sizeof(files[i]));
			files[i].refs = 1;
			return &files[i];
		}
	}
	return 0;
}

void ofile_put(struct ofile *f)
{
	if (--f->refs > 0)
		return;
	for (int i = 0; i < f->nloc; i++)
		loc_clunk(&f->loc[i]);
	if (f->buf)
		dirbuf_put(f->buf);
	f->buf = 0;
	if (f->chan)
		chan_close(f);
}

int fd_install(struct ofile *f, int min, int cloexec)
{
	for (int fd = min < 0 ? 0 : min; fd < MAX_FDS; fd++) {
		if (!fds[fd].f) {
			fds[fd].f = f;
			fds[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -LX_EMFILE;
}

static long do_close(int fd)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	fds[fd].f = 0;
	ofile_put(f);
	return 0;
}

static long do_dup(int fd, int min, int cloexec)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	int nfd = fd_install(f, min, cloexec);
	if (nfd >= 0)
		f->refs++;
	return nfd;
}

/* dup2 and dup3: newfd is closed first, quietly, unless it is oldfd. */
static long do_dup3(int oldfd, int newfd, int flags, int is_dup3)
{
	struct ofile *f = fd_get(oldfd);
	if (!f)
		return -LX_EBADF;
	if (newfd < 0 || newfd >= MAX_FDS)
		return -LX_EBADF;
	if ((flags & ~LX_O_CLOEXEC) || (is_dup3 && oldfd == newfd))
		return -LX_EINVAL;
	if (oldfd == newfd)
		return newfd;
	do_close(newfd);
	fds[newfd].f = f;
	fds[newfd].cloexec = !!(flags & LX_O_CLOEXEC);
	f->refs++;
	return newfd;
}

static long do_fcntl(int fd, int cmd, uint64_t arg)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	switch (cmd) {
	case LX_F_DUPFD:
	case LX_F_DUPFD_CLOEXEC:
		if ((int64_t)arg < 0 || arg >= MAX_FDS)
			return -LX_EINVAL;
		return do_dup(fd, (int)arg, cmd == LX_F_DUPFD_CLOEXEC);
	case LX_F_GETFD:
		return fds[fd].cloexec ? LX_FD_CLOEXEC : 0;
	case LX_F_SETFD:
		fds[fd].cloexec = arg & LX_FD_CLOEXEC;
		return 0;
	case LX_F_GETFL:
		return f->flags;
	case LX_F_SETFL:
		/* Only these may change; the access mode stays. */
		f->flags = (f->flags & LX_O_ACCMODE) |
			   ((int)arg & (LX_O_APPEND | LX_O_NONBLOCK));
		return 0;
	}
	return -LX_EINVAL;
}

long fd_call(struct rt_call *c, int *handled)
{
	uint64_t *a = c->a;
	*handled = 1;
	switch (c->nr) {
	case LX_close:
		return do_close((int)a[0]);
	case LX_dup:
		return do_dup((int)a[0], 0, 0);
	case LX_dup2:
		return do_dup3((int)a[0], (int)a[1], 0, 0);
	case LX_dup3:
		return do_dup3((int)a[0], (int)a[1], (int)a[2], 1);
	case LX_fcntl:
		return do_fcntl((int)a[0], (int)a[1], a[2]);
	}
	*handled = 0;
	return 0;
}
