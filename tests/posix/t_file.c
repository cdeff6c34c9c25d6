/* Files: open/openat/creat, read/write and friends, lseek, truncate, fsync,
 * fadvise, and the block device ioctls on what is no block device. */
#include "posixtest.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

static void t_open_creat(void)
{
	struct stat st;
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_size, 0);
	EQ(st.st_mode & 0777, 0644);
	EQ(write(fd, "hello", 5), 5);
	OK(close(fd));

	/* O_CREAT on an existing file opens it, keeping its contents. */
	fd = OK(open("f", O_RDWR | O_CREAT, 0600));
	OK(fstat(fd, &st));
	EQ(st.st_size, 5);
	EQ(st.st_mode & 0777, 0644);
	OK(close(fd));

	/* Without O_CREAT on an existing file. */
	fd = OK(open("f", O_RDONLY));
	char buf[8] = {0};
	EQ(read(fd, buf, sizeof buf), 5);
	CHECK(!memcmp(buf, "hello", 5));
	OK(close(fd));

	/* The mode is masked with the umask. */
	umask(077);
	fd = OK(open("g", O_WRONLY | O_CREAT, 0666));
	OK(fstat(fd, &st));
	EQ(st.st_mode & 0777, 0600);
	OK(close(fd));
	umask(022);

	OK(unlink("f"));
	OK(unlink("g"));
}

static void t_creat(void)
{
	struct stat st;
	int fd = OK(creat("c", 0644));
	EQ(write(fd, "abcdef", 6), 6);
	/* creat() is O_WRONLY: reading fails. */
	char b;
	ERR(read(fd, &b, 1), EBADF);
	EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	OK(close(fd));
	OK(stat("c", &st));
	EQ(st.st_size, 6);
	/* creat() on an existing file truncates it. */
	fd = OK(creat("c", 0644));
	OK(fstat(fd, &st));
	EQ(st.st_size, 0);
	OK(close(fd));
	OK(unlink("c"));
}

