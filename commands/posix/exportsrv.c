/* One exported 9P2000 connection: see exportsrv.h. */
#define _GNU_SOURCE
#include "exportsrv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "9p/9p.h"
#include "9p/errstr.h"
#include "netio.h"

/* A fid: a path below the root ("" is the root), and once opened a file
 * descriptor (files) or a directory stream. */
struct xfid {
	uint32_t fid;
	char *path;
	int fd;	   /* -1: not open */
	DIR *dir;  /* an open directory */
	int rclose; /* ORCLOSE */
	uint64_t diroff; /* the offset the next directory read must give */
	uint8_t *held;	 /* an entry that did not fit the last read */
	long heldlen;
};

struct xconn {
	int fd;
	const struct export_opts *o;
	uint32_t msize;
	struct xfid *fids;
	int nfids, cap;
	int relay; /* a /srv channel this connection forwards to, or -1 */
	uint8_t *t, *r;
	char full[PATH_MAX], full2[PATH_MAX];
};

static const char *err_string(int e)
{
	return p9_errstr(e > 0 ? e : P9_EIO);
}

/* ---- fids ---- */

static struct xfid *fid_find(struct xconn *c, uint32_t fid)
{
	for (int i = 0; i < c->nfids; i++)
		if (c->fids[i].fid == fid)
			return &c->fids[i];
	return 0;
}

static struct xfid *fid_new(struct xconn *c, uint32_t fid, const char *path)
{
	if (fid == P9_NOFID || fid_find(c, fid) || c->nfids == EXPORT_MAXFIDS)
		return 0;
	if (c->nfids == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		struct xfid *f = realloc(c->fids, (size_t)cap * sizeof(*f));
		if (!f)
			return 0;
		c->fids = f, c->cap = cap;
	}
	char *p = strdup(path);
	if (!p)
		return 0;
	struct xfid *f = &c->fids[c->nfids++];
	*f = (struct xfid){ .fid = fid, .path = p, .fd = -1 };
	return f;
}

static void fid_close(struct xfid *f)
{
	if (f->dir)
		closedir(f->dir);
	else if (f->fd >= 0)
		close(f->fd);
	f->dir = 0, f->fd = -1;
	free(f->held);
	f->held = 0;
}

static void fid_free(struct xconn *c, struct xfid *f)
{
	fid_close(f);
	free(f->path);
	*f = c->fids[--c->nfids];
}

static void fids_free_all(struct xconn *c)
{
	while (c->nfids)
		fid_free(c, &c->fids[c->nfids - 1]);
}

/* The host path of a fid's path (and, when name is given, of a name in
 * it) in buf: the export's root joined with it. -1 when too long. */
static int full_path(struct xconn *c, char *buf, const char *path,
		     const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s%s%s%s%s", c->o->root,
			 *path ? "/" : "", path, name ? "/" : "",
			 name ? name : "");
	return n > 0 && n < PATH_MAX ? 0 : -1;
}

/* ---- stat ---- */

static struct p9_qid qid_of(const struct stat *st)
{
	struct p9_qid q = { S_ISDIR(st->st_mode) ? P9_QTDIR : P9_QTFILE,
			    (uint32_t)st->st_mtime,
			    (uint64_t)st->st_ino ^ ((uint64_t)st->st_dev << 48) };
	return q;
}

/* The 9P stat entry of a file named name, encoded into buf. */
static long stat_entry(const struct stat *st, const char *name, uint8_t *buf,
		       size_t cap)
{
	char uid[16], gid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)st->st_uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)st->st_gid);
	struct p9_stat s = {
		.qid = qid_of(st),
		.mode = (uint32_t)(st->st_mode & 0777) |
			(S_ISDIR(st->st_mode) ? P9_DMDIR : 0),
		.atime = (uint32_t)st->st_atime,
		.mtime = (uint32_t)st->st_mtime,
		.length = S_ISDIR(st->st_mode) ? 0 : (uint64_t)st->st_size,
		.name = p9_str(name),
		.uid = p9_str(uid),
		.gid = p9_str(gid),
		.muid = p9_str(""),
	};
	return p9_stat_encode(buf, cap, &s);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return *path ? (s ? s + 1 : path) : "/";
}

/* A name one walk or create may take: not empty, no '/', not "." (".."
 * is a walk's own step). */
