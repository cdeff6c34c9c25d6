/*
 * The process: identity, process groups and sessions (the process
 * server's), limits, accounting, the thread pointer, umask, the
 * namespace's calls (mount, umount2: Plan 9's mount and bind), and the
 * end.
 *
 * A program without a process server is alone: its pid is its domain's
 * id, its parent is 1, and it leads its own process group and session.
 * One user, root: every uid and gid is 0, and the set*id calls accept
 * only 0.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

/* Our pid and our parent's, as the process server knows them (asked
 * once); a program with no process server is alone: its domain's id, and
 * parent 1. */
static void identity(void)
{
	uint64_t w[4] = { NESTER_IDENTITY };
	struct metta_domain_info i;
	if (rt.pid)
		return;
	if (metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) == 0) {
		rt.pid = (long)w[1];
		rt.ppid = (long)w[2];
	} else if (metta_domain_info(CAP_SELF, &i) == 0) {
		rt.pid = i.id;
		rt.ppid = 1;
	}
}

long rt_getpid(void)
{
	identity();
	return rt.pid;
}

static long do_uname(uint64_t ubuf)
{
	struct lx_utsname u;
	long rc = user_writable(ubuf, sizeof(u));
	if (rc)
		return rc;
	memset(&u, 0, sizeof(u));
	/* "Linux" and a release glibc's version checks accept: programs
	 * ask to learn which kernel's calls they may make, and they are
	 * Linux's (runtime/README.md). */
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, "metta");
	strcpy(u.release, "6.1.0-metta");
	strcpy(u.version, "#1 Metta POSIX runtime");
	strcpy(u.domainname, "(none)");
	strcpy(u.machine, "x86_64");
	memcpy((void *)ubuf, &u, sizeof(u));
	return 0;
}

static long do_arch_prctl(int code, uint64_t addr)
{
	if (code == LX_ARCH_SET_FS) {
		long rc = metta_set_tls(addr);
		if (rc)
			return -P9_EPERM;
		rt_self()->fs_base = addr;
		return 0;
	}
	if (code == LX_ARCH_GET_FS) {
		long rc = user_writable(addr, 8);
		if (rc == 0)
			*(uint64_t *)addr = rt_self()->fs_base;
		return rc;
	}
	return -P9_EINVAL;
}

/* A path of mount(2) or umount2(2), clean, absolute and with its
 * symbolic links followed (when it exists): 0 or an errno. */
static long mount_path(const char *in, char *out)
{
	struct loc l;
	long rc = path_clean(rt.cwd, in, out);
	if (rc == 0 && ns_lookup(out, 1, &l) == 0)
		loc_clunk(&l);
	return rc;
}

/* mount(2) and umount2(2) as Plan 9's mount and bind. */
/* The file system types a disk's server (ext2) serves: Linux's ext4
 * driver mounts ext2 too, so programs name any of them. */
static int is_disk_fs(const char *type)
{
	return !strcmp(type, "ext2") || !strcmp(type, "ext3") ||
	       !strcmp(type, "ext4");
}

/*
 * mount -t ext2 DEVICE DIR: the device file's service and path go to the
 * process server, which has the root nester start (or find) the file
 * system's server; its name is then mounted like any service.
 */
static long mount_disk_fs(const char *src, const char *target, uint64_t flags)
{
	char path[RT_PATH_MAX], service[NAMES_MAX_NAME + 1], msg[SPATH_MAX + 64];
	char name[NAMES_MAX_NAME + 1];
	long rc = mount_path(src, path);
	if (rc || (rc = ns_file_source(path, service, path)))
		return rc;
	const char *const parts[2] = { service, path };
	uint64_t n = metta_pack_strings(msg, sizeof(msg), 2, parts), got = 0;
	uint64_t w[4] = { NESTER_MOUNTFS,
			  flags & LX_MS_RDONLY ? NESTER_MOUNT_RDONLY : 0 };
	rc = rt_request(CAP_NESTER, w, msg, n, name, sizeof(name) - 1, &got, 0);
	if (rc)
		return rc == STATUS_ERR_INTR ? -P9_EINTR : -P9_EINVAL;
	name[got] = 0;
	return ns_mount(name, "/", target, 0);
}

