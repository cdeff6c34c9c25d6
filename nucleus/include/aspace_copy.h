/*
 * Copies into and out of any domain's address space, not only the running
 * one's: through its page tables and the direct map. IPC uses these to
 * copy a message once, from the sender's memory straight into the
 * receiver's. Only user pages are reachable, and only writable ones are
 * written; anything else is STATUS_ERR_FAULT.
 */
#ifndef NUCLEUS_ASPACE_COPY_H
#define NUCLEUS_ASPACE_COPY_H

#include <stddef.h>
#include <stdint.h>

struct domain;

/*
 * 0 if every page of [addr, addr+n) is d's user memory with `write`
 * rights; pages of d's mappings not there yet come in (paid by their
 * objects' payers), so that the copy after the check cannot fail.
 * STATUS_ERR_FAULT, or ERR_QUOTA / ERR_NOMEM when a page could not be had.
 */
int aspace_check(struct domain *d, uint64_t addr, size_t n, int write);
/*
 * Each page is brought in as aspace_check would; a failure may leave the
 * pages before it moved (a caller that must move all or nothing checks
 * first, as IPC's prepare does).
 */
int aspace_read(struct domain *d, uint64_t addr, void *dst, size_t n);
int aspace_write(struct domain *d, uint64_t addr, const void *src, size_t n);
/*
 * The direct-map address of [addr, addr+n) when it lies in one page of
 * d's user memory that is there with `write` rights; NULL otherwise (and
 * for n 0), nothing brought in. It stays good only while d's mappings do:
 * IPC takes it in prepare for perform, with nothing in between.
 */
void *aspace_reach(struct domain *d, uint64_t addr, size_t n, int write);
/* Copies n bytes between two spaces (the same one is fine). */
int aspace_copy(struct domain *dst, uint64_t dst_addr, struct domain *src,
		uint64_t src_addr, size_t n);

#endif
