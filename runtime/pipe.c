/*
 * Pipes: pipe and pipe2 over the pipe server (servers/pipe: a new pipe per
 * attach, `data` to read and `data1` to write). A read waits in the
 * server until bytes come or the last writer closes (0: end of file); a
 * write of up to PIPE_BUF bytes goes whole or waits; with O_NONBLOCK both
 * fail with EAGAIN instead (PIPE_NOWAIT in the offset). The ends are open
 * files like any other, so dup and close work, and an end stays open while
 * any descriptor names it.
 */
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define PIPE_SERVICE "pipe"

static uint64_t wait_flag(const struct ofile *f)
{
	return (f->flags & LX_O_NONBLOCK) ? PIPE_NOWAIT : 0;
}

/* One read: what the pipe has (at least a byte), 0 at its end. */
static long pipe_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return stream_read(f, ubuf, n, wait_flag(f));
}

static long pipe_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return stream_write(f, ubuf, n, wait_flag(f));
}

static long pipe_stat(struct ofile *f, struct lx_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = f->loc[0].qid.path;
	st->st_mode = LX_S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

/* An end is ready for what it was opened for: the read end asks the
 * server about bytes and writers (POLLHUP), the write end about room and
 * readers (POLLERR), whatever the events asked (Linux reports those). */
static int pipe_poll(struct ofile *f, int interest, int wait)
{
	int end =
	    (f->flags & LX_O_ACCMODE) == LX_O_WRONLY ? READY_OUT : READY_IN;
	if (wait && !(interest & end))
		return -P9_EAGAIN; /* nothing it could be held for */
	return ready_query(f, end, wait);
}

const struct file_ops pipe_ops = {
	.kind = "pipe",
	.read = pipe_read,
	.write = pipe_write,
	.stat = pipe_stat,
	.poll = pipe_poll,
};

/* One end: the file `name` of the pipe at dir, opened with mode. */
static struct ofile *open_end(struct loc *dir, const char *name, uint8_t mode,
			      int flags)
{
	struct loc end = { dir->c, loc_newfid(dir), { 0 } };
	const char *names[] = { name };
	struct p9c *c = loc_client(dir);
	if (p9c_walk(c, dir->fid, end.fid, 1, names, &end.qid) != 1)
		return 0;
	struct ofile *f = ofile_new(&pipe_ops);
	if (!f || p9c_open(c, end.fid, mode, 0)) {
		if (f)
			ofile_put(f);
		p9c_clunk(c, end.fid);
		return 0;
	}
	f->loc[0] = end;
	f->nloc = 1;
	f->flags = flags;
	strcpy(f->path, "pipe:");
	return f;
}

/* A new pipe's two ends: 0 or an errno (ENFILE when the server has no
 * room for another pipe or its fids). */
static long make_pipe(int nb, struct ofile **r, struct ofile **w)
{
	struct loc dir;
	long rc = ns_attach(PIPE_SERVICE, PIPE_ANAME, &dir);
	if (rc)
		return rc == -P9_ENOSPC || rc == -P9_EMFILE ? -P9_ENFILE : rc;
	*r = open_end(&dir, "data", P9_OREAD, LX_O_RDONLY | nb);
	*w = *r ? open_end(&dir, "data1", P9_OWRITE, LX_O_WRONLY | nb) : 0;
	loc_clunk(&dir);
	if (*w)
		return 0;
	if (*r)
		ofile_put(*r);
	return -P9_ENFILE;
}

static long do_pipe2(uint64_t ufds, uint64_t flags)
{
	if (flags & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK))
		return -P9_EINVAL;
	long rc = user_writable(ufds, 2 * sizeof(int));
	if (rc)
		return rc;
	int nb = (int)(flags & LX_O_NONBLOCK),
	    cloexec = !!(flags & LX_O_CLOEXEC);
	struct ofile *r, *w;
	rc = make_pipe(nb, &r, &w);
	if (rc == -P9_ENFILE && fd_sweep()) /* pipes held by the dead? */
		rc = make_pipe(nb, &r, &w);
	if (rc)
		return rc;
	int fr = fd_install(r, 0, cloexec);
	int fw = fr < 0 ? fr : fd_install(w, 0, cloexec);
	if (fw < 0) {
		if (fr >= 0)
			fd_set(fr, 0, 0);
		ofile_put(r);
		ofile_put(w);
		return fw;
	}
	((int *)ufds)[0] = fr;
	((int *)ufds)[1] = fw;
	return 0;
}

long sys_pipe(const uint64_t *a)
{
	return do_pipe2(a[0], 0);
}

long sys_pipe2(const uint64_t *a)
{
	return do_pipe2(a[0], a[1]);
}
