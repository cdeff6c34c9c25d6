/*
 * A kind of open file: the terminal, the console's `cons` (or `tty`) file.
 * It has no offset: the 9P offset of each read and write carries instead
 * the caller's process group and whether it blocks or ignores SIGTTIN
 * and SIGTTOU (cons does job control with them), and PIPE_NOWAIT for
 * O_NONBLOCK. The settings are cons's, not ours: every ioctl is a read
 * or a write of cons's `consctl` (docs/servers.md), so they are the same
 * for every process and outlive each.
 */
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define CTL_MAX 512

/* The settings as consctl gives them. */
struct ttyctl {
	struct lx_termios tio;
	struct lx_winsize ws;
	uint32_t pgrp, session;
};

/* Whether sig is blocked or ignored: then cons lets a background read
 * fail with EIO and a background write go (Linux's rules). */
static int jobsig_off(int sig)
{
	return (rt_self()->sigmask & (1ull << (sig - 1))) ||
	       rt.actions[sig].handler == 1 /* SIG_IGN */;
}

static uint64_t job_offset(const struct ofile *f, int sig)
{
	uint64_t off = CONS_JOB | ((uint64_t)rt_getpgrp() & CONS_PGRP_MASK);
	if (jobsig_off(sig))
		off |= CONS_JOBSIG_OFF;
	if (f->flags & LX_O_NONBLOCK)
		off |= PIPE_NOWAIT;
	return off;
}

/* One read: a line (canonical) or what the settings let through. */
static long tty_read(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return stream_read(f, ubuf, n, job_offset(f, LX_SIGTTIN));
}

static long tty_write(struct ofile *f, uint64_t ubuf, uint64_t n)
{
	return stream_write(f, ubuf, n, job_offset(f, LX_SIGTTOU));
}

/* ---- consctl ---- */

/* consctl, beside the terminal on its server (opened once per open
 * file, kept as its second fid). */
static long ctl_fid(struct ofile *f, uint32_t *fid)
{
	if (f->nloc > 1) {
		*fid = f->loc[1].fid;
		return 0;
	}
	struct loc l = { f->loc[0].c, loc_newfid(&f->loc[0]), { 0 } };
	struct p9c *c = loc_client(&l);
	const char *names[] = { "consctl" };
	if (p9c_walk(c, f->loc[0].c->rootfid, l.fid, 1, names, &l.qid) != 1)
		return -P9_ENOTTY;
	long rc = p9c_open(c, l.fid, P9_ORDWR, 0);
	if (rc) {
		p9c_clunk(c, l.fid);
		return rc;
	}
	f->loc[1] = l;
	f->nloc = 2;
	*fid = l.fid;
	return 0;
}

