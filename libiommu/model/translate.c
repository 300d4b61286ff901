// SPDX-License-Identifier: MIT
/*
 * translate.c - DMA remapping in the software VT-d unit (spec 3.4-3.7,
 * legacy mode) and the DMA API simulated devices use.
 *
 * A request goes: TE clear -> not translated (pa = iova; QEMU does the
 * same through its "nodmar" address space).  Otherwise the context cache
 * (keyed by source-id) gives the context entry; the IOTLB (keyed by
 * domain, page number and page level) gives the leaf; on a miss the
 * tables are walked: root entry (bus), context entry (devfn), then 3, 4
 * or 5 levels of second-level entries, optionally starting from a cached
 * PDE.  Fault reasons and their order follow QEMU 7.2's
 * vtd_dev_to_context_entry() and vtd_iova_to_slpte(), which follow the
 * spec's Appendix A:
 *
 *   root entry read fails 0x08, not present 0x01, reserved bits 0x0A;
 *   context entry read fails 0x09, not present 0x02, reserved 0x0B,
 *   AW not in SAGAW or TT not supported 0x03;
 *   IOVA above min(context AW width, MGAW) 0x04;
 *   a paging entry without the requested R/W (not present included)
 *   0x06/0x05, reserved bits 0x0C, the top-level table (SLPTPTR) not
 *   readable 0x03, a lower table not readable 0x07;
 *   a translation request through TT = 0 is blocked with 0x0D.
 *
 * Fault Processing Disable in the context entry suppresses the
 * "qualified" reasons (QEMU's vtd_qualified_faults[]).
 *
 * It owns the walk, the front TLB's keys and the fills of the context
 * cache, IOTLB, PDE cache and front TLB, and the side-effect-free walks
 * a shadow uses (liommu_model_walk(), _context(), _walk_range()): they
 * share ctx_fetch(), ctx_checks() and the one paging-entry decoder
 * pte_step() with the translation's miss path, so the two cannot
 * disagree on what the tables say; they only skip the caches, the fault
 * recording and the counters.  It reads the unit's latched
 * state (TE, the root table) without locks and never the register page;
 * it calls down only (cache.c, mem.c, and fault.c to record a fault,
 * which takes reg_lock) and must not touch registers or drop entries.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fault.h"
#include "mem.h"
#include "model-internal.h"
#include "stats.h"

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

/* A decoded, validated context entry. */
struct ctxd {
	uint64_t slpt;		/* top-level table */
	unsigned int levels;	/* 3, 4, 5 */
	unsigned int width;	/* min(AW width, MGAW) */
	unsigned int tt;
	uint16_t did;
	bool fpd;
};

struct xfault {
	unsigned int reason;
	bool fpd;
};

#define CTX_NEG_REASON	VTD_GENMASK64(63, 56)	/* in v1 of a negative entry */

static bool reason_qualified(unsigned int r)
{
	switch (r) {
	case VTD_FR_CTX_P:
	case VTD_FR_CTX_INV:
	case VTD_FR_ADDR_BEYOND_AW:
	case VTD_FR_WRITE:
	case VTD_FR_READ:
	case VTD_FR_PT_ACCESS:
	case VTD_FR_PT_RSVD:
	case VTD_FR_CTX_TT:
		return true;
	default:
		return false;
	}
}

static void ctx_decode(const struct liommu_model *m, uint64_t lo, uint64_t hi,
		       struct ctxd *c)
{
	unsigned int aw = (unsigned int)vtd_field_get(VTD_CTX_HI_AW, hi);
	unsigned int w = vtd_agaw_to_width(aw);

	c->slpt = lo & VTD_CTX_LO_SLPTPTR;
	c->levels = vtd_agaw_to_levels(aw);
	c->width = w < m->cfg.mgaw ? w : m->cfg.mgaw;
	c->tt = (unsigned int)vtd_field_get(VTD_CTX_LO_TT, lo);
	c->did = (uint16_t)vtd_field_get(VTD_CTX_HI_DID, hi);
	c->fpd = lo & VTD_CTX_LO_FPD;
}

/*
 * Read and check the root and context entries for @sid.  On success
 * (*lo, *hi) hold a valid present context entry.  On a fault *lo holds the
 * context entry's low half when it was read (its FPD counts even when
 * not present, as in QEMU) and 0 otherwise.
 */