/*
 * mount -t import STREAM DIR with data REMOTE-PATH (the import command):
 * STREAM is a file of this namespace that is a byte stream already
 * connected to another machine's export and authenticated (/net/tcp/N/
 * data). Its service and path go to the process server, which has the
 * root nester start an import server on it; that server's name is then
 * mounted like any service.
 */
static long mount_import(const char *src, const char *target,
			 const char *aname)
{
	char path[RT_PATH_MAX], service[NAMES_MAX_NAME + 1];
	char msg[SPATH_MAX + NESTER_ANAME_MAX + 64], name[NAMES_MAX_NAME + 1];
	long rc = mount_path(src, path);
	if (rc || (rc = ns_file_source(path, service, path)))
		return rc;
	if (strlen(aname) > NESTER_ANAME_MAX)
		return -P9_ENAMETOOLONG;
	const char *const parts[3] = { service, path, aname };
	uint64_t n = metta_pack_strings(msg, sizeof(msg), 3, parts), got = 0;
	uint64_t w[4] = { NESTER_MOUNTFS, NESTER_MOUNT_IMPORT };
	if (n == 0)
		return -P9_ENAMETOOLONG;
	rc = rt_request(CAP_NESTER, w, msg, n, name, sizeof(name) - 1, &got, 0);
	if (rc)
		return rc == STATUS_ERR_INTR ? -P9_EINTR : -P9_EIO;
	name[got] = 0;
	return ns_mount(name, "/", target, 0);
}

/*
 * Services are found through the namespace, as on Plan 9: a service is
 * mounted by name only when the namespace shows it in /srv. A process
 * whose namespace has no /srv (or a /srv without the service) cannot
 * reach the service at all, say vdisk's disks when /dev lacks them.
 */
static long service_visible(const char *src)
{
	char path[RT_PATH_MAX];
	const char *name = strncmp(src, "/srv/", 5) ? src : src + 5;
	if (!*name || strrchr(name, '/') || strlen(name) > NAMES_MAX_NAME)
		return -P9_ENOENT;
	fmt_snprintf(path, sizeof(path), "/srv/%s", name);
	struct loc l;
	long rc = ns_walk(path, &l);
	if (rc == 0)
		loc_clunk(&l);
	return rc;
}

static long do_mount(uint64_t usrc, uint64_t utarget, uint64_t utype,
		     uint64_t flags, uint64_t udata)
{
	char type[16] = "";
	char src[RT_PATH_MAX], target[RT_PATH_MAX], tmp[RT_PATH_MAX],
	    opt[16] = "";
	long rc = user_string(usrc, src, sizeof(src));
	if (rc < 0 || (rc = user_string(utarget, tmp, sizeof(tmp))) < 0)
		return rc;
	if ((rc = mount_path(tmp, target)))
		return rc;
	if (utype && (rc = user_string(utype, type, sizeof(type))) < 0)
		return rc == -P9_ENAMETOOLONG ? -P9_ENODEV : rc;
	if (!strcmp(type, "import")) {
		/* The data is the remote path, not flags. */
		if (udata && (rc = user_string(udata, tmp, sizeof(tmp))) < 0)
			return rc;
		return mount_import(src, target, udata ? tmp : "");
	}
	if (udata && (rc = user_string(udata, opt, sizeof(opt))) < 0)
		return rc == -P9_ENAMETOOLONG ? -P9_EINVAL : rc;
	if (is_disk_fs(type) && !(flags & (LX_MS_REMOUNT | LX_MS_BIND)))
		return mount_disk_fs(src, target, flags);
	/* Ours: MS_REMOUNT of "/" with "parent" hands our namespace to the
	 * process that started us (the bind and mount commands). */
	if ((flags & LX_MS_REMOUNT) && !strcmp(opt, "parent"))
		return ns_give_parent();
	int f = 0;
	for (const char *o = opt; *o; o++)
		f |= *o == 'a'	 ? NS_AFTER
		     : *o == 'b' ? NS_BEFORE
		     : *o == 'c' ? NS_CREATE
				 : 0;
	if ((f & NS_AFTER) && (f & NS_BEFORE))
		return -P9_EINVAL;
	if (flags & LX_MS_BIND) {
		if ((rc = mount_path(src, tmp)))
			return rc;
		return ns_bind(tmp, target, f);
	}
	/* "service" or "/srv/service", with ":path" inside it. */
	char *colon = strrchr(src, ':');
	if (colon)
		*colon = 0;
	if ((rc = service_visible(src)))
		return rc;
	return ns_mount(src, colon ? colon + 1 : "/", target, f);
}