static int name_ok(struct p9_str s)
{
	if (s.len == 0 || s.len >= NAME_MAX || memchr(s.s, '/', s.len))
		return 0;
	return !(s.len == 1 && s.s[0] == '.');
}

/* ---- replies ---- */

static int reply(struct xconn *c, struct p9_msg *r)
{
	long n = p9_encode(c->r, c->msize, r);
	if (n < 0) {
		struct p9_msg e = { .type = P9_RERROR, .tag = r->tag,
				    .ename = p9_str(err_string(P9_EIO)) };
		n = p9_encode(c->r, c->msize, &e);
	}
	return net_write_full(c->fd, c->r, (size_t)n);
}

static int rerror(struct xconn *c, uint16_t tag, int e)
{
	struct p9_msg r = { .type = P9_RERROR, .tag = tag,
			    .ename = p9_str(err_string(e)) };
	return reply(c, &r);
}

/* ---- the operations: each returns 0 (replied) or a positive errno ---- */

static int op_version(struct xconn *c, struct p9_msg *t)
{
	struct p9_msg r = { .type = P9_RVERSION, .tag = t->tag };
	uint32_t m = p9_negotiate(EXPORT_MSIZE, t, &r.version);
	if (!m)
		r.version = p9_str("unknown"), m = EXPORT_MSIZE;
	/* version(5): a Tversion ends every fid of the connection. */
	fids_free_all(c);
	r.msize = c->msize = m;
	return reply(c, &r) ? -1 : 0;
}

static int attach_relay(struct xconn *c, struct p9_msg *t);

static int op_attach(struct xconn *c, struct p9_msg *t)
{
	char aname[PATH_MAX], *p = aname;
	if (t->afid != P9_NOFID)
		return P9_ENOTSUP; /* the transport authenticated us */
	if (t->aname.len >= sizeof(aname) || fid_find(c, t->fid))
		return P9_EINVAL;
	memcpy(aname, t->aname.s, t->aname.len);
	aname[t->aname.len] = 0;
	if (!strncmp(aname, "/srv/", 5))
		return attach_relay(c, t);
	/* Another directory below the root: its path, without "." or ".."
	 * (an attach never climbs above the root). */
	while (*p == '/')
		p++;
	size_t n = strlen(p);
	while (n && p[n - 1] == '/')
		p[--n] = 0;
	if (strstr(p, "..") || strstr(p, "//") || strstr(p, "/./") ||
	    !strcmp(p, "."))
		return P9_EINVAL;
	struct stat st;
	if (full_path(c, c->full, p, 0))
		return P9_ENAMETOOLONG;
	if (stat(c->full, &st))
		return errno;
	if (!S_ISDIR(st.st_mode))
		return P9_ENOTDIR;
	if (!fid_new(c, t->fid, p))
		return P9_ENOMEM;
	struct p9_msg r = { .type = P9_RATTACH, .tag = t->tag, .qid = qid_of(&st) };
	return reply(c, &r) ? -1 : 0;
}

/* The path one step from path (a walk of name) into out. */
static int step(const char *path, struct p9_str name, char *out)
{
	if (name.len == 2 && name.s[0] == '.' && name.s[1] == '.') {
		const char *s = strrchr(path, '/');
		size_t n = s ? (size_t)(s - path) : 0; /* the root stays */
		memmove(out, path, n);
		out[n] = 0;
		return 0;
	}
	if (!name_ok(name))
		return P9_ENOENT;
	size_t pl = strlen(path);
	if (pl + 1 + name.len >= PATH_MAX)
		return P9_ENAMETOOLONG;
	memmove(out, path, pl);
	if (pl)
		out[pl++] = '/';
	memcpy(out + pl, name.s, name.len);
	out[pl + name.len] = 0;
	return 0;
}

