/* The console's terminal and line discipline: see tty.h. */
#include "tty.h"

#include <9p/errstr.h>
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#define LINE_MAX 4096 /* Linux's N_TTY_BUF_SIZE */
#define QUEUE	 8192
#define M_END	 1 /* a line ends with this byte */
#define M_EOF	 2 /* not data: where ^D ended a line */
#define NPENDING 8

struct tty tty;

/* Input ready for readers, each byte marked (canonical lines end). */
static uint8_t queue[QUEUE], marks[QUEUE];
static uint32_t qhead, qtail, qlines;
/* Canonical mode: the line being edited, not yet readable. */
static uint8_t line[LINE_MAX];
static uint32_t line_len;
static int literal_next; /* ^V came: the next byte is taken as it is */

static struct {
	long target;
	int sig;
} pending[NPENDING];
static int npending;

static const uint8_t default_cc[LX_NCCS] = {
	[LX_VINTR] = 3,	      [LX_VQUIT] = 0x1c,    [LX_VERASE] = 0x7f,
	[LX_VKILL] = 0x15,    [LX_VEOF] = 4,	    [LX_VMIN] = 1,
	[LX_VSTART] = 0x11,   [LX_VSTOP] = 0x13,    [LX_VSUSP] = 0x1a,
	[LX_VREPRINT] = 0x12, [LX_VDISCARD] = 0x0f, [LX_VWERASE] = 0x17,
	[LX_VLNEXT] = 0x16, /* Linux's INIT_C_CC; ^O itself is not done */
};

void tty_init(void)
{
	memset(&tty, 0, sizeof(tty));
	tty.tio.c_iflag = LX_ICRNL | LX_IXON;
	tty.tio.c_oflag = LX_OPOST | LX_ONLCR;
	tty.tio.c_cflag = LX_B38400 | LX_CS8 | LX_CREAD | LX_HUPCL;
	tty.tio.c_lflag = LX_ISIG | LX_ICANON | LX_ECHO | LX_ECHOE | LX_ECHOK |
			  LX_ECHOCTL | LX_ECHOKE | LX_IEXTEN;
	memcpy(tty.tio.c_cc, default_cc, sizeof(default_cc));
	tty.ws = (struct lx_winsize){ 24, 80, 0, 0 };
}

static void queue_signal(long target, int sig)
{
	if (npending < NPENDING)
		pending[npending].target = target,
		pending[npending++].sig = sig;
}

int tty_next_signal(long *target, int *sig)
{
	if (!npending)
		return 0;
	*target = pending[0].target;
	*sig = pending[0].sig;
	for (int i = 1; i < npending; i++)
		pending[i - 1] = pending[i];
	npending--;
	return 1;
}

/* ---- output ---- */

static void out(uint8_t c)
{
	uint32_t o = tty.tio.c_oflag;
	if (o & LX_OPOST) {
		if (c == '\n' && (o & LX_ONLCR))
			cons_put('\r');
		else if (c == '\r' && (o & LX_OCRNL))
			c = '\n';
	}
	cons_put((char)c);
}

void tty_output(const uint8_t *data, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		out(data[i]);
}

static void outs(const char *s)
{
	while (*s)
		out((uint8_t)*s++);
}

static int lflag(uint32_t bit)
{
	return (tty.tio.c_lflag & bit) != 0;
}

/* A control character shown as ^X (ECHOCTL), but tab and newline. */
static int shown_as_caret(uint8_t c)
{
	return lflag(LX_ECHOCTL) && (c < ' ' || c == 0x7f) && c != '\t' &&
	       c != '\n';
}

static void echo(uint8_t c)
{
	if (!lflag(LX_ECHO))
		return;
	if (shown_as_caret(c)) {
		out('^');
		out(c == 0x7f ? '?' : (uint8_t)(c + '@'));
	} else
		out(c);
}

/* ---- the queue readers take from ---- */

static uint32_t queued(void)
{
	return (qtail + QUEUE - qhead) % QUEUE;
}

