/* Symbol lookup for backtraces: see ksyms.h. */
#include "ksyms.h"

const char *ksym_find(const struct ksym *table, size_t count, uint64_t addr,
		      uint64_t *offset)
{
	if (count == 0 || addr < table[0].addr)
		return NULL;
	/* Last entry with table[i].addr <= addr. */
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (table[lo].name[0] == '\0')
		return NULL; /* the end marker: past the last function */
	*offset = addr - table[lo].addr;
	return table[lo].name;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	return ksym_find(ksym_table, ksym_count, addr, offset);
}
