/*
 * Segments: x86-64 barely uses them, but it still needs a GDT with code and
 * data descriptors for rings 0 and 3 and a TSS, whose interrupt stack table
 * gives double faults, NMIs and machine checks a known-good stack even when
 * the current one has overflowed, and whose rsp0 is where an interrupt
 * from user mode lands. Each CPU has its own (in its struct arch_cpu).
 */
#include <arch/gdt.h>
#include <arch/percpu.h>

#include <stddef.h>

static const uint64_t descriptors[5] = {
	0,
	0x00af9a000000ffff, /* 0x08 kernel code, 64-bit */
	0x00cf92000000ffff, /* 0x10 kernel data */
	0x00cff2000000ffff, /* 0x18 user data */
	0x00affa000000ffff, /* 0x20 user code, 64-bit */
};

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void set_tss_descriptor(struct arch_cpu *ac)
{
	uint64_t base = (uint64_t)&ac->tss;
	uint64_t limit = sizeof(ac->tss) - 1;
	ac->gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		     0x89ull << 40 | /* present, 64-bit TSS available */
		     ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	ac->gdt[6] = base >> 32;
}

void gdt_load(struct arch_cpu *ac, const uint64_t ist_tops[3])
{
	for (int i = 0; i < 5; i++)
		ac->gdt[i] = descriptors[i];
	for (int i = 0; i < 3; i++)
		ac->tss.ist[i] = ist_tops[i];
	ac->tss.iomap_base = sizeof(ac->tss); /* no I/O permission bitmap */
	set_tss_descriptor(ac);

	struct gdtr r = { sizeof(ac->gdt) - 1, (uint64_t)ac->gdt };
	__asm__ volatile("lgdt %0" : : "m"(r));
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w1, %%ds\n\t"
			 "movw %w1, %%es\n\t"
			 "movw %w1, %%ss\n\t"
			 :
			 : "i"(SEL_KCODE), "r"(SEL_KDATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}
