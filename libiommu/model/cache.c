// SPDX-License-Identifier: MIT
/*
 * cache.c - the model's caches (context cache, IOTLB, PDE cache, interrupt
 * entry cache) and the invalidation epoch that makes their invalidation
 * exact while device threads keep filling them.
 *
 * A cache is a hash of 4-way sets of struct mslot; each slot is a small
 * seqlock.  Readers never write shared memory.  Writers (a fill after a
 * walk, or an invalidation) claim a slot by moving its sequence count
 * from even to odd with compare-and-swap, write the fields, and publish
 * with a release store of the next even value.  A fill that finds every
 * way of its set claimed by someone else gives up: losing a cache fill is
 * always allowed, losing an invalidation never is, so invalidations spin
 * until they own the slot (a claim lasts a few stores).
 *
 * Fills and invalidations: a walk may read a PTE, then an invalidation
 * covering it completes, then the walk inserts what it read.  The stale
 * entry would outlive the invalidation (model.h, ordering rule 2).  So
 * every invalidation advances m->epoch (a seq_cst read-modify-write)
 * before it looks at any slot, and a fill reads m->epoch before its
 * lookups and walk, claims its slot with a seq_cst compare-and-swap,
 * writes the entry and, still owning the slot, loads m->epoch again
 * (seq_cst).  Both sides store then load in one total order, so either
 * the fill sees the new epoch and clears the entry before publishing the
 * slot (nobody ever sees it), or the invalidation's scan comes after the
 * claim: it finds the slot owned, waits for the publish and drops the
 * entry like any other.  A fill that read the new epoch at its start
 * began after the invalidation, so it reads the tables as the driver
 * left them before submitting it.  The claim is the one locked
 * instruction of a fill; the invalidation never waits for fills.
 *
 * It owns the slots, the epoch and the front-TLB generation's advances;
 * it is the bottom of the model (it calls only the statistics) and must
 * not touch the register page: its callers (regs.c, qi.c) report what an
 * invalidation did.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "model-internal.h"
#include "stats.h"

int liommu__mcache_init(struct mcache *c, unsigned int entries)
{
	/* At least two sets, so mcache_set()'s shift stays below 64. */
	unsigned int sets = 2, log2 = 1;
	size_t bytes;

	while ((uint64_t)sets * MCACHE_WAYS < entries) {
		sets <<= 1;
		log2++;
	}
	bytes = (size_t)sets * MCACHE_WAYS * sizeof(struct mslot);
	c->slots = aligned_alloc(MODEL_CACHELINE, bytes);
	if (!c->slots)
		return -ENOMEM;
	memset(c->slots, 0, bytes);
	c->nsets = sets;
	c->set_shift = 64 - log2;
	atomic_init(&c->victim, 0);
	c->dep_gen = NULL;
	c->dep_mask = 0;
	return 0;
}

void liommu__mcache_fini(struct mcache *c)
{
	free(c->slots);
	c->slots = NULL;
}

/* Claim @s if its count is still @seq (even).  seq_cst: the fill's
 * epoch recheck must not move above it (see above).  Return: true when
 * owned. */
static bool slot_claim(struct mslot *s, uint32_t seq)
{
	if (!atomic_compare_exchange_strong_explicit(&s->seq, &seq, seq + 1,
						     memory_order_seq_cst,
						     memory_order_relaxed))
		return false;
	/* The field stores that follow are release stores (slot_set()), so
	 * none becomes visible before the odd count. */
	return true;
}

/* Claim @s whatever its state, waiting out another writer. */
static uint32_t slot_claim_wait(struct mslot *s)
{
	for (;;) {
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

		if (!(seq & 1) && slot_claim(s, seq))
			return seq;
		sched_yield();
	}
}

static void slot_publish(struct mslot *s, uint32_t claimed)
{
	atomic_store_explicit(&s->seq, claimed + 2, memory_order_release);
}

