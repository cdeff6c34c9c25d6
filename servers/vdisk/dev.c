/*
 * vdisk's devices: finding the block drivers (names "blk0".."blk7"),
 * sessions with them, and what it reads once when a device appears (its
 * size and partition table).
 *
 * A driver that dies is restarted behind the same portal (by pci, or by
 * root for the test stand-in): a call in flight then ends ERR_DEAD, and
 * a new call waits in the portal until the new instance serves. So a lost
 * session is simply made again (P9_CONNECT waits for the new driver) and
 * the request resent; connection ids never repeat across a server's
 * restart (lib/9p/portal.c), so a stale capability reaches no new
 * connection: its calls are answered "unknown connection".
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "vdisk.h"

struct dev devs[VDISK_MAXDEV];

#define RETRY_US 20000 /* between tries at a portal that refuses us */
#define DEAD_CALLS 50  /* ERR_DEADs in a row: the portal is gone */
#define CONNECT_US 1000000 /* one wait for a driver to serve */
#define OPEN_TRIES 5	   /* waits for a new device's driver, then later */
#define PCI_WAIT_US 5000000 /* for pci to have started its drivers */

/* The transport: a portal call; a failed one means the driver went. */
static long rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		uint32_t rcap)
{
	struct session *s = ctx;
	uint64_t w[4] = { P9_RPC }, got = 0;
	if (metta_request(s->conn, w, t, tlen, r, rcap, &got, 0, 0)) {
		s->lost = SESSION_DIED;
		return -P9_EIO;
	}
	return (long)got;
}

int dev_lost(struct session *s)
{
	if (s->lost)
		return 1;
	const struct p9_msg *m = &s->c.reply;
	/* A new instance of the driver answers a stale connection so. */
	if (m->type == P9_RERROR && (p9_str_eq(m->ename, "unknown connection") ||
				     p9_str_eq(m->ename, "unknown fid")))
		s->lost = SESSION_STALE;
	return s->lost;
}

/* Attach and open data and ctl on a new connection. */
static int session_files(struct session *s)
{
	static const char *const data[] = { "data" }, *const ctl[] = { "ctl" };
	int rc = p9c_attach(&s->c, FID_ROOT, "root", "", 0);
	if (rc == 0 && (rc = p9c_walk(&s->c, FID_ROOT, FID_DATA, 1, data, 0)) == 1)
		rc = p9c_open(&s->c, FID_DATA, P9_ORDWR, 0);
	if (rc == 0 && (rc = p9c_walk(&s->c, FID_ROOT, FID_CTL, 1, ctl, 0)) == 1)
		rc = p9c_open(&s->c, FID_CTL, P9_ORDWR, 0);
	return rc;
}

/* One try at a session: 0, 1 to try again (the driver went meanwhile),
 * -P9_ENODEV, or the driver's error. */
static int session_try(struct session *s, uint32_t portal)
{
	/* The new connection goes to a new slot, and the old one is deleted
	 * only then: a slot of ours left empty while we wait for the driver
	 * could be handed to another thread meanwhile (a client's reply
	 * capability), and deleting it again would drop that client. */
	uint32_t slot = metta_slot_alloc();
	if (!slot)
		return 1;
	/* Waiting while nobody serves (the driver restarts) is bounded, so
	 * that a thread's caller may give up on a driver that stays away. */
	uint64_t w[4] = { P9_CONNECT };
	struct metta_msg m = { .recv_caps = { slot },
			       .nrecv_caps = 1,
			       .timeout_us = CONNECT_US };
	long st = metta_call(portal, &m, w);
	if (st == 0)
		st = (long)w[0];
	if (st == STATUS_ERR_BADCAP || st == STATUS_ERR_TYPE)
		return -P9_ENODEV;
	/* ERR_DEAD: the driver died during this call (it is restarted), or
	 * nobody keeps the portal any more (it fails at once, every time). */
	if (st == STATUS_ERR_DEAD && ++s->dead_calls >= DEAD_CALLS)
		return -P9_ENODEV;
	if (st)
		return 1;
	s->dead_calls = 0;
	if (s->conn)
		metta_cap_delete(s->conn);
	s->conn = slot;
	s->lost = 0;
	int rc = p9c_init(&s->c, rpc, s, s->c.t, s->c.r, P9_PORTAL_MSIZE);
	if (rc == 0)
		rc = session_files(s);
	if (rc > 0) /* a walk that stopped short */
		rc = -P9_ENOENT;
	if (rc && !dev_lost(s))
		metta_printf("vdisk: a driver refuses a session (error %d)",
			     -rc);
	return rc && dev_lost(s) ? 1 : rc;
}

