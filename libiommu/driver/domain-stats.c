// SPDX-License-Identifier: MIT
/*
 * domain-stats.c - thread slots and the slow half of the domain counters.
 *
 * Owns the thread slots of driver-layer.h (handed out and taken back
 * here) and the parts of domain-stats.h that are not on every map and
 * unmap: folding a shard's delta into the base, the peak, and the sums
 * liommu_domain_get_stats() reports.  Touches no unit, table or
 * invalidation: it only counts what domain.c tells it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain-stats.h"

/* ------------------------------------------------------------------ */
/* Thread slots                                                        */
/* ------------------------------------------------------------------ */

/*
 * A thread takes a free exclusive slot on its first use and gives it back
 * when it exits (the key's destructor); counts it left in a domain's
 * shard stay there for the next owner to add to.  The bitmap's
 * acquire/release operations order the old owner's last stores before
 * the new owner's first.  Without a free slot, or if the key cannot be
 * set, the thread uses the shared one.
 */
_Thread_local unsigned int liommu__stat_slot __attribute__((tls_model("initial-exec")));
static _Atomic unsigned long stat_slot_busy;
static pthread_key_t stat_slot_key;
static pthread_once_t stat_slot_once = PTHREAD_ONCE_INIT;
static bool stat_slot_key_ok;

static void stat_slot_release(void *v)
{
	unsigned long bit = 1UL << ((uintptr_t)v - 1);

	/* Runs in the exiting thread: a map from a later destructor of
	 * that thread uses the shared shard. */
	liommu__stat_slot = LIOMMU_STAT_SHARED + 1;
	atomic_fetch_and_explicit(&stat_slot_busy, ~bit, memory_order_release);
}

static void stat_slot_key_init(void)
{
	stat_slot_key_ok = !pthread_key_create(&stat_slot_key, stat_slot_release);
}

/* No destructor may point into an unloaded library. */
__attribute__((destructor)) static void stat_slot_key_fini(void)
{
	if (stat_slot_key_ok)
		pthread_key_delete(stat_slot_key);
}

unsigned int liommu__stat_slot_assign(void)
{
	unsigned long busy = atomic_load_explicit(&stat_slot_busy, memory_order_relaxed);
	unsigned int i;

	pthread_once(&stat_slot_once, stat_slot_key_init);
	for (i = 0; stat_slot_key_ok && i < LIOMMU_STAT_SHARED;) {
		if (busy & (1UL << i)) {
			i++;
			continue;
		}
		if (!atomic_compare_exchange_weak_explicit(&stat_slot_busy, &busy,
							   busy | (1UL << i),
							   memory_order_acquire,
							   memory_order_relaxed))
			continue;	/* busy reloaded: look at bit i again */
		if (pthread_setspecific(stat_slot_key, (void *)(uintptr_t)(i + 1))) {
			stat_slot_release((void *)(uintptr_t)(i + 1));
			break;
		}
		liommu__stat_slot = i + 1;
		return liommu__stat_slot;
	}
	liommu__stat_slot = LIOMMU_STAT_SHARED + 1;
	return liommu__stat_slot;
}

/* ------------------------------------------------------------------ */
/* Folds and the peak                                                  */
/* ------------------------------------------------------------------ */

static void stats_peak(struct liommu__dom_stats *st, int64_t total)
{
	uint64_t peak = atomic_load_explicit(&st->peak_mapped_bytes, memory_order_relaxed);

	while (total > 0 && (uint64_t)total > peak &&
	       !atomic_compare_exchange_weak_explicit(&st->peak_mapped_bytes,
						      &peak, (uint64_t)total,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

/*
 * base + hi is the highest total this shard's own changes reached since
 * its last fold (exact when no other shard changed meanwhile), so it
 * feeds the peak.
 */
void liommu__dom_stats_fold(struct liommu__dom_stats *st, struct liommu_stat_shard *s,
			    int64_t v)
{
	int64_t hi = atomic_exchange_explicit(&s->hi, 0, memory_order_relaxed);
	int64_t base;

	atomic_fetch_sub_explicit(&s->delta, v, memory_order_relaxed);
	base = atomic_fetch_add_explicit(&st->mapped_base, v, memory_order_relaxed);
	stats_peak(st, base + hi);
	stats_peak(st, base + v);
}

/*
 * Sums of the shards.  pte_writes, table_pages and mapped_bytes are exact
 * once the map/unmap calls in flight have returned.  peak_mapped_bytes is
 * the larger of the peak recorded at the folds (base + the folding
 * shard's high-water mark) and, now, base + the sum of every shard's
 * high-water mark since its last fold.  It is exact when one thread did
 * all the mapping and unmapping.  With several threads each shard's own
 * high-water mark stands in for its share at the true peak, so the figure
 * can exceed the true peak by up to one LIOMMU_STAT_SLACK (plus the
 * largest single map) per shard in use: one thread mapping and another
 * unmapping, as the optimistic strategy's reclaimer does, shows up as up
 * to 64 KiB too much per such thread.  Changes racing with a fold can
 * make it miss the peak by as much.
 */
void liommu__dom_stats_read(const struct liommu__dom_stats *st,
			    struct liommu_domain_stats *out)
{
	int64_t mapped = atomic_load_explicit(&st->mapped_base, memory_order_relaxed);
	int64_t hi = mapped;
	uint64_t peak = atomic_load_explicit(&st->peak_mapped_bytes, memory_order_relaxed);
	uint64_t writes = 0;
	unsigned int i;

	for (i = 0; i < LIOMMU_STAT_SHARDS; i++) {
		const struct liommu_stat_shard *s = &st->shard[i];
		int64_t h = atomic_load_explicit(&s->hi, memory_order_relaxed);

		writes += atomic_load_explicit(&s->pte_writes, memory_order_relaxed);
		mapped += atomic_load_explicit(&s->delta, memory_order_relaxed);
		hi += h > 0 ? h : 0;
	}
	if (mapped < 0)		/* unmaps seen before the maps they undo */
		mapped = 0;
	if (hi > 0 && (uint64_t)hi > peak)
		peak = (uint64_t)hi;
	out->pte_writes = writes;
	out->table_pages = atomic_load_explicit(&st->table_pages, memory_order_relaxed);
	out->mapped_bytes = (uint64_t)mapped;
	out->peak_mapped_bytes = peak;
}
