// SPDX-License-Identifier: MIT
/*
 * iova.c - the per-domain IOVA allocator: range tree, per-thread magazine
 * caches, and the state map that validates every free.
 *
 * Layers, from the bottom:
 *
 *  - The range tree (iova-tree.c) under the tree lock: every allocated,
 *    reserved or cache-owned range.  O(log n) worst case per operation.
 *
 *  - The state map: one byte per 4 KiB page frame, in a lazily built
 *    radix tree of 32 KiB leaves, saying whether a cacheable allocation
 *    (power of two, 4 KiB .. 1 MiB) starting there is live and of which
 *    order.  The fast path cannot consult the tree, yet must refuse a
 *    double free (else one IOVA would sit in a magazine twice and be
 *    handed out twice): a free claims the allocation with one
 *    compare-and-swap of its state byte (order + 1 -> 0), so of two
 *    frees of one allocation exactly one succeeds.  Leaves are never
 *    freed before the allocator, so a thread may cache a leaf pointer.
 *
 *  - Magazines (Linux's IOVA rcache; Peleg et al., "Utilizing the IOMMU
 *    Scalably", USENIX ATC 2015): for each size class, each thread has a
 *    "loaded" and a "previous" magazine of up to IOVA_MAG_SIZE IOVAs; a
 *    depot per class holds up to IOVA_DEPOT_MAX full magazines.  Alloc
 *    pops from loaded, else swaps in previous, else takes a full
 *    magazine from the depot (one this thread parked if there is one,
 *    see depot_take()), else searches the tree.  Free pushes to
 *    loaded, else swaps, else parks loaded in the depot (or, when the
 *    depot is full, returns its IOVAs to the tree).  IOVAs in magazines
 *    stay in the tree as CLASS nodes whose state byte is 0.  Linux caches
 *    sizes up to 128 KiB; here up to 1 MiB, the largest buffer a DMA
 *    strategy maps per call in the common case.
 *
 *  - Runs: a miss below 512 KiB takes from the tree, under one lock, a
 *    naturally aligned run of 128 pages (an aligned pair of cache lines
 *    of state bytes, sixteen lines of leaf PTEs) as 128 >> c CLASS
 *    nodes, returns the first and loads the rest into the thread's
 *    magazine (class_refill()).  Taking one IOVA per miss gave threads
 *    that missed together interleaved pages, whose lines then bounced
 *    between their CPUs on every free and every map for as long as the
 *    magazines recycled them.  When no run fits (a small or fragmented
 *    space), or taking one would leave less than half the space free
 *    (run_room_locked()), the miss takes one IOVA, as before, and that
 *    search flushes the caches before it fails.  The depot hands a
 *    thread back its own magazines (depot_take()), so runs stay private.
 *
 * User space has no per-CPU data with preemption control, so caches are
 * per thread.  A thread keeps a small array of slots (allocator id,
 * cache) reached through one initial-exec TLS pointer; the id is a
 * generation number unique over the process's life, so a slot of a
 * destroyed allocator never matches a live one (even at the same
 * address) and is never dereferenced.  A registry of live allocators,
 * under one global lock, decides whether a slot's cache may be touched
 * when the thread exits (pthread key destructor: the magazines go back
 * to the depot or the tree) or when the slot is evicted.
 *
 * Other threads must sometimes empty a thread's cache: a caller of
 * liommu_iova_flush_caches(), and an allocation that would fail with
 * -ENOSPC while free space sits in caches (a small space, such as a 28-bit DMA mask, must never run dry
 * because idle threads hoard IOVAs).  Linux takes a per-CPU spinlock on
 * every rcache operation for this; here the owner only raises a "busy"
 * flag and a flusher forces the ordering with membarrier(2), see
 * pc_enter().  A fast-path alloc thus performs no atomic read-modify-
 * write at all, and a fast-path free exactly one (the state claim).
 *
 * Lock order: registry -> cache list -> thread cache (flusher's lock, or
 * the owner's busy flag) -> depot[c] -> tree.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liommu/iova.h>
#include <liommu/vtd.h>

#include "iova-internal.h"

#define IOVA_SHIFT		VTD_PAGE_SHIFT
#define IOVA_NCLASS		9	/* orders 0..8: 4 KiB .. 1 MiB */
#define IOVA_MAG_SIZE		127	/* a magazine is 1 KiB (Linux: 127 too) */
#define IOVA_DEPOT_MAX		32	/* full magazines per class */
#define IOVA_TLS_SLOTS		8	/* allocators a thread caches at once */
#define IOVA_LEAF_BITS		15	/* state-map leaf: 32 KiB, 128 MiB of IOVA */
#define IOVA_LEAF_SIZE		(1u << IOVA_LEAF_BITS)
#define IOVA_MAP_BITS		12	/* state-map directory index */
#define IOVA_MAP_FANOUT		(1u << IOVA_MAP_BITS)
#define IOVA_CACHELINE		64
#define IOVA_BATCH_ORDER	7	/* a refill takes 128 pages, see class_refill() */
#define IOVA_BATCH_PAGES	(1u << IOVA_BATCH_ORDER)
#define IOVA_BATCH_SPARE_SHIFT	1	/* runs while half the space stays free */
#define IOVA_DEFAULT_WIDTH	48

_Static_assert(LIOMMU_IOVA_GRANULE == VTD_PAGE_SIZE, "granule is the VT-d page");
_Static_assert(LIOMMU_IOVA_CACHE_MAX == LIOMMU_IOVA_GRANULE << (IOVA_NCLASS - 1),
	       "size classes cover 4 KiB .. LIOMMU_IOVA_CACHE_MAX");

/*
 * The interrupt address range (spec 3.14, "Handling Requests to
 * Interrupt Address Range"): untranslated requests to 0xFEEx_xxxx are
 * interrupt requests and never translated, so no IOVA may live there.
 * It is exactly the addresses whose bits 31:20 read 0xFEE, the head of
 * the MSI address format in vtd.h.  QEMU 7.2: VTD_INTERRUPT_ADDR_FIRST
 * (0xfee00000) .. VTD_INTERRUPT_ADDR_LAST (0xfeefffff).
 */
#define IOVA_INTR_FIRST	VTD_MSI_ADDR_BASE
#define IOVA_INTR_SIZE	(VTD_MSI_ADDR_HEAD & -VTD_MSI_ADDR_HEAD)

struct iova_mag {
	uint64_t n;
	uint64_t pfn[IOVA_MAG_SIZE];
};
_Static_assert(sizeof(struct iova_mag) % IOVA_CACHELINE == 0,
	       "magazines of different threads never share a cache line");
_Static_assert(IOVA_BATCH_PAGES == 2 * IOVA_CACHELINE,
	       "a refill run covers an aligned pair of state-byte lines");
_Static_assert(IOVA_BATCH_PAGES - 1 <= IOVA_MAG_SIZE &&
	       IOVA_BATCH_ORDER <= IOVA_LEAF_BITS,
	       "a run fits an empty magazine and lies in one state-map leaf");

/* Allocator-wide counters (slow paths, and retired thread caches). */
struct iova_counters {
	_Atomic uint64_t allocs;
	_Atomic uint64_t frees;
	_Atomic uint64_t alloc_bytes;
	_Atomic uint64_t free_bytes;
	_Atomic uint64_t hits;
	_Atomic uint64_t misses;
	_Atomic uint64_t free_hits;
};

/*
 * Counters of one thread cache, per size class so the fast path bumps
 * one word per call (bytes follow from the class).  Written only by the
 * owning thread (relaxed load + store, no read-modify-write), read by
 * get_stats.  alloc[c] counts every cacheable allocation of this thread,
 * misses those that searched the tree; free[c] counts frees into a
 * magazine.
 */
struct iova_pc_counters {
	_Atomic uint64_t alloc[IOVA_NCLASS];
	_Atomic uint64_t free[IOVA_NCLASS];
	_Atomic uint64_t misses;
};

/* One thread's cache for one allocator. */
struct iova_pcache {
	/*
	 * busy: set by the owner around each fast-path operation;
	 * flush_req: raised by a flusher holding lock.  See pc_enter().
	 * lock: held by flushers, and by the owner on its slow entry.
	 * The magazines' contents belong to whoever is inside; the
	 * loaded/prev pointers change only in the owner.
	 */
	atomic_int busy;
	atomic_int flush_req;
	atomic_int lock;
	struct iova_mag *loaded[IOVA_NCLASS];
	struct iova_mag *prev[IOVA_NCLASS];
	/* owner only: the last state-map leaf used */
	uint64_t leaf_key;
	_Atomic uint8_t *leaf;
	struct iova_pc_counters cnt;
	/* a->pc_lock */
	struct iova_pcache *next;
	struct iova_pcache **pprev;
};

