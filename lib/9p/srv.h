/*
 * p9srv: the 9P2000 file server library every Metta file server uses.
 *
 * It is transport independent: the transport hands p9srv_serve() one
 * complete T-message and the id of the client connection it came on, and
 * sends back the R-message it returns. The library owns the protocol:
 * version negotiation, fids, walks, open modes and permission checks,
 * directory reads, the offset rule, error replies. The file system behind
 * it only supplies the operations of struct p9srv_ops on its own nodes.
 *
 * Nodes are opaque pointers owned by the file system, which counts
 * references: every node an operation hands out (attach, walk1, create)
 * carries one reference for the caller, and the library calls unref when
 * the fid naming it goes away (and ref when a fid is cloned). So a removed
 * file stays valid while fids still name it.
 *
 * Operations return 0 (or a count) on success, or a negative Linux errno
 * (P9_E* of 9p/errstr.h), which becomes an Rerror with p9_errstr(). Every
 * Rerror leaves the connection's state as it was, except Tremove, which
 * clunks the fid even when the removal fails (remove(5)).
 *
 * A Tread whose offset has READY_QUERY (metta/proto.h) is a readiness
 * query for poll: it reads no data, so a file open only for writing may
 * ask it too; the fs answers it in its read operation. So may a Tread
 * with SOCK_INFO (the pipe server's: who is at a socket's other end).
 *
 * Answering later (Plan 9's lib9p Req/respond): a read or write that must
 * wait (an empty pipe, the console) calls p9srv_hold() for the request
 * being served and returns P9SRV_HELD; p9srv_serve() then returns
 * P9SRV_HELD instead of a reply, and the transport keeps its caller (a
 * reply capability) in the request's handle. Later the fs answers with
 * p9srv_respond_read/_write/_error, which encode the R-message and hand
 * it to the transport's answer function. A held request ends unanswered
 * when it is flushed (Tflush of its tag), its fid goes, its connection
 * hangs up, or its caller gave up (p9srv_cancel): the fs's forget
 * function is told first, so it drops the request from its queues.
 *
 * The library is not thread-safe: the transport serialises every call
 * into it (serve, hangup, respond, cancel) with one lock, and no handler
 * ever blocks while holding it (it holds the request instead).
 */
#ifndef LIB_9P_SRV_H
#define LIB_9P_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "9p/9p.h"
#include "9p/errstr.h"
#include "9p/fid.h"

#define P9SRV_UNAME_MAX 63  /* longest uname an attach may give */
#define P9SRV_MINOUT	256 /* smallest reply buffer p9srv_serve accepts */

struct p9srv_ops {
	/*
	 * The root of the tree for a new attach (a referenced node). uname
	 * is the user, aname the tree asked for (usually empty).
	 */
	int (*attach)(void *ctx, struct p9_str uname, struct p9_str aname,
		      void **root);
	/*
	 * The entry name of directory dir, referenced. The library checks
	 * that dir is a directory the user may search and walks ".." at the
	 * attach root itself (it stays there); the fs must still make ".."
	 * of its own root give the root. Returns -P9_ENOENT when there is no
	 * such entry.
	 */
	int (*walk1)(void *ctx, void *dir, struct p9_str name, void **child);
	/*
	 * The stat of node. Strings point at the fs's storage and must stay
	 * valid until the next call into the fs.
	 */
	int (*stat)(void *ctx, void *node, struct p9_stat *st);
	void (*ref)(void *ctx, void *node);
	void (*unref)(void *ctx, void *node);

	/* The rest may be 0: the request then fails "not supported". */

