// SPDX-License-Identifier: MIT
/*
 * dma-iova.c - the DMA layer's glue to the IOVA allocator (liommu/iova.h):
 * an allocator over the instance's [iova_base, iova_limit), and the
 * rounding that lets the allocator's per-thread magazines serve a
 * mapping, or, for a fixed-IOVA instance, the exact range the caller
 * chose.  It owns dma->iova's set-up and every allocation and free the
 * layer makes; it must not decide when an IOVA may be freed (the
 * strategies do: only once no translation of it can remain) and does
 * not touch records, the live table or the page table.
 */
#include <errno.h>
#include <syslog.h>

#include "dma-internal.h"

/*
 * An allocator for [iova_base, iova_limit): the allocator's space ends at
 * a power of two, so a limit that is not one is reserved away.  A
 * fixed-IOVA instance only ever takes exact ranges, so it gets no
 * per-thread magazines (an exact range that collides with IOVAs parked
 * in them would flush every thread's, with a membarrier) and a base of
 * 0 is IOVA 0.  The interrupt range stays reserved either way (spec
 * 3.14: DMA writes to 0xFEEx_xxxx are interrupt requests and never
 * translated), so mapping there is refused with -EEXIST.
 */
int liommu__dma_iova_setup(struct liommu_dma *dma)
{
	struct liommu_iova_config ic = {
		.base = dma->cfg.iova_base,
		.flags = dma->cfg.fixed_iova ? LIOMMU_IOVA_NO_CACHE | LIOMMU_IOVA_ALLOW_ZERO : 0,
	};
	uint64_t limit = dma->cfg.iova_limit;
	unsigned int width = 64 - __builtin_clzll(limit - 1);
	int ret;

	if (width < LIOMMU_IOVA_WIDTH_MIN)
		width = LIOMMU_IOVA_WIDTH_MIN;
	ic.width = width;
	ret = liommu_iova_new(&ic, &dma->iova);
	if (ret)
		return ret;
	if (width < 64 && limit < 1ULL << width)
		ret = liommu_iova_reserve(dma->iova, limit, (1ULL << width) - limit);
	return ret;
}

int liommu__dma_iova_alloc(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	uint64_t size, span = dma->cfg.iova_limit - dma->cfg.iova_base;
	int ret;

	if (m->npages > span >> VTD_PAGE_SHIFT)
		return -ENOSPC;
	size = m->npages << VTD_PAGE_SHIFT;
	/* Fixed IOVA: @m->iova is the caller's (liommu_dma_map_at() checked
	 * it lies in the window); take exactly its pages. */
	if (dma->cfg.fixed_iova) {
		ret = liommu_iova_alloc_range(dma->iova, m->iova, size);
		if (ret)
			return ret;
		m->alloc_size = size;
		return 0;
	}
	/* Powers of two up to the cacheable maximum come from the calling
	 * thread's magazine, naturally aligned (one page-selective
	 * invalidation with the smallest mask covers them). */
	if (size <= LIOMMU_IOVA_CACHE_MAX && (size & (size - 1)))
		size = 1ULL << (64 - __builtin_clzll(size));
	ret = liommu_iova_alloc(dma->iova, size, &m->iova);
	if (ret)
		return ret;
	m->alloc_size = size;
	return 0;
}

void liommu__dma_iova_free(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	int ret = liommu_iova_free(dma->iova, m->iova, m->alloc_size);

	/* The live table guarantees one free per allocation: a failure is a
	 * bug here, never the caller's. */
	if (ret)
		liommu__log(dma->unit, LOG_ERR, "dma: IOVA %#llx+%#llx free failed (%d)",
			    (unsigned long long)m->iova,
			    (unsigned long long)m->alloc_size, ret);
}
