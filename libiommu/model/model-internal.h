/* SPDX-License-Identifier: MIT */
/*
 * model-internal.h - state shared by the software VT-d unit's files (not
 * installed).
 *
 * model.c owns creation, configuration, statistics and the bounded memory
 * accessors; cache.c the lock-free caches and the invalidation epoch;
 * regs.c the register file, fault recording and interrupt events; qi.c
 * the invalidation queue; translate.c DMA translation and the DMA API;
 * irq.c interrupt remapping.  The model includes only public headers
 * (vtd.h for every encoding, model.h, and liommu.h for struct
 * liommu_fault) and ../common/ (the spin lock): it never sees the
 * driver's internals.
 */
#ifndef LIOMMU_MODEL_INTERNAL_H
#define LIOMMU_MODEL_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <liommu/model.h>
#include <liommu/vtd.h>

#include "../common/spin.h"

#define MODEL_CACHELINE		64

/* ------------------------------------------------------------------ */
/* Lock-free caches (cache.c)                                          */
/* ------------------------------------------------------------------ */

/*
 * One cache slot.  @seq is even when the slot is stable and odd while a
 * writer owns it; readers load @seq (acquire), the fields (acquire, so the
 * second load of @seq cannot move above them), and @seq again, and use
 * the fields only when both loads agree and are even.  Writers store the
 * fields with release after making @seq odd.  No fences: on x86 acquire
 * loads and release stores are plain moves, and ThreadSanitizer models
 * them (it does not model atomic_thread_fence()).
 * A key of 0 means "empty": every cache builds keys
 * that are never 0.  All fields are atomics so a reader racing a writer
 * is not a data race (C11), only a retry.
 */
struct mslot {
	_Atomic uint32_t seq;
	uint32_t pad;
	_Atomic uint64_t key;
	_Atomic uint64_t v0;
	_Atomic uint64_t v1;
};

#define MCACHE_WAYS	4

/*
 * A hash of 4-way sets; @nsets is a power of two.
 *
 * @dep_gen: when set, other entries are derived from this cache's entries
 * (the front TLB, translate.c): every removal or replacement of a valid
 * entry that may have dependents advances *@dep_gen (before the slot is
 * published, for a replacement; see deps_drop()), which kills the
 * dependents.  With @dep_mask 0 every valid
 * entry may have dependents; otherwise only entries whose v1 has a bit of
 * @dep_mask set (liommu__mcache_mark()), so evicting an entry nobody
 * derived from costs no locked instruction.
 */
struct mcache {
	struct mslot *slots;		/* nsets * MCACHE_WAYS, 64-byte aligned */
	unsigned int nsets;
	unsigned int set_shift;		/* 64 - log2(nsets) */
	_Atomic uint32_t victim;	/* round-robin replacement hint */
	_Atomic uint64_t *dep_gen;
	uint64_t dep_mask;
};

struct mcache_val {
	uint64_t v0;
	uint64_t v1;
};

int liommu__mcache_init(struct mcache *c, unsigned int entries);
void liommu__mcache_fini(struct mcache *c);

static inline unsigned int mcache_set(const struct mcache *c, uint64_t key)
{
	/* Fibonacci hashing: the multiply spreads the low (domain) and page
	 * bits over the top bits, which pick the set. */
	return (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> c->set_shift);
}

/*
 * Look up @key.  Lock-free; returns true and the values when a stable
 * slot holds @key.  Inline because it is the IOTLB hit path.
 */
static inline bool mcache_lookup(const struct mcache *c, uint64_t key,
				 struct mcache_val *out)
{
	struct mslot *s = &c->slots[(size_t)mcache_set(c, key) * MCACHE_WAYS];
	unsigned int w;

	for (w = 0; w < MCACHE_WAYS; w++, s++) {
		unsigned int tries;

		for (tries = 0; tries < 8; tries++) {
			uint32_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
			uint64_t k, v0, v1;

			if (s1 & 1)
				continue;	/* a writer owns it: retry */
			k = atomic_load_explicit(&s->key, memory_order_acquire);
			if (k != key)
				break;		/* a torn mismatch is only a miss */
			v0 = atomic_load_explicit(&s->v0, memory_order_acquire);
			v1 = atomic_load_explicit(&s->v1, memory_order_acquire);
			if (atomic_load_explicit(&s->seq, memory_order_relaxed) != s1)
				continue;
			out->v0 = v0;
			out->v1 = v1;
			return true;
		}
	}
	return false;
}

