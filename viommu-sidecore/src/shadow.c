// SPDX-License-Identifier: MIT
/*
 * shadow.c - the guest's DMA mappings mirrored into host domains
 * (shadow.h says what is mirrored and the threading contract).  It owns
 * the per-source-id records of what it mapped and the struct liommu_dma
 * it put on each host domain; it reads the guest's tables only through
 * the model's side-effect-free walks and guest memory only through the
 * memory table, so a hostile guest can make it map nothing but its own
 * RAM, and only what its tables grant.
 *
 * One algorithm serves every invalidation: walk the guest's tables over
 * the range it covered (a page-selective IOTLB invalidation: its pages;
 * everything else: the whole address space of the source-ids it names),
 * mark the records that still match a leaf, unmap every other record in
 * the range (so nothing the guest dropped survives), then map the leaves
 * no record matched.  Unmaps come before maps, so a guest that moved a
 * mapping never meets its own old one at the host.
 *
 * Read top to bottom: the record index, collecting what the guest maps,
 * the diff, invalidation dispatch, the public calls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/vtd.h>

#include "shadow.h"

#define SH_PAGE		4096ull
#define SH_2M		(2ull << 20)
#define SH_1G		(1ull << 30)

/* ------------------------------------------------------------------ */
/* The record index                                                    */
/* ------------------------------------------------------------------ */

/* One host mapping the shadow made: host IOVA = guest IOVA. */
struct sh_rec {
	struct sh_rec *next;	/* hash chain */
	uint64_t iova;		/* page aligned; the key */
	uint64_t size;		/* the guest leaf's size (or a memory range) */
	uint64_t gpa;		/* guest-physical address of @iova */
	uint64_t backend;	/* host address mapped at @iova */
	unsigned int perm;	/* LIOMMU_MODEL_READ / _WRITE = the DMA direction */
	uint64_t gen;		/* pass that last found it current */
};

/* One attached guest source-id. */
struct sh_dev {
	struct sh_dev *next;
	uint16_t sid;
	uint16_t did;		/* the guest domain its records were made under */
	bool identity;		/* its records mirror guest RAM at identity */
	struct liommu_domain *host;
	struct liommu_dma *dma;
	struct sh_rec **bucket;
	uint64_t nbuckets;	/* power of two */
	uint64_t count;
};

/* A leaf to mirror: what the guest's tables map now. */
struct sh_leaf {
	uint64_t iova, size, gpa, backend;
	unsigned int perm;
	bool done;		/* a record already matches it */
	bool bad;		/* not guest RAM: not mirrored */
};

struct viommu_shadow {
	struct viommu_shadow_config cfg;
	/* Serialises everything below with the invalidation callback. */
	pthread_mutex_t lock;
	struct sh_dev *devs;
	uint64_t gen;
	struct sh_leaf *want;	/* scratch for one pass, kept to avoid mallocs */
	size_t nwant, cap;
	bool want_oom;
	bool want_cut;		/* the walk stopped at max_mappings */
	struct viommu_gmem_span *spans;
	unsigned int nspans_cap;
	struct viommu_shadow_stats st;
	struct liommu_dma_stats gone;	/* host counters of detached devices */
};

static uint64_t rec_hash(const struct sh_dev *d, uint64_t iova)
{
	return ((iova >> 12) * 0x9e3779b97f4a7c15ull) >> 32 & (d->nbuckets - 1);
}

static struct sh_rec *rec_find(const struct sh_dev *d, uint64_t iova)
{
	struct sh_rec *r;

	for (r = d->bucket[rec_hash(d, iova)]; r; r = r->next)
		if (r->iova == iova)
			return r;
	return NULL;
}