static unsigned int ctx_fetch(struct liommu_model *m, uint16_t sid, uint64_t *lo,
			      uint64_t *hi)
{
	uint64_t root = atomic_load_explicit(&m->root, memory_order_acquire);
	uint64_t rlo, rhi;
	unsigned int aw, tt;

	*lo = 0;
	*hi = 0;
	if (model_read128(m, root + vtd_sid_bus(sid) * sizeof(struct vtd_root_entry),
			  &rlo, &rhi))
		return VTD_FR_ROOT_ACCESS;
	if (!(rlo & VTD_ROOT_LO_P))
		return VTD_FR_ROOT_P;
	/* Legacy root entry: bits 11:1, address bits above HAW and the whole
	 * upper half are reserved (9.1). */
	if ((rlo & model_root_rsvd(m)) || rhi)
		return VTD_FR_ROOT_RSVD;
	if (model_read128(m, (rlo & VTD_ROOT_LO_CTP) +
			  vtd_sid_devfn(sid) * sizeof(struct vtd_context_entry), lo, hi)) {
		*lo = 0;
		return VTD_FR_CTX_ACCESS;
	}
	if (!(*lo & VTD_CTX_LO_P))
		return VTD_FR_CTX_P;
	if ((*lo & model_ctx_lo_rsvd(m)) || (*hi & VTD_CTX_HI_RSVD))
		return VTD_FR_CTX_RSVD;
	aw = (unsigned int)vtd_field_get(VTD_CTX_HI_AW, *hi);
	if (aw > 3 || !(m->cfg.sagaw & (1u << aw)))
		return VTD_FR_CTX_INV;
	tt = (unsigned int)vtd_field_get(VTD_CTX_LO_TT, *lo);
	if ((tt == VTD_CTX_TT_DEV_TLB && !m->cfg.device_tlb) ||
	    (tt == VTD_CTX_TT_PASS_THROUGH && !m->cfg.pass_through) || tt == 3)
		return VTD_FR_CTX_INV;
	return 0;
}

/* Reserved bits of a second-level entry at @level (9.8; QEMU's
 * vtd_spte_rsvd[] / vtd_spte_rsvd_large[]).  SNP is reserved because the
 * model has no ECAP.SC; TM unless ECAP.DT, and only in leaves. */
static uint64_t pte_rsvd(const struct liommu_model *m, unsigned int level, bool leaf)
{
	uint64_t r = VTD_SLPTE_SNP | (VTD_ADDR_MASK & ~m->haw_mask);

	if (!leaf || !m->cfg.device_tlb)
		r |= VTD_SLPTE_TM;
	if (level >= 4)
		r |= VTD_SLPTE_PS;
	if (leaf && level > 1)
		r |= VTD_GENMASK64(vtd_level_shift(level) - 1, VTD_PAGE_SHIFT);
	return r;
}

struct walk {
	uint64_t pa_page;	/* leaf frame */
	unsigned int level;	/* of the leaf */
	unsigned int perm;	/* accumulated R/W */
	uint64_t pde;		/* level-2 entry's table | perm, to cache */
	bool pde_valid;
	bool not_present;	/* fault on an entry with R = W = 0 */
};

static unsigned int perm_fault(unsigned int need, unsigned int have)
{
	if ((need & LIOMMU_MODEL_WRITE) && !(have & LIOMMU_MODEL_WRITE))
		return VTD_FR_WRITE;
	if ((need & LIOMMU_MODEL_READ) && !(have & LIOMMU_MODEL_READ))
		return VTD_FR_READ;
	return 0;
}

/*
 * The side-effect-free walks (liommu_model_walk(), _walk_range()) ask for
 * no particular access: a page is mapped when it grants read or write.
 * Where the permissions accumulated so far become empty, both a read and
 * a write would fault; the walk reports the read's reason.
 */
#define NEED_ANY	0x80u

static inline unsigned int walk_perm_fault(unsigned int need, unsigned int have)
{
	if (need == NEED_ANY)
		return have ? 0 : VTD_FR_READ;
	return perm_fault(need, have);
}

/* A table that cannot be read: the one SLPTPTR names is part of the
 * context entry's programming (0x03); one named by a paging entry is
 * 0x07 (Appendix A; QEMU vtd_iova_to_slpte()). */
static inline unsigned int table_fault(bool top)
{
	return top ? VTD_FR_CTX_INV : VTD_FR_PT_ACCESS;
}

