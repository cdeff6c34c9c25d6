/*
 * ramfs's tree through its p9srv operations: files and directories,
 * rename, truncate, create(5) permission masking, timestamps and versions,
 * a full region (ENOSPC changes nothing; short writes), files removed while
 * open, large files read page by page, symbolic links, hard links, and
 * loading newc
 * archives (links too).
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "check.h"
#include "p9ops.h"
#include "newc.h"
#include "../../servers/ramfs/tree.h"
#include "cpio/cpio.h"
#include <metta/proto.h>
#include <metta/status.h>

static struct ramfs fs;
static uint32_t clock_now;

static uint32_t test_clock(void)
{
	return clock_now;
}

static void *region(size_t size)
{
	static void *mem;
	free(mem);
	mem = aligned_alloc(4096, size);
	return mem;
}

static void *root(void)
{
	void *r;
	o->attach(&fs, p9_str("metta"), p9_str(""), &r);
	return r;
}

static void *mk(void *dir, const char *name, uint32_t perm)
{
	void *n;
	int rc = o->create(&fs, dir, p9_str(name), perm, P9_ORDWR,
			   p9_str("metta"), &n);
	return rc ? 0 : n;
}

/* The answer of a create that is to fail. */
static int mk_rc(void *dir, const char *name, uint32_t perm)
{
	void *n;
	return o->create(&fs, dir, p9_str(name), perm, P9_OREAD,
			 p9_str("metta"), &n);
}

static void *look(void *dir, const char *name)
{
	void *n;
	return o->walk1(&fs, dir, p9_str(name), &n) ? 0 : n;
}


