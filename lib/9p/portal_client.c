/* 9P2000 over portals, the client's side: see portal.h. Apart from the
 * server's side (portal.c) so that a client (the POSIX runtime) links no
 * server code or buffers. */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/errstr.h"
#include "9p/portal.h"

/* One call of operation op carrying messages t[tlen], the answer in
 * r[rcap]: its length or an errno; the reply's w1 in *w1. */
static long exchange(uint64_t op, void *ctx, const uint8_t *t, uint32_t tlen,
		     uint8_t *r, uint32_t rcap, uint64_t *w1)
{
	uint64_t w[4] = { op }, got = 0;
	long rc = metta_request((uint32_t)(uintptr_t)ctx, w, t, tlen, r, rcap,
				&got, 0, 0);
	*w1 = rc ? 0 : w[1];
	if (rc == STATUS_ERR_INTR)
		return -P9_EINTR; /* the client flushes the tag */
	if (rc == STATUS_ERR_NOTSUP)
		return -P9_ENOTSUP;
	return rc ? -P9_EIO : (long)got;
}

long p9_portal_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		   uint32_t rcap)
{
	uint64_t w1;
	long n = exchange(P9_RPC, ctx, t, tlen, r, rcap, &w1);
	return n == -P9_ENOTSUP ? -P9_EIO : n;
}

long p9_portal_batch(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		     uint32_t rcap, uint64_t *flags)
{
	return exchange(P9_BATCH, ctx, t, tlen, r, rcap, flags);
}

/* The result of a P9_READ or P9_WRITE request (rc) and its reply w. */
static long raw_result(long rc, const uint64_t *w)
{
	if (rc == STATUS_ERR_NOTSUP)
		return -P9_ENOTSUP;
	if (rc == STATUS_ERR_INTR)
		return -P9_EINTR;
	if (rc)
		return -P9_EIO;
	return w[1] ? -(long)w[1] : (long)w[2];
}

long p9_portal_read(uint32_t conn, uint32_t fid, uint64_t offset, void *buf,
		    uint32_t count)
{
	uint64_t w[4] = { P9_READ, fid, offset, count }, got = 0;
	long rc = metta_request(conn, w, 0, 0, buf, count, &got, 0, 0);
	long n = raw_result(rc, w);
	return n > (long)got ? -P9_EIO : n; /* the bytes it says came */
}

long p9_portal_write(uint32_t conn, uint32_t fid, uint64_t offset,
		     const void *buf, uint32_t count)
{
	uint64_t w[4] = { P9_WRITE, fid, offset };
	long rc = metta_request(conn, w, buf, count, 0, 0, 0, 0, 0);
	long n = raw_result(rc, w);
	return n > (long)count ? -P9_EIO : n;
}

int p9_portal_connect(struct p9c *c, uint32_t service, uint32_t conn,
		      uint8_t *tbuf, uint8_t *rbuf)
{
	uint64_t w[4] = { P9_CONNECT };
	if (metta_request(service, w, 0, 0, 0, 0, 0, 0, conn))
		return -P9_EIO;
	int rc = p9c_init(c, p9_portal_rpc, (void *)(uintptr_t)conn, tbuf, rbuf,
			  P9_PORTAL_MSIZE);
	if (rc) {
		p9_portal_hangup(conn);
		metta_cap_delete(conn);
	}
	return rc;
}

void p9_portal_hangup(uint32_t conn)
{
	uint64_t w[4] = { P9_HANGUP };
	metta_request(conn, w, 0, 0, 0, 0, 0, 0, 0);
}
