/*
 * The process server: the nester of every process. It starts programs
 * (boot modules by name, or ELF files from the file tree by absolute
 * path; Linux programs with the POSIX runtime beside them), gives each a
 * pid (1 for init, increasing, never reused while it or its zombie
 * lives), a parent, its environment and a nester capability badged with
 * its pid, keeps a dead process as a zombie until its parent collects it,
 * and serves /proc (procfs.c). Its quota pays for every process, so
 * processes outlive their parents.
 *
 * argv: "proc.srv" and init's command line (root's init=).
 */
#include <9p/portal.h>
#include <elf/elf.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#include "proc.h"

#define PORTAL	      5 /* ours, with SERVE (from the root nester) */
#define INFO_VA	      0x600000000000ull
#define MODULE_VA     0x610000000000ull
#define RUNTIME_VA    0x620000000000ull
#define USER_TOP      0x00007ffffffff000ull
#define APP_QUOTA     (32 << 20)
#define INIT_QUOTA    (64 << 20)
#define MAX_ARGS      16
#define PID_BADGE_MAX (1u << 31)
#define KILLED	      (0x200 | 9)
#define POLL_US	      100000 /* deaths nobody told us of: see watch() */

_Static_assert(PROC_SLOT_ENV == CAP_FIRST_MODULE + METTA_MAX_MODULES,
	       "the environment's slots follow the module slots");

struct process procs[MAX_PROCS];
static int next_pid = 1;

int proc_next_pid(void)
{
	return next_pid++;
}

int proc_next_started(void)
{
	return next_pid - 1; /* pids are never reused */
}
static uint32_t watcher, jobs;
uint32_t proc_deaths;
static const struct metta_bootinfo *boot =
    (const struct metta_bootinfo *)INFO_VA;
static uint8_t watcher_stack[16384] __attribute__((aligned(16)));
static uint8_t worker_stack[16384] __attribute__((aligned(16)));
static uint8_t alarm_stack[16384] __attribute__((aligned(16)));

/* The namespace init starts with (runtime/ns.c has the syntax): the root
 * file system (ramfs's tree, or the disk's: root_ns), the devices as a
 * union in /dev, POSIX shared memory in ramfs's /dev/shm (shm_open: its
 * files are memory, P9_MEMORY), the PCI devices in /dev/pci, the services
 * in /srv, the processes in /proc and the network in /net. Children
 * start with their parent's. */
static const char ramfs_root_ns[] = "mount -c ramfs /\n";
/* With a disk, /tmp stays in ramfs: scratch files gone at power-off, as a
 * tmpfs /tmp on Linux. */
static const char disk_root_ns[] = "mount -c %s /\n"
				   "mount -c ramfs /tmp /tmp\n";
static const char devices_ns[] = "mount cons /dev\n"
				 "mount -a random /dev\n"
				 "mount -a tod /dev\n"
				 "mount -a log /dev\n"
				 "mount -a vdisk /dev\n"
				 "mount -c ramfs /dev/shm /dev/shm\n"
				 "mount pci /dev/pci\n"
				 "mount names /srv\n"
				 "mount proc /proc\n"
				 "mount net /net\n";

struct process *proc_by_pid(int pid)
{
	for (int i = 0; pid > 0 && i < MAX_PROCS; i++)
		if (procs[i].state != PROC_FREE && procs[i].pid == pid)
			return &procs[i];
	return 0;
}

/* The live process a request comes from (its capability's badge), or 0. */
struct process *proc_caller(const struct server_call *c)
{
	struct process *p =
	    c->badge < PID_BADGE_MAX ? proc_by_pid((int)c->badge) : 0;
	return p && p->state == PROC_LIVE ? p : 0;
}

/* ---- programs: boot modules and files ---- */

/* A boot module the root nester handed over (its slot holds it). */
static int find_module(const char *name)
{
	for (uint64_t i = 0; i < boot->nmodules && i < METTA_MAX_MODULES; i++)
		if (!strcmp(boot->modules[i].name, name) &&
		    metta_cap_info(CAP_FIRST_MODULE + (uint32_t)i) >= 0)
			return (int)i;
	return -1;
}

