/*
 * The x86-64 part of a CPU's private data: its GDT and TSS (each CPU needs
 * its own TSS, for its own interrupt stacks and ring-0 stack pointer), and
 * the GS-based pointer to the whole `struct cpu`.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdint.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct arch_cpu {
	uint64_t gdt[7];
	struct tss tss;
	uint64_t fs_loaded; /* the FS base MSR's value */
	uint64_t gs_loaded; /* the user GS base's (MSR_KERNEL_GS_BASE in the nucleus) */
};

struct cpu;

/* The running CPU's struct cpu (its GS base holds the address). */
static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/*
 * Sets this CPU up to run threads: GDT and TSS (IST stacks given), GS
 * base, the syscall entry MSRs, and the FPU/SSE/AVX state the threads use.
 */
void arch_cpu_init(struct cpu *c, const uint64_t ist_tops[3]);

#endif
