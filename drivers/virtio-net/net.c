/*
 * virtio-net.drv: the driver of a virtio network card (virtio 1.x,
 * section 5.1), started by the pci server with its device's capabilities
 * (metta/driver.h) and published as etherK. It serves Plan 9's ether
 * files (docs/servers.md, "Network cards"): `data` (whole Ethernet
 * frames; each fid open for reading has its own queue, frames.h),
 * `addr`, `ctl` and `stats`.
 *
 * Receiving: RX_MAX buffers of DMA memory wait in the receive queue;
 * the device fills one per frame (a virtio_net_hdr, then the frame),
 * the interrupt thread copies the frame into every reader's queue,
 * gives the buffer back and answers the reads held for a frame.
 * Transmitting: a write copies its frame into a slot of DMA memory
 * (behind a zeroed header: no offloads) and is answered as soon as the
 * slot is in the transmit ring; with the ring full it is held (its
 * frame in a slot meanwhile) until a completion makes room. We ask for
 * no checksum or segmentation offload, so frames are plain Ethernet.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <driver/driver.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/driver.h>
#include <metta/proto.h>
#include <metta/status.h>
#include <string/kstring.h>
#include <virtio/pci.h>

#include "frames.h"

/* virtio-net (section 5.1). */
#define NET_F_MAC      (1ull << 5)
#define NET_F_STATUS   (1ull << 16)
#define NET_CFG_MAC    0 /* u8[6] */
#define NET_CFG_STATUS 6 /* le16 */
#define NET_S_LINK_UP  1
#define NET_HDR	       12 /* struct virtio_net_hdr with num_buffers (1.x) */
#define RXQ	       0
#define TXQ	       1

#define MTU	   (FRAME_MAX - FRAME_MIN)
#define BUF	   2048 /* a buffer: the header and a whole frame */
#define PAGE	   4096
#define RX_MAX	   128		 /* receive buffers at the device */
#define TX_RING	   128		 /* transmit ring entries asked for */
#define TX_WAITING P9SRV_MAXHELD /* frames held for room in the ring */
#define TX_SLOTS   (TX_RING + TX_WAITING)

_Static_assert(NET_HDR + FRAME_MAX <= BUF, "a frame fits a buffer");
_Static_assert(PAGE % BUF == 0, "buffers never cross a page");

struct rxbuf {
	uint8_t *va;
	uint64_t phys;
};

/* A frame to send: in the ring, or held (req) for room in it. */
struct txslot {
	uint8_t *va;
	uint64_t phys;
	uint32_t len; /* the frame's, without the header */
	uint8_t busy;
};

static struct virtio_pci dev;
static struct virtio_queue rxq, txq;
static struct rxbuf rx[RX_MAX];
static struct txslot tx[TX_SLOTS];
static unsigned nrx, ntx;
static struct driver_queue tx_waiting; /* writes held, aux: their slot */
static struct driver_queue rx_waiting; /* reads and queries held */
static struct frames frames;
static uint8_t mac[6];
static uint64_t n_in, n_out, n_indrop, n_outerr;
static unsigned bad_used;
static char who[32]; /* "virtio-net BB.DD.F", for the log */
static struct p9srv fs;

/* ---- receiving ---- */

/* Gives buffer b to the device (one descriptor: always fits, as there
 * are no more buffers than ring entries). */
static void rx_post(struct rxbuf *b)
{
	struct virtq_buf v = { b->phys, BUF };
	virtq_add(&rxq.vq, &v, 0, 1, b);
}

/* A frame of len bytes came: into every reader's queue. */
static void received(const uint8_t *frame, uint32_t len)
{
	if (len < FRAME_MIN || len > FRAME_MAX) {
		n_indrop++; /* a device bug: nothing we can read */
		return;
	}
	n_in++;
	n_indrop += frames_put(&frames, frame, len);
}

/* The bits of READY_* that reader i (-1: a fid open for writing only)
 * is ready for: writes are always taken (held for room at worst). */
static uint8_t readiness(int i)
{
	return READY_OUT | (frames_pending(&frames, i) ? READY_IN : 0);
}

