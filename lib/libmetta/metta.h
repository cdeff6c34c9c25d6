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

/* printf to the nucleus log (one call per line is best); returns length. */
int metta_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's main, called by the start-up code. */
int main(int argc, char **argv, char **envp);

#endif
