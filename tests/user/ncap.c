/*
 * Nucleus tests from user space: capabilities, domains, quotas, threads,
 * scheduling. Run as the root domain (a driver-class domain holding most
 * of memory) by the system test harness.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define SLOT_A 10
#define SLOT_B 11
#define SLOT_C 12
#define SLOT_T 20

static struct metta_domain_info self_info(void)
{
	struct metta_domain_info i = { 0 };
	metta_domain_info(CAP_SELF, &i);
	return i;
}

static int cap_type(uint32_t slot)
{
	long r = metta_cap_info(slot);
	return r < 0 ? (int)r : (int)(r >> 32);
}

static int self_capability(void)
{
	long r = metta_cap_info(CAP_SELF);
	UCHECK(r >= 0, "cap_info(self) gave %ld", r);
	UCHECK((r >> 32) == OBJ_DOMAIN, "self is type %ld", r >> 32);
	UCHECK((r & 0xffffffff) == RIGHT_ALL, "self rights 0x%lx", r & 0xffffffff);
	return 0;
}

static int bad_slots_are_errors(void)
{
	UCHECK(metta_cap_info(5) == STATUS_ERR_BADCAP, "empty slot");
	UCHECK(metta_cap_info(100000) == STATUS_ERR_BADCAP, "slot out of range");
	UCHECK(metta_cap_delete(7) == STATUS_ERR_BADCAP, "delete empty");
	UCHECK(metta_cap_copy(7, SLOT_A, RIGHT_ALL, 0) == STATUS_ERR_BADCAP,
	       "copy from empty");
	UCHECK(metta_thread_ctl(CAP_SELF, THREAD_START, 0) == STATUS_ERR_TYPE,
	       "a domain used as a thread");
	UCHECK(metta_domain_info(CAP_SELF, (void *)0x10) == STATUS_ERR_FAULT,
	       "bad output pointer");
	return 0;
}

static int copies_only_shrink_rights(void)
{
	UCHECK(metta_cap_copy(CAP_SELF, SLOT_A, RIGHT_READ | RIGHT_GRANT, 0) == 0,
	       "copy with fewer rights failed");
	UCHECK((metta_cap_info(SLOT_A) & 0xffffffff) == (RIGHT_READ | RIGHT_GRANT),
	       "rights not as asked");
	UCHECK(metta_cap_copy(SLOT_A, SLOT_B, RIGHT_CONTROL, 0) == STATUS_ERR_DENIED,
	       "copy gained a right");
	UCHECK(metta_cap_copy(SLOT_A, SLOT_B, RIGHT_READ, 0) == 0, "copy failed");
	UCHECK(metta_cap_copy(SLOT_B, SLOT_C, RIGHT_READ, 0) == STATUS_ERR_DENIED,
	       "copied without RIGHT_GRANT");
	/* A missing right is refused by the call that needs it. */
	UCHECK(metta_domain_kill(SLOT_B, 0) == STATUS_ERR_DENIED,
	       "killed without RIGHT_CONTROL");
	UCHECK(metta_cap_copy(CAP_SELF, SLOT_A, RIGHT_READ, 0) == STATUS_ERR_EXIST,
	       "overwrote a slot");
	return 0;
}

static int revoke_reaches_all_copies(void)
{
	/* SLOT_B was derived from SLOT_A, which came from CAP_SELF. */
	UCHECK(metta_cap_move(SLOT_B, SLOT_C) == 0, "move failed");
	UCHECK(cap_type(SLOT_B) == STATUS_ERR_BADCAP, "move left a copy");
	UCHECK(metta_cap_revoke(SLOT_A) == 0, "revoke failed");
	UCHECK(cap_type(SLOT_C) == STATUS_ERR_BADCAP, "derived copy survived");
	UCHECK(cap_type(SLOT_A) == OBJ_DOMAIN, "revoke removed the capability itself");
	UCHECK(metta_cap_delete(SLOT_A) == 0, "delete failed");
	UCHECK(cap_type(SLOT_A) == STATUS_ERR_BADCAP, "still there");
	return 0;
}

static int child_domain_quota_comes_back(void)
{
	struct metta_domain_info before = self_info(), child;
	UCHECK(metta_domain_create(SLOT_A, METTA_CLASS_APPLICATION,
				   METTA_PRIO_NORM, 1 << 20) == 0,
	       "create failed");
	UCHECK(metta_domain_info(SLOT_A, &child) == 0, "info failed");
	UCHECK(child.quota_limit == 1 << 20, "child quota %lu", child.quota_limit);
	UCHECK(child.quota_used > 0, "child's tables not charged");
	UCHECK(child.class == METTA_CLASS_APPLICATION && !child.dead, "child info");
	UCHECK(self_info().quota_used >= before.quota_used + (1 << 20),
	       "nester not charged");
	UCHECK(metta_domain_kill(SLOT_A, 7) == 0, "kill failed");
	UCHECK(metta_domain_info(SLOT_A, &child) == 0 && child.dead &&
		       child.exit_status == 7,
	       "dead child reports %ld/%ld", child.dead, child.exit_status);
	UCHECK(metta_domain_kill(SLOT_A, 0) == STATUS_ERR_DEAD, "killed twice");
	UCHECK(metta_cap_delete(SLOT_A) == 0, "delete failed");
	UCHECK(self_info().quota_used == before.quota_used,
	       "quota leaked: %lu before, %lu after", before.quota_used,
	       self_info().quota_used);
	return 0;
}

