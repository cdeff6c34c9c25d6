/*
 * Files of the disk in memory, for reading without a call.
 *
 * ramfs's files are memory, so it hands out their pages (P9_MEMORY) and a
 * state page (P9_MEMSTATE) and a client reads them with no call
 * (runtime/filemem.c). A file on the disk is blocks, read through
 * lib/ext2's block cache; so for a file a client asks for, ext2 keeps a
 * copy: a memory object holding the whole file (read once, when asked),
 * which every write and truncation of the file changes too, before the
 * write is answered, bracketed by the state page's change count exactly
 * as ramfs does it (include/metta/proto.h's struct p9_memstate). So a
 * client reading the copy sees what a Tread would, at once.
 *
 * Limits: files of at most PG_FILE_MAX when asked (larger ones are read
 * by 9P, as before: ENODEV); a copy follows its file up to PG_SPAN, past
 * which it is let go; PG_N copies, the least recently asked for let go
 * first. A copy let go is marked gone (clients map it no more and read
 * by 9P) and no longer changed; its pages stay while a client maps them
 * (a shared mapping keeps what it saw, as ext2's shared mappings always
 * did: private copies). A copy is paid by ext2's quota (mem_populate
 * before it is written, so ext2 never meets a fault for want of it): a
 * copy that cannot be paid is not made, or is let go.
 *
 * Only for fids open for reading alone (lib/9p's memory_copies): stores
 * into a copy would not reach the disk.
 *
 * Runs under lib/9p's lock, as every operation.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "ops.h"

#define PG_VA	    0x580000000000ull
#define PG_SPAN	    (32ull << 20) /* a copy's room: the file may grow */
#define PG_FILE_MAX (16ull << 20) /* the largest file copied when asked */
#define PG_N	    4
#define PAGE	    4096ull

struct copy {
	uint32_t ino, generation; /* ino 0: free */
	uint32_t mem, state;	  /* our capabilities to the objects */
	uint64_t paid;		  /* pages populated */
	uint64_t length;
	uint32_t used;
};

static struct copy copies[PG_N];
static uint32_t pg_clock;

static uint8_t *window(const struct copy *c)
{
	return (uint8_t *)(PG_VA + (uint64_t)(c - copies) * (PG_SPAN + PAGE));
}

static struct p9_memstate *state_of(const struct copy *c)
{
	return (struct p9_memstate *)(window(c) + PG_SPAN);
}

static struct copy *find(uint32_t ino)
{
	for (int i = 0; i < PG_N; i++)
		if (copies[i].ino == ino)
			return &copies[i];
	return 0;
}

static void change_begin(struct copy *c)
{
	struct p9_memstate *s = state_of(c);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* before the bytes change */
}

