/*
 * The block cache: buffers in a hash by block number and an LRU list.
 * A miss takes the least recently used buffer; when that one is dirty,
 * every dirty buffer is written back first (sorted, runs coalesced), so
 * a stream of writes reaches the device in large sequential writes.
 */
#include "ext2/cache.h"

#include <stdarg.h>
#include <string/kstring.h>

#include "9p/errstr.h"
#include "ext2/layout.h"
#include "fmt/fmt.h"

#define BOUNCE (64 * 1024) /* the longest device write of a run */

void ext2_msg(struct ext2 *fs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(fs->msg, sizeof(fs->msg), fmt, ap);
	va_end(ap);
}

/* b (in no list) becomes the least recently used. */
static void lru_back(struct ext2 *fs, struct ext2_buf *b)
{
	b->prev = fs->lru_last;
	b->next = 0;
	if (fs->lru_last)
		fs->lru_last->next = b;
	else
		fs->lru_first = b;
	fs->lru_last = b;
}

static uintptr_t align_up(uintptr_t p, uintptr_t a)
{
	return (p + a - 1) & ~(a - 1);
}

int cache_init(struct ext2 *fs, void *mem, size_t memsize)
{
	uintptr_t p = align_up((uintptr_t)mem, 64),
		  end = (uintptr_t)mem + memsize;
	uint32_t per = fs->bsize + sizeof(struct ext2_buf) +
		       2 * sizeof(void *) + sizeof(void *);
	if (end < p + 2 * BOUNCE + 8 * per)
		return -P9_ENOMEM;
	uint32_t n = (uint32_t)((end - p - 2 * BOUNCE - 64 * 4) / per);
	uint32_t h = 1;
	while (h < n)
		h <<= 1;
	fs->bounce = (uint8_t *)p;
	p += BOUNCE;
	fs->rabuf = (uint8_t *)p;
	p += BOUNCE;
	fs->bufs = (struct ext2_buf *)p;
	p = align_up(p + n * sizeof(struct ext2_buf), 64);
	fs->sortv = (struct ext2_buf **)p;
	p = align_up(p + n * sizeof(void *), 64);
	fs->hash = (struct ext2_buf **)p;
	p = align_up(p + h * sizeof(void *), 64);
	while (p + (uintptr_t)n * fs->bsize > end) /* the hash took room */
		n--;
	fs->nbuf = n;
	fs->hashmask = h - 1;
	memset(fs->hash, 0, h * sizeof(void *));
	fs->lru_first = fs->lru_last = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct ext2_buf *b = &fs->bufs[i];
		*b = (struct ext2_buf){ .data = (uint8_t *)p +
						(uintptr_t)i * fs->bsize };
		lru_back(fs, b);
	}
	fs->ndirty = 0;
	return 0;
}

static struct ext2_buf **chain(struct ext2 *fs, uint32_t blk)
{
	return &fs->hash[(blk * 2654435761u) & fs->hashmask];
}

static void lru_unlink(struct ext2 *fs, struct ext2_buf *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		fs->lru_first = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		fs->lru_last = b->prev;
}

static void lru_front(struct ext2 *fs, struct ext2_buf *b)
{
	lru_unlink(fs, b);
	b->prev = 0;
	b->next = fs->lru_first;
	if (fs->lru_first)
		fs->lru_first->prev = b;
	else
		fs->lru_last = b;
	fs->lru_first = b;
}

static struct ext2_buf *lookup(struct ext2 *fs, uint32_t blk)
{
	for (struct ext2_buf *b = *chain(fs, blk); b; b = b->hnext)
		if (b->blk == blk && b->valid)
			return b;
	return 0;
}

static void unhash(struct ext2 *fs, struct ext2_buf *b)
{
	struct ext2_buf **pp = chain(fs, b->blk);
	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
	b->valid = 0;
	b->hnext = 0;
}

static int dev_write(struct ext2 *fs, uint32_t blk, const void *p, size_t len)
{
	fs->writes++;
	int rc = fs->dev.write(fs->dev.ctx, (uint64_t)blk * fs->bsize, p, len);
	if (rc)
		ext2_msg(fs, "writing block %u: device error %d", blk, -rc);
	return rc ? -P9_EIO : 0;
}

