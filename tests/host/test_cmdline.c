/* Host tests of the nucleus command-line parser. */
#include <cmdline.h>

#include "check.h"

static int finds_keys_and_values(void)
{
	const char *c = "  test=all panic=exit   quiet fault=pf ";
	char buf[16];
	CHECK(cmdline_get(c, "test", buf, sizeof(buf)) && !strcmp(buf, "all"));
	CHECK(cmdline_get(c, "fault", buf, sizeof(buf)) && !strcmp(buf, "pf"));
	CHECK(cmdline_get(c, "quiet", buf, sizeof(buf)) && buf[0] == 0);
	CHECK(!cmdline_get(c, "missing", buf, sizeof(buf)));
	CHECK(cmdline_is(c, "panic", "exit"));
	CHECK(!cmdline_is(c, "panic", "exi"));
	CHECK(!cmdline_is(c, "panic", "exits"));
	return 0;
}

static int prefixes_do_not_match(void)
{
	size_t len;
	CHECK(cmdline_find("testing=1", "test", &len) == NULL);
	CHECK(cmdline_find("test", "testing", &len) == NULL);
	CHECK(cmdline_find("", "x", &len) == NULL);
	CHECK(cmdline_find("x=1", "", &len) == NULL);
	return 0;
}

static int last_word_wins(void)
{
	char buf[8];
	CHECK(cmdline_get("a=1 a=2", "a", buf, sizeof(buf)) &&
	      !strcmp(buf, "2"));
	return 0;
}

static int values_are_truncated_safely(void)
{
	char buf[4];
	CHECK(cmdline_get("k=abcdefgh", "k", buf, sizeof(buf)));
	CHECK_STR(buf, "abc");
	CHECK(!cmdline_get("k=abc", "k", buf, 0));
	return 0;
}

static int numbers(void)
{
	CHECK(cmdline_number("cpus=4 mem=512", "mem", 0) == 512);
	CHECK(cmdline_number("cpus=4x", "cpus", 7) == 7);
	CHECK(cmdline_number("cpus=", "cpus", 7) == 7);
	CHECK(cmdline_number("cpus=99999999999999999999", "cpus", 7) == 7);
	CHECK(cmdline_number("", "cpus", 3) == 3);
	return 0;
}

int main(void)
{
	RUN(finds_keys_and_values);
	RUN(prefixes_do_not_match);
	RUN(last_word_wins);
	RUN(values_are_truncated_safely);
	RUN(numbers);
	return check_done();
}
