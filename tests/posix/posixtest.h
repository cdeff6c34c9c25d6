/*
 * posixtest: a test suite for the system calls a static musl program
 * relies on. Built with musl-gcc -static; passes on Linux and is meant to
 * run under Metta's POSIX personality. See README.md.
 *
 * A test is a void function. The runner gives each test a fresh empty
 * directory (its current directory), removes it afterwards and closes any
 * file descriptor the test left open, so a test that fails half-way does
 * not disturb the next one. The check macros below print one
 * "POSIX FAIL" line and return from the test at the first failed check.
 */
#ifndef POSIXTEST_H
#define POSIXTEST_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

struct pt_test {
	const char *name;
	void (*fn)(void);
};

/* Set by the runner before a test runs. */
extern const char *pt_name;      /* the running test's name */
extern int pt_failed;            /* the running test has failed */
extern int pt_perm;              /* permission-denied checks are real */
extern char pt_scratch[];        /* absolute path of DIR/pt.<pid> */

void pt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *pt_errname(int e);

/* statx, through the raw system call, with its own structure. */
struct pt_statx_ts { int64_t tv_sec; uint32_t tv_nsec; int32_t pad; };
struct pt_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct pt_statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};
#define PT_STATX_TYPE 0x1u
#define PT_STATX_MODE 0x2u
#define PT_STATX_INO 0x100u
#define PT_STATX_SIZE 0x200u
#define PT_STATX_BASIC 0x7ffu
#define PT_STATX_RESERVED 0x80000000u

/* Helpers (posixtest.c). */
int pt_mkfile(const char *path, const void *data, size_t len, mode_t mode);
/* Whether the file at path holds exactly want (under 64 bytes). */
int pt_holds(const char *path, const char *want);
void pt_pattern(void *buf, size_t len, unsigned seed, size_t off);
/* Milliseconds since *t0 (CLOCK_MONOTONIC). */
struct timespec;
long pt_elapsed_ms(const struct timespec *t0);
int pt_rmtree(int dirfd, const char *name);
/* readlink into buf, NUL-terminated: its length or -1. */
long pt_readlink(const char *path, char *buf, size_t size);
/* Whether we run on Metta: it answers sysname "Linux" (for glibc), its
 * release says. */
int pt_on_metta(void);
/* Runs sh -c cmd (another program, its own runtime): its exit status,
 * or -1. */
int pt_sh(const char *cmd);

/* The expression's value as a long, with errno cleared before it. */
#define PT_EVAL(expr) ({ errno = 0; (long)(expr); })

/* expr must not fail (result >= 0); yields its value. */
#define OK(expr) ({ \
	long _r = PT_EVAL(expr); int _e = errno; \
	if (_r < 0) { \
		pt_fail(__FILE__, __LINE__, "%s = %ld, errno %d (%s), expected success", \
			#expr, _r, _e, pt_errname(_e)); \
		return; \
	} \
	_r; })

/* expr must fail with -1 and errno want. */
#define ERR(expr, want) do { \
	long _r = PT_EVAL(expr); int _e = errno; \
	if (_r != -1 || _e != (want)) { \
		pt_fail(__FILE__, __LINE__, "%s = %ld, errno %d (%s), expected -1 with %s", \
			#expr, _r, _e, pt_errname(_e), pt_errname(want)); \
		return; \
	} } while (0)

/* expr must fail with -1 and errno want1 or want2. */
#define ERR2(expr, want1, want2) do { \
	long _r = PT_EVAL(expr); int _e = errno; \
	if (_r != -1 || (_e != (want1) && _e != (want2))) { \
		pt_fail(__FILE__, __LINE__, "%s = %ld, errno %d (%s), expected -1 with %s or %s", \
			#expr, _r, _e, pt_errname(_e), pt_errname(want1), pt_errname(want2)); \
		return; \
	} } while (0)

/* expr must return exactly want. */
#define EQ(expr, want) do { \
	long _w = (long)(want); \
	long _r = PT_EVAL(expr); int _e = errno; \
	if (_r != _w) { \
		pt_fail(__FILE__, __LINE__, "%s = %ld, errno %d (%s), expected %ld", \
			#expr, _r, _e, pt_errname(_e), _w); \
		return; \
	} } while (0)

/* A condition that must hold (no call involved). */
#define CHECK(cond) do { \
	if (!(cond)) { \
		int _e = errno; \
		pt_fail(__FILE__, __LINE__, "check failed: %s (last errno %d %s)", \
			#cond, _e, pt_errname(_e)); \
		return; \
	} } while (0)

/* Like CHECK, with a formatted explanation. */
#define CHECKF(cond, ...) do { \
	if (!(cond)) { \
		pt_fail(__FILE__, __LINE__, __VA_ARGS__); \
		return; \
	} } while (0)

/* Test lists, one per t_*.c file. Each ends with a {0, 0} entry. */
extern const struct pt_test pt_file_tests[];
extern const struct pt_test pt_fd_tests[];
extern const struct pt_test pt_dir_tests[];
extern const struct pt_test pt_rename_tests[];
extern const struct pt_test pt_fs_tests[];
extern const struct pt_test pt_mem_tests[];
extern const struct pt_test pt_share_tests[];
extern const struct pt_test pt_reopen_tests[];
extern const struct pt_test pt_proc_tests[];
extern const struct pt_test pt_thread_tests[];
extern const struct pt_test pt_err_tests[];
extern const struct pt_test pt_dev_tests[];
/* Raw 9P through /srv/ramfs: only where there is one (Metta). */
extern const struct pt_test pt_procfs_tests[];
extern const struct pt_test pt_9p_tests[];
/* The system image's files: only where its manifest is (Metta). */
#define PT_IMAGE_MANIFEST "/etc/image-manifest"
extern const struct pt_test pt_image_tests[];
extern const struct pt_test pt_link_tests[];
extern const struct pt_test pt_pipe_tests[];
extern const struct pt_test pt_fifo_tests[];
extern const struct pt_test pt_unix_tests[];
extern const struct pt_test pt_inet_tests[];
extern const struct pt_test pt_fork_tests[];
extern const struct pt_test pt_exec_tests[];
extern const struct pt_test pt_signal_tests[];
extern const struct pt_test pt_poll_tests[];
/* The terminal, typed at (Metta's console): only when asked for (-t tty),
 * as they read what is typed. */
extern const struct pt_test pt_tty_tests[];
extern const struct pt_test pt_fuzz_tests[];

/* The ENOSPC test (t_enospc.c); runs only with POSIXTEST_ENOSPC set. */
void pt_test_enospc(void);

#endif
