/* SPDX-License-Identifier: MIT */
/*
 * check-model-env.h - a hand-written "driver" for the model tests.
 *
 * The model tests must not depend on libiommu's driver (it is written
 * against the model, not the other way round), so they program the unit
 * the way the specification describes: root and context entries,
 * second-level tables and invalidation descriptors stored into the sim's
 * memory, registers written through liommu_model_write*().  Everything
 * here is static inline so each check binary includes what it uses.
 */
#ifndef CHECK_MODEL_ENV_H
#define CHECK_MODEL_ENV_H

#include <stdint.h>
#include <string.h>

#include <check.h>

#include <liommu/model.h>
#include <liommu/sim.h>
#include <liommu/vtd.h>

/* Physical memory starts above 0 so that a base-offset bug shows. */
#define ENV_MEM_BASE	0x100000ULL
#define ENV_MEM_SIZE	(32ULL << 20)
#define ENV_SID		0x0113	/* 01:02.3 */
#define ENV_DID		5
#define ENV_R		VTD_SLPTE_R
#define ENV_W		VTD_SLPTE_W
#define ENV_RW		(VTD_SLPTE_R | VTD_SLPTE_W)

struct env {
	struct liommu_sim *sim;
	struct liommu_model *m;
	uint64_t root;
	uint64_t ctp[256];
	uint64_t iq;		/* invalidation queue */
	unsigned int iq_entries;
	unsigned int iq_tail;
	uint64_t status;	/* wait-descriptor status page */
	uint32_t seq;
};

static inline uint64_t env_page(struct env *e)
{
	uint64_t pa;

	ck_assert_int_eq(liommu_sim_alloc(e->sim, VTD_PAGE_SIZE, NULL, &pa), 0);
	return pa;
}

static inline uint64_t *env_ptr(struct env *e, uint64_t pa)
{
	uint64_t *p = liommu_sim_phys(e->sim, pa, 8);

	ck_assert_ptr_nonnull(p);
	return p;
}

static inline void env_wr(struct env *e, uint64_t pa, uint64_t v)
{
	__atomic_store_n(env_ptr(e, pa), v, __ATOMIC_RELEASE);
}

static inline uint64_t env_rd(struct env *e, uint64_t pa)
{
	return __atomic_load_n(env_ptr(e, pa), __ATOMIC_ACQUIRE);
}

static inline void env_init(struct env *e, const struct liommu_model_config *mc)
{
	struct liommu_sim_config sc = {
		.mem_size = ENV_MEM_SIZE,
		.mem_base = ENV_MEM_BASE,
		.model = mc,
	};

	memset(e, 0, sizeof(*e));
	ck_assert_int_eq(liommu_sim_new(&sc, &e->sim), 0);
	e->m = liommu_sim_model(e->sim);
	e->root = env_page(e);
	e->status = env_page(e);
}

static inline void env_fini(struct env *e)
{
	liommu_sim_free(e->sim);
	e->sim = NULL;
}

/* 128-bit entry: high half first, then the low half that holds P. */
static inline void env_wr128(struct env *e, uint64_t pa, uint64_t lo, uint64_t hi)
{
	env_wr(e, pa + 8, hi);
	env_wr(e, pa, lo);
}

static inline void env_set_root(struct env *e, unsigned int bus, uint64_t lo, uint64_t hi)
{
	env_wr128(e, e->root + 16ULL * bus, lo, hi);
}

static inline uint64_t env_ctx_table(struct env *e, unsigned int bus)
{
	if (!e->ctp[bus]) {
		e->ctp[bus] = env_page(e);
		env_set_root(e, bus, e->ctp[bus] | VTD_ROOT_LO_P, 0);
	}
	return e->ctp[bus];
}

static inline void env_set_ctx_raw(struct env *e, uint16_t sid, uint64_t lo, uint64_t hi)
{
	env_wr128(e, env_ctx_table(e, vtd_sid_bus(sid)) + 16ULL * vtd_sid_devfn(sid), lo, hi);
}

/* A translated (TT = 0) context entry for @sid. */
static inline void env_set_ctx(struct env *e, uint16_t sid, uint64_t slpt,
			       unsigned int levels, uint16_t did)
{
	env_set_ctx_raw(e, sid, slpt | VTD_CTX_LO_P,
			vtd_field_prep(VTD_CTX_HI_AW, levels - 2) |
			vtd_field_prep(VTD_CTX_HI_DID, did));
}

/* Install a leaf for @iova at @leaf_level (1 = 4 KiB, 2 = 2 MiB, 3 =
 * 1 GiB) in the @levels-level table at @top, creating tables.  Return:
 * the physical address of the leaf entry. */
static inline uint64_t env_map(struct env *e, uint64_t top, unsigned int levels,
			       uint64_t iova, uint64_t pa, unsigned int leaf_level,
			       uint64_t perm)
{
	uint64_t table = top;
	unsigned int level;

	for (level = levels; level > leaf_level; level--) {
		uint64_t slot = table + 8ULL * vtd_level_index(iova, level);
		uint64_t pte = env_rd(e, slot);

		if (!(pte & VTD_SLPTE_PRESENT)) {
			pte = env_page(e) | ENV_RW;
			env_wr(e, slot, pte);
		}
		table = pte & VTD_SLPTE_ADDR;
	}
	table += 8ULL * vtd_level_index(iova, leaf_level);
	env_wr(e, table, pa | perm | (leaf_level > 1 ? VTD_SLPTE_PS : 0));
	return table;
}

