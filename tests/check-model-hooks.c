// SPDX-License-Identifier: MIT
/*
 * check-model-hooks.c - what the software VT-d unit offers a shadow of
 * its tables and a poller of its register page (the vIOMMU engine):
 * the invalidation callback, the side-effect-free walks
 * (liommu_model_walk(), _context(), _walk_range()) and the register
 * file's change count and snapshot (liommu_model_regs_seq(),
 * _regs_snapshot()).
 *
 * Like check-model, the tests program the unit by hand
 * (tests/check-model-env.h), without the driver.  The walks are checked
 * against liommu_model_translate() on seeded random tables (a
 * differential: the translation path and the walks share their decoder,
 * but translate goes through the caches and the walks do not), the
 * callback by the exact sequence of reports and by what is, and is not
 * yet, visible while it runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check-model-env.h"

#define IOVA	0x40000000ULL

/* ------------------------------------------------------------------ */
/* Invalidation log                                                    */
/* ------------------------------------------------------------------ */

#define LOG_MAX	64

struct ilog {
	struct env *e;
	unsigned int n;
	struct liommu_model_inval inv[LOG_MAX];
	/* Observed inside the callback. */
	uint32_t status_seen[LOG_MAX];
	unsigned int iotlb_seen[LOG_MAX];
	unsigned int inv_events_seen[LOG_MAX];
	int walk_ret[LOG_MAX];
	int xlate_ret[LOG_MAX];
	bool probe;		/* walk and translate IOVA from the callback */
};

static struct ilog ilog;
static unsigned int inv_events;

static void ev_cb(void *priv, enum liommu_model_event ev, uint64_t addr, uint32_t data)
{
	(void)priv;
	(void)addr;
	(void)data;
	if (ev == LIOMMU_MODEL_EV_INV_DONE)
		inv_events++;
}

static void inval_cb(void *priv, const struct liommu_model_inval *inv)
{
	struct ilog *l = priv;
	struct env *e = l->e;
	unsigned int i = l->n;

	l->n++;
	if (i >= LOG_MAX)
		return;		/* the random tests only count */
	l->inv[i] = *inv;
	/* What software could see now: the wait's status is not written,
	 * no completion event is out, and the entries are gone already. */
	l->status_seen[i] = __atomic_load_n((uint32_t *)liommu_sim_phys(e->sim, e->status, 4),
					    __ATOMIC_ACQUIRE);
	l->iotlb_seen[i] = liommu_model_iotlb_count(e->m);
	l->inv_events_seen[i] = inv_events;
	if (l->probe) {
		/* The calls the header allows under the register lock. */
		l->walk_ret[i] = liommu_model_walk(e->m, ENV_SID, IOVA, NULL, NULL);
		l->xlate_ret[i] = liommu_model_translate(e->m, ENV_SID, IOVA,
							 LIOMMU_MODEL_READ | LIOMMU_MODEL_NO_RECORD,
							 NULL, NULL);
		(void)liommu_model_regs_seq(e->m);
	}
}

static void env_up(struct env *e, void (*tweak)(struct liommu_model_config *))
{
	struct liommu_model_config mc;

	liommu_model_config_default(&mc);
	mc.event = ev_cb;
	mc.inval = inval_cb;
	mc.inval_priv = &ilog;
	memset(&ilog, 0, sizeof(ilog));
	inv_events = 0;
	if (tweak)
		tweak(&mc);
	env_init(e, &mc);
	ilog.e = e;
}

static void expect_inv(unsigned int i, enum liommu_model_inval_kind kind,
		       enum liommu_model_inval_gran gran, bool queued, uint16_t did, uint16_t sid,
		       uint8_t fm, uint64_t addr, unsigned int am, bool ih, uint32_t iidx)
{
	const struct liommu_model_inval *v = &ilog.inv[i];

	ck_assert_msg(i < ilog.n && i < LOG_MAX, "report %u missing (%u made)", i, ilog.n);
	ck_assert_int_eq(v->kind, kind);
	ck_assert_int_eq(v->gran, gran);
	ck_assert_int_eq(v->queued, queued);
	ck_assert_uint_eq(v->did, did);
	ck_assert_uint_eq(v->sid, sid);
	ck_assert_uint_eq(v->fm, fm);
	ck_assert_uint_eq(v->addr, addr);
	ck_assert_uint_eq(v->am, am);
	ck_assert_int_eq(v->ih, ih);
	ck_assert_uint_eq(v->iidx, iidx);
}

static void ccmd(struct env *e, unsigned int gran, uint16_t did, uint16_t sid, unsigned int fm)
{
	liommu_model_write64(e->m, VTD_CCMD_REG,
			     VTD_CCMD_ICC | vtd_field_prep(VTD_CCMD_CIRG, gran) |
			     vtd_field_prep(VTD_CCMD_DID, did) |
			     vtd_field_prep(VTD_CCMD_SID, sid) | vtd_field_prep(VTD_CCMD_FM, fm));
}

static void iotlb_reg(struct env *e, unsigned int gran, uint16_t did, uint64_t iva)
{
	liommu_model_write64(e->m, LIOMMU_MODEL_IVA_OFFSET, iva);
	liommu_model_write64(e->m, LIOMMU_MODEL_IVA_OFFSET + 8,
			     VTD_IOTLB_IVT | vtd_field_prep(VTD_IOTLB_IIRG, gran) |
			     vtd_field_prep(VTD_IOTLB_DID, did));
}

/* One mapped page at IOVA for ENV_SID, translated once so it is cached. */
static uint64_t map_cached(struct env *e)
{
	uint64_t top = env_page(e), data = env_page(e);

	env_set_ctx(e, ENV_SID, top, 4, ENV_DID);
	env_map(e, top, 4, IOVA, data, 1, ENV_RW);
	ck_assert_int_eq(env_xlate(e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, NULL), 0);
	ck_assert_uint_ge(liommu_model_iotlb_count(e->m), 1);
	return top;
}

