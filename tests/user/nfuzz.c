/*
 * The nucleus fuzzer's harness (the root domain of the nucleus_fuzz
 * boot and of `make fuzz-nucleus`): runs the fuzzer (tests/user/fuzzer.c,
 * embedded) as an application-class child in batches, and checks the
 * nucleus (nucleus_check: references against holders, quotas against
 * charges) while each batch runs and after it, and that our own quota
 * use is back where it was once the child is gone (nothing it made
 * outlived it at our cost).
 *
 * The command line says how much: fuzz.calls=N (default 1000000),
 * fuzz.seed=S (1), fuzz.batch=B calls per child (20000),
 * fuzz.workers=W threads (3). A batch that does not end within
 * fuzz.hang=SECONDS (120) of the guest's clock is a hang. A nucleus panic
 * ends the boot (its output fails the run). Prints a line per batch and
 * at the end "nucleus fuzz: N calls, K inconsistencies"; exits 0 only
 * when every batch ended by itself, K is 0 and nothing leaked.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <string/kstring.h>

#include <metta/abi.h>

extern const uint8_t _binary_fuzzer_start[], _binary_fuzzer_end[];

#define D	 40 /* the fuzzer's domain */
#define T	 41 /* its first thread */
#define EV	 42 /* signalled when it dies */
#define INFO_VA	 0x40000000ull
#define CHECK_US 1000000 /* how often to check while a batch runs */

static uint64_t option(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t n = strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, n) ||
		    p[n] != '=')
			continue;
		uint64_t v = 0;
		for (p += n + 1; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		return v;
	}
	return dflt;
}

static uint64_t quota_used(void)
{
	struct metta_domain_info i;
	metta_domain_info(CAP_SELF, &i);
	return i.quota_used;
}

static uint64_t check(void)
{
	long rc = metta_nucleus_check();
	if (rc < 0) {
		metta_printf("nucleus fuzz: the check was refused: %s",
			     status_text((int)rc));
		return 1;
	}
	return (uint64_t)rc;
}

static char args[3][24];
static int verbose; /* fuzz.verbose=1: the fuzzer reports its workers */

static long spawn(uint64_t seed, uint64_t calls, uint64_t workers)
{
	fmt_snprintf(args[0], sizeof(args[0]), "%lu", seed);
	fmt_snprintf(args[1], sizeof(args[1]), "%lu", calls);
	fmt_snprintf(args[2], sizeof(args[2]), "%lu", workers);
	const char *argv[] = { "fuzzer", args[0], args[1], args[2], "v" };
	struct metta_spawn a = { .argc = verbose ? 5 : 4, .argv = argv,
				 .class = METTA_CLASS_APPLICATION,
				 .prio = METTA_PRIO_NORM, .quota = 8 << 20,
				 .populate = 1 };
	const char *why = "";
	long rc = metta_spawn(_binary_fuzzer_start,
			      (uint64_t)(_binary_fuzzer_end - _binary_fuzzer_start),
			      &a, D, T, &why);
	if (rc == 0 && (rc = metta_domain_watch(D, EV, 1)) == 0)
		rc = metta_thread_ctl(T, THREAD_START, 0);
	if (rc)
		metta_printf("nucleus fuzz: spawn: %s (%s)", status_text((int)rc),
			     why);
	return rc;
}

struct run {
	uint64_t seed, calls, batch, workers, hang_us;
	uint64_t done, problems, failures;
	uint64_t baseline; /* our quota use between batches */
};

/* One batch: the child's calls, checked while it runs and after. */
static void batch(struct run *r, uint64_t b, uint64_t calls)
{
	uint64_t before = r->baseline;
	if (spawn(r->seed + b, calls, r->workers)) {
		r->failures++;
		return;
	}
	uint64_t waited = 0;
	while (metta_event_wait(EV, 1, CHECK_US) != 1) {
		r->problems += check();
		waited += CHECK_US;
		if (waited % 5000000 == 0) {
			struct metta_domain_info i;
			metta_domain_info(D, &i);
			struct metta_stats st;
			metta_stats(&st);
			metta_printf("nucleus fuzz: batch %lu: waited %lu s (child: "
				     "%ld threads, dead %ld; calls %lu %lu; "
				     "threads %lu domains %lu)", b, waited / 1000000,
				     i.threads, i.dead, st.calls[0], st.calls[1],
				     st.objects[OBJ_THREAD], st.objects[OBJ_DOMAIN]);
		}
		if (waited >= r->hang_us) {
			metta_printf("nucleus fuzz: HANG: batch %lu did not end in "
				     "%lu s", b, r->hang_us / 1000000);
			r->failures++;
			metta_domain_kill(D, 1);
			break;
		}
	}
	struct metta_domain_info i;
	metta_domain_info(D, &i);
	if (i.exit_status != 0) {
		metta_printf("nucleus fuzz: batch %lu: the fuzzer ended with "
			     "status %#lx", b, (uint64_t)i.exit_status);
		r->failures++;
	}
	metta_cap_delete(T);
	metta_cap_delete(D);
	r->problems += check();
	if (b == 0)
		r->baseline = quota_used(); /* spawning grew our page tables */
	else if (quota_used() != before) {
		metta_printf("nucleus fuzz: batch %lu: %lu bytes of our quota "
			     "not back", b, quota_used() - before);
		r->failures++;
	}
	r->done += calls;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) ||
	    metta_event_create(EV))
		return 2;
	const struct metta_bootinfo *bi = (const void *)INFO_VA;
	struct run r = {
		.seed = option(bi->cmdline, "fuzz.seed", 1),
		.calls = option(bi->cmdline, "fuzz.calls", 1000000),
		.batch = option(bi->cmdline, "fuzz.batch", 20000),
		.workers = option(bi->cmdline, "fuzz.workers", 3),
		.hang_us = option(bi->cmdline, "fuzz.hang", 120) * 1000000,
	};
	verbose = option(bi->cmdline, "fuzz.verbose", 0) != 0;
	metta_printf("nucleus fuzz: %lu calls, seed %lu, %lu per batch, %lu "
		     "workers", r.calls, r.seed, r.batch, r.workers);
	r.problems = check();
	uint64_t t0 = (uint64_t)metta_clock();
	for (uint64_t b = 0; r.done < r.calls && !r.failures; b++) {
		uint64_t n = r.calls - r.done < r.batch ? r.calls - r.done : r.batch;
		batch(&r, b, n);
		uint64_t ms = ((uint64_t)metta_clock() - t0) / 1000000;
		metta_printf("nucleus fuzz: batch %lu: %lu calls, %lu "
			     "inconsistencies, %lu ms, %lu calls/s",
			     b, r.done, r.problems, ms,
			     ms ? r.done * 1000 / ms : 0);
	}
	metta_printf("nucleus fuzz: %lu calls, %lu inconsistencies, %lu "
		     "failures", r.done, r.problems, r.failures);
	return r.problems || r.failures ? 1 : 0;
}
