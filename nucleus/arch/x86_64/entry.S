/*
 * Interrupt and exception entry. Each of the 256 vectors has a small stub
 * that pushes an error code (a zero where the CPU pushes none) and the
 * vector number, so that every trap reaches trap_dispatch() with the same
 * struct trap_frame layout (see trap.h).
 */
#include <metta/status.h>

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		      (v) == 21 || (v) == 29 || (v) == 30)

	.altmacro
	.macro trap_stub v
	.balign 16
trap_stub_\v:
	.if HAS_ERROR(\v)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.macro trap_stub_address v
	.quad trap_stub_\v
	.endm

	.text
	.set vector, 0
	.rept 256
	trap_stub %vector
	.set vector, vector + 1
	.endr

trap_common:
	/* From user mode? Then swap to the nucleus's GS. 24 = CS offset. */
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	addq $16, %rsp
	iretq

	.section .rodata
	.balign 8
	.global trap_stub_table
trap_stub_table:
	.set vector, 0
	.rept 256
	trap_stub_address %vector
	.set vector, vector + 1
	.endr

/*
 * int safe_read64(const void *addr, uint64_t *out)
 * Reads 8 bytes that may not be mapped: returns 0, or STATUS_ERR_FAULT if
 * the read faulted (the fault handler finds the .extable entry and resumes
 * at the fixup instead of panicking). Used by backtraces and self-tests;
 * copy-in/copy-out from user memory will use the same mechanism.
 */
	.text
	.global safe_read64
safe_read64:
3:	movq (%rdi), %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret
4:	movl $STATUS_ERR_FAULT, %eax
	ret

/* int safe_write64(void *addr, uint64_t value): as above, for a write. */
	.global safe_write64
safe_write64:
5:	movq %rsi, (%rdi)
	xorl %eax, %eax
	ret
6:	movl $STATUS_ERR_FAULT, %eax
	ret

	.section .extable, "a"
	.quad 3b, 4b
	.quad 5b, 6b

/*
 * void call_on_stack(void *stack_top, void (*fn)(void *), void *arg)
 * Switches to a new stack and calls fn(arg) there; fn must not return.
 */
	.text
	.global call_on_stack
call_on_stack:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	movq %rdx, %rdi
	pushq $0		/* a zero return address ends backtraces */
	jmp *%rsi