static const enum liommu_model_inval_kind CTX = LIOMMU_MODEL_INV_CONTEXT;
static const enum liommu_model_inval_kind TLB = LIOMMU_MODEL_INV_IOTLB;
static const enum liommu_model_inval_kind IEC = LIOMMU_MODEL_INV_IEC;
static const enum liommu_model_inval_kind DEVTLB = LIOMMU_MODEL_INV_DEVTLB;
static const enum liommu_model_inval_gran GLOBAL = LIOMMU_MODEL_INV_GLOBAL;
static const enum liommu_model_inval_gran DOMAIN = LIOMMU_MODEL_INV_DOMAIN;
static const enum liommu_model_inval_gran DEVICE = LIOMMU_MODEL_INV_DEVICE;
static const enum liommu_model_inval_gran PAGE = LIOMMU_MODEL_INV_PAGE;
static const enum liommu_model_inval_gran INDEX = LIOMMU_MODEL_INV_INDEX;

/* CCMD.ICC and IOTLB.IVT, every granularity; reserved requests and AM
 * above MAMV perform nothing and report nothing. */
START_TEST(inval_register_sequence)
{
	struct env e;

	env_up(&e, NULL);
	env_enable(&e);
	map_cached(&e);
	ccmd(&e, VTD_CC_GRAN_GLOBAL, 0, 0, 0);
	ccmd(&e, VTD_CC_GRAN_DOMAIN, 7, 0, 0);
	ccmd(&e, VTD_CC_GRAN_DEVICE, 5, ENV_SID, 2);
	ccmd(&e, 0, 0, 0, 0);					/* reserved */
	iotlb_reg(&e, VTD_IOTLB_GRAN_GLOBAL, 0, 0);
	ck_assert_uint_eq(ilog.iotlb_seen[3], 0);		/* dropped before */
	iotlb_reg(&e, VTD_IOTLB_GRAN_DOMAIN, 9, 0);
	/* ADDR aligned down to 2^AM pages; IH kept. */
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, 9, 0x40003000ULL | VTD_IVA_IH | 2);
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, 9, 0x40000000ULL | 19);	/* AM > MAMV 18 */
	iotlb_reg(&e, 0, 9, 0);					/* reserved */
	ck_assert_uint_eq(ilog.n, 6);
	expect_inv(0, CTX, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(1, CTX, DOMAIN, false, 7, 0, 0, 0, 0, false, 0);
	expect_inv(2, CTX, DEVICE, false, 5, ENV_SID, 2, 0, 0, false, 0);
	expect_inv(3, TLB, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(4, TLB, DOMAIN, false, 9, 0, 0, 0, 0, false, 0);
	expect_inv(5, TLB, PAGE, false, 9, 0, 0, 0x40000000ULL, 2, true, 0);
	/* With QI on, register invalidation is ignored: nothing reported. */
	env_qi_on(&e, 0);
	ccmd(&e, VTD_CC_GRAN_GLOBAL, 0, 0, 0);
	ck_assert_uint_eq(ilog.n, 6);
	env_fini(&e);
}
END_TEST

static void no_psi(struct liommu_model_config *c)
{
	c->psi = false;
}

/* Without PSI a page request is performed, and reported, per domain. */
START_TEST(inval_reports_granularity_performed)
{
	struct env e;
	struct vtd_inv_desc d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, 4, 0x8000, 1, true,
					      false, false);

	env_up(&e, no_psi);
	iotlb_reg(&e, VTD_IOTLB_GRAN_PAGE, 3, 0x5000);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG,
					env_r64(&e, LIOMMU_MODEL_IVA_OFFSET + 8)),
			  VTD_IOTLB_GRAN_DOMAIN);
	env_qi_on(&e, 0);
	env_qi_sync(&e, &d, 1);
	ck_assert_uint_eq(ilog.n, 2);
	expect_inv(0, TLB, DOMAIN, false, 3, 0, 0, 0, 0, false, 0);
	expect_inv(1, TLB, DOMAIN, true, 4, 0, 0, 0, 0, false, 0);
	env_fini(&e);
}
END_TEST

static void with_dt(struct liommu_model_config *c)
{
	c->device_tlb = true;
}

static struct vtd_inv_desc devtlb_desc(uint16_t sid, uint64_t addr, bool s)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_DEVTLB) |
		      vtd_field_prep(VTD_INV_DEVTLB_SID, sid),
		.hi = (addr & VTD_INV_DEVTLB_HI_ADDR) | (s ? VTD_INV_DEVTLB_HI_S : 0),
	};
	return d;
}

/* Every queued kind and granularity, in queue order, queued = true; a
 * malformed descriptor stops the queue and is not reported. */
START_TEST(inval_queued_sequence)
{
	struct env e;
	struct vtd_inv_desc d[] = {
		vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0),
		vtd_inv_cc(VTD_CC_GRAN_DOMAIN, 6, 0, 0),
		vtd_inv_cc(VTD_CC_GRAN_DEVICE, 6, 0x0208, 3),
		vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, true, true),
		vtd_inv_iotlb(VTD_IOTLB_GRAN_DOMAIN, 6, 0, 0, false, false, false),
		vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, 6, 0x12345000ULL, 4, false, false, false),
		vtd_inv_iec(false, 0, 0),
		vtd_inv_iec(true, 0x35, 4),
		devtlb_desc(0x0301, 0x7000, false),
		/* S = 1, ADDR bits 12, 13 set, 14 clear: 2^3 pages at 0x10000. */
		devtlb_desc(0x0301, 0x13000, true),
	};
	struct vtd_inv_desc bad = vtd_inv_cc(0, 0, 0, 0);	/* G = 0 reserved */

	env_up(&e, with_dt);
	env_qi_on(&e, 0);
	env_qi_sync(&e, d, sizeof(d) / sizeof(d[0]));
	ck_assert_uint_eq(ilog.n, 10);
	expect_inv(0, CTX, GLOBAL, true, 0, 0, 0, 0, 0, false, 0);
	expect_inv(1, CTX, DOMAIN, true, 6, 0, 0, 0, 0, false, 0);
	expect_inv(2, CTX, DEVICE, true, 6, 0x0208, 3, 0, 0, false, 0);
	expect_inv(3, TLB, GLOBAL, true, 0, 0, 0, 0, 0, false, 0);
	expect_inv(4, TLB, DOMAIN, true, 6, 0, 0, 0, 0, false, 0);
	expect_inv(5, TLB, PAGE, true, 6, 0, 0, 0x12340000ULL, 4, false, 0);
	expect_inv(6, IEC, GLOBAL, true, 0, 0, 0, 0, 0, false, 0);
	expect_inv(7, IEC, INDEX, true, 0, 0, 0, 0, 4, false, 0x30);
	expect_inv(8, DEVTLB, PAGE, true, 0, 0x0301, 0, 0x7000, 0, false, 0);
	expect_inv(9, DEVTLB, PAGE, true, 0, 0x0301, 0, 0x10000, 3, false, 0);
	env_qi_push(&e, &bad, 1);
	ck_assert(env_r32(&e, VTD_FSTS_REG) & VTD_FSTS_IQE);
	ck_assert_uint_eq(ilog.n, 10);
	env_fini(&e);
}
END_TEST

