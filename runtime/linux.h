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
#define LX_RENAME_NOREPLACE    1
#define LX_RENAME_EXCHANGE     2
#define LX_RENAME_WHITEOUT     4
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
/* fadvise64's advice: NORMAL (0) to NOREUSE (5). */
#define LX_POSIX_FADV_MAX      5
#define LX_F_OK		       0
#define LX_X_OK		       1
#define LX_W_OK		       2
#define LX_R_OK		       4

/* File types in st_mode. */
#define LX_S_IFMT   0170000
#define LX_S_IFDIR  0040000
#define LX_S_IFCHR  0020000
#define LX_S_IFREG  0100000
#define LX_S_IFLNK  0120000
#define LX_S_IFIFO  0010000
#define LX_S_IFBLK  0060000
#define LX_S_IFSOCK 0140000
#define LX_DT_FIFO  1
#define LX_DT_CHR   2
#define LX_DT_DIR   4
#define LX_DT_REG   8
#define LX_DT_LNK   10
#define LX_DT_SOCK  12

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

struct lx_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
#define LX_ST_VALID 0x20 /* f_flags: they are given */

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
/* msync's flags. */
#define LX_MSYNC_ASYNC	    1
#define LX_MSYNC_INVALIDATE 2
#define LX_MSYNC_SYNC	    4
#define LX_MAP_SHARED	       0x01
#define LX_MAP_PRIVATE	       0x02
#define LX_MAP_FIXED	       0x10
#define LX_MAP_ANONYMOUS       0x20
#define LX_MAP_FIXED_NOREPLACE 0x100000
#define LX_MREMAP_MAYMOVE      1
#define LX_MREMAP_FIXED	       2

/* madvise advice. */
#define LX_MADV_NORMAL	    0
#define LX_MADV_RANDOM	    1
#define LX_MADV_SEQUENTIAL  2
#define LX_MADV_WILLNEED    3
#define LX_MADV_DONTNEED    4
#define LX_MADV_FREE	    8
#define LX_MADV_DONTFORK    10
#define LX_MADV_DOFORK	    11
#define LX_MADV_MERGEABLE   12
#define LX_MADV_UNMERGEABLE 13
#define LX_MADV_HUGEPAGE    14
#define LX_MADV_NOHUGEPAGE  15
#define LX_MADV_DONTDUMP    16
#define LX_MADV_DODUMP	    17

/* mount flags we understand. */
#define LX_MS_RDONLY  1
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

/* futex's operations and flags (futex.c). */
#define LX_FUTEX_WAIT		0
#define LX_FUTEX_WAKE		1
#define LX_FUTEX_REQUEUE	3
#define LX_FUTEX_CMP_REQUEUE	4
#define LX_FUTEX_WAKE_OP	5
#define LX_FUTEX_WAIT_BITSET	9
#define LX_FUTEX_WAKE_BITSET	10
#define LX_FUTEX_PRIVATE	128
#define LX_FUTEX_CLOCK_REALTIME 256

/* clone's flags (fork.c). */
#define LX_CLONE_VM		0x00000100
#define LX_CLONE_SIGHAND	0x00000800
#define LX_CLONE_VFORK		0x00004000
#define LX_CLONE_THREAD		0x00010000
#define LX_CLONE_SETTLS		0x00080000
#define LX_CLONE_PARENT_SETTID	0x00100000
#define LX_CLONE_CHILD_CLEARTID 0x00200000
#define LX_CLONE_CHILD_SETTID	0x01000000

/* wait4 and waitid (fork.c): options beyond NESTER_W* (metta/proto.h),
 * and waitid's id types. */
#define LX_WNOTHREAD 0x20000000
#define LX_WALL	     0x40000000
#define LX_WCLONE    0x80000000
#define LX_P_ALL     0
#define LX_P_PID     1
#define LX_P_PGID    2

/* reboot's magic words and commands (proc.c). */
#define LX_REBOOT_MAGIC1   0xfee1deadu
#define LX_REBOOT_MAGIC2   672274793u
#define LX_REBOOT_MAGIC2A  85072278u
#define LX_REBOOT_MAGIC2B  369367448u
#define LX_REBOOT_MAGIC2C  537993216u
#define LX_REBOOT_POWEROFF 0x4321fedcu
#define LX_REBOOT_HALT	   0xcdef0123u
#define LX_REBOOT_RESTART  0x01234567u
#define LX_REBOOT_CAD_ON   0x89abcdefu
#define LX_REBOOT_CAD_OFF  0u

