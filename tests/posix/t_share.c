/*
 * Two processes reading and writing one file (tests share_*): each sees
 * the other's writes, growth and truncation at once, never stale bytes
 * or an old length. On Metta a file read twice in full is read from its
 * server's pages without a call (runtime/filemem.c), so every test reads
 * each file twice first: the checks then run against that path.
 */
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "posixtest.h"

#define PAGE 4096

/* Reads the file twice in full, as a process that keeps reading it
 * does: on Metta, from then on from its pages. 0 or -1. */
static int read_twice(int fd, size_t len)
{
	static char buf[3 * PAGE];
	if (len > sizeof buf)
		return -1;
	for (int i = 0; i < 2; i++)
		if (pread(fd, buf, len, 0) != (ssize_t)len)
			return -1;
	return 0;
}

/* One step of two processes in turn: a byte through a pipe. */
static int post(int fd)
{
	return write(fd, "s", 1) == 1 ? 0 : -1;
}

static int await(int fd)
{
	char c;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* Whether pread of n bytes at off gives exactly want (wn bytes). */
static int reads(int fd, size_t n, off_t off, const char *want, size_t wn)
{
	char buf[64];
	if (n > sizeof buf)
		return 0;
	return pread(fd, buf, n, off) == (ssize_t)wn && !memcmp(buf, want, wn);
}

/*
 * The child's side of share_two_processes: its own open of the file, read
 * from its pages too; each step after the parent's go-ahead. Returns 0,
 * or the step that went wrong.
 */
static int writer_child(int go, int done)
{
	int fd = open("f", O_RDWR);
	if (fd < 0 || read_twice(fd, 2 * PAGE))
		return 1;
	/* 1: a write the parent must see. */
	if (await(go) || pwrite(fd, "child1", 6, 100) != 6 || post(done))
		return 2;
	/* 2: the parent's write, seen here. */
	if (await(go) || !reads(fd, 7, 5000, "parent2", 7))
		return 3;
	/* 3: the file grows past what either mapped. */
	if (pwrite(fd, "tail", 4, 2 * PAGE) != 4 || post(done))
		return 4;
	/* 4: it shrinks. */
	if (await(go) || ftruncate(fd, 50) || post(done))
		return 5;
	/* 5: an O_APPEND writer of its own. */
	int afd = open("f", O_WRONLY | O_APPEND);
	if (await(go) || afd < 0 || write(afd, "app", 3) != 3 || post(done))
		return 6;
	/* 6: the parent's growth past a hole, seen here: zeros in the hole
	 * where the old bytes were. */
	struct stat st;
	if (await(go) || fstat(fd, &st) || st.st_size != 60 ||
	    !reads(fd, 16, 52, "p\0\0\0\0\0\0z", 8))
		return 7;
	close(afd);
	close(fd);
	return 0;
}

static void t_share_two_processes(void)
{
	static char data[2 * PAGE];
	pt_pattern(data, sizeof data, 0x33, 0);
	OK(pt_mkfile("f", data, sizeof data, 0644));
	int fd = OK(open("f", O_RDWR));
	OK(read_twice(fd, sizeof data));
	int go[2], done[2];
	OK(pipe(go));
	OK(pipe(done));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(writer_child(go[0], done[1]));
	/* 1 */
	OK(post(go[1]));
	OK(await(done[0]));
	CHECKF(reads(fd, 6, 100, "child1", 6), "the child's write is not seen at once");
	CHECK(reads(fd, 4, 96, data + 96, 4)); /* the bytes around it stay */
	/* 2 */
	EQ(pwrite(fd, "parent2", 7, 5000), 7);
	OK(post(go[1]));
	/* 3: read ends at the new end, not the old one, nor past it. */
	OK(await(done[0]));
	char tail[16];
	EQ(pread(fd, tail, sizeof tail, 2 * PAGE - 2), 6); /* not at the old end */
	CHECK(!memcmp(tail, data + 2 * PAGE - 2, 2) && !memcmp(tail + 2, "tail", 4));
	EQ(lseek(fd, 0, SEEK_END), 2 * PAGE + 4);
	/* 4: no stale byte past the new end. */
	OK(post(go[1]));
	OK(await(done[0]));
	char big[3 * PAGE];
	EQ(pread(fd, big, sizeof big, 0), 50);
	CHECK(!memcmp(big, data, 50));
	EQ(pread(fd, big, 10, 100), 0);
	EQ(pread(fd, big, 10, 2 * PAGE), 0);
	EQ(lseek(fd, 0, SEEK_END), 50);
	/* 5: the appended bytes, at the end the truncation made. */
	OK(post(go[1]));
	OK(await(done[0]));
	EQ(pread(fd, big, sizeof big, 0), 53);
	CHECK(!memcmp(big + 50, "app", 3));
	/* 6: we grow it with a hole; the child checks. */
	EQ(pwrite(fd, "z", 1, 59), 1);
	OK(post(go[1]));
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the child failed at its step %d", WEXITSTATUS(st) - 1);
	OK(close(fd));
	OK(unlink("f"));
}

/*
 * A file truncated while another process has it mapped (MAP_SHARED) and
 * reads it: reads and fstat give the new length at once, the mapping's
 * bytes below it stay, the rest of its last page reads as zeros, and
 * when the file grows again both show the new bytes. (Whole pages past
 * the end are not touched: Linux gives SIGBUS there, Metta zeros.)
 */
static void t_share_truncate_mapped(void)
{
	enum { LEN = 3 * PAGE };
	static char data[LEN];
	pt_pattern(data, LEN, 0x71, 0);
	OK(pt_mkfile("t", data, LEN, 0644));
	int fd = OK(open("t", O_RDONLY));
	OK(read_twice(fd, LEN));
	char *p = mmap(0, LEN, PROT_READ, MAP_SHARED, fd, 0);
	CHECKF(p != MAP_FAILED, "mmap(SHARED) failed, errno %d (%s)", errno,
	       pt_errname(errno));
	CHECK(!memcmp(p, data, LEN));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(truncate("t", PAGE + 10) ? 1 : 0);
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct stat sb;
	OK(fstat(fd, &sb));
	EQ(sb.st_size, PAGE + 10);
	static char back[LEN];
	EQ(pread(fd, back, LEN, 0), PAGE + 10);
	CHECK(!memcmp(back, data, PAGE + 10));
	EQ(pread(fd, back, 10, PAGE + 10), 0);
	CHECKF(!memcmp(p, data, PAGE + 10), "the mapping lost bytes below the end");
	for (int i = PAGE + 10; i < 2 * PAGE; i++)
		CHECKF(p[i] == 0, "byte %d past the end reads %#x in the mapping", i, p[i]);
	/* It grows again (by another process): the new bytes everywhere,
	 * zeros between. */
	pid = OK(fork());
	if (pid == 0) {
		int w = open("t", O_WRONLY);
		_exit(w >= 0 && pwrite(w, "new", 3, 2 * PAGE + 5) == 3 ? 0 : 1);
	}
	EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EQ(pread(fd, back, LEN, 0), 2 * PAGE + 8);
	CHECK(!memcmp(back + 2 * PAGE + 5, "new", 3));
	for (int i = PAGE + 10; i < 2 * PAGE + 5; i++)
		CHECKF(back[i] == 0, "byte %d of the hole reads %#x", i, back[i]);
	CHECKF(!memcmp(p + 2 * PAGE + 5, "new", 3), "the mapping misses the growth");
	OK(munmap(p, LEN));
	OK(close(fd));
	OK(unlink("t"));
}

/*
 * A file removed (by another process) while open and read from its
 * pages: still readable and writable through the open file; a new file
 * under the name reads as itself, never as the old one.
 */
static void t_share_removed(void)
{
	OK(pt_mkfile("r", "old contents", 12, 0644));
	int fd = OK(open("r", O_RDWR));
	OK(read_twice(fd, 12));
	pid_t pid = OK(fork());
	if (pid == 0)
		_exit(unlink("r") ? 1 : 0);
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(reads(fd, 12, 0, "old contents", 12));
	EQ(pwrite(fd, "OLD", 3, 0), 3);
	CHECK(reads(fd, 12, 0, "OLD contents", 12));
	OK(close(fd));
	OK(pt_mkfile("r", "new", 3, 0644));
	fd = OK(open("r", O_RDONLY));
	CHECK(reads(fd, 20, 0, "new", 3));
	CHECK(reads(fd, 20, 0, "new", 3));
	CHECK(reads(fd, 3, 0, "new", 3));
	CHECK(reads(fd, 3, 0, "new", 3));
	OK(close(fd));
	OK(unlink("r"));
}

/* More files read often than the runtime keeps mapped (16): each still
 * reads as itself, and a read through one open file follows its offset. */
static void t_share_many_files(void)
{
	enum { N = 40 };
	char name[16], want[32], got[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "m%d", i);
		int n = snprintf(want, sizeof want, "file %d of many", i);
		OK(pt_mkfile(name, want, (size_t)n, 0644));
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof name, "m%d", i);
			int n = snprintf(want, sizeof want, "file %d of many", i);
			int fd = OK(open(name, O_RDONLY));
			EQ(read(fd, got, 5), 5);
			EQ(read(fd, got + 5, (size_t)n - 5), n - 5);
			EQ(read(fd, got + n, 4), 0);
			OK(close(fd));
			CHECKF(!memcmp(got, want, (size_t)n), "%s reads as another file", name);
		}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "m%d", i);
		OK(unlink(name));
	}
}


