/*
 * What the PCI server (servers/pci) hands every device driver it starts,
 * and the config portal's protocol: the one place for these numbers
 * (docs/servers.md, "pci"). Also the PCI configuration-space registers
 * both the server and the drivers read.
 *
 * A driver starts with argv `PROGRAM BB.DD.F UNIT` (e.g. `virtio-blk.drv
 * 00.04.0 0`), class driver, priority high, its memory populated, and:
 */
#ifndef METTA_DRIVER_H
#define METTA_DRIVER_H

/* Its 9P portal (SERVE | CALL | GRANT), kept by pci across restarts:
 * clients keep their connections' capabilities. */
#define DRIVER_SLOT_PORTAL 5
/* CAP_NAMES (metta/cap.h, 9): the name service. */
/* A capability to pci's config portal, badged with the device. */
#define DRIVER_SLOT_CONFIG 12
/* DRIVER_SLOT_BAR + i, i < PCI_BARS: BAR i as a PHYSMEM capability of
 * exactly its range (memory BAR) or an IOPORT capability of exactly its
 * ports (I/O BAR); empty for an unused BAR and the upper half of a
 * 64-bit one. */
#define DRIVER_SLOT_BAR 16
#define PCI_BARS 6
/* An IRQ capability over DRIVER_MSI_LINES MSI lines (16 and up) given to
 * this device; the driver mints single lines from it (dev_mint). */
#define DRIVER_SLOT_IRQS 24
#define DRIVER_MSI_LINES 4
/* Memory quota of a driver's domain. */
#define DRIVER_QUOTA (4ull << 20)

/*
 * What root hands the PCI server, besides its portal (slot 5), names
 * (CAP_NAMES), the boot information (CAP_BOOTINFO) and the driver programs
 * (boot modules named *.drv, in CAP_FIRST_MODULE + i as root holds them).
 */
#define PCI_SLOT_PORTS	   12 /* I/O ports, all */
#define PCI_SLOT_PHYSMEM   13 /* device memory, all */
#define PCI_SLOT_MSI	   14 /* every MSI line, or empty */
#define PCI_SLOT_REGISTRAR 15 /* names, badged NAMES_BADGE_REGISTRAR */

/*
 * The config portal (DRIVER_SLOT_CONFIG). Word 0 the request:
 *   PCI_CONFIG_READ   w1 offset, w2 width (1, 2 or 4); reply w1 the value.
 *   PCI_CONFIG_WRITE  w1 offset, w2 width, w3 value.
 * Reads reach the device's whole config space (PCI_CONFIG_SIZE bytes).
 * Writes reach only the command register and the inside of the device's
 * MSI and MSI-X capability structures; any other is STATUS_ERR_DENIED.
 * An offset not aligned to the width, or past the end, or a width not
 * 1, 2 or 4: STATUS_ERR_INVAL. Nothing is changed by a refused request.
 */
#define PCI_CONFIG_READ	 1
#define PCI_CONFIG_WRITE 2
#define PCI_CONFIG_SIZE	 256 /* through ports 0xCF8/0xCFC */

/* Configuration-space registers (PCI Local Bus 3.0, section 6). */
#define PCI_VENDOR_ID	   0x00 /* 16 bits; 0xffff: no function */
#define PCI_DEVICE_ID	   0x02
#define PCI_COMMAND	   0x04
#define PCI_STATUS	   0x06
#define PCI_REVISION	   0x08 /* then prog-if, subclass, class */
#define PCI_HEADER_TYPE	   0x0e /* bit 7: multi-function */
#define PCI_BAR0	   0x10 /* BAR i at PCI_BAR0 + 4 * i (header 0) */
#define PCI_SECONDARY_BUS  0x19 /* a bridge's (header type 1) */
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_CAPABILITIES   0x34 /* first capability's offset */
#define PCI_INTERRUPT_LINE 0x3c

#define PCI_COMMAND_IO	       0x0001 /* decode I/O BARs */
#define PCI_COMMAND_MEMORY     0x0002 /* decode memory BARs */
#define PCI_COMMAND_MASTER     0x0004 /* bus mastering (DMA) */
#define PCI_COMMAND_INTX_OFF   0x0400
#define PCI_STATUS_CAPABILITIES 0x0010 /* the capability list exists */

#define PCI_BAR_IO	   0x1 /* bit 0 of a BAR: an I/O BAR */
#define PCI_BAR_MEM_64	   0x4 /* bits 2:1 of a memory BAR = 2: 64 bits */
#define PCI_BAR_MEM_TYPE   0x6
#define PCI_BAR_PREFETCH   0x8

/* Capability ids (the first byte of each entry; the second links on). */
#define PCI_CAP_MSI	0x05
#define PCI_CAP_VENDOR	0x09 /* virtio's structures */
#define PCI_CAP_MSIX	0x11

#endif
