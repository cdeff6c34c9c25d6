/*
 * Exceptions and interrupts. A fault in the nucleus is a bug, so it gets a
 * full report on the serial port (vector, error code, CR2, registers and a
 * symbolised backtrace) and the machine stops, unless the faulting
 * instruction has an entry in the exception table (safe_read64, copies
 * from and to user memory), in which case execution resumes at its fixup
 * (after bringing in the page on demand, if the address is a mapping's
 * page not there yet). A user page fault on such a page is no fault
 * either: the page comes in and the thread goes on.
 */
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <ksyms.h>
#include <kprintf.h>
#include <memobj.h>
#include <bkl.h>
#include <domain.h>
#include <metta/abi.h>
#include <panic.h>
#include <percpu.h>
#include <portal.h>
#include <thread.h>

#include <metta/status.h>
#include <stddef.h>

struct idt_entry {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 136,
	       "entry.S's FRAME_RIP");

struct extable_entry {
	uint64_t insn, fixup;
};

extern const uint64_t trap_stub_table[256];
extern const struct extable_entry __extable_start[], __extable_end[];

static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_fn handlers[256];

static const char *const exception_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved",
	"#MF x87 floating point",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD floating point",
	"#VE virtualization",
	"#CP control protection",
};

static void set_gate(int v, uint64_t handler, int ist)
{
	struct idt_entry *e = &idt[v];
	e->offset_low = handler & 0xffff;
	e->selector = SEL_KCODE;
	e->ist = (uint8_t)ist;
	e->type_attr = 0x8e; /* present, ring 0, interrupt gate */
	e->offset_mid = (handler >> 16) & 0xffff;
	e->offset_high = (uint32_t)(handler >> 32);
	e->reserved = 0;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stub_table[v], 0);
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[2].ist = IST_NMI;
	idt[18].ist = IST_MACHINE_CHECK;
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) r = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(r));
}

void trap_set_handler(uint8_t vector, irq_handler_fn fn)
{
	handlers[vector] = fn;
}

static const char *exception_name(uint64_t v)
{
	if (v < 32 && exception_names[v])
		return exception_names[v];
	return v < 32 ? "reserved exception" : "interrupt";
}

static void print_symbol(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		kprintf("%s+0x%lx", name, off);
	else
		kprintf("?");
}

/* Whether rbp can be a frame in the nucleus's half of the address space. */
static int plausible_frame(uint64_t rbp)
{
	return rbp >= 0xffff800000000000ull && rbp % 8 == 0;
}

struct walk {
	uint64_t last;
	int repeats, depth;
};

/* Prints one frame; a run of one return address (deep recursion) is
 * printed once with a count. */
static void walk_frame(struct walk *w, uint64_t rip)
{
	if (rip == w->last) {
		w->repeats++;
		return;
	}
	if (w->repeats)
		kprintf("      ... the same %d more times\n", w->repeats);
	w->repeats = 0;
	kprintf("  #%-2d 0x%016lx ", w->depth++, rip);
	print_symbol(rip);
	kprintf("\n");
	w->last = rip;
}

/* Follows the frame-pointer chain from rbp. */
static void walk_chain(struct walk *w, uint64_t rbp)
{
	for (int frames = 0; frames < 4096 && w->depth < 32; frames++) {
		uint64_t next_rbp, ret;
		if (!plausible_frame(rbp) ||
		    safe_read64((void *)rbp, &next_rbp) ||
		    safe_read64((void *)(rbp + 8), &ret) || !ret)
			break;
		walk_frame(w, ret);
		/* Frames grow towards higher addresses; stop on a loop. */
		if (next_rbp <= rbp)
			break;
		rbp = next_rbp;
	}
	if (w->repeats)
		kprintf("      ... the same %d more times\n", w->repeats);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	struct walk w = { 0, 0, 0 };
	kprintf("backtrace:\n");
	walk_frame(&w, rip);
	walk_chain(&w, rbp);
}