static void enqueue(uint8_t c, uint8_t mark)
{
	if ((qtail + 1) % QUEUE == qhead)
		return; /* full: dropped, as Linux drops past its buffer */
	queue[qtail] = c;
	marks[qtail] = mark;
	qtail = (qtail + 1) % QUEUE;
	if (mark & M_END)
		qlines++;
}

/* The line edited so far becomes readable; `mark` on its last byte. */
static void push_line(uint8_t mark)
{
	for (uint32_t i = 0; i + 1 < line_len; i++)
		enqueue(line[i], 0);
	if (line_len)
		enqueue(line[line_len - 1], mark);
	line_len = 0;
}

void tty_flush_input(void)
{
	qhead = qtail = qlines = 0;
	line_len = 0;
	literal_next = 0;
}

/* ---- the line discipline ---- */

static int is_cc(uint8_t c, int which)
{
	return c && tty.tio.c_cc[which] == c; /* 0 disables (Linux) */
}

static void erase_one(void)
{
	uint8_t c = line[--line_len];
	if (!lflag(LX_ECHO))
		return;
	if (!lflag(LX_ECHOE)) {
		echo(tty.tio.c_cc[LX_VERASE]);
		return;
	}
	for (int w = shown_as_caret(c) ? 2 : 1; w > 0; w--)
		outs("\b \b");
}

