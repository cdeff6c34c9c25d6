/*
 * Host tests of virtio-net's transmit side (drivers/virtio-net/tx.c)
 * against a fake device that takes frames from the transmit virtqueue
 * (lib/virtio/virtq.c) and sends them when the test says. A frame goes
 * into the ring behind a zeroed header while there is room; with the
 * ring full it waits in its slot with its request, first come first
 * served, and goes (its request handed back to be answered) as the
 * device's completions make room; a frame written meanwhile does not
 * jump the queue; a waiting request that ends unanswered frees its slot;
 * with every slot busy nothing is taken; a slot released is free. Here a
 * buffer's "physical" address is its address in this process.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "virtio-net/tx.h"

#define QSIZE  4
#define NSLOTS 7 /* four in the ring, three waiting */

static uint8_t ring_mem[VIRTQ_MEM(QSIZE)] __attribute__((aligned(4096)));
static uint8_t slot_mem[NSLOTS * TX_BUF];
static struct virtq q;
static struct tx t;
static struct p9srv_req req[8];

/* ---- the fake device ---- */

static uint16_t dev_seen;    /* available entries taken */
static uint8_t sent[16][64]; /* the frames it sent, in order */
static unsigned nsent;

/* The device sends the oldest frame it has taken: checks its header is
 * zero and keeps the frame. */
static int dev_send_one(void)
{
	if (dev_seen == q.avail->idx)
		return 0;
	uint16_t head = q.avail->ring[dev_seen++ % q.size];
	volatile struct virtq_desc *d = &q.desc[head];
	const uint8_t *buf = (const uint8_t *)(uintptr_t)d->addr;
	for (int k = 0; k < TX_HDR; k++)
		if (buf[k])
			return 0;
	memcpy(sent[nsent++], buf + TX_HDR, d->len - TX_HDR);
	uint16_t u = q.used->idx;
	q.used->ring[u % q.size].id = head;
	q.used->ring[u % q.size].len = 0;
	q.used->idx = (uint16_t)(u + 1);
	return 1;
}

static void reset(void)
{
	memset(ring_mem, 0, sizeof(ring_mem));
	memset(slot_mem, 0x55, sizeof(slot_mem)); /* headers must be zeroed */
	virtq_init(&q, QSIZE, ring_mem, (uint64_t)(uintptr_t)ring_mem);
	tx_init(&t, &q, slot_mem, (uint64_t)(uintptr_t)slot_mem, NSLOTS);
	dev_seen = 0;
	nsent = 0;
}

/* The driver's write of a 20-byte frame of bytes n, held as req[k] when
 * it must wait: 1 sent at once, 0 waiting, -1 refused (no slot). */
static int write_frame(uint8_t n, int k)
{
	uint8_t f[20];
	memset(f, n, sizeof(f));
	int room = tx_room(&t);
	struct tx_slot *s = tx_fill(&t, f, sizeof(f));
	if (!s)
		return -1;
	if (room) {
		tx_send(&t, s);
		return 1;
	}
	tx_wait(&t, &req[k], s);
	return 0;
}

static int sent_is(unsigned i, uint8_t n)
{
	return i < nsent && sent[i][0] == n && sent[i][19] == n;
}

static int ring_then_wait(void)
{
	reset();
	for (int n = 0; n < QSIZE; n++)
		CHECK(write_frame((uint8_t)n, n) == 1);
	CHECK(t.out == QSIZE && !tx_room(&t));
	CHECK(write_frame(10, 0) == 0 && write_frame(11, 1) == 0);
	CHECK(t.waiting.n == 2 && t.out == QSIZE);
	CHECK(tx_complete(&t) == 0); /* the device sent nothing yet */
	CHECK(dev_send_one() && dev_send_one());
	CHECK(sent_is(0, 0) && sent_is(1, 1));
	/* Two slots back: both waiting frames go, in order. */
	CHECK(tx_complete(&t) == &req[0]);
	CHECK(tx_complete(&t) == &req[1]);
	CHECK(tx_complete(&t) == 0 && t.waiting.n == 0 && t.out == QSIZE + 2);
	CHECK(((struct tx_slot *)req[0].aux)->len == 20);
	while (dev_send_one())
		;
	CHECK(nsent == QSIZE + 2 && sent_is(4, 10) && sent_is(5, 11));
	CHECK(tx_complete(&t) == 0 && tx_room(&t));
	return 0;
}

/* A frame written while others wait waits behind them, even if a
 * completion made room meanwhile. */
static int no_jumping(void)
{
	reset();
	for (int n = 0; n < QSIZE; n++)
		CHECK(write_frame((uint8_t)n, n) == 1);
	CHECK(write_frame(10, 0) == 0);
	CHECK(dev_send_one()); /* room, not yet taken back */
	CHECK(write_frame(11, 1) == 0);
	CHECK(tx_complete(&t) == &req[0] && tx_complete(&t) == 0);
	CHECK(dev_send_one() && tx_complete(&t) == &req[1]);
	while (dev_send_one())
		;
	CHECK(sent_is(QSIZE, 10) && sent_is(QSIZE + 1, 11));
	return 0;
}

static int slots_run_out(void)
{
	reset();
	for (int n = 0; n < NSLOTS; n++)
		CHECK(write_frame((uint8_t)n, n) >= 0);
	CHECK(write_frame(99, 7) == -1 && t.waiting.n == NSLOTS - QSIZE);
	/* A slot filled, then not sent after all (its request could not be
	 * held): free again. */
	reset();
	uint8_t f[20] = { 0 };
	struct tx_slot *s = tx_fill(&t, f, sizeof(f));
	CHECK(s && s->busy && tx_fill(&t, f, sizeof(f)) != s);
	tx_release(s);
	CHECK(!s->busy && tx_fill(&t, f, sizeof(f)) == s);
	return 0;
}

static int forgotten_frees_its_slot(void)
{
	reset();
	for (int n = 0; n < NSLOTS; n++)
		CHECK(write_frame((uint8_t)n, n) >= 0);
	CHECK(tx_forget(&t, &req[5]) == 1 && t.waiting.n == 2);
	CHECK(tx_forget(&t, &req[5]) == 0); /* not waiting now */
	CHECK(tx_forget(&t, &req[0]) == 0); /* never waited */
	CHECK(write_frame(50, 5) == 0);	    /* its slot taken again */
	while (dev_send_one() || tx_complete(&t))
		;
	CHECK(nsent == NSLOTS);
	CHECK(sent_is(4, 4) && sent_is(5, 6) && sent_is(6, 50));
	return 0;
}

int main(void)
{
	RUN(ring_then_wait);
	RUN(no_jumping);
	RUN(slots_run_out);
	RUN(forgotten_frees_its_slot);
	return check_done();
}
