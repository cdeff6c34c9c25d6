/*
 * x86-64 boot: from boot.S's jump to the higher half until the portable
 * nucleus takes over. Order matters: console, traps, boot information,
 * memory (allocator, then our own page tables), a guarded stack, ACPI,
 * interrupts controllers, time.
 */
#include <arch/acpi.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/irq.h>
#include <arch/multiboot2.h>
#include <arch/paging.h>
#include <arch/power.h>
#include <arch/serial.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <bkl.h>
#include <boot.h>
#include <cmdline.h>
#include <kmem.h>
#include <kprintf.h>
#include <panic.h>
#include <string/kstring.h>
#include <percpu.h>
#include <quota.h>
#include <thread.h>
#include <timer.h>

#include <metta/status.h>

#define MB2_BOOT_MAGIC 0x36d76289
#define MAX_MBI_SIZE   (1u << 20)
#define LOW_MEMORY     (1ull << 20) /* BIOS data, EBDA, later the AP trampoline */

extern char __image_phys_start[], __image_phys_end[];

static struct boot_info boot;
static struct mb2_info mb2;
static struct acpi_info acpi;
static struct pmm pmm;
struct pmm *nucleus_pmm = &pmm;
/* The boot CPU's IST stacks (for #DF, NMI, #MC), usable before memory is. */
static uint8_t boot_ist[3][8192] __attribute__((aligned(16)));
/*
 * The direct map covers the first 4 GiB whatever they hold (firmware puts
 * ACPI tables in ranges it marks reserved; MTRRs keep device holes
 * uncached) and all RAM above.
 */
static uint64_t direct_map_top = EARLY_DIRECT_MAP_LIMIT;

static void reserve(uint64_t base, uint64_t len)
{
	if (boot.nreserved == BOOT_MAX_RESERVED)
		panic("too many reserved memory ranges");
	boot.reserved[boot.nreserved++] = (struct mem_range){ base, len };
}

static void parse_boot_info(uint32_t magic, uint32_t mbi_phys)
{
	if (magic != MB2_BOOT_MAGIC)
		panic("not booted by a multiboot2 loader (magic 0x%x)", magic);
	const uint32_t *mbi = phys_to_virt(mbi_phys);
	size_t avail = mbi[0] <= MAX_MBI_SIZE ? mbi[0] : MAX_MBI_SIZE;
	if (mb2_parse(mbi, avail, &mb2))
		panic("multiboot2 information is malformed: %s", mb2.error);
	boot.cmdline = mb2.cmdline;
	boot.loader = mb2.loader_name;
	reserve(mbi_phys, mb2.total_size);
	for (int i = 0; i < mb2.nmodules; i++) {
		struct mb2_module *m = &mb2.modules[i];
		boot.modules[i] =
		    (struct boot_module){ m->start, m->end - m->start,
					  m->name };
		reserve(m->start, m->end - m->start);
	}
	boot.nmodules = mb2.nmodules;
}

/* Usable RAM from the firmware's map; everything else is reserved. */
static uint64_t collect_ram(struct mem_range *usable, int *nusable)
{
	uint64_t top = 0;
	*nusable = 0;
	for (int i = 0; i < mb2.nmmap; i++) {
		struct mb2_mmap_entry *e = &mb2.mmap[i];
		if (e->type != MB2_MEM_RESERVED && e->type != MB2_MEM_BADRAM &&
		    e->base + e->len > direct_map_top)
			direct_map_top = e->base + e->len;
		if (e->type != MB2_MEM_AVAILABLE) {
			reserve(e->base, e->len);
			continue;
		}
		usable[(*nusable)++] = (struct mem_range){ e->base, e->len };
		boot.ram_bytes += e->len;
		if (e->base + e->len > top)
			top = e->base + e->len;
	}
	return top;
}

/* The end of the CPU's physical address space: device memory (a PCI BAR)
 * may be anywhere below it. CPUs without the leaf have 36 bits. */
static uint64_t phys_address_end(void)
{
	unsigned bits = 36;
	if (cpuid(0x80000000, 0).eax >= 0x80000008)
		bits = cpuid(0x80000008, 0).eax & 0xff;
	if (bits < 32 || bits > 52)
		bits = 36;
	return 1ull << bits;
}

static void memory_init(void)
{
	struct mem_range usable[MB2_MAX_MMAP];
	int nusable;
	reserve(0, LOW_MEMORY);
	reserve((uint64_t)__image_phys_start,
		(uint64_t)__image_phys_end - (uint64_t)__image_phys_start);
	uint64_t top = collect_ram(usable, &nusable);
	if (nusable == 0)
		panic("the memory map lists no usable RAM");

	size_t bytes = pmm_bitmap_bytes(top);
	uint64_t where;
	/* Below 4 GiB: the only memory boot.S's direct map covers yet. */
	if (pmm_place(usable, nusable, boot.reserved, boot.nreserved, bytes,
		      EARLY_DIRECT_MAP_LIMIT, &where))
		panic("no room for the page allocator's %zu-byte bitmap",
		      bytes);
	reserve(where, bytes);
	pmm_init(&pmm, phys_to_virt(where), top);
	for (int i = 0; i < nusable; i++)
		pmm_add_usable(&pmm, usable[i].base, usable[i].len);
	for (int i = 0; i < boot.nreserved; i++)
		pmm_reserve(&pmm, boot.reserved[i].base, boot.reserved[i].len);
	boot.pmm = &pmm;
	boot.phys_top = direct_map_top;
	boot.phys_end = phys_address_end();
	vm_init(&pmm, direct_map_top);
}

