/*
 * Host tests of the driver skeleton's queue of held requests
 * (lib/driver/queue.c): first come first served, taken out from the
 * front, the middle or the end (a flushed request), a request not there
 * left alone, and the count kept.
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

int main(void)
{
	RUN(fifo);
	RUN(remove_anywhere);
	return check_done();
}
