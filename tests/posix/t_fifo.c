/*
 * Named pipes (FIFOs): mkfifo, mknod and mknodat (FIFOs and regular files;
 * no device nodes on Metta), stat and getdents types, bytes between
 * processes through one, O_NONBLOCK and O_RDWR opens, unlink.
 *
 * Linux's open of a FIFO waits for the other end; Metta's does not (the
 * first read or write waits instead), so where a test waits for the other
 * end it accepts the wait in either place.
 */
#include "posixtest.h"

#include <signal.h>
#include <sys/time.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

static void nap_ms(long ms)
{
	struct timespec t = { 0, ms * 1000000 };
	nanosleep(&t, 0);
}

static void t_fifo_make(void)
{
	struct stat st;
	OK(mkfifo("f", 0666));
	OK(stat("f", &st));
	CHECK(S_ISFIFO(st.st_mode));
	EQ(st.st_mode & 07777, 0644); /* the runner's umask is 022 */
	EQ(st.st_size, 0);
	OK(lstat("f", &st));
	CHECK(S_ISFIFO(st.st_mode));
	/* getdents64 says DT_FIFO. */
	DIR *d = opendir(".");
	CHECK(d != NULL);
	struct dirent *e;
	int seen = 0;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, "f"))
			seen = e->d_type == DT_FIFO ? 1 : -1;
	closedir(d);
	EQ(seen, 1);
	/* The name is taken; the directory must be there and be one. */
	ERR(mkfifo("f", 0600), EEXIST);
	ERR(mknod("f", S_IFIFO | 0600, 0), EEXIST);
	ERR(mkfifo("nodir/g", 0600), ENOENT);
	OK(pt_mkfile("file", "x", 1, 0600));
	ERR(mkfifo("file/g", 0600), ENOTDIR);
	/* mknodat, relative to a directory. */
	OK(mkdir("sub", 0755));
	int dfd = OK(open("sub", O_RDONLY | O_DIRECTORY));
	OK(mknodat(dfd, "g", S_IFIFO | 0640, 0));
	OK(fstatat(dfd, "g", &st, 0));
	CHECK(S_ISFIFO(st.st_mode));
	EQ(st.st_mode & 0777, 0640);
	OK(close(dfd));
	/* Removed like a file. */
	OK(unlink("sub/g"));
	OK(unlink("f"));
	ERR(stat("f", &st), ENOENT);
	OK(rmdir("sub"));
	OK(unlink("file"));
}

static void t_fifo_mknod_types(void)
{
	struct stat st;
	/* Type 0 and S_IFREG make an empty regular file, as Linux does. */
	OK(mknod("r", S_IFREG | 0600, 0));
	OK(mknod("z", 0600, 0));
	OK(stat("r", &st));
	CHECK(S_ISREG(st.st_mode) && st.st_size == 0);
	EQ(st.st_mode & 0777, 0600);
	OK(stat("z", &st));
	CHECK(S_ISREG(st.st_mode));
	ERR(mknod("r", S_IFREG | 0600, 0), EEXIST);
	ERR(mknod("bad", 0170000 | 0600, 0), EINVAL);
	/* Device nodes: never on Metta (a device is a server's file). Linux
	 * makes them for a privileged user, else refuses with EPERM. */
	long rc = PT_EVAL(mknod("c", S_IFCHR | 0600, makedev(1, 3)));
	int e = errno;
	if (pt_on_metta() || rc != 0) {
		CHECKF(rc == -1 && e == EPERM,
		       "mknod S_IFCHR = %ld, errno %s, expected EPERM", rc,
		       pt_errname(e));
		ERR(mknod("b", S_IFBLK | 0600, makedev(7, 0)), EPERM);
		ERR(stat("c", &st), ENOENT);
	} else {
		OK(unlink("c"));
	}
	OK(unlink("r"));
	OK(unlink("z"));
}

/*
 * A child writes into the FIFO and exits while we read it: the bytes
 * arrive, then the end of file. One side comes late (child_late: the
 * writer), so the other waits for it: in open on Linux, in the first read
 * or write on Metta.
 */
