/*
 * fork, vfork and clone as fork; wait4 and waitid.
 *
 * A fork asks the process server for a child domain (NESTER_FORK), hands
 * it every mapping of ours with mem_fork (the program's text shared, the
 * rest copied; MAP_SHARED memory and the open files' table, state.h,
 * shared), gives it the capabilities our state names at the same slots
 * (the connections: so its open files are ours, fids and all), and asks
 * the process server to start its thread with the registers of this very
 * call and rax = 0 (NESTER_FORK_START). The copy is eager: each copied
 * page is paid by the child at the fork.
 *
 * What must differ in the child's copy of our state (its pid, slots of
 * memory objects it holds at other numbers, the connection to the
 * process server, which knows a process by its connection) is written
 * into our own state just before the memory holding it is copied, and
 * put back after: "the child's view".
 *
 * vfork, and clone with CLONE_VM|CLONE_VFORK (posix_spawn), are a fork:
 * the child has a copy rather than our memory, and we do not wait for
 * its exec; a program that follows vfork's rules cannot tell. A thread
 * (CLONE_VM without CLONE_VFORK, CLONE_THREAD) is thread.c's. A fork's
 * child has only the calling thread, and starts in the runtime on its
 * copy of that thread's stack (thread_fork_child).
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <metta/signals.h>
#include <string/kstring.h>

#include "state.h"

#define PT_LOAD 1
#define PF_W	2

void rt_reflect_entry(void);
void rt_fork_entry(void);
extern char __executable_start[];

/* What the child's view changes, kept to put back. */
struct view {
	long pid, ppid;
	struct fd_table *fdt; /* the child's descriptors */
	uint64_t fs_base, clear_tid;
	struct metta_regs full; /* the calling thread's, for the child's */
	int proc_conn; /* the process server's connection, or -1 */
	uint32_t mem[MAX_REGIONS];
	uint64_t off[MAX_REGIONS];
	uint64_t ctid, ctid_old; /* CLONE_CHILD_SETTID's word, 0: none */
	uint64_t ctid_clear;	 /* CLONE_CHILD_CLEARTID's, 0: none */
	uint64_t stack;		 /* the child's stack, 0: ours */
};

/* How region i goes to the child: shared or copied. */
static uint64_t how_of(const struct region *r)
{
	if (r->shared || (!r->mem && !(r->prot & LX_PROT_WRITE)))
		return MEM_FORK_SHARE;
	return MEM_FORK_COPY;
}

/* The runtime's own regions: its image and the shared state go by
 * give_runtime; the signal page is proc's, a fresh one per process. */
static int runtime_own(const struct region *r)
{
	return r->start == (uint64_t)__executable_start ||
	       r->start == RT_SHARED_VA || r->start == RT_SIGPAGE_VA;
}

/* The slot region i's object has in the child: ours for its first
 * region, a new one for the others (a copy each). */
static uint32_t child_slot(int i)
{
	const struct region *r = &rt.regions[i];
	if (!r->mem)
		return 0;
	for (int j = 0; j < i; j++)
		if (rt.regions[j].mem == r->mem && !runtime_own(&rt.regions[j]))
			return metta_slot_alloc();
	return r->mem;
}

static void view_enter(struct view *v, long pid, uint64_t fs_base)
{
	struct rt_thread *t = rt_self();
	v->pid = rt.pid;
	v->ppid = rt.ppid;
	v->fs_base = t->fs_base;
	v->clear_tid = t->clear_tid;
	v->full = t->full;
	thread_regs(&t->full, rt_call_now, v->stack); /* its program's */
	struct fd_table *child_fdt = v->fdt;
	v->fdt = rt.fdt;
	rt.fdt = child_fdt;
	rt.ppid = rt_getpid();
	rt.pid = pid;
	t->fs_base = fs_base;
	t->clear_tid = v->ctid_clear;
	v->proc_conn = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		if (rt.conns[i].up && !strcmp(rt.conns[i].service, "proc")) {
			v->proc_conn = i;
			rt.conns[i].up = 0; /* the child connects as itself */
		}
	for (int i = 0; i < rt.nregions; i++) {
		struct region *r = &rt.regions[i];
		v->mem[i] = r->mem;
		v->off[i] = r->off;
		if (runtime_own(r))
			continue;
		r->mem = child_slot(i);
		if (how_of(r) == MEM_FORK_COPY)
			r->off = 0;
	}
	if (v->ctid) {
		v->ctid_old = *(uint32_t *)v->ctid;
		*(uint32_t *)v->ctid = (uint32_t)pid;
	}
}

