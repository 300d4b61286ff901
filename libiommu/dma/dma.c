// SPDX-License-Identifier: MIT
/*
 * dma.c - the front end of the DMA mapping strategies (liommu/dma.h).
 *
 * Everything the four strategies have in common lives here: argument
 * checks and the rounding of a buffer to whole pages; the live table,
 * which remembers every mapping handed out so that an unmap with a wrong
 * address, length or direction is refused before the page table or the
 * IOVA allocator is touched; the IOVA allocator (liommu/iova.h) for the
 * strategies that allocate; per-thread counter blocks; the modelled
 * invalidation latency; and the reclaimer thread that enforces the time
 * bounds of OPTIMISTIC and DEFERRED when the caller makes no further
 * calls.  The strategies are const ops tables in dma-<name>.c.
 *
 * Locking: the live table is split into one shard per counter slot
 * (dma-internal.h: a thread keeps its slot, the first LIOMMU_STAT_SHARED
 * threads have one each), each with its own spinlock
 * (struct liommu__spin) held only for a hash-chain edit.  map() files a mapping in the calling thread's shard
 * and unmap() looks there first, so a thread that unmaps what it mapped
 * touches only its own shard; another thread's unmap finds it in the
 * shards that hold anything.  Nothing here takes an instance-wide lock
 * on the map/unmap path.  The reclaimer
 * lock (rc_lock) is taken by the reclaimer and, rarely, by
 * liommu__dma_kick(); strategies never hold their own locks across it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "dma-internal.h"

static const struct liommu__dma_ops *const strategy_ops[LIOMMU_DMA_NR_STRATEGIES] = {
	[LIOMMU_DMA_DIRECT] = &liommu__dma_direct_ops,
	[LIOMMU_DMA_STRICT] = &liommu__dma_strict_ops,
	[LIOMMU_DMA_OPTIMISTIC] = &liommu__dma_optimistic_ops,
	[LIOMMU_DMA_DEFERRED] = &liommu__dma_deferred_ops,
};

/* Most flush queues a DEFERRED instance may have. */
#define DMA_MAX_QUEUES		256u
/* Initial buckets per live-table shard; shards double as they fill. */
#define LIVE_MIN_BUCKETS	16u

const char *liommu_dma_strategy_name(enum liommu_dma_strategy s)
{
	if ((unsigned int)s >= LIOMMU_DMA_NR_STRATEGIES)
		return NULL;
	return strategy_ops[s]->name;
}

