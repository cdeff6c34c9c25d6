/* File descriptors: close, dup/dup2/dup3, fcntl, ioctl, and their names
 * (/dev/fd/N, /proc/self/fd/N, /dev/stdin, stdout, stderr). */
#include "posixtest.h"

#include <sys/ioctl.h>
#include <termios.h>

static void t_close(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	OK(close(fd));
	ERR(close(fd), EBADF);
	ERR(close(1000), EBADF);
	ERR(close(-1), EBADF);
	/* The lowest free number is reused. */
	int a = OK(open("f", O_RDONLY));
	int b = OK(open("f", O_RDONLY));
	OK(close(a));
	EQ(open("f", O_RDONLY), a);
	OK(close(a));
	OK(close(b));
	OK(unlink("f"));
}

static void t_dup(void)
{
	char c;
	OK(pt_mkfile("f", "abcdef", 6, 0644));
	int fd = OK(open("f", O_RDWR));
	int d = OK(dup(fd));
	CHECK(d != fd);
	/* The duplicate shares the offset (one open file description). */
	EQ(read(fd, &c, 1), 1);
	EQ(c, 'a');
	EQ(read(d, &c, 1), 1);
	EQ(c, 'b');
	EQ(lseek(d, 4, SEEK_SET), 4);
	EQ(lseek(fd, 0, SEEK_CUR), 4);
	EQ(write(fd, "E", 1), 1);
	EQ(lseek(d, 0, SEEK_CUR), 5);
	/* Closing one leaves the other usable. */
	OK(close(fd));
	EQ(pread(d, &c, 1, 4), 1);
	EQ(c, 'E');
	/* dup clears FD_CLOEXEC on the new descriptor. */
	OK(fcntl(d, F_SETFD, FD_CLOEXEC));
	int e = OK(dup(d));
	EQ(fcntl(e, F_GETFD) & FD_CLOEXEC, 0);
	/* ...and returns the lowest free number (fd was closed). */
	EQ(e, fd);
	OK(close(d));
	OK(close(e));
	ERR(dup(1000), EBADF);
	ERR(dup(-1), EBADF);
	OK(unlink("f"));
}

static void t_dup2(void)
{
	char c;
	OK(pt_mkfile("f", "xyz", 3, 0644));
	OK(pt_mkfile("g", "123", 3, 0644));
	int fd = OK(open("f", O_RDONLY));
	int g = OK(open("g", O_RDONLY));
	EQ(dup2(fd, 40), 40);
	EQ(read(40, &c, 1), 1);
	EQ(c, 'x');
	EQ(read(fd, &c, 1), 1);
	EQ(c, 'y');
	/* dup2 onto an open descriptor closes it first. */
	EQ(dup2(fd, g), g);
	EQ(read(g, &c, 1), 1);
	EQ(c, 'z');
	/* Same fd: returns it, does nothing. */
	OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	EQ(dup2(fd, fd), fd);
	EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EQ(fcntl(40, F_GETFD) & FD_CLOEXEC, 0);
	ERR(dup2(1000, 41), EBADF);
	ERR(dup2(1000, 1000), EBADF);
	ERR(dup2(fd, -1), EBADF);
	ERR(fcntl(41, F_GETFD), EBADF);
	OK(close(40));
	OK(close(fd));
	OK(close(g));
	OK(unlink("f"));
	OK(unlink("g"));
}

