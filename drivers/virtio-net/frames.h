/*
 * The receive queues of virtio-net's `data` file (docs/servers.md,
 * "ether"): every fid open for reading sees every frame that arrives
 * after its open, in order, with up to FRAMES_MAX of them waiting; past
 * that its oldest is dropped (and counted). Pure (host-tested).
 *
 * The frames are kept once, in a ring of FRAMES_MAX, whatever the number
 * of readers: a reader is a sequence number (the next frame it reads),
 * and since none may lag more than FRAMES_MAX behind the newest, the
 * frames any reader still wants are always in the ring.
 */
#ifndef DRIVERS_VIRTIO_NET_FRAMES_H
#define DRIVERS_VIRTIO_NET_FRAMES_H

#include <stdint.h>

#define FRAME_MIN      14   /* an Ethernet header: dst, src, type */
#define FRAME_MAX      1514 /* and a payload of the MTU, 1500 */
#define FRAMES_MAX     256  /* queued per reader (a power of two) */
#define FRAMES_READERS 32   /* fids open for reading at once */

struct frames_reader {
	uint8_t inuse;
	uint32_t fid;
	uint64_t conn; /* the fid's (lib/9p's op_conn, op_fid) */
	uint64_t next; /* sequence number of the next frame it reads */
};

struct frames {
	uint64_t head; /* sequence number of the next frame to arrive */
	uint16_t len[FRAMES_MAX];
	uint8_t data[FRAMES_MAX][FRAME_MAX];
	struct frames_reader readers[FRAMES_READERS];
};

void frames_init(struct frames *q);

/* A new reader for fid of connection conn, seeing frames from now on:
 * its index, or -1 when FRAMES_READERS are open. */
int frames_open(struct frames *q, uint64_t conn, uint32_t fid);
/* The reader of that fid, or -1. */
int frames_find(const struct frames *q, uint64_t conn, uint32_t fid);
/* Reader i is gone (an index not open is ignored). */
void frames_close(struct frames *q, int i);

/*
 * A frame arrived: len bytes (at most FRAME_MAX; longer ones are cut)
 * queued for every reader. Returns how many readers lost their oldest
 * frame to make room.
 */
unsigned frames_put(struct frames *q, const void *data, uint32_t len);

/* Frames waiting for reader i (0 for an index not open). */
unsigned frames_pending(const struct frames *q, int i);
/* Reader i's oldest frame and its length, or 0 when it has none. */
const uint8_t *frames_peek(const struct frames *q, int i, uint32_t *len);
/* Reader i is done with its oldest frame. */
void frames_pop(struct frames *q, int i);

#endif
