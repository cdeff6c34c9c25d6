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
	unsigned batches; /* timed batches if not 0 (else the -b count) */
};

/* Options shared by all benchmarks (set from the command line). */
extern const char *bench_dir;	   /* writable directory for the file tests */
extern const char *bench_spawn;	   /* tiny static binary for posix_spawn */
extern const char *bench_disk_dir; /* a directory on the disk, or NULL */
extern const char *bench_net_peer; /* "A.B.C.D:PORT" of the host's peer, or NULL */

/*
 * A timed window that leaves out the CPU's idle time (idle.c): for
 * benchmarks that wait for a device. bench_span_busy returns the ticks
 * since bench_span_start minus the idle time the system reports between
 * them (which needs bench_tsc_mhz), or calls bench_fail if it reports none.
 */
struct bench_span {
	uint64_t tsc;
	int64_t idle_ns;
};
extern double bench_tsc_mhz; /* TSC ticks per microsecond, set by main */
void bench_span_start(struct bench_span *s);
uint64_t bench_span_busy(const struct bench_span *s);
/*
 * The same for a batch whose wall time should count its waits (a network
 * round trip): returns the busy ticks and leaves the elapsed ones in
 * bench_elapsed; a benchmark whose batches end this way gets the median
 * elapsed ticks per operation on its line too, as elapsed=<n>, which the
 * wall-time report uses instead of the busy figure.
 */
uint64_t bench_span_end(const struct bench_span *s);
extern uint64_t bench_elapsed;
extern int bench_elapsed_set; /* bench_span_end ran in this benchmark */

/* For a batch that went wrong: say why, and bench_run prints no figure. */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print one BENCH line; extra may be NULL or "key=value ..." text. */
void bench_line(const char *name, const char *unit, const char *value,
		const char *extra);

/* Run b: one warm-up batch, then `batches` timed ones; print the median. */
int bench_run(const struct bench *b, unsigned batches);

/* Print a message on standard error, prefixed with the program name. */
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Pin the calling process (and the children it makes later) to CPU 0. */
int bench_pin_cpu0(void);

/* Write into dir the files the disk benchmarks find on a fresh image. */
int bench_disk_prepare(const char *dir);

/* The benchmark tables of each source file, ended by a zeroed entry. */
extern const struct bench bench_sys[], bench_ipc[], bench_mem[], bench_proc[],
    bench_file[], bench_disk[], bench_net[];

#endif
