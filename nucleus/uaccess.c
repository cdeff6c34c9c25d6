/* User memory access: see uaccess.h. */
#include <arch/paging.h>
#include <uaccess.h>

#include <metta/status.h>

int uaccess_copy(void *dst, const void *src, size_t n);

static int user_range(uint64_t addr, size_t n)
{
	return addr < USER_TOP && n <= USER_TOP - addr;
}

int copy_from_user(void *dst, uint64_t user_src, size_t n)
{
	if (n == 0)
		return STATUS_OK;
	if (!user_range(user_src, n))
		return STATUS_ERR_FAULT;
	return uaccess_copy(dst, (const void *)user_src, n);
}

int copy_to_user(uint64_t user_dst, const void *src, size_t n)
{
	if (n == 0)
		return STATUS_OK;
	if (!user_range(user_dst, n))
		return STATUS_ERR_FAULT;
	return uaccess_copy((void *)user_dst, src, n);
}
