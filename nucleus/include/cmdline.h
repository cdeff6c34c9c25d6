/*
 * The nucleus command line: words separated by spaces, each `key` or
 * `key=value` (e.g. "test=all panic=exit"). Pure code, host-tested.
 */
#ifndef NUCLEUS_CMDLINE_H
#define NUCLEUS_CMDLINE_H

#include <stddef.h>

/*
 * Finds `key` in cmdline: returns its value (not NUL-terminated; length in
 * *len, 0 for a bare `key`), or NULL if the key is absent. The last
 * occurrence wins, so a later word can override an earlier one.
 */
const char *cmdline_find(const char *cmdline, const char *key, size_t *len);

/* Copies key's value into buf (always NUL-terminated); 0 if absent. */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);

/* Whether key is present with exactly this value. */
int cmdline_is(const char *cmdline, const char *key, const char *value);

/* A key's value as a decimal number, or `fallback` if absent or not one. */
unsigned long cmdline_number(const char *cmdline, const char *key,
			     unsigned long fallback);

#endif
