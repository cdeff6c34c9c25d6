/*
 * The console's terminal: its settings (Linux's termios, the window size,
 * the foreground process group and the session it is the controlling
 * terminal of), the line discipline that follows them as Linux's n_tty
 * does, the queue of input ready for readers, and `consctl`, the text
 * form of the settings (docs/servers.md).
 *
 * Pure code (host-tested): cons.c calls it under its lock, and it calls back
 * cons_put() for every byte to show. Signals it decides on (^C,
 * SIGTTOU, SIGWINCH...) are queued here and sent by cons.c once the lock
 * is given back (tty_next_signal).
 */
#ifndef SERVERS_CONS_TTY_H
#define SERVERS_CONS_TTY_H

#include <metta/termios.h>
#include <stdint.h>

struct tty {
	struct lx_termios tio;
	struct lx_winsize ws;
	uint32_t pgrp;	     /* the foreground process group, 0: none */
	uint32_t session;    /* the session it is the terminal of, 0: none */
	uint64_t last_input; /* when the last byte came (ns): VTIME */
};
extern struct tty tty;

/* Linux's settings at boot: cooked, echoing, ^C ^\ ^Z, 80x24. */
void tty_init(void);
/* A byte typed, at now (ns since boot: VTIME). */
void tty_input(uint8_t c, uint64_t now);
/* Bytes written: output processing (OPOST, ONLCR, OCRNL). */
void tty_output(const uint8_t *data, uint64_t n);
/*
 * What a read of at most max bytes may take now, copied to buf, the queue
 * advanced only when commit: the count (0: end of input, or nothing with
 * VMIN = VTIME = 0), or -1 when the reader must wait. timed_out: the
 * reader's VTIME ran out.
 */
long tty_take(uint8_t *buf, uint32_t max, int commit, int timed_out);
/* Whether a read would find input (poll's POLLIN). */
int tty_readable(void);
/* When a reader waiting since `since` (ns) times out (VTIME), 0: never. */
uint64_t tty_deadline(uint64_t since);
void tty_flush_input(void);
/*
 * Job control for a read (SIGTTIN) or a write (SIGTTOU, with TOSTOP) whose
 * 9P offset names the caller's group (CONS_JOB): 0 to go on, -EIO (a read, the
 * signal blocked or ignored) or -EINTR (the signal is queued).
 */
long tty_job_control(uint64_t offset, int sig);
/* consctl: the settings as text, and commands (all or nothing). */
long tty_ctl_read(char *buf, uint32_t cap);
long tty_ctl_write(const char *text, uint32_t n, uint64_t offset);
/* A native shell's copy of the termios settings (CONS_SAVE), put back
 * after a program that died with the terminal changed (CONS_RESTORE). */
void tty_save(void);
void tty_restore(void);
/* A native shell's foreground group (CONS_SET_PGRP); 0 frees the
 * terminal of any session too. */
void tty_set_pgrp(uint32_t pgrp);
/* The next signal to send: 1 and (Linux kill()'s pid, signal), or 0. */
int tty_next_signal(long *target, int *sig);

/* cons.c: shows one byte (UART and screen). */
void cons_put(char c);

#endif
