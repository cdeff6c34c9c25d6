/*
 * Memory objects and mappings: see memobj.h. Every call checks all its
 * arguments and the whole range before it changes anything; a mapping
 * that runs out of quota half-way is undone. Pages come in one at a time
 * (memobj_page_in), on a fault or a nucleus copy: zero-fill on demand is
 * mechanism, so it lives here, where a first touch costs a page and no
 * message; what to do when memory runs out (page out, grow, end the
 * program) is policy, left to the fault handler of the domain.
 */
#include <arch/paging.h>
#include <arch/smp.h>
#include <domain.h>
#include <kmem.h>
#include <memobj.h>
#include <pmm.h>
#include <string/kstring.h>

#include <metta/abi.h>
#include <metta/status.h>
#include <nucleus/syscall_table.h>

#define MAX_PAGES    (1ull << 20) /* 4 GiB in one object */
#define LEAF_ENTRIES MEMOBJ_LEAF_ENTRIES
_Static_assert(LEAF_ENTRIES == PAGE_SIZE / sizeof(uint64_t), "a leaf a page");
/* A leaf entry: a page's physical address, and in its low bits: */
#define ENTRY_COW  1ull /* the page may be shared: copy before a write */
#define ENTRY_ADDR (~(uint64_t)(PAGE_SIZE - 1))
#define MAX_SHARES 0xffffu

static struct kmem_cache memobj_cache, mapping_cache;

static void memobj_release(struct kobj *o);

static void caches_init(void)
{
	if (memobj_cache.size)
		return;
	kmem_cache_init(&memobj_cache, "memobj", sizeof(struct memobj));
	kmem_cache_init(&mapping_cache, "mapping", sizeof(struct mapping));
	kobj_set_release(OBJ_MEMORY, memobj_release);
}

/* ---- the page index ---- */

static uint64_t leaves_of(uint64_t npages)
{
	return (npages + LEAF_ENTRIES - 1) / LEAF_ENTRIES;
}

/* A zeroed page charged to q: 0 and its address, or ERR_QUOTA / ERR_NOMEM
 * with nothing taken. */
