/*
 * The /net tree over p9srv (docs/servers.md): the protocols' directories
 * with their clone files and conversations, ipifc, ndb and stats.
 *
 * Most nodes are fixed (the tree's own, and one per file of each
 * conversation slot). A fid that walks to `clone` or to a conversation's
 * `listen` gets a node of its own (an fnode): opening clone binds that
 * node to a new conversation, for which it then acts as ctl, and
 * connections a listen read hands out belong to the reading fid's node
 * until someone opens one of their files (conv.c).
 */
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "9p/synth.h"

#include "net.h"

enum kind {
	K_ROOT,
	K_PROTO,
	K_IPIFC,
	K_IFC0,
	K_IFSTATUS,
	K_IFCTL,
	K_NDB,
	K_STATS,
	K_CONV, /* a conversation's directory; its files follow */
	K_CTL,
	K_DATA,
	K_LOCAL,
	K_REMOTE,
	K_STATUS,
	K_LISTEN, /* fnodes only */
	K_CLONE,
	K_NKINDS
};
#define CONV_KINDS (K_STATUS - K_CONV + 1) /* fixed nodes per conversation */

struct node {
	uint8_t kind, proto, dyn;
	uint32_t id;	 /* the conversation (K_CONV..K_STATUS) */
	struct conv *c;	 /* fnodes: the conversation (0: clone not opened) */
	uint32_t refs;	 /* fnodes */
};

static const char *const proto_names[NET_PROTOS] = { "tcp", "udp", "icmp" };
static const char *const kind_names[K_NKINDS] = {
	[K_ROOT] = "/",	       [K_IPIFC] = "ipifc",   [K_IFC0] = "0",
	[K_IFSTATUS] = "status", [K_IFCTL] = "ctl",   [K_NDB] = "ndb",
	[K_STATS] = "stats",   [K_CTL] = "ctl",	      [K_DATA] = "data",
	[K_LOCAL] = "local",   [K_REMOTE] = "remote", [K_STATUS] = "status",
	[K_LISTEN] = "listen", [K_CLONE] = "clone",
};

static struct node root = { K_ROOT, 0, 0, 0, 0, 0 };
static struct node protos[NET_PROTOS];
static struct node ipifc = { K_IPIFC, 0, 0, 0, 0, 0 };
static struct node ifc0 = { K_IFC0, 0, 0, 0, 0, 0 };
static struct node ifstatus = { K_IFSTATUS, 0, 0, 0, 0, 0 };
static struct node ifctl = { K_IFCTL, 0, 0, 0, 0, 0 };
static struct node ndb = { K_NDB, 0, 0, 0, 0, 0 };
static struct node stats = { K_STATS, 0, 0, 0, 0, 0 };
static struct node convnodes[NET_PROTOS][NET_MAXCONV][CONV_KINDS];
static struct node fnodes[NET_MAXFNODE];

struct p9srv *net_srv;

void fs_init(struct p9srv *srv)
{
	net_srv = srv;
	for (int p = 0; p < NET_PROTOS; p++) {
		protos[p] = (struct node){ K_PROTO, (uint8_t)p, 0, 0, 0, 0 };
		for (uint32_t i = 0; i < NET_MAXCONV; i++)
			for (int k = 0; k < CONV_KINDS; k++)
				convnodes[p][i][k] = (struct node){
					(uint8_t)(K_CONV + k), (uint8_t)p, 0, i,
					0, 0
				};
	}
	srv->forget = conv_forget;
}

/* The conversation a node is of (0: none). */
struct conv *fs_node_conv(void *node)
{
	struct node *n = node;
	if (n->dyn)
		return n->c;
	if (n->kind >= K_CONV && n->kind <= K_STATUS)
		return conv_get(n->proto, n->id);
	return 0;
}

static struct node *fnode_new(uint8_t kind, uint8_t proto, struct conv *c)
{
	for (int i = 0; i < NET_MAXFNODE; i++)
		if (!fnodes[i].refs) {
			fnodes[i] = (struct node){ kind, proto, 1, 0, c, 1 };
			return &fnodes[i];
		}
	return 0;
}

/* ---- walking ---- */

static struct node *conv_node(uint8_t proto, uint32_t id, int kind)
{
	return &convnodes[proto][id][kind - K_CONV];
}

static int name_is(struct p9_str s, const char *name)
{
	return p9_str_eq(s, name);
}

/* The conversation directory called name ("0".."255") of proto. */
static int walk_conv(uint8_t proto, struct p9_str name, void **child)
{
	uint32_t id;
	if (name.len > 1 && name.s[0] == '0')
		return -P9_ENOENT;
	if (net_parse_num(name.s, name.len, NET_MAXCONV - 1, &id))
		return -P9_ENOENT;
	struct conv *c = conv_get(proto, id);
	if (!c)
		return -P9_ENOENT;
	conv_ref(c);
	*child = conv_node(proto, id, K_CONV);
	return 0;
}

