/* The self-test runner: see selftest.h. */
#include <arch/power.h>
#include <kprintf.h>
#include <panic.h>
#include <selftest.h>

#include <fmt/fmt.h>

#define EXIT_PASS 0x10 /* QEMU exits with 0x21 */
#define EXIT_FAIL 0x11 /* QEMU exits with 0x23 */

extern const struct selftest __selftests_start[], __selftests_end[];

int selftest_fail(struct selftest_ctx *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return 1;
}

void selftest_run_all(struct boot_info *bi)
{
	int passed = 0, failed = 0;
	uint64_t bytes =
	    (uint64_t)__selftests_end - (uint64_t)__selftests_start;
	if (bytes % sizeof(struct selftest))
		panic("the .selftests section is not an array (%lu bytes)",
		      bytes);
	kprintf("SELFTEST BEGIN %d\n",
		(int)(__selftests_end - __selftests_start));
	for (const struct selftest *s = __selftests_start; s < __selftests_end;
	     s++) {
		struct selftest_ctx t = { .bi = bi, .why = "" };
		if (s->fn(&t) == 0) {
			kprintf("SELFTEST PASS %s\n", s->name);
			passed++;
		} else {
			kprintf("SELFTEST FAIL %s: %s\n", s->name, t.why);
			failed++;
		}
	}
	kprintf("SELFTEST END %d passed, %d failed\n", passed, failed);
	power_test_exit(failed ? EXIT_FAIL : EXIT_PASS);
	power_halt();
}
