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

	.macro store_words
	movq %rdx, 0(%rbx)
	movq %r10, 8(%rbx)
	movq %r8, 16(%rbx)
	movq %r9, 24(%rbx)
	.endm

	.text
	.global metta_call
metta_call:
	pushq %rbx
	movq %rdx, %rbx
	load_words
	movl $SYS_call, %eax
	syscall
	store_words
	popq %rbx
	ret

	.global metta_reply_wait
metta_reply_wait:
	pushq %rbx
	pushq %r12
	movq %rdx, %rbx
	movq %rcx, %r12
	load_words
	movl $SYS_reply_wait, %eax
	syscall
	store_words
	testq %r12, %r12
	jz 1f
	movq %rdi, (%r12)
1:	popq %r12
	popq %rbx
	ret

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
