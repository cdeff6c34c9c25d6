/*
 * The consistency check (the nucleus_check call): walks every object the
 * nucleus allocated and checks that
 *   - each object's reference count equals the holders found: capabilities
 *     (not weak), mappings, fault portals, watches, event waits, reply
 *     records, interrupt bindings, the log ring, and the references that
 *     a payer's accounts, a nester and a live domain or thread hold;
 *   - each domain's quota use equals what its objects paid: records of
 *     every kind, children's records and the quota given them, its table,
 *     page tables and owned pages, thread stacks and FPU pages, memory
 *     objects' pages and index;
 *   - each capability's links in the derivation tree agree, each badge
 *     record counts the capabilities with its badge, each mapping sits on
 *     its domain's and its object's lists, each user page-table entry is
 *     a page of the object a mapping there maps (no stale entries), and
 *     each memory object's count of pages is what its index holds.
 * It runs under the big lock, so nothing moves while it looks. Every
 * problem is logged (the first CHECK_LOG of them) and counted.
 */
#include <cap.h>
#include <check.h>
#include <device.h>
#include <domain.h>
#include <event.h>
#include <kmem.h>
#include <kprintf.h>
#include <log.h>
#include <memobj.h>
#include <portal.h>
#include <thread.h>

#include <arch/layout.h>
#include <metta/abi.h>
#include <metta/status.h>
#include <nucleus/syscall_table.h>

#define CHECK_LOG 16

static struct {
	struct kmem_cache *domain, *thread, *event, *memobj, *mapping, *portal,
	    *badge, *reply, *device;
	uint64_t problems;
	uint64_t mappings; /* found on domains' lists */
} ck;

/* Counts a problem and logs the first few. */
#define PROBLEM(...)                                    \
	do {                                            \
		if (ck.problems++ < CHECK_LOG)          \
			kprintf("check: " __VA_ARGS__); \
	} while (0)

/* Whether o is an object the check counts (one of the caches'). */
static int counted(const struct kobj *o)
{
	struct kmem_cache *c = NULL;
	switch (o->type) {
	case OBJ_DOMAIN:
		c = ck.domain;
		break;
	case OBJ_EVENT:
		c = ck.event;
		break;
	case OBJ_MEMORY:
		c = ck.memobj;
		break;
	case OBJ_PORTAL:
		c = ck.portal;
		break;
	case OBJ_REPLY:
		c = ck.reply;
		break;
	case OBJ_THREAD:
		return kmem_owns(ck.thread,
				 container_of(o, struct thread, obj));
	default:
		c = ck.device;
		break;
	}
	return kmem_owns(c, o);
}

/* One more holder of o (NULL: none). A pointer to something that is no
 * live object of the nucleus's is a dangling reference. */
static void hold(struct kobj *o, const char *who)
{
	if (!o)
		return;
	if (o->type == OBJ_IRQ || o->type == OBJ_IOPORT ||
	    o->type == OBJ_PHYSMEM) {
		struct device *dev = container_of(o, struct device, obj);
		if (!dev->payer)
			return; /* the root's originals: static */
	}
	if (!counted(o)) {
		PROBLEM("%s refers to %p, no live object\n", who, o);
		return;
	}
	o->expect++;
}

static void charge(struct domain *d, uint64_t bytes, const char *what)
{
	if (!d)
		return; /* the nucleus pays */
	if (!kmem_owns(ck.domain, d)) {
		PROBLEM("%s paid by %p, no domain\n", what, d);
		return;
	}
	d->expect_used += bytes;
}

/* ---- pass 1: every count to zero ---- */

static void zero_obj(void *mem, void *arg)
{
	struct kobj *o = arg ? &((struct thread *)mem)->obj : mem;
	o->expect = 0;
}

static void zero_domain(void *mem, void *arg)
{
	struct domain *d = mem;
	(void)arg;
	d->obj.expect = 0;
	d->expect_used = 0;
}

/* ---- pass 2: the holders ---- */

