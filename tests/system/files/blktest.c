/*
 * The virtio-blk driver end to end (tests/system/boots.py, "virtio_blk"):
 * a Linux program mounts the driver's tree (the service blk0) and checks
 * the block protocol (docs/servers.md, "Block devices") on a disk whose
 * every byte the host wrote with pattern() below: reads, the size, the
 * end of the disk, bad offsets and lengths, writes read back after a
 * flush, two readers at once, and, last, a crash of the driver that pci
 * restarts; then `blktest -again` (a new process: new connections) reads
 * again from the restarted driver.
 *
 *   blktest SERVICE DIR         prints BLKTEST BEGIN n / PASS x / FAIL x: why
 *   blktest -again SERVICE DIR  prints "the disk reads again" or FAIL
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECTOR	  512
#define DISK_SIZE (4 << 20) /* the image the boot makes */
#define BIG	  (64 * 1024)

static const char *service, *dir;
static char data_path[128], ctl_path[128];
static int fd;
static char why[1024];

/* The byte at offset `at` of the disk as the host wrote it. */
static uint8_t pattern(uint64_t at)
{
	return (uint8_t)((at / SECTOR) * 31 + (at % SECTOR) * 7 + 1);
}

static int matches_pattern(const uint8_t *b, uint64_t at, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pattern(at + i)) {
			snprintf(why, sizeof(why), "byte %llu is %u, want %u",
				 (unsigned long long)(at + i), b[i],
				 pattern(at + i));
			return 0;
		}
	return 1;
}

#define FAIL(...)                                          \
	do {                                               \
		snprintf(why, sizeof(why), __VA_ARGS__);   \
		return 1;                                  \
	} while (0)

static int attach(void)
{
	if (mount(service, dir, "9p", 0, ""))
		FAIL("mount %s %s: %s", service, dir, strerror(errno));
	fd = open(data_path, O_RDWR);
	if (fd < 0)
		FAIL("open %s: %s", data_path, strerror(errno));
	return 0;
}

static int t_size(void)
{
	struct stat st;
	if (fstat(fd, &st))
		FAIL("fstat: %s", strerror(errno));
	if (st.st_size != DISK_SIZE)
		FAIL("size %lld, want %d", (long long)st.st_size, DISK_SIZE);
	return 0;
}

static int t_read_pattern(void)
{
	static uint8_t b[BIG];
	uint64_t at[] = { 0, SECTOR, 1 << 20, DISK_SIZE - BIG };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		ssize_t n = pread(fd, b, BIG, (off_t)at[i]);
		if (n != BIG)
			FAIL("pread at %llu: %zd (%s)",
			     (unsigned long long)at[i], n, strerror(errno));
		if (!matches_pattern(b, at[i], BIG))
			return 1;
	}
	return 0;
}

static int t_end_of_disk(void)
{
	uint8_t b[4 * SECTOR];
	if (pread(fd, b, SECTOR, DISK_SIZE) != 0)
		FAIL("a read at the end gave bytes");
	if (pread(fd, b, SECTOR, DISK_SIZE + 8 * SECTOR) != 0)
		FAIL("a read past the end gave bytes");
	ssize_t n = pread(fd, b, sizeof(b), DISK_SIZE - SECTOR);
	if (n != SECTOR)
		FAIL("a read across the end gave %zd, want %d", n, SECTOR);
	if (!matches_pattern(b, DISK_SIZE - SECTOR, SECTOR))
		return 1;
	errno = 0;
	if (pwrite(fd, b, SECTOR, DISK_SIZE) != -1 || errno != ENOSPC)
		FAIL("a write at the end: errno %d, want ENOSPC", errno);
	return 0;
}

static int expect_einval(ssize_t n, const char *what)
{
	if (n != -1 || errno != EINVAL)
		FAIL("%s: %zd, errno %d, want EINVAL", what, n, errno);
	return 0;
}

