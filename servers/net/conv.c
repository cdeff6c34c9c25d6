/*
 * Conversations (Plan 9's ip(3)): a TCP, UDP or ICMP endpoint over one
 * lwIP pcb, its ctl messages, its data, its readiness. Everything here
 * runs under the server's lock (net.h); lwIP's callbacks answer the
 * requests held on a conversation.
 *
 * A conversation lives while a fid names one of its files (refs), while
 * it waits in a listener's backlog (listener), or while it is a
 * connection a listen fid was handed and nobody has opened yet (owner).
 * When the last of these goes it is freed: its pcb closed (TCP: FIN, or
 * RST when data lay unread, as Linux), its queues emptied.
 */
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/priv/tcp_priv.h"

#include "net.h"

#define RXQ	 64    /* TCP: chains of received data held at once */
#define RX_CHAIN 32768 /* bytes a chain grows to */

struct dgram {
	struct pbuf *p;
	uint32_t raddr, laddr; /* network order */
	uint16_t rport;
	uint8_t ttl;
};

/* A held TCP write's data: what it still has to give lwIP. */
struct wbuf {
	uint8_t data[NET_WBUF_SIZE];
	uint32_t len, done;
	int used;
};

struct conv {
	uint8_t proto, inuse;
	uint32_t id, refs;
	void *owner;	       /* the listen fid's node it was handed to */
	struct conv *listener; /* whose backlog it waits in */
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
		struct raw_pcb *raw;
		void *any;
	} pcb;
	uint8_t listening, connecting, connected, headers, reuse, nodelay,
	    keepalive, rdshut, wrshut, eof, hungup, bound;
	int err;  /* pending error, for status and READY_ERR (clearerr) */
	int dead; /* the connection was reset or timed out: its errno */
	uint32_t rcvbuf, sndbuf, backlog;
	uint32_t laddr, raddr; /* network order */
	uint16_t lport, rport;
	/* TCP: received chains, the first partly read (rxoff). */
	struct pbuf *rx[RXQ];
	uint32_t rxhead, rxlen, rxoff;
	/* UDP, ICMP: datagrams. */
	struct dgram q[NET_UDPQ];
	uint32_t qhead, qlen;
	uint32_t nbacklog; /* a listener's waiting connections */
	uint64_t seq;	   /* when it came to the backlog (oldest first) */
	struct p9srv_req *rwait, *wwait, *qwait, *cwait, *lwait;
};

static struct conv convs[NET_PROTOS][NET_MAXCONV];
static struct wbuf wbufs[NET_WBUFS];
static uint64_t arrivals; /* connections ever accepted */

static const char *const state_names[] = {
	"Closed",      "Listen",   "SynSent",  "SynReceived",
	"Established", "FinWait1", "FinWait2", "CloseWait",
	"Closing",     "LastAck",  "TimeWait",
};

void conv_init(void)
{
	memset(convs, 0, sizeof(convs));
}

uint32_t conv_id(const struct conv *c)
{
	return c->id;
}

int conv_proto(const struct conv *c)
{
	return c->proto;
}

uint32_t conv_count(int proto)
{
	uint32_t n = 0;
	for (int i = 0; i < NET_MAXCONV; i++)
		n += convs[proto][i].inuse;
	return n;
}

struct conv *conv_get(int proto, uint32_t id)
{
	if (proto < 0 || proto >= NET_PROTOS || id >= NET_MAXCONV ||
	    !convs[proto][id].inuse)
		return 0;
	return &convs[proto][id];
}

int conv_next(int proto, uint32_t *at, uint32_t *id)
{
	for (; *at < NET_MAXCONV; (*at)++)
		if (convs[proto][*at].inuse) {
			*id = (*at)++;
			return 1;
		}
	return 0;
}

/* ---- held requests ---- */


/* A request that must wait: held on queue, or EAGAIN without waiting. */
static long wait_on(struct p9srv_req **queue, uint64_t offset)
{
	if (offset & PIPE_NOWAIT)
		return -P9_EAGAIN;
	struct p9srv_req *q = p9srv_hold(net_srv);
	if (!q)
		return -P9_EBUSY;
	q->aux = 0;
	p9srv_queue_put(queue, q);
	return P9SRV_HELD;
}

/* The conversation a held request's node belongs to (fs.c's nodes). */
struct conv *fs_node_conv(void *node);

static void wbuf_free(struct p9srv_req *q)
{
	struct wbuf *w = q->aux;
	if (w)
		w->used = 0;
	q->aux = 0;
}

void conv_forget(struct p9srv_req *q)
{
	struct conv *c = fs_node_conv(q->node);
	if (!c)
		return;
	struct p9srv_req **queues[] = { &c->rwait, &c->wwait, &c->qwait,
					&c->cwait, &c->lwait };
	for (unsigned i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		p9srv_queue_remove(queues[i], q);
	wbuf_free(q);
}

/* Answers every request of queue with error e. */
static void fail_all(struct p9srv_req **queue, int e)
{
	struct p9srv_req *q;
	while ((q = p9srv_queue_pop(queue))) {
		wbuf_free(q);
		p9srv_respond_error(q, e);
	}
}

/* ---- errors ---- */

/* lwIP's err_t from a call we made, as an errno. */
static int lwip_errno(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: case ERR_BUF: return P9_ENOBUFS;
	case ERR_RTE: return P9_ENETUNREACH;
	case ERR_USE: return P9_EADDRINUSE;
	case ERR_ISCONN: return P9_EISCONN;
	case ERR_ALREADY: case ERR_INPROGRESS: return P9_EALREADY;
	case ERR_CONN: return P9_ENOTCONN;
	case ERR_VAL: case ERR_ARG: return P9_EINVAL;
	case ERR_RST: return P9_ECONNRESET;
	case ERR_ABRT: return P9_ECONNABORTED;
	case ERR_IF: return P9_ENETDOWN;
	default: return P9_EIO;
	}
}

