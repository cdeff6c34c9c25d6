/*
 * Symbolic links: symlink/symlinkat, readlink/readlinkat, lstat and
 * fstatat/statx without following, links followed in every path walk
 * (absolute and relative targets, through directories, chains, at most
 * 40 of them), O_NOFOLLOW, a link as the last name of unlink, rename and
 * mkdir (not followed), DT_LNK in getdents64, and the errors: ENOENT for a
 * dangling link or an empty target, ELOOP, EEXIST, ENOTDIR, EINVAL.
 * Hard links: link/linkat, st_nlink and st_ino, one file under every
 * name, AT_SYMLINK_FOLLOW, and EEXIST, EPERM, ENOENT, EXDEV, EFAULT.
 */
#include "posixtest.h"

#include <stdlib.h>

static void t_symlink_readlink(void)
{
	char buf[64];
	struct stat st;
	OK(symlink("some/target", "l"));
	EQ(pt_readlink("l", buf, sizeof buf), 11);
	CHECKF(!strcmp(buf, "some/target"), "readlink gave %s", buf);
	/* A short buffer gets the start, with no NUL. */
	memset(buf, 'x', sizeof buf);
	EQ(readlink("l", buf, 4), 4);
	CHECK(!memcmp(buf, "somex", 5));
	EQ(readlinkat(AT_FDCWD, "l", buf, sizeof buf), 11);
	EQ(syscall(SYS_readlink, "l", buf, sizeof buf), 11);
	/* lstat shows the link: its type and the target's length. */
	OK(lstat("l", &st));
	CHECK(S_ISLNK(st.st_mode));
	EQ(st.st_size, 11);
	OK(fstatat(AT_FDCWD, "l", &st, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(st.st_mode));
	OK(unlink("l"));
	ERR(lstat("l", &st), ENOENT);
}

static void t_symlinkat(void)
{
	char buf[64];
	OK(mkdir("d", 0755));
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(symlinkat("../x", dfd, "l"));
	EQ(readlinkat(dfd, "l", buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "../x", 4));
	EQ(pt_readlink("d/l", buf, sizeof buf), 4);
	ERR(symlinkat("t", dfd, "l"), EEXIST);
	ERR(symlinkat("t", 9999, "m"), EBADF);
	OK(close(dfd));
	OK(unlink("d/l"));
	OK(rmdir("d"));
}

static void t_symlink_errors(void)
{
	char buf[64];
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(mkdir("d", 0755));
	OK(symlink("f", "l"));
	/* The name is taken, by a file, a directory, a link or a dangling
	 * link. */
	ERR(symlink("t", "f"), EEXIST);
	ERR(symlink("t", "d"), EEXIST);
	ERR(symlink("t", "l"), EEXIST);
	OK(symlink("missing", "dangling"));
	ERR(symlink("t", "dangling"), EEXIST);
	ERR(symlink("", "empty"), ENOENT);
	ERR(symlink("t", "missing/l"), ENOENT);
	ERR(symlink("t", "f/l"), ENOTDIR);
	ERR(syscall(SYS_symlink, (char *)8, "m"), EFAULT);
	ERR(syscall(SYS_symlink, "t", (char *)8), EFAULT);
	/* readlink of what is not a link. */
	ERR(readlink("f", buf, sizeof buf), EINVAL);
	ERR(readlink("d", buf, sizeof buf), EINVAL);
	ERR(syscall(SYS_readlink, "l", buf, 0), EINVAL);
	ERR(readlink("nothing", buf, sizeof buf), ENOENT);
	ERR(readlink("f/x", buf, sizeof buf), ENOTDIR);
	ERR(syscall(SYS_readlink, "l", (char *)8, sizeof buf), EFAULT);
	OK(unlink("dangling"));
	OK(unlink("l"));
	OK(rmdir("d"));
	OK(unlink("f"));
}

/* Following: open, stat, a directory on the way, chdir, relative and
 * absolute targets, chains. */
static void t_follow(void)
{
	char buf[64], abs[4096];
	struct stat st, lst;
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "hello", 5, 0644));
	OK(symlink("d/f", "rel"));
	OK(symlink("d", "dl"));
	snprintf(abs, sizeof abs, "%s/%s/d/f", pt_scratch, pt_name);
	OK(symlink(abs, "absl"));
	OK(symlink("rel", "chain"));
	OK(symlink("../d/f", "d/up"));
	int fd = OK(open("rel", O_RDONLY));
	EQ(read(fd, buf, sizeof buf), 5);
	OK(close(fd));
	fd = OK(open("absl", O_RDONLY));
	EQ(read(fd, buf, sizeof buf), 5);
	OK(close(fd));
	fd = OK(open("chain", O_RDONLY));
	OK(fstat(fd, &st));
	OK(close(fd));
	CHECK(S_ISREG(st.st_mode));
	EQ(st.st_size, 5);
	/* stat follows, lstat does not. */
	OK(stat("chain", &lst));
	CHECK(S_ISREG(lst.st_mode) && lst.st_ino == st.st_ino);
	OK(lstat("chain", &lst));
	CHECK(S_ISLNK(lst.st_mode) && lst.st_size == 3);
	/* A link to a directory on the way, and a relative target from
	 * the link's own directory. */
	OK(stat("dl/f", &lst));
	CHECK(lst.st_ino == st.st_ino);
	OK(stat("dl/up", &lst));
	CHECK(lst.st_ino == st.st_ino);
	OK(stat("dl/", &lst));
	CHECK(S_ISDIR(lst.st_mode));
	/* chdir through a link: getcwd names the directory itself. */
	OK(chdir("dl"));
	fd = OK(open("f", O_RDONLY));
	OK(close(fd));
	OK(chdir(".."));
	/* Writing through a link writes the target. */
	fd = OK(open("rel", O_WRONLY | O_APPEND));
	EQ(write(fd, "!", 1), 1);
	OK(close(fd));
	OK(stat("d/f", &lst));
	EQ(lst.st_size, 6);
	/* O_CREAT through a dangling link creates its target. */
	OK(symlink("d/new", "tonew"));
	fd = OK(open("tonew", O_WRONLY | O_CREAT, 0644));
	OK(close(fd));
	OK(stat("d/new", &lst));
	CHECK(S_ISREG(lst.st_mode));
	ERR(open("tonew", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	OK(unlink("tonew"));
	OK(unlink("d/new"));
	OK(unlink("d/up"));
	OK(unlink("chain"));
	OK(unlink("absl"));
	OK(unlink("dl"));
	OK(unlink("rel"));
	OK(unlink("d/f"));
	OK(rmdir("d"));
}

static void t_follow_errors(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(symlink("missing", "dangling"));
	OK(symlink("f", "lf"));
	OK(symlink("loop2", "loop1"));
	OK(symlink("loop1", "loop2"));
	OK(symlink("self", "self"));
	ERR(open("dangling", O_RDONLY), ENOENT);
	ERR(stat("dangling", &st), ENOENT);
	OK(lstat("dangling", &st));
	ERR(open("loop1", O_RDONLY), ELOOP);
	ERR(stat("self", &st), ELOOP);
	ERR(stat("loop1/x", &st), ELOOP);
	OK(lstat("loop1", &st));
	/* Through a link to a file: not a directory. */
	ERR(stat("lf/x", &st), ENOTDIR);
	ERR(open("lf/", O_RDONLY), ENOTDIR);
	ERR(chdir("lf"), ENOTDIR);
	/* O_NOFOLLOW on a link: ELOOP; on a file it opens. */
	ERR(open("lf", O_RDONLY | O_NOFOLLOW), ELOOP);
	int fd = OK(open("f", O_RDONLY | O_NOFOLLOW));
	OK(close(fd));
	/* O_NOFOLLOW applies to the last name only. */
	OK(mkdir("d", 0755));
	OK(symlink("d", "dl"));
	OK(pt_mkfile("d/g", "y", 1, 0644));
	fd = OK(open("dl/g", O_RDONLY | O_NOFOLLOW));
	OK(close(fd));
	OK(unlink("d/g"));
	OK(unlink("dl"));
	OK(rmdir("d"));
	OK(unlink("self"));
	OK(unlink("loop2"));
	OK(unlink("loop1"));
	OK(unlink("lf"));
	OK(unlink("dangling"));
	OK(unlink("f"));
}

/* At most 40 links in one walk: a chain of 40 resolves, of 41 not. */
static void t_forty_links(void)
{
	char name[16], to[16];
	struct stat st;
	OK(pt_mkfile("l0", "x", 1, 0644));
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof name, "l%d", i);
		snprintf(to, sizeof to, "l%d", i - 1);
		OK(symlink(to, name));
	}
	OK(stat("l40", &st));
	CHECK(S_ISREG(st.st_mode));
	ERR(stat("l41", &st), ELOOP);
	for (int i = 41; i >= 0; i--) {
		snprintf(name, sizeof name, "l%d", i);
		OK(unlink(name));
	}
}

