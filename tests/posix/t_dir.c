/*
 * Names and directories: stat family, statx, getdents64, mkdir/rmdir,
 * unlink/unlinkat, rename/renameat, chdir/fchdir/getcwd, access/faccessat,
 * readlink, path walking.
 */
#include "posixtest.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

/* ---- stat ---- */

static void t_stat_file(void)
{
	struct stat a, b, c;
	OK(pt_mkfile("f", "12345", 5, 0640));
	int fd = OK(open("f", O_RDONLY));
	OK(stat("f", &a));
	OK(fstat(fd, &b));
	OK(lstat("f", &c));
	CHECK(S_ISREG(a.st_mode) && S_ISREG(b.st_mode) && S_ISREG(c.st_mode));
	EQ(a.st_mode & 07777, 0640);
	EQ(a.st_size, 5);
	EQ(b.st_size, 5);
	EQ(c.st_size, 5);
	CHECK(a.st_ino == b.st_ino && a.st_ino == c.st_ino);
	CHECK(a.st_dev == b.st_dev);
	CHECK(a.st_nlink >= 1);
	/* fstat sees a write through the descriptor at once. */
	int w = OK(open("f", O_WRONLY | O_APPEND));
	EQ(write(w, "678", 3), 3);
	OK(fstat(w, &b));
	EQ(b.st_size, 8);
	OK(fstat(fd, &b));
	EQ(b.st_size, 8);
	OK(close(w));
	OK(close(fd));
	OK(unlink("f"));
}

static void t_stat_dir(void)
{
	struct stat st, f;
	OK(mkdir("d", 0751));
	OK(stat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	EQ(st.st_mode & 07777, 0751);
	OK(lstat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(fstat(fd, &f));
	CHECK(S_ISDIR(f.st_mode));
	CHECK(f.st_ino == st.st_ino);
	OK(close(fd));
	OK(stat(".", &st));
	CHECK(S_ISDIR(st.st_mode));
	OK(stat("/", &st));
	CHECK(S_ISDIR(st.st_mode));
	OK(rmdir("d"));
}

static void t_fstatat(void)
{
	struct stat st;
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "abc", 3, 0644));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(fstatat(AT_FDCWD, "d/f", &st, 0));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_size, 3);
	OK(fstatat(dfd, "f", &st, 0));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_size, 3);
	OK(fstatat(dfd, "f", &st, AT_SYMLINK_NOFOLLOW));
	EQ(st.st_size, 3);
	OK(fstatat(dfd, ".", &st, 0));
	CHECK(S_ISDIR(st.st_mode));
	/* The raw system call too. */
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_newfstatat, dfd, "f", &st, 0));
	EQ(st.st_size, 3);
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_newfstatat, AT_FDCWD, "d/f", &st, 0));
	EQ(st.st_size, 3);
	/* AT_EMPTY_PATH: the descriptor itself (how fstat may be done). */
	int fd = OK(open("d/f", O_RDONLY));
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_size, 3);
	OK(close(fd));
	ERR(fstatat(dfd, "missing", &st, 0), ENOENT);
	ERR(fstatat(1000, "f", &st, 0), EBADF);
	ERR(syscall(SYS_newfstatat, 1000, "f", &st, 0), EBADF);
	ERR(syscall(SYS_newfstatat, dfd, "f", &st, 0x12345678), EINVAL);
	int ffd = OK(open("d/f", O_RDONLY));
	ERR(fstatat(ffd, "x", &st, 0), ENOTDIR);
	OK(close(ffd));
	OK(unlinkat(dfd, "f", 0));
	OK(close(dfd));
	OK(rmdir("d"));
}

static void t_stat_raw(void)
{
	struct stat st;
	OK(pt_mkfile("f", "abcdefg", 7, 0600));
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_stat, "f", &st));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_mode & 07777, 0600);
	EQ(st.st_size, 7);
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_lstat, "f", &st));
	EQ(st.st_size, 7);
	int fd = OK(open("f", O_RDONLY));
	memset(&st, 0, sizeof st);
	OK(syscall(SYS_fstat, fd, &st));
	EQ(st.st_size, 7);
	OK(close(fd));
	ERR(syscall(SYS_fstat, fd, &st), EBADF);
	ERR(syscall(SYS_stat, "missing", &st), ENOENT);
	ERR(syscall(SYS_lstat, "missing", &st), ENOENT);
	OK(unlink("f"));
}