struct iova_slot {
	uint64_t id;			/* 0 = empty */
	struct liommu_iova *a;		/* compared, never dereferenced unless live */
	struct iova_pcache *pc;
};

struct iova_thread {
	struct iova_slot slot[IOVA_TLS_SLOTS];	/* most recently used first */
};

/*
 * from[i] is the cache that parked mag[i], compared, never dereferenced:
 * a thread takes back a magazine it parked before any other
 * (depot_take()).  NULL when that thread has exited (pcache_detach()
 * clears its tags), or for the magazines an exiting thread retires.
 */
struct iova_depot {
	pthread_mutex_t lock;
	unsigned int n;
	struct iova_mag *mag[IOVA_DEPOT_MAX];
	const struct iova_pcache *from[IOVA_DEPOT_MAX];
};

struct liommu_iova {
	/* Read-only after liommu_iova_new(): the fast path's line. */
	uint64_t id;
	uint64_t base;			/* bytes */
	uint64_t limit;			/* 2^width */
	unsigned int width;
	unsigned int flags;
	unsigned int map_levels;	/* directory levels, >= 1 */
	unsigned int map_top_bits;
	_Atomic(void *) *map_top;

	/* tree_lock */
	_Alignas(64) pthread_mutex_t tree_lock;
	struct iova_tree tree;
	uint64_t range_bytes;		/* live RANGE nodes */
	uint64_t class_bytes;		/* CLASS nodes: live and cached */
	uint64_t reserved_bytes;
	uint64_t tree_ops;

	struct iova_depot depot[IOVA_NCLASS];

	/* pc_lock */
	pthread_mutex_t pc_lock;
	struct iova_pcache *pcs;
	unsigned int npcs;

	/* iova_registry_lock */
	struct liommu_iova *reg_next;
	struct liommu_iova **reg_pprev;

	/* Slow-path and retired-thread counters. */
	struct iova_counters cnt;
	_Atomic uint64_t depot_ops;
	_Atomic uint64_t lock_acq;
	_Atomic uint64_t flushes;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static inline void cnt_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline void cnt_add_shared(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t cnt_get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Allocator-wide locks go through here so the statistics can show that
 * the fast path takes none. */
static void iova_lock(struct liommu_iova *a, pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	cnt_add_shared(&a->lock_acq, 1);
}

#if defined(__x86_64__) || defined(__i386__)
static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}
#else
static inline void cpu_relax(void)
{
	atomic_signal_fence(memory_order_seq_cst);
}
#endif

static void pc_lock(struct iova_pcache *pc)
{
	unsigned int spins = 0;

	while (atomic_exchange_explicit(&pc->lock, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&pc->lock, memory_order_relaxed)) {
			if (++spins < 64)
				cpu_relax();
			else
				sched_yield();	/* the holder may be descheduled */
		}
	}
}

static void pc_unlock(struct iova_pcache *pc)
{
	atomic_store_explicit(&pc->lock, 0, memory_order_release);
}

/*
 * Entering a thread cache: an asymmetric Dekker handshake.
 *
 * The owner, on every fast-path operation, stores busy = 1, then reads
 * flush_req; a flusher, holding the cache's lock, stores flush_req = 1,
 * then reads busy.  Dekker needs a full fence between the store and the
 * load on both sides, and a fence is as dear as the lock we want to keep
 * off the fast path.  With membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * the flusher issues the fence on the owner's behalf: the kernel makes
 * every running thread of the process execute a full barrier (a thread
 * not running passed one when it was switched out), so either the
 * flusher sees busy = 1 and waits for it to drop, or the owner sees
 * flush_req = 1 and takes the lock instead.  The owner's side is then a
 * plain store and a compiler barrier.  This is liburcu's "memb" flavour
 * and Folly's asymmetric fence; it is what lets the fast path run with no
 * atomic read-modify-write on alloc and only the state claim on free.
 *
 * Without the membarrier command (old kernel, seccomp) the owner uses a
 * sequentially consistent exchange instead: correct, one more atomic.
 *
 * Happens-before for the magazines: the owner leaves with a release
 * store of busy = 0 that the flusher's acquire load reads, and the
 * flusher leaves with a release store of flush_req = 0 (or the lock
 * release) that the owner's acquire read sees.
 */
static pthread_once_t iova_membarrier_once = PTHREAD_ONCE_INIT;
static bool iova_membarrier_registered;
static bool iova_membarrier_ok;		/* registered and in use */

static void iova_membarrier_init(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	iova_membarrier_registered =
		syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	iova_membarrier_ok = iova_membarrier_registered;
}

bool liommu__iova_use_membarrier(bool on)
{
	pthread_once(&iova_membarrier_once, iova_membarrier_init);
	iova_membarrier_ok = on && iova_membarrier_registered;
	return iova_membarrier_ok;
}

/* Returns true for the fast entry, false if it took the lock. */
static inline bool pc_enter(struct iova_pcache *pc)
{
	if (iova_membarrier_ok) {
		atomic_store_explicit(&pc->busy, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
	} else {
		atomic_exchange_explicit(&pc->busy, 1, memory_order_seq_cst);
	}
	if (!atomic_load_explicit(&pc->flush_req, memory_order_seq_cst))
		return true;
	/* A flusher is at work: wait for it, then go on under the lock. */
	atomic_store_explicit(&pc->busy, 0, memory_order_release);
	pc_lock(pc);
	return false;
}

static inline void pc_exit(struct iova_pcache *pc, bool fast)
{
	if (fast)
		atomic_store_explicit(&pc->busy, 0, memory_order_release);
	else
		pc_unlock(pc);
}

/* Flusher side, for a batch of caches: lock each and raise flush_req
 * (pc_flush_request), one barrier for all (pc_flush_fence), then wait
 * for each owner to leave (pc_flush_wait).  pc_flush_done undoes it. */
static void pc_flush_request(struct iova_pcache *pc)
{
	pc_lock(pc);
	atomic_store_explicit(&pc->flush_req, 1, memory_order_seq_cst);
}

static void pc_flush_fence(void)
{
	/* Without membarrier every access of the handshake is sequentially
	 * consistent (the owner's exchange included), which is Dekker's
	 * requirement; nothing to add here. */
	if (!iova_membarrier_ok)
		return;
	/* Registered, the expedited command only fails on a transient
	 * kernel allocation failure; the global one (an RCU grace period)
	 * gives the same guarantee more slowly.  Proceeding without either
	 * would be unsafe, so retry. */
	while (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) &&
	       syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		sched_yield();
}

static void pc_flush_wait(struct iova_pcache *pc)
{
	unsigned int spins = 0;

	while (atomic_load_explicit(&pc->busy, memory_order_seq_cst)) {
		if (++spins < 64)
			cpu_relax();
		else
			sched_yield();
	}
}

static void pc_flush_done(struct iova_pcache *pc)
{
	atomic_store_explicit(&pc->flush_req, 0, memory_order_release);
	pc_unlock(pc);
}

/* Zeroed memory in whole cache lines: per-thread structures allocated
 * side by side must not share a line (false sharing would make two
 * threads' fast paths bounce it). */
static void *zalloc_lines(size_t size)
{
	size_t len = (size + IOVA_CACHELINE - 1) & ~(size_t)(IOVA_CACHELINE - 1);
	void *p = aligned_alloc(IOVA_CACHELINE, len);

	if (p)
		memset(p, 0, len);
	return p;
}

static inline bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Size class of @npages, or -1 when not cached. */
static inline int size_class(const struct liommu_iova *a, uint64_t npages)
{
	if ((a->flags & LIOMMU_IOVA_NO_CACHE) || !is_pow2(npages) ||
	    npages > (1u << (IOVA_NCLASS - 1)))
		return -1;
	return __builtin_ctzll(npages);
}

static inline uint64_t class_bytes(int c)
{
	return LIOMMU_IOVA_GRANULE << c;
}

/* ------------------------------------------------------------------ */
/* State map                                                           */
/* ------------------------------------------------------------------ */

/*
 * Leaves are 32 KiB of state bytes (128 MiB of IOVA); directories are
 * 4096 pointers.  The top directory, allocated with the allocator, takes
 * the bits left over: 12 for a 39-bit space (one level), 9 for 48 (two),
 * 6 for 57 (three).  Nodes are installed with compare-and-swap and freed
 * only with the allocator.
 *
 * Inside a leaf the bytes are in page order, so an aligned pair of cache
 * lines holds the states of one naturally aligned run of
 * IOVA_BATCH_PAGES (128) pages.  The tree hands a thread out whole runs
 * (see class_refill()), so the fast path's compare-and-swap on a state
 * byte touches lines no other thread's IOVAs live in; an allocation of
 * 64 pages or more owns its byte's line.  (An earlier layout put the low
 * 9 bits of the page offset on top, which spread pages handed out one by
 * one across lines but made pages 512 apart share one: with runs, page
 * order is the layout that keeps threads apart.)  A free of the wrong
 * size still lands on the allocation's own byte and fails its order
 * check.
 */
static void map_geometry(struct liommu_iova *a)
{
	unsigned int key_bits = a->width - IOVA_SHIFT;

	key_bits = key_bits > IOVA_LEAF_BITS ? key_bits - IOVA_LEAF_BITS : 0;
	a->map_levels = key_bits ? (key_bits + IOVA_MAP_BITS - 1) / IOVA_MAP_BITS : 1;
	a->map_top_bits = key_bits - (a->map_levels - 1) * IOVA_MAP_BITS;
}

static inline size_t leaf_index(uint64_t pfn)
{
	return pfn & (IOVA_LEAF_SIZE - 1);
}

static void *map_install(_Atomic(void *) *slot, size_t size)
{
	void *cur = atomic_load_explicit(slot, memory_order_acquire);
	void *mine;

	if (cur)
		return cur;
	mine = calloc(1, size);
	if (!mine)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(slot, &cur, mine,
						    memory_order_acq_rel,
						    memory_order_acquire))
		return mine;
	free(mine);	/* another thread installed one first */
	return cur;
}

