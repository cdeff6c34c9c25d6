/*
 * Answering later: reply capabilities (reply_save, reply_send), their
 * cancellation (THREAD_INTERRUPT, suspension, death, an unanswered reply
 * dropped), and portal notices (cancelled calls, badges whose last
 * capability went). Servers and clients are threads of this domain.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define P	 10 /* the portal */
#define T_SERVER 20
#define T_CLIENT 21
#define EV	 22 /* the portal's watch event */
#define R	 30 /* where the server keeps a held call */
#define R2	 31
#define BADGED	 32
#define BADGED2	 33

enum { OP_ECHO = 1, OP_HOLD, OP_NEST };

#define P2	 23 /* a second server's portal, for nested calls */
#define T_SERVER2 24

static uint8_t stacks[4][16384] __attribute__((aligned(16)));
static uint8_t reply_data[64];
static volatile long client_result = 99, held = 0;
static volatile uint64_t client_words[4];
static uint8_t client_buf[64];

static uint64_t stack_top(int i)
{
	return (uint64_t)&stacks[i][sizeof(stacks[i])] - 8;
}

/* Echoes words (+1); OP_HOLD keeps the caller in slot R with cookie w1. */
static void server(void)
{
	uint64_t w[4] = { 0 }, badge;
	metta_reply_wait(P, NULL, w, &badge);
	for (;;) {
		if (w[0] == OP_HOLD) {
			long rc = metta_reply_save(R, w[1]);
			held = rc == 0 ? 1 : rc;
		} else if (w[0] == OP_NEST) {
			/* Serving our caller, we call another server. */
			uint64_t n[4] = { OP_ECHO, w[1], w[2], w[3] };
			long rc = metta_call(P2, NULL, n);
			w[0] = (uint64_t)rc;
			w[1] = n[1] * 10;
		} else {
			for (int i = 1; i < 4; i++)
				w[i]++;
			w[0] = 0;
		}
		metta_reply_wait(P, NULL, w, &badge);
	}
}

/* Calls OP_HOLD with cookie 7 and records what comes back. */
static void client(void)
{
	uint64_t w[4] = { OP_HOLD, 7, 0, 0 };
	struct metta_msg m = { .recv_buf = (uint64_t)client_buf,
			       .recv_size = sizeof(client_buf) };
	client_result = metta_call(P, &m, w);
	for (int i = 0; i < 4; i++)
		client_words[i] = w[i];
	metta_thread_exit();
}

static int wait_until(volatile long *v, long want)
{
	for (int i = 0; i < 500 && *v != want; i++)
		metta_sleep(1000);
	return *v == want;
}

static int start_client(void)
{
	client_result = 99;
	held = 0;
	metta_cap_delete(T_CLIENT);
	if (metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)client,
				stack_top(1), METTA_PRIO_NORM) ||
	    metta_thread_ctl(T_CLIENT, THREAD_START, 0))
		return 1;
	return !wait_until(&held, 1);
}

/* The next notice: its kind (0 if none). */
static uint64_t notice(uint64_t *value)
{
	struct metta_notice n = { 0, 0 };
	if (metta_portal_notice(P, &n) != 1)
		return 0;
	*value = n.value;
	return n.kind;
}

static int setup(void)
{
	UCHECK(metta_portal_create(P) == 0, "portal");
	UCHECK(metta_event_create(EV) == 0, "event");
	UCHECK(metta_thread_create(CAP_SELF, T_SERVER, (uint64_t)server,
				   stack_top(0), METTA_PRIO_NORM) == 0 &&
		   metta_thread_ctl(T_SERVER, THREAD_START, 0) == 0,
	       "server");
	uint64_t w[4] = { OP_ECHO, 1, 2, 3 };
	UCHECK(metta_call(P, NULL, w) == 0 && w[1] == 2, "echo");
	return 0;
}

static int watch_checks_its_arguments(void)
{
	UCHECK(metta_portal_watch(P, EV, 0) == STATUS_ERR_INVAL, "bits 0");
	UCHECK(metta_portal_watch(P, EV, 1ull << 63) == STATUS_ERR_INVAL,
	       "bit 63");
	UCHECK(metta_portal_watch(P, P, 1) == STATUS_ERR_TYPE, "not an event");
	UCHECK(metta_portal_watch(EV, EV, 1) == STATUS_ERR_TYPE, "not a portal");
	UCHECK(metta_cap_copy(P, 40, RIGHT_CALL | RIGHT_GRANT, 0) == 0, "copy");
	UCHECK(metta_portal_watch(40, EV, 1) == STATUS_ERR_DENIED, "no SERVE");
	UCHECK(metta_portal_notice(40, 0) == STATUS_ERR_DENIED, "notice");
	metta_cap_delete(40);
	UCHECK(metta_portal_watch(P, EV, 1) == 0, "watch");
	UCHECK(metta_portal_notice(P, (struct metta_notice *)0x10) == 0,
	       "a notice out of nothing");
	return 0;
}

