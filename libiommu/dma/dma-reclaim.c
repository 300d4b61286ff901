// SPDX-License-Identifier: MIT
/*
 * dma-reclaim.c - the reclaimer thread that keeps the time bounds of
 * OPTIMISTIC and DEFERRED when the caller makes no further calls, and the
 * layer's monotonic clock.  It owns the thread, @due, rc_lock, rc_cond
 * and rc_late_max of struct liommu_dma; what is due and how to retire it
 * is the strategy's (its @reclaim op, called without rc_lock), so this
 * file must not look into a strategy's state, the live table or the page
 * table.  Strategies never hold their own locks across rc_lock
 * (liommu__dma_kick() takes it).
 */
#include <pthread.h>
#include <time.h>

#include "dma-internal.h"

uint64_t liommu__dma_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};

	return ts;
}

/*
 * The protocol with liommu__dma_kick(): before asking the strategy what is
 * due, the reclaimer sets @due to 0 (seq_cst); a strategy publishes a stale
 * entry under its own lock and then reads @due (seq_cst).  Either the
 * strategy sees 0 and wakes the reclaimer through rc_lock, or its entry was
 * published before the reclaimer's scan, which then finds it.  No entry
 * can be left behind with nobody due to look at it.
 */
static void *reclaimer_main(void *arg)
{
	struct liommu_dma *dma = arg;

	pthread_mutex_lock(&dma->rc_lock);
	while (!dma->rc_stop) {
		uint64_t due = atomic_load(&dma->due), next, cur, late;

		if (!due) {
			pthread_cond_wait(&dma->rc_cond, &dma->rc_lock);
			continue;
		}
		if (liommu__dma_now_ns() < due) {
			struct timespec ts = ns_to_ts(due);

			pthread_cond_timedwait(&dma->rc_cond, &dma->rc_lock, &ts);
			continue;
		}
		atomic_store(&dma->due, 0);
		pthread_mutex_unlock(&dma->rc_lock);
		next = dma->ops->reclaim(dma, liommu__dma_now_ns());
		/* How late this pass finished: the time bound holds up to it
		 * (sleeping past @due, locks held by preempted threads, the
		 * invalidation itself). */
		late = liommu__dma_now_ns() - due;
		if (late > atomic_load_explicit(&dma->rc_late_max, memory_order_relaxed))
			atomic_store_explicit(&dma->rc_late_max, late, memory_order_relaxed);
		pthread_mutex_lock(&dma->rc_lock);
		cur = atomic_load(&dma->due);
		if (next && (!cur || next < cur))
			atomic_store(&dma->due, next);
	}
	pthread_mutex_unlock(&dma->rc_lock);
	return NULL;
}

void liommu__dma_kick(struct liommu_dma *dma, uint64_t due_ns)
{
	uint64_t cur = atomic_load(&dma->due);

	if (!due_ns)
		due_ns = 1;
	if (cur && cur <= due_ns)
		return;
	pthread_mutex_lock(&dma->rc_lock);
	cur = atomic_load(&dma->due);
	if (!cur || due_ns < cur) {
		atomic_store(&dma->due, due_ns);
		pthread_cond_signal(&dma->rc_cond);
	}
	pthread_mutex_unlock(&dma->rc_lock);
}

void liommu__dma_reclaimer_init(struct liommu_dma *dma)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&dma->rc_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dma->rc_cond, &ca);
	pthread_condattr_destroy(&ca);
}

int liommu__dma_reclaimer_start(struct liommu_dma *dma)
{
	int ret = pthread_create(&dma->rc_thread, NULL, reclaimer_main, dma);

	if (ret)
		return -ret;
	dma->rc_running = true;
	return 0;
}

void liommu__dma_reclaimer_stop(struct liommu_dma *dma)
{
	if (!dma->rc_running)
		return;
	pthread_mutex_lock(&dma->rc_lock);
	dma->rc_stop = true;
	pthread_cond_signal(&dma->rc_cond);
	pthread_mutex_unlock(&dma->rc_lock);
	pthread_join(dma->rc_thread, NULL);
	dma->rc_running = false;
}

void liommu__dma_reclaimer_fini(struct liommu_dma *dma)
{
	pthread_cond_destroy(&dma->rc_cond);
	pthread_mutex_destroy(&dma->rc_lock);
}
