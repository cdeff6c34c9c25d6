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
#include <metta/driver.h>
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
#define ROOT_RESERVE	(32ull << 20) /* kept when the rest goes to proc */
#define MAX_ARGS	16
/* Drivers pci has the memory to run at once (a disk, a network card and
 * one more). */
#define PCI_DRIVERS	3
/* What pci pays from its own quota for each driver besides the driver's
 * quota: the program's image, loaded populated (mostly lib/9p's server
 * stacks). */
#define DRIVER_IMAGE	(2ull << 20)
#define RAMBLK_PAGES	1024 /* the tests' stand-in disk: 4 MiB */
/* pci itself, its drivers, and one more driver's worth: a crashed
 * driver's domain is freed only once its successor has taken over the
 * portal (its notices and its clients' old connections), so a restart
 * needs the room of a driver while the dead one still holds its own. */
#define PCI_QUOTA                                                           \
	((2ull << 20) + (PCI_DRIVERS + 1) * (DRIVER_QUOTA + DRIVER_IMAGE))
_Static_assert(PCI_QUOTA <= ROOT_RESERVE, "pci can be restarted");

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
	int names;		/* gets the name service as CAP_NAMES */
	int optional;		/* started only when the boot has its module */
	uint64_t disk_pages;	/* a memory object of ours as slot 12 */
	uint32_t disk;		/* (made at its first start, kept) */
};

/* In starting order: proc last, once every service it hands on exists. */
static struct service services[] = {
	{ .module = "names.srv", .name = "names", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_HIGH, .quota = 2 << 20, .irq = -1 },
	{ .module = "log.srv", .name = "log", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = 2 << 20, .irq = -1 },
	{ .module = "cons.srv", .name = "cons", .class = METTA_CLASS_DRIVER,
	  .prio = METTA_PRIO_HIGH, .quota = 2 << 20, .port_base = 0x3f8,
	  .port_count = 8, .irq = 4 },
	{ .module = "tod.srv", .name = "tod", .class = METTA_CLASS_DRIVER,
	  .prio = METTA_PRIO_NORM, .quota = 2 << 20, .port_base = 0x70,
	  .port_count = 2, .irq = -1 },
	{ .module = "random.srv", .name = "random", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = 2 << 20, .irq = -1 },
	{ .module = "ramfs.srv", .name = "ramfs", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = (RAMFS_HEAP_KIB << 10) + (4 << 20),
	  .irq = -1, .data = "root.cpio" },
	{ .module = "pipe.srv", .name = "pipe", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = 4 << 20, .irq = -1 },
	{ .module = "pci.srv", .name = "pci", .class = METTA_CLASS_DRIVER,
	  .prio = METTA_PRIO_HIGH, .quota = PCI_QUOTA, .irq = -1 },
	/* The tests' stand-in block driver (tests/user/ramblk.c), when a
	 * boot has it: its disk is our memory object, so that it outlives
	 * the driver's restarts. */
	{ .module = "ramblk.srv", .name = "blk0", .class = METTA_CLASS_DRIVER,
	  .prio = METTA_PRIO_HIGH, .quota = 2 << 20, .irq = -1,
	  .optional = 1, .disk_pages = RAMBLK_PAGES },
	/* Every block device (blkN, from pci) as files; names: to find
	 * them. */
	{ .module = "vdisk.srv", .name = "vdisk", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_HIGH, .quota = 8 << 20, .irq = -1, .names = 1 },
	/* The disk's file system, the root when it mounts (disk_root). */
	{ .module = "ext2.srv", .name = "ext2", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = 48 << 20, .irq = -1 },
	/* TCP/IP: names finds ether0 (from pci) and slot 12 is the root
	 * file system, for /etc/net.conf (give_net). */
	{ .module = "net.srv", .name = "net", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_NORM, .quota = 12 << 20, .irq = -1, .names = 1,
	  .optional = 1 },
	{ .module = "proc.srv", .name = "proc", .class = METTA_CLASS_SERVER,
	  .prio = METTA_PRIO_HIGH, .irq = -1 },
};
#define NSERVICES (int)(sizeof(services) / sizeof(services[0]))
#define PROC	  (NSERVICES - 1)
#define NET	  (NSERVICES - 2)
#define EXT2	  (NSERVICES - 3)
/* Services ended on purpose: not restarted. */
static uint8_t stopped[NSERVICES];
/* Whether the disk's file system is the root: ext2 mounted it. */
static int disk_is_root;
/* ext2 serves the whole disk: tools/mkdisk.sh makes the file system on it
 * with no partition table. */
