/* Creating and reaping processes, and threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

/* The child exits at once: this times the copy of the address space, the
 * scheduling of the child, its exit and the parent's reaping. */
static uint64_t fork_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, 0, 0);
	}
	return rdtsc() - t0;
}

static int spawn_one(void)
{
	char *argv[] = { (char *)bench_spawn, 0 };
	pid_t pid;

	if (posix_spawn(&pid, bench_spawn, 0, 0, argv, environ) != 0)
		return -1;
	return waitpid(pid, 0, 0) == pid ? 0 : -1;
}

/* Check once that the spawn target exists, so that a missing binary is a
 * skipped benchmark and not a figure for a failing exec. */
static int spawn_setup(void)
{
	if (spawn_one() != 0) {
		bench_warn("cannot spawn %s", bench_spawn);
		return -1;
	}
	return 0;
}

static uint64_t spawn_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		spawn_one();
	return rdtsc() - t0;
}

/* fork, then execve of the tiny static binary in the child, and wait:
 * what a shell does for every external command. */
static uint64_t exec_batch(unsigned n)
{
	char *argv[] = { (char *)bench_spawn, 0 };
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execve(bench_spawn, argv, environ);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, 0, 0);
	}
	return rdtsc() - t0;
}

static void *thread_nop(void *arg)
{
	return arg;
}

/* A thread that returns at once: its making, its start on a CPU, its end
 * (the tid word cleared and woken) and the join. */
static uint64_t thread_batch(unsigned n)
{
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, 0, thread_nop, 0) == 0)
			pthread_join(t, 0);
	}
	return rdtsc() - t0;
}

const struct bench bench_proc[] = {
	{ "proc.fork", "fork + _exit + waitpid", 30, 0, fork_batch, 0, 0 },
	{ "proc.spawn", "posix_spawn + waitpid of a tiny static binary", 15,
	  spawn_setup, spawn_batch, 0, 0 },
	{ "proc.exec", "fork + execve of a tiny static binary + waitpid", 15,
	  spawn_setup, exec_batch, 0, 0 },
	{ "thread.create",
	  "pthread_create + pthread_join of a thread that returns", 50, 0,
	  thread_batch, 0, 0 },
	{ 0 }
};
