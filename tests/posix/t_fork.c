/*
 * Processes: fork (a copy of memory, the same descriptors with shared
 * offsets), vfork, clone as fork, posix_spawn, exit statuses, wait4 and
 * waitid with their options and errors, pipes between processes, nice
 * values (getpriority, setpriority) across processes.
 */
#include "posixtest.h"

#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

/* Waits for pid and checks it exited with code. */
#define EXITED(pid, code) do { \
	int _st = 0; \
	EQ(waitpid((pid), &_st, 0), (pid)); \
	if (!WIFEXITED(_st) || WEXITSTATUS(_st) != (code)) { \
		pt_fail(__FILE__, __LINE__, "status %#x, expected exit %d", \
			_st, (code)); \
		return; \
	} } while (0)

static void t_fork_status(void)
{
	for (int code = 0; code < 256; code += 85) {
		pid_t pid = OK(fork());
		if (pid == 0)
			_exit(code);
		CHECK(pid != getpid());
		EXITED(pid, code);
	}
	/* exit_group's code is taken modulo 256, as Linux. */
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(256 + 9);
	EXITED(pid, 9);
}

static volatile int shared_word = 1;

static void t_fork_memory(void)
{
	int p[2];
	OK(pipe(p));
	shared_word = 2;
	char *heap = malloc(100000);
	CHECK(heap != 0);
	memset(heap, 'h', 100000);
	pid_t pid = OK(fork());
	if (pid == 0) {
		/* What we see is the moment of the fork; then our own. */
		int ok = shared_word == 2 && heap[99999] == 'h';
		shared_word = 3;
		heap[0] = 'c';
		char c = ok ? 'y' : 'n';
		write(p[1], &c, 1);
		_exit(getppid() > 0 ? 0 : 1);
	}
	char c = 0;
	EQ(read(p[0], &c, 1), 1);
	EQ(c, 'y');
	EXITED(pid, 0);
	EQ(shared_word, 2); /* the child's writes stayed its own */
	EQ(heap[0], 'h');
	free(heap);
	OK(close(p[0]));
	OK(close(p[1]));
}

/* One open file, two processes: one offset (Linux, POSIX). */
static void t_fork_offsets(void)
{
	int fd = OK(open("f", O_CREAT | O_RDWR | O_TRUNC, 0644));
	EQ(write(fd, "a", 1), 1);
	pid_t pid = OK(fork());
	if (pid == 0) {
		int ok = write(fd, "b", 1) == 1 &&
			 lseek(fd, 0, SEEK_CUR) == 2;
		_exit(ok ? 0 : 1);
	}
	EXITED(pid, 0);
	EQ(lseek(fd, 0, SEEK_CUR), 2);
	EQ(write(fd, "c", 1), 1);
	char buf[8] = { 0 };
	EQ(pread(fd, buf, sizeof buf, 0), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	/* Status flags are shared too; close-on-exec is the descriptor's. */
	pid = OK(fork());
	if (pid == 0)
		_exit(fcntl(fd, F_SETFL, O_APPEND) == 0 ? 0 : 1);
	EXITED(pid, 0);
	CHECK(fcntl(fd, F_GETFL) & O_APPEND);
	/* A descriptor the child closes stays open here. */
	pid = OK(fork());
	if (pid == 0)
		_exit(close(fd) == 0 ? 0 : 1);
	EXITED(pid, 0);
	EQ(pread(fd, buf, 1, 0), 1);
	OK(close(fd));
	OK(unlink("f"));
}

/* A pipeline's plumbing: the child writes, the parent reads to the end,
 * which comes when the child (the last writer) is gone. */
static void t_fork_pipe(void)
{
	int p[2];
	OK(pipe(p));
	pid_t pid = OK(fork());
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 100; i++)
			if (write(p[1], "0123456789", 10) != 10)
				_exit(1);
		_exit(0); /* the write end closes with us */
	}
	OK(close(p[1]));
	char buf[256];
	long total = 0, n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		total += n;
	EQ(n, 0);
	EQ(total, 1000);
	EXITED(pid, 0);
	OK(close(p[0]));
}

static void t_fork_wait(void)
{
	int st;
	ERR(waitpid(-1, &st, 0), ECHILD);
	ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	int p[2];
	OK(pipe(p));
	pid_t pid = OK(fork());
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 4 : 5); /* waits for us */
	}
	OK(close(p[0]));
	EQ(waitpid(pid, &st, WNOHANG), 0); /* running: nothing yet */
	ERR(waitpid(pid + 1000, &st, 0), ECHILD); /* not ours */
	ERR(waitpid(pid, &st, 0x100000), EINVAL);
	OK(close(p[1])); /* now it may end */
	/* waitid: WNOWAIT leaves the zombie for the next wait. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	EQ(si.si_pid, pid);
	EQ(si.si_signo, SIGCHLD);
	EQ(si.si_code, CLD_EXITED);
	EQ(si.si_status, 4);
	ERR(waitid(P_PID, pid, &si, 0), EINVAL); /* nothing to wait for */
	ERR(waitid(7, pid, &si, WEXITED), EINVAL);
	EXITED(pid, 4);
	ERR(waitpid(pid, &st, 0), ECHILD); /* collected */
	/* Any child, several of them. */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = OK(fork());
		if (kids[i] == 0)
			_exit(10 + i);
	}
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		pid_t got = OK(wait(&st));
		for (int k = 0; k < 3; k++)
			if (got == kids[k] && WEXITSTATUS(st) == 10 + k)
				seen |= 1 << k;
	}
	EQ(seen, 7);
	ERR(wait(&st), ECHILD);
}

