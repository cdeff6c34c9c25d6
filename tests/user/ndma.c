/*
 * What the nucleus gives PCI drivers, tested as the root domain (a driver
 * holding every device) on a machine with QEMU's "edu" test device:
 * DMA memory (dma_alloc: contiguous, zeroed, its physical address told,
 * charged to the caller), MSI lines (irq_bind routes to the binding CPU,
 * irq_msi tells the message), device memory anywhere outside RAM, and the
 * rules. The edu device proves it end to end: it raises MSIs on request
 * and copies between its own buffer and DMA memory by physical address.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>

#include "utest.h"

/* Slots. */
#define DMA	 40
#define DMA2	 41
#define CFG	 42 /* PCI configuration ports 0xcf8..0xcff */
#define BAR	 43 /* the edu device's registers (PHYSMEM) */
#define REGS	 44 /* ... as a memory object */
#define MSIS	 45 /* MSI lines 16..19 */
#define LINE	 46 /* MSI line 16 */
#define ISA	 47 /* ISA line 5 */
#define EV	 48
#define CHILD	 49
#define THREAD	 51
#define SCRATCH	 52

#define DMA_VA	 0x560000000000ull
#define DMA_VA2	 0x561000000000ull
#define REGS_VA	 0x562000000000ull
#define DMA_PAGES 8

/* QEMU's edu device (docs/specs/edu.txt in QEMU). */
#define EDU_ID	      0x11e81234u /* device << 16 | vendor */
#define EDU_BAR_SIZE  (1u << 20)
#define EDU_IDENT     0x00	  /* reads 0xRRrr00ed */
#define EDU_LIVENESS  0x04	  /* reads back the complement */
#define EDU_IRQ_RAISE 0x60	  /* ORs the value into the status, raises */
#define EDU_IRQ_ACK   0x64	  /* clears the bits */
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD   0x98
#define EDU_DMA_GO    1
#define EDU_DMA_TO_RAM 2
#define EDU_DMA_IRQ   4		/* raise (status 0x100) when done */
#define EDU_DMA_BUF   0x40000	/* its 4 KiB buffer, in its own space */

extern const uint8_t _binary_child_start[], _binary_child_end[];

static int page_aligned(uint64_t a)
{
	return a % 4096 == 0;
}

static uint64_t quota_used(void)
{
	struct metta_domain_info i;
	return metta_domain_info(CAP_SELF, &i) == 0 ? i.quota_used : ~0ull;
}

/* ---- DMA memory ---- */

static int dma_memory_is_contiguous_zeroed_ram(void)
{
	uint64_t phys = 0;
	UCHECK(metta_dma_alloc(DMA, DMA_PAGES, &phys) == 0, "dma_alloc");
	UCHECK(phys && page_aligned(phys) && phys < (1ull << 32),
	       "implausible address 0x%lx", phys);
	UCHECK(metta_mem_map(CAP_SELF, DMA, 0, DMA_VA, DMA_PAGES,
			     RIGHT_READ | RIGHT_WRITE) == 0, "map");
	UCHECK(metta_mem_map(CAP_SELF, DMA, 0, DMA_VA2, DMA_PAGES, RIGHT_READ) == 0,
	       "map again");
	volatile uint64_t *a = (volatile uint64_t *)DMA_VA;
	volatile uint64_t *b = (volatile uint64_t *)DMA_VA2;
	for (uint64_t i = 0; i < DMA_PAGES * 512; i++)
		UCHECK(a[i] == 0, "word %lu not zeroed", i);
	for (uint64_t i = 0; i < DMA_PAGES * 512; i++)
		a[i] = phys + i;
	for (uint64_t i = 0; i < DMA_PAGES * 512; i++)
		UCHECK(b[i] == phys + i, "the two mappings differ at word %lu", i);
	/* It is RAM: never device memory, never given back piecemeal. */
	UCHECK(metta_mem_phys(CAP_PHYSMEM, SCRATCH, phys, 1) == STATUS_ERR_DENIED,
	       "DMA memory as device memory");
	UCHECK(metta_mem_discard(DMA, 0, 1) == STATUS_ERR_DENIED, "discarded");
	UCHECK(b[0] == phys, "changed by the refused discard");
	metta_mem_unmap(CAP_SELF, DMA_VA2);
	return 0;
}