static int t_bad_offsets(void)
{
	uint8_t b[2 * SECTOR];
	memset(b, 0xee, sizeof(b));
	if (expect_einval(pread(fd, b, SECTOR, 100), "read at 100") ||
	    expect_einval(pread(fd, b, 100, 0), "read of 100 bytes") ||
	    expect_einval(pwrite(fd, b, SECTOR, 1), "write at 1") ||
	    expect_einval(pwrite(fd, b, SECTOR + 1, 0), "write of 513"))
		return 1;
	/* Nothing was written. */
	if (pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
	    !matches_pattern(b, 0, sizeof(b)))
		return 1; /* why says where */
	return 0;
}

static int t_write_flush_read(void)
{
	static uint8_t w[BIG], r[BIG];
	const off_t at = 2 << 20;
	for (int i = 0; i < BIG; i++)
		w[i] = (uint8_t)(i * 13 + 5);
	if (pwrite(fd, w, BIG, at) != BIG)
		FAIL("pwrite: %s", strerror(errno));
	if (fsync(fd))
		FAIL("fsync: %s", strerror(errno));
	if (pread(fd, r, BIG, at) != BIG || memcmp(r, w, BIG))
		FAIL("read back differs");
	/* Its neighbours are untouched. */
	if (pread(fd, r, SECTOR, at - SECTOR) != SECTOR ||
	    !matches_pattern(r, (uint64_t)at - SECTOR, SECTOR) ||
	    pread(fd, r, SECTOR, at + BIG) != SECTOR ||
	    !matches_pattern(r, (uint64_t)at + BIG, SECTOR))
		return 1;
	return 0;
}

static int read_ctl(char *text, size_t cap)
{
	int c = open(ctl_path, O_RDWR);
	if (c < 0)
		return -1;
	ssize_t n = read(c, text, cap - 1);
	text[n > 0 ? n : 0] = 0;
	close(c);
	return n > 0 ? 0 : -1;
}

static int t_ctl(void)
{
	char text[512], want[64];
	if (read_ctl(text, sizeof(text)))
		FAIL("reading ctl: %s", strerror(errno));
	snprintf(want, sizeof(want), "size %d\n", DISK_SIZE);
	if (!strstr(text, want) || !strstr(text, "sectorsize 512\n") ||
	    !strstr(text, "flush 1\n") || !strstr(text, "requests ") ||
	    !strstr(text, "blocksize 512\n"))
		FAIL("ctl says: %s", text);
	int c = open(ctl_path, O_RDWR);
	if (c < 0 || write(c, "flush\n", 6) != 6)
		FAIL("flush: %s", strerror(errno));
	errno = 0;
	if (write(c, "bogus", 5) != -1 || errno != EINVAL)
		FAIL("a bad command: errno %d, want EINVAL", errno);
	close(c);
	return 0;
}

/* Readers at once, each checking what it reads: in the first half of
 * the disk, which write_flush_read leaves as the host wrote it. */
#define READ_AREA (DISK_SIZE / 2)
struct reader {
	uint64_t base;
	int reads, failures;
};

static void *reader(void *arg)
{
	struct reader *rd = arg;
	uint8_t *b = malloc(BIG);
	for (int i = 0; b && i < rd->reads; i++) {
		uint64_t at = (rd->base + (uint64_t)i * BIG) % READ_AREA;
		if (pread(fd, b, BIG, (off_t)at) != BIG ||
		    !matches_pattern(b, at, BIG))
			rd->failures++;
	}
	if (!b)
		rd->failures = rd->reads;
	free(b);
	return 0;
}

/* n threads reading `reads` times each; how many were at the device at
 * once depends on timing: told, not checked. */
