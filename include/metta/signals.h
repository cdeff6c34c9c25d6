/*
 * Linux's signal numbers and the facts about them that the process server
 * (servers/proc/signal.c) and the runtime (runtime/signal.c) both need:
 * which signals' default is to stop, continue or be ignored, and the exit
 * status of a domain ended by a signal. Kept once, here.
 */
#ifndef METTA_SIGNALS_H
#define METTA_SIGNALS_H

#include <stdint.h>

#define LX_SIGHUP   1
#define LX_SIGINT   2
#define LX_SIGQUIT  3
#define LX_SIGILL   4
#define LX_SIGTRAP  5
#define LX_SIGABRT  6
#define LX_SIGBUS   7
#define LX_SIGFPE   8
#define LX_SIGKILL  9
#define LX_SIGUSR1  10
#define LX_SIGSEGV  11
#define LX_SIGUSR2  12
#define LX_SIGPIPE  13
#define LX_SIGALRM  14
#define LX_SIGTERM  15
#define LX_SIGCHLD  17
#define LX_SIGCONT  18
#define LX_SIGSTOP  19
#define LX_SIGTSTP  20
#define LX_SIGTTIN  21
#define LX_SIGTTOU  22
#define LX_SIGURG   23
#define LX_SIGWINCH 28
#define LX_NSIG	    64

/* siginfo's si_code values we send. */
#define LX_SI_USER	 0
#define LX_SI_KERNEL	 0x80
#define LX_SI_TKILL	 (-6)
#define LX_CLD_EXITED	 1
#define LX_CLD_KILLED	 2
#define LX_CLD_STOPPED	 5
#define LX_CLD_CONTINUED 6

/* The bit of signal sig in a mask (bit sig - 1, as Linux's sigset_t). */
#define LX_SIGBIT(sig) (1ull << ((sig)-1))

/* Defaults other than the end of the process. */
#define LX_SIG_STOPS                                     \
	(LX_SIGBIT(LX_SIGSTOP) | LX_SIGBIT(LX_SIGTSTP) | \
	 LX_SIGBIT(LX_SIGTTIN) | LX_SIGBIT(LX_SIGTTOU))
#define LX_SIG_IGNORED_BY_DEFAULT                       \
	(LX_SIGBIT(LX_SIGCHLD) | LX_SIGBIT(LX_SIGURG) | \
	 LX_SIGBIT(LX_SIGWINCH) | LX_SIGBIT(LX_SIGCONT))
/* Neither caught, blocked nor ignored. */
#define LX_SIG_UNCATCHABLE (LX_SIGBIT(LX_SIGKILL) | LX_SIGBIT(LX_SIGSTOP))

/* A domain ended by signal sig has this exit status (a normal exit's is
 * its code, 0-255). */
#define METTA_EXIT_SIGNAL(sig) (0x200 | (sig))

/* Linux wait statuses of a stopped and a continued child. */
#define LX_W_STOPPED(sig) (0x7f | (sig) << 8)
#define LX_W_CONTINUED	  0xffff

#endif
