/*
 * The root nester: the first program, started by the nucleus with every
 * device, every boot module and nearly all memory. It starts the servers
 * (each in its own domain, with its class, quota and priority, and exactly
 * the capabilities it needs), publishes their portals in `names`, and
 * restarts a server that dies. Its portals outlive the servers behind
 * them, so a restarted server keeps its clients and its name. Processes
 * are the process server's (servers/proc): root hands it the programs,
 * the environment and init's command line, and powers off when asked.
 */
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/abi.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define INFO_VA		0x600000000000ull
#define MODULE_VA	0x610000000000ull
/* Our own fixed slots come after every slot a boot module may hold (and
 * before the first slot metta_slot_alloc hands out). */
#define FIXED_SLOTS	(CAP_FIRST_MODULE + METTA_MAX_MODULES)
#define DEATHS		(FIXED_SLOTS + 0) /* event: bit i = service i ended */
#define NESTER_PORTAL	(FIXED_SLOTS + 1)
#define NAMES_REGISTRAR (FIXED_SLOTS + 2)
#define TMP		(FIXED_SLOTS + 3)
#define NESTER_THREAD	(FIXED_SLOTS + 4)
_Static_assert(NESTER_THREAD < 64, "fixed slots below metta_slot_alloc's");
#define BADGE_PROC	1 /* the process server's nester capability */
#define RAMFS_HEAP_KIB	(32 * 1024) /* the image (8.5 MiB) and room for /tmp */
#define ROOT_RESERVE	(16ull << 20) /* kept when the rest goes to proc */
#define MAX_ARGS	16

struct service {
	const char *module, *name;
	int64_t class, prio;
	uint64_t quota;			/* 0: all we can spare */
	uint64_t port_base, port_count; /* ports given as slot 12 */
	int irq;			/* line given as slot 13, or -1 */
	const char *data;		/* a module given as slot 12 (ramfs) */
	uint32_t portal;		/* ours; the server gets SERVE in 5 */
	uint32_t domain, thread;
	int restarts;
};

/* In starting order: proc last, once every service it hands on exists. */
static struct service services[] = {
	{ "names.srv", "names", METTA_CLASS_SERVER, METTA_PRIO_HIGH, 2 << 20, 0,
	  0, -1, 0, 0, 0, 0, 0 },
	{ "log.srv", "log", METTA_CLASS_SERVER, METTA_PRIO_NORM, 2 << 20, 0, 0,
	  -1, 0, 0, 0, 0, 0 },
	{ "cons.srv", "cons", METTA_CLASS_DRIVER, METTA_PRIO_HIGH, 2 << 20,
	  0x3f8, 8, 4, 0, 0, 0, 0, 0 },
	{ "tod.srv", "tod", METTA_CLASS_DRIVER, METTA_PRIO_NORM, 2 << 20, 0x70,
	  2, -1, 0, 0, 0, 0, 0 },
	{ "random.srv", "random", METTA_CLASS_SERVER, METTA_PRIO_NORM, 2 << 20,
	  0, 0, -1, 0, 0, 0, 0, 0 },
	{ "ramfs.srv", "ramfs", METTA_CLASS_SERVER, METTA_PRIO_NORM,
	  (RAMFS_HEAP_KIB << 10) + (4 << 20), 0, 0, -1, "root.cpio", 0, 0, 0,
	  0 },
	{ "pipe.srv", "pipe", METTA_CLASS_SERVER, METTA_PRIO_NORM, 4 << 20, 0,
	  0, -1, 0, 0, 0, 0, 0 },
	/* Only with `ext2=PATH` on the command line: an ext2 image that is
	 * a file of ramfs (tests), served as "ext2" (ext2_path). */
	{ "ext2.srv", "ext2", METTA_CLASS_SERVER, METTA_PRIO_NORM, 12 << 20, 0,
	  0, -1, 0, 0, 0, 0, 0 },
	{ "proc.srv", "proc", METTA_CLASS_SERVER, METTA_PRIO_HIGH, 0, 0, 0, -1,
	  0, 0, 0, 0, 0 },
};
#define NSERVICES (int)(sizeof(services) / sizeof(services[0]))
#define PROC	  (NSERVICES - 1)