static int files_and_directories(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *d, *f;
	CHECK(st(r).qid.type == P9_QTDIR && p9_str_eq(st(r).name, "/"));
	CHECK((d = mk(r, "d", P9_DMDIR | 0777)) != 0);
	CHECK(mk(r, "d", 0644) == 0);
	void *x;
	CHECK(o->create(&fs, r, p9_str("d"), 0644, 0, p9_str("metta"), &x) ==
	      -P9_EEXIST);
	CHECK((f = mk(d, "f", 0644)) != 0);
	CHECK(put(f, 0, "hello") == 5 && st(f).length == 5);
	char buf[16];
	CHECK(o->read(&fs, f, 0, buf, sizeof(buf)) == 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK(o->read(&fs, f, 5, buf, sizeof(buf)) == 0);
	CHECK(o->read(&fs, d, 0, buf, 1) == -P9_EISDIR);
	CHECK(look(d, "f") == f && look(d, "..") == r && look(r, "..") == r);
	CHECK(look(d, "g") == 0);
	CHECK(o->walk1(&fs, f, p9_str("x"), &x) == -P9_ENOTDIR);
	/* Holes read as zeros. */
	CHECK(put(f, 10000, "z") == 1 && st(f).length == 10001);
	CHECK(o->read(&fs, f, 9990, buf, 16) == 11);
	CHECK(buf[0] == 0 && buf[9] == 0 && buf[10] == 'z');
	/* Directory entries in creation order. */
	struct p9_stat s;
	CHECK(o->readdir(&fs, r, 0, &s) == 1 && p9_str_eq(s.name, "d"));
	CHECK(o->readdir(&fs, r, 1, &s) == 0);
	CHECK(mk(d, "g", 0644) && mk(d, "h", 0644));
	CHECK(o->readdir(&fs, d, 2, &s) == 1 && p9_str_eq(s.name, "h"));
	CHECK(o->readdir(&fs, d, 0, &s) == 1 && p9_str_eq(s.name, "f"));
	CHECK(o->readdir(&fs, d, 1, &s) == 1 && p9_str_eq(s.name, "g"));
	/* Remove: only empty directories, never the root. */
	CHECK(o->remove(&fs, d) == -P9_ENOTEMPTY);
	CHECK(o->remove(&fs, r) == -P9_EBUSY);
	CHECK(o->remove(&fs, look(d, "g")) == 0 && look(d, "g") == 0);
	CHECK(o->readdir(&fs, d, 1, &s) == 1 && p9_str_eq(s.name, "h"));
	return 0;
}

static int rename_and_truncate(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *a = mk(r, "a", 0644), *b = mk(r, "b", 0644);
	struct p9_stat w = blank();
	w.name = p9_str("b");
	CHECK(o->wstat(&fs, a, &w) == -P9_EEXIST);
	CHECK(look(r, "a") == a && p9_str_eq(st(a).name, "a"));
	w.name = p9_str("c");
	w.mode = 0600;
	CHECK(o->wstat(&fs, a, &w) == 0);
	CHECK(look(r, "a") == 0 && look(r, "c") == a && look(r, "b") == b);
	CHECK(st(a).mode == 0600);
	w = blank();
	w.name = p9_str("x");
	CHECK(o->wstat(&fs, r, &w) == -P9_EPERM);
	/* Truncate frees pages and zeroes the tail. */
	static char big[3 * 4096];
	memset(big, 'q', sizeof(big));
	size_t free0 = ramfs_free_bytes(&fs);
	CHECK(o->write(&fs, a, 0, big, sizeof(big)) == (long)sizeof(big));
	CHECK(ramfs_free_bytes(&fs) == free0 - 3 * 4096);
	w = blank();
	w.length = 100;
	CHECK(o->wstat(&fs, a, &w) == 0 && st(a).length == 100);
	CHECK(ramfs_free_bytes(&fs) == free0 - 4096);
	w.length = 5000;
	CHECK(o->wstat(&fs, a, &w) == 0 && st(a).length == 5000);
	char buf[200];
	CHECK(o->read(&fs, a, 0, buf, 200) == 200);
	CHECK(buf[99] == 'q' && buf[100] == 0 && buf[199] == 0);
	CHECK(o->open(&fs, a, P9_OWRITE | P9_OTRUNC) == 0 && st(a).length == 0);
	CHECK(ramfs_free_bytes(&fs) == free0);
	w = blank();
	w.length = 1;
	CHECK(o->wstat(&fs, r, &w) == -P9_EISDIR);
	return 0;
}

static int permissions_masked(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *d = mk(r, "d", P9_DMDIR | 0750), *n;
	CHECK((st(d).mode & 0777) == 0750);
	CHECK((n = mk(d, "f", 0666)) && (st(n).mode & 0777) == 0640);
	CHECK((n = mk(d, "e", P9_DMDIR | 0777)) &&
	      st(n).mode == (P9_DMDIR | 0750));
	CHECK((n = mk(d, "x", 0755)) && (st(n).mode & 0777) == 0751);
	/* Owner is the creator, group the directory's. */
	CHECK(o->create(&fs, d, p9_str("g"), 0600, 0, p9_str("bob"), &n) == 0);
	CHECK(p9_str_eq(st(n).uid, "bob") && p9_str_eq(st(n).gid, "metta"));
	CHECK(p9_str_eq(st(n).muid, "bob"));
	return 0;
}

static int timestamps_and_versions(void)
{
	clock_now = 100;
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, test_clock, "m") == 0);
	void *r = root();
	uint32_t rv = st(r).qid.version;
	clock_now = 200;
	void *f = mk(r, "f", 0644);
	CHECK(st(f).mtime == 200 && st(f).atime == 200);
	CHECK(st(r).mtime == 200 && st(r).qid.version > rv);
	uint32_t v = st(f).qid.version;
	clock_now = 300;
	CHECK(put(f, 0, "x") == 1);
	CHECK(st(f).mtime == 300 && st(f).qid.version > v);
	v = st(f).qid.version;
	clock_now = 400;
	char c;
	CHECK(o->read(&fs, f, 0, &c, 1) == 1);
	CHECK(st(f).atime == 400 && st(f).mtime == 300);
	CHECK(st(f).qid.version == v);
	clock_now = 500;
	struct p9_stat w = blank();
	w.length = 0;
	CHECK(o->wstat(&fs, f, &w) == 0);
	CHECK(st(f).mtime == 500 && st(f).qid.version > v);
	v = st(f).qid.version;
	w = blank();
	w.mtime = 42;
	CHECK(o->wstat(&fs, f, &w) == 0);
	CHECK(st(f).mtime == 42 && st(f).qid.version > v);
	return 0;
}

