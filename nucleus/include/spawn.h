#ifndef NUCLEUS_SPAWN_H
#define NUCLEUS_SPAWN_H

#include <stddef.h>
#include <stdint.h>

struct domain;

/* The user stack of a first program: this many pages below USER_TOP,
 * with one unmapped page between it and the end of user space. */
#define SPAWN_STACK_PAGES 16

/*
 * Starts the static ELF program in `image` as a new domain (the root
 * domain when nester is NULL) with argv[0] = name. Everything is checked
 * before anything is mapped; on error nothing is left behind.
 * Returns 0, or the error (with a reason in *why for a bad image).
 */
int spawn_image(struct domain *nester, const char *name, const void *image,
		size_t size, int class, uint64_t quota, struct domain **out,
		const char **why);

#endif
