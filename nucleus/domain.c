/* Domains: see domain.h. */
#include <arch/paging.h>
#include <arch/power.h>
#include <cap.h>
#include <domain.h>
#include <kmem.h>
#include <kprintf.h>
#include <panic.h>
#include <pmm.h>
#include <event.h>
#include <log.h>
#include <memobj.h>
#include <portal.h>
#include <sched.h>
#include <string/kstring.h>
#include <thread.h>

#include <fmt/fmt.h>
#include <metta/abi.h>
#include <metta/status.h>
#include <nucleus/syscall_table.h>
#include <uaccess.h>

#define EXIT_FAIL 0x11
#define SLOT_PAGES DOMAIN_SLOT_PAGES

static struct kmem_cache domain_cache;
static int next_domain_id = 1;

static void domain_release(struct kobj *o);

struct domain *current_domain(void)
{
	return current_thread()->domain;
}

int domain_charge(struct domain *d, uint64_t bytes)
{
	if (quota_charge(&d->quota, bytes))
		return STATUS_ERR_QUOTA;
	kobj_get(&d->obj);
	return STATUS_OK;
}

void domain_refund(struct domain *d, uint64_t bytes)
{
	if (quota_release(&d->quota, bytes))
		panic("domain %s refunded more than it paid", d->name);
	kobj_put(&d->obj);
}

/* The nester pays for the struct and the quota it gives (the nucleus for
 * the root domain's), and is held by a reference until both come back. */
static struct quota *payer_quota(struct domain *nester)
{
	return nester ? &nester->quota : &quota_nucleus;
}

static int alloc_slots(struct domain *d)
{
	uint64_t pa;
	if (domain_charge(d, SLOT_PAGES * PAGE_SIZE))
		return STATUS_ERR_QUOTA;
	if (pmm_alloc_range(nucleus_pmm, SLOT_PAGES, PAGE_SIZE, ~0ull, &pa)) {
		domain_refund(d, SLOT_PAGES * PAGE_SIZE);
		return STATUS_ERR_NOMEM;
	}
	captable_init(&d->caps, phys_to_virt(pa), CAP_SLOTS);
	return STATUS_OK;
}

static void free_slots(struct domain *d)
{
	uint64_t pa = virt_to_phys_direct(d->caps.slots);
	for (uint64_t i = 0; i < SLOT_PAGES; i++)
		pmm_free(nucleus_pmm, pa + i * PAGE_SIZE);
	d->caps = (struct captable){ 0 };
	domain_refund(d, SLOT_PAGES * PAGE_SIZE);
}

static void set_identity(struct domain *d, const char *name, int class,
			 int prio)
{
	d->id = next_domain_id++;
	size_t n = strlen(name);
	if (n >= sizeof(d->name))
		n = sizeof(d->name) - 1;
	memcpy(d->name, name, n);
	d->class = class;
	d->prio = prio;
}

