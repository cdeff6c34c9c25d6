/*
 * Tests of the first servers through their protocols, run from msh like
 * any program (with its environment capabilities): each server answers
 * malformed requests with an error and goes on serving.
 */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "utest.h"

#define GOT 40

static int names_resolve_and_refuse(void)
{
	static const char *const services[] = { "names", "log", "cons", "tod", "random" };
	for (int i = 0; i < 5; i++) {
		metta_cap_delete(GOT);
		UCHECK(metta_names_lookup(services[i], GOT) == 0, "%s not found", services[i]);
		UCHECK(metta_cap_info(GOT) >> 32 == OBJ_PORTAL, "%s is not a portal", services[i]);
	}
	metta_cap_delete(GOT);
	UCHECK(metta_names_lookup("nosuch", GOT) == STATUS_ERR_NOENT, "nosuch found");
	uint64_t w[4] = { NAMES_REGISTER };
	UCHECK(metta_request(CAP_NAMES, w, "mine", 4, 0, 0, 0, CAP_TTY, 0) ==
		       STATUS_ERR_DENIED, "registered without being the registrar");
	uint64_t bad[4] = { 99 };
	UCHECK(metta_request(CAP_NAMES, bad, 0, 0, 0, 0, 0, 0, 0) == STATUS_ERR_NOTSUP,
	       "unknown operation");
	uint64_t l[4] = { NAMES_LOOKUP };
	UCHECK(metta_request(CAP_NAMES, l, "na\0mes", 6, 0, 0, 0, 0, GOT) ==
		       STATUS_ERR_INVAL, "a name with a NUL inside");
	char huge[200];
	memset(huge, 'x', sizeof(huge));
	l[0] = NAMES_LOOKUP; /* the last reply put its status there */
	long rc = metta_request(CAP_NAMES, l, huge, sizeof(huge), 0, 0, 0, 0, GOT);
	UCHECK(rc == STATUS_ERR_INVAL, "an overlong name gave %ld", rc);
	l[0] = NAMES_LOOKUP;
	UCHECK(metta_request(CAP_NAMES, l, 0, 0, 0, 0, 0, 0, GOT) == STATUS_ERR_INVAL,
	       "no name at all");
	/* ... and it still serves. */
	UCHECK(metta_names_lookup("tod", GOT) == 0, "names stopped serving");
	metta_cap_delete(GOT);
	return 0;
}

static int console_refuses_nonsense(void)
{
	uint64_t w[4] = { 77 };
	UCHECK(metta_request(CAP_TTY, w, 0, 0, 0, 0, 0, 0, 0) == STATUS_ERR_NOTSUP,
	       "unknown console operation");
	uint64_t f[4] = { CONS_SET_FOREGROUND };
	UCHECK(metta_request(CAP_TTY, f, 0, 0, 0, 0, 0, 0, 0) == STATUS_ERR_INVAL,
	       "foreground without an event");
	UCHECK(metta_tty_write("nserv: console still writes\n", 28) == 0, "write");
	return 0;
}

static int time_and_randomness(void)
{
	uint64_t t[4] = { TOD_GET };
	UCHECK(metta_request(CAP_TOD, t, 0, 0, 0, 0, 0, 0, 0) == 0, "tod");
	UCHECK(t[1] > 1700000000ull && t[1] < 4102444800ull, "time %lu is not this century", t[1]);
	uint64_t s[4] = { TOD_SET, 1800000000ull };
	UCHECK(metta_request(CAP_TOD, s, 0, 0, 0, 0, 0, 0, 0) == STATUS_ERR_DENIED,
	       "set the clock without the right");
	static uint8_t a[256], b[256];
	uint64_t r[4] = { RANDOM_READ, sizeof(a) }, n = 0;
	UCHECK(metta_request(CAP_RANDOM, r, 0, 0, a, sizeof(a), &n, 0, 0) == 0 &&
		       n == sizeof(a), "random");
	uint64_t r2[4] = { RANDOM_READ, sizeof(b) };
	UCHECK(metta_request(CAP_RANDOM, r2, 0, 0, b, sizeof(b), &n, 0, 0) == 0, "random 2");
	UCHECK(memcmp(a, b, sizeof(a)), "two reads gave the same bytes");
	int zeros = 0;
	for (unsigned i = 0; i < sizeof(a); i++)
		zeros += a[i] == 0;
	UCHECK(zeros < 16, "%d zero bytes in 256", zeros);
	uint64_t big[4] = { RANDOM_READ, 5000 };
	UCHECK(metta_request(CAP_RANDOM, big, 0, 0, a, sizeof(a), &n, 0, 0) ==
		       STATUS_ERR_RANGE, "more than 4 KiB at once");
	return 0;
}

static int log_reads_back(void)
{
	static char buf[METTA_MSG_MAX_DATA];
	metta_printf("nserv marker 31337");
	metta_sleep(20000); /* the log server stamps and stores it */
	uint64_t w[4] = { LOG_READ, 0 }, n = 0, total = 0;
	int found = 0;
	do {
		w[0] = LOG_READ; /* w[1]: the offset the last reply gave */
		UCHECK(metta_request(CAP_LOG, w, 0, 0, buf, sizeof(buf), &n, 0, 0) == 0,
		       "log read");
		for (uint64_t i = 0; i + 18 <= n; i++)
			found |= !memcmp(buf + i, "nserv marker 31337", 18);
		total += n;
	} while (n);
	UCHECK(found, "our line is not in the log (%lu bytes read)", total);
	return 0;
}

static const struct utest tests[] = {
	{ "names_resolve_and_refuse", names_resolve_and_refuse },
	{ "console_refuses_nonsense", console_refuses_nonsense },
	{ "time_and_randomness", time_and_randomness },
	{ "log_reads_back", log_reads_back },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
