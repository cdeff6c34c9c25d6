/*
 * Page tables for the nucleus's half of the address space: see paging.h.
 * Pages for page tables come from the physical allocator and are reached
 * through the direct map, which exists from the first instruction (boot.S
 * maps the first 4 GiB) so that building the final tables needs no tricks.
 */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/smp.h>
#include <panic.h>
#include <pmm.h>
#include <quota.h>
#include <string/kstring.h>

#include <metta/status.h>

#define PTE_P	  (1ull << 0)
#define PTE_W	  (1ull << 1)
#define PTE_U	  (1ull << 2)
#define PTE_PWT	  (1ull << 3)
#define PTE_PCD	  (1ull << 4)
#define PTE_PS	  (1ull << 7)
#define PTE_G	  (1ull << 8)
#define PTE_OWNED (1ull << 9) /* available bit: the space owns the page */
#define PTE_NX	  (1ull << 63)
#define PTE_ADDR  0x000ffffffffff000ull

#define LARGE_PAGE (2ull << 20)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static struct pmm *vm_pmm;
static uint64_t *kernel_pml4;
static struct aspace kernel_space;
static uint64_t next_stack_va = STACK_AREA_BASE;
static uint64_t next_mmio_va = MMIO_AREA_BASE;

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* A zeroed page-table page, charged to q. */
static uint64_t *table_page(struct quota *q)
{
	uint64_t phys;
	if (quota_charge(q, PAGE_SIZE))
		return NULL;
	if (pmm_alloc(vm_pmm, &phys)) {
		quota_release(q, PAGE_SIZE);
		return NULL;
	}
	uint64_t *t = phys_to_virt(phys);
	memset(t, 0, PAGE_SIZE);
	return t;
}

/*
 * The entry for va at `level` (0 = page table) in the tables of `as`,
 * creating intermediate tables when `create`; NULL if absent, out of
 * memory or quota, or inside a large page.
 */
static uint64_t *walk(struct aspace *as, uint64_t va, int level, int create)
{
	uint64_t *table = phys_to_virt(as->root);
	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t *next = table_page(as->quota);
			if (!next)
				return NULL;
			as->table_pages++;
			/* User bit on tables: the leaf decides. */
			*e = virt_to_phys_direct(next) | PTE_P | PTE_W |
			     (va < USER_TOP ? PTE_U : 0);
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[index_at(va, level)];
}

static uint64_t pte_bits(unsigned rights)
{
	uint64_t bits = PTE_P;
	if (rights & VM_WRITE)
		bits |= PTE_W;
	if (!(rights & VM_EXEC))
		bits |= PTE_NX;
	if (rights & VM_USER)
		bits |= PTE_U;
	else
		bits |= PTE_G;
	if (rights & VM_NOCACHE)
		bits |= PTE_PCD | PTE_PWT;
	if (rights & VM_OWNED)
		bits |= PTE_OWNED;
	return bits;
}

int aspace_map(struct aspace *as, uint64_t va, uint64_t pa, unsigned rights)
{
	if ((rights & VM_USER) ? va >= USER_TOP : va < USER_TOP)
		return STATUS_ERR_RANGE;
	uint64_t *pte = walk(as, va, 0, 1);
	if (!pte)
		return as->quota->used + PAGE_SIZE > as->quota->limit
			   ? STATUS_ERR_QUOTA
			   : STATUS_ERR_NOMEM;
	if (*pte & PTE_P)
		return STATUS_ERR_EXIST;
	*pte = (pa & PTE_ADDR) | pte_bits(rights);
	return STATUS_OK;
}

int aspace_unmap(struct aspace *as, uint64_t va, uint64_t *pa)
{
	uint64_t *pte = walk(as, va, 0, 0);
	if (!pte || !(*pte & PTE_P))
		return STATUS_ERR_NOENT;
	if (pa)
		*pa = *pte & PTE_ADDR;
	*pte = 0;
	invlpg(va); /* only right for the running space; others reload CR3 */
	return STATUS_OK;
}

int vm_map_identity(uint64_t pa)
{
	/* Only for starting CPUs: a nucleus page in the lower half, which
	 * user spaces never share (they copy the upper half alone). */
	uint64_t *pte = walk(&kernel_space, pa, 0, 1);
	if (!pte)
		return STATUS_ERR_NOMEM;
	*pte = (pa & PTE_ADDR) | PTE_P | PTE_W;
	return STATUS_OK;
}

