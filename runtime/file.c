/*
 * File calls, turned into 9P: paths resolve through the namespace (ns.c)
 * to a fid on some server, and reads, writes, stats and directory reads
 * become Tread, Twrite, Tstat... on it. Every user pointer is checked
 * first (EFAULT) and nothing changes on an error.
 */
#include <9p/errstr.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "fd.h"

#define MAX_DIRBUFS 8
#define UNAME	    "root"

static struct dirbuf dirbufs[MAX_DIRBUFS];
/* The last path given had a trailing slash: it must name a directory. */
static int want_dir;
/* And its last name was "." (1) or ".." (2): not for rmdir or unlink. */
static int last_dots;

void dirbuf_put(struct dirbuf *b)
{
	b->used = 0;
}

static struct dirbuf *dirbuf_get(void)
{
	for (int i = 0; i < MAX_DIRBUFS; i++) {
		if (!dirbufs[i].used) {
			dirbufs[i] = (struct dirbuf){ .used = 1 };
			return &dirbufs[i];
		}
	}
	return 0;
}

/* ---- paths ---- */

/*
 * The clean absolute path of `upath` (a user pointer) relative to dirfd
 * (AT_FDCWD or a directory's descriptor).
 */
static long user_path(int dirfd, uint64_t upath, char *out, int empty_ok)
{
	static char raw[RT_PATH_MAX];
	long n = user_string(upath, raw, sizeof(raw));
	if (n < 0)
		return n;
	if (n == 0 && !empty_ok)
		return -LX_ENOENT;
	want_dir = n > 0 && raw[n - 1] == '/';
	const char *last = strrchr(raw, '/') ? strrchr(raw, '/') + 1 : raw;
	last_dots = !strcmp(last, ".") ? 1 : !strcmp(last, "..") ? 2 : 0;
	const char *base = rt_cwd;
	if (raw[0] != '/' && dirfd != LX_AT_FDCWD) {
		struct ofile *d = fd_get(dirfd);
		if (!d)
			return -LX_EBADF;
		if (!d->dir && n > 0)
			return -LX_ENOTDIR;
		base = d->path;
	}
	if (n == 0) {
		strcpy(out, base);
		return 0;
	}
	return path_clean(base, raw, out);
}

/* ns_walk for a path from user_path, honouring a trailing slash. */
static int walk_user(const char *path, struct loc *l)
{
	int rc = ns_walk(path, l);
	if (rc == 0 && want_dir && !(l->qid.type & P9_QTDIR)) {
		loc_clunk(l);
		rc = -LX_ENOTDIR;
	}
	return rc;
}

static const char *last_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- stat ---- */

static void to_stat(const struct p9_stat *st, struct lx_stat *out)
{
	memset(out, 0, sizeof(*out));
	int dir = st->mode & P9_DMDIR;
	out->st_dev = st->dev;
	out->st_ino = st->qid.path;
	out->st_nlink = dir ? 2 : 1;
	/* A device server marks its files with a stat type (Plan 9's device
	 * letter): those are character devices to a Linux program. */
	out->st_mode = (dir	   ? LX_S_IFDIR
			: st->type ? LX_S_IFCHR
				   : LX_S_IFREG) |
		       (st->mode & 0777);
	out->st_rdev = dir || !st->type
			   ? 0
			   : (uint64_t)st->type << 8 | (st->qid.path & 0xff);
	out->st_size = (int64_t)st->length;
	out->st_blksize = 4096;
	out->st_blocks = (int64_t)((st->length + 511) / 512);
	out->st_atim.tv_sec = st->atime;
	out->st_mtim.tv_sec = st->mtime;
	out->st_ctim.tv_sec = st->mtime;
}

static long stat_loc(const struct loc *l, struct lx_stat *out)
{
	struct p9_stat st;
	int rc = p9c_stat(loc_client(l), l->fid, &st);
	if (rc)
		return rc;
	to_stat(&st, out);
	return 0;
}

static long stat_path(const char *path, struct lx_stat *out)
{
	struct loc l;
	int rc = walk_user(path, &l);
	if (rc)
		return rc;
	rc = (int)stat_loc(&l, out);
	loc_clunk(&l);
	return rc;
}

