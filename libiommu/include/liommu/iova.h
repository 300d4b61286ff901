/* SPDX-License-Identifier: MIT */
/*
 * liommu/iova.h - the per-domain I/O virtual address allocator.
 *
 * A struct liommu_iova hands out ranges of one domain's IOVA space:
 * [base, 2^width), minus reserved ranges.  Sizes are multiples of the
 * VT-d page (4 KiB).  A power-of-two size is returned naturally aligned
 * (the IOVA is a multiple of the size), so a strict unmap invalidates it
 * with one page-selective descriptor and the smallest address mask
 * (spec 6.5.1.2, IOTLB invalidation with AM); any other size gets an
 * exact range aligned to 4 KiB.
 *
 * Two layers, after Linux's drivers/iommu/iova.c and Peleg et al.,
 * "Utilizing the IOMMU Scalably" (USENIX ATC 2015):
 *  - a balanced (AVL) tree of allocated and reserved ranges, each node
 *    augmented with the largest free gap in its subtree, which finds a
 *    fitting gap in O(log n) worst case;
 *  - per-thread magazine caches for power-of-two sizes from 4 KiB to
 *    1 MiB (LIOMMU_IOVA_CACHE_MAX): a "loaded" and a "previous" magazine
 *    per size class and thread, and a shared depot of full magazines.
 *    An alloc or free that finds room in a magazine touches no
 *    allocator-wide lock.  A thread whose magazines are empty takes a
 *    whole naturally aligned run of 128 pages from the tree at once
 *    (sizes below 512 KiB, while at least half the space stays free),
 *    and the depot gives a thread back the magazines it parked, so two
 *    threads' IOVAs, and with them their page-table and bookkeeping
 *    cache lines, stay apart.  Consequence for a caller: consecutive
 *    allocations of one thread are ascending neighbours, and a small
 *    space still hands out every free IOVA (caches are flushed before
 *    -ENOSPC).
 *
 * Threading contract:
 *  - liommu_iova_alloc(), _alloc_range(), _free(), _reserve(),
 *    _flush_caches() and _get_stats() may be called from any number of
 *    threads at once on one allocator.
 *  - The fast path (a cacheable size whose magazine has an entry, or
 *    room) takes no lock: the thread's cache is its own, and a thread
 *    flushing it (liommu_iova_flush_caches(), or an allocation that would
 *    otherwise fail with -ENOSPC) synchronises with the owner through a
 *    flag and membarrier(2), falling back to one atomic exchange per call
 *    where the kernel lacks MEMBARRIER_CMD_PRIVATE_EXPEDITED.  Other
 *    calls take the allocator's tree lock and, for magazine exchanges, a
 *    depot lock; these are the "lock_acquisitions" in the statistics.
 *  - A thread's caches are attached on its first cached call and given
 *    back to the allocator when the thread exits (a pthread key
 *    destructor), so no IOVA is stranded in a dead thread.
 *  - liommu_iova_new() and liommu_iova_destroy() are not thread-safe
 *    against other calls on the same allocator: no call on it may run
 *    during or after destroy.  Threads that used a destroyed allocator
 *    may keep running; their stale cache slots are recognised by a
 *    generation number and never dereferenced.
 *
 * Errors: 0 on success, a negative errno value on failure; nothing
 * aborts, and a rejected call leaves the allocator unchanged.
 */
#ifndef LIOMMU_IOVA_H
#define LIOMMU_IOVA_H

#include <stdint.h>

#include <liommu/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_iova;

/* Allocation granule: the VT-d page (4 KiB). */
#define LIOMMU_IOVA_GRANULE	4096ULL
/* Largest size served by the per-thread caches. */
#define LIOMMU_IOVA_CACHE_MAX	(1ULL << 20)
/* Address widths accepted by liommu_iova_new() (VT-d uses 39, 48, 57). */
#define LIOMMU_IOVA_WIDTH_MIN	16u
#define LIOMMU_IOVA_WIDTH_MAX	63u

/* Configuration flags (struct liommu_iova_config.flags). */
/* Hand out the highest fitting address first (Linux's order) instead of
 * the lowest. */
#define LIOMMU_IOVA_TOP_DOWN		(1u << 0)
/* No per-thread caches: every call goes to the tree, placement is
 * deterministic (first fit in address order). */
#define LIOMMU_IOVA_NO_CACHE		(1u << 1)
/* Do not reserve the interrupt address range 0xFEE00000-0xFEEFFFFF
 * (spec 3.14: DMA writes there are interrupt requests, never translated). */
