/*
 * The protocols of the first servers (docs/servers.md). A request is a
 * portal call whose word 0 is the operation, words 1-3 its arguments,
 * strings and bulk data in the message buffer, and capabilities in the
 * message's slots. The reply's word 0 is a status (0 or a negative
 * STATUS_*), words 1-3 results. 9P takes over for files with issue 5.
 */
#ifndef METTA_PROTO_H
#define METTA_PROTO_H

#include <stdint.h>

#include <metta/abi.h>

/*
 * 9P2000 over portals (docs/design.md section 4), on any server's portal:
 * P9_CONNECT gives back a new badged capability, a connection with its own
 * fids; through it each P9_RPC call carries one T-message as its data and
 * its reply carries the R-message. P9_HANGUP ends the connection (every
 * fid clunked). Op numbers are above every word-protocol operation.
 */
#define P9_RPC 32
#define P9_CONNECT 33 /* reply cap: the connection */
#define P9_HANGUP 34
/* Anyone may ask a 9P server how much it holds for its clients: reply
 * w1 connections, w2 fids, w3 requests held (tests: nothing leaks). */
#define P9_STATS 35
/*
 * The pages of an open file as a memory object, for mmap(MAP_SHARED):
 * w1 a fid of this connection, open for reading. The reply's w1 is 0 and
 * its capability the object (READ and GRANT, and WRITE if the fid is open
 * for writing too), whose page 0 is the file's first page, w2 its pages;
 * or w1 a Linux errno (ENODEV: this file is not memory, ask by reading).
 * Every client mapping the object, and every Tread and Twrite of the
 * file, see the same pages (docs/servers.md). w3 1: the file has a state
 * page (P9_MEMSTATE), so a client may read it from the pages without a
 * call; 0: none.
 */
#define P9_MEMORY 36
/*
 * The state page of a file in memory (struct p9_memstate, below), for
 * reading it without a call: w1 a fid as for P9_MEMORY. The reply's w1 is
 * 0 and its capability a one-page object, READ and GRANT only (whoever
 * may write the file still cannot write its state); or w1 a Linux errno
 * (ENODEV: the file has none).
 */
#define P9_MEMSTATE 38
/*
 * The state page of a file in memory, which the server writes and its
 * clients map read-only. A change of the file's bytes or length makes seq
 * odd, then changes, then makes seq even again: a reader takes seq (even),
 * the length, the bytes below it, then seq again; equal, what it read was
 * the file at one moment (else it reads again, or asks by Tread). gone:
 * the file is no more (its last name and fid went); drop the mapping.
 * path: the file's qid path, which never changes.
 */
struct p9_memstate {
	uint64_t seq;
	uint64_t length;
	uint64_t gone;
	uint64_t path; /* the file's qid path */
};
/*
 * A file system on a disk (ext2): everything written back, the file
 * system marked clean (unmounted) and the device flushed; answered after.
 * The next write marks it in use again. Root asks it before powering off,
 * and at start-up to learn whether the disk was mounted (an error: no).
 */
#define P9_SYNCFS 37

/*
 * A local client's short ways (the runtime's), beside P9_RPC on the same
 * connection and with the same fids, checks and holds; a server without
 * them answers STATUS_ERR_NOTSUP and the client speaks plain 9P.
 * P9_READ is a Tread without its message: w1 a fid, w2 the offset, w3 the
 * count; the reply's data the bytes (straight into the caller's receive
 * buffer), w1 0 or a Linux errno, w2 the count. P9_WRITE is a Twrite: w1
 * the fid, w2 the offset, the data the bytes; reply w1 0 or an errno, w2
 * the count written. Neither carries a tag: a caller that gives up ends
 * a held one (no Tflush).
 */