static long do_umount(uint64_t utarget, uint64_t flags)
{
	char tmp[RT_PATH_MAX], target[RT_PATH_MAX];
	long rc = user_string(utarget, tmp, sizeof(tmp));
	if (rc < 0)
		return rc;
	if (flags & ~(uint64_t)(LX_MNT_DETACH | 1 /* MNT_FORCE */))
		return -P9_EINVAL;
	if ((rc = mount_path(tmp, target)))
		return rc;
	return ns_unmount(target);
}

/* exit ends the calling thread (the process with its last), exit_group
 * the process. */
long sys_exit(const uint64_t *a)
{
	thread_exit((int)a[0] & 0xff);
}

long sys_exit_group(const uint64_t *a)
{
	rt_exit((int)a[0] & 0xff);
}

long sys_getpid(const uint64_t *a)
{
	(void)a;
	return rt_getpid();
}

/* A group or session question to the process server (op, pid, pgid):
 * its answer, or alone, ours for ourselves. */
static long ask_group(uint64_t op, int64_t pid, int64_t pgid)
{
	uint64_t w[4] = { op, (uint64_t)pid, (uint64_t)pgid };
	long rc = rt_ask_proc(w);
	if (sig_alone(rc))
		return pid == 0 || pid == rt_getpid()
			   ? (op == NESTER_SETPGID ? 0 : rt_getpid())
			   : -P9_ESRCH;
	if (rc)
		return sig_errno(rc);
	return op == NESTER_SETPGID ? 0 : (long)w[1];
}

long sys_getsid(const uint64_t *a)
{
	return ask_group(NESTER_GETSID, (int)a[0], 0);
}

long sys_setsid(const uint64_t *a)
{
	(void)a;
	return ask_group(NESTER_SETSID, 0, 0);
}

long sys_setpgid(const uint64_t *a)
{
	return ask_group(NESTER_SETPGID, (int)a[0], (int)a[1]);
}

/*
 * getpriority and setpriority: the process server keeps every process's
 * nice value (servers/proc/priority.c); which and who are Linux's, passed
 * on as they are. getpriority's raw answer is Linux's 20 - nice (1..40;
 * glibc turns it back). With no process server, our own value is 0 and
 * cannot change (EPERM), and no other process exists (ESRCH).
 */
static long ask_priority(uint64_t op, const uint64_t *a)
{
	uint64_t w[4] = { op, (uint64_t)(uint32_t)a[0],
			  (uint64_t)(int64_t)(int)a[1],
			  (uint64_t)(int64_t)(int)a[2] };
	long rc = rt_ask_proc(w);
	if (!sig_alone(rc))
		return rc			  ? sig_errno(rc)
		       : op == NESTER_SETPRIORITY ? 0
						  : 20 - (long)w[1];
	if ((uint32_t)a[0] > NESTER_PRIO_USER)
		return -P9_EINVAL;
	if ((uint32_t)a[0] != NESTER_PRIO_PROCESS ||
	    ((int)a[1] != 0 && (int)a[1] != rt_getpid()))
		return -P9_ESRCH;
	return op == NESTER_SETPRIORITY ? -P9_EPERM : 20;
}

long sys_getpriority(const uint64_t *a)
{
	return ask_priority(NESTER_GETPRIORITY, a);
}

long sys_setpriority(const uint64_t *a)
{
	return ask_priority(NESTER_SETPRIORITY, a);
}

long sys_getppid(const uint64_t *a)
{
	(void)a;
	identity();
	return rt.ppid;
}

/*
 * reboot(2): power off (and halt, the same on a machine with nobody at it)
 * or restart, through the process server, which asks the root nester.
 * Ctrl-Alt-Del settings are accepted and have no effect.
 */
long sys_reboot(const uint64_t *a)
{
	uint32_t m2 = (uint32_t)a[1], cmd = (uint32_t)a[2];
	if ((uint32_t)a[0] != LX_REBOOT_MAGIC1 ||
	    (m2 != LX_REBOOT_MAGIC2 && m2 != LX_REBOOT_MAGIC2A &&
	     m2 != LX_REBOOT_MAGIC2B && m2 != LX_REBOOT_MAGIC2C))
		return -P9_EINVAL;
	if (cmd == LX_REBOOT_CAD_ON || cmd == LX_REBOOT_CAD_OFF)
		return 0;
	if (cmd != LX_REBOOT_POWEROFF && cmd != LX_REBOOT_HALT &&
	    cmd != LX_REBOOT_RESTART)
		return -P9_EINVAL;
	uint64_t w[4] = { cmd == LX_REBOOT_RESTART ? NESTER_REBOOT
						   : NESTER_POWEROFF };
	long rc = metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
	return rc ? -P9_EPERM : 0;
}

