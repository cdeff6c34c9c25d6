/*
 * lib/ext2's block cache (ext2.h says what it promises). A block's
 * buffer from bget stays valid until the next bget: callers copy out
 * what they need before asking for another block.
 */
#ifndef LIB_EXT2_CACHE_H
#define LIB_EXT2_CACHE_H

#include "ext2/ext2.h"

struct ext2_buf {
	uint32_t blk;
	uint8_t valid, dirty;
	struct ext2_buf *hnext, *prev, *next; /* hash chain, LRU list */
	uint8_t *data;
};

enum { BGET_READ, BGET_ZERO };

/* Lay the cache out in mem: 0, or -P9_ENOMEM when it is too small. */
int cache_init(struct ext2 *fs, void *mem, size_t memsize);
/* Block blk's buffer, read from the device (BGET_READ) or zeroed
 * (BGET_ZERO: its old contents do not matter); 0 with fs->msg and the
 * errno in *err when the device failed or blk lies outside the fs. */
struct ext2_buf *bget(struct ext2 *fs, uint32_t blk, int how, int *err);
/* Block blk's buffer as bget's BGET_READ, reading up to n blocks from
 * blk on (those not cached) in one device read: a file's next blocks. */
struct ext2_buf *bget_ahead(struct ext2 *fs, uint32_t blk, uint32_t n,
			    int *err);
/* The buffer was changed: write it back later. */
void bdirty(struct ext2 *fs, struct ext2_buf *b);
/* Forget blk's contents (a freed block: never written back). */
void bforget(struct ext2 *fs, uint32_t blk);
/* Every dirty buffer to the device: 0 or -P9_EIO. */
int cache_writeback(struct ext2 *fs);
/* fs->msg: a sentence (printf-like, %u and %s only). */
void ext2_msg(struct ext2 *fs, const char *fmt, ...);

#endif
