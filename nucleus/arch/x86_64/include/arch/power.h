#ifndef ARCH_POWER_H
#define ARCH_POWER_H

struct acpi_info;

/* Remembers how to power off (from the FADT and \_S5). */
void power_init(const struct acpi_info *acpi);

/* ACPI soft-off (S5). Returns only if the machine did not turn off. */
void power_off(void);

/*
 * Ends a QEMU test run through its isa-debug-exit device (port 0xf4):
 * QEMU exits with status (code << 1) | 1. Harmless on real hardware.
 */
void power_test_exit(unsigned code);

/* Resets the machine (the PCI reset register, then the keyboard
 * controller). Returns only if neither worked. */
void power_reset(void);

/* Stops this CPU for good. */
void power_halt(void) __attribute__((noreturn));

#endif
