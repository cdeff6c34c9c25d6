/*
 * ACPI tables: what the nucleus needs from them, checked and copied out.
 *
 * Firmware tables are input like any other: every table's signature, length
 * and checksum are verified, every MADT entry must fit inside its table, and
 * a malformed table gives STATUS_ERR_CORRUPT with a reason, never a fault or
 * an endless loop. Tables are reached through a mapping callback so the
 * host tests can feed made-up memory.
 */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS	   64
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 24

/* Returns a pointer through which len bytes at phys can be read, or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len);

struct acpi_ioapic {
	uint8_t id;
	uint64_t phys;
	uint32_t gsi_base;
};

/* An ISA IRQ routed to another global system interrupt (MADT type 2). */
struct acpi_override {
	uint8_t irq;
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_info {
	int revision; /* of the RSDP: 0 = ACPI 1.0, 2 = ACPI 2.0+ */
	char oem[7];
	int ncpus; /* enabled processors */
	uint32_t apic_ids[ACPI_MAX_CPUS];
	uint64_t lapic_phys;
	int nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	int noverrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	uint64_t hpet_phys; /* 0 if no HPET table */
	uint32_t pm1a_cnt;  /* 0 if no FADT */
	uint32_t pm1b_cnt;
	int s5_valid; /* \_S5 found in the DSDT */
	uint16_t slp_typa, slp_typb;
	const char *error; /* why parsing failed */
};

/*
 * Reads the RSDP (a copy of rsdp_len bytes, e.g. from multiboot2), the
 * RSDT or XSDT, the MADT, FADT (+DSDT for \_S5) and HPET tables.
 * A missing MADT is an error; missing FADT or HPET are not.
 */
int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map,
	       struct acpi_info *info);

/* Finds \_S5's SLP_TYPa/b in AML: 0, STATUS_ERR_NOENT or ERR_CORRUPT. */
int acpi_find_s5(const uint8_t *aml, size_t len, uint16_t *typa,
		 uint16_t *typb);

#endif
