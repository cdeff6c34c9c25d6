/* The capability calls: copy, move, delete, revoke, inspect, give. */
#include <cap.h>
#include <device.h>
#include <domain.h>

#include <metta/status.h>
#include <nucleus/syscall_table.h>

static struct captable *own_table(void)
{
	return &current_domain()->caps;
}

long sys_cap_copy(uint32_t src, uint32_t dst, uint32_t rights, uint64_t badge)
{
	return cap_copy(own_table(), src, own_table(), dst, rights, badge);
}

long sys_cap_move(uint32_t src, uint32_t dst)
{
	return cap_move(own_table(), src, own_table(), dst);
}

long sys_cap_delete(uint32_t slot)
{
	return cap_delete(own_table(), slot);
}

long sys_cap_revoke(uint32_t slot)
{
	return cap_revoke(own_table(), slot);
}

/* The object type in bits 32 and up, the rights below. */
long sys_cap_info(uint32_t slot)
{
	struct cap *c;
	int rc = cap_lookup(own_table(), slot, OBJ_NONE, 0, &c);
	if (rc)
		return rc;
	return (long)((uint64_t)c->obj->type << 32 | c->rights);
}

/* Copies one of the caller's capabilities into a domain it controls. */
long sys_cap_give(uint32_t domain, uint32_t src, uint32_t dst, uint32_t rights)
{
	struct domain *d;
	int rc = domain_lookup(domain, RIGHT_CONTROL, 1, &d);
	if (rc)
		return rc;
	struct cap *s;
	if ((rc = cap_lookup(own_table(), src, OBJ_NONE, 0, &s)))
		return rc;
	if (!device_cap_allowed(s->obj->type, d))
		return STATUS_ERR_DENIED; /* devices go to drivers only */
	return cap_copy(own_table(), src, &d->caps, dst, rights, 0);
}
