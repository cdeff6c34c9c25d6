/* virtio-net's receive queues per reader: see frames.h. */
#include "frames.h"

_Static_assert((FRAMES_MAX & (FRAMES_MAX - 1)) == 0, "a power of two");

void frames_init(struct frames *q)
{
	q->head = 0;
	for (int i = 0; i < FRAMES_READERS; i++)
		q->readers[i].inuse = 0;
}

int frames_open(struct frames *q, uint64_t conn, uint32_t fid)
{
	for (int i = 0; i < FRAMES_READERS; i++) {
		struct frames_reader *r = &q->readers[i];
		if (r->inuse)
			continue;
		*r = (struct frames_reader){ 1, fid, conn, q->head };
		return i;
	}
	return -1;
}

int frames_find(const struct frames *q, uint64_t conn, uint32_t fid)
{
	for (int i = 0; i < FRAMES_READERS; i++) {
		const struct frames_reader *r = &q->readers[i];
		if (r->inuse && r->conn == conn && r->fid == fid)
			return i;
	}
	return -1;
}

static int is_open(const struct frames *q, int i)
{
	return i >= 0 && i < FRAMES_READERS && q->readers[i].inuse;
}

void frames_close(struct frames *q, int i)
{
	if (is_open(q, i))
		q->readers[i].inuse = 0;
}

unsigned frames_put(struct frames *q, const void *data, uint32_t len)
{
	unsigned dropped = 0;
	/* The slot the new frame takes holds the oldest frame of whoever
	 * lags FRAMES_MAX behind: it loses that frame. */
	for (int i = 0; i < FRAMES_READERS; i++)
		if (frames_pending(q, i) == FRAMES_MAX) {
			q->readers[i].next++;
			dropped++;
		}
	uint32_t at = (uint32_t)(q->head & (FRAMES_MAX - 1));
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	const uint8_t *from = data;
	for (uint32_t k = 0; k < len; k++)
		q->data[at][k] = from[k];
	q->len[at] = (uint16_t)len;
	q->head++;
	return dropped;
}

unsigned frames_pending(const struct frames *q, int i)
{
	return is_open(q, i) ? (unsigned)(q->head - q->readers[i].next) : 0;
}

const uint8_t *frames_peek(const struct frames *q, int i, uint32_t *len)
{
	if (frames_pending(q, i) == 0)
		return 0;
	uint32_t at = (uint32_t)(q->readers[i].next & (FRAMES_MAX - 1));
	*len = q->len[at];
	return q->data[at];
}

void frames_pop(struct frames *q, int i)
{
	if (frames_pending(q, i))
		q->readers[i].next++;
}