static void t_statx(void)
{
	struct pt_statx sx;
	struct stat st;
	_Static_assert(sizeof(struct pt_statx) == 256, "statx layout");
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "0123456789", 10, 0644));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));

	memset(&sx, 0xff, sizeof sx);
	OK(syscall(SYS_statx, AT_FDCWD, "d/f", 0, PT_STATX_BASIC, &sx));
	const unsigned need = PT_STATX_TYPE | PT_STATX_MODE | PT_STATX_SIZE;
	CHECKF((sx.mask & need) == need, "statx mask %#x lacks TYPE|MODE|SIZE", sx.mask);
	EQ(sx.size, 10);
	EQ(sx.mode, S_IFREG | 0644);
	OK(stat("d/f", &st));
	if (sx.mask & PT_STATX_INO)
		CHECK(sx.ino == st.st_ino);

	memset(&sx, 0, sizeof sx);
	OK(syscall(SYS_statx, dfd, "f", 0, PT_STATX_TYPE | PT_STATX_SIZE, &sx));
	CHECKF((sx.mask & (PT_STATX_TYPE | PT_STATX_SIZE)) == (PT_STATX_TYPE | PT_STATX_SIZE),
	       "statx mask %#x lacks TYPE|SIZE", sx.mask);
	EQ(sx.size, 10);
	CHECK(S_ISREG(sx.mode));

	memset(&sx, 0, sizeof sx);
	OK(syscall(SYS_statx, AT_FDCWD, "d", 0, PT_STATX_BASIC, &sx));
	CHECK(S_ISDIR(sx.mode));
	EQ(sx.mode & 07777, 0755);

	int fd = OK(open("d/f", O_RDONLY));
	memset(&sx, 0, sizeof sx);
	OK(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, PT_STATX_BASIC, &sx));
	EQ(sx.size, 10);
	CHECK(S_ISREG(sx.mode));
	OK(close(fd));

	ERR(syscall(SYS_statx, AT_FDCWD, "d/missing", 0, PT_STATX_BASIC, &sx), ENOENT);
	ERR(syscall(SYS_statx, 1000, "f", 0, PT_STATX_BASIC, &sx), EBADF);
	ERR(syscall(SYS_statx, dfd, "f", 0, PT_STATX_RESERVED, &sx), EINVAL);
	OK(unlinkat(dfd, "f", 0));
	OK(close(dfd));
	OK(rmdir("d"));
}

/* ---- getdents64 ---- */

struct pt_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define MAXNAMES 64
struct listing {
	int n;
	char names[MAXNAMES][32];
	unsigned char types[MAXNAMES];
};

/*
 * List the directory open as fd with getdents64 calls of bufsz bytes.
 * Fails the test (pt_failed) on a bad record or a repeated name.
 */
static void list_dir(int fd, size_t bufsz, struct listing *l)
{
	_Alignas(8) char buf[4096];
	l->n = 0;
	for (int calls = 0;; calls++) {
		CHECKF(calls < 1000, "getdents64 does not reach the end of the directory");
		long r = PT_EVAL(syscall(SYS_getdents64, fd, buf, bufsz));
		int e = errno;
		CHECKF(r >= 0, "syscall(SYS_getdents64, fd, buf, %zu) = %ld, errno %d (%s)",
		       bufsz, r, e, pt_errname(e));
		if (r == 0)
			return;
		CHECKF((size_t)r <= bufsz, "getdents64 returned %ld > %zu", r, bufsz);
		for (long off = 0; off < r;) {
			struct pt_dirent64 *d = (void *)(buf + off);
			CHECKF(off + 19 < r && d->d_reclen >= 20 && off + d->d_reclen <= r,
			       "bad getdents64 record at %ld: reclen %u, total %ld",
			       off, d->d_reclen, r);
			CHECKF(d->d_reclen % 8 == 0, "getdents64 reclen %u is not a multiple of 8",
			       d->d_reclen);
			size_t len = strnlen(d->d_name, d->d_reclen - 19);
			CHECKF(len < d->d_reclen - 19u, "getdents64 name not NUL-terminated");
			CHECKF(len > 0 && len < 32, "getdents64 name length %zu", len);
			for (int i = 0; i < l->n; i++)
				CHECKF(strcmp(l->names[i], d->d_name), "getdents64 listed %s twice",
				       d->d_name);
			CHECKF(l->n < MAXNAMES, "too many entries");
			strcpy(l->names[l->n], d->d_name);
			l->types[l->n] = d->d_type;
			l->n++;
			off += d->d_reclen;
		}
	}
}

