/*
 * Domains: protection domains. A domain has an address space, a memory
 * quota that pays for everything it and the nucleus do on its behalf, a
 * class (driver > server > application) and a priority, its threads, and
 * its nester (the domain that created it; NULL for the root domain, whose
 * nester is the nucleus itself).
 */
#ifndef NUCLEUS_DOMAIN_H
#define NUCLEUS_DOMAIN_H

#include <arch/paging.h>
#include <quota.h>
#include <stdint.h>

struct thread;

/* Exit status of a domain ended by a fault: this bit | the vector. */
#define DOMAIN_EXIT_FAULT 0x100

struct domain {
	int id;
	char name[32];
	int class; /* enum domain_class */
	int prio;  /* enum priority */
	struct quota quota;
	struct aspace as;
	struct domain *nester;
	struct thread *threads; /* linked by thread->domain_next */
	int nthreads;
	int started; /* has had a thread */
	int dying;
	int64_t exit_status;
};

/*
 * A new, empty domain whose quota of `quota_bytes` is taken from its
 * nester's (from the nucleus's for the root). Returns 0, or
 * STATUS_ERR_QUOTA / ERR_NOMEM / ERR_INVAL with nothing changed.
 */
int domain_create(struct domain *nester, const char *name, int class,
		  int prio, uint64_t quota_bytes, struct domain **out);

/*
 * Ends d with `status`: every thread is killed, and when the last one is
 * gone the memory goes back and the nester (or the nucleus) is told.
 */
void domain_exit(struct domain *d, int64_t status);

/* Called by thread_free once a thread of d is unlinked and freed. */
void domain_thread_gone(struct domain *d);

/* Allocates a zeroed page owned by d's address space, charged to d, and
 * maps it at va with `rights` (VM_*): 0 and its physical address, or an
 * error with nothing changed. */
int domain_map_new_page(struct domain *d, uint64_t va, unsigned rights,
			uint64_t *phys);

#endif