static int full_region(void)
{
	/* 16 pages: one node page (root, f and a few more), 15 for data. */
	CHECK(ramfs_init(&fs, region(16 * 4096), 16 * 4096, 0, "metta") == 0);
	void *r = root(), *f = mk(r, "f", 0644);
	CHECK(f);
	static char big[64 * 4096];
	memset(big, 'b', sizeof(big));
	/* 8 direct data pages, an index page, 6 more data pages. */
	CHECK(4096 / sizeof(struct ramfs_node) >= 4);
	long n = o->write(&fs, f, 0, big, sizeof(big));
	CHECK(n == 14 * 4096 && st(f).length == 14 * 4096);
	CHECK(ramfs_free_bytes(&fs) == 0);
	uint32_t v = st(f).qid.version;
	CHECK(o->write(&fs, f, st(f).length, "x", 1) == -P9_ENOSPC);
	CHECK(st(f).length == 14 * 4096 && st(f).qid.version == v);
	/* Overwriting inside needs no memory. */
	CHECK(put(f, 10, "ok") == 2);
	/* Nodes run out: create fails and the directory is unchanged. */
	int made = 0;
	char name[16];
	for (;; made++) {
		snprintf(name, sizeof(name), "n%d", made);
		uint32_t dv = st(r).qid.version;
		void *x;
		int rc = o->create(&fs, r, p9_str(name), 0644, 0,
				   p9_str("metta"), &x);
		if (rc) {
			CHECK(rc == -P9_ENOSPC && look(r, name) == 0);
			CHECK(st(r).qid.version == dv);
			break;
		}
		o->unref(&fs, x);
	}
	CHECK(made == (int)(4096 / sizeof(struct ramfs_node)) - 2);
	/* Freeing data makes room again. */
	struct p9_stat w = blank();
	w.length = 0;
	CHECK(o->wstat(&fs, f, &w) == 0);
	CHECK(ramfs_free_bytes(&fs) == 15 * 4096);
	CHECK(mk(r, name, 0644) != 0);
	return 0;
}

static int removed_while_open(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root();
	size_t free0 = ramfs_free_bytes(&fs);
	void *f = mk(r, "f", 0644); /* our reference, like a fid's */
	CHECK(put(f, 0, "data") == 4);
	size_t used = free0 - ramfs_free_bytes(&fs);
	CHECK(o->remove(&fs, f) == 0 && look(r, "f") == 0);
	CHECK(o->remove(&fs, f) == -P9_ENOENT);
	CHECK(put(f, 4, "more") == 4);
	char buf[8];
	CHECK(o->read(&fs, f, 0, buf, 8) == 8 &&
	      memcmp(buf, "datamore", 8) == 0);
	/* A name may be reused meanwhile. */
	void *g = mk(r, "f", 0644);
	CHECK(g && g != f && look(r, "f") == g);
	o->unref(&fs, f);
	CHECK(free0 - ramfs_free_bytes(&fs) <= used);
	/* A removed directory has no entries. */
	void *d = mk(r, "d", P9_DMDIR | 0755), *x;
	CHECK(o->remove(&fs, d) == 0);
	CHECK(o->walk1(&fs, d, p9_str(".."), &x) == -P9_ENOENT);
	CHECK(o->create(&fs, d, p9_str("y"), 0644, 0, p9_str("m"), &x) ==
	      -P9_ENOENT);
	o->unref(&fs, d);
	return 0;
}

static int big_file_page_by_page(void)
{
	size_t size = 8 << 20;
	CHECK(ramfs_init(&fs, region(size), size, 0, "metta") == 0);
	void *f = mk(root(), "big", 0644);
	/* 3 MiB: direct, indirect and double-indirect pages. */
	static uint32_t page[1024];
	uint32_t npages = 768;
	for (uint32_t p = 0; p < npages; p++) {
		for (int i = 0; i < 1024; i++)
			page[i] = p * 1024 + (uint32_t)i;
		CHECK(o->write(&fs, f, (uint64_t)p * 4096, page, 4096) == 4096);
	}
	CHECK(st(f).length == (uint64_t)npages * 4096);
	for (uint32_t p = 0; p < npages; p++) {
		CHECK(o->read(&fs, f, (uint64_t)p * 4096, page, 4096) == 4096);
		CHECK(page[0] == p * 1024 && page[1023] == p * 1024 + 1023);
	}
	/* Unaligned reads across pages. */
	uint32_t v[3];
	CHECK(o->read(&fs, f, 520 * 4096 - 4, v, 12) == 12);
	CHECK(v[0] == 520 * 1024 - 1 && v[1] == 520 * 1024 && v[2] == v[1] + 1);
	/* Freeing it returns every page (index pages too). */
	size_t before = ramfs_free_bytes(&fs);
	struct p9_stat w = blank();
	w.length = 0;
	CHECK(o->wstat(&fs, f, &w) == 0);
	CHECK(ramfs_free_bytes(&fs) == before + (npages + 3) * 4096);
	return 0;
}

