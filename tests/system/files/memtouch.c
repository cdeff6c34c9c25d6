/*
 * memtouch: what memory on demand costs, for the system tests
 * (tests/system/boots.py). Runs on Linux too.
 *   memtouch big   maps 1 GiB, touches 4 pages, and says how much its
 *                  charge (VmRSS in /proc/self/status) grew
 *   memtouch give  touches 4 MiB of brk and 4 MiB of mmap, then gives
 *                  them back (brk shrink, MADV_DONTNEED) and says how
 *                  much its charge fell
 *   memtouch hog   touches 64 MiB page by page, more than a process may
 *                  have on Metta: it dies of SIGBUS there
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

/* VmRSS in KiB, or -1. Read without stdio: its buffers would come from
 * malloc, whose brk "give" moves under it. */
static long rss_kib(void)
{
	static char text[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	text[n] = 0;
	const char *at = strstr(text, "VmRSS:");
	return at ? strtol(at + 6, 0, 10) : -1;
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

/* Writes every page of [p, p + len). */
static void touch(volatile unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
}

static int give(void)
{
	const size_t len = (size_t)4 << 20;
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	if ((uintptr_t)syscall(SYS_brk, cur + len) != cur + len) {
		fprintf(stderr, "memtouch: brk would not grow\n");
		return 1;
	}
	volatile unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memtouch: mmap of 4 MiB");
		return 1;
	}
	touch((volatile unsigned char *)cur, len);
	touch(p, len);
	long full = rss_kib();
	syscall(SYS_brk, cur);
	madvise((void *)p, len, MADV_DONTNEED);
	long after = rss_kib();
	if (p[0] != 0 || p[len - 1] != 0) {
		fprintf(stderr, "memtouch: MADV_DONTNEED left the contents\n");
		return 1;
	}
	printf("memtouch: 8 MiB touched and given back, charge fell by %ld KiB\n",
	       full - after);
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
	if (argc == 2 && !strcmp(argv[1], "give"))
		return give();
	if (argc == 2 && !strcmp(argv[1], "hog"))
		return hog();
	fprintf(stderr, "usage: memtouch big|give|hog\n");
	return 2;
}
