/* Power off through ACPI, halt, and the QEMU test exit port. */
#include <arch/acpi.h>
#include <arch/cpu.h>
#include <arch/power.h>

#define SLP_EN		(1u << 13)
#define DEBUG_EXIT_PORT 0xf4

static struct {
	uint32_t pm1a_cnt, pm1b_cnt;
	uint16_t typa, typb;
	int valid;
} s5;

void power_init(const struct acpi_info *acpi)
{
	s5.pm1a_cnt = acpi->pm1a_cnt;
	s5.pm1b_cnt = acpi->pm1b_cnt;
	s5.typa = acpi->slp_typa;
	s5.typb = acpi->slp_typb;
	s5.valid = acpi->s5_valid && acpi->pm1a_cnt && acpi->pm1a_cnt < 0x10000;
}

void power_off(void)
{
	if (!s5.valid)
		return;
	outw((uint16_t)s5.pm1a_cnt, (uint16_t)((s5.typa & 7) << 10 | SLP_EN));
	if (s5.pm1b_cnt && s5.pm1b_cnt < 0x10000)
		outw((uint16_t)s5.pm1b_cnt,
		     (uint16_t)((s5.typb & 7) << 10 | SLP_EN));
	/* The write takes effect at once in QEMU; give hardware a moment. */
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
}

#define RESET_CONTROL 0xcf9 /* PCI: bit 1 hard reset, bit 2 do it */
#define KBC_COMMAND   0x64
#define KBC_PULSE_RESET 0xfe

void power_reset(void)
{
	outb(RESET_CONTROL, 0x02);
	outb(RESET_CONTROL, 0x06);
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
	outb(KBC_COMMAND, KBC_PULSE_RESET);
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
}

void power_test_exit(unsigned code)
{
	outl(DEBUG_EXIT_PORT, code);
}

void power_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
