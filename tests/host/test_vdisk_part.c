/*
 * vdisk's partition tables (servers/vdisk/part.c) on disk images built
 * here byte by byte, as fdisk and sgdisk write them: MBR primaries, an
 * extended partition's chain of logical ones, GPT with its checksums, a
 * damaged primary GPT (the backup is used), damaged tables, entries
 * outside the disk, and a reader that fails.
 */
#include <stdlib.h>

#include "check.h"
#include "../../servers/vdisk/part.h"

#define SECTORS 4096

static uint8_t disk[SECTORS][PART_SECTOR];
static int reads, fail_at = -1;

static int rd(void *ctx, uint64_t lba, uint8_t *buf)
{
	(void)ctx;
	reads++;
	if (lba >= SECTORS || (int)lba == fail_at)
		return -5;
	memcpy(buf, disk[lba], PART_SECTOR);
	return 0;
}

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void mbr_entry(uint64_t lba, int slot, uint8_t type, uint32_t start,
		      uint32_t count)
{
	uint8_t *e = disk[lba] + 446 + slot * 16;
	e[4] = type;
	put(e + 8, start, 4);
	put(e + 12, count, 4);
	disk[lba][510] = 0x55, disk[lba][511] = 0xaa;
}

static void wipe(void)
{
	memset(disk, 0, sizeof(disk));
	fail_at = -1;
}

/* A GPT whose header is at lba and entries at `entries`, with n used
 * entries (start, end inclusive) at indexes idx[]. */
static void gpt(uint64_t lba, uint64_t entries, int n, const int *idx,
		const uint64_t (*range)[2])
{
	uint8_t table[128 * 128] = { 0 };
	for (int i = 0; i < n; i++) {
		uint8_t *e = table + idx[i] * 128;
		memset(e, 0xa5, 16); /* type GUID */
		put(e + 32, range[i][0], 8);
		put(e + 40, range[i][1], 8);
	}
	memcpy(disk[entries], table, sizeof(table));
	uint8_t *h = disk[lba];
	memset(h, 0, PART_SECTOR);
	memcpy(h, "EFI PART", 8);
	put(h + 8, 0x10000, 4);
	put(h + 12, 92, 4);
	put(h + 24, lba, 8);
	put(h + 72, entries, 8);
	put(h + 80, 128, 4);
	put(h + 84, 128, 4);
	put(h + 88, part_crc32(table, sizeof(table)), 4);
	put(h + 16, part_crc32(h, 92), 4);
}

static void protective(void)
{
	mbr_entry(0, 0, 0xee, 1, SECTORS - 1);
}

static int mbr_primaries(void)
{
	wipe();
	mbr_entry(0, 0, 0x83, 2048, 1024);
	mbr_entry(0, 2, 0x0c, 3072, 1024);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.scheme == PART_MBR && t.n == 2 && t.bad == 0);
	CHECK(t.p[0].number == 1 && t.p[0].start == 2048 && t.p[0].count == 1024);
	CHECK(t.p[0].mbr_type == 0x83);
	CHECK(t.p[1].number == 3 && t.p[1].start == 3072);
	return 0;
}

static int mbr_logical_chain(void)
{
	wipe();
	mbr_entry(0, 0, 0x83, 64, 100);
	mbr_entry(0, 1, 0x05, 1000, 2000);
	/* EBR 1 at 1000: a partition at +10, the next EBR at base + 500. */
	mbr_entry(1000, 0, 0x83, 10, 90);
	mbr_entry(1000, 1, 0x05, 500, 600);
	mbr_entry(1500, 0, 0x82, 20, 80);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.n == 3);
	CHECK(t.p[1].number == 5 && t.p[1].start == 1010 && t.p[1].count == 90);
	CHECK(t.p[2].number == 6 && t.p[2].start == 1520 && t.p[2].count == 80);
	return 0;
}

