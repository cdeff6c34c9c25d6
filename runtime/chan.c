/*
 * Raw 9P channels, as in Plan 9: /srv/NAME opened for reading and writing
 * is a new connection to the service NAME. Each write is one T-message,
 * passed on unchanged (malformed or not: the server must cope), and the
 * next read returns its R-message. Programs that speak 9P themselves use
 * this; so do the tests of the servers' protocol handling.
 */
#include <9p/portal.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "fd.h"

static uint8_t reply[P9_PORTAL_MSIZE];
static uint64_t reply_len;
static const struct ofile *reply_owner;

int chan_open(struct ofile *f, const char *service)
{
	uint32_t svc = metta_slot_alloc();
	if (!svc)
		return -LX_ENFILE;
	int rc = metta_names_lookup(service, svc) ? -LX_ENOENT : 0;
	if (rc == 0) {
		uint32_t conn = metta_slot_alloc();
		uint64_t w[4] = { P9_CONNECT };
		if (!conn || metta_request(svc, w, 0, 0, 0, 0, 0, 0, conn))
			rc = -LX_EIO;
		else
			f->chan = conn;
	}
	metta_cap_delete(svc);
	return rc;
}

long chan_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	long rc = user_readable(ubuf, n);
	if (rc)
		return rc;
	if (n > P9_PORTAL_MSIZE)
		return -LX_EINVAL;
	long got =
	    p9_portal_rpc((void *)(uintptr_t)f->chan, (const uint8_t *)ubuf,
			  (uint32_t)n, reply, sizeof(reply));
	if (got < 0)
		return -LX_EIO;
	reply_len = (uint64_t)got;
	reply_owner = f;
	return (long)n;
}

/* The reply to the last write on f (what does not fit is dropped). */
long chan_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	if (reply_owner != f)
		return 0;
	uint64_t k = n < reply_len ? n : reply_len;
	long rc = user_writable(ubuf, k);
	if (rc)
		return rc;
	memcpy((void *)ubuf, reply, k);
	reply_owner = 0;
	return (long)k;
}

void chan_close(struct ofile *f)
{
	if (reply_owner == f)
		reply_owner = 0;
	p9_portal_hangup(f->chan);
	metta_cap_delete(f->chan);
	f->chan = 0;
}
