/*
 * The threads of a Linux process (runtime/README.md, "Threads").
 *
 * Each thread has a struct rt_thread: what the runtime keeps per thread
 * (its tid, signal mask and pending signals, TLS base, the call it is in)
 * and its own runtime stack and 9P message buffers, so that several
 * threads can be inside the runtime at once. The nucleus keeps a pointer
 * to it in the thread's GS base (set_gs), which no Linux program uses:
 * the reflect entry (entry.S) finds its stack through %gs without
 * touching the program's registers or stack.
 *
 * The process's shared state (struct rt_proc, the shared open files) is
 * guarded by one lock, the runtime lock, held by a thread while it runs
 * runtime code and let go around everything that may wait: a 9P request
 * (rt_rpc), a sleep, a request the process server may hold, a futex wait.
 */
#ifndef RUNTIME_THREAD_H
#define RUNTIME_THREAD_H

/* Offsets entry.S uses (checked against the structure below). */
#define T_SELF	       0
#define T_USER_RSP     8
#define T_STACK_TOP    16
#define T_FULL_PENDING 24
#define T_FULL	       32 /* struct metta_regs: rip at +128, rflags +136 */

#define RT_MAX_THREADS 32 /* a bit each in a 64-bit mask */
/* Thread i's area (i > 0): its runtime stack, then its two 9P buffers. */
#define RT_THREAD_VA	    0x00007fe000000000ull
#define RT_THREAD_STACK	    (64 * 1024)
#define RT_THREAD_AREA	    (256 * 1024)
#define RT_THREAD_PAGES	    (RT_THREAD_AREA / 4096)
/* A thread's tid: the pid for the first, the pid plus i << TID_SHIFT for
 * thread i (distinct within the process, and above every pid, whose
 * Linux maximum is 1 << 22). */
#define RT_TID_SHIFT 22

#ifndef __ASSEMBLER__
#include <9p/client.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <stddef.h>
#include <stdint.h>

#include "linux.h"

struct rt_call;

enum { T_FREE, T_LIVE, T_GONE /* exited; its nucleus thread may run on */ };

struct rt_thread {
	struct rt_thread *self;
	uint64_t user_rsp;	 /* the program's, at the entry */
	uint64_t stack_top;	 /* its runtime stack */
	uint64_t full_pending;	 /* leave through rt_resume_full */
	struct metta_regs full;	 /* the registers rt_resume_full loads */

	int idx, state;
	long tid;
	uint32_t cap;	/* the nucleus thread (0: not asked yet) */
	uint32_t event; /* its waits: the lock, futexes (0: not made yet) */
	int intr;	/* an interrupt a lock wait took: the next wait's */
	uint8_t *area;	/* its stack and buffers (i > 0), 0: not mapped */
	uint32_t area_mem;

	struct rt_call *call_now; /* the call it is in */
	uint64_t fs_base;
	uint64_t clear_tid;		  /* CLONE_CHILD_CLEARTID, set_tid_address */
	uint64_t robust_list, robust_len; /* set_robust_list: recorded */

	/* Signals: its mask, what was sent to it alone (tgkill) and by
	 * whom; the mask sigsuspend replaced; its alternate stack; rcx and
	 * r11 of an interruption that was not a call (signal.c). */
	uint64_t sigmask, pending;
	struct rt_sigfrom from[64];
	uint64_t suspend_mask;
	int suspended;
	struct lx_stack altstack;
	struct {
		int active;
		uint64_t rcx, r11;
	} extra;
	int64_t sleep_until; /* restart_syscall's (time.c) */
	uint64_t sleep_rem;

	/* A futex wait (futex.c): the word, the bits, the order it came. */
	uint64_t fx_addr;
	uint32_t fx_bits;
	uint64_t fx_seq;
	int fx_woken;

	/* 9P: its own message buffers, and a client per connection (ns.c;
	 * the first thread's are the connections' own). */
	uint8_t *tbuf, *rbuf;
	struct p9c *p9;
};

_Static_assert(offsetof(struct rt_thread, self) == T_SELF, "entry.S");
_Static_assert(offsetof(struct rt_thread, user_rsp) == T_USER_RSP, "entry.S");
_Static_assert(offsetof(struct rt_thread, stack_top) == T_STACK_TOP, "entry.S");
_Static_assert(offsetof(struct rt_thread, full_pending) == T_FULL_PENDING,
	       "entry.S");
_Static_assert(offsetof(struct rt_thread, full) == T_FULL, "entry.S");
_Static_assert(offsetof(struct metta_regs, rip) == 128, "entry.S");
_Static_assert(RT_THREAD_STACK + 2 * (64 * 1024 + 64) <= RT_THREAD_AREA,
	       "a thread's area holds its stack and buffers");

extern struct rt_thread rt_threads[RT_MAX_THREADS];

/* The calling thread's (its GS base). */
static inline struct rt_thread *rt_self(void)
{
	struct rt_thread *t;
	__asm__("movq %%gs:0, %0" : "=r"(t));
	return t;
}

/* Sets up the first thread (rt_start) and takes the lock. */
void thread_init(void);
/* The runtime lock (see above). */
void rt_lock(void);
void rt_unlock(void);
/* Waits that let go of the lock: a sleep (metta_sleep's status), a
 * request to a server (metta_request's). An interrupt a lock wait took
 * makes the next one return STATUS_ERR_INTR at once. */
long rt_sleep(uint64_t us);
long rt_request(uint32_t cap, uint64_t *w, const void *msg, uint64_t len,
		void *rbuf, uint64_t rcap, uint64_t *got, uint32_t recv_cap);
/* Takes the interrupt a lock wait took: whether there was one. */
int rt_take_intr(void);
/* Waits on the thread's event for bits (0 us: no timeout), the lock let
 * go: the bits, or STATUS_ERR_INTR / STATUS_ERR_TIMEOUT. */
long rt_wait(struct rt_thread *t, uint64_t bits, uint64_t us);
/* Wakes t's waits for bits. */
void rt_wake(struct rt_thread *t, uint64_t bits);
#define EV_LOCK	 1ull
#define EV_FUTEX 2ull
#define EV_SIG	 4ull /* a signal for it: ends a futex wait (EINTR) */

/* The calling thread ends (exit): the process with its last. */
_Noreturn void thread_exit(int status);
/* t's tid (the first thread's is the pid). */
long thread_tid(struct rt_thread *t);
/* The thread with this tid, or 0. */
struct rt_thread *thread_by_tid(long tid);
/* How many threads are live. */
int thread_count(void);
/* The thread's nucleus capability (asked for once), 0 if none. */
uint32_t thread_cap(struct rt_thread *t);
/* Ends every thread but the caller's (exec), which takes the pid. */
void thread_only_me(void);
/* The fork child's first runtime code: it has only the calling thread. */
void thread_fork_child(void);
/* clone for a thread (fork.c decides): the new tid or -errno. */
long thread_clone(uint64_t flags, uint64_t stack, uint64_t ptid,
		  uint64_t ctid, uint64_t tls);
/* The registers a clone goes on with: call c's, rax 0, on stack (0: the
 * caller's). */
void thread_regs(struct metta_regs *r, const struct rt_call *c,
		 uint64_t stack);
/* The CPUs that exist, as an affinity mask. */
uint64_t thread_cpus(void);

/* futex.c: wakes up to n waiters on the word at uaddr (the tid address
 * at a thread's end). */
long futex_wake(uint64_t uaddr, int n, uint32_t bits);
#endif
#endif