#define LIOMMU_IOVA_NO_INTR_RESERVE	(1u << 2)
/* With base 0, start the space at IOVA 0 instead of one granule up. */
#define LIOMMU_IOVA_ALLOW_ZERO		(1u << 3)
#define LIOMMU_IOVA_FLAGS_ALL		0xfu

/**
 * struct liommu_iova_config - shape of an IOVA space.  Zero is a default.
 * @width: address width in bits, LIOMMU_IOVA_WIDTH_MIN..MAX; the space
 *         ends below 2^@width.  0 = 48.
 * @base:  lowest IOVA handed out, a multiple of 4 KiB below 2^@width.
 *         0 = 4 KiB, so IOVA 0 (a NULL-like DMA address) is never
 *         returned, unless LIOMMU_IOVA_ALLOW_ZERO is set.
 * @flags: LIOMMU_IOVA_* flags.
 */
struct liommu_iova_config {
	unsigned int width;
	uint64_t base;
	unsigned int flags;
};

/**
 * liommu_iova_new() - create an allocator.
 * @cfg: configuration, NULL for defaults.
 * @out: the new allocator.
 *
 * Unless LIOMMU_IOVA_NO_INTR_RESERVE, the interrupt address range is
 * reserved when it lies inside the space.
 *
 * Return: 0; -EINVAL (width out of range, base misaligned or not below
 * the limit, unknown flag, NULL @out); -ENOMEM.
 * Context: may block; allocates.
 */
LIOMMU_EXPORT int liommu_iova_new(const struct liommu_iova_config *cfg,
				  struct liommu_iova **out);

/**
 * liommu_iova_destroy() - free an allocator with everything it holds:
 * the tree, the depot and every thread's caches for it.  Live
 * allocations simply cease to exist.  NULL is accepted.
 *
 * Context: no other call on @a may run during or after this; takes the
 * library's allocator-registry lock (threads exiting wait for it).
 */
LIOMMU_EXPORT void liommu_iova_destroy(struct liommu_iova *a);

/**
 * liommu_iova_alloc() - allocate @size bytes of IOVA space.
 * @a:    the allocator.
 * @size: a non-zero multiple of 4 KiB.
 * @iova: the allocated IOVA.
 *
 * A power-of-two @size is naturally aligned (*@iova % @size == 0); other
 * sizes are 4 KiB aligned.  The range never overlaps a live allocation
 * or a reserved range and lies in [base, 2^width).  Sizes up to
 * LIOMMU_IOVA_CACHE_MAX that are powers of two come from the calling
 * thread's cache when it has one; before failing with -ENOSPC every
 * cache is flushed back to the tree and the search repeated.
 *
 * Return: 0; -EINVAL (NULL argument, zero or unaligned size); -ENOSPC
 * (no fitting free range); -ENOMEM.
 * Context: lock-free fast path; otherwise takes a depot lock or the tree
 * lock and may allocate.
 */
LIOMMU_EXPORT int liommu_iova_alloc(struct liommu_iova *a, uint64_t size,
				    uint64_t *iova);

/**
 * liommu_iova_alloc_range() - allocate exactly [@iova, @iova + @size).
 *
 * IOVAs parked in caches are free from the caller's point of view: when
 * the range collides only with those, the caches are flushed and the
 * range is taken.  Free it with liommu_iova_free(@iova, @size).
 *
 * Return: 0; -EINVAL (NULL @a, zero size, @iova or @size not 4 KiB
 * aligned); -ERANGE (outside [base, 2^width) or wrapping); -EEXIST
 * (overlaps a live allocation or a reserved range); -ENOMEM.
 * Context: takes the tree lock; may allocate.
 */
LIOMMU_EXPORT int liommu_iova_alloc_range(struct liommu_iova *a, uint64_t iova,
					  uint64_t size);

/**
 * liommu_iova_free() - give back an allocation.
 * @iova, @size: exactly what liommu_iova_alloc() returned / was asked
 *               for, or what liommu_iova_alloc_range() took.
 *
 * Every free is validated: a range that is not a live allocation is
 * rejected and changes nothing, so a double free or a stray free cannot
 * make the allocator hand out one range twice.  (What no allocator can
 * tell is a stale free of a range that has since been handed out again:
 * that frees the new owner's allocation.)  Of two threads freeing one
 * allocation at once, exactly one succeeds.
 *
 * Return: 0; -EINVAL (NULL @a, zero or unaligned size/address, @size
 * differs from the allocation starting at @iova, or @iova starts a
 * reserved range); -ERANGE (outside the space); -ENOENT (no live
 * allocation starts at @iova, e.g. a double free).
 * Context: lock-free fast path for cacheable sizes when the thread's
 * magazine has room; otherwise takes the depot or tree lock.
 */
