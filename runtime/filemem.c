/*
 * Reading files from their servers' pages, without a call.
 *
 * A server that keeps a file in memory (ramfs: P9_MEMORY and
 * P9_MEMSTATE, include/metta/proto.h) lets a client map the file's pages
 * and its state page (length, a change count) read-only. Once a process has read
 * a file through 9P twice in full (FM_FULL_READS reads that filled their
 * buffer: a reader going on, or the same file read again), the runtime
 * maps it and reads from then on copy from the mapping: the length and
 * the bytes below it taken between two equal, even change counts, so a
 * read sees the file at one moment, as a Tread would. Anything else (a
 * change under way, a count that moved twice, a file gone) goes by 9P as
 * before. Writes always go by 9P: the server changes the pages, then the
 * length, so every reader's next read sees them at once.
 *
 * The table keeps FM_N files per process, by (connection, qid path);
 * the least recently used goes first. Each mapped file takes FM_SPAN of
 * address space from FM_VA, outside the program's regions: fork does not
 * give them to the child, whose table starts empty (filemem_fork_view);
 * exec empties it too. A file whose server keeps no memory, or refuses,
 * is remembered as such so that it is not asked again while in the
 * table. Access times are not changed by reads from the pages.
 *
 * Runs under the runtime lock (thread.h), as every call does.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define FM_VA	      0x0000740000000000ull
#define FM_SPAN	      (2ull << 30) /* a file's pages and its state page */
#define FM_N	      16
#define FM_FULL_READS 2
#define FM_TRIES      3	 /* change counts that moved before going by 9P */
#define FM_PASS	      (-0x10000L) /* not an errno: read by 9P */

enum { FM_FREE, FM_SEEN, FM_MAPPED, FM_NONE };

struct fm_entry {
	const struct conn *c; /* with path, the key */
	uint64_t path;
	uint64_t pages; /* data pages; the state page follows them */
	uint32_t used;	/* fm_clock at the last use */
	uint8_t state;	/* FM_* */
	uint8_t reads;	/* full reads by 9P, while FM_SEEN */
};

static struct fm_entry fm[FM_N];
static uint32_t fm_clock;

static uint8_t *fm_window(const struct fm_entry *e)
{
	return (uint8_t *)(FM_VA + (uint64_t)(e - fm) * FM_SPAN);
}

static const struct p9_memstate *fm_state(const struct fm_entry *e)
{
	return (const struct p9_memstate *)(fm_window(e) + e->pages * RT_PAGE);
}

static struct fm_entry *fm_find(const struct loc *l)
{
	for (int i = 0; i < FM_N; i++)
		if (fm[i].state != FM_FREE && fm[i].path == l->qid.path &&
		    fm[i].c == l->c) {
			fm[i].used = ++fm_clock;
			return &fm[i];
		}
	return 0;
}

static void fm_drop(struct fm_entry *e)
{
	if (e->state == FM_MAPPED) {
		metta_mem_unmap(CAP_SELF, (uint64_t)fm_window(e));
		metta_mem_unmap(CAP_SELF, (uint64_t)fm_state(e));
	}
	e->state = FM_FREE;
}

/* Whether e's file is no more (its server said so). */
static int fm_gone(const struct fm_entry *e)
{
	return e->state == FM_MAPPED &&
	       __atomic_load_n(&fm_state(e)->gone, __ATOMIC_RELAXED);
}

/* A fresh entry for l's file (the least recently used one let go, and
 * every file gone: their pages go with our mappings). */
static struct fm_entry *fm_take(const struct loc *l)
{
	for (int i = 0; i < FM_N; i++)
		if (fm_gone(&fm[i]))
			fm_drop(&fm[i]);
	struct fm_entry *e = &fm[0];
	for (int i = 0; i < FM_N && e->state != FM_FREE; i++)
		if (fm[i].state == FM_FREE || fm[i].used < e->used)
			e = &fm[i];
	fm_drop(e);
	*e = (struct fm_entry){ .c = l->c,
				.path = l->qid.path,
				.used = ++fm_clock,
				.state = FM_SEEN };
	return e;
}

/* Asks f's server op (P9_MEMORY, P9_MEMSTATE) of f's fid: the slot of
 * the object it gave, with its reply in w, or 0. */
static uint32_t fm_ask(struct ofile *f, uint64_t op, uint64_t *w)
{
	uint32_t slot = metta_slot_alloc();
	if (!slot)
		return 0;
	w[0] = op;
	w[1] = f->loc[0].fid;
	long rc = metta_request(f->loc[0].c->slot, w, 0, 0, 0, 0, 0, 0, slot);
	if (rc == 0 && w[1] == 0)
		return slot;
	metta_cap_delete(slot); /* (none, if refused) */
	return 0;
}

