/*
 * The application processors' way from real mode to the nucleus. This
 * code is copied to TRAMPOLINE_PHYS (in the first MiB, which the page
 * allocator never hands out) and each AP starts there after INIT-SIPI-SIPI,
 * in 16-bit real mode at CS:IP = (TRAMPOLINE_PHYS >> 4):0. It walks
 * through protected mode into long mode on the nucleus's own page tables
 * (whose root must lie below 4 GiB and which map this page at its own
 * address while APs start) and jumps to ap_entry() on the stack the
 * bootstrap CPU left in the data block at the end.
 */
#include <arch/smp.h>

#define REL(x) ((x) - trampoline_start + TRAMPOLINE_PHYS)

	.section .rodata.trampoline, "a"
	.global trampoline_start, trampoline_end
	.code16
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl REL(tramp_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $REL(tramp_32)

	.code32
tramp_32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl REL(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER: long mode, NX */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	movl %eax, %cr0
	ljmpl $0x18, $REL(tramp_64)

	.code64
tramp_64:
	movq REL(tramp_stack), %rsp
	movq REL(tramp_cpu), %rdi
	xorl %ebp, %ebp
	movq REL(tramp_entry), %rax
	jmp *%rax

	.balign 16
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdtr:
	.short tramp_gdtr - tramp_gdt - 1
	.long REL(tramp_gdt)

	/* The data block the bootstrap CPU fills for each AP. */
	.balign 8
	.global tramp_cr3, tramp_stack, tramp_cpu, tramp_entry
tramp_cr3:
	.quad 0
tramp_stack:
	.quad 0
tramp_cpu:
	.quad 0
tramp_entry:
	.quad 0
trampoline_end:
