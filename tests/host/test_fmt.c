/* Host tests of the printf engine (lib/fmt), compared with what C says. */
#include <fmt/fmt.h>
#include <limits.h>
#include <stdint.h>

#include "check.h"

static char buf[256];

#define FMT(...) (fmt_snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

/* For formats the compiler would (rightly) warn about: no format check. */
static char *fmt_raw(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	fmt_vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

static int integers(void)
{
	CHECK_STR(FMT("%d", 0), "0");
	CHECK_STR(FMT("%d %i", -42, 17), "-42 17");
	CHECK_STR(FMT("%u", 4000000000u), "4000000000");
	CHECK_STR(FMT("%ld", LONG_MIN), "-9223372036854775808");
	CHECK_STR(FMT("%lu", ULONG_MAX), "18446744073709551615");
	CHECK_STR(FMT("%lld", -1LL), "-1");
	CHECK_STR(FMT("%zu", (size_t)123), "123");
	CHECK_STR(FMT("%hhd %hd", 300, 70000), "44 4464");
	return 0;
}

static int hex_octal_pointer(void)
{
	CHECK_STR(FMT("%x %X", 0xbeefu, 0xbeefu), "beef BEEF");
	CHECK_STR(FMT("%#x %#X %#x", 255u, 255u, 0u), "0xff 0XFF 0");
	CHECK_STR(FMT("%o %#o", 8u, 8u), "10 010");
	CHECK_STR(FMT("%016lx", 0xdeadUL), "000000000000dead");
	CHECK_STR(FMT("%p", (void *)0x1000), "0x1000");
	return 0;
}

static int width_and_flags(void)
{
	CHECK_STR(FMT("[%5d]", 42), "[   42]");
	CHECK_STR(FMT("[%-5d]", 42), "[42   ]");
	CHECK_STR(FMT("[%05d]", -42), "[-0042]");
	CHECK_STR(FMT("[%+d] [% d]", 5, 5), "[+5] [ 5]");
	CHECK_STR(FMT("[%*d]", 4, 7), "[   7]");
	CHECK_STR(FMT("[%*d]", -4, 7), "[7   ]");
	CHECK_STR(fmt_raw("[%-05d]", 3), "[3    ]");
	return 0;
}

static int precision(void)
{
	CHECK_STR(FMT("%.3d", 7), "007");
	CHECK_STR(FMT("%.0d", 0), "");
	CHECK_STR(FMT("%8.3d|", -7), "    -007|");
	CHECK_STR(FMT("%.2s", "hello"), "he");
	CHECK_STR(FMT("%.*s", 3, "hello"), "hel");
	CHECK_STR(FMT("%-6.2s|", "hello"), "he    |");
	return 0;
}

static int strings_and_chars(void)
{
	CHECK_STR(FMT("%s and %s", "this", "that"), "this and that");
	CHECK_STR(fmt_raw("%s", (char *)NULL), "(null)");
	CHECK_STR(FMT("%c%c%c", 'a', 'b', 'c'), "abc");
	CHECK_STR(FMT("%3c|", 'x'), "  x|");
	CHECK_STR(FMT("100%%"), "100%");
	return 0;
}

static int unknown_conversions_are_kept(void)
{
	CHECK_STR(fmt_raw("%q"), "%q");
	CHECK_STR(fmt_raw("end %"), "end %");
	return 0;
}

static int truncation(void)
{
	char small[6];
	int n = fmt_snprintf(small, sizeof(small), "%s", "abcdefgh");
	CHECK(n == 8);
	CHECK_STR(small, "abcde");
	n = fmt_snprintf(small, 0, "%d", 12345);
	CHECK(n == 5);
	n = fmt_snprintf(small, 1, "xyz");
	CHECK(n == 3 && small[0] == 0);
	return 0;
}

/* The engine must agree with the host's libc on a sweep of cases. */
static int matches_libc(void)
{
	static const int values[] = { 0,    1,	   -1,	    9,	    10,
				      -100, 12345, INT_MAX, INT_MIN };
	static const char *formats[] = {
		"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.4d", "%8.4d",
		"%x", "%#x", "%o",    "%#o",  "%X",  "%u",  "%10u"
	};
	char want[64];
	for (size_t f = 0; f < sizeof(formats) / sizeof(*formats); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(*values); v++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(want, sizeof(want), formats[f], values[v]);
#pragma GCC diagnostic pop
			fmt_raw(formats[f], values[v]);
			CHECK_STR(buf, want);
		}
	}
	return 0;
}

int main(void)
{
	RUN(integers);
	RUN(hex_octal_pointer);
	RUN(width_and_flags);
	RUN(precision);
	RUN(strings_and_chars);
	RUN(unknown_conversions_are_kept);
	RUN(truncation);
	RUN(matches_libc);
	return check_done();
}
