/* srv: lists the services in /srv (the name service), one per line. */
#include <dirent.h>
#include <stdio.h>

int main(void)
{
	DIR *d = opendir("/srv");
	if (!d) {
		perror("/srv");
		return 1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("%s\n", e->d_name);
	closedir(d);
	return 0;
}
