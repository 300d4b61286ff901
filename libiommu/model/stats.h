/* SPDX-License-Identifier: MIT */
/*
 * stats.h - the software VT-d unit's statistics (stats.c; not installed):
 * one block of counters per thread, so the translation hit path bumps a
 * counter with a plain load and store, no locked instruction.
 *
 * stats.c owns the blocks and the sum liommu_model_get_stats() reports;
 * every other file only bumps counters of the calling thread's block
 * (mstat_add(), mstat_inc()) and must not read them.
 */
#ifndef LIOMMU_MODEL_STATS_H
#define LIOMMU_MODEL_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "model-internal.h"

enum mstat {
	MS_TRANSLATIONS,
	MS_FRONT_HITS,		/* also a translation, a context and IOTLB hit */
	MS_UNTRANSLATED,
	MS_IOTLB_HITS,
	MS_IOTLB_MISSES,
	MS_CTX_HITS,
	MS_CTX_MISSES,
	MS_WALKS,
	MS_WALK_LOADS,
	MS_PDE_HITS,
	MS_IEC_HITS,
	MS_IEC_MISSES,
	MS_CTX_INVS,
	MS_IOTLB_INVS_GLOBAL,
	MS_IOTLB_INVS_DOMAIN,
	MS_IOTLB_INVS_PAGE,
	MS_IOTLB_DROPPED,
	MS_IEC_INVS,
	MS_INV_WAITS,
	MS_QI_DESCS,
	MS_QI_ERRORS,
	MS_FAULTS,
	MS_FAULTS_LOST,
	MS_FAULTS_SUPPRESSED,
	MS_FAULT_EVENTS,
	MS_INV_EVENTS,
	MS_IRQS_REMAPPED,
	MS_IRQS_POSTED,
	MS_IRQS_PASSTHROUGH,
	MS_DMA_READ_BYTES,
	MS_DMA_WRITE_BYTES,
	MS_NR
};

/*
 * Counters of one thread.  Only the owning thread writes them (a relaxed
 * load plus a relaxed store: no locked instruction on the hot path);
 * liommu_model_get_stats() sums every block with relaxed loads.
 */
struct mstats_blk {
	_Atomic uint64_t c[MS_NR];
	struct mstats_blk *next;
	const void *owner;		/* the owning thread's token */
} __attribute__((aligned(MODEL_CACHELINE)));

/* The calling thread's block when the TLS cache misses: found or made
 * under stats_lock.  Never NULL. */
struct mstats_blk *liommu__model_stats_slow(struct liommu_model *m);
/* Creation and destruction of the block list (model.c).  Return: 0 or
 * -ENOMEM. */
int liommu__model_stats_init(struct liommu_model *m);
void liommu__model_stats_fini(struct liommu_model *m);

/* Per-thread cache of (model serial -> stats block). */
#define MODEL_TLS_STATS	4
struct model_tls_stats {
	uint64_t serial;
	struct mstats_blk *blk;
};
/* initial-exec: the hit path reads it on every request, and the general
 * dynamic model would call __tls_get_addr() in the shared library. */
extern _Thread_local struct model_tls_stats liommu__model_tls[MODEL_TLS_STATS]
	__attribute__((tls_model("initial-exec")));

static inline struct mstats_blk *model_stats(struct liommu_model *m)
{
	unsigned int i;

	for (i = 0; i < MODEL_TLS_STATS; i++)
		if (liommu__model_tls[i].serial == m->serial)
			return liommu__model_tls[i].blk;
	return liommu__model_stats_slow(m);
}

static inline void mstat_add(struct mstats_blk *b, enum mstat s, uint64_t n)
{
	atomic_store_explicit(&b->c[s],
			      atomic_load_explicit(&b->c[s], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void mstat_inc(struct liommu_model *m, enum mstat s)
{
	mstat_add(model_stats(m), s, 1);
}

#endif /* LIOMMU_MODEL_STATS_H */