/* Answers held request r if its fid has what it waits for: 1 if it
 * was answered (and is out of the queue), else 0. */
static int answer_reader(struct p9srv_req *r)
{
	int i = frames_find(&frames, r->conn, r->fid);
	if (r->offset & READY_QUERY) {
		uint8_t bits = readiness(i) & (uint8_t)r->offset;
		if (!bits)
			return 0;
		driver_queue_remove(&rx_waiting, r);
		p9srv_respond_read(r, &bits, 1);
		return 1;
	}
	uint32_t len;
	const uint8_t *f = frames_peek(&frames, i, &len);
	if (!f)
		return 0;
	driver_queue_remove(&rx_waiting, r);
	/* A caller that gave up meanwhile leaves the frame queued. */
	if (p9srv_respond_read(r, f, len < r->count ? len : r->count) == 0)
		frames_pop(&frames, i);
	return 1;
}

/* Held reads and queries answered, in the order they came. */
static void wake_readers(void)
{
	struct p9srv_req *r = rx_waiting.head;
	while (r) {
		struct p9srv_req *next = r->next;
		answer_reader(r);
		r = next;
	}
}

static void rx_completions(void)
{
	struct rxbuf *b;
	uint32_t len;
	int any = 0;
	while ((b = virtq_get(&rxq.vq, &len, &bad_used)) != 0) {
		if (len >= NET_HDR && len <= BUF)
			received(b->va + NET_HDR, len - NET_HDR);
		else
			n_indrop++;
		rx_post(b);
		any = 1;
	}
	if (any) {
		virtio_pci_kick(&rxq);
		wake_readers();
	}
}

/* ---- transmitting ---- */

static struct txslot *tx_claim(void)
{
	for (unsigned i = 0; i < ntx; i++)
		if (!tx[i].busy)
			return &tx[i];
	return 0;
}

/* Slot t (busy, its frame in place) into the ring, which has room. */
static void tx_submit(struct txslot *t)
{
	struct virtq_buf v = { t->phys, NET_HDR + t->len };
	virtq_add(&txq.vq, &v, 1, 0, t);
	n_out++;
}

/* Slots the device has sent are free; held writes take the room. */
static void tx_completions(void)
{
	struct txslot *t;
	int any = 0;
	while ((t = virtq_get(&txq.vq, 0, &bad_used)) != 0)
		t->busy = 0;
	while (tx_waiting.head && txq.vq.nfree) {
		struct p9srv_req *r = driver_queue_take(&tx_waiting);
		t = r->aux;
		tx_submit(t);
		p9srv_respond_write(r, t->len);
		any = 1;
	}
	if (any)
		virtio_pci_kick(&txq);
}

/* The interrupt thread's handler (under the 9P lock): one vector for
 * both queues. */
static void completions(uint64_t bits)
{
	(void)bits;
	rx_completions();
	tx_completions();
}

/* A held request ends unanswered (flushed, its fid or client gone). */
static void forget(struct p9srv_req *r)
{
	if (driver_queue_remove(&tx_waiting, r)) {
		((struct txslot *)r->aux)->busy = 0;
		n_outerr++; /* never sent */
		return;
	}
	driver_queue_remove(&rx_waiting, r);
}

/* ---- the files ---- */

static long hold_reader(void)
{
	struct p9srv_req *r = p9srv_hold(&fs);
	if (!r)
		return -P9_EBUSY;
	driver_queue_put(&rx_waiting, r);
	return P9SRV_HELD;
}

/* A READY_QUERY read: one byte of READY_* bits of the caller's interest
 * (the offset's low byte), held until one is set unless PIPE_NOWAIT. */
static long query(int i, uint64_t offset, uint8_t *buf)
{
	uint8_t interest = (uint8_t)(offset & (READY_IN | READY_OUT));
	uint8_t bits = readiness(i) & interest;
	if (bits || !interest || (offset & PIPE_NOWAIT)) {
		buf[0] = bits;
		return 1;
	}
	return hold_reader();
}

