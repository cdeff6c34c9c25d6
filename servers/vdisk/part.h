/*
 * Partition tables (MBR and GPT), read through a sector-reading function:
 * pure code, host-tested (tests/host/test_vdisk_part.c).
 *
 * Numbering follows Linux's: an MBR's primary entries are partitions 1-4
 * by their slot, logical partitions inside an extended one 5 and up in
 * chain order; a GPT's entries are numbered by their index from 1. A disk
 * whose MBR holds a protective entry (type 0xee) is read as GPT: the
 * primary header at LBA 1, or the backup in the last sector when the
 * primary's checksums are wrong. Entries that do not fit inside the disk
 * are left out (and counted in `bad`).
 */
#ifndef VDISK_PART_H
#define VDISK_PART_H

#include <stdint.h>

#define PART_SECTOR   512
#define PART_MAX      16  /* partitions kept per disk */
#define PART_MAX_EBR  64  /* logical partitions followed in a chain */
#define PART_GPT_MAXENT 128 /* GPT entries read (the usual table) */

enum part_scheme { PART_NONE, PART_MBR, PART_GPT };

struct part {
	uint32_t number; /* partK */
	uint8_t mbr_type; /* MBR: the entry's type; GPT: 0 */
	uint64_t start;	  /* first sector */
	uint64_t count;	  /* sectors */
};

struct part_table {
	enum part_scheme scheme;
	uint32_t n, bad;
	struct part p[PART_MAX];
};

/* Reads sector lba into buf (PART_SECTOR bytes): 0, or a negative errno. */
typedef int (*part_read_fn)(void *ctx, uint64_t lba, uint8_t *buf);

/*
 * Reads the table of a disk of `sectors` sectors into t: 0 (a disk with
 * no table has scheme PART_NONE and no partitions), or the reader's
 * error.
 */
int part_scan(part_read_fn rd, void *ctx, uint64_t sectors,
	      struct part_table *t);

/* The CRC-32 GPT uses (IEEE 802.3, reflected, as zlib's crc32). */
uint32_t part_crc32(const uint8_t *p, uint64_t n);

#endif
