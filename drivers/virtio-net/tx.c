/* virtio-net's transmit side: see tx.h. */
#include "tx.h"

void tx_init(struct tx *t, struct virtq *vq, uint8_t *va, uint64_t phys,
	     unsigned nslots)
{
	t->vq = vq;
	t->nslots = nslots < TX_SLOTS_MAX ? nslots : TX_SLOTS_MAX;
	for (unsigned i = 0; i < t->nslots; i++)
		t->slot[i] = (struct tx_slot){ va + i * TX_BUF,
					       phys + i * TX_BUF, 0, 0 };
	t->waiting = (struct driver_queue){ 0, 0, 0 };
	t->out = 0;
	t->bad_used = 0;
}

int tx_room(const struct tx *t)
{
	return !t->waiting.head && t->vq->nfree > 0;
}

struct tx_slot *tx_fill(struct tx *t, const void *data, uint32_t len)
{
	struct tx_slot *s = 0;
	for (unsigned i = 0; i < t->nslots && !s; i++)
		if (!t->slot[i].busy)
			s = &t->slot[i];
	if (!s)
		return 0;
	const uint8_t *from = data;
	for (uint32_t k = 0; k < TX_HDR; k++)
		s->va[k] = 0; /* no offloads asked for */
	for (uint32_t k = 0; k < len; k++)
		s->va[TX_HDR + k] = from[k];
	s->len = len;
	s->busy = 1;
	return s;
}

void tx_release(struct tx_slot *s)
{
	s->busy = 0;
}

void tx_send(struct tx *t, struct tx_slot *s)
{
	struct virtq_buf b = { s->phys, TX_HDR + s->len };
	virtq_add(t->vq, &b, 1, 0, s);
	t->out++;
}

void tx_wait(struct tx *t, struct p9srv_req *r, struct tx_slot *s)
{
	r->aux = s;
	driver_queue_put(&t->waiting, r);
}

struct p9srv_req *tx_complete(struct tx *t)
{
	struct tx_slot *s;
	while ((s = virtq_get(t->vq, 0, &t->bad_used)) != 0)
		s->busy = 0;
	if (!t->waiting.head || t->vq->nfree == 0)
		return 0;
	struct p9srv_req *r = driver_queue_take(&t->waiting);
	tx_send(t, r->aux);
	return r;
}

int tx_forget(struct tx *t, struct p9srv_req *r)
{
	if (!driver_queue_remove(&t->waiting, r))
		return 0;
	tx_release(r->aux);
	return 1;
}
