/*
 * ELF64 executables: checks an image completely before anything is mapped.
 *
 * elf_parse() accepts static x86-64 executables (ET_EXEC, or ET_DYN without
 * an interpreter: static-pie) and rejects anything truncated, overlapping,
 * for another machine, writable and executable at once, or reaching outside
 * user space, with STATUS_ERR_CORRUPT (or ERR_NOTSUP for a dynamically
 * linked program) and a reason. Pure code: the nucleus's first spawn and
 * user-space loaders share it, and the host tests feed it corrupt images.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

#define ELF_R 4
#define ELF_W 2
#define ELF_X 1

struct elf_segment {
	uint64_t vaddr; /* where it goes (before any load bias) */
	uint64_t memsz;
	uint64_t offset; /* of its bytes in the file */
	uint64_t filesz;
	unsigned rights; /* ELF_R | ELF_W | ELF_X */
};

/*
 * Native Metta programs carry a note named "Metta" of this type (libmetta's
 * start-up code adds it); any other program is a Linux program and runs
 * with the POSIX runtime.
 */
#define ELF_NOTE_METTA 1

struct elf_image {
	int pie;    /* ET_DYN: every address is relative to a bias */
	int native; /* has the Metta note */
	uint64_t entry;
	uint64_t phdr_vaddr; /* for AT_PHDR; 0 if no segment holds them */
	uint16_t phnum, phentsize;
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align; /* PT_TLS */
	int nsegments;
	struct elf_segment seg[ELF_MAX_SEGMENTS]; /* sorted by vaddr */
	const char *error;
};

/*
 * Parses `size` bytes at image. Every segment must end at or below `limit`
 * (the top of user space; for a PIE, counted from address 0).
 * Returns 0, STATUS_ERR_CORRUPT or STATUS_ERR_NOTSUP (info->error says why).
 */
int elf_parse(const void *image, size_t size, uint64_t limit,
	      struct elf_image *info);

#endif
