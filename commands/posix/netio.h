/*
 * What export and import share on a byte stream (a TCP connection, or a
 * Unix-domain socket in tests): whole reads and writes, 9P messages read
 * by their size field, the key file, fresh nonces and the authentication
 * of lib/auth over a descriptor. POSIX only, so the same code runs on
 * Metta and in the host tests.
 */
#ifndef COMMANDS_POSIX_NETIO_H
#define COMMANDS_POSIX_NETIO_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* Exactly n bytes: 0, or -1 (the stream failed or ended; errno set, 0
 * at the end). */
int net_read_full(int fd, void *buf, size_t n);
int net_write_full(int fd, const void *buf, size_t n);

/*
 * One 9P message into buf (cap bytes), of which the first have bytes
 * were already read. Returns its length, 0 when the stream ended cleanly
 * before a message began, -1 on a failure or a size outside
 * [P9_HEADER, cap].
 */
long net_read_msg(int fd, uint8_t *buf, size_t cap, size_t have);

/* The key file's secret (a trailing newline dropped): its length, or -1
 * with a reason on stderr (missing, shorter than AUTH_KEY_MIN, longer
 * than AUTH_KEY_MAX). */
int net_load_key(const char *path, uint8_t key[AUTH_KEY_MAX]);

/* AUTH_NONCE fresh bytes from /dev/random: 0 or -1. */
int net_nonce(uint8_t nonce[AUTH_NONCE]);

/* lib/auth's stream over a descriptor. */
struct auth_io net_auth_io(int *fd);

/* A line for the system log (/dev/log on Metta) and stderr. */
void net_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
