/*
 * Open files and file descriptors. An open file is what open() made: its
 * kind's operations, its fids (several for a union directory), offset and
 * flags; descriptors point at open files, and dup() shares one, offset
 * included, as POSIX says. Close-on-exec belongs to the descriptor.
 *
 * Each kind of open file (a 9P file, a directory, a raw 9P channel, the
 * terminal, a pipe or FIFO, a Unix-domain socket, a TCP, UDP or ICMP
 * socket over /net) is reached through one table of operations, as Plan 9 reaches each device through its Dev: the calls in
 * file.c check the descriptor and the access mode, then call the kind's
 * operation. A missing operation has a fixed answer (see file_ops).
 */
#ifndef RUNTIME_FD_H
#define RUNTIME_FD_H

#include "rt.h"

#define MAX_FDS	  256
#define MAX_FILES 128 /* for all the processes sharing them */

struct dirbuf;
struct ofile;
struct sock_calls;

struct file_ops {
	const char *kind;
	/* At the file's offset, moving it (NULL: EINVAL). */
	long (*read)(struct ofile *f, uint64_t ubuf, uint64_t n);
	long (*write)(struct ofile *f, uint64_t ubuf, uint64_t n);
	/* At off, the offset unchanged (NULL: ESPIPE, as for a pipe). */
	long (*pread)(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t off);
	long (*pwrite)(struct ofile *f, uint64_t ubuf, uint64_t n,
		       uint64_t off);
	/* lseek's new offset from the one asked for (NULL: ESPIPE). */
	long (*seek)(struct ofile *f, int64_t off, int whence);
	/* The last reference went (NULL: nothing to do). */
	void (*close)(struct ofile *f);
	long (*stat)(struct ofile *f, struct lx_stat *st);
	/* NULL: ENOTTY. */
	long (*ioctl)(struct ofile *f, uint64_t req, uint64_t arg);
	/* NULL: ENOTDIR. */
	long (*getdents)(struct ofile *f, uint64_t ubuf, uint64_t n);
	/* NULL: EINVAL. */
	long (*truncate)(struct ofile *f, int64_t len);
	long (*chmod)(struct ofile *f, int mode);
	/* A wstat of the file's first fid (times): NULL: EPERM. */
	long (*wstat)(struct ofile *f, const struct p9_stat *st);
	/* NULL: nothing to commit. */
	long (*sync)(struct ofile *f);
	/* Readiness for poll and select: READY_* bits (metta/proto.h, Linux's
	 * POLL* values) or an errno; wait: until some bit is set (poll.c).
	 * NULL: always ready for reading and writing, as a regular file is. */
	int (*poll)(struct ofile *f, int events, int wait);
	/* A socket's calls (socket.c); NULL: not a socket (ENOTSOCK). */
	const struct sock_calls *sock;
};

extern const struct file_ops file9p_ops, dir_ops, tty_ops, chan_ops, pipe_ops,
    sock_ops, tcp_ops, udp_ops, icmp_ops, icmp_raw_ops;

/* An address a socket call gives the program: Linux's sockaddr, len
 * bytes of it (0: none, as for an unbound Unix-domain peer). */
struct sock_addr {
	uint32_t len;
	uint8_t sa[sizeof(struct lx_sockaddr_un)];
};

/* One send or receive (socket.c checks the program's buffers first). */
struct sock_io {
	const struct lx_iovec *iov;
	uint64_t cnt;
	long total;	      /* bytes the iovecs hold */
	int flags;	      /* MSG_* */
	struct lx_msghdr *m;  /* sendmsg's, recvmsg's (0: other calls) */
	uint64_t uaddr, ulen; /* send: the destination given (0: none) */
	int cloexec;	      /* recv: MSG_CMSG_CLOEXEC */
	struct sock_addr from; /* recv: the sender's, filled by the kind */
};

/*
 * The calls of one kind of socket (unix.c's Unix-domain sockets, inet.c's
 * TCP, UDP and ICMP over /net), as Plan 9 reaches each device through its
 * Dev: socket.c checks the descriptor (EBADF, ENOTSOCK) and what the
 * program gave, then calls the kind. a: the call's arguments.
 */
