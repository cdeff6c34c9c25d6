/*
 * Memory objects and mappings: see memobj.h. Every call checks all its
 * arguments and the whole range before it changes anything; a mapping
 * that runs out of quota half-way is undone.
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

#define MAX_PAGES (1ull << 20) /* 4 GiB in one object */

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

/* Frees the object's pages (unless they are a device's) and its page
 * array, refunding the payer. */
static void free_pages(struct memobj *m)
{
	uint64_t owned = m->fixed ? 0 : m->npages;
	for (uint64_t i = 0; i < owned; i++)
		if (m->pages[i])
			pmm_free(nucleus_pmm, m->pages[i]);
	uint64_t pa = virt_to_phys_direct(m->pages);
	for (uint64_t i = 0; i < m->array_pages; i++)
		pmm_free(nucleus_pmm, pa + i * PAGE_SIZE);
	quota_release(&m->payer->quota, (owned + m->array_pages) * PAGE_SIZE);
}

static int alloc_pages(struct memobj *m, struct domain *d, uint64_t npages)
{
	uint64_t array_pages = (npages * 8 + PAGE_SIZE - 1) / PAGE_SIZE, pa;
	if (quota_charge(&d->quota, (npages + array_pages) * PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	m->payer = d;
	m->npages = 0;
	m->array_pages = array_pages;
	if (pmm_alloc_range(nucleus_pmm, array_pages, PAGE_SIZE, ~0ull, &pa)) {
		quota_release(&d->quota, (npages + array_pages) * PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	m->pages = phys_to_virt(pa);
	for (; m->npages < npages; m->npages++) {
		m->pages[m->npages] = 0;
		if (pmm_alloc(nucleus_pmm, &m->pages[m->npages]))
			break;
		memset(phys_to_virt(m->pages[m->npages]), 0, PAGE_SIZE);
	}
	if (m->npages < npages) {
		uint64_t got = m->npages;
		m->npages = got; /* free what we took, refund all */
		quota_release(&d->quota, (npages - got) * PAGE_SIZE);
		free_pages(m);
		return STATUS_ERR_NOMEM;
	}
	return STATUS_OK;
}

/* The array of a device object: physical pages, not allocated. */
static int alloc_array(struct memobj *m, struct domain *d, uint64_t phys,
		       uint64_t npages)
{
	uint64_t array_pages = (npages * 8 + PAGE_SIZE - 1) / PAGE_SIZE, pa;
	if (quota_charge(&d->quota, array_pages * PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (pmm_alloc_range(nucleus_pmm, array_pages, PAGE_SIZE, ~0ull, &pa)) {
		quota_release(&d->quota, array_pages * PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	m->payer = d;
	m->npages = npages;
	m->array_pages = array_pages;
	m->pages = phys_to_virt(pa);
	for (uint64_t i = 0; i < npages; i++)
		m->pages[i] = phys + i * PAGE_SIZE;
	return STATUS_OK;
}

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

/*
 * A memory object in d's slot dst with `rights`: fresh zeroed pages, or
 * (fixed) the physical pages from `phys`, which are not the object's to
 * free (device memory, boot modules); `uncached` maps them so.
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
	caches_init();
	void *mem;
	if ((rc = kmem_alloc(&memobj_cache, &d->quota, &mem)))
		return rc;
	struct memobj *m = mem;
	rc = fixed ? alloc_array(m, d, phys, pages) : alloc_pages(m, d, pages);
	if (rc) {
		kmem_free(&memobj_cache, &d->quota, m);
		return rc;
	}
	m->device = uncached;
	m->fixed = fixed;
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

static int range_free(struct domain *d, uint64_t va, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t pa;
		unsigned r;
		if (aspace_lookup(&d->as, va + i * PAGE_SIZE, &pa, &r) ==
		    STATUS_OK)
			return 0;
	}
	return 1;
}

static void unmap_range(struct domain *d, uint64_t va, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		aspace_unmap(&d->as, va + i * PAGE_SIZE, NULL);
	/* Another CPU may run a thread of d with these pages cached. */
	tlb_shootdown();
}

/* Maps pages [offset, offset + pages) of m at va in d with page rights
 * vr (at most max later): all or nothing. The mapping holds a reference. */
static long map_object(struct domain *d, struct memobj *m, uint64_t offset,
		       uint64_t va, uint64_t pages, unsigned vr, unsigned max)
{
	if (!range_free(d, va, pages))
		return STATUS_ERR_EXIST;
	void *mem_rec;
	int rc = kmem_alloc(&mapping_cache, &d->quota, &mem_rec);
	if (rc)
		return rc;
	struct mapping *map = mem_rec;
	for (uint64_t i = 0; i < pages; i++) {
		rc = aspace_map(&d->as, va + i * PAGE_SIZE,
				m->pages[offset + i], vr);
		if (rc) {
			unmap_range(d, va, i); /* all or nothing */
			kmem_free(&mapping_cache, &d->quota, map);
			return rc;
		}
	}
	*map = (struct mapping){ d->mappings, va, pages, offset, vr, max, m };
	d->mappings = map;
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
			  page_rights(mc->rights) | VM_USER | VM_NOCACHE);
}

static struct mapping **find_mapping(struct domain *d, uint64_t va)
{
	struct mapping **p = &d->mappings;
	while (*p && (*p)->va != va)
		p = &(*p)->next;
	return p;
}

static void drop(struct domain *d, struct mapping **p)
{
	struct mapping *map = *p;
	*p = map->next;
	unmap_range(d, map->va, map->npages);
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
	/* Unmapping and mapping again cannot fail: the tables exist. */
	for (uint64_t i = 0; i < map->npages; i++) {
		uint64_t v = map->va + i * PAGE_SIZE;
		aspace_unmap(&d->as, v, NULL);
		aspace_map(&d->as, v, map->mo->pages[map->offset + i], vr);
	}
	tlb_shootdown();
	map->rights = vr;
	return STATUS_OK;
}

/* A new object in d's quota holding a copy of pages [offset, offset + n)
 * of m; it has no capability (its mapping will hold it). */
static long copy_object(struct domain *d, struct memobj *m, uint64_t offset,
			uint64_t n, struct memobj **out)
{
	caches_init();
	void *mem;
	int rc = kmem_alloc(&memobj_cache, &d->quota, &mem);
	if (rc)
		return rc;
	struct memobj *c = mem;
	if ((rc = alloc_pages(c, d, n))) {
		kmem_free(&memobj_cache, &d->quota, c);
		return rc;
	}
	for (uint64_t i = 0; i < n; i++)
		memcpy(phys_to_virt(c->pages[i]),
		       phys_to_virt(m->pages[offset + i]), PAGE_SIZE);
	c->device = c->fixed = 0;
	kobj_get(&d->obj); /* the payer's accounts outlive the object */
	kobj_init(&c->obj, OBJ_MEMORY);
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
			src->max_rights);
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
