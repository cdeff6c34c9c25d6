/*
 * The virtio-net driver end to end (tests/system/boots.py, "virtio_net"),
 * on QEMU's user network: a native program that finds the card's service
 * by name (nnet SERVICE, e.g. ether0) and checks its files
 * (docs/servers.md, "Network cards"): addr and ctl agree, an ARP request
 * for 10.0.2.2 (the host, as QEMU's user network calls it) from
 * 10.0.2.15 is answered, a read waits for a frame and a PIPE_NOWAIT read
 * does not, readiness queries, every reader sees every frame, a reader
 * that does not read keeps its newest FRAMES_MAX, many frames in flight
 * both ways, bad writes refused with nothing sent, the counts of stats,
 * and, last, a crash of the driver (ctl `crash`) after which pci has
 * restarted it and frames pass again.
 */
#include <9p/client.h>
#include <9p/portal.h>
#include <metta.h>
#include <metta/proto.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

#define FRAMES_MAX 256 /* a reader's queue (drivers/virtio-net/frames.h) */
#define ARP_LEN	   60  /* a request, padded to Ethernet's least */
#define WAIT_MS	   5000
#define F_ROOT	   1
#define F_DATA	   2 /* open for reading and writing */
#define F_CTL	   3
#define F_DATA2	   4 /* a second reader */
#define F_TMP	   5

static const char *service;
static uint32_t srv_slot, conn_slot, conn2_slot;
static struct p9c c, c2; /* c2: a second connection, for a held read */
static uint8_t tbuf[P9_PORTAL_MSIZE], rbuf[P9_PORTAL_MSIZE];
static uint8_t tbuf2[P9_PORTAL_MSIZE], rbuf2[P9_PORTAL_MSIZE];
static uint8_t mac[6];
static uint8_t frame[2048], held_frame[2048];
static uint8_t stack[16384] __attribute__((aligned(16)));

static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t host_ip[4] = { 10, 0, 2, 2 };

/* fid nfid of client p open on name (mode), walked from F_ROOT. */
static int open_as(struct p9c *p, uint32_t nfid, const char *name, uint8_t mode)
{
	const char *names[] = { name };
	int rc = p9c_walk(p, F_ROOT, nfid, 1, names, 0);
	if (rc != 1)
		return rc < 0 ? rc : -1;
	return p9c_open(p, nfid, mode, 0);
}

/* A connection to the service in slot conn, attached: 0 or an error. */
static int connect(struct p9c *p, uint32_t conn, uint8_t *t, uint8_t *r)
{
	int rc = p9_portal_connect(p, srv_slot, conn, t, r);
	return rc ? rc : p9c_attach(p, F_ROOT, "root", "", 0);
}

/* The whole text of file name (at most size - 1 bytes), NUL-ended. */
static long read_text(const char *name, char *buf, uint32_t size)
{
	long rc = open_as(&c, F_TMP, name, P9_OREAD);
	if (rc == 0) {
		rc = p9c_read(&c, F_TMP, 0, buf, size - 1);
		buf[rc > 0 ? rc : 0] = 0;
	}
	p9c_clunk(&c, F_TMP);
	return rc;
}

/* The number after "word " in stats. */
static long stat_of(const char *word)
{
	char text[256];
	if (read_text("stats", text, sizeof(text)) < 0)
		return -1;
	return utest_line_value(text, word);
}

static int hexval(char h)
{
	return h >= '0' && h <= '9'   ? h - '0'
	       : h >= 'a' && h <= 'f' ? h - 'a' + 10
				      : -1;
}