struct sock_calls {
	int family; /* LX_AF_*: SO_DOMAIN */
	long (*bind)(struct ofile *f, const uint64_t *a);
	long (*listen)(struct ofile *f, const uint64_t *a);
	long (*connect)(struct ofile *f, const uint64_t *a);
	/* A new connection (its open file, with accept4's flags) and its
	 * peer's address, or an errno. */
	long (*accept)(struct ofile *f, int flags, struct ofile **out,
		       struct sock_addr *peer);
	long (*shutdown)(struct ofile *f, int how);
	/* Our name (peer 0) or the peer's: 0 or an errno (ENOTCONN). */
	long (*name)(struct ofile *f, int peer, struct sock_addr *out);
	/* An option's value into val (16 bytes at most): its length or
	 * an errno. */
	long (*getsockopt)(struct ofile *f, int level, int opt, uint8_t *val);
	long (*setsockopt)(struct ofile *f, const uint64_t *a);
	/* The bytes sent or received, or an errno. */
	long (*send)(struct ofile *f, struct sock_io *io);
	long (*recv)(struct ofile *f, struct sock_io *io);
};

/* Helpers the kinds share (socket.c). */
/* f installed (cloexec) or let go: the descriptor or an errno. */
long sock_install(struct ofile *f, int cloexec);
/* setsockopt's int (a[3], length a[4]): 0 or EINVAL/EFAULT. */
long sock_take_int(const uint64_t *a, int *v);
/* Linux's SO_SNDBUF/SO_RCVBUF: the size asked for, doubled. */
uint32_t sock_buf_size(int asked);
/* SO_TYPE, SO_DOMAIN, SO_ACCEPTCONN, SO_SNDBUF, SO_RCVBUF: 1 and *v;
 * 0 for another option. */
int sock_common_option(struct ofile *f, int opt, int *v);
/* Scatters n bytes of data into the (checked) iovecs. */
void sock_scatter(const struct lx_iovec *iov, uint64_t cnt,
		  const uint8_t *data, uint64_t n);
/* fstat of a socket. */
long sock_stat(struct ofile *f, struct lx_stat *st);
/* Socket kinds' constructors: the open file of a new socket, or an
 * errno (socket.c picks the kind by family). */
long unix_socket(int type, int proto, int flags, struct ofile **out);
long inet_socket(int type, int proto, int flags, struct ofile **out);

/* A socket's own state (unix.c, inet.c); its fids are the open file's
 * loc. */
enum { SK_NEW, SK_LISTEN, SK_CONN, SK_DGRAM, SK_CONNECTING };

/* What an Internet socket keeps (inet.c): its conversation on /net
 * (loc[0] its ctl, loc[1] its data or, listening, its listen file). */
#define INET_PEEK_MAX 256
struct inet {
	uint32_t conv;	       /* the conversation's number N */
	uint32_t laddr, raddr; /* bound to, connected to (network order) */
	uint16_t lport, rport; /* (host order) */
	uint8_t bound;	       /* bound or announced */
	uint8_t shut;	       /* SHUT_RD + 1 | SHUT_WR + 1 bits seen */
	uint8_t inprogress;    /* EINPROGRESS given, no connect since */
	uint8_t reuse, keepalive, nodelay, broadcast;
	int32_t err;	       /* a pending error (SO_ERROR), negative */
	int32_t ttl;	       /* IP_TTL as set (0: the default) */
	uint64_t rcvtimeo, sndtimeo; /* ns, 0: wait for ever */
	uint32_t peekn;	       /* bytes read ahead by MSG_PEEK */
	uint8_t peek[INET_PEEK_MAX];
};