static const struct metta_bootinfo *boot =
    (const struct metta_bootinfo *)INFO_VA;
static uint8_t nester_stack[16384] __attribute__((aligned(16)));
static const char *const class_names[] = { "driver", "server", "application" };
static const char *const prio_names[] = { "high", "norm", "low" };

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


/* Maps module `name`, spawns it, unmaps it. */
static long spawn_module(const char *name, int argc, const char *const *argv,
			 const struct service *s)
{
	int m = find_module(name);
	if (m < 0)
		return STATUS_ERR_NOENT;
	uint64_t pages = (boot->modules[m].size + 4095) / 4096;
	long rc = metta_mem_map(CAP_SELF, CAP_FIRST_MODULE + (uint32_t)m, 0,
				MODULE_VA, pages, RIGHT_READ);
	if (rc)
		return rc;
	/* A server's or driver's memory is all there from the start: no
	 * fault of its can run out of quota mid-request, and what it uses
	 * does not grow with its load. */
	struct metta_spawn a = { .argc = argc,
				 .argv = argv,
				 .class = s->class,
				 .prio = s->prio,
				 .quota = s->quota,
				 .populate = s->class <= METTA_CLASS_SERVER };
	if (a.quota == 0) {
		struct metta_domain_info self;
		metta_domain_info(CAP_SELF, &self);
		a.quota = self.quota_limit - self.quota_used - ROOT_RESERVE;
	}
	const char *why;
	rc = metta_spawn((const void *)MODULE_VA, boot->modules[m].size, &a,
			 s->domain, s->thread, &why);
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


/* The portal of the service called name (0 if none). */
static uint32_t portal_of(const char *name)
{
	for (int s = 0; s < NSERVICES; s++)
		if (!strcmp(services[s].name, name))
			return services[s].portal;
	return 0;
}

/*
 * What the process server needs to start processes (metta/proto.h): the
 * boot information and the modules we accepted, in our own slots; the
 * environment it gives every process (PROC_SLOT_ENV + CAP_*); ramfs, for
 * programs that are files; and our nester service, to list and kill
 * servers and to power off.
 */
static long give_process_server(uint32_t d)
{
	static const struct {
		const char *service;
		uint32_t slot;
	} env[] = { { "cons", CAP_TTY },
		    { "random", CAP_RANDOM },
		    { "tod", CAP_TOD },
		    { "names", CAP_NAMES },
		    { "log", CAP_LOG } };
	long rc = metta_cap_give(d, CAP_BOOTINFO, CAP_BOOTINFO, RIGHT_READ);
	for (uint32_t i = 0; rc == 0 && i < boot->nmodules &&
			     i < METTA_MAX_MODULES;
	     i++)
		if (!refused[i])
			rc = metta_cap_give(d, CAP_FIRST_MODULE + i,
					    CAP_FIRST_MODULE + i, RIGHT_READ);
	for (unsigned i = 0; rc == 0 && i < sizeof(env) / sizeof(env[0]); i++)
		rc = metta_cap_give(d, portal_of(env[i].service),
				    PROC_SLOT_ENV + env[i].slot,
				    RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0)
		rc = metta_cap_give(d, portal_of("ramfs"), PROC_SLOT_FILES,
				    RIGHT_CALL | RIGHT_GRANT);
	metta_cap_delete(TMP);
	if (rc == 0)
		rc = metta_cap_copy(NESTER_PORTAL, TMP,
				    RIGHT_CALL | RIGHT_GRANT, BADGE_PROC);
	if (rc == 0)
		rc = metta_cap_give(d, TMP, PROC_SLOT_NESTER, RIGHT_CALL);
	metta_cap_delete(TMP);
	return rc;
}

/* The value of `key=` on the command line (up to a space) into buf, or
 * 0 when it is not there. */
static const char *cmdline_value(const char *key, char *buf, size_t cap)
{
	const char *cmd = boot->cmdline;
	size_t klen = strlen(key);
	for (int i = 0; cmd[i]; i++) {
		if (strncmp(cmd + i, key, klen) || (i && cmd[i - 1] != ' '))
			continue;
		size_t k = 0;
		for (i += (int)klen; cmd[i] && cmd[i] != ' ' && k + 1 < cap; i++)
			buf[k++] = cmd[i];
		buf[k] = 0;
		return buf;
	}
	return 0;
}

/*
 * The init program's command line for the process server: `init=PROGRAM`
 * (msh by default; a boot module, or an absolute path in the file tree),
 * arguments after commas: init=bench,-d,/tmp,file runs "bench -d /tmp
 * file". Returns argc, the words in argv.
 */
static int init_line(const char **argv, int max)
{
	static char line[128] = "msh";
	int argc = 1;
	argv[0] = line;
	if (!cmdline_value("init=", line, sizeof(line)))
		return 1;
	size_t len = strlen(line);
	for (size_t k = 0; k < len; k++)
		if (line[k] == ',') {
			line[k] = 0;
			if (argc < max)
				argv[argc++] = line + k + 1;
		}
	return argc;
}

/* ext2's image in ramfs, from `ext2=PATH`; 0: ext2 is not started. */
static const char *ext2_path(void)
{
	static char path[128];
	return cmdline_value("ext2=", path, sizeof(path));
}

static int is_ext2(int i)
{
	return !strcmp(services[i].name, "ext2");
}

/* Its arguments: ramfs's first contents and heap; ext2's image; the
 * process server's, init's command line. */
static int service_args(int i, const char **argv, char (*num)[24])
{
	struct service *s = &services[i];
	int data = s->data ? find_module(s->data) : -1;
	argv[0] = s->module;
	if (data >= 0) {
		fmt_snprintf(num[0], 24, "%lu", boot->modules[data].size);
		fmt_snprintf(num[1], 24, "%d", RAMFS_HEAP_KIB);
		argv[1] = num[0], argv[2] = num[1];
		return 3;
	}
	if (i == PROC)
		return 1 + init_line(argv + 1, MAX_ARGS - 1);
	if (is_ext2(i)) {
		argv[1] = ext2_path();
		return 2;
	}
	return 1;
}

static long start_service(int i)
{
	struct service *s = &services[i];
	s->domain = metta_slot_alloc();
	s->thread = metta_slot_alloc();
	char num[2][24];
	const char *argv[MAX_ARGS];
	int argc = service_args(i, argv, num);
	int data = s->data ? find_module(s->data) : -1;
	long rc = spawn_module(s->module, argc, argv, s);
	if (rc)
		return rc;
	/* Serving, and minting badged connections (9P, lib/9p/portal.h). */
	rc = metta_cap_give(s->domain, s->portal, 5,
			    RIGHT_SERVE | RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0 && data >= 0)
		rc =
		    metta_cap_give(s->domain, CAP_FIRST_MODULE + (uint32_t)data,
				   12, RIGHT_READ | RIGHT_GRANT);
	if (rc == 0 && i == PROC)
		rc = give_process_server(s->domain);
	if (rc == 0 && is_ext2(i)) /* its device: a file of ramfs */
		rc = metta_cap_give(s->domain, portal_of("ramfs"), 12,
				    RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0 && is_ext2(i)) /* the time, for its files' times */
		rc = metta_cap_give(s->domain, portal_of("tod"), CAP_TOD,
				    RIGHT_CALL);
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
		/* The name service: cons finds the process server there to
		 * send the signals typed (^C) and job control's. */
		rc = metta_cap_give(s->domain, portal_of("names"), CAP_NAMES,
				    RIGHT_CALL);
	}
	if (rc == 0)
		rc = metta_domain_watch(s->domain, DEATHS, 1ull << i);
	if (rc == 0)
		rc = metta_thread_ctl(s->thread, THREAD_START, 0);
	return rc;
}

