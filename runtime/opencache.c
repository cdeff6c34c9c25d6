/*
 * Opening a file again without a call.
 *
 * An open is a walk and a Topen (one P9_BATCH round trip, ns.c); a
 * program that opens the same file over and over (a shell reading its
 * profile, make reading its makefiles, a server its configuration) pays
 * it every time, though nothing a walk finds has changed. A server whose
 * names change only by 9P (ramfs, ext2: lib/9p) shares a tree version
 * (P9_TREESTATE, include/metta/proto.h) that it moves before serving
 * anything that may change what a walk finds or may open: a create,
 * remove, link, rename, a wstat of a name, mode or owner.
 *
 * So a plain file opened only for reading, whose walk was made in a
 * mount of one source and followed no link, is remembered with the
 * version read before its walk. When it is closed its fid, still open
 * for reading, is kept (parked) instead of clunked, under its clean
 * absolute path; an open of that path with the same read-only flags,
 * while the version has not moved and our namespace is the one it was
 * opened in, takes the fid back: no call at all. A version that moved
 * means the walk may find something else: the fid is clunked and the
 * open walks as before. The file itself may change meanwhile (its bytes,
 * its length): an open does not depend on them, and reads see them.
 *
 * Only paths a process has opened before are kept (a first close only
 * notes the path), so a process that opens each file once holds no
 * more fids than before. The fids kept live in the process's descriptor
 * table (state.h), so whoever frees it (our exit, or a process sweeping
 * the tables of those killed) clunks them; OC_N per process, the least
 * recently used let go first, and all of them when a server runs out of
 * fids for us (ns.c). A namespace change lets them all go. A forked
 * child starts with none, and its own namespace id.
 *
 * Runs under the runtime lock (thread.h), as every call does.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

/* A page per connection: its server's struct p9_treestate, read-only. */
#define OC_VA	0x0000748000000000ull
#define OC_PATH 256 /* longer paths walk every time */

enum { TS_UNKNOWN, TS_NONE, TS_MAPPED };
enum { OC_FREE, OC_SEEN, OC_PARKED };

/* One path: seen closed once, or with a fid parked at the same index of
 * our table's parked[]. */
struct oc_entry {
	uint8_t state; /* OC_* */
	uint32_t hash, ns, used;
	uint64_t version; /* OC_PARKED: the tree version before its walk */
	char path[OC_PATH];
};

static struct oc_entry oc[OC_N];
static uint8_t tree_state[MAX_CONNS]; /* TS_* */
static uint32_t oc_clock, ns_id;

static const struct p9_treestate *tree_of(const struct conn *c)
{
	return (const struct p9_treestate *)(OC_VA +
					     (uint64_t)(c - rt.conns) * RT_PAGE);
}

/* Our namespace's id: ofiles opened in it may be parked by us (they are
 * shared across fork, and a child's namespace may differ). */
static uint32_t our_ns(void)
{
	while (!ns_id)
		ns_id = __atomic_add_fetch(&rt_shared->nextns, 1,
					   __ATOMIC_RELAXED);
	return ns_id;
}

int ocache_stamp(const struct conn *c, uint64_t *version)
{
	if (tree_state[c - rt.conns] != TS_MAPPED)
		return 0;
	*version = __atomic_load_n(&tree_of(c)->version, __ATOMIC_ACQUIRE);
	return 1;
}

/* Maps c's tree version (P9_TREESTATE), or notes that it has none. */
static void learn_tree(struct conn *c)
{
	int i = (int)(c - rt.conns);
	uint32_t slot = metta_slot_alloc();
	uint64_t w[4] = { P9_TREESTATE };
	tree_state[i] = TS_NONE;
	if (!slot)
		return;
	long rc = metta_request(c->slot, w, 0, 0, 0, 0, 0, 0, slot);
	if (rc == 0 && w[1] == 0 &&
	    metta_mem_map(CAP_SELF, slot, 0, (uint64_t)tree_of(c), 1,
			  RIGHT_READ) == 0)
		tree_state[i] = TS_MAPPED;
	metta_cap_delete(slot); /* (none, if refused) the mapping keeps it */
}

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h | 1;
}

static struct oc_entry *find(const char *path, uint32_t h)
{
	for (int i = 0; i < OC_N; i++)
		if (oc[i].state != OC_FREE && oc[i].hash == h &&
		    !strcmp(oc[i].path, path))
			return &oc[i];
	return 0;
}

/* e's fid, if it has one, let go (clunked with the next batch). */
static void unpark(struct oc_entry *e)
{
	struct loc *l = &rt.fdt->parked[e - oc];
	if (e->state == OC_PARKED && l->c)
		loc_clunk_later(l);
	l->c = 0;
	if (e->state == OC_PARKED)
		e->state = OC_SEEN;
}

