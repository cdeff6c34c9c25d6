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

#endif
