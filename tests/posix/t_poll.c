/*
 * Waiting for descriptors (poll, ppoll, select, pselect6) over pipes,
 * regular files and directories, with their timeouts and errors;
 * sendfile between descriptors; terminal ioctls on what is no terminal.
 */
#include "posixtest.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <termios.h>
#include <time.h>

static void t_poll_pipe(void)
{
	int p[2];
	struct pollfd f[2];
	char c;
	OK(pipe(p));
	f[0] = (struct pollfd){ p[0], POLLIN, 0 };
	f[1] = (struct pollfd){ p[1], POLLOUT, 0 };
	/* Empty: the write end is ready, the read end is not. */
	EQ(poll(f, 2, 0), 1);
	EQ(f[0].revents, 0);
	EQ(f[1].revents, POLLOUT);
	EQ(write(p[1], "x", 1), 1);
	EQ(poll(f, 1, 0), 1);
	EQ(f[0].revents, POLLIN);
	EQ(read(p[0], &c, 1), 1);
	/* No writer left: POLLHUP, even when not asked for. */
	OK(close(p[1]));
	f[0].events = 0;
	EQ(poll(f, 1, 0), 1);
	EQ(f[0].revents, POLLHUP);
	OK(close(p[0]));
	/* No reader left: POLLERR on the write end. */
	OK(pipe(p));
	OK(close(p[0]));
	f[1] = (struct pollfd){ p[1], POLLOUT, 0 };
	EQ(poll(&f[1], 1, 0), 1);
	CHECK(f[1].revents & POLLERR);
	OK(close(p[1]));
}

