// SPDX-License-Identifier: MIT
/*
 * dma-optimistic.c - OPTIMISTIC: optimistic teardown (vIOMMU, Amit et al.,
 * USENIX ATC 2011).
 *
 * Devices tend to map the same buffers again and again (rings, packet
 * pools).  unmap() therefore leaves the mapping in place and parks it in a
 * reuse cache keyed by (first physical page, page count, direction); a
 * later map() of the same pages in the same direction takes it back with
 * no PTE write and no invalidation.  The price is a bounded window in
 * which the device can still reach an unmapped buffer:
 *
 *  - count: the cache holds at most @quota mappings.  When a shard
 *    overflows, its oldest @opt_batch entries are retired together:
 *    PTEs cleared, one IOTLB invalidation and wait for the whole batch,
 *    then the IOVAs are freed.
 *  - time: a cached mapping is retired within @age_ns.  The reclaimer
 *    thread (dma-reclaim.c) runs when the oldest entry is half the age
 *    old and retires everything at least that old in one batch, so the bound holds
 *    with no further calls, with half the age left for scheduling delay
 *    and the invalidation itself.
 *
 * Concurrency: the cache is made of per-thread caches, one per counter
 * slot (dma-internal.h: a thread keeps its slot, the first
 * LIOMMU_STAT_SHARED threads have one each, later threads share the
 * last), as Linux keeps its IOVA caches per CPU.  unmap() parks a
 * mapping in the calling thread's cache and map() looks in the calling
 * thread's cache (on a fixed-IOVA instance the IOVA must match too),
 * so a thread that maps and unmaps its own buffers touches its own
 * cache's lock and lines only.  A map that misses there
 * is an ordinary miss (a new IOVA), even if another thread's cache holds
 * the buffer: that entry ages out (fixed IOVA: a map_at of its range
 * retires it first).  Each cache is a hash table plus a FIFO (oldest
 * first) under the lock of its slot's live-table shard (dma-live.h), held
 * only for list edits: a reuse hit takes the cached record out and files
 * it as live, and an unmap takes it out of the live table and parks it,
 * each under that one lock (the front end's map_own/unmap_own hooks).
 *
 * The quota is kept with tokens: every cached mapping holds one, a cache
 * never holds more mappings than tokens, and the tokens of all caches
 * plus the free pool add up to @quota exactly.  A cache that needs one
 * takes a handful from the pool (one atomic operation per handful); when
 * the pool is empty it takes the idle tokens of other caches, and when
 * there are none it retires its own oldest batch (PTEs cleared, one
 * IOTLB invalidation and wait for the whole batch, then the IOVAs
 * freed).  The reclaimer gives a cache's idle tokens back to the pool.
 * Retirement (PTE clearing, the invalidation, IOVA freeing) runs outside
 * the cache locks, under a retirement mutex that is held from a batch's
 * pull to the end of its invalidation (so a drain cannot overtake a batch
 * in flight).  Retirement order is exact FIFO within a cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "dma-live.h"

#define OPT_NCACHES		LIOMMU__DMA_SLOTS
#define OPT_MIN_BUCKETS		16u

struct opt_cache {
	struct liommu__spin *lock;		/* the slot's live-table shard's */
	struct liommu__dma_map **bucket;	/* chains through ->next */
	uint64_t nbuckets;			/* power of two */
	struct liommu__dma_map *oldest;		/* FIFO head */
	struct liommu__dma_map *newest;		/* FIFO tail */
	unsigned int count;			/* <= tokens, outside the lock */
	_Atomic unsigned int tokens;		/* quota share held */
	_Atomic uint64_t pages;			/* written under lock */
} __attribute__((aligned(LIOMMU__CACHELINE)));

struct opt {
	/*
	 * Held from the pull of a batch until its invalidation completed, so
	 * liommu_dma_drain() cannot return while a batch pulled by another
	 * thread (an overflow, or the reclaimer) is still reachable.  Taken
	 * before a cache lock.  Retirements are serialised by the unit's
	 * invalidation queue anyway.
	 */
	pthread_mutex_t retire_lock;
	uint64_t half_age;
	unsigned int batch;			/* retired per overflow */
	unsigned int grab;			/* tokens taken from the pool at once */
	_Atomic uint64_t retiring_pages;	/* pulled, invalidation pending */
	_Alignas(LIOMMU__CACHELINE) _Atomic unsigned int pool;	/* free tokens */
	struct opt_cache cache[OPT_NCACHES];
};

