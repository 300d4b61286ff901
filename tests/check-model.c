// SPDX-License-Identifier: MIT
/*
 * check-model.c - the software VT-d unit (libiommu/model) against the
 * specification and QEMU 7.2's intel_iommu.c.
 *
 * The tests program the model the way the specification describes (no
 * driver: tests/check-model-env.h writes root, context and paging entries
 * and descriptors into the sim's memory) and check register semantics,
 * every fault reason the model can raise, cache staleness, queued
 * invalidation, DMA across pages, hostile inputs and, with a device
 * thread racing a driver thread, the memory-ordering rules of
 * liommu/model.h.  Expected values cite the VT-d specification (Rev. 4.x
 * section numbers) or the QEMU 7.2 function that behaves the same way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "check-model-env.h"

#define IOVA	0x40000000ULL	/* 1 GiB: a fresh PML4/PDPT path */

/* ------------------------------------------------------------------ */
/* Event capture                                                       */
/* ------------------------------------------------------------------ */

struct evlog {
	unsigned int n[3];
	uint64_t addr;
	uint32_t data;
};

static struct evlog evs;

static void ev_cb(void *priv, enum liommu_model_event ev, uint64_t addr, uint32_t data)
{
	struct evlog *l = priv;

	l->n[ev]++;
	l->addr = addr;
	l->data = data;
}

static void env_up(struct env *e, void (*tweak)(struct liommu_model_config *))
{
	struct liommu_model_config mc;

	liommu_model_config_default(&mc);
	mc.event = ev_cb;
	mc.event_priv = &evs;
	memset(&evs, 0, sizeof(evs));
	if (tweak)
		tweak(&mc);
	env_init(e, &mc);
}

/* One 4-level domain mapping IOVA -> a fresh page with @perm, for ENV_SID. */
static uint64_t std_map(struct env *e, uint64_t *top, uint64_t perm)
{
	uint64_t data = env_page(e);

	*top = env_page(e);
	env_set_ctx(e, ENV_SID, *top, 4, ENV_DID);
	env_map(e, *top, 4, IOVA, data, 1, perm);
	return data;
}

static void expect_record(struct env *e, unsigned int idx, uint16_t sid, uint64_t addr,
			  unsigned int reason, bool is_write)
{
	uint64_t hi = env_frcd_hi(e, idx);

	ck_assert_uint_eq(env_frcd_lo(e, idx), addr & VTD_PAGE_MASK);
	ck_assert(hi & VTD_FRCD_HI_F);
	ck_assert_uint_eq(!!(hi & VTD_FRCD_HI_T), !is_write);
	ck_assert_uint_eq(vtd_field_get(VTD_FRCD_HI_FR, hi), reason);
	ck_assert_uint_eq(vtd_field_get(VTD_FRCD_HI_SID, hi), sid);
}

/* ------------------------------------------------------------------ */
/* Capabilities and configuration                                      */
/* ------------------------------------------------------------------ */

/* docs/qemu-oracle.md: QEMU 7.2 intel-iommu,aw-bits=48,intremap=on. */
START_TEST(defaults_match_qemu_cap_ecap)
{
	struct env e;

	env_up(&e, NULL);
	ck_assert_uint_eq(liommu_model_cap(e.m), 0x00d2008c222f0606ULL);
	ck_assert_uint_eq(liommu_model_ecap(e.m), 0xf00f4aULL);
	ck_assert_uint_eq(env_r64(&e, VTD_CAP_REG), 0x00d2008c222f0606ULL);
	ck_assert_uint_eq(env_r32(&e, VTD_VER_REG), 0x10);
	/* FECTL resets to IM (11.4.9.2; QEMU vtd_init). */
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), 0x80000000u);
	ck_assert_uint_eq(env_r32(&e, VTD_IECTL_REG), 0x80000000u);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG), 0);
	env_fini(&e);
}
END_TEST

START_TEST(config_rejects_invalid_sets)
{
	struct liommu_model_config c;
	struct liommu_model *m = NULL;
	static char mem[64];
	static const struct liommu_model_mem_ops nops = { 0 };

	liommu_model_config_default(&c);
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);	/* no memory ops */
	c.mem.ops = &nops;
	c.mem.direct = mem;
	c.sagaw = 0;
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.sagaw = 1;	/* 30-bit (2-level) is reserved since VT-d 3.0 */
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.mgaw = 57;	/* wider than SAGAW allows */
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.domains = 100;
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.nfr = 0;
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	c.nfr = 129;
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.qi = false;		/* IR needs QI (11.4.3) */
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	liommu_model_config_default(&c);
	c.mem.ops = &nops;
	c.ir = false;
	c.eim = true;		/* EIM needs IR */
	ck_assert_int_eq(liommu_model_new(&c, &m), -EINVAL);
	ck_assert_ptr_null(m);
}
END_TEST

/* The invalidation latency is configured through the sim like every other
 * property of the unit: none by default, at most 1 s. */
START_TEST(config_bounds_inval_latency)
{
	struct liommu_sim_config sc = { .mem_size = 1u << 20 };
	struct liommu_model_config c;
	struct liommu_sim *sim = NULL;

	liommu_model_config_default(&c);
	ck_assert_uint_eq(c.inval_latency_ns, 0);
	sc.model = &c;
	c.inval_latency_ns = LIOMMU_MODEL_INVAL_LATENCY_MAX_NS + 1;
	ck_assert_int_eq(liommu_sim_new(&sc, &sim), -EINVAL);
	ck_assert_ptr_null(sim);
	c.inval_latency_ns = UINT64_MAX;
	ck_assert_int_eq(liommu_sim_new(&sc, &sim), -EINVAL);
	c.inval_latency_ns = LIOMMU_MODEL_INVAL_LATENCY_MAX_NS;
	ck_assert_int_eq(liommu_sim_new(&sc, &sim), 0);
	liommu_sim_free(sim);
}
END_TEST

/* ------------------------------------------------------------------ */
/* GCMD / GSTS, RTADDR latching                                         */
/* ------------------------------------------------------------------ */

START_TEST(gcmd_bits_reflect_in_gsts)
{
	struct env e;

	env_up(&e, NULL);
	/* GCMD is write-only: reads 0 (11.4.4; QEMU's wmask-only register). */
	liommu_model_write32(e.m, VTD_GCMD_REG, VTD_GCMD_SRTP);
	ck_assert_uint_eq(env_r32(&e, VTD_GCMD_REG), 0);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG), VTD_GSTS_RTPS);
	/* TE is persistent: set stays set while software rewrites it. */
	env_gcmd(&e, VTD_GCMD_TE, true);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG), VTD_GSTS_RTPS | VTD_GSTS_TES);
	/* A GCMD write without TE turns translation off (11.4.4: software
	 * must preserve the persistent bits it does not mean to change). */
	liommu_model_write32(e.m, VTD_GCMD_REG, 0);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG), VTD_GSTS_RTPS);
	/* QIE: QIES follows; disabling with an empty queue resets IQH. */
	env_qi_on(&e, 0);
	ck_assert(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_QIES);
	env_qi_sync(&e, NULL, 0);
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 1u << 4);
	env_gcmd(&e, VTD_GCMD_QIE, false);
	ck_assert(!(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_QIES));
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 0);
	/* SIRTP (one-shot), IRE and CFI (persistent). */
	liommu_model_write64(e.m, VTD_IRTA_REG, env_page(&e) | 7);
	env_gcmd(&e, VTD_GCMD_SIRTP, true);
	ck_assert(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_IRTPS);
	env_gcmd(&e, VTD_GCMD_IRE, true);
	env_gcmd(&e, VTD_GCMD_CFI, true);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG) & (VTD_GSTS_IRES | VTD_GSTS_CFIS),
			  VTD_GSTS_IRES | VTD_GSTS_CFIS);
	env_gcmd(&e, VTD_GCMD_CFI, false);
	ck_assert_uint_eq(env_r32(&e, VTD_GSTS_REG) & (VTD_GSTS_IRES | VTD_GSTS_CFIS),
			  VTD_GSTS_IRES);
	env_gcmd(&e, VTD_GCMD_IRE, false);
	ck_assert(!(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_IRES));
	/* GSTS is read-only. */
	liommu_model_write32(e.m, VTD_GSTS_REG, 0xffffffffu);
	ck_assert(!(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_TES));
	env_fini(&e);
}
END_TEST

/* 11.4.6: RTADDR is latched by SRTP; a write alone changes nothing the
 * unit walks.  QEMU: vtd_root_table_setup() runs only from SRTP. */
