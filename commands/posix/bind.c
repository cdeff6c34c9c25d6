/*
 * bind [-abc] old new: what old names is seen at new too (Plan 9's bind):
 * replacing it, or before (-b) or after (-a) it in a union; -c allows
 * creating files there. Changes the namespace of the shell that runs it.
 */
#include <stdio.h>
#include <sys/mount.h>

#include "nsflags.h"

int main(int argc, char **argv)
{
	char flags[8];
	int i = ns_flags(argc, argv, flags, sizeof(flags));
	if (i < 0 || argc - i != 2) {
		fprintf(stderr, "usage: bind [-abc] old new\n");
		return 2;
	}
	if (mount(argv[i], argv[i + 1], 0, MS_BIND, flags) || ns_to_parent()) {
		perror("bind");
		return 1;
	}
	return 0;
}