static void t_fork_clone(void)
{
	/* glibc's fork: clone(CHILD_SETTID | CHILD_CLEARTID | SIGCHLD). */
	pid_t tid = 0;
	long pid = OK(syscall(SYS_clone,
			      CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
				  SIGCHLD,
			      0, 0, &tid, 0));
	if (pid == 0)
		_exit(tid == getpid() ? 0 : 1);
	EQ(tid, 0); /* the child's memory only */
	EXITED(pid, 0);
	pid_t ptid = 0;
	pid = OK(syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid,
			 0, 0));
	if (pid == 0)
		_exit(0);
	EQ(ptid, pid);
	EXITED(pid, 0);
	/* Linux makes the child even when the word cannot be written. */
	pid = OK(syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0,
			 (void *)8, 0, 0));
	if (pid == 0)
		_exit(0);
	EXITED(pid, 0);
	pid = OK(vfork());
	if (pid == 0)
		_exit(6);
	EXITED(pid, 6);
}

static void t_fork_exec(void)
{
	char *argv[] = { "sh", "-c", "exit 4", 0 };
	pid_t pid;
	EQ(posix_spawn(&pid, "/bin/sh", 0, 0, argv, environ), 0);
	EXITED(pid, 4);
	char *argv2[] = { "sh", "-c", "exit 6", 0 };
	pid = OK(fork());
	if (pid == 0) {
		execve("/bin/sh", argv2, environ);
		_exit(127);
	}
	EXITED(pid, 6);
	/* A missing program: posix_spawn says so, and no child is left. */
	EQ(posix_spawn(&pid, "/no/such", 0, 0, argv, environ), ENOENT);
	int st;
	ERR(waitpid(-1, &st, WNOHANG), ECHILD);
}

static volatile int got_chld;
static void on_chld(int sig)
{
	(void)sig;
	got_chld++;
}

/* As a shell waits: SIGCHLD's handler, sigsuspend until it ran, then
 * waitpid with WNOHANG; the status is the child's. */
static void t_fork_sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_chld }, old;
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	OK(sigaction(SIGCHLD, &sa, &old));
	OK(sigprocmask(SIG_BLOCK, &block, &orig));
	got_chld = 0;
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(3);
	sigset_t wait_mask = orig;
	sigdelset(&wait_mask, SIGCHLD);
	while (!got_chld)
		sigsuspend(&wait_mask);
	int st = 0;
	EQ(waitpid(-1, &st, WNOHANG), pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %#x", st);
	OK(sigprocmask(SIG_SETMASK, &orig, 0));
	OK(sigaction(SIGCHLD, &old, 0));
}

/* Many in a row: nothing is left behind (the table would fill). */
static void t_fork_many(void)
{
	for (int i = 0; i < 100; i++) {
		pid_t pid = OK(fork());
		if (pid == 0)
			_exit(i & 0xff);
		EXITED(pid, i & 0xff);
	}
}

/* A child that holds a pipe's write end and waits to be killed. */
static pid_t holder(int p[2])
{
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (;;)
			pause();
	}
	return pid;
}

/* Whether the pipe's read end p0 is at its end: no writer left. */
static int at_end(int p0)
{
	char c;
	return fcntl(p0, F_SETFL, O_NONBLOCK) == 0 && read(p0, &c, 1) == 0;
}

/*
 * A process killed (SIGKILL, or a signal it does not handle) lets go of
 * its open files as one that exits does: the pipe's reader sees the end
 * once the killed writer is reaped, and many in a row exhaust nothing
 * (more than the pipes and open files a process group may hold).
 */
static void t_fork_killed_release(void)
{
	for (int i = 0; i < 150; i++) {
		int p[2], st;
		OK(pipe(p));
		pid_t pid = OK(holder(p));
		OK(close(p[1]));
		int sig = i & 1 ? SIGKILL : SIGTERM;
		OK(kill(pid, sig));
		EQ(waitpid(pid, &st, 0), pid);
		CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == sig, "status %#x", st);
		CHECKF(at_end(p[0]), "round %d: a writer is left", i);
		OK(close(p[0]));
	}
}

/* Killed children nobody waits for (SIGCHLD ignored: reaped at once)
 * leave nothing behind either. */
static void t_fork_killed_unwaited(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	OK(sigaction(SIGCHLD, &ign, &old));
	for (int i = 0; i < 150; i++) {
		int p[2];
		OK(pipe(p));
		pid_t pid = OK(holder(p));
		OK(close(p[1]));
		OK(close(p[0]));
		OK(kill(pid, SIGKILL));
	}
	OK(sigaction(SIGCHLD, &old, 0));
	int p[2];
	OK(pipe(p));
	OK(close(p[0]));
	OK(close(p[1]));
}

