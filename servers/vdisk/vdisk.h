/*
 * vdisk: the virtual disk server (seed 002), the one place every block
 * device is reached through. Shared between its parts: the devices and
 * their sessions with the block drivers (dev.c), the requests and the
 * workers that carry them out (io.c), and the 9P file tree (vdisk.c).
 * docs/servers.md says what it serves and how it outlives its drivers.
 */
#ifndef VDISK_H
#define VDISK_H

#include <9p/client.h>
#include <9p/portal.h>
#include <9p/srv.h>
#include <stdint.h>

#include "part.h"

#define VDISK_MAXDEV	8    /* blk0..blk7 become sd0..sd7 */
#define VDISK_WORKERS	4    /* requests carried out at once */
#define VDISK_WBUFS	32   /* writes held at once (their data kept) */
#define VDISK_SECTOR	512  /* the block protocol's unit */
#define VDISK_IOUNIT	(P9_PORTAL_MSIZE - P9_IOHDR)
/* A worker's buffer: one request's sectors, one more at each end. */
#define VDISK_SPAN	(VDISK_IOUNIT + 2 * VDISK_SECTOR)

struct dev {
	int present;	 /* found, its size and table known */
	uint32_t portal; /* the driver's portal (names "blkN"), kept */
	uint64_t size;	 /* bytes */
	struct part_table parts;
	uint64_t requests, resent, reconnects; /* for its ctl */
};

extern struct dev devs[VDISK_MAXDEV];

/*
 * A connection of one thread to one driver: its own 9P session, with
 * fids for the root, `data` and `ctl`. Lost when the driver dies (a call
 * ends ERR_DEAD) or answers as a new instance would ("unknown
 * connection"): it is made again before the next use.
 */
struct session {
	uint32_t conn; /* slot of the badged connection, 0 before the first */
	int up;
	int lost;	/* 0, SESSION_STALE or SESSION_DIED */
	int dead_calls; /* connects that ended ERR_DEAD in a row */
	struct p9c c;
};
#define SESSION_STALE 1 /* a new driver does not know it */
#define SESSION_DIED  2 /* a call ended with the driver's death */

/* A thread's sessions and message buffers (the client is synchronous). */
struct client {
	struct session s[VDISK_MAXDEV];
	uint8_t t[P9_PORTAL_MSIZE], r[P9_PORTAL_MSIZE];
};

/* Fids of a session's files. */
#define FID_ROOT 1
#define FID_DATA 2
#define FID_CTL	 3

/* The session of client cl with device d, made if needed (it waits while
 * the driver restarts). 0, or -P9_ENODEV when the device is gone. */
int dev_session(struct client *cl, int d, struct session **out);
/* The same, giving up with -P9_ETIMEDOUT after `tries` waits (0: never). */
int dev_session_tries(struct client *cl, int d, struct session **out,
		      int tries);
/* Finds the devices there are at start-up (see dev.c). */
void dev_first_scan(struct client *cl);
/* Was the last call's failure the driver's going, not the device's? */
int dev_lost(struct session *s);
/* Reads the partition table of a disk of size bytes through s. */
int dev_read_table(struct session *s, uint64_t size, struct part_table *t);
/* Says in the log what device d is and holds. */
void dev_log_table(int d);
/* Finds blkN devices not known yet (outside the lock). */
void dev_scan(struct client *cl);

/* The request kinds; io.c carries them out. */
enum vreq_op { VOP_READ, VOP_WRITE, VOP_FLUSH, VOP_CRASH, VOP_RESCAN };

/* Queues a request for the held p9srv request q (under the lock):
 * 0, or a negative errno (nothing queued). */
int io_submit(struct p9srv_req *q, enum vreq_op op, int dev, uint64_t off,
	      uint32_t len, const void *data);
/* The fs's forget: the client gave up on q (under the lock). */
void io_forget(struct p9srv_req *q);
/* Starts the workers. */
int io_start(void);
/* Requests held now (the ctl file). */
uint32_t io_inflight(void);

#endif