/* ---- readiness ---- */

static int rx_ready(const struct conv *c)
{
	return c->proto == NET_TCP ? c->rxlen != 0 : c->qlen != 0;
}

static uint8_t readiness(struct conv *c, uint64_t interest)
{
	uint8_t r = 0;
	if (c->proto != NET_TCP) {
		r = (rx_ready(c) ? READY_IN : 0) | READY_OUT;
	} else if (c->listening) {
		r = c->nbacklog ? READY_IN : 0;
	} else {
		int ended = c->eof || c->dead || c->rdshut;
		if (rx_ready(c) || ended)
			r |= READY_IN;
		if ((ended && !rx_ready(c)) || c->dead)
			r |= READY_HUP;
		if (c->connected && c->pcb.tcp && !c->wrshut &&
		    tcp_sndbuf(c->pcb.tcp) > 0 && !c->wwait)
			r |= READY_OUT;
		if (c->dead || c->wrshut)
			r |= READY_OUT; /* a write would fail at once */
	}
	if (c->err)
		r |= READY_ERR;
	uint8_t mask = (uint8_t)(interest & (READY_IN | READY_OUT));
	return r & (mask | READY_ERR | READY_HUP);
}

static void wake_queries(struct conv *c)
{
	struct p9srv_req **at = &c->qwait;
	while (*at) {
		struct p9srv_req *q = *at;
		uint8_t r = readiness(c, q->offset);
		if (!r) {
			at = &q->next;
			continue;
		}
		*at = q->next;
		q->next = 0;
		p9srv_respond_read(q, &r, 1);
	}
}

long conv_query(struct conv *c, uint64_t offset, uint8_t *buf)
{
	buf[0] = readiness(c, offset);
	if (buf[0] || (offset & PIPE_NOWAIT) ||
	    !(offset & (READY_IN | READY_OUT)))
		return 1;
	return wait_on(&c->qwait, offset);
}

/* ---- TCP data ---- */

/* Data on_recv could not keep (every slot full) is offered again now
 * that a read made room, not at lwIP's next timer. Not from inside
 * itself (on_recv wakes readers, which read). */
static void rx_refused(struct conv *c)
{
	static int busy;
	struct tcp_pcb *pcb = c->pcb.tcp;
	if (busy || !pcb || !pcb->refused_data)
		return;
	busy = 1;
	tcp_process_refused_data(pcb);
	busy = 0;
}

/* Up to count received bytes into buf, taken (the window opens). */
static uint32_t rx_take(struct conv *c, uint8_t *buf, uint32_t count)
{
	uint32_t got = 0;
	while (got < count && c->rxlen) {
		struct pbuf *p = c->rx[c->rxhead];
		uint32_t left = p->tot_len - c->rxoff;
		uint32_t n = count - got < left ? count - got : left;
		pbuf_copy_partial(p, buf + got, (u16_t)n, (u16_t)c->rxoff);
		got += n;
		c->rxoff += n;
		if (c->rxoff == p->tot_len) {
			pbuf_free(p);
			c->rx[c->rxhead] = 0;
			c->rxhead = (c->rxhead + 1) % RXQ;
			c->rxlen--;
			c->rxoff = 0;
		}
	}
	for (uint32_t k = got; c->pcb.tcp && k;) { /* tcp_recved's u16 */
		u16_t n = k > 0xffff ? 0xffff : (u16_t)k;
		tcp_recved(c->pcb.tcp, n);
		k -= n;
	}
	/* What was read is acknowledged now, not at lwIP's next timer (up
	 * to 250 ms): a sender whose buffer is full waits for that. */
	if (got && c->pcb.tcp && (c->pcb.tcp->flags & TF_ACK_DELAY)) {
		tcp_ack_now(c->pcb.tcp);
		tcp_output(c->pcb.tcp);
	}
	rx_refused(c);
	return got;
}

/* Keeps received chain p: appended to the last chain while that stays
 * below RX_CHAIN bytes (a pbuf's length is 16 bits), else in a new slot.
 * 0 when every slot is full. */
static int rx_put(struct conv *c, struct pbuf *p)
{
	struct pbuf *last = c->rxlen ? c->rx[(c->rxhead + c->rxlen - 1) % RXQ] : 0;
	if (last && (uint32_t)last->tot_len + p->tot_len <= RX_CHAIN) {
		pbuf_cat(last, p);
		return 1;
	}
	if (c->rxlen == RXQ)
		return 0;
	c->rx[(c->rxhead + c->rxlen) % RXQ] = p;
	c->rxlen++;
	return 1;
}

