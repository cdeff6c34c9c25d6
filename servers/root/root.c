/*
 * The root nester: the first program, started by the nucleus with every
 * device, every boot module and nearly all memory. It starts the servers
 * (each in its own domain, with its class, quota and priority, and exactly
 * the capabilities it needs), publishes their portals in `names`, starts
 * the init program (`init=` on the command line, msh by default), serves
 * its children's requests (spawn, list and kill domains, power off), and
 * restarts a server that dies. Its portals outlive the servers behind
 * them, so a restarted server keeps its clients and its name.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define INFO_VA		0x600000000000ull
#define MODULE_VA	0x610000000000ull
#define RUNTIME_VA	0x620000000000ull /* the POSIX runtime's image */
/* Our own fixed slots come after every slot a boot module may hold (and
 * before the first slot metta_slot_alloc hands out). */
#define FIXED_SLOTS	(CAP_FIRST_MODULE + METTA_MAX_MODULES)
#define DEATHS		(FIXED_SLOTS + 0) /* event: bit i = service i ended */
#define NESTER_PORTAL	(FIXED_SLOTS + 1)
#define NAMES_REGISTRAR (FIXED_SLOTS + 2)
#define TMP		(FIXED_SLOTS + 3)
#define PROC_PORTAL	(FIXED_SLOTS + 4)
_Static_assert(PROC_PORTAL < 64, "fixed slots below metta_slot_alloc's");
#define MAX_DOMAINS	64
#define INIT_BIT	32
#define NS_TEXT		2048
#define APP_QUOTA	(32 << 20)
#define RAMFS_HEAP_KIB	(24 * 1024)

/* The namespace init starts with (runtime/ns.c has the syntax): the ramfs
 * root, the devices as a union in /dev, the services in /srv and the
 * processes in /proc. Children start with their parent's. */
static const char default_ns[] = "mount -c ramfs /\n"
				 "mount cons /dev\n"
				 "mount -a random /dev\n"
				 "mount -a log /dev\n"
				 "mount names /srv\n"
				 "mount proc /proc\n";

struct service {
	const char *module, *name;
	int64_t class, prio;
	uint64_t quota;
	uint64_t port_base, port_count; /* ports given as slot 12 */
	int irq;			/* line given as slot 13, or -1 */
	const char *data;		/* a module given as slot 12 (ramfs) */
	uint32_t portal;		/* ours; the server gets SERVE in 5 */
	uint32_t domain, thread;
	int restarts;
};

static struct service services[] = {
	{ "names.srv", "names", METTA_CLASS_SERVER, METTA_PRIO_HIGH, 2 << 20, 0,
	  0, -1, 0, 0, 0, 0, 0 },
	{ "log.srv", "log", METTA_CLASS_SERVER, METTA_PRIO_NORM, 2 << 20, 0, 0,
	  -1, 0, 0, 0, 0, 0 },
	{ "cons.srv", "cons", METTA_CLASS_DRIVER, METTA_PRIO_HIGH, 2 << 20,
	  0x3f8, 8, 4, 0, 0, 0, 0, 0 },
	{ "tod.srv", "tod", METTA_CLASS_DRIVER, METTA_PRIO_NORM, 1 << 20, 0x70,
	  2, -1, 0, 0, 0, 0, 0 },
	{ "random.srv", "random", METTA_CLASS_SERVER, METTA_PRIO_NORM, 2 << 20,
	  0, 0, -1, 0, 0, 0, 0, 0 },
	{ "ramfs.srv", "ramfs", METTA_CLASS_SERVER, METTA_PRIO_NORM,
	  (RAMFS_HEAP_KIB << 10) + (4 << 20), 0, 0, -1, "root.cpio", 0, 0, 0,
	  0 },
};
#define NSERVICES (int)(sizeof(services) / sizeof(services[0]))

/*
 * Every domain we started, for `domains`, `kill` and /proc. A program's
 * record also holds its namespace (as its runtime last reported it) and
 * is what its badged nester capability (badge = index + 1) names.
 */
