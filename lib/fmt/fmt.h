/*
 * fmt: a small printf engine without libc, shared by the nucleus and any
 * freestanding code. Output goes through a callback so that the same code
 * serves the serial console, string buffers and (later) the log.
 *
 * Supported: flags "-+ #0", width and precision (numbers or '*'), length
 * modifiers hh h l ll z j t, conversions d i u o x X p s c %.
 * Unknown conversions are printed literally, never skipped silently.
 */
#ifndef METTA_FMT_H
#define METTA_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives n bytes of output (not NUL-terminated). */
typedef void (*fmt_put_fn)(void *ctx, const char *s, size_t n);

/* Formats to put(); returns the number of bytes produced. */
int fmt_vprint(fmt_put_fn put, void *ctx, const char *fmt, va_list ap);

/*
 * Like C's vsnprintf: writes at most size-1 bytes and a NUL (if size > 0),
 * returns the length the whole output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
