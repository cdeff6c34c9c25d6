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
 * Unix-domain sockets (metta/proto.h's anames): a connected pair is a
 * pipe whose two files are its two sockets, each opened for reading and
 * writing; a datagram pair's rings keep messages (a 2-byte length before
 * each) and a read takes one, cut to its count. A listener is a pipe of
 * no rings whose directory has, besides `data` (readiness: READY_IN when
 * a connection waits), the name SOCK_ACCEPT_NAME: walking it takes the
 * oldest queued connection (EAGAIN when none), a pipe whose `data1` the
 * client opened (that open queues it: ECONNREFUSED when the listener has
 * gone, EAGAIN when MAX_BACKLOG wait) and whose `data` the acceptor opens.
 * A bound datagram socket is a named pipe of one ring of messages (as a
 * FIFO's): its socket reads `data`, every sender writes `data1`; its
 * reader never sees an end of file, its senders get EPIPE once it has
 * gone; control records may not travel on it (EOPNOTSUPP: writes of
 * several senders would fall between a record and its bytes).
 * A client may write before it is accepted; a listener that goes leaves
 * its queued clients at end of file and EPIPE. Control records (the
 * descriptors and credentials of SCM_RIGHTS and SCM_CREDENTIALS, as the
 * runtime encodes them) ride with the bytes: a record written with
 * SOCK_CTL is tied to the ring's position of the next byte, a read never
 * goes past a record's position, and a SOCK_CTL read just after the
 * read that began there gets the record (records nobody asked for are
 * dropped, as Linux drops rights read with read()). The files a record
 * names in SOCK_CTL_JOIN lines are held open (counted as a fid opened
 * with that mode, and referenced) until the reader says SOCK_RELEASE, the
 * record is dropped, or the reader's pipe goes. shutdown marks the
 * rings (rshut, wshut): end of file for the reader, EPIPE for writers.
 *
 * Pure code over p9srv (pipe_ops; the context is the struct pipes):
 * host-tested.
 */
#ifndef SERVERS_PIPE_PIPE_H
#define SERVERS_PIPE_PIPE_H

#include <stdint.h>

#include "9p/srv.h"

#include <metta/proto.h> /* PIPE_ANAME, FIFO_ANAME, PIPE_NOWAIT, SOCK_* */

#define PIPE_BUF    4096
#define MAX_PIPES   128
#define MAX_BACKLOG 16 /* connections a listener queues */
#define MAX_CTL	    32 /* control records in flight, for all pipes */
#define MAX_RING_CTL 8 /* ... and on one ring (so no client takes all) */
#define DGRAM_HDR   2  /* a message's length before its bytes */

/* A pipe's file held open while it travels (SOCK_CTL_JOIN). */
struct pipe_hold {
	struct pipe *pipe;
	uint8_t which, mode; /* its node (1 data, 2 data1), 9P open mode */
};

/* A control record tied to the ring position `at` (its next byte). */
struct pipe_ctl {
	struct pipe_ctl *next;
	uint64_t at;
	uint32_t len;
	uint8_t data[SOCK_CTL_MAX];
	struct pipe_hold hold[SOCK_CTL_FILES];
	uint32_t nhold;
};

/* One direction: a ring, and the requests waiting on it. */
struct pipe_ring {
	uint8_t data[PIPE_BUF];
	uint32_t head, len;
	uint32_t readers, writers; /* fids open to read it / to write it */
	uint8_t rshut, wshut;	   /* shutdown: no more reading / writing */
	uint64_t in, out;	   /* bytes ever put, ever taken */
	uint64_t last;		   /* where the last read began */
	struct pipe_ctl *ctl;	   /* control records, by position */
	struct pipe_ctl *given;	   /* read, their files still held */
	struct p9srv_req *rwait, *wwait; /* held reads and writes, in order */
	struct pipe *pipe;		 /* the pipe it is a direction of */
};

/* A node is a pipe's directory or one of its two files. */
struct pipe_node {
	struct pipe *pipe;
	int which; /* 0 the directory, 1 data, 2 data1 */
};

enum pipe_kind {
	PIPE_PLAIN,  /* pipe(2) */
	PIPE_FIFO,   /* named: one ring */
	PIPE_PAIR,   /* socketpair */
	PIPE_LISTEN, /* a listening socket: rings unused */
	PIPE_CONN,   /* a connection a client made to a listener */
	PIPE_DGRAM,  /* a bound datagram socket's: one ring, many senders */
};

struct pipe {
	uint32_t refs; /* nodes handed out (fids), and a listener's queue */
	uint32_t id;
	uint64_t key;		  /* JOIN_ANAME's proof */
	uint8_t kind;		  /* enum pipe_kind */
	uint8_t dgram;		  /* its rings keep messages */
	char type;		  /* a socket's: SOCK_STREAM_CH, SOCK_DGRAM_CH */
	uint16_t namelen;	  /* a FIFO's or a listener's name */
	char name[FIFO_NAME_MAX]; /* (not a C string) */
	int connected;		  /* both ends have been open */
	int32_t pid[2];		  /* the process at data's end, data1's */
	uint32_t lid;		  /* a connection to queue on: its listener */
	struct pipe *backlog[MAX_BACKLOG]; /* a listener's, oldest first */
	uint32_t nbacklog;
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
	uint64_t seed; /* for keys */
	const char *owner;
	struct pipe_ctl ctl[MAX_CTL], *freectl;
	/* Data of held writes (a held write keeps what it will write). */
	uint8_t held_data[P9SRV_MAXHELD][PIPE_BUF];
	uint32_t held_len[P9SRV_MAXHELD];
};

/* seed makes the keys of JOIN_ANAME hard to guess (the clock, say). */
void pipes_init(struct pipes *p, struct p9srv *srv, const char *owner,
		uint64_t seed);
/* The library's forget hook of srv (set by pipes_init). */
void pipes_forget(struct p9srv_req *r);
/* Pipes in use (tests, statistics), control records in flight. */
uint32_t pipes_in_use(const struct pipes *p);
uint32_t pipes_ctl_in_use(const struct pipes *p);

extern const struct p9srv_ops pipe_ops;

#endif
