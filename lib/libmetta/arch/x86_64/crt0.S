/*
 * Entry of a native Metta program. The nucleus (or a loader) leaves
 * rsp at argc, with argv, envp and the auxiliary vector above it, the
 * Linux layout. metta_start() does the rest in C.
 */
	.text
	.global _start
_start:
	xorl %ebp, %ebp
	movq %rsp, %rdi
	andq $-16, %rsp
	call metta_start
	ud2

#include "note.h"

	.section .note.GNU-stack, "", @progbits