static int op_walk(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f)
		return P9_EBADF;
	if (f->fd >= 0 || f->dir)
		return P9_EBADF; /* walk(5): the fid must not be open */
	if (t->newfid != t->fid && fid_find(c, t->newfid))
		return P9_EBADF;
	char path[PATH_MAX];
	strcpy(path, f->path);
	struct p9_msg r = { .type = P9_RWALK, .tag = t->tag };
	for (int i = 0; i < t->nwname; i++) {
		struct stat st;
		int e = step(path, t->wname[i], path);
		if (!e && full_path(c, c->full, path, 0))
			e = P9_ENAMETOOLONG;
		if (!e && stat(c->full, &st))
			e = errno;
		if (e) {
			if (i == 0)
				return e;
			return reply(c, &r) ? -1 : 0;
		}
		r.wqid[r.nwqid++] = qid_of(&st);
	}
	if (t->newfid == t->fid) {
		char *p = strdup(path);
		if (!p)
			return P9_ENOMEM;
		free(f->path);
		f->path = p;
	} else if (!fid_new(c, t->newfid, path)) {
		return P9_ENOMEM;
	}
	return reply(c, &r) ? -1 : 0;
}

/* open(2)'s flags for a 9P mode, or -1 when a read-only export must
 * refuse it. */
static int open_flags(struct xconn *c, uint8_t mode)
{
	static const int acc[4] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY };
	int fl = acc[mode & 3] | (mode & P9_OTRUNC ? O_TRUNC : 0);
	int writes = (mode & 3) == P9_OWRITE || (mode & 3) == P9_ORDWR ||
		     (mode & (P9_OTRUNC | P9_ORCLOSE));
	return writes && c->o->readonly ? -1 : fl;
}

static int open_fid(struct xconn *c, struct xfid *f, uint8_t mode,
		    struct stat *st)
{
	int fl = open_flags(c, mode);
	if (fl < 0)
		return P9_EROFS;
	if (full_path(c, c->full, f->path, 0))
		return P9_ENAMETOOLONG;
	if (stat(c->full, st))
		return errno;
	if (S_ISDIR(st->st_mode)) {
		if ((mode & 3) != P9_OREAD && (mode & 3) != P9_OEXEC)
			return P9_EISDIR;
		f->dir = opendir(c->full);
		if (!f->dir)
			return errno;
		f->fd = dirfd(f->dir);
	} else {
		f->fd = open(c->full, fl);
		if (f->fd < 0)
			return errno;
	}
	f->rclose = !!(mode & P9_ORCLOSE);
	f->diroff = 0;
	return 0;
}

static int op_open(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f || f->fd >= 0)
		return P9_EBADF;
	struct stat st;
	int e = open_fid(c, f, t->mode, &st);
	if (e)
		return e;
	struct p9_msg r = { .type = P9_ROPEN, .tag = t->tag, .qid = qid_of(&st) };
	return reply(c, &r) ? -1 : 0;
}

static int op_create(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f || f->fd >= 0)
		return P9_EBADF;
	if (c->o->readonly)
		return P9_EROFS;
	char path[PATH_MAX];
	if (!name_ok(t->name) || (t->name.len == 2 && !memcmp(t->name.s, "..", 2)))
		return P9_EINVAL;
	int e = step(f->path, t->name, path);
	if (e || full_path(c, c->full, path, 0))
		return e ? e : P9_ENAMETOOLONG;
	mode_t perm = t->perm & 0777;
	if (t->perm & P9_DMDIR) {
		if (mkdir(c->full, perm))
			return errno;
	} else {
		int fl = open_flags(c, t->mode);
		int fd = open(c->full, fl | O_CREAT | O_EXCL, perm);
		if (fd < 0)
			return errno;
		close(fd);
	}
	char *p = strdup(path);
	if (!p)
		return P9_ENOMEM;
	free(f->path);
	f->path = p;
	/* Opened as asked, without OTRUNC: the file is new. */
	struct stat st;
	e = open_fid(c, f, (uint8_t)(t->mode & ~P9_OTRUNC), &st);
	if (e)
		return e;
	struct p9_msg r = { .type = P9_RCREATE, .tag = t->tag, .qid = qid_of(&st) };
	return reply(c, &r) ? -1 : 0;
}

/*
 * A directory read: whole stat entries from the stream, as many as fit
 * in count; one that does not fit waits for the next read. read(5): the
 * offset is 0 (from the start again) or where the last read ended.
 */
