/*
 * long metta_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
 *                    long a5)
 * Moves C's argument registers to the nucleus call convention
 * (include/metta/syscall.h) and makes the call.
 */
	.text
	.global metta_syscall
metta_syscall:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret

	.section .note.GNU-stack, "", @progbits
