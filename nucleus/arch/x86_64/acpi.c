/* ACPI table parser: see acpi.h. */
#include <bytes/le.h>
#include <arch/acpi.h>
#include <metta/status.h>

#define HDR_LEN	      36
#define MAX_TABLE_LEN (1u << 20)

static int same(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return 0;
	return 1;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static int fail(struct acpi_info *info, const char *why)
{
	info->error = why;
	return STATUS_ERR_CORRUPT;
}

/*
 * Maps a whole table at phys and checks its length and checksum. Returns it
 * with its length in *len, or NULL (info->error says why).
 */
static const uint8_t *map_table(uint64_t phys, acpi_map_fn map, uint32_t *len,
				struct acpi_info *info)
{
	const uint8_t *h = map(phys, HDR_LEN);
	if (!h) {
		info->error = "table outside memory";
		return NULL;
	}
	uint32_t n = le32(h + 4);
	if (n < HDR_LEN || n > MAX_TABLE_LEN) {
		info->error = "table length out of bounds";
		return NULL;
	}
	const uint8_t *t = map(phys, n);
	if (!t) {
		info->error = "table outside memory";
		return NULL;
	}
	if (sum(t, n) != 0) {
		info->error = "table checksum wrong";
		return NULL;
	}
	*len = n;
	return t;
}

static int madt_entry(const uint8_t *e, uint8_t type, uint8_t len,
		      struct acpi_info *info)
{
	switch (type) {
	case 0: /* processor local APIC */
		if (len < 8)
			return fail(info, "MADT local APIC entry too short");
		if ((le32(e + 4) & 1) && info->ncpus < ACPI_MAX_CPUS)
			info->apic_ids[info->ncpus++] = e[3];
		return STATUS_OK;
	case 1: /* I/O APIC */
		if (len < 12)
			return fail(info, "MADT I/O APIC entry too short");
		if (info->nioapics < ACPI_MAX_IOAPICS) {
			struct acpi_ioapic *io =
			    &info->ioapics[info->nioapics++];
			io->id = e[2];
			io->phys = le32(e + 4);
			io->gsi_base = le32(e + 8);
		}
		return STATUS_OK;
	case 2: /* interrupt source override */
		if (len < 10)
			return fail(info, "MADT override entry too short");
		if (info->noverrides < ACPI_MAX_OVERRIDES) {
			struct acpi_override *o =
			    &info->overrides[info->noverrides++];
			o->irq = e[3];
			o->gsi = le32(e + 4);
			o->flags = le16(e + 8);
		}
		return STATUS_OK;
	case 5: /* 64-bit local APIC address */
		if (len < 12)
			return fail(info, "MADT APIC address entry too short");
		info->lapic_phys = le64(e + 4);
		return STATUS_OK;
	case 9: /* processor local x2APIC */
		if (len < 16)
			return fail(info, "MADT x2APIC entry too short");
		if ((le32(e + 8) & 1) && info->ncpus < ACPI_MAX_CPUS)
			info->apic_ids[info->ncpus++] = le32(e + 4);
		return STATUS_OK;
	default:
		return STATUS_OK;
	}
}

static int parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *info)
{
	if (len < HDR_LEN + 8)
		return fail(info, "MADT too short");
	info->lapic_phys = le32(t + HDR_LEN);
	for (uint32_t off = HDR_LEN + 8; off < len;) {
		if (len - off < 2)
			return fail(info, "MADT entry header cut off");
		uint8_t type = t[off], elen = t[off + 1];
		if (elen < 2 || elen > len - off)
			return fail(info, "MADT entry length out of bounds");
		int r = madt_entry(t + off, type, elen, info);
		if (r)
			return r;
		off += elen;
	}
	if (info->ncpus == 0)
		return fail(info, "MADT lists no enabled processor");
	return STATUS_OK;
}

/* Skips an AML PkgLength; returns its size in bytes. */
static size_t pkg_length_size(uint8_t lead)
{
	return (size_t)(lead >> 6) + 1;
}

/* One integer element of a package: 0, or -1 if it is not a constant. */
static int aml_integer(const uint8_t *aml, size_t len, size_t *at,
		       uint16_t *value)
{
	if (*at >= len)
		return -1;
	uint8_t op = aml[(*at)++];
	if (op == 0x00 || op == 0x01) { /* ZeroOp, OneOp */
		*value = op;
		return 0;
	}
	if (op == 0x0a) { /* BytePrefix */
		if (*at >= len)
			return -1;
		*value = aml[(*at)++];
		return 0;
	}
	return -1;
}

