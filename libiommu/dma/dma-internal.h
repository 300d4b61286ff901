/* SPDX-License-Identifier: MIT */
/*
 * dma-internal.h - the types of the DMA mapping layer and the helpers
 * its files share (not installed).
 *
 * The layer's files, each with one job: dma.c is the front end (the
 * public calls, the dispatch to the strategy, creation and destruction);
 * dma-config.c fills in and checks the configuration; dma-live.[ch] is
 * the live table of mappings handed out, so that an unmap with the wrong
 * address, length or direction is refused before anything changes;
 * dma-map.c the mapping records and a fresh mapping; dma-iova.c the glue
 * to the IOVA allocator; dma-reclaim.c the reclaimer thread that keeps
 * the time bounds of OPTIMISTIC and DEFERRED when no calls arrive;
 * dma-stats.c the counters as the caller reads them.  A fixed-IOVA
 * instance (cfg.fixed_iova, liommu_dma_map_at()) differs in three places
 * only: dma.c puts the caller's IOVA in the request and retries once
 * after ops->drain when the range is held by stale mappings, dma-iova.c
 * takes exactly that range (an allocator without magazines, IOVA 0
 * allowed), and OPTIMISTIC's reuse cache matches the IOVA too.  Each
 * strategy
 * (dma-direct.c, dma-strict.c, dma-optimistic.c, dma-deferred.c) is a
 * const struct liommu__dma_ops, works in whole 4 KiB pages and uses the
 * helpers declared here (OPTIMISTIC also those of dma-live.h).
 *
 * Calls go one way, never in a circle: dma.c calls every other file and
 * is the only one that refers to the strategies' ops tables; the
 * strategies call dma-live.c, dma-map.c, dma-iova.c and dma-reclaim.c;
 * dma-live.c calls dma-map.c and dma-iova.c (at teardown); dma-map.c
 * calls dma-iova.c; dma-config.c, dma-iova.c, dma-reclaim.c and
 * dma-stats.c call no other file of the layer (the last two reach the
 * strategy only through dma->ops, at run time).
 */
#ifndef LIOMMU_DMA_INTERNAL_H
#define LIOMMU_DMA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/dma.h>
#include <liommu/iova.h>
#include <liommu/liommu.h>

#include "../common/spin.h"
#include "../driver/driver-layer.h"

#define LIOMMU__CACHELINE	64

/*
 * One mapping, from map() to the moment its IOVA is free again.  While
 * live it sits in the live table (dma-live.c, keyed by @iova); OPTIMISTIC then
 * moves it into its reuse cache and DEFERRED into a flush queue.  Only the
 * owner of the structure it is linked into touches the link fields.
 */
struct liommu__dma_map {
	struct liommu__dma_map *next;	/* live-table or cache hash chain */
	struct liommu__dma_map *older;	/* OPTIMISTIC FIFO (towards head) */
	struct liommu__dma_map *newer;	/* OPTIMISTIC FIFO (towards tail) */
	uint64_t iova;			/* page aligned */
	uint64_t pa;			/* page aligned */
	uint64_t npages;		/* pages mapped */
	uint64_t alloc_size;		/* bytes of IOVA space allocated */
	uint64_t t_ns;			/* OPTIMISTIC: when it was cached */
	uint64_t len;			/* the caller's length, checked at unmap */
	unsigned int off;		/* the buffer's offset in its first page */
	unsigned int prot;		/* LIOMMU_PROT_*, = the direction */
};

struct liommu_dma;
struct liommu__dma_live;