/*
 * Strictness: while the callback runs, the wait descriptor behind the
 * invalidation has not written its status nor raised its event, the
 * covered entries are gone, and the walk and a NO_RECORD translation may
 * be called (no deadlock).
 */
START_TEST(inval_before_wait_completes)
{
	struct env e;
	uint64_t top;
	struct vtd_inv_desc d[2];
	uint32_t *status;

	env_up(&e, NULL);
	env_enable(&e);
	top = map_cached(&e);
	env_qi_on(&e, 0);
	status = liommu_sim_phys(e.sim, e.status, 4);
	__atomic_store_n(status, 0xdeadbeef, __ATOMIC_RELEASE);
	liommu_model_write32(e.m, VTD_IECTL_REG, 0);	/* unmask completion events */
	/* Unmap, then invalidate the page and wait with SW and IF. */
	env_wr(&e, env_pte(&e, top, 4, IOVA, 1), 0);
	ilog.probe = true;
	d[0] = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, ENV_DID, IOVA, 0, false, false, false);
	d[1] = vtd_inv_wait(true, 77, e.status, true, false);
	env_qi_push(&e, d, 2);
	ck_assert_uint_eq(ilog.n, 1);
	ck_assert_uint_eq(ilog.status_seen[0], 0xdeadbeef);
	ck_assert_uint_eq(ilog.inv_events_seen[0], 0);
	ck_assert_uint_eq(ilog.iotlb_seen[0], 0);
	/* Called from inside: the walk and the translation see the unmap. */
	ck_assert_int_eq(ilog.walk_ret[0], -EFAULT);
	ck_assert_int_eq(ilog.xlate_ret[0], -EFAULT);
	/* And after the write returned, the wait has completed. */
	ck_assert_uint_eq(__atomic_load_n(status, __ATOMIC_ACQUIRE), 77);
	ck_assert_uint_eq(inv_events, 1);
	ck_assert(env_r32(&e, VTD_ICS_REG) & VTD_ICS_IWC);
	env_fini(&e);
}
END_TEST

static void implicit_flushes(struct liommu_model_config *c)
{
	c->esrtps = true;
	c->esirtps = true;
	c->flush_on_te = true;
}