static int dma_memory_is_charged_and_returned(void)
{
	uint64_t before = quota_used(), phys;
	UCHECK(metta_dma_alloc(DMA2, 16, &phys) == 0, "dma_alloc");
	uint64_t during = quota_used();
	UCHECK(during >= before + 16 * 4096, "charged %lu bytes for 64 KiB",
	       during - before);
	UCHECK(metta_mem_map(CAP_SELF, DMA2, 0, DMA_VA2, 16, RIGHT_READ) == 0,
	       "map");
	UCHECK(metta_cap_delete(DMA2) == 0, "delete");
	/* The mapping holds the object: still charged (and a mapping). */
	UCHECK(quota_used() > during, "returned while still mapped");
	UCHECK(metta_mem_unmap(CAP_SELF, DMA_VA2) == 0, "unmap");
	UCHECK(quota_used() == before, "%ld bytes not returned",
	       (long)(quota_used() - before));
	return 0;
}

/* A child (not started) running child.c's `what`, in CHILD. */
static long spawn_child_of(const char *what, int64_t class)
{
	const char *argv[] = { "child", what }, *why;
	struct metta_spawn a = { .argc = 2, .argv = argv, .class = class,
				 .prio = METTA_PRIO_NORM, .quota = 1 << 20 };
	return metta_spawn(_binary_child_start,
			   (uint64_t)(_binary_child_end - _binary_child_start),
			   &a, CHILD, CHILD + 1, &why);
}

static long spawn_child(const char *what)
{
	return spawn_child_of(what, METTA_CLASS_DRIVER);
}

static void forget_child(void)
{
	metta_domain_kill(CHILD, 0);
	metta_cap_delete(CHILD + 1);
	metta_cap_delete(CHILD);
}

/* A child of `class` that asks for DMA memory: its exit status (see
 * child.c). */
static long child_dma(int64_t class)
{
	if (spawn_child_of("dma", class) ||
	    metta_thread_ctl(CHILD + 1, THREAD_START, 0))
		return -1;
	struct metta_domain_info i = { 0 };
	for (int k = 0; k < 2000 && !i.dead; k++) {
		metta_domain_info(CHILD, &i);
		metta_sleep(1000);
	}
	forget_child();
	return i.dead ? i.exit_status : -2;
}

static int dma_refusals_change_nothing(void)
{
	uint64_t before = quota_used(), phys = 7;
	UCHECK(metta_dma_alloc(SCRATCH, 0, &phys) == STATUS_ERR_RANGE, "0 pages");
	UCHECK(metta_dma_alloc(SCRATCH, METTA_DMA_MAX_PAGES + 1, &phys) ==
		       STATUS_ERR_RANGE, "too many pages");
	UCHECK(metta_dma_alloc(SCRATCH, 1ull << 40, &phys) == STATUS_ERR_RANGE,
	       "2^40 pages");
	UCHECK(metta_dma_alloc(SCRATCH, 1, (uint64_t *)8) == STATUS_ERR_FAULT,
	       "NULL-ish pointer");
	UCHECK(metta_dma_alloc(SCRATCH, 1, (uint64_t *)0xffff800000000000ull) ==
		       STATUS_ERR_FAULT, "nucleus pointer");
	UCHECK(metta_dma_alloc(DMA, 1, &phys) != 0, "into an occupied slot");
	UCHECK(metta_dma_alloc(CAP_SLOTS, 1, &phys) != 0, "into no slot");
	UCHECK(phys == 7, "an address told on failure");
	UCHECK(metta_cap_info(SCRATCH) == STATUS_ERR_BADCAP, "left an object");
	UCHECK(quota_used() == before, "left %ld bytes charged",
	       (long)(quota_used() - before));
	/* Full quota (a driver of 1 MiB asking for 4 MiB), and not a driver. */
	long st = child_dma(METTA_CLASS_DRIVER);
	UCHECK(st == 0, "driver child: status %ld", st);
	st = child_dma(METTA_CLASS_SERVER);
	UCHECK(st == 10, "server child: status %ld (10: refused)", st);
	return 0;
}

