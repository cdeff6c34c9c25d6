/*
 * Split virtqueues (virtio 1.x, section 2.7): the ring logic alone, over
 * memory the caller gives (DMA memory on Metta, plain memory in the host
 * tests, where a fake device plays the other side). No system calls here:
 * the transport (virtio/pci.h) tells the device where the rings are and
 * rings its doorbell.
 *
 * Layout in one block of VIRTQ_MEM(size) bytes at physical address phys:
 * the descriptor table, the driver ("available") ring after it, the
 * device ("used") ring at the next 4-byte boundary. A request is a chain
 * of descriptors (buffers the device reads, then buffers it writes); the
 * caller's token comes back with it when the device has used it.
 *
 * Not thread-safe: the driver calls it under its one lock.
 */
#ifndef LIB_VIRTIO_VIRTQ_H
#define LIB_VIRTIO_VIRTQ_H

#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX 256 /* the largest queue we drive (power of two) */

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT  1 /* the chain goes on in .next */
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer */

struct virtq_desc {
	uint64_t addr; /* physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id; /* head of the chain */
	uint32_t len; /* bytes the device wrote */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* Where each part lies, as offsets from the block's start. */
#define VIRTQ_AVAIL_OFF(size) ((size_t)(size) * 16)
#define VIRTQ_USED_OFF(size) \
	((VIRTQ_AVAIL_OFF(size) + 6 + 2 * (size_t)(size) + 3) & ~(size_t)3)
#define VIRTQ_MEM(size) (VIRTQ_USED_OFF(size) + 6 + 8 * (size_t)(size))

/* One buffer of a request. */
struct virtq_buf {
	uint64_t phys;
	uint32_t len;
};

struct virtq {
	uint16_t size;
	uint16_t nfree;	    /* descriptors free */
	uint16_t free_head; /* free descriptors are chained by .next */
	uint16_t last_used; /* used entries taken so far (mod 2^16) */
	uint16_t avail_idx; /* our copy of avail->idx */
	uint16_t added;	    /* chains made available since the last kick */
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	uint64_t desc_phys, avail_phys, used_phys;
	void *token[VIRTQ_MAX]; /* by head descriptor; 0: free */
};

/*
 * A queue of size entries (a power of two, 1..VIRTQ_MAX; else -1) in
 * the zeroed block mem of VIRTQ_MEM(size) bytes, whose device-visible
 * address is phys. 0 on success.
 */
int virtq_init(struct virtq *q, uint16_t size, void *mem, uint64_t phys);

/*
 * Makes a request available: nout buffers the device reads, then nin it
 * writes (nout + nin >= 1), with token (not 0) to know it by. Returns
 * the chain's head, or -1 when there are not enough free descriptors
 * (nothing changed). The device learns of it at the next kick.
 */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
	      unsigned nin, void *token);

/*
 * Whether the device must be told (its doorbell rung) for the requests
 * added since the last call: 1 when some were added and the device did
 * not ask us to hold back (VIRTQ_USED_F_NO_NOTIFY).
 */
int virtq_kick_needed(struct virtq *q);

/*
 * The next request the device has used: its token (and the bytes it
 * wrote in *len), its descriptors freed; 0 when there is none. A used
 * entry naming no request in flight (a confused device) is skipped and
 * counted in *bad when bad is not 0.
 */
void *virtq_get(struct virtq *q, uint32_t *len, unsigned *bad);

/* Requests in flight (made available, not yet taken back). */
unsigned virtq_inflight(const struct virtq *q);

#endif