/**
 * struct liommu__dma_ops - one strategy.  Page-granular: dma.c has
 * checked the arguments and rounded the buffer to pages.
 * @name:     the strategy's name (liommu_dma_strategy_name()).
 * @untracked: no live table (DIRECT: IOVA = PA, nothing to remember).
 * @init:     set up strategy state after the common part.  Context: may
 *            block.
 * @fini:     retire everything stale and free the state; the reclaimer
 *            is already stopped.  Optional.
 * @map:      map the request *@mp (on the caller's stack: @pa, @npages,
 *            @prot, @off, @len filled in, and @iova on a fixed-IOVA
 *            instance): set the record's @iova (fixed: keep it) and
 *            @alloc_size.  Fixed: -EEXIST when the range is taken.
 *            Tracked strategies point *@mp at a record of their own
 *            (liommu__dma_map_new(), or a cached one, which takes the
 *            request's @off and @len) that the front end puts in the
 *            live table; *@hit tells a reuse-cache hit.
 *            DIRECT is given the unrounded buffer's pages, only checks
 *            them and leaves *@mp alone.
 * @unmap:    end @m (already out of the live table); the strategy owns
 *            @m from here and frees it with liommu__dma_map_free(),
 *            whatever it returns.  For @untracked strategies @m is the
 *            caller's (on its stack) and only describes the buffer.
 * @map_own:  optional; the reuse-cache fast path, tried before @map.
 *            @s is the calling thread's live-table shard, whose lock also
 *            guards the strategy's state for that slot: under it, look
 *            the request @req up (on a fixed-IOVA instance its @iova is
 *            part of the key); on a hit take the cached record out,
 *            give it @req's offset and length, link it into @s
 *            (liommu__dma_live_link_locked()), set *@iova and return
 *            true.  false: a miss, nothing changed.
 * @unmap_own: optional; the fast path of unmap, tried before the other
 *            shards are searched: under @s's lock take the mapping out
 *            (liommu__dma_live_take_locked()) and deal with it as @unmap
 *            would, *@res its result.  Return: 0 (done), the take's
 *            -ENOENT or -EINVAL (nothing changed), or
 *            LIOMMU__DMA_ELSEWHERE (@iova is not in @s).
 * @unmap_many: optional; unmap @n mappings at once (scatter-gather).
 *            NULL = @unmap one by one.
 * @drain:    optional; retire every stale mapping now, wait.
 * @reclaim:  optional; the reclaimer thread's work at time @now_ns:
 *            retire what is due, return the next due time (0: nothing
 *            pending).
 * @stale_pages: optional; pages unmapped but maybe still reachable now.
 * @bound:    the exposure bound.
 */
struct liommu__dma_ops {
	const char *name;
	bool untracked;
	int (*init)(struct liommu_dma *dma);
	void (*fini)(struct liommu_dma *dma);
	int (*map)(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit);
	int (*unmap)(struct liommu_dma *dma, struct liommu__dma_map *m);
	bool (*map_own)(struct liommu_dma *dma, struct liommu__dma_live *s,
			const struct liommu__dma_map *req, uint64_t *iova);
	int (*unmap_own)(struct liommu_dma *dma, struct liommu__dma_live *s, uint64_t iova,
			 uint64_t len, unsigned int prot, int *res);
	int (*unmap_many)(struct liommu_dma *dma, struct liommu__dma_map **m, size_t n);
	int (*drain)(struct liommu_dma *dma);
	uint64_t (*reclaim)(struct liommu_dma *dma, uint64_t now_ns);
	uint64_t (*stale_pages)(struct liommu_dma *dma);
	void (*bound)(const struct liommu_dma *dma, struct liommu_dma_bound *b);
};

extern const struct liommu__dma_ops liommu__dma_direct_ops;
extern const struct liommu__dma_ops liommu__dma_strict_ops;
extern const struct liommu__dma_ops liommu__dma_optimistic_ops;
extern const struct liommu__dma_ops liommu__dma_deferred_ops;

/*
 * Per-thread counter blocks, indexed by the thread's domain counter shard
 * (driver-layer.h, liommu__stat_shard()): blocks 0 .. LIOMMU_STAT_SHARED - 1
 * are owned by one thread at a time, which updates them with a relaxed
 * load and store (no locked RMW); threads beyond those share the last
 * block and update it with relaxed RMWs.  Sums are exact once the calls
 * in flight have returned; readers load relaxed.
 */
