/*
 * virtio-blk.drv: the driver of a virtio block device (virtio 1.x,
 * section 5.2), started by the pci server with its device's capabilities
 * (metta/driver.h). It serves the block protocol (docs/servers.md, "Block
 * devices"): a root with `data` (the disk: reads and writes at multiples
 * of 512 bytes) and `ctl` (its figures; `flush`, `crash`).
 *
 * Each request takes a slot (a request header and a status byte in DMA
 * memory) and a bounce buffer: a run of pages of the skeleton's pool of
 * DMA memory (a 9P message's data is copied in and out). Reads and
 * flushes that find no slot or no pages wait in a queue; a write needs
 * them at once, for its data (else EBUSY). A request is
 * answered from the interrupt thread once the device has used it: Rwrite
 * only after the device wrote, a flush (ctl `flush` or a Twstat changing
 * nothing on `data`) only after the device's flush.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <driver/driver.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/driver.h>
#include <metta/status.h>
#include <string/kstring.h>
#include <virtio/pci.h>

/* virtio-blk (section 5.2). */
#define BLK_F_RO	  (1ull << 5)
#define BLK_F_BLK_SIZE	  (1ull << 6)
#define BLK_F_FLUSH	  (1ull << 9)
#define BLK_CFG_CAPACITY  0  /* le64, in 512-byte sectors */
#define BLK_CFG_BLK_SIZE  20 /* le32 */
#define BLK_T_IN	  0
#define BLK_T_OUT	  1
#define BLK_T_FLUSH	  4
#define BLK_S_OK	  0
#define SECTOR		  512

#define MAX_DATA   (64 * 1024) /* one 9P message's data at most */
#define PAGE	   4096
#define MAX_SLOTS  64  /* requests at the device: lib/9p holds 64 */
#define QUEUE_MAX  256 /* entries asked of the device: 3 per request */
#define POOL_PAGES 512 /* bounce buffers: 2 MiB, less if quota is short */

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* A request at the device. req is 0 when its caller went meanwhile (the
 * slot stays busy until the device is done with its buffers). */
struct slot {
	struct blk_hdr *hdr;
	uint8_t *status;
	uint8_t *data; /* its pages of the pool, while busy */
	uint64_t hdr_phys, status_phys, data_phys;
	struct p9srv_req *req;
	uint32_t type, len;
	int first; /* its first page in the pool, or -1 */
	uint8_t busy;
};

static struct virtio_pci dev;
static struct virtio_queue vq;
static struct slot slots[MAX_SLOTS];
static struct driver_pool pool;
static uint8_t *pool_va;
static uint64_t pool_phys;
static unsigned nslots, nbusy, most_busy;
static struct driver_queue waiting; /* reads and flushes for a slot */
static uint64_t size_bytes, completed;
static uint32_t block_size; /* the device's preferred unit (ctl) */
static int has_flush, read_only;
static unsigned bad_used;
static char who[32]; /* "virtio-blk BB.DD.F", for the log */

/* Marks a held request as a flush (aux), not a read, in the queue. */
static char flush_mark;

/* ---- the device side ---- */

static unsigned pages_of(uint32_t len)
{
	return (len + PAGE - 1) / PAGE;
}

/* A free slot with len bytes of pages for its data: 0 when there is no
 * slot or no run of pages long enough (nothing taken). */
static struct slot *claim(uint32_t len)
{
	struct slot *s = 0;
	for (unsigned i = 0; i < nslots && !s; i++)
		if (!slots[i].busy)
			s = &slots[i];
	if (!s)
		return 0;
	s->first = len ? driver_pool_alloc(&pool, pages_of(len)) : -1;
	if (len && s->first < 0)
		return 0;
	uint64_t at = (uint64_t)(s->first < 0 ? 0 : s->first) * PAGE;
	s->data = pool_va + at;
	s->data_phys = pool_phys + at;
	return s;
}

/* Starts s at the device: type, at sector, len bytes of its buffer. */
static void submit(struct slot *s, struct p9srv_req *r, uint32_t type,
		   uint64_t sector, uint32_t len)
{
	*s->hdr = (struct blk_hdr){ type, 0, sector };
	*s->status = 0xff;
	s->req = r;
	s->type = type;
	s->len = len;
	s->busy = 1;
	if (++nbusy > most_busy)
		most_busy = nbusy;
	struct virtq_buf b[3] = { { s->hdr_phys, sizeof(struct blk_hdr) } };
	unsigned n = 1;
	if (type != BLK_T_FLUSH)
		b[n++] = (struct virtq_buf){ s->data_phys, len };
	b[n++] = (struct virtq_buf){ s->status_phys, 1 };
	/* Three descriptors per slot always fit (start-up checked it). */
	virtq_add(&vq.vq, b, type == BLK_T_IN ? 1 : n - 1,
		  type == BLK_T_IN ? n - 1 : 1, s);
	virtio_pci_kick(&vq);
}

