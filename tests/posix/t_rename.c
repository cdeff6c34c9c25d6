/*
 * rename across directories (tests rename_*): a file keeps its identity
 * (inode, open descriptors read and write the same bytes), an existing
 * name is replaced at once, directories move with their contents and
 * their "..", renameat2's flags, and every error leaves both names as
 * they were. Within one directory: t_dir.c.
 */
#include "posixtest.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static long rename2(const char *from, const char *to, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static int gone(const char *path)
{
	struct stat st;
	return lstat(path, &st) < 0 && errno == ENOENT;
}

/* An open descriptor follows the file to its new directory. */
static void t_open_fd(void)
{
	struct stat before, after, fst;
	char buf[32];
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(pt_mkfile("d1/a", "same bytes", 10, 0644));
	int fd = OK(open("d1/a", O_RDWR));
	OK(stat("d1/a", &before));
	OK(rename("d1/a", "d2/b"));
	CHECK(gone("d1/a"));
	OK(stat("d2/b", &after));
	EQ(after.st_ino, before.st_ino);
	EQ(pread(fd, buf, sizeof buf, 0), 10);
	CHECK(!memcmp(buf, "same bytes", 10));
	/* Writes through it land in the file under its new name. */
	EQ(pwrite(fd, "SAME", 4, 0), 4);
	CHECK(pt_holds("d2/b", "SAME bytes"));
	OK(fstat(fd, &fst));
	EQ(fst.st_ino, before.st_ino);
	EQ(fst.st_nlink, 1);
	OK(close(fd));
	OK(unlink("d2/b"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

/* The replaced file lives on for whoever has it open. */
static void t_replace(void)
{
	struct stat st, moved;
	char buf[16];
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(pt_mkfile("d1/new", "new", 3, 0644));
	OK(pt_mkfile("d2/old", "old!", 4, 0644));
	OK(stat("d1/new", &moved));
	int fd = OK(open("d2/old", O_RDONLY));
	OK(rename("d1/new", "d2/old"));
	CHECK(gone("d1/new"));
	CHECK(pt_holds("d2/old", "new"));
	OK(stat("d2/old", &st));
	EQ(st.st_ino, moved.st_ino);
	EQ(read(fd, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "old!", 4));
	/* No name left: 0 links (Metta's stat carries a count only while
	 * there is one, and shows 1 otherwise: docs/servers.md). */
	OK(fstat(fd, &st));
	if (!pt_on_metta())
		EQ(st.st_nlink, 0);
	OK(close(fd));
	/* A directory over an empty one elsewhere. */
	OK(mkdir("d1/sub", 0755));
	OK(pt_mkfile("d1/sub/f", "in sub", 6, 0644));
	OK(mkdir("d2/empty", 0755));
	OK(rename("d1/sub", "d2/empty"));
	CHECK(gone("d1/sub"));
	CHECK(pt_holds("d2/empty/f", "in sub"));
	OK(unlink("d2/empty/f"));
	OK(rmdir("d2/empty"));
	OK(unlink("d2/old"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

/* A directory moves with its contents; its ".." is the new parent. */
static void t_dir(void)
{
	struct stat dot, parent, inner;
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(mkdir("d1/tree", 0755));
	OK(mkdir("d1/tree/deep", 0755));
	OK(pt_mkfile("d1/tree/deep/f", "deep", 4, 0644));
	OK(stat("d1/tree", &inner));
	int dfd = OK(open("d1/tree", O_RDONLY | O_DIRECTORY));
	OK(rename("d1/tree", "d2/moved"));
	CHECK(gone("d1/tree"));
	CHECK(pt_holds("d2/moved/deep/f", "deep"));
	OK(stat("d2/moved/..", &dot));
	OK(stat("d2", &parent));
	EQ(dot.st_ino, parent.st_ino);
	OK(fstat(dfd, &dot));
	EQ(dot.st_ino, inner.st_ino);
	OK(close(dfd));
	/* And back up, to the top. */
	OK(rename("d2/moved/deep", "top"));
	CHECK(pt_holds("top/f", "deep"));
	OK(unlink("top/f"));
	OK(rmdir("top"));
	OK(rmdir("d2/moved"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

/* Two names of one file, or a name onto itself: nothing happens. */
static void t_same(void)
{
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(pt_mkfile("d1/a", "one", 3, 0644));
	OK(rename("d1/a", "d1/a"));
	CHECK(pt_holds("d1/a", "one"));
	OK(link("d1/a", "d2/h"));
	OK(rename("d1/a", "d2/h"));
	CHECK(pt_holds("d1/a", "one"));
	CHECK(pt_holds("d2/h", "one"));
	OK(unlink("d1/a"));
	OK(unlink("d2/h"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

static void t_errors(void)
{
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(mkdir("d1/dir", 0755));
	OK(mkdir("d1/dir/sub", 0755));
	OK(mkdir("d2/full", 0755));
	OK(pt_mkfile("d2/full/x", "x", 1, 0644));
	OK(mkdir("d2/dir", 0755));
	OK(pt_mkfile("d1/f", "file", 4, 0644));
	OK(pt_mkfile("d2/f", "other", 5, 0644));
	ERR(rename("d1/f", "d2/dir"), EISDIR);
	ERR(rename("d1/dir", "d2/f"), ENOTDIR);
	ERR2(rename("d1/dir", "d2/full"), ENOTEMPTY, EEXIST);
	ERR(rename("d1/dir", "d1/dir/sub/in"), EINVAL);
	ERR(rename("d1/dir", "d1/dir/sub"), EINVAL);
	ERR(rename("d1/missing", "d2/x"), ENOENT);
	ERR(rename("d1/f", "d2/missing/x"), ENOENT);
	ERR(rename("d1/f", "d2/f/x"), ENOTDIR);
	ERR(rename("d1/f/", "d2/y"), ENOTDIR);
	ERR(rename("d1/f", ""), ENOENT);
	ERR(rename("/", "d2/root"), EBUSY);
	ERR(syscall(SYS_rename, (char *)8, "d2/y"), EFAULT);
	ERR(syscall(SYS_rename, "d1/f", (char *)8), EFAULT);
	/* Nothing moved. */
	CHECK(pt_holds("d1/f", "file"));
	CHECK(pt_holds("d2/f", "other"));
	CHECK(pt_holds("d2/full/x", "x"));
	struct stat st;
	OK(stat("d1/dir/sub", &st));
	OK(stat("d2/dir", &st));
	CHECK(gone("d2/y"));
	OK(unlink("d2/full/x"));
	OK(rmdir("d2/full"));
	OK(rmdir("d2/dir"));
	OK(rmdir("d1/dir/sub"));
	OK(rmdir("d1/dir"));
	OK(unlink("d1/f"));
	OK(unlink("d2/f"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

static void t_renameat2(void)
{
	OK(mkdir("d1", 0755));
	OK(mkdir("d2", 0755));
	OK(pt_mkfile("d1/a", "a", 1, 0644));
	OK(pt_mkfile("d2/b", "b", 1, 0644));
	ERR(rename2("d1/a", "d2/b", RENAME_NOREPLACE), EEXIST);
	ERR(rename2("d1/a", "d1/a", RENAME_NOREPLACE), EEXIST);
	CHECK(pt_holds("d1/a", "a"));
	CHECK(pt_holds("d2/b", "b"));
	OK(rename2("d1/a", "d2/c", RENAME_NOREPLACE));
	CHECK(gone("d1/a"));
	CHECK(pt_holds("d2/c", "a"));
	OK(rename2("d2/c", "d1/a", 0));
	ERR(rename2("d1/a", "d2/x", 0x80), EINVAL);
	ERR(rename2("d1/a", "d2/b", RENAME_NOREPLACE | RENAME_EXCHANGE),
	    EINVAL);
	if (pt_on_metta())
		ERR(rename2("d1/a", "d2/b", RENAME_EXCHANGE), EINVAL);
	OK(unlink("d1/a"));
	OK(unlink("d2/b"));
	OK(rmdir("d1"));
	OK(rmdir("d2"));
}

/* A file written under a temporary name and renamed over the real one,
 * as editors and package managers do. */
static void t_atomic_save(void)
{
	OK(mkdir("etc", 0755));
	OK(mkdir("tmp", 0755));
	OK(pt_mkfile("etc/conf", "version 1\n", 10, 0644));
	for (int i = 2; i <= 5; i++) {
		char want[16];
		int n = snprintf(want, sizeof want, "version %d\n", i);
		OK(pt_mkfile("tmp/conf.new", want, (size_t)n, 0644));
		OK(rename("tmp/conf.new", "etc/conf"));
		CHECK(pt_holds("etc/conf", want));
		CHECK(gone("tmp/conf.new"));
	}
	OK(unlink("etc/conf"));
	OK(rmdir("etc"));
	OK(rmdir("tmp"));
}

const struct pt_test pt_rename_tests[] = {
	{"rename_open_fd", t_open_fd},
	{"rename_replace", t_replace},
	{"rename_dir_across", t_dir},
	{"rename_same_file", t_same},
	{"rename_errors_across", t_errors},
	{"rename_renameat2", t_renameat2},
	{"rename_atomic_save", t_atomic_save},
	{0, 0},
};