/* The POSIX runtime's image, mapped once: Linux programs need it. */
static const void *runtime_image(uint64_t *size)
{
	static int mapped = -1;
	int m = find_module("runtime");
	if (m < 0)
		return 0;
	*size = boot->modules[m].size;
	if (mapped < 0)
		mapped = metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m,
				       0, RUNTIME_VA, (*size + 4095) / 4096,
				       RIGHT_READ) == 0;
	return mapped ? (const void *)RUNTIME_VA : 0;
}

/* The program's image: a file for an absolute path, else a module. */
static long image_of(const char *program, const void **image, uint64_t *size,
		     const char **why)
{
	if (program[0] == '/')
		return proc_file_read(program, image, size, why);
	int m = find_module(program);
	*why = "no such program";
	if (m < 0)
		return STATUS_ERR_NOENT;
	*size = boot->modules[m].size;
	*image = (const void *)MODULE_VA;
	*why = "cannot map it";
	return metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m, 0,
			     MODULE_VA, (*size + 4095) / 4096, RIGHT_READ);
}

static void image_done(const char *program)
{
	if (program[0] == '/')
		proc_file_done();
	else
		metta_mem_unmap(CAP_SELF, MODULE_VA);
}

/* ---- the table ---- */

/* Forgets a process for good: its record, its pid, our capabilities. */
void proc_reap(struct process *p)
{
	procfs_forget(p->pid);
	proc_signals_end(p);
	metta_cap_delete(p->domain);
	metta_cap_delete(p->thread);
	memset(p, 0, sizeof(*p));
}

struct process *proc_new_record(void)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_FREE)
			return &procs[i];
	return 0;
}

/* Its program: the file (exe), the name it was started by (comm is its
 * last part, as Linux's), and the arguments (cmdline). */
static void set_program(struct process *p, const char *exe, const char *name,
			int argc, const char *const *argv)
{
	const char *base = name;
	for (const char *s = name; *s; s++)
		if (*s == '/')
			base = s + 1;
	fmt_snprintf(p->comm, sizeof(p->comm), "%s", base);
	fmt_snprintf(p->exe, sizeof(p->exe), "%s", exe);
	p->cmdline_len = 0;
	for (int i = 0; i < argc; i++) {
		uint32_t k = (uint32_t)strlen(argv[i]) + 1;
		if (p->cmdline_len + k > sizeof(p->cmdline))
			break;
		memcpy(p->cmdline + p->cmdline_len, argv[i], k);
		p->cmdline_len += k;
	}
}

/* Fills a new record: pid, parent, names, arguments, namespace. */
static void describe(struct process *p, int ppid, int argc,
		     const char *const *argv, const char *ns)
{
	p->pid = proc_next_pid();
	p->ppid = ppid;
	struct process *parent = proc_by_pid(ppid);
	memcpy(p->cwd, parent ? parent->cwd : "/", parent ? CWD_MAX : 2);
	p->start_ns = (uint64_t)metta_clock();
	fmt_snprintf(p->ns, sizeof(p->ns), "%s", ns);
	set_program(p, argv[0], argv[0], argc, argv);
}

/* The capabilities every process gets: the environment the root nester
 * gave us (PROC_SLOT_ENV + slot), and our portal badged with its pid. */
long proc_give_environment(const struct process *p)
{
	for (uint32_t s = CAP_TTY; s <= CAP_LOG; s++)
		if (s != CAP_NESTER && metta_cap_info(PROC_SLOT_ENV + s) >= 0)
			metta_cap_give(p->domain, PROC_SLOT_ENV + s, s,
				       RIGHT_CALL | RIGHT_GRANT);
	/* A slot of its own each time: an empty slot kept for later could
	 * be handed out meanwhile by metta_slot_alloc. */
	uint32_t badged = metta_slot_alloc();
	long rc = metta_cap_copy(PORTAL, badged, RIGHT_CALL | RIGHT_GRANT,
				 (uint64_t)p->pid);
	if (rc == 0)
		rc = metta_cap_give(p->domain, badged, CAP_NESTER, RIGHT_CALL);
	metta_cap_delete(badged);
	return rc;
}