/* GCMD's implicit invalidations are reported too (queued = false). */
START_TEST(inval_implicit_gcmd)
{
	struct env e;

	env_up(&e, implicit_flushes);
	liommu_model_write64(e.m, VTD_RTADDR_REG, e.root);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	env_gcmd(&e, VTD_GCMD_TE, true);
	liommu_model_write64(e.m, VTD_IRTA_REG, e.root);
	env_gcmd(&e, VTD_GCMD_SIRTP, true);
	ck_assert_uint_eq(ilog.n, 5);
	expect_inv(0, CTX, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(1, TLB, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(2, CTX, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(3, TLB, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	expect_inv(4, IEC, GLOBAL, false, 0, 0, 0, 0, 0, false, 0);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Walks                                                               */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic per seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

struct leaf {
	uint64_t iova, pa, size;
	unsigned int perm;
};

#define LEAVES_MAX	100000

struct leaves {
	unsigned int n;
	struct leaf *l;
	int stop_after;		/* stop with -ECANCELED after this many (0: never) */
	uint64_t last_end;
};

static int leaf_cb(void *priv, uint64_t iova, uint64_t pa, uint64_t size, unsigned int perm)
{
	struct leaves *v = priv;

	ck_assert_uint_lt(v->n, LEAVES_MAX);
	/* In increasing IOVA order, without overlap, aligned, not empty. */
	ck_assert_uint_ge(iova, v->last_end);
	ck_assert_uint_eq(iova & (size - 1), 0);
	ck_assert_uint_ne(perm, 0);
	v->last_end = iova + size;
	v->l[v->n++] = (struct leaf){ iova, pa, size, perm };
	if (v->stop_after && v->n == (unsigned int)v->stop_after)
		return -ECANCELED;
	return 0;
}

static void leaves_init(struct leaves *v)
{
	memset(v, 0, sizeof(*v));
	v->l = malloc(LEAVES_MAX * sizeof(*v->l));
	ck_assert_ptr_nonnull(v->l);
}

static const struct leaf *leaves_find(const struct leaves *v, uint64_t iova)
{
	unsigned int lo = 0, hi = v->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (v->l[mid].iova + v->l[mid].size <= iova)
			lo = mid + 1;
		else if (v->l[mid].iova > iova)
			hi = mid;
		else
			return &v->l[mid];
	}
	return NULL;
}

/*
 * One IOVA three ways: translate for read, translate for write (the
 * caches' path), liommu_model_walk() (memory only), and the leaf
 * walk_range() reported.  They must agree.
 */
static void check_iova(struct env *e, const struct leaves *v, uint64_t iova)
{
	const unsigned int nr = LIOMMU_MODEL_NO_RECORD;
	struct liommu_model_xlate xr, xw, xk;
	struct liommu_fault fk;
	int rr = liommu_model_translate(e->m, ENV_SID, iova, LIOMMU_MODEL_READ | nr, &xr, NULL);
	int rw = liommu_model_translate(e->m, ENV_SID, iova, LIOMMU_MODEL_WRITE | nr, &xw, NULL);
	int rk = liommu_model_walk(e->m, ENV_SID, iova, &xk, &fk);
	const struct leaf *l = leaves_find(v, iova);
	unsigned int perm = (rr ? 0 : LIOMMU_MODEL_READ) | (rw ? 0 : LIOMMU_MODEL_WRITE);
	const struct liommu_model_xlate *x = rr ? &xw : &xr;

	if (!perm) {
		ck_assert_msg(!l, "iova 0x%llx: walk_range reports a page translate refuses",
			      (unsigned long long)iova);
		ck_assert_int_eq(rk, -EFAULT);
		ck_assert_uint_eq(fk.addr, iova & VTD_PAGE_MASK);
		ck_assert_uint_eq(fk.sid, ENV_SID);
		ck_assert(!fk.is_write);
		return;
	}
	ck_assert_msg(l, "iova 0x%llx: mapped (perm %u) but not in walk_range",
		      (unsigned long long)iova, perm);
	ck_assert_uint_eq(l->perm, perm);
	ck_assert_uint_eq(l->size, x->page_size);
	ck_assert_uint_eq(l->pa + (iova - l->iova), x->pa);
	ck_assert_int_eq(rk, 0);
	ck_assert_uint_eq(xk.perm, perm);
	ck_assert_uint_eq(xk.pa, x->pa);
	ck_assert_uint_eq(xk.page_size, x->page_size);
	ck_assert_uint_eq(xk.did, x->did);
	ck_assert(!xk.iotlb_hit);
}

/* A random paging entry for @level pointing at @next (a table or a
 * frame), mostly valid. */
static uint64_t rnd_entry(uint64_t next, unsigned int level, bool leaf)
{
	static const uint64_t perms[] = { ENV_RW, ENV_RW, ENV_RW, ENV_R, ENV_W, 0 };
	uint64_t pte = next | perms[rnd_below(6)];

	if (leaf && level > 1)
		pte |= VTD_SLPTE_PS;
	switch (rnd_below(40)) {
	case 0:
		pte |= VTD_SLPTE_SNP;				/* reserved */
		break;
	case 1:
		pte = (pte & ~VTD_SLPTE_ADDR) | (1ULL << 44);	/* outside memory */
		break;
	case 2:
		pte |= 1ULL << 50;				/* above HAW */
		break;
	default:
		break;
	}
	return pte;
}

/*
 * Build a random sparse space under @top (@levels levels): clusters of
 * mappings of every size at random places in the 48-bit space, through
 * random (sometimes bad) intermediate entries.  Returns probe IOVAs.
 */
static unsigned int build_random(struct env *e, uint64_t top, unsigned int levels,
				 uint64_t *probe, unsigned int max_probe)
{
	unsigned int np = 0, c, k;
	uint64_t width_mask = (1ULL << 48) - 1;

	for (c = 0; c < 12; c++) {
		uint64_t base = (rnd() & width_mask) & ~((1ULL << 30) - 1);

		for (k = 0; k < 24; k++) {
			unsigned int leaf_level = 1 + (rnd_below(8) == 0) + (rnd_below(16) == 0);
			uint64_t iova = base + ((rnd() & ((1ULL << 30) - 1)) &
						~((1ULL << vtd_level_shift(leaf_level)) - 1));
			uint64_t table = top, frame;
			unsigned int level;

			if (levels == 3)
				iova &= (1ULL << 39) - 1;
			for (level = levels; level > leaf_level; level--) {
				uint64_t slot = table + 8ULL * vtd_level_index(iova, level);
				uint64_t pte = env_rd(e, slot);

				/* A superpage already there: not a table to write
				 * into (its frame may be any page, the root too). */
				if (pte & VTD_SLPTE_PS)
					break;
				if (!pte) {
					pte = rnd_entry(env_page(e), level, false);
					env_wr(e, slot, pte);
				}
				table = pte & VTD_SLPTE_ADDR;
				if (!liommu_sim_phys(e->sim, table, VTD_PAGE_SIZE))
					break;		/* an outside pointer: stop here */
			}
			if (level == leaf_level) {
				frame = (ENV_MEM_BASE + (rnd() % ENV_MEM_SIZE)) &
					~((1ULL << vtd_level_shift(leaf_level)) - 1);
				env_wr(e, table + 8ULL * vtd_level_index(iova, leaf_level),
				       rnd_entry(frame, leaf_level, leaf_level > 1));
			}
			if (np + 6 <= max_probe) {
				probe[np++] = iova;
				probe[np++] = iova + 0x123;
				probe[np++] = iova + VTD_PAGE_SIZE;
				probe[np++] = iova - VTD_PAGE_SIZE;
				probe[np++] = iova + (rnd() & ((1ULL << 21) - 1));
				probe[np++] = iova ^ (1ULL << (12 + rnd_below(20)));
			}
		}
	}
	while (np < max_probe)
		probe[np++] = rnd() & width_mask;
	return np;
}

static void five_level(struct liommu_model_config *c)
{
	c->sagaw |= VTD_SAGAW_57;
	c->mgaw = 57;
}

#define PROBES	3000

/* Seeded random differential: walk_range, walk and translate agree on
 * every probed IOVA, and every leaf walk_range reports translates to
 * it.  _i: seed, and the table depth (3, 4, 5 levels). */
START_TEST(walks_match_translate_random)
{
	static const unsigned int depth[] = { 4, 3, 4, 5, 4, 4 };
	unsigned int levels = depth[_i % 6], np, i;
	struct env e;
	struct leaves v;
	uint64_t *probe, top;
	int ret;

	rng_state = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
	env_up(&e, levels == 5 ? five_level : NULL);
	env_enable(&e);
	top = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, levels, ENV_DID);
	probe = malloc(PROBES * sizeof(*probe));
	ck_assert_ptr_nonnull(probe);
	np = build_random(&e, top, levels, probe, PROBES);
	leaves_init(&v);
	ret = liommu_model_walk_range(e.m, ENV_SID, 0, UINT64_MAX, leaf_cb, &v);
	ck_assert_int_ge(ret, 0);
	ck_assert_uint_gt(v.n, 10);
	for (i = 0; i < np; i++)
		check_iova(&e, &v, probe[i]);
	/* Nothing else: every reported leaf translates to what it says. */
	for (i = 0; i < v.n; i++) {
		check_iova(&e, &v, v.l[i].iova);
		check_iova(&e, &v, v.l[i].iova + v.l[i].size - 1);
	}
	/* A sub-range gives exactly the leaves overlapping it. */
	if (v.n > 4) {
		struct leaves s;
		uint64_t a = v.l[1].iova + 1, b = v.l[v.n - 2].iova + 1;
		unsigned int j, first = 1;

		leaves_init(&s);
		ck_assert_int_ge(liommu_model_walk_range(e.m, ENV_SID, a, b, leaf_cb, &s), 0);
		ck_assert_uint_eq(s.n, v.n - 2);
		for (j = 0; j < s.n; j++) {
			ck_assert_uint_eq(s.l[j].iova, v.l[first + j].iova);
			ck_assert_uint_eq(s.l[j].pa, v.l[first + j].pa);
			ck_assert_uint_eq(s.l[j].size, v.l[first + j].size);
			ck_assert_uint_eq(s.l[j].perm, v.l[first + j].perm);
		}
		free(s.l);
	}
	free(v.l);
	free(probe);
	env_fini(&e);
}
END_TEST

/* Erroneous entries are skipped and counted; the rest is reported. */
START_TEST(walk_range_skips_and_counts_bad_entries)
{
	struct env e;
	struct leaves v;
	uint64_t top, data;

	env_up(&e, NULL);
	env_enable(&e);
	top = env_page(&e);
	data = env_page(&e);
	env_set_ctx(&e, ENV_SID, top, 4, ENV_DID);
	env_map(&e, top, 4, IOVA, data, 1, ENV_RW);
	env_map(&e, top, 4, IOVA + 0x1000, data, 1, ENV_RW | VTD_SLPTE_SNP);	/* reserved */
	env_map(&e, top, 4, IOVA + 0x2000, data, 1, ENV_R);
	env_map(&e, top, 4, IOVA + 0x3000, data, 1, 0);	/* not present */
	/* A level-3 entry pointing outside memory. */
	env_wr(&e, top + 8ULL * vtd_level_index(0x8000000000ULL, 4), (1ULL << 44) | ENV_RW);
	leaves_init(&v);
	/* 512 unreadable entries of the outside table, one reserved leaf. */
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, 1ULL << 48, leaf_cb, &v),
			 512 + 1);
	ck_assert_uint_eq(v.n, 2);
	ck_assert_uint_eq(v.l[0].iova, IOVA);
	ck_assert_uint_eq(v.l[0].pa, data);
	ck_assert_uint_eq(v.l[0].perm, LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE);
	ck_assert_uint_eq(v.l[1].iova, IOVA + 0x2000);
	ck_assert_uint_eq(v.l[1].perm, LIOMMU_MODEL_READ);
	/* The callback stops the walk and its value comes back. */
	v.n = 0;
	v.last_end = 0;
	v.stop_after = 1;
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, 1ULL << 48, leaf_cb, &v),
			 -ECANCELED);
	ck_assert_uint_eq(v.n, 1);
	/* Empty range, no callback, bad context. */
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, IOVA, IOVA, leaf_cb, &v), 0);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(liommu_model_walk_range(e.m, 0x0fff, 0, 1ULL << 48, leaf_cb, &v),
			 -EFAULT);
	free(v.l);
	env_fini(&e);
}
END_TEST