	/*
	 * Called by Topen after the library's mode and permission checks
	 * (mode as sent: OTRUNC is the fs's to do here). 0 when absent.
	 */
	int (*open)(void *ctx, void *node, uint8_t mode);
	/* Up to count bytes of a file at offset: bytes read (0 at end). */
	long (*read)(void *ctx, void *node, uint64_t offset, void *buf,
		     uint32_t count);
	/*
	 * Entry index (0, 1, ...) of directory dir into *st: 1, or 0 past
	 * the last entry. Strings as for stat.
	 */
	int (*readdir)(void *ctx, void *dir, uint32_t index,
		       struct p9_stat *st);
	/* Write count bytes at offset: bytes written (at least 1). */
	long (*write)(void *ctx, void *node, uint64_t offset, const void *data,
		      uint32_t count);
	/*
	 * Create name in dir for uname with perm as sent (the fs applies
	 * create(5)'s masking) and return the new node, referenced. The
	 * library has checked write permission on dir and the name; the fs
	 * answers -P9_EEXIST for a name in use.
	 */
	int (*create)(void *ctx, void *dir, struct p9_str name, uint32_t perm,
		      uint8_t mode, struct p9_str uname, void **node);
	/* Unlink node (the fs decides who may; the reference stays). */
	int (*remove)(void *ctx, void *node);
	/*
	 * Apply a wstat whose permission checks the library did: fields are
	 * "don't touch" when ~0 (numbers) or empty (strings), per stat(5).
	 * All or nothing; a name already used in the directory is
	 * -P9_EEXIST. length is only set on files. A wstat that changes
	 * nothing (a sync) may be held like a read (P9SRV_HELD) and answered
	 * with p9srv_respond_wstat once the data is safe.
	 */
	int (*wstat)(void *ctx, void *node, const struct p9_stat *st);
	/*
	 * A hard link (Tlink): name in dir for node, a file (not a
	 * directory) of this fs. The library checked write permission on
	 * dir and the name; the fs answers -P9_EEXIST for a name in use,
	 * -P9_ENOENT for a removed dir. A fs with links gives each file's
	 * link count in its stat's dev (docs/servers.md).
	 */
	int (*link)(void *ctx, void *dir, struct p9_str name, void *node);
	/*
	 * Trenameat: the entry oldname of olddir becomes newname of newdir
	 * (both directories of this fs), at once or not at all, as Linux's
	 * rename(2): an existing newname is replaced (a file by a file, an
	 * empty directory by a directory: else -P9_EISDIR, -P9_ENOTDIR,
	 * -P9_ENOTEMPTY); a directory into itself or below is -P9_EINVAL;
	 * two names of one file, or a name onto itself, change nothing. The
	 * file keeps its qid, and fids naming it follow it. The library
	 * checked write permission on both directories and both names.
	 */
	int (*rename)(void *ctx, void *olddir, struct p9_str oldname,
		      void *newdir, struct p9_str newname);
	/* Tstatfs: the size and free space of the fs node is on. */
	int (*statfs)(void *ctx, void *node, struct p9_statfs *sf);
	/*
	 * P9_MEMORY: the memory object holding node's pages (the slot of a
	 * capability the fs keeps) and its size in pages; *state the slot of
	 * the one-page object holding the file's struct p9_memstate
	 * (include/metta/proto.h), or 0: none. 0 or -P9_E*.
	 */
	int (*memory)(void *ctx, void *node, uint32_t *slot, uint64_t *pages,
		      uint32_t *state);
	/* A fid naming node goes away (before the library's unref). */
	void (*clunk)(void *ctx, void *node, uint8_t mode);
};

/* What read and write return after p9srv_hold(): answered later. */
#define P9SRV_HELD (-100000)
#define P9SRV_MAXHELD 64 /* held requests per server, unless it gives more */
#define P9SRV_HELD_LIMIT 65536 /* a cookie names a slot in 16 bits */

/* A request held to be answered later. */
struct p9srv_req {
	struct p9srv *s;
	uint64_t conn;
	uint16_t tag;
	uint8_t type; /* P9_TREAD, P9_TWRITE or P9_TWSTAT */
	uint8_t inuse;
	uint32_t fid;
	void *node;
	uint64_t offset;
	uint32_t count;	  /* asked for (reads), clipped to the reply's room */
	uint32_t gen;	  /* tells reuses of this slot apart (cookies) */
	uint64_t handle;  /* the transport's: its caller */
	void *aux;	  /* the fs's */
	struct p9srv_req *next; /* the fs's, for its own queues */
};

/* One client connection: its fids and what Tversion and Tattach set. */
struct p9srv_conn {
	uint64_t id;
	uint8_t inuse;
	uint8_t versioned; /* Tversion done: other requests allowed */
	uint32_t msize;	   /* negotiated */
	struct p9_fidtab fids;
	uint64_t *rootpath; /* per fid entry: qid.path of its attach root */
	char uname[P9SRV_UNAME_MAX + 1];
};

