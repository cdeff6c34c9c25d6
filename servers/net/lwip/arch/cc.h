/*
 * lwIP's port to Metta's native programs (servers/net): types from the
 * compiler's own headers, the C library functions from lib/string (the
 * shim string.h beside this directory), assertions to the log, and a
 * random number source (sys.c).
 */
#ifndef NET_ARCH_CC_H
#define NET_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_LIMITS_H   1
#define LWIP_NO_CTYPE_H	   1
#define LWIP_NO_UNISTD_H   1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"
#define INT_MAX 0x7fffffff
#define SSIZE_MAX INT_MAX
typedef long ssize_t;

#define BYTE_ORDER LITTLE_ENDIAN

/* Both go to the nucleus log; a failed assertion ends the server (root
 * restarts it), as an assertion of ours would. */
void net_lwip_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void net_lwip_assert(const char *what, const char *file, int line)
    __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) net_lwip_diag x
#define LWIP_PLATFORM_ASSERT(x) net_lwip_assert(x, __FILE__, __LINE__)

uint32_t net_lwip_rand(void);
#define LWIP_RAND() net_lwip_rand()

#endif
