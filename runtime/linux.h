/*
 * The Linux x86-64 system call ABI the runtime implements: call numbers,
 * errno values, flags and the structures programs pass, as the kernel
 * defines them (not as a C library does).
 */
#ifndef RUNTIME_LINUX_H
#define RUNTIME_LINUX_H

#include <stdint.h>

/* Call numbers: generated from musl's bits/syscall.h (tools/linuxnames.py);
 * errno values: lib/9p/errstr.h (P9_E*), the one list of Linux's numbers
 * that servers, clients and the runtime share. */
#include <9p/errstr.h>
#include <runtime/linux_calls.h>

/* open and fcntl. */
#define LX_O_ACCMODE	       03
#define LX_O_RDONLY	       00
#define LX_O_WRONLY	       01
#define LX_O_RDWR	       02
#define LX_O_CREAT	       0100
#define LX_O_EXCL	       0200
#define LX_O_NOCTTY	       0400
#define LX_O_TRUNC	       01000
#define LX_O_APPEND	       02000
#define LX_O_NONBLOCK	       04000
#define LX_O_DIRECTORY	       0200000
#define LX_O_NOFOLLOW	       0400000
#define LX_O_CLOEXEC	       02000000
#define LX_O_PATH	       010000000
#define LX_AT_FDCWD	       (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR	       0x200
#define LX_AT_EACCESS	       0x200
#define LX_AT_EMPTY_PATH       0x1000
#define LX_F_DUPFD	       0
#define LX_F_GETFD	       1
#define LX_F_SETFD	       2
#define LX_F_GETFL	       3
#define LX_F_SETFL	       4
#define LX_F_DUPFD_CLOEXEC     1030
#define LX_FD_CLOEXEC	       1
#define LX_SEEK_SET	       0
#define LX_SEEK_CUR	       1
#define LX_SEEK_END	       2
#define LX_F_OK		       0
#define LX_X_OK		       1
#define LX_W_OK		       2
#define LX_R_OK		       4

/* File types in st_mode. */
#define LX_S_IFMT  0170000
#define LX_S_IFDIR 0040000
#define LX_S_IFCHR 0020000
#define LX_S_IFREG 0100000
#define LX_S_IFLNK 0120000
#define LX_S_IFIFO 0010000
#define LX_DT_CHR  2
#define LX_DT_DIR  4
#define LX_DT_REG  8
#define LX_DT_LNK  10

struct lx_timespec {
	int64_t tv_sec, tv_nsec;
};

struct lx_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	struct lx_timespec st_atim, st_mtim, st_ctim;
	int64_t reserved[3];
};

struct lx_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct lx_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct lx_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
#define LX_STATX_BASIC_STATS 0x7ff

struct lx_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

struct lx_iovec {
	uint64_t base, len;
};

struct lx_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65],
	    domainname[65];
};

/* Terminals: termios, window size, their ioctls (shared with cons). */
#include <metta/proto.h>
#include <metta/termios.h>

/* poll and select: the bits servers answer readiness queries with are
 * Linux's (metta/proto.h). */
#define LX_POLLIN     READY_IN
#define LX_POLLPRI    0x002
#define LX_POLLOUT    READY_OUT
#define LX_POLLERR    READY_ERR
#define LX_POLLHUP    READY_HUP
#define LX_POLLNVAL   0x020
#define LX_POLLRDNORM 0x040
#define LX_POLLWRNORM 0x100

struct lx_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* mmap. */
#define LX_PROT_READ	       1
#define LX_PROT_WRITE	       2
#define LX_PROT_EXEC	       4
#define LX_MAP_SHARED	       0x01
#define LX_MAP_PRIVATE	       0x02
#define LX_MAP_FIXED	       0x10
#define LX_MAP_ANONYMOUS       0x20
#define LX_MAP_FIXED_NOREPLACE 0x100000

/* mount flags we understand. */
#define LX_MS_REMOUNT 32
#define LX_MS_BIND    4096
#define LX_MNT_DETACH 2

/* Resource limits (prlimit64); RLIMIT_NOFILE's is MAX_FDS (fd.h). */
#define LX_RLIMIT_STACK	  3
#define LX_RLIMIT_CORE	  4
#define LX_RLIMIT_NOFILE  7
#define LX_RLIMIT_MEMLOCK 8
#define LX_RLIM_NLIMITS	  16
#define LX_RLIM_INFINITY  (~0ull)

struct lx_rlimit {
	uint64_t cur, max;
};

struct lx_sysinfo {
	int64_t uptime;
	uint64_t loads[3], totalram, freeram, sharedram, bufferram;
	uint64_t totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

struct lx_timeval {
	int64_t tv_sec, tv_usec;
};

struct lx_rusage {
	struct lx_timeval utime, stime;
	int64_t rest[14]; /* maxrss ... nivcsw */
};

#define LX_PR_SET_NAME 15
#define LX_PR_GET_NAME 16

#define LX_ARCH_SET_FS 0x1002
#define LX_ARCH_GET_FS 0x1003

#define LX_CLOCK_REALTIME  0
#define LX_CLOCK_MONOTONIC 1

#endif
