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
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define INFO_VA 0x600000000000ull
#define MODULE_VA 0x610000000000ull
#define DEATHS 40 /* event: bit i = service i ended; bit 63-ish: init */
#define NESTER_PORTAL 41
#define NAMES_REGISTRAR 42
#define TMP 43
#define MAX_DOMAINS 64
#define INIT_BIT 32

struct service {
	const char *module, *name;
	int64_t class, prio;
	uint64_t quota;
	uint64_t port_base, port_count; /* ports given as slot 12 */
	int irq;			 /* line given as slot 13, or -1 */
	uint32_t portal;		 /* ours; the server gets SERVE in 5 */
	uint32_t domain, thread;
	int restarts;
};

static struct service services[] = {
	{ "names.srv", "names", METTA_CLASS_SERVER, METTA_PRIO_HIGH, 1 << 20, 0, 0, -1, 0, 0, 0, 0 },
	{ "log.srv", "log", METTA_CLASS_SERVER, METTA_PRIO_NORM, 2 << 20, 0, 0, -1, 0, 0, 0, 0 },
	{ "cons.srv", "cons", METTA_CLASS_DRIVER, METTA_PRIO_HIGH, 2 << 20, 0x3f8, 8, 4, 0, 0, 0, 0 },
	{ "tod.srv", "tod", METTA_CLASS_DRIVER, METTA_PRIO_NORM, 1 << 20, 0x70, 2, -1, 0, 0, 0, 0 },
	{ "random.srv", "random", METTA_CLASS_SERVER, METTA_PRIO_NORM, 1 << 20, 0, 0, -1, 0, 0, 0, 0 },
};
#define NSERVICES (int)(sizeof(services) / sizeof(services[0]))

/* Every domain we started, for `domains` and `kill`. */
static struct {
	uint32_t slot; /* 0: free */
	char name[32];
} domains[MAX_DOMAINS];

static const struct metta_bootinfo *boot = (const struct metta_bootinfo *)INFO_VA;
static uint8_t server_stacks[2][16384] __attribute__((aligned(16)));
static volatile int init_ended;
static uint32_t init_domain;

static int find_module(const char *name)
{
	for (uint64_t i = 0; i < boot->nmodules; i++)
		if (!strcmp(boot->modules[i].name, name))
			return (int)i;
	return -1;
}

static void remember(uint32_t slot, const char *name)
{
	for (int i = 0; i < MAX_DOMAINS; i++) {
		if (domains[i].slot == 0) {
			domains[i].slot = slot;
			fmt_snprintf(domains[i].name, sizeof(domains[i].name), "%s", name);
			return;
		}
	}
}

static void forget(uint32_t slot)
{
	for (int i = 0; i < MAX_DOMAINS; i++)
		if (domains[i].slot == slot)
			domains[i].slot = 0;
}

/* Maps module `name`, spawns it, unmaps it. */
static long spawn_module(const char *name, int argc, const char *const *argv,
			 int64_t class, int64_t prio, uint64_t quota,
			 uint32_t d, uint32_t t)
{
	int m = find_module(name);
	if (m < 0)
		return STATUS_ERR_NOENT;
	uint64_t pages = (boot->modules[m].size + 4095) / 4096;
	long rc = metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m, 0,
				MODULE_VA, pages, RIGHT_READ);
	if (rc)
		return rc;
	struct metta_spawn a = { argc, argv, 0, 0, class, prio, quota };
	const char *why;
	rc = metta_spawn((const void *)MODULE_VA, boot->modules[m].size, &a, d, t,
			 &why);
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

/* The capabilities every program gets (CAP_TTY...): calls to services. */
static void give_environment(uint32_t d)
{
	static const struct {
		const char *service;
		uint32_t slot;
	} env[] = { { "cons", CAP_TTY }, { "random", CAP_RANDOM },
		    { "tod", CAP_TOD },	  { "names", CAP_NAMES },
		    { "log", CAP_LOG } };
	for (unsigned i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		for (int s = 0; s < NSERVICES; s++)
			if (!strcmp(services[s].name, env[i].service))
				metta_cap_give(d, services[s].portal, env[i].slot,
					       RIGHT_CALL | RIGHT_GRANT);
	metta_cap_give(d, NESTER_PORTAL, CAP_NESTER, RIGHT_CALL);
}

static long start_service(int i)
{
	struct service *s = &services[i];
	s->domain = metta_slot_alloc();
	s->thread = metta_slot_alloc();
	const char *argv[] = { s->module };
	long rc = spawn_module(s->module, 1, argv, s->class, s->prio, s->quota,
			       s->domain, s->thread);
	if (rc)
		return rc;
	rc = metta_cap_give(s->domain, s->portal, 5, RIGHT_SERVE);
	if (rc == 0 && s->port_count)
		rc = give_device(s->domain, CAP_IOPORTS, s->port_base, s->port_count, 12);
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
	remember(s->domain, s->name);
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
	long rc = spawn_module(argv[0], argc, argv, METTA_CLASS_APPLICATION,
			       METTA_PRIO_NORM, 8 << 20, d, t);
	if (rc)
		return rc;
	give_environment(d);
	if ((rc = metta_thread_ctl(t, THREAD_START, 0)))
		return rc;
	metta_cap_delete(t);
	remember(d, argv[0]);
	c->cap_out = d;
	return STATUS_OK;
}

static int is_service(uint32_t slot)
{
	for (int i = 0; i < NSERVICES; i++)
		if (services[i].domain == slot)
			return 1;
	return 0;
}

static const char *const class_names[] = { "driver", "server", "application" };
static const char *const prio_names[] = { "high", "norm", "low" };

/* Forgets finished children that nobody else asked about. */
static void prune(void)
{
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (!domains[i].slot || metta_domain_info(domains[i].slot, &d) || !d.dead)
			continue;
		if (domains[i].slot != init_domain && !is_service(domains[i].slot)) {
			metta_cap_delete(domains[i].slot);
			domains[i].slot = 0;
		}
	}
}