/* Tables pointing at themselves or an ancestor: the walk is bounded by
 * the levels, ends, and still agrees with translate. */
START_TEST(walk_range_loops_terminate)
{
	struct env e;
	struct leaves v;
	uint64_t t4, t3, i;

	env_up(&e, NULL);
	env_enable(&e);
	t4 = env_page(&e);
	t3 = env_page(&e);
	env_set_ctx(&e, ENV_SID, t4, 4, ENV_DID);
	env_wr(&e, t4, t4 | ENV_RW);			/* itself */
	env_wr(&e, t4 + 8, t3 | ENV_RW);
	env_wr(&e, t3 + 8 * 5, t4 | ENV_RW);		/* its parent */
	env_wr(&e, t3 + 8 * 6, t3 | ENV_R);		/* itself, one level down */
	leaves_init(&v);
	ck_assert_int_ge(liommu_model_walk_range(e.m, ENV_SID, 0, 1ULL << 48, leaf_cb, &v), 0);
	ck_assert_uint_gt(v.n, 0);
	ck_assert_uint_lt(v.n, 100);
	for (i = 0; i < v.n; i++)
		check_iova(&e, &v, v.l[i].iova);
	check_iova(&e, &v, 0);
	check_iova(&e, &v, (1ULL << 39) + (5ULL << 30));
	free(v.l);
	/* Every entry of a table pointing at that table: one leaf per page,
	 * and a bounded range bounds the walk. */
	for (i = 0; i < 512; i++)
		env_wr(&e, t4 + 8 * i, t4 | ENV_RW);
	/* Translate compares from fresh caches (the tables changed). */
	iotlb_reg(&e, VTD_IOTLB_GRAN_GLOBAL, 0, 0);
	leaves_init(&v);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, 16ULL << 20, leaf_cb, &v), 0);
	ck_assert_uint_eq(v.n, 4096);
	check_iova(&e, &v, 0x345000);
	free(v.l);
	env_fini(&e);
}
END_TEST

static void std_domain(struct env *e, uint64_t *top, uint64_t *data)
{
	*top = env_page(e);
	*data = env_page(e);
	env_set_ctx(e, ENV_SID, *top, 4, ENV_DID);
	env_map(e, *top, 4, IOVA, *data, 1, ENV_RW);
}

/* The walks record nothing, count nothing, cache nothing, change no
 * register; and they read memory now where translate uses its caches. */