/*
 * Starts program argv[0] (a boot module, or an absolute path in the file
 * tree) as a process, child of ppid (0: none), with namespace ns. Returns
 * the new process, or 0 with *rc set; a refusal is logged with the reason.
 */
static struct process *start(int ppid, int argc, const char *const *argv,
			     const char *ns, uint64_t quota, long *rc)
{
	struct process *p = proc_new_record();
	const void *image;
	uint64_t size;
	const char *why = "the process table is full";
	*rc = STATUS_ERR_QUOTA;
	if (p && (*rc = image_of(argv[0], &image, &size, &why)) == 0) {
		struct elf_image img;
		struct metta_spawn a = { .argc = argc,
					 .argv = argv,
					 .class = METTA_CLASS_APPLICATION,
					 .prio = METTA_PRIO_NORM,
					 .quota = quota,
					 .ns = ns };
		a.runtime = runtime_image(&a.runtime_size);
		p->native =
		    elf_parse(image, size, USER_TOP, &img) == 0 && img.native;
		p->domain = metta_slot_alloc();
		p->thread = metta_slot_alloc();
		*rc = metta_spawn(image, size, &a, p->domain, p->thread, &why);
		image_done(argv[0]);
	}
	if (*rc) {
		metta_printf("proc: cannot start %s: %s (%s)", argv[0],
			     status_text((int)*rc), why);
		return 0;
	}
	struct metta_domain_info d;
	metta_domain_info(p->domain, &d);
	p->domain_id = d.id;
	p->state = PROC_LIVE;
	describe(p, ppid, argc, argv, ns);
	proc_signals_init(p);
	struct process *parent = proc_by_pid(ppid);
	if (parent) { /* a child is in its parent's group and session */
		p->pgid = parent->pgid;
		p->sid = parent->sid;
	}
	if ((*rc = proc_give_environment(p)) ||
	    (*rc =
		 metta_domain_watch(p->domain, proc_deaths, 1ull << (p - procs))) ||
	    (*rc = metta_thread_ctl(p->thread, THREAD_START, 0))) {
		metta_printf("proc: cannot start %s: %s (setting it up)",
			     argv[0], status_text((int)*rc));
		metta_domain_kill(p->domain, *rc);
		proc_reap(p);
		return 0;
	}
	return p;
}

/*
 * A process ended: it is a zombie until its parent collects it (wait), or
 * at once when nobody will: its parent is gone, is a native program, or
 * ignores SIGCHLD (SIG_IGN: Linux reaps such a parent's children).
 * Its own children pass to init (their zombies with them); a child its
 * parent never started dies with it.
 */
static void ended(struct process *p)
{
	struct metta_domain_info d;
	metta_domain_info(p->domain, &d);
	p->state = PROC_ZOMBIE;
	p->exit_status = proc_linux_status(d.exit_status);
	if (p->pid == 1) {
		uint64_t w[4] = { NESTER_POWEROFF };
		metta_printf("proc: init ended with status %ld; powering off",
			     d.exit_status);
		metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
	}
	for (int i = 0; i < MAX_PROCS; i++) {
		struct process *c = &procs[i];
		if (c->state == PROC_FREE || c->ppid != p->pid)
			continue;
		if (c->forking || c->state == PROC_ZOMBIE) {
			if (c->state == PROC_LIVE)
				metta_domain_kill(c->domain, KILLED);
			proc_reap(c);
			continue;
		}
		/* init adopts it, and collects it at once when it ends (an
		 * init that is a shell waits only for its own jobs). */
		c->ppid = 1;
		c->orphan = 1;
	}
	struct process *parent = proc_by_pid(p->ppid);
	if (!parent || parent->state != PROC_LIVE || parent->native ||
	    p->orphan) {
		proc_reap(p);
		return;
	}
	if (proc_discards_children(parent)) { /* no zombie, no SIGCHLD */
		proc_reap(p);
		proc_waits_recheck(parent->pid); /* ECHILD when none is left */
		return;
	}
	proc_child_ended(p); /* SIGCHLD, before a wait may reap it */
	proc_child_changed(p);
}

/* ---- the nester service (NESTER_*) ---- */

/* A request's strings ("a\0b\0...", the last NUL included) into v[max]:
 * their count, or -1 when the data is not such a list. */
