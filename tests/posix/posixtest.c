/*
 * posixtest: main program and runner.
 *
 *   posixtest [-q] [-t PREFIX]... [-x PREFIX]... [DIR]
 *
 * DIR (default /tmp) is a writable directory on the file system under
 * test; the run makes DIR/pt.<pid>, gives every test an empty directory
 * DIR/pt.<pid>/<test> as its current directory, and removes it all at the
 * end. -q leaves out the PASS lines. -t runs only the tests whose name
 * starts with PREFIX, -x all but those (both may be repeated).
 *
 * Output, one write(1, ...) per line:
 *   POSIX BEGIN <n>
 *   POSIX PASS <name>
 *   POSIX FAIL <name>: <file:line: reason>
 *   POSIX END <passed> <failed>
 */
#include "posixtest.h"

#include <time.h>

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <spawn.h>
#include <sys/wait.h>

const char *pt_name;
int pt_failed;
int pt_perm;
char pt_scratch[4096];

static int quiet;

/* File descriptors the tests may leave open are below this. */
#define PT_MAXFD 64

void pt_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	(void)!write(1, buf, n);
}

void pt_fail(const char *file, int line, const char *fmt, ...)
{
	char reason[900];
	va_list ap;

	if (pt_failed)
		return;
	pt_failed = 1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	/* No newlines inside the line the harness parses. */
	for (char *p = reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pt_say("POSIX FAIL %s: %s:%d: %s", pt_name, file, line, reason);
}

const char *pt_errname(int e)
{
	static const struct { int e; const char *s; } names[] = {
		{0, "0"}, {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"},
		{EINTR, "EINTR"}, {EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"},
		{ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"}, {ECHILD, "ECHILD"},
		{EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"},
		{EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
		{EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"},
		{EISDIR, "EISDIR"}, {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"},
		{EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"}, {EFBIG, "EFBIG"},
		{ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"}, {EROFS, "EROFS"},
		{EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
		{ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"},
		{ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"}, {EOVERFLOW, "EOVERFLOW"},
		{ENOTSUP, "ENOTSUP"}, {EDQUOT, "EDQUOT"},
	};
	static char other[16];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == e)
			return names[i].s;
	snprintf(other, sizeof other, "E#%d", e);
	return other;
}

int pt_on_metta(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "-metta") != NULL;
}

int pt_mkfile(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	if (len && write(fd, data, len) != (ssize_t)len) {
		int e = errno;
		close(fd);
		errno = e ? e : EIO;
		return -1;
	}
	return close(fd);
}

int pt_holds(const char *path, const char *want)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(want) && !memcmp(buf, want, (size_t)n);
}

/* A byte pattern that depends on the absolute offset (for 1 MiB files). */
void pt_pattern(void *buf, size_t len, unsigned seed, size_t off)
{
	unsigned char *p = buf;
	for (size_t i = 0; i < len; i++) {
		size_t o = off + i;
		p[i] = (unsigned char)((o * 31u) ^ (o >> 9) ^ seed);
	}
}

long pt_readlink(const char *path, char *buf, size_t size)
{
	long n = readlink(path, buf, size - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* Remove dirfd/name and everything below it; 0 or -1. */
int pt_rmtree(int dirfd, const char *name)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fchmodat(dirfd, name, 0700, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pt_rmtree(fd, de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

/*
 * Are permission-denied checks meaningful here? Linux root (and, for now,
 * Metta, where geteuid() is 0) bypasses file permissions. Probe: make a
 * file with mode 0 and try to open it for reading; if that works, the
 * system bypasses permissions and the EACCES checks are skipped.
 * POSIXTEST_NOPERM=1 in the environment skips them without probing.
 */
static int probe_perm(void)
{
	const char *env = getenv("POSIXTEST_NOPERM");
	int fd, real;

	if (env && *env && strcmp(env, "0"))
		return 0;
	if (pt_mkfile("perm.probe", "x", 1, 0) < 0)
		return 0;
	fd = open("perm.probe", O_RDONLY);
	real = fd < 0 && errno == EACCES;
	if (fd >= 0)
		close(fd);
	unlink("perm.probe");
	return real;
}

long pt_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Tests left out by -x: their name prefixes. */
static char *excluded[64];
static int nexcluded;

static int matches_one(const char *name, char **prefixes, int n)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static int selected(const char *name, char **prefixes, int nprefixes)
{
	if (matches_one(name, excluded, nexcluded))
		return 0;
	return !nprefixes || matches_one(name, prefixes, nprefixes);
}

/* Whether a -t prefix names these tests (not just every test). */
static int asked_for(const char *name, char **prefixes, int nprefixes)
{
	for (int i = 0; i < nprefixes; i++)
		if (!strncmp(prefixes[i], name, strlen(name)))
			return 1;
	return 0;
}

#ifdef PT_THREADS_ONLY
/* The threads tests alone, built with glibc too (tests/glibc). */
static const struct pt_test *lists[] = { pt_thread_tests };
#define drop(list) ((void)0)
#else
static const struct pt_test *lists[] = {
	pt_file_tests, pt_fd_tests, pt_dir_tests, pt_rename_tests, pt_fs_tests,
	pt_mem_tests, pt_share_tests, pt_reopen_tests,
	pt_proc_tests, pt_err_tests, pt_dev_tests, pt_link_tests, pt_pipe_tests,
	pt_fifo_tests, pt_unix_tests, pt_inet_tests, pt_fork_tests, pt_thread_tests,
	pt_exec_tests, pt_signal_tests, pt_poll_tests, pt_tty_tests,
	pt_procfs_tests, pt_9p_tests, pt_image_tests, pt_fuzz_tests,
	/* dropped where they cannot run */
};
static const struct pt_test no_tests[] = { { 0, 0 } };

/* Leaves a list out of this run. */
static void drop(const struct pt_test *list)
{
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		if (lists[l] == list)
			lists[l] = no_tests;
}
#endif

static int passed, failed;
static unsigned char baseline[PT_MAXFD];

static void run(const struct pt_test *t)
{
	char dir[4200];
	sigset_t none;

	pt_name = t->name;
	pt_failed = 0;
	snprintf(dir, sizeof dir, "%s/%s", pt_scratch, t->name);
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		int e = errno;
		pt_fail(__FILE__, __LINE__, "cannot make the test directory %s: errno %d (%s)",
			dir, e, pt_errname(e));
	} else {
		umask(022);
		t->fn();
	}

	/* Clean up after the test, whatever it did. */
	for (int fd = 3; fd < PT_MAXFD; fd++)
		if (!baseline[fd] && fcntl(fd, F_GETFD) >= 0)
			close(fd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	umask(022);
	if (chdir(pt_scratch) < 0) {
		int e = errno;
		pt_fail(__FILE__, __LINE__, "chdir(%s): errno %d (%s)", pt_scratch, e, pt_errname(e));
	}
	/* A passing test must have removed what it made. */
	if (rmdir(t->name) < 0 && errno != ENOENT) {
		int e = errno;
		pt_fail(__FILE__, __LINE__, "test left entries in its directory: rmdir = -1, errno %d (%s)",
			e, pt_errname(e));
		pt_rmtree(AT_FDCWD, t->name);
	}

	if (pt_failed)
		failed++;
	else {
		passed++;
		if (!quiet)
			pt_say("POSIX PASS %s", t->name);
	}
}

static void usage(void)
{
	pt_say("usage: posixtest [-q] [-e ENOSPC_DIR] [-t PREFIX]... [-x PREFIX]... [DIR]");
	_exit(2);
}

int main(int argc, char **argv)
{
	const char *top = "/tmp";
	char *prefixes[64];
	int nprefixes = 0, n = 0, have_dir = 0;
	const char *enospc = getenv("POSIXTEST_ENOSPC");
	char parent[4096];
	static const struct pt_test enospc_test = {"enospc", pt_test_enospc};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "-e") && i + 1 < argc)
			enospc = argv[++i]; /* as POSIXTEST_ENOSPC */
		else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			if (nprefixes < 64)
				prefixes[nprefixes++] = argv[++i];
		} else if (!strcmp(argv[i], "-x") && i + 1 < argc) {
			if (nexcluded < 64)
				excluded[nexcluded++] = argv[++i];
		} else if (argv[i][0] == '-' || have_dir)
			usage();
		else {
			top = argv[i];
			have_dir = 1;
		}
	}
	if (enospc && !*enospc)
		enospc = 0;
	if (enospc)
		setenv("POSIXTEST_ENOSPC", enospc, 1);

	for (int fd = 0; fd < PT_MAXFD; fd++)
		baseline[fd] = fcntl(fd, F_GETFD) >= 0;
	/* The 9P tests need a 9P server in /srv (Metta's ramfs), the image
	 * tests the image's manifest. */
	if (access("/srv/ramfs", F_OK) != 0)
		drop(pt_9p_tests);
	if (access(PT_IMAGE_MANIFEST, F_OK) != 0)
		drop(pt_image_tests);
	if (!asked_for("tty", prefixes, nprefixes))
		drop(pt_tty_tests);
	/* Metta's sockets need the net server's /net. */
	if (pt_on_metta() && access("/net/tcp/clone", F_OK) != 0) {
		pt_say("posixtest: no /net: the inet tests are not run");
		drop(pt_inet_tests);
	}

	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct pt_test *t = lists[l]; t->name; t++)
			n += selected(t->name, prefixes, nprefixes);
	if (enospc && selected("enospc", prefixes, nprefixes))
		n++;

	umask(022);
	snprintf(parent, sizeof parent, "%s/pt.%d", top, (int)getpid());
	if (mkdir(parent, 0755) < 0 || chdir(parent) < 0 ||
	    !getcwd(pt_scratch, sizeof pt_scratch)) {
		int e = errno;
		pt_say("POSIX BEGIN %d", n);
		pt_name = "setup";
		pt_fail(__FILE__, __LINE__, "cannot use scratch directory %s: errno %d (%s)",
			parent, e, pt_errname(e));
		pt_say("POSIX END 0 %d", n ? n : 1);
		return 1;
	}
	pt_perm = probe_perm();

	pt_say("POSIX BEGIN %d", n);
	pt_say("posixtest: scratch %s, permission checks %s", pt_scratch,
	       pt_perm ? "on" : "off (permissions not enforced for this user)");
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct pt_test *t = lists[l]; t->name; t++)
			if (selected(t->name, prefixes, nprefixes))
				run(t);
	if (enospc && selected("enospc", prefixes, nprefixes))
		run(&enospc_test);

	/* Remove DIR/pt.<pid> itself. */
	{
		char *slash = strrchr(pt_scratch, '/');
		char base[sizeof pt_scratch];
		snprintf(base, sizeof base, "%s", slash ? slash + 1 : pt_scratch);
		if (slash && slash != pt_scratch) {
			*slash = 0;
			if (chdir(pt_scratch) == 0)
				pt_rmtree(AT_FDCWD, base);
		} else if (chdir("/") == 0) {
			pt_rmtree(AT_FDCWD, base);
		}
	}

	pt_say("POSIX END %d %d", passed, failed);
	return failed ? 1 : 0;
}

int pt_sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, 0 };
	pid_t pid;
	int st;
	if (posix_spawn(&pid, "/bin/sh", 0, 0, argv, environ) ||
	    waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
