#ifndef ARCH_SMP_H
#define ARCH_SMP_H

/* Where the AP start-up code runs (a page in the first MiB). */
#define TRAMPOLINE_PHYS 0x8000

#ifndef __ASSEMBLER__
#include <stdint.h>

struct acpi_info;

/* Starts every other CPU the MADT lists; returns how many came up. */
int smp_start_aps(const struct acpi_info *acpi);

/* Interrupts between CPUs. */
#define VEC_IPI_WAKE 0xf1 /* look at your run queue */
#define VEC_IPI_TLB  0xf2 /* flush your TLB (no lock taken) */

void ipi_send(uint32_t apic_id, uint8_t vector);

/* Makes every other CPU drop stale translations before returning. */
void tlb_shootdown(void);
/* This CPU's part of a shootdown (from the IPI, or while it waits for
 * the nucleus lock). */
void tlb_flush_ipi(void);
#endif

#endif
