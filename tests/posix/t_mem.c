#define _GNU_SOURCE
/* Memory: mmap (anonymous and file), munmap, mprotect, brk, madvise. */
#include "posixtest.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define PAGE 4096

static void t_mmap_anon(void)
{
	const size_t len = 4 << 20;
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF(p != MAP_FAILED, "mmap(0, 4 MiB, RW, PRIVATE|ANON) failed, errno %d (%s)",
	       errno, pt_errname(errno));
	CHECKF(((uintptr_t)p & (PAGE - 1)) == 0, "mmap returned %p, not page aligned", p);
	/* Zero filled, every page writable. */
	for (size_t i = 0; i < len; i += PAGE) {
		CHECKF(p[i] == 0 && p[i + PAGE - 1] == 0, "page at +%zu not zero", i);
		p[i] = (unsigned char)(i / PAGE);
		p[i + PAGE - 1] = 0xa5;
	}
	for (size_t i = 0; i < len; i += PAGE)
		CHECKF(p[i] == (unsigned char)(i / PAGE) && p[i + PAGE - 1] == 0xa5,
		       "page at +%zu lost its contents", i);
	/* A second mapping is distinct. */
	unsigned char *q = mmap(0, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK(q + PAGE <= p || q >= p + len);
	CHECK(q[0] == 0);
	OK(munmap(q, PAGE));
	OK(munmap(p, len));
	/* A length that is not a page multiple is rounded up. */
	p = mmap(0, 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	p[99] = 1;
	p[PAGE - 1] = 2;
	OK(munmap(p, 100));
}

static void t_mmap_file(void)
{
	enum { LEN = 3 * PAGE + 123 };
	static unsigned char data[LEN];
	pt_pattern(data, LEN, 0x33, 0);
	OK(pt_mkfile("f", data, LEN, 0644));
	int fd = OK(open("f", O_RDONLY));
	unsigned char *p = mmap(0, LEN, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECKF(p != MAP_FAILED, "mmap(0, %d, PROT_READ, MAP_PRIVATE, fd, 0) failed, errno %d (%s)",
	       LEN, errno, pt_errname(errno));
	CHECK(!memcmp(p, data, LEN));
	/* The rest of the last page reads as zeros. */
	for (int i = LEN; i < 4 * PAGE; i++)
		CHECKF(p[i] == 0, "byte %d past the end of the file is %#x", i, p[i]);
	OK(munmap(p, LEN));
	/* At a page offset; the mapping outlives the descriptor. */
	p = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE);
	CHECK(p != MAP_FAILED);
	OK(close(fd));
	CHECK(!memcmp(p, data + 2 * PAGE, PAGE));
	OK(munmap(p, PAGE));
	/* A writable private mapping: changes stay private. */
	fd = OK(open("f", O_RDWR));
	p = mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(!memcmp(p, data, LEN));
	memset(p, 'w', 100);
	unsigned char b[100];
	EQ(pread(fd, b, 100, 0), 100);
	CHECK(!memcmp(b, data, 100));
	OK(munmap(p, LEN));
	/* An offset that is not page aligned. */
	CHECK(mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL);
	OK(close(fd));
	OK(unlink("f"));
}

/* A shared mapping is the file itself: writes through it and through
 * the descriptor meet at once (no msync needed), in every process and
 * every mapping of the file, and stay in the file. */
static void t_mmap_shared_file(void)
{
	enum { LEN = 2 * PAGE + 10 };
	static unsigned char data[LEN];
	pt_pattern(data, LEN, 0x5a, 0);
	OK(pt_mkfile("s", data, LEN, 0644));
	int fd = OK(open("s", O_RDWR));
	unsigned char *p = mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECKF(p != MAP_FAILED, "mmap(SHARED, RW) of a file failed, errno %d (%s)",
	       errno, pt_errname(errno));
	CHECK(!memcmp(p, data, LEN));
	unsigned char c = 0;
	p[5] = 'X';
	EQ(pread(fd, &c, 1, 5), 1);
	CHECKF(c == 'X', "a write through the mapping reads back as %#x", c);
	EQ(pwrite(fd, "Y", 1, PAGE + 7), 1);
	CHECKF(p[PAGE + 7] == 'Y', "a write to the file shows as %#x in the mapping",
	       p[PAGE + 7]);
	/* Another open and mapping of the same file: the same pages. */
	int fd2 = OK(open("s", O_RDONLY));
	unsigned char *q = mmap(0, LEN, PROT_READ, MAP_SHARED, fd2, 0);
	CHECK(q != MAP_FAILED);
	CHECK(q[5] == 'X' && q[PAGE + 7] == 'Y');
	p[9] = 'Z';
	CHECK(q[9] == 'Z');
	/* A forked child writes; the parent sees it. */
	pid_t pid = OK(fork());
	if (pid == 0) {
		p[100] = 'C';
		_exit(0);
	}
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(p[100] == 'C' && q[100] == 'C', "the child's write is %#x here", p[100]);
	OK(msync(p, LEN, MS_SYNC));
	OK(msync(p, LEN, MS_ASYNC | MS_INVALIDATE));
	ERR(msync(p + 1, LEN, MS_SYNC), EINVAL);
	ERR(msync(p, LEN, MS_SYNC | MS_ASYNC), EINVAL);
	ERR(msync(p, LEN, 0x100), EINVAL);
	OK(munmap(q, LEN));
	OK(munmap(p, LEN));
	ERR(msync(p, LEN, MS_SYNC), ENOMEM); /* no longer mapped */
	OK(close(fd2));
	OK(close(fd));
	/* All of it is in the file. */
	data[5] = 'X', data[PAGE + 7] = 'Y', data[9] = 'Z', data[100] = 'C';
	static unsigned char back[LEN];
	fd = OK(open("s", O_RDONLY));
	EQ(read(fd, back, LEN), LEN);
	OK(close(fd));
	CHECK(!memcmp(back, data, LEN));
	OK(unlink("s"));
}

static void t_mmap_shared_errors(void)
{
	OK(pt_mkfile("r", "abc", 3, 0644));
	int fd = OK(open("r", O_RDONLY));
	/* Read-only descriptor: no writable shared mapping, now or later. */
	CHECK(mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EACCES);
	char *p = mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && p[1] == 'b');
	ERR(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
	CHECK(p[2] == 'c');
	OK(munmap(p, PAGE));
	OK(close(fd));
	/* Write-only: nothing to map. */
	fd = OK(open("r", O_WRONLY));
	CHECK(mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
	OK(close(fd));
	OK(unlink("r"));
}

/* POSIX shared memory: shm_open's files in /dev/shm, mapped by two
 * processes, living on past shm_unlink while mapped. */
static void t_shm_open(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/posixtest-shm-%d", (int)getpid());
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	CHECKF(fd >= 0, "shm_open(%s) failed, errno %d (%s)", name, errno,
	       pt_errname(errno));
	CHECK(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600) < 0 && errno == EEXIST);
	OK(ftruncate(fd, 64 * 1024));
	char *p = mmap(0, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(p[0] == 0 && p[64 * 1024 - 1] == 0);
	pid_t pid = OK(fork());
	if (pid == 0) {
		int cfd = shm_open(name, O_RDWR, 0);
		char *q = cfd < 0 ? MAP_FAILED
				  : mmap(0, 64 * 1024, PROT_READ | PROT_WRITE,
					 MAP_SHARED, cfd, 0);
		if (q == MAP_FAILED)
			_exit(1);
		strcpy(q + 60 * 1024, "from the child");
		_exit(0);
	}
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	CHECKF(!strcmp(p + 60 * 1024, "from the child"), "read \"%.20s\"", p + 60 * 1024);
	OK(shm_unlink(name));
	CHECK(shm_open(name, O_RDWR, 0) < 0 && errno == ENOENT);
	CHECK(shm_unlink(name) < 0 && errno == ENOENT);
	/* Unlinked, still mapped, still memory. */
	p[0] = 'k';
	CHECK(p[0] == 'k' && !strcmp(p + 60 * 1024, "from the child"));
	OK(munmap(p, 64 * 1024));
	OK(close(fd));
}

/* mremap: growing, shrinking, moving keeps the contents (and sharing). */
static void t_mremap(void)
{
	unsigned char *p = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	pt_pattern(p, 2 * PAGE, 0x77, 0);
	static unsigned char want[2 * PAGE];
	pt_pattern(want, 2 * PAGE, 0x77, 0);
	unsigned char *q = mremap(p, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	CHECKF(q != MAP_FAILED, "mremap grow failed, errno %d (%s)", errno, pt_errname(errno));
	CHECK(!memcmp(q, want, 2 * PAGE));
	CHECK(q[2 * PAGE] == 0 && q[64 * PAGE - 1] == 0);
	q[64 * PAGE - 1] = 9;
	/* Shrinking stays in place; the tail is gone. */
	CHECK(mremap(q, 64 * PAGE, PAGE, 0) == q);
	CHECK(!memcmp(q, want, PAGE));
	ERR(msync(q + PAGE, PAGE, MS_ASYNC), ENOMEM);
	/* Without MAYMOVE, no room after it: ENOMEM, nothing changed. */
	unsigned char *after = mmap(q + PAGE, PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(after == q + PAGE);
	CHECK(mremap(q, PAGE, 2 * PAGE, 0) == MAP_FAILED && errno == ENOMEM);
	CHECK(!memcmp(q, want, PAGE));
	/* To a place of our choosing. */
	unsigned char *spot = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(spot != MAP_FAILED);
	CHECK(mremap(q, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, spot + PAGE) ==
	      spot + PAGE);
	CHECK(!memcmp(spot + PAGE, want, PAGE) && spot[2 * PAGE] == 0);
	ERR(msync(q, PAGE, MS_ASYNC), ENOMEM); /* the old place is free */
	/* Errors change nothing. */
	CHECK(mremap(spot + 1, PAGE, PAGE, 0) == MAP_FAILED && errno == EINVAL);
	CHECK(mremap(spot, PAGE, 0, 0) == MAP_FAILED && errno == EINVAL);
	CHECK(mremap(spot, PAGE, PAGE, MREMAP_FIXED, spot) == MAP_FAILED && errno == EINVAL);
	CHECK(mremap(spot, PAGE, PAGE, 0x40) == MAP_FAILED && errno == EINVAL);
	CHECK(mremap(q, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
	CHECK(!memcmp(spot + PAGE, want, PAGE));
	OK(munmap(spot, 4 * PAGE));
	OK(munmap(after, PAGE));
	/* A shared mapping moved is still shared with a child. */
	volatile unsigned char *sh = mmap(0, PAGE, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	sh = mremap((void *)sh, PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	CHECK(sh != MAP_FAILED);
	pid_t pid = OK(fork());
	if (pid == 0) {
		sh[10] = 'm';
		_exit(0);
	}
	int st;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(sh[10] == 'm', "the child's write to moved shared memory is %#x", sh[10]);
	OK(munmap((void *)sh, 8 * PAGE));
}

static void t_munmap(void)
{
	unsigned char *p = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 0x11, 4 * PAGE);
	/* Unmap the middle, then map it again in place. */
	OK(munmap(p + PAGE, 2 * PAGE));
	unsigned char *q = mmap(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECKF(q == p + PAGE, "mmap(MAP_FIXED at %p) = %p, errno %d (%s)",
	       (void *)(p + PAGE), (void *)q, errno, pt_errname(errno));
	CHECK(q[0] == 0 && q[2 * PAGE - 1] == 0);
	CHECK(p[0] == 0x11 && p[4 * PAGE - 1] == 0x11);
	q[0] = 1;
	/* Unmap all, then remap the whole range. */
	OK(munmap(p, 4 * PAGE));
	q = mmap(p, 4 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p);
	for (int i = 0; i < 4 * PAGE; i += PAGE)
		CHECKF(q[i] == 0, "remapped page %d not zero", i / PAGE);
	OK(munmap(q, 4 * PAGE));
	/* Unmapping nothing mapped is fine; a bad address is not. */
	OK(munmap(p, 4 * PAGE));
	ERR(munmap(p + 1, PAGE), EINVAL);
	ERR(munmap(p, 0), EINVAL);
}

static void t_mprotect(void)
{
	unsigned char *p = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 0x42, 2 * PAGE);
	OK(mprotect(p, 2 * PAGE, PROT_READ));
	CHECK(p[0] == 0x42 && p[2 * PAGE - 1] == 0x42);
	OK(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE));
	p[0] = 1;
	p[2 * PAGE - 1] = 2;
	CHECK(p[0] == 1 && p[2 * PAGE - 1] == 2 && p[PAGE] == 0x42);
	/* One page of the two. */
	OK(mprotect(p + PAGE, PAGE, PROT_READ));
	p[0] = 3;
	CHECK(p[PAGE] == 0x42);
	OK(mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE));
	p[PAGE] = 4;
	CHECK(p[0] == 3 && p[PAGE] == 4);
	OK(mprotect(p, 2 * PAGE, PROT_NONE));
	OK(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE));
	CHECK(p[0] == 3 && p[PAGE] == 4);
	/* musl rounds the address down: the raw call. */
	ERR(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
	OK(munmap(p, 2 * PAGE));
	/* Nothing mapped there any more. */
	ERR(mprotect(p, PAGE, PROT_READ), ENOMEM);
}

static void t_brk(void)
{
	uintptr_t cur = OK(syscall(SYS_brk, 0));
	CHECK(cur != 0);
	/* brk(0) again does not move it. */
	EQ(syscall(SYS_brk, 0), cur);
	uintptr_t want = cur + 64 * 1024;
	EQ(syscall(SYS_brk, want), want);
	EQ(syscall(SYS_brk, 0), want);
	/* The new memory is usable (and zero). */
	unsigned char *p = (unsigned char *)cur;
	for (size_t i = 0; i < 64 * 1024; i += 512) {
		CHECKF(p[i] == 0, "new brk memory at +%zu is %#x", i, p[i]);
		p[i] = 0x7e;
	}
	CHECK(p[0] == 0x7e && p[64 * 1024 - 512] == 0x7e);
	/* Grow more, then give it back. */
	EQ(syscall(SYS_brk, want + 3 * PAGE), want + 3 * PAGE);
	p[64 * 1024 + 3 * PAGE - 1] = 1;
	EQ(syscall(SYS_brk, cur), cur);
	EQ(syscall(SYS_brk, 0), cur);
	/* What grows back after a shrink is zero again. */
	EQ(syscall(SYS_brk, want + 3 * PAGE), want + 3 * PAGE);
	for (size_t i = 0; i < 64 * 1024 + 3 * PAGE; i += 512)
		CHECKF(p[i] == 0, "brk memory at +%zu is %#x after shrink and growth", i, p[i]);
	EQ(syscall(SYS_brk, cur), cur);
}

/* 1 GiB of anonymous memory, of which four pages are used: it is there
 * (Linux overcommits, Metta brings pages in when first touched). */
static void t_mmap_large(void)
{
	const size_t len = (size_t)1 << 30;
	const size_t at[4] = { 0, 1000 * PAGE, len / 2, len - PAGE };
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF(p != MAP_FAILED, "mmap(0, 1 GiB, RW, PRIVATE|ANON) failed, errno %d (%s)",
	       errno, pt_errname(errno));
	for (int i = 0; i < 4; i++)
		p[at[i] + 7] = (unsigned char)(0x40 + i);
	for (int i = 0; i < 4; i++)
		CHECKF(p[at[i] + 7] == 0x40 + i, "byte at +%zu lost", at[i] + 7);
	CHECK(p[5 * PAGE] == 0 && p[len - 1] == 0 && p[at[1]] == 0);
	OK(munmap(p, len));
}

/* MADV_DONTNEED: private anonymous pages read as zeros after; shared
 * memory keeps its contents; other advice is accepted. */
static void t_madvise(void)
{
	unsigned char *p = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (int i = 0; i < 4; i++) {
		p[i * PAGE] = (unsigned char)(0x11 + i);
		p[i * PAGE + PAGE - 1] = 0x22;
	}
	OK(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
	CHECK(p[0] == 0x11 && p[PAGE - 1] == 0x22);
	CHECK(p[3 * PAGE] == 0x14 && p[4 * PAGE - 1] == 0x22);
	for (int i = 1; i < 3; i++)
		CHECKF(p[i * PAGE] == 0 && p[i * PAGE + PAGE - 1] == 0,
		       "page %d not zero after MADV_DONTNEED", i);
	p[PAGE] = 5;
	CHECK(p[PAGE] == 5);
	OK(madvise(p, 4 * PAGE, MADV_NOHUGEPAGE));
	OK(madvise(p, 4 * PAGE, MADV_NORMAL));
	OK(madvise(p, 4 * PAGE, MADV_WILLNEED));
	CHECK(p[0] == 0x11 && p[PAGE] == 5);
	ERR(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
	ERR(madvise(p, PAGE, 9999), EINVAL);
	OK(munmap(p, 4 * PAGE));
	ERR(madvise(p, PAGE, MADV_DONTNEED), ENOMEM);
	unsigned char *s = mmap(0, PAGE, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED);
	s[9] = 0x99;
	OK(madvise(s, PAGE, MADV_DONTNEED));
	CHECK(s[9] == 0x99);
	OK(munmap(s, PAGE));
}

/* A child that touches memory it has not got dies of SIGSEGV, as its
 * parent's wait says. */
static void t_segv_is_a_signal(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none); /* no core file, where there are */
		volatile int *volatile nowhere = (volatile int *)16;
		*nowhere = 1;
		_exit(0);
	}
	CHECK(pid > 0);
	int st = 0;
	EQ(waitpid(pid, &st, 0), pid);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child's status %#x", st);
}

static void t_mmap_errors(void)
{
	void *p = mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF(p == MAP_FAILED && errno == EINVAL,
	       "mmap(length 0) = %p, errno %d (%s), expected EINVAL", p, errno, pt_errname(errno));
	errno = 0;
	p = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0);
	CHECKF(p == MAP_FAILED && errno == EBADF,
	       "mmap(fd 1000) = %p, errno %d (%s), expected EBADF", p, errno, pt_errname(errno));
	errno = 0;
	/* Neither MAP_PRIVATE nor MAP_SHARED. */
	p = mmap(0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0);
	CHECKF(p == MAP_FAILED && errno == EINVAL,
	       "mmap(no PRIVATE/SHARED) = %p, errno %d (%s), expected EINVAL", p, errno,
	       pt_errname(errno));
	/* The raw call returns -errno in the same way. */
	ERR(syscall(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	ERR(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
	/* MAP_FIXED at an unaligned address. */
	ERR(syscall(SYS_mmap, 0x10000001, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    -1, 0), EINVAL);
}

const struct pt_test pt_mem_tests[] = {
	{"mmap_anon", t_mmap_anon},
	{"mmap_file", t_mmap_file},
	{"mmap_shared_file", t_mmap_shared_file},
	{"mmap_shared_errors", t_mmap_shared_errors},
	{"shm_open", t_shm_open},
	{"mremap", t_mremap},
	{"munmap", t_munmap},
	{"mprotect", t_mprotect},
	{"brk", t_brk},
	{"mmap_errors", t_mmap_errors},
	{"mmap_large", t_mmap_large},
	{"madvise", t_madvise},
	{"segv_is_a_signal", t_segv_is_a_signal},
	{0, 0},
};