static void rx_drop_all(struct conv *c)
{
	while (c->rxlen) {
		pbuf_free(c->rx[c->rxhead]);
		c->rx[c->rxhead] = 0;
		c->rxhead = (c->rxhead + 1) % RXQ;
		c->rxlen--;
	}
	c->rxoff = 0;
}

/* Whether a TCP read now reads the end (0). */
static int tcp_at_end(const struct conv *c)
{
	return c->eof || c->rdshut || (c->hungup && !c->pcb.tcp);
}

static void wake_readers_tcp(struct conv *c)
{
	static uint8_t buf[NET_WBUF_SIZE];
	while (c->rwait && (c->rxlen || tcp_at_end(c) || c->dead)) {
		struct p9srv_req *q = p9srv_queue_pop(&c->rwait);
		if (!c->rxlen && !tcp_at_end(c)) {
			p9srv_respond_error(q, c->dead);
			continue;
		}
		uint32_t n = rx_take(c, buf, q->count);
		p9srv_respond_read(q, buf, n);
	}
}

/* What of data[len] lwIP takes now (its send buffer's room): bytes. */
static uint32_t tcp_give(struct conv *c, const uint8_t *data, uint32_t len)
{
	struct tcp_pcb *pcb = c->pcb.tcp;
	uint32_t done = 0;
	while (pcb && done < len) {
		uint32_t room = tcp_sndbuf(pcb), n = len - done;
		if (n > room)
			n = room;
		if (n > 0xffff)
			n = 0xffff;
		if (!n || tcp_write(pcb, data + done, (u16_t)n,
				    TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		done += n;
	}
	if (done)
		tcp_output(pcb);
	return done;
}

/* The error a write gets now, or 0. */
static int write_error(const struct conv *c)
{
	if (c->dead || c->wrshut || c->hungup || (c->connected && !c->pcb.tcp))
		return P9_EPIPE; /* (no pcb: lwIP ended the connection) */
	if (!c->connected && !c->connecting)
		return P9_ENOTCONN;
	return 0;
}

/* Held writes go on while lwIP takes their bytes, in order. */
static void wake_writers_tcp(struct conv *c)
{
	while (c->wwait) {
		struct p9srv_req *q = c->wwait;
		int e = write_error(c);
		if (e) {
			fail_all(&c->wwait, e);
			return;
		}
		if (!c->connected)
			return; /* still connecting */
		struct wbuf *w = q->aux;
		w->done += tcp_give(c, w->data + w->done, w->len - w->done);
		if (w->done < w->len)
			return;
		p9srv_queue_pop(&c->wwait);
		wbuf_free(q);
		p9srv_respond_write(q, q->count);
	}
}

static struct wbuf *wbuf_get(void)
{
	for (int i = 0; i < NET_WBUFS; i++)
		if (!wbufs[i].used) {
			wbufs[i].used = 1;
			return &wbufs[i];
		}
	return 0;
}

static long tcp_write_data(struct conv *c, uint64_t offset, const uint8_t *data,
			   uint32_t count)
{
	int e = write_error(c);
	if (e)
		return -e;
	if (count == 0)
		return 0;
	uint32_t done = 0;
	if (!c->wwait && c->connected)
		done = tcp_give(c, data, count);
	if (done == count)
		return count;
	if (offset & PIPE_NOWAIT)
		return done ? (long)done : -P9_EAGAIN;
	struct wbuf *w = wbuf_get();
	if (!w) /* every buffer keeps a held write: what went */
		return done ? (long)done : -P9_ENOBUFS;
	long rc = wait_on(&c->wwait, offset);
	if (rc != P9SRV_HELD) {
		w->used = 0;
		return rc;
	}
	memcpy(w->data, data + done, count - done);
	w->len = count - done;
	w->done = 0;
	net_srv->just_held->aux = w;
	return P9SRV_HELD;
}

static long tcp_read_data(struct conv *c, uint64_t offset, void *buf,
			  uint32_t count)
{
	if (c->listening)
		return -P9_EINVAL;
	if (c->rxlen && !c->rwait)
		return rx_take(c, buf, count);
	if (!c->rwait && tcp_at_end(c))
		return 0;
	if (!c->rwait && c->dead)
		return -c->dead;
	if (!c->connected && !c->connecting)
		return -P9_ENOTCONN;
	return wait_on(&c->rwait, offset);
}

/* ---- datagrams (UDP, ICMP) ---- */

static void dgram_drop_all(struct conv *c)
{
	while (c->qlen) {
		pbuf_free(c->q[c->qhead].p);
		c->qhead = (c->qhead + 1) % NET_UDPQ;
		c->qlen--;
	}
}

/* Keeps a datagram (a copy of p from offset off), or drops it when the
 * queue is full (as a full socket buffer drops). */
static void dgram_put(struct conv *c, struct pbuf *p, uint16_t off,
		      const struct dgram *d)
{
	if (c->qlen == NET_UDPQ || p->tot_len < off)
		return;
	struct pbuf *copy = pbuf_alloc(PBUF_RAW, (u16_t)(p->tot_len - off),
				       PBUF_RAM);
	if (!copy)
		return;
	pbuf_copy_partial(p, copy->payload, copy->len, off);
	struct dgram *slot = &c->q[(c->qhead + c->qlen) % NET_UDPQ];
	*slot = *d;
	slot->p = copy;
	c->qlen++;
}

static void put_mapped(uint8_t *out, uint32_t addr)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &addr, 4);
}

