/*
 * A newc (cpio) archive builder for host tests of lib/cpio and ramfs:
 * entries appended to a caller's buffer, names and data 4-byte aligned.
 */
#ifndef TESTS_HOST_NEWC_H
#define TESTS_HOST_NEWC_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct newc {
	uint8_t *buf;
	size_t len;
};

/* Appends one entry: magic 070702 when crc is set, else 070701. */
static inline void newc_add(struct newc *a, const char *name, uint32_t mode,
			    const char *data, uint32_t mtime, int crc)
{
	size_t namesize = strlen(name) + 1, size = data ? strlen(data) : 0;
	a->len += (size_t)sprintf((char *)a->buf + a->len,
				  "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
				  "%08X%08X%08X",
				  crc ? "070702" : "070701", 1u, mode, 0u, 0u, 1u,
				  mtime, (unsigned)size, 0u, 0u, 0u, 0u,
				  (unsigned)namesize, 0u);
	memcpy(a->buf + a->len, name, namesize);
	a->len += namesize;
	while (a->len % 4)
		a->buf[a->len++] = 0;
	memcpy(a->buf + a->len, data ? data : "", size);
	a->len += size;
	while (a->len % 4)
		a->buf[a->len++] = 0;
}

#endif
