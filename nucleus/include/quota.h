/*
 * Memory quotas. Every nucleus object is paid for by somebody: an
 * allocation names the quota it is charged to, and fails with
 * STATUS_ERR_QUOTA (changing nothing) when that quota is spent. The
 * nucleus's own boot-time objects are charged to quota_nucleus.
 * (Donation from a parent domain's quota to a child's comes with domains.)
 */
#ifndef NUCLEUS_QUOTA_H
#define NUCLEUS_QUOTA_H

#include <stdint.h>

struct quota {
	const char *name;
	uint64_t limit; /* bytes */
	uint64_t used;
};

extern struct quota quota_nucleus;

/* Takes `bytes` from q: 0, or STATUS_ERR_QUOTA with q unchanged. */
int quota_charge(struct quota *q, uint64_t bytes);

/* Gives `bytes` back to q: 0, or STATUS_ERR_INVAL (q unchanged) if q
 * never paid that much, which is a bug in the caller. */
int quota_release(struct quota *q, uint64_t bytes);

#endif
