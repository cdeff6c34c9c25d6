/*
 * /proc over 9P, in the shape Linux programs read (busybox ps, top, free,
 * uptime, pidof): a directory per pid (stat, status, cmdline, exe, and
 * Metta's ns and ctl), self (the asking process's directory, known by the
 * connection it asks on), meminfo, uptime, loadavg, mounts and swaps. Every
 * file is made whole at each read, from the process table and domain_info.
 */
#include <9p/errstr.h>
#include <9p/portal.h>
#include <9p/synth.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include <metta/signals.h>

#include "proc.h"

#define TEXT_MAX   4096
#define HZ	   100 /* Linux's clock ticks (USER_HZ): stat's times */
#define CONNS	   64
#define CONN_ID(b) ((b) & ((1ull << 62) - 1)) /* lib/9p/portal.c: id | 1 << 62 */
#define PAGE_KIB   4

int proc_asking;
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(store, CONNS, 32);
static char text[TEXT_MAX];

/* Which process each connection made through a badged capability is. */
static struct {
	uint64_t conn;
	int pid;
} conns[CONNS];

/* ---- the process directories ---- */

static int pid_list(void *ctx, uint32_t index, char *name, uint64_t *inst)
{
	(void)ctx;
	if (proc_asking && index-- == 0) {
		fmt_snprintf(name, P9SYNTH_NAMEMAX, "self");
		*inst = (uint64_t)proc_asking;
		return 1;
	}
	for (int i = 0; i < MAX_PROCS; i++) {
		if (procs[i].state == PROC_FREE || index-- != 0)
			continue;
		fmt_snprintf(name, P9SYNTH_NAMEMAX, "%d", procs[i].pid);
		*inst = (uint64_t)procs[i].pid;
		return 1;
	}
	return 0;
}

static int pid_lookup(void *ctx, struct p9_str name, uint64_t *inst)
{
	(void)ctx;
	int pid = 0, self = p9_str_eq(name, "self");
	if (self)
		pid = proc_asking;
	else if (name.len == 0 || name.len > 9)
		return -P9_ENOENT;
	for (uint16_t i = 0; !self && i < name.len; i++) {
		if (name.s[i] < '0' || name.s[i] > '9')
			return -P9_ENOENT;
		pid = pid * 10 + (name.s[i] - '0');
	}
	if (!proc_by_pid(pid))
		return -P9_ENOENT;
	*inst = (uint64_t)pid;
	return 0;
}

static int pid_name(void *ctx, uint64_t inst, char *name)
{
	(void)ctx;
	if (!proc_by_pid((int)inst))
		return -P9_ENOENT;
	fmt_snprintf(name, P9SYNTH_NAMEMAX, "%lu", inst);
	return 0;
}

/* Linux's one-letter state and its name. */
static char state_of(const struct process *p, const char **name)
{
	if (p->state == PROC_ZOMBIE) {
		*name = "zombie";
		return 'Z';
	}
	/* (a thread suspended for a moment by a signal is not stopped) */
	long s = metta_thread_ctl(p->thread, THREAD_STATE, 0);
	*name = p->stopped		 ? "stopped"
		: s == THREAD_IS_BLOCKED ? "sleeping"
					 : "running";
	return p->stopped ? 'T' : s == THREAD_IS_BLOCKED ? 'S' : 'R';
}

/* Its domain's report; a zombie's domain is gone: zeros. */
static void info_of(const struct process *p, struct metta_domain_info *d)
{
	memset(d, 0, sizeof(*d));
	if (p->state == PROC_LIVE)
		metta_domain_info(p->domain, d);
}

/*
 * /proc/N/stat: Linux's 52 fields, with its group and session; no
 * terminal, no CPU times; vsize and rss are the quota the
 * domain uses; starttime is in ticks since boot.
 */
static int stat_text(const struct process *p)
{
	const char *name;
	char st = state_of(p, &name);
	struct metta_domain_info d;
	info_of(p, &d);
	return fmt_snprintf(
	    text, sizeof(text),
	    "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 %d %d %ld 0 %lu %lu "
	    "%lu 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
	    "0 0 0 0 0 0 0 %ld\n",
	    p->pid, p->comm, st, p->ppid, p->pgid, p->sid, 20 + p->nice,
	    p->nice, d.threads, p->start_ns / (1000000000ul / HZ), d.quota_used,
	    d.quota_used / 4096, p->state == PROC_ZOMBIE ? p->exit_status : 0);
}

