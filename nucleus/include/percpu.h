/*
 * Per-CPU data. Each CPU reaches its own struct cpu through GS; the first
 * four fields are read by the syscall entry code (entry.S), so their
 * offsets are fixed and checked.
 */
#ifndef NUCLEUS_PERCPU_H
#define NUCLEUS_PERCPU_H

#define CPU_OFF_SELF	   0
#define CPU_OFF_KERNEL_RSP 8
#define CPU_OFF_USER_RSP   16
#define CPU_OFF_CURRENT	   24
#define CPU_OFF_HOLDS_BKL  60 /* entry.S lets the lock go after a fastpath */

#ifndef __ASSEMBLER__
#include <arch/percpu.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <timer.h>

#define CPU_MAX 64

struct thread;

struct cpu {
	struct cpu *self;    /* CPU_OFF_SELF */
	uint64_t kernel_rsp; /* CPU_OFF_KERNEL_RSP: syscall stack top */
	uint64_t user_rsp;   /* CPU_OFF_USER_RSP: scratch at entry */
	/* CPU_OFF_CURRENT */
	struct thread *current;
	struct thread *idle;
	struct thread
	    *zombie; /* dead, still on its stack until switched away */
	int id;
	uint32_t apic_id;
	int online;
	int holds_bkl; /* this CPU owns the big nucleus lock */
	int need_resched;
	volatile int tlb_flush_pending; /* a shootdown waits for this CPU */
	uint64_t ist_tops[3];
	struct runqueue rq;
	struct timer slice_timer;
	uint64_t idle_ns; /* time with nothing to run (stats.c) */
	uint64_t calls;	  /* nucleus calls made here (general path) */
	uint64_t fastpath_calls; /* and those of the IPC fastpath */
	struct arch_cpu arch;
};

_Static_assert(offsetof(struct cpu, self) == CPU_OFF_SELF, "cpu layout");
_Static_assert(offsetof(struct cpu, kernel_rsp) == CPU_OFF_KERNEL_RSP,
	       "cpu layout");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP,
	       "cpu layout");
_Static_assert(offsetof(struct cpu, current) == CPU_OFF_CURRENT, "cpu layout");
_Static_assert(offsetof(struct cpu, holds_bkl) == CPU_OFF_HOLDS_BKL,
	       "cpu layout");

extern struct cpu cpus[CPU_MAX];
extern int ncpus;

#endif
#endif
