/*
 * What the ext2 host tests share: an image file made by mke2fs -d from
 * the folder TMP/src as the device, mounting it, and the checks by
 * e2fsck -fn and debugfs.
 */
#ifndef TESTS_HOST_EXT2IMG_H
#define TESTS_HOST_EXT2IMG_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "9p/errstr.h"
#include "ext2/ext2.h"

static char tmp[64];
static char img[128];
static int imgfd = -1;
static struct ext2 fs;
static uint8_t mem[8 << 20];
static uint32_t fake_now = 1700000000;

static inline uint32_t clock_fn(void)
{
	return fake_now;
}

static inline int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	return pread(imgfd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -P9_EIO;
}
static inline int dev_write(void *ctx, uint64_t off, const void *buf,
			    size_t len)
{
	(void)ctx;
	return pwrite(imgfd, buf, len, (off_t)off) == (ssize_t)len ? 0
								   : -P9_EIO;
}
static inline int dev_flush(void *ctx)
{
	(void)ctx;
	return fsync(imgfd) ? -P9_EIO : 0;
}
static const struct ext2_dev dev = { dev_read, dev_write, dev_flush, 0 };

static inline int sh(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* A file of the source folder with contents s. */
static inline void put_src(const char *rel, const char *s)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/src/%s", tmp, rel);
	FILE *f = fopen(p, "w");
	fputs(s, f);
	fclose(f);
}

/* An image of kib KiB with blocks of bs bytes from folder src (extra:
 * more mke2fs options), opened as the device. */
static inline int make_image(int bs, int kib, const char *extra)
{
	if (imgfd >= 0)
		close(imgfd);
	snprintf(img, sizeof(img), "%s/img", tmp);
	unlink(img);
	if (sh("mke2fs -q -F -t ext2 -b %d %s -d %s/src %s %d >/dev/null 2>&1",
	       bs, extra, tmp, img, kib))
		return 1;
	imgfd = open(img, O_RDWR);
	return imgfd < 0;
}

static inline int do_mount(void)
{
	int rc = ext2_mount(&fs, &dev, mem, sizeof(mem), clock_fn, 0);
	if (rc)
		fprintf(stderr, "mount: %d %s\n", rc, fs.msg);
	return rc;
}

static inline int fsck_clean(void)
{
	return sh("e2fsck -fn %s >%s/fsck.out 2>&1", img, tmp) == 0
		   ? 0
		   : (sh("cat %s/fsck.out >&2", tmp), 1);
}

/* debugfs's cat of path equals want[len]. */
static inline int debugfs_is(const char *path, const void *want, size_t len)
{
	char out[256];
	snprintf(out, sizeof(out), "%s/cat.out", tmp);
	if (sh("debugfs -R 'cat %s' %s >%s 2>/dev/null", path, img, out))
		return 0;
	FILE *f = fopen(out, "rb");
	if (!f)
		return 0;
	uint8_t *got = malloc(len + 1);
	size_t n = fread(got, 1, len + 1, f);
	fclose(f);
	int same = n == len && memcmp(got, want, len) == 0;
	free(got);
	return same;
}

/* The scratch folder TMP (mkdtemp), or 1. */
static inline int ext2img_init(void)
{
	if (system("command -v mke2fs e2fsck debugfs >/dev/null 2>&1") != 0) {
		printf("FAIL ext2: mke2fs, e2fsck and debugfs (e2fsprogs) are "
		       "needed\n");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/ext2test.XXXXXX");
	return mkdtemp(tmp) ? 0 : 1;
}

static inline int reset_src(void)
{
	return sh("rm -rf %s/src && mkdir -p %s/src", tmp, tmp);
}

#endif
