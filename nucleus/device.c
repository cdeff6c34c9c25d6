/* Device capabilities: see device.h. */
#include <arch/apic.h>
#include <arch/irq.h>
#include <arch/trap.h>
#include <arch/paging.h>
#include <boot.h>
#include <domain.h>
#include <device.h>
#include <event.h>
#include <kmem.h>
#include <memobj.h>
#include <percpu.h>
#include <pmm.h>
#include <sched.h>
#include <uaccess.h>

#include <metta/status.h>
#include <nucleus/syscall_table.h>

static struct kmem_cache device_cache;
static struct device originals[3];
/* Every interrupt line: the ISA lines, then the MSI lines. */
#define ALL_LINES (IRQ_LINES + METTA_MSI_LINES)
static struct device *bound[ALL_LINES]; /* line -> its capability */

static int is_msi(uint64_t line)
{
	return line >= METTA_MSI_LINE0;
}

static void device_release(struct kobj *o);

static int is_device(uint16_t type)
{
	return type == OBJ_IRQ || type == OBJ_IOPORT || type == OBJ_PHYSMEM;
}

int device_cap_allowed(uint16_t type, const struct domain *d)
{
	return !is_device(type) || d->class == CLASS_DRIVER;
}

static void irq_interrupt(struct trap_frame *f);
static void msi_interrupt(struct trap_frame *f);

/* phys_end: where the physical address space ends (device memory may be
 * anywhere below it that is not RAM). */
void devices_give_root(struct domain *root, uint64_t phys_end)
{
	const struct {
		uint16_t type;
		uint32_t slot;
		uint64_t base, count;
	} all[3] = {
		{ OBJ_IRQ, CAP_IRQS, 0, ALL_LINES },
		{ OBJ_IOPORT, CAP_IOPORTS, 0, 0x10000 },
		{ OBJ_PHYSMEM, CAP_PHYSMEM, 0, phys_end },
	};
	kmem_cache_init(&device_cache, "device", sizeof(struct device));
	for (int i = 0; i < 3; i++) {
		kobj_set_release(all[i].type, device_release);
		kobj_init(&originals[i].obj,
			  all[i].type); /* the nucleus keeps one */
		originals[i].base = all[i].base;
		originals[i].count = all[i].count;
		cap_insert(&root->caps, all[i].slot, &originals[i].obj,
			   RIGHT_ALL, 0, NULL);
	}
	for (unsigned v = 0; v < IRQ_LINES; v++)
		trap_set_handler((uint8_t)(VEC_IRQ_BASE + v), irq_interrupt);
	for (unsigned i = 0; i < METTA_MSI_LINES; i++)
		trap_set_handler((uint8_t)(VEC_MSI_BASE + i), msi_interrupt);
}

/* Device capabilities work only in driver-class domains. */
static int lookup(uint32_t slot, uint16_t type, struct device **out)
{
	struct domain *d = current_domain();
	if (d->class != CLASS_DRIVER)
		return STATUS_ERR_DENIED;
	struct cap *c;
	int rc = cap_lookup(&d->caps, slot, type, 0, &c);
	if (rc == STATUS_OK)
		*out = container_of(c->obj, struct device, obj);
	return rc;
}

long sys_dev_mint(uint32_t src, uint32_t dst, uint64_t base, uint64_t count)
{
	struct domain *d = current_domain();
	struct cap *c;
	if (d->class != CLASS_DRIVER)
		return STATUS_ERR_DENIED;
	int rc = cap_lookup(&d->caps, src, OBJ_NONE, RIGHT_GRANT, &c);
	if (rc)
		return rc;
	if (!is_device(c->obj->type))
		return STATUS_ERR_TYPE;
	struct device *parent = container_of(c->obj, struct device, obj);
	if (count == 0 || base < parent->base || count > parent->count ||
	    base - parent->base > parent->count - count)
		return STATUS_ERR_RANGE;
	int slot_rc = cap_slot_free(&d->caps, dst);
	if (slot_rc)
		return slot_rc;
	void *mem;
	if ((rc = kmem_alloc(&device_cache, &d->quota, &mem)))
		return rc;
	struct device *dev = mem;
	kobj_init(&dev->obj, c->obj->type);
	dev->payer = d;
	dev->base = base;
	dev->count = count;
	kobj_get(&d->obj);
	/* Derived from the wider capability: revoking that revokes this. */
	cap_insert(&d->caps, dst, &dev->obj, c->rights, 0, c);
	kobj_put(&dev->obj);
	return STATUS_OK;
}

static void unbind(struct device *irq)
{
	if (!irq->event)
		return;
	if (!is_msi(irq->base))
		irq_mask((unsigned)irq->base);
	bound[irq->base] = NULL;
	kobj_put(irq->event);
	irq->event = NULL;
}

static void device_release(struct kobj *o)
{
	struct device *dev = container_of(o, struct device, obj);
	if (o->type == OBJ_IRQ)
		unbind(dev);
	if (!dev->payer)
		return; /* an original: never freed */
	struct domain *payer = dev->payer;
	kmem_free(&device_cache, &payer->quota, dev);
	kobj_put(&payer->obj);
}

/* The port range in slot `ports` allows an access of `width` at `port`. */
static int check_port(uint32_t ports, uint64_t port, uint64_t width)
{
	struct device *p;
	int rc = lookup(ports, OBJ_IOPORT, &p);
	if (rc)
		return rc;
	if ((width != 1 && width != 2 && width != 4) || port < p->base ||
	    port + width > p->base + p->count)
		return STATUS_ERR_RANGE;
	return STATUS_OK;
}

