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

#include "state.h"

int chan_open(struct ofile *f, const char *service)
{
	uint32_t svc = metta_slot_alloc();
	if (!svc)
		return -P9_ENFILE;
	int rc = metta_names_lookup(service, svc) ? -P9_ENOENT : 0;
	if (rc == 0) {
		uint32_t conn = metta_slot_alloc();
		uint64_t w[4] = { P9_CONNECT };
		if (!conn || metta_request(svc, w, 0, 0, 0, 0, 0, 0, conn))
			rc = -P9_EIO;
		else
			f->chan = conn;
	}
	metta_cap_delete(svc);
	return rc;
}

static long chan_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	if (n > P9_PORTAL_MSIZE)
		return -P9_EINVAL;
	long got =
	    p9_portal_rpc((void *)(uintptr_t)f->chan, (const uint8_t *)ubuf,
			  (uint32_t)n, rt.chan_reply, sizeof(rt.chan_reply));
	if (got < 0)
		return -P9_EIO;
	rt.chan_len = (uint64_t)got;
	rt.chan_owner = f;
	return (long)n;
}

/* The reply to the last write on f (what does not fit is dropped). */
static long chan_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	if (rt.chan_owner != f)
		return 0;
	uint64_t k = n < rt.chan_len ? n : rt.chan_len;
	long rc = user_writable(ubuf, k);
	if (rc)
		return rc;
	memcpy((void *)ubuf, rt.chan_reply, k);
	rt.chan_owner = 0;
	return (long)k;
}

static void chan_close(struct ofile *f)
{
	if (!f->chan)
		return; /* it never connected */
	if (rt.chan_owner == f)
		rt.chan_owner = 0;
	p9_portal_hangup(f->chan);
	metta_cap_delete(f->chan);
	f->chan = 0;
}

/* A channel is like a pipe to a Linux program. */
static long chan_stat(struct ofile *f, struct lx_stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_mode = LX_S_IFCHR | 0600;
	return 0;
}

const struct file_ops chan_ops = {
	.kind = "channel",
	.read = chan_read,
	.write = chan_write,
	.close = chan_close,
	.stat = chan_stat,
};