int vm_map(uint64_t va, uint64_t pa, unsigned rights)
{
	return aspace_map(&kernel_space, va, pa, rights);
}

int vm_unmap(uint64_t va)
{
	return aspace_unmap(&kernel_space, va, NULL);
}

static unsigned rights_of(uint64_t e)
{
	unsigned r = VM_READ;
	if (e & PTE_W)
		r |= VM_WRITE;
	if (!(e & PTE_NX))
		r |= VM_EXEC;
	if (e & PTE_U)
		r |= VM_USER;
	if (e & PTE_PCD)
		r |= VM_NOCACHE;
	return r;
}

int aspace_lookup(const struct aspace *as, uint64_t va, uint64_t *pa,
		  unsigned *rights)
{
	uint64_t *table = phys_to_virt(as->root);
	for (int l = 3; l >= 0; l--) {
		uint64_t e = table[index_at(va, l)];
		if (!(e & PTE_P))
			return STATUS_ERR_NOENT;
		if (l == 0 || (e & PTE_PS)) {
			uint64_t size = 1ull << (12 + 9 * l);
			*pa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
			*rights = rights_of(e);
			return STATUS_OK;
		}
		table = phys_to_virt(e & PTE_ADDR);
	}
	return STATUS_ERR_NOENT;
}

int vm_lookup(uint64_t va, uint64_t *pa, unsigned *rights)
{
	return aspace_lookup(&kernel_space, va, pa, rights);
}

uint64_t vm_kernel_root(void)
{
	return kernel_space.root;
}

int aspace_create(struct aspace *as, struct quota *q)
{
	*as = (struct aspace){ .quota = q };
	uint64_t *root = table_page(q);
	if (!root)
		return STATUS_ERR_QUOTA;
	/* Share the nucleus's half: its top-level entries never change. */
	for (int i = 256; i < 512; i++)
		root[i] = kernel_pml4[i];
	as->root = virt_to_phys_direct(root);
	as->table_pages = 1;
	return STATUS_OK;
}

/* Frees a table and everything below it; owned pages go back too. */
static void free_tables(struct aspace *as, uint64_t *table, int level)
{
	for (int i = 0; i < 512; i++) {
		uint64_t e = table[i];
		if (!(e & PTE_P))
			continue;
		if (level > 0 && !(e & PTE_PS)) {
			free_tables(as, phys_to_virt(e & PTE_ADDR), level - 1);
		} else if (e & PTE_OWNED) {
			pmm_free(vm_pmm, e & PTE_ADDR);
			quota_release(as->quota, PAGE_SIZE);
		}
	}
	pmm_free(vm_pmm, virt_to_phys_direct(table));
	quota_release(as->quota, PAGE_SIZE);
	as->table_pages--;
}

/* aspace_each_page below `table` (at `level`, covering from `base`). */
static uint64_t each_below(const uint64_t *table, int level, uint64_t base,
			   void (*fn)(uint64_t, uint64_t, int, void *),
			   void *arg)
{
	uint64_t tables = 1;
	for (int i = 0; i < 512; i++) {
		uint64_t e = table[i];
		uint64_t va = base + ((uint64_t)i << (12 + 9 * level));
		if (!(e & PTE_P))
			continue;
		if (level > 0 && !(e & PTE_PS))
			tables += each_below(phys_to_virt(e & PTE_ADDR),
					     level - 1, va, fn, arg);
		else
			fn(va, e & PTE_ADDR, !!(e & PTE_OWNED), arg);
	}
	return tables;
}

uint64_t aspace_each_page(const struct aspace *as,
			  void (*fn)(uint64_t va, uint64_t pa, int owned,
				     void *arg),
			  void *arg)
{
	const uint64_t *root = phys_to_virt(as->root);
	uint64_t tables = 1;
	for (int i = 0; i < 256; i++)
		if (root[i] & PTE_P)
			tables += each_below(phys_to_virt(root[i] & PTE_ADDR),
					     2, (uint64_t)i << 39, fn, arg);
	return tables;
}

void aspace_destroy(struct aspace *as)
{
	uint64_t *root = phys_to_virt(as->root);
	for (int i = 0; i < 256; i++)
		if (root[i] & PTE_P)
			free_tables(as, phys_to_virt(root[i] & PTE_ADDR), 2);
	pmm_free(vm_pmm, as->root);
	quota_release(as->quota, PAGE_SIZE);
	as->table_pages--;
	as->root = 0;
}

static void map_direct(uint64_t top)
{
	for (uint64_t pa = 0; pa < top; pa += LARGE_PAGE) {
		uint64_t *pde = walk(&kernel_space, DIRECT_MAP_BASE + pa, 1, 1);
		if (!pde)
			panic("out of memory building the direct map");
		*pde = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
}

static void map_image_range(char *start, char *end, unsigned rights)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
		if (vm_map(va, image_phys((void *)va), rights))
			panic("cannot map the nucleus image at 0x%lx", va);
}

/* Creates the top-level entry of an area now, so every future address
 * space can share it by copying the nucleus's half of the PML4. */
static void reserve_area(uint64_t base)
{
	uint64_t *e = &kernel_pml4[index_at(base, 3)];
	if (!(*e & PTE_P)) {
		uint64_t *t = table_page(&quota_nucleus);
		if (!t)
			panic("out of memory building page tables");
		*e = virt_to_phys_direct(t) | PTE_P | PTE_W;
	}
}

void vm_init(struct pmm *pmm, uint64_t top)
{
	vm_pmm = pmm;
	kernel_pml4 = table_page(&quota_nucleus);
	if (!kernel_pml4)
		panic("out of memory for the first page table");
	kernel_space = (struct aspace){ virt_to_phys_direct(kernel_pml4),
					&quota_nucleus, 1 };
	top = (top + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
	map_direct(top);
	map_image_range(__text_start, __text_end, VM_READ | VM_EXEC);
	map_image_range(__rodata_start, __rodata_end, VM_READ);
	map_image_range(__data_start, __data_end, VM_READ | VM_WRITE);
	reserve_area(STACK_AREA_BASE);
	reserve_area(MMIO_AREA_BASE);
	reserve_area(SCRATCH_AREA_BASE);
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(virt_to_phys_direct(kernel_pml4));
}

void *vm_map_device(uint64_t phys, uint64_t len)
{
	uint64_t first = phys & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t end =
	    (phys + len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t va = next_mmio_va;
	for (uint64_t pa = first; pa < end; pa += PAGE_SIZE)
		if (vm_map(va + (pa - first), pa, VM_WRITE | VM_NOCACHE))
			return NULL;
	next_mmio_va += end - first;
	return (void *)(va + (phys - first));
}

/* Freed stack slots (their tops), reused before the area grows. */
static uint64_t free_stacks[256];
static int nfree_stacks;

void *vm_alloc_stack(int pages, struct quota *q)
{
	if (pages != KSTACK_PAGES || quota_charge(q, pages * PAGE_SIZE))
		return NULL;
	uint64_t top = nfree_stacks ? free_stacks[--nfree_stacks]
				    : next_stack_va + PAGE_SIZE * (pages + 1);
	uint64_t base = top - (uint64_t)pages * PAGE_SIZE; /* guard below */
	for (int i = 0; i < pages; i++) {
		uint64_t pa, va = base + (uint64_t)i * PAGE_SIZE;
		if (pmm_alloc(vm_pmm, &pa)) {
			vm_free_stack((void *)top, i, q);
			quota_release(q, (uint64_t)(pages - i) * PAGE_SIZE);
			return NULL;
		}
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (vm_map(va, pa, VM_WRITE))
			panic("stack slot 0x%lx already mapped", va);
	}
	if (top > next_stack_va)
		next_stack_va = top;
	return (void *)top;
}

void vm_free_stack(void *top, int mapped, struct quota *q)
{
	uint64_t base = (uint64_t)top - KSTACK_PAGES * PAGE_SIZE;
	for (int i = 0; i < mapped; i++) {
		uint64_t pa, va = base + (uint64_t)i * PAGE_SIZE;
		if (aspace_unmap(&kernel_space, va, &pa) == STATUS_OK)
			pmm_free(vm_pmm, pa);
	}
	quota_release(q, (uint64_t)mapped * PAGE_SIZE);
	tlb_shootdown(); /* before the slot (and its pages) can be reused */
	if (nfree_stacks < (int)(sizeof(free_stacks) / sizeof(*free_stacks)))
		free_stacks[nfree_stacks++] = (uint64_t)top;
}

int vm_nx_enabled(void)
{
	return (rdmsr(MSR_EFER) >> 11) & 1;
}