/* ---- PCI configuration space (mechanism 1) and the edu device ---- */

static uint32_t edu_bdf = ~0u; /* bus << 8 | device << 3 | function */

static void cfg_select(uint32_t bdf, uint32_t off)
{
	metta_ioport_out(CFG, 0xcf8, 4, 0x80000000u | bdf << 8 | (off & 0xfc));
}

static uint32_t cfg_read(uint32_t off, unsigned width)
{
	cfg_select(edu_bdf, off);
	return (uint32_t)metta_ioport_in(CFG, 0xcfc + (off & 3), width);
}

static void cfg_write(uint32_t off, unsigned width, uint32_t v)
{
	cfg_select(edu_bdf, off);
	metta_ioport_out(CFG, 0xcfc + (off & 3), width, v);
}

static int find_edu(void)
{
	if (edu_bdf != ~0u)
		return 0;
	if (metta_dev_mint(CAP_IOPORTS, CFG, 0xcf8, 8))
		return -1;
	for (uint32_t dev = 0; dev < 32; dev++) {
		cfg_select(dev << 3, 0);
		if ((uint32_t)metta_ioport_in(CFG, 0xcfc, 4) == EDU_ID) {
			edu_bdf = dev << 3;
			return 0;
		}
	}
	return -1;
}

/* Offset of the device's MSI capability, or 0. */
static uint32_t msi_capability(void)
{
	if (!(cfg_read(0x06, 2) & 0x10)) /* no capability list */
		return 0;
	for (uint32_t p = cfg_read(0x34, 1) & 0xfc, n = 0; p && n < 48; n++) {
		if (cfg_read(p, 1) == 0x05)
			return p;
		p = cfg_read(p + 1, 1) & 0xfc;
	}
	return 0;
}

/* Programs the device's MSI capability with msg and enables it. */
static int program_msi(const uint64_t msg[2])
{
	uint32_t cap = msi_capability();
	if (!cap)
		return -1;
	uint32_t ctl = cfg_read(cap + 2, 2);
	cfg_write(cap + 4, 4, (uint32_t)msg[0]);
	if (ctl & 0x80) { /* 64-bit addresses */
		cfg_write(cap + 8, 4, (uint32_t)(msg[0] >> 32));
		cfg_write(cap + 12, 2, (uint32_t)msg[1]);
	} else {
		cfg_write(cap + 8, 2, (uint32_t)msg[1]);
	}
	cfg_write(cap + 2, 2, (ctl & ~0x70u) | 1); /* one vector, enabled */
	return 0;
}

static volatile uint32_t *regs32;
static volatile uint64_t *regs64;

/* The edu device found, its registers mapped (uncached), memory decoding
 * and bus mastering on (an MSI is a write the device masters). */
static int edu_ready(void)
{
	if (regs32)
		return 0;
	if (find_edu())
		return -1;
	uint64_t bar = cfg_read(0x10, 4) & ~0xfull;
	if (metta_dev_mint(CAP_PHYSMEM, BAR, bar, EDU_BAR_SIZE) ||
	    metta_mem_phys(BAR, REGS, bar, 1) ||
	    metta_mem_map(CAP_SELF, REGS, 0, REGS_VA, 1, RIGHT_READ | RIGHT_WRITE))
		return -2;
	cfg_write(0x04, 2, cfg_read(0x04, 2) | 0x6);
	regs32 = (volatile uint32_t *)REGS_VA;
	regs64 = (volatile uint64_t *)REGS_VA;
	return 0;
}

