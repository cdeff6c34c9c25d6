/* Domains: see domain.h. */
#include <arch/paging.h>
#include <arch/power.h>
#include <domain.h>
#include <kmem.h>
#include <kprintf.h>
#include <panic.h>
#include <pmm.h>
#include <sched.h>
#include <string/kstring.h>
#include <thread.h>

#include <metta/status.h>

#define EXIT_FAIL 0x11

static struct kmem_cache domain_cache;
static int next_domain_id = 1;
extern struct pmm *nucleus_pmm;

static struct quota *payer(struct domain *nester)
{
	return nester ? &nester->quota : &quota_nucleus;
}

int domain_create(struct domain *nester, const char *name, int class,
		  int prio, uint64_t quota_bytes, struct domain **out)
{
	if (class < CLASS_DRIVER || class > CLASS_APPLICATION ||
	    prio < PRIO_HIGH || prio > PRIO_LOW)
		return STATUS_ERR_INVAL;
	/* A domain may create only its own class or a lower one. */
	if (nester && class < nester->class)
		return STATUS_ERR_INVAL;
	if (!domain_cache.size)
		kmem_cache_init(&domain_cache, "domain", sizeof(struct domain));
	struct quota *q = payer(nester);
	if (quota_charge(q, quota_bytes))
		return STATUS_ERR_QUOTA;
	void *mem;
	int rc = kmem_alloc(&domain_cache, q, &mem);
	if (rc) {
		quota_release(q, quota_bytes);
		return rc;
	}
	struct domain *d = mem;
	d->quota = (struct quota){ d->name, quota_bytes, 0 };
	if ((rc = aspace_create(&d->as, &d->quota))) {
		kmem_free(&domain_cache, q, d);
		quota_release(q, quota_bytes);
		return rc;
	}
	d->id = next_domain_id++;
	size_t n = strlen(name);
	if (n >= sizeof(d->name))
		n = sizeof(d->name) - 1;
	memcpy(d->name, name, n);
	d->class = class;
	d->prio = prio;
	d->nester = nester;
	*out = d;
	return STATUS_OK;
}

int domain_map_new_page(struct domain *d, uint64_t va, unsigned rights,
			uint64_t *phys)
{
	uint64_t pa;
	if (quota_charge(&d->quota, PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (pmm_alloc(nucleus_pmm, &pa)) {
		quota_release(&d->quota, PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	int rc = aspace_map(&d->as, va, pa, rights | VM_USER | VM_OWNED);
	if (rc) {
		pmm_free(nucleus_pmm, pa);
		quota_release(&d->quota, PAGE_SIZE);
		return rc;
	}
	*phys = pa;
	return STATUS_OK;
}

/* The nucleus is the root domain's nester: it reports and stops. */
static void root_domain_ended(struct domain *d)
{
	kprintf("root domain %s ended with status %ld: powering off.\n",
		d->name, d->exit_status);
	if (d->exit_status != 0)
		power_test_exit(EXIT_FAIL);
	power_off();
	kprintf("power-off failed; halting.\n");
	power_halt();
}

static void domain_free(struct domain *d)
{
	struct quota *q = payer(d->nester);
	aspace_destroy(&d->as);
	if (d->quota.used != 0)
		panic("domain %s freed with %lu bytes of quota in use",
		      d->name, d->quota.used);
	quota_release(q, d->quota.limit);
	if (!d->nester && d->started) {
		root_domain_ended(d);
		return;
	}
	kmem_free(&domain_cache, q, d);
}

void domain_exit(struct domain *d, int64_t status)
{
	if (d->dying)
		return;
	d->dying = 1;
	d->exit_status = status;
	/* thread_kill may free a thread at once: walk a snapshot. */
	while (d->threads) {
		struct thread *t = d->threads;
		d->threads = t->domain_next;
		t->domain_next = NULL;
		thread_kill(t);
	}
	if (d->nthreads == 0)
		domain_free(d);
}

void domain_thread_gone(struct domain *d)
{
	d->nthreads--;
	if (d->nthreads == 0) {
		if (!d->dying) {
			d->dying = 1;
			d->exit_status = 0;
		}
		domain_free(d);
	}
}
