/* Byte streams for export and import: see netio.h. */
#include "netio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "9p/9p.h"

int net_read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = 0;
			return -1;
		}
		got += (size_t)k;
	}
	return 0;
}

int net_write_full(int fd, const void *buf, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t k = write(fd, (const char *)buf + put, n - put);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		put += (size_t)k;
	}
	return 0;
}

long net_read_msg(int fd, uint8_t *buf, size_t cap, size_t have)
{
	if (have < 4) {
		ssize_t k;
		do
			k = read(fd, buf + have, 4 - have);
		while (k < 0 && errno == EINTR);
		if (k == 0 && have == 0)
			return 0;
		if (k <= 0 || net_read_full(fd, buf + have + k, 4 - have - (size_t)k))
			return -1;
		have = 4;
	}
	uint32_t size = p9_peek_size(buf, have);
	if (size < P9_HEADER || size > cap || size < have)
		return -1;
	if (have < size && net_read_full(fd, buf + have, size - have))
		return -1;
	return (long)size;
}

int net_load_key(const char *path, uint8_t key[AUTH_KEY_MAX])
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "key %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t buf[AUTH_KEY_MAX + 2];
	ssize_t n = 0, k;
	while (n < (ssize_t)sizeof(buf) &&
	       (k = read(fd, buf + n, sizeof(buf) - (size_t)n)) > 0)
		n += k;
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < AUTH_KEY_MIN || n > AUTH_KEY_MAX) {
		fprintf(stderr, "key %s: %zd bytes; a key is %d to %d bytes\n",
			path, n, AUTH_KEY_MIN, AUTH_KEY_MAX);
		return -1;
	}
	memcpy(key, buf, (size_t)n);
	memset(buf, 0, sizeof(buf));
	return (int)n;
}

int net_nonce(uint8_t nonce[AUTH_NONCE])
{
	int fd = open("/dev/random", O_RDONLY);
	if (fd < 0)
		return -1;
	int rc = net_read_full(fd, nonce, AUTH_NONCE);
	close(fd);
	return rc;
}

static int io_read(void *ctx, void *buf, size_t n)
{
	return net_read_full(*(int *)ctx, buf, n);
}

static int io_write(void *ctx, const void *buf, size_t n)
{
	return net_write_full(*(int *)ctx, buf, n);
}

struct auth_io net_auth_io(int *fd)
{
	return (struct auth_io){ io_read, io_write, fd };
}

void net_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Metta's log server makes each write a line of the system log;
	 * a host without it has stderr alone. */
	int fd = open("/dev/log", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0) {
		}
		close(fd);
	}
	if (write(2, line, (size_t)n) < 0) {
	}
}