static void view_leave(const struct view *v)
{
	struct rt_thread *t = rt_self();
	rt.pid = v->pid;
	rt.ppid = v->ppid;
	t->fs_base = v->fs_base;
	t->clear_tid = v->clear_tid;
	t->full = v->full;
	rt.fdt = v->fdt;
	if (v->proc_conn >= 0)
		rt.conns[v->proc_conn].up = 1;
	for (int i = 0; i < rt.nregions; i++) {
		rt.regions[i].mem = v->mem[i];
		rt.regions[i].off = v->off[i];
	}
	if (v->ctid)
		*(uint32_t *)v->ctid = (uint32_t)v->ctid_old;
}

/* The runtime's own segments (read from its ELF header, which its first
 * segment maps), then the shared state: 0 or a status. */
static long give_runtime(uint32_t child)
{
	const uint8_t *eh = (const uint8_t *)__executable_start;
	uint64_t phoff = *(const uint64_t *)(eh + 32);
	uint16_t phnum = *(const uint16_t *)(eh + 56);
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = eh + phoff + 56ull * i;
		if (*(const uint32_t *)ph != PT_LOAD)
			continue;
		uint32_t flags = *(const uint32_t *)(ph + 4);
		uint64_t va = *(const uint64_t *)(ph + 16) & ~(RT_PAGE - 1);
		long rc = metta_mem_fork(child, va,
					 flags & PF_W ? MEM_FORK_COPY
						      : MEM_FORK_SHARE,
					 0);
		if (rc)
			return rc;
	}
	struct rt_thread *t = rt_self();
	if (t->area) { /* the stack the child starts on (thread.c) */
		long rc = metta_mem_fork(child, (uint64_t)t->area,
					 MEM_FORK_COPY, 0);
		if (rc)
			return rc;
	}
	return metta_mem_fork(child, RT_SHARED_VA, MEM_FORK_SHARE, 0);
}

/* Every mapping: the program's (with the child's view in place). */
static long give_memory(uint32_t child)
{
	for (int i = 0; i < rt.nregions; i++) {
		const struct region *r = &rt.regions[i];
		if (runtime_own(r))
			continue;
		long rc = metta_mem_fork(child, r->start, how_of(r), r->mem);
		if (rc)
			return rc;
	}
	return give_runtime(child);
}

static long give_cap(uint32_t child, uint32_t slot)
{
	if (!slot || metta_cap_info(slot) < 0)
		return 0;
	return metta_cap_give(child, slot, slot, RIGHT_CALL | RIGHT_GRANT);
}

/* The capabilities our state names: connections and raw channels (the
 * environment's come from the process server). */
static long give_caps(uint32_t child)
{
	long rc = 0;
	for (int i = 0; i < MAX_CONNS && !rc; i++) {
		const struct conn *c = &rt.conns[i];
		if (!c->up || !strcmp(c->service, "proc"))
			continue;
		rc = give_cap(child, c->slot);
		if (!rc)
			rc = give_cap(child, c->service_slot);
	}
	for (int fd = 0; fd < MAX_FDS && !rc; fd++) {
		const struct ofile *f = fd_get(fd);
		if (f && f->ops == &chan_ops)
			rc = give_cap(child, f->chan);
	}
	return rc == STATUS_ERR_EXIST ? 0 : rc; /* given already: shared */
}

