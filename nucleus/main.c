/*
 * The portable nucleus's start: the boot banner, then (for now, as there is
 * no user space yet) self-tests, a deliberate fault, or power-off.
 */
#include <arch/power.h>
#include <arch/tsc.h>
#include <arch/cpu.h>
#include <boot.h>
#include <cmdline.h>
#include <fault_inject.h>
#include <kprintf.h>
#include <arch/paging.h>
#include <device.h>
#include <domain.h>
#include <fmt/fmt.h>
#include <memobj.h>
#include <portal.h>
#include <metta/abi.h>
#include <metta/status.h>
#include <sched.h>
#include <selftest.h>
#include <spawn.h>
#include <string/kstring.h>

#ifndef METTA_VERSION
#define METTA_VERSION "unknown"
#endif

static void print_mhz(const char *what, uint64_t hz)
{
	kprintf("%s%lu.%03lu MHz", what, hz / 1000000, hz / 1000 % 1000);
}

static void banner(const struct boot_info *bi)
{
	kprintf("\nMetta %s (x86-64)\n", METTA_VERSION);
	kprintf("cpu: %s, %d CPU%s\n", bi->cpu_model, bi->ncpus,
		bi->ncpus == 1 ? "" : "s");
	kprintf("smp: %d of them running\n", bi->cpus_running);
	kprintf("memory: %lu MiB usable, %lu MiB free\n", bi->ram_bytes >> 20,
		(bi->pmm->nfree * PMM_PAGE) >> 20);
	kprintf("modules: %d\n", bi->nmodules);
	for (int i = 0; i < bi->nmodules; i++)
		kprintf("  %s (%lu bytes at 0x%lx)\n", bi->modules[i].name,
			bi->modules[i].len, bi->modules[i].phys);
	kprintf("command line: %s\n", bi->cmdline);
	print_mhz("tsc: ", bi->tsc_hz);
	kprintf(" (calibrated from %s)\n", bi->tsc_source);
	print_mhz("timer: LAPIC one-shot, ", bi->timer_hz);
	kprintf(", tickless\n");
	/* The TSC counts from reset (instructions, under QEMU's -icount). */
	uint64_t tsc = rdtsc();
	kprintf("boot: %lu ms from reset to banner (tsc %lu), nucleus entered "
		"at %lu ms\n",
		tsc_to_ns(tsc) / 1000000, tsc,
		tsc_to_ns(bi->tsc_at_entry) / 1000000);
}

/* The root domain's quota: all free memory but what the nucleus keeps. */
#define NUCLEUS_RESERVE (4ull << 20)

static const struct boot_module *find_module(const struct boot_info *bi,
					     const char *name)
{
	for (int i = 0; i < bi->nmodules; i++)
		if (!strcmp(bi->modules[i].name, name))
			return &bi->modules[i];
	return NULL;
}

/*
 * Hands the root domain the boot information and every boot module. An
 * empty module has no pages to make an object of: it is still named (size
 * 0, its slot left empty), so the root nester can refuse it by name and
 * the modules after it keep their slots.
 */
static int give_boot_modules(struct boot_info *bi, struct domain *d)
{
	struct memobj *info;
	int rc = memobj_create_anon(d, CAP_BOOTINFO, 1, RIGHT_READ | RIGHT_GRANT,
				    &info);
	if (rc || (rc = memobj_populate(info, 0, 1)))
		return rc;
	struct metta_bootinfo *b = phys_to_virt(memobj_page(info, 0));
	_Static_assert(sizeof(*b) <= PAGE_SIZE, "boot information fits a page");
	fmt_snprintf(b->cmdline, sizeof(b->cmdline), "%s", bi->cmdline);
	for (int i = 0; i < bi->nmodules && i < METTA_MAX_MODULES; i++) {
		const struct boot_module *m = &bi->modules[i];
		rc = m->len == 0 ? STATUS_OK
				 : memobj_create_boot(d, CAP_FIRST_MODULE + (uint32_t)i,
						      m->phys,
						      (m->len + PAGE_SIZE - 1) / PAGE_SIZE);
		if (rc)
			return rc;
		fmt_snprintf(b->modules[i].name, sizeof(b->modules[i].name), "%s",
			     m->name);
		b->modules[i].size = m->len;
		b->nmodules++;
	}
	return STATUS_OK;
}

/* Starts the program named by root= (or the module "root") as the root
 * domain with every device and boot module, and schedules. */
static void start_root(struct boot_info *bi, const char *name)
{
	const struct boot_module *m = find_module(bi, name);
	if (!m) {
		kprintf("root: no boot module named '%s'\n", name);
		return;
	}
	uint64_t free = bi->pmm->nfree * PMM_PAGE;
	uint64_t quota = free > 2 * NUCLEUS_RESERVE ? free - NUCLEUS_RESERVE
						    : free / 2;
	struct domain *d;
	const char *why;
	int rc = spawn_image(NULL, name, phys_to_virt(m->phys), m->len,
			     CLASS_DRIVER, quota, &d, &why);
	if (rc) {
		kprintf("root: cannot start '%s': %s (%s)\n", name,
			status_text(rc), why);
		return;
	}
	devices_give_root(d, bi->phys_end);
	if ((rc = give_boot_modules(bi, d)))
		kprintf("root: boot modules not all handed over: %s\n",
			status_text(rc));
	kprintf("root: started '%s' as domain %d\n", name, d->id);
	sched_start();
}

void nucleus_main(struct boot_info *bi)
{
	banner(bi);
	char what[32];
	if (cmdline_get(bi->cmdline, "fault", what, sizeof(what)))
		fault_inject(what);
	if (cmdline_is(bi->cmdline, "fastpath", "off"))
		ipc_fastpath_span = 0; /* every call the general way */
	if (cmdline_find(bi->cmdline, "test", &(size_t){ 0 }))
		selftest_run_all(bi);
	if (cmdline_get(bi->cmdline, "root", what, sizeof(what)))
		start_root(bi, what);
	else if (find_module(bi, "root"))
		start_root(bi, "root");
	kprintf("no root program: powering off.\n");
	power_off();
	kprintf("power-off failed; halting.\n");
	power_halt();
}
