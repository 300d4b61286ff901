// SPDX-License-Identifier: MIT
/*
 * model.c - the software VT-d unit's life cycle: configuration and its
 * CAP/ECAP encoding, creation and reset, statistics, and the bounded
 * accessors through which every physical-memory access of the model goes.
 *
 * CAP and ECAP are computed from the configuration with vtd.h's field
 * masks; the defaults reproduce QEMU 7.2's intel-iommu (aw-bits=48,
 * intremap=on): CAP 0x00d2008c222f0606, ECAP 0xf00f4a (hw/i386/
 * intel_iommu.c vtd_init()).
 */
#include <stdlib.h>

#include "model-internal.h"

_Thread_local struct model_tls_stats liommu__model_tls[MODEL_TLS_STATS]
	__attribute__((tls_model("initial-exec")));
static _Thread_local char model_thread_token;
static _Atomic uint64_t model_serials = 1;

void liommu_model_config_default(struct liommu_model_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sagaw = VTD_SAGAW_39 | VTD_SAGAW_48;
	cfg->mgaw = 48;
	cfg->haw = 48;
	cfg->domains = 65536;
	cfg->sllps = VTD_SLLPS_2M | VTD_SLLPS_1G;
	cfg->nfr = 1;
	cfg->mamv = 18;
	cfg->psi = true;
	cfg->drain = true;
	cfg->qi = true;
	cfg->ir = true;
	cfg->pass_through = true;
	cfg->mhmv = 15;
	cfg->collapse_faults = true;
	cfg->context_entries = 256;
	cfg->iotlb_entries = 1024;
	cfg->iec_entries = 256;
	cfg->pde_entries = 256;
}

static unsigned int widest_width(unsigned int sagaw)
{
	unsigned int aw, w = 0;

	for (aw = 1; aw <= 3; aw++)
		if (sagaw & (1u << aw))
			w = vtd_agaw_to_width(aw);
	return w;
}

static int config_check(const struct liommu_model_config *c)
{
	unsigned int d = c->domains, nd = 0;

	if (!c->sagaw || (c->sagaw & ~(VTD_SAGAW_39 | VTD_SAGAW_48 | VTD_SAGAW_57)))
		return -EINVAL;
	if (c->mgaw < 32 || c->mgaw > widest_width(c->sagaw))
		return -EINVAL;
	if (c->haw < 32 || c->haw > 52)
		return -EINVAL;
	/* ND: 2^(4 + 2 * ND) domains, ND 0..6 (spec 11.4.2). */
	if (d < 16 || d > 65536 || (d & (d - 1)))
		return -EINVAL;
	while (d > 16) {
		d >>= 2;
		nd++;
	}
	if (d != 16)
		return -EINVAL;
	if (c->sllps & ~(VTD_SLLPS_2M | VTD_SLLPS_1G))
		return -EINVAL;
	if (c->nfr < 1 || c->nfr > MODEL_MAX_NFR || c->mamv > 63 || c->mhmv > 15)
		return -EINVAL;
	/* ECAP dependencies (11.4.3): IR needs QI (the IEC can only be
	 * invalidated through the queue), EIM and posting need IR. */
	if ((c->ir && !c->qi) || (c->eim && !c->ir) || (c->posted && !c->ir))
		return -EINVAL;
	if (c->context_entries < 4 || c->iotlb_entries < 4 || c->iec_entries < 4 ||
	    (c->pde_entries && c->pde_entries < 4))
		return -EINVAL;
	if (c->context_entries > (1u << 24) || c->iotlb_entries > (1u << 24) ||
	    c->iec_entries > (1u << 24) || c->pde_entries > (1u << 24))
		return -EINVAL;
	if (c->inval_latency_ns > LIOMMU_MODEL_INVAL_LATENCY_MAX_NS)
		return -EINVAL;
	if (!c->mem.ops || !c->mem.ops->read || !c->mem.ops->write)
		return -EINVAL;
	if (c->mem.direct) {
		if (!c->mem.direct_size ||
		    c->mem.direct_pa + c->mem.direct_size < c->mem.direct_pa ||
		    (((uintptr_t)c->mem.direct ^ c->mem.direct_pa) & 7))
			return -EINVAL;
	}
	return 0;
}

static uint64_t config_cap(const struct liommu_model_config *c)
{
	unsigned int d = c->domains, nd = 0;
	uint64_t cap;

	while (d > 16) {
		d >>= 2;
		nd++;
	}
	cap = vtd_field_prep(VTD_CAP_ND, nd) |
	      (c->rwbf ? VTD_CAP_RWBF : 0) |
	      (c->caching_mode ? VTD_CAP_CM : 0) |
	      vtd_field_prep(VTD_CAP_SAGAW, c->sagaw) |
	      vtd_field_prep(VTD_CAP_MGAW, c->mgaw - 1) |
	      vtd_field_prep(VTD_CAP_FRO, LIOMMU_MODEL_FRCD_OFFSET / 16) |
	      vtd_field_prep(VTD_CAP_SLLPS, c->sllps) |
	      (c->psi ? VTD_CAP_PSI : 0) |
	      vtd_field_prep(VTD_CAP_NFR, c->nfr - 1) |
	      vtd_field_prep(VTD_CAP_MAMV, c->mamv) |
	      (c->drain ? VTD_CAP_DWD | VTD_CAP_DRD : 0) |
	      (c->posted ? VTD_CAP_PI : 0) |
	      (c->esirtps ? VTD_CAP_ESIRTPS : 0) |
	      (c->esrtps ? VTD_CAP_ESRTPS : 0);
	return cap;
}

