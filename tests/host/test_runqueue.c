/* Host tests of the scheduler's run queues. */
#include <sched.h>

#include "check.h"

static struct rq_node node(int level)
{
	return (struct rq_node){ .level = level };
}

static int levels_order_class_then_priorities(void)
{
	CHECK(sched_level(CLASS_DRIVER, PRIO_LOW, PRIO_LOW) <
	      sched_level(CLASS_SERVER, PRIO_HIGH, PRIO_HIGH));
	CHECK(sched_level(CLASS_SERVER, PRIO_HIGH, PRIO_LOW) <
	      sched_level(CLASS_SERVER, PRIO_NORM, PRIO_HIGH));
	CHECK(sched_level(CLASS_APPLICATION, PRIO_LOW, PRIO_LOW) ==
	      SCHED_LEVELS - 1);
	CHECK(sched_level(CLASS_DRIVER, PRIO_HIGH, PRIO_HIGH) == 0);
	return 0;
}

static int most_urgent_first_fifo_within(void)
{
	struct runqueue rq;
	struct rq_node a = node(20), b = node(3), c = node(20), d = node(3);
	rq_init(&rq);
	CHECK(rq_pop(&rq) == NULL && rq_best(&rq) == -1);
	rq_push(&rq, &a);
	rq_push(&rq, &b);
	rq_push(&rq, &c);
	rq_push(&rq, &d);
	CHECK(rq.count == 4 && rq_best(&rq) == 3);
	CHECK(rq_pop(&rq) == &b);
	CHECK(rq_pop(&rq) == &d);
	CHECK(rq_pop(&rq) == &a);
	CHECK(rq_pop(&rq) == &c);
	CHECK(rq_pop(&rq) == NULL && rq.count == 0);
	return 0;
}

static int removal_anywhere(void)
{
	struct runqueue rq;
	struct rq_node a = node(5), b = node(5), c = node(5), lone = node(9);
	rq_init(&rq);
	rq_push(&rq, &a);
	rq_push(&rq, &b);
	rq_push(&rq, &c);
	rq_push(&rq, &lone);
	CHECK(rq_remove(&rq, &b) == 1 && rq_remove(&rq, &b) == 0);
	CHECK(rq_remove(&rq, &c) == 1); /* the tail: tail must move back */
	rq_push(&rq, &c);
	CHECK(rq_remove(&rq, &lone) == 1 && rq_best(&rq) == 5);
	CHECK(rq_pop(&rq) == &a && rq_pop(&rq) == &c && rq_pop(&rq) == NULL);
	CHECK(rq.nonempty == 0);
	return 0;
}

int main(void)
{
	RUN(levels_order_class_then_priorities);
	RUN(most_urgent_first_fifo_within);
	RUN(removal_anywhere);
	return check_done();
}
