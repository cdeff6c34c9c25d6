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
	struct kmem_cache *next_cache; /* every cache (the consistency check) */
};

struct kmem_page_source {
	void *(*alloc)(void); /* a zeroed, page-aligned page, or NULL */
	void (*free)(void *page);
};

void kmem_init(const struct kmem_page_source *src);

/* Sets up a cache, once (it joins the list kmem_cache_find searches);
 * size must be 1..KMEM_MAX_OBJECT: 0 or STATUS_ERR_INVAL. */
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

/* The cache named `name` that kmem_cache_init set up, or NULL. */
struct kmem_cache *kmem_cache_find(const char *name);

/*
 * Calls fn on every allocated object of c. Returns 0, or
 * STATUS_ERR_INVAL when a slab is corrupt (a bad header, a free list
 * that leaves its slab or loops, counts that disagree): the objects of
 * such a slab are skipped. For the consistency check.
 */
int kmem_each(struct kmem_cache *c, void (*fn)(void *obj, void *arg),
	      void *arg);

/* Whether obj is an allocated object of c (a pointer the nucleus holds
 * that may be checked before it is followed). */
int kmem_owns(const struct kmem_cache *c, const void *obj);

#endif
