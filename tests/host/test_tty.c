/*
 * Host tests of the console's line discipline and settings
 * (servers/cons/tty.c): canonical editing, ^D, partial reads, VMIN and
 * VTIME, ISIG and its flush, output processing, job control, and
 * consctl's text with its bad commands.
 */
#include <string.h>

#include "9p/errstr.h"
#include "check.h"
#include "../../servers/cons/tty.h"
#include <metta/proto.h>

static char shown[4096];
static size_t nshown;

void cons_put(char c)
{
	if (nshown < sizeof(shown) - 1)
		shown[nshown++] = c;
	shown[nshown] = 0;
}

static void reset(void)
{
	tty_init();
	tty_flush_input();
	long t;
	int s;
	while (tty_next_signal(&t, &s))
		;
	nshown = 0;
	shown[0] = 0;
}

static void type(const char *s)
{
	while (*s)
		tty_input((uint8_t)*s++, 1000);
}

/* What a read of max bytes takes now, NUL-terminated in buf. */
static long take(char *buf, uint32_t max)
{
	long n = tty_take((uint8_t *)buf, max, 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static int canonical_editing(void)
{
	char buf[64];
	reset();
	type("abx\x7f");
	CHECK(!tty_readable() && take(buf, 64) == -1); /* no line yet */
	type("c\n");
	CHECK(take(buf, 64) == 4 && !strcmp(buf, "abc\n"));
	CHECK(!strcmp(shown, "abx\b \bc\r\n"));
	type("foo bar\x17"
	     "baz\n"); /* ^W: the word */
	CHECK(take(buf, 64) == 8 && !strcmp(buf, "foo baz\n"));
	type("junk\x15ok\n"); /* ^U: the line */
	CHECK(take(buf, 64) == 3 && !strcmp(buf, "ok\n"));
	type("a\bb\r"); /* ^H erases too; CR is NL (ICRNL) */
	CHECK(take(buf, 64) == 2 && !strcmp(buf, "b\n"));
	/* A control character echoes as ^X and erases as two columns. */
	nshown = 0;
	type("\x01\x7f\n");
	CHECK(!strcmp(shown, "^A\b \b\b \b\r\n"));
	CHECK(take(buf, 64) == 1);
	return 0;
}

static int eof_and_partial_reads(void)
{
	char buf[64];
	reset();
	type("tail\x04"); /* ^D ends the line, without itself */
	CHECK(take(buf, 64) == 4 && !strcmp(buf, "tail"));
	type("\x04"); /* on an empty line: end of input */
	CHECK(tty_readable() && take(buf, 64) == 0);
	CHECK(take(buf, 64) == -1);
	/* A line read in pieces; a read never passes a line's end. */
	type("hello\nworld\n");
	CHECK(take(buf, 3) == 3 && !strcmp(buf, "hel"));
	CHECK(take(buf, 64) == 3 && !strcmp(buf, "lo\n"));
	CHECK(take(buf, 64) == 6 && !strcmp(buf, "world\n"));
	/* Peeking (no commit) leaves the input. */
	type("x\n");
	CHECK(tty_take((uint8_t *)buf, 64, 0, 0) == 2);
	CHECK(take(buf, 64) == 2);
	return 0;
}

static int set(const char *cmd)
{
	return (int)tty_ctl_write(cmd, (uint32_t)strlen(cmd), 0);
}

/* The settings with lflag and VMIN, VTIME changed, as consctl text. */
static int set_raw(uint32_t lflag, int vmin, int vtime)
{
	char cmd[256];
	const struct lx_termios *t = &tty.tio;
	int n = snprintf(cmd, sizeof(cmd), "termios %u %u %u %u 0", t->c_iflag,
			 t->c_oflag, t->c_cflag, lflag);
	for (int i = 0; i < LX_NCCS; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %u",
			      i == LX_VMIN    ? (unsigned)vmin
			      : i == LX_VTIME ? (unsigned)vtime
					      : t->c_cc[i]);
	return set(cmd) == n ? 0 : -1;
}

static int non_canonical(void)
{
	char buf[64];
	reset();
	type("par"); /* being edited when ICANON goes: readable after */
	CHECK(set_raw(LX_ISIG, 2, 0) == 0);
	CHECK(take(buf, 64) == 3 && !strcmp(buf, "par"));
	type("a");
	CHECK(!tty_readable() && take(buf, 64) == -1); /* VMIN 2 */
	CHECK(take(buf, 1) == 1);		       /* min(VMIN, count) */
	type("bc");
	CHECK(tty_readable() && take(buf, 64) == 2 && !strcmp(buf, "bc"));
	CHECK(!strcmp(shown, "par")); /* no ECHO now */
	CHECK(set_raw(LX_ISIG, 0, 0) == 0);
	CHECK(take(buf, 64) == 0); /* VMIN 0, VTIME 0: nothing, at once */
	/* VTIME: a timeout from the read (VMIN 0), between bytes (VMIN). */
	CHECK(set_raw(LX_ISIG, 0, 5) == 0);
	CHECK(take(buf, 64) == -1 && tty_deadline(100) == 100 + 500000000);
	CHECK(tty_take((uint8_t *)buf, 64, 1, 1) == 0);
	CHECK(set_raw(LX_ISIG, 4, 5) == 0);
	CHECK(tty_deadline(100) == 0); /* no byte yet: no timer */
	type("z");
	CHECK(tty_deadline(100) == 1000 + 500000000);
	CHECK(take(buf, 64) == -1 && tty_take((uint8_t *)buf, 64, 1, 1) == 1);
	return 0;
}

static int signals_and_flush(void)
{
	char buf[64];
	long target;
	int sig;
	reset();
	type("lost\x03");
	CHECK(tty_next_signal(&target, &sig) && target == 0 && sig == 2);
	CHECK(!strcmp(shown, "lost^C"));
	type("kept\n");
	CHECK(take(buf, 64) == 5 && !strcmp(buf, "kept\n"));
	/* A foreground group: the signal is its; ^\ and ^Z too. */
	CHECK(set("pgrp 7 0\n") == 9);
	type("x\n\x1c\x1a");
	CHECK(tty_next_signal(&target, &sig) && target == -7 && sig == 3);
	CHECK(tty_next_signal(&target, &sig) && target == -7 && sig == 20);
	CHECK(!tty_next_signal(&target, &sig));
	CHECK(take(buf, 64) == -1); /* the line typed before went too */
	return 0;
}

static int output_processing(void)
{
	reset();
	tty_output((const uint8_t *)"a\nb", 3);
	CHECK(!strcmp(shown, "a\r\nb"));
	CHECK(set("termios 256 0 191 35387 0 3 28 127 21 4 0 1 0 17 19 26 0 18 "
		  "15 23 22 0 0 0\n") > 0);
	nshown = 0;
	tty_output((const uint8_t *)"a\nb", 3);
	CHECK(!strcmp(shown, "a\nb")); /* no OPOST */
	return 0;
}

static int job_control(void)
{
	long target;
	int sig;
	reset();
	/* No foreground group: nothing to check. */
	const uint64_t g5 = CONS_JOB | 5, g6 = CONS_JOB | 6;
	CHECK(tty_job_control(g6, LX_SIGTTIN) == 0);
	CHECK(set("pgrp 5 0\n") > 0);
	CHECK(tty_job_control(g5, LX_SIGTTIN) == 0);
	CHECK(tty_job_control(CONS_JOB, LX_SIGTTIN) == 0); /* unknown */
	CHECK(tty_job_control(6, LX_SIGTTIN) == 0);	   /* no group named */
	CHECK(tty_job_control(g6, LX_SIGTTIN) == -P9_EINTR);
	CHECK(tty_next_signal(&target, &sig) && target == -6 && sig == 21);
	CHECK(tty_job_control(g6 | CONS_JOBSIG_OFF, LX_SIGTTIN) == -P9_EIO);
	CHECK(tty_job_control(g6, LX_SIGTTOU) == 0); /* no TOSTOP */
	tty.tio.c_lflag |= LX_TOSTOP;
	CHECK(tty_job_control(g6, LX_SIGTTOU) == -P9_EINTR);
	CHECK(tty_job_control(g6 | CONS_JOBSIG_OFF, LX_SIGTTOU) == 0);
	/* A background change of settings: SIGTTOU, nothing changed; a
	 * plain write at some offset (a shell's echo > consctl) names none. */
	CHECK(tty_ctl_write("pgrp 6 0\n", 9, g6) == -P9_EINTR && tty.pgrp == 5);
	CHECK(tty_ctl_write("pgrp 6 0\n", 9, g6 | CONS_JOBSIG_OFF) == 9);
	CHECK(tty_ctl_write("pgrp 5 0\n", 9, 6) == 9 && tty.pgrp == 5);
	return 0;
}

static int consctl(void)
{
	char text[512];
	reset();
	long n = tty_ctl_read(text, sizeof(text));
	CHECK(n > 0 &&
	      !strcmp(text, "termios 1280 5 1215 35387 0 3 28 127 21 4 "
			    "0 1 0 17 19 26 0 18 15 23 22 0 0 0\n"
			    "winsize 24 80 0 0\npgrp 0\nsession 0\n"));
	/* Every line checked before any is applied. */
	static const char *const bad[] = {
		"bogus",
		"winsize 1 2 3",
		"winsize 30 90 0 0\nbogus",
		"winsize 70000 1 1 1",
		"termios 1 2",
		"pgrp 0 0",
		"pgrp 1",
		"flush sideways",
		"winsize 30 x 0 0",
		"ctty 0 1 0",
		"termios 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 256",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(set(bad[i]) == -P9_EINVAL);
	CHECK(tty.ws.ws_row == 24 && tty.tio.c_cflag == 1215);
	CHECK(set("winsize 30 90 1 2\n\n") == 19 && tty.ws.ws_col == 90);
	/* Sessions: the terminal taken, then kept from others. */
	CHECK(set("ctty 9 9 0") > 0 && tty.session == 9 && tty.pgrp == 9);
	CHECK(set("ctty 4 4 0") == -P9_EPERM);
	CHECK(set("pgrp 4 4") == -P9_ENOTTY);
	CHECK(set("pgrp 12 9") > 0 && tty.pgrp == 12);
	CHECK(set("noctty 4 1") == -P9_ENOTTY);
	long target;
	int sig;
	while (tty_next_signal(&target, &sig))
		;
	CHECK(set("noctty 9 1") > 0 && tty.session == 0 && tty.pgrp == 0);
	CHECK(tty_next_signal(&target, &sig) && target == -12 && sig == 1);
	CHECK(tty_next_signal(&target, &sig) && target == -12 && sig == 18);
	CHECK(set("ctty 4 4 0") > 0 && set("ctty 5 5 1") > 0 &&
	      tty.session == 5);
	return 0;
}

int main(void)
{
	RUN(canonical_editing);
	RUN(eof_and_partial_reads);
	RUN(non_canonical);
	RUN(signals_and_flush);
	RUN(output_processing);
	RUN(job_control);
	RUN(consctl);
	return check_done();
}