static int walk_proto(struct node *d, struct p9_str name, void **child)
{
	if (name_is(name, "..")) {
		*child = &root;
		return 0;
	}
	if (!name_is(name, "clone"))
		return walk_conv(d->proto, name, child);
	struct node *f = fnode_new(K_CLONE, d->proto, 0);
	if (!f)
		return -P9_ENFILE;
	*child = f;
	return 0;
}

static int walk_in_conv(struct node *d, struct p9_str name, void **child)
{
	struct conv *c = conv_get(d->proto, d->id);
	if (name_is(name, "..")) {
		*child = &protos[d->proto];
		return 0;
	}
	if (name_is(name, "listen")) {
		struct node *f = fnode_new(K_LISTEN, d->proto, c);
		if (!f)
			return -P9_ENFILE;
		conv_ref(c);
		*child = f;
		return 0;
	}
	for (int k = K_CTL; k <= K_STATUS; k++)
		if (name_is(name, kind_names[k])) {
			conv_ref(c);
			*child = conv_node(d->proto, d->id, k);
			return 0;
		}
	return -P9_ENOENT;
}

static int walk_root(struct p9_str name, void **child)
{
	static struct node *const top[] = { &ipifc, &ndb, &stats };
	if (name_is(name, "..")) {
		*child = &root;
		return 0;
	}
	for (int p = 0; p < NET_PROTOS; p++)
		if (name_is(name, proto_names[p])) {
			*child = &protos[p];
			return 0;
		}
	for (unsigned i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (name_is(name, kind_names[top[i]->kind])) {
			*child = top[i];
			return 0;
		}
	return -P9_ENOENT;
}

static int op_walk1(void *ctx, void *dir, struct p9_str name, void **child)
{
	(void)ctx;
	struct node *d = dir;
	switch (d->kind) {
	case K_ROOT: return walk_root(name, child);
	case K_PROTO: return walk_proto(d, name, child);
	case K_CONV: return walk_in_conv(d, name, child);
	case K_IPIFC:
		*child = name_is(name, "..") ? &root
			 : name_is(name, "0") ? &ifc0
					      : 0;
		return *child ? 0 : -P9_ENOENT;
	case K_IFC0:
		*child = name_is(name, "..")	   ? &ipifc
			 : name_is(name, "status") ? &ifstatus
			 : name_is(name, "ctl")	   ? &ifctl
						   : 0;
		return *child ? 0 : -P9_ENOENT;
	default: return -P9_ENOTDIR;
	}
}

static int op_attach(void *ctx, struct p9_str uname, struct p9_str aname,
		     void **out)
{
	(void)ctx, (void)uname;
	if (aname.len)
		return -P9_EINVAL;
	*out = &root;
	return 0;
}

/* ---- stat ---- */

static int is_dir(uint8_t kind)
{
	return kind <= K_IFC0 || kind == K_CONV;
}

static char stat_name[16];

static int op_stat(void *ctx, void *node, struct p9_stat *st)
{
	(void)ctx;
	struct node *n = node;
	memset(st, 0, sizeof(*st));
	st->qid.path = (uint64_t)n->kind | (uint64_t)n->proto << 8 |
		       (uint64_t)(n->kind >= K_CONV && !n->dyn ? n->id + 1 : 0)
			   << 16;
	if (is_dir(n->kind)) {
		st->qid.type = P9_QTDIR;
		st->mode = P9_DMDIR | 0555;
	} else {
		st->mode = n->kind == K_STATS || n->kind == K_IFSTATUS ||
				   n->kind == K_NDB || n->kind == K_LOCAL ||
				   n->kind == K_REMOTE || n->kind == K_STATUS
			       ? 0444
			       : 0666;
	}
	if (n->kind == K_PROTO) {
		st->name = p9_str(proto_names[n->proto]);
	} else if (n->kind == K_CONV) {
		fmt_snprintf(stat_name, sizeof(stat_name), "%u", n->id);
		st->name = p9_str(stat_name);
	} else {
		st->name = p9_str(kind_names[n->kind]);
	}
	st->uid = st->gid = st->muid = p9_str("net");
	st->type = 'I';
	return 0;
}

/* ---- references ---- */

static void op_ref(void *ctx, void *node)
{
	(void)ctx;
	struct node *n = node;
	struct conv *c = n->dyn ? 0 : fs_node_conv(n);
	if (n->dyn)
		n->refs++;
	else if (c)
		conv_ref(c);
}

static void op_unref(void *ctx, void *node)
{
	(void)ctx;
	struct node *n = node;
	if (!n->dyn) {
		struct conv *c = fs_node_conv(n);
		if (c)
			conv_unref(c);
	} else if (--n->refs == 0) {
		struct conv *c = n->c;
		n->c = 0;
		if (n->kind == K_LISTEN)
			conv_listen_gone(n);
		if (c)
			conv_unref(c);
	}
	net_poll();
}

static int op_open(void *ctx, void *node, uint8_t mode)
{
	(void)ctx, (void)mode;
	struct node *n = node;
	if (n->kind == K_CLONE && !n->c) {
		n->c = conv_new(n->proto);
		return n->c ? 0 : -P9_ENOBUFS;
	}
	struct conv *c = fs_node_conv(n);
	if (c)
		conv_opened(c);
	return 0;
}

/* ---- reading and writing ---- */

static long text(const char *t, int n, uint64_t offset, void *buf,
		 uint32_t count)
{
	return p9synth_text(t, n < 0 ? 0 : (size_t)n, offset, buf, count);
}

static int stats_text(char *buf, int cap)
{
	int n = 0;
	for (int p = 0; p < NET_PROTOS; p++)
		n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "%s %u\n",
				  proto_names[p], conv_count(p));
	uint32_t f = 0;
	for (int i = 0; i < NET_MAXFNODE; i++)
		f += fnodes[i].refs != 0;
	n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "fnodes %u\nheld %u\n",
			  f, p9srv_nheld(net_srv));
	return n;
}

