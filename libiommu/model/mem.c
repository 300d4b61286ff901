// SPDX-License-Identifier: MIT
/*
 * mem.c - the software VT-d unit's byte-range accesses to physical
 * memory: DMA data (translate.c) and the wait descriptor's status write
 * (qi.c), through the direct window when the range is wholly inside it,
 * through the bounded ops otherwise.  Owns nothing; touches nothing but
 * memory.
 */
#include <string.h>

#include "mem.h"

int liommu__model_mem_read(const struct liommu_model *m, uint64_t pa, void *buf,
			   size_t len)
{
	void *p;

	if (pa + len < pa)
		return -EFAULT;
	p = model_direct(m, pa, len);
	if (p) {
		memcpy(buf, p, len);
		return 0;
	}
	return m->mops->read(m->mpriv, pa, buf, len) ? -EFAULT : 0;
}

int liommu__model_mem_write(const struct liommu_model *m, uint64_t pa,
			    const void *buf, size_t len)
{
	void *p;

	if (pa + len < pa)
		return -EFAULT;
	p = model_direct(m, pa, len);
	if (p) {
		memcpy(p, buf, len);
		return 0;
	}
	return m->mops->write(m->mpriv, pa, buf, len) ? -EFAULT : 0;
}

int liommu__model_write32(const struct liommu_model *m, uint64_t pa, uint32_t v)
{
	uint32_t *p = model_direct(m, pa, 4);

	if (p) {
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
		return 0;
	}
	/* The ops' aligned 4-byte write is a release store (model.h). */
	return m->mops->write(m->mpriv, pa, &v, 4) ? -EFAULT : 0;
}