/* The leaf holding pfns [key << 15, (key + 1) << 15), or NULL. */
static _Atomic uint8_t *map_walk(struct liommu_iova *a, uint64_t key, bool create)
{
	_Atomic(void *) *slot;
	unsigned int l = a->map_levels - 1;
	void *p;

	slot = &a->map_top[(key >> (l * IOVA_MAP_BITS)) &
			   ((1ULL << a->map_top_bits) - 1)];
	for (; l > 0; l--) {
		p = create ? map_install(slot, IOVA_MAP_FANOUT * sizeof(*slot))
			   : atomic_load_explicit(slot, memory_order_acquire);
		if (!p)
			return NULL;
		slot = (_Atomic(void *) *)p +
		       ((key >> ((l - 1) * IOVA_MAP_BITS)) & (IOVA_MAP_FANOUT - 1));
	}
	return create ? map_install(slot, IOVA_LEAF_SIZE)
		      : atomic_load_explicit(slot, memory_order_acquire);
}

static void map_free_level(_Atomic(void *) *dir, unsigned int entries,
			   unsigned int depth)
{
	for (unsigned int i = 0; i < entries; i++) {
		void *p = atomic_load_explicit(&dir[i], memory_order_relaxed);

		if (!p)
			continue;
		if (depth)
			map_free_level(p, IOVA_MAP_FANOUT, depth - 1);
		free(p);
	}
}

/* The state byte of @pfn, through @pc's leaf cache when given. */
static _Atomic uint8_t *state_of(struct liommu_iova *a, struct iova_pcache *pc,
				 uint64_t pfn, bool create)
{
	uint64_t key = pfn >> IOVA_LEAF_BITS;
	_Atomic uint8_t *leaf;

	if (pc && pc->leaf && pc->leaf_key == key)
		return &pc->leaf[leaf_index(pfn)];
	leaf = map_walk(a, key, create);
	if (!leaf)
		return NULL;
	if (pc) {
		pc->leaf = leaf;
		pc->leaf_key = key;
	}
	return &leaf[leaf_index(pfn)];
}

static uint8_t state_peek(struct liommu_iova *a, uint64_t pfn)
{
	_Atomic uint8_t *st = state_of(a, NULL, pfn, false);

	return st ? atomic_load_explicit(st, memory_order_acquire) : 0;
}

/* ------------------------------------------------------------------ */
/* Tree-level operations (take the tree lock)                          */
/* ------------------------------------------------------------------ */

static void account_insert_locked(struct liommu_iova *a, const struct iova_node *n)
{
	uint64_t bytes = (n->pfn_end - n->pfn) << IOVA_SHIFT;

	if (n->kind == IOVA_KIND_RANGE)
		a->range_bytes += bytes;
	else if (n->kind == IOVA_KIND_CLASS)
		a->class_bytes += bytes;
	else if (n->kind == IOVA_KIND_RESERVED)
		a->reserved_bytes += bytes;
	a->tree_ops++;
}

static void erase_locked(struct liommu_iova *a, struct iova_node *n)
{
	uint64_t bytes = (n->pfn_end - n->pfn) << IOVA_SHIFT;

	if (n->kind == IOVA_KIND_RANGE)
		a->range_bytes -= bytes;
	else if (n->kind == IOVA_KIND_CLASS)
		a->class_bytes -= bytes;
	liommu__iova_tree_erase(&a->tree, n);
	a->tree_ops++;
}

/*
 * Return @npg cached IOVAs of class @c to the tree.  Each must be a CLASS
 * node owned by the caches (state 0); anything else means a bug here,
 * and such an entry is dropped rather than freeing someone's range.
 */
static unsigned int release_to_tree(struct liommu_iova *a, int c,
				    const uint64_t *pfns, unsigned int npg)
{
	struct iova_node *dead = NULL, *n;
	unsigned int done = 0;

	if (!npg)
		return 0;
	iova_lock(a, &a->tree_lock);
	for (unsigned int i = 0; i < npg; i++) {
		n = liommu__iova_tree_lookup(&a->tree, pfns[i]);
		if (!n || n->kind != IOVA_KIND_CLASS ||
		    n->pfn_end - n->pfn != 1ULL << c || state_peek(a, n->pfn))
			continue;
		erase_locked(a, n);
		n->left = dead;
		dead = n;
		done++;
	}
	pthread_mutex_unlock(&a->tree_lock);
	while (dead) {
		n = dead;
		dead = n->left;
		free(n);
	}
	return done;
}

static unsigned int mag_release(struct liommu_iova *a, int c, struct iova_mag *m)
{
	unsigned int done;

	if (!m || !m->n)
		return 0;
	done = release_to_tree(a, c, m->pfn, m->n);
	m->n = 0;
	return done;
}

/* Give every cached IOVA back to the tree.  Returns how many. */
static unsigned int flush_all(struct liommu_iova *a)
{
	struct iova_mag *mags[IOVA_DEPOT_MAX];
	unsigned int done = 0, n;
	struct iova_pcache *pc;

	iova_lock(a, &a->pc_lock);
	for (pc = a->pcs; pc; pc = pc->next)
		pc_flush_request(pc);
	if (a->pcs)
		pc_flush_fence();
	for (pc = a->pcs; pc; pc = pc->next) {
		pc_flush_wait(pc);
		for (int c = 0; c < IOVA_NCLASS; c++) {
			done += mag_release(a, c, pc->loaded[c]);
			done += mag_release(a, c, pc->prev[c]);
		}
		pc_flush_done(pc);
	}
	pthread_mutex_unlock(&a->pc_lock);

	for (int c = 0; c < IOVA_NCLASS; c++) {
		struct iova_depot *d = &a->depot[c];

		iova_lock(a, &d->lock);
		n = d->n;
		memcpy(mags, d->mag, n * sizeof(mags[0]));
		d->n = 0;
		pthread_mutex_unlock(&d->lock);
		if (n)
			cnt_add_shared(&a->depot_ops, n);
		for (unsigned int i = 0; i < n; i++) {
			done += mag_release(a, c, mags[i]);
			free(mags[i]);
		}
	}
	cnt_add_shared(&a->flushes, 1);
	return done;
}

/*
 * Insert a new range of @npages found by first fit (@order >= 0: naturally
 * aligned).  When nothing fits and caches may hold free space, flush them
 * all and search once more.
 */
