/*
 * servers/ext2's 9P operations over lib/ext2 on an mke2fs image: walks,
 * stats (9P modes, owners, link counts in dev), create of files,
 * directories and symbolic links (create then write, as 9P clients do),
 * Tlink, Trenameat, wstat (chmod, truncate, times, a rename, the null
 * wstat that is fsync), remove of a file a fid still names, readdir
 * without "." and "..", statfs; then e2fsck -fn and debugfs.
 */
#include "check.h"
#include "p9ops.h"
#include "ext2img.h"
#include "../../servers/ext2/ops.h"

static void *root(void)
{
	void *r = 0;
	o->attach(&fs, p9_str("root"), p9_str(""), &r);
	return r;
}

static void *mk(void *dir, const char *name, uint32_t perm)
{
	void *n;
	return o->create(&fs, dir, p9_str(name), perm, P9_ORDWR, p9_str("root"),
			 &n)
		   ? 0
		   : n;
}

static void *look(void *dir, const char *name)
{
	void *n;
	return o->walk1(&fs, dir, p9_str(name), &n) ? 0 : n;
}

static int setup(void)
{
	if (reset_src())
		return 1;
	put_src("hello", "hi\n");
	return make_image(1024, 4096, "") || do_mount();
}

static int files_and_stats(void)
{
	CHECK(setup() == 0);
	void *r = root(), *h = look(r, "hello"), *d, *f;
	CHECK(r && h);
	struct p9_stat s = st(r);
	CHECK(s.qid.type == P9_QTDIR && (s.mode & P9_DMDIR) &&
	      p9_str_eq(s.uid, "root"));
	s = st(h);
	CHECK(s.length == 3 && s.dev == 1 && p9_str_eq(s.name, "hello"));
	char buf[16];
	CHECK(o->read(&fs, h, 0, buf, sizeof(buf)) == 3 &&
	      !memcmp(buf, "hi\n", 3));
	CHECK((d = mk(r, "d", P9_DMDIR | 0777)) != 0);
	CHECK(mk(r, "d", 0644) == 0);
	CHECK((f = mk(d, "f", 0666)) != 0);
	CHECK((st(f).mode & 0777) == 0644); /* masked: d is 0755 as / is */
	CHECK(put(f, 0, "data") == 4 && st(f).length == 4);
	CHECK(o->open(&fs, f, P9_OWRITE | P9_OTRUNC) == 0 && st(f).length == 0);
	CHECK(o->read(&fs, d, 0, buf, 1) == -P9_EISDIR);
	CHECK(look(d, "..") && look(d, "nope") == 0);
	void *x;
	CHECK(o->walk1(&fs, f, p9_str("x"), &x) == -P9_ENOTDIR);
	CHECK(o->create(&fs, r, p9_str("two"), P9_DMDIR | P9_DMSYMLINK, 0,
			p9_str("root"), &x) == -P9_EINVAL);
	/* readdir: no "." or "..", every name once */
	int seen = 0;
	for (uint32_t i = 0; o->readdir(&fs, r, i, &s) == 1; i++) {
		CHECK(!p9_str_eq(s.name, ".") && !p9_str_eq(s.name, ".."));
		seen++;
	}
	CHECK(seen == 3); /* lost+found, hello, d */
	CHECK(o->readdir(&fs, d, 0, &s) == 1 && p9_str_eq(s.name, "f"));
	struct p9_statfs sf;
	CHECK(o->statfs(&fs, r, &sf) == 0 && sf.type == 0xEF53 &&
	      sf.bsize == 1024);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

static int links_renames_wstat(void)
{
	CHECK(setup() == 0);
	void *r = root(), *d = mk(r, "d", P9_DMDIR | 0755),
	     *f = mk(d, "f", 0644);
	CHECK(d && f && put(f, 0, "file\n") == 5);
	/* a symbolic link: a create with DMSYMLINK, then its target */
	void *l = mk(r, "l", P9_DMSYMLINK | 0777);
	CHECK(l && put(l, 0, "d/f") == 3);
	CHECK(put(l, 0, "again") == -P9_EINVAL);
	CHECK(st(l).qid.type == P9_QTSYMLINK);
	char buf[16];
	CHECK(o->read(&fs, l, 1, buf, sizeof(buf)) == 2 &&
	      !memcmp(buf, "/f", 2));
	/* Tlink: the count in dev */
	CHECK(o->link(&fs, r, p9_str("hard"), f) == 0 && st(f).dev == 2);
	CHECK(o->link(&fs, r, p9_str("hard"), f) == -P9_EEXIST);
	/* Trenameat across directories, replacing */
	void *g = mk(r, "g", 0644);
	CHECK(g && o->rename(&fs, d, p9_str("f"), r, p9_str("g")) == 0);
	CHECK(o->rename(&fs, d, p9_str("f"), r, p9_str("x")) == -P9_ENOENT);
	CHECK(o->rename(&fs, r, p9_str("d"), d, p9_str("in")) == -P9_EINVAL);
	/* wstat: chmod, times, truncate, a rename, gid */
	struct p9_stat w = blank();
	w.mode = 0600;
	w.mtime = 1000;
	w.length = 2;
	CHECK(o->wstat(&fs, f, &w) == 0);
	struct p9_stat s = st(f);
	CHECK((s.mode & 0777) == 0600 && s.mtime == 1000 && s.length == 2);
	w = blank();
	w.name = p9_str("hello");
	void *g2 = look(r, "g");
	CHECK(o->wstat(&fs, g2, &w) == -P9_EEXIST);
	w.name = p9_str("renamed");
	CHECK(o->wstat(&fs, g2, &w) == 0 && p9_str_eq(st(g2).name, "renamed"));
	w = blank();
	w.gid = p9_str("70");
	CHECK(o->wstat(&fs, g2, &w) == 0 && p9_str_eq(st(g2).gid, "70"));
	w.gid = p9_str("staff");
	CHECK(o->wstat(&fs, g2, &w) == -P9_EINVAL);
	w = blank(); /* changes nothing: fsync */
	CHECK(o->wstat(&fs, g2, &w) == 0 && o->wstat(&fs, r, &w) == 0);
	CHECK(debugfs_is("/renamed", "fi", 2));
	/* remove: a fid's name gone by a rename is ENOENT */
	CHECK(o->remove(&fs, g) == -P9_ENOENT);
	CHECK(o->remove(&fs, r) == -P9_EBUSY);
	CHECK(o->remove(&fs, d) == 0);
	/* the fids go: the replaced g and the removed d with them */
	o->unref(&fs, g);
	o->unref(&fs, d);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	return debugfs_is("/hard", "fi", 2) ? 0 : 1;
}

/* A file removed while a fid names it stays until the fid goes. */
static int remove_while_named(void)
{
	CHECK(setup() == 0);
	struct ext2_statfs s0, s1;
	ext2_statfs(&fs, &s0);
	void *r = root(), *f = mk(r, "tmp", 0644);
	static char big[50000];
	memset(big, 'b', sizeof(big));
	CHECK(o->write(&fs, f, 0, big, sizeof(big)) == (long)sizeof(big));
	void *f2 = look(r, "tmp");
	CHECK(o->remove(&fs, f2) == 0);
	o->unref(&fs, f2); /* the library's, after a remove */
	CHECK(look(r, "tmp") == 0);
	char buf[4];
	CHECK(o->read(&fs, f, 49990, buf, 4) == 4 && buf[3] == 'b');
	o->unref(&fs, f);
	ext2_statfs(&fs, &s1);
	CHECK(s1.bfree == s0.bfree && s1.ffree == s0.ffree);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* A server with nothing mounted refuses every attach, and lives. */
static int refused_attach(void)
{
	void *r = 0;
	ext2srv_refuse(-P9_EIO);
	CHECK(o->attach(&fs, p9_str("root"), p9_str(""), &r) == -P9_EIO);
	ext2srv_refuse(0);
	CHECK(setup() == 0 && (r = root()) != 0);
	o->unref(&fs, r);
	return 0;
}

int main(void)
{
	o = &ext2srv_ops;
	octx = &fs;
	if (ext2img_init())
		return 1;
	RUN(files_and_stats);
	RUN(links_renames_wstat);
	RUN(remove_while_named);
	RUN(refused_attach);
	sh("rm -rf %s", tmp);
	return check_done();
}