START_TEST(walk_has_no_side_effects)
{
	struct env e;
	struct liommu_model_stats s0, s1;
	struct liommu_model_xlate x;
	struct liommu_model_ctx c;
	struct liommu_fault f;
	struct leaves v;
	uint64_t top, data, seq, fsts, frcd, other;
	unsigned int cached;

	env_up(&e, NULL);
	env_enable(&e);
	std_domain(&e, &top, &data);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, NULL), 0);
	liommu_model_get_stats(e.m, &s0);
	seq = liommu_model_regs_seq(e.m);
	fsts = env_r32(&e, VTD_FSTS_REG);
	frcd = env_frcd_hi(&e, 0);
	cached = liommu_model_iotlb_count(e.m);
	/* Mapped, not mapped, beyond the width, bad context. */
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA, &x, &f), 0);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA + 0x1000, &x, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_READ);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, 1ULL << 50, &x, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ADDR_BEYOND_AW);
	ck_assert_int_eq(liommu_model_walk(e.m, 0x0fff, IOVA, &x, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_ROOT_P);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID + 1, IOVA, &x, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_CTX_P);
	ck_assert_int_eq(liommu_model_context(e.m, 0x0fff, &c), -EFAULT);
	leaves_init(&v);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, UINT64_MAX, leaf_cb, &v), 0);
	ck_assert_uint_eq(v.n, 1);
	liommu_model_get_stats(e.m, &s1);
	ck_assert_mem_eq(&s0, &s1, sizeof(s0));
	ck_assert_uint_eq(liommu_model_regs_seq(e.m), seq);
	ck_assert_uint_eq(env_r32(&e, VTD_FSTS_REG), fsts);
	ck_assert_uint_eq(env_frcd_hi(&e, 0), frcd);
	ck_assert_uint_eq(liommu_model_iotlb_count(e.m), cached);
	/* Remap without invalidating: translate keeps the stale entry
	 * (hardware), the walk sees memory. */
	other = env_page(&e);
	env_map(&e, top, 4, IOVA, other, 1, ENV_R);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA, &x, NULL), 0);
	ck_assert_uint_eq(x.pa, other);
	ck_assert_uint_eq(x.perm, LIOMMU_MODEL_READ);
	ck_assert_int_eq(liommu_model_translate(e.m, ENV_SID, IOVA, LIOMMU_MODEL_READ, &x, NULL),
			 0);
	ck_assert_uint_eq(x.pa, data);
	free(v.l);
	env_fini(&e);
}
END_TEST

/* The fault reasons the walk reports, where the tables explain them. */
START_TEST(walk_fault_reasons)
{
	struct env e;
	struct liommu_fault f;
	uint64_t top, data;

	env_up(&e, NULL);
	env_enable(&e);
	std_domain(&e, &top, &data);
	/* Reserved bit in a leaf, unreadable lower table, unreadable top. */
	env_map(&e, top, 4, IOVA + 0x1000, data, 1, ENV_RW | VTD_SLPTE_SNP);
	env_wr(&e, env_pte(&e, top, 4, IOVA, 3) + 8, (1ULL << 44) | ENV_RW);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA + 0x1000, NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_PT_RSVD);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA + (1ULL << 30), NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_PT_ACCESS);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + (1ULL << 30), LIOMMU_MODEL_READ |
				   LIOMMU_MODEL_NO_RECORD, NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_PT_ACCESS);
	env_set_ctx(&e, ENV_SID, 1ULL << 44, 4, ENV_DID);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA, NULL, &f), -EFAULT);
	ck_assert_uint_eq(f.reason, VTD_FR_CTX_INV);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, IOVA, IOVA + 0x1000,
						 leaf_cb, NULL), 1);
	env_fini(&e);
}
END_TEST

static int count_cb(void *priv, uint64_t iova, uint64_t pa, uint64_t size, unsigned int perm)
{
	struct leaf *l = priv;

	l->iova = iova;
	l->pa = pa;
	l->size = size;
	l->perm = perm;
	return 0;
}

/* liommu_model_context(): the fields, and each way an entry is bad;
 * pass-through and TE clear are one untranslated range. */
START_TEST(context_decodes_entry)
{
	struct env e;
	struct liommu_model_ctx c;
	struct liommu_model_xlate x;
	struct leaf l;
	uint64_t top, data;

	env_up(&e, NULL);
	liommu_model_write64(e.m, VTD_RTADDR_REG, e.root);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	std_domain(&e, &top, &data);
	/* TE clear: the context is still decoded; the walk is untranslated. */
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), 0);
	ck_assert(!c.te);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA, &x, NULL), 0);
	ck_assert_uint_eq(x.pa, IOVA);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0x1000, 0x9000, count_cb, &l), 0);
	ck_assert_uint_eq(l.iova, 0x1000);
	ck_assert_uint_eq(l.pa, 0x1000);
	ck_assert_uint_eq(l.size, 0x8000);
	env_gcmd(&e, VTD_GCMD_TE, true);
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), 0);
	ck_assert(c.te && c.present && !c.fpd);
	ck_assert_uint_eq(c.reason, 0);
	ck_assert_uint_eq(c.did, ENV_DID);
	ck_assert_uint_eq(c.tt, VTD_CTX_TT_MULTI_LEVEL);
	ck_assert_uint_eq(c.aw, 2);
	ck_assert_uint_eq(c.width, 48);
	ck_assert_uint_eq(c.levels, 4);
	ck_assert_uint_eq(c.slptptr, top);
	/* Pass-through. */
	env_set_ctx_raw(&e, ENV_SID, VTD_CTX_LO_P | VTD_CTX_LO_FPD |
			vtd_field_prep(VTD_CTX_LO_TT, VTD_CTX_TT_PASS_THROUGH),
			vtd_field_prep(VTD_CTX_HI_AW, 2) | vtd_field_prep(VTD_CTX_HI_DID, 9));
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), 0);
	ck_assert_uint_eq(c.tt, VTD_CTX_TT_PASS_THROUGH);
	ck_assert(c.fpd);
	ck_assert_int_eq(liommu_model_walk(e.m, ENV_SID, IOVA + 5, &x, NULL), 0);
	ck_assert_uint_eq(x.pa, IOVA + 5);
	ck_assert_uint_eq(x.did, 9);
	ck_assert_int_eq(liommu_model_walk_range(e.m, ENV_SID, 0, 1ULL << 30, count_cb, &l), 0);
	ck_assert_uint_eq(l.size, 1ULL << 30);
	/* AW not in SAGAW: present, but invalid. */
	env_set_ctx_raw(&e, ENV_SID, top | VTD_CTX_LO_P,
			vtd_field_prep(VTD_CTX_HI_AW, 3) | vtd_field_prep(VTD_CTX_HI_DID, 4));
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), -EFAULT);
	ck_assert(c.present);
	ck_assert_uint_eq(c.reason, VTD_FR_CTX_INV);
	ck_assert_uint_eq(c.did, 4);
	ck_assert_uint_eq(c.levels, 0);
	/* Not present; root not present; root outside memory. */
	env_set_ctx_raw(&e, ENV_SID, 0, 0);
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), -EFAULT);
	ck_assert(!c.present);
	ck_assert_uint_eq(c.reason, VTD_FR_CTX_P);
	ck_assert_int_eq(liommu_model_context(e.m, 0x4200, &c), -EFAULT);
	ck_assert_uint_eq(c.reason, VTD_FR_ROOT_P);
	liommu_model_write64(e.m, VTD_RTADDR_REG, 1ULL << 44);
	env_gcmd(&e, VTD_GCMD_SRTP, true);
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, &c), -EFAULT);
	ck_assert_uint_eq(c.reason, VTD_FR_ROOT_ACCESS);
	ck_assert_int_eq(liommu_model_context(e.m, ENV_SID, NULL), -EINVAL);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Register change count                                               */