static int find(struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return i;
	return -1;
}

/* The listing holds exactly the names given (in any order). */
static void expect_names(struct listing *l, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		CHECKF(find(l, names[i]) >= 0, "getdents64 did not list \"%s\" (%d entries)",
		       names[i], l->n);
	CHECKF(l->n == n, "getdents64 listed %d entries, expected %d", l->n, n);
}

static void t_getdents(void)
{
	static const char *const names[] = {".", "..", "a", "bb", "sub"};
	struct listing l;
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/a", "1", 1, 0644));
	OK(pt_mkfile("d/bb", "22", 2, 0644));
	OK(mkdir("d/sub", 0755));
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	list_dir(fd, 4096, &l);
	if (pt_failed)
		return;
	expect_names(&l, names, 5);
	if (pt_failed)
		return;
	/* d_type, where the file system gives it. */
	int i = find(&l, "a");
	CHECK(l.types[i] == DT_UNKNOWN || l.types[i] == DT_REG);
	i = find(&l, "sub");
	CHECK(l.types[i] == DT_UNKNOWN || l.types[i] == DT_DIR);
	i = find(&l, ".");
	CHECK(l.types[i] == DT_UNKNOWN || l.types[i] == DT_DIR);
	/* At the end it stays at the end. */
	_Alignas(8) char buf[512];
	EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
	OK(close(fd));
	/* An empty directory has just . and .. */
	fd = OK(open("d/sub", O_RDONLY | O_DIRECTORY));
	list_dir(fd, 4096, &l);
	if (pt_failed)
		return;
	expect_names(&l, names, 2);
	if (pt_failed)
		return;
	OK(close(fd));
	OK(rmdir("d/sub"));
	OK(unlink("d/a"));
	OK(unlink("d/bb"));
	OK(rmdir("d"));
}

static void t_getdents_small(void)
{
	static const char *const names[] = {
		".", "..", "entry_00", "entry_01", "entry_02", "entry_03", "entry_04",
	};
	struct listing l;
	char path[64];
	OK(mkdir("d", 0755));
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "d/entry_%02d", i);
		OK(pt_mkfile(path, "", 0, 0644));
	}
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	/* 40 bytes: room for one record (32 bytes for entry_NN), not two. */
	list_dir(fd, 40, &l);
	if (pt_failed)
		return;
	expect_names(&l, names, 7);
	if (pt_failed)
		return;
	OK(close(fd));
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "d/entry_%02d", i);
		OK(unlink(path));
	}
	OK(rmdir("d"));
}

static void t_getdents_many(void)
{
	enum { N = 40 };
	struct listing l;
	char path[64];
	OK(mkdir("d", 0755));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof path, "d/file-%03d", i * 7);
		OK(pt_mkfile(path, "", 0, 0644));
	}
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	list_dir(fd, 256, &l);
	if (pt_failed)
		return;
	EQ(l.n, N + 2);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof path, "file-%03d", i * 7);
		CHECKF(find(&l, path) >= 0, "getdents64 did not list %s", path);
	}
	OK(close(fd));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof path, "d/file-%03d", i * 7);
		OK(unlink(path));
	}
	/* Removed entries are gone from a new listing. */
	fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	list_dir(fd, 4096, &l);
	if (pt_failed)
		return;
	EQ(l.n, 2);
	OK(close(fd));
	OK(rmdir("d"));
}

