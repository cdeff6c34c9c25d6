/*
 * A 9P connection's fids: the handles a client names files by. A server
 * keeps one table per client connection, in storage the server provides (so
 * a client's fids are charged to whatever funds the connection, and a
 * client that attaches too many gets an error instead of exhausting the
 * server). Entries never move while in use, so a server may hold a pointer
 * to one across calls; a hash index finds them in constant time.
 */
#ifndef LIB_9P_FID_H
#define LIB_9P_FID_H

#include <stdint.h>

#include "9p/9p.h"

#define P9_FID_CLOSED 0xff /* mode of a fid not opened */

struct p9_fid {
	uint32_t fid;
	uint8_t inuse;
	uint8_t mode;	    /* open mode, or P9_FID_CLOSED */
	struct p9_qid qid;  /* the file it names */
	void *node;	    /* the server's object for the file */
	uint64_t diroffset; /* directory reads: next offset expected */
	uint32_t dirindex;  /* and the entry that offset starts at */
};

struct p9_fidtab {
	struct p9_fid *ents; /* cap entries */
	uint16_t *index;     /* 2*cap hash slots: entry number + 1, or 0 */
	uint32_t cap, count;
};

/*
 * Set up a table over caller storage: ents[cap] and index[2*cap]. cap is at
 * most 32767.
 */
void p9_fid_init(struct p9_fidtab *t, struct p9_fid *ents, uint16_t *index,
		 uint32_t cap);

/*
 * A new fid, closed and naming nothing yet. Returns 0 and *out, or
 * STATUS_ERR_EXIST when the fid is in use, STATUS_ERR_INVAL for NOFID,
 * STATUS_ERR_QUOTA when the table is full.
 */
int p9_fid_new(struct p9_fidtab *t, uint32_t fid, struct p9_fid **out);

/* The entry of fid, or 0 when the client has no such fid. */
struct p9_fid *p9_fid_get(const struct p9_fidtab *t, uint32_t fid);

/* Forget fid (Tclunk, Tremove). Returns 0 or STATUS_ERR_NOENT. */
int p9_fid_clunk(struct p9_fidtab *t, uint32_t fid);

#endif
