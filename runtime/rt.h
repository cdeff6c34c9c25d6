/*
 * The POSIX runtime's parts (runtime/README.md): the call dispatch
 * (start.c, from calls.def), memory and user pointers (mem.c), the
 * namespace and its connections (ns.c), descriptors (fd.c), open files by
 * kind (file.c and its kinds), names (path.c), the process (proc.c),
 * time (time.c) and signals (signal.c). The process's state is one
 * structure (state.h). Calls return a value or a negative Linux errno, as
 * the kernel does.
 */
#ifndef RUNTIME_RT_H
#define RUNTIME_RT_H

#include <9p/client.h>
#include <stddef.h>
#include <stdint.h>

#include "linux.h"
#include "thread.h"

#define RT_PATH_MAX 1024
#define RT_PAGE	    4096ull
#define RT_STACK_TOP 0x00007fffffffe000ull /* a Linux program's stack's end */

/* What the reflect entry hands the dispatch: the number and arguments. */
/*
 * What the reflect entry saved (arch/x86_64/entry.S): the number, the
 * arguments, and every other register of the program as the call left
 * them, which the way out restores from here: so fork can start a child
 * with them, and signal delivery and sigreturn can change them.
 */
struct rt_call {
	uint64_t nr, a[6]; /* rax; rdi, rsi, rdx, r10, r8, r9 */
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t rflags; /* r11 */
	uint64_t rip;	 /* rcx */
	uint64_t rsp;
};
long rt_syscall(struct rt_call *c);
/* The call the calling thread is in (exec replaces its registers). */
#define rt_call_now (rt_self()->call_now)
void rt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void rt_exit(int status);

/* ---- mem.c: the address space, as the runtime keeps track of it ---- */
void mem_init(uint64_t phdr, uint64_t phnum, uint64_t stack_low);
/* Maps the state forked processes share (state.h), once, at start. */
int mem_shared_init(void);
/* 0 when [p, p + n) is mapped readable (writable), else -EFAULT. */
int user_readable(uint64_t p, uint64_t n);
int user_writable(uint64_t p, uint64_t n);
/* Whether p is in MAP_SHARED memory (other processes may share it). */
int mem_is_shared(uint64_t p);
/* Copies a NUL-terminated string of at most max - 1 bytes: its length,
 * -EFAULT or -ENAMETOOLONG. */
long user_string(uint64_t p, char *out, size_t max);
/* Reads a file's bytes into memory just mapped (file.c). */
long file_pread_into(int fd, void *buf, uint64_t n, uint64_t off);
/* The memory object holding fd's file (P9_MEMORY), in a new slot *mem,
 * and its pages: 0, -ENODEV when its server keeps none (map a copy),
 * -EACCES (write-only), -EBADF. */
long file_memory(int fd, uint32_t *mem, uint64_t *pages);

/* ---- ns.c: the namespace ---- */
struct conn;
/* A file some server has: a fid on a connection. */
struct loc {
	struct conn *c;
	uint32_t fid;
	struct p9_qid qid;
};
#define NS_MAX_UNION 8

int ns_init(const char *text);
/* The table again from what our nester keeps (/proc/self/ns). */
int ns_reload(void);
/* Cleans `in` (relative to cwd) into an absolute path without . or ..
 * (lexically, as Plan 9 does): 0 or -ENAMETOOLONG / -ENOENT (empty). */
int path_clean(const char *cwd, const char *in, char *out);
/* A new fid for the file at clean absolute path, no symbolic link on
 * the way (ENOTDIR), one at the end not followed: 0 or an errno. */
int ns_walk(const char *path, struct loc *out);
/*
 * A new fid for the file at clean absolute path, following symbolic links
 * on the way, and the last one too when follow (at most NS_MAX_LINKS in
 * all, then -ELOOP). path (RT_PATH_MAX bytes) is rewritten with every
 * link followed replaced by its target: the path of what was found or,
 * on -ENOENT, where it would be. 0 or an errno.
 */
#define NS_MAX_LINKS 40
int ns_lookup(char *path, int follow, struct loc *out);
/*
 * ns_lookup that also opens what it finds with 9P mode `mode` in the
 * walk's round trip, where the server can (P9_BATCH): rc is then 0 and
 * out's fid open; else an errno (-P9_ENOTSUP: not tried), and the fid
 * is not open. A link found is not opened.
 */
