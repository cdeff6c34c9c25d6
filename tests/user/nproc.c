/*
 * Tests of the process server through its nester service, run from msh
 * (so this program is a process with a pid): 100 children spawned and
 * ended leave the process server's quota where it started; malformed
 * requests are refused and change nothing; signals to a Linux child (the
 * image's busybox sleep): stop and continue, default ends, group routing
 * and errors. `nproc child` just ends.
 */
#include <metta/signals.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "utest.h"

#define CHILD	  40
#define EVENTS	  41
#define UNBADGED  42 /* proc's portal from names, as the console has it */
#define ROUNDS	  100
#define SETTLE_MS 2000

/* The process server's quota in use, from the domains table, or 0. */
static uint64_t proc_quota_used(void)
{
	static char table[METTA_MSG_MAX_DATA];
	uint64_t w[4] = { NESTER_DOMAINS }, n = 0;
	if (metta_request(CAP_NESTER, w, 0, 0, table, sizeof(table) - 1, &n, 0,
			  0))
		return 0;
	table[n] = 0;
	/* "  ID  proc         server      high  USED  QUOTA ..." */
	for (char *line = table; *line;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		char *p = line;
		while (*p == ' ' || (*p >= '0' && *p <= '9'))
			p++;
		if (!strncmp(p, "proc ", 5)) {
			p += 5;
			while (*p && (*p < '0' || *p > '9'))
				p++;
			uint64_t used = 0;
			while (*p >= '0' && *p <= '9')
				used = used * 10 + (uint64_t)(*p++ - '0');
			return used;
		}
		line = *end ? end + 1 : end;
	}
	return 0;
}

/* Spawns `nproc child` and waits for it to end: 0 or why not. */
static long spawn_and_wait(void)
{
	static const char args[] = "nproc\0child";
	uint64_t w[4] = { NESTER_SPAWN };
	metta_cap_delete(CHILD);
	long rc =
	    metta_request(CAP_NESTER, w, args, sizeof(args), 0, 0, 0, 0, CHILD);
	if (rc)
		return rc;
	rc = metta_domain_watch(CHILD, EVENTS, 1);
	if (rc == 0)
		rc = metta_event_wait(EVENTS, 1, 0) == 1 ? 0 : STATUS_ERR_INVAL;
	metta_cap_delete(CHILD);
	return rc;
}

#define WARM_PAGES 16

static int hundred_children_leave_no_trace(void)
{
	UCHECK(metta_event_create(EVENTS) == 0, "event");
	/* Memory comes on first touch: a first child brings in the pages
	 * spawning touches, and a few table pages may come later; a leak
	 * of even a page per child would pass WARM_PAGES within 100. */
	UCHECK(spawn_and_wait() == 0, "the first child");
	metta_sleep(300000); /* reaped within proc's poll period */
	uint64_t before = proc_quota_used();
	UCHECK(before > 0, "no proc row in the domains table");
	for (int i = 0; i < ROUNDS; i++) {
		long rc = spawn_and_wait();
		UCHECK(rc == 0, "child %d: %s", i, status_text((int)rc));
		/* The process server reaps it when it learns of its death
		 * (within its poll period: our watch displaced its own). */
		uint64_t after = proc_quota_used();
		for (int ms = 0; after > before + WARM_PAGES * 4096 &&
				 ms < SETTLE_MS;
		     ms += 10) {
			metta_sleep(10000);
			after = proc_quota_used();
		}
		UCHECK(after <= before + WARM_PAGES * 4096,
		       "child %d: proc's quota use went %lu -> %lu", i, before,
		       after);
	}
	return 0;
}

