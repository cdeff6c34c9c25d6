/*
 * ns [pid]: prints a process's namespace (its own by default), one mount
 * per line, as /proc/PID/ns has it (its own: /proc/self/ns): the form `mount` and the runtime's
 * namespace files take back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], buf[4096];
	if (argc > 1)
		snprintf(path, sizeof(path), "/proc/%ld/ns", atol(argv[1]));
	else
		snprintf(path, sizeof(path), "/proc/self/ns");
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0;
}
