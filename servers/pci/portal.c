/*
 * The config portal: each driver holds a capability to it badged with its
 * device (index + 1), and reaches that device's configuration space
 * through it, and no other's (metta/driver.h has the protocol). It may
 * read all of it; it may write only the command register and the inside
 * of the device's MSI and MSI-X capabilities: never a BAR (the device
 * would answer at addresses its driver was not given), never a bridge's
 * windows or another function's registers.
 */
#include <metta/proto.h>
#include <server/server.h>

#include "pci.h"

#define MSIX_LENGTH 12 /* PCI 3.0, 6.8.2 */

uint32_t pci_config_portal;

static int inside(uint64_t byte, uint64_t start, uint64_t len)
{
	return start && byte >= start && byte - start < len;
}

static int writable(const struct pci_dev *d, uint64_t byte)
{
	return inside(byte, PCI_COMMAND, 2) ||
	       inside(byte, d->msi, d->msi_len) ||
	       inside(byte, d->msix, MSIX_LENGTH);
}

long pci_config_check(const struct pci_dev *d, uint64_t off, uint64_t width,
		      int write)
{
	if ((width != 1 && width != 2 && width != 4) ||
	    off >= PCI_CONFIG_SIZE || off % width ||
	    off + width > PCI_CONFIG_SIZE)
		return STATUS_ERR_INVAL;
	for (uint64_t b = off; write && b < off + width; b++)
		if (!writable(d, b))
			return STATUS_ERR_DENIED;
	return STATUS_OK;
}

/* The device a call's badge names, or 0 (an unbadged capability). */
static const struct pci_dev *device_of(const struct server_call *c)
{
	if (c->badge == 0 || c->badge > (uint64_t)pci_ndevs)
		return 0;
	return &pci_devs[c->badge - 1];
}

static long op_read(struct server_call *c)
{
	const struct pci_dev *d = device_of(c);
	if (!d)
		return STATUS_ERR_DENIED;
	long rc = pci_config_check(d, c->w[1], c->w[2], 0);
	if (rc == 0)
		c->w[1] =
		    pci_config_read(d, (unsigned)c->w[1], (unsigned)c->w[2]);
	return rc;
}

static long op_write(struct server_call *c)
{
	const struct pci_dev *d = device_of(c);
	if (!d)
		return STATUS_ERR_DENIED;
	long rc = pci_config_check(d, c->w[1], c->w[2], 1);
	if (rc == 0 && c->w[3] >> (8 * c->w[2]))
		rc = STATUS_ERR_INVAL; /* more bits than the width */
	if (rc == 0)
		pci_config_write(d, (unsigned)c->w[1], (unsigned)c->w[2],
				 (uint32_t)c->w[3]);
	return rc;
}

static const server_op ops[] = {
	[PCI_CONFIG_READ] = op_read,
	[PCI_CONFIG_WRITE] = op_write,
};

void pci_config_serve(void)
{
	static struct server config;
	config = (struct server){ pci_config_portal, ops,
				  sizeof(ops) / sizeof(ops[0]) };
	server_run(&config);
}