static int bad_requests_refused(void)
{
	uint64_t before = proc_quota_used();
	uint64_t w[4] = { NESTER_SPAWN };
	UCHECK(metta_request(CAP_NESTER, w, "nproc", 5, 0, 0, 0, 0, CHILD) ==
		   STATUS_ERR_INVAL,
	       "arguments without their final NUL");
	w[0] = NESTER_SPAWN;
	UCHECK(metta_request(CAP_NESTER, w, "/no/such\0", 9, 0, 0, 0, 0,
			     CHILD) == STATUS_ERR_NOENT,
	       "a missing file");
	w[0] = NESTER_SPAWN;
	UCHECK(metta_request(CAP_NESTER, w, "/bin\0", 5, 0, 0, 0, 0, CHILD) ==
		   STATUS_ERR_DENIED,
	       "a directory");
	w[0] = NESTER_SPAWN;
	UCHECK(metta_request(CAP_NESTER, w, "/bin/notexec\0", 13, 0, 0, 0, 0,
			     CHILD) == STATUS_ERR_DENIED,
	       "a file that is not executable");
	w[0] = NESTER_KILL, w[1] = 99999;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_NOENT,
	       "an unknown domain");
	w[0] = NESTER_DEATHS, w[1] = ~0ull;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_DENIED,
	       "a death report from a process");
	w[0] = NESTER_ALARMS;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_DENIED,
	       "an alarm report from a process");
	w[0] = NESTER_ALARM, w[1] = 1ull << 41, w[2] = 0, w[3] = 0;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_RANGE,
	       "an alarm too far");
	w[0] = NESTER_ALARM, w[1] = 0, w[2] = 0, w[3] = 1;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) == 0 &&
		   w[1] == 0,
	       "the refused alarm was set");
	w[0] = NESTER_STOP, w[1] = LX_SIGINT;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_INVAL,
	       "a stop by a signal that does not stop");
	UCHECK(proc_quota_used() == before, "a refusal changed proc's quota");
	return 0;
}

/* Starts `/bin/sleep secs` (busybox): its pid, or 0. */
static int spawn_sleep(const char *secs)
{
	char args[32];
	int n = fmt_snprintf(args, sizeof(args), "/bin/sleep%c%s", 0, secs);
	uint64_t w[4] = { NESTER_SPAWN };
	metta_cap_delete(CHILD);
	if (metta_request(CAP_NESTER, w, args, (uint64_t)n + 1, 0, 0, 0, 0,
			  CHILD))
		return 0;
	metta_sleep(300000); /* into its nanosleep */
	return (int)w[1];
}

static long signal_through(uint32_t cap, int64_t pid, int sig)
{
	uint64_t w[4] = { NESTER_SIGNAL, (uint64_t)pid, (uint64_t)sig };
	return metta_request(cap, w, 0, 0, 0, 0, 0, 0, 0);
}

static long signal_to(int64_t pid, int sig)
{
	return signal_through(CAP_NESTER, pid, sig);
}

/* The child's exit status once its domain is dead (within ms), or -1. */
static int64_t end_of_child(int ms)
{
	struct metta_domain_info d;
	for (int t = 0; t <= ms; t += 20) {
		if (metta_domain_info(CHILD, &d) == 0 && d.dead)
			return d.exit_status;
		metta_sleep(20000);
	}
	return -1;
}

static int stop_and_continue(void)
{
	int pid = spawn_sleep("1");
	UCHECK(pid > 0, "no child");
	UCHECK(signal_to(pid, LX_SIGSTOP) == 0, "SIGSTOP");
	/* Stopped: its one second passes, and it lives on. */
	UCHECK(end_of_child(2000) == -1, "it ran while stopped");
	UCHECK(signal_to(pid, LX_SIGCONT) == 0, "SIGCONT");
	int64_t st = end_of_child(3000);
	UCHECK(st == 0, "after SIGCONT: status %ld", st);
	return 0;
}