START_TEST(rtaddr_latched_at_srtp)
{
	struct env e;
	uint64_t top, pa, other;
	struct liommu_fault f;

	env_up(&e, NULL);
	std_map(&e, &top, ENV_RW);
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	other = env_page(&e);	/* an empty root table */
	liommu_model_write64(e.m, VTD_RTADDR_REG, other);
	ck_assert_uint_eq(env_r64(&e, VTD_RTADDR_REG), other);
	/* Still the old root; a new sid proves no cache hides it. */
	env_set_ctx(&e, ENV_SID + 1, top, 4, ENV_DID);
	ck_assert_int_eq(env_xlate(&e, ENV_SID + 1, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	ck_assert_int_eq(env_xlate(&e, ENV_SID + 2, IOVA, LIOMMU_MODEL_READ, &pa, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ROOT_P);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Register-based invalidation                                          */
/* ------------------------------------------------------------------ */

static void ccmd(struct env *e, unsigned int gran, uint16_t did, uint16_t sid)
{
	liommu_model_write64(e->m, VTD_CCMD_REG,
			     VTD_CCMD_ICC | vtd_field_prep(VTD_CCMD_CIRG, gran) |
			     vtd_field_prep(VTD_CCMD_DID, did) |
			     vtd_field_prep(VTD_CCMD_SID, sid));
}

/* 11.4.7: ICC clears when done, CAIG reports the granularity performed. */
START_TEST(ccmd_reports_actual_granularity)
{
	struct env e;
	uint64_t v;

	env_up(&e, NULL);
	ccmd(&e, VTD_CC_GRAN_GLOBAL, 0, 0);
	v = env_r64(&e, VTD_CCMD_REG);
	ck_assert(!(v & VTD_CCMD_ICC));
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, v), VTD_CC_GRAN_GLOBAL);
	/* The model performs domain-selective as asked (QEMU widens it to
	 * global and says so in CAIG; both are allowed by 11.4.7.1). */
	ccmd(&e, VTD_CC_GRAN_DOMAIN, 3, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, env_r64(&e, VTD_CCMD_REG)),
			  VTD_CC_GRAN_DOMAIN);
	ccmd(&e, VTD_CC_GRAN_DEVICE, 3, ENV_SID);
	v = env_r64(&e, VTD_CCMD_REG);
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, v), VTD_CC_GRAN_DEVICE);
	/* SID and FM are write-only and read 0 (as QEMU). */
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_SID, v), 0);
	/* CIRG 0 is reserved: nothing done, CAIG 0 (an error report). */
	ccmd(&e, 0, 0, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, env_r64(&e, VTD_CCMD_REG)), 0);
	/* With QI on, register invalidation is ignored, ICC stays (6.5.2;
	 * QEMU vtd_handle_ccmd_write()). */
	env_qi_on(&e, 0);
	ccmd(&e, VTD_CC_GRAN_GLOBAL, 0, 0);
	ck_assert(env_r64(&e, VTD_CCMD_REG) & VTD_CCMD_ICC);
	env_fini(&e);
}
END_TEST

static void iotlb_reg(struct env *e, unsigned int gran, uint16_t did, uint64_t iva)
{
	liommu_model_write64(e->m, LIOMMU_MODEL_IVA_OFFSET, iva);
	liommu_model_write64(e->m, LIOMMU_MODEL_IVA_OFFSET + 8,
			     VTD_IOTLB_IVT | vtd_field_prep(VTD_IOTLB_IIRG, gran) |
			     vtd_field_prep(VTD_IOTLB_DID, did));
}

/* 11.4.8: IVT clears, IAIG reports the granularity; the cache really
 * dropped what the granularity covers (a stale entry shows it). */
START_TEST(iotlb_register_invalidation)
{
	struct env e;
	uint64_t top, old, neu, pa, leaf, v;
	struct liommu_fault f;

	env_up(&e, NULL);
	old = std_map(&e, &top, ENV_RW);
	neu = env_page(&e);
	env_enable(&e);
	leaf = env_pte(&e, top, 4, IOVA, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, old);
	env_wr(&e, leaf, neu | ENV_RW);
	/* Page-selective for another page: the stale entry survives. */
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, ENV_DID, IOVA + VTD_PAGE_SIZE);
	v = env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8);
	ck_assert(!(v & VTD_IOTLB_IVT));
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, v), VTD_IOTLB_GRAN_PAGE);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, old);
	/* Another domain: survives. */
	iotlb_reg(&e, VTD_IOTLB_GRAN_DOMAIN, ENV_DID + 1, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)),
			  VTD_IOTLB_GRAN_DOMAIN);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, old);
	/* AM above MAMV (18): rejected with IAIG 0, nothing dropped (QEMU
	 * vtd_iotlb_page_invalidate via vtd_handle_iotlb_write). */
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, ENV_DID, IOVA | 19);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)), 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, old);
	/* The right page: gone, the walk sees the new leaf. */
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, ENV_DID, IOVA);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, neu);
	env_wr(&e, leaf, old | ENV_RW);
	iotlb_reg(&e, VTD_IOTLB_GRAN_GLOBAL, 0, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)),
			  VTD_IOTLB_GRAN_GLOBAL);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, old);
	/* IIRG 0 is reserved: IAIG 0. */
	iotlb_reg(&e, 0, 0, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)), 0);
	env_fini(&e);
}
END_TEST

static void no_psi(struct liommu_model_config *c)
{
	c->psi = false;
}

/* 11.4.8.1: without CAP.PSI a page-selective request is performed at a
 * coarser granularity and IAIG says which. */
START_TEST(iotlb_page_without_psi_reports_domain)
{
	struct env e;

	env_up(&e, no_psi);
	ck_assert(!(liommu_model_cap(e.m) & VTD_BIT64(39)));
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, 1, 0);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)),
			  VTD_IOTLB_GRAN_DOMAIN);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fault recording and the fault event                                  */
/* ------------------------------------------------------------------ */

/* 7.3.1, 11.4.9: a fault with FECTL.IM set leaves IP set and sends no
 * message; clearing IM sends it (FEADDR/FEDATA) and clears IP. */
START_TEST(fault_event_masked_then_sent)
{
	struct env e;
	struct liommu_fault f;

	env_up(&e, NULL);
	liommu_model_write32(e.m, VTD_FEDATA_REG, 0xffff1234u);
	liommu_model_write32(e.m, VTD_FEADDR_REG, 0xfee00003u);
	liommu_model_write32(e.m, VTD_FEUADDR_REG, 0xdeadbeefu);
	/* FEDATA keeps 16 bits (no EIMD, QEMU); FEADDR bits 1:0 RsvdZ;
	 * FEUADDR RsvdZ without ECAP.EIM. */
	ck_assert_uint_eq(env_r32(&e, VTD_FEDATA_REG), 0x1234);
	ck_assert_uint_eq(env_r32(&e, VTD_FEADDR_REG), 0xfee00000u);
	ck_assert_uint_eq(env_r32(&e, VTD_FEUADDR_REG), 0);
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_WRITE, NULL, &f), -EFAULT);
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), VTD_FECTL_IM | VTD_FECTL_IP);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_FAULT], 0);
	liommu_model_write32(e.m, VTD_FECTL_REG, 0);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_FAULT], 1);
	ck_assert_uint_eq(evs.addr, 0xfee00000u);
	ck_assert_uint_eq(evs.data, 0x1234);
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), 0);
	/* While PPF is set a new fault sends nothing (7.3.1: only a new
	 * status condition while none is pending). */
	ck_assert_int_eq(env_xlate(&e, ENV_SID + 1, IOVA, LIOMMU_MODEL_WRITE, NULL, &f), -EFAULT);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_FAULT], 1);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PPF | VTD_FSTS_PFO);
	/* Cleared: the next fault is sent at once, IP stays clear. */
	env_frcd_clear(&e, 0);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PFO);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_PFO);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_FAULT], 2);
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), 0);
	expect_record(&e, 0, ENV_SID, IOVA, VTD_FR_ROOT_P, false);
	env_fini(&e);
}
END_TEST

static void four_records(struct liommu_model_config *c)
{
	c->nfr = 4;
	c->collapse_faults = false;
}

/* 7.2.1, 11.4.9.1, 11.4.14: records fill round-robin, FRI names the first
 * pending one, a full set sets PFO and loses the fault, F and PFO are
 * RW1C, the rest of a record is read-only. */
START_TEST(fault_records_overflow_and_w1c)
{
	struct env e;
	struct liommu_fault f;
	uint64_t cap;
	unsigned int i;

	env_up(&e, four_records);
	cap = liommu_model_cap(e.m);
	ck_assert_uint_eq(vtd_field_get(VTD_GENMASK64(47, 40), cap), 3);	/* NFR - 1 */
	env_enable(&e);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(env_xlate(&e, (uint16_t)(0x100 + i), IOVA + i * VTD_PAGE_SIZE,
					   LIOMMU_MODEL_WRITE, NULL, &f), -EFAULT);
	for (i = 0; i < 4; i++)
		expect_record(&e, i, (uint16_t)(0x100 + i), IOVA + i * VTD_PAGE_SIZE,
			      VTD_FR_ROOT_P, true);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PPF);	/* FRI 0 */
	ck_assert_int_eq(env_xlate(&e, 0x200, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PPF | VTD_FSTS_PFO);
	/* Read-only fields ignore writes; F clears on 1. */
	liommu_model_write64(e.m, vtd_frcd_reg(cap, 1), 0);
	liommu_model_write64(e.m, vtd_frcd_reg(cap, 1) + 8, VTD_FRCD_HI_T);
	expect_record(&e, 1, 0x101, IOVA + VTD_PAGE_SIZE, VTD_FR_ROOT_P, true);
	for (i = 0; i < 4; i++)
		env_frcd_clear(&e, i);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PFO);
	/* While PFO is set nothing is recorded. */
	ck_assert_int_eq(env_xlate(&e, 0x200, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PFO);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_PFO);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	/* Next record is 0 again (round robin after 3); FRI = 0. */
	ck_assert_int_eq(env_xlate(&e, 0x300, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	expect_record(&e, 0, 0x300, IOVA, VTD_FR_ROOT_P, false);
	ck_assert_int_eq(env_xlate(&e, 0x301, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	expect_record(&e, 1, 0x301, IOVA, VTD_FR_ROOT_P, false);
	env_frcd_clear(&e, 0);
	/* PPF remains while record 1 is pending. */
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG) & VTD_FSTS_PPF, VTD_FSTS_PPF);
	env_fini(&e);
}
END_TEST

/* QEMU 7.2 vtd_try_collapse_fault(): with a record of a source-id
 * pending, further faults from it are dropped without PFO (7.2.1 allows
 * compressing faults of one requester).  The default keeps that. */
START_TEST(faults_collapse_per_source_id)
{
	struct env e;
	struct liommu_fault f;
	struct liommu_model_stats st;

	env_up(&e, NULL);
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + 0x5000, LIOMMU_MODEL_WRITE, NULL, &f),
			 -EFAULT);
	expect_record(&e, 0, ENV_SID, IOVA, VTD_FR_ROOT_P, false);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PPF);
	/* Another source-id with the one record full: PFO. */
	ck_assert_int_eq(env_xlate(&e, ENV_SID + 1, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_PPF | VTD_FSTS_PFO);
	liommu_model_get_stats(e.m, &st);
	ck_assert_uint_eq(st.faults, 1);
	ck_assert_uint_eq(st.faults_lost, 2);
	/* NO_RECORD probes report but never record. */
	env_frcd_clear(&e, 0);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_PFO);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ | LIOMMU_MODEL_NO_RECORD,
				   NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ROOT_P);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	env_fini(&e);
}
END_TEST

