// SPDX-License-Identifier: MIT
/*
 * dma.c - the front end of the DMA mapping layer (liommu/dma.h): the
 * public calls and the dispatch to the strategy (a const struct
 * liommu__dma_ops in dma-<name>.c).  It owns the table of strategies, an
 * instance's creation and destruction (putting together the
 * configuration of dma-config.c, the live table of dma-live.c, the IOVA
 * allocator of dma-iova.c and the reclaimer of dma-reclaim.c), and the
 * map/unmap path: argument checks, the rounding of a buffer to whole
 * pages, filing and finding mappings in the live table (dma-live.h,
 * inline) so that an unmap with a wrong address, length or direction is
 * refused before the page table or the IOVA allocator is touched, and
 * the per-thread counters.  A fixed-IOVA instance maps through
 * liommu_dma_map_at() alone: the same path with the caller's IOVA in the
 * request, and one retry after retiring the stale mappings that may hold
 * the range.  It must not know a strategy's state or decide when a
 * translation is gone: that is the strategy's.
 *
 * Locking: the live table is split into one shard per counter slot
 * (dma-internal.h: a thread keeps its slot, the first LIOMMU_STAT_SHARED
 * threads have one each), each with its own spinlock (struct
 * liommu__spin) held only for a hash-chain edit.  map() files a mapping
 * in the calling thread's shard and unmap() looks there first, so a
 * thread that unmaps what it mapped touches only its own shard; another
 * thread's unmap finds it in the shards that hold anything.  Nothing here
 * takes an instance-wide lock on the map/unmap path.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dma-live.h"

static const struct liommu__dma_ops *const strategy_ops[LIOMMU_DMA_NR_STRATEGIES] = {
	[LIOMMU_DMA_DIRECT] = &liommu__dma_direct_ops,
	[LIOMMU_DMA_STRICT] = &liommu__dma_strict_ops,
	[LIOMMU_DMA_OPTIMISTIC] = &liommu__dma_optimistic_ops,
	[LIOMMU_DMA_DEFERRED] = &liommu__dma_deferred_ops,
};

const char *liommu_dma_strategy_name(enum liommu_dma_strategy s)
{
	if ((unsigned int)s >= LIOMMU_DMA_NR_STRATEGIES)
		return NULL;
	return strategy_ops[s]->name;
}

int liommu_dma_strategy_parse(const char *name, enum liommu_dma_strategy *out)
{
	unsigned int i;

	if (!name || !out)
		return -EINVAL;
	for (i = 0; i < LIOMMU_DMA_NR_STRATEGIES; i++) {
		if (!strcmp(name, strategy_ops[i]->name)) {
			*out = (enum liommu_dma_strategy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

int liommu_dma_new(struct liommu_domain *dom, const struct liommu_dma_config *cfg,
		   struct liommu_dma **out)
{
	struct liommu_domain_stats ds;
	struct liommu_unit_stats us;
	struct liommu_dma *dma;
	void *mem;
	int ret;

	if (!dom || !cfg || !out)
		return -EINVAL;
	if (posix_memalign(&mem, LIOMMU__CACHELINE, sizeof(*dma)))
		return -ENOMEM;
	dma = memset(mem, 0, sizeof(*dma));
	dma->dom = dom;
	dma->unit = liommu_domain_unit(dom);
	liommu__dma_reclaimer_init(dma);
	ret = liommu__dma_config_fill(dma, cfg);
	if (ret)
		goto err_free;
	dma->ops = strategy_ops[dma->cfg.strategy];
	if (!dma->ops->untracked) {
		ret = liommu__dma_live_init(dma);
		if (ret)
			goto err_live;
		ret = liommu__dma_iova_setup(dma);
		if (ret)
			goto err_iova;
	}

	/* Baselines first: DIRECT's initial mapping counts as its PTE writes. */
	liommu_domain_get_stats(dom, &ds);
	liommu_unit_get_stats(dma->unit, &us);
	dma->base_pte_writes = ds.pte_writes;
	dma->base_inv_descs = us.inv_descs;
	dma->base_inv_waits = us.inv_waits;

	ret = dma->ops->init(dma);
	if (ret)
		goto err_iova;
	if (dma->ops->reclaim) {
		ret = liommu__dma_reclaimer_start(dma);
		if (ret)
			goto err_init;
	}
	*out = dma;
	return 0;

err_init:
	if (dma->ops->fini)
		dma->ops->fini(dma);
err_iova:
	liommu_iova_destroy(dma->iova);
err_live:
	liommu__dma_live_fini(dma);
err_free:
	free(dma->ranges);
	liommu__dma_reclaimer_fini(dma);
	free(dma);
	return ret;
}

void liommu_dma_free(struct liommu_dma *dma)
{
	if (!dma)
		return;
	liommu__dma_reclaimer_stop(dma);
	if (!dma->ops->untracked)
		liommu__dma_live_teardown(dma);
	if (dma->ops->fini)
		dma->ops->fini(dma);
	liommu_iova_destroy(dma->iova);
	liommu__dma_live_fini(dma);
	free(dma->ranges);
	liommu__dma_reclaimer_fini(dma);
	free(dma);
}

