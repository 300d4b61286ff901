// SPDX-License-Identifier: MIT
/*
 * mmio.c - how a guest's register accesses reach the unit: trapped
 * accesses (liommu_viommu_mmio_read() / _mmio_write(), a hypervisor's
 * MMIO exit handler) and one polling pass over a register page
 * (liommu__viommu_instance_poll(), the sidecore thread).  Both end in the
 * model's liommu_model_read*() / _write*(), so the two modes have one
 * set of register semantics.
 */
#include <stdatomic.h>
#include <stdint.h>

#include <liommu/vtd.h>

#include "instance.h"

static bool access_ok(uint32_t off, unsigned int size)
{
	return (size == 4 || size == 8) && off < VTD_REG_WINDOW_SIZE &&
	       off + size <= VTD_REG_WINDOW_SIZE && !(off & (size - 1));
}

uint64_t liommu_viommu_mmio_read(struct liommu_viommu *v, uint32_t off, unsigned int size)
{
	if (!v || !access_ok(off, size))
		return 0;
	if (v->cfg.mode == LIOMMU_VIOMMU_SIDECORE) {
		/* What the guest would load from its page. */
		const char *p = (const char *)v->page + off;

		if (size == 4)
			return __atomic_load_n((const uint32_t *)(const void *)p,
					       __ATOMIC_ACQUIRE);
		return __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_ACQUIRE);
	}
	if (size == 4)
		return liommu_model_read32(v->m, off);
	return liommu_model_read64(v->m, off);
}

void liommu_viommu_mmio_write(struct liommu_viommu *v, uint32_t off, unsigned int size,
			      uint64_t val)
{
	if (!v || !access_ok(off, size))
		return;
	if (v->cfg.mode == LIOMMU_VIOMMU_SIDECORE) {
		/* A store into the page, exactly as the guest's: the polling
		 * thread forwards it on its next pass (kicked awake). */
		char *p = (char *)v->page + off;

		if (size == 4)
			__atomic_store_n((uint32_t *)(void *)p, (uint32_t)val, __ATOMIC_RELEASE);
		else
			__atomic_store_n((uint64_t *)(void *)p, val, __ATOMIC_RELEASE);
		liommu_sidecore_kick(atomic_load_explicit(&v->sc, memory_order_acquire));
		return;
	}
	atomic_fetch_add_explicit(&v->reg_writes, 1, memory_order_relaxed);
	if (size == 4)
		liommu_model_write32(v->m, off, (uint32_t)val);
	else
		liommu_model_write64(v->m, off, val);
}

unsigned int liommu__viommu_instance_poll(struct liommu_viommu *v)
{
	unsigned int n = liommu__viommu_regpage_scan(&v->rp);

	return n + liommu__viommu_event_flush(v);
}
