/*
 * Physical page allocator.
 *
 * Two bitmaps over physical memory from address 0 to the top of usable RAM:
 * `usable` says which pages are RAM the nucleus may ever hand out (usable in
 * the firmware's map and not reserved: nucleus image, boot modules, boot
 * information, the bitmaps themselves, the first MiB); `used` says which of
 * those are allocated now. Keeping both lets pmm_free() refuse a page that
 * was never the allocator's to give (a bug), instead of corrupting state.
 *
 * Pure code: it never touches the pages it manages, so the host unit tests
 * run it on made-up memory maps.
 */
#ifndef NUCLEUS_PMM_H
#define NUCLEUS_PMM_H

#include <stddef.h>
#include <stdint.h>

#define PMM_PAGE ((uint64_t)4096)

struct mem_range {
	uint64_t base;
	uint64_t len;
};

struct pmm {
	uint64_t *usable;
	uint64_t *used;
	uint64_t npages; /* pages covered by the bitmaps */
	uint64_t nfree;	 /* usable and not used */
	uint64_t nusable;
	uint64_t hint; /* where the next search starts */
};

/* Bytes of bitmap storage pmm_init() needs to cover memory up to `top`. */
size_t pmm_bitmap_bytes(uint64_t top);

/*
 * Finds room for `bytes` of bitmap inside the usable ranges, below `limit`,
 * overlapping none of the reserved ranges. Returns 0 and the physical address
 * in *where, or STATUS_ERR_NOMEM.
 */
int pmm_place(const struct mem_range *usable, int nusable,
	      const struct mem_range *reserved, int nreserved, size_t bytes,
	      uint64_t limit, uint64_t *where);

/* The nucleus's allocator of all physical memory (set up at boot). */
extern struct pmm *nucleus_pmm;

/* Starts with no usable memory; `bitmaps` holds pmm_bitmap_bytes(top). */
void pmm_init(struct pmm *p, void *bitmaps, uint64_t top);

/* Marks whole pages inside [base, base+len) usable (rounds inwards). */
void pmm_add_usable(struct pmm *p, uint64_t base, uint64_t len);

/* Removes every page touching [base, base+len) from use (rounds outwards). */
void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len);

/* One page: 0 and its address in *phys, or STATUS_ERR_NOMEM. */
int pmm_alloc(struct pmm *p, uint64_t *phys);

/*
 * `count` contiguous pages starting at a multiple of `align` bytes (a power
 * of two, at least a page), below `limit`: 0 or STATUS_ERR_NOMEM.
 */
int pmm_alloc_range(struct pmm *p, uint64_t count, uint64_t align,
		    uint64_t limit, uint64_t *phys);

/* Returns a page: 0, or STATUS_ERR_INVAL if it is not an allocated page. */
int pmm_free(struct pmm *p, uint64_t phys);

/* True if the page holding phys is usable RAM of this allocator. */
int pmm_is_usable(const struct pmm *p, uint64_t phys);

#endif