static int zeroed_page(struct quota *q, uint64_t *pa)
{
	if (quota_charge(q, PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (pmm_alloc(nucleus_pmm, pa)) {
		quota_release(q, PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	memset(phys_to_virt(*pa), 0, PAGE_SIZE);
	return STATUS_OK;
}

static void free_page(struct quota *q, uint64_t pa)
{
	pmm_free(nucleus_pmm, pa);
	quota_release(q, PAGE_SIZE);
}

/* Page i's entry (address and flags), 0 when it has none; anonymous. */
static uint64_t entry(const struct memobj *m, uint64_t i)
{
	const uint64_t *leaf = m->top[i / LEAF_ENTRIES];
	return leaf ? leaf[i % LEAF_ENTRIES] : 0;
}

uint64_t memobj_page(const struct memobj *m, uint64_t i)
{
	if (m->fixed)
		return m->base + i * PAGE_SIZE;
	return entry(m, i) & ENTRY_ADDR;
}

/* Whether page i is copy-on-write (shared with another object, maybe). */
static int is_cow(const struct memobj *m, uint64_t i)
{
	return !m->fixed && (entry(m, i) & ENTRY_COW);
}

/*
 * How many objects' entries name each copy-on-write page, by page frame
 * (the entries flagged ENTRY_COW; other pages have one owner and no
 * count). Made, charged to the nucleus, at the first copy-on-write fork;
 * NULL until then, or when there was no memory for it (forks copy).
 */
static uint16_t *shares;

static int shares_ready(void)
{
	if (shares)
		return 1;
	uint64_t bytes = nucleus_pmm->npages * sizeof(*shares), pa;
	uint64_t n = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	if (quota_charge(&quota_nucleus, n * PAGE_SIZE))
		return 0;
	if (pmm_alloc_range(nucleus_pmm, n, PAGE_SIZE, ~0ull, &pa)) {
		quota_release(&quota_nucleus, n * PAGE_SIZE);
		return 0;
	}
	shares = phys_to_virt(pa);
	memset(shares, 0, n * PAGE_SIZE);
	return 1;
}

static uint16_t *shares_of(uint64_t pa)
{
	return &shares[pa / PAGE_SIZE];
}

/* The first page of m that it has in [i, end), or end. Skips absent
 * leaves whole, so a walk over a large, little-used object is short. */
static uint64_t next_page(const struct memobj *m, uint64_t i, uint64_t end)
{
	while (i < end && !m->fixed) {
		const uint64_t *leaf = m->top[i / LEAF_ENTRIES];
		if (leaf && leaf[i % LEAF_ENTRIES])
			return i;
		i = leaf ? i + 1 : (i / LEAF_ENTRIES + 1) * LEAF_ENTRIES;
	}
	return i < end ? i : end;
}

/* Each page i of m that it has, in [first, end). */
#define for_each_page(m, i, first, end)                               \
	for (uint64_t i = next_page(m, first, end); i < (end);        \
	     i = next_page(m, i + 1, end))

/* The entry of page i of anonymous m, its leaf allocated (charged to the
 * payer; it stays with m) if absent: 0, or ERR_QUOTA / ERR_NOMEM. */
static int leaf_slot(struct memobj *m, uint64_t i, uint64_t **out)
{
	uint64_t **leaf = &m->top[i / LEAF_ENTRIES], at;
	if (!*leaf) {
		int rc = zeroed_page(&m->payer->quota, &at);
		if (rc)
			return rc;
		*leaf = phys_to_virt(at);
	}
	*out = &(*leaf)[i % LEAF_ENTRIES];
	return STATUS_OK;
}

int memobj_page_in(struct memobj *m, uint64_t i, uint64_t *pa)
{
	if ((*pa = memobj_page(m, i)))
		return STATUS_OK;
	uint64_t *e;
	int rc = leaf_slot(m, i, &e);
	if (rc || (rc = zeroed_page(&m->payer->quota, e)))
		return rc;
	m->populated++;
	*pa = *e;
	return STATUS_OK;
}

static int make_private(struct memobj *m, uint64_t i);

int memobj_populate(struct memobj *m, uint64_t first, uint64_t n)
{
	uint64_t pa;
	for (uint64_t i = first; i < first + n; i++) {
		/* The nucleus writes these through the direct map: none may
		 * be shared copy-on-write. */
		int rc = memobj_page_in(m, i, &pa);
		if (rc || (is_cow(m, i) && (rc = make_private(m, i))))
			return rc;
	}
	tlb_shootdown(); /* make_private may have moved mapped pages */
	return STATUS_OK;
}

/* Gives back page i of m (which it has): its charge, and the page itself
 * unless another object still shares it. */
static void drop_page(struct memobj *m, uint64_t i)
{
	uint64_t *e = &m->top[i / LEAF_ENTRIES][i % LEAF_ENTRIES];
	uint64_t pa = *e & ENTRY_ADDR;
	if (!(*e & ENTRY_COW) || --*shares_of(pa) == 0)
		pmm_free(nucleus_pmm, pa);
	quota_release(&m->payer->quota, PAGE_SIZE);
	*e = 0;
	m->populated--;
}

/* Gives back DMA memory's run of pages and their charge. */
static void free_dma_pages(struct memobj *m)
{
	for (uint64_t i = 0; i < m->npages; i++)
		free_page(&m->payer->quota, m->base + i * PAGE_SIZE);
}

/* Frees an anonymous object's pages, leaves and top, refunding the payer;
 * DMA memory's pages too. Other fixed objects' pages are not theirs. */
static void free_pages(struct memobj *m)
{
	if (m->dma)
		free_dma_pages(m);
	if (m->fixed)
		return;
	for_each_page(m, i, 0, m->npages)
		drop_page(m, i);
	for (uint64_t l = 0; l < leaves_of(m->npages); l++)
		if (m->top[l])
			free_page(&m->payer->quota,
				  virt_to_phys_direct(m->top[l]));
	uint64_t pa = virt_to_phys_direct(m->top);
	for (uint64_t i = 0; i < m->top_pages; i++)
		free_page(&m->payer->quota, pa + i * PAGE_SIZE);
}

/* An empty index for npages paid by d: in m itself when small. */
static int alloc_index(struct memobj *m, struct domain *d, uint64_t npages)
{
	uint64_t bytes = leaves_of(npages) * sizeof(uint64_t *), pa;
	m->payer = d;
	m->npages = npages;
	m->top = m->small_top;
	m->top_pages = 0;
	if (leaves_of(npages) <= MEMOBJ_SMALL_TOP)
		return STATUS_OK;
	uint64_t n = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	if (quota_charge(&d->quota, n * PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (pmm_alloc_range(nucleus_pmm, n, PAGE_SIZE, ~0ull, &pa)) {
		quota_release(&d->quota, n * PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	m->top = phys_to_virt(pa);
	m->top_pages = n;
	memset(m->top, 0, n * PAGE_SIZE);
	return STATUS_OK;
}

/* ---- objects ---- */

static long install(struct domain *d, uint32_t dst, struct memobj *m,
		    uint32_t rights, struct memobj **out)
{
	kobj_get(&d->obj); /* the payer's accounts outlive the object */
	kobj_init(&m->obj, OBJ_MEMORY);
	cap_insert(&d->caps, dst, &m->obj, rights, 0, NULL);
	kobj_put(&m->obj); /* the slot holds it now */
	if (out)
		*out = m;
	return STATUS_OK;
}

/* A new object record paid by d: anonymous with an empty index, or
 * (fixed) over the physical pages from `phys`. */
static int new_object(struct domain *d, uint64_t pages, int fixed,
		      uint64_t phys, struct memobj **out)
{
	caches_init();
	void *mem;
	int rc = kmem_alloc(&memobj_cache, &d->quota, &mem);
	if (rc)
		return rc;
	struct memobj *m = mem;
	memset(m, 0, sizeof(*m));
	m->fixed = fixed;
	m->base = phys;
	if (fixed) {
		m->payer = d;
		m->npages = pages;
	} else if ((rc = alloc_index(m, d, pages))) {
		kmem_free(&memobj_cache, &d->quota, m);
		return rc;
	}
	*out = m;
	return STATUS_OK;
}

/*
 * A memory object in d's slot dst with `rights`: anonymous (pages on
 * demand), or (fixed) the physical pages from `phys`, which are not the
 * object's to free (device memory, boot modules); `uncached` maps them so.
 */
static long create(struct domain *d, uint32_t dst, uint64_t pages, int fixed,
		   uint64_t phys, int uncached, uint32_t rights,
		   struct memobj **out)
{
	int rc = cap_slot_free(&d->caps, dst);
	if (rc)
		return rc;
	if (pages == 0 || pages > MAX_PAGES)
		return STATUS_ERR_INVAL;
	struct memobj *m;
	if ((rc = new_object(d, pages, fixed, phys, &m)))
		return rc;
	m->device = uncached;
	return install(d, dst, m, rights, out);
}

long memobj_create_physical(struct domain *d, uint32_t dst, uint64_t phys,
			    uint64_t pages)
{
	return create(d, dst, pages, 1, phys, 1, RIGHT_ALL, NULL);
}

long memobj_create_boot(struct domain *d, uint32_t dst, uint64_t phys,
			uint64_t pages)
{
	return create(d, dst, pages, 1, phys, 0, RIGHT_READ | RIGHT_GRANT, NULL);
}

long memobj_create_anon(struct domain *d, uint32_t dst, uint64_t pages,
			uint32_t rights, struct memobj **out)
{
	return create(d, dst, pages, 0, 0, 0, rights, out);
}

/* A run of `pages` free pages, below 4 GiB when there is one (devices
 * that address only 32 bits can use it), else anywhere. */
static int dma_pages(uint64_t pages, uint64_t *phys)
{
	if (pmm_alloc_range(nucleus_pmm, pages, PAGE_SIZE, 1ull << 32, phys) ==
	    STATUS_OK)
		return STATUS_OK;
	return pmm_alloc_range(nucleus_pmm, pages, PAGE_SIZE, ~0ull, phys);
}

long memobj_create_dma(struct domain *d, uint32_t dst, uint64_t pages,
		       uint64_t *phys)
{
	int rc = cap_slot_free(&d->caps, dst);
	if (rc)
		return rc;
	if (pages == 0 || pages > MAX_PAGES)
		return STATUS_ERR_INVAL;
	if (quota_charge(&d->quota, pages * PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (dma_pages(pages, phys)) {
		quota_release(&d->quota, pages * PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	struct memobj *m;
	if ((rc = new_object(d, pages, 1, *phys, &m))) {
		for (uint64_t i = 0; i < pages; i++)
			free_page(&d->quota, *phys + i * PAGE_SIZE);
		return rc;
	}
	memset(phys_to_virt(*phys), 0, pages * PAGE_SIZE);
	m->dma = 1;
	return install(d, dst, m, RIGHT_ALL, NULL);
}

long sys_mem_create(uint32_t dst, uint64_t pages)
{
	return memobj_create_anon(current_domain(), dst, pages, RIGHT_ALL, NULL);
}

static void memobj_release(struct kobj *o)
{
	struct memobj *m = container_of(o, struct memobj, obj);
	struct domain *payer = m->payer;
	free_pages(m);
	kmem_free(&memobj_cache, &payer->quota, m);
	kobj_put(&payer->obj);
}

/* ---- mappings ---- */

/* The capability's rights as page rights. */
static unsigned page_rights(uint32_t cap_rights)
{
	return (cap_rights & RIGHT_WRITE ? VM_WRITE : 0) |
	       (cap_rights & RIGHT_EXEC ? VM_EXEC : 0);
}

static int check_map_args(struct memobj *m, uint64_t offset, uint64_t va,
			  uint64_t pages, uint64_t rights, uint32_t cap_rights)
{
	if (pages == 0 || offset >= m->npages || pages > m->npages - offset)
		return STATUS_ERR_RANGE;
	if (va % PAGE_SIZE || va >= USER_TOP ||
	    pages > (USER_TOP - va) / PAGE_SIZE)
		return STATUS_ERR_RANGE;
	if (rights & ~(uint64_t)(RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC))
		return STATUS_ERR_INVAL;
	if ((rights & RIGHT_WRITE) && (rights & RIGHT_EXEC))
		return STATUS_ERR_INVAL; /* W^X, for user space too */
	if (!(cap_rights & RIGHT_READ) || (rights & ~(uint64_t)cap_rights))
		return STATUS_ERR_DENIED;
	return STATUS_OK;
}

static uint64_t map_end(const struct mapping *map)
{
	return map->va + map->npages * PAGE_SIZE;
}

/* The mapping of d covering user address va, or NULL. */
static struct mapping *mapping_at(struct domain *d, uint64_t va)
{
	struct mapping *map = d->mappings;
	while (map && (va < map->va || va >= map_end(map)))
		map = map->next;
	return map;
}

/* Whether no mapping of d touches [va, va + pages): a range mapped but
 * not yet touched is not free, though it has no page table entries. */
static int range_free(struct domain *d, uint64_t va, uint64_t pages)
{
	uint64_t end = va + pages * PAGE_SIZE;
	for (struct mapping *map = d->mappings; map; map = map->next)
		if (map->va < end && va < map_end(map))
			return 0;
	return 1;
}

/* The address at which map shows page i of its object. */
static uint64_t va_of(const struct mapping *map, uint64_t i)
{
	return map->va + (i - map->offset) * PAGE_SIZE;
}

/* The page rights map gives page i: a copy-on-write page is read-only,
 * whatever the mapping allows, until a write fault copies it. */
static unsigned pte_rights(const struct mapping *map, uint64_t i)
{
	return is_cow(map->mo, i) ? map->rights & ~(unsigned)VM_WRITE
				  : map->rights;
}

/* Unmaps the object's pages [first, end) that map shows (without the
 * TLB shootdown, which the caller does once). */
static void unmap_pages(const struct mapping *map, uint64_t first,
			uint64_t end)
{
	for_each_page(map->mo, i, first, end)
		aspace_unmap(&map->d->as, va_of(map, i), NULL);
}

/* Maps the pages the object has in map's range: all or nothing. */
static int map_pages(const struct mapping *map)
{
	uint64_t end = map->offset + map->npages;
	for_each_page(map->mo, i, map->offset, end) {
		int rc = aspace_map(&map->d->as, va_of(map, i),
				    memobj_page(map->mo, i), pte_rights(map, i));
		if (rc) {
			unmap_pages(map, map->offset, i);
			tlb_shootdown();
			return rc;
		}
	}
	return STATUS_OK;
}

/* Maps pages [offset, offset + pages) of m at va in d with page rights
 * vr (at most max later): all or nothing. The mapping holds a reference.
 * The pages m has are entered in d's page tables now when `now`, else
 * at d's first touch of each (a fork's child, which mostly touches few
 * before it execs or exits). */
static long map_object(struct domain *d, struct memobj *m, uint64_t offset,
		       uint64_t va, uint64_t pages, unsigned vr, unsigned max,
		       int now)
{
	if (!range_free(d, va, pages))
		return STATUS_ERR_EXIST;
	void *mem_rec;
	int rc = kmem_alloc(&mapping_cache, &d->quota, &mem_rec);
	if (rc)
		return rc;
	struct mapping *map = mem_rec;
	*map = (struct mapping){ d->mappings, m->maps, d,   va, pages,
				 offset,      vr,      max, m };
	if (now && (rc = map_pages(map))) {
		kmem_free(&mapping_cache, &d->quota, map);
		return rc;
	}
	d->mappings = map;
	m->maps = map;
	kobj_get(&m->obj);
	return STATUS_OK;
}

long sys_mem_map(uint32_t domain, uint32_t mem, uint64_t offset, uint64_t va,
		 uint64_t pages, uint64_t rights)
{
	struct domain *d;
	struct cap *mc;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc ||
	    (rc = cap_lookup(&current_domain()->caps, mem, OBJ_MEMORY, 0, &mc)))
		return rc;
	struct memobj *m = container_of(mc->obj, struct memobj, obj);
	if ((rc = check_map_args(m, offset, va, pages, rights, mc->rights)))
		return rc;
	unsigned vr = page_rights((uint32_t)rights) | VM_USER |
		      (m->device ? VM_NOCACHE : 0);
	return map_object(d, m, offset, va, pages, vr,
			  page_rights(mc->rights) | VM_USER | VM_NOCACHE, 1);
}

/* The link to the mapping of d that starts at va (*result NULL if none). */
static struct mapping **find_mapping(struct domain *d, uint64_t va)
{
	struct mapping **p = &d->mappings;
	while (*p && (*p)->va != va)
		p = &(*p)->next;
	return p;
}

static void unlink_from_object(struct mapping *map)
{
	struct mapping **p = &map->mo->maps;
	while (*p != map)
		p = &(*p)->obj_next;
	*p = map->obj_next;
}

static void drop(struct domain *d, struct mapping **p)
{
	struct mapping *map = *p;
	*p = map->next;
	unlink_from_object(map);
	unmap_pages(map, map->offset, map->offset + map->npages);
	/* Another CPU may run a thread of d with these pages cached. */
	tlb_shootdown();
	kobj_put(&map->mo->obj);
	kmem_free(&mapping_cache, &d->quota, map);
}

long sys_mem_unmap(uint32_t domain, uint64_t va)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	struct mapping **p = find_mapping(d, va);
	if (!*p)
		return STATUS_ERR_NOENT;
	drop(d, p);
	return STATUS_OK;
}

/* Gives the pages [first, end) that map shows (those its domain touched) the
 * rights map gives them now (without the TLB shootdown). Unmapping and
 * mapping again cannot fail: the tables exist. */
static void reprotect(const struct mapping *map, uint64_t first, uint64_t end)
{
	if (first < map->offset)
		first = map->offset;
	if (end > map->offset + map->npages)
		end = map->offset + map->npages;
	for_each_page(map->mo, i, first, end)
		if (aspace_unmap(&map->d->as, va_of(map, i), NULL) == STATUS_OK)
			aspace_map(&map->d->as, va_of(map, i),
				   memobj_page(map->mo, i), pte_rights(map, i));
}

long sys_mem_protect(uint32_t domain, uint64_t va, uint64_t rights)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	struct mapping *map = *find_mapping(d, va);
	if (!map)
		return STATUS_ERR_NOENT;
	if (rights & ~(uint64_t)(RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC) ||
	    ((rights & RIGHT_WRITE) && (rights & RIGHT_EXEC)))
		return STATUS_ERR_INVAL;
	unsigned vr = page_rights((uint32_t)rights) | VM_USER |
		      (map->mo->device ? VM_NOCACHE : 0);
	if (vr & ~map->max_rights)
		return STATUS_ERR_DENIED;
	map->rights = vr;
	reprotect(map, map->offset, map->offset + map->npages);
	tlb_shootdown();
	return STATUS_OK;
}

/* ---- pages on demand ---- */

/* The index in map's object of the page at va (inside map). */
static uint64_t index_of(const struct mapping *map, uint64_t va)
{
	return map->offset + (va - map->va) / PAGE_SIZE;
}

/*
 * Gives page i of m (copy-on-write) a page of its own: the shared one if
 * nobody else names it any more, else a copy (no new charge: m paid for
 * the page when it shared it). Every mapping of m that showed the old
 * page loses it (the caller shoots the TLBs down); the next touch maps
 * the new one. 0, or ERR_NOMEM with nothing changed.
 */
static int make_private(struct memobj *m, uint64_t i)
{
	uint64_t *e = &m->top[i / LEAF_ENTRIES][i % LEAF_ENTRIES];
	uint64_t pa = *e & ENTRY_ADDR, copy = pa;
	if (*shares_of(pa) > 1) {
		if (pmm_alloc(nucleus_pmm, &copy))
			return STATUS_ERR_NOMEM;
		memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
	}
	--*shares_of(pa);
	*e = copy;
	for (struct mapping *map = m->maps; map; map = map->obj_next)
		if (i >= map->offset && i < map->offset + map->npages)
			aspace_unmap(&map->d->as, va_of(map, i), NULL);
	return STATUS_OK;
}

/* A write to the page at va, which map shows read-only though it allows
 * writing: a copy-on-write page gets a page of its own, mapped writable. */
static int write_fault(struct mapping *map, uint64_t va)
{
	uint64_t i = index_of(map, va), pa;
	unsigned now;
	if (!is_cow(map->mo, i)) {
		/* Another CPU made it private first (it is writable or gone
		 * now: try again), or it is none of ours. */
		int there = aspace_lookup(&map->d->as, va, &pa, &now) == 0;
		return !there || (now & VM_WRITE) ? STATUS_OK : STATUS_ERR_NOENT;
	}
	int rc = make_private(map->mo, i);
	tlb_shootdown();
	if (rc)
		return rc;
	return aspace_map(&map->d->as, va, memobj_page(map->mo, i),
			  map->rights);
}

int memobj_fault(struct domain *d, uint64_t va, unsigned access, int present)
{
	struct mapping *map = va < USER_TOP ? mapping_at(d, va) : NULL;
	if (!map)
		return STATUS_ERR_NOENT;
	if (access & (VM_WRITE | VM_EXEC) & ~map->rights)
		return STATUS_ERR_DENIED;
	uint64_t page = va & ~(uint64_t)(PAGE_SIZE - 1), pa;
	if (present)
		return access & VM_WRITE ? write_fault(map, page)
					 : STATUS_ERR_NOENT;
	unsigned now;
	if (aspace_lookup(&d->as, page, &pa, &now) == STATUS_OK)
		return STATUS_OK; /* another CPU brought it in meanwhile */
	uint64_t i = index_of(map, page);
	int rc = memobj_page_in(map->mo, i, &pa);
	if (rc)
		return rc;
	rc = aspace_map(&d->as, page, pa, pte_rights(map, i));
	/* A write to a copy-on-write page: the copy at once. */
	return rc || !(access & VM_WRITE) || !is_cow(map->mo, i)
		   ? rc
		   : write_fault(map, page);
}

/* The object in our slot mem, which we may write, with pages [offset,
 * offset + pages) inside it: 0, or the capability error / ERR_RANGE. */
static int writable_range(uint32_t mem, uint64_t offset, uint64_t pages,
			  struct memobj **out)
{
	struct cap *mc;
	int rc = cap_lookup(&current_domain()->caps, mem, OBJ_MEMORY,
			    RIGHT_WRITE, &mc);
	if (rc)
		return rc;
	struct memobj *m = container_of(mc->obj, struct memobj, obj);
	if (offset >= m->npages || pages > m->npages - offset)
		return STATUS_ERR_RANGE;
	*out = m;
	return STATUS_OK;
}

/*
 * Gives back pages [offset, offset + pages) of an object we may write:
 * they read as zeros afterwards, in every domain that maps them, and
 * their quota returns to the payer. For memory a program no longer needs
 * (Linux's MADV_DONTNEED on private memory, a heap that shrinks).
 */
long sys_mem_discard(uint32_t mem, uint64_t offset, uint64_t pages)
{
	struct memobj *m;
	int rc = writable_range(mem, offset, pages, &m);
	if (rc)
		return rc;
	if (m->fixed || m->pinned)
		return STATUS_ERR_DENIED;
	uint64_t end = offset + pages;
	for (struct mapping *map = m->maps; map; map = map->obj_next) {
		uint64_t lo = offset > map->offset ? offset : map->offset;
		uint64_t hi = map->offset + map->npages;
		unmap_pages(map, lo, end < hi ? end : hi);
	}
	tlb_shootdown(); /* before the pages can be anyone else's */
	for_each_page(m, i, offset, end)
		drop_page(m, i);
	return STATUS_OK;
}

/*
 * Gives pages [offset, offset + pages) of an object we may write their
 * pages now, paid by its payer, as if each had been touched: for memory
 * that must not come on demand (a server's, which must not fail at a
 * fault in the middle of a request nor grow with its load). 0, or
 * ERR_QUOTA / ERR_NOMEM with the pages brought in so far kept.
 */
long sys_mem_populate(uint32_t mem, uint64_t offset, uint64_t pages)
{
	struct memobj *m;
	int rc = writable_range(mem, offset, pages, &m);
	if (rc)
		return rc;
	return m->fixed ? STATUS_OK : memobj_populate(m, offset, pages);
}

/* ---- fork ---- */

/* Page j of c: a copy of page i of m now. */
static int copy_page(struct memobj *c, uint64_t j, struct memobj *m, uint64_t i)
{
	uint64_t pa;
	int rc = memobj_page_in(c, j, &pa);
	if (rc == STATUS_OK)
		memcpy(phys_to_virt(pa), phys_to_virt(memobj_page(m, i)),
		       PAGE_SIZE);
	return rc;
}

/* Page j of c: page i of m, shared copy-on-write by both (c's payer pays
 * for it, as for a copy). 0, or ERR_QUOTA / ERR_NOMEM with m unchanged. */
static int share_page(struct memobj *c, uint64_t j, struct memobj *m, uint64_t i)
{
	uint64_t *src = &m->top[i / LEAF_ENTRIES][i % LEAF_ENTRIES], *dst;
	uint64_t pa = *src & ENTRY_ADDR;
	if ((*src & ENTRY_COW) && *shares_of(pa) == MAX_SHARES)
		return copy_page(c, j, m, i); /* shared enough */
	int rc = leaf_slot(c, j, &dst);
	if (rc || (rc = quota_charge(&c->payer->quota, PAGE_SIZE)))
		return rc ? rc : STATUS_ERR_QUOTA;
	if (!(*src & ENTRY_COW)) {
		*src |= ENTRY_COW;
		*shares_of(pa) = 1;
	}
	++*shares_of(pa);
	*dst = pa | ENTRY_COW;
	c->populated++;
	return STATUS_OK;
}

/*
 * A new object in d's quota holding pages [offset, offset + n) of m as
 * they are now (those it has: the rest stay to come, zeroed, on demand);
 * it has no capability (its mapping will hold it). An anonymous m's
 * pages are shared copy-on-write: read-only in every mapping of m from
 * now on, copied by the first write on either side (make_private). A
 * fixed object's pages and the log ring's are copied at once.
 */
static long copy_object(struct domain *d, struct memobj *m, uint64_t offset,
			uint64_t n, struct memobj **out)
{
	struct memobj *c;
	int rc = new_object(d, n, 0, 0, &c);
	if (rc)
		return rc;
	kobj_get(&d->obj); /* the payer's accounts outlive the object */
	kobj_init(&c->obj, OBJ_MEMORY);
	int cow = !m->fixed && !m->pinned && shares_ready();
	for_each_page(m, i, offset, offset + n) {
		rc = cow ? share_page(c, i - offset, m, i)
			 : copy_page(c, i - offset, m, i);
		if (rc) {
			kobj_put(&c->obj); /* frees (unshares) what it got */
			return rc;
		}
	}
	for (struct mapping *map = m->maps; cow && map; map = map->obj_next)
		reprotect(map, offset, offset + n);
	tlb_shootdown();
	*out = c;
	return STATUS_OK;
}

/* A mapping's page rights as a capability's. */
static uint32_t cap_rights_of(unsigned vr)
{
	return RIGHT_READ | RIGHT_GRANT | (vr & VM_WRITE ? RIGHT_WRITE : 0) |
	       (vr & VM_EXEC ? RIGHT_EXEC : 0);
}

/*
 * Gives a child (d, which we control) what we have mapped at va, at the
 * same address with the same rights: the same pages (MEM_FORK_SHARE), or
 * a copy of them paid by d (MEM_FORK_COPY); and, when dst is not 0, a
 * capability to that object (the copy: all rights; the same object: what
 * the mapping may do) in the child's slot dst, so that the child can map
 * it again (unmap or reprotect a part). A fork is one call per mapping;
 * device memory is never handed on this way. On any error nothing
 * changed.
 */
long sys_mem_fork(uint32_t domain, uint64_t va, uint64_t how, uint32_t dst)
{
	struct domain *self = current_domain(), *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	if (d == self || (how != MEM_FORK_SHARE && how != MEM_FORK_COPY))
		return STATUS_ERR_INVAL;
	struct mapping *src = *find_mapping(self, va);
	if (!src)
		return STATUS_ERR_NOENT;
	if (src->mo->device)
		return STATUS_ERR_DENIED;
	if (dst && (rc = cap_slot_free(&d->caps, dst)))
		return rc;
	if (!range_free(d, va, src->npages))
		return STATUS_ERR_EXIST;
	struct memobj *m = src->mo;
	uint64_t offset = src->offset;
	uint32_t rights = cap_rights_of(src->max_rights);
	if (how == MEM_FORK_COPY) {
		if ((rc = copy_object(d, src->mo, src->offset, src->npages,
				      &m)))
			return rc;
		offset = 0;
		rights = RIGHT_ALL;
	}
	rc = map_object(d, m, offset, va, src->npages, src->rights,
			src->max_rights, 0);
	if (rc == STATUS_OK && dst)
		rc = cap_insert(&d->caps, dst, &m->obj, rights, 0, NULL);
	if (how == MEM_FORK_COPY)
		kobj_put(&m->obj); /* the mapping holds it, or it goes now */
	return rc;
}

void mappings_drop_all(struct domain *d)
{
	while (d->mappings)
		drop(d, &d->mappings);
}
