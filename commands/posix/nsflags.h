/*
 * What bind and mount share: Plan 9's -a, -b and -c flags, passed to the
 * runtime in mount(2)'s data string, and how the shell's namespace
 * changes with the command's (msh has no built-ins for them).
 */
#ifndef COMMANDS_POSIX_NSFLAGS_H
#define COMMANDS_POSIX_NSFLAGS_H

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

/* The flags from argv[1...]: their letters in out; the first operand. */
static inline int ns_flags(int argc, char **argv, char *out, size_t cap)
{
	int i = 1;
	size_t n = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		for (const char *f = argv[i] + 1; *f && n + 1 < cap; f++) {
			if (!strchr("abc", *f))
				return -1;
			out[n++] = *f;
		}
	out[n] = 0;
	return i;
}

/*
 * The shell that ran us gets our namespace: mount(2) with MS_REMOUNT on
 * "/" asks the runtime to hand it to our parent (runtime/proc.c).
 */
static inline int ns_to_parent(void)
{
	return mount("", "/", 0, MS_REMOUNT, "parent");
}

#endif
