/*
 * libmetta: native Metta programs' interface to the nucleus. The call
 * stubs (metta_log, metta_exit, ...) are generated from
 * include/metta/syscalls.def, the same list the nucleus dispatches from.
 */
#ifndef LIBMETTA_METTA_H
#define LIBMETTA_METTA_H

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

/* printf to the nucleus log (one call per line is best); returns length. */
int metta_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's main, called by the start-up code. */
int main(int argc, char **argv, char **envp);

#endif
