/*
 * The Linux x86-64 system call ABI the runtime implements: call numbers,
 * errno values, flags and the structures programs pass, as the kernel
 * defines them (not as a C library does).
 */
#ifndef RUNTIME_LINUX_H
#define RUNTIME_LINUX_H

#include <stdint.h>

/* Call numbers. */
enum {
	LX_read = 0,
	LX_write = 1,
	LX_open = 2,
	LX_close = 3,
	LX_stat = 4,
	LX_fstat = 5,
	LX_lstat = 6,
	LX_lseek = 8,
	LX_mmap = 9,
	LX_mprotect = 10,
	LX_munmap = 11,
	LX_brk = 12,
	LX_rt_sigaction = 13,
	LX_rt_sigprocmask = 14,
	LX_ioctl = 16,
	LX_pread64 = 17,
	LX_pwrite64 = 18,
	LX_readv = 19,
	LX_writev = 20,
	LX_access = 21,
	LX_sched_yield = 24,
	LX_madvise = 28,
	LX_dup = 32,
	LX_dup2 = 33,
	LX_nanosleep = 35,
	LX_getpid = 39,
	LX_exit = 60,
	LX_kill = 62,
	LX_uname = 63,
	LX_fcntl = 72,
	LX_fsync = 74,
	LX_fdatasync = 75,
	LX_truncate = 76,
	LX_ftruncate = 77,
	LX_getcwd = 79,
	LX_chdir = 80,
	LX_fchdir = 81,
	LX_rename = 82,
	LX_mkdir = 83,
	LX_rmdir = 84,
	LX_creat = 85,
	LX_unlink = 87,
	LX_readlink = 89,
	LX_chmod = 90,
	LX_fchmod = 91,
	LX_umask = 95,
	LX_getuid = 102,
	LX_getgid = 104,
	LX_geteuid = 107,
	LX_getegid = 108,
	LX_getppid = 110,
	LX_rt_sigpending = 127,
	LX_sigaltstack = 131,
	LX_arch_prctl = 158,
	LX_mount = 165,
	LX_umount2 = 166,
	LX_gettid = 186,
	LX_tkill = 200,
	LX_getdents64 = 217,
	LX_set_tid_address = 218,
	LX_clock_gettime = 228,
	LX_clock_getres = 229,
	LX_clock_nanosleep = 230,
	LX_exit_group = 231,
	LX_tgkill = 234,
	LX_openat = 257,
	LX_mkdirat = 258,
	LX_newfstatat = 262,
	LX_unlinkat = 263,
	LX_renameat = 264,
	LX_readlinkat = 267,
	LX_fchmodat = 268,
	LX_faccessat = 269,
	LX_dup3 = 292,
	LX_prlimit64 = 302,
	LX_getrandom = 318,
	LX_statx = 332,
	LX_renameat2 = 316,
	LX_faccessat2 = 439,
	LX_NCALLS = 440,
};

/* errno values. */
enum {
	LX_EPERM = 1,
	LX_ENOENT = 2,
	LX_ESRCH = 3,
	LX_EINTR = 4,
	LX_EIO = 5,
	LX_EBADF = 9,
	LX_EAGAIN = 11,
	LX_ENOMEM = 12,
	LX_EACCES = 13,
	LX_EFAULT = 14,
	LX_EBUSY = 16,
	LX_EEXIST = 17,
	LX_EXDEV = 18,
	LX_ENOTDIR = 20,
	LX_EISDIR = 21,
	LX_EINVAL = 22,
	LX_ENFILE = 23,
	LX_EMFILE = 24,
	LX_ENOTTY = 25,
	LX_EFBIG = 27,
	LX_ENOSPC = 28,
	LX_ESPIPE = 29,
	LX_EROFS = 30,
	LX_ERANGE = 34,
	LX_ENAMETOOLONG = 36,
	LX_ENOSYS = 38,
	LX_ENOTEMPTY = 39,
	LX_ELOOP = 40,
	LX_ENOTSUP = 95,
};

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
#define LX_DT_CHR  2
#define LX_DT_DIR  4
#define LX_DT_REG  8

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

/* Terminal ioctls. */
#define LX_TCGETS     0x5401
#define LX_TCSETS     0x5402
#define LX_TCSETSW    0x5403
#define LX_TCSETSF    0x5404
#define LX_TIOCGWINSZ 0x5413
#define LX_TIOCSWINSZ 0x5414
#define LX_TIOCGPGRP  0x540f
#define LX_ICANON     0000002
#define LX_ECHO	      0000010

struct lx_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line, c_cc[19];
};

struct lx_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
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

#define LX_ARCH_SET_FS 0x1002
#define LX_ARCH_GET_FS 0x1003

#define LX_CLOCK_REALTIME  0
#define LX_CLOCK_MONOTONIC 1

#endif