#define P9_READ 39
#define P9_WRITE 40
/*
 * Several T-messages back to back in one call's data (at most
 * P9_BATCH_MAX), answered together: the reply's data is their R-messages
 * back to back, in order, each as if it came alone (a Twalk then a Topen
 * of its new fid: an open in one round trip). A message that could wait
 * (Tread, Twrite, Twstat) or changes the connection (Tversion, Tflush)
 * gets Rerror; a broken size ends the batch with an Rerror of tag NOTAG;
 * when the reply has no room for more, it holds the answers of those done
 * so far (the rest were not done). Plain 9P2000 stays the protocol of
 * every other peer.
 */
#define P9_BATCH 41
#define P9_BATCH_MAX 8
/* The batch reply's w1: a clunk of a fid open only for reading changes
 * nothing any client sees (a plain file server's), so a client may send
 * it later, in front of its next batch. */
#define P9_BATCH_QUIET_CLUNK 1

/*
 * The version of a server's tree, for opening without a call: no fid;
 * the reply's w1 is 0 and its capability a one-page object holding a
 * struct p9_treestate, READ and GRANT only; or w1 a Linux errno (ENODEV:
 * this server's names may change by other means than 9P, as /proc's do).
 * The server adds to version before it serves any message that may
 * change what a walk finds or may open: Tcreate, Tremove, Tlink,
 * Trenameat, a Twstat of a name, mode or owner, an ORCLOSE fid's clunk.
 * A client that read version v before a walk may reuse what the walk
 * found while version is still v (runtime/opencache.c).
 */
#define P9_TREESTATE 42
struct p9_treestate {
	uint64_t version;
};

/* names: the directory of services. */
#define NAMES_REGISTER 1   /* data: name; cap: the portal (registrar only) */
#define NAMES_LOOKUP 2     /* data: name; reply cap: the portal */
#define NAMES_LIST 3       /* reply data: "name\n" per service */
#define NAMES_UNREGISTER 4 /* data: name (registrar only) */
#define NAMES_BADGE_REGISTRAR 1
#define NAMES_MAX_NAME 47

/* cons: the console. */
#define CONS_WRITE 1	   /* data: bytes */
#define CONS_READ 2	   /* w1: at most; reply data: a line (cooked) or bytes */
#define CONS_SET_PGRP 3	   /* w1: the foreground process group (0: none) */
#define CONS_SET_FOREGROUND 4 /* cap: an event; ^C signals bit 1, ^Z bit 2 */
#define CONS_SAVE 5	   /* keeps the termios settings (a native shell's) */
#define CONS_RESTORE 6	   /* puts back what CONS_SAVE kept */
#define CONS_INTR 1
#define CONS_SUSP 2

/*
 * cons over 9P (docs/servers.md): a Tread or Twrite of `cons` (or a Twrite
 * of `consctl`) whose offset has CONS_JOB carries in it the caller's
 * process group (low 32 bits) for job control, CONS_JOBSIG_OFF when the
 * caller blocks or ignores SIGTTIN and SIGTTOU, and PIPE_NOWAIT
 * (O_NONBLOCK). `consctl` is the terminal's settings as text (termios,
 * winsize, pgrp, session), and takes commands.
 */
#define CONS_JOB (1ull << 60)
#define CONS_JOBSIG_OFF (1ull << 61)
#define CONS_PGRP_MASK 0xffffffffull

/*
 * Readiness, for poll and select (pipe, cons): a Tread whose offset has
 * READY_QUERY asks what the fid is ready for, consuming nothing; the low
 * byte of the offset is the caller's interest (READY_IN, READY_OUT: the
 * ends it opened). The reply is one byte of READY_* bits. Without
 * PIPE_NOWAIT the server holds the query until some bit is set.
 * The bits are Linux's POLLIN, POLLOUT, POLLERR, POLLHUP.
 */
#define READY_QUERY (1ull << 62)
#define READY_IN 0x01
#define READY_OUT 0x04
#define READY_ERR 0x08
#define READY_HUP 0x10

/* log: the system log. */
#define LOG_READ 1	   /* w1: from offset; reply data; w1: next offset */

