/*
 * Busy time: TSC ticks minus the time the CPU sat idle, as the system
 * itself reports its idle time. The disk benchmarks need it: a CPU that
 * waits for the disk halts, and under QEMU's -icount (sleep=off) a halted
 * CPU's clock jumps to its next timer, so the ticks of a wait count
 * neither instructions nor the device's real latency, but however far
 * away the system's next timer happened to be. With the idle time left
 * out, what remains is exactly the instructions executed (user, kernel,
 * servers, interrupt handlers the system counts as busy).
 *
 * The suite runs pinned to CPU 0, so CPU 0's idle time is the one:
 *   Linux: /proc/timer_list, "cpu: 0", .idle_sleeptime + .iowait_sleeptime
 *          (nanoseconds, kept by the NO_HZ idle code);
 *   Metta: /proc/metta/stats, "cpu0 idle_ns N" (the nucleus counts the
 *          time around its idle loop's halt).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

double bench_tsc_mhz;

static char text[1 << 16];

/* The whole of a small /proc file into text, NUL-ended; -1 if absent. */
static int slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len < sizeof text - 1 &&
	       (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	text[len] = '\0';
	return 0;
}

/* The number after the first `key` at or after `from`, or -1. */
static int64_t number_after(const char *from, const char *key)
{
	const char *p = from ? strstr(from, key) : 0;

	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	return (int64_t)strtoull(p, 0, 10);
}

/* CPU 0's idle time in ns so far, or -1 if the system does not say. */
static int64_t idle_ns(void)
{
	int64_t idle, iowait;

	if (slurp("/proc/metta/stats") == 0)
		return number_after(text, "cpu0 idle_ns");
	if (slurp("/proc/timer_list") != 0)
		return -1;
	idle = number_after(strstr(text, "cpu: 0\n"), ".idle_sleeptime");
	iowait = number_after(strstr(text, "cpu: 0\n"), ".iowait_sleeptime");
	return idle < 0 || iowait < 0 ? -1 : idle + iowait;
}

void bench_span_start(struct bench_span *s)
{
	s->idle_ns = idle_ns();
	s->tsc = rdtsc(); /* after reading idle, so the read is not timed */
}

uint64_t bench_span_busy(const struct bench_span *s)
{
	uint64_t ticks = rdtsc() - s->tsc;
	int64_t idle1 = idle_ns();
	double idle;

	if (s->idle_ns < 0 || idle1 < s->idle_ns || bench_tsc_mhz <= 0) {
		bench_fail("no idle time from /proc/metta/stats or "
			   "/proc/timer_list, or no TSC rate");
		return 0;
	}
	idle = (double)(idle1 - s->idle_ns) * bench_tsc_mhz / 1000.0;
	return idle >= (double)ticks ? 0 : ticks - (uint64_t)idle;
}

uint64_t bench_elapsed;
int bench_elapsed_set;

uint64_t bench_span_end(const struct bench_span *s)
{
	uint64_t busy;

	bench_elapsed = rdtsc() - s->tsc;
	bench_elapsed_set = 1;
	busy = bench_span_busy(s);
	return busy;
}
