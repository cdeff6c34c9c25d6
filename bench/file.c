/*
 * Reading files. The files are written by the benchmark itself into
 * bench_dir (a tmpfs on Linux), so the figures are the file system's
 * in-memory path: lookup, page cache and the copy to user space.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define SMALL	  (4u << 10)
#define LARGE	  (1u << 20)
#define CHUNK_MAX (64u << 10)

static char small_path[256], large_path[256];
static char buf[CHUNK_MAX];

/* Write len bytes of a repeating pattern to path. */
static int make_file(const char *path, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		bench_warn("cannot create %s: %m", path);
		return -1;
	}
	memset(buf, 'm', sizeof buf);
	while (len > 0) {
		size_t n = len < sizeof buf ? len : sizeof buf;

		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		len -= n;
	}
	return close(fd);
}

/* Open, read the whole file in chunk-sized reads, close. Like the small
 * file below, a reader who knows the size makes no read that returns
 * end-of-file. */
static int read_whole(const char *path, size_t chunk)
{
	int fd = open(path, O_RDONLY);
	int ret = 0;

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < LARGE; off += chunk)
		if (read(fd, buf, chunk) != (ssize_t)chunk) {
			ret = -1;
			break;
		}
	close(fd);
	return ret;
}

static int small_setup(void)
{
	snprintf(small_path, sizeof small_path, "%s/bench-4k", bench_dir);
	return make_file(small_path, SMALL);
}

static void small_teardown(void)
{
	unlink(small_path);
}

/* open + one 4 KiB read + close: a whole small file. */
static uint64_t small_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		int fd = open(small_path, O_RDONLY);

		if (fd < 0)
			break;
		if (read(fd, buf, SMALL) != SMALL)
			break;
		close(fd);
	}
	return rdtsc() - t0;
}

/* One 4 KiB pread of an open file: the read path alone, no lookup. */
static int pread_fd = -1;

static int pread_setup(void)
{
	if (small_setup() != 0)
		return -1;
	pread_fd = open(small_path, O_RDONLY);
	return pread_fd < 0 ? -1 : 0;
}

static void pread_teardown(void)
{
	close(pread_fd);
	small_teardown();
}

static uint64_t pread_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		if (pread(pread_fd, buf, SMALL, 0) != SMALL)
			break;
	return rdtsc() - t0;
}

static int large_setup(void)
{
	snprintf(large_path, sizeof large_path, "%s/bench-1m", bench_dir);
	return make_file(large_path, LARGE);
}

static void large_teardown(void)
{
	unlink(large_path);
}

static uint64_t large_batch(unsigned n, size_t chunk)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		if (read_whole(large_path, chunk) != 0)
			break;
	return rdtsc() - t0;
}

static uint64_t large_batch_4k(unsigned n)
{
	return large_batch(n, 4u << 10);
}

static uint64_t large_batch_64k(unsigned n)
{
	return large_batch(n, 64u << 10);
}

const struct bench bench_file[] = {
	{ "file.read4k", "open + read 4 KiB + close", 1000, small_setup,
	  small_batch, small_teardown, 0 },
	{ "file.pread4k", "pread 4 KiB of an open file", 2000, pread_setup,
	  pread_batch, pread_teardown, 0 },
	{ "file.read1m.4k", "read a 1 MiB file in 4 KiB reads", 8, large_setup,
	  large_batch_4k, large_teardown, 0 },
	{ "file.read1m.64k", "read a 1 MiB file in 64 KiB reads", 8,
	  large_setup, large_batch_64k, large_teardown, 0 },
	{ 0 }
};
