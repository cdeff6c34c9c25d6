/*
 * Slab allocator: see kmem.h. A slab is one page: this header, then
 * objects. Free objects form a list threaded through themselves; a slab
 * whose last object is freed goes back to the page source at once.
 */
#include <kmem.h>
#include <quota.h>

#include <metta/status.h>

struct slab {
	struct slab *next, *prev;
	struct kmem_cache *cache;
	void *free; /* first free object */
	unsigned inuse;
	unsigned magic;
};

#define SLAB_MAGIC  0x51ab51ab
#define HEADER_SIZE ((sizeof(struct slab) + 15) & ~(size_t)15)

static struct kmem_page_source source;
static struct kmem_cache *caches; /* every cache, for kmem_cache_find */

void kmem_init(const struct kmem_page_source *src)
{
	source = *src;
}

int kmem_cache_init(struct kmem_cache *c, const char *name, size_t size)
{
	if (size == 0 || size > KMEM_MAX_OBJECT)
		return STATUS_ERR_INVAL;
	*c = (struct kmem_cache){ .name = name };
	c->size = (size + 15) & ~(size_t)15;
	c->per_slab = (unsigned)((KMEM_PAGE - HEADER_SIZE) / c->size);
	/* Once per cache (the nucleus's are static and set up once); never
	 * walked here: the host tests' caches come and go on the stack. */
	if (caches != c) {
		c->next_cache = caches;
		caches = c;
	}
	return STATUS_OK;
}

static int same_name(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

struct kmem_cache *kmem_cache_find(const char *name)
{
	for (struct kmem_cache *c = caches; c; c = c->next_cache)
		if (same_name(c->name, name))
			return c;
	return NULL;
}

static void list_remove(struct slab **head, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void list_push(struct slab **head, struct slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static struct slab *slab_new(struct kmem_cache *c)
{
	struct slab *s = source.alloc ? source.alloc() : NULL;
	if (!s)
		return NULL;
	*s = (struct slab){ .cache = c, .magic = SLAB_MAGIC };
	char *first = (char *)s + HEADER_SIZE;
	for (unsigned i = 0; i < c->per_slab; i++) {
		void **obj = (void **)(first + i * c->size);
		*obj = i + 1 < c->per_slab ? first + (i + 1) * c->size : NULL;
	}
	s->free = first;
	c->slabs++;
	list_push(&c->partial, s);
	return s;
}

static void zero(void *p, size_t n)
{
	char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

int kmem_alloc(struct kmem_cache *c, struct quota *q, void **obj)
{
	if (quota_charge(q, c->size))
		return STATUS_ERR_QUOTA;
	struct slab *s = c->partial ? c->partial : slab_new(c);
	if (!s) {
		quota_release(q, c->size);
		return STATUS_ERR_NOMEM;
	}
	void *o = s->free;
	s->free = *(void **)o;
	s->inuse++;
	if (!s->free) {
		list_remove(&c->partial, s);
		list_push(&c->full, s);
	}
	zero(o, c->size);
	c->objects++;
	*obj = o;
	return STATUS_OK;
}

/* Whether obj is an allocated object of slab s (not on its free list). */
static int allocated_in(struct slab *s, void *obj)
{
	for (void *f = s->free; f; f = *(void **)f)
		if (f == obj)
			return 0;
	return 1;
}

int kmem_free(struct kmem_cache *c, struct quota *q, void *obj)
{
	struct slab *s =
	    (struct slab *)((uintptr_t)obj & ~(uintptr_t)(KMEM_PAGE - 1));
	uintptr_t off = (uintptr_t)obj - (uintptr_t)s;
	if (!obj || s->magic != SLAB_MAGIC || s->cache != c ||
	    off < HEADER_SIZE || (off - HEADER_SIZE) % c->size ||
	    (off - HEADER_SIZE) / c->size >= c->per_slab ||
	    !allocated_in(s, obj))
		return STATUS_ERR_INVAL;
	if (quota_release(q, c->size))
		return STATUS_ERR_INVAL;
	if (!s->free) {
		list_remove(&c->full, s);
		list_push(&c->partial, s);
	}
	*(void **)obj = s->free;
	s->free = obj;
	s->inuse--;
	c->objects--;
	if (s->inuse == 0) {
		list_remove(&c->partial, s);
		s->magic = 0;
		c->slabs--;
		source.free(s);
	}
	return STATUS_OK;
}

/* ---- the consistency check's view ---- */

#define MAX_PER_SLAB (KMEM_PAGE / 16)

/* Marks s's free objects in `free` (a bit per index): 0, or
 * STATUS_ERR_INVAL if the list leaves the slab, loops or miscounts. */
static int free_marks(const struct slab *s, uint8_t *free)
{
	const struct kmem_cache *c = s->cache;
	const char *first = (const char *)s + HEADER_SIZE;
	unsigned n = 0;
	for (char *f = s->free; f; f = *(char **)f) {
		uintptr_t off = (uintptr_t)(f - first);
		if (f < first || off % c->size || off / c->size >= c->per_slab)
			return STATUS_ERR_INVAL;
		unsigned i = (unsigned)(off / c->size);
		if (free[i / 8] & (1u << (i % 8)))
			return STATUS_ERR_INVAL; /* a loop */
		free[i / 8] |= (uint8_t)(1u << (i % 8));
		n++;
	}
	return n + s->inuse == c->per_slab ? STATUS_OK : STATUS_ERR_INVAL;
}

static int each_in(struct kmem_cache *c, struct slab *list,
		   void (*fn)(void *obj, void *arg), void *arg)
{
	int rc = STATUS_OK;
	for (struct slab *s = list; s; s = s->next) {
		uint8_t free[MAX_PER_SLAB / 8] = { 0 };
		if (s->magic != SLAB_MAGIC || s->cache != c ||
		    free_marks(s, free)) {
			rc = STATUS_ERR_INVAL;
			continue;
		}
		char *first = (char *)s + HEADER_SIZE;
		for (unsigned i = 0; i < c->per_slab; i++)
			if (!(free[i / 8] & (1u << (i % 8))))
				fn(first + i * c->size, arg);
	}
	return rc;
}

int kmem_each(struct kmem_cache *c, void (*fn)(void *obj, void *arg),
	      void *arg)
{
	int a = each_in(c, c->partial, fn, arg);
	int b = each_in(c, c->full, fn, arg);
	return a ? a : b;
}

int kmem_owns(const struct kmem_cache *c, const void *obj)
{
	struct slab *s =
	    (struct slab *)((uintptr_t)obj & ~(uintptr_t)(KMEM_PAGE - 1));
	uintptr_t off = (uintptr_t)obj - (uintptr_t)s;
	return c && obj && s->magic == SLAB_MAGIC && s->cache == c &&
	       off >= HEADER_SIZE && (off - HEADER_SIZE) % c->size == 0 &&
	       (off - HEADER_SIZE) / c->size < c->per_slab &&
	       allocated_in(s, (void *)obj);
}