static long read_dir(struct xconn *c, struct xfid *f, uint64_t off,
		     uint8_t *out, uint32_t count)
{
	if (off == 0) {
		rewinddir(f->dir);
		free(f->held);
		f->held = 0;
		f->diroff = 0;
	} else if (off != f->diroff) {
		return -P9_EINVAL;
	}
	uint32_t n = 0;
	for (;;) {
		if (!f->held) {
			struct dirent *d = readdir(f->dir);
			if (!d)
				break;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			struct stat st;
			if (full_path(c, c->full2, f->path, d->d_name) ||
			    lstat(c->full2, &st))
				continue; /* gone since: not listed */
			if (S_ISLNK(st.st_mode))
				stat(c->full2, &st);
			uint8_t entry[512];
			long k = stat_entry(&st, d->d_name, entry, sizeof(entry));
			if (k < 0 || !(f->held = malloc((size_t)k)))
				return -P9_ENOMEM;
			memcpy(f->held, entry, (size_t)k);
			f->heldlen = k;
		}
		if (n + f->heldlen > count)
			break;
		memcpy(out + n, f->held, (size_t)f->heldlen);
		n += (uint32_t)f->heldlen;
		free(f->held);
		f->held = 0;
	}
	if (n == 0 && f->held)
		return -P9_EINVAL; /* count too small for one entry */
	f->diroff += n;
	return n;
}

static int op_read(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f || f->fd < 0)
		return P9_EBADF;
	uint32_t count = t->count;
	if (count > c->msize - P9_IOHDR)
		count = c->msize - P9_IOHDR;
	static uint8_t data[EXPORT_MSIZE];
	long n;
	if (f->dir) {
		n = read_dir(c, f, t->offset, data, count);
	} else {
		n = pread(f->fd, data, count, (off_t)t->offset);
		if (n < 0 && errno == ESPIPE) /* a stream: /dev, pipes */
			n = read(f->fd, data, count);
		if (n < 0)
			n = -errno;
	}
	if (n < 0)
		return (int)-n;
	struct p9_msg r = { .type = P9_RREAD, .tag = t->tag,
			    .count = (uint32_t)n, .data = data };
	return reply(c, &r) ? -1 : 0;
}

static int op_write(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f || f->fd < 0)
		return P9_EBADF;
	if (f->dir)
		return P9_EISDIR;
	ssize_t n = pwrite(f->fd, t->data, t->count, (off_t)t->offset);
	if (n < 0 && errno == ESPIPE)
		n = write(f->fd, t->data, t->count);
	if (n < 0)
		return errno;
	struct p9_msg r = { .type = P9_RWRITE, .tag = t->tag, .count = (uint32_t)n };
	return reply(c, &r) ? -1 : 0;
}

/* Removes the file a path names (a file or an empty directory). */
static int remove_path(struct xconn *c, const char *path)
{
	if (!*path)
		return P9_EBUSY; /* not the root */
	if (full_path(c, c->full, path, 0))
		return P9_ENAMETOOLONG;
	struct stat st;
	if (lstat(c->full, &st))
		return errno;
	if (S_ISDIR(st.st_mode) ? rmdir(c->full) : unlink(c->full))
		return errno;
	return 0;
}

static int op_clunk(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f)
		return P9_EBADF;
	if (f->rclose) {
		fid_close(f);
		remove_path(c, f->path);
	}
	fid_free(c, f);
	struct p9_msg r = { .type = P9_RCLUNK, .tag = t->tag };
	return reply(c, &r) ? -1 : 0;
}

/* remove(5): the fid is clunked whether or not the remove worked. */
static int op_remove(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f)
		return P9_EBADF;
	fid_close(f);
	int e = c->o->readonly ? P9_EROFS : remove_path(c, f->path);
	fid_free(c, f);
	if (e)
		return e;
	struct p9_msg r = { .type = P9_RREMOVE, .tag = t->tag };
	return reply(c, &r) ? -1 : 0;
}

static int op_stat(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	if (!f)
		return P9_EBADF;
	struct stat st;
	if (f->fd >= 0 ? fstat(f->fd, &st)
		       : (full_path(c, c->full, f->path, 0) || stat(c->full, &st)))
		return errno ? errno : P9_ENAMETOOLONG;
	uint8_t entry[512];
	long n = stat_entry(&st, base_name(f->path), entry, sizeof(entry));
	if (n < 0)
		return P9_EIO;
	struct p9_msg r = { .type = P9_RSTAT, .tag = t->tag,
			    .nstat = (uint16_t)n, .stat = entry };
	return reply(c, &r) ? -1 : 0;
}

