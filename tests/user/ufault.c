/*
 * A program that faults on purpose, in the way its name says (the harness
 * boots copies of it under several names): the nucleus must end its domain
 * with a log line naming the fault, and carry on.
 *   ufault-null    write to address 0
 *   ufault-text    write to its own code (text is read+execute)
 *   ufault-nx      jump into its data (data is not executable)
 *   ufault-nucleus read nucleus memory (supervisor pages)
 *   ufault-ud      an invalid instruction
 */
#include <metta.h>
#include <stdint.h>
#include <string/kstring.h>

static uint8_t data_page[64] = { 0xc3 }; /* "ret", if it could run */

void do_fault(const char *kind);

__attribute__((noinline)) void do_fault(const char *kind)
{
	if (!strcmp(kind, "ufault-null"))
		*(volatile int *)0 = 1;
	else if (!strcmp(kind, "ufault-text"))
		*(volatile uint8_t *)(uintptr_t)&do_fault = 0x90;
	else if (!strcmp(kind, "ufault-nx"))
		((void (*)(void))(uintptr_t)data_page)();
	else if (!strcmp(kind, "ufault-nucleus"))
		metta_printf("%d", *(volatile int *)0xffff800000001000ul);
	else if (!strcmp(kind, "ufault-ud"))
		__builtin_trap();
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)envp;
	metta_printf("%s: about to fault", argv[0]);
	do_fault(argv[0]);
	metta_printf("%s: still alive after the fault", argv[0]);
	return 0;
}
