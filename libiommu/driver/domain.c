// SPDX-License-Identifier: MIT
/*
 * domain.c - domains: domain IDs, the public map/unmap/translate entry
 * points over the second-level table (pgtable.c), and the root and
 * context entries (legacy mode, spec 9.1 and 9.3) that route a
 * source-id through a domain.
 *
 * Ordering rules, each from the specification:
 *  - A context entry goes from not-present to present by writing its
 *    upper half (AW, DID) first and then, with liommu__wmb() and a
 *    release store, the lower half holding P, so the unit never sees P
 *    with a stale upper half.  (No atomic_thread_fence(): GCC refuses it
 *    under ThreadSanitizer, and the release store orders the two stores
 *    for other threads while liommu__wmb() orders them for the unit.)
 *  - Not-present to present needs no invalidation unless the unit caches
 *    not-present entries (CAP.CM, spec 6.1), which it tags with domain
 *    ID 0 (spec 6.2.2); then the device's context-cache entry (DID 0) and
 *    the domain's IOTLB are invalidated (spec 6.5.3.3; Linux
 *    domain_context_mapping_one() does the same).
 *  - Present to not-present clears P first, then invalidates the device's
 *    context-cache entry and after it the domain's IOTLB, because IOTLB
 *    entries are tagged with what the context cache held (11.4.7.1;
 *    Linux domain_context_clear_one()).
 *  - With CAP.CM a map is a not-present to present change of cached
 *    entries, so the new range is invalidated too (spec 6.1).  Without
 *    it, a map is followed by a write-buffer flush when CAP.RWBF asks
 *    for one (spec 6.8): no invalidation follows that would do it.
 *
 * Locking: domain IDs, root/context tables and unit->dev_domain[] are
 * protected by the unit's cfg_lock.  Map, unmap and translate take no
 * lock (pgtable.c explains why that is safe for disjoint ranges).
 *
 * The table format (pgtable.c) is this file's tenant: domain.c gives it
 * its table pages and flushes through domain_pt_ops, with the domain as
 * cookie, decides every invalidation (including the undo of a failed
 * map), and feeds the domain's counters (domain-stats.h) what each table
 * call reports it wrote.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "domain.h"
#include "inval.h"

#define LONG_BITS	(8 * sizeof(unsigned long))

/* ------------------------------------------------------------------ */
/* Domain IDs (cfg_lock)                                               */
/* ------------------------------------------------------------------ */

static bool did_busy_locked(const struct liommu_unit *u, unsigned int did)
{
	return u->did_bitmap[did / LONG_BITS] & (1UL << (did % LONG_BITS));
}

static void did_set_locked(struct liommu_unit *u, unsigned int did)
{
	u->did_bitmap[did / LONG_BITS] |= 1UL << (did % LONG_BITS);
}

static void did_clear_locked(struct liommu_unit *u, unsigned int did)
{
	u->did_bitmap[did / LONG_BITS] &= ~(1UL << (did % LONG_BITS));
}

/* With caching mode, DID 0 tags cached not-present entries (spec 6.2.2),
 * so no domain may use it. */
static int did_alloc_locked(struct liommu_unit *u, uint16_t *out)
{
	unsigned int did;

	for (did = u->caching_mode ? 1 : 0; did < u->did_count; did++) {
		if (!did_busy_locked(u, did)) {
			did_set_locked(u, did);
			*out = (uint16_t)did;
			return 0;
		}
	}
	return -ENOSPC;
}

/* ------------------------------------------------------------------ */
/* The table format's ops                                              */
/* ------------------------------------------------------------------ */

/* Counted in the unit's table pages (liommu__page_alloc()) and in the
 * domain's; liommu__page_alloc() has flushed the zeroed page already. */
static int domain_pt_page_alloc(void *cookie, void **va, uint64_t *pa)
{
	struct liommu_domain *d = cookie;
	struct liommu_page pg;
	int ret = liommu__page_alloc(d->unit, &pg);

	if (ret)
		return ret;
	liommu__dom_stats_table_page_get(&d->st);
	*va = pg.va;
	*pa = pg.pa;
	return 0;
}

static void domain_pt_page_free(void *cookie, void *va, uint64_t pa)
{
	struct liommu_domain *d = cookie;
	struct liommu_page pg = { va, pa };

	liommu__page_free(d->unit, &pg);
	liommu__dom_stats_table_page_put(&d->st);
}

/* Called only when stores need a flush (struct liommu_pt_cfg.coherent). */
static void domain_pt_flush(void *cookie, const void *va, size_t len)
{
	const struct liommu_domain *d = cookie;

	liommu__flush(d->unit, va, len);
}

static const struct liommu_pt_ops domain_pt_ops = {
	.page_alloc = domain_pt_page_alloc,
	.page_free = domain_pt_page_free,
	.flush = domain_pt_flush,
};

