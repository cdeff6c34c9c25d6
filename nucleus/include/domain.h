/*
 * Domains: protection domains. A domain has an address space, a capability
 * table, a memory quota that pays for everything the nucleus holds on its
 * behalf, a class (driver > server > application) and a priority, its
 * threads, and its nester (the domain that created it and funds it; NULL
 * for the root domain, whose nester is the nucleus).
 *
 * Life: a domain runs until it exits, is killed through a capability with
 * RIGHT_CONTROL, faults without a handler, or its nester dies (children
 * die with their nester). Then its threads, address space and capability
 * table go at once; the struct itself (with its exit status and quota
 * accounts) stays while capabilities or objects it paid for refer to it.
 * When it goes, the quota it was given returns to the nester.
 */
#ifndef NUCLEUS_DOMAIN_H
#define NUCLEUS_DOMAIN_H

#include <arch/paging.h>
#include <cap.h>
#include <quota.h>
#include <stdint.h>

#include <metta/abi.h>

struct thread;
struct portal;
struct mapping;

/* Exit status of a domain ended by a fault: this bit | the vector (see
 * METTA_EXIT_FAULT in metta/abi.h). */
#define DOMAIN_EXIT_FAULT METTA_EXIT_FAULT
/* Exit status of a domain whose nester died. */
#define DOMAIN_EXIT_NESTER_DIED 0x200

/* Pages of a domain's capability table (charged to it while it has one). */
#define DOMAIN_SLOT_PAGES \
	((CAP_SLOTS * sizeof(struct cap) + PAGE_SIZE - 1) / PAGE_SIZE)

struct domain {
	struct kobj obj; /* OBJ_DOMAIN */
	/* Its runtime's entry for Linux calls (0: none); entry.S reads it
	 * (offsets.h DOMAIN_REFLECT, checked in syscall.c). */
	uint64_t reflect_entry;
	int id;
	char name[32];
	int class; /* enum domain_class */
	int prio;  /* enum priority */
	struct quota quota;
	struct aspace as;
	struct captable caps;
	struct domain *nester;
	struct domain *children, *sibling;
	struct thread *threads;	  /* linked by thread->domain_next */
	struct portal *portals;	  /* it owns (linked by owner_next) */
	struct mapping *mappings; /* memory objects mapped in its space */
	struct cap fault_cap;	  /* the portal its faults go to, if any */
	struct kobj *watch;	  /* an event signalled when it dies */
	uint64_t watch_bits;
	int nthreads;
	int started; /* has had a thread */
	int dead;
	int finished; /* threads, space and table are gone */
	int64_t exit_status;
	uint64_t expect_used; /* the consistency check's sum of its charges */
};

/*
 * A new, empty domain whose quota of `quota_bytes` is taken from its
 * nester's (from the nucleus's for the root); its slot CAP_SELF holds a
 * capability to itself. Returns 0, or STATUS_ERR_QUOTA / ERR_NOMEM /
 * ERR_INVAL (a class above the nester's) with nothing changed.
 */
int domain_create(struct domain *nester, const char *name, int class, int prio,
		  uint64_t quota_bytes, struct domain **out);

/* Ends d with `status` (see the life rules above). */
void domain_kill(struct domain *d, int64_t status);

/* Called when a dead thread of d is freed of its resources. */
void domain_thread_gone(struct domain *d);

/*
 * Charges `bytes` to d's quota for an object d pays for; the object holds a
 * reference on d until domain_refund, so d's accounts outlive it.
 */
int domain_charge(struct domain *d, uint64_t bytes);
void domain_refund(struct domain *d, uint64_t bytes);

/* Allocates a zeroed page owned by d's address space, charged to d, and
 * maps it at va with `rights` (VM_*): 0 and its physical address, or an
 * error with nothing changed. */
int domain_map_new_page(struct domain *d, uint64_t va, unsigned rights,
			uint64_t *phys);

/*
 * The domain in the caller's slot, with rights `need`; with `live`, a dead
 * one is STATUS_ERR_DEAD. 0 or the capability error.
 */
int domain_lookup(uint32_t slot, uint32_t need, int live, struct domain **out);

/* The domain of the running thread. */
struct domain *current_domain(void);

#endif
