/*
 * diskfault: vdisk's tests from a Linux program.
 *
 *   diskfault files SD	  its files (SD: /dev/sd0 of a blank ramblk disk)
 *   diskfault FILE CTL KILLS the fault-injection workload
 *
 * `files` reports VDISK BEGIN/PASS/FAIL/END lines: sizes, reads and writes
 * at any offset, the ends of the device and of partitions (short writes,
 * ENOSPC, reads of nothing), an MBR written and read again (`rescan`),
 * bad ctl commands and wstats, names that are not there.
 *
 * Two writer processes write records into FILE (a vdisk file such as
 * /dev/sd0/data, or a file on a file system over vdisk) at offsets that
 * are not sector-aligned, their records sharing sectors (so vdisk's
 * read-modify-writes of the two meet), each record followed by fsync,
 * plus now and then a record longer than one 9P message. Meanwhile a
 * third process writes `crash` to CTL (vdisk's ctl, which makes the
 * driver fault) KILLS times at random moments. A record whose fsync
 * returned must read back exactly, at once and after all the kills.
 * Prints "diskfault ok: W records, K kills" and exits 0, or says what
 * was wrong and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS	 64	/* small records per writer */
#define SLOT_AT(w, i) ((off_t)(i) * 512 + (w) * 256 + 37) /* shares sectors */
#define SLOT_LEN 200
#define BIG_AT(w) ((off_t)(1 << 20) + (w) * (1 << 18) + 301)
#define BIG_LEN	 (70 * 1024 + 13) /* more than one message */
#define WRITERS	 2

static unsigned char buf[BIG_LEN], back[BIG_LEN];

/* The bytes of record generation g of slot s of writer w. */
static void pattern(unsigned char *p, size_t n, int w, int s, unsigned g)
{
	unsigned x = (unsigned)(w * 7919 + s * 104729) ^ (g * 2654435761u);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
}

static int full_pwrite(int fd, const unsigned char *p, size_t n, off_t at)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = pwrite(fd, p + done, n - done, at + (off_t)done);
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int full_pread(int fd, unsigned char *p, size_t n, off_t at)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = pread(fd, p + done, n - done, at + (off_t)done);
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

/* Does slot s (SLOTS: the big one) hold generation g? */
static int holds(int fd, int w, int s, unsigned g)
{
	size_t n = s == SLOTS ? BIG_LEN : SLOT_LEN;
	off_t at = s == SLOTS ? BIG_AT(w) : SLOT_AT(w, s);
	pattern(buf, n, w, s, g);
	if (full_pread(fd, back, n, at)) {
		printf("diskfault: writer %d: read of slot %d: %s\n", w, s,
		       strerror(errno));
		return 0;
	}
	if (memcmp(buf, back, n)) {
		printf("diskfault: writer %d: slot %d does not hold record %u\n",
		       w, s, g);
		return 0;
	}
	return 1;
}

/* Has the killer closed its end of the pipe (it is done)? */
static int stopped(int pipefd)
{
	char c;
	return read(pipefd, &c, 1) == 0;
}

/* Writes records until the killer is done (and at least 50), then
 * checks every slot: 0 or 1. */
static int writer(const char *file, int w, int pipefd)
{
	unsigned gen[SLOTS + 1] = { 0 }, next = 1, records = 0;
	int fd = open(file, O_RDWR);
	if (fd < 0) {
		printf("diskfault: %s: %s\n", file, strerror(errno));
		return 1;
	}
	srand((unsigned)getpid());
	while (records < 50 || !stopped(pipefd)) {
		int s = rand() % 16 == 0 ? SLOTS : rand() % SLOTS;
		size_t n = s == SLOTS ? BIG_LEN : SLOT_LEN;
		off_t at = s == SLOTS ? BIG_AT(w) : SLOT_AT(w, s);
		pattern(buf, n, w, s, next);
		if (full_pwrite(fd, buf, n, at)) {
			printf("diskfault: writer %d: write: %s\n", w,
			       strerror(errno));
			return 1;
		}
		if (fsync(fd)) {
			printf("diskfault: writer %d: fsync: %s\n", w,
			       strerror(errno));
			return 1;
		}
		gen[s] = next++;
		records++;
		if (rand() % 4 == 0 && !holds(fd, w, s, gen[s]))
			return 1;
	}
	for (int s = 0; s <= SLOTS; s++)
		if (gen[s] && !holds(fd, w, s, gen[s]))
			return 1;
	printf("diskfault: writer %d: %u records, all read back\n", w, records);
	close(fd);
	return 0;
}