int ocache_take(const char *path, struct ofile *f)
{
	struct oc_entry *e = rt.fdt ? find(path, path_hash(path)) : 0;
	if (!e || e->state != OC_PARKED)
		return -1;
	/* (A forked child's table has no fid of ours: l->c is 0.) */
	struct loc *l = &rt.fdt->parked[e - oc];
	uint64_t v;
	if (e->ns != our_ns() || !l->c || !ocache_stamp(l->c, &v) ||
	    v != e->version) {
		unpark(e); /* the walk may find something else now */
		return -1;
	}
	f->loc[0] = *l;
	f->nloc = 1;
	f->ops = &file9p_ops;
	f->reuse_ns = e->ns;
	f->reuse_stamped = 1;
	f->reuse_version = e->version;
	l->c = 0;
	e->state = OC_SEEN;
	e->used = ++oc_clock;
	return 0;
}

void ocache_opened(struct ofile *f, int stamped, uint64_t version)
{
	if (f->ops != &file9p_ops || f->nloc != 1 ||
	    (f->flags & LX_O_ACCMODE) != LX_O_RDONLY ||
	    (f->loc[0].qid.type & (P9_QTDIR | P9_QTSYMLINK)))
		return;
	f->reuse_ns = our_ns();
	f->reuse_stamped = (uint8_t)stamped;
	f->reuse_version = version;
}

/* The entry for path (*had: it was there), else a free one, else the
 * least recently used one's (its fid let go); now the latest used. */
static struct oc_entry *entry_for(const char *path, uint32_t h, int *had)
{
	struct oc_entry *e = find(path, h);
	*had = e != 0;
	if (!e) {
		e = &oc[0];
		for (int i = 0; i < OC_N && e->state != OC_FREE; i++)
			if (oc[i].state == OC_FREE || oc[i].used < e->used)
				e = &oc[i];
		unpark(e);
		e->state = OC_SEEN;
		e->hash = h;
		strcpy(e->path, path);
	}
	e->used = ++oc_clock;
	return e;
}

int ocache_close(struct ofile *f)
{
	if (!rt.fdt || !f->reuse_ns || f->nloc != 1 ||
	    (f->flags & LX_O_ACCMODE) != LX_O_RDONLY ||
	    strlen(f->path) >= OC_PATH)
		return 0;
	struct conn *c = f->loc[0].c;
	uint8_t ts = tree_state[c - rt.conns];
	if (ts == TS_NONE)
		return 0;
	int had;
	struct oc_entry *e = entry_for(f->path, path_hash(f->path), &had);
	if (ts == TS_UNKNOWN) {
		if (had) /* a path opened twice: worth asking its server */
			learn_tree(c);
		return 0;
	}
	uint64_t v;
	if (!had || !f->reuse_stamped || f->reuse_ns != our_ns() ||
	    !ocache_stamp(c, &v) || v != f->reuse_version)
		return 0; /* seen: a later close of it may keep its fid */
	unpark(e); /* another open's of the same path: this one is newer */
	rt.fdt->parked[e - oc] = f->loc[0];
	e->state = OC_PARKED;
	e->ns = f->reuse_ns;
	e->version = f->reuse_version;
	f->nloc = 0;
	return 1;
}

int ocache_release(void)
{
	int n = 0;
	for (int i = 0; rt.fdt && i < OC_N; i++) {
		n += oc[i].state == OC_PARKED;
		unpark(&oc[i]);
	}
	return n;
}

void ocache_flush(void)
{
	ocache_release();
	ns_id = 0; /* files opened before are not ours to park */
}

/* (A connection of a process that is gone, not ours: its server let
 * its fids go with it.) */
void ocache_table_close(struct loc *parked)
{
	for (int i = 0; i < OC_N; i++)
		if (parked[i].c && parked[i].c->up)
			loc_clunk_later(&parked[i]);
}

/*
 * The child's view (fork.c): no tree page of ours is mapped in it (they
 * are not its regions) and its namespace is its own. Our entries may
 * stay: the fids they name are in our table, not in the child's.
 */
void ocache_fork_view(int enter)
{
	static uint8_t saved_tree[MAX_CONNS];
	static uint32_t saved_ns;
	if (enter) {
		memcpy(saved_tree, tree_state, sizeof(tree_state));
		saved_ns = ns_id;
		memset(tree_state, 0, sizeof(tree_state));
		ns_id = 0;
	} else {
		memcpy(tree_state, saved_tree, sizeof(tree_state));
		ns_id = saved_ns;
	}
}
