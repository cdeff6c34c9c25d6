/*
 * Local APIC (per-CPU interrupts and the one-shot timer) and I/O APIC
 * (device interrupts). The legacy PIC is remapped and masked: it would
 * otherwise deliver its IRQs on exception vectors.
 */
#include <arch/acpi.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <panic.h>

#define LAPIC_ID	    0x20
#define LAPIC_TPR	    0x80
#define LAPIC_EOI	    0xb0
#define LAPIC_SVR	    0xf0
#define LAPIC_LVT_TIMER	    0x320
#define LAPIC_TIMER_INIT    0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE  0x3e0
#define LVT_MASKED	    (1u << 16)

#define IOAPIC_REGSEL	   0x00
#define IOAPIC_WINDOW	   0x10
#define IOAPIC_VERSION	   0x01
#define IOAPIC_REDIRECT(n) (0x10 + 2 * (n))

static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static uint64_t timer_hz;

static uint32_t lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	return ioapic[IOAPIC_WINDOW / 4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	ioapic[IOAPIC_WINDOW / 4] = v;
}

void pic_disable(void)
{
	/* ICW1..ICW4: cascade, vectors 0x20/0x28, then mask everything. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

int ioapic_inputs(void)
{
	if (!ioapic)
		return 0;
	return (int)((ioapic_read(IOAPIC_VERSION) >> 16) & 0xff) + 1;
}

static void ioapic_mask_all(void)
{
	int n = ioapic_inputs();
	for (int i = 0; i < n; i++) {
		ioapic_write(IOAPIC_REDIRECT(i), LVT_MASKED);
		ioapic_write(IOAPIC_REDIRECT(i) + 1, 0);
	}
}

static void spurious(struct trap_frame *f)
{
	(void)f; /* a spurious interrupt must not be acknowledged */
}

void lapic_enable(void)
{
	wrmsr(MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) | (1u << 11)));
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
}

#define LAPIC_ICR_LOW  0x300
#define LAPIC_ICR_HIGH 0x310
#define ICR_PENDING    (1u << 12)

void lapic_send(uint32_t apic_id, uint32_t icr)
{
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, icr);
	for (int i = 0;
	     i < 1000000 && (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING); i++)
		cpu_relax();
}

void apic_init(const struct acpi_info *acpi)
{
	/* Make sure the APIC is enabled in the MSR at the MADT's address. */
	wrmsr(MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) | (1u << 11)));
	lapic = vm_map_device(acpi->lapic_phys, PAGE_SIZE);
	if (!lapic)
		panic("cannot map the local APIC at 0x%lx", acpi->lapic_phys);
	trap_set_handler(VEC_SPURIOUS, spurious);
	for (int v = VEC_PIC_BASE; v < VEC_PIC_BASE + 16; v++)
		trap_set_handler((uint8_t)v, spurious);
	lapic_enable();
	if (acpi->nioapics > 0) {
		ioapic = vm_map_device(acpi->ioapics[0].phys, PAGE_SIZE);
		if (!ioapic)
			panic("cannot map the I/O APIC");
		ioapic_mask_all();
	}
}

void lapic_timer_calibrate(void)
{
	lapic_write(LAPIC_TIMER_DIVIDE, 0xb); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	uint64_t start = rdtsc(), span = tsc_hz() / 100; /* 10 ms */
	while (rdtsc() - start < span)
		cpu_relax();
	uint32_t elapsed = 0xffffffff - lapic_read(LAPIC_TIMER_CURRENT);
	uint64_t tsc_elapsed = rdtsc() - start;
	lapic_write(LAPIC_TIMER_INIT, 0);
	timer_hz = mul_div(elapsed, tsc_hz(), tsc_elapsed);
	if (timer_hz == 0)
		panic("LAPIC timer does not count");
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CURRENT);
}

uint64_t lapic_timer_hz(void)
{
	return timer_hz;
}

void lapic_timer_oneshot(uint64_t tsc_ticks)
{
	if (tsc_ticks == 0) {
		lapic_write(LAPIC_TIMER_INIT, 0);
		return;
	}
	/* One tick more so the timer never fires before its deadline. */
	uint64_t count = mul_div(tsc_ticks, timer_hz, tsc_hz()) + 1;
	if (count > 0xffffffff)
		count = 0xffffffff; /* far deadline: re-armed when this fires */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}

/* ---- device interrupts (ISA lines through the first I/O APIC) ---- */

static struct {
	uint32_t gsi;
	uint32_t flags; /* redirection-entry bits: polarity, trigger */
} isa[IRQ_LINES];

void irq_init(const struct acpi_info *acpi)
{
	for (unsigned i = 0; i < IRQ_LINES; i++)
		isa[i].gsi = i; /* ISA default: edge, active high */
	for (int i = 0; i < acpi->noverrides; i++) {
		const struct acpi_override *o = &acpi->overrides[i];
		if (o->irq >= IRQ_LINES)
			continue;
		isa[o->irq].gsi = o->gsi;
		isa[o->irq].flags =
		    ((o->flags & 3) == 3 ? 1u << 13 : 0) |	 /* low */
		    (((o->flags >> 2) & 3) == 3 ? 1u << 15 : 0); /* level */
	}
}

static int redirect_index(unsigned irq)
{
	int gsi = (int)isa[irq].gsi;
	return gsi < ioapic_inputs() ? gsi : -1;
}

int irq_route(unsigned irq, uint32_t apic_id)
{
	int n = irq < IRQ_LINES ? redirect_index(irq) : -1;
	if (n < 0)
		return -1;
	ioapic_write(IOAPIC_REDIRECT(n) + 1, apic_id << 24);
	ioapic_write(IOAPIC_REDIRECT(n),
		     LVT_MASKED | isa[irq].flags | (VEC_IRQ_BASE + irq));
	return 0;
}

void irq_mask(unsigned irq)
{
	int n = redirect_index(irq);
	if (n >= 0)
		ioapic_write(IOAPIC_REDIRECT(n),
			     ioapic_read(IOAPIC_REDIRECT(n)) | LVT_MASKED);
}

void irq_unmask(unsigned irq)
{
	int n = redirect_index(irq);
	if (n >= 0)
		ioapic_write(IOAPIC_REDIRECT(n),
			     ioapic_read(IOAPIC_REDIRECT(n)) & ~LVT_MASKED);
}

/* ---- message-signalled interrupts: the device writes the LAPIC ---- */

#define MSI_ADDRESS_BASE 0xfee00000ull /* + destination APIC id << 12 */

void msi_message(unsigned i, uint32_t apic_id, uint64_t msg[2])
{
	msg[0] = MSI_ADDRESS_BASE | (uint64_t)(apic_id & 0xff) << 12;
	msg[1] = VEC_MSI_BASE + i; /* delivery mode fixed, edge */
}

uint32_t port_in(uint16_t port, unsigned width)
{
	uint32_t v = 0;
	if (width == 1)
		v = inb(port);
	else if (width == 2)
		__asm__ volatile("inw %1, %w0" : "=a"(v) : "Nd"(port));
	else
		__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void port_out(uint16_t port, unsigned width, uint32_t value)
{
	if (width == 1)
		outb(port, (uint8_t)value);
	else if (width == 2)
		outw(port, (uint16_t)value);
	else
		outl(port, value);
}
