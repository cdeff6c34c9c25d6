/* newc cpio reader: every length is checked against what is left. */
#include "cpio/cpio.h"

#include <metta/status.h>

/* Fields after the magic, in header order. */
enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	NFIELDS
};

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
	it->base = archive;
	it->len = len;
	it->pos = 0;
	it->state = 0;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Eight hex digits at p into *v: 0, or -1 for any other character. */
static int hex8(const uint8_t *p, uint32_t *v)
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++) {
		int d = hexval(p[i]);
		if (d < 0)
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return 0;
}

static int magic_ok(const uint8_t *p)
{
	static const char m[] = "07070";
	for (int i = 0; i < 5; i++)
		if (p[i] != (uint8_t)m[i])
			return 0;
	return p[5] == '1' || p[5] == '2';
}

/* n rounded up to 4; n is at most the archive length plus 3. */
static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int corrupt(struct cpio_iter *it)
{
	it->state = -1;
	return STATUS_ERR_CORRUPT;
}

static int is_trailer(const struct cpio_entry *e)
{
	static const char t[] = CPIO_TRAILER;
	if (e->namelen != sizeof(t) - 1)
		return 0;
	for (size_t i = 0; i < e->namelen; i++)
		if (e->name[i] != t[i])
			return 0;
	return 1;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	if (it->state)
		return it->state > 0 ? 0 : STATUS_ERR_CORRUPT;
	size_t left = it->len - it->pos;
	const uint8_t *h = it->base + it->pos;
	uint32_t f[NFIELDS];
	if (left < CPIO_HEADER || !magic_ok(h))
		return corrupt(it);
	for (int i = 0; i < NFIELDS; i++)
		if (hex8(h + 6 + 8 * i, &f[i]))
			return corrupt(it);
	/* Offsets are relative to this header, which is 4-aligned. */
	size_t namesize = f[F_NAMESIZE], size = f[F_FILESIZE];
	if (namesize == 0 || namesize > left - CPIO_HEADER)
		return corrupt(it);
	size_t dataoff = align4(CPIO_HEADER + namesize);
	if (dataoff > left || h[CPIO_HEADER + namesize - 1] != 0 ||
	    size > left - dataoff)
		return corrupt(it);
	size_t end = align4(dataoff + size);
	if (end > left)
		return corrupt(it);
	e->name = (const char *)h + CPIO_HEADER;
	e->namelen = namesize - 1;
	for (size_t i = 0; i < e->namelen; i++)
		if (e->name[i] == 0)
			return corrupt(it);
	e->mode = f[F_MODE];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->data = h + dataoff;
	e->size = size;
	if (is_trailer(e)) {
		it->state = 1;
		return 0;
	}
	it->pos += end;
	return 1;
}