static int unpack(const struct server_call *c, const char **v, int max)
{
	int n = 0;
	if (c->len == 0 || c->data[c->len - 1] != 0)
		return -1;
	for (uint64_t at = 0; at < c->len && n < max;) {
		v[n++] = (const char *)c->data + at;
		at += strlen((const char *)c->data + at) + 1;
	}
	return n;
}

static long op_spawn(struct server_call *c)
{
	const char *argv[MAX_ARGS];
	struct process *parent = proc_caller(c);
	if (!parent)
		return STATUS_ERR_DENIED;
	int argc = unpack(c, argv, MAX_ARGS);
	if (argc < 0)
		return STATUS_ERR_INVAL;
	static char ns[NS_TEXT]; /* the parent's: its record may move */
	memcpy(ns, parent->ns, sizeof(ns));
	long rc;
	struct process *p = start(parent->pid, argc, argv, ns, APP_QUOTA, &rc);
	if (!p)
		return rc;
	c->cap_out = p->domain;
	c->w[1] = (uint64_t)p->pid;
	return STATUS_OK;
}

/* A program's runtime tells us its namespace changed; with w1 = 1 its
 * parent takes it too (the bind and mount commands change their shell's). */
static long op_setns(struct server_call *c)
{
	struct process *p = proc_caller(c);
	if (!p || c->len >= NS_TEXT)
		return STATUS_ERR_INVAL;
	struct process *parent = c->w[1] ? proc_by_pid(p->ppid) : 0;
	memcpy(p->ns, c->data, c->len);
	p->ns[c->len] = 0;
	if (parent) {
		memcpy(parent->ns, p->ns, sizeof(p->ns));
		sig_ns_changed(parent);
	}
	return STATUS_OK;
}

/* The caller's runtime replaced its program (execve): data is
 * "file\0name\0arg\0arg...", the last NUL included. */
static long op_exec(struct server_call *c)
{
	const char *v[MAX_ARGS + 2];
	struct process *p = proc_caller(c);
	if (!p)
		return STATUS_ERR_DENIED;
	int n = unpack(c, v, MAX_ARGS + 2);
	if (n < 2)
		return STATUS_ERR_INVAL;
	set_program(p, v[0], v[1], n - 2, v + 2);
	p->execed = 1;
	return STATUS_OK;
}

/* The caller's current directory changed (/proc/N/cwd); one too long
 * for the record is shown as "/". */
static long op_setcwd(struct server_call *c)
{
	struct process *p = proc_caller(c);
	if (!p)
		return STATUS_ERR_DENIED;
	if (c->len == 0 || c->data[c->len - 1] != 0 || c->data[0] != '/')
		return STATUS_ERR_INVAL;
	if (c->len > sizeof(p->cwd))
		strcpy(p->cwd, "/");
	else
		memcpy(p->cwd, c->data, c->len);
	return STATUS_OK;
}

/* Who the caller is: its pid and its parent's (getpid, getppid). */
static long op_identity(struct server_call *c)
{
	struct process *p = proc_caller(c);
	if (!p)
		return STATUS_ERR_DENIED;
	c->w[1] = (uint64_t)p->pid;
	c->w[2] = (uint64_t)p->ppid;
	return STATUS_OK;
}

/* The root nester's table (itself and the servers), then our processes. */
static long op_domains(struct server_call *c)
{
	uint64_t w[4] = { NESTER_DOMAINS }, n = 0;
	long rc = metta_request(PROC_SLOT_NESTER, w, 0, 0, c->reply, SERVER_BUF,
				&n, 0, 0);
	if (rc)
		return rc;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct metta_domain_info d;
		if (procs[i].state != PROC_LIVE ||
		    metta_domain_info(procs[i].domain, &d) || d.dead)
			continue;
		n += (uint64_t)fmt_snprintf(
		    (char *)c->reply + n, SERVER_BUF - n,
		    "%4ld  %-12s %-11s %-4s %10lu %10lu %7ld  %s\n", d.id,
		    procs[i].comm, "application", "norm", d.quota_used,
		    d.quota_limit, d.threads, "proc");
	}
	c->reply_len = n;
	return STATUS_OK;
}