/* ------------------------------------------------------------------ */

static uint8_t snap_a[VTD_REG_WINDOW_SIZE], snap_b[VTD_REG_WINDOW_SIZE];

/* Run @what and check: if the page changed, the count moved. */
#define EXPECT_CHANGE(e, what)                                                  \
	do {                                                                    \
		uint64_t s0_, s1_;                                              \
		ck_assert_int_eq(liommu_model_regs_snapshot((e)->m, snap_a,     \
							    sizeof(snap_a), &s0_), 0); \
		ck_assert_uint_eq(s0_, liommu_model_regs_seq((e)->m));          \
		what;                                                           \
		ck_assert_int_eq(liommu_model_regs_snapshot((e)->m, snap_b,     \
							    sizeof(snap_b), &s1_), 0); \
		ck_assert_msg(memcmp(snap_a, snap_b, sizeof(snap_a)) != 0,      \
			      "%s changed no register", #what);                 \
		ck_assert_msg(s1_ > s0_, "%s: the page changed, seq did not", #what); \
	} while (0)

/* The snapshot is the page software reads, with its count. */
START_TEST(regs_snapshot_is_the_read_view)
{
	struct env e;
	uint64_t seq;
	uint32_t off;

	env_up(&e, NULL);
	env_enable(&e);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, sizeof(snap_a) - 1, &seq),
			 -EINVAL);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, NULL, sizeof(snap_a), &seq), -EINVAL);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, 0, &seq), -EINVAL);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, 12, &seq), -EINVAL);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, sizeof(snap_a), NULL), 0);
	for (off = 0; off < VTD_REG_WINDOW_SIZE; off += 4) {
		uint32_t v;

		memcpy(&v, snap_a + off, 4);
		ck_assert_uint_eq(v, env_r32(&e, off));
		/* Every implemented register lies below the fault records'
		 * end, as the header promises a prefix-copying poller. */
		if (off >= LIOMMU_MODEL_FRCD_OFFSET +
			   VTD_FRCD_SIZE * (((liommu_model_cap(e.m) >> 40) & 0xff) + 1))
			ck_assert_uint_eq(v, 0);
	}
	/* A prefix: copied, nothing beyond it written. */
	memset(snap_b, 0xa5, sizeof(snap_b));
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_b, 0x240, &seq), 0);
	ck_assert_mem_eq(snap_b, snap_a, 0x240);
	ck_assert_uint_eq(snap_b[0x240], 0xa5);
	/* Reads change nothing. */
	seq = liommu_model_regs_seq(e.m);
	(void)env_r64(&e, VTD_CAP_REG);
	ck_assert_uint_eq(liommu_model_regs_seq(e.m), seq);
	env_fini(&e);
}
END_TEST

static void one_record(struct liommu_model_config *c)
{
	c->nfr = 2;
	c->collapse_faults = true;
}

/* Every path that changes the page moves the count. */
START_TEST(regs_seq_follows_every_change)
{
	struct env e;
	uint64_t top, data, seq;
	struct vtd_inv_desc d = vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, false,
					      false);
	struct vtd_inv_desc w = vtd_inv_wait(false, 0, 0, true, false);

	env_up(&e, one_record);
	EXPECT_CHANGE(&e, liommu_model_write64(e.m, VTD_RTADDR_REG, e.root));
	EXPECT_CHANGE(&e, env_gcmd(&e, VTD_GCMD_SRTP, true));
	EXPECT_CHANGE(&e, env_gcmd(&e, VTD_GCMD_TE, true));
	EXPECT_CHANGE(&e, liommu_model_write32(e.m, VTD_FEDATA_REG, 0x4321));
	std_domain(&e, &top, &data);
	/* A fault recorded from a device's translation (FSTS, FRCD). */
	EXPECT_CHANGE(&e, env_xlate(&e, ENV_SID, IOVA + 0x1000, LIOMMU_MODEL_READ, NULL, NULL));
	/* A fault collapsed into the pending one changes nothing. */
	seq = liommu_model_regs_seq(e.m);
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA + 0x1000, LIOMMU_MODEL_READ, NULL, NULL),
			 -EFAULT);
	ck_assert_uint_eq(liommu_model_regs_seq(e.m), seq);
	/* Neither does a translation that succeeds. */
	ck_assert_int_eq(env_xlate(&e, ENV_SID, IOVA, LIOMMU_MODEL_READ, NULL, NULL), 0);
	ck_assert_uint_eq(liommu_model_regs_seq(e.m), seq);
	/* The F bit written 1 to clear (FSTS.PPF goes too). */
	EXPECT_CHANGE(&e, env_frcd_clear(&e, 0));
	/* IP bits: with the fault event masked, a fault sets FECTL.IP;
	 * unmasking sends it and clears IP. */
	ck_assert(env_r32(&e, VTD_FECTL_REG) & VTD_FECTL_IM);
	liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_PFO | VTD_FSTS_IQE);
	EXPECT_CHANGE(&e, env_xlate(&e, 0x0200, IOVA, LIOMMU_MODEL_READ, NULL, NULL));
	ck_assert(env_r32(&e, VTD_FECTL_REG) & VTD_FECTL_IP);
	EXPECT_CHANGE(&e, liommu_model_write32(e.m, VTD_FECTL_REG, 0));
	/* Queue progress (IQH), the completion status (ICS.IWC, IECTL.IP). */
	env_qi_on(&e, 0);
	EXPECT_CHANGE(&e, env_qi_push(&e, &d, 1));
	EXPECT_CHANGE(&e, env_qi_push(&e, &w, 1));
	ck_assert(env_r32(&e, VTD_ICS_REG) & VTD_ICS_IWC);
	EXPECT_CHANGE(&e, liommu_model_write32(e.m, VTD_ICS_REG, VTD_ICS_IWC));
	/* A queue error (FSTS.IQE, IQERCD). */
	d.lo |= VTD_GENMASK64(15, 8);
	EXPECT_CHANGE(&e, env_qi_push(&e, &d, 1));
	/* Reset. */
	EXPECT_CHANGE(&e, liommu_model_reset(e.m));
	env_fini(&e);
}
END_TEST

