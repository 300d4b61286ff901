/* SPDX-License-Identifier: MIT */
/*
 * domain-stats.h - a domain's counters, sharded by thread slot
 * (domain-stats.c; not installed).
 *
 * Owns struct liommu__dom_stats: PTE writes, table pages, mapped bytes
 * and their peak, as liommu_domain_get_stats() reports them.  domain.c
 * embeds one in each domain and feeds it what each page-table call says
 * it wrote (struct liommu_pt_count, pgtable.h); the updates are inline
 * because they run on every map and unmap.  The thread slots themselves
 * are in driver-layer.h, because the DMA layer shards by them too.
 *
 * Who includes it: domain-stats.c and domain.h.  Nothing here knows a
 * unit, a table format or an invalidation.
 *
 * Sharding: threads mapping and unmapping at once must not bounce one
 * cache line.  A thread's exclusive shard is updated with relaxed loads
 * and stores, no locked RMW; the shared shard with relaxed RMWs; readers
 * load them relaxed.
 *
 * Mapped bytes: shard deltas not yet folded into @mapped_base.  A shard
 * folds its delta (adds it to the base and subtracts it from itself) once
 * it reaches LIOMMU_STAT_SLACK in either direction; @hi is the largest
 * value @delta reached since the shard's last fold, so that base + hi is
 * the total at that moment as far as this shard can tell.  The folds keep
 * the peak (see liommu__dom_stats_read()).
 */
#ifndef LIOMMU_DRIVER_DOMAIN_STATS_H
#define LIOMMU_DRIVER_DOMAIN_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/liommu.h>

#include "driver-layer.h"

#define LIOMMU_STAT_SLACK	(1LL << 16)	/* 64 KiB: 16 4 KiB pages */

struct liommu_stat_shard {
	_Alignas(64) _Atomic uint64_t pte_writes;
	_Atomic int64_t delta;		/* mapped bytes not yet in the base */
	_Atomic int64_t hi;		/* max of delta since the last fold */
};

/* Must sit 64-byte aligned (the shards' alignment): domain.c allocates
 * domains with posix_memalign(). */
struct liommu__dom_stats {
	_Atomic uint64_t table_pages;
	_Atomic int64_t mapped_base;		/* folded shard deltas */
	_Atomic uint64_t peak_mapped_bytes;	/* max of the folds' totals */
	struct liommu_stat_shard shard[LIOMMU_STAT_SHARDS];
};

/* Move @v, the shard's delta as last seen, into the base (rare: once per
 * LIOMMU_STAT_SLACK bytes).  Context: any. */
void liommu__dom_stats_fold(struct liommu__dom_stats *st, struct liommu_stat_shard *s,
			    int64_t v);
/* The sums (see domain-stats.c for how exact they are).  Context: any. */
void liommu__dom_stats_read(const struct liommu__dom_stats *st,
			    struct liommu_domain_stats *out);

static inline bool liommu__dom_stats_excl(unsigned int shard)
{
	return shard < LIOMMU_STAT_SHARED;
}

static inline void liommu__dom_stats_add(_Atomic uint64_t *c, uint64_t v, bool excl)
{
	if (excl)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline int64_t liommu__dom_stats_add_s(_Atomic int64_t *c, int64_t v, bool excl)
{
	int64_t now;

	if (!excl)
		return atomic_fetch_add_explicit(c, v, memory_order_relaxed) + v;
	now = atomic_load_explicit(c, memory_order_relaxed) + v;
	atomic_store_explicit(c, now, memory_order_relaxed);
	return now;
}

static inline void liommu__dom_stats_mapped_add(struct liommu__dom_stats *st,
						struct liommu_stat_shard *s, bool excl,
						uint64_t bytes)
{
	int64_t v = liommu__dom_stats_add_s(&s->delta, (int64_t)bytes, excl);
	int64_t hi = atomic_load_explicit(&s->hi, memory_order_relaxed);

	if (v > hi && excl)
		atomic_store_explicit(&s->hi, v, memory_order_relaxed);
	while (v > hi && !excl &&
	       !atomic_compare_exchange_weak_explicit(&s->hi, &hi, v,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
	if (v >= LIOMMU_STAT_SLACK)
		liommu__dom_stats_fold(st, s, v);
}

static inline void liommu__dom_stats_mapped_sub(struct liommu__dom_stats *st,
						struct liommu_stat_shard *s, bool excl,
						uint64_t bytes)
{
	int64_t v = liommu__dom_stats_add_s(&s->delta, -(int64_t)bytes, excl);

	if (v <= -LIOMMU_STAT_SLACK)
		liommu__dom_stats_fold(st, s, v);
}

/*
 * Account one page-table call in the calling thread's shard: @writes
 * entry stores, @mapped bytes made present, @unmapped bytes made not
 * present.  One call per map or unmap, so the thread's slot is looked up
 * once however many entries the call wrote.  Context: any; lock-free.
 */
static inline void liommu__dom_stats_account(struct liommu__dom_stats *st, uint64_t writes,
					     uint64_t mapped, uint64_t unmapped)
{
	unsigned int i = liommu__stat_shard();
	bool excl = liommu__dom_stats_excl(i);
	struct liommu_stat_shard *s = &st->shard[i];

	if (writes)
		liommu__dom_stats_add(&s->pte_writes, writes, excl);
	if (mapped)
		liommu__dom_stats_mapped_add(st, s, excl, mapped);
	if (unmapped)
		liommu__dom_stats_mapped_sub(st, s, excl, unmapped);
}

/* Table pages are allocated and freed rarely: plain relaxed RMWs. */
static inline void liommu__dom_stats_table_page_get(struct liommu__dom_stats *st)
{
	atomic_fetch_add_explicit(&st->table_pages, 1, memory_order_relaxed);
}

static inline void liommu__dom_stats_table_page_put(struct liommu__dom_stats *st)
{
	atomic_fetch_sub_explicit(&st->table_pages, 1, memory_order_relaxed);
}

#endif /* LIOMMU_DRIVER_DOMAIN_STATS_H */
