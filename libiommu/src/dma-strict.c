// SPDX-License-Identifier: MIT
/*
 * dma-strict.c - STRICT: no stale translation outlives unmap().
 *
 * map() takes an IOVA from the allocator (the calling thread's magazine
 * for power-of-two sizes up to 1 MiB, naturally aligned) and writes the
 * PTEs.  unmap() clears them (liommu_domain_unmap_nosync()) and
 * invalidates the IOTLB for the range (liommu_domain_flush()): one
 * page-selective invalidation with the
 * smallest address mask covering the range when CAP.PSI and CAP.MAMV
 * allow, a domain-selective one otherwise (spec 6.5.2.3 / 6.5.1.2), then
 * a wait for its completion (wait descriptor with status write, or the
 * IOTLB register's IVT bit clearing).  Only after that wait is the IOVA
 * given back, so it cannot be handed to a new buffer while the unit may
 * still translate it to the old one.
 *
 * No instance-wide lock on the way to the invalidation: the allocator's
 * fast path is per thread, the page table is edited with compare-and-swap,
 * the live table (dma.c) has per-shard locks.  The invalidation itself is
 * serialised by the unit (one queue), so concurrent unmaps are combined:
 * a thread that finds another thread's invalidation in flight adds its
 * cleared range to the next one and waits for it, and whichever thread
 * finds no invalidation in flight issues one for everything gathered so
 * far (flat combining).  Every unmap still returns only after an
 * invalidation that was issued after its PTEs were cleared has completed;
 * alone, a thread pays one uncontended mutex for this.  The combined
 * range is page-selective with the smallest mask covering all of it when
 * MAMV allows, domain-selective otherwise.  Scatter-gather unmaps clear
 * every segment's PTEs and then invalidate once.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <syslog.h>

#include "dma-internal.h"

/* Polls of a waiter's ticket before it sleeps on the condition variable:
 * an invalidation on the sim takes about as long as this spin. */
#define STRICT_SPIN	512

/* One unmap waiting for an invalidation; lives on the waiter's stack. */
struct strict_ticket {
	struct strict_ticket *next;
	int ret;			/* the invalidation's result */
	_Atomic bool done;		/* set under @lock, polled without */
};

struct strict {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under @lock: ranges cleared but not yet covered by an issued
	 * invalidation, their tickets, and whether one is in flight. */
	struct liommu_gather pending;
	struct strict_ticket *tickets;
	bool flushing;
};

static int strict_init(struct liommu_dma *dma)
{
	struct strict *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->pending = (struct liommu_gather)LIOMMU_GATHER_INIT;
	dma->priv = st;
	return 0;
}

static void strict_fini(struct liommu_dma *dma)
{
	struct strict *st = dma->priv;

	if (!st)
		return;
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
	dma->priv = NULL;
}

static int strict_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	return liommu__dma_map_fresh(dma, mp);
}

/*
 * Wait until an invalidation issued after @g's PTEs were cleared has
 * completed, issuing it ourselves when none is in flight.  @g holds leaf
 * ranges only (no table pages: those are flushed alone, see below).
 */
static int strict_sync_combined(struct liommu_dma *dma, const struct liommu_gather *g)
{
	struct strict *st = dma->priv;
	struct strict_ticket t = { .next = NULL };
	unsigned int spin;

	pthread_mutex_lock(&st->lock);
	if (st->pending.end) {
		if (g->start < st->pending.start)
			st->pending.start = g->start;
		if (g->end > st->pending.end)
			st->pending.end = g->end;
	} else {
		st->pending = *g;
	}
	t.next = st->tickets;
	st->tickets = &t;
	while (!atomic_load_explicit(&t.done, memory_order_acquire)) {
		if (!st->flushing) {
			struct liommu_gather batch = st->pending;
			struct strict_ticket *list = st->tickets, *next;
			int ret;

			st->pending = (struct liommu_gather)LIOMMU_GATHER_INIT;
			st->tickets = NULL;
			st->flushing = true;
			pthread_mutex_unlock(&st->lock);
			ret = liommu_domain_flush(dma->dom, &batch);
			if (!ret)
				liommu__dma_flushed(dma);
			pthread_mutex_lock(&st->lock);
			for (; list; list = next) {
				next = list->next;
				list->ret = ret;
				atomic_store_explicit(&list->done, true, memory_order_release);
			}
			st->flushing = false;
			pthread_cond_broadcast(&st->cond);
			continue;
		}
		/* Someone else's invalidation is in flight; ours is next. */
		pthread_mutex_unlock(&st->lock);
		for (spin = 0; spin < STRICT_SPIN; spin++) {
			if (atomic_load_explicit(&t.done, memory_order_acquire))
				break;
			liommu__dma_cpu_relax();
		}
		pthread_mutex_lock(&st->lock);
		if (!atomic_load_explicit(&t.done, memory_order_acquire) && st->flushing)
			pthread_cond_wait(&st->cond, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	return t.ret;
}

/*
 * After the invalidation of @n mappings: free their IOVAs when it
 * completed; when it did not (-ETIMEDOUT, -EIO) the unit may still hold
 * the translations, so the IOVAs are leaked rather than reused.
 */
static void strict_release(struct liommu_dma *dma, struct liommu__dma_map **m,
			   size_t n, int flush_ret)
{
	size_t i;

	if (flush_ret)
		liommu__log(dma->unit, LOG_ERR,
			    "dma: invalidation failed (%d); %zu IOVA ranges withheld",
			    flush_ret, n);
	for (i = 0; i < n; i++) {
		if (!flush_ret)
			liommu__dma_iova_free(dma, m[i]);
		liommu__dma_map_free(m[i]);
	}
}

static int strict_unmap_many(struct liommu_dma *dma, struct liommu__dma_map **m, size_t n)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	int ret = 0, fret;
	size_t i;

	for (i = 0; i < n; i++) {
		int r = liommu_domain_unmap_nosync(dma->dom, m[i]->iova,
						   m[i]->npages << VTD_PAGE_SHIFT, &g);

		/* -ENOENT: someone cleared PTEs of ours behind our back; the
		 * rest is cleared and is flushed below all the same. */
		if (r && !ret)
			ret = r;
	}
	/*
	 * Emptied table pages (a range covering a whole table) must be
	 * freed after the invalidation that covers them, and the gather
	 * owning them is opaque: such an unmap invalidates on its own, with
	 * IH = 0.  Buffers up to 2 MiB never empty a table.
	 */
	if (g.freelist || g.tables) {
		fret = liommu_domain_flush(dma->dom, &g);
		if (!fret)
			liommu__dma_flushed(dma);
	} else if (g.end) {
		fret = strict_sync_combined(dma, &g);
	} else {
		fret = 0;
	}
	strict_release(dma, m, n, fret);
	return fret ? fret : ret;
}

static int strict_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	return strict_unmap_many(dma, &m, 1);
}

static void strict_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	b->count = 0;
	b->queues = 1;
	b->time_ns = 0;
}

const struct liommu__dma_ops liommu__dma_strict_ops = {
	.name = "strict",
	.init = strict_init,
	.fini = strict_fini,
	.map = strict_map,
	.unmap = strict_unmap,
	.unmap_many = strict_unmap_many,
	.bound = strict_bound,
};