/* Signals (numbers: metta/signals.h). sigaction's flags. */
#define LX_SA_NOCLDSTOP 0x00000001u
#define LX_SA_SIGINFO	0x00000004u
#define LX_SA_RESTORER	0x04000000u
#define LX_SA_ONSTACK	0x08000000u
#define LX_SA_RESTART	0x10000000u
#define LX_SA_NODEFER	0x40000000u
#define LX_SA_RESETHAND 0x80000000u
#define LX_SIG_DFL	0
#define LX_SIG_IGN	1

/* sigaltstack */
#define LX_SS_ONSTACK	 1
#define LX_SS_DISABLE	 2
#define LX_SS_AUTODISARM (1u << 31)
#define LX_MINSIGSTKSZ	 2048
struct lx_stack {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

/* The kernel's internal "restart" answers (never seen by a program). */
#define LX_ERESTARTSYS		 512
#define LX_ERESTARTNOINTR	 513
#define LX_ERESTARTNOHAND	 514
#define LX_ERESTART_RESTARTBLOCK 516

struct lx_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	int32_t si_pid, si_uid; /* kill, and SIGCHLD's child */
	int32_t si_status, pad2;
	uint8_t rest[128 - 32];
};

/* x86-64's struct sigcontext (uc_mcontext), in the kernel's order. */
struct lx_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* the FXSAVE area, 0: none */
	uint64_t reserved1[8];
};

struct lx_ucontext {
	uint64_t uc_flags, uc_link;
	struct lx_stack uc_stack;
	struct lx_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

/* What a handler finds at its stack pointer: the return address (the
 * restorer, which calls rt_sigreturn), then the context and the info. */
struct lx_rt_sigframe {
	uint64_t pretcode;
	struct lx_ucontext uc;
	struct lx_siginfo info;
};
#define LX_FXSAVE_SIZE 512

struct lx_itimerval {
	struct lx_timeval interval, value;
};

/* Sockets (socket.c; Unix-domain: unix.c; Internet: inet.c). */
#define LX_AF_UNSPEC	   0
#define LX_AF_UNIX	   1
#define LX_AF_INET	   2
#define LX_SOCK_STREAM	   1
#define LX_SOCK_DGRAM	   2
#define LX_SOCK_RAW	   3
#define LX_SOCK_TYPE_MASK  0xf
#define LX_SOCK_NONBLOCK   LX_O_NONBLOCK
#define LX_SOCK_CLOEXEC	   LX_O_CLOEXEC
#define LX_SOCK_MAX	   11
#define LX_MSG_OOB	   0x1
#define LX_MSG_PEEK	   0x2
#define LX_MSG_CTRUNC	   0x8
#define LX_MSG_TRUNC	   0x20
#define LX_MSG_DONTWAIT	   0x40
#define LX_MSG_WAITALL	   0x100
#define LX_MSG_NOSIGNAL	   0x4000
#define LX_MSG_CMSG_CLOEXEC 0x40000000
#define LX_SOL_SOCKET	   1
#define LX_SO_REUSEADDR	   2
#define LX_SO_TYPE	   3
#define LX_SO_ERROR	   4
#define LX_SO_BROADCAST	   6
#define LX_SO_SNDBUF	   7
#define LX_SO_RCVBUF	   8
#define LX_SO_KEEPALIVE	   9
#define LX_SO_LINGER	   13
#define LX_SO_PASSCRED	   16
#define LX_SO_PEERCRED	   17
#define LX_SO_RCVTIMEO	   20
#define LX_SO_SNDTIMEO	   21
#define LX_SO_ACCEPTCONN   30
#define LX_SO_PROTOCOL	   38
#define LX_SO_DOMAIN	   39
#define LX_IPPROTO_IP	   0 /* also SOL_IP */
#define LX_IPPROTO_ICMP	   1
#define LX_IPPROTO_TCP	   6 /* also SOL_TCP */
#define LX_IPPROTO_UDP	   17
#define LX_IP_TTL	   2
#define LX_TCP_NODELAY	   1
#define LX_TCP_MAXSEG	   2
#define LX_SCM_RIGHTS	   1
#define LX_SCM_CREDENTIALS 2
#define LX_SHUT_RDWR	   2
#define LX_SUN_PATH	   108
#define LX_SCM_MAX_FD	   SOCK_CTL_FILES /* in one message (Linux: 253) */

struct lx_sockaddr_un {
	uint16_t sun_family;
	char sun_path[LX_SUN_PATH];
};

struct lx_sockaddr_in {
	uint16_t sin_family;
	uint16_t sin_port;     /* network order */
	uint32_t sin_addr;     /* network order */
	uint8_t sin_zero[8];
};

struct lx_linger {
	int32_t onoff, linger;
};

struct lx_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};

struct lx_cmsghdr {
	uint64_t len;
	int32_t level, type;
};
#define LX_CMSG_ALIGN(n) (((n) + 7) & ~(uint64_t)7)

struct lx_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

#endif
