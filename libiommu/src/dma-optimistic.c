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
 *    thread (dma.c) runs when the oldest entry is half the age old and
 *    retires everything at least that old in one batch, so the bound holds
 *    with no further calls, with half the age left for scheduling delay
 *    and the invalidation itself.
 *
 * Concurrency: the cache is split into shards by hash of the key, each a
 * hash table plus a FIFO (oldest first) under its own mutex, held only for
 * list edits; PTE clearing, the invalidation and IOVA freeing run outside
 * it, under a retirement mutex that is held from a batch's pull to the end
 * of its invalidation (so a drain cannot overtake a batch in flight).  A
 * map or an unmap that neither overflows nor hits a retirement takes one
 * shard lock and no other lock.  The quota is divided between the shards (their quotas add up to
 * @quota exactly); retirement order is exact FIFO within a shard and
 * approximately FIFO overall.  Small quotas (< 64) get a single shard, so
 * the order is exact.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "dma-internal.h"

#define OPT_MAX_SHARDS		8u
#define OPT_PAGES_PER_SHARD	32u	/* quota needed for one more shard */

struct opt_shard {
	pthread_mutex_t lock;
	struct liommu__dma_map **bucket;	/* chains through ->next */
	uint64_t nbuckets;			/* power of two, >= 2 * quota */
	struct liommu__dma_map *oldest;		/* FIFO head */
	struct liommu__dma_map *newest;		/* FIFO tail */
	unsigned int count;
	unsigned int quota;
	unsigned int batch;
	_Atomic uint64_t pages;			/* written under lock */
} __attribute__((aligned(LIOMMU__CACHELINE)));

