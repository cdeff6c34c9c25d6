/*
 * Host tests of the split virtqueue (lib/virtio/virtq.c) against a fake
 * device: a small block device model that walks the available ring as a
 * virtio-blk device would (header, data, status byte), completes
 * requests in the order the test says, and writes the used ring. Here a
 * buffer's "physical" address is its address in this process.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "virtio/virtq.h"

#define QSIZE 16
#define SECTORS 64

static uint8_t ring_mem[VIRTQ_MEM(VIRTQ_MAX)] __attribute__((aligned(4096)));
static struct virtq q;
static uint8_t disk[SECTORS * 512];

/* ---- the fake device ---- */

struct hdr {
	uint32_t type; /* 0 read, 1 write */
	uint32_t reserved;
	uint64_t sector;
};

static uint16_t dev_seen; /* available entries the device has taken */
static uint16_t pending[VIRTQ_MAX];
static unsigned npending;

/* The device takes every new available entry (not yet completing it). */
static void dev_poll(void)
{
	while (dev_seen != q.avail->idx)
		pending[npending++] = q.avail->ring[dev_seen++ % q.size];
}

/* The device carries out chain head and puts it in the used ring. */
static void dev_complete(uint16_t head)
{
	volatile struct virtq_desc *d = &q.desc[head];
	const struct hdr *h = (const struct hdr *)(uintptr_t)d->addr;
	uint32_t written = 0;
	uint64_t at = h->sector * 512;
	while (d->flags & VIRTQ_DESC_F_NEXT) {
		d = &q.desc[d->next];
		uint8_t *buf = (uint8_t *)(uintptr_t)d->addr;
		if (!(d->flags & VIRTQ_DESC_F_NEXT)) { /* the status byte */
			*buf = 0;
			written++;
		} else if (h->type == 0) {
			memcpy(buf, disk + at, d->len);
			written += d->len;
			at += d->len;
		} else {
			memcpy(disk + at, buf, d->len);
			at += d->len;
		}
	}
	uint16_t u = q.used->idx;
	q.used->ring[u % q.size].id = head;
	q.used->ring[u % q.size].len = written;
	q.used->idx = (uint16_t)(u + 1);
}

/* Completes the k-th pending request (in the device's order). */
static void dev_complete_nth(unsigned k)
{
	uint16_t head = pending[k];
	memmove(&pending[k], &pending[k + 1],
		(npending - k - 1) * sizeof(pending[0]));
	npending--;
	dev_complete(head);
}

static int reset(uint16_t size)
{
	memset(ring_mem, 0, sizeof(ring_mem));
	dev_seen = 0;
	npending = 0;
	return virtq_init(&q, size, ring_mem, (uint64_t)(uintptr_t)ring_mem);
}

/* ---- a request as a block driver makes it ---- */

struct req {
	struct hdr h;
	uint8_t data[1024];
	uint8_t status;
};

static int submit(struct req *r, uint32_t type, uint64_t sector,
		  uint32_t len)
{
	r->h = (struct hdr){ type, 0, sector };
	r->status = 0xff;
	struct virtq_buf b[3] = {
		{ (uint64_t)(uintptr_t)&r->h, sizeof(r->h) },
		{ (uint64_t)(uintptr_t)r->data, len },
		{ (uint64_t)(uintptr_t)&r->status, 1 },
	};
	return type == 0 ? virtq_add(&q, b, 1, 2, r) : virtq_add(&q, b, 2, 1, r);
}

static int bad_sizes(void)
{
	CHECK(reset(0) == -1);
	CHECK(reset(3) == -1);
	CHECK(reset(VIRTQ_MAX * 2) == -1);
	CHECK(reset(1) == 0);
	CHECK(reset(VIRTQ_MAX) == 0);
	return 0;
}

static int layout(void)
{
	CHECK(reset(QSIZE) == 0);
	CHECK(q.desc_phys == (uintptr_t)ring_mem);
	CHECK(q.avail_phys - q.desc_phys == 16 * QSIZE);
	CHECK(q.used_phys % 4 == 0);
	CHECK(q.used_phys >= q.avail_phys + 6 + 2 * QSIZE);
	CHECK(VIRTQ_MEM(128) <= 4096); /* one page holds a 128-entry queue */
	return 0;
}

