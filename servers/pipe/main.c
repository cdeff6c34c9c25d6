/*
 * The pipe server (servers/pipe/pipe.h): 4 KiB pipes over 9P, every
 * Tattach a new pipe. Four threads serve; reads and writes that must wait
 * are held, never blocking a thread (docs/servers.md).
 */
#include <9p/portal.h>
#include <metta.h>
#include <metta/proto.h>

#include "pipe.h"

#define PORTAL 5
#define NCONN  64
#define NFID   64

static struct p9srv srv;
static struct pipes pipes;
static P9SRV_STORAGE(store, NCONN, NFID);
static uint8_t stacks[3][16384] __attribute__((aligned(16)));

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static const server_op ops[] = {
		P9_PORTAL_OPS,
	};
	static const struct server s = { PORTAL, ops,
					 sizeof(ops) / sizeof(ops[0]) };
	p9srv_init(&srv, &pipe_ops, &pipes, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(store));
	pipes_init(&pipes, &srv, "root", metta_clock() ^ (uint64_t)(uintptr_t)&argc);
	p9_portal_init(&srv, PORTAL);
	if (server_spawn_threads(&s, 4, stacks))
		return 3;
	server_run(&s);
}
