/* What lwIP asks of its platform (lwip/arch/cc.h, NO_SYS mode). */
#include <metta.h>
#include <stdarg.h>

#include "lwip/sys.h"

/* lwIP's clock: milliseconds since boot (it only takes differences). */
u32_t sys_now(void)
{
	return (u32_t)((uint64_t)metta_clock() / 1000);
}

/* DHCP's transaction ids, the first ephemeral ports and initial sequence
 * numbers: splitmix64 over the clock, so they differ between boots. */
uint32_t net_lwip_rand(void)
{
	static uint64_t x;
	if (!x)
		x = (uint64_t)metta_clock() ^ 0x6a09e667f3bcc909ull;
	uint64_t z = (x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

void net_lwip_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	metta_vprintf(fmt, ap);
	va_end(ap);
}

void net_lwip_assert(const char *what, const char *file, int line)
{
	metta_printf("net: lwIP assertion \"%s\" failed at %s:%d", what, file,
		     line);
	metta_exit(70);
	for (;;)
		;
}