static int device_memory_outside_ram(void)
{
	UCHECK(edu_ready() == 0, "no edu device, or its BAR not mappable");
	UCHECK((regs32[EDU_IDENT / 4] & 0xff) == 0xed, "ident 0x%x",
	       regs32[EDU_IDENT / 4]);
	regs32[EDU_LIVENESS / 4] = 0x12345678;
	UCHECK(regs32[EDU_LIVENESS / 4] == ~0x12345678u, "liveness register");
	/* A BAR's capability reaches that BAR only. */
	uint64_t bar = cfg_read(0x10, 4) & ~0xfull;
	UCHECK(metta_mem_phys(BAR, SCRATCH, bar + EDU_BAR_SIZE, 1) ==
		       STATUS_ERR_RANGE, "past the BAR");
	UCHECK(metta_mem_phys(BAR, SCRATCH, bar - 4096, 1) == STATUS_ERR_RANGE,
	       "below the BAR");
	UCHECK(metta_mem_phys(BAR, SCRATCH, 0xb8000, 1) == STATUS_ERR_RANGE,
	       "another device's memory");
	UCHECK(metta_mem_phys(BAR, SCRATCH, bar + EDU_BAR_SIZE - 4096, 2) ==
		       STATUS_ERR_RANGE, "running past the BAR");
	/* The whole address space, above 4 GiB too, but never RAM. */
	UCHECK(metta_mem_phys(CAP_PHYSMEM, SCRATCH, 1ull << 34, 4) == 0,
	       "an address above 4 GiB");
	metta_cap_delete(SCRATCH);
	UCHECK(metta_mem_phys(CAP_PHYSMEM, SCRATCH, 1ull << 52, 1) ==
		       STATUS_ERR_RANGE, "beyond any physical address");
	UCHECK(metta_mem_phys(CAP_PHYSMEM, SCRATCH, 0x100000, 1) ==
		       STATUS_ERR_DENIED, "RAM");
	UCHECK(metta_mem_phys(CAP_PHYSMEM, SCRATCH, 0xfec00000, 1) ==
		       STATUS_ERR_DENIED, "the I/O APIC");
	UCHECK(metta_cap_info(SCRATCH) == STATUS_ERR_BADCAP, "left an object");
	return 0;
}

/* ---- MSI lines ---- */

