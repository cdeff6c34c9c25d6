/* Drivers' ctl commands (driver.h): pure, host-tested. */
#include "driver/driver.h"

int driver_is_command(const void *data, uint32_t count, const char *word)
{
	const char *d = data;
	if (count && d[count - 1] == '\n')
		count--;
	uint32_t i = 0;
	for (; i < count && word[i]; i++)
		if (d[i] != word[i])
			return 0;
	return i == count && !word[i];
}
