/*
 * Fid table: stable entries plus an open-addressed index with linear
 * probing. Deleting shifts later index slots back (no tombstones), so a
 * long-lived connection that opens and clunks forever never slows down.
 */
#include "9p/fid.h"

#include <metta/status.h>

static uint32_t slots(const struct p9_fidtab *t)
{
	return 2 * t->cap;
}

/* Fids are often small consecutive numbers: mix the bits before probing. */
static uint32_t home(const struct p9_fidtab *t, uint32_t fid)
{
	uint32_t h = fid * 0x9e3779b1u;
	return (uint32_t)(((uint64_t)h * slots(t)) >> 32);
}

static struct p9_fid *at(const struct p9_fidtab *t, uint32_t slot)
{
	uint16_t i = t->index[slot];
	return i ? &t->ents[i - 1] : 0;
}

/* The index slot holding fid, or the empty slot where it would go. */
static uint32_t find(const struct p9_fidtab *t, uint32_t fid)
{
	uint32_t s = home(t, fid);
	struct p9_fid *e;
	while ((e = at(t, s)) && e->fid != fid)
		s = (s + 1) % slots(t);
	return s;
}

void p9_fid_init(struct p9_fidtab *t, struct p9_fid *ents, uint16_t *index,
		 uint32_t cap)
{
	t->ents = ents;
	t->index = index;
	t->cap = cap;
	t->count = 0;
	for (uint32_t i = 0; i < cap; i++)
		ents[i].inuse = 0;
	for (uint32_t s = 0; s < 2 * cap; s++)
		index[s] = 0;
}

int p9_fid_new(struct p9_fidtab *t, uint32_t fid, struct p9_fid **out)
{
	if (fid == P9_NOFID)
		return STATUS_ERR_INVAL;
	if (t->cap == 0)
		return STATUS_ERR_QUOTA;
	uint32_t s = find(t, fid);
	if (at(t, s))
		return STATUS_ERR_EXIST;
	if (t->count == t->cap)
		return STATUS_ERR_QUOTA;
	uint32_t i = 0;
	while (t->ents[i].inuse)
		i++; /* a free entry exists: count < cap */
	struct p9_fid *e = &t->ents[i];
	*e = (struct p9_fid){ .fid = fid, .inuse = 1, .mode = P9_FID_CLOSED };
	t->index[s] = (uint16_t)(i + 1);
	t->count++;
	*out = e;
	return STATUS_OK;
}

struct p9_fid *p9_fid_get(const struct p9_fidtab *t, uint32_t fid)
{
	if (t->cap == 0)
		return 0;
	return at(t, find(t, fid));
}

/* Distance from an entry's home slot to where it sits, around the ring. */
static uint32_t displacement(const struct p9_fidtab *t, uint32_t s)
{
	return (s + slots(t) - home(t, at(t, s)->fid)) % slots(t);
}

int p9_fid_clunk(struct p9_fidtab *t, uint32_t fid)
{
	if (t->cap == 0)
		return STATUS_ERR_NOENT;
	uint32_t hole = find(t, fid);
	struct p9_fid *e = at(t, hole);
	if (!e)
		return STATUS_ERR_NOENT;
	e->inuse = 0;
	t->index[hole] = 0;
	t->count--;
	/* Pull back later entries of the run that would now be unreachable. */
	for (uint32_t s = (hole + 1) % slots(t); at(t, s);
	     s = (s + 1) % slots(t)) {
		if (displacement(t, s) >= (s + slots(t) - hole) % slots(t)) {
			t->index[hole] = t->index[s];
			t->index[s] = 0;
			hole = s;
		}
	}
	return STATUS_OK;
}
