/*
 * What the architecture's boot code found, handed to the portable nucleus.
 */
#ifndef NUCLEUS_BOOT_H
#define NUCLEUS_BOOT_H

#include <pmm.h>
#include <stdint.h>

#define BOOT_MAX_MODULES  32
#define BOOT_MAX_RESERVED 160

struct boot_module {
	uint64_t phys;
	uint64_t len;
	const char *name;
};

struct boot_info {
	const char *cmdline;
	const char *loader;
	char cpu_model[49];
	int ncpus;	    /* in the MADT */
	int cpus_running;   /* started */
	uint64_t ram_bytes; /* usable RAM in the firmware's memory map */
	uint64_t phys_top;  /* end of the physical address space we map */
	uint64_t phys_end;  /* 1 << the CPU's physical address width */
	int nmodules;
	struct boot_module modules[BOOT_MAX_MODULES];
	/* Usable RAM the allocator must never hand out (image, modules...),
	 * plus every range the firmware did not mark usable. */
	int nreserved;
	struct mem_range reserved[BOOT_MAX_RESERVED];
	struct pmm *pmm;
	uint64_t tsc_hz;
	const char *tsc_source;
	uint64_t timer_hz;
	uint64_t kernel_stack_top; /* of the stack nucleus_main runs on */
	uint64_t tsc_at_entry;	   /* when the loader jumped to the nucleus */
};

/* Whether a physical page is RAM (in the firmware's map) or a device the
 * nucleus drives itself: never mappable as device memory. */
int phys_is_ram_or_nucleus(uint64_t phys);

/* The portable nucleus, entered once the machine is set up. */
void nucleus_main(struct boot_info *bi) __attribute__((noreturn));

#endif
