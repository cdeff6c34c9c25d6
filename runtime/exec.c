/*
 * execve: a new program in place, in the same domain (the same process,
 * pid and runtime). Everything that can fail is checked before the old
 * program goes: the file is found (links followed), read through 9P and
 * parsed; `#!` scripts name their interpreter (one optional argument, as
 * Linux); the arguments are copied out of the old program's memory. Then
 * the old program's mappings go, the new one is loaded as the spawner
 * loads one (libmetta), close-on-exec descriptors are closed, handled
 * signals go back to their defaults, and the call "returns" at the new
 * entry with a fresh stack and cleared registers.
 */
#include <elf/elf.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define EXEC_VA	   0x0000710000000000ull /* the file, while it is read */
#define FILE_MAX   (64ull << 20)
#define ARGS_VA	   0x0000730000000000ull /* the arguments, meanwhile */
#define ARGS_BYTES (192 * 1024) /* their strings */
#define MAX_ARGS   4096
#define PROC_ARGS  64 /* the arguments the process server is told of */
#define ARG_STRLEN (128 * 1024) /* one string at most, as Linux's */
#define MAX_INTERP 4 /* scripts whose interpreter is a script... */
#define LINE_MAX   256

extern char __executable_start[], _end[];

/*
 * The arguments, copied out of the old program's memory into an object
 * mapped only while exec runs (so that neither its size nor a fork pays
 * for it the rest of the time).
 */
struct exec_args {
	const char *argv[MAX_ARGS + 4], *envp[MAX_ARGS];
	char buf[ARGS_BYTES];
};
#define args	 ((struct exec_args *)ARGS_VA)
#define argv_new (args->argv)
#define envp_new (args->envp)
static int argc_new, envc_new;
static size_t argused;

static long args_map(void)
{
	uint32_t m = metta_slot_alloc();
	uint64_t pages = (sizeof(struct exec_args) + RT_PAGE - 1) / RT_PAGE;
	long rc = m ? metta_mem_create(m, pages) : STATUS_ERR_QUOTA;
	if (rc == 0)
		rc = metta_mem_map(CAP_SELF, m, 0, ARGS_VA, pages,
				   RIGHT_READ | RIGHT_WRITE);
	if (m)
		metta_cap_delete(m); /* the mapping keeps it */
	argused = 0;
	return rc ? -P9_ENOMEM : 0;
}

static void args_unmap(void)
{
	metta_mem_unmap(CAP_SELF, ARGS_VA);
}

static const char *keep(const char *s, size_t n)
{
	if (argused + n + 1 > ARGS_BYTES)
		return 0;
	char *d = args->buf + argused;
	memcpy(d, s, n);
	d[n] = 0;
	argused += n + 1;
	return d;
}

/* A NULL-ended array of user strings into out: its count or an errno. */
static long copy_strings(uint64_t uarr, const char **out, int max)
{
	int n = 0;
	for (; uarr; n++) {
		uint64_t p;
		if (user_readable(uarr + 8 * (uint64_t)n, 8))
			return -P9_EFAULT;
		memcpy(&p, (const void *)(uarr + 8 * (uint64_t)n), 8);
		if (!p)
			break;
		if (n == max)
			return -P9_E2BIG;
		size_t room = ARGS_BYTES - argused;
		long len = user_string(p, args->buf + argused,
				       room < ARG_STRLEN ? room : ARG_STRLEN);
		if (len < 0)
			return len == -P9_ENAMETOOLONG ? -P9_E2BIG : len;
		out[n] = args->buf + argused;
		argused += (size_t)len + 1;
	}
	out[n] = 0;
	return n;
}

/* ---- the file ---- */

static uint32_t file_mem;
static uint64_t file_size;

static void file_drop(void)
{
	if (!file_mem)
		return;
	metta_mem_unmap(CAP_SELF, EXEC_VA);
	metta_cap_delete(file_mem);
	file_mem = 0;
}