static struct {
	uint32_t slot;	 /* 0: free */
	uint32_t thread; /* its first thread, for stop and start (or 0) */
	int parent;	 /* the record of the program that asked for it */
	char name[32];
	char ns[NS_TEXT];
} domains[MAX_DOMAINS];
static struct metta_mutex table_lock; /* domains[]: nester and /proc */

static const struct metta_bootinfo *boot =
    (const struct metta_bootinfo *)INFO_VA;
static uint8_t server_stacks[2][16384] __attribute__((aligned(16)));
static const char *const class_names[] = { "driver", "server", "application" };
static const char *const prio_names[] = { "high", "norm", "low" };
static volatile int init_ended;
static uint32_t init_domain;

/* Modules we will not use (check_modules), never found by name. */
static uint8_t refused[METTA_MAX_MODULES];

static int find_module(const char *name)
{
	for (uint64_t i = 0; i < boot->nmodules && i < METTA_MAX_MODULES; i++)
		if (!refused[i] && !strcmp(boot->modules[i].name, name))
			return (int)i;
	return -1;
}

/* Why module i cannot be used, or 0. */
static const char *module_fault(uint64_t i)
{
	if (boot->modules[i].size == 0)
		return "it is empty";
	if (metta_cap_info(CAP_FIRST_MODULE + (uint32_t)i) < 0)
		return "the nucleus handed over no memory object for it";
	for (uint64_t j = 0; j < i; j++)
		if (!refused[j] &&
		    !strcmp(boot->modules[j].name, boot->modules[i].name))
			return "an earlier module has the same name";
	return 0;
}

/* Refuses, by name and with the reason, every module we cannot use; the
 * others are handed over as usual. */
static void check_modules(void)
{
	uint64_t n = boot->nmodules;
	if (n > METTA_MAX_MODULES) {
		metta_printf("root: %lu modules named, only %d used", n,
			     METTA_MAX_MODULES);
		n = METTA_MAX_MODULES;
	}
	for (uint64_t i = 0; i < n; i++) {
		const char *why = module_fault(i);
		if (!why)
			continue;
		refused[i] = 1;
		metta_printf("root: module %s refused: %s",
			     boot->modules[i].name, why);
	}
}

/* A record for a new domain: its index, or -1 when the table is full. */
static int remember(uint32_t slot, const char *name, uint32_t thread,
		    const char *ns, int parent)
{
	metta_mutex_lock(&table_lock);
	for (int i = 0; i < MAX_DOMAINS; i++) {
		if (domains[i].slot == 0) {
			domains[i].slot = slot;
			domains[i].thread = thread;
			domains[i].parent = parent;
			fmt_snprintf(domains[i].name, sizeof(domains[i].name),
				     "%s", name);
			fmt_snprintf(domains[i].ns, sizeof(domains[i].ns), "%s",
				     ns);
			metta_mutex_unlock(&table_lock);
			return i;
		}
	}
	metta_mutex_unlock(&table_lock);
	return -1;
}

static void forget(uint32_t slot)
{
	for (int i = 0; i < MAX_DOMAINS; i++)
		if (domains[i].slot == slot)
			domains[i].slot = 0;
}

/* The POSIX runtime's image, mapped once: Linux programs need it. */
static const void *runtime_image(uint64_t *size)
{
	static int mapped = -1;
	int m = find_module("runtime");
	if (m < 0)
		return 0;
	*size = boot->modules[m].size;
	if (mapped < 0)
		mapped = metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m,
				       0, RUNTIME_VA, (*size + 4095) / 4096,
				       RIGHT_READ) == 0;
	return mapped ? (const void *)RUNTIME_VA : 0;
}

