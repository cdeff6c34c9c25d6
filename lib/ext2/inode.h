/*
 * lib/ext2's inode layer, for its directory code (dir.c).
 */
#ifndef LIB_EXT2_INODE_H
#define LIB_EXT2_INODE_H

#include "ext2/ext2.h"
#include "ext2/layout.h"

/* Inode ino (checked against the fs) to and from the cache. */
int iread(struct ext2 *fs, uint32_t ino, struct ext2_inode *in);
int iwrite(struct ext2 *fs, uint32_t ino, const struct ext2_inode *in);
uint64_t isize_of(const struct ext2_inode *in);
int set_isize(struct ext2 *fs, struct ext2_inode *in, uint64_t size);
uint64_t max_size(const struct ext2 *fs);
/* The disk block of in's logical block lblk (0: a hole), allocating
 * it and the indirect blocks on the way when alloc is set. */
int bmap(struct ext2 *fs, struct ext2_inode *in, uint64_t lblk, int alloc,
	 uint32_t *pblk);
int truncate_inode(struct ext2 *fs, struct ext2_inode *in, uint64_t size);
/* Free ino's blocks and the inode itself (its links are gone). */
int free_inode_all(struct ext2 *fs, uint32_t ino);
/* References ext2_open holds on ino. */
int open_refs(struct ext2 *fs, uint32_t ino);

#endif