static long op_domains(struct server_call *c)
{
	prune();
	uint64_t n = (uint64_t)fmt_snprintf((char *)c->reply, SERVER_BUF,
		"%4s  %-12s %-11s %-4s %10s %10s %7s  %s\n", "ID", "NAME", "CLASS",
		"PRIO", "QUOTA USED", "QUOTA", "THREADS", "NESTER");
	struct metta_domain_info self;
	metta_domain_info(CAP_SELF, &self);
	n += (uint64_t)fmt_snprintf((char *)c->reply + n, SERVER_BUF - n,
		"%4ld  %-12s %-11s %-4s %10lu %10lu %7ld  %s\n", self.id, "root",
		class_names[self.class], prio_names[self.prio], self.quota_used,
		self.quota_limit, self.threads, "nucleus");
	for (int i = 0; i < MAX_DOMAINS; i++) {
		struct metta_domain_info d;
		if (!domains[i].slot || metta_domain_info(domains[i].slot, &d))
			continue;
		if (d.dead)
			continue;
		n += (uint64_t)fmt_snprintf((char *)c->reply + n, SERVER_BUF - n,
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
		if (domains[i].slot && metta_domain_info(domains[i].slot, &d) == 0 &&
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
	[NESTER_SPAWN] = op_spawn,
	[NESTER_DOMAINS] = op_domains,
	[NESTER_KILL] = op_kill,
	[NESTER_POWEROFF] = op_poweroff,
};
static const struct server nester = { NESTER_PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };

static void nester_thread(void)
{
	server_run(&nester);
}

static long publish(void)
{
	/* Our own badged capability to names: the registrar's. */
	long rc = 0;
	if (metta_cap_info(NAMES_REGISTRAR) < 0)
		rc = metta_cap_copy(services[0].portal, NAMES_REGISTRAR,
				    RIGHT_CALL | RIGHT_GRANT, NAMES_BADGE_REGISTRAR);
	for (int i = 0; rc == 0 && i < NSERVICES; i++) {
		metta_cap_delete(TMP);
		rc = metta_cap_copy(services[i].portal, TMP, RIGHT_CALL | RIGHT_GRANT, 0);
		uint64_t w[4] = { NAMES_REGISTER };
		if (rc == 0)
			rc = metta_request(NAMES_REGISTRAR, w, services[i].name,
					   strlen(services[i].name), 0, 0, 0, TMP, 0);
	}
	metta_cap_delete(TMP);
	return rc;
}

static long start_init(void)
{
	char name[32] = "msh";
	const char *cmd = boot->cmdline;
	for (int i = 0; cmd[i]; i++)
		if (!strncmp(cmd + i, "init=", 5) && (i == 0 || cmd[i - 1] == ' ')) {
			int k = 0;
			for (i += 5; cmd[i] && cmd[i] != ' ' && k < 31; i++)
				name[k++] = cmd[i];
			name[k] = 0;
			break;
		}
	init_domain = metta_slot_alloc();
	uint32_t t = metta_slot_alloc();
	const char *argv[] = { name };
	long rc = spawn_module(name, 1, argv, METTA_CLASS_APPLICATION,
			       METTA_PRIO_NORM, 16 << 20, init_domain, t);
	if (rc)
		return rc;
	give_environment(init_domain);
	metta_domain_watch(init_domain, DEATHS, 1ull << INIT_BIT);
	remember(init_domain, name);
	return metta_thread_ctl(t, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) ||
	    metta_event_create(DEATHS) || metta_portal_create(NESTER_PORTAL))
		return 1;
	for (int i = 0; i < NSERVICES; i++) {
		services[i].portal = metta_slot_alloc();
		if (metta_portal_create(services[i].portal))
			return 2;
	}
	for (int i = 0; i < NSERVICES; i++)
		if (start_service(i))
			metta_printf("root: %s did not start", services[i].name);
	long rc = publish();
	if (rc)
		metta_printf("root: publishing names failed: %s", status_text((int)rc));
	uint32_t t = metta_slot_alloc();
	metta_thread_create(CAP_SELF, t, (uint64_t)nester_thread,
			    (uint64_t)&server_stacks[0][16384] - 8, METTA_PRIO_HIGH);
	metta_thread_ctl(t, THREAD_START, 0);
	if ((rc = start_init())) {
		metta_printf("root: no init program: %s", status_text((int)rc));
		return 3;
	}
	for (;;) {
		long bits = metta_event_wait(DEATHS, ((1ull << NSERVICES) - 1) |
							     (1ull << INIT_BIT), 0);
		if (bits < 0)
			continue;
		if (bits & (1ull << INIT_BIT)) {
			struct metta_domain_info i;
			metta_domain_info(init_domain, &i);
			metta_printf("root: init ended with status %ld; powering off",
				     i.exit_status);
			return 0;
		}
		for (int i = 0; i < NSERVICES; i++)
			if (bits & (1ull << i))
				restart(i);
	}
}