/* One of our processes by domain id, or else the root nester's. */
static long op_kill(struct server_call *c)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_LIVE &&
		    (uint64_t)procs[i].domain_id == c->w[1])
			return metta_domain_kill(procs[i].domain, KILLED);
	uint64_t w[4] = { NESTER_KILL, c->w[1] };
	return metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
}

/* Power-off and reboot: the root nester's to do. */
static long op_power(struct server_call *c)
{
	uint64_t w[4] = { c->w[0] == NESTER_REBOOT ? NESTER_REBOOT
						  : NESTER_POWEROFF };
	return metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
}

/* mount(2) of a disk's file system: the root nester starts its server
 * (proc has no device to give it); the reply is the server's name. */
static long op_mountfs(struct server_call *c)
{
	if (!proc_caller(c))
		return STATUS_ERR_DENIED;
	uint64_t w[4] = { NESTER_MOUNTFS, c->w[1] };
	long rc = metta_request(PROC_SLOT_NESTER, w, c->data, c->len, c->reply,
				SERVER_BUF, &c->reply_len, 0, 0);
	if (rc)
		c->reply_len = 0;
	return rc;
}

/* Our watcher's word: these records' domains died. */
static long op_deaths(struct server_call *c)
{
	if (c->badge != WATCH_BADGE)
		return STATUS_ERR_DENIED;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct metta_domain_info d;
		if ((c->w[1] >> i & 1) && procs[i].state == PROC_LIVE &&
		    metta_domain_info(procs[i].domain, &d) == 0 && d.dead)
			ended(&procs[i]);
	}
	return STATUS_OK;
}

/* Our timer thread's word: some alarm is due. */
static long op_alarms(struct server_call *c)
{
	return c->badge == WATCH_BADGE ? sig_op_alarms(c) : STATUS_ERR_DENIED;
}

/*
 * Waits for deaths and reports them to the server thread, which alone
 * changes the table. A domain has one watcher in the nucleus, and a
 * parent that watches its child (msh does) displaces ours: so every
 * POLL_US without news, every record is checked (op_deaths looks at
 * domain_info, so a report of a live one changes nothing).
 */
static void watch(void)
{
	for (;;) {
		long bits =
		    metta_event_wait(proc_deaths, (1ull << MAX_PROCS) - 1, POLL_US);
		uint64_t w[4] = { NESTER_DEATHS, (uint64_t)bits };
		if (bits == STATUS_ERR_TIMEOUT)
			w[1] = (1ull << MAX_PROCS) - 1;
		else if (bits <= 0)
			continue;
		metta_request(watcher, w, 0, 0, 0, 0, 0, 0, 0);
	}
}

/* The portal's notice thread: a held wait's caller was interrupted; the
 * server thread alone changes the table, so it is told. */
static void wait_cancelled(uint64_t cookie)
{
	uint64_t w[4] = { NESTER_CANCELLED, cookie };
	metta_request(watcher, w, 0, 0, 0, 0, 0, 0, 0);
}

/* init: argv after our own (root's init=); an absolute path is a file in
 * the tree, anything else a boot module. */
