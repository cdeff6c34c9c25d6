/*
 * The protocols of the first servers (docs/servers.md). A request is a
 * portal call whose word 0 is the operation, words 1-3 its arguments,
 * strings and bulk data in the message buffer, and capabilities in the
 * message's slots. The reply's word 0 is a status (0 or a negative
 * STATUS_*), words 1-3 results. 9P takes over for files with issue 5.
 */
#ifndef METTA_PROTO_H
#define METTA_PROTO_H

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
 * Twrite whose offset has PIPE_NOWAIT fails with EAGAIN rather than wait. */
#define PIPE_ANAME "pipe"
#define PIPE_NOWAIT (1ull << 63)

/*
 * The nester service: the process server's to every process it starts
 * (CAP_NESTER, badged with the pid), the root nester's to the process
 * server (domains, kill and power off only).
 */
#define NESTER_SPAWN 1	   /* data: "program\0arg\0arg..."; reply cap: the domain */
#define NESTER_DOMAINS 2   /* reply data: a table of every domain */
#define NESTER_KILL 3	   /* w1: domain id */
#define NESTER_POWEROFF 4
#define NESTER_SETNS 5	   /* data: the caller's namespace, as text */
#define NESTER_IDENTITY 6  /* reply w1: the caller's pid, w2: its parent's */
#define NESTER_EXEC 7	   /* data: "file\0name\0arg\0...": a new program */
/* w1: Linux kill()'s pid (-pgid: a group), w2: the signal. Also from
 * callers that are no process (cons: ^C, SIGTTIN). */
#define NESTER_SIGNAL 11
/* A nester's own watcher thread to its server thread: w1 = bits of the
 * children that died (only through the nester's own badged capability). */
#define NESTER_DEATHS 16

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
