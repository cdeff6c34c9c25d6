/* Host tests of the backtrace symbol lookup. */
#include <ksyms.h>

#include "check.h"

/* The nucleus's own table is generated at build time; tests bring theirs. */
const struct ksym ksym_table[] = { { 0, "" } };
const size_t ksym_count = 1;

static const struct ksym table[] = {
	{ 0x1000, "first" },
	{ 0x1040, "second" },
	{ 0x1100, "third" },
	{ 0x1200, "" }, /* end of text */
};

static int finds_containing_function(void)
{
	uint64_t off;
	CHECK_STR(ksym_find(table, 4, 0x1000, &off), "first");
	CHECK(off == 0);
	CHECK_STR(ksym_find(table, 4, 0x103f, &off), "first");
	CHECK(off == 0x3f);
	CHECK_STR(ksym_find(table, 4, 0x1040, &off), "second");
	CHECK_STR(ksym_find(table, 4, 0x11ff, &off), "third");
	CHECK(off == 0xff);
	return 0;
}

static int outside_text_is_unknown(void)
{
	uint64_t off;
	CHECK(ksym_find(table, 4, 0xfff, &off) == NULL);
	CHECK(ksym_find(table, 4, 0x1200, &off) == NULL);
	CHECK(ksym_find(table, 4, ~0ull, &off) == NULL);
	CHECK(ksym_find(table, 0, 0x1000, &off) == NULL);
	CHECK(ksym_lookup(0x1000, &off) == NULL); /* the empty table */
	return 0;
}

int main(void)
{
	RUN(finds_containing_function);
	RUN(outside_text_is_unknown);
	return check_done();
}
