/* metta_printf: formats with lib/fmt, writes with the log call. */
#include <fmt/fmt.h>

#include "metta.h"

#define LINE_MAX 1024

int metta_printf(const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	metta_log(buf, (uint64_t)n);
	return n;
}
