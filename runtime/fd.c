/* Open files and descriptors: see fd.h. */
#include <string/kstring.h>

#include "state.h"

static struct ofile *slot_file(const struct fd_slot *s)
{
	return s->file ? &rt_shared->files[s->file - 1] : 0;
}

struct ofile *fd_get(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return 0;
	return slot_file(&rt.fdt->fds[fd]);
}

void fd_set(int fd, struct ofile *f, int cloexec)
{
	rt.fdt->fds[fd] = (struct fd_slot){
		f ? (uint8_t)(f - rt_shared->files + 1) : 0, (uint8_t)!!cloexec
	};
}

int fd_cloexec(int fd)
{
	return rt.fdt->fds[fd].cloexec;
}


/* A shared entry is taken by moving its word from `from` to a busy mark
 * atomically: one process wins. */
static int take(int *word, int from, int busy)
{
	return __atomic_compare_exchange_n(word, &from, busy, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* The table is shared by forked processes (state.h): an entry is taken
 * by moving its count from 0 to -1 (being set up) atomically; when none
 * is free, the files of processes gone without their runtime are let go
 * first. */
struct ofile *ofile_new(const struct file_ops *ops)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < MAX_FILES; i++) {
			struct ofile *f = &rt_shared->files[i];
			if (f->refs != 0 || !take(&f->refs, 0, -1))
				continue;
			memset((char *)f + sizeof(f->refs), 0,
			       sizeof(*f) - sizeof(f->refs));
			f->ops = ops;
			__atomic_store_n(&f->refs, 1, __ATOMIC_RELEASE);
			return f;
		}
		if (!fd_sweep())
			break;
	}
	return 0;
}

void ofile_hold(struct ofile *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

/*
 * The last reference goes straight from 1 to -1 (closing), never through
 * 0: at 0 the entry is free, and another process's ofile_new could take
 * it while this one still closes it (two files in one entry).
 */
void ofile_put(struct ofile *f)
{
	int r = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&f->refs, &r, r == 1 ? -1 : r - 1,
					    0, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED))
		;
	if (r != 1)
		return;
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
		if (!rt.fdt->fds[fd].file) {
			fd_set(fd, f, cloexec);
			return fd;
		}
	}
	return -P9_EMFILE;
}

/* ---- descriptor tables (state.h) ---- */

/* Closes every descriptor of t, which is ours to change. */
static void table_close(struct fd_table *t)
{
	for (int fd = 0; fd < MAX_FDS; fd++) {
		struct ofile *f = slot_file(&t->fds[fd]);
		t->fds[fd] = (struct fd_slot){ 0, 0 };
		if (f)
			ofile_put(f);
	}
	ocache_table_close(t->parked);
}

/* A free table, claimed for owner with no descriptor open: 0 if none. */
static struct fd_table *table_claim(int32_t owner)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < MAX_FD_TABLES; i++) {
			struct fd_table *t = &rt_shared->tables[i];
			if (t->owner != FDT_FREE ||
			    !take(&t->owner, FDT_FREE, FDT_BUSY))
				continue;
			memset(t->fds, 0, sizeof(t->fds));
			memset(t->parked, 0, sizeof(t->parked));
			t->affinity = 0;
			__atomic_store_n(&t->owner, owner, __ATOMIC_RELEASE);
			return t;
		}
		if (!fd_sweep())
			break;
	}
	return 0;
}

/* Lets go of t's files and frees it, if it is still owner's: 1 when this
 * call did (several processes may try at once). */
static int table_release(struct fd_table *t, int32_t owner)
{
	if (owner == FDT_FREE || owner == FDT_BUSY ||
	    !take(&t->owner, owner, FDT_BUSY))
		return 0;
	table_close(t);
	__atomic_store_n(&t->owner, FDT_FREE, __ATOMIC_RELEASE);
	return 1;
}

/* The tables of processes that ended without their runtime (they no
 * longer exist), freed: how many. Asked only when tables or open files
 * run out, so a process server call per table is cheap enough. */
int fd_sweep(void)
{
	int n = 0;
	long me = rt_getpid();
	for (int i = 0; i < MAX_FD_TABLES; i++) {
		struct fd_table *t = &rt_shared->tables[i];
		int32_t o = __atomic_load_n(&t->owner, __ATOMIC_ACQUIRE);
		if (o > 0 && o != me && rt_kill(o, 0) == -P9_ESRCH)
			n += table_release(t, o);
	}
	return n;
}

struct fd_table *fd_fork(long pid)
{
	if (rt.fdt->owner == FDT_ALONE) /* others may now look for us */
		__atomic_store_n(&rt.fdt->owner, (int32_t)rt_getpid(),
				 __ATOMIC_RELEASE);
	struct fd_table *t = table_claim((int32_t)pid);
	if (!t)
		return 0;
	for (int fd = 0; fd < MAX_FDS; fd++) {
		struct ofile *f = fd_get(fd);
		if (f)
			ofile_hold(f);
		t->fds[fd] = rt.fdt->fds[fd];
	}
	t->affinity = rt.fdt->affinity;
	return t;
}

uint64_t *fd_affinity(long pid)
{
	if (pid == 0 || pid == rt_getpid())
		return &rt.fdt->affinity;
	for (int i = 0; pid > 0 && i < MAX_FD_TABLES; i++)
		if (__atomic_load_n(&rt_shared->tables[i].owner,
				    __ATOMIC_ACQUIRE) == (int32_t)pid)
			return &rt_shared->tables[i].affinity;
	return 0;
}

void fd_reap(long pid)
{
	for (int i = 0; pid > 0 && i < MAX_FD_TABLES; i++)
		if (rt_shared->tables[i].owner == (int32_t)pid)
			table_release(&rt_shared->tables[i], (int32_t)pid);
}

/* The end of the process: every descriptor closed, the table freed. */
void fd_close_all(void)
{
	if (!rt.fdt)
		return;
	table_close(rt.fdt);
	ns_flush_later(); /* the clunks that waited: nothing stays open */
	__atomic_store_n(&rt.fdt->owner, FDT_FREE, __ATOMIC_RELEASE);
	rt.fdt = 0;
}

/* A new process's table: the first of its new shared state. */
int fd_table_init(void)
{
	rt.fdt = table_claim(FDT_ALONE);
	return rt.fdt ? 0 : -P9_ENFILE;
}

static long do_close(int fd)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	fd_set(fd, 0, 0);
	ofile_put(f);
	return 0;
}

long fd_dup(int fd, int min, int cloexec)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_EBADF;
	ofile_hold(f); /* first: a table never names a file it holds no
			* reference of, whenever the process is killed */
	int nfd = fd_install(f, min, cloexec);
	if (nfd < 0)
		ofile_put(f);
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
	ofile_hold(f);
	fd_set(newfd, f, flags & LX_O_CLOEXEC);
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
		return fd_dup(fd, (int)arg, cmd == LX_F_DUPFD_CLOEXEC);
	case LX_F_GETFD:
		return fd_cloexec(fd) ? LX_FD_CLOEXEC : 0;
	case LX_F_SETFD:
		fd_set(fd, f, arg & LX_FD_CLOEXEC);
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
	return fd_dup((int)a[0], 0, 0);
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
