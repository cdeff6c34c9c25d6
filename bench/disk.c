/*
 * The disk: files on an ext2 file system over virtio-blk, in the directory
 * given with -D. Both systems boot with the same freshly made image, which
 * already holds the files these benchmarks read cold (written on the host
 * by `bench -p DIR` and put into the image with mke2fs -d, see
 * tools/bench/disk.py), so "uncached" means the same on both: blocks that
 * nothing has read since the machine was reset. No cache is dropped.
 *
 * Every 4 KiB block of those files starts with a tag naming its file and
 * block number; reads check it, so a figure is never of wrong data.
 *
 * The figures are busy ticks (idle.c): the CPU's work for an operation,
 * with the time it sat idle waiting for the device left out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define BLOCK	       4096u	   /* the unit of every row here */
#define STREAM	       (64u << 20) /* the sequential file */
#define STREAM_BLOCKS  (STREAM / BLOCK)
#define CHUNK	       (64u << 10)	    /* bytes per read or write call */
#define STREAM_BATCHES 3		    /* 64 MiB each: a median of three */
#define COLD_SEQ       (STREAM_BATCHES + 1) /* one per batch and warm-up */
#define RAND_FILE      COLD_SEQ /* file id of the random-read file */
#define RAND_READS     256u	/* uncached reads per batch */
#define RAND_BATCHES   11
/* Uncached reads take every fifth block, never a neighbour of another
 * read, so that no read-ahead of one brings in a later one. */
#define RAND_STRIDE 5u
#define RAND_SLOTS  ((STREAM_BLOCKS - 1) / RAND_STRIDE)
#define WARM	    (16u << 20) /* the cached random-read file */
#define SMALL_FILES 1000u
#define SMALL_SIZE  BLOCK

const char *bench_disk_dir;

static char buf[CHUNK];
static char path[512];

/* The tag at the start of block `block` of file `file`. */
static uint64_t block_tag(unsigned file, unsigned block)
{
	return 0x6d65747461000000ull ^ ((uint64_t)file << 32) ^ block;
}

/* Fill buf with blocks first.. of file `file`: the tag, then a byte that
 * is never zero (mke2fs -d would turn a zero block into a hole). */
static void fill_chunk(unsigned file, unsigned first, size_t len)
{
	for (size_t off = 0; off < len; off += BLOCK) {
		uint64_t tag = block_tag(file, first + (unsigned)(off / BLOCK));

		memset(buf + off + sizeof tag, 0x5a, BLOCK - sizeof tag);
		memcpy(buf + off, &tag, sizeof tag);
	}
}

/* Does buf hold blocks first.. of `file`? Checks each block's tag. */
static int check_chunk(unsigned file, unsigned first, size_t len)
{
	for (size_t off = 0; off < len; off += BLOCK) {
		uint64_t tag;

		memcpy(&tag, buf + off, sizeof tag);
		if (tag != block_tag(file, first + (unsigned)(off / BLOCK))) {
			bench_fail("wrong data in block %u of file %u",
				   first + (unsigned)(off / BLOCK), file);
			return -1;
		}
	}
	return 0;
}

static const char *file_path(const char *dir, const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static const char *cold_name(unsigned file)
{
	static char name[32];

	if (file == RAND_FILE)
		return "cold.rand";
	snprintf(name, sizeof name, "cold.%u", file);
	return name;
}

/* Write `blocks` tagged blocks of file id `file` to p in CHUNK writes. */
static int write_tagged(const char *p, unsigned file, unsigned blocks)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		bench_fail("cannot create %s: %m", p);
		return -1;
	}
	for (unsigned b = 0; b < blocks; b += CHUNK / BLOCK) {
		size_t len =
		    (size_t)(blocks - b < CHUNK / BLOCK ? blocks - b
							: CHUNK / BLOCK) *
		    BLOCK;

		fill_chunk(file, b, len);
		if (write(fd, buf, len) != (ssize_t)len) {
			bench_fail("cannot write %s: %m", p);
			close(fd);
			return -1;
		}
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		bench_fail("cannot write %s back: %m", p);
		return -1;
	}
	return 0;
}

int bench_disk_prepare(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		bench_warn("cannot make %s: %m", dir);
		return -1;
	}
	for (unsigned f = 0; f <= RAND_FILE; f++)
		if (write_tagged(file_path(dir, cold_name(f)), f,
				 STREAM_BLOCKS) != 0)
			return -1;
	return 0;
}

/* Sequential write: a new 64 MiB file in 64 KiB writes, then fsync, so
 * that the data is on the disk. The old file's removal is not timed. */
static uint64_t write_batch(unsigned n)
{
	const char *p = file_path(bench_disk_dir, "seq.w");
	struct bench_span span;

	unlink(p);
	sync();
	bench_span_start(&span);
	if (write_tagged(p, COLD_SEQ + 1, n) != 0)
		return 0;
	return bench_span_busy(&span);
}

static void write_teardown(void)
{
	unlink(file_path(bench_disk_dir, "seq.w"));
	sync();
}

/* Sequential read of a whole 64 MiB file nothing has read yet: each batch
 * (and the warm-up) takes the next of the image's cold files. */
static unsigned next_cold;

static uint64_t read_batch(unsigned n)
{
	unsigned file = next_cold++;
	struct bench_span span;
	int fd;

	bench_span_start(&span);
	if (file >= COLD_SEQ) {
		bench_fail("only %u cold files: fewer batches", COLD_SEQ);
		return 0;
	}
	fd = open(file_path(bench_disk_dir, cold_name(file)), O_RDONLY);
	if (fd < 0) {
		bench_fail("cannot open %s: %m", path);
		return 0;
	}
	for (unsigned b = 0; b < n; b += CHUNK / BLOCK)
		if (read(fd, buf, CHUNK) != CHUNK ||
		    check_chunk(file, b, CHUNK) != 0) {
			bench_fail("short read of %s", path);
			break;
		}
	close(fd);
	return bench_span_busy(&span);
}

