/*
 * /proc as Linux programs read it (busybox ps, top, free, uptime, pidof):
 * self and N/{stat,status,cmdline}, meminfo, uptime, loadavg, mounts, swaps, the
 * directory listing, and on Metta its N/ctl refusing nonsense. The pid in
 * /proc/self is checked against /proc/N, getpid and getppid.
 */
#include "posixtest.h"

#include <stdlib.h>
#include <time.h>

#define TEXT 8192

/* The whole of a small file, NUL-terminated; its length or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n = 0, k;
	if (fd < 0)
		return -1;
	while ((k = read(fd, buf + n, size - 1 - (size_t)n)) > 0)
		n += k;
	close(fd);
	buf[n] = 0;
	return k < 0 ? -1 : n;
}

/* Our pid and command name as /proc/self/stat gives them. */
static int self_stat(int *pid, char *comm, size_t size)
{
	char buf[TEXT];
	if (slurp("/proc/self/stat", buf, sizeof buf) <= 0)
		return -1;
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    (size_t)(close_paren - open_paren) > size)
		return -1;
	*pid = atoi(buf);
	memcpy(comm, open_paren + 1, (size_t)(close_paren - open_paren - 1));
	comm[close_paren - open_paren - 1] = 0;
	return 0;
}

static void t_procfs_stat(void)
{
	char buf[TEXT], again[TEXT], path[64], comm[64];
	int pid;
	CHECK(self_stat(&pid, comm, sizeof comm) == 0);
	CHECKF(pid > 0, "pid %d", pid);
	CHECKF(!strcmp(comm, "posixtest"), "comm is '%s'", comm);
	OK(slurp("/proc/self/stat", buf, sizeof buf));
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags ... */
	char *rest = strrchr(buf, ')') + 2, state;
	int ppid, fields = 3; /* pid, comm and the first after them */
	CHECK(sscanf(rest, "%c %d", &state, &ppid) == 2);
	CHECKF(strchr("RSD", state) != NULL, "state %c", state);
	CHECKF(ppid >= 0, "ppid %d", ppid);
	for (char *p = rest; *p; p++)
		fields += *p == ' ';
	CHECKF(fields >= 52, "%d fields", fields);
	/* The same process under its number. */
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	OK(slurp(path, again, sizeof again));
	CHECK(!strncmp(buf, again, (size_t)(strchr(buf, ')') - buf)));
	/* getpid and getppid are the process server's. */
	EQ(getpid(), pid);
	EQ(getppid(), ppid);
}

/* The value after "key:\t" in a status text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, n) && p[n] == ':')
			return p + n + 1 + strspn(p + n + 1, " \t");
	return NULL;
}

static void t_procfs_status(void)
{
	char buf[TEXT], path[64], comm[64];
	int pid;
	CHECK(self_stat(&pid, comm, sizeof comm) == 0);
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	OK(slurp(path, buf, sizeof buf));
	static const char *const keys[] = { "Name", "State", "Pid", "PPid",
					    "Uid", "Gid", "VmRSS" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECKF(field(buf, keys[i]) != NULL, "no %s: line", keys[i]);
	CHECK(!strncmp(field(buf, "Name"), "posixtest\n", 10));
	EQ(atoi(field(buf, "Pid")), pid);
	CHECK(strchr("RSD", *field(buf, "State")) != NULL);
	CHECK(strstr(field(buf, "VmRSS"), " kB\n") != NULL);
}

static void t_procfs_cmdline(void)
{
	char buf[TEXT];
	long n = OK(slurp("/proc/self/cmdline", buf, sizeof buf));
	CHECKF(n > 0 && buf[n - 1] == 0, "%ld bytes, not NUL-ended", n);
	const char *base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	CHECKF(!strcmp(base, "posixtest"), "argv[0] is '%s'", buf);
}

/* "Key:  N kB" of meminfo, or -1. */
static long kib(const char *text, const char *key)
{
	const char *v = field(text, key);
	return v && strstr(v, " kB") ? atol(v) : -1;
}

