/*
 * Synthetic trees. A node is (entry index, instance, whether it is an
 * instance directory) packed into the pointer value: bits 0-15 index + 1,
 * bit 16 the instance-directory flag, bits 17-48 the instance.
 */
#include "9p/synth.h"

#include <string/kstring.h>

#define INST_BIT (1ull << 16)
#define DYN_PATH (1ull << 63) /* qid paths of generated files */

struct node {
	uint32_t idx;
	int isinst; /* an instance directory of dynamic directory idx */
	uint64_t inst;
};

static void *enc(uint32_t idx, int isinst, uint64_t inst)
{
	return (void *)(uintptr_t)(inst << 17 | (isinst ? INST_BIT : 0) |
				   (idx + 1));
}

static struct node dec(const void *p)
{
	uint64_t v = (uintptr_t)p;
	return (struct node){ .idx = (uint32_t)(v & 0xffff) - 1,
			      .isinst = (v & INST_BIT) != 0,
			      .inst = v >> 17 };
}

void p9synth_init(struct p9synth *t, const struct p9synth_entry *ents,
		  uint32_t n, const char *owner, void *ctx)
{
	t->ents = ents;
	t->n = n > P9SYNTH_MAXENT ? P9SYNTH_MAXENT : n;
	t->owner = owner;
	t->type = 0;
	t->ctx = ctx;
	t->namebuf[0] = 0;
}

long p9synth_text(const char *text, size_t n, uint64_t offset, void *buf,
		  uint32_t count)
{
	if (offset >= n)
		return 0;
	if (count > n - offset)
		count = (uint32_t)(n - offset);
	memcpy(buf, text + offset, count);
	return count;
}

static int is_dyn(const struct p9synth *t, uint32_t idx)
{
	return t->ents[idx].dyn && (t->ents[idx].mode & P9_DMDIR);
}

/* Whether entry idx is a template inside a dynamic directory. */
static int in_dyn(const struct p9synth *t, uint32_t idx)
{
	if (t->ents[idx].mode & P9SYNTH_FIXED)
		return 0;
	for (int depth = 0; idx != 0 && depth < P9SYNTH_MAXENT; depth++) {
		idx = t->ents[idx].parent;
		if (idx >= t->n)
			return 0;
		if (is_dyn(t, idx))
			return 1;
	}
	return 0;
}

static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **root)
{
	(void)ctx, (void)uname, (void)aname;
	*root = enc(0, 0, 0);
	return 0;
}

/* The index-th child entry of idx (not counting the root), or -1: of
 * a dynamic directory's own files (fixed) or of its template. */
static int64_t child(const struct p9synth *t, uint32_t idx, int fixed,
		     uint32_t index)
{
	for (uint32_t i = 1; i < t->n; i++)
		if (t->ents[i].parent == idx &&
		    !!(t->ents[i].mode & P9SYNTH_FIXED) == fixed &&
		    index-- == 0)
			return i;
	return -1;
}

/* Child entry `name` of idx, as child() counts them, or -1. */
static int64_t child_named(const struct p9synth *t, uint32_t idx, int fixed,
			   struct p9_str name)
{
	int64_t i;
	for (uint32_t k = 0; (i = child(t, idx, fixed, k)) >= 0; k++)
		if (p9_str_eq(name, t->ents[i].name))
			return i;
	return -1;
}

static int op_walk1(void *ctx, void *dir, struct p9_str name, void **out)
{
	struct p9synth *t = ctx;
	struct node d = dec(dir);
	if (p9_str_eq(name, "..")) {
		uint32_t p = t->ents[d.idx].parent;
		if (d.isinst || d.idx == 0)
			*out = enc(d.idx, 0, 0); /* the dynamic dir, or root */
		else
			*out = enc(p,
				   is_dyn(t, p) &&
				       !(t->ents[d.idx].mode & P9SYNTH_FIXED),
				   d.inst);
		return 0;
	}
	int fixed = is_dyn(t, d.idx) && !d.isinst;
	int64_t i = child_named(t, d.idx, fixed, name);
	if (i >= 0) {
		*out = enc((uint32_t)i, 0, d.inst);
		return 0;
	}
	if (fixed) {
		uint64_t inst;
		int rc = t->ents[d.idx].dyn->lookup(t->ctx, name, &inst);
		if (rc)
			return rc;
		if (inst > P9SYNTH_MAXINST)
			return -P9_ENOENT;
		*out = enc(d.idx, 1, inst);
		return 0;
	}
	return -P9_ENOENT;
}