static long op_read(void *ctx, void *node, uint64_t offset, void *buf,
		    uint32_t count)
{
	(void)ctx;
	static char t[512];
	struct node *n = node;
	struct conv *c = fs_node_conv(n);
	if (!c && n->kind >= K_CONV)
		return n->kind == K_CLONE ? -P9_EBADF : -P9_ENOENT;
	switch (n->kind) {
	case K_CLONE:
	case K_CTL:
		if (offset & READY_QUERY)
			return conv_query(c, offset, buf);
		return text(t, fmt_snprintf(t, sizeof(t), "%u", conv_id(c)),
			    offset, buf, count);
	case K_DATA: return conv_read_data(c, offset, buf, count);
	case K_LISTEN: return conv_read_listen(c, n, offset, buf, count);
	case K_LOCAL: return text(t, conv_local(c, t, sizeof(t)), offset, buf, count);
	case K_REMOTE: return text(t, conv_remote(c, t, sizeof(t)), offset, buf, count);
	case K_STATUS: return text(t, conv_status(c, t, sizeof(t)), offset, buf, count);
	case K_IFSTATUS: return text(t, ether_status(t, sizeof(t)), offset, buf, count);
	case K_NDB: return text(t, ether_ndb(t, sizeof(t)), offset, buf, count);
	case K_STATS: return text(t, stats_text(t, sizeof(t)), offset, buf, count);
	case K_IFCTL: return 0;
	default: return -P9_EINVAL;
	}
}

static long op_write(void *ctx, void *node, uint64_t offset, const void *data,
		     uint32_t count)
{
	(void)ctx;
	struct node *n = node;
	struct conv *c = fs_node_conv(n);
	long rc;
	if (n->kind == K_IFCTL)
		rc = ether_ctl(data, count);
	else if (!c)
		rc = -P9_EINVAL;
	else if (n->kind == K_CLONE || n->kind == K_CTL)
		rc = conv_ctl(c, offset, data, count);
	else if (n->kind == K_DATA)
		rc = conv_write_data(c, offset, data, count);
	else
		rc = -P9_EINVAL;
	net_poll();
	return rc;
}

/* ---- directories ---- */

static int readdir_proto(struct node *d, uint32_t index, struct p9_stat *st)
{
	if (index == 0) {
		static struct node clone = { K_CLONE, 0, 0, 0, 0, 0 };
		clone.proto = d->proto;
		return op_stat(0, &clone, st) == 0;
	}
	uint32_t at = 0, id = 0;
	for (uint32_t i = 0; i < index; i++)
		if (!conv_next(d->proto, &at, &id))
			return 0;
	return op_stat(0, conv_node(d->proto, id, K_CONV), st) == 0;
}

static int op_readdir(void *ctx, void *dir, uint32_t index, struct p9_stat *st)
{
	(void)ctx;
	struct node *d = dir;
	static struct node listen = { K_LISTEN, 0, 0, 0, 0, 0 };
	static struct node *const top[] = { &protos[0], &protos[1], &protos[2],
					    &ipifc, &ndb, &stats };
	switch (d->kind) {
	case K_ROOT:
		return index < 6 && op_stat(0, top[index], st) == 0;
	case K_PROTO: return readdir_proto(d, index, st);
	case K_CONV:
		if (index == CONV_KINDS - 1)
			return op_stat(0, &listen, st) == 0;
		return index < CONV_KINDS - 1 &&
		       op_stat(0, conv_node(d->proto, d->id, K_CTL + (int)index),
			       st) == 0;
	case K_IPIFC: return index == 0 && op_stat(0, &ifc0, st) == 0;
	case K_IFC0:
		return index < 2 &&
		       op_stat(0, index ? &ifctl : &ifstatus, st) == 0;
	default: return 0;
	}
}

const struct p9srv_ops net_ops = {
	.attach = op_attach,
	.walk1 = op_walk1,
	.stat = op_stat,
	.ref = op_ref,
	.unref = op_unref,
	.open = op_open,
	.read = op_read,
	.readdir = op_readdir,
	.write = op_write,
};