/*
 * The time stamp of an unmap.  clock_gettime() costs 60-120 ns on this
 * class of machine (a kvm-clock guest: 87 ns measured), half of a reuse
 * hit, so a thread reuses its last reading while fewer than
 * OPT_STAMP_CYCLES TSC cycles have passed since it took it: at 1 GHz or
 * more that is under 8.2 us.  The clock is monotonic, so the reused value
 * is never later than the real unmap time: an entry can only look older
 * than it is and be retired early, never late, so the age bound holds
 * whatever the TSC does (a migration to a CPU whose TSC lags only makes
 * the stamp staler).  Without a TSC every unmap reads the clock.
 */
#define OPT_STAMP_CYCLES	8192u

#if defined(__x86_64__) || defined(__i386__)
#define OPT_HAVE_CYCLES		1
static inline uint64_t opt_cycles(void)
{
	return __builtin_ia32_rdtsc();
}
#else
#define OPT_HAVE_CYCLES		0
static inline uint64_t opt_cycles(void)
{
	return 0;
}
#endif

static uint64_t opt_stamp_ns(void)
{
	static _Thread_local uint64_t last_ns, last_cycles
		__attribute__((tls_model("initial-exec")));
	uint64_t c = opt_cycles();	/* before the clock read: conservative */

	if (OPT_HAVE_CYCLES && last_ns && c - last_cycles < OPT_STAMP_CYCLES)
		return last_ns;
	last_ns = liommu__dma_now_ns();
	last_cycles = c;
	return last_ns;
}

static inline uint64_t opt_hash(uint64_t pa, uint64_t npages, unsigned int prot)
{
	uint64_t h = (pa >> VTD_PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL;

	h ^= (npages * 0xc2b2ae3d27d4eb4fULL) ^ prot;
	return h ^ (h >> 29);
}

/*
 * Does cached @c serve request @m?  On a fixed-IOVA instance the caller
 * names the IOVA, so it is part of the key: a cached mapping of the same
 * pages elsewhere is not what the device will use.  (The hash stays on
 * the physical key: a bucket holds them all, the comparison picks.)
 */
static inline bool opt_key_eq(const struct liommu__dma_map *c,
			      const struct liommu__dma_map *m, bool fixed_iova)
{
	return c->pa == m->pa && c->npages == m->npages && c->prot == m->prot &&
	       (!fixed_iova || c->iova == m->iova);
}

/* Unlink @c from its hash chain and the FIFO. */
static void opt_unlink_locked(struct opt_cache *k, struct liommu__dma_map *c, uint64_t h)
{
	struct liommu__dma_map **pp = &k->bucket[h & (k->nbuckets - 1)];

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	if (c->older)
		c->older->newer = c->newer;
	else
		k->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		k->newest = c->older;
	c->next = c->older = c->newer = NULL;
	k->count--;
	atomic_store_explicit(&k->pages, atomic_load_explicit(&k->pages, memory_order_relaxed) -
			      c->npages, memory_order_relaxed);
}

/* Link @m as the newest entry. */
static void opt_link_locked(struct opt_cache *k, struct liommu__dma_map *m, uint64_t h)
{
	struct liommu__dma_map **b = &k->bucket[h & (k->nbuckets - 1)];

	m->next = *b;
	*b = m;
	m->older = k->newest;
	m->newer = NULL;
	if (k->newest)
		k->newest->newer = m;
	else
		k->oldest = m;
	k->newest = m;
	k->count++;
	atomic_store_explicit(&k->pages, atomic_load_explicit(&k->pages, memory_order_relaxed) +
			      m->npages, memory_order_relaxed);
}

/* Double the hash table once it holds more entries than buckets; when
 * that allocation fails, the chains just get longer. */
/* A mapping's bucket in a reuse cache of @n buckets. */
static uint64_t opt_index(const struct liommu__dma_map *c, uint64_t n)
{
	return opt_hash(c->pa, c->npages, c->prot) & (n - 1);
}

static void opt_grow_locked(struct opt_cache *k)
{
	if (k->count > k->nbuckets)
		liommu__dma_table_grow(&k->bucket, &k->nbuckets, opt_index);
}

/* Tokens are counted under the cache's lock; the atomic lets
 * opt_steal() skip caches that hold none without taking their lock. */
static unsigned int opt_tokens(const struct opt_cache *k)
{
	return atomic_load_explicit(&k->tokens, memory_order_relaxed);
}

static void opt_set_tokens_locked(struct opt_cache *k, unsigned int n)
{
	atomic_store_explicit(&k->tokens, n, memory_order_relaxed);
}

/* Take up to @want tokens from the pool.  Return: how many. */
static unsigned int opt_pool_take(struct opt *o, unsigned int want)
{
	unsigned int have = atomic_load_explicit(&o->pool, memory_order_relaxed), n;

	do {
		n = have < want ? have : want;
		if (!n)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&o->pool, &have, have - n,
							memory_order_relaxed,
							memory_order_relaxed));
	return n;
}