/*
 * The decoder of one second-level entry @pte read at @level, shared by
 * every walk: it narrows *@perm by the entry's R/W, says whether the
 * entry is a leaf, and returns the fault a request for @need meets here
 * (0: none).  The order of the checks is QEMU 7.2's vtd_iova_to_slpte():
 * permissions (a not-present entry included), then reserved bits.
 */
static inline unsigned int pte_step(const struct liommu_model *m, uint64_t pte,
				    unsigned int level, unsigned int need,
				    unsigned int *perm, bool *leaf)
{
	unsigned int fr;

	*perm &= (unsigned int)(pte & (VTD_SLPTE_R | VTD_SLPTE_W));
	fr = walk_perm_fault(need, *perm);
	if (fr)
		return fr;
	*leaf = level == 1 || (pte & VTD_SLPTE_PS);
	/* PS on a level the unit has no superpages for is reserved
	 * (CAP.SLLPS; 9.8). */
	if (*leaf && level > 1 && level <= 3 &&
	    !(m->cfg.sllps & (level == 2 ? VTD_SLLPS_2M : VTD_SLLPS_1G)))
		return VTD_FR_PT_RSVD;
	if (pte & pte_rsvd(m, level, *leaf && level <= 3))
		return VTD_FR_PT_RSVD;
	return 0;
}

/* The frame a leaf at @level maps. */
static inline uint64_t leaf_frame(uint64_t pte, unsigned int level)
{
	return pte & VTD_SLPTE_ADDR & ~((1ULL << vtd_level_shift(level)) - 1);
}

/*
 * The one walker of a single IOVA: from @table at @level (the top-level
 * table when @top, else a table the PDE cache gave) with @perm
 * accumulated, down to the leaf.  It reads memory only: the callers
 * decide what to cache and count (*@loads: entries read).
 */
static inline unsigned int walk_tables(const struct liommu_model *m, uint64_t table,
				       unsigned int level, unsigned int perm, bool top,
				       uint64_t iova, unsigned int need, struct walk *w,
				       unsigned int *loads)
{
	unsigned int fr;

	w->pde_valid = false;
	w->pde = 0;
	w->not_present = false;
	*loads = 0;
	for (;;) {
		uint64_t pte;
		bool leaf;

		if (model_read64(m, table + 8ULL * vtd_level_index(iova, level), &pte))
			return table_fault(top);
		top = false;
		(*loads)++;
		fr = pte_step(m, pte, level, need, &perm, &leaf);
		if (fr) {
			w->not_present = !(pte & VTD_SLPTE_PRESENT);
			return fr;
		}
		if (leaf) {
			w->pa_page = leaf_frame(pte, level);
			w->level = level;
			w->perm = perm;
			return 0;
		}
		table = pte & VTD_SLPTE_ADDR;
		if (level == MODEL_PDE_LEVEL) {
			w->pde = table | perm;
			w->pde_valid = true;
		}
		level--;
	}
}

/* A translation's walk (the miss path): from a cached PDE when there is
 * one, counted in the statistics. */
static unsigned int walk(struct liommu_model *m, struct mstats_blk *b,
			 const struct ctxd *c, uint64_t iova, unsigned int need,
			 struct walk *w)
{
	unsigned int level = c->levels, loads, fr;
	uint64_t table = c->slpt;
	unsigned int perm = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE;
	bool top = true;
	struct mcache_val v;

	mstat_add(b, MS_WALKS, 1);
	if (m->pde_on && level > MODEL_PDE_LEVEL &&
	    mcache_lookup(&m->pde, model_tlb_key(c->did, iova, MODEL_PDE_LEVEL), &v)) {
		table = v.v0 & VTD_ADDR_MASK;
		perm = (unsigned int)(v.v0 & (VTD_SLPTE_R | VTD_SLPTE_W));
		level = 1;
		top = false;
		mstat_add(b, MS_PDE_HITS, 1);
	}
	fr = walk_tables(m, table, level, perm, top, iova, need, w, &loads);
	mstat_add(b, MS_WALK_LOADS, loads);
	return fr;
}

/* The result of a leaf (an IOTLB or front-TLB value, or a walk): frame |
 * R/W in @leaf, at @level, for @iova in domain @did. */
static inline void leaf_out(uint64_t leaf, unsigned int level, uint64_t iova, uint16_t did,
			    bool hit, struct liommu_model_xlate *o)
{
	o->page_size = 1ULL << vtd_level_shift(level);
	o->pa = (leaf & VTD_ADDR_MASK) | (iova & (o->page_size - 1));
	o->perm = (unsigned int)(leaf & (VTD_SLPTE_R | VTD_SLPTE_W));
	o->did = did;
	o->iotlb_hit = hit;
}