/*
 * A unit that snoops, or a platform without a flush op, needs no flush
 * (liommu__flush() would return at once): telling the format so spares
 * every PTE store a call.
 */
static int domain_pt_init(struct liommu_domain *d)
{
	const struct liommu_unit *u = d->unit;
	struct liommu_pt_cfg cfg = {
		.levels = u->levels,
		.width = u->width,
		.sllps = u->sllps,
		.snoop = u->ecap & VTD_ECAP_SC,
		.coherent = u->coherent || !u->plat->ops->flush,
	};

	return liommu__pt_init(&d->pt, &cfg, &domain_pt_ops, d);
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

int liommu_domain_new(struct liommu_unit *unit, struct liommu_domain **out)
{
	struct liommu_domain *d;
	int ret;

	if (!unit || !out)
		return -EINVAL;
	/* 64-byte aligned for the counter shards (domain-stats.h). */
	if (posix_memalign((void **)&d, 64, sizeof(*d)))
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	d->unit = unit;

	pthread_mutex_lock(&unit->cfg_lock);
	ret = did_alloc_locked(unit, &d->did);
	pthread_mutex_unlock(&unit->cfg_lock);
	if (ret)
		goto err_free;

	ret = domain_pt_init(d);
	if (ret)
		goto err_did;
	*out = d;
	return 0;

err_did:
	pthread_mutex_lock(&unit->cfg_lock);
	did_clear_locked(unit, d->did);
	pthread_mutex_unlock(&unit->cfg_lock);
err_free:
	free(d);
	return ret;
}

uint16_t liommu_domain_id(const struct liommu_domain *dom)
{
	return dom->did;
}

struct liommu_unit *liommu_domain_unit(struct liommu_domain *dom)
{
	return dom->unit;
}

/* Sums of the counter shards; domain-stats.c says how exact they are. */
void liommu_domain_get_stats(const struct liommu_domain *dom,
			     struct liommu_domain_stats *st)
{
	liommu__dom_stats_read(&dom->st, st);
}

/* ------------------------------------------------------------------ */
/* Map, unmap, translate                                               */
/* ------------------------------------------------------------------ */

static inline void account(struct liommu_domain *dom, const struct liommu_pt_count *c)
{
	liommu__dom_stats_account(&dom->st, c->pte_writes, c->mapped, c->unmapped);
}

/*
 * Nothing of a failed map stays mapped.  The entries of [@iova, @iova +
 * @size) were live, so they are unmapped like any others: cleared, the
 * IOTLB invalidated, then the tables this call emptied freed.
 */
static void map_undo(struct liommu_domain *dom, uint64_t iova, uint64_t size)
{
	struct liommu_unit *u = dom->unit;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	struct liommu_pt_count cnt;
	int r;

	liommu__pt_unmap(&dom->pt, iova, size, &g, &cnt);
	account(dom, &cnt);
	r = liommu__inval_iotlb_range(u, dom->did, g.start, g.end, !g.tables);
	if (r)
		liommu__log(u, LOG_ERR,
			    "domain %u: invalidation failed (%d) undoing a map; "
			    "keeping its table pages", dom->did, r);
	else
		liommu__pt_free_gathered(&dom->pt, &g);
}

int liommu_domain_map(struct liommu_domain *dom, uint64_t iova, uint64_t pa,
		      uint64_t size, unsigned int prot)
{
	struct liommu_pt_count cnt;
	struct liommu_unit *u;
	int ret;

	if (!dom)
		return -EINVAL;
	u = dom->unit;
	ret = liommu__pt_map(&dom->pt, iova, pa, size, prot, &cnt);
	account(dom, &cnt);
	if (ret) {
		if (cnt.mapped)
			map_undo(dom, iova, cnt.mapped);
		return ret;
	}
	/*
	 * CAP.CM: the unit may hold not-present entries for this range, and
	 * new table levels may have replaced cached not-present ones, so
	 * invalidate with IH = 0 (spec 6.1); the invalidation flushes the
	 * write buffer itself.  Without CM no invalidation is needed, but a
	 * unit reporting CAP.RWBF may hold the new entries in its write
	 * buffer until GCMD.WBF (spec 6.8); liommu__flush_write_buffer() is
	 * a no-op otherwise.  If either fails the mapping is withdrawn, so
	 * the caller never holds a half-working range.
	 */
	if (u->caching_mode)
		ret = liommu__inval_iotlb_range(u, dom->did, iova, iova + size, false);
	else
		ret = liommu__flush_write_buffer(u);
	if (ret) {
		liommu__log(u, LOG_ERR, "domain %u: %s after map failed (%d)", dom->did,
			    u->caching_mode ? "caching-mode invalidation" :
			    "write-buffer flush", ret);
		liommu_domain_unmap(dom, iova, size);
	}
	return ret;
}

int liommu_domain_unmap_nosync(struct liommu_domain *dom, uint64_t iova,
			       uint64_t size, struct liommu_gather *g)
{
	struct liommu_pt_count cnt;
	int ret;

	if (!dom || !g)
		return -EINVAL;
	ret = liommu__pt_unmap(&dom->pt, iova, size, g, &cnt);
	account(dom, &cnt);
	return ret;
}

int liommu_domain_flush(struct liommu_domain *dom, struct liommu_gather *g)
{
	int ret;

	if (!dom || !g)
		return -EINVAL;
	if (!g->end && !g->freelist)
		return 0;
	ret = liommu__inval_iotlb_range(dom->unit, dom->did, g->start, g->end,
					!g->tables);
	if (ret) {
		/* The unit may still walk the gathered tables: keep them, the
		 * caller may retry the flush. */
		liommu__log(dom->unit, LOG_ERR, "domain %u: IOTLB flush failed (%d)",
			    dom->did, ret);
		return ret;
	}
	liommu__pt_free_gathered(&dom->pt, g);
	return 0;
}

int liommu_domain_unmap(struct liommu_domain *dom, uint64_t iova, uint64_t size)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	int ret, fret;

	ret = liommu_domain_unmap_nosync(dom, iova, size, &g);
	if (ret == -EINVAL || ret == -ERANGE)
		return ret;
	fret = liommu_domain_flush(dom, &g);
	return fret ? fret : ret;
}