static void opt_pool_give(struct opt *o, unsigned int n)
{
	if (n)
		atomic_fetch_add_explicit(&o->pool, n, memory_order_relaxed);
}

/* Give @k's idle tokens (those no cached mapping holds) to the pool. */
static void opt_return_idle_locked(struct opt *o, struct opt_cache *k)
{
	opt_pool_give(o, opt_tokens(k) - k->count);
	opt_set_tokens_locked(k, k->count);
}

/* The pool is empty: take the idle tokens of the other caches.  No
 * lock held on entry.  Return: how many. */
static unsigned int opt_steal(struct opt *o, struct opt_cache *self)
{
	unsigned int i, got = 0;

	for (i = 0; i < OPT_NCACHES; i++) {
		struct opt_cache *k = &o->cache[i];

		if (k == self || !opt_tokens(k))
			continue;
		liommu__spin_lock(k->lock);
		got += opt_tokens(k) - k->count;
		opt_set_tokens_locked(k, k->count);
		liommu__spin_unlock(k->lock);
	}
	return got;
}

/*
 * Pull up to @max of the oldest entries (all with @max = UINT_MAX), or
 * only those cached at or before @cutoff_ns, onto the list *@out (chained
 * through ->next).  Their tokens stay with @k.  Return: pages pulled.
 */
static uint64_t opt_pull_locked(struct opt *o, struct opt_cache *k, unsigned int max,
				uint64_t cutoff_ns, struct liommu__dma_map **out)
{
	uint64_t pages = 0;

	while (max-- && k->oldest && k->oldest->t_ns <= cutoff_ns) {
		struct liommu__dma_map *c = k->oldest;

		opt_unlink_locked(k, c, opt_hash(c->pa, c->npages, c->prot));
		c->next = *out;
		*out = c;
		pages += c->npages;
	}
	if (pages)
		atomic_fetch_add_explicit(&o->retiring_pages, pages, memory_order_relaxed);
	return pages;
}

/*
 * Retire a pulled list: clear all PTEs, one invalidation, then free the
 * IOVAs.  If the invalidation fails the IOVAs are withheld (the unit may
 * still translate them) but the PTEs stay cleared.
 */
static int opt_retire(struct liommu_dma *dma, struct liommu__dma_map *list, uint64_t pages)
{
	struct opt *o = dma->priv;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	struct liommu__dma_map *c, *next;
	uint64_t n = 0;
	int ret;

	if (!list)
		return 0;
	for (c = list; c; c = c->next, n++)
		liommu_domain_unmap_nosync(dma->dom, c->iova, c->npages << VTD_PAGE_SHIFT, &g);
	ret = liommu_domain_flush(dma->dom, &g);
	if (ret)
		liommu__log(dma->unit, LOG_ERR,
			    "dma: optimistic retirement: invalidation failed (%d); "
			    "%llu IOVA ranges withheld", ret, (unsigned long long)n);
	else
		liommu__dma_flushed(dma);
	/* Counted before the IOVAs go back to the allocator, so a caller
	 * that is handed one of them again sees its old mapping counted. */
	liommu__dma_count(&liommu__dma_ctr(dma)->retired, n);
	for (c = list; c; c = next) {
		next = c->next;
		if (!ret)
			liommu__dma_iova_free(dma, c);
		liommu__dma_map_free(c);
	}
	/* retired first: a reader that sees the pages gone sees them counted */
	atomic_fetch_sub_explicit(&o->retiring_pages, pages, memory_order_release);
	return ret;
}

