/*
 * The child program of the cross-domain tests (ndomain.c), loaded from an
 * ELF image by libmetta's spawn. What it does is its first argument:
 *   serve          serve the portal in slot 5 (echo words+1, reverse data)
 *   peek ADDR      read the word at ADDR (the parent's memory: must fault)
 *   loopcall       call the portal in slot 5 until a call fails
 *   pagefault ADDR read ADDR, which the parent's pager maps on demand
 *   ud             an invalid instruction (the pager ends us)
 *   classes        try to create a domain of a higher class
 *   callonce       call the portal in slot 5 once
 *   spin           spin for ever, never calling the nucleus
 *   ticker         sleep 1 ms fifty times, then exit
 *   share ADDR     wait for the parent's word in page 1 of ADDR, then
 *                  write one in page 2 (memory both map, untouched)
 *   hog            touch 4 MiB of its own with a quota of 1 MiB
 *   logpoor        offer a log ring it cannot pay for (ERR_QUOTA: 0)
 *   dma            ask for DMA memory beyond its quota (nothing changes),
 *                  then for one page: 0, or 10 when refused as no driver
 * The exit status says what happened.
 */
#include <metta.h>
#include <metta/abi.h>
#include <stdint.h>
#include <string/kstring.h>

#define PORTAL 5

static uint8_t buf[METTA_MSG_MAX_DATA];

static uint64_t hex(const char *s)
{
	uint64_t v = 0;
	for (; *s; s++)
		v = v * 16 + (uint64_t)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
	return v;
}

static int serve(void)
{
	uint64_t w[4] = { 0 }, badge;
	struct metta_msg m = { .recv_buf = (uint64_t)buf, .recv_size = sizeof(buf) };
	long rc = metta_reply_wait(PORTAL, &m, w, &badge);
	for (;;) {
		if (rc)
			return 50;
		uint64_t n = m.recv_len;
		for (uint64_t i = 0; i < n / 2; i++) {
			uint8_t c = buf[i];
			buf[i] = buf[n - 1 - i];
			buf[n - 1 - i] = c;
		}
		if (w[0] == 98)
			metta_exit(7); /* dies holding the call: the caller gets an error */
		int last = w[0] == 99;
		for (int i = 0; i < 4; i++)
			w[i]++;
		m = (struct metta_msg){ .send_buf = (uint64_t)buf, .send_len = n,
					.recv_buf = (uint64_t)buf,
					.recv_size = sizeof(buf) };
		if (last) {
			metta_reply(&m, w);
			return 0;
		}
		rc = metta_reply_wait(PORTAL, &m, w, &badge);
	}
}

static int loopcall(void)
{
	for (;;) {
		uint64_t w[4] = { 1 };
		long rc = metta_call(PORTAL, 0, w);
		if (rc)
			return (int)(100 - rc);
	}
}

static int classes(void)
{
	/* An application may create applications, never drivers/servers. */
	if (metta_domain_create(20, METTA_CLASS_DRIVER, 1, 4096) != STATUS_ERR_INVAL)
		return 1;
	if (metta_domain_create(20, METTA_CLASS_SERVER, 1, 4096) != STATUS_ERR_INVAL)
		return 2;
	/* Nor one above our own priority (NORM), which would outrank every
	 * other application (found by the nucleus fuzzer). */
	if (metta_domain_create(20, METTA_CLASS_APPLICATION, METTA_PRIO_HIGH,
				64 * 1024) != STATUS_ERR_INVAL)
		return 5;
	if (metta_domain_create(20, METTA_CLASS_APPLICATION, 1, 64 * 1024) != 0)
		return 3;
	/* The nucleus's consistency check is a driver's call. */
	if (metta_nucleus_check() != STATUS_ERR_DENIED)
		return 6;
	/* Our table is ours: the parent's slot 10 means nothing here. */
	if (metta_cap_info(10) != STATUS_ERR_BADCAP)
		return 4;
	return 0;
}

#define SHARE_WORD  0x5ba4edull
#define CHILD_WORD  0xc41dull
#define HOG_VA	    0x580000000000ull

static int share(uint64_t va)
{
	volatile uint64_t *w = (volatile uint64_t *)va;
	for (int i = 0; i < 2000 && w[512] != SHARE_WORD; i++)
		metta_sleep(1000);
	if (w[512] != SHARE_WORD)
		return 1;
	w[1024] = CHILD_WORD;
	return 0;
}

static int hog(void)
{
	if (metta_mem_create(20, 1024) ||
	    metta_mem_map(CAP_SELF, 20, 0, HOG_VA, 1024, RIGHT_READ | RIGHT_WRITE))
		return 97;
	for (uint64_t p = 0; p < 1024; p++)
		((volatile uint64_t *)HOG_VA)[p * 512] = p;
	return 98; /* 4 MiB in a quota of 1 MiB: never */
}

static int logpoor(void)
{
	if (metta_mem_create(20, 512) || metta_event_create(21))
		return 3;
	long rc = metta_log_register(20, 21, 1);
	if (rc == 0) {
		metta_log_register(0xffffffffu, 0, 0);
		return 1;
	}
	return rc == STATUS_ERR_QUOTA ? 0 : 2;
}

/* DMA memory: more than our quota is refused with nothing taken, one
 * page is given. */
static int dma(void)
{
	struct metta_domain_info before, after;
	uint64_t phys = 0;
	if (metta_domain_info(CAP_SELF, &before))
		return 1;
	long rc = metta_dma_alloc(20, METTA_DMA_MAX_PAGES, &phys);
	if (rc == STATUS_ERR_DENIED)
		return 10;
	if (rc != STATUS_ERR_QUOTA)
		return 11;
	if (metta_domain_info(CAP_SELF, &after) ||
	    after.quota_used != before.quota_used || phys != 0 ||
	    metta_cap_info(20) != STATUS_ERR_BADCAP)
		return 12;
	if (metta_dma_alloc(20, 1, &phys) || phys == 0 || phys % 4096)
		return 13;
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "serve"))
		return serve();
	if (!strcmp(what, "peek") && argc > 2)
		return (int)*(volatile uint64_t *)hex(argv[2]);
	if (!strcmp(what, "loopcall"))
		return loopcall();
	if (!strcmp(what, "pagefault") && argc > 2)
		return *(volatile uint8_t *)hex(argv[2]);
	if (!strcmp(what, "ud"))
		__builtin_trap();
	if (!strcmp(what, "classes"))
		return classes();
	if (!strcmp(what, "spin"))
		for (;;)
			;
	if (!strcmp(what, "ticker")) {
		for (int i = 0; i < 50; i++)
			metta_sleep(1000);
		return 0;
	}
	if (!strcmp(what, "share") && argc > 2)
		return share(hex(argv[2]));
	if (!strcmp(what, "hog"))
		return hog();
	if (!strcmp(what, "logpoor"))
		return logpoor();
	if (!strcmp(what, "dma"))
		return dma();
	if (!strcmp(what, "callonce")) {
		uint64_t w[4] = { 1 };
		return (int)metta_call(PORTAL, 0, w);
	}
	return 99;
}