/* Physical address of the entry for @iova at @level (tables must exist). */
static inline uint64_t env_pte(struct env *e, uint64_t top, unsigned int levels,
			       uint64_t iova, unsigned int level)
{
	uint64_t table = top;
	unsigned int l;

	for (l = levels; l > level; l--)
		table = env_rd(e, table + 8ULL * vtd_level_index(iova, l)) & VTD_SLPTE_ADDR;
	return table + 8ULL * vtd_level_index(iova, level);
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

static inline uint32_t env_r32(struct env *e, uint32_t off)
{
	return liommu_model_read32(e->m, off);
}

static inline uint64_t env_r64(struct env *e, uint32_t off)
{
	return liommu_model_read64(e->m, off);
}

/* 11.4.4: keep the persistent bits from GSTS, change one. */
static inline void env_gcmd(struct env *e, uint32_t bit, bool on)
{
	uint32_t g = env_r32(e, VTD_GSTS_REG) & (uint32_t)VTD_GSTS_PERSISTENT;

	liommu_model_write32(e->m, VTD_GCMD_REG, on ? g | bit : g & ~bit);
}

static inline void env_enable(struct env *e)
{
	liommu_model_write64(e->m, VTD_RTADDR_REG, e->root);
	env_gcmd(e, VTD_GCMD_SRTP, true);
	ck_assert(env_r32(e, VTD_GSTS_REG) & VTD_GSTS_RTPS);
	env_gcmd(e, VTD_GCMD_TE, true);
	ck_assert(env_r32(e, VTD_GSTS_REG) & VTD_GSTS_TES);
}

/* ------------------------------------------------------------------ */
/* Queued invalidation                                                 */
/* ------------------------------------------------------------------ */

static inline void env_qi_on(struct env *e, unsigned int qs)
{
	ck_assert_int_eq(liommu_sim_alloc(e->sim, VTD_PAGE_SIZE << qs, NULL, &e->iq), 0);
	e->iq_entries = 256u << qs;
	e->iq_tail = 0;
	liommu_model_write64(e->m, VTD_IQT_REG, 0);
	liommu_model_write64(e->m, VTD_IQA_REG, e->iq | qs);
	env_gcmd(e, VTD_GCMD_QIE, true);
	ck_assert(env_r32(e, VTD_GSTS_REG) & VTD_GSTS_QIES);
}

/* Put descriptors in the queue and write the tail. */
static inline void env_qi_push(struct env *e, const struct vtd_inv_desc *d, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		env_wr(e, e->iq + 16ULL * e->iq_tail, d[i].lo);
		env_wr(e, e->iq + 16ULL * e->iq_tail + 8, d[i].hi);
		e->iq_tail = (e->iq_tail + 1) % e->iq_entries;
	}
	liommu_model_write64(e->m, VTD_IQT_REG, (uint64_t)e->iq_tail << 4);
}

/* Descriptor(s) plus a status-writing wait; asserts the wait completed. */
static inline void env_qi_sync(struct env *e, const struct vtd_inv_desc *d, unsigned int n)
{
	struct vtd_inv_desc w = vtd_inv_wait(true, ++e->seq, e->status, false, true);

	if (n)
		env_qi_push(e, d, n);
	env_qi_push(e, &w, 1);
	ck_assert_uint_eq(__atomic_load_n((uint32_t *)liommu_sim_phys(e->sim, e->status, 4),
					  __ATOMIC_ACQUIRE), e->seq);
}

static inline void env_qi_psi(struct env *e, uint16_t did, uint64_t addr, unsigned int am,
			      bool ih)
{
	struct vtd_inv_desc d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, did, addr, am, ih,
					      false, false);

	env_qi_sync(e, &d, 1);
}

/* ------------------------------------------------------------------ */
/* Faults                                                              */
/* ------------------------------------------------------------------ */

static inline uint64_t env_frcd_lo(struct env *e, unsigned int i)
{
	return env_r64(e, vtd_frcd_reg(liommu_model_cap(e->m), i));
}

static inline uint64_t env_frcd_hi(struct env *e, unsigned int i)
{
	return env_r64(e, vtd_frcd_reg(liommu_model_cap(e->m), i) + 8);
}

static inline void env_frcd_clear(struct env *e, unsigned int i)
{
	liommu_model_write64(e->m, vtd_frcd_reg(liommu_model_cap(e->m), i) + 8, VTD_FRCD_HI_F);
}

static inline int env_xlate(struct env *e, uint16_t sid, uint64_t iova, unsigned int flags,
			    uint64_t *pa, struct liommu_fault *f)
{
	struct liommu_model_xlate x;
	int ret = liommu_model_translate(e->m, sid, iova, flags, &x, f);

	if (!ret && pa)
		*pa = x.pa;
	return ret;
}

#endif /* CHECK_MODEL_ENV_H */
