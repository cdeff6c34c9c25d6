/*
 * vdisk: the virtual disk server (seed 002). Every block device is
 * reached through it: the block driver behind names "blkN" becomes the
 * directory sdN of its 9P tree,
 *   sdN/data   the whole device, read and written at any byte offset and
 *              count (read-modify-write of partial sectors), its length
 *              the device's size;
 *   sdN/partK  partition K of its MBR or GPT table, the same way, checked
 *              against the partition's size;
 *   sdN/ctl    its size, sector size, partitions and counters; writing
 *              `flush` flushes the device, `rescan` reads its partition
 *              table again, `crash` makes the driver fault (the
 *              fault-injection tests).
 * A wstat that changes nothing on any of them is a flush of the device.
 * Requests are held and carried out by workers (io.c), which resend what
 * a dying driver left unanswered (dev.c). Slot 5: its portal; CAP_NAMES:
 * the name service, to find the drivers.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#include "vdisk.h"

#define PORTAL	   5
#define SCAN_US	   1000000 /* looks for new devices this often */
/* ...and at start-up much more often, while the drivers come up (they
 * and their names may come after us). */
#define SCAN_START_US 20000
#define SCAN_START_N  250
#define OWNER	   "root"

/* Nodes are values: a kind, a device and a partition number. */
enum kind { K_ROOT = 1, K_DIR, K_DATA, K_CTL, K_PART };
#define NODE(k, d, p) ((void *)(uintptr_t)((k) << 16 | (d) << 8 | (p)))
#define KIND(n)	      ((int)((uintptr_t)(n) >> 16))
#define DEV(n)	      ((int)((uintptr_t)(n) >> 8 & 0xff))
#define PARTNO(n)     ((uint32_t)((uintptr_t)(n)&0xff))

static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 32, 32);
static struct client scanner;
static struct metta_await scan_now;
static uint8_t scan_stack[16384] __attribute__((aligned(16)));
static char namebuf[16];
static char ctlbuf[2048];

static const struct part *part_of(int d, uint32_t k)
{
	for (uint32_t i = 0; i < devs[d].parts.n; i++)
		if (devs[d].parts.p[i].number == k)
			return &devs[d].parts.p[i];
	return 0;
}

/* Is the node still there (a device, a partition)? */
static int exists(void *node)
{
	int k = KIND(node), d = DEV(node);
	if (k == K_ROOT)
		return 1;
	if (d >= VDISK_MAXDEV || !devs[d].present)
		return 0;
	return k != K_PART || part_of(d, PARTNO(node));
}

/* "sdN", "partK": the number after prefix, or -1. */
static int number_after(struct p9_str name, const char *prefix, int max)
{
	size_t n = strlen(prefix);
	if (name.len <= n || name.len > n + 3 || memcmp(name.s, prefix, n))
		return -1;
	int v = 0;
	for (size_t i = n; i < name.len; i++) {
		if (name.s[i] < '0' || name.s[i] > '9')
			return -1;
		v = v * 10 + (name.s[i] - '0');
	}
	return v <= max && !(name.s[n] == '0' && name.len > n + 1) ? v : -1;
}

static int fs_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	(void)ctx, (void)uname, (void)aname;
	*root = NODE(K_ROOT, 0, 0);
	return 0;
}

static int fs_walk1(void *ctx, void *dir, struct p9_str name, void **child)
{
	(void)ctx;
	int k = KIND(dir), d = DEV(dir);
	if (!exists(dir))
		return -P9_ENOENT;
	if (p9_str_eq(name, ".."))
		*child = NODE(K_ROOT, 0, 0);
	else if (k == K_ROOT) {
		int n = number_after(name, "sd", VDISK_MAXDEV - 1);
		if (n < 0 || !devs[n].present) {
			metta_wakeup(&scan_now); /* it may have come since */
			return -P9_ENOENT;
		}
		*child = NODE(K_DIR, n, 0);
	} else if (p9_str_eq(name, "data"))
		*child = NODE(K_DATA, d, 0);
	else if (p9_str_eq(name, "ctl"))
		*child = NODE(K_CTL, d, 0);
	else {
		int p = number_after(name, "part", 255);
		if (p <= 0 || !part_of(d, (uint32_t)p))
			return -P9_ENOENT;
		*child = NODE(K_PART, d, p);
	}
	return 0;
}

