/*
 * Memory: the runtime knows every mapping of its domain (the program's
 * segments, its stack, and everything mapped since, which only the runtime
 * does), so it can check a program's pointers before touching them: a bad
 * one is EFAULT, as on Linux, never a fault in the runtime. brk, mmap,
 * munmap and mprotect become memory objects and mappings; a part of a
 * mapping is unmapped or reprotected by mapping the rest of the same
 * object again around it.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <string/kstring.h>

#include "state.h"

#define MMAP_BASE 0x0000100000000000ull
#define MMAP_TOP  0x0000700000000000ull
#define STACK_TOP RT_STACK_TOP
#define BRK_TOP	  0x0000000070000000ull /* where the runtime is */
#define BRK_STEP  (16 * RT_PAGE)	/* brk maps ahead in steps like this */
#define PT_LOAD	  1
#define PT_PHDR	  6

static uint64_t page_up(uint64_t a)
{
	return (a + RT_PAGE - 1) & ~(RT_PAGE - 1);
}

static uint64_t shared_pages(void)
{
	return page_up(sizeof(struct shared_state)) / RT_PAGE;
}

/* The state forked processes share (state.h): a new process's own. */
int mem_shared_init(void)
{
	uint32_t m = metta_slot_alloc();
	if (!m || metta_mem_create(m, shared_pages()) ||
	    metta_mem_map(CAP_SELF, m, 0, RT_SHARED_VA, shared_pages(),
			  RIGHT_READ | RIGHT_WRITE))
		return -P9_ENOMEM;
	metta_cap_delete(m); /* the mapping keeps it */
	return 0;
}

static int add_region(uint64_t start, uint64_t end, int prot, uint32_t mem,
		      uint64_t off)
{
	if (rt.nregions == MAX_REGIONS)
		return -P9_ENOMEM;
	rt.regions[rt.nregions++] =
	    (struct region){ start, end, prot, mem, off, 0 };
	return 0;
}

void mem_init(uint64_t phdr, uint64_t phnum, uint64_t stack_low)
{
	const uint8_t *ph = (const uint8_t *)phdr;
	uint64_t bias = 0, top = 0;
	for (uint64_t i = 0; ph && i < phnum; i++) {
		const uint32_t *w = (const uint32_t *)(ph + 56 * i);
		if (w[0] == PT_PHDR)
			bias = phdr - *(const uint64_t *)(ph + 56 * i + 16);
	}
	for (uint64_t i = 0; ph && i < phnum; i++) {
		const uint8_t *p = ph + 56 * i;
		if (*(const uint32_t *)p != PT_LOAD)
			continue;
		uint32_t f = *(const uint32_t *)(p + 4);
		uint64_t va = *(const uint64_t *)(p + 16) + bias;
		uint64_t end = page_up(va + *(const uint64_t *)(p + 40));
		int prot = (f & 4 ? LX_PROT_READ : 0) |
			   (f & 2 ? LX_PROT_WRITE : 0) |
			   (f & 1 ? LX_PROT_EXEC : 0);
		add_region(va & ~(RT_PAGE - 1), end, prot, 0, 0);
		if (end > top)
			top = end;
	}
	add_region(stack_low, STACK_TOP, LX_PROT_READ | LX_PROT_WRITE, 0, 0);
	/* The runtime itself and what it shares with forked processes:
	 * nothing a program may pass or map over. */
	extern char __executable_start[], _end[];
	add_region((uint64_t)__executable_start, page_up((uint64_t)_end), 0, 0,
		   0);
	add_region(RT_SHARED_VA, RT_SHARED_VA + shared_pages() * RT_PAGE, 0, 0,
		   0);
	/* The signal page (signal.c): the runtime's too. */
	add_region(RT_SIGPAGE_VA, RT_SIGPAGE_VA + RT_PAGE, 0, 0, 0);
	rt.brk_start = rt.brk_cur = rt.brk_mapped = top;
	rt.mmap_next = MMAP_BASE;
}

/* Whether [p, p + n) is covered by regions allowing `need`. */
static int covered(uint64_t p, uint64_t n, int need)
{
	if (n == 0)
		return 1;
	if (p + n < p)
		return 0;
	uint64_t end = p + n;
	while (p < end) {
		int found = 0;
		for (int i = 0; i < rt.nregions; i++) {
			const struct region *r = &rt.regions[i];
			if (p >= r->start && p < r->end &&
			    (r->prot & need) == need) {
				p = r->end;
				found = 1;
				break;
			}
		}
		if (!found)
			return 0;
	}
	return 1;
}