static int mbr_loop_ends(void)
{
	wipe();
	mbr_entry(0, 0, 0x05, 100, 200);
	mbr_entry(100, 0, 0x83, 1, 5);
	mbr_entry(100, 1, 0x05, 0, 0); /* offset 0: the end */
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0 && t.n == 1);
	/* A chain pointing at itself stops after PART_MAX_EBR EBRs. */
	mbr_entry(100, 1, 0x05, 0, 10);
	put(disk[100] + 446 + 16 + 8, 0, 4);
	wipe();
	mbr_entry(0, 0, 0x05, 100, 200);
	mbr_entry(100, 0, 0x83, 1, 5);
	mbr_entry(100, 1, 0x05, 50, 10);
	mbr_entry(150, 0, 0x83, 1, 5);
	mbr_entry(150, 1, 0x05, 50, 10); /* back to 150 itself */
	reads = 0;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(reads <= 1 + PART_MAX_EBR && t.n == PART_MAX);
	return 0;
}

static int mbr_outside_disk(void)
{
	wipe();
	mbr_entry(0, 0, 0x83, SECTORS - 10, 20); /* past the end */
	mbr_entry(0, 1, 0x83, 0, 20);		  /* over the MBR */
	mbr_entry(0, 2, 0x83, 100, 0);		  /* empty */
	mbr_entry(0, 3, 0x83, 200, 10);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.n == 1 && t.bad == 3 && t.p[0].number == 4);
	return 0;
}

static int no_table(void)
{
	wipe();
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.scheme == PART_NONE && t.n == 0);
	CHECK(part_scan(rd, 0, 1, &t) == 0 && t.n == 0);
	return 0;
}

static const int idx3[] = { 0, 1, 5 };
static const uint64_t ranges3[][2] = { { 34, 1057 }, { 1058, 2081 },
				       { 2082, 4000 } };

static int gpt_primary(void)
{
	wipe();
	protective();
	gpt(1, 2, 3, idx3, ranges3);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.scheme == PART_GPT && t.n == 3 && t.bad == 0);
	CHECK(t.p[0].number == 1 && t.p[0].start == 34 && t.p[0].count == 1024);
	CHECK(t.p[2].number == 6 && t.p[2].start == 2082 &&
	      t.p[2].count == 1919);
	return 0;
}

static int gpt_backup_when_primary_damaged(void)
{
	wipe();
	protective();
	gpt(1, 2, 3, idx3, ranges3);
	gpt(SECTORS - 1, SECTORS - 33, 2, idx3, ranges3);
	disk[2][40] ^= 1; /* the primary's entries no longer match */
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.scheme == PART_GPT && t.n == 2);
	disk[SECTORS - 1][100 - 90] ^= 1; /* the backup's header too */
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0 && t.n == 0);
	return 0;
}

static int gpt_bad_entries(void)
{
	wipe();
	protective();
	static const uint64_t r[][2] = { { 100, 50 }, { 100, SECTORS },
					 { 200, 300 } };
	gpt(1, 2, 3, idx3, r);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0);
	CHECK(t.n == 1 && t.bad == 2 && t.p[0].number == 6);
	return 0;
}

static int gpt_bad_header_fields(void)
{
	wipe();
	protective();
	gpt(1, 2, 3, idx3, ranges3);
	put(disk[1] + 84, 100, 4); /* entry size not dividing a sector */
	put(disk[1] + 16, 0, 4);
	put(disk[1] + 16, part_crc32(disk[1], 92), 4);
	struct part_table t;
	CHECK(part_scan(rd, 0, SECTORS, &t) == 0 && t.n == 0);
	return 0;
}

static int reader_errors(void)
{
	wipe();
	struct part_table t;
	fail_at = 0;
	CHECK(part_scan(rd, 0, SECTORS, &t) == -5);
	protective();
	gpt(1, 2, 3, idx3, ranges3);
	fail_at = 3;
	CHECK(part_scan(rd, 0, SECTORS, &t) == -5);
	return 0;
}

int main(void)
{
	RUN(mbr_primaries);
	RUN(mbr_logical_chain);
	RUN(mbr_loop_ends);
	RUN(mbr_outside_disk);
	RUN(no_table);
	RUN(gpt_primary);
	RUN(gpt_backup_when_primary_damaged);
	RUN(gpt_bad_entries);
	RUN(gpt_bad_header_fields);
	RUN(reader_errors);
	return check_done();
}
