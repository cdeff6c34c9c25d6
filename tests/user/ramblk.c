/*
 * ramblk: a stand-in block driver for the tests, speaking the block
 * devices' 9P protocol (docs/servers.md, "Block devices") over memory
 * instead of a disk: `data` (reads and writes of whole sectors; its
 * length the disk's size) and `ctl` (`size`, `sectorsize`, `flush`,
 * `inflight`, `requests`; writing `flush`, or `crash` to fault). A wstat
 * that changes nothing on `data` is a flush.
 *
 * Root starts it as the service "blk0" when a boot has it as a module,
 * with the disk's memory object in slot 12 (root keeps it, so the disk
 * outlives the driver: what was written before a crash is still there
 * after root restarts it) and the object's pages as argv[1]. Like a real
 * driver it answers later: every read and write is held and answered by
 * a completion thread (as an interrupt would), so a crash finds requests
 * in flight, and it serves on three threads, so it dies mid-call too.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define PORTAL	  5
#define DISK	  12
#define DISK_VA	  0x500000000000ull
#define SECTOR	  512
#define COMPLETE_US 500 /* the "device" completes requests this often */

static uint8_t *disk;
static uint64_t size, requests, flushes;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 8, 16);
static struct p9srv_req *pending; /* held, to be completed */
static uint8_t stacks[3][16384] __attribute__((aligned(16)));

/* Checks a request's sectors: 0 or an errno; count cut at the end. */
static long check(uint64_t off, uint32_t *count, int writing)
{
	if (off % SECTOR || *count % SECTOR)
		return -P9_EINVAL;
	if (off >= size)
		return writing ? -P9_ENOSPC : 0;
	if (*count > size - off)
		*count = (uint32_t)(size - off);
	return 1;
}

/* Holds the request being served until the completion thread's round. */
static long hold(void)
{
	struct p9srv_req *q = p9srv_hold(&fs);
	if (!q)
		return -P9_EBUSY;
	q->next = pending;
	pending = q;
	requests++;
	return P9SRV_HELD;
}

static long data_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t off, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)buf;
	long rc = check(off, &count, 0);
	return rc <= 0 || count == 0 ? rc : hold();
}

static long data_write(void *ctx, const struct p9synth_entry *e,
		       uint64_t inst, uint64_t off, const void *data,
		       uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	long rc = check(off, &count, 1);
	if (rc <= 0)
		return rc;
	memcpy(disk + off, data, count);
	return hold();
}

static char text[256];

static long ctl_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t off, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	long n = fmt_snprintf(text, sizeof(text),
			      "size %lu\nsectorsize %d\nflush 1\ninflight %u\n"
			      "requests %lu\nflushes %lu\n",
			      size, SECTOR, p9srv_nheld(&fs), requests, flushes);
	if (off >= (uint64_t)n)
		return 0;
	if (count > n - off)
		count = (uint32_t)(n - off);
	memcpy(buf, text + off, count);
	return count;
}

static long ctl_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t off, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)off;
	if (count >= 5 && !memcmp(data, "crash", 5)) {
		metta_printf("ramblk: crashing, as asked");
		*(volatile int *)0 = 1; /* the fault the tests ask for */
	}
	if (count >= 5 && !memcmp(data, "flush", 5)) {
		flushes++;
		return count;
	}
	return -P9_EINVAL;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "data", 1, 0660, 0, data_read, data_write, 0, 0 },
	{ "ctl", 2, 0660, 0, ctl_read, ctl_write, 0, 0 },
};
static struct p9synth tree;
static struct p9srv_ops ops;

/* data's length is the disk's size. */
static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	int rc = p9synth_ops.stat(ctx, node, st);
	if (rc == 0 && st->qid.path == 1)
		st->length = size;
	return rc;
}

/* The wstat that changes nothing is a flush (memory has no cache). */
static int op_wstat(void *ctx, void *node, const struct p9_stat *st)
{
	int rc = p9synth_ops.wstat(ctx, node, st);
	flushes += rc == 0;
	return rc;
}

static void forget(struct p9srv_req *r)
{
	for (struct p9srv_req **p = &pending; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			return;
		}
}

/* The "interrupt": answers every request held since the last round. */
static void complete(void)
{
	for (;;) {
		metta_sleep(COMPLETE_US);
		p9_portal_lock();
		while (pending) {
			struct p9srv_req *q = pending;
			pending = q->next;
			uint32_t n = q->count;
			if (n > size - q->offset) /* cut at the end */
				n = (uint32_t)(size - q->offset);
			if (q->type == P9_TREAD)
				p9srv_respond_read(q, disk + q->offset, n);
			else
				p9srv_respond_write(q, n);
		}
		p9_portal_unlock();
	}
}

static const server_op srv_ops[] = { P9_PORTAL_OPS };
static const struct server srv = { PORTAL, srv_ops,
				   sizeof(srv_ops) / sizeof(srv_ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	uint64_t pages = 0;
	for (const char *p = argc > 1 ? argv[1] : ""; *p >= '0' && *p <= '9'; p++)
		pages = pages * 10 + (uint64_t)(*p - '0');
	if (!pages || metta_mem_map(CAP_SELF, DISK, 0, DISK_VA, pages,
				    RIGHT_READ | RIGHT_WRITE)) {
		metta_printf("ramblk: no disk memory in slot 12");
		return 1;
	}
	disk = (uint8_t *)DISK_VA;
	size = pages * 4096;
	ops = p9synth_ops;
	ops.stat = op_stat;
	ops.wstat = op_wstat;
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	p9srv_init(&fs, &ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	fs.forget = forget;
	p9_portal_init(&fs, PORTAL);
	uint32_t th = metta_slot_alloc();
	if (!th ||
	    metta_thread_create(CAP_SELF, th, (uint64_t)complete,
				(uint64_t)&stacks[0][16384] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(th, THREAD_START, 0))
		return 2;
	server_spawn_threads(&srv, 3, stacks + 1);
	server_run(&srv);
}