/* Reserved bits read 0, RO registers ignore writes, offsets outside the
 * window or misaligned read 0 (11.4: "reserved ... read as 0"). */
START_TEST(reserved_and_readonly_bits)
{
	struct env e;

	env_up(&e, NULL);
	liommu_model_write64(e.m, VTD_CAP_REG, 0);
	liommu_model_write64(e.m, VTD_ECAP_REG, 0);
	ck_assert_uint_eq(env_r64(&e, VTD_CAP_REG), liommu_model_cap(e.m));
	ck_assert_uint_eq(env_r64(&e, VTD_ECAP_REG), liommu_model_ecap(e.m));
	liommu_model_write32(e.m, VTD_VER_REG, 0xffffffffu);
	ck_assert_uint_eq(env_r32(&e, VTD_VER_REG), 0x10);
	/* FSTS: PPF and FRI are RO; W1C of nothing pending leaves 0. */
	liommu_model_write32(e.m, VTD_FSTS_REG, 0xffffffffu);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	/* FECTL: only IM is writable; IP is RO; 29:0 reserved. */
	liommu_model_write32(e.m, VTD_FECTL_REG, 0x7fffffffu);
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), 0);
	/* RTADDR bits 9:0 reserved (QEMU keeps TTM 11:10 writable). */
	liommu_model_write64(e.m, VTD_RTADDR_REG, ~0ULL);
	ck_assert_uint_eq(env_r64(&e, VTD_RTADDR_REG), 0xfffffffffffffc00ULL);
	/* IQA: bits 10:3 reserved. */
	liommu_model_write64(e.m, VTD_IQA_REG, 0x12345fffULL);
	ck_assert_uint_eq(env_r64(&e, VTD_IQA_REG), 0x12345807ULL);
	/* IQT: only QT (18:4). */
	liommu_model_write64(e.m, VTD_IQT_REG, ~0ULL);
	ck_assert_uint_eq(env_r64(&e, VTD_IQT_REG), VTD_IQ_QT);
	liommu_model_write64(e.m, VTD_IQT_REG, 0);
	/* IQH is RO. */
	liommu_model_write64(e.m, VTD_IQH_REG, 0x30);
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 0);
	/* Reserved offsets, misaligned and out-of-window accesses. */
	liommu_model_write32(e.m, 0x04, 0xffffffffu);
	ck_assert_uint_eq(env_r32(&e, 0x04), 0);
	liommu_model_write32(e.m, 0x48, 0xffffffffu);
	ck_assert_uint_eq(env_r32(&e, 0x48), 0);
	ck_assert_uint_eq(env_r32(&e, 0x1e), 0);
	ck_assert_uint_eq(env_r64(&e, VTD_CAP_REG + 4), 0);
	ck_assert_uint_eq(env_r32(&e, VTD_REG_WINDOW_SIZE), 0);
	ck_assert_uint_eq(env_r64(&e, 0xffffff00u), 0);
	liommu_model_write64(e.m, VTD_REG_WINDOW_SIZE, ~0ULL);
	/* 32-bit halves of a 64-bit register. */
	liommu_model_write32(e.m, VTD_RTADDR_REG, 0x5000);
	liommu_model_write32(e.m, VTD_RTADDR_REG + 4, 0x1);
	ck_assert_uint_eq(env_r64(&e, VTD_RTADDR_REG), 0x100005000ULL);
	ck_assert_uint_eq(env_r32(&e, VTD_RTADDR_REG + 4), 1);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fault reasons                                                        */
/* ------------------------------------------------------------------ */

static void with_dt(struct liommu_model_config *c)
{
	c->device_tlb = true;
}

/*
 * Each case builds a working 4-level mapping for IOVA, breaks one thing
 * and expects the reason of the spec's Appendix A that QEMU 7.2 raises
 * for it (vtd_dev_to_context_entry(), vtd_iova_to_slpte()).
 */
struct reason_case {
	const char *what;
	unsigned int reason;
	unsigned int flags;
	uint64_t iova;
};

static const struct reason_case reasons[] = {
	{ "root not present",	   VTD_FR_ROOT_P,	  LIOMMU_MODEL_READ,  IOVA },
	{ "context not present",   VTD_FR_CTX_P,	  LIOMMU_MODEL_WRITE, IOVA },
	{ "AW not in SAGAW",	   VTD_FR_CTX_INV,	  LIOMMU_MODEL_READ,  IOVA },
	{ "beyond AW",		   VTD_FR_ADDR_BEYOND_AW, LIOMMU_MODEL_READ,  1ULL << 40 },
	{ "write to read-only",	   VTD_FR_WRITE,	  LIOMMU_MODEL_WRITE, IOVA },
	{ "read of write-only",	   VTD_FR_READ,		  LIOMMU_MODEL_READ,  IOVA },
	{ "table outside memory",  VTD_FR_PT_ACCESS,	  LIOMMU_MODEL_READ,  IOVA },
	{ "root table outside",	   VTD_FR_ROOT_ACCESS,	  LIOMMU_MODEL_READ,  IOVA },
	{ "context table outside", VTD_FR_CTX_ACCESS,	  LIOMMU_MODEL_WRITE, IOVA },
	{ "root reserved bit",	   VTD_FR_ROOT_RSVD,	  LIOMMU_MODEL_READ,  IOVA },
	{ "context reserved bit",  VTD_FR_CTX_RSVD,	  LIOMMU_MODEL_READ,  IOVA },
	{ "PTE reserved bit",	   VTD_FR_PT_RSVD,	  LIOMMU_MODEL_READ,  IOVA },
	{ "ATS through TT=0",	   VTD_FR_CTX_TT,	  LIOMMU_MODEL_READ | LIOMMU_MODEL_ATS, IOVA },
	{ "top table outside",	   VTD_FR_CTX_INV,	  LIOMMU_MODEL_READ,  IOVA },
	{ "not present PTE read",  VTD_FR_READ,		  LIOMMU_MODEL_READ,  IOVA + 0x3000 },
	{ "not present PTE write", VTD_FR_WRITE,	  LIOMMU_MODEL_WRITE, IOVA + 0x3000 },
	{ "3-level, beyond 39",	   VTD_FR_ADDR_BEYOND_AW, LIOMMU_MODEL_WRITE, 1ULL << 39 },
	{ "PS at level 4",	   VTD_FR_PT_RSVD,	  LIOMMU_MODEL_READ,  IOVA },
};

START_TEST(every_fault_reason)
{
	const struct reason_case *rc = &reasons[_i];
	struct env e;
	uint64_t top, data, pa, leaf, bus_ctx, ctx_pa;
	struct liommu_fault f;
	uint8_t byte = 0;

	env_up(&e, with_dt);
	data = std_map(&e, &top, ENV_RW);
	leaf = env_pte(&e, top, 4, IOVA, 1);
	bus_ctx = e.ctp[vtd_sid_bus(ENV_SID)];
	ctx_pa = bus_ctx + 16ULL * vtd_sid_devfn(ENV_SID);
	env_enable(&e);
	switch (_i) {
	case 0:
		env_set_root(&e, vtd_sid_bus(ENV_SID), 0, 0);
		break;
	case 1:
		env_set_ctx_raw(&e, ENV_SID, 0, 0);
		break;
	case 2:		/* AW = 3 (57-bit) with SAGAW 39+48 */
		env_set_ctx_raw(&e, ENV_SID, top | VTD_CTX_LO_P,
				vtd_field_prep(VTD_CTX_HI_AW, 3) |
				vtd_field_prep(VTD_CTX_HI_DID, ENV_DID));
		break;
	case 3:		/* a 48-bit table, but the request is fine: use 39 */
		env_set_ctx(&e, ENV_SID, top, 3, ENV_DID);
		break;
	case 4:
		env_wr(&e, leaf, data | ENV_R);
		break;
	case 5:
		env_wr(&e, leaf, data | ENV_W);
		break;
	case 6:		/* level-3 entry points outside memory */
		env_wr(&e, env_pte(&e, top, 4, IOVA, 3), 0x7ffff000ULL | ENV_RW);
		break;
	case 7:
		liommu_model_write64(e.m, VTD_RTADDR_REG, 0xf0000000ULL);
		env_gcmd(&e, VTD_GCMD_SRTP, true);
		break;
	case 8:
		env_set_root(&e, vtd_sid_bus(ENV_SID), 0x7fff0000ULL | VTD_ROOT_LO_P, 0);
		break;
	case 9:		/* bit 1 of a root entry is reserved (9.1) */
		env_set_root(&e, vtd_sid_bus(ENV_SID), bus_ctx | VTD_ROOT_LO_P | 2, 0);
		break;
	case 10:	/* context bits 11:4 reserved (9.3) */
		env_wr(&e, ctx_pa, env_rd(&e, ctx_pa) | VTD_BIT64(5));
		break;
	case 11:	/* SNP reserved without ECAP.SC (9.8; QEMU vtd_spte_rsvd) */
		env_wr(&e, leaf, data | ENV_RW | VTD_SLPTE_SNP);
		break;
	case 12:
		break;
	case 13:	/* SLPTPTR outside memory: context programming (0x03) */
		env_set_ctx(&e, ENV_SID, 0x7fe00000ULL, 4, ENV_DID);
		break;
	case 14:
	case 15:
		break;	/* the neighbouring page was never mapped */
	case 16:
		env_set_ctx(&e, ENV_SID, top, 3, ENV_DID);
		break;
	case 17:	/* PS in a PML4 entry is reserved (9.8) */
		env_wr(&e, env_pte(&e, top, 4, IOVA, 4),
		       env_rd(&e, env_pte(&e, top, 4, IOVA, 4)) | VTD_SLPTE_PS);
		break;
	}
	ck_assert_msg(env_xlate(&e, ENV_SID, rc->iova, rc->flags, &pa, &f) == -EFAULT,
		      "%s: no fault", rc->what);
	ck_assert_msg(f.reason == rc->reason, "%s: reason 0x%x, expected 0x%x", rc->what,
		      f.reason, rc->reason);
	ck_assert_uint_eq(f.sid, ENV_SID);
	ck_assert_uint_eq(f.addr, rc->iova & VTD_PAGE_MASK);
	expect_record(&e, 0, ENV_SID, rc->iova, rc->reason,
		      rc->reason == VTD_FR_WRITE ||
		      (rc->reason != VTD_FR_READ && !(rc->flags & LIOMMU_MODEL_READ)));
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG) & VTD_FSTS_PPF, VTD_FSTS_PPF);
	/* A DMA hits the same fault and moves nothing. */
	env_frcd_clear(&e, 0);
	memset(liommu_sim_phys(e.sim, data, 1), 0x5a, 1);
	if (rc->flags & LIOMMU_MODEL_READ)
		ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, rc->iova, &byte, 1, &f),
				 (rc->flags & LIOMMU_MODEL_ATS) ? 0 : -EFAULT);
	else
		ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, rc->iova, &byte, 1, &f),
				 -EFAULT);
	ck_assert_uint_eq(*(uint8_t *)liommu_sim_phys(e.sim, data, 1), 0x5a);
	env_fini(&e);
}
END_TEST

