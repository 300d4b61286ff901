// SPDX-License-Identifier: MIT
/*
 * dma-deferred.c - DEFERRED: the flush queue of Linux's lazy mode.
 *
 * unmap() clears the PTEs at once (so no new walk can find the buffer)
 * but does not invalidate: the unit may keep using a cached translation
 * until the queue the unmap went into is flushed.  A queue is flushed when
 * it holds @batch unmaps, or when its oldest unmap is half the @interval
 * old (the reclaimer thread in dma-reclaim.c, so the bound holds with no
 * further calls); the flush is one IOTLB invalidation over everything the queue
 * gathered (page-selective when the covering mask fits CAP.MAMV,
 * domain-selective otherwise), a wait, and only then are the queued IOVAs
 * and the table pages the unmaps emptied given back.  An IOVA therefore
 * never reaches a new buffer while a stale translation of it may exist.
 *
 * Queues are per thread, as Linux's are per CPU: a thread keeps the queue
 * of its counter slot (dma-internal.h), so two threads rarely share one.  A queue's
 * mutex covers its gather and entries, and is held across its flush; only
 * the reclaimer and threads sharing the slot contend for it.  The count
 * bound applies per queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "dma-internal.h"

struct dq {
	pthread_mutex_t lock;
	struct liommu_gather g;		/* PTEs cleared, not yet invalidated */
	struct liommu__dma_map **ent;	/* @batch slots */
	unsigned int n;
	uint64_t first_ns;		/* when entry 0 was queued */
	_Atomic uint64_t pages;		/* written under lock */
} __attribute__((aligned(LIOMMU__CACHELINE)));

struct deferred {
	unsigned int nq;
	unsigned int batch;
	uint64_t half_interval;
	struct dq q[];
};

/*
 * Invalidate what @q gathered, wait, then free its IOVAs.  On failure the
 * entries stay queued (the gather keeps its table pages) for a retry.
 */
static int dq_flush_locked(struct liommu_dma *dma, struct dq *q)
{
	unsigned int i;
	int ret;

	if (!q->n)
		return 0;
	ret = liommu_domain_flush(dma->dom, &q->g);
	if (ret) {
		liommu__log(dma->unit, LOG_ERR, "dma: deferred flush failed (%d), %u queued",
			    ret, q->n);
		return ret;
	}
	liommu__dma_flushed(dma);
	for (i = 0; i < q->n; i++) {
		liommu__dma_iova_free(dma, q->ent[i]);
		liommu__dma_map_free(q->ent[i]);
	}
	liommu__dma_count(&liommu__dma_ctr(dma)->retired, q->n);
	q->n = 0;
	q->first_ns = 0;
	atomic_store_explicit(&q->pages, 0, memory_order_release);
	return 0;
}

static int deferred_init(struct liommu_dma *dma)
{
	unsigned int n = dma->cfg.queues, i;
	size_t size = sizeof(struct deferred) + n * sizeof(struct dq);
	struct deferred *d;
	void *mem;

	/* Cache-line aligned like the queues in it: from calloc() (16-byte
	 * alignment) two threads' queue locks shared a line. */
	if (posix_memalign(&mem, LIOMMU__CACHELINE, size))
		return -ENOMEM;
	d = memset(mem, 0, size);
	d->nq = n;
	d->batch = dma->cfg.batch;
	d->half_interval = dma->cfg.interval_ns / 2;
	for (i = 0; i < n; i++) {
		struct dq *q = &d->q[i];

		q->g = (struct liommu_gather)LIOMMU_GATHER_INIT;
		q->ent = calloc(d->batch, sizeof(*q->ent));
		if (!q->ent)
			goto err_free;
		pthread_mutex_init(&q->lock, NULL);
	}
	dma->priv = d;
	return 0;

err_free:
	while (i--) {
		free(d->q[i].ent);
		pthread_mutex_destroy(&d->q[i].lock);
	}
	free(d);
	return -ENOMEM;
}

