/*
 * Pipes within one process (fork comes later): bytes across, end of file,
 * EPIPE, O_NONBLOCK, atomic writes of PIPE_BUF, flags, errors.
 */
#include "posixtest.h"

#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

static void t_pipe_bytes(void)
{
	int p[2];
	char buf[64];
	OK(pipe(p));
	CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	EQ(write(p[1], "hello", 5), 5);
	EQ(write(p[1], " there", 6), 6);
	/* A read takes what is there, up to its count. */
	EQ(read(p[0], buf, 3), 3);
	CHECK(memcmp(buf, "hel", 3) == 0);
	EQ(read(p[0], buf, sizeof buf), 8);
	CHECK(memcmp(buf, "lo there", 8) == 0);
	/* The last writer gone: end of file. */
	OK(close(p[1]));
	EQ(read(p[0], buf, sizeof buf), 0);
	EQ(read(p[0], buf, sizeof buf), 0);
	OK(close(p[0]));
}

static void t_pipe_ends(void)
{
	int p[2];
	char c;
	struct stat st;
	OK(pipe(p));
	OK(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	ERR(pread(p[0], &c, 1, 0), ESPIPE);
	ERR(write(p[0], "x", 1), EBADF);
	ERR(read(p[1], &c, 1), EBADF);
	/* A duplicate keeps the write end open. */
	int d = OK(dup(p[1]));
	OK(close(p[1]));
	EQ(write(d, "z", 1), 1);
	EQ(read(p[0], &c, 1), 1);
	EQ(c, 'z');
	OK(close(d));
	EQ(read(p[0], &c, 1), 0);
	OK(close(p[0]));
}

static void t_pipe_epipe(void)
{
	int p[2];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	OK(sigaction(SIGPIPE, &ign, &old));
	OK(pipe(p));
	OK(close(p[0]));
	ERR(write(p[1], "x", 1), EPIPE);
	OK(close(p[1]));
	OK(sigaction(SIGPIPE, &old, 0));
}

static void t_pipe_nonblock(void)
{
	int p[2];
	static char big[3 * PIPE_BUF];
	char c;
	OK(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	EQ(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	ERR(read(p[0], &c, 1), EAGAIN);
	/* Fill it: a write that does not fit whole goes in part, or not. */
	long put = 0, r;
	while ((r = write(p[1], big, sizeof big)) > 0)
		put += r;
	ERR(write(p[1], big, 1), EAGAIN);
	CHECK(put >= PIPE_BUF);
	/* Draining one byte makes no room for an atomic PIPE_BUF write. */
	EQ(read(p[0], &c, 1), 1);
	ERR(write(p[1], big, PIPE_BUF), EAGAIN);
	long got = 1;
	while ((r = read(p[0], big, sizeof big)) > 0)
		got += r;
	EQ(got, put);
	EQ(write(p[1], big, PIPE_BUF), PIPE_BUF);
	/* Back to blocking through fcntl. */
	OK(fcntl(p[0], F_SETFL, 0));
	EQ(read(p[0], big, PIPE_BUF), PIPE_BUF);
	OK(close(p[0]));
	OK(close(p[1]));
}

static void t_pipe_errors(void)
{
	int p[2];
	int *volatile bad = (int *)1;
	ERR(pipe2(p, O_APPEND), EINVAL);
	ERR(pipe(bad), EFAULT);
	ERR(pipe2(bad, 0), EFAULT);
	/* Many pipes, each closed: none is kept. */
	for (int i = 0; i < 200; i++) {
		OK(pipe(p));
		OK(close(p[0]));
		OK(close(p[1]));
	}
}

const struct pt_test pt_pipe_tests[] = {
	{"pipe_bytes", t_pipe_bytes},
	{"pipe_ends", t_pipe_ends},
	{"pipe_epipe", t_pipe_epipe},
	{"pipe_nonblock", t_pipe_nonblock},
	{"pipe_errors", t_pipe_errors},
	{0, 0},
};
