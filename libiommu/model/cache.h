/* SPDX-License-Identifier: MIT */
/*
 * cache.h - the software VT-d unit's caches (cache.c; not installed): the
 * generic lock-free hash of 4-way sets that every cache is made of, the
 * IOTLB and PDE key encodings, and the invalidation entry points.
 *
 * The bottom of the model: cache.c calls nothing of the other files but
 * the statistics (stats.h).  It owns what is in the caches and the
 * invalidation epoch; it must not touch the register file (an
 * invalidation's outcome, CAIG/IAIG or a wait's status, is reported by
 * its caller, regs.c or qi.c) nor walk tables (translate.c and irq.c
 * fill the caches with what they walked).
 */
#ifndef LIOMMU_MODEL_CACHE_H
#define LIOMMU_MODEL_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/vtd.h>

struct liommu_model;

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
/* IOTLB v1: a front TLB entry (translate.c) was made from this entry. */
#define MODEL_TLB_FRONT	1ULL

/* PDE cache values: leaf table address | accumulated R/W. */

#endif /* LIOMMU_MODEL_CACHE_H */
