/*
 * In-nucleus self-tests, run when the command line says `test`. Each test
 * is a function registered in the .selftests section by SELFTEST(), so the
 * list is never kept by hand. Results go to the serial port one per line:
 *   SELFTEST PASS name
 *   SELFTEST FAIL name: reason
 * and QEMU ends through isa-debug-exit with a pass or fail code.
 */
#ifndef NUCLEUS_SELFTEST_H
#define NUCLEUS_SELFTEST_H

#include <boot.h>
#include <stddef.h>

struct selftest_ctx {
	struct boot_info *bi;
	char why[200];
};

/* Entries of a linker-built array: one fixed alignment, so that no
 * object file's padding can open a gap between them. */
struct selftest {
	const char *name;
	int (*fn)(struct selftest_ctx *t); /* 0 = pass */
} __attribute__((aligned(16)));

#define SELFTEST(name)                                                     \
	static int selftest_##name(struct selftest_ctx *t                  \
				   __attribute__((unused)));               \
	static const struct selftest selftest_entry_##name __attribute__(( \
	    used, section(".selftests"))) = { #name, selftest_##name };    \
	static int selftest_##name(struct selftest_ctx *t)

/* Records why the test failed (printf-style) and returns 1. */
int selftest_fail(struct selftest_ctx *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails the test with the message when cond is true. */
#define FAIL_IF(cond, ...)                                    \
	do {                                                  \
		if (cond)                                     \
			return selftest_fail(t, __VA_ARGS__); \
	} while (0)

/* Runs every registered test and ends the run; never returns. */
void selftest_run_all(struct boot_info *bi) __attribute__((noreturn));

#endif
