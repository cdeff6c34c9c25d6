/*
 * newc cpio reader: entries and their fields, 4-byte alignment of names
 * and data, symbolic links' entries, the trailer ends the archive (and what follows is ignored),
 * and every truncation or corruption is refused without reading past the
 * end (ASan checks the bound: each cut archive is its own allocation).
 */
#include <stdlib.h>

#include "check.h"
#include "newc.h"
#include "cpio/cpio.h"
#include <metta/status.h>

static uint8_t ar[4096];
static size_t arlen;

/* Append one newc entry (magic 070701 unless m2). */
static void add(const char *name, uint32_t mode, const char *data, int m2)
{
	struct newc a = { ar, arlen };
	newc_add(&a, name, mode, data, 1234, m2);
	arlen = a.len;
}

static void build(void)
{
	arlen = 0;
	add(".", CPIO_S_IFDIR | 0755, 0, 0);
	add("dir", CPIO_S_IFDIR | 0700, 0, 0);
	add("dir/file", CPIO_S_IFREG | 0644, "hello", 1);
	add("empty", CPIO_S_IFREG | 0600, 0, 0);
	add("odd-name", CPIO_S_IFREG | 0755, "abcdefg", 0);
	add(CPIO_TRAILER, 0, 0, 0);
}

static int entries_and_alignment(void)
{
	struct cpio_iter it;
	struct cpio_entry e;
	static const char *names[] = { ".", "dir", "dir/file", "empty",
				       "odd-name" };
	build();
	cpio_iter_init(&it, ar, arlen);
	for (int i = 0; i < 5; i++) {
		CHECK(cpio_next(&it, &e) == 1);
		CHECK_STR(e.name, names[i]);
		CHECK(e.namelen == strlen(names[i]));
		CHECK(((const uint8_t *)e.data - ar) % 4 == 0);
		CHECK(e.mtime == 1234 && e.nlink == 1 && e.uid == 0);
	}
	CHECK(cpio_next(&it, &e) == 0);
	CHECK(cpio_next(&it, &e) == 0);
	cpio_iter_init(&it, ar, arlen);
	CHECK(cpio_next(&it, &e) == 1 && e.mode == (CPIO_S_IFDIR | 0755));
	CHECK(cpio_next(&it, &e) == 1 && e.size == 0);
	CHECK(cpio_next(&it, &e) == 1 && e.size == 5);
	CHECK(memcmp(e.data, "hello", 5) == 0 &&
	      e.mode == (CPIO_S_IFREG | 0644));
	CHECK(cpio_next(&it, &e) == 1 && e.size == 0);
	CHECK(cpio_next(&it, &e) == 1 && e.size == 7);
	CHECK(memcmp(e.data, "abcdefg", 7) == 0);
	return 0;
}

/* A symbolic link's entry: its type in the mode, its target as data
 * (what ramfs makes a link of). */
static int symlink_entry(void)
{
	struct cpio_iter it;
	struct cpio_entry e;
	arlen = 0;
	add("bin/sh", CPIO_S_IFLNK | 0777, "busybox", 0);
	add("dangling", CPIO_S_IFLNK | 0777, "/no/such/file", 1);
	add(CPIO_TRAILER, 0, 0, 0);
	cpio_iter_init(&it, ar, arlen);
	CHECK(cpio_next(&it, &e) == 1 && (e.mode & CPIO_S_IFMT) == CPIO_S_IFLNK);
	CHECK(e.size == 7 && memcmp(e.data, "busybox", 7) == 0);
	CHECK_STR(e.name, "bin/sh");
	CHECK(cpio_next(&it, &e) == 1 && e.mode == (CPIO_S_IFLNK | 0777));
	CHECK(e.size == 13 && memcmp(e.data, "/no/such/file", 13) == 0);
	CHECK(cpio_next(&it, &e) == 0);
	/* Cut inside the target: refused like any other data. */
	uint8_t *cut = malloc(arlen - 8);
	memcpy(cut, ar, arlen - 8);
	cpio_iter_init(&it, cut, 110 + 8 + 4);
	CHECK(cpio_next(&it, &e) == STATUS_ERR_CORRUPT);
	free(cut);
	return 0;
}

/* Run the whole archive a[len]: 0 at the trailer, or the error. */
static int scan(const uint8_t *a, size_t len, int *count)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int rc;
	*count = 0;
	cpio_iter_init(&it, a, len);
	while ((rc = cpio_next(&it, &e)) == 1)
		(*count)++;
	return rc;
}

/* Every cut of the archive in ar is refused as corrupt. */
static int cuts_refused(void)
{
	int n;
	for (size_t len = 0; len < arlen; len++) {
		uint8_t *cut = malloc(len ? len : 1);
		memcpy(cut, ar, len);
		int rc = scan(cut, len, &n);
		free(cut);
		CHECK(rc == STATUS_ERR_CORRUPT);
	}
	return 0;
}

static int truncation_refused(void)
{
	int n;
	build();
	CHECK(scan(ar, arlen, &n) == 0 && n == 5);
	return cuts_refused();
}

static int trailer_ends_it(void)
{
	int n;
	build();
	add("after", CPIO_S_IFREG | 0644, "x", 0);
	memset(ar + arlen, 0, 100); /* and block padding */
	CHECK(scan(ar, arlen + 100, &n) == 0 && n == 5);
	/* No trailer at all: corrupt, not a short archive. */
	arlen = 0;
	add("a", CPIO_S_IFREG | 0644, "x", 0);
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT && n == 1);
	return 0;
}

