/*
 * The initial stack of a new program, as Linux lays it out (so that musl's
 * and glibc's start-up code works unchanged): argc, argv[], NULL, envp[],
 * NULL, the auxiliary vector, then the strings and 16 random bytes.
 * Shared by the nucleus's first spawn and user-space loaders.
 */
#ifndef LIB_ELF_STACK_H
#define LIB_ELF_STACK_H

#include <stddef.h>
#include <stdint.h>

struct elf_image;

struct stack_args {
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	uint64_t random[2]; /* for AT_RANDOM */
	uint64_t hwcap;	    /* for AT_HWCAP */
	uint64_t bias;	    /* load address of a PIE, else 0 */
	uint64_t base;	    /* AT_BASE: the runtime loaded with it, or 0 */
	const char *ns;	    /* AT_METTA_NS: its namespace (text), or 0 */
	uint64_t stack_low; /* AT_METTA_STACK: the stack's lowest address */
};

/*
 * Our own auxiliary vector entry: the address of the program's namespace
 * as text (runtime/README.md), for the POSIX runtime and native programs.
 * Other programs ignore types they do not know.
 */
#define AT_METTA_NS 0x4d54
/* And where the stack ends, so the runtime knows every mapping. */
#define AT_METTA_STACK 0x4d55

/*
 * Fills buf, which will be the `size` bytes of user memory just below
 * `top`, and returns the initial stack pointer (16-byte aligned, at argc),
 * or 0 if it does not fit.
 */
uint64_t elf_build_stack(uint8_t *buf, size_t size, uint64_t top,
			 const struct elf_image *img,
			 const struct stack_args *a);

#endif
