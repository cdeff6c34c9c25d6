/*
 * Segments: x86-64 barely uses them, but it still needs a GDT with code and
 * data descriptors for rings 0 and 3 and a TSS, whose interrupt stack table
 * gives double faults, NMIs and machine checks a known-good stack even when
 * the current one has overflowed.
 */
#include <arch/gdt.h>

#include <stddef.h>

#define IST_STACK_SIZE 8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[7] = {
	0,
	0x00af9a000000ffff, /* 0x08 kernel code, 64-bit */
	0x00cf92000000ffff, /* 0x10 kernel data */
	0x00cff2000000ffff, /* 0x18 user data */
	0x00affa000000ffff, /* 0x20 user code, 64-bit */
	0,
	0, /* 0x28 TSS (16 bytes) */
};

static struct tss tss;
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		 0x89ull << 40 | /* present, 64-bit TSS available */
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[6] = base >> 32;
}

void gdt_init(void)
{
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	set_tss_descriptor();

	struct gdtr r = { sizeof(gdt) - 1, (uint64_t)gdt };
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

int gdt_ist_stack(int ist, uint64_t *bottom, uint64_t *top)
{
	if (ist < 1 || ist > 3)
		return -1;
	*bottom = (uint64_t)&ist_stacks[ist - 1][0];
	*top = (uint64_t)&ist_stacks[ist - 1][IST_STACK_SIZE];
	return 0;
}
