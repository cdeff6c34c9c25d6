/*
 * ext2's 9P side: lib/ext2 served through p9srv (docs/servers.md).
 * A node is a name a fid holds: the inode, the directory it was found
 * in and its name there (for Tremove and a renaming Twstat), holding an
 * ext2_open reference so that a file unlinked while a fid names it
 * stays until the fid goes.
 */
#ifndef SERVERS_EXT2_OPS_H
#define SERVERS_EXT2_OPS_H

#include "9p/srv.h"
#include "ext2/ext2.h"

extern const struct p9srv_ops ext2srv_ops; /* ctx: the struct ext2 */

/* No file system to serve (its device or its mount failed): every
 * attach fails with err (a negative errno), so clients learn it and the
 * server stays up rather than being restarted again and again. */
void ext2srv_refuse(int err);

/*
 * Files kept in memory for reading without a call (pages.c): P9_MEMORY's
 * operation for an inode, and what must follow every change of a file's
 * bytes or length, and every fid let go. 0 (the host tests): none.
 */
struct ext2srv_pages {
	int (*memory)(struct ext2 *fs, uint32_t ino, uint32_t *mem,
		      uint64_t *pages, uint32_t *state);
	void (*wrote)(uint32_t ino, uint64_t off, const void *data, size_t n);
	void (*resized)(uint32_t ino, uint64_t size);
	void (*released)(struct ext2 *fs, uint32_t ino);
};
extern const struct ext2srv_pages *ext2srv_pages;
/* pages.c's, for s (before serving). */
void ext2srv_pages_init(struct p9srv *s);

#endif
