/*
 * The device driver skeleton: what every PCI driver started by the pci
 * server (servers/pci) needs around its device, so that a driver is its
 * device's logic and a table of files. It gives:
 *
 * - the device's PCI config space through pci's config portal
 *   (DRIVER_SLOT_CONFIG, metta/driver.h) and the walk of its capability
 *   list;
 * - its BARs mapped (the PHYSMEM capabilities in DRIVER_SLOT_BAR + i) and
 *   DMA memory (dma_alloc: physically contiguous, pages that never move);
 * - MSI-X: single MSI lines minted from DRIVER_SLOT_IRQS, bound to the
 *   interrupt event, their messages (irq_msi) written into the device's
 *   MSI-X table, MSI-X enabled;
 * - an interrupt thread: it waits on the interrupt event and calls the
 *   driver's completion handler under the 9P lock, so the handler may
 *   answer held requests (p9srv_respond_*);
 * - a FIFO of held 9P requests waiting for room in the device;
 * - the 9P receive loop (lib/9p's server over the portal in
 *   DRIVER_SLOT_PORTAL).
 *
 * A driver's 9P operations run under the same lock and never block:
 * a read or write that needs the device holds its request (p9srv_hold),
 * starts the device and returns P9SRV_HELD; the handler answers it when
 * the device has finished.
 */
#ifndef LIB_DRIVER_H
#define LIB_DRIVER_H

#include <stdint.h>

#include "9p/srv.h"

/* The device's config space: 0 or a STATUS_ERR_* (pci's refusal). */
long driver_config_read(uint32_t offset, uint32_t width, uint32_t *value);
long driver_config_write(uint32_t offset, uint32_t width, uint32_t value);

/*
 * The config-space offset of the device's next capability with this id
 * after offset `after` (0: from the start of the list), or 0 when there
 * is none. A looping or broken list ends the walk.
 */
uint32_t driver_find_cap(uint8_t id, uint32_t after);

/*
 * Maps bytes [offset, offset + len) of memory BAR `bar` (its physical
 * address read from config space) uncached into our address space:
 * 0 and the address of byte `offset` in *out, or a STATUS_ERR_*.
 */
long driver_map_bar(unsigned bar, uint64_t offset, uint64_t len,
		    volatile void **out);

/*
 * `pages` of physically contiguous, zeroed memory that never moves,
 * mapped: 0 with its address in *va and the device's (physical) address
 * in *phys, or a STATUS_ERR_* (nothing left behind).
 */
long driver_dma(uint64_t pages, void **va, uint64_t *phys);

/*
 * The device's MSI-X vectors: finds its MSI-X capability and maps its
 * table. 0, STATUS_ERR_NOTSUP (no MSI-X), or a STATUS_ERR_*.
 */
long driver_msix_init(void);
/* Vectors in the device's table (after driver_msix_init). */
unsigned driver_msix_vectors(void);
/*
 * Vector `vector` raises `bits` on `event`: MSI line `vector` of ours
 * minted, bound to event, its message written to the table entry, the
 * entry unmasked. 0 or a STATUS_ERR_*.
 */
long driver_msix_route(unsigned vector, uint32_t event, uint64_t bits);
/* MSI-X on (INTx off) in the capability's message control. */
long driver_msix_enable(void);

/*
 * Starts the interrupt thread: it waits for any bit of `mask` on
 * `event` and calls handler(bits) with the bits that came, under the
 * 9P lock (p9_portal_lock). 0 or a STATUS_ERR_*.
 */
long driver_interrupts(uint32_t event, uint64_t mask,
		       void (*handler)(uint64_t bits));

/* The event a driver's interrupts raise: a slot above what pci hands
 * over (metta/driver.h), bit i for MSI-X vector i. */
#define DRIVER_IRQ_EVENT 40

/*
 * MSI-X on with `vectors` vectors, vector i raising bit i of
 * DRIVER_IRQ_EVENT, handled by handler (driver_interrupts). 0, or a
 * STATUS_ERR_* with *step naming what failed.
 */
long driver_msix_start(unsigned vectors, void (*handler)(uint64_t bits),
		       const char **step);

/*
 * Whether the ctl command data[count] is word (a trailing newline, as
 * echo writes it, is allowed). Pure.
 */
int driver_is_command(const void *data, uint32_t count, const char *word);

/* ctl's `crash`: logs it, then faults (a NULL write) for the fault
 * tests; pci restarts the driver. */
void driver_crash(const char *who) __attribute__((noreturn));

/* Held requests waiting for the device, first come first served (their
 * `next` field links them). */
struct driver_queue {
	struct p9srv_req *head, *tail;
	unsigned n;
};
void driver_queue_put(struct driver_queue *q, struct p9srv_req *r);
struct p9srv_req *driver_queue_take(struct driver_queue *q);
/* Takes r out wherever it is: 1 when it was there. */
int driver_queue_remove(struct driver_queue *q, struct p9srv_req *r);

/*
 * Pages of DMA memory lent to requests as bounce buffers, each request a
 * run of contiguous pages (physically contiguous too: one dma_alloc), so
 * a 4 KiB request takes one page and a 64 KiB one sixteen.
 */
#define DRIVER_POOL_MAX 1024
struct driver_pool {
	unsigned pages, free;
	uint8_t used[DRIVER_POOL_MAX];
};
void driver_pool_init(struct driver_pool *p, unsigned pages);
/* The first page of a free run of n pages, taken; -1 when there is none
 * (nothing changed). */
int driver_pool_alloc(struct driver_pool *p, unsigned n);
/* Gives back the run of n pages at first (pages not taken are ignored). */
void driver_pool_free(struct driver_pool *p, int first, unsigned n);

/*
 * Serves s on the driver's portal (DRIVER_SLOT_PORTAL) for ever; `forget`
 * is told of held requests that end unanswered (flushed, hung up).
 */
void driver_serve(struct p9srv *s, void (*forget)(struct p9srv_req *r))
    __attribute__((noreturn));

/* The address-space region the skeleton maps BARs and DMA memory in. */
#define DRIVER_MAP_VA 0x600000000000ull

#endif