enum liommu_dma_strategy liommu_dma_get_strategy(const struct liommu_dma *dma)
{
	return dma->cfg.strategy;
}

struct liommu_domain *liommu_dma_domain(struct liommu_dma *dma)
{
	return dma->dom;
}

/* ------------------------------------------------------------------ */
/* Map and unmap                                                       */
/* ------------------------------------------------------------------ */

static bool dir_ok(enum liommu_dma_dir dir)
{
	return dir == LIOMMU_DMA_TO_DEVICE || dir == LIOMMU_DMA_FROM_DEVICE ||
	       dir == LIOMMU_DMA_BIDIRECTIONAL;
}

/* The pages covering [@addr, @addr + @len); @len > 0, no overflow. */
static uint64_t pages_of(uint64_t addr, uint64_t len)
{
	return ((addr + len - 1) >> VTD_PAGE_SHIFT) - (addr >> VTD_PAGE_SHIFT) + 1;
}

static int check_buf(uint64_t addr, uint64_t len, enum liommu_dma_dir dir)
{
	if (!len || !dir_ok(dir) || len - 1 > UINT64_MAX - addr)
		return -EINVAL;
	return 0;
}

/* A map that succeeded, in the calling thread's counter block. */
static void count_map(struct liommu_dma *dma, bool hit, uint64_t npages)
{
	struct liommu__dma_counters *ctr = liommu__dma_ctr(dma);

	liommu__dma_count(&ctr->maps, 1);
	if (hit)
		liommu__dma_count(&ctr->reuse_hits, 1);
	liommu__dma_count(&ctr->live_pages, npages);
}

int liommu_dma_map(struct liommu_dma *dma, uint64_t pa, uint64_t len,
		   enum liommu_dma_dir dir, uint64_t *iova)
{
	struct liommu__dma_map req = {
		.pa = pa & VTD_PAGE_MASK,
		.off = (unsigned int)(pa & ~VTD_PAGE_MASK),
		.len = len,
		.prot = (unsigned int)dir,
	};
	struct liommu__dma_map *m = &req;
	bool hit = false;
	int ret;

	if (!dma || !iova || dma->cfg.fixed_iova)
		return -EINVAL;
	ret = check_buf(pa, len, dir);
	if (ret)
		return ret;
	req.npages = pages_of(pa, len);
	if (dma->ops->map_own && dma->ops->map_own(dma, liommu__dma_live_own(dma), &req, iova)) {
		hit = true;
	} else {
		ret = dma->ops->map(dma, &m, &hit);
		if (ret)
			return ret;
		*iova = m->iova + m->off;
		if (!dma->ops->untracked)
			liommu__dma_live_insert(dma, m);
	}
	count_map(dma, hit, req.npages);
	return 0;
}

/*
 * The IOVA is the caller's: the request carries it into the strategy's
 * map (dma-iova.c takes exactly that range) and into OPTIMISTIC's reuse
 * cache, whose hits must then match it too.  A range still held by stale
 * mappings (OPTIMISTIC's cache, DEFERRED's queue) makes the fresh map
 * fail with -EEXIST; those are retired, every one of them (ops->drain:
 * simple, and it is the only retirement every strategy offers), and the
 * map is tried once more.  A second -EEXIST is a live mapping, a
 * reserved range (the interrupt window), or a stale mapping that a
 * concurrent unmap created meanwhile: refused.
 */
int liommu_dma_map_at(struct liommu_dma *dma, uint64_t iova, uint64_t pa, uint64_t len,
		      enum liommu_dma_dir dir)
{
	struct liommu__dma_map req = {
		.iova = iova & VTD_PAGE_MASK,
		.pa = pa & VTD_PAGE_MASK,
		.off = (unsigned int)(pa & ~VTD_PAGE_MASK),
		.len = len,
		.prot = (unsigned int)dir,
	};
	struct liommu__dma_map *m = &req;
	bool hit = false, drained = false;
	uint64_t got;
	int ret;

	if (!dma || !dma->cfg.fixed_iova)
		return -EINVAL;
	ret = check_buf(pa, len, dir);
	if (!ret)
		ret = check_buf(iova, len, dir);
	if (ret)
		return ret;
	if ((iova ^ pa) & ~VTD_PAGE_MASK)
		return -EINVAL;
	/* Same offset in the page: the buffer covers as many pages at
	 * @iova as at @pa. */
	req.npages = pages_of(pa, len);
	if (req.iova < dma->cfg.iova_base || req.iova >= dma->cfg.iova_limit ||
	    req.npages > (dma->cfg.iova_limit - req.iova) >> VTD_PAGE_SHIFT)
		return -ERANGE;
	if (dma->ops->map_own && dma->ops->map_own(dma, liommu__dma_live_own(dma), &req, &got)) {
		hit = true;
	} else {
		ret = dma->ops->map(dma, &m, &hit);
		if (ret == -EEXIST && dma->ops->drain) {
			drained = true;
			ret = dma->ops->drain(dma);
			if (!ret) {
				m = &req;
				ret = dma->ops->map(dma, &m, &hit);
			}
		}
		if (ret)
			goto out;
		liommu__dma_live_insert(dma, m);
	}
out:
	if (drained)
		liommu__dma_count(&liommu__dma_ctr(dma)->map_at_drains, 1);
	if (ret)
		return ret;
	count_map(dma, hit, req.npages);
	return 0;
}

