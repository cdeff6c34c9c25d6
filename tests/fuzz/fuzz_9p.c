/*
 * libFuzzer target for the 9P2000 codec. Any input may be handed to
 * p9_decode and p9_stat_decode; the sanitizers catch reads past the end. An
 * input the decoder accepts must encode back to exactly the same bytes (the
 * wire format has one encoding per message), or the two sides disagree.
 */
#include <stdint.h>
#include <string.h>

#include "9p/9p.h"

static uint8_t out[1 << 17];

static void check_message(const uint8_t *data, size_t size)
{
	struct p9_msg m;
	if (p9_decode(data, size, &m) != 0)
		return;
	long n = p9_encode(out, sizeof(out), &m);
	if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
		__builtin_trap();
}

/* Directory-read data: a run of stat entries, each re-encoded. */
static void check_stats(const uint8_t *data, size_t size)
{
	struct p9_stat st;
	long n;
	while ((n = p9_stat_decode(data, size, &st)) > 0) {
		long e = p9_stat_encode(out, sizeof(out), &st);
		if (e != n || memcmp(out, data, (size_t)n) != 0)
			__builtin_trap();
		data += n;
		size -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_message(data, size);
	check_stats(data, size);
	return 0;
}
