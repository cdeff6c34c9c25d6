/*
 * 9P2000 over portals (metta/proto.h): the Metta transport of lib/9p.
 * One portal call carries one T-message and its reply the R-message.
 */
#ifndef LIB_9P_PORTAL_H
#define LIB_9P_PORTAL_H

#include <server/server.h>
#include <stdint.h>

#include "9p/client.h"
#include "9p/srv.h"

/*
 * A connection's badge is its id with this bit set, apart from any badge
 * the server's own protocol gives out (names's registrar's is 1).
 */
#define P9_CONN_BADGE (1ull << 62)

/* The message size a portal carries: 64 KiB of data and the 9P header. */
#define P9_PORTAL_MSIZE (64 * 1024 + P9_IOHDR)

/*
 * Client side. p9_portal_connect asks the server behind `service` for a
 * connection of our own (a badged capability, put in slot conn) and
 * negotiates the version over it; c then talks over slot conn. The
 * buffers are P9_PORTAL_MSIZE bytes each.
 */
int p9_portal_connect(struct p9c *c, uint32_t service, uint32_t conn,
		      uint8_t *tbuf, uint8_t *rbuf);

/* Ends the connection in slot conn (the server clunks its fids). */
void p9_portal_hangup(uint32_t conn);

/*
 * P9_READ and P9_WRITE on the connection in slot conn (metta/proto.h):
 * the bytes go straight between buf and the server, no 9P message and no
 * copy on our side. The count moved, a negative errno, -P9_ENOTSUP when
 * the server has not these operations (speak 9P), or -P9_EINTR when our
 * caller was interrupted (the server ends the request: no flush). buf
 * must be writable for count bytes (read).
 */
long p9_portal_read(uint32_t conn, uint32_t fid, uint64_t offset, void *buf,
		    uint32_t count);
long p9_portal_write(uint32_t conn, uint32_t fid, uint64_t offset,
		     const void *buf, uint32_t count);

/* p9c_rpc_fns: ctx is the connection's slot, as (uintptr_t). The batch
 * (P9_BATCH) gives -P9_ENOTSUP when the server has none, and the reply's
 * flags (P9_BATCH_QUIET_CLUNK) in *flags. */
long p9_portal_batch(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		     uint32_t rcap, uint64_t *flags);
long p9_portal_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		   uint32_t rcap);

/*
 * Server side: the P9_* operations for a lib/server dispatch table, for
 * the one 9P file server s of this program, served on `portal` (which
 * must hold CALL and GRANT besides SERVE, to mint connections). Calls are
 * serialised by one lock: the file server need not be thread-safe, and
 * never blocks under it — a read or write that must wait holds its
 * request (p9srv_hold) and is answered later by whichever thread has
 * what it waits for, under the same lock (p9_portal_lock). A thread
 * started here takes the nucleus's notices: a connection whose last
 * capability went (its client died) is hung up, a held request whose
 * caller was interrupted ends unanswered.
 */
void p9_portal_init(struct p9srv *s, uint32_t portal);
/*
 * Calls of the server's own protocol that it holds (server_hold) use
 * cookies with this bit; when such a caller gives up, fn is called with
 * the cookie, under the lock.
 */
#define P9_PORTAL_OWN_COOKIE (1ull << 63)
void p9_portal_on_cancel(void (*fn)(uint64_t cookie));

/* The lock every call into s is made under (for answering later). */
void p9_portal_lock(void);
void p9_portal_unlock(void);
long p9_portal_op_rpc(struct server_call *c);
long p9_portal_op_connect(struct server_call *c);
long p9_portal_op_hangup(struct server_call *c);
long p9_portal_op_stats(struct server_call *c);
long p9_portal_op_memory(struct server_call *c);
long p9_portal_op_memstate(struct server_call *c);
long p9_portal_op_read(struct server_call *c);
long p9_portal_op_write(struct server_call *c);
long p9_portal_op_batch(struct server_call *c);
long p9_portal_op_treestate(struct server_call *c);
/*
 * Shares s's tree version with its clients (P9_TREESTATE): for a file
 * system whose names change only by 9P (ramfs, ext2), before serving. Its
 * page is mapped at P9_PORTAL_TREE_VA, which such a server leaves free.
 * 0 or -P9_ENOMEM (then clients walk every time, as before).
 */
#define P9_PORTAL_TREE_VA 0x5f0000000000ull
int p9_portal_share_tree(struct p9srv *s);
/* The 9P-over-portal operations, for a server's table of its own. */
#define P9_PORTAL_OPS                                                    \
	[P9_RPC] = p9_portal_op_rpc, [P9_CONNECT] = p9_portal_op_connect,    \
	[P9_HANGUP] = p9_portal_op_hangup, [P9_STATS] = p9_portal_op_stats,  \
	[P9_MEMORY] = p9_portal_op_memory,                                   \
	[P9_MEMSTATE] = p9_portal_op_memstate, [P9_READ] = p9_portal_op_read, \
	[P9_WRITE] = p9_portal_op_write, [P9_BATCH] = p9_portal_op_batch,     \
	[P9_TREESTATE] = p9_portal_op_treestate

/* A program that is only a 9P server: serves s on portal for ever. */
void p9_serve_portal(struct p9srv *s, uint32_t portal)
    __attribute__((noreturn));

#endif
