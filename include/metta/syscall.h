/*
 * The nucleus call ABI. A call is the `syscall` instruction with
 *   rax = METTA_SYSCALL_BASE + number (include/metta/syscalls.def)
 *   rdi, rsi, rdx, r10, r8, r9 = arguments 0..5
 * and returns a status or value in rax (negative = a status code from
 * metta/status.h). rcx and r11 are clobbered, as on Linux; every other
 * register is preserved.
 */
#ifndef METTA_SYSCALL_H
#define METTA_SYSCALL_H

#define METTA_SYSCALL_BASE     0x4d540000 /* "MT" << 16 */
#define METTA_SYSCALL_MAX_ARGS 6

#endif
