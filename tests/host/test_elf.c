/* Host tests of the ELF checker: a good image, real binaries, corrupt ones. */
#include <elf/elf.h>
#include <elf/stack.h>
#include <metta/status.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define LIMIT 0x800000000000ull
#define SIZE  0x1100

static uint8_t img[SIZE];

static void put16(size_t o, uint16_t v)
{
	memcpy(img + o, &v, 2);
}
static void put32(size_t o, uint32_t v)
{
	memcpy(img + o, &v, 4);
}
static void put64(size_t o, uint64_t v)
{
	memcpy(img + o, &v, 8);
}

/* Program header i (at offset 64 + 56 i). */
static void phdr(int i, uint32_t type, uint32_t flags, uint64_t off,
		 uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
	size_t p = 64 + 56 * (size_t)i;
	put32(p, type), put32(p + 4, flags), put64(p + 8, off);
	put64(p + 16, vaddr), put64(p + 24, vaddr), put64(p + 32, filesz);
	put64(p + 40, memsz), put64(p + 48, 0x1000);
}

/* text R+X at 0x400000 (the first page of the file), data R+W after it. */
static void good(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 2, img[5] = 1, img[6] = 1;
	put16(16, 2), put16(18, 62), put32(20, 1);
	put64(24, 0x400100); /* entry */
	put64(32, 64);	     /* phoff */
	put16(52, 64), put16(54, 56), put16(56, 2);
	phdr(0, 1, 5, 0, 0x400000, 0x1000, 0x1000);
	phdr(1, 1, 6, 0x1000, 0x401000, 0x100, 0x3000);
}

static int parse(size_t size, struct elf_image *info)
{
	return elf_parse(img, size, LIMIT, info);
}

static int accepts_a_good_image(void)
{
	struct elf_image info;
	good();
	CHECK(parse(SIZE, &info) == 0);
	CHECK(info.entry == 0x400100 && info.nsegments == 2 && !info.pie);
	CHECK(info.seg[0].rights == (ELF_R | ELF_X));
	CHECK(info.seg[1].rights == (ELF_R | ELF_W) &&
	      info.seg[1].memsz == 0x3000);
	CHECK(info.phdr_vaddr == 0x400040 && info.phnum == 2);
	return 0;
}

static int accepts_real_static_binaries(void)
{
	/* Debian's busybox-static: a real static x86-64 program. */
	FILE *f = fopen("/bin/busybox", "rb");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	struct elf_image info;
	int r = elf_parse(buf, (size_t)n, LIMIT, &info);
	free(buf);
	if (r)
		printf("busybox: %s\n", info.error);
	CHECK(r == 0);
	CHECK(info.nsegments >= 2);
	return 0;
}

/* A PT_NOTE holding Metta's note marks a native program; others are not. */
static int finds_the_metta_note(void)
{
	struct elf_image info;
	good();
	put16(56, 3);
	phdr(2, 4, 4, 0x800, 0x400800, 32, 32);
	static const uint8_t other[] = { 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
					 'G', 'N', 'U', 0 };
	static const uint8_t metta[] = { 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
					 'M', 'e', 't', 't', 'a', 0, 0, 0 };
	memcpy(img + 0x800, other, sizeof(other));
	CHECK(parse(SIZE, &info) == 0 && !info.native);
	memcpy(img + 0x800, metta, sizeof(metta));
	phdr(2, 4, 4, 0x800, 0x400800, sizeof(metta), sizeof(metta));
	CHECK(parse(SIZE, &info) == 0 && info.native);
	/* A note whose sizes run past its segment is ignored, not read. */
	put32(0x800, 0x7fffffff);
	CHECK(parse(SIZE, &info) == 0 && !info.native);
	/* A note segment past the end of the file likewise. */
	memcpy(img + 0x800, metta, sizeof(metta));
	phdr(2, 4, 4, SIZE - 8, 0x400800, sizeof(metta), sizeof(metta));
	CHECK(parse(SIZE, &info) == 0 && !info.native);
	return 0;
}

static int rejects_truncation_everywhere(void)
{
	struct elf_image info;
	good();
	/* Every cut before the data ends must be refused, never read past. */
	for (size_t n = 0; n < 0x1100; n += 8) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, img, n);
		int r = elf_parse(copy, n, LIMIT, &info);
		free(copy);
		CHECK(r == STATUS_ERR_CORRUPT);
	}
	return 0;
}

#define REJECTS(mutation, reason)                                \
	do {                                                     \
		good();                                          \
		mutation;                                        \
		CHECK(parse(SIZE, &info) == STATUS_ERR_CORRUPT); \
		CHECK(strstr(info.error, reason) != NULL);       \
	} while (0)

static int rejects_bad_headers(void)
{
	struct elf_image info;
	REJECTS(img[1] = 'X', "not an ELF");
	REJECTS(img[4] = 1, "64-bit");
	REJECTS(put16(16, 1), "not an executable");
	REJECTS(put16(18, 3), "x86-64");
	REJECTS(put16(54, 32), "header size");
	REJECTS(put16(56, 0), "count");
	REJECTS(put16(56, 1000), "count");
	REJECTS(put64(32, 0x10c0), "outside the file");
	REJECTS(put64(32, ~0ull - 8), "outside the file");
	return 0;
}