/* Random register writes and faults: whenever the page differs from the
 * previous snapshot, the count differs. */
START_TEST(regs_seq_random_writes)
{
	static const uint32_t offs[] = {
		VTD_GCMD_REG, VTD_RTADDR_REG, VTD_RTADDR_REG + 4, VTD_CCMD_REG,
		VTD_CCMD_REG + 4, VTD_FSTS_REG, VTD_FECTL_REG, VTD_FEDATA_REG,
		VTD_FEADDR_REG, VTD_FEUADDR_REG, VTD_IQT_REG, VTD_IQA_REG, VTD_ICS_REG,
		VTD_IECTL_REG, VTD_IEDATA_REG, VTD_IRTA_REG, LIOMMU_MODEL_IVA_OFFSET,
		LIOMMU_MODEL_IVA_OFFSET + 12, LIOMMU_MODEL_FRCD_OFFSET + 12, 0x900,
	};
	struct env e;
	uint64_t s0, s1, top, data;
	unsigned int i, changes = 0;

	rng_state = 0x1234567ULL + (uint64_t)_i;
	env_up(&e, one_record);
	env_enable(&e);
	std_domain(&e, &top, &data);
	ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, sizeof(snap_a), &s0), 0);
	for (i = 0; i < 2000; i++) {
		uint32_t off = offs[rnd_below(sizeof(offs) / sizeof(offs[0]))];
		uint32_t val = (uint32_t)rnd();

		switch (rnd_below(4)) {
		case 0:
			(void)env_xlate(&e, (uint16_t)rnd(), rnd() & ((1ULL << 40) - 1),
					LIOMMU_MODEL_WRITE, NULL, NULL);
			break;
		default:
			/* Keep SRTP and QIE flapping rare: GCMD mostly TE. */
			if (off == VTD_GCMD_REG)
				val &= VTD_GCMD_TE | (rnd_below(8) ? 0 : VTD_GCMD_QIE);
			liommu_model_write32(e.m, off, val);
			break;
		}
		ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_b, sizeof(snap_b), &s1), 0);
		if (memcmp(snap_a, snap_b, sizeof(snap_a))) {
			ck_assert_msg(s1 != s0, "step %u: page changed, seq %llu did not", i,
				      (unsigned long long)s0);
			changes++;
		}
		ck_assert_uint_ge(s1, s0);
		memcpy(snap_a, snap_b, sizeof(snap_a));
		s0 = s1;
	}
	ck_assert_uint_gt(changes, 100);
	env_fini(&e);
}
END_TEST

struct poll_arg {
	struct env *e;
	atomic_bool stop;
};

static void *fault_device(void *arg)
{
	struct poll_arg *p = arg;
	unsigned int i;

	for (i = 0; i < 20000 && !atomic_load(&p->stop); i++)
		(void)env_xlate(p->e, (uint16_t)(i & 0xff), IOVA + 0x1000, LIOMMU_MODEL_READ,
				NULL, NULL);
	return NULL;
}

/* A poller reads the count lock-free while a device thread records
 * faults and a driver clears them: a snapshot taken after the count was
 * seen at N carries a count of at least N (ThreadSanitizer checks the
 * pairing). */
START_TEST(regs_seq_polled_while_faults_recorded)
{
	struct env e;
	struct poll_arg p;
	pthread_t t;
	uint64_t top, data, seen, got;
	unsigned int i;

	env_up(&e, NULL);
	env_enable(&e);
	std_domain(&e, &top, &data);
	p.e = &e;
	atomic_init(&p.stop, false);
	ck_assert_int_eq(pthread_create(&t, NULL, fault_device, &p), 0);
	for (i = 0; i < 2000; i++) {
		seen = liommu_model_regs_seq(e.m);
		ck_assert_int_eq(liommu_model_regs_snapshot(e.m, snap_a, sizeof(snap_a), &got), 0);
		ck_assert_uint_ge(got, seen);
		if (i % 8 == 0) {
			env_frcd_clear(&e, 0);
			liommu_model_write32(e.m, VTD_FSTS_REG, VTD_FSTS_PFO);
		}
	}
	atomic_store(&p.stop, true);
	pthread_join(t, NULL);
	env_fini(&e);
}
END_TEST

Suite *model_hooks_suite(void);
Suite *model_hooks_suite(void)
{
	Suite *s = suite_create("model-hooks");
	TCase *tc;

	tc = tcase_create("invalidation_callback");
	tcase_add_test(tc, inval_register_sequence);
	tcase_add_test(tc, inval_reports_granularity_performed);
	tcase_add_test(tc, inval_queued_sequence);
	tcase_add_test(tc, inval_before_wait_completes);
	tcase_add_test(tc, inval_implicit_gcmd);
	suite_add_tcase(s, tc);

	tc = tcase_create("walks");
	tcase_add_loop_test(tc, walks_match_translate_random, 0, 12);
	tcase_add_test(tc, walk_range_skips_and_counts_bad_entries);
	tcase_add_test(tc, walk_range_loops_terminate);
	tcase_add_test(tc, walk_has_no_side_effects);
	tcase_add_test(tc, walk_fault_reasons);
	tcase_add_test(tc, context_decodes_entry);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("register_change_count");
	tcase_add_test(tc, regs_snapshot_is_the_read_view);
	tcase_add_test(tc, regs_seq_follows_every_change);
	tcase_add_loop_test(tc, regs_seq_random_writes, 0, 3);
	tcase_add_test(tc, regs_seq_polled_while_faults_recorded);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