int liommu_domain_translate(struct liommu_domain *dom, uint64_t iova, uint64_t *pa,
			    unsigned int *prot, uint64_t *page_size)
{
	if (!dom)
		return -EINVAL;
	return liommu__pt_translate(&dom->pt, iova, pa, prot, page_size);
}

/* ------------------------------------------------------------------ */
/* Root and context entries (cfg_lock)                                 */
/* ------------------------------------------------------------------ */

static void entry_flush(const struct liommu_unit *u, const void *p, size_t len)
{
	if (!u->coherent)
		liommu__flush(u, p, len);
}

/* The bus's context table, allocated and made present on first use. */
static int ctx_table_get_locked(struct liommu_unit *u, unsigned int bus,
				struct vtd_context_entry **out)
{
	struct liommu_context_table *ct = u->ctx[bus];
	struct vtd_root_entry *re;
	int ret;

	if (!ct) {
		ct = calloc(1, sizeof(*ct));
		if (!ct)
			return -ENOMEM;
		ret = liommu__page_alloc(u, &ct->page);
		if (ret) {
			free(ct);
			return ret;
		}
		entry_flush(u, ct->page.va, VTD_PAGE_SIZE);
		/* Legacy root entry (9.1): the upper half is reserved and
		 * stays 0; the lower half carries CTP and P. */
		re = (struct vtd_root_entry *)u->root.va + bus;
		__atomic_store_n(&re->hi, 0, __ATOMIC_RELAXED);
		liommu__wmb();
		__atomic_store_n(&re->lo, (ct->page.pa & VTD_ROOT_LO_CTP) | VTD_ROOT_LO_P,
				 __ATOMIC_RELEASE);
		entry_flush(u, re, sizeof(*re));
		u->ctx[bus] = ct;
	}
	*out = ct->page.va;
	return 0;
}

/* Clear the present half of a context entry (the unit stops using it
 * once the context cache is invalidated). */
static void ctx_clear_lo_locked(struct liommu_unit *u, struct vtd_context_entry *ce)
{
	__atomic_store_n(&ce->lo, 0, __ATOMIC_RELEASE);
	entry_flush(u, ce, sizeof(*ce));
}

static void ctx_clear_hi_locked(struct liommu_unit *u, struct vtd_context_entry *ce)
{
	__atomic_store_n(&ce->hi, 0, __ATOMIC_RELEASE);
	entry_flush(u, ce, sizeof(*ce));
}