static const char *node_name(void *node)
{
	switch (KIND(node)) {
	case K_ROOT:
		return "/";
	case K_DIR:
		fmt_snprintf(namebuf, sizeof(namebuf), "sd%d", DEV(node));
		return namebuf;
	case K_DATA:
		return "data";
	case K_CTL:
		return "ctl";
	}
	fmt_snprintf(namebuf, sizeof(namebuf), "part%u", PARTNO(node));
	return namebuf;
}

/* The bytes of a file: the device's or the partition's. */
static uint64_t node_size(void *node)
{
	int d = DEV(node);
	if (KIND(node) == K_DATA)
		return devs[d].size;
	if (KIND(node) == K_PART)
		return part_of(d, PARTNO(node))->count * VDISK_SECTOR;
	return 0;
}

/* Where a file's byte 0 is on its device. */
static uint64_t node_base(void *node)
{
	if (KIND(node) != K_PART)
		return 0;
	return part_of(DEV(node), PARTNO(node))->start * VDISK_SECTOR;
}

static int fs_stat(void *ctx, void *node, struct p9_stat *st)
{
	(void)ctx;
	if (!exists(node))
		return -P9_ENODEV;
	int dir = KIND(node) <= K_DIR;
	*st = (struct p9_stat){
		.qid = { dir ? P9_QTDIR : P9_QTFILE, 0, (uintptr_t)node },
		.mode = dir ? P9_DMDIR | 0555 : 0660,
		.length = node_size(node),
		.name = p9_str(node_name(node)),
		.uid = p9_str(OWNER), .gid = p9_str(OWNER), .muid = p9_str(OWNER),
	};
	return 0;
}

static void fs_ref(void *ctx, void *node)
{
	(void)ctx, (void)node;
}

static int fs_readdir(void *ctx, void *dir, uint32_t index,
		      struct p9_stat *st)
{
	int d = DEV(dir);
	if (KIND(dir) == K_ROOT) {
		if (index == 0)
			metta_wakeup(&scan_now);
		for (int n = 0; n < VDISK_MAXDEV; n++)
			if (devs[n].present && index-- == 0)
				return fs_stat(ctx, NODE(K_DIR, n, 0), st) ?: 1;
		return 0;
	}
	if (!exists(dir))
		return -P9_ENODEV;
	if (index < 2)
		return fs_stat(ctx, NODE(index ? K_CTL : K_DATA, d, 0), st) ?: 1;
	if (index - 2 >= devs[d].parts.n)
		return 0;
	uint32_t k = devs[d].parts.p[index - 2].number;
	return fs_stat(ctx, NODE(K_PART, d, k), st) ?: 1;
}

/* What the ctl file says. */
static long ctl_text(int d)
{
	const struct dev *v = &devs[d];
	static const char *const scheme[] = { "none", "mbr", "gpt" };
	long n = fmt_snprintf(ctlbuf, sizeof(ctlbuf),
			      "size %lu\nsectorsize %d\ntable %s\n", v->size,
			      VDISK_SECTOR, scheme[v->parts.scheme]);
	for (uint32_t i = 0; i < v->parts.n; i++)
		n += fmt_snprintf(ctlbuf + n, sizeof(ctlbuf) - (size_t)n,
				  "part%u %lu %lu\n", v->parts.p[i].number,
				  v->parts.p[i].start, v->parts.p[i].count);
	n += fmt_snprintf(ctlbuf + n, sizeof(ctlbuf) - (size_t)n,
			  "requests %lu\nresent %lu\nreconnects %lu\n"
			  "inflight %u\n",
			  v->requests, v->resent, v->reconnects, io_inflight());
	return n;
}

/* Holds the request being served and queues it: P9SRV_HELD or an errno. */
static long hold(enum vreq_op op, int d, uint64_t off, uint32_t len,
		 const void *data)
{
	struct p9srv_req *q = p9srv_hold(&fs);
	if (!q)
		return -P9_EBUSY;
	int rc = io_submit(q, op, d, off, len, data);
	if (rc) { /* let it go again: the library answers the error */
		p9srv_cancel(&fs, p9srv_cookie(q));
		return rc;
	}
	return P9SRV_HELD;
}

