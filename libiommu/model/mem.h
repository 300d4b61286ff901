/* SPDX-License-Identifier: MIT */
/*
 * mem.h - bounded physical-memory access of the software VT-d unit
 * (mem.c; not installed).  Every read of a table, descriptor or IRTE and
 * every write of DMA data or a wait status goes through here, so no
 * address the driver (or a guest) wrote can make the model touch memory
 * outside struct liommu_model_mem: the direct window or the ops.
 *
 * It owns no state (the window and ops are set at creation) and must not
 * touch the register file or the caches.  The 8-byte table load is
 * inline: it is on the walk's path.
 */
#ifndef LIOMMU_MODEL_MEM_H
#define LIOMMU_MODEL_MEM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "model-internal.h"

/* The direct window's host pointer for [pa, pa + len), or NULL. */
static inline void *model_direct(const struct liommu_model *m, uint64_t pa,
				 uint64_t len)
{
	uint64_t off = pa - m->direct_pa;

	if (!m->direct || pa < m->direct_pa || off >= m->direct_size ||
	    len > m->direct_size - off)
		return NULL;
	return m->direct + off;
}

/* One 8-byte table entry at 8-byte aligned @pa, single-copy atomic with
 * acquire ordering.  Return: 0 or -EFAULT (outside memory). */
static inline int model_read64(const struct liommu_model *m, uint64_t pa,
			       uint64_t *v)
{
	uint64_t *p = model_direct(m, pa, 8);

	if (p) {
		*v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		return 0;
	}
	/* The ops' aligned 8-byte read is an acquire load (model.h). */
	if (m->mops->read(m->mpriv, pa, v, 8))
		return -EFAULT;
	return 0;
}

/* A 128-bit entry read as two 64-bit loads, low half first: a driver
 * writes the half that keeps the entry not present last (store-release),
 * so a present low half implies the high half it published. */
static inline int model_read128(const struct liommu_model *m, uint64_t pa,
				uint64_t *lo, uint64_t *hi)
{
	if (model_read64(m, pa, lo) || model_read64(m, pa + 8, hi))
		return -EFAULT;
	return 0;
}

int liommu__model_mem_read(const struct liommu_model *m, uint64_t pa, void *buf,
			   size_t len);
int liommu__model_mem_write(const struct liommu_model *m, uint64_t pa,
			    const void *buf, size_t len);
/* 4-byte release store (wait descriptor status). */
int liommu__model_write32(const struct liommu_model *m, uint64_t pa, uint32_t v);

#endif /* LIOMMU_MODEL_MEM_H */