#define LIOMMU__DMA_SLOTS	LIOMMU_STAT_SHARDS

struct liommu__dma_counters {
	_Atomic uint64_t maps;
	_Atomic uint64_t unmaps;
	_Atomic uint64_t reuse_hits;
	_Atomic uint64_t retired;
	_Atomic uint64_t flushes;
	_Atomic uint64_t live_pages;	/* map adds, unmap subtracts (mod 2^64) */
	_Atomic uint64_t map_at_drains;	/* map_at retired stale mappings to retry */
} __attribute__((aligned(LIOMMU__CACHELINE)));
_Static_assert(sizeof(struct liommu__dma_counters) == LIOMMU__CACHELINE,
	       "a thread's counter block is one cache line");

/*
 * A shard of the live table: mappings keyed by IOVA, one shard per
 * counter slot (the mapping thread's).  @count is written under @lock and
 * read without it as a hint (dma-live.h, liommu__dma_live_remove()).  @lock (also
 * OPTIMISTIC's reuse caches' lock) is held only for a few list edits,
 * almost always by the slot's own thread; never across an invalidation,
 * an allocation of IOVA space or another such lock.
 */
struct liommu__dma_live {
	struct liommu__spin lock;
	struct liommu__dma_map **bucket;
	uint64_t nbuckets;		/* power of two */
	_Atomic uint64_t count;
} __attribute__((aligned(LIOMMU__CACHELINE)));

struct liommu_dma {
	struct liommu_domain *dom;
	struct liommu_unit *unit;
	const struct liommu__dma_ops *ops;
	struct liommu_dma_config cfg;	/* defaults filled in, ranges copied */
	struct liommu_dma_range *ranges; /* DIRECT: sorted copy of cfg.ranges */
	struct liommu_iova *iova;	/* NULL for DIRECT */
	void *priv;			/* the strategy's state */

	/* Baselines for the counters that are deltas since creation. */
	uint64_t base_pte_writes;
	uint64_t base_inv_descs;
	uint64_t base_inv_waits;

	/*
	 * The reclaimer thread (OPTIMISTIC, DEFERRED).  @due is the next time
	 * it must run, 0 when nothing is pending: strategies read it without
	 * the lock to skip the wake-up when it is already due early enough
	 * (liommu__dma_kick()), so it is a seq_cst atomic; it is written
	 * under @rc_lock.
	 */
	pthread_mutex_t rc_lock;
	pthread_cond_t rc_cond;		/* CLOCK_MONOTONIC */
	pthread_t rc_thread;
	bool rc_running;
	bool rc_stop;			/* under rc_lock */
	_Atomic uint64_t due;
	/* Worst (end of a pass - the due time it ran for); written by the
	 * reclaimer only (liommu_dma_stats.reclaim_late_ns). */
	_Atomic uint64_t rc_late_max;

	struct liommu__dma_counters ctr[LIOMMU__DMA_SLOTS];
	struct liommu__dma_live live[LIOMMU__DMA_SLOTS];
};

/* The calling thread's slot, 0 .. LIOMMU__DMA_SLOTS - 1: its domain
 * counter shard, fixed while the thread lives. */
static inline unsigned int liommu__dma_slot(void)
{
	return liommu__stat_shard();
}

static inline struct liommu__dma_counters *liommu__dma_ctr(struct liommu_dma *dma)
{
	return &dma->ctr[liommu__dma_slot()];
}

/*
 * Add @n to a counter of the calling thread's block (liommu__dma_ctr(),
 * so liommu__stat_slot is set).  The block's owner alone writes it: a
 * plain load and store, no locked RMW; the shared block needs the RMW.
 */