static int full_quota_is_an_error(void)
{
	struct metta_domain_info before = self_info();
	uint64_t free = before.quota_limit - before.quota_used;
	UCHECK(metta_domain_create(SLOT_A, METTA_CLASS_SERVER, METTA_PRIO_NORM,
				   free + 4096) == STATUS_ERR_QUOTA,
	       "quota beyond what is left was granted");
	UCHECK(metta_domain_create(SLOT_A, METTA_CLASS_SERVER, METTA_PRIO_NORM,
				   ~0ull) == STATUS_ERR_QUOTA,
	       "absurd quota was granted");
	UCHECK(cap_type(SLOT_A) == STATUS_ERR_BADCAP, "failed call filled a slot");
	UCHECK(self_info().quota_used == before.quota_used, "failed call charged");
	UCHECK(metta_domain_create(SLOT_A, 7, METTA_PRIO_NORM, 4096) ==
		       STATUS_ERR_INVAL, "bad class accepted");
	UCHECK(metta_domain_create(SLOT_A, 0, 9, 4096) == STATUS_ERR_INVAL,
	       "bad priority accepted");
	return 0;
}

/* ---- threads ---- */

static uint8_t stacks[4][16384] __attribute__((aligned(16)));
static volatile long counter, spins;

static uint64_t stack_top(int i)
{
	return (uint64_t)&stacks[i][sizeof(stacks[i])] - 8;
}

static void counting_worker(void)
{
	for (;;) {
		counter++;
		metta_sleep(1000);
	}
}

static void sleeping_worker(void)
{
	for (;;) {
		counter++;
		metta_sleep(50000);
	}
}

/* Ends whatever thread a failed test left in a slot. */
static void clear_thread_slot(uint32_t slot)
{
	metta_thread_ctl(slot, THREAD_KILL, 0);
	metta_cap_delete(slot);
}

static void spinning_worker(void)
{
	for (;;)
		spins++;
}

static void exiting_worker(void)
{
	counter = 12345;
	metta_thread_exit();
}

static int thread_runs_and_is_killed(void)
{
	clear_thread_slot(SLOT_T);
	struct metta_domain_info before = self_info();
	counter = 0;
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)counting_worker,
				   stack_top(0), METTA_PRIO_NORM) == 0,
	       "create failed");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_NEW, "not new");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_START, 0) == 0, "start failed");
	metta_sleep(20000);
	UCHECK(counter > 3, "worker counted only %ld", counter);
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_KILL, 0) == 0, "kill failed");
	long seen = counter;
	metta_sleep(5000);
	UCHECK(counter == seen, "worker ran after being killed");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_DEAD, "not dead");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_RESUME, 0) == STATUS_ERR_DEAD,
	       "resumed a dead thread");
	UCHECK(metta_cap_delete(SLOT_T) == 0, "delete failed");
	UCHECK(self_info().quota_used == before.quota_used,
	       "thread leaked %ld bytes", (long)(self_info().quota_used - before.quota_used));
	return 0;
}

static int suspend_resume_and_registers(void)
{
	struct metta_regs r;
	counter = 0;
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)sleeping_worker,
				   stack_top(0), METTA_PRIO_NORM) == 0, "create");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	metta_sleep(10000); /* it is now in a 50 ms sleep */
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_GET_REGS, (uint64_t)&r) ==
		       STATUS_ERR_BUSY, "registers of a running thread");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_SUSPEND, 0) == 0, "suspend");
	metta_sleep(2000); /* let it leave its sleep */
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_SUSPENDED,
	       "state %ld", metta_thread_ctl(SLOT_T, THREAD_STATE, 0));
	long seen = counter;
	metta_sleep(10000);
	UCHECK(counter == seen, "suspended thread ran");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_GET_REGS, (uint64_t)&r) == 0, "regs");
	/* Stopped in sleep: the call is set up to restart (atomic calls). */
	UCHECK(r.rax == SYS_sleep, "rax 0x%lx is not the sleep call", r.rax);
	UCHECK(*(uint16_t *)r.rip == 0x050f, "rip 0x%lx not at a syscall", r.rip);
	UCHECK(r.rdi > 0 && r.rdi <= 50000, "restart sleeps %lu us", r.rdi);
	UCHECK(r.rsp > (uint64_t)stacks[0] && r.rsp <= stack_top(0), "rsp 0x%lx", r.rsp);
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_RESUME, 0) == 0, "resume");
	metta_sleep(r.rdi + 20000); /* the rest of its sleep, and then some */
	UCHECK(counter > seen, "resumed thread did not run");
	metta_thread_ctl(SLOT_T, THREAD_KILL, 0);
	metta_cap_delete(SLOT_T);
	return 0;
}

