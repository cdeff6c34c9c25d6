/*
 * mem_fork from user space: the forker program (tests/user/forker.c),
 * spawned as a real program, forks itself by hand and checks the copy;
 * here we check it finished well and that nothing stayed behind.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>

#include "utest.h"

#define D 10
#define T 11

extern const uint8_t _binary_forker_start[], _binary_forker_end[];

static int64_t run_forker(void)
{
	const char *argv[] = { "forker" };
	struct metta_spawn a = { .argc = 1, .argv = argv,
				 .class = METTA_CLASS_APPLICATION,
				 .prio = METTA_PRIO_NORM, .quota = 4 << 20 };
	const char *why;
	uint64_t size = (uint64_t)(_binary_forker_end - _binary_forker_start);
	if (metta_spawn(_binary_forker_start, size, &a, D, T, &why) ||
	    metta_thread_ctl(T, THREAD_START, 0))
		return -1;
	struct metta_domain_info i;
	for (int k = 0; k < 5000; k++) {
		if (metta_domain_info(D, &i) == 0 && i.dead)
			break;
		metta_sleep(1000);
	}
	metta_cap_delete(T);
	metta_cap_delete(D);
	return i.dead ? i.exit_status : -2;
}

/* The second run costs nothing that stays: the page tables of our own
 * scratch window, which only grow, were made by the first. */
static int a_program_forks_itself(void)
{
	int64_t status = run_forker();
	UCHECK(status == 0, "forker ended with %ld", status);
	struct metta_domain_info before, after;
	metta_domain_info(CAP_SELF, &before);
	status = run_forker();
	UCHECK(status == 0, "forker ended with %ld the second time", status);
	metta_domain_info(CAP_SELF, &after);
	UCHECK(after.quota_used == before.quota_used, "quota %lu -> %lu",
	       before.quota_used, after.quota_used);
	return 0;
}

static const struct utest tests[] = {
	{ "a_program_forks_itself", a_program_forks_itself },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
