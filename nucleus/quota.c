/* Memory quotas: see quota.h. */
#include <metta/status.h>
#include <quota.h>

struct quota quota_nucleus = { "nucleus", UINT64_MAX, 0 };

int quota_charge(struct quota *q, uint64_t bytes)
{
	if (bytes > q->limit - q->used)
		return STATUS_ERR_QUOTA;
	q->used += bytes;
	return STATUS_OK;
}

int quota_release(struct quota *q, uint64_t bytes)
{
	if (bytes > q->used)
		return STATUS_ERR_INVAL;
	q->used -= bytes;
	return STATUS_OK;
}
