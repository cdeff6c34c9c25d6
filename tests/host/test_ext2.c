/*
 * lib/ext2 on images made by Debian's mke2fs: each test makes an image
 * (mke2fs -d from a folder), works on it through the library, unmounts,
 * then e2fsck -fn must find it clean and debugfs must read back what was
 * written. Bad images (a corrupt superblock, descriptor, directory
 * entry, inode number) must give clear errors, never a crash.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "9p/errstr.h"
#include "check.h"
#include "ext2/ext2.h"
#include "ext2img.h"

/* A path's inode, from the root. */
static uint32_t walk(const char *path)
{
	uint32_t ino = EXT2_ROOT_INO;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strtok(buf, "/"); s; s = strtok(0, "/"))
		if (ext2_lookup(&fs, ino, s, strlen(s), &ino))
			return 0;
	return ino;
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static uint32_t create(uint32_t dir, const char *name, uint32_t mode)
{
	uint32_t ino = 0;
	if (ext2_create(&fs, dir, name, strlen(name), mode, 0, 0, &ino))
		return 0;
	return ino;
}

/* Reading what mke2fs -d put there, 1, 2 and 4 KiB blocks. */
static int read_mke2fs_tree(int bs)
{
	CHECK(reset_src() == 0);
	put_src("hello", "hello, ext2\n");
	CHECK(sh("mkdir -p %s/src/a/b && ln -s hello %s/src/fast", tmp, tmp) ==
	      0);
	char target[200];
	memset(target, 'x', sizeof(target) - 1);
	target[sizeof(target) - 1] = 0;
	CHECK(sh("ln -s %s %s/src/slow", target, tmp) == 0);
	CHECK(sh("head -c 300000 /dev/urandom > %s/src/a/b/big", tmp) == 0);
	CHECK(make_image(bs, 4096, "") == 0);
	CHECK(do_mount() == 0);
	char buf[64] = { 0 };
	CHECK(ext2_read(&fs, walk("hello"), 0, buf, sizeof(buf)) == 12);
	CHECK_STR(buf, "hello, ext2\n");
	long n = ext2_readlink(&fs, walk("fast"), buf, sizeof(buf));
	CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
	char lbuf[256];
	CHECK(ext2_readlink(&fs, walk("slow"), lbuf, sizeof(lbuf)) == 199);
	CHECK(memcmp(lbuf, target, 199) == 0);
	uint8_t *big = malloc(300000), *want = malloc(300000);
	char p[256];
	snprintf(p, sizeof(p), "%s/src/a/b/big", tmp);
	FILE *f = fopen(p, "rb");
	CHECK(f && fread(want, 1, 300000, f) == 300000);
	fclose(f);
	CHECK(ext2_read(&fs, walk("a/b/big"), 0, big, 300000) == 300000);
	CHECK(memcmp(big, want, 300000) == 0);
	free(big);
	free(want);
	struct ext2_attr a;
	CHECK(ext2_getattr(&fs, walk("a"), &a) == 0);
	CHECK((a.mode & EXT2_S_IFMT) == EXT2_S_IFDIR && a.nlink == 3);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

static int mke2fs_tree_1k(void)
{
	return read_mke2fs_tree(1024);
}
static int mke2fs_tree_2k(void)
{
	return read_mke2fs_tree(2048);
}
static int mke2fs_tree_4k(void)
{
	return read_mke2fs_tree(4096);
}

/* Files of sizes that need direct, indirect and double indirect blocks
 * (1 KiB blocks), written and read back by debugfs. */
static int write_sizes(void)
{
	static const size_t sizes[] = { 0,	    1,	       1023,
					1024,	    12 * 1024, 12 * 1024 + 1,
					300 * 1024, 2 << 20 };
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 16384, "") == 0);
	CHECK(do_mount() == 0);
	uint8_t *buf = malloc(2 << 20);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%zu", i);
		uint32_t ino = create(EXT2_ROOT_INO, name, EXT2_S_IFREG | 0644);
		CHECK(ino);
		pattern(buf, sizes[i], (uint32_t)i);
		/* in odd pieces, so writes straddle blocks */
		for (size_t off = 0; off < sizes[i];) {
			size_t k =
			    sizes[i] - off < 3001 ? sizes[i] - off : 3001;
			CHECK(ext2_write(&fs, ino, off, buf + off, k) ==
			      (long)k);
			off += k;
		}
	}
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "/f%zu", i);
		pattern(buf, sizes[i], (uint32_t)i);
		CHECK(debugfs_is(name, buf, sizes[i]));
	}
	free(buf);
	return 0;
}