static int msi_lines_and_their_rules(void)
{
	uint64_t msg[2] = { 0, 0 };
	UCHECK(metta_dev_mint(CAP_IRQS, SCRATCH, METTA_MSI_LINE0 + METTA_MSI_LINES - 1,
			      1) == 0, "the root has the last MSI line");
	metta_cap_delete(SCRATCH);
	UCHECK(metta_dev_mint(CAP_IRQS, SCRATCH, METTA_MSI_LINE0 + METTA_MSI_LINES,
			      1) == STATUS_ERR_RANGE, "a line past the last");
	UCHECK(metta_dev_mint(CAP_IRQS, MSIS, METTA_MSI_LINE0, 4) == 0, "mint 4");
	UCHECK(metta_dev_mint(MSIS, SCRATCH, METTA_MSI_LINE0 + 4, 1) ==
		       STATUS_ERR_RANGE, "a line outside the driver's range");
	UCHECK(metta_dev_mint(MSIS, SCRATCH, 5, 1) == STATUS_ERR_RANGE,
	       "an ISA line from an MSI range");
	UCHECK(metta_dev_mint(MSIS, LINE, METTA_MSI_LINE0, 1) == 0, "mint one");
	UCHECK(metta_event_create(EV) == 0, "event");
	UCHECK(metta_irq_bind(MSIS, EV, 1) == STATUS_ERR_RANGE, "bound four lines");
	UCHECK(metta_irq_msi(MSIS, msg) == STATUS_ERR_RANGE, "message of four");
	UCHECK(metta_irq_msi(LINE, msg) == STATUS_ERR_INVAL, "unbound line");
	UCHECK(metta_irq_bind(LINE, EV, 1) == 0, "bind");
	UCHECK(metta_irq_msi(LINE, (uint64_t *)8) == STATUS_ERR_FAULT, "bad pointer");
	UCHECK(metta_irq_msi(LINE, msg) == 0, "message");
	UCHECK((msg[0] & 0xfff00000u) == 0xfee00000u && msg[0] >> 32 == 0,
	       "address 0x%lx", msg[0]);
	UCHECK(msg[1] >= 0x40 && msg[1] < 0xf0, "data 0x%lx", msg[1]);
	UCHECK(metta_irq_ack(LINE) == 0, "ack of an MSI line");
	UCHECK(metta_dev_mint(CAP_IRQS, ISA, 5, 1) == 0, "mint ISA line 5");
	UCHECK(metta_irq_bind(ISA, EV, 2) == 0, "bind ISA line 5");
	UCHECK(metta_irq_msi(ISA, msg) == STATUS_ERR_INVAL, "message of ISA line");
	UCHECK(metta_irq_bind(ISA, 0xffffffffu, 0) == 0, "unbind ISA line");
	UCHECK(metta_irq_bind(LINE, 0xffffffffu, 0) == 0, "unbind");
	UCHECK(metta_irq_msi(LINE, msg) == STATUS_ERR_INVAL, "unbound again");
	return 0;
}

/* ---- a real MSI, from the edu device, on either CPU ---- */

static uint8_t stack[16384] __attribute__((aligned(16)));
static volatile long bind_status = 1;
static uint64_t bound_msg[2];

/* Binds LINE on the CPU this thread runs on. */
static void binder(void)
{
	metta_irq_bind(LINE, 0xffffffffu, 0);
	long rc = metta_irq_bind(LINE, EV, 0x10);
	if (rc == 0)
		rc = metta_irq_msi(LINE, bound_msg);
	bind_status = rc;
	metta_thread_exit();
}

