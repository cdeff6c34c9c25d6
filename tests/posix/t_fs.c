/*
 * File system calls beside read and write (tests fs_*): statfs and
 * fstatfs, fallocate, copy_file_range, fadvise64, readahead, faccessat2
 * and openat2 (ENOSYS on Metta), each with Linux's errors for bad
 * descriptors, pointers and flags.
 */
#include "posixtest.h"

#include <sys/statfs.h>

#define BAD_PTR ((void *)8)

/* Whether the n bytes of path from off are all zero. */
static int zeros_at(const char *path, off_t off, size_t n)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0 || n > sizeof buf)
		return 0;
	ssize_t got = pread(fd, buf, n, off);
	close(fd);
	if (got != (ssize_t)n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void t_statfs(void)
{
	struct statfs sf, fsf;
	OK(statfs(".", &sf));
	CHECK(sf.f_bsize > 0);
	CHECK(sf.f_blocks > 0);
	CHECK(sf.f_bfree <= sf.f_blocks);
	CHECK(sf.f_bavail <= sf.f_bfree);
	CHECK(sf.f_ffree <= sf.f_files);
	CHECK(sf.f_namelen >= 255);
	OK(pt_mkfile("f", "x", 1, 0644));
	int fd = OK(open("f", O_RDONLY));
	OK(fstatfs(fd, &fsf));
	EQ(fsf.f_type, sf.f_type);
	EQ(fsf.f_blocks, sf.f_blocks);
	if (pt_on_metta()) {
		/* ramfs: Linux's 9P magic; 256 KiB written are 64 pages. */
		static char big[256 * 1024];
		EQ(sf.f_type, 0x01021997);
		EQ(sf.f_bsize, 4096);
		OK(statfs(".", &sf));
		OK(pt_mkfile("big", big, sizeof big, 0644));
		OK(statfs(".", &fsf));
		CHECK(fsf.f_bfree + 64 <= sf.f_bfree);
		OK(unlink("big"));
	}
	OK(close(fd));
	ERR(statfs("missing", &sf), ENOENT);
	ERR(statfs("f/x", &sf), ENOTDIR);
	ERR(syscall(SYS_statfs, ".", BAD_PTR), EFAULT);
	ERR(syscall(SYS_statfs, BAD_PTR, &sf), EFAULT);
	ERR(fstatfs(1000, &sf), EBADF);
	ERR(fstatfs(-1, &sf), EBADF);
	fd = OK(open("f", O_RDONLY));
	ERR(syscall(SYS_fstatfs, fd, BAD_PTR), EFAULT);
	OK(close(fd));
	OK(unlink("f"));
}

static long fallocate_(int fd, int mode, off_t off, off_t len)
{
	return syscall(SYS_fallocate, fd, mode, off, len);
}

static void t_fallocate(void)
{
	struct stat st;
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "abc", 3), 3);
	OK(fallocate_(fd, 0, 0, 10000));
	OK(fstat(fd, &st));
	EQ(st.st_size, 10000);
	char buf[3];
	EQ(pread(fd, buf, 3, 0), 3);
	CHECK(!memcmp(buf, "abc", 3));
	CHECK(zeros_at("f", 3, 4000));
	CHECK(zeros_at("f", 9000, 1000));
	/* Within the file: its size stays. */
	OK(fallocate_(fd, 0, 100, 200));
	OK(fstat(fd, &st));
	EQ(st.st_size, 10000);
	/* From an offset past the end. */
	OK(fallocate_(fd, 0, 20000, 96));
	OK(fstat(fd, &st));
	EQ(st.st_size, 20096);
	CHECK(zeros_at("f", 10000, 4096));
	/* Far more than there is room for: nothing changes. */
	ERR2(fallocate_(fd, 0, 0, 1ll << 62), EFBIG, ENOSPC);
	OK(fstat(fd, &st));
	EQ(st.st_size, 20096);
	ERR(fallocate_(fd, 0, 0, 0), EINVAL);
	ERR(fallocate_(fd, 0, -1, 10), EINVAL);
	ERR(fallocate_(fd, 0, 0, -5), EINVAL);
	ERR(fallocate_(fd, 0x100, 0, 10), EOPNOTSUPP);
	ERR(fallocate_(1000, 0, 0, 10), EBADF);
	OK(close(fd));
	fd = OK(open("f", O_RDONLY));
	ERR(fallocate_(fd, 0, 0, 30000), EBADF);
	OK(close(fd));
	int p[2];
	OK(pipe(p));
	ERR(fallocate_(p[1], 0, 0, 10), ESPIPE);
	OK(close(p[0]));
	OK(close(p[1]));
	OK(stat("f", &st));
	EQ(st.st_size, 20096); /* the failures changed nothing */
	OK(unlink("f"));
}

static long cfr(int in, loff_t *oin, int out, loff_t *oout, size_t n,
		unsigned flags)
{
	return syscall(SYS_copy_file_range, in, oin, out, oout, n, flags);
}

