/*
 * msh: a small native shell, so that the console is useful before busybox
 * runs. It reads lines from the console, runs programs from the boot
 * modules (through its nester, which starts them with their environment
 * capabilities), waits for them, and keeps the last exit status.
 * Built-ins: cd [dir], echo [words] ($? is the last status), exit [n].
 * ^C ends the program in the foreground; end of input ends the shell.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#define EVENTS 20    /* ^C from the console, and the child's end */
#define EVENTS_COPY 21
#define CHILD 22
#define CHILD_ENDED 4
#define MAX_WORDS 16

static char cwd[256] = "/";
static long status;

static int split(char *line, char **words)
{
	int n = 0;
	for (char *p = line; *p && n < MAX_WORDS;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			*p++ = 0;
		if (!*p)
			break;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
	return n;
}

static long number(const char *s)
{
	long v = 0, sign = *s == '-' ? -1 : 1;
	for (s += *s == '-'; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v * sign;
}

static void cd(int n, char **w)
{
	const char *dir = n > 1 ? w[1] : "/";
	if (dir[0] == '/')
		fmt_snprintf(cwd, sizeof(cwd), "%s", dir);
	else if (strcmp(dir, "."))
		fmt_snprintf(cwd + strlen(cwd), sizeof(cwd) - strlen(cwd), "%s%s",
			     strcmp(cwd, "/") ? "/" : "", dir);
	status = 0;
}

static void echo(int n, char **w)
{
	for (int i = 1; i < n; i++) {
		if (!strcmp(w[i], "$?"))
			metta_tty_printf("%ld", status);
		else
			metta_tty_printf("%s", w[i]);
		metta_tty_write(i + 1 < n ? " " : "", i + 1 < n);
	}
	metta_tty_write("\n", 1);
	status = 0;
}

/* Runs a boot module with arguments, in the foreground. */
static void run(int n, char **w)
{
	char args[512];
	uint64_t len =
	    metta_pack_strings(args, sizeof(args), n, (const char *const *)w);
	uint64_t req[4] = { NESTER_SPAWN }, keep[4] = { CONS_SAVE };
	metta_request(CAP_TTY, keep, 0, 0, 0, 0, 0, 0, 0);
	long rc = metta_request(CAP_NESTER, req, args, len, 0, 0, 0, 0, CHILD);
	if (rc) {
		metta_tty_printf("msh: %s: %s\n", w[0],
				 rc == STATUS_ERR_NOENT ? "not found" : status_text((int)rc));
		status = rc == STATUS_ERR_NOENT ? 127 : 126;
		return;
	}
	metta_domain_watch(CHILD, EVENTS, CHILD_ENDED);
	/* A ^C typed at the prompt was for nothing that runs now. */
	metta_event_poll(EVENTS, CONS_INTR);
	for (;;) {
		long bits = metta_event_wait(EVENTS, CHILD_ENDED | CONS_INTR, 0);
		if (bits > 0 && (bits & CONS_INTR))
			metta_domain_kill(CHILD, 130);
		if (bits > 0 && (bits & CHILD_ENDED))
			break;
	}
	struct metta_domain_info info;
	metta_domain_info(CHILD, &info);
	status = info.exit_status;
	metta_cap_delete(CHILD);
	/* The terminal is ours again: no foreground group a program set
	 * (TIOCSPGRP) outlives it, and a program that died (a signal, ^C)
	 * leaves no raw mode behind (as bash restores the terminal). */
	uint64_t fg[4] = { CONS_SET_PGRP, 0 }, back[4] = { CONS_RESTORE };
	metta_request(CAP_TTY, fg, 0, 0, 0, 0, 0, 0, 0);
	if (status >= 128)
		metta_request(CAP_TTY, back, 0, 0, 0, 0, 0, 0, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	char line[1024], *w[MAX_WORDS];
	/* The console signals ^C to a copy of our event. */
	metta_event_create(EVENTS);
	metta_cap_copy(EVENTS, EVENTS_COPY, RIGHT_WRITE | RIGHT_GRANT, 0);
	uint64_t req[4] = { CONS_SET_FOREGROUND };
	metta_request(CAP_TTY, req, 0, 0, 0, 0, 0, EVENTS_COPY, 0);
	metta_tty_printf("Metta native shell. Programs: names log domains kill "
			 "poweroff; built-ins: cd echo exit.\n");
	/* A boot milestone for the log: the TSC counts from reset (and
	 * counts instructions under QEMU's -icount). */
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	metta_printf("msh: ready at tsc %lu", (uint64_t)hi << 32 | lo);
	for (;;) {
		metta_tty_printf(status ? "msh [%ld]$ " : "msh$ ", status);
		long got = metta_tty_read(line, sizeof(line) - 1);
		if (got <= 0)
			break; /* end of input */
		line[got] = 0;
		int n = split(line, w);
		if (n == 0)
			continue;
		if (!strcmp(w[0], "exit"))
			return n > 1 ? (int)number(w[1]) : (int)status;
		if (!strcmp(w[0], "cd"))
			cd(n, w);
		else if (!strcmp(w[0], "echo"))
			echo(n, w);
		else
			run(n, w);
	}
	metta_tty_write("\n", 1);
	return 0;
}