static void t_procfs_meminfo(void)
{
	char buf[TEXT];
	OK(slurp("/proc/meminfo", buf, sizeof buf));
	long total = kib(buf, "MemTotal"), free_ = kib(buf, "MemFree");
	long avail = kib(buf, "MemAvailable");
	CHECKF(total > 0, "MemTotal %ld", total);
	CHECKF(free_ >= 0 && free_ <= total, "MemFree %ld of %ld", free_, total);
	CHECKF(avail >= 0 && avail <= total, "MemAvailable %ld", avail);
	CHECK(kib(buf, "SwapTotal") >= 0);
}

static void t_procfs_uptime(void)
{
	char buf[256];
	double up, idle, later;
	OK(slurp("/proc/uptime", buf, sizeof buf));
	CHECK(sscanf(buf, "%lf %lf", &up, &idle) == 2);
	CHECKF(up > 0, "uptime %f", up);
	struct timespec pause = { 0, 30 * 1000 * 1000 };
	OK(nanosleep(&pause, NULL));
	OK(slurp("/proc/uptime", buf, sizeof buf));
	CHECK(sscanf(buf, "%lf", &later) == 1);
	CHECKF(later > up, "uptime went %f -> %f", up, later);
}

static void t_procfs_loadavg(void)
{
	char buf[256];
	double a, b, c;
	int running, all, last;
	OK(slurp("/proc/loadavg", buf, sizeof buf));
	CHECKF(sscanf(buf, "%lf %lf %lf %d/%d %d", &a, &b, &c, &running, &all,
		      &last) == 6, "loadavg '%s'", buf);
	CHECK(a >= 0 && b >= 0 && c >= 0);
	CHECKF(running >= 1 && all >= running, "%d/%d", running, all);
	CHECK(last > 0);
}

static void t_procfs_mounts(void)
{
	char buf[TEXT];
	int root = 0, proc = 0;
	OK(slurp("/proc/mounts", buf, sizeof buf));
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char dev[256], dir[256], type[64], opts[256];
		int a, b;
		CHECKF(sscanf(line, "%255s %255s %63s %255s %d %d", dev, dir,
			      type, opts, &a, &b) == 6, "mount line '%s'", line);
		root |= !strcmp(dir, "/");
		proc |= !strcmp(dir, "/proc") && !strcmp(type, "proc");
	}
	CHECK(root);
	CHECK(proc);
}

/* swaps as e2fsck and swapon read it: Linux's header, then a line of five
 * fields per swap area (Metta has none). */
static void t_procfs_swaps(void)
{
	char buf[TEXT], name[256], type[32];
	long size, used;
	int prio;
	static const char header[] =
	    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	OK(slurp("/proc/swaps", buf, sizeof buf));
	CHECKF(!strncmp(buf, header, sizeof header - 1), "header: %.60s", buf);
	for (char *line = buf + sizeof header - 1; *line;) {
		char *end = strchr(line, '\n');
		CHECKF(end, "unfinished line: %s", line);
		*end = 0;
		CHECKF(sscanf(line, "%255s %31s %ld %ld %d", name, type, &size,
			      &used, &prio) == 5, "swap line '%s'", line);
		line = end + 1;
	}
	if (pt_on_metta())
		CHECKF(!buf[sizeof header - 1], "swap areas on Metta: %s", buf);
}

/* Our own directory is listed, and so are the files about the system. */
static void t_procfs_listing(void)
{
	char comm[64], name[32];
	int pid, mine = 0, meminfo = 0, swaps = 0;
	CHECK(self_stat(&pid, comm, sizeof comm) == 0);
	snprintf(name, sizeof name, "%d", pid);
	DIR *d = opendir("/proc");
	CHECK(d != NULL);
	for (struct dirent *e; (e = readdir(d));) {
		mine |= !strcmp(e->d_name, name);
		meminfo |= !strcmp(e->d_name, "meminfo");
		swaps |= !strcmp(e->d_name, "swaps");
	}
	closedir(d);
	CHECKF(mine, "/proc lacks %s", name);
	CHECK(meminfo && swaps);
	ERR(open("/proc/999999/stat", O_RDONLY), ENOENT);
	ERR(open("/proc/nosuch", O_RDONLY), ENOENT);
}

