/*
 * ext2: an ext2 file system on a disk, served over 9P (docs/servers.md).
 * argv: `ext2.srv PATH [ro]`; slot 12 a 9P portal (vdisk's, or any file
 * server's) in which PATH names the device file; slot 5 our portal.
 * The device is reached with lib/9p's client: reads and writes at byte
 * offsets, a null Twstat as its flush. lib/ext2 does the rest; a thread
 * writes dirty blocks back every few seconds, and P9_SYNCFS (root, at
 * power-off) writes everything and marks the file system clean.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/portal.h"
#include "9p/srv.h"
#include "ext2/ext2.h"
#include "ops.h"

#define PORTAL	    5
#define DEVICE	    12
#define MSIZE	    P9_PORTAL_MSIZE
#define NCONN	    16
#define NFID	    256
#define CACHE_BYTES (6u << 20)
#define FLUSH_US    3000000 /* dirty blocks reach the disk within this */
#define DEV_ROOT    0	    /* the device server's fids */
#define DEV_FILE    1

static struct ext2 fs;
static struct p9srv srv;
static P9SRV_STORAGE(store, NCONN, NFID);
static uint8_t cache[CACHE_BYTES] __attribute__((aligned(4096)));
static uint8_t dev_t_buf[MSIZE], dev_r_buf[MSIZE];
static struct p9c dev;
static uint64_t boot_epoch;
static int mounted; /* else every attach is refused (ext2srv_refuse) */
static uint8_t flusher_stack[16384] __attribute__((aligned(16)));

static uint32_t now(void)
{
	return (uint32_t)(boot_epoch + (uint64_t)metta_clock() / 1000000000);
}

static void clock_init(void)
{
	uint64_t w[4] = { TOD_GET };
	if (metta_request(CAP_TOD, w, 0, 0, 0, 0, 0, 0, 0) == 0)
		boot_epoch = w[1] - (uint64_t)metta_clock() / 1000000000;
}

/* The device: whole transfers in iounit pieces; short means failed. */
static int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	for (size_t done = 0; done < len;) {
		uint32_t k = p9c_iounit(&dev);
		if (k > len - done)
			k = (uint32_t)(len - done);
		long n = p9c_read(&dev, DEV_FILE, off + done,
				  (uint8_t *)buf + done, k);
		if (n <= 0)
			return n < 0 ? (int)n : -P9_EIO;
		done += (size_t)n;
	}
	return 0;
}

static int dev_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	(void)ctx;
	for (size_t done = 0; done < len;) {
		uint32_t k = p9c_iounit(&dev);
		if (k > len - done)
			k = (uint32_t)(len - done);
		long n = p9c_write(&dev, DEV_FILE, off + done,
				   (const uint8_t *)buf + done, k);
		if (n <= 0)
			return n < 0 ? (int)n : -P9_EIO;
		done += (size_t)n;
	}
	return 0;
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	struct p9_stat st;
	p9c_nochange(&st);
	return p9c_wstat(&dev, DEV_FILE, &st);
}

/* Connect to the device server and open path: 0 or an errno. */
static int dev_open(const char *path, int ro)
{
	struct p9_qid qid;
	uint32_t conn = metta_slot_alloc();
	int rc =
	    conn ? p9_portal_connect(&dev, DEVICE, conn, dev_t_buf, dev_r_buf)
		 : -P9_ENOMEM;
	if (rc || (rc = p9c_attach(&dev, DEV_ROOT, "root", "", &qid)))
		return rc;
	static char buf[256];
	const char *names[P9_MAXWELEM];
	int n = 0;
	size_t len = strlen(path);
	if (len >= sizeof(buf))
		return -P9_ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *s = buf; *s && n < P9_MAXWELEM;) {
		while (*s == '/')
			*s++ = 0;
		if (*s)
			names[n++] = s;
		while (*s && *s != '/')
			s++;
	}
	rc = p9c_walk(&dev, DEV_ROOT, DEV_FILE, n, names, &qid);
	if (rc != n)
		return rc < 0 ? rc : -P9_ENOENT;
	return p9c_open(&dev, DEV_FILE, ro ? P9_OREAD : P9_ORDWR, &qid);
}

