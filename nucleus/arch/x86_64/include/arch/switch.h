/*
 * What a thread switch changes besides the nucleus stack, inline: for
 * arch_switch (cpu.c) and for the IPC fastpath's switch (portal.c), which
 * leaves by the next thread's saved registers without a context switch.
 */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include <arch/cpu.h>
#include <arch/paging.h>
#include <domain.h>
#include <percpu.h>
#include <thread.h>

extern int have_xsave; /* else FXSAVE */
extern uint64_t xsave_mask;
extern uint32_t xsave_mask_lo, xsave_mask_hi; /* its halves, for edx:eax */

static inline void fpu_save(void *area)
{
	if (__builtin_expect(have_xsave, 1))
		__asm__ volatile("xsave64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xsave_mask),
				   "d"((uint32_t)(xsave_mask >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static inline void fpu_restore(const void *area)
{
	if (__builtin_expect(have_xsave, 1))
		__asm__ volatile("xrstor64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xsave_mask),
				   "d"((uint32_t)(xsave_mask >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* prev's FPU state saved, next's loaded (either may have none). */
static inline __attribute__((always_inline)) void
fpu_switch(void *prev_fpu, void *next_fpu)
{
	if (__builtin_expect(have_xsave && prev_fpu && next_fpu, 1)) {
		/* The common case in one go: one mask for both. */
		__asm__ volatile("xsave64 (%0)\n\txrstor64 (%1)"
				 :
				 : "r"(prev_fpu), "r"(next_fpu),
				   "a"((uint32_t)xsave_mask),
				   "d"((uint32_t)(xsave_mask >> 32))
				 : "memory");
		return;
	}
	if (prev_fpu)
		fpu_save(prev_fpu);
	if (next_fpu)
		fpu_restore(next_fpu);
}

/*
 * FPU, address space, TLS bases, and the stack the next entry from user
 * mode lands on, for CPU c. prev_live: prev's FPU state is still wanted;
 * users: both are user threads (each has a domain and an FPU area), which
 * the IPC fastpath knows and arch_switch does not.
 */
static inline __attribute__((always_inline)) void
arch_switch_state(struct cpu *c, struct thread *prev, struct thread *next,
		  int prev_live, int users)
{
	if (users && __builtin_expect(have_xsave, 1))
		/* Both have an FPU area: one mask for both, no tests. */
		__asm__ volatile("xsave64 (%0)\n\txrstor64 (%1)"
				 :
				 : "r"(prev->arch.fpu), "r"(next->arch.fpu),
				   "a"(xsave_mask_lo), "d"(xsave_mask_hi)
				 : "memory");
	else if (users)
		fpu_switch(prev->arch.fpu, next->arch.fpu);
	else
		fpu_switch(prev_live ? prev->arch.fpu : NULL, next->arch.fpu);
	/* Nucleus threads run on the nucleus's tables, so that a dying
	 * domain's tables are never in use when they are freed. */
	uint64_t root = users || next->domain ? next->domain->as.root
					      : vm_kernel_root();
	if (read_cr3() != root)
		write_cr3(root);
	if (users || next->arch.fpu) {
		/* The MSR write is dear; threads often share a base (0). */
		struct arch_cpu *ac = &c->arch;
		if (ac->fs_loaded != next->arch.fs_base) {
			wrmsr(MSR_FS_BASE, next->arch.fs_base);
			ac->fs_loaded = next->arch.fs_base;
		}
		if (ac->gs_loaded != next->arch.gs_base) {
			/* (arch_set_user_gs, inline: the fastpath calls
			 * nothing) */
			wrmsr(MSR_KERNEL_GS_BASE, next->arch.gs_base);
			ac->gs_loaded = next->arch.gs_base;
		}
	}
	/* Where the next entry from user mode lands: its nucleus stack. */
	c->arch.tss.rsp[0] = next->kstack_top;
	c->kernel_rsp = next->kstack_top;
}

/*
 * The IPC fastpath's switch: as arch_switch, but prev's nucleus stack is
 * left as it is (nothing on it is needed: it returns to user mode straight
 * from its saved registers) and this returns at once; the caller leaves by
 * next's registers. If prev is later switched in by arch_switch, it
 * finishes its call in ipc_fast_resume.
 */
static inline void arch_switch_direct(struct cpu *c, struct thread *prev,
				      struct thread *next)
{
	arch_switch_state(c, prev, next, 1, 1);
	prev->saved_rsp = 0; /* nothing on its stack: see arch_switch */
}

#endif
