// SPDX-License-Identifier: MIT
/*
 * model.c - the software VT-d unit's life cycle: configuration and its
 * CAP/ECAP encoding, creation, reset and destruction.
 *
 * It owns the unit's allocation and the fields set once at creation
 * (configuration, CAP/ECAP, the memory window, the caches' geometry and
 * the register page).  It is the top of the model: it calls regs.c to
 * reset the registers, cache.c to make and empty the caches and stats.c
 * for the counter list, and nothing calls into it.  It must not decode
 * registers or touch cache entries itself.
 *
 * CAP and ECAP are computed from the configuration with vtd.h's field
 * masks; the defaults reproduce QEMU 7.2's intel-iommu (aw-bits=48,
 * intremap=on): CAP 0x00d2008c222f0606, ECAP 0xf00f4a (hw/i386/
 * intel_iommu.c vtd_init()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "model-internal.h"
#include "regs.h"
#include "stats.h"

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
	/* Page-aligned, so a later change can put a shared page here. */
	m->regs = aligned_alloc(MODEL_REGS_SIZE, sizeof(*m->regs));
	if (!m->regs)
		goto err_regs;
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
	if (liommu__model_stats_init(m))
		goto err_stats;
	liommu__model_regs_reset_locked(m);
	*out = m;
	return 0;

err_stats:
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
	free(m->regs);
err_regs:
	free(m);
	return ret;
}

void liommu_model_free(struct liommu_model *m)
{
	if (!m)
		return;
	liommu__model_stats_fini(m);
	liommu__mcache_fini(&m->iec);
	liommu__mcache_fini(&m->pde);
	liommu__mcache_fini(&m->front);
	liommu__mcache_fini(&m->iotlb);
	liommu__mcache_fini(&m->ctx);
	free(m->regs);
	free(m);
}

void liommu_model_reset(struct liommu_model *m)
{
	model_reg_lock(m);
	liommu__model_regs_reset_locked(m);
	liommu__model_inv_ctx_all_locked(m);
	liommu__model_inv_iotlb_all_locked(m);
	liommu__model_inv_iec_all_locked(m);
	model_regs_changed_locked(m);
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