static int save_and_send_check_their_arguments(void)
{
	uint64_t w[4] = { 0 };
	UCHECK(metta_reply_save(R, 1) == STATUS_ERR_NOENT, "no caller");
	UCHECK(metta_reply_send(R, NULL, w) == STATUS_ERR_BADCAP, "empty slot");
	UCHECK(metta_reply_send(EV, NULL, w) == STATUS_ERR_TYPE, "an event");
	return 0;
}

static int held_call_answered_from_another_thread(void)
{
	UCHECK(start_client() == 0, "client not held");
	UCHECK(metta_cap_info(R) >> 32 == OBJ_REPLY, "no reply capability");
	UCHECK(client_result == 99, "the held client returned");
	/* The server serves others meanwhile. */
	uint64_t e[4] = { OP_ECHO, 5, 5, 5 };
	UCHECK(metta_call(P, NULL, e) == 0 && e[1] == 6, "server stuck");
	memcpy(reply_data, "answered later", 15);
	struct metta_msg m = { .send_buf = (uint64_t)reply_data, .send_len = 15 };
	uint64_t w[4] = { 0, 11, 22, 33 };
	UCHECK(metta_reply_send(R, &m, w) == 0, "reply_send");
	UCHECK(wait_until(&client_result, 0), "client got %ld", client_result);
	UCHECK(client_words[1] == 11 && client_words[3] == 33, "words");
	UCHECK(!memcmp(client_buf, "answered later", 15), "data");
	UCHECK(metta_cap_info(R) == STATUS_ERR_BADCAP, "reply not used up");
	uint64_t v = 0;
	UCHECK(notice(&v) == 0, "a notice after an answer");
	return 0;
}

static int interrupted_held_call_is_cancelled(void)
{
	UCHECK(start_client() == 0, "client not held");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_INTERRUPT, 0) == 0, "intr");
	UCHECK(wait_until(&client_result, STATUS_ERR_INTR), "client got %ld",
	       client_result);
	UCHECK(metta_event_poll(EV, 1) == 1, "watch event not signalled");
	uint64_t v = 0;
	UCHECK(notice(&v) == PORTAL_CANCELLED && v == 7, "notice %lu", v);
	UCHECK(notice(&v) == 0, "a second notice");
	uint64_t w[4] = { 0 };
	UCHECK(metta_reply_send(R, NULL, w) == STATUS_ERR_INTR, "sent to nobody");
	UCHECK(metta_cap_info(R) == STATUS_ERR_BADCAP, "reply not used up");
	return 0;
}

/* An interrupt that finds no call waits for the next held one. */
static volatile int spin_go;
static void sleepy_client(void)
{
	while (!spin_go)
		;
	client();
}

static int early_interrupt_is_not_lost(void)
{
	spin_go = 0;
	client_result = 99;
	held = 0;
	metta_cap_delete(T_CLIENT);
	UCHECK(metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)sleepy_client,
				   stack_top(1), METTA_PRIO_NORM) == 0, "create");
	metta_thread_ctl(T_CLIENT, THREAD_START, 0);
	metta_sleep(2000);
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_INTERRUPT, 0) == 0, "intr");
	spin_go = 1;
	UCHECK(wait_until(&client_result, STATUS_ERR_INTR), "client got %ld",
	       client_result);
	uint64_t v = 0;
	UCHECK(notice(&v) == PORTAL_CANCELLED && v == 7, "no notice");
	metta_cap_delete(R);
	/* Consumed: the next held call waits as usual. */
	UCHECK(start_client() == 0, "client not held");
	uint64_t w[4] = { 0, 1, 1, 1 };
	UCHECK(metta_reply_send(R, NULL, w) == 0, "reply_send");
	UCHECK(wait_until(&client_result, 0), "client got %ld", client_result);
	return 0;
}

/* Sleeps and event waits are broken by an interrupt too (a signal must
 * reach a runtime that sleeps in nanosleep or waits for a timer). */
#define EV2 25
static volatile long wait_result = 99, wait_again = 99;
static volatile int wait_kind;

