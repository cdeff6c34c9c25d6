/*
 * pipe: 4 KiB pipes as a 9P file tree (Plan 9's #|). Every Tattach with
 * aname "pipe" makes a new pipe: a directory with two files, `data` and
 * `data1` (an attach with aname "" is an empty directory, so that
 * connecting costs no pipe; other anames are EINVAL). What is
 * written on one is read from the other, so a Linux pipe is `data` opened
 * for reading and `data1` opened for writing.
 *
 * Named pipes (FIFOs): a Tattach with aname "fifo:NAME" finds the live
 * pipe named NAME or makes one (an empty or longer than FIFO_NAME_MAX NAME
 * is EINVAL or ENAMETOOLONG, and nothing is made); it is freed with its
 * last fid, as an unnamed one. A named pipe has one ring, which both files
 * read and write: `data` opened for reading is a reader, `data1` opened
 * for writing a writer, `data` opened for both is both (Linux's O_RDWR).
 * Until it has had a reader and a writer open at once (never connected),
 * a read finding no writer waits instead of reading end of file, and a
 * write finding no reader waits instead of failing with EPIPE: this stands
 * for Linux's open of a FIFO, which waits for the other end (our opens do
 * not wait). A read with PIPE_NOWAIT and no writer reads 0, as Linux's
 * O_NONBLOCK read; readiness says READY_HUP only once connected, and
 * READY_ERR whenever no reader is open (how a client tells an open for
 * writing with O_NONBLOCK that it is ENXIO). Once connected it is an
 * ordinary pipe.
 *
 * Each direction is a 4 KiB ring. A read of an empty ring waits (the
 * request is held: docs/servers.md) until a writer writes, or until no
 * file of the other end is open for writing any more: then it reads 0
 * (end of file). A write waits until the whole of it fits, when it is at
 * most PIPE_BUF (4 KiB) bytes (so it is atomic); a longer write takes what
 * fits, at least one byte. A write with no reader left fails with EPIPE,
 * and so do writes waiting when the last reader goes. A read or write
 * whose offset has PIPE_NOWAIT set fails with EAGAIN instead of waiting
 * (O_NONBLOCK); 9P offsets mean nothing on a pipe otherwise. A read
 * whose offset has READY_QUERY is a readiness query (poll): one byte of
 * READY_* bits for the interest in the offset's low byte (READY_IN: bytes
 * to read, READY_HUP: no writer; READY_OUT: room, READY_ERR: no reader),
 * held until some bit is set unless PIPE_NOWAIT is there too.
 *
 * Pure code over p9srv (pipe_ops; the context is the struct pipes):
 * host-tested.
 */
#ifndef SERVERS_PIPE_PIPE_H
#define SERVERS_PIPE_PIPE_H

#include <stdint.h>

#include "9p/srv.h"

#include <metta/proto.h> /* PIPE_ANAME, FIFO_ANAME, PIPE_NOWAIT */

#define PIPE_BUF  4096
#define MAX_PIPES 64

/* One direction: a ring, and the requests waiting on it. */
struct pipe_ring {
	uint8_t data[PIPE_BUF];
	uint32_t head, len;
	uint32_t readers, writers; /* fids open to read it / to write it */
	struct p9srv_req *rwait, *wwait; /* held reads and writes, in order */
	struct pipe *pipe;		 /* the pipe it is a direction of */
};

/* A node is a pipe's directory or one of its two files. */
struct pipe_node {
	struct pipe *pipe;
	int which; /* 0 the directory, 1 data, 2 data1 */
};

struct pipe {
	uint32_t refs; /* nodes handed out (fids) */
	uint32_t id;
	uint16_t namelen;	  /* 0: unnamed */
	char name[FIFO_NAME_MAX]; /* a named pipe's (not a C string) */
	int connected;		  /* unnamed, or has had both ends */
	/* 0: read on data, 1: read on data1; a named pipe uses 0 only */
	struct pipe_ring ring[2];
	struct pipe_node nodes[3];
	struct p9srv_req *qwait; /* held readiness queries (READY_QUERY) */
};

struct pipes {
	struct p9srv *srv; /* for p9srv_hold */
	struct pipe_node top; /* what other attaches get */
	struct pipe pipe[MAX_PIPES];
	uint32_t nextid;
	const char *owner;
	/* Data of held writes (a held write keeps what it will write). */
	uint8_t held_data[P9SRV_MAXHELD][PIPE_BUF];
	uint32_t held_len[P9SRV_MAXHELD];
};

void pipes_init(struct pipes *p, struct p9srv *srv, const char *owner);
/* The library's forget hook of srv (set by pipes_init). */
void pipes_forget(struct p9srv_req *r);
/* Pipes in use (tests, statistics). */
uint32_t pipes_in_use(const struct pipes *p);

extern const struct p9srv_ops pipe_ops;

#endif
