/*
 * /init of the benchmark initramfs. Its first instruction reads the TSC
 * (entry.c), which gives "boot to first user instruction"; then it hands
 * over to the shell script that runs the suite. The kernel has already
 * opened /dev/console as descriptors 0, 1 and 2.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "entry.h"

#define RC "/etc/rc"

int main(void)
{
	char *argv[] = { "sh", RC, 0 };

	printf("BENCH name=boot.first_user unit=tsc value=%" PRIu64 "\n",
	       bench_entry_tsc);
	fflush(stdout);
	execv("/bin/sh", argv);
	perror("init: exec /bin/sh " RC);
	return 1;
}