static int set_registers_redirects(void)
{
	struct metta_regs r;
	counter = 0;
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)spinning_worker,
				   stack_top(1), METTA_PRIO_NORM) == 0, "create");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_GET_REGS, (uint64_t)&r) == 0, "regs");
	r.rip = (uint64_t)exiting_worker;
	r.rip = 0xffff800000000000ul;
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_SET_REGS, (uint64_t)&r) ==
		       STATUS_ERR_INVAL, "nucleus rip accepted");
	r.rip = (uint64_t)exiting_worker;
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_SET_REGS, (uint64_t)&r) == 0, "set");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	metta_sleep(5000);
	UCHECK(counter == 12345, "thread did not run where it was sent");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_DEAD,
	       "thread_exit did not end it");
	metta_cap_delete(SLOT_T);
	return 0;
}

/* A thread that never calls the nucleus must not keep the CPU. */
static int spinning_thread_is_preempted(void)
{
	spins = 0;
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)spinning_worker,
				   stack_top(2), METTA_PRIO_NORM) == 0, "create");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	long t0 = metta_clock();
	metta_yield(); /* the spinner runs now; a slice later we are back */
	long waited = metta_clock() - t0;
	UCHECK(spins > 0, "spinner never ran");
	UCHECK(waited < 100000000, "waited %ld ns for the CPU", waited);
	/* Sleep and wake: the waker preempts a spinner of its own level. */
	for (int i = 0; i < 5; i++) {
		t0 = metta_clock();
		metta_sleep(2000);
		waited = metta_clock() - t0;
		UCHECK(waited < 2000000 + 15000000, "woke %ld ns late", waited);
	}
	metta_thread_ctl(SLOT_T, THREAD_KILL, 0);
	metta_cap_delete(SLOT_T);
	return 0;
}

/* Priority: a LOW spinner gets nothing while a NORM thread wants the CPU. */
static int priorities_order_threads(void)
{
	spins = 0;
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)spinning_worker,
				   stack_top(3), METTA_PRIO_LOW) == 0, "create");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	long t0 = metta_clock();
	while (metta_clock() - t0 < 30000000)
		; /* NORM spins 30 ms without a yield */
	UCHECK(spins == 0, "LOW thread ran %ld times beside a busy NORM one", spins);
	metta_sleep(5000); /* now it may */
	UCHECK(spins > 0, "LOW thread never ran while NORM slept");
	metta_thread_ctl(SLOT_T, THREAD_KILL, 0);
	metta_cap_delete(SLOT_T);
	return 0;
}

static int tls_base_is_per_thread(void)
{
	static uint64_t block[2] = { 0x7157, 0 };
	block[1] = (uint64_t)block;
	UCHECK(metta_set_tls((uint64_t)block) == 0, "set_tls failed");
	uint64_t v;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	UCHECK(v == 0x7157, "fs:0 reads 0x%lx", v);
	metta_sleep(1000); /* survives a switch */
	__asm__ volatile("movq %%fs:8, %0" : "=r"(v));
	UCHECK(v == (uint64_t)block, "fs:8 reads 0x%lx after a switch", v);
	UCHECK(metta_set_tls(0xffff800000000000ul) == STATUS_ERR_INVAL,
	       "nucleus address accepted");
	return 0;
}

/* GS's base is each thread's too (set_gs, or gs_base in its registers):
 * a new thread reads its own through %gs and we keep ours. */
static void gs_reading_worker(void)
{
	uint64_t v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	counter = (long)v;
	metta_thread_exit();
}

static int gs_base_is_per_thread(void)
{
	static uint64_t mine = 0x6535, its = 0x175;
	struct metta_regs r;
	UCHECK(metta_set_gs((uint64_t)&mine) == 0, "set_gs failed");
	UCHECK(metta_set_gs(0xffff800000000000ul) == STATUS_ERR_INVAL,
	       "nucleus address accepted");
	counter = 0;
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)gs_reading_worker,
				   stack_top(1), METTA_PRIO_NORM) == 0, "create");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_GET_REGS, (uint64_t)&r) == 0, "regs");
	UCHECK(r.gs_base == 0, "a new thread's GS base is 0x%lx", r.gs_base);
	r.gs_base = 0xffff800000000000ul;
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_SET_REGS, (uint64_t)&r) ==
		       STATUS_ERR_INVAL, "nucleus GS base accepted");
	r.gs_base = (uint64_t)&its;
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_SET_REGS, (uint64_t)&r) == 0, "set");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	metta_sleep(5000); /* it runs, switches happen */
	UCHECK(counter == 0x175, "the thread read 0x%lx through GS", counter);
	uint64_t v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	UCHECK(v == 0x6535, "ours reads 0x%lx after a switch", v);
	metta_cap_delete(SLOT_T);
	metta_set_gs(0);
	return 0;
}

/* A thread killed while it waits on an event lets go of the event: with
 * its capabilities gone, all it cost comes back. */
