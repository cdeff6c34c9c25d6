/*
 * The nucleus's own symbol table, for symbolised backtraces. The build
 * links the nucleus twice: the second time with a table generated from
 * the first link's text symbols (tools/ksyms.py), which leaves every text
 * address unchanged (the build checks this).
 */
#ifndef NUCLEUS_KSYMS_H
#define NUCLEUS_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
};

extern const struct ksym ksym_table[];
extern const size_t ksym_count;

/*
 * The function containing addr in a table sorted by address: its name, with
 * addr's offset into it in *offset; NULL if addr is below the first symbol
 * or at/after the table's end marker (the last entry, named "").
 */
const char *ksym_find(const struct ksym *table, size_t count, uint64_t addr,
		      uint64_t *offset);

/* ksym_find() on the nucleus's own table. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
