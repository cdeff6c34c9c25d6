/* Errors: each error condition with its exact errno. */
#include "posixtest.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

static void t_err_enoent(void)
{
	struct stat st;
	OK(mkdir("d", 0755));
	ERR(open("missing", O_RDONLY), ENOENT);
	ERR(open("missing", O_RDWR), ENOENT);
	ERR(open("nodir/f", O_RDONLY), ENOENT);
	ERR(open("nodir/f", O_WRONLY | O_CREAT, 0644), ENOENT);
	ERR(open("d/missing", O_RDONLY), ENOENT);
	ERR(stat("missing", &st), ENOENT);
	ERR(stat("nodir/f", &st), ENOENT);
	ERR(lstat("missing", &st), ENOENT);
	ERR(unlink("missing"), ENOENT);
	ERR(rmdir("missing"), ENOENT);
	ERR(mkdir("nodir/sub", 0755), ENOENT);
	ERR(rename("missing", "x"), ENOENT);
	ERR(chdir("missing"), ENOENT);
	ERR(access("missing", F_OK), ENOENT);
	ERR(truncate("missing", 0), ENOENT);
	ERR(creat("nodir/f", 0644), ENOENT);
	ERR(syscall(SYS_open, "missing", O_RDONLY, 0), ENOENT);
	ERR(syscall(SYS_openat, AT_FDCWD, "missing", O_RDONLY, 0), ENOENT);
	OK(rmdir("d"));
}