/* tod: time of day. */
#define TOD_GET 1	   /* reply w1: seconds since 1970 (UTC) */
#define TOD_SET 2	   /* w1: seconds (privileged badge only) */
#define TOD_BADGE_SETTER 1

/* random: random bytes. */
#define RANDOM_READ 1	   /* w1: count (<= 4096); reply data */

/* pipe (9P only): an attach with this aname makes a new pipe; a Tread or
 * Twrite whose offset has PIPE_NOWAIT fails with EAGAIN rather than wait.
 * An attach with FIFO_ANAME followed by a name (at most FIFO_NAME_MAX
 * bytes) finds the named pipe of that name, or makes it: a FIFO. */
#define PIPE_ANAME "pipe"
#define FIFO_ANAME "fifo:"
#define FIFO_NAME_MAX 80
#define PIPE_NOWAIT (1ull << 63)

/*
 * Unix-domain sockets are the pipe server's too (docs/servers.md). Anames:
 * SOCKPAIR_ANAME "T:PID" a connected pair of type T (SOCK_STREAM_CH or
 * SOCK_DGRAM_CH: messages keep their bounds); LISTEN_ANAME "T:PID:NAME" a
 * listener for NAME (EADDRINUSE while one lives); CONNECT_ANAME
 * "T:PID:NAME" a connection to NAME's listener (ECONNREFUSED, EPROTOTYPE
 * for another type), queued on it when `data1` is opened and taken by a
 * walk of the listener's SOCK_ACCEPT_NAME; DBIND_ANAME "d:PID:NAME" the
 * receiving ring of a datagram socket bound to NAME (`data` its reader;
 * EADDRINUSE while one lives); DSEND_ANAME "d:PID:NAME" a sender's way
 * to it (`data1`; ECONNREFUSED when nobody reads there, EPROTOTYPE for a
 * stream listener's name); JOIN_ANAME "ID:KEY" the live pipe ID again
 * (how a descriptor travels: struct sock_info gives both).
 * PID is the process at that end (SO_PEERCRED). Offset bits of a Tread or
 * Twrite of a pipe's file: SOCK_PEEK reads without taking, SOCK_CTL writes
 * a control record before the next bytes (read back by the reader of
 * those bytes), SOCK_INFO reads a struct sock_info, SOCK_SHUT writes one
 * byte of SOCK_SHUT_RD | SOCK_SHUT_WR (shutdown), SOCK_RELEASE lets go
 * of the files of the records the reader got (below).
 *
 * A control record is lines of text. A line "j ID:KEY FILE MODE ..."
 * (SOCK_CTL_JOIN) names a pipe's file in flight: the server holds it open
 * with that 9P open mode from the write of the record until its reader,
 * having joined the pipe and opened the file itself, writes SOCK_RELEASE
 * (or the record is dropped unread, or the reader's pipe goes), so the
 * file stays open while it travels, as Linux keeps an in-flight file.
 * At most SOCK_CTL_FILES such lines; a pipe's file may not travel over
 * that same pipe (ETOOMANYREFS: the hold would keep it alive for ever).
 * Other lines are the runtime's own.
 */
#define SOCKPAIR_ANAME "spair:"
#define LISTEN_ANAME "listen:"
#define CONNECT_ANAME "connect:"
#define DBIND_ANAME "dbind:"
#define DSEND_ANAME "dsend:"
#define JOIN_ANAME "join:"
#define SOCK_ACCEPT_NAME "next"
#define SOCK_STREAM_CH 's'
#define SOCK_DGRAM_CH 'd'
#define SOCK_PEEK (1ull << 59)
#define SOCK_CTL (1ull << 58)
#define SOCK_INFO (1ull << 57)
#define SOCK_SHUT (1ull << 56)
#define SOCK_RELEASE (1ull << 55)
#define SOCK_SHUT_RD 1
#define SOCK_SHUT_WR 2
#define SOCK_CTL_MAX 1024 /* bytes of one control record */
#define SOCK_CTL_FILES 8  /* files in flight in one record */
#define SOCK_CTL_JOIN 'j'
struct sock_info {
	int32_t peer_pid; /* the process at the other end (0: none) */
	uint32_t id;	  /* the pipe, for JOIN_ANAME */
	uint64_t key;
};

