/*
 * The calls that name files: paths resolve through the namespace (ns.c)
 * to a fid on some server, and open, stat, mkdir, unlink, rename... become
 * Twalk, Topen, Tcreate, Tstat, Tremove, Twstat on it. Every user pointer
 * is checked first (EFAULT) and nothing changes on an error.
 */
#include <9p/errstr.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "state.h"

#define UNAME "root"

/* A path a program gave, made clean and absolute. */
struct upath {
	char path[RT_PATH_MAX];
	int want_dir; /* it ended in '/': it must name a directory */
	int dots;     /* its last name was "." (1) or ".." (2) */
};

/* ---- paths ---- */

static const char *last_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/*
 * The clean absolute path of `upath` (a user pointer) relative to dirfd
 * (AT_FDCWD or a directory's descriptor).
 */
static long user_path(int dirfd, uint64_t upath, struct upath *out,
		      int empty_ok)
{
	char raw[RT_PATH_MAX];
	long n = user_string(upath, raw, sizeof(raw));
	if (n < 0)
		return n;
	if (n == 0 && !empty_ok)
		return -P9_ENOENT;
	out->want_dir = n > 0 && raw[n - 1] == '/';
	const char *last = last_name(raw);
	out->dots = !strcmp(last, ".") ? 1 : !strcmp(last, "..") ? 2 : 0;
	const char *base = rt.cwd;
	if (raw[0] != '/' && dirfd != LX_AT_FDCWD) {
		struct ofile *d = fd_get(dirfd);
		if (!d)
			return -P9_EBADF;
		if (d->ops != &dir_ops && n > 0)
			return -P9_ENOTDIR;
		base = d->path;
	}
	if (n == 0) {
		strcpy(out->path, base);
		return 0;
	}
	return path_clean(base, raw, out->path);
}

/*
 * ns_lookup for a path from user_path: symbolic links on the way are
 * followed, the last one when follow or when a trailing slash asks for a
 * directory; p->path becomes the path found (or where it would be).
 */
static int walk_user_open(struct upath *p, int follow, struct loc *l,
			  struct open_ask *ask)
{
	int rc = ns_lookup_open(p->path, follow || p->want_dir, l, ask);
	if (rc == 0 && p->want_dir && !(l->qid.type & P9_QTDIR)) {
		loc_clunk(l);
		rc = -P9_ENOTDIR;
	}
	return rc;
}

static int walk_user(struct upath *p, int follow, struct loc *l)
{
	return walk_user_open(p, follow, l, 0);
}

/*
 * ---- descriptors by name ----
 *
 * Linux's /proc/self/fd/N are links to what each descriptor has open;
 * /dev/fd is a link to /proc/self/fd, and /dev/stdin, /dev/stdout and
 * /dev/stderr are links to its 0, 1 and 2 (bash's <(...) hands out
 * /dev/fd/N). Until a server serves them, the runtime answers these names
 * itself, as it does /proc/self/exe: see open_named_fd, named_fd_stat and
 * do_readlinkat. A descriptor that is not open is ENOENT, as Linux's
 * missing link is.
 */
static const char *const std_names[] = { "/dev/stdin", "/dev/stdout",
					 "/dev/stderr" };
static const char *const fd_dirs[] = { "/dev/fd/", "/proc/self/fd/" };

/* The descriptor number at s ("0", "12"; no sign, no leading zero, below
 * MAX_FDS), or -1. */
static int fd_number(const char *s)
{
	int n = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' ||
		    (n = n * 10 + (*s - '0')) >= MAX_FDS)
			return -1;
	}
	return n;
}

/* The descriptor a clean absolute path names, or -1 for other paths;
 * *std tells /dev/stdin, stdout and stderr (links to /proc/self/fd/N)
 * from the links to the files themselves. */
static int named_fd(const char *path, int *std)
{
	*std = 0;
	for (int i = 0; i < 3; i++)
		if (!strcmp(path, std_names[i]))
			return *std = 1, i;
	for (unsigned i = 0; i < sizeof(fd_dirs) / sizeof(fd_dirs[0]); i++) {
		size_t k = strlen(fd_dirs[i]);
		if (!strncmp(path, fd_dirs[i], k))
			return fd_number(path + k);
	}
	return -1;
}

/* What the name's link holds: "/proc/self/fd/N" for /dev/stdin and the
 * rest, else the open file's path ("pipe:" for a pipe). */
static const char *named_fd_target(int fd, int std, char *buf)
{
	if (std) {
		fmt_snprintf(buf, RT_PATH_MAX, "%s%d", fd_dirs[1], fd);
		return buf;
	}
	return fd_get(fd)->path;
}

/* stat of a descriptor's name: the open file's (the links followed), or
 * the link's own (lstat): mode 0777 for /dev/stdin's kind (there even when
 * the descriptor is not), and for /proc/self/fd/N the access the file was
 * opened with, as Linux shows. */
static long named_fd_stat(int fd, int std, int follow, struct lx_stat *st)
{
	static const uint32_t access_mode[] = { 0500, 0300, 0700, 0700 };
	char buf[RT_PATH_MAX];
	struct ofile *f = fd_get(fd);
	if (!f && (follow || !std))
		return -P9_ENOENT;
	if (follow)
		return f->ops->stat(f, st);
	memset(st, 0, sizeof(*st));
	st->st_mode =
	    LX_S_IFLNK | (std ? 0777 : access_mode[f->flags & LX_O_ACCMODE]);
	st->st_nlink = 1;
	st->st_size = (int64_t)strlen(named_fd_target(fd, std, buf));
	st->st_blksize = 1024;
	return 0;
}

#define AT_NO_AUTOMOUNT	   0x800
#define AT_STATX_SYNC_TYPE 0x6000
#define STATX_RESERVED	   0x80000000u