/* Fault Processing Disable (context FPD) suppresses the qualified
 * reasons (QEMU vtd_qualified_faults[]; spec 7.1.2) but still blocks. */
START_TEST(fpd_suppresses_recording)
{
	struct env e;
	uint64_t top;
	struct liommu_fault f;
	struct liommu_model_stats st;

	env_up(&e, NULL);
	top = env_page(&e);
	env_set_ctx_raw(&e, ENV_SID, top | VTD_CTX_LO_P | VTD_CTX_LO_FPD,
			vtd_field_prep(VTD_CTX_HI_AW, 2) | vtd_field_prep(VTD_CTX_HI_DID, 1));
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_READ);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	liommu_model_get_stats(e.m, &st);
	ck_assert_uint_eq(st.faults_suppressed, 1);
	env_fini(&e);
}
END_TEST

/* 3.1 / 11.4.4: with TE clear, requests are not remapped (QEMU: the
 * "nodmar" address space): pa = iova, no fault, whatever the tables. */
/*
 * A TE change keeps the caches (hardware may; software invalidates after
 * enabling translation), unless flush_on_te asks for QEMU 7.2's flush
 * (vtd_handle_gcmd_te()).
 */
static void flush_te(struct liommu_model_config *mc)
{
	mc->flush_on_te = true;
}

START_TEST(te_change_keeps_or_flushes_caches)
{
	unsigned int flush;

	for (flush = 0; flush <= 1; flush++) {
		uint64_t top, old, neu, pa;
		struct liommu_fault f;
		struct env e;

		env_up(&e, flush ? flush_te : NULL);
		old = std_map(&e, &top, ENV_RW);
		neu = env_page(&e);
		env_enable(&e);
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
		env_wr(&e, env_pte(&e, top, 4, IOVA, 1), neu | ENV_RW);
		env_gcmd(&e, VTD_GCMD_TE, false);
		env_gcmd(&e, VTD_GCMD_TE, true);
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
		ck_assert_uint_eq(pa, flush ? neu : old);
		env_fini(&e);
	}
}
END_TEST

START_TEST(te_clear_passes_untranslated)
{
	struct env e;
	uint64_t pa, page;
	struct liommu_fault f;
	uint32_t v = 0xa5a5a5a5u, r = 0;

	env_up(&e, NULL);
	liommu_model_write64(e.m, VTD_RTADDR_REG, e.root);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	page = env_page(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, page + 8, LIOMMU_MODEL_WRITE, &pa, &f), 0);
	ck_assert_uint_eq(pa, page + 8);
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, page + 8, &v, 4, &f), 0);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, page + 8, &r, 4, &f), 0);
	ck_assert_uint_eq(r, v);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	/* Enabling TE with an empty root table blocks the same request. */
	env_gcmd(&e, VTD_GCMD_TE, true);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, page + 8, &r, 4, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ROOT_P);
	/* Untranslated DMA outside memory: -EIO, no VT-d fault. */
	env_gcmd(&e, VTD_GCMD_TE, false);
	env_frcd_clear(&e, 0);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, 0x1000, &r, 4, &f), -EIO);
	ck_assert_uint_eq(f.reason, 0);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Walks: levels and superpages                                         */
/* ------------------------------------------------------------------ */

static void five_level(struct liommu_model_config *c)
{
	c->sagaw = VTD_SAGAW_39 | VTD_SAGAW_48 | VTD_SAGAW_57;
	c->mgaw = 57;
}

/* _i: 0 = 3-level 4K, 1 = 4-level 2M, 2 = 4-level 1G, 3 = 5-level 4K,
 * 4 = 5-level 2M. */
START_TEST(walk_levels_and_superpages)
{
	static const struct { unsigned int levels, leaf; uint64_t iova; } t[] = {
		{ 3, 1, 0x7f12345000ULL },
		{ 4, 2, 0x0000abcd200000ULL },
		{ 4, 3, 0x0000ab40000000ULL },
		{ 5, 1, 0x01f0000123456000ULL },
		{ 5, 2, 0x0100000000200000ULL },
	};
	struct env e;
	uint64_t top, base, pa, size = 1ULL << vtd_level_shift(t[_i].leaf);
	struct liommu_model_xlate x;
	struct liommu_fault f;

	env_up(&e, five_level);
	/* Physical frames for a 1 GiB page need not exist to translate. */
	base = t[_i].leaf == 3 ? 0x40000000ULL : (t[_i].leaf == 2 ? 0x600000ULL : env_page(&e));
	top = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, t[_i].levels, ENV_DID);
	env_map(&e, top, t[_i].levels, t[_i].iova, base, t[_i].leaf, ENV_RW);
	env_enable(&e);
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, t[_i].iova + size - 8,
						LIOMMU_MODEL_WRITE, &x, &f), 0);
	ck_assert_uint_eq(x.pa, base + size - 8);
	ck_assert_uint_eq(x.page_size, size);
	ck_assert_uint_eq(x.did, ENV_DID);
	ck_assert(!x.iotlb_hit);
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, t[_i].iova + 0x10,
						LIOMMU_MODEL_READ, &x, &f), 0);
	ck_assert(x.iotlb_hit);
	ck_assert_uint_eq(x.pa, base + 0x10);
	/* One page past the leaf is not mapped. */
	ck_assert_int_eq(env_xlate(&e, ENV_SID, t[_i].iova + size, LIOMMU_MODEL_READ, &pa, &f),
			 -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_READ);
	env_fini(&e);
}
END_TEST

/* A superpage leaf with address bits below its size set is reserved
 * (9.8: bits 20:12 of a 2 MiB leaf; QEMU vtd_spte_rsvd_large). */
START_TEST(superpage_misaligned_address_is_reserved)
{
	struct env e;
	uint64_t top, pa;
	struct liommu_fault f;

	env_up(&e, NULL);
	top = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, 4, ENV_DID);
	env_map(&e, top, 4, 0x200000, 0x601000, 2, ENV_RW);
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, 0x200000, LIOMMU_MODEL_READ, &pa, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_PT_RSVD);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cache staleness                                                      */
/* ------------------------------------------------------------------ */

/* A stale IOTLB entry keeps serving DMA after the PTE changes, until a
 * page-selective invalidation (6.5.1: software must invalidate). */
START_TEST(stale_iotlb_visible_through_dma)
{
	struct env e;
	uint64_t top, old, neu, leaf;
	struct liommu_fault f;
	uint32_t v;

	env_up(&e, NULL);
	old = std_map(&e, &top, ENV_RW);
	neu = env_page(&e);
	*(uint32_t *)liommu_sim_phys(e.sim, old, 4) = 0x01d01d01u;
	*(uint32_t *)liommu_sim_phys(e.sim, neu, 4) = 0x2e02e02eu;
	env_enable(&e);
	env_qi_on(&e, 0);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, IOVA, &v, 4, &f), 0);
	ck_assert_uint_eq(v, 0x01d01d01u);
	leaf = env_pte(&e, top, 4, IOVA, 1);
	env_wr(&e, leaf, neu | ENV_RW);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, IOVA, &v, 4, &f), 0);
	ck_assert_uint_eq(v, 0x01d01d01u);		/* stale */
	/* Unmapping is not seen either: the write still lands in old. */
	env_wr(&e, leaf, 0);
	v = 0x33333333u;
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, IOVA, &v, 4, &f), 0);
	ck_assert_uint_eq(*(uint32_t *)liommu_sim_phys(e.sim, old, 4), 0x33333333u);
	/* Invalidation of another domain's page: still stale. */
	env_qi_psi(&e, ENV_DID + 1, IOVA, 0, false);
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, IOVA, &v, 4, &f), 0);
	env_qi_psi(&e, ENV_DID, IOVA, 0, true);
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, IOVA, &v, 4, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_WRITE);
	env_fini(&e);
}
END_TEST

/* The context cache keeps a device's old domain until a context-cache
 * invalidation covers it (6.5.3.3). */
