/*
 * Bringing up the other CPUs (INIT-SIPI-SIPI through the trampoline) and
 * the interrupts they send each other: wake-ups and TLB shootdowns.
 */
#include <arch/acpi.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/smp.h>
#include <arch/thread.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <bkl.h>
#include <kprintf.h>
#include <percpu.h>
#include <quota.h>
#include <sched.h>
#include <string/kstring.h>
#include <thread.h>

#define ICR_INIT    0x4500
#define ICR_STARTUP 0x4600
#define ICR_FIXED   0x4000

extern char trampoline_start[], trampoline_end[];
extern uint64_t tramp_cr3, tramp_stack, tramp_cpu, tramp_entry;

static volatile int ap_started;

/* The live copy of a trampoline variable, in low memory. */
static volatile uint64_t *tramp_var(uint64_t *v)
{
	return phys_to_virt(TRAMPOLINE_PHYS + ((char *)v - trampoline_start));
}

void ipi_send(uint32_t apic_id, uint8_t vector)
{
	lapic_send(apic_id, ICR_FIXED | vector);
}

static void full_flush(void)
{
	/* Toggling PGE drops global (nucleus) entries too: a freed nucleus
	 * stack may be mapped again elsewhere. Reloading CR3 as well is
	 * what QEMU's TCG needs to drop user entries (measured: without it
	 * the other CPU kept reading an unmapped page). */
	uint64_t cr4 = read_cr4();
	write_cr4(cr4 & ~(uint64_t)CR4_PGE);
	write_cr4(cr4);
	write_cr3(read_cr3());
}

void tlb_flush_ipi(void)
{
	struct cpu *c = this_cpu();
	if (c->tlb_flush_pending) {
		full_flush();
		c->tlb_flush_pending = 0;
	}
	lapic_eoi();
}

void tlb_shootdown(void)
{
	struct cpu *self = this_cpu();
	for (int i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		if (c == self || !c->online)
			continue;
		c->tlb_flush_pending = 1;
		ipi_send(c->apic_id, VEC_IPI_TLB);
	}
	for (int i = 0; i < ncpus; i++)
		while (cpus[i].tlb_flush_pending)
			cpu_relax();
}

static void wake_ipi(struct trap_frame *f)
{
	(void)f;
	lapic_eoi(); /* need_resched is already set: the way out looks */
}

void ap_entry(struct cpu *c);

/* An AP's first C code, on its idle stack. */
void ap_entry(struct cpu *c)
{
	arch_cpu_init(c, c->ist_tops);
	idt_load();
	lapic_enable();
	thread_adopt_idle(c, c->kernel_rsp);
	c->online = 1;
	ap_started = 1;
	bkl_lock();
	sched_start();
}

static void wait_us(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);
	while (rdtsc() < end)
		cpu_relax();
}

static int start_one(struct cpu *c)
{
	void *stacks[4];
	for (int i = 0; i < 4; i++)
		if (!(stacks[i] = vm_alloc_stack(KSTACK_PAGES, &quota_nucleus)))
			return 0;
	c->kernel_rsp = (uint64_t)stacks[0];
	for (int i = 0; i < 3; i++)
		c->ist_tops[i] = (uint64_t)stacks[i + 1];
	*tramp_var(&tramp_stack) = (uint64_t)stacks[0];
	*tramp_var(&tramp_cpu) = (uint64_t)c;
	*tramp_var(&tramp_entry) = (uint64_t)ap_entry;
	ap_started = 0;
	lapic_send(c->apic_id, ICR_INIT);
	wait_us(10000);
	for (int attempt = 0; attempt < 2 && !ap_started; attempt++) {
		lapic_send(c->apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
		for (int i = 0; i < 1000 && !ap_started; i++)
			wait_us(100);
	}
	return ap_started;
}

int smp_start_aps(const struct acpi_info *acpi)
{
	trap_set_handler(VEC_IPI_WAKE, wake_ipi);
	uint64_t root = vm_kernel_root();
	if (root >= 0x100000000ull || acpi->ncpus < 2)
		return 1;
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	*tramp_var(&tramp_cr3) = root;
	if (vm_map_identity(TRAMPOLINE_PHYS))
		return 1;
	uint32_t self = lapic_id();
	for (int i = 0; i < acpi->ncpus && ncpus < CPU_MAX; i++) {
		if (acpi->apic_ids[i] == self)
			continue;
		struct cpu *c = &cpus[ncpus];
		c->id = ncpus;
		c->apic_id = acpi->apic_ids[i];
		if (start_one(c))
			ncpus++;
		else
			kprintf("smp: CPU with APIC id %u did not start\n",
				c->apic_id);
	}
	vm_unmap(TRAMPOLINE_PHYS);
	tlb_shootdown();
	return ncpus;
}
