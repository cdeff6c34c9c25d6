/*
 * names: the directory of services (Amoeba's directory service). It maps
 * a name to a portal capability. Only the registrar (the root nester,
 * calling through a capability badged NAMES_BADGE_REGISTRAR) may register
 * or remove names; anyone may look a name up or list them. Its portal is
 * in slot 5 (given by the root nester).
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define PORTAL	  5
#define MAX_NAMES 64

static struct {
	char name[NAMES_MAX_NAME + 1];
	uint32_t slot; /* 0: free entry */
} table[MAX_NAMES];

static int find(const char *name)
{
	for (int i = 0; i < MAX_NAMES; i++)
		if (table[i].slot && !strcmp(table[i].name, name))
			return i;
	return -1;
}

/* The name in a registrar's request: 0, ERR_DENIED or ERR_INVAL. */
static long registrar_name(const struct server_call *c, char *name)
{
	if (c->badge != NAMES_BADGE_REGISTRAR)
		return STATUS_ERR_DENIED;
	return server_string(c, name, NAMES_MAX_NAME);
}

static long op_register(struct server_call *c)
{
	char name[NAMES_MAX_NAME + 1];
	long rc = registrar_name(c, name);
	if (rc)
		return rc;
	if (!c->cap_in || (metta_cap_info(c->cap_in) >> 32) != OBJ_PORTAL)
		return STATUS_ERR_INVAL;
	if (find(name) >= 0)
		return STATUS_ERR_EXIST;
	for (int i = 0; i < MAX_NAMES; i++) {
		if (table[i].slot)
			continue;
		uint32_t slot = metta_slot_alloc();
		if (!slot || metta_cap_move(c->cap_in, slot))
			return STATUS_ERR_NOMEM;
		memcpy(table[i].name, name, sizeof(name));
		table[i].slot = slot;
		return STATUS_OK;
	}
	return STATUS_ERR_NOMEM;
}

static long op_lookup(struct server_call *c)
{
	char name[NAMES_MAX_NAME + 1];
	long rc = server_string(c, name, NAMES_MAX_NAME);
	if (rc)
		return rc;
	int i = find(name);
	if (i < 0)
		return STATUS_ERR_NOENT;
	c->cap_out = table[i].slot;
	return STATUS_OK;
}

static long op_list(struct server_call *c)
{
	uint64_t n = 0;
	for (int i = 0; i < MAX_NAMES; i++) {
		if (!table[i].slot)
			continue;
		uint64_t k = strlen(table[i].name);
		memcpy(c->reply + n, table[i].name, k);
		c->reply[n + k] = '\n';
		n += k + 1;
	}
	c->reply_len = n;
	return STATUS_OK;
}

static long op_unregister(struct server_call *c)
{
	char name[NAMES_MAX_NAME + 1];
	long rc = registrar_name(c, name);
	if (rc)
		return rc;
	int i = find(name);
	if (i < 0)
		return STATUS_ERR_NOENT;
	metta_cap_delete(table[i].slot);
	table[i].slot = 0;
	return STATUS_OK;
}

/* ---- /srv over 9P: one entry per service ---- */

static int srv_list(void *ctx, uint32_t index, char *name, uint64_t *inst)
{
	(void)ctx;
	for (int i = 0; i < MAX_NAMES; i++) {
		if (table[i].slot && index-- == 0) {
			strcpy(name, table[i].name);
			*inst = (uint64_t)i;
			return 1;
		}
	}
	return 0;
}

static int srv_lookup(void *ctx, struct p9_str name, uint64_t *inst)
{
	(void)ctx;
	for (int i = 0; i < MAX_NAMES; i++) {
		if (table[i].slot && p9_str_eq(name, table[i].name)) {
			*inst = (uint64_t)i;
			return 0;
		}
	}
	return -P9_ENOENT;
}

static int srv_name(void *ctx, uint64_t inst, char *name)
{
	(void)ctx;
	if (inst >= MAX_NAMES || !table[inst].slot)
		return -P9_ENOENT;
	strcpy(name, table[inst].name);
	return 0;
}

static const struct p9synth_dyn services = { srv_list, srv_lookup, srv_name };
static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, &services },
};
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 32, 16);

static const server_op ops[] = {
	[NAMES_REGISTER] = op_register,
	[NAMES_LOOKUP] = op_lookup,
	[NAMES_LIST] = op_list,
	[NAMES_UNREGISTER] = op_unregister,
	P9_PORTAL_OPS,
};

static const struct server names = { PORTAL, ops,
				     sizeof(ops) / sizeof(ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
	server_run(&names);
}