static void event_waiting_worker(void)
{
	metta_event_wait(SLOT_A, 1, 0);
	metta_thread_exit();
}

static int killed_waiter_lets_go(void)
{
	clear_thread_slot(SLOT_T);
	metta_cap_delete(SLOT_A);
	struct metta_domain_info before = self_info();
	UCHECK(metta_event_create(SLOT_A) == 0, "event");
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T,
				   (uint64_t)event_waiting_worker, stack_top(1),
				   METTA_PRIO_NORM) == 0, "create");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	for (int i = 0; i < 100 && metta_thread_ctl(SLOT_T, THREAD_STATE, 0) !=
					THREAD_IS_BLOCKED; i++)
		metta_sleep(1000);
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_BLOCKED,
	       "not waiting");
	metta_thread_ctl(SLOT_T, THREAD_KILL, 0);
	metta_cap_delete(SLOT_T);
	metta_cap_delete(SLOT_A);
	struct metta_domain_info after = self_info();
	UCHECK(after.quota_used == before.quota_used,
	       "%lu bytes still used", after.quota_used - before.quota_used);
	return 0;
}

/* thread_self: a capability to the calling thread, in a free slot. */
static int thread_self_names_us(void)
{
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_self(SLOT_T) == 0, "thread_self failed");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_STATE, 0) == THREAD_IS_RUNNING,
	       "not the running thread");
	UCHECK(metta_thread_self(SLOT_T) == STATUS_ERR_EXIST, "slot taken twice");
	UCHECK(metta_thread_self(CAP_SLOTS) == STATUS_ERR_BADCAP, "no such slot");
	metta_cap_delete(SLOT_T);
	return 0;
}

/* ---- memory objects ---- */

#define VA1 0x520000000000ull
#define VA2 0x530000000000ull

static int memory_objects_map_and_share(void)
{
	struct metta_domain_info before = self_info();
	UCHECK(metta_mem_create(SLOT_A, 0) == STATUS_ERR_INVAL, "empty object");
	UCHECK(metta_mem_create(SLOT_A, 1ull << 40) == STATUS_ERR_INVAL, "huge object");
	UCHECK(metta_mem_create(SLOT_A, 4) == 0, "create");
	UCHECK(self_info().quota_used < before.quota_used + 4 * 4096,
	       "pages charged before they were touched");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, VA1, 4, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 2, VA2, 2, RIGHT_READ) == 0, "map 2");
	uint64_t mapped = self_info().quota_used;
	((volatile uint64_t *)VA1)[1024] = 0xfeed; /* page 2 */
	UCHECK(self_info().quota_used >= mapped + 4096, "touched page not charged");
	UCHECK(*(volatile uint64_t *)VA2 == 0xfeed, "not shared");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, VA1, 1, RIGHT_READ) == STATUS_ERR_EXIST,
	       "mapped over a mapping");
	UCHECK(metta_mem_unmap(CAP_SELF, VA1 + 4096) == STATUS_ERR_NOENT,
	       "unmapped inside a mapping");
	UCHECK(metta_mem_protect(CAP_SELF, VA2, RIGHT_READ | RIGHT_WRITE) == 0,
	       "protect");
	*(volatile uint64_t *)VA2 = 0xbeef;
	UCHECK(((volatile uint64_t *)VA1)[1024] == 0xbeef, "protect lost the page");
	UCHECK(metta_mem_unmap(CAP_SELF, VA1) == 0 && metta_mem_unmap(CAP_SELF, VA2) == 0,
	       "unmap");
	UCHECK(metta_cap_delete(SLOT_A) == 0, "delete");
	/* Page tables stay; the object and its pages come back. */
	UCHECK(self_info().quota_used <= before.quota_used + 6 * 4096,
	       "object not refunded (%lu more)", self_info().quota_used - before.quota_used);
	return 0;
}

static int bad_mappings_are_refused(void)
{
	UCHECK(metta_mem_create(SLOT_A, 2) == 0, "create");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, VA1, 1, RIGHT_WRITE | RIGHT_EXEC) ==
		       STATUS_ERR_INVAL, "writable and executable");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 1, VA1, 2, RIGHT_READ) == STATUS_ERR_RANGE,
	       "beyond the object");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, VA1 + 12, 1, RIGHT_READ) ==
		       STATUS_ERR_RANGE, "unaligned address");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, 0xffff800000000000ull, 1, RIGHT_READ) ==
		       STATUS_ERR_RANGE, "nucleus address");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, 0x7ffffffff000ull, 2, RIGHT_READ) ==
		       STATUS_ERR_RANGE, "past the end of user space");
	UCHECK(metta_cap_copy(SLOT_A, SLOT_B, RIGHT_READ | RIGHT_GRANT, 0) == 0, "copy");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_B, 0, VA1, 1, RIGHT_READ | RIGHT_WRITE) ==
		       STATUS_ERR_DENIED, "more rights than the capability");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_B, 0, VA1, 1, RIGHT_READ) == 0, "read map");
	UCHECK(metta_mem_protect(CAP_SELF, VA1, RIGHT_READ | RIGHT_WRITE) ==
		       STATUS_ERR_DENIED, "protect beyond the capability");
	UCHECK(metta_mem_unmap(CAP_SELF, VA1) == 0, "unmap");
	UCHECK(metta_mem_map(CAP_SELF, CAP_SELF, 0, VA1, 1, RIGHT_READ) == STATUS_ERR_TYPE,
	       "mapped a domain");
	metta_cap_delete(SLOT_B);
	metta_cap_delete(SLOT_A);
	return 0;
}