long sys_sync(const uint64_t *a)
{
	(void)a;
	ns_sync();
	return 0;
}

/* syncfs: the descriptor must be open; then as sync (each server once). */
long sys_syncfs(const uint64_t *a)
{
	if (!fd_get((int)a[0]))
		return -P9_EBADF;
	ns_sync();
	return 0;
}

/* Calls whose answer is 0 for now: one user, root. */
long sys_zero(const uint64_t *a)
{
	(void)a;
	return 0;
}

long sys_uname(const uint64_t *a)
{
	return do_uname(a[0]);
}

long sys_arch_prctl(const uint64_t *a)
{
	return do_arch_prctl((int)a[0], a[1]);
}

long sys_umask(const uint64_t *a)
{
	uint32_t old = rt.umask;
	rt.umask = (uint32_t)a[0] & 0777;
	return old;
}

long sys_mount(const uint64_t *a)
{
	return do_mount(a[0], a[1], a[2], a[3], a[4]);
}

long sys_umount2(const uint64_t *a)
{
	return do_umount(a[0], a[1]);
}

/* pid 0 or ours: 0; another process: ESRCH (limits are our own). */
static long only_self(int64_t pid)
{
	return pid == 0 || pid == rt_getpid() ? 0 : -P9_ESRCH;
}

/* Our process group and session, as the process server knows them now
 * (another process may have moved us: asked each time; the terminal's
 * job control needs them at each read and write). */
long rt_getpgrp(void)
{
	return ask_group(NESTER_GETPGID, 0, 0);
}

long rt_getsid(void)
{
	return ask_group(NESTER_GETSID, 0, 0);
}

long sys_getpgid(const uint64_t *a)
{
	return ask_group(NESTER_GETPGID, (int)a[0], 0);
}

long sys_getpgrp(const uint64_t *a)
{
	(void)a;
	return rt_getpgrp();
}

long sys_set_tid_address(const uint64_t *a)
{
	rt_self()->clear_tid = a[0];
	return thread_tid(rt_self());
}

long sys_gettid(const uint64_t *a)
{
	(void)a;
	return thread_tid(rt_self());
}

long sys_set_robust_list(const uint64_t *a)
{
	if (a[1] != 24) /* sizeof(struct robust_list_head) */
		return -P9_EINVAL;
	rt_self()->robust_list = a[0];
	rt_self()->robust_len = a[1];
	return 0;
}

/* A call that is known but not provided: ENOSYS without a log line
 * (rseq: glibc takes ENOSYS as "no restartable sequences"). */
long sys_nosys(const uint64_t *a)
{
	(void)a;
	return -P9_ENOSYS;
}

/* ---- ids: one user, root ---- */

long sys_getgroups(const uint64_t *a)
{
	return (int)a[0] < 0 ? -P9_EINVAL : 0; /* no supplementary groups */
}

/* setuid, setgid, setfsuid...: to 0 (or -1, "unchanged"), or EPERM. */
static long only_root(const uint64_t *a, int n)
{
	for (int i = 0; i < n; i++)
		if ((uint32_t)a[i] != 0 && (uint32_t)a[i] != 0xffffffffu)
			return -P9_EPERM;
	return 0;
}

long sys_setuid(const uint64_t *a)
{
	return only_root(a, 1);
}

long sys_setreuid(const uint64_t *a)
{
	return only_root(a, 2);
}

long sys_setresuid(const uint64_t *a)
{
	return only_root(a, 3);
}

long sys_setgroups(const uint64_t *a)
{
	if ((int64_t)a[0] < 0 || a[0] > 65536)
		return -P9_EINVAL;
	long rc = user_readable(a[1], a[0] * 4);
	for (uint64_t i = 0; rc == 0 && i < a[0]; i++)
		if (((const uint32_t *)a[1])[i] != 0)
			rc = -P9_EPERM;
	return rc;
}

