/* Physical page allocator: two bitmaps, see pmm.h. */
#include "pmm.h"

#include <metta/status.h>

static int bit_get(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *map, uint64_t i)
{
	map[i / 64] &= ~(1ull << (i % 64));
}

static uint64_t words_for(uint64_t npages)
{
	return (npages + 63) / 64;
}

size_t pmm_bitmap_bytes(uint64_t top)
{
	uint64_t npages = (top + PMM_PAGE - 1) / PMM_PAGE;
	return (size_t)(2 * words_for(npages) * sizeof(uint64_t));
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* First reserved range overlapping [at, at+bytes), or -1. */
static int first_overlap(const struct mem_range *reserved, int nreserved,
			 uint64_t at, uint64_t bytes)
{
	for (int i = 0; i < nreserved; i++)
		if (overlaps(at, bytes, reserved[i].base, reserved[i].len))
			return i;
	return -1;
}

int pmm_place(const struct mem_range *usable, int nusable,
	      const struct mem_range *reserved, int nreserved, size_t bytes,
	      uint64_t limit, uint64_t *where)
{
	for (int i = 0; i < nusable; i++) {
		uint64_t at = (usable[i].base + PMM_PAGE - 1) & ~(PMM_PAGE - 1);
		uint64_t end = usable[i].base + usable[i].len;
		if (end < usable[i].base) /* wraps: a corrupt map */
			continue;
		if (end > limit)
			end = limit;
		while (at < end && end - at >= bytes) {
			int r = first_overlap(reserved, nreserved, at, bytes);
			if (r < 0) {
				*where = at;
				return STATUS_OK;
			}
			/* Skip past the obstacle and try again. */
			at = (reserved[r].base + reserved[r].len + PMM_PAGE -
			      1) &
			     ~(PMM_PAGE - 1);
		}
	}
	return STATUS_ERR_NOMEM;
}

void pmm_init(struct pmm *p, void *bitmaps, uint64_t top)
{
	p->npages = (top + PMM_PAGE - 1) / PMM_PAGE;
	uint64_t words = words_for(p->npages);
	p->usable = bitmaps;
	p->used = p->usable + words;
	for (uint64_t i = 0; i < words; i++) {
		p->usable[i] = 0;
		p->used[i] = 0;
	}
	p->nfree = 0;
	p->nusable = 0;
	p->hint = 0;
}

void pmm_add_usable(struct pmm *p, uint64_t base, uint64_t len)
{
	if (base + len < base)
		len = ~0ull - base;
	uint64_t first = (base + PMM_PAGE - 1) / PMM_PAGE;
	uint64_t end = (base + len) / PMM_PAGE;
	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (bit_get(p->usable, i))
			continue;
		bit_set(p->usable, i);
		p->nusable++;
		if (!bit_get(p->used, i))
			p->nfree++;
	}
}

void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len)
{
	if (len == 0)
		return;
	if (base + len < base)
		len = ~0ull - base;
	uint64_t first = base / PMM_PAGE;
	uint64_t end = (base + len + PMM_PAGE - 1) / PMM_PAGE;
	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (!bit_get(p->usable, i))
			continue;
		bit_clear(p->usable, i);
		p->nusable--;
		if (bit_get(p->used, i))
			bit_clear(p->used, i);
		else
			p->nfree--;
	}
}

static int page_free(const struct pmm *p, uint64_t i)
{
	return bit_get(p->usable, i) && !bit_get(p->used, i);
}

static void take(struct pmm *p, uint64_t i)
{
	bit_set(p->used, i);
	p->nfree--;
}

/* Finds a free page at or after `from`, skipping full words; npages if none. */
static uint64_t scan(const struct pmm *p, uint64_t from)
{
	for (uint64_t i = from; i < p->npages;) {
		uint64_t w = i / 64;
		uint64_t avail = p->usable[w] & ~p->used[w];
		avail &= ~0ull << (i % 64);
		if (avail) {
			uint64_t found =
			    w * 64 + (uint64_t)__builtin_ctzll(avail);
			return found < p->npages ? found : p->npages;
		}
		i = (w + 1) * 64;
	}
	return p->npages;
}

int pmm_alloc(struct pmm *p, uint64_t *phys)
{
	if (p->nfree == 0)
		return STATUS_ERR_NOMEM;
	uint64_t i = scan(p, p->hint);
	if (i == p->npages)
		i = scan(p, 0);
	if (i == p->npages)
		return STATUS_ERR_NOMEM;
	take(p, i);
	p->hint = i + 1;
	*phys = i * PMM_PAGE;
	return STATUS_OK;
}

int pmm_alloc_range(struct pmm *p, uint64_t count, uint64_t align,
		    uint64_t limit, uint64_t *phys)
{
	if (count == 0 || align < PMM_PAGE || (align & (align - 1)))
		return STATUS_ERR_INVAL;
	uint64_t step = align / PMM_PAGE;
	uint64_t end = limit / PMM_PAGE;
	if (end > p->npages)
		end = p->npages;
	/* The lowest aligned run, as a walk of every aligned start would
	 * find it, but without looking at pages no run can start at: used
	 * words are skipped a word at a time, and after a used page in a
	 * run the next start is past it. (A walk page by page made every
	 * allocation pay for all the memory other domains hold below.) */
	for (uint64_t from = 0;;) {
		uint64_t start = scan(p, from);
		start = (start + step - 1) / step * step;
		if (start >= end || count > end - start)
			return STATUS_ERR_NOMEM;
		uint64_t n = 0;
		while (n < count && page_free(p, start + n))
			n++;
		if (n == count) {
			for (uint64_t i = 0; i < count; i++)
				take(p, start + i);
			*phys = start * PMM_PAGE;
			return STATUS_OK;
		}
		from = start + n + 1;
	}
}

int pmm_free(struct pmm *p, uint64_t phys)
{
	if (phys % PMM_PAGE)
		return STATUS_ERR_INVAL;
	uint64_t i = phys / PMM_PAGE;
	if (i >= p->npages || !bit_get(p->usable, i) || !bit_get(p->used, i))
		return STATUS_ERR_INVAL;
	bit_clear(p->used, i);
	p->nfree++;
	if (i < p->hint)
		p->hint = i;
	return STATUS_OK;
}

int pmm_is_usable(const struct pmm *p, uint64_t phys)
{
	uint64_t i = phys / PMM_PAGE;
	return i < p->npages && bit_get(p->usable, i);
}
