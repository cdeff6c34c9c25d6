/* The skeleton's queue of held requests (driver.h): pure, host-tested. */
#include "driver/driver.h"

void driver_queue_put(struct driver_queue *q, struct p9srv_req *r)
{
	r->next = 0;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
}

struct p9srv_req *driver_queue_take(struct driver_queue *q)
{
	struct p9srv_req *r = q->head;
	if (!r)
		return 0;
	q->head = r->next;
	if (!q->head)
		q->tail = 0;
	r->next = 0;
	q->n--;
	return r;
}

int driver_queue_remove(struct driver_queue *q, struct p9srv_req *r)
{
	struct p9srv_req *prev = 0;
	for (struct p9srv_req *at = q->head; at; prev = at, at = at->next) {
		if (at != r)
			continue;
		if (prev)
			prev->next = r->next;
		else
			q->head = r->next;
		if (q->tail == r)
			q->tail = prev;
		r->next = 0;
		q->n--;
		return 1;
	}
	return 0;
}