static void check_cap_links(struct domain *d, uint32_t i, struct cap *c)
{
	if ((c->prev && c->prev->next != c) ||
	    (!c->prev && c->parent && c->parent->child != c) ||
	    (c->next && c->next->prev != c) ||
	    (c->child && c->child->parent != c) ||
	    (c->parent && !c->parent->obj))
		PROBLEM("domain %d slot %u: derivation links disagree\n", d->id,
			i);
	if (c->weak && c->obj != &d->obj)
		PROBLEM(
		    "domain %d slot %u: weak capability to another object\n",
		    d->id, i);
}

static void hold_caps(struct domain *d)
{
	for (uint32_t i = 0; i < d->caps.nslots; i++) {
		struct cap *c = &d->caps.slots[i];
		if (!c->obj)
			continue;
		check_cap_links(d, i, c);
		if (!c->weak)
			hold(c->obj, "a capability");
	}
}

struct page_walk {
	struct domain *d;
	uint64_t owned;
};

/* A user page of d's tables: owned, or a page of the mapping there. */
static void check_page(uint64_t va, uint64_t pa, int owned, void *arg)
{
	struct page_walk *w = arg;
	if (owned) {
		w->owned++;
		return;
	}
	for (struct mapping *m = w->d->mappings; m; m = m->next)
		if (va >= m->va && (va - m->va) / PAGE_SIZE < m->npages) {
			uint64_t i = m->offset + (va - m->va) / PAGE_SIZE;
			if (memobj_page(m->mo, i) != pa)
				PROBLEM("domain %d va %lx maps %lx, its object "
					"has %lx\n",
					w->d->id, va, pa,
					memobj_page(m->mo, i));
			return;
		}
	PROBLEM("domain %d va %lx maps %lx outside every mapping\n", w->d->id,
		va, pa);
}

static int on_object_list(const struct mapping *m)
{
	for (struct mapping *x = m->mo->maps; x; x = x->obj_next)
		if (x == m)
			return 1;
	return 0;
}

static void hold_mappings(struct domain *d)
{
	for (struct mapping *m = d->mappings; m; m = m->next) {
		if (!kmem_owns(ck.mapping, m)) {
			PROBLEM("domain %d has a freed mapping %p\n", d->id, m);
			return;
		}
		hold(&m->mo->obj, "a mapping");
		charge(d, ck.mapping->size, "a mapping");
		ck.mappings++;
		if (m->d != d || !on_object_list(m))
			PROBLEM("domain %d mapping at %lx: lists disagree\n",
				d->id, m->va);
	}
}

static void hold_domain(void *mem, void *arg)
{
	struct domain *d = mem;
	(void)arg;
	if (!d->finished)
		hold(&d->obj, "a live domain"); /* the "alive" reference */
	if (d->nester)
		hold(&d->nester->obj, "a child domain");
	charge(d->nester, ck.domain->size + d->quota.limit, "a child domain");
	if (d->caps.slots) {
		hold(&d->obj, "a capability table");
		charge(d, DOMAIN_SLOT_PAGES * PAGE_SIZE, "a capability table");
		hold_caps(d);
	}
	hold(d->fault_cap.obj, "a fault portal");
	hold(d->watch, "a domain watch");
	hold_mappings(d);
	if (d->as.root) {
		struct page_walk w = { d, 0 };
		uint64_t tables = aspace_each_page(&d->as, check_page, &w);
		if (tables != d->as.table_pages)
			PROBLEM("domain %d has %lu table pages, counts %lu\n",
				d->id, tables, d->as.table_pages);
		charge(d, (tables + w.owned) * PAGE_SIZE, "page tables");
	}
}

static void hold_thread(void *mem, void *arg)
{
	struct thread *t = mem;
	(void)arg;
	if (!t->domain)
		return;
	hold(&t->domain->obj, "a thread");
	charge(t->domain, ck.thread->size, "a thread");
	if (t->kstack_top) { /* not reaped: alive, with a stack */
		hold(&t->obj, "a live thread");
		charge(t->domain, (1 + KSTACK_PAGES) * PAGE_SIZE,
		       "a thread's stack");
	}
	hold(t->wait_ref, "an event wait");
}

static void hold_event(void *mem, void *arg)
{
	struct event *e = mem;
	(void)arg;
	hold(&e->payer->obj, "an event");
	charge(e->payer, ck.event->size, "an event");
}