/* Maps module `name`, spawns it (with namespace ns), unmaps it. */
static long spawn_module(const char *name, int argc, const char *const *argv,
			 int64_t class, int64_t prio, uint64_t quota,
			 uint32_t d, uint32_t t, const char *ns)
{
	int m = find_module(name);
	if (m < 0)
		return STATUS_ERR_NOENT;
	uint64_t pages = (boot->modules[m].size + 4095) / 4096;
	long rc = metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m, 0,
				MODULE_VA, pages, RIGHT_READ);
	if (rc)
		return rc;
	struct metta_spawn a = { .argc = argc,
				 .argv = argv,
				 .class = class,
				 .prio = prio,
				 .quota = quota,
				 .ns = ns };
	a.runtime = runtime_image(&a.runtime_size);
	const char *why;
	rc = metta_spawn((const void *)MODULE_VA, boot->modules[m].size, &a, d,
			 t, &why);
	metta_mem_unmap(CAP_SELF, MODULE_VA);
	if (rc)
		metta_printf("root: cannot start %s: %s (%s)", name,
			     status_text((int)rc), why);
	return rc;
}

/* A device capability for a child: minted narrow, then given. */
static long give_device(uint32_t d, uint32_t from, uint64_t base,
			uint64_t count, uint32_t slot)
{
	metta_cap_delete(TMP);
	long rc = metta_dev_mint(from, TMP, base, count);
	if (rc == 0)
		rc = metta_cap_give(d, TMP, slot, RIGHT_ALL);
	metta_cap_delete(TMP);
	return rc;
}

/* The capabilities every program gets (CAP_TTY...): calls to services,
 * and our nester service badged with its record's index + 1. */