/* The same with files opened on a server (each a fid there: a server
 * gives a client only so many), by children killed unwaited for. */
static void t_fork_killed_fids(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	OK(sigaction(SIGCHLD, &ign, &old));
	for (int i = 0; i < 60; i++) {
		int p[2];
		char c;
		OK(pipe(p));
		pid_t pid = OK(fork());
		if (pid == 0) {
			int fd = open("/dev/null", O_RDONLY);
			(void)!write(p[1], fd >= 0 ? "y" : "n", 1);
			for (;;)
				pause();
		}
		OK(close(p[1]));
		EQ(read(p[0], &c, 1), 1);
		CHECKF(c == 'y', "round %d: the child could not open", i);
		OK(close(p[0]));
		OK(kill(pid, SIGKILL));
	}
	OK(sigaction(SIGCHLD, &old, 0));
	for (int i = 0; i < 10; i++)
		OK(close(OK(open("/dev/null", O_RDONLY))));
}

/* A child's checks of its own nice value, as an exit code: 0 when all
 * hold. It raises its value (anyone may), which its own child inherits;
 * Linux clamps to 19; only root may lower it again. */
static int child_priority(int base)
{
	int want = base + 3 > 19 ? 19 : base + 3;
	if (setpriority(PRIO_PROCESS, 0, base + 3) || setpgid(0, 0))
		return 1;
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) != want || errno)
		return 2;
	if (syscall(SYS_getpriority, PRIO_PROCESS, 0) != 20 - want)
		return 3; /* the raw call's answer: 20 - nice */
	pid_t pid = fork();
	if (pid == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == want ? 0 : 1);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		return 4;
	if (setpriority(PRIO_PROCESS, getpid(), 100) ||
	    getpriority(PRIO_PROCESS, 0) != 19)
		return 5;
	if (geteuid() == 0 && (setpriority(PRIO_PGRP, 0, want) ||
			       getpriority(PRIO_PGRP, 0) != want))
		return 6;
	return 0;
}

/* The nice value /proc/PID/stat shows (its 19th field), or 99. */
static int stat_nice(pid_t pid)
{
	char path[64], buf[1024];
	int nice = 99;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return nice;
	buf[n] = 0;
	char *rest = strrchr(buf, ')');
	if (rest)
		sscanf(rest + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				 "%*s %*s %*s %*s %*s %d", &nice);
	return nice;
}

static void t_fork_priority(void)
{
	int ready[2], done[2];
	char c;
	errno = 0;
	int base = getpriority(PRIO_PROCESS, 0);
	EQ(errno, 0);
	EQ(syscall(SYS_getpriority, PRIO_PROCESS, getpid()), 20 - base);
	OK(pipe(ready));
	OK(pipe(done));
	pid_t pid = OK(fork());
	if (pid == 0) {
		int code = child_priority(base);
		write(ready[1], "r", 1);
		read(done[0], &c, 1);
		_exit(code);
	}
	EQ(read(ready[0], &c, 1), 1);
	/* the child's value, seen from here, by pid and by its group */
	int want = geteuid() == 0 ? (base + 3 > 19 ? 19 : base + 3) : 19;
	errno = 0;
	EQ(getpriority(PRIO_PROCESS, pid), want);
	EQ(getpriority(PRIO_PGRP, pid), want);
	EQ(errno, 0);
	EQ(stat_nice(pid), want);
	EQ(getpriority(PRIO_PROCESS, 0), base); /* ours unchanged */
	EQ(write(done[1], "d", 1), 1);
	EXITED(pid, 0);
	/* PRIO_USER 0: every process of ours (root's, on Metta everyone) */
	errno = 0;
	CHECK(getpriority(PRIO_USER, 0) <= base && errno == 0);
	/* Errors: an unknown which, nobody by that name. */
	ERR(getpriority(3, 0), EINVAL);
	ERR(setpriority(-1, 0, 0), EINVAL);
	ERR(getpriority(PRIO_PROCESS, 999999), ESRCH);
	ERR(getpriority(PRIO_PROCESS, -5), ESRCH);
	ERR(setpriority(PRIO_PROCESS, 999999, 0), ESRCH);
	ERR(getpriority(PRIO_PGRP, 999999), ESRCH);
	ERR(setpriority(PRIO_USER, 54321, 0), ESRCH);
}

const struct pt_test pt_fork_tests[] = {
	{"fork_status", t_fork_status},
	{"fork_memory", t_fork_memory},
	{"fork_offsets", t_fork_offsets},
	{"fork_pipe", t_fork_pipe},
	{"fork_wait", t_fork_wait},
	{"fork_clone", t_fork_clone},
	{"fork_exec", t_fork_exec},
	{"fork_sigchld", t_fork_sigchld},
	{"fork_many", t_fork_many},
	{"fork_killed_release", t_fork_killed_release},
	{"fork_killed_unwaited", t_fork_killed_unwaited},
	{"fork_killed_fids", t_fork_killed_fids},
	{"fork_priority", t_fork_priority},
	{0, 0},
};