/*
 * wstat(5): the fields that are not "don't touch" change, all checked
 * first: the mode's permission bits (a file cannot become a directory),
 * the length, the modification time, the name (in the same directory).
 * Owners cannot change. All don't-touch: a sync.
 */
static int wstat_check(struct xconn *c, struct xfid *f, const struct p9_stat *s,
		       const struct stat *st)
{
	if (c->o->readonly)
		return P9_EROFS;
	if (s->uid.len || s->gid.len || s->muid.len)
		return P9_EPERM;
	if (s->mode != ~0u && !!(s->mode & P9_DMDIR) != !!S_ISDIR(st->st_mode))
		return P9_EINVAL;
	if (s->length != ~0ull && S_ISDIR(st->st_mode))
		return P9_EISDIR;
	if (s->name.len && (!name_ok(s->name) || !*f->path))
		return P9_EINVAL;
	return 0;
}

static int wstat_apply(struct xconn *c, struct xfid *f, const struct p9_stat *s)
{
	if (s->mode != ~0u && chmod(c->full, s->mode & 07777 & ~P9_DMDIR & 0777))
		return errno;
	if (s->length != ~0ull && truncate(c->full, (off_t)s->length))
		return errno;
	if (s->mtime != ~0u) {
		struct timeval tv[2] = { { s->mtime, 0 }, { s->mtime, 0 } };
		if (s->atime != ~0u)
			tv[0].tv_sec = s->atime;
		if (utimes(c->full, tv))
			return errno;
	}
	if (s->name.len) {
		char dir[PATH_MAX], path[PATH_MAX];
		const struct p9_str up = { 2, ".." };
		step(f->path, up, dir);
		if (step(dir, s->name, path) || full_path(c, c->full2, path, 0))
			return P9_ENAMETOOLONG;
		if (rename(c->full, c->full2))
			return errno;
		char *p = strdup(path);
		if (!p)
			return P9_ENOMEM;
		free(f->path);
		f->path = p;
	}
	return 0;
}

static int op_wstat(struct xconn *c, struct p9_msg *t)
{
	struct xfid *f = fid_find(c, t->fid);
	struct p9_stat s;
	struct stat st;
	if (!f)
		return P9_EBADF;
	if (p9_stat_decode(t->stat, t->nstat, &s) < 0)
		return P9_EINVAL;
	if (full_path(c, c->full, f->path, 0))
		return P9_ENAMETOOLONG;
	if (stat(c->full, &st))
		return errno;
	int sync = s.mode == ~0u && s.length == ~0ull && s.mtime == ~0u &&
		   !s.name.len && !s.uid.len && !s.gid.len;
	int e = sync ? 0 : wstat_check(c, f, &s, &st);
	/* A sync of what cannot be synced (a device, a pipe) is no error. */
	if (sync && f->fd >= 0 && !f->dir && fsync(f->fd) && errno != EINVAL)
		e = errno;
	if (!e && !sync)
		e = wstat_apply(c, f, &s);
	if (e)
		return e;
	struct p9_msg r = { .type = P9_RWSTAT, .tag = t->tag };
	return reply(c, &r) ? -1 : 0;
}

/* Requests are served one at a time: the one a Tflush names has been
 * answered already. */
static int op_flush(struct xconn *c, struct p9_msg *t)
{
	struct p9_msg r = { .type = P9_RFLUSH, .tag = t->tag };
	return reply(c, &r) ? -1 : 0;
}

static int op_auth(struct xconn *c, struct p9_msg *t)
{
	(void)c, (void)t;
	return P9_ENOTSUP; /* "authentication not required" */
}

typedef int (*xop)(struct xconn *, struct p9_msg *);
static const xop ops[] = {
	[P9_TVERSION] = op_version, [P9_TAUTH] = op_auth,
	[P9_TATTACH] = op_attach,   [P9_TFLUSH] = op_flush,
	[P9_TWALK] = op_walk,	    [P9_TOPEN] = op_open,
	[P9_TCREATE] = op_create,   [P9_TREAD] = op_read,
	[P9_TWRITE] = op_write,	    [P9_TCLUNK] = op_clunk,
	[P9_TREMOVE] = op_remove,   [P9_TSTAT] = op_stat,
	[P9_TWSTAT] = op_wstat,
};

