/* Start-up of native programs: from the initial stack to main and exit. */
#include "metta.h"

void metta_start(long *sp) __attribute__((noreturn));

void metta_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	metta_exit(main(argc, argv, envp));
	for (;;)
		;
}
