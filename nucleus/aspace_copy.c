/* Cross-address-space copies: see aspace_copy.h. */
#include <arch/paging.h>
#include <aspace_copy.h>
#include <domain.h>
#include <memobj.h>
#include <string/kstring.h>

#include <metta/status.h>

/* The direct-map address of user address addr in d, if allowed; a page of
 * d's mappings not there yet comes in (rc says why not, when it cannot). */
static void *reach(struct domain *d, uint64_t addr, int write, int *rc)
{
	uint64_t pa;
	unsigned rights;
	*rc = STATUS_ERR_FAULT;
	if (addr >= USER_TOP)
		return NULL;
	if (aspace_lookup(&d->as, addr, &pa, &rights)) {
		int r = memobj_fault(d, addr, write ? VM_WRITE : 0);
		if (memobj_starved(r))
			*rc = r;
		if (r || aspace_lookup(&d->as, addr, &pa, &rights))
			return NULL;
	}
	if (!(rights & VM_USER) || (write && !(rights & VM_WRITE)))
		return NULL;
	*rc = STATUS_OK;
	return phys_to_virt(pa);
}

/* Where a checked address is (aspace_check brought its page in). */
static void *reached(struct domain *d, uint64_t addr, int write)
{
	int rc;
	return reach(d, addr, write, &rc);
}

static size_t in_page(uint64_t addr, size_t n)
{
	size_t room = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
	return n < room ? n : room;
}

int aspace_check(struct domain *d, uint64_t addr, size_t n, int write)
{
	if (n == 0)
		return STATUS_OK;
	if (addr >= USER_TOP || n > USER_TOP - addr)
		return STATUS_ERR_FAULT;
	int rc = STATUS_OK;
	for (uint64_t a = addr; a < addr + n; a += in_page(a, addr + n - a))
		if (!reach(d, a, write, &rc))
			return rc;
	return STATUS_OK;
}

int aspace_read(struct domain *d, uint64_t addr, void *dst, size_t n)
{
	int rc = aspace_check(d, addr, n, 0);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(addr + done, n - done);
		memcpy((char *)dst + done, reached(d, addr + done, 0), k);
		done += k;
	}
	return rc;
}

int aspace_write(struct domain *d, uint64_t addr, const void *src, size_t n)
{
	int rc = aspace_check(d, addr, n, 1);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(addr + done, n - done);
		memcpy(reached(d, addr + done, 1), (const char *)src + done, k);
		done += k;
	}
	return rc;
}

int aspace_copy(struct domain *dst, uint64_t dst_addr, struct domain *src,
		uint64_t src_addr, size_t n)
{
	int rc = aspace_check(src, src_addr, n, 0);
	if (rc == STATUS_OK)
		rc = aspace_check(dst, dst_addr, n, 1);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(src_addr + done, n - done);
		k = in_page(dst_addr + done, k);
		memcpy(reached(dst, dst_addr + done, 1),
		       reached(src, src_addr + done, 0), k);
		done += k;
	}
	return rc;
}
