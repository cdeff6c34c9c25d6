/*
 * Interrupt and exception entry. Each of the 256 vectors has a small stub
 * that pushes an error code (a zero where the CPU pushes none) and the
 * vector number, so that every trap reaches trap_dispatch() with the same
 * struct trap_frame layout (see trap.h).
 */
#include <arch/gdt.h>
#include <arch/layout.h>
#include <metta/status.h>
#include <metta/syscall.h>
#include <metta/syscall_numbers.h>
#include <offsets.h>
#include <percpu.h>

#define VEC_SYSCALL 0x100 /* not a real vector: marks a syscall frame */
#define FRAME_VECTOR 120  /* offsetof(struct trap_frame, vector) */
#define FRAME_RIP 136	  /* offsetof(struct trap_frame, rip) */

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		      (v) == 21 || (v) == 29 || (v) == 30)

	.altmacro
/* The general registers in struct trap_frame order (r15 lowest). */
	.macro push_registers
	pushq %rax
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
	.endm

/* With sysret=1, rcx and r11 are skipped: sysret loads them itself. */
	.macro pop_registers sysret=0
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	.if \sysret
	addq $8, %rsp		/* r11 */
	.else
	popq %r11
	.endif
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	.if \sysret
	addq $8, %rsp		/* rcx */
	.else
	popq %rcx
	.endif
	popq %rbx
	popq %rax
	.endm

/*
 * Leaves a syscall frame at rsp: with sysret when the return address is a
 * canonical user address (sysret to a non-canonical one faults in ring 0
 * on Intel); otherwise, or for a frame made up by thread_ctl, with iretq.
 * sysret takes rip from rcx and rflags from r11, which the syscall
 * instruction clobbered anyway.
 */
	.macro sysret_frame
	movq FRAME_RIP(%rsp), %rcx	/* (kept by pop_registers 1) */
	cmpq sysret_rip_limit(%rip), %rcx
	jae trap_exit
	pop_registers 1
	movq 32(%rsp), %r11	/* rflags, past vector, error, rip, cs */
	movq 40(%rsp), %rsp	/* the user's stack: nothing of ours after this */
	swapgs
	sysretq
	.endm

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
1:	push_registers
	cld
	movq %rsp, %rdi
	call trap_dispatch
	.global trap_exit
trap_exit:
	pop_registers
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
	.balign 8
	.quad 3b, 4b
	.quad 5b, 6b

/*
 * The syscall instruction lands here with interrupts masked (FMASK), the
 * user's rip in rcx and rflags in r11, and the user's stack. Build the same
 * struct trap_frame an interrupt would, on the thread's nucleus stack, so
 * that every way out is trap_exit's iretq.
 *
 * A Linux-numbered call (below METTA_SYSCALL_BASE) in a domain with a
 * runtime goes the short way: straight on at the runtime's entry, every
 * register as the call left them (rcx the return address, r11 the
 * flags), without the lock or a frame; syscall.c's reflect() does the
 * same the long way. The entry is read from the domain itself (a
 * running thread's domain lives; domain_set_reflect writes the aligned
 * word whole). Nothing else is owed on the way out: a request from
 * another CPU to switch, suspend or kill this thread comes with an IPI
 * (sched_kick), which is taken on the runtime's first instruction.
 */
	.text
	.global syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_OFF_USER_RSP
	movq %gs:CPU_OFF_KERNEL_RSP, %rsp
	pushq $SEL_UDATA
	pushq %gs:CPU_OFF_USER_RSP
	pushq %r11
	pushq $SEL_UCODE
	cmpq $METTA_SYSCALL_BASE, %rax
	jb syscall_reflect
syscall_frame:
	pushq %rcx
	pushq $0
	pushq $VEC_SYSCALL
	push_registers
	/* (No cld: FMASK clears DF on every syscall.) */
	movq %rsp, %rdi
	/*
	 * call and reply_wait without a descriptor try the IPC fastpath
	 * first (portal.c). The big lock is taken here (bkl_lock, bkl.h), so
	 * that ipc_fastpath calls nothing and needs no register kept: the
	 * frame holds them all. ipc_fastpath_span is 2, or 0 when the
	 * fastpath is off.
	 */
	leaq -SYS_call(%rax), %rdx
	cmpq ipc_fastpath_span(%rip), %rdx
	jae 1f
	testq %rsi, %rsi
	jnz 1f
	movl $1, %edx
	lock xaddl %edx, bkl_next_ticket(%rip)
	cmpl bkl_now_serving(%rip), %edx
	jne syscall_fast_wait