int mem_is_shared(uint64_t p)
{
	for (int i = 0; i < rt.nregions; i++)
		if (p >= rt.regions[i].start && p < rt.regions[i].end)
			return rt.regions[i].shared;
	return 0;
}

int user_readable(uint64_t p, uint64_t n)
{
	return covered(p, n, LX_PROT_READ) ? 0 : -P9_EFAULT;
}

int user_writable(uint64_t p, uint64_t n)
{
	return covered(p, n, LX_PROT_WRITE) ? 0 : -P9_EFAULT;
}

long user_string(uint64_t p, char *out, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		/* Checked a page at a time: a string may end just before a
		 * hole. */
		if ((i == 0 || ((p + i) & (RT_PAGE - 1)) == 0) &&
		    user_readable(p + i, 1))
			return -P9_EFAULT;
		out[i] = ((const char *)p)[i];
		if (!out[i])
			return (long)i;
	}
	return -P9_ENAMETOOLONG;
}

static uint64_t rights_of(int prot)
{
	uint64_t r = RIGHT_READ;
	if (prot & LX_PROT_WRITE)
		r |= RIGHT_WRITE;
	if (prot & LX_PROT_EXEC)
		r |= RIGHT_EXEC;
	return r;
}

/* Maps pages of a new object at va; its slot in *mem. */
static long map_new(uint64_t va, uint64_t pages, int prot, uint32_t *mem)
{
	*mem = metta_slot_alloc();
	if (!*mem || metta_mem_create(*mem, pages))
		return -P9_ENOMEM;
	if (metta_mem_map(CAP_SELF, *mem, 0, va, pages, rights_of(prot))) {
		metta_cap_delete(*mem);
		return -P9_ENOMEM;
	}
	long rc = add_region(va, va + pages * RT_PAGE, prot, *mem, 0);
	if (rc) {
		metta_mem_unmap(CAP_SELF, va);
		metta_cap_delete(*mem);
	}
	return rc;
}

static int overlaps_any(uint64_t a, uint64_t b)
{
	for (int i = 0; i < rt.nregions; i++)
		if (rt.regions[i].start < b && a < rt.regions[i].end)
			return 1;
	return 0;
}

static long do_brk(uint64_t addr)
{
	if (addr < rt.brk_start)
		return (long)rt.brk_cur;
	if (addr > rt.brk_mapped) {
		uint64_t end = (addr + BRK_STEP - 1) & ~(BRK_STEP - 1);
		uint32_t mem;
		if (end > BRK_TOP || overlaps_any(rt.brk_mapped, end) ||
		    map_new(rt.brk_mapped, (end - rt.brk_mapped) / RT_PAGE,
			    LX_PROT_READ | LX_PROT_WRITE, &mem))
			return (long)rt.brk_cur; /* Linux: the old break */
		rt.brk_mapped = end;
	}
	if (addr < rt.brk_cur)
		memset((void *)addr, 0,
		       rt.brk_cur - addr); /* grows back zeroed */
	rt.brk_cur = addr;
	return (long)rt.brk_cur;
}

static int mem_users(uint32_t mem)
{
	int n = 0;
	for (int i = 0; i < rt.nregions; i++)
		n += rt.regions[i].mem == mem;
	return n;
}

/*
 * Region i keeps [a, b) of itself (within it) with protection prot: maps
 * that part of its object again. Returns 0 or an errno.
 */
static int remap_part(const struct region *r, uint64_t a, uint64_t b, int prot)
{
	if (a >= b)
		return 0;
	uint64_t off = r->off + (a - r->start) / RT_PAGE;
	if (metta_mem_map(CAP_SELF, r->mem, off, a, (b - a) / RT_PAGE,
			  rights_of(prot)))
		return -P9_ENOMEM;
	int rc = add_region(a, b, prot, r->mem, off);
	if (rc == 0)
		rt.regions[rt.nregions - 1].shared = r->shared;
	return rc;
}

/*
 * Changes [a, b) of every region of ours it touches: gone (prot < 0) or
 * reprotected. The pieces outside the range keep their protection.
 */
