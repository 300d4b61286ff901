// SPDX-License-Identifier: MIT
/*
 * dma-config.c - an instance's configuration: the defaults of
 * liommu/dma.h filled in, every field checked against the unit's address
 * width, and DIRECT's memory ranges copied, sorted, checked and merged.
 * It owns dma->cfg and dma->ranges as they are set up at creation; it
 * runs before any strategy or allocator exists and must not create one,
 * nor read a field of the instance other than the unit.  A fixed-IOVA
 * instance (the caller picks every IOVA, liommu_dma_map_at()) keeps an
 * iova_base of 0 as 0: a guest's IOVA 0 is an address like any other.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dma-internal.h"

/* Most flush queues a DEFERRED instance may have. */
#define DMA_MAX_QUEUES		256u

static int cmp_range(const void *a, const void *b)
{
	const struct liommu_dma_range *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/* Sorted, checked copy of DIRECT's ranges with adjacent ones merged. */
static int copy_ranges(struct liommu_dma *dma, const struct liommu_dma_config *cfg)
{
	struct liommu_dma_range *r;
	size_t i, n = 0;

	if (!cfg->nranges || !cfg->ranges || cfg->nranges > SIZE_MAX / sizeof(*r))
		return -EINVAL;
	r = malloc(cfg->nranges * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, cfg->ranges, cfg->nranges * sizeof(*r));
	for (i = 0; i < cfg->nranges; i++) {
		if (!r[i].len || (r[i].pa | r[i].len) & ~VTD_PAGE_MASK)
			goto err_inval;
		if (r[i].len > UINT64_MAX - r[i].pa)
			goto err_range;
	}
	qsort(r, cfg->nranges, sizeof(*r), cmp_range);
	for (i = 0; i < cfg->nranges; i++) {
		if (n && r[i].pa < r[n - 1].pa + r[n - 1].len)
			goto err_inval;		/* overlap */
		if (n && r[i].pa == r[n - 1].pa + r[n - 1].len)
			r[n - 1].len += r[i].len;
		else
			r[n++] = r[i];
	}
	dma->ranges = r;
	dma->cfg.ranges = r;
	dma->cfg.nranges = n;
	return 0;

err_range:
	free(r);
	return -ERANGE;
err_inval:
	free(r);
	return -EINVAL;
}

int liommu__dma_config_fill(struct liommu_dma *dma, const struct liommu_dma_config *cfg)
{
	unsigned int width = liommu_unit_addr_width(dma->unit);
	uint64_t space = width >= 64 ? UINT64_MAX : 1ULL << width;
	struct liommu_dma_config *c = &dma->cfg;

	*c = *cfg;
	c->ranges = NULL;
	c->nranges = 0;
	if ((unsigned int)c->strategy >= LIOMMU_DMA_NR_STRATEGIES)
		return -EINVAL;
	if (c->strategy != LIOMMU_DMA_DIRECT && (cfg->nranges || cfg->ranges))
		return -EINVAL;
	/* DIRECT's IOVA is its PA: there is no IOVA for the caller to pick. */
	if (c->fixed_iova && c->strategy == LIOMMU_DMA_DIRECT)
		return -EINVAL;
	if (!c->iova_base && !c->fixed_iova)
		c->iova_base = LIOMMU_DMA_DEFAULT_IOVA_BASE;
	if (!c->iova_limit)
		c->iova_limit = space;
	if ((c->iova_base | c->iova_limit) & ~VTD_PAGE_MASK)
		return -EINVAL;
	if (c->iova_base >= c->iova_limit)
		return -EINVAL;
	if (c->iova_limit > space)
		return -ERANGE;
	if (!c->quota)
		c->quota = LIOMMU_DMA_DEFAULT_QUOTA;
	if (!c->age_ns)
		c->age_ns = LIOMMU_DMA_DEFAULT_AGE_NS;
	if (!c->batch)
		c->batch = LIOMMU_DMA_DEFAULT_BATCH;
	if (!c->interval_ns)
		c->interval_ns = LIOMMU_DMA_DEFAULT_INTERVAL_NS;
	if (!c->queues)
		c->queues = 8;
	if (c->queues > DMA_MAX_QUEUES)
		return -EINVAL;
	if (c->opt_batch > c->quota)
		return -EINVAL;
	if (c->strategy == LIOMMU_DMA_DIRECT)
		return copy_ranges(dma, cfg);
	return 0;
}
