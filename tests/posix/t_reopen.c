/*
 * Opening the same path again and again (tests reopen_*): each open finds
 * what the path names now, whatever has happened to the tree since the
 * last open: a rename over it, an unlink and a new file, its directory
 * moved away, another process's or program's change. On Metta a path
 * opened for reading several times is opened again with no call while
 * its server's tree has not changed (runtime/opencache.c), so every test
 * opens its path a few times first: the checks then run against that
 * path.
 */
#include <sys/mount.h>
#include <sys/wait.h>

#include "posixtest.h"

#define WARM 4 /* opens before the kept fid is reused (the third on) */

/* Opens path WARM times, each giving want: 0 or -1. */
static int warm(const char *path, const char *want)
{
	for (int i = 0; i < WARM; i++)
		if (!pt_holds(path, want))
			return -1;
	return 0;
}

/* A rename over the path: the next open finds the file renamed there. */
static void t_reopen_renamed_over(void)
{
	OK(pt_mkfile("a", "first", 5, 0644));
	OK(pt_mkfile("b", "second", 6, 0644));
	OK(warm("a", "first"));
	OK(rename("b", "a"));
	CHECKF(pt_holds("a", "second"), "open found the file renamed away");
	OK(warm("a", "second"));
	OK(rename("a", "c"));
	ERR(open("a", O_RDONLY), ENOENT);
	OK(unlink("c"));
}

/* Unlinked and made again: the new file, with its own inode number. */
static void t_reopen_unlinked(void)
{
	struct stat old, now;
	OK(pt_mkfile("a", "old", 3, 0644));
	OK(warm("a", "old"));
	OK(stat("a", &old));
	OK(unlink("a"));
	ERR(open("a", O_RDONLY), ENOENT);
	ERR(open("a", O_RDONLY), ENOENT);
	OK(pt_mkfile("a", "new", 3, 0644));
	CHECKF(pt_holds("a", "new"), "open found the unlinked file");
	int fd = OK(open("a", O_RDONLY));
	OK(fstat(fd, &now));
	OK(close(fd));
	CHECK(now.st_ino != old.st_ino || pt_on_metta() == 0);
	OK(unlink("a"));
}

/* The file's directory renamed away and another made in its place. */
static void t_reopen_dir_replaced(void)
{
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "in-d", 4, 0644));
	OK(warm("d/f", "in-d"));
	OK(rename("d", "e"));
	ERR(open("d/f", O_RDONLY), ENOENT);
	OK(mkdir("d", 0755));
	OK(pt_mkfile("d/f", "new-d", 5, 0644));
	CHECKF(pt_holds("d/f", "new-d"), "open went through the old directory");
	CHECK(pt_holds("e/f", "in-d"));
	OK(pt_rmtree(AT_FDCWD, "d"));
	OK(pt_rmtree(AT_FDCWD, "e"));
}

/* A symbolic link put where the file was: followed, or refused when
 * O_NOFOLLOW says so. */
static void t_reopen_link_put(void)
{
	OK(pt_mkfile("a", "file", 4, 0644));
	OK(pt_mkfile("t", "target", 6, 0644));
	OK(warm("a", "file"));
	OK(unlink("a"));
	OK(symlink("t", "a"));
	CHECKF(pt_holds("a", "target"), "open did not follow the new link");
	ERR(open("a", O_RDONLY | O_NOFOLLOW), ELOOP);
	OK(unlink("a"));
	OK(unlink("t"));
}

/* A forked child and another program change the path; we see it. */
static void t_reopen_other_process(void)
{
	OK(pt_mkfile("a", "ours", 4, 0644));
	OK(pt_mkfile("b", "child", 5, 0644));
	OK(warm("a", "ours"));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(pt_holds("a", "ours") && warm("a", "ours") == 0 &&
				      rename("b", "a") == 0 &&
				      pt_holds("a", "child")
			      ? 0
			      : 1);
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed");
	CHECKF(pt_holds("a", "child"), "the child's rename is not seen");
	OK(warm("a", "child"));
	EQ(pt_sh("printf program > b && mv b a"), 0);
	CHECKF(pt_holds("a", "program"), "another program's rename is not seen");
	OK(unlink("a"));
}

/* More files than are kept, in turn: each open finds its own. */
static void t_reopen_many(void)
{
	enum { N = 20 };
	char name[16], want[16];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "m%d", i);
		snprintf(want, sizeof want, "file %d", i);
		OK(pt_mkfile(name, want, strlen(want), 0644));
	}
	for (int round = 0; round < 3 * WARM; round++)
		for (int i = 0; i < N; i += 1 + round % 3) {
			snprintf(name, sizeof name, "m%d", i);
			snprintf(want, sizeof want, "file %d", i);
			CHECKF(pt_holds(name, want), "%s opened another file",
			       name);
		}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "m%d", i);
		OK(unlink(name));
	}
}

/* Opened again while still open, and with other flags: each its own
 * open file, offsets apart; a write open sees what was written. */
static void t_reopen_while_open(void)
{
	char c;
	OK(pt_mkfile("a", "abc", 3, 0644));
	OK(warm("a", "abc"));
	int x = OK(open("a", O_RDONLY));
	int y = OK(open("a", O_RDONLY));
	EQ(read(x, &c, 1), 1);
	CHECK(c == 'a');
	EQ(read(y, &c, 1), 1);
	CHECK(c == 'a');
	OK(close(x));
	int w = OK(open("a", O_WRONLY | O_TRUNC));
	EQ(write(w, "xyz", 3), 3);
	OK(close(w));
	CHECK(pt_holds("a", "xyz"));
	EQ(pread(y, &c, 1, 2), 1);
	CHECK(c == 'z');
	OK(close(y));
	OK(unlink("a"));
}

/* A directory bound over the file's (mount(2) MS_BIND, a namespace
 * change): the bound one's file, then ours again once unmounted. Skipped
 * where mount is not allowed (Linux, not root). */
static void t_reopen_bound_over(void)
{
	char cwd[512], a[600], b[600];
	OK(mkdir("a", 0755));
	OK(mkdir("b", 0755));
	OK(pt_mkfile("a/f", "from a", 6, 0644));
	OK(pt_mkfile("b/f", "from b", 6, 0644));
	OK(warm("b/f", "from b"));
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(a, sizeof(a), "%s/a", cwd);
	snprintf(b, sizeof(b), "%s/b", cwd);
	if (mount(a, b, 0, MS_BIND, "") == 0) {
		int seen = pt_holds("b/f", "from a");
		OK(umount2(b, 0));
		CHECKF(seen, "open went past the directory bound over");
		CHECKF(pt_holds("b/f", "from b"), "the unmount is not seen");
	} else {
		CHECK(errno == EPERM && !pt_on_metta());
	}
	OK(pt_rmtree(AT_FDCWD, "a"));
	OK(pt_rmtree(AT_FDCWD, "b"));
}

const struct pt_test pt_reopen_tests[] = {
	{"reopen_bound_over", t_reopen_bound_over},
	{"reopen_renamed_over", t_reopen_renamed_over},
	{"reopen_unlinked", t_reopen_unlinked},
	{"reopen_dir_replaced", t_reopen_dir_replaced},
	{"reopen_link_put", t_reopen_link_put},
	{"reopen_other_process", t_reopen_other_process},
	{"reopen_many", t_reopen_many},
	{"reopen_while_open", t_reopen_while_open},
	{0, 0},
};
