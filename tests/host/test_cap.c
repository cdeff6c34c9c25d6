/* Host tests of capability tables: rights, derivation, revoke, release. */
#include <cap.h>
#include <metta/status.h>

#include "check.h"

#define TEST_TYPE OBJ_EVENT

static int released;

static void release(struct kobj *o)
{
	(void)o;
	released++;
}

static struct cap slots_a[16], slots_b[16];
static struct captable a, b;
static struct kobj obj;

static void setup(void)
{
	captable_init(&a, slots_a, 16);
	captable_init(&b, slots_b, 16);
	kobj_set_release(TEST_TYPE, release);
	kobj_init(&obj, TEST_TYPE);
	released = 0;
	cap_insert(&a, 1, &obj, RIGHT_ALL, 0, NULL);
	kobj_put(&obj); /* the slot holds the only reference now */
}

static int lookup_checks_slot_type_rights(void)
{
	struct cap *c;
	setup();
	CHECK(cap_lookup(&a, 1, TEST_TYPE, RIGHT_READ | RIGHT_WRITE, &c) == 0);
	CHECK(c->obj == &obj);
	CHECK(cap_lookup(&a, 2, TEST_TYPE, 0, &c) == STATUS_ERR_BADCAP);
	CHECK(cap_lookup(&a, 99, TEST_TYPE, 0, &c) == STATUS_ERR_BADCAP);
	CHECK(cap_lookup(&a, 1, OBJ_PORTAL, 0, &c) == STATUS_ERR_TYPE);
	CHECK(cap_copy(&a, 1, &a, 2, RIGHT_READ, 0) == 0);
	CHECK(cap_lookup(&a, 2, TEST_TYPE, RIGHT_WRITE, &c) ==
	      STATUS_ERR_DENIED);
	CHECK(cap_lookup(&a, 2, OBJ_NONE, RIGHT_READ, &c) == 0);
	return 0;
}

static int copies_never_gain_rights(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &b, 3, RIGHT_READ | RIGHT_GRANT, 0) == 0);
	CHECK(cap_copy(&b, 3, &b, 4, RIGHT_READ | RIGHT_WRITE, 0) ==
	      STATUS_ERR_DENIED);
	CHECK(cap_copy(&b, 3, &b, 4, RIGHT_READ, 0) == 0);
	/* Without RIGHT_GRANT a capability cannot be passed on at all. */
	CHECK(cap_copy(&b, 4, &b, 5, RIGHT_READ, 0) == STATUS_ERR_DENIED);
	CHECK(cap_copy(&a, 1, &b, 3, RIGHT_READ, 0) == STATUS_ERR_EXIST);
	CHECK(cap_copy(&a, 1, &b, 16, RIGHT_READ, 0) == STATUS_ERR_BADCAP);
	CHECK(obj.refs == 3);
	return 0;
}

static int badges_are_set_once(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &b, 1, RIGHT_ALL, 42) == 0);
	CHECK(b.slots[1].badge == 42);
	CHECK(cap_copy(&b, 1, &b, 2, RIGHT_ALL, 7) == STATUS_ERR_INVAL);
	CHECK(cap_copy(&b, 1, &b, 2, RIGHT_ALL, 0) == 0);
	CHECK(b.slots[2].badge == 42); /* copies keep it */
	return 0;
}

static int revoke_removes_every_derived_copy(void)
{
	setup();
	/* a1 -> b1 -> b2 -> a5, and a1 -> a2 */
	CHECK(cap_copy(&a, 1, &b, 1, RIGHT_ALL, 0) == 0);
	CHECK(cap_copy(&b, 1, &b, 2, RIGHT_ALL, 0) == 0);
	CHECK(cap_copy(&b, 2, &a, 5, RIGHT_ALL, 0) == 0);
	CHECK(cap_copy(&a, 1, &a, 2, RIGHT_ALL, 0) == 0);
	CHECK(obj.refs == 5);
	CHECK(cap_revoke(&b, 1) == 0); /* takes b2 and a5 */
	CHECK(b.slots[1].obj && !b.slots[2].obj && !a.slots[5].obj);
	CHECK(a.slots[2].obj && obj.refs == 3);
	CHECK(cap_revoke(&a, 1) == 0);
	CHECK(!b.slots[1].obj && !a.slots[2].obj && a.slots[1].obj);
	CHECK(obj.refs == 1 && released == 0);
	CHECK(cap_revoke(&a, 9) == STATUS_ERR_BADCAP);
	return 0;
}

static int delete_keeps_children_under_grandparent(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &a, 2, RIGHT_ALL, 0) == 0);
	CHECK(cap_copy(&a, 2, &a, 3, RIGHT_ALL, 0) == 0);
	CHECK(cap_delete(&a, 2) == 0);
	CHECK(a.slots[3].obj && a.slots[3].parent == &a.slots[1]);
	CHECK(cap_revoke(&a, 1) == 0); /* still reaches the grandchild */
	CHECK(!a.slots[3].obj);
	CHECK(cap_delete(&a, 2) == STATUS_ERR_BADCAP);
	return 0;
}