struct p9srv {
	const struct p9srv_ops *ops;
	void *ctx; /* the fs's, passed to every operation */
	uint32_t msize;
	struct p9srv_conn *conns;
	uint32_t nconn;
	uint64_t nextid; /* connection ids are never reused */
	/* Held requests (held_default, or the server's own array:
	 * p9srv_set_held); the one being served, for p9srv_hold. */
	struct p9srv_req held_default[P9SRV_MAXHELD];
	struct p9srv_req *held;
	uint32_t maxheld;
	struct p9srv_req *serving, *just_held;
	uint32_t nheld;
	/* The fid the open, read, write or clunk operation being called is
	 * for: state an fs keeps per fid (a device's queue per reader) is
	 * named by this pair, unique while the fid lives. */
	uint64_t op_conn;
	uint32_t op_fid;
	/* The fs's: a held request ends unanswered (may be 0). */
	void (*forget)(struct p9srv_req *r);
	/* The transport's: send an R-message to a held request's caller,
	 * or let the caller go unanswered. */
	int (*answer)(struct p9srv *s, uint64_t handle, const uint8_t *msg,
		      size_t len); /* 0, or -P9_EINTR: nobody waits now */
	void (*drop)(struct p9srv *s, uint64_t handle);
	uint8_t *answer_buf; /* msize bytes, for encoding answers */
	/* The fs's: a clunk of a fid open only for reading changes nothing
	 * any client sees (P9_BATCH_QUIET_CLUNK): no clunk hook, and a node
	 * unref'd is only memory. 0 unless the fs sets it after init. */
	int quiet_clunk;
	/* The fs's tree version (P9_TREESTATE, metta/proto.h), where the
	 * transport shares it, or 0: the library adds to it before every
	 * message that may change a name or a permission. */
	uint64_t *tree_version;
	/* The fs's: its memory objects (P9_MEMORY) are copies of its files
	 * it keeps in step with their writes (ext2's), not the files: a fid
	 * open for writing gets none, since stores would not reach them. */
	int memory_copies;
	uint32_t tree_slot; /* the object holding it (the transport's) */
};

/*
 * Storage for nconn connections of nfid fids each, e.g.
 *   static P9SRV_STORAGE(store, 8, 64);
 *   p9srv_init(&s, &ops, fs, 65536 + 24, P9SRV_STORAGE_ARGS(store));
 */
#define P9SRV_STORAGE(name, nconn, nfid)              \
	struct {                                      \
		struct p9srv_conn conns[nconn];       \
		struct p9_fid fids[(nconn) * (nfid)]; \
		uint16_t index[(nconn)*2 * (nfid)];   \
		uint64_t roots[(nconn) * (nfid)];     \
	} name
#define P9SRV_STORAGE_ARGS(name)                                        \
	(name).conns,                                                   \
	    (uint32_t)(sizeof((name).conns) / sizeof((name).conns[0])), \
	    (name).fids, (name).index, (name).roots,                    \
	    (uint32_t)(sizeof((name).roots) / sizeof((name).roots[0]) / \
		       (sizeof((name).conns) / sizeof((name).conns[0])))

/*
 * Set up a server for ops over ctx with our msize (at least P9_MINMSIZE)
 * and caller storage: conns[nconn], and per connection nfid fids, that is
 * fids[nconn * nfid], index[nconn * 2 * nfid] and roots[nconn * nfid].
 * nfid is at most 32767.
 */
/*
 * A server that may hold more than P9SRV_MAXHELD requests at once (one
 * per blocked read, connect or readiness query of every client) gives
 * its own array of n, after p9srv_init and before serving. n is cut to
 * P9SRV_HELD_LIMIT.
 */
void p9srv_set_held(struct p9srv *s, struct p9srv_req *held, uint32_t n);

void p9srv_init(struct p9srv *s, const struct p9srv_ops *ops, void *ctx,
		uint32_t msize, struct p9srv_conn *conns, uint32_t nconn,
		struct p9_fid *fids, uint16_t *index, uint64_t *roots,
		uint32_t nfid);

/*
 * A new connection: 0 and its id in *conn_out, or STATUS_ERR_QUOTA when
 * every connection is in use. Its first request must be Tversion.
 */
int p9srv_connect(struct p9srv *s, uint64_t *conn_out);

/*
 * The connection is gone: clunk all its fids (removing ORCLOSE files,
 * calling clunk and unref for each) and free it. Unknown ids are ignored.
 */
void p9srv_hangup(struct p9srv *s, uint64_t conn);