/* Metta's N/ctl (Linux has none): nonsense is refused, nothing changes. */
static void t_procfs_ctl(void)
{
	char path[64], comm[64], long_word[100];
	int pid;
	if (!pt_on_metta())
		return; /* Linux: no ctl */
	CHECK(self_stat(&pid, comm, sizeof comm) == 0);
	snprintf(path, sizeof path, "/proc/%d/ctl", pid);
	int fd = OK(open(path, O_WRONLY));
	ERR(write(fd, "bogus", 5), EINVAL);
	ERR(write(fd, "kill now\n", 9), EINVAL);
	ERR(write(fd, "\n", 1), EINVAL);
	memset(long_word, 'k', sizeof long_word);
	ERR(write(fd, long_word, sizeof long_word), EINVAL);
	close(fd);
	ERR(open(path, O_RDONLY), EACCES);
	/* Still here, still running. */
	char buf[TEXT];
	OK(slurp("/proc/self/status", buf, sizeof buf));
	CHECK(strchr("RSD", *field(buf, "State")) != NULL);
}

/* /proc/stat as top reads it: the sum line, one per CPU, processes. */
static void t_procfs_stat_all(void)
{
	char buf[TEXT];
	unsigned long long v[4];
	OK(slurp("/proc/stat", buf, sizeof buf));
	CHECKF(sscanf(buf, "cpu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		      &v[3]) == 4, "first line: %.40s", buf);
	CHECK(v[0] + v[1] + v[2] + v[3] > 0);
	CHECK(strstr(buf, "\ncpu0 ") != NULL);
	char *p = strstr(buf, "\nprocesses ");
	CHECK(p && atol(p + 11) > 0);
}

/* Metta's /proc/metta: the nucleus's figures, and power control that
 * refuses nonsense. */
static void t_procfs_metta(void)
{
	char buf[TEXT];
	if (!pt_on_metta())
		return;
	OK(slurp("/proc/metta/stats", buf, sizeof buf));
	char *p = strstr(buf, "objects domain ");
	CHECK(p && atol(p + 15) > 1);
	unsigned long total = 0, free_ = 0;
	p = strstr(buf, "pages ");
	CHECK(p && sscanf(p, "pages %lu free %lu", &total, &free_) == 2);
	CHECKF(free_ > 0 && free_ < total, "pages %lu free %lu", total, free_);
	CHECK(strstr(buf, "cpu0 idle_ns ") != NULL);
	int fd = OK(open("/proc/metta/ctl", O_WRONLY));
	ERR(write(fd, "bogus\n", 6), EINVAL);
	ERR(write(fd, "poweroffnow", 11), EINVAL);
	close(fd);
	ERR(open("/proc/metta/ctl", O_RDONLY), EACCES);
}

/* /proc/self/cwd follows chdir and fchdir. */
static void t_procfs_cwd(void)
{
	char here[4096], link[4096];
	CHECK(getcwd(here, sizeof here) != NULL);
	long n = OK(readlink("/proc/self/cwd", link, sizeof link - 1));
	link[n] = 0;
	CHECKF(!strcmp(link, here), "cwd link %s, getcwd %s", link, here);
	OK(mkdir("sub", 0755));
	OK(chdir("sub"));
	n = OK(readlink("/proc/self/cwd", link, sizeof link - 1));
	link[n] = 0;
	CHECKF(strstr(link, "/sub") && !strcmp(strstr(link, "/sub"), "/sub"),
	       "cwd link %s", link);
	int fd = OK(open(here, O_RDONLY | O_DIRECTORY));
	OK(fchdir(fd));
	OK(close(fd));
	n = OK(readlink("/proc/self/cwd", link, sizeof link - 1));
	link[n] = 0;
	CHECKF(!strcmp(link, here), "cwd link %s after fchdir", link);
	OK(rmdir("sub"));
}

const struct pt_test pt_procfs_tests[] = {
	{ "procfs_cwd", t_procfs_cwd },
	{ "procfs_stat_all", t_procfs_stat_all },
	{ "procfs_metta", t_procfs_metta },
	{ "procfs_stat", t_procfs_stat },
	{ "procfs_status", t_procfs_status },
	{ "procfs_cmdline", t_procfs_cmdline },
	{ "procfs_meminfo", t_procfs_meminfo },
	{ "procfs_uptime", t_procfs_uptime },
	{ "procfs_loadavg", t_procfs_loadavg },
	{ "procfs_mounts", t_procfs_mounts },
	{ "procfs_swaps", t_procfs_swaps },
	{ "procfs_listing", t_procfs_listing },
	{ "procfs_ctl", t_procfs_ctl },
	{ 0, 0 },
};