static void *kmem_page_alloc(void)
{
	uint64_t phys;
	if (pmm_alloc(&pmm, &phys))
		return NULL;
	void *page = phys_to_virt(phys);
	memset(page, 0, PAGE_SIZE);
	return page;
}

static void kmem_page_free(void *page)
{
	if (pmm_free(&pmm, virt_to_phys_direct(page)))
		panic("kmem returned a page that was not allocated: %p", page);
}

/* The CPU's brand string, without the padding some CPUs put before it. */
static void cpu_model(char *out)
{
	const char *fallback = "unknown x86-64 CPU";
	if (cpuid(0x80000000, 0).eax < 0x80000004) {
		memcpy(out, fallback, strlen(fallback) + 1);
		return;
	}
	for (uint32_t i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid(0x80000002 + i, 0);
		memcpy(out + 16 * i, &r, 16);
	}
	out[48] = 0;
	char *s = out;
	while (*s == ' ')
		s++;
	memmove(out, *s ? s : fallback, strlen(*s ? s : fallback) + 1);
}

static const void *acpi_map_direct(uint64_t phys, size_t len)
{
	if (phys + len < phys || phys + len > direct_map_top)
		return NULL;
	return phys_to_virt(phys);
}

static void devices_init(void)
{
	if (!mb2.rsdp)
		panic("the boot loader gave no ACPI RSDP");
	if (acpi_parse(mb2.rsdp, mb2.rsdp_len, acpi_map_direct, &acpi))
		panic("ACPI tables are malformed: %s", acpi.error);
	boot.ncpus = acpi.ncpus;
	pic_disable();
	apic_init(&acpi);
	power_init(&acpi);
	irq_init(&acpi);
	tsc_init();
	lapic_timer_calibrate();
	timer_init();
	boot.tsc_hz = tsc_hz();
	boot.tsc_source = tsc_source() == TSC_FROM_CPUID ? "CPUID" : "the PIT";
	boot.timer_hz = lapic_timer_hz();
	cpus[0].online = 1;
	cpus[0].apic_id = lapic_id();
	boot.cpus_running = smp_start_aps(&acpi);
}

static void setup_on_stack(void *arg)
{
	(void)arg;
	static const struct kmem_page_source pages = { kmem_page_alloc,
						       kmem_page_free };
	kmem_init(&pages);
	cpu_model(boot.cpu_model);
	devices_init();
	irq_enable();
	nucleus_main(&boot);
}

void kmain(uint32_t magic, uint32_t mbi_phys);

void kmain(uint32_t magic, uint32_t mbi_phys)
{
	boot.tsc_at_entry = rdtsc();
	serial_init();
	const uint64_t ist[3] = { (uint64_t)boot_ist[0] + sizeof(boot_ist[0]),
				  (uint64_t)boot_ist[1] + sizeof(boot_ist[1]),
				  (uint64_t)boot_ist[2] + sizeof(boot_ist[2]) };
	cpus[0].id = 0;
	arch_cpu_init(&cpus[0], ist);
	bkl_lock(); /* the boot CPU owns the nucleus until it goes idle */
	idt_init();
	parse_boot_info(magic, mbi_phys);
	panic_set_exit(cmdline_is(boot.cmdline, "panic", "exit"));
	memory_init();
	void *stack = vm_alloc_stack(KSTACK_PAGES, &quota_nucleus);
	if (!stack)
		panic("no memory for the nucleus stack");
	boot.kernel_stack_top = (uint64_t)stack;
	/* The boot thread becomes CPU 0's idle thread. */
	thread_adopt_idle(&cpus[0], (uint64_t)stack);
	call_on_stack(stack, setup_on_stack, NULL);
}

int phys_is_ram_or_nucleus(uint64_t phys)
{
	for (int i = 0; i < mb2.nmmap; i++) {
		const struct mb2_mmap_entry *e = &mb2.mmap[i];
		if (e->type == MB2_MEM_AVAILABLE && phys >= e->base &&
		    phys - e->base < e->len)
			return 1;
	}
	/* The interrupt controllers are the nucleus's. */
	if ((phys & ~0xfffull) == (acpi.lapic_phys & ~0xfffull))
		return 1;
	for (int i = 0; i < acpi.nioapics; i++)
		if ((phys & ~0xfffull) == (acpi.ioapics[i].phys & ~0xfffull))
			return 1;
	return 0;
}
