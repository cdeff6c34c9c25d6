/*
 * Random Linux calls with hostile arguments, from forked children (tests
 * `fuzz_*`): numbers in and out of range; arguments that are bad
 * pointers (NULL, the kernel half, unmapped, misaligned, a page's edge),
 * huge lengths, bad descriptors, random numbers; with a buffer of random
 * bytes and a few open descriptors so that some calls get further. A
 * child may die as Linux would kill it (a signal: SIGSEGV after it
 * unmapped its own code, SIGALRM when a call blocked too long); the
 * parent waits for each and the system carries on: the next children
 * fork, and the parent's own files still work after.
 *
 * Left out, so that the test stays a test of the system and cannot harm
 * anything outside its children (it passes on Linux too): calls that
 * reach other processes (kill, tkill, tgkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, pidfd_*, process_vm_*, process_madvise,
 * process_mrelease, ptrace, prlimit64, migrate_pages, move_pages, kcmp,
 * setpriority, sched_set*, ioprio_set: another process, or all of the
 * user's; shmctl, semctl, msgctl: the user's System V objects),
 * that make processes (fork, vfork, clone, clone3, execve, execveat: a
 * fork bomb is not a finding), that end the child early (exit,
 * exit_group: its calls would not be made), reboot and kexec, network
 * calls (socket to getsockopt, accept4, recvmmsg, sendmmsg: random
 * addresses), and fallocate (it would fill the file system, on Linux the
 * host's). Descriptors 0-2 are /dev/null in the children and every other
 * inherited one closed, its working directory is the scratch directory,
 * its address space limited (RLIMIT_AS) and an alarm set.
 */
#include "posixtest.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define CHILDREN 40
#define CALLS	 200 /* per child */

static const int excluded[] = {
	SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo,
	SYS_rt_tgsigqueueinfo, 424 /* pidfd_send_signal */, 434 /* pidfd_open */,
	438 /* pidfd_getfd */, SYS_process_vm_readv, SYS_process_vm_writev,
	440 /* process_madvise */, 448 /* process_mrelease */, SYS_ptrace,
	SYS_prlimit64, SYS_migrate_pages, SYS_move_pages, SYS_kcmp,
	SYS_fork, SYS_vfork, SYS_clone, 435 /* clone3 */, SYS_execve,
	SYS_execveat, SYS_exit, SYS_exit_group, SYS_reboot, SYS_kexec_load,
	320 /* kexec_file_load */, SYS_fallocate, SYS_accept4, SYS_recvmmsg,
	SYS_sendmmsg, SYS_setpriority, SYS_sched_setaffinity,
	SYS_sched_setscheduler, SYS_sched_setparam, 314 /* sched_setattr */,
	SYS_ioprio_set, SYS_shmctl, SYS_semctl, SYS_msgctl,
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int allowed(long nr)
{
	if (nr >= SYS_socket && nr <= SYS_getsockopt)
		return 0;
	for (size_t i = 0; i < sizeof excluded / sizeof *excluded; i++)
		if (excluded[i] == nr)
			return 0;
	return 1;
}

static char *buf; /* 2 pages of random bytes, then an unmapped page */

static long arg(uint64_t *s)
{
	static const uint64_t edges[] = { 0, 1, 4096, 65536, 1ull << 31,
					  1ull << 32, 1ull << 63, ~0ull };
	switch (rnd(s) % 10) {
	case 0: return 0;
	case 1: return (long)(buf + 8192 - rnd(s) % 16); /* the edge */
	case 2: return (long)(buf + 8192 + rnd(s) % 4096); /* unmapped */
	case 3: return (long)(0xffff800000000000ull + rnd(s) % (1ull << 40));
	case 4: return (long)(buf + rnd(s) % 8192) | 1;
	case 5: return (long)edges[rnd(s) % 8];
	case 6: return (long)rnd(s);
	case 7: return (long)(rnd(s) % 8); /* a descriptor, maybe open */
	default: return (long)(buf + rnd(s) % 8192);
	}
}

/* A child: quiet, confined, then random calls. */
static void child(uint64_t seed)
{
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	for (int fd = 3; fd < 256; fd++)
		if (fd != null)
			close(fd);
	if (chdir(pt_scratch))
		_exit(2);
	struct rlimit as = { 256 << 20, 256 << 20 };
	setrlimit(RLIMIT_AS, &as);
	alarm(1);
	buf = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || munmap(buf + 8192, 4096))
		_exit(3);
	uint64_t s = seed;
	for (int i = 0; i < 8192; i++)
		buf[i] = (char)rnd(&s);
	open("f", O_RDWR | O_CREAT, 0600); /* something to act on */
	pipe((int[2]){ 0 });
	for (int i = 0; i < CALLS; i++) {
		long nr = rnd(&s) % 8 ? (long)(rnd(&s) % 460)
				      : (long)rnd(&s) % 100000;
		if (!allowed(nr))
			continue;
		long a[6];
		for (int k = 0; k < 6; k++)
			a[k] = arg(&s);
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

static void t_fuzz_linux_calls(void)
{
	int died = 0, exited = 0;
	for (int c = 0; c < CHILDREN; c++) {
		pid_t pid = OK(fork());
		if (pid == 0)
			child(0x9e3779b97f4a7c15ull * (uint64_t)(c + 1));
		/* A child that turned its alarm off and blocked is killed. */
		int st = 0, waited = 0;
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (++waited == 200)
				kill(pid, SIGKILL);
			usleep(10000);
		}
		CHECKF(WIFEXITED(st) || WIFSIGNALED(st), "child %d status %#x", c,
		       st);
		died += WIFSIGNALED(st);
		exited += WIFEXITED(st);
	}
	pt_say("%d children exited, %d were killed by a signal", exited, died);
	/* The system carries on: a file of ours still works. */
	char path[256];
	snprintf(path, sizeof path, "%s/after", pt_scratch);
	EQ(pt_mkfile(path, "ok", 2, 0600), 0);
	CHECK(pt_holds(path, "ok"));
}

const struct pt_test pt_fuzz_tests[] = {
	{ "fuzz_linux_calls", t_fuzz_linux_calls },
	{ 0, 0 },
};