static int rejects_bad_segments(void)
{
	struct elf_image info;
	REJECTS(phdr(1, 1, 6, 0x1000, 0x401000, 0x200, 0x100), "file size");
	REJECTS(phdr(1, 1, 6, 0x1000, 0x401000, 0x200, 0x3000),
		"outside the file");
	REJECTS(phdr(1, 1, 6, ~0ull - 4, 0x401000, 0x10, 0x10),
		"outside the file");
	REJECTS(phdr(1, 1, 6, 0x1000, LIMIT - 0x1000, 0x100, 0x2000),
		"user space");
	REJECTS(phdr(1, 1, 6, 0x1000, ~0ull - 0xfff, 0x100, 0x2000),
		"user space");
	REJECTS(phdr(1, 1, 7, 0x1000, 0x401000, 0x100, 0x3000),
		"writable and exec");
	REJECTS(phdr(1, 1, 6, 0x1000, 0x400000, 0x100, 0x3000), "overlap");
	REJECTS(phdr(1, 1, 6, 0x1000, 0x401800, 0x100, 0x3000), "disagree");
	REJECTS(put64(24, 0x401000), "entry point");
	REJECTS(put64(24, 0x500000), "entry point");
	REJECTS((phdr(0, 1, 5, 0, 0x400000, 0, 0),
		 phdr(1, 1, 6, 0, 0x401000, 0, 0)),
		"no loadable");
	return 0;
}

static int rejects_dynamic_programs(void)
{
	struct elf_image info;
	good();
	put16(56, 3);
	phdr(2, 3, 4, 0x200, 0x400200, 0x10, 0x10); /* PT_INTERP */
	CHECK(parse(SIZE, &info) == STATUS_ERR_NOTSUP);
	CHECK(strstr(info.error, "dynamically linked"));
	return 0;
}

static int sorts_segments(void)
{
	struct elf_image info;
	good();
	/* Same two segments, listed data first. */
	phdr(0, 1, 6, 0x1000, 0x401000, 0x100, 0x3000);
	phdr(1, 1, 5, 0, 0x400000, 0x1000, 0x1000);
	CHECK(parse(SIZE, &info) == 0);
	CHECK(info.seg[0].vaddr == 0x400000 && info.seg[1].vaddr == 0x401000);
	return 0;
}

/* The stack a program starts with, read back as the program would. */
static int initial_stack_layout(void)
{
	struct elf_image info;
	good();
	CHECK(parse(SIZE, &info) == 0);
	static uint8_t page[4096];
	const uint64_t top = 0x7ffff000;
	const char *argv[] = { "prog", "-x" }, *envp[] = { "HOME=/" };
	struct stack_args a = { .argc = 2, .argv = argv, .envc = 1, .envp = envp,
				.random = { 1, 2 }, .hwcap = 0x178bfbff,
				.ns = "mount ramfs /\n" };
	uint64_t sp = elf_build_stack(page, sizeof(page), top, &info, &a);
	CHECK(sp != 0 && sp % 16 == 0 && sp < top && sp >= top - sizeof(page));
#define AT(addr)  (*(uint64_t *)(page + ((addr) - (top - sizeof(page)))))
#define STR(addr) ((const char *)(page + ((addr) - (top - sizeof(page)))))
	CHECK(AT(sp) == 2);
	CHECK_STR(STR(AT(sp + 8)), "prog");
	CHECK_STR(STR(AT(sp + 16)), "-x");
	CHECK(AT(sp + 24) == 0);
	CHECK_STR(STR(AT(sp + 32)), "HOME=/");
	CHECK(AT(sp + 40) == 0);
	int seen_entry = 0, seen_random = 0, seen_ns = 0;
	for (uint64_t p = sp + 48;; p += 16) {
		uint64_t type = AT(p), value = AT(p + 8);
		if (type == 0)
			break;
		if (type == 9) /* AT_ENTRY */
			seen_entry = value == 0x400100;
		if (type == 25) { /* AT_RANDOM: 16 bytes, not aligned */
			uint64_t r[2];
			memcpy(r, STR(value), sizeof(r));
			seen_random = r[0] == 1 && r[1] == 2;
		}
		if (type == 3) /* AT_PHDR */
			CHECK(value == 0x400040);
		if (type == AT_METTA_NS)
			seen_ns = !strcmp(STR(value), "mount ramfs /\n");
	}
	CHECK(seen_entry && seen_random && seen_ns);
	/* Too small a buffer is an error, not an overrun. */
	CHECK(elf_build_stack(page, 64, top, &info, &a) == 0);
	a.argc = 0;
	CHECK(elf_build_stack(page, sizeof(page), top, &info, &a) == 0);
	return 0;
}

int main(void)
{
	RUN(accepts_a_good_image);
	RUN(accepts_real_static_binaries);
	RUN(rejects_truncation_everywhere);
	RUN(rejects_bad_headers);
	RUN(rejects_bad_segments);
	RUN(rejects_dynamic_programs);
	RUN(sorts_segments);
	RUN(initial_stack_layout);
	RUN(finds_the_metta_note);
	return check_done();
}