static void start_init(int argc, char **argv)
{
	static char ns[sizeof(disk_root_ns) + sizeof(devices_ns) + 32];
	long rc;
	/* root=SERVICE first (root nester's choice): the root file system. */
	if (argc >= 2 && !strncmp(argv[1], "root=", 5)) {
		const char *service = argv[1] + 5;
		int n = fmt_snprintf(ns, sizeof(ns), disk_root_ns, service);
		fmt_snprintf(ns + n, sizeof(ns) - (uint64_t)n, "%s", devices_ns);
		argc--, argv++;
	} else {
		fmt_snprintf(ns, sizeof(ns), "%s%s", ramfs_root_ns, devices_ns);
	}
	if (argc < 2)
		return;
	if (!start(0, argc - 1, (const char *const *)argv + 1, ns,
		   INIT_QUOTA, &rc)) {
		uint64_t w[4] = { NESTER_POWEROFF };
		metta_printf("proc: no init program: %s; powering off",
			     status_text((int)rc));
		metta_request(PROC_SLOT_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
	}
}

/*
 * The worker: a server thread that calls another server while it holds a
 * call would lose its own caller (the nucleus keeps one partner per
 * thread), so requests that call out (to ramfs, to the root nester) run
 * on the worker while the server thread waits for it on an event.
 */
#define JOB_GO	 1
#define JOB_DONE 2
static const server_op work[] = {
	[NESTER_SPAWN] = op_spawn,   [NESTER_DOMAINS] = op_domains,
	[NESTER_KILL] = op_kill,     [NESTER_POWEROFF] = op_power,
	[NESTER_REBOOT] = op_power,
	[NESTER_DEATHS] = op_deaths, [NESTER_MOUNTFS] = op_mountfs,
};
static struct server_call *job;
static long job_status;

static void worker(void)
{
	for (;;) {
		if (metta_event_wait(jobs, JOB_GO, 0) <= 0)
			continue;
		job_status = work[job->w[0]](job);
		metta_event_signal(jobs, JOB_DONE);
	}
}

static long by_worker(struct server_call *c)
{
	job = c;
	metta_event_signal(jobs, JOB_GO);
	while (metta_event_wait(jobs, JOB_DONE, 0) <= 0)
		;
	return job_status;
}

static const server_op ops[] = {
	[NESTER_SPAWN] = by_worker,	[NESTER_DOMAINS] = by_worker,
	[NESTER_KILL] = by_worker,	[NESTER_POWEROFF] = by_worker,
	[NESTER_REBOOT] = by_worker,	[NESTER_MOUNTFS] = by_worker,
	[NESTER_SETNS] = op_setns,	[NESTER_DEATHS] = by_worker,
	[NESTER_IDENTITY] = op_identity, [NESTER_EXEC] = op_exec,
	[NESTER_SETCWD] = op_setcwd,
	[NESTER_FORK] = fork_op_fork,	[NESTER_FORK_START] = fork_op_start,
	[NESTER_WAIT] = fork_op_wait,	[NESTER_CANCELLED] = fork_op_cancelled,
	[NESTER_SIGNAL] = sig_op_signal, [NESTER_SETPGID] = sig_op_setpgid,
	[NESTER_SETSID] = sig_op_setsid, [NESTER_GETPGID] = sig_op_getpgid,
	[NESTER_GETSID] = sig_op_getsid, [NESTER_STOP] = sig_op_stop,
	[NESTER_ALARM] = sig_op_alarm,	[NESTER_ALARMS] = op_alarms,
	[NESTER_GETPRIORITY] = prio_op_get,
	[NESTER_SETPRIORITY] = prio_op_set,
	[P9_RPC] = procfs_op_rpc,	[P9_CONNECT] = procfs_op_connect,
	[P9_HANGUP] = procfs_op_hangup,	[P9_STATS] = p9_portal_op_stats,
};

static void alarms(void)
{
	proc_alarm_thread(watcher);
}

/* A thread of ours (running) on its own stack. */
static long run_thread(void (*fn)(void), uint8_t *stack)
{
	uint32_t t = metta_slot_alloc();
	long rc =
	    metta_thread_create(CAP_SELF, t, (uint64_t)fn,
				(uint64_t)stack + 16384 - 8, METTA_PRIO_HIGH);
	return rc ? rc : metta_thread_ctl(t, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	static const struct server srv = { PORTAL, ops,
					   sizeof(ops) / sizeof(ops[0]) };
	proc_deaths = metta_slot_alloc();
	watcher = metta_slot_alloc();
	jobs = metta_slot_alloc();
	if (metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) ||
	    metta_event_create(proc_deaths) || metta_event_create(jobs) ||
	    metta_cap_copy(PORTAL, watcher, RIGHT_CALL, WATCH_BADGE) ||
	    run_thread(watch, watcher_stack) ||
	    run_thread(worker, worker_stack) || proc_alarms_init() ||
	    run_thread(alarms, alarm_stack)) {
		metta_printf("proc: cannot set up");
		return 1;
	}
	procfs_init(PORTAL);
	p9_portal_on_cancel(wait_cancelled);
	start_init(argc, argv);
	server_run(&srv);
}