/*
 * GCC keeps no frame in small leaf functions, and no function has one
 * before its prologue has run. Then the return address is on the stack
 * top (or just above a pushed rbp), and rbp is still the caller's.
 * Returns 1 with that return address, 0 if rip's function has its frame.
 */
static int frameless_return(uint64_t rip, uint64_t rsp, uint64_t *ret)
{
	static const uint8_t prologue[] = { 0x55, 0x48, 0x89, 0xe5 };
	uint64_t off;
	if (!ksym_lookup(rip, &off))
		return 0;
	const uint8_t *start = (const uint8_t *)(rip - off);
	int has_prologue = 1;
	for (int i = 0; i < 4; i++)
		has_prologue &= start[i] == prologue[i];
	if (has_prologue && off >= sizeof(prologue))
		return 0;
	uint64_t slot = has_prologue && off >= 1 ? rsp + 8 : rsp;
	return safe_read64((void *)slot, ret) == 0 && ksym_lookup(*ret, &off);
}

static void fault_backtrace(const struct trap_frame *f)
{
	struct walk w = { 0, 0, 0 };
	uint64_t ret;
	kprintf("backtrace:\n");
	walk_frame(&w, f->rip);
	if (frameless_return(f->rip, f->rsp, &ret))
		walk_frame(&w, ret);
	walk_chain(&w, f->rbp);
}

static void page_fault_detail(uint64_t err)
{
	kprintf(" [%s, %s, %s%s%s]", err & 1 ? "protection" : "not present",
		err & 2 ? "write" : "read", err & 4 ? "user" : "nucleus",
		err & 16 ? ", instruction fetch" : "",
		err & 8 ? ", reserved bit" : "");
}

static void fault_report(const struct trap_frame *f)
{
	kprintf("\n*** NUCLEUS FAULT: vector %lu (%s), error code 0x%lx",
		f->vector, exception_name(f->vector), f->error);
	if (f->vector == VEC_PAGE_FAULT)
		page_fault_detail(f->error);
	kprintf("\nRIP 0x%016lx ", f->rip);
	print_symbol(f->rip);
	kprintf("\nCR2 0x%016lx  CR3 0x%016lx  CR0 0x%016lx  CR4 0x%016lx\n",
		read_cr2(), read_cr3(), read_cr0(), read_cr4());
	kprintf("RAX 0x%016lx  RBX 0x%016lx  RCX 0x%016lx  RDX 0x%016lx\n",
		f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("RSI 0x%016lx  RDI 0x%016lx  RBP 0x%016lx  RSP 0x%016lx\n",
		f->rsi, f->rdi, f->rbp, f->rsp);
	kprintf("R8  0x%016lx  R9  0x%016lx  R10 0x%016lx  R11 0x%016lx\n",
		f->r8, f->r9, f->r10, f->r11);
	kprintf("R12 0x%016lx  R13 0x%016lx  R14 0x%016lx  R15 0x%016lx\n",
		f->r12, f->r13, f->r14, f->r15);
	kprintf("CS 0x%lx  SS 0x%lx  RFLAGS 0x%lx\n", f->cs, f->ss, f->rflags);
	fault_backtrace(f);
}

/* The .extable entry of a faulting instruction, or NULL. */
static const struct extable_entry *find_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end;
	     e++)
		if (e->insn == rip)
			return e;
	return NULL;
}

/* Resumes at the fixup of a faulting instruction listed in .extable. */
static int try_fixup(struct trap_frame *f)
{
	const struct extable_entry *e = find_fixup(f->rip);
	if (e)
		f->rip = e->fixup;
	return e != NULL;
}

/* Page fault error code bits. */
#define PF_PRESENT 1
#define PF_WRITE   2
#define PF_RSVD	   8
#define PF_FETCH   16

/*
 * A page fault at addr in d: if the page is one of d's mappings not
 * there yet, brings it in; a write to a copy-on-write page copies it
 * (memobj_fault). 0 when the access can be tried again; otherwise why not
 * (ERR_NOENT: no page to demand at all).
 */
