// SPDX-License-Identifier: MIT
/*
 * dma-strict.c - STRICT: no stale translation outlives unmap().
 *
 * map() takes an IOVA from the allocator (the calling thread's magazine
 * for power-of-two sizes up to 1 MiB, naturally aligned) and writes the
 * PTEs.  unmap() clears them and invalidates the IOTLB for the range with
 * liommu_domain_unmap(): one page-selective invalidation with the
 * smallest address mask covering the range when CAP.PSI and CAP.MAMV
 * allow, a domain-selective one otherwise (spec 6.5.2.3 / 6.5.1.2), then
 * a wait for its completion (wait descriptor with status write, or the
 * IOTLB register's IVT bit clearing).  Only after that wait is the IOVA
 * given back, so it cannot be handed to a new buffer while the unit may
 * still translate it to the old one.
 *
 * No instance-wide lock: the allocator's fast path is per thread, the page
 * table is edited with compare-and-swap, the live table (dma.c) has
 * per-shard locks, and the one serialisation is the unit's invalidation
 * interface (inv_lock).  Scatter-gather unmaps clear every segment's PTEs
 * and then invalidate once.
 */
#include <errno.h>
#include <syslog.h>

#include "dma-internal.h"

static int strict_init(struct liommu_dma *dma)
{
	return 0;
}

static int strict_map(struct liommu_dma *dma, struct liommu__dma_map *m, bool *hit)
{
	int ret = liommu__dma_iova_alloc(dma, m);

	if (ret)
		return ret;
	/* A failed map leaves nothing mapped (liommu_domain_map()). */
	ret = liommu_domain_map(dma->dom, m->iova, m->pa, m->npages << VTD_PAGE_SHIFT,
				m->prot);
	if (ret)
		liommu__dma_iova_free(dma, m);
	return ret;
}

/*
 * After the invalidation of @n mappings: free their IOVAs when it
 * completed; when it did not (-ETIMEDOUT, -EIO) the unit may still hold
 * the translations, so the IOVAs are leaked rather than reused.
 */
static void strict_release(struct liommu_dma *dma, struct liommu__dma_map **m,
			   size_t n, int flush_ret)
{
	size_t i;

	if (flush_ret)
		liommu__log(dma->unit, LOG_ERR,
			    "dma: invalidation failed (%d); %zu IOVA ranges withheld",
			    flush_ret, n);
	for (i = 0; i < n; i++) {
		if (!flush_ret)
			liommu__dma_iova_free(dma, m[i]);
		liommu__dma_map_free(m[i]);
	}
}

static int strict_unmap_many(struct liommu_dma *dma, struct liommu__dma_map **m, size_t n)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	int ret = 0, fret;
	size_t i;

	for (i = 0; i < n; i++) {
		int r = liommu_domain_unmap_nosync(dma->dom, m[i]->iova,
						   m[i]->npages << VTD_PAGE_SHIFT, &g);

		/* -ENOENT: someone cleared PTEs of ours behind our back; the
		 * rest is cleared and is flushed below all the same. */
		if (r && !ret)
			ret = r;
	}
	fret = liommu_domain_flush(dma->dom, &g);
	if (!fret)
		liommu__dma_flushed(dma);
	strict_release(dma, m, n, fret);
	return fret ? fret : ret;
}

static int strict_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	return strict_unmap_many(dma, &m, 1);
}

static void strict_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	b->count = 0;
	b->queues = 1;
	b->time_ns = 0;
}

const struct liommu__dma_ops liommu__dma_strict_ops = {
	.name = "strict",
	.init = strict_init,
	.map = strict_map,
	.unmap = strict_unmap,
	.unmap_many = strict_unmap_many,
	.bound = strict_bound,
};
