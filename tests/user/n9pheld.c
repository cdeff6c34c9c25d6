/*
 * The 9P server library over real portals, answering later: a read that
 * waits is held while the server goes on serving; a client interrupted in
 * it flushes it (EINTR); a client killed in it is forgotten; and clients
 * that die holding open files have their connections hung up by the
 * nucleus's notice, so a server with 8 connections serves 100 of them in
 * turn, and every quota is back where it started.
 */
#include <9p/client.h>
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define SP	 10 /* the server's portal */
#define CONN	 11 /* a client's connection */
#define CHILD	 12
#define T_SERVER 20
#define T_CLIENT 21
#define NCONN	 8
#define CLIENTS	 100

static uint8_t stacks[2][16384] __attribute__((aligned(16)));
static uint8_t tbuf[P9_PORTAL_MSIZE], rbuf[P9_PORTAL_MSIZE];
static uint8_t tbuf2[P9_PORTAL_MSIZE], rbuf2[P9_PORTAL_MSIZE];

/* "now" reads at once; "later" holds every read until answer_later(). */
static struct p9srv fs;
static struct p9srv_req *waiting;
static volatile int forgotten;

static long read_now(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t off, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	if (off >= 3 || count == 0)
		return 0;
	memcpy(buf, "now", 3);
	return 3;
}

static long read_later(void *ctx, const struct p9synth_entry *e,
		       uint64_t inst, uint64_t off, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)off, (void)buf, (void)count;
	if (waiting)
		return -P9_EBUSY;
	waiting = p9srv_hold(&fs);
	return waiting ? P9SRV_HELD : -P9_EBUSY;
}

static void forget(struct p9srv_req *r)
{
	if (r == waiting)
		waiting = 0;
	forgotten++;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "now", 1, 0444, 0, read_now, 0, 0, 0 },
	{ "later", 2, 0444, 0, read_later, 0, 0, 0 },
};
static struct p9synth tree;
static P9SRV_STORAGE(store, NCONN, 8);

static void server(void)
{
	p9_serve_portal(&fs, SP);
}

static uint32_t under_lock(uint32_t (*fn)(const struct p9srv *))
{
	p9_portal_lock();
	uint32_t n = fn(&fs);
	p9_portal_unlock();
	return n;
}

static int wait_for(uint32_t (*fn)(const struct p9srv *), uint32_t want)
{
	for (int i = 0; i < 1000 && under_lock(fn) != want; i++)
		metta_sleep(1000);
	return under_lock(fn) == want;
}

/* A connection in slot conn with fid 2 open on name. */
static int open_file(struct p9c *c, uint32_t conn, const char *name,
		     uint8_t *t, uint8_t *r)
{
	int rc = p9_portal_connect(c, SP, conn, t, r);
	if (rc)
		return 100 - rc;
	if ((rc = p9c_attach(c, 1, "metta", "", 0)))
		return 200 - rc;
	const char *names[] = { name };
	if ((rc = p9c_walk(c, 1, 2, 1, names, 0)) != 1)
		return 300 - rc;
	return (rc = p9c_open(c, 2, P9_OREAD, 0)) ? 400 - rc : 0;
}

static int setup(void)
{
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "metta", 0);
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(store));
	fs.forget = forget;
	UCHECK(metta_portal_create(SP) == 0, "portal");
	UCHECK(metta_thread_create(CAP_SELF, T_SERVER, (uint64_t)server,
				   (uint64_t)&stacks[0][16384] - 8,
				   METTA_PRIO_NORM) == 0 &&
		   metta_thread_ctl(T_SERVER, THREAD_START, 0) == 0,
	       "server");
	struct p9c c;
	int rc = open_file(&c, CONN, "now", tbuf, rbuf);
	UCHECK(rc == 0, "open: %d", rc);
	char buf[8];
	UCHECK(p9c_read(&c, 2, 0, buf, sizeof(buf)) == 3, "read");
	metta_cap_delete(CONN); /* no hangup: the notice does it */
	UCHECK(wait_for(p9srv_nconns, 0), "connection stays after its end");
	return 0;
}

static struct p9c held_client;
static volatile long held_result = 99;

static void blocked_reader(void)
{
	char buf[8];
	held_result = p9c_read(&held_client, 2, 0, buf, sizeof(buf));
	metta_thread_exit();
}