static int readers(int n, int reads)
{
	struct reader rd[64];
	pthread_t t[64];
	for (int i = 0; i < n; i++) {
		uint64_t base = (uint64_t)i * (READ_AREA / n) & ~(uint64_t)(BIG - 1);
		rd[i] = (struct reader){ base, reads, 0 };
		if (pthread_create(&t[i], 0, reader, &rd[i]))
			FAIL("pthread_create %d", i);
	}
	int failures = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], 0);
		failures += rd[i].failures;
	}
	if (failures)
		FAIL("%d failed reads of %d", failures, n * reads);
	char text[512];
	const char *most = read_ctl(text, sizeof(text)) ? 0
				: strstr(text, "maxinflight ");
	printf("blktest: %d readers: %s", n, most ? most : "no maxinflight\n");
	return 0;
}

static int t_two_readers(void)
{
	return readers(2, 40);
}

/* Many at once (a process's threads are limited: 24). */
static int t_many_readers(void)
{
	return readers(24, 5);
}

/* ctl "crash": the driver faults (the write that asked gets an error);
 * pci restarts it. Our connection died with it: `blktest -again` (a new
 * process, so new connections) checks the restarted driver. */
static int t_crash(void)
{
	int c = open(ctl_path, O_WRONLY);
	if (c < 0)
		FAIL("open ctl: %s", strerror(errno));
	if (write(c, "crash", 5) != -1)
		FAIL("the crash write succeeded");
	close(c);
	close(fd);
	umount2(dir, 0);
	return 0;
}

/* After the crash: the restarted driver serves a new connection, and the
 * data written and flushed before the crash is there. 0 or 1. */
static int again(void)
{
	static uint8_t b[BIG];
	const char *last = "nothing tried";
	int err = 0;
	mkdir(dir, 0755);
	for (int tries = 0; tries < 100; tries++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, 0);
		if (mount(service, dir, "9p", 0, "")) {
			last = "mount", err = errno;
			continue;
		}
		fd = open(data_path, O_RDWR);
		ssize_t got = fd < 0 ? -1 : pread(fd, b, BIG, 0);
		last = fd < 0 ? "open" : "pread", err = errno;
		if (got == BIG) {
			if (!matches_pattern(b, 0, BIG))
				break;
			if (pread(fd, b, BIG, 2 << 20) != BIG || b[1] != 18) {
				snprintf(why, sizeof(why), "the write before "
							   "the crash is gone");
				break;
			}
			printf("blktest -again: the disk reads again (%d tries)\n",
			       tries + 1);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		umount2(dir, 0);
	}
	if (!why[0])
		snprintf(why, sizeof(why), "the last %s: %s", last,
			 strerror(err));
	printf("blktest -again: FAIL: %s\n", why);
	return 1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "size", t_size },
	{ "read_pattern", t_read_pattern },
	{ "end_of_disk", t_end_of_disk },
	{ "bad_offsets", t_bad_offsets },
	{ "write_flush_read", t_write_flush_read },
	{ "ctl", t_ctl },
	{ "two_readers", t_two_readers },
	{ "many_readers", t_many_readers },
	{ "crash", t_crash },
};

int main(int argc, char **argv)
{
	int after_crash = argc == 4 && !strcmp(argv[1], "-again");
	if (argc != 3 && !after_crash) {
		fprintf(stderr, "usage: blktest [-again] SERVICE DIR\n");
		return 2;
	}
	service = argv[1 + after_crash];
	dir = argv[2 + after_crash];
	snprintf(data_path, sizeof(data_path), "%s/data", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl", dir);
	if (after_crash)
		return again();
	mkdir(dir, 0755);
	int n = (int)(sizeof(tests) / sizeof(tests[0])), failed = 0;
	printf("BLKTEST BEGIN %d\n", n);
	fflush(stdout);
	int ready = attach() == 0;
	for (int i = 0; i < n; i++) {
		why[0] = 0;
		int bad = !ready || tests[i].fn();
		failed += bad;
		if (bad)
			printf("BLKTEST FAIL %s: %s\n", tests[i].name, why);
		else
			printf("BLKTEST PASS %s\n", tests[i].name);
		fflush(stdout);
	}
	printf("BLKTEST END %d passed, %d failed\n", n - failed, failed);
	return failed != 0;
}
