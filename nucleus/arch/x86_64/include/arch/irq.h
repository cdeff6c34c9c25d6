#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <stdint.h>

struct acpi_info;

#define IRQ_LINES    16	  /* ISA lines, routed through the I/O APIC */
#define VEC_IRQ_BASE 0x30 /* vector of ISA line n: VEC_IRQ_BASE + n */

/* Remembers the MADT's ISA overrides (line -> GSI, polarity, trigger). */
void irq_init(const struct acpi_info *acpi);
/* Routes ISA line `irq` to its vector on the CPU with apic_id, masked. */
int irq_route(unsigned irq, uint32_t apic_id);
void irq_mask(unsigned irq);
void irq_unmask(unsigned irq);

/* Port I/O of 1, 2 or 4 bytes. */
uint32_t port_in(uint16_t port, unsigned width);
void port_out(uint16_t port, unsigned width, uint32_t value);

#endif
