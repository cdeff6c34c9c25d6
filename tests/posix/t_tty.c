/*
 * The terminal on standard input, typed at: run only when asked for
 * (posixtest -t tty), on a terminal nobody else reads meanwhile. The
 * system test (tests/system/boots.py, "terminal_poll") types "typed\n"
 * some seconds after the suite starts and nothing before, then "lost",
 * ^C and "after\n".
 */
#include "posixtest.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <termios.h>
#include <time.h>

/* The settings, the window size and the foreground group, and back. */
static void t_tty_settings(void)
{
	struct termios t, u, saved;
	struct winsize ws, big = { 40, 100, 0, 0 };
	CHECK(isatty(0));
	OK(tcgetattr(0, &saved));
	CHECK(saved.c_lflag & ICANON);
	u = saved;
	u.c_lflag &= ~(ECHO | ICANON);
	u.c_cc[VMIN] = 3;
	OK(tcsetattr(0, TCSANOW, &u));
	OK(tcgetattr(0, &t));
	CHECK(!(t.c_lflag & (ECHO | ICANON)) && t.c_cc[VMIN] == 3);
	/* Another descriptor of the terminal sees the same settings. */
	int fd = OK(open("/dev/tty", O_RDWR));
	OK(tcgetattr(fd, &t));
	CHECK(!(t.c_lflag & ICANON));
	OK(tcsetattr(fd, TCSAFLUSH, &saved));
	OK(tcgetattr(0, &t));
	CHECK(t.c_lflag & ICANON && t.c_lflag & ECHO);
	/* 80x24 unless set. */
	OK(ioctl(0, TIOCGWINSZ, &ws));
	EQ(ws.ws_col, 80);
	EQ(ws.ws_row, 24);
	OK(ioctl(0, TIOCSWINSZ, &big));
	OK(ioctl(fd, TIOCGWINSZ, &ws));
	EQ(ws.ws_col, 100);
	OK(ioctl(0, TIOCSWINSZ, &(struct winsize){ 24, 80, 0, 0 }));
	/* The foreground group: ours. */
	EQ(tcgetpgrp(0), getpgrp());
	OK(tcsetpgrp(0, getpgrp()));
	EQ(tcgetpgrp(fd), getpgrp());
	OK(close(fd));
}

static void t_tty_errors(void)
{
	struct termios *volatile bad = (struct termios *)1;
	int *volatile badint = (int *)1;
	int neg = -1;
	ERR(ioctl(0, TCGETS, bad), EFAULT);
	ERR(ioctl(0, TCSETS, bad), EFAULT);
	ERR(ioctl(0, TIOCGWINSZ, bad), EFAULT);
	ERR(ioctl(0, TIOCGPGRP, badint), EFAULT);
	ERR(ioctl(0, TIOCSPGRP, &neg), EINVAL);
	ERR(ioctl(0, TCFLSH, 7), EINVAL);
	ERR(ioctl(0, 0x54ff, 0), ENOTTY); /* no such request */
	ERR(ioctl(1000, TCGETS, bad), EBADF);
}

/* Non-canonical reads: VMIN 0 and VTIME (a timeout), O_NONBLOCK. */
static void t_tty_raw(void)
{
	struct termios saved, t;
	struct timespec t0;
	char c;
	OK(tcgetattr(0, &saved));
	t = saved;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 2; /* 0.2 s */
	OK(tcsetattr(0, TCSANOW, &t));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long got = read(0, &c, 1);
	long ms = pt_elapsed_ms(&t0);
	t.c_cc[VTIME] = 0;
	t.c_cc[VMIN] = 1;
	OK(tcsetattr(0, TCSANOW, &t));
	int fl = OK(fcntl(0, F_GETFL));
	OK(fcntl(0, F_SETFL, fl | O_NONBLOCK));
	long nb = read(0, &c, 1);
	int nberr = errno;
	OK(fcntl(0, F_SETFL, fl));
	OK(tcsetattr(0, TCSANOW, &saved));
	EQ(got, 0);
	CHECKF(ms >= 150 && ms < 3000, "VTIME 2 read took %ld ms", ms);
	CHECKF(nb == -1 && nberr == EAGAIN, "O_NONBLOCK read = %ld, errno %d",
	       nb, nberr);
}

/* Nothing typed yet: poll and select time out; then the line typed
 * wakes a poll without a timeout (held by cons, not polled). */
