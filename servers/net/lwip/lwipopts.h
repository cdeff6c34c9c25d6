/*
 * lwIP's configuration for the net server (servers/net): the raw API
 * without an operating-system layer (NO_SYS), every call into lwIP made
 * under the server's one lock (servers/net/net.h says which threads take
 * it). IPv4 only: ARP, ICMP, UDP, TCP with window scaling and outgoing
 * SACK (lwIP 2.1.3 sends SACK blocks for out-of-order data; it does not
 * act on the peer's), DHCP, and the loopback interface. Memory is static
 * (lwIP's own heap and pools), sized for some hundreds of conversations.
 */
#ifndef NET_LWIPOPTS_H
#define NET_LWIPOPTS_H

#define NO_SYS			1
#define SYS_LIGHTWEIGHT_PROT	0 /* one lock, held around every call */
#define LWIP_NETCONN		0
#define LWIP_SOCKET		0
#define LWIP_TIMERS		1

/* Memory: lwIP's own heap for pbufs of data sent, pools for the rest. */
#define MEM_ALIGNMENT		8
#define MEM_SIZE		(2 * 1024 * 1024)
#define MEMP_NUM_PBUF		256
#define MEMP_NUM_RAW_PCB	64
#define MEMP_NUM_UDP_PCB	260
#define MEMP_NUM_TCP_PCB	260
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_TCP_SEG	2048
#define MEMP_NUM_REASSDATA	8
#define IP_REASS_MAX_PBUFS	64
#define MEMP_NUM_FRAG_PBUF	32
#define MEMP_NUM_ARP_QUEUE	64
#define MEMP_NUM_SYS_TIMEOUT	(LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE		512
#define PBUF_POOL_BUFSIZE	1536

/* IPv4 and its helpers. */
#define LWIP_IPV4		1
#define LWIP_IPV6		0
#define LWIP_ARP		1
#define ARP_TABLE_SIZE		32
#define ARP_QUEUEING		1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define IP_FORWARD		0
#define IP_REASSEMBLY		1
#define IP_FRAG			1
#define LWIP_ICMP		1
#define LWIP_RAW		1 /* /net/icmp */
#define LWIP_DHCP		1
#define DHCP_DOES_ARP_CHECK	0 /* bind at once (QEMU's network is ours) */
#define LWIP_AUTOIP		0
#define LWIP_IGMP		0
#define LWIP_DNS		1 /* only to keep the DNS servers DHCP names */
#define LWIP_UDP		1
#define LWIP_UDPLITE		0
#define LWIP_NETIF_HOSTNAME	1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_HAVE_LOOPIF	1 /* 127.0.0.1 with no card */
#define LWIP_NETIF_LOOPBACK	1 /* packets to our own address */
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_SINGLE_NETIF	0
#define LWIP_ETHERNET		1

/* TCP: windows beyond 64 KiB (scaling), SACK of what came out of order. */
#define LWIP_TCP		1
#define TCP_MSS			1460
#define LWIP_WND_SCALE		1
#define TCP_RCV_SCALE		2
#define TCP_WND			(128 * 1024)
#define TCP_SND_BUF		(128 * 1024)
#define TCP_SNDLOWAT		(16 * 1024)
#define TCP_SND_QUEUELEN	((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_SNDQUEUELOWAT	(TCP_SND_QUEUELEN / 2)
#define LWIP_TCP_SACK_OUT	1
#define LWIP_TCP_MAX_SACK_NUM	4
#define TCP_QUEUE_OOSEQ		1
#define TCP_LISTEN_BACKLOG	1
#define TCP_DEFAULT_LISTEN_BACKLOG 16
#define LWIP_TCP_KEEPALIVE	1
#define SO_REUSE		1 /* reuse 1: SOF_REUSEADDR */
#define TCP_OVERSIZE		TCP_MSS
#define LWIP_TCP_TIMESTAMPS	0
#define LWIP_CALLBACK_API	1
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1

/* Checksums: lwIP computes and checks them all (the card offloads none). */
#define LWIP_CHECKSUM_ON_COPY	1
#define LWIP_CHKSUM_ALGORITHM	3 /* lwIP's 32-bit summing: the fastest of its three */

/* Statistics off; diagnostics off (LWIP_DEBUG undefined). */
#define LWIP_STATS		0
#define LWIP_PROVIDE_ERRNO	0

#endif
