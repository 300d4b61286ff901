/* SPDX-License-Identifier: MIT */
/*
 * liommu/dma.h - a DMA-API-like mapping layer over a domain, with four
 * strategies whose cost and protection differ.
 *
 * A struct liommu_dma sits on one domain and hands out I/O virtual
 * addresses for physical buffers: liommu_dma_map(pa, len, dir) -> iova,
 * liommu_dma_unmap(iova, len, dir), plus scatter-gather variants.  What
 * happens to the page table and the IOTLB is the strategy's business:
 *
 *  strategy    map                        unmap                        stale window
 *  ----------  -------------------------  ---------------------------  ---------------
 *  DIRECT      nothing: the declared       nothing                      unbounded: all
 *              ranges were mapped IOVA=PA                               memory always
 *              at creation, largest pages                               mapped
 *  STRICT      IOVA + PTEs                 clear PTEs, invalidate,      none: a stale
 *                                          wait, then free the IOVA     translation never
 *                                                                       outlives unmap()
 *  OPTIMISTIC  reuse a cached mapping of   keep the mapping in a reuse  <= quota cached
 *              the same (page, dir), else  cache; retire cached ones    mappings, none
 *              IOVA + PTEs                 in batches (one              older than the
 *                                          invalidation per batch)      age limit
 *  DEFERRED    IOVA + PTEs                 clear PTEs now; batch the    per queue: <= batch
 *                                          invalidation by count and    unmaps, <= interval
 *                                          time; free the IOVA after
 *                                          the flush that covers it
 *
 * OPTIMISTIC is the optimistic teardown of vIOMMU (Amit et al., USENIX
 * ATC 2011); its reuse cache is keyed by (first physical page, number of
 * pages, direction), so a buffer of one page is keyed by (page, dir) and
 * any offset and length inside that page hits.  DEFERRED is the flush
 * queue of Linux's lazy mode.  Both run
 * a background reclaimer thread so their time bound holds even when no
 * further map/unmap call arrives.
 *
 * The instance should own its domain: it allocates IOVAs in
 * [iova_base, iova_limit) and reads the domain's counters (PTE writes,
 * mapped bytes, table pages) as its own.  An instance created with
 * fixed_iova lets the caller choose the IOVAs instead (a vIOMMU shadow
 * mirroring a guest's mappings): liommu_dma_map_at(iova, pa, len, dir),
 * with the same strategies and the same unmap.
 *
 * Threading contract:
 *  - liommu_dma_map(), _map_at(), _unmap(), _map_sg(), _unmap_sg(),
 *    _drain() and _get_stats() may be called from many threads at once on one
 *    instance.  IOVAs come from the allocator's per-thread caches.  Live
 *    mappings are tracked in a table with one shard per thread (a thread
 *    keeps its shard; the 16th and later threads share the last): map()
 *    files a mapping in the calling thread's shard, unmap() finds it
 *    there or, when another thread mapped it, in that thread's shard.
 *    STRICT serialises only around the unit's invalidation interface,
 *    which is one queue anyway: concurrent unmaps are combined into one
 *    invalidation (each still returns only after an invalidation issued
 *    after its PTEs were cleared).  It does not scale with threads: with
 *    one queue each unmap moves cache lines between CPUs, and where that
 *    costs more than a map+unmap pair (a 2-CPU VM, docs/performance.md)
 *    two threads get less done than one.  OPTIMISTIC's reuse cache is per
 *    thread too, guarded by the thread's live-table shard lock: a buffer
 *    unmapped by one thread is reused only by a map() from the same
 *    thread (elsewhere it is an ordinary miss, and the cached entry ages
 *    out).  The quota is shared with tokens that add up to it exactly;
 *    retirements (a batch's PTE clearing and its invalidation) are
 *    serialised.  DEFERRED's queues are per thread (a thread picks one
 *    queue and keeps it).
 *  - Counters are read with relaxed atomics: each field is exact, the
 *    set is not a snapshot.
 *  - liommu_dma_new() and _free() are not thread-safe against other use
 *    of the same instance.
 *
 * Errors: 0 (or a count) on success, a negative errno value on failure;
 * nothing aborts.
 */
#ifndef LIOMMU_DMA_H
#define LIOMMU_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/liommu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_dma;

