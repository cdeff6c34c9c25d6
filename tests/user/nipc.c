/*
 * IPC tests from user space: portals, call / reply_wait / reply, words,
 * data buffers, capability transfer, badges, rights, timeouts, a server
 * dying mid-call, restart of a suspended call, and correctness under load.
 * Servers and clients are threads of this (root) domain.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define P 10	  /* the portal */
#define P_CALL 11 /* a badged, call-only copy */
#define P_SERVE 12
#define T_SERVER 20
#define T_CLIENT 21
#define RECV_CAP 30

enum { OP_ECHO = 1, OP_DATA, OP_CAP, OP_DIE, OP_INFO };

static uint8_t stacks[8][16384] __attribute__((aligned(16)));
static uint8_t server_buf[METTA_MSG_MAX_DATA];
static volatile long server_badge, server_cap_type;

static uint64_t stack_top(int i)
{
	return (uint64_t)&stacks[i][sizeof(stacks[i])] - 8;
}

/* Echoes words (+1), reverses data, reports received capabilities. */
static void server(void)
{
	uint64_t w[4] = { 0 }, badge;
	struct metta_msg m = {
		.recv_buf = (uint64_t)server_buf,
		.recv_size = sizeof(server_buf),
		.recv_caps = { RECV_CAP },
		.nrecv_caps = 1,
	};
	long rc = metta_reply_wait(P, &m, w, &badge);
	for (;;) {
		uint64_t reply_len = 0;
		if (rc != 0) {
			w[0] = (uint64_t)rc;
		} else if (w[0] == OP_ECHO) {
			for (int i = 1; i < 4; i++)
				w[i]++;
		} else if (w[0] == OP_DATA) {
			for (uint64_t i = 0; i < m.recv_len / 2; i++) {
				uint8_t c = server_buf[i];
				server_buf[i] = server_buf[m.recv_len - 1 - i];
				server_buf[m.recv_len - 1 - i] = c;
			}
			reply_len = m.recv_len;
			w[1] = m.recv_len;
		} else if (w[0] == OP_CAP) {
			w[1] = m.ncaps_received;
			server_cap_type = metta_cap_info(RECV_CAP) >> 32;
			metta_cap_delete(RECV_CAP);
		} else if (w[0] == OP_DIE) {
			metta_thread_exit(); /* never answers */
		} else if (w[0] == OP_INFO) {
			server_badge = (long)badge;
		}
		/* One descriptor: send_* for the reply, recv_* for the next. */
		m = (struct metta_msg){
			.send_buf = (uint64_t)server_buf,
			.send_len = reply_len,
			.recv_buf = (uint64_t)server_buf,
			.recv_size = sizeof(server_buf),
			.recv_caps = { RECV_CAP },
			.nrecv_caps = 1,
		};
		rc = metta_reply_wait(P, &m, w, &badge);
	}
}

static int start_server(void)
{
	metta_thread_ctl(T_SERVER, THREAD_KILL, 0);
	metta_cap_delete(T_SERVER);
	if (metta_thread_create(CAP_SELF, T_SERVER, (uint64_t)server,
				stack_top(0), METTA_PRIO_NORM))
		return 1;
	return (int)metta_thread_ctl(T_SERVER, THREAD_START, 0);
}

static int setup(void)
{
	UCHECK(metta_portal_create(P) == 0, "portal_create failed");
	UCHECK(metta_cap_info(P) >> 32 == OBJ_PORTAL, "not a portal");
	UCHECK(metta_portal_create(P) == STATUS_ERR_EXIST, "overwrote a slot");
	UCHECK(start_server() == 0, "server did not start");
	return 0;
}

static int words_go_and_come_back(void)
{
	uint64_t w[4] = { OP_ECHO, 10, 20, 30 };
	long rc = metta_call(P, NULL, w);
	UCHECK(rc == 0, "call gave %ld", rc);
	UCHECK(w[1] == 11 && w[2] == 21 && w[3] == 31, "reply %lu %lu %lu", w[1],
	       w[2], w[3]);
	return 0;
}

/* The short path (words only) and the general one (a descriptor) must
 * give the same answer. */