static void give_environment(uint32_t d, int record)
{
	static const struct {
		const char *service;
		uint32_t slot;
	} env[] = { { "cons", CAP_TTY },
		    { "random", CAP_RANDOM },
		    { "tod", CAP_TOD },
		    { "names", CAP_NAMES },
		    { "log", CAP_LOG } };
	for (unsigned i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		for (int s = 0; s < NSERVICES; s++)
			if (!strcmp(services[s].name, env[i].service))
				metta_cap_give(d, services[s].portal,
					       env[i].slot,
					       RIGHT_CALL | RIGHT_GRANT);
	metta_cap_delete(TMP);
	if (metta_cap_copy(NESTER_PORTAL, TMP, RIGHT_CALL | RIGHT_GRANT,
			   (uint64_t)record + 1) == 0)
		metta_cap_give(d, TMP, CAP_NESTER, RIGHT_CALL);
	metta_cap_delete(TMP);
}

static long start_service(int i)
{
	struct service *s = &services[i];
	s->domain = metta_slot_alloc();
	s->thread = metta_slot_alloc();
	char size[24], heap[24];
	const char *argv[] = { s->module, size, heap };
	int argc = 1, data = s->data ? find_module(s->data) : -1;
	if (data >= 0) {
		/* ramfs: its first contents and how much it may hold. */
		fmt_snprintf(size, sizeof(size), "%lu",
			     boot->modules[data].size);
		fmt_snprintf(heap, sizeof(heap), "%d", RAMFS_HEAP_KIB);
		argc = 3;
	}
	long rc = spawn_module(s->module, argc, argv, s->class, s->prio,
			       s->quota, s->domain, s->thread, 0);
	if (rc)
		return rc;
	/* Serving, and minting badged connections (9P, lib/9p/portal.h). */
	rc = metta_cap_give(s->domain, s->portal, 5,
			    RIGHT_SERVE | RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0 && data >= 0)
		rc =
		    metta_cap_give(s->domain, CAP_FIRST_MODULE + (uint32_t)data,
				   12, RIGHT_READ | RIGHT_GRANT);
	if (rc == 0 && s->port_count)
		rc = give_device(s->domain, CAP_IOPORTS, s->port_base,
				 s->port_count, 12);
	if (rc == 0 && s->irq >= 0)
		rc = give_device(s->domain, CAP_IRQS, (uint64_t)s->irq, 1, 13);
	if (rc == 0 && s->irq == 4) {
		/* The console's screen and keyboard, for when a display is
		 * attached: VGA text memory, the PS/2 controller, IRQ 1. */
		give_device(s->domain, CAP_PHYSMEM, 0xb8000, 0x1000, 14);
		give_device(s->domain, CAP_IOPORTS, 0x60, 5, 15);
		give_device(s->domain, CAP_IRQS, 1, 1, 16);
	}
	if (rc == 0)
		rc = metta_domain_watch(s->domain, DEATHS, 1ull << i);
	if (rc == 0)
		rc = metta_thread_ctl(s->thread, THREAD_START, 0);
	if (rc)
		return rc;
	remember(s->domain, s->name, 0, "", -1);
	return 0;
}

static long publish(void);

static void restart(int i)
{
	struct service *s = &services[i];
	struct metta_domain_info info;
	metta_domain_info(s->domain, &info);
	metta_printf("root: %s ended with status %ld; restarting it", s->name,
		     info.exit_status);
	forget(s->domain);
	metta_cap_delete(s->thread);
	metta_cap_delete(s->domain);
	s->restarts++;
	if (start_service(i)) {
		metta_printf("root: %s could not be restarted", s->name);
		return;
	}
	/* A new name server knows nothing: tell it every name again. */
	if (i == 0 && publish())
		metta_printf("root: publishing names again failed");
}

/* ---- the nester service (NESTER_*) ---- */

static long op_spawn(struct server_call *c)
{
	const char *argv[16];
	int argc = 0;
	uint64_t at = 0;
	if (c->len == 0 || c->data[c->len - 1] != 0)
		return STATUS_ERR_INVAL;
	while (at < c->len && argc < 16) {
		argv[argc++] = (const char *)c->data + at;
		at += strlen((const char *)c->data + at) + 1;
	}
	uint32_t d = metta_slot_alloc(), t = metta_slot_alloc();
	if (!d || !t)
		return STATUS_ERR_NOMEM;
	/* The child starts with its parent's namespace. */
	static char ns[NS_TEXT];
	uint64_t parent = c->badge - 1;
	metta_mutex_lock(&table_lock);
	fmt_snprintf(ns, sizeof(ns), "%s",
		     parent < MAX_DOMAINS && domains[parent].slot
			 ? domains[parent].ns
			 : default_ns);
	metta_mutex_unlock(&table_lock);
	long rc = spawn_module(argv[0], argc, argv, METTA_CLASS_APPLICATION,
			       METTA_PRIO_NORM, APP_QUOTA, d, t, ns);
	if (rc)
		return rc;
	int record = remember(d, argv[0], t, ns,
			      parent < MAX_DOMAINS ? (int)parent : -1);
	give_environment(d, record);
	if ((rc = metta_thread_ctl(t, THREAD_START, 0)))
		return rc;
	c->cap_out = d;
	return STATUS_OK;
}

/*
 * A program's runtime tells us its namespace changed; with w1 = 1 its
 * parent takes it too (the bind and mount commands change their shell's).
 */
static long op_setns(struct server_call *c)
{
	uint64_t i = c->badge - 1;
	if (i >= MAX_DOMAINS || c->len >= NS_TEXT)
		return STATUS_ERR_INVAL;
	metta_mutex_lock(&table_lock);
	int p = domains[i].parent;
	for (int r = (int)i; r >= 0; r = c->w[1] && r == (int)i ? p : -1) {
		memcpy(domains[r].ns, c->data, c->len);
		domains[r].ns[c->len] = 0;
	}
	metta_mutex_unlock(&table_lock);
	return STATUS_OK;
}

static int is_service(uint32_t slot)
{
	for (int i = 0; i < NSERVICES; i++)
		if (services[i].domain == slot)
			return 1;
	return 0;
}

/* Forgets finished children that nobody else asked about. */
static void prune(void)
{
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (!domains[i].slot ||
		    metta_domain_info(domains[i].slot, &d) || !d.dead)
			continue;
		if (domains[i].slot != init_domain &&
		    !is_service(domains[i].slot)) {
			metta_mutex_lock(&table_lock);
			metta_cap_delete(domains[i].slot);
			if (domains[i].thread)
				metta_cap_delete(domains[i].thread);
			domains[i].slot = domains[i].thread = 0;
			metta_mutex_unlock(&table_lock);
		}
	}
}

