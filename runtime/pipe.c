/*
 * Pipes: pipe and pipe2 over the pipe server (servers/pipe: a new pipe per
 * attach, `data` to read and `data1` to write). A read waits in the
 * server until bytes come or the last writer closes (0: end of file); a
 * write of up to PIPE_BUF bytes goes whole or waits; with O_NONBLOCK both
 * fail with EAGAIN instead (PIPE_NOWAIT in the offset). The ends are open
 * files like any other, so dup and close work, and an end stays open while
 * any descriptor names it.
 *
 * FIFOs (files whose stat has DMNAMEDPIPE) open as the pipe server's named
 * pipe for the file (fifo_open); its file stays at loc[1] for fstat.
 */
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

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
	if (f->nloc > 1)
		return stat_loc(&f->loc[1], st); /* a FIFO: its file's */
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
	int acc = f->flags & LX_O_ACCMODE;
	int end = acc == LX_O_WRONLY ? READY_OUT
		  : acc == LX_O_RDWR ? READY_IN | READY_OUT
				     : READY_IN;
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

long pipe_walk_open(struct loc *dir, const char *name, uint8_t mode,
		      struct loc *end)
{
	const char *names[] = { name };
	struct p9c *c = loc_client(dir);
	*end = (struct loc){ dir->c, loc_newfid(dir), { 0 } };
	if (p9c_walk(c, dir->fid, end->fid, 1, names, &end->qid) != 1)
		return -P9_ENOENT;
	long rc = p9c_open(c, end->fid, mode, 0);
	if (rc)
		p9c_clunk(c, end->fid);
	return rc;
}

/* One end: the file `name` of the pipe at dir, opened with mode. */
static struct ofile *open_end(struct loc *dir, const char *name, uint8_t mode,
			      int flags)
{
	struct loc end;
	struct ofile *f = ofile_new(&pipe_ops);
	if (!f || pipe_walk_open(dir, name, mode, &end)) {
		if (f)
			ofile_put(f);
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

void pipe_name_of(const struct loc *l, char *out, size_t cap)
{
	fmt_snprintf(out, cap, "%s:%llx", loc_service(l),
		     (unsigned long long)l->qid.path);
}

/*
 * Opens f, whose loc[0] is a FIFO, as a pipe: the pipe server's named pipe
 * "fifo:SERVICE:QIDPATH" (the file server's name in `names` and the file's
 * qid path: the same for every process that opens the file), `data` for
 * reading, `data1` for writing, `data` for both with O_RDWR (Linux's:
 * never waits, a reader and a writer at once). The open does not wait for
 * the other end (the server holds the first reads and writes instead),
 * but O_WRONLY|O_NONBLOCK with no reader is ENXIO, as on Linux.
 */
long fifo_open(struct ofile *f, int flags)
{
	char aname[sizeof(FIFO_ANAME) + FIFO_NAME_MAX];
	struct loc dir, end;
	int acc = flags & LX_O_ACCMODE;
	strcpy(aname, FIFO_ANAME);
	pipe_name_of(&f->loc[0], aname + strlen(aname),
		     sizeof(aname) - strlen(aname));
	long rc = ns_attach(PIPE_SERVICE, aname, &dir);
	if (rc)
		return rc == -P9_ENOSPC ? -P9_ENFILE : rc;
	rc = pipe_walk_open(&dir, acc == LX_O_WRONLY ? "data1" : "data",
		       acc == LX_O_WRONLY ? P9_OWRITE
		       : acc == LX_O_RDWR ? P9_ORDWR
					  : P9_OREAD,
		       &end);
	loc_clunk(&dir);
	if (rc)
		return rc;
	f->loc[1] = f->loc[0];
	f->loc[0] = end;
	f->nloc = 2;
	f->ops = &pipe_ops;
	if (acc != LX_O_WRONLY || !(flags & LX_O_NONBLOCK))
		return 0;
	int ready = ready_query(f, READY_OUT, 0);
	if (ready < 0)
		return ready;
	return ready & READY_ERR ? -P9_ENXIO : 0; /* the caller closes f */
}

long sys_pipe(const uint64_t *a)
{
	return do_pipe2(a[0], 0);
}

long sys_pipe2(const uint64_t *a)
{
	return do_pipe2(a[0], a[1]);
}