static int short_and_general_paths_agree(void)
{
	for (uint64_t k = 0; k < 50; k++) {
		uint64_t a[4] = { OP_ECHO, k, k * 3, ~k }, b[4] = { OP_ECHO, k, k * 3, ~k };
		struct metta_msg empty = { 0 };
		long ra = metta_call(P, NULL, a), rb = metta_call(P, &empty, b);
		UCHECK(ra == rb && ra == 0, "results %ld and %ld", ra, rb);
		for (int i = 0; i < 4; i++)
			UCHECK(a[i] == b[i], "word %d: 0x%lx against 0x%lx", i, a[i], b[i]);
	}
	return 0;
}

static int badge_and_rights(void)
{
	UCHECK(metta_cap_copy(P, P_CALL, RIGHT_CALL, 42) == 0, "badged copy");
	uint64_t w[4] = { OP_INFO };
	UCHECK(metta_call(P_CALL, NULL, w) == 0, "badged call failed");
	UCHECK(server_badge == 42, "server saw badge %ld", server_badge);
	uint64_t b;
	UCHECK(metta_reply_wait(P_CALL, NULL, w, &b) == STATUS_ERR_DENIED,
	       "served through a call-only capability");
	UCHECK(metta_cap_copy(P, P_SERVE, RIGHT_SERVE, 0) == 0, "serve copy");
	UCHECK(metta_call(P_SERVE, NULL, w) == STATUS_ERR_DENIED,
	       "called through a serve-only capability");
	UCHECK(metta_call(CAP_SELF, NULL, w) == STATUS_ERR_TYPE, "called a domain");
	UCHECK(metta_call(200, NULL, w) == STATUS_ERR_BADCAP, "called an empty slot");
	metta_cap_delete(P_SERVE);
	return 0;
}

static uint8_t out[METTA_MSG_MAX_DATA + 1], back[METTA_MSG_MAX_DATA];

static long data_call(uint64_t len, uint64_t recv_size, uint64_t *got)
{
	struct metta_msg m = {
		.send_buf = (uint64_t)out, .send_len = len,
		.recv_buf = (uint64_t)back, .recv_size = recv_size,
	};
	uint64_t w[4] = { OP_DATA };
	long rc = metta_call(P, &m, w);
	*got = m.recv_len;
	return rc;
}