static long op_domains(struct server_call *c)
{
	prune();
	uint64_t n = (uint64_t)fmt_snprintf(
	    (char *)c->reply, SERVER_BUF,
	    "%4s  %-12s %-11s %-4s %10s %10s %7s  %s\n", "ID", "NAME", "CLASS",
	    "PRIO", "QUOTA USED", "QUOTA", "THREADS", "NESTER");
	struct metta_domain_info self;
	metta_domain_info(CAP_SELF, &self);
	n += (uint64_t)fmt_snprintf(
	    (char *)c->reply + n, SERVER_BUF - n,
	    "%4ld  %-12s %-11s %-4s %10lu %10lu %7ld  %s\n", self.id, "root",
	    class_names[self.class], prio_names[self.prio], self.quota_used,
	    self.quota_limit, self.threads, "nucleus");
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (!domains[i].slot || metta_domain_info(domains[i].slot, &d))
			continue;
		if (d.dead)
			continue;
		n += (uint64_t)fmt_snprintf(
		    (char *)c->reply + n, SERVER_BUF - n,
		    "%4ld  %-12s %-11s %-4s %10lu %10lu %7ld  %s\n", d.id,
		    domains[i].name, class_names[d.class], prio_names[d.prio],
		    d.quota_used, d.quota_limit, d.threads, "root");
	}
	c->reply_len = n;
	return STATUS_OK;
}

static long op_kill(struct server_call *c)
{
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (domains[i].slot &&
		    metta_domain_info(domains[i].slot, &d) == 0 &&
		    (uint64_t)d.id == c->w[1] && !d.dead)
			return metta_domain_kill(domains[i].slot, 0x200 | 9);
	}
	return STATUS_ERR_NOENT;
}

static long op_poweroff(struct server_call *c)
{
	(void)c;
	metta_printf("root: powering off");
	metta_exit(0); /* the nucleus powers off when the root domain ends */
	return STATUS_OK;
}

static const server_op ops[] = {
	[NESTER_SPAWN] = op_spawn, [NESTER_DOMAINS] = op_domains,
	[NESTER_KILL] = op_kill,   [NESTER_POWEROFF] = op_poweroff,
	[NESTER_SETNS] = op_setns,
};
static const struct server nester = { NESTER_PORTAL, ops,
				      sizeof(ops) / sizeof(ops[0]) };

static void nester_thread(void)
{
	server_run(&nester);
}

/* ---- /proc over 9P: a directory per process (status, ns, ctl) ---- */

/* The record of a live domain whose id is inst, or -1. */
static int record_of(uint64_t inst)
{
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (domains[i].slot &&
		    metta_domain_info(domains[i].slot, &d) == 0 &&
		    (uint64_t)d.id == inst && !d.dead)
			return i;
	}
	return -1;
}

static int proc_list(void *ctx, uint32_t index, char *name, uint64_t *inst)
{
	(void)ctx;
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (!domains[i].slot ||
		    metta_domain_info(domains[i].slot, &d) || d.dead ||
		    index-- != 0)
			continue;
		fmt_snprintf(name, P9SYNTH_NAMEMAX, "%ld", d.id);
		*inst = (uint64_t)d.id;
		return 1;
	}
	return 0;
}

static int proc_lookup(void *ctx, struct p9_str name, uint64_t *inst)
{
	(void)ctx;
	uint64_t id = 0;
	if (name.len == 0 || name.len > 9)
		return -P9_ENOENT;
	for (uint16_t i = 0; i < name.len; i++) {
		if (name.s[i] < '0' || name.s[i] > '9')
			return -P9_ENOENT;
		id = id * 10 + (uint64_t)(name.s[i] - '0');
	}
	if (record_of(id) < 0)
		return -P9_ENOENT;
	*inst = id;
	return 0;
}

static int proc_name(void *ctx, uint64_t inst, char *name)
{
	(void)ctx;
	if (record_of(inst) < 0)
		return -P9_ENOENT;
	fmt_snprintf(name, P9SYNTH_NAMEMAX, "%lu", inst);
	return 0;
}

