/*
 * 9P edge cases, on Metta only: /srv/NAME opened for reading and writing
 * is a raw 9P channel to the service (as in Plan 9), so the test speaks
 * 9P2000 to ramfs itself, byte by byte: walking ".." at the root stays
 * there, a clunked fid is dead, and malformed messages get Rerror while
 * the server keeps serving this connection and everyone else.
 */
#include "posixtest.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TVERSION = 100, RVERSION, TATTACH = 104, RATTACH, RERROR = 107,
       TWALK = 110, RWALK, TCLUNK = 120, RCLUNK, TSTAT = 124, RSTAT };

struct msg {
	uint8_t b[512];
	size_t n;
};

static void put(struct msg *m, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		m->b[m->n++] = (uint8_t)(v >> (8 * i));
}

static void put_str(struct msg *m, const char *s)
{
	put(m, strlen(s), 2);
	memcpy(m->b + m->n, s, strlen(s));
	m->n += strlen(s);
}

static void start(struct msg *m, int type, int tag)
{
	m->n = 0;
	put(m, 0, 4);
	put(m, (uint64_t)type, 1);
	put(m, (uint64_t)tag, 2);
}

static void finish(struct msg *m)
{
	for (int i = 0; i < 4; i++)
		m->b[i] = (uint8_t)(m->n >> (8 * i));
}

/* One exchange on the channel: the reply's type, or -1. */
static int rpc(int fd, const struct msg *t, struct msg *r)
{
	if (write(fd, t->b, t->n) != (ssize_t)t->n)
		return -1;
	ssize_t n = read(fd, r->b, sizeof(r->b));
	if (n < 7)
		return -1;
	r->n = (size_t)n;
	return r->b[4];
}

static uint64_t get(const struct msg *m, size_t at, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | m->b[at + (size_t)i];
	return v;
}

/* A channel to ramfs, versioned, with fid 1 attached at its root. */
static int channel(uint8_t root_qid[13])
{
	struct msg t, r;
	int fd = open("/srv/ramfs", O_RDWR);
	if (fd < 0)
		return -1;
	start(&t, TVERSION, 0xffff);
	put(&t, 8192, 4);
	put_str(&t, "9P2000");
	finish(&t);
	if (rpc(fd, &t, &r) != RVERSION || get(&r, 7, 4) > 8192) {
		close(fd);
		return -2;
	}
	start(&t, TATTACH, 1);
	put(&t, 1, 4);
	put(&t, 0xffffffff, 4);
	put_str(&t, "root");
	put_str(&t, "");
	finish(&t);
	if (rpc(fd, &t, &r) != RATTACH) {
		close(fd);
		return -3;
	}
	memcpy(root_qid, r.b + 7, 13);
	return fd;
}

static void walk(struct msg *t, int fid, int newfid, int n, const char **names)
{
	start(t, TWALK, 2);
	put(t, (uint64_t)fid, 4);
	put(t, (uint64_t)newfid, 4);
	put(t, (uint64_t)n, 2);
	for (int i = 0; i < n; i++)
		put_str(t, names[i]);
	finish(t);
}

static void t_9p_dotdot_at_root(void)
{
	uint8_t root[13];
	struct msg t, r;
	int fd = channel(root);
	CHECKF(fd >= 0, "no 9P channel to ramfs: step %d", fd);
	const char *up[] = { "..", "..", ".." };
	walk(&t, 1, 2, 3, up);
	EQ(rpc(fd, &t, &r), RWALK);
	EQ(get(&r, 7, 2), 3);
	/* The last qid is the root's own. */
	CHECK(memcmp(r.b + 9 + 2 * 13, root, 13) == 0);
	const char *up_tmp[] = { "..", "tmp" };
	walk(&t, 1, 3, 2, up_tmp);
	EQ(rpc(fd, &t, &r), RWALK);
	EQ(get(&r, 7, 2), 2);
	CHECK(r.b[9 + 13] & 0x80); /* tmp: a directory */
	OK(close(fd));
}