/* ---- /srv relays ---- */

/* One T-message to the channel, its R-message back into c->r. */
static long relay_rpc(struct xconn *c, const uint8_t *t, size_t n)
{
	if (net_write_full(c->relay, t, n))
		return -1;
	ssize_t k = read(c->relay, c->r, c->msize);
	return k >= P9_HEADER && p9_peek_size(c->r, (size_t)k) == (uint32_t)k ? k : -1;
}

/*
 * An attach of "/srv/NAME": the service's raw channel (docs/design.md
 * section 4: /srv/NAME opened for reading and writing is a new 9P
 * connection) is this connection's from now on; every later message is
 * forwarded as it is. Only on a connection holding no fid, so that fids
 * of both kinds never mix.
 */
static int attach_relay(struct xconn *c, struct p9_msg *t)
{
	if (c->nfids)
		return P9_EBUSY;
	char name[PATH_MAX];
	if (full_path(c, name, "", 0) ||
	    snprintf(c->full, PATH_MAX, "%s%.*s", strcmp(name, "/") ? name : "",
		     t->aname.len, t->aname.s) >= PATH_MAX)
		return P9_ENAMETOOLONG;
	c->relay = open(c->full, O_RDWR);
	if (c->relay < 0)
		return errno;
	struct p9_msg v = { .type = P9_TVERSION, .tag = P9_NOTAG,
			    .msize = c->msize, .version = p9_str(P9_VERSION) };
	struct p9_msg a = *t, rv;
	a.aname = p9_str("");
	long n = p9_encode(c->t, c->msize, &v);
	long k = n > 0 ? relay_rpc(c, c->t, (size_t)n) : -1;
	if (k < 0 || p9_decode(c->r, (size_t)k, &rv) || rv.type != P9_RVERSION ||
	    rv.msize != c->msize) {
		close(c->relay);
		c->relay = -1;
		return P9_EIO;
	}
	n = p9_encode(c->t, c->msize, &a);
	k = n > 0 ? relay_rpc(c, c->t, (size_t)n) : -1;
	if (k < 0 || net_write_full(c->fd, c->r, (size_t)k))
		return -1;
	return 0;
}

/* ---- the loop ---- */

static int serve_one(struct xconn *c, long n)
{
	if (c->relay >= 0) {
		long k = relay_rpc(c, c->t, (size_t)n);
		return k < 0 || net_write_full(c->fd, c->r, (size_t)k) ? -1 : 0;
	}
	struct p9_msg t;
	if (p9_decode(c->t, (size_t)n, &t)) {
		/* Its tag, if it has one, for an Rerror: the stream goes on. */
		uint16_t tag = n >= P9_HEADER ? (uint16_t)(c->t[5] | c->t[6] << 8) : P9_NOTAG;
		return rerror(c, tag, P9_EIO);
	}
	if (t.type >= sizeof(ops) / sizeof(ops[0]) || !ops[t.type])
		return rerror(c, t.tag, P9_ENOTSUP);
	if (!c->msize && t.type != P9_TVERSION)
		return rerror(c, t.tag, P9_EIO); /* version(5): first */
	int e = ops[t.type](c, &t);
	return e > 0 ? rerror(c, t.tag, e) : e;
}

int export_serve(int fd, const struct export_opts *o, const uint8_t *first,
		 size_t have)
{
	struct xconn c = { .fd = fd, .o = o, .relay = -1 };
	c.t = malloc(EXPORT_MSIZE);
	c.r = malloc(EXPORT_MSIZE);
	int rc = c.t && c.r ? 0 : -1;
	if (have > AUTH_MAGIC_LEN || (have && !first))
		rc = -1;
	if (have)
		memcpy(c.t, first, have);
	while (rc == 0) {
		long n = net_read_msg(fd, c.t, c.msize ? c.msize : EXPORT_MSIZE,
				      have);
		have = 0;
		if (n <= 0) {
			rc = n == 0 ? 0 : -1;
			break;
		}
		rc = serve_one(&c, n);
	}
	fids_free_all(&c);
	free(c.fids);
	if (c.relay >= 0)
		close(c.relay);
	free(c.t);
	free(c.r);
	return rc;
}