static int tree_alloc(struct liommu_iova *a, uint64_t npages, int order,
		      enum iova_kind kind, uint64_t *pfn)
{
	bool top_down = a->flags & LIOMMU_IOVA_TOP_DOWN;
	struct iova_node *n, *succ;

	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (int attempt = 0;; attempt++) {
		iova_lock(a, &a->tree_lock);
		succ = liommu__iova_tree_find_fit(&a->tree, npages, order,
						  top_down, pfn);
		if (succ) {
			n->pfn = *pfn;
			n->pfn_end = *pfn + npages;
			n->kind = kind;
			liommu__iova_tree_insert_before(&a->tree, succ, n);
			account_insert_locked(a, n);
			pthread_mutex_unlock(&a->tree_lock);
			return 0;
		}
		pthread_mutex_unlock(&a->tree_lock);
		if (attempt || (a->flags & LIOMMU_IOVA_NO_CACHE) || !flush_all(a))
			break;
	}
	free(n);
	return -ENOSPC;
}

/*
 * Whether a run of @npages may be taken: only while, after it, at least
 * half the space is outside the tree (neither live, cached nor
 * reserved).  Runs spread small IOVAs over 512 KiB blocks instead of
 * packing them first fit, so a fuller space lost the aligned blocks its
 * large allocations need: check-iova's 64 MiB four-thread stress (sizes
 * 4 KiB .. 2 MiB) failed with -ENOSPC 700-1150 times per 400000
 * operations with single IOVAs, 3000-4500 with runs down to 1/16 or 1/4
 * of the space free, 740-900 with this rule.  Past it a miss takes one
 * IOVA, as before runs existed.
 */
static bool run_room_locked(const struct liommu_iova *a, uint64_t npages)
{
	uint64_t space = a->tree.end_pfn - a->tree.base_pfn;
	uint64_t used = (a->range_bytes + a->class_bytes + a->reserved_bytes) >> IOVA_SHIFT;

	return used + npages + (space >> IOVA_BATCH_SPARE_SHIFT) <= space;
}

/*
 * Insert @count CLASS nodes of class @c that tile one free, naturally
 * aligned run of @count << @c pages (lowest run first, or highest with
 * TOP_DOWN), under one tree-lock acquisition.  @nodes are the caller's,
 * all consumed on success.  No flush: when no run fits, the caller falls
 * back to one IOVA, whose search flushes before giving up.
 * Returns true and the run's first pfn, or false.
 */
static bool tree_alloc_run(struct liommu_iova *a, int c, unsigned int count,
			   struct iova_node **nodes, uint64_t *pfn)
{
	bool top_down = a->flags & LIOMMU_IOVA_TOP_DOWN;
	uint64_t npages = (uint64_t)count << c;
	struct iova_node *succ = NULL;

	iova_lock(a, &a->tree_lock);
	if (run_room_locked(a, npages))
		succ = liommu__iova_tree_find_fit(&a->tree, npages,
						  __builtin_ctzll(npages), top_down, pfn);
	/* Ascending, each in front of succ: its gap only shrinks from below. */
	for (unsigned int i = 0; succ && i < count; i++) {
		nodes[i]->pfn = *pfn + ((uint64_t)i << c);
		nodes[i]->pfn_end = nodes[i]->pfn + (1ULL << c);
		nodes[i]->kind = IOVA_KIND_CLASS;
		liommu__iova_tree_insert_before(&a->tree, succ, nodes[i]);
		account_insert_locked(a, nodes[i]);
	}
	pthread_mutex_unlock(&a->tree_lock);
	return succ;
}

/* Remove a CLASS node whose state this thread just claimed. */
static void tree_release_class(struct liommu_iova *a, uint64_t pfn, int c)
{
	release_to_tree(a, c, &pfn, 1);
}

/* The slow free: validate against the tree and remove a RANGE node. */
static int tree_free(struct liommu_iova *a, uint64_t pfn, uint64_t npages)
{
	struct iova_node *n;
	int err = 0;

	iova_lock(a, &a->tree_lock);
	n = liommu__iova_tree_lookup(&a->tree, pfn);
	if (!n || n->kind == IOVA_KIND_END)
		err = -ENOENT;
	else if (n->kind == IOVA_KIND_RESERVED || n->pfn_end - n->pfn != npages)
		err = -EINVAL;
	else if (n->kind == IOVA_KIND_CLASS)
		err = -ENOENT;	/* right size, but its state byte was not live */
	else
		erase_locked(a, n);
	pthread_mutex_unlock(&a->tree_lock);
	if (!err)
		free(n);
	return err;
}

/*
 * The first node overlapping [pfn, end) that is in the way: live
 * allocations always, reserved ranges unless @reserved_ok.  *@cached
 * tells whether cache-owned CLASS nodes (free from the caller's view)
 * overlap, which a flush would remove.
 */