static int move_keeps_the_tree(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &a, 2, RIGHT_ALL, 0) == 0);
	CHECK(cap_move(&a, 1, &b, 7) == 0);
	CHECK(!a.slots[1].obj && b.slots[7].obj == &obj);
	CHECK(a.slots[2].parent == &b.slots[7]);
	CHECK(cap_move(&a, 1, &b, 8) == STATUS_ERR_BADCAP);
	CHECK(cap_move(&a, 2, &b, 7) == STATUS_ERR_EXIST);
	CHECK(cap_revoke(&b, 7) == 0 && !a.slots[2].obj);
	CHECK(obj.refs == 1);
	return 0;
}

static int last_reference_releases(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &b, 1, RIGHT_ALL, 0) == 0);
	CHECK(cap_delete(&a, 1) == 0 && released == 0);
	CHECK(cap_delete(&b, 1) == 0 && released == 1);
	return 0;
}

static int clearing_a_table_drops_everything(void)
{
	setup();
	CHECK(cap_copy(&a, 1, &b, 1, RIGHT_ALL, 0) == 0);
	CHECK(cap_copy(&b, 1, &a, 3, RIGHT_ALL, 0) == 0);
	captable_clear(&a);
	CHECK(b.slots[1].obj && b.slots[1].parent == NULL && obj.refs == 1);
	captable_clear(&b);
	CHECK(released == 1);
	return 0;
}

static int weak_capabilities_hold_no_reference(void)
{
	setup();
	CHECK(cap_insert_weak(&b, 0, &obj, RIGHT_ALL) == 0);
	CHECK(obj.refs == 1);
	CHECK(cap_copy(&b, 0, &b, 1, RIGHT_READ, 0) ==
	      0); /* copies are strong */
	CHECK(obj.refs == 2);
	captable_clear(&b);
	CHECK(obj.refs == 1 && released == 0);
	return 0;
}

/* The badge hook counts badged capabilities: copies, IPC-like inserts,
 * moves (no change), deletes, revokes and clears; a failing hook refuses
 * the copy with nothing changed. */
static long badge_count[8];
static int refuse_badge;

static int count_badges(struct kobj *o, uint64_t badge, int delta)
{
	(void)o;
	if (delta > 0 && refuse_badge)
		return STATUS_ERR_QUOTA;
	badge_count[badge] += delta;
	return STATUS_OK;
}

static int badged_capabilities_are_counted(void)
{
	setup();
	for (int i = 0; i < 8; i++)
		badge_count[i] = 0;
	refuse_badge = 0;
	kobj_set_badge_hook(TEST_TYPE, count_badges);
	CHECK(cap_copy(&a, 1, &a, 2, RIGHT_ALL, 0) == 0); /* no badge */
	CHECK(cap_copy(&a, 1, &a, 3, RIGHT_ALL, 5) == 0);
	CHECK(cap_copy(&a, 3, &b, 1, RIGHT_ALL, 0) == 0); /* inherits 5 */
	CHECK(cap_copy(&b, 1, &b, 2, RIGHT_ALL, 0) == 0);
	CHECK(badge_count[5] == 3);
	CHECK(cap_move(&b, 2, &b, 3) == 0 && badge_count[5] == 3);
	refuse_badge = 1;
	CHECK(cap_copy(&a, 1, &a, 4, RIGHT_ALL, 6) == STATUS_ERR_QUOTA);
	CHECK(cap_copy(&a, 3, &a, 4, RIGHT_ALL, 0) == STATUS_ERR_QUOTA);
	CHECK(slots_a[4].obj == NULL && badge_count[5] == 3);
	refuse_badge = 0;
	CHECK(cap_delete(&b, 3) == 0 && badge_count[5] == 2);
	CHECK(cap_revoke(&a, 3) == 0 && badge_count[5] == 1);
	captable_clear(&a);
	CHECK(badge_count[5] == 0 && released == 1);
	kobj_set_badge_hook(TEST_TYPE, 0);
	return 0;
}

int main(void)
{
	RUN(lookup_checks_slot_type_rights);
	RUN(copies_never_gain_rights);
	RUN(badges_are_set_once);
	RUN(revoke_removes_every_derived_copy);
	RUN(delete_keeps_children_under_grandparent);
	RUN(move_keeps_the_tree);
	RUN(last_reference_releases);
	RUN(clearing_a_table_drops_everything);
	RUN(weak_capabilities_hold_no_reference);
	RUN(badged_capabilities_are_counted);
	return check_done();
}
