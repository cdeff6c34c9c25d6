/*
 * log: the system log. It registers a ring with the nucleus, so that
 * every line the nucleus prints (its own messages and every domain's log
 * calls, each tagged with its source) reaches it, stamps each line with
 * the time it arrived, and keeps a bounded history (the newest 64 KiB)
 * that anyone may read back from an offset (LOG_READ).
 * Slot 5: its portal.
 */
#include <fmt/fmt.h>
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define PORTAL	   5
#define RING	   20
#define RING_EVENT 21
#define RING_VA	   0x500000000000ull
#define RING_PAGES 16
#define HISTORY	   (64 * 1024)

static char history[HISTORY];
static volatile uint64_t written; /* bytes ever added to the history */
static uint8_t reader_stack[16384] __attribute__((aligned(16)));

static struct metta_mutex mutex;

static void take(void)
{
	metta_mutex_lock(&mutex);
}

static void give(void)
{
	metta_mutex_unlock(&mutex);
}

static void add(const char *s, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		history[(written + i) % HISTORY] = s[i];
	written += n;
}

/* Copies new ring bytes into the history, a time stamp before each line. */
static void reader(void)
{
	const struct metta_log_ring *r = (const struct metta_log_ring *)RING_VA;
	uint64_t seen = 0;
	int at_line_start = 1;
	for (;;) {
		metta_event_wait(RING_EVENT, 1, 0);
		uint64_t head = r->head;
		if (head - seen > r->size)
			seen =
			    head -
			    r->size; /* we fell behind: the oldest are lost */
		take();
		for (; seen < head; seen++) {
			char c = (char)r->data[seen % r->size];
			if (at_line_start) {
				char stamp[24];
				uint64_t ns = (uint64_t)metta_clock();
				int k = fmt_snprintf(
				    stamp, sizeof(stamp), "[%5lu.%06lu] ",
				    ns / 1000000000, ns / 1000 % 1000000);
				add(stamp, (uint64_t)k);
			}
			add(&c, 1);
			at_line_start = c == '\n';
		}
		give();
	}
}

/*
 * Up to max bytes of the history from offset *from (moved up to the oldest
 * byte kept when older); *from is left at the byte after them.
 */
static uint64_t read_history(uint8_t *buf, uint64_t max, uint64_t *from)
{
	take();
	uint64_t at = *from, oldest = written > HISTORY ? written - HISTORY : 0;
	if (at < oldest)
		at = oldest;
	if (at > written)
		at = written;
	uint64_t n = written - at;
	if (n > max)
		n = max;
	for (uint64_t i = 0; i < n; i++)
		buf[i] = (uint8_t)history[(at + i) % HISTORY];
	give();
	*from = at + n;
	return n;
}

/* LOG_READ: the history from offset w1 (or its oldest byte); w1 = next. */
static long op_read(struct server_call *c)
{
	c->reply_len = read_history(c->reply, SERVER_BUF, &c->w[1]);
	return STATUS_OK;
}

/* The same as a file over 9P, /dev/log: offsets count every byte logged;
 * a write adds lines to the log. */
static long file_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	return (long)read_history(buf, count, &offset);
}

static long file_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)offset;
	metta_log(data, count > 1024 ? 1024 : count);
	return count;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "log", 1, 0666, 0, file_read, file_write, 0, 0 },
};
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 32, 16);

static const server_op ops[] = {
	[LOG_READ] = op_read,
	P9_PORTAL_OPS,
};
static const struct server log = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mutex_init(&mutex) || metta_mem_create(RING, RING_PAGES) ||
	    metta_event_create(RING_EVENT) ||
	    metta_mem_map(CAP_SELF, RING, 0, RING_VA, RING_PAGES,
			  RIGHT_READ | RIGHT_WRITE) ||
	    metta_log_register(RING, RING_EVENT, 1))
		return 1;
	uint32_t t = metta_slot_alloc();
	if (metta_thread_create(CAP_SELF, t, (uint64_t)reader,
				(uint64_t)&reader_stack[sizeof(reader_stack)] -
				    8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(t, THREAD_START, 0))
		return 2;
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	tree.type = 'l'; /* devices: character special files to programs */
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
	server_run(&log);
}