static int demand_page(struct domain *d, uint64_t addr, uint64_t err)
{
	if (!d || (err & PF_RSVD))
		return STATUS_ERR_NOENT;
	return memobj_fault(d, addr,
			    (err & PF_WRITE ? VM_WRITE : 0) |
				(err & PF_FETCH ? VM_EXEC : 0),
			    (err & PF_PRESENT) != 0);
}

/*
 * The nucleus, copying to or from the running domain's memory (an
 * instruction with a fixup), touched a page not there yet: brings it in
 * so that the copy goes on. 1 if so; 0 to take the fixup (a bad address,
 * or no page to be had: the call fails with ERR_FAULT).
 */
static int user_copy_fault(struct trap_frame *f)
{
	struct thread *t = current_thread();
	if (!find_fixup(f->rip) || !t)
		return 0;
	struct cpu *c = this_cpu();
	int took = !c->holds_bkl;
	if (took)
		bkl_lock();
	int rc = demand_page(t->domain, read_cr2(), f->error);
	if (took)
		bkl_unlock();
	return rc == STATUS_OK;
}

/*
 * A user thread faulted (or raised an exception): its domain's fault
 * handler decides, through a call to its fault portal; without one, or if
 * the handler says so or is gone, the domain ends with a log line.
 */
static void user_fault(struct trap_frame *f)
{
	struct thread *t = current_thread();
	struct domain *d = t->domain;
	uint64_t addr = f->vector == VEC_PAGE_FAULT ? read_cr2() : 0;
	int rc = f->vector == VEC_PAGE_FAULT ? demand_page(d, addr, f->error)
					     : STATUS_ERR_NOENT;
	if (rc == STATUS_OK)
		return; /* a page on demand: the access again */
	int starved = memobj_starved(rc);
	const char *why = "no fault handler";
	if (d->fault_cap.obj) {
		uint64_t w[4] = { METTA_FAULT | f->vector, addr,
				  f->error |
				      (starved ? METTA_FAULT_NO_MEMORY : 0),
				  f->rip };
		uint64_t answer = 0;
		long rc = ipc_fault_call(&d->fault_cap, w, &answer);
		if (rc == SYSCALL_RESTART || (rc == STATUS_OK && answer == 0))
			return; /* back to the instruction, handled or not yet
				 */
		why = rc ? "fault handler gone" : "fault handler ended it";
	}
	kprintf("[nucleus] domain %d (%s) thread %d: %s at rip 0x%lx", d->id,
		d->name, t->id, exception_name(f->vector), f->rip);
	if (f->vector == VEC_PAGE_FAULT) {
		kprintf(", address 0x%lx", addr);
		page_fault_detail(f->error);
	}
	if (starved)
		kprintf(", %s", rc == STATUS_ERR_QUOTA
				    ? "out of quota for the page"
				    : "out of memory for the page");
	kprintf("; %s: domain ended\n", why);
	domain_kill(d, DOMAIN_EXIT_FAULT |
			   (starved ? METTA_EXIT_FAULT_NO_MEMORY : 0) |
			   (int64_t)f->vector);
}

void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
	int from_user = (f->cs & 3) == 3;
	if (f->vector < 32 && !from_user) {
		/* A nucleus bug, unless the instruction expects to fault. */
		if (f->vector == VEC_PAGE_FAULT && user_copy_fault(f))
			return;
		if (f->vector != 8 && try_fixup(f))
			return;
		fault_report(f);
		panic_halt();
	}
	struct cpu *c = this_cpu();
	if (f->vector == VEC_IPI_TLB) {
		tlb_flush_ipi(); /* without the lock: its sender holds it */
		return;
	}
	int took = !c->holds_bkl;
	if (took)
		bkl_lock();
	if (f->vector >= 32) {
		if (handlers[f->vector])
			handlers[f->vector](f);
	} else if (c->current->state != THREAD_DEAD) {
		/* (a thread killed from another CPU while it waited for the
		 * lock is not served: it goes at return_to_user) */
		user_fault(f);
	}
	if (from_user)
		return_to_user();
	else if (took)
		bkl_unlock();
}