#define AT_NO_AUTOMOUNT	   0x800
#define AT_STATX_SYNC_TYPE 0x6000
#define STATX_RESERVED	   0x80000000u

static long do_fstatat(int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	char path[RT_PATH_MAX];
	struct lx_stat st;
	if (flags &
	    ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -LX_EINVAL;
	long rc = user_writable(ubuf, sizeof(st));
	if (rc)
		return rc;
	rc = user_path(dirfd, upath, path, flags & LX_AT_EMPTY_PATH);
	if (rc)
		return rc;
	struct ofile *f = fd_get(dirfd);
	int self = (flags & LX_AT_EMPTY_PATH) && f && !f->chan &&
		   !strcmp(path, f->path);
	rc = self ? stat_loc(&f->loc[0], &st) : stat_path(path, &st);
	if (rc == 0)
		memcpy((void *)ubuf, &st, sizeof(st));
	return rc;
}

static long do_fstat(int fd, uint64_t ubuf)
{
	struct ofile *f = fd_get(fd);
	struct lx_stat st;
	if (!f)
		return -LX_EBADF;
	long rc = user_writable(ubuf, sizeof(st));
	if (rc == 0 && f->chan) {
		memset(&st, 0, sizeof(st));
		st.st_mode = LX_S_IFCHR | 0600; /* a channel: like a pipe */
		memcpy((void *)ubuf, &st, sizeof(st));
		return 0;
	}
	if (rc == 0 && (rc = stat_loc(&f->loc[0], &st)) == 0)
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
		return -LX_EINVAL;
	long rc = user_writable(ubuf, sizeof(sx));
	if (rc)
		return rc;
	char path[RT_PATH_MAX];
	if ((rc = user_path(dirfd, upath, path, flags & LX_AT_EMPTY_PATH)))
		return rc;
	struct ofile *f = fd_get(dirfd);
	int self = (flags & LX_AT_EMPTY_PATH) && f && !f->chan &&
		   !strcmp(path, f->path);
	if ((rc = self ? stat_loc(&f->loc[0], &st) : stat_path(path, &st)))
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

/* Opens what a walk found: each member of a union directory, or a file. */
static long open_found(struct ofile *f, int flags)
{
	int dir = f->loc[0].qid.type & P9_QTDIR;
	if (dir && (flags & LX_O_ACCMODE) != LX_O_RDONLY)
		return -LX_EISDIR;
	if (!dir && ((flags & LX_O_DIRECTORY) || want_dir))
		return -LX_ENOTDIR;
	f->dir = !!dir;
	if (dir || (flags & LX_O_PATH))
		return 0; /* directories open on their first read */
	return p9c_open(loc_client(&f->loc[0]), f->loc[0].fid, open_mode(flags),
			0);
}

static long create_file(struct ofile *f, const char *path, int flags, int mode)
{
	struct loc dir;
	const char *name;
	int rc = ns_walk_parent(path, &dir, &name);
	if (rc)
		return rc;
	uint32_t perm = (uint32_t)mode & 0777 & ~rt_umask;
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

static long do_openat(int dirfd, uint64_t upath, int flags, int mode)
{
	char path[RT_PATH_MAX];
	long rc = user_path(dirfd, upath, path, 0);
	if (rc)
		return rc;
	struct ofile *f = ofile_new();
	if (!f)
		return -LX_ENFILE;
	strcpy(f->path, path);
	f->flags = flags & (LX_O_ACCMODE | LX_O_APPEND | LX_O_NONBLOCK);
	int n = ns_walk_union(path, f->loc, NS_MAX_UNION);
	if (n > 0 && is_service_entry(&f->loc[0], flags)) {
		/* /srv/NAME for reading and writing: a raw 9P channel. */
		loc_clunk(&f->loc[0]);
		rc = chan_open(f, last_name(path));
	} else if (n > 0) {
		f->nloc = n;
		rc = (flags & LX_O_CREAT) && (flags & LX_O_EXCL)
			 ? -LX_EEXIST
			 : open_found(f, flags);
	} else if (n == -LX_ENOENT && (flags & LX_O_CREAT)) {
		rc = create_file(f, path, flags, mode);
	} else {
		rc = n;
	}
	f->tty = !rc && !f->dir && !f->chan &&
		 !strcmp(loc_service(&f->loc[0]), "cons") &&
		 !strcmp(last_name(path), "cons");
	int fd = rc ? 0 : fd_install(f, 0, !!(flags & LX_O_CLOEXEC));
	if (rc || fd < 0) {
		ofile_put(f);
		return rc ? rc : fd;
	}
	return fd;
}

/* ---- read and write ---- */

static long file_length(struct ofile *f, uint64_t *len)
{
	struct p9_stat st;
	int rc = p9c_stat(loc_client(&f->loc[0]), f->loc[0].fid, &st);
	if (rc == 0)
		*len = st.length;
	return rc;
}

/*
 * One 9P-sized piece at off, read into or written from buf: the bytes
 * moved, or an errno. Like Linux, a read needs somewhere to put only the
 * bytes that arrive: EFAULT otherwise.
 */
static long piece(struct ofile *f, uint8_t *buf, uint32_t k, uint64_t off,
		  int write)
{
	struct p9c *c = loc_client(&f->loc[0]);
	if (write)
		return p9c_write(c, f->loc[0].fid, off, buf, k);
	const uint8_t *data;
	long r = p9c_read_ref(c, f->loc[0].fid, off, k, &data);
	if (r > 0 && user_writable((uint64_t)buf, (uint64_t)r))
		return -LX_EFAULT;
	if (r > 0)
		memcpy(buf, data, (size_t)r);
	return r;
}

/*
 * n bytes at off in 9P-sized pieces; stops at a short piece (the end of a
 * file, or a line from the console). An error after some bytes moved
 * gives those bytes, as Linux does.
 */
static long transfer(struct ofile *f, uint8_t *buf, uint64_t n, uint64_t off,
		     int write)
{
	uint32_t unit = p9c_iounit(loc_client(&f->loc[0]));
	uint64_t done = 0;
	while (done < n) {
		uint32_t k = n - done > unit ? unit : (uint32_t)(n - done);
		long r = piece(f, buf + done, k, off + done, write);
		if (r < 0)
			return done ? (long)done : r;
		done += (uint64_t)r;
		if ((uint32_t)r < k)
			break;
	}
	return (long)done;
}

static long readable_file(struct ofile *f)
{
	if (!f)
		return -LX_EBADF;
	if (f->dir)
		return -LX_EISDIR;
	if ((f->flags & LX_O_ACCMODE) == LX_O_WRONLY)
		return -LX_EBADF;
	return 0;
}

static long writable_file(struct ofile *f)
{
	if (!f)
		return -LX_EBADF;
	if (f->dir || (f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -LX_EBADF;
	return 0;
}

/* read/pread: at the file's offset (moving it) or at `at`. */
static long do_read(int fd, uint64_t ubuf, uint64_t n, int64_t at)
{
	struct ofile *f = fd_get(fd);
	if (f && f->chan)
		return chan_read(f, ubuf, n);
	long rc = readable_file(f);
	if (rc)
		return rc;
	if (at < -1)
		return -LX_EINVAL;
	rc = transfer(f, (uint8_t *)ubuf, n, at >= 0 ? (uint64_t)at : f->offset,
		      0);
	if (rc > 0 && at < 0)
		f->offset += (uint64_t)rc;
	return rc;
}

static long do_write(int fd, uint64_t ubuf, uint64_t n, int64_t at)
{
	struct ofile *f = fd_get(fd);
	if (f && f->chan)
		return chan_write(f, ubuf, n);
	long rc = writable_file(f);
	if (rc || (rc = user_readable(ubuf, n)))
		return rc;
	if (at < -1)
		return -LX_EINVAL;
	uint64_t off = at >= 0 ? (uint64_t)at : f->offset;
	if (at < 0 && (f->flags & LX_O_APPEND) && !f->tty &&
	    (rc = file_length(f, &off)))
		return rc;
	rc = transfer(f, (uint8_t *)ubuf, n, off, 1);
	if (rc > 0 && at < 0)
		f->offset = off + (uint64_t)rc;
	return rc;
}

static long do_iov(int fd, uint64_t uiov, int64_t cnt, int write)
{
	if (cnt < 0 || cnt > 1024)
		return -LX_EINVAL;
	long rc = user_readable(uiov, (uint64_t)cnt * sizeof(struct lx_iovec));
	if (rc)
		return rc;
	const struct lx_iovec *iov = (const struct lx_iovec *)uiov;
	long total = 0;
	for (int64_t i = 0; i < cnt; i++) {
		if (iov[i].len == 0)
			continue;
		long r = write ? do_write(fd, iov[i].base, iov[i].len, -1)
			       : do_read(fd, iov[i].base, iov[i].len, -1);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < iov[i].len)
			break;
	}
	return total;
}

long file_pread_into(int fd, void *buf, uint64_t n, uint64_t off)
{
	struct ofile *f = fd_get(fd);
	long rc = readable_file(f);
	return rc ? rc : transfer(f, buf, n, off, 0);
}

static long do_lseek(int fd, int64_t off, int whence)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	if (f->chan)
		return -LX_ESPIPE;
	uint64_t base = 0;
	if (whence == LX_SEEK_CUR)
		base = f->offset;
	else if (whence == LX_SEEK_END) {
		long rc = f->dir ? -LX_EINVAL : file_length(f, &base);
		if (rc)
			return rc;
	} else if (whence != LX_SEEK_SET)
		return -LX_EINVAL;
	int64_t to = (int64_t)base + off;
	if (to < 0 || (f->dir && to != 0))
		return -LX_EINVAL;
	if (f->dir) {
		/* Back to the start: 9P reads a directory again from 0. */
		f->member = f->dots = 0;
		f->dir_offset = f->cookie = 0;
		if (f->buf)
			dirbuf_put(f->buf);
		f->buf = 0;
	}
	f->offset = (uint64_t)to;
	return to;
}

/* ---- directories ---- */

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* Opens member i of a directory for reading, on first use. */
static long open_member(struct ofile *f, int i)
{
	struct loc *l = &f->loc[i];
	if (f->opened & (1u << i))
		return 0;
	long rc = p9c_open(loc_client(l), l->fid, P9_OREAD, 0);
	if (rc == 0)
		f->opened |= 1u << i;
	return rc;
}

/* Fills f's buffer with more raw entries: 0, or 1 at the end of all. */
static long refill(struct ofile *f)
{
	struct dirbuf *b = f->buf;
	while (f->member < f->nloc) {
		struct loc *l = &f->loc[f->member];
		long rc = open_member(f, f->member);
		if (rc)
			return rc;
		long r = p9c_read(loc_client(l), l->fid, f->dir_offset, b->data,
				  sizeof(b->data));
		if (r < 0)
			return r;
		if (r > 0) {
			f->dir_offset += (uint64_t)r;
			b->len = (uint32_t)r;
			b->pos = 0;
			return 0;
		}
		f->member++;
		f->dir_offset = 0;
		b->len = b->pos = 0;
	}
	return 1;
}

/* Puts one entry in the user's buffer: its size, or 0 when it is full. */
static uint64_t put_dirent(uint8_t *out, uint64_t room, uint64_t ino,
			   uint64_t cookie, uint8_t type, const char *name,
			   size_t len)
{
	uint64_t reclen = (19 + len + 1 + 7) & ~7ull;
	if (reclen > room)
		return 0;
	struct lx_dirent64 *d = (struct lx_dirent64 *)out;
	d->d_ino = ino;
	d->d_off = (int64_t)cookie;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, len);
	memset(d->d_name + len, 0, reclen - 19 - len);
	return reclen;
}

static long do_getdents64(int fd, uint64_t ubuf, uint64_t count)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	if (!f->dir)
		return -LX_ENOTDIR;
	long rc = user_writable(ubuf, count);
	if (rc)
		return rc;
	if (!f->buf && !(f->buf = dirbuf_get()))
		return -LX_ENOMEM;
	uint8_t *out = (uint8_t *)ubuf;
	uint64_t used = 0;
	static const char *const dots[] = { ".", ".." };
	while (f->dots < 2) {
		uint64_t k = put_dirent(
		    out + used, count - used, f->loc[0].qid.path, f->cookie + 1,
		    LX_DT_DIR, dots[f->dots], strlen(dots[f->dots]));
		if (!k)
			return used ? (long)used : -LX_EINVAL;
		used += k, f->cookie++, f->dots++;
	}
	struct dirbuf *b = f->buf;
	for (;;) {
		if (b->pos >= b->len) {
			rc = refill(f);
			if (rc < 0)
				return used ? (long)used : rc;
			if (rc == 1)
				break;
		}
		struct p9_stat st;
		long n = p9_stat_decode(b->data + b->pos, b->len - b->pos, &st);
		if (n < 0)
			return used ? (long)used : -LX_EIO;
		uint64_t h = name_hash(st.name.s, st.name.len);
		int dup = 0;
		for (int i = 0; i < b->nseen; i++)
			dup |= b->seen[i] == h;
		if (!dup) {
			uint64_t k = put_dirent(out + used, count - used,
						st.qid.path, f->cookie + 1,
						st.mode & P9_DMDIR ? LX_DT_DIR
								   : LX_DT_REG,
						st.name.s, st.name.len);
			if (!k)
				return used ? (long)used : -LX_EINVAL;
			used += k, f->cookie++;
			if (f->nloc > 1 && b->nseen < 256)
				b->seen[b->nseen++] = h;
		}
		b->pos += (uint32_t)n;
	}
	return (long)used;
}

/* ---- changing the tree ---- */

static long do_mkdirat(int dirfd, uint64_t upath, int mode)
{
	char path[RT_PATH_MAX];
	long rc = user_path(dirfd, upath, path, 0);
	if (rc)
		return rc;
	struct loc l, dir;
	if (ns_walk(path, &l) == 0) {
		loc_clunk(&l);
		return -LX_EEXIST;
	}
	const char *name;
	if ((rc = ns_walk_parent(path, &dir, &name)))
		return rc;
	rc = p9c_create(loc_client(&dir), dir.fid, name,
			P9_DMDIR | ((uint32_t)mode & 0777 & ~rt_umask),
			P9_OREAD, 0);
	loc_clunk(&dir);
	return rc;
}

/* unlink (dir 0), rmdir (dir 1). */
static long do_remove(int dirfd, uint64_t upath, int dir)
{
	char path[RT_PATH_MAX];
	long rc = user_path(dirfd, upath, path, 0);
	if (rc)
		return rc;
	struct loc l;
	if (dir && last_dots)
		return last_dots == 1 ? -LX_EINVAL : -LX_ENOTEMPTY;
	if ((rc = walk_user(path, &l)))
		return rc;
	int is_dir = l.qid.type & P9_QTDIR;
	if (is_dir != (dir ? P9_QTDIR : 0)) {
		loc_clunk(&l);
		return dir ? -LX_ENOTDIR : -LX_EISDIR;
	}
	if (!strcmp(path, "/")) {
		loc_clunk(&l);
		return -LX_EBUSY;
	}
	return p9c_remove(loc_client(&l), l.fid); /* clunks it either way */
}

static long wstat_loc(struct loc *l, const struct p9_stat *st)
{
	return p9c_wstat(loc_client(l), l->fid, st);
}

static long do_renameat(int olddirfd, uint64_t uold, int newdirfd,
			uint64_t unew, uint64_t flags)
{
	char from[RT_PATH_MAX], to[RT_PATH_MAX];
	long rc;
	if (flags)
		return -LX_EINVAL;
	if ((rc = user_path(olddirfd, uold, from, 0)) ||
	    (rc = user_path(newdirfd, unew, to, 0)))
		return rc;
	struct loc l, old, dir;
	const char *name;
	if ((rc = walk_user(from, &l)))
		return rc;
	if ((rc = ns_walk_parent(to, &dir, &name))) {
		loc_clunk(&l);
		return rc;
	}
	loc_clunk(&dir);
	size_t k = strlen(from);
	if (!strncmp(from, to, k) && to[k] == '/') {
		loc_clunk(&l);
		return -LX_EINVAL; /* a directory into itself */
	}
	const char *a = last_name(from), *b = last_name(to);
	/* 9P renames within a directory only: elsewhere is another device
	 * as far as a program can tell (mv copies then). */
	if (a - from != b - to || strncmp(from, to, (size_t)(a - from))) {
		loc_clunk(&l);
		return -LX_EXDEV;
	}
	if (!strcmp(a, b)) {
		loc_clunk(&l);
		return 0;
	}
	if (ns_walk(to, &old) == 0) {
		/* POSIX: the new name is replaced, if it is the same kind. */
		int odir = old.qid.type & P9_QTDIR,
		    ndir = l.qid.type & P9_QTDIR;
		rc = odir && !ndir   ? -LX_EISDIR
		     : !odir && ndir ? -LX_ENOTDIR
				     : 0;
		if (rc == 0)
			rc = p9c_remove(loc_client(&old), old.fid);
		else
			loc_clunk(&old);
		if (rc) {
			loc_clunk(&l);
			return rc;
		}
	}
	struct p9_stat st;
	p9c_nochange(&st);
	st.name = p9_str(b);
	rc = wstat_loc(&l, &st);
	loc_clunk(&l);
	return rc;
}

static long truncate_loc(struct loc *l, int64_t len)
{
	struct p9_stat st;
	if (len < 0)
		return -LX_EINVAL;
	p9c_nochange(&st);
	st.length = (uint64_t)len;
	return wstat_loc(l, &st);
}

static long do_truncate(uint64_t upath, int64_t len)
{
	char path[RT_PATH_MAX];
	struct loc l;
	long rc = user_path(LX_AT_FDCWD, upath, path, 0);
	if (rc || (rc = walk_user(path, &l)))
		return rc;
	rc = l.qid.type & P9_QTDIR ? -LX_EISDIR : truncate_loc(&l, len);
	loc_clunk(&l);
	return rc;
}

static long do_ftruncate(int fd, int64_t len)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	if (f->dir || f->chan || (f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
		return -LX_EINVAL;
	return truncate_loc(&f->loc[0], len);
}

static long do_chmod_loc(struct loc *l, int mode)
{
	struct p9_stat st, now;
	int rc = p9c_stat(loc_client(l), l->fid, &now);
	if (rc)
		return rc;
	p9c_nochange(&st);
	st.mode = (now.mode & ~0777u) | ((uint32_t)mode & 0777);
	return wstat_loc(l, &st);
}

static long do_fchmodat(int dirfd, uint64_t upath, int mode)
{
	char path[RT_PATH_MAX];
	struct loc l;
	long rc = user_path(dirfd, upath, path, 0);
	if (rc || (rc = walk_user(path, &l)))
		return rc;
	rc = do_chmod_loc(&l, mode);
	loc_clunk(&l);
	return rc;
}

static long do_faccessat(int dirfd, uint64_t upath, int mode)
{
	char path[RT_PATH_MAX];
	struct loc l;
	if (mode & ~7)
		return -LX_EINVAL;
	long rc = user_path(dirfd, upath, path, 0);
	if (rc || (rc = walk_user(path, &l)))
		return rc;
	struct p9_stat st;
	rc = mode ? p9c_stat(loc_client(&l), l.fid, &st) : 0;
	if (rc == 0 && mode) {
		/* The bits that apply to us: the owner's, else others'. */
		uint32_t bits =
		    p9_str_eq(st.uid, UNAME) ? st.mode >> 6 : st.mode;
		if ((mode & LX_R_OK && !(bits & 4)) ||
		    (mode & LX_W_OK && !(bits & 2)) ||
		    (mode & LX_X_OK && !(bits & 1)))
			rc = -LX_EACCES;
	}
	loc_clunk(&l);
	return rc;
}

static long do_readlinkat(int dirfd, uint64_t upath, uint64_t ubuf, int64_t n)
{
	char path[RT_PATH_MAX];
	struct loc l;
	if (n <= 0)
		return -LX_EINVAL;
	long rc = user_path(dirfd, upath, path, 0);
	if (rc || (rc = walk_user(path, &l)))
		return rc;
	loc_clunk(&l);
	(void)ubuf;
	return -LX_EINVAL; /* there are no symbolic links */
}

static long do_chdir(const char *path)
{
	struct loc l;
	long rc = walk_user(path, &l);
	if (rc)
		return rc;
	int dir = l.qid.type & P9_QTDIR;
	loc_clunk(&l);
	if (!dir)
		return -LX_ENOTDIR;
	strcpy(rt_cwd, path);
	return 0;
}

static long do_getcwd(uint64_t ubuf, uint64_t size)
{
	uint64_t n = strlen(rt_cwd) + 1;
	if (size < n)
		return -LX_ERANGE;
	long rc = user_writable(ubuf, n);
	if (rc)
		return rc;
	memcpy((void *)ubuf, rt_cwd, n);
	return (long)n;
}

/* ---- the console's terminal calls ---- */

static long do_ioctl(int fd, uint64_t req, uint64_t arg)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	if (!f->tty)
		return -LX_ENOTTY;
	static struct lx_termios tio = {
		.c_iflag = 0x500,
		.c_oflag = 5,
		.c_cflag = 0xbf,
		.c_lflag = LX_ICANON | LX_ECHO | 0x8a00 | 1,
		.c_cc = { 3, 28, 127, 21, 4, 0, 1 },
	};
	long rc;
	switch (req) {
	case LX_TCGETS:
		if ((rc = user_writable(arg, sizeof(tio))))
			return rc;
		memcpy((void *)arg, &tio, sizeof(tio));
		return 0;
	case LX_TCSETS:
	case LX_TCSETSW:
	case LX_TCSETSF: {
		if ((rc = user_readable(arg, sizeof(tio))))
			return rc;
		memcpy(&tio, (const void *)arg, sizeof(tio));
		/* Non-canonical input is the console's raw mode. */
		uint64_t w[4] = { CONS_SET_RAW, !(tio.c_lflag & LX_ICANON) };
		metta_request(CAP_TTY, w, 0, 0, 0, 0, 0, 0, 0);
		return 0;
	}
	case LX_TIOCGWINSZ: {
		struct lx_winsize ws = { 25, 80, 0, 0 };
		if ((rc = user_writable(arg, sizeof(ws))))
			return rc;
		memcpy((void *)arg, &ws, sizeof(ws));
		return 0;
	}
	}
	return -LX_EINVAL;
}

static long do_fsync(int fd)
{
	struct ofile *f = fd_get(fd);
	if (!f)
		return -LX_EBADF;
	/* stat(5): a wstat changing nothing asks the server to commit. */
	struct p9_stat st;
	p9c_nochange(&st);
	long rc = f->dir || f->tty || f->chan ? 0 : wstat_loc(&f->loc[0], &st);
	return rc == -LX_ENOTSUP ? 0 : rc;
}

static long path_call(struct rt_call *c, int *handled)
{
	uint64_t *a = c->a;
	char path[RT_PATH_MAX];
	long rc;
	switch (c->nr) {
	case LX_open:
		return do_openat(LX_AT_FDCWD, a[0], (int)a[1], (int)a[2]);
	case LX_creat:
		return do_openat(LX_AT_FDCWD, a[0],
				 LX_O_CREAT | LX_O_WRONLY | LX_O_TRUNC,
				 (int)a[1]);
	case LX_openat:
		return do_openat((int)a[0], a[1], (int)a[2], (int)a[3]);
	case LX_stat:
	case LX_lstat:
		return do_fstatat(LX_AT_FDCWD, a[0], a[1], 0);
	case LX_newfstatat:
		return do_fstatat((int)a[0], a[1], a[2], (int)a[3]);
	case LX_statx:
		return do_statx((int)a[0], a[1], (int)a[2], (uint32_t)a[3],
				a[4]);
	case LX_mkdir:
		return do_mkdirat(LX_AT_FDCWD, a[0], (int)a[1]);
	case LX_mkdirat:
		return do_mkdirat((int)a[0], a[1], (int)a[2]);
	case LX_rmdir:
		return do_remove(LX_AT_FDCWD, a[0], 1);
	case LX_unlink:
		return do_remove(LX_AT_FDCWD, a[0], 0);
	case LX_unlinkat:
		if (a[2] & ~(uint64_t)LX_AT_REMOVEDIR)
			return -LX_EINVAL;
		return do_remove((int)a[0], a[1], !!(a[2] & LX_AT_REMOVEDIR));
	case LX_rename:
		return do_renameat(LX_AT_FDCWD, a[0], LX_AT_FDCWD, a[1], 0);
	case LX_renameat:
		return do_renameat((int)a[0], a[1], (int)a[2], a[3], 0);
	case LX_renameat2:
		return do_renameat((int)a[0], a[1], (int)a[2], a[3], a[4]);
	case LX_chdir:
		rc = user_path(LX_AT_FDCWD, a[0], path, 0);
		return rc ? rc : do_chdir(path);
	case LX_truncate:
		return do_truncate(a[0], (int64_t)a[1]);
	case LX_access:
		return do_faccessat(LX_AT_FDCWD, a[0], (int)a[1]);
	case LX_faccessat:
	case LX_faccessat2:
		return do_faccessat((int)a[0], a[1], (int)a[2]);
	case LX_readlink:
		return do_readlinkat(LX_AT_FDCWD, a[0], a[1], (int64_t)a[2]);
	case LX_readlinkat:
		return do_readlinkat((int)a[0], a[1], a[2], (int64_t)a[3]);
	case LX_chmod:
		return do_fchmodat(LX_AT_FDCWD, a[0], (int)a[1]);
	case LX_fchmodat:
		return do_fchmodat((int)a[0], a[1], (int)a[2]);
	}
	*handled = 0;
	return 0;
}

long file_call(struct rt_call *c, int *handled)
{
	uint64_t *a = c->a;
	struct ofile *f;
	*handled = 1;
	switch (c->nr) {
	case LX_read:
		return do_read((int)a[0], a[1], a[2], -1);
	case LX_write:
		return do_write((int)a[0], a[1], a[2], -1);
	case LX_pread64:
		return do_read((int)a[0], a[1], a[2],
			       (int64_t)a[3] < 0 ? -2 : (int64_t)a[3]);
	case LX_pwrite64:
		return do_write((int)a[0], a[1], a[2],
				(int64_t)a[3] < 0 ? -2 : (int64_t)a[3]);
	case LX_readv:
		return do_iov((int)a[0], a[1], (int64_t)a[2], 0);
	case LX_writev:
		return do_iov((int)a[0], a[1], (int64_t)a[2], 1);
	case LX_lseek:
		return do_lseek((int)a[0], (int64_t)a[1], (int)a[2]);
	case LX_fstat:
		return do_fstat((int)a[0], a[1]);
	case LX_getdents64:
		return do_getdents64((int)a[0], a[1], a[2]);
	case LX_ftruncate:
		return do_ftruncate((int)a[0], (int64_t)a[1]);
	case LX_fchmod:
		f = fd_get((int)a[0]);
		if (!f)
			return -LX_EBADF;
		return f->chan ? -LX_EINVAL
			       : do_chmod_loc(&f->loc[0], (int)a[1]);
	case LX_fchdir:
		f = fd_get((int)a[0]);
		if (!f)
			return -LX_EBADF;
		if (!f->dir)
			return -LX_ENOTDIR;
		strcpy(rt_cwd, f->path);
		return 0;
	case LX_getcwd:
		return do_getcwd(a[0], a[1]);
	case LX_ioctl:
		return do_ioctl((int)a[0], a[1], a[2]);
	case LX_fsync:
	case LX_fdatasync:
		return do_fsync((int)a[0]);
	}
	return path_call(c, handled);
}

/* Standard input, output and error: the console, as the namespace has it. */
void fd_init(void)
{
	static const char cons[] = "/dev/cons";
	struct ofile *f = ofile_new();
	int n = f ? ns_walk_union(cons, f->loc, 1) : -LX_ENFILE;
	if (n > 0) {
		f->nloc = 1;
		strcpy(f->path, cons);
		f->flags = LX_O_RDWR;
		f->tty = 1;
		if (p9c_open(loc_client(&f->loc[0]), f->loc[0].fid, P9_ORDWR,
			     0) == 0) {
			fd_install(f, 0, 0);
			for (int fd = 1; fd <= 2; fd++)
				if (fd_install(f, fd, 0) == fd)
					f->refs++;
			return;
		}
	}
	rt_log("no %s: standard input and output are closed", cons);
	if (f)
		ofile_put(f);
}
