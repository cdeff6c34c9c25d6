#ifndef NUCLEUS_KPRINTF_H
#define NUCLEUS_KPRINTF_H

#include <stdarg.h>

/* Prints to the nucleus console (COM1); returns the bytes written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