/* Read the image's block pblk (1 KiB) at byte o. */
static int image_has(uint64_t pblk, const void *want, size_t n)
{
	uint8_t got[1024];
	return pread(imgfd, got, n, (off_t)(pblk * 1024)) == (ssize_t)n &&
	       memcmp(got, want, n) == 0;
}

/* debugfs's bmap of a file's logical block. */
static uint64_t debugfs_bmap(const char *path, uint64_t lblk)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap %s %llu' %s 2>/dev/null",
		 path, (unsigned long long)lblk, img);
	FILE *p = popen(cmd, "r");
	unsigned long long v = 0;
	if (!p || fscanf(p, "%llu", &v) != 1)
		v = 0;
	if (p)
		pclose(p);
	return v;
}

/* A sparse file with data at 5 GiB (triple indirect with 1 KiB blocks)
 * and at 40 MiB (double indirect): holes read as zeros, few blocks. */
static int triple_indirect(void)
{
	const uint64_t far = 5ull << 30, mid = 40ull << 20;
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 8192, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t ino = create(EXT2_ROOT_INO, "sparse", EXT2_S_IFREG | 0600);
	uint8_t a[1024], b[1024], z[4096];
	pattern(a, sizeof(a), 7);
	pattern(b, sizeof(b), 8);
	CHECK(ext2_write(&fs, ino, far, a, sizeof(a)) == 1024);
	CHECK(ext2_write(&fs, ino, mid, b, sizeof(b)) == 1024);
	struct ext2_attr at;
	CHECK(ext2_getattr(&fs, ino, &at) == 0);
	CHECK(at.size == far + 1024);
	/* 2 data blocks, 1+1+1 for the triple path, 1+1 for the double */
	CHECK(at.blocks == 7 * 2);
	memset(z, 1, sizeof(z));
	CHECK(ext2_read(&fs, ino, far - 4096, z, sizeof(z)) == 4096);
	for (size_t i = 0; i < sizeof(z); i++)
		CHECK(z[i] == 0);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(image_has(debugfs_bmap("/sparse", far / 1024), a, sizeof(a)));
	CHECK(image_has(debugfs_bmap("/sparse", mid / 1024), b, sizeof(b)));
	/* shrinking below the triple part frees its blocks */
	CHECK(do_mount() == 0);
	CHECK(ext2_truncate(&fs, walk("sparse"), mid + 1024) == 0);
	CHECK(ext2_getattr(&fs, walk("sparse"), &at) == 0 &&
	      at.blocks == 3 * 2);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* 1,000 files in directories three deep (10 x 10 x 10). */
static int thousand_files(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 16384, "-N 2048") == 0);
	CHECK(do_mount() == 0);
	char name[64], content[64];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		uint32_t d1 = create(EXT2_ROOT_INO, name, EXT2_S_IFDIR | 0755);
		CHECK(d1);
		for (int j = 0; j < 10; j++) {
			snprintf(name, sizeof(name), "e%d", j);
			uint32_t d2 = create(d1, name, EXT2_S_IFDIR | 0755);
			CHECK(d2);
			for (int k = 0; k < 10; k++) {
				snprintf(name, sizeof(name),
					 "file-with-a-longer-name-%d", k);
				uint32_t f =
				    create(d2, name, EXT2_S_IFREG | 0644);
				CHECK(f);
				int n = snprintf(content, sizeof(content),
						 "file %d/%d/%d\n", i, j, k);
				CHECK(ext2_write(&fs, f, 0, content,
						 (size_t)n) == n);
			}
		}
	}
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	for (int i = 0; i < 10; i += 3) {
		char path[96];
		int n = snprintf(content, sizeof(content), "file %d/%d/%d\n", i,
				 9 - i, i);
		snprintf(path, sizeof(path),
			 "/d%d/e%d/file-with-a-longer-name-%d", i, 9 - i, i);
		CHECK(debugfs_is(path, content, (size_t)n));
	}
	/* every one read back through the library */
	CHECK(do_mount() == 0);
	for (int i = 0; i < 1000; i++) {
		char path[96], got[64];
		int n = snprintf(content, sizeof(content), "file %d/%d/%d\n",
				 i / 100, i / 10 % 10, i % 10);
		snprintf(path, sizeof(path),
			 "d%d/e%d/file-with-a-longer-name-%d", i / 100,
			 i / 10 % 10, i % 10);
		CHECK(ext2_read(&fs, walk(path), 0, got, sizeof(got)) == n);
		CHECK(memcmp(got, content, (size_t)n) == 0);
	}
	return 0;
}

