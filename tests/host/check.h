/*
 * A minimal unit-test kit for host tests. Each test is `static int
 * name(void)` returning 0 on success; CHECK() fails it with the location.
 * main() lists the tests with RUN() and returns check_done(). One line per
 * test, which tests/run.py collects:
 *   PASS name
 *   FAIL name: file:line: condition
 */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static char check_msg[512];

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			snprintf(check_msg, sizeof(check_msg), "%s:%d: %s", \
				 __FILE__, __LINE__, #cond);                \
			return 1;                                           \
		}                                                           \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (strcmp(g_, w_) != 0) {                                   \
			snprintf(check_msg, sizeof(check_msg),               \
				 "%s:%d: got \"%s\", want \"%s\"", __FILE__, \
				 __LINE__, g_, w_);                          \
			return 1;                                            \
		}                                                            \
	} while (0)

static void run_test(const char *name, int (*fn)(void))
{
	check_msg[0] = 0;
	if (fn() == 0) {
		printf("PASS %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, check_msg);
		check_failures++;
	}
	fflush(stdout);
}

#define RUN(fn) run_test(#fn, fn)

static inline int check_done(void)
{
	return check_failures ? 1 : 0;
}

#endif