int liommu_dma_strategy_parse(const char *name, enum liommu_dma_strategy *out)
{
	unsigned int i;

	if (!name || !out)
		return -EINVAL;
	for (i = 0; i < LIOMMU_DMA_NR_STRATEGIES; i++) {
		if (!strcmp(name, strategy_ops[i]->name)) {
			*out = (enum liommu_dma_strategy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Small helpers shared with the strategies                            */
/* ------------------------------------------------------------------ */

uint64_t liommu__dma_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void liommu__dma_flushed(struct liommu_dma *dma)
{
	uint64_t end;

	liommu__dma_count(&liommu__dma_ctr(dma)->flushes, 1);
	if (!dma->cfg.inval_latency_ns)
		return;
	/* Busy-wait, as a driver polling a wait descriptor's status would. */
	end = liommu__dma_now_ns() + dma->cfg.inval_latency_ns;
	while (liommu__dma_now_ns() < end)
		liommu__cpu_relax();
}

/*
 * Records come from a per-thread free list of up to MAP_CACHE_MAX
 * (records are all alike and often freed in batches, by a DEFERRED flush
 * of 256 or an OPTIMISTIC retirement, more than glibc's per-thread tcache
 * keeps; the rest went through the arena's locked path).  The list is
 * freed when the thread exits (a key destructor); without the key,
 * records go straight back to malloc.  Never calloc: glibc's calloc
 * skips the tcache.
 */
#define MAP_CACHE_MAX	512u

static _Thread_local struct liommu__dma_map *map_cache
	__attribute__((tls_model("initial-exec")));
static _Thread_local unsigned int map_cache_n __attribute__((tls_model("initial-exec")));
/* 0: key not set yet; 1: set; 2: thread exiting or no key (no caching) */
static _Thread_local unsigned char map_cache_state __attribute__((tls_model("initial-exec")));
static pthread_key_t map_cache_key;
static pthread_once_t map_cache_once = PTHREAD_ONCE_INIT;
static bool map_cache_key_ok;

static void map_cache_release(void *v)
{
	struct liommu__dma_map *m, *next;

	(void)v;
	map_cache_state = 2;	/* a later destructor's frees go to free() */
	for (m = map_cache; m; m = next) {
		next = m->next;
		free(m);
	}
	map_cache = NULL;
	map_cache_n = 0;
}

static void map_cache_key_init(void)
{
	map_cache_key_ok = !pthread_key_create(&map_cache_key, map_cache_release);
}

/* No destructor may point into an unloaded library. */
__attribute__((destructor)) static void map_cache_key_fini(void)
{
	if (map_cache_key_ok)
		pthread_key_delete(map_cache_key);
}

struct liommu__dma_map *liommu__dma_map_new(const struct liommu__dma_map *req)
{
	struct liommu__dma_map *m = map_cache;

	if (m) {
		map_cache = m->next;
		map_cache_n--;
	} else {
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
	}
	*m = *req;
	return m;
}

void liommu__dma_map_free(struct liommu__dma_map *m)
{
	if (map_cache_state != 1) {
		if (map_cache_state == 0) {
			pthread_once(&map_cache_once, map_cache_key_init);
			map_cache_state = map_cache_key_ok &&
					  !pthread_setspecific(map_cache_key, (void *)1) ? 1 : 2;
		}
		if (map_cache_state != 1) {
			free(m);
			return;
		}
	}
	if (map_cache_n >= MAP_CACHE_MAX) {
		free(m);
		return;
	}
	m->next = map_cache;
	map_cache = m;
	map_cache_n++;
}

int liommu__dma_iova_alloc(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	uint64_t size, span = dma->cfg.iova_limit - dma->cfg.iova_base;
	int ret;

	if (m->npages > span >> VTD_PAGE_SHIFT)
		return -ENOSPC;
	size = m->npages << VTD_PAGE_SHIFT;
	/* Powers of two up to the cacheable maximum come from the calling
	 * thread's magazine, naturally aligned (one page-selective
	 * invalidation with the smallest mask covers them). */
	if (size <= LIOMMU_IOVA_CACHE_MAX && (size & (size - 1)))
		size = 1ULL << (64 - __builtin_clzll(size));
	ret = liommu_iova_alloc(dma->iova, size, &m->iova);
	if (ret)
		return ret;
	m->alloc_size = size;
	return 0;
}

void liommu__dma_iova_free(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	int ret = liommu_iova_free(dma->iova, m->iova, m->alloc_size);

	/* The live table guarantees one free per allocation: a failure is a
	 * bug here, never the caller's. */
	if (ret)
		liommu__log(dma->unit, LOG_ERR, "dma: IOVA %#llx+%#llx free failed (%d)",
			    (unsigned long long)m->iova,
			    (unsigned long long)m->alloc_size, ret);
}

int liommu__dma_map_fresh(struct liommu_dma *dma, struct liommu__dma_map **mp)
{
	struct liommu__dma_map *m = liommu__dma_map_new(*mp);
	int ret;

	if (!m)
		return -ENOMEM;
	ret = liommu__dma_iova_alloc(dma, m);
	if (ret)
		goto err_free;
	/* A failed map leaves nothing mapped (liommu_domain_map()). */
	ret = liommu_domain_map(dma->dom, m->iova, m->pa, m->npages << VTD_PAGE_SHIFT,
				m->prot);
	if (ret)
		goto err_iova;
	*mp = m;
	return 0;

err_iova:
	liommu__dma_iova_free(dma, m);
err_free:
	liommu__dma_map_free(m);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Reclaimer thread                                                    */
/* ------------------------------------------------------------------ */

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

static int reclaimer_start(struct liommu_dma *dma)
{
	int ret = pthread_create(&dma->rc_thread, NULL, reclaimer_main, dma);

	if (ret)
		return -ret;
	dma->rc_running = true;
	return 0;
}

static void reclaimer_stop(struct liommu_dma *dma)
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

/* ------------------------------------------------------------------ */
/* Live table                                                          */
/* ------------------------------------------------------------------ */

static inline uint64_t live_hash(uint64_t iova)
{
	return (iova >> VTD_PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL;
}

/* The bucket of hash @h in a table of @n buckets. */
static inline uint64_t live_slot(uint64_t h, uint64_t n)
{
	return (h >> 20) & (n - 1);
}

static inline uint64_t live_bucket(const struct liommu__dma_live *s, uint64_t h)
{
	return live_slot(h, s->nbuckets);
}

/* Entries in @s; exact under its lock, a hint without. */
static inline uint64_t live_count(const struct liommu__dma_live *s)
{
	return atomic_load_explicit(&s->count, memory_order_relaxed);
}

static inline void live_set_count_locked(struct liommu__dma_live *s, uint64_t n)
{
	atomic_store_explicit(&s->count, n, memory_order_relaxed);
}

void liommu__dma_table_grow(struct liommu__dma_map ***bucket, uint64_t *nbuckets,
			    uint64_t (*index)(const struct liommu__dma_map *m, uint64_t n))
{
	uint64_t n = *nbuckets * 2, i;
	struct liommu__dma_map **nb = calloc(n, sizeof(*nb)), *m, *next;

	if (!nb)
		return;
	for (i = 0; i < *nbuckets; i++) {
		for (m = (*bucket)[i]; m; m = next) {
			uint64_t j = index(m, n);

			next = m->next;
			m->next = nb[j];
			nb[j] = m;
		}
	}
	free(*bucket);
	*bucket = nb;
	*nbuckets = n;
}

/* A mapping's bucket in a live-table shard of @n buckets. */
static uint64_t live_index(const struct liommu__dma_map *m, uint64_t n)
{
	return live_slot(live_hash(m->iova), n);
}

void liommu__dma_live_link_locked(struct liommu__dma_live *s, struct liommu__dma_map *m)
{
	uint64_t j;

	if (live_count(s) >= 2 * s->nbuckets)
		liommu__dma_table_grow(&s->bucket, &s->nbuckets, live_index);
	j = live_bucket(s, live_hash(m->iova));
	m->next = s->bucket[j];
	s->bucket[j] = m;
	live_set_count_locked(s, live_count(s) + 1);
}

/* Into the calling thread's shard. */
static void live_insert(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	struct liommu__dma_live *s = liommu__dma_live_own(dma);

	liommu__spin_lock(&s->lock);
	liommu__dma_live_link_locked(s, m);
	liommu__spin_unlock(&s->lock);
}

int liommu__dma_live_take_locked(struct liommu__dma_live *s, uint64_t iova, uint64_t len,
				 unsigned int prot, struct liommu__dma_map **out)
{
	uint64_t page = iova & VTD_PAGE_MASK, h = live_hash(page);
	struct liommu__dma_map **pp, *m;

	for (pp = &s->bucket[live_bucket(s, h)]; (m = *pp); pp = &m->next) {
		if (m->iova != page)
			continue;
		if (m->off != (iova & ~VTD_PAGE_MASK))
			return -ENOENT;
		if (m->len != len || m->prot != prot)
			return -EINVAL;
		*pp = m->next;
		m->next = NULL;
		live_set_count_locked(s, live_count(s) - 1);
		*out = m;
		return 0;
	}
	return LIOMMU__DMA_ELSEWHERE;
}

static int live_remove_from(struct liommu__dma_live *s, uint64_t iova, uint64_t len,
			    unsigned int prot, struct liommu__dma_map **out)
{
	int ret;

	liommu__spin_lock(&s->lock);
	ret = liommu__dma_live_take_locked(s, iova, len, prot, out);
	liommu__spin_unlock(&s->lock);
	return ret;
}

/*
 * Take the mapping that map() returned as @iova out of the table, after
 * checking that @len and @prot are what map() was given.  The calling
 * thread's shard first (a thread usually unmaps what it mapped; skipped
 * with @own_done, the caller looked there), then the others that hold
 * anything: a map() that returned before this call began (as the caller
 * must have seen it to know @iova) counted its shard's entry before, so
 * the count hint cannot skip it.
 * Return: 0; -ENOENT (no mapping starts at that page, or the offset in
 * the page differs); -EINVAL (length or direction differ; the mapping
 * stays live).
 */
static int live_remove(struct liommu_dma *dma, uint64_t iova, uint64_t len,
		       unsigned int prot, bool own_done, struct liommu__dma_map **out)
{
	struct liommu__dma_live *own = liommu__dma_live_own(dma);
	int ret = LIOMMU__DMA_ELSEWHERE;
	unsigned int i;

	if (!own_done)
		ret = live_remove_from(own, iova, len, prot, out);
	for (i = 0; ret == LIOMMU__DMA_ELSEWHERE && i < LIOMMU__DMA_SLOTS; i++)
		if (&dma->live[i] != own && live_count(&dma->live[i]))
			ret = live_remove_from(&dma->live[i], iova, len, prot, out);
	return ret == LIOMMU__DMA_ELSEWHERE ? -ENOENT : ret;
}

static int live_init(struct liommu_dma *dma)
{
	unsigned int i;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];

		s->bucket = calloc(LIVE_MIN_BUCKETS, sizeof(*s->bucket));
		if (!s->bucket)
			return -ENOMEM;
		s->nbuckets = LIVE_MIN_BUCKETS;
	}
	return 0;
}

/*
 * Unmap whatever the caller left mapped: clear every live mapping's PTEs,
 * invalidate once, free their IOVAs.  Only from liommu_dma_free().
 */
static void live_teardown(struct liommu_dma *dma)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	struct liommu__dma_map *all = NULL, *m, *next;
	uint64_t n = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];
		uint64_t j;

		if (!s->bucket)
			continue;
		for (j = 0; j < s->nbuckets; j++) {
			for (m = s->bucket[j]; m; m = next) {
				next = m->next;
				m->next = all;
				all = m;
				n++;
			}
			s->bucket[j] = NULL;
		}
		live_set_count_locked(s, 0);
	}
	if (!all)
		return;
	liommu__log(dma->unit, LOG_WARNING, "dma: %llu mappings still live at free",
		    (unsigned long long)n);
	for (m = all; m; m = m->next)
		liommu_domain_unmap_nosync(dma->dom, m->iova, m->npages << VTD_PAGE_SHIFT, &g);
	ret = liommu_domain_flush(dma->dom, &g);
	for (m = all; m; m = next) {
		next = m->next;
		if (!ret)
			liommu__dma_iova_free(dma, m);
		liommu__dma_map_free(m);
	}
}

static void live_fini(struct liommu_dma *dma)
{
	unsigned int i;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];

		if (!s->bucket)
			continue;
		free(s->bucket);
		s->bucket = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
	const struct liommu_dma_range *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/* Sorted, checked copy of DIRECT's ranges with adjacent ones merged. */
static int copy_ranges(struct liommu_dma *dma, const struct liommu_dma_config *cfg)
{
	struct liommu_dma_range *r;
	size_t i, n = 0;

	if (!cfg->nranges || !cfg->ranges || cfg->nranges > SIZE_MAX / sizeof(*r))
		return -EINVAL;
	r = malloc(cfg->nranges * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, cfg->ranges, cfg->nranges * sizeof(*r));
	for (i = 0; i < cfg->nranges; i++) {
		if (!r[i].len || (r[i].pa | r[i].len) & ~VTD_PAGE_MASK)
			goto err_inval;
		if (r[i].len > UINT64_MAX - r[i].pa)
			goto err_range;
	}
	qsort(r, cfg->nranges, sizeof(*r), cmp_range);
	for (i = 0; i < cfg->nranges; i++) {
		if (n && r[i].pa < r[n - 1].pa + r[n - 1].len)
			goto err_inval;		/* overlap */
		if (n && r[i].pa == r[n - 1].pa + r[n - 1].len)
			r[n - 1].len += r[i].len;
		else
			r[n++] = r[i];
	}
	dma->ranges = r;
	dma->cfg.ranges = r;
	dma->cfg.nranges = n;
	return 0;

err_range:
	free(r);
	return -ERANGE;
err_inval:
	free(r);
	return -EINVAL;
}

static int config_fill(struct liommu_dma *dma, const struct liommu_dma_config *cfg)
{
	unsigned int width = liommu_unit_addr_width(dma->unit);
	uint64_t space = width >= 64 ? UINT64_MAX : 1ULL << width;
	struct liommu_dma_config *c = &dma->cfg;

	*c = *cfg;
	c->ranges = NULL;
	c->nranges = 0;
	if ((unsigned int)c->strategy >= LIOMMU_DMA_NR_STRATEGIES)
		return -EINVAL;
	if (c->strategy != LIOMMU_DMA_DIRECT && (cfg->nranges || cfg->ranges))
		return -EINVAL;
	if (!c->iova_base)
		c->iova_base = LIOMMU_DMA_DEFAULT_IOVA_BASE;
	if (!c->iova_limit)
		c->iova_limit = space;
	if ((c->iova_base | c->iova_limit) & ~VTD_PAGE_MASK)
		return -EINVAL;
	if (c->iova_base >= c->iova_limit)
		return -EINVAL;
	if (c->iova_limit > space)
		return -ERANGE;
	if (!c->quota)
		c->quota = LIOMMU_DMA_DEFAULT_QUOTA;
	if (!c->age_ns)
		c->age_ns = LIOMMU_DMA_DEFAULT_AGE_NS;
	if (!c->batch)
		c->batch = LIOMMU_DMA_DEFAULT_BATCH;
	if (!c->interval_ns)
		c->interval_ns = LIOMMU_DMA_DEFAULT_INTERVAL_NS;
	if (!c->queues)
		c->queues = 8;
	if (c->queues > DMA_MAX_QUEUES)
		return -EINVAL;
	if (c->opt_batch > c->quota)
		return -EINVAL;
	if (c->strategy == LIOMMU_DMA_DIRECT)
		return copy_ranges(dma, cfg);
	return 0;
}

/*
 * An allocator for [iova_base, iova_limit): the allocator's space ends at
 * a power of two, so a limit that is not one is reserved away.
 */
static int iova_setup(struct liommu_dma *dma)
{
	struct liommu_iova_config ic = { .base = dma->cfg.iova_base };
	uint64_t limit = dma->cfg.iova_limit;
	unsigned int width = 64 - __builtin_clzll(limit - 1);
	int ret;

	if (width < LIOMMU_IOVA_WIDTH_MIN)
		width = LIOMMU_IOVA_WIDTH_MIN;
	ic.width = width;
	ret = liommu_iova_new(&ic, &dma->iova);
	if (ret)
		return ret;
	if (width < 64 && limit < 1ULL << width)
		ret = liommu_iova_reserve(dma->iova, limit, (1ULL << width) - limit);
	return ret;
}

int liommu_dma_new(struct liommu_domain *dom, const struct liommu_dma_config *cfg,
		   struct liommu_dma **out)
{
	struct liommu_domain_stats ds;
	struct liommu_unit_stats us;
	struct liommu_dma *dma;
	void *mem;
	int ret;

	if (!dom || !cfg || !out)
		return -EINVAL;
	if (posix_memalign(&mem, LIOMMU__CACHELINE, sizeof(*dma)))
		return -ENOMEM;
	dma = memset(mem, 0, sizeof(*dma));
	dma->dom = dom;
	dma->unit = liommu_domain_unit(dom);
	pthread_mutex_init(&dma->rc_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&dma->rc_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	ret = config_fill(dma, cfg);
	if (ret)
		goto err_free;
	dma->ops = strategy_ops[dma->cfg.strategy];
	if (!dma->ops->untracked) {
		ret = live_init(dma);
		if (ret)
			goto err_live;
		ret = iova_setup(dma);
		if (ret)
			goto err_iova;
	}

	/* Baselines first: DIRECT's initial mapping counts as its PTE writes. */
	liommu_domain_get_stats(dom, &ds);
	liommu_unit_get_stats(dma->unit, &us);
	dma->base_pte_writes = ds.pte_writes;
	dma->base_inv_descs = us.inv_descs;
	dma->base_inv_waits = us.inv_waits;

	ret = dma->ops->init(dma);
	if (ret)
		goto err_iova;
	if (dma->ops->reclaim) {
		ret = reclaimer_start(dma);
		if (ret)
			goto err_init;
	}
	*out = dma;
	return 0;

err_init:
	if (dma->ops->fini)
		dma->ops->fini(dma);
err_iova:
	liommu_iova_destroy(dma->iova);
err_live:
	live_fini(dma);
err_free:
	free(dma->ranges);
	pthread_cond_destroy(&dma->rc_cond);
	pthread_mutex_destroy(&dma->rc_lock);
	free(dma);
	return ret;
}

void liommu_dma_free(struct liommu_dma *dma)
{
	if (!dma)
		return;
	reclaimer_stop(dma);
	if (!dma->ops->untracked)
		live_teardown(dma);
	if (dma->ops->fini)
		dma->ops->fini(dma);
	liommu_iova_destroy(dma->iova);
	live_fini(dma);
	free(dma->ranges);
	pthread_cond_destroy(&dma->rc_cond);
	pthread_mutex_destroy(&dma->rc_lock);
	free(dma);
}

enum liommu_dma_strategy liommu_dma_get_strategy(const struct liommu_dma *dma)
{
	return dma->cfg.strategy;
}

struct liommu_domain *liommu_dma_domain(struct liommu_dma *dma)
{
	return dma->dom;
}

/* ------------------------------------------------------------------ */
/* Map and unmap                                                       */
/* ------------------------------------------------------------------ */

static bool dir_ok(enum liommu_dma_dir dir)
{
	return dir == LIOMMU_DMA_TO_DEVICE || dir == LIOMMU_DMA_FROM_DEVICE ||
	       dir == LIOMMU_DMA_BIDIRECTIONAL;
}

/* The pages covering [@addr, @addr + @len); @len > 0, no overflow. */
static uint64_t pages_of(uint64_t addr, uint64_t len)
{
	return ((addr + len - 1) >> VTD_PAGE_SHIFT) - (addr >> VTD_PAGE_SHIFT) + 1;
}

static int check_buf(uint64_t addr, uint64_t len, enum liommu_dma_dir dir)
{
	if (!len || !dir_ok(dir) || len - 1 > UINT64_MAX - addr)
		return -EINVAL;
	return 0;
}

int liommu_dma_map(struct liommu_dma *dma, uint64_t pa, uint64_t len,
		   enum liommu_dma_dir dir, uint64_t *iova)
{
	struct liommu__dma_map req = {
		.pa = pa & VTD_PAGE_MASK,
		.off = (unsigned int)(pa & ~VTD_PAGE_MASK),
		.len = len,
		.prot = (unsigned int)dir,
	};
	struct liommu__dma_map *m = &req;
	struct liommu__dma_counters *ctr;
	bool hit = false;
	int ret;

	if (!dma || !iova)
		return -EINVAL;
	ret = check_buf(pa, len, dir);
	if (ret)
		return ret;
	req.npages = pages_of(pa, len);
	if (dma->ops->map_own && dma->ops->map_own(dma, liommu__dma_live_own(dma), &req, iova)) {
		hit = true;
	} else {
		ret = dma->ops->map(dma, &m, &hit);
		if (ret)
			return ret;
		*iova = m->iova + m->off;
		if (!dma->ops->untracked)
			live_insert(dma, m);
	}
	ctr = liommu__dma_ctr(dma);
	liommu__dma_count(&ctr->maps, 1);
	if (hit)
		liommu__dma_count(&ctr->reuse_hits, 1);
	liommu__dma_count(&ctr->live_pages, req.npages);
	return 0;
}

int liommu_dma_unmap(struct liommu_dma *dma, uint64_t iova, uint64_t len,
		     enum liommu_dma_dir dir)
{
	struct liommu__dma_map stack, *m;
	struct liommu__dma_counters *ctr;
	uint64_t npages;
	int ret, res;

	if (!dma)
		return -EINVAL;
	ret = check_buf(iova, len, dir);
	if (ret)
		return ret;
	npages = pages_of(iova, len);
	if (dma->ops->untracked) {
		m = &stack;
		memset(m, 0, sizeof(*m));
		m->iova = iova & VTD_PAGE_MASK;
		m->pa = m->iova;
		m->npages = npages;
		m->len = len;
		m->prot = (unsigned int)dir;
	} else if (dma->ops->unmap_own) {
		ret = dma->ops->unmap_own(dma, liommu__dma_live_own(dma), iova, len,
					  (unsigned int)dir, &res);
		if (ret < 0)
			return ret;
		if (!ret)
			goto done;
		ret = live_remove(dma, iova, len, (unsigned int)dir, true, &m);
		if (ret)
			return ret;
	} else {
		ret = live_remove(dma, iova, len, (unsigned int)dir, false, &m);
		if (ret)
			return ret;
	}
	res = dma->ops->unmap(dma, m);
	if (res == -ENOENT && dma->ops->untracked)
		return res;
done:
	ret = res;
	ctr = liommu__dma_ctr(dma);
	liommu__dma_count(&ctr->live_pages, -npages);
	if (!ret)
		liommu__dma_count(&ctr->unmaps, 1);
	return ret;
}

int liommu_dma_map_sg(struct liommu_dma *dma, struct liommu_dma_sg *sg, size_t n,
		      enum liommu_dma_dir dir)
{
	size_t i;
	int ret;

	if (!dma || !sg || !n || n > INT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = check_buf(sg[i].pa, sg[i].len, dir);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		ret = liommu_dma_map(dma, sg[i].pa, sg[i].len, dir, &sg[i].iova);
		if (ret)
			goto err_undo;
	}
	return (int)n;

err_undo:
	/* The caller never saw these IOVAs, so none of them may stay
	 * reachable: unmap them and retire at once what OPTIMISTIC would
	 * cache or DEFERRED would queue. */
	if (i) {
		liommu_dma_unmap_sg(dma, sg, i, dir);
		liommu_dma_drain(dma);
	}
	return ret;
}

int liommu_dma_unmap_sg(struct liommu_dma *dma, const struct liommu_dma_sg *sg,
			size_t n, enum liommu_dma_dir dir)
{
	struct liommu__dma_map **ms;
	struct liommu__dma_counters *ctr;
	uint64_t pages = 0;
	size_t i, j;
	int ret;

	if (!dma || !sg || !n || n > INT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = check_buf(sg[i].iova, sg[i].len, dir);
		if (ret)
			return ret;
	}
	if (dma->ops->untracked) {
		/* DIRECT's unmap only checks that the buffer lies in its
		 * memory, so checking every segment first is just a pass. */
		for (i = 0; i < n; i++) {
			struct liommu__dma_map m = {
				.iova = sg[i].iova & VTD_PAGE_MASK,
				.pa = sg[i].iova & VTD_PAGE_MASK,
				.npages = pages_of(sg[i].iova, sg[i].len),
				.len = sg[i].len,
				.prot = (unsigned int)dir,
			};

			ret = dma->ops->unmap(dma, &m);
			if (ret)
				return ret;
			pages += m.npages;
		}
		ctr = liommu__dma_ctr(dma);
		liommu__dma_count(&ctr->live_pages, -pages);
		liommu__dma_count(&ctr->unmaps, n);
		return 0;
	}
	ms = malloc(n * sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = live_remove(dma, sg[i].iova, sg[i].len, (unsigned int)dir, false, &ms[i]);
		if (ret) {
			for (j = 0; j < i; j++)
				live_insert(dma, ms[j]);
			free(ms);
			return ret;
		}
		pages += ms[i]->npages;
	}
	if (dma->ops->unmap_many) {
		ret = dma->ops->unmap_many(dma, ms, n);
	} else {
		ret = 0;
		for (i = 0; i < n; i++) {
			int r = dma->ops->unmap(dma, ms[i]);

			if (r && !ret)
				ret = r;
		}
	}
	free(ms);
	ctr = liommu__dma_ctr(dma);
	liommu__dma_count(&ctr->live_pages, -pages);
	if (!ret)
		liommu__dma_count(&ctr->unmaps, n);
	return ret;
}

int liommu_dma_drain(struct liommu_dma *dma)
{
	if (!dma)
		return -EINVAL;
	return dma->ops->drain ? dma->ops->drain(dma) : 0;
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

void liommu_dma_get_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	memset(b, 0, sizeof(*b));
	dma->ops->bound(dma, b);
}

void liommu_dma_get_stats(struct liommu_dma *dma, struct liommu_dma_stats *st)
{
	struct liommu_domain_stats ds;
	struct liommu_unit_stats us;
	uint64_t live = 0;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->strategy = dma->cfg.strategy;
	/* Before the counters: a mapping no longer stale is already in
	 * @retired (the strategies count it first). */
	st->stale_pages = dma->ops->stale_pages ? dma->ops->stale_pages(dma) : 0;
	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_counters *c = &dma->ctr[i];

		st->maps += atomic_load_explicit(&c->maps, memory_order_relaxed);
		st->unmaps += atomic_load_explicit(&c->unmaps, memory_order_relaxed);
		st->reuse_hits += atomic_load_explicit(&c->reuse_hits, memory_order_relaxed);
		st->retired += atomic_load_explicit(&c->retired, memory_order_relaxed);
		st->flushes += atomic_load_explicit(&c->flushes, memory_order_relaxed);
		live += atomic_load_explicit(&c->live_pages, memory_order_relaxed);
	}
	/* The blocks' sum mod 2^64 is the signed total: a block that only
	 * unmapped holds a "negative" count. */
	st->live_pages = (int64_t)live > 0 ? live : 0;
	liommu_domain_get_stats(dma->dom, &ds);
	liommu_unit_get_stats(dma->unit, &us);
	st->pte_writes = ds.pte_writes - dma->base_pte_writes;
	st->inv_descs = us.inv_descs - dma->base_inv_descs;
	st->inv_waits = us.inv_waits - dma->base_inv_waits;
	st->mapped_pages = ds.mapped_bytes >> VTD_PAGE_SHIFT;
	st->peak_mapped_pages = ds.peak_mapped_bytes >> VTD_PAGE_SHIFT;
	/* Every present PTE of these strategies points at memory the host
	 * must keep resident, and nothing else is pinned (dma.h). */
	st->pinned_pages = st->mapped_pages;
	st->peak_pinned_pages = st->peak_mapped_pages;
	st->table_pages = ds.table_pages;
	st->reclaim_late_ns = atomic_load_explicit(&dma->rc_late_max, memory_order_relaxed);
	liommu_dma_get_bound(dma, &st->bound);
}