static void waiter(void)
{
	if (wait_kind == 0) {
		wait_result = metta_sleep(5000000);
		wait_again = metta_sleep(1000);
	} else if (wait_kind == 1) {
		wait_result = metta_event_wait(EV2, 1, 0);
		wait_again = metta_event_wait(EV2, 1, 1000);
	} else {
		while (!spin_go)
			;
		/* The interrupt came while we ran: this wait takes it. */
		wait_result = metta_sleep(5000000);
		wait_again = metta_sleep(1000);
	}
	metta_thread_exit();
}

static int interrupt_waiter(int kind)
{
	wait_kind = kind;
	wait_result = wait_again = 99;
	spin_go = 0;
	metta_cap_delete(T_CLIENT);
	UCHECK(metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)waiter,
				   stack_top(1), METTA_PRIO_NORM) == 0 &&
		   metta_thread_ctl(T_CLIENT, THREAD_START, 0) == 0,
	       "create");
	metta_sleep(2000);
	if (kind != 2)
		UCHECK(metta_thread_ctl(T_CLIENT, THREAD_STATE, 0) ==
			   THREAD_IS_BLOCKED, "not waiting");
	uint64_t t0 = (uint64_t)metta_clock();
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_INTERRUPT, 0) == 0, "intr");
	spin_go = 1;
	UCHECK(wait_until(&wait_result, STATUS_ERR_INTR), "wait gave %ld",
	       wait_result);
	UCHECK((uint64_t)metta_clock() - t0 < 1000000000ull, "too slow");
	/* Taken once: the next wait waits (and times out, or sleeps). */
	long want = kind == 1 ? STATUS_ERR_TIMEOUT : 0;
	UCHECK(wait_until(&wait_again, want), "next wait gave %ld", wait_again);
	return 0;
}

static int interrupted_sleep_returns_intr(void)
{
	return interrupt_waiter(0);
}

static int interrupted_event_wait_returns_intr(void)
{
	UCHECK(metta_event_create(EV2) == 0, "event");
	return interrupt_waiter(1);
}

static int pending_interrupt_breaks_next_sleep(void)
{
	return interrupt_waiter(2);
}

static int interrupt_checks_its_capability(void)
{
	UCHECK(metta_thread_ctl(200, THREAD_INTERRUPT, 0) == STATUS_ERR_BADCAP,
	       "empty slot");
	UCHECK(metta_thread_ctl(EV, THREAD_INTERRUPT, 0) == STATUS_ERR_TYPE,
	       "an event");
	UCHECK(metta_cap_copy(T_SERVER, 41, RIGHT_READ, 0) == 0, "copy");
	UCHECK(metta_thread_ctl(41, THREAD_INTERRUPT, 0) == STATUS_ERR_DENIED,
	       "no CONTROL");
	metta_cap_delete(41);
	return 0;
}

static int suspended_held_call_is_cancelled(void)
{
	UCHECK(start_client() == 0, "client not held");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_SUSPEND, 0) == 0, "suspend");
	metta_sleep(2000);
	UCHECK(client_result == 99, "ran while suspended");
	uint64_t v = 0;
	UCHECK(notice(&v) == PORTAL_CANCELLED, "no notice");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_RESUME, 0) == 0, "resume");
	UCHECK(wait_until(&client_result, STATUS_ERR_INTR), "client got %ld",
	       client_result);
	metta_cap_delete(R);
	return 0;
}

static int killed_held_caller_is_reported(void)
{
	UCHECK(start_client() == 0, "client not held");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_KILL, 0) == 0, "kill");
	uint64_t v = 0;
	UCHECK(notice(&v) == PORTAL_CANCELLED && v == 7, "no notice");
	uint64_t w[4] = { 0 };
	UCHECK(metta_reply_send(R, NULL, w) == STATUS_ERR_INTR, "sent");
	return 0;
}

static int dropped_reply_fails_the_call(void)
{
	UCHECK(start_client() == 0, "client not held");
	UCHECK(metta_cap_delete(R) == 0, "delete");
	UCHECK(wait_until(&client_result, STATUS_ERR_DEAD), "client got %ld",
	       client_result);
	uint64_t v = 0;
	UCHECK(notice(&v) == 0, "a notice for a dropped reply");
	return 0;
}

static int queued_call_is_interrupted(void)
{
	/* No server waits on portal 14: the client queues. */
	UCHECK(metta_portal_create(14) == 0, "portal");
	UCHECK(metta_cap_copy(14, 15, RIGHT_CALL, 0) == 0, "copy");
	client_result = 99;
	metta_cap_delete(T_CLIENT);
	UCHECK(metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)client,
				   stack_top(1), METTA_PRIO_NORM) == 0, "create");
	/* client() calls P: point it at 14 instead through its slot. */
	metta_cap_move(P, 50);
	metta_cap_move(14, P);
	metta_thread_ctl(T_CLIENT, THREAD_START, 0);
	metta_sleep(2000);
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_STATE, 0) == THREAD_IS_BLOCKED,
	       "not queued");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_INTERRUPT, 0) == 0, "intr");
	UCHECK(wait_until(&client_result, STATUS_ERR_INTR), "client got %ld",
	       client_result);
	metta_cap_delete(P);
	metta_cap_delete(15);
	metta_cap_move(50, P);
	return 0;
}