/*
 * Checks that need only the context entry: TT (pass-through, ATS
 * blocking) and the address width.  Return: 0 and *done = true when the
 * request is answered (pass-through), else 0 to go on, or a reason.
 */
static unsigned int ctx_checks(const struct ctxd *c, uint64_t iova, unsigned int flags,
			       struct liommu_model_xlate *o, bool *done)
{
	*done = false;
	if (c->tt == VTD_CTX_TT_PASS_THROUGH) {
		o->pa = iova;
		o->page_size = VTD_PAGE_SIZE;
		o->perm = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE;
		o->did = c->did;
		o->iotlb_hit = true;
		*done = true;
		return 0;
	}
	if ((flags & LIOMMU_MODEL_ATS) && c->tt != VTD_CTX_TT_DEV_TLB)
		return VTD_FR_CTX_TT;
	if (c->width < 64 && (iova >> c->width))
		return VTD_FR_ADDR_BEYOND_AW;
	return 0;
}

/* IOTLB lookup at every page size the unit may have cached.  Return:
 * true on a hit, with the result in @o, its permission verdict (0 or
 * 0x05/0x06) in *fr, and the entry in *@key / *@v: a cached entry can
 * fault too, and a not-present entry cached under caching mode has no
 * permissions at all. */
static bool tlb_probe(struct liommu_model *m, const struct ctxd *c, uint64_t iova,
		      unsigned int need, struct liommu_model_xlate *o, unsigned int *fr,
		      uint64_t *key, struct mcache_val *v)
{
	uint32_t sp = atomic_load_explicit(&m->sp_levels, memory_order_relaxed);
	unsigned int level;

	for (level = 1; level <= 3; level++) {
		if (level > 1 && !(sp & (1u << level)))
			continue;
		*key = model_tlb_key(c->did, iova, level);
		if (!mcache_lookup(&m->iotlb, *key, v))
			continue;
		leaf_out(v->v0, level, iova, c->did, true, o);
		*fr = perm_fault(need, o->perm);
		return true;
	}
	return false;
}

/*
 * The front TLB (see struct liommu_model): one lookup keyed by source-id
 * and page answers what the context cache and the IOTLB would.  Only
 * successful untranslated requests use it; anything else (a permission
 * the entry lacks, ATS) goes the long way, which reports the fault.
 * Writes @out directly: a result assembled on the stack and copied would
 * cost a store-forwarding stall on the hottest path.
 */
static inline bool front_lookup(struct liommu_model *m, uint16_t sid, uint64_t iova,
				unsigned int need, struct liommu_model_xlate *out)
{
	/* The generation before the entry: an entry tagged with it was made
	 * before any removal that is visible to us (see deps_drop()). */
	uint64_t gen = atomic_load_explicit(&m->front_gen, memory_order_acquire);
	struct mcache_val v;

	if (iova >> MODEL_FRONT_IOVA_BITS ||
	    !mcache_lookup(&m->front, model_front_key(sid, iova), &v) ||
	    v.v1 >> MODEL_FRONT_GEN_SHIFT != (gen & (UINT64_MAX >> MODEL_FRONT_GEN_SHIFT)) ||
	    need & ~(unsigned int)(v.v0 & (VTD_SLPTE_R | VTD_SLPTE_W)))
		return false;
	if (out)
		leaf_out(v.v0, (unsigned int)(v.v1 >> 16) & 3, iova, (uint16_t)v.v1, true, out);
	return true;
}

/*
 * After a context-cache hit and an IOTLB hit (@key, @v) under generation
 * @gen, read before both lookups: remember the answer in the front TLB.
 * The IOTLB entry is marked first, so its eviction or invalidation from
 * now on advances the generation; if it changed before the mark, nothing
 * is made.
 */
static void front_fill(struct liommu_model *m, uint16_t sid, uint64_t iova, uint64_t gen,
		       uint16_t did, uint64_t key, const struct mcache_val *v)
{
	unsigned int level = (unsigned int)(key >> 16) & 7;

	if (iova >> MODEL_FRONT_IOVA_BITS)
		return;
	if (!(v->v1 & MODEL_TLB_FRONT) &&
	    !liommu__mcache_mark(&m->iotlb, key, v->v0, MODEL_TLB_FRONT))
		return;
	liommu__mcache_insert(&m->front, model_front_key(sid, iova), v->v0,
			      model_front_v1(gen, level, did), NULL, 0);
}

