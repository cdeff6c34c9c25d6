/* execve's refusals (the process stays as it was): ENOENT, EACCES,
 * ENOEXEC, EFAULT, ENOTDIR. The successful paths are the exec_programs
 * boot's (a process cannot both exec and go on testing). */
#include "posixtest.h"

static void t_exec_errors(void)
{
	char *argv[] = { "x", 0 }, *envp[] = { 0 };
	char **volatile bad = (char **)1;
	const char *volatile badpath = (const char *)1;
	ERR(execve("no-such-program", argv, envp), ENOENT);
	ERR(execve("", argv, envp), ENOENT);
	ERR(execve(".", argv, envp), EACCES);
	OK(pt_mkfile("plain", "#!/bin/sh\n", 10, 0644));
	ERR(execve("plain", argv, envp), EACCES);
	OK(pt_mkfile("empty", "", 0, 0755));
	ERR(execve("empty", argv, envp), ENOEXEC);
	OK(pt_mkfile("text", "just words\n", 11, 0755));
	ERR(execve("text", argv, envp), ENOEXEC);
	ERR(execve("plain/x", argv, envp), ENOTDIR);
	ERR(execve(badpath, argv, envp), EFAULT);
	ERR(execve("text", bad, envp), EFAULT);
	ERR(execve("text", argv, bad), EFAULT);
	/* One argument longer than Linux's 128 KiB: E2BIG, nothing else. */
	static char huge[130 * 1024];
	memset(huge, 'a', sizeof huge - 1);
	char *big[] = { "x", huge, 0 };
	ERR(execve("text", big, envp), E2BIG);
	OK(unlink("plain"));
	OK(unlink("empty"));
	OK(unlink("text"));
}

const struct pt_test pt_exec_tests[] = {
	{"exec_errors", t_exec_errors},
	{0, 0},
};