static void t_9p_clunked_fid_is_dead(void)
{
	uint8_t root[13];
	struct msg t, r;
	int fd = channel(root);
	CHECKF(fd >= 0, "no 9P channel to ramfs: step %d", fd);
	walk(&t, 1, 2, 0, 0); /* a clone */
	EQ(rpc(fd, &t, &r), RWALK);
	start(&t, TCLUNK, 3);
	put(&t, 2, 4);
	finish(&t);
	EQ(rpc(fd, &t, &r), RCLUNK);
	start(&t, TSTAT, 4);
	put(&t, 2, 4);
	finish(&t);
	EQ(rpc(fd, &t, &r), RERROR);
	start(&t, TCLUNK, 5);
	put(&t, 2, 4);
	finish(&t);
	EQ(rpc(fd, &t, &r), RERROR);
	walk(&t, 2, 6, 0, 0);
	EQ(rpc(fd, &t, &r), RERROR);
	/* The fid number is free again, the root fid alive. */
	walk(&t, 1, 2, 0, 0);
	EQ(rpc(fd, &t, &r), RWALK);
	OK(close(fd));
}

static void t_9p_malformed_messages(void)
{
	uint8_t root[13];
	struct msg t, r;
	int fd = channel(root);
	CHECKF(fd >= 0, "no 9P channel to ramfs: step %d", fd);
	/* A size field that is not the length. */
	start(&t, TSTAT, 7);
	put(&t, 1, 4);
	finish(&t);
	t.b[0] += 3;
	EQ(rpc(fd, &t, &r), RERROR);
	EQ(get(&r, 5, 2), 7); /* the tag comes back */
	/* A walk cut short inside a name. */
	const char *names[] = { "tmp" };
	walk(&t, 1, 9, 1, names);
	t.n -= 2;
	finish(&t);
	EQ(rpc(fd, &t, &r), RERROR);
	/* An unknown type, and a T-message type used as a reply. */
	start(&t, 250, 8);
	finish(&t);
	EQ(rpc(fd, &t, &r), RERROR);
	start(&t, RSTAT, 8);
	finish(&t);
	EQ(rpc(fd, &t, &r), RERROR);
	/* Three bytes: not even a header. */
	t.n = 3;
	EQ(rpc(fd, &t, &r), RERROR);
	/* The connection still works... */
	start(&t, TSTAT, 10);
	put(&t, 1, 4);
	finish(&t);
	EQ(rpc(fd, &t, &r), RSTAT);
	OK(close(fd));
	/* ...and so does everyone else's. */
	OK(pt_mkfile("after", "still here", 10, 0644));
	char buf[16] = { 0 };
	int f = OK(open("after", O_RDONLY));
	EQ(read(f, buf, sizeof(buf)), 10);
	CHECK(!memcmp(buf, "still here", 10));
	OK(close(f));
	OK(unlink("after"));
}

static void t_ns_mount_bind_unmount(void);

const struct pt_test pt_9p_tests[] = {
	{ "p9_dotdot_at_root", t_9p_dotdot_at_root },
	{ "p9_clunked_fid_is_dead", t_9p_clunked_fid_is_dead },
	{ "p9_malformed_messages", t_9p_malformed_messages },
	{ "ns_mount_bind_unmount", t_ns_mount_bind_unmount },
	{ 0, 0 },
};

/*
 * The process's own namespace through Linux's mount(2) and umount2(2):
 * Plan 9's mount (a service at a directory) and bind (MS_BIND), with
 * unions ("a": after, "b": before). The shell that started us keeps its
 * own (the posix_suite boot checks with ns afterwards).
 */
static void t_ns_mount_bind_unmount(void)
{
	struct stat st;
	OK(mkdir("m", 0755));
	OK(pt_mkfile("m/own", "own", 3, 0644));
	OK(mount("random", "m", "9p", 0, "a")); /* after: a union */
	OK(stat("m/own", &st));
	OK(stat("m/random", &st));
	CHECK(S_ISCHR(st.st_mode));
	OK(umount2("m", 0));
	ERR(stat("m/random", &st), ENOENT);
	OK(mkdir("a", 0755));
	OK(pt_mkfile("a/f", "from a", 6, 0644));
	OK(mkdir("b", 0755));
	char cwd[512];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	char a[600], b[600];
	snprintf(a, sizeof(a), "%s/a", cwd);
	snprintf(b, sizeof(b), "%s/b", cwd);
	OK(mount(a, b, 0, MS_BIND, ""));
	CHECK(pt_holds("b/f", "from a"));
	OK(umount2(b, 0));
	ERR(stat("b/f", &st), ENOENT);
	ERR(umount2(b, 0), EINVAL); /* nothing mounted there now */
	ERR(mount("nosuchservice", "b", "9p", 0, ""), ENOENT);
	OK(unlink("a/f"));
	OK(unlink("m/own"));
	OK(rmdir("a"));
	OK(rmdir("b"));
	OK(rmdir("m"));
}