/* One kill: `word` written to the file ctl. */
static int kill_once(const char *ctl, const char *word, int k)
{
	int fd = open(ctl, O_WRONLY);
	if (fd < 0 || write(fd, word, strlen(word)) != (ssize_t)strlen(word)) {
		printf("diskfault: kill %d (%s): %s\n", k, word, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* Ends the driver kills times, 1 to 30 ms apart: `crash` written to ctl
 * (the driver faults), or, every other time when pcictl is given, `kill`
 * written to the driver's PCI ctl file (pci kills it). pci waits longer
 * before each restart of a driver that keeps faulting soon after its
 * start; a kill is not the driver's failing, so alternating keeps the
 * test at the pace of the restarts themselves. */
static int killer(const char *ctl, int kills, const char *pcictl)
{
	srand((unsigned)time(0) ^ (unsigned)getpid());
	for (int k = 0; k < kills; k++) {
		usleep(1000 + (unsigned)(rand() % 30000));
		int rc = pcictl && k % 2 ? kill_once(pcictl, "kill", k)
					 : kill_once(ctl, "crash", k);
		if (rc)
			return 1;
	}
	printf("diskfault: %d kills\n", kills);
	return 0;
}

/* ---- diskfault files SD ---- */

static char path_buf[3][128];
static int checks;

static const char *at(int k, const char *sd, const char *name)
{
	snprintf(path_buf[k], sizeof(path_buf[k]), "%s/%s", sd, name);
	return path_buf[k];
}

#define VCHECK(name, cond, ...)                                  \
	do {                                                     \
		checks++;                                        \
		if (cond)                                        \
			printf("VDISK PASS " name "\n");         \
		else                                             \
			printf("VDISK FAIL " name ": " __VA_ARGS__); \
	} while (0)
#define FILE_CHECKS 14

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -errno : (long)st.st_size;
}

static int ctl(const char *sd, const char *cmd)
{
	int fd = open(at(2, sd, "ctl"), O_WRONLY);
	int rc = fd < 0 || write(fd, cmd, strlen(cmd)) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int ctl_says(const char *sd, const char *line)
{
	char text[2048];
	int fd = open(at(2, sd, "ctl"), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return 0;
	text[n] = 0;
	return strstr(text, line) != 0;
}

/* An MBR with two Linux partitions: 1 MiB at 1 MiB, 2 MiB at 2 MiB. */
static void write_mbr(int fd)
{
	unsigned char mbr[512] = { 0 };
	const unsigned start[2] = { 2048, 4096 }, count[2] = { 2048, 4096 };
	for (int i = 0; i < 2; i++) {
		unsigned char *e = mbr + 446 + 16 * i;
		e[4] = 0x83;
		memcpy(e + 8, &start[i], 4);
		memcpy(e + 12, &count[i], 4);
	}
	mbr[510] = 0x55, mbr[511] = 0xaa;
	full_pwrite(fd, mbr, sizeof(mbr), 0);
}

static int files(const char *sd)
{
	printf("VDISK BEGIN %d\n", FILE_CHECKS);
	const char *data = at(0, sd, "data");
	long size = file_size(data);
	char line[64];
	snprintf(line, sizeof(line), "size %ld\n", size);
	VCHECK("size", size > 0 && size % 512 == 0 && ctl_says(sd, line),
	       "stat %ld, ctl does not say so\n", size);
	int fd = open(data, O_RDWR);
	/* Any offset: 1000 bytes over three sectors, their neighbours kept. */
	unsigned char *a = buf, *b = back;
	pattern(a, 4096, 9, 9, 1);
	full_pwrite(fd, a, 4096, 8192);
	pattern(a + 1234, 1000, 9, 9, 2);
	int wrote = full_pwrite(fd, a + 1234, 1000, 8192 + 1234) == 0;
	VCHECK("unaligned_write_read",
	       wrote && full_pread(fd, b, 4096, 8192) == 0 && !memcmp(a, b, 4096),
	       "what was read differs\n");
	pattern(a, 3, 9, 9, 3);
	VCHECK("tiny_write_in_a_sector",
	       pwrite(fd, a, 3, 8192 + 511) == 3 && pread(fd, b, 3, 8192 + 511) == 3 &&
		   !memcmp(a, b, 3),
	       "3 bytes across a sector boundary\n");
	VCHECK("read_at_end_is_empty", pread(fd, b, 100, size) == 0,
	       "read at the end gave something\n");
	errno = 0;
	VCHECK("write_at_end_enospc", pwrite(fd, a, 100, size) < 0 && errno == ENOSPC,
	       "errno %d\n", errno);
	VCHECK("write_across_end_short", pwrite(fd, a, 100, size - 30) == 30,
	       "not cut at the end\n");
	VCHECK("fsync", fsync(fd) == 0, "%s\n", strerror(errno));
	VCHECK("bad_ctl_command", ctl(sd, "explode") == -EINVAL,
	       "not EINVAL\n");
	VCHECK("chmod_refused", fchmod(fd, 0600) < 0 && errno == EPERM,
	       "errno %d\n", errno);
	/* Partitions: an MBR, read again at `rescan`. */
	write_mbr(fd);
	VCHECK("rescan", ctl(sd, "rescan") == 0 && ctl_says(sd, "part1 2048 2048\n") &&
			     ctl_says(sd, "part2 4096 4096\n"),
	       "ctl does not list the partitions\n");
	const char *p1 = at(1, sd, "part1");
	VCHECK("partition_sizes",
	       file_size(p1) == 1 << 20 && file_size(at(2, sd, "part2")) == 2 << 20,
	       "part1 %ld\n", file_size(p1));
	int pfd = open(p1, O_RDWR);
	pattern(a, 20, 9, 9, 4);
	errno = 0;
	int short_write = pwrite(pfd, a, 20, (1 << 20) - 10) == 10;
	int at_end = pwrite(pfd, a, 20, 1 << 20) < 0 && errno == ENOSPC;
	VCHECK("partition_ends", short_write && at_end &&
				  pread(pfd, b, 10, 1 << 20) == 0,
	       "short %d enospc %d\n", short_write, at_end);
	VCHECK("partition_is_its_place",
	       full_pread(fd, b, 10, (2 << 20) - 10) == 0 && !memcmp(a, b, 10),
	       "the bytes are not at 1 MiB + part1's end\n");
	close(pfd);
	VCHECK("no_such_names",
	       file_size(at(1, sd, "part3")) == -ENOENT &&
		   file_size("/dev/sd7/data") == -ENOENT,
	       "part3 or sd7 exists\n");
	close(fd);
	printf("VDISK END\n");
	return checks != FILE_CHECKS;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "files"))
		return files(argv[2]);
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: diskfault FILE CTL KILLS [PCICTL]\n");
		return 2;
	}
	setvbuf(stdout, 0, _IONBF, 0);
	/* The writers learn that the killer is done when the pipe ends. */
	int pipefd[2];
	if (pipe(pipefd))
		return 1;
	/* A device, or a file made here, once, before the writers open it. */
	int made = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (made < 0) {
		printf("diskfault: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(made);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++)
		if ((pids[w] = fork()) == 0) {
			close(pipefd[1]);
			fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
			_exit(writer(argv[1], w, pipefd[0]));
		}
	close(pipefd[0]);
	int bad = killer(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : 0);
	close(pipefd[1]); /* the writers stop */
	for (int w = 0; w < WRITERS; w++) {
		int st;
		waitpid(pids[w], &st, 0);
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	printf(bad ? "diskfault FAILED\n" : "diskfault ok\n");
	return bad;
}
