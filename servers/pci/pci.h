/*
 * The PCI server's parts: configuration space (config.c), the devices'
 * files (files.c), the config portal drivers use (portal.c), and the
 * drivers it starts and restarts (drivers.c). docs/servers.md, "pci".
 */
#ifndef SERVERS_PCI_H
#define SERVERS_PCI_H

#include <metta.h>
#include <metta/driver.h>
#include <stdint.h>

#define PCI_MAX_DEVICES 63 /* one bit each in the deaths event (a long) */

struct pci_bar {
	uint64_t addr, size; /* size 0: unused (or a 64-bit BAR's upper half) */
	uint8_t io, is64, prefetch;
	uint32_t cap; /* our capability of exactly its range, or 0 */
};

/* The states of a device's driver. */
enum { DRV_NONE, DRV_RUNNING, DRV_RESTARTING, DRV_FAILED };

struct pci_dev {
	uint8_t bus, slot, fn;
	char name[8]; /* "BB.DD.F" */
	uint16_t vendor, device;
	uint8_t class, subclass, progif, revision, header;
	uint8_t msi, msi_len; /* the MSI capability's offset and size, or 0 */
	uint8_t msix;	      /* the MSI-X capability's offset, or 0 */
	uint8_t ncaps;
	uint8_t cap_id[16], cap_at[16];
	struct pci_bar bar[PCI_BARS];
	/* Its driver (drivers.c), under pci_drivers_lock. */
	const struct pci_driver_kind *kind;
	int module, unit, state, restarts;
	uint64_t msi_first, msi_count; /* MSI lines given, count 0: none */
	uint32_t portal, config, irqs, domain, thread;
	long last_status;
	uint64_t started_ns;
	int quick_deaths; /* deaths in a row soon after a start */
};

struct pci_driver_kind {
	uint16_t vendor, device;
	const char *program, *unit_name; /* "virtio-blk.drv", "blk" */
};

extern struct pci_dev pci_devs[PCI_MAX_DEVICES];
extern int pci_ndevs;

/* Configuration space through ports 0xCF8/0xCFC (config.c). An access
 * is two port operations: every caller goes through these, which hold
 * one lock across the pair. */
uint32_t pci_config_read(const struct pci_dev *d, unsigned off, unsigned width);
void pci_config_write(const struct pci_dev *d, unsigned off, unsigned width,
		      uint32_t value);
/* Finds every function on every bus: 0, or a status if the ports cannot
 * be had. Fills pci_devs, sizing BARs with decoding off meanwhile. */
long pci_enumerate(void);

/* The config portal's checks (portal.c): 0 if device d's driver may
 * access [off, off + width) this way, else the status to answer. */
long pci_config_check(const struct pci_dev *d, uint64_t off, uint64_t width,
		      int write);
/* Serves the config portal (its slot: pci_config_portal) on this
 * thread, for ever. */
extern uint32_t pci_config_portal;
void pci_config_serve(void) __attribute__((noreturn));

/* The device files (files.c): the tree over pci_devs, served on slot 5. */
void pci_files_init(void);
/* The text of device d's ctl file, into buf: its length. */
long pci_ctl_text(const struct pci_dev *d, char *buf, uint64_t size);

/* Drivers (drivers.c). */
/* Starts a driver for every device we know and have the program of. */
void pci_drivers_start(void);
void pci_drivers_watch(void) __attribute__((noreturn));
/* Kills device d's driver (it is restarted): 0 or a negative errno. */
long pci_driver_kill(struct pci_dev *d);
void pci_drivers_lock(void);
void pci_drivers_unlock(void);
/* The driver's state as a word, for ctl. */
const char *pci_driver_state(const struct pci_dev *d);

#endif
