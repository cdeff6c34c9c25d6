/* Split virtqueues: see virtq.h. */
#include "virtio/virtq.h"

#define VIRTQ_USED_F_NO_NOTIFY 1

/* The device reads our ring entries only after it sees the index move,
 * and we read its entries only after seeing its index: full fences keep
 * the compiler and the CPU from reordering across those points. */
static void fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int virtq_init(struct virtq *q, uint16_t size, void *mem, uint64_t phys)
{
	if (size == 0 || size > VIRTQ_MAX || (size & (size - 1)))
		return -1;
	uint8_t *base = mem;
	q->size = size;
	q->desc = (volatile struct virtq_desc *)base;
	q->avail = (volatile struct virtq_avail *)(base + VIRTQ_AVAIL_OFF(size));
	q->used = (volatile struct virtq_used *)(base + VIRTQ_USED_OFF(size));
	q->desc_phys = phys;
	q->avail_phys = phys + VIRTQ_AVAIL_OFF(size);
	q->used_phys = phys + VIRTQ_USED_OFF(size);
	for (uint16_t i = 0; i < size; i++) {
		q->desc[i].next = (uint16_t)(i + 1);
		q->token[i] = 0;
	}
	q->free_head = 0;
	q->nfree = size;
	q->last_used = q->avail_idx = q->added = 0;
	q->avail->flags = 0;
	q->avail->idx = 0;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
	      unsigned nin, void *token)
{
	unsigned n = nout + nin;
	if (n == 0 || n > q->nfree || !token)
		return -1;
	uint16_t head = q->free_head, i = head, last = head;
	for (unsigned k = 0; k < n; k++) {
		volatile struct virtq_desc *d = &q->desc[i];
		d->addr = bufs[k].phys;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((k >= nout ? VIRTQ_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		last = i;
		i = d->next;
	}
	q->free_head = i; /* what followed the chain's last descriptor */
	q->desc[last].next = 0;
	q->nfree = (uint16_t)(q->nfree - n);
	q->token[head] = token;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	fence(); /* the entry before the index that publishes it */
	q->avail->idx = ++q->avail_idx;
	q->added++;
	return head;
}

int virtq_kick_needed(struct virtq *q)
{
	fence(); /* our index out before we read the device's flags */
	int need = q->added && !(q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
	q->added = 0;
	return need;
}

/* Gives the chain at head back to the free list. */
static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t i = head, n = 1;
	while ((q->desc[i].flags & VIRTQ_DESC_F_NEXT) && n < q->size) {
		i = q->desc[i].next;
		n++;
	}
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + n);
}

void *virtq_get(struct virtq *q, uint32_t *len, unsigned *bad)
{
	while (q->last_used != q->used->idx) {
		fence(); /* the entry after the index that announced it */
		volatile struct virtq_used_elem *e =
		    &q->used->ring[q->last_used & (q->size - 1)];
		uint32_t id = e->id;
		uint32_t n = e->len;
		q->last_used++;
		if (id >= q->size || !q->token[id]) {
			if (bad)
				(*bad)++;
			continue;
		}
		void *token = q->token[id];
		q->token[id] = 0;
		free_chain(q, (uint16_t)id);
		if (len)
			*len = n;
		return token;
	}
	return 0;
}

unsigned virtq_inflight(const struct virtq *q)
{
	unsigned n = 0;
	for (uint16_t i = 0; i < q->size; i++)
		n += q->token[i] != 0;
	return n;
}