/* An ARP request for 10.0.2.2 from us, into f. */
static void arp_request(uint8_t *f)
{
	memset(f, 0, ARP_LEN);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;		    /* ARP */
	f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0; /* Ethernet, IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, our_ip, 4);
	memcpy(f + 38, host_ip, 4);
}

/* Whether f[n] is the host's ARP reply to us. */
static int is_arp_reply(const uint8_t *f, long n)
{
	return n >= 42 && !memcmp(f, mac, 6) && f[12] == 0x08 &&
	       f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       !memcmp(f + 28, host_ip, 4) && !memcmp(f + 32, mac, 6) &&
	       !memcmp(f + 38, our_ip, 4);
}

static long send_arp(void)
{
	uint8_t f[ARP_LEN];
	arp_request(f);
	return p9c_write(&c, F_DATA, 0, f, ARP_LEN);
}

/* Reads fid's frames without waiting (PIPE_NOWAIT) until the host's ARP
 * reply, for up to WAIT_MS: 1 when it came, 0 if not, or an error. */
static long await_reply(struct p9c *p, uint32_t fid)
{
	for (int ms = 0; ms < WAIT_MS;) {
		long n = p9c_read(p, fid, PIPE_NOWAIT, frame, sizeof(frame));
		if (n == -P9_EAGAIN) {
			metta_sleep(10000);
			ms += 10;
			continue;
		}
		if (n < 0)
			return n;
		if (is_arp_reply(frame, n))
			return 1;
	}
	return 0;
}

/* Reads fid's frames without waiting until none is left: how many. */
static long drain(uint32_t fid)
{
	long n = 0, got;
	while ((got = p9c_read(&c, fid, PIPE_NOWAIT, frame, sizeof(frame))) > 0)
		n++;
	return got == -P9_EAGAIN ? n : got;
}

static int open_all(void)
{
	int rc = connect(&c, conn_slot, tbuf, rbuf);
	if (rc == 0)
		rc = open_as(&c, F_DATA, "data", P9_ORDWR);
	if (rc == 0)
		rc = open_as(&c, F_CTL, "ctl", P9_ORDWR);
	return rc;
}

static int t_connect(void)
{
	srv_slot = metta_slot_alloc();
	conn_slot = metta_slot_alloc();
	conn2_slot = metta_slot_alloc();
	long rc = metta_names_lookup(service, srv_slot);
	UCHECK(rc == 0, "no service %s: %s", service, status_text((int)rc));
	UCHECK((rc = open_all()) == 0, "connect and open: %ld", rc);
	return 0;
}

static int t_addr_and_ctl(void)
{
	char addr[32], ctl[128], want[64];
	UCHECK(read_text("addr", addr, sizeof(addr)) == 12, "addr: %s", addr);
	for (int i = 0; i < 6; i++) {
		int hi = hexval(addr[2 * i]), lo = hexval(addr[2 * i + 1]);
		UCHECK(hi >= 0 && lo >= 0, "addr %s: not lower-case hex", addr);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	UCHECK(read_text("ctl", ctl, sizeof(ctl)) > 0, "ctl");
	fmt_snprintf(want, sizeof(want),
		     "addr %c%c:%c%c:%c%c:%c%c:%c%c:%c%c\nlink up\nmtu 1500\n",
		     addr[0], addr[1], addr[2], addr[3], addr[4], addr[5],
		     addr[6], addr[7], addr[8], addr[9], addr[10], addr[11]);
	UCHECK(!strcmp(ctl, want), "ctl says %s", ctl);
	metta_printf("nnet: %s is %s", service, addr);
	return 0;
}

static int t_nowait_empty(void)
{
	drain(F_DATA);
	long n = p9c_read(&c, F_DATA, PIPE_NOWAIT, frame, sizeof(frame));
	UCHECK(n == -P9_EAGAIN, "a read with nothing queued gave %ld", n);
	uint8_t bits = 0xff;
	n = p9c_read(&c, F_DATA, READY_QUERY | PIPE_NOWAIT | READY_IN, &bits,
		     1);
	UCHECK(n == 1 && bits == 0, "READY_IN query gave %ld, bits %x", n,
	       bits);
	n = p9c_read(&c, F_DATA,
		     READY_QUERY | PIPE_NOWAIT | READY_IN | READY_OUT, &bits,
		     1);
	UCHECK(n == 1 && bits == READY_OUT, "READY_OUT query gave %ld, %x", n,
	       bits);
	return 0;
}

static int t_arp_answered(void)
{
	long before_out = stat_of("out"), before_in = stat_of("in");
	long rc = send_arp();
	UCHECK(rc == ARP_LEN, "write: %ld", rc);
	UCHECK((rc = await_reply(&c, F_DATA)) == 1,
	       "no ARP reply from 10.0.2.2 (%ld)", rc);
	UCHECK(stat_of("out") == before_out + 1, "out %ld, was %ld",
	       stat_of("out"), before_out);
	UCHECK(stat_of("in") >= before_in + 1, "in %ld, was %ld", stat_of("in"),
	       before_in);
	return 0;
}

static int t_ready_when_queued(void)
{
	UCHECK(send_arp() == ARP_LEN, "write");
	uint8_t bits = 0;
	/* Held until the reply is there (no PIPE_NOWAIT). */
	long n = p9c_read(&c, F_DATA, READY_QUERY | READY_IN, &bits, 1);
	UCHECK(n == 1 && bits == READY_IN, "query gave %ld, bits %x", n, bits);
	UCHECK(await_reply(&c, F_DATA) == 1, "no reply after READY_IN");
	return 0;
}

static volatile long held_got = 99;

static void held_reader(void)
{
	held_got = p9c_read(&c2, F_DATA, 0, held_frame, sizeof(held_frame));
	metta_thread_exit();
}

/* Starts held_reader on its thread (slot t); 0 once its read waits. */
static int start_held(uint32_t t)
{
	held_got = 99;
	metta_cap_delete(t);
	if (metta_thread_create(CAP_SELF, t, (uint64_t)held_reader,
				(uint64_t)&stack[sizeof(stack)] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(t, THREAD_START, 0))
		return 1;
	metta_sleep(200000);
	return held_got != 99;
}

static long held_result(void)
{
	for (int i = 0; i < 500 && held_got == 99; i++)
		metta_sleep(10000);
	return held_got;
}

static uint32_t held_thread;

/* A read on another connection waits (held) until the reply comes. */
static int t_held_read(void)
{
	held_thread = metta_slot_alloc();
	int rc = connect(&c2, conn2_slot, tbuf2, rbuf2);
	if (rc == 0)
		rc = open_as(&c2, F_DATA, "data", P9_OREAD);
	UCHECK(rc == 0, "second connection: %d", rc);
	UCHECK(start_held(held_thread) == 0, "the read did not wait: %ld",
	       held_got);
	UCHECK(send_arp() == ARP_LEN, "write");
	long got = held_result();
	UCHECK(got > 0 && is_arp_reply(held_frame, got),
	       "the held read got %ld", got);
	UCHECK(await_reply(&c, F_DATA) == 1, "the first reader missed it");
	return 0;
}

/* A held read whose caller is interrupted ends (EINTR) and takes no
 * frame: the next one is still there for the fid. */
static int t_interrupted_read(void)
{
	UCHECK(start_held(held_thread) == 0, "the read did not wait");
	UCHECK(metta_thread_ctl(held_thread, THREAD_INTERRUPT, 0) == 0,
	       "interrupt");
	long got = held_result();
	UCHECK(got == -P9_EINTR, "the interrupted read got %ld", got);
	UCHECK(send_arp() == ARP_LEN, "write");
	UCHECK(await_reply(&c2, F_DATA) == 1, "the frame went with the read");
	UCHECK(await_reply(&c, F_DATA) == 1, "the first reader missed it");
	return 0;
}

/*
 * FRAMES_READERS (32) fids read at once: the next open is refused
 * (ENFILE) until one goes; a connection that hangs up frees its own.
 */
static int t_too_many_readers(void)
{
	enum { FIRST = 10, READERS = 32, OTHERS = READERS - 2 };
	for (uint32_t f = FIRST; f < FIRST + OTHERS; f++) {
		int rc = open_as(&c2, f, "data", P9_OREAD);
		UCHECK(rc == 0, "reader %u: %d", f, rc);
	}
	int rc = open_as(&c, FIRST, "data", P9_OREAD);
	UCHECK(rc == -P9_ENFILE, "reader 33: %d", rc);
	p9c_clunk(&c, FIRST);
	p9c_clunk(&c2, FIRST);
	UCHECK((rc = open_as(&c, FIRST, "data", P9_OREAD)) == 0,
	       "a freed place: %d", rc);
	/* Full again; a fid open for writing only needs no queue. */
	UCHECK((rc = open_as(&c, FIRST + 1, "data", P9_OWRITE)) == 0,
	       "writer: %d", rc);
	p9c_clunk(&c, FIRST);
	p9c_clunk(&c, FIRST + 1);
	p9_portal_hangup(conn2_slot);
	metta_cap_delete(conn2_slot);
	for (uint32_t f = FIRST; f < FIRST + OTHERS - 1; f++) {
		rc = open_as(&c, f, "data", P9_OREAD);
		UCHECK(rc == 0, "after the hangup, reader %u: %d", f, rc);
	}
	for (uint32_t f = FIRST; f < FIRST + OTHERS - 1; f++)
		p9c_clunk(&c, f);
	return 0;
}

/* A count smaller than the frame cuts it. */
static int t_short_read(void)
{
	UCHECK(send_arp() == ARP_LEN, "write");
	long n = 0;
	for (int i = 0; i < 500; i++) {
		n = p9c_read(&c, F_DATA, PIPE_NOWAIT, frame, 20);
		if (n != -P9_EAGAIN)
			break;
		metta_sleep(10000);
	}
	UCHECK(n == 20 && !memcmp(frame, mac, 6), "read of 20 gave %ld", n);
	return 0;
}

static int t_bad_writes(void)
{
	long out = stat_of("out"), err = stat_of("outerr");
	uint8_t f[1600];
	arp_request(f);
	long rc = p9c_write(&c, F_DATA, 0, f, 13);
	UCHECK(rc == -P9_EINVAL, "13 bytes: %ld", rc);
	rc = p9c_write(&c, F_DATA, 0, f, 1515);
	UCHECK(rc == -P9_EINVAL, "1515 bytes: %ld", rc);
	UCHECK(stat_of("out") == out, "sent: out %ld, was %ld", stat_of("out"),
	       out);
	UCHECK(stat_of("outerr") == err + 2, "outerr %ld, was %ld",
	       stat_of("outerr"), err);
	rc = p9c_write(&c, F_CTL, 0, "junk", 4);
	UCHECK(rc == -P9_EINVAL, "ctl junk: %ld", rc);
	/* The largest frame goes (nobody answers it: an unknown type). */
	memset(f + 12, 0x88, 2);
	rc = p9c_write(&c, F_DATA, 0, f, 1514);
	UCHECK(rc == 1514 && stat_of("out") == out + 1, "1514 bytes: %ld", rc);
	return 0;
}

/* Sends n requests back to back, then reads F_DATA until n replies came:
 * how many came. */
static long burst(int n)
{
	long replies = 0;
	for (int i = 0; i < n; i++)
		if (send_arp() != ARP_LEN)
			return -1;
	for (int ms = 0; ms < WAIT_MS && replies < n;) {
		long got =
		    p9c_read(&c, F_DATA, PIPE_NOWAIT, frame, sizeof(frame));
		if (got == -P9_EAGAIN) {
			metta_sleep(10000);
			ms += 10;
		} else if (got < 0) {
			return got;
		} else {
			replies += is_arp_reply(frame, got);
		}
	}
	return replies;
}

/*
 * Many frames in flight both ways: bursts of 100 requests back to back,
 * each answered in full, while a second reader reads nothing: it keeps
 * its newest FRAMES_MAX and the rest count as dropped.
 */
static int t_many_and_overflow(void)
{
	enum { BURST = 100, BURSTS = 3 };
	UCHECK(open_as(&c, F_DATA2, "data", P9_OREAD) == 0, "second reader");
	drain(F_DATA);
	long in = stat_of("in"), drop = stat_of("indrop");
	long start = metta_clock();
	for (int b = 0; b < BURSTS; b++) {
		long got = burst(BURST);
		UCHECK(got == BURST, "burst %d: %ld replies of %d", b, got,
		       BURST);
	}
	long us = (metta_clock() - start) / 1000;
	metta_printf("nnet: %d frames out and %d in: %ld us, %ld us a pair",
		     BURST * BURSTS, BURST * BURSTS, us, us / (BURST * BURSTS));
	UCHECK(stat_of("in") >= in + BURST * BURSTS, "in %ld, was %ld",
	       stat_of("in"), in);
	long kept = drain(F_DATA2);
	UCHECK(kept == FRAMES_MAX, "the idle reader kept %ld", kept);
	UCHECK(stat_of("indrop") >= drop + BURST * BURSTS - FRAMES_MAX,
	       "indrop %ld, was %ld", stat_of("indrop"), drop);
	p9c_clunk(&c, F_DATA2);
	return 0;
}

/* ctl `crash`: pci starts the driver again; a new connection passes
 * frames. */
static int t_crash_and_restart(void)
{
	long rc = p9c_write(&c, F_CTL, 0, "crash", 5);
	UCHECK(rc < 0, "crash answered %ld", rc);
	metta_cap_delete(conn_slot);
	for (int i = 0; i < 100 && (rc = open_all()) != 0; i++) {
		metta_cap_delete(conn_slot);
		metta_sleep(100000);
	}
	UCHECK(rc == 0, "no new connection: %ld", rc);
	UCHECK(stat_of("out") == 0, "a new driver counts from 0");
	UCHECK(send_arp() == ARP_LEN, "write after the restart");
	UCHECK(await_reply(&c, F_DATA) == 1, "no ARP reply after the restart");
	metta_printf("nnet: frames pass after the restart");
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	service = argc > 1 ? argv[1] : "ether0";
	static const struct utest tests[] = {
		{ "connect", t_connect },
		{ "addr_and_ctl", t_addr_and_ctl },
		{ "nowait_empty", t_nowait_empty },
		{ "arp_answered", t_arp_answered },
		{ "ready_when_queued", t_ready_when_queued },
		{ "held_read", t_held_read },
		{ "interrupted_read", t_interrupted_read },
		{ "too_many_readers", t_too_many_readers },
		{ "short_read", t_short_read },
		{ "bad_writes", t_bad_writes },
		{ "many_and_overflow", t_many_and_overflow },
		{ "crash_and_restart", t_crash_and_restart },
	};
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
