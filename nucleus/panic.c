/* Fatal nucleus errors: see panic.h. */
#include <arch/cpu.h>
#include <arch/power.h>
#include <arch/trap.h>
#include <kprintf.h>
#include <panic.h>

#define EXIT_PANIC 0x11 /* QEMU exits with 0x23: a failed test run */

static int exit_on_panic;

void panic_set_exit(int on)
{
	exit_on_panic = on;
}

void panic_halt(void)
{
	kprintf("nucleus halted.\n");
	if (exit_on_panic)
		power_test_exit(EXIT_PANIC);
	power_halt();
}

void panic(const char *fmt, ...)
{
	irq_disable();
	va_list ap;
	va_start(ap, fmt);
	kprintf("\n*** NUCLEUS PANIC: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	va_end(ap);
	/* Starts in panic itself; the walk then reaches its caller. */
	backtrace_print((uint64_t)&panic, (uint64_t)__builtin_frame_address(0));
	panic_halt();
}
