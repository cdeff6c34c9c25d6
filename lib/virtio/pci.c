/* The virtio 1.x modern PCI transport: see pci.h. */
#include <metta.h>
#include <metta/driver.h>
#include <metta/status.h>

#include "driver/driver.h"
#include "virtio/pci.h"

/* Vendor capability (struct virtio_pci_cap, section 4.1.4). */
#define CAP_CFG_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_NOTIFY_MUL	16 /* notify capability only */
#define CFG_COMMON	1
#define CFG_NOTIFY	2
#define CFG_ISR		3
#define CFG_DEVICE	4

/* struct virtio_pci_common_cfg (section 4.1.4.3). */
#define COMMON_DFSELECT	 0x00
#define COMMON_DF	 0x04
#define COMMON_GFSELECT	 0x08
#define COMMON_GF	 0x0c
#define COMMON_MSIX	 0x10
#define COMMON_NUMQ	 0x12
#define COMMON_STATUS	 0x14
#define COMMON_CFGGEN	 0x15
#define COMMON_Q_SELECT	 0x16
#define COMMON_Q_SIZE	 0x18
#define COMMON_Q_MSIX	 0x1a
#define COMMON_Q_ENABLE	 0x1c
#define COMMON_Q_NOFF	 0x1e
#define COMMON_Q_DESC	 0x20
#define COMMON_Q_AVAIL	 0x28
#define COMMON_Q_USED	 0x30
#define COMMON_MIN_LEN	 0x38

#define VIRTIO_VENDOR	  0x1af4
#define RESET_SPINS	  1000000

static volatile uint8_t *r8(const struct virtio_pci *d, uint32_t off)
{
	return d->common + off;
}

static volatile uint16_t *r16(const struct virtio_pci *d, uint32_t off)
{
	return (volatile uint16_t *)(d->common + off);
}

static volatile uint32_t *r32(const struct virtio_pci *d, uint32_t off)
{
	return (volatile uint32_t *)(d->common + off);
}

/* 64-bit fields as two 32-bit writes, low half first (4.1.3.1). */
static void w64(const struct virtio_pci *d, uint32_t off, uint64_t v)
{
	*r32(d, off) = (uint32_t)v;
	*r32(d, off + 4) = (uint32_t)(v >> 32);
}

/* Maps the structure a vendor capability at `cap` points at, if it is
 * one we use and not already mapped (the first of each type wins). */
static long map_structure(struct virtio_pci *d, uint32_t cap)
{
	uint32_t type, bar, off, len, mul = 0;
	long rc = driver_config_read(cap + CAP_CFG_TYPE, 1, &type);
	rc = rc ? rc : driver_config_read(cap + CAP_BAR, 1, &bar);
	rc = rc ? rc : driver_config_read(cap + CAP_OFFSET, 4, &off);
	rc = rc ? rc : driver_config_read(cap + CAP_LENGTH, 4, &len);
	if (rc == STATUS_OK && type == CFG_NOTIFY)
		rc = driver_config_read(cap + CAP_NOTIFY_MUL, 4, &mul);
	if (rc != STATUS_OK)
		return rc;
	volatile uint8_t **where = type == CFG_COMMON	? &d->common
				   : type == CFG_NOTIFY ? &d->notify
				   : type == CFG_ISR	? &d->isr
				   : type == CFG_DEVICE ? &d->device
							: 0;
	if (!where || *where || bar >= PCI_BARS || len == 0)
		return STATUS_OK;
	if (type == CFG_COMMON && len < COMMON_MIN_LEN)
		return STATUS_ERR_NOTSUP;
	volatile void *va;
	rc = driver_map_bar(bar, off, len, &va);
	if (rc == STATUS_OK) {
		*where = va;
		if (type == CFG_NOTIFY)
			d->notify_mul = mul;
	}
	return rc;
}

void virtio_pci_reset(struct virtio_pci *d)
{
	*r8(d, COMMON_STATUS) = 0;
	/* The reset is done when the status reads 0 again (4.1.4.3.2). */
	for (int i = 0; i < RESET_SPINS && *r8(d, COMMON_STATUS); i++)
		metta_yield();
}

static void add_status(struct virtio_pci *d, uint8_t bits)
{
	*r8(d, COMMON_STATUS) = (uint8_t)(*r8(d, COMMON_STATUS) | bits);
}

long virtio_pci_open(struct virtio_pci *d)
{
	uint32_t vendor;
	*d = (struct virtio_pci){ 0 };
	long rc = driver_config_read(PCI_VENDOR_ID, 2, &vendor);
	if (rc != STATUS_OK)
		return rc;
	if (vendor != VIRTIO_VENDOR)
		return STATUS_ERR_NOTSUP;
	for (uint32_t cap = driver_find_cap(PCI_CAP_VENDOR, 0); cap;
	     cap = driver_find_cap(PCI_CAP_VENDOR, cap))
		if ((rc = map_structure(d, cap)) != STATUS_OK)
			return rc;
	if (!d->common || !d->notify || !d->device)
		return STATUS_ERR_NOTSUP; /* a legacy-only device */
	virtio_pci_reset(d);
	if (*r8(d, COMMON_STATUS))
		return STATUS_ERR_TIMEOUT;
	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);
	return STATUS_OK;
}