/*
 * Another program (the shell) appends to a file we read from its pages,
 * overwrites some of it and reads what we wrote: each sees the other's
 * bytes at once.
 */
static void t_share_other_program(void)
{
	OK(pt_mkfile("o", "0123456789", 10, 0644));
	int fd = OK(open("o", O_RDWR));
	OK(read_twice(fd, 10));
	EQ(pt_sh("printf appended >> o"), 0);
	CHECKF(reads(fd, 40, 0, "0123456789appended", 18),
	       "another program's append is not seen at once");
	EQ(pt_sh("printf AB | dd of=o bs=1 seek=2 conv=notrunc 2>/dev/null"), 0);
	CHECK(reads(fd, 40, 0, "01AB456789appended", 18));
	EQ(pwrite(fd, "ours", 4, 6), 4);
	EQ(pt_sh("cat o > copy"), 0);
	CHECKF(pt_holds("copy", "01AB45ours"
				"appended"),
	       "another program does not see our write");
	EQ(pt_sh(": > o"), 0); /* truncated by another program */
	EQ(pread(fd, (char[8]){ 0 }, 8, 0), 0);
	OK(close(fd));
	OK(unlink("o"));
	OK(unlink("copy"));
}

const struct pt_test pt_share_tests[] = {
	{"share_two_processes", t_share_two_processes},
	{"share_truncate_mapped", t_share_truncate_mapped},
	{"share_removed", t_share_removed},
	{"share_many_files", t_share_many_files},
	{"share_other_program", t_share_other_program},
	{0, 0},
};
