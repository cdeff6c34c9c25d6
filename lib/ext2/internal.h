/*
 * What lib/ext2's files share: allocation (super.c) for the inode,
 * file and directory code (ext2.c).
 */
#ifndef LIB_EXT2_INTERNAL_H
#define LIB_EXT2_INTERNAL_H

#include "ext2/ext2.h"

uint32_t ext2_now(struct ext2 *fs);
/* Before any change: -P9_EROFS on a read-only mount; the first change
 * marks the superblock not clean. */
int ext2_change(struct ext2 *fs);
int sb_put(struct ext2 *fs);
int gd_put(struct ext2 *fs, uint32_t g);
/* A free block, searched from goal on: 0 and *out, or -P9_ENOSPC. */
int alloc_block(struct ext2 *fs, uint32_t goal, uint32_t *out);
int free_block(struct ext2 *fs, uint32_t blk);
/* A free inode, searched from near's group on. */
int alloc_inode(struct ext2 *fs, uint32_t near, int isdir, uint32_t *out);
int free_inode(struct ext2 *fs, uint32_t ino, int isdir);

#endif