/* Bytes [offset, offset + count) of a text made whole each time. */
static long text_slice(const char *text, uint64_t offset, void *buf,
		       uint32_t count)
{
	uint64_t n = strlen(text);
	if (offset >= n)
		return 0;
	if (count > n - offset)
		count = (uint32_t)(n - offset);
	memcpy(buf, text + offset, count);
	return count;
}

static long proc_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx;
	static char text[NS_TEXT];
	int r = record_of(inst);
	struct metta_domain_info d;
	if (r < 0 || metta_domain_info(domains[r].slot, &d))
		return -P9_ENOENT;
	if (!strcmp(e->name, "ns")) {
		metta_mutex_lock(&table_lock);
		fmt_snprintf(text, sizeof(text), "%s", domains[r].ns);
		metta_mutex_unlock(&table_lock);
	} else {
		long state =
		    domains[r].thread
			? metta_thread_ctl(domains[r].thread, THREAD_STATE, 0)
			: THREAD_IS_RUNNING;
		fmt_snprintf(
		    text, sizeof(text), "%s %s %s %lu %lu %ld %s\n",
		    domains[r].name, class_names[d.class], prio_names[d.prio],
		    d.quota_used, d.quota_limit, d.threads,
		    state == THREAD_IS_SUSPENDED ? "stopped" : "running");
	}
	return text_slice(text, offset, buf, count);
}

/* ctl: "kill", "stop" or "start". */
static long proc_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)offset;
	char cmd[8] = { 0 };
	int r = record_of(inst);
	if (r < 0)
		return -P9_ENOENT;
	memcpy(cmd, data, count < 7 ? count : 7);
	for (int i = 0; i < 8; i++)
		if (cmd[i] == '\n')
			cmd[i] = 0;
	long rc;
	if (!strcmp(cmd, "kill"))
		rc = metta_domain_kill(domains[r].slot, 0x200 | 9);
	else if (!strcmp(cmd, "stop") && domains[r].thread)
		rc = metta_thread_ctl(domains[r].thread, THREAD_SUSPEND, 0);
	else if (!strcmp(cmd, "start") && domains[r].thread)
		rc = metta_thread_ctl(domains[r].thread, THREAD_RESUME, 0);
	else
		return -P9_EINVAL;
	return rc ? -P9_EINVAL : (long)count;
}

static const struct p9synth_dyn processes = { proc_list, proc_lookup,
					      proc_name };
static const struct p9synth_entry proc_files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, &processes },
	{ "status", 1, 0444, 0, proc_read, 0, 0, 0 },
	{ "ns", 2, 0444, 0, proc_read, 0, 0, 0 },
	{ "ctl", 3, 0222, 0, 0, proc_write, 0, 0 },
};
static struct p9synth proc_tree;
static struct p9srv proc_fs;
static P9SRV_STORAGE(proc_store, 32, 32);

static void proc_thread(void)
{
	p9synth_init(&proc_tree, proc_files,
		     sizeof(proc_files) / sizeof(proc_files[0]), "root", 0);
	p9srv_init(&proc_fs, &p9synth_ops, &proc_tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(proc_store));
	p9_serve_portal(&proc_fs, PROC_PORTAL);
}

static long publish(void)
{
	/* Our own badged capability to names: the registrar's. */
	long rc = 0;
	if (metta_cap_info(NAMES_REGISTRAR) < 0)
		rc = metta_cap_copy(services[0].portal, NAMES_REGISTRAR,
				    RIGHT_CALL | RIGHT_GRANT,
				    NAMES_BADGE_REGISTRAR);
	for (int i = 0; rc == 0 && i < NSERVICES; i++) {
		metta_cap_delete(TMP);
		rc = metta_cap_copy(services[i].portal, TMP,
				    RIGHT_CALL | RIGHT_GRANT, 0);
		uint64_t w[4] = { NAMES_REGISTER };
		if (rc == 0)
			rc = metta_request(NAMES_REGISTRAR, w, services[i].name,
					   strlen(services[i].name), 0, 0, 0,
					   TMP, 0);
	}
	if (rc == 0) {
		/* Our own /proc service. */
		metta_cap_delete(TMP);
		rc = metta_cap_copy(PROC_PORTAL, TMP, RIGHT_CALL | RIGHT_GRANT,
				    0);
		uint64_t w[4] = { NAMES_REGISTER };
		if (rc == 0)
			rc = metta_request(NAMES_REGISTRAR, w, "proc", 4, 0, 0,
					   0, TMP, 0);
	}
	metta_cap_delete(TMP);
	return rc;
}