/* Core translation; returns 0 or a fault reason with its FPD. */
static unsigned int xlate(struct liommu_model *m, struct mstats_blk *b, uint16_t sid,
			  uint64_t iova, unsigned int flags, struct liommu_model_xlate *o, bool *fpd)
{
	unsigned int need = flags & (LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	struct mcache_val cv, tv;
	struct ctxd c;
	struct walk w;
	unsigned int fr;
	uint64_t epoch, gen, tkey;
	bool have_ctx, done;

	/* Both before any lookup (see front_fill() and cache.c). */
	gen = atomic_load_explicit(&m->front_gen, memory_order_acquire);
	epoch = atomic_load_explicit(&m->epoch, memory_order_acquire);
	*fpd = false;
	have_ctx = mcache_lookup(&m->ctx, (uint64_t)sid + 1, &cv);
	if (have_ctx) {
		mstat_add(b, MS_CTX_HITS, 1);
		if (!(cv.v0 & VTD_CTX_LO_P)) {
			/* Not-present entry cached under caching mode. */
			*fpd = cv.v0 & VTD_CTX_LO_FPD;
			return (unsigned int)vtd_field_get(CTX_NEG_REASON, cv.v1);
		}
		ctx_decode(m, cv.v0, cv.v1, &c);
		*fpd = c.fpd;
		fr = ctx_checks(&c, iova, flags, o, &done);
		if (fr || done)
			return fr;
		if (tlb_probe(m, &c, iova, need, o, &fr, &tkey, &tv)) {
			mstat_add(b, MS_IOTLB_HITS, 1);
			if (!fr && !(flags & LIOMMU_MODEL_ATS))
				front_fill(m, sid, iova, gen, c.did, tkey, &tv);
			return fr;
		}
		mstat_add(b, MS_IOTLB_MISSES, 1);
	} else {
		mstat_add(b, MS_CTX_MISSES, 1);
	}

	/* Miss: walk; every insert rechecks the epoch read above. */
	if (!have_ctx) {
		uint64_t lo, hi;

		fr = ctx_fetch(m, sid, &lo, &hi);
		*fpd = lo & VTD_CTX_LO_FPD;
		if (fr) {
			/* Caching mode: not-present entries may be cached too,
			 * tagged with domain 0 (6.2.2). */
			if (m->cfg.caching_mode &&
			    (fr == VTD_FR_ROOT_P || fr == VTD_FR_CTX_P))
				liommu__mcache_insert(&m->ctx, (uint64_t)sid + 1,
						      lo & ~VTD_CTX_LO_P,
						      vtd_field_prep(CTX_NEG_REASON, fr),
						      &m->epoch, epoch);
			return fr;
		}
		liommu__mcache_insert(&m->ctx, (uint64_t)sid + 1, lo, hi, &m->epoch, epoch);
		ctx_decode(m, lo, hi, &c);
		fr = ctx_checks(&c, iova, flags, o, &done);
		if (fr || done)
			return fr;
		/* The IOTLB is tagged by domain, not by context-cache entry:
		 * a context-cache miss does not hide what the IOTLB still
		 * holds for the domain (6.5.3.3 asks software to invalidate
		 * the IOTLB after the context cache for that reason; QEMU
		 * 7.2 even looks the IOTLB up before the context). */
		if (tlb_probe(m, &c, iova, need, o, &fr, &tkey, &tv)) {
			mstat_add(b, MS_IOTLB_HITS, 1);
			return fr;
		}
		mstat_add(b, MS_IOTLB_MISSES, 1);
	}
	/* An invalidation that begins during the walk makes the inserts
	 * below drop their entries; this request itself is in flight and
	 * may still use what it read (model.h, ordering rule 3). */
	fr = walk(m, b, &c, iova, need, &w);
	if (fr) {
		if (w.not_present && m->cfg.caching_mode)
			liommu__mcache_insert(&m->iotlb, model_tlb_key(c.did, iova, 1), 0, 0,
					      &m->epoch, epoch);
		return fr;
	}
	/* Before the insert, so an invalidation that misses the bit is one
	 * the insert sees (cache.c). */
	if (w.level > 1)
		atomic_fetch_or_explicit(&m->sp_levels, 1u << w.level, memory_order_seq_cst);
	liommu__mcache_insert(&m->iotlb, model_tlb_key(c.did, iova, w.level),
			      w.pa_page | w.perm, 0, &m->epoch, epoch);
	if (w.pde_valid && m->pde_on)
		liommu__mcache_insert(&m->pde, model_tlb_key(c.did, iova, MODEL_PDE_LEVEL),
				      w.pde, 0, &m->epoch, epoch);
	leaf_out(w.pa_page | w.perm, w.level, iova, c.did, false, o);
	return 0;
}

static void fill_fault(struct liommu_fault *f, uint16_t sid, uint64_t addr,
		       unsigned int reason, unsigned int flags)
{
	memset(f, 0, sizeof(*f));
	f->addr = addr & VTD_PAGE_MASK;
	f->sid = sid;
	f->reason = (uint8_t)reason;
	if (reason == VTD_FR_WRITE)
		f->is_write = true;
	else if (reason == VTD_FR_READ)
		f->is_write = false;
	else
		f->is_write = !(flags & LIOMMU_MODEL_READ);
	/* AT: 00 untranslated, 01 translation request (ATS). */
	f->at = (flags & LIOMMU_MODEL_ATS) ? 1 : 0;
}

#define XLATE_FLAGS	(LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE | LIOMMU_MODEL_ATS | \
			 LIOMMU_MODEL_NO_RECORD)

