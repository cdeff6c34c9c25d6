#ifndef ARCH_THREAD_H
#define ARCH_THREAD_H

#include <stdint.h>

struct thread;
struct quota;

struct arch_thread {
	uint64_t fs_base;
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

/* Enables FPU/SSE (and XSAVE where present) on this CPU. */
void fpu_cpu_init(void);

#endif