/* The whole file at path (absolute, clean), read to EXEC_VA. */
static long file_read(char *path)
{
	struct loc l;
	struct lx_stat st;
	long rc = ns_lookup(path, 1, &l);
	if (rc)
		return rc;
	if ((rc = stat_loc(&l, &st)) == 0 &&
	    (st.st_mode & LX_S_IFMT) != LX_S_IFREG)
		rc = -P9_EACCES;
	else if (rc == 0 && !(st.st_mode & 0111))
		rc = -P9_EACCES;
	else if (rc == 0 && (st.st_size <= 0 || st.st_size > (int64_t)FILE_MAX))
		rc = st.st_size ? -P9_ENOMEM : -P9_ENOEXEC;
	struct p9c *c = loc_client(&l);
	if (rc == 0 && (rc = p9c_open(c, l.fid, P9_OREAD, 0)) == 0) {
		file_size = (uint64_t)st.st_size;
		uint64_t pages = (file_size + RT_PAGE - 1) / RT_PAGE;
		file_mem = metta_slot_alloc();
		if (metta_mem_create(file_mem, pages) ||
		    metta_mem_map(CAP_SELF, file_mem, 0, EXEC_VA, pages,
				  RIGHT_READ | RIGHT_WRITE)) {
			metta_cap_delete(file_mem);
			file_mem = 0;
			rc = -P9_ENOMEM;
		}
		for (uint64_t at = 0; rc == 0 && at < file_size;) {
			uint32_t k = p9c_iounit(c);
			if (k > file_size - at)
				k = (uint32_t)(file_size - at);
			long n = p9c_read(c, l.fid, at, (uint8_t *)EXEC_VA + at,
					  k);
			if (n <= 0)
				rc = n ? n : -P9_EIO;
			at += n > 0 ? (uint64_t)n : 0;
		}
	}
	loc_clunk(&l);
	if (rc)
		file_drop();
	return rc;
}

/*
 * A `#!` script: its interpreter and at most one argument go before the
 * script's path, which replaces argv[0]. 1 if it was one, 0 if not.
 */
static long script(char *path, const char *given)
{
	const char *f = (const char *)EXEC_VA;
	if (file_size < 2 || f[0] != '#' || f[1] != '!')
		return 0;
	char line[LINE_MAX];
	size_t n = 0;
	for (size_t i = 2; i < file_size && f[i] != '\n'; i++) {
		if (n == sizeof(line) - 1)
			return -P9_ENOEXEC;
		line[n++] = f[i];
	}
	line[n] = 0;
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	char *interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	char *arg = 0;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (char *e = p + strlen(p); e > p && (e[-1] == ' ' ||
							 e[-1] == '\t');)
			*--e = 0;
		arg = *p ? p : 0;
	}
	if (!*interp)
		return -P9_ENOEXEC;
	/* interp [arg] path argv[1...] */
	int extra = arg ? 2 : 1;
	if (argc_new + extra > MAX_ARGS)
		return -P9_E2BIG;
	memmove(argv_new + extra + 1, argv_new + 1,
		sizeof(argv_new[0]) * (size_t)argc_new);
	const char *ki = keep(interp, strlen(interp));
	const char *ka = arg ? keep(arg, strlen(arg)) : 0;
	const char *kp = keep(given, strlen(given));
	if (!ki || (arg && !ka) || !kp)
		return -P9_E2BIG;
	argv_new[0] = ki;
	if (arg)
		argv_new[1] = ka;
	argv_new[extra] = kp;
	argc_new += extra;
	argv_new[argc_new] = 0;
	if (path_clean(rt.cwd, interp, path))
		return -P9_ENOENT;
	return 1;
}

/* ---- the switch ---- */

/* The old program's mappings go (and our capabilities to what we
 * mapped), and the runtime's of files it read; the runtime's own, the state shared with forked processes and
 * the signal page (pending signals outlive an exec) stay. */
static void unmap_program(void)
{
	for (int i = 0; i < rt.nregions; i++) {
		const struct region *r = &rt.regions[i];
		if (r->start == (uint64_t)__executable_start ||
		    r->start == RT_SHARED_VA || r->start == RT_SIGPAGE_VA)
			continue;
		metta_mem_unmap(CAP_SELF, r->start);
		if (r->mem && metta_cap_info(r->mem) >= 0)
			metta_cap_delete(r->mem);
	}
	rt.nregions = 0;
	filemem_drop_all(); /* files read from their pages (filemem.c) */
}

/* The process server learns the new program (/proc/N/cmdline, exe,
 * comm); a process without one carries on. */
static void tell_proc(const char *path, const char *given)
{
	static char msg[4096];
	const char *parts[PROC_ARGS + 2] = { path, given };
	int k = 2;
	for (int i = 0; i < argc_new && k < PROC_ARGS + 2; i++)
		parts[k++] = argv_new[i];
	uint64_t n = metta_pack_strings(msg, sizeof(msg), k, parts);
	uint64_t w[4] = { NESTER_EXEC };
	metta_request(CAP_NESTER, w, msg, n, 0, 0, 0, 0, 0);
}