enum liommu_dma_strategy {
	LIOMMU_DMA_DIRECT = 0,
	LIOMMU_DMA_STRICT,
	LIOMMU_DMA_OPTIMISTIC,
	LIOMMU_DMA_DEFERRED,
};
#define LIOMMU_DMA_NR_STRATEGIES 4

/*
 * Direction of a transfer, as the device sees memory.  The values are the
 * page permissions the mapping gets (LIOMMU_PROT_*); 0 is not a direction.
 */
enum liommu_dma_dir {
	LIOMMU_DMA_TO_DEVICE = 1,	/* device reads memory: read-only PTE */
	LIOMMU_DMA_FROM_DEVICE = 2,	/* device writes memory: write-only PTE */
	LIOMMU_DMA_BIDIRECTIONAL = 3,	/* read and write */
};

/* A physical range: DIRECT's declared memory. */
struct liommu_dma_range {
	uint64_t pa;
	uint64_t len;
};

/* Defaults (used when the config field is 0). */
#define LIOMMU_DMA_DEFAULT_QUOTA	256u		/* optimistic: cached mappings */
#define LIOMMU_DMA_DEFAULT_AGE_NS	1000000ull	/* optimistic: 1 ms */
#define LIOMMU_DMA_DEFAULT_BATCH	256u		/* deferred: unmaps per flush */
#define LIOMMU_DMA_DEFAULT_INTERVAL_NS	10000000ull	/* deferred: 10 ms */
#define LIOMMU_DMA_DEFAULT_IOVA_BASE	0x100000ull	/* first MiB left unused */

/**
 * struct liommu_dma_config - how to build an instance.  Zero is a default
 * for every field except @strategy (zero is DIRECT, which needs @ranges).
 * @strategy:    enum liommu_dma_strategy.
 * @iova_base:   lowest IOVA handed out (page aligned); 0 = 1 MiB, except
 *               with @fixed_iova, where 0 means IOVA 0.
 * @iova_limit:  one past the highest IOVA; 0 = 2^(unit address width).
 *               Devices with a narrow DMA mask (QEMU's edu: 28 bits) set
 *               it.  Not used by DIRECT (IOVA = PA).
 * @ranges, @nranges: DIRECT: the physical memory to map at creation
 *               (page aligned, non-overlapping); map() accepts buffers
 *               inside them only.  Must be empty for other strategies.
 * @quota:       OPTIMISTIC: most cached (unmapped but still mapped)
 *               mappings per instance; 0 = LIOMMU_DMA_DEFAULT_QUOTA.
 * @age_ns:      OPTIMISTIC: no cached mapping lives longer; 0 = 1 ms.
 * @opt_batch:   OPTIMISTIC: mappings retired per invalidation when a
 *               thread's cache needs room and no token is free; 0 = a
 *               quarter of quota / min(8, quota / 32) (quota 256: 8; at
 *               least 1).
 * @batch:       DEFERRED: unmaps per queue before a flush; 0 = 256.
 * @interval_ns: DEFERRED: longest a queued unmap waits for its flush;
 *               0 = 10 ms.
 * @queues:      DEFERRED: flush queues (threads share them by a per-thread
 *               index); 0 = 8.  The count bound applies per queue.
 * @fixed_iova:  the caller chooses every IOVA (a vIOMMU shadow mirroring
 *               a guest's mappings): map with liommu_dma_map_at() only;
 *               liommu_dma_map() and _map_sg() return -EINVAL.  STRICT,
 *               OPTIMISTIC and DEFERRED; DIRECT (IOVA = PA) refuses it.
 *               The IOVAs must lie in [@iova_base, @iova_limit), outside
 *               the interrupt range 0xFEE00000-0xFEEFFFFF (spec 3.14:
 *               DMA writes there are interrupt requests, never
 *               translated), which stays reserved.
 *
 * How long an invalidation takes is the hardware's business, not the
 * strategy's: on the sim platform it is the model's
 * liommu_model_config.inval_latency_ns (liommu/model.h, set through
 * liommu_sim_config.model).
 */
struct liommu_dma_config {
	enum liommu_dma_strategy strategy;
	uint64_t iova_base;
	uint64_t iova_limit;
	const struct liommu_dma_range *ranges;
	size_t nranges;
	unsigned int quota;
	uint64_t age_ns;
	unsigned int opt_batch;
	unsigned int batch;
	uint64_t interval_ns;
	unsigned int queues;
	bool fixed_iova;
};