/* The datagram d as a read of count bytes gives it (with the header of
 * headers mode, or ICMP's): its length in buf. */
static uint32_t dgram_format(struct conv *c, const struct dgram *d,
			     uint8_t *buf, uint32_t count)
{
	uint8_t hdr[NET_UDP_HDR];
	uint32_t h = 0;
	if (c->proto == NET_ICMP) {
		memset(hdr, 0, NET_ICMP_RHDR);
		memcpy(hdr, &d->raddr, 4);
		hdr[4] = d->ttl;
		h = NET_ICMP_RHDR;
	} else if (c->headers) {
		put_mapped(hdr, d->raddr);
		put_mapped(hdr + 16, d->laddr);
		put_mapped(hdr + 32, d->laddr);
		hdr[48] = (uint8_t)(d->rport >> 8), hdr[49] = (uint8_t)d->rport;
		hdr[50] = (uint8_t)(c->lport >> 8), hdr[51] = (uint8_t)c->lport;
		h = NET_UDP_HDR;
	}
	uint32_t n = h < count ? h : count;
	memcpy(buf, hdr, n);
	uint32_t room = count - n, len = d->p->tot_len;
	if (len > room)
		len = room;
	pbuf_copy_partial(d->p, buf + n, (u16_t)len, 0);
	return n + len;
}

static uint32_t dgram_take(struct conv *c, uint8_t *buf, uint32_t count)
{
	struct dgram *d = &c->q[c->qhead];
	uint32_t n = dgram_format(c, d, buf, count);
	pbuf_free(d->p);
	c->qhead = (c->qhead + 1) % NET_UDPQ;
	c->qlen--;
	return n;
}

static void wake_readers_dgram(struct conv *c)
{
	static uint8_t buf[NET_WBUF_SIZE];
	while (c->rwait && c->qlen) {
		struct p9srv_req *q = p9srv_queue_pop(&c->rwait);
		p9srv_respond_read(q, buf, dgram_take(c, buf, q->count));
	}
}

static long dgram_read(struct conv *c, uint64_t offset, void *buf,
		       uint32_t count)
{
	if (c->qlen && !c->rwait)
		return dgram_take(c, buf, count);
	return wait_on(&c->rwait, offset);
}

/* A pbuf holding data[len] for lwIP to send. */
static struct pbuf *pbuf_of(const void *data, uint32_t len, pbuf_layer l)
{
	if (len > 0xffff - 64)
		return 0;
	struct pbuf *p = pbuf_alloc(l, (u16_t)len, PBUF_RAM);
	if (p)
		memcpy(p->payload, data, len);
	return p;
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static long udp_write_data(struct conv *c, const uint8_t *data, uint32_t count)
{
	ip_addr_t to;
	uint16_t port = c->rport;
	uint32_t addr = c->raddr;
	if (c->headers) {
		if (count < NET_UDP_HDR)
			return -P9_EINVAL;
		memcpy(&addr, data + 12, 4);
		port = be16(data + 48);
		data += NET_UDP_HDR;
		count -= NET_UDP_HDR;
	}
	if (!addr || !port)
		return -P9_EDESTADDRREQ;
	struct pbuf *p = pbuf_of(data, count, PBUF_TRANSPORT);
	if (!p)
		return count > 0xffff - 64 ? -P9_EMSGSIZE : -P9_ENOBUFS;
	ip_addr_set_ip4_u32(&to, addr);
	err_t e = udp_sendto(c->pcb.udp, p, &to, port);
	pbuf_free(p);
	if (e != ERR_OK)
		return -lwip_errno(e);
	c->lport = c->pcb.udp->local_port;
	return (long)count + (c->headers ? NET_UDP_HDR : 0);
}

static long icmp_write_data(struct conv *c, const uint8_t *data,
			    uint32_t count)
{
	ip_addr_t to;
	uint32_t addr;
	if (count < NET_ICMP_WHDR + 4) /* an ICMP header at least */
		return -P9_EINVAL;
	memcpy(&addr, data, 4);
	struct pbuf *p = pbuf_of(data + NET_ICMP_WHDR, count - NET_ICMP_WHDR,
				 PBUF_IP);
	if (!p)
		return -P9_ENOBUFS;
	ip_addr_set_ip4_u32(&to, addr);
	err_t e = raw_sendto(c->pcb.raw, p, &to);
	pbuf_free(p);
	return e == ERR_OK ? (long)count : -lwip_errno(e);
}

long conv_read_data(struct conv *c, uint64_t offset, void *buf,
		    uint32_t count)
{
	if (offset & READY_QUERY)
		return conv_query(c, offset, buf);
	if (count == 0)
		return 0;
	long rc = c->proto == NET_TCP ? tcp_read_data(c, offset, buf, count)
				      : dgram_read(c, offset, buf, count);
	net_poll();
	return rc;
}

long conv_write_data(struct conv *c, uint64_t offset, const void *data,
		     uint32_t count)
{
	long rc;
	if (c->proto == NET_TCP)
		rc = tcp_write_data(c, offset, data, count);
	else if (c->proto == NET_UDP)
		rc = udp_write_data(c, data, count);
	else
		rc = icmp_write_data(c, data, count);
	net_poll();
	return rc;
}

/* Everything waiting on c that can go now goes. */
static void wake(struct conv *c)
{
	if (c->proto == NET_TCP) {
		wake_readers_tcp(c);
		wake_writers_tcp(c);
	} else {
		wake_readers_dgram(c);
	}
	wake_queries(c);
}

/* ---- lwIP's callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conv *c = arg;
	(void)err;
	if (!c)
		return ERR_ABRT;
	if (!p) {
		c->eof = 1;
	} else if (c->rdshut) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
	} else if (!rx_put(c, p)) {
		return ERR_MEM; /* lwIP keeps it and offers it again */
	}
	wake(c);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	if (arg)
		wake(arg);
	return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conv *c = arg;
	(void)err;
	c->connecting = 0;
	c->connected = 1;
	c->laddr = ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip));
	c->lport = pcb->local_port;
	struct p9srv_req *q;
	while ((q = p9srv_queue_pop(&c->cwait)))
		p9srv_respond_write(q, q->count);
	wake(c);
	return ERR_OK;
}

