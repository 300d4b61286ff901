// SPDX-License-Identifier: MIT
/*
 * stats.c - the software VT-d unit's statistics: the per-thread counter
 * blocks, their list, and liommu_model_get_stats(), which adds them up.
 *
 * A thread finds its block through a small initial-exec TLS cache keyed
 * by the model's serial number (stats.h, model_stats()); on a miss it
 * takes stats_lock and finds or makes its block.  It owns the blocks and
 * stats_lock; it must not touch anything else of the unit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

_Thread_local struct model_tls_stats liommu__model_tls[MODEL_TLS_STATS]
	__attribute__((tls_model("initial-exec")));
static _Thread_local char model_thread_token;

int liommu__model_stats_init(struct liommu_model *m)
{
	m->stats = NULL;
	return pthread_mutex_init(&m->stats_lock, NULL) ? -ENOMEM : 0;
}

void liommu__model_stats_fini(struct liommu_model *m)
{
	struct mstats_blk *b, *next;

	for (b = m->stats; b; b = next) {
		next = b->next;
		free(b);
	}
	m->stats = NULL;
	pthread_mutex_destroy(&m->stats_lock);
}

struct mstats_blk *liommu__model_stats_slow(struct liommu_model *m)
{
	static _Thread_local unsigned int next_tls;
	struct mstats_blk *b;
	unsigned int i;

	pthread_mutex_lock(&m->stats_lock);
	/* A block this thread made earlier (evicted from the TLS cache)? */
	for (b = m->stats; b; b = b->next)
		if (b->owner == &model_thread_token)
			break;
	if (!b) {
		b = aligned_alloc(MODEL_CACHELINE, sizeof(*b));
		if (!b) {
			/* Out of memory: count into the first block rather than
			 * fail a DMA.  Its owner may then lose increments; the
			 * statistics are documented as approximate under load. */
			b = m->stats;
		} else {
			memset(b, 0, sizeof(*b));
			b->owner = &model_thread_token;
			b->next = m->stats;
			m->stats = b;
		}
	}
	pthread_mutex_unlock(&m->stats_lock);
	if (!b) {
		/* No block at all and no memory: a static sink. */
		static _Thread_local struct mstats_blk sink;
		return &sink;
	}
	i = next_tls++ % MODEL_TLS_STATS;
	liommu__model_tls[i].serial = m->serial;
	liommu__model_tls[i].blk = b;
	return b;
}

void liommu_model_get_stats(struct liommu_model *m, struct liommu_model_stats *st)
{
	uint64_t c[MS_NR] = { 0 };
	struct mstats_blk *b;
	unsigned int i;

	pthread_mutex_lock(&m->stats_lock);
	for (b = m->stats; b; b = b->next)
		for (i = 0; i < MS_NR; i++)
			c[i] += atomic_load_explicit(&b->c[i], memory_order_relaxed);
	pthread_mutex_unlock(&m->stats_lock);

	memset(st, 0, sizeof(*st));
	/* A front TLB hit stands for a context-cache hit and an IOTLB hit. */
	st->translations = c[MS_TRANSLATIONS] + c[MS_FRONT_HITS];
	st->untranslated = c[MS_UNTRANSLATED];
	st->iotlb_hits = c[MS_IOTLB_HITS] + c[MS_FRONT_HITS];
	st->iotlb_misses = c[MS_IOTLB_MISSES];
	st->ctx_hits = c[MS_CTX_HITS] + c[MS_FRONT_HITS];
	st->ctx_misses = c[MS_CTX_MISSES];
	st->walks = c[MS_WALKS];
	st->walk_loads = c[MS_WALK_LOADS];
	st->pde_hits = c[MS_PDE_HITS];
	st->iec_hits = c[MS_IEC_HITS];
	st->iec_misses = c[MS_IEC_MISSES];
	st->ctx_invs = c[MS_CTX_INVS];
	st->iotlb_invs_global = c[MS_IOTLB_INVS_GLOBAL];
	st->iotlb_invs_domain = c[MS_IOTLB_INVS_DOMAIN];
	st->iotlb_invs_page = c[MS_IOTLB_INVS_PAGE];
	st->iotlb_entries_dropped = c[MS_IOTLB_DROPPED];
	st->iec_invs = c[MS_IEC_INVS];
	st->inv_waits = c[MS_INV_WAITS];
	st->qi_descs = c[MS_QI_DESCS];
	st->qi_errors = c[MS_QI_ERRORS];
	st->faults = c[MS_FAULTS];
	st->faults_lost = c[MS_FAULTS_LOST];
	st->faults_suppressed = c[MS_FAULTS_SUPPRESSED];
	st->fault_events = c[MS_FAULT_EVENTS];
	st->inv_events = c[MS_INV_EVENTS];
	st->irqs_remapped = c[MS_IRQS_REMAPPED];
	st->irqs_posted = c[MS_IRQS_POSTED];
	st->irqs_passthrough = c[MS_IRQS_PASSTHROUGH];
	st->dma_read_bytes = c[MS_DMA_READ_BYTES];
	st->dma_write_bytes = c[MS_DMA_WRITE_BYTES];
}
