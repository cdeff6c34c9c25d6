/*
 * The stats call: the machine as the nucleus sees it, for the process
 * server's /proc/stat and /proc/metta (seed 002's sys server): each CPU's
 * idle time (counted around the idle loop's halt, so nothing is added to
 * the paths that run), the nucleus calls made on each CPU, physical
 * memory, and live objects by type (counted by kobj_init and the last
 * kobj_put). Anyone may ask: it says nothing about any one domain.
 */
#include <arch/tsc.h>
#include <percpu.h>
#include <pmm.h>
#include <uaccess.h>

#include <metta/abi.h>
#include <metta/cap.h>
#include <nucleus/syscall_table.h>

extern uint64_t kobj_live[OBJ_TYPES];

_Static_assert(OBJ_TYPES <= 16, "metta_stats.objects holds every type");

long sys_stats(uint64_t out)
{
	struct metta_stats s = { .now_ns = clock_ns(), .ncpus = (uint64_t)ncpus };
	for (int i = 0; i < ncpus && i < METTA_STATS_CPUS; i++) {
		s.idle_ns[i] = cpus[i].idle_ns;
		/* The fastpath counts its calls apart only. */
		s.calls[i] = cpus[i].calls + cpus[i].fastpath_calls;
		s.fastpath[i] = cpus[i].fastpath_calls;
	}
	s.pages_total = nucleus_pmm->nusable;
	s.pages_free = nucleus_pmm->nfree;
	for (int t = 0; t < OBJ_TYPES; t++)
		s.objects[t] = kobj_live[t];
	return copy_to_user(out, &s, sizeof(s));
}