static int word_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* ^W: the blanks before the cursor, then the word (Linux's rule). */
static void erase_word(void)
{
	int seen = 0;
	while (line_len) {
		if (word_char(line[line_len - 1]))
			seen = 1;
		else if (seen)
			break;
		erase_one();
	}
}

/* ^U: erased on the screen with ECHOK, ECHOKE and ECHOE, else echoed. */
static void kill_line(uint8_t c)
{
	if (!lflag(LX_ECHO) ||
	    !(lflag(LX_ECHOK) && lflag(LX_ECHOKE) && lflag(LX_ECHOE))) {
		line_len = 0;
		echo(c);
		if (lflag(LX_ECHOK) && lflag(LX_ECHO))
			out('\n');
		return;
	}
	while (line_len)
		erase_one();
}

/* ISIG: ^C, ^\, ^Z become signals to the foreground group; the input
 * goes unless NOFLSH. Target 0: no group, cons's native foreground. */
static void isig(uint8_t c, int sig)
{
	if (!lflag(LX_NOFLSH))
		tty_flush_input();
	echo(c);
	queue_signal(tty.pgrp ? -(long)tty.pgrp : 0, sig);
}

static void canonical(uint8_t c)
{
	if (is_cc(c, LX_VERASE) || c == '\b') {
		if (line_len)
			erase_one();
	} else if (lflag(LX_IEXTEN) && is_cc(c, LX_VWERASE))
		erase_word();
	else if (is_cc(c, LX_VKILL))
		kill_line(c);
	else if (is_cc(c, LX_VEOF)) {
		line[line_len++] = c;
		push_line(M_END | M_EOF); /* ^D itself is not data */
	} else if (lflag(LX_IEXTEN) && is_cc(c, LX_VLNEXT)) {
		literal_next = 1;
		if (lflag(LX_ECHO) && lflag(LX_ECHOCTL))
			outs("^\b");
	} else if (lflag(LX_IEXTEN) && is_cc(c, LX_VREPRINT)) {
		echo(c);
		out('\n');
		for (uint32_t i = 0; i < line_len; i++)
			echo(line[i]);
	} else if (c == '\n' || is_cc(c, LX_VEOL) || is_cc(c, LX_VEOL2)) {
		if (c == '\n' && !lflag(LX_ECHO) && lflag(LX_ECHONL))
			out('\n');
		else
			echo(c);
		line[line_len++] = c;
		push_line(M_END);
	} else if (line_len < LINE_MAX - 1) {
		line[line_len++] = c;
		echo(c);
	}
}

void tty_input(uint8_t c, uint64_t now)
{
	uint32_t i = tty.tio.c_iflag;
	tty.last_input = now;
	if (i & LX_ISTRIP)
		c &= 0x7f;
	if (literal_next) {
		literal_next = 0;
		if (lflag(LX_ECHO) && lflag(LX_ECHOCTL))
			outs("\b");
		if (line_len < LINE_MAX - 1)
			line[line_len++] = c;
		echo(c);
		return;
	}
	if (c == '\r') {
		if (i & LX_IGNCR)
			return;
		if (i & LX_ICRNL)
			c = '\n';
	} else if (c == '\n' && (i & LX_INLCR))
		c = '\r';
	if (lflag(LX_ISIG)) {
		int sig = is_cc(c, LX_VINTR)   ? LX_SIGINT
			  : is_cc(c, LX_VQUIT) ? LX_SIGQUIT
			  : is_cc(c, LX_VSUSP) ? LX_SIGTSTP
					       : 0;
		if (sig) {
			isig(c, sig);
			return;
		}
	}
	if (lflag(LX_ICANON)) {
		canonical(c);
		return;
	}
	enqueue(c, 0);
	if (c == '\n' && !lflag(LX_ECHO) && lflag(LX_ECHONL))
		out('\n');
	else
		echo(c);
}

/* ---- readers ---- */

/* A canonical read: up to the end of the first line, or max bytes. */
static long take_line(uint8_t *buf, uint32_t max, int commit)
{
	if (!qlines)
		return -1;
	uint32_t h = qhead, n = 0, lines = qlines;
	while (h != qtail) {
		uint8_t m = marks[h];
		if (m & M_EOF) {
			h = (h + 1) % QUEUE, lines--;
			break;
		}
		if (n == max)
			break;
		buf[n++] = queue[h];
		h = (h + 1) % QUEUE;
		if (m & M_END) {
			lines--;
			break;
		}
	}
	if (commit)
		qhead = h, qlines = lines;
	return n;
}

/* How many bytes a non-canonical read needs before it goes (VMIN). */
static uint32_t wanted(uint32_t max)
{
	uint32_t min = tty.tio.c_cc[LX_VMIN];
	return min < max ? min : max;
}

long tty_take(uint8_t *buf, uint32_t max, int commit, int timed_out)
{
	if (lflag(LX_ICANON))
		return take_line(buf, max, commit);
	uint32_t have = queued(), need = wanted(max);
	int vtime = tty.tio.c_cc[LX_VTIME] != 0;
	if (have < need || (need == 0 && have == 0 && vtime))
		if (!(timed_out && vtime && (have || need == 0)))
			return -1;
	uint32_t h = qhead, n = 0, lines = qlines;
	while (h != qtail && n < max) {
		if (marks[h] & M_END)
			lines--;
		if (!(marks[h] & M_EOF))
			buf[n++] = queue[h];
		h = (h + 1) % QUEUE;
	}
	if (commit)
		qhead = h, qlines = lines;
	return n;
}

int tty_readable(void)
{
	if (lflag(LX_ICANON))
		return qlines != 0;
	uint32_t min = tty.tio.c_cc[LX_VMIN];
	uint32_t need = !tty.tio.c_cc[LX_VTIME] && min ? min : 1;
	return queued() >= need;
}

uint64_t tty_deadline(uint64_t since)
{
	uint64_t t = (uint64_t)tty.tio.c_cc[LX_VTIME] * 100000000ull;
	if (!t || lflag(LX_ICANON))
		return 0;
	if (!tty.tio.c_cc[LX_VMIN])
		return since + t;
	/* VMIN and VTIME: a timer between bytes, from the first one. */
	return queued() ? tty.last_input + t : 0;
}

/* ---- job control ---- */

/* The group a request names (CONS_JOB), 0: none, no job control. */
static uint32_t group_of(uint64_t offset)
{
	return offset & CONS_JOB ? (uint32_t)(offset & CONS_PGRP_MASK) : 0;
}

long tty_job_control(uint64_t offset, int sig)
{
	uint32_t pg = group_of(offset);
	if (!tty.pgrp || !pg || pg == tty.pgrp)
		return 0;
	if (sig == LX_SIGTTOU && !lflag(LX_TOSTOP))
		return 0;
	if (offset & CONS_JOBSIG_OFF)
		return sig == LX_SIGTTIN ? -P9_EIO : 0;
	queue_signal(-(long)pg, sig);
	return -P9_EINTR;
}

/* A change of settings from a background group: SIGTTOU (Linux's
 * tty_check_change), unless the caller blocks or ignores it. */
static long check_change(uint64_t offset)
{
	uint32_t pg = group_of(offset);
	if (!tty.pgrp || !pg || pg == tty.pgrp || (offset & CONS_JOBSIG_OFF))
		return 0;
	queue_signal(-(long)pg, LX_SIGTTOU);
	return -P9_EINTR;
}

static struct lx_termios saved;
static int have_saved;

void tty_save(void)
{
	saved = tty.tio;
	have_saved = 1;
}

void tty_restore(void)
{
	if (!have_saved)
		return;
	if ((tty.tio.c_lflag & LX_ICANON) && !(saved.c_lflag & LX_ICANON))
		push_line(0);
	tty.tio = saved;
}

void tty_set_pgrp(uint32_t pgrp)
{
	tty.pgrp = pgrp;
	if (!pgrp)
		tty.session = 0; /* free: no session outlives its programs */
}

/* ---- consctl ---- */

long tty_ctl_read(char *buf, uint32_t cap)
{
	const struct lx_termios *t = &tty.tio;
	int n = fmt_snprintf(buf, cap, "termios %u %u %u %u %u", t->c_iflag,
			     t->c_oflag, t->c_cflag, t->c_lflag, t->c_line);
	for (int i = 0; i < LX_NCCS; i++)
		n +=
		    fmt_snprintf(buf + n, cap - (uint32_t)n, " %u", t->c_cc[i]);
	n += fmt_snprintf(buf + n, cap - (uint32_t)n,
			  "\nwinsize %u %u %u %u\npgrp %u\nsession %u\n",
			  tty.ws.ws_row, tty.ws.ws_col, tty.ws.ws_xpixel,
			  tty.ws.ws_ypixel, tty.pgrp, tty.session);
	return n;
}

#define MAX_ARGS (5 + LX_NCCS)

/* A command line's words after the first, as numbers: their count, or -1
 * for one that is no number or over max. */
static int numbers(const char *s, const char *end, uint64_t *v, int most,
		   uint64_t max)
{
	int n = 0;
	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		if (s == end)
			break;
		if (n == most || *s < '0' || *s > '9')
			return -1;
		uint64_t x = 0;
		while (s < end && *s >= '0' && *s <= '9') {
			x = x * 10 + (uint64_t)(*s++ - '0');
			if (x > max)
				return -1;
		}
		if (s < end && *s != ' ')
			return -1;
		v[n++] = x;
	}
	return n;
}