static void rec_grow(struct sh_dev *d)
{
	uint64_t n = d->nbuckets * 2, i;
	struct sh_rec **nb = calloc(n, sizeof(*nb)), *r, *next;
	struct sh_rec **old = d->bucket;
	uint64_t oldn = d->nbuckets;

	if (!nb)
		return;		/* longer chains, still correct */
	d->bucket = nb;
	d->nbuckets = n;
	for (i = 0; i < oldn; i++)
		for (r = old[i]; r; r = next) {
			uint64_t h = rec_hash(d, r->iova);

			next = r->next;
			r->next = nb[h];
			nb[h] = r;
		}
	free(old);
}

static void rec_insert(struct sh_dev *d, struct sh_rec *r)
{
	uint64_t h;

	if (d->count >= d->nbuckets)
		rec_grow(d);
	h = rec_hash(d, r->iova);
	r->next = d->bucket[h];
	d->bucket[h] = r;
	d->count++;
}

static void rec_unlink(struct sh_dev *d, struct sh_rec *r)
{
	struct sh_rec **pp = &d->bucket[rec_hash(d, r->iova)];

	while (*pp != r)
		pp = &(*pp)->next;
	*pp = r->next;
	d->count--;
}

/* ------------------------------------------------------------------ */
/* Host side                                                           */
/* ------------------------------------------------------------------ */

/* Remove @r from the host and from the index, and free it. */
static void host_unmap_locked(struct viommu_shadow *sh, struct sh_dev *d, struct sh_rec *r)
{
	int ret = liommu_dma_unmap(d->dma, r->iova, r->size, (enum liommu_dma_dir)r->perm);

	if (ret)
		sh->st.host_errors++;
	else
		sh->st.unmaps++;
	rec_unlink(d, r);
	free(r);
}

static void host_map_locked(struct viommu_shadow *sh, struct sh_dev *d,
			    const struct sh_leaf *l)
{
	struct sh_rec *r = malloc(sizeof(*r));
	int ret;

	if (!r) {
		sh->st.host_errors++;
		return;
	}
	ret = liommu_dma_map_at(d->dma, l->iova, l->backend, l->size,
				(enum liommu_dma_dir)l->perm);
	if (ret) {
		/* The host refuses it (the interrupt window, an IOVA beyond
		 * its width): a DMA there faults at the host, and
		 * liommu_viommu_fault() tells the guest what its own tables
		 * say. */
		sh->st.host_errors++;
		sh->st.skipped++;
		free(r);
		return;
	}
	r->iova = l->iova;
	r->size = l->size;
	r->gpa = l->gpa;
	r->backend = l->backend;
	r->perm = l->perm;
	r->gen = sh->gen;
	rec_insert(d, r);
	sh->st.maps++;
}

/* ------------------------------------------------------------------ */
/* What the guest maps                                                 */
/* ------------------------------------------------------------------ */