static void t_err_eexist(void)
{
	OK(pt_mkfile("f", "", 0, 0644));
	OK(mkdir("d", 0755));
	ERR(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	ERR(open("d", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	ERR(mkdir("d", 0755), EEXIST);
	ERR(mkdir("f", 0755), EEXIST);
	ERR(mkdir(".", 0755), EEXIST);
	ERR(mkdirat(AT_FDCWD, "d", 0755), EEXIST);
	OK(rmdir("d"));
	OK(unlink("f"));
}

static void t_err_enotdir(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	ERR(open("f/x", O_RDONLY), ENOTDIR);
	ERR(open("f/x", O_WRONLY | O_CREAT, 0644), ENOTDIR);
	ERR(stat("f/x", &st), ENOTDIR);
	ERR(mkdir("f/x", 0755), ENOTDIR);
	ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	ERR(rmdir("f"), ENOTDIR);
	ERR(chdir("f"), ENOTDIR);
	ERR(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
	int fd = OK(open("f", O_RDONLY));
	ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
	OK(close(fd));
	OK(unlink("f"));
}

static void t_err_eisdir(void)
{
	char buf[16];
	OK(mkdir("d", 0755));
	ERR(open("d", O_WRONLY), EISDIR);
	ERR(open("d", O_RDWR), EISDIR);
	ERR(open("d", O_WRONLY | O_CREAT, 0644), EISDIR);
	ERR(open("d", O_RDWR | O_TRUNC), EISDIR);
	ERR(creat("d", 0644), EISDIR);
	ERR(unlink("d"), EISDIR);
	ERR(unlinkat(AT_FDCWD, "d", 0), EISDIR);
	/* read() on a directory. */
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	ERR(read(fd, buf, sizeof buf), EISDIR);
	ERR(pread(fd, buf, sizeof buf, 0), EISDIR);
	OK(close(fd));
	OK(rmdir("d"));
}

static void t_err_ebadf(void)
{
	char buf[8];
	struct stat st;
	struct iovec iov = {buf, sizeof buf};
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	OK(close(fd));
	/* A closed descriptor and one never opened. */
	int bad[] = {fd, 1000, -1};
	for (int i = 0; i < 3; i++) {
		int b = bad[i];
		ERR(read(b, buf, sizeof buf), EBADF);
		ERR(write(b, "x", 1), EBADF);
		ERR(pread(b, buf, 1, 0), EBADF);
		ERR(pwrite(b, "x", 1, 0), EBADF);
		ERR(readv(b, &iov, 1), EBADF);
		ERR(writev(b, &iov, 1), EBADF);
		ERR(close(b), EBADF);
		ERR(fstat(b, &st), EBADF);
		ERR(syscall(SYS_fstat, b, &st), EBADF);
		ERR(lseek(b, 0, SEEK_SET), EBADF);
		ERR(fsync(b), EBADF);
		ERR(ftruncate(b, 0), EBADF);
		ERR(dup(b), EBADF);
		ERR(fcntl(b, F_GETFL), EBADF);
		ERR(fchdir(b), EBADF);
	}
	/* Wrong access mode. */
	fd = OK(open("f", O_WRONLY));
	ERR(read(fd, buf, 1), EBADF);
	ERR(readv(fd, &iov, 1), EBADF);
	OK(close(fd));
	fd = OK(open("f", O_RDONLY));
	ERR(write(fd, "x", 1), EBADF);
	ERR(writev(fd, &iov, 1), EBADF);
	OK(close(fd));
	OK(unlink("f"));
}

static void t_err_einval(void)
{
	_Alignas(8) char buf[64];
	OK(pt_mkfile("f", "abc", 3, 0644));
	int fd = OK(open("f", O_RDWR));
	ERR(lseek(fd, 0, 99), EINVAL);
	ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	ERR(dup3(fd, fd, 0), EINVAL);
	ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL);
	ERR(syscall(SYS_dup3, fd, 44, 0x12345), EINVAL);
	ERR(fcntl(fd, 0x7777), EINVAL);
	ERR(unlinkat(AT_FDCWD, "f", 0x4), EINVAL);
	ERR(access("f", 0x100), EINVAL);
	ERR(pread(fd, buf, 1, -5), EINVAL);
	ERR(ftruncate(fd, -1), EINVAL);
	ERR(syscall(SYS_getrandom, buf, sizeof buf, 0x8000), EINVAL);
	ERR(syscall(SYS_clock_gettime, 999, buf), EINVAL);
	memset(buf, 0, sizeof buf);
	ERR(syscall(SYS_rt_sigprocmask, 77, buf, NULL, 8), EINVAL);
	OK(close(fd));
	OK(mkdir("d", 0755));
	ERR(rmdir("d/."), EINVAL);
	ERR(rename("d", "d/inside"), EINVAL);
	OK(rmdir("d"));
	/* Lengths and signal numbers. */
	ERR(syscall(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	ERR(syscall(SYS_rt_sigaction, 0, NULL, buf, 8), EINVAL);
	ERR(syscall(SYS_rt_sigaction, 65, NULL, buf, 8), EINVAL);
	struct timespec ts = {0, 2000000000};
	ERR(nanosleep(&ts, 0), EINVAL);
	OK(unlink("f"));
}

static void t_err_enotempty(void)
{
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "", 0, 0644));
	ERR(rmdir("d"), ENOTEMPTY);
	ERR(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR), ENOTEMPTY);
	OK(unlink("d/f"));
	OK(mkdir("d/sub", 0755));
	ERR(rmdir("d"), ENOTEMPTY);
	OK(rmdir("d/sub"));
	OK(rmdir("d"));
}

static void t_err_efault(void)
{
	struct stat st;
	char buf[16];
	OK(pt_mkfile("f", "some data here", 14, 0644));
	int fd = OK(open("f", O_RDWR));
	/* Raw system calls: the kernel must check user pointers. */
	ERR(syscall(SYS_read, fd, (void *)1, 8), EFAULT);
	ERR(syscall(SYS_read, fd, (void *)-4096L, 8), EFAULT);
	ERR(syscall(SYS_pread64, fd, (void *)1, 8, 0), EFAULT);
	ERR(syscall(SYS_write, fd, NULL, 8), EFAULT);
	ERR(syscall(SYS_write, fd, (void *)-4096L, 8), EFAULT);
	ERR(syscall(SYS_pwrite64, fd, NULL, 8, 0), EFAULT);
	/* The file was not changed by the failed calls. */
	EQ(pread(fd, buf, sizeof buf, 0), 14);
	CHECK(!memcmp(buf, "some data here", 14));
	ERR(syscall(SYS_fstat, fd, (void *)1), EFAULT);
	ERR(syscall(SYS_readv, fd, (void *)1, 1), EFAULT);
	OK(close(fd));
	ERR(syscall(SYS_stat, (void *)1, &st), EFAULT);
	ERR(syscall(SYS_stat, "f", (void *)1), EFAULT);
	ERR(syscall(SYS_lstat, (void *)1, &st), EFAULT);
	ERR(syscall(SYS_newfstatat, AT_FDCWD, (void *)1, &st, 0), EFAULT);
	ERR(syscall(SYS_open, (char *)1, O_RDONLY, 0), EFAULT);
	ERR(syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY, 0), EFAULT);
	ERR(syscall(SYS_open, (char *)-4096L, O_RDONLY, 0), EFAULT);
	ERR(syscall(SYS_mkdir, (char *)1, 0755), EFAULT);
	ERR(syscall(SYS_unlink, (char *)1), EFAULT);
	ERR(syscall(SYS_chdir, (char *)1), EFAULT);
	ERR(syscall(SYS_getcwd, (char *)1, 100), EFAULT);
	ERR(syscall(SYS_rename, (char *)1, "x"), EFAULT);
	ERR(syscall(SYS_rename, "f", (char *)1), EFAULT);
	ERR(syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)1), EFAULT);
	/* Nothing happened to f. */
	OK(stat("f", &st));
	EQ(st.st_size, 14);
	OK(unlink("f"));
}

const struct pt_test pt_err_tests[] = {
	{"err_enoent", t_err_enoent},
	{"err_eexist", t_err_eexist},
	{"err_enotdir", t_err_enotdir},
	{"err_eisdir", t_err_eisdir},
	{"err_ebadf", t_err_ebadf},
	{"err_einval", t_err_einval},
	{"err_enotempty", t_err_enotempty},
	{"err_efault", t_err_efault},
	{0, 0},
};
