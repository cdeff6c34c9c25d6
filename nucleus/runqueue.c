/* Run queues: see sched.h. */
#include <sched.h>

#include <stddef.h>

void rq_init(struct runqueue *rq)
{
	*rq = (struct runqueue){ 0 };
}

void rq_push(struct runqueue *rq, struct rq_node *n)
{
	int l = n->level;
	n->next = NULL;
	if (rq->tail[l])
		rq->tail[l]->next = n;
	else
		rq->head[l] = n;
	rq->tail[l] = n;
	rq->nonempty |= 1u << l;
	rq->count++;
	n->queued = 1;
}

int rq_best(const struct runqueue *rq)
{
	return rq->nonempty ? __builtin_ctz(rq->nonempty) : -1;
}

struct rq_node *rq_pop(struct runqueue *rq)
{
	int l = rq_best(rq);
	if (l < 0)
		return NULL;
	struct rq_node *n = rq->head[l];
	rq->head[l] = n->next;
	if (!rq->head[l]) {
		rq->tail[l] = NULL;
		rq->nonempty &= ~(1u << l);
	}
	rq->count--;
	n->next = NULL;
	n->queued = 0;
	return n;
}

int rq_remove(struct runqueue *rq, struct rq_node *n)
{
	if (!n->queued)
		return 0;
	int l = n->level;
	struct rq_node *prev = NULL;
	for (struct rq_node *p = rq->head[l]; p; prev = p, p = p->next) {
		if (p != n)
			continue;
		if (prev)
			prev->next = n->next;
		else
			rq->head[l] = n->next;
		if (rq->tail[l] == n)
			rq->tail[l] = prev;
		if (!rq->head[l])
			rq->nonempty &= ~(1u << l);
		rq->count--;
		n->next = NULL;
		n->queued = 0;
		return 1;
	}
	return 0;
}