static void t_copy_file_range(void)
{
	char buf[32];
	OK(pt_mkfile("src", "hello world", 11, 0644));
	int in = OK(open("src", O_RDONLY));
	int out = OK(open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644));
	/* At the files' offsets, which move. */
	EQ(cfr(in, 0, out, 0, 5, 0), 5);
	EQ(lseek(in, 0, SEEK_CUR), 5);
	EQ(lseek(out, 0, SEEK_CUR), 5);
	/* At given offsets, which move; the files' stay. */
	loff_t oin = 6, oout = 100;
	EQ(cfr(in, &oin, out, &oout, 100, 0), 5);
	EQ(oin, 11);
	EQ(oout, 105);
	EQ(lseek(in, 0, SEEK_CUR), 5);
	EQ(lseek(out, 0, SEEK_CUR), 5);
	EQ(pread(out, buf, sizeof buf, 0), 32);
	CHECK(!memcmp(buf, "hello", 5));
	EQ(pread(out, buf, sizeof buf, 100), 5);
	CHECK(!memcmp(buf, "world", 5));
	/* At the end of in: nothing. */
	oin = 11;
	EQ(cfr(in, &oin, out, 0, 10, 0), 0);
	/* Errors. */
	ERR(cfr(in, 0, out, 0, 5, 1), EINVAL);
	ERR(cfr(1000, 0, out, 0, 5, 0), EBADF);
	ERR(cfr(in, 0, 1000, 0, 5, 0), EBADF);
	ERR(cfr(in, BAD_PTR, out, 0, 5, 0), EFAULT);
	ERR(cfr(in, 0, out, BAD_PTR, 5, 0), EFAULT);
	ERR(cfr(out, 0, in, 0, 5, 0), EBADF); /* in is read-only */
	int app = OK(open("dst", O_WRONLY | O_APPEND));
	ERR(cfr(in, 0, app, 0, 5, 0), EBADF);
	OK(close(app));
	OK(mkdir("d", 0755));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	ERR(cfr(dfd, 0, out, 0, 5, 0), EISDIR);
	OK(close(dfd));
	int p[2];
	OK(pipe(p));
	ERR(cfr(in, 0, p[1], 0, 5, 0), EINVAL);
	OK(close(p[0]));
	OK(close(p[1]));
	/* Within one file, overlapping. */
	int rw = OK(open("src", O_RDWR));
	oin = 0, oout = 3;
	ERR(cfr(rw, &oin, rw, &oout, 5, 0), EINVAL);
	oin = 0, oout = 20;
	EQ(cfr(rw, &oin, rw, &oout, 5, 0), 5);
	OK(close(rw));
	OK(close(in));
	OK(close(out));
	OK(rmdir("d"));
	OK(unlink("src"));
	OK(unlink("dst"));
}

static void t_fadvise_readahead(void)
{
	OK(pt_mkfile("f", "data", 4, 0644));
	int fd = OK(open("f", O_RDONLY));
	EQ(syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	EQ(syscall(SYS_fadvise64, fd, 0, 4, POSIX_FADV_DONTNEED), 0);
	ERR(syscall(SYS_fadvise64, fd, 0, 0, 99), EINVAL);
	ERR(syscall(SYS_fadvise64, 1000, 0, 0, POSIX_FADV_NORMAL), EBADF);
	EQ(syscall(SYS_readahead, fd, 0, 4096), 0);
	ERR(syscall(SYS_readahead, 1000, 0, 4096), EBADF);
	OK(close(fd));
	fd = OK(open("f", O_WRONLY));
	ERR(syscall(SYS_readahead, fd, 0, 4096), EBADF);
	OK(close(fd));
	int p[2];
	OK(pipe(p));
	ERR(syscall(SYS_fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
	ERR(syscall(SYS_readahead, p[0], 0, 4096), EINVAL);
	OK(close(p[0]));
	OK(close(p[1]));
	OK(mkdir("d", 0755));
	fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	ERR(syscall(SYS_readahead, fd, 0, 4096), EINVAL);
	OK(close(fd));
	OK(rmdir("d"));
	OK(unlink("f"));
}

static long faccessat2_(int dirfd, const char *path, int mode, int flags)
{
	return syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

static void t_faccessat2(void)
{
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(symlink("missing", "dangling"));
	OK(faccessat2_(AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
	OK(faccessat2_(AT_FDCWD, "f", F_OK, 0));
	ERR(faccessat2_(AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	OK(faccessat2_(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	int fd = OK(open("f", O_RDONLY));
	OK(faccessat2_(fd, "", R_OK, AT_EMPTY_PATH));
	ERR(faccessat2_(fd, "", R_OK, 0), ENOENT);
	ERR(faccessat2_(fd, "x", R_OK, 0), ENOTDIR);
	OK(close(fd));
	ERR(faccessat2_(AT_FDCWD, "f", R_OK, 0x8000), EINVAL);
	ERR(faccessat2_(AT_FDCWD, "f", 8, 0), EINVAL);
	ERR(faccessat2_(AT_FDCWD, BAD_PTR, R_OK, 0), EFAULT);
	ERR(faccessat2_(1000, "f", R_OK, 0), EBADF);
	ERR(faccessat2_(AT_FDCWD, "missing", R_OK, AT_EACCESS), ENOENT);
	OK(unlink("dangling"));
	OK(unlink("f"));
}

/* openat2: Metta has none yet (ENOSYS, which callers fall back from). */
static void t_openat2(void)
{
	struct { uint64_t flags, mode, resolve; } how = { O_RDONLY, 0, 0 };
	if (pt_on_metta()) {
		ERR(syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how),
		    ENOSYS);
		return;
	}
	int fd = OK(syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how));
	OK(close(fd));
}

const struct pt_test pt_fs_tests[] = {
	{"fs_statfs", t_statfs},
	{"fs_fallocate", t_fallocate},
	{"fs_copy_file_range", t_copy_file_range},
	{"fs_fadvise_readahead", t_fadvise_readahead},
	{"fs_faccessat2", t_faccessat2},
	{"fs_openat2", t_openat2},
	{0, 0},
};