/* A 64 MiB file written and read back (debugfs's copy compared). */
static int big_file(void)
{
	const size_t size = 64 << 20;
	CHECK(reset_src() == 0);
	CHECK(make_image(4096, 90 * 1024, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t ino = create(EXT2_ROOT_INO, "big", EXT2_S_IFREG | 0644);
	uint8_t *buf = malloc(size), *got = malloc(size);
	pattern(buf, size, 99);
	for (size_t off = 0; off < size; off += 65536)
		CHECK(ext2_write(&fs, ino, off, buf + off, 65536) == 65536);
	CHECK(ext2_fsync(&fs, ino) == 0);
	CHECK(ext2_read(&fs, ino, 0, got, size) == (long)size);
	CHECK(memcmp(got, buf, size) == 0);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(debugfs_is("/big", buf, size));
	/* read again from a fresh mount, 64 KiB at a time: read ahead, the
	 * 16 blocks of a request come in one device read */
	CHECK(do_mount() == 0);
	memset(got, 0, size);
	for (size_t off = 0; off < size; off += 65536)
		CHECK(ext2_read(&fs, ino, off, got + off, 65536) == 65536);
	CHECK(memcmp(got, buf, size) == 0);
	CHECK(fs.reads < size / 4096 / 8);
	free(buf);
	free(got);
	return 0;
}

/* Rename within and across directories, replacing targets as Linux. */
static int renames(void)
{
	CHECK(reset_src() == 0);
	CHECK(sh("mkdir -p %s/src/a/sub %s/src/b %s/src/empty", tmp, tmp,
		 tmp) == 0);
	put_src("a/x", "x\n");
	put_src("a/y", "y\n");
	put_src("b/z", "z\n");
	put_src("a/sub/deep", "deep\n");
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t a = walk("a"), b = walk("b"), root = EXT2_ROOT_INO;
	CHECK(ext2_rename(&fs, a, "x", 1, a, "x2", 2) == 0);
	CHECK(ext2_rename(&fs, a, "x2", 2, b, "x3", 2) == 0);
	CHECK(ext2_rename(&fs, a, "y", 1, b, "z", 1) == 0);	/* replaces z */
	CHECK(ext2_rename(&fs, a, "sub", 3, b, "sub", 3) == 0); /* a dir */
	CHECK(ext2_rename(&fs, root, "b", 1, walk("b/sub"), "b", 1) ==
	      -P9_EINVAL);
	CHECK(ext2_rename(&fs, b, "sub", 3, root, "empty", 5) ==
	      0); /* over an empty dir */
	CHECK(ext2_rename(&fs, root, "a", 1, root, "b", 1) == -P9_ENOTEMPTY);
	CHECK(ext2_rename(&fs, b, "z", 1, root, "a", 1) == -P9_EISDIR);
	CHECK(ext2_rename(&fs, root, "a", 1, b, "z", 1) == -P9_ENOTDIR);
	CHECK(ext2_rename(&fs, b, "nope", 4, b, "q", 1) == -P9_ENOENT);
	CHECK(ext2_rename(&fs, b, "z", 1, b, "z", 1) == 0);
	uint32_t ino;
	CHECK(ext2_lookup(&fs, walk("empty"), "..", 2, &ino) == 0 &&
	      ino == root);
	struct ext2_attr at;
	CHECK(ext2_getattr(&fs, b, &at) == 0 && at.nlink == 2);
	CHECK(ext2_getattr(&fs, a, &at) == 0 && at.nlink == 2);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(debugfs_is("/b/x3", "x\n", 2));
	CHECK(debugfs_is("/b/z", "y\n", 2));
	CHECK(debugfs_is("/empty/deep", "deep\n", 5));
	CHECK(sh("debugfs -R 'ls /a' %s 2>/dev/null | grep -q ' y '", img) !=
	      0);
	return 0;
}

/* Hard links, fast and slow symbolic links, unlink, mkdir, rmdir. */
static int links_and_dirs(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(4096, 4096, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t root = EXT2_ROOT_INO,
		 d = create(root, "d", EXT2_S_IFDIR | 0755);
	uint32_t f = create(d, "f", EXT2_S_IFREG | 0644), ino;
	CHECK(ext2_write(&fs, f, 0, "data\n", 5) == 5);
	CHECK(ext2_link(&fs, root, "hard", 4, f) == 0);
	CHECK(ext2_link(&fs, root, "hard", 4, f) == -P9_EEXIST);
	CHECK(ext2_link(&fs, root, "dl", 2, d) == -P9_EPERM);
	struct ext2_attr at;
	CHECK(ext2_getattr(&fs, f, &at) == 0 && at.nlink == 2);
	CHECK(ext2_symlink(&fs, root, "fast", 4, "d/f", 3, 0, 0, &ino) == 0);
	char target[300];
	memset(target, 't', sizeof(target));
	CHECK(ext2_symlink(&fs, root, "slow", 4, target, sizeof(target), 0, 0,
			   &ino) == 0);
	CHECK(ext2_getattr(&fs, ino, &at) == 0 && at.blocks == 8);
	/* the 9P way: an empty link, then its target */
	ino = create(root, "nine", EXT2_S_IFLNK | 0777);
	CHECK(ino && ext2_set_symlink(&fs, ino, "hard", 4) == 0);
	CHECK(ext2_set_symlink(&fs, ino, "again", 5) == -P9_EINVAL);
	CHECK(ext2_unlink(&fs, root, "d", 1) == -P9_ENOTEMPTY);
	CHECK(ext2_create(&fs, d, "f", 1, EXT2_S_IFREG, 0, 0, &ino) ==
	      -P9_EEXIST);
	CHECK(ext2_unlink(&fs, d, "f", 1) == 0);
	CHECK(ext2_getattr(&fs, f, &at) == 0 && at.nlink == 1);
	uint32_t e = create(d, "e", EXT2_S_IFDIR | 0700);
	CHECK(ext2_getattr(&fs, d, &at) == 0 && at.nlink == 3);
	CHECK(ext2_unlink(&fs, d, "e", 1) == 0);
	CHECK(ext2_getattr(&fs, d, &at) == 0 && at.nlink == 2);
	CHECK(ext2_create(&fs, e, "g", 1, EXT2_S_IFREG, 0, 0, &ino) ==
	      -P9_ENOENT);
	CHECK(ext2_unlink(&fs, root, "d", 1) == 0);
	CHECK(ext2_lookup(&fs, root, "d", 1, &ino) == -P9_ENOENT);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(debugfs_is("/hard", "data\n", 5));
	CHECK(sh("debugfs -R 'stat /fast' %s 2>/dev/null | grep -q 'Fast link "
		 "dest: \"d/f\"'",
		 img) == 0);
	CHECK(sh("debugfs -R 'stat /nine' %s 2>/dev/null | grep -q 'Fast link "
		 "dest: \"hard\"'",
		 img) == 0);
	return 0;
}

/* An open file unlinked stays readable; its blocks go at the last close. */
static int unlink_open(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(do_mount() == 0);
	struct ext2_statfs s0, s1, s2;
	CHECK(ext2_statfs(&fs, &s0) == 0);
	uint32_t f = create(EXT2_ROOT_INO, "tmp", EXT2_S_IFREG | 0644);
	static uint8_t buf[100000];
	pattern(buf, sizeof(buf), 3);
	CHECK(ext2_open(&fs, f) == 0);
	CHECK(ext2_write(&fs, f, 0, buf, sizeof(buf)) == (long)sizeof(buf));
	CHECK(ext2_unlink(&fs, EXT2_ROOT_INO, "tmp", 3) == 0);
	CHECK(ext2_statfs(&fs, &s1) == 0);
	CHECK(s1.bfree < s0.bfree && s1.ffree == s0.ffree - 1);
	uint8_t got[100];
	CHECK(ext2_read(&fs, f, 50000, got, 100) == 100);
	CHECK(memcmp(got, buf + 50000, 100) == 0);
	ext2_close(&fs, f);
	CHECK(ext2_statfs(&fs, &s2) == 0);
	CHECK(s2.bfree == s0.bfree && s2.ffree == s0.ffree);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* Truncate: shrinking frees blocks, growing reads zeros. */
static int truncates(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(do_mount() == 0);
	struct ext2_statfs s0, s1;
	CHECK(ext2_statfs(&fs, &s0) == 0);
	uint32_t f = create(EXT2_ROOT_INO, "t", EXT2_S_IFREG | 0644);
	static uint8_t buf[400000], got[400000];
	pattern(buf, sizeof(buf), 5);
	CHECK(ext2_write(&fs, f, 0, buf, sizeof(buf)) == (long)sizeof(buf));
	CHECK(ext2_truncate(&fs, f, 1500) == 0);
	CHECK(ext2_truncate(&fs, f, 300000) == 0);
	CHECK(ext2_read(&fs, f, 0, got, sizeof(got)) == 300000);
	CHECK(memcmp(got, buf, 1500) == 0);
	for (size_t i = 1500; i < 300000; i++)
		CHECK(got[i] == 0);
	CHECK(ext2_truncate(&fs, f, 0) == 0);
	CHECK(ext2_statfs(&fs, &s1) == 0);
	CHECK(s1.bfree == s0.bfree);
	CHECK(ext2_write(&fs, f, 0, "abc", 3) == 3);
	CHECK(ext2_truncate(&fs, walk(""), 0) == -P9_EISDIR);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(debugfs_is("/t", "abc", 3));
	return 0;
}

/* Owners, modes and the three times, as debugfs shows them. */
static int owners_and_times(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t f = 0;
	CHECK(ext2_create(&fs, EXT2_ROOT_INO, "o", 1, EXT2_S_IFREG | 0640, 1000,
			  70000, &f) == 0);
	struct ext2_attr at;
	CHECK(ext2_getattr(&fs, f, &at) == 0);
	CHECK(at.uid == 1000 && at.gid == 70000 && (at.mode & 07777) == 0640);
	CHECK(at.atime == fake_now && at.mtime == fake_now &&
	      at.ctime == fake_now);
	fake_now += 100;
	struct ext2_setattr s = { 04755, 0, EXT2_KEEP, 1234, 5678 };
	CHECK(ext2_setattr(&fs, f, &s) == 0);
	CHECK(ext2_getattr(&fs, f, &at) == 0);
	CHECK(at.uid == 0 && at.gid == 70000 &&
	      at.mode == (EXT2_S_IFREG | 04755));
	CHECK(at.atime == 1234 && at.mtime == 5678 && at.ctime == fake_now);
	fake_now += 100;
	CHECK(ext2_write(&fs, f, 0, "z", 1) == 1);
	CHECK(ext2_getattr(&fs, f, &at) == 0 && at.mtime == fake_now);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(sh("debugfs -R 'stat /o' %s 2>/dev/null | grep -q 'User:     0   "
		 "Group: 70000'",
		 img) == 0);
	return 0;
}

/* fsync puts a file's data and metadata on the disk: debugfs reads it
 * from the image while the fs is still mounted; the state is "not
 * clean" until syncfs. */
static int fsync_on_disk(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t f = create(EXT2_ROOT_INO, "s", EXT2_S_IFREG | 0644);
	CHECK(ext2_write(&fs, f, 0, "synced\n", 7) == 7);
	CHECK(ext2_fsync(&fs, f) == 0);
	CHECK(debugfs_is("/s", "synced\n", 7));
	uint16_t state;
	CHECK(pread(imgfd, &state, 2, 1024 + 58) == 2 && !(state & 1));
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(pread(imgfd, &state, 2, 1024 + 58) == 2 && (state & 1));
	CHECK(ext2_write(&fs, f, 7, "more\n", 5) == 5); /* dirty again */
	CHECK(ext2_writeback(&fs) == 0);
	CHECK(pread(imgfd, &state, 2, 1024 + 58) == 2 && !(state & 1));
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* Patch n bytes of the image at off. */
static int patch(uint64_t off, const void *p, size_t n)
{
	return pwrite(imgfd, p, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static int refused(const char *word)
{
	int rc = ext2_mount(&fs, &dev, mem, sizeof(mem), clock_fn, 0);
	if (rc == 0 || !strstr(fs.msg, word)) {
		fprintf(stderr, "mount gave %d \"%s\"\n", rc, fs.msg);
		return 0;
	}
	return 1;
}

/* Features refused, named; read-only compatible ones mount read-only;
 * an ext3 journal that needs no recovery is mounted and left alone. */
static int features(void)
{
	uint32_t v;
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 4096, "") == 0);
	CHECK(pread(imgfd, &v, 4, 1024 + 96) == 4);
	uint32_t w = v | 0x40;
	CHECK(patch(1024 + 96, &w, 4) == 0 && refused("extents"));
	w = v | 0x80;
	CHECK(patch(1024 + 96, &w, 4) == 0 && refused("64bit"));
	w = v | 0x4;
	CHECK(patch(1024 + 96, &w, 4) == 0 && refused("needs_recovery"));
	CHECK(patch(1024 + 96, &v, 4) == 0);
	CHECK(pread(imgfd, &v, 4, 1024 + 100) == 4);
	w = v | 0x400;
	CHECK(patch(1024 + 100, &w, 4) == 0);
	CHECK(ext2_mount(&fs, &dev, mem, sizeof(mem), clock_fn, 0) == 0);
	CHECK(fs.ro && strstr(fs.msg, "metadata_csum"));
	uint32_t ino;
	CHECK(ext2_create(&fs, EXT2_ROOT_INO, "n", 1, EXT2_S_IFREG, 0, 0,
			  &ino) == -P9_EROFS);
	CHECK(patch(1024 + 100, &v, 4) == 0);
	/* ext3 */
	snprintf(img, sizeof(img), "%s/img3", tmp);
	close(imgfd);
	CHECK(sh("mke2fs -q -F -t ext3 -b 1024 %s 8192 >/dev/null 2>&1", img) ==
	      0);
	imgfd = open(img, O_RDWR);
	CHECK(do_mount() == 0 && !fs.ro);
	ino = create(EXT2_ROOT_INO, "j", EXT2_S_IFREG | 0644);
	CHECK(ext2_write(&fs, ino, 0, "journal\n", 8) == 8);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	return debugfs_is("/j", "journal\n", 8) ? 0 : 1;
}

/* Damaged images: clear errors, no crash. */
static int bad_images(void)
{
	CHECK(reset_src() == 0);
	put_src("f", "f\n");
	CHECK(make_image(1024, 4096, "") == 0);
	uint16_t magic = 0x1234, good = 0xEF53;
	CHECK(patch(1024 + 56, &magic, 2) == 0 && refused("magic"));
	CHECK(patch(1024 + 56, &good, 2) == 0);
	/* group descriptor 0 (block 2): its inode table far outside */
	uint32_t table, far = 0x7FFFFFF0;
	CHECK(pread(imgfd, &table, 4, 2048 + 8) == 4);
	CHECK(patch(2048 + 8, &far, 4) == 0 &&
	      refused("group descriptor 0 out of range"));
	CHECK(patch(2048 + 8, &table, 4) == 0);
	/* the root directory's first block: "." with a bad rec_len */
	CHECK(do_mount() == 0);
	uint64_t rootblk = debugfs_bmap("/", 0);
	CHECK(rootblk);
	uint16_t rec, bad = 7;
	CHECK(pread(imgfd, &rec, 2, (off_t)(rootblk * 1024 + 4)) == 2);
	CHECK(patch(rootblk * 1024 + 4, &bad, 2) == 0);
	CHECK(do_mount() == 0);
	uint32_t ino;
	CHECK(ext2_lookup(&fs, EXT2_ROOT_INO, "f", 1, &ino) == -P9_EIO);
	CHECK(strstr(fs.msg, "bad entry") != 0);
	struct ext2_dirent e;
	uint64_t pos = 0;
	CHECK(ext2_readdir(&fs, EXT2_ROOT_INO, &pos, &e) == -P9_EIO);
	CHECK(ext2_create(&fs, EXT2_ROOT_INO, "g", 1, EXT2_S_IFREG, 0, 0,
			  &ino) == -P9_EIO);
	CHECK(patch(rootblk * 1024 + 4, &rec, 2) == 0);
	/* an entry naming an inode past the last */
	CHECK(do_mount() == 0);
	uint32_t huge = 0x7FFFFFFF, old;
	CHECK(pread(imgfd, &old, 4, (off_t)(rootblk * 1024)) == 4);
	CHECK(patch(rootblk * 1024, &huge, 4) == 0);
	CHECK(do_mount() == 0);
	CHECK(ext2_lookup(&fs, EXT2_ROOT_INO, "f", 1, &ino) == -P9_EIO);
	CHECK(ext2_getattr(&fs, huge, (struct ext2_attr[1]){}) == -P9_EIO);
	CHECK(strstr(fs.msg, "out of range") != 0);
	CHECK(ext2_open(&fs, 0) == -P9_EIO);
	CHECK(patch(rootblk * 1024, &old, 4) == 0);
	CHECK(do_mount() == 0);
	CHECK(ext2_lookup(&fs, EXT2_ROOT_INO, "f", 1, &ino) == 0);
	/* a read-only mount refuses changes */
	CHECK(ext2_mount(&fs, &dev, mem, sizeof(mem), clock_fn, 1) == 0);
	CHECK(ext2_write(&fs, ino, 0, "x", 1) == -P9_EROFS);
	CHECK(ext2_mount(&fs, &dev, mem, 1000, clock_fn, 0) == -P9_ENOMEM);
	return 0;
}

/* The disk fills: a short write, then ENOSPC; the counts stay right. */
static int disk_full(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 1024, "") == 0);
	CHECK(do_mount() == 0);
	uint32_t f = create(EXT2_ROOT_INO, "fill", EXT2_S_IFREG | 0644);
	static uint8_t buf[2 << 20];
	long n = ext2_write(&fs, f, 0, buf, sizeof(buf));
	CHECK(n > 0 && n < (long)sizeof(buf));
	CHECK(ext2_write(&fs, f, (uint64_t)n, buf, 4096) == -P9_ENOSPC);
	struct ext2_statfs st;
	CHECK(ext2_statfs(&fs, &st) == 0 && st.bfree == 0);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(do_mount() == 0);
	CHECK(ext2_unlink(&fs, EXT2_ROOT_INO, "fill", 4) == 0);
	CHECK(ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* Counts that lie (a group's free inodes, its bitmap full): an error
 * naming the group, the bitmap unchanged. */
static int lying_counts(void)
{
	CHECK(reset_src() == 0);
	CHECK(make_image(1024, 1024, "-N 16") == 0);
	CHECK(do_mount() == 0);
	uint32_t ino;
	char name[8];
	int i = 0, rc;
	do {
		snprintf(name, sizeof(name), "f%d", i++);
	} while ((rc = ext2_create(&fs, EXT2_ROOT_INO, name, strlen(name),
				   EXT2_S_IFREG | 0644, 0, 0, &ino)) == 0);
	CHECK(rc == -P9_ENOSPC);
	CHECK(ext2_syncfs(&fs) == 0);
	uint16_t three = 3;
	CHECK(patch(2048 + 14, &three, 2) == 0);
	CHECK(do_mount() == 0);
	CHECK(ext2_create(&fs, EXT2_ROOT_INO, "x", 1, EXT2_S_IFREG, 0, 0,
			  &ino) == -P9_EIO);
	CHECK(strstr(fs.msg, "group 0") != 0);
	uint16_t zero = 0;
	CHECK(patch(2048 + 14, &zero, 2) == 0);
	CHECK(do_mount() == 0 && ext2_syncfs(&fs) == 0);
	return fsck_clean();
}

/* A hashed (htree) directory, as e2fsck -D makes one: read linearly,
 * changed, its index flag dropped; e2fsck still finds it clean. */
static int htree_directory(void)
{
	CHECK(reset_src() == 0);
	CHECK(
	    sh("mkdir %s/src/big && cd %s/src/big && for i in $(seq 1 600); do "
	       "echo $i > file-number-$i; done",
	       tmp, tmp) == 0);
	CHECK(make_image(1024, 8192, "") == 0);
	CHECK(
	    sh("e2fsck -fyD %s >/dev/null 2>&1; e2fsck -fn %s >/dev/null 2>&1",
	       img, img) == 0);
	CHECK(sh("debugfs -R 'stat /big' %s 2>/dev/null | grep -q 'Flags: "
		 "0x1000'",
		 img) == 0);
	CHECK(do_mount() == 0);
	uint32_t big = walk("big"), ino;
	char got[8];
	CHECK(ext2_read(&fs, walk("big/file-number-537"), 0, got,
			sizeof(got)) == 4);
	CHECK(memcmp(got, "537\n", 4) == 0);
	CHECK(ext2_unlink(&fs, big, "file-number-5", 13) == 0);
	CHECK(ext2_create(&fs, big, "new", 3, EXT2_S_IFREG | 0644, 0, 0,
			  &ino) == 0);
	CHECK(ext2_syncfs(&fs) == 0);
	CHECK(fsck_clean() == 0);
	CHECK(sh("debugfs -R 'stat /big' %s 2>/dev/null | grep -q 'Flags: 0x0'",
		 img) == 0);
	return debugfs_is("/big/file-number-600", "600\n", 4) ? 0 : 1;
}

int main(void)
{
	if (ext2img_init())
		return 1;
	RUN(mke2fs_tree_1k);
	RUN(mke2fs_tree_2k);
	RUN(mke2fs_tree_4k);
	RUN(write_sizes);
	RUN(triple_indirect);
	RUN(thousand_files);
	RUN(big_file);
	RUN(renames);
	RUN(links_and_dirs);
	RUN(unlink_open);
	RUN(truncates);
	RUN(owners_and_times);
	RUN(fsync_on_disk);
	RUN(features);
	RUN(bad_images);
	RUN(disk_full);
	RUN(htree_directory);
	RUN(lying_counts);
	sh("rm -rf %s", tmp);
	return check_done();
}