/* Pages an anonymous object has, and leaves of its index. */
static void count_index(const struct memobj *m, uint64_t *pages,
			uint64_t *leaves)
{
	uint64_t n =
	    (m->npages + MEMOBJ_LEAF_ENTRIES - 1) / MEMOBJ_LEAF_ENTRIES;
	for (uint64_t l = 0; l < n; l++) {
		if (!m->top[l])
			continue;
		++*leaves;
		for (uint64_t k = 0; k < MEMOBJ_LEAF_ENTRIES; k++)
			*pages += m->top[l][k] != 0;
	}
}

static void hold_memobj(void *mem, void *arg)
{
	struct memobj *m = mem;
	(void)arg;
	uint64_t bytes = ck.memobj->size;
	if (m->dma)
		bytes += m->npages * PAGE_SIZE;
	if (!m->fixed) {
		uint64_t pages = 0, leaves = 0;
		count_index(m, &pages, &leaves);
		if (pages != m->populated)
			PROBLEM("memory object %p has %lu pages, counts %lu\n",
				m, pages, m->populated);
		bytes += (pages + leaves + m->top_pages) * PAGE_SIZE;
	}
	hold(&m->payer->obj, "a memory object");
	charge(m->payer, bytes, "a memory object");
	for (struct mapping *x = m->maps; x; x = x->obj_next)
		if (!kmem_owns(ck.mapping, x) || x->mo != m) {
			PROBLEM("memory object %p lists a stray mapping\n", m);
			return;
		}
}

/* Capabilities anywhere to portal p with this badge. */
static uint64_t badged_caps(const struct portal *p, uint64_t badge);

struct badge_walk {
	struct portal *p;
};

static void hold_badge(struct domain *payer, uint64_t badge, uint64_t count,
		       int gone, void *arg)
{
	struct badge_walk *w = arg;
	hold(&payer->obj, "a badge record");
	charge(payer, ck.badge->size, "a badge record");
	if (gone)
		return;
	uint64_t n = badged_caps(w->p, badge);
	if (n != count)
		PROBLEM("portal %p badge %lx: %lu capabilities, counts %lu\n",
			w->p, badge, n, count);
}

static void hold_portal(void *mem, void *arg)
{
	struct portal *p = mem;
	(void)arg;
	hold(&p->owner->obj, "a portal");
	charge(p->owner, ck.portal->size, "a portal");
	hold(p->watch, "a portal watch");
	struct badge_walk w = { p };
	portal_each_badge(p, hold_badge, &w);
}

static void hold_reply(void *mem, void *arg)
{
	struct reply *r = mem;
	(void)arg;
	hold(&r->payer->obj, "a reply");
	charge(r->payer, ck.reply->size, "a reply");
	hold(&r->portal->obj, "a reply");
}

static void hold_device(void *mem, void *arg)
{
	struct device *dev = mem;
	(void)arg;
	hold(&dev->payer->obj, "a device capability");
	charge(dev->payer, ck.device->size, "a device capability");
	hold(dev->event, "an interrupt binding");
}

/* ---- the badge counts ---- */

struct badge_count {
	const struct portal *p;
	uint64_t badge, n;
};

static void count_badged(void *mem, void *arg)
{
	struct domain *d = mem;
	struct badge_count *b = arg;
	for (uint32_t i = 0; d->caps.slots && i < d->caps.nslots; i++) {
		struct cap *c = &d->caps.slots[i];
		b->n += c->obj == &b->p->obj && c->badge == b->badge;
	}
}

static uint64_t badged_caps(const struct portal *p, uint64_t badge)
{
	struct badge_count b = { p, badge, 0 };
	kmem_each(ck.domain, count_badged, &b);
	return b.n;
}

/* ---- pass 3: compare ---- */

static const char *type_name(uint16_t type)
{
	static const char *names[] = {
		[OBJ_DOMAIN] = "domain", [OBJ_THREAD] = "thread",
		[OBJ_PORTAL] = "portal", [OBJ_MEMORY] = "memory object",
		[OBJ_EVENT] = "event",	 [OBJ_REPLY] = "reply",
	};
	return type < sizeof(names) / sizeof(*names) && names[type]
		   ? names[type]
		   : "device";
}

