/*
 * Memory objects: segments of pages that domains map with rights, share,
 * and pass to each other as capabilities. An anonymous object's pages are
 * allocated (zeroed) when it is created and paid for by its creator; a
 * mapping is paid for by the domain it is in. An object lives while a
 * capability or a mapping refers to it.
 */
#ifndef NUCLEUS_MEMOBJ_H
#define NUCLEUS_MEMOBJ_H

#include <cap.h>
#include <stdint.h>

struct domain;

struct memobj {
	struct kobj obj; /* OBJ_MEMORY */
	struct domain *payer;
	uint64_t npages;
	uint64_t *pages;      /* physical address of each page */
	uint64_t array_pages; /* pages holding `pages` */
	int device; /* device memory: mapped uncached */
	int fixed;  /* pages that are not the object's to free */
};

/* A mapped range of a memory object in a domain. */
struct mapping {
	struct mapping *next;
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
/* Fresh zeroed pages with the given capability rights (out: the object). */
long memobj_create_anon(struct domain *d, uint32_t dst, uint64_t pages,
			uint32_t rights, struct memobj **out);

/* Removes every mapping of a dying domain (its space goes next). */
void mappings_drop_all(struct domain *d);

#endif