int liommu_domain_attach(struct liommu_domain *dom, uint16_t sid)
{
	struct liommu_unit *u;
	struct vtd_context_entry *ctx, *ce;
	uint64_t lo, hi;
	int ret;

	if (!dom)
		return -EINVAL;
	u = dom->unit;
	pthread_mutex_lock(&u->cfg_lock);
	if (u->dev_domain[sid]) {
		ret = u->dev_domain[sid] == dom ? 0 : -EBUSY;
		goto out;
	}
	ret = ctx_table_get_locked(u, vtd_sid_bus(sid), &ctx);
	if (ret)
		goto out;
	ce = &ctx[vtd_sid_devfn(sid)];
	if (__atomic_load_n(&ce->lo, __ATOMIC_ACQUIRE) & VTD_CTX_LO_P) {
		/* Present but not ours: never written by this driver. */
		ret = -EBUSY;
		goto out;
	}

	/* Spec 9.3: AW (the SAGAW encoding of the table's depth) and DID in
	 * the upper half; SLPTPTR, TT = 00 (untranslated requests through
	 * the multi-level table), FPD = 0 (faults reported) and P below. */
	hi = vtd_field_prep(VTD_CTX_HI_AW, u->agaw) |
	     vtd_field_prep(VTD_CTX_HI_DID, dom->did);
	lo = (dom->pt.root_pa & VTD_CTX_LO_SLPTPTR) |
	     vtd_field_prep(VTD_CTX_LO_TT, VTD_CTX_TT_MULTI_LEVEL) | VTD_CTX_LO_P;
	__atomic_store_n(&ce->hi, hi, __ATOMIC_RELAXED);
	liommu__wmb();
	__atomic_store_n(&ce->lo, lo, __ATOMIC_RELEASE);
	entry_flush(u, ce, sizeof(*ce));
	u->dev_domain[sid] = dom;

	/*
	 * Not-present -> present (spec 6.5.3.3).  With CAP.CM the unit may
	 * have cached the old not-present entry under DID 0 (6.2.2): flush
	 * it device-selectively, then the domain's IOTLB (Linux
	 * domain_context_mapping_one()).  Without CM only a write-buffer
	 * flush is required, and only when CAP.RWBF; the device-selective
	 * context invalidation is done anyway because it is harmless and,
	 * on RWBF units, includes the write-buffer flush (11.4.7.1: "must
	 * implicitly perform a write buffer flushing before reporting
	 * invalidation complete").
	 */
	ret = liommu__inval_context_device(u, 0, sid);
	if (!ret && u->caching_mode)
		ret = liommu__inval_iotlb_domain(u, dom->did);
	if (ret) {
		liommu__log(u, LOG_ERR, "attach %04x to domain %u: invalidation failed (%d)",
			    sid, dom->did, ret);
		ctx_clear_lo_locked(u, ce);
		ctx_clear_hi_locked(u, ce);
		u->dev_domain[sid] = NULL;
	}
out:
	pthread_mutex_unlock(&u->cfg_lock);
	return ret;
}

static int detach_locked(struct liommu_domain *dom, uint16_t sid)
{
	struct liommu_unit *u = dom->unit;
	struct vtd_context_entry *ce;
	int ret;

	ce = (struct vtd_context_entry *)u->ctx[vtd_sid_bus(sid)]->page.va +
	     vtd_sid_devfn(sid);
	ctx_clear_lo_locked(u, ce);
	u->dev_domain[sid] = NULL;
	/* Context cache first, then the IOTLB it tagged (11.4.7.1). */
	ret = liommu__inval_context_device(u, dom->did, sid);
	if (!ret)
		ret = liommu__inval_iotlb_domain(u, dom->did);
	/* The upper half is cleared only once the unit can no longer hold
	 * the entry, so it never reads P with half the fields gone. */
	ctx_clear_hi_locked(u, ce);
	if (ret)
		liommu__log(u, LOG_ERR, "detach %04x from domain %u: invalidation failed (%d)",
			    sid, dom->did, ret);
	return ret;
}

int liommu_domain_detach(struct liommu_domain *dom, uint16_t sid)
{
	struct liommu_unit *u;
	int ret;

	if (!dom)
		return -EINVAL;
	u = dom->unit;
	pthread_mutex_lock(&u->cfg_lock);
	if (u->dev_domain[sid] != dom)
		ret = -ENOENT;
	else
		ret = detach_locked(dom, sid);
	pthread_mutex_unlock(&u->cfg_lock);
	return ret;
}

void liommu_domain_free(struct liommu_domain *dom)
{
	struct liommu_unit *u;
	unsigned int sid;
	int ret;

	if (!dom)
		return;
	u = dom->unit;
	pthread_mutex_lock(&u->cfg_lock);
	for (sid = 0; sid < 65536; sid++)
		if (u->dev_domain[sid] == dom)
			detach_locked(dom, (uint16_t)sid);
	pthread_mutex_unlock(&u->cfg_lock);

	/* Nothing tagged with this DID may survive its reuse. */
	ret = liommu__inval_iotlb_domain(u, dom->did);
	if (ret) {
		/* The unit may still walk the tables: leak them and the DID
		 * rather than hand them out again. */
		liommu__log(u, LOG_ERR, "domain %u: final IOTLB invalidation failed (%d); "
			    "leaking its tables and ID", dom->did, ret);
		free(dom);
		return;
	}
	liommu__pt_destroy(&dom->pt);
	pthread_mutex_lock(&u->cfg_lock);
	did_clear_locked(u, dom->did);
	pthread_mutex_unlock(&u->cfg_lock);
	free(dom);
}