/* One whole frame (cut to count), held until one comes. */
static long data_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	int i = frames_find(&frames, fs.op_conn, fs.op_fid);
	if (count == 0)
		return 0;
	if (offset & READY_QUERY)
		return query(i, offset, buf);
	uint32_t len;
	const uint8_t *f = frames_peek(&frames, i, &len);
	if (f) {
		len = len < count ? len : count;
		memcpy(buf, f, len);
		frames_pop(&frames, i);
		return len;
	}
	if (i < 0)
		return -P9_EBADF; /* cannot happen: lib/9p checked the mode */
	return offset & PIPE_NOWAIT ? -P9_EAGAIN : hold_reader();
}

/* One whole frame, into the ring or held for room in it. */
static long data_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	if (count < FRAME_MIN || count > FRAME_MAX) {
		n_outerr++;
		return -P9_EINVAL;
	}
	tx_completions(); /* room the device made since its interrupt */
	int room = !tx_waiting.head && txq.vq.nfree;
	if (!room && (offset & PIPE_NOWAIT))
		return -P9_EAGAIN;
	struct txslot *t = tx_claim();
	struct p9srv_req *r = 0;
	if (!t || (!room && !(r = p9srv_hold(&fs))))
		return -P9_EBUSY; /* the frame has nowhere to wait */
	memset(t->va, 0, NET_HDR);
	memcpy(t->va + NET_HDR, data, count);
	t->len = count;
	t->busy = 1;
	if (!room) {
		r->aux = t;
		driver_queue_put(&tx_waiting, r);
		return P9SRV_HELD;
	}
	tx_submit(t);
	virtio_pci_kick(&txq);
	return count;
}

/* Each fid open for reading gets a queue (frames.h). */
static int data_open(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint8_t mode)
{
	(void)ctx, (void)e, (void)inst;
	if ((mode & 3) == P9_OWRITE)
		return 0;
	return frames_open(&frames, fs.op_conn, fs.op_fid) < 0 ? -P9_ENFILE : 0;
}

/* A fid goes: its queue with it (only data's fids have one). */
static void net_clunk(void *ctx, void *node, uint8_t mode)
{
	(void)ctx, (void)node, (void)mode;
	frames_close(&frames, frames_find(&frames, fs.op_conn, fs.op_fid));
}

static int link_up(void)
{
	/* Without the status feature the link is up (section 5.1.4). */
	return !(dev.features & NET_F_STATUS) ||
	       (virtio_pci_config16(&dev, NET_CFG_STATUS) & NET_S_LINK_UP);
}

static long text_read(const char *text, int n, uint64_t offset, void *buf,
		      uint32_t count)
{
	return p9synth_text(text, (size_t)n, offset, buf, count);
}

static long addr_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	char text[16];
	int n = fmt_snprintf(text, sizeof(text), "%02x%02x%02x%02x%02x%02x",
			     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return text_read(text, n, offset, buf, count);
}

static long ctl_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	char text[96];
	int n = fmt_snprintf(text, sizeof(text),
			     "addr %02x:%02x:%02x:%02x:%02x:%02x\nlink %s\n"
			     "mtu %d\n",
			     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			     link_up() ? "up" : "down", MTU);
	return text_read(text, n, offset, buf, count);
}

static long stats_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	char text[128];
	int n = fmt_snprintf(
	    text, sizeof(text), "in %llu\nout %llu\nindrop %llu\nouterr %llu\n",
	    (unsigned long long)n_in, (unsigned long long)n_out,
	    (unsigned long long)n_indrop, (unsigned long long)n_outerr);
	return text_read(text, n, offset, buf, count);
}

static long ctl_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)offset;
	if (driver_is_command(data, count, "crash"))
		driver_crash(who);
	return -P9_EINVAL;
}

enum { PATH_ROOT, PATH_DATA, PATH_ADDR, PATH_CTL, PATH_STATS };

/* Plan 9's modes for ether files; the capability to the portal is what
 * lets a client in. */
