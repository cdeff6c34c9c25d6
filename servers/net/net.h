/*
 * net: the TCP/IP server (docs/servers.md, "net"). lwIP (Debian's source
 * package, built with servers/net/lwip/lwipopts.h) does the protocols;
 * this server serves Plan 9's /net over 9P (ip(3)) and drives the
 * Ethernet card through the ether driver's 9P files.
 *
 * One lock: lib/9p's portal lock (p9_portal_lock). Every call into lwIP
 * and every change of the state below is made under it: the 9P handlers
 * run under it already; the receive thread (a frame from the card into
 * lwIP), the timer thread (lwIP's timeouts) and the start-up take it.
 * lwIP's callbacks therefore run under it too, and answer held requests
 * (p9srv_respond_*) from there. Nothing blocks under the lock: frames
 * going out are queued for the transmit thread, which writes them to the
 * card without it.
 *
 * Parts: conv.c (conversations over lwIP's raw API), fs.c (the 9P tree),
 * ether.c (the card as an lwIP netif, DHCP, /net/ipifc), parse.c (ctl
 * messages and addresses: pure, host-tested), sys.c (what lwIP asks of
 * its platform), main.c (start-up and threads).
 */
#ifndef SERVERS_NET_NET_H
#define SERVERS_NET_NET_H

#include <stdint.h>

#include "9p/srv.h"

#include "parse.h"

#define NET_PROTOS     3   /* tcp, udp, icmp */
#define NET_MAXCONV    256 /* conversations of each protocol */
/* Requests held at once: a waiting read and a readiness query for every
 * conversation (lib/9p's default of 64 would refuse the 65th waiting
 * reader of the whole machine with EBUSY). */
#define NET_MAXHELD    (2 * NET_PROTOS * NET_MAXCONV)
#define NET_MAXFNODE   512 /* clone and listen fids (fs.c) */
#define NET_UDPQ       32  /* datagrams queued on a conversation */
#define NET_BACKLOG    16  /* default listen backlog */
#define NET_MAXBACKLOG 64
#define NET_WBUFS      8 /* held TCP writes keeping their data */
#define NET_WBUF_SIZE  (64 * 1024)
#define NET_CTL_MAX    256 /* longest ctl message */

enum net_proto { NET_TCP, NET_UDP, NET_ICMP };

/* Plan 9's UDP header (headers mode): raddr laddr ifcaddr rport lport. */
#define NET_UDP_HDR 52

/* ICMP reads: src[4] ttl[1] pad[3], then the message. */
#define NET_ICMP_RHDR 8
#define NET_ICMP_WHDR 4

struct pbuf;
struct conv;

/* ---- conv.c: conversations ---- */

void conv_init(void);
/* A new conversation of proto, with one reference; 0 when all are used
 * (or lwIP has no room for its pcb). */
struct conv *conv_new(int proto);
/* Conversation id of proto if it is live, else 0. */
struct conv *conv_get(int proto, uint32_t id);
uint32_t conv_id(const struct conv *c);
int conv_proto(const struct conv *c);
void conv_ref(struct conv *c);
void conv_unref(struct conv *c);
/* A file of c was opened: a connection handed out by listen is its
 * opener's from now on. */
void conv_opened(struct conv *c);
/* Conversations in use of proto (stats). */
uint32_t conv_count(int proto);
/* The i-th live conversation of proto at or after index *at: 1 and its
 * id, or 0 past the last (directory listing). */
int conv_next(int proto, uint32_t *at, uint32_t *id);

/* The files' operations (fs.c calls them under the lock). Each returns
 * a count, a negative errno, or P9SRV_HELD. */
long conv_ctl(struct conv *c, uint64_t offset, const char *msg, uint32_t len);
long conv_read_data(struct conv *c, uint64_t offset, void *buf, uint32_t count);
long conv_write_data(struct conv *c, uint64_t offset, const void *data,
		     uint32_t count);
long conv_query(struct conv *c, uint64_t offset, uint8_t *buf);
long conv_read_listen(struct conv *c, void *node, uint64_t offset, void *buf,
		      uint32_t count);
/* Text of local, remote, status into buf[cap]: its length. */
int conv_local(struct conv *c, char *buf, int cap);
int conv_remote(struct conv *c, char *buf, int cap);
int conv_status(struct conv *c, char *buf, int cap);
/* A held request ends unanswered (flush, clunk, caller gone). */
void conv_forget(struct p9srv_req *r);
/* The listen fid whose node is node goes: connections it was handed and nobody
 * opened are freed. */
void conv_listen_gone(void *node);

/* ---- fs.c: the tree ---- */

extern const struct p9srv_ops net_ops;
void fs_init(struct p9srv *srv);
extern struct p9srv *net_srv;

/* ---- ether.c: the card and /net/ipifc ---- */

/* Finds the card (names "ether0", once pci has started its drivers) and
 * brings it up: the static address of /etc/net.conf, else DHCP. 0 when
 * there is none: loopback only. Called before serving, without the
 * lock. */
int ether_start(void);
int ether_status(char *buf, int cap);
long ether_ctl(const char *msg, uint32_t len);
int ether_ndb(char *buf, int cap);

/* ---- main.c ---- */

/* Loopback frames queued by lwIP go through now (after every call into
 * lwIP that may send). */
void net_poll(void);

#endif
