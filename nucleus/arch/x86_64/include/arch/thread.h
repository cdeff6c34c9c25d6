#ifndef ARCH_THREAD_H
#define ARCH_THREAD_H

#include <stdint.h>

struct thread;
struct quota;

struct arch_thread {
	uint64_t fs_base;
	uint64_t gs_base; /* the user's GS base (the runtime's thread pointer) */
	void *fpu; /* XSAVE/FXSAVE area (a page), NULL for nucleus threads */
};

/* Prepares t's nucleus stack so that switching to it enters user mode at
 * entry with stack pointer `stack`; its FPU state starts clean. */
void arch_thread_init_user(struct thread *t, uint64_t entry, uint64_t stack);

/* Switches from prev to next: address space, FPU, FS base, nucleus stack.
 * Returns when prev is switched back in. */
void arch_switch(struct thread *prev, struct thread *next);

/* Sets the running thread's TLS base (FS). */
void arch_set_tls(uint64_t fs_base);
/* Sets the running thread's user GS base (in the MSR swapgs brings back). */
void arch_set_user_gs(uint64_t gs_base);

/* Enables FPU/SSE (and XSAVE where present) on this CPU. */
void fpu_cpu_init(void);

#endif
