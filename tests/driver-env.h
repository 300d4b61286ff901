/* SPDX-License-Identifier: MIT */
/*
 * driver-env.h - the driver's unit (liommu_unit_new(), register-based
 * invalidation) for check-pgtable and check-domain, on the model or on
 * the fake.
 *
 * DENV_MODEL runs on the model through the sim platform (liommu/sim.h):
 * the capability set the test asks for becomes a model configuration
 * (and the model's CAP must come out equal, so a test cannot silently
 * run on other capabilities), and the model's invalidation callback
 * logs what the unit performed.  DENV_FAKE and DENV_FAKE_IMAGE run on
 * tests/fake/fake-vtd.c, only for what the model must not do (see
 * fake-vtd.h): commands that never complete, counting write-buffer and
 * cache flushes, ECAP.SC, and (IMAGE) memory that the unit sees only
 * after a flush.  Both give the same view to the assertions: the
 * command log, memory as the unit reads it, registers, live pages.
 * Everything is static inline; each suite includes what it uses.
 *
 * Threading: the log is taken under the env's mutex (the model's
 * callback runs in whichever thread invalidated).
 */
#ifndef DRIVER_ENV_H
#define DRIVER_ENV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/sim.h>

#include "fake/fake-vtd.h"

/* QEMU 7.2's values with aw-bits=48 (docs/design.md); QI cleared, as the
 * driver is told to use the registers anyway. */
#define DENV_CAP	FAKE_QEMU_CAP
#define DENV_ECAP	(FAKE_QEMU_ECAP & ~VTD_ECAP_QI)

/* Physical memory above 0 so that a base-offset bug shows. */
#define DENV_MEM_BASE	0x40000000ULL
#define DENV_MEM_SIZE	(64ULL << 20)

enum denv_unit { DENV_MODEL, DENV_FAKE, DENV_FAKE_IMAGE };

struct denv {
	struct liommu_sim *sim;		/* DENV_MODEL */
	struct fake_vtd *f;		/* DENV_FAKE* */
	struct liommu_platform *plat;
	pthread_mutex_t lock;
	struct fake_cmd log[FAKE_MAX_EVENTS];	/* DENV_MODEL's log */
	unsigned int nlog;
};

/* The model's invalidation callback: what the unit performed, in the
 * fake's encoding (CIRG / IIRG values: 1 global, 2 domain, 3 device or
 * page).  Register lock held: only memory of our own is touched. */
static inline void denv_inval_cb(void *priv, const struct liommu_model_inval *inv)
{
	struct denv *e = priv;
	struct fake_cmd c = { 0 };

	if (inv->kind == LIOMMU_MODEL_INV_CONTEXT) {
		c.kind = FAKE_CC;
		c.gran = inv->gran == LIOMMU_MODEL_INV_GLOBAL ? 1 :
			 inv->gran == LIOMMU_MODEL_INV_DOMAIN ? 2 : 3;
		c.did = inv->did;
		c.sid = inv->sid;
	} else if (inv->kind == LIOMMU_MODEL_INV_IOTLB) {
		c.kind = FAKE_IOTLB;
		c.gran = inv->gran == LIOMMU_MODEL_INV_GLOBAL ? 1 :
			 inv->gran == LIOMMU_MODEL_INV_DOMAIN ? 2 : 3;
		c.did = inv->did;
		c.addr = inv->addr;
		c.am = inv->am;
		c.ih = inv->ih;
	} else {
		return;
	}
	pthread_mutex_lock(&e->lock);
	if (e->nlog < FAKE_MAX_EVENTS)
		e->log[e->nlog++] = c;
	pthread_mutex_unlock(&e->lock);
}

/* A model configuration whose CAP is @cap (asserted by the caller). */
static inline void denv_model_config(struct liommu_model_config *mc, uint64_t cap,
				     uint64_t ecap)
{
	liommu_model_config_default(mc);
	mc->sagaw = vtd_cap_sagaw(cap);
	mc->mgaw = vtd_cap_mgaw(cap);
	mc->domains = 1u << vtd_cap_nd_domains_log2(cap);
	mc->sllps = vtd_cap_sllps(cap);
	mc->nfr = vtd_cap_nfr(cap);
	mc->mamv = vtd_cap_mamv(cap);
	mc->caching_mode = cap & VTD_CAP_CM;
	mc->rwbf = cap & VTD_CAP_RWBF;
	mc->psi = cap & VTD_CAP_PSI;
	mc->drain = cap & VTD_CAP_DRD;
	mc->posted = cap & VTD_CAP_PI;
	mc->esirtps = cap & VTD_CAP_ESIRTPS;
	mc->esrtps = cap & VTD_CAP_ESRTPS;
	mc->coherent = ecap & VTD_ECAP_C;
	mc->device_tlb = ecap & VTD_ECAP_DT;
	mc->pass_through = ecap & VTD_ECAP_PT;
	/* QI (and IR, which needs it) stay as the default: the driver is
	 * configured for register-based invalidation. */
}

