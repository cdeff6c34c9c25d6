/*
 * ENOSPC: only with POSIXTEST_ENOSPC=<directory on a small file system>
 * (the runner leaves the test out, and out of the count, otherwise).
 * Fills a file there in 64 KiB writes until a write fails, expects
 * ENOSPC (possibly after one short write), removes the file, and expects
 * the space to be usable again.
 */
#include "posixtest.h"

#include <stdio.h>
#include <stdlib.h>

#define CHUNK (64 * 1024)
#define MAXCHUNKS 16384 /* 1 GiB: give up, the file system is not small */

static char chunk[CHUNK];

static void fill(const char *path)
{
	int fd = OK(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
	long total = 0, r = 0;
	int e = 0, shortw = 0;
	for (int i = 0; i < MAXCHUNKS; i++) {
		r = PT_EVAL(write(fd, chunk, CHUNK));
		e = errno;
		if (r < 0)
			break;
		total += r;
		if (r == 0) {
			CHECKF(0, "write(fd, buf, %d) = 0 after %ld bytes", CHUNK, total);
		} else if (r < CHUNK) {
			/* A short write: the next one must fail. */
			CHECKF(!shortw, "two short writes (%ld) without an error, %ld bytes in",
			       r, total);
			shortw = 1;
		} else {
			CHECKF(!shortw, "a full write after a short write, %ld bytes in", total);
		}
	}
	CHECKF(r < 0, "%s: wrote %ld bytes without running out of space", path, total);
	CHECKF(e == ENOSPC, "write(fd, buf, %d) after %ld bytes = %ld, errno %d (%s), "
	       "expected -1 with ENOSPC", CHUNK, total, r, e, pt_errname(e));
	CHECKF(total > 0, "no space at all in %s", path);
	/* Still full. */
	ERR(write(fd, chunk, CHUNK), ENOSPC);
	OK(close(fd));
	struct stat st;
	OK(stat(path, &st));
	EQ(st.st_size, total);
}

static void again(const char *path)
{
	int fd = OK(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
	EQ(write(fd, chunk, CHUNK), CHUNK);
	OK(close(fd));
}

void pt_test_enospc(void)
{
	const char *dir = getenv("POSIXTEST_ENOSPC");
	char path[4200], path2[4200];
	CHECK(dir && *dir);
	snprintf(path, sizeof path, "%s/pt_enospc.%d", dir, (int)getpid());
	snprintf(path2, sizeof path2, "%s/pt_enospc2.%d", dir, (int)getpid());
	memset(chunk, 0xe5, sizeof chunk);
	fill(path);
	if (pt_failed) {
		unlink(path);
		return;
	}
	/* After removing the file the space can be used again. */
	OK(unlink(path));
	again(path2);
	unlink(path2);
	if (pt_failed)
		return;
	struct stat st;
	ERR(stat(path, &st), ENOENT);
	ERR(stat(path2, &st), ENOENT);
}
