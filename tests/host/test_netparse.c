/*
 * Host tests of the net server's reading of text (servers/net/parse.c):
 * ctl messages into words, dotted addresses, Plan 9's A!P forms, masks;
 * every malformed input refused with nothing written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../servers/net/parse.h"
#include "9p/errstr.h"

static uint32_t ip(int a, int b, int c, int d)
{
	uint8_t x[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };
	uint32_t v;
	memcpy(&v, x, 4);
	return v;
}

static int words_of(const char *s, struct net_words *w)
{
	return net_words(s, (uint32_t)strlen(s), w);
}

static int test_words(void)
{
	struct net_words w;
	CHECK(words_of("connect 1.2.3.4!80\n", &w) == 0 && w.n == 2);
	CHECK(net_word_is(&w, 0, "connect") && !net_word_is(&w, 0, "conn"));
	CHECK(w.len[1] == 10 && !memcmp(w.w[1], "1.2.3.4!80", 10));
	CHECK(words_of("  hangup  ", &w) == 0 && w.n == 1);
	CHECK(net_word_is(&w, 0, "hangup") && !net_word_is(&w, 1, "hangup"));
	CHECK(!net_word_is(&w, -1, "hangup"));
	CHECK(words_of("a b c d", &w) == 0 && w.n == 4);
	w.n = 77;
	CHECK(words_of("a b c d e", &w) == -P9_EINVAL && w.n == 77);
	CHECK(words_of("", &w) == -P9_EINVAL && w.n == 77);
	CHECK(words_of("\n", &w) == -P9_EINVAL);
	CHECK(words_of("   ", &w) == -P9_EINVAL);
	CHECK(words_of("x\ty", &w) == 0 && w.n == 1); /* tabs are no spaces */
	return 0;
}

static int test_numbers(void)
{
	uint32_t v = 7;
	CHECK(net_parse_num("0", 1, 10, &v) == 0 && v == 0);
	CHECK(net_parse_num("65535", 5, 65535, &v) == 0 && v == 65535);
	v = 7;
	CHECK(net_parse_num("65536", 5, 65535, &v) == -P9_EINVAL && v == 7);
	CHECK(net_parse_num("", 0, 10, &v) == -P9_EINVAL);
	CHECK(net_parse_num("-1", 2, 10, &v) == -P9_EINVAL);
	CHECK(net_parse_num("1x", 2, 10, &v) == -P9_EINVAL);
	CHECK(net_parse_num("99999999999", 11, ~0u, &v) == -P9_EINVAL);
	CHECK(net_parse_num("4294967295", 10, ~0u, &v) == 0 && v == ~0u);
	CHECK(net_parse_num("9999999999", 10, ~0u, &v) == -P9_EINVAL);
	CHECK(v == ~0u);
	return 0;
}

static int parse_ip(const char *s, uint32_t *a)
{
	return net_parse_ip(s, (uint32_t)strlen(s), a);
}

static int test_ips(void)
{
	uint32_t a = 1;
	CHECK(parse_ip("10.0.2.15", &a) == 0 && a == ip(10, 0, 2, 15));
	CHECK(parse_ip("255.255.255.255", &a) == 0 && a == ip(255, 255, 255, 255));
	CHECK(parse_ip("0.0.0.0", &a) == 0 && a == 0);
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.",
		".1.2.3", "a.b.c.d", "1.2.3.4 ", "-1.2.3.4", "1.2.3.4!80",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 1;
		CHECK(parse_ip(bad[i], &a) == -P9_EINVAL && a == 1);
	}
	return 0;
}

static int parse_addr(const char *s, uint32_t *a, uint32_t *p, uint32_t *l)
{
	return net_parse_addr(s, (uint32_t)strlen(s), a, p, l);
}