static void t_dup3(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	EQ(dup3(fd, 42, 0), 42);
	EQ(fcntl(42, F_GETFD) & FD_CLOEXEC, 0);
	EQ(dup3(fd, 42, O_CLOEXEC), 42);
	EQ(fcntl(42, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* Unlike dup2, the same fd twice is an error. musl checks some of
	 * this itself, so the raw call as well. */
	ERR(dup3(fd, fd, 0), EINVAL);
	ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL);
	ERR(syscall(SYS_dup3, fd, fd, O_CLOEXEC), EINVAL);
	ERR(syscall(SYS_dup3, fd, 43, 0x1), EINVAL);
	ERR(fcntl(43, F_GETFD), EBADF);
	ERR(dup3(1000, 43, 0), EBADF);
	ERR(syscall(SYS_dup3, 1000, 43, 0), EBADF);
	EQ(syscall(SYS_dup3, fd, 43, 0), 43);
	EQ(fcntl(43, F_GETFD), 0);
	OK(close(43));
	OK(close(42));
	OK(close(fd));
	OK(unlink("f"));
}

static void t_fcntl_fd(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	EQ(fcntl(fd, F_GETFD), 0);
	OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	OK(fcntl(fd, F_SETFD, 0));
	EQ(fcntl(fd, F_GETFD), 0);
	/* The flag belongs to the descriptor, not the open file. */
	int d = OK(dup(fd));
	OK(fcntl(d, F_SETFD, FD_CLOEXEC));
	EQ(fcntl(fd, F_GETFD), 0);
	OK(close(d));
	OK(close(fd));
	ERR(fcntl(fd, F_GETFD), EBADF);
	ERR(fcntl(1000, F_SETFD, FD_CLOEXEC), EBADF);
	OK(unlink("f"));
}

static void t_fcntl_fl(void)
{
	char buf[16] = {0};
	OK(pt_mkfile("f", "abc", 3, 0644));
	int fd = OK(open("f", O_RDWR));
	long fl = OK(fcntl(fd, F_GETFL));
	EQ(fl & O_ACCMODE, O_RDWR);
	EQ(fl & O_APPEND, 0);
	OK(fcntl(fd, F_SETFL, fl | O_APPEND));
	CHECK(fcntl(fd, F_GETFL) & O_APPEND);
	/* The access mode cannot be changed by F_SETFL. */
	EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	EQ(lseek(fd, 0, SEEK_SET), 0);
	EQ(write(fd, "d", 1), 1);
	EQ(pread(fd, buf, sizeof buf, 0), 4);
	CHECK(!memcmp(buf, "abcd", 4));
	/* Status flags are shared by duplicates. */
	int d = OK(dup(fd));
	CHECK(fcntl(d, F_GETFL) & O_APPEND);
	OK(fcntl(fd, F_SETFL, fl & ~O_APPEND));
	EQ(fcntl(d, F_GETFL) & O_APPEND, 0);
	EQ(lseek(fd, 0, SEEK_SET), 0);
	EQ(write(fd, "A", 1), 1);
	EQ(pread(fd, buf, sizeof buf, 0), 4);
	CHECK(!memcmp(buf, "Abcd", 4));
	OK(close(d));
	OK(close(fd));
	fd = OK(open("f", O_WRONLY | O_APPEND));
	EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND);
	OK(close(fd));
	ERR(fcntl(1000, F_GETFL), EBADF);
	OK(unlink("f"));
}

static void t_fcntl_dupfd(void)
{
	char c;
	OK(pt_mkfile("f", "q", 1, 0644));
	int fd = OK(open("f", O_RDONLY));
	int d = OK(fcntl(fd, F_DUPFD, 50));
	CHECK(d >= 50);
	EQ(fcntl(d, F_GETFD), 0);
	/* The lowest free number at or above the argument. */
	EQ(fcntl(fd, F_DUPFD, 50), d + 1);
	int e = OK(fcntl(fd, F_DUPFD_CLOEXEC, 50));
	EQ(e, d + 2);
	EQ(fcntl(e, F_GETFD), FD_CLOEXEC);
	EQ(read(e, &c, 1), 1);
	EQ(c, 'q');
	EQ(lseek(d, 0, SEEK_CUR), 1);
	int f = OK(fcntl(fd, F_DUPFD, 0));
	CHECK(f < 50 && f != fd);
	OK(close(f));
	OK(close(d + 1));
	OK(close(d));
	OK(close(e));
	ERR(fcntl(1000, F_DUPFD, 0), EBADF);
	ERR(fcntl(fd, F_DUPFD, -1), EINVAL);
	OK(close(fd));
	OK(unlink("f"));
}

static void t_ioctl(void)
{
	struct termios tio;
	struct winsize ws;
	/* stdin/stdout may or may not be terminals: success or ENOTTY. */
	for (int fd = 0; fd <= 1; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		long r = PT_EVAL(ioctl(fd, TCGETS, &tio));
		int e = errno;
		CHECKF(r == 0 || (r == -1 && e == ENOTTY),
		       "ioctl(%d, TCGETS) = %ld, errno %d (%s), expected 0 or ENOTTY",
		       fd, r, e, pt_errname(e));
		r = PT_EVAL(ioctl(fd, TIOCGWINSZ, &ws));
		e = errno;
		CHECKF(r == 0 || (r == -1 && e == ENOTTY),
		       "ioctl(%d, TIOCGWINSZ) = %ld, errno %d (%s), expected 0 or ENOTTY",
		       fd, r, e, pt_errname(e));
	}
	/* isatty is TCGETS underneath. */
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	ERR(ioctl(fd, TCGETS, &tio), ENOTTY);
	ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	EQ(isatty(fd), 0);
	OK(close(fd));
	ERR(ioctl(1000, TCGETS, &tio), EBADF);
	OK(unlink("f"));
}

/* A regular file by its descriptor's name: opened anew (its own offset;
 * O_TRUNC truncates), stat the file's, lstat a link, readlink its path. */
