/*
 * Everything the runtime knows about its process, in one structure: its
 * descriptors and open files, names (cwd, umask, the program's path), the
 * namespace and its connections, the memory map, signal state, identity
 * and limits. A fork copies this one thing (and a checkpoint would save
 * it); nothing else in the runtime outlives a call, except scratch
 * buffers (ns.c's 9P message buffers) and the log's "told once" marks.
 */
#ifndef RUNTIME_STATE_H
#define RUNTIME_STATE_H

#include <9p/portal.h>
#include <metta/proto.h>

#include "fd.h"

#include <runtime/call_handlers.h>

#define MAX_CONNS   16
#define MAX_MOUNTS  32
#define SPATH_MAX   256
#define MAX_REGIONS 200
#define MAX_DIRBUFS 8
#define NSIG	    64

/* A connection to a service, made on first use (ns.c). */
struct conn {
	char service[NAMES_MAX_NAME + 1];
	uint32_t service_slot, slot;
	int up;
	int no_direct; /* the server has no P9_READ, P9_WRITE (file9p.c) */
	/* Its readers' clunks may wait for the next batch (ns.c,
	 * P9_BATCH_QUIET_CLUNK), and those waiting. */
	int quiet_clunk, nlater;
	uint32_t later[P9C_LATER];
	struct p9c c;
	uint32_t rootfid;
};

/* One source of a mount: a directory of a service (ns.c). */
struct src {
	struct conn *c;
	char spath[SPATH_MAX];
	int create;
};

/* A mount point and its union of sources, searched in order (ns.c). */
struct mnt {
	char path[SPATH_MAX];
	size_t len; /* strlen(path): every lookup compares with each */
	int n;
	struct src s[NS_MAX_UNION];
};

/* A mapping of the domain (mem.c). */
struct region {
	uint64_t start, end;
	int prot;     /* LX_PROT_* */
	uint32_t mem; /* our memory object's slot, 0: not ours to change */
	uint64_t off; /* its first page's offset (pages) in mem */
	int shared;   /* MAP_SHARED: fork shares it, else copies */
	int anon;     /* zero-filled memory (no file's): private, discardable */
};

struct lx_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* A descriptor: its open file (index + 1 in the shared files, 0: none)
 * and its close-on-exec flag. */
struct fd_slot {
	uint8_t file;
	uint8_t cloexec;
};
_Static_assert(MAX_FILES < 256, "a descriptor holds a file's index");

/*
 * A process's descriptors. They live in the shared state (below) so that
 * when a process ends without its runtime (SIGKILL, or a terminating
 * signal whose default the process server takes itself) another process
 * can let go of the open files it held: its parent when it reaps it
 * (wait4, waitid), or any process of the group that runs out of tables
 * or open files and finds the owner gone (fd.c).
 */
struct fd_table {
	int32_t owner; /* its process's pid, or one of FDT_* */
	struct fd_slot fds[MAX_FDS];
	/* The process's sched_setaffinity mask (proc.c; 0: every CPU), here
	 * so that the processes of a fork group see each other's (`taskset
	 * -p` of the shell from a pipeline); kept by fork and exec. */
	uint64_t affinity;
	/* Fids the process keeps open for reopening them (opencache.c),
	 * here so that whoever frees the table clunks them. */
	struct loc parked[OC_N];
};
#define FDT_FREE  0
#define FDT_BUSY  (-1) /* being claimed or released */
#define FDT_ALONE (-2) /* a process that never forked: its pid not asked */
#define MAX_FD_TABLES 128

/*
 * What a process shares with every process forked from it (and they with
 * theirs): the open files, whose offsets and status flags Linux shares
 * across fork, their directory buffers, and the counters every
 * connection's fids and 9P tags come from, since the connections are
 * shared too (the same capabilities, so the same server-side fids). One
 * memory object at RT_SHARED_VA, made at start, handed on by fork as
 * shared memory; counts and counters change atomically, so no lock.
 */
struct shared_state {
	uint32_t nextfid; /* the next fid, on any connection */
	uint32_t nexttag; /* the next 9P tag (mod P9_NOTAG) */
	uint32_t nextns;  /* namespace ids (opencache.c) */
	struct ofile files[MAX_FILES];
	struct dirbuf dirbufs[MAX_DIRBUFS];
	struct fd_table tables[MAX_FD_TABLES];
};
#define RT_SHARED_VA 0x00007ff000000000ull /* above mmap, below the stack */
#define rt_shared    ((struct shared_state *)RT_SHARED_VA)

struct rt_proc {
	/* Our descriptors (in the shared state) name open files, which are
	 * shared (rt_shared, fd.c); a raw channel's reply waits for its
	 * read (chan.c). */
	struct fd_table *fdt;
	const struct ofile *chan_owner;
	uint64_t chan_len;
	uint8_t chan_reply[P9_PORTAL_MSIZE];

	/* Names. */
	char cwd[RT_PATH_MAX];
	uint32_t umask;

	/* The namespace (ns.c). */
	struct conn conns[MAX_CONNS];
	struct mnt mnts[MAX_MOUNTS];
	int nmnts;

	/* Memory (mem.c) and the thread pointer (proc.c). */
	struct region regions[MAX_REGIONS];
	int nregions;
	uint64_t brk_start, brk_cur, brk_mapped, mmap_next;

	/* Signals (signal.c): the actions (the masks and the rest are each
	 * thread's, thread.h). Signals pending for the process are in the
	 * page proc shares with us (RT_SIGPAGE_VA). */
	struct lx_sigaction actions[NSIG + 1];

	/* Identity and limits (proc.c). pid 0: not asked yet. */
	long pid, ppid;
	char exe[RT_PATH_MAX]; /* the program's path: /proc/self/exe */
	char comm[16];	       /* prctl's PR_SET_NAME, NUL-terminated */
	struct lx_rlimit rlimits[LX_RLIM_NLIMITS];
	int64_t tod_base; /* seconds since 1970 at clock 0, -1: not asked */
};

extern struct rt_proc rt;

#endif