static int default_actions_end_it(void)
{
	int sigs[] = { LX_SIGTERM, LX_SIGKILL, LX_SIGUSR1 };
	for (int i = 0; i < 3; i++) {
		int pid = spawn_sleep("30");
		UCHECK(pid > 0, "no child");
		UCHECK(signal_to(pid, 0) == 0, "probe");
		UCHECK(signal_to(pid, sigs[i]) == 0, "signal %d", sigs[i]);
		int64_t st = end_of_child(2000);
		UCHECK(st == METTA_EXIT_SIGNAL(sigs[i]),
		       "signal %d: status %ld", sigs[i], st);
	}
	/* Stopped, a terminating signal still ends it (as on Linux). */
	int pid = spawn_sleep("30");
	UCHECK(pid > 0, "no child");
	UCHECK(signal_to(pid, LX_SIGTSTP) == 0, "SIGTSTP");
	UCHECK(signal_to(pid, LX_SIGTERM) == 0, "SIGTERM");
	UCHECK(end_of_child(2000) == METTA_EXIT_SIGNAL(LX_SIGTERM), "stopped");
	return 0;
}

static int group_routing_and_errors(void)
{
	int pid = spawn_sleep("30");
	UCHECK(pid > 0, "no child");
	uint64_t w[4] = { NESTER_SETPGID, (uint64_t)pid, 0 };
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) == 0,
	       "setpgid of the child");
	w[0] = NESTER_GETPGID, w[1] = (uint64_t)pid;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) == 0 &&
		   w[1] == (uint64_t)pid,
	       "its group %lu", w[1]);
	w[0] = NESTER_SETPGID, w[1] = 1, w[2] = 0;
	UCHECK(metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_NOENT,
	       "setpgid of init, not our child");
	UCHECK(signal_to(pid, 65) == STATUS_ERR_INVAL, "signal 65");
	UCHECK(signal_to(99999, 0) == STATUS_ERR_NOENT, "no such pid");
	UCHECK(signal_to(-99999, LX_SIGTERM) == STATUS_ERR_NOENT, "no group");
	UCHECK(end_of_child(100) == -1, "a refusal touched it");
	UCHECK(signal_to(-(int64_t)pid, LX_SIGHUP) == 0, "to its group");
	int64_t st = end_of_child(2000);
	UCHECK(st == METTA_EXIT_SIGNAL(LX_SIGHUP), "status %ld", st);
	return 0;
}

/* A server that is no process (the console) signals through proc's
 * portal from names: a pid or a group, never "my group". */
static int signals_from_no_process(void)
{
	UCHECK(metta_names_lookup("proc", UNBADGED) == 0, "proc not in names");
	int pid = spawn_sleep("30");
	UCHECK(pid > 0, "no child");
	UCHECK(signal_through(UNBADGED, 0, LX_SIGINT) == STATUS_ERR_INVAL,
	       "pid 0 from no process");
	uint64_t w[4] = { NESTER_GETPGID, (uint64_t)pid };
	UCHECK(metta_request(UNBADGED, w, 0, 0, 0, 0, 0, 0, 0) == 0,
	       "getpgid from no process");
	w[0] = NESTER_SETSID;
	UCHECK(metta_request(UNBADGED, w, 0, 0, 0, 0, 0, 0, 0) ==
		   STATUS_ERR_DENIED,
	       "setsid from no process");
	UCHECK(signal_through(UNBADGED, pid, LX_SIGINT) == 0, "SIGINT");
	int64_t st = end_of_child(2000);
	UCHECK(st == METTA_EXIT_SIGNAL(LX_SIGINT), "status %ld", st);
	metta_cap_delete(UNBADGED);
	return 0;
}

static const struct utest tests[] = {
	{ "hundred_children_leave_no_trace", hundred_children_leave_no_trace },
	{ "bad_requests_refused", bad_requests_refused },
	{ "stop_and_continue", stop_and_continue },
	{ "default_actions_end_it", default_actions_end_it },
	{ "group_routing_and_errors", group_routing_and_errors },
	{ "signals_from_no_process", signals_from_no_process },
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc > 1 && !strcmp(argv[1], "child"))
		return 0;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
