/*
 * A stand-in driver, started by pci (servers/pci) as a device's driver in
 * tests: it checks that it got exactly what metta/driver.h promises and
 * that pci's config portal refuses what a driver must not do, and reports
 * to the log ("ndrv BB.DD.F: FAIL name: why" for each failure, then
 * "ndrv BB.DD.F unit U: N of M checks passed"). Then it asks pci (found
 * in names, read over 9P) how often it was restarted: the first time it
 * exits (status NDRV_EXIT), the second it crashes (a NULL write), after
 * that it serves its portal, so that tests see pci restart it after each
 * way a driver ends. Its 9P file `ctl` ends it too: write `exit` or
 * `crash`.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <metta/driver.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "utest.h"

#define NDRV_EXIT 7
#define SCRATCH	  40
#define PCI	  41 /* pci's portal, from names */
#define CONN	  42 /* our 9P connection to it */
#define EVENT	  43

static const char *device = "?";

static long config(uint64_t op, uint64_t off, uint64_t width, uint64_t value,
		   uint64_t *out)
{
	uint64_t w[4] = { op, off, width, value };
	long rc = metta_request(DRIVER_SLOT_CONFIG, w, 0, 0, 0, 0, 0, 0, 0);
	if (out)
		*out = w[1];
	return rc;
}

static uint64_t read_config(uint64_t off, uint64_t width)
{
	uint64_t v = 0;
	return config(PCI_CONFIG_READ, off, width, 0, &v) ? ~0ull : v;
}

/* The offset of capability id in its config space, or 0. */
static uint64_t find_cap(uint8_t id)
{
	uint64_t at = read_config(PCI_CAPABILITIES, 1) & 0xfc;
	for (int n = 0; at >= 0x40 && n < 48; n++) {
		if (read_config(at, 1) == id)
			return at;
		at = read_config(at + 1, 1) & 0xfc;
	}
	return 0;
}

