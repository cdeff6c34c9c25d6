/* 9P2000 over portals, the client's side: see portal.h. Apart from the
 * server's side (portal.c) so that a client (the POSIX runtime) links no
 * server code or buffers. */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/errstr.h"
#include "9p/portal.h"

long p9_portal_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		   uint32_t rcap)
{
	uint64_t w[4] = { P9_RPC }, got = 0;
	long rc = metta_request((uint32_t)(uintptr_t)ctx, w, t, tlen, r, rcap,
				&got, 0, 0);
	if (rc == STATUS_ERR_INTR)
		return -P9_EINTR; /* the client flushes the tag */
	return rc ? -P9_EIO : (long)got;
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
