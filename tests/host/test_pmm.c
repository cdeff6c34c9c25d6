/* Host tests of the physical page allocator on made-up memory maps. */
#include <metta/status.h>
#include <pmm.h>
#include <stdlib.h>

#include "check.h"

#define MiB (1ull << 20)

static struct pmm p;
static uint64_t bitmap[4096];

/* 64 MiB machine: RAM at [0, 640K) and [1M, 64M), a hole, image at 1M. */
static void setup(void)
{
	pmm_init(&p, bitmap, 64 * MiB);
	pmm_add_usable(&p, 0, 640 * 1024);
	pmm_add_usable(&p, 1 * MiB, 63 * MiB);
	pmm_reserve(&p, 0, 1 * MiB);	      /* low memory */
	pmm_reserve(&p, 1 * MiB, 300 * 1024); /* the nucleus image */
	pmm_reserve(&p, 8 * MiB + 100, 5000); /* a module, unaligned */
}

static int in_reserved(uint64_t a)
{
	return a < 1 * MiB + 300 * 1024 ||
	       (a + PMM_PAGE > 8 * MiB + 100 && a < 8 * MiB + 5100);
}

static int never_returns_reserved(void)
{
	setup();
	uint64_t a, n = 0, expect = p.nfree;
	while (pmm_alloc(&p, &a) == STATUS_OK) {
		CHECK(a % PMM_PAGE == 0);
		CHECK(!in_reserved(a));
		CHECK(a < 64 * MiB);
		n++;
	}
	CHECK(n == expect);
	CHECK(p.nfree == 0);
	return 0;
}

static int exhaustion_is_an_error(void)
{
	setup();
	uint64_t a;
	while (pmm_alloc(&p, &a) == STATUS_OK)
		;
	CHECK(pmm_alloc(&p, &a) == STATUS_ERR_NOMEM);
	CHECK(pmm_free(&p, 2 * MiB) == STATUS_OK);
	CHECK(pmm_alloc(&p, &a) == STATUS_OK && a == 2 * MiB);
	return 0;
}

static int free_restores_count(void)
{
	setup();
	uint64_t before = p.nfree, pages[100];
	for (int i = 0; i < 100; i++)
		CHECK(pmm_alloc(&p, &pages[i]) == STATUS_OK);
	CHECK(p.nfree == before - 100);
	for (int i = 0; i < 100; i++)
		CHECK(pmm_free(&p, pages[i]) == STATUS_OK);
	CHECK(p.nfree == before);
	return 0;
}

static int bad_frees_are_refused(void)
{
	setup();
	uint64_t a, before;
	CHECK(pmm_alloc(&p, &a) == STATUS_OK);
	CHECK(pmm_free(&p, a + 8) == STATUS_ERR_INVAL);	     /* unaligned */
	CHECK(pmm_free(&p, 1 * MiB) == STATUS_ERR_INVAL);    /* reserved */
	CHECK(pmm_free(&p, 700 * 1024) == STATUS_ERR_INVAL); /* hole */
	CHECK(pmm_free(&p, 1ull << 40) == STATUS_ERR_INVAL); /* beyond RAM */
	CHECK(pmm_free(&p, a) == STATUS_OK);
	before = p.nfree;
	CHECK(pmm_free(&p, a) == STATUS_ERR_INVAL); /* double free */
	CHECK(p.nfree == before);
	return 0;
}

static int contiguous_ranges(void)
{
	setup();
	uint64_t a;
	CHECK(pmm_alloc_range(&p, 16, 64 * 1024, 64 * MiB, &a) == STATUS_OK);
	CHECK(a % (64 * 1024) == 0);
	for (uint64_t i = 0; i < 16; i++)
		CHECK(!in_reserved(a + i * PMM_PAGE));
	CHECK(pmm_alloc_range(&p, 1, 3000, 64 * MiB, &a) == STATUS_ERR_INVAL);
	CHECK(pmm_alloc_range(&p, 0, 4096, 64 * MiB, &a) == STATUS_ERR_INVAL);
	CHECK(pmm_alloc_range(&p, 1ull << 20, 4096, 64 * MiB, &a) ==
	      STATUS_ERR_NOMEM);
	/* Below a limit that only low memory satisfies: all reserved. */
	CHECK(pmm_alloc_range(&p, 1, 4096, 1 * MiB, &a) == STATUS_ERR_NOMEM);
	return 0;
}

