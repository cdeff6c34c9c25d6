/*
 * The process server's table of processes, shared by its nester service
 * (proc.c), its /proc tree (procfs.c) and the program reader (file.c).
 * Everything here is touched by the one server thread only: deaths reach
 * it as calls from the watcher thread (PROC_DEATHS), so nothing is locked.
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include <metta/abi.h>
#include <stdint.h>

#define MAX_PROCS   63 /* one death-event bit each (bit 63 is no event's) */
#define NS_TEXT	    2048
#define CMDLINE_MAX 256
#define EXE_MAX	    128
#define CWD_MAX	    256
#define WATCH_BADGE (1ull << 61) /* our own watcher thread's capability */

enum proc_state { PROC_FREE, PROC_LIVE, PROC_ZOMBIE };

struct process {
	enum proc_state state;
	int pid, ppid;
	int native;		   /* a Metta program (no POSIX runtime) */
	int forking;		   /* forked, its parent still filling it */
	int orphan;		   /* its parent ended: init adopted it */
	uint32_t domain, thread;   /* our CONTROL capabilities */
	int64_t domain_id;	   /* the nucleus's id (domains, kill) */
	int64_t exit_status;	   /* a zombie's */
	uint64_t start_ns;	   /* metta_clock() at its start */
	char comm[16];		   /* the last part of argv[0], as Linux's */
	char exe[EXE_MAX];	   /* the program: a path or a boot module */
	char cmdline[CMDLINE_MAX]; /* argv, each ending in NUL */
	uint32_t cmdline_len;
	char ns[NS_TEXT]; /* its namespace, as its runtime last said */
	char cwd[CWD_MAX]; /* its current directory, as its runtime said */

	/* Signals, groups and sessions (signal.c). A fork copies pgid and
	 * sid from the parent after proc_signals_init. */
	int pgid, sid;
	int execed;		 /* it ran execve (setpgid on it is EACCES) */
	int stopped;		 /* by a stop signal, until SIGCONT */
	int report;		 /* a wait status for its parent, 0: none */
	uint32_t sigmem;	 /* its signal page (RT_SIGPAGE_VA), ours */
	uint64_t alarm_ns;	 /* metta_clock() of its SIGALRM, 0: none */
	uint64_t alarm_every_ns; /* setitimer's interval */

	/* Its nice value (priority.c): -20..19; a fork copies it. */
	int nice;
};

extern struct process procs[MAX_PROCS];

/* The live or zombie process with this pid, or 0. */
struct process *proc_by_pid(int pid);

/* Table keeping (proc.c): a free record, one forgotten for good, the
 * capabilities every process gets, and the process a request comes from
 * (by its capability's badge), or 0. */
struct server_call;
struct process *proc_new_record(void);
int proc_next_pid(void);
/* How many processes were started since boot. */
int proc_next_started(void);
void proc_reap(struct process *p);
long proc_give_environment(const struct process *p);
struct process *proc_caller(const struct server_call *c);
/* The death-event bit of a record (proc.c's watcher). */
extern uint32_t proc_deaths;

/*
 * fork and wait (fork.c): NESTER_FORK, NESTER_FORK_START, NESTER_WAIT
 * and its cancellation. proc_child_changed tells a waiting parent that p
 * ended, stopped or continued (p->report); it may reap p. proc_orphaned:
 * p's parent ended before starting it.
 */
long fork_op_fork(struct server_call *c);
long fork_op_start(struct server_call *c);
long fork_op_wait(struct server_call *c);
long fork_op_cancelled(struct server_call *c);
void proc_child_changed(struct process *p);
/* A waiting pid's held waits looked at again (a child of it went). */
void proc_waits_recheck(int pid);
/* The Linux wait status of a zombie (from its domain's exit status). */
int proc_wait_status(const struct process *p);
/*
 * Signals (signal.c). proc_signals_init gives a new process (started or
 * forked) its signal page and leaves it in its own group and session;
 * the caller then sets pgid and sid when the process inherits them.
 * proc_signals_end undoes it when the record goes. proc_signal sends one
 * signal (SI_KERNEL; SIGCHLD as CLD_EXITED) to one live process;
 * proc_child_ended sends SIGCHLD to a dead child's parent (CLD_EXITED or
 * CLD_KILLED from its exit_status, si_pid the child's).
 * proc_child_changed tells a waiting parent that p stopped or went on
 * (p->report); wait's code provides it.
 */
void proc_signals_init(struct process *p);
/* A fork's child (after proc_signals_init): its parent's group, session,
 * and what the parent's runtime blocks, handles and ignores, so that no
 * signal takes a default the child's runtime would not (its runtime is a
 * copy of the parent's); no pending signal, no alarm. */
void proc_signals_inherit(struct process *child, const struct process *parent);
void proc_signals_end(struct process *p);
void proc_signal(struct process *p, int sig);
void proc_child_ended(struct process *child);
/*
 * The exit status a domain ended with, as a Linux process's: a fault the
 * nucleus ended it for is death by the signal Linux sends for it (a page
 * fault SIGSEGV; SIGBUS when the page touched could not be had, its quota
 * or the machine's memory spent, as Linux's SIGBUS for a page it cannot
 * provide; #UD SIGILL, #DE SIGFPE...). Any other status is unchanged.
 */
int64_t proc_linux_status(int64_t status);
/* Whether p's children are reaped as they end, unwaited for: its SIGCHLD
 * is SIG_IGN (Linux's rule; SA_NOCLDWAIT is not told to us). */
int proc_discards_children(const struct process *p);
long sig_op_signal(struct server_call *c);
/* p's runtime is to read its namespace again (a child gave it its own). */
void sig_ns_changed(struct process *p);
long sig_op_setpgid(struct server_call *c);
long sig_op_setsid(struct server_call *c);
long sig_op_getpgid(struct server_call *c);
long sig_op_getsid(struct server_call *c);
long sig_op_stop(struct server_call *c);
long sig_op_alarm(struct server_call *c);
long sig_op_alarms(struct server_call *c);
/* The timer thread's body: calls `portal` (NESTER_ALARMS) when due. */
void proc_alarm_thread(uint32_t portal);
int proc_alarms_init(void);

/* getpriority and setpriority (priority.c): NESTER_GETPRIORITY and
 * NESTER_SETPRIORITY. */
long prio_op_get(struct server_call *c);
long prio_op_set(struct server_call *c);

/* The pid the current 9P request comes from (by its connection), or 0. */
extern int proc_asking;

/*
 * /proc (procfs.c): served by the 9P operations of our portal, which
 * note whose each connection is (a process's badged capability) and set
 * proc_asking for each request. procfs_forget drops a gone pid's.
 */
void procfs_init(uint32_t portal);
long procfs_op_rpc(struct server_call *c);
long procfs_op_connect(struct server_call *c);
long procfs_op_hangup(struct server_call *c);
void procfs_forget(int pid);

/*
 * The program at absolute path `path` in the file tree, read over 9P into
 * memory mapped at *image (file.c): 0 and its size, or a negative status
 * with a reason in *why. proc_file_done unmaps it.
 */
long proc_file_read(const char *path, const void **image, uint64_t *size,
		    const char **why);
void proc_file_done(void);

#endif