static const char *number(const char *s, uint32_t *v)
{
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	uint64_t x = 0;
	while (*s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	*v = (uint32_t)x;
	return s;
}

/* The numbers after `word ` at the start of a line of text: 0 or EIO. */
static long field(const char *text, const char *word, uint32_t *v, int n)
{
	size_t len = strlen(word);
	const char *s = text;
	while (*s && (strncmp(s, word, len) || s[len] != ' ')) {
		while (*s && *s != '\n')
			s++;
		s += *s == '\n';
	}
	if (!*s)
		return -P9_EIO;
	for (int i = 0; s && i < n; i++)
		s = number(s + (i ? 0 : len), &v[i]);
	return s ? 0 : -P9_EIO;
}

static long ctl_get(struct ofile *f, struct ttyctl *t)
{
	uint32_t fid, v[5 + LX_NCCS];
	char text[CTL_MAX];
	long rc = ctl_fid(f, &fid);
	const uint8_t *data;
	long n = rc ? rc
		    : p9c_read_ref(loc_client(&f->loc[1]), fid, 0, CTL_MAX - 1,
				   &data);
	if (n < 0)
		return n;
	memcpy(text, data, (size_t)n);
	text[n] = 0;
	if ((rc = field(text, "termios", v, 5 + LX_NCCS)))
		return rc;
	t->tio.c_iflag = v[0], t->tio.c_oflag = v[1];
	t->tio.c_cflag = v[2], t->tio.c_lflag = v[3];
	t->tio.c_line = (uint8_t)v[4];
	for (int i = 0; i < LX_NCCS; i++)
		t->tio.c_cc[i] = (uint8_t)v[5 + i];
	if ((rc = field(text, "winsize", v, 4)))
		return rc;
	t->ws = (struct lx_winsize){ (uint16_t)v[0], (uint16_t)v[1],
				     (uint16_t)v[2], (uint16_t)v[3] };
	if ((rc = field(text, "pgrp", &t->pgrp, 1)))
		return rc;
	return field(text, "session", &t->session, 1);
}

/* Commands to consctl, as a change from this process (SIGTTOU from the
 * background, unless it blocks or ignores it). */
static long ctl_put(struct ofile *f, const char *text)
{
	uint32_t fid;
	long rc = ctl_fid(f, &fid);
	if (rc == 0)
		rc = p9c_write(loc_client(&f->loc[1]), fid,
			       job_offset(f, LX_SIGTTOU) & ~PIPE_NOWAIT, text,
			       (uint32_t)strlen(text));
	return rc < 0 ? rc : 0;
}

/* ---- the ioctls ---- */

static long get_termios(struct ofile *f, uint64_t arg)
{
	struct ttyctl t;
	long rc = user_writable(arg, sizeof(t.tio));
	if (rc == 0 && (rc = ctl_get(f, &t)) == 0)
		memcpy((void *)arg, &t.tio, sizeof(t.tio));
	return rc;
}

/* TCSETS, TCSETSW (output is written at once: nothing to drain) and
 * TCSETSF (pending input flushed first). */
static long set_termios(struct ofile *f, uint64_t arg, int flush)
{
	struct lx_termios tio;
	char text[CTL_MAX];
	long rc = user_readable(arg, sizeof(tio));
	if (rc)
		return rc;
	memcpy(&tio, (const void *)arg, sizeof(tio));
	int n = fmt_snprintf(text, sizeof(text), "%stermios %u %u %u %u %u",
			     flush ? "flush in\n" : "", tio.c_iflag,
			     tio.c_oflag, tio.c_cflag, tio.c_lflag, tio.c_line);
	for (int i = 0; i < LX_NCCS; i++)
		n += fmt_snprintf(text + n, sizeof(text) - (size_t)n, " %u",
				  tio.c_cc[i]);
	return ctl_put(f, text);
}

static long get_winsize(struct ofile *f, uint64_t arg)
{
	struct ttyctl t;
	long rc = user_writable(arg, sizeof(t.ws));
	if (rc == 0 && (rc = ctl_get(f, &t)) == 0)
		memcpy((void *)arg, &t.ws, sizeof(t.ws));
	return rc;
}

static long set_winsize(struct ofile *f, uint64_t arg)
{
	struct lx_winsize ws;
	char text[64];
	long rc = user_readable(arg, sizeof(ws));
	if (rc)
		return rc;
	memcpy(&ws, (const void *)arg, sizeof(ws));
	fmt_snprintf(text, sizeof(text), "winsize %u %u %u %u", ws.ws_row,
		     ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
	return ctl_put(f, text);
}

/* Whether the terminal is ours: no session holds it, or ours does. */
static long ours(const struct ttyctl *t)
{
	return !t->session || t->session == (uint32_t)rt_getsid() ? 0
								  : -P9_ENOTTY;
}

/* The foreground group; while none is set, every process counts as in
 * the foreground (docs/servers.md): its own group. */
static long get_pgrp(struct ofile *f, uint64_t arg)
{
	struct ttyctl t;
	long rc = user_writable(arg, sizeof(int));
	if (rc || (rc = ctl_get(f, &t)) || (rc = ours(&t)))
		return rc;
	*(int *)arg = t.pgrp ? (int)t.pgrp : (int)rt_getpgrp();
	return 0;
}

static long set_pgrp(struct ofile *f, uint64_t arg)
{
	char text[64];
	long rc = user_readable(arg, sizeof(int));
	if (rc)
		return rc;
	int pgrp = *(const int *)arg;
	if (pgrp < 0)
		return -P9_EINVAL;
	fmt_snprintf(text, sizeof(text), "pgrp %d %ld", pgrp, rt_getsid());
	return ctl_put(f, text);
}

/* TIOCSCTTY: a session leader takes the terminal (arg 1: from another
 * session too; we are root). */
static long set_ctty(struct ofile *f, uint64_t arg)
{
	char text[64];
	if (rt_getsid() != rt_getpid())
		return -P9_EPERM;
	fmt_snprintf(text, sizeof(text), "ctty %ld %ld %d", rt_getsid(),
		     rt_getpgrp(), arg == 1);
	return ctl_put(f, text);
}

static long no_ctty(struct ofile *f)
{
	char text[64];
	fmt_snprintf(text, sizeof(text), "noctty %ld %d", rt_getsid(),
		     rt_getsid() == rt_getpid());
	return ctl_put(f, text);
}

static long flush(struct ofile *f, uint64_t arg)
{
	static const char *const how[] = { "flush in", "flush out",
					   "flush inout" };
	if (arg > LX_TCIOFLUSH)
		return -P9_EINVAL;
	return ctl_put(f, how[arg]);
}

static long tty_ioctl(struct ofile *f, uint64_t req, uint64_t arg)
{
	switch (req) {
	case LX_TCGETS:
		return get_termios(f, arg);
	case LX_TCSETS:
	case LX_TCSETSW:
		return set_termios(f, arg, 0);
	case LX_TCSETSF:
		return set_termios(f, arg, 1);
	case LX_TIOCGWINSZ:
		return get_winsize(f, arg);
	case LX_TIOCSWINSZ:
		return set_winsize(f, arg);
	case LX_TIOCGPGRP:
		return get_pgrp(f, arg);
	case LX_TIOCSPGRP:
		return set_pgrp(f, arg);
	case LX_TIOCSCTTY:
		return set_ctty(f, arg);
	case LX_TIOCNOTTY:
		return no_ctty(f);
	case LX_TCFLSH:
		return flush(f, arg);
	}
	return -P9_ENOTTY; /* Linux: a terminal's unknown request */
}

/*
 * /dev/tty is the controlling terminal: ENXIO when another session holds
 * the console (a process of no session finds it free: docs/servers.md).
 */
long tty_opened(struct ofile *f, const char *name)
{
	struct ttyctl t;
	if (strcmp(name, "tty"))
		return 0;
	long rc = ctl_get(f, &t);
	return rc ? rc : ours(&t) ? -P9_ENXIO : 0;
}

static int tty_poll(struct ofile *f, int events, int wait)
{
	(void)events;
	return ready_query(f, READY_IN | READY_OUT, wait);
}

const struct file_ops tty_ops = {
	.kind = "terminal",
	.read = tty_read,
	.write = tty_write,
	.stat = file9p_stat,
	.ioctl = tty_ioctl,
	.chmod = file9p_chmod,
	.poll = tty_poll,
};
