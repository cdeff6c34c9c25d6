/*
 * Linux's terminal ABI (asm-generic/termbits.h, the kernel's struct
 * termios that TCGETS gives): shared by cons, which keeps the console's
 * settings and follows them as Linux's n_tty does, and the POSIX runtime,
 * which hands them to programs. Values as Linux defines them.
 */
#ifndef METTA_TERMIOS_H
#define METTA_TERMIOS_H

#include <stdint.h>

#define LX_NCCS 19

struct lx_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line, c_cc[LX_NCCS];
};

struct lx_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_cc indices. */
#define LX_VINTR    0
#define LX_VQUIT    1
#define LX_VERASE   2
#define LX_VKILL    3
#define LX_VEOF	    4
#define LX_VTIME    5
#define LX_VMIN	    6
#define LX_VSTART   8
#define LX_VSTOP    9
#define LX_VSUSP    10
#define LX_VEOL	    11
#define LX_VREPRINT 12
#define LX_VDISCARD 13
#define LX_VWERASE  14
#define LX_VLNEXT   15
#define LX_VEOL2    16

/* c_iflag. */
#define LX_ISTRIP 0000040
#define LX_INLCR  0000100
#define LX_IGNCR  0000200
#define LX_ICRNL  0000400
#define LX_IXON	  0002000

/* c_oflag. */
#define LX_OPOST 0000001
#define LX_ONLCR 0000004
#define LX_OCRNL 0000010

/* c_cflag. */
#define LX_B38400 0000017
#define LX_CS8	  0000060
#define LX_CREAD  0000200
#define LX_HUPCL  0002000

/* c_lflag. */
#define LX_ISIG	   0000001
#define LX_ICANON  0000002
#define LX_ECHO	   0000010
#define LX_ECHOE   0000020
#define LX_ECHOK   0000040
#define LX_ECHONL  0000100
#define LX_NOFLSH  0000200
#define LX_TOSTOP  0000400
#define LX_ECHOCTL 0001000
#define LX_ECHOKE  0004000
#define LX_IEXTEN  0100000

/* The terminal ioctls. */
#define LX_TCGETS     0x5401
#define LX_TCSETS     0x5402
#define LX_TCSETSW    0x5403
#define LX_TCSETSF    0x5404
#define LX_TCFLSH     0x540b
#define LX_TIOCSCTTY  0x540e
#define LX_TIOCGPGRP  0x540f
#define LX_TIOCSPGRP  0x5410
#define LX_TIOCGWINSZ 0x5413
#define LX_TIOCSWINSZ 0x5414
#define LX_TIOCNOTTY  0x5422
#define LX_TCIFLUSH   0
#define LX_TCOFLUSH   1
#define LX_TCIOFLUSH  2

/* Signals a terminal sends (Linux's numbers). */
#define LX_SIGHUP  1
#define LX_SIGINT  2
#define LX_SIGQUIT 3
#define LX_SIGCONT 18
#define LX_SIGTSTP 20
#define LX_SIGTTIN 21
#define LX_SIGTTOU 22

#endif
