/* Host tests of the slab allocator and quota charging. */
#include <kmem.h>
#include <metta/status.h>
#include <quota.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static int pages_out, fail_pages;

static void *page_alloc(void)
{
	if (fail_pages)
		return NULL;
	void *p = aligned_alloc(KMEM_PAGE, KMEM_PAGE);
	if (p) {
		memset(p, 0, KMEM_PAGE);
		pages_out++;
	}
	return p;
}

static void page_free(void *p)
{
	pages_out--;
	free(p);
}

static const struct kmem_page_source source = { page_alloc, page_free };

static int alloc_free_round_trip(void)
{
	struct kmem_cache c;
	struct quota q = { "t", 1 << 20, 0 };
	void *objs[300];
	kmem_init(&source);
	CHECK(kmem_cache_init(&c, "obj", 40) == 0);
	CHECK(c.size == 48);
	for (int i = 0; i < 300; i++) {
		CHECK(kmem_alloc(&c, &q, &objs[i]) == 0);
		CHECK((uintptr_t)objs[i] % 16 == 0);
		memset(objs[i], 0xab,
		       40); /* ASan flags any overlap or overrun */
	}
	CHECK(q.used == 300 * 48);
	CHECK(c.objects == 300 && pages_out == (int)c.slabs && c.slabs >= 4);
	for (int i = 0; i < 300; i++)
		for (int j = i + 1; j < 300; j++)
			CHECK(objs[i] != objs[j]);
	for (int i = 0; i < 300; i++)
		CHECK(kmem_free(&c, &q, objs[i]) == 0);
	CHECK(q.used == 0 && c.objects == 0 && pages_out == 0);
	return 0;
}

static int objects_come_zeroed(void)
{
	struct kmem_cache c;
	struct quota q = { "t", 1 << 20, 0 };
	void *a, *b;
	kmem_init(&source);
	kmem_cache_init(&c, "obj", 64);
	CHECK(kmem_alloc(&c, &q, &a) == 0);
	CHECK(kmem_alloc(&c, &q, &b) == 0); /* keeps the slab alive */
	memset(a, 0xff, 64);
	CHECK(kmem_free(&c, &q, a) == 0);
	CHECK(kmem_alloc(&c, &q, &a) == 0);
	for (int i = 0; i < 64; i++)
		CHECK(((unsigned char *)a)[i] == 0);
	kmem_free(&c, &q, a);
	kmem_free(&c, &q, b);
	return 0;
}

static int quota_exhaustion_changes_nothing(void)
{
	struct kmem_cache c;
	struct quota q = { "small", 3 * 64, 0 };
	void *o[3], *extra;
	kmem_init(&source);
	kmem_cache_init(&c, "obj", 64);
	for (int i = 0; i < 3; i++)
		CHECK(kmem_alloc(&c, &q, &o[i]) == 0);
	int slabs = (int)c.slabs;
	CHECK(kmem_alloc(&c, &q, &extra) == STATUS_ERR_QUOTA);
	CHECK(q.used == 3 * 64 && c.objects == 3 && (int)c.slabs == slabs);
	CHECK(kmem_free(&c, &q, o[0]) == 0);
	CHECK(kmem_alloc(&c, &q, &extra) == 0); /* room again */
	kmem_free(&c, &q, extra);
	kmem_free(&c, &q, o[1]);
	kmem_free(&c, &q, o[2]);
	CHECK(q.used == 0 && pages_out == 0);
	return 0;
}

static int out_of_pages_refunds_quota(void)
{
	struct kmem_cache c;
	struct quota q = { "t", 1 << 20, 0 };
	void *o;
	kmem_init(&source);
	kmem_cache_init(&c, "obj", 64);
	fail_pages = 1;
	CHECK(kmem_alloc(&c, &q, &o) == STATUS_ERR_NOMEM);
	fail_pages = 0;
	CHECK(q.used == 0 && c.objects == 0);
	return 0;
}