/**
 * struct liommu_dma_bound - the exposure a strategy promises: how long, in
 * unmaps and in time, a device may still reach a buffer after its
 * liommu_dma_unmap() returned.
 * @unbounded: DIRECT: everything stays reachable for the instance's life
 *             (@count and @time_ns are then UINT64_MAX).
 * @count:     stale mappings that may exist per queue (OPTIMISTIC: the
 *             quota; DEFERRED: the batch; STRICT: 0).
 * @queues:    how many independent queues @count applies to (DEFERRED:
 *             the number of flush queues; otherwise 1).  At most
 *             @count * @queues stale mappings exist at once.
 * @time_ns:   no stale mapping survives longer (OPTIMISTIC: the age
 *             limit; DEFERRED: the interval; STRICT: 0), up to the
 *             scheduling latency of the reclaimer thread (measured:
 *             liommu_dma_stats.reclaim_late_ns).
 */
struct liommu_dma_bound {
	bool unbounded;
	uint64_t count;
	unsigned int queues;
	uint64_t time_ns;
};

/**
 * struct liommu_dma_stats - what an instance did since liommu_dma_new().
 * @strategy:       the instance's strategy.
 * @maps, @unmaps:  successful calls (each scatter-gather segment counts).
 * @reuse_hits:     OPTIMISTIC maps served from the reuse cache (no PTE
 *                  write, no invalidation).
 * @retired:        cached (OPTIMISTIC) or queued (DEFERRED) mappings whose
 *                  invalidation has completed.
 * @flushes:        invalidate-and-wait operations this instance issued.
 * @map_at_drains:  liommu_dma_map_at() calls whose range was taken and
 *                  that therefore retired every stale mapping
 *                  (liommu_dma_drain()) and tried again, successfully or
 *                  not (then a live mapping or a reserved range held it).
 * @pte_writes:     the domain's page-table entry stores since the instance
 *                  was created, DIRECT's initial mapping included.
 * @inv_descs, @inv_waits: the unit's invalidation requests and waits since
 *                  creation (liommu_unit_stats; a unit shared with other
 *                  domains counts their invalidations too).
 * @mapped_pages, @peak_mapped_pages: 4 KiB pages with a present PTE in the
 *                  domain, now and at most (the domain's own counters).
 * @pinned_pages, @peak_pinned_pages: pages the host must keep resident
 *                  because a present PTE points at them: live buffers,
 *                  plus OPTIMISTIC's cached mappings, plus all of DIRECT's
 *                  memory.  DEFERRED's queued pages are not pinned (their
 *                  PTEs are gone); their residual exposure is @stale_pages.
 * @stale_pages:    pages unmapped by the caller that a device may still
 *                  reach now (OPTIMISTIC cached, DEFERRED awaiting flush).
 * @live_pages:     pages of buffers mapped and not yet unmapped.
 * @table_pages:    page-table pages the domain holds.
 * @reclaim_late_ns: the reclaimer thread's worst lateness (OPTIMISTIC,
 *                  DEFERRED; 0 before its first pass and for the others):
 *                  how long after the time it was due a retirement pass
 *                  ended, whatever delayed it (waking late, waiting for a
 *                  lock a preempted thread holds, the invalidation).  The
 *                  time bound holds up to this.
 * @bound:          the promised exposure bound.
 */
struct liommu_dma_stats {
	enum liommu_dma_strategy strategy;
	uint64_t maps;
	uint64_t unmaps;
	uint64_t reuse_hits;
	uint64_t retired;
	uint64_t flushes;
	uint64_t map_at_drains;
	uint64_t pte_writes;
	uint64_t inv_descs;
	uint64_t inv_waits;
	uint64_t mapped_pages;
	uint64_t peak_mapped_pages;
	uint64_t pinned_pages;
	uint64_t peak_pinned_pages;
	uint64_t stale_pages;
	uint64_t live_pages;
	uint64_t table_pages;
	uint64_t reclaim_late_ns;
	struct liommu_dma_bound bound;
};

/**
 * liommu_dma_strategy_name() - "direct", "strict", "optimistic", "deferred".
 * Return: a static string, or NULL for an unknown value.  Context: any.
 */
