/*
 * Batch runner and output for the benchmark suite. Output goes through
 * write(2) rather than stdio: benchmarks fork, and a stdio buffer copied
 * into a child would print twice.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MAX_BATCHES 101

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return; /* nowhere else to report it */
		s += n;
		len -= (size_t)n;
	}
}

void bench_line(const char *name, const char *unit, const char *value,
		const char *extra)
{
	char line[256];
	int len;

	len =
	    snprintf(line, sizeof line, "BENCH name=%s unit=%s value=%s%s%s\n",
		     name, unit, value, extra ? " " : "", extra ? extra : "");
	if (len > 0)
		write_all(1, line,
			  (size_t)len < sizeof line ? (size_t)len
						    : sizeof line - 1);
}

static void vwarn(const char *fmt, va_list ap)
{
	char msg[256];
	int len;

	memcpy(msg, "bench: ", 7);
	len = vsnprintf(msg + 7, sizeof msg - 8, fmt, ap);
	if (len < 0)
		return;
	len += 7;
	if (len > (int)sizeof msg - 2)
		len = (int)sizeof msg - 2;
	msg[len++] = '\n';
	write_all(2, msg, (size_t)len);
}

void bench_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

/* Set by bench_fail while a benchmark runs; its figure is then dropped. */
static int failed;

void bench_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	failed = 1;
}

int bench_pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		bench_warn("sched_setaffinity: %m");
		return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Ticks per operation of one batch, rounded to nearest. */
static uint64_t per_op(uint64_t ticks, unsigned n)
{
	return (ticks + n / 2) / n;
}

int bench_run(const struct bench *b, unsigned batches)
{
	uint64_t v[MAX_BATCHES], e[MAX_BATCHES];
	char value[32], extra[128];
	unsigned i;
	int len;

	if (b->batches)
		batches = b->batches;
	if (batches == 0 || batches > MAX_BATCHES)
		batches = 11;
	failed = 0;
	bench_elapsed_set = 0;
	if (b->setup && b->setup() != 0) {
		bench_warn("%s: setup failed, skipped", b->name);
		return -1;
	}
	/* The first batch pays for cold caches, first-touch page faults and,
	 * under TCG, code translation: run it and throw it away. */
	b->batch(b->ops);
	for (i = 0; i < batches && !failed; i++) {
		v[i] = per_op(b->batch(b->ops), b->ops);
		e[i] = per_op(bench_elapsed, b->ops);
	}
	if (b->teardown)
		b->teardown();
	if (failed) {
		bench_warn("%s: failed, no figure", b->name);
		return -1;
	}

	qsort(v, batches, sizeof v[0], cmp_u64);
	snprintf(value, sizeof value, "%llu",
		 (unsigned long long)v[batches / 2]);
	len = snprintf(extra, sizeof extra, "min=%llu max=%llu batches=%u ops=%u",
		       (unsigned long long)v[0],
		       (unsigned long long)v[batches - 1], batches, b->ops);
	if (bench_elapsed_set) {
		qsort(e, batches, sizeof e[0], cmp_u64);
		snprintf(extra + len, sizeof extra - (size_t)len,
			 " elapsed=%llu", (unsigned long long)e[batches / 2]);
	}
	bench_line(b->name, "tsc", value, extra);
	return 0;
}
