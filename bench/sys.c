/* The cheapest trip into the kernel and back. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

/* getppid does no work and cannot be cached by the C library, so the call
 * costs only the entry, dispatch and return. syscall() rather than the
 * wrapper, so that no library ever answers it without trapping. */
static uint64_t null_call(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		syscall(SYS_getppid);
	return rdtsc() - t0;
}

const struct bench bench_sys[] = {
	{ "syscall.null", "null system call (getppid)", 5000, 0, null_call, 0,
	  0 },
	{ 0 }
};
