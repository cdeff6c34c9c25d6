/*
 * import [-k keyfile] host[:port] remote-path mountpoint: another
 * machine's export (commands/posix/export.c) mounted at mountpoint, as
 * Plan 9's import (docs/servers.md, "import"). We dial host through /net
 * (a TCP conversation, the Plan 9 way), prove we know the key file's
 * secret and check that the exporter does (lib/auth), then mount(2) the
 * conversation's data file with type "import": the root nester starts an
 * import server on it, named like any service, and the shell that ran us
 * gets the mount. remote-path /srv/NAME imports the remote's service NAME
 * itself, used as a local one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netio.h"
#include "nsflags.h"

#define IMPORT_PORT "564"
#define DEFAULT_KEY "/etc/metta/key"

/* Dials host!port through /net/tcp: the data file's descriptor, its path
 * in data (64 bytes), or -1 with a reason. */
static int dial(const char *host, const char *port, char *data)
{
	char buf[96];
	int ctl = open("/net/tcp/clone", O_RDWR);
	if (ctl < 0) {
		perror("import: /net/tcp/clone");
		return -1;
	}
	ssize_t n = read(ctl, buf, sizeof(buf) - 1);
	if (n <= 0) {
		perror("import: /net/tcp/clone");
		close(ctl);
		return -1;
	}
	buf[n] = 0;
	snprintf(data, 64, "/net/tcp/%d/data", atoi(buf));
	int len = snprintf(buf, sizeof(buf), "connect %s!%s", host, port);
	if (write(ctl, buf, (size_t)len) != len) {
		fprintf(stderr, "import: %s!%s: %s\n", host, port, strerror(errno));
		close(ctl);
		return -1;
	}
	int fd = open(data, O_RDWR);
	if (fd < 0)
		perror(data);
	/* The data file keeps the conversation. */
	close(ctl);
	return fd;
}

static int authenticate(int fd, const char *keyfile, const char *host)
{
	uint8_t key[AUTH_KEY_MAX], nonce[AUTH_NONCE];
	int kn = net_load_key(keyfile, key);
	if (kn < 0)
		return -1;
	if (net_nonce(nonce)) {
		perror("import: /dev/random");
		return -1;
	}
	struct auth_io io = net_auth_io(&fd);
	int rc = auth_client(&io, key, (size_t)kn, nonce);
	memset(key, 0, sizeof(key));
	if (rc == 0)
		return 0;
	fprintf(stderr, "import: %s: %s\n", host,
		rc == AUTH_EPROOF    ? "the exporter does not know our key"
		: rc == AUTH_EREFUSE ? "refused: the exporter has another key"
				     : "the connection ended while authenticating");
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: import [-k keyfile] host[:port] remote-path "
			"mountpoint\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *keyfile = DEFAULT_KEY;
	int c;
	while ((c = getopt(argc, argv, "k:")) != -1) {
		if (c != 'k')
			return usage();
		keyfile = optarg;
	}
	if (argc - optind != 3)
		return usage();
	char host[64], data[64];
	const char *port = IMPORT_PORT, *colon = strchr(argv[optind], ':');
	size_t hl = colon ? (size_t)(colon - argv[optind]) : strlen(argv[optind]);
	if (hl == 0 || hl >= sizeof(host) || (colon && !colon[1]))
		return usage();
	memcpy(host, argv[optind], hl);
	host[hl] = 0;
	if (colon)
		port = colon + 1;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	int fd = dial(host, port, data);
	if (fd < 0)
		return 1;
	if (authenticate(fd, keyfile, host)) {
		close(fd);
		return 1;
	}
	if (mount(data, argv[optind + 2], "import", 0, argv[optind + 1]) ||
	    ns_to_parent()) {
		fprintf(stderr, "import: mount %s: %s\n", argv[optind + 2],
			strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
