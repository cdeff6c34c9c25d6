/* The device driver skeleton: see driver.h. */
#include <9p/portal.h>
#include <metta.h>
#include <metta/driver.h>
#include <metta/proto.h>
#include <metta/status.h>
#include <server/server.h>

#include "driver/driver.h"

#define PAGE 4096ull

/* ---- config space ---- */

long driver_config_read(uint32_t offset, uint32_t width, uint32_t *value)
{
	uint64_t w[4] = { PCI_CONFIG_READ, offset, width, 0 };
	long rc = metta_request(DRIVER_SLOT_CONFIG, w, 0, 0, 0, 0, 0, 0, 0);
	*value = rc == STATUS_OK ? (uint32_t)w[1] : 0;
	return rc;
}

long driver_config_write(uint32_t offset, uint32_t width, uint32_t value)
{
	uint64_t w[4] = { PCI_CONFIG_WRITE, offset, width, value };
	return metta_request(DRIVER_SLOT_CONFIG, w, 0, 0, 0, 0, 0, 0, 0);
}

static uint32_t config8(uint32_t offset)
{
	uint32_t v;
	return driver_config_read(offset, 1, &v) == STATUS_OK ? v : 0;
}

uint32_t driver_find_cap(uint8_t id, uint32_t after)
{
	uint32_t status;
	if (driver_config_read(PCI_STATUS, 2, &status) ||
	    !(status & PCI_STATUS_CAPABILITIES))
		return 0;
	uint32_t at = after ? config8(after + 1) : config8(PCI_CAPABILITIES);
	/* At most 48 entries fit above the header: more is a loop. */
	for (int n = 0; n < 48 && at >= 0x40 && at < PCI_CONFIG_SIZE; n++) {
		at &= ~3u;
		if (config8(at) == id)
			return at;
		at = config8(at + 1);
	}
	return 0;
}

/* ---- memory: BARs and DMA, mapped one after the other ---- */

static uint64_t next_va = DRIVER_MAP_VA;