/* Everything but a front TLB hit. */
static __attribute__((noinline)) int
translate_slow(struct liommu_model *m, struct mstats_blk *b, uint16_t sid, uint64_t iova,
	       unsigned int flags, struct liommu_model_xlate *out, struct liommu_fault *fault)
{
	struct liommu_model_xlate local, *o = out ? out : &local;
	unsigned int fr;
	bool fpd;

	if (!(flags & (LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE)) || (flags & ~XLATE_FLAGS) ||
	    ((flags & LIOMMU_MODEL_ATS) && !m->cfg.device_tlb))
		return -EINVAL;
	if (!atomic_load_explicit(&m->te, memory_order_acquire)) {
		mstat_add(b, MS_UNTRANSLATED, 1);
		o->pa = iova;
		o->page_size = VTD_PAGE_SIZE;
		o->perm = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE;
		o->did = 0;
		o->iotlb_hit = true;
		return 0;
	}
	mstat_add(b, MS_TRANSLATIONS, 1);
	/* Straight into @out: a result built on the stack and copied costs
	 * a store-forwarding stall. */
	fr = xlate(m, b, sid, iova, flags, o, &fpd);
	if (!fr)
		return 0;
	if (fault)
		fill_fault(fault, sid, iova, fr, flags);
	if (fpd && reason_qualified(fr))
		mstat_add(b, MS_FAULTS_SUPPRESSED, 1);
	else if (!(flags & LIOMMU_MODEL_NO_RECORD))
		liommu__model_report_fault(m, sid, iova & VTD_PAGE_MASK, fr,
					   fr == VTD_FR_WRITE ||
					   (fr != VTD_FR_READ && !(flags & LIOMMU_MODEL_READ)));
	return -EFAULT;
}

int liommu_model_translate(struct liommu_model *m, uint16_t sid, uint64_t iova,
			   unsigned int flags, struct liommu_model_xlate *out,
			   struct liommu_fault *fault)
{
	struct mstats_blk *b = model_stats(m);
	unsigned int need = flags & (LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);

	/* A plain read or write that the front TLB answers. */
	if (need && !(flags & ~(need | LIOMMU_MODEL_NO_RECORD)) &&
	    atomic_load_explicit(&m->te, memory_order_acquire) &&
	    front_lookup(m, sid, iova, need, out)) {
		mstat_add(b, MS_FRONT_HITS, 1);
		return 0;
	}
	return translate_slow(m, b, sid, iova, flags, out, fault);
}

/* ------------------------------------------------------------------ */
/* Walks without side effects                                          */
/* ------------------------------------------------------------------ */

/*
 * What a shadow of the tables (the vIOMMU engine) needs: the same root,
 * context and paging-entry checks as a translation's miss path (ctx_fetch(),
 * ctx_checks(), pte_step(), walk_tables() above), with no cache read or
 * filled, no fault recorded and no statistic bumped.  Nothing here takes
 * a lock, so the invalidation callback may call it.
 */