static struct iova_node *overlap_live_locked(struct liommu_iova *a, uint64_t pfn,
					     uint64_t end, bool reserved_ok,
					     bool *cached)
{
	struct iova_node *y = liommu__iova_tree_first_after(&a->tree, pfn);

	*cached = false;
	for (; y && y->pfn < end; y = liommu__iova_tree_next(y)) {
		if (y->kind == IOVA_KIND_RESERVED && reserved_ok)
			continue;
		if (y->kind != IOVA_KIND_CLASS || state_peek(a, y->pfn))
			return y;
		*cached = true;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Registry and thread caches                                          */
/* ------------------------------------------------------------------ */

static pthread_mutex_t iova_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct liommu_iova *iova_registry;		/* registry lock */
static _Atomic uint64_t iova_next_id = 1;
static pthread_once_t iova_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t iova_key;
static bool iova_key_ok;
static __thread struct iova_thread *iova_self
	__attribute__((tls_model("initial-exec")));

static bool registry_alive_locked(const struct liommu_iova *a, uint64_t id)
{
	for (const struct liommu_iova *r = iova_registry; r; r = r->reg_next)
		if (r == a)
			return r->id == id;
	return false;
}

/*
 * Retire a thread's magazine: a full one goes to the depot (which, as in
 * Linux, holds only full magazines, so a depot exchange always yields a
 * whole magazine), a partial one or one the depot has no room for gives
 * its IOVAs back to the tree.  Consumes @m.
 */
static void mag_retire(struct liommu_iova *a, int c, struct iova_mag *m)
{
	struct iova_depot *d = &a->depot[c];
	bool parked = false;

	if (!m)
		return;
	if (m->n == IOVA_MAG_SIZE) {
		iova_lock(a, &d->lock);
		if (d->n < IOVA_DEPOT_MAX) {
			d->from[d->n] = NULL;
			d->mag[d->n++] = m;
			parked = true;
		}
		pthread_mutex_unlock(&d->lock);
		if (parked) {
			cnt_add_shared(&a->depot_ops, 1);
			return;
		}
	}
	mag_release(a, c, m);
	free(m);
}

static void counters_fold(struct iova_counters *to, const struct iova_counters *from)
{
	cnt_add_shared(&to->allocs, cnt_get(&from->allocs));
	cnt_add_shared(&to->frees, cnt_get(&from->frees));
	cnt_add_shared(&to->alloc_bytes, cnt_get(&from->alloc_bytes));
	cnt_add_shared(&to->free_bytes, cnt_get(&from->free_bytes));
	cnt_add_shared(&to->hits, cnt_get(&from->hits));
	cnt_add_shared(&to->misses, cnt_get(&from->misses));
	cnt_add_shared(&to->free_hits, cnt_get(&from->free_hits));
}

static void counters_fold_pc(struct iova_counters *to, const struct iova_pc_counters *from)
{
	uint64_t allocs = 0, frees = 0, abytes = 0, fbytes = 0;
	uint64_t misses = cnt_get(&from->misses);

	for (int c = 0; c < IOVA_NCLASS; c++) {
		uint64_t na = cnt_get(&from->alloc[c]), nf = cnt_get(&from->free[c]);

		allocs += na;
		frees += nf;
		abytes += na * class_bytes(c);
		fbytes += nf * class_bytes(c);
	}
	cnt_add_shared(&to->allocs, allocs);
	cnt_add_shared(&to->frees, frees);
	cnt_add_shared(&to->alloc_bytes, abytes);
	cnt_add_shared(&to->free_bytes, fbytes);
	cnt_add_shared(&to->hits, allocs - misses);
	cnt_add_shared(&to->misses, misses);
	cnt_add_shared(&to->free_hits, frees);
}

/* @pc is going away: its parked magazines become anybody's. */
static void depot_disown(struct liommu_iova *a, struct iova_pcache *pc, int c)
{
	struct iova_depot *d = &a->depot[c];

	iova_lock(a, &d->lock);
	for (unsigned int i = 0; i < d->n; i++)
		if (d->from[i] == pc)
			d->from[i] = NULL;
	pthread_mutex_unlock(&d->lock);
}

/*
 * Hand a thread's cache back to its (live) allocator and free it: the
 * magazines go to the depot or the tree, the counters to the allocator.
 * Called by the owning thread, with the registry lock held so the
 * allocator cannot be destroyed meanwhile.
 */
static void pcache_detach(struct liommu_iova *a, struct iova_pcache *pc)
{
	iova_lock(a, &a->pc_lock);
	*pc->pprev = pc->next;
	if (pc->next)
		pc->next->pprev = pc->pprev;
	a->npcs--;
	pthread_mutex_unlock(&a->pc_lock);
	/* Unlinked under pc_lock: no flusher can reach pc any more. */
	for (int c = 0; c < IOVA_NCLASS; c++) {
		if (pc->loaded[c])	/* else it never parked one */
			depot_disown(a, pc, c);
		mag_retire(a, c, pc->loaded[c]);
		mag_retire(a, c, pc->prev[c]);
	}
	counters_fold_pc(&a->cnt, &pc->cnt);
	free(pc);
}

static void iova_thread_exit(void *p)
{
	struct iova_thread *t = p;

	pthread_mutex_lock(&iova_registry_lock);
	for (int i = 0; i < IOVA_TLS_SLOTS; i++) {
		struct iova_slot *s = &t->slot[i];

		if (s->id && registry_alive_locked(s->a, s->id))
			pcache_detach(s->a, s->pc);
	}
	pthread_mutex_unlock(&iova_registry_lock);
	iova_self = NULL;
	free(t);
}

static void iova_key_create(void)
{
	iova_key_ok = pthread_key_create(&iova_key, iova_thread_exit) == 0;
}

/* A process exit with threads still running must not run our destructor
 * from unmapped code if the library was dlclose()d: drop the key. */
__attribute__((destructor)) static void iova_lib_fini(void)
{
	if (iova_key_ok)
		pthread_key_delete(iova_key);
}

static struct iova_thread *thread_init(void)
{
	struct iova_thread *t;

	pthread_once(&iova_key_once, iova_key_create);
	if (!iova_key_ok)
		return NULL;
	t = zalloc_lines(sizeof(*t));
	if (!t)
		return NULL;
	if (pthread_setspecific(iova_key, t)) {
		free(t);
		return NULL;
	}
	iova_self = t;
	return t;
}

/* Free a slot: drop one whose allocator is gone, else evict the last one
 * (hits move slots to the front, so it is one not used lately); its cache
 * goes back to its allocator. */
static struct iova_slot *slot_reclaim(struct liommu_iova *a, struct iova_thread *t)
{
	struct iova_slot *s = NULL;

	iova_lock(a, &iova_registry_lock);
	for (int i = IOVA_TLS_SLOTS - 1; i >= 0; i--) {
		if (!registry_alive_locked(t->slot[i].a, t->slot[i].id)) {
			s = &t->slot[i];
			break;
		}
	}
	if (!s) {
		s = &t->slot[IOVA_TLS_SLOTS - 1];
		pcache_detach(s->a, s->pc);
	}
	pthread_mutex_unlock(&iova_registry_lock);
	s->id = 0;
	return s;
}

/* Slow path of pcache_get(): give this thread a cache for @a.  NULL when
 * memory or the TLS key is short; callers then use the tree directly. */
static struct iova_pcache *pcache_attach(struct liommu_iova *a)
{
	struct iova_thread *t = iova_self;
	struct iova_slot *s = NULL, tmp;
	struct iova_pcache *pc;

	if (!t && !(t = thread_init()))
		return NULL;
	for (int i = 0; i < IOVA_TLS_SLOTS && !s; i++)
		if (!t->slot[i].id)
			s = &t->slot[i];
	if (!s)
		s = slot_reclaim(a, t);
	pc = zalloc_lines(sizeof(*pc));
	if (!pc)
		return NULL;
	iova_lock(a, &a->pc_lock);
	pc->next = a->pcs;
	if (a->pcs)
		a->pcs->pprev = &pc->next;
	pc->pprev = &a->pcs;
	a->pcs = pc;
	a->npcs++;
	pthread_mutex_unlock(&a->pc_lock);
	*s = (struct iova_slot){ .id = a->id, .a = a, .pc = pc };
	tmp = *s;
	*s = t->slot[0];
	t->slot[0] = tmp;
	return pc;
}

/* This thread's cache for @a: one TLS load and an id compare when hot. */
static inline struct iova_pcache *pcache_get(struct liommu_iova *a)
{
	struct iova_thread *t = iova_self;

	if (t) {
		if (t->slot[0].id == a->id)
			return t->slot[0].pc;
		for (int i = 1; i < IOVA_TLS_SLOTS; i++) {
			if (t->slot[i].id == a->id) {
				struct iova_slot s = t->slot[i];

				t->slot[i] = t->slot[0];
				t->slot[0] = s;
				return s.pc;
			}
		}
	}
	return pcache_attach(a);
}

/* ------------------------------------------------------------------ */
/* Magazine operations (the fast path)                                 */
/* ------------------------------------------------------------------ */

/* Magazines are allocated one by one: they travel between threads and
 * the depot, so each must be freeable alone. */
static int mags_init(struct iova_pcache *pc, int c)
{
	struct iova_mag *l = zalloc_lines(sizeof(*l)), *p = zalloc_lines(sizeof(*p));

	if (!l || !p) {
		free(l);
		free(p);
		return -ENOMEM;
	}
	l->n = p->n = 0;
	pc_lock(pc);
	pc->loaded[c] = l;
	pc->prev[c] = p;
	pc_unlock(pc);
	return 0;
}

static inline void mag_swap(struct iova_pcache *pc, int c)
{
	struct iova_mag *m = pc->loaded[c];

	pc->loaded[c] = pc->prev[c];
	pc->prev[c] = m;
}

/*
 * Both magazines empty: trade the loaded one for a full one from the
 * depot: the latest this thread parked if any is left, else the latest
 * of all, but not another live thread's lone magazine.
 *
 * Why not simply the latest: threads that free in bursts (DEFERRED's
 * flush queue) park a magazine at the end of each burst and take it back
 * at the start of the next, so a LIFO depot swapped their magazines every
 * round and mixed their IOVAs, undoing class_refill()'s private runs; the
 * state bytes and PTE lines were shared between CPUs again.  Why leave a
 * live thread's lone magazine: that is a burst thread's between two
 * bursts, and a thread that started later (with none of its own yet)
 * took it; a run from the tree serves that one instead.  When one thread
 * frees what another allocates, magazines pile up and still travel, one
 * behind; an exited thread's travel at once.
 * Called inside the cache (pc_enter).
 */
static bool depot_take(struct liommu_iova *a, struct iova_pcache *pc, int c,
		       struct iova_mag **spare)
{
	struct iova_depot *d = &a->depot[c];
	struct iova_mag *full = NULL;
	unsigned int i;

	iova_lock(a, &d->lock);
	if (d->n) {
		for (i = d->n - 1; i > 0 && d->from[i] != pc; i--)
			;
		if (d->from[i] != pc)
			i = d->n - 1;
	}
	if (d->n && (d->from[i] == pc || !d->from[i] || d->n > 1)) {
		full = d->mag[i];
		d->n--;
		memmove(&d->mag[i], &d->mag[i + 1], (d->n - i) * sizeof(d->mag[0]));
		memmove(&d->from[i], &d->from[i + 1], (d->n - i) * sizeof(d->from[0]));
	}
	pthread_mutex_unlock(&d->lock);
	if (!full)
		return false;
	cnt_add_shared(&a->depot_ops, 1);
	*spare = pc->loaded[c];		/* empty; freed after unlock */
	pc->loaded[c] = full;
	return true;
}

/*
 * Both magazines full: park the loaded one in the depot and continue
 * with @empty, or, when the depot is full, return the loaded one's IOVAs
 * to the tree.  Called inside the cache (pc_enter); consumes @empty or
 * not (*used).
 */
static void depot_put(struct liommu_iova *a, struct iova_pcache *pc, int c,
		      struct iova_mag *empty, bool *used)
{
	struct iova_depot *d = &a->depot[c];
	bool parked = false;

	*used = false;
	if (empty) {
		iova_lock(a, &d->lock);
		if (d->n < IOVA_DEPOT_MAX) {
			d->from[d->n] = pc;
			d->mag[d->n++] = pc->loaded[c];
			parked = true;
		}
		pthread_mutex_unlock(&d->lock);
	}
	if (parked) {
		cnt_add_shared(&a->depot_ops, 1);
		empty->n = 0;
		pc->loaded[c] = empty;
		*used = true;
		return;
	}
	mag_release(a, c, pc->loaded[c]);
}

static bool cache_get(struct liommu_iova *a, struct iova_pcache *pc, int c,
		      uint64_t *pfn)
{
	struct iova_mag *m, *spare = NULL;
	bool got = true, fast;

	if (!pc->loaded[c] && mags_init(pc, c))
		return false;
	fast = pc_enter(pc);
	m = pc->loaded[c];
	if (!m->n) {
		if (pc->prev[c]->n)
			mag_swap(pc, c);
		else if (!depot_take(a, pc, c, &spare))
			got = false;
		m = pc->loaded[c];
	}
	if (got)
		*pfn = m->pfn[--m->n];
	pc_exit(pc, fast);
	free(spare);
	return got;
}

static void cache_put(struct liommu_iova *a, struct iova_pcache *pc, int c,
		      uint64_t pfn)
{
	struct iova_mag *m, *empty = NULL;
	bool used = true, fast;

	fast = pc_enter(pc);
	m = pc->loaded[c];
	if (m->n == IOVA_MAG_SIZE) {
		if (pc->prev[c]->n < IOVA_MAG_SIZE) {
			mag_swap(pc, c);
		} else {
			/* Rare (once per IOVA_MAG_SIZE frees at most): the
			 * allocation happens inside our critical section,
			 * which only a flusher could be waiting for. */
			empty = zalloc_lines(sizeof(*empty));
			depot_put(a, pc, c, empty, &used);
		}
		m = pc->loaded[c];
	}
	m->pfn[m->n++] = pfn;
	pc_exit(pc, fast);
	if (!used)
		free(empty);
}

/*
 * A miss of class @c < IOVA_BATCH_ORDER: take a whole aligned run of
 * IOVA_BATCH_PAGES pages from the tree, hand the first IOVA to the caller
 * and load the rest into the (empty) loaded magazine, last first, so the
 * thread consumes the run in ascending order.
 *
 * Why: a miss that took one IOVA gave two threads missing together
 * interleaved pages, and the magazines recycle IOVAs forever, so their
 * state bytes (64 pages per cache line) and leaf PTEs (8 per line)
 * stayed shared: every free's compare-and-swap and every map's PTE store
 * pulled the line from the other CPU.  A run is two state-byte lines and
 * sixteen PTE lines that only this thread touches.  Why 128 pages, not
 * the 64 of one state-byte line: with 64, two threads' runs shared the
 * aligned 128-byte pairs of state-byte lines that the CPU's adjacent-
 * line prefetch fetches together, and bench-dma's DEFERRED scaled less
 * (two threads: 1.36-1.60x against 1.55-1.74x, four alternating rounds);
 * 128 - 1 IOVAs of 4 KiB exactly fill an empty magazine.
 *
 * Return: 0 with *@pfn and its state byte *@st (not yet marked live);
 * -ENOSPC when no run is free or the nodes cannot be allocated (the
 * caller takes one IOVA instead, which flushes the caches before it
 * fails: a small space never runs dry because of runs); -ENOMEM when the
 * state map cannot grow (nothing allocated then).
 */
static int class_refill(struct liommu_iova *a, struct iova_pcache *pc, int c,
			uint64_t *pfn, _Atomic uint8_t **st)
{
	unsigned int count = IOVA_BATCH_PAGES >> c, i, pushed = 0;
	struct iova_node *nodes[IOVA_BATCH_PAGES];
	uint64_t run[IOVA_BATCH_PAGES];
	struct iova_mag *m;
	bool fast;

	for (i = 0; i < count; i++) {
		nodes[i] = malloc(sizeof(*nodes[i]));
		if (!nodes[i])
			break;
	}
	if (i < count || !tree_alloc_run(a, c, count, nodes, pfn)) {
		while (i--)
			free(nodes[i]);
		return -ENOSPC;
	}
	for (i = 0; i < count; i++)
		run[i] = *pfn + ((uint64_t)i << c);
	/* The run lies in one leaf: this creates it for the whole run, so
	 * the fast path finds it when it pops them (cache_get). */
	*st = state_of(a, pc, *pfn, true);
	if (!*st) {
		release_to_tree(a, c, run, count);
		return -ENOMEM;
	}
	fast = pc_enter(pc);
	m = pc->loaded[c];
	/* Empty: cache_get() just failed and only flushers, which empty
	 * it, touched it since.  Checked all the same. */
	for (i = count - 1; i > 0 && m->n < IOVA_MAG_SIZE; i--, pushed++)
		m->pfn[m->n++] = run[i];
	pc_exit(pc, fast);
	if (pushed < count - 1)
		release_to_tree(a, c, run + 1, count - 1 - pushed);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

int liommu_iova_reserve(struct liommu_iova *a, uint64_t start, uint64_t size)
{
	struct iova_node **nodes = NULL, *y;
	uint64_t lo, hi, pfn, end;
	size_t pieces = 0, i;
	bool cached;
	int err = 0;

	if (!a || !size || (start | size) & (LIOMMU_IOVA_GRANULE - 1))
		return -EINVAL;
	if (start + size < start)
		return -ERANGE;
	lo = start > a->base ? start : a->base;
	hi = start + size < a->limit ? start + size : a->limit;
	if (lo >= hi)
		return 0;
	pfn = lo >> IOVA_SHIFT;
	end = hi >> IOVA_SHIFT;

	for (int attempt = 0;; attempt++) {
		iova_lock(a, &a->tree_lock);
		if (overlap_live_locked(a, pfn, end, true, &cached)) {
			err = -EBUSY;
			goto out;
		}
		if (!cached)
			break;
		pthread_mutex_unlock(&a->tree_lock);
		if (attempt)
			return -EBUSY;	/* caches refilled under us */
		flush_all(a);
	}
	/*
	 * All-or-nothing: count the free pieces of [pfn, end) (the gaps in
	 * front of the nodes from first_after(pfn) until one reaches end),
	 * allocate them all, then insert.
	 */
	for (y = liommu__iova_tree_first_after(&a->tree, pfn); y;
	     y = liommu__iova_tree_next(y)) {
		if ((y->gap_lo > pfn ? y->gap_lo : pfn) < (y->pfn < end ? y->pfn : end))
			pieces++;
		if (y->pfn_end >= end)
			break;
	}
	if (!pieces)
		goto out;
	nodes = calloc(pieces, sizeof(*nodes));
	for (i = 0; nodes && i < pieces; i++) {
		nodes[i] = malloc(sizeof(**nodes));
		if (!nodes[i])
			break;
	}
	if (!nodes || i < pieces) {
		err = -ENOMEM;
		goto out;
	}
	i = 0;
	for (y = liommu__iova_tree_first_after(&a->tree, pfn); y;
	     y = liommu__iova_tree_next(y)) {
		uint64_t plo = y->gap_lo > pfn ? y->gap_lo : pfn;
		uint64_t phi = y->pfn < end ? y->pfn : end;

		if (plo < phi) {
			struct iova_node *n = nodes[i++];

			n->pfn = plo;
			n->pfn_end = phi;
			n->kind = IOVA_KIND_RESERVED;
			/* y stays the successor: only its gap shrinks */
			liommu__iova_tree_insert_before(&a->tree, y, n);
			account_insert_locked(a, n);
		}
		if (y->pfn_end >= end)
			break;
	}
	free(nodes);
	nodes = NULL;
out:
	pthread_mutex_unlock(&a->tree_lock);
	if (nodes) {
		for (i = 0; i < pieces && nodes[i]; i++)
			free(nodes[i]);
		free(nodes);
	}
	return err;
}

int liommu_iova_new(const struct liommu_iova_config *cfg, struct liommu_iova **out)
{
	struct liommu_iova_config def = { 0 };
	struct liommu_iova *a;
	uint64_t base;
	unsigned int width;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &def;
	width = cfg->width ? cfg->width : IOVA_DEFAULT_WIDTH;
	if (width < LIOMMU_IOVA_WIDTH_MIN || width > LIOMMU_IOVA_WIDTH_MAX)
		return -EINVAL;
	if (cfg->flags & ~LIOMMU_IOVA_FLAGS_ALL)
		return -EINVAL;
	base = cfg->base;
	if (!base && !(cfg->flags & LIOMMU_IOVA_ALLOW_ZERO))
		base = LIOMMU_IOVA_GRANULE;
	if (base & (LIOMMU_IOVA_GRANULE - 1) || base >= 1ULL << width)
		return -EINVAL;

	pthread_once(&iova_membarrier_once, iova_membarrier_init);
	a = zalloc_lines(sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->base = base;
	a->width = width;
	a->limit = 1ULL << width;
	a->flags = cfg->flags;
	map_geometry(a);
	a->map_top = calloc(1ULL << a->map_top_bits, sizeof(*a->map_top));
	if (!a->map_top) {
		free(a);
		return -ENOMEM;
	}
	pthread_mutex_init(&a->tree_lock, NULL);
	pthread_mutex_init(&a->pc_lock, NULL);
	for (int c = 0; c < IOVA_NCLASS; c++)
		pthread_mutex_init(&a->depot[c].lock, NULL);
	liommu__iova_tree_init(&a->tree, base >> IOVA_SHIFT, a->limit >> IOVA_SHIFT);
	a->id = atomic_fetch_add(&iova_next_id, 1);

	if (!(a->flags & LIOMMU_IOVA_NO_INTR_RESERVE)) {
		err = liommu_iova_reserve(a, IOVA_INTR_FIRST, IOVA_INTR_SIZE);
		if (err) {
			/* not yet registered; destroy unlinks a lone node */
			a->reg_pprev = &a->reg_next;
			liommu_iova_destroy(a);
			return err;
		}
	}

	pthread_mutex_lock(&iova_registry_lock);
	a->reg_next = iova_registry;
	if (iova_registry)
		iova_registry->reg_pprev = &a->reg_next;
	a->reg_pprev = &iova_registry;
	iova_registry = a;
	pthread_mutex_unlock(&iova_registry_lock);
	*out = a;
	return 0;
}

void liommu_iova_destroy(struct liommu_iova *a)
{
	struct iova_pcache *pc, *next;

	if (!a)
		return;
	/* After this no exiting thread will touch a's caches; one that is
	 * detaching right now holds the lock until it is done. */
	pthread_mutex_lock(&iova_registry_lock);
	*a->reg_pprev = a->reg_next;
	if (a->reg_next)
		a->reg_next->reg_pprev = a->reg_pprev;
	pthread_mutex_unlock(&iova_registry_lock);
	/* The calling thread's own slot can be emptied now; other threads'
	 * slots go stale, recognised by the id. */
	if (iova_self)
		for (int i = 0; i < IOVA_TLS_SLOTS; i++)
			if (iova_self->slot[i].id == a->id)
				iova_self->slot[i].id = 0;

	for (pc = a->pcs; pc; pc = next) {
		next = pc->next;
		for (int c = 0; c < IOVA_NCLASS; c++) {
			free(pc->loaded[c]);
			free(pc->prev[c]);
		}
		free(pc);
	}
	for (int c = 0; c < IOVA_NCLASS; c++) {
		for (unsigned int i = 0; i < a->depot[c].n; i++)
			free(a->depot[c].mag[i]);
		pthread_mutex_destroy(&a->depot[c].lock);
	}
	liommu__iova_tree_fini(&a->tree);
	map_free_level(a->map_top, 1u << a->map_top_bits, a->map_levels - 1);
	free(a->map_top);
	pthread_mutex_destroy(&a->tree_lock);
	pthread_mutex_destroy(&a->pc_lock);
	free(a);
}

static int check_range(const struct liommu_iova *a, uint64_t iova, uint64_t size)
{
	if (!size || (iova | size) & (LIOMMU_IOVA_GRANULE - 1))
		return -EINVAL;
	if (iova < a->base || iova >= a->limit || size > a->limit - iova)
		return -ERANGE;
	return 0;
}

int liommu_iova_alloc(struct liommu_iova *a, uint64_t size, uint64_t *iova)
{
	struct iova_pcache *pc = NULL;
	_Atomic uint8_t *st;
	uint64_t npages, pfn;
	int c, err;

	if (!a || !iova || !size || size & (LIOMMU_IOVA_GRANULE - 1))
		return -EINVAL;
	if (size > a->limit - a->base)
		return -ENOSPC;
	npages = size >> IOVA_SHIFT;
	c = size_class(a, npages);
	if (c < 0) {
		err = tree_alloc(a, npages, is_pow2(npages) ? __builtin_ctzll(npages) : -1,
				 IOVA_KIND_RANGE, &pfn);
		if (err)
			return err;
		cnt_add_shared(&a->cnt.allocs, 1);
		cnt_add_shared(&a->cnt.alloc_bytes, size);
		*iova = pfn << IOVA_SHIFT;
		return 0;
	}

	pc = pcache_get(a);
	if (pc && cache_get(a, pc, c, &pfn)) {
		/* The leaf exists: the IOVA came from the tree as a CLASS
		 * node, whose allocation (or run) created it. */
		st = state_of(a, pc, pfn, true);
		atomic_store_explicit(st, (uint8_t)(c + 1), memory_order_release);
		cnt_add(&pc->cnt.alloc[c], 1);
		*iova = pfn << IOVA_SHIFT;
		return 0;
	}

	err = -ENOSPC;
	if (pc && pc->loaded[c] && c < IOVA_BATCH_ORDER)
		err = class_refill(a, pc, c, &pfn, &st);
	if (err == -ENOMEM)
		return err;
	if (err) {
		err = tree_alloc(a, npages, c, IOVA_KIND_CLASS, &pfn);
		if (err)
			return err;
		st = state_of(a, pc, pfn, true);
		if (!st) {
			tree_release_class(a, pfn, c);
			return -ENOMEM;
		}
	}
	atomic_store_explicit(st, (uint8_t)(c + 1), memory_order_release);
	if (pc) {
		cnt_add(&pc->cnt.misses, 1);
		cnt_add(&pc->cnt.alloc[c], 1);
	} else {
		cnt_add_shared(&a->cnt.misses, 1);
		cnt_add_shared(&a->cnt.allocs, 1);
		cnt_add_shared(&a->cnt.alloc_bytes, size);
	}
	*iova = pfn << IOVA_SHIFT;
	return 0;
}

int liommu_iova_alloc_range(struct liommu_iova *a, uint64_t iova, uint64_t size)
{
	uint64_t pfn, end;
	struct iova_node *n, *x;
	bool cached;
	int err;

	if (!a)
		return -EINVAL;
	err = check_range(a, iova, size);
	if (err)
		return err;
	pfn = iova >> IOVA_SHIFT;
	end = pfn + (size >> IOVA_SHIFT);
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (int attempt = 0;; attempt++) {
		iova_lock(a, &a->tree_lock);
		x = liommu__iova_tree_first_after(&a->tree, pfn);
		if (x->pfn >= end) {
			n->pfn = pfn;
			n->pfn_end = end;
			n->kind = IOVA_KIND_RANGE;
			liommu__iova_tree_insert_before(&a->tree, x, n);
			account_insert_locked(a, n);
			pthread_mutex_unlock(&a->tree_lock);
			cnt_add_shared(&a->cnt.allocs, 1);
			cnt_add_shared(&a->cnt.alloc_bytes, size);
			return 0;
		}
		x = overlap_live_locked(a, pfn, end, false, &cached);
		pthread_mutex_unlock(&a->tree_lock);
		if (x || attempt)
			break;
		flush_all(a);	/* only cached IOVAs are in the way */
	}
	free(n);
	return -EEXIST;
}

int liommu_iova_free(struct liommu_iova *a, uint64_t iova, uint64_t size)
{
	struct iova_pcache *pc;
	_Atomic uint8_t *st;
	uint64_t pfn, npages;
	uint8_t live;
	int c, err;

	if (!a)
		return -EINVAL;
	err = check_range(a, iova, size);
	if (err)
		return err;
	pfn = iova >> IOVA_SHIFT;
	npages = size >> IOVA_SHIFT;
	c = size_class(a, npages);
	if (c < 0 || pfn & (npages - 1))
		goto slow;
	pc = pcache_get(a);
	st = state_of(a, pc, pfn, false);
	live = (uint8_t)(c + 1);
	/* Claim the allocation: of two frees racing for it, one wins. */
	if (!st || !atomic_compare_exchange_strong_explicit(st, &live, 0,
							    memory_order_acq_rel,
							    memory_order_relaxed))
		goto slow;
	if (pc) {
		if (pc->loaded[c] || !mags_init(pc, c)) {
			cache_put(a, pc, c, pfn);
			cnt_add(&pc->cnt.free[c], 1);
			return 0;
		}
		tree_release_class(a, pfn, c);
		cnt_add_shared(&a->cnt.frees, 1);
		cnt_add_shared(&a->cnt.free_bytes, size);
	} else {
		tree_release_class(a, pfn, c);
		cnt_add_shared(&a->cnt.frees, 1);
		cnt_add_shared(&a->cnt.free_bytes, size);
	}
	return 0;
slow:
	err = tree_free(a, pfn, npages);
	if (err)
		return err;
	cnt_add_shared(&a->cnt.frees, 1);
	cnt_add_shared(&a->cnt.free_bytes, size);
	return 0;
}

int liommu_iova_flush_caches(struct liommu_iova *a)
{
	unsigned int n;

	if (!a)
		return -EINVAL;
	n = flush_all(a);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

void liommu_iova_get_stats(struct liommu_iova *a, struct liommu_iova_stats *st)
{
	struct iova_counters sum = { 0 };
	uint64_t live, live_class, range_bytes, cls_bytes;

	memset(st, 0, sizeof(*st));
	if (!a)
		return;
	counters_fold(&sum, &a->cnt);
	pthread_mutex_lock(&a->pc_lock);
	for (struct iova_pcache *pc = a->pcs; pc; pc = pc->next)
		counters_fold_pc(&sum, &pc->cnt);
	st->thread_caches = a->npcs;
	pthread_mutex_unlock(&a->pc_lock);

	pthread_mutex_lock(&a->tree_lock);
	range_bytes = a->range_bytes;
	cls_bytes = a->class_bytes;
	st->reserved_bytes = a->reserved_bytes;
	st->tree_ops = a->tree_ops;
	st->tree_nodes = a->tree.nodes;
	st->tree_height = iova_tree_height(&a->tree);
	pthread_mutex_unlock(&a->tree_lock);

	live = cnt_get(&sum.alloc_bytes) - cnt_get(&sum.free_bytes);
	/* Counts race with operations in flight: clamp to sane values. */
	if ((int64_t)live < 0)
		live = 0;
	live_class = live > range_bytes ? live - range_bytes : 0;
	st->allocated_bytes = live;
	st->cached_bytes = cls_bytes > live_class ? cls_bytes - live_class : 0;
	st->allocs = cnt_get(&sum.allocs);
	st->frees = cnt_get(&sum.frees);
	st->cache_hits = cnt_get(&sum.hits);
	st->cache_misses = cnt_get(&sum.misses);
	st->cache_free_hits = cnt_get(&sum.free_hits);
	st->depot_ops = cnt_get(&a->depot_ops);
	st->lock_acquisitions = cnt_get(&a->lock_acq);
	st->cache_flushes = cnt_get(&a->flushes);
}

unsigned int liommu_iova_width(const struct liommu_iova *a)
{
	return a ? a->width : 0;
}

uint64_t liommu_iova_base(const struct liommu_iova *a)
{
	return a ? a->base : 0;
}

/* ------------------------------------------------------------------ */
/* Self-check for the tests                                            */
/* ------------------------------------------------------------------ */

static int check_mag_locked(struct liommu_iova *a, int c, const struct iova_mag *m,
			    uint64_t *cached, const char **why)
{
	if (!m)
		return 0;
	if (m->n > IOVA_MAG_SIZE) {
		*why = "magazine count out of range";
		return -EUCLEAN;
	}
	for (unsigned int i = 0; i < m->n; i++) {
		const struct iova_node *n = liommu__iova_tree_lookup(&a->tree, m->pfn[i]);

		if (!n || n->kind != IOVA_KIND_CLASS || n->pfn_end - n->pfn != 1ULL << c) {
			*why = "cached IOVA is not a CLASS node of its size";
			return -EUCLEAN;
		}
		if (state_peek(a, n->pfn)) {
			*why = "cached IOVA is marked live";
			return -EUCLEAN;
		}
		*cached += class_bytes(c);
	}
	return 0;
}

int liommu__iova_check(struct liommu_iova *a, const char **why)
{
	uint64_t range = 0, cls = 0, rsv = 0, live_cls = 0, cached = 0;
	const struct iova_node *n;
	struct iova_pcache *pc;
	const char *dummy;
	int err = 0;

	if (!why)
		why = &dummy;
	*why = "ok";
	pthread_mutex_lock(&a->pc_lock);
	for (pc = a->pcs; pc; pc = pc->next)
		pc_flush_request(pc);
	pc_flush_fence();
	for (pc = a->pcs; pc; pc = pc->next)
		pc_flush_wait(pc);
	for (int c = 0; c < IOVA_NCLASS; c++)
		pthread_mutex_lock(&a->depot[c].lock);
	pthread_mutex_lock(&a->tree_lock);

	if (liommu__iova_tree_check(&a->tree) < 0) {
		*why = "tree order, gap, augmentation or balance violated";
		err = -EUCLEAN;
		goto out;
	}
	for (n = liommu__iova_tree_first_after(&a->tree, 0); n;
	     n = liommu__iova_tree_next(n)) {
		uint64_t bytes = (n->pfn_end - n->pfn) << IOVA_SHIFT;
		uint8_t s;

		if (n->kind == IOVA_KIND_END)
			continue;
		if (n->pfn < a->tree.base_pfn || n->pfn_end > a->tree.end_pfn) {
			*why = "node outside the space";
			err = -EUCLEAN;
			goto out;
		}
		if (n->kind == IOVA_KIND_RANGE) {
			range += bytes;
		} else if (n->kind == IOVA_KIND_RESERVED) {
			rsv += bytes;
		} else {
			uint64_t np = n->pfn_end - n->pfn;

			cls += bytes;
			if (size_class(a, np) < 0 || n->pfn & (np - 1)) {
				*why = "CLASS node of a non-cacheable size or misaligned";
				err = -EUCLEAN;
				goto out;
			}
			s = state_peek(a, n->pfn);
			if (s && s != __builtin_ctzll(np) + 1) {
				*why = "state byte disagrees with the node size";
				err = -EUCLEAN;
				goto out;
			}
			if (s)
				live_cls += bytes;
		}
	}
	if (range != a->range_bytes || cls != a->class_bytes || rsv != a->reserved_bytes) {
		*why = "byte accounting disagrees with the tree";
		err = -EUCLEAN;
		goto out;
	}
	for (pc = a->pcs; pc && !err; pc = pc->next)
		for (int c = 0; c < IOVA_NCLASS && !err; c++)
			if (check_mag_locked(a, c, pc->loaded[c], &cached, why) ||
			    check_mag_locked(a, c, pc->prev[c], &cached, why))
				err = -EUCLEAN;
	for (int c = 0; c < IOVA_NCLASS && !err; c++)
		for (unsigned int i = 0; i < a->depot[c].n && !err; i++)
			err = check_mag_locked(a, c, a->depot[c].mag[i], &cached, why);
	if (!err && cached + live_cls != cls) {
		/* Every CLASS node is either live or in exactly one magazine
		 * slot (a duplicate would make the sum too large). */
		*why = "CLASS nodes are neither live nor cached exactly once";
		err = -EUCLEAN;
	}
out:
	pthread_mutex_unlock(&a->tree_lock);
	for (int c = IOVA_NCLASS - 1; c >= 0; c--)
		pthread_mutex_unlock(&a->depot[c].lock);
	for (pc = a->pcs; pc; pc = pc->next)
		pc_flush_done(pc);
	pthread_mutex_unlock(&a->pc_lock);
	return err;
}
