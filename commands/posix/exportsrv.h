/*
 * exportsrv: one 9P2000 connection served from a directory of this
 * process's namespace through POSIX file calls (docs/servers.md,
 * "export"), so any tree the namespace shows can be exported: ramfs,
 * ext2, /proc, another machine's import. Fids name paths below the root;
 * everything a connection holds is freed when it ends.
 */
#ifndef COMMANDS_POSIX_EXPORTSRV_H
#define COMMANDS_POSIX_EXPORTSRV_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT_MSIZE (65536 + 24) /* a 64 KiB read in one message */
#define EXPORT_MAXFIDS 4096	  /* per connection */

struct export_opts {
	const char *root; /* the exported directory */
	int readonly;	  /* no create, remove, wstat or write opens */
};

/*
 * Serves the connection fd until it ends (0) or breaks (-1); the first
 * have bytes of its first message are already in first (a server that
 * looked at them for the authentication magic). Frees all it held.
 */
int export_serve(int fd, const struct export_opts *o, const uint8_t *first,
		 size_t have);

#endif
