/*
 * Cross-domain tests: child domains loaded by libmetta's spawn from an ELF
 * image (tests/user/child.c, linked in), class rules, isolation, portals
 * between domains, revocation, a user-level pager, and no leaks.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

extern const uint8_t _binary_child_start[], _binary_child_end[];

#define D 30	 /* the child domain */
#define T 31	 /* its thread */
#define P 10	 /* a portal of ours */
#define PC 11	 /* a copy of it, to revoke */
#define PAGER 12 /* the pager's portal */
#define S 40	 /* our server or pager thread */

static uint8_t stacks[2][16384] __attribute__((aligned(16)));
static volatile uint64_t secret = 0x5ec7e7;

static uint64_t child_size(void)
{
	return (uint64_t)(_binary_child_end - _binary_child_start);
}

static void forget_child(void);

static long spawn(const char *what, const char *arg, int64_t class)
{
	forget_child(); /* whatever an earlier, failed test left */
	const char *argv[] = { "child", what, arg };
	struct metta_spawn a = { .argc = arg ? 3 : 2, .argv = argv, .class = class, .prio = METTA_PRIO_NORM, .quota = 1 << 20 };
	const char *why;
	long rc = metta_spawn(_binary_child_start, child_size(), &a, D, T, &why);
	if (rc)
		metta_printf("spawn %s: %s (%s)", what, status_text((int)rc), why);
	return rc;
}

static int64_t wait_dead(void)
{
	struct metta_domain_info i;
	for (int k = 0; k < 2000; k++) {
		if (metta_domain_info(D, &i) == 0 && i.dead)
			return i.exit_status;
		metta_sleep(1000);
	}
	return -1000;
}

static void forget_child(void)
{
	metta_domain_kill(D, 0);
	metta_cap_delete(T);
	metta_cap_delete(D);
}

static void start_thread(void (*fn)(void), int stack)
{
	metta_thread_ctl(S, THREAD_KILL, 0);
	metta_cap_delete(S);
	metta_thread_create(CAP_SELF, S, (uint64_t)fn,
			    (uint64_t)&stacks[stack][sizeof(stacks[stack])] - 8,
			    METTA_PRIO_NORM);
	metta_thread_ctl(S, THREAD_START, 0);
}

static char *hex(char *out, uint64_t v)
{
	char tmp[17];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % 16];
		v /= 16;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
	return out;
}

static uint64_t quota_used(void)
{
	struct metta_domain_info i;
	metta_domain_info(CAP_SELF, &i);
	return i.quota_used;
}

#define EV 13