int acpi_find_s5(const uint8_t *aml, size_t len, uint16_t *typa, uint16_t *typb)
{
	for (size_t i = 1; i + 4 <= len; i++) {
		if (!same(aml + i, "_S5_", 4))
			continue;
		/* Must be a NameOp (optionally with a root prefix '\'). */
		int named =
		    aml[i - 1] == 0x08 ||
		    (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08);
		if (!named)
			continue;
		size_t at = i + 4;
		if (at >= len || aml[at] != 0x12) /* PackageOp */
			return STATUS_ERR_CORRUPT;
		at++;
		if (at >= len)
			return STATUS_ERR_CORRUPT;
		at += pkg_length_size(aml[at]);
		at++; /* NumElements */
		if (aml_integer(aml, len, &at, typa) ||
		    aml_integer(aml, len, &at, typb))
			return STATUS_ERR_CORRUPT;
		return STATUS_OK;
	}
	return STATUS_ERR_NOENT;
}

static void parse_fadt(const uint8_t *t, uint32_t len, acpi_map_fn map,
		       struct acpi_info *info)
{
	if (len < 76)
		return;
	info->pm1a_cnt = le32(t + 64);
	info->pm1b_cnt = le32(t + 68);
	uint64_t dsdt = le32(t + 40);
	if (len >= 148 && le64(t + 140))
		dsdt = le64(t + 140);
	uint32_t dlen;
	const char *saved = info->error;
	const uint8_t *d = dsdt ? map_table(dsdt, map, &dlen, info) : NULL;
	info->error = saved; /* a bad DSDT only costs us power-off */
	if (d && same(d, "DSDT", 4) &&
	    acpi_find_s5(d + HDR_LEN, dlen - HDR_LEN, &info->slp_typa,
			 &info->slp_typb) == STATUS_OK)
		info->s5_valid = 1;
}

static int parse_table(uint64_t phys, acpi_map_fn map, struct acpi_info *info,
		       int *have_madt)
{
	/* Tables we do not use are not checked: a vendor's broken table
	 * must not stop the boot. */
	const uint8_t *h = map(phys, HDR_LEN);
	if (!h)
		return fail(info, "table outside memory");
	if (!same(h, "APIC", 4) && !same(h, "FACP", 4) && !same(h, "HPET", 4))
		return STATUS_OK;
	uint32_t len;
	const uint8_t *t = map_table(phys, map, &len, info);
	if (!t)
		return STATUS_ERR_CORRUPT;
	if (same(t, "APIC", 4)) {
		*have_madt = 1;
		return parse_madt(t, len, info);
	}
	if (same(t, "FACP", 4))
		parse_fadt(t, len, map, info);
	else if (same(t, "HPET", 4) && len >= 56)
		info->hpet_phys = le64(t + 44 + 4);
	return STATUS_OK;
}

static int check_rsdp(const uint8_t *r, size_t len, struct acpi_info *info)
{
	if (len < 20 || !same(r, "RSD PTR ", 8))
		return fail(info, "RSDP signature wrong");
	if (sum(r, 20) != 0)
		return fail(info, "RSDP checksum wrong");
	info->revision = r[15];
	for (int i = 0; i < 6; i++)
		info->oem[i] = (char)r[9 + i];
	info->oem[6] = 0;
	if (info->revision >= 2) {
		if (len < 36 || le32(r + 20) < 36 || le32(r + 20) > len)
			return fail(info, "RSDP 2.0 length wrong");
		if (sum(r, le32(r + 20)) != 0)
			return fail(info, "RSDP extended checksum wrong");
	}
	return STATUS_OK;
}

int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map,
	       struct acpi_info *info)
{
	const uint8_t *r = rsdp;
	*info = (struct acpi_info){ 0 };
	int rc = check_rsdp(r, rsdp_len, info);
	if (rc)
		return rc;

	int xsdt = info->revision >= 2 && le64(r + 24) != 0;
	uint64_t root = xsdt ? le64(r + 24) : le32(r + 16);
	uint32_t len;
	const uint8_t *t = map_table(root, map, &len, info);
	if (!t)
		return STATUS_ERR_CORRUPT;
	if (!same(t, xsdt ? "XSDT" : "RSDT", 4))
		return fail(info, "root table signature wrong");

	size_t width = xsdt ? 8 : 4;
	int have_madt = 0;
	for (size_t off = HDR_LEN; off + width <= len; off += width) {
		uint64_t phys = xsdt ? le64(t + off) : le32(t + off);
		rc = parse_table(phys, map, info, &have_madt);
		if (rc)
			return rc;
	}
	return have_madt ? STATUS_OK : fail(info, "no MADT");
}
