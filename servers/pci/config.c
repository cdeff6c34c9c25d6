/*
 * PCI configuration space through the legacy mechanism (ports 0xCF8, the
 * address, and 0xCFC, the data): 256 bytes a function, on every machine
 * QEMU's `-M pc` emulates. ECAM (ACPI's MCFG, 4 KiB a function) is not
 * used: `-M q35` also answers the ports for the first 256 bytes. Buses
 * are found from bus 0 through the bridges (each bridge's secondary bus,
 * as the firmware numbered them).
 */
#include <fmt/fmt.h>
#include <string/kstring.h>

#include "pci.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define MAX_DEPTH      8 /* bridges behind bridges */
#define MAX_SLOT       32
#define MAX_FN	       8
#define MAX_CAPS       48 /* a capability list longer than this loops */

struct pci_dev pci_devs[PCI_MAX_DEVICES];
int pci_ndevs;
static struct metta_mutex config_lock;

static uint32_t address(const struct pci_dev *d, unsigned off)
{
	return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 |
	       (uint32_t)d->fn << 8 | (off & 0xfc);
}

uint32_t pci_config_read(const struct pci_dev *d, unsigned off, unsigned width)
{
	metta_mutex_lock(&config_lock);
	metta_ioport_out(PCI_SLOT_PORTS, CONFIG_ADDRESS, 4, address(d, off));
	long v =
	    metta_ioport_in(PCI_SLOT_PORTS, CONFIG_DATA + (off & 3), width);
	metta_mutex_unlock(&config_lock);
	return v < 0 ? 0xffffffffu : (uint32_t)v;
}

void pci_config_write(const struct pci_dev *d, unsigned off, unsigned width,
		      uint32_t value)
{
	metta_mutex_lock(&config_lock);
	metta_ioport_out(PCI_SLOT_PORTS, CONFIG_ADDRESS, 4, address(d, off));
	metta_ioport_out(PCI_SLOT_PORTS, CONFIG_DATA + (off & 3), width, value);
	metta_mutex_unlock(&config_lock);
}

/* BAR i's size: all ones written, what sticks read back, the original
 * put back (decoding is off meanwhile: the device answers nowhere while
 * its BAR holds all ones). Returns the BARs it used (2 for 64-bit). */