static int application_cannot_climb(void)
{
	UCHECK(metta_portal_create(P) == 0, "portal");
	UCHECK(metta_event_create(EV) == 0, "event");
	UCHECK(spawn("classes", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_domain_watch(D, EV, 0x8) == 0, "watch");
	UCHECK(metta_thread_ctl(T, THREAD_START, 0) == 0, "start");
	/* The child's death signals its nester's event. */
	UCHECK(metta_event_wait(EV, 0x8, 5000000) == 0x8, "no exit event");
	int64_t st = wait_dead();
	UCHECK(st == 0, "child reported %ld (1/2: made a higher class, "
			"5: a higher priority, 6: ran the nucleus check, "
			"4: saw our capability)", st);
	forget_child();
	return 0;
}

static int corrupt_image_is_refused(void)
{
	uint64_t before = quota_used();
	const char *why;
	const char *argv[] = { "child" };
	struct metta_spawn a = { .argc = 1, .argv = argv, .class = 2, .prio = 1, .quota = 1 << 20 };
	forget_child();
	long rc = metta_spawn(_binary_child_start, 200, &a, D, T, &why);
	UCHECK(rc == STATUS_ERR_CORRUPT, "truncated image gave %ld", rc);
	UCHECK(why[0] != 0, "no reason given");
	UCHECK(metta_cap_info(D) == STATUS_ERR_BADCAP, "left a domain behind");
	UCHECK(quota_used() == before, "left %lu bytes charged",
	       (unsigned long)(quota_used() - before));
	return 0;
}

static uint8_t out[8192], back[8192];

static int portal_between_domains(void)
{
	UCHECK(spawn("serve", 0, METTA_CLASS_SERVER) == 0, "spawn");
	UCHECK(metta_cap_give(D, P, 5, RIGHT_SERVE) == 0, "give");
	metta_thread_ctl(T, THREAD_START, 0);
	for (int i = 0; i < 8192; i++)
		out[i] = (uint8_t)(i * 13);
	for (int round = 0; round < 100; round++) {
		struct metta_msg m = { .send_buf = (uint64_t)out, .send_len = 4096 + round,
				       .recv_buf = (uint64_t)back, .recv_size = sizeof(back) };
		uint64_t w[4] = { 1, 2, 3, (uint64_t)round };
		long rc = metta_call(P, &m, w);
		UCHECK(rc == 0, "call %d gave %ld", round, rc);
		UCHECK(w[3] == (uint64_t)round + 1 && m.recv_len == 4096u + (unsigned)round,
		       "reply %d wrong", round);
		for (uint64_t i = 0; i < m.recv_len; i++)
			UCHECK(back[i] == out[m.recv_len - 1 - i], "byte %lu wrong", i);
	}
	uint64_t w[4] = { 99 };
	UCHECK(metta_call(P, 0, w) == 0 && w[0] == 100, "last call");
	UCHECK(wait_dead() == 0, "child did not end well");
	forget_child();
	return 0;
}

#define SECRET_VA 0x510000000000ull

static int other_domains_memory_is_out_of_reach(void)
{
	/* A page only we map: the child looks for it at the same address. */
	uint32_t m = metta_slot_alloc();
	UCHECK(metta_mem_create(m, 1) == 0, "mem_create");
	UCHECK(metta_mem_map(CAP_SELF, m, 0, SECRET_VA, 1,
			     RIGHT_READ | RIGHT_WRITE) == 0, "map");
	*(volatile uint64_t *)SECRET_VA = secret;
	char addr[20];
	UCHECK(spawn("peek", hex(addr, SECRET_VA), METTA_CLASS_APPLICATION) == 0,
	       "spawn");
	metta_thread_ctl(T, THREAD_START, 0);
	int64_t st = wait_dead();
	UCHECK(st == (0x100 | 14), "child ended with 0x%lx, not a page fault", st);
	UCHECK(*(volatile uint64_t *)SECRET_VA == 0x5ec7e7, "our memory changed");
	forget_child();
	metta_mem_unmap(CAP_SELF, SECRET_VA);
	metta_cap_delete(m);
	return 0;
}

static void echo_server(void)
{
	uint64_t w[4] = { 0 }, b;
	metta_reply_wait(P, 0, w, &b);
	for (;;)
		metta_reply_wait(P, 0, w, &b);
}

static int revocation_takes_effect_at_once(void)
{
	start_thread(echo_server, 0);
	UCHECK(metta_cap_copy(P, PC, RIGHT_CALL | RIGHT_GRANT, 0) == 0, "copy");
	UCHECK(spawn("loopcall", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_cap_give(D, PC, 5, RIGHT_CALL) == 0, "give");
	metta_thread_ctl(T, THREAD_START, 0);
	metta_sleep(20000); /* it calls away */
	struct metta_domain_info i;
	metta_domain_info(D, &i);
	UCHECK(!i.dead, "child stopped calling early (status %ld)", i.exit_status);
	UCHECK(metta_cap_revoke(PC) == 0, "revoke");
	int64_t st = wait_dead();
	UCHECK(st == 100 - STATUS_ERR_BADCAP, "child ended with %ld", st);
	forget_child();
	metta_cap_delete(PC);
	return 0;
}

static volatile long faults_seen;
static volatile uint64_t fault_addr, fault_word0, fault_word2;

/* A user-level pager: maps a page with 0x5a at the faulting address. */
static void pager(void)
{
	uint64_t w[4] = { 0 }, b;
	long rc = metta_reply_wait(PAGER, 0, w, &b);
	for (;;) {
		faults_seen++;
		fault_word0 = w[0];
		fault_addr = w[1];
		fault_word2 = w[2];
		uint64_t answer = 1; /* end it, unless we can help */
		if (rc == 0 && w[0] == (METTA_FAULT | 14)) {
			uint32_t m = metta_slot_alloc();
			uint64_t page = w[1] & ~0xfffull;
			if (metta_mem_create(m, 1) == 0 &&
			    metta_mem_map(CAP_SELF, m, 0, 0x600000000000ull, 1,
					  RIGHT_READ | RIGHT_WRITE) == 0) {
				((volatile uint8_t *)0x600000000000ull)[w[1] & 0xfff] = 0x5a;
				metta_mem_unmap(CAP_SELF, 0x600000000000ull);
				if (metta_mem_map(D, m, 0, page, 1, RIGHT_READ) == 0)
					answer = 0;
			}
			metta_cap_delete(m);
		}
		w[0] = answer;
		rc = metta_reply_wait(PAGER, 0, w, &b);
	}
}

static int user_pager_resolves_faults(void)
{
	UCHECK(metta_portal_create(PAGER) == 0, "portal");
	start_thread(pager, 1);
	faults_seen = 0;
	UCHECK(spawn("pagefault", "500000001234", METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_domain_set_fault(D, PAGER) == 0, "set_fault");
	metta_thread_ctl(T, THREAD_START, 0);
	int64_t st = wait_dead();
	UCHECK(st == 0x5a, "child read %ld through the pager", st);
	UCHECK(faults_seen == 1 && fault_addr == 0x500000001234ull,
	       "pager saw %ld faults, last at 0x%lx", faults_seen, fault_addr);
	forget_child();
	/* An exception goes the same way; the pager refuses it. */
	UCHECK(spawn("ud", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_domain_set_fault(D, PAGER) == 0, "set_fault");
	metta_thread_ctl(T, THREAD_START, 0);
	st = wait_dead();
	UCHECK(fault_word0 == (METTA_FAULT | 6), "pager saw 0x%lx", fault_word0);
	UCHECK(st == (0x100 | 6), "child ended with 0x%lx", st);
	forget_child();
	UCHECK(metta_domain_set_fault(CAP_SELF, 999) == STATUS_ERR_BADCAP,
	       "bad portal accepted");
	return 0;
}

/* ---- memory on demand ---- */

#define SHARE_VA 0x570000000000ull

/* One object in two domains, mapped before either touched it: each sees
 * the other's writes to pages the other brought in. */
static int shared_object_is_coherent(void)
{
	char addr[20];
	uint32_t m = metta_slot_alloc();
	UCHECK(metta_mem_create(m, 8) == 0, "mem_create");
	UCHECK(spawn("share", hex(addr, SHARE_VA), METTA_CLASS_APPLICATION) == 0,
	       "spawn");
	UCHECK(metta_mem_map(CAP_SELF, m, 0, SHARE_VA, 8, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map here");
	UCHECK(metta_mem_map(D, m, 0, SHARE_VA, 8, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map there");
	metta_thread_ctl(T, THREAD_START, 0);
	metta_sleep(3000); /* the child reads page 1 first, most likely */
	volatile uint64_t *w = (volatile uint64_t *)SHARE_VA;
	w[512] = 0x5ba4ed;
	int64_t st = wait_dead();
	UCHECK(st == 0, "child ended with %ld (1: never saw our word)", st);
	UCHECK(w[1024] == 0xc41d, "the child's write is not here: 0x%lx", w[1024]);
	UCHECK(w[0] == 0 && w[1536] == 0, "untouched pages not zero");
	forget_child();
	/* Its pages touched (two words, two reads of zeros) are ours to
	 * pay, whoever brought them in. */
	uint64_t q = quota_used();
	UCHECK(metta_mem_discard(m, 0, 8) == 0, "discard");
	UCHECK(q - quota_used() == 4 * 4096, "we paid %ld bytes for four pages",
	       (long)(q - quota_used()));
	metta_mem_unmap(CAP_SELF, SHARE_VA);
	metta_cap_delete(m);
	return 0;
}

#define NO_MEMORY_FAULT (METTA_EXIT_FAULT | METTA_EXIT_FAULT_NO_MEMORY | 14)

/* A child touching more than its quota ends, alone; its fault handler
 * hears why first; its nester gets the quota back. */
static int out_of_quota_ends_the_child_alone(void)
{
	uint64_t before = quota_used();
	UCHECK(spawn("hog", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	metta_thread_ctl(T, THREAD_START, 0);
	int64_t st = wait_dead();
	UCHECK(st == NO_MEMORY_FAULT, "child ended with 0x%lx", st);
	forget_child();
	UCHECK(quota_used() == before, "%ld bytes not back", (long)(quota_used() - before));
	UCHECK(metta_cap_info(PAGER) >= 0 || metta_portal_create(PAGER) == 0, "portal");
	start_thread(pager, 1);
	faults_seen = 0;
	UCHECK(spawn("hog", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_domain_set_fault(D, PAGER) == 0, "set_fault");
	metta_thread_ctl(T, THREAD_START, 0);
	st = wait_dead();
	UCHECK(faults_seen == 1 && fault_word0 == (METTA_FAULT | 14) &&
		       (fault_word2 & METTA_FAULT_NO_MEMORY),
	       "pager saw %ld faults, words 0x%lx 0x%lx", faults_seen, fault_word0,
	       fault_word2);
	UCHECK(st == NO_MEMORY_FAULT, "child ended with 0x%lx", st);
	forget_child();
	UCHECK(quota_used() <= before + 16 * 4096, "%ld bytes not back",
	       (long)(quota_used() - before));
	return 0;
}

/* A log ring must have every page at once: one its owner cannot pay for
 * is refused. */
static int unaffordable_log_ring_is_refused(void)
{
	UCHECK(spawn("logpoor", 0, METTA_CLASS_SERVER) == 0, "spawn");
	metta_thread_ctl(T, THREAD_START, 0);
	int64_t st = wait_dead();
	UCHECK(st == 0, "child ended with %ld (1: the ring was taken)", st);
	forget_child();
	return 0;
}

/* Kills the child while it waits in its call to us, then answers nobody. */
static void killing_server(void)
{
	uint64_t w[4] = { 0 }, b;
	metta_reply_wait(P, 0, w, &b);
	for (;;) {
		metta_domain_kill(D, 66);
		metta_reply_wait(P, 0, w, &b);
	}
}

static int killed_mid_call_leaves_no_leak(void)
{
	uint64_t before = quota_used();
	start_thread(killing_server, 0);
	UCHECK(spawn("callonce", 0, METTA_CLASS_APPLICATION) == 0, "spawn");
	UCHECK(metta_cap_give(D, P, 5, RIGHT_CALL) == 0, "give");
	metta_thread_ctl(T, THREAD_START, 0);
	UCHECK(wait_dead() == 66, "child was not killed mid-call");
	forget_child();
	UCHECK(quota_used() == before, "%ld bytes leaked",
	       (long)(quota_used() - before));
	return 0;
}

static int caller_gets_error_when_server_dies(void)
{
	metta_thread_ctl(S, THREAD_KILL, 0); /* our own servers stop */
	UCHECK(spawn("serve", 0, METTA_CLASS_SERVER) == 0, "spawn");
	UCHECK(metta_cap_give(D, P, 5, RIGHT_SERVE) == 0, "give");
	metta_thread_ctl(T, THREAD_START, 0);
	uint64_t w[4] = { 98 }; /* the server dies holding this call */
	long rc = metta_call(P, 0, w);
	UCHECK(rc == STATUS_ERR_DEAD, "call gave %ld", rc);
	UCHECK(wait_dead() == 7, "server did not exit");
	forget_child();
	return 0;
}

/* A spinning application must not starve a server on the same CPU. */
static int spinning_application_never_starves_a_server(void)
{
	UCHECK(spawn("spin", 0, METTA_CLASS_APPLICATION) == 0, "spawn spinner");
	metta_thread_ctl(T, THREAD_START, 0);
	const char *argv[] = { "child", "ticker" }, *why;
	struct metta_spawn a = { .argc = 2, .argv = argv, .class = METTA_CLASS_SERVER, .prio = METTA_PRIO_NORM, .quota = 1 << 20 };
	UCHECK(metta_spawn(_binary_child_start, child_size(), &a, 50, 51, &why) == 0,
	       "spawn server");
	long t0 = metta_clock();
	metta_thread_ctl(51, THREAD_START, 0);
	struct metta_domain_info i = { 0 };
	for (int k = 0; k < 2000 && !i.dead; k++) {
		metta_sleep(1000);
		metta_domain_info(50, &i);
	}
	long took = metta_clock() - t0;
	UCHECK(i.dead && i.exit_status == 0, "server did not finish");
	/* 50 sleeps of 1 ms; a starved server would wait slices of 10 ms. */
	UCHECK(took < 200000000, "server took %ld ms beside a spinner", took / 1000000);
	metta_domain_kill(50, 0);
	metta_cap_delete(51);
	metta_cap_delete(50);
	forget_child();
	return 0;
}

/*
 * A whole life (spawn, serve, exit) returns every byte: our own page
 * tables, which only grow, were made by the tests before.
 */
static int a_child_life_is_leak_free(void)
{
	metta_thread_ctl(S, THREAD_KILL, 0);
	metta_cap_delete(S);
	uint64_t before = quota_used();
	UCHECK(spawn("serve", 0, METTA_CLASS_SERVER) == 0, "spawn");
	UCHECK(metta_cap_give(D, P, 5, RIGHT_SERVE) == 0, "give");
	metta_thread_ctl(T, THREAD_START, 0);
	uint64_t w[4] = { 99 };
	UCHECK(metta_call(P, 0, w) == 0, "call");
	UCHECK(wait_dead() == 0, "child did not end well");
	forget_child();
	UCHECK(quota_used() == before, "%ld bytes still charged",
	       (long)(quota_used() - before));
	metta_cap_delete(P);
	metta_cap_delete(PAGER);
	metta_cap_delete(EV);
	return 0;
}

static const struct utest tests[] = {
	{ "application_cannot_climb", application_cannot_climb },
	{ "corrupt_image_is_refused", corrupt_image_is_refused },
	{ "portal_between_domains", portal_between_domains },
	{ "other_domains_memory_is_out_of_reach", other_domains_memory_is_out_of_reach },
	{ "revocation_takes_effect_at_once", revocation_takes_effect_at_once },
	{ "user_pager_resolves_faults", user_pager_resolves_faults },
	{ "shared_object_is_coherent", shared_object_is_coherent },
	{ "out_of_quota_ends_the_child_alone", out_of_quota_ends_the_child_alone },
	{ "unaffordable_log_ring_is_refused", unaffordable_log_ring_is_refused },
	{ "killed_mid_call_leaves_no_leak", killed_mid_call_leaves_no_leak },
	{ "caller_gets_error_when_server_dies", caller_gets_error_when_server_dies },
	{ "spinning_application_never_starves_a_server",
	  spinning_application_never_starves_a_server },
	{ "a_child_life_is_leak_free", a_child_life_is_leak_free },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
