/*
 * IPC stubs: the four message words travel in rdx, r10, r8, r9 in both
 * directions, so these move them between registers and a uint64_t[4].
 *
 * long metta_call(uint32_t portal, struct metta_msg *msg, uint64_t w[4])
 * long metta_reply_wait(uint32_t portal, struct metta_msg *msg,
 *                       uint64_t w[4], uint64_t *badge)
 * long metta_reply(struct metta_msg *msg, uint64_t w[4])
 * long metta_reply_send(uint32_t reply, struct metta_msg *msg, uint64_t w[4])
 */
#include <metta/syscall_numbers.h>

/* The four words between the array at rbx and their registers. */
	.macro load_words
	movq 0(%rbx), %rdx
	movq 8(%rbx), %r10
	movq 16(%rbx), %r8
	movq 24(%rbx), %r9
	.endm

	.text
/* The pointers the answer goes to wait on the stack: the syscall
 * instruction clobbers rcx and r11, and the words' registers come back
 * with the answer. */
	.global metta_call
metta_call:
	pushq %rdx		/* w */
	movq 8(%rdx), %r10
	movq 16(%rdx), %r8
	movq 24(%rdx), %r9
	movq 0(%rdx), %rdx
	movl $SYS_call, %eax
	syscall
	popq %rcx
	movq %rdx, 0(%rcx)
	movq %r10, 8(%rcx)
	movq %r8, 16(%rcx)
	movq %r9, 24(%rcx)
	ret

	.global metta_reply_wait
metta_reply_wait:
	pushq %rdx		/* w */
	pushq %rcx		/* badge */
	movq 8(%rdx), %r10
	movq 16(%rdx), %r8
	movq 24(%rdx), %r9
	movq 0(%rdx), %rdx
	movl $SYS_reply_wait, %eax
	syscall
	popq %r11
	popq %rcx
	movq %rdx, 0(%rcx)
	movq %r10, 8(%rcx)
	movq %r8, 16(%rcx)
	movq %r9, 24(%rcx)
	testq %r11, %r11
	jz 1f
	movq %rdi, (%r11)
1:	ret

	.global metta_reply
metta_reply:
	pushq %rbx
	movq %rsi, %rbx
	movq %rdi, %rsi
	load_words
	movl $SYS_reply, %eax
	syscall
	popq %rbx
	ret

	.global metta_reply_send
metta_reply_send:
	pushq %rbx
	movq %rdx, %rbx
	load_words
	movl $SYS_reply_send, %eax
	syscall
	popq %rbx
	ret

	.section .note.GNU-stack, "", @progbits
