/*
 * 4-level paging. The nucleus keeps one set of page tables for its own half
 * (direct map, stacks, device registers, image), built once at boot; later
 * address spaces will share those upper-half entries.
 */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <arch/layout.h>
#include <stdint.h>

/* Rights and attributes of a mapping. */
#define VM_READ	   0 /* every present page is readable */
#define VM_WRITE   1
#define VM_EXEC	   2
#define VM_USER	   4
#define VM_NOCACHE 8
#define VM_OWNED   16 /* the space owns the page: freed with it */

struct pmm;
struct quota;

/* An address space: a page-table root whose table pages are charged to a
 * quota. Every space shares the nucleus's upper half. */
struct aspace {
	uint64_t root; /* physical address of the PML4 */
	struct quota *quota;
	uint64_t table_pages;
};

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(phys + DIRECT_MAP_BASE);
}

static inline uint64_t virt_to_phys_direct(const void *v)
{
	return (uint64_t)v - DIRECT_MAP_BASE;
}

/* Physical address of a symbol in the nucleus image. */
static inline uint64_t image_phys(const void *v)
{
	return (uint64_t)v - KERNEL_VMA;
}

/*
 * Builds the nucleus's page tables (direct map of [0, top) with 2 MiB pages,
 * the image with per-section rights, empty stack/device/scratch areas) and
 * switches to them. Page-table pages come from pmm.
 */
void vm_init(struct pmm *pmm, uint64_t top);

/* Maps physical page pa at its own address (AP start-up only). */
int vm_map_identity(uint64_t pa);

/* Maps one 4 KiB page: 0, STATUS_ERR_EXIST if va is mapped, ERR_NOMEM. */
int vm_map(uint64_t va, uint64_t pa, unsigned rights);

/* Unmaps one 4 KiB page: 0 or STATUS_ERR_NOENT. Flushes the TLB entry. */
int vm_unmap(uint64_t va);

/* Looks va up: 0 with its physical address and rights, or ERR_NOENT. */
int vm_lookup(uint64_t va, uint64_t *pa, unsigned *rights);

/* A new user address space: 0, or STATUS_ERR_QUOTA. */
int aspace_create(struct aspace *as, struct quota *q);
/* Frees its tables and the pages it owns (VM_OWNED), returning quota. */
void aspace_destroy(struct aspace *as);
/* Maps one page: 0, ERR_EXIST, ERR_RANGE (wrong half), ERR_QUOTA, ERR_NOMEM. */
int aspace_map(struct aspace *as, uint64_t va, uint64_t pa, unsigned rights);
/* Unmaps one page (its address in *pa if pa): 0 or ERR_NOENT. */
int aspace_unmap(struct aspace *as, uint64_t va, uint64_t *pa);
int aspace_lookup(const struct aspace *as, uint64_t va, uint64_t *pa,
		  unsigned *rights);
/*
 * For the consistency check: calls fn on every page mapped in the user
 * half of as (its address, physical address, and whether as owns it,
 * VM_OWNED), and returns the number of table pages (the root counted),
 * which must equal as->table_pages.
 */
uint64_t aspace_each_page(const struct aspace *as,
			  void (*fn)(uint64_t va, uint64_t pa, int owned,
				     void *arg),
			  void *arg);
/* The nucleus's own page-table root (for nucleus threads). */
uint64_t vm_kernel_root(void);

/* Maps device registers uncached; returns their virtual address or NULL. */
void *vm_map_device(uint64_t phys, uint64_t len);

/*
 * A nucleus stack of `pages` (= KSTACK_PAGES) pages with an unmapped guard
 * page below it, charged to q; returns its top, or NULL (nothing charged).
 * An overflow hits the guard.
 */
void *vm_alloc_stack(int pages, struct quota *q);

/* Returns a stack: its first `mapped` pages and their charge. */
void vm_free_stack(void *top, int mapped, struct quota *q);

/* Whether the CPU enforces no-execute (EFER.NXE set). */
int vm_nx_enabled(void);

#endif