static long bind_on(int cpu)
{
	bind_status = 1;
	metta_thread_ctl(THREAD, THREAD_KILL, 0);
	metta_cap_delete(THREAD);
	if (metta_thread_create(CAP_SELF, THREAD, (uint64_t)binder,
				(uint64_t)&stack[sizeof(stack)] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(THREAD, THREAD_SET_CPU, (uint64_t)cpu) ||
	    metta_thread_ctl(THREAD, THREAD_START, 0))
		return -1;
	for (int i = 0; i < 2000 && bind_status == 1; i++)
		metta_sleep(1000);
	return bind_status;
}

/* n interrupts the device raises on request, each waking the event. */
static int interrupts_arrive(int n)
{
	for (int i = 0; i < n; i++) {
		metta_event_poll(EV, 0x10); /* nothing left over */
		regs32[EDU_IRQ_RAISE / 4] = 1;
		long r = metta_event_wait(EV, 0x10, 2000000);
		regs32[EDU_IRQ_ACK / 4] = 1;
		if (r != 0x10)
			return i;
	}
	return n;
}

static int device_msi_wakes_the_event_on_each_cpu(void)
{
	UCHECK(edu_ready() == 0, "no edu device");
	uint64_t seen[2];
	for (int cpu = 0; cpu < 2; cpu++) {
		long rc = bind_on(cpu);
		UCHECK(rc == 0, "bind on CPU %d: %ld", cpu, rc);
		seen[cpu] = bound_msg[0];
		UCHECK(program_msi(bound_msg) == 0, "no MSI capability");
		int got = interrupts_arrive(3);
		UCHECK(got == 3, "CPU %d: %d of 3 interrupts arrived", cpu, got);
	}
	UCHECK(seen[0] != seen[1], "both CPUs got the address 0x%lx", seen[0]);
	return 0;
}

/* The device copies DMA memory into its buffer and back elsewhere, by
 * physical address, across page boundaries (contiguity), an MSI telling
 * of each copy's end. */
static int device_copies_dma_memory(void)
{
	UCHECK(edu_ready() == 0, "no edu device");
	UCHECK(bind_on(0) == 0 && program_msi(bound_msg) == 0, "MSI line");
	uint64_t phys = 0;
	metta_mem_unmap(CAP_SELF, DMA_VA);
	metta_cap_delete(DMA);
	UCHECK(metta_dma_alloc(DMA, DMA_PAGES, &phys) == 0, "dma_alloc");
	UCHECK(metta_mem_map(CAP_SELF, DMA, 0, DMA_VA, DMA_PAGES,
			     RIGHT_READ | RIGHT_WRITE) == 0, "map");
	/* A fork's copy (a child's) leaves ours alone: no copy-on-write,
	 * so the writes below stay in the pages the device reads. */
	UCHECK(spawn_child("spin") == 0, "spawn");
	long rc = metta_mem_fork(CHILD, DMA_VA, MEM_FORK_COPY, 0);
	forget_child();
	UCHECK(rc == 0, "fork's copy: %ld", rc);
	volatile uint8_t *mem = (volatile uint8_t *)DMA_VA;
	/* Under 4 KiB: QEMU 7.2's edu refuses a copy that ends at its
	 * buffer's end. Both runs cross a page boundary. */
	const uint64_t from = 2048, to = 5 * 4096 + 1024, n = 4000;
	for (uint64_t i = 0; i < n; i++)
		mem[from + i] = (uint8_t)(i * 7 + 3);
	const struct {
		uint64_t src, dst, cmd;
	} copies[2] = {
		{ phys + from, EDU_DMA_BUF, EDU_DMA_GO | EDU_DMA_IRQ },
		{ EDU_DMA_BUF, phys + to, EDU_DMA_GO | EDU_DMA_TO_RAM | EDU_DMA_IRQ },
	};
	for (int c = 0; c < 2; c++) {
		metta_event_poll(EV, 0x10);
		regs64[EDU_DMA_SRC / 8] = copies[c].src;
		regs64[EDU_DMA_DST / 8] = copies[c].dst;
		regs64[EDU_DMA_COUNT / 8] = n;
		regs64[EDU_DMA_CMD / 8] = copies[c].cmd;
		long r = metta_event_wait(EV, 0x10, 5000000);
		regs32[EDU_IRQ_ACK / 4] = 0x100;
		UCHECK(r == 0x10, "copy %d: no interrupt (%ld)", c, r);
		UCHECK((regs64[EDU_DMA_CMD / 8] & EDU_DMA_GO) == 0,
		       "copy %d not done", c);
	}
	for (uint64_t i = 0; i < n; i++)
		UCHECK(mem[to + i] == (uint8_t)(i * 7 + 3),
		       "byte %lu of the copy differs", i);
	UCHECK(mem[to - 1] == 0 && mem[to + n] == 0, "copied too much");
	return 0;
}

static const struct utest tests[] = {
	{ "dma_memory_is_contiguous_zeroed_ram", dma_memory_is_contiguous_zeroed_ram },
	{ "dma_memory_is_charged_and_returned", dma_memory_is_charged_and_returned },
	{ "dma_refusals_change_nothing", dma_refusals_change_nothing },
	{ "device_memory_outside_ram", device_memory_outside_ram },
	{ "msi_lines_and_their_rules", msi_lines_and_their_rules },
	{ "device_msi_wakes_the_event_on_each_cpu", device_msi_wakes_the_event_on_each_cpu },
	{ "device_copies_dma_memory", device_copies_dma_memory },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