/* Does dropping an entry with this @key / @v1 kill derived entries? */
static bool slot_has_deps(const struct mcache *c, uint64_t key, uint64_t v1)
{
	return c->dep_gen && key && (!c->dep_mask || (v1 & c->dep_mask));
}

/*
 * Advance the generation when an entry with dependents goes: every
 * derived entry tagged with an older generation is dead.  Called while
 * the slot is owned (odd), before it is published cleared or replaced:
 * a reader that loads the new generation (acquire) then sees the slot
 * owned or changed and cannot find the old entry, and an invalidation
 * that sees the slot without the old entry also sees the new generation.
 * Invalidations themselves bump after their scan, before they complete.
 */
static void deps_drop(struct mcache *c)
{
	atomic_fetch_add_explicit(c->dep_gen, 1, memory_order_seq_cst);
}

/* Release stores: a reader that sees a new field value (its loads are
 * acquire) also sees the odd count stored before it, and retries.  This is
 * the seqlock written without fences, which ThreadSanitizer understands. */
static void slot_set(struct mslot *s, uint64_t key, uint64_t v0, uint64_t v1)
{
	atomic_store_explicit(&s->key, key, memory_order_release);
	atomic_store_explicit(&s->v0, v0, memory_order_release);
	atomic_store_explicit(&s->v1, v1, memory_order_release);
}

bool liommu__mcache_insert(struct mcache *c, uint64_t key, uint64_t v0, uint64_t v1,
			   _Atomic uint64_t *epoch, uint64_t seen)
{
	struct mslot *set = &c->slots[(size_t)mcache_set(c, key) * MCACHE_WAYS];
	struct mslot *pick = NULL;
	unsigned int w, start;

	/* Same key already there (another thread filled it): replace it,
	 * so a set never holds a key twice.  Else an empty way.  Else a
	 * round-robin victim. */
	for (w = 0; w < MCACHE_WAYS && !pick; w++)
		if (atomic_load_explicit(&set[w].key, memory_order_relaxed) == key)
			pick = &set[w];
	for (w = 0; w < MCACHE_WAYS && !pick; w++)
		if (!atomic_load_explicit(&set[w].key, memory_order_relaxed))
			pick = &set[w];
	/* The victim is a hint: a plain load and store (two threads may pick
	 * the same way, which is harmless) keep the miss path free of a
	 * locked instruction on a line every filler shares. */
	start = 0;
	if (!pick) {
		start = atomic_load_explicit(&c->victim, memory_order_relaxed);
		atomic_store_explicit(&c->victim, start + 1, memory_order_relaxed);
	}
	for (w = 0; w < MCACHE_WAYS; w++) {
		struct mslot *s = pick ? pick : &set[(start + w) % MCACHE_WAYS];
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

		bool deps;

		if ((seq & 1) || !slot_claim(s, seq)) {
			pick = NULL;
			continue;
		}
		deps = slot_has_deps(c, atomic_load_explicit(&s->key, memory_order_relaxed),
				     atomic_load_explicit(&s->v1, memory_order_relaxed));
		/*
		 * The victim's dependents die before the slot is published:
		 * an invalidation that finds the slot without the victim
		 * (waiting for our publish, or after it) then also sees the
		 * new generation, so it cannot complete while a front entry
		 * made from the victim still looks valid.  (Found by
		 * check-model's eviction race under ThreadSanitizer.)
		 */
		if (deps)
			deps_drop(c);
		if (epoch && atomic_load_explicit(epoch, memory_order_seq_cst) != seen) {
			/* An invalidation began since the fill looked: what
			 * it read may be stale.  Free the way, publish nothing. */
			slot_set(s, 0, 0, 0);
			slot_publish(s, seq);
			return false;
		}
		slot_set(s, key, v0, v1);
		slot_publish(s, seq);
		return true;
	}
	return false;
}

