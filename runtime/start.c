/*
 * The runtime's start and its call dispatch. The spawner loads the runtime
 * beside a Linux program and starts it first (like an ELF interpreter):
 * rt_start reads the program's auxiliary vector, asks the nucleus to
 * reflect the domain's Linux-numbered calls to rt_reflect_entry, sets up
 * memory tracking, the namespace and standard input and output, and
 * returns the program's entry point, where the assembly start-up jumps
 * with the stack as the program expects it.
 */
#include <elf/stack.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <stdarg.h>

#include "state.h"

#include <runtime/call_table.h>
#include <runtime/linux_names.h>

#define AT_PHDR	  3
#define AT_PHNUM  5
#define AT_ENTRY  9
#define AT_EXECFN 31

/* The process: see state.h. */
struct rt_proc rt = {
	.cwd = "/",
	.umask = 022,
	.tod_base = -1,
};

void rt_reflect_entry(void);
uint64_t rt_start(uint64_t *sp);

void rt_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	metta_log(line, n < (int)sizeof(line) ? (uint64_t)n : sizeof(line) - 1);
}

/* The end, with the domain's exit status (the exit code, or 0x200 | a
 * signal): our descriptors are closed first, since forked processes
 * share the open files (a pipe's writer must go for its reader to see
 * the end); the connections go with the domain, and their servers hear
 * of it when the last process sharing one is gone. */
_Noreturn void rt_exit(int status)
{
	fd_close_all();
	metta_exit(status);
	for (;;)
		;
}

uint64_t rt_start(uint64_t *sp)
{
	uint64_t argc = sp[0], *p = sp + 1 + argc + 1;
	while (*p)
		p++; /* past envp */
	uint64_t phdr = 0, phnum = 0, entry = 0, stack = 0;
	const char *ns = 0, *execfn = 0;
	for (p++; p[0]; p += 2) {
		if (p[0] == AT_PHDR)
			phdr = p[1];
		else if (p[0] == AT_PHNUM)
			phnum = p[1];
		else if (p[0] == AT_ENTRY)
			entry = p[1];
		else if (p[0] == AT_METTA_NS)
			ns = (const char *)p[1];
		else if (p[0] == AT_EXECFN)
			execfn = (const char *)p[1];
		else if (p[0] == AT_METTA_STACK)
			stack = p[1];
	}
	thread_init();
	if (metta_domain_set_reflect(CAP_SELF, (uint64_t)rt_reflect_entry)) {
		rt_log("cannot take the Linux calls");
		rt_exit(127);
	}
	if (mem_shared_init()) {
		rt_log("no memory for the open files");
		rt_exit(127);
	}
	mem_init(phdr, phnum, stack);
	sig_init();
	proc_init(execfn);
	if (ns_init(ns))
		rt_log("some of the namespace did not apply");
	fd_init();
	rt_unlock();
	return entry;
}

/* A call we do not know: ENOSYS, and one log line the first time. */
static long unknown(uint64_t nr)
{
	static uint8_t told[LX_NCALLS];
	const char *name = nr < LX_NCALLS ? linux_names[nr] : 0;
	if (nr >= LX_NCALLS || !told[nr]) {
		rt_log("unknown Linux call %lu (%s): ENOSYS", nr,
		       name ? name : "no such call");
		if (nr < LX_NCALLS)
			told[nr] = 1;
	}
	return -P9_ENOSYS;
}

/* A call: signals already pending are delivered first, and those that
 * are pending when it ends on the way back (signal.c). The runtime lock
 * is held throughout, but where the call waits (thread.h). */
long rt_syscall(struct rt_call *c)
{
	long rc;
	rt_lock();
	rt_call_now = c;
	if (!sig_enter(c, &rc)) {
		rt_handler h = c->nr < LX_NCALLS ? call_table[c->nr] : 0;
		rc = h ? h(c->a) : unknown(c->nr);
		rc = sig_leave(c, rc);
	}
	rt_unlock();
	return rc;
}
