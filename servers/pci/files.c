/*
 * The devices as files, as Plan 9's #$: for each function BB.DD.F,
 * `BB.DD.Fctl` (text: what it is, its BARs and capabilities, the MSI lines
 * and the driver it has; writing `kill` ends the driver, which is then
 * restarted) and `BB.DD.Fraw` (its configuration space, read-only).
 * The table is built once, after enumeration: devices do not come and go.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <fmt/fmt.h>
#include <string/kstring.h>

#include "pci.h"

#define PORTAL	  DRIVER_SLOT_PORTAL /* ours, from root, as every server's */
#define CTL_MAX	  2048
#define NAME_SIZE 16

static struct p9synth_entry ents[1 + 2 * PCI_MAX_DEVICES];
static char names[2 * PCI_MAX_DEVICES][NAME_SIZE];
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 64, 32);

/* Entry 1 + 2i is device i's ctl, 2 + 2i its raw. */
static struct pci_dev *device_of(const struct p9synth_entry *e)
{
	return &pci_devs[(e - ents - 1) / 2];
}

static const char *class_name(uint8_t class)
{
	static const char *const names[] = {
		"unclassified", "storage", "network", "display", "multimedia",
		"memory",	"bridge",  "comm",    "system",	 "input",
		"docking",	"cpu",	   "serial"
	};
	return class < sizeof(names) / sizeof(names[0]) ? names[class]
							: "other";
}

static const char *cap_name(uint8_t id)
{
	return id == PCI_CAP_MSI      ? "msi"
	       : id == PCI_CAP_MSIX   ? "msix"
	       : id == PCI_CAP_VENDOR ? "vendor"
				      : "other";
}

static long bar_lines(const struct pci_dev *d, char *buf, uint64_t size)
{
	long n = 0;
	for (int i = 0; i < PCI_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (!b->size)
			continue;
		n += fmt_snprintf(
		    buf + n, size - (uint64_t)n, "bar%d %s%s 0x%lx 0x%lx\n", i,
		    b->io     ? "io"
		    : b->is64 ? "mem64"
			      : "mem32",
		    b->prefetch ? " prefetch" : "", b->addr, b->size);
	}
	return n;
}

long pci_ctl_text(const struct pci_dev *d, char *buf, uint64_t size)
{
	long n = fmt_snprintf(
	    buf, size,
	    "device %s\nclass %02x.%02x.%02x %s\nvendor %04x device %04x "
	    "revision %02x\n",
	    d->name, d->class, d->subclass, d->progif, class_name(d->class),
	    d->vendor, d->device, d->revision);
	n += bar_lines(d, buf + n, size - (uint64_t)n);
	n += fmt_snprintf(buf + n, size - (uint64_t)n, "caps");
	for (int i = 0; i < d->ncaps; i++)
		n += fmt_snprintf(buf + n, size - (uint64_t)n, " %s@0x%02x",
				  cap_name(d->cap_id[i]), d->cap_at[i]);
	pci_drivers_lock();
	if (d->msi_count)
		n +=
		    fmt_snprintf(buf + n, size - (uint64_t)n, "\nmsi %lu-%lu\n",
				 d->msi_first, d->msi_first + d->msi_count - 1);
	else
		n += fmt_snprintf(buf + n, size - (uint64_t)n, "\nmsi none\n");
	if (d->kind)
		n += fmt_snprintf(buf + n, size - (uint64_t)n,
				  "driver %s %s%d %s restarts %d\n",
				  d->kind->program, d->kind->unit_name, d->unit,
				  pci_driver_state(d), d->restarts);
	else
		n += fmt_snprintf(buf + n, size - (uint64_t)n, "driver none\n");
	pci_drivers_unlock();
	return n;
}

static long ctl_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst;
	char text[CTL_MAX];
	long n = pci_ctl_text(device_of(e), text, sizeof(text));
	if (offset >= (uint64_t)n)
		return 0;
	if (count > (uint64_t)n - offset)
		count = (uint32_t)((uint64_t)n - offset);
	memcpy(buf, text + offset, count);
	return count;
}

/* `kill`: the driver ends (with the status a kill gives) and is
 * restarted, as after a crash. */
static long ctl_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)inst, (void)offset;
	uint32_t n = count;
	while (n && (((const char *)data)[n - 1] == '\n'))
		n--;
	if (n != 4 || memcmp(data, "kill", 4))
		return -P9_EINVAL;
	long rc = pci_driver_kill(device_of(e));
	return rc ? rc : count;
}

static long raw_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst;
	const struct pci_dev *d = device_of(e);
	uint8_t *out = buf;
	uint32_t n = 0;
	for (uint64_t at = offset; at < PCI_CONFIG_SIZE && n < count; at++)
		out[n++] = (uint8_t)pci_config_read(d, (unsigned)at, 1);
	return n;
}

void pci_files_init(void)
{
	ents[0] =
	    (struct p9synth_entry){ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 };
	for (int i = 0; i < pci_ndevs; i++) {
		char *ctl = names[2 * i], *raw = names[2 * i + 1];
		fmt_snprintf(ctl, NAME_SIZE, "%sctl", pci_devs[i].name);
		fmt_snprintf(raw, NAME_SIZE, "%sraw", pci_devs[i].name);
		ents[1 + 2 * i] = (struct p9synth_entry){
			ctl,	  1 + 2 * (uint64_t)i, 0644, 0,
			ctl_read, ctl_write,	       0,    0
		};
		ents[2 + 2 * i] = (struct p9synth_entry){
			raw, 2 + 2 * (uint64_t)i, 0444, 0, raw_read, 0, 0, 0
		};
	}
	p9synth_init(&tree, ents, 1 + 2 * (uint32_t)pci_ndevs, "root", 0);
	tree.type = '$'; /* devices, as Plan 9's #$ */
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
}