/* A newc archive builder. */
static uint8_t ar[8192];
static size_t arlen;
static void add(const char *name, uint32_t mode, const char *data)
{
	struct newc a = { ar, arlen };
	newc_add(&a, name, mode, data, 777, 0);
	arlen = a.len;
}

static int load_cpio(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	arlen = 0;
	add(".", CPIO_S_IFDIR | 0755, 0);
	add("bin", CPIO_S_IFDIR | 0755, 0);
	add("bin/ns", CPIO_S_IFREG | 0755, "#!ns");
	add("etc/deep/motd", CPIO_S_IFREG | 0644, "hello\n");
	add("link", CPIO_S_IFLNK | 0777, "bin/ns");
	add("./empty", CPIO_S_IFREG | 0600, 0);
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == 0);
	CHECK(fs.loaded_files == 3 && fs.loaded_bytes == 10);
	CHECK(fs.loaded_links == 1);
	void *r = root(), *bin = look(r, "bin"), *ns, *etc, *deep, *motd;
	CHECK(bin && (ns = look(bin, "ns")));
	CHECK(st(ns).mode == 0755 && st(ns).length == 4 && st(ns).mtime == 777);
	CHECK(p9_str_eq(st(ns).uid, "metta"));
	CHECK((etc = look(r, "etc")) && (deep = look(etc, "deep")));
	CHECK(st(deep).mode == (P9_DMDIR | 0755));
	CHECK((motd = look(deep, "motd")));
	char buf[8];
	CHECK(o->read(&fs, motd, 0, buf, 8) == 6 && !memcmp(buf, "hello\n", 6));
	/* The link: its target as contents, its type in mode and qid. */
	void *link = look(r, "link");
	CHECK(link && st(link).mode == (P9_DMSYMLINK | 0777));
	CHECK(st(link).qid.type == P9_QTSYMLINK && st(link).length == 6);
	CHECK(o->read(&fs, link, 0, buf, 8) == 6 && !memcmp(buf, "bin/ns", 6));
	CHECK(look(r, "empty") && st(look(r, "empty")).mode == 0600);
	/* Loading again replaces files. */
	arlen = 0;
	add("bin/ns", CPIO_S_IFREG | 0700, "v2");
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == 0);
	CHECK(st(ns).length == 2 && st(ns).mode == 0700);
	return 0;
}

/* A path through a link in an archive is refused (as through a file). */
static int cpio_path_through_link(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	arlen = 0;
	add("bin", CPIO_S_IFLNK | 0777, "usr/bin");
	add("bin/sh", CPIO_S_IFREG | 0755, "x");
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == STATUS_ERR_CORRUPT);
	/* A link where the archive has a directory already: corrupt too. */
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	arlen = 0;
	add("d", CPIO_S_IFDIR | 0755, 0);
	add("d", CPIO_S_IFLNK | 0777, "e");
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == STATUS_ERR_CORRUPT);
	return 0;
}

/* wstat changes n's permissions, never its type; then n (name in d) is
 * removed like a file. */
static int type_kept_then_removed(void *d, void *n, const char *name,
				  uint32_t type)
{
	struct p9_stat w = blank();
	w.mode = 0604;
	CHECK(o->wstat(&fs, n, &w) == 0);
	CHECK(st(n).mode == (type | 0604));
	CHECK(o->remove(&fs, n) == 0 && look(d, name) == 0);
	return 0;
}

/*
 * Symbolic links as docs/servers.md gives them: a create with
 * P9_DMSYMLINK, then a write of the target; walks do not go through one.
 */
