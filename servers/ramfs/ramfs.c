/*
 * ramfs: a file system in memory, served over 9P. The root nester starts
 * it with its portal in slot 5 (serve right), a read-only memory object
 * holding a newc cpio archive in slot 12, argv[1] the archive's size in
 * bytes and argv[2] the heap size in KiB; the tree is filled from the
 * archive and lives in the heap (file data and nodes both), which bounds
 * how much the clients can store.
 */
#include <metta.h>
#include <metta/proto.h>

#include "9p/portal.h"
#include "9p/srv.h"
#include "tree.h"

#define PORTAL	5
#define ARCHIVE 12
#define ARCH_VA 0x500000000000ull
#define HEAP_VA 0x510000000000ull
/* Windows onto files in memory (tree.h): one per file, each WINDOW_SIZE
 * of address space from WINDOWS_VA, given back when the file goes. */
#define WINDOWS_VA  0x520000000000ull
#define WINDOW_SIZE (2ull << 30) /* above RAMFS_MAXFILE */
#define NWINDOWS    4096
#define MSIZE	P9_PORTAL_MSIZE
#define NCONN	16
#define NFID	256
#define OWNER	"root"

static struct ramfs fs;
static struct p9srv srv;
static P9SRV_STORAGE(store, NCONN, NFID);
static uint64_t boot_epoch; /* seconds since 1970 at clock() 0 */
static uint32_t heap_slot;
static uint64_t windows_used[NWINDOWS / 64];

/* A decimal number, or -1 when s is empty or holds anything else. */
static int64_t decimal(const char *s)
{
	int64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static uint32_t now(void)
{
	return (uint32_t)(boot_epoch + (uint64_t)metta_clock() / 1000000000);
}

/* Ask tod once; without it timestamps count from boot. */
static void clock_init(void)
{
	uint64_t w[4] = { TOD_GET };
	if (metta_request(CAP_TOD, w, 0, 0, 0, 0, 0, 0, 0) == 0)
		boot_epoch = w[1] - (uint64_t)metta_clock() / 1000000000;
}

static uint64_t pages(uint64_t bytes)
{
	return (bytes + RAMFS_PAGE - 1) / RAMFS_PAGE;
}

/* The heap of kib KiB at HEAP_VA: 0 or an error. */
static long heap_create(uint64_t kib)
{
	uint32_t slot = metta_slot_alloc();
	uint64_t n = pages(kib * 1024);
	if (!slot)
		return STATUS_ERR_NOMEM;
	long rc = metta_mem_create(slot, n);
	if (rc)
		return rc;
	heap_slot = slot;
	return metta_mem_map(CAP_SELF, slot, 0, HEAP_VA, n,
			     RIGHT_READ | RIGHT_WRITE);
}

/* Files in memory (tree.h): an object and a window for each, and the
 * object of its state page mapped just after. */
static int file_mem_create(struct ramfs *f, uint32_t *mem, uint32_t *state,
			   uint8_t **window)
{
	(void)f;
	int w = 0;
	while (w < NWINDOWS && (windows_used[w / 64] >> (w % 64) & 1))
		w++;
	if (w == NWINDOWS)
		return -P9_ENOMEM;
	uint64_t va = WINDOWS_VA + (uint64_t)w * WINDOW_SIZE;
	uint32_t data = metta_mem_at(va, RAMFS_MAXPAGES);
	uint32_t st = data ? metta_mem_at(va + RAMFS_MAXFILE, 1) : 0;
	if (!st) {
		if (data) {
			metta_mem_unmap(CAP_SELF, va);
			metta_cap_delete(data);
		}
		return -P9_ENOMEM;
	}
	windows_used[w / 64] |= 1ull << (w % 64);
	*mem = data;
	*state = st;
	*window = (uint8_t *)va;
	return 0;
}

static void file_mem_destroy(struct ramfs *f, uint32_t mem, uint32_t state,
			     uint8_t *window)
{
	(void)f;
	uint64_t w = ((uint64_t)window - WINDOWS_VA) / WINDOW_SIZE;
	metta_mem_unmap(CAP_SELF, (uint64_t)window);
	metta_mem_unmap(CAP_SELF, (uint64_t)window + RAMFS_MAXFILE);
	metta_cap_delete(mem); /* clients' mappings keep the objects */
	metta_cap_delete(state);
	windows_used[w / 64] &= ~(1ull << (w % 64));
}

static void file_mem_discard(struct ramfs *f, uint32_t mem, uint64_t first,
			     uint64_t n)
{
	(void)f;
	if (!mem) { /* region pages: first is an address in the heap */
		mem = heap_slot;
		first = (first - HEAP_VA) / RAMFS_PAGE;
	}
	metta_mem_discard(mem, first, n);
}

static const struct ramfs_mem file_mem = {
	.create = file_mem_create,
	.destroy = file_mem_destroy,
	.discard = file_mem_discard,
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	int64_t size = argc > 2 ? decimal(argv[1]) : -1;
	int64_t kib = argc > 2 ? decimal(argv[2]) : -1;
	if (size < 0 || kib <= 0) {
		metta_printf("ramfs: usage: ramfs ARCHIVE-BYTES HEAP-KIB\n");
		return 1;
	}
	long rc = size ? metta_mem_map(CAP_SELF, ARCHIVE, 0, ARCH_VA,
				       pages((uint64_t)size), RIGHT_READ)
		       : 0;
	if (rc == 0)
		rc = heap_create((uint64_t)kib);
	if (rc) {
		metta_printf("ramfs: memory: %s\n", status_name((int)rc));
		return 1;
	}
	clock_init();
	if (ramfs_init(&fs, (void *)HEAP_VA, (size_t)kib * 1024, now, OWNER)) {
		metta_printf("ramfs: heap too small\n");
		return 1;
	}
	fs.mem = &file_mem;
	rc = size ? ramfs_load_cpio(&fs, (const void *)ARCH_VA, (size_t)size)
		  : 0;
	if (rc)
		metta_printf("ramfs: archive: %s (kept what loaded)\n",
			     status_name((int)rc));
	metta_printf("ramfs: %u files, %u links, %lu KiB loaded, %lu KiB free\n",
		     fs.loaded_files, fs.loaded_links,
		     (unsigned long)((fs.loaded_bytes + 1023) / 1024),
		     (unsigned long)(ramfs_free_bytes(&fs) / 1024));
	p9srv_init(&srv, &ramfs_ops, &fs, MSIZE, P9SRV_STORAGE_ARGS(store));
	srv.quiet_clunk = 1; /* files in memory: a reader's clunk is unseen */
	p9_portal_share_tree(&srv); /* its names change only by 9P */
	p9_serve_portal(&srv, PORTAL);
}
