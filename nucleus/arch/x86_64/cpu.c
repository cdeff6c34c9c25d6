/*
 * Setting a CPU up to run threads, and switching between them: per-CPU
 * GDT/TSS and GS base, the syscall MSRs, protection features (SMEP, SMAP,
 * UMIP), and the FPU/SSE/AVX state each user thread owns.
 */
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/switch.h>
#include <arch/thread.h>
#include <arch/trap.h>
#include <domain.h>
#include <kprintf.h>
#include <panic.h>
#include <percpu.h>
#include <string/kstring.h>
#include <thread.h>

#define MSR_STAR       0xc0000081
#define MSR_LSTAR      0xc0000082
#define MSR_FMASK      0xc0000084
#define EFER_SCE       1
#define RFLAGS_IF      0x200
#define RFLAGS_DF      0x400
#define RFLAGS_TF      0x100
#define RFLAGS_AC      0x40000
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE    (1u << 18)

extern void syscall_entry(void);
extern void thread_entry_user(void);
extern void ipc_fast_resume_entry(void);
extern void context_switch(uint64_t *save_rsp, uint64_t new_rsp);
extern char uaccess_smap;

int have_xsave;
uint64_t xsave_mask;
uint32_t xsave_mask_lo, xsave_mask_hi;
static uint8_t fpu_initial[4096] __attribute__((aligned(64)));

static void protection_init(void)
{
	struct cpuid_regs r = cpuid(7, 0);
	uint64_t cr4 = read_cr4();
	if (r.ebx & (1u << 7))
		cr4 |= CR4_SMEP; /* the nucleus never runs user code */
	if (r.ecx & (1u << 2))
		cr4 |= CR4_UMIP; /* user mode may not read GDT/IDT bases */
	if (r.ebx & (1u << 20)) {
		cr4 |= CR4_SMAP; /* ...nor touch user memory but in uaccess */
		uaccess_smap = 1;
	}
	write_cr4(cr4);
}

static void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* syscall: CS 0x08, SS 0x10; sysret: CS 0x10+16, SS 0x10+8. */
	wrmsr(MSR_STAR, (uint64_t)0x10 << 48 | (uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* The nucleus runs with interrupts off, string ops forward. */
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
}

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv"
			 :
			 : "c"(reg), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

void fpu_cpu_init(void)
{
	uint64_t cr0 = read_cr0();
	cr0 &= ~((1ull << 2) | (1ull << 3)); /* EM, TS off */
	cr0 |= (1ull << 1) | (1ull << 5);    /* MP, NE on */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (cpuid(1, 0).ecx & (1u << 26)) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		/* x87, SSE, AVX and the AVX-512 parts the CPU has. */
		xsave_mask = cpuid(0xd, 0).eax & 0xe7;
		xsetbv(0, xsave_mask);
		xsave_mask_lo = (uint32_t)xsave_mask;
		xsave_mask_hi = (uint32_t)(xsave_mask >> 32);
		if (cpuid(0xd, 0).ebx > sizeof(fpu_initial))
			panic("XSAVE area of %u bytes", cpuid(0xd, 0).ebx);
		have_xsave = 1;
	}
	uint32_t mxcsr = 0x1f80;
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
	fpu_save(fpu_initial);
}

void arch_cpu_init(struct cpu *c, const uint64_t ist_tops[3])
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	gdt_load(&c->arch, ist_tops);
	protection_init();
	syscall_init();
	fpu_cpu_init();
}

/* Makes t's nucleus stack, below its user registers, what context_switch
 * pops: six callee-saved registers, then the address `to` returns to. */
static void push_continuation(struct thread *t, void (*to)(void))
{
	uint64_t *sp =
	    (uint64_t *)(t->kstack_top - sizeof(struct trap_frame));
	*--sp = (uint64_t)to;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->saved_rsp = (uint64_t)sp;
}

void arch_thread_init_user(struct thread *t, uint64_t entry, uint64_t stack)
{
	struct trap_frame *tf =
	    (struct trap_frame *)(t->kstack_top - sizeof(*tf));
	memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->cs = SEL_UCODE;
	tf->rflags = RFLAGS_IF;
	tf->rsp = stack;
	tf->ss = SEL_UDATA;
	push_continuation(t, thread_entry_user);
	if (t->arch.fpu)
		memcpy(t->arch.fpu, fpu_initial, sizeof(fpu_initial));
}

void arch_set_tls(uint64_t fs_base)
{
	wrmsr(MSR_FS_BASE, fs_base);
	this_cpu()->arch.fs_loaded = fs_base;
}

/* In the nucleus the user's GS base waits in MSR_KERNEL_GS_BASE, where
 * swapgs on the way out takes it from. */
void arch_set_user_gs(uint64_t gs_base)
{
	wrmsr(MSR_KERNEL_GS_BASE, gs_base);
	this_cpu()->arch.gs_loaded = gs_base;
}

void arch_switch(struct thread *prev, struct thread *next)
{
	arch_switch_state(this_cpu(), prev, next, prev->state != THREAD_DEAD,
			  0);
	if (!next->saved_rsp) /* left by the IPC fastpath: finish its call */
		push_continuation(next, ipc_fast_resume_entry);
	context_switch(&prev->saved_rsp, next->saved_rsp);
}
