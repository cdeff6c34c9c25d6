/*
 * Host tests of virtio-net's receive queues per reader
 * (drivers/virtio-net/frames.c): a reader sees the frames that come
 * after its open, in order, whole; every reader sees every frame; a
 * reader that does not read keeps its newest FRAMES_MAX (its oldest are
 * dropped and counted) while others are untouched; readers are found by
 * their fid and connection, and closing one frees its place; bad
 * indexes and over-long frames do no harm.
 */
#include <stdlib.h>

#include "check.h"
#include "virtio-net/frames.h"

static struct frames *q;

/* A frame of len bytes whose bytes all say n. */
static uint32_t put(uint8_t n, uint32_t len)
{
	uint8_t f[FRAME_MAX + 8];
	memset(f, n, sizeof(f));
	return frames_put(q, f, len);
}

/* Reader i's next frame says n and is len long; then it is taken. */
static int next_is(int i, uint8_t n, uint32_t len)
{
	uint32_t got = 0;
	const uint8_t *f = frames_peek(q, i, &got);
	if (!f || got != len)
		return 0;
	for (uint32_t k = 0; k < len; k++)
		if (f[k] != n)
			return 0;
	frames_pop(q, i);
	return 1;
}

static int in_order_after_open(void)
{
	frames_init(q);
	put(1, 60); /* before anyone reads: nobody sees it */
	int a = frames_open(q, 7, 2);
	CHECK(a >= 0 && frames_pending(q, a) == 0);
	uint32_t len;
	CHECK(frames_peek(q, a, &len) == 0);
	put(2, 60);
	put(3, FRAME_MIN);
	put(4, FRAME_MAX);
	CHECK(frames_pending(q, a) == 3);
	CHECK(next_is(a, 2, 60) && next_is(a, 3, FRAME_MIN));
	CHECK(next_is(a, 4, FRAME_MAX) && frames_pending(q, a) == 0);
	frames_pop(q, a); /* nothing to take: no change */
	CHECK(frames_pending(q, a) == 0);
	return 0;
}

static int every_reader_sees_every_frame(void)
{
	frames_init(q);
	int a = frames_open(q, 1, 5), b = frames_open(q, 2, 5);
	CHECK(a >= 0 && b >= 0 && a != b);
	CHECK(frames_find(q, 1, 5) == a && frames_find(q, 2, 5) == b);
	CHECK(frames_find(q, 1, 6) == -1);
	put(9, 100);
	put(10, 101);
	CHECK(next_is(a, 9, 100) && next_is(a, 10, 101));
	CHECK(next_is(b, 9, 100)); /* b reads at its own pace */
	int late = frames_open(q, 3, 1);
	put(11, 102);
	CHECK(frames_pending(q, late) == 1 && next_is(late, 11, 102));
	CHECK(next_is(b, 10, 101) && next_is(b, 11, 102));
	return 0;
}

static int idle_reader_keeps_newest(void)
{
	frames_init(q);
	int idle = frames_open(q, 1, 1), busy = frames_open(q, 1, 2);
	unsigned dropped = 0;
	for (int n = 0; n < FRAMES_MAX + 10; n++) {
		dropped += put((uint8_t)n, 64);
		CHECK(next_is(busy, (uint8_t)n, 64));
	}
	CHECK(dropped == 10); /* the idle reader's oldest ten */
	CHECK(frames_pending(q, idle) == FRAMES_MAX);
	for (int n = 10; n < FRAMES_MAX + 10; n++)
		CHECK(next_is(idle, (uint8_t)n, 64));
	CHECK(frames_pending(q, idle) == 0 && frames_pending(q, busy) == 0);
	return 0;
}

static int readers_come_and_go(void)
{
	frames_init(q);
	for (int i = 0; i < FRAMES_READERS; i++)
		CHECK(frames_open(q, 1, (uint32_t)i) == i);
	CHECK(frames_open(q, 1, 99) == -1); /* full */
	frames_close(q, 4);
	CHECK(frames_find(q, 1, 4) == -1);
	CHECK(frames_open(q, 2, 4) == 4 && frames_find(q, 2, 4) == 4);
	frames_close(q, -1); /* bad indexes: ignored */
	frames_close(q, FRAMES_READERS);
	CHECK(frames_pending(q, -1) == 0 && frames_pending(q, 99) == 0);
	uint32_t len;
	CHECK(frames_peek(q, -1, &len) == 0);
	frames_pop(q, -1);
	/* A closed reader drops nothing and is not counted. */
	frames_init(q);
	int a = frames_open(q, 1, 1);
	frames_close(q, a);
	unsigned dropped = 0;
	for (int n = 0; n < FRAMES_MAX * 2; n++)
		dropped += put(1, 60);
	CHECK(dropped == 0 && frames_pending(q, a) == 0);
	return 0;
}

static int long_frames_cut(void)
{
	frames_init(q);
	int a = frames_open(q, 1, 1);
	put(5, FRAME_MAX + 8);
	CHECK(next_is(a, 5, FRAME_MAX));
	return 0;
}

int main(void)
{
	q = malloc(sizeof(*q));
	RUN(in_order_after_open);
	RUN(every_reader_sees_every_frame);
	RUN(idle_reader_keeps_newest);
	RUN(readers_come_and_go);
	RUN(long_frames_cut);
	free(q);
	return check_done();
}
