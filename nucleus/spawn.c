/*
 * The nucleus's own loader, for the first program: maps a static ELF
 * executable's segments with exactly their rights into a new domain, builds
 * a Linux-compatible initial stack (argc, argv, envp, auxiliary vector) so
 * that ordinary start-up code works, and starts its first thread.
 */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <domain.h>
#include <elf/elf.h>
#include <elf/stack.h>
#include <sched.h>
#include <spawn.h>
#include <string/kstring.h>
#include <thread.h>

#include <metta/status.h>

#define STACK_TOP (USER_TOP - PAGE_SIZE)
#define PIE_BASE  0x400000ull

static unsigned page_rights(unsigned elf_rights)
{
	return (elf_rights & ELF_W ? VM_WRITE : 0) |
	       (elf_rights & ELF_X ? VM_EXEC : 0);
}

/* Maps one segment page by page, copying its bytes from the file. */
static int load_segment(struct domain *d, const uint8_t *file,
			const struct elf_segment *s, uint64_t bias)
{
	uint64_t start = (s->vaddr + bias) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t end = s->vaddr + bias + s->memsz;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t pa;
		int rc =
		    domain_map_new_page(d, va, page_rights(s->rights), &pa);
		if (rc)
			return rc;
		/* The part of this page that comes from the file. */
		uint64_t seg_va = s->vaddr + bias;
		uint64_t from = va > seg_va ? va : seg_va;
		uint64_t to = va + PAGE_SIZE;
		if (to > seg_va + s->filesz)
			to = seg_va + s->filesz;
		if (from < to)
			memcpy((uint8_t *)phys_to_virt(pa) + (from - va),
			       file + s->offset + (from - seg_va), to - from);
	}
	return STATUS_OK;
}

/* 16 bytes for AT_RANDOM: RDRAND where present, else a TSC mix. */
static void random_bytes(uint64_t out[2])
{
	int rdrand = (cpuid(1, 0).ecx >> 30) & 1;
	for (int i = 0; i < 2; i++) {
		uint64_t v = 0;
		int ok = 0;
		if (rdrand)
			__asm__ volatile("rdrand %0; setc %b1"
					 : "=r"(v), "=q"(ok));
		if (!ok) {
			v = rdtsc() * 0x9e3779b97f4a7c15ull;
			v ^= v >> 31;
		}
		out[i] = v;
	}
}

/* argv = { name }, no environment. */
static uint64_t build_stack(uint8_t *page, const char *name,
			    const struct elf_image *img, uint64_t bias)
{
	const char *argv[1] = { name };
	struct stack_args a = {
		.argc = 1, .argv = argv, .bias = bias, .hwcap = cpuid(1, 0).edx
	};
	random_bytes(a.random);
	return elf_build_stack(page, PAGE_SIZE, STACK_TOP, img, &a);
}

static int map_stack(struct domain *d, uint8_t **top_page)
{
	uint64_t pa = 0;
	for (int i = SPAWN_STACK_PAGES; i >= 1; i--) {
		int rc = domain_map_new_page(
		    d, STACK_TOP - (uint64_t)i * PAGE_SIZE, VM_WRITE, &pa);
		if (rc)
			return rc;
	}
	*top_page = phys_to_virt(pa); /* the last one mapped is the top */
	return STATUS_OK;
}

static int populate(struct domain *d, const char *name, const uint8_t *file,
		    const struct elf_image *img)
{
	uint64_t bias = img->pie ? PIE_BASE : 0;
	for (int i = 0; i < img->nsegments; i++) {
		int rc = load_segment(d, file, &img->seg[i], bias);
		if (rc)
			return rc;
	}
	uint8_t *page;
	int rc = map_stack(d, &page);
	if (rc)
		return rc;
	uint64_t sp = build_stack(page, name, img, bias);
	if (!sp)
		return STATUS_ERR_RANGE; /* the name does not fit a page */
	struct thread *t;
	rc = thread_create_user(d, img->entry + bias, sp, PRIO_NORM, &t);
	if (rc)
		return rc;
	sched_wake(t);
	return STATUS_OK;
}

int spawn_image(struct domain *nester, const char *name, const void *image,
		size_t size, int class, uint64_t quota, struct domain **out,
		const char **why)
{
	struct elf_image img;
	*why = "";
	int rc = elf_parse(
	    image, size,
	    STACK_TOP - PIE_BASE - (SPAWN_STACK_PAGES + 1) * PAGE_SIZE, &img);
	if (rc) {
		*why = img.error;
		return rc;
	}
	struct domain *d;
	if ((rc = domain_create(nester, name, class, PRIO_NORM, quota, &d)))
		return rc;
	if ((rc = populate(d, name, image, &img))) {
		*why = "out of memory or quota while loading";
		domain_kill(d, rc); /* frees what was mapped */
		return rc;
	}
	*out = d;
	return STATUS_OK;
}
