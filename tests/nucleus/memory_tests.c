/*
 * Self-tests of memory: the page allocator, paging and rights, guard pages,
 * recoverable faults, and the object allocator with quotas. They run inside
 * the nucleus on the real (emulated) machine.
 */
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <kmem.h>
#include <pmm.h>
#include <quota.h>
#include <selftest.h>

#include <metta/status.h>

static int in_reserved(const struct boot_info *bi, uint64_t page)
{
	for (int i = 0; i < bi->nreserved; i++) {
		const struct mem_range *r = &bi->reserved[i];
		if (page + PMM_PAGE > r->base && page < r->base + r->len)
			return 1;
	}
	return 0;
}

/*
 * Takes every free page, checking each against every reserved range, and
 * chains them through their own first words; then walks the chain, which a
 * page handed out twice would have broken, and frees them all.
 */
SELFTEST(pmm_never_hands_out_reserved)
{
	struct pmm *p = t->bi->pmm;
	uint64_t before = p->nfree, head = ~0ull, page, n = 0;
	while (pmm_alloc(p, &page) == STATUS_OK) {
		FAIL_IF(in_reserved(t->bi, page), "got reserved page 0x%lx",
			page);
		*(uint64_t *)phys_to_virt(page) = head;
		head = page;
		n++;
	}
	FAIL_IF(n != before, "took %lu pages, %lu were free", n, before);
	uint64_t walked = 0;
	while (head != ~0ull && walked <= n) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);
		FAIL_IF(pmm_free(p, head), "free of 0x%lx refused", head);
		head = next;
		walked++;
	}
	FAIL_IF(walked != n, "chain broken after %lu of %lu pages", walked, n);
	FAIL_IF(p->nfree != before, "free count %lu, was %lu", p->nfree,
		before);
	return 0;
}

SELFTEST(pmm_refuses_bad_frees)
{
	struct pmm *p = t->bi->pmm;
	uint64_t page, before;
	FAIL_IF(pmm_alloc(p, &page), "no page");
	FAIL_IF(pmm_free(p, page), "free refused");
	before = p->nfree;
	FAIL_IF(pmm_free(p, page) != STATUS_ERR_INVAL, "double free accepted");
	FAIL_IF(pmm_free(p, 0x1000) != STATUS_ERR_INVAL, "low memory accepted");
	FAIL_IF(p->nfree != before, "free count changed");
	return 0;
}

#define SCRATCH_PAGE (SCRATCH_AREA_BASE + 0x10000)

SELFTEST(paging_maps_and_unmaps)
{
	uint64_t page, pa, value;
	unsigned rights;
	FAIL_IF(pmm_alloc(t->bi->pmm, &page), "no page");
	FAIL_IF(vm_map(SCRATCH_PAGE, page, VM_WRITE), "map failed");
	FAIL_IF(vm_map(SCRATCH_PAGE, page, VM_WRITE) != STATUS_ERR_EXIST,
		"second map of the same address accepted");
	*(volatile uint64_t *)SCRATCH_PAGE = 0x5eed;
	FAIL_IF(*(uint64_t *)phys_to_virt(page) != 0x5eed,
		"write not visible through the direct map");
	FAIL_IF(vm_lookup(SCRATCH_PAGE, &pa, &rights) || pa != page,
		"lookup gives the wrong page");
	FAIL_IF(vm_unmap(SCRATCH_PAGE), "unmap failed");
	FAIL_IF(vm_lookup(SCRATCH_PAGE, &pa, &rights) != STATUS_ERR_NOENT,
		"still mapped after unmap");
	FAIL_IF(safe_read64((void *)SCRATCH_PAGE, &value) != STATUS_ERR_FAULT,
		"unmapped page still readable (stale TLB?)");
	FAIL_IF(vm_unmap(SCRATCH_PAGE) != STATUS_ERR_NOENT, "double unmap");
	pmm_free(t->bi->pmm, page);
	return 0;
}

/* Device memory (mem_phys objects) reaches user space uncached: the page
 * table entry has PCD and PWT, which a lookup reports as VM_NOCACHE. */
SELFTEST(paging_device_memory_uncached)
{
	struct aspace as;
	const uint64_t va = 0x10000000, vga = 0xb8000;
	uint64_t pa;
	unsigned r;
	FAIL_IF(aspace_create(&as, &quota_nucleus), "no address space");
	int bad = aspace_map(&as, va, vga, VM_USER | VM_WRITE | VM_NOCACHE) ||
		  aspace_lookup(&as, va, &pa, &r) || !(r & VM_NOCACHE) ||
		  aspace_map(&as, va + PAGE_SIZE, vga, VM_USER | VM_WRITE) ||
		  aspace_lookup(&as, va + PAGE_SIZE, &pa, &r) ||
		  (r & VM_NOCACHE);
	aspace_destroy(&as);
	FAIL_IF(bad, "uncached mapping not so, or a cached one uncached");
	return 0;
}

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
static const uint64_t a_constant = 42;
static uint64_t a_variable = 1;