static int word_is(const char *s, const char *end, const char *w, size_t *len)
{
	size_t n = strlen(w);
	*len = n;
	return (size_t)(end - s) >= n && !memcmp(s, w, n) &&
	       ((size_t)(end - s) == n || s[n] == ' ');
}

static long set_termios(const uint64_t *v, int n, int apply)
{
	if (n != MAX_ARGS)
		return -P9_EINVAL;
	for (int i = 4; i < MAX_ARGS; i++)
		if (v[i] > 255)
			return -P9_EINVAL;
	if (!apply)
		return 0;
	tty.tio.c_iflag = (uint32_t)v[0];
	tty.tio.c_oflag = (uint32_t)v[1];
	tty.tio.c_cflag = (uint32_t)v[2];
	uint32_t was = tty.tio.c_lflag;
	tty.tio.c_lflag = (uint32_t)v[3];
	tty.tio.c_line = (uint8_t)v[4];
	for (int i = 0; i < LX_NCCS; i++)
		tty.tio.c_cc[i] = (uint8_t)v[5 + i];
	/* Leaving canonical mode, the line being edited becomes readable
	 * (Linux's n_tty_set_termios keeps it as input). */
	if ((was & LX_ICANON) && !lflag(LX_ICANON))
		push_line(0);
	return 0;
}

