/*
 * virtio-net's transmit side (docs/servers.md, "virtio-net"): slots of
 * DMA memory, one frame each behind a zeroed virtio_net_hdr, put in the
 * transmit virtqueue (one descriptor a frame); when the ring is full a
 * frame waits in its slot, with the request that wrote it, until a
 * completion makes room, first come first served. Pure (the virtqueue's
 * ring logic, no system calls; host-tested against a fake device): the
 * driver rings the doorbell and answers the requests.
 */
#ifndef DRIVERS_VIRTIO_NET_TX_H
#define DRIVERS_VIRTIO_NET_TX_H

#include <stdint.h>

#include "driver/driver.h"
#include "virtio/virtq.h"

#define TX_HDR	     12	  /* struct virtio_net_hdr with num_buffers (1.x) */
#define TX_BUF	     2048 /* a slot: the header and a whole frame */
#define TX_SLOTS_MAX (VIRTQ_MAX + P9SRV_MAXHELD)

struct tx_slot {
	uint8_t *va;
	uint64_t phys;
	uint32_t len; /* the frame's, without the header */
	uint8_t busy; /* in the ring, or waiting for room in it */
};

struct tx {
	struct virtq *vq;
	struct tx_slot slot[TX_SLOTS_MAX];
	unsigned nslots;
	struct driver_queue waiting; /* held writes, aux: their slot */
	uint64_t out;		     /* frames put in the ring */
	unsigned bad_used;	     /* used entries naming nothing */
};

/*
 * Transmit side over vq, its slots in nslots * TX_BUF bytes of DMA
 * memory at va (device address phys): at most TX_SLOTS_MAX (more are
 * ignored).
 */
void tx_init(struct tx *t, struct virtq *vq, uint8_t *va, uint64_t phys,
	     unsigned nslots);

/* Whether a frame written now goes into the ring at once (room, and
 * nobody waiting before it). */
int tx_room(const struct tx *t);

/*
 * A free slot holding the frame data[len] (len at most TX_BUF - TX_HDR,
 * checked by the caller) behind a zeroed header, busy; 0 when every
 * slot is busy (nothing taken).
 */
struct tx_slot *tx_fill(struct tx *t, const void *data, uint32_t len);

/* Slot s (filled, not sent) is free again. */
void tx_release(struct tx_slot *s);

/* Slot s into the ring (tx_room said there is room). */
void tx_send(struct tx *t, struct tx_slot *s);

/* Slot s waits for room with held request r, behind the others. */
void tx_wait(struct tx *t, struct p9srv_req *r, struct tx_slot *s);

/*
 * The slots the device has sent are free; then the first waiting
 * request whose frame now went into the ring, or 0 when none could go
 * (call again until 0; answer each).
 */
struct p9srv_req *tx_complete(struct tx *t);

/* Held request r ended unanswered: 1 if it was waiting (its slot is
 * free again, its frame never sent), else 0. */
int tx_forget(struct tx *t, struct p9srv_req *r);

#endif