/* The stat of node n, whose name is name. */
static void fill(const struct p9synth *t, struct node n, const char *name,
		 struct p9_stat *st)
{
	const struct p9synth_entry *e = &t->ents[n.idx];
	memset(st, 0, sizeof(*st));
	st->mode = e->mode & ~P9SYNTH_FIXED;
	st->type = t->type;
	st->qid.type = (uint8_t)(e->mode >> 24);
	if (n.isinst || in_dyn(t, n.idx))
		st->qid.path = DYN_PATH | n.inst << 16 | n.idx;
	else
		st->qid.path = e->path;
	st->name = p9_str(name);
	st->uid = st->gid = st->muid = p9_str(t->owner);
}

static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	struct p9synth *t = ctx;
	struct node n = dec(node);
	if (n.isinst) {
		int rc = t->ents[n.idx].dyn->name(t->ctx, n.inst, t->namebuf);
		if (rc)
			return rc;
		t->namebuf[P9SYNTH_NAMEMAX] = 0;
		fill(t, n, t->namebuf, st);
	} else {
		fill(t, n, n.idx ? t->ents[n.idx].name : "/", st);
	}
	return 0;
}

static int op_readdir(void *ctx, void *dir, uint32_t index, struct p9_stat *st)
{
	struct p9synth *t = ctx;
	struct node d = dec(dir);
	int fixed = is_dyn(t, d.idx) && !d.isinst;
	int64_t i = child(t, d.idx, fixed, index);
	if (i >= 0) {
		fill(t, (struct node){ (uint32_t)i, 0, d.inst },
		     t->ents[i].name, st);
		return 1;
	}
	if (fixed) {
		/* The instances come after the directory's own files. */
		uint32_t own = 0;
		while (child(t, d.idx, 1, own) >= 0)
			own++;
		uint64_t inst;
		int rc = t->ents[d.idx].dyn->list(t->ctx, index - own,
						  t->namebuf, &inst);
		if (rc <= 0)
			return rc;
		t->namebuf[P9SYNTH_NAMEMAX] = 0;
		fill(t, (struct node){ d.idx, 1, inst & P9SYNTH_MAXINST },
		     t->namebuf, st);
		return 1;
	}
	return 0;
}

static void op_ref(void *ctx, void *node)
{
	(void)ctx, (void)node;
}

static int op_open(void *ctx, void *node, uint8_t mode)
{
	struct p9synth *t = ctx;
	struct node n = dec(node);
	const struct p9synth_entry *e = &t->ents[n.idx];
	return e->open && !n.isinst ? e->open(t->ctx, e, n.inst, mode) : 0;
}

static long op_read(void *ctx, void *node, uint64_t offset, void *buf,
		    uint32_t count)
{
	struct p9synth *t = ctx;
	struct node n = dec(node);
	const struct p9synth_entry *e = &t->ents[n.idx];
	return e->read ? e->read(t->ctx, e, n.inst, offset, buf, count) : 0;
}

static long op_write(void *ctx, void *node, uint64_t offset, const void *data,
		     uint32_t count)
{
	struct p9synth *t = ctx;
	struct node n = dec(node);
	const struct p9synth_entry *e = &t->ents[n.idx];
	if (!e->write)
		return -P9_ENOTSUP;
	return e->write(t->ctx, e, n.inst, offset, data, count);
}

static int op_create(void *ctx, void *dir, struct p9_str name, uint32_t perm,
		     uint8_t mode, struct p9_str uname, void **node)
{
	(void)ctx, (void)dir, (void)name, (void)perm, (void)mode;
	(void)uname, (void)node;
	return -P9_EPERM;
}

static int op_remove(void *ctx, void *node)
{
	(void)ctx, (void)node;
	return -P9_EPERM;
}

/* Only the wstat that changes nothing (a sync, stat(5)) succeeds. */
static int op_wstat(void *ctx, void *node, const struct p9_stat *st)
{
	(void)ctx, (void)node;
	if (st->mode != ~0u || st->mtime != ~0u || st->atime != ~0u ||
	    st->length != ~0ull || st->name.len || st->gid.len)
		return -P9_EPERM;
	return 0;
}

const struct p9srv_ops p9synth_ops = {
	.attach = op_attach,
	.walk1 = op_walk1,
	.stat = op_stat,
	.ref = op_ref,
	.unref = op_ref,
	.open = op_open,
	.read = op_read,
	.readdir = op_readdir,
	.write = op_write,
	.create = op_create,
	.remove = op_remove,
	.wstat = op_wstat,
};
