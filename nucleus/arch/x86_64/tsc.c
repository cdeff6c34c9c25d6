/*
 * Time: the TSC is the clock. Its rate comes from CPUID (leaf 0x15 gives
 * the crystal and ratio, 0x16 the base frequency) where the CPU reports
 * it, and otherwise from counting TSC ticks across a known interval of the
 * 8254 PIT (1.193182 MHz), which every PC and QEMU machine has.
 */
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <panic.h>

#define PIT_HZ	 1193182
#define PIT_CH2	 0x42
#define PIT_CMD	 0x43
#define PIT_GATE 0x61

static uint64_t hz;
static enum tsc_source source;

static uint64_t hz_from_cpuid(void)
{
	if (cpuid(0, 0).eax < 0x15)
		return 0;
	struct cpuid_regs r = cpuid(0x15, 0);
	if (r.eax && r.ebx && r.ecx)
		return mul_div(r.ecx, r.ebx, r.eax);
	if (cpuid(0, 0).eax >= 0x16 && (cpuid(0x16, 0).eax & 0xffff))
		return (uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000000;
	return 0;
}

uint64_t tsc_measure_pit(unsigned ms)
{
	uint32_t count = (uint32_t)((uint64_t)PIT_HZ * ms / 1000);
	if (count > 0xffff)
		count = 0xffff; /* about 54 ms at most */
	/* Channel 2, gate on, speaker off; mode 0 counts down once. */
	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01));
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	uint64_t start = rdtsc();
	/* OUT2 (bit 5) goes high when the count reaches zero. */
	for (uint64_t spins = 0; !(inb(PIT_GATE) & 0x20); spins++)
		if (spins > 100000000)
			panic(
			    "the PIT does not count: cannot calibrate the TSC");
	uint64_t ticks = rdtsc() - start;
	return mul_div(ticks, PIT_HZ, count);
}

void tsc_init(void)
{
	hz = hz_from_cpuid();
	source = TSC_FROM_CPUID;
	if (!hz) {
		hz = tsc_measure_pit(10);
		source = TSC_FROM_PIT;
	}
	if (hz < 1000000)
		panic("TSC frequency %lu Hz is implausible", hz);
}

uint64_t tsc_hz(void)
{
	return hz;
}

enum tsc_source tsc_source(void)
{
	return source;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return mul_div(ticks, 1000000000, hz);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return mul_div(ns, hz, 1000000000);
}

uint64_t clock_ns(void)
{
	return tsc_to_ns(rdtsc());
}