/*
 * Answer the T-message in[inlen] from connection conn into out[outcap]:
 * returns the R-message's length. It is always a valid message, Rerror
 * when the request is malformed (tag from the bytes when there are at
 * least 7, else NOTAG), comes on an unknown connection or fails. Only
 * outcap < P9SRV_MINOUT gives STATUS_ERR_RANGE and no message. Replies
 * never exceed outcap nor the negotiated msize.
 */
long p9srv_serve(struct p9srv *s, uint64_t conn, const uint8_t *in,
		 size_t inlen, uint8_t *out, size_t outcap);

/*
 * P9_READ and P9_WRITE (metta/proto.h): a Tread or Twrite of fid of
 * connection conn without the message around it, with the same checks,
 * holds and answers. p9srv_read reads up to count bytes (cut to the
 * connection's msize less P9_IOHDR) into buf; p9srv_write writes data.
 * Returns the bytes moved, a negative errno (an unknown connection or fid:
 * -P9_EBADF or the errno of Tread's Rerror), or P9SRV_HELD: held, with tag
 * P9_NOTAG; its answer is then an Rread, Rwrite or Rerror as ever, which
 * the transport turns back into words.
 */
long p9srv_read(struct p9srv *s, uint64_t conn, uint32_t fid, uint64_t offset,
		uint8_t *buf, uint32_t count);
long p9srv_write(struct p9srv *s, uint64_t conn, uint32_t fid,
		 uint64_t offset, const uint8_t *data, uint32_t count);

/*
 * P9_BATCH (metta/proto.h): the T-messages in[inlen] back to back, each
 * served as p9srv_serve would, their R-messages back to back in
 * out[outcap]: their total length (0 when outcap is too small for one).
 */
long p9srv_serve_batch(struct p9srv *s, uint64_t conn, const uint8_t *in,
		       size_t inlen, uint8_t *out, size_t outcap);

/*
 * P9_MEMORY for fid of connection conn: the fs's capability slot for the
 * file's memory object, its pages, whether the fid may write, and its
 * state page's object (p9srv_ops.memory; 0: none). 0, or
 * -P9_EBADF (no such fid, not open), -P9_EACCES (open for writing only),
 * -P9_ENODEV (a directory, or an fs without memory).
 */
int p9srv_memory(struct p9srv *s, uint64_t conn, uint32_t fid,
		 uint32_t *slot, uint64_t *pages, int *writable,
		 uint32_t *state);

/*
 * Inside a read or write operation: keep the request being served to
 * answer later. The op then returns P9SRV_HELD. Returns 0 when too many
 * requests are held already (the op should fail with -P9_EBUSY).
 */
struct p9srv_req *p9srv_hold(struct p9srv *s);

/* Answer a held request (once): a read with n bytes of data (at most
 * r->count), a write with the count written, or an error (a negative or
 * positive errno). The request is free afterwards. 0, or -P9_EINTR when
 * its caller had given up meanwhile (the fs may take back what it gave:
 * a console or pipe puts the bytes back). */
int p9srv_respond_read(struct p9srv_req *r, const void *data, uint32_t n);
int p9srv_respond_write(struct p9srv_req *r, uint32_t n);
int p9srv_respond_error(struct p9srv_req *r, int err);
/* A held Twstat (a sync: the wstat op may hold it as read and write
 * do) is done. */
int p9srv_respond_wstat(struct p9srv_req *r);

/* A server's own lists of held requests (through their `next`): r put
 * last on *q; r taken off *q (nothing when it is not there); the first
 * taken off (0 when empty). */
void p9srv_queue_put(struct p9srv_req **q, struct p9srv_req *r);
void p9srv_queue_remove(struct p9srv_req **q, struct p9srv_req *r);
struct p9srv_req *p9srv_queue_pop(struct p9srv_req **q);

/* The caller of the held request with this cookie gave up (the transport
 * learnt it): it ends unanswered. Unknown or stale cookies are ignored. */
void p9srv_cancel(struct p9srv *s, uint64_t cookie);
/* The cookie of a held request: its slot and generation. */
uint64_t p9srv_cookie(const struct p9srv_req *r);
/* How many requests are held now (tests, statistics). */
uint32_t p9srv_nheld(const struct p9srv *s);
/* Connections in use now, and their fids (tests, statistics). */
uint32_t p9srv_nconns(const struct p9srv *s);
uint32_t p9srv_nfids(const struct p9srv *s);

#endif
