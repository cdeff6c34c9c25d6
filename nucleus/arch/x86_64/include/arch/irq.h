#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <stdint.h>

#include <metta/abi.h>

struct acpi_info;

#define IRQ_LINES    METTA_ISA_LINES /* routed through the I/O APIC */
#define VEC_IRQ_BASE 0x30 /* vector of ISA line n: VEC_IRQ_BASE + n */
/* Vector of MSI line METTA_MSI_LINE0 + i: VEC_MSI_BASE + i, below the
 * timer's and the IPIs' (0xf0 and up). */
#define VEC_MSI_BASE 0x40
_Static_assert(VEC_IRQ_BASE + IRQ_LINES <= VEC_MSI_BASE &&
		       VEC_MSI_BASE + METTA_MSI_LINES <= 0xf0,
	       "interrupt vectors overlap");

/* Remembers the MADT's ISA overrides (line -> GSI, polarity, trigger). */
void irq_init(const struct acpi_info *acpi);
/* Routes ISA line `irq` to its vector on the CPU with apic_id, masked. */
int irq_route(unsigned irq, uint32_t apic_id);
void irq_mask(unsigned irq);
void irq_unmask(unsigned irq);

/* The MSI message (msg[0] address, msg[1] data) that raises the vector of
 * MSI line METTA_MSI_LINE0 + i on the CPU with apic_id: fixed delivery,
 * edge, physical destination. */
void msi_message(unsigned i, uint32_t apic_id, uint64_t msg[2]);

/* Port I/O of 1, 2 or 4 bytes. */
uint32_t port_in(uint16_t port, unsigned width);
void port_out(uint16_t port, unsigned width, uint32_t value);

#endif
