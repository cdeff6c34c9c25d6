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

/* A free slot of our capability table (0 if none is free). */
uint32_t metta_slot_alloc(void);

/* What a new program gets. */
struct metta_spawn {
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	int64_t class, prio;
	uint64_t quota; /* bytes given to the child domain */
};

/*
 * Loads the static ELF program `image` into a new child domain (its
 * capability in domain_slot) with one thread, not yet started (its
 * capability in thread_slot): give the child its capabilities first, then
 * start it with thread_ctl(THREAD_START). Segments and the stack are
 * memory objects paid for by the caller. Returns 0 or an error, with a
 * reason in *why; nothing is left behind on error.
 */
long metta_spawn(const void *image, uint64_t size, const struct metta_spawn *a,
		 uint32_t domain_slot, uint32_t thread_slot, const char **why);

/* printf to the nucleus log (one call per line is best); returns length. */
int metta_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's main, called by the start-up code. */
int main(int argc, char **argv, char **envp);

#endif
