/*
 * The nucleus fuzzer's child: an application-class domain (spawned by
 * tests/user/nfuzz.c) whose worker threads, on both CPUs, make random
 * nucleus calls: numbers in and out of range, slots of every kind (empty,
 * out of range, wrong type, missing rights, revoked, of dead domains),
 * pointers into the nucleus half, unmapped, misaligned and at page edges,
 * huge lengths and counts; with valid objects mixed in so that deep paths
 * run: a portal with a server thread, child domains with live threads
 * (running a yield loop) that the calls suspend, resume, move and kill,
 * memory objects mapped, forked, discarded and unmapped, events signalled
 * and waited for.
 *
 * argv: seed, calls, workers. It exits 0 when the workers made their
 * calls; its main thread interrupts and resumes them every millisecond so
 * that no blocking call (a sleep, a queued call, a held call, an event
 * wait) holds a worker for long.
 *
 * What it never does, so that its own domain survives to count (each is
 * the end of the caller, not a check of the nucleus): exit, thread_exit,
 * set_tls and set_gs (its workers' thread pointers), thread_self and
 * thread_create in itself (a capability to its own threads, which a
 * random thread_ctl would kill), and any call that names its own domain
 * (slot 0), its own threads or its own code and stacks destructively:
 * cap_delete/move/revoke of slot 0, domain_kill of itself, mem_unmap or
 * mem_protect of its image. Addresses given to the nucleus are in the
 * fuzz area (whatever the calls map there), the nucleus half, or
 * unmapped; never its own data, which a call could overwrite.
 */
#include <metta.h>

#include <metta/abi.h>
#include <metta/syscall.h>

#define MAX_WORKERS 4
#define FIRST_POOL  32 /* slots the calls may name destructively */
#define S_BUF	    12 /* the fuzz area's memory */
#define S_CODE	    13 /* a page with a yield loop, for child threads */
#define S_PORTAL    14 /* served by our server thread */
#define S_SERVER    15
#define S_WORKER    16 /* .. + MAX_WORKERS */
#define S_FAULT	    20 /* our faults' portal (badged) */
#define S_HELD	    21 /* .. + MAX_WORKERS: a caller we cannot answer */

#define FUZZ_VA	   0x50000000000ull /* 3 pages mapped, then unmapped */
#define FUZZ_PAGES 3
#define CODE_VA	   0x50100000000ull /* our copy of the loop code */
#define AREA_END   0x50200000000ull /* the calls may map up to here */
#define NCALLS	   60

static uint64_t seed;
static uint64_t per_worker;
static int nworkers;
static volatile uint64_t done[MAX_WORKERS];
static int started; /* workers so far: each takes the next number */
/* Each worker's call now (number, arguments): for a fault's report. */
static volatile uint64_t last[MAX_WORKERS], last_args[MAX_WORKERS][7];
#define FAULT_BADGE 0xfa
static uint8_t stacks[MAX_WORKERS + 1][16384] __attribute__((aligned(16)));
/* Descriptors the workers hand to the nucleus (their buffers fuzzed). */
static struct metta_msg msgs[MAX_WORKERS + 1];