long sys_ioport_in(uint32_t ports, uint64_t port, uint64_t width)
{
	int rc = check_port(ports, port, width);
	return rc ? rc : (long)port_in((uint16_t)port, (unsigned)width);
}

long sys_ioport_out(uint32_t ports, uint64_t port, uint64_t width,
		    uint64_t value)
{
	int rc = check_port(ports, port, width);
	if (rc == STATUS_OK)
		port_out((uint16_t)port, (unsigned)width, (uint32_t)value);
	return rc;
}

/* Raises the event bound to `line`, if any. */
static void line_raise(unsigned line)
{
	struct device *dev = bound[line];
	if (dev && dev->event)
		event_raise(container_of(dev->event, struct event, obj),
			    dev->bits);
}

/* A device interrupted: the line stays masked until its driver acks. */
static void irq_interrupt(struct trap_frame *f)
{
	unsigned irq = (unsigned)(f->vector - VEC_IRQ_BASE);
	irq_mask(irq);
	lapic_eoi();
	line_raise(irq);
}

/* A device's message arrived: an edge, nothing to mask (a device raises
 * it again only for a new reason). */
static void msi_interrupt(struct trap_frame *f)
{
	lapic_eoi();
	line_raise((unsigned)(METTA_MSI_LINE0 + f->vector - VEC_MSI_BASE));
}

/* The capability of ONE interrupt line in slot irq. */
static int one_line(uint32_t irq, struct device **out)
{
	int rc = lookup(irq, OBJ_IRQ, out);
	if (rc == STATUS_OK && (*out)->count != 1)
		return STATUS_ERR_RANGE; /* mint a single line first */
	return rc;
}

/* Routes an interrupt line (a capability of one line) to an event. */
long sys_irq_bind(uint32_t irq, uint32_t event, uint64_t bits)
{
	struct device *dev;
	int rc = one_line(irq, &dev);
	if (rc)
		return rc;
	if (event == 0xffffffffu) {
		unbind(dev);
		return STATUS_OK;
	}
	struct cap *e;
	if ((rc = cap_lookup(&current_domain()->caps, event, OBJ_EVENT,
			     RIGHT_WRITE, &e)))
		return rc;
	if (bound[dev->base] && bound[dev->base] != dev)
		return STATUS_ERR_BUSY; /* another driver has the line */
	/* Delivered to this CPU: an ISA line's I/O APIC entry says so now,
	 * an MSI line's message (irq_msi) from now on. */
	uint32_t cpu = this_cpu()->apic_id;
	if (!is_msi(dev->base) && irq_route((unsigned)dev->base, cpu))
		return STATUS_ERR_NOTSUP;
	unbind(dev);
	kobj_get(e->obj);
	dev->event = e->obj;
	dev->bits = bits;
	dev->apic_id = cpu;
	bound[dev->base] = dev;
	if (!is_msi(dev->base))
		irq_unmask((unsigned)dev->base);
	return STATUS_OK;
}

long sys_irq_ack(uint32_t irq)
{
	struct device *dev;
	int rc = lookup(irq, OBJ_IRQ, &dev);
	if (rc)
		return rc;
	if (!dev->event || dev->count != 1)
		return STATUS_ERR_INVAL;
	if (!is_msi(dev->base)) /* an MSI line is never masked */
		irq_unmask((unsigned)dev->base);
	return STATUS_OK;
}

/* The message a device must send to raise a bound MSI line (the address
 * names the CPU that bound it, the data its vector). */
long sys_irq_msi(uint32_t irq, uint64_t msg_out)
{
	struct device *dev;
	int rc = one_line(irq, &dev);
	if (rc)
		return rc;
	if (!is_msi(dev->base) || !dev->event)
		return STATUS_ERR_INVAL;
	uint64_t msg[2];
	msi_message((unsigned)(dev->base - METTA_MSI_LINE0), dev->apic_id, msg);
	return copy_to_user(msg_out, msg, sizeof(msg));
}

/* DMA memory for a driver: see memobj_create_dma. */
long sys_dma_alloc(uint32_t dst, uint64_t pages, uint64_t phys_out)
{
	struct domain *d = current_domain();
	if (d->class != CLASS_DRIVER)
		return STATUS_ERR_DENIED;
	if (pages == 0 || pages > METTA_DMA_MAX_PAGES)
		return STATUS_ERR_RANGE;
	uint64_t phys;
	long rc = memobj_create_dma(d, dst, pages, &phys);
	if (rc)
		return rc;
	if ((rc = copy_to_user(phys_out, &phys, sizeof(phys))))
		cap_delete(&d->caps, dst); /* the object goes with it */
	return rc;
}

/* A memory object over device memory; RAM and the nucleus's own devices
 * are refused. */
long sys_mem_phys(uint32_t physmem, uint32_t dst, uint64_t phys, uint64_t pages)
{
	struct device *dev;
	int rc = lookup(physmem, OBJ_PHYSMEM, &dev);
	if (rc)
		return rc;
	if (phys % PAGE_SIZE || pages == 0 || pages > (1ull << 20) ||
	    phys < dev->base || phys - dev->base > dev->count ||
	    pages * PAGE_SIZE > dev->count - (phys - dev->base))
		return STATUS_ERR_RANGE;
	for (uint64_t i = 0; i < pages; i++)
		if (phys_is_ram_or_nucleus(phys + i * PAGE_SIZE))
			return STATUS_ERR_DENIED;
	return memobj_create_physical(current_domain(), dst, phys, pages);
}
