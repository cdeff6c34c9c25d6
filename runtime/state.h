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
	struct p9c c;
	uint32_t rootfid, nextfid;
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
	int n;
	struct src s[NS_MAX_UNION];
};

/* A mapping of the domain (mem.c). */
struct region {
	uint64_t start, end;
	int prot;     /* LX_PROT_* */
	uint32_t mem; /* our memory object's slot, 0: not ours to change */
	uint64_t off; /* its first page's offset (pages) in mem */
};

struct lx_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct fd_slot {
	struct ofile *f;
	int cloexec;
};

struct rt_proc {
	/* Descriptors point at open files (fd.c); directory reads buffer
	 * raw entries (dir.c); a raw channel's reply waits for its read
	 * (chan.c). */
	struct fd_slot fds[MAX_FDS];
	struct ofile files[MAX_FILES];
	struct dirbuf dirbufs[MAX_DIRBUFS];
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
	uint64_t fs_base;

	/* Signals: recorded, not yet delivered (signal.c). */
	struct lx_sigaction actions[NSIG + 1];
	uint64_t sigmask;

	/* Identity and limits (proc.c). pid 0: not asked yet. */
	long pid, ppid;
	char exe[RT_PATH_MAX]; /* the program's path: /proc/self/exe */
	char comm[16];	       /* prctl's PR_SET_NAME, NUL-terminated */
	struct lx_rlimit rlimits[LX_RLIM_NLIMITS];
	uint64_t robust_list, robust_len; /* set_robust_list: recorded */
	uint64_t clear_tid;		  /* set_tid_address: recorded */
	int64_t tod_base; /* seconds since 1970 at clock 0, -1: not asked */
};

extern struct rt_proc rt;

#endif