struct sock {
	uint8_t type;  /* LX_SOCK_STREAM, LX_SOCK_DGRAM */
	uint8_t state; /* SK_*: loc[0] none, the listener's data (loc[1]
			* its directory), the connection's end; a datagram
			* socket bound or connected to a path: below */
	uint8_t bound; /* SK_DGRAM: loc[0] is our bound ring's `data` */
	uint8_t tx;    /* SK_DGRAM: 1 + the loc sends go to (0: none) */
	uint8_t passcred;
	uint32_t rcvbuf, sndbuf; /* as set (the rings stay 4 KiB) */
	char name[LX_SUN_PATH];	 /* bound to, as given ("": none) */
	char peer[LX_SUN_PATH];	 /* connected to, as given */
	char lname[FIFO_NAME_MAX + 1]; /* the pipe server's name for it */
	struct inet in; /* an Internet socket's */
};

struct ofile {
	/* First, so that a new file is cleared after it (fd.c). Shared by
	 * forked processes: changed atomically; -1 while being set up or
	 * closed. */
	int refs;
	const struct file_ops *ops;
	int flags;     /* LX_O_ACCMODE bits, LX_O_APPEND, LX_O_NONBLOCK */
	uint32_t chan; /* a raw 9P channel's connection (chan.c) */
	int nloc;
	struct loc loc[NS_MAX_UNION];
	uint64_t offset; /* a directory's: the position lseek asked for */
	char path[RT_PATH_MAX]; /* clean and absolute: fchdir, *at calls */
	/* Directory reads: the union member being read, its 9P offset, the
	 * entries handed out so far, and unread raw entries. */
	int member, dots;
	unsigned opened; /* members opened for reading (bit i) */
	uint64_t dir_offset, cookie;
	struct dirbuf *buf;
	struct sock sock; /* a socket's */
	/* A plain file opened for reading whose walk may be reused once it
	 * is closed (opencache.c): the namespace it was opened in (0: not
	 * reusable) and its server's tree version before the walk. */
	uint32_t reuse_ns;
	uint8_t reuse_stamped; /* reuse_version was read (opencache.c) */
	uint64_t reuse_version;
};

/* The open file of fd, or 0 (EBADF). */
struct ofile *fd_get(int fd);
/* Points descriptor fd at f (0: none), which holds a reference for it. */
void fd_set(int fd, struct ofile *f, int cloexec);
int fd_cloexec(int fd);
/* A forked child's descriptors: a table for pid, a copy of ours, each
 * file held once more; 0 when no table is left. */
struct fd_table *fd_fork(long pid);
/* Where process pid (0: ours) keeps its affinity mask, if it is of our
 * fork group: 0 if not (proc.c). */
uint64_t *fd_affinity(long pid);
/* Lets go of the descriptors of process pid, if its runtime did not
 * (a child reaped), or of the table fd_fork gave (a fork undone). */
void fd_reap(long pid);
/* Lets go of the descriptors of every process of ours that ended without
 * its runtime (found gone): how many. For when something runs out. */
int fd_sweep(void);
/* A new open file of a kind, with one reference, or 0 (ENFILE). */
struct ofile *ofile_new(const struct file_ops *ops);
/* One more reference (a descriptor, here or in a forked process). */
void ofile_hold(struct ofile *f);
void ofile_put(struct ofile *f);
/* The lowest free descriptor >= min for f (which it now holds a
 * reference of): the descriptor or -EMFILE. */
int fd_install(struct ofile *f, int min, int cloexec);
/* dup: the lowest free descriptor >= min for fd's open file, or -EBADF
 * (fd not open) or -EMFILE. */
long fd_dup(int fd, int min, int cloexec);
/* Closes every descriptor (the end of the process). */
void fd_close_all(void);
/* A new process's descriptor table (before any open): 0 or -ENFILE. */
int fd_table_init(void);
/* Standard input, output and error: the console (file.c). */
void fd_init(void);

/* Raw directory entries not yet handed out (dir.c). */
struct dirbuf {
	int used;
	uint32_t len, pos;
	uint8_t data[8192];
	uint64_t seen[256]; /* hashes of names listed: unions list once */
	int nseen;
};

/* 9P files (file9p.c): n bytes at off in 9P-sized pieces (the bytes
 * moved or an errno), and stat, wstat, truncate and chmod of a fid. */
long file9p_transfer(struct ofile *f, uint8_t *buf, uint64_t n, uint64_t off,
		     int write);
