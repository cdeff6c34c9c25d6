/*
 * Starting a program in a new child domain, from an ELF image in our own
 * memory: the user-space side of the loader the nucleus uses for the
 * first program (both check images with lib/elf). Each segment becomes a
 * memory object, filled through a temporary mapping in our own space and
 * then mapped into the child with exactly the segment's rights.
 */
#include <elf/elf.h>
#include <elf/stack.h>
#include <string/kstring.h>

#include "metta.h"

#define PAGE		  4096ull
#define USER_TOP	  0x00007ffffffff000ull
#define STACK_TOP	  (USER_TOP - PAGE)
#define STACK_PAGES	  16	     /* native programs */
#define LINUX_STACK_PAGES METTA_LINUX_STACK_PAGES
/* At most this much of a stack's top holds argv, envp, auxv and the
 * namespace (and never more than a quarter of the stack). */
#define ARGS_MAX	  (256 * 1024)
#define SCRATCH_VA	  0x0000700000000000ull /* our window onto new objects */
#define PIE_BASE	  METTA_PIE_BASE

/*
 * Free slots are handed out round robin from one atomic counter, so that
 * threads allocating at once never get the same slot (a slot comes round
 * again only after every other one did), skipping slots a program keeps
 * empty on purpose (reserved: a server thread's receive slot, a scratch
 * slot). Slots below 64 are the fixed ones programs name themselves.
 */
#define PROBE_FIRST 64
static uint32_t next_probe;
static uint64_t reserved[CAP_SLOTS / 64];

void metta_slot_reserve(uint32_t slot)
{
	if (slot < CAP_SLOTS)
		__atomic_fetch_or(&reserved[slot / 64], 1ull << (slot % 64),
				  __ATOMIC_RELAXED);
}

static int is_reserved(uint32_t s)
{
	return (__atomic_load_n(&reserved[s / 64], __ATOMIC_RELAXED) >>
		(s % 64)) & 1;
}

uint32_t metta_slot_alloc(void)
{
	for (uint32_t i = 0; i < CAP_SLOTS; i++) {
		uint32_t n = __atomic_fetch_add(&next_probe, 1, __ATOMIC_RELAXED);
		uint32_t s = PROBE_FIRST + n % (CAP_SLOTS - PROBE_FIRST);
		if (!is_reserved(s) && metta_cap_info(s) == STATUS_ERR_BADCAP)
			return s;
	}
	for (uint32_t s = CAP_FIRST_FREE; s < PROBE_FIRST; s++)
		if (!is_reserved(s) && metta_cap_info(s) == STATUS_ERR_BADCAP)
			return s; /* the last resort: a low one */
	return 0; /* CAP_SELF: never free, so 0 means none */
}

static uint64_t rights_of(unsigned elf_rights)
{
	return RIGHT_READ | (elf_rights & ELF_W ? RIGHT_WRITE : 0) |
	       (elf_rights & ELF_X ? RIGHT_EXEC : 0);
}

/*
 * A memory object of `pages` pages whose first bytes are `len` bytes of
 * `src` placed at byte `at`; mapped into `child` at `va` with `rights`;
 * with `populate`, every page of it now rather than at first touch.
 * Our own capability is dropped: the mapping keeps the object alive.
 */
static long place(uint32_t child, uint64_t va, uint64_t pages, const void *src,
		  uint64_t at, uint64_t len, uint64_t rights, int populate)
{
	uint32_t m = metta_slot_alloc();
	long rc = metta_mem_create(m, pages);
	if (rc == 0 && populate)
		rc = metta_mem_populate(m, 0, pages);
	if (rc) {
		metta_cap_delete(m);
		return rc;
	}
	rc = metta_mem_map(CAP_SELF, m, 0, SCRATCH_VA, pages,
			   RIGHT_READ | RIGHT_WRITE);
	if (rc == 0) {
		memcpy((uint8_t *)SCRATCH_VA + at, src, len);
		metta_mem_unmap(CAP_SELF, SCRATCH_VA);
		rc = metta_mem_map(child, m, 0, va, pages, rights);
	}
	metta_cap_delete(m);
	return rc;
}

long metta_load_segments(uint32_t child, const void *image,
			 const struct elf_image *img, uint64_t bias,
			 int populate)
{
	const uint8_t *file = image;
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint64_t start = (s->vaddr + bias) & ~(PAGE - 1);
		uint64_t end =
		    (s->vaddr + bias + s->memsz + PAGE - 1) & ~(PAGE - 1);
		long rc = place(child, start, (end - start) / PAGE,
				file + s->offset, s->vaddr + bias - start,
				s->filesz, rights_of(s->rights), populate);
		if (rc)
			return rc;
	}
	return 0;
}

