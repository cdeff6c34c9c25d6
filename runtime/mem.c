/*
 * Memory: the runtime knows every mapping of its domain (the program's
 * segments, its stack, and everything mapped since, which only the runtime
 * does), so it can check a program's pointers before touching them: a bad
 * one is EFAULT, as on Linux, never a fault in the runtime. brk, mmap,
 * munmap and mprotect become memory objects and mappings; a part of a
 * mapping is unmapped or reprotected by mapping the rest of the same
 * object again around it. Nothing here touches the memory it maps: the
 * nucleus brings each page in when the program first touches it, so a
 * large mmap costs only what is used; madvise(MADV_DONTNEED) and a
 * shrinking brk give pages back (mem_discard).
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
	    (struct region){ start, end, prot, mem, off, 0, 0 };
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
	} else {
		rt.regions[rt.nregions - 1].anon = 1; /* until a file fills it */
	}
	return rc;
}

/*
 * Gives back the pages of [a, b) (page aligned) in our private anonymous
 * regions: they read as zeros after, and their quota returns. Other
 * regions (shared memory, a file's copy, the program's segments) keep
 * theirs.
 */
static void discard_range(uint64_t a, uint64_t b)
{
	for (int i = 0; i < rt.nregions; i++) {
		const struct region *r = &rt.regions[i];
		if (!r->mem || !r->anon || r->shared || r->end <= a ||
		    b <= r->start)
			continue;
		uint64_t lo = a > r->start ? a : r->start;
		uint64_t hi = b < r->end ? b : r->end;
		metta_mem_discard(r->mem, r->off + (lo - r->start) / RT_PAGE,
				  (hi - lo) / RT_PAGE);
	}
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
	if (addr < rt.brk_cur) {
		/* What the break gives up goes back (and grows back
		 * zeroed): whole pages to the nucleus, the rest of the
		 * page the break is in by hand. */
		uint64_t whole = page_up(addr);
		memset((void *)addr, 0,
		       (whole < rt.brk_cur ? whole : rt.brk_cur) - addr);
		if (whole < rt.brk_cur)
			discard_range(whole, page_up(rt.brk_cur));
	}
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
	if (rc == 0) {
		rt.regions[rt.nregions - 1].shared = r->shared;
		rt.regions[rt.nregions - 1].anon = r->anon;
	}
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

/*
 * A shared mapping of a file whose server keeps it in a memory object
 * (P9_MEMORY): the file's own pages, so writes reach the file and every
 * process that maps it at once. -ENODEV: the server keeps none.
 */
static long map_file_memory(uint64_t va, uint64_t pages, int prot, int fd,
			    uint64_t first)
{
	uint32_t mem;
	uint64_t have;
	long rc = file_memory(fd, &mem, &have);
	if (rc)
		return rc;
	long st = 0;
	if (first >= have || pages > have - first)
		rc = -P9_ENOMEM; /* beyond the largest file there can be */
	else if ((st = metta_mem_map(CAP_SELF, mem, first, va, pages,
				     rights_of(prot))))
		rc = st == STATUS_ERR_DENIED ? -P9_EACCES : -P9_ENOMEM;
	else if ((rc = add_region(va, va + pages * RT_PAGE, prot, mem, first)))
		metta_mem_unmap(CAP_SELF, va);
	if (rc) {
		metta_cap_delete(mem);
		return rc;
	}
	rt.regions[rt.nregions - 1].shared = 1;
	return 0;
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
	if (!anon && type == LX_MAP_SHARED) {
		long rc = map_file_memory(va, pages, prot, fd,
					  (uint64_t)off / RT_PAGE);
		if (rc != -P9_ENODEV)
			return rc ? rc : (long)va;
	}
	long rc = map_new(va, pages, anon ? prot : LX_PROT_READ | LX_PROT_WRITE,
			  &mem);
	if (rc)
		return rc;
	/* Anonymous shared memory stays shared with forked children; a
	 * file's is a copy here, so each process has its own. */
	rt.regions[rt.nregions - 1].shared = anon && type == LX_MAP_SHARED;
	rt.regions[rt.nregions - 1].anon = anon != 0;
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

/*
 * mremap. Moving maps the same objects at the new place (no copying), so
 * a shared mapping stays shared; growing adds what the last piece is: more
 * of a file's memory object, or a new zeroed object beside anonymous
 * memory. Only what mmap made can move (EFAULT for the program's own
 * segments and stack, as for a hole).
 */
static int mine(uint64_t a, uint64_t b)
{
	for (uint64_t p = a; p < b;) {
		int found = 0;
		for (int i = 0; i < rt.nregions && !found; i++) {
			const struct region *r = &rt.regions[i];
			if (p >= r->start && p < r->end && r->mem) {
				p = r->end;
				found = 1;
			}
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Maps the pieces of [a, a + len) again at to (same objects, rights). */
static long map_again(uint64_t a, uint64_t len, uint64_t to)
{
	int n = rt.nregions; /* the pieces added are not looked at */
	for (int i = 0; i < n; i++) {
		struct region r = rt.regions[i];
		if (!r.mem || r.end <= a || a + len <= r.start)
			continue;
		uint64_t lo = a > r.start ? a : r.start;
		uint64_t hi = a + len < r.end ? a + len : r.end;
		uint64_t off = r.off + (lo - r.start) / RT_PAGE;
		uint64_t at = to + (lo - a);
		if (metta_mem_map(CAP_SELF, r.mem, off, at, (hi - lo) / RT_PAGE,
				  rights_of(r.prot)))
			return -P9_ENOMEM;
		long rc = add_region(at, at + (hi - lo), r.prot, r.mem, off);
		if (rc) {
			metta_mem_unmap(CAP_SELF, at);
			return rc;
		}
		rt.regions[rt.nregions - 1].shared = r.shared;
		rt.regions[rt.nregions - 1].anon = r.anon;
	}
	return 0;
}

/* [at, at + len) continues the region that ends at `last`: more of its
 * file's object, or new anonymous memory. */
static long grow_after(uint64_t last, uint64_t at, uint64_t len)
{
	const struct region *r = 0;
	for (int i = 0; i < rt.nregions && !r; i++)
		if (rt.regions[i].mem && rt.regions[i].start < last &&
		    last <= rt.regions[i].end)
			r = &rt.regions[i];
	if (!r)
		return -P9_EFAULT;
	struct region was = *r;
	if (!was.anon) {
		uint64_t off = was.off + (last - was.start) / RT_PAGE;
		if (metta_mem_map(CAP_SELF, was.mem, off, at, len / RT_PAGE,
				  rights_of(was.prot)))
			return -P9_ENOMEM; /* past the file's object */
		long rc = add_region(at, at + len, was.prot, was.mem, off);
		if (rc)
			metta_mem_unmap(CAP_SELF, at);
		else
			rt.regions[rt.nregions - 1].shared = was.shared;
		return rc;
	}
	uint32_t mem;
	long rc = map_new(at, len / RT_PAGE, was.prot, &mem);
	if (rc == 0)
		rt.regions[rt.nregions - 1].shared = was.shared;
	return rc;
}

static long do_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen,
		      int flags, uint64_t to)
{
	oldlen = page_up(oldlen);
	newlen = page_up(newlen);
	if ((old & (RT_PAGE - 1)) || newlen == 0 || oldlen == 0 ||
	    (flags & ~(LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED)) ||
	    ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE)) ||
	    old + oldlen < old || newlen > MMAP_TOP - MMAP_BASE)
		return -P9_EINVAL;
	if (!mine(old, old + oldlen))
		return -P9_EFAULT;
	int fixed = flags & LX_MREMAP_FIXED;
	if (!fixed && newlen <= oldlen) { /* shrinking: the tail goes */
		change_range(old + newlen, old + oldlen, -1);
		return (long)old;
	}
	if (!fixed && old + newlen <= MMAP_TOP &&
	    !overlaps_any(old + oldlen, old + newlen)) { /* grows in place */
		long rc = grow_after(old + oldlen, old + oldlen, newlen - oldlen);
		return rc ? rc : (long)old;
	}
	if (!(flags & LX_MREMAP_MAYMOVE))
		return -P9_ENOMEM;
	if (fixed) {
		if ((to & (RT_PAGE - 1)) || to + newlen > MMAP_TOP ||
		    to < MMAP_BASE || (to < old + oldlen && old < to + newlen))
			return -P9_EINVAL;
		change_range(to, to + newlen, -1);
		if (overlaps_any(to, to + newlen))
			return -P9_EINVAL;
	} else {
		to = rt.mmap_next;
		if (to + newlen > MMAP_TOP)
			return -P9_ENOMEM;
		rt.mmap_next = to + newlen + RT_PAGE; /* a guard gap */
	}
	uint64_t keep = newlen < oldlen ? newlen : oldlen;
	long rc = map_again(old, keep, to);
	if (rc == 0 && newlen > keep)
		rc = grow_after(old + keep, to + keep, newlen - keep);
	if (rc) {
		change_range(to, to + newlen, -1); /* the old one stays */
		return rc;
	}
	change_range(old, old + oldlen, -1);
	return (long)to;
}

long sys_mremap(const uint64_t *a)
{
	return do_mremap(a[0], a[1], a[2], (int)a[3], a[4]);
}

/* Whether every object under [a, b) allows the rights of prot (a shared
 * file mapped from a read-only descriptor cannot become writable). */
static int objects_allow(uint64_t a, uint64_t b, int prot)
{
	uint64_t want = rights_of(prot);
	for (int i = 0; i < rt.nregions; i++) {
		const struct region *r = &rt.regions[i];
		long info = r->mem && r->start < b && a < r->end
				    ? metta_cap_info(r->mem)
				    : -1;
		if (info >= 0 && (want & ~(uint64_t)(info & 0xffffffff)))
			return 0;
	}
	return 1;
}

static long do_mprotect(uint64_t addr, uint64_t len, int prot)
{
	if ((addr & (RT_PAGE - 1)) || addr + len < addr ||
	    (prot & ~(LX_PROT_READ | LX_PROT_WRITE | LX_PROT_EXEC)))
		return -P9_EINVAL;
	uint64_t end = addr + page_up(len);
	if (!covered(addr, end - addr, 0))
		return -P9_ENOMEM; /* Linux: part of it is not mapped */
	if (!objects_allow(addr, end, prot))
		return -P9_EACCES;
	return change_range(addr, end, prot);
}

/* Shared mappings are the file's own pages (or a copy, for a server that
 * keeps no memory: Linux would write those back; we do not) and private
 * ones are never written back, so there is nothing to wait for. */
static long do_msync(uint64_t addr, uint64_t len, int flags)
{
	const int known = LX_MSYNC_ASYNC | LX_MSYNC_INVALIDATE | LX_MSYNC_SYNC;
	if ((addr & (RT_PAGE - 1)) || (flags & ~known) ||
	    ((flags & LX_MSYNC_ASYNC) && (flags & LX_MSYNC_SYNC)))
		return -P9_EINVAL;
	if (addr + len < addr || !covered(addr, page_up(len), 0))
		return -P9_ENOMEM;
	return 0;
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

long sys_msync(const uint64_t *a)
{
	return do_msync(a[0], a[1], (int)a[2]);
}

long sys_munmap(const uint64_t *a)
{
	return do_munmap(a[0], a[1]);
}

long sys_mprotect(const uint64_t *a)
{
	return do_mprotect(a[0], a[1], (int)a[2]);
}

/*
 * madvise: MADV_DONTNEED gives back the pages of private anonymous memory
 * (zeros after, their quota returned); the rest of Linux's advice is
 * accepted and changes nothing here (memory comes on first touch anyway,
 * there are no huge pages to refuse), except what Linux refuses.
 */
static long do_madvise(uint64_t addr, uint64_t len, int advice)
{
	if ((addr & (RT_PAGE - 1)) || addr + len < addr)
		return -P9_EINVAL;
	switch (advice) {
	case LX_MADV_NORMAL: case LX_MADV_RANDOM: case LX_MADV_SEQUENTIAL:
	case LX_MADV_WILLNEED: case LX_MADV_DONTNEED: case LX_MADV_FREE:
	case LX_MADV_DONTFORK: case LX_MADV_DOFORK: case LX_MADV_MERGEABLE:
	case LX_MADV_UNMERGEABLE: case LX_MADV_HUGEPAGE:
	case LX_MADV_NOHUGEPAGE: case LX_MADV_DONTDUMP: case LX_MADV_DODUMP:
		break;
	default:
		return -P9_EINVAL;
	}
	uint64_t end = addr + page_up(len);
	if (!covered(addr, end - addr, 0))
		return -P9_ENOMEM; /* Linux: part of it is not mapped */
	if (advice == LX_MADV_DONTNEED)
		discard_range(addr, end);
	return 0;
}

long sys_madvise(const uint64_t *a)
{
	return do_madvise(a[0], a[1], (int)a[2]);
}
