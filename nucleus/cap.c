/* Capability tables and the derivation tree: see cap.h. */
#include <cap.h>

#include <metta/status.h>
#include <stddef.h>

static kobj_release_fn release_fns[OBJ_TYPES + 4];

static kobj_badge_fn badge_fns[OBJ_TYPES + 4];

void kobj_set_release(uint16_t type, kobj_release_fn fn)
{
	release_fns[type] = fn;
}

void kobj_set_badge_hook(uint16_t type, kobj_badge_fn fn)
{
	badge_fns[type] = fn;
}

static int badge_change(struct kobj *obj, uint64_t badge, int delta)
{
	kobj_badge_fn fn = badge ? badge_fns[obj->type] : NULL;
	return fn ? fn(obj, badge, delta) : STATUS_OK;
}

/* Live objects by type (the stats call). */
uint64_t kobj_live[OBJ_TYPES];

void kobj_init(struct kobj *o, uint16_t type)
{
	o->type = type;
	o->refs = 1; /* the creator's reference */
	if (type < OBJ_TYPES)
		kobj_live[type]++;
}

void kobj_forget(struct kobj *o)
{
	if (o->type < OBJ_TYPES)
		kobj_live[o->type]--;
	o->refs = 0;
}

void kobj_get(struct kobj *o)
{
	o->refs++;
}

void kobj_put(struct kobj *o)
{
	if (--o->refs != 0)
		return;
	if (o->type < OBJ_TYPES)
		kobj_live[o->type]--;
	if (release_fns[o->type])
		release_fns[o->type](o);
}

void captable_init(struct captable *t, struct cap *slots, uint32_t n)
{
	t->slots = slots;
	t->nslots = n;
	for (uint32_t i = 0; i < n; i++)
		slots[i] = (struct cap){ 0 };
}

static struct cap *slot_at(struct captable *t, uint32_t slot)
{
	return slot < t->nslots ? &t->slots[slot] : NULL;
}

static void link_child(struct cap *parent, struct cap *c)
{
	c->parent = parent;
	c->prev = NULL;
	c->next = parent ? parent->child : NULL;
	if (parent) {
		if (parent->child)
			parent->child->prev = c;
		parent->child = c;
	}
}

static void unlink_from_parent(struct cap *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (c->parent)
		c->parent->child = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->parent = c->next = c->prev = NULL;
}

int cap_slot_free(const struct captable *t, uint32_t slot)
{
	if (slot >= t->nslots)
		return STATUS_ERR_BADCAP;
	return t->slots[slot].obj ? STATUS_ERR_EXIST : STATUS_OK;
}

int cap_insert(struct captable *t, uint32_t slot, struct kobj *obj,
	       uint32_t rights, uint64_t badge, struct cap *parent)
{
	struct cap *c = slot_at(t, slot);
	if (!c)
		return STATUS_ERR_BADCAP;
	if (c->obj)
		return STATUS_ERR_EXIST;
	int rc = badge_change(obj, badge, 1);
	if (rc)
		return rc;
	*c = (struct cap){ .obj = obj, .rights = rights, .badge = badge };
	link_child(parent, c);
	kobj_get(obj);
	return STATUS_OK;
}

int cap_insert_weak(struct captable *t, uint32_t slot, struct kobj *obj,
		    uint32_t rights)
{
	int rc = cap_insert(t, slot, obj, rights, 0, NULL);
	if (rc == STATUS_OK) {
		t->slots[slot].weak = 1;
		obj->refs--;
	}
	return rc;
}

int cap_copy(struct captable *from, uint32_t src, struct captable *to,
	     uint32_t dst, uint32_t rights, uint64_t badge)
{
	struct cap *s;
	int rc = cap_lookup(from, src, OBJ_NONE, RIGHT_GRANT, &s);
	if (rc)
		return rc;
	if (rights & ~s->rights)
		return STATUS_ERR_DENIED;
	if (badge && s->badge)
		return STATUS_ERR_INVAL; /* a badge, once given, stays */
	struct cap *d = slot_at(to, dst);
	if (!d)
		return STATUS_ERR_BADCAP;
	if (d->obj)
		return STATUS_ERR_EXIST;
	return cap_insert(to, dst, s->obj, rights, badge ? badge : s->badge, s);
}

int cap_move(struct captable *from, uint32_t src, struct captable *to,
	     uint32_t dst)
{
	struct cap *s = slot_at(from, src), *d = slot_at(to, dst);
	if (!s || !s->obj || !d)
		return STATUS_ERR_BADCAP;
	if (s == d)
		return STATUS_OK;
	if (d->obj)
		return STATUS_ERR_EXIST;
	*d = *s;
	/* Everything that pointed at s now points at d. */
	if (d->prev)
		d->prev->next = d;
	else if (d->parent)
		d->parent->child = d;
	if (d->next)
		d->next->prev = d;
	for (struct cap *c = d->child; c; c = c->next)
		c->parent = d;
	*s = (struct cap){ 0 };
	return STATUS_OK;
}

/* Empties c; its children are handed to its parent. */
static void delete_cap(struct cap *c)
{
	struct kobj *obj = c->obj;
	int weak = c->weak;
	uint64_t badge = c->badge;
	struct cap *parent = c->parent;
	while (c->child) {
		struct cap *k = c->child;
		unlink_from_parent(k);
		link_child(parent, k);
	}
	unlink_from_parent(c);
	*c = (struct cap){ 0 };
	badge_change(obj, badge, -1); /* the object is still alive here */
	if (!weak)
		kobj_put(
		    obj); /* last: releasing may delete other capabilities */
}

int cap_delete(struct captable *t, uint32_t slot)
{
	struct cap *c = slot_at(t, slot);
	if (!c || !c->obj)
		return STATUS_ERR_BADCAP;
	delete_cap(c);
	return STATUS_OK;
}

int cap_revoke(struct captable *t, uint32_t slot)
{
	struct cap *c = slot_at(t, slot);
	if (!c || !c->obj)
		return STATUS_ERR_BADCAP;
	/* Delete leaves first: a descendant without children goes now. */
	while (c->child) {
		struct cap *k = c->child;
		while (k->child)
			k = k->child;
		delete_cap(k);
	}
	return STATUS_OK;
}

void captable_clear(struct captable *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].obj)
			delete_cap(&t->slots[i]);
}
