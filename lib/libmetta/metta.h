/*
 * libmetta: native Metta programs' interface to the nucleus. The call
 * stubs (metta_log, metta_exit, ...) are generated from
 * include/metta/syscalls.def, the same list the nucleus dispatches from.
 */
#ifndef LIBMETTA_METTA_H
#define LIBMETTA_METTA_H

#include <metta/cap.h>
#include <metta/status.h>
#include <metta/syscall_stubs.h>
#include <stdarg.h>

/*
 * IPC (hand-written stubs: the words travel in registers). w[4] holds the
 * message words going out and the answer's coming back; msg (may be NULL)
 * adds a data buffer and capabilities. reply_wait answers the last caller
 * (if any) and waits for the next, whose badge it stores in *badge.
 */
long metta_call(uint32_t portal, struct metta_msg *msg, uint64_t w[4]);
long metta_reply_wait(uint32_t portal, struct metta_msg *msg, uint64_t w[4],
		      uint64_t *badge);
long metta_reply(struct metta_msg *msg, uint64_t w[4]);
/* Answers a call held in a reply capability (metta_reply_save) from any
 * thread; the capability is used up. ERR_INTR: the caller was
 * interrupted meanwhile (the reply went nowhere). */
long metta_reply_send(uint32_t reply, struct metta_msg *msg, uint64_t w[4]);

/* A free slot of our capability table (0 if none is free); safe from
 * several threads at once. */
uint32_t metta_slot_alloc(void);
/* A slot metta_slot_alloc must never hand out (kept empty on purpose). */
void metta_slot_reserve(uint32_t slot);
/* A new memory object of `pages` zeroed pages mapped read-write at va,
 * in a new slot: the slot, or 0 (no slot, no quota, va taken). */
uint32_t metta_mem_at(uint64_t va, uint64_t pages);

/* What a new program gets. */
struct metta_spawn {
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	int64_t class, prio;
	uint64_t quota; /* bytes given to the child domain */
	/* For a Linux program (no Metta note): the POSIX runtime's image,
	 * loaded beside it and started first (0: such programs are refused). */
	const void *runtime;
	uint64_t runtime_size;
	const char *ns;	      /* its namespace as text (AT_METTA_NS), or 0 */
	uint64_t stack_pages; /* 0: the default (16, or 256 for Linux) */
	/* Every page of its image and stack now (mem_populate), not at its
	 * first touch: for servers and drivers, whose memory must not fail
	 * them at a fault mid-request nor grow with their load. */
	int populate;
};

/*
 * Loads the static ELF program `image` (and, for a Linux program, the
 * runtime, which starts first) into a new child domain (its
 * capability in domain_slot) with one thread, not yet started (its
 * capability in thread_slot): give the child its capabilities first, then
 * start it with thread_ctl(THREAD_START). Segments and the stack are
 * memory objects paid for by the caller. Returns 0 or an error, with a
 * reason in *why; nothing is left behind on error.
 */
/*
 * The loader's two halves, for a program that replaces itself (exec, with
 * domain CAP_SELF): an ELF image's segments, each a new memory object
 * mapped at its address plus bias; and the initial stack (argv, envp,
 * auxv; base: the POSIX runtime's load address, or 0) below STACK_TOP,
 * whose pointer goes to *sp.
 */
#define METTA_PIE_BASE 0x400000ull /* where a position-independent one goes */
#define METTA_LINUX_STACK_PAGES 256 /* a Linux program's stack */
struct elf_image;
long metta_load_segments(uint32_t domain, const void *image,
			 const struct elf_image *img, uint64_t bias,
			 int populate);
long metta_make_stack(uint32_t domain, const struct elf_image *img,
		      const struct metta_spawn *a, uint64_t bias,
		      uint64_t base, uint64_t *sp);

long metta_spawn(const void *image, uint64_t size, const struct metta_spawn *a,
		 uint32_t domain_slot, uint32_t thread_slot, const char **why);

/*
 * A request to a server (metta/proto.h): w[0] the operation, w[1..3] its
 * arguments (and the reply's results), optional data out and in, and a
 * capability out (send_cap) and in (recv_cap, an empty slot); 0 for none.
 * Returns the reply's status, or the call's error.
 */