/* The second server: echoes words (+1). */
static void server2(void)
{
	uint64_t w[4] = { 0 }, badge;
	metta_reply_wait(P2, NULL, w, &badge);
	for (;;) {
		for (int i = 1; i < 4; i++)
			w[i]++;
		w[0] = 0;
		metta_reply_wait(P2, NULL, w, &badge);
	}
}

/* A server that calls another server while serving keeps its caller:
 * the answer comes back to the first caller, and both go on serving. */
static int nested_call_keeps_the_caller(void)
{
	UCHECK(metta_portal_create(P2) == 0, "portal");
	UCHECK(metta_thread_create(CAP_SELF, T_SERVER2, (uint64_t)server2,
				   stack_top(2), METTA_PRIO_NORM) == 0 &&
		   metta_thread_ctl(T_SERVER2, THREAD_START, 0) == 0,
	       "server2");
	for (uint64_t i = 1; i <= 3; i++) {
		uint64_t w[4] = { OP_NEST, i, 0, 0 };
		long rc = metta_call(P, NULL, w);
		UCHECK(rc == 0 && w[0] == 0 && w[1] == (i + 1) * 10,
		       "nested call %lu: rc %ld, w0 %lu, w1 %lu", i, rc, w[0],
		       w[1]);
	}
	uint64_t e[4] = { OP_ECHO, 5, 5, 5 };
	UCHECK(metta_call(P, NULL, e) == 0 && e[1] == 6, "server stuck");
	return 0;
}

static int last_badge_going_is_reported(void)
{
	struct metta_domain_info before, after;
	metta_domain_info(CAP_SELF, &before);
	UCHECK(metta_cap_copy(P, BADGED, RIGHT_CALL | RIGHT_GRANT, 0x55) == 0,
	       "mint");
	UCHECK(metta_cap_copy(BADGED, BADGED2, RIGHT_CALL, 0) == 0, "copy");
	uint64_t v = 0;
	UCHECK(metta_cap_delete(BADGED) == 0 && notice(&v) == 0,
	       "reported while a copy lives");
	UCHECK(metta_cap_delete(BADGED2) == 0, "delete");
	UCHECK(metta_event_poll(EV, 1) == 1, "watch event not signalled");
	/* A bad pointer takes nothing: the notice stays for the next try. */
	UCHECK(metta_portal_notice(P, (struct metta_notice *)0x10) ==
		   STATUS_ERR_FAULT, "bad pointer");
	UCHECK(notice(&v) == PORTAL_GONE && v == 0x55, "notice %lx", v);
	UCHECK(notice(&v) == 0, "a second notice");
	metta_domain_info(CAP_SELF, &after);
	UCHECK(after.quota_used == before.quota_used, "quota %lu -> %lu",
	       before.quota_used, after.quota_used);
	return 0;
}

static const struct utest tests[] = {
	{ "setup", setup },
	{ "watch_checks_its_arguments", watch_checks_its_arguments },
	{ "save_and_send_check_their_arguments",
	  save_and_send_check_their_arguments },
	{ "held_call_answered_from_another_thread",
	  held_call_answered_from_another_thread },
	{ "interrupted_held_call_is_cancelled",
	  interrupted_held_call_is_cancelled },
	{ "early_interrupt_is_not_lost", early_interrupt_is_not_lost },
	{ "interrupted_sleep_returns_intr", interrupted_sleep_returns_intr },
	{ "interrupted_event_wait_returns_intr",
	  interrupted_event_wait_returns_intr },
	{ "pending_interrupt_breaks_next_sleep",
	  pending_interrupt_breaks_next_sleep },
	{ "interrupt_checks_its_capability", interrupt_checks_its_capability },
	{ "suspended_held_call_is_cancelled", suspended_held_call_is_cancelled },
	{ "killed_held_caller_is_reported", killed_held_caller_is_reported },
	{ "dropped_reply_fails_the_call", dropped_reply_fails_the_call },
	{ "queued_call_is_interrupted", queued_call_is_interrupted },
	{ "nested_call_keeps_the_caller", nested_call_keeps_the_caller },
	{ "last_badge_going_is_reported", last_badge_going_is_reported },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
