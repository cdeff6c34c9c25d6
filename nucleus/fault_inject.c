/*
 * Deliberate nucleus faults, for testing the fault report. Each is its own
 * non-inlined function so the backtrace names it.
 */
#include <arch/layout.h>
#include <fault_inject.h>
#include <kprintf.h>
#include <string/kstring.h>

#include <stdint.h>

#define NOINLINE __attribute__((noinline))

/* An address in the scratch area that nothing maps. */
#define UNMAPPED_ADDRESS (SCRATCH_AREA_BASE + 0xdead000)

static NOINLINE void fault_page(void)
{
	*(volatile uint64_t *)UNMAPPED_ADDRESS = 0x1234;
}

static NOINLINE void fault_general_protection(void)
{
	/* A non-canonical address raises #GP, not #PF. */
	*(volatile uint64_t *)0x8000000000000000ull = 1;
}

static NOINLINE void fault_invalid_opcode(void)
{
	__builtin_trap();
}

static NOINLINE void fault_divide(void)
{
	/* Both volatile: GCC turns 1/x into x==1 and would never divide. */
	volatile unsigned n = 7, zero = 0;
	kprintf("%u\n", n / zero);
}

/* Recurses until the stack's guard page stops it: a #PF that cannot push
 * its frame becomes a double fault, handled on its own IST stack. */
static NOINLINE uint64_t fault_stack_overflow(volatile uint64_t depth)
{
	volatile char pad[512];
	pad[0] = (char)depth;
	if (depth == UINT64_MAX)
		return 0;
	return fault_stack_overflow(depth + 1) + pad[0];
}

void fault_inject(const char *kind)
{
	kprintf("fault injection: %s\n", kind);
	if (!strcmp(kind, "pf"))
		fault_page();
	else if (!strcmp(kind, "gp"))
		fault_general_protection();
	else if (!strcmp(kind, "ud"))
		fault_invalid_opcode();
	else if (!strcmp(kind, "de"))
		fault_divide();
	else if (!strcmp(kind, "df"))
		kprintf("%lu\n", fault_stack_overflow(0));
	else
		kprintf("fault injection: unknown kind '%s' (pf gp ud de df)\n",
			kind);
}
