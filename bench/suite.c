/*
 * The Metta benchmark suite: one static binary that runs unchanged on Linux
 * and on Metta and prints a BENCH line per result (see harness.h).
 *
 *   bench [-l] [-b batches] [-d dir] [-D disk-dir] [-N addr:port]
 *         [-s spawn-binary] [name...]
 *   bench -p dir
 *
 * With names (or prefixes such as "file") only those benchmarks run. The
 * disk benchmarks (bench_disk, "ext2.*") run only with -D, a directory on
 * a freshly made disk image; -p writes the files that such an image must
 * hold into dir and exits (see disk.c). The network benchmarks
 * (bench_net, "net.*") run only with -N, the host's peer (see net.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

const char *bench_dir = "/tmp";
const char *bench_spawn = "/bin/nop";

static const struct bench *const tables[] = {
	bench_sys, bench_ipc, bench_mem, bench_proc, bench_file, bench_disk,
	bench_net,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The TSC rate, which the runner needs to turn ticks into time: count ticks
 * across 100 ms of the system clock. Under -icount this comes out at
 * 1000 MHz, one tick per instruction at one instruction per virtual ns. */
static void report_tsc_mhz(void)
{
	uint64_t ns0, ns1, t0, t1;
	char value[32];

	ns0 = now_ns();
	t0 = rdtsc();
	do
		ns1 = now_ns();
	while (ns1 - ns0 < 100000000u);
	t1 = rdtsc();
	bench_tsc_mhz = (double)(t1 - t0) * 1000.0 / (double)(ns1 - ns0);
	snprintf(value, sizeof value, "%.3f", bench_tsc_mhz);
	bench_line("tsc.mhz", "MHz", value, 0);
}

/* Does name select benchmark b: the same, or a prefix ending at a dot? */
static int selects(const char *name, const char *b)
{
	size_t n = strlen(name);

	return strncmp(name, b, n) == 0 && (b[n] == '\0' || b[n] == '.');
}

static int wanted(const struct bench *b, int argc, char **argv)
{
	if (argc == 0)
		return 1;
	for (int i = 0; i < argc; i++)
		if (selects(argv[i], b->name))
			return 1;
	return 0;
}

static void usage(void)
{
	bench_warn("usage: bench [-l] [-b batches] [-d dir] [-D disk-dir] "
		   "[-N addr:port] [-s spawn-binary] [name...]; bench -p dir");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned batches = 11;
	int list = 0, failed = 0, opt;

	while ((opt = getopt(argc, argv, "lb:d:D:N:p:s:")) != -1) {
		switch (opt) {
		case 'l':
			list = 1;
			break;
		case 'b':
			batches = (unsigned)strtoul(optarg, 0, 10);
			break;
		case 'd':
			bench_dir = optarg;
			break;
		case 'D':
			bench_disk_dir = optarg;
			break;
		case 'N':
			bench_net_peer = optarg;
			break;
		case 'p':
			return bench_disk_prepare(optarg) == 0 ? 0 : 1;
		case 's':
			bench_spawn = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (bench_disk_dir && !list && access(bench_disk_dir, W_OK) != 0) {
		bench_warn("no writable disk directory %s (%m): no disk rows",
			   bench_disk_dir);
		bench_disk_dir = 0;
		failed = 1;
	}
	if (!list) {
		/* Partners must share one CPU, so that every hand-off is a
		 * context switch; where pinning is not offered the figures
		 * still come, so go on. */
		bench_pin_cpu0();
		report_tsc_mhz();
	}
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
		for (const struct bench *b = tables[t]; b->name; b++) {
			if (!wanted(b, argc, argv))
				continue;
			if (tables[t] == bench_disk && !list && !bench_disk_dir)
				continue; /* no disk given */
			if (tables[t] == bench_net && !list && !bench_net_peer)
				continue; /* no peer given */
			if (list)
				printf("%-22s %s\n", b->name, b->what);
			else if (bench_run(b, batches) != 0)
				failed = 1;
		}
	}
	return failed;
}
