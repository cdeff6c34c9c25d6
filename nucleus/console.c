/*
 * kprintf: the nucleus's console output: COM1, and the log ring once a log
 * server has registered one (nucleus/log.c).
 */
#include <arch/serial.h>
#include <kprintf.h>
#include <log.h>

#include <fmt/fmt.h>

static void console_put(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	serial_write(s, n);
	log_ring_write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
	return fmt_vprint(console_put, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