static void fifo_between(int child_late)
{
	char buf[64];
	OK(mkfifo("f", 0600));
	pid_t pid = OK(fork());
	if (pid == 0) {
		if (child_late)
			nap_ms(100);
		int fd = open("f", O_WRONLY);
		int ok = fd >= 0 && write(fd, "hello ", 6) == 6 &&
			 write(fd, "fifo", 4) == 4;
		_exit(ok ? 0 : 1);
	}
	if (!child_late)
		nap_ms(100);
	/* The child is reaped before any check, so that a failure here
	 * leaves no child behind for the next test's waits. */
	int fd = open("f", O_RDONLY), e = errno, status;
	long got = 0, r = -1;
	while (fd >= 0 &&
	       (r = read(fd, buf + got, sizeof buf - (size_t)got)) > 0)
		got += r;
	if (fd >= 0)
		close(fd);
	else
		kill(pid, SIGKILL); /* Linux: its open waits for a reader */
	EQ(waitpid(pid, &status, 0), pid);
	CHECKF(fd >= 0, "open for reading: errno %s", pt_errname(e));
	EQ(r, 0);
	EQ(got, 10);
	CHECK(memcmp(buf, "hello fifo", 10) == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	OK(unlink("f"));
}

static void t_fifo_fork_reader_first(void)
{
	fifo_between(1);
}

static void t_fifo_fork_writer_first(void)
{
	fifo_between(0);
}

static void t_fifo_nonblock(void)
{
	char c;
	struct stat st, fst;
	OK(mkfifo("f", 0600));
	/* No reader: a writer that will not wait is refused at open. */
	ERR(open("f", O_WRONLY | O_NONBLOCK), ENXIO);
	/* A reader that will not wait opens, and reads 0 with no writer. */
	int r = OK(open("f", O_RDONLY | O_NONBLOCK));
	EQ(read(r, &c, 1), 0);
	int w = OK(open("f", O_WRONLY | O_NONBLOCK));
	ERR(read(r, &c, 1), EAGAIN);
	EQ(write(w, "x", 1), 1);
	EQ(read(r, &c, 1), 1);
	EQ(c, 'x');
	/* fstat of either end is the FIFO's own stat. */
	OK(stat("f", &st));
	OK(fstat(w, &fst));
	CHECK(S_ISFIFO(fst.st_mode) && fst.st_ino == st.st_ino);
	OK(close(w));
	EQ(read(r, &c, 1), 0);
	OK(close(r));
	OK(unlink("f"));
}

/* O_RDWR: both ends at once, never waiting; the bytes go with the last
 * close. */
static void t_fifo_rdwr(void)
{
	char buf[8];
	OK(mkfifo("f", 0600));
	int fd = OK(open("f", O_RDWR));
	EQ(write(fd, "ab", 2), 2);
	EQ(read(fd, buf, sizeof buf), 2);
	CHECK(memcmp(buf, "ab", 2) == 0);
	EQ(write(fd, "lost", 4), 4);
	OK(close(fd));
	fd = OK(open("f", O_RDWR | O_NONBLOCK));
	ERR(read(fd, buf, sizeof buf), EAGAIN);
	OK(close(fd));
	OK(unlink("f"));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A reader with no writer waits, and a signal interrupts the wait: in
 * open on Linux, in read on Metta. */
static void t_fifo_wait_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval soon = { { 0, 0 }, { 0, 100000 } }, off = { 0 };
	char c;
	OK(mkfifo("f", 0600));
	OK(sigaction(SIGALRM, &sa, &old));
	OK(setitimer(ITIMER_REAL, &soon, 0));
	int fd = open("f", O_RDONLY);
	int e = errno;
	long r = fd < 0 ? -1 : read(fd, &c, 1);
	if (fd >= 0)
		e = errno;
	OK(setitimer(ITIMER_REAL, &off, 0));
	OK(sigaction(SIGALRM, &old, 0));
	CHECKF(r == -1 && e == EINTR, "open or read = %ld, errno %s, expected EINTR",
	       r, pt_errname(e));
	if (fd >= 0)
		OK(close(fd));
	OK(unlink("f"));
}

const struct pt_test pt_fifo_tests[] = {
	{"fifo_make", t_fifo_make},
	{"fifo_mknod_types", t_fifo_mknod_types},
	{"fifo_fork_reader_first", t_fifo_fork_reader_first},
	{"fifo_fork_writer_first", t_fifo_fork_writer_first},
	{"fifo_nonblock", t_fifo_nonblock},
	{"fifo_rdwr", t_fifo_rdwr},
	{"fifo_wait_eintr", t_fifo_wait_eintr},
	{0, 0},
};
