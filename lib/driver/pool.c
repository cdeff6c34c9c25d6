/* The skeleton's page pool for bounce buffers (driver.h): pure,
 * host-tested. */
#include "driver/driver.h"

void driver_pool_init(struct driver_pool *p, unsigned pages)
{
	p->pages = pages < DRIVER_POOL_MAX ? pages : DRIVER_POOL_MAX;
	p->free = p->pages;
	for (unsigned i = 0; i < DRIVER_POOL_MAX; i++)
		p->used[i] = 0;
}

int driver_pool_alloc(struct driver_pool *p, unsigned n)
{
	if (n == 0 || n > p->free)
		return -1;
	unsigned run = 0;
	for (unsigned i = 0; i < p->pages; i++) {
		run = p->used[i] ? 0 : run + 1;
		if (run < n)
			continue;
		unsigned first = i + 1 - n;
		for (unsigned k = first; k <= i; k++)
			p->used[k] = 1;
		p->free -= n;
		return (int)first;
	}
	return -1;
}

void driver_pool_free(struct driver_pool *p, int first, unsigned n)
{
	if (first < 0 || (unsigned)first + n > p->pages)
		return;
	for (unsigned k = (unsigned)first; k < (unsigned)first + n; k++)
		if (p->used[k]) {
			p->used[k] = 0;
			p->free++;
		}
}