2:	movl $1, %gs:CPU_OFF_HOLDS_BKL
	call ipc_fastpath
	testq %rax, %rax
	jz 3f
	/*
	 * It switched threads without a context switch: leave by the other
	 * thread's frame (its call's: a syscall frame), on its stack, then
	 * let the big lock go (not before: the thread we leave may be
	 * switched in on its own stack as soon as the lock is free).
	 */
	movq %rax, %rsp
	movl $0, %gs:CPU_OFF_HOLDS_BKL	/* bkl_unlock() (bkl.h) */
	incl bkl_now_serving(%rip)
	sysret_frame
3:	movq %rsp, %rdi
1:	xorl %ebp, %ebp		/* ends nucleus backtraces here */
	call syscall_dispatch
syscall_return:
	/*
	 * A call reflected to the domain's runtime (vector changed by the
	 * dispatch) needs rcx and r11 as the frame has them: iretq.
	 */
	cmpq $VEC_SYSCALL, FRAME_VECTOR(%rsp)
	jne trap_exit
	sysret_frame

	.section .rodata
	.balign 8
sysret_rip_limit:		/* (cmp takes no 64-bit immediate) */
	.quad USER_TOP
	.text

/* The lock was not free: wait for our ticket (edx), then on. */
syscall_fast_wait:
	movq %gs:CPU_OFF_SELF, %rdi
	movl %edx, %esi
	call bkl_wait
	movq %rsp, %rdi
	jmp 2b

/* The iret frame's rip: the runtime's entry (rcx keeps the return), or
 * the long way without one. rax is kept in the per-CPU scratch, free
 * now that the user's rsp is in the frame. */
syscall_reflect:
	movq %rax, %gs:CPU_OFF_USER_RSP
	movq %gs:CPU_OFF_CURRENT, %rax
	movq THREAD_DOMAIN(%rax), %rax
	movq DOMAIN_REFLECT(%rax), %rax
	testq %rax, %rax
	jz 1f
	pushq %rax
	movq %gs:CPU_OFF_USER_RSP, %rax
	swapgs
	iretq
1:	movq %gs:CPU_OFF_USER_RSP, %rax
	jmp syscall_frame

/*
 * void context_switch(uint64_t *save_rsp, uint64_t new_rsp)
 * Saves the callee-saved registers and stack of the running thread, and
 * resumes the other one where it called context_switch (or, for a new
 * thread, at the address arch_thread_init_user put on its stack).
 */
	.global context_switch
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* A thread the IPC fastpath left, switched in again by context_switch: its
 * call is finished in C, then it leaves as from any call. */
	.global ipc_fast_resume_entry
ipc_fast_resume_entry:
	call ipc_fast_resume
	jmp syscall_return

/* A new user thread's first instructions, on its nucleus stack whose top
 * holds the user register frame. */
	.global thread_entry_user
thread_entry_user:
	call thread_first_entry
	jmp trap_exit

/*
 * int uaccess_copy(void *dst, const void *src, size_t n)
 * Copies to or from user memory (the caller checked the range is user
 * space): 0, or STATUS_ERR_FAULT if a page is missing or not allowed.
 * With SMAP on, user pages are reachable only between stac and clac; the
 * fixup path clears AC too.
 */
	.global uaccess_copy
uaccess_copy:
	movq %rdx, %rcx
	call uaccess_open
7:	rep movsb
	call uaccess_close
	xorl %eax, %eax
	ret
8:	call uaccess_close
	movl $STATUS_ERR_FAULT, %eax
	ret

/* Opens and closes the SMAP window; patched to no-ops if there is no SMAP. */
	.global uaccess_open, uaccess_close, uaccess_smap
uaccess_open:
	cmpb $0, uaccess_smap(%rip)
	je 9f
	stac
9:	ret
uaccess_close:
	cmpb $0, uaccess_smap(%rip)
	je 9f
	clac
9:	ret

	.section .extable, "a"
	.balign 8
	.quad 7b, 8b

	.data
uaccess_smap:
	.byte 0

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