/* The pcb is gone (lwIP freed it): reset, refused, timed out, or done. */
static void on_err(void *arg, err_t err)
{
	struct conv *c = arg;
	if (!c)
		return;
	c->pcb.tcp = 0;
	int e = err == ERR_RST ? (c->connecting ? P9_ECONNREFUSED : P9_ECONNRESET)
		: err == ERR_ABRT ? P9_ETIMEDOUT
		: err == ERR_CLSD ? 0
				  : lwip_errno(err);
	if (e) {
		c->err = e;
		c->dead = e == P9_ECONNREFUSED ? P9_ECONNREFUSED : e;
	} else {
		c->eof = 1;
	}
	c->connecting = 0;
	fail_all(&c->cwait, e ? e : P9_ECONNRESET);
	wake(c);
}

static void tcp_callbacks(struct conv *c, struct tcp_pcb *pcb)
{
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

/* No more callbacks to c (a listening pcb has only accept's). */
static void tcp_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, 0);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, 0);
		return;
	}
	tcp_recv(pcb, 0);
	tcp_sent(pcb, 0);
	tcp_err(pcb, 0);
}

static struct conv *conv_alloc(int proto);
static void conv_free(struct conv *c);

/* A connection came to listener l: a new conversation in l's backlog. */
static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conv *l = arg;
	struct conv *c = err == ERR_OK && l && l->nbacklog < l->backlog
			     ? conv_alloc(NET_TCP)
			     : 0;
	if (!c) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb.tcp = pcb;
	c->connected = 1;
	c->listener = l;
	c->seq = ++arrivals;
	c->laddr = ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip));
	c->lport = pcb->local_port;
	c->raddr = ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
	c->rport = pcb->remote_port;
	tcp_callbacks(c, pcb);
	l->nbacklog++;
	conv_read_listen(l, 0, 0, 0, 0); /* hands it to a waiting reader */
	wake_queries(l);
	return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		   const ip_addr_t *addr, u16_t port)
{
	struct conv *c = arg;
	(void)pcb;
	struct dgram d = { .raddr = ip4_addr_get_u32(ip_2_ip4(addr)),
			   .laddr = ip4_addr_get_u32(
			       ip_2_ip4(ip_current_dest_addr())),
			   .rport = port };
	dgram_put(c, p, 0, &d);
	pbuf_free(p);
	wake(c);
}

/* Every ICMP message that comes (its IP header first): a copy for the
 * conversation; lwIP's own ICMP (echo replies to pings) goes on. */
static u8_t on_icmp(void *arg, struct raw_pcb *pcb, struct pbuf *p,
		    const ip_addr_t *addr)
{
	struct conv *c = arg;
	(void)pcb;
	const struct ip_hdr *ip = p->payload;
	if (p->len < IP_HLEN)
		return 0;
	struct dgram d = { .raddr = ip4_addr_get_u32(ip_2_ip4(addr)),
			   .ttl = IPH_TTL(ip) };
	dgram_put(c, p, (uint16_t)IPH_HL_BYTES(ip), &d);
	wake(c);
	return 0;
}

/* ---- conversations: made, freed ---- */

static int make_pcb(struct conv *c)
{
	switch (c->proto) {
	case NET_TCP:
		if (!(c->pcb.tcp = tcp_new_ip_type(IPADDR_TYPE_V4)))
			return -1;
		tcp_callbacks(c, c->pcb.tcp);
		return 0;
	case NET_UDP:
		if (!(c->pcb.udp = udp_new_ip_type(IPADDR_TYPE_V4)))
			return -1;
		udp_recv(c->pcb.udp, on_udp, c);
		return 0;
	default:
		if (!(c->pcb.raw = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP)))
			return -1;
		raw_recv(c->pcb.raw, on_icmp, c);
		return 0;
	}
}

/* A free slot of proto, cleared, with no pcb and no reference. */
static struct conv *conv_alloc(int proto)
{
	for (uint32_t i = 0; i < NET_MAXCONV; i++) {
		struct conv *c = &convs[proto][i];
		if (c->inuse)
			continue;
		memset(c, 0, sizeof(*c));
		c->inuse = 1;
		c->proto = (uint8_t)proto;
		c->id = i;
		c->backlog = NET_BACKLOG;
		return c;
	}
	return 0;
}