static long set_winsize(const uint64_t *v, int n, int apply)
{
	if (n != 4 || v[0] > 0xffff || v[1] > 0xffff || v[2] > 0xffff ||
	    v[3] > 0xffff)
		return -P9_EINVAL;
	struct lx_winsize ws = { (uint16_t)v[0], (uint16_t)v[1], (uint16_t)v[2],
				 (uint16_t)v[3] };
	if (apply && memcmp(&ws, &tty.ws, sizeof(ws))) {
		tty.ws = ws;
		if (tty.pgrp)
			queue_signal(-(long)tty.pgrp, 28 /* SIGWINCH */);
	}
	return 0;
}

/* pgrp GROUP SESSION: TIOCSPGRP from a process of SESSION. */
static long set_pgrp(const uint64_t *v, int n, int apply)
{
	if (n != 2)
		return -P9_EINVAL;
	if (tty.session && v[1] != tty.session)
		return -P9_ENOTTY;
	if (v[0] == 0 || v[0] > 0x7fffffff)
		return -P9_EINVAL;
	if (apply)
		tty.pgrp = (uint32_t)v[0];
	return 0;
}

/* ctty SESSION GROUP FORCE: TIOCSCTTY from the leader of SESSION. */
static long set_ctty(const uint64_t *v, int n, int apply)
{
	if (n != 3 || v[0] == 0 || v[1] == 0)
		return -P9_EINVAL;
	if (tty.session && tty.session != v[0] && !v[2])
		return -P9_EPERM;
	if (apply && tty.session != v[0]) {
		tty.session = (uint32_t)v[0];
		tty.pgrp = (uint32_t)v[1];
	}
	return 0;
}

/* noctty SESSION LEADER: TIOCNOTTY; the leader lets the terminal go, and
 * its foreground group gets SIGHUP and SIGCONT (Linux's
 * disassociate_ctty). */
static long set_noctty(const uint64_t *v, int n, int apply)
{
	if (n != 2)
		return -P9_EINVAL;
	if (tty.session && tty.session != v[0])
		return -P9_ENOTTY;
	if (apply && tty.session && v[1]) {
		if (tty.pgrp) {
			queue_signal(-(long)tty.pgrp, LX_SIGHUP);
			queue_signal(-(long)tty.pgrp, LX_SIGCONT);
		}
		tty.session = tty.pgrp = 0;
	}
	return 0;
}

static long flush(const char *s, const char *end, int apply)
{
	while (s < end && *s == ' ')
		s++;
	size_t k;
	int in = word_is(s, end, "in", &k) || word_is(s, end, "inout", &k);
	if (!in && !word_is(s, end, "out", &k))
		return -P9_EINVAL;
	if (apply && in)
		tty_flush_input();
	return 0; /* output is written at once: nothing waits to go */
}

/* One command line; applied only when apply. */
static long command(const char *s, const char *end, uint64_t offset, int apply)
{
	uint64_t v[MAX_ARGS];
	size_t k;
	long rc = 0;
	if (word_is(s, end, "flush", &k)) {
		if (!apply && (rc = check_change(offset)))
			return rc;
		return flush(s + k, end, apply);
	}
	struct {
		const char *name;
		long (*fn)(const uint64_t *v, int n, int apply);
		int checked; /* a change a background group may not make */
	} const cmds[] = {
		{ "termios", set_termios, 1 }, { "winsize", set_winsize, 0 },
		{ "pgrp", set_pgrp, 1 },       { "ctty", set_ctty, 0 },
		{ "noctty", set_noctty, 0 },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!word_is(s, end, cmds[i].name, &k))
			continue;
		if (cmds[i].checked && !apply && (rc = check_change(offset)))
			return rc;
		int n = numbers(s + k, end, v, MAX_ARGS, 0xffffffffull);
		return n < 0 ? -P9_EINVAL : cmds[i].fn(v, n, apply);
	}
	return -P9_EINVAL;
}

/* Every line checked first, then all applied: a bad one changes nothing. */
long tty_ctl_write(const char *text, uint32_t n, uint64_t offset)
{
	for (int apply = 0; apply < 2; apply++) {
		const char *s = text, *end = text + n;
		while (s < end) {
			const char *e = s;
			while (e < end && *e != '\n')
				e++;
			if (e > s) {
				long rc = command(s, e, offset, apply);
				if (rc)
					return rc;
			}
			s = e + 1;
		}
	}
	return n;
}