int domain_create(struct domain *nester, const char *name, int class, int prio,
		  uint64_t quota_bytes, struct domain **out)
{
	if (class < CLASS_DRIVER || class > CLASS_APPLICATION ||
	    prio < PRIO_HIGH || prio > PRIO_LOW)
		return STATUS_ERR_INVAL;
	/* A domain may create only its own class or a lower one. */
	if (nester && (class < nester->class || nester->dead))
		return STATUS_ERR_INVAL;
	/* Nor, but for a driver (the root places its servers), a child of its
	 * own class above its own priority: its threads would outrank every
	 * other domain of the class (found by the nucleus fuzzer). */
	if (nester && class == nester->class && nester->class != CLASS_DRIVER &&
	    prio < nester->prio)
		return STATUS_ERR_INVAL;
	if (!domain_cache.size) {
		kmem_cache_init(&domain_cache, "domain", sizeof(struct domain));
		kobj_set_release(OBJ_DOMAIN, domain_release);
	}
	struct quota *pq = payer_quota(nester);
	if (quota_bytes > UINT64_MAX / 2 || quota_charge(pq, quota_bytes))
		return STATUS_ERR_QUOTA;
	void *mem;
	int rc = kmem_alloc(&domain_cache, pq, &mem);
	if (rc) {
		quota_release(pq, quota_bytes);
		return rc;
	}
	struct domain *d = mem;
	kobj_init(&d->obj, OBJ_DOMAIN); /* the "alive" reference */
	d->quota = (struct quota){ d->name, quota_bytes, 0 };
	d->nester = nester;
	rc = alloc_slots(d);
	if (rc == STATUS_OK && (rc = aspace_create(&d->as, &d->quota)))
		free_slots(d);
	if (rc) {
		kobj_forget(&d->obj); /* out of the live count (the stats call) */
		kmem_free(&domain_cache, pq, d);
		quota_release(pq, quota_bytes);
		return rc;
	}
	if (nester)
		kobj_get(&nester->obj);
	set_identity(d, name, class, prio);
	cap_insert_weak(&d->caps, CAP_SELF, &d->obj, RIGHT_ALL);
	if (nester) {
		d->sibling = nester->children;
		nester->children = d;
	}
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
	if (d->exit_status == METTA_EXIT_REBOOT) {
		kprintf("root domain %s asked for a reset: rebooting.\n",
			d->name);
		power_reset();
		kprintf("reset failed; powering off.\n");
		d->exit_status = 0;
	}
	kprintf("root domain %s ended with status %ld: powering off.\n",
		d->name, d->exit_status);
	if (d->exit_status != 0)
		power_test_exit(EXIT_FAIL);
	power_off();
	kprintf("power-off failed; halting.\n");
	power_halt();
}

/* Tells whoever watches d that it died. */
static void signal_watcher(struct domain *d)
{
	if (!d->watch)
		return;
	event_raise(container_of(d->watch, struct event, obj), d->watch_bits);
	kobj_put(d->watch);
	d->watch = NULL;
}

/* The last thread is gone: the rest of the domain goes too. */
static void domain_finish(struct domain *d)
{
	if (d->finished)
		return;
	d->finished = 1;
	captable_clear(&d->caps);
	free_slots(d);
	mappings_drop_all(d);
	log_domain_gone(d);
	signal_watcher(d);
	if (d->fault_cap.obj) {
		kobj_put(d->fault_cap.obj);
		d->fault_cap.obj = NULL;
	}
	aspace_destroy(&d->as);
	if (!d->nester && d->started)
		root_domain_ended(d);
	kobj_put(&d->obj); /* the "alive" reference */
}

void domain_kill(struct domain *d, int64_t status)
{
	if (d->dead)
		return;
	kobj_get(&d->obj); /* finishing may drop the last other reference */
	d->dead = 1;
	d->exit_status = status;
	for (struct domain *c = d->children; c; c = c->sibling)
		domain_kill(c, DOMAIN_EXIT_NESTER_DIED);
	/* thread_kill may free a thread at once: take them off first. */
	while (d->threads) {
		struct thread *t = d->threads;
		d->threads = t->domain_next;
		t->domain_next = NULL;
		thread_kill(t);
	}
	portals_owner_gone(d);
	if (d->nthreads == 0)
		domain_finish(d);
	kobj_put(&d->obj);
}

void domain_thread_gone(struct domain *d)
{
	d->nthreads--;
	if (d->nthreads == 0 && !d->dead) {
		d->dead = 1; /* its last thread ended: it ends too */
		d->exit_status = 0;
		portals_owner_gone(d);
	}
	if (d->nthreads == 0)
		domain_finish(d);
}

static void unlink_child(struct domain *d)
{
	if (!d->nester)
		return;
	struct domain **p = &d->nester->children;
	while (*p && *p != d)
		p = &(*p)->sibling;
	if (*p)
		*p = d->sibling;
}

/* No reference is left: every object d paid for is gone. */
static void domain_release(struct kobj *o)
{
	struct domain *d = container_of(o, struct domain, obj);
	if (d->quota.used != 0)
		panic("domain %s freed with %lu bytes of quota in use", d->name,
		      d->quota.used);
	unlink_child(d);
	struct domain *nester = d->nester;
	struct quota *pq = payer_quota(nester);
	uint64_t limit = d->quota.limit;
	kmem_free(&domain_cache, pq, d);
	quota_release(pq, limit);
	if (nester)
		kobj_put(&nester->obj);
}

/* ---- calls ---- */

