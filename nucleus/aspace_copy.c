/* Cross-address-space copies: see aspace_copy.h. */
#include <arch/paging.h>
#include <aspace_copy.h>
#include <string/kstring.h>

#include <metta/status.h>

/* The direct-map address of user address addr, if allowed. */
static void *reach(const struct aspace *as, uint64_t addr, int write)
{
	uint64_t pa;
	unsigned rights;
	if (addr >= USER_TOP || aspace_lookup(as, addr, &pa, &rights))
		return NULL;
	if (!(rights & VM_USER) || (write && !(rights & VM_WRITE)))
		return NULL;
	return phys_to_virt(pa);
}

static size_t in_page(uint64_t addr, size_t n)
{
	size_t room = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
	return n < room ? n : room;
}

int aspace_check(const struct aspace *as, uint64_t addr, size_t n, int write)
{
	if (n == 0)
		return STATUS_OK;
	if (addr >= USER_TOP || n > USER_TOP - addr)
		return STATUS_ERR_FAULT;
	for (uint64_t a = addr; a < addr + n; a += in_page(a, addr + n - a))
		if (!reach(as, a, write))
			return STATUS_ERR_FAULT;
	return STATUS_OK;
}

int aspace_read(const struct aspace *as, uint64_t addr, void *dst, size_t n)
{
	int rc = aspace_check(as, addr, n, 0);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(addr + done, n - done);
		memcpy((char *)dst + done, reach(as, addr + done, 0), k);
		done += k;
	}
	return rc;
}

int aspace_write(const struct aspace *as, uint64_t addr, const void *src,
		 size_t n)
{
	int rc = aspace_check(as, addr, n, 1);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(addr + done, n - done);
		memcpy(reach(as, addr + done, 1), (const char *)src + done, k);
		done += k;
	}
	return rc;
}

int aspace_copy(const struct aspace *dst, uint64_t dst_addr,
		const struct aspace *src, uint64_t src_addr, size_t n)
{
	int rc = aspace_check(src, src_addr, n, 0);
	if (rc == STATUS_OK)
		rc = aspace_check(dst, dst_addr, n, 1);
	for (size_t done = 0; rc == STATUS_OK && done < n;) {
		size_t k = in_page(src_addr + done, n - done);
		k = in_page(dst_addr + done, k);
		memcpy(reach(dst, dst_addr + done, 1),
		       reach(src, src_addr + done, 0), k);
		done += k;
	}
	return rc;
}
