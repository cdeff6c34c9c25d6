/*
 * Multiboot2 boot information: the parts the nucleus uses, checked and
 * copied out of the loader's structure.
 *
 * mb2_parse() trusts nothing: every tag must lie inside the structure's
 * stated size, strings must be NUL-terminated inside their tag, and a
 * malformed structure gives STATUS_ERR_CORRUPT with a reason, not a fault.
 */
#ifndef ARCH_MULTIBOOT2_H
#define ARCH_MULTIBOOT2_H

#include <stddef.h>
#include <stdint.h>

#define MB2_MAX_MMAP	128
#define MB2_MAX_MODULES 32

/* Memory map entry types (as in the specification). */
#define MB2_MEM_AVAILABLE	 1
#define MB2_MEM_RESERVED	 2
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS		 4
#define MB2_MEM_BADRAM		 5

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

struct mb2_module {
	uint64_t start;	  /* physical, inclusive */
	uint64_t end;	  /* physical, exclusive */
	const char *name; /* the module's command line, inside the structure */
};

struct mb2_info {
	uint64_t total_size;
	const char *cmdline;	 /* "" when absent */
	const char *loader_name; /* "" when absent */
	int nmmap;
	struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
	int nmodules;
	struct mb2_module modules[MB2_MAX_MODULES];
	const void
	    *rsdp; /* copy of the ACPI RSDP inside the structure, or NULL */
	size_t rsdp_len;
	const char *error; /* why parsing failed */
};

/*
 * Parses the structure at mbi, of which at most `avail` bytes may be read.
 * Returns 0 or STATUS_ERR_CORRUPT (with info->error set). Pointers in info
 * point into the structure, which must stay where it is.
 */
int mb2_parse(const void *mbi, size_t avail, struct mb2_info *info);

#endif