static int status_file(const struct process *p)
{
	const char *name;
	char st = state_of(p, &name);
	struct metta_domain_info d;
	info_of(p, &d);
	uint64_t kib = d.quota_used / 1024;
	return fmt_snprintf(
	    text, sizeof(text),
	    "Name:\t%s\nUmask:\t0022\nState:\t%c (%s)\nTgid:\t%d\nPid:\t%d\n"
	    "PPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
	    "Groups:\t\nVmSize:\t%lu kB\nVmRSS:\t%lu kB\nThreads:\t%ld\n"
	    "Quota:\t%lu kB\nDomain:\t%ld\n",
	    p->comm, st, name, p->pid, p->pid, p->ppid, kib, kib, d.threads,
	    d.quota_limit / 1024, p->domain_id);
}

static long pid_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx;
	const struct process *p = proc_by_pid((int)inst);
	if (!p)
		return -P9_ENOENT;
	if (!strcmp(e->name, "cmdline"))
		return p9synth_text(p->cmdline, p->cmdline_len, offset, buf,
				    count);
	const char *s = !strcmp(e->name, "ns")	  ? p->ns
			: !strcmp(e->name, "exe") ? p->exe
			: !strcmp(e->name, "cwd") ? p->cwd
						  : text;
	if (!strcmp(e->name, "stat"))
		stat_text(p);
	else if (!strcmp(e->name, "status"))
		status_file(p);
	return p9synth_text(s, strlen(s), offset, buf, count);
}

/* ctl: "kill", "stop" or "start" (a trailing newline allowed); anything
 * else, or a zombie's, is refused and changes nothing. */
static long ctl_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)offset;
	struct process *p = proc_by_pid((int)inst);
	char cmd[8] = { 0 };
	uint32_t whole = count;
	if (!p || p->state != PROC_LIVE)
		return -P9_ENOENT;
	if (count && ((const char *)data)[count - 1] == '\n')
		count--;
	if (count == 0 || count >= sizeof(cmd))
		return -P9_EINVAL;
	memcpy(cmd, data, count);
	if (!strcmp(cmd, "kill"))
		proc_signal(p, LX_SIGKILL);
	else if (!strcmp(cmd, "stop"))
		proc_signal(p, LX_SIGSTOP);
	else if (!strcmp(cmd, "start"))
		proc_signal(p, LX_SIGCONT);
	else
		return -P9_EINVAL;
	return (long)whole;
}

/* ---- the files about the whole system ---- */

/*
 * meminfo: what the nucleus reports of our quota. MemTotal is all that
 * processes may be given (our quota); MemFree is what neither we nor any
 * process uses; MemAvailable the same (nothing is cached to drop).
 */
static int meminfo_text(void)
{
	struct metta_domain_info self, d;
	metta_domain_info(CAP_SELF, &self);
	uint64_t used = self.quota_used;
	for (int i = 0; i < MAX_PROCS; i++) {
		if (procs[i].state != PROC_LIVE ||
		    metta_domain_info(procs[i].domain, &d))
			continue;
		/* Given to the child whole, but only its use is used. */
		used -= d.quota_limit - d.quota_used;
	}
	uint64_t total = self.quota_limit / 1024, free = total - used / 1024;
	return fmt_snprintf(text, sizeof(text),
			    "MemTotal:\t%lu kB\nMemFree:\t%lu kB\n"
			    "MemAvailable:\t%lu kB\nBuffers:\t0 kB\n"
			    "Cached:\t0 kB\nShmem:\t0 kB\nSReclaimable:\t0 kB\n"
			    "SwapTotal:\t0 kB\nSwapFree:\t0 kB\n",
			    total, free, free);
}

/* Seconds since boot, and the seconds every CPU was idle, summed. */
static int uptime_text(void)
{
	struct metta_stats st;
	uint64_t idle = 0;
	if (metta_stats(&st) == 0)
		for (uint64_t i = 0; i < st.ncpus && i < METTA_STATS_CPUS; i++)
			idle += st.idle_ns[i];
	uint64_t cs = (uint64_t)metta_clock() / 10000000ull;
	idle /= 10000000ull;
	return fmt_snprintf(text, sizeof(text), "%lu.%02lu %lu.%02lu\n",
			    cs / 100, cs % 100, idle / 100, idle % 100);
}

/*
 * Linux's /proc/stat, what top and vmstat read: each CPU's time in
 * USER_HZ ticks. The nucleus tells busy from idle only, so busy time is
 * all "user"; processes counts those started since boot.
 */