static void compare(struct kobj *o)
{
	if (o->refs != o->expect)
		PROBLEM("%s %p has %u references, %u holders\n",
			type_name(o->type), o, o->refs, o->expect);
}

static void compare_obj(void *mem, void *arg)
{
	compare(arg ? &((struct thread *)mem)->obj : mem);
}

static void compare_domain(void *mem, void *arg)
{
	struct domain *d = mem;
	(void)arg;
	compare(&d->obj);
	if (d->quota.used != d->expect_used)
		PROBLEM("domain %d (%s) uses %lu bytes, paid for %lu\n", d->id,
			d->name, d->quota.used, d->expect_used);
}

/* ---- the walk ---- */

static void find_caches(void)
{
	ck.domain = kmem_cache_find("domain");
	ck.thread = kmem_cache_find("thread");
	ck.event = kmem_cache_find("event");
	ck.memobj = kmem_cache_find("memobj");
	ck.mapping = kmem_cache_find("mapping");
	ck.portal = kmem_cache_find("portal");
	ck.badge = kmem_cache_find("badge");
	ck.reply = kmem_cache_find("reply");
	ck.device = kmem_cache_find("device");
}

/* Each cache that holds objects of a type: the thread cache's objects
 * are threads, whose kobj is not first (arg non-NULL says so). */
static void each_object(void (*fn)(void *, void *))
{
	struct kmem_cache *plain[] = { ck.event, ck.memobj, ck.portal, ck.reply,
				       ck.device };
	for (unsigned i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		if (plain[i] && kmem_each(plain[i], fn, NULL))
			PROBLEM("cache %s has a corrupt slab\n",
				plain[i]->name);
	if (ck.thread && kmem_each(ck.thread, fn, ck.thread))
		PROBLEM("cache thread has a corrupt slab\n");
}

static void each(struct kmem_cache *c, void (*fn)(void *, void *))
{
	if (c && kmem_each(c, fn, NULL))
		PROBLEM("cache %s has a corrupt slab\n", c->name);
}

extern uint64_t kobj_live[OBJ_TYPES];

/* The stats call's live counts (cap.c) against the caches' objects. */
static void check_live_counts(void)
{
	struct {
		uint16_t type;
		struct kmem_cache *c;
	} kinds[] = { { OBJ_DOMAIN, ck.domain }, { OBJ_EVENT, ck.event },
		      { OBJ_MEMORY, ck.memobj }, { OBJ_PORTAL, ck.portal },
		      { OBJ_REPLY, ck.reply } };
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		uint64_t n = kinds[i].c ? kinds[i].c->objects : 0;
		if (kobj_live[kinds[i].type] != n)
			PROBLEM("%lu live %ss counted, %lu allocated\n",
				kobj_live[kinds[i].type],
				type_name(kinds[i].type), n);
	}
}

static void hold_log(void)
{
	struct kobj *mem, *event;
	log_holds(&mem, &event);
	hold(mem, "the log ring");
	hold(event, "the log ring");
}

uint64_t nucleus_check(void)
{
	ck.problems = ck.mappings = 0;
	find_caches();
	each(ck.domain, zero_domain);
	each_object(zero_obj);
	each(ck.domain, hold_domain);
	each(ck.thread, hold_thread);
	each(ck.event, hold_event);
	each(ck.memobj, hold_memobj);
	each(ck.portal, hold_portal);
	each(ck.reply, hold_reply);
	each(ck.device, hold_device);
	hold_log();
	if (ck.mapping && ck.mappings != ck.mapping->objects)
		PROBLEM("%lu mappings on domains' lists, %lu allocated\n",
			ck.mappings, ck.mapping->objects);
	check_live_counts();
	each(ck.domain, compare_domain);
	each_object(compare_obj);
	return ck.problems;
}

long sys_nucleus_check(void)
{
	/* A walk of every object under the big lock: a driver's (which is
	 * trusted with the machine already), never an application's. */
	if (current_domain()->class != CLASS_DRIVER)
		return STATUS_ERR_DENIED;
	return (long)nucleus_check();
}