static inline void denv_init(struct denv *e, uint64_t cap, uint64_t ecap, enum denv_unit unit)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	if (unit == DENV_MODEL) {
		struct liommu_model_config mc;
		struct liommu_sim_config sc = {
			.mem_size = DENV_MEM_SIZE,
			.mem_base = DENV_MEM_BASE,
			.model = &mc,
		};
		struct liommu_model *m;

		denv_model_config(&mc, cap, ecap);
		mc.inval = denv_inval_cb;
		mc.inval_priv = e;
		ck_assert_int_eq(liommu_sim_new(&sc, &e->sim), 0);
		m = liommu_sim_model(e->sim);
		ck_assert_uint_eq(liommu_model_cap(m), cap);
		ck_assert_uint_eq(liommu_model_ecap(m), ecap | VTD_ECAP_QI);
		e->plat = liommu_sim_platform(e->sim);
	} else {
		e->f = fake_vtd_new(cap, ecap);
		ck_assert_ptr_nonnull(e->f);
		e->f->image = unit == DENV_FAKE_IMAGE;
		e->plat = e->f->plat;
	}
}

static inline void denv_fini(struct denv *e)
{
	if (e->f)
		ck_assert_uint_eq(e->f->bad_accesses, 0);
	liommu_sim_free(e->sim);
	fake_vtd_free(e->f);
	pthread_mutex_destroy(&e->lock);
}

/* liommu_unit_new() on the env: register invalidation, @width bits, a
 * short timeout so that commands left pending fail fast. */
static inline int denv_unit(struct denv *e, unsigned int width, bool no_superpages,
			    struct liommu_unit **out)
{
	struct liommu_unit_config cfg = {
		.addr_width = width,
		.inval = LIOMMU_INVAL_REGISTER,
		.numa_node = LIOMMU_NODE_ANY,
		.timeout_us = 20000,
		.no_superpages = no_superpages,
	};

	return liommu_unit_new(e->plat, &cfg, out);
}

/* A register as the unit holds it (e.g. VTD_RTADDR_REG). */
static inline uint64_t denv_reg64(struct denv *e, uint32_t off)
{
	if (e->sim)
		return liommu_model_read64(liommu_sim_model(e->sim), off);
	return fake_rd64(e->f, off);
}

/* The 64-bit word at physical @pa as the unit reads it; ~0 outside
 * memory. */
static inline uint64_t denv_read_pa(struct denv *e, uint64_t pa)
{
	uint64_t *p;

	if (e->f)
		return fake_vtd_read_pa(e->f, pa);
	p = liommu_sim_phys(e->sim, pa, 8);
	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : ~0ULL;
}

/* Pages the driver holds from the platform. */
static inline size_t denv_live_pages(struct denv *e)
{
	if (e->sim)
		return (size_t)liommu_sim_pages_used(e->sim);
	return e->f->pages_live;
}

static inline void denv_log_clear(struct denv *e)
{
	pthread_mutex_t *lock = e->f ? &e->f->lock : &e->lock;

	pthread_mutex_lock(lock);
	if (e->f)
		e->f->ncmds = 0;
	else
		e->nlog = 0;
	pthread_mutex_unlock(lock);
}

static inline unsigned int denv_log_count(struct denv *e, enum fake_cmd_kind kind)
{
	const struct fake_cmd *log = e->f ? e->f->cmds : e->log;
	pthread_mutex_t *lock = e->f ? &e->f->lock : &e->lock;
	unsigned int i, n = 0, len;

	pthread_mutex_lock(lock);
	len = e->f ? e->f->ncmds : e->nlog;
	for (i = 0; i < len; i++)
		n += log[i].kind == kind;
	pthread_mutex_unlock(lock);
	return n;
}

/* Copy of log entry @i (0 = oldest); kind 0 past the end. */
static inline struct fake_cmd denv_log_get(struct denv *e, unsigned int i)
{
	const struct fake_cmd *log = e->f ? e->f->cmds : e->log;
	pthread_mutex_t *lock = e->f ? &e->f->lock : &e->lock;
	struct fake_cmd c = { 0 };

	pthread_mutex_lock(lock);
	if (i < (e->f ? e->f->ncmds : e->nlog))
		c = log[i];
	pthread_mutex_unlock(lock);
	return c;
}

/*
 * An independent second-level walk as the unit would do it (spec 9.8,
 * written from the spec, not from pgtable.c), over the unit's view of
 * memory.  Returns 0 and the translation, or -1 when some entry on the
 * way lacks @need (VTD_SLPTE_R or VTD_SLPTE_W) or is not present.
 */
static inline int denv_walk(struct denv *e, uint64_t root_pa, unsigned int levels,
			    uint64_t iova, uint64_t need, uint64_t *pa, uint64_t *page_size)
{
	uint64_t table = root_pa, ent, size;
	unsigned int level, shift, idx;

	for (level = levels; level >= 1; level--) {
		/* 9 bits per level above the 12-bit page offset (spec 3.6). */
		shift = 12 + 9 * (level - 1);
		idx = (unsigned int)(iova >> shift) & 511;
		ent = denv_read_pa(e, table + 8ULL * idx);
		if (!(ent & need))
			return -1;
		/* Bits 51:12 hold the address (9.8). */
		if (level == 1 || (ent & (1ULL << 7))) {
			size = 1ULL << shift;
			*pa = (ent & 0x000ffffffffff000ULL & ~(size - 1)) | (iova & (size - 1));
			*page_size = size;
			return 0;
		}
		table = ent & 0x000ffffffffff000ULL;
	}
	return -1;
}

#endif /* DRIVER_ENV_H */
