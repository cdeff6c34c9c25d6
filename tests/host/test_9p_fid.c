/*
 * 9P fid table: fids are found after any mix of new and clunk (checked
 * against a plain list), entries never move, and a duplicate fid, NOFID, a
 * full table or an unknown fid give their errors and change nothing.
 */
#include <stdlib.h>

#include "check.h"
#include "9p/fid.h"
#include <metta/status.h>

#define CAP 64

static struct p9_fid ents[CAP];
static uint16_t index_[2 * CAP];
static struct p9_fidtab tab;

static int errors_change_nothing(void)
{
	struct p9_fid *f, *g;
	p9_fid_init(&tab, ents, index_, CAP);
	CHECK(p9_fid_get(&tab, 1) == 0);
	CHECK(p9_fid_clunk(&tab, 1) == STATUS_ERR_NOENT);
	CHECK(p9_fid_new(&tab, P9_NOFID, &f) == STATUS_ERR_INVAL);
	CHECK(p9_fid_new(&tab, 1, &f) == 0);
	CHECK(f->fid == 1 && f->mode == P9_FID_CLOSED && f->node == 0);
	f->node = &tab;
	CHECK(p9_fid_new(&tab, 1, &g) == STATUS_ERR_EXIST);
	CHECK(p9_fid_get(&tab, 1) == f && f->node == &tab);
	CHECK(tab.count == 1);
	for (uint32_t i = 2; i <= CAP; i++)
		CHECK(p9_fid_new(&tab, i * 1000, &g) == 0);
	CHECK(p9_fid_new(&tab, 7, &g) == STATUS_ERR_QUOTA);
	CHECK(p9_fid_get(&tab, 7) == 0 && tab.count == CAP);
	/* Full, a fid in use is still reported as in use, not as quota. */
	CHECK(p9_fid_new(&tab, 1, &g) == STATUS_ERR_EXIST);
	CHECK(p9_fid_clunk(&tab, 1) == 0);
	CHECK(p9_fid_get(&tab, 1) == 0);
	CHECK(p9_fid_new(&tab, 7, &g) == 0 && p9_fid_get(&tab, 7) == g);
	/* An empty table over no storage refuses politely. */
	struct p9_fidtab none;
	p9_fid_init(&none, 0, 0, 0);
	CHECK(p9_fid_new(&none, 1, &g) == STATUS_ERR_QUOTA);
	CHECK(p9_fid_get(&none, 1) == 0);
	CHECK(p9_fid_clunk(&none, 1) == STATUS_ERR_NOENT);
	return 0;
}

/* Random churn against a reference list of (fid, entry) pairs. */
static int churn_matches_model(void)
{
	static uint32_t model_fid[CAP];
	static struct p9_fid *model_ent[CAP];
	uint32_t n = 0;
	p9_fid_init(&tab, ents, index_, CAP);
	srand(42);
	for (int step = 0; step < 200000; step++) {
		/* A small fid range makes collisions and re-use common. */
		uint32_t fid = (uint32_t)rand() % 200;
		uint32_t k = 0;
		while (k < n && model_fid[k] != fid)
			k++;
		struct p9_fid *f;
		if (rand() % 2) {
			int r = p9_fid_new(&tab, fid, &f);
			if (k < n)
				CHECK(r == STATUS_ERR_EXIST);
			else if (n == CAP)
				CHECK(r == STATUS_ERR_QUOTA);
			else {
				CHECK(r == 0 && f->fid == fid);
				model_fid[n] = fid;
				model_ent[n++] = f;
			}
		} else {
			int r = p9_fid_clunk(&tab, fid);
			CHECK(r == (k < n ? 0 : STATUS_ERR_NOENT));
			if (k < n) {
				model_fid[k] = model_fid[--n];
				model_ent[k] = model_ent[n];
			}
		}
		CHECK(tab.count == n);
		if (step % 97 == 0)
			for (uint32_t i = 0; i < n; i++)
				CHECK(p9_fid_get(&tab, model_fid[i]) ==
				      model_ent[i]);
		/* After either call, the fid is there iff the model has it. */
		k = 0;
		while (k < n && model_fid[k] != fid)
			k++;
		CHECK(p9_fid_get(&tab, fid) == (k < n ? model_ent[k] : 0));
	}
	for (uint32_t i = 0; i < n; i++)
		CHECK(p9_fid_get(&tab, model_fid[i]) == model_ent[i]);
	return 0;
}

int main(void)
{
	RUN(errors_change_nothing);
	RUN(churn_matches_model);
	return check_done();
}