LIOMMU_EXPORT const char *liommu_dma_strategy_name(enum liommu_dma_strategy s);

/**
 * liommu_dma_strategy_parse() - the inverse of liommu_dma_strategy_name().
 * Return: 0, -EINVAL for an unknown name.  Context: any.
 */
LIOMMU_EXPORT int liommu_dma_strategy_parse(const char *name,
					    enum liommu_dma_strategy *out);

/**
 * liommu_dma_new() - put a mapping strategy on a domain.
 * @dom: the domain (should be empty and used by this instance only); must
 *       outlive the instance.
 * @cfg: configuration, see struct liommu_dma_config.
 * @out: the new instance.
 *
 * DIRECT maps every declared range IOVA = PA with read/write permission
 * and the largest pages the unit offers.  OPTIMISTIC and DEFERRED start
 * their reclaimer thread.
 *
 * Return: 0; -EINVAL (bad strategy, misaligned or overlapping ranges,
 * ranges given to a strategy other than DIRECT, iova_base >= iova_limit,
 * fixed_iova with DIRECT),
 * -ERANGE (a range or the IOVA window beyond the address width), -EEXIST
 * (a range already mapped in the domain), -ENOMEM, or an error from
 * pthread_create() negated.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_dma_new(struct liommu_domain *dom,
				 const struct liommu_dma_config *cfg,
				 struct liommu_dma **out);

/**
 * liommu_dma_free() - stop the reclaimer, retire every cached or queued
 * mapping, unmap what is still live (a caller bug, but the domain is left
 * empty) and free the instance.  NULL is accepted.  Context: may block.
 */
LIOMMU_EXPORT void liommu_dma_free(struct liommu_dma *dma);

/** liommu_dma_get_strategy() - the instance's strategy.  Context: any. */
LIOMMU_EXPORT enum liommu_dma_strategy liommu_dma_get_strategy(const struct liommu_dma *dma);

/** liommu_dma_domain() - the domain given at creation.  Context: any. */
LIOMMU_EXPORT struct liommu_domain *liommu_dma_domain(struct liommu_dma *dma);

/**
 * liommu_dma_map() - make [@pa, @pa + @len) reachable by the device.
 * @pa:   physical address of the buffer (any alignment).
 * @len:  bytes, > 0.  The pages covering the buffer are mapped.
 * @dir:  enum liommu_dma_dir; the PTEs get exactly that permission.
 * @iova: the device address of @pa (its page offset preserved).
 *
 * Return: 0; -EINVAL (zero length, bad direction, @pa + @len overflows,
 * a fixed-IOVA instance: use liommu_dma_map_at()),
 * -ERANGE (DIRECT: the buffer is not inside the declared memory; others:
 * beyond the address width), -ENOSPC (IOVA window exhausted), -ENOMEM.
 * Context: takes the calling thread's live-table shard lock, once (an
 * OPTIMISTIC reuse hit included); may allocate; never waits for an
 * invalidation.
 */
LIOMMU_EXPORT int liommu_dma_map(struct liommu_dma *dma, uint64_t pa, uint64_t len,
				 enum liommu_dma_dir dir, uint64_t *iova);

/**
 * liommu_dma_map_at() - map [@pa, @pa + @len) at a caller-chosen IOVA
 * (an instance created with @fixed_iova).
 * @iova: the device address of @pa; the same offset in its page as @pa.
 * @pa, @len, @dir: as liommu_dma_map().
 *
 * The pages covering the buffer are mapped at the pages covering
 * [@iova, @iova + @len), with the largest page sizes the unit and the
 * alignment of both addresses allow.  A range that overlaps a live
 * mapping is refused.  A range that overlaps stale mappings (OPTIMISTIC's
 * cached, DEFERRED's queued) is handled by the strategy first: an
 * OPTIMISTIC cached mapping of exactly this (IOVA, pa, length,
 * direction) in the calling thread's reuse cache is reused (a reuse hit:
 * no PTE write, no invalidation); otherwise, when the range is taken,
 * every stale mapping of the instance is retired (liommu_dma_drain():
 * PTEs cleared and the invalidation waited for) and the map tried once
 * more, so the device never sees an old translation at an address that
 * is mapped anew (liommu_dma_stats.map_at_drains counts these).  A
 * refused overlap with a live mapping may thus still have retired stale
 * ones; the live mappings are unchanged.  Unmap with
 * liommu_dma_unmap(@iova, @len, @dir) as usual.
 *
 * Return: 0; -EINVAL (not a fixed-IOVA instance, zero length, bad
 * direction, different page offsets, overflow); -ERANGE (outside
 * [iova_base, iova_limit) or the address width); -EEXIST (overlaps a
 * live mapping or the interrupt range); -ENOMEM; -ETIMEDOUT or -EIO
 * from retiring a stale mapping.
 * Context: as liommu_dma_map(), except that retiring an overlapped
 * stale mapping waits for an invalidation (and takes what
 * liommu_dma_drain() takes).
 */