/* ---- memory on demand ---- */

#define VA_BIG	  0x540000000000ull
#define BIG_PAGES (1ull << 18) /* 1 GiB */

static volatile uint64_t *big_word(uint64_t page)
{
	return (volatile uint64_t *)(VA_BIG + page * 4096);
}

/* A 1 GiB object costs what is touched of it: four pages, their index
 * leaves and page tables, not 1 GiB and a 2 MiB index. */
static int large_object_costs_what_is_touched(void)
{
	static const uint64_t touched[4] = { 0, 1000, BIG_PAGES / 2, BIG_PAGES - 1 };
	uint64_t before = self_info().quota_used;
	UCHECK(metta_mem_create(SLOT_A, BIG_PAGES) == 0, "create 1 GiB");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, VA_BIG, BIG_PAGES,
			     RIGHT_READ | RIGHT_WRITE) == 0, "map 1 GiB");
	uint64_t mapped = self_info().quota_used;
	UCHECK(mapped - before <= 4 * 4096, "create and map cost %lu bytes",
	       mapped - before);
	for (int i = 0; i < 4; i++)
		*big_word(touched[i]) = 0xb16 + (uint64_t)i;
	uint64_t used = self_info().quota_used - mapped;
	UCHECK(used >= 4 * 4096 && used <= 20 * 4096,
	       "four touched pages cost %lu bytes", used);
	for (int i = 0; i < 4; i++)
		UCHECK(*big_word(touched[i]) == 0xb16 + (uint64_t)i, "page %lu lost",
		       touched[i]);
	UCHECK(*big_word(7) == 0 && big_word(1000)[1] == 0, "fresh memory not zero");
	UCHECK(metta_mem_unmap(CAP_SELF, VA_BIG) == 0, "unmap");
	UCHECK(metta_cap_delete(SLOT_A) == 0, "delete");
	/* Page tables stay; the object, its pages and its index come back. */
	UCHECK(self_info().quota_used <= before + 8 * 4096,
	       "object not refunded (%lu more)", self_info().quota_used - before);
	return 0;
}

/* An object of `pages` in SLOT_A: its first n1 pages mapped writable at
 * VA1, n2 pages from page off2 read-only at VA2. 0 or the first error. */
static long two_mappings(uint64_t pages, uint64_t n1, uint64_t off2, uint64_t n2)
{
	long rc = metta_mem_create(SLOT_A, pages);
	if (!rc)
		rc = metta_mem_map(CAP_SELF, SLOT_A, 0, VA1, n1, RIGHT_READ | RIGHT_WRITE);
	if (!rc)
		rc = metta_mem_map(CAP_SELF, SLOT_A, off2, VA2, n2, RIGHT_READ);
	return rc;
}

/* The nucleus writing or reading our memory (a call's result, a log
 * line, a message) brings in pages we never touched. */
static int nucleus_copies_bring_pages_in(void)
{
	UCHECK(two_mappings(4, 3, 3, 1) == 0, "create and map");
	/* Across the boundary of two untouched pages. */
	struct metta_domain_info *i = (struct metta_domain_info *)(VA1 + 4096 - 16);
	UCHECK(metta_domain_info(CAP_SELF, i) == 0, "info into untouched pages");
	UCHECK(i->quota_limit == self_info().quota_limit && i->id == self_info().id,
	       "info not there");
	UCHECK(metta_log((const char *)(VA1 + 2 * 4096), 8) == 0,
	       "log from an untouched page");
	UCHECK(metta_domain_info(CAP_SELF, (struct metta_domain_info *)VA2) ==
		       STATUS_ERR_FAULT, "wrote into a read-only mapping");
	UCHECK(metta_domain_info(CAP_SELF, (struct metta_domain_info *)(VA2 + 4096)) ==
		       STATUS_ERR_FAULT, "wrote past a mapping");
	UCHECK(*(volatile uint64_t *)VA2 == 0, "read-only page not zero");
	metta_mem_unmap(CAP_SELF, VA1);
	metta_mem_unmap(CAP_SELF, VA2);
	metta_cap_delete(SLOT_A);
	return 0;
}

/* Discarded pages read as zeros after, in every mapping, and their quota
 * comes back; what was not discarded stays. Populated pages are there at
 * once, charged. */