int liommu_dma_unmap(struct liommu_dma *dma, uint64_t iova, uint64_t len,
		     enum liommu_dma_dir dir)
{
	struct liommu__dma_map stack, *m;
	struct liommu__dma_counters *ctr;
	uint64_t npages;
	int ret, res;

	if (!dma)
		return -EINVAL;
	ret = check_buf(iova, len, dir);
	if (ret)
		return ret;
	npages = pages_of(iova, len);
	if (dma->ops->untracked) {
		m = &stack;
		memset(m, 0, sizeof(*m));
		m->iova = iova & VTD_PAGE_MASK;
		m->pa = m->iova;
		m->npages = npages;
		m->len = len;
		m->prot = (unsigned int)dir;
	} else if (dma->ops->unmap_own) {
		ret = dma->ops->unmap_own(dma, liommu__dma_live_own(dma), iova, len,
					  (unsigned int)dir, &res);
		if (ret < 0)
			return ret;
		if (!ret)
			goto done;
		ret = liommu__dma_live_remove(dma, iova, len, (unsigned int)dir, true, &m);
		if (ret)
			return ret;
	} else {
		ret = liommu__dma_live_remove(dma, iova, len, (unsigned int)dir, false, &m);
		if (ret)
			return ret;
	}
	res = dma->ops->unmap(dma, m);
	if (res == -ENOENT && dma->ops->untracked)
		return res;
done:
	ret = res;
	ctr = liommu__dma_ctr(dma);
	liommu__dma_count(&ctr->live_pages, -npages);
	if (!ret)
		liommu__dma_count(&ctr->unmaps, 1);
	return ret;
}

int liommu_dma_map_sg(struct liommu_dma *dma, struct liommu_dma_sg *sg, size_t n,
		      enum liommu_dma_dir dir)
{
	size_t i;
	int ret;

	if (!dma || !sg || !n || n > INT_MAX || dma->cfg.fixed_iova)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = check_buf(sg[i].pa, sg[i].len, dir);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		ret = liommu_dma_map(dma, sg[i].pa, sg[i].len, dir, &sg[i].iova);
		if (ret)
			goto err_undo;
	}
	return (int)n;

err_undo:
	/* The caller never saw these IOVAs, so none of them may stay
	 * reachable: unmap them and retire at once what OPTIMISTIC would
	 * cache or DEFERRED would queue. */
	if (i) {
		liommu_dma_unmap_sg(dma, sg, i, dir);
		liommu_dma_drain(dma);
	}
	return ret;
}

int liommu_dma_unmap_sg(struct liommu_dma *dma, const struct liommu_dma_sg *sg,
			size_t n, enum liommu_dma_dir dir)
{
	struct liommu__dma_map **ms;
	struct liommu__dma_counters *ctr;
	uint64_t pages = 0;
	size_t i, j;
	int ret;

	if (!dma || !sg || !n || n > INT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = check_buf(sg[i].iova, sg[i].len, dir);
		if (ret)
			return ret;
	}
	if (dma->ops->untracked) {
		/* DIRECT's unmap only checks that the buffer lies in its
		 * memory, so checking every segment first is just a pass. */
		for (i = 0; i < n; i++) {
			struct liommu__dma_map m = {
				.iova = sg[i].iova & VTD_PAGE_MASK,
				.pa = sg[i].iova & VTD_PAGE_MASK,
				.npages = pages_of(sg[i].iova, sg[i].len),
				.len = sg[i].len,
				.prot = (unsigned int)dir,
			};

			ret = dma->ops->unmap(dma, &m);
			if (ret)
				return ret;
			pages += m.npages;
		}
		ctr = liommu__dma_ctr(dma);
		liommu__dma_count(&ctr->live_pages, -pages);
		liommu__dma_count(&ctr->unmaps, n);
		return 0;
	}
	ms = malloc(n * sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = liommu__dma_live_remove(dma, sg[i].iova, sg[i].len, (unsigned int)dir,
					      false, &ms[i]);
		if (ret) {
			for (j = 0; j < i; j++)
				liommu__dma_live_insert(dma, ms[j]);
			free(ms);
			return ret;
		}
		pages += ms[i]->npages;
	}
	if (dma->ops->unmap_many) {
		ret = dma->ops->unmap_many(dma, ms, n);
	} else {
		ret = 0;
		for (i = 0; i < n; i++) {
			int r = dma->ops->unmap(dma, ms[i]);

			if (r && !ret)
				ret = r;
		}
	}
	free(ms);
	ctr = liommu__dma_ctr(dma);
	liommu__dma_count(&ctr->live_pages, -pages);
	if (!ret)
		liommu__dma_count(&ctr->unmaps, n);
	return ret;
}

int liommu_dma_drain(struct liommu_dma *dma)
{
	if (!dma)
		return -EINVAL;
	return dma->ops->drain ? dma->ops->drain(dma) : 0;
}