#define DISK_ROOT_PATH "sd0/data"

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

/* Our own badged capability to names: the registrar's. */
static long make_registrar(void)
{
	if (metta_cap_info(NAMES_REGISTRAR) >= 0)
		return 0;
	return metta_cap_copy(portal_of("names"), NAMES_REGISTRAR,
			      RIGHT_CALL | RIGHT_GRANT, NAMES_BADGE_REGISTRAR);
}

static int ends_with(const char *s, const char *end)
{
	uint64_t n = strlen(s), k = strlen(end);
	return n >= k && !strcmp(s + n - k, end);
}

/*
 * What the PCI server needs (metta/driver.h): every I/O port, all device
 * memory and every MSI line, to narrow to each device's; the driver programs
 * (modules *.drv) and the boot information naming them; names, and the
 * registrar's capability to publish drivers (blk0, ...).
 */
static long give_pci(uint32_t d)
{
	long rc = metta_cap_give(d, CAP_BOOTINFO, CAP_BOOTINFO, RIGHT_READ);
	for (uint32_t i = 0; rc == 0 && i < boot->nmodules &&
			     i < METTA_MAX_MODULES;
	     i++)
		if (!refused[i] && ends_with(boot->modules[i].name, ".drv"))
			rc = metta_cap_give(d, CAP_FIRST_MODULE + i,
					    CAP_FIRST_MODULE + i, RIGHT_READ);
	if (rc == 0)
		rc = give_device(d, CAP_IOPORTS, 0, 0x10000, PCI_SLOT_PORTS);
	if (rc == 0)
		rc = metta_cap_give(d, CAP_PHYSMEM, PCI_SLOT_PHYSMEM, RIGHT_ALL);
	if (rc == 0)
		rc = give_device(d, CAP_IRQS, METTA_MSI_LINE0, METTA_MSI_LINES,
				 PCI_SLOT_MSI);
	if (rc == 0)
		rc = metta_cap_give(d, portal_of("names"), CAP_NAMES,
				    RIGHT_CALL | RIGHT_GRANT); /* drivers' too */
	if (rc == 0)
		rc = make_registrar();
	if (rc == 0)
		rc = metta_cap_give(d, NAMES_REGISTRAR, PCI_SLOT_REGISTRAR,
				    RIGHT_CALL);
	return rc;
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
		rc = metta_cap_give(d,
				    portal_of(disk_is_root ? "ext2" : "ramfs"),
				    PROC_SLOT_FILES,
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
	const char *cmd = boot->cmdline;
	argv[0] = line;
	for (int i = 0; cmd[i]; i++)
		if (!strncmp(cmd + i, "init=", 5) &&
		    (i == 0 || cmd[i - 1] == ' ')) {
			int k = 0;
			for (i += 5; cmd[i] && cmd[i] != ' ' && k < 127; i++) {
				line[k] = cmd[i] == ',' ? 0 : cmd[i];
				if (!line[k] && argc < max)
					argv[argc++] = line + k + 1;
				k++;
			}
			line[k] = 0;
			break;
		}
	return argc;
}

/* Its arguments: ramfs's first contents and heap; ext2's device; the
 * process server's, the root file system and init's command line. */
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
	if (i == EXT2) {
		argv[1] = DISK_ROOT_PATH;
		return 2;
	}
	if (i == PROC && disk_is_root) {
		argv[1] = "root=ext2";
		return 2 + init_line(argv + 2, MAX_ARGS - 2);
	}
	if (i == PROC)
		return 1 + init_line(argv + 1, MAX_ARGS - 1);
	if (s->disk_pages) {
		fmt_snprintf(num[0], 24, "%lu", s->disk_pages);
		argv[1] = num[0];
		return 2;
	}
	return 1;
}