/* The last name of unlink, rename, mkdir, rmdir: the link itself. */
static void t_last_not_followed(void)
{
	struct stat st;
	char buf[16];
	OK(mkdir("d", 0755));
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(symlink("d", "dl"));
	OK(symlink("f", "fl"));
	ERR(rmdir("dl"), ENOTDIR);
	ERR(rmdir("dl/"), ENOTDIR);
	ERR(unlink("fl/"), ENOTDIR);
	ERR(unlink("dl/"), ENOTDIR);
	ERR(mkdir("dl", 0755), EEXIST);
	OK(symlink("nowhere", "dangling"));
	ERR(mkdir("dangling", 0755), EEXIST);
	ERR(lstat("nowhere", &st), ENOENT);
	/* rename moves the link, not its target. */
	OK(rename("fl", "fl2"));
	EQ(pt_readlink("fl2", buf, sizeof buf), 1);
	OK(stat("f", &st));
	/* rename over a link replaces the link. */
	OK(pt_mkfile("g", "yy", 2, 0644));
	OK(rename("g", "fl2"));
	OK(lstat("fl2", &st));
	CHECK(S_ISREG(st.st_mode) && st.st_size == 2);
	OK(stat("f", &st));
	EQ(st.st_size, 1);
	/* unlink removes the link; what it named stays. */
	OK(unlink("dl"));
	OK(stat("d", &st));
	OK(unlink("dangling"));
	OK(unlink("fl2"));
	OK(unlink("f"));
	OK(rmdir("d"));
}