static int test_addrs(void)
{
	uint32_t a = 9, p = 9, l = 9;
	CHECK(parse_addr("127.0.0.1!7777", &a, &p, &l) == 0);
	CHECK(a == ip(127, 0, 0, 1) && p == 7777 && l == 9);
	CHECK(parse_addr("10.0.2.2!80!1234", &a, &p, &l) == 0);
	CHECK(a == ip(10, 0, 2, 2) && p == 80 && l == 1234);
	CHECK(parse_addr("*!53", &a, &p, 0) == 0 && a == 0 && p == 53);
	CHECK(parse_addr("0", &a, &p, 0) == 0 && a == 0 && p == 0);
	a = p = l = 9;
	static const char *const bad[] = {
		"", "!", "!80", "1.2.3.4!", "1.2.3.4!80!", "1.2.3.4!65536",
		"*!", "**!80", "x", "1.2.3.4!80!70000", "1.2.3.4!8 0",
		"1.2.3.4!80!1!2", "300.1.1.1!80",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse_addr(bad[i], &a, &p, &l) == -P9_EINVAL);
		CHECK(a == 9 && p == 9 && l == 9);
	}
	/* A local port where none is allowed. */
	CHECK(parse_addr("1.2.3.4!80!90", &a, &p, 0) == -P9_EINVAL && a == 9);
	return 0;
}

static int parse_mask(const char *s, uint32_t *m)
{
	return net_parse_mask(s, (uint32_t)strlen(s), m);
}

static int test_masks(void)
{
	uint32_t m = 5, a = 5;
	CHECK(parse_mask("255.255.255.0", &m) == 0 && m == ip(255, 255, 255, 0));
	CHECK(net_prefix_of(m) == 24);
	CHECK(parse_mask("/8", &m) == 0 && m == ip(255, 0, 0, 0));
	CHECK(parse_mask("/0", &m) == 0 && m == 0 && net_prefix_of(m) == 0);
	CHECK(parse_mask("/32", &m) == 0 && net_prefix_of(m) == 32);
	CHECK(parse_mask("/31", &m) == 0 && m == ip(255, 255, 255, 254));
	m = 5;
	CHECK(parse_mask("/33", &m) == -P9_EINVAL && m == 5);
	CHECK(parse_mask("255.0.255.0", &m) == -P9_EINVAL && m == 5);
	CHECK(parse_mask("/", &m) == -P9_EINVAL && m == 5);
	CHECK(net_prefix_of(ip(0, 255, 255, 255)) == -1);
	CHECK(net_parse_cidr("10.0.2.20/24", 12, &a, &m) == 0);
	CHECK(a == ip(10, 0, 2, 20) && m == ip(255, 255, 255, 0));
	a = m = 5;
	CHECK(net_parse_cidr("10.0.2.20", 9, &a, &m) == -P9_EINVAL);
	CHECK(net_parse_cidr("10.0.2/24", 9, &a, &m) == -P9_EINVAL);
	CHECK(net_parse_cidr("10.0.2.20/40", 12, &a, &m) == -P9_EINVAL);
	CHECK(a == 5 && m == 5);
	return 0;
}

/* Every prefix of every input and every byte changed: no crash, no
 * read past the length (ASan), an answer of 0 or EINVAL. */
static int test_fuzzish(void)
{
	static const char *const seeds[] = {
		"connect 10.0.2.2!80!1234\n", "announce *!7777", "255.255.255.0",
		"/24", "10.0.2.20/24",
	};
	char buf[64];
	for (unsigned s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		uint32_t n = (uint32_t)strlen(seeds[s]);
		for (uint32_t cut = 0; cut <= n; cut++)
			for (uint32_t at = 0; at < n; at++)
				for (int v = 0; v < 256; v += 17) {
					memcpy(buf, seeds[s], n);
					buf[at] = (char)v;
					char *exact = malloc(cut ? cut : 1);
					memcpy(exact, buf, cut);
					struct net_words w;
					uint32_t a, p, l, m;
					int r[5] = {
						net_words(exact, cut, &w),
						net_parse_ip(exact, cut, &a),
						net_parse_addr(exact, cut, &a, &p, &l),
						net_parse_mask(exact, cut, &m),
						net_parse_cidr(exact, cut, &a, &m),
					};
					free(exact);
					for (int i = 0; i < 5; i++)
						CHECK(r[i] == 0 || r[i] == -P9_EINVAL);
				}
	}
	return 0;
}

int main(void)
{
	RUN(test_words);
	RUN(test_numbers);
	RUN(test_ips);
	RUN(test_addrs);
	RUN(test_masks);
	RUN(test_fuzzish);
	return check_done();
}
