/*
 * The Ethernet card as lwIP's netif (ether0's 9P files: data, addr),
 * its configuration (DHCP, or /etc/net.conf, or ipifc/0/ctl) and
 * /net/ipifc/0 and /net/ndb.
 *
 * Two threads talk to the driver, each over its own 9P connection: the
 * receive thread holds a read of `data` (one frame each) and feeds the
 * frame to lwIP under the lock; the transmit thread writes the frames
 * lwIP queued (linkoutput copies them into a ring under the lock, so no
 * thread ever waits for the card while holding it). When the driver
 * dies, pci restarts it behind the same portal: both threads make their
 * sessions again (frames in flight are lost; TCP sends them again).
 */
#include <9p/portal.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "net.h"

#define FILES_SLOT   12 /* the root file system (root gives it) */
#define FRAME_MAX    1514
#define TXQ	     64 /* frames queued for the transmit thread */
#define PCI_WAIT_US  5000000 /* for pci to have started its drivers */
#define RETRY_US     50000   /* between tries at a driver that went */
#define FID_ROOT     1
#define FID_DATA     2
#define FID_FILE     3
#define CONF_MAX     1024

struct session {
	uint32_t conn;
	int up;
	struct p9c c;
	uint8_t t[P9_PORTAL_MSIZE], r[P9_PORTAL_MSIZE];
};

static struct netif eth;
static int have_card;
static uint32_t card;		       /* ether0's portal */
static struct session rx, tx;
static uint8_t mac[6];
static const char *dhcp_state = "off";
static uint64_t tx_drops;

static struct {
	uint8_t data[FRAME_MAX];
	uint16_t len;
} txq[TXQ];
static uint32_t txhead, txlen;
static struct metta_semaphore tx_ready;
static uint8_t rx_stack[16384] __attribute__((aligned(16)));
static uint8_t tx_stack[16384] __attribute__((aligned(16)));

/* ---- sessions with the driver ---- */

static void session_drop(struct session *s)
{
	if (s->conn)
		metta_cap_delete(s->conn);
	s->conn = 0;
	s->up = 0;
}

/* A connection to the card with `data` open: 0 or an errno. */
static int session_open(struct session *s)
{
	static const char *const data[] = { "data" };
	session_drop(s);
	s->conn = metta_slot_alloc();
	if (!s->conn)
		return -P9_ENOMEM;
	int rc = p9_portal_connect(&s->c, card, s->conn, s->t, s->r);
	if (rc) {
		s->conn = 0; /* (p9_portal_connect deleted it) */
		return rc;
	}
	rc = p9c_attach(&s->c, FID_ROOT, "net", "", 0);
	if (rc == 0 && (rc = p9c_walk(&s->c, FID_ROOT, FID_DATA, 1, data, 0)) == 1)
		rc = p9c_open(&s->c, FID_DATA, P9_ORDWR, 0);
	if (rc > 0)
		rc = -P9_ENOENT;
	if (rc) {
		session_drop(s);
		return rc;
	}
	s->up = 1;
	return 0;
}

/* The session again after the driver went (it is restarted). */
static void session_again(struct session *s)
{
	while (session_open(s))
		metta_sleep(RETRY_US);
}

/* ---- frames in and out ---- */

static void rx_thread(void)
{
	static uint8_t frame[FRAME_MAX];
	for (;;) {
		if (!rx.up)
			session_again(&rx);
		long n = p9c_read(&rx.c, FID_DATA, 0, frame, sizeof(frame));
		if (n < 0) {
			rx.up = 0;
			continue;
		}
		if (n < 14)
			continue;
		p9_portal_lock();
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_POOL);
		if (p) {
			pbuf_take(p, frame, (u16_t)n);
			if (eth.input(p, &eth) != ERR_OK)
				pbuf_free(p);
		}
		net_poll();
		p9_portal_unlock();
	}
}

/* Slot txhead is this thread's until it moves the head on: linkoutput
 * fills only slots past the queue's end. */
static void tx_thread(void)
{
	for (;;) {
		metta_sem_wait(&tx_ready, 0);
		while (!tx.up)
			session_again(&tx);
		if (p9c_write(&tx.c, FID_DATA, 0, txq[txhead].data,
			      txq[txhead].len) < 0)
			tx.up = 0; /* the frame is lost; TCP sends it again */
		p9_portal_lock();
		txhead = (txhead + 1) % TXQ;
		txlen--;
		p9_portal_unlock();
	}
}