long virtio_pci_start(struct virtio_pci *d, uint64_t wanted,
		      void (*handler)(uint64_t bits), const char **step)
{
	*step = "finding its structures";
	long rc = virtio_pci_open(d);
	if (rc == STATUS_OK) {
		*step = "features";
		rc = virtio_pci_features(d, wanted);
	}
	if (rc == STATUS_OK)
		rc = driver_msix_start(VIRTIO_PCI_VECTORS, handler, step);
	if (rc == STATUS_OK) {
		*step = "its queues";
		rc = virtio_pci_config_vector(d, VIRTIO_NO_VECTOR);
	}
	return rc;
}

int virtio_pci_give_up(struct virtio_pci *d, const char *who,
		       const char *step, long rc)
{
	metta_printf("%s: cannot start the device (%s): %s", who, step,
		     status_text((int)rc));
	if (d->common)
		virtio_pci_fail(d);
	return 1;
}

static uint64_t device_features(const struct virtio_pci *d)
{
	uint64_t f = 0;
	for (uint32_t half = 0; half < 2; half++) {
		*r32(d, COMMON_DFSELECT) = half;
		f |= (uint64_t)*r32(d, COMMON_DF) << (32 * half);
	}
	return f;
}

long virtio_pci_features(struct virtio_pci *d, uint64_t wanted)
{
	uint64_t f = device_features(d) & (wanted | VIRTIO_F_VERSION_1);
	if (!(f & VIRTIO_F_VERSION_1)) {
		virtio_pci_fail(d);
		return STATUS_ERR_NOTSUP;
	}
	for (uint32_t half = 0; half < 2; half++) {
		*r32(d, COMMON_GFSELECT) = half;
		*r32(d, COMMON_GF) = (uint32_t)(f >> (32 * half));
	}
	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(*r8(d, COMMON_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_pci_fail(d); /* it cannot work with this subset */
		return STATUS_ERR_NOTSUP;
	}
	d->features = f;
	return STATUS_OK;
}

/* The largest power of two that is at most n (n >= 1). */
static uint16_t pow2_floor(uint16_t n)
{
	uint16_t p = 1;
	while ((uint16_t)(p << 1) && (uint16_t)(p << 1) <= n)
		p = (uint16_t)(p << 1);
	return p;
}

long virtio_pci_queue(struct virtio_pci *d, uint16_t index, uint16_t max,
		      uint16_t vector, struct virtio_queue *q)
{
	if (index >= *r16(d, COMMON_NUMQ))
		return STATUS_ERR_RANGE;
	*r16(d, COMMON_Q_SELECT) = index;
	uint16_t size = *r16(d, COMMON_Q_SIZE);
	if (size == 0 || *r16(d, COMMON_Q_ENABLE))
		return STATUS_ERR_BUSY; /* unavailable, or not reset */
	size = pow2_floor(size < max ? size : max);
	if (size > VIRTQ_MAX)
		size = VIRTQ_MAX;
	void *mem;
	uint64_t phys;
	long rc = driver_dma((VIRTQ_MEM(size) + 4095) / 4096, &mem, &phys);
	if (rc != STATUS_OK)
		return rc;
	virtq_init(&q->vq, size, mem, phys);
	q->index = index;
	q->doorbell = (volatile uint16_t *)(d->notify +
					    *r16(d, COMMON_Q_NOFF) *
						(uint64_t)d->notify_mul);
	*r16(d, COMMON_Q_SIZE) = size;
	w64(d, COMMON_Q_DESC, q->vq.desc_phys);
	w64(d, COMMON_Q_AVAIL, q->vq.avail_phys);
	w64(d, COMMON_Q_USED, q->vq.used_phys);
	*r16(d, COMMON_Q_MSIX) = vector;
	if (*r16(d, COMMON_Q_MSIX) != vector)
		return STATUS_ERR_NOTSUP; /* no room for it on the device */
	*r16(d, COMMON_Q_ENABLE) = 1;
	return STATUS_OK;
}

long virtio_pci_config_vector(struct virtio_pci *d, uint16_t vector)
{
	*r16(d, COMMON_MSIX) = vector;
	return *r16(d, COMMON_MSIX) == vector ? STATUS_OK : STATUS_ERR_NOTSUP;
}

void virtio_pci_ready(struct virtio_pci *d)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_pci_fail(struct virtio_pci *d)
{
	add_status(d, VIRTIO_STATUS_FAILED);
}

uint8_t virtio_pci_status(const struct virtio_pci *d)
{
	return *r8(d, COMMON_STATUS);
}

void virtio_pci_kick(struct virtio_queue *q)
{
	if (virtq_kick_needed(&q->vq))
		*q->doorbell = q->index;
}

/* Reads a config field until the generation is the same before and
 * after (a 64-bit field is two reads that a change could split). */
uint64_t virtio_pci_config64(const struct virtio_pci *d, uint32_t offset)
{
	uint8_t gen;
	uint64_t v;
	do {
		gen = *r8(d, COMMON_CFGGEN);
		volatile uint32_t *p = (volatile uint32_t *)(d->device + offset);
		v = p[0] | (uint64_t)p[1] << 32;
	} while (gen != *r8(d, COMMON_CFGGEN));
	return v;
}

uint32_t virtio_pci_config32(const struct virtio_pci *d, uint32_t offset)
{
	return *(volatile uint32_t *)(d->device + offset);
}

uint16_t virtio_pci_config16(const struct virtio_pci *d, uint32_t offset)
{
	return *(volatile uint16_t *)(d->device + offset);
}

void virtio_pci_config_bytes(const struct virtio_pci *d, uint32_t offset,
			     uint8_t *buf, uint32_t n)
{
	uint8_t gen;
	do {
		gen = *r8(d, COMMON_CFGGEN);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = d->device[offset + i];
	} while (gen != *r8(d, COMMON_CFGGEN));
}