static int opt_init(struct liommu_dma *dma)
{
	unsigned int quota = dma->cfg.quota, n, i;
	struct opt *o;
	void *mem;

	if (posix_memalign(&mem, LIOMMU__CACHELINE, sizeof(*o)))
		return -ENOMEM;
	o = memset(mem, 0, sizeof(*o));
	pthread_mutex_init(&o->retire_lock, NULL);
	o->half_age = dma->cfg.age_ns / 2;
	atomic_init(&o->pool, quota);
	/* Default batch: a quarter of what one of up to 8 quota shares of
	 * at least 32 holds (quota 256: 8). */
	n = quota < 64 ? 1 : quota / 32 > 8 ? 8 : quota / 32;
	o->batch = dma->cfg.opt_batch ? dma->cfg.opt_batch : quota / n / 4;
	if (!o->batch)
		o->batch = 1;
	o->grab = quota / 16 > 64 ? 64 : quota / 16 ? quota / 16 : 1;
	for (i = 0; i < OPT_NCACHES; i++) {
		struct opt_cache *k = &o->cache[i];

		k->lock = &dma->live[i].lock;
		k->nbuckets = OPT_MIN_BUCKETS;
		k->bucket = calloc(k->nbuckets, sizeof(*k->bucket));
		if (!k->bucket)
			goto err_free;
	}
	dma->priv = o;
	return 0;

err_free:
	while (i--)
		free(o->cache[i].bucket);
	pthread_mutex_destroy(&o->retire_lock);
	free(o);
	return -ENOMEM;
}

static int opt_drain(struct liommu_dma *dma)
{
	struct opt *o = dma->priv;
	struct liommu__dma_map *list = NULL;
	uint64_t pages = 0;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&o->retire_lock);
	for (i = 0; i < OPT_NCACHES; i++) {
		struct opt_cache *k = &o->cache[i];

		liommu__spin_lock(k->lock);
		pages += opt_pull_locked(o, k, UINT32_MAX, UINT64_MAX, &list);
		opt_return_idle_locked(o, k);
		liommu__spin_unlock(k->lock);
	}
	ret = opt_retire(dma, list, pages);
	pthread_mutex_unlock(&o->retire_lock);
	return ret;
}

static void opt_fini(struct liommu_dma *dma)
{
	struct opt *o = dma->priv;
	unsigned int i;

	if (!o)
		return;
	opt_drain(dma);
	for (i = 0; i < OPT_NCACHES; i++)
		free(o->cache[i].bucket);
	pthread_mutex_destroy(&o->retire_lock);
	free(o);
	dma->priv = NULL;
}

/* The cache of the slot whose live-table shard is @s. */
static struct opt_cache *opt_cache_of(struct liommu_dma *dma, struct liommu__dma_live *s)
{
	struct opt *o = dma->priv;

	return &o->cache[s - dma->live];
}

static bool opt_map_own(struct liommu_dma *dma, struct liommu__dma_live *s,
			const struct liommu__dma_map *req, uint64_t *iova)
{
	struct opt_cache *k = opt_cache_of(dma, s);
	uint64_t h = opt_hash(req->pa, req->npages, req->prot);
	struct liommu__dma_map *c;

	/* An empty cache is a miss without the lock (a mapping parked
	 * there at this moment by a thread sharing the slot is missed as
	 * it would be a moment later). */
	if (!atomic_load_explicit(&k->pages, memory_order_relaxed))
		return false;
	liommu__spin_lock(k->lock);
	for (c = k->bucket[h & (k->nbuckets - 1)]; c; c = c->next)
		if (opt_key_eq(c, req, dma->cfg.fixed_iova))
			break;
	if (c) {
		/* The cached mapping is still present in the table: it
		 * becomes the live record as it is, no allocation, no PTE
		 * write, no invalidation; only the caller's offset and
		 * length are new.  Its token stays with @k. */
		opt_unlink_locked(k, c, h);
		c->off = req->off;
		c->len = req->len;
		*iova = c->iova + c->off;
		liommu__dma_live_link_locked(s, c);
	}
	liommu__spin_unlock(k->lock);
	return c != NULL;
}

/* A miss (opt_map_own() looked in the calling thread's cache). */
static int opt_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	return liommu__dma_map_fresh(dma, mp);
}

/* Park @m as @k's newest entry; true when @k is over its tokens. */
static bool opt_park_locked(struct opt *o, struct opt_cache *k, struct liommu__dma_map *m)
{
	if (k->count >= opt_tokens(k))
		opt_set_tokens_locked(k, opt_tokens(k) + opt_pool_take(o, o->grab));
	opt_link_locked(k, m, opt_hash(m->pa, m->npages, m->prot));
	opt_grow_locked(k);
	return k->count > opt_tokens(k);
}

/*
 * After parking a mapping stamped @t_ns in @k and dropping the lock: make
 * sure the reclaimer is due by then; when @k went over its tokens, take
 * idle ones from other caches, else retire @k's oldest batch (possibly
 * the mapping just parked: the quota holds).
 */
