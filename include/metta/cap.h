/*
 * Capabilities as user space sees them: a slot number in the domain's own
 * capability table, object types and rights. Shared by the nucleus and
 * libmetta.
 */
#ifndef METTA_CAP_H
#define METTA_CAP_H

/* Object types. */
#define OBJ_NONE    0
#define OBJ_DOMAIN  1
#define OBJ_THREAD  2
#define OBJ_PORTAL  3
#define OBJ_EVENT   4
#define OBJ_MEMORY  5
#define OBJ_IRQ	    6
#define OBJ_IOPORT  7
#define OBJ_PHYSMEM 8
#define OBJ_REPLY   9 /* a held call, to be answered later */
#define OBJ_TYPES   10
/* Their names, in the same order (statistics, listings). */
#define OBJ_NAMES                                                     \
	{ "none", "domain", "thread", "portal", "event", "memory", "irq", \
	  "ioport", "physmem", "reply" }

/* Rights. What each means depends on the type (docs/nucleus.md). */
#define RIGHT_READ    0x01 /* memory: map readable; event: wait/poll */
#define RIGHT_WRITE   0x02 /* memory: map writable; event: signal */
#define RIGHT_EXEC    0x04 /* memory: map executable */
#define RIGHT_CALL    0x08 /* portal: call it */
#define RIGHT_SERVE   0x10 /* portal: receive and reply on it */
#define RIGHT_CONTROL 0x20 /* domain/thread: control, inspect, kill */
#define RIGHT_GRANT   0x40 /* may be copied or passed on */
#define RIGHT_ALL     0x7f

/* Slots every domain starts with. */
#define CAP_SELF 0 /* the domain itself */
/* The root domain also starts with every device: */
#define CAP_IRQS       1 /* interrupt lines: ISA 0-15, then MSI (metta/abi.h) */
#define CAP_IOPORTS    2 /* I/O ports 0-0xffff */
#define CAP_PHYSMEM    3 /* physical addresses outside RAM (device memory) */
#define CAP_BOOTINFO 4 /* struct metta_bootinfo (metta/abi.h) */
#define CAP_FIRST_MODULE 16 /* boot module i is in CAP_FIRST_MODULE + i */

/* The environment every process gets from the process server. */
#define CAP_TTY 5	/* the console (cons) */
#define CAP_RANDOM 6	/* random numbers */
#define CAP_TOD 7	/* time of day */
#define CAP_ROOT 8	/* its namespace root (with the file layer) */
#define CAP_NAMES 9	/* the name service */
#define CAP_NESTER 10	/* the process server, badged with its pid: spawn... */
#define CAP_LOG 11	/* the log server */
#define CAP_FIRST_FREE 4

#define CAP_SLOTS 256 /* slots per domain (fixed for now) */

#endif
