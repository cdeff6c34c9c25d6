/*
 * exportfs [-r] [-k keyfile] [-a addr:ro|addr:rw] [-s statsfile]
 *        [-p port | -u socketpath] dir
 * serves dir of this process's namespace over 9P2000 on a TCP port (564,
 * 9P's, by default), as Plan 9's exportfs (docs/servers.md, "export").
 * Each client is a process of its own, so what it holds (fids, open
 * files) goes when its connection ends. A client first authenticates
 * with the key file's secret (lib/auth: both sides prove they know it);
 * one address given with -a may instead speak plain 9P (Linux's v9fs),
 * read-only or read-write. -r exports read-only to everyone. A refused
 * client is logged. -s names a file that always holds the live
 * connections and the counts of accepted and refused clients.
 * -u listens on a Unix-domain socket instead (tests).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exportsrv.h"
#include "netio.h"

#define EXPORT_PORT	   564 /* 9pfs */
#define EXIT_REFUSED	   3   /* a child's status: the client was refused */
#define EXPORT_AUTH_SECS   30  /* to authenticate, or be dropped */
#define DEFAULT_KEY	   "/etc/metta/key"

static struct {
	struct export_opts fs;
	uint8_t key[AUTH_KEY_MAX];
	int keylen; /* 0: no key, only the listed address is served */
	char open_addr[64]; /* served without authentication */
	int open_ro;
	const char *stats;
} cfg;

static volatile sig_atomic_t live, accepted, refused;

/* Rewrites the stats file (from the loop and from SIGCHLD's handler:
 * async-signal-safe calls only). */
static void write_stats(void)
{
	if (!cfg.stats)
		return;
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "connections %d\naccepted %d\nrefused %d\n",
			 (int)live, (int)accepted, (int)refused);
	int fd = open(cfg.stats, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)n) < 0) {
		}
		close(fd);
	}
}

static void on_child(int sig)
{
	(void)sig;
	int st, saved = errno;
	while (waitpid(-1, &st, WNOHANG) > 0) {
		live--;
		if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_REFUSED)
			refused++;
	}
	write_stats();
	errno = saved;
}

/*
 * A client's first bytes decide: the authentication magic, or (from the
 * listed address only) a Tversion. Returns 0 to serve (with *ro and the
 * bytes already read in first, *have), or EXIT_REFUSED having logged why.
 */
static int admit(int fd, const char *peer, uint8_t *first, size_t *have,
		 int *ro)
{
	*have = 0;
	*ro = cfg.fs.readonly;
	if (net_read_full(fd, first, AUTH_MAGIC_LEN)) {
		net_log("exportfs: %s: gone before authenticating (%s)", peer,
			errno ? strerror(errno) : "end of stream");
		return EXIT_REFUSED;
	}
	if (auth_is_magic(first)) {
		uint8_t nonce[AUTH_NONCE];
		struct auth_io io = net_auth_io(&fd);
		if (!cfg.keylen || net_nonce(nonce)) {
			net_log("exportfs: refused %s: no key or no random", peer);
			return EXIT_REFUSED;
		}
		int rc = auth_server(&io, cfg.key, (size_t)cfg.keylen, nonce);
		if (rc) {
			net_log("exportfs: refused %s: %s", peer,
				rc == AUTH_EPROOF ? "wrong key" : "authentication cut short");
			return EXIT_REFUSED;
		}
		net_log("exportfs: %s authenticated", peer);
		return 0;
	}
	if (cfg.open_addr[0] && !strcmp(peer, cfg.open_addr)) {
		*ro |= cfg.open_ro;
		*have = AUTH_MAGIC_LEN;
		net_log("exportfs: %s unauthenticated, %s", peer,
			*ro ? "read-only" : "read-write");
		return 0;
	}
	net_log("exportfs: refused %s: not authenticated", peer);
	return EXIT_REFUSED;
}

/* A limit on each read of the client (0: none), so that one that never
 * authenticates goes. A socket option, not alarm(2): the client may be
 * the import server, which the process server waits for while it
 * mounts, so nothing here may ask the process server anything. */