static int data_is_copied_whole(void)
{
	for (uint64_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	static const uint64_t sizes[] = { 1, 100, 4096, 4097, 65536 };
	for (int k = 0; k < 5; k++) {
		uint64_t n = sizes[k], got;
		memset(back, 0, sizeof(back));
		long rc = data_call(n, sizeof(back), &got);
		UCHECK(rc == 0, "%lu bytes: call gave %ld", n, rc);
		UCHECK(got == n, "%lu bytes: %lu came back", n, got);
		for (uint64_t i = 0; i < n; i++)
			UCHECK(back[i] == out[n - 1 - i], "%lu bytes: byte %lu wrong",
			       n, i);
	}
	return 0;
}

/* A descriptor or data across a page boundary cannot be taken where
 * prepare found it in one page: the transfer walks again, and the bytes
 * and the result fields still arrive whole (the nucleus's two ways). */
static uint8_t two_pages[2 * 4096] __attribute__((aligned(4096)));

static int descriptors_and_data_across_pages(void)
{
	for (int k = 0; k < 2; k++) {
		/* k 0: the descriptor straddles the pages; 1: the data. */
		uint64_t edge = (uint64_t)two_pages + 4096;
		struct metta_msg *m =
		    (struct metta_msg *)(k ? two_pages : (uint8_t *)edge - 24);
		uint8_t *data = k ? (uint8_t *)edge - 50 : out;
		for (int i = 0; i < 100; i++)
			data[i] = (uint8_t)(i + k);
		memset(back, 0, 100);
		*m = (struct metta_msg){
			.send_buf = (uint64_t)data, .send_len = 100,
			.recv_buf = (uint64_t)back, .recv_size = 100,
		};
		uint64_t w[4] = { OP_DATA };
		UCHECK(metta_call(P, m, w) == 0, "case %d: call failed", k);
		UCHECK(m->recv_len == 100 && w[1] == 100,
		       "case %d: %lu came back", k, (unsigned long)m->recv_len);
		for (int i = 0; i < 100; i++)
			UCHECK(back[i] == (uint8_t)(99 - i + k),
			       "case %d: byte %d wrong", k, i);
	}
	return 0;
}

static int oversized_or_bad_messages_fail_whole(void)
{
	uint64_t got;
	UCHECK(data_call(METTA_MSG_MAX_DATA + 1, sizeof(back), &got) ==
		       STATUS_ERR_RANGE, "more than 64 KiB accepted");
	uint64_t w[4] = { OP_ECHO, 1, 2, 3 };
	UCHECK(metta_call(P, (struct metta_msg *)0x10, w) == STATUS_ERR_FAULT,
	       "unreadable descriptor accepted");
	struct metta_msg m = { .send_buf = 0x10, .send_len = 100 };
	UCHECK(metta_call(P, &m, w) == STATUS_ERR_FAULT, "unreadable data accepted");
	m = (struct metta_msg){ .send_caps = { 250 }, .nsend_caps = 1 };
	w[0] = OP_CAP;
	UCHECK(metta_call(P, &m, w) == STATUS_ERR_BADCAP, "empty slot passed");
	m = (struct metta_msg){ .nsend_caps = 9 };
	UCHECK(metta_call(P, &m, w) == STATUS_ERR_RANGE, "too many capabilities");
	/* ... and after all that the server is still serving. */
	uint64_t e[4] = { OP_ECHO, 1, 2, 3 };
	UCHECK(metta_call(P, NULL, e) == 0 && e[1] == 2, "server stopped serving");
	return 0;
}

static int capabilities_travel(void)
{
	UCHECK(metta_cap_copy(P, 40, RIGHT_CALL | RIGHT_GRANT, 0) == 0, "copy");
	struct metta_msg m = { .send_caps = { 40 }, .nsend_caps = 1 };
	uint64_t w[4] = { OP_CAP };
	long rc = metta_call(P, &m, w);
	UCHECK(rc == 0, "call gave %ld", rc);
	UCHECK(w[1] == 1, "server received %lu capabilities", w[1]);
	UCHECK(server_cap_type == OBJ_PORTAL, "received a type %ld", server_cap_type);
	UCHECK(metta_cap_info(40) >> 32 == OBJ_PORTAL, "sender lost its copy");
	/* Without RIGHT_GRANT it cannot be passed on. */
	metta_cap_delete(40);
	UCHECK(metta_cap_copy(P, 40, RIGHT_CALL, 0) == 0, "copy");
	UCHECK(metta_call(P, &m, w) == STATUS_ERR_DENIED, "passed without GRANT");
	metta_cap_delete(40);
	return 0;
}

static int call_times_out_without_server(void)
{
	UCHECK(metta_portal_create(13) == 0, "portal");
	struct metta_msg m = { .timeout_us = 20000 };
	uint64_t w[4] = { 0 };
	long t0 = metta_clock();
	long rc = metta_call(13, &m, w);
	long took = metta_clock() - t0;
	UCHECK(rc == STATUS_ERR_TIMEOUT, "call gave %ld", rc);
	UCHECK(took >= 20000000 && took < 60000000, "timed out after %ld ns", took);
	metta_cap_delete(13);
	return 0;
}

static int server_dying_mid_call_is_an_error(void)
{
	uint64_t w[4] = { OP_DIE };
	long rc = metta_call(P, NULL, w);
	UCHECK(rc == STATUS_ERR_DEAD, "call to a dying server gave %ld", rc);
	UCHECK(start_server() == 0, "server restart");
	uint64_t e[4] = { OP_ECHO, 5, 5, 5 };
	UCHECK(metta_call(P, NULL, e) == 0 && e[1] == 6, "new server not serving");
	return 0;
}

/* A caller queued at a portal, suspended, shows a restartable call. */
static volatile long queued_result = 99;
static void queued_client(void)
{
	uint64_t w[4] = { OP_ECHO, 7, 7, 7 };
	queued_result = metta_call(14, NULL, w);
	queued_result = queued_result == 0 && w[1] == 8 ? 0 : 1000 + queued_result;
	metta_thread_exit();
}

static void second_server(void)
{
	uint64_t w[4] = { 0 }, badge;
	long rc = metta_reply_wait(14, NULL, w, &badge);
	for (;;) {
		for (int i = 1; i < 4; i++)
			w[i]++;
		rc = metta_reply_wait(14, NULL, w, &badge);
		(void)rc;
	}
}

static int suspended_call_restarts(void)
{
	struct metta_regs r;
	UCHECK(metta_portal_create(14) == 0, "portal");
	UCHECK(metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)queued_client,
				   stack_top(1), METTA_PRIO_NORM) == 0, "create");
	metta_thread_ctl(T_CLIENT, THREAD_START, 0);
	metta_sleep(2000); /* it is queued: nobody serves 14 yet */
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_SUSPEND, 0) == 0, "suspend");
	metta_sleep(1000);
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_GET_REGS, (uint64_t)&r) == 0, "regs");
	UCHECK(r.rax == SYS_call && *(uint16_t *)r.rip == 0x050f,
	       "not at a restartable call: rax 0x%lx", r.rax);
	UCHECK(r.rdi == 14 && r.rdx == OP_ECHO && r.r10 == 7, "arguments changed");
	UCHECK(metta_thread_create(CAP_SELF, 22, (uint64_t)second_server,
				   stack_top(2), METTA_PRIO_NORM) == 0, "server");
	metta_thread_ctl(22, THREAD_START, 0);
	metta_sleep(1000);
	UCHECK(queued_result == 99, "suspended call completed");
	metta_thread_ctl(T_CLIENT, THREAD_RESUME, 0);
	metta_sleep(5000);
	UCHECK(queued_result == 0, "restarted call gave %ld", queued_result);
	metta_thread_ctl(22, THREAD_KILL, 0);
	metta_cap_delete(22);
	metta_cap_delete(T_CLIENT);
	metta_cap_delete(14);
	return 0;
}

