/*
 * The runtime's two ways in.
 *
 * _start: the domain's first thread starts here, with rsp at the Linux
 * program's argc (the spawner built the stack for the program). rt_start
 * sets everything up and returns the program's entry, where we go on with
 * that same stack and the registers the ELF ABI asks for (rdx: no
 * function for atexit).
 *
 * rt_reflect_entry: the nucleus sends every Linux-numbered syscall of the
 * domain here (nucleus/syscall.c), registers as the call left them: rax
 * the number, rdi, rsi, rdx, r10, r8, r9 the arguments, rcx the return
 * address, r11 the flags. Like Linux we keep every register but rax (the
 * result), rcx and r11, and never touch the program's stack (it may have
 * data in its red zone): the runtime runs on its own stack. Every register
 * is saved in a struct rt_call and restored from it, so that the runtime
 * may change them (signals, sigreturn) or copy them (fork). The runtime's
 * C code uses no vector registers (-mgeneral-regs-only), so they are kept
 * too. Each thread has its own runtime stack, found through its GS base,
 * which points at its struct rt_thread (runtime/thread.h).
 *
 * rt_async_entry: where the process server sends a thread it found in the
 * program's own code when a signal came (runtime/signal.c): every
 * register is the program's but rip, which proc kept in the signal page.
 * rt_async leaves the registers to go on with in the thread's `full`, and
 * rt_resume_full loads all of them (rcx and r11 too, which the way back
 * from a call cannot); rt_sigreturn takes that way too when the thread's
 * full_pending is set.
 */
#include "../../thread.h"

	.text
	.global _start
_start:
	xorl %ebp, %ebp
	movq %rsp, %r12
	movq %rsp, %rdi
	andq $-16, %rsp
	call rt_start
	movq %r12, %rsp
	xorl %edx, %edx
	xorl %r12d, %r12d
	jmp *%rax

	.global rt_reflect_entry
rt_reflect_entry:
	movq %rsp, %gs:T_USER_RSP
	movq %gs:T_STACK_TOP, %rsp
	/* struct rt_call, from its end: rsp, rip, rflags, the registers C
	 * keeps, then nr and a[0..5] */
	pushq %gs:T_USER_RSP
	pushq %rcx
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %r9
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rax
	movq %rsp, %rdi
	cld
	call rt_syscall
	cmpb $0, %gs:T_FULL_PENDING
	jne rt_resume_full
	addq $8, %rsp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %r10
	popq %r8
	popq %r9
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popfq			/* the program's flags, from r11 */
	pushfq			/* and r11 holds them, as after syscall */
	popq %r11
	popq %rcx
	popq %rsp
	jmp *%rcx

	.global rt_async_entry
rt_async_entry:
	movq %gs:T_STACK_TOP, %rsp
	cld
	call rt_async
	jmp rt_resume_full

/* A fork's child starts here, on its copy of the forking thread's stack,
 * with the registers to go on with in its struct rt_thread (fork.c). */
	.global rt_fork_entry
rt_fork_entry:
	movq %gs:T_STACK_TOP, %rsp
	cld
	call thread_fork_child
	/* fall through */

/* Every register from the thread's `full` (struct metta_regs: rax rbx
 * rcx rdx rsi rdi rbp rsp r8-r15 rip rflags), then on at its rip. Moves
 * leave the flags alone, so they are set first. A new thread starts
 * here (thread.c). */
	.global rt_resume_full
rt_resume_full:
	movb $0, %gs:T_FULL_PENDING
	movq %gs:T_SELF, %rax
	leaq T_FULL(%rax), %rax
	pushq 136(%rax)
	popfq
	movq 8(%rax), %rbx
	movq 16(%rax), %rcx
	movq 24(%rax), %rdx
	movq 32(%rax), %rsi
	movq 40(%rax), %rdi
	movq 48(%rax), %rbp
	movq 64(%rax), %r8
	movq 72(%rax), %r9
	movq 80(%rax), %r10
	movq 88(%rax), %r11
	movq 96(%rax), %r12
	movq 104(%rax), %r13
	movq 112(%rax), %r14
	movq 120(%rax), %r15
	movq 56(%rax), %rsp
	movq 0(%rax), %rax
	jmp *%gs:(T_FULL + 128)

	.bss
	.balign 16
	.skip 65536
	.global rt_stack_top
rt_stack_top:			/* the first thread's stack (thread.c) */

/* The runtime is a native image (lib/elf/elf.h). */
#include <arch/x86_64/note.h>

	.section .note.GNU-stack, "", @progbits
