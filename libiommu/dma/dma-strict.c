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
 * the live table (dma-live.c) has per-shard locks.  The invalidation itself is
 * serialised by the unit (one queue), so concurrent unmaps are combined:
 * one thread at a time holds the flusher's role; a thread that finds it
 * taken adds its cleared range to the next invalidation, queues a ticket
 * and polls that ticket alone (its own cache line, not the shared
 * state).  The flusher invalidates for every queued ticket, then again for
 * those that arrived meanwhile (up to STRICT_ROUNDS times, keeping the
 * queue's and the unit's lines in one CPU's cache), then hands the role
 * to a waiting thread or gives it up.  Every unmap still returns only
 * after an invalidation that was issued after its PTEs were cleared has
 * completed; alone, a thread pays two acquisitions of an uncontended spin
 * lock for this (the lock guards a few list edits, never the
 * invalidation).  The combined range is page-selective with the smallest
 * mask covering all of it when MAMV allows, domain-selective otherwise.
 * Scatter-gather unmaps clear every segment's PTEs and then invalidate
 * once.
 *
 * A second thread does not make STRICT faster: with one invalidation
 * queue, each of its unmaps needs at least its request and its
 * completion handed between the CPUs, and where a cache-line hand-over
 * costs more than a whole map+unmap pair of one thread (bench-dma
 * measures both in the same run: about 230 ns against 175 ns on the
 * 2-CPU VM of docs/performance.md) two threads get less done than one.
 * Only a queue per CPU, which VT-d does not have, would avoid it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <syslog.h>

#include "dma-internal.h"

/* Polls of a waiter's ticket before it sleeps: an invalidation on the
 * sim takes about as long as this spin. */
#define STRICT_SPIN	512

/*
 * Invalidations a flusher issues back to back for unmaps that arrived
 * while its own was in flight, before it hands the role to one of their
 * threads.  Keeping the role in one thread keeps the queue, the unit's
 * state and the caches' lines in one CPU's cache; moving them to another
 * CPU for every invalidation costs more than the invalidation.  Bounded,
 * so a flusher returns after at most this many invalidations.
 */
#define STRICT_ROUNDS	4

/* A ticket's state: written under @lock by the flusher, polled by its
 * owner alone (so a waiter spins on its own cache line, never on the
 * one the flusher and arriving threads write). */
enum {
	TICKET_WAIT,		/* not covered yet */
	TICKET_DONE,		/* covered: ret holds the invalidation's result */
	TICKET_LEAD,		/* not covered, and its owner is the flusher now */
};

/* One unmap waiting for an invalidation; lives on the waiter's stack. */
struct strict_ticket {
	struct strict_ticket *next;
	int ret;
	atomic_int state;
};

struct strict {
	/*
	 * Under @lock: ranges cleared but not yet covered by an issued
	 * invalidation, their tickets, and whether a thread holds the
	 * flusher's role.  @lock is held for a few list edits only, never
	 * across the invalidation, so it is a spin lock: one locked exchange
	 * where a mutex costs two, and no futex sleep when edits collide.
	 */
	struct liommu__spin lock;
	struct liommu_gather pending;
	struct strict_ticket *tickets;
	bool flushing;
	/*
	 * Waiters that outlast STRICT_SPIN sleep on @cond (the invalidation
	 * may take long: the model's latency, the QEMU platform).  @sleepers
	 * is changed under @lock, so a flusher that sets tickets' states
	 * under @lock sees every sleeper that could have read one as WAIT.
	 */
	unsigned int sleepers;
	pthread_mutex_t sleep_lock;
	pthread_cond_t cond;
};

static int strict_init(struct liommu_dma *dma)
{
	struct strict *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->sleep_lock, NULL);
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
	pthread_mutex_destroy(&st->sleep_lock);
	free(st);
	dma->priv = NULL;
}

static int strict_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	return liommu__dma_map_fresh(dma, mp);
}

/* Wait, without @st->lock, until @t leaves TICKET_WAIT: spin, then
 * sleep.  Return: its new state. */
static int strict_wait(struct strict *st, struct strict_ticket *t)
{
	unsigned int spin;
	int state;

	for (spin = 0; spin < STRICT_SPIN; spin++) {
		state = atomic_load_explicit(&t->state, memory_order_acquire);
		if (state != TICKET_WAIT)
			return state;
		liommu__cpu_relax();
	}
	liommu__spin_lock(&st->lock);
	st->sleepers++;
	liommu__spin_unlock(&st->lock);
	pthread_mutex_lock(&st->sleep_lock);
	while ((state = atomic_load_explicit(&t->state, memory_order_acquire)) == TICKET_WAIT)
		pthread_cond_wait(&st->cond, &st->sleep_lock);
	pthread_mutex_unlock(&st->sleep_lock);
	liommu__spin_lock(&st->lock);
	st->sleepers--;
	liommu__spin_unlock(&st->lock);
	return state;
}

/*
 * The flusher's role, entered with @st->lock held and left with it
 * dropped: invalidate for every ticket queued (its own among them),
 * again for those that arrived meanwhile, up to STRICT_ROUNDS times; then
 * give the role to a thread still waiting, or give it up.
 */
static void strict_flush_rounds(struct liommu_dma *dma, struct strict *st)
{
	unsigned int round;
	bool wake;

	for (round = 0; st->tickets && round < STRICT_ROUNDS; round++) {
		struct liommu_gather batch = st->pending;
		struct strict_ticket *list = st->tickets, *next;
		int ret;

		st->pending = (struct liommu_gather)LIOMMU_GATHER_INIT;
		st->tickets = NULL;
		liommu__spin_unlock(&st->lock);
		ret = liommu_domain_flush(dma->dom, &batch);
		if (!ret)
			liommu__dma_flushed(dma);
		liommu__spin_lock(&st->lock);
		/* A waiter returns as soon as it sees DONE: read next first. */
		for (; list; list = next) {
			next = list->next;
			list->ret = ret;
			atomic_store_explicit(&list->state, TICKET_DONE, memory_order_release);
		}
	}
	if (st->tickets)	/* the role moves on; flushing stays set */
		atomic_store_explicit(&st->tickets->state, TICKET_LEAD, memory_order_release);
	else
		st->flushing = false;
	wake = st->sleepers;
	liommu__spin_unlock(&st->lock);
	if (wake) {
		pthread_mutex_lock(&st->sleep_lock);
		pthread_cond_broadcast(&st->cond);
		pthread_mutex_unlock(&st->sleep_lock);
	}
}

/*
 * Wait until an invalidation issued after @g's PTEs were cleared has
 * completed, issuing it ourselves when no thread holds the flusher's
 * role.  @g holds leaf ranges only (no table pages: those are flushed
 * alone, see below).
 */
static int strict_sync_combined(struct liommu_dma *dma, const struct liommu_gather *g)
{
	struct strict *st = dma->priv;
	struct strict_ticket t = { .next = NULL };

	atomic_init(&t.state, TICKET_WAIT);
	liommu__spin_lock(&st->lock);
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
	if (st->flushing) {
		liommu__spin_unlock(&st->lock);
		if (strict_wait(st, &t) == TICKET_DONE)
			return t.ret;
		/* TICKET_LEAD: our ticket is still queued, the role ours. */
		liommu__spin_lock(&st->lock);
	} else {
		st->flushing = true;
	}
	strict_flush_rounds(dma, st);
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