struct conv *conv_new(int proto)
{
	struct conv *c = conv_alloc(proto);
	if (!c)
		return 0;
	if (make_pcb(c)) {
		c->inuse = 0;
		return 0;
	}
	c->refs = 1;
	return c;
}

/* Closes c's TCP pcb: FIN, or RST when received data lay unread (as
 * Linux); lwIP finishes the close on its own. */
static void tcp_end(struct conv *c)
{
	struct tcp_pcb *pcb = c->pcb.tcp;
	c->pcb.tcp = 0;
	if (!pcb)
		return;
	tcp_detach(pcb);
	if (pcb->state != LISTEN && c->rxlen)
		tcp_abort(pcb);
	else if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void pcb_end(struct conv *c)
{
	if (c->proto == NET_TCP)
		tcp_end(c);
	else if (c->proto == NET_UDP && c->pcb.udp)
		udp_remove(c->pcb.udp);
	else if (c->pcb.raw)
		raw_remove(c->pcb.raw);
	c->pcb.any = 0;
}

/* A listener's waiting connections, refused (reset) with it. */
static void backlog_free(struct conv *l)
{
	for (uint32_t i = 0; l->nbacklog && i < NET_MAXCONV; i++) {
		struct conv *c = &convs[NET_TCP][i];
		if (c->inuse && c->listener == l) {
			c->listener = 0;
			l->nbacklog--;
			if (c->pcb.tcp) {
				tcp_detach(c->pcb.tcp);
				tcp_abort(c->pcb.tcp);
				c->pcb.tcp = 0;
			}
			conv_free(c);
		}
	}
}

static void conv_free(struct conv *c)
{
	if (c->listening)
		backlog_free(c);
	pcb_end(c);
	rx_drop_all(c);
	dgram_drop_all(c);
	c->inuse = 0;
	net_poll();
}

static void maybe_free(struct conv *c)
{
	if (c->inuse && !c->refs && !c->owner && !c->listener)
		conv_free(c);
}

void conv_ref(struct conv *c)
{
	c->refs++;
}

void conv_unref(struct conv *c)
{
	if (c->refs)
		c->refs--;
	maybe_free(c);
}

void conv_opened(struct conv *c)
{
	c->owner = 0;
}

void conv_listen_gone(void *node)
{
	for (uint32_t i = 0; i < NET_MAXCONV; i++) {
		struct conv *c = &convs[NET_TCP][i];
		if (c->inuse && c->owner == node) {
			c->owner = 0;
			maybe_free(c);
		}
	}
}

/* The oldest connection waiting on listener l (0 if none), out of it. */
static struct conv *backlog_take(struct conv *l)
{
	struct conv *old = 0;
	for (uint32_t i = 0; l->nbacklog && i < NET_MAXCONV; i++) {
		struct conv *c = &convs[NET_TCP][i];
		if (c->inuse && c->listener == l && (!old || c->seq < old->seq))
			old = c;
	}
	if (old) {
		old->listener = 0;
		l->nbacklog--;
	}
	return old;
}

/*
 * A read of listen: the number of a connection, which is the reading
 * fid's (node) until one of its files is opened. With node 0 (a
 * connection just came), hands waiting connections to held readers.
 */
long conv_read_listen(struct conv *l, void *node, uint64_t offset, void *buf,
		      uint32_t count)
{
	char num[16];
	while (l->lwait && l->nbacklog) {
		struct p9srv_req *q = p9srv_queue_pop(&l->lwait);
		struct conv *c = backlog_take(l);
		int n = fmt_snprintf(num, sizeof(num), "%u", c->id);
		c->owner = q->node;
		if (p9srv_respond_read(q, num, (uint32_t)n)) {
			c->owner = 0; /* its reader gave up: it waits again */
			c->listener = l;
			l->nbacklog++;
		}
	}
	if (!node)
		return 0;
	if (offset & READY_QUERY)
		return conv_query(l, offset, buf);
	if (!l->listening)
		return -P9_EINVAL;
	if (!l->nbacklog || l->lwait)
		return wait_on(&l->lwait, offset);
	struct conv *c = backlog_take(l);
	int n = fmt_snprintf(num, sizeof(num), "%u", c->id);
	if ((uint32_t)n > count)
		n = (int)count;
	memcpy(buf, num, (uint32_t)n);
	c->owner = node;
	return n;
}

/* ---- ctl messages (parse.c reads them) ---- */

static int bind_pcb(struct conv *c, uint32_t addr, uint32_t port)
{
	ip_addr_t a;
	ip_addr_set_ip4_u32(&a, addr);
	err_t e;
	if (c->proto == NET_TCP) {
		if (c->reuse)
			ip_set_option(c->pcb.tcp, SOF_REUSEADDR);
		e = tcp_bind(c->pcb.tcp, &a, (u16_t)port);
		port = c->pcb.tcp->local_port;
	} else if (c->proto == NET_UDP) {
		if (c->reuse)
			ip_set_option(c->pcb.udp, SOF_REUSEADDR);
		e = udp_bind(c->pcb.udp, &a, (u16_t)port);
		port = c->pcb.udp->local_port;
	} else {
		e = raw_bind(c->pcb.raw, &a);
	}
	if (e != ERR_OK)
		return -lwip_errno(e);
	c->bound = 1;
	c->laddr = addr;
	c->lport = (uint16_t)port;
	return 0;
}

/* TCP may still be bound or connected only while fresh. */
static int tcp_fresh(const struct conv *c)
{
	if (c->connected || c->dead)
		return -P9_EISCONN;
	if (c->connecting)
		return -P9_EALREADY;
	if (c->listening || !c->pcb.tcp || c->hungup)
		return -P9_EINVAL;
	return 0;
}

static long ctl_connect(struct conv *c, uint64_t offset, const struct net_words *w,
			uint32_t count)
{
	uint32_t addr, port, lport = 0;
	ip_addr_t a;
	if (w->n != 2 || net_parse_addr(w->w[1], w->len[1], &addr, &port, &lport) ||
	    !addr || !port)
		return -P9_EINVAL;
	int rc = c->proto == NET_TCP ? tcp_fresh(c) : 0;
	if (rc == 0 && lport) /* (lwIP must not bind a pcb twice) */
		rc = c->bound ? -P9_EINVAL : bind_pcb(c, c->laddr, lport);
	if (rc)
		return rc;
	ip_addr_set_ip4_u32(&a, addr);
	c->raddr = addr;
	c->rport = (uint16_t)port;
	if (c->proto == NET_UDP) {
		err_t e = udp_connect(c->pcb.udp, &a, (u16_t)port);
		c->lport = c->pcb.udp->local_port;
		return e == ERR_OK ? (long)count : -lwip_errno(e);
	}
	if (c->proto == NET_ICMP)
		return raw_connect(c->pcb.raw, &a) == ERR_OK ? (long)count
							     : -P9_EINVAL;
	err_t e = tcp_connect(c->pcb.tcp, &a, (u16_t)port, on_connected);
	if (e != ERR_OK) {
		c->raddr = 0, c->rport = 0;
		return -lwip_errno(e);
	}
	c->connecting = 1;
	c->lport = c->pcb.tcp->local_port;
	net_poll();
	if (offset & PIPE_NOWAIT)
		return count;
	if (!c->connecting) /* done already (loopback) */
		return c->connected ? (long)count
		       : c->dead    ? -c->dead
				    : -P9_ECONNABORTED;
	return wait_on(&c->cwait, 0);
}

static long ctl_announce(struct conv *c, const struct net_words *w, uint32_t count)
{
	uint32_t addr, port;
	if (w->n != 2 || net_parse_addr(w->w[1], w->len[1], &addr, &port, 0))
		return -P9_EINVAL;
	int rc = c->proto == NET_TCP ? tcp_fresh(c) : 0;
	if (rc == 0 && c->bound && ((port && port != c->lport) ||
				    (addr && addr != c->laddr)))
		rc = -P9_EINVAL; /* bound elsewhere already */
	else if (rc == 0 && !c->bound)
		rc = bind_pcb(c, addr, port);
	if (rc || c->proto != NET_TCP)
		return rc ? rc : (long)count;
	err_t e;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(
	    c->pcb.tcp, (u8_t)(c->backlog > 255 ? 255 : c->backlog), &e);
	if (!l)
		return -lwip_errno(e);
	c->pcb.tcp = l;
	c->listening = 1;
	tcp_arg(l, c);
	tcp_accept(l, on_accept);
	return count;
}

static long ctl_bind(struct conv *c, const struct net_words *w, uint32_t count)
{
	uint32_t addr, port;
	if (w->n != 2 || net_parse_addr(w->w[1], w->len[1], &addr, &port, 0))
		return -P9_EINVAL;
	int rc = c->proto == NET_TCP ? tcp_fresh(c) : 0;
	if (rc == 0 && c->bound)
		rc = -P9_EINVAL;
	if (rc == 0)
		rc = bind_pcb(c, addr, port);
	return rc ? rc : (long)count;
}

/* hangup: the conversation's pcb closed; it stays until its files go. */
static long ctl_hangup(struct conv *c, uint32_t count)
{
	c->hungup = 1;
	c->connecting = 0;
	if (c->proto == NET_TCP) {
		if (c->listening)
			backlog_free(c);
		tcp_end(c);
		rx_drop_all(c);
		fail_all(&c->cwait, P9_ECONNABORTED);
		wake(c);
	}
	return count;
}

static long ctl_shutdown(struct conv *c, const struct net_words *w, uint32_t count)
{
	int rd = net_word_is(w, 1, "rd") || net_word_is(w, 1, "rdwr");
	int wr = net_word_is(w, 1, "wr") || net_word_is(w, 1, "rdwr");
	if (w->n != 2 || (!rd && !wr))
		return -P9_EINVAL;
	if (c->proto == NET_TCP && !c->connected)
		return -P9_ENOTCONN;
	if (rd) {
		c->rdshut = 1;
		rx_drop_all(c);
	}
	if (wr && !c->wrshut && c->proto == NET_TCP && c->pcb.tcp) {
		c->wrshut = 1;
		tcp_shutdown(c->pcb.tcp, 0, 1);
	}
	c->wrshut |= (uint8_t)wr;
	wake(c);
	return count;
}

/* "nodelay 0|1" and the like: the flag set, and lwIP told. */
static long ctl_flag(struct conv *c, const struct net_words *w, uint8_t *flag,
		     uint32_t count)
{
	uint32_t v;
	if (w->n != 2 || net_parse_num(w->w[1], w->len[1], 1, &v))
		return -P9_EINVAL;
	*flag = (uint8_t)v;
	struct tcp_pcb *t = c->proto == NET_TCP ? c->pcb.tcp : 0;
	if (!t || t->state == LISTEN)
		return count;
	if (flag == &c->nodelay && v)
		tcp_nagle_disable(t);
	else if (flag == &c->nodelay)
		tcp_nagle_enable(t);
	else if (flag == &c->keepalive && v)
		ip_set_option(t, SOF_KEEPALIVE);
	else if (flag == &c->keepalive)
		ip_reset_option(t, SOF_KEEPALIVE);
	return count;
}

static long ctl_number(const struct net_words *w, uint32_t min, uint32_t max,
		       uint32_t *out, uint32_t count)
{
	uint32_t v;
	if (w->n != 2 || net_parse_num(w->w[1], w->len[1], max, &v) || v < min)
		return -P9_EINVAL;
	*out = v;
	return count;
}

long conv_ctl(struct conv *c, uint64_t offset, const char *msg, uint32_t len)
{
	struct net_words w;
	if (len > NET_CTL_MAX || net_words(msg, len, &w))
		return -P9_EINVAL;
	int tcp = c->proto == NET_TCP, udp = c->proto == NET_UDP;
	if (net_word_is(&w, 0, "connect"))
		return ctl_connect(c, offset, &w, len);
	if (net_word_is(&w, 0, "announce"))
		return ctl_announce(c, &w, len);
	if (net_word_is(&w, 0, "bind"))
		return ctl_bind(c, &w, len);
	if (net_word_is(&w, 0, "hangup") && w.n == 1)
		return ctl_hangup(c, len);
	if (net_word_is(&w, 0, "shutdown"))
		return ctl_shutdown(c, &w, len);
	if (net_word_is(&w, 0, "clearerr") && w.n == 1) {
		c->err = 0;
		return len;
	}
	if (net_word_is(&w, 0, "headers") && w.n == 1 && udp) {
		c->headers = 1;
		return len;
	}
	if (net_word_is(&w, 0, "nodelay") && tcp)
		return ctl_flag(c, &w, &c->nodelay, len);
	if (net_word_is(&w, 0, "keepalive") && tcp)
		return ctl_flag(c, &w, &c->keepalive, len);
	if (net_word_is(&w, 0, "reuse"))
		return ctl_flag(c, &w, &c->reuse, len);
	if (net_word_is(&w, 0, "rcvbuf"))
		return ctl_number(&w, 1, 1u << 30, &c->rcvbuf, len);
	if (net_word_is(&w, 0, "sndbuf"))
		return ctl_number(&w, 1, 1u << 30, &c->sndbuf, len);
	if (net_word_is(&w, 0, "backlog") && tcp && !c->listening) {
		/* Clamped, as Linux clamps listen's to somaxconn. */
		long rc = ctl_number(&w, 1, 0x7fffffff, &c->backlog, len);
		if (c->backlog > NET_MAXBACKLOG)
			c->backlog = NET_MAXBACKLOG;
		return rc;
	}
	return -P9_EINVAL;
}

/* ---- local, remote, status ---- */

static int addr_text(char *buf, int cap, uint32_t a, uint16_t port)
{
	const uint8_t *b = (const uint8_t *)&a;
	return fmt_snprintf(buf, (uint64_t)cap, "%u.%u.%u.%u!%u\n", b[0], b[1],
			    b[2], b[3], port);
}

/* A live TCP pcb's addresses are the truth; else what we remember. */
static void tcp_sync(struct conv *c)
{
	struct tcp_pcb *p = c->proto == NET_TCP ? c->pcb.tcp : 0;
	if (!p)
		return;
	c->laddr = ip4_addr_get_u32(ip_2_ip4(&p->local_ip));
	c->lport = p->local_port;
	if (p->state != LISTEN && p->state != CLOSED) {
		c->raddr = ip4_addr_get_u32(ip_2_ip4(&p->remote_ip));
		c->rport = p->remote_port;
	}
}

int conv_local(struct conv *c, char *buf, int cap)
{
	tcp_sync(c);
	return addr_text(buf, cap, c->laddr, c->lport);
}

int conv_remote(struct conv *c, char *buf, int cap)
{
	tcp_sync(c);
	return addr_text(buf, cap, c->raddr, c->rport);
}

int conv_status(struct conv *c, char *buf, int cap)
{
	const char *state = "Closed";
	if (c->proto == NET_TCP && c->pcb.tcp)
		state = state_names[c->pcb.tcp->state];
	else if (c->proto != NET_TCP && c->pcb.any)
		state = c->raddr ? "Established" : c->bound ? "Announced"
							    : "Idle";
	int n = fmt_snprintf(buf, (uint64_t)cap, "%s\n", state);
	if (c->err)
		n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "error %s\n",
				  p9_errname(c->err));
	return n;
}
