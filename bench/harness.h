/*
 * Shared pieces of the Metta benchmark suite: the time stamp counter, the
 * batch runner and the one output format that the report scripts read.
 *
 * Every result is printed as one line
 *     BENCH name=<id> unit=<unit> value=<n> [key=value...]
 * where unit "tsc" means raw time stamp counter ticks. The runner turns them
 * into instructions (under QEMU's -icount the guest TSC advances once per
 * guest instruction) or into nanoseconds (plain TCG, using tsc.mhz).
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdint.h>

/* Read the time stamp counter. TCG executes in order, and on hardware the
 * few cycles of skew are far below what any benchmark here measures, so no
 * fence is used; the clobber keeps the compiler from moving memory accesses
 * across the read. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * One benchmark. batch(n) performs n operations and returns the TSC ticks
 * they took; setup and teardown (either may be NULL) run outside all timing,
 * so helper processes and files are made once, not per batch.
 */
struct bench {
	const char *name;
	const char *what; /* one line for -l */
	unsigned ops;	  /* operations per batch */
	int (*setup)(void);
	uint64_t (*batch)(unsigned n);
	void (*teardown)(void);
};

/* Options shared by all benchmarks (set from the command line). */
extern const char *bench_dir;	/* writable directory for the file tests */
extern const char *bench_spawn; /* tiny static binary for posix_spawn */

/* Print one BENCH line; extra may be NULL or "key=value ..." text. */
void bench_line(const char *name, const char *unit, const char *value,
		const char *extra);

/* Run b: one warm-up batch, then `batches` timed ones; print the median. */
int bench_run(const struct bench *b, unsigned batches);

/* Print a message on standard error, prefixed with the program name. */
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Pin the calling process (and the children it makes later) to CPU 0. */
int bench_pin_cpu0(void);

/* The benchmark tables of each source file, ended by a zeroed entry. */
extern const struct bench bench_sys[], bench_ipc[], bench_mem[], bench_proc[],
    bench_file[];

#endif
