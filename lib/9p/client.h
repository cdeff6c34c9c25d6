/*
 * A 9P2000 client: one connection to one file server, one request at a
 * time. Each call builds a T-message with the codec, hands it to the
 * transport (on Metta a portal call, lib/9p/portal.c) and checks that the
 * reply is the R-message of the same type and tag. Results are 0 (or a
 * count) and failures a negative Linux errno (lib/9p/errstr.h): the
 * server's Rerror mapped by its string, P9_EIO for a transport failure or
 * a reply that is malformed or of the wrong kind.
 */
#ifndef LIB_9P_CLIENT_H
#define LIB_9P_CLIENT_H

#include <stdint.h>

#include "9p/9p.h"

/*
 * The transport: send tlen bytes of T-message, receive the R-message into
 * r (rcap bytes). Returns the R-message's length, or a negative errno.
 */
typedef long (*p9c_rpc_fn)(void *ctx, const uint8_t *t, uint32_t tlen,
			   uint8_t *r, uint32_t rcap);

struct p9c {
	p9c_rpc_fn rpc;
	/* Several T-messages in one exchange, their R-messages back to back
	 * (Metta's P9_BATCH); 0 when the transport has none. */
	p9c_rpc_fn batch;
	/* Fids to clunk without waiting (p9c_clunk_later), the client's
	 * storage of P9C_LATER; their Tclunks go in front of the next
	 * batchable request's batch. 0: clunks wait. */
	uint32_t *later;
	int *nlater;
	void *ctx;
	uint32_t msize; /* agreed with Tversion */
	uint16_t tag;
	/* Set by a client that shares the connection with other processes
	 * (the POSIX runtime after fork): tags then come from this counter,
	 * which they all use, so no two requests in flight share a tag. */
	uint32_t *tags;
	uint8_t *t, *r; /* message buffers of bufsize bytes each */
	uint32_t bufsize;
	struct p9_msg reply; /* the last reply, decoded (points into r) */
};

/* Sets up c and agrees on msize (at most bufsize) with Tversion. */
int p9c_init(struct p9c *c, p9c_rpc_fn rpc, void *ctx, uint8_t *tbuf,
	     uint8_t *rbuf, uint32_t bufsize);

/* Most data bytes one Tread or Twrite carries. */
static inline uint32_t p9c_iounit(const struct p9c *c)
{
	return c->msize - P9_IOHDR;
}

int p9c_attach(struct p9c *c, uint32_t fid, const char *uname,
	       const char *aname, struct p9_qid *qid);

/*
 * Walks newfid from fid through n names (n <= P9_MAXWELEM; 0 clones).
 * Returns the number of names walked: n on success, fewer when a later
 * name failed (newfid then names nothing), or an errno when the first did.
 */
int p9c_walk(struct p9c *c, uint32_t fid, uint32_t newfid, int n,
	     const char *const *names, struct p9_qid *last);

/*
 * p9c_walk, then a Topen of newfid with mode, in one exchange when the
 * transport has a batch (and n >= 1): *open_rc is 0 when newfid is open,
 * else the open's errno (-P9_ENOTSUP: not tried, the caller opens as
 * ever; the transport's -P9_ENOTSUP also clears c->batch).
 */
int p9c_walk_open(struct p9c *c, uint32_t fid, uint32_t newfid, int n,
		  const char *const *names, struct p9_qid *last, uint8_t mode,
		  int *open_rc);

#define P9C_LATER 6 /* clunks waiting for a batch, at most */
/*
 * Clunks fid without waiting for it, for a caller that knows the server
 * has batches and that this clunk changes nothing others see
 * (P9_BATCH_QUIET_CLUNK): its Tclunk goes in the batch of the next
 * request on this connection that may be batched (every one but Tread,
 * Twrite, Twstat, Tversion, Tflush, which send the waiting clunks first),
 * so the server sees it before anything we ask later. With no room (after
 * sending those waiting), or no batch, it clunks now. 0 or an errno.
 */
int p9c_clunk_later(struct p9c *c, uint32_t fid);
/* Sends the waiting clunks now (one batch): before the end, say. */
void p9c_flush_later(struct p9c *c);

int p9c_open(struct p9c *c, uint32_t fid, uint8_t mode, struct p9_qid *qid);
int p9c_create(struct p9c *c, uint32_t fid, const char *name, uint32_t perm,
	       uint8_t mode, struct p9_qid *qid);

/* At most p9c_iounit bytes; returns the count or an errno. */
long p9c_read(struct p9c *c, uint32_t fid, uint64_t offset, void *buf,
	      uint32_t count);
/* The same, leaving the bytes in the client's reply buffer at *data
 * (valid until the next call): for callers that check where they go. */
long p9c_read_ref(struct p9c *c, uint32_t fid, uint64_t offset, uint32_t count,
		  const uint8_t **data);
long p9c_write(struct p9c *c, uint32_t fid, uint64_t offset, const void *buf,
	       uint32_t count);

int p9c_clunk(struct p9c *c, uint32_t fid);
int p9c_remove(struct p9c *c, uint32_t fid);
/* A hard link name in directory dfid to the file fid (Tlink). */
int p9c_link(struct p9c *c, uint32_t dfid, uint32_t fid, const char *name);
/*
 * oldname of directory olddfid becomes newname of newdfid (Trenameat),
 * replacing what newname named as rename(2) does. A server without it
 * gives -P9_EXDEV, so a caller can do what it did without (a rename
 * within one directory by wstat, a copy across).
 */
int p9c_renameat(struct p9c *c, uint32_t olddfid, const char *oldname,
		 uint32_t newdfid, const char *newname);
/* The size and free space of fid's file system (Tstatfs). */
int p9c_statfs(struct p9c *c, uint32_t fid, struct p9_statfs *sf);

/* The file's stat; its strings point into the client's reply buffer and
 * live until the next call. */
int p9c_stat(struct p9c *c, uint32_t fid, struct p9_stat *st);

/* Changes what st says (fields at their "don't touch" values are kept:
 * p9c_nochange fills a stat with them). */
int p9c_wstat(struct p9c *c, uint32_t fid, const struct p9_stat *st);
void p9c_nochange(struct p9_stat *st);

#endif
