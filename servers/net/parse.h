/*
 * Reading the net server's text: ctl messages split into words, dotted
 * IPv4 addresses, Plan 9's "A!P" addresses, masks. Pure code (no lwIP),
 * host-tested (tests/host/test_netparse.c). Addresses and masks are in
 * network byte order; every function returns 0 or -P9_EINVAL and leaves
 * its outputs alone on error.
 */
#ifndef SERVERS_NET_PARSE_H
#define SERVERS_NET_PARSE_H

#include <stdint.h>

#define NET_MAXWORDS 4

/* A message's words: separated by spaces, a trailing newline allowed. */
struct net_words {
	const char *w[NET_MAXWORDS];
	uint32_t len[NET_MAXWORDS];
	int n;
};

/* msg[len] split: at least one word and at most NET_MAXWORDS. */
int net_words(const char *msg, uint32_t len, struct net_words *w);
/* Whether word i is s. */
int net_word_is(const struct net_words *w, int i, const char *s);
/* Decimal digits only (1 to 10 of them), at most max. */
int net_parse_num(const char *s, uint32_t len, uint32_t max, uint32_t *v);
/* "a.b.c.d", each 0-255. */
int net_parse_ip(const char *s, uint32_t len, uint32_t *addr);
/* "A!P", "*!P" or "P" (address 0: any), and with lport "A!P!L" too:
 * *lport is left alone when there is no L. Ports 0-65535. */
int net_parse_addr(const char *s, uint32_t len, uint32_t *addr,
		   uint32_t *port, uint32_t *lport);
/* A mask: dotted with contiguous ones, or "/N" (0-32). */
int net_parse_mask(const char *s, uint32_t len, uint32_t *mask);
/* "A/N" (ip lines of /etc/net.conf). */
int net_parse_cidr(const char *s, uint32_t len, uint32_t *addr,
		   uint32_t *mask);
/* The prefix length of a mask, or -1 when its ones are not contiguous. */
int net_prefix_of(uint32_t mask);

#endif