struct open_ask {
	int mode; /* a 9P open mode, or -1: do not open */
	int rc;
	/* The walk was made in one source of its mount, followed no link,
	 * and its server's tree version was version before it (opencache.c). */
	int stamped;
	uint64_t version;
};
int ns_lookup_open(char *path, int follow, struct loc *out,
		   struct open_ask *ask);
/* Whether path is a mount point with several sources. */
int ns_is_union(const char *path);
/* Every directory of the union at path (one unless it is a mount point
 * with several): their count or an errno. */
int ns_walk_union(const char *path, struct loc *out, int max);
/* The directory where a new `path` would be created and its last name. */
int ns_walk_parent(const char *path, struct loc *dir, const char **name);
void loc_clunk(struct loc *l);
/* loc_clunk without waiting where the server allows it (its clunk goes
 * with the next batch on that connection: p9c_clunk_later). */
void loc_clunk_later(struct loc *l);
/* Sends every connection's waiting clunks (the process ends). */
void ns_flush_later(void);
/* A fresh attach of service's tree with aname (a connection made on first
 * use): 0 and its fid in out, or an errno. */
int ns_attach(const char *service, const char *aname, struct loc *out);
struct p9c *loc_client(const struct loc *l);
/* A fresh fid number of l's connection (for a walk from l). */
uint32_t loc_newfid(const struct loc *l);
int loc_same_server(const struct loc *a, const struct loc *b);
const char *loc_service(const struct loc *l);

#define NS_BEFORE 1
#define NS_AFTER  2
#define NS_CREATE 4
int ns_mount(const char *service, const char *spath, const char *mountpoint,
	     int flags);
int ns_bind(const char *old, const char *new, int flags);
/* The service and its path that hold the file at path (a mount(2)
 * source): -ENOTBLK for a directory. service holds NAMES_MAX_NAME + 1
 * bytes, spath SPATH_MAX. */
int ns_file_source(const char *path, char *service, char *spath);
/* sync(2): every mounted server asked to commit what it holds. */
void ns_sync(void);
int ns_unmount(const char *mountpoint);
/* Our nester gives our namespace to our parent too (NESTER_SETNS). */
int ns_give_parent(void);
/* The namespace as text, one mount per line; its length. */
long ns_text(char *buf, size_t cap);

/* ---- signal.c ---- */
/* The signal page (proc's, or our own without a process server). */
void sig_init(void);
/* 1 (once) when a child gave us its namespace: ns_reload it. */
int sig_take_ns_changed(void);
/* Tells proc what we block, handle and ignore (after a change). */
void sig_publish(void);
/* Whether a signal the calling thread does not block is pending for it. */
int sig_ready(void);
/* The process's pending signals the calling thread blocks: a thread
 * that does not is interrupted to take them. */
void sig_forward(void);
/* Marks sig pending for ourselves, with siginfo's si_code `code`. */
void sig_raise(int sig, int code);
/* Around every call (start.c): delivery of pending signals; they return
 * the value for rax (sig_enter: 1 when the call is not to run now). */
int sig_enter(struct rt_call *c, long *rax);
long sig_leave(struct rt_call *c, long rc);
/* A process server's status as kill's, setpgid's errno (0 for 0). */
long sig_errno(long status);
/* A request (words w, w[0] the op) to our nester, the process server,
 * made again when a pending interrupt ends it: its status. */
long rt_ask_proc(uint64_t *w);
/* The same with a message and a capability slot for the answer's (fork:
 * an interrupted request was queued, not delivered, so asking again is
 * right, and Linux restarts a fork a signal interrupts). */
long rt_ask_proc_with(uint64_t *w, const void *msg, uint64_t len,
		      uint32_t recv_cap);
/* Whether a nester's status says there is no process server. */
int sig_alone(long status);
/* kill(pid, sig) (sig 0: whether pid exists and may be signalled). */
long rt_kill(int64_t pid, int64_t sig);
/* The time of day in nanoseconds since 1970 (time.c). */
int64_t rt_realtime_ns(void);

/* Our pid, process group and session (proc.c). */
long rt_getpid(void);
long rt_getpgrp(void);
long rt_getsid(void);
/* Limits and names at start: the program's path from AT_EXECFN. */
void proc_init(const char *execfn);

/* Errors of the 9P client are already negative Linux errnos. */
static inline long lx_err(int e)
{
	return -(long)e;
}

#endif
