/*
 * The other domain of Metta's native benchmarks (nbench.c), spawned from
 * an ELF image linked into nbench. What it does is its first argument:
 *   serve-words   answer calls on the portal in slot 5, words only
 *   serve-data    the same on slot 6, with a 4 KiB receive buffer
 *   event-pong    wait for bit 1 of the event in slot 7, signal bit 1
 *                 of the event in slot 8, and again
 *   faults N      touch N unmapped pages, each mapped by nbench's pager,
 *                 and report the cost of one fault round trip
 */
#include <metta.h>
#include <metta/abi.h>
#include <stdint.h>
#include <string/kstring.h>

#define FAULT_AREA 0x500000000000ull

static uint8_t buf[4096];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int faults(int n)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < n; i++)
		(void)*(volatile uint8_t *)(FAULT_AREA + (uint64_t)i * 4096);
	uint64_t per = (rdtsc() - t0) / (uint64_t)n;
	metta_printf("BENCH name=fault.pager unit=tsc value=%lu", per);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	uint64_t w[4] = { 0 }, badge;
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "serve-words"))
		for (;;)
			metta_reply_wait(5, 0, w, &badge);
	if (!strcmp(what, "serve-data")) {
		struct metta_msg m = { .recv_buf = (uint64_t)buf,
				       .recv_size = sizeof(buf) };
		for (;;)
			metta_reply_wait(6, &m, w, &badge);
	}
	if (!strcmp(what, "event-pong"))
		for (;;) {
			metta_event_wait(7, 1, 0);
			metta_event_signal(8, 1);
		}
	if (!strcmp(what, "faults") && argc > 2) {
		int n = 0;
		for (const char *s = argv[2]; *s; s++)
			n = n * 10 + (*s - '0');
		return faults(n);
	}
	return 1;
}
