/*
 * exptest: a 9P client of exportfs for the system tests (tests/system/
 * boots.py), speaking to it over a Unix-domain socket or TCP:
 *   exptest [-k keyfile] [-n] ADDR CMD [ARG...]
 * ADDR is unix:PATH or HOST:PORT; -n skips authentication. CMD:
 *   ls PATH        the names in a directory, one a line
 *   cat PATH       a file's contents
 *   put PATH TEXT  creates (or truncates) a file holding TEXT
 *   drop PATH      opens PATH through several fids and exits without
 *                  clunking them or ending the 9P conversation
 * Prints "exptest: ERROR" and exits 1 when something fails (a refused
 * authentication says so).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "9p/client.h"
#include "9p/errstr.h"
#include "netio.h"

#define BUFSZ (8192 + 24)
static uint8_t tbuf[BUFSZ], rbuf[BUFSZ];
static struct p9c cl;
static int fd;

static int dial(const char *addr)
{
	int s;
	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", addr + 5);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		return s >= 0 && !connect(s, (struct sockaddr *)&un, sizeof(un)) ? s : -1;
	}
	char host[64];
	const char *colon = strrchr(addr, ':');
	if (!colon || colon - addr >= (long)sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)atoi(colon + 1)) };
	if (inet_pton(AF_INET, host, &in.sin_addr) != 1)
		return -1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	return s >= 0 && !connect(s, (struct sockaddr *)&in, sizeof(in)) ? s : -1;
}

static long sock_rpc(void *ctx, const uint8_t *t, uint32_t tlen, uint8_t *r,
		     uint32_t rcap)
{
	int s = *(int *)ctx;
	if (net_write_full(s, t, tlen))
		return -P9_EIO;
	long n = net_read_msg(s, r, rcap, 0);
	return n > 0 ? n : -P9_EIO;
}

static int fail(const char *what, int e)
{
	printf("exptest: %s: %s\n", what, e ? p9_errstr(e < 0 ? -e : e) : "failed");
	return 1;
}

/* fid 0 is the root; walks path's names to newfid: 0 or an errno. */
static int walk(const char *path, uint32_t newfid)
{
	char buf[256];
	const char *names[P9_MAXWELEM];
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strtok(buf, "/"); s && n < P9_MAXWELEM; s = strtok(0, "/"))
		names[n++] = s;
	struct p9_qid q;
	int rc = p9c_walk(&cl, 0, newfid, n, names, &q);
	return rc == n ? 0 : rc < 0 ? rc : -P9_ENOENT;
}

static int cmd_ls(const char *path)
{
	struct p9_qid q;
	int rc = walk(path, 1);
	if (rc || (rc = p9c_open(&cl, 1, P9_OREAD, &q)))
		return fail(path, rc);
	static uint8_t buf[8192];
	uint64_t off = 0;
	long n;
	while ((n = p9c_read(&cl, 1, off, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < n;) {
			struct p9_stat st;
			long k = p9_stat_decode(buf + at, (size_t)(n - at), &st);
			if (k < 0)
				return fail("directory entry", P9_EIO);
			printf("%.*s\n", st.name.len, st.name.s);
			at += k;
		}
		off += (uint64_t)n;
	}
	return n < 0 ? fail(path, (int)n) : 0;
}

static int cmd_cat(const char *path)
{
	struct p9_qid q;
	int rc = walk(path, 1);
	if (rc || (rc = p9c_open(&cl, 1, P9_OREAD, &q)))
		return fail(path, rc);
	static char buf[8192];
	uint64_t off = 0;
	long n;
	while ((n = p9c_read(&cl, 1, off, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
	}
	return n < 0 ? fail(path, (int)n) : 0;
}

static int cmd_put(const char *path, const char *text)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	if (slash)
		*slash = 0;
	struct p9_qid q;
	int rc = walk(path, 1); /* there already: truncated */
	if (rc == 0)
		rc = p9c_open(&cl, 1, P9_OWRITE | P9_OTRUNC, &q);
	else if ((rc = walk(slash ? dir : "", 1)) == 0)
		rc = p9c_create(&cl, 1, name, 0644, P9_OWRITE, &q);
	if (rc)
		return fail(path, rc);
	long w = p9c_write(&cl, 1, 0, text, (uint32_t)strlen(text));
	return w == (long)strlen(text) ? 0 : fail(path, (int)w);
}

/* Fids left open on purpose, then gone without a word. */
static int cmd_drop(const char *path)
{
	struct p9_qid q;
	for (uint32_t f = 1; f <= 4; f++) {
		int rc = walk(path, f);
		if (rc || (rc = p9c_open(&cl, f, P9_OREAD, &q)))
			return fail(path, rc);
	}
	printf("exptest: dropping with 5 fids\n");
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *keyfile = "/etc/metta/key";
	int c, noauth = 0;
	while ((c = getopt(argc, argv, "k:n")) != -1) {
		if (c == 'k')
			keyfile = optarg;
		else if (c == 'n')
			noauth = 1;
		else
			return 2;
	}
	if (argc - optind < 2)
		return 2;
	fd = dial(argv[optind]);
	if (fd < 0)
		return fail(argv[optind], 0);
	if (!noauth) {
		uint8_t key[AUTH_KEY_MAX], nonce[AUTH_NONCE];
		int kn = net_load_key(keyfile, key);
		struct auth_io io = net_auth_io(&fd);
		if (kn < 0 || net_nonce(nonce))
			return fail("key", 0);
		int rc = auth_client(&io, key, (size_t)kn, nonce);
		if (rc) {
			printf("exptest: authentication failed (%s)\n",
			       rc == AUTH_EPROOF ? "wrong proof" : "refused or cut");
			return 1;
		}
	}
	struct p9_qid q;
	int rc = p9c_init(&cl, sock_rpc, &fd, tbuf, rbuf, BUFSZ);
	if (rc || (rc = p9c_attach(&cl, 0, "test", "", &q)))
		return fail("attach", rc);
	const char *cmd = argv[optind + 1];
	const char *a1 = argc - optind > 2 ? argv[optind + 2] : "";
	if (!strcmp(cmd, "ls"))
		return cmd_ls(a1);
	if (!strcmp(cmd, "cat"))
		return cmd_cat(a1);
	if (!strcmp(cmd, "put") && argc - optind > 3)
		return cmd_put(a1, argv[optind + 3]);
	if (!strcmp(cmd, "drop"))
		return cmd_drop(a1);
	return 2;
}
