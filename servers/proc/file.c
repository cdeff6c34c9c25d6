/*
 * Programs from files: the process server reads an ELF file from the file
 * tree (ramfs's root, PROC_SLOT_FILES) over 9P into a memory object of its
 * own, mapped for the loader, and drops it after the spawn.
 */
#include <9p/errstr.h>
#include <9p/portal.h>
#include <metta.h>
#include <metta/proto.h>
#include <fmt/fmt.h>
#include <string/kstring.h>

#include "proc.h"

#define FILE_VA	  0x640000000000ull
#define FILE_MAX  (64ull << 20) /* bytes: the largest program we read */
#define ROOT_FID  0
#define FILE_FID  1
#define PATH_PART 64 /* bytes of one name in a path */

static struct p9c files;
static uint32_t conn, image_mem;
static uint8_t tbuf[P9_PORTAL_MSIZE], rbuf[P9_PORTAL_MSIZE];

/* Our connection to the file tree, made at first use. */
static int files_up(void)
{
	static int up;
	if (up)
		return 0;
	conn = metta_slot_alloc(); /* a failed try left it empty */
	int rc = p9_portal_connect(&files, PROC_SLOT_FILES, conn, tbuf, rbuf);
	if (rc == 0)
		rc = p9c_attach(&files, ROOT_FID, "proc", "", 0);
	up = rc == 0;
	return rc;
}

#define PATH_LEN  1024 /* bytes of a path, links substituted */
#define MAX_LINKS 40   /* links followed in one path, as Linux */

/* A link's target, read through FILE_FID (which it leaves open). */
static int read_link(char *target, size_t cap)
{
	if (p9c_open(&files, FILE_FID, P9_OREAD, 0))
		return -P9_EACCES;
	long n = p9c_read(&files, FILE_FID, 0, target, (uint32_t)cap - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -P9_ENOENT;
	target[n] = 0;
	return 0;
}

/*
 * path with the link just reached substituted: its target (absolute, or
 * relative to the link's directory `dir`, dlen bytes of path), then the
 * rest of the path after the link.
 */
static int substitute(char *path, size_t dlen, const char *target,
		      const char *rest)
{
	char out[PATH_LEN];
	int n = target[0] == '/'
		    ? fmt_snprintf(out, sizeof(out), "%s%s", target, rest)
		    : fmt_snprintf(out, sizeof(out), "%.*s/%s%s", (int)dlen,
				   path, target, rest);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -P9_ENAMETOOLONG;
	memcpy(path, out, (size_t)n + 1);
	return 0;
}

/*
 * Walks FILE_FID along the absolute path, one name at a time; a name that
 * is a symbolic link (busybox's applets are) puts the link's target in
 * its place, and the walk starts again, 40 links at most.
 */
static int walk_path(const char *in)
{
	char path[PATH_LEN];
	if (strlen(in) >= sizeof(path))
		return -P9_ENAMETOOLONG;
	strcpy(path, in);
	for (int links = 0; links <= MAX_LINKS; links++) {
		int rc = p9c_walk(&files, ROOT_FID, FILE_FID, 0, 0, 0);
		const char *p = path;
		int again = 0;
		while (rc >= 0 && *p && !again) {
			char part[PATH_PART];
			int n = 0;
			while (*p == '/')
				p++;
			const char *start = p;
			while (*p && *p != '/' && n < PATH_PART - 1)
				part[n++] = *p++;
			part[n] = 0;
			if (*p && *p != '/') {
				rc = -P9_ENAMETOOLONG;
				break;
			}
			if (!n)
				break;
			const char *names[1] = { part };
			struct p9_qid q;
			rc = p9c_walk(&files, FILE_FID, FILE_FID, 1, names, &q);
			rc = rc == 1 ? 0 : rc < 0 ? rc : -P9_ENOENT;
			if (rc == 0 && (q.type & P9_QTSYMLINK)) {
				char target[PATH_LEN];
				rc = read_link(target, sizeof(target));
				if (rc == 0)
					rc = substitute(
					    path, (size_t)(start - path - 1),
					    target, p);
				p9c_clunk(&files, FILE_FID);
				again = rc == 0;
			}
		}
		if (!again)
			return rc < 0 ? rc : 0;
	}
	return -P9_ELOOP;
}

/* Reads the open FILE_FID's size bytes to FILE_VA. */
static long read_all(uint64_t size)
{
	for (uint64_t at = 0; at < size;) {
		uint32_t want = p9c_iounit(&files);
		if (want > size - at)
			want = (uint32_t)(size - at);
		long n = p9c_read(&files, FILE_FID, at, (uint8_t *)FILE_VA + at,
				  want);
		if (n <= 0)
			return n < 0 ? n : -P9_EIO;
		at += (uint64_t)n;
	}
	return 0;
}

/* The file's size once opened for reading: 0 or a status, and why. */
static long open_file(const char *path, uint64_t *size, const char **why)
{
	struct p9_stat st;
	if (walk_path(path)) {
		*why = "no such file";
		return STATUS_ERR_NOENT;
	}
	if (p9c_stat(&files, FILE_FID, &st)) {
		*why = "cannot stat it";
		return STATUS_ERR_NOENT;
	}
	*size = st.length;
	if (st.mode & P9_DMDIR) {
		*why = "a directory";
		return STATUS_ERR_DENIED;
	}
	if (!(st.mode & 0111)) {
		*why = "not executable";
		return STATUS_ERR_DENIED;
	}
	if (st.length == 0 || st.length > FILE_MAX) {
		*why = st.length ? "larger than 64 MiB" : "an empty file";
		return STATUS_ERR_CORRUPT;
	}
	if (p9c_open(&files, FILE_FID, P9_OREAD, 0)) {
		*why = "cannot open it";
		return STATUS_ERR_DENIED;
	}
	return 0;
}

long proc_file_read(const char *path, const void **image, uint64_t *size,
		    const char **why)
{
	*why = "cannot reach the file tree";
	long rc = files_up() ? STATUS_ERR_NOENT : open_file(path, size, why);
	if (rc) {
		p9c_clunk(&files, FILE_FID);
		return rc;
	}
	uint64_t pages = (*size + 4095) / 4096;
	image_mem = metta_slot_alloc();
	long st = metta_mem_create(image_mem, pages);
	if (st == 0)
		st = metta_mem_map(CAP_SELF, image_mem, 0, FILE_VA, pages,
				   RIGHT_READ | RIGHT_WRITE);
	if (st) {
		*why = "no memory to read it into";
		metta_cap_delete(image_mem);
	} else if (read_all(*size)) {
		*why = "a read failed";
		proc_file_done();
		st = STATUS_ERR_CORRUPT;
	}
	p9c_clunk(&files, FILE_FID);
	*image = (const void *)FILE_VA;
	return st;
}

void proc_file_done(void)
{
	metta_mem_unmap(CAP_SELF, FILE_VA);
	metta_cap_delete(image_mem);
}
