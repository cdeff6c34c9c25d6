/*
 * The system image (Metta's root.cpio): the files the build put there
 * are whole and readable. /etc/image-manifest, written by the build,
 * lists each file it copied in (Debian's busybox, bash, zsh and e2fsck) as
 * "/PATH SIZE CRC32"; each must be a regular executable ELF file of
 * exactly that size and CRC-32. The files a shell expects in /etc and
 * root's home are there too. Only run where the manifest is (posixtest.c).
 */
#include "posixtest.h"

#include <stdint.h>
#include <stdlib.h>

/* zlib's CRC-32 (reflected, polynomial 0xEDB88320), as the build's. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* The file's size and CRC-32 as read through read(2) in 64 KiB pieces. */
static int sum_file(const char *path, size_t *size, uint32_t *crc)
{
	static unsigned char buf[65536];
	int fd = open(path, O_RDONLY);
	long n;
	if (fd < 0)
		return -1;
	*size = 0;
	*crc = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		*crc = crc32_update(*crc, buf, (size_t)n);
		*size += (size_t)n;
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Check one manifest line's file; the FAIL line is printed here. */
static void check_listed(const char *path, size_t size, uint32_t crc)
{
	struct stat st;
	size_t got;
	uint32_t sum;
	char magic[4];
	OK(stat(path, &st));
	CHECKF(S_ISREG(st.st_mode), "%s: mode %#o, not a regular file", path,
	       (unsigned)st.st_mode);
	CHECKF((st.st_mode & 0111) == 0111, "%s: mode %#o, not executable", path,
	       (unsigned)st.st_mode);
	CHECKF((size_t)st.st_size == size, "%s: stat says %lld bytes, the build %zu",
	       path, (long long)st.st_size, size);
	int fd = OK(open(path, O_RDONLY));
	EQ(read(fd, magic, 4), 4);
	OK(close(fd));
	CHECKF(!memcmp(magic, "\177ELF", 4), "%s: not an ELF file", path);
	OK(sum_file(path, &got, &sum));
	CHECKF(got == size && sum == crc,
	       "%s: read %zu bytes with CRC-32 %08x, the build has %zu and %08x",
	       path, got, sum, size, crc);
	pt_say("posixtest: %s: %zu bytes, CRC-32 %08x, as built", path, size, crc);
}

/* What the build copies in (the Makefile's root.cpio rule): each must be
 * listed once, and each name the package gives it too must lead to it. */
static const struct {
	const char *path, *alias;
} image_binaries[] = {
	{ "/bin/busybox", 0 },
	{ "/bin/bash", 0 },
	{ "/bin/zsh", "/bin/zsh-static" },
	{ "/sbin/e2fsck", "/sbin/e2fsck.static" },
};
#define N_IMAGE_BINARIES (sizeof image_binaries / sizeof image_binaries[0])

static void check_alias(const char *path, const char *alias)
{
	struct stat a, b;
	OK(stat(path, &a));
	OK(stat(alias, &b));
	CHECKF(a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	       "%s is not %s", alias, path);
}

static void t_image_manifest(void)
{
	char line[512], path[256];
	int seen[N_IMAGE_BINARIES] = { 0 };
	size_t size;
	unsigned crc;
	FILE *f = fopen(PT_IMAGE_MANIFEST, "r");
	CHECKF(f, "fopen(%s): errno %d", PT_IMAGE_MANIFEST, errno);
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%255s %zu %x", path, &size, &crc) != 3) {
			fclose(f);
			CHECKF(0, "bad manifest line: %s", line);
		}
		for (size_t i = 0; i < N_IMAGE_BINARIES; i++)
			seen[i] += !strcmp(path, image_binaries[i].path);
		check_listed(path, size, crc);
		if (pt_failed)
			break;
	}
	fclose(f);
	for (size_t i = 0; i < N_IMAGE_BINARIES && !pt_failed; i++) {
		CHECKF(seen[i] == 1, "the manifest lists %s %d times",
		       image_binaries[i].path, seen[i]);
		if (image_binaries[i].alias)
			check_alias(image_binaries[i].path,
				    image_binaries[i].alias);
	}
}

/* The whole of a small file as a string: its length, or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n;
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void t_image_etc(void)
{
	char buf[4096];
	struct stat st;
	OK(slurp("/etc/passwd", buf, sizeof buf));
	CHECKF(!strncmp(buf, "root:x:0:0:root:/root:/bin/sh\n", 30),
	       "/etc/passwd: %s", buf);
	OK(slurp("/etc/group", buf, sizeof buf));
	CHECKF(!strncmp(buf, "root:x:0:\n", 10), "/etc/group: %s", buf);
	OK(slurp("/etc/hostname", buf, sizeof buf));
	CHECKF(!strcmp(buf, "metta\n"), "/etc/hostname: %s", buf);
	OK(slurp("/etc/profile", buf, sizeof buf));
	static const char *const wants[] = {
		"\nPATH=/bin:/sbin:/usr/bin:/usr/sbin\n", "\nHOME=/root\n",
		"\nTERM=linux\n", "\nPS1='\\w # '\n",
		"\nexport PATH HOME TERM PS1\n",
	};
	for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++)
		CHECKF(strstr(buf, wants[i]), "/etc/profile lacks %s", wants[i] + 1);
	OK(stat("/root", &st));
	CHECKF(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	       "/root: mode %#o", (unsigned)st.st_mode);
}

const struct pt_test pt_image_tests[] = {
	{ "image_manifest", t_image_manifest },
	{ "image_etc", t_image_etc },
	{ 0, 0 },
};