START_TEST(stale_context_until_cc_invalidation)
{
	struct env e;
	uint64_t top, top2, d1, d2, pa;
	struct liommu_fault f;
	struct vtd_inv_desc d;

	env_up(&e, NULL);
	d1 = std_map(&e, &top, ENV_RW);
	top2 = env_page(&e);
	d2 = env_page(&e);
	env_map(&e, top2, 4, IOVA, d2, 1, ENV_RW);
	env_enable(&e);
	env_qi_on(&e, 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d1);
	env_set_ctx(&e, ENV_SID, top2, 4, ENV_DID + 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d1);
	/* Device-selective for another device, domain-selective for another
	 * domain: the entry survives. */
	d = vtd_inv_cc(VTD_CC_GRAN_DEVICE, ENV_DID, ENV_SID + 1, 0);
	env_qi_sync(&e, &d, 1);
	d = vtd_inv_cc(VTD_CC_GRAN_DOMAIN, ENV_DID + 7, 0, 0);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d1);
	/* Function mask 3 ignores devfn bits 2:0 (FM, 6.5.2.1). */
	d = vtd_inv_cc(VTD_CC_GRAN_DEVICE, ENV_DID, (uint16_t)(ENV_SID & ~7u), 3);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d2);
	/* Back, then domain-selective for the cached entry's domain. */
	env_set_ctx(&e, ENV_SID, top, 4, ENV_DID);
	d = vtd_inv_cc(VTD_CC_GRAN_DOMAIN, ENV_DID + 1, 0, 0);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d1);
	env_set_ctx(&e, ENV_SID, top2, 4, ENV_DID + 1);
	d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d2);
	env_fini(&e);
}
END_TEST

/* The IOTLB is tagged by domain: a context-cache invalidation alone does
 * not drop its entries (6.5.3.3 orders an IOTLB invalidation after it for
 * that reason; found by check-model-diff against QEMU 7.2, whose IOTLB is even
 * looked up before the context). */
START_TEST(iotlb_survives_context_invalidation)
{
	struct env e;
	uint64_t top, old, neu, pa;
	struct liommu_fault f;
	struct liommu_model_xlate x;
	struct vtd_inv_desc d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);

	env_up(&e, NULL);
	old = std_map(&e, &top, ENV_RW);
	neu = env_page(&e);
	env_enable(&e);
	env_qi_on(&e, 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	env_wr(&e, env_pte(&e, top, 4, IOVA, 1), neu | ENV_R);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, IOVA, LIOMMU_MODEL_WRITE, &x, &f), 0);
	ck_assert_uint_eq(x.pa, old);
	ck_assert(x.iotlb_hit);
	env_qi_psi(&e, ENV_DID, IOVA, 0, false);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_WRITE, &pa, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_WRITE);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Queued invalidation                                                  */
/* ------------------------------------------------------------------ */

/*
 * 6.5.2.3: a page-selective invalidation drops the pages whose address
 * matches ADDR in bits 63:12+AM, nothing else.  QEMU 7.2 keeps the mask
 * in a uint8_t and so also drops pages 1 MiB apart (equal page-number
 * bits 7:0) and, for AM >= 8, the whole domain (docs/qemu-oracle.md);
 * stale entries show which pages were really dropped.
 */
START_TEST(psi_drops_only_its_range)
{
	const uint64_t alias = IOVA + (1ULL << 20);	/* page number + 0x100 */
	const uint64_t sp = IOVA + (4ULL << 20);	/* a 2 MiB range elsewhere */
	uint64_t top, a_old, b_old, neu, pa;
	struct liommu_fault f;
	struct env e;

	env_up(&e, NULL);
	a_old = std_map(&e, &top, ENV_RW);
	b_old = env_page(&e);
	neu = env_page(&e);
	env_map(&e, top, 4, alias, b_old, 1, ENV_RW);
	env_map(&e, top, 4, sp, env_page(&e), 1, ENV_RW);
	env_enable(&e);
	env_qi_on(&e, 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, alias, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, b_old);
	env_wr(&e, env_pte(&e, top, 4, IOVA, 1), neu | ENV_RW);
	env_wr(&e, env_pte(&e, top, 4, alias, 1), neu | ENV_RW);
	/* AM 9 over a 2 MiB range holding neither: both stay stale. */
	env_qi_psi(&e, ENV_DID, sp, 9, false);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, a_old);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, alias, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, b_old);
	/* AM 0 at IOVA: IOVA is dropped, its 1 MiB alias is not. */
	env_qi_psi(&e, ENV_DID, IOVA, 0, false);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, neu);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, alias, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, b_old);
	env_fini(&e);
}
END_TEST

/* 6.5.2.3: page-selective with AM = n drops 2^n pages aligned to 2^n
 * pages; IOTLB global/domain drop what they cover; drain bits accepted. */
START_TEST(qi_iotlb_page_mask_domain_global)
{
	struct env e;
	uint64_t top, pg[8], leaf[8], neu, pa;
	struct liommu_fault f;
	struct vtd_inv_desc d;
	unsigned int i;

	env_up(&e, NULL);
	top = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, 4, ENV_DID);
	for (i = 0; i < 8; i++) {
		pg[i] = env_page(&e);
		leaf[i] = env_map(&e, top, 4, IOVA + i * VTD_PAGE_SIZE, pg[i], 1, ENV_RW);
	}
	neu = env_page(&e);
	env_enable(&e);
	env_qi_on(&e, 1);
	ck_assert_uint_eq(env_r64(&e, VTD_IQA_REG), e.iq | 1);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + i * VTD_PAGE_SIZE,
					   LIOMMU_MODEL_READ, &pa, &f), 0);
		env_wr(&e, leaf[i], neu | ENV_RW);
	}
	/* AM = 2 at page 5 covers pages 4..7 (ADDR's low bits ignored). */
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, ENV_DID, IOVA + 5 * VTD_PAGE_SIZE, 2, false,
			  true, true);
	d.hi = (IOVA + 5 * VTD_PAGE_SIZE) | 2;
	env_qi_sync(&e, &d, 1);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + i * VTD_PAGE_SIZE,
					   LIOMMU_MODEL_READ, &pa, &f), 0);
		ck_assert_uint_eq(pa, i >= 4 ? neu : pg[i]);
	}
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_DOMAIN, ENV_DID + 1, 0, 0, false, false, false);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, pg[0]);
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_DOMAIN, ENV_DID, 0, 0, false, false, false);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, neu);
	env_wr(&e, leaf[1], pg[1] | ENV_RW);
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, false, false);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + VTD_PAGE_SIZE, LIOMMU_MODEL_READ, &pa, &f),
			 0);
	ck_assert_uint_eq(pa, pg[1]);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	env_fini(&e);
}
END_TEST

/* 6.5.2.8: the wait descriptor writes its status dword, raises the
 * completion event with IF (ICS.IWC, IECTL.IP/IM like FECTL). */
START_TEST(qi_wait_status_and_interrupt)
{
	struct env e;
	struct vtd_inv_desc w;
	uint32_t *st;

	env_up(&e, NULL);
	env_qi_on(&e, 0);
	st = liommu_sim_phys(e.sim, e.status, 8);
	liommu_model_write32(e.m, VTD_IEDATA_REG, 0x4321);
	liommu_model_write32(e.m, VTD_IEADDR_REG, 0xfee01000u);
	/* Status write with fence, a second status in the same queue run. */
	w = vtd_inv_wait(true, 0x11, e.status, false, true);
	env_qi_push(&e, &w, 1);
	ck_assert_uint_eq(st[0], 0x11);
	ck_assert_uint_eq(env_r32(&e, VTD_ICS_REG), 0);
	/* IF with IECTL.IM set (reset): IWC and IP, no message. */
	w = vtd_inv_wait(false, 0, 0, true, false);
	env_qi_push(&e, &w, 1);
	ck_assert_uint_eq(env_r32(&e, VTD_ICS_REG), VTD_ICS_IWC);
	ck_assert_uint_eq(env_r32(&e, VTD_IECTL_REG), VTD_IECTL_IM | VTD_IECTL_IP);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_INV_DONE], 0);
	liommu_model_write32(e.m, VTD_IECTL_REG, 0);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_INV_DONE], 1);
	ck_assert_uint_eq(evs.addr, 0xfee01000u);
	ck_assert_uint_eq(evs.data, 0x4321);
	ck_assert_uint_eq(env_r32(&e, VTD_IECTL_REG), 0);
	/* While IWC is set another IF sends nothing (QEMU
	 * vtd_generate_completion_event()); after W1C it does, at once. */
	env_qi_push(&e, &w, 1);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_INV_DONE], 1);
	liommu_model_write32(e.m, VTD_ICS_REG, VTD_ICS_IWC);
	ck_assert_uint_eq(env_r32(&e, VTD_ICS_REG), 0);
	env_qi_push(&e, &w, 1);
	ck_assert_uint_eq(evs.n[LIOMMU_MODEL_EV_INV_DONE], 2);
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 4u << 4);
	env_fini(&e);
}
END_TEST

/* A malformed descriptor stops the queue: FSTS.IQE, IQH at the bad
 * descriptor, IQERCD.IQEI saying why (6.5.2.10, 11.4.9.9), the fault
 * event; nothing after it runs until software clears IQE.  QEMU 7.2
 * reads IQERCD as 0 (it has no IQERCD): the spec is followed here. */
struct bad_desc {
	const char *what;
	uint64_t lo, hi;
	unsigned int iqei;
};