long file9p_stat(struct ofile *f, struct lx_stat *st);
long file9p_chmod(struct ofile *f, int mode);
long file9p_wstat(struct ofile *f, const struct p9_stat *st);
/* 9P files read from their server's pages (filemem.c): pread's bytes, 0
 * or an errno (by 9P when the file is not mapped); the length of l's file
 * from its state page (0, or -1: ask the server); every mapping let go
 * (exec); the child's view of the table around a fork (enter 1, then 0):
 * empty. */
long filemem_pread(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t off);
int filemem_length(const struct loc *l, uint64_t *len);
void filemem_drop_all(void);
void filemem_fork_view(int enter);

/*
 * Opens without a call (opencache.c): a read-only open's fid, kept at its
 * close, opened again by the same path while its server's tree version
 * has not moved. ocache_take: 0 and the fid in *out, or -1 (walk).
 * ocache_stamp: whether c shares its tree version, and then *version.
 * ocache_opened: f was opened by a walk (stamped: with version read
 * before it). ocache_close: f parked (1) or not (0: the caller clunks it).
 */
#define OC_N 8 /* fids kept per process */
int ocache_take(const char *path, struct ofile *f);
int ocache_stamp(const struct conn *c, uint64_t *version);
void ocache_opened(struct ofile *f, int stamped, uint64_t version);
int ocache_close(struct ofile *f);
void ocache_flush(void);	/* our namespace changed */
int ocache_release(void); /* every fid kept let go: how many */
void ocache_fork_view(int enter);
void ocache_table_close(struct loc *parked);
/* Streams (pipes, the terminal): the 9P offset carries flags. */
long stream_read(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t flags);
long stream_write(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t flags);
/* The same through the fid at l. */
long stream_write_loc(struct loc *l, uint64_t ubuf, uint64_t n,
		      uint64_t flags);
long stat_loc(const struct loc *l, struct lx_stat *out);
/* statfs of l's file system into the program's buffer ubuf (checked
 * writable here): the server's Tstatfs, or an empty one for a server
 * that keeps no count (as Linux's proc shows). 0 or an errno. */
long statfs_loc(const struct loc *l, uint64_t ubuf);
long wstat_loc(struct loc *l, const struct p9_stat *st);
long truncate_loc(struct loc *l, int64_t len);
long chmod_loc(struct loc *l, int mode);
/* A Linux mode's permission bits (07777) as a 9P mode's (0777 and
 * 9P2000.u's DMSETUID, DMSETGID, DMSETVTX), and back. */
uint32_t perm_to_9p(uint32_t mode);
uint32_t perm_from_9p(uint32_t p9mode);

/* The server's readiness of f's first fid (READY_QUERY): poll.c. */
int ready_query(struct ofile *f, int interest, int wait);
/* The same of the fid at l. */
int ready_query_loc(const struct loc *l, int interest, int wait);
/* After opening the terminal as name ("cons", "tty"): 0 or an errno
 * (tty.c; /dev/tty is ENXIO when another session holds the console). */
long tty_opened(struct ofile *f, const char *name);

/* f, whose loc[0] is a FIFO's file, opened as the pipe server's named
 * pipe for it with the open's flags: 0 or an errno (pipe.c). */
long fifo_open(struct ofile *f, int flags);

/* The pipe server (pipe.c): its service name; the file `name` of the pipe
 * at dir, opened with mode, at end (0 or an errno); the name of the pipe
 * server's FIFO or listener for the file at l ("SERVICE:QIDPATH", the
 * same in every process). */
#define PIPE_SERVICE "pipe"
long pipe_walk_open(struct loc *dir, const char *name, uint8_t mode,
		    struct loc *end);
void pipe_name_of(const struct loc *l, char *out, size_t cap);

/* Opens the clean absolute path with open's flags (path.c, for a file
 * passed over a socket): a descriptor or an errno. */
long path_open(const char *path, int flags, int cloexec);
/* Makes a socket's file at the clean absolute path: 0 or an errno. */
long path_mksock(const char *path);

/* A raw 9P channel to service (chan.c). */
int chan_open(struct ofile *f, const char *service);

#endif