/* A held read or flush starts if it can have a slot: 1, or 0. */
static int try_start(struct p9srv_req *r)
{
	int flush = r->aux == &flush_mark;
	struct slot *s = claim(flush ? 0 : r->count);
	if (!s)
		return 0;
	if (flush)
		submit(s, r, BLK_T_FLUSH, 0, 0);
	else
		submit(s, r, BLK_T_IN, r->offset / SECTOR, r->count);
	return 1;
}

/* Answers the request of a slot the device has used. */
static void finish(struct slot *s)
{
	struct p9srv_req *r = s->req;
	s->busy = 0;
	s->req = 0;
	nbusy--;
	completed++;
	/* Its pages are free once answered (a read's reply copies them). */
	driver_pool_free(&pool, s->first, pages_of(s->len));
	if (!r)
		return; /* its caller went */
	if (*s->status != BLK_S_OK)
		p9srv_respond_error(r, P9_EIO);
	else if (s->type == BLK_T_IN)
		p9srv_respond_read(r, s->data, s->len);
	else if (s->type == BLK_T_OUT)
		p9srv_respond_write(r, s->len);
	else if (r->type == P9_TWSTAT)
		p9srv_respond_wstat(r);
	else
		p9srv_respond_write(r, r->count); /* ctl's "flush" */
}

/* The interrupt thread's handler (under the 9P lock): every used
 * request answered, then waiting ones started in the freed slots. */
static void completions(uint64_t bits)
{
	(void)bits;
	struct slot *s;
	while ((s = virtq_get(&vq.vq, 0, &bad_used)) != 0)
		finish(s);
	while (waiting.head && try_start(waiting.head))
		driver_queue_take(&waiting);
}

/* A held request ends unanswered (flushed, its fid or client gone). */
static void forget(struct p9srv_req *r)
{
	if (driver_queue_remove(&waiting, r))
		return;
	for (unsigned i = 0; i < nslots; i++)
		if (slots[i].req == r)
			slots[i].req = 0;
}

/* ---- the files ---- */

static struct p9srv fs;

/*
 * Holds the request being served, a read of count bytes (its offset is
 * the request's) or a flush, for a slot now or in the queue.
 */
static long hold_for(uint32_t type, uint32_t count)
{
	struct p9srv_req *r = p9srv_hold(&fs);
	if (!r)
		return -P9_EBUSY;
	if (type == BLK_T_IN)
		r->count = count; /* cut at the end of the disk */
	r->aux = type == BLK_T_FLUSH ? &flush_mark : 0;
	/* Behind the ones waiting, to keep their order. */
	if (waiting.head || !try_start(r))
		driver_queue_put(&waiting, r);
	return P9SRV_HELD;
}

static long flush_device(void)
{
	return has_flush ? hold_for(BLK_T_FLUSH, 0) : 0;
}

/* Offsets and counts in whole sectors; counts cut at the end. */
static long check_range(uint64_t offset, uint32_t *count)
{
	if (offset % SECTOR || *count % SECTOR)
		return -P9_EINVAL;
	if (offset >= size_bytes)
		return 0;
	if (*count > MAX_DATA) /* a short read or write: 9P allows it */
		*count = MAX_DATA;
	if (*count > size_bytes - offset)
		*count = (uint32_t)(size_bytes - offset);
	return 1;
}

static long data_read(uint64_t offset, uint32_t count)
{
	long rc = check_range(offset, &count);
	if (rc <= 0 || count == 0)
		return rc;
	return hold_for(BLK_T_IN, count);
}

static long data_write(uint64_t offset, const void *data, uint32_t count)
{
	long rc = check_range(offset, &count);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -P9_ENOSPC;
	if (read_only)
		return -P9_EROFS;
	if (count == 0)
		return 0;
	struct slot *s = claim(count);
	struct p9srv_req *r = s ? p9srv_hold(&fs) : 0;
	if (!r) {
		if (s)
			driver_pool_free(&pool, s->first, pages_of(count));
		return -P9_EBUSY; /* the data has nowhere to wait */
	}
	memcpy(s->data, data, count);
	submit(s, r, BLK_T_OUT, offset / SECTOR, count);
	return P9SRV_HELD;
}

static long ctl_read(uint64_t offset, void *buf, uint32_t count)
{
	char text[256];
	int n = fmt_snprintf(text, sizeof(text),
			     "size %llu\nsectorsize %d\nflush %d\n"
			     "inflight %u\nrequests %llu\nmaxinflight %u\n"
			     "blocksize %u\n",
			     (unsigned long long)size_bytes, SECTOR, has_flush,
			     nbusy + waiting.n, (unsigned long long)completed,
			     most_busy, block_size);
	return p9synth_text(text, (size_t)n, offset, buf, count);
}