static int symlinks(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *d, *l, *x;
	CHECK((d = mk(r, "d", P9_DMDIR | 0700)) != 0);
	CHECK((l = mk(d, "l", P9_DMSYMLINK | 0600)) != 0);
	CHECK(put(l, 0, "../target") == 9);
	/* Always 0777, whatever was asked or the directory allows. */
	CHECK(st(l).mode == (P9_DMSYMLINK | 0777) && st(l).length == 9);
	CHECK(st(l).qid.type == P9_QTSYMLINK);
	char buf[16];
	CHECK(o->read(&fs, l, 0, buf, sizeof(buf)) == 9);
	CHECK(!memcmp(buf, "../target", 9));
	/* Not a directory: a walk stops at it. */
	CHECK(o->walk1(&fs, l, p9_str("x"), &x) == -P9_ENOTDIR);
	/* The name is taken; a directory cannot be a link too. */
	void *n;
	CHECK(o->create(&fs, d, p9_str("l"), P9_DMSYMLINK | 0777, P9_OWRITE,
			p9_str("metta"), &n) == -P9_EEXIST);
	CHECK(o->create(&fs, d, p9_str("m"), P9_DMSYMLINK | P9_DMDIR | 0777,
			P9_OWRITE, p9_str("metta"), &n) == -P9_EINVAL);
	CHECK(look(d, "m") == 0);
	/* A directory listing shows the type. */
	struct p9_stat e;
	CHECK(o->readdir(&fs, d, 0, &e) == 1 && (e.mode & P9_DMSYMLINK));
	return type_kept_then_removed(d, l, "l", P9_DMSYMLINK);
}

/* Named pipes: a create with P9_DMNAMEDPIPE; a type bit like a link's,
 * its permissions limited by the directory's as a file's. */
static int named_pipes(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *d, *p;
	CHECK((d = mk(r, "d", P9_DMDIR | 0750)) != 0);
	CHECK((p = mk(d, "p", P9_DMNAMEDPIPE | 0666)) != 0);
	CHECK(st(p).mode == (P9_DMNAMEDPIPE | 0640) && st(p).length == 0);
	CHECK(st(p).qid.type == P9_QTFILE);
	struct p9_stat e;
	CHECK(o->readdir(&fs, d, 0, &e) == 1 && e.mode == st(p).mode);
	/* Never a directory or a link as well; the name is taken. */
	CHECK(mk_rc(d, "q", P9_DMNAMEDPIPE | P9_DMDIR | 0777) == -P9_EINVAL);
	CHECK(mk_rc(d, "q", P9_DMNAMEDPIPE | P9_DMSYMLINK | 0777) ==
	      -P9_EINVAL);
	CHECK(look(d, "q") == 0);
	CHECK(mk_rc(d, "p", P9_DMNAMEDPIPE | 0666) == -P9_EEXIST);
	return type_kept_then_removed(d, p, "p", P9_DMNAMEDPIPE);
}

static void drop(void *n)
{
	o->unref(&fs, n);
}

/* What dir's name names (0: nothing), without keeping a reference. */
static void *peek(void *dir, const char *name)
{
	void *n = look(dir, name);
	if (n)
		drop(n);
	return n;
}

/* Hard links: every name shows one file; removing any name (the first
 * too) leaves the others; the memory goes with the last name and fid. */