static int opt_parked(struct liommu_dma *dma, struct opt_cache *k, uint64_t t_ns, bool over)
{
	struct opt *o = dma->priv;
	struct liommu__dma_map *list = NULL;
	uint64_t pages = 0;
	unsigned int got, n;
	int ret;

	liommu__dma_kick(dma, t_ns + o->half_age);
	if (!over)
		return 0;
	got = opt_steal(o, k);
	pthread_mutex_lock(&o->retire_lock);
	liommu__spin_lock(k->lock);
	opt_set_tokens_locked(k, opt_tokens(k) + got);
	if (k->count > opt_tokens(k)) {
		opt_set_tokens_locked(k, opt_tokens(k) + opt_pool_take(o, k->count -
									 opt_tokens(k)));
		n = k->count - opt_tokens(k);
		if (n)
			pages = opt_pull_locked(o, k, n > o->batch ? n : o->batch, UINT64_MAX,
						&list);
	}
	liommu__spin_unlock(k->lock);
	ret = opt_retire(dma, list, pages);
	pthread_mutex_unlock(&o->retire_lock);
	return ret;
}

static int opt_unmap_own(struct liommu_dma *dma, struct liommu__dma_live *s, uint64_t iova,
			 uint64_t len, unsigned int prot, int *res)
{
	struct opt_cache *k = opt_cache_of(dma, s);
	uint64_t t_ns = opt_stamp_ns();
	struct liommu__dma_map *m;
	bool over;
	int ret;

	liommu__spin_lock(k->lock);
	ret = liommu__dma_live_take_locked(s, iova, len, prot, &m);
	if (ret) {
		liommu__spin_unlock(k->lock);
		return ret;
	}
	m->t_ns = t_ns;
	over = opt_park_locked(dma->priv, k, m);
	liommu__spin_unlock(k->lock);
	*res = opt_parked(dma, k, t_ns, over);
	return 0;
}

/* A mapping found in another thread's shard: parked in the calling
 * thread's cache. */
static int opt_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	struct opt_cache *k = opt_cache_of(dma, liommu__dma_live_own(dma));
	uint64_t t_ns = opt_stamp_ns();
	bool over;

	/* @m is the cache's once the lock drops: not read after that */
	m->t_ns = t_ns;
	liommu__spin_lock(k->lock);
	over = opt_park_locked(dma->priv, k, m);
	liommu__spin_unlock(k->lock);
	return opt_parked(dma, k, t_ns, over);
}

static uint64_t opt_reclaim(struct liommu_dma *dma, uint64_t now_ns)
{
	struct opt *o = dma->priv;
	struct liommu__dma_map *list = NULL;
	uint64_t pages = 0, next = 0;
	unsigned int i;

	pthread_mutex_lock(&o->retire_lock);
	for (i = 0; i < OPT_NCACHES; i++) {
		struct opt_cache *k = &o->cache[i];

		/* Every cache, under its lock: the kick protocol
		 * (dma-reclaim.c) needs this scan to see whatever was linked
		 * before it. */
		liommu__spin_lock(k->lock);
		if (now_ns >= o->half_age)
			pages += opt_pull_locked(o, k, UINT32_MAX, now_ns - o->half_age, &list);
		if (k->oldest) {
			uint64_t due = k->oldest->t_ns + o->half_age;

			if (!next || due < next)
				next = due;
		}
		opt_return_idle_locked(o, k);
		liommu__spin_unlock(k->lock);
	}
	opt_retire(dma, list, pages);
	pthread_mutex_unlock(&o->retire_lock);
	return next;
}

static uint64_t opt_stale_pages(struct liommu_dma *dma)
{
	struct opt *o = dma->priv;
	uint64_t pages = atomic_load_explicit(&o->retiring_pages, memory_order_acquire);
	unsigned int i;

	for (i = 0; i < OPT_NCACHES; i++)
		pages += atomic_load_explicit(&o->cache[i].pages, memory_order_relaxed);
	return pages;
}

static void opt_bound(const struct liommu_dma *dma, struct liommu_dma_bound *b)
{
	b->count = dma->cfg.quota;
	b->queues = 1;
	b->time_ns = dma->cfg.age_ns;
}

const struct liommu__dma_ops liommu__dma_optimistic_ops = {
	.name = "optimistic",
	.init = opt_init,
	.fini = opt_fini,
	.map = opt_map,
	.map_own = opt_map_own,
	.unmap = opt_unmap,
	.unmap_own = opt_unmap_own,
	.drain = opt_drain,
	.reclaim = opt_reclaim,
	.stale_pages = opt_stale_pages,
	.bound = opt_bound,
};