/* lwIP sends a frame: queued for the transmit thread (under the lock). */
static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	(void)n;
	if (txlen == TXQ || p->tot_len > FRAME_MAX) {
		tx_drops++;
		return ERR_MEM;
	}
	uint32_t i = (txhead + txlen) % TXQ;
	txq[i].len = (uint16_t)pbuf_copy_partial(p, txq[i].data, p->tot_len, 0);
	txlen++;
	metta_sem_post(&tx_ready);
	return ERR_OK;
}

static err_t eth_init(struct netif *n)
{
	n->name[0] = 'e', n->name[1] = 'n';
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->mtu = 1500;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		   NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	n->linkoutput = linkoutput;
	n->output = etharp_output;
	return ERR_OK;
}

/* ---- configuration ---- */

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

/* The card's MAC address from its `addr` file (12 hex digits). */
static int read_mac(struct session *s)
{
	static const char *const addr[] = { "addr" };
	char buf[32];
	int rc = p9c_walk(&s->c, FID_ROOT, FID_FILE, 1, addr, 0);
	if (rc != 1)
		return -P9_ENOENT;
	rc = p9c_open(&s->c, FID_FILE, P9_OREAD, 0);
	long n = rc ? rc : p9c_read(&s->c, FID_FILE, 0, buf, sizeof(buf));
	p9c_clunk(&s->c, FID_FILE);
	if (n < 12)
		return -P9_EIO;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -P9_EIO;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void set_static(uint32_t a, uint32_t m, uint32_t g)
{
	ip4_addr_t ip, mask, gw;
	ip4_addr_set_u32(&ip, a);
	ip4_addr_set_u32(&mask, m);
	ip4_addr_set_u32(&gw, g);
	dhcp_release_and_stop(&eth);
	netif_set_addr(&eth, &ip, &mask, &gw);
	dhcp_state = "off";
}

/* "add A MASK [GW]": checked whole before anything changes. */
static long ctl_add(const struct net_words *w, uint32_t count)
{
	uint32_t a, m, g = 0;
	if (w->n < 3 || net_parse_ip(w->w[1], w->len[1], &a) ||
	    net_parse_mask(w->w[2], w->len[2], &m) ||
	    (w->n == 4 && net_parse_ip(w->w[3], w->len[3], &g)))
		return -P9_EINVAL;
	if (!have_card)
		return -P9_ENODEV;
	set_static(a, m, g);
	return count;
}

long ether_ctl(const char *msg, uint32_t len)
{
	struct net_words w;
	if (len > NET_CTL_MAX || net_words(msg, len, &w))
		return -P9_EINVAL;
	if (net_word_is(&w, 0, "add"))
		return ctl_add(&w, len);
	int dhcp = net_word_is(&w, 0, "dhcp");
	if ((!dhcp && !net_word_is(&w, 0, "remove")) || w.n != 1)
		return -P9_EINVAL;
	if (!have_card)
		return -P9_ENODEV;
	if (!dhcp) {
		set_static(0, 0, 0);
		return len;
	}
	if (dhcp_start(&eth) != ERR_OK)
		return -P9_ENOBUFS;
	dhcp_state = "requesting";
	return len;
}

/* One line of /etc/net.conf: "ip A/PREFIX", "gateway G", "dns D"; an
 * empty line or a comment. 0, or -1 for a line not understood. */
static int conf_line(const char *s, uint32_t len, uint32_t *a, uint32_t *m,
		     uint32_t *g)
{
	struct net_words w;
	uint32_t d, i = 0;
	while (i < len && s[i] == ' ')
		i++;
	if (i == len || s[i] == '#')
		return 0;
	if (net_words(s, len, &w) || w.n != 2)
		return -1;
	if (net_word_is(&w, 0, "ip"))
		return net_parse_cidr(w.w[1], w.len[1], a, m) ? -1 : 0;
	if (net_word_is(&w, 0, "gateway"))
		return net_parse_ip(w.w[1], w.len[1], g) ? -1 : 0;
	if (!net_word_is(&w, 0, "dns") || net_parse_ip(w.w[1], w.len[1], &d))
		return -1;
	ip_addr_t dns;
	ip_addr_set_ip4_u32(&dns, d);
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++)
		if (ip_addr_isany(dns_getserver(i))) {
			dns_setserver(i, &dns);
			break;
		}
	return 0;
}

/* /etc/net.conf of the root file system (slot 12), into conf: its
 * length, or -1 when there is none. */
static long read_conf(char *conf)
{
	static const char *const path[] = { "etc", "net.conf" };
	struct session *s = &tx; /* not used yet */
	s->conn = metta_slot_alloc();
	if (metta_cap_info(FILES_SLOT) < 0 || !s->conn ||
	    p9_portal_connect(&s->c, FILES_SLOT, s->conn, s->t, s->r)) {
		s->conn = 0;
		return -1;
	}
	long n = -1;
	if (p9c_attach(&s->c, FID_ROOT, "net", "", 0) == 0 &&
	    p9c_walk(&s->c, FID_ROOT, FID_FILE, 2, path, 0) == 2 &&
	    p9c_open(&s->c, FID_FILE, P9_OREAD, 0) == 0)
		n = p9c_read(&s->c, FID_FILE, 0, conf, CONF_MAX);
	p9_portal_hangup(s->conn);
	session_drop(s);
	return n;
}