/*
 * The nester service: the process server's to every process it starts
 * (CAP_NESTER, badged with the pid), the root nester's to the process
 * server (domains, kill and power off only).
 */
#define NESTER_SPAWN 1	   /* data: "program\0arg\0arg..."; reply cap: the
			      domain, w1: the pid */
#define NESTER_DOMAINS 2   /* reply data: a table of every domain */
#define NESTER_KILL 3	   /* w1: domain id */
#define NESTER_POWEROFF 4
#define NESTER_SETNS 5	   /* data: the caller's namespace, as text */
#define NESTER_IDENTITY 6  /* reply w1: the caller's pid, w2: its parent's */
#define NESTER_EXEC 7	   /* data: "file\0name\0arg\0...": a new program */
/* fork: a child domain for the caller to fill (reply cap: it, with
 * CONTROL; w1: the child's pid), then started with the registers given
 * (data: struct metta_regs; no data: abandoned). */
#define NESTER_FORK 8
#define NESTER_FORK_START 9 /* w1: the child's pid; data: its registers */
/* wait4/waitid: w1 which children (Linux's pid argument: > 0 that one,
 * -1 any, 0 our group's, < -1 that group's), w2 options (LX_W*); reply
 * w1 the child's pid (0: none yet, with WNOHANG), w2 its Linux wait
 * status, w3 the si_code waitid reports. Held until a child changes. */
#define NESTER_WAIT 10
#define NESTER_WNOHANG	  1 /* NESTER_WAIT's options: Linux's values */
#define NESTER_WUNTRACED  2
#define NESTER_WEXITED	  4
#define NESTER_WCONTINUED 8
#define NESTER_WNOWAIT	  0x01000000
#define NESTER_WAITID	  0x00010000 /* waitid: WEXITED as asked */
/*
 * Signals, process groups and sessions (servers/proc/signal.c). Errors:
 * ERR_NOENT is ESRCH, ERR_DENIED EPERM, ERR_INVAL EINVAL, ERR_BUSY EACCES.
 * NESTER_SIGNAL is also taken from a caller that is no process (the
 * console, through proc's unbadged portal from names): pid 0 is then
 * EINVAL and -1 means every process but init.
 */
#define NESTER_SIGNAL 11   /* w1: kill()'s pid (>0, 0 own group, -1 all,
			      <-1 a group), w2: signal (0: does it exist) */
#define NESTER_SETPGID 12  /* w1: pid (0: caller), w2: pgid (0: that pid) */
#define NESTER_SETSID 13   /* reply w1: the new session (and group) */
#define NESTER_GETPGID 14  /* w1: pid (0: caller); reply w1: its group */
#define NESTER_GETSID 15   /* w1: pid (0: caller); reply w1: its session */
/* A nester's own watcher thread to its server thread: w1 = bits of the
 * children that died (only through the nester's own badged capability). */
#define NESTER_DEATHS 16
#define NESTER_STOP 17	   /* w1: the stop signal whose default the caller
			      takes: it stops (a parent sees it) */
#define NESTER_ALARM 18	   /* w1: microseconds to SIGALRM (0: none), w2:
			      then every (0: once), w3: 1 only asks; reply
			      w1, w2: what was left of the last, its every */
#define NESTER_ALARMS 19   /* proc's timer thread: alarms are due */
/* proc's own watcher again: a held call's caller was interrupted (w1:
 * cookie). */
