/*
 * The nucleus log: every line the nucleus prints (its own, and what
 * domains send with the log call) goes to the serial port and, once a log
 * server has registered a ring (a memory object) and an event, into that
 * ring too, with the event signalled at each line's end. The nucleus never
 * waits for the reader: a slow one loses the oldest bytes, and knows how
 * many from `head`.
 */
#include <arch/paging.h>
#include <domain.h>
#include <event.h>
#include <log.h>
#include <memobj.h>
#include <sched.h>

#include <metta/abi.h>
#include <metta/status.h>
#include <nucleus/syscall_table.h>

static struct {
	struct domain *owner; /* the registered log server */
	struct memobj *mem;
	struct event *event;
	uint64_t bits;
	uint64_t size; /* data bytes */
} ring;

static uint8_t *ring_byte(uint64_t offset)
{
	/* The header sits in the first page; data follows it. */
	uint64_t at = sizeof(struct metta_log_ring) + offset;
	return (uint8_t *)phys_to_virt(memobj_page(ring.mem, at / PAGE_SIZE)) +
	       at % PAGE_SIZE;
}

/* Until a log server registers, the newest lines wait here for it. */
#define EARLY_SIZE 16384
static char early[EARLY_SIZE];
static uint64_t early_written;

static void keep_early(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		early[(early_written + i) % EARLY_SIZE] = s[i];
	early_written += n;
}

void log_ring_write(const char *s, size_t n)
{
	if (!ring.mem) {
		keep_early(s, n);
		return;
	}
	struct metta_log_ring *hdr = phys_to_virt(memobj_page(ring.mem, 0));
	int line_end = 0;
	for (size_t i = 0; i < n; i++) {
		*ring_byte(hdr->head % ring.size) = (uint8_t)s[i];
		hdr->head++;
		line_end |= s[i] == '\n';
	}
	if (line_end && ring.event)
		event_raise(ring.event, ring.bits);
}

static void unregister(void)
{
	if (ring.mem) {
		ring.mem->pinned = 0;
		kobj_put(&ring.mem->obj);
	}
	if (ring.event)
		kobj_put(&ring.event->obj);
	ring.mem = NULL;
	ring.event = NULL;
	ring.owner = NULL;
}

void log_domain_gone(struct domain *d)
{
	if (ring.owner == d)
		unregister(); /* back to the serial port alone */
}

/* A server (or driver) becomes the log: mem 0xffffffff unregisters. */
long sys_log_register(uint32_t mem, uint32_t event, uint64_t bits)
{
	struct domain *d = current_domain();
	if (d->class > CLASS_SERVER)
		return STATUS_ERR_DENIED;
	if (mem == 0xffffffffu) {
		unregister();
		return STATUS_OK;
	}
	struct cap *mc, *ec;
	int rc = cap_lookup(&d->caps, mem, OBJ_MEMORY, RIGHT_WRITE, &mc);
	if (rc ||
	    (rc = cap_lookup(&d->caps, event, OBJ_EVENT, RIGHT_WRITE, &ec)))
		return rc;
	struct memobj *m = container_of(mc->obj, struct memobj, obj);
	if (m->device || m->fixed ||
	    m->npages * PAGE_SIZE <= sizeof(struct metta_log_ring))
		return STATUS_ERR_INVAL;
	/* The ring is written from anywhere in the nucleus, a fault there
	 * is no option: every page now, paid by its owner. */
	if ((rc = memobj_populate(m, 0, m->npages)))
		return rc;
	unregister();
	m->pinned = 1; /* never discarded while the nucleus writes it */
	kobj_get(mc->obj);
	kobj_get(ec->obj);
	ring.owner = d;
	ring.mem = m;
	ring.event = container_of(ec->obj, struct event, obj);
	ring.bits = bits;
	ring.size = m->npages * PAGE_SIZE - sizeof(struct metta_log_ring);
	struct metta_log_ring *hdr = phys_to_virt(memobj_page(m, 0));
	hdr->head = 0;
	hdr->size = ring.size;
	/* What was said before anyone listened (the boot banner...). */
	uint64_t from = early_written > EARLY_SIZE ? early_written - EARLY_SIZE : 0;
	for (uint64_t i = from; i < early_written; i++)
		log_ring_write(&early[i % EARLY_SIZE], 1);
	return STATUS_OK;
}

void log_holds(struct kobj **mem, struct kobj **event)
{
	*mem = ring.mem ? &ring.mem->obj : NULL;
	*event = ring.event ? &ring.event->obj : NULL;
}