/* Fills the child the process server made and starts it: 0 or -errno. */
static long fill_child(uint32_t child, long pid, uint64_t stack,
		       uint64_t fs, uint64_t ctid, uint64_t ctid_clear)
{
	struct view v = { .ctid = ctid,
			  .ctid_clear = ctid_clear,
			  .stack = stack,
			  .fdt = fd_fork(pid) };
	long rc = v.fdt ? metta_domain_set_reflect(child,
						   (uint64_t)rt_reflect_entry)
			: STATUS_ERR_NOMEM;
	if (rc == 0)
		rc = give_caps(child);
	if (rc == 0) {
		view_enter(&v, pid, fs);
		filemem_fork_view(1);
		ocache_fork_view(1);
		rc = give_memory(child);
		ocache_fork_view(0);
		filemem_fork_view(0);
		view_leave(&v);
	}
	uint64_t w[4] = { NESTER_FORK_START, (uint64_t)pid };
	if (rc) {
		rt_ask_proc(w);
		fd_reap(pid);
		return rc == STATUS_ERR_QUOTA ? -P9_ENOMEM : -P9_EAGAIN;
	}
	/* It starts in the runtime, on its copy of our stack, which sets its
	 * threads up and goes on with its program's registers (view_enter). */
	struct rt_thread *t = rt_self();
	struct metta_regs r = { .rip = (uint64_t)rt_fork_entry,
				.rsp = t->stack_top,
				.rflags = 0x202,
				.fs_base = fs,
				.gs_base = (uint64_t)t };
	rc = rt_ask_proc_with(w, &r, sizeof(r), 0);
	if (rc) {
		fd_reap(pid); /* it never ran */
		return -P9_EAGAIN;
	}
	return pid;
}

static long do_fork(uint64_t flags, uint64_t stack, uint64_t ptid,
		    uint64_t ctid, uint64_t tls)
{
	if ((flags & LX_CLONE_SIGHAND) && !(flags & LX_CLONE_VM))
		return -P9_EINVAL; /* shared handlers need shared memory */
	if ((flags & LX_CLONE_THREAD) ||
	    ((flags & LX_CLONE_VM) && !(flags & LX_CLONE_VFORK)))
		return thread_clone(flags, stack, ptid, ctid, tls);
	/* Linux writes the tids where it can, and forks either way. */
	if ((flags & LX_CLONE_PARENT_SETTID) && user_writable(ptid, 4))
		flags &= ~(uint64_t)LX_CLONE_PARENT_SETTID;
	if ((flags & LX_CLONE_CHILD_SETTID) && user_writable(ctid, 4))
		flags &= ~(uint64_t)LX_CLONE_CHILD_SETTID;
	uint32_t child = metta_slot_alloc();
	uint64_t w[4] = { NESTER_FORK };
	long rc = rt_ask_proc_with(w, 0, 0, child);
	if (rc)
		return rc == STATUS_ERR_QUOTA ? -P9_EAGAIN : -P9_ENOMEM;
	long pid = (long)w[1];
	if (flags & LX_CLONE_PARENT_SETTID)
		*(uint32_t *)ptid = (uint32_t)pid; /* the child's copy too */
	uint64_t fs = flags & LX_CLONE_SETTLS ? tls : rt_self()->fs_base;
	rc = fill_child(child, pid, stack, fs,
			flags & LX_CLONE_CHILD_SETTID ? ctid : 0,
			flags & LX_CLONE_CHILD_CLEARTID ? ctid : 0);
	metta_cap_delete(child);
	return rc;
}

long sys_fork(const uint64_t *a)
{
	(void)a;
	return do_fork(LX_SIGCHLD, 0, 0, 0, 0);
}

long sys_clone(const uint64_t *a)
{
	/* x86-64's order: flags, stack, parent_tid, child_tid, tls. */
	return do_fork(a[0], a[1], a[2], a[3], a[4]);
}

/* ---- waiting ---- */

/* Asks the process server: 1 and (pid, status, code), 0 when nothing
 * with WNOHANG, or -errno. */