static void t_fd_name_file(void)
{
	char path[64], buf[8], link[512], want[512];
	struct stat a, b;
	OK(pt_mkfile("f", "hello", 5, 0644));
	int fd = OK(open("f", O_RDONLY));
	EQ(read(fd, buf, 2), 2);
	snprintf(path, sizeof path, "/dev/fd/%d", fd);
	int again = OK(open(path, O_RDONLY));
	EQ(read(again, buf, 5), 5);
	CHECK(!memcmp(buf, "hello", 5));
	EQ(lseek(fd, 0, SEEK_CUR), 2);
	OK(fstat(fd, &a));
	OK(stat(path, &b));
	CHECK(S_ISREG(b.st_mode) && a.st_ino == b.st_ino && b.st_size == 5);
	OK(lstat(path, &b));
	CHECK(S_ISLNK(b.st_mode));
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	OK(pt_readlink(path, link, sizeof link));
	CHECK(getcwd(want, sizeof want - 2) != NULL);
	strcat(want, "/f");
	CHECKF(!strcmp(link, want), "%s -> %s, not %s", path, link, want);
	ERR(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
	int w = OK(open(path, O_WRONLY | O_TRUNC));
	OK(fstat(fd, &a));
	EQ(a.st_size, 0);
	OK(close(w));
	OK(close(again));
	OK(close(fd));
	/* a file removed once open (bash's here-documents) is still there */
	OK(pt_mkfile("g", "gone", 4, 0644));
	fd = OK(open("g", O_RDONLY));
	OK(unlink("g"));
	snprintf(path, sizeof path, "/dev/fd/%d", fd);
	again = OK(open(path, O_RDONLY));
	EQ(read(again, buf, 4), 4);
	CHECK(!memcmp(buf, "gone", 4));
	ERR(access("g", F_OK), ENOENT);
	OK(close(again));
	OK(close(fd));
	/* a descriptor not open has no name */
	ERR(open(path, O_RDONLY), ENOENT);
	ERR(stat(path, &b), ENOENT);
	ERR(lstat(path, &b), ENOENT);
	ERR(access(path, F_OK), ENOENT);
	ERR(pt_readlink(path, link, sizeof link), ENOENT);
	ERR(open("/dev/fd/999999", O_RDONLY), ENOENT);
	ERR(open("/dev/fd/x", O_RDONLY), ENOENT);
	ERR(open("/dev/fd/01", O_RDONLY), ENOENT); /* no leading zero */
	OK(unlink("f"));
}

/* A pipe by its descriptors' names: the same pipe, either end; the
 * standard streams' names are links to /proc/self/fd/0, 1 and 2. */
static void t_fd_name_pipe(void)
{
	char path[64], buf[8], link[64];
	struct stat st;
	int p[2];
	OK(pipe(p));
	EQ(write(p[1], "abc", 3), 3);
	snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
	int r = OK(open(path, O_RDONLY));
	EQ(read(r, buf, 3), 3);
	CHECK(!memcmp(buf, "abc", 3));
	OK(stat(path, &st));
	CHECK(S_ISFIFO(st.st_mode));
	OK(access(path, R_OK | W_OK));
	ERR(open(path, O_RDONLY | O_DIRECTORY), ENOTDIR);
	ERR(open(path, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	/* Metta shares a pipe's end as dup does, in its own access mode
	 * (Linux would open the other end) */
	if (pt_on_metta())
		ERR(open(path, O_WRONLY), EACCES);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	int w = OK(open(path, O_WRONLY | O_CLOEXEC));
	CHECK(fcntl(w, F_GETFD) & FD_CLOEXEC);
	EQ(write(w, "z", 1), 1);
	EQ(read(p[0], buf, 1), 1);
	EQ(buf[0], 'z');
	OK(close(w));
	OK(close(r));
	OK(close(p[0]));
	OK(close(p[1]));
	OK(pt_readlink("/dev/stderr", link, sizeof link));
	CHECKF(!strcmp(link, "/proc/self/fd/2"), "/dev/stderr -> %s", link);
	OK(lstat("/dev/stdin", &st));
	CHECK(S_ISLNK(st.st_mode));
}

const struct pt_test pt_fd_tests[] = {
	{"close", t_close},
	{"dup", t_dup},
	{"dup2", t_dup2},
	{"dup3", t_dup3},
	{"fcntl_fd", t_fcntl_fd},
	{"fcntl_fl", t_fcntl_fl},
	{"fcntl_dupfd", t_fcntl_dupfd},
	{"ioctl", t_ioctl},
	{"fd_name_file", t_fd_name_file},
	{"fd_name_pipe", t_fd_name_pipe},
	{0, 0},
};