static void t_poll_timeout(void)
{
	int p[2];
	struct timespec t0;
	struct pollfd f;
	OK(pipe(p));
	f = (struct pollfd){ p[0], POLLIN, 0 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EQ(poll(&f, 1, 150), 0);
	long ms = pt_elapsed_ms(&t0);
	CHECKF(ms >= 140 && ms < 3000, "poll(150 ms) took %ld ms", ms);
	/* ppoll: a timespec, and a signal mask for the call. */
	struct timespec ts = { 0, 100000000 };
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EQ(ppoll(&f, 1, &ts, &mask), 0);
	ms = pt_elapsed_ms(&t0);
	CHECKF(ms >= 90 && ms < 3000, "ppoll(100 ms) took %ld ms", ms);
	/* The mask was for the call only. */
	sigset_t now;
	OK(sigprocmask(SIG_BLOCK, 0, &now));
	CHECK(!sigismember(&now, SIGUSR1));
	/* A negative fd is left out; an empty poll just waits. */
	f.fd = -1;
	EQ(poll(&f, 1, 10), 0);
	EQ(f.revents, 0);
	EQ(poll(0, 0, 10), 0);
	OK(close(p[0]));
	OK(close(p[1]));
}

static void t_poll_files(void)
{
	struct pollfd f[3];
	OK(pt_mkfile("file", "abc", 3, 0644));
	int fd = OK(open("file", O_RDWR));
	int dir = OK(open(".", O_RDONLY | O_DIRECTORY));
	f[0] = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	f[1] = (struct pollfd){ dir, POLLIN, 0 };
	f[2] = (struct pollfd){ 1000, POLLIN, 0 };
	/* Files and directories are always ready; a bad fd is POLLNVAL. */
	EQ(poll(f, 3, -1), 3);
	EQ(f[0].revents, POLLIN | POLLOUT);
	EQ(f[1].revents, POLLIN);
	EQ(f[2].revents, POLLNVAL);
	OK(close(fd));
	OK(close(dir));
	OK(unlink("file"));
}

static void t_poll_errors(void)
{
	struct pollfd f = { 0, POLLIN, 0 };
	struct pollfd *volatile bad = (struct pollfd *)1;
	struct timespec *volatile badts = (struct timespec *)1;
	struct timespec neg = { -1, 0 }, big = { 0, 1000000000 };
	ERR(poll(bad, 1, 0), EFAULT);
	ERR(syscall(SYS_ppoll, &f, 1, badts, 0, 8), EFAULT); /* musl copies it */
	ERR(ppoll(&f, 1, &neg, 0), EINVAL);
	ERR(ppoll(&f, 1, &big, 0), EINVAL);
	/* ppoll's sigset size must be sigset_t's (8 bytes). */
	uint64_t mask = 0;
	struct timespec zero = { 0, 0 };
	ERR(syscall(SYS_ppoll, &f, 1, &zero, &mask, 4), EINVAL);
	/* More descriptors than RLIMIT_NOFILE allows. */
	struct rlimit rl;
	OK(getrlimit(RLIMIT_NOFILE, &rl));
	ERR(poll(&f, rl.rlim_cur + 1, 0), EINVAL);
}

static void t_select_pipe(void)
{
	int p[2];
	fd_set r, w;
	struct timeval tv = { 0, 0 };
	OK(pipe(p));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	int n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	EQ(select(n, &r, &w, 0, &tv), 1);
	CHECK(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
	EQ(write(p[1], "ab", 2), 2);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	EQ(select(n, &r, 0, 0, &tv), 1);
	CHECK(FD_ISSET(p[0], &r));
	/* A timeout with nothing ready: 0 after it, the sets cleared. */
	char buf[2];
	EQ(read(p[0], buf, 2), 2);
	struct timespec t0;
	tv = (struct timeval){ 0, 120000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EQ(select(n, &r, 0, 0, &tv), 0);
	long ms = pt_elapsed_ms(&t0);
	CHECKF(ms >= 110 && ms < 3000, "select(120 ms) took %ld ms", ms);
	CHECK(!FD_ISSET(p[0], &r));
	/* pselect6: a timespec and a mask. */
	FD_SET(p[0], &r);
	struct timespec ts = { 0, 50000000 };
	sigset_t mask;
	sigemptyset(&mask);
	EQ(pselect(n, &r, 0, 0, &ts, &mask), 0);
	/* The last writer gone: readable (end of file). */
	OK(close(p[1]));
	FD_SET(p[0], &r);
	EQ(select(n, &r, 0, 0, 0), 1);
	CHECK(FD_ISSET(p[0], &r));
	OK(close(p[0]));
}

static void t_select_errors(void)
{
	fd_set r;
	struct timeval neg = { -1, 0 }, negus = { 0, -1 };
	fd_set *volatile bad = (fd_set *)1;
	FD_ZERO(&r);
	FD_SET(0, &r);
	ERR(select(-1, &r, 0, 0, 0), EINVAL);
	ERR(select(1, &r, 0, 0, &neg), EINVAL);
	ERR(select(1, &r, 0, 0, &negus), EINVAL);
	ERR(select(1, bad, 0, 0, 0), EFAULT);
	/* A closed descriptor in a set. */
	FD_ZERO(&r);
	FD_SET(200, &r);
	struct timeval tv = { 0, 0 };
	ERR(select(201, &r, 0, 0, &tv), EBADF);
	/* pselect6's sigset size must be sigset_t's. */
	uint64_t mask = 0;
	struct { uint64_t *set; size_t size; } sig = { &mask, 4 };
	struct timespec ts = { 0, 0 };
	FD_ZERO(&r);
	ERR(syscall(SYS_pselect6, 1, &r, 0, 0, &ts, &sig), EINVAL);
}

static void t_sendfile(void)
{
	char buf[64];
	OK(pt_mkfile("src", "0123456789", 10, 0644));
	int in = OK(open("src", O_RDONLY));
	int out = OK(open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	/* With an offset: it moves, the file's own offset does not. */
	off_t off = 2;
	EQ(sendfile(out, in, &off, 5), 5);
	EQ(off, 7);
	EQ(lseek(in, 0, SEEK_CUR), 0);
	/* Without: from the file's offset, which moves; short at the end. */
	EQ(lseek(in, 8, SEEK_SET), 8);
	EQ(sendfile(out, in, 0, 100), 2);
	EQ(lseek(in, 0, SEEK_CUR), 10);
	EQ(sendfile(out, in, 0, 100), 0);
	OK(close(out));
	int fd = OK(open("dst", O_RDONLY));
	EQ(read(fd, buf, sizeof buf), 7);
	CHECK(memcmp(buf, "2345689", 7) == 0);
	OK(close(fd));
	/* Into a pipe. */
	int p[2];
	OK(pipe(p));
	off = 0;
	EQ(sendfile(p[1], in, &off, 4), 4);
	EQ(read(p[0], buf, sizeof buf), 4);
	CHECK(memcmp(buf, "0123", 4) == 0);
	/* Errors, in Linux's order. */
	off_t *volatile badoff = (off_t *)1;
	off = -1;
	ERR(sendfile(p[1], in, badoff, 1), EFAULT);
	ERR(sendfile(p[1], 1000, 0, 1), EBADF);
	ERR(sendfile(1000, in, 0, 1), EBADF);
	ERR(sendfile(p[1], in, &off, 1), EINVAL);
	ERR(sendfile(in, in, 0, 1), EBADF); /* out not open for writing */
	int app = OK(open("dst", O_WRONLY | O_APPEND));
	ERR(sendfile(app, in, 0, 1), EINVAL);
	off = 0;
	ERR(sendfile(p[1], p[0], &off, 1), ESPIPE);
	OK(close(app));
	OK(close(p[0]));
	OK(close(p[1]));
	OK(close(in));
	OK(unlink("src"));
	OK(unlink("dst"));
}

/* Terminal requests on what is no terminal: ENOTTY; a bad fd: EBADF. */
static void t_ioctl_notty(void)
{
	struct termios t;
	struct winsize ws;
	int p[2];
	OK(pt_mkfile("file", "x", 1, 0644));
	int fd = OK(open("file", O_RDONLY));
	OK(pipe(p));
	ERR(ioctl(fd, TCGETS, &t), ENOTTY);
	ERR(ioctl(p[0], TCGETS, &t), ENOTTY);
	ERR(ioctl(p[1], TIOCGWINSZ, &ws), ENOTTY);
	ERR(ioctl(1000, TCGETS, &t), EBADF);
	ERR(tcgetattr(fd, &t), ENOTTY);
	CHECK(!isatty(fd) && !isatty(p[0]));
	OK(close(fd));
	OK(close(p[0]));
	OK(close(p[1]));
	OK(unlink("file"));
}

const struct pt_test pt_poll_tests[] = {
	{"poll_pipe", t_poll_pipe},
	{"poll_timeout", t_poll_timeout},
	{"poll_files", t_poll_files},
	{"poll_errors", t_poll_errors},
	{"select_pipe", t_select_pipe},
	{"select_errors", t_select_errors},
	{"sendfile", t_sendfile},
	{"ioctl_notty", t_ioctl_notty},
	{0, 0},
};