static int size_bar(struct pci_dev *d, int i)
{
	unsigned off = PCI_BAR0 + 4 * (unsigned)i;
	struct pci_bar *b = &d->bar[i];
	uint32_t orig = pci_config_read(d, off, 4);
	pci_config_write(d, off, 4, 0xffffffffu);
	uint32_t mask = pci_config_read(d, off, 4);
	pci_config_write(d, off, 4, orig);
	if (mask == 0 || mask == 0xffffffffu)
		return 1; /* unused (or nothing answers) */
	if (orig & PCI_BAR_IO) {
		uint32_t m = mask & ~3u;
		if (!(m & 0xffff0000u))
			m |= 0xffff0000u; /* a 16-bit decoder */
		b->io = 1, b->addr = orig & ~3u, b->size = (uint32_t)(~m + 1);
		return 1;
	}
	uint64_t m = 0xffffffff00000000ull | (mask & ~0xfu);
	b->addr = orig & ~0xfu;
	b->prefetch = (orig & PCI_BAR_PREFETCH) != 0;
	if ((orig & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && i + 1 < PCI_BARS) {
		uint32_t hi = pci_config_read(d, off + 4, 4);
		pci_config_write(d, off + 4, 4, 0xffffffffu);
		uint32_t mhi = pci_config_read(d, off + 4, 4);
		pci_config_write(d, off + 4, 4, hi);
		m = (uint64_t)mhi << 32 | (mask & ~0xfu);
		b->addr |= (uint64_t)hi << 32;
		b->is64 = 1;
	}
	b->size = ~m + 1;
	return b->is64 ? 2 : 1;
}

static void read_bars(struct pci_dev *d)
{
	if ((d->header & 0x7f) != 0)
		return; /* bridges: no driver of ours, their BARs stay off */
	uint32_t cmd = pci_config_read(d, PCI_COMMAND, 2);
	pci_config_write(d, PCI_COMMAND, 2,
			 cmd &
			     ~(uint32_t)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < PCI_BARS; i += size_bar(d, i))
		;
	pci_config_write(d, PCI_COMMAND, 2, cmd);
}

/* The MSI capability's length: 10 bytes, 4 more for a 64-bit address,
 * 10 more for per-vector masking (PCI 3.0, 6.8.1). */
static uint8_t msi_length(const struct pci_dev *d, unsigned at)
{
	uint32_t ctl = pci_config_read(d, at + 2, 2);
	return (uint8_t)(10 + (ctl & 0x80 ? 4 : 0) + (ctl & 0x100 ? 10 : 0));
}

static void read_caps(struct pci_dev *d)
{
	if (!(pci_config_read(d, PCI_STATUS, 2) & PCI_STATUS_CAPABILITIES))
		return;
	unsigned at = pci_config_read(d, PCI_CAPABILITIES, 1) & 0xfc;
	for (int n = 0; at >= 0x40 && n < MAX_CAPS; n++) {
		uint8_t id = (uint8_t)pci_config_read(d, at, 1);
		if (d->ncaps < sizeof(d->cap_id))
			d->cap_id[d->ncaps] = id,
			d->cap_at[d->ncaps++] = (uint8_t)at;
		if (id == PCI_CAP_MSI && !d->msi)
			d->msi = (uint8_t)at, d->msi_len = msi_length(d, at);
		if (id == PCI_CAP_MSIX && !d->msix)
			d->msix = (uint8_t)at;
		at = pci_config_read(d, at + 1, 1) & 0xfc;
	}
}

/* Records function bus.slot.fn if it exists: 1 if so. */
static int probe(uint8_t bus, uint8_t slot, uint8_t fn)
{
	if (pci_ndevs == PCI_MAX_DEVICES)
		return 0; /* more than we can list: the rest are ignored */
	struct pci_dev *d = &pci_devs[pci_ndevs];
	*d = (struct pci_dev){ .bus = bus, .slot = slot, .fn = fn };
	uint32_t id = pci_config_read(d, PCI_VENDOR_ID, 4);
	if ((id & 0xffff) == 0xffff)
		return 0;
	d->vendor = (uint16_t)id, d->device = (uint16_t)(id >> 16);
	uint32_t cls = pci_config_read(d, PCI_REVISION, 4);
	d->revision = (uint8_t)cls, d->progif = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16), d->class = (uint8_t)(cls >> 24);
	d->header = (uint8_t)pci_config_read(d, PCI_HEADER_TYPE, 1);
	fmt_snprintf(d->name, sizeof(d->name), "%02x.%02x.%x", bus, slot, fn);
	read_bars(d);
	read_caps(d);
	d->module = -1;
	pci_ndevs++;
	return 1;
}

static void scan_bus(unsigned bus, int depth);

/* Function d, just found: if it is a PCI-to-PCI bridge, the bus behind
 * it is scanned too. */
static void follow_bridge(const struct pci_dev *d, int depth)
{
	if ((d->header & 0x7f) != 1 || depth >= MAX_DEPTH)
		return;
	unsigned secondary = pci_config_read(d, PCI_SECONDARY_BUS, 1);
	if (secondary > d->bus) /* 0 or backwards: not set up, or a loop */
		scan_bus(secondary, depth + 1);
}

/* Every function of every slot of bus, and the buses behind its bridges:
 * the tree the firmware numbered, not all 256 buses (a driver-class
 * domain probing 8,192 slots by port would hold up the boot). */
static void scan_bus(unsigned bus, int depth)
{
	for (unsigned s = 0; s < MAX_SLOT; s++) {
		if (!probe((uint8_t)bus, (uint8_t)s, 0))
			continue;
		int first = pci_ndevs - 1;
		if (pci_devs[first].header & 0x80) /* multi-function */
			for (unsigned fn = 1; fn < MAX_FN; fn++)
				probe((uint8_t)bus, (uint8_t)s, (uint8_t)fn);
		for (int i = first; i < pci_ndevs; i++)
			follow_bridge(&pci_devs[i], depth);
	}
}

long pci_enumerate(void)
{
	long rc = metta_mutex_init(&config_lock);
	if (rc)
		return rc;
	rc = metta_ioport_in(PCI_SLOT_PORTS, CONFIG_DATA, 4);
	if (rc < 0)
		return rc; /* no ports: root gave us none */
	scan_bus(0, 0);
	return 0;
}
