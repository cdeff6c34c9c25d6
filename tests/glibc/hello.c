/*
 * A static glibc program (the host's `gcc -static`): that it starts at all
 * tests glibc's start-up calls (brk, arch_prctl, set_tid_address,
 * set_robust_list, rseq, prlimit64, readlink of /proc/self/exe,
 * getrandom, mprotect); then it asks the process calls a Debian program
 * asks and prints what it got, one "GLIBC name: value" line each, for the
 * harness (tests/system/boots.py) to check. Its own checks hold on Linux
 * too; a failed one is a "GLIBC FAIL" line and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failed;
static __thread int tls_value = 42;

#define CHECK(cond)                                                   \
	do {                                                          \
		if (!(cond)) {                                        \
			printf("GLIBC FAIL %s:%d: %s (errno %d)\n",   \
			       __FILE__, __LINE__, #cond, errno);     \
			failed = 1;                                   \
		}                                                     \
	} while (0)

static void identity(void)
{
	struct utsname u;
	CHECK(uname(&u) == 0);
	printf("GLIBC uname: %s %s %s\n", u.sysname, u.release, u.machine);
	pid_t pid = getpid();
	CHECK(pid > 0);
	CHECK(syscall(SYS_gettid) == pid);
	CHECK(getpgrp() > 0 && getpgid(0) == getpgrp());
	CHECK(getsid(0) > 0);
	CHECK(getppid() >= 0);
	printf("GLIBC pid: %d ppid %d pgrp %d sid %d\n", pid, getppid(),
	       getpgrp(), getsid(0));
	gid_t groups[8];
	int n = getgroups(8, groups);
	CHECK(n >= 0);
	printf("GLIBC ids: uid %d euid %d gid %d egid %d groups %d\n",
	       getuid(), geteuid(), getgid(), getegid(), n);
	errno = 0;
	CHECK(syscall(SYS_getgroups, -1, groups) == -1 && errno == EINVAL);
	if (geteuid() == 0) {
		CHECK(setuid(0) == 0 && setgid(0) == 0);
		CHECK(setresuid(-1, 0, -1) == 0 && setreuid(0, 0) == 0);
	}
	uid_t r, e, s;
	CHECK(getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid());
}

static void names(void)
{
	mode_t old = umask(077);
	CHECK(umask(old) == 077);
	printf("GLIBC umask: %03o\n", old);
	char name[16] = "", exe[256];
	CHECK(prctl(PR_SET_NAME, "renamed-by-test") == 0);
	CHECK(prctl(PR_GET_NAME, name) == 0);
	printf("GLIBC comm: %s\n", name);
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(k > 0 && exe[0] == '/');
	exe[k > 0 ? k : 0] = 0;
	printf("GLIBC exe: %s\n", exe);
	errno = 0;
	CHECK(prctl(0x7fff, 0) == -1 && errno == EINVAL);
}

static void limits(void)
{
	struct rlimit nofile, stack, lower, back;
	CHECK(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
	CHECK(getrlimit(RLIMIT_STACK, &stack) == 0);
	CHECK(nofile.rlim_cur <= nofile.rlim_max);
	printf("GLIBC nofile: %lu %lu\n", (unsigned long)nofile.rlim_cur,
	       (unsigned long)nofile.rlim_max);
	printf("GLIBC stack: %lu\n", (unsigned long)stack.rlim_cur);
	lower = nofile;
	lower.rlim_cur = 64;
	CHECK(setrlimit(RLIMIT_NOFILE, &lower) == 0);
	CHECK(prlimit(0, RLIMIT_NOFILE, 0, &back) == 0 && back.rlim_cur == 64);
	CHECK(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
	lower.rlim_cur = lower.rlim_max + 1;
	errno = 0;
	CHECK(setrlimit(RLIMIT_NOFILE, &lower) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(getrlimit(99, &back) == -1 && errno == EINVAL);
	printf("GLIBC rlimits: ok\n");
}

static void accounting(void)
{
	struct sysinfo si;
	struct tms t;
	struct rusage ru;
	CHECK(sysinfo(&si) == 0 && si.totalram > 0 && si.mem_unit > 0);
	CHECK(si.freeram <= si.totalram && si.procs >= 1);
	printf("GLIBC sysinfo: procs %d ram %s\n", si.procs,
	       si.totalram ? "yes" : "no");
	CHECK(times(&t) != (clock_t)-1);
	CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
	errno = 0;
	CHECK(getrusage(7, &ru) == -1 && errno == EINVAL);
	cpu_set_t set;
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	printf("GLIBC cpus: %d\n", CPU_COUNT(&set));
	printf("GLIBC accounting: ok\n");
}

static void time_and_memory(void)
{
	struct timespec a, b;
	struct timeval tv;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	CHECK(b.tv_sec > a.tv_sec ||
	      (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	CHECK(gettimeofday(&tv, 0) == 0 && tv.tv_sec > 1600000000);
	CHECK(time(0) >= tv.tv_sec);
	unsigned char r[32] = { 0 }, zero[32] = { 0 };
	CHECK(getrandom(r, sizeof(r), 0) == sizeof(r));
	CHECK(memcmp(r, zero, sizeof(r)) != 0);
	char *p = malloc(1 << 20); /* mmap, beyond brk's threshold */
	char *q = malloc(100);     /* brk */
	CHECK(p && q);
	memset(p, 1, 1 << 20);
	free(p), free(q);
	void *m = mmap(0, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && mprotect(m, 4096, PROT_READ) == 0);
	CHECK(tls_value == 42);
	printf("GLIBC time, random, memory, tls: ok\n");
}

/* What cannot be done yet answers ENOSYS (fork, exec, wait, signals'
 * delivery come next); rseq is ENOSYS, which glibc takes as "none". */
static void not_yet(void)
{
	errno = 0;
	long rc = syscall(SYS_rseq, 0, 0, 0, 0);
	printf("GLIBC rseq: %ld %s\n", rc,
	       errno == ENOSYS ? "ENOSYS" : strerror(errno));
}

/* Alone, and one user: another process is ESRCH, another user EPERM
 * (the harness checks these; Linux as root answers otherwise). Last, as
 * on Linux it changes who we are. */
static void alone(void)
{
	struct rlimit rl;
	errno = 0;
	long rc = prlimit(1, RLIMIT_NOFILE, 0, &rl);
	printf("GLIBC prlimit of pid 1: %ld %s\n", rc,
	       rc ? strerror(errno) : "ok");
	errno = 0;
	rc = setuid(1000);
	printf("GLIBC setuid 1000: %ld %s\n", rc, rc ? strerror(errno) : "ok");
}

int main(void)
{
	identity();
	names();
	limits();
	accounting();
	time_and_memory();
	not_yet();
	alone();
	printf("GLIBC END %s\n", failed ? "failed" : "ok");
	return failed;
}