int liommu_model_context(struct liommu_model *m, uint16_t sid, struct liommu_model_ctx *out)
{
	uint64_t lo, hi;
	unsigned int fr;
	struct ctxd c;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->te = atomic_load_explicit(&m->te, memory_order_acquire);
	fr = ctx_fetch(m, sid, &lo, &hi);
	out->fpd = lo & VTD_CTX_LO_FPD;
	out->present = !fr || fr == VTD_FR_CTX_RSVD || fr == VTD_FR_CTX_INV;
	if (out->present) {
		/* The raw fields, meaningful even when the entry is bad. */
		out->tt = (unsigned int)vtd_field_get(VTD_CTX_LO_TT, lo);
		out->did = (uint16_t)vtd_field_get(VTD_CTX_HI_DID, hi);
		out->aw = (unsigned int)vtd_field_get(VTD_CTX_HI_AW, hi);
	}
	if (fr) {
		out->reason = (uint8_t)fr;
		return -EFAULT;
	}
	ctx_decode(m, lo, hi, &c);
	out->width = c.width;
	out->levels = c.levels;
	out->slptptr = c.slpt;
	return 0;
}

/* TE clear: the request is not translated (as translate_slow()). */
static void untranslated(uint64_t iova, struct liommu_model_xlate *o)
{
	o->pa = iova;
	o->page_size = VTD_PAGE_SIZE;
	o->perm = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE;
	o->did = 0;
	o->iotlb_hit = true;
}

int liommu_model_walk(struct liommu_model *m, uint16_t sid, uint64_t iova,
		      struct liommu_model_xlate *out, struct liommu_fault *fault)
{
	struct liommu_model_xlate local, *o = out ? out : &local;
	unsigned int fr, loads;
	uint64_t lo, hi;
	struct ctxd c;
	struct walk w;
	bool done;

	if (!atomic_load_explicit(&m->te, memory_order_acquire)) {
		untranslated(iova, o);
		return 0;
	}
	fr = ctx_fetch(m, sid, &lo, &hi);
	if (!fr) {
		ctx_decode(m, lo, hi, &c);
		fr = ctx_checks(&c, iova, 0, o, &done);
		if (!fr && done)
			return 0;
	}
	if (!fr)
		fr = walk_tables(m, c.slpt, c.levels, LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE,
				 true, iova, NEED_ANY, &w, &loads);
	if (!fr) {
		leaf_out(w.pa_page | w.perm, w.level, iova, c.did, false, o);
		return 0;
	}
	if (fault)
		fill_fault(fault, sid, iova, fr, LIOMMU_MODEL_READ);
	return -EFAULT;
}

struct range_walk {
	struct liommu_model *m;
	liommu_model_leaf_fn cb;
	void *priv;
	uint64_t pos;		/* next IOVA to look at */
	uint64_t end;		/* exclusive, within the context's width */
	int skipped;		/* erroneous entries passed over */
};

/* One erroneous entry passed over (the count saturates). */
static void range_skip(struct range_walk *r)
{
	if (r->skipped < INT_MAX)
		r->skipped++;
}

/*
 * The entries of @table at @level from the one covering r->pos up to the
 * table's end or r->end.  Depth is bounded by the context's levels
 * whatever the tables point at, so loops end.  Every entry goes through
 * pte_step(), the decoder of the single-IOVA walk.
 */
static int range_table(struct range_walk *r, uint64_t table, unsigned int level,
		       unsigned int perm_in)
{
	unsigned int shift = vtd_level_shift(level);
	uint64_t size = 1ULL << shift;
	unsigned int i;

	for (i = vtd_level_index(r->pos, level); i < VTD_PT_ENTRIES && r->pos < r->end; i++) {
		uint64_t first = r->pos & ~(size - 1);
		unsigned int perm = perm_in, fr;
		uint64_t pte;
		bool leaf;
		int ret;

		if (model_read64(r->m, table + 8ULL * i, &pte)) {
			/* A walk here faults 0x03 (top) or 0x07. */
			range_skip(r);
		} else if ((fr = pte_step(r->m, pte, level, NEED_ANY, &perm, &leaf))) {
			/* No permission left: not mapped, nothing to count. */
			if (fr != VTD_FR_READ)
				range_skip(r);
		} else if (leaf) {
			ret = r->cb(r->priv, first, leaf_frame(pte, level), size, perm);
			if (ret)
				return ret;
		} else {
			ret = range_table(r, pte & VTD_SLPTE_ADDR, level - 1, perm);
			if (ret)
				return ret;
		}
		r->pos = first + size;
	}
	return 0;
}

