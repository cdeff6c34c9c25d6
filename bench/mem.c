/* The cost of one anonymous page fault: first touch of a fresh page. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "harness.h"

#define PAGE 4096

static uint64_t fault_batch(unsigned n)
{
	size_t len = (size_t)n * PAGE;
	volatile char *p;
	uint64_t t0, t1;

	p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return 0;
	/* Without this a kernel with transparent huge pages on fills the
	 * whole range with one 2 MiB fault and we would time nothing. */
	madvise((void *)p, len, MADV_NOHUGEPAGE);

	t0 = rdtsc();
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1; /* a write, so each fault allocates a page */
	t1 = rdtsc();
	munmap((void *)p, len);
	return t1 - t0;
}

const struct bench bench_mem[] = {
	{ "fault.anon", "anonymous page fault (write, 4 KiB, no THP)", 1000, 0,
	  fault_batch, 0, 0 },
	{ 0 }
};
