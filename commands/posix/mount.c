/*
 * mount [-abc] service new [path]: the 9P server registered as service
 * (in /srv) is attached at new, replacing it or as a union (-b, -a); path
 * is the directory of the server to show (its root by default). Changes
 * the namespace of the shell that runs it (`ns` shows it).
 */
#include <stdio.h>
#include <sys/mount.h>

#include "nsflags.h"

int main(int argc, char **argv)
{
	char flags[8], src[256];
	int i = ns_flags(argc, argv, flags, sizeof(flags));
	if (i < 0 || argc - i < 2 || argc - i > 3) {
		fprintf(stderr, "usage: mount [-abc] service new [path]\n");
		return 2;
	}
	snprintf(src, sizeof(src), "%s%s%s", argv[i], argc - i == 3 ? ":" : "",
		 argc - i == 3 ? argv[i + 2] : "");
	if (mount(src, argv[i + 1], "9p", 0, flags) || ns_to_parent()) {
		perror("mount");
		return 1;
	}
	return 0;
}