static int stat_all_text(void)
{
	struct metta_stats st;
	if (metta_stats(&st))
		return 0;
	uint64_t n = st.ncpus < METTA_STATS_CPUS ? st.ncpus : METTA_STATS_CPUS;
	uint64_t tick = 1000000000ull / HZ, busy = 0, idle = 0;
	for (uint64_t i = 0; i < n; i++) {
		idle += st.idle_ns[i] / tick;
		busy += (st.now_ns - st.idle_ns[i]) / tick;
	}
	int len = fmt_snprintf(text, sizeof(text),
			       "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", busy, idle);
	for (uint64_t i = 0; i < n; i++)
		len += fmt_snprintf(text + len, sizeof(text) - (uint64_t)len,
				    "cpu%lu %lu 0 0 %lu 0 0 0 0 0 0\n", i,
				    (st.now_ns - st.idle_ns[i]) / tick,
				    st.idle_ns[i] / tick);
	int running = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		running += procs[i].state == PROC_LIVE;
	len += fmt_snprintf(text + len, sizeof(text) - (uint64_t)len,
			    "intr 0\nctxt 0\nbtime 0\nprocesses %d\n"
			    "procs_running %d\nprocs_blocked 0\nsoftirq 0\n",
			    proc_next_started(), running);
	return len;
}

/*
 * /proc/metta/stats: the nucleus's own figures, Metta's way: per CPU its
 * idle time and calls, physical memory, live objects by type.
 */
static int metta_stats_text(void)
{
	static const char *const types[OBJ_TYPES] = OBJ_NAMES;
	struct metta_stats st;
	if (metta_stats(&st))
		return 0;
	int len = fmt_snprintf(text, sizeof(text), "uptime_ns %lu\ncpus %lu\n",
			       st.now_ns, st.ncpus);
	for (uint64_t i = 0; i < st.ncpus && i < METTA_STATS_CPUS; i++)
		len += fmt_snprintf(text + len, sizeof(text) - (uint64_t)len,
				    "cpu%lu idle_ns %lu calls %lu\n", i,
				    st.idle_ns[i], st.calls[i]);
	len += fmt_snprintf(text + len, sizeof(text) - (uint64_t)len,
			    "pages %lu free %lu\n", st.pages_total,
			    st.pages_free);
	for (unsigned t = 1; t < sizeof(types) / sizeof(types[0]); t++)
		len += fmt_snprintf(text + len, sizeof(text) - (uint64_t)len,
				    "objects %s %lu\n", types[t], st.objects[t]);
	return len;
}

/* /proc/metta/ctl: "poweroff" or "reboot" (a trailing newline allowed). */
static long power_write(void *ctx, const struct p9synth_entry *e,
			uint64_t inst, uint64_t offset, const void *data,
			uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)offset;
	char cmd[16];
	if (count == 0 || count >= sizeof(cmd))
		return -P9_EINVAL;
	memcpy(cmd, data, count);
	cmd[count] = 0;
	if (cmd[count - 1] == '\n')
		cmd[count - 1] = 0;
	uint64_t w[4] = { !strcmp(cmd, "reboot")     ? NESTER_REBOOT
			  : !strcmp(cmd, "poweroff") ? NESTER_POWEROFF
						     : 0 };
	if (!w[0])
		return -P9_EINVAL;
	metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
	return count;
}

/* No load is measured yet: zeros, then running/all and the newest pid. */
static int loadavg_text(void)
{
	int all = 0, newest = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_LIVE) {
			all++;
			newest = procs[i].pid > newest ? procs[i].pid : newest;
		}
	return fmt_snprintf(text, sizeof(text), "0.00 0.00 0.00 1/%d %d\n", all,
			    newest);
}

/* One namespace line ("mount [-abc] service path [tree]") in Linux's
 * mounts format: service, path, type (9p; proc for proc), options. */
static int mount_line(const char *line, uint64_t len, char *out, int room)
{
	char w[4][64];
	int n = 0;
	for (uint64_t i = 0; i < len && n < 4;) {
		while (i < len && line[i] == ' ')
			i++;
		int k = 0;
		while (i < len && line[i] != ' ' && k < 63)
			w[n][k++] = line[i++];
		w[n][k] = 0;
		while (i < len && line[i] != ' ')
			i++;
		if (k && (n || strcmp(w[0], "mount")) && w[n][0] != '-')
			n++;
	}
	if (n < 2)
		return 0;
	return fmt_snprintf(out, (uint64_t)room, "%s %s %s rw 0 0\n", w[0],
			    w[1], strcmp(w[0], "proc") ? "9p" : "proc");
}

