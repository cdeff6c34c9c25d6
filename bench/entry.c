/*
 * An entry point that reads the time stamp counter before anything else
 * runs, then continues at the C library's own _start with the stack as the
 * kernel left it. Link with -Wl,-e,bench_entry. The TSC counts from machine
 * reset (under -icount: instructions since reset), so this is the time the
 * system took to run its first user instruction, give or take the exec.
 */
#include <stdint.h>

uint64_t bench_entry_tsc;

/* rdtsc clobbers only rax and rdx, and _start uses neither on entry. */
__asm__(".text\n"
	".globl bench_entry\n"
	".type bench_entry, @function\n"
	"bench_entry:\n"
	"	rdtsc\n"
	"	mov %eax, bench_entry_tsc(%rip)\n"
	"	mov %edx, bench_entry_tsc+4(%rip)\n"
	"	jmp _start\n"
	".size bench_entry, .-bench_entry\n");
