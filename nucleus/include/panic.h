#ifndef NUCLEUS_PANIC_H
#define NUCLEUS_PANIC_H

/*
 * Stops the machine after a nucleus bug: prints the message and a
 * backtrace. Never called because of anything user space did.
 */
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* The last step of every fatal error: halt (or end the test run). */
void panic_halt(void) __attribute__((noreturn));

/* With panic=exit on the command line, a panic ends QEMU with a failure. */
void panic_set_exit(int on);

#define ASSERT(cond)                                                  \
	do {                                                          \
		if (!(cond))                                          \
			panic("assertion failed: %s at %s:%d", #cond, \
			      __FILE__, __LINE__);                    \
	} while (0)

#endif
