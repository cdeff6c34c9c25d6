/*
 * The process: identity, the thread pointer, umask, the namespace's
 * calls (mount, umount2: Plan 9's mount and bind), and the end.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

long rt_getpid(void)
{
	struct metta_domain_info i;
	if (!rt.pid && metta_domain_info(CAP_SELF, &i) == 0)
		rt.pid = i.id;
	return rt.pid;
}

static long do_uname(uint64_t ubuf)
{
	struct lx_utsname u;
	long rc = user_writable(ubuf, sizeof(u));
	if (rc)
		return rc;
	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Metta");
	strcpy(u.nodename, "metta");
	strcpy(u.release, "0.1");
	strcpy(u.version, "Metta POSIX runtime");
	strcpy(u.machine, "x86_64");
	memcpy((void *)ubuf, &u, sizeof(u));
	return 0;
}

static long do_arch_prctl(int code, uint64_t addr)
{
	if (code == LX_ARCH_SET_FS) {
		long rc = metta_set_tls(addr);
		if (rc)
			return -P9_EPERM;
		rt.fs_base = addr;
		return 0;
	}
	if (code == LX_ARCH_GET_FS) {
		long rc = user_writable(addr, 8);
		if (rc == 0)
			*(uint64_t *)addr = rt.fs_base;
		return rc;
	}
	return -P9_EINVAL;
}

/* mount(2) and umount2(2) as Plan 9's mount and bind. */
static long do_mount(uint64_t usrc, uint64_t utarget, uint64_t flags,
		     uint64_t udata)
{
	char src[RT_PATH_MAX], target[RT_PATH_MAX], tmp[RT_PATH_MAX],
	    opt[16] = "";
	long rc = user_string(usrc, src, sizeof(src));
	if (rc < 0 || (rc = user_string(utarget, tmp, sizeof(tmp))) < 0 ||
	    (udata && (rc = user_string(udata, opt, sizeof(opt))) < 0))
		return rc == -P9_ENAMETOOLONG && udata ? -P9_EINVAL : rc;
	if ((rc = path_clean(rt.cwd, tmp, target)))
		return rc;
	/* Ours: MS_REMOUNT of "/" with "parent" hands our namespace to the
	 * process that started us (the bind and mount commands). */
	if ((flags & LX_MS_REMOUNT) && !strcmp(opt, "parent"))
		return ns_give_parent();
	int f = 0;
	for (const char *o = opt; *o; o++)
		f |= *o == 'a'	 ? NS_AFTER
		     : *o == 'b' ? NS_BEFORE
		     : *o == 'c' ? NS_CREATE
				 : 0;
	if ((f & NS_AFTER) && (f & NS_BEFORE))
		return -P9_EINVAL;
	if (flags & LX_MS_BIND) {
		if ((rc = path_clean(rt.cwd, src, tmp)))
			return rc;
		return ns_bind(tmp, target, f);
	}
	/* "service" or "/srv/service", with ":path" inside it. */
	char *colon = strrchr(src, ':');
	if (colon)
		*colon = 0;
	return ns_mount(src, colon ? colon + 1 : "/", target, f);
}

static long do_umount(uint64_t utarget, uint64_t flags)
{
	char tmp[RT_PATH_MAX], target[RT_PATH_MAX];
	long rc = user_string(utarget, tmp, sizeof(tmp));
	if (rc < 0)
		return rc;
	if (flags & ~(uint64_t)(LX_MNT_DETACH | 1 /* MNT_FORCE */))
		return -P9_EINVAL;
	if ((rc = path_clean(rt.cwd, tmp, target)))
		return rc;
	return ns_unmount(target);
}

long sys_exit(const uint64_t *a)
{
	rt_exit((int)a[0]);
}

long sys_getpid(const uint64_t *a)
{
	(void)a;
	return rt_getpid();
}

long sys_getppid(const uint64_t *a)
{
	(void)a;
	return 1;
}

/* Calls whose answer is 0 for now: one user, root. */
long sys_zero(const uint64_t *a)
{
	(void)a;
	return 0;
}

long sys_uname(const uint64_t *a)
{
	return do_uname(a[0]);
}

long sys_arch_prctl(const uint64_t *a)
{
	return do_arch_prctl((int)a[0], a[1]);
}

long sys_umask(const uint64_t *a)
{
	uint32_t old = rt.umask;
	rt.umask = (uint32_t)a[0] & 0777;
	return old;
}

long sys_mount(const uint64_t *a)
{
	return do_mount(a[0], a[1], a[3], a[4]);
}

long sys_umount2(const uint64_t *a)
{
	return do_umount(a[0], a[1]);
}