/* A fixed pseudo-random sequence (xorshift), the same on both systems. */
static uint64_t rng = 0x2545f4914f6cdd1dull;

static unsigned rand_below(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* One 4 KiB pread of block `block` of file `file`, checked. */
static int read_block(int fd, unsigned file, unsigned block)
{
	if (pread(fd, buf, BLOCK, (off_t)block * BLOCK) != BLOCK) {
		bench_fail("cannot read block %u: %m", block);
		return -1;
	}
	return check_chunk(file, block, BLOCK);
}

/* Uncached random reads: the slots (every RAND_STRIDE-th block) in a
 * shuffled order, each read once in the whole run. */
static unsigned slots[RAND_SLOTS], next_slot;
static int rand_fd = -1;

static int cold_rand_setup(void)
{
	for (unsigned i = 0; i < RAND_SLOTS; i++)
		slots[i] = 1 + i * RAND_STRIDE;
	for (unsigned i = RAND_SLOTS - 1; i > 0; i--) {
		unsigned j = rand_below(i + 1), t = slots[i];

		slots[i] = slots[j];
		slots[j] = t;
	}
	rand_fd =
	    open(file_path(bench_disk_dir, cold_name(RAND_FILE)), O_RDONLY);
	if (rand_fd < 0)
		bench_warn("cannot open %s: %m", path);
	return rand_fd < 0 ? -1 : 0;
}

static uint64_t cold_rand_batch(unsigned n)
{
	struct bench_span span;

	bench_span_start(&span);
	if (next_slot + n > RAND_SLOTS) {
		bench_fail("only %u cold blocks: fewer batches", RAND_SLOTS);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (read_block(rand_fd, RAND_FILE, slots[next_slot++]) != 0)
			break;
	return bench_span_busy(&span);
}

static void rand_teardown(void)
{
	close(rand_fd);
	rand_fd = -1;
}

/* Cached random reads: a 16 MiB file written and read through once in
 * setup, then reads of random blocks of it. */
#define WARM_FILE (COLD_SEQ + 2)

static int warm_setup(void)
{
	const char *p = file_path(bench_disk_dir, "warm.rand");

	if (write_tagged(p, WARM_FILE, WARM / BLOCK) != 0)
		return -1;
	rand_fd = open(p, O_RDONLY);
	if (rand_fd < 0)
		return -1;
	for (unsigned b = 0; b < WARM / BLOCK; b++)
		if (read_block(rand_fd, WARM_FILE, b) != 0)
			return -1;
	return 0;
}

static uint64_t warm_batch(unsigned n)
{
	struct bench_span span;

	bench_span_start(&span);
	for (unsigned i = 0; i < n; i++)
		if (read_block(rand_fd, WARM_FILE, rand_below(WARM / BLOCK)) !=
		    0)
			break;
	return bench_span_busy(&span);
}

static void warm_teardown(void)
{
	rand_teardown();
	unlink(file_path(bench_disk_dir, "warm.rand"));
}

/* Creating small files: each op makes a new 4 KiB file in a fresh
 * directory, writes it, fsyncs it and closes it. The directory's creation
 * and the removal of its files afterwards are not timed. */
static char small_dir[256];

static void remove_small(unsigned n)
{
	char name[300];

	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s/f%u", small_dir, i);
		unlink(name);
	}
	rmdir(small_dir);
	sync();
}

static int create_one(unsigned i)
{
	char name[300];
	int fd;

	snprintf(name, sizeof name, "%s/f%u", small_dir, i);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		bench_fail("cannot create %s: %m", name);
		return -1;
	}
	fill_chunk(WARM_FILE + 1, i, SMALL_SIZE);
	if (write(fd, buf, SMALL_SIZE) != SMALL_SIZE || fsync(fd) != 0) {
		bench_fail("cannot write %s: %m", name);
		close(fd);
		return -1;
	}
	return close(fd);
}

static uint64_t create_batch(unsigned n)
{
	struct bench_span span;
	uint64_t busy;

	snprintf(small_dir, sizeof small_dir, "%s/small", bench_disk_dir);
	if (mkdir(small_dir, 0755) != 0) {
		bench_fail("cannot make %s: %m", small_dir);
		return 0;
	}
	sync();
	bench_span_start(&span);
	for (unsigned i = 0; i < n; i++)
		if (create_one(i) != 0)
			break;
	busy = bench_span_busy(&span);
	remove_small(n);
	return busy;
}

/* Order matters: the uncached rows must come before anything else reads
 * the cold files (nothing else does). */
const struct bench bench_disk[] = {
	{ "ext2.rand4k.uncached", "pread 4 KiB of a file, block never read",
	  RAND_READS, cold_rand_setup, cold_rand_batch, rand_teardown,
	  RAND_BATCHES },
	{ "ext2.rand4k.cached", "pread 4 KiB of a file, block in the cache",
	  1000, warm_setup, warm_batch, warm_teardown, 0 },
	{ "ext2.read64M", "read a 64 MiB file never read; per 4 KiB",
	  STREAM_BLOCKS, 0, read_batch, 0, STREAM_BATCHES },
	{ "ext2.write64M", "write and fsync a new 64 MiB file; per 4 KiB",
	  STREAM_BLOCKS, 0, write_batch, write_teardown, STREAM_BATCHES },
	{ "ext2.create1000.fsync", "create, write 4 KiB, fsync, close a file",
	  SMALL_FILES, 0, create_batch, 0, 9 },
	{ 0 }
};