/*
 * Insert or replace @key.  Never blocks: when every way of the set is
 * being written by someone else the insertion is skipped (it is a cache).
 * @epoch / @seen: a fill passes the unit's invalidation epoch and the
 * value it read before it looked anything up; if the epoch has moved
 * when the slot is owned, the entry is dropped before anyone can see it
 * (cache.c, "Fills and invalidations").  NULL for entries that no
 * invalidation covers.
 * Return: true when inserted.
 */
bool liommu__mcache_insert(struct mcache *c, uint64_t key, uint64_t v0, uint64_t v1,
			   _Atomic uint64_t *epoch, uint64_t seen);
/* Set @bits in v1 of the entry @key if it still holds @v0 (marks it as
 * having dependents).  Return: true when the entry now carries @bits. */
bool liommu__mcache_mark(struct mcache *c, uint64_t key, uint64_t v0, uint64_t bits);
/* Remove @key wherever it is.  Return: entries removed (0 or 1). */
unsigned int liommu__mcache_remove(struct mcache *c, uint64_t key);

/* Predicate for liommu__mcache_remove_if(): true = drop the entry. */
typedef bool (*mcache_pred_fn)(uint64_t key, uint64_t v0, uint64_t v1,
			       const void *arg);
/* Remove every entry matching @pred (all entries when @pred is NULL).
 * Return: entries removed. */
unsigned int liommu__mcache_remove_if(struct mcache *c, mcache_pred_fn pred,
				      const void *arg);
/* Valid entries (racy snapshot). */
unsigned int liommu__mcache_count(const struct mcache *c);

/* ------------------------------------------------------------------ */
/* Statistics (model.c): per-thread blocks, single writer per counter  */
/* ------------------------------------------------------------------ */

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

struct mstats_blk *liommu__model_stats_slow(struct liommu_model *m);

/* ------------------------------------------------------------------ */
/* The unit                                                            */
/* ------------------------------------------------------------------ */

/* Up to this many interrupt messages are produced by one register write
 * or one fault; they are sent after the register lock is dropped. */
#define MODEL_MAX_EVENTS	4

struct model_evq {
	unsigned int n;
	struct {
		enum liommu_model_event ev;
		uint64_t addr;
		uint32_t data;
	} e[MODEL_MAX_EVENTS];
};

/* The most fault-recording registers the model offers: they must fit
 * in the register window above LIOMMU_MODEL_FRCD_OFFSET. */
#define MODEL_MAX_NFR	128

struct liommu_model {
	struct liommu_model_config cfg;
	uint64_t serial;		/* never reused: keys per-thread stats */
	uint64_t cap;
	uint64_t ecap;
	uint64_t haw_mask;		/* address bits below HAW */

	/* Hot, read by device threads without locks. */
	_Atomic bool te;		/* GSTS.TES */
	_Atomic bool ire;		/* GSTS.IRES */
	_Atomic bool cfis;		/* GSTS.CFIS */
	_Atomic uint64_t root;		/* root table latched at SRTP */
	_Atomic uint64_t irta;		/* IRTA latched at SIRTP */
	_Atomic uint32_t sp_levels;	/* bit L: IOTLB may hold level-L
					 * superpage entries (sticky) */
	const struct liommu_model_mem_ops *mops;
	void *mpriv;
	uint8_t *direct;
	uint64_t direct_pa;
	uint64_t direct_size;

	/*
	 * The front TLB (translate.c): key (sid, 4 KiB page), value what the
	 * context cache and the IOTLB answered for it, tagged with
	 * @front_gen.  It only saves the two lookups of a hit: an entry is
	 * made from a context-cache hit plus an IOTLB hit, and any removal
	 * or replacement of a context-cache entry, or of an IOTLB entry
	 * marked MODEL_TLB_FRONT, advances @front_gen, so no front entry
	 * outlives what it was made from and the unit behaves as without it.
	 */
	_Atomic uint64_t front_gen;
	struct mcache front;
	struct mcache ctx;		/* key sid + 1: context entry */
	struct mcache iotlb;		/* key (vpn, level, did): leaf;
					 * v1 MODEL_TLB_FRONT */
	struct mcache pde;		/* key (iova >> 21, 2, did): PT address */
	struct mcache iec;		/* key index + 1: IRTE */
	bool pde_on;

