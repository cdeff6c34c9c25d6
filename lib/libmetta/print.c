/* printf for native programs: to the nucleus log, or to the console. */
#include <fmt/fmt.h>

#include "metta.h"

#define LINE_MAX 1024

/* Formats into a line buffer; returns the length kept (clipped). */
static uint64_t format_line(char *buf, const char *fmt, va_list ap)
{
	int n = fmt_vsnprintf(buf, LINE_MAX, fmt, ap);
	return (uint64_t)(n >= LINE_MAX ? LINE_MAX - 1 : n);
}

int metta_vprintf(const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	uint64_t n = format_line(buf, fmt, ap);
	metta_log(buf, n);
	return (int)n;
}

int metta_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = metta_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int metta_tty_printf(const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	uint64_t n = format_line(buf, fmt, ap);
	va_end(ap);
	metta_tty_write(buf, n);
	return (int)n;
}
