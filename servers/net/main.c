/*
 * The net server (net.h): lwIP's stack and Plan 9's /net over 9P. Slot 5
 * is its portal; CAP_NAMES finds the card (ether0) and pci; slot 12, when
 * given, is the root file system's portal, where /etc/net.conf is read
 * (ether.c). Four threads serve 9P, one runs lwIP's timers, and with a
 * card one receives frames and one sends them (ether.c).
 */
#include <9p/portal.h>
#include <metta.h>
#include <metta/proto.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

#include "net.h"

#define PORTAL	     5
#define NCONN	     64
#define NFID	     256
#define TIMER_MAX_US 100000 /* lwIP's timers looked at at least this often */

static struct p9srv srv;
static P9SRV_STORAGE(store, NCONN, NFID);
static struct p9srv_req held[NET_MAXHELD];
static uint8_t stacks[3][16384] __attribute__((aligned(16)));
static uint8_t timer_stack[16384] __attribute__((aligned(16)));

void net_poll(void)
{
	static int polling;
	if (polling)
		return; /* (called again from inside: the loop below goes on) */
	polling = 1;
	netif_poll_all();
	polling = 0;
}

/* lwIP's timeouts (TCP's timers, ARP, DHCP, IP reassembly). */
static void timer_thread(void)
{
	for (;;) {
		p9_portal_lock();
		sys_check_timeouts();
		net_poll();
		uint64_t ms = sys_timeouts_sleeptime();
		p9_portal_unlock();
		uint64_t us = ms * 1000;
		metta_sleep(us > TIMER_MAX_US ? TIMER_MAX_US : us ? us : 1000);
	}
}

static int start_thread(void (*fn)(void), uint8_t *stack_top)
{
	uint32_t t = metta_slot_alloc();
	if (!t || metta_thread_create(CAP_SELF, t, (uint64_t)fn,
				      (uint64_t)stack_top - 8, METTA_PRIO_NORM))
		return -1;
	return (int)metta_thread_ctl(t, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static const server_op ops[] = {
		P9_PORTAL_OPS,
	};
	static const struct server s = { PORTAL, ops,
					 sizeof(ops) / sizeof(ops[0]) };
	p9srv_init(&srv, &net_ops, 0, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(store));
	p9srv_set_held(&srv, held, NET_MAXHELD);
	p9_portal_init(&srv, PORTAL);
	p9_portal_lock();
	lwip_init(); /* the loopback interface, 127.0.0.1, comes up here */
	conv_init();
	fs_init(&srv);
	p9_portal_unlock();
	if (start_thread(timer_thread, timer_stack + sizeof(timer_stack))) {
		metta_printf("net: cannot start its timer thread");
		return 2;
	}
	if (!ether_start())
		metta_printf("net: no network card: loopback only");
	if (server_spawn_threads(&s, 4, stacks))
		return 3;
	server_run(&s);
}
