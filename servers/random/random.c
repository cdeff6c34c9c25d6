/*
 * random: random bytes from a ChaCha20 keystream whose key is drawn at
 * start (and every 1 MiB of output) from RDSEED or RDRAND where the CPU
 * has them, mixed with TSC jitter; the key is replaced after every
 * request, so earlier output cannot be recomputed (fast key erasure).
 * RANDOM_READ w1 = count (at most 4096). Slot 5: its portal.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

#define PORTAL	 5
#define MAX_READ 4096

static uint32_t key[8];
static uint64_t counter, since_reseed;

static inline uint32_t rotl(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

#define QR(a, b, c, d)                                                    \
	a += b, d ^= a, d = rotl(d, 16), c += d, b ^= c, b = rotl(b, 12), \
			a += b, d ^= a, d = rotl(d, 8), c += d, b ^= c,   \
			b = rotl(b, 7)

/* One ChaCha20 block (RFC 8439) of the current key and counter. */
static void block(uint32_t out[16])
{
	uint32_t x[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	memcpy(x + 4, key, sizeof(key));
	x[12] = (uint32_t)counter, x[13] = (uint32_t)(counter >> 32);
	x[14] = x[15] = 0;
	uint32_t in[16];
	memcpy(in, x, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + in[i];
	counter++;
}

static int hw_random(uint64_t *v)
{
	uint8_t ok = 0;
	uint32_t a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	if (b & (1u << 18))
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
	if (!ok) {
		__asm__("cpuid"
			: "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			: "a"(1), "c"(0));
		if (c & (1u << 30))
			__asm__ volatile("rdrand %0; setc %1"
					 : "=r"(*v), "=qm"(ok));
	}
	return ok;
}

static void reseed(void)
{
	for (int i = 0; i < 8; i += 2) {
		uint64_t v = 0, t0, t1;
		hw_random(&v);
		__asm__ volatile("rdtsc; shlq $32, %%rdx; orq %%rdx, %%rax"
				 : "=a"(t0)
				 :
				 : "rdx");
		metta_yield(); /* scheduling jitter in the low bits */
		__asm__ volatile("rdtsc; shlq $32, %%rdx; orq %%rdx, %%rax"
				 : "=a"(t1)
				 :
				 : "rdx");
		v ^= t0 * 0x9e3779b97f4a7c15ull ^ (t1 - t0);
		key[i] ^= (uint32_t)v;
		key[i + 1] ^= (uint32_t)(v >> 32);
	}
	since_reseed = 0;
}

static void fill(uint8_t *buf, uint64_t n)
{
	if (since_reseed > (1u << 20))
		reseed();
	uint32_t out[16];
	for (uint64_t at = 0; at < n; at += 64) {
		block(out);
		memcpy(buf + at, out, n - at < 64 ? n - at : 64);
	}
	block(out); /* a fresh key: this output cannot be recomputed */
	memcpy(key, out, sizeof(key));
	since_reseed += n;
}

static long op_read(struct server_call *c)
{
	uint64_t n = c->w[1];
	if (n > MAX_READ)
		return STATUS_ERR_RANGE;
	fill(c->reply, n);
	c->reply_len = n;
	return STATUS_OK;
}

/* The same as a file over 9P: /dev/random. */
static long file_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst, (void)offset;
	fill(buf, count);
	return count;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "random", 1, 0444, 0, file_read, 0, 0, 0 },
	/* The same generator, as Linux's urandom is since 5.6: programs
	 * (busybox, glibc's and musl's callers) open either name. */
	{ "urandom", 2, 0444, 0, file_read, 0, 0, 0 },
};
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 32, 16);

static const server_op ops[] = {
	[RANDOM_READ] = op_read,
	P9_PORTAL_OPS,
};
static const struct server random = { PORTAL, ops,
				      sizeof(ops) / sizeof(ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	reseed();
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	tree.type = 'r'; /* devices: character special files to programs */
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
	server_run(&random);
}
