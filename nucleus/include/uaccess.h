/*
 * Copies between the nucleus and the current domain's user memory. A bad
 * pointer (outside user space, unmapped, or without the right) gives
 * STATUS_ERR_FAULT, never a nucleus fault: the copy instruction has an
 * exception-table fixup.
 */
#ifndef NUCLEUS_UACCESS_H
#define NUCLEUS_UACCESS_H

#include <stddef.h>
#include <stdint.h>

int copy_from_user(void *dst, uint64_t user_src, size_t n);
int copy_to_user(uint64_t user_dst, const void *src, size_t n);

#endif
