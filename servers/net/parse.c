/* Reading the net server's text: see parse.h. */
#include "parse.h"

#include <string/kstring.h>

#include "9p/errstr.h"

int net_words(const char *msg, uint32_t len, struct net_words *w)
{
	struct net_words out = { .n = 0 };
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	for (uint32_t i = 0; i < len;) {
		while (i < len && msg[i] == ' ')
			i++;
		if (i == len)
			break;
		if (out.n == NET_MAXWORDS)
			return -P9_EINVAL;
		uint32_t start = i;
		while (i < len && msg[i] != ' ')
			i++;
		out.w[out.n] = msg + start;
		out.len[out.n++] = i - start;
	}
	if (!out.n)
		return -P9_EINVAL;
	*w = out;
	return 0;
}

int net_word_is(const struct net_words *w, int i, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	return i >= 0 && i < w->n && w->len[i] == n &&
	       memcmp(w->w[i], s, n) == 0;
}

int net_parse_num(const char *s, uint32_t len, uint32_t max, uint32_t *v)
{
	uint64_t n = 0;
	if (len == 0 || len > 10)
		return -P9_EINVAL;
	for (uint32_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -P9_EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return -P9_EINVAL;
	*v = (uint32_t)n;
	return 0;
}

int net_parse_ip(const char *s, uint32_t len, uint32_t *addr)
{
	uint8_t b[4];
	uint32_t i = 0;
	for (int k = 0; k < 4; k++) {
		uint32_t start = i, v;
		while (i < len && s[i] != '.')
			i++;
		if (net_parse_num(s + start, i - start, 255, &v) ||
		    (k < 3 && i++ >= len))
			return -P9_EINVAL;
		b[k] = (uint8_t)v;
	}
	if (i != len)
		return -P9_EINVAL;
	memcpy(addr, b, 4);
	return 0;
}

/* The index of the first c in s[from, len), or len. */
static uint32_t find(const char *s, uint32_t from, uint32_t len, char c)
{
	while (from < len && s[from] != c)
		from++;
	return from;
}

int net_parse_addr(const char *s, uint32_t len, uint32_t *addr,
		   uint32_t *port, uint32_t *lport)
{
	uint32_t a = 0, p, l = 0;
	uint32_t bang = find(s, 0, len, '!');
	if (bang == len) { /* a port alone */
		if (net_parse_num(s, len, 65535, &p))
			return -P9_EINVAL;
		*addr = 0, *port = p;
		return 0;
	}
	uint32_t bang2 = find(s, bang + 1, len, '!');
	if (!(bang == 1 && s[0] == '*') && net_parse_ip(s, bang, &a))
		return -P9_EINVAL;
	if (net_parse_num(s + bang + 1, bang2 - bang - 1, 65535, &p))
		return -P9_EINVAL;
	if (bang2 < len &&
	    (!lport || net_parse_num(s + bang2 + 1, len - bang2 - 1, 65535, &l)))
		return -P9_EINVAL;
	*addr = a, *port = p;
	if (bang2 < len)
		*lport = l;
	return 0;
}

/* Network order to host order, on a little-endian machine or not. */
static uint32_t host_order(uint32_t net)
{
	const uint8_t *b = (const uint8_t *)&net;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint32_t net_order(uint32_t host)
{
	uint8_t b[4] = { (uint8_t)(host >> 24), (uint8_t)(host >> 16),
			 (uint8_t)(host >> 8), (uint8_t)host };
	uint32_t v;
	memcpy(&v, b, 4);
	return v;
}

int net_prefix_of(uint32_t mask)
{
	uint32_t m = host_order(mask);
	int n = 0;
	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	return (n == 32 ? 0xffffffffu : ~(0xffffffffu >> n)) == m ? n : -1;
}

int net_parse_mask(const char *s, uint32_t len, uint32_t *mask)
{
	uint32_t n, m;
	if (len && s[0] == '/') {
		if (net_parse_num(s + 1, len - 1, 32, &n))
			return -P9_EINVAL;
		*mask = net_order(n ? ~0u << (32 - n) : 0);
		return 0;
	}
	if (net_parse_ip(s, len, &m) || net_prefix_of(m) < 0)
		return -P9_EINVAL;
	*mask = m;
	return 0;
}

int net_parse_cidr(const char *s, uint32_t len, uint32_t *addr,
		   uint32_t *mask)
{
	uint32_t slash = find(s, 0, len, '/'), a, m;
	if (slash == len || net_parse_ip(s, slash, &a) ||
	    net_parse_mask(s + slash, len - slash, &m))
		return -P9_EINVAL;
	*addr = a, *mask = m;
	return 0;
}