static int discarded_pages_come_back_zero(void)
{
	UCHECK(two_mappings(8, 8, 2, 4) == 0, "create and map");
	for (int p = 0; p < 8; p++)
		((volatile uint64_t *)VA1)[p * 512] = 0xd15c + (uint64_t)p;
	UCHECK(*(volatile uint64_t *)VA2 == 0xd15c + 2, "not shared");
	uint64_t full = self_info().quota_used;
	UCHECK(metta_mem_discard(SLOT_A, 2, 3) == 0, "discard");
	UCHECK(self_info().quota_used == full - 3 * 4096, "discard returned %ld bytes",
	       (long)(full - self_info().quota_used));
	for (int p = 0; p < 8; p++) {
		uint64_t want = p >= 2 && p < 5 ? 0 : 0xd15c + (uint64_t)p;
		UCHECK(((volatile uint64_t *)VA1)[p * 512] == want, "page %d reads 0x%lx",
		       p, ((volatile uint64_t *)VA1)[p * 512]);
	}
	UCHECK(*(volatile uint64_t *)VA2 == 0, "the other mapping kept the old page");
	UCHECK(metta_mem_discard(SLOT_A, 8, 1) == STATUS_ERR_RANGE, "past the end");
	UCHECK(metta_mem_discard(SLOT_A, 4, 5) == STATUS_ERR_RANGE, "running past the end");
	UCHECK(metta_mem_discard(SLOT_A, 1, ~0ull) == STATUS_ERR_RANGE, "wrapping length");
	UCHECK(metta_mem_discard(CAP_SELF, 0, 1) == STATUS_ERR_TYPE, "discarded a domain");
	UCHECK(metta_mem_discard(999, 0, 1) == STATUS_ERR_BADCAP, "bad slot");
	UCHECK(metta_cap_copy(SLOT_A, SLOT_B, RIGHT_READ, 0) == 0, "copy");
	UCHECK(metta_mem_discard(SLOT_B, 0, 1) == STATUS_ERR_DENIED, "discard without WRITE");
	UCHECK(((volatile uint64_t *)VA1)[0] == 0xd15c, "a refused discard changed memory");
	/* mem_populate: the pages now, as if touched; what is there stays. */
	UCHECK(metta_mem_discard(SLOT_A, 2, 3) == 0, "discard again");
	uint64_t some = self_info().quota_used;
	UCHECK(metta_mem_populate(SLOT_A, 0, 8) == 0, "populate");
	UCHECK(self_info().quota_used == some + 3 * 4096, "populate charged %ld bytes",
	       (long)(self_info().quota_used - some));
	UCHECK(((volatile uint64_t *)VA1)[0] == 0xd15c && ((volatile uint64_t *)VA1)[1024] == 0,
	       "populate changed memory");
	UCHECK(metta_mem_populate(SLOT_A, 8, 1) == STATUS_ERR_RANGE, "populate past the end");
	UCHECK(metta_mem_populate(SLOT_A, 1, ~0ull) == STATUS_ERR_RANGE, "wrapping populate");
	UCHECK(metta_mem_populate(SLOT_B, 0, 1) == STATUS_ERR_DENIED, "populate without WRITE");
	UCHECK(metta_mem_populate(CAP_SELF, 0, 1) == STATUS_ERR_TYPE, "populated a domain");
	metta_mem_unmap(CAP_SELF, VA1);
	metta_mem_unmap(CAP_SELF, VA2);
	metta_cap_delete(SLOT_B);
	metta_cap_delete(SLOT_A);
	return 0;
}

/* ---- events ---- */

#define EV 15
static volatile long waiter_got, waiter_took;

static void event_waiter(void)
{
	long t0 = metta_clock();
	waiter_got = metta_event_wait(EV, 0x10, 0);
	waiter_took = metta_clock() - t0;
	metta_thread_exit();
}

static int events_signal_wait_poll(void)
{
	UCHECK(metta_event_create(EV) == 0, "create");
	UCHECK(metta_event_poll(EV, ~0ull >> 1) == 0, "new event has bits");
	UCHECK(metta_event_signal(EV, 0x5) == 0, "signal");
	UCHECK(metta_event_poll(EV, 0x1) == 0x1, "poll took the wrong bits");
	UCHECK(metta_event_wait(EV, 0xf, 0) == 0x4, "wait did not take the rest");
	UCHECK(metta_event_poll(EV, 0xf) == 0, "bits were not cleared");
	UCHECK(metta_event_wait(EV, 0, 0) == STATUS_ERR_INVAL, "empty mask");
	UCHECK(metta_event_wait(EV, 1ull << 63, 0) == STATUS_ERR_INVAL, "bit 63");
	/* A blocked waiter wakes when its bit comes, not before. */
	clear_thread_slot(SLOT_T);
	waiter_got = 0;
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)event_waiter,
				   stack_top(0), METTA_PRIO_NORM) == 0, "thread");
	metta_thread_ctl(SLOT_T, THREAD_START, 0);
	metta_sleep(5000);
	metta_event_signal(EV, 0x20); /* not what it waits for */
	metta_sleep(2000);
	UCHECK(waiter_got == 0, "woke for the wrong bit");
	metta_event_signal(EV, 0x10);
	metta_sleep(2000);
	UCHECK(waiter_got == 0x10, "waiter got %ld", waiter_got);
	UCHECK(waiter_took >= 7000000, "woke after %ld ns", waiter_took);
	UCHECK(metta_event_poll(EV, 0x20) == 0x20, "the other bit was lost");
	clear_thread_slot(SLOT_T);
	return 0;
}

