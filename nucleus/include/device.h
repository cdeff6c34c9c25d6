/*
 * Device capabilities: interrupt lines, I/O port ranges and physical
 * memory outside RAM, held by driver-class domains only. The root domain
 * starts with all of each (slots CAP_IRQS, CAP_IOPORTS, CAP_PHYSMEM) and
 * hands narrower ones (dev_mint) to the drivers it starts.
 */
#ifndef NUCLEUS_DEVICE_H
#define NUCLEUS_DEVICE_H

#include <cap.h>
#include <stdint.h>

struct domain;
struct event;

struct device {
	struct kobj obj;      /* OBJ_IRQ, OBJ_IOPORT or OBJ_PHYSMEM */
	struct domain *payer; /* NULL for the root's originals */
	uint64_t base, count; /* lines, ports or bytes */
	struct kobj *event;   /* irq: bound event */
	uint64_t bits;
	uint32_t apic_id;     /* irq: the CPU it was bound on */
};

/* Puts the three original device capabilities in the root domain:
 * every interrupt line (ISA and MSI), every I/O port, and the physical
 * address space up to phys_end (mem_phys refuses its RAM). */
void devices_give_root(struct domain *root, uint64_t phys_end);

/* Whether a capability of this type may go to domain d at all. */
int device_cap_allowed(uint16_t type, const struct domain *d);

#endif
