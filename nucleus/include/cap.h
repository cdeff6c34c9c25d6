/*
 * Capability tables. A slot holds (object, rights, badge). Copies are made
 * with equal or fewer rights; every copy remembers the capability it was
 * derived from, so that revoke can remove every capability derived from one,
 * in every domain. An object lives while any capability (or the nucleus)
 * holds a reference; when the last goes its type's release function frees
 * it and returns its memory to whoever paid.
 *
 * Pure code (no hardware, no allocation): host-tested.
 */
#ifndef NUCLEUS_CAP_H
#define NUCLEUS_CAP_H

#include <metta/cap.h>
#include <metta/status.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* The header every capability-reachable object starts with. */
struct kobj {
	uint16_t type;
	uint32_t refs;
	uint32_t expect; /* the consistency check's count of its holders */
};

struct cap {
	struct kobj *obj; /* NULL: an empty slot */
	uint32_t rights;
	uint64_t badge;
	int weak; /* holds no reference (a domain's capability to itself) */
	struct cap *parent;	 /* derived from */
	struct cap *child;	 /* first derived capability */
	struct cap *next, *prev; /* siblings under the same parent */
};

struct captable {
	struct cap *slots;
	uint32_t nslots;
};

/* Called when an object's last reference goes. */
typedef void (*kobj_release_fn)(struct kobj *obj);
void kobj_set_release(uint16_t type, kobj_release_fn fn);

/*
 * Called when a capability with a badge to an object of `type` comes
 * (delta 1) or goes (delta -1); moves do not count. A hook that fails a
 * coming capability fails its insertion, with nothing changed. Portals
 * use it to tell their server when a badge's last capability goes.
 */
typedef int (*kobj_badge_fn)(struct kobj *obj, uint64_t badge, int delta);
void kobj_set_badge_hook(uint16_t type, kobj_badge_fn fn);

void kobj_init(struct kobj *o, uint16_t type);
/* An object whose creation failed after kobj_init, freed by its creator:
 * it leaves the live counts (nothing is released). */
void kobj_forget(struct kobj *o);
void kobj_get(struct kobj *o);
/* Drops a reference; the last one releases the object. */
void kobj_put(struct kobj *o);

void captable_init(struct captable *t, struct cap *slots, uint32_t n);

/*
 * Looks up slot: 0 and the capability, or STATUS_ERR_BADCAP (out of range
 * or empty), ERR_TYPE (another type; type OBJ_NONE accepts any), or
 * ERR_DENIED (a right in `need` is missing). Inline: every call does this.
 */
static inline int cap_lookup(struct captable *t, uint32_t slot, uint16_t type,
			     uint32_t need, struct cap **out)
{
	if (slot >= t->nslots || !t->slots[slot].obj)
		return STATUS_ERR_BADCAP;
	struct cap *c = &t->slots[slot];
	if (type != OBJ_NONE && c->obj->type != type)
		return STATUS_ERR_TYPE;
	if ((c->rights & need) != need)
		return STATUS_ERR_DENIED;
	*out = c;
	return STATUS_OK;
}

/* Whether slot can take a new capability: 0, ERR_BADCAP (out of range)
 * or ERR_EXIST (in use). Calls that create objects check this first. */
int cap_slot_free(const struct captable *t, uint32_t slot);

/* Puts a new capability to obj in an empty slot, derived from `parent`
 * (NULL: an original). 0, ERR_BADCAP (bad slot) or ERR_EXIST (in use). */
int cap_insert(struct captable *t, uint32_t slot, struct kobj *obj,
	       uint32_t rights, uint64_t badge, struct cap *parent);

/* Like cap_insert, but the slot holds no reference on obj: for a domain's
 * capability to itself, which must not keep the domain alive. */
int cap_insert_weak(struct captable *t, uint32_t slot, struct kobj *obj,
		    uint32_t rights);

/*
 * Copies src (in `from`) to dst (in `to`) with `rights`, which must be a
 * subset of src's; the copy may get a badge only if src has none.
 * 0, or ERR_BADCAP, ERR_EXIST, ERR_DENIED (more rights, or src lacks
 * RIGHT_GRANT), ERR_INVAL (rebadging).
 */
int cap_copy(struct captable *from, uint32_t src, struct captable *to,
	     uint32_t dst, uint32_t rights, uint64_t badge);

/* Moves a capability to an empty slot, keeping its place in the tree. */
int cap_move(struct captable *from, uint32_t src, struct captable *to,
	     uint32_t dst);

/* Empties a slot; capabilities derived from it stay, now derived from its
 * parent. 0 or ERR_BADCAP. */
int cap_delete(struct captable *t, uint32_t slot);

/* Deletes every capability derived from slot's, everywhere; keeps slot's.
 * 0 or ERR_BADCAP. */
int cap_revoke(struct captable *t, uint32_t slot);

/* Empties every slot (a domain's end). */
void captable_clear(struct captable *t);

#endif
