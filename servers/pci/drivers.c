/*
 * Drivers: for each device it knows, pci starts the driver program (a
 * boot module root handed over) in a domain of its own with exactly that
 * device (metta/driver.h lists what it gets), publishes the driver's
 * portal in names (blk0, blk1, ...), watches it, and when it ends starts
 * it again with the same capabilities and the same portal, so that its
 * clients reach the new one where they reached the old (Minix 3's
 * reincarnation server). Each restart is logged.
 */
#include <9p/errstr.h>
#include <fmt/fmt.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "pci.h"

#define INFO_VA	      0x600000000000ull
#define MODULE_VA     0x610000000000ull
#define KILLED	      (0x200 | 9)   /* the status a kill gives, as root's */
#define QUICK_NS      1000000000ull /* a death this soon after a start */
#define BACKOFF_US    10000ull	    /* waits 10 ms << quick deaths in a row */
#define BACKOFF_SHIFT 7		    /* ... up to 1.28 s */

static const struct pci_driver_kind kinds[] = {
	{ 0x1af4, 0x1042, "virtio-blk.drv", "blk" }, /* virtio 1.0 */
	{ 0x1af4, 0x1001, "virtio-blk.drv", "blk" }, /* transitional */
	{ 0x1af4, 0x1041, "virtio-net.drv", "ether" },
	{ 0x1af4, 0x1000, "virtio-net.drv", "ether" },
};
#define NKINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

static const struct metta_bootinfo *boot =
    (const struct metta_bootinfo *)INFO_VA;
static struct metta_mutex lock;
static uint32_t deaths;		   /* event: bit i = device i's driver ended */
static uint64_t msi_next, msi_end; /* MSI lines not yet given */
static int units[NKINDS];

void pci_drivers_lock(void)
{
	metta_mutex_lock(&lock);
}

void pci_drivers_unlock(void)
{
	metta_mutex_unlock(&lock);
}

const char *pci_driver_state(const struct pci_dev *d)
{
	static const char *const names[] = { "none", "running", "restarting",
					     "failed" };
	return names[d->state];
}

/* The module called name that root handed us, or -1. */
static int find_module(const char *name)
{
	for (uint32_t i = 0; i < boot->nmodules && i < METTA_MAX_MODULES; i++)
		if (!strcmp(boot->modules[i].name, name) &&
		    metta_cap_info(CAP_FIRST_MODULE + i) >= 0)
			return (int)i;
	return -1;
}

/* Units count per unit name (blk0, blk1): kinds sharing a name share. */
static int next_unit(const struct pci_driver_kind *k)
{
	for (int i = 0; i < NKINDS; i++)
		if (!strcmp(kinds[i].unit_name, k->unit_name))
			return units[i]++;
	return 0;
}

/* A capability of exactly [base, base + count) of `from`, in a new slot
 * of ours: the slot, or 0 (logged). */
static uint32_t mint(const struct pci_dev *d, uint32_t from, uint64_t base,
		     uint64_t count, const char *what)
{
	uint32_t slot = metta_slot_alloc();
	long rc = metta_dev_mint(from, slot, base, count);
	if (rc == 0)
		return slot;
	metta_printf("pci: %s %s 0x%lx+0x%lx: cannot be given: %s", d->name,
		     what, base, count, status_text((int)rc));
	return 0;
}

static void mint_bars(struct pci_dev *d)
{
	for (int i = 0; i < PCI_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		if (b->size)
			b->cap =
			    mint(d, b->io ? PCI_SLOT_PORTS : PCI_SLOT_PHYSMEM,
				 b->addr, b->size, "BAR");
	}
}

static void give_msi(struct pci_dev *d)
{
	if (msi_end - msi_next < DRIVER_MSI_LINES)
		return; /* none left (or none given us): msi none */
	d->irqs = mint(d, PCI_SLOT_MSI, msi_next, DRIVER_MSI_LINES, "MSI");
	if (!d->irqs)
		return;
	d->msi_first = msi_next, d->msi_count = DRIVER_MSI_LINES;
	msi_next += DRIVER_MSI_LINES;
}

/* Publishes the driver's portal in names as unit_name + unit, in place
 * of the name's old portal if it has one: an earlier pci's, which ended
 * with it (root restarts pci; its drivers were its children). */