static int want_push(struct viommu_shadow *sh, uint64_t iova, uint64_t gpa, uint64_t size,
		     unsigned int perm)
{
	struct sh_leaf *l;

	if (sh->nwant == sh->cap) {
		size_t n = sh->cap ? sh->cap * 2 : 64;
		struct sh_leaf *w = realloc(sh->want, n * sizeof(*w));

		if (!w) {
			sh->want_oom = true;
			return -ENOMEM;
		}
		sh->want = w;
		sh->cap = n;
	}
	l = &sh->want[sh->nwant++];
	memset(l, 0, sizeof(*l));
	l->iova = iova;
	l->gpa = gpa;
	l->size = size;
	l->perm = perm & (LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	return 0;
}

static int collect_leaf(void *priv, uint64_t iova, uint64_t pa, uint64_t size,
			unsigned int perm)
{
	struct viommu_shadow *sh = priv;

	if (sh->nwant >= sh->cfg.max_mappings) {
		sh->want_cut = true;
		return -ENOSPC;		/* stops the walk: bounded work */
	}
	return want_push(sh, iova, pa, size, perm);
}

/* Guest RAM at identity: what a device reaches with TE clear or through
 * a pass-through context. */
static void collect_identity(struct viommu_shadow *sh)
{
	unsigned int n, i;

	for (;;) {
		n = liommu__viommu_gmem_spans(sh->cfg.gmem, sh->spans, sh->nspans_cap);
		if (n <= sh->nspans_cap)
			break;
		free(sh->spans);
		sh->spans = calloc(n, sizeof(*sh->spans));
		sh->nspans_cap = sh->spans ? n : 0;
		if (!sh->spans) {
			sh->want_oom = true;
			return;
		}
	}
	for (i = 0; i < n; i++)
		if (want_push(sh, sh->spans[i].gpa, sh->spans[i].gpa, sh->spans[i].size,
			      LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE))
			return;
}

/* ------------------------------------------------------------------ */
/* The diff                                                            */
/* ------------------------------------------------------------------ */

static bool rec_matches(const struct sh_rec *r, const struct sh_leaf *l)
{
	return r->size == l->size && r->gpa == l->gpa && r->backend == l->backend &&
	       r->perm == l->perm;
}

/* Unmap @r unless this pass found it current; only records overlapping
 * [@s, @e) are candidates. */
static void drop_stale_locked(struct viommu_shadow *sh, struct sh_dev *d, struct sh_rec *r,
			      uint64_t s, uint64_t e)
{
	if (r->gen == sh->gen)
		return;
	if (r->iova >= e || r->iova + r->size <= s)
		return;
	host_unmap_locked(sh, d, r);
}

static void drop_all_stale_locked(struct viommu_shadow *sh, struct sh_dev *d, uint64_t s,
				  uint64_t e)
{
	uint64_t i;
	struct sh_rec *r, *next;

	for (i = 0; i < d->nbuckets; i++)
		for (r = d->bucket[i]; r; r = next) {
			next = r->next;
			drop_stale_locked(sh, d, r, s, e);
		}
}

/*
 * Make @d's host side match the guest over [@s, @e) (@full: everything).
 * A record that begins before @s and overlaps it is a superpage that
 * begins at @s aligned down to 2 MiB or 1 GiB; leaves the walk reports
 * whole widen the range to their extent (a superpage the guest put over
 * earlier small pages removes them all).
 */
static void sync_dev_locked(struct viommu_shadow *sh, struct sh_dev *d, uint64_t s, uint64_t e,
			    bool full)
{
	struct liommu_model_ctx c;
	bool identity;
	size_t i;
	int ret;

	ret = liommu_model_context(sh->cfg.guest, d->sid, &c);
	identity = !c.te || (!ret && c.tt == VTD_CTX_TT_PASS_THROUGH);
	if (identity != d->identity || (ret && !identity))
		full = true;	/* a change of kind, or an unusable entry:
				 * every record is replaced */
	if (full) {
		s = 0;
		e = UINT64_MAX;
	}
	sh->gen++;
	sh->nwant = 0;
	sh->want_oom = false;
	sh->want_cut = false;
	if (identity) {
		full = true;
		s = 0;
		e = UINT64_MAX;
		collect_identity(sh);
	} else if (!ret) {
		int n = liommu_model_walk_range(sh->cfg.guest, d->sid, s, e, collect_leaf, sh);

		if (n > 0)
			sh->st.skipped += (uint64_t)n;
		d->did = c.did;
	}
	/* Leaves past a cut are unknown: records there match nothing below
	 * and go (mirror less, never more). */
	if (sh->want_cut)
		sh->st.limited++;
	/* An unusable context entry maps nothing: every record goes. */
	d->identity = identity;
	if (sh->want_oom) {
		/* Mirror less, never more: drop everything in the range. */
		sh->nwant = 0;
		sh->st.host_errors++;
	}

	for (i = 0; i < sh->nwant; i++) {
		struct sh_leaf *l = &sh->want[i];
		struct sh_rec *r;

		if (liommu__viommu_gmem_backend(sh->cfg.gmem, l->gpa, l->size, &l->backend)) {
			/* Not (wholly) guest RAM: a master abort on hardware. */
			l->bad = true;
			sh->st.skipped++;
			continue;
		}
		if (l->iova < s)
			s = l->iova;
		if (l->iova + l->size - 1 > e - 1)
			e = l->iova + l->size;
		r = rec_find(d, l->iova);
		if (r && rec_matches(r, l)) {
			r->gen = sh->gen;
			l->done = true;
			sh->st.kept++;
		}
	}

	/* Drop stale records: probe the range's pages when that is cheaper
	 * than visiting every record. */
	if (full || (e - s) / SH_PAGE + 2 >= d->count) {
		drop_all_stale_locked(sh, d, s, e);
	} else {
		uint64_t a, starts[2] = { s & ~(SH_1G - 1), s & ~(SH_2M - 1) };
		struct sh_rec *r;
		unsigned int k;

		for (k = 0; k < 2; k++) {
			r = rec_find(d, starts[k]);
			if (r)
				drop_stale_locked(sh, d, r, s, e);
		}
		for (a = s & ~(SH_PAGE - 1); a < e; a += SH_PAGE) {
			r = rec_find(d, a);
			if (r)
				drop_stale_locked(sh, d, r, s, e);
			if (a + SH_PAGE < a)
				break;
		}
	}

	for (i = 0; i < sh->nwant; i++) {
		if (sh->want[i].done || sh->want[i].bad)
			continue;
		if (d->count >= sh->cfg.max_mappings) {
			sh->st.limited++;
			continue;
		}
		host_map_locked(sh, d, &sh->want[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Which source-ids an invalidation covers                             */
/* ------------------------------------------------------------------ */

/* The guest domain @d's context names now (its old one if unreadable). */
static bool dev_in_domain(struct viommu_shadow *sh, const struct sh_dev *d, uint16_t did)
{
	struct liommu_model_ctx c;

	if (d->did == did)
		return true;
	/* A device the guest moved to @did since its records were made. */
	return !liommu_model_context(sh->cfg.guest, d->sid, &c) && c.did == did;
}

/* Spec 6.5.1.1: FM masks the function number's top 0..3 bits. */
static bool sid_matches(uint16_t sid, uint16_t want, uint8_t fm)
{
	static const uint16_t mask[4] = { 0, 0x4, 0x6, 0x7 };

	return ((sid ^ want) & ~mask[fm & 3]) == 0;
}

void liommu__viommu_shadow_inval(struct viommu_shadow *sh, const struct liommu_model_inval *inv)
{
	struct sh_dev *d;
	bool hit = false;

	if (inv->kind != LIOMMU_MODEL_INV_CONTEXT && inv->kind != LIOMMU_MODEL_INV_IOTLB)
		return;
	pthread_mutex_lock(&sh->lock);
	for (d = sh->devs; d; d = d->next) {
		bool cover;

		switch (inv->gran) {
		case LIOMMU_MODEL_INV_GLOBAL:
			cover = true;
			break;
		case LIOMMU_MODEL_INV_DOMAIN:
		case LIOMMU_MODEL_INV_PAGE:
			cover = dev_in_domain(sh, d, inv->did);
			break;
		case LIOMMU_MODEL_INV_DEVICE:
			cover = sid_matches(d->sid, inv->sid, inv->fm);
			break;
		default:
			cover = false;
		}
		if (!cover)
			continue;
		hit = true;
		if (inv->kind == LIOMMU_MODEL_INV_IOTLB && inv->gran == LIOMMU_MODEL_INV_PAGE) {
			uint64_t len = inv->am >= 52 ? 0 : SH_PAGE << inv->am;
			uint64_t end = len && inv->addr + len > inv->addr ? inv->addr + len : 0;

			sync_dev_locked(sh, d, inv->addr, end ? end : UINT64_MAX, !end);
		} else {
			sync_dev_locked(sh, d, 0, UINT64_MAX, true);
		}
	}
	if (hit)
		sh->st.invalidations++;
	pthread_mutex_unlock(&sh->lock);
}

/* ------------------------------------------------------------------ */
/* Public calls                                                        */
/* ------------------------------------------------------------------ */

int liommu__viommu_shadow_new(const struct viommu_shadow_config *cfg, struct viommu_shadow **out)
{
	struct viommu_shadow *sh;

	if (!cfg || !cfg->guest || !cfg->gmem || !out)
		return -EINVAL;
	if (cfg->teardown != LIOMMU_DMA_STRICT && cfg->teardown != LIOMMU_DMA_OPTIMISTIC &&
	    cfg->teardown != LIOMMU_DMA_DEFERRED)
		return -EINVAL;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->cfg = *cfg;
	if (!sh->cfg.max_mappings)
		sh->cfg.max_mappings = VIOMMU_SHADOW_MAX_MAPPINGS;
	pthread_mutex_init(&sh->lock, NULL);
	*out = sh;
	return 0;
}

/* The event counters of @add into @sum (the gauges are the caller's:
 * a detached device's no longer count). */
static void stats_add_counts(struct liommu_dma_stats *sum, const struct liommu_dma_stats *add)
{
	sum->maps += add->maps;
	sum->unmaps += add->unmaps;
	sum->reuse_hits += add->reuse_hits;
	sum->retired += add->retired;
	sum->flushes += add->flushes;
	sum->pte_writes += add->pte_writes;
	sum->inv_descs += add->inv_descs;
	sum->inv_waits += add->inv_waits;
	sum->map_at_drains += add->map_at_drains;
}

static void dev_free_locked(struct viommu_shadow *sh, struct sh_dev *d)
{
	struct liommu_dma_stats hs;
	uint64_t i;
	struct sh_rec *r, *next;

	for (i = 0; i < d->nbuckets; i++)
		for (r = d->bucket[i]; r; r = next) {
			next = r->next;
			host_unmap_locked(sh, d, r);
		}
	/* Strictly: nothing cached or queued survives the detach. */
	if (liommu_dma_drain(d->dma))
		sh->st.host_errors++;
	liommu_dma_get_stats(d->dma, &hs);
	stats_add_counts(&sh->gone, &hs);
	liommu_dma_free(d->dma);
	free(d->bucket);
	free(d);
}

void liommu__viommu_shadow_free(struct viommu_shadow *sh)
{
	struct sh_dev *d;

	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	while ((d = sh->devs)) {
		sh->devs = d->next;
		dev_free_locked(sh, d);
	}
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_destroy(&sh->lock);
	free(sh->want);
	free(sh->spans);
	free(sh);
}

static struct sh_dev *dev_find_locked(struct viommu_shadow *sh, uint16_t sid)
{
	struct sh_dev *d;

	for (d = sh->devs; d; d = d->next)
		if (d->sid == sid)
			return d;
	return NULL;
}

int liommu__viommu_shadow_attach(struct viommu_shadow *sh, uint16_t sid, struct liommu_domain *host)
{
	struct liommu_dma_config dc = {
		.strategy = sh->cfg.teardown,
		.fixed_iova = true,
	};
	struct sh_dev *d;
	int ret;

	if (!host)
		return -EINVAL;
	if (sh->cfg.teardown == LIOMMU_DMA_OPTIMISTIC) {
		dc.quota = sh->cfg.quota;
		dc.age_ns = sh->cfg.age_ns;
	} else if (sh->cfg.teardown == LIOMMU_DMA_DEFERRED) {
		dc.batch = sh->cfg.quota;
		dc.interval_ns = sh->cfg.age_ns;
		/* One queue: a shadow maps from one thread at a time (the
		 * lock), so the count bound is the instance's. */
		dc.queues = 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nbuckets = 64;
	d->bucket = calloc(d->nbuckets, sizeof(*d->bucket));
	if (!d->bucket) {
		ret = -ENOMEM;
		goto err_dev;
	}
	d->sid = sid;
	d->host = host;
	ret = liommu_dma_new(host, &dc, &d->dma);
	if (ret)
		goto err_bucket;
	pthread_mutex_lock(&sh->lock);
	if (dev_find_locked(sh, sid)) {
		pthread_mutex_unlock(&sh->lock);
		ret = -EEXIST;
		goto err_dma;
	}
	d->next = sh->devs;
	sh->devs = d;
	/* What the guest's tables map already (a device attached late, or
	 * re-attached after a restart). */
	sync_dev_locked(sh, d, 0, UINT64_MAX, true);
	pthread_mutex_unlock(&sh->lock);
	return 0;

err_dma:
	liommu_dma_free(d->dma);
err_bucket:
	free(d->bucket);
err_dev:
	free(d);
	return ret;
}

int liommu__viommu_shadow_detach(struct viommu_shadow *sh, uint16_t sid)
{
	struct sh_dev **pp, *d;

	pthread_mutex_lock(&sh->lock);
	for (pp = &sh->devs; (d = *pp); pp = &d->next)
		if (d->sid == sid)
			break;
	if (!d) {
		pthread_mutex_unlock(&sh->lock);
		return -ENOENT;
	}
	*pp = d->next;
	dev_free_locked(sh, d);
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

void liommu__viommu_shadow_resync(struct viommu_shadow *sh)
{
	struct sh_dev *d;

	pthread_mutex_lock(&sh->lock);
	for (d = sh->devs; d; d = d->next)
		sync_dev_locked(sh, d, 0, UINT64_MAX, true);
	pthread_mutex_unlock(&sh->lock);
}

int liommu__viommu_shadow_sync_page(struct viommu_shadow *sh, uint16_t sid, uint64_t iova)
{
	struct sh_dev *d;
	uint64_t before;
	int ret = -ENOENT;

	pthread_mutex_lock(&sh->lock);
	d = dev_find_locked(sh, sid);
	if (d) {
		before = sh->st.maps;
		iova &= ~(SH_PAGE - 1);
		sync_dev_locked(sh, d, iova, iova + SH_PAGE ? iova + SH_PAGE : UINT64_MAX,
				false);
		ret = sh->st.maps != before;
	}
	pthread_mutex_unlock(&sh->lock);
	return ret;
}

uint64_t liommu__viommu_shadow_unmap_backing(struct viommu_shadow *sh, uint64_t gpa, uint64_t size)
{
	uint64_t n = 0, i, end = gpa + size < gpa ? UINT64_MAX : gpa + size;
	struct sh_dev *d;
	struct sh_rec *r, *next;

	pthread_mutex_lock(&sh->lock);
	for (d = sh->devs; d; d = d->next) {
		uint64_t before = n;

		for (i = 0; i < d->nbuckets; i++)
			for (r = d->bucket[i]; r; r = next) {
				next = r->next;
				if (r->gpa >= end || r->gpa + r->size <= gpa)
					continue;
				host_unmap_locked(sh, d, r);
				n++;
			}
		/* Cached or queued stale entries point into that RAM too. */
		if (n != before && liommu_dma_drain(d->dma))
			sh->st.host_errors++;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

void liommu__viommu_shadow_get_stats(struct viommu_shadow *sh, struct viommu_shadow_stats *st)
{
	struct liommu_dma_stats hs;
	struct sh_dev *d;

	pthread_mutex_lock(&sh->lock);
	*st = sh->st;
	st->host = sh->gone;
	st->host.strategy = sh->cfg.teardown;
	for (d = sh->devs; d; d = d->next) {
		liommu_dma_get_stats(d->dma, &hs);
		stats_add_counts(&st->host, &hs);
		st->host.mapped_pages += hs.mapped_pages;
		st->host.peak_mapped_pages += hs.peak_mapped_pages;
		st->host.pinned_pages += hs.pinned_pages;
		st->host.peak_pinned_pages += hs.peak_pinned_pages;
		st->host.stale_pages += hs.stale_pages;
		st->host.live_pages += hs.live_pages;
		st->host.table_pages += hs.table_pages;
		if (hs.reclaim_late_ns > st->host.reclaim_late_ns)
			st->host.reclaim_late_ns = hs.reclaim_late_ns;
		st->host.bound = hs.bound;
	}
	pthread_mutex_unlock(&sh->lock);
}
