#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <stdint.h>

/*
 * a * b / c without overflow in the product (128-bit intermediate);
 * saturates at UINT64_MAX when the quotient does not fit. c must be > 0.
 */
static inline uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, q, r;
	if (hi >= c)
		return UINT64_MAX;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
	return q;
}

enum tsc_source { TSC_FROM_CPUID, TSC_FROM_PIT };

/* Finds the TSC's frequency: CPUID leaf 0x15/0x16 where given, else PIT. */
void tsc_init(void);
uint64_t tsc_hz(void);
enum tsc_source tsc_source(void);

/* Measures the TSC against the PIT over `ms` milliseconds; returns Hz. */
uint64_t tsc_measure_pit(unsigned ms);

/* Nanoseconds since reset (the TSC starts at 0 when the machine does). */
uint64_t clock_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);

#endif