/* A service's disk (a memory object we keep, so that what it holds
 * outlives the service), made at its first start. */
static long give_disk(struct service *s)
{
	if (!s->disk) {
		uint32_t slot = metta_slot_alloc();
		if (!slot || metta_mem_create(slot, s->disk_pages))
			return STATUS_ERR_NOMEM;
		s->disk = slot;
	}
	return metta_cap_give(s->domain, s->disk, 12,
			      RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);
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
	if (rc == 0 && s->disk_pages)
		rc = give_disk(s);
	if (rc == 0 && s->names)
		rc = metta_cap_give(s->domain, portal_of("names"), CAP_NAMES,
				    RIGHT_CALL);
	if (rc == 0 && !strcmp(s->name, "pci"))
		rc = give_pci(s->domain);
	if (rc == 0 && i == EXT2) /* its disk, a file of vdisk's */
		rc = metta_cap_give(s->domain, portal_of("vdisk"), 12,
				    RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0 && i == NET) /* the root file system: /etc/net.conf */
		rc = metta_cap_give(s->domain,
				    portal_of(disk_is_root ? "ext2" : "ramfs"),
				    12, RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0 && i == EXT2) /* the time, for its files' times */
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

/* The word after `key` on the command line ("rootfs=" -> "ramfs"), or "". */
static const char *cmdline_value(const char *key, char *out, int max)
{
	const char *cmd = boot->cmdline;
	uint64_t n = strlen(key);
	out[0] = 0;
	for (int i = 0; cmd[i]; i++)
		if (!strncmp(cmd + i, key, n) && (i == 0 || cmd[i - 1] == ' ')) {
			int k = 0;
			for (i += (int)n; cmd[i] && cmd[i] != ' ' && k < max - 1;)
				out[k++] = cmd[i++];
			out[k] = 0;
			break;
		}
	return out;
}

/* Whether service i was started (its domain is in its slot). */
static int started(int i)
{
	return services[i].domain && metta_cap_info(services[i].domain) >= 0;
}

/* vdisk runs (a boot without its module has none to ask for a disk). */
static int vdisk_started(void)
{
	for (int i = 0; i < NSERVICES; i++)
		if (!strcmp(services[i].name, "vdisk"))
			return started(i);
	return 0;
}

/*
 * The disk as the root file system: ext2 over vdisk's sd0/data, unless
 * the command line says rootfs=ramfs. ext2 answers P9_SYNCFS once it has
 * mounted the disk, or with an error when there is no disk or no ext2 on
 * it; then it is stopped, and files live in ramfs.
 */
static int mount_disk(void)
{
	char want[16];
	if (!strcmp(cmdline_value("rootfs=", want, sizeof(want)), "ramfs") ||
	    find_module(services[EXT2].module) < 0 || !vdisk_started())
		return 0;
	struct service *s = &services[EXT2];
	if (start_service(EXT2))
		return 0;
	uint64_t w[4] = { P9_SYNCFS };
	long rc = metta_request(s->portal, w, 0, 0, 0, 0, 0, 0, 0);
	if (rc == 0) {
		metta_printf("root: the root file system is ext2 on %s",
			     DISK_ROOT_PATH);
		return 1;
	}
	metta_printf("root: no file system on %s (%s): files live in ramfs",
		     DISK_ROOT_PATH, status_text((int)rc));
	stopped[EXT2] = 1;
	metta_domain_kill(s->domain, 0);
	return 0;
}

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
	if (stopped[i])
		return;
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

/* ---- disks' file systems and imports that processes mount (NESTER_MOUNTFS) ---- */

/* One server a device: mounting it again (in another namespace, say)
 * finds the same server, as Linux finds the same superblock. An import
 * (NESTER_MOUNT_IMPORT: another machine's tree over a connected stream,
 * servers/import) is a server of the same kind, one per mount, never
 * restarted: its stream ends with it. */
#define MAX_FS	     8
#define FS_DEATH_BIT 32 /* DEATHS bit FS_DEATH_BIT + k: file system k ended */
struct disk_fs {
	char service[NAMES_MAX_NAME + 1], path[128], name[16];
	char aname[NESTER_ANAME_MAX + 1]; /* an import's remote path */
	uint64_t flags; /* NESTER_MOUNT_RDONLY */
	uint32_t portal, domain, thread, device;
	int used;
};
static struct disk_fs fses[MAX_FS];
static uint8_t stopped_fs[MAX_FS]; /* ended on purpose: not restarted */
static const struct service fs_service = {
	.module = "ext2.srv", .name = "ext2", .class = METTA_CLASS_SERVER,
	.prio = METTA_PRIO_NORM, .quota = 48 << 20, .irq = -1
};
static const struct service import_service = {
	.module = "import.srv", .name = "import", .class = METTA_CLASS_SERVER,
	.prio = METTA_PRIO_NORM, .quota = 2 << 20, .irq = -1
};

static int is_import(const struct disk_fs *f)
{
	return (f->flags & NESTER_MOUNT_IMPORT) != 0;
}

/* Starts file system k's server: its device's portal in slot 12, the
 * device's path (and "ro") as arguments. */
static long start_fs(int k)
{
	struct disk_fs *f = &fses[k];
	struct service s = is_import(f) ? import_service : fs_service;
	const char *argv[3] = { s.module, f->path,
				is_import(f) ? f->aname : "ro" };
	s.domain = f->domain;
	s.thread = f->thread;
	metta_cap_delete(f->domain);
	metta_cap_delete(f->thread);
	int argc = is_import(f) || (f->flags & NESTER_MOUNT_RDONLY) ? 3 : 2;
	long rc = spawn_module(s.module, argc, argv, &s);
	if (rc == 0)
		rc = metta_cap_give(f->domain, f->portal, 5,
				    RIGHT_SERVE | RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0)
		rc = metta_cap_give(f->domain, f->device, 12,
				    RIGHT_CALL | RIGHT_GRANT);
	if (rc == 0) /* the time, for its files' times */
		rc = metta_cap_give(f->domain, portal_of("tod"), CAP_TOD,
				    RIGHT_CALL);
	if (rc == 0)
		rc = metta_domain_watch(f->domain, DEATHS,
					1ull << (FS_DEATH_BIT + k));
	if (rc == 0)
		rc = metta_thread_ctl(f->thread, THREAD_START, 0);
	return rc;
}

static void free_fs(int k)
{
	struct disk_fs *f = &fses[k];
	stopped_fs[k] = 1;
	metta_domain_kill(f->domain, 0);
	const uint32_t slots[4] = { f->portal, f->domain, f->thread, f->device };
	for (int i = 0; i < 4; i++)
		metta_cap_delete(slots[i]);
	f->used = 0;
}

/* The service's portal in slot dst, from names. */
static long lookup_name(const char *name, uint32_t dst)
{
	uint64_t w[4] = { NAMES_LOOKUP };
	return metta_request(services[0].portal, w, name, strlen(name), 0, 0,
			     0, 0, dst);
}

static long register_name(const char *name, uint32_t portal)
{
	metta_cap_delete(TMP);
	long rc = metta_cap_copy(portal, TMP, RIGHT_CALL | RIGHT_GRANT, 0);
	uint64_t w[4] = { NAMES_REGISTER };
	if (rc == 0)
		rc = metta_request(NAMES_REGISTRAR, w, name, strlen(name), 0, 0,
				   0, TMP, 0);
	metta_cap_delete(TMP);
	return rc;
}

/* A new file system server for service's file path, named fs.K (an
 * import: imp.K) once it has mounted the device (P9_SYNCFS answered). */
static long new_fs(const char *service, const char *path, uint64_t flags,
		   const char *aname)
{
	int k = 0;
	while (k < MAX_FS && fses[k].used)
		k++;
	if (k == MAX_FS)
		return STATUS_ERR_BUSY;
	struct disk_fs *f = &fses[k];
	memset(f, 0, sizeof(*f));
	strcpy(f->service, service);
	strcpy(f->path, path);
	strcpy(f->aname, aname);
	f->flags = flags;
	fmt_snprintf(f->name, sizeof(f->name), is_import(f) ? "imp.%d" : "fs.%d",
		     k);
	f->flags = flags;
	f->portal = metta_slot_alloc(), f->domain = metta_slot_alloc();
	f->thread = metta_slot_alloc(), f->device = metta_slot_alloc();
	f->used = 1;
	stopped_fs[k] = 0;
	long rc = lookup_name(service, f->device);
	if (rc == 0)
		rc = metta_portal_create(f->portal);
	if (rc == 0)
		rc = start_fs(k);
	uint64_t w[4] = { P9_SYNCFS };
	if (rc == 0)
		rc = metta_request(f->portal, w, 0, 0, 0, 0, 0, 0, 0);
	if (rc == 0)
		rc = register_name(f->name, f->portal);
	if (rc) {
		metta_printf("root: cannot mount %s:%s: %s", service, path,
			     status_text((int)rc));
		free_fs(k);
		return rc;
	}
	metta_printf("root: %s:%s mounted as %s", service, path, f->name);
	return k;
}

/* Data "service\0path\0" and, for an import, "aname\0" after. */
static long op_mountfs(struct server_call *c)
{
	char msg[NAMES_MAX_NAME + 130 + NESTER_ANAME_MAX + 1];
	int import = (c->w[1] & NESTER_MOUNT_IMPORT) != 0;
	if (c->len == 0 || c->len > sizeof(msg) || c->data[c->len - 1] ||
	    (c->w[1] & ~(uint64_t)(NESTER_MOUNT_RDONLY | NESTER_MOUNT_IMPORT)))
		return STATUS_ERR_INVAL;
	memcpy(msg, c->data, c->len);
	const char *service = msg, *path = msg + strlen(msg) + 1;
	const char *aname = path < msg + c->len ? path + strlen(path) + 1 : path;
	if (path >= msg + c->len || strlen(service) > NAMES_MAX_NAME ||
	    strlen(path) >= sizeof(fses[0].path) || !*path ||
	    (import && (aname >= msg + c->len ||
			strlen(aname) > NESTER_ANAME_MAX)))
		return STATUS_ERR_INVAL;
	const char *name = 0;
	if (disk_is_root && !import && !strcmp(service, "vdisk") &&
	    !strcmp(path, DISK_ROOT_PATH))
		name = services[EXT2].name; /* the root file system's */
	for (int k = 0; !name && !import && k < MAX_FS; k++)
		if (fses[k].used && !is_import(&fses[k]) &&
		    !strcmp(fses[k].service, service) &&
		    !strcmp(fses[k].path, path))
			name = fses[k].name;
	if (!name) {
		long k = new_fs(service, path, c->w[1], import ? aname : "");
		if (k < 0)
			return k;
		name = fses[k].name;
	}
	c->reply_len = strlen(name) + 1;
	memcpy(c->reply, name, c->reply_len);
	return STATUS_OK;
}

/* A mounted file system's server ended: it is started again, under the
 * same name and portal. */
static void restart_fs(int k)
{
	if (stopped_fs[k] || !fses[k].used)
		return;
	if (is_import(&fses[k])) { /* its stream went with it */
		uint64_t w[4] = { NAMES_UNREGISTER };
		metta_printf("root: %s (%s:%s) ended", fses[k].name,
			     fses[k].service, fses[k].path);
		metta_request(NAMES_REGISTRAR, w, fses[k].name,
			      strlen(fses[k].name), 0, 0, 0, 0, 0);
		free_fs(k);
		return;
	}
	metta_printf("root: %s (%s:%s) ended; restarting it", fses[k].name,
		     fses[k].service, fses[k].path);
	if (start_fs(k))
		metta_printf("root: %s could not be restarted", fses[k].name);
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
		if (!services[i].domain || /* never started: slot 0 is us */
		    metta_domain_info(services[i].domain, &d) || d.dead)
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
		if (services[i].domain &&
		    metta_domain_info(services[i].domain, &d) == 0 &&
		    (uint64_t)d.id == c->w[1] && !d.dead)
			return metta_domain_kill(services[i].domain,
						 0x200 | 9);
	}
	return STATUS_ERR_NOENT;
}