static int reads_its_own_config(void)
{
	UCHECK(read_config(PCI_VENDOR_ID, 2) == 0x1af4, "vendor %lx",
	       read_config(PCI_VENDOR_ID, 2));
	uint64_t dev = read_config(PCI_DEVICE_ID, 2);
	UCHECK(dev == 0x1042 || dev == 0x1001, "device %lx", dev);
	uint64_t cmd = read_config(PCI_COMMAND, 2);
	UCHECK((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
		   (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
	       "decoding and bus mastering not on: %lx", cmd);
	UCHECK(read_config(PCI_CONFIG_SIZE - 4, 4) != ~0ull, "last dword");
	return 0;
}

static int writes_the_command_and_msix(void)
{
	uint64_t cmd = read_config(PCI_COMMAND, 2);
	UCHECK(config(PCI_CONFIG_WRITE, PCI_COMMAND, 2, cmd, 0) == 0,
	       "command register");
	UCHECK(config(PCI_CONFIG_WRITE, PCI_COMMAND, 1, cmd & 0xff, 0) == 0,
	       "command register's low byte");
	uint64_t msix = find_cap(PCI_CAP_MSIX);
	UCHECK(msix, "no MSI-X capability");
	uint64_t ctl = read_config(msix + 2, 2);
	UCHECK(config(PCI_CONFIG_WRITE, msix + 2, 2, ctl, 0) == 0,
	       "MSI-X control");
	return 0;
}

static int refuses_other_writes(void)
{
	uint64_t bar = read_config(PCI_BAR0 + 4, 4);
	UCHECK(config(PCI_CONFIG_WRITE, PCI_BAR0 + 4, 4, 0, 0) ==
		   STATUS_ERR_DENIED,
	       "a BAR was written");
	UCHECK(read_config(PCI_BAR0 + 4, 4) == bar, "the BAR changed");
	UCHECK(config(PCI_CONFIG_WRITE, PCI_VENDOR_ID, 2, 0, 0) ==
		   STATUS_ERR_DENIED,
	       "vendor id");
	UCHECK(config(PCI_CONFIG_WRITE, PCI_COMMAND, 4, 0x7, 0) ==
		   STATUS_ERR_DENIED,
	       "the status register, with the command");
	UCHECK(config(PCI_CONFIG_WRITE, PCI_INTERRUPT_LINE, 1, 5, 0) ==
		   STATUS_ERR_DENIED,
	       "interrupt line");
	uint64_t vendor = find_cap(PCI_CAP_VENDOR);
	UCHECK(vendor && config(PCI_CONFIG_WRITE, vendor + 4, 1, 0, 0) ==
			     STATUS_ERR_DENIED,
	       "a vendor capability");
	return 0;
}

static int refuses_bad_offsets_and_widths(void)
{
	UCHECK(config(PCI_CONFIG_READ, 0, 3, 0, 0) == STATUS_ERR_INVAL,
	       "width 3");
	UCHECK(config(PCI_CONFIG_READ, 0, 8, 0, 0) == STATUS_ERR_INVAL,
	       "width 8");
	UCHECK(config(PCI_CONFIG_READ, 0, 0, 0, 0) == STATUS_ERR_INVAL,
	       "width 0");
	UCHECK(config(PCI_CONFIG_READ, 2, 4, 0, 0) == STATUS_ERR_INVAL,
	       "unaligned");
	UCHECK(config(PCI_CONFIG_READ, PCI_CONFIG_SIZE, 1, 0, 0) ==
		   STATUS_ERR_INVAL,
	       "past the end");
	UCHECK(config(PCI_CONFIG_READ, ~0ull - 1, 2, 0, 0) == STATUS_ERR_INVAL,
	       "an offset that wraps");
	UCHECK(config(PCI_CONFIG_WRITE, PCI_COMMAND, 2, 0x10000, 0) ==
		   STATUS_ERR_INVAL,
	       "a value wider than the width");
	UCHECK(config(99, 0, 4, 0, 0) == STATUS_ERR_NOTSUP,
	       "an unknown request");
	return 0;
}

/* Its memory BARs exactly: the first page maps, nothing past the end or
 * elsewhere (another device's BAR) does; no other device capability. */
static int gets_exactly_its_bars(void)
{
	int mem = 0;
	for (uint32_t i = 0; i < PCI_BARS; i++) {
		uint32_t slot = DRIVER_SLOT_BAR + i;
		uint64_t lo = read_config(PCI_BAR0 + 4 * i, 4);
		if (metta_cap_info(slot) < 0)
			continue;
		UCHECK(!(lo & PCI_BAR_IO), "an I/O BAR %u", i);
		UCHECK(metta_cap_info(slot) >> 32 == OBJ_PHYSMEM,
		       "BAR %u is not device memory", i);
		uint64_t addr = lo & ~0xfull;
		if ((lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64)
			addr |= read_config(PCI_BAR0 + 4 * i + 4, 4) << 32;
		UCHECK(metta_mem_phys(slot, SCRATCH, addr, 1) == 0,
		       "BAR %u's first page: %ld", i,
		       metta_mem_phys(slot, SCRATCH, addr, 1));
		metta_cap_delete(SCRATCH);
		UCHECK(metta_mem_phys(slot, SCRATCH, addr - 4096, 1) ==
			   STATUS_ERR_RANGE,
		       "the page before BAR %u", i);
		UCHECK(metta_mem_phys(slot, SCRATCH, 0xfea00000, 1) ==
			   STATUS_ERR_RANGE,
		       "another device's BAR through BAR %u", i);
		UCHECK(metta_dev_mint(slot, SCRATCH, addr, 1ull << 32) ==
			   STATUS_ERR_RANGE,
		       "BAR %u minted wider", i);
		mem++;
	}
	UCHECK(mem > 0, "no memory BAR given");
	UCHECK(metta_cap_info(DRIVER_SLOT_BAR) < 0, "BAR 0 is unused");
	UCHECK(metta_cap_info(CAP_IOPORTS) < 0 &&
		   metta_cap_info(CAP_PHYSMEM) < 0,
	       "more devices than its own");
	UCHECK(metta_cap_info(DRIVER_SLOT_PORTAL) >> 32 == OBJ_PORTAL &&
		   metta_cap_info(CAP_NAMES) >> 32 == OBJ_PORTAL,
	       "its portal and names");
	return 0;
}

/* The restart count in pci's ctl file for our device, or -1. */
static long restarts(void)
{
	static uint8_t tbuf[P9_PORTAL_MSIZE], rbuf[P9_PORTAL_MSIZE];
	static char text[2048];
	uint64_t w[4] = { NAMES_LOOKUP };
	struct p9c c;
	char file[32];
	fmt_snprintf(file, sizeof(file), "%sctl", device);
	const char *path[] = { file };
	/* At boot pci is in names only once root published every server. */
	for (int i = 0; i < 100 && metta_request(CAP_NAMES, w, "pci", 3, 0, 0,
						 0, 0, PCI) != 0;
	     i++) {
		w[0] = NAMES_LOOKUP;
		metta_sleep(50000);
	}
	if (metta_cap_info(PCI) < 0 ||
	    p9_portal_connect(&c, PCI, CONN, tbuf, rbuf) ||
	    p9c_attach(&c, 0, "root", "", 0) ||
	    p9c_walk(&c, 0, 1, 1, path, 0) != 1 || p9c_open(&c, 1, 0, 0))
		return -1;
	long n = p9c_read(&c, 1, 0, text, sizeof(text) - 1);
	p9_portal_hangup(CONN);
	if (n <= 0)
		return -1;
	text[n] = 0;
	for (long i = 0; i + 9 < n; i++)
		if (!memcmp(text + i, "restarts ", 9)) {
			long v = 0;
			for (i += 9; text[i] >= '0' && text[i] <= '9'; i++)
				v = v * 10 + text[i] - '0';
			return v;
		}
	return -1;
}

/* Its MSI lines: DRIVER_MSI_LINES of them from a first one pci chose,
 * single lines minted, bound and told; nothing outside them. */
static int gets_its_msi_lines(void)
{
	uint64_t first = METTA_MSI_LINE0;
	UCHECK(metta_cap_info(DRIVER_SLOT_IRQS) >> 32 == OBJ_IRQ, "no lines");
	while (first < METTA_MSI_LINE0 + METTA_MSI_LINES &&
	       metta_dev_mint(DRIVER_SLOT_IRQS, SCRATCH, first, 1) != 0)
		first++;
	metta_cap_delete(SCRATCH);
	UCHECK(first < METTA_MSI_LINE0 + METTA_MSI_LINES, "no line mints");
	UCHECK(metta_dev_mint(DRIVER_SLOT_IRQS, SCRATCH, first,
			      DRIVER_MSI_LINES) == 0,
	       "all its lines");
	metta_cap_delete(SCRATCH);
	UCHECK(metta_dev_mint(DRIVER_SLOT_IRQS, SCRATCH, first,
			      DRIVER_MSI_LINES + 1) == STATUS_ERR_RANGE,
	       "one line too many");
	UCHECK(metta_dev_mint(DRIVER_SLOT_IRQS, SCRATCH, 4, 1) ==
		   STATUS_ERR_RANGE,
	       "an ISA line");
	uint64_t msg[2];
	UCHECK(metta_dev_mint(DRIVER_SLOT_IRQS, SCRATCH, first, 1) == 0 &&
		   metta_event_create(EVENT) == 0 &&
		   metta_irq_bind(SCRATCH, EVENT, 1) == 0,
	       "bind its first line");
	UCHECK(metta_irq_msi(SCRATCH, msg) == 0 &&
		   (msg[0] & 0xfff00000) == 0xfee00000,
	       "its message");
	metta_cap_delete(SCRATCH);
	metta_cap_delete(EVENT);
	return 0;
}

static long ctl_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)offset;
	if (count >= 4 && !memcmp(data, "exit", 4)) {
		metta_printf("ndrv %s: exiting on request", device);
		metta_exit(NDRV_EXIT);
	}
	if (count >= 5 && !memcmp(data, "crash", 5)) {
		metta_printf("ndrv %s: crashing on request", device);
		*(volatile int *)0 = 1;
	}
	return -P9_EINVAL;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "ctl", 1, 0222, 0, 0, ctl_write, 0, 0 },
};
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 8, 8);

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	static const struct utest checks[] = {
		{ "reads_its_own_config", reads_its_own_config },
		{ "writes_the_command_and_msix", writes_the_command_and_msix },
		{ "refuses_other_writes", refuses_other_writes },
		{ "refuses_bad_offsets_and_widths",
		  refuses_bad_offsets_and_widths },
		{ "gets_exactly_its_bars", gets_exactly_its_bars },
		{ "gets_its_msi_lines", gets_its_msi_lines },
	};
	int n = sizeof(checks) / sizeof(checks[0]), passed = 0;
	if (argc == 3)
		device = argv[1];
	for (int i = 0; i < n; i++) {
		if (checks[i].fn() == 0) {
			passed++;
			continue;
		}
		metta_printf("ndrv %s: FAIL %s: %s", device, checks[i].name,
			     utest_why);
	}
	metta_printf("ndrv %s unit %s: %d of %d checks passed", device,
		     argc == 3 ? argv[2] : "?", passed, n);
	long r = restarts();
	metta_printf("ndrv %s: restarts %ld", device, r);
	if (r == 0)
		metta_exit(NDRV_EXIT);
	if (r == 1)
		*(volatile int *)0 = 1;
	p9synth_init(&tree, files, 2, "root", 0);
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_serve_portal(&fs, DRIVER_SLOT_PORTAL);
}
