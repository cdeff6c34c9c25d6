/*
 * A test kit for native user programs run on Metta. Results go to the
 * nucleus log one per line, as the harness expects:
 *   UTEST BEGIN n / UTEST PASS name / UTEST FAIL name: why / UTEST END
 * and the program's exit status says whether all passed.
 */
#ifndef TESTS_USER_UTEST_H
#define TESTS_USER_UTEST_H

#include <fmt/fmt.h>
#include <metta.h>

struct utest {
	const char *name;
	int (*fn)(void);
};

static char utest_why[256];

#define UCHECK(cond, ...)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fmt_snprintf(utest_why, sizeof(utest_why),          \
				     __VA_ARGS__);                         \
			return 1;                                          \
		}                                                          \
	} while (0)

/* The number after `word ` at the start of a line of text, or -1 (the
 * figures of a stats file). */
static inline long utest_line_value(const char *text, const char *word)
{
	size_t n = 0;
	while (word[n])
		n++;
	for (const char *at = text; *at; at++) {
		if (at != text && at[-1] != '\n')
			continue;
		size_t i = 0;
		while (i < n && at[i] == word[i])
			i++;
		if (i < n || at[n] != ' ')
			continue;
		long v = 0;
		for (at += n + 1; *at >= '0' && *at <= '9'; at++)
			v = v * 10 + (*at - '0');
		return v;
	}
	return -1;
}

static inline int utest_run(const struct utest *tests, int n)
{
	int failed = 0;
	metta_printf("UTEST BEGIN %d", n);
	for (int i = 0; i < n; i++) {
		utest_why[0] = 0;
		if (tests[i].fn() == 0) {
			metta_printf("UTEST PASS %s", tests[i].name);
		} else {
			metta_printf("UTEST FAIL %s: %s", tests[i].name, utest_why);
			failed++;
		}
	}
	metta_printf("UTEST END %d passed, %d failed", n - failed, failed);
	return failed ? 1 : 0;
}

#endif
