/*
 * Helpers for host tests that call a file system's p9srv operations
 * directly (ramfs's, ext2's): the test sets o and octx (the operations
 * and their context) before using them.
 */
#ifndef TESTS_HOST_P9OPS_H
#define TESTS_HOST_P9OPS_H

#include <string.h>

#include "9p/srv.h"

static const struct p9srv_ops *o;
static void *octx;

/* The stat of node n (zeros when it fails). */
static inline struct p9_stat st(void *n)
{
	struct p9_stat s;
	memset(&s, 0, sizeof(s));
	o->stat(octx, n, &s);
	return s;
}

/* A wstat that changes nothing (stat(5)'s "don't touch" values). */
static inline struct p9_stat blank(void)
{
	struct p9_stat s;
	memset(&s, 0xff, sizeof(s));
	s.name = s.uid = s.gid = s.muid = p9_str("");
	return s;
}

static inline long put(void *n, uint64_t off, const char *s)
{
	return o->write(octx, n, off, s, (uint32_t)strlen(s));
}

#endif