long sys_domain_create(uint32_t dst, int64_t class, int64_t prio,
		       uint64_t quota)
{
	struct domain *self = current_domain(), *d;
	int slot_rc = cap_slot_free(&self->caps, dst);
	if (slot_rc)
		return slot_rc;
	if (class < 0 || class > CLASS_APPLICATION || prio < 0 ||
	    prio > PRIO_LOW)
		return STATUS_ERR_INVAL;
	char name[32];
	fmt_snprintf(name, sizeof(name), "%s.%d", self->name, next_domain_id);
	int rc = domain_create(self, name, (int)class, (int)prio, quota, &d);
	if (rc)
		return rc;
	cap_insert(&self->caps, dst, &d->obj, RIGHT_ALL, 0, NULL);
	return STATUS_OK;
}

int domain_lookup(uint32_t slot, uint32_t need, int live, struct domain **out)
{
	struct cap *c;
	int rc =
	    cap_lookup(&current_domain()->caps, slot, OBJ_DOMAIN, need, &c);
	if (rc)
		return rc;
	*out = container_of(c->obj, struct domain, obj);
	return live && (*out)->dead ? STATUS_ERR_DEAD : STATUS_OK;
}

long sys_domain_kill(uint32_t domain, int64_t status)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	domain_kill(d, status);
	return STATUS_OK;
}

long sys_domain_info(uint32_t domain, uint64_t out)
{
	struct domain *d;
	int rc = domain_lookup(domain, 0, 0, &d);
	if (rc)
		return rc;
	struct metta_domain_info info = {
		d->id,	       d->class,    d->prio, d->quota.limit,
		d->quota.used, d->nthreads, d->dead, d->exit_status,
	};
	return copy_to_user(out, &info, sizeof(info));
}

/* Sends d's faults (and exceptions) to a portal; slot 0xffffffff clears. */
long sys_domain_set_fault(uint32_t domain, uint32_t portal)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	struct cap *p = NULL;
	if (portal != 0xffffffffu &&
	    (rc = cap_lookup(&current_domain()->caps, portal, OBJ_PORTAL,
			     RIGHT_CALL, &p)))
		return rc;
	if (d->fault_cap.obj)
		kobj_put(d->fault_cap.obj);
	d->fault_cap = (struct cap){ 0 };
	if (p) {
		/* A private copy: the fault path calls through it. */
		d->fault_cap.obj = p->obj;
		d->fault_cap.rights = p->rights;
		d->fault_cap.badge = p->badge;
		kobj_get(p->obj);
	}
	return STATUS_OK;
}

/*
 * Where the domain's other calls (Linux-numbered) go: the entry of the
 * runtime loaded into it, or 0 for none (they fail with ERR_NOTSUP).
 */
long sys_domain_set_reflect(uint32_t domain, uint64_t entry)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	if (entry >= USER_TOP)
		return STATUS_ERR_INVAL;
	d->reflect_entry = entry;
	return STATUS_OK;
}

/* A nester asks to hear of a child's death through an event. */
long sys_domain_watch(uint32_t domain, uint32_t event, uint64_t bits)
{
	struct domain *d;
	struct cap *e;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 0, &d);
	if (rc || (rc = cap_lookup(&current_domain()->caps, event, OBJ_EVENT,
				   RIGHT_WRITE, &e)))
		return rc;
	/* Its death is for others to watch: a domain that could set its own
	 * watch would replace its nester's, which then never learns of it. */
	if (d == current_domain())
		return STATUS_ERR_DENIED;
	if (d->finished) {
		event_raise(container_of(e->obj, struct event, obj), bits);
		return STATUS_OK;
	}
	if (d->watch)
		kobj_put(d->watch);
	d->watch = e->obj;
	d->watch_bits = bits;
	kobj_get(e->obj);
	return STATUS_OK;
}

/* Names a domain we control (for the log and for `domains`). */
long sys_domain_set_name(uint32_t domain, uint64_t name, uint64_t len)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	char buf[sizeof(d->name)];
	if (len == 0 || len >= sizeof(buf))
		return STATUS_ERR_INVAL;
	if ((rc = copy_from_user(buf, name, len)))
		return rc;
	memcpy(d->name, buf, len);
	d->name[len] = 0;
	return STATUS_OK;
}
