/* Host tests of the multiboot2 parser, with good and malformed structures. */
#include <arch/multiboot2.h>
#include <metta/status.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static _Alignas(8) uint8_t mbi[4096];
static size_t at;

static void put32(size_t off, uint32_t v)
{
	memcpy(mbi + off, &v, 4);
}

static void put64(size_t off, uint64_t v)
{
	memcpy(mbi + off, &v, 8);
}

static void begin(void)
{
	memset(mbi, 0, sizeof(mbi));
	at = 8;
}

/* Adds a tag with `size` bytes in all (header included); returns its offset. */
static size_t tag(uint32_t type, uint32_t size)
{
	size_t off = at;
	put32(off, type);
	put32(off + 4, size);
	at += (size + 7) & ~7u;
	return off;
}

static void tag_string(uint32_t type, const char *s)
{
	size_t off = tag(type, 8 + (uint32_t)strlen(s) + 1);
	memcpy(mbi + off + 8, s, strlen(s) + 1);
}

static void end(void)
{
	tag(0, 8);
	put32(0, (uint32_t)at);
}

static void standard(void)
{
	begin();
	tag_string(1, "test=all panic=exit");
	tag_string(2, "GRUB 2.06");
	size_t m = tag(6, 16 + 3 * 24);
	put32(m + 8, 24);
	put64(m + 16, 0), put64(m + 24, 0x9fc00), put32(m + 32, 1);
	put64(m + 40, 0x100000), put64(m + 48, 0x1ff00000), put32(m + 56, 1);
	put64(m + 64, 0xfffc0000), put64(m + 72, 0x40000), put32(m + 80, 2);
	size_t mod = tag(3, 16 + 8);
	put32(mod + 8, 0x200000), put32(mod + 12, 0x201000);
	memcpy(mbi + mod + 16, "init", 5);
	size_t r = tag(14, 8 + 20);
	memcpy(mbi + r + 8, "RSD PTR ", 8);
}

static int parses_a_good_structure(void)
{
	struct mb2_info info;
	standard();
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == 0);
	CHECK_STR(info.cmdline, "test=all panic=exit");
	CHECK_STR(info.loader_name, "GRUB 2.06");
	CHECK(info.nmmap == 3);
	CHECK(info.mmap[1].base == 0x100000 && info.mmap[1].len == 0x1ff00000);
	CHECK(info.mmap[2].type == MB2_MEM_RESERVED);
	CHECK(info.nmodules == 1);
	CHECK(info.modules[0].start == 0x200000 &&
	      info.modules[0].end == 0x201000);
	CHECK_STR(info.modules[0].name, "init");
	CHECK(info.rsdp && info.rsdp_len == 20);
	return 0;
}

static int unknown_tags_are_skipped(void)
{
	struct mb2_info info;
	begin();
	tag(99, 13); /* odd size: the next tag is 8-aligned after it */
	tag_string(1, "x");
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == 0);
	CHECK_STR(info.cmdline, "x");
	return 0;
}

static int truncated_total_size(void)
{
	struct mb2_info info;
	standard();
	end();
	CHECK(mb2_parse(mbi, 100, &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "total size"));
	CHECK(mb2_parse(mbi, 8, &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int tag_running_past_the_end(void)
{
	struct mb2_info info;
	standard();
	end();
	put32(8 + 4, 4000); /* first tag claims more than the structure */
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "tag size"));
	return 0;
}

static int tag_too_small(void)
{
	struct mb2_info info;
	standard();
	end();
	put32(8 + 4, 4); /* smaller than a tag header: would loop forever */
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int missing_end_tag(void)
{
	struct mb2_info info;
	standard();
	put32(0, (uint32_t)at);
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "end tag"));
	return 0;
}

static int unterminated_strings(void)
{
	struct mb2_info info;
	begin();
	size_t t = tag(1, 8 + 4);
	memcpy(mbi + t + 8, "abcd", 4); /* no NUL inside the tag */
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	CHECK(strstr(info.error, "command line"));
	begin();
	size_t mod = tag(3, 16 + 2);
	put32(mod + 8, 0x1000), put32(mod + 12, 0x2000);
	memcpy(mbi + mod + 16, "ab", 2);
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int bad_module_and_mmap(void)
{
	struct mb2_info info;
	begin();
	size_t mod = tag(3, 16 + 1);
	put32(mod + 8, 0x3000), put32(mod + 12, 0x2000); /* ends before start */
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	begin();
	size_t m = tag(6, 16 + 24);
	put32(m + 8, 4); /* entry size smaller than an entry */
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	begin();
	m = tag(6, 16 + 24);
	put32(m + 8, 24);
	put64(m + 16, ~0ull - 10), put64(m + 24, 100); /* wraps around */
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int short_rsdp(void)
{
	struct mb2_info info;
	begin();
	tag(15, 8 + 20); /* ACPI 2.0 RSDP needs 36 bytes */
	end();
	CHECK(mb2_parse(mbi, sizeof(mbi), &info) == STATUS_ERR_CORRUPT);
	return 0;
}

static int misaligned(void)
{
	struct mb2_info info;
	standard();
	end();
	CHECK(mb2_parse(mbi + 4, sizeof(mbi) - 4, &info) == STATUS_ERR_CORRUPT);
	return 0;
}

/* Every truncation of a good structure is rejected or parsed, never read
 * beyond: ASan watches the copy's end. */
static int every_truncation_is_safe(void)
{
	struct mb2_info info;
	standard();
	end();
	uint32_t total = (uint32_t)at;
	for (uint32_t n = 8; n < total; n += 4) {
		uint8_t *copy = aligned_alloc(8, (n + 7) & ~7u);
		memcpy(copy, mbi, n);
		memcpy(copy, &n, 4); /* claims only what it has */
		int r = mb2_parse(copy, n, &info);
		free(copy);
		CHECK(r == STATUS_ERR_CORRUPT || r == 0);
	}
	return 0;
}

int main(void)
{
	RUN(parses_a_good_structure);
	RUN(unknown_tags_are_skipped);
	RUN(truncated_total_size);
	RUN(tag_running_past_the_end);
	RUN(tag_too_small);
	RUN(missing_end_tag);
	RUN(unterminated_strings);
	RUN(bad_module_and_mmap);
	RUN(short_rsdp);
	RUN(misaligned);
	RUN(every_truncation_is_safe);
	return check_done();
}