bool liommu__mcache_mark(struct mcache *c, uint64_t key, uint64_t v0, uint64_t bits)
{
	struct mslot *s = &c->slots[(size_t)mcache_set(c, key) * MCACHE_WAYS];
	unsigned int w;

	for (w = 0; w < MCACHE_WAYS; w++, s++) {
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
		uint64_t v1;
		bool ok;

		if (atomic_load_explicit(&s->key, memory_order_relaxed) != key)
			continue;
		if ((seq & 1) || !slot_claim(s, seq))
			return false;
		/* Recheck under the claim: replaced or dropped since? */
		ok = atomic_load_explicit(&s->key, memory_order_relaxed) == key &&
		     atomic_load_explicit(&s->v0, memory_order_relaxed) == v0;
		v1 = atomic_load_explicit(&s->v1, memory_order_relaxed);
		if (ok && (v1 & bits) != bits)
			atomic_store_explicit(&s->v1, v1 | bits, memory_order_release);
		slot_publish(s, seq);
		return ok;
	}
	return false;
}

unsigned int liommu__mcache_remove(struct mcache *c, uint64_t key)
{
	struct mslot *set = &c->slots[(size_t)mcache_set(c, key) * MCACHE_WAYS];
	unsigned int w, n = 0;

	for (w = 0; w < MCACHE_WAYS; w++) {
		struct mslot *s = &set[w];
		/* seq_cst: ordered after the epoch increment (see above). */
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_seq_cst);

		if (!(seq & 1) && atomic_load_explicit(&s->key, memory_order_relaxed) != key)
			continue;
		/* Claimed by a writer, or holding the key: own it, recheck. */
		seq = slot_claim_wait(s);
		if (atomic_load_explicit(&s->key, memory_order_relaxed) == key) {
			slot_set(s, 0, 0, 0);
			n++;
		}
		slot_publish(s, seq);
	}
	/* Removals are invalidations: no need to spare the increment. */
	if (n && c->dep_gen)
		deps_drop(c);
	return n;
}

unsigned int liommu__mcache_remove_if(struct mcache *c, mcache_pred_fn pred,
				      const void *arg)
{
	size_t i, total = (size_t)c->nsets * MCACHE_WAYS;
	unsigned int n = 0;

	for (i = 0; i < total; i++) {
		struct mslot *s = &c->slots[i];
		/* seq_cst: ordered after the epoch increment (see above). */
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_seq_cst);
		uint64_t key;

		/* An idle empty slot needs nothing.  A slot being written may
		 * be receiving a matching entry: wait for it. */
		if (!(seq & 1) && !atomic_load_explicit(&s->key, memory_order_relaxed))
			continue;
		seq = slot_claim_wait(s);
		key = atomic_load_explicit(&s->key, memory_order_relaxed);
		if (key && (!pred || pred(key, atomic_load_explicit(&s->v0, memory_order_relaxed),
					  atomic_load_explicit(&s->v1, memory_order_relaxed), arg))) {
			slot_set(s, 0, 0, 0);
			n++;
		}
		slot_publish(s, seq);
	}
	if (n && c->dep_gen)
		deps_drop(c);
	return n;
}

unsigned int liommu__mcache_count(const struct mcache *c)
{
	size_t i, total = (size_t)c->nsets * MCACHE_WAYS;
	unsigned int n = 0;

	for (i = 0; i < total; i++)
		if (atomic_load_explicit(&c->slots[i].key, memory_order_relaxed))
			n++;
	return n;
}

/* ------------------------------------------------------------------ */
/* Epoch                                                               */
/* ------------------------------------------------------------------ */

/*
 * Start an invalidation: advance the epoch before any slot is looked at,
 * so a fill that read the old one either sees the move when it owns its
 * slot or is seen by the scan that follows (see "Fills and
 * invalidations" above).
 */
static void inv_begin(struct liommu_model *m)
{
	atomic_fetch_add_explicit(&m->epoch, 1, memory_order_seq_cst);
}

