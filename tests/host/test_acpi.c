/* Host tests of the ACPI parser on made-up firmware tables. */
#include <arch/acpi.h>
#include <metta/status.h>
#include <stdint.h>

#include "check.h"

#define BASE 0xe0000u
#define SIZE 0x4000u

static uint8_t mem[SIZE];
static uint8_t rsdp[36];

static const void *map(uint64_t phys, size_t len)
{
	if (phys < BASE || phys - BASE > SIZE || len > SIZE - (phys - BASE))
		return NULL;
	return mem + (phys - BASE);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void checksum(uint8_t *p, size_t n, uint8_t *field)
{
	uint8_t s = 0;
	*field = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	*field = (uint8_t)-s;
}

/* A table header at offset off; returns a pointer to the table. */
static uint8_t *table(uint32_t off, const char *sig, uint32_t len)
{
	uint8_t *t = mem + off;
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 1;
	memcpy(t + 10, "METTA ", 6);
	return t;
}

static void seal(uint8_t *t)
{
	uint32_t len;
	memcpy(&len, t + 4, 4);
	checksum(t, len, t + 9);
}

/* MADT with two enabled CPUs, one disabled, one I/O APIC, one override. */
static uint32_t madt_len;
static void build_madt(uint32_t off)
{
	madt_len = 36 + 8 + 3 * 8 + 12 + 10;
	uint8_t *t = table(off, "APIC", madt_len), *e = t + 44;
	put32(t + 36, 0xfee00000);
	for (int i = 0; i < 3; i++, e += 8) {
		e[0] = 0, e[1] = 8, e[2] = (uint8_t)i, e[3] = (uint8_t)i;
		put32(e + 4, i == 2 ? 0 : 1);
	}
	e[0] = 1, e[1] = 12, e[2] = 7;
	put32(e + 4, 0xfec00000), put32(e + 8, 0);
	e += 12;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = 0;
	put32(e + 4, 2), put16(e + 8, 0);
	seal(t);
}

/* DSDT whose AML holds Name(_S5_, Package(4){0x05, One, 0, 0}). */
static void build_dsdt(uint32_t off)
{
	static const uint8_t aml[] = {
		0x10, 0x08, '_',  'S',	'5',  '_',  0x12,
		0x08, 0x04, 0x0a, 0x05, 0x01, 0x00, 0x00
	};
	uint8_t *t = table(off, "DSDT", 36 + sizeof(aml));
	memcpy(t + 36, aml, sizeof(aml));
	seal(t);
}

static void build_fadt(uint32_t off, uint32_t dsdt)
{
	uint8_t *t = table(off, "FACP", 116);
	put32(t + 40, dsdt);
	put32(t + 64, 0x604);
	seal(t);
}

static void build_hpet(uint32_t off)
{
	uint8_t *t = table(off, "HPET", 56);
	put64(t + 48, 0xfed00000);
	seal(t);
}

/* XSDT (ACPI 2.0) or RSDT (1.0) listing MADT, FADT and HPET. */
static void build(int v2)
{
	memset(mem, 0, sizeof(mem));
	memset(rsdp, 0, sizeof(rsdp));
	build_madt(0x100);
	build_dsdt(0x300);
	build_fadt(0x400, BASE + 0x300);
	build_hpet(0x500);
	uint32_t entries[] = { BASE + 0x100, BASE + 0x400, BASE + 0x500 };
	if (v2) {
		uint8_t *x = table(0x800, "XSDT", 36 + 3 * 8);
		for (int i = 0; i < 3; i++)
			put64(x + 36 + 8 * i, entries[i]);
		seal(x);
	} else {
		uint8_t *r = table(0x800, "RSDT", 36 + 3 * 4);
		for (int i = 0; i < 3; i++)
			put32(r + 36 + 4 * i, entries[i]);
		seal(r);
	}
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "METTA ", 6);
	rsdp[15] = v2 ? 2 : 0;
	put32(rsdp + 16, v2 ? 0 : BASE + 0x800);
	if (v2) {
		put32(rsdp + 20, 36);
		put64(rsdp + 24, BASE + 0x800);
	}
	checksum(rsdp, 20, rsdp + 8);
	if (v2)
		checksum(rsdp, 36, rsdp + 32);
}