static int start_reader(void)
{
	held_result = 99;
	metta_cap_delete(T_CLIENT);
	if (metta_thread_create(CAP_SELF, T_CLIENT, (uint64_t)blocked_reader,
				(uint64_t)&stacks[1][16384] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(T_CLIENT, THREAD_START, 0))
		return 1;
	return !wait_for(p9srv_nheld, 1);
}

/* The server answers the held read (as a pipe would when data comes). */
static int answer_waiting(const char *text)
{
	p9_portal_lock();
	int rc = p9srv_respond_read(waiting, text, (uint32_t)strlen(text));
	waiting = 0;
	p9_portal_unlock();
	return rc;
}

static long reader_result(void)
{
	for (int i = 0; i < 1000 && held_result == 99; i++)
		metta_sleep(1000);
	return held_result;
}

static int held_read_answered_while_others_are_served(void)
{
	UCHECK(open_file(&held_client, CONN, "later", tbuf, rbuf) == 0, "open");
	UCHECK(start_reader() == 0, "read not held");
	/* Another client is served meanwhile. */
	struct p9c other;
	UCHECK(open_file(&other, 13, "now", tbuf2, rbuf2) == 0,
	       "a second client stalls behind the held read");
	char buf[8];
	UCHECK(p9c_read(&other, 2, 0, buf, sizeof(buf)) == 3, "read");
	p9_portal_hangup(13);
	metta_cap_delete(13);
	UCHECK(answer_waiting("late") == 0, "respond");
	UCHECK(reader_result() == 4, "reader got %ld", held_result);
	return 0;
}

static int interrupted_read_is_flushed(void)
{
	int before = forgotten;
	UCHECK(start_reader() == 0, "read not held");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_INTERRUPT, 0) == 0, "intr");
	UCHECK(reader_result() == -P9_EINTR, "reader got %ld", held_result);
	UCHECK(wait_for(p9srv_nheld, 0) && forgotten == before + 1,
	       "held read not forgotten");
	/* The connection works on. */
	UCHECK(start_reader() == 0, "read not held again");
	UCHECK(answer_waiting("ok") == 0, "respond");
	UCHECK(reader_result() == 2, "reader got %ld", held_result);
	return 0;
}

static int killed_reader_is_forgotten(void)
{
	int before = forgotten;
	UCHECK(start_reader() == 0, "read not held");
	UCHECK(metta_thread_ctl(T_CLIENT, THREAD_KILL, 0) == 0, "kill");
	UCHECK(wait_for(p9srv_nheld, 0) && forgotten == before + 1,
	       "held read not forgotten");
	metta_cap_delete(CONN);
	UCHECK(wait_for(p9srv_nconns, 0), "connection stays");
	return 0;
}

/* A client domain that dies holding an open file. */
static int one_dying_client(void)
{
	struct p9c c;
	if (open_file(&c, CONN, "now", tbuf, rbuf))
		return 1;
	if (metta_domain_create(CHILD, METTA_CLASS_APPLICATION,
				METTA_PRIO_NORM, 64 * 1024) ||
	    metta_cap_give(CHILD, CONN, 5, RIGHT_CALL) ||
	    metta_cap_delete(CONN))
		return 2;
	metta_domain_kill(CHILD, 9);
	metta_cap_delete(CHILD);
	return wait_for(p9srv_nconns, 0) ? 0 : 3;
}

static int dead_clients_free_their_connections(void)
{
	UCHECK(one_dying_client() == 0, "warm-up");
	struct metta_domain_info before, after;
	metta_domain_info(CAP_SELF, &before);
	for (int i = 0; i < CLIENTS; i++) {
		int rc = one_dying_client();
		UCHECK(rc == 0, "client %d: step %d (%u connections)", i, rc,
		       under_lock(p9srv_nconns));
	}
	metta_domain_info(CAP_SELF, &after);
	UCHECK(after.quota_used == before.quota_used, "quota %lu -> %lu",
	       before.quota_used, after.quota_used);
	return 0;
}

static const struct utest tests[] = {
	{ "setup", setup },
	{ "held_read_answered_while_others_are_served",
	  held_read_answered_while_others_are_served },
	{ "interrupted_read_is_flushed", interrupted_read_is_flushed },
	{ "killed_reader_is_forgotten", killed_reader_is_forgotten },
	{ "dead_clients_free_their_connections",
	  dead_clients_free_their_connections },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