/* getresuid and getresgid: three zeros. */
long sys_getresuid(const uint64_t *a)
{
	for (int i = 0; i < 3; i++)
		if (user_writable(a[i], 4))
			return -P9_EFAULT;
	for (int i = 0; i < 3; i++)
		*(uint32_t *)a[i] = 0;
	return 0;
}

/* ---- limits ---- */

void proc_init(const char *execfn)
{
	for (int i = 0; i < LX_RLIM_NLIMITS; i++)
		rt.rlimits[i] =
		    (struct lx_rlimit){ LX_RLIM_INFINITY, LX_RLIM_INFINITY };
	rt.rlimits[LX_RLIMIT_STACK].cur = 8 << 20;
	rt.rlimits[LX_RLIMIT_CORE].cur = 0;
	rt.rlimits[LX_RLIMIT_NOFILE] = (struct lx_rlimit){ MAX_FDS, MAX_FDS };
	rt.rlimits[LX_RLIMIT_MEMLOCK] = (struct lx_rlimit){ 8 << 20, 8 << 20 };
	/* The program's path, absolute (the spawner may give a name only). */
	if (!execfn || path_clean("/", execfn, rt.exe))
		strcpy(rt.exe, "/");
	const char *base = strrchr(rt.exe, '/') + 1;
	size_t k = strlen(base);
	k = k < sizeof(rt.comm) - 1 ? k : sizeof(rt.comm) - 1;
	memcpy(rt.comm, base, k);
	rt.comm[k] = 0;
}

static long do_prlimit(int64_t pid, uint64_t res, uint64_t unew, uint64_t uold)
{
	struct lx_rlimit nl;
	long rc = only_self(pid);
	if (rc)
		return rc;
	if (res >= LX_RLIM_NLIMITS)
		return -P9_EINVAL;
	if ((unew && (rc = user_readable(unew, sizeof(nl)))) ||
	    (uold && (rc = user_writable(uold, sizeof(nl)))))
		return rc;
	if (unew) {
		memcpy(&nl, (const void *)unew, sizeof(nl));
		if (nl.cur > nl.max)
			return -P9_EINVAL;
		if (res == LX_RLIMIT_NOFILE && nl.max > MAX_FDS)
			return -P9_EPERM; /* Linux: above fs.nr_open */
	}
	if (uold)
		memcpy((void *)uold, &rt.rlimits[res], sizeof(nl));
	if (unew)
		rt.rlimits[res] = nl;
	return 0;
}

long sys_prlimit64(const uint64_t *a)
{
	return do_prlimit((int64_t)(int32_t)a[0], a[1], a[2], a[3]);
}

long sys_getrlimit(const uint64_t *a)
{
	return do_prlimit(0, a[0], 0, a[1]);
}

long sys_setrlimit(const uint64_t *a)
{
	return do_prlimit(0, a[0], a[1], 0);
}

/* ---- names ---- */

long sys_prctl(const uint64_t *a)
{
	long rc;
	switch (a[0]) {
	case LX_PR_SET_NAME: {
		char name[sizeof(rt.comm)];
		rc = user_string(a[1], name, sizeof(name));
		if (rc == -P9_ENAMETOOLONG)
			rc = 0; /* Linux keeps the first 15 bytes */
		if (rc < 0)
			return rc;
		name[sizeof(name) - 1] = 0;
		memcpy(rt.comm, name, sizeof(name));
		return 0;
	}
	case LX_PR_GET_NAME:
		if ((rc = user_writable(a[1], sizeof(rt.comm))))
			return rc;
		memcpy((void *)a[1], rt.comm, sizeof(rt.comm));
		return 0;
	}
	return -P9_EINVAL;
}

/* ---- accounting ---- */

long sys_sysinfo(const uint64_t *a)
{
	struct lx_sysinfo si;
	struct metta_domain_info d;
	long rc = user_writable(a[0], sizeof(si));
	if (rc)
		return rc;
	memset(&si, 0, sizeof(si));
	si.uptime = (int64_t)(metta_clock() / 1000000000ull);
	/* Memory as this domain sees it: its quota. */
	if (metta_domain_info(CAP_SELF, &d) == 0) {
		si.totalram = d.quota_limit;
		si.freeram = d.quota_limit - d.quota_used;
	}
	si.procs = 1;
	si.mem_unit = 1;
	memcpy((void *)a[0], &si, sizeof(si));
	return 0;
}