int dev_session(struct client *cl, int d, struct session **out)
{
	return dev_session_tries(cl, d, out, 0);
}

int dev_session_tries(struct client *cl, int d, struct session **out,
		      int tries)
{
	struct session *s = &cl->s[d];
	*out = s;
	if (s->up && !s->lost)
		return 0;
	if (s->up) {
		__atomic_fetch_add(&devs[d].reconnects, 1, __ATOMIC_RELAXED);
		dev_note_loss(s, d);
	}
	s->up = 0;
	s->c.t = cl->t, s->c.r = cl->r;
	for (;;) {
		int rc = session_try(s, devs[d].portal);
		if (rc <= 0) {
			s->up = rc == 0;
			s->gen = __atomic_load_n(&devs[d].gen, __ATOMIC_RELAXED);
			return rc;
		}
		if (tries && --tries == 0)
			return -P9_ETIMEDOUT;
		metta_sleep(RETRY_US);
	}
}

int dev_note_loss(struct session *s, int d)
{
	/* The first to see this driver go tells the other threads. */
	unsigned g = s->gen;
	return s->lost && __atomic_compare_exchange_n(&devs[d].gen, &g, g + 1,
						      0, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED);
}

void dev_drop(struct session *s)
{
	if (s->conn)
		metta_cap_delete(s->conn); /* the slot is ours no more */
	s->conn = 0;
	s->up = 0;
	s->lost = 0;
}

void dev_drop_stale(struct client *cl)
{
	for (int d = 0; d < VDISK_MAXDEV; d++)
		if (cl->s[d].up &&
		    cl->s[d].gen != __atomic_load_n(&devs[d].gen,
						    __ATOMIC_RELAXED))
			dev_drop(&cl->s[d]);
}

/* part_scan's reader: one sector through the scanning session. */
static int read_sector(void *ctx, uint64_t lba, uint8_t *buf)
{
	struct session *s = ctx;
	long n = p9c_read(&s->c, FID_DATA, lba * VDISK_SECTOR, buf,
			  VDISK_SECTOR);
	return n == VDISK_SECTOR ? 0 : n < 0 ? (int)n : -P9_EIO;
}

/* Opens device d whose portal is in devs[d].portal: its size and table.
 * 0, or an errno (the caller tries again at the next scan). */
static int dev_open(struct client *cl, int d)
{
	struct session *s;
	struct p9_stat st;
	int rc = dev_session_tries(cl, d, &s, OPEN_TRIES);
	if (rc == 0)
		rc = p9c_stat(&s->c, FID_DATA, &st);
	if (rc)
		return rc;
	uint64_t size = st.length - st.length % VDISK_SECTOR;
	struct part_table t;
	rc = dev_read_table(s, size, &t);
	dev_drop(s); /* the scanner's session is not kept */
	if (rc)
		return rc;
	p9_portal_lock();
	devs[d].size = size;
	devs[d].parts = t;
	devs[d].present = 1;
	p9_portal_unlock();
	dev_log_table(d);
	return 0;
}

int dev_read_table(struct session *s, uint64_t size, struct part_table *t)
{
	return part_scan(read_sector, s, size / VDISK_SECTOR, t);
}

void dev_log_table(int d)
{
	const struct part_table *t = &devs[d].parts;
	metta_printf("vdisk: sd%d: blk%d, %lu bytes, %u %s partitions%s", d, d,
		     devs[d].size, t->n,
		     t->scheme == PART_GPT   ? "GPT"
		     : t->scheme == PART_MBR ? "MBR"
					     : "(no table)",
		     t->bad ? " (some outside the disk, left out)" : "");
}

void dev_scan(struct client *cl)
{
	for (int d = 0; d < VDISK_MAXDEV; d++) {
		if (devs[d].present)
			continue;
		char name[8];
		fmt_snprintf(name, sizeof(name), "blk%d", d);
		/* A fresh slot at each look-up (see session_try): one kept
		 * empty is not ours. */
		uint32_t slot = devs[d].portal ? 0 : metta_slot_alloc();
		if (!devs[d].portal &&
		    (!slot || metta_names_lookup(name, slot)))
			continue;
		if (slot)
			devs[d].portal = slot;
		int rc = dev_open(cl, d);
		if (rc)
			metta_printf("vdisk: blk%d: cannot open it (error %d)",
				     d, -rc);
	}
}

/*
 * At start-up, before serving: once pci answers a call it has found its
 * devices and published their drivers' names (it serves only after), so
 * the disks there are now are found before anyone walks to them (root
 * starts ext2 on sd0/data right after us). Without pci, nothing to wait
 * for.
 */
void dev_first_scan(struct client *cl)
{
	metta_pci_settled(PCI_WAIT_US);
	dev_scan(cl);
}
