/* SPDX-License-Identifier: MIT */
/*
 * dma-live.h - the live table of the DMA layer (not installed): every
 * mapping map() handed out and unmap() has not taken back, keyed by IOVA,
 * in one shard per counter slot (struct liommu__dma_live, dma-internal.h).
 * The front end (dma.c) files and removes mappings through the static
 * inline functions below, which are its map/unmap hot path and stay
 * inline in it; OPTIMISTIC (dma-optimistic.c) edits a shard under its
 * lock through liommu__dma_live_link_locked() and
 * liommu__dma_live_take_locked(); dma-live.c has the rest.  Only the
 * live table's own code touches a shard's buckets and count; it must not
 * know any strategy's state, and it never holds a shard's lock across an
 * invalidation, an IOVA allocation or another lock.
 */
#ifndef LIOMMU_DMA_LIVE_H
#define LIOMMU_DMA_LIVE_H

#include <errno.h>

#include "dma-internal.h"

/* The calling thread's live-table shard. */
static inline struct liommu__dma_live *liommu__dma_live_own(struct liommu_dma *dma)
{
	return &dma->live[liommu__stat_shard()];
}

static inline uint64_t liommu__dma_live_hash(uint64_t iova)
{
	return (iova >> VTD_PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL;
}

/* The bucket of hash @h in a table of @n buckets. */
static inline uint64_t liommu__dma_live_slot(uint64_t h, uint64_t n)
{
	return (h >> 20) & (n - 1);
}

static inline uint64_t liommu__dma_live_bucket(const struct liommu__dma_live *s, uint64_t h)
{
	return liommu__dma_live_slot(h, s->nbuckets);
}

/* Entries in @s; exact under its lock, a hint without. */
static inline uint64_t liommu__dma_live_count(const struct liommu__dma_live *s)
{
	return atomic_load_explicit(&s->count, memory_order_relaxed);
}

static inline void liommu__dma_live_set_count_locked(struct liommu__dma_live *s, uint64_t n)
{
	atomic_store_explicit(&s->count, n, memory_order_relaxed);
}

/* liommu__dma_live_take_locked(): no mapping at that page in this shard
 * (a live IOVA page is in one shard only). */
#define LIOMMU__DMA_ELSEWHERE	1

/*
 * With @s locked: take the mapping that map() returned as @iova out of
 * @s, after checking that @len and @prot are what map() was given.
 * Return: 0 (*@out set); -ENOENT (the offset in the page differs);
 * -EINVAL (length or direction differ; the mapping stays);
 * LIOMMU__DMA_ELSEWHERE.
 */
int liommu__dma_live_take_locked(struct liommu__dma_live *s, uint64_t iova, uint64_t len,
				 unsigned int prot, struct liommu__dma_map **out);

/* With @s locked: file @m in it. */
void liommu__dma_live_link_locked(struct liommu__dma_live *s, struct liommu__dma_map *m);

/*
 * Double a chained hash table of mappings (@bucket, @nbuckets a power of
 * two; @index gives a mapping's bucket for n buckets), relinking every
 * entry.  On allocation failure the table stays as it is and chains just
 * get longer.  The caller holds the table's lock.  Also OPTIMISTIC's
 * reuse caches grow with it.
 */
void liommu__dma_table_grow(struct liommu__dma_map ***bucket, uint64_t *nbuckets,
			    uint64_t (*index)(const struct liommu__dma_map *m, uint64_t n));

/* Creation and teardown (liommu_dma_new() / _free() only). */
int liommu__dma_live_init(struct liommu_dma *dma);
/* Unmap whatever the caller left mapped: clear every live mapping's PTEs,
 * invalidate once, free their IOVAs.  The reclaimer is stopped. */
void liommu__dma_live_teardown(struct liommu_dma *dma);
void liommu__dma_live_fini(struct liommu_dma *dma);

/* Into the calling thread's shard. */
static inline void liommu__dma_live_insert(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	struct liommu__dma_live *s = liommu__dma_live_own(dma);

	liommu__spin_lock(&s->lock);
	liommu__dma_live_link_locked(s, m);
	liommu__spin_unlock(&s->lock);
}

static inline int liommu__dma_live_remove_from(struct liommu__dma_live *s, uint64_t iova,
					       uint64_t len, unsigned int prot,
					       struct liommu__dma_map **out)
{
	int ret;

	liommu__spin_lock(&s->lock);
	ret = liommu__dma_live_take_locked(s, iova, len, prot, out);
	liommu__spin_unlock(&s->lock);
	return ret;
}

/*
 * Take the mapping that map() returned as @iova out of the table, after
 * checking that @len and @prot are what map() was given.  The calling
 * thread's shard first (a thread usually unmaps what it mapped; skipped
 * with @own_done, the caller looked there), then the others that hold
 * anything: a map() that returned before this call began (as the caller
 * must have seen it to know @iova) counted its shard's entry before, so
 * the count hint cannot skip it.
 * Return: 0; -ENOENT (no mapping starts at that page, or the offset in
 * the page differs); -EINVAL (length or direction differ; the mapping
 * stays live).
 */
static inline int liommu__dma_live_remove(struct liommu_dma *dma, uint64_t iova, uint64_t len,
					  unsigned int prot, bool own_done,
					  struct liommu__dma_map **out)
{
	struct liommu__dma_live *own = liommu__dma_live_own(dma);
	int ret = LIOMMU__DMA_ELSEWHERE;
	unsigned int i;

	if (!own_done)
		ret = liommu__dma_live_remove_from(own, iova, len, prot, out);
	for (i = 0; ret == LIOMMU__DMA_ELSEWHERE && i < LIOMMU__DMA_SLOTS; i++)
		if (&dma->live[i] != own && liommu__dma_live_count(&dma->live[i]))
			ret = liommu__dma_live_remove_from(&dma->live[i], iova, len, prot, out);
	return ret == LIOMMU__DMA_ELSEWHERE ? -ENOENT : ret;
}

#endif /* LIOMMU_DMA_LIVE_H */