static long ctl_write(const void *data, uint32_t count)
{
	if (driver_is_command(data, count, "flush")) {
		long rc = flush_device();
		return rc ? rc : count;
	}
	if (driver_is_command(data, count, "crash"))
		driver_crash(who);
	return -P9_EINVAL;
}

enum { PATH_ROOT, PATH_DATA, PATH_CTL };

static long file_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst, (void)buf;
	return e->path == PATH_DATA ? data_read(offset, count)
				    : ctl_read(offset, buf, count);
}

static long file_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)inst;
	return e->path == PATH_DATA ? data_write(offset, data, count)
				    : ctl_write(data, count);
}

static const struct p9synth_entry files[] = {
	{ "/", PATH_ROOT, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "data", PATH_DATA, 0660, 0, file_read, file_write, 0, 0 },
	{ "ctl", PATH_CTL, 0660, 0, file_read, file_write, 0, 0 },
};
static struct p9synth tree;
static struct p9srv_ops ops;
static P9SRV_STORAGE(store, 16, 32);

/* data's length is the disk's size. */
static int blk_stat(void *ctx, void *node, struct p9_stat *st)
{
	int rc = p9synth_ops.stat(ctx, node, st);
	if (rc == 0 && st->qid.path == PATH_DATA)
		st->length = size_bytes;
	return rc;
}

/* A wstat changing nothing on data is a sync: the device's flush. */
static int blk_wstat(void *ctx, void *node, const struct p9_stat *w)
{
	struct p9_stat st;
	int rc = p9synth_ops.wstat(ctx, node, w); /* only a null one passes */
	if (rc == 0 && p9synth_ops.stat(ctx, node, &st) == 0 &&
	    st.qid.path == PATH_DATA)
		rc = (int)flush_device();
	return rc;
}

/* ---- start-up ---- */

/* Slots in DMA memory, and the pool of bounce pages: as much as the
 * quota allows, down to one 64 KiB request's. */
static long make_slots(void)
{
	void *hva;
	uint64_t hphys;
	unsigned pages = POOL_PAGES;
	long rc;
	while ((rc = driver_dma(pages, (void **)&pool_va, &pool_phys)) !=
		   STATUS_OK &&
	       pages > MAX_DATA / PAGE)
		pages /= 2;
	if (rc == STATUS_OK)
		rc = driver_dma(1, &hva, &hphys);
	if (rc != STATUS_OK)
		return rc;
	driver_pool_init(&pool, pages);
	nslots = vq.vq.size / 3 < MAX_SLOTS ? vq.vq.size / 3 : MAX_SLOTS;
	for (unsigned i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		s->hdr = (struct blk_hdr *)hva + i;
		s->hdr_phys = hphys + i * sizeof(struct blk_hdr);
		s->status = (uint8_t *)hva + PAGE / 2 + i;
		s->status_phys = hphys + PAGE / 2 + i;
		s->first = -1;
	}
	return STATUS_OK;
}

/* The start-up sequence; on failure *step names what failed. */
static long start_device(const char **step)
{
	long rc = virtio_pci_start(&dev, BLK_F_FLUSH | BLK_F_RO |
						 BLK_F_BLK_SIZE,
				   completions, step);
	if (rc == STATUS_OK) {
		*step = "its queue";
		rc = virtio_pci_queue(&dev, 0, QUEUE_MAX, VIRTIO_PCI_VECTOR,
				      &vq);
	}
	if (rc == STATUS_OK) {
		*step = "DMA memory";
		rc = make_slots();
	}
	if (rc != STATUS_OK)
		return rc;
	has_flush = (dev.features & BLK_F_FLUSH) != 0;
	read_only = (dev.features & BLK_F_RO) != 0;
	size_bytes = virtio_pci_config64(&dev, BLK_CFG_CAPACITY) * SECTOR;
	block_size = dev.features & BLK_F_BLK_SIZE
			 ? virtio_pci_config32(&dev, BLK_CFG_BLK_SIZE)
			 : SECTOR;
	virtio_pci_ready(&dev);
	return STATUS_OK;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	fmt_snprintf(who, sizeof(who), "virtio-blk %s", argc > 1 ? argv[1] : "?");
	const char *step;
	long rc = start_device(&step);
	if (rc != STATUS_OK)
		return virtio_pci_give_up(&dev, who, step, rc);
	metta_printf("%s: %llu bytes, %u slots, %u KiB of buffers, "
		     "flush %d%s",
		     who, (unsigned long long)size_bytes, nslots,
		     pool.pages * (PAGE / 1024), has_flush,
		     read_only ? ", read-only" : "");
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	ops = p9synth_ops;
	ops.stat = blk_stat;
	ops.wstat = blk_wstat;
	p9srv_init(&fs, &ops, &tree, P9_PORTAL_MSIZE, P9SRV_STORAGE_ARGS(store));
	driver_serve(&fs, forget);
}