/* The disk's file system written back and marked clean, before the
 * machine goes: what a user wrote is there at the next boot. */
static void unmount(const char *name, uint32_t portal)
{
	uint64_t w[4] = { P9_SYNCFS };
	long rc = metta_request(portal, w, 0, 0, 0, 0, 0, 0, 0);
	if (rc)
		metta_printf("root: %s was not unmounted cleanly: %s", name,
			     status_text((int)rc));
}

static void unmount_disk(void)
{
	for (int k = 0; k < MAX_FS; k++)
		if (fses[k].used && !is_import(&fses[k]))
			unmount(fses[k].name, fses[k].portal);
	if (disk_is_root)
		unmount("the root file system", services[EXT2].portal);
}

static long op_poweroff(struct server_call *c)
{
	(void)c;
	unmount_disk();
	metta_printf("root: powering off");
	metta_exit(0); /* the nucleus powers off when the root domain ends */
	return STATUS_OK;
}

static long op_reboot(struct server_call *c)
{
	(void)c;
	unmount_disk();
	metta_printf("root: rebooting");
	metta_exit(METTA_EXIT_REBOOT); /* the nucleus resets the machine */
	return STATUS_OK;
}

static const server_op ops[] = {
	[NESTER_DOMAINS] = op_domains,
	[NESTER_KILL] = op_kill,
	[NESTER_POWEROFF] = op_poweroff,
	[NESTER_REBOOT] = op_reboot,
	[NESTER_MOUNTFS] = op_mountfs,
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
	long rc = make_registrar();
	for (int i = 0; rc == 0 && i < NSERVICES; i++) {
		if (stopped[i] || (i != PROC && !started(i)))
			continue; /* not running (ext2 without a disk) */
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
		if (i == EXT2) {
			disk_is_root = mount_disk();
			continue;
		}
		if (services[i].optional && find_module(services[i].module) < 0)
			continue;
		long rc = i == PROC ? publish() : 0;
		if (rc)
			metta_printf("root: publishing names failed: %s",
				     status_text((int)rc));
		if (start_service(i) == 0)
			continue;
		metta_printf("root: %s did not start", services[i].name);
		if (i == PROC)
			return 3; /* no processes: the machine powers off */
	}
	for (;;) {
		long bits = metta_event_wait(
		    DEATHS,
		    ((1ull << NSERVICES) - 1) |
			(((1ull << MAX_FS) - 1) << FS_DEATH_BIT),
		    0);
		for (int i = 0; bits > 0 && i < NSERVICES; i++)
			if (bits & (1ull << i))
				restart(i);
		for (int k = 0; bits > 0 && k < MAX_FS; k++)
			if (bits & (1ull << (FS_DEATH_BIT + k)))
				restart_fs(k);
	}
}
