/* SPDX-License-Identifier: MIT */
/*
 * model-internal.h - struct liommu_model, the state that ties the
 * software VT-d unit's files together, and its register lock (not
 * installed).
 *
 * Every file of the model includes it; it owns nothing but the layout of
 * the unit and says, per field group, who writes it.  The jobs have
 * their own headers, lowest first (a file includes only the ones it
 * uses, and calls only downwards):
 *
 *   cache.h    the lock-free caches and invalidations     (cache.c)
 *   regfile.h  the register page layout and accessors      (no code)
 *   stats.h    per-thread counters                          (stats.c)
 *   mem.h      bounded physical-memory access               (mem.c)
 *   fault.h    fault recording, fault and completion events (fault.c)
 *   qi.h       the invalidation queue, invalidation latency,
 *              invalidations performed and reported        (qi.c)
 *   regs.h     register decoding and commands               (regs.c)
 *
 * translate.c (DMA) and irq.c (interrupt remapping) use cache, stats,
 * mem and fault and are used by nobody inside the model; model.c (life
 * cycle) sits on top.  The model includes only public headers (vtd.h
 * for every encoding, model.h, fault-record.h) and ../common/ (the spin
 * lock): it never sees the driver.
 */
#ifndef LIOMMU_MODEL_INTERNAL_H
#define LIOMMU_MODEL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/model.h>
#include <liommu/vtd.h>

#include "../common/spin.h"
#include "cache.h"
#include "regfile.h"

struct mstats_blk;

struct liommu_model {
	struct liommu_model_config cfg;
	uint64_t serial;		/* never reused: keys per-thread stats */
	uint64_t cap;
	uint64_t ecap;
	uint64_t haw_mask;		/* address bits below HAW */

	/* Set by model.c at creation, then read-only. */
	/* Hot, read by device threads without locks; written by regs.c
	 * under reg_lock (GCMD): the internal copies of GSTS bits and the
	 * tables the unit latched, which translate.c and irq.c use. */
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
	 * Entries are filled by translate.c and irq.c and dropped by cache.c.
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

	/*
	 * Register file change count (liommu_model_regs_seq()): advanced
	 * under reg_lock, after the change, by whoever changed the page
	 * (model_regs_changed_locked()); read without the lock.  A line of
	 * its own: a poller reads it all the time, and it must not share
	 * the line every lock holder writes.
	 */
	_Atomic uint64_t regs_seq __attribute__((aligned(MODEL_CACHELINE)));

	/*
	 * Register state, protected by reg_lock (model_reg_lock()).  @regs
	 * is the register file as software reads it (regfile.h); the rest is
	 * what the unit latches or keeps and software cannot read back.
	 */
	struct liommu__spin reg_lock __attribute__((aligned(MODEL_CACHELINE)));
	struct model_regfile *regs;	/* 4 KiB, page-aligned */
	uint64_t ccmd_wo;		/* CCMD.FM/SID as written: write-only */
	uint64_t iva;			/* IVA as written: write-only */
	uint64_t iq_base;		/* IQA.IQA latched at QIE enable */
	uint32_t iq_entries;		/* 128-bit descriptors, latched at QIE */
	unsigned int next_frcd;		/* record the next fault goes to */

	/* Statistics blocks (stats.c), list protected by stats_lock. */
	pthread_mutex_t stats_lock;
	struct mstats_blk *stats;
};

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

/*
 * The register page may have changed: advance regs_seq.  Every locked
 * section that can change the page calls it before it unlocks: the
 * register write accessors (regs.c: a write and everything it runs),
 * fault recording (fault.c) and reset (model.c).  The lock makes this the
 * only writer, so a load and a release store do it, no locked
 * instruction; the release orders the page's changes before the new
 * count for a reader that acquires it.
 */
static inline void model_regs_changed_locked(struct liommu_model *m)
{
	atomic_store_explicit(&m->regs_seq,
			      atomic_load_explicit(&m->regs_seq, memory_order_relaxed) + 1,
			      memory_order_release);
}

#endif /* LIOMMU_MODEL_INTERNAL_H */
