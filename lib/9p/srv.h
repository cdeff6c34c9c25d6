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
 * The library is synchronous: a request is answered before the next one is
 * taken, so Tflush never finds its old tag pending.
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
	 * -P9_EEXIST. length is only set on files.
	 */
	int (*wstat)(void *ctx, void *node, const struct p9_stat *st);
	/* A fid naming node goes away (before the library's unref). */
	void (*clunk)(void *ctx, void *node, uint8_t mode);
	/* Tflush of oldtag on connection conn. */
	void (*flush)(void *ctx, uint64_t conn, uint16_t oldtag);
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

#endif