/* A static address when /etc/net.conf gives one (1), else 0. */
static int configure(void)
{
	static char conf[CONF_MAX];
	uint32_t a = 0, m = 0, g = 0;
	long n = read_conf(conf);
	for (long i = 0; i < n;) {
		long e = i;
		while (e < n && conf[e] != '\n')
			e++;
		if (conf_line(conf + i, (uint32_t)(e - i), &a, &m, &g))
			metta_printf("net: /etc/net.conf: a line not understood");
		i = e + 1;
	}
	if (!a)
		return 0;
	set_static(a, m, g);
	return 1;
}

/* The status callback: DHCP bound (or an address set). */
static void on_status(struct netif *n)
{
	if (dhcp_supplied_address(n)) {
		dhcp_state = "bound";
		const uint8_t *b = (const uint8_t *)&n->ip_addr;
		metta_printf("net: ether0: DHCP gave %u.%u.%u.%u", b[0], b[1],
			     b[2], b[3]);
	}
}

/* Finds ether0 (once pci has started its drivers) and opens its data. */
static int find_card(void)
{
	metta_pci_settled(PCI_WAIT_US);
	card = metta_slot_alloc();
	if (!card || metta_names_lookup("ether0", card))
		return 0;
	if (session_open(&rx) || read_mac(&rx)) {
		metta_printf("net: ether0 does not answer: loopback only");
		return 0;
	}
	return 1;
}

int ether_start(int wait_for_card)
{
	(void)wait_for_card;
	if (!find_card())
		return 0;
	metta_sem_init(&tx_ready, 0);
	p9_portal_lock();
	netif_add(&eth, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, 0,
		  eth_init, ethernet_input);
	netif_set_status_callback(&eth, on_status);
	netif_set_default(&eth);
	netif_set_up(&eth);
	have_card = 1;
	p9_portal_unlock();
	int fixed = configure(); /* (reads a file: not under the lock) */
	p9_portal_lock();
	if (!fixed && dhcp_start(&eth) == ERR_OK)
		dhcp_state = "requesting";
	p9_portal_unlock();
	uint32_t t1 = metta_slot_alloc(), t2 = metta_slot_alloc();
	if (!t1 || !t2 ||
	    metta_thread_create(CAP_SELF, t1, (uint64_t)rx_thread,
				(uint64_t)&rx_stack[sizeof(rx_stack)] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_create(CAP_SELF, t2, (uint64_t)tx_thread,
				(uint64_t)&tx_stack[sizeof(tx_stack)] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(t1, THREAD_START, 0) ||
	    metta_thread_ctl(t2, THREAD_START, 0))
		metta_printf("net: cannot start the card's threads");
	return 1;
}

/* ---- /net/ipifc/0/status, /net/ndb ---- */

static int ip_text(char *buf, int cap, const ip4_addr_t *a)
{
	const uint8_t *b = (const uint8_t *)a;
	return fmt_snprintf(buf, (uint64_t)cap, "%u.%u.%u.%u", b[0], b[1], b[2],
			    b[3]);
}

int ether_status(char *buf, int cap)
{
	if (!have_card)
		return fmt_snprintf(buf, (uint64_t)cap, "name none\n");
	int n = fmt_snprintf(buf, (uint64_t)cap, "name ether0\naddr ");
	n += ip_text(buf + n, cap - n, netif_ip4_addr(&eth));
	n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "/%d\ngateway ",
			  net_prefix_of(ip4_addr_get_u32(netif_ip4_netmask(&eth))));
	n += ip_text(buf + n, cap - n, netif_ip4_gw(&eth));
	n += fmt_snprintf(buf + n, (uint64_t)(cap - n),
			  "\nmac %02x:%02x:%02x:%02x:%02x:%02x\nmtu %u\n"
			  "dhcp %s\ntxdrop %lu\n",
			  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			  eth.mtu, dhcp_state, tx_drops);
	return n;
}

int ether_ndb(char *buf, int cap)
{
	int n = 0;
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *d = dns_getserver(i);
		if (ip_addr_isany(d))
			continue;
		n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "dns ");
		n += ip_text(buf + n, cap - n, ip_2_ip4(d));
		n += fmt_snprintf(buf + n, (uint64_t)(cap - n), "\n");
	}
	return n;
}