/* mounts: the asking process's namespace (init's for anyone else). */
static int mounts_text(void)
{
	const struct process *p = proc_by_pid(proc_asking);
	if (!p)
		p = proc_by_pid(1);
	const char *ns = p ? p->ns : "";
	int n = 0;
	while (*ns) {
		uint64_t len = 0;
		while (ns[len] && ns[len] != '\n')
			len++;
		n += mount_line(ns, len, text + n, (int)sizeof(text) - n);
		ns += len + (ns[len] == '\n');
	}
	text[n] = 0;
	return n;
}

/* swaps: the header Linux prints over its swap areas, of which Metta has
 * none (e2fsck reads it to learn whether a device is swap). */
static int swaps_text(void)
{
	return fmt_snprintf(
	    text, sizeof(text),
	    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

static long sys_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		     uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst;
	int n = !strcmp(e->name, "meminfo")   ? meminfo_text()
		: !strcmp(e->name, "uptime")  ? uptime_text()
		: !strcmp(e->name, "loadavg") ? loadavg_text()
		: !strcmp(e->name, "stat")    ? stat_all_text()
		: !strcmp(e->name, "stats")   ? metta_stats_text()
		: !strcmp(e->name, "swaps")   ? swaps_text()
					      : mounts_text();
	return p9synth_text(text, (uint64_t)n, offset, buf, count);
}

#define METTA_DIR 12 /* /proc/metta's index in files[] */
static const struct p9synth_dyn pids = { pid_list, pid_lookup, pid_name };
static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, &pids },
	{ "stat", 1, 0444, 0, pid_read, 0, 0, 0 },
	{ "status", 2, 0444, 0, pid_read, 0, 0, 0 },
	{ "cmdline", 3, 0444, 0, pid_read, 0, 0, 0 },
	{ "exe", 4, P9_DMSYMLINK | 0777, 0, pid_read, 0, 0, 0 },
	{ "ns", 5, 0444, 0, pid_read, 0, 0, 0 },
	{ "ctl", 6, 0222, 0, 0, ctl_write, 0, 0 },
	{ "meminfo", 7, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
	{ "uptime", 8, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
	{ "loadavg", 9, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
	{ "mounts", 10, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
	{ "stat", 11, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
	{ "metta", 12, P9SYNTH_FIXED | P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "stats", 13, 0444, METTA_DIR, sys_read, 0, 0, 0 },
	{ "ctl", 14, 0200, METTA_DIR, 0, power_write, 0, 0 },
	{ "cwd", 15, P9_DMSYMLINK | 0777, 0, pid_read, 0, 0, 0 },
	{ "swaps", 16, P9SYNTH_FIXED | 0444, 0, sys_read, 0, 0, 0 },
};

/* ---- the 9P operations, knowing who asks ---- */

void procfs_init(uint32_t portal)
{
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(store));
	p9_portal_init(&fs, portal);
}

static int *conn_pid(uint64_t conn)
{
	for (int i = 0; i < CONNS; i++)
		if (conns[i].pid && conns[i].conn == conn)
			return &conns[i].pid;
	return 0;
}

long procfs_op_rpc(struct server_call *c)
{
	int *pid = conn_pid(CONN_ID(c->badge));
	proc_asking = pid && proc_by_pid(*pid) ? *pid : 0;
	long rc = p9_portal_op_rpc(c);
	proc_asking = 0;
	return rc;
}

/* A connection: through a process's own capability (badge: its pid), it
 * is that process's, for self and mounts. Connection ids are handed out
 * in order from fs.nextid (lib/9p/srv.c). */
long procfs_op_connect(struct server_call *c)
{
	uint64_t id = fs.nextid;
	long rc = p9_portal_op_connect(c);
	const struct process *p =
	    c->badge < (1u << 31) ? proc_by_pid((int)c->badge) : 0;
	for (int i = 0; rc == 0 && p && i < CONNS; i++)
		if (!conns[i].pid) {
			conns[i].conn = id;
			conns[i].pid = p->pid;
			break;
		}
	return rc;
}

long procfs_op_hangup(struct server_call *c)
{
	int *pid = conn_pid(CONN_ID(c->badge));
	if (pid)
		*pid = 0;
	return p9_portal_op_hangup(c);
}

void procfs_forget(int pid)
{
	for (int i = 0; i < CONNS; i++)
		if (conns[i].pid == pid)
			conns[i].pid = 0;
}
