/*
 * Nucleus call dispatch, and the calls that belong to no object: log,
 * yield, exit, sleep, clock. The table is generated from
 * include/metta/syscalls.def, like libmetta's stubs.
 */
#include <arch/trap.h>
#include <arch/tsc.h>
#include <bkl.h>
#include <domain.h>
#include <kprintf.h>
#include <offsets.h>
#include <sched.h>
#include <thread.h>
#include <uaccess.h>

#include <metta/status.h>

#define SYSCALL_TABLE_DEFINE
#include <nucleus/syscall_table.h>

#define LOG_MAX 1024

/* What entry.S's short way to the runtime reads. */
_Static_assert(__builtin_offsetof(struct thread, domain) == THREAD_DOMAIN,
	       "offsets.h's THREAD_DOMAIN");
_Static_assert(__builtin_offsetof(struct domain, reflect_entry) ==
		       DOMAIN_REFLECT,
	       "offsets.h's DOMAIN_REFLECT");

void syscall_dispatch(struct trap_frame *f);

/*
 * A call that is not the nucleus's: in a domain with a runtime (a Linux
 * program), the thread goes on in the runtime's entry with every register
 * as the call left them (rax the number, the arguments in place), rcx the
 * address to return to and r11 the flags, as the syscall instruction
 * defined them. Elsewhere it is an error. (A Linux number takes
 * entry.S's short way, which does the same; this is the way of the
 * others and of a domain without a runtime.)
 */
static void reflect(struct trap_frame *f)
{
	uint64_t entry = current_thread()->domain->reflect_entry;
	if (!entry) {
		f->rax = (uint64_t)STATUS_ERR_NOTSUP;
		return;
	}
	f->rcx = f->rip;
	f->r11 = f->rflags;
	f->rip = entry;
	f->vector = VEC_REFLECT; /* out through iretq: rcx and r11 kept */
}

void syscall_dispatch(struct trap_frame *f)
{
	bkl_lock();
	uint64_t nr = f->rax - METTA_SYSCALL_BASE;
	if (current_thread()->state == THREAD_DEAD) {
		/* Killed from another CPU while it waited for the lock: its
		 * call must not run (a wait would make it live again). */
	} else if (f->rax < METTA_SYSCALL_BASE || nr >= METTA_SYSCALL_COUNT) {
		reflect(f);
	} else {
		uint64_t args[6] = { f->rdi, f->rsi, f->rdx,
				     f->r10, f->r8,  f->r9 };
		current_thread()->frame = f;
		this_cpu()->calls++;
		long r = syscall_table[nr].fn(args);
		if (r != SYSCALL_RESTART)
			f->rax = (uint64_t)r;
	}
	return_to_user();
}

long sys_log(uint64_t text, uint64_t len)
{
	char buf[LOG_MAX];
	if (len > LOG_MAX)
		return STATUS_ERR_INVAL;
	int rc = copy_from_user(buf, text, len);
	if (rc)
		return rc;
	while (len && buf[len - 1] == '\n')
		len--;
	struct domain *d = current_thread()->domain;
	kprintf("[%s] %.*s\n", d->name, (int)len, buf);
	return STATUS_OK;
}

long sys_yield(void)
{
	sched_yield();
	return STATUS_OK;
}

void syscall_restart(struct thread *t, uint64_t nr, uint64_t arg0)
{
	struct trap_frame *f = t->frame;
	f->rip -= 2; /* back onto the syscall instruction */
	f->rax = nr;
	f->rdi = arg0;
}

void syscall_set_arg(struct thread *t, int i, uint64_t v)
{
	struct trap_frame *f = t->frame;
	uint64_t *regs[6] = {
		&f->rdi, &f->rsi, &f->rdx, &f->r10, &f->r8, &f->r9
	};
	if (i >= 0 && i < 6)
		*regs[i] = v;
}

long sys_exit(int64_t status)
{
	domain_kill(current_domain(), status);
	return STATUS_OK; /* never seen: the thread is dead */
}

static void wake_sleeper(struct timer *tm)
{
	/* The timer is inside its thread. */
	struct thread *t =
	    (struct thread *)((char *)tm -
			      __builtin_offsetof(struct thread, timer));
	sched_wake(t);
}

long sys_sleep(uint64_t microseconds)
{
	struct thread *t = current_thread();
	uint64_t now = clock_ns();
	uint64_t ns =
	    microseconds > UINT64_MAX / 1000 ? UINT64_MAX : microseconds * 1000;
	uint64_t deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
	if (thread_take_intr(t))
		return STATUS_ERR_INTR;
	t->ipc.result = STATUS_OK; /* or ERR_INTR from an interrupt */
	t->state = THREAD_BLOCKED;
	t->wait = WAIT_SLEEP;
	timer_arm(&t->timer, deadline, wake_sleeper);
	schedule();
	t->wait = WAIT_NONE;
	if (t->restart) {
		/* Interrupted (suspended): restart later for what is left. */
		t->restart = 0;
		uint64_t later = clock_ns();
		uint64_t left = deadline > later ? deadline - later : 0;
		syscall_restart(t, SYS_sleep, (left + 999) / 1000);
		return SYSCALL_RESTART;
	}
	return t->ipc.result;
}

long sys_clock(void)
{
	return (long)clock_ns();
}
