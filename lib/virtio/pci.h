/*
 * The virtio 1.x PCI transport, modern only (virtio 1.x, section 4.1):
 * the device's structures found through its vendor capabilities (common,
 * notify, ISR, device-specific), the BARs holding them mapped, the
 * start-up sequence (reset, ACKNOWLEDGE, DRIVER, features with
 * VIRTIO_F_VERSION_1 required, FEATURES_OK, queues, DRIVER_OK), split
 * virtqueues in DMA memory with their MSI-X vectors, and the doorbells.
 * Built on the driver skeleton (lib/driver).
 */
#ifndef LIB_VIRTIO_PCI_H
#define LIB_VIRTIO_PCI_H

#include <stdint.h>

#include "virtio/virtq.h"

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER	  2
#define VIRTIO_STATUS_DRIVER_OK	  4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED	  128

/* Transport features (section 6). */
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTIO_NO_VECTOR 0xffff

struct virtio_pci {
	volatile uint8_t *common; /* struct virtio_pci_common_cfg */
	volatile uint8_t *notify; /* the doorbells' base */
	volatile uint8_t *isr;
	volatile uint8_t *device; /* the device-specific configuration */
	uint32_t notify_mul;	  /* bytes between queue_notify_off steps */
	uint64_t features;	  /* negotiated */
};

struct virtio_queue {
	struct virtq vq;
	uint16_t index;
	volatile uint16_t *doorbell;
};

/*
 * Finds and maps the device's structures, then resets it (whatever it
 * was doing: a driver restarted after a crash finds requests half done)
 * and acknowledges it. 0, or STATUS_ERR_NOTSUP (not a modern virtio
 * device), or a STATUS_ERR_*.
 */
long virtio_pci_open(struct virtio_pci *d);

/*
 * The start-up every virtio driver of ours begins with: the device
 * opened (virtio_pci_open), the `wanted` features negotiated
 * (virtio_pci_features), MSI-X with VIRTIO_PCI_VECTORS vectors handled
 * by handler (driver_msix_start), no configuration-change interrupts.
 * The driver then makes its queues (virtio_pci_queue on vector
 * VIRTIO_PCI_VECTOR) and calls virtio_pci_ready. 0, or a STATUS_ERR_*
 * with *step naming what failed.
 */
#define VIRTIO_PCI_VECTORS 1
#define VIRTIO_PCI_VECTOR  0 /* every queue's: the handler sees them all */
long virtio_pci_start(struct virtio_pci *d, uint64_t wanted,
		      void (*handler)(uint64_t bits), const char **step);

/* A start-up that failed at step with status rc: logged as who's, the
 * device marked FAILED if we reached it. Returns the driver's exit
 * status (1). */
int virtio_pci_give_up(struct virtio_pci *d, const char *who,
		       const char *step, long rc);

/*
 * Feature negotiation: we accept `wanted` & what the device offers, and
 * VIRTIO_F_VERSION_1 must be among them (else STATUS_ERR_NOTSUP and the
 * device is marked FAILED). The device must then keep FEATURES_OK.
 * 0 with d->features set, or a STATUS_ERR_*.
 */
long virtio_pci_features(struct virtio_pci *d, uint64_t wanted);

/*
 * Queue `index` with at most `max` entries (the device's size if
 * smaller), its rings in new DMA memory, interrupts on MSI-X vector
 * `vector` (or VIRTIO_NO_VECTOR), enabled. 0 or a STATUS_ERR_*
 * (STATUS_ERR_NOTSUP: the device refused the vector).
 */
long virtio_pci_queue(struct virtio_pci *d, uint16_t index, uint16_t max,
		      uint16_t vector, struct virtio_queue *q);

/* Configuration changes on MSI-X vector `vector` (or VIRTIO_NO_VECTOR). */
long virtio_pci_config_vector(struct virtio_pci *d, uint16_t vector);

/* DRIVER_OK: the device may now use its queues. */
void virtio_pci_ready(struct virtio_pci *d);

/* Marks the device FAILED (we give up on it) / resets it. */
void virtio_pci_fail(struct virtio_pci *d);
void virtio_pci_reset(struct virtio_pci *d);

/* The device status register (NEEDS_RESET and the like). */
uint8_t virtio_pci_status(const struct virtio_pci *d);

/* Rings q's doorbell if the device wants to hear of new requests. */
void virtio_pci_kick(struct virtio_queue *q);

/* Device-specific configuration fields (section 4.1.4.6: read them
 * under a stable config_generation). */
uint64_t virtio_pci_config64(const struct virtio_pci *d, uint32_t offset);
uint32_t virtio_pci_config32(const struct virtio_pci *d, uint32_t offset);
uint16_t virtio_pci_config16(const struct virtio_pci *d, uint32_t offset);
/* n bytes from offset, one access each, under a stable generation (a MAC
 * address). */
void virtio_pci_config_bytes(const struct virtio_pci *d, uint32_t offset,
			     uint8_t *buf, uint32_t n);

#endif