SELFTEST(paging_image_rights)
{
	uint64_t pa;
	unsigned r;
	FAIL_IF(!vm_nx_enabled(), "no-execute is not enabled");
	FAIL_IF(vm_lookup((uint64_t)__text_start, &pa, &r) || (r & VM_WRITE) ||
		    !(r & VM_EXEC),
		"text is not read+execute");
	FAIL_IF(vm_lookup((uint64_t)&a_constant, &pa, &r) ||
		    (r & (VM_WRITE | VM_EXEC)),
		"rodata is not read-only, no-execute");
	FAIL_IF(vm_lookup((uint64_t)&a_variable, &pa, &r) || !(r & VM_WRITE) ||
		    (r & VM_EXEC),
		"data is not read+write, no-execute");
	/* The CPU enforces it: a write to rodata faults (CR0.WP). */
	FAIL_IF(safe_write64((void *)&a_constant, 7) != STATUS_ERR_FAULT,
		"write to rodata did not fault");
	FAIL_IF(a_constant != 42, "rodata changed");
	return 0;
}

SELFTEST(paging_no_page_writable_and_executable)
{
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__data_end;
	     va += PAGE_SIZE) {
		uint64_t pa;
		unsigned r;
		FAIL_IF(vm_lookup(va, &pa, &r), "image page 0x%lx unmapped",
			va);
		FAIL_IF((r & VM_WRITE) && (r & VM_EXEC),
			"page 0x%lx is writable and executable", va);
	}
	return 0;
}

SELFTEST(stack_has_guard_page)
{
	uint64_t top = t->bi->kernel_stack_top, pa, v;
	uint64_t guard = top - KSTACK_PAGES * PAGE_SIZE - PAGE_SIZE;
	unsigned r;
	uint64_t here = (uint64_t)__builtin_frame_address(0);
	FAIL_IF(here >= top || here < top - KSTACK_PAGES * PAGE_SIZE,
		"not running on the guarded stack");
	FAIL_IF(vm_lookup(guard, &pa, &r) != STATUS_ERR_NOENT,
		"guard page is mapped");
	FAIL_IF(safe_read64((void *)guard, &v) != STATUS_ERR_FAULT,
		"guard page readable");
	return 0;
}

SELFTEST(faults_in_marked_code_are_recovered)
{
	uint64_t v;
	/* Unmapped (#PF) and non-canonical (#GP) both end at the fixup. */
	FAIL_IF(safe_read64((void *)(SCRATCH_AREA_BASE + 0x7000), &v) !=
		    STATUS_ERR_FAULT,
		"page fault not recovered");
	FAIL_IF(safe_read64((void *)0x8000000000000000ull, &v) !=
		    STATUS_ERR_FAULT,
		"general protection fault not recovered");
	FAIL_IF(safe_read64(&a_variable, &v) || v != a_variable,
		"a good read failed");
	return 0;
}

SELFTEST(direct_map_covers_all_ram)
{
	struct pmm *p = t->bi->pmm;
	uint64_t last = 0, pa;
	unsigned r;
	for (uint64_t i = 0; i < p->npages; i++)
		if (pmm_is_usable(p, i * PMM_PAGE))
			last = i * PMM_PAGE;
	FAIL_IF(vm_lookup((uint64_t)phys_to_virt(last), &pa, &r) || pa != last,
		"last usable page 0x%lx not in the direct map", last);
	FAIL_IF(r & VM_EXEC, "direct map is executable");
	return 0;
}

SELFTEST(kmem_objects_are_charged_and_returned)
{
	static struct kmem_cache cache;
	static void *objs[1000];
	struct quota q = { "test", 1 << 20, 0 };
	uint64_t free_before = t->bi->pmm->nfree;
	FAIL_IF(kmem_cache_init(&cache, "test", 100), "cache init");
	for (int i = 0; i < 1000; i++) {
		FAIL_IF(kmem_alloc(&cache, &q, &objs[i]), "alloc %d failed", i);
		*(uint64_t *)objs[i] = (uint64_t)i;
	}
	FAIL_IF(q.used != 1000 * cache.size, "quota charged %lu", q.used);
	for (int i = 0; i < 1000; i++)
		FAIL_IF(*(uint64_t *)objs[i] != (uint64_t)i,
			"object %d overwritten", i);
	for (int i = 0; i < 1000; i++)
		FAIL_IF(kmem_free(&cache, &q, objs[i]), "free %d failed", i);
	FAIL_IF(q.used != 0, "quota not returned");
	FAIL_IF(t->bi->pmm->nfree != free_before, "pages not returned");
	return 0;
}

SELFTEST(kmem_full_quota_is_an_error)
{
	static struct kmem_cache cache;
	struct quota q = { "tiny", 256, 0 };
	void *a, *b, *c;
	kmem_cache_init(&cache, "test", 128);
	FAIL_IF(kmem_alloc(&cache, &q, &a) || kmem_alloc(&cache, &q, &b),
		"allocations within the quota failed");
	FAIL_IF(kmem_alloc(&cache, &q, &c) != STATUS_ERR_QUOTA,
		"allocation beyond the quota succeeded");
	FAIL_IF(q.used != 256 || cache.objects != 2,
		"failed call changed state");
	kmem_free(&cache, &q, a);
	kmem_free(&cache, &q, b);
	return 0;
}