static void t_tty_wait(void)
{
	struct pollfd f = { 0, POLLIN, 0 };
	struct timespec t0;
	fd_set r;
	struct timeval tv = { 0, 100000 };
	char buf[64];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EQ(poll(&f, 1, 200), 0);
	long ms = pt_elapsed_ms(&t0);
	CHECKF(ms >= 190 && ms < 3000, "poll(200 ms) took %ld ms", ms);
	FD_ZERO(&r);
	FD_SET(0, &r);
	EQ(select(1, &r, 0, 0, &tv), 0);
	/* Writable at once. */
	f.events = POLLOUT;
	EQ(poll(&f, 1, 0), 1);
	EQ(f.revents, POLLOUT);
	pt_say("POSIX tty: waiting for a line");
	f.events = POLLIN;
	EQ(poll(&f, 1, -1), 1);
	EQ(f.revents, POLLIN);
	FD_SET(0, &r);
	EQ(select(1, &r, 0, 0, 0), 1);
	EQ(read(0, buf, sizeof buf), 6);
	CHECK(memcmp(buf, "typed\n", 6) == 0);
	EQ(poll(&f, 1, 0), 0);
}

static volatile int intrs;
static void on_intr(int sig)
{
	(void)sig;
	intrs++;
}

/*
 * ^C with ISIG: the line typed so far goes, and cons asks the process
 * server to send SIGINT to the foreground group, ours: its handler runs
 * once, and the read (SA_RESTART) goes on to the next line. Typed:
 * "lost", ^C, "after\n".
 */
static void t_tty_intr(void)
{
	struct sigaction sa = { .sa_handler = on_intr, .sa_flags = SA_RESTART },
			 old;
	char buf[64];
	intrs = 0;
	OK(sigaction(SIGINT, &sa, &old));
	OK(tcsetpgrp(0, getpgrp()));
	pt_say("POSIX tty: waiting for ^C and a line");
	long n = read(0, buf, sizeof buf);
	int e = errno;
	sigaction(SIGINT, &old, 0);
	CHECKF(n == 6, "read = %ld, errno %d", n, e);
	CHECK(memcmp(buf, "after\n", 6) == 0);
	CHECKF(intrs == 1, "SIGINT's handler ran %d times", intrs);
}

/* Metta's consctl: the settings as text; a bad command changes nothing. */
static void t_tty_consctl(void)
{
	char text[512];
	struct winsize ws;
	int fd = OK(open("/dev/consctl", O_RDWR));
	long n = OK(read(fd, text, sizeof text - 1));
	text[n] = 0;
	CHECKF(!strncmp(text, "termios ", 8) && strstr(text, "\nwinsize 24 80 "),
	       "consctl: %s", text);
	static const char *const bad[] = {
		"bogus\n", "winsize 1 2 3\n", "termios 1 2\n",
		"winsize 30 90 0 0\nbogus\n", "winsize 99999999999 1 1 1\n",
		"pgrp 0 0\n", "flush sideways\n", "winsize 30 x 0 0\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ERR(write(fd, bad[i], strlen(bad[i])), EINVAL);
	OK(ioctl(0, TIOCGWINSZ, &ws));
	CHECK(ws.ws_row == 24 && ws.ws_col == 80);
	EQ(write(fd, "winsize 30 90 0 0\n", 18), 18);
	OK(ioctl(0, TIOCGWINSZ, &ws));
	CHECK(ws.ws_row == 30 && ws.ws_col == 90);
	EQ(write(fd, "winsize 24 80 0 0\n", 18), 18);
	OK(close(fd));
}

/* TIOCSCTTY: a session leader takes the terminal; TIOCNOTTY lets it go
 * (SIGHUP and SIGCONT to the foreground group, ours: SIGHUP ignored). */
static void t_tty_ctty(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	if (getsid(0) != getpid())
		OK(setsid()); /* a session of our own, to lead */
	CHECK(getsid(0) == getpid());
	OK(sigaction(SIGHUP, &ign, &old));
	long take = ioctl(0, TIOCSCTTY, 0);
	int e = errno;
	long pg = tcgetpgrp(0);
	int fd = open("/dev/tty", O_RDWR);
	long drop = ioctl(0, TIOCNOTTY);
	int e2 = errno;
	sigaction(SIGHUP, &old, 0);
	CHECKF(take == 0, "TIOCSCTTY: errno %d", e);
	EQ(pg, getpgrp());
	CHECK(fd >= 0);
	OK(close(fd));
	CHECKF(drop == 0, "TIOCNOTTY: errno %d", e2);
}

const struct pt_test pt_tty_tests[] = {
	{"tty_settings", t_tty_settings},
	{"tty_errors", t_tty_errors},
	{"tty_consctl", t_tty_consctl},
	{"tty_ctty", t_tty_ctty},
	{"tty_raw", t_tty_raw},
	{"tty_wait", t_tty_wait},
	{"tty_intr", t_tty_intr},
	{0, 0},
};
