/* ELF64 executable checker: see elf.h. */
#include <bytes/le.h>
#include "elf.h"

#include <metta/status.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PAGE	  4096ull
#define MAX_PHNUM 64

enum {
	ET_EXEC = 2,
	ET_DYN = 3,
	EM_X86_64 = 62,
	PT_LOAD = 1,
	PT_DYNAMIC = 2,
	PT_INTERP = 3,
	PT_NOTE = 4,
	PT_PHDR = 6,
	PT_TLS = 7,
	PF_X = 1,
	PF_W = 2,
	PF_R = 4,
};

static int fail(struct elf_image *info, const char *why)
{
	info->error = why;
	return STATUS_ERR_CORRUPT;
}

/* a + b <= limit, without overflow. */
static int fits(uint64_t a, uint64_t b, uint64_t limit)
{
	return a <= limit && b <= limit - a;
}

static int check_header(const uint8_t *e, size_t size, struct elf_image *info)
{
	if (size < EHDR_SIZE)
		return fail(info, "shorter than an ELF header");
	if (e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F')
		return fail(info, "not an ELF file");
	if (e[4] != 2 || e[5] != 1 || e[6] != 1)
		return fail(info, "not 64-bit little-endian ELF version 1");
	uint16_t type = le16(e + 16);
	if (type != ET_EXEC && type != ET_DYN)
		return fail(info, "not an executable");
	if (le16(e + 18) != EM_X86_64)
		return fail(info, "not for x86-64");
	info->pie = type == ET_DYN;
	info->entry = le64(e + 24);
	info->phentsize = le16(e + 54);
	info->phnum = le16(e + 56);
	if (info->phentsize != PHDR_SIZE)
		return fail(info, "program header size is not 56");
	if (info->phnum == 0 || info->phnum > MAX_PHNUM)
		return fail(info, "program header count out of range");
	uint64_t phoff = le64(e + 32);
	if (!fits(phoff, (uint64_t)info->phnum * PHDR_SIZE, size))
		return fail(info, "program headers outside the file");
	return STATUS_OK;
}

static int add_load(const uint8_t *ph, size_t size, uint64_t limit,
		    struct elf_image *info)
{
	struct elf_segment s;
	uint32_t flags = le32(ph + 4);
	s.offset = le64(ph + 8);
	s.vaddr = le64(ph + 16);
	s.filesz = le64(ph + 32);
	s.memsz = le64(ph + 40);
	uint64_t align = le64(ph + 48);
	s.rights = (flags & PF_R ? ELF_R : 0) | (flags & PF_W ? ELF_W : 0) |
		   (flags & PF_X ? ELF_X : 0);
	if (s.memsz == 0)
		return STATUS_OK; /* nothing to map */
	if (s.filesz > s.memsz)
		return fail(info, "segment file size exceeds memory size");
	if (!fits(s.offset, s.filesz, size))
		return fail(info, "segment data outside the file");
	if (!fits(s.vaddr, s.memsz, limit))
		return fail(info, "segment outside user space");
	if ((s.rights & ELF_W) && (s.rights & ELF_X))
		return fail(info, "segment both writable and executable");
	if (align > 1 && (align & (align - 1)))
		return fail(info, "segment alignment not a power of two");
	if ((s.vaddr - s.offset) % PAGE)
		return fail(info,
			    "segment address and offset disagree mod page");
	if (info->nsegments == ELF_MAX_SEGMENTS)
		return fail(info, "too many loadable segments");
	/* Keep them sorted; neighbours may not share a page. */
	int i = info->nsegments;
	while (i > 0 && info->seg[i - 1].vaddr > s.vaddr) {
		info->seg[i] = info->seg[i - 1];
		i--;
	}
	info->seg[i] = s;
	info->nsegments++;
	return STATUS_OK;
}

static int check_overlaps(struct elf_image *info)
{
	for (int i = 1; i < info->nsegments; i++) {
		const struct elf_segment *a = &info->seg[i - 1],
					 *b = &info->seg[i];
		uint64_t a_end = (a->vaddr + a->memsz + PAGE - 1) & ~(PAGE - 1);
		if ((b->vaddr & ~(PAGE - 1)) < a_end)
			return fail(info, "segments overlap (or share a page)");
	}
	return STATUS_OK;
}

/* The entry point must be inside an executable segment. */
static int check_entry(struct elf_image *info)
{
	for (int i = 0; i < info->nsegments; i++) {
		const struct elf_segment *s = &info->seg[i];
		if ((s->rights & ELF_X) && info->entry >= s->vaddr &&
		    info->entry - s->vaddr < s->memsz)
			return STATUS_OK;
	}
	return fail(info, "entry point not in an executable segment");
}

/* AT_PHDR: where the program headers are in memory, if loaded at all. */
static void find_phdrs(uint64_t phoff, struct elf_image *info)
{
	for (int i = 0; i < info->nsegments; i++) {
		const struct elf_segment *s = &info->seg[i];
		if (phoff >= s->offset && phoff - s->offset < s->filesz) {
			info->phdr_vaddr = s->vaddr + (phoff - s->offset);
			return;
		}
	}
}

/*
 * Whether the notes in file bytes [off, off + len) hold Metta's ABI note
 * (name "Metta", type ELF_NOTE_METTA): a native program. Notes that do
 * not fit the file are ignored, never read past it.
 */
static int has_metta_note(const uint8_t *e, size_t size, uint64_t off,
			  uint64_t len)
{
	if (!fits(off, len, size))
		return 0;
	uint64_t end = off + len;
	while (end - off >= 12) {
		uint64_t namesz = le32(e + off), descsz = le32(e + off + 4);
		uint32_t type = le32(e + off + 8);
		uint64_t name = off + 12;
		uint64_t next =
		    name + ((namesz + 3) & ~3ull) + ((descsz + 3) & ~3ull);
		if (namesz > len || descsz > len || next > end)
			return 0;
		if (type == ELF_NOTE_METTA && namesz == 6 &&
		    !__builtin_memcmp(e + name, "Metta", 6))
			return 1;
		off = next;
	}
	return 0;
}

int elf_parse(const void *image, size_t size, uint64_t limit,
	      struct elf_image *info)
{
	const uint8_t *e = image;
	*info = (struct elf_image){ 0 };
	int rc = check_header(e, size, info);
	if (rc)
		return rc;
	uint64_t phoff = le64(e + 32);
	for (int i = 0; i < info->phnum; i++) {
		const uint8_t *ph = e + phoff + (uint64_t)i * PHDR_SIZE;
		uint32_t type = le32(ph);
		if (type == PT_INTERP) {
			info->error = "dynamically linked (has an interpreter)";
			return STATUS_ERR_NOTSUP;
		}
		if (type == PT_TLS) {
			info->tls_vaddr = le64(ph + 16);
			info->tls_filesz = le64(ph + 32);
			info->tls_memsz = le64(ph + 40);
			info->tls_align = le64(ph + 48);
		}
		if (type == PT_NOTE &&
		    has_metta_note(e, size, le64(ph + 8), le64(ph + 32)))
			info->native = 1;
		if (type == PT_LOAD && (rc = add_load(ph, size, limit, info)))
			return rc;
	}
	if (info->nsegments == 0)
		return fail(info, "no loadable segment");
	if ((rc = check_overlaps(info)) || (rc = check_entry(info)))
		return rc;
	find_phdrs(phoff, info);
	return STATUS_OK;
}