LIOMMU_EXPORT int liommu_dma_map_at(struct liommu_dma *dma, uint64_t iova, uint64_t pa,
				    uint64_t len, enum liommu_dma_dir dir);

/**
 * liommu_dma_unmap() - end the device's access to a buffer.
 * @iova, @len, @dir: exactly as map() returned and was given.
 *
 * STRICT: when this returns, no translation of the buffer survives in the
 * unit.  OPTIMISTIC and DEFERRED: within struct liommu_dma_bound.
 * DIRECT: nothing changes.
 * Return: 0; -EINVAL (zero length, bad direction, @len or @dir differ from
 * the map() call); -ENOENT (@iova is not the address of a live mapping;
 * DIRECT: not inside the declared memory); -ETIMEDOUT or -EIO from the
 * invalidation (STRICT: the PTEs are cleared but the IOVA is not reused).
 * Context: may block waiting for an invalidation (STRICT, and any
 * strategy whose batch fills on this call).
 */
LIOMMU_EXPORT int liommu_dma_unmap(struct liommu_dma *dma, uint64_t iova, uint64_t len,
				   enum liommu_dma_dir dir);

/**
 * struct liommu_dma_sg - one scatter-gather segment.
 * @pa, @len: the buffer (input).
 * @iova:     its device address (output of liommu_dma_map_sg()).
 */
struct liommu_dma_sg {
	uint64_t pa;
	uint64_t len;
	uint64_t iova;
};

/**
 * liommu_dma_map_sg() - map every segment of @sg, all or nothing.
 * Each segment gets its own IOVA in @sg[i].iova (no merging).
 * Return: @n; the errors of liommu_dma_map() (nothing stays mapped), or
 * -EINVAL for @n == 0 or a fixed-IOVA instance.  Context: as
 * liommu_dma_map().
 */
LIOMMU_EXPORT int liommu_dma_map_sg(struct liommu_dma *dma, struct liommu_dma_sg *sg,
				    size_t n, enum liommu_dma_dir dir);

/**
 * liommu_dma_unmap_sg() - unmap every segment mapped by liommu_dma_map_sg().
 * STRICT clears all the segments' PTEs and then invalidates once.  Every
 * segment is checked before anything is unmapped: on -ENOENT/-EINVAL
 * nothing changed.
 * Return: 0 or the errors of liommu_dma_unmap(); -EINVAL for @n == 0.
 * Context: as liommu_dma_unmap().
 */
LIOMMU_EXPORT int liommu_dma_unmap_sg(struct liommu_dma *dma,
				      const struct liommu_dma_sg *sg, size_t n,
				      enum liommu_dma_dir dir);

/**
 * liommu_dma_drain() - retire every cached (OPTIMISTIC) or queued
 * (DEFERRED) mapping now and wait for the invalidation; afterwards no
 * stale translation exists.  A no-op for STRICT and DIRECT.
 * Return: 0, -ETIMEDOUT, -EIO.  Context: may block.
 */
LIOMMU_EXPORT int liommu_dma_drain(struct liommu_dma *dma);

/** liommu_dma_get_stats() - fill @st.  Context: any; lock-free. */
LIOMMU_EXPORT void liommu_dma_get_stats(struct liommu_dma *dma,
					struct liommu_dma_stats *st);

/** liommu_dma_get_bound() - the exposure bound alone.  Context: any. */
LIOMMU_EXPORT void liommu_dma_get_bound(const struct liommu_dma *dma,
					struct liommu_dma_bound *b);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_DMA_H */