static long wait_for(int64_t spec, uint64_t opts, uint64_t out[3])
{
	uint64_t w[4] = { NESTER_WAIT, (uint64_t)spec, opts };
	long rc = rt_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0); /* held */
	if (rc == STATUS_ERR_NOENT)
		return -P9_ECHILD;
	if (rc == STATUS_ERR_INTR)
		return -P9_EINTR;
	if (rc)
		return -P9_EINVAL;
	out[0] = w[1];
	out[1] = w[2];
	out[2] = w[3];
	/* A child reaped: what it held, if it ended without its runtime. */
	int st = (int)w[2];
	if (w[1] && !(opts & NESTER_WNOWAIT) && (st & 0xff) != 0x7f &&
	    st != LX_W_CONTINUED)
		fd_reap((long)w[1]);
	/* A child that ran mount, bind or import for us (a shell's). */
	if (w[1] && sig_take_ns_changed() && ns_reload())
		rt_log("the namespace a child gave us did not apply");
	return w[1] != 0;
}

static long do_wait4(int64_t pid, uint64_t ustatus, uint64_t opts,
		     uint64_t uru)
{
	uint64_t known = NESTER_WNOHANG | NESTER_WUNTRACED |
			 NESTER_WCONTINUED | LX_WNOTHREAD | LX_WALL |
			 LX_WCLONE;
	if (opts & ~known)
		return -P9_EINVAL;
	if (pid == (int32_t)0x80000000)
		return -P9_ESRCH; /* Linux: -INT_MIN is no group */
	if ((ustatus && user_writable(ustatus, 4)) ||
	    (uru && user_writable(uru, sizeof(struct lx_rusage))))
		return -P9_EFAULT;
	uint64_t got[3];
	long rc = wait_for(pid, opts & (NESTER_WNOHANG | NESTER_WUNTRACED |
					NESTER_WCONTINUED),
			   got);
	if (rc <= 0)
		return rc;
	if (ustatus)
		*(int32_t *)ustatus = (int32_t)got[1];
	if (uru)
		memset((void *)uru, 0, sizeof(struct lx_rusage));
	return (long)got[0];
}

/* waitid's siginfo: signo, errno, code, then pid, uid, status. */
struct lx_waitinfo {
	int32_t signo, errno_, code, pad;
	int32_t pid, uid, status;
};

static long do_waitid(int type, int64_t id, uint64_t uinfo, uint64_t opts)
{
	uint64_t known = NESTER_WNOHANG | NESTER_WUNTRACED |
			 NESTER_WEXITED | NESTER_WCONTINUED | NESTER_WNOWAIT |
			 LX_WNOTHREAD | LX_WALL | LX_WCLONE;
	if ((opts & ~known) ||
	    !(opts & (NESTER_WEXITED | NESTER_WUNTRACED | NESTER_WCONTINUED)))
		return -P9_EINVAL;
	int64_t spec;
	if (type == LX_P_ALL)
		spec = -1;
	else if (type == LX_P_PID && id > 0)
		spec = id;
	else if (type == LX_P_PGID && id >= 0)
		spec = id ? -id : 0; /* 0: our own group */
	else
		return -P9_EINVAL;
	if (uinfo && user_writable(uinfo, 128))
		return -P9_EFAULT;
	uint64_t got[3];
	long rc = wait_for(spec, (opts & ~(LX_WNOTHREAD | LX_WALL | LX_WCLONE)) |
				     NESTER_WAITID,
			   got);
	if (rc < 0)
		return rc;
	if (!uinfo)
		return 0;
	memset((void *)uinfo, 0, 128);
	if (rc == 0)
		return 0; /* WNOHANG and nothing: zeroed, as Linux */
	struct lx_waitinfo *i = (struct lx_waitinfo *)uinfo;
	int st = (int)got[1];
	i->signo = LX_SIGCHLD;
	i->code = (int32_t)got[2];
	i->pid = (int32_t)got[0];
	i->status = (st & 0x7f) == 0	 ? (st >> 8) & 0xff /* exited */
		    : (st & 0xff) == 0x7f ? (st >> 8) & 0xff /* stopped */
		    : st == LX_W_CONTINUED ? LX_SIGCONT
					 : st & 0x7f;
	return 0;
}

long sys_wait4(const uint64_t *a)
{
	return do_wait4((int32_t)a[0], a[1], a[2], a[3]);
}

long sys_waitid(const uint64_t *a)
{
	return do_waitid((int)a[0], (int32_t)a[1], a[2], a[3]);
}