static uint64_t config_ecap(const struct liommu_model_config *c)
{
	return (c->coherent ? VTD_ECAP_C : 0) |
	       (c->qi ? VTD_ECAP_QI : 0) |
	       (c->device_tlb ? VTD_ECAP_DT : 0) |
	       (c->ir ? VTD_ECAP_IR : 0) |
	       (c->eim ? VTD_ECAP_EIM : 0) |
	       (c->pass_through ? VTD_ECAP_PT : 0) |
	       vtd_field_prep(VTD_ECAP_IRO, LIOMMU_MODEL_IVA_OFFSET / 16) |
	       (c->ir ? vtd_field_prep(VTD_ECAP_MHMV, c->mhmv) : 0);
}

int liommu_model_new(const struct liommu_model_config *cfg, struct liommu_model **out)
{
	struct liommu_model *m;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	ret = config_check(cfg);
	if (ret)
		return ret;
	m = aligned_alloc(MODEL_CACHELINE,
			  (sizeof(*m) + MODEL_CACHELINE - 1) & ~(size_t)(MODEL_CACHELINE - 1));
	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->serial = atomic_fetch_add(&model_serials, 1);
	m->cap = config_cap(cfg);
	m->ecap = config_ecap(cfg);
	m->haw_mask = (1ULL << cfg->haw) - 1;
	m->mops = cfg->mem.ops;
	m->mpriv = cfg->mem.priv;
	m->direct = cfg->mem.direct;
	m->direct_pa = cfg->mem.direct_pa;
	m->direct_size = cfg->mem.direct ? cfg->mem.direct_size : 0;
	m->pde_on = cfg->pde_entries != 0;
	ret = -ENOMEM;
	if (liommu__mcache_init(&m->ctx, cfg->context_entries))
		goto err_ctx;
	if (liommu__mcache_init(&m->iotlb, cfg->iotlb_entries))
		goto err_iotlb;
	/* As many entries as the IOTLB: one per page a device touches. */
	if (liommu__mcache_init(&m->front, cfg->iotlb_entries))
		goto err_front;
	atomic_init(&m->front_gen, 1);
	m->ctx.dep_gen = &m->front_gen;
	m->iotlb.dep_gen = &m->front_gen;
	m->iotlb.dep_mask = MODEL_TLB_FRONT;
	if (liommu__mcache_init(&m->pde, m->pde_on ? cfg->pde_entries : 4))
		goto err_pde;
	if (liommu__mcache_init(&m->iec, cfg->iec_entries))
		goto err_iec;
	atomic_init(&m->reg_lock.v, 0);
	if (pthread_mutex_init(&m->stats_lock, NULL))
		goto err_stats_lock;
	liommu__model_regs_reset_locked(m);
	*out = m;
	return 0;

err_stats_lock:
	liommu__mcache_fini(&m->iec);
err_iec:
	liommu__mcache_fini(&m->pde);
err_pde:
	liommu__mcache_fini(&m->front);
err_front:
	liommu__mcache_fini(&m->iotlb);
err_iotlb:
	liommu__mcache_fini(&m->ctx);
err_ctx:
	free(m);
	return ret;
}

void liommu_model_free(struct liommu_model *m)
{
	struct mstats_blk *b, *next;

	if (!m)
		return;
	for (b = m->stats; b; b = next) {
		next = b->next;
		free(b);
	}
	pthread_mutex_destroy(&m->stats_lock);
	liommu__mcache_fini(&m->iec);
	liommu__mcache_fini(&m->pde);
	liommu__mcache_fini(&m->front);
	liommu__mcache_fini(&m->iotlb);
	liommu__mcache_fini(&m->ctx);
	free(m);
}

void liommu_model_reset(struct liommu_model *m)
{
	model_reg_lock(m);
	liommu__model_regs_reset_locked(m);
	liommu__model_inv_ctx_all_locked(m);
	liommu__model_inv_iotlb_all_locked(m);
	liommu__model_inv_iec_all_locked(m);
	model_reg_unlock(m);
}

uint64_t liommu_model_cap(const struct liommu_model *m)
{
	return m->cap;
}

uint64_t liommu_model_ecap(const struct liommu_model *m)
{
	return m->ecap;
}