LIOMMU_EXPORT int liommu_iova_free(struct liommu_iova *a, uint64_t iova,
				   uint64_t size);

/**
 * liommu_iova_reserve() - never hand out [@start, @start + @size).
 *
 * The part outside [base, 2^width) is ignored (reserving beyond the
 * space is a no-op).  Reservations may overlap each other; IOVAs parked
 * in caches inside the range are flushed first.  Reserved ranges are
 * permanent.
 *
 * Return: 0; -EINVAL (NULL @a, zero size, unaligned); -ERANGE (the range
 * wraps past 2^64); -EBUSY (a live allocation overlaps; nothing is
 * reserved); -ENOMEM.
 * Context: takes the tree lock; may allocate.
 */
LIOMMU_EXPORT int liommu_iova_reserve(struct liommu_iova *a, uint64_t start,
				      uint64_t size);

/**
 * liommu_iova_flush_caches() - give every cached IOVA (all threads'
 * magazines and the depot) back to the tree.
 *
 * Return: the number of IOVAs returned, or -EINVAL for NULL @a.
 * Context: takes the cache-list lock and every thread cache's flush lock,
 * issues one membarrier(2), then the depot locks and the tree lock; may
 * block briefly.
 */
LIOMMU_EXPORT int liommu_iova_flush_caches(struct liommu_iova *a);

/**
 * struct liommu_iova_stats - counters since liommu_iova_new().
 *
 * Each field is read with relaxed atomics or under its lock; while other
 * threads run, the set is not one snapshot (byte counts may be off by the
 * operations in flight).  Quiescent, every field is exact.
 *
 * @allocated_bytes:  live allocations (handed out, not yet freed).
 * @cached_bytes:     free from the caller's view but parked in caches.
 * @reserved_bytes:   reserved inside the space (overlaps counted once).
 * @allocs, @frees:   successful liommu_iova_alloc()/_alloc_range() and
 *                    liommu_iova_free() calls.
 * @cache_hits:       cacheable allocations served by the thread's
 *                    magazines or the depot (no tree search).
 * @cache_misses:     cacheable allocations that searched the tree.
 * @cache_free_hits:  frees absorbed by a magazine.
 * @depot_ops:        magazines moved to or from the depot.
 * @tree_ops:         tree insertions and removals.
 * @lock_acquisitions: allocator-wide locks taken (tree, depot, cache
 *                    list, registry).  get_stats itself is not counted.
 * @cache_flushes:    whole-cache flushes (explicit or before -ENOSPC).
 * @tree_nodes:       ranges in the tree (allocated, cached-but-owned,
 *                    reserved, plus one end marker).
 * @tree_height:      height of the AVL tree (<= 1.44 log2(nodes + 2)).
 * @thread_caches:    threads currently holding a cache for this allocator.
 */
struct liommu_iova_stats {
	uint64_t allocated_bytes;
	uint64_t cached_bytes;
	uint64_t reserved_bytes;
	uint64_t allocs;
	uint64_t frees;
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t cache_free_hits;
	uint64_t depot_ops;
	uint64_t tree_ops;
	uint64_t lock_acquisitions;
	uint64_t cache_flushes;
	uint64_t tree_nodes;
	uint32_t tree_height;
	uint32_t thread_caches;
};

/**
 * liommu_iova_get_stats() - read the counters into @st (zeroed for NULL
 * @a).
 * Return: nothing; see struct liommu_iova_stats for what is exact when.
 * Context: takes the cache-list and tree locks (not counted), never a
 * thread's cache.
 */
LIOMMU_EXPORT void liommu_iova_get_stats(struct liommu_iova *a,
					 struct liommu_iova_stats *st);

/**
 * liommu_iova_width() - the address width of @a's space.
 * Return: the width in bits (the default filled in), 0 for NULL @a.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT unsigned int liommu_iova_width(const struct liommu_iova *a);

/**
 * liommu_iova_base() - the lowest IOVA @a hands out.
 * Return: the base (the default filled in), 0 for NULL @a.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT uint64_t liommu_iova_base(const struct liommu_iova *a);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_IOVA_H */