/* The stat of what dirfd and upath name (dirfd itself with an empty path
 * and AT_EMPTY_PATH): 0 or an errno. */
static long stat_at(int dirfd, uint64_t upath, int flags, struct lx_stat *st)
{
	struct upath p;
	struct loc l;
	long rc = user_path(dirfd, upath, &p, flags & LX_AT_EMPTY_PATH);
	if (rc)
		return rc;
	struct ofile *f = fd_get(dirfd);
	if ((flags & LX_AT_EMPTY_PATH) && f && !strcmp(p.path, f->path))
		return f->ops->stat(f, st);
	int std, fd = p.want_dir ? -1 : named_fd(p.path, &std);
	if (fd >= 0)
		return named_fd_stat(fd, std, !(flags & LX_AT_SYMLINK_NOFOLLOW),
				     st);
	if ((rc = walk_user(&p, !(flags & LX_AT_SYMLINK_NOFOLLOW), &l)))
		return rc;
	rc = stat_loc(&l, st);
	loc_clunk(&l);
	return rc;
}

static long do_fstatat(int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	struct lx_stat st;
	if (flags &
	    ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -P9_EINVAL;
	long rc = user_writable(ubuf, sizeof(st));
	if (rc == 0 && (rc = stat_at(dirfd, upath, flags, &st)) == 0)
		memcpy((void *)ubuf, &st, sizeof(st));
	return rc;
}

static long do_statx(int dirfd, uint64_t upath, int flags, uint32_t mask,
		     uint64_t ubuf)
{
	struct lx_statx sx;
	struct lx_stat st;
	if ((mask & STATX_RESERVED) ||
	    (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH |
		       AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -P9_EINVAL;
	long rc = user_writable(ubuf, sizeof(sx));
	if (rc || (rc = stat_at(dirfd, upath, flags, &st)))
		return rc;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = LX_STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	memcpy((void *)ubuf, &sx, sizeof(sx));
	return 0;
}

/* ---- open ---- */

static uint8_t open_mode(int flags)
{
	int acc = flags & LX_O_ACCMODE;
	uint8_t m = acc == LX_O_WRONLY ? P9_OWRITE
		    : acc == LX_O_RDWR ? P9_ORDWR
				       : P9_OREAD;
	return (uint8_t)(m | (flags & LX_O_TRUNC && acc ? P9_OTRUNC : 0));
}

/* Whether l is a FIFO: its stat has DMNAMEDPIPE (no qid bit says so).
 * Asked only when a Topen failed: a file server refuses to open a FIFO
 * (ramfs: ENXIO), so opening other files costs no Tstat. */
static int is_fifo(const struct loc *l)
{
	struct p9_stat st;
	return p9c_stat(loc_client(l), l->fid, &st) == 0 &&
	       (st.mode & P9_DMNAMEDPIPE);
}

/*
 * Opens what a walk found: each member of a union directory, or a file;
 * the console's cons file is the terminal, a FIFO a pipe (pipe.c).
 */
static long open_found(struct ofile *f, const struct upath *p, int flags)
{
	int dir = f->loc[0].qid.type & P9_QTDIR;
	if (dir && (flags & LX_O_ACCMODE) != LX_O_RDONLY)
		return -P9_EISDIR;
	if (!dir && ((flags & LX_O_DIRECTORY) || p->want_dir))
		return -P9_ENOTDIR;
	const char *name = last_name(p->path);
	int tty = !strcmp(loc_service(&f->loc[0]), "cons") &&
		  (!strcmp(name, "cons") || !strcmp(name, "tty"));
	f->ops = dir ? &dir_ops : tty ? &tty_ops : &file9p_ops;
	if (dir || (flags & LX_O_PATH))
		return 0; /* directories open on their first read */
	long rc = (f->opened & 1) ? 0
				  : p9c_open(loc_client(&f->loc[0]),
					     f->loc[0].fid, open_mode(flags), 0);
	if (rc && !tty && is_fifo(&f->loc[0]))
		return fifo_open(f, flags);
	return rc || !tty ? rc : tty_opened(f, name);
}

static long create_file(struct ofile *f, const char *path, int flags, int mode)
{
	struct loc dir;
	const char *name;
	int rc = ns_walk_parent(path, &dir, &name);
	if (rc)
		return rc;
	uint32_t perm = perm_to_9p((uint32_t)mode & ~rt.umask);
	rc = p9c_create(loc_client(&dir), dir.fid, name, perm,
			(uint8_t)(open_mode(flags) & ~P9_OTRUNC), &dir.qid);
	if (rc) {
		loc_clunk(&dir);
		return rc;
	}
	f->loc[0] = dir; /* the directory's fid is the new file now */
	f->nloc = 1;
	return 0;
}

/* An entry of the name service's tree (not its root), opened O_RDWR. */
static int is_service_entry(const struct loc *l, int flags)
{
	return (flags & LX_O_ACCMODE) == LX_O_RDWR &&
	       (l->qid.type & P9_QTDIR) && l->qid.path != 0 &&
	       !strcmp(loc_service(l), "names");
}

/*
 * Whether open may ask for the file to be opened with its walk
 * (ns_lookup_open), before it knows what the file is: only when opening
 * anything the walk may find changes nothing the open would then refuse
 * (O_TRUNC truncates, O_DIRECTORY and a trailing slash refuse files,
 * O_PATH and O_EXCL open nothing).
 */
static int speculate(const struct upath *p, int flags)
{
	return !(flags & (LX_O_TRUNC | LX_O_DIRECTORY | LX_O_PATH | LX_O_EXCL)) &&
	       !p->want_dir;
}

/*
 * What the path names, for open: a fid in f->loc (every member of a
 * union directory), or -ENOENT with p->path where it would be created.
 * O_NOFOLLOW (and O_CREAT with O_EXCL) do not follow a last link; a link
 * opened so is ELOOP, unless only its place is wanted (O_PATH).
 */
static long open_walk(struct ofile *f, struct upath *p, int flags,
		      struct open_ask *ask)
{
	int excl = (flags & LX_O_CREAT) && (flags & LX_O_EXCL);
	int follow = !(flags & LX_O_NOFOLLOW) && !excl;
	struct loc l;
	long rc = walk_user_open(p, follow, &l, ask);
	if (rc)
		return rc;
	if (excl || ((l.qid.type & P9_QTSYMLINK) && !(flags & LX_O_PATH))) {
		loc_clunk(&l);
		return excl ? -P9_EEXIST : -P9_ELOOP;
	}
	if (!ns_is_union(p->path)) {
		f->loc[0] = l;
		f->nloc = 1;
		/* Opened with the walk: a directory is open for its reads, a
		 * file needs no Topen (open_found). */
		f->opened = ask->mode >= 0 && ask->rc == 0;
		return 0;
	}
	loc_clunk(&l);
	int n = ns_walk_union(p->path, f->loc, NS_MAX_UNION);
	f->nloc = n > 0 ? n : 0;
	return n > 0 ? 0 : n;
}

static long open_upath(struct upath *p, int flags, int mode);

long path_open(const char *path, int flags, int cloexec)
{
	static struct upath p;
	if (strlen(path) >= sizeof(p.path))
		return -P9_ENAMETOOLONG;
	strcpy(p.path, path);
	p.want_dir = p.dots = 0;
	return open_upath(&p, (flags & ~(LX_O_CREAT | LX_O_TRUNC)) |
				  (cloexec ? LX_O_CLOEXEC : 0),
			  0);
}

/* Opens what the clean path p names: the new descriptor or an errno. */
static long open_upath(struct upath *p, int flags, int mode)
{
	struct ofile *f = ofile_new(&file9p_ops);
	if (!f)
		return -P9_ENFILE;
	f->flags = flags & (LX_O_ACCMODE | LX_O_APPEND | LX_O_NONBLOCK);
	/* Read-only and nothing but an open asked: a fid kept from an
	 * earlier open of the path may do, while nothing has changed what
	 * a walk would find (opencache.c). */
	int spec = speculate(p, flags);
	int again = spec && (flags & LX_O_ACCMODE) == LX_O_RDONLY;
	struct open_ask ask = { spec ? open_mode(flags) : -1, 0, 0, 0 };
	long rc = 0;
	if (again && ocache_take(p->path, f) == 0)
		goto found;
	rc = open_walk(f, p, flags, &ask);
	if (rc == 0 && is_service_entry(&f->loc[0], flags)) {
		/* /srv/NAME for reading and writing: a raw 9P channel. */
		loc_clunk(&f->loc[0]);
		f->nloc = 0;
		f->ops = &chan_ops;
		rc = chan_open(f, last_name(p->path));
	} else if (rc == 0) {
		rc = open_found(f, p, flags);
		if (rc == 0 && again && f->nloc == 1)
			ocache_opened(f, ask.stamped, ask.version);
	} else if (rc == -P9_ENOENT && (flags & LX_O_CREAT)) {
		rc = create_file(f, p->path, flags, mode);
	}
found:
	strcpy(f->path, p->path);
	int fd = rc ? 0 : fd_install(f, 0, !!(flags & LX_O_CLOEXEC));
	if (rc || fd < 0) {
		ofile_put(f);
		return rc ? rc : fd;
	}
	return fd;
}

/*
 * Opening /dev/fd/N (or /proc/self/fd/N, /dev/stdin...): what descriptor
 * N has open, opened again by its path with these flags, as Linux opens
 * the link's file anew (its own offset; O_TRUNC truncates). What has no
 * path, a pipe from pipe(), is shared as dup shares it, in the access
 * mode it has: EACCES for another (Linux would open the pipe's other
 * end), ENOTDIR for O_DIRECTORY; so is a file no longer at its path
 * (bash's here-document file, removed once open: Linux would give it its
 * own offset). A file renamed since it was opened is looked for by its
 * old path.
 */
static long open_named_fd(int fd, int flags, int mode)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -P9_ENOENT;
	if ((flags & LX_O_CREAT) && (flags & LX_O_EXCL))
		return -P9_EEXIST; /* the name is there */
	if (f->path[0] == '/') {
		struct upath p = { .want_dir = 0, .dots = 0 };
		strcpy(p.path, f->path);
		long rc = open_upath(&p, flags & ~LX_O_CREAT, mode);
		if (rc != -P9_ENOENT)
			return rc;
	}
	int acc = flags & LX_O_ACCMODE, has = f->flags & LX_O_ACCMODE;
	if (acc != has && has != LX_O_RDWR)
		return -P9_EACCES;
	if ((flags & LX_O_DIRECTORY) && f->ops != &dir_ops)
		return -P9_ENOTDIR;
	return fd_dup(fd, 0, !!(flags & LX_O_CLOEXEC));
}

static long do_openat(int dirfd, uint64_t upath, int flags, int mode)
{
	struct upath p;
	int std;
	long rc = user_path(dirfd, upath, &p, 0);
	if (rc)
		return rc;
	int fd = p.want_dir ? -1 : named_fd(p.path, &std);
	return fd >= 0 ? open_named_fd(fd, flags, mode)
		       : open_upath(&p, flags, mode);
}

/* ---- changing the tree ---- */

/*
 * Makes the name upath names: a Tcreate with perm (opened to read, then
 * clunked). EEXIST when the name is taken (its last link not followed);
 * "name/" makes only a directory (ENOENT); refusal (an errno, or 0) comes
 * after the name's errors, as Linux's EPERM for a device node does.
 */
static long create_new(int dirfd, uint64_t upath, uint32_t perm, long refusal)
{
	struct upath p;
	struct loc l;
	const char *name;
	long rc = user_path(dirfd, upath, &p, 0);
	if (rc)
		return rc;
	if ((rc = walk_user(&p, 0, &l)) == 0) {
		loc_clunk(&l);
		return -P9_EEXIST;
	}
	if (rc != -P9_ENOENT || (rc = ns_walk_parent(p.path, &l, &name)))
		return rc;
	if (p.want_dir && !(perm & P9_DMDIR))
		rc = -P9_ENOENT;
	else if (!(rc = refusal))
		rc = p9c_create(loc_client(&l), l.fid, name, perm, P9_OREAD, 0);
	loc_clunk(&l);
	return rc;
}

static long do_mkdirat(int dirfd, uint64_t upath, int mode)
{
	return create_new(dirfd, upath,
			  P9_DMDIR | perm_to_9p((uint32_t)mode & ~rt.umask), 0);
}

/*
 * mknod: a FIFO (Tcreate with DMNAMEDPIPE) or, for type 0 or S_IFREG, an
 * empty file, as Linux makes. No device nodes: a Metta device is a
 * server's file in the namespace (/dev is cons's, random's...), not a
 * number a node could carry, so S_IFCHR and S_IFBLK are EPERM, Linux's
 * answer where nodes cannot be made. S_IFSOCK makes a socket's file
 * (DMSOCKET), as bind does, that no listener is behind. An
 * unknown type is EINVAL before the name is looked at; EEXIST, ENOENT and
 * ENOTDIR come before EPERM, as on Linux.
 */
static long do_mknodat(int dirfd, uint64_t upath, uint32_t mode)
{
	uint32_t type = mode & LX_S_IFMT;
	uint32_t perm = perm_to_9p(mode & 07777 & ~rt.umask);
	if (type == 0 || type == LX_S_IFREG)
		return create_new(dirfd, upath, perm, 0);
	if (type == LX_S_IFIFO)
		return create_new(dirfd, upath, P9_DMNAMEDPIPE | perm, 0);
	if (type == LX_S_IFSOCK)
		return create_new(dirfd, upath, P9_DMSOCKET | perm, 0);
	if (type == LX_S_IFCHR || type == LX_S_IFBLK)
		return create_new(dirfd, upath, perm, -P9_EPERM);
	return -P9_EINVAL;
}

/* A socket's file: a Tcreate with DMSOCKET, as mknod makes a FIFO; a
 * name taken (a file, or a socket's left behind) is EADDRINUSE. */
long path_mksock(const char *path)
{
	struct loc l;
	const char *name;
	char found[RT_PATH_MAX];
	strcpy(found, path);
	long rc = ns_lookup(found, 0, &l);
	if (rc == 0) {
		loc_clunk(&l);
		return -P9_EADDRINUSE;
	}
	if (rc != -P9_ENOENT || (rc = ns_walk_parent(path, &l, &name)))
		return rc;
	rc = p9c_create(loc_client(&l), l.fid, name,
			P9_DMSOCKET | perm_to_9p(0777 & ~rt.umask), P9_OREAD, 0);
	loc_clunk(&l);
	return rc == -P9_EEXIST ? -P9_EADDRINUSE : rc;
}

/* unlink (dir 0), rmdir (dir 1). */
static long do_remove(int dirfd, uint64_t upath, int dir)
{
	struct upath p;
	long rc = user_path(dirfd, upath, &p, 0);
	if (rc)
		return rc;
	struct loc l;
	if (dir && p.dots)
		return p.dots == 1 ? -P9_EINVAL : -P9_ENOTEMPTY;
	/* A link is removed, not what it names; "link/" is ENOTDIR. */
	if ((rc = ns_lookup(p.path, 0, &l)))
		return rc;
	int is_dir = l.qid.type & P9_QTDIR;
	if (p.want_dir && !is_dir) {
		loc_clunk(&l);
		return -P9_ENOTDIR;
	}
	if (is_dir != (dir ? P9_QTDIR : 0)) {
		loc_clunk(&l);
		return dir ? -P9_ENOTDIR : -P9_EISDIR;
	}
	if (!strcmp(p.path, "/")) {
		loc_clunk(&l);
		return -P9_EBUSY;
	}
	return p9c_remove(loc_client(&l), l.fid); /* clunks it either way */
}

/*
 * Whether from may be renamed to (both clean, links on the way followed):
 * 0 to go ahead, 1 when they are the same name, or an errno.
 */
static long rename_check(const char *from, const char *to)
{
	size_t k = strlen(from);
	if (!strncmp(from, to, k) && to[k] == '/')
		return -P9_EINVAL; /* a directory into itself */
	return !strcmp(from, to);
}

/* Whether two clean paths name entries of one directory. */
static int same_dir(const char *a, const char *b)
{
	size_t k = (size_t)(last_name(a) - a);
	return k == (size_t)(last_name(b) - b) && !strncmp(a, b, k);
}

/*
 * A server without Trenameat renames within a directory only, by a
 * wstat of the name; an existing new name (*old, clunked here) goes first
 * when it is the same kind. Not atomic: for such servers only.
 */
static long rename_by_wstat(struct loc *l, struct loc *old, int have_old,
			    const char *to)
{
	int odir = l->qid.type & P9_QTDIR;
	int ndir = have_old ? old->qid.type & P9_QTDIR : odir;
	long rc = odir && !ndir ? -P9_EISDIR : !odir && ndir ? -P9_ENOTDIR : 0;
	if (have_old && rc)
		loc_clunk(old);
	else if (have_old)
		rc = p9c_remove(loc_client(old), old->fid); /* clunks it */
	if (rc == 0) {
		struct p9_stat st;
		p9c_nochange(&st);
		st.name = p9_str(last_name(to));
		rc = wstat_loc(l, &st);
	}
	return rc;
}

/*
 * The move itself: Trenameat on the server both directories are on
 * (else EXDEV: mv copies then). The server replaces an existing new
 * name at once; for one without Trenameat, a rename within a directory
 * is done the old way. *old (the new name's file, when have_old) is
 * clunked here.
 */
static long rename_move(const char *from, const char *to, struct loc *l,
			struct loc *old, int have_old)
{
	struct loc od, nd;
	const char *oname, *nname;
	long rc = ns_walk_parent(from, &od, &oname);
	if (rc)
		goto out;
	/* The old name's directory must be where the file is (not a
	 * union's other member, nor the parent of a mount point). */
	int here = loc_same_server(&od, l);
	if ((rc = ns_walk_parent(to, &nd, &nname)) == 0) {
		rc = !here || !loc_same_server(&od, &nd)
			 ? -P9_EXDEV
			 : p9c_renameat(loc_client(&od), od.fid, oname, nd.fid,
					nname);
		loc_clunk(&nd);
	}
	loc_clunk(&od);
	if (rc == -P9_EXDEV && here && same_dir(from, to))
		return rename_by_wstat(l, old, have_old, to);
out:
	if (have_old)
		loc_clunk(old);
	return rc;
}

/*
 * rename, renameat, renameat2: neither name's last link is followed (a
 * link is renamed itself). RENAME_NOREPLACE is checked here, before the
 * move (another process could make the name in between); RENAME_EXCHANGE
 * and RENAME_WHITEOUT are EINVAL, as on a Linux file system without them.
 */
static long do_renameat(int olddirfd, uint64_t uold, int newdirfd,
			uint64_t unew, uint64_t flags)
{
	struct upath pf, pt;
	struct loc l, old, dir;
	const char *name;
	long rc;
	if (flags & ~(uint64_t)LX_RENAME_NOREPLACE)
		return -P9_EINVAL;
	if ((rc = user_path(olddirfd, uold, &pf, 0)) ||
	    (rc = user_path(newdirfd, unew, &pt, 0)) ||
	    (rc = walk_user(&pf, 0, &l)))
		return rc;
	int have_old = (rc = walk_user(&pt, 0, &old)) == 0;
	if (rc == -P9_ENOENT &&
	    (rc = ns_walk_parent(pt.path, &dir, &name)) == 0)
		loc_clunk(&dir);
	if (rc == 0 && have_old && (flags & LX_RENAME_NOREPLACE))
		rc = -P9_EEXIST;
	if (rc == 0 && (!strcmp(pf.path, "/") || !strcmp(pt.path, "/")))
		rc = -P9_EBUSY; /* the root has no name to change */
	if (rc == 0)
		rc = rename_check(pf.path, pt.path);
	if (rc == 0)
		rc = rename_move(pf.path, pt.path, &l, &old, have_old);
	else if (have_old)
		loc_clunk(&old);
	loc_clunk(&l);
	return rc < 0 ? rc : 0;
}

static long do_truncate(uint64_t upath, int64_t len)
{
	struct upath p;
	struct loc l;
	long rc = user_path(LX_AT_FDCWD, upath, &p, 0);
	if (rc || (rc = walk_user(&p, 1, &l)))
		return rc;
	rc = l.qid.type & P9_QTDIR ? -P9_EISDIR : truncate_loc(&l, len);
	loc_clunk(&l);
	return rc;
}

static long do_fchmodat(int dirfd, uint64_t upath, int mode)
{
	struct upath p;
	struct loc l;
	long rc = user_path(dirfd, upath, &p, 0);
	if (rc || (rc = walk_user(&p, 1, &l)))
		return rc;
	rc = chmod_loc(&l, mode);
	loc_clunk(&l);
	return rc;
}

/* access's answer from the permission bits that apply to us (rwx). */
static long access_bits(uint32_t bits, int mode)
{
	if ((mode & LX_R_OK && !(bits & 4)) ||
	    (mode & LX_W_OK && !(bits & 2)) || (mode & LX_X_OK && !(bits & 1)))
		return -P9_EACCES;
	return 0;
}

/* access of a descriptor's name: its open file's owner bits (every file
 * is ours, root's). */
static long named_fd_access(int fd, int mode)
{
	struct ofile *f = fd_get(fd);
	struct lx_stat st;
	if (!f)
		return -P9_ENOENT;
	long rc = mode ? f->ops->stat(f, &st) : 0;
	return rc || !mode ? rc : access_bits(st.st_mode >> 6, mode);
}

/*
 * access, faccessat, faccessat2: AT_EACCESS changes nothing (one user,
 * whose real and effective ids are the same), AT_SYMLINK_NOFOLLOW asks
 * about a last link itself, AT_EMPTY_PATH about dirfd with an empty path.
 */
static long do_faccessat(int dirfd, uint64_t upath, int mode, int flags)
{
	struct upath p;
	struct loc l;
	int std;
	if (mode & ~7)
		return -P9_EINVAL;
	if (flags &
	    ~(LX_AT_EACCESS | LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -P9_EINVAL;
	long rc = user_path(dirfd, upath, &p, flags & LX_AT_EMPTY_PATH);
	if (rc)
		return rc;
	int fd = p.want_dir ? -1 : named_fd(p.path, &std);
	if (fd >= 0)
		return named_fd_access(fd, mode);
	if ((rc = walk_user(&p, !(flags & LX_AT_SYMLINK_NOFOLLOW), &l)))
		return rc;
	struct p9_stat st;
	rc = mode ? p9c_stat(loc_client(&l), l.fid, &st) : 0;
	if (rc == 0 && mode) /* the owner's bits, else others' */
		rc = access_bits(
		    p9_str_eq(st.uid, UNAME) ? st.mode >> 6 : st.mode, mode);
	loc_clunk(&l);
	return rc;
}

/* statfs: the file system of what path names (links followed). */
static long do_statfs(uint64_t upath, uint64_t ubuf)
{
	struct upath p;
	struct loc l;
	long rc = user_path(LX_AT_FDCWD, upath, &p, 0);
	if (rc || (rc = walk_user(&p, 1, &l)))
		return rc;
	rc = statfs_loc(&l, ubuf);
	loc_clunk(&l);
	return rc;
}

/* ---- owners ---- */

/*
 * chown and its kin. One user, root (runtime/README.md): every file is
 * uid and gid 0, so giving it to 0 (or -1, "unchanged") is done once the
 * file is found; any other owner is EPERM, as setuid's other ids are.
 */
static long owner_ok(uint32_t uid, uint32_t gid)
{
	return (uid == 0 || uid == ~0u) && (gid == 0 || gid == ~0u)
		   ? 0
		   : -P9_EPERM;
}

static long do_fchownat(int dirfd, uint64_t upath, uint32_t uid,
			uint32_t gid, int flags)
{
	struct lx_stat st;
	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -P9_EINVAL;
	long rc = stat_at(dirfd, upath, flags, &st);
	return rc ? rc : owner_ok(uid, gid);
}

/* ---- times ---- */

#define UTIME_NOW  ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define NS_PER_S   1000000000l

/* A time utimensat asks for as a 9P time (32-bit seconds: one outside
 * their range is clamped, as Linux clamps to a file system's range),
 * ~0 for "leave it" (UTIME_OMIT). */
static long time_9p(int64_t sec, int64_t nsec, uint32_t *out)
{
	if (nsec == UTIME_OMIT) {
		*out = ~0u;
		return 0;
	}
	if (nsec == UTIME_NOW)
		sec = rt_realtime_ns() / NS_PER_S;
	else if (nsec < 0 || nsec >= NS_PER_S)
		return -P9_EINVAL;
	*out = sec < 0 ? 0 : sec >= 0xffffffffll ? 0xfffffffeu : (uint32_t)sec;
	return 0;
}

/*
 * The atime and mtime of a times argument: two timespecs, or two timevals
 * (us), in t (user memory; both "now" when 0).
 */
static long user_times(uint64_t ut, int us, struct p9_stat *st)
{
	int64_t t[4] = { 0, UTIME_NOW, 0, UTIME_NOW };
	long rc = 0;
	if (ut) {
		if ((rc = user_readable(ut, sizeof(t))))
			return rc;
		memcpy(t, (const void *)ut, sizeof(t));
		for (int i = 1; us && i < 4; i += 2) {
			if (t[i] < 0 || t[i] >= 1000000)
				return -P9_EINVAL;
			t[i] *= 1000;
		}
	}
	p9c_nochange(st);
	if ((rc = time_9p(t[0], t[1], &st->atime)) == 0)
		rc = time_9p(t[2], t[3], &st->mtime);
	return rc;
}

static long times_of_file(struct ofile *f, const struct p9_stat *st)
{
	if (!f)
		return -P9_EBADF;
	return f->ops->wstat ? f->ops->wstat(f, st) : -P9_EPERM;
}

/*
 * utimensat's work: st's times on what dirfd and upath name, or on
 * dirfd's own file when upath is 0 (or empty, with AT_EMPTY_PATH).
 */
static long set_times(int dirfd, uint64_t upath, int flags,
		      const struct p9_stat *st)
{
	struct upath p;
	struct loc l;
	if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
		return -P9_EINVAL;
	if (!upath) {
		if (dirfd == LX_AT_FDCWD)
			return -P9_EFAULT;
		if (flags & LX_AT_SYMLINK_NOFOLLOW)
			return -P9_EINVAL;
		return times_of_file(fd_get(dirfd), st);
	}
	long rc = user_path(dirfd, upath, &p, flags & LX_AT_EMPTY_PATH);
	if (rc)
		return rc;
	struct ofile *f = fd_get(dirfd);
	if ((flags & LX_AT_EMPTY_PATH) && f && !strcmp(p.path, f->path))
		return times_of_file(f, st);
	if ((rc = walk_user(&p, !(flags & LX_AT_SYMLINK_NOFOLLOW), &l)))
		return rc;
	rc = wstat_loc(&l, st);
	loc_clunk(&l);
	return rc;
}

/* utimensat (us 0) and futimesat (us 1). Linux: both times UTIME_OMIT
 * is done at once, before the file is looked for. */
static long do_utimensat(int dirfd, uint64_t upath, uint64_t ut, int flags,
			 int us)
{
	struct p9_stat st;
	long rc = user_times(ut, us, &st);
	if (rc)
		return rc;
	if (st.atime == ~0u && st.mtime == ~0u)
		return flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH)
			   ? -P9_EINVAL
			   : 0;
	return set_times(dirfd, upath, flags, &st);
}

/* A link's target into the user's buffer, cut to fit, no NUL: as Linux. */
static long give_target(const char *target, size_t len, uint64_t ubuf,
			int64_t n)
{
	uint64_t k = len < (uint64_t)n ? len : (uint64_t)n;
	long rc = user_writable(ubuf, k);
	if (rc)
		return rc;
	memcpy((void *)ubuf, target, k);
	return (long)k;
}

static long do_readlinkat(int dirfd, uint64_t upath, uint64_t ubuf, int64_t n)
{
	char target[RT_PATH_MAX];
	struct upath p;
	struct loc l;
	if (n <= 0)
		return -P9_EINVAL;
	long rc = user_path(dirfd, upath, &p, 0);
	if (rc)
		return rc;
	/* Ours until a process server serves /proc/self/exe and fd/. */
	if (!strcmp(p.path, "/proc/self/exe"))
		return give_target(rt.exe, strlen(rt.exe), ubuf, n);
	int std, fd = p.want_dir ? -1 : named_fd(p.path, &std);
	if (fd >= 0 && !std && !fd_get(fd))
		return -P9_ENOENT;
	if (fd >= 0) {
		const char *t = named_fd_target(fd, std, target);
		return give_target(t, strlen(t), ubuf, n);
	}
	if ((rc = walk_user(&p, 0, &l)))
		return rc;
	if (!(l.qid.type & P9_QTSYMLINK)) {
		loc_clunk(&l);
		return -P9_EINVAL; /* not a link */
	}
	rc = p9c_open(loc_client(&l), l.fid, P9_OREAD, 0);
	if (rc == 0)
		rc = p9c_read(loc_client(&l), l.fid, 0, (uint8_t *)target,
			      sizeof(target));
	loc_clunk(&l);
	return rc < 0 ? rc : give_target(target, (size_t)rc, ubuf, n);
}

/*
 * A symbolic link at linkpath with contents target (docs/servers.md):
 * Tcreate with DMSYMLINK, then Twrite of the target; a link that could
 * not be written is removed again.
 */
static long do_symlinkat(uint64_t utarget, int dirfd, uint64_t upath)
{
	char target[RT_PATH_MAX];
	struct upath p;
	struct loc l;
	const char *name;
	long rc = user_string(utarget, target, sizeof(target));
	if (rc == 0)
		return -P9_ENOENT;
	if (rc < 0 || (rc = user_path(dirfd, upath, &p, 0)))
		return rc;
	if ((rc = walk_user(&p, 0, &l)) == 0) {
		loc_clunk(&l);
		return -P9_EEXIST;
	}
	if (rc != -P9_ENOENT || (rc = ns_walk_parent(p.path, &l, &name)))
		return rc;
	rc = p9c_create(loc_client(&l), l.fid, name, P9_DMSYMLINK | 0777,
			P9_OWRITE, 0);
	if (rc) {
		loc_clunk(&l);
		return rc;
	}
	size_t k = strlen(target);
	rc = p9c_write(loc_client(&l), l.fid, 0, (const uint8_t *)target,
		       (uint32_t)k);
	if (rc == (long)k) {
		loc_clunk(&l);
		return 0;
	}
	p9c_remove(loc_client(&l), l.fid);
	return rc < 0 ? rc : -P9_ENOSPC;
}

/*
 * A hard link (docs/servers.md: Tlink): newpath names oldpath's file too.
 * Both on one server (one connection), else EXDEV; a server without
 * links refuses (EPERM, as Linux's file systems without them). The old
 * name's last link is followed only with AT_SYMLINK_FOLLOW.
 */
#define AT_SYMLINK_FOLLOW 0x400

static long do_linkat(int olddirfd, uint64_t uold, int newdirfd,
		      uint64_t unew, int flags)
{
	struct upath po, pn;
	struct loc old, dir;
	const char *name;
	if (flags & ~(AT_SYMLINK_FOLLOW | LX_AT_EMPTY_PATH))
		return -P9_EINVAL;
	long rc = user_path(olddirfd, uold, &po, flags & LX_AT_EMPTY_PATH);
	if (rc || (rc = user_path(newdirfd, unew, &pn, 0)))
		return rc;
	if ((rc = walk_user(&po, flags & AT_SYMLINK_FOLLOW, &old)))
		return rc;
	if (old.qid.type & P9_QTDIR) {
		loc_clunk(&old);
		return -P9_EPERM;
	}
	if ((rc = walk_user(&pn, 0, &dir)) == 0) {
		loc_clunk(&dir);
		rc = -P9_EEXIST;
	} else if (rc == -P9_ENOENT && !pn.want_dir &&
		   (rc = ns_walk_parent(pn.path, &dir, &name)) == 0) {
		rc = dir.c != old.c ? -P9_EXDEV
				    : p9c_link(loc_client(&dir), dir.fid,
					       old.fid, name);
		loc_clunk(&dir);
	}
	loc_clunk(&old);
	return rc == -P9_ENOTSUP ? -P9_EPERM : rc;
}

/* The current directory, which the process server shows as /proc/N/cwd
 * (told at each change: a change is rare, a look at it rarer). */
static void set_cwd(const char *path)
{
	strcpy(rt.cwd, path);
	uint64_t w[4] = { NESTER_SETCWD };
	metta_request(CAP_NESTER, w, rt.cwd, strlen(rt.cwd) + 1, 0, 0, 0, 0,
		      0);
}

static long do_chdir(struct upath *p)
{
	struct loc l;
	long rc = walk_user(p, 1, &l);
	if (rc)
		return rc;
	int dir = l.qid.type & P9_QTDIR;
	loc_clunk(&l);
	if (!dir)
		return -P9_ENOTDIR;
	set_cwd(p->path);
	return 0;
}

static long do_getcwd(uint64_t ubuf, uint64_t size)
{
	uint64_t n = strlen(rt.cwd) + 1;
	if (size < n)
		return -P9_ERANGE;
	long rc = user_writable(ubuf, n);
	if (rc)
		return rc;
	memcpy((void *)ubuf, rt.cwd, n);
	return (long)n;
}

/* ---- the calls ---- */

long sys_open(const uint64_t *a)
{
	return do_openat(LX_AT_FDCWD, a[0], (int)a[1], (int)a[2]);
}

long sys_creat(const uint64_t *a)
{
	return do_openat(LX_AT_FDCWD, a[0],
			 LX_O_CREAT | LX_O_WRONLY | LX_O_TRUNC, (int)a[1]);
}

long sys_openat(const uint64_t *a)
{
	return do_openat((int)a[0], a[1], (int)a[2], (int)a[3]);
}

long sys_stat(const uint64_t *a)
{
	return do_fstatat(LX_AT_FDCWD, a[0], a[1], 0);
}

long sys_lstat(const uint64_t *a)
{
	return do_fstatat(LX_AT_FDCWD, a[0], a[1], LX_AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(const uint64_t *a)
{
	return do_fstatat((int)a[0], a[1], a[2], (int)a[3]);
}

long sys_statx(const uint64_t *a)
{
	return do_statx((int)a[0], a[1], (int)a[2], (uint32_t)a[3], a[4]);
}

long sys_mkdir(const uint64_t *a)
{
	return do_mkdirat(LX_AT_FDCWD, a[0], (int)a[1]);
}

long sys_mkdirat(const uint64_t *a)
{
	return do_mkdirat((int)a[0], a[1], (int)a[2]);
}

long sys_mknod(const uint64_t *a)
{
	return do_mknodat(LX_AT_FDCWD, a[0], (uint32_t)a[1]);
}

long sys_mknodat(const uint64_t *a)
{
	return do_mknodat((int)a[0], a[1], (uint32_t)a[2]);
}

long sys_rmdir(const uint64_t *a)
{
	return do_remove(LX_AT_FDCWD, a[0], 1);
}

long sys_unlink(const uint64_t *a)
{
	return do_remove(LX_AT_FDCWD, a[0], 0);
}

long sys_unlinkat(const uint64_t *a)
{
	if (a[2] & ~(uint64_t)LX_AT_REMOVEDIR)
		return -P9_EINVAL;
	return do_remove((int)a[0], a[1], !!(a[2] & LX_AT_REMOVEDIR));
}

long sys_rename(const uint64_t *a)
{
	return do_renameat(LX_AT_FDCWD, a[0], LX_AT_FDCWD, a[1], 0);
}

long sys_renameat(const uint64_t *a)
{
	return do_renameat((int)a[0], a[1], (int)a[2], a[3], 0);
}

long sys_renameat2(const uint64_t *a)
{
	return do_renameat((int)a[0], a[1], (int)a[2], a[3], a[4]);
}

long sys_truncate(const uint64_t *a)
{
	return do_truncate(a[0], (int64_t)a[1]);
}

long sys_access(const uint64_t *a)
{
	return do_faccessat(LX_AT_FDCWD, a[0], (int)a[1], 0);
}

long sys_faccessat(const uint64_t *a)
{
	return do_faccessat((int)a[0], a[1], (int)a[2], 0);
}

long sys_faccessat2(const uint64_t *a)
{
	return do_faccessat((int)a[0], a[1], (int)a[2], (int)a[3]);
}

long sys_statfs(const uint64_t *a)
{
	return do_statfs(a[0], a[1]);
}

long sys_readlink(const uint64_t *a)
{
	return do_readlinkat(LX_AT_FDCWD, a[0], a[1], (int64_t)a[2]);
}

long sys_readlinkat(const uint64_t *a)
{
	return do_readlinkat((int)a[0], a[1], a[2], (int64_t)a[3]);
}

long sys_symlink(const uint64_t *a)
{
	return do_symlinkat(a[0], LX_AT_FDCWD, a[1]);
}

long sys_symlinkat(const uint64_t *a)
{
	return do_symlinkat(a[0], (int)a[1], a[2]);
}

long sys_chmod(const uint64_t *a)
{
	return do_fchmodat(LX_AT_FDCWD, a[0], (int)a[1]);
}

long sys_fchmodat(const uint64_t *a)
{
	return do_fchmodat((int)a[0], a[1], (int)a[2]);
}

long sys_chown(const uint64_t *a)
{
	return do_fchownat(LX_AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2],
			   0);
}

long sys_lchown(const uint64_t *a)
{
	return do_fchownat(LX_AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2],
			   LX_AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(const uint64_t *a)
{
	return do_fchownat((int)a[0], a[1], (uint32_t)a[2], (uint32_t)a[3],
			   (int)a[4]);
}

long sys_fchown(const uint64_t *a)
{
	return fd_get((int)a[0]) ? owner_ok((uint32_t)a[1], (uint32_t)a[2])
				 : -P9_EBADF;
}

long sys_link(const uint64_t *a)
{
	return do_linkat(LX_AT_FDCWD, a[0], LX_AT_FDCWD, a[1], 0);
}

long sys_linkat(const uint64_t *a)
{
	return do_linkat((int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
}

long sys_utimensat(const uint64_t *a)
{
	return do_utimensat((int)a[0], a[1], a[2], (int)a[3], 0);
}

long sys_futimesat(const uint64_t *a)
{
	return do_utimensat((int)a[0], a[1], a[2], 0, 1);
}

long sys_utimes(const uint64_t *a)
{
	return a[0] ? do_utimensat(LX_AT_FDCWD, a[0], a[1], 0, 1) : -P9_EFAULT;
}

/* utime: a struct utimbuf, whole seconds. */
long sys_utime(const uint64_t *a)
{
	int64_t t[2];
	if (!a[0])
		return -P9_EFAULT;
	if (!a[1])
		return do_utimensat(LX_AT_FDCWD, a[0], 0, 0, 0);
	if (user_readable(a[1], sizeof(t)))
		return -P9_EFAULT;
	memcpy(t, (const void *)a[1], sizeof(t));
	struct p9_stat st;
	p9c_nochange(&st);
	time_9p(t[0], 0, &st.atime);
	time_9p(t[1], 0, &st.mtime);
	return set_times(LX_AT_FDCWD, a[0], 0, &st);
}

long sys_chdir(const uint64_t *a)
{
	struct upath p;
	long rc = user_path(LX_AT_FDCWD, a[0], &p, 0);
	return rc ? rc : do_chdir(&p);
}

long sys_fchdir(const uint64_t *a)
{
	struct ofile *f = fd_get((int)a[0]);
	if (!f)
		return -P9_EBADF;
	if (f->ops != &dir_ops)
		return -P9_ENOTDIR;
	set_cwd(f->path);
	return 0;
}

long sys_getcwd(const uint64_t *a)
{
	return do_getcwd(a[0], a[1]);
}