	/*
	 * Invalidation epoch (see model.h, ordering rule 2, and cache.c).
	 * Every invalidation advances it before it drops entries; a fill
	 * reads it before its lookups and rechecks it once it owns the slot
	 * it inserts into, dropping its entry if it moved.
	 */
	_Atomic uint64_t epoch __attribute__((aligned(MODEL_CACHELINE)));

	/* Register file, protected by reg_lock (model_reg_lock()). */
	struct liommu__spin reg_lock __attribute__((aligned(MODEL_CACHELINE)));
	uint32_t gsts;
	uint64_t rtaddr;
	uint64_t ccmd;
	uint32_t fsts;
	uint32_t fectl;
	uint32_t fedata;
	uint32_t feaddr;
	uint32_t feuaddr;
	uint64_t iqh;
	uint64_t iqt;
	uint64_t iqa;
	uint64_t iq_base;		/* latched at QIE enable */
	uint32_t iq_entries;		/* 128-bit descriptors in the queue */
	uint32_t ics;
	uint32_t iectl;
	uint32_t iedata;
	uint32_t ieaddr;
	uint32_t ieuaddr;
	uint64_t iqercd;
	uint64_t irta_reg;
	uint64_t iva;
	uint64_t iotlb_reg;
	uint64_t frcd[MODEL_MAX_NFR][2];
	unsigned int next_frcd;

	/* Statistics blocks, list protected by stats_lock. */
	pthread_mutex_t stats_lock;
	struct mstats_blk *stats;
};

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

/*
 * reg_lock is held for one register access or one run of the invalidation
 * queue (descriptors already in memory), never across a sleep or an event
 * delivery (model_evq is sent after the unlock); so it is a spin lock:
 * one locked exchange to take it and a release store to drop it.
 */
static inline void model_reg_lock(struct liommu_model *m)
{
	liommu__spin_lock(&m->reg_lock);
}

static inline void model_reg_unlock(struct liommu_model *m)
{
	liommu__spin_unlock(&m->reg_lock);
}

/* ------------------------------------------------------------------ */
/* Bounded memory access (model.c)                                     */
/* ------------------------------------------------------------------ */

/* The direct window's host pointer for [pa, pa + len), or NULL. */
static inline void *model_direct(const struct liommu_model *m, uint64_t pa,
				 uint64_t len)
{
	uint64_t off = pa - m->direct_pa;

	if (!m->direct || pa < m->direct_pa || off >= m->direct_size ||
	    len > m->direct_size - off)
		return NULL;
	return m->direct + off;
}

/* One 8-byte table entry at 8-byte aligned @pa, single-copy atomic with
 * acquire ordering.  Return: 0 or -EFAULT (outside memory). */
static inline int model_read64(const struct liommu_model *m, uint64_t pa,
			       uint64_t *v)
{
	uint64_t *p = model_direct(m, pa, 8);

	if (p) {
		*v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		return 0;
	}
	/* The ops' aligned 8-byte read is an acquire load (model.h). */
	if (m->mops->read(m->mpriv, pa, v, 8))
		return -EFAULT;
	return 0;
}

/* A 128-bit entry read as two 64-bit loads, low half first: a driver
 * writes the half that keeps the entry not present last (store-release),
 * so a present low half implies the high half it published. */
static inline int model_read128(const struct liommu_model *m, uint64_t pa,
				uint64_t *lo, uint64_t *hi)
{
	if (model_read64(m, pa, lo) || model_read64(m, pa + 8, hi))
		return -EFAULT;
	return 0;
}

int liommu__model_mem_read(const struct liommu_model *m, uint64_t pa, void *buf,
			   size_t len);
int liommu__model_mem_write(const struct liommu_model *m, uint64_t pa,
			    const void *buf, size_t len);
/* 4-byte release store (wait descriptor status). */
int liommu__model_write32(const struct liommu_model *m, uint64_t pa, uint32_t v);

/* ------------------------------------------------------------------ */
/* Invalidation (cache.c)                                              */
/* ------------------------------------------------------------------ */

/*
 * Invalidation side: each helper advances the epoch, then drops the
 * entries.  Called with reg_lock held (that serialises invalidations);
 * they never take it.
 */
void liommu__model_inv_ctx_all_locked(struct liommu_model *m);
void liommu__model_inv_ctx_domain_locked(struct liommu_model *m, uint16_t did);
void liommu__model_inv_ctx_device_locked(struct liommu_model *m, uint16_t sid,
					 unsigned int fm);