static void t_getdents_errors(void)
{
	_Alignas(8) char buf[256];
	OK(mkdir("d", 0755));
	OK(pt_mkfile("f", "x", 1, 0644));
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	/* Too small for any record. */
	ERR(syscall(SYS_getdents64, fd, buf, 1), EINVAL);
	ERR(syscall(SYS_getdents64, fd, buf, 0), EINVAL);
	/* The directory is still listable afterwards. */
	CHECK(PT_EVAL(syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0);
	OK(close(fd));
	ERR(syscall(SYS_getdents64, fd, buf, sizeof buf), EBADF);
	ERR(syscall(SYS_getdents64, 1000, buf, sizeof buf), EBADF);
	fd = OK(open("f", O_RDONLY));
	ERR(syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
	OK(close(fd));
	fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	ERR(syscall(SYS_getdents64, fd, (void *)1, sizeof buf), EFAULT);
	OK(close(fd));
	OK(unlink("f"));
	OK(rmdir("d"));
}

/* ---- mkdir, rmdir, unlink ---- */

static void t_mkdir_rmdir(void)
{
	struct stat st;
	OK(mkdir("d", 0755));
	OK(stat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	ERR(mkdir("d", 0755), EEXIST);
	OK(mkdir("d/e", 0700));
	OK(mkdir("d/e/f", 0700));
	OK(stat("d/e/f", &st));
	EQ(st.st_mode & 07777, 0700);
	ERR(rmdir("d"), ENOTEMPTY);
	ERR(rmdir("d/e"), ENOTEMPTY);
	OK(rmdir("d/e/f"));
	OK(rmdir("d/e"));
	ERR(stat("d/e", &st), ENOENT);
	/* A directory with a file in it. */
	OK(pt_mkfile("d/file", "", 0, 0644));
	ERR(rmdir("d"), ENOTEMPTY);
	ERR(rmdir("d/file"), ENOTDIR);
	ERR(mkdir("d/file", 0755), EEXIST);
	ERR(mkdir("d/file/x", 0755), ENOTDIR);
	ERR(mkdir("missing/x", 0755), ENOENT);
	ERR(rmdir("missing"), ENOENT);
	OK(unlink("d/file"));
	OK(rmdir("d"));
	ERR(rmdir("d"), ENOENT);
	/* mkdirat relative to a directory fd. */
	OK(mkdir("p", 0755));
	int dfd = OK(open("p", O_RDONLY | O_DIRECTORY));
	OK(mkdirat(dfd, "q", 0755));
	OK(stat("p/q", &st));
	CHECK(S_ISDIR(st.st_mode));
	ERR(mkdirat(dfd, "q", 0755), EEXIST);
	OK(unlinkat(dfd, "q", AT_REMOVEDIR));
	OK(close(dfd));
	OK(rmdir("p"));
}

static void t_unlink(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(mkdir("d", 0755));
	OK(unlink("f"));
	ERR(stat("f", &st), ENOENT);
	ERR(open("f", O_RDONLY), ENOENT);
	ERR(unlink("f"), ENOENT);
	ERR(unlink("d"), EISDIR);
	OK(pt_mkfile("g", "x", 1, 0644));
	ERR(unlink("g/x"), ENOTDIR);
	ERR(unlink("missing/x"), ENOENT);
	/* A new file may take the name again. */
	OK(pt_mkfile("f", "yy", 2, 0644));
	OK(stat("f", &st));
	EQ(st.st_size, 2);
	OK(unlink("f"));
	OK(unlink("g"));
	OK(rmdir("d"));
}

static void t_unlinkat(void)
{
	struct stat st;
	OK(mkdir("d", 0755));
	OK(mkdir("d/sub", 0755));
	OK(pt_mkfile("d/f", "x", 1, 0644));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	ERR(unlinkat(dfd, "sub", 0), EISDIR);
	ERR(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR);
	ERR(unlinkat(dfd, "f", 0x1234), EINVAL);
	ERR(unlinkat(dfd, "missing", 0), ENOENT);
	ERR(unlinkat(1000, "f", 0), EBADF);
	OK(pt_mkfile("d/sub/x", "", 0, 0644));
	ERR(unlinkat(dfd, "sub", AT_REMOVEDIR), ENOTEMPTY);
	OK(unlinkat(dfd, "sub/x", 0));
	OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
	ERR(stat("d/sub", &st), ENOENT);
	OK(unlinkat(dfd, "f", 0));
	ERR(stat("d/f", &st), ENOENT);
	OK(close(dfd));
	OK(mkdir("e", 0755));
	OK(pt_mkfile("g", "", 0, 0644));
	OK(unlinkat(AT_FDCWD, "g", 0));
	OK(unlinkat(AT_FDCWD, "e", AT_REMOVEDIR));
	OK(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
	ERR(stat("d", &st), ENOENT);
}

/* ---- rename ---- */

static void t_rename(void)
{
	struct stat st;
	OK(pt_mkfile("a", "alpha", 5, 0644));
	OK(rename("a", "b"));
	ERR(stat("a", &st), ENOENT);
	CHECK(pt_holds("b", "alpha"));
	/* Onto itself: nothing happens. */
	OK(rename("b", "b"));
	CHECK(pt_holds("b", "alpha"));
	/* Overwrite an existing file. */
	OK(pt_mkfile("c", "charlie", 7, 0644));
	OK(rename("c", "b"));
	ERR(stat("c", &st), ENOENT);
	CHECK(pt_holds("b", "charlie"));
	OK(stat("b", &st));
	EQ(st.st_size, 7);
	OK(unlink("b"));
}

static void t_rename_dirs(void)
{
	struct stat st;
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(pt_mkfile("d1/f", "moved", 5, 0644));
	/* Into another directory. */
	OK(rename("d1/f", "d2/g"));
	ERR(stat("d1/f", &st), ENOENT);
	CHECK(pt_holds("d2/g", "moved"));
	/* Over a file in another directory. */
	OK(pt_mkfile("d1/h", "other", 5, 0644));
	OK(rename("d2/g", "d1/h"));
	CHECK(pt_holds("d1/h", "moved"));
	ERR(stat("d2/g", &st), ENOENT);
	/* A whole directory, contents and all. */
	OK(rename("d1", "d2/inner"));
	ERR(stat("d1", &st), ENOENT);
	CHECK(pt_holds("d2/inner/h", "moved"));
	/* A directory over an empty directory. */
	OK(mkdir("empty", 0755));
	OK(rename("d2/inner", "empty"));
	CHECK(pt_holds("empty/h", "moved"));
	OK(unlink("empty/h"));
	OK(rmdir("empty"));
	OK(rmdir("d2"));
}

static void t_renameat(void)
{
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	int a = OK(open("d1", O_RDONLY | O_DIRECTORY));
	int b = OK(open("d2", O_RDONLY | O_DIRECTORY));
	OK(pt_mkfile("d1/f", "renameat", 8, 0644));
	OK(renameat(a, "f", b, "f2"));
	CHECK(pt_holds("d2/f2", "renameat"));
	OK(renameat(b, "f2", AT_FDCWD, "top"));
	CHECK(pt_holds("top", "renameat"));
	OK(renameat(AT_FDCWD, "top", a, "back"));
	CHECK(pt_holds("d1/back", "renameat"));
	ERR(renameat(a, "missing", b, "x"), ENOENT);
	ERR(renameat(1000, "back", b, "x"), EBADF);
	ERR(renameat(a, "back", 1000, "x"), EBADF);
	OK(unlinkat(a, "back", 0));
	OK(close(a));
	OK(close(b));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

static void t_rename_errors(void)
{
	OK(pt_mkfile("f", "file", 4, 0644));
	OK(mkdir("d", 0755));
	OK(mkdir("full", 0755));
	OK(pt_mkfile("full/x", "", 0, 0644));
	ERR(rename("missing", "x"), ENOENT);
	ERR(rename("f", "nodir/x"), ENOENT);
	ERR(rename("f", "d"), EISDIR);
	ERR(rename("d", "f"), ENOTDIR);
	ERR2(rename("d", "full"), ENOTEMPTY, EEXIST);
	ERR(rename("d", "d/sub"), EINVAL);
	ERR(rename("f/x", "y"), ENOTDIR);
	/* Nothing moved. */
	CHECK(pt_holds("f", "file"));
	CHECK(pt_holds("full/x", ""));
	OK(unlink("full/x"));
	OK(rmdir("full"));
	OK(rmdir("d"));
	OK(unlink("f"));
}

/* ---- current directory ---- */

static void t_getcwd(void)
{
	char base[4200], buf[4200], want[4300];
	CHECK(getcwd(base, sizeof base) != NULL);
	snprintf(want, sizeof want, "%s/%s", pt_scratch, pt_name);
	CHECKF(!strcmp(base, want), "getcwd gives \"%s\", expected \"%s\"", base, want);
	OK(mkdir("sub", 0755));
	OK(chdir("sub"));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	snprintf(want, sizeof want, "%s/sub", base);
	CHECKF(!strcmp(buf, want), "getcwd after chdir(sub) gives \"%s\", expected \"%s\"",
	       buf, want);
	/* Relative names now resolve in sub. */
	OK(pt_mkfile("here", "", 0, 0644));
	struct stat st;
	OK(chdir(".."));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECKF(!strcmp(buf, base), "getcwd after chdir(..) gives \"%s\", expected \"%s\"",
	       buf, base);
	OK(stat("sub/here", &st));
	/* fchdir */
	int fd = OK(open("sub", O_RDONLY | O_DIRECTORY));
	OK(fchdir(fd));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECKF(!strcmp(buf, want), "getcwd after fchdir gives \"%s\", expected \"%s\"",
	       buf, want);
	OK(stat("here", &st));
	OK(close(fd));
	/* An absolute chdir. */
	OK(chdir(base));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECK(!strcmp(buf, base));
	OK(chdir("sub/."));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECK(!strcmp(buf, want));
	OK(chdir(base));
	/* The raw call returns the length including the NUL. */
	size_t len = strlen(base);
	EQ(syscall(SYS_getcwd, buf, sizeof buf), len + 1);
	/* Too small a buffer. */
	CHECK(getcwd(buf, 1) == NULL && errno == ERANGE);
	CHECK(getcwd(buf, len) == NULL && errno == ERANGE);
	CHECK(getcwd(buf, len + 1) != NULL);
	ERR(syscall(SYS_getcwd, buf, len), ERANGE);
	ERR(syscall(SYS_getcwd, buf, 1), ERANGE);
	OK(unlink("sub/here"));
	OK(rmdir("sub"));
}

static void t_chdir_errors(void)
{
	char buf[4200], base[4200];
	CHECK(getcwd(base, sizeof base) != NULL);
	OK(pt_mkfile("f", "", 0, 0644));
	ERR(chdir("f"), ENOTDIR);
	ERR(chdir("missing"), ENOENT);
	ERR(chdir("f/x"), ENOTDIR);
	int fd = OK(open("f", O_RDONLY));
	ERR(fchdir(fd), ENOTDIR);
	OK(close(fd));
	ERR(fchdir(fd), EBADF);
	ERR(fchdir(1000), EBADF);
	/* The failed calls left the current directory alone. */
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECK(!strcmp(buf, base));
	OK(unlink("f"));
}

/* ---- access, readlink ---- */

static void t_access(void)
{
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(mkdir("d", 0755));
	EQ(access("f", F_OK), 0);
	EQ(access("f", R_OK), 0);
	EQ(access("f", W_OK), 0);
	EQ(access("f", R_OK | W_OK), 0);
	EQ(access("d", R_OK | W_OK | X_OK), 0);
	EQ(access(".", F_OK), 0);
	ERR(access("missing", F_OK), ENOENT);
	ERR(access("missing/x", F_OK), ENOENT);
	ERR(access("f/x", F_OK), ENOTDIR);
	ERR(access("f", 0x80), EINVAL);
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(pt_mkfile("d/g", "", 0, 0600));
	EQ(faccessat(dfd, "g", F_OK, 0), 0);
	EQ(faccessat(dfd, "g", R_OK | W_OK, 0), 0);
	EQ(faccessat(AT_FDCWD, "d/g", R_OK, 0), 0);
	ERR(faccessat(dfd, "missing", F_OK, 0), ENOENT);
	ERR(faccessat(1000, "g", F_OK, 0), EBADF);
	OK(unlinkat(dfd, "g", 0));
	OK(close(dfd));
	OK(rmdir("d"));
	OK(unlink("f"));
}

/*
 * Permission denials. Only when the system enforces permissions for this
 * user (pt_perm: see probe_perm in posixtest.c); otherwise only the parts
 * that hold for everyone.
 */
static void t_access_denied(void)
{
	OK(pt_mkfile("f", "x", 1, 0));
	EQ(access("f", F_OK), 0);
	struct stat st;
	OK(stat("f", &st));
	EQ(st.st_mode & 07777, 0);
	if (pt_perm) {
		ERR(access("f", R_OK), EACCES);
		ERR(access("f", W_OK), EACCES);
		ERR(faccessat(AT_FDCWD, "f", R_OK | W_OK, 0), EACCES);
		ERR(open("f", O_RDONLY), EACCES);
		ERR(open("f", O_WRONLY), EACCES);
		/* A read-only directory refuses new entries. */
		OK(mkdir("ro", 0555));
		ERR(open("ro/x", O_WRONLY | O_CREAT, 0644), EACCES);
		ERR(mkdir("ro/y", 0755), EACCES);
		ERR(access("ro", W_OK), EACCES);
		OK(rmdir("ro"));
	}
	/* chmod makes it accessible again. */
	OK(chmod("f", 0600));
	EQ(access("f", R_OK | W_OK), 0);
	int fd = OK(open("f", O_RDWR));
	OK(close(fd));
	OK(unlink("f"));
}

static void t_readlink(void)
{
	char buf[64];
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(mkdir("d", 0755));
	ERR(readlink("f", buf, sizeof buf), EINVAL);
	ERR(readlink("d", buf, sizeof buf), EINVAL);
	ERR(readlink("missing", buf, sizeof buf), ENOENT);
	ERR(readlink("missing/x", buf, sizeof buf), ENOENT);
	ERR(readlinkat(AT_FDCWD, "f", buf, sizeof buf), EINVAL);
	ERR(syscall(SYS_readlink, "f", buf, sizeof buf), EINVAL);
	ERR(syscall(SYS_readlink, "missing", buf, sizeof buf), ENOENT);
	OK(rmdir("d"));
	OK(unlink("f"));
}

/* ---- path walking ---- */

static void t_path_walk(void)
{
	struct stat st;
	char abs[4300];
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "abc", 3, 0644));
	OK(stat("d/f", &st));
	EQ(st.st_size, 3);
	OK(stat("./d/f", &st));
	OK(stat("d/./f", &st));
	OK(stat("d/../d/f", &st));
	OK(stat("d//f", &st));
	OK(stat("d/", &st));
	CHECK(S_ISDIR(st.st_mode));
	OK(stat("d/.", &st));
	CHECK(S_ISDIR(st.st_mode));
	snprintf(abs, sizeof abs, "%s/%s/d/f", pt_scratch, pt_name);
	OK(stat(abs, &st));
	EQ(st.st_size, 3);
	/* .. of the root is the root. */
	struct stat root, up;
	OK(stat("/", &root));
	OK(stat("/..", &up));
	CHECK(root.st_ino == up.st_ino && root.st_dev == up.st_dev);
	/* A trailing slash on a file, or a file in the middle. */
	ERR(stat("d/f/", &st), ENOTDIR);
	ERR(stat("d/f/x", &st), ENOTDIR);
	ERR(open("d/f/", O_RDONLY), ENOTDIR);
	ERR(stat("d/missing", &st), ENOENT);
	ERR(stat("", &st), ENOENT);
	ERR(open("", O_RDONLY), ENOENT);
	/* A name longer than NAME_MAX. */
	char longname[300];
	memset(longname, 'n', 299);
	longname[299] = 0;
	ERR(open(longname, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
	OK(unlink("d/f"));
	OK(rmdir("d"));
}

/* ---- special mode bits and owners ---- */

static void t_mode_special_bits(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(chmod("f", 06755));
	OK(stat("f", &st));
	EQ(st.st_mode & 07777, 06755);
	int fd = OK(open("f", O_RDONLY));
	OK(fchmod(fd, 0700));
	OK(fstat(fd, &st));
	EQ(st.st_mode & 07777, 0700);
	OK(close(fd));
	OK(mkdir("d", 01777));
	OK(stat("d", &st));
	EQ(st.st_mode & 07777, 01755); /* the umask (022) applies to 0777 */
	OK(chmod("d", 01777));
	OK(stat("d", &st));
	EQ(st.st_mode & 07777, 01777);
	OK(rmdir("d"));
	OK(unlink("f"));
}

static void t_chown(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(symlink("f", "l"));
	OK(stat("f", &st));
	/* To the owner it has (here, as root on Linux or on Metta, 0). */
	OK(chown("f", st.st_uid, st.st_gid));
	OK(chown("f", -1, -1));
	OK(lchown("l", st.st_uid, -1));
	OK(fchownat(AT_FDCWD, "f", -1, st.st_gid, 0));
	OK(fchownat(AT_FDCWD, "l", -1, -1, AT_SYMLINK_NOFOLLOW));
	int fd = OK(open("f", O_RDONLY));
	OK(fchown(fd, st.st_uid, st.st_gid));
	OK(close(fd));
	ERR(chown("missing", 0, 0), ENOENT);
	ERR(chown("f/x", 0, 0), ENOTDIR);
	ERR(fchown(1000, 0, 0), EBADF);
	ERR(fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
	ERR(syscall(SYS_chown, (void *)8, 0, 0), EFAULT);
	/* Another owner: only a privileged user may give a file away. */
	if (pt_perm)
		ERR(chown("f", st.st_uid + 1234, -1), EPERM);
	OK(stat("f", &st));
	EQ(st.st_mode & 07777, 0644);
	OK(unlink("l"));
	OK(unlink("f"));
}

/* ---- times ---- */

static void t_utimensat(void)
{
	struct stat st;
	struct timespec ts[2] = { { 1000000, 0 }, { 2000000, 500 } };
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(utimensat(AT_FDCWD, "f", ts, 0));
	OK(stat("f", &st));
	EQ(st.st_atim.tv_sec, 1000000);
	EQ(st.st_mtim.tv_sec, 2000000);
	/* UTIME_OMIT leaves a time; UTIME_NOW is now. */
	time_t before = time(0);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	OK(utimensat(AT_FDCWD, "f", ts, 0));
	OK(stat("f", &st));
	EQ(st.st_atim.tv_sec, 1000000);
	CHECK(st.st_mtim.tv_sec >= before && st.st_mtim.tv_sec <= time(0) + 1);
	/* Through a descriptor (futimens) and a directory's descriptor. */
	int fd = OK(open("f", O_RDONLY));
	struct timespec t3[2] = { { 3000000, 0 }, { 4000000, 0 } };
	OK(futimens(fd, t3));
	OK(fstat(fd, &st));
	EQ(st.st_mtim.tv_sec, 4000000);
	OK(mkdir("d", 0755));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(pt_mkfile("d/g", "", 0, 0644));
	OK(utimensat(dfd, "g", t3, 0));
	OK(stat("d/g", &st));
	EQ(st.st_atim.tv_sec, 3000000);
	OK(utimensat(dfd, "", ts, AT_EMPTY_PATH)); /* the directory itself */
	OK(stat("d", &st));
	CHECK(st.st_mtim.tv_sec >= before);
	/* utimes and utime, older forms. */
	struct timeval tv[2] = { { 5000000, 0 }, { 6000000, 999999 } };
	OK(utimes("f", tv));
	OK(stat("f", &st));
	EQ(st.st_mtim.tv_sec, 6000000);
	struct utimbuf ub = { 7000000, 8000000 };
	OK(utime("f", &ub));
	OK(stat("f", &st));
	EQ(st.st_atim.tv_sec, 7000000);
	EQ(st.st_mtim.tv_sec, 8000000);
	/* Now for both (NULL times). */
	OK(utimensat(AT_FDCWD, "f", 0, 0));
	OK(stat("f", &st));
	CHECK(st.st_mtim.tv_sec >= before);
	OK(close(dfd));
	OK(close(fd));
	OK(unlink("d/g"));
	OK(rmdir("d"));
	OK(unlink("f"));
}

static void t_utimensat_errors(void)
{
	struct stat st, after;
	struct timespec bad[2] = { { 1, 1000000000 }, { 1, 0 } };
	struct timeval badtv[2] = { { 1, 1000000 }, { 1, 0 } };
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(stat("f", &st));
	ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	ERR(utimes("f", badtv), EINVAL);
	ERR(utimensat(AT_FDCWD, "f", 0, 0x4000), EINVAL);
	ERR(utimensat(AT_FDCWD, "missing", 0, 0), ENOENT);
	ERR(utimensat(AT_FDCWD, "f/x", 0, 0), ENOTDIR);
	ERR(utimensat(1000, 0, 0, 0), EBADF);
	ERR(syscall(SYS_utimensat, AT_FDCWD, "f", (void *)8, 0), EFAULT);
	ERR(syscall(SYS_utimensat, AT_FDCWD, (void *)8, 0, 0), EFAULT);
	OK(stat("f", &after));
	EQ(after.st_mtim.tv_sec, st.st_mtim.tv_sec); /* nothing changed */
	/* Both omitted: nothing to do, not even a look for the file. */
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	OK(utimensat(AT_FDCWD, "missing", omit, 0));
	OK(unlink("f"));
}

const struct pt_test pt_dir_tests[] = {
	{"stat_file", t_stat_file},
	{"stat_dir", t_stat_dir},
	{"fstatat", t_fstatat},
	{"stat_raw", t_stat_raw},
	{"statx", t_statx},
	{"getdents", t_getdents},
	{"getdents_small", t_getdents_small},
	{"getdents_many", t_getdents_many},
	{"getdents_errors", t_getdents_errors},
	{"mkdir_rmdir", t_mkdir_rmdir},
	{"unlink", t_unlink},
	{"unlinkat", t_unlinkat},
	{"rename", t_rename},
	{"rename_dirs", t_rename_dirs},
	{"renameat", t_renameat},
	{"rename_errors", t_rename_errors},
	{"getcwd", t_getcwd},
	{"chdir_errors", t_chdir_errors},
	{"access", t_access},
	{"access_denied", t_access_denied},
	{"readlink", t_readlink},
	{"path_walk", t_path_walk},
	{"mode_special_bits", t_mode_special_bits},
	{"chown", t_chown},
	{"utimensat", t_utimensat},
	{"utimensat_errors", t_utimensat_errors},
	{0, 0},
};