static int event_timeouts_and_timers(void)
{
	long t0 = metta_clock();
	UCHECK(metta_event_wait(EV, 0x100, 10000) == STATUS_ERR_TIMEOUT, "no timeout");
	long took = metta_clock() - t0;
	UCHECK(took >= 10000000 && took < 40000000, "timed out after %ld ns", took);
	t0 = metta_clock();
	UCHECK(metta_event_timer(EV, 0x200, 5000) == 0, "timer");
	UCHECK(metta_event_wait(EV, 0x200, 0) == 0x200, "timer did not signal");
	took = metta_clock() - t0;
	UCHECK(took >= 5000000 && took < 30000000, "timer fired after %ld ns", took);
	UCHECK(metta_event_timer(EV, 0x200, 5000) == 0 &&
		       metta_event_timer(EV, 0x200, 0) == 0, "cancel");
	UCHECK(metta_event_wait(EV, 0x200, 15000) == STATUS_ERR_TIMEOUT,
	       "cancelled timer signalled");
	return 0;
}

static int event_rights(void)
{
	UCHECK(metta_cap_copy(EV, SLOT_A, RIGHT_READ, 0) == 0, "copy");
	UCHECK(metta_event_signal(SLOT_A, 1) == STATUS_ERR_DENIED, "signal without WRITE");
	UCHECK(metta_cap_copy(EV, SLOT_B, RIGHT_WRITE, 0) == 0, "copy");
	UCHECK(metta_event_wait(SLOT_B, 1, 0) == STATUS_ERR_DENIED, "wait without READ");
	UCHECK(metta_event_poll(SLOT_B, 1) == STATUS_ERR_DENIED, "poll without READ");
	UCHECK(metta_event_signal(CAP_SELF, 1) == STATUS_ERR_TYPE, "signalled a domain");
	metta_cap_delete(SLOT_A);
	metta_cap_delete(SLOT_B);
	metta_cap_delete(EV);
	return 0;
}

/* ---- the log ring ---- */

#define LOG_VA 0x560000000000ull

