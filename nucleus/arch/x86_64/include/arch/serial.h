#ifndef ARCH_SERIAL_H
#define ARCH_SERIAL_H

#include <stddef.h>

void serial_init(void);
/* Writes n bytes to COM1, turning "\n" into "\r\n". */
void serial_write(const char *s, size_t n);

#endif