/*
 * The init program: `init=NAME` on the command line (msh by default), with
 * arguments after commas: init=bench,-d,/tmp,file runs "bench -d /tmp file".
 */
static long start_init(void)
{
	static char line[128] = "msh";
	const char *argv[16] = { line };
	int argc = 1;
	const char *cmd = boot->cmdline;
	for (int i = 0; cmd[i]; i++)
		if (!strncmp(cmd + i, "init=", 5) &&
		    (i == 0 || cmd[i - 1] == ' ')) {
			int k = 0;
			for (i += 5; cmd[i] && cmd[i] != ' ' && k < 127; i++) {
				line[k] = cmd[i] == ',' ? 0 : cmd[i];
				if (!line[k] && argc < 16)
					argv[argc++] = line + k + 1;
				k++;
			}
			line[k] = 0;
			break;
		}
	const char *name = line;
	init_domain = metta_slot_alloc();
	uint32_t t = metta_slot_alloc();
	long rc =
	    spawn_module(name, argc, argv, METTA_CLASS_APPLICATION,
			 METTA_PRIO_NORM, 64 << 20, init_domain, t, default_ns);
	if (rc)
		return rc;
	give_environment(init_domain,
			 remember(init_domain, name, t, default_ns, -1));
	metta_domain_watch(init_domain, DEATHS, 1ull << INIT_BIT);
	return metta_thread_ctl(t, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) ||
	    metta_event_create(DEATHS) || metta_portal_create(NESTER_PORTAL) ||
	    metta_portal_create(PROC_PORTAL) || metta_mutex_init(&table_lock)) {
		metta_printf("root: cannot set up its own slots");
		return 1;
	}
	check_modules();
	for (int i = 0; i < NSERVICES; i++) {
		services[i].portal = metta_slot_alloc();
		if (metta_portal_create(services[i].portal)) {
			metta_printf("root: cannot create %s's portal",
				     services[i].name);
			return 2;
		}
	}
	for (int i = 0; i < NSERVICES; i++)
		if (start_service(i))
			metta_printf("root: %s did not start",
				     services[i].name);
	long rc = publish();
	if (rc)
		metta_printf("root: publishing names failed: %s",
			     status_text((int)rc));
	uint32_t t = metta_slot_alloc();
	metta_thread_create(CAP_SELF, t, (uint64_t)nester_thread,
			    (uint64_t)&server_stacks[0][16384] - 8,
			    METTA_PRIO_HIGH);
	metta_thread_ctl(t, THREAD_START, 0);
	t = metta_slot_alloc();
	metta_thread_create(CAP_SELF, t, (uint64_t)proc_thread,
			    (uint64_t)&server_stacks[1][16384] - 8,
			    METTA_PRIO_HIGH);
	metta_thread_ctl(t, THREAD_START, 0);
	if ((rc = start_init())) {
		metta_printf("root: no init program: %s", status_text((int)rc));
		return 3;
	}
	for (;;) {
		long bits = metta_event_wait(
		    DEATHS, ((1ull << NSERVICES) - 1) | (1ull << INIT_BIT), 0);
		if (bits < 0)
			continue;
		if (bits & (1ull << INIT_BIT)) {
			struct metta_domain_info i;
			metta_domain_info(init_domain, &i);
			metta_printf(
			    "root: init ended with status %ld; powering off",
			    i.exit_status);
			return 0;
		}
		for (int i = 0; i < NSERVICES; i++)
			if (bits & (1ull << i))
				restart(i);
	}
}