/* Several clients, many calls each: every reply answers its own call. */
#define LOAD_CLIENTS 3
#define LOAD_CALLS 100000
static volatile long load_bad[LOAD_CLIENTS], load_done[LOAD_CLIENTS];

static void load_client(void)
{
	/* Which client am I? The stack tells. */
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	int me = (int)((sp - (uint64_t)stacks[3]) / sizeof(stacks[0]));
	for (long i = 0; i < LOAD_CALLS; i++) {
		uint64_t w[4] = { OP_ECHO, (uint64_t)me, (uint64_t)i, ~(uint64_t)i };
		if (metta_call(P, NULL, w) != 0 || w[1] != (uint64_t)me + 1 ||
		    w[2] != (uint64_t)i + 1 || w[3] != ~(uint64_t)i + 1)
			load_bad[me]++;
	}
	load_done[me] = 1;
	metta_thread_exit();
}

static int many_clients_under_load(void)
{
	for (int c = 0; c < LOAD_CLIENTS; c++) {
		UCHECK(metta_thread_create(CAP_SELF, 50 + c, (uint64_t)load_client,
					   stack_top(3 + c), METTA_PRIO_NORM) == 0,
		       "create client %d", c);
		metta_thread_ctl(50 + c, THREAD_START, 0);
	}
	long t0 = metta_clock();
	for (;;) {
		int done = 0;
		for (int c = 0; c < LOAD_CLIENTS; c++)
			done += (int)load_done[c];
		if (done == LOAD_CLIENTS)
			break;
		UCHECK(metta_clock() - t0 < 120000000000l, "clients not done");
		metta_sleep(20000);
	}
	for (int c = 0; c < LOAD_CLIENTS; c++) {
		UCHECK(load_bad[c] == 0, "client %d got %ld wrong replies", c,
		       load_bad[c]);
		metta_cap_delete(50 + c);
	}
	return 0;
}

static const struct utest tests[] = {
	{ "setup", setup },
	{ "words_go_and_come_back", words_go_and_come_back },
	{ "short_and_general_paths_agree", short_and_general_paths_agree },
	{ "badge_and_rights", badge_and_rights },
	{ "data_is_copied_whole", data_is_copied_whole },
	{ "descriptors_and_data_across_pages",
	  descriptors_and_data_across_pages },
	{ "oversized_or_bad_messages_fail_whole", oversized_or_bad_messages_fail_whole },
	{ "capabilities_travel", capabilities_travel },
	{ "call_times_out_without_server", call_times_out_without_server },
	{ "server_dying_mid_call_is_an_error", server_dying_mid_call_is_an_error },
	{ "suspended_call_restarts", suspended_call_restarts },
	{ "many_clients_under_load", many_clients_under_load },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