int liommu_model_walk_range(struct liommu_model *m, uint16_t sid, uint64_t start,
			    uint64_t end, liommu_model_leaf_fn cb, void *priv)
{
	struct range_walk r = { .m = m, .cb = cb, .priv = priv, .pos = start, .end = end };
	uint64_t lo, hi;
	unsigned int fr;
	struct ctxd c;
	int ret;

	if (!cb)
		return -EINVAL;
	if (start >= end)
		return 0;
	if (!atomic_load_explicit(&m->te, memory_order_acquire))
		return cb(priv, start, start, end - start,
			  LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	fr = ctx_fetch(m, sid, &lo, &hi);
	if (fr)
		return -EFAULT;
	ctx_decode(m, lo, hi, &c);
	if (c.tt == VTD_CTX_TT_PASS_THROUGH)
		return cb(priv, start, start, end - start,
			  LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	/* Above the width every request faults 0x04: nothing is mapped. */
	if (c.width < 64 && r.end > (1ULL << c.width))
		r.end = 1ULL << c.width;
	if (r.pos >= r.end)
		return 0;
	ret = range_table(&r, c.slpt, c.levels, LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	return ret ? ret : r.skipped;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

struct chunk {
	uint64_t pa;
	uint64_t len;
};

#define DMA_STACK_CHUNKS	16

static int dma(struct liommu_model *m, uint16_t sid, uint64_t iova, void *rbuf,
	       const void *wbuf, size_t len, struct liommu_fault *fault)
{
	struct chunk stack[DMA_STACK_CHUNKS], *ch = stack;
	size_t nch = 0, cap = DMA_STACK_CHUNKS, i, done = 0;
	unsigned int flags = rbuf ? LIOMMU_MODEL_READ : LIOMMU_MODEL_WRITE;
	uint64_t pos = iova, left = len;
	int ret = 0;

	if (!len)
		return 0;
	if (iova + (len - 1) < iova)
		return -EINVAL;
	/* Translate every page first: on a fault nothing moves. */
	while (left) {
		struct liommu_model_xlate x;
		uint64_t n;

		ret = liommu_model_translate(m, sid, pos, flags, &x, fault);
		if (ret)
			goto out;
		n = x.page_size - (pos & (x.page_size - 1));
		if (n > left)
			n = left;
		if (nch && ch[nch - 1].pa + ch[nch - 1].len == x.pa) {
			ch[nch - 1].len += n;
		} else {
			if (nch == cap) {
				struct chunk *bigger = malloc(2 * cap * sizeof(*bigger));

				if (!bigger) {
					ret = -ENOMEM;
					goto out;
				}
				memcpy(bigger, ch, nch * sizeof(*ch));
				if (ch != stack)
					free(ch);
				ch = bigger;
				cap *= 2;
			}
			ch[nch].pa = x.pa;
			ch[nch].len = n;
			nch++;
		}
		pos += n;
		left -= n;
	}
	/* Addresses outside memory are refused by the bounded accessors: the
	 * request is aborted there (chunks before it have moved, as the
	 * earlier TLPs of a real device's request would have). */
	for (i = 0; i < nch; i++) {
		int r = rbuf ? liommu__model_mem_read(m, ch[i].pa, (uint8_t *)rbuf + done,
						       ch[i].len) :
			       liommu__model_mem_write(m, ch[i].pa, (const uint8_t *)wbuf + done,
							ch[i].len);
		if (r) {
			if (fault) {
				memset(fault, 0, sizeof(*fault));
				fault->addr = ch[i].pa & VTD_PAGE_MASK;
				fault->sid = sid;
				fault->is_write = !rbuf;
			}
			ret = -EIO;
			goto out;
		}
		done += ch[i].len;
	}
	mstat_add(model_stats(m), rbuf ? MS_DMA_READ_BYTES : MS_DMA_WRITE_BYTES, len);
out:
	if (ch != stack)
		free(ch);
	return ret;
}

int liommu_model_dma_read(struct liommu_model *m, uint16_t sid, uint64_t iova,
			  void *buf, size_t len, struct liommu_fault *fault)
{
	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	return dma(m, sid, iova, buf, NULL, len, fault);
}

int liommu_model_dma_write(struct liommu_model *m, uint16_t sid, uint64_t iova,
			   const void *buf, size_t len, struct liommu_fault *fault)
{
	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	return dma(m, sid, iova, NULL, buf, len, fault);
}
