/*
 * The few C string functions that freestanding code (the nucleus, native
 * programs without libc) needs; GCC may also emit calls to memcpy/memset.
 */
#ifndef NUCLEUS_KSTRING_H
#define NUCLEUS_KSTRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strrchr(const char *s, int c);
/* A decimal number after optional spaces and sign (lwIP names
 * interfaces with it); no overflow check. */
int atoi(const char *s);

#endif