static int hard_links(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	void *r = root(), *tmp[8];
	/* Node pages stay node pages: make the nodes used below first. */
	for (int i = 0; i < 8; i++)
		tmp[i] = mk(r, (char[]){ (char)('a' + i), 0 }, 0644);
	for (int i = 0; i < 8; i++) {
		CHECK(o->remove(&fs, tmp[i]) == 0);
		drop(tmp[i]);
	}
	size_t free0 = ramfs_free_bytes(&fs);
	void *d = mk(r, "d", P9_DMDIR | 0777), *f = mk(r, "f", 0640);
	static char big[2 * 4096];
	memset(big, 'q', sizeof(big));
	CHECK(o->write(&fs, f, 0, big, sizeof(big)) == (long)sizeof(big));
	CHECK(st(f).dev == 1);
	CHECK(o->link(&fs, d, p9_str("g"), f) == 0);
	void *g = look(d, "g");
	CHECK(g && g != f);
	CHECK(st(g).qid.path == st(f).qid.path && st(g).length == sizeof(big));
	CHECK(st(g).dev == 2 && st(f).dev == 2 && st(g).mode == 0640);
	CHECK(p9_str_eq(st(g).name, "g") && p9_str_eq(st(f).name, "f"));
	struct p9_stat e;
	CHECK(o->readdir(&fs, d, 0, &e) == 1 && p9_str_eq(e.name, "g") &&
	      e.dev == 2 && e.qid.path == st(f).qid.path);
	/* A write, a truncate, a chmod through one name show in the other. */
	CHECK(put(g, 0, "new") == 3);
	char buf[4];
	CHECK(o->read(&fs, f, 0, buf, 3) == 3 && !memcmp(buf, "new", 3));
	struct p9_stat w = blank();
	w.length = 10;
	w.mode = 0600;
	CHECK(o->wstat(&fs, g, &w) == 0);
	CHECK(st(f).length == 10 && st(f).mode == 0600);
	/* A rename renames the name, not the file's other names. */
	w = blank();
	w.name = p9_str("h");
	CHECK(o->wstat(&fs, g, &w) == 0 && peek(d, "h") == g && !peek(d, "g"));
	CHECK(p9_str_eq(st(f).name, "f"));
	/* Refusals, which change nothing. */
	CHECK(o->link(&fs, d, p9_str("h"), f) == -P9_EEXIST);
	CHECK(o->link(&fs, r, p9_str("d2"), d) == -P9_EPERM);
	CHECK(o->link(&fs, f, p9_str("x"), f) == -P9_ENOTDIR);
	CHECK(st(f).dev == 2);
	/* Removing the first name: the file lives on under the other. */
	CHECK(o->remove(&fs, f) == 0 && !peek(r, "f"));
	CHECK(st(g).dev == 1);
	CHECK(o->read(&fs, g, 0, buf, 3) == 3 && !memcmp(buf, "new", 3));
	drop(f);
	/* A link to a link's file; then every name and fid goes. */
	CHECK(o->link(&fs, r, p9_str("k"), g) == 0 && st(g).dev == 2);
	void *k = look(r, "k");
	CHECK(o->remove(&fs, g) == 0);
	drop(g);
	CHECK(ramfs_free_bytes(&fs) < free0);
	CHECK(o->remove(&fs, k) == 0);
	/* A file with no name left cannot get one again (Linux: ENOENT). */
	CHECK(o->link(&fs, r, p9_str("back"), k) == -P9_ENOENT);
	drop(k);
	CHECK(o->remove(&fs, d) == 0);
	drop(d);
	CHECK(ramfs_free_bytes(&fs) == free0);
	drop(r);
	return 0;
}

static int mv(void *od, const char *on, void *nd, const char *nn)
{
	return o->rename(&fs, od, p9_str(on), nd, p9_str(nn));
}

/* Trenameat: the name node moves (same node, qid, pages); a replaced
 * file's memory goes with its last reference; refusals change nothing. */