/* The lowest aligned free run below end, page by page: what
 * pmm_alloc_range must find, without walking that way. */
static uint64_t first_run(uint64_t count, uint64_t step, uint64_t end)
{
	for (uint64_t s = 0; s + count <= end; s += step) {
		uint64_t n = 0;
		while (n < count && pmm_is_usable(&p, (s + n) * PMM_PAGE) &&
		       !(p.used[(s + n) / 64] >> ((s + n) % 64) & 1))
			n++;
		if (n == count)
			return s;
	}
	return ~0ull;
}

/* On memory cut into used and free stretches of every length (and across
 * bitmap words), ranges of several sizes and alignments land where the
 * page-by-page walk would put them, and fail where it finds none. */
static int ranges_skip_used_memory(void)
{
	setup();
	uint64_t a, seed = 12345;
	while (pmm_alloc(&p, &a) == STATUS_OK) /* all used, then holes */
		;
	for (uint64_t i = 256; i < p.npages; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		if ((seed >> 60) < 5)
			pmm_free(&p, i * PMM_PAGE);
	}
	for (int round = 0; round < 200; round++) {
		uint64_t count = 1 + round % 7, step = 1u << (round % 4);
		uint64_t limit = (round % 3 ? 64 : 20) * MiB;
		uint64_t want = first_run(count, step, limit / PMM_PAGE);
		int rc = pmm_alloc_range(&p, count, step * PMM_PAGE, limit, &a);
		if (want == ~0ull) {
			CHECK(rc == STATUS_ERR_NOMEM);
			continue;
		}
		CHECK(rc == STATUS_OK && a == want * PMM_PAGE);
		if (round % 2) /* give some back: holes open again */
			CHECK(pmm_free(&p, a) == STATUS_OK);
	}
	return 0;
}

static int usable_rounds_inwards_reserve_outwards(void)
{
	pmm_init(&p, bitmap, 16 * MiB);
	pmm_add_usable(&p, 100, 3 * PMM_PAGE); /* only one whole page inside */
	CHECK(p.nusable == 2);
	CHECK(!pmm_is_usable(&p, 0) && pmm_is_usable(&p, PMM_PAGE));
	pmm_reserve(&p, PMM_PAGE + 4095, 2); /* touches two pages */
	CHECK(p.nusable == 0 && p.nfree == 0);
	return 0;
}

static int placement_avoids_reserved(void)
{
	struct mem_range usable[] = { { 0, 640 * 1024 },
				      { 1 * MiB, 63 * MiB } };
	struct mem_range reserved[] = { { 0, 1 * MiB },
					{ 1 * MiB, 2 * MiB },
					{ 3 * MiB + 5, 10 } };
	uint64_t at;
	CHECK(pmm_place(usable, 2, reserved, 3, 8192, 64 * MiB, &at) == 0);
	CHECK(at == 3 * MiB + PMM_PAGE);
	CHECK(pmm_place(usable, 2, reserved, 3, 100 * MiB, 64 * MiB, &at) ==
	      STATUS_ERR_NOMEM);
	/* The limit cuts the usable range short. */
	CHECK(pmm_place(usable, 2, reserved, 3, 8192, 3 * MiB, &at) ==
	      STATUS_ERR_NOMEM);
	/* A wrapping (corrupt) range is skipped, not trusted. */
	struct mem_range bad[] = { { ~0ull - 100, 4096 } };
	CHECK(pmm_place(bad, 1, NULL, 0, 4096, ~0ull, &at) == STATUS_ERR_NOMEM);
	return 0;
}

static int bitmap_size(void)
{
	CHECK(pmm_bitmap_bytes(64 * 4096) == 16); /* 64 pages: one word each */
	CHECK(pmm_bitmap_bytes(65 * 4096) == 32);
	CHECK(pmm_bitmap_bytes(1) == 16);
	return 0;
}

int main(void)
{
	RUN(never_returns_reserved);
	RUN(exhaustion_is_an_error);
	RUN(free_restores_count);
	RUN(bad_frees_are_refused);
	RUN(contiguous_ranges);
	RUN(ranges_skip_used_memory);
	RUN(usable_rounds_inwards_reserve_outwards);
	RUN(placement_avoids_reserved);
	RUN(bitmap_size);
	return check_done();
}
