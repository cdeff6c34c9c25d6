/* Devices and standard streams: /dev/null, /dev/zero, /dev/random, stdout. */
#include "posixtest.h"

#include <stdlib.h>
#include <time.h>

static void t_dev_null(void)
{
	char buf[16];
	int fd = OK(open("/dev/null", O_RDWR));
	EQ(read(fd, buf, sizeof buf), 0);
	EQ(write(fd, "swallowed", 9), 9);
	EQ(write(fd, buf, sizeof buf), sizeof buf);
	EQ(read(fd, buf, sizeof buf), 0);
	struct stat st;
	OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	OK(close(fd));
	fd = OK(open("/dev/null", O_WRONLY));
	EQ(write(fd, "x", 1), 1);
	OK(close(fd));
}

static void t_dev_zero(void)
{
	unsigned char buf[1000];
	memset(buf, 0xff, sizeof buf);
	int fd = OK(open("/dev/zero", O_RDONLY));
	EQ(read(fd, buf, sizeof buf), sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECKF(buf[i] == 0, "/dev/zero byte %zu is %#x", i, buf[i]);
	/* It never ends. */
	memset(buf, 0xff, sizeof buf);
	EQ(read(fd, buf, 10), 10);
	CHECK(buf[0] == 0 && buf[9] == 0 && buf[10] == 0xff);
	OK(close(fd));
}

static void t_dev_random(void)
{
	unsigned char a[32], b[32];
	const char *name = "/dev/random";
	int fd = open(name, O_RDONLY);
	if (fd < 0) {
		name = "/dev/urandom";
		fd = OK(open(name, O_RDONLY));
	}
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	long n = OK(read(fd, a, sizeof a));
	CHECKF(n > 0, "read(%s) = %ld", name, n);
	long m = OK(read(fd, b, sizeof b));
	CHECKF(m > 0, "read(%s) = %ld", name, m);
	/* Two reads of at least 8 bytes each should not be equal. */
	if (n >= 8 && m >= 8)
		CHECKF(memcmp(a, b, 8), "two reads of %s gave the same bytes", name);
	OK(close(fd));
}

static void t_stdout(void)
{
	/* Only the return value is checked. */
	static const char line[] = "posixtest: stdout write\n";
	int fd = open("/dev/cons", O_WRONLY);
	if (fd >= 0) {
		EQ(write(fd, line, sizeof line - 1), sizeof line - 1);
		OK(close(fd));
	}
	if (fcntl(1, F_GETFD) >= 0) {
		EQ(write(1, line, sizeof line - 1), sizeof line - 1);
		EQ(write(1, line, 0), 0);
	}
	if (fcntl(2, F_GETFD) >= 0)
		EQ(write(2, "", 0), 0);
}

/* Metta's /dev/time (tod over 9P): seconds since 1970, the same clock
 * time() reads; read-only. Linux has no such file. */
static void t_dev_time(void)
{
	char buf[64] = { 0 };
	int fd = open("/dev/time", O_RDONLY);
	if (fd < 0 && errno == ENOENT)
		return; /* Linux */
	CHECK(fd >= 0);
	long n = OK(read(fd, buf, sizeof buf - 1));
	CHECK(n > 1 && buf[n - 1] == '\n');
	long t = atol(buf), now = (long)time(0);
	CHECKF(t > 1600000000 && t <= now + 2 && t >= now - 2, "time %ld, now %ld", t, now);
	EQ(read(fd, buf, sizeof buf), 0);
	OK(close(fd));
	ERR(open("/dev/time", O_WRONLY), EACCES);
}

const struct pt_test pt_dev_tests[] = {
	{"dev_time", t_dev_time},
	{"dev_null", t_dev_null},
	{"dev_zero", t_dev_zero},
	{"dev_random", t_dev_random},
	{"stdout", t_stdout},
	{0, 0},
};