static int write_then_read(void)
{
	static struct req w, r;
	CHECK(reset(QSIZE) == 0);
	memset(w.data, 0xa5, 512);
	CHECK(submit(&w, 1, 3, 512) >= 0);
	CHECK(virtq_kick_needed(&q) == 1);
	CHECK(virtq_kick_needed(&q) == 0); /* nothing new since */
	CHECK(virtq_get(&q, 0, 0) == 0);   /* not done yet */
	dev_poll();
	dev_complete_nth(0);
	uint32_t len = 99;
	CHECK(virtq_get(&q, &len, 0) == &w);
	CHECK(len == 1 && w.status == 0);
	CHECK(disk[3 * 512] == 0xa5 && disk[4 * 512 - 1] == 0xa5);
	CHECK(submit(&r, 0, 3, 512) >= 0);
	dev_poll();
	dev_complete_nth(0);
	CHECK(virtq_get(&q, &len, 0) == &r);
	CHECK(len == 513 && r.status == 0 && r.data[511] == 0xa5);
	CHECK(q.nfree == QSIZE && virtq_inflight(&q) == 0);
	return 0;
}

/* Full: the add that does not fit changes nothing; completions free. */
static int full_queue(void)
{
	static struct req r[QSIZE];
	CHECK(reset(QSIZE) == 0);
	int n = 0;
	while (submit(&r[n], 0, (uint64_t)n, 512) >= 0)
		n++;
	CHECK(n == QSIZE / 3);
	CHECK(q.nfree == QSIZE % 3);
	CHECK(virtq_inflight(&q) == (unsigned)n);
	uint16_t idx = q.avail->idx;
	CHECK(submit(&r[n], 0, 0, 512) == -1 && q.avail->idx == idx);
	dev_poll();
	dev_complete_nth(2);
	CHECK(virtq_get(&q, 0, 0) == &r[2]);
	CHECK(submit(&r[n], 0, 1, 512) >= 0);
	CHECK(submit(&r[n + 1], 0, 1, 512) == -1);
	return 0;
}

/* Out of order, and the 16-bit ring indices wrapping many times. */
static int out_of_order_and_wrap(void)
{
	static struct req r[4];
	CHECK(reset(8) == 0);
	memset(disk, 0, sizeof(disk));
	for (unsigned round = 0; round < 40000; round++) {
		for (int k = 0; k < 2; k++) {
			r[k].data[0] = (uint8_t)(round + k);
			CHECK(submit(&r[k], 1, (uint64_t)k, 512) >= 0);
		}
		dev_poll();
		CHECK(npending == 2);
		dev_complete_nth(1); /* the second first */
		dev_complete_nth(0);
		CHECK(virtq_get(&q, 0, 0) == &r[1]);
		CHECK(virtq_get(&q, 0, 0) == &r[0]);
		CHECK(virtq_get(&q, 0, 0) == 0);
	}
	CHECK(disk[0] == (uint8_t)39999 && disk[512] == (uint8_t)40000);
	CHECK(q.nfree == 8);
	return 0;
}

/* The device asks not to be told; a zero or missing token is refused. */
static int no_notify_and_bad_args(void)
{
	static struct req r;
	CHECK(reset(QSIZE) == 0);
	q.used->flags = 1;
	CHECK(submit(&r, 0, 0, 512) >= 0);
	CHECK(virtq_kick_needed(&q) == 0);
	struct virtq_buf b = { 0, 1 };
	CHECK(virtq_add(&q, &b, 1, 0, 0) == -1);
	CHECK(virtq_add(&q, &b, 0, 0, &r) == -1);
	return 0;
}

/* A used entry for no request in flight is skipped, counted. */
static int confused_device(void)
{
	static struct req r;
	CHECK(reset(QSIZE) == 0);
	int head = submit(&r, 0, 0, 512);
	CHECK(head >= 0);
	q.used->ring[0].id = QSIZE + 5; /* out of range */
	q.used->ring[1].id = (uint32_t)head + 1; /* not a head in flight */
	q.used->ring[2].id = (uint32_t)head;
	q.used->idx = 3;
	unsigned bad = 0;
	CHECK(virtq_get(&q, 0, &bad) == &r);
	CHECK(bad == 2);
	CHECK(q.nfree == QSIZE);
	return 0;
}

int main(void)
{
	RUN(bad_sizes);
	RUN(layout);
	RUN(write_then_read);
	RUN(full_queue);
	RUN(out_of_order_and_wrap);
	RUN(no_notify_and_bad_args);
	RUN(confused_device);
	return check_done();
}
