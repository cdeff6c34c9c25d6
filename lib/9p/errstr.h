/*
 * 9P error strings. A 9P2000 server answers a failed request with Rerror
 * and a string (Plan 9 has no error numbers); clients that must hand an
 * errno to a POSIX program map the string back. One table serves both
 * directions so a server's string and a client's errno cannot drift apart.
 *
 * The numbers are x86-64 Linux errno values (what the POSIX personality
 * returns); they are defined here because freestanding code has no
 * <errno.h>, and only here: the runtime returns these too. File system
 * operations return 0 or one of them negated.
 */
#ifndef LIB_9P_ERRSTR_H
#define LIB_9P_ERRSTR_H

#include <stddef.h>

#define P9_EPERM	1
#define P9_ENOENT	2
#define P9_ESRCH	3
#define P9_EINTR	4
#define P9_EIO		5
#define P9_ENXIO	6
#define P9_E2BIG	7
#define P9_ENOEXEC	8
#define P9_EBADF	9
#define P9_ECHILD	10
#define P9_EAGAIN	11
#define P9_ENOMEM	12
#define P9_EACCES	13
#define P9_EFAULT	14
#define P9_ENOTBLK	15
#define P9_EBUSY	16
#define P9_EEXIST	17
#define P9_EXDEV	18
#define P9_ENODEV	19
#define P9_ENOTDIR	20
#define P9_EISDIR	21
#define P9_EINVAL	22
#define P9_ENFILE	23
#define P9_EMFILE	24
#define P9_ENOTTY	25
#define P9_EFBIG	27
#define P9_ENOSPC	28
#define P9_ESPIPE	29
#define P9_EROFS	30
#define P9_EMLINK	31
#define P9_EPIPE	32
#define P9_EDOM	33
#define P9_ERANGE	34
#define P9_ENAMETOOLONG 36
#define P9_ENOSYS	38
#define P9_ENOTEMPTY	39
#define P9_ELOOP	40
#define P9_ENOTSOCK	88
#define P9_EDESTADDRREQ 89
#define P9_EMSGSIZE	90
#define P9_EPROTOTYPE	91
#define P9_ENOPROTOOPT	92
#define P9_EPROTONOSUPPORT 93
#define P9_ESOCKTNOSUPPORT 94
#define P9_ENOTSUP	95 /* Linux's EOPNOTSUPP too */
#define P9_EAFNOSUPPORT 97
#define P9_EADDRINUSE	98
#define P9_EADDRNOTAVAIL 99
#define P9_ENETDOWN	100
#define P9_ENETUNREACH	101
#define P9_ECONNABORTED 103
#define P9_ECONNRESET	104
#define P9_ENOBUFS	105
#define P9_EISCONN	106
#define P9_ENOTCONN	107
#define P9_ETOOMANYREFS 109
#define P9_ETIMEDOUT	110
#define P9_ECONNREFUSED 111
#define P9_EHOSTUNREACH 113
#define P9_EALREADY	114
#define P9_EINPROGRESS	115

/*
 * The string a server sends for errno e (positive). Each errno has one
 * canonical string; an unknown errno gives "i/o error".
 */
const char *p9_errstr(int linux_errno);

/*
 * The errno (positive) for an Rerror string of len bytes (not necessarily
 * NUL-terminated). Every string of the table is known, including the
 * protocol errors the server library sends ("unknown fid", "fid in use",
 * "malformed message"...); anything else gives P9_EIO.
 */
int p9_errno(const char *s, size_t len);

/*
 * The network errors by their Linux names ("ECONNREFUSED"), as /net's
 * status gives a pending one (docs/servers.md): the name of errno e
 * ("EIO" for one not listed), and the errno (positive) of a name of len
 * bytes (P9_EIO for one not listed).
 */
const char *p9_errname(int linux_errno);
int p9_errno_named(const char *name, size_t len);

#endif
