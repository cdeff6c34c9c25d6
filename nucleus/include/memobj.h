/*
 * Memory objects: segments of pages that domains map with rights, share,
 * and pass to each other as capabilities. An anonymous object gets its
 * pages on demand: a page is allocated (zeroed) the first time something
 * touches it (a fault in a domain that maps it, a nucleus copy to or
 * from it), and charged then to the object's payer, its creator. The
 * index of its pages is lazy too: a small top array of pointers to leaf
 * pages of 512 entries each, a leaf allocated (and charged) when the
 * first page of its 2 MiB is. A fixed object (device memory, a boot
 * module) has every page from the start and no index: page i is at
 * base + i pages. Only memobj.c reads the index; everyone else asks
 * memobj_page or memobj_page_in. DMA memory (dma_alloc) is a fixed object
 * over contiguous RAM pages of its own, taken from the page allocator and
 * charged to its payer at creation, given back when the object goes: its
 * pages never move (never discarded, never shared copy-on-write), since a
 * device reads and writes them by their physical addresses.
 *
 * A copy for a fork (mem_fork MEM_FORK_COPY) shares the pages copy-on-write:
 * both objects' entries name the page, flagged, with a count per physical
 * page of the entries naming it; the first write through either copies
 * (or, the last one left, just takes it). Each object pays for each page
 * it has, shared or not: sharing saves memory and copying, never quota,
 * so a fork costs the child what an eager copy would, and a write after
 * it never runs out of quota.
 *
 * A mapping is paid for by the domain it is in. An object lives while a
 * capability or a mapping refers to it. A page table entry exists only
 * for a page the object has: mapping, reprotecting, forking and unmapping
 * look at the object's pages, never at the range page by page.
 */
#ifndef NUCLEUS_MEMOBJ_H
#define NUCLEUS_MEMOBJ_H

#include <cap.h>
#include <stdint.h>

#include <metta/status.h>

struct domain;
struct mapping;

#define MEMOBJ_LEAF_ENTRIES 512 /* pages a leaf of the index names */
#define MEMOBJ_SMALL_TOP 4 /* leaves an object indexes inside itself */

struct memobj {
	struct kobj obj; /* OBJ_MEMORY */
	struct domain *payer;
	uint64_t npages;
	uint64_t **top;	    /* a leaf (or NULL) per 512 pages */
	uint64_t *small_top[MEMOBJ_SMALL_TOP]; /* `top` of a small object */
	uint64_t top_pages; /* pages holding a large object's `top` */
	uint64_t base;	    /* fixed: the physical address of page 0 */
	uint64_t populated; /* pages it has (anonymous) */
	struct mapping *maps; /* its mappings, in every domain */
	int device; /* device memory: mapped uncached */
	int fixed;  /* every page from the start, at base + i (no index) */
	int pinned; /* the nucleus writes its pages: never discarded */
	int dma;    /* fixed pages of its own: freed (and refunded) with it */
};

/* A mapped range of a memory object in a domain. */
struct mapping {
	struct mapping *next;	  /* in its domain's list */
	struct mapping *obj_next; /* in its object's list */
	struct domain *d;
	uint64_t va;
	uint64_t npages;
	uint64_t offset;     /* in pages, into the object */
	unsigned rights;     /* VM_* now */
	unsigned max_rights; /* what the capability allowed */
	struct memobj *mo;
};

/* A memory object over device memory in domain d's slot dst. */
long memobj_create_physical(struct domain *d, uint32_t dst, uint64_t phys,
			    uint64_t pages);
/* A read-only memory object over a boot module's pages. */
long memobj_create_boot(struct domain *d, uint32_t dst, uint64_t phys,
			uint64_t pages);
/* DMA memory: `pages` contiguous zeroed RAM pages charged to d, in d's
 * slot dst, the first one's physical address in *phys. ERR_QUOTA,
 * ERR_NOMEM (no such run of free pages) or a slot error, nothing taken. */
long memobj_create_dma(struct domain *d, uint32_t dst, uint64_t pages,
		       uint64_t *phys);
/* An anonymous object (pages on demand) with the given capability rights
 * (out: the object). */
long memobj_create_anon(struct domain *d, uint32_t dst, uint64_t pages,
			uint32_t rights, struct memobj **out);

/* The physical address of page i (< npages) of m, or 0 while it has none. */
uint64_t memobj_page(const struct memobj *m, uint64_t i);

/* Page i of m, allocated (zeroed, charged to the payer) if it has none
 * yet: 0 and its physical address, or STATUS_ERR_QUOTA / ERR_NOMEM (m
 * still without it). */
int memobj_page_in(struct memobj *m, uint64_t i, uint64_t *pa);

/* Gives m every page of [first, first + n) now, for the nucleus's own use
 * of them: 0, or the first error (pages already in stay, charged). */
int memobj_populate(struct memobj *m, uint64_t first, uint64_t n);

/*
 * A fault in d at user address va (access: VM_WRITE and VM_EXEC bits of
 * what was tried; present: the page table had a page there). If one of
 * d's mappings covers va and allows the access, then: without a page, the
 * object's page comes in (or is mapped, when it is in already, shared
 * with another domain); a write to a copy-on-write page gets the page its
 * own copy. 0: the access can be tried again. STATUS_ERR_NOENT (no
 * mapping, or nothing to do), ERR_DENIED (not allowed): a real fault.
 * ERR_QUOTA / ERR_NOMEM: no page to be had.
 */
int memobj_fault(struct domain *d, uint64_t va, unsigned access, int present);

/* Whether a status from memobj_fault means no memory could be had. */
static inline int memobj_starved(int status)
{
	return status == STATUS_ERR_QUOTA || status == STATUS_ERR_NOMEM;
}

/* Removes every mapping of a dying domain (its space goes next). */
void mappings_drop_all(struct domain *d);

#endif