long metta_make_stack(uint32_t child, const struct elf_image *img,
		      const struct metta_spawn *a, uint64_t bias, uint64_t base,
		      uint64_t *sp)
{
	uint64_t pages = a->stack_pages ? a->stack_pages
			 : base		? LINUX_STACK_PAGES
					: STACK_PAGES;
	struct stack_args sa = { a->argc,
				 a->argv,
				 a->envc,
				 a->envp,
				 { (uint64_t)metta_clock() *
				       0x9e3779b97f4a7c15ull,
				   (uint64_t)a * 0xbf58476d1ce4e5b9ull },
				 0,
				 bias,
				 base,
				 a->ns,
				 STACK_TOP - pages * PAGE };
	if (pages < 4 || pages > 4096)
		return STATUS_ERR_INVAL;
	uint64_t args = pages * PAGE / 4 < ARGS_MAX ? pages * PAGE / 4
						    : ARGS_MAX;
	/* Built in place, at the top of the stack's own object. */
	uint32_t m = metta_slot_alloc();
	long rc = metta_mem_create(m, pages);
	if (rc == 0 && a->populate)
		rc = metta_mem_populate(m, 0, pages);
	if (rc) {
		metta_cap_delete(m);
		return rc;
	}
	rc = metta_mem_map(CAP_SELF, m, 0, SCRATCH_VA, pages,
			   RIGHT_READ | RIGHT_WRITE);
	if (rc == 0) {
		*sp = elf_build_stack(
		    (uint8_t *)SCRATCH_VA + pages * PAGE - args, args,
		    STACK_TOP, img, &sa);
		metta_mem_unmap(CAP_SELF, SCRATCH_VA);
		rc = *sp ? metta_mem_map(child, m, 0, STACK_TOP - pages * PAGE,
					 pages, RIGHT_READ | RIGHT_WRITE)
			 : STATUS_ERR_RANGE;
	}
	metta_cap_delete(m);
	return rc;
}

/*
 * A Linux program's runtime: a native, fixed-address image loaded beside
 * it. Returns 0 and the runtime's entry and base in *entry, *base.
 */
static long load_runtime(uint32_t child, const struct metta_spawn *a,
			 const struct elf_image *prog, uint64_t bias,
			 uint64_t *entry, uint64_t *base, const char **why)
{
	struct elf_image rt;
	if (!a->runtime) {
		*why = "a Linux program, and no POSIX runtime to run it";
		return STATUS_ERR_NOTSUP;
	}
	long rc = elf_parse(a->runtime, a->runtime_size, USER_TOP, &rt);
	if (rc || rt.pie || !rt.native) {
		*why =
		    rc ? rt.error : "the runtime is not a fixed native image";
		return rc ? rc : STATUS_ERR_CORRUPT;
	}
	/* Both images in one space: they must not overlap. */
	uint64_t lo = rt.seg[0].vaddr & ~(PAGE - 1);
	uint64_t hi =
	    rt.seg[rt.nsegments - 1].vaddr + rt.seg[rt.nsegments - 1].memsz;
	for (int i = 0; i < prog->nsegments; i++) {
		const struct elf_segment *s = &prog->seg[i];
		if (s->vaddr + bias < hi && lo < s->vaddr + bias + s->memsz) {
			*why = "the program overlaps the POSIX runtime";
			return STATUS_ERR_NOTSUP;
		}
	}
	*entry = rt.entry;
	*base = lo;
	rc = metta_load_segments(child, a->runtime, &rt, 0, a->populate);
	if (rc)
		*why = "cannot load the runtime";
	return rc;
}

long metta_spawn(const void *image, uint64_t size, const struct metta_spawn *a,
		 uint32_t domain_slot, uint32_t thread_slot, const char **why)
{
	struct elf_image img;
	*why = "";
	long rc = elf_parse(image, size, SCRATCH_VA - PIE_BASE, &img);
	if (rc) {
		*why = img.error;
		return rc;
	}
	uint64_t bias = img.pie ? PIE_BASE : 0, sp, entry = img.entry + bias;
	uint64_t base = 0;
	rc = metta_domain_create(domain_slot, a->class, a->prio, a->quota);
	if (rc) {
		*why = "cannot create the domain";
		return rc;
	}
	/* Named after its program (the last part of argv[0]). */
	const char *name = a->argv[0];
	for (const char *p = name; *p; p++)
		if (*p == '/')
			name = p + 1;
	uint64_t len = strlen(name);
	metta_domain_set_name(domain_slot, name, len < 31 ? len : 31);
	*why = "cannot load it into the domain";
	if ((!img.native && (rc = load_runtime(domain_slot, a, &img, bias,
					       &entry, &base, why))) ||
	    (rc = metta_load_segments(domain_slot, image, &img, bias,
				      a->populate)) ||
	    (rc = metta_make_stack(domain_slot, &img, a, bias, base, &sp)) ||
	    (rc = metta_thread_create(domain_slot, thread_slot, entry, sp,
				      a->prio))) {
		metta_domain_kill(domain_slot, rc);
		metta_cap_delete(domain_slot);
		return rc;
	}
	*why = "";
	return 0;
}