static int corruption_refused(void)
{
	int n;
	struct cpio_iter it;
	struct cpio_entry e;
	build();
	ar[0] = '1'; /* magic */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT && n == 0);
	build();
	ar[6 + 8 + 3] = 'g'; /* not hex (mode) */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT);
	build();
	ar[110 + 1] = 'x'; /* name "." loses its NUL */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT);
	build();
	memcpy(ar + 6 + 8 * 6, "FFFFFFFF", 8); /* huge filesize */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT);
	build();
	memcpy(ar + 6 + 8 * 11, "FFFFFFFF", 8); /* huge namesize */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT);
	build();
	memcpy(ar + 6 + 8 * 11, "00000000", 8); /* no name at all */
	CHECK(scan(ar, arlen, &n) == STATUS_ERR_CORRUPT);
	/* Errors stick. */
	cpio_iter_init(&it, ar, arlen);
	CHECK(cpio_next(&it, &e) == STATUS_ERR_CORRUPT);
	CHECK(cpio_next(&it, &e) == STATUS_ERR_CORRUPT);
	/* Random damage never crashes or reads outside. */
	srand(3);
	for (int i = 0; i < 20000; i++) {
		build();
		for (int k = 0; k < 3; k++)
			ar[(size_t)rand() % arlen] = (uint8_t)rand();
		size_t len = (size_t)rand() % (arlen + 1);
		uint8_t *cut = malloc(len ? len : 1);
		memcpy(cut, ar, len);
		int rc = scan(cut, len, &n);
		free(cut);
		CHECK(rc == 0 || rc == STATUS_ERR_CORRUPT);
	}
	return 0;
}

/* A symbolic link (newc: mode 0120000, the target as the data). */
static int symlink_entry_and_its_cuts(void)
{
	struct cpio_iter it;
	struct cpio_entry e;
	arlen = 0;
	add(".", CPIO_S_IFDIR | 0755, 0, 0);
	add("bin/sh", CPIO_S_IFLNK | 0777, "busybox", 0);
	add(CPIO_TRAILER, 0, 0, 0);
	cpio_iter_init(&it, ar, arlen);
	CHECK(cpio_next(&it, &e) == 1);
	CHECK(cpio_next(&it, &e) == 1);
	CHECK_STR(e.name, "bin/sh");
	CHECK(e.mode == (CPIO_S_IFLNK | 0777));
	CHECK((e.mode & CPIO_S_IFMT) == CPIO_S_IFLNK);
	CHECK(e.size == 7 && memcmp(e.data, "busybox", 7) == 0);
	CHECK(cpio_next(&it, &e) == 0);
	return cuts_refused();
}

/*
 * The archive the build made with tools/mkcpio.py from a tree holding
 * bin/bash, a link etc/rc -> /bin/sh, a stand-in busybox (whose --list
 * names busybox, sh, ls and bash) and a manifest: each entry as meant.
 */
#ifndef MKCPIO_SAMPLE
#error "MKCPIO_SAMPLE: the path of the archive the Makefile makes"
#endif
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	if (!f)
		return 0;
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return *len < sizeof(buf) ? buf : 0;
}

/* The entry called name, if the archive has exactly one. */
static int find(const uint8_t *a, size_t len, const char *name,
		struct cpio_entry *out)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int found = 0, rc;
	cpio_iter_init(&it, a, len);
	while ((rc = cpio_next(&it, &e)) == 1)
		if (!strcmp(e.name, name)) {
			*out = e;
			found++;
		}
	return rc == 0 && found == 1;
}

static int link_to(const uint8_t *a, size_t len, const char *name,
		   const char *target)
{
	struct cpio_entry e;
	return find(a, len, name, &e) && e.mode == (CPIO_S_IFLNK | 0777) &&
	       e.size == strlen(target) && !memcmp(e.data, target, e.size);
}

static int mkcpio_archive(void)
{
	size_t len;
	const uint8_t *a = read_all(MKCPIO_SAMPLE, &len);
	struct cpio_entry bb, e;
	char want[64];
	CHECK(a);
	CHECK(find(a, len, "bin/busybox", &bb));
	/* Modes are the files' (a checkout's umask may vary them). */
	CHECK((bb.mode & CPIO_S_IFMT) == CPIO_S_IFREG && (bb.mode & 0100));
	CHECK(bb.size > 0);
	CHECK(memcmp(bb.data, "#!/bin/sh", 9) == 0);
	CHECK(link_to(a, len, "bin/sh", "busybox"));
	CHECK(link_to(a, len, "bin/ls", "busybox"));
	CHECK(link_to(a, len, "etc/rc", "/bin/sh"));
	/* The applet named like a file already there is left out. */
	CHECK(find(a, len, "bin/bash", &e));
	CHECK((e.mode & CPIO_S_IFMT) == CPIO_S_IFREG);
	CHECK(e.size == 16 && !memcmp(e.data, "taken by a file\n", 16));
	/* The manifest: "/bin/busybox SIZE CRC32", one line. */
	CHECK(find(a, len, "etc/image-manifest", &e));
	int n = snprintf(want, sizeof(want), "/bin/busybox %zu ", bb.size);
	CHECK(e.size == (size_t)n + 9 && !memcmp(e.data, want, (size_t)n));
	CHECK(((const char *)e.data)[e.size - 1] == '\n');
	return 0;
}

int main(void)
{
	RUN(entries_and_alignment);
	RUN(symlink_entry);
	RUN(truncation_refused);
	RUN(trailer_ends_it);
	RUN(corruption_refused);
	RUN(symlink_entry_and_its_cuts);
	RUN(mkcpio_archive);
	return check_done();
}