static inline void liommu__dma_count(_Atomic uint64_t *c, uint64_t n)
{
	if (liommu__stat_slot - 1 != LIOMMU_STAT_SHARED)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* After an invalidation wait the strategy performed (its cost, modelled
 * or real, was paid inside it): count it. */
static inline void liommu__dma_flushed(struct liommu_dma *dma)
{
	liommu__dma_count(&liommu__dma_ctr(dma)->flushes, 1);
}

/* ------------------------------------------------------------------ */
/* dma-iova.c                                                          */
/* ------------------------------------------------------------------ */

/* An allocator for the instance's [iova_base, iova_limit) as dma->iova
 * (creation only).  Return: 0, or the allocator's error. */
int liommu__dma_iova_setup(struct liommu_dma *dma);

/* IOVA space for @m->npages pages: a power of two up to the allocator's
 * cacheable maximum (so the per-thread caches serve it), else exact.
 * Sets @m->iova and @m->alloc_size.  A fixed-IOVA instance takes exactly
 * [@m->iova, + npages pages) as the caller set it, and only sets
 * @m->alloc_size.  Return: 0, -ENOSPC, -ENOMEM; fixed: -EEXIST (overlaps
 * an allocation, live or stale, or a reserved range), -ERANGE, -ENOMEM. */
int liommu__dma_iova_alloc(struct liommu_dma *dma, struct liommu__dma_map *m);
/* Give @m's IOVA back; only once no translation of it can remain. */
void liommu__dma_iova_free(struct liommu_dma *dma, struct liommu__dma_map *m);

/* ------------------------------------------------------------------ */
/* dma-map.c                                                           */
/* ------------------------------------------------------------------ */

/* A heap copy of the request @req (a record for the live table); NULL
 * when out of memory. */
struct liommu__dma_map *liommu__dma_map_new(const struct liommu__dma_map *req);
void liommu__dma_map_free(struct liommu__dma_map *m);

/*
 * Map the request *@mp afresh: a record of its own (liommu__dma_map_new()),
 * IOVA space, PTEs; *@mp then points at the record.  A failure leaves
 * nothing allocated or mapped.  Return: 0, -ENOMEM, -ENOSPC, or the
 * domain's error.
 */
int liommu__dma_map_fresh(struct liommu_dma *dma, struct liommu__dma_map **mp);

/* ------------------------------------------------------------------ */
/* dma-reclaim.c                                                       */
/* ------------------------------------------------------------------ */

/* Monotonic time in nanoseconds. */
uint64_t liommu__dma_now_ns(void);

/*
 * Tell the reclaimer that something becomes due at @due_ns.  Cheap when
 * the reclaimer already runs at or before that time (one atomic load);
 * otherwise takes rc_lock and wakes it.  Call after the stale entry is
 * visible to @reclaim (published under the strategy's lock).
 */
void liommu__dma_kick(struct liommu_dma *dma, uint64_t due_ns);

/* The reclaimer's life cycle, for liommu_dma_new() / _free(): init (its
 * lock and condition variable), start (the thread; Return: 0 or a
 * negative errno), stop (join it; nothing if it never started), fini. */
void liommu__dma_reclaimer_init(struct liommu_dma *dma);
int liommu__dma_reclaimer_start(struct liommu_dma *dma);
void liommu__dma_reclaimer_stop(struct liommu_dma *dma);
void liommu__dma_reclaimer_fini(struct liommu_dma *dma);

/* ------------------------------------------------------------------ */
/* dma-config.c                                                        */
/* ------------------------------------------------------------------ */

/*
 * Fill dma->cfg from @cfg with the defaults of liommu/dma.h and check it
 * against the unit (dma->unit is set); for DIRECT, a sorted and merged
 * copy of the ranges in dma->ranges.  Return: 0, -EINVAL, -ERANGE,
 * -ENOMEM.
 */
int liommu__dma_config_fill(struct liommu_dma *dma, const struct liommu_dma_config *cfg);

#endif /* LIOMMU_DMA_INTERNAL_H */
