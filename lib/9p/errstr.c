/*
 * The error table. The first string listed for an errno is the one
 * p9_errstr() gives; the others are accepted by p9_errno() because the
 * server library or other Plan 9 servers use them for more precise
 * reasons. Choices worth knowing:
 *   - fid errors ("unknown fid", "fid in use", "file not open for ...")
 *     are EBADF: the client named a handle that cannot do this;
 *   - "malformed message" and the other protocol errors are EIO: no
 *     argument of the system call was wrong, the conversation broke;
 *   - "authentication not required" is ENOTSUP: Tauth is not offered.
 */
#include "9p/errstr.h"

struct p9_err {
	const char *s;
	int e;
};

static const struct p9_err table[] = {
	{ "operation not permitted", P9_EPERM },
	{ "file does not exist", P9_ENOENT },
	{ "no such file or directory", P9_ENOENT },
	{ "interrupted", P9_EINTR },
	{ "i/o error", P9_EIO },
	{ "no such device or address", P9_ENXIO },
	{ "argument list too long", P9_E2BIG },
	{ "exec format error", P9_ENOEXEC },
	{ "malformed message", P9_EIO },
	{ "message too large", P9_EIO },
	{ "version not negotiated", P9_EIO },
	{ "unknown connection", P9_EIO },
	{ "reply too large", P9_EIO },
	{ "unknown fid", P9_EBADF },
	{ "bad fid", P9_EBADF },
	{ "fid in use", P9_EBADF },
	{ "file not open for reading", P9_EBADF },
	{ "file not open for writing", P9_EBADF },
	{ "file already open", P9_EBADF },
	{ "walk of open fid", P9_EBADF },
	{ "resource temporarily unavailable", P9_EAGAIN },
	{ "out of memory", P9_ENOMEM },
	{ "permission denied", P9_EACCES },
	{ "block device required", P9_ENOTBLK },
	{ "busy", P9_EBUSY },
	{ "file exists", P9_EEXIST },
	{ "cross-device rename", P9_EXDEV },
	{ "no such device", P9_ENODEV },
	{ "not a directory", P9_ENOTDIR },
	{ "is a directory", P9_EISDIR },
	{ "invalid argument", P9_EINVAL },
	{ "bad offset in directory read", P9_EINVAL },
	{ "count too small for a directory entry", P9_EINVAL },
	{ "illegal file name", P9_EINVAL },
	{ "msize too small", P9_EINVAL },
	{ "too many fids", P9_EMFILE },
	{ "too many open files in system", P9_ENFILE },
	{ "inappropriate ioctl for device", P9_ENOTTY },
	{ "file too large", P9_EFBIG },
	{ "no space left on device", P9_ENOSPC },
	{ "read-only file system", P9_EROFS },
	{ "too many links", P9_EMLINK },
	{ "broken pipe", P9_EPIPE },
	{ "file name too long", P9_ENAMETOOLONG },
	{ "directory not empty", P9_ENOTEMPTY },
	{ "operation not supported", P9_ENOTSUP },
	{ "not supported", P9_ENOTSUP },
	{ "authentication not required", P9_ENOTSUP },
	{ "timed out", P9_ETIMEDOUT },
	{ "socket operation on non-socket", P9_ENOTSOCK },
	{ "message too long", P9_EMSGSIZE },
	{ "protocol wrong type for socket", P9_EPROTOTYPE },
	{ "address already in use", P9_EADDRINUSE },
	{ "connection reset by peer", P9_ECONNRESET },
	{ "no buffer space available", P9_ENOBUFS },
	{ "transport endpoint is not connected", P9_ENOTCONN },
	{ "connection refused", P9_ECONNREFUSED },
	{ "too many references", P9_ETOOMANYREFS },
	{ "numerical argument out of domain", P9_EDOM },
	{ "destination address required", P9_EDESTADDRREQ },
	{ "protocol not available", P9_ENOPROTOOPT },
	{ "address family not supported by protocol", P9_EAFNOSUPPORT },
	{ "cannot assign requested address", P9_EADDRNOTAVAIL },
	{ "network is down", P9_ENETDOWN },
	{ "network is unreachable", P9_ENETUNREACH },
	{ "software caused connection abort", P9_ECONNABORTED },
	{ "connection aborted", P9_ECONNABORTED },
	{ "transport endpoint is already connected", P9_EISCONN },
	{ "no route to host", P9_EHOSTUNREACH },
	{ "operation already in progress", P9_EALREADY },
	{ "operation now in progress", P9_EINPROGRESS },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const char *p9_errstr(int linux_errno)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].e == linux_errno)
			return table[i].s;
	return "i/o error";
}

/* 1 when the C string c is exactly the len bytes at s. */
static int same(const char *c, const char *s, size_t len)
{
	size_t i = 0;
	for (; i < len; i++)
		if (c[i] != s[i] || !c[i])
			return 0;
	return c[i] == 0;
}

int p9_errno(const char *s, size_t len)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (same(table[i].s, s, len))
			return table[i].e;
	return P9_EIO;
}

/* The errors a connection's status may name. */
static const struct p9_err names[] = {
	{ "ECONNREFUSED", P9_ECONNREFUSED }, { "ECONNRESET", P9_ECONNRESET },
	{ "ETIMEDOUT", P9_ETIMEDOUT },	     { "EHOSTUNREACH", P9_EHOSTUNREACH },
	{ "ENETUNREACH", P9_ENETUNREACH },   { "ECONNABORTED", P9_ECONNABORTED },
	{ "EPIPE", P9_EPIPE },		     { "EADDRINUSE", P9_EADDRINUSE },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *p9_errname(int linux_errno)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].e == linux_errno)
			return names[i].s;
	return "EIO";
}

int p9_errno_named(const char *name, size_t len)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (same(names[i].s, name, len))
			return names[i].e;
	return P9_EIO;
}
