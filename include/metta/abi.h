/*
 * Structures and constants of nucleus calls, shared by the nucleus and
 * libmetta (the call list itself is include/metta/syscalls.def).
 */
#ifndef METTA_ABI_H
#define METTA_ABI_H

#include <stdint.h>

/* Domain classes and priorities (scheduling order: class, then domain
 * priority, then thread priority). */
#define METTA_CLASS_DRIVER	0
#define METTA_CLASS_SERVER	1
#define METTA_CLASS_APPLICATION 2
#define METTA_PRIO_HIGH		0
#define METTA_PRIO_NORM		1
#define METTA_PRIO_LOW		2

/*
 * The nucleus log ring (log_register): the first page of the registered
 * memory object starts with this header, the rest of the object holds the
 * bytes. `head` counts every byte ever written; byte n is at
 * data[n % size]. A reader that falls more than `size` behind lost the
 * difference. The event is signalled after each line.
 */
struct metta_log_ring {
	volatile uint64_t head;
	uint64_t size;
	uint8_t data[];
};

/*
 * What the root domain is handed at start: this struct at the start of the
 * memory object in slot CAP_BOOTINFO, and each boot module as a read-only
 * memory object in slot CAP_FIRST_MODULE + i.
 */
#define METTA_MAX_MODULES 32
struct metta_bootinfo {
	char cmdline[512];
	uint64_t nmodules;
	struct {
		char name[56];
		uint64_t size; /* bytes */
	} modules[METTA_MAX_MODULES];
};

/* What domain_info reports. */
struct metta_domain_info {
	int64_t id;
	int64_t class;
	int64_t prio;
	uint64_t quota_limit;
	uint64_t quota_used;
	int64_t threads;
	int64_t dead;
	int64_t exit_status;
};

/* What the stats call reports: the machine as the nucleus sees it. */
#define METTA_STATS_CPUS 16 /* CPUs reported (the first ones) */
struct metta_stats {
	uint64_t now_ns; /* since reset */
	uint64_t ncpus;
	uint64_t idle_ns[METTA_STATS_CPUS]; /* each CPU's time with nothing to run */
	uint64_t calls[METTA_STATS_CPUS];   /* nucleus calls made on each CPU */
	uint64_t pages_total, pages_free;   /* physical memory, 4 KiB pages */
	uint64_t objects[16];		    /* live objects by type (OBJ_*) */
	uint64_t fastpath[METTA_STATS_CPUS]; /* of calls, by the IPC fastpath */
};

/*
 * Interrupt lines (capabilities of type OBJ_IRQ count lines): 0..15 are the
 * ISA lines, through the I/O APIC; METTA_MSI_LINE0 and up are message-
 * signalled (MSI / MSI-X) lines, METTA_MSI_LINES of them, each with a
 * vector of its own. irq_msi tells a bound MSI line's message.
 */
#define METTA_ISA_LINES 16
#define METTA_MSI_LINE0 METTA_ISA_LINES
#define METTA_MSI_LINES 64

/* dma_alloc: the most pages one call gives. */
#define METTA_DMA_MAX_PAGES 1024

/* A root domain's exit status that asks the nucleus to reset the machine
 * rather than power it off. */
#define METTA_EXIT_REBOOT 0x100

/* thread_ctl operations. */
#define THREAD_START	1 /* a new thread begins */
#define THREAD_SUSPEND	2 /* stops; a call it is blocked in will restart */
#define THREAD_RESUME	3
#define THREAD_KILL	4
#define THREAD_GET_REGS 5 /* arg: struct metta_regs * (thread suspended) */
#define THREAD_SET_REGS 6 /* arg: const struct metta_regs * */
#define THREAD_STATE	7 /* returns one of THREAD_IS_* */
#define THREAD_CPU	8 /* returns the CPU it runs on */
#define THREAD_SET_CPU	9 /* arg: the CPU to run on (not while running) */
/* A signal: the thread's held call, queued call, sleep, event_wait or
 * reply_wait returns STATUS_ERR_INTR at once (a held call's server gets a
 * notice; a call already delivered runs to its reply). A thread in none of
 * them keeps the interrupt pending: its next wait of those kinds returns
 * ERR_INTR at once instead of blocking (so a signal sent just before the
 * thread blocks is not lost); waits that need not block do not take it. */
