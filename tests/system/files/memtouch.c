/*
 * memtouch: what memory on demand costs, for the system tests
 * (tests/system/boots.py). Runs on Linux too.
 *   memtouch big   maps 1 GiB, touches 4 pages, and says how much its
 *                  charge (VmRSS in /proc/self/status) grew
 *   memtouch hog   touches 64 MiB page by page, more than a process may
 *                  have on Metta: it dies of SIGBUS there
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

/* VmRSS in KiB, or -1. */
static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = strtol(line + 6, 0, 10);
	if (f)
		fclose(f);
	return kib;
}

static int big(void)
{
	const size_t len = (size_t)1 << 30;
	const size_t at[4] = { 0, 1000 * PAGE, len / 2, len - PAGE };
	long before = rss_kib();
	volatile unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memtouch: mmap of 1 GiB");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		p[at[i]] = (unsigned char)(i + 1);
	long after = rss_kib();
	for (int i = 0; i < 4; i++)
		if (p[at[i]] != i + 1 || p[at[i] + 1] != 0) {
			fprintf(stderr, "memtouch: page at +%zu lost\n", at[i]);
			return 1;
		}
	munmap((void *)p, len);
	printf("memtouch: 1 GiB mapped, 4 pages touched, charge grew by %ld KiB\n",
	       after - before);
	printf("memtouch big ok\n");
	return 0;
}

static int hog(void)
{
	const size_t len = (size_t)64 << 20;
	volatile unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memtouch: mmap of 64 MiB");
		return 1;
	}
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
	printf("memtouch: touched 64 MiB\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "big"))
		return big();
	if (argc == 2 && !strcmp(argv[1], "hog"))
		return hog();
	fprintf(stderr, "usage: memtouch big|hog\n");
	return 2;
}