static long fs_read(void *ctx, void *node, uint64_t offset, void *buf,
		    uint32_t count)
{
	(void)ctx;
	if (!exists(node))
		return -P9_ENODEV;
	if (KIND(node) == K_CTL) {
		long n = ctl_text(DEV(node));
		if (offset >= (uint64_t)n)
			return 0;
		if (count > n - offset)
			count = (uint32_t)(n - offset);
		memcpy(buf, ctlbuf + offset, count);
		return count;
	}
	uint64_t size = node_size(node);
	if (offset >= size || count == 0)
		return 0;
	if (count > size - offset)
		count = (uint32_t)(size - offset);
	return hold(VOP_READ, DEV(node), node_base(node) + offset, count, 0);
}

static long ctl_write(int d, const char *data, uint32_t count)
{
	while (count && (data[count - 1] == '\n' || data[count - 1] == ' '))
		count--;
	if (count == 5 && !memcmp(data, "flush", 5))
		return hold(VOP_FLUSH, d, 0, 0, 0);
	if (count == 5 && !memcmp(data, "crash", 5))
		return hold(VOP_CRASH, d, 0, 0, 0);
	if (count == 6 && !memcmp(data, "rescan", 6))
		return hold(VOP_RESCAN, d, 0, 0, 0);
	return -P9_EINVAL;
}

static long fs_write(void *ctx, void *node, uint64_t offset, const void *data,
		     uint32_t count)
{
	(void)ctx;
	if (!exists(node))
		return -P9_ENODEV;
	if (KIND(node) == K_CTL)
		return ctl_write(DEV(node), data, count);
	uint64_t size = node_size(node);
	if (offset >= size)
		return -P9_ENOSPC;
	if (count > size - offset)
		count = (uint32_t)(size - offset);
	return hold(VOP_WRITE, DEV(node), node_base(node) + offset, count, data);
}

/* Only a wstat that changes nothing: a flush of the device (fsync). */
static int fs_wstat(void *ctx, void *node, const struct p9_stat *st)
{
	(void)ctx;
	if (st->mode != ~0u || st->atime != ~0u || st->mtime != ~0u ||
	    st->length != ~0ull || st->name.len || st->gid.len)
		return -P9_EPERM;
	if (!exists(node))
		return -P9_ENODEV;
	if (KIND(node) == K_ROOT)
		return 0;
	return (int)hold(VOP_FLUSH, DEV(node), 0, 0, 0);
}

static const struct p9srv_ops ops = {
	.attach = fs_attach,
	.walk1 = fs_walk1,
	.stat = fs_stat,
	.ref = fs_ref,
	.unref = fs_ref,
	.read = fs_read,
	.readdir = fs_readdir,
	.write = fs_write,
	.wstat = fs_wstat,
};

/* Finds devices: often in the first seconds, then whenever asked (a
 * walk to an unknown sdN) and every SCAN_US. */
static void scan_thread(void)
{
	for (int n = 0;; n++) {
		unsigned ticket = metta_await_ticket(&scan_now);
		dev_scan(&scanner);
		metta_await(&scan_now, ticket,
			    n < SCAN_START_N ? SCAN_START_US : SCAN_US);
	}
}

static int start_scanner(void)
{
	uint32_t th = metta_slot_alloc();
	uint64_t top = (uint64_t)&scan_stack[sizeof(scan_stack)] - 8;
	return !th ||
	       metta_thread_create(CAP_SELF, th, (uint64_t)scan_thread, top,
				   METTA_PRIO_NORM) ||
	       metta_thread_ctl(th, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	p9srv_init(&fs, &ops, 0, P9_PORTAL_MSIZE, P9SRV_STORAGE_ARGS(fs_store));
	fs.forget = io_forget;
	metta_await_init(&scan_now);
	dev_first_scan(&scanner);
	if (io_start() || start_scanner())
		metta_printf("vdisk: cannot start its threads");
	p9_serve_portal(&fs, PORTAL);
}