static const struct p9synth_entry files[] = {
	{ "/", PATH_ROOT, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "data", PATH_DATA, 0666, 0, data_read, data_write, data_open, 0 },
	{ "addr", PATH_ADDR, 0444, 0, addr_read, 0, 0, 0 },
	{ "ctl", PATH_CTL, 0666, 0, ctl_read, ctl_write, 0, 0 },
	{ "stats", PATH_STATS, 0444, 0, stats_read, 0, 0, 0 },
};
static struct p9synth tree;
static struct p9srv_ops ops;
static P9SRV_STORAGE(store, 16, 32);

/* ---- start-up ---- */

/* count buffers of BUF bytes in one run of DMA memory: 0 and the first
 * one's addresses, or a STATUS_ERR_*. */
static long buffers(unsigned count, uint8_t **va, uint64_t *phys)
{
	return driver_dma((count * BUF + PAGE - 1) / PAGE, (void **)va, phys);
}

static long make_buffers(void)
{
	uint8_t *va;
	uint64_t phys;
	nrx = rxq.vq.size < RX_MAX ? rxq.vq.size : RX_MAX;
	ntx = txq.vq.size + TX_WAITING;
	long rc = buffers(nrx, &va, &phys);
	for (unsigned i = 0; rc == STATUS_OK && i < nrx; i++) {
		rx[i] = (struct rxbuf){ va + i * BUF, phys + i * BUF };
		rx_post(&rx[i]);
	}
	if (rc == STATUS_OK)
		rc = buffers(ntx, &va, &phys);
	for (unsigned i = 0; rc == STATUS_OK && i < ntx; i++)
		tx[i] = (struct txslot){ va + i * BUF, phys + i * BUF, 0, 0 };
	return rc;
}

/* The MAC address: the device's, or (without the feature, which QEMU
 * always offers) a locally administered one made from our PCI place. */
static void read_mac(const char *where)
{
	if (dev.features & NET_F_MAC) {
		virtio_pci_config_bytes(&dev, NET_CFG_MAC, mac, sizeof(mac));
		return;
	}
	uint32_t h = 5381;
	for (const char *c = where; *c; c++)
		h = h * 33 + (uint8_t)*c;
	uint8_t made[6] = { 0x02,
			    0x00,
			    (uint8_t)(h >> 24),
			    (uint8_t)(h >> 16),
			    (uint8_t)(h >> 8),
			    (uint8_t)h };
	memcpy(mac, made, sizeof(mac));
}

/* The start-up sequence; on failure *step names what failed. */
static long start_device(const char **step)
{
	long rc =
	    virtio_pci_start(&dev, NET_F_MAC | NET_F_STATUS, completions, step);
	if (rc == STATUS_OK) {
		*step = "its queues";
		rc = virtio_pci_queue(&dev, RXQ, RX_MAX, VIRTIO_PCI_VECTOR,
				      &rxq);
	}
	if (rc == STATUS_OK)
		rc = virtio_pci_queue(&dev, TXQ, TX_RING, VIRTIO_PCI_VECTOR,
				      &txq);
	if (rc == STATUS_OK) {
		*step = "DMA memory";
		rc = make_buffers();
	}
	if (rc != STATUS_OK)
		return rc;
	virtio_pci_ready(&dev);
	virtio_pci_kick(&rxq); /* the receive buffers are there */
	return STATUS_OK;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *where = argc > 1 ? argv[1] : "?";
	fmt_snprintf(who, sizeof(who), "virtio-net %s", where);
	frames_init(&frames);
	const char *step;
	long rc = start_device(&step);
	if (rc != STATUS_OK)
		return virtio_pci_give_up(&dev, who, step, rc);
	read_mac(where);
	metta_printf("%s: %02x:%02x:%02x:%02x:%02x:%02x, link %s, %u receive "
		     "buffers, %u transmit slots",
		     who, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		     link_up() ? "up" : "down", nrx, ntx);
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	ops = p9synth_ops;
	ops.clunk = net_clunk;
	p9srv_init(&fs, &ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(store));
	driver_serve(&fs, forget);
}