static int renames_across(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, test_clock, "metta") ==
	      0);
	void *r = root(), *d1 = mk(r, "d1", P9_DMDIR | 0777),
	     *d2 = mk(r, "d2", P9_DMDIR | 0777);
	void *f = mk(d1, "f", 0644), *g = mk(d2, "g", 0644);
	static char big[2 * 4096];
	memset(big, 'q', sizeof(big));
	CHECK(o->write(&fs, g, 0, big, sizeof(big)) == (long)sizeof(big));
	CHECK(put(f, 0, "moving") == 6);
	uint64_t qf = st(f).qid.path;
	uint32_t v1 = st(d1).qid.version, v2 = st(d2).qid.version;
	clock_now = 77;
	/* Over g, which a fid still holds: its pages go with that fid. */
	CHECK(mv(d1, "f", d2, "g") == 0);
	CHECK(peek(d2, "g") == f && !peek(d1, "f") && st(f).qid.path == qf);
	CHECK(p9_str_eq(st(f).name, "g") && st(g).dev == 0);
	CHECK(st(d1).qid.version != v1 && st(d2).qid.version != v2);
	CHECK(st(d1).mtime == 77 && st(d2).mtime == 77);
	size_t before = ramfs_free_bytes(&fs);
	drop(g);
	CHECK(ramfs_free_bytes(&fs) == before + 2 * 4096);
	/* Tstatfs agrees with the region. */
	struct p9_statfs sf;
	CHECK(o->statfs(&fs, r, &sf) == 0 && sf.bsize == 4096);
	CHECK(sf.bfree * 4096 == ramfs_free_bytes(&fs));
	CHECK(sf.blocks == (1 << 20) / 4096 && sf.type == P9_STATFS_MAGIC);
	/* A directory with its contents; ".." follows; readdir sees it. */
	void *sub = mk(d1, "sub", P9_DMDIR | 0777), *in = mk(sub, "in", 0644);
	CHECK(mv(d1, "sub", d2, "sub2") == 0);
	CHECK(peek(d2, "sub2") == sub && peek(sub, "in") == in);
	CHECK(peek(sub, "..") == d2);
	struct p9_stat e;
	CHECK(o->readdir(&fs, d1, 0, &e) == 0);
	CHECK(o->readdir(&fs, d2, 1, &e) == 1 && p9_str_eq(e.name, "sub2"));
	/* Refusals. */
	CHECK(mv(d2, "sub2", sub, "x") == -P9_EINVAL);
	CHECK(mv(r, "d2", sub, "x") == -P9_EINVAL);
	CHECK(mv(d2, "g", d2, "sub2") == -P9_EISDIR);
	CHECK(mv(d2, "sub2", d2, "g") == -P9_ENOTDIR);
	CHECK(mv(r, "d1", r, "d2") == -P9_ENOTEMPTY);
	CHECK(mv(d1, "none", d2, "x") == -P9_ENOENT);
	CHECK(mv(f, "x", d2, "y") == -P9_ENOTDIR);
	CHECK(mv(d2, "g", f, "y") == -P9_ENOTDIR);
	static char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	CHECK(mv(d2, "g", d1, longname) == -P9_ENAMETOOLONG);
	CHECK(peek(d2, "g") == f && peek(d2, "sub2") == sub);
	/* A removed directory takes nothing and gives nothing. */
	void *gone = mk(r, "gone", P9_DMDIR | 0777);
	CHECK(o->remove(&fs, gone) == 0);
	CHECK(mv(d2, "g", gone, "x") == -P9_ENOENT);
	CHECK(mv(gone, "x", d2, "y") == -P9_ENOENT);
	drop(gone);
	/* An empty directory replaced by a directory. */
	void *empty = mk(d1, "empty", P9_DMDIR | 0777);
	CHECK(mv(d2, "sub2", d1, "empty") == 0 && peek(d1, "empty") == sub);
	void *x;
	CHECK(o->walk1(&fs, empty, p9_str(".."), &x) == -P9_ENOENT);
	drop(empty);
	/* Two names of one file: nothing happens; a link's name moves. */
	CHECK(o->link(&fs, d1, p9_str("h"), f) == 0);
	CHECK(mv(d2, "g", d1, "h") == 0);
	CHECK(peek(d2, "g") == f && peek(d1, "h") != 0 && st(f).dev == 2);
	CHECK(mv(d1, "h", r, "top") == 0 && !peek(d1, "h"));
	CHECK(st(peek(r, "top")).qid.path == qf && st(f).dev == 2);
	return 0;
}

static int corrupt_cpio_refused(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	arlen = 0;
	add("a", CPIO_S_IFREG | 0644, "x");
	add("b", CPIO_S_IFREG | 0644, "y");
	add(CPIO_TRAILER, 0, 0);
	/* Cut short: what came before the damage stays. */
	CHECK(ramfs_load_cpio(&fs, ar, arlen - 1) == STATUS_ERR_CORRUPT);
	void *r = root();
	CHECK(look(r, "a") && look(r, "b"));
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	ar[120] = 'X'; /* second header's magic */
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == STATUS_ERR_CORRUPT);
	r = root();
	CHECK(look(r, "a") && !look(r, "b"));
	/* Paths through files or with ".." are refused. */
	arlen = 0;
	add("f", CPIO_S_IFREG | 0644, "x");
	add("f/g", CPIO_S_IFREG | 0644, "x");
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == STATUS_ERR_CORRUPT);
	arlen = 0;
	add("../up", CPIO_S_IFREG | 0644, "x");
	add(CPIO_TRAILER, 0, 0);
	CHECK(ramfs_load_cpio(&fs, ar, arlen) == STATUS_ERR_CORRUPT);
	return 0;
}

/* Files in memory on the host: each object an anonymous mapping, its
 * state page kept as it was when the object went. */
static struct p9_memstate last_destroyed;

