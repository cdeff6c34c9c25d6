/*
 * A program that forks itself by hand, as the POSIX runtime's fork does:
 * spawned by nfork (so its segments are mappings), it makes a child
 * domain, hands it every mapping of its image with mem_fork (text shared,
 * the rest copied), and starts a thread there on a stack in its copied
 * bss. The child reports over a portal what it sees. Exits 0 when the copy
 * is a true snapshot: the child sees the values of the fork's moment, and
 * neither side sees the other's later writes, whoever makes them: the
 * program itself, the nucleus writing a call's result, or an IPC message
 * arriving (the copy is copy-on-write: each of these copies the page).
 * Any other status says which check failed.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>

#define PORTAL 20 /* the same slot in both */
#define CHILD  21
#define THREAD 22
#define OBJ    23	   /* ours: an object mapped at OBJ_VA */
#define OBJ_VA 0x500000000ull
#define OBJ2_VA 0x500010000ull
#define GIVEN  5	   /* the child's slot for the copy of OBJ_VA's */
#define SEE_VA 0x500020000ull /* where the child maps it again */

extern char __executable_start[], etext[], end[];

static volatile uint64_t value = 1;
static uint8_t child_stack[8192] __attribute__((aligned(16)));
/* Pages the nucleus writes in the parent after the fork. */
static struct metta_domain_info info __attribute__((aligned(4096)));
static char inbox[64] __attribute__((aligned(4096)));

/* Runs in the child: what it sees, then a write of its own; then whether
 * the parent's later writes by nucleus call and by message stayed out. */
static void child_main(void)
{
	uint64_t w[4] = { 1, value, 0, 0 };
	value = 0x5555;
	w[2] = value;
	/* The capability mem_fork gave: the same copied pages, again. */
	if (metta_mem_map(CAP_SELF, GIVEN, 0, SEE_VA, 1, RIGHT_READ) == 0)
		w[3] = *(volatile uint64_t *)SEE_VA;
	struct metta_msg m = { .send_buf = (uint64_t)"from the child",
			       .send_len = 15 };
	metta_call(PORTAL, &m, w);
	uint64_t v[4] = { (uint64_t)info.id, (uint64_t)inbox[0], 0, 0 };
	metta_call(PORTAL, NULL, v);
	metta_thread_exit();
}

/* Hands the child every mapping of our image; how many there were. */
static int fork_image(void)
{
	int n = 0;
	uint64_t from = (uint64_t)__executable_start & ~4095ull;
	for (uint64_t va = from; va < (uint64_t)end; va += 4096) {
		uint64_t how = va < (uint64_t)etext ? MEM_FORK_SHARE
						    : MEM_FORK_COPY;
		long rc = metta_mem_fork(CHILD, va, how, 0);
		if (rc == 0)
			n++;
		else if (rc != STATUS_ERR_NOENT)
			return -1;
	}
	return n;
}

static int check_errors(void)
{
	uint64_t text = (uint64_t)__executable_start & ~4095ull;
	if (metta_mem_fork(CAP_SELF, text, MEM_FORK_SHARE, 0) != STATUS_ERR_INVAL)
		return 1;
	if (metta_mem_fork(CHILD, text, 7, 0) != STATUS_ERR_INVAL)
		return 2;
	if (metta_mem_fork(CHILD, 0x1000, MEM_FORK_COPY, 0) != STATUS_ERR_NOENT)
		return 3;
	if (metta_mem_fork(CHILD, text, MEM_FORK_SHARE, 0) != STATUS_ERR_EXIST)
		return 4; /* given already */
	if (metta_mem_fork(PORTAL, text, MEM_FORK_SHARE, 0) != STATUS_ERR_TYPE)
		return 5;
	/* A capability for the child: a bad slot or a busy one changes
	 * nothing (the mapping is not made either). */
	if (metta_mem_fork(CHILD, OBJ_VA, MEM_FORK_COPY, CAP_SLOTS) !=
	    STATUS_ERR_BADCAP)
		return 6;
	if (metta_mem_fork(CHILD, OBJ_VA, MEM_FORK_COPY, GIVEN) != 0)
		return 7;
	if (metta_mem_fork(CHILD, OBJ2_VA, MEM_FORK_SHARE, GIVEN) !=
	    STATUS_ERR_EXIST)
		return 8; /* the slot is taken */
	if (metta_mem_fork(CHILD, OBJ2_VA, MEM_FORK_SHARE, 0) != 0)
		return 9; /* so nothing was mapped by the refusal */
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_portal_create(PORTAL) ||
	    metta_domain_create(CHILD, METTA_CLASS_APPLICATION,
				METTA_PRIO_NORM, 1 << 20))
		return 10;
	struct metta_domain_info before, after;
	metta_domain_info(CHILD, &before);
	if (metta_mem_create(OBJ, 1) ||
	    metta_mem_map(CAP_SELF, OBJ, 0, OBJ_VA, 1, RIGHT_READ | RIGHT_WRITE) ||
	    metta_mem_map(CAP_SELF, OBJ, 0, OBJ2_VA, 1, RIGHT_READ))
		return 17;
	*(volatile uint64_t *)OBJ_VA = 0x7777;
	value = 0x1234; /* what the child must see */
	info.id = 0x4242;
	inbox[0] = 'p';
	int n = fork_image();
	if (n < 2)
		return 11;
	value = 0x9999; /* after the fork: not the child's business */
	if (metta_domain_info(CHILD, &info) || info.id == 0x4242)
		return 31; /* the nucleus could not write our copy */
	metta_domain_info(CHILD, &after);
	if (after.quota_used <= before.quota_used)
		return 12; /* the copies are the child's to pay */
	int e = check_errors(); /* hands the child OBJ_VA's copy too */
	if (e)
		return 20 + e;
	*(volatile uint64_t *)OBJ_VA = 0x8888;
	if (*(volatile uint64_t *)OBJ2_VA != 0x8888)
		return 19; /* our two mappings of one object differ */
	if (metta_cap_give(CHILD, PORTAL, PORTAL, RIGHT_CALL) ||
	    metta_thread_create(CHILD, THREAD, (uint64_t)child_main,
				(uint64_t)&child_stack[sizeof(child_stack)] - 8,
				METTA_PRIO_NORM) ||
	    metta_thread_ctl(THREAD, THREAD_START, 0))
		return 13;
	uint64_t w[4] = { 0 }, badge;
	struct metta_msg m = { .recv_buf = (uint64_t)inbox,
			       .recv_size = sizeof(inbox) };
	if (metta_reply_wait(PORTAL, &m, w, &badge))
		return 14;
	if (w[1] != 0x1234)
		return 15; /* the child did not see the fork's moment */
	if (w[2] != 0x5555 || value != 0x9999)
		return 16; /* a write crossed over */
	if (w[3] != 0x7777)
		return 18; /* the given capability is not the copy */
	if (m.recv_len != 15 || inbox[0] != 'f')
		return 32; /* the message did not arrive */
	if (metta_reply_wait(PORTAL, NULL, w, &badge))
		return 14;
	if (w[0] != 0x4242 || w[1] != 'p')
		return 33; /* the nucleus's writes reached the child's copy */
	metta_reply(NULL, w);
	metta_domain_kill(CHILD, 0);
	return 0;
}