unsigned int liommu_model_iotlb_count(struct liommu_model *m)
{
	return liommu__mcache_count(&m->iotlb);
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

struct mstats_blk *liommu__model_stats_slow(struct liommu_model *m)
{
	static _Thread_local unsigned int next_tls;
	struct mstats_blk *b;
	unsigned int i;

	pthread_mutex_lock(&m->stats_lock);
	/* A block this thread made earlier (evicted from the TLS cache)? */
	for (b = m->stats; b; b = b->next)
		if (b->owner == &model_thread_token)
			break;
	if (!b) {
		b = aligned_alloc(MODEL_CACHELINE, sizeof(*b));
		if (!b) {
			/* Out of memory: count into the first block rather than
			 * fail a DMA.  Its owner may then lose increments; the
			 * statistics are documented as approximate under load. */
			b = m->stats;
		} else {
			memset(b, 0, sizeof(*b));
			b->owner = &model_thread_token;
			b->next = m->stats;
			m->stats = b;
		}
	}
	pthread_mutex_unlock(&m->stats_lock);
	if (!b) {
		/* No block at all and no memory: a static sink. */
		static _Thread_local struct mstats_blk sink;
		return &sink;
	}
	i = next_tls++ % MODEL_TLS_STATS;
	liommu__model_tls[i].serial = m->serial;
	liommu__model_tls[i].blk = b;
	return b;
}

void liommu_model_get_stats(struct liommu_model *m, struct liommu_model_stats *st)
{
	uint64_t c[MS_NR] = { 0 };
	struct mstats_blk *b;
	unsigned int i;

	pthread_mutex_lock(&m->stats_lock);
	for (b = m->stats; b; b = b->next)
		for (i = 0; i < MS_NR; i++)
			c[i] += atomic_load_explicit(&b->c[i], memory_order_relaxed);
	pthread_mutex_unlock(&m->stats_lock);

	memset(st, 0, sizeof(*st));
	/* A front TLB hit stands for a context-cache hit and an IOTLB hit. */
	st->translations = c[MS_TRANSLATIONS] + c[MS_FRONT_HITS];
	st->untranslated = c[MS_UNTRANSLATED];
	st->iotlb_hits = c[MS_IOTLB_HITS] + c[MS_FRONT_HITS];
	st->iotlb_misses = c[MS_IOTLB_MISSES];
	st->ctx_hits = c[MS_CTX_HITS] + c[MS_FRONT_HITS];
	st->ctx_misses = c[MS_CTX_MISSES];
	st->walks = c[MS_WALKS];
	st->walk_loads = c[MS_WALK_LOADS];
	st->pde_hits = c[MS_PDE_HITS];
	st->iec_hits = c[MS_IEC_HITS];
	st->iec_misses = c[MS_IEC_MISSES];
	st->ctx_invs = c[MS_CTX_INVS];
	st->iotlb_invs_global = c[MS_IOTLB_INVS_GLOBAL];
	st->iotlb_invs_domain = c[MS_IOTLB_INVS_DOMAIN];
	st->iotlb_invs_page = c[MS_IOTLB_INVS_PAGE];
	st->iotlb_entries_dropped = c[MS_IOTLB_DROPPED];
	st->iec_invs = c[MS_IEC_INVS];
	st->inv_waits = c[MS_INV_WAITS];
	st->qi_descs = c[MS_QI_DESCS];
	st->qi_errors = c[MS_QI_ERRORS];
	st->faults = c[MS_FAULTS];
	st->faults_lost = c[MS_FAULTS_LOST];
	st->faults_suppressed = c[MS_FAULTS_SUPPRESSED];
	st->fault_events = c[MS_FAULT_EVENTS];
	st->inv_events = c[MS_INV_EVENTS];
	st->irqs_remapped = c[MS_IRQS_REMAPPED];
	st->irqs_posted = c[MS_IRQS_POSTED];
	st->irqs_passthrough = c[MS_IRQS_PASSTHROUGH];
	st->dma_read_bytes = c[MS_DMA_READ_BYTES];
	st->dma_write_bytes = c[MS_DMA_WRITE_BYTES];
}

/* ------------------------------------------------------------------ */
/* Bounded memory access                                               */
/* ------------------------------------------------------------------ */

int liommu__model_mem_read(const struct liommu_model *m, uint64_t pa, void *buf,
			   size_t len)
{
	void *p;

	if (pa + len < pa)
		return -EFAULT;
	p = model_direct(m, pa, len);
	if (p) {
		memcpy(buf, p, len);
		return 0;
	}
	return m->mops->read(m->mpriv, pa, buf, len) ? -EFAULT : 0;
}

int liommu__model_mem_write(const struct liommu_model *m, uint64_t pa,
			    const void *buf, size_t len)
{
	void *p;

	if (pa + len < pa)
		return -EFAULT;
	p = model_direct(m, pa, len);
	if (p) {
		memcpy(p, buf, len);
		return 0;
	}
	return m->mops->write(m->mpriv, pa, buf, len) ? -EFAULT : 0;
}

int liommu__model_write32(const struct liommu_model *m, uint64_t pa, uint32_t v)
{
	uint32_t *p = model_direct(m, pa, 4);

	if (p) {
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
		return 0;
	}
	/* The ops' aligned 4-byte write is a release store (model.h). */
	return m->mops->write(m->mpriv, pa, &v, 4) ? -EFAULT : 0;
}