static void publish(struct pci_dev *d)
{
	char name[NAMES_MAX_NAME + 1];
	int n = fmt_snprintf(name, sizeof(name), "%s%d", d->kind->unit_name,
			     d->unit);
	uint32_t tmp = metta_slot_alloc();
	uint64_t w[4] = { NAMES_UNREGISTER };
	metta_request(PCI_SLOT_REGISTRAR, w, name, (uint64_t)n, 0, 0, 0, 0, 0);
	w[0] = NAMES_REGISTER;
	long rc = metta_cap_copy(d->portal, tmp, RIGHT_CALL | RIGHT_GRANT, 0);
	if (rc == 0)
		rc = metta_request(PCI_SLOT_REGISTRAR, w, name, (uint64_t)n, 0,
				   0, 0, tmp, 0);
	metta_cap_delete(tmp);
	if (rc)
		metta_printf("pci: cannot publish %s: %s", name,
			     status_text((int)rc));
}

/* Everything a driver gets that outlives it: its portal, its config
 * capability, its BARs and MSI lines, its name. 0 or a status. */
static long prepare(struct pci_dev *d, int index)
{
	d->portal = metta_slot_alloc();
	long rc = metta_portal_create(d->portal);
	if (rc)
		return rc;
	d->config = metta_slot_alloc();
	rc = metta_cap_copy(pci_config_portal, d->config,
			    RIGHT_CALL | RIGHT_GRANT, (uint64_t)index + 1);
	if (rc)
		return rc;
	mint_bars(d);
	give_msi(d);
	d->unit = next_unit(d->kind);
	publish(d);
	return 0;
}

/* Bus mastering on (a driver about to start) or off (one just ended: its
 * DMA memory went back to the page allocator, and the device must not
 * write there). Memory and I/O decoding stay on. */
static void bus_master(const struct pci_dev *d, int on)
{
	uint32_t cmd = pci_config_read(d, PCI_COMMAND, 2) | PCI_COMMAND_IO |
		       PCI_COMMAND_MEMORY;
	pci_config_write(d, PCI_COMMAND, 2,
			 on ? cmd | PCI_COMMAND_MASTER
			    : cmd & ~(uint32_t)PCI_COMMAND_MASTER);
}

static long spawn(struct pci_dev *d)
{
	char unit[12];
	fmt_snprintf(unit, sizeof(unit), "%d", d->unit);
	const char *argv[] = { d->kind->program, d->name, unit };
	uint64_t pages = (boot->modules[d->module].size + 4095) / 4096;
	long rc =
	    metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)d->module, 0,
			  MODULE_VA, pages, RIGHT_READ);
	if (rc)
		return rc;
	struct metta_spawn a = { .argc = 3,
				 .argv = argv,
				 .class = METTA_CLASS_DRIVER,
				 .prio = METTA_PRIO_HIGH,
				 .quota = DRIVER_QUOTA,
				 .populate = 1 };
	const char *why;
	d->domain = metta_slot_alloc();
	d->thread = metta_slot_alloc();
	rc = metta_spawn((const void *)MODULE_VA, boot->modules[d->module].size,
			 &a, d->domain, d->thread, &why);
	metta_mem_unmap(CAP_SELF, MODULE_VA);
	if (rc)
		metta_printf("pci: cannot start %s for %s: %s (%s)",
			     d->kind->program, d->name, status_text((int)rc),
			     why);
	return rc;
}

/* Hands the new domain what metta/driver.h promises, and starts it. */
static long give_and_start(struct pci_dev *d, int index)
{
	uint32_t dom = d->domain;
	long rc = metta_cap_give(dom, d->portal, DRIVER_SLOT_PORTAL,
				 RIGHT_SERVE | RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0)
		rc = metta_cap_give(dom, d->config, DRIVER_SLOT_CONFIG,
				    RIGHT_CALL);
	for (int i = 0; rc == 0 && i < PCI_BARS; i++)
		if (d->bar[i].cap)
			rc = metta_cap_give(dom, d->bar[i].cap,
					    DRIVER_SLOT_BAR + (uint32_t)i,
					    RIGHT_ALL);
	if (rc == 0 && d->irqs)
		rc = metta_cap_give(dom, d->irqs, DRIVER_SLOT_IRQS, RIGHT_ALL);
	if (rc == 0)
		rc = metta_cap_give(dom, CAP_NAMES, CAP_NAMES, RIGHT_CALL);
	if (rc == 0)
		rc = metta_domain_watch(dom, deaths, 1ull << index);
	if (rc == 0)
		rc = metta_thread_ctl(d->thread, THREAD_START, 0);
	return rc;
}

