/* Memory objects of our own, mapped where we want them. */
#include "metta.h"

uint32_t metta_mem_at(uint64_t va, uint64_t pages)
{
	uint32_t slot = metta_slot_alloc();
	if (!slot || metta_mem_create(slot, pages))
		return 0;
	if (metta_mem_map(CAP_SELF, slot, 0, va, pages,
			  RIGHT_READ | RIGHT_WRITE)) {
		metta_cap_delete(slot);
		return 0;
	}
	return slot;
}
