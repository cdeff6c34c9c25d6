/*
 * Host tests of the driver skeleton's pure parts. The queue of held
 * requests (lib/driver/queue.c): first come first served, taken out from
 * the front, the middle or the end (a flushed request), a request not
 * there left alone, and the count kept. The bounce-buffer page pool
 * (lib/driver/pool.c): runs of contiguous pages, first fit, none when no
 * run is long enough (nothing taken), freed runs merging again. The ctl
 * command matcher (lib/driver/ctl.c).
 */
#include "check.h"
#include "driver/driver.h"

static struct p9srv_req r[4];

static int fifo(void)
{
	struct driver_queue q = { 0 };
	CHECK(driver_queue_take(&q) == 0);
	for (int i = 0; i < 3; i++)
		driver_queue_put(&q, &r[i]);
	CHECK(q.n == 3);
	for (int i = 0; i < 3; i++)
		CHECK(driver_queue_take(&q) == &r[i]);
	CHECK(q.n == 0 && !q.head && !q.tail && driver_queue_take(&q) == 0);
	return 0;
}

static int remove_anywhere(void)
{
	struct driver_queue q = { 0 };
	for (int i = 0; i < 4; i++)
		driver_queue_put(&q, &r[i]);
	CHECK(driver_queue_remove(&q, &r[1]) == 1); /* the middle */
	CHECK(driver_queue_remove(&q, &r[1]) == 0); /* not there now */
	CHECK(driver_queue_remove(&q, &r[3]) == 1); /* the end */
	CHECK(q.tail == &r[2] && q.n == 2);
	driver_queue_put(&q, &r[3]); /* after the new end */
	CHECK(driver_queue_remove(&q, &r[0]) == 1); /* the front */
	CHECK(driver_queue_take(&q) == &r[2]);
	CHECK(driver_queue_take(&q) == &r[3]);
	CHECK(q.n == 0 && !q.head && !q.tail);
	CHECK(driver_queue_remove(&q, &r[0]) == 0); /* an empty queue */
	return 0;
}

static struct driver_pool pool;

static int pool_runs(void)
{
	driver_pool_init(&pool, 8);
	CHECK(driver_pool_alloc(&pool, 0) == -1);
	CHECK(driver_pool_alloc(&pool, 9) == -1 && pool.free == 8);
	CHECK(driver_pool_alloc(&pool, 3) == 0);
	CHECK(driver_pool_alloc(&pool, 1) == 3);
	CHECK(driver_pool_alloc(&pool, 4) == 4 && pool.free == 0);
	CHECK(driver_pool_alloc(&pool, 1) == -1);
	driver_pool_free(&pool, 0, 3);
	CHECK(driver_pool_alloc(&pool, 4) == -1 && pool.free == 3);
	driver_pool_free(&pool, 3, 1); /* 0..3 free again: one run */
	CHECK(driver_pool_alloc(&pool, 4) == 0 && pool.free == 0);
	return 0;
}

/* Fragments: enough pages free, but no run long enough. */
static int pool_fragments(void)
{
	driver_pool_init(&pool, 6);
	for (int i = 0; i < 6; i++)
		CHECK(driver_pool_alloc(&pool, 1) == i);
	driver_pool_free(&pool, 1, 1);
	driver_pool_free(&pool, 3, 1);
	driver_pool_free(&pool, 5, 1);
	CHECK(pool.free == 3 && driver_pool_alloc(&pool, 2) == -1);
	CHECK(pool.free == 3 && driver_pool_alloc(&pool, 1) == 1);
	return 0;
}

/* Bad frees change nothing; the size is capped at DRIVER_POOL_MAX. */
static int pool_bad_frees(void)
{
	driver_pool_init(&pool, 4);
	CHECK(driver_pool_alloc(&pool, 2) == 0);
	driver_pool_free(&pool, -1, 1);
	driver_pool_free(&pool, 3, 2); /* past the end */
	driver_pool_free(&pool, 2, 2); /* not taken */
	CHECK(pool.free == 2 && driver_pool_alloc(&pool, 3) == -1);
	driver_pool_init(&pool, DRIVER_POOL_MAX + 5);
	CHECK(pool.pages == DRIVER_POOL_MAX);
	return 0;
}

/* ctl commands: the word alone, or with echo's newline. */
static int commands(void)
{
	CHECK(driver_is_command("crash", 5, "crash"));
	CHECK(driver_is_command("crash\n", 6, "crash"));
	CHECK(!driver_is_command("crash\n\n", 7, "crash"));
	CHECK(!driver_is_command("cras", 4, "crash"));
	CHECK(!driver_is_command("crashes", 7, "crash"));
	CHECK(!driver_is_command("flush", 5, "crash"));
	CHECK(!driver_is_command("", 0, "crash"));
	CHECK(!driver_is_command("\n", 1, "crash"));
	return 0;
}

int main(void)
{
	RUN(fifo);
	RUN(remove_anywhere);
	RUN(pool_runs);
	RUN(pool_fragments);
	RUN(pool_bad_frees);
	RUN(commands);
	return check_done();
}