/* Starts device index's driver; under the lock. */
static void start(struct pci_dev *d, int index)
{
	bus_master(d, 1);
	long rc = spawn(d);
	if (rc == 0) {
		rc = give_and_start(d, index);
		if (rc) {
			metta_printf("pci: cannot start %s for %s: %s",
				     d->kind->program, d->name,
				     status_text((int)rc));
			metta_domain_kill(d->domain, rc);
		}
	}
	if (rc) {
		metta_cap_delete(d->thread);
		metta_cap_delete(d->domain);
		d->state = DRV_FAILED;
		return;
	}
	d->state = DRV_RUNNING;
	d->started_ns = (uint64_t)metta_clock();
}

static const struct pci_driver_kind *kind_of(const struct pci_dev *d)
{
	for (int i = 0; i < NKINDS; i++)
		if (kinds[i].vendor == d->vendor &&
		    kinds[i].device == d->device)
			return &kinds[i];
	return 0;
}

/* The MSI lines root gave us, if it did (all of them). */
static void msi_lines(void)
{
	if (metta_cap_info(PCI_SLOT_MSI) < 0)
		return;
	msi_next = METTA_MSI_LINE0;
	msi_end = METTA_MSI_LINE0 + METTA_MSI_LINES;
}

void pci_drivers_start(void)
{
	if (metta_mutex_init(&lock) ||
	    metta_event_create(deaths = metta_slot_alloc()) ||
	    metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ)) {
		metta_printf("pci: no boot information: no drivers started");
		return;
	}
	msi_lines();
	for (int i = 0; i < pci_ndevs; i++) {
		struct pci_dev *d = &pci_devs[i];
		const struct pci_driver_kind *k = kind_of(d);
		if (!k || (d->module = find_module(k->program)) < 0)
			continue; /* not ours, or no such program */
		d->kind = k;
		long rc = prepare(d, i);
		if (rc) {
			metta_printf("pci: cannot prepare %s's driver: %s",
				     d->name, status_text((int)rc));
			d->state = DRV_FAILED;
			continue;
		}
		pci_drivers_lock();
		start(d, i);
		pci_drivers_unlock();
	}
}

long pci_driver_kill(struct pci_dev *d)
{
	pci_drivers_lock();
	long rc = d->state == DRV_RUNNING ? metta_domain_kill(d->domain, KILLED)
					  : STATUS_ERR_NOENT;
	pci_drivers_unlock();
	return rc == 0 ? 0 : -P9_ENODEV; /* no driver running */
}

/* Device index's driver ended: logged, and started again. Restarts
 * soon after a start wait longer each time (a driver that fails at once
 * does not take the machine). */
static void restart(int index)
{
	struct pci_dev *d = &pci_devs[index];
	struct metta_domain_info info;
	pci_drivers_lock();
	bus_master(d, 0);
	metta_domain_info(d->domain, &info);
	metta_cap_delete(d->thread);
	metta_cap_delete(d->domain);
	d->last_status = info.exit_status;
	d->restarts++;
	d->state = DRV_RESTARTING;
	uint64_t lived = (uint64_t)metta_clock() - d->started_ns;
	/* A kill (ctl) is not the driver's failing. */
	d->quick_deaths = lived < QUICK_NS && info.exit_status != KILLED
			      ? d->quick_deaths + 1
			      : 0;
	metta_printf("pci: %s for %s ended with status %ld; restarting it "
		     "(restart %d)",
		     d->kind->program, d->name, info.exit_status, d->restarts);
	int shift =
	    d->quick_deaths < BACKOFF_SHIFT ? d->quick_deaths : BACKOFF_SHIFT;
	pci_drivers_unlock();
	if (d->quick_deaths > 1)
		metta_sleep(BACKOFF_US << shift);
	pci_drivers_lock();
	start(d, index);
	pci_drivers_unlock();
}

void pci_drivers_watch(void)
{
	for (;;) {
		long bits =
		    metta_event_wait(deaths, (1ull << PCI_MAX_DEVICES) - 1, 0);
		if (bits < 0) {
			metta_printf("pci: drivers are not watched: %s",
				     status_text((int)bits));
			metta_thread_exit();
		}
		for (int i = 0; i < pci_ndevs; i++)
			if (bits & (1l << i))
				restart(i);
	}
}