static long publish(void);

static void restart(int i)
{
	struct service *s = &services[i];
	struct metta_domain_info info;
	metta_domain_info(s->domain, &info);
	if (i == PROC) {
		/* Every process was its child, and ended with it. */
		metta_printf("root: proc ended with status %ld, and every "
			     "process with it; powering off",
			     info.exit_status);
		metta_exit(0);
	}
	metta_printf("root: %s ended with status %ld; restarting it", s->name,
		     info.exit_status);
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

/* ---- the nester service, to the process server (NESTER_*) ---- */

/* Ourselves and the servers (the process server adds its processes). */
static long op_domains(struct server_call *c)
{
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
	for (int i = 0; i < NSERVICES; i++) {
		struct metta_domain_info d;
		if (metta_domain_info(services[i].domain, &d) || d.dead)
			continue;
		n += (uint64_t)fmt_snprintf(
		    (char *)c->reply + n, SERVER_BUF - n,
		    "%4ld  %-12s %-11s %-4s %10lu %10lu %7ld  %s\n", d.id,
		    services[i].name, class_names[d.class], prio_names[d.prio],
		    d.quota_used, d.quota_limit, d.threads, "root");
	}
	c->reply_len = n;
	return STATUS_OK;
}

/* Kills a server by domain id (it is restarted). */
static long op_kill(struct server_call *c)
{
	for (int i = 0; i < NSERVICES; i++) {
		struct metta_domain_info d;
		if (metta_domain_info(services[i].domain, &d) == 0 &&
		    (uint64_t)d.id == c->w[1] && !d.dead)
			return metta_domain_kill(services[i].domain,
						 0x200 | 9);
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

static long op_reboot(struct server_call *c)
{
	(void)c;
	metta_printf("root: rebooting");
	metta_exit(METTA_EXIT_REBOOT); /* the nucleus resets the machine */
	return STATUS_OK;
}

static const server_op ops[] = {
	[NESTER_DOMAINS] = op_domains,
	[NESTER_KILL] = op_kill,
	[NESTER_POWEROFF] = op_poweroff,
	[NESTER_REBOOT] = op_reboot,
};
static const struct server nester = { NESTER_PORTAL, ops,
				      sizeof(ops) / sizeof(ops[0]) };

/* The nester service's thread. Its handlers call no other server: a
 * thread that calls out while it holds a call loses its caller. */
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
				    RIGHT_CALL | RIGHT_GRANT,
				    NAMES_BADGE_REGISTRAR);
	for (int i = 0; rc == 0 && i < NSERVICES; i++) {
		if (is_ext2(i) && !ext2_path())
			continue;
		metta_cap_delete(TMP);
		rc = metta_cap_copy(services[i].portal, TMP,
				    RIGHT_CALL | RIGHT_GRANT, 0);
		uint64_t w[4] = { NAMES_REGISTER };
		if (rc == 0)
			rc = metta_request(NAMES_REGISTRAR, w, services[i].name,
					   strlen(services[i].name), 0, 0, 0,
					   TMP, 0);
	}
	metta_cap_delete(TMP);
	return rc;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	uint32_t t = NESTER_THREAD;
	if (metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) ||
	    metta_event_create(DEATHS) || metta_portal_create(NESTER_PORTAL) ||
	    metta_thread_create(CAP_SELF, t, (uint64_t)nester_thread,
				(uint64_t)&nester_stack[16384] - 8,
				METTA_PRIO_HIGH) ||
	    metta_thread_ctl(t, THREAD_START, 0)) {
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
	/* The process server last, once every name resolves: it starts
	 * init, which may look up any of them at once. */
	for (int i = 0; i < NSERVICES; i++) {
		long rc = i == PROC ? publish() : 0;
		if (rc)
			metta_printf("root: publishing names failed: %s",
				     status_text((int)rc));
		if ((is_ext2(i) && !ext2_path()) || start_service(i) == 0)
			continue;
		metta_printf("root: %s did not start", services[i].name);
		if (i == PROC)
			return 3; /* no processes: the machine powers off */
	}
	for (;;) {
		long bits = metta_event_wait(DEATHS, (1ull << NSERVICES) - 1, 0);
		for (int i = 0; bits > 0 && i < NSERVICES; i++)
			if (bits & (1ull << i))
				restart(i);
	}
}