/* The nucleus does not count CPU time per domain yet: times and
 * getrusage report none used. */
long sys_times(const uint64_t *a)
{
	if (a[0] && user_writable(a[0], 4 * 8))
		return -P9_EFAULT;
	if (a[0])
		memset((void *)a[0], 0, 4 * 8);
	return (long)(metta_clock() / 10000000ull); /* 100 ticks a second */
}

long sys_getrusage(const uint64_t *a)
{
	int who = (int)a[0];
	if (who != 0 && who != -1 && who != 1) /* SELF, CHILDREN, THREAD */
		return -P9_EINVAL;
	long rc = user_writable(a[1], sizeof(struct lx_rusage));
	if (rc == 0)
		memset((void *)a[1], 0, sizeof(struct lx_rusage));
	return rc;
}

/*
 * The runtime places each thread on a CPU when it makes it (thread.c)
 * and the nucleus does not move it. sched_setaffinity keeps a process's
 * mask in its descriptor table's record in the fork group's shared state
 * (what getaffinity answers after, through fork and exec, for it and the
 * rest of the group) and moves the calling thread to a CPU of the mask if
 * it is on none (at its next wake-up, the nucleus's THREAD_SET_CPU); a
 * mask with no CPU that exists is EINVAL. A process outside the fork
 * group is answered every CPU, and a new mask for it is not kept.
 */

/* The process an affinity call names: 0 or an errno (ESRCH). */
static long affinity_of(int64_t pid)
{
	if (pid < 0)
		return -P9_ESRCH;
	long rc = pid == 0 || thread_by_tid(pid) ? 0 : rt_kill(pid, 0);
	return rc == -P9_EPERM ? 0 : rc; /* it exists */
}

static int ours(int64_t pid)
{
	return pid == 0 || thread_by_tid(pid);
}

/* Where pid's mask is kept: ours, or a process of our fork group's; 0
 * for another process (every CPU, as far as we know). */
static uint64_t *mask_of(int64_t pid)
{
	return fd_affinity(ours(pid) ? 0 : pid);
}

long sys_sched_getaffinity(const uint64_t *a)
{
	long rc = affinity_of((int64_t)(int32_t)a[0]);
	if (rc)
		return rc;
	if (a[1] < 8 || (a[1] & 7))
		return -P9_EINVAL;
	if ((rc = user_writable(a[2], 8)))
		return rc;
	uint64_t *kept = mask_of((int64_t)(int32_t)a[0]);
	*(uint64_t *)a[2] = kept && *kept ? *kept : thread_cpus();
	return 8;
}

long sys_sched_setaffinity(const uint64_t *a)
{
	long rc = affinity_of((int64_t)(int32_t)a[0]);
	if (rc)
		return rc;
	if (a[1] == 0)
		return -P9_EINVAL;
	if ((rc = user_readable(a[2], a[1] < 8 ? a[1] : 8)))
		return rc;
	uint64_t mask = 0;
	memcpy(&mask, (const void *)a[2], a[1] < 8 ? a[1] : 8);
	mask &= thread_cpus();
	if (!mask)
		return -P9_EINVAL;
	uint64_t *kept = mask_of((int64_t)(int32_t)a[0]);
	if (kept)
		*kept = mask;
	if (!ours((int64_t)(int32_t)a[0]))
		return 0;
	uint32_t cap = thread_cap(rt_self());
	long cpu = cap ? metta_thread_ctl(cap, THREAD_CPU, 0) : -1;
	if (cpu >= 0 && !(mask >> cpu & 1))
		metta_thread_ctl(cap, THREAD_SET_CPU,
				 (uint64_t)__builtin_ctzll(mask));
	return 0;
}

/* getcpu(cpu, node, cache): where the calling thread runs now. */
long sys_getcpu(const uint64_t *a)
{
	if ((a[0] && user_writable(a[0], 4)) || (a[1] && user_writable(a[1], 4)))
		return -P9_EFAULT;
	uint32_t cap = thread_cap(rt_self());
	long cpu = cap ? metta_thread_ctl(cap, THREAD_CPU, 0) : 0;
	if (a[0])
		*(uint32_t *)a[0] = (uint32_t)(cpu < 0 ? 0 : cpu);
	if (a[1])
		*(uint32_t *)a[1] = 0; /* one NUMA node */
	return 0;
}
