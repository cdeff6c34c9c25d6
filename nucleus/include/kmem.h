/*
 * Nucleus object allocator: caches of equal-sized objects carved from
 * single pages (slabs). Every allocation is charged to a quota, so a
 * domain that allocates too much hurts only itself.
 *
 * Pure code: pages come from a page source given to kmem_init(), which
 * the host tests replace with malloc'd pages.
 */
#ifndef NUCLEUS_KMEM_H
#define NUCLEUS_KMEM_H

#include <stddef.h>
#include <stdint.h>

struct quota;
struct slab;

#define KMEM_PAGE	4096
#define KMEM_MAX_OBJECT 1024

struct kmem_cache {
	const char *name;
	size_t size; /* object size, rounded up to 16 bytes */
	unsigned per_slab;
	struct slab *partial; /* slabs with free objects */
	struct slab *full;
	uint64_t objects; /* allocated now */
	uint64_t slabs;
};

struct kmem_page_source {
	void *(*alloc)(void); /* a zeroed, page-aligned page, or NULL */
	void (*free)(void *page);
};

void kmem_init(const struct kmem_page_source *src);

/* Sets up a cache; size must be 1..KMEM_MAX_OBJECT: 0 or STATUS_ERR_INVAL. */
int kmem_cache_init(struct kmem_cache *c, const char *name, size_t size);

/*
 * A zeroed object, charged to q: 0 and the object in *obj, or
 * STATUS_ERR_QUOTA / STATUS_ERR_NOMEM with nothing charged.
 */
int kmem_alloc(struct kmem_cache *c, struct quota *q, void **obj);

/*
 * Returns an object and its charge to q: 0, or STATUS_ERR_INVAL (nothing
 * changed) if obj is not an allocated object of this cache.
 */
int kmem_free(struct kmem_cache *c, struct quota *q, void *obj);

#endif
