/*
 * Multiboot2 entry: GRUB jumps here in 32-bit protected mode with paging off.
 * We build temporary page tables that map the first 4 GiB three times
 * (identity, direct map, and the nucleus's higher-half window), enter long
 * mode, and call kmain() in the higher half. kmain replaces these tables.
 *
 * Everything in the .boot sections is linked at its physical address, since
 * it runs before paging; the rest of the nucleus is linked at KERNEL_VMA.
 */
#include <arch/layout.h>

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_BOOT_MAGIC 0x36d76289

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Module alignment tag: modules start on page boundaries. */
	.balign 8
	.short 6, 0
	.long 8
	/* End tag. */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	movl $boot_stack32_top, %esp
	movl %eax, boot_magic
	movl %ebx, boot_mbi

	cmpl $MB2_BOOT_MAGIC, %eax
	jne early_fail

	/* Long mode present? (CPUID 0x80000001 EDX bit 29) */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb early_fail
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc early_fail

	/* 2048 PD entries of 2 MiB cover physical 0..4 GiB. */
	movl $boot_pd, %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, (%edi,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, 4(%edi,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jne 1b

	/* PDPT with the four PDs; shared by identity and direct map. */
	movl $boot_pdpt, %edi
	movl $boot_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 0(%edi)
	addl $4096, %eax
	movl %eax, 8(%edi)
	addl $4096, %eax
	movl %eax, 16(%edi)
	addl $4096, %eax
	movl %eax, 24(%edi)

	/* Higher half: 0xffffffff80000000 is PML4[511], PDPT[510] -> PD 0. */
	movl $boot_pdpt_high, %edi
	movl $boot_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 510*8(%edi)

	movl $boot_pml4, %edi
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 0(%edi)
	movl %eax, 256*8(%edi)
	movl $boot_pdpt_high, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, 511*8(%edi)

	movl %edi, %cr3
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4

	movl $0xc0000080, %ecx		/* EFER: long mode, NX */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax
	wrmsr

	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax	/* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdtr
	ljmp $0x08, $long_mode_entry

/* No multiboot2 or no long mode: say so on COM1 and stop. */
early_fail:
	movl $early_msg, %esi
2:	movb (%esi), %al
	testb %al, %al
	jz 3f
	movw $0x3f8, %dx
	outb %al, %dx
	incl %esi
	jmp 2b
3:	hlt
	jmp 3b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half_entry, %rax
	jmp *%rax

	.section .boot.data, "aw"
early_msg:
	.asciz "Metta: not started by a multiboot2 loader on a 64-bit CPU; halting.\r\n"
	.balign 8
	.global boot_magic, boot_mbi
boot_magic:
	.long 0
boot_mbi:
	.long 0
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.balign 16
boot_stack32:
	.fill 256, 1, 0
boot_stack32_top:
	.balign 4096
boot_pml4:
	.fill 4096, 1, 0
boot_pdpt:
	.fill 4096, 1, 0
boot_pdpt_high:
	.fill 4096, 1, 0
boot_pd:
	.fill 4 * 4096, 1, 0

	.text
higher_half_entry:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	/* boot_magic/boot_mbi are low addresses, still identity-mapped here. */
	movl boot_magic, %edi
	movl boot_mbi, %esi
	call kmain
4:	cli
	hlt
	jmp 4b

	.section .bss
	.balign 4096
	.global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip KSTACK_PAGES * 4096
boot_stack_top:
