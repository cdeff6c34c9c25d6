/*
 * Page tables for the nucleus's half of the address space: see paging.h.
 * Pages for page tables come from the physical allocator and are reached
 * through the direct map, which exists from the first instruction (boot.S
 * maps the first 4 GiB) so that building the final tables needs no tricks.
 */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <panic.h>
#include <pmm.h>
#include <string/kstring.h>

#include <metta/status.h>

#define PTE_P	 (1ull << 0)
#define PTE_W	 (1ull << 1)
#define PTE_U	 (1ull << 2)
#define PTE_PWT	 (1ull << 3)
#define PTE_PCD	 (1ull << 4)
#define PTE_PS	 (1ull << 7)
#define PTE_G	 (1ull << 8)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define LARGE_PAGE (2ull << 20)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static struct pmm *vm_pmm;
static uint64_t *kernel_pml4;
static uint64_t next_stack_va = STACK_AREA_BASE;
static uint64_t next_mmio_va = MMIO_AREA_BASE;

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

static uint64_t *table_page(void)
{
	uint64_t phys;
	if (pmm_alloc(vm_pmm, &phys))
		return NULL;
	uint64_t *t = phys_to_virt(phys);
	memset(t, 0, PAGE_SIZE);
	return t;
}

/*
 * The entry for va at `level` (0 = page table), creating intermediate
 * tables when `create`; NULL if absent, out of memory, or inside a large page.
 */
static uint64_t *walk(uint64_t va, int level, int create)
{
	uint64_t *table = kernel_pml4;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t *next = table_page();
			if (!next)
				return NULL;
			*e = virt_to_phys_direct(next) | PTE_P | PTE_W;
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
	return bits;
}

int vm_map(uint64_t va, uint64_t pa, unsigned rights)
{
	uint64_t *pte = walk(va, 0, 1);
	if (!pte)
		return STATUS_ERR_NOMEM;
	if (*pte & PTE_P)
		return STATUS_ERR_EXIST;
	*pte = (pa & PTE_ADDR) | pte_bits(rights);
	return STATUS_OK;
}

int vm_unmap(uint64_t va)
{
	uint64_t *pte = walk(va, 0, 0);
	if (!pte || !(*pte & PTE_P))
		return STATUS_ERR_NOENT;
	*pte = 0;
	invlpg(va);
	return STATUS_OK;
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

int vm_lookup(uint64_t va, uint64_t *pa, unsigned *rights)
{
	uint64_t *table = kernel_pml4;
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

static void map_direct(uint64_t top)
{
	for (uint64_t pa = 0; pa < top; pa += LARGE_PAGE) {
		uint64_t *pde = walk(DIRECT_MAP_BASE + pa, 1, 1);
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
		uint64_t *t = table_page();
		if (!t)
			panic("out of memory building page tables");
		*e = virt_to_phys_direct(t) | PTE_P | PTE_W;
	}
}

void vm_init(struct pmm *pmm, uint64_t top)
{
	vm_pmm = pmm;
	kernel_pml4 = table_page();
	if (!kernel_pml4)
		panic("out of memory for the first page table");
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

void *vm_alloc_stack(int pages)
{
	uint64_t base = next_stack_va + PAGE_SIZE; /* guard page below */
	for (int i = 0; i < pages; i++) {
		uint64_t pa;
		if (pmm_alloc(vm_pmm, &pa))
			return NULL;
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (vm_map(base + (uint64_t)i * PAGE_SIZE, pa, VM_WRITE))
			return NULL;
	}
	next_stack_va = base + (uint64_t)pages * PAGE_SIZE;
	return (void *)next_stack_va;
}

int vm_nx_enabled(void)
{
	return (rdmsr(MSR_EFER) >> 11) & 1;
}