START_TEST(qi_malformed_descriptor_stops_queue)
{
	const struct bad_desc bad[] = {
		{ "cc reserved lo",   vtd_inv_cc(1, 0, 0, 0).lo | VTD_BIT64(8), 0, VTD_IQEI_RSVD },
		{ "cc hi non-zero",   vtd_inv_cc(1, 0, 0, 0).lo, 1, VTD_IQEI_RSVD },
		{ "cc granularity 0", vtd_inv_cc(0, 0, 0, 0).lo, 0, VTD_IQEI_RSVD },
		{ "iotlb reserved",   vtd_inv_iotlb(1, 0, 0, 0, 0, 0, 0).lo | VTD_BIT64(9) << 3, 0,
				      VTD_IQEI_RSVD },
		{ "iotlb AM > MAMV",  vtd_inv_iotlb(3, 1, 0, 0, 0, 0, 0).lo, 19, VTD_IQEI_RSVD },
		{ "iotlb gran 0",     vtd_inv_iotlb(0, 0, 0, 0, 0, 0, 0).lo, 0, VTD_IQEI_RSVD },
		{ "type 0",	      0, 0, VTD_IQEI_TYPE },
		{ "type 9 (hi bits)", VTD_BIT64(9) | 1, 0, VTD_IQEI_TYPE },
		{ "devtlb w/o DT",    3, 0, VTD_IQEI_TYPE },
		{ "wait reserved",    vtd_inv_wait(true, 1, 0, false, false).lo | VTD_BIT64(8), 0,
				      VTD_IQEI_RSVD },
		{ "wait hi reserved", vtd_inv_wait(true, 1, 0, false, false).lo, 1, VTD_IQEI_RSVD },
		{ "iec reserved",     vtd_inv_iec(false, 0, 0).lo | VTD_BIT64(6), 0, VTD_IQEI_RSVD },
		{ "iec IM > MHMV",    vtd_inv_iec(true, 0, 0).lo | VTD_BIT64(31), 0, VTD_IQEI_RSVD },
		{ "status outside",   vtd_inv_wait(true, 1, 0, false, false).lo, 0x7ff00000ULL,
				      VTD_IQEI_NONE },
	};
	const struct bad_desc *b = &bad[_i];
	struct env e;
	struct vtd_inv_desc d[3];
	uint32_t *st;

	ck_assert_uint_lt(_i, sizeof(bad) / sizeof(bad[0]));
	env_up(&e, NULL);
	env_qi_on(&e, 0);
	st = liommu_sim_phys(e.sim, e.status, 8);
	d[0] = vtd_inv_wait(true, 1, e.status, false, false);
	d[1].lo = b->lo;
	d[1].hi = b->hi;
	d[2] = vtd_inv_wait(true, 2, e.status, false, false);
	env_qi_push(&e, d, 3);
	ck_assert_msg(env_r32(&e, VTD_FSTS_REG) == VTD_FSTS_IQE, "%s: FSTS 0x%x", b->what,
		      env_r32(&e, VTD_FSTS_REG));
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 1u << 4);
	ck_assert_uint_eq(env_r64(&e, VTD_IQT_REG), 3u << 4);
	ck_assert_msg(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)) == b->iqei,
		      "%s: IQEI %u", b->what,
		      (unsigned int)vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)));
	ck_assert_uint_eq(st[0], 1);			/* before: done */
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), VTD_FECTL_IM | VTD_FECTL_IP);
	/* A tail write while IQE is set does nothing. */
	liommu_model_write64(e.m, VTD_IQT_REG, 3u << 4);
	ck_assert_uint_eq(st[0], 1);
	/* Repair the descriptor, clear IQE: fetching resumes from IQH. */
	env_wr(&e, e.iq + 16, vtd_inv_wait(true, 7, e.status + 4, false, false).lo);
	env_wr(&e, e.iq + 24, e.status + 4);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_IQE);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	ck_assert_uint_eq(env_r32(&e, VTD_FECTL_REG), VTD_FECTL_IM);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)), 0);
	ck_assert_uint_eq(st[1], 7);
	ck_assert_uint_eq(st[0], 2);
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 3u << 4);
	env_fini(&e);
}
END_TEST

/* Hostile queue programming: a tail beyond the queue (IQEI 1), a queue
 * outside memory (IQEI 2), 256-bit descriptors without scalable mode
 * (IQEI 6); QIE cannot be cleared while the queue is not empty. */
START_TEST(qi_hostile_queue_programming)
{
	struct env e;

	env_up(&e, NULL);
	env_qi_on(&e, 0);
	liommu_model_write64(e.m, VTD_IQT_REG, 256u << 4);	/* 256 entries: 0..255 */
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_IQE);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)),
			  VTD_IQEI_TAIL);
	/* Not empty: QIE stays set (6.5.2). */
	env_gcmd(&e, VTD_GCMD_QIE, false);
	ck_assert(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_QIES);
	liommu_model_write64(e.m, VTD_IQT_REG, 0);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_IQE);
	env_gcmd(&e, VTD_GCMD_QIE, false);
	ck_assert(!(env_r32(&e, VTD_GSTS_REG) & VTD_GSTS_QIES));
	/* Queue base outside memory. */
	liommu_model_write64(e.m, VTD_IQA_REG, 0x7f000000ULL);
	env_gcmd(&e, VTD_GCMD_QIE, true);
	liommu_model_write64(e.m, VTD_IQT_REG, 1u << 4);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_IQE);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)),
			  VTD_IQEI_FETCH);
	ck_assert_uint_eq(env_r64(&e, VTD_IQH_REG), 0);
	liommu_model_write64(e.m, VTD_IQT_REG, 0);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_IQE);
	env_gcmd(&e, VTD_GCMD_QIE, false);
	/* DW = 1. */
	liommu_model_write64(e.m, VTD_IQA_REG, e.iq | VTD_IQA_DW);
	env_gcmd(&e, VTD_GCMD_QIE, true);
	liommu_model_write64(e.m, VTD_IQT_REG, 1u << 4);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)),
			  VTD_IQEI_WIDTH);
	env_fini(&e);
}
END_TEST

/* IEC descriptors: global and index-selective are accepted and counted;
 * without ECAP.IR the type is invalid. */
static void no_ir(struct liommu_model_config *c)
{
	c->ir = false;
}

START_TEST(qi_iec_descriptors)
{
	struct env e;
	struct vtd_inv_desc d[2];
	struct liommu_model_stats st;

	env_up(&e, NULL);
	env_qi_on(&e, 0);
	d[0] = vtd_inv_iec(false, 0, 0);
	d[1] = vtd_inv_iec(true, 32, 4);
	env_qi_sync(&e, d, 2);
	liommu_model_get_stats(e.m, &st);
	ck_assert_uint_eq(st.iec_invs, 2);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	env_fini(&e);

	env_up(&e, no_ir);
	env_qi_on(&e, 0);
	env_qi_push(&e, d, 1);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), VTD_FSTS_IQE);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, env_r64(&e, VTD_IQERCD_REG)),
			  VTD_IQEI_TYPE);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Modelled invalidation latency                                        */
/* ------------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* None (the default) and 3 ms.  Only lower bounds are asserted: a busy
 * machine may make anything take longer. */
static const uint64_t lat_ns[] = { 0, 3000000 };
static uint64_t lat_cur;

static void with_latency(struct liommu_model_config *c)
{
	c->inval_latency_ns = lat_cur;
}

/*
 * A wait descriptor completes (status written, IWC set) no earlier than
 * the latency after the IQT write that submitted it; an IOTLB descriptor
 * and a second wait in the same run are served within the same latency.
 */
START_TEST(qi_wait_completes_after_latency)
{
	struct vtd_inv_desc d[3];
	uint64_t t0, t;
	struct env e;
	uint32_t *st;

	lat_cur = lat_ns[_i];
	env_up(&e, with_latency);
	env_qi_on(&e, 0);
	st = liommu_sim_phys(e.sim, e.status, 8);
	d[0] = vtd_inv_wait(true, 0x21, e.status, false, true);
	t0 = mono_ns();
	env_qi_push(&e, d, 1);
	t = mono_ns() - t0;
	ck_assert_uint_eq(st[0], 0x21);
	ck_assert_msg(t >= lat_cur, "wait completed %llu ns after submission",
		      (unsigned long long)t);
	d[0] = vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, false, false);
	d[1] = vtd_inv_wait(false, 0, 0, true, false);
	d[2] = vtd_inv_wait(true, 0x22, e.status + 4, false, true);
	t0 = mono_ns();
	env_qi_push(&e, d, 3);
	t = mono_ns() - t0;
	ck_assert_uint_eq(st[1], 0x22);
	ck_assert_uint_eq(env_r32(&e, VTD_ICS_REG), VTD_ICS_IWC);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), 0);
	ck_assert_msg(t >= lat_cur, "batch completed %llu ns after submission",
		      (unsigned long long)t);
	env_fini(&e);
}
END_TEST

/* Register-based invalidation: ICC / IVT read clear no earlier than the
 * latency after the write that set them. */
START_TEST(register_invalidation_completes_after_latency)
{
	uint64_t t0, t, v;
	struct env e;

	lat_cur = lat_ns[_i];
	env_up(&e, with_latency);
	t0 = mono_ns();
	ccmd(&e, VTD_CC_GRAN_GLOBAL, 0, 0);
	v = env_r64(&e, VTD_CCMD_REG);
	t = mono_ns() - t0;
	ck_assert(!(v & VTD_CCMD_ICC));
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, v), VTD_CC_GRAN_GLOBAL);
	ck_assert_msg(t >= lat_cur, "CCMD completed after %llu ns", (unsigned long long)t);
	t0 = mono_ns();
	iotlb_reg(&e, VTD_IOTLB_GRAN_DOMAIN, ENV_DID, 0);
	v = env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8);
	t = mono_ns() - t0;
	ck_assert(!(v & VTD_IOTLB_IVT));
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, v), VTD_IOTLB_GRAN_DOMAIN);
	ck_assert_msg(t >= lat_cur, "IOTLB completed after %llu ns", (unsigned long long)t);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DMA                                                                  */
/* ------------------------------------------------------------------ */

/* A DMA crossing pages lands on each page's frame; a fault on any page
 * moves nothing (every page is translated first, model.h). */