static long change_range(uint64_t a, uint64_t b, int prot)
{
	/* The regions it touches, taken out first: the pieces put back are
	 * new regions, never looked at again. */
	struct region hit[MAX_REGIONS];
	int nhit = 0;
	for (int i = 0; i < rt.nregions; i++) {
		struct region *r = &rt.regions[i];
		if (r->mem && r->start < b && a < r->end) {
			hit[nhit++] = *r;
			metta_mem_unmap(CAP_SELF, r->start);
			rt.regions[i--] = rt.regions[--rt.nregions];
		}
	}
	long rc = 0;
	for (int i = 0; i < nhit; i++) {
		const struct region *r = &hit[i];
		uint64_t lo = a > r->start ? a : r->start;
		uint64_t hi = b < r->end ? b : r->end;
		int e = remap_part(r, r->start, lo, r->prot);
		if (!e && prot >= 0)
			e = remap_part(r, lo, hi, prot);
		if (!e)
			e = remap_part(r, hi, r->end, r->prot);
		if (e)
			rc = e;
	}
	for (int i = 0; i < nhit; i++)
		if (!mem_users(hit[i].mem) && metta_cap_info(hit[i].mem) >= 0)
			metta_cap_delete(hit[i].mem);
	return rc;
}

static long do_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
		    int64_t off)
{
	int type = flags & (LX_MAP_SHARED | LX_MAP_PRIVATE);
	if (len == 0 || (off & (int64_t)(RT_PAGE - 1)) || off < 0 ||
	    (type != LX_MAP_SHARED && type != LX_MAP_PRIVATE) ||
	    len > MMAP_TOP - MMAP_BASE)
		return -P9_EINVAL;
	uint64_t pages = page_up(len) / RT_PAGE, va = rt.mmap_next;
	if (flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
		va = addr;
		if ((va & (RT_PAGE - 1)) || va < 0x10000 ||
		    va + pages * RT_PAGE > MMAP_TOP ||
		    va + pages * RT_PAGE < va)
			return -P9_EINVAL;
		if (overlaps_any(va, va + pages * RT_PAGE)) {
			if (flags & LX_MAP_FIXED_NOREPLACE)
				return -P9_EEXIST;
			change_range(va, va + pages * RT_PAGE, -1);
			if (overlaps_any(va, va + pages * RT_PAGE))
				return -P9_EINVAL; /* over the program itself */
		}
	} else {
		if (va + pages * RT_PAGE > MMAP_TOP)
			return -P9_ENOMEM;
		rt.mmap_next = va + (pages + 1) * RT_PAGE; /* a guard gap */
	}
	uint32_t mem;
	int anon = flags & LX_MAP_ANONYMOUS;
	long rc = map_new(va, pages, anon ? prot : LX_PROT_READ | LX_PROT_WRITE,
			  &mem);
	if (rc)
		return rc;
	/* Anonymous shared memory stays shared with forked children; a
	 * file's is a copy here, so each process has its own. */
	rt.regions[rt.nregions - 1].shared = anon && type == LX_MAP_SHARED;
	if (!anon) {
		/* A copy of the file (shared mappings do not write back). */
		rc = file_pread_into(fd, (void *)va, len, (uint64_t)off);
		if (rc >= 0 && !(prot & LX_PROT_WRITE))
			rc = change_range(va, va + pages * RT_PAGE, prot);
		if (rc < 0) {
			change_range(va, va + pages * RT_PAGE, -1);
			return rc;
		}
	}
	return (long)va;
}

static long do_munmap(uint64_t addr, uint64_t len)
{
	if ((addr & (RT_PAGE - 1)) || len == 0 || addr + len < addr)
		return -P9_EINVAL;
	return change_range(addr, addr + page_up(len), -1);
}

static long do_mprotect(uint64_t addr, uint64_t len, int prot)
{
	if ((addr & (RT_PAGE - 1)) || addr + len < addr ||
	    (prot & ~(LX_PROT_READ | LX_PROT_WRITE | LX_PROT_EXEC)))
		return -P9_EINVAL;
	uint64_t end = addr + page_up(len);
	if (!covered(addr, end - addr, 0))
		return -P9_ENOMEM; /* Linux: part of it is not mapped */
	return change_range(addr, end, prot);
}

long sys_brk(const uint64_t *a)
{
	return do_brk(a[0]);
}

long sys_mmap(const uint64_t *a)
{
	return do_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4],
		       (int64_t)a[5]);
}

long sys_munmap(const uint64_t *a)
{
	return do_munmap(a[0], a[1]);
}

long sys_mprotect(const uint64_t *a)
{
	return do_mprotect(a[0], a[1], (int)a[2]);
}

long sys_madvise(const uint64_t *a)
{
	return (a[0] & (RT_PAGE - 1)) ? -P9_EINVAL : 0;
}