static int deferred_drain(struct liommu_dma *dma)
{
	struct deferred *d = dma->priv;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < d->nq; i++) {
		struct dq *q = &d->q[i];
		int r;

		pthread_mutex_lock(&q->lock);
		r = dq_flush_locked(dma, q);
		pthread_mutex_unlock(&q->lock);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static void deferred_fini(struct liommu_dma *dma)
{
	struct deferred *d = dma->priv;
	unsigned int i;

	if (!d)
		return;
	deferred_drain(dma);
	for (i = 0; i < d->nq; i++) {
		struct dq *q = &d->q[i];

		/* Entries left only if the unit stopped answering: their
		 * IOVAs are withheld, the structures freed. */
		while (q->n)
			liommu__dma_map_free(q->ent[--q->n]);
		free(q->ent);
		pthread_mutex_destroy(&q->lock);
	}
	free(d);
	dma->priv = NULL;
}

static int deferred_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	return liommu__dma_map_fresh(dma, mp);
}

static int deferred_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	struct deferred *d = dma->priv;
	struct dq *q = &d->q[liommu__dma_slot() % d->nq];
	uint64_t due = 0;
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	/* Full only when an earlier flush failed: try it again first. */
	if (q->n == d->batch) {
		ret = dq_flush_locked(dma, q);
		if (ret) {
			/* The unit does not answer: make this one strict so
			 * the queue cannot overflow; its IOVA is withheld. */
			struct liommu_gather g = LIOMMU_GATHER_INIT;

			pthread_mutex_unlock(&q->lock);
			liommu_domain_unmap_nosync(dma->dom, m->iova,
						   m->npages << VTD_PAGE_SHIFT, &g);
			if (!liommu_domain_flush(dma->dom, &g))
				liommu__dma_iova_free(dma, m);
			liommu__dma_map_free(m);
			return ret;
		}
	}
	/* -ENOENT would mean our PTEs were cleared behind our back; the
	 * rest of the range is cleared and gathered all the same. */
	liommu_domain_unmap_nosync(dma->dom, m->iova, m->npages << VTD_PAGE_SHIFT, &q->g);
	if (!q->n) {
		q->first_ns = liommu__dma_now_ns();
		due = q->first_ns + d->half_interval;
	}
	q->ent[q->n++] = m;
	atomic_store_explicit(&q->pages, atomic_load_explicit(&q->pages, memory_order_relaxed) +
			      m->npages, memory_order_relaxed);
	if (q->n == d->batch) {
		ret = dq_flush_locked(dma, q);
		due = 0;
	}
	pthread_mutex_unlock(&q->lock);
	if (due)
		liommu__dma_kick(dma, due);
	return ret;
}

static uint64_t deferred_reclaim(struct liommu_dma *dma, uint64_t now_ns)
{
	struct deferred *d = dma->priv;
	uint64_t next = 0;
	unsigned int i;

	for (i = 0; i < d->nq; i++) {
		struct dq *q = &d->q[i];
		uint64_t due = 0;

		pthread_mutex_lock(&q->lock);
		if (q->n) {
			due = q->first_ns + d->half_interval;
			if (due <= now_ns)
				due = dq_flush_locked(dma, q) ? now_ns + d->half_interval : 0;
		}
		pthread_mutex_unlock(&q->lock);
		if (due && (!next || due < next))
			next = due;
	}
	return next;
}

static uint64_t deferred_stale_pages(struct liommu_dma *dma)
{
	struct deferred *d = dma->priv;
	uint64_t pages = 0;
	unsigned int i;

	for (i = 0; i < d->nq; i++)
		pages += atomic_load_explicit(&d->q[i].pages, memory_order_acquire);
	return pages;
}

static void deferred_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	b->count = dma->cfg.batch;
	b->queues = dma->cfg.queues;
	b->time_ns = dma->cfg.interval_ns;
}

const struct liommu__dma_ops liommu__dma_deferred_ops = {
	.name = "deferred",
	.init = deferred_init,
	.fini = deferred_fini,
	.map = deferred_map,
	.unmap = deferred_unmap,
	.drain = deferred_drain,
	.reclaim = deferred_reclaim,
	.stale_pages = deferred_stale_pages,
	.bound = deferred_bound,
};