static int parses_acpi2_tables(void)
{
	struct acpi_info info;
	build(1);
	CHECK(acpi_parse(rsdp, 36, map, &info) == 0);
	CHECK(info.revision == 2);
	CHECK_STR(info.oem, "METTA ");
	CHECK(info.ncpus == 2 && info.apic_ids[1] == 1);
	CHECK(info.lapic_phys == 0xfee00000);
	CHECK(info.nioapics == 1 && info.ioapics[0].phys == 0xfec00000 &&
	      info.ioapics[0].id == 7);
	CHECK(info.noverrides == 1 && info.overrides[0].gsi == 2);
	CHECK(info.hpet_phys == 0xfed00000);
	CHECK(info.pm1a_cnt == 0x604);
	CHECK(info.s5_valid && info.slp_typa == 5 && info.slp_typb == 1);
	return 0;
}

static int parses_acpi1_tables(void)
{
	struct acpi_info info;
	build(0);
	CHECK(acpi_parse(rsdp, 20, map, &info) == 0);
	CHECK(info.revision == 0 && info.ncpus == 2);
	return 0;
}

static int bad_rsdp(void)
{
	struct acpi_info info;
	build(1);
	rsdp[0] = 'X';
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	build(1);
	rsdp[12] ^= 1; /* breaks both checksums */
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "checksum"));
	build(1);
	CHECK(acpi_parse(rsdp, 19, map, &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int bad_table_checksum(void)
{
	struct acpi_info info;
	build(1);
	mem[0x100 + 40] ^= 0xff; /* inside the MADT */
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "checksum"));
	return 0;
}

static int table_outside_memory(void)
{
	struct acpi_info info;
	build(1);
	put64(mem + 0x800 + 36, 0x12345678); /* XSDT points nowhere */
	seal(mem + 0x800);
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	build(1);
	put32(mem + 0x100 + 4, SIZE); /* MADT longer than memory */
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	build(1);
	put32(mem + 0x100 + 4, 10); /* shorter than its own header */
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int madt_entry_lengths(void)
{
	struct acpi_info info;
	build(1);
	mem[0x100 + 44 + 1] = 0; /* zero-length entry: would loop forever */
	seal(mem + 0x100);
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	build(1);
	mem[0x100 + 44 + 8 * 3 + 12 + 1] = 200; /* runs past the table */
	seal(mem + 0x100);
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	build(1);
	mem[0x100 + 44 + 1] = 4; /* too short for a local APIC entry */
	seal(mem + 0x100);
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int missing_madt(void)
{
	struct acpi_info info;
	build(1);
	memcpy(mem + 0x100, "XXXX", 4); /* not a table we use: skipped */
	CHECK(acpi_parse(rsdp, 36, map, &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "no MADT"));
	return 0;
}

static int broken_dsdt_costs_only_poweroff(void)
{
	struct acpi_info info;
	build(1);
	mem[0x300 + 40] ^= 0xff; /* DSDT checksum now wrong */
	CHECK(acpi_parse(rsdp, 36, map, &info) == 0);
	CHECK(!info.s5_valid && info.ncpus == 2);
	return 0;
}

static int s5_parser(void)
{
	uint16_t a, b;
	static const uint8_t with_root[] = { 0x08, '\\', '_',  'S',  '5',
					     '_',  0x12, 0x06, 0x04, 0x00,
					     0x00, 0x00, 0x00 };
	CHECK(acpi_find_s5(with_root, sizeof(with_root), &a, &b) == 0);
	CHECK(a == 0 && b == 0);
	static const uint8_t cut[] = { 0x08, '_',  'S',	 '5', '_',
				       0x12, 0x06, 0x04, 0x0a };
	CHECK(acpi_find_s5(cut, sizeof(cut), &a, &b) == STATUS_ERR_CORRUPT);
	static const uint8_t not_package[] = {
		0x08, '_', 'S', '5', '_', 0x0a, 1
	};
	CHECK(acpi_find_s5(not_package, sizeof(not_package), &a, &b) ==
	      STATUS_ERR_CORRUPT);
	static const uint8_t absent[] = { 0x08, '_', 'S', '4', '_', 0x12 };
	CHECK(acpi_find_s5(absent, sizeof(absent), &a, &b) == STATUS_ERR_NOENT);
	static const uint8_t at_end[] = { 0x08, '_', 'S', '5', '_' };
	CHECK(acpi_find_s5(at_end, sizeof(at_end), &a, &b) ==
	      STATUS_ERR_CORRUPT);
	return 0;
}

int main(void)
{
	RUN(parses_acpi2_tables);
	RUN(parses_acpi1_tables);
	RUN(bad_rsdp);
	RUN(bad_table_checksum);
	RUN(table_outside_memory);
	RUN(madt_entry_lengths);
	RUN(missing_madt);
	RUN(broken_dsdt_costs_only_poweroff);
	RUN(s5_parser);
	return check_done();
}