#define THREAD_INTERRUPT 10

#define THREAD_IS_NEW	    0
#define THREAD_IS_READY	    1
#define THREAD_IS_RUNNING   2
#define THREAD_IS_BLOCKED   3
#define THREAD_IS_SUSPENDED 4
#define THREAD_IS_DEAD	    5

/* A thread's user registers. */
struct metta_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, fs_base;
	uint64_t gs_base; /* a thread pointer of its own (set_gs) */
};

/*
 * Faults. A thread that faults in a domain with a fault portal makes a
 * call to it on its own: the handler receives the words
 *   w[0] = METTA_FAULT | vector, w[1] = faulting address (page faults),
 *   w[2] = error code, w[3] = instruction address
 * with the badge of the domain's fault capability, and answers w[0] = 0 to
 * resume the thread at the faulting instruction (after mapping a page,
 * say), anything else to end the domain. The thread's registers are
 * untouched either way.
 */
#define METTA_FAULT 0x4641554c00000000ull /* "FAUL" */
/*
 * In w[2], above the CPU's error code: the page touched is in a mapping
 * that allows the access, but no page could be had for it (its object's
 * payer is out of quota, or the machine out of memory). A pager may make
 * room and answer 0 to try again.
 */
#define METTA_FAULT_NO_MEMORY (1ull << 32)

/*
 * The exit status of a domain ended by a fault (no handler, or the
 * handler said so): METTA_EXIT_FAULT | the vector, with
 * METTA_EXIT_FAULT_NO_MEMORY when it was a page that could not be had.
 */
#define METTA_EXIT_FAULT	   0x100
#define METTA_EXIT_FAULT_NO_MEMORY 0x400

/*
 * IPC. A message is four words, plus (when a descriptor is given) a data
 * buffer of up to METTA_MSG_MAX_DATA bytes copied once from the sender's
 * memory into the receiver's, and up to METTA_MSG_MAX_CAPS capabilities.
 * The words travel in registers: rdx, r10, r8, r9 on the way in and out
 * of call, reply_wait and reply; reply_wait also returns the caller's
 * badge in rdi. See docs/nucleus.md.
 */
#define METTA_MSG_WORDS	   4
/* 64 KiB of payload and room for a protocol's header around it (9P's
 * Rread header is 11 bytes, so a 64 KiB read is one message). */
#define METTA_MSG_MAX_DATA (64 * 1024 + 64)
#define METTA_MSG_MAX_CAPS 4

struct metta_msg {
	uint64_t send_buf, send_len;  /* data to send with this message */
	uint64_t recv_buf, recv_size; /* where data sent to us may go */
	uint64_t recv_len;	      /* out: bytes received */
	uint32_t send_caps[METTA_MSG_MAX_CAPS]; /* own slots to pass on */
	uint32_t nsend_caps;
	uint32_t recv_caps[METTA_MSG_MAX_CAPS]; /* empty slots to receive in */
	uint32_t nrecv_caps;
	uint32_t ncaps_received; /* out */
	uint64_t timeout_us;	 /* call: give up after this long (0: never) */
};

/* mem_fork: how a child gets a mapping of ours. */
#define MEM_FORK_SHARE 0 /* the same pages (text, shared memory) */
#define MEM_FORK_COPY  1 /* a copy, paid by the child */

/*
 * Answering later (docs/nucleus.md). reply_save turns the server thread's
 * current caller into a reply capability; reply_send answers it. What
 * portal_notice reports to the portal's server, after the event given to
 * portal_watch was signalled:
 *   PORTAL_GONE: the last capability carrying badge `value` went (a
 *     client closed its connection, or died);
 *   PORTAL_CANCELLED: the caller held under cookie `value` was
 *     interrupted, suspended or killed: its reply capability is now dead.
 */
#define PORTAL_GONE	 1
#define PORTAL_CANCELLED 2
struct metta_notice {
	uint64_t kind;
	uint64_t value;
};

#endif