static void t_statx_nofollow(void)
{
	struct pt_statx sx;
	OK(pt_mkfile("f", "abc", 3, 0644));
	OK(symlink("f", "l"));
	OK(syscall(SYS_statx, AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW,
		   PT_STATX_BASIC, &sx));
	CHECK(S_ISLNK(sx.mode) && sx.size == 1);
	OK(syscall(SYS_statx, AT_FDCWD, "l", 0, PT_STATX_BASIC, &sx));
	CHECK(S_ISREG(sx.mode) && sx.size == 3);
	OK(unlink("l"));
	OK(unlink("f"));
}

/* getdents64 gives a link's type as DT_LNK (or DT_UNKNOWN). */
static void t_getdents_link(void)
{
	_Alignas(8) char buf[4096];
	OK(mkdir("d", 0755));
	OK(symlink("x", "d/l"));
	int fd = OK(open("d", O_RDONLY | O_DIRECTORY));
	long n = OK(syscall(SYS_getdents64, fd, buf, sizeof buf));
	int seen = 0;
	for (long off = 0; off < n;) {
		struct {
			unsigned long long ino;
			long long off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (void *)(buf + off);
		if (!strcmp(d->name, "l")) {
			seen = 1;
			CHECKF(d->type == DT_LNK || d->type == DT_UNKNOWN,
			       "d_type %d", d->type);
		}
		off += d->reclen;
	}
	CHECK(seen);
	OK(close(fd));
	OK(unlink("d/l"));
	OK(rmdir("d"));
}

/* ---- hard links ---- */

static void t_hard_link(void)
{
	struct stat a, b;
	char buf[8];
	OK(pt_mkfile("f", "hello", 5, 0640));
	OK(mkdir("d", 0755));
	OK(link("f", "d/g"));
	OK(stat("f", &a));
	OK(stat("d/g", &b));
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	EQ(a.st_nlink, 2);
	EQ(b.st_nlink, 2);
	EQ(b.st_size, 5);
	/* One file: a write or a chmod through one name shows in the other. */
	int fd = OK(open("d/g", O_WRONLY | O_APPEND));
	EQ(write(fd, "!", 1), 1);
	OK(close(fd));
	OK(chmod("f", 0600));
	OK(stat("d/g", &b));
	EQ(b.st_size, 6);
	EQ(b.st_mode & 07777, 0600);
	/* linkat from a directory descriptor; then each name goes in turn. */
	int dfd = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(linkat(dfd, "g", AT_FDCWD, "h", 0));
	OK(stat("h", &b));
	EQ(b.st_nlink, 3);
	OK(unlink("f"));
	OK(stat("h", &b));
	EQ(b.st_nlink, 2);
	fd = OK(open("d/g", O_RDONLY));
	EQ(read(fd, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "hello!", 6));
	OK(close(fd));
	OK(unlinkat(dfd, "g", 0));
	OK(stat("h", &b));
	EQ(b.st_nlink, 1);
	/* A rename of one name leaves the file's other names alone. */
	OK(link("h", "d/x"));
	OK(rename("d/x", "d/y"));
	OK(stat("h", &a));
	OK(stat("d/y", &b));
	CHECK(a.st_ino == b.st_ino && a.st_nlink == 2);
	OK(unlink("d/y"));
	OK(close(dfd));
	OK(unlink("h"));
	OK(rmdir("d"));
}

/* The old name's last symbolic link is not followed, unless asked. */
static void t_hard_link_symlink(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(symlink("f", "l"));
	OK(linkat(AT_FDCWD, "l", AT_FDCWD, "l2", 0));
	OK(lstat("l2", &st));
	CHECK(S_ISLNK(st.st_mode));
	OK(linkat(AT_FDCWD, "l", AT_FDCWD, "f2", AT_SYMLINK_FOLLOW));
	OK(lstat("f2", &st));
	CHECK(S_ISREG(st.st_mode) && st.st_nlink == 2);
	OK(unlink("l2"));
	OK(unlink("f2"));
	OK(unlink("l"));
	OK(unlink("f"));
}

static void t_hard_link_errors(void)
{
	struct stat st;
	OK(pt_mkfile("f", "x", 1, 0644));
	OK(pt_mkfile("g", "y", 1, 0644));
	OK(mkdir("d", 0755));
	ERR(link("f", "g"), EEXIST);
	ERR(link("f", "d"), EEXIST);
	ERR(link("d", "d2"), EPERM);
	ERR(link("missing", "m"), ENOENT);
	ERR(link("f", "nodir/f"), ENOENT);
	ERR(link("f/x", "m"), ENOTDIR);
	ERR(linkat(AT_FDCWD, "f", AT_FDCWD, "m", 0x1), EINVAL);
	ERR(syscall(SYS_link, (void *)8, "m"), EFAULT);
	ERR(syscall(SYS_link, "f", (void *)8), EFAULT);
	ERR(linkat(1000, "f", AT_FDCWD, "m", 0), EBADF);
	/* Another file system (here, the process server's): EXDEV. */
	if (access("/proc/uptime", F_OK) == 0)
		ERR(link("/proc/uptime", "m"), EXDEV);
	ERR(stat("m", &st), ENOENT); /* nothing was made */
	OK(stat("f", &st));
	EQ(st.st_nlink, 1);
	OK(unlink("f"));
	OK(unlink("g"));
	OK(rmdir("d"));
}

const struct pt_test pt_link_tests[] = {
	{"hard_link", t_hard_link},
	{"hard_link_symlink", t_hard_link_symlink},
	{"hard_link_errors", t_hard_link_errors},
	{"symlink_readlink", t_symlink_readlink},
	{"symlinkat", t_symlinkat},
	{"symlink_errors", t_symlink_errors},
	{"follow", t_follow},
	{"follow_errors", t_follow_errors},
	{"forty_links", t_forty_links},
	{"last_not_followed", t_last_not_followed},
	{"statx_nofollow", t_statx_nofollow},
	{"getdents_link", t_getdents_link},
	{0, 0},
};