static void read_limit(int fd, int secs)
{
	struct timeval tv = { secs, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void serve_client(int fd, const char *peer)
{
	uint8_t first[AUTH_MAGIC_LEN];
	size_t have;
	int ro;
	read_limit(fd, EXPORT_AUTH_SECS);
	int rc = admit(fd, peer, first, &have, &ro);
	read_limit(fd, 0);
	if (rc)
		_exit(rc);
	struct export_opts o = cfg.fs;
	o.readonly = ro;
	rc = export_serve(fd, &o, have ? first : 0, have);
	net_log("exportfs: %s %s", peer, rc ? "broke off" : "done");
	_exit(0);
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)cap);
	} else {
		snprintf(out, cap, "unix");
	}
}

static int listen_on(const char *unix_path, int port)
{
	int fd = socket(unix_path ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int rc;
	if (unix_path) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", unix_path);
		unlink(unix_path);
		rc = bind(fd, (struct sockaddr *)&un, sizeof(un));
	} else {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in in = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port) };
		rc = bind(fd, (struct sockaddr *)&in, sizeof(in));
	}
	if (rc || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The port we listen on (asked for 0: the one the system chose). */
static int bound_port(int fd)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	if (getsockname(fd, (struct sockaddr *)&in, &len) || in.sin_family != AF_INET)
		return -1;
	return ntohs(in.sin_port);
}

static int usage(void)
{
	fprintf(stderr, "usage: exportfs [-r] [-k keyfile] [-a addr:ro|addr:rw] "
			"[-s statsfile] [-p port | -u socketpath] dir\n");
	return 2;
}

/* -a addr:ro or addr:rw. */
static int parse_open(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || (strcmp(colon, ":ro") && strcmp(colon, ":rw")) ||
	    colon - arg >= (long)sizeof(cfg.open_addr) || colon == arg)
		return -1;
	memcpy(cfg.open_addr, arg, (size_t)(colon - arg));
	cfg.open_ro = !strcmp(colon, ":ro");
	return 0;
}

int main(int argc, char **argv)
{
	const char *keyfile = 0, *unix_path = 0;
	int port = EXPORT_PORT, c;
	while ((c = getopt(argc, argv, "rk:a:s:p:u:")) != -1) {
		switch (c) {
		case 'r': cfg.fs.readonly = 1; break;
		case 'k': keyfile = optarg; break;
		case 'a':
			if (parse_open(optarg))
				return usage();
			break;
		case 's': cfg.stats = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': unix_path = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || port < 0 || port > 65535)
		return usage();
	cfg.fs.root = argv[optind];
	/* Without a key only the listed address can come in; a key named
	 * but unreadable is an error. */
	if (keyfile || !cfg.open_addr[0]) {
		cfg.keylen = net_load_key(keyfile ? keyfile : DEFAULT_KEY, cfg.key);
		if (cfg.keylen < 0)
			return 1;
	}
	if (access(cfg.fs.root, R_OK | X_OK)) {
		perror(cfg.fs.root);
		return 1;
	}
	int lfd = listen_on(unix_path, port);
	if (lfd < 0) {
		perror("exportfs: listen");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_child, .sa_flags = SA_RESTART };
	sigaction(SIGCHLD, &sa, 0);
	signal(SIGPIPE, SIG_IGN);
	write_stats();
	if (unix_path)
		printf("exportfs: %s on %s\n", cfg.fs.root, unix_path);
	else
		printf("exportfs: %s on port %d\n", cfg.fs.root, bound_port(lfd));
	fflush(stdout);
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept(lfd, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("exportfs: accept");
			return 1;
		}
		char peer[64];
		peer_name(&ss, peer, sizeof(peer));
		sigprocmask(SIG_BLOCK, &chld, &old);
		pid_t pid = fork();
		if (pid == 0) {
			sigprocmask(SIG_SETMASK, &old, 0);
			signal(SIGCHLD, SIG_DFL);
			close(lfd);
			serve_client(fd, peer);
		}
		if (pid > 0)
			live++, accepted++;
		else
			perror("exportfs: fork");
		write_stats();
		sigprocmask(SIG_SETMASK, &old, 0);
		close(fd);
	}
}