static uint64_t next(uint64_t *s)
{
	/* xorshift64*: seeded per worker, reproducible from the seed. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return next(s) % n;
}

/* A slot: mostly one of the pool, sometimes one out of range. */
static uint32_t slot(uint64_t *s)
{
	switch (below(s, 10)) {
	case 0:
		return (uint32_t)(CAP_SLOTS + below(s, 4));
	case 1:
		return (uint32_t)next(s);
	default:
		return (uint32_t)(FIRST_POOL + below(s, CAP_SLOTS - FIRST_POOL));
	}
}

/* A slot that may also be one of ours (not our code, nor our threads),
 * for calls that may name our domain or buffer. */
static uint32_t any_slot(uint64_t *s)
{
	if (below(s, 6))
		return slot(s);
	uint32_t n = (uint32_t)below(s, S_CODE + 1);
	return n == S_CODE ? S_PORTAL : n;
}

/* An address: in the fuzz area (edges too), unmapped, in the nucleus
 * half, non-canonical, misaligned, or zero. */
static uint64_t addr(uint64_t *s)
{
	uint64_t area = FUZZ_PAGES * 4096;
	switch (below(s, 9)) {
	case 0: return 0;
	case 1: return FUZZ_VA + area - below(s, 64); /* the edge */
	case 2: return FUZZ_VA + area + below(s, 4096);
	case 3: return 0xffff800000000000ull + (next(s) & 0x7fffffffffffull);
	case 4: return 0x0000800000000000ull - below(s, 64);
	case 5: return next(s);
	case 6: return FUZZ_VA + below(s, 64) * 4096 + 1;
	default: return FUZZ_VA + below(s, area);
	}
}

/* A page-aligned address in the fuzz area (for mapping calls). */
static uint64_t area_va(uint64_t *s)
{
	if (!below(s, 8))
		return addr(s);
	return FUZZ_VA + below(s, (AREA_END - FUZZ_VA) / 4096 / 256) * 4096;
}

static uint64_t length(uint64_t *s)
{
	static const uint64_t edges[] = { 0, 1, 7, 8, 4095, 4096, 4097,
					  65536 + 64, 65536 + 65, 1 << 20,
					  1ull << 32, 1ull << 63, ~0ull };
	if (below(s, 3))
		return below(s, 64);
	return edges[below(s, sizeof(edges) / sizeof(*edges))] +
	       (below(s, 4) ? 0 : next(s) % 3);
}

static uint64_t number(uint64_t *s)
{
	switch (below(s, 4)) {
	case 0: return next(s);
	case 1: return (uint64_t)-(int64_t)below(s, 4);
	default: return below(s, 16);
	}
}

static uint64_t rights(uint64_t *s)
{
	return below(s, 4) ? below(s, RIGHT_ALL + 1) : next(s);
}

/* A message descriptor with fuzzed buffers and capabilities. */
static uint64_t descriptor(uint64_t *s, int w)
{
	if (!below(s, 4))
		return below(s, 3) ? addr(s) : 0;
	struct metta_msg *m = &msgs[w];
	*m = (struct metta_msg){ 0 };
	m->send_buf = addr(s);
	m->send_len = length(s);
	m->recv_buf = addr(s);
	m->recv_size = length(s);
	m->nsend_caps = (uint32_t)below(s, 6);
	m->nrecv_caps = (uint32_t)below(s, 6);
	for (int i = 0; i < METTA_MSG_MAX_CAPS; i++) {
		m->send_caps[i] = slot(s);
		m->recv_caps[i] = slot(s);
	}
	m->timeout_us = below(s, 4) ? 1 + below(s, 200) : 0;
	return (uint64_t)m;
}

/* A caller we cannot answer (its descriptor unreadable now: a reply
 * fails and it still waits): held and let go, it gets ERR_DEAD. */
static void drop_caller(uint32_t held)
{
	if (metta_reply_save(held, 0) == 0)
		metta_cap_delete(held);
}

static long raw(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		uint64_t e, uint64_t f)
{
	return metta_syscall((long)(METTA_SYSCALL_BASE + nr), (long)a, (long)b,
			     (long)c, (long)d, (long)e, (long)f);
}

/* One random call by worker w. */
static void fuzz_call(uint64_t *s, int w)
{
	uint64_t nr = below(s, NCALLS), r[4];
	last[w] = nr;
	for (int i = 0; i < 4; i++)
		r[i] = next(s);
	switch (nr) {
	case SYS_exit - METTA_SYSCALL_BASE:
	case SYS_thread_exit - METTA_SYSCALL_BASE:
	case SYS_set_tls - METTA_SYSCALL_BASE:
	case SYS_set_gs - METTA_SYSCALL_BASE:
	case SYS_thread_self - METTA_SYSCALL_BASE:
		nr = 100 + below(s, 1u << 20); /* out of range instead */
		raw(nr, r[0], r[1], r[2], r[3], next(s), next(s));
		return;
	case SYS_log - METTA_SYSCALL_BASE: /* bad text only: no noise */
		raw(nr, below(s, 2) ? addr(s) | 1ull << 47 : FUZZ_VA,
		    1025 + below(s, 99), 0, 0, 0, 0);
		return;
	case SYS_cap_copy - METTA_SYSCALL_BASE:
		metta_cap_copy(slot(s), slot(s), (uint32_t)rights(s),
			       below(s, 2) ? 0 : number(s));
		return;
	case SYS_cap_move - METTA_SYSCALL_BASE:
		metta_cap_move(slot(s), slot(s));
		return;
	case SYS_cap_delete - METTA_SYSCALL_BASE:
		metta_cap_delete(slot(s));
		return;
	case SYS_cap_revoke - METTA_SYSCALL_BASE:
		metta_cap_revoke(slot(s));
		return;
	case SYS_cap_give - METTA_SYSCALL_BASE:
		metta_cap_give(any_slot(s), slot(s), slot(s),
			       (uint32_t)rights(s));
		return;
	case SYS_domain_create - METTA_SYSCALL_BASE:
		metta_domain_create(slot(s), (int64_t)number(s),
				    (int64_t)number(s),
				    below(s, 2) ? below(s, 1 << 20) : length(s));
		return;
	case SYS_domain_kill - METTA_SYSCALL_BASE:
		metta_domain_kill(slot(s), (int64_t)number(s));
		return;
	case SYS_thread_create - METTA_SYSCALL_BASE:
		metta_thread_create(slot(s), slot(s),
				    below(s, 2) ? CODE_VA : addr(s), addr(s),
				    (int64_t)number(s));
		return;
	case SYS_thread_ctl - METTA_SYSCALL_BASE:
		metta_thread_ctl(slot(s), (int64_t)below(s, 13),
				 below(s, 2) ? addr(s) : number(s));
		return;
	case SYS_call - METTA_SYSCALL_BASE:
		metta_call(below(s, 3) ? slot(s) : S_PORTAL,
			   (struct metta_msg *)descriptor(s, w), r);
		return;
	case SYS_reply_wait - METTA_SYSCALL_BASE: {
		uint64_t badge;
		/* Caught a caller (another worker): answer it now, or hold
		 * it (interruptible). A fuzzed answer that fails leaves it
		 * waiting: a plain one then. */
		if (metta_reply_wait(slot(s), (struct metta_msg *)descriptor(s, w),
				     r, &badge) >= 0 &&
		    (below(s, 2) || metta_reply_save(slot(s), next(s))) &&
		    metta_reply((struct metta_msg *)descriptor(s, w), r) &&
		    metta_reply(0, r))
			drop_caller(S_HELD + (uint32_t)w);
		return;
	}
	case SYS_reply - METTA_SYSCALL_BASE:
		metta_reply((struct metta_msg *)descriptor(s, w), r);
		return;
	case SYS_reply_send - METTA_SYSCALL_BASE:
		metta_reply_send(slot(s), (struct metta_msg *)descriptor(s, w), r);
		return;
	case SYS_mem_map - METTA_SYSCALL_BASE:
		metta_mem_map(any_slot(s), slot(s), number(s), area_va(s),
			      below(s, 3) ? 1 + below(s, 8) : length(s), rights(s));
		return;
	case SYS_mem_unmap - METTA_SYSCALL_BASE:
		metta_mem_unmap(any_slot(s), area_va(s));
		return;
	case SYS_mem_protect - METTA_SYSCALL_BASE:
		metta_mem_protect(any_slot(s), area_va(s), rights(s));
		return;
	case SYS_mem_fork - METTA_SYSCALL_BASE:
		metta_mem_fork(any_slot(s), below(s, 2) ? CODE_VA : area_va(s),
			       below(s, 3), slot(s));
		return;
	default:
		break;
	}
	/* The rest take slots, numbers and pointers anywhere: any slot may
	 * be looked at, pointers are of the fuzz area or bad. */
	uint64_t a[6];
	for (int i = 0; i < 6; i++) {
		switch (below(s, 4)) {
		case 0: a[i] = any_slot(s); break;
		case 1: a[i] = addr(s); break;
		case 2: a[i] = length(s); break;
		default: a[i] = number(s); break;
		}
	}
	/* Our own reflection entry would take the out-of-range numbers. */
	if ((nr == SYS_domain_set_reflect - METTA_SYSCALL_BASE ||
	     nr == SYS_domain_set_fault - METTA_SYSCALL_BASE) &&
	    (uint32_t)a[0] < FIRST_POOL) /* slots are 32 bits */
		a[0] = slot(s);
	/* Waits short: a worker that blocks waits for the next interrupt. */
	if (nr == SYS_sleep - METTA_SYSCALL_BASE)
		a[0] = below(s, 200);
	if (nr == SYS_event_wait - METTA_SYSCALL_BASE)
		a[2] = 1 + below(s, 200);
	if (nr >= SYS_nucleus_check - METTA_SYSCALL_BASE && below(s, 2)) {
		/* Out of range: above the last, or any number at all (below
		 * the base: a Linux number, ERR_NOTSUP without a runtime). */
		uint64_t any = below(s, 2) ? METTA_SYSCALL_BASE + 55 + below(s, 100)
					   : next(s);
		last_args[w][0] = any;
		for (int i = 0; i < 6; i++)
			last_args[w][i + 1] = a[i];
		metta_syscall((long)any, (long)a[0], (long)a[1], (long)a[2],
			      (long)a[3], (long)a[4], (long)a[5]);
		return;
	}
	raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * A structured step: something valid, so that later random calls find
 * live objects: a child domain with our loop code mapped and a running
 * thread, memory mapped in the fuzz area, events, badged portal copies.
 */
static void build(uint64_t *s, int w)
{
	last[w] = 1000;
	uint32_t d = slot(s), t = slot(s), m = slot(s);
	switch (below(s, 6)) {
	case 0:
		if (metta_domain_create(d, METTA_CLASS_APPLICATION,
					METTA_PRIO_LOW, 128 << 10) == 0 &&
		    metta_mem_map(d, S_CODE, 0, CODE_VA, 1,
				  RIGHT_READ | RIGHT_EXEC) == 0 &&
		    metta_thread_create(d, t, CODE_VA, 0, METTA_PRIO_LOW) == 0) {
			metta_thread_ctl(t, THREAD_SET_CPU, below(s, 2));
			metta_thread_ctl(t, THREAD_START, 0);
		}
		return;
	case 1:
		if (metta_mem_create(m, 1 + below(s, 16)) == 0)
			metta_mem_map(CAP_SELF, m, 0, area_va(s), 1 + below(s, 4),
				      RIGHT_READ | RIGHT_WRITE);
		return;
	case 2:
		metta_event_create(m);
		metta_event_signal(m, next(s));
		return;
	case 3:
		metta_cap_copy(S_PORTAL, m, RIGHT_CALL | RIGHT_GRANT,
			       1 + below(s, 8));
		return;
	case 4:
		metta_portal_create(m);
		metta_portal_watch(m, slot(s), 1 + below(s, 1u << 30));
		return;
	default:
		metta_cap_copy(S_BUF, m, (uint32_t)rights(s) | RIGHT_GRANT, 0);
		return;
	}
}

static void worker(void)
{
	int w = __atomic_fetch_add(&started, 1, __ATOMIC_RELAXED);
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + (uint64_t)w + 1;
	for (uint64_t i = 0; i < per_worker; i++) {
		if (below(&s, 8) == 0)
			build(&s, w);
		else
			fuzz_call(&s, w);
		done[w] = i + 1;
	}
	for (;;)
		metta_sleep(1000000);
}

/* One of our own threads faulted: the fuzzer's bug or the nucleus's.
 * Says what each worker was doing (the domain then ends). */
static void report_fault(const uint64_t w[4])
{
	metta_printf("fuzzer: our own fault %#lx at %#lx, rip %#lx", w[0], w[1],
		     w[3]);
	for (int i = 0; i < nworkers; i++)
		metta_printf("fuzzer: worker %d: call %lu (last raw %#lx: %#lx %#lx "
			     "%#lx %#lx %#lx %#lx)", i, last[i], last_args[i][0],
			     last_args[i][1], last_args[i][2], last_args[i][3],
			     last_args[i][4], last_args[i][5], last_args[i][6]);
}

/* Our portal's server: answers every call (a fault call too: nonzero
 * ends the faulting child), with whatever it was sent echoed. */
static void server(void)
{
	uint64_t w[4] = { 1, 0, 0, 0 }, badge;
	struct metta_msg *m = &msgs[MAX_WORKERS];
	int failed = 0;
	for (;;) {
		*m = (struct metta_msg){ .recv_buf = FUZZ_VA,
					 .recv_size = 4096 };
		w[0] = 1;
		/* After a failure, words only: the fuzz area may be gone. */
		long rc = metta_reply_wait(S_PORTAL, failed ? 0 : m, w, &badge);
		if (rc >= 0 && badge == FAULT_BADGE)
			report_fault(w);
		if (rc < 0) /* the answer failed (or the receive): let go */
			drop_caller(S_HELD + MAX_WORKERS);
		failed = rc < 0 && !failed;
		*m = (struct metta_msg){ 0 };
		w[0] = 1; /* a fault: the domain ends */
	}
}

static uint64_t top(int i)
{
	return (uint64_t)&stacks[i][sizeof(stacks[i])] - 8;
}

static long start(uint32_t slot, void (*fn)(void), int stack, int cpu)
{
	long rc = metta_thread_create(CAP_SELF, slot, (uint64_t)fn, top(stack),
				      METTA_PRIO_NORM);
	if (rc == 0)
		rc = metta_thread_ctl(slot, THREAD_SET_CPU, (uint64_t)cpu);
	return rc ? rc : metta_thread_ctl(slot, THREAD_START, 0);
}

static uint64_t parse(const char *p)
{
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

/* The loop children run: sleep 10 ms, again (mov $SYS_sleep, %eax;
 * mov $10000, %edi; syscall; jmp): live threads that cost little. */
static long setup(void)
{
	static const uint8_t loop[] = { 0xb8, 0, 0, 0, 0, 0xbf, 0x10, 0x27, 0,
					0, 0x0f, 0x05, 0xeb, 0xf2 };
	long rc;
	if ((rc = metta_mem_create(S_BUF, FUZZ_PAGES + 1)) ||
	    (rc = metta_mem_map(CAP_SELF, S_BUF, 0, FUZZ_VA, FUZZ_PAGES,
				RIGHT_READ | RIGHT_WRITE)) ||
	    (rc = metta_mem_create(S_CODE, 1)) ||
	    (rc = metta_mem_map(CAP_SELF, S_CODE, 0, CODE_VA, 1,
				RIGHT_READ | RIGHT_WRITE)) ||
	    (rc = metta_portal_create(S_PORTAL)) ||
	    (rc = metta_cap_copy(S_PORTAL, S_FAULT, RIGHT_CALL | RIGHT_GRANT,
				 FAULT_BADGE)) ||
	    (rc = metta_domain_set_fault(CAP_SELF, S_FAULT)))
		return rc;
	uint8_t *code = (uint8_t *)CODE_VA;
	for (unsigned i = 0; i < sizeof(loop); i++)
		code[i] = loop[i];
	uint32_t sleep = SYS_sleep;
	for (int i = 0; i < 4; i++)
		code[1 + i] = (uint8_t)(sleep >> (8 * i));
	return start(S_SERVER, server, MAX_WORKERS, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc < 4)
		return 2;
	seed = parse(argv[1]);
	uint64_t calls = parse(argv[2]);
	nworkers = (int)parse(argv[3]);
	if (nworkers < 1 || nworkers > MAX_WORKERS)
		return 2;
	per_worker = calls / (uint64_t)nworkers;
	long rc = setup();
	for (int i = 0; rc == 0 && i < nworkers; i++)
		rc = start(S_WORKER + (uint32_t)i, worker, i, i % 2);
	if (rc) {
		metta_printf("fuzzer: setup: %s", status_text((int)rc));
		return 3;
	}
	uint64_t seen = 0, still = 0, shown = (uint64_t)metta_clock();
	int verbose = argc > 4;
	for (;;) {
		metta_sleep(1000);
		uint64_t sum = 0;
		for (int i = 0; i < nworkers; i++) {
			sum += done[i];
			metta_thread_ctl(S_WORKER + (uint32_t)i, THREAD_INTERRUPT, 0);
			metta_thread_ctl(S_WORKER + (uint32_t)i, THREAD_RESUME, 0);
		}
		if (sum >= per_worker * (uint64_t)nworkers)
			return 0;
		if (verbose && (uint64_t)metta_clock() - shown > 5000000000ull) {
			shown = (uint64_t)metta_clock();
			for (int i = 0; i < nworkers; i++)
				metta_printf("fuzzer: worker %d: %lu calls, in call "
					     "%lu, state %ld", i, done[i], last[i],
					     metta_thread_ctl(S_WORKER + (uint32_t)i,
							      THREAD_STATE, 0));
		}
		still = sum == seen ? still + 1 : 0;
		seen = sum;
		if (still == 10000) { /* 10 s without a call made */
			metta_printf("fuzzer: no progress at %lu calls", sum);
			for (int i = 0; i < nworkers; i++)
				metta_printf("fuzzer: worker %d: %lu calls, in call "
					     "%lu, state %ld", i, done[i], last[i],
					     metta_thread_ctl(S_WORKER + (uint32_t)i,
							      THREAD_STATE, 0));
		}
	}
}