static const struct ext2_dev device = { dev_read, dev_write, dev_flush, 0 };

/* Writes dirty blocks back every FLUSH_US. */
static void flusher(void)
{
	uint32_t ev = metta_slot_alloc();
	if (!ev || metta_event_create(ev))
		metta_exit(1);
	for (;;) {
		metta_event_wait(ev, 1, FLUSH_US);
		p9_portal_lock();
		if (ext2_writeback(&fs))
			metta_printf("ext2: write-back: %s\n", fs.msg);
		p9_portal_unlock();
	}
}

static void start_flusher(void)
{
	uint32_t th = metta_slot_alloc();
	uint64_t top = (uint64_t)&flusher_stack[sizeof(flusher_stack)] - 8;
	if (!th ||
	    metta_thread_create(CAP_SELF, th, (uint64_t)flusher, top,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(th, THREAD_START, 0))
		metta_printf("ext2: no write-back thread (sync writes back)\n");
}

/* P9_SYNCFS: everything on the disk, marked clean. STATUS_ERR_NOENT when
 * nothing is mounted (root learns the disk holds no file system of ours),
 * STATUS_ERR_CORRUPT when the device failed; w1 the errno (0 if none). */
static long op_syncfs(struct server_call *c)
{
	if (!mounted) {
		c->w[1] = P9_ENODEV;
		return STATUS_ERR_NOENT;
	}
	p9_portal_lock();
	int rc = ext2_syncfs(&fs);
	if (rc)
		metta_printf("ext2: syncfs: %s\n", fs.msg);
	p9_portal_unlock();
	c->w[1] = (uint64_t)-rc;
	return rc ? STATUS_ERR_CORRUPT : STATUS_OK;
}

/* What was mounted, to the log. */
static void announce(const char *path)
{
	struct ext2_statfs st;
	if (fs.msg[0])
		metta_printf("ext2: %s: %s\n", path, fs.msg);
	ext2_statfs(&fs, &st);
	metta_printf("ext2: %s: %u-byte blocks, %lu of %lu free, %lu of %lu "
		     "inodes free%s\n",
		     path, st.bsize, (unsigned long)st.bfree,
		     (unsigned long)st.blocks, (unsigned long)st.ffree,
		     (unsigned long)st.files, fs.ro ? " (read-only)" : "");
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	int ro = argc > 2 && strcmp(argv[2], "ro") == 0;
	if (argc < 2 || (argc > 2 && !ro)) {
		metta_printf("ext2: usage: ext2.srv PATH [ro]\n");
		return 1;
	}
	clock_init();
	int rc = dev_open(argv[1], ro);
	if (rc) {
		metta_printf("ext2: %s: %s; serving nothing\n", argv[1],
			     p9_errstr(-rc));
		ext2srv_refuse(rc);
	} else if ((rc = ext2_mount(&fs, &device, cache, sizeof(cache), now,
				    ro))) {
		metta_printf("ext2: %s: %s; serving nothing\n", argv[1],
			     fs.msg);
		ext2srv_refuse(rc == -P9_ENOMEM ? rc : -P9_EIO);
	} else {
		mounted = 1;
		announce(argv[1]);
	}
	p9srv_init(&srv, &ext2srv_ops, &fs, MSIZE, P9SRV_STORAGE_ARGS(store));
	srv.quiet_clunk = 1; /* a reader's clunk is unseen */
	p9_portal_share_tree(&srv); /* its names change only by 9P */
	ext2srv_pages_init(&srv);   /* files read from memory (pages.c) */
	static const server_op ops[] = { P9_PORTAL_OPS, [P9_SYNCFS] =
							    op_syncfs };
	static struct server s = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };
	p9_portal_init(&srv, PORTAL);
	if (mounted && !fs.ro)
		start_flusher();
	server_run(&s);
}
