// SPDX-License-Identifier: MIT
/*
 * dma-stats.c - the DMA layer's counters as the caller sees them
 * (liommu_dma_get_stats(), liommu_dma_get_bound()): the per-thread
 * counter blocks summed, the domain's and unit's counters as deltas since
 * creation, the strategy's stale pages and bound.  The blocks themselves
 * are written on the hot paths with the inline helpers of dma-internal.h
 * (liommu__dma_count()); this file only reads them and must not write
 * any state of the instance.
 */
#include <string.h>

#include "dma-internal.h"

void liommu_dma_get_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	memset(b, 0, sizeof(*b));
	dma->ops->bound(dma, b);
}

void liommu_dma_get_stats(struct liommu_dma *dma, struct liommu_dma_stats *st)
{
	struct liommu_domain_stats ds;
	struct liommu_unit_stats us;
	uint64_t live = 0;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->strategy = dma->cfg.strategy;
	/* Before the counters: a mapping no longer stale is already in
	 * @retired (the strategies count it first). */
	st->stale_pages = dma->ops->stale_pages ? dma->ops->stale_pages(dma) : 0;
	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_counters *c = &dma->ctr[i];

		st->maps += atomic_load_explicit(&c->maps, memory_order_relaxed);
		st->unmaps += atomic_load_explicit(&c->unmaps, memory_order_relaxed);
		st->reuse_hits += atomic_load_explicit(&c->reuse_hits, memory_order_relaxed);
		st->retired += atomic_load_explicit(&c->retired, memory_order_relaxed);
		st->flushes += atomic_load_explicit(&c->flushes, memory_order_relaxed);
		live += atomic_load_explicit(&c->live_pages, memory_order_relaxed);
		st->map_at_drains += atomic_load_explicit(&c->map_at_drains,
							  memory_order_relaxed);
	}
	/* The blocks' sum mod 2^64 is the signed total: a block that only
	 * unmapped holds a "negative" count. */
	st->live_pages = (int64_t)live > 0 ? live : 0;
	liommu_domain_get_stats(dma->dom, &ds);
	liommu_unit_get_stats(dma->unit, &us);
	st->pte_writes = ds.pte_writes - dma->base_pte_writes;
	st->inv_descs = us.inv_descs - dma->base_inv_descs;
	st->inv_waits = us.inv_waits - dma->base_inv_waits;
	st->mapped_pages = ds.mapped_bytes >> VTD_PAGE_SHIFT;
	st->peak_mapped_pages = ds.peak_mapped_bytes >> VTD_PAGE_SHIFT;
	/* Every present PTE of these strategies points at memory the host
	 * must keep resident, and nothing else is pinned (dma.h). */
	st->pinned_pages = st->mapped_pages;
	st->peak_pinned_pages = st->peak_mapped_pages;
	st->table_pages = ds.table_pages;
	st->reclaim_late_ns = atomic_load_explicit(&dma->rc_late_max, memory_order_relaxed);
	liommu_dma_get_bound(dma, &st->bound);
}