START_TEST(dma_crosses_pages)
{
	struct env e;
	uint64_t top, p0, p1;
	struct liommu_fault f;
	uint8_t buf[64], back[64];
	unsigned int i;

	env_up(&e, NULL);
	p0 = std_map(&e, &top, ENV_RW);
	p1 = env_page(&e);
	env_map(&e, top, 4, IOVA + VTD_PAGE_SIZE, p1 + 0 * VTD_PAGE_SIZE, 1, ENV_RW);
	/* p1 must not follow p0 physically, so take one page in between. */
	env_enable(&e);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, IOVA + VTD_PAGE_SIZE - 32, buf,
					      64, &f), 0);
	ck_assert_mem_eq((uint8_t *)liommu_sim_phys(e.sim, p0, VTD_PAGE_SIZE) + VTD_PAGE_SIZE - 32,
			 buf, 32);
	ck_assert_mem_eq(liommu_sim_phys(e.sim, p1, 32), buf + 32, 32);
	ck_assert_int_eq(liommu_sim_dma_read(e.sim, ENV_SID, IOVA + VTD_PAGE_SIZE - 32, back, 64,
					     &f), 0);
	ck_assert_mem_eq(back, buf, 64);
	/* The third page is not mapped. */
	memset(back, 0xee, sizeof(back));
	ck_assert_int_eq(liommu_sim_dma_write(e.sim, ENV_SID, 2 * VTD_PAGE_SIZE + IOVA - 8, back,
					      16, &f), -EFAULT);
	ck_assert_uint_eq(f.addr, IOVA + 2 * VTD_PAGE_SIZE);
	ck_assert_uint_eq(f.reason, VTD_FR_WRITE);
	ck_assert(f.is_write);
	ck_assert_mem_eq(liommu_sim_phys(e.sim, p1 + VTD_PAGE_SIZE - 8, 8),
			 (uint8_t[8]){ 0 }, 8);
	env_fini(&e);
}
END_TEST

/* Hostile arguments get errors, never a crash. */
START_TEST(hostile_arguments)
{
	struct env e;
	struct liommu_fault f;
	uint8_t b;

	env_up(&e, NULL);
	ck_assert_int_eq(liommu_model_translate(e.m, 0, 0, 0, NULL, &f), -EINVAL);
	ck_assert_int_eq(liommu_model_translate(e.m, 0, 0, 0x80, NULL, &f), -EINVAL);
	/* ATS without ECAP.DT. */
	ck_assert_int_eq(liommu_model_translate(e.m, 0, 0, LIOMMU_MODEL_READ | LIOMMU_MODEL_ATS,
						NULL, &f), -EINVAL);
	ck_assert_int_eq(liommu_model_dma_read(e.m, 0, 0, NULL, 4, &f), -EINVAL);
	ck_assert_int_eq(liommu_model_dma_write(e.m, 0, ~0ULL - 2, &b, 8, &f), -EINVAL);
	ck_assert_int_eq(liommu_model_dma_read(e.m, 0, 0, &b, 0, &f), 0);
	/* Root table at the top of the address space: 0x08, not a crash. */
	liommu_model_write64(e.m, VTD_RTADDR_REG, 0xfffffffffffff000ULL);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	env_gcmd(&e, VTD_GCMD_TE, true);
	ck_assert_int_eq(liommu_model_translate(e.m, 0xffff, ~0ULL & VTD_PAGE_MASK,
						LIOMMU_MODEL_READ, NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ROOT_ACCESS);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The front TLB (liommu/model.h): an accelerator with no behaviour     */
/* ------------------------------------------------------------------ */

static void tiny_iotlb(struct liommu_model_config *mc)
{
	mc->iotlb_entries = 4;	/* the minimum: 2 sets of 4 ways */
	mc->pde_entries = 0;
}

#define SWEEP_PAGES	256

/*
 * An entry evicted from the IOTLB is gone for the front TLB too: after
 * the PTE changed without invalidation, a translation that is no longer
 * an IOTLB hit walks and sees the new page.  Without the eviction
 * killing the front entry, the old page would come back as a "hit".
 */
START_TEST(front_tlb_follows_iotlb_eviction)
{
	struct liommu_model_stats st0, st1;
	struct liommu_model_xlate x;
	struct liommu_fault f;
	struct env e;
	uint64_t top, old, neu, other;
	unsigned int i;

	env_up(&e, tiny_iotlb);
	old = std_map(&e, &top, ENV_RW);
	neu = env_page(&e);
	other = env_page(&e);
	for (i = 1; i <= SWEEP_PAGES; i++)
		env_map(&e, top, 4, IOVA + i * VTD_PAGE_SIZE, other, 1, ENV_RW);
	env_enable(&e);
	env_qi_on(&e, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, IOVA, LIOMMU_MODEL_READ,
							&x, &f), 0);
		ck_assert_uint_eq(x.pa, old);
	}
	ck_assert(x.iotlb_hit);
	env_wr(&e, env_pte(&e, top, 4, IOVA, 1), neu | ENV_RW);
	/* Still cached: staleness is visible, as on hardware. */
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, IOVA, LIOMMU_MODEL_READ, &x, &f), 0);
	ck_assert_uint_eq(x.pa, old);
	/* Push it out of the 8-slot IOTLB. */
	for (i = 1; i <= SWEEP_PAGES; i++)
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + i * VTD_PAGE_SIZE,
					   LIOMMU_MODEL_READ, NULL, &f), 0);
	liommu_model_get_stats(e.m, &st0);
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, IOVA, LIOMMU_MODEL_READ, &x, &f), 0);
	liommu_model_get_stats(e.m, &st1);
	ck_assert(!x.iotlb_hit);
	ck_assert_uint_eq(x.pa, neu);
	ck_assert_uint_eq(st1.walks - st0.walks, 1);
	env_fini(&e);
}
END_TEST

/* A front entry made by reads never lets a write through a read-only
 * page (0x05, spec Appendix A), and a device-selective context-cache
 * invalidation moves the device to its new domain at once. */
START_TEST(front_tlb_permissions_and_context_invalidation)
{
	struct liommu_fault f;
	struct env e;
	struct vtd_inv_desc d;
	uint64_t top, top2, d1, d2, pa;
	unsigned int i;

	env_up(&e, NULL);
	d1 = std_map(&e, &top, ENV_R);
	top2 = env_page(&e);
	d2 = env_page(&e);
	env_map(&e, top2, 4, IOVA, d2, 1, ENV_RW);
	env_enable(&e);
	env_qi_on(&e, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
		ck_assert_uint_eq(pa, d1);
	}
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_WRITE, &pa, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_WRITE);
	expect_record(&e, 0, ENV_SID, IOVA, VTD_FR_WRITE, true);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, &pa, &f), 0);
	ck_assert_uint_eq(pa, d1);
	env_set_ctx(&e, ENV_SID, top2, 4, ENV_DID + 1);
	d = vtd_inv_cc(VTD_CC_GRAN_DEVICE, ENV_DID, ENV_SID, 0);
	env_qi_sync(&e, &d, 1);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_WRITE, &pa, &f), 0);
	ck_assert_uint_eq(pa, d2);
	env_fini(&e);
}
END_TEST

/* Front hits are counted as what they stand for: a translation, a
 * context-cache hit and an IOTLB hit, with no walk. */
START_TEST(front_tlb_hits_counted_as_cache_hits)
{
	struct liommu_model_stats st0, st1;
	struct liommu_fault f;
	struct env e;
	uint64_t top;
	unsigned int i;

	env_up(&e, NULL);
	std_map(&e, &top, ENV_RW);
	env_enable(&e);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, &f), 0);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, &f), 0);
	liommu_model_get_stats(e.m, &st0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + (i & 0xfff),
					   LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE, NULL, &f), 0);
	liommu_model_get_stats(e.m, &st1);
	ck_assert_uint_eq(st1.translations - st0.translations, 100);
	ck_assert_uint_eq(st1.iotlb_hits - st0.iotlb_hits, 100);
	ck_assert_uint_eq(st1.ctx_hits - st0.ctx_hits, 100);
	ck_assert_uint_eq(st1.walks - st0.walks, 0);
	ck_assert_uint_eq(st1.iotlb_misses - st0.iotlb_misses, 0);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Concurrency: device threads against a driver thread                 */
/* ------------------------------------------------------------------ */

#define RACE_PAGES	16
#define RACE_ROUNDS	3000

struct race {
	struct env *e;
	uint64_t pages[RACE_PAGES];
	uint64_t leaf;
	_Atomic unsigned int gen;	/* last generation whose invalidation completed */
	_Atomic bool stop;
	_Atomic unsigned int bad;
	_Atomic unsigned long checks;
	uint64_t other;			/* evict_device(): pages after IOVA */
};

/* Keeps translating other pages of the domain, so IOVA's IOTLB entry
 * (and the front TLB entry made from it) is evicted while the others
 * race the invalidations. */