static int log_ring_receives_lines(void)
{
	UCHECK(metta_mem_create(SLOT_A, 2) == 0, "mem");
	UCHECK(metta_event_create(SLOT_B) == 0, "event");
	UCHECK(metta_mem_map(CAP_SELF, SLOT_A, 0, LOG_VA, 2, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map");
	UCHECK(metta_log_register(SLOT_B, SLOT_A, 1) == STATUS_ERR_TYPE,
	       "registered an event as the ring");
	UCHECK(metta_log_register(SLOT_A, SLOT_B, 0x10) == 0, "register");
	metta_printf("to the ring: %d", 4242);
	UCHECK(metta_event_poll(SLOT_B, 0x10) == 0x10, "no event for the line");
	struct metta_log_ring *r = (struct metta_log_ring *)LOG_VA;
	UCHECK(r->size == 2 * 4096 - sizeof(*r), "ring size %lu", r->size);
	/* The ring starts with what was printed before (the boot banner),
	 * and ends with our line. */
	const char *want = "[ncap] to the ring: 4242\n";
	uint64_t n = strlen(want), head = r->head;
	UCHECK(head > n, "head %lu: no boot messages before our line", head);
	for (uint64_t i = 0; i < n; i++)
		UCHECK(r->data[(head - n + i) % r->size] == (uint8_t)want[i],
		       "byte %lu of our line is '%c'", i, r->data[(head - n + i) % r->size]);
	int banner = 0;
	for (uint64_t i = 0; i + 6 < head && i + 6 < r->size; i++)
		banner |= !memcmp(&r->data[i], "Metta ", 6);
	UCHECK(banner, "the boot banner is not in the ring");
	UCHECK(metta_log_register(0xffffffffu, 0, 0) == 0, "unregister");
	metta_printf("not in the ring");
	UCHECK(r->head == head, "written after unregistering");
	metta_mem_unmap(CAP_SELF, LOG_VA);
	metta_cap_delete(SLOT_A);
	metta_cap_delete(SLOT_B);
	return 0;
}

/* Error paths of the thread and domain calls. */
static int bad_thread_and_domain_calls(void)
{
	clear_thread_slot(SLOT_T);
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, 0xffff800000000000ul,
				   stack_top(0), METTA_PRIO_NORM) == STATUS_ERR_INVAL,
	       "thread entry in the nucleus");
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)spinning_worker,
				   stack_top(0), 7) == STATUS_ERR_INVAL, "priority 7");
	UCHECK(metta_thread_create(CAP_SELF, CAP_SELF, (uint64_t)spinning_worker,
				   stack_top(0), METTA_PRIO_NORM) == STATUS_ERR_EXIST,
	       "thread into a used slot");
	UCHECK(metta_thread_create(CAP_SELF, SLOT_T, (uint64_t)spinning_worker,
				   stack_top(0), METTA_PRIO_NORM) == 0, "create");
	UCHECK(metta_thread_ctl(SLOT_T, 99, 0) == STATUS_ERR_INVAL, "unknown op");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_GET_REGS, 0x10) == STATUS_ERR_FAULT,
	       "registers to a bad pointer");
	UCHECK(metta_thread_ctl(SLOT_T, THREAD_START, 0) == 0 &&
		       metta_thread_ctl(SLOT_T, THREAD_START, 0) == STATUS_ERR_BUSY,
	       "started twice");
	clear_thread_slot(SLOT_T);
	/* A child too poor for a thread gets ERR_QUOTA, and nothing else. */
	UCHECK(metta_domain_create(SLOT_A, METTA_CLASS_APPLICATION, METTA_PRIO_NORM,
				   24 * 1024) == 0, "poor child");
	struct metta_domain_info before, after;
	metta_domain_info(SLOT_A, &before);
	UCHECK(metta_thread_create(SLOT_A, SLOT_T, 0x400000, 0x500000,
				   METTA_PRIO_NORM) == STATUS_ERR_QUOTA,
	       "thread beyond the child's quota");
	metta_domain_info(SLOT_A, &after);
	UCHECK(after.quota_used == before.quota_used && after.threads == 0,
	       "failed create changed the child");
	UCHECK(metta_cap_info(SLOT_T) == STATUS_ERR_BADCAP, "failed create filled a slot");
	UCHECK(metta_domain_kill(SLOT_A, 1) == 0, "kill");
	UCHECK(metta_cap_give(SLOT_A, CAP_SELF, 5, RIGHT_READ) == STATUS_ERR_DEAD,
	       "gave to a dead domain");
	UCHECK(metta_domain_set_fault(SLOT_A, 0xffffffffu) == STATUS_ERR_DEAD,
	       "fault portal of a dead domain");
	UCHECK(metta_thread_create(SLOT_A, SLOT_T, 0x400000, 0x500000,
				   METTA_PRIO_NORM) == STATUS_ERR_INVAL,
	       "thread in a dead domain");
	metta_cap_delete(SLOT_A);
	UCHECK(metta_event_create(SLOT_B) == 0 &&
		       metta_event_timer(SLOT_B, 1, 1ull << 50) == STATUS_ERR_RANGE,
	       "a timer centuries away");
	metta_cap_delete(SLOT_B);
	return 0;
}

/* Found by the nucleus fuzzer: a domain that set its own death watch
 * replaced its nester's, and the nester never learnt that it died. */
static int cannot_watch_itself(void)
{
	const uint32_t ev = 200;
	UCHECK(metta_event_create(ev) == 0, "event");
	long rc = metta_domain_watch(CAP_SELF, ev, 1);
	metta_cap_delete(ev);
	UCHECK(rc == STATUS_ERR_DENIED, "watching ourselves: %ld", rc);
	return 0;
}

static const struct utest tests[] = {
	{ "cannot_watch_itself", cannot_watch_itself },
	{ "self_capability", self_capability },
	{ "bad_slots_are_errors", bad_slots_are_errors },
	{ "copies_only_shrink_rights", copies_only_shrink_rights },
	{ "revoke_reaches_all_copies", revoke_reaches_all_copies },
	{ "child_domain_quota_comes_back", child_domain_quota_comes_back },
	{ "full_quota_is_an_error", full_quota_is_an_error },
	{ "thread_runs_and_is_killed", thread_runs_and_is_killed },
	{ "suspend_resume_and_registers", suspend_resume_and_registers },
	{ "set_registers_redirects", set_registers_redirects },
	{ "spinning_thread_is_preempted", spinning_thread_is_preempted },
	{ "priorities_order_threads", priorities_order_threads },
	{ "tls_base_is_per_thread", tls_base_is_per_thread },
	{ "gs_base_is_per_thread", gs_base_is_per_thread },
	{ "thread_self_names_us", thread_self_names_us },
	{ "killed_waiter_lets_go", killed_waiter_lets_go },
	{ "memory_objects_map_and_share", memory_objects_map_and_share },
	{ "bad_mappings_are_refused", bad_mappings_are_refused },
	{ "large_object_costs_what_is_touched", large_object_costs_what_is_touched },
	{ "nucleus_copies_bring_pages_in", nucleus_copies_bring_pages_in },
	{ "discarded_pages_come_back_zero", discarded_pages_come_back_zero },
	{ "events_signal_wait_poll", events_signal_wait_poll },
	{ "event_timeouts_and_timers", event_timeouts_and_timers },
	{ "event_rights", event_rights },
	{ "log_ring_receives_lines", log_ring_receives_lines },
	{ "bad_thread_and_domain_calls", bad_thread_and_domain_calls },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