static int fake_create(struct ramfs *f, uint32_t *mem, uint32_t *state,
		       uint8_t **window)
{
	(void)f;
	void *p = mmap(0, RAMFS_MAXFILE + RAMFS_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -P9_ENOMEM;
	*mem = 7;
	*state = 8;
	*window = p;
	return 0;
}

static void fake_destroy(struct ramfs *f, uint32_t mem, uint32_t state,
			 uint8_t *window)
{
	(void)f, (void)mem, (void)state;
	memcpy(&last_destroyed, window + RAMFS_MAXFILE, sizeof(last_destroyed));
	munmap(window, RAMFS_MAXFILE + RAMFS_PAGE);
}

static void fake_discard(struct ramfs *f, uint32_t mem, uint64_t first,
			 uint64_t n)
{
	(void)f, (void)mem, (void)first, (void)n; /* (the region's: kept) */
}

static const struct ramfs_mem fake_mem = { fake_create, fake_destroy,
					   fake_discard };

/* A file in memory's state page (P9_MEMORY, proto.h): its length after
 * every write, truncation and open with OTRUNC, the change count even
 * between operations and moved by each, its qid path, and gone when the
 * file goes; one region page is kept for it. */
static int state_page(void)
{
	CHECK(ramfs_init(&fs, region(1 << 20), 1 << 20, 0, "metta") == 0);
	fs.mem = &fake_mem;
	void *r = root(), *f = mk(r, "f", 0644);
	CHECK(put(f, 0, "hello") == 5);
	size_t free0 = ramfs_free_bytes(&fs);
	uint32_t slot;
	uint64_t pages;
	uint32_t state = 0;
	CHECK(o->memory(&fs, f, &slot, &pages, &state) == 0);
	CHECK(slot == 7 && pages == RAMFS_MAXPAGES && state == 8);
	CHECK(free0 - ramfs_free_bytes(&fs) == RAMFS_PAGE); /* the state's */
	uint8_t *w = ((struct ramfs_node *)f)->window;
	const struct p9_memstate *s = (const void *)(w + RAMFS_MAXFILE);
	CHECK(s->length == 5 && s->seq % 2 == 0 && !s->gone);
	CHECK(s->path == st(f).qid.path && memcmp(w, "hello", 5) == 0);
	uint64_t seq = s->seq;
	CHECK(put(f, RAMFS_PAGE, "x") == 1);
	CHECK(s->length == RAMFS_PAGE + 1 && w[RAMFS_PAGE] == 'x');
	CHECK(s->seq == seq + 2);
	struct p9_stat ws = blank();
	ws.length = 3;
	CHECK(o->wstat(&fs, f, &ws) == 0);
	CHECK(s->length == 3 && s->seq == seq + 4 && w[3] == 0 && w[4] == 0);
	CHECK(o->open(&fs, f, P9_OWRITE | P9_OTRUNC) == 0);
	CHECK(s->length == 0 && s->seq == seq + 6);
	/* A write that fails (too far) leaves the count even. */
	CHECK(put(f, RAMFS_MAXFILE, "y") == -P9_EFBIG && s->seq % 2 == 0);
	/* A second ask: the same object, nothing more kept. */
	size_t free1 = ramfs_free_bytes(&fs);
	CHECK(o->memory(&fs, f, &slot, &pages, &state) == 0 && state == 8);
	CHECK(ramfs_free_bytes(&fs) == free1);
	uint64_t path = s->path;
	CHECK(o->remove(&fs, f) == 0);
	o->unref(&fs, f);
	CHECK(last_destroyed.gone == 1 && last_destroyed.path == path);
	CHECK(last_destroyed.seq % 2 == 0);
	CHECK(ramfs_free_bytes(&fs) >= free0); /* its pages back, state's too */
	fs.mem = 0;
	return 0;
}

int main(void)
{
	o = &ramfs_ops;
	octx = &fs;
	RUN(files_and_directories);
	RUN(rename_and_truncate);
	RUN(permissions_masked);
	RUN(timestamps_and_versions);
	RUN(full_region);
	RUN(removed_while_open);
	RUN(big_file_page_by_page);
	RUN(symlinks);
	RUN(hard_links);
	RUN(renames_across);
	RUN(load_cpio);
	RUN(cpio_path_through_link);
	RUN(corrupt_cpio_refused);
	RUN(named_pipes);
	RUN(state_page);
	return check_done();
}