#define NESTER_CANCELLED 20
#define NESTER_REBOOT 21 /* like NESTER_POWEROFF, but the machine resets */
#define NESTER_SETCWD 22 /* data: the caller's current directory, NUL-ended */
/* Nice values, Linux's getpriority and setpriority: w1 which (Linux's
 * PRIO_PROCESS, PRIO_PGRP, PRIO_USER), w2 who (0: the caller's); GET
 * replies w1: the lowest nice value of those named; SET gives them all
 * w3's (clamped to -20..19). NOENT when none is named. */
#define NESTER_GETPRIORITY 23
#define NESTER_SETPRIORITY 24
/*
 * mount(2) of a disk's file system: data "service\0path\0", the device
 * file `path` of 9P service `service` (resolved in the caller's
 * namespace); w1 NESTER_MOUNT_RDONLY or 0. The root nester starts (or
 * finds: one server a device) the file system's server and names it;
 * reply data: that name, NUL-ended, to mount like any service.
 */
#define NESTER_MOUNTFS 25
#define NESTER_MOUNT_RDONLY 1
/*
 * An import (servers/import): path is a byte stream of service already
 * connected to another machine's export and authenticated (a TCP
 * conversation's data file); data has a third string, the remote path
 * to attach (at most NESTER_ANAME_MAX bytes). A new server each time,
 * named imp.K; it ends when the stream does.
 */
#define NESTER_MOUNT_IMPORT 2
#define NESTER_ANAME_MAX 255
#define NESTER_PRIO_PROCESS 0
#define NESTER_PRIO_PGRP    1
#define NESTER_PRIO_USER    2

/*
 * Each process's signal page: a memory object the process server maps
 * into itself and into the process's domain at RT_SIGPAGE_VA (above any
 * mapping of a Linux program and below its stack; a fork does not copy
 * it: the child gets a fresh one). proc sets a pending bit atomically,
 * then interrupts the thread (THREAD_INTERRUPT); the runtime takes the
 * bit atomically when it delivers the signal, and writes what it blocks,
 * handles and ignores, which proc reads to take a default action at once
 * (the end, a stop) or to drop an ignored signal. Bit n - 1 is signal n.
 *
 * A thread running the program's own code (outside [rt_lo, rt_hi), the
 * runtime's image) when a signal it handles comes is suspended by proc,
 * its registers put in async_regs and its rip set to async_entry, the
 * runtime's entry for signals between calls; then resumed. The runtime
 * writes the three (0: not ready) whenever it publishes its masks.
 */
#define RT_SIGPAGE_VA 0x0000720000000000ull
struct rt_sigfrom {
	volatile int32_t pid, code; /* sender, and siginfo's si_code */
};
struct rt_sigpage {
	volatile uint64_t pending; /* proc sets, the runtime takes */
	volatile uint64_t blocked; /* the runtime's mask */
	volatile uint64_t caught;  /* the runtime's: with a handler */
	volatile uint64_t ignored; /* the runtime's: SIG_IGN */
	struct rt_sigfrom from[64];
	volatile uint64_t async_entry, rt_lo, rt_hi; /* the runtime's */
	struct metta_regs async_regs;		      /* proc's */
	/* proc sets, the runtime takes: a child gave us its namespace
	 * (NESTER_SETNS with w1 1: the mount, bind and import commands), so
	 * the runtime reads it again (/proc/self/ns) once it has waited. */
	volatile uint64_t ns_changed;
};

/*
 * What the root nester hands the process server (docs/servers.md): its
 * portal (SERVE) in slot 5, the boot information and every boot module it
 * accepted in the nucleus's slots (CAP_BOOTINFO, CAP_FIRST_MODULE + i),
 * and these. Whatever is in PROC_SLOT_ENV + s goes to every process in
 * slot s (CAP_TTY, CAP_RANDOM, ...).
 */
#define PROC_SLOT_FILES 12  /* ramfs's portal: the files programs come from */
#define PROC_SLOT_NESTER 13 /* the root nester's service */
#define PROC_SLOT_ENV 48    /* + CAP_*: the environment of every process */

#endif
