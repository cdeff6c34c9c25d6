/*
 * Reader of cpio "newc" archives (the initramfs format): each entry is a
 * 110-byte ASCII header (magic "070701", or "070702" with checksums, then
 * 13 fields of 8 hex digits), the NUL-terminated name, the file data; name
 * and data each padded so the next part starts 4-aligned from the start
 * of the archive. The entry named "TRAILER!!!" ends it.
 *
 * The archive is untrusted: nothing is read past its end, and a truncated
 * or corrupt entry is an error rather than a short archive.
 */
#ifndef LIB_CPIO_CPIO_H
#define LIB_CPIO_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER  110
#define CPIO_S_IFMT  0170000
#define CPIO_S_IFDIR 0040000
#define CPIO_S_IFREG 0100000
#define CPIO_S_IFLNK 0120000
#define CPIO_TRAILER "TRAILER!!!"

struct cpio_entry {
	const char *name; /* NUL-terminated, inside the archive */
	size_t namelen;	  /* without the NUL */
	uint32_t mode, uid, gid, nlink, mtime;
	const void *data; /* size bytes inside the archive */
	size_t size;
};

struct cpio_iter {
	const uint8_t *base;
	size_t len, pos;
	int state; /* 0 going, 1 trailer seen, -1 corrupt */
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len);

/*
 * The next entry: 1 and *e, 0 once the trailer is reached (and on every
 * later call), or STATUS_ERR_CORRUPT for a bad magic, a non-hex field, a
 * name without its NUL, or anything (padding included) running past the
 * end of the archive; the error also sticks.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

#endif