void liommu__model_inv_iotlb_all_locked(struct liommu_model *m);
void liommu__model_inv_iotlb_domain_locked(struct liommu_model *m, uint16_t did);
void liommu__model_inv_iotlb_page_locked(struct liommu_model *m, uint16_t did,
					 uint64_t addr, unsigned int am, bool ih);
void liommu__model_inv_iec_all_locked(struct liommu_model *m);
void liommu__model_inv_iec_index_locked(struct liommu_model *m, uint16_t index,
					unsigned int im);

/* IOTLB and PDE keys: (vpn at @level) << 19 | level << 16 | did.  The
 * vpn of a 57-bit address at level 1 has 45 bits, so nothing is lost;
 * level >= 1 keeps the key non-zero. */
static inline uint64_t model_tlb_key(uint16_t did, uint64_t iova, unsigned int level)
{
	return ((iova >> vtd_level_shift(level)) << 19) | ((uint64_t)level << 16) | did;
}
#define MODEL_PDE_LEVEL	2
/* IOTLB v1: a front TLB entry was made from this entry. */
#define MODEL_TLB_FRONT	1ULL

/*
 * Front TLB key: bit 63 set (keys are never 0), page number << 16,
 * source-id.  Only IOVAs below 2^MODEL_FRONT_IOVA_BITS have a key (every
 * MGAW the model supports is below it).  Value: v0 the IOTLB's leaf |
 * R/W; v1 the generation << 20 | leaf level << 16 | domain-id.
 */
#define MODEL_FRONT_IOVA_BITS	59
#define MODEL_FRONT_GEN_SHIFT	20
static inline uint64_t model_front_key(uint16_t sid, uint64_t iova)
{
	return (1ULL << 63) | ((iova >> VTD_PAGE_SHIFT) << 16) | sid;
}
static inline uint64_t model_front_v1(uint64_t gen, unsigned int level, uint16_t did)
{
	return (gen << MODEL_FRONT_GEN_SHIFT) | ((uint64_t)level << 16) | did;
}
/* PDE cache values: leaf table address | accumulated R/W. */

/* ------------------------------------------------------------------ */
/* Registers and faults (regs.c), queue (qi.c)                         */
/* ------------------------------------------------------------------ */

void liommu__model_regs_reset_locked(struct liommu_model *m);
/* Record a primary fault (spec 7.2.1) and queue the fault event. */
void liommu__model_record_fault_locked(struct liommu_model *m, uint16_t sid,
				       uint64_t fi, unsigned int reason,
				       bool is_write, struct model_evq *q);
/* Set an FSTS error bit (IQE ...) and queue the fault event (7.3.1). */
void liommu__model_fsts_error_locked(struct liommu_model *m, uint32_t bit,
				     struct model_evq *q);
/* Invalidation completion event (ICS.IWC, IECTL). */
void liommu__model_inv_event_locked(struct liommu_model *m, struct model_evq *q);
void liommu__model_send_events(struct liommu_model *m, const struct model_evq *q);
/* Record a fault from a device thread: takes reg_lock, sends the event. */
void liommu__model_report_fault(struct liommu_model *m, uint16_t sid, uint64_t fi,
				unsigned int reason, bool is_write);

/* Process descriptors from IQH up to IQT (stops at an error). */
void liommu__model_qi_run_locked(struct liommu_model *m, struct model_evq *q);
/* The modelled invalidation latency (qi.c): the earliest completion time
 * of an invalidation submitted now (0: no latency configured), and the
 * busy-wait until then (0: none). */
uint64_t liommu__model_inval_due(const struct liommu_model *m);
void liommu__model_inval_wait(uint64_t due_ns);

/* Reserved bits of a present root / context entry (spec 9.1, 9.3). */
static inline uint64_t model_root_rsvd(const struct liommu_model *m)
{
	return VTD_ROOT_LO_RSVD | (VTD_ADDR_MASK & ~m->haw_mask) |
	       ~(VTD_ADDR_MASK | VTD_GENMASK64(11, 0));
}
static inline uint64_t model_ctx_lo_rsvd(const struct liommu_model *m)
{
	return VTD_CTX_LO_RSVD | (VTD_ADDR_MASK & ~m->haw_mask) |
	       ~(VTD_ADDR_MASK | VTD_GENMASK64(11, 0));
}

#endif /* LIOMMU_MODEL_INTERNAL_H */