/* Shell sort of the dirty buffers by block number (no libc here). */
static void sort_bufs(struct ext2_buf **v, uint32_t n)
{
	for (uint32_t gap = n / 2; gap; gap /= 2)
		for (uint32_t i = gap; i < n; i++)
			for (uint32_t j = i;
			     j >= gap && v[j - gap]->blk > v[j]->blk;
			     j -= gap) {
				struct ext2_buf *t = v[j];
				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

/* Write v[i..j) (consecutive blocks) in one device write. */
static int write_run(struct ext2 *fs, struct ext2_buf **v, uint32_t i,
		     uint32_t j)
{
	int rc;
	if (j - i == 1) {
		rc = dev_write(fs, v[i]->blk, v[i]->data, fs->bsize);
	} else {
		for (uint32_t k = i; k < j; k++)
			memcpy(fs->bounce + (k - i) * fs->bsize, v[k]->data,
			       fs->bsize);
		rc = dev_write(fs, v[i]->blk, fs->bounce, (j - i) * fs->bsize);
	}
	for (uint32_t k = i; k < j && rc == 0; k++)
		v[k]->dirty = 0;
	return rc;
}

int cache_writeback(struct ext2 *fs)
{
	uint32_t n = 0, per = BOUNCE / fs->bsize;
	for (uint32_t i = 0; i < fs->nbuf; i++)
		if (fs->bufs[i].valid && fs->bufs[i].dirty)
			fs->sortv[n++] = &fs->bufs[i];
	sort_bufs(fs->sortv, n);
	int rc = 0;
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i + 1;
		while (j < n && j - i < per &&
		       fs->sortv[j]->blk == fs->sortv[j - 1]->blk + 1)
			j++;
		int r = write_run(fs, fs->sortv, i, j);
		if (r && !rc)
			rc = r;
		i = j;
	}
	fs->ndirty = 0;
	for (uint32_t i = 0; i < n; i++)
		fs->ndirty += fs->sortv[i]->dirty;
	return rc;
}

/* A buffer to reuse: the least recently used, written back first. */
static struct ext2_buf *victim(struct ext2 *fs, int *err)
{
	struct ext2_buf *b = fs->lru_last;
	if (b->valid && b->dirty) {
		int rc = cache_writeback(fs);
		if (rc) {
			*err = rc;
			return 0;
		}
	}
	if (b->valid)
		unhash(fs, b);
	return b;
}

/* b (taken by victim) now holds blk: clean, hashed, most recent. */
static void install(struct ext2 *fs, struct ext2_buf *b, uint32_t blk)
{
	b->blk = blk;
	b->valid = 1;
	b->dirty = 0;
	b->hnext = *chain(fs, blk);
	*chain(fs, blk) = b;
	lru_front(fs, b);
}

struct ext2_buf *bget(struct ext2 *fs, uint32_t blk, int how, int *err)
{
	if (blk >= fs->nblocks || (blk < fs->first_data && fs->first_data)) {
		ext2_msg(fs, "block %u out of range (the fs has %u)", blk,
			 fs->nblocks);
		*err = -P9_EIO;
		return 0;
	}
	struct ext2_buf *b = lookup(fs, blk);
	if (b) {
		lru_front(fs, b);
		if (how == BGET_ZERO)
			memset(b->data, 0, fs->bsize);
		return b;
	}
	if (!(b = victim(fs, err)))
		return 0;
	if (how == BGET_ZERO) {
		memset(b->data, 0, fs->bsize);
	} else {
		fs->reads++;
		int rc = fs->dev.read(fs->dev.ctx, (uint64_t)blk * fs->bsize,
				      b->data, fs->bsize);
		if (rc) {
			ext2_msg(fs, "reading block %u: device error %d", blk,
				 -rc);
			*err = -P9_EIO;
			lru_unlink(fs, b); /* keep it last: reused first */
			lru_back(fs, b);
			return 0;
		}
	}
	install(fs, b, blk);
	return b;
}

struct ext2_buf *bget_ahead(struct ext2 *fs, uint32_t blk, uint32_t n, int *err)
{
	uint32_t k, most = BOUNCE / fs->bsize;
	if (n > most)
		n = most;
	if (n > fs->nbuf / 4)
		n = fs->nbuf / 4;
	if (n <= 1 || blk >= fs->nblocks || blk < fs->first_data ||
	    lookup(fs, blk))
		return bget(fs, blk, BGET_READ, err);
	/* Up to the first block cached (its copy may be newer than the
	 * disk's) or the end of the fs. */
	for (k = 1; k < n && blk + k < fs->nblocks && !lookup(fs, blk + k); k++)
		;
	n = k;
	fs->reads++;
	if (fs->dev.read(fs->dev.ctx, (uint64_t)blk * fs->bsize, fs->rabuf,
			 (size_t)n * fs->bsize))
		return bget(fs, blk, BGET_READ, err); /* it says what failed */
	for (k = n; k-- > 0;) { /* blk last: the most recently used */
		struct ext2_buf *b = victim(fs, err);
		if (!b)
			return 0;
		memcpy(b->data, fs->rabuf + (size_t)k * fs->bsize, fs->bsize);
		install(fs, b, blk + k);
		if (k == 0)
			return b;
	}
	return 0;
}

void bdirty(struct ext2 *fs, struct ext2_buf *b)
{
	if (!b->dirty)
		fs->ndirty++;
	b->dirty = 1;
}

void bforget(struct ext2 *fs, uint32_t blk)
{
	struct ext2_buf *b = lookup(fs, blk);
	if (!b)
		return;
	if (b->dirty)
		fs->ndirty--;
	b->dirty = 0;
	unhash(fs, b);
}
