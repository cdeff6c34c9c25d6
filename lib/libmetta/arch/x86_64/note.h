/*
 * The ELF note that says "a native Metta program" (lib/elf/elf.h), for
 * the start-up assembly of native programs and of the runtime: programs
 * without it are Linux programs and get the POSIX runtime.
 */
	.section .note.metta, "a", @note
	.balign 4
	.long 6			/* name size */
	.long 0			/* no descriptor */
	.long 1			/* ELF_NOTE_METTA */
	.asciz "Metta"
	.balign 4