/*
 * Maps f's file read-only in e's window (P9_MEMORY), and its state page
 * just after (P9_MEMSTATE); the capabilities go (the mappings keep the
 * objects). On any refusal e is FM_NONE: such a file is read by 9P.
 */
static void fm_map(struct fm_entry *e, struct ofile *f)
{
	uint64_t w[4] = { 0 }, ws[4] = { 0 };
	uint8_t *va = fm_window(e);
	e->state = FM_NONE;
	uint32_t data = fm_ask(f, P9_MEMORY, w);
	uint32_t st = data && w[3] == 1 && w[2] < FM_SPAN / RT_PAGE
			      ? fm_ask(f, P9_MEMSTATE, ws)
			      : 0;
	if (st && metta_mem_map(CAP_SELF, data, 0, (uint64_t)va, w[2],
				RIGHT_READ) == 0) {
		if (metta_mem_map(CAP_SELF, st, 0, (uint64_t)va + w[2] * RT_PAGE,
				  1, RIGHT_READ) == 0) {
			e->pages = w[2];
			e->state = FM_MAPPED;
		} else {
			metta_mem_unmap(CAP_SELF, (uint64_t)va);
		}
	}
	/* The state names its file: a wrong key maps nothing. */
	if (e->state == FM_MAPPED && fm_state(e)->path != e->path) {
		fm_drop(e);
		e->state = FM_NONE;
	}
	if (data)
		metta_cap_delete(data);
	if (st)
		metta_cap_delete(st);
}

/*
 * Up to n bytes at off from e's pages into ubuf, at one moment of the
 * file (see the top): the bytes, 0 at its end, -EFAULT, or FM_PASS.
 */
static long fm_read(struct fm_entry *e, uint64_t ubuf, uint64_t n,
		    uint64_t off)
{
	const struct p9_memstate *s = fm_state(e);
	const uint64_t max = e->pages * RT_PAGE; /* whatever the server says */
	for (int i = 0; i < FM_TRIES; i++) {
		uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			return FM_PASS; /* a change under way: its Tread waits */
		if (fm_gone(e)) {
			fm_drop(e);
			return FM_PASS;
		}
		uint64_t len = __atomic_load_n(&s->length, __ATOMIC_RELAXED);
		len = len < max ? len : max;
		uint64_t k = off >= len ? 0 : len - off < n ? len - off : n;
		if (k && user_writable(ubuf, k))
			return -P9_EFAULT;
		memcpy((void *)ubuf, fm_window(e) + off, k);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq)
			return (long)k;
	}
	return FM_PASS;
}

/* Whether l names a plain file a server might keep in memory. */
static int fm_candidate(const struct loc *l)
{
	return !(l->qid.type & (P9_QTDIR | P9_QTSYMLINK));
}

long filemem_pread(struct ofile *f, uint64_t ubuf, uint64_t n, uint64_t off)
{
	const struct loc *l = &f->loc[0];
	struct fm_entry *e = fm_candidate(l) ? fm_find(l) : 0;
	if (e && e->state == FM_MAPPED) {
		long r = fm_read(e, ubuf, n, off);
		if (r != FM_PASS)
			return r;
	}
	long r = file9p_transfer(f, (uint8_t *)ubuf, n, off, 0);
	if (r <= 0 || (uint64_t)r != n || !fm_candidate(l))
		return r;
	/* Found again: the runtime lock was let go for the Tread, and
	 * another thread may have changed the table. */
	if (!(e = fm_find(l)))
		e = fm_take(l);
	if (e->state == FM_SEEN && ++e->reads >= FM_FULL_READS)
		fm_map(e, f);
	return r;
}

int filemem_length(const struct loc *l, uint64_t *len)
{
	struct fm_entry *e = fm_candidate(l) ? fm_find(l) : 0;
	if (!e || e->state != FM_MAPPED)
		return -1;
	const struct p9_memstate *s = fm_state(e);
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	uint64_t v = __atomic_load_n(&s->length, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if ((seq & 1) || __atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
		return -1;
	*len = v;
	return 0;
}

void filemem_drop_all(void)
{
	for (int i = 0; i < FM_N; i++)
		fm_drop(&fm[i]);
}

void filemem_fork_view(int enter)
{
	static struct fm_entry saved[FM_N];
	if (enter) {
		memcpy(saved, fm, sizeof(fm));
		memset(fm, 0, sizeof(fm)); /* the child maps none of them */
	} else {
		memcpy(fm, saved, sizeof(fm));
	}
}
