/* MBR and GPT partition tables: see part.h. */
#include "part.h"

#define MBR_TABLE     446 /* four 16-byte entries */
#define MBR_SIG	      510 /* 0x55 0xaa */
#define MBR_PROTECTIVE 0xee
#define GPT_SIG	      0x5452415020494645ull /* "EFI PART" */
#define GPT_MIN_HDR   92
#define GPT_MIN_ENT   128

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The CRC register after n more bytes (start: ~0; the CRC: its ~). */
static uint32_t crc_update(uint32_t c, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & -(c & 1));
	}
	return c;
}

uint32_t part_crc32(const uint8_t *p, uint64_t n)
{
	return ~crc_update(0xffffffffu, p, n);
}

/* Keeps partition number of [start, start + count) if it fits the disk. */
static void add(struct part_table *t, uint64_t sectors, uint32_t number,
		uint8_t type, uint64_t start, uint64_t count)
{
	if (count == 0 || start == 0 || start >= sectors ||
	    count > sectors - start || t->n == PART_MAX) {
		t->bad++;
		return;
	}
	t->p[t->n++] = (struct part){ number, type, start, count };
}

static int is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/*
 * The logical partitions of the extended partition at `base`: each EBR
 * holds one partition (relative to itself) and the next EBR (relative
 * to base).
 */
static int logical(part_read_fn rd, void *ctx, uint64_t sectors,
		   uint64_t base, struct part_table *t, uint8_t *buf)
{
	uint64_t ebr = base;
	for (uint32_t k = 0; k < PART_MAX_EBR && ebr < sectors; k++) {
		int rc = rd(ctx, ebr, buf);
		if (rc)
			return rc;
		if (buf[MBR_SIG] != 0x55 || buf[MBR_SIG + 1] != 0xaa)
			return 0;
		const uint8_t *e = buf + MBR_TABLE;
		if (e[4])
			add(t, sectors, 5 + k, e[4], ebr + le(e + 8, 4),
			    le(e + 12, 4));
		const uint8_t *next = e + 16;
		if (!is_extended(next[4]) || le(next + 8, 4) == 0)
			return 0;
		ebr = base + le(next + 8, 4);
	}
	return 0;
}

/* A used GPT entry (its type GUID not zero) becomes partition number. */
static void gpt_entry(struct part_table *t, uint64_t sectors, uint32_t number,
		      const uint8_t *e)
{
	if (le(e, 8) == 0 && le(e + 8, 8) == 0)
		return;
	uint64_t lo = le(e + 32, 8), hi = le(e + 40, 8);
	if (hi < lo || hi >= sectors)
		t->bad++;
	else
		add(t, sectors, number, 0, lo, hi - lo + 1);
}

/* A GPT header at lba whose own and whose entries' checksums are right:
 * its entries kept in t. 1 if it was one, 0 if not, or the reader's
 * error. */
static int gpt_at(part_read_fn rd, void *ctx, uint64_t sectors, uint64_t lba,
		  struct part_table *t, uint8_t *buf)
{
	int rc = rd(ctx, lba, buf);
	if (rc)
		return rc;
	uint32_t hsize = (uint32_t)le(buf + 12, 4);
	if (le(buf, 8) != GPT_SIG || hsize < GPT_MIN_HDR || hsize > PART_SECTOR ||
	    le(buf + 24, 8) != lba)
		return 0;
	uint32_t want = (uint32_t)le(buf + 16, 4);
	buf[16] = buf[17] = buf[18] = buf[19] = 0;
	if (part_crc32(buf, hsize) != want)
		return 0;
	uint64_t first = le(buf + 72, 8);
	uint32_t nent = (uint32_t)le(buf + 80, 4);
	uint32_t esize = (uint32_t)le(buf + 84, 4);
	uint32_t ecrc = (uint32_t)le(buf + 88, 4);
	if (esize < GPT_MIN_ENT || esize > PART_SECTOR ||
	    PART_SECTOR % esize || nent > PART_GPT_MAXENT || first >= sectors)
		return 0;
	/* The entries' checksum first, then the entries: a sector at a time
	 * (at most 32 of them), read twice rather than kept. */
	uint32_t per = PART_SECTOR / esize, nsec = (nent + per - 1) / per;
	uint32_t c = 0xffffffffu;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && ~c != ecrc)
			return 0;
		for (uint32_t s = 0; s < nsec; s++) {
			if ((rc = rd(ctx, first + s, buf)))
				return rc;
			for (uint32_t i = 0; i < per && s * per + i < nent; i++)
				if (pass == 0)
					c = crc_update(c, buf + i * esize,
						       esize);
				else
					gpt_entry(t, sectors, s * per + i + 1,
						  buf + i * esize);
		}
	}
	return 1;
}

int part_scan(part_read_fn rd, void *ctx, uint64_t sectors,
	      struct part_table *t)
{
	uint8_t buf[PART_SECTOR];
	*t = (struct part_table){ PART_NONE, 0, 0, { { 0, 0, 0, 0 } } };
	if (sectors < 2)
		return 0;
	int rc = rd(ctx, 0, buf);
	if (rc || buf[MBR_SIG] != 0x55 || buf[MBR_SIG + 1] != 0xaa)
		return rc;
	uint8_t mbr[4 * 16];
	for (int i = 0; i < 4 * 16; i++)
		mbr[i] = buf[MBR_TABLE + i];
	for (int i = 0; i < 4; i++)
		if (mbr[i * 16 + 4] == MBR_PROTECTIVE) {
			t->scheme = PART_GPT;
			rc = gpt_at(rd, ctx, sectors, 1, t, buf);
			if (rc == 0) /* the primary is damaged: the backup */
				rc = gpt_at(rd, ctx, sectors, sectors - 1, t,
					    buf);
			return rc < 0 ? rc : 0;
		}
	t->scheme = PART_MBR;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = mbr + i * 16;
		uint64_t start = le(e + 8, 4), count = le(e + 12, 4);
		if (!e[4])
			continue;
		if (!is_extended(e[4]))
			add(t, sectors, (uint32_t)i + 1, e[4], start, count);
		else if ((rc = logical(rd, ctx, sectors, start, t, buf)))
			return rc;
	}
	return 0;
}