/* The physical address of memory BAR bar, or 0 (an I/O or unused BAR). */
static uint64_t bar_address(unsigned bar)
{
	uint32_t lo, hi = 0;
	if (bar >= PCI_BARS || driver_config_read(PCI_BAR0 + 4 * bar, 4, &lo) ||
	    (lo & PCI_BAR_IO))
		return 0;
	if ((lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 &&
	    (bar + 1 >= PCI_BARS ||
	     driver_config_read(PCI_BAR0 + 4 * (bar + 1), 4, &hi)))
		return 0;
	return ((uint64_t)hi << 32 | lo) & ~0xfull;
}

/* Maps memory object mem (pages long) at the next free address. */
static long map_next(uint32_t mem, uint64_t pages, uint64_t *va)
{
	long rc = metta_mem_map(CAP_SELF, mem, 0, next_va, pages,
				RIGHT_READ | RIGHT_WRITE);
	if (rc == STATUS_OK) {
		*va = next_va;
		next_va += (pages + 1) * PAGE; /* a guard page between */
	}
	return rc;
}

long driver_map_bar(unsigned bar, uint64_t offset, uint64_t len,
		    volatile void **out)
{
	uint64_t base = bar_address(bar);
	if (!base || len == 0 || offset + len < offset)
		return STATUS_ERR_INVAL;
	uint64_t first = (base + offset) & ~(PAGE - 1);
	uint64_t pages = (base + offset + len - first + PAGE - 1) / PAGE;
	uint32_t mem = metta_slot_alloc();
	uint64_t va;
	long rc = mem ? metta_mem_phys(DRIVER_SLOT_BAR + bar, mem, first, pages)
		      : STATUS_ERR_QUOTA;
	if (rc == STATUS_OK && (rc = map_next(mem, pages, &va)) != STATUS_OK)
		metta_cap_delete(mem);
	if (rc == STATUS_OK)
		*out = (volatile void *)(va + (base + offset - first));
	return rc;
}

long driver_dma(uint64_t pages, void **va, uint64_t *phys)
{
	uint32_t mem = metta_slot_alloc();
	uint64_t at;
	if (!mem)
		return STATUS_ERR_QUOTA;
	long rc = metta_dma_alloc(mem, pages, phys);
	if (rc != STATUS_OK)
		return rc; /* nothing was made */
	rc = map_next(mem, pages, &at);
	if (rc == STATUS_OK)
		*va = (void *)at;
	else
		metta_cap_delete(mem);
	return rc;
}

/* ---- MSI-X ---- */

#define MSIX_CONTROL	 2 /* message control: table size - 1, enable */
#define MSIX_TABLE	 4 /* table offset | BAR */
#define MSIX_ENABLE	 0x8000
#define MSIX_MASK_ALL	 0x4000
#define MSIX_ENTRY	 16 /* bytes per table entry */
#define MSIX_VECTOR_CTRL 12 /* in an entry: bit 0 masks it */

static uint32_t msix_cap;
static unsigned msix_n;
static volatile uint32_t *msix_table;

long driver_msix_init(void)
{
	uint32_t control, table;
	msix_cap = driver_find_cap(PCI_CAP_MSIX, 0);
	if (!msix_cap)
		return STATUS_ERR_NOTSUP;
	long rc = driver_config_read(msix_cap + MSIX_CONTROL, 2, &control);
	if (rc == STATUS_OK)
		rc = driver_config_read(msix_cap + MSIX_TABLE, 4, &table);
	if (rc != STATUS_OK)
		return rc;
	msix_n = (control & 0x7ff) + 1;
	volatile void *t;
	rc = driver_map_bar(table & 7, table & ~7u, msix_n * MSIX_ENTRY, &t);
	if (rc == STATUS_OK)
		msix_table = (volatile uint32_t *)t;
	return rc;
}

unsigned driver_msix_vectors(void)
{
	return msix_table ? msix_n : 0;
}

/*
 * Our MSI line number i: the lines of DRIVER_SLOT_IRQS are a range from
 * METTA_MSI_LINE0 up whose start pci chose; the first line it covers is
 * where a one-line mint first succeeds.
 */
static long mint_line(unsigned i, uint32_t dst)
{
	for (uint64_t line = METTA_MSI_LINE0;
	     line < METTA_MSI_LINE0 + METTA_MSI_LINES; line++)
		if (metta_dev_mint(DRIVER_SLOT_IRQS, dst, line, 1) == STATUS_OK) {
			if (i == 0)
				return STATUS_OK;
			metta_cap_delete(dst);
			return metta_dev_mint(DRIVER_SLOT_IRQS, dst, line + i, 1);
		}
	return STATUS_ERR_RANGE;
}

long driver_msix_route(unsigned vector, uint32_t event, uint64_t bits)
{
	uint64_t msg[2];
	uint32_t line = metta_slot_alloc();
	if (!msix_table || vector >= msix_n || vector >= DRIVER_MSI_LINES)
		return STATUS_ERR_RANGE;
	if (!line)
		return STATUS_ERR_QUOTA;
	long rc = mint_line(vector, line);
	if (rc == STATUS_OK)
		rc = metta_irq_bind(line, event, bits);
	if (rc == STATUS_OK)
		rc = metta_irq_msi(line, msg);
	if (rc != STATUS_OK) {
		metta_cap_delete(line);
		return rc;
	}
	volatile uint32_t *e = msix_table + vector * MSIX_ENTRY / 4;
	e[0] = (uint32_t)msg[0];
	e[1] = (uint32_t)(msg[0] >> 32);
	e[2] = (uint32_t)msg[1];
	e[MSIX_VECTOR_CTRL / 4] = 0; /* unmasked */
	return STATUS_OK;
}

long driver_msix_enable(void)
{
	uint32_t control, command;
	long rc = driver_config_read(msix_cap + MSIX_CONTROL, 2, &control);
	if (rc == STATUS_OK)
		rc = driver_config_write(msix_cap + MSIX_CONTROL, 2,
					 (control | MSIX_ENABLE) &
					     ~MSIX_MASK_ALL);
	if (rc == STATUS_OK && driver_config_read(PCI_COMMAND, 2, &command) ==
				   STATUS_OK)
		driver_config_write(PCI_COMMAND, 2,
				    command | PCI_COMMAND_INTX_OFF);
	return rc;
}

long driver_msix_start(unsigned vectors, void (*handler)(uint64_t bits),
		       const char **step)
{
	*step = "interrupts";
	long rc = metta_event_create(DRIVER_IRQ_EVENT);
	if (rc == STATUS_OK && (rc = driver_msix_init()) != STATUS_OK)
		*step = "MSI-X";
	for (unsigned v = 0; rc == STATUS_OK && v < vectors; v++)
		if ((rc = driver_msix_route(v, DRIVER_IRQ_EVENT, 1ull << v)))
			*step = "routing its MSI-X vectors";
	if (rc == STATUS_OK)
		rc = driver_msix_enable();
	if (rc == STATUS_OK)
		rc = driver_interrupts(DRIVER_IRQ_EVENT, (1ull << vectors) - 1,
				       handler);
	return rc;
}

void driver_crash(const char *who)
{
	metta_printf("%s: crashing as asked", who);
	*(volatile int *)0 = 0; /* the fault tests' NULL write */
	__builtin_unreachable();
}

/* ---- the interrupt thread ---- */

static uint8_t irq_stack[16384] __attribute__((aligned(16)));
static uint32_t irq_event;
static uint64_t irq_mask;
static void (*irq_handler)(uint64_t bits);

static void interrupt_thread(void)
{
	for (;;) {
		long bits = metta_event_wait(irq_event, irq_mask, 0);
		if (bits <= 0)
			continue;
		p9_portal_lock();
		irq_handler((uint64_t)bits);
		p9_portal_unlock();
	}
}

long driver_interrupts(uint32_t event, uint64_t mask,
		       void (*handler)(uint64_t bits))
{
	irq_event = event;
	irq_mask = mask;
	irq_handler = handler;
	return STATUS_OK; /* the thread starts with driver_serve */
}

static long start_interrupt_thread(void)
{
	uint32_t t = metta_slot_alloc();
	uint64_t top = (uint64_t)&irq_stack[sizeof(irq_stack)] - 8;
	if (!t)
		return STATUS_ERR_QUOTA;
	long rc = metta_thread_create(CAP_SELF, t, (uint64_t)interrupt_thread,
				      top, METTA_PRIO_HIGH);
	return rc ? rc : metta_thread_ctl(t, THREAD_START, 0);
}

/* ---- serving ---- */

void driver_serve(struct p9srv *s, void (*forget)(struct p9srv_req *r))
{
	static const server_op ops[] = {
		P9_PORTAL_OPS,
	};
	static const struct server srv = { DRIVER_SLOT_PORTAL, ops,
					   sizeof(ops) / sizeof(ops[0]) };
	p9_portal_init(s, DRIVER_SLOT_PORTAL);
	s->forget = forget;
	if (irq_handler && start_interrupt_thread() != STATUS_OK)
		metta_printf("driver: no interrupt thread: requests never end");
	server_run(&srv);
}
