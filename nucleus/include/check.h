/*
 * The nucleus's consistency check (nucleus/check.c): reference counts
 * against their holders, quotas against what was paid, and the links
 * between capabilities, mappings and page tables. For the nucleus
 * fuzzer and tests; see docs/nucleus.md.
 */
#ifndef NUCLEUS_CHECK_H
#define NUCLEUS_CHECK_H

#include <stdint.h>

/* Walks every object; returns how many problems it found (each logged,
 * the first few). Callers hold the big lock. */
uint64_t nucleus_check(void);

#endif
