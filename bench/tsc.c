/*
 * tsc NAME: print "BENCH name=NAME unit=tsc value=<TSC at entry>". A script
 * runs it to stamp a moment of the boot, e.g. the point where it would hand
 * the console to a shell.
 */
#include <inttypes.h>
#include <stdio.h>

#include "entry.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tsc NAME\n");
		return 2;
	}
	printf("BENCH name=%s unit=tsc value=%" PRIu64 "\n", argv[1],
	       bench_entry_tsc);
	return 0;
}