struct opt {
	/*
	 * Held from the pull of a batch until its invalidation completed, so
	 * liommu_dma_drain() cannot return while a batch pulled by another
	 * thread (an overflow, or the reclaimer) is still reachable.  Taken
	 * before a shard lock.  Retirements are serialised by the unit's
	 * invalidation queue anyway.
	 */
	pthread_mutex_t retire_lock;
	unsigned int nshards;
	uint64_t half_age;
	_Atomic uint64_t retiring_pages;	/* pulled, invalidation pending */
	struct opt_shard shard[];
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

static inline struct opt_shard *opt_shard_of(struct opt *o, uint64_t h)
{
	return &o->shard[(h >> 40) % o->nshards];
}

static inline bool opt_key_eq(const struct liommu__dma_map *c,
			      const struct liommu__dma_map *m)
{
	return c->pa == m->pa && c->npages == m->npages && c->prot == m->prot;
}

/* Unlink @c from its hash chain and the FIFO. */
static void opt_unlink_locked(struct opt_shard *s, struct liommu__dma_map *c, uint64_t h)
{
	struct liommu__dma_map **pp = &s->bucket[h & (s->nbuckets - 1)];

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	if (c->older)
		c->older->newer = c->newer;
	else
		s->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		s->newest = c->older;
	c->next = c->older = c->newer = NULL;
	s->count--;
	atomic_store_explicit(&s->pages, atomic_load_explicit(&s->pages, memory_order_relaxed) -
			      c->npages, memory_order_relaxed);
}

/*
 * Pull up to @max of the oldest entries (all with @max = UINT_MAX), or
 * only those cached at or before @cutoff_ns, onto the list *@out (chained
 * through ->next).  Return: pages pulled.
 */
static uint64_t opt_pull_locked(struct opt *o, struct opt_shard *s, unsigned int max,
				uint64_t cutoff_ns, struct liommu__dma_map **out)
{
	uint64_t pages = 0;

	while (max-- && s->oldest && s->oldest->t_ns <= cutoff_ns) {
		struct liommu__dma_map *c = s->oldest;

		opt_unlink_locked(s, c, opt_hash(c->pa, c->npages, c->prot));
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

	n = quota / OPT_PAGES_PER_SHARD;
	if (n < 1 || quota < 2 * OPT_PAGES_PER_SHARD)
		n = 1;
	if (n > OPT_MAX_SHARDS)
		n = OPT_MAX_SHARDS;
	o = calloc(1, sizeof(*o) + n * sizeof(o->shard[0]));
	if (!o)
		return -ENOMEM;
	o->nshards = n;
	pthread_mutex_init(&o->retire_lock, NULL);
	o->half_age = dma->cfg.age_ns / 2;
	for (i = 0; i < n; i++) {
		struct opt_shard *s = &o->shard[i];
		unsigned int b;

		s->quota = quota / n + (i < quota % n);
		s->nbuckets = 8;
		while (s->nbuckets < 2ULL * s->quota)
			s->nbuckets *= 2;
		s->bucket = calloc(s->nbuckets, sizeof(*s->bucket));
		if (!s->bucket)
			goto err_free;
		b = dma->cfg.opt_batch ? dma->cfg.opt_batch : s->quota / 4;
		s->batch = b < 1 ? 1 : b > s->quota ? s->quota : b;
		pthread_mutex_init(&s->lock, NULL);
	}
	dma->priv = o;
	return 0;

err_free:
	while (i--) {
		free(o->shard[i].bucket);
		pthread_mutex_destroy(&o->shard[i].lock);
	}
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
	for (i = 0; i < o->nshards; i++) {
		struct opt_shard *s = &o->shard[i];

		pthread_mutex_lock(&s->lock);
		pages += opt_pull_locked(o, s, UINT32_MAX, UINT64_MAX, &list);
		pthread_mutex_unlock(&s->lock);
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
	for (i = 0; i < o->nshards; i++) {
		free(o->shard[i].bucket);
		pthread_mutex_destroy(&o->shard[i].lock);
	}
	pthread_mutex_destroy(&o->retire_lock);
	free(o);
	dma->priv = NULL;
}

static int opt_map(struct liommu_dma *dma, struct liommu__dma_map **mp, bool *hit)
{
	struct opt *o = dma->priv;
	struct liommu__dma_map *m = *mp, *c;
	uint64_t h = opt_hash(m->pa, m->npages, m->prot);
	struct opt_shard *s = opt_shard_of(o, h);

	pthread_mutex_lock(&s->lock);
	for (c = s->bucket[h & (s->nbuckets - 1)]; c; c = c->next)
		if (opt_key_eq(c, m))
			break;
	if (c)
		opt_unlink_locked(s, c, h);
	pthread_mutex_unlock(&s->lock);
	if (!c)
		return liommu__dma_map_fresh(dma, mp);
	/* The cached mapping is still present in the table: it becomes the
	 * live record as it is, no allocation, no PTE write, no
	 * invalidation; only the caller's offset and length are new. */
	c->off = m->off;
	c->len = m->len;
	*mp = c;
	*hit = true;
	return 0;
}

static int opt_unmap(struct liommu_dma *dma, struct liommu__dma_map *m)
{
	struct opt *o = dma->priv;
	uint64_t h = opt_hash(m->pa, m->npages, m->prot), pages = 0, due;
	struct opt_shard *s = opt_shard_of(o, h);
	struct liommu__dma_map *list = NULL, **b;
	bool over;
	int ret;

	m->t_ns = opt_stamp_ns();
	due = m->t_ns + o->half_age;
	pthread_mutex_lock(&s->lock);
	b = &s->bucket[h & (s->nbuckets - 1)];
	m->next = *b;
	*b = m;
	m->older = s->newest;
	m->newer = NULL;
	if (s->newest)
		s->newest->newer = m;
	else
		s->oldest = m;
	s->newest = m;
	s->count++;
	atomic_store_explicit(&s->pages, atomic_load_explicit(&s->pages, memory_order_relaxed) +
			      m->npages, memory_order_relaxed);
	over = s->count > s->quota;
	pthread_mutex_unlock(&s->lock);
	liommu__dma_kick(dma, due);
	if (!over)
		return 0;
	/* Over quota: the oldest batch goes (never @m: batch <= quota),
	 * unless a thread that got here first already took it. */
	pthread_mutex_lock(&o->retire_lock);
	pthread_mutex_lock(&s->lock);
	if (s->count > s->quota)
		pages = opt_pull_locked(o, s, s->batch, UINT64_MAX, &list);
	pthread_mutex_unlock(&s->lock);
	ret = opt_retire(dma, list, pages);
	pthread_mutex_unlock(&o->retire_lock);
	return ret;
}

static uint64_t opt_reclaim(struct liommu_dma *dma, uint64_t now_ns)
{
	struct opt *o = dma->priv;
	struct liommu__dma_map *list = NULL;
	uint64_t pages = 0, next = 0;
	unsigned int i;

	pthread_mutex_lock(&o->retire_lock);
	for (i = 0; i < o->nshards; i++) {
		struct opt_shard *s = &o->shard[i];

		pthread_mutex_lock(&s->lock);
		if (now_ns >= o->half_age)
			pages += opt_pull_locked(o, s, UINT32_MAX, now_ns - o->half_age, &list);
		if (s->oldest) {
			uint64_t due = s->oldest->t_ns + o->half_age;

			if (!next || due < next)
				next = due;
		}
		pthread_mutex_unlock(&s->lock);
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

	for (i = 0; i < o->nshards; i++)
		pages += atomic_load_explicit(&o->shard[i].pages, memory_order_relaxed);
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
	.unmap = opt_unmap,
	.drain = opt_drain,
	.reclaim = opt_reclaim,
	.stale_pages = opt_stale_pages,
	.bound = opt_bound,
};