static bool pred_ctx_domain(uint64_t key, uint64_t v0, uint64_t v1, const void *arg)
{
	uint16_t did = *(const uint16_t *)arg;

	(void)key;
	/* Not-present entries cached under caching mode carry domain 0
	 * (spec 6.2.2); their v0 has P clear and v1 no DID field. */
	if (!(v0 & VTD_CTX_LO_P))
		return did == 0;
	return vtd_field_get(VTD_CTX_HI_DID, v1) == did;
}

struct dev_match {
	uint16_t sid;
	uint16_t mask;
};

static bool pred_ctx_device(uint64_t key, uint64_t v0, uint64_t v1, const void *arg)
{
	const struct dev_match *d = arg;
	uint16_t sid = (uint16_t)(key - 1);

	(void)v0;
	(void)v1;
	return (sid & d->mask) == (d->sid & d->mask);
}

static bool pred_tlb_domain(uint64_t key, uint64_t v0, uint64_t v1, const void *arg)
{
	(void)v0;
	(void)v1;
	return (uint16_t)key == *(const uint16_t *)arg;
}

struct page_match {
	uint16_t did;
	uint64_t start;		/* inclusive */
	uint64_t last;		/* inclusive */
};

/* Does the entry's page (any size) overlap the invalidated range? */
static bool pred_tlb_page(uint64_t key, uint64_t v0, uint64_t v1, const void *arg)
{
	const struct page_match *p = arg;
	unsigned int level = (unsigned int)(key >> 16) & 7;
	unsigned int shift = vtd_level_shift(level);
	uint64_t start = (key >> 19) << shift;
	uint64_t last = start + (1ULL << shift) - 1;

	(void)v0;
	(void)v1;
	return (uint16_t)key == p->did && start <= p->last && p->start <= last;
}

static bool pred_iec_range(uint64_t key, uint64_t v0, uint64_t v1, const void *arg)
{
	const uint32_t *r = arg;	/* [first, last] */
	uint32_t index = (uint32_t)(key - 1);

	(void)v0;
	(void)v1;
	return index >= r[0] && index <= r[1];
}

void liommu__model_inv_ctx_all_locked(struct liommu_model *m)
{
	inv_begin(m);

	liommu__mcache_remove_if(&m->ctx, NULL, NULL);
	mstat_inc(m, MS_CTX_INVS);
}

void liommu__model_inv_ctx_domain_locked(struct liommu_model *m, uint16_t did)
{
	inv_begin(m);

	liommu__mcache_remove_if(&m->ctx, pred_ctx_domain, &did);
	mstat_inc(m, MS_CTX_INVS);
}

void liommu__model_inv_ctx_device_locked(struct liommu_model *m, uint16_t sid,
					 unsigned int fm)
{
	/* FM masks function bits of the SID exactly as the IRTE's SQ does
	 * (spec 6.5.2.1 / 11.4.7: 01b ignores bit 2, 10b bits 2:1, 11b
	 * bits 2:0). */
	struct dev_match d = { .sid = sid, .mask = vtd_sq_mask(fm) };
	inv_begin(m);

	if (d.mask == 0xffff)
		liommu__mcache_remove(&m->ctx, (uint64_t)sid + 1);
	else
		liommu__mcache_remove_if(&m->ctx, pred_ctx_device, &d);
	mstat_inc(m, MS_CTX_INVS);
}

void liommu__model_inv_iotlb_all_locked(struct liommu_model *m)
{
	inv_begin(m);
	unsigned int n;

	n = liommu__mcache_remove_if(&m->iotlb, NULL, NULL);
	if (m->pde_on)
		liommu__mcache_remove_if(&m->pde, NULL, NULL);
	mstat_inc(m, MS_IOTLB_INVS_GLOBAL);
	mstat_add(model_stats(m), MS_IOTLB_DROPPED, n);
}

void liommu__model_inv_iotlb_domain_locked(struct liommu_model *m, uint16_t did)
{
	inv_begin(m);
	unsigned int n;

	n = liommu__mcache_remove_if(&m->iotlb, pred_tlb_domain, &did);
	if (m->pde_on)
		liommu__mcache_remove_if(&m->pde, pred_tlb_domain, &did);
	mstat_inc(m, MS_IOTLB_INVS_DOMAIN);
	mstat_add(model_stats(m), MS_IOTLB_DROPPED, n);
}

