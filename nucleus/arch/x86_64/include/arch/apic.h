#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdint.h>

struct acpi_info;

/* Remaps the legacy 8259 PICs out of the exception range and masks them. */
void pic_disable(void);

/* Maps and enables this CPU's local APIC; masks every I/O APIC input. */
void apic_init(const struct acpi_info *acpi);

void lapic_eoi(void);
/* Enables this CPU's local APIC (its timer masked). */
void lapic_enable(void);
/* Sends an interrupt command (vector and delivery mode) to a CPU. */
void lapic_send(uint32_t apic_id, uint32_t icr);
uint32_t lapic_id(void);

/* Measures the LAPIC timer's rate against the TSC (after tsc_init). */
void lapic_timer_calibrate(void);
uint64_t lapic_timer_hz(void);

/* The timer's current count: 0 when it is not running. */
uint32_t lapic_timer_current(void);

/* Fires VEC_TIMER once, after `ticks` TSC ticks (0 stops the timer). */
void lapic_timer_oneshot(uint64_t tsc_ticks);

/* Number of inputs of the first I/O APIC (0 if none). */
int ioapic_inputs(void);

#endif