static void t_open_excl(void)
{
	int fd = OK(open("x", O_WRONLY | O_CREAT | O_EXCL, 0644));
	OK(close(fd));
	ERR(open("x", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	ERR(open("x", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	OK(mkdir("d", 0755));
	ERR(open("d", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	OK(rmdir("d"));
	OK(unlink("x"));
	/* Once removed, O_EXCL creates it again. */
	fd = OK(open("x", O_WRONLY | O_CREAT | O_EXCL, 0644));
	OK(close(fd));
	OK(unlink("x"));
}

static void t_open_trunc(void)
{
	struct stat st;
	char buf[16];
	OK(pt_mkfile("t", "0123456789", 10, 0644));
	int fd = OK(open("t", O_RDWR | O_TRUNC));
	OK(fstat(fd, &st));
	EQ(st.st_size, 0);
	EQ(read(fd, buf, sizeof buf), 0);
	EQ(write(fd, "ab", 2), 2);
	OK(close(fd));
	OK(stat("t", &st));
	EQ(st.st_size, 2);
	/* O_TRUNC|O_CREAT on an existing file. */
	fd = OK(open("t", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	OK(fstat(fd, &st));
	EQ(st.st_size, 0);
	OK(close(fd));
	OK(unlink("t"));
}

static void t_open_append(void)
{
	struct stat st;
	char buf[32] = {0};
	OK(pt_mkfile("a", "start", 5, 0644));
	int fd = OK(open("a", O_WRONLY | O_APPEND));
	CHECK(fcntl(fd, F_GETFL) & O_APPEND);
	EQ(write(fd, "-one", 4), 4);
	EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Still goes to the end, and the offset is left at the new end. */
	EQ(write(fd, "-two", 4), 4);
	EQ(lseek(fd, 0, SEEK_CUR), 13);
	OK(close(fd));
	/* O_RDWR|O_APPEND: reads at the offset, writes at the end. */
	fd = OK(open("a", O_RDWR | O_APPEND));
	EQ(read(fd, buf, 5), 5);
	CHECK(!memcmp(buf, "start", 5));
	EQ(write(fd, "!", 1), 1);
	EQ(lseek(fd, 0, SEEK_CUR), 14);
	OK(fstat(fd, &st));
	EQ(st.st_size, 14);
	EQ(pread(fd, buf, sizeof buf, 0), 14);
	CHECK(!memcmp(buf, "start-one-two!", 14));
	OK(close(fd));
	OK(unlink("a"));
}

static void t_open_directory(void)
{
	OK(mkdir("d", 0755));
	OK(pt_mkfile("f", "x", 1, 0644));
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	struct stat st;
	OK(fstat(fd, &st));
	CHECK(S_ISDIR(st.st_mode));
	OK(close(fd));
	fd = OK(open(".", O_RDONLY | O_DIRECTORY));
	OK(close(fd));
	/* A directory can be opened read-only without O_DIRECTORY. */
	fd = OK(open("d", O_RDONLY));
	OK(close(fd));
	ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	ERR(open("missing", O_RDONLY | O_DIRECTORY), ENOENT);
	OK(rmdir("d"));
	OK(unlink("f"));
}

static void t_open_cloexec(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	int fd2 = OK(open("f", O_RDONLY));
	EQ(fcntl(fd2, F_GETFD) & FD_CLOEXEC, 0);
	OK(close(fd));
	OK(close(fd2));
	fd = OK(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	OK(close(fd));
	OK(unlink("f"));
}

static void t_open_accmode(void)
{
	char b = 0;
	OK(pt_mkfile("f", "abc", 3, 0644));
	int r = OK(open("f", O_RDONLY));
	int w = OK(open("f", O_WRONLY));
	int rw = OK(open("f", O_RDWR));
	EQ(fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
	EQ(fcntl(w, F_GETFL) & O_ACCMODE, O_WRONLY);
	EQ(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
	ERR(write(r, "x", 1), EBADF);
	ERR(read(w, &b, 1), EBADF);
	ERR(pwrite(r, "x", 1, 0), EBADF);
	ERR(pread(w, &b, 1, 0), EBADF);
	EQ(read(r, &b, 1), 1);
	EQ(b, 'a');
	EQ(write(w, "X", 1), 1);
	EQ(read(rw, &b, 1), 1);
	EQ(b, 'X');
	EQ(write(rw, "Y", 1), 1);
	EQ(pread(r, &b, 1, 1), 1);
	EQ(b, 'Y');
	OK(close(r));
	OK(close(w));
	OK(close(rw));
	OK(unlink("f"));
}

static void t_openat(void)
{
	struct stat st;
	char buf[8] = {0};
	OK(mkdir("d", 0755));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	int fd = OK(openat(dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0644));
	EQ(write(fd, "in-d", 4), 4);
	OK(close(fd));
	OK(stat("d/f", &st));
	EQ(st.st_size, 4);
	fd = OK(openat(AT_FDCWD, "d/f", O_RDONLY));
	EQ(read(fd, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "in-d", 4));
	OK(close(fd));
	/* An absolute path ignores the directory fd. */
	char abs[4300];
	snprintf(abs, sizeof abs, "%s/%s/d/f", pt_scratch, pt_name);
	fd = OK(openat(dfd, abs, O_RDONLY));
	OK(close(fd));
	fd = OK(openat(1000, abs, O_RDONLY));
	OK(close(fd));
	/* Relative paths need a directory fd. */
	int ffd = OK(openat(dfd, "f", O_RDONLY));
	ERR(openat(ffd, "f", O_RDONLY), ENOTDIR);
	ERR(openat(1000, "f", O_RDONLY), EBADF);
	ERR(openat(dfd, "nope", O_RDONLY), ENOENT);
	OK(close(ffd));
	OK(unlinkat(dfd, "f", 0));
	OK(close(dfd));
	OK(rmdir("d"));
}

static void t_rw_basic(void)
{
	char buf[64];
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "hello, ", 7), 7);
	EQ(write(fd, "world", 5), 5);
	EQ(write(fd, "", 0), 0);
	EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof buf);
	EQ(read(fd, buf, 5), 5);
	CHECK(!memcmp(buf, "hello", 5));
	/* A read asking for more than is left returns what is left. */
	EQ(read(fd, buf, sizeof buf), 7);
	CHECK(!memcmp(buf, ", world", 7));
	/* At the end of the file: 0, repeatedly, and a 0-byte read is 0. */
	EQ(read(fd, buf, sizeof buf), 0);
	EQ(read(fd, buf, sizeof buf), 0);
	EQ(read(fd, buf, 0), 0);
	/* Overwrite in the middle. */
	EQ(lseek(fd, 7, SEEK_SET), 7);
	EQ(write(fd, "WORLD", 5), 5);
	EQ(pread(fd, buf, 12, 0), 12);
	CHECK(!memcmp(buf, "hello, WORLD", 12));
	OK(close(fd));
	OK(unlink("f"));
}

static void t_pread_pwrite(void)
{
	char buf[32] = {0};
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "0123456789", 10), 10);
	EQ(lseek(fd, 3, SEEK_SET), 3);
	/* pread/pwrite do not move the offset. */
	EQ(pread(fd, buf, 4, 5), 4);
	CHECK(!memcmp(buf, "5678", 4));
	EQ(lseek(fd, 0, SEEK_CUR), 3);
	EQ(pwrite(fd, "AB", 2, 1), 2);
	EQ(lseek(fd, 0, SEEK_CUR), 3);
	EQ(read(fd, buf, 3), 3);
	CHECK(!memcmp(buf, "345", 3));
	EQ(pread(fd, buf, 10, 0), 10);
	CHECK(!memcmp(buf, "0AB3456789", 10));
	/* At and past the end. */
	EQ(pread(fd, buf, 4, 10), 0);
	EQ(pread(fd, buf, 4, 100), 0);
	EQ(pread(fd, buf, 4, 8), 2);
	/* pwrite past the end extends the file with zeros between. */
	EQ(pwrite(fd, "Z", 1, 12), 1);
	EQ(pread(fd, buf, 16, 0), 13);
	CHECK(!memcmp(buf, "0AB3456789\0\0Z", 13));
	ERR(pread(fd, buf, 1, -1), EINVAL);
	ERR(pwrite(fd, buf, 1, -1), EINVAL);
	OK(close(fd));
	OK(unlink("f"));
}

static void t_readv_writev(void)
{
	char a[4], b[6], c[8];
	struct iovec w[3] = {
		{(void *)"abc", 3}, {(void *)"", 0}, {(void *)"defghij", 7},
	};
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(writev(fd, w, 3), 10);
	EQ(lseek(fd, 0, SEEK_CUR), 10);
	EQ(lseek(fd, 0, SEEK_SET), 0);
	struct iovec r[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
	memset(c, '.', sizeof c);
	/* Fills the buffers in order; the last one only partly. */
	EQ(readv(fd, r, 3), 10);
	CHECK(!memcmp(a, "abcd", 4));
	CHECK(!memcmp(b, "efghij", 6));
	CHECK(c[0] == '.');
	EQ(readv(fd, r, 3), 0);
	EQ(writev(fd, w, 0), 0);
	ERR(writev(fd, w, -1), EINVAL);
	ERR(readv(1000, r, 3), EBADF);
	OK(close(fd));
	OK(unlink("f"));
}

#define BIG (1 << 20)

static void t_rw_1mib(void)
{
	unsigned char *data = malloc(BIG), *back = malloc(BIG);
	CHECK(data && back);
	pt_pattern(data, BIG, 0x5a, 0);
	int fd = OK(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644));
	/* Written in odd-sized pieces. */
	size_t off = 0, piece = 10000;
	while (off < BIG) {
		size_t n = BIG - off < piece ? BIG - off : piece;
		long r = PT_EVAL(write(fd, data + off, n));
		CHECKF(r > 0, "write(fd, data + %zu, %zu) = %ld, errno %d (%s)",
		       off, n, r, errno, pt_errname(errno));
		off += r;
	}
	struct stat st;
	OK(fstat(fd, &st));
	EQ(st.st_size, BIG);
	/* Read back in 4 KiB and 64 KiB chunks. */
	static const size_t chunks[] = {4096, 65536};
	for (int c = 0; c < 2; c++) {
		memset(back, 0, BIG);
		EQ(lseek(fd, 0, SEEK_SET), 0);
		off = 0;
		for (;;) {
			long r = PT_EVAL(read(fd, back + off, chunks[c]));
			CHECKF(r >= 0, "read(fd, buf, %zu) at %zu = %ld, errno %d (%s)",
			       chunks[c], off, r, errno, pt_errname(errno));
			if (r == 0)
				break;
			CHECKF(off + r <= BIG, "read past the 1 MiB written: %zu", off + r);
			off += r;
		}
		CHECKF(off == BIG, "read %zu bytes in %zu-byte chunks, expected %d",
		       off, chunks[c], BIG);
		for (size_t i = 0; i < BIG; i++)
			CHECKF(back[i] == data[i], "byte %zu read in %zu-byte chunks is %#x, expected %#x",
			       i, chunks[c], back[i], data[i]);
	}
	OK(close(fd));
	OK(unlink("big"));
	free(data);
	free(back);
}

static void t_hole(void)
{
	char buf[8192];
	struct stat st;
	int fd = OK(open("h", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "head", 4), 4);
	EQ(lseek(fd, 10000, SEEK_SET), 10000);
	/* Seeking past the end does not change the size. */
	OK(fstat(fd, &st));
	EQ(st.st_size, 4);
	EQ(write(fd, "tail", 4), 4);
	OK(fstat(fd, &st));
	EQ(st.st_size, 10004);
	EQ(pread(fd, buf, 4, 0), 4);
	CHECK(!memcmp(buf, "head", 4));
	memset(buf, 0x77, sizeof buf);
	EQ(pread(fd, buf, sizeof buf, 4), (long)sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECKF(buf[i] == 0, "hole byte at %zu is %#x", i + 4, (unsigned char)buf[i]);
	EQ(pread(fd, buf, sizeof buf, 8196), 1808);
	for (int i = 0; i < 1804; i++)
		CHECKF(buf[i] == 0, "hole byte at %d is %#x", i + 8196, (unsigned char)buf[i]);
	CHECK(!memcmp(buf + 1804, "tail", 4));
	OK(close(fd));
	OK(unlink("h"));
}

static void t_lseek(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "0123456789", 10), 10);
	EQ(lseek(fd, 0, SEEK_CUR), 10);
	EQ(lseek(fd, 2, SEEK_SET), 2);
	EQ(lseek(fd, 3, SEEK_CUR), 5);
	EQ(lseek(fd, -1, SEEK_CUR), 4);
	EQ(lseek(fd, 0, SEEK_END), 10);
	EQ(lseek(fd, -3, SEEK_END), 7);
	char c;
	EQ(read(fd, &c, 1), 1);
	EQ(c, '7');
	EQ(lseek(fd, 5, SEEK_END), 15);
	/* A negative result fails and leaves the offset alone. */
	EQ(lseek(fd, 4, SEEK_SET), 4);
	ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	ERR(lseek(fd, -5, SEEK_CUR), EINVAL);
	ERR(lseek(fd, -11, SEEK_END), EINVAL);
	EQ(lseek(fd, 0, SEEK_CUR), 4);
	ERR(lseek(fd, 0, 99), EINVAL);
	EQ(lseek(fd, 0, SEEK_CUR), 4);
	OK(close(fd));
	ERR(lseek(fd, 0, SEEK_SET), EBADF);
	OK(unlink("f"));
}

static void t_truncate(void)
{
	char buf[64];
	struct stat st;
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "abcdef", 6), 6);
	/* Grow: the new bytes are zeros; the offset does not move. */
	OK(ftruncate(fd, 20));
	OK(fstat(fd, &st));
	EQ(st.st_size, 20);
	EQ(lseek(fd, 0, SEEK_CUR), 6);
	memset(buf, 0x55, sizeof buf);
	EQ(pread(fd, buf, sizeof buf, 0), 20);
	CHECK(!memcmp(buf, "abcdef", 6));
	for (int i = 6; i < 20; i++)
		CHECKF(buf[i] == 0, "byte %d after growing is %#x", i, (unsigned char)buf[i]);
	/* Shrink. */
	OK(ftruncate(fd, 3));
	OK(fstat(fd, &st));
	EQ(st.st_size, 3);
	EQ(pread(fd, buf, sizeof buf, 0), 3);
	CHECK(!memcmp(buf, "abc", 3));
	/* Shrink then grow again: the cut bytes come back as zeros. */
	OK(ftruncate(fd, 5));
	EQ(pread(fd, buf, sizeof buf, 0), 5);
	CHECK(!memcmp(buf, "abc\0\0", 5));
	/* By path. */
	OK(truncate("f", 1));
	OK(fstat(fd, &st));
	EQ(st.st_size, 1);
	OK(truncate("f", 0));
	EQ(pread(fd, buf, sizeof buf, 0), 0);
	ERR(ftruncate(fd, -1), EINVAL);
	ERR(truncate("f", -1), EINVAL);
	OK(close(fd));
	/* Not open for writing: Linux says EINVAL, POSIX allows EBADF. */
	fd = OK(open("f", O_RDONLY));
	ERR2(ftruncate(fd, 0), EINVAL, EBADF);
	OK(close(fd));
	ERR(ftruncate(fd, 0), EBADF);
	ERR(truncate("missing", 0), ENOENT);
	OK(mkdir("d", 0755));
	ERR(truncate("d", 0), EISDIR);
	OK(rmdir("d"));
	OK(unlink("f"));
}

static void t_fsync(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EQ(write(fd, "data", 4), 4);
	EQ(fsync(fd), 0);
	EQ(fdatasync(fd), 0);
	OK(close(fd));
	ERR(fsync(fd), EBADF);
	ERR(fsync(1000), EBADF);
	ERR(fdatasync(1000), EBADF);
	OK(unlink("f"));
}

/* fadvise64 raw (posix_fadvise returns the error instead of setting
 * errno): any advice from NORMAL (0) to NOREUSE (5) on a file, a
 * directory or a device is taken; Linux's errors in its order. */
static long fadvise(int fd, long off, long len, long advice)
{
	return syscall(SYS_fadvise64, fd, off, len, advice);
}

static void t_fadvise(void)
{
	int p[2];
	OK(pt_mkfile("f", "data", 4, 0644));
	int fd = OK(open("f", O_RDONLY));
	for (int advice = 0; advice <= 5; advice++)
		EQ(fadvise(fd, 0, 1024, advice), 0);
	EQ(fadvise(fd, 1 << 20, 0, POSIX_FADV_WILLNEED), 0); /* past the end */
	ERR(fadvise(fd, 0, 1024, 6), EINVAL);
	ERR(fadvise(fd, 0, 1024, -1), EINVAL);
	ERR(fadvise(fd, 0, -1, POSIX_FADV_NORMAL), EINVAL);
	EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	OK(close(fd));
	ERR(fadvise(fd, 0, 1024, POSIX_FADV_NORMAL), EBADF);
	ERR(fadvise(-1, 0, 1024, 99), EBADF); /* the descriptor first */
	OK(mkdir("d", 0755));
	fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	EQ(fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	OK(close(fd));
	fd = OK(open("/dev/null", O_RDWR));
	EQ(fadvise(fd, 0, 0, POSIX_FADV_NORMAL), 0);
	OK(close(fd));
	/* A pipe: ESPIPE, even before a bad advice. */
	OK(pipe(p));
	ERR(fadvise(p[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
	ERR(fadvise(p[1], 0, 0, 99), ESPIPE);
	OK(close(p[0]));
	OK(close(p[1]));
	OK(rmdir("d"));
	OK(unlink("f"));
}

/* Linux's block device requests (linux/fs.h, linux/fd.h), which e2fsprogs
 * asks of whatever it checks: a regular file answers ENOTTY, and the
 * program falls back to fstat's size. */
#define PT_BLKROGET _IO(0x12, 94)
#define PT_BLKGETSIZE _IO(0x12, 96)
#define PT_BLKFLSBUF _IO(0x12, 97)
#define PT_BLKSSZGET _IO(0x12, 104)
#define PT_BLKGETSIZE64 _IOR(0x12, 114, size_t)
#define PT_BLKDISCARDZEROES _IO(0x12, 124)
#define PT_FDGETPRM _IOR(2, 0x04, char[32]) /* struct floppy_struct */

static void t_ioctl_blk(void)
{
	static const unsigned long reqs[] = {
		PT_BLKROGET, PT_BLKGETSIZE, PT_BLKFLSBUF, PT_BLKSSZGET,
		PT_BLKGETSIZE64, PT_BLKDISCARDZEROES, PT_FDGETPRM,
	};
	uint64_t out[8];
	int p[2];
	OK(pt_mkfile("img", "x", 1, 0644));
	OK(mkdir("d", 0755));
	OK(pipe(p));
	int file = OK(open("img", O_RDWR));
	int dir = OK(open("d", O_RDONLY | O_DIRECTORY));
	int null = OK(open("/dev/null", O_RDONLY));
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		memset(out, 0x5a, sizeof out);
		ERR(ioctl(file, reqs[i], out), ENOTTY);
		CHECKF(out[0] == 0x5a5a5a5a5a5a5a5aull,
		       "ioctl %#lx wrote into its argument", reqs[i]);
		ERR(ioctl(dir, reqs[i], out), ENOTTY);
		ERR(ioctl(null, reqs[i], out), ENOTTY);
		ERR(ioctl(p[0], reqs[i], out), ENOTTY);
		ERR(ioctl(1000, reqs[i], out), EBADF);
	}
	/* a bad pointer changes nothing: the request is still unknown */
	ERR(syscall(SYS_ioctl, file, PT_BLKGETSIZE64, (void *)8), ENOTTY);
	OK(close(file));
	ERR(ioctl(file, PT_BLKGETSIZE64, out), EBADF);
	OK(close(dir));
	OK(close(null));
	OK(close(p[0]));
	OK(close(p[1]));
	OK(rmdir("d"));
	OK(unlink("img"));
}

const struct pt_test pt_file_tests[] = {
	{"open_creat", t_open_creat},
	{"creat", t_creat},
	{"open_excl", t_open_excl},
	{"open_trunc", t_open_trunc},
	{"open_append", t_open_append},
	{"open_directory", t_open_directory},
	{"open_cloexec", t_open_cloexec},
	{"open_accmode", t_open_accmode},
	{"openat", t_openat},
	{"rw_basic", t_rw_basic},
	{"pread_pwrite", t_pread_pwrite},
	{"readv_writev", t_readv_writev},
	{"rw_1mib", t_rw_1mib},
	{"rw_hole", t_hole},
	{"lseek", t_lseek},
	{"truncate", t_truncate},
	{"fsync", t_fsync},
	{"fadvise", t_fadvise},
	{"ioctl_blk", t_ioctl_blk},
	{0, 0},
};
