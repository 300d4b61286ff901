// SPDX-License-Identifier: MIT
/*
 * dma-direct.c - DIRECT: the whole of a VM's memory mapped up front.
 *
 * At creation every declared physical range is mapped IOVA = PA with
 * read/write permission; liommu_domain_map() picks 1 GiB and 2 MiB pages
 * wherever CAP.SLLPS and the alignment of the range allow, so the table
 * stays small and the IOTLB reach large.  After that map() and unmap()
 * only check that the buffer lies inside the declared memory: no PTE is
 * written, nothing is invalidated, and there is no protection inside the
 * VM (every page of it is always reachable).  This is how a hypervisor
 * assigns a device to a guest without a vIOMMU.
 *
 * The ranges are kept sorted and merged (dma-config.c), so a lookup is a binary
 * search; nothing here is written after creation, so nothing is locked.
 */
#include <errno.h>
#include <stdlib.h>

#include "dma-internal.h"

/* Is [@pa, @pa + @npages pages) inside one declared range? */
static bool inside(const struct liommu_dma *dma, uint64_t pa, uint64_t npages)
{
	const struct liommu_dma_range *r = dma->ranges;
	size_t lo = 0, hi = dma->cfg.nranges;
	uint64_t len = npages << VTD_PAGE_SHIFT;

	/* The last range starting at or below @pa. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].pa <= pa)
			lo = mid;
		else
			hi = mid;
	}
	if (r[lo].pa > pa)
		return false;
	return pa - r[lo].pa <= r[lo].len && len <= r[lo].len - (pa - r[lo].pa);
}

static int direct_init(struct liommu_dma *dma)
{
	size_t i;
	int ret;

	for (i = 0; i < dma->cfg.nranges; i++) {
		const struct liommu_dma_range *r = &dma->ranges[i];

		ret = liommu_domain_map(dma->dom, r->pa, r->pa, r->len, LIOMMU_PROT_RW);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	while (i--)
		liommu_domain_unmap(dma->dom, dma->ranges[i].pa, dma->ranges[i].len);
	return ret;
}

static void direct_fini(struct liommu_dma *dma)
{
	size_t i;

	for (i = 0; i < dma->cfg.nranges; i++)
		liommu_domain_unmap(dma->dom, dma->ranges[i].pa, dma->ranges[i].len);
}

static int direct_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	struct liommu__dma_map *m = *mp;

	if (!inside(dma, m->pa, m->npages))
		return -ERANGE;
	m->iova = m->pa;
	return 0;
}

static int direct_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	return inside(dma, m->iova, m->npages) ? 0 : -ENOENT;
}

static void direct_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	b->unbounded = true;
	b->count = UINT64_MAX;
	b->queues = 1;
	b->time_ns = UINT64_MAX;
}

const struct liommu__dma_ops liommu__dma_direct_ops = {
	.name = "direct",
	.untracked = true,
	.init = direct_init,
	.fini = direct_fini,
	.map = direct_map,
	.unmap = direct_unmap,
	.bound = direct_bound,
};