long metta_request(uint32_t portal, uint64_t w[4], const void *data,
		   uint64_t len, void *reply, uint64_t rsize, uint64_t *rlen,
		   uint32_t send_cap, uint32_t recv_cap);

/* The console (CAP_TTY): write, printf, read a line (0 at end of input). */
long metta_tty_write(const char *s, uint64_t n);
/* Strings s[0..n) one after another, each with its NUL, as long as they
 * fit in buf[cap] (the protocols' argument lists): the bytes used. */
uint64_t metta_pack_strings(char *buf, uint64_t cap, int n,
			    const char *const *s);
int metta_tty_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long metta_tty_read(char *buf, uint64_t max);

/* The portal registered under `name` (CAP_NAMES), into slot dst. */
long metta_names_lookup(const char *name, uint32_t dst);
/*
 * Waits (at most timeout_us) until the PCI server answers a call: it
 * serves only once it has started its drivers and published their names
 * (blkN, etherN), so what is not in names then is not there. Returns at
 * once when there is no pci.
 */
void metta_pci_settled(uint64_t timeout_us);

/*
 * Synchronisation between threads of one domain (seed 002), all sleeping
 * on waiting lists: an event whose bits belong to one waiter each
 * (waitq.c says how no wake-up is lost). Timeouts are in microseconds,
 * 0 for none; a timed wait gives STATUS_ERR_TIMEOUT, and ERR_INTR when
 * the thread was interrupted (THREAD_INTERRUPT).
 */
struct metta_waitq {
	uint32_t event;
	uint64_t slots;	  /* event bits handed to waiters */
	uint64_t waiting; /* bits of waiters not yet woken */
};
long metta_waitq_init(struct metta_waitq *q);
/* The caller's bit (0 if all 63 are taken: it will poll). */
uint64_t metta_waitq_enter(struct metta_waitq *q);
/* Gives the bit back without sleeping; 1 if a waker had chosen it. */
int metta_waitq_leave(struct metta_waitq *q, uint64_t bit);
/* Sleeps until woken (OK; the bit is given back) or the timeout. */
long metta_waitq_sleep(struct metta_waitq *q, uint64_t bit,
		       uint64_t timeout_us);
int metta_waitq_wake_one(struct metta_waitq *q);
int metta_waitq_wake_all(struct metta_waitq *q); /* how many it woke */
/* Waits until *word is no longer `seen` (woken by whoever changes it). */
long metta_waitq_until_changed(struct metta_waitq *q, const unsigned *word,
			       unsigned seen, uint64_t timeout_us);

struct metta_mutex {
	volatile char locked;
	struct metta_waitq q;
};
long metta_mutex_init(struct metta_mutex *m);
void metta_mutex_lock(struct metta_mutex *m);
int metta_mutex_trylock(struct metta_mutex *m); /* 1: taken */
void metta_mutex_unlock(struct metta_mutex *m);

struct metta_semaphore {
	long count;
	struct metta_waitq q;
};
long metta_sem_init(struct metta_semaphore *s, long value);
long metta_sem_wait(struct metta_semaphore *s, uint64_t timeout_us);
int metta_sem_trywait(struct metta_semaphore *s); /* 1: taken */
void metta_sem_post(struct metta_semaphore *s);

struct metta_barrier {
	unsigned n, arrived, generation;
	struct metta_waitq q;
};
long metta_barrier_init(struct metta_barrier *b, unsigned n);
/* 1 in the thread that arrived last, 0 in the others. */
int metta_barrier_wait(struct metta_barrier *b);

struct metta_await {
	unsigned wakeups;
	struct metta_waitq q;
};
long metta_await_init(struct metta_await *a);
unsigned metta_await_ticket(struct metta_await *a);
/* Returns once a wakeup came after the ticket was taken. */
long metta_await(struct metta_await *a, unsigned ticket, uint64_t timeout_us);
int metta_wakeup(struct metta_await *a); /* wakes all; how many slept */

/* printf to the nucleus log (one call per line is best); returns length. */
int metta_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int metta_vprintf(const char *fmt, va_list ap);

/* The program's main, called by the start-up code. */
int main(int argc, char **argv, char **envp);

#endif
