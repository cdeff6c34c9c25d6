/* Multiboot2 boot information parser: see multiboot2.h. */
#include <bytes/le.h>
#include <arch/multiboot2.h>
#include <metta/status.h>

enum {
	TAG_END = 0,
	TAG_CMDLINE = 1,
	TAG_LOADER_NAME = 2,
	TAG_MODULE = 3,
	TAG_MMAP = 6,
	TAG_ACPI_OLD = 14,
	TAG_ACPI_NEW = 15,
};

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

static int fail(struct mb2_info *info, const char *why)
{
	info->error = why;
	return STATUS_ERR_CORRUPT;
}

/* A string field: must end with a NUL before the tag does. */
static const char *tag_string(const uint8_t *s, size_t room)
{
	for (size_t i = 0; i < room; i++)
		if (s[i] == 0)
			return (const char *)s;
	return NULL;
}

static int parse_mmap(const uint8_t *tag, uint32_t size, struct mb2_info *info)
{
	if (size < 16)
		return fail(info, "memory map tag too small");
	uint32_t entry_size = le32(tag + 8);
	if (entry_size < 24 || entry_size % 8)
		return fail(info, "memory map entry size invalid");
	for (uint32_t off = 16; off + entry_size <= size; off += entry_size) {
		if (info->nmmap == MB2_MAX_MMAP)
			return fail(info, "memory map has too many entries");
		struct mb2_mmap_entry *e = &info->mmap[info->nmmap++];
		e->base = le64(tag + off);
		e->len = le64(tag + off + 8);
		e->type = le32(tag + off + 16);
		if (e->base + e->len < e->base)
			return fail(info, "memory map entry wraps around");
	}
	return STATUS_OK;
}

static int parse_module(const uint8_t *tag, uint32_t size,
			struct mb2_info *info)
{
	if (size < 17)
		return fail(info, "module tag too small");
	if (info->nmodules == MB2_MAX_MODULES)
		return fail(info, "too many modules");
	struct mb2_module *m = &info->modules[info->nmodules];
	m->start = le32(tag + 8);
	m->end = le32(tag + 12);
	m->name = tag_string(tag + 16, size - 16);
	if (!m->name)
		return fail(info, "module name not terminated");
	if (m->end < m->start)
		return fail(info, "module ends before it starts");
	info->nmodules++;
	return STATUS_OK;
}

static int parse_tag(const uint8_t *tag, uint32_t type, uint32_t size,
		     struct mb2_info *info)
{
	switch (type) {
	case TAG_CMDLINE:
		info->cmdline = tag_string(tag + 8, size - 8);
		return info->cmdline
			   ? STATUS_OK
			   : fail(info, "command line not terminated");
	case TAG_LOADER_NAME:
		info->loader_name = tag_string(tag + 8, size - 8);
		return info->loader_name
			   ? STATUS_OK
			   : fail(info, "loader name not terminated");
	case TAG_MODULE:
		return parse_module(tag, size, info);
	case TAG_MMAP:
		return parse_mmap(tag, size, info);
	case TAG_ACPI_OLD:
	case TAG_ACPI_NEW: {
		size_t need = type == TAG_ACPI_NEW ? RSDP_V2_LEN : RSDP_V1_LEN;
		if (size - 8 < need)
			return fail(info, "ACPI RSDP tag too small");
		/* Prefer the ACPI 2.0 copy when the loader gives both. */
		if (!info->rsdp || type == TAG_ACPI_NEW) {
			info->rsdp = tag + 8;
			info->rsdp_len = size - 8;
		}
		return STATUS_OK;
	}
	default:
		return STATUS_OK; /* tags we do not use */
	}
}

int mb2_parse(const void *mbi, size_t avail, struct mb2_info *info)
{
	const uint8_t *base = mbi;
	*info = (struct mb2_info){ .cmdline = "", .loader_name = "" };

	if (avail < 16)
		return fail(info, "structure smaller than its header");
	if ((uintptr_t)mbi % 8)
		return fail(info, "structure not 8-byte aligned");
	uint32_t total = le32(base);
	if (total < 16 || total > avail)
		return fail(info, "total size out of bounds");
	info->total_size = total;

	uint32_t off = 8;
	for (;;) {
		if (off + 8 > total)
			return fail(info, "no end tag");
		uint32_t type = le32(base + off);
		uint32_t size = le32(base + off + 4);
		if (size < 8 || size > total - off)
			return fail(info, "tag size out of bounds");
		if (type == TAG_END)
			return size == 8 ? STATUS_OK
					 : fail(info, "bad end tag");
		int r = parse_tag(base + off, type, size, info);
		if (r)
			return r;
		off += (size + 7) & ~7u;
	}
}