static void *evict_device(void *arg)
{
	struct race *r = arg;
	uint64_t i = 0;

	while (!atomic_load(&r->stop)) {
		struct liommu_fault f;

		if (env_xlate(r->e, ENV_SID, IOVA + (1 + i++ % SWEEP_PAGES) * VTD_PAGE_SIZE,
			      LIOMMU_MODEL_READ, NULL, &f))
			atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

/*
 * Rules (1) and (2) of liommu/model.h: a translation that starts after
 * the invalidation of generation g completed returns generation g's page
 * or a later one, never an older one.
 */
static void *race_device(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		unsigned int g = atomic_load_explicit(&r->gen, memory_order_acquire);
		struct liommu_model_xlate x;
		struct liommu_fault f;
		unsigned int g2, j;
		bool ok = false;

		if (liommu_model_translate(r->e->m, ENV_SID, IOVA, LIOMMU_MODEL_READ, &x, &f)) {
			atomic_fetch_add(&r->bad, 1);
			continue;
		}
		g2 = atomic_load_explicit(&r->gen, memory_order_acquire);
		if (g2 - g >= RACE_PAGES - 1)
			continue;	/* too far behind to tell */
		for (j = g; j <= g2 + 1; j++)
			if (x.pa == r->pages[j % RACE_PAGES])
				ok = true;
		if (!ok)
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add_explicit(&r->checks, 1, memory_order_relaxed);
	}
	return NULL;
}

/*
 * Rule (2) of liommu/model.h made deterministic: the walk reads the leaf,
 * and at that very moment (from inside the memory read) the driver
 * changes the leaf and invalidates the page.  The walk goes on with
 * what it read (a request in flight may), but its IOTLB insert must see
 * that an invalidation began and drop the entry: the next request
 * walks again and gets the new page.  Without the epoch recheck the
 * stale entry would outlive the completed invalidation.
 */
#define RM_SIZE		0x10000ULL
#define RM_ROOT		0x1000ULL
#define RM_CTX		0x2000ULL
#define RM_PML4		0x3000ULL
#define RM_LEAF_TABLE	0x6000ULL
#define RM_OLD		0x7000ULL
#define RM_NEW		0x8000ULL

struct racy_mem {
	uint8_t bytes[RM_SIZE];
	struct liommu_model *m;
	bool armed;
};

static int racy_read(void *priv, uint64_t pa, void *buf, size_t len)
{
	struct racy_mem *r = priv;

	if (pa >= RM_SIZE || len > RM_SIZE - pa)
		return -EFAULT;
	memcpy(buf, r->bytes + pa, len);
	if (r->armed && pa == RM_LEAF_TABLE) {
		uint64_t neu = RM_NEW | VTD_SLPTE_R | VTD_SLPTE_W;

		r->armed = false;
		/* The driver, between the walk's load and its insert. */
		memcpy(r->bytes + pa, &neu, 8);
		liommu_model_write64(r->m, LIOMMU_MODEL_IVA_OFFSET, 0);
		liommu_model_write64(r->m, LIOMMU_MODEL_IVA_OFFSET + 8,
				     VTD_IOTLB_IVT |
				     vtd_field_prep(VTD_IOTLB_IIRG, VTD_IOTLB_GRAN_PAGE) |
				     vtd_field_prep(VTD_IOTLB_DID, ENV_DID));
	}
	return 0;
}

static int racy_write(void *priv, uint64_t pa, const void *buf, size_t len)
{
	struct racy_mem *r = priv;

	if (pa >= RM_SIZE || len > RM_SIZE - pa)
		return -EFAULT;
	memcpy(r->bytes + pa, buf, len);
	return 0;
}

static void racy_put(struct racy_mem *r, uint64_t pa, uint64_t v)
{
	memcpy(r->bytes + pa, &v, 8);
}

START_TEST(fill_racing_invalidation_is_dropped)
{
	static const struct liommu_model_mem_ops ops = { racy_read, racy_write };
	struct racy_mem *r = calloc(1, sizeof(*r));
	struct liommu_model_config mc;
	struct liommu_model_xlate x;
	struct liommu_fault f;
	uint64_t t;

	ck_assert_ptr_nonnull(r);
	liommu_model_config_default(&mc);
	mc.pde_entries = 0;
	mc.mem.ops = &ops;		/* no direct window: every load is seen */
	mc.mem.priv = r;
	ck_assert_int_eq(liommu_model_new(&mc, &r->m), 0);
	racy_put(r, RM_ROOT + 16ULL * vtd_sid_bus(ENV_SID), RM_CTX | VTD_ROOT_LO_P);
	racy_put(r, RM_CTX + 16ULL * vtd_sid_devfn(ENV_SID) + 8,
		 vtd_field_prep(VTD_CTX_HI_AW, 2) | vtd_field_prep(VTD_CTX_HI_DID, ENV_DID));
	racy_put(r, RM_CTX + 16ULL * vtd_sid_devfn(ENV_SID), RM_PML4 | VTD_CTX_LO_P);
	/* IOVA 0: entry 0 of each level. */
	for (t = RM_PML4; t < RM_LEAF_TABLE; t += 0x1000)
		racy_put(r, t, (t + 0x1000) | VTD_SLPTE_R | VTD_SLPTE_W);
	racy_put(r, RM_LEAF_TABLE, RM_OLD | VTD_SLPTE_R | VTD_SLPTE_W);
	liommu_model_write64(r->m, VTD_RTADDR_REG, RM_ROOT);
	liommu_model_write32(r->m, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	liommu_model_write32(r->m, VTD_GCMD_REG, (uint32_t)VTD_GCMD_TE);
	ck_assert(liommu_model_read32(r->m, VTD_GSTS_REG) & VTD_GSTS_TES);

	r->armed = true;
	ck_assert_int_eq(liommu_model_translate(r->m, ENV_SID, 0, LIOMMU_MODEL_READ, &x, &f), 0);
	ck_assert(!r->armed);
	ck_assert_uint_eq(x.pa, RM_OLD);		/* in flight: what it read */
	ck_assert_uint_eq(liommu_model_iotlb_count(r->m), 0);
	ck_assert_int_eq(liommu_model_translate(r->m, ENV_SID, 0, LIOMMU_MODEL_READ, &x, &f), 0);
	ck_assert_uint_eq(x.pa, RM_NEW);
	ck_assert(!x.iotlb_hit);
	/* And the normal path still caches. */
	ck_assert_uint_eq(liommu_model_iotlb_count(r->m), 1);
	ck_assert_int_eq(liommu_model_translate(r->m, ENV_SID, 0, LIOMMU_MODEL_READ, &x, &f), 0);
	ck_assert(x.iotlb_hit);
	liommu_model_free(r->m);
	free(r);
}
END_TEST

static void race_run(void (*tweak)(struct liommu_model_config *), bool evict)
{
	struct env e;
	struct race r;
	pthread_t t[3];
	uint64_t top;
	unsigned int g, i, n = evict ? 3 : 2;

	env_up(&e, tweak);
	memset(&r, 0, sizeof(r));
	r.e = &e;
	top = env_page(&e);
	for (i = 0; i < RACE_PAGES; i++)
		r.pages[i] = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, 4, ENV_DID);
	r.leaf = env_map(&e, top, 4, IOVA, r.pages[0], 1, ENV_RW);
	r.other = env_page(&e);
	for (i = 1; evict && i <= SWEEP_PAGES; i++)
		env_map(&e, top, 4, IOVA + i * VTD_PAGE_SIZE, r.other, 1, ENV_RW);
	env_enable(&e);
	env_qi_on(&e, 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, i < 2 ? race_device : evict_device,
						&r), 0);
	for (g = 1; g <= RACE_ROUNDS; g++) {
		env_wr(&e, r.leaf, r.pages[g % RACE_PAGES] | ENV_RW);
		if (g % 3) {
			env_qi_psi(&e, ENV_DID, IOVA, 0, true);
		} else {
			struct vtd_inv_desc d = vtd_inv_iotlb(VTD_IOTLB_GRAN_DOMAIN, ENV_DID,
							      0, 0, false, false, false);

			env_qi_sync(&e, &d, 1);
		}
		atomic_store_explicit(&r.gen, g, memory_order_release);
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(atomic_load(&r.bad), 0);
	ck_assert_uint_gt(atomic_load(&r.checks), 0);
	env_fini(&e);
}

START_TEST(device_threads_race_invalidation)
{
	race_run(NULL, false);
}
END_TEST

/* The same with a third device thread evicting IOVA's entries from a
 * tiny IOTLB all the time: fills, evictions, front TLB entries and
 * invalidations all race. */
START_TEST(device_threads_race_invalidation_and_eviction)
{
	race_run(tiny_iotlb, true);
}
END_TEST

Suite *model_suite(void);
Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc;

	tc = tcase_create("capabilities");
	tcase_add_test(tc, defaults_match_qemu_cap_ecap);
	tcase_add_test(tc, config_rejects_invalid_sets);
	tcase_add_test(tc, config_bounds_inval_latency);
	suite_add_tcase(s, tc);

	tc = tcase_create("registers");
	tcase_add_test(tc, gcmd_bits_reflect_in_gsts);
	tcase_add_test(tc, rtaddr_latched_at_srtp);
	tcase_add_test(tc, ccmd_reports_actual_granularity);
	tcase_add_test(tc, iotlb_register_invalidation);
	tcase_add_test(tc, iotlb_page_without_psi_reports_domain);
	tcase_add_test(tc, reserved_and_readonly_bits);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_test(tc, fault_event_masked_then_sent);
	tcase_add_test(tc, fault_records_overflow_and_w1c);
	tcase_add_test(tc, faults_collapse_per_source_id);
	tcase_add_loop_test(tc, every_fault_reason, 0, sizeof(reasons) / sizeof(reasons[0]));
	tcase_add_test(tc, fpd_suppresses_recording);
	tcase_add_test(tc, te_clear_passes_untranslated);
	tcase_add_test(tc, te_change_keeps_or_flushes_caches);
	suite_add_tcase(s, tc);

	tc = tcase_create("walk");
	tcase_add_loop_test(tc, walk_levels_and_superpages, 0, 5);
	tcase_add_test(tc, superpage_misaligned_address_is_reserved);
	suite_add_tcase(s, tc);

	tc = tcase_create("caches");
	tcase_add_test(tc, stale_iotlb_visible_through_dma);
	tcase_add_test(tc, stale_context_until_cc_invalidation);
	tcase_add_test(tc, iotlb_survives_context_invalidation);
	suite_add_tcase(s, tc);

	tc = tcase_create("queued_invalidation");
	tcase_add_test(tc, qi_iotlb_page_mask_domain_global);
	tcase_add_test(tc, psi_drops_only_its_range);
	tcase_add_test(tc, qi_wait_status_and_interrupt);
	tcase_add_loop_test(tc, qi_malformed_descriptor_stops_queue, 0, 14);
	tcase_add_test(tc, qi_hostile_queue_programming);
	tcase_add_test(tc, qi_iec_descriptors);
	suite_add_tcase(s, tc);

	tc = tcase_create("inval_latency");
	tcase_add_loop_test(tc, qi_wait_completes_after_latency, 0,
			    sizeof(lat_ns) / sizeof(lat_ns[0]));
	tcase_add_loop_test(tc, register_invalidation_completes_after_latency, 0,
			    sizeof(lat_ns) / sizeof(lat_ns[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("dma");
	tcase_add_test(tc, dma_crosses_pages);
	tcase_add_test(tc, hostile_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("front_tlb");
	tcase_add_test(tc, front_tlb_follows_iotlb_eviction);
	tcase_add_test(tc, front_tlb_permissions_and_context_invalidation);
	tcase_add_test(tc, front_tlb_hits_counted_as_cache_hits);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_test(tc, fill_racing_invalidation_is_dropped);
	tcase_add_test(tc, device_threads_race_invalidation);
	tcase_add_test(tc, device_threads_race_invalidation_and_eviction);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
