/*
 * Nice values: Linux's getpriority and setpriority over the process
 * table (NESTER_GETPRIORITY, NESTER_SETPRIORITY in metta/proto.h). Each
 * process's nice value is kept here, where every process can be named:
 * a fork's child has its parent's, an exec keeps it, and /proc/N/stat
 * shows it (priority and nice). The scheduler does not use it yet: a
 * domain's priority is fixed when the domain is made.
 */
#include <metta/proto.h>
#include <metta/status.h>
#include <server/server.h>

#include "proc.h"

#define NICE_MIN (-20)
#define NICE_MAX 19

/* Whether p is among the processes `which` and `who` name for me. There
 * is one user, root (uid 0): PRIO_USER names everyone or no one. */
static int named(const struct process *p, const struct process *me,
		 uint64_t which, int who)
{
	if (p->state == PROC_FREE)
		return 0;
	if (which == NESTER_PRIO_PROCESS)
		return p->pid == (who ? who : me->pid);
	if (which == NESTER_PRIO_PGRP)
		return p->pgid == (who ? who : me->pgid);
	return who == 0;
}

/* The caller, when which is one of Linux's three, or 0 with *rc set. */
static struct process *asker(struct server_call *c, long *rc)
{
	struct process *me = proc_caller(c);
	*rc = !me			   ? STATUS_ERR_DENIED
	      : c->w[1] > NESTER_PRIO_USER ? STATUS_ERR_INVAL
					   : STATUS_OK;
	return *rc ? 0 : me;
}

/* w1 which, w2 who: replies w1 the lowest nice value among them (the
 * highest priority, as Linux answers for several). */
long prio_op_get(struct server_call *c)
{
	long rc;
	struct process *me = asker(c, &rc);
	int found = 0, best = NICE_MAX;
	for (int i = 0; me && i < MAX_PROCS; i++)
		if (named(&procs[i], me, c->w[1], (int)c->w[2])) {
			found = 1;
			best = procs[i].nice < best ? procs[i].nice : best;
		}
	if (me && !found)
		rc = STATUS_ERR_NOENT;
	if (rc == STATUS_OK)
		c->w[1] = (uint64_t)(int64_t)best;
	return rc;
}

/* w1 which, w2 who, w3 the nice value (clamped, as Linux clamps it): root
 * may raise and lower it. */
long prio_op_set(struct server_call *c)
{
	long rc;
	struct process *me = asker(c, &rc);
	int64_t want = (int32_t)c->w[3];
	int nice = want < NICE_MIN   ? NICE_MIN
		   : want > NICE_MAX ? NICE_MAX
				     : (int)want;
	int found = 0;
	for (int i = 0; me && i < MAX_PROCS; i++)
		if (named(&procs[i], me, c->w[1], (int)c->w[2])) {
			found = 1;
			procs[i].nice = nice;
		}
	return me && !found ? STATUS_ERR_NOENT : rc;
}