static void change_end(struct copy *c)
{
	struct p9_memstate *s = state_of(c);
	__atomic_store_n(&s->length, c->length, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

/* c let go: gone for its clients (a change, so that a read under way
 * reads again and sees it), our mappings and capabilities dropped. */
static void let_go(struct copy *c)
{
	if (!c->ino)
		return;
	change_begin(c);
	__atomic_store_n(&state_of(c)->gone, 1, __ATOMIC_RELAXED);
	change_end(c);
	metta_mem_unmap(CAP_SELF, (uint64_t)window(c));
	metta_mem_unmap(CAP_SELF, (uint64_t)state_of(c));
	metta_cap_delete(c->mem);
	metta_cap_delete(c->state);
	*c = (struct copy){ 0 };
}

/* Pages [0, pages) of c paid for: 0, or -1 (c must be let go). */
static int pay(struct copy *c, uint64_t pages)
{
	if (pages <= c->paid)
		return 0;
	if (metta_mem_populate(c->mem, c->paid, pages - c->paid))
		return -1;
	c->paid = pages;
	return 0;
}

/* A copy of ino (a of its attributes) in c, which is free: 0 or an
 * errno. */
static int make_copy(struct ext2 *fs, struct copy *c, uint32_t ino,
		     const struct ext2_attr *a)
{
	uint8_t *va = window(c);
	c->mem = metta_mem_at((uint64_t)va, PG_SPAN / PAGE);
	c->state = c->mem ? metta_mem_at((uint64_t)va + PG_SPAN, 1) : 0;
	if (!c->state) {
		if (c->mem) {
			metta_mem_unmap(CAP_SELF, (uint64_t)va);
			metta_cap_delete(c->mem);
		}
		*c = (struct copy){ 0 };
		return -P9_ENOMEM;
	}
	c->ino = ino;
	c->generation = a->generation;
	c->length = a->size;
	long n = pay(c, (a->size + PAGE - 1) / PAGE)
			 ? -P9_ENOMEM
			 : ext2_read(fs, ino, 0, va, (size_t)a->size);
	if (n != (long)a->size) {
		let_go(c);
		return n < 0 ? (int)n : -P9_EIO;
	}
	struct p9_memstate *s = state_of(c);
	s->length = a->size;
	s->path = ino | (uint64_t)a->generation << 32; /* the qid's */
	return 0;
}

static int pages_memory(struct ext2 *fs, uint32_t ino, uint32_t *mem,
			uint64_t *pages, uint32_t *state)
{
	struct ext2_attr a;
	int rc = ext2_getattr(fs, ino, &a);
	if (rc)
		return rc;
	if ((a.mode & EXT2_S_IFMT) != EXT2_S_IFREG || a.size > PG_FILE_MAX)
		return -P9_ENODEV; /* read by 9P */
	struct copy *c = find(ino);
	if (c && c->generation != a.generation)
		let_go(c); /* (cannot be: a freed inode's copy went) */
	if (!c || !c->ino) {
		c = &copies[0];
		for (int i = 0; i < PG_N && c->ino; i++)
			if (!copies[i].ino || copies[i].used < c->used)
				c = &copies[i];
		let_go(c);
		if ((rc = make_copy(fs, c, ino, &a)))
			return rc;
	}
	c->used = ++pg_clock;
	*mem = c->mem;
	*pages = PG_SPAN / PAGE;
	*state = c->state;
	return 0;
}

static void pages_wrote(uint32_t ino, uint64_t off, const void *data, size_t n)
{
	struct copy *c = find(ino);
	if (!c || !n)
		return;
	uint64_t end = off + n, len = end > c->length ? end : c->length;
	if (end > PG_SPAN || pay(c, (len + PAGE - 1) / PAGE)) {
		let_go(c); /* past its room, or unpaid: read by 9P */
		return;
	}
	change_begin(c);
	memcpy(window(c) + off, data, n);
	c->length = len;
	change_end(c);
}

static void pages_resized(uint32_t ino, uint64_t size)
{
	struct copy *c = find(ino);
	if (!c || size == c->length)
		return;
	if (size > PG_SPAN || pay(c, (size + PAGE - 1) / PAGE)) {
		let_go(c);
		return;
	}
	change_begin(c);
	if (size < c->length) /* what lies past the end reads as zeros */
		memset(window(c) + size, 0, c->length - size);
	c->length = size;
	change_end(c);
}

/* A fid of ino went: a file no longer on the disk (its last name and
 * fid gone, its inode free for another) is let go. */
static void pages_released(struct ext2 *fs, uint32_t ino)
{
	struct copy *c = find(ino);
	struct ext2_attr a;
	if (c && (ext2_getattr(fs, ino, &a) || a.nlink == 0 ||
		  a.generation != c->generation))
		let_go(c);
}

static const struct ext2srv_pages pages = {
	.memory = pages_memory,
	.wrote = pages_wrote,
	.resized = pages_resized,
	.released = pages_released,
};

void ext2srv_pages_init(struct p9srv *s)
{
	ext2srv_pages = &pages;
	s->memory_copies = 1;
}