static int bad_frees_are_refused(void)
{
	struct kmem_cache a, b;
	struct quota q = { "t", 1 << 20, 0 };
	void *x, *y;
	kmem_init(&source);
	kmem_cache_init(&a, "a", 64);
	kmem_cache_init(&b, "b", 64);
	CHECK(kmem_alloc(&a, &q, &x) == 0);
	CHECK(kmem_alloc(&a, &q, &y) == 0);
	CHECK(kmem_free(&b, &q, x) == STATUS_ERR_INVAL); /* wrong cache */
	CHECK(kmem_free(&a, &q, (char *)x + 8) ==
	      STATUS_ERR_INVAL); /* inside */
	CHECK(kmem_free(&a, &q, NULL) == STATUS_ERR_INVAL);
	CHECK(kmem_free(&a, &q, x) == 0);
	CHECK(kmem_free(&a, &q, x) == STATUS_ERR_INVAL); /* double */
	CHECK(q.used == 64 && a.objects == 1);
	CHECK(kmem_free(&a, &q, y) == 0);
	CHECK(pages_out == 0);
	return 0;
}

static int cache_sizes(void)
{
	struct kmem_cache c;
	CHECK(kmem_cache_init(&c, "zero", 0) == STATUS_ERR_INVAL);
	CHECK(kmem_cache_init(&c, "huge", KMEM_MAX_OBJECT + 1) ==
	      STATUS_ERR_INVAL);
	CHECK(kmem_cache_init(&c, "max", KMEM_MAX_OBJECT) == 0 &&
	      c.per_slab >= 3);
	return 0;
}

static int quota_arithmetic(void)
{
	struct quota q = { "q", 100, 0 };
	CHECK(quota_charge(&q, 60) == 0);
	CHECK(quota_charge(&q, 41) == STATUS_ERR_QUOTA && q.used == 60);
	CHECK(quota_charge(&q, UINT64_MAX) == STATUS_ERR_QUOTA && q.used == 60);
	CHECK(quota_charge(&q, 40) == 0 && q.used == 100);
	CHECK(quota_release(&q, 101) == STATUS_ERR_INVAL && q.used == 100);
	CHECK(quota_release(&q, 100) == 0 && q.used == 0);
	return 0;
}

static void count_one(void *obj, void *arg)
{
	(void)obj;
	++*(int *)arg;
}

/* The consistency check's view: every allocated object, none free. */
static int each_sees_allocated_objects(void)
{
	struct kmem_cache c;
	struct quota q = { "t", 1 << 20, 0 };
	void *objs[200];
	kmem_init(&source);
	CHECK(kmem_cache_init(&c, "each", 64) == 0);
	CHECK(kmem_cache_find("each") == &c);
	for (int i = 0; i < 200; i++)
		CHECK(kmem_alloc(&c, &q, &objs[i]) == 0);
	for (int i = 0; i < 200; i += 2)
		CHECK(kmem_free(&c, &q, objs[i]) == 0);
	int n = 0;
	CHECK(kmem_each(&c, count_one, &n) == 0);
	CHECK(n == 100);
	CHECK(kmem_owns(&c, objs[1]) && !kmem_owns(&c, objs[2]));
	CHECK(!kmem_owns(&c, (char *)objs[1] + 8));
	for (int i = 1; i < 200; i += 2)
		CHECK(kmem_free(&c, &q, objs[i]) == 0);
	n = 0;
	CHECK(kmem_each(&c, count_one, &n) == 0 && n == 0);
	return 0;
}

int main(void)
{
	RUN(alloc_free_round_trip);
	RUN(objects_come_zeroed);
	RUN(quota_exhaustion_changes_nothing);
	RUN(out_of_pages_refunds_quota);
	RUN(bad_frees_are_refused);
	RUN(cache_sizes);
	RUN(quota_arithmetic);
	RUN(each_sees_allocated_objects);
	return check_done();
}
