/* The TSC read by the first instruction of the process (see entry.c). */
#ifndef BENCH_ENTRY_H
#define BENCH_ENTRY_H

#include <stdint.h>

extern uint64_t bench_entry_tsc;

#endif