static void exec_state(const char *path, const char *given)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (fd_get(fd) && fd_cloexec(fd)) {
			struct ofile *f = fd_get(fd);
			fd_set(fd, 0, 0); /* first: a table never names a file
					   * it holds no reference of (fd.c) */
			ofile_put(f);
		}
	for (int s = 1; s <= NSIG; s++)
		if (rt.actions[s].handler != 1) /* SIG_IGN stays */
			rt.actions[s] = (struct lx_sigaction){ 0, 0, 0, 0 };
	rt_self()->altstack = (struct lx_stack){ 0, 0, 0, 0 };
	sig_publish();
	strcpy(rt.exe, path);
	const char *base = given; /* comm: the name it was run by, as Linux */
	for (const char *p = given; *p; p++)
		if (*p == '/')
			base = p + 1;
	memset(rt.comm, 0, sizeof(rt.comm));
	memcpy(rt.comm, base,
	       strlen(base) < sizeof(rt.comm) ? strlen(base)
					      : sizeof(rt.comm) - 1);
	rt_self()->fs_base = 0;
	rt_self()->clear_tid = 0;
	rt_self()->robust_list = 0;
	metta_set_tls(0);
}

/* Loads the parsed image in place of the old program: never fails back. */
static void replace(const struct elf_image *img, const char *path,
		    const char *given)
{
	uint64_t bias = img->pie ? METTA_PIE_BASE : 0, sp = 0;
	struct metta_spawn a = { .argc = argc_new, .argv = argv_new,
				 .envc = envc_new, .envp = envp_new };
	thread_only_me(); /* the others end with their program */
	unmap_program();
	uint64_t base = (uint64_t)__executable_start;
	if (metta_load_segments(CAP_SELF, (const void *)EXEC_VA, img, bias, 0) ||
	    metta_make_stack(CAP_SELF, img, &a, bias, base, &sp)) {
		rt_log("exec %s: cannot load it, the old program is gone", path);
		rt_exit(127);
	}
	file_drop();
	mem_init(img->phdr_vaddr ? img->phdr_vaddr + bias : 0, img->phnum,
		 RT_STACK_TOP - METTA_LINUX_STACK_PAGES * RT_PAGE);
	exec_state(path, given);
	tell_proc(path, given);
	args_unmap();
	struct rt_call *c = rt_call_now;
	uint64_t rsp = sp;
	memset(c, 0, sizeof(*c));
	c->rip = img->entry + bias;
	c->rsp = rsp;
	c->rflags = 0x202;
}

static int overlaps_runtime(const struct elf_image *img, uint64_t bias)
{
	uint64_t lo = (uint64_t)__executable_start, hi = (uint64_t)_end;
	for (int i = 0; i < img->nsegments; i++) {
		uint64_t s = img->seg[i].vaddr + bias;
		if (s < hi && lo < s + img->seg[i].memsz)
			return 1;
	}
	return 0;
}

/* What the new stack's top must hold besides the strings: the pointer
 * arrays, the auxiliary vector, the namespace text and a margin (libmetta
 * gives a Linux stack at most 256 KiB for all of it). */
static int args_fit(void)
{
	uint64_t need = argused + 8 * (uint64_t)(argc_new + envc_new + 64) +
			RT_PATH_MAX + 4096;
	return need <= 256 * 1024;
}

static long execve_args(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
	char given[RT_PATH_MAX], path[RT_PATH_MAX];
	long rc = user_string(upath, given, sizeof(given));
	if (rc < 0)
		return rc;
	if ((rc = copy_strings(uargv, argv_new, MAX_ARGS)) < 0)
		return rc;
	argc_new = (int)rc;
	if ((rc = copy_strings(uenvp, envp_new, MAX_ARGS - 1)) < 0)
		return rc;
	envc_new = (int)rc;
	if (!given[0] || path_clean(rt.cwd, given, path))
		return -P9_ENOENT;
	for (int depth = 0;; depth++) {
		if (depth > MAX_INTERP)
			return -P9_ELOOP;
		if ((rc = file_read(path)))
			return rc;
		if ((rc = script(path, given)) == 0)
			break;
		file_drop();
		if (rc < 0)
			return rc;
	}
	struct elf_image img;
	if (elf_parse((const void *)EXEC_VA, file_size,
		      (uint64_t)__executable_start, &img) ||
	    img.native ||
	    overlaps_runtime(&img, img.pie ? METTA_PIE_BASE : 0)) {
		file_drop();
		return -P9_ENOEXEC;
	}
	if (!args_fit()) {
		file_drop();
		return -P9_E2BIG;
	}
	replace(&img, path, given);
	return 0;
}

long sys_execve(const uint64_t *a)
{
	long rc = args_map();
	if (rc == 0 && (rc = execve_args(a[0], a[1], a[2])))
		args_unmap();
	return rc;
}