/* Probing keys one by one beats a full scan while the range is small. */
#define PSI_PROBE_MAX	64

void liommu__model_inv_iotlb_page_locked(struct liommu_model *m, uint16_t did,
					 uint64_t addr, unsigned int am, bool ih)
{
	uint64_t size = VTD_PAGE_SIZE << am;
	struct page_match p = {
		.did = did,
		.start = addr & ~(size - 1),	/* ADDR's low AM bits are ignored */
	};
	unsigned int n = 0, level;
	uint32_t sp;

	inv_begin(m);
	/* After the epoch: a superpage fill whose level bit we miss sees
	 * the new epoch when it owns its slot (its fetch_or comes before). */
	sp = atomic_load_explicit(&m->sp_levels, memory_order_seq_cst);
	p.last = p.start + size - 1;
	if ((1ULL << am) <= PSI_PROBE_MAX) {
		uint64_t a;

		for (a = p.start; a <= p.last; a += VTD_PAGE_SIZE)
			n += liommu__mcache_remove(&m->iotlb, model_tlb_key(did, a, 1));
		/* Superpage entries whose page overlaps the range (spec 6.5.1.2:
		 * "all mappings ... that overlap"). */
		for (level = 2; level <= 3; level++) {
			uint64_t step = 1ULL << vtd_level_shift(level);

			if (!(sp & (1u << level)))
				continue;
			for (a = p.start & ~(step - 1); a <= p.last; a += step) {
				n += liommu__mcache_remove(&m->iotlb,
							  model_tlb_key(did, a, level));
				if (a + step < a)
					break;
			}
		}
	} else {
		n = liommu__mcache_remove_if(&m->iotlb, pred_tlb_page, &p);
	}
	/*
	 * IH = 1: software says only leaf entries changed, so the paging-
	 * structure caches may be kept (spec 6.5.1.2, 6.5.2.3).  IH = 0: drop
	 * the PDEs covering the range too.
	 */
	if (m->pde_on && !ih) {
		uint64_t step = 1ULL << vtd_level_shift(MODEL_PDE_LEVEL);

		if ((size >> vtd_level_shift(MODEL_PDE_LEVEL)) <= PSI_PROBE_MAX) {
			uint64_t a;

			for (a = p.start & ~(step - 1); a <= p.last; a += step) {
				liommu__mcache_remove(&m->pde,
						      model_tlb_key(did, a, MODEL_PDE_LEVEL));
				if (a + step < a)
					break;
			}
		} else {
			liommu__mcache_remove_if(&m->pde, pred_tlb_page, &p);
		}
	}
	mstat_inc(m, MS_IOTLB_INVS_PAGE);
	mstat_add(model_stats(m), MS_IOTLB_DROPPED, n);
}

void liommu__model_inv_iec_all_locked(struct liommu_model *m)
{
	inv_begin(m);

	liommu__mcache_remove_if(&m->iec, NULL, NULL);
	mstat_inc(m, MS_IEC_INVS);
}

void liommu__model_inv_iec_index_locked(struct liommu_model *m, uint16_t index,
					unsigned int im)
{
	/* 2^IM entries, IIDX aligned down to 2^IM (spec 6.5.2.7). */
	uint32_t count = 1u << im;
	uint32_t r[2];

	inv_begin(m);
	r[0] = index & ~(count - 1);
	r[1] = r[0] + count - 1;
	if (count <= PSI_PROBE_MAX) {
		uint32_t i;

		for (i = r[0]; i <= r[1]; i++)
			liommu__mcache_remove(&m->iec, (uint64_t)i + 1);
	} else {
		liommu__mcache_remove_if(&m->iec, pred_iec_range, r);
	}
	mstat_inc(m, MS_IEC_INVS);
}
