// SPDX-License-Identifier: MIT
/*
 * check-domain.c - domain IDs, attach/detach and the invalidations that
 * go with them, with register-based invalidation and every command
 * logged: on the model through the sim platform (its invalidation
 * callback is the log), and on tests/fake/fake-vtd.c where a test needs
 * a command that never completes, a count of write-buffer flushes or a
 * unit that sees memory only once it is flushed (tests/driver-env.h).
 *
 * Expected entries are worked out from the spec: a legacy root entry
 * (9.1) is context-table pa | P with the upper half 0; a context entry
 * (9.3) has SLPTPTR | TT 00 | FPD 0 | P below and AW (bits 2:0, the SAGAW
 * encoding: 1 = 39-bit, 2 = 48-bit) | DID (bits 23:8) above.  The command
 * order follows spec 6.5.3.3 and 11.4.7.1 (context cache before IOTLB).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liommu/liommu.h>

#include "driver-env.h"

static const unsigned int widths[] = { 39, 48 };

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

struct env {
	struct denv f;
	struct liommu_unit *u;
	unsigned int width;
};

static void env_init_cap(struct env *e, unsigned int width, uint64_t cap, uint64_t ecap,
			 enum denv_unit unit)
{
	denv_init(&e->f, cap, ecap, unit);
	ck_assert_int_eq(denv_unit(&e->f, width, false, &e->u), 0);
	e->width = width;
	denv_log_clear(&e->f);
}

static void env_fini(struct env *e)
{
	liommu_unit_free(e->u);
	denv_fini(&e->f);
}

/* The fake's commands never complete while stuck; unsticking completes
 * the one left pending, as late hardware would. */
static void set_stuck(struct env *e, bool iotlb, bool ccmd)
{
	e->f.f->iotlb_stuck = iotlb;
	e->f.f->ccmd_stuck = ccmd;
	fake_vtd_release(e->f.f);
}

static void set_wbf_stuck(struct env *e, bool wbf)
{
	e->f.f->wbf_stuck = wbf;
	fake_vtd_release(e->f.f);
}

static struct liommu_domain *dom_new(struct env *e)
{
	struct liommu_domain *d = NULL;

	ck_assert_int_eq(liommu_domain_new(e->u, &d), 0);
	ck_assert_ptr_nonnull(d);
	return d;
}

static uint64_t root_lo(struct env *e, unsigned int bus)
{
	uint64_t rta = denv_reg64(&e->f, VTD_RTADDR_REG) & ~0xfffULL;

	return denv_read_pa(&e->f, rta + 16ULL * bus);
}

static uint64_t root_hi(struct env *e, unsigned int bus)
{
	uint64_t rta = denv_reg64(&e->f, VTD_RTADDR_REG) & ~0xfffULL;

	return denv_read_pa(&e->f, rta + 16ULL * bus + 8);
}

/* Context entry of @sid: [0] = lower half, [1] = upper half. */
static void ctx_entry(struct env *e, uint16_t sid, uint64_t out[2])
{
	uint64_t ctp = root_lo(e, sid >> 8) & ~0xfffULL;

	ck_assert_uint_ne(ctp, 0);
	out[0] = denv_read_pa(&e->f, ctp + 16ULL * (sid & 0xff));
	out[1] = denv_read_pa(&e->f, ctp + 16ULL * (sid & 0xff) + 8);
}

static void expect_cmd(struct env *e, unsigned int i, enum fake_cmd_kind kind,
		       unsigned int gran, uint16_t did, uint16_t sid)
{
	struct fake_cmd c = denv_log_get(&e->f, i);

	ck_assert_int_eq(c.kind, kind);
	ck_assert_uint_eq(c.gran, gran);
	ck_assert_uint_eq(c.did, did);
	if (kind == FAKE_CC)
		ck_assert_uint_eq(c.sid, sid);
}

static unsigned int log_total(struct env *e)
{
	return denv_log_count(&e->f, FAKE_CC) + denv_log_count(&e->f, FAKE_IOTLB);
}

/* ------------------------------------------------------------------ */
/* Domain IDs                                                          */
/* ------------------------------------------------------------------ */

START_TEST(domain_ids_are_unique_until_enospc)
{
	/* _i = 2 * ND + CM: ND = 0, 1, 2 give 2^(4 + 2 ND) = 16, 64, 256
	 * domain IDs (11.4.2); with CM, DID 0 is never handed out (spec
	 * 6.2.2: it tags cached not-present entries). */
	unsigned int nd = (unsigned int)_i / 2;
	bool cm = _i & 1;
	unsigned int ids = 1u << (4 + 2 * nd);
	uint64_t cap = (DENV_CAP & ~VTD_CAP_ND) | nd | (cm ? VTD_CAP_CM : 0);
	struct liommu_domain *d[256], *x = NULL;
	unsigned int n = cm ? ids - 1 : ids, i, j;
	bool seen[256] = { false };
	struct env e;

	env_init_cap(&e, 48, cap, DENV_ECAP, DENV_MODEL);
	for (i = 0; i < n; i++) {
		d[i] = dom_new(&e);
		j = liommu_domain_id(d[i]);
		ck_assert_uint_lt(j, ids);
		ck_assert_msg(!seen[j], "DID %u handed out twice", j);
		seen[j] = true;
		ck_assert_ptr_eq(liommu_domain_unit(d[i]), e.u);
	}
	ck_assert(seen[0] == !cm);
	ck_assert_int_eq(liommu_domain_new(e.u, &x), -ENOSPC);
	ck_assert_ptr_null(x);
	/* A released ID is handed out again. */
	j = liommu_domain_id(d[n / 2]);
	liommu_domain_free(d[n / 2]);
	d[n / 2] = dom_new(&e);
	ck_assert_uint_eq(liommu_domain_id(d[n / 2]), j);
	ck_assert_int_eq(liommu_domain_new(e.u, &x), -ENOSPC);
	for (i = 0; i < n; i++)
		liommu_domain_free(d[i]);
	/* With every ID free again, the lowest usable one comes first. */
	d[0] = dom_new(&e);
	ck_assert_uint_eq(liommu_domain_id(d[0]), cm ? 1 : 0);
	liommu_domain_free(d[0]);
	env_fini(&e);
}
END_TEST

START_TEST(bad_arguments)
{
	struct env e;
	struct liommu_domain *d;

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_MODEL);
	ck_assert_int_eq(liommu_domain_new(NULL, &d), -EINVAL);
	ck_assert_int_eq(liommu_domain_new(e.u, NULL), -EINVAL);
	ck_assert_int_eq(liommu_domain_attach(NULL, 8), -EINVAL);
	ck_assert_int_eq(liommu_domain_detach(NULL, 8), -EINVAL);
	liommu_domain_free(NULL);
	ck_assert_uint_eq(log_total(&e), 0);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Attach and detach                                                   */
/* ------------------------------------------------------------------ */

START_TEST(attach_writes_root_and_context_entries)
{
	struct env e;
	struct liommu_domain *d;
	uint64_t ce[2], ctp, pa, size;
	const uint16_t sid = 0x0308;	/* 03:01.0 */
	const uint64_t aw = widths[_i] == 39 ? 1 : 2;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	ck_assert_uint_eq(root_lo(&e, 3), 0);
	ck_assert_int_eq(liommu_domain_map(d, 0x5000, 0x77000, SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_attach(d, sid), 0);

	/* Root entry 3: CTP | P, bits 11:1 and the upper half zero. */
	ctp = root_lo(&e, 3) & ~0xfffULL;
	ck_assert_uint_ne(ctp, 0);
	ck_assert_uint_eq(root_lo(&e, 3) & 0xfff, 0x1);
	ck_assert_uint_eq(root_hi(&e, 3), 0);
	ck_assert_uint_eq(root_lo(&e, 2), 0);
	ck_assert_uint_eq(root_lo(&e, 4), 0);

	/* Context entry 8: P = 1, FPD = 0, TT = 00, bits 11:4 zero. */
	ctx_entry(&e, sid, ce);
	ck_assert_uint_eq(ce[0] & 0xfff, 0x1);
	ck_assert_uint_eq(ce[1], aw | ((uint64_t)liommu_domain_id(d) << 8));
	/* SLPTPTR leads to the domain's table (walked as the unit would). */
	ck_assert_int_eq(denv_walk(&e.f, ce[0] & ~0xfffULL, widths[_i] == 39 ? 3 : 4,
				   0x5123, VTD_SLPTE_R, &pa, &size), 0);
	ck_assert_uint_eq(pa, 0x77123);
	ck_assert_uint_eq(size, SZ_4K);
	/* Neighbours untouched. */
	ck_assert_uint_eq(denv_read_pa(&e.f, ctp + 16 * 7), 0);
	ck_assert_uint_eq(denv_read_pa(&e.f, ctp + 16 * 9), 0);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(attach_invalidates_device_context_and_under_cm_the_iotlb)
{
	bool cm = _i;
	struct env e;
	struct liommu_domain *d;
	const uint16_t sid = 0x0010;

	env_init_cap(&e, 48, DENV_CAP | (cm ? VTD_CAP_CM : 0), DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_attach(d, sid), 0);
	/* Device-selective context invalidation, DID 0: a cached
	 * not-present entry carries DID 0 (6.2.2). */
	expect_cmd(&e, 0, FAKE_CC, VTD_CC_GRAN_DEVICE, 0, sid);
	if (cm) {
		/* ...then the domain's IOTLB (Linux domain_context_mapping_one). */
		ck_assert_uint_eq(log_total(&e), 2);
		expect_cmd(&e, 1, FAKE_IOTLB, VTD_IOTLB_GRAN_DOMAIN, liommu_domain_id(d), 0);
		ck_assert_uint_ne(liommu_domain_id(d), 0);
	} else {
		ck_assert_uint_eq(log_total(&e), 1);
	}
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(detach_clears_entry_then_context_then_iotlb)
{
	struct env e;
	struct liommu_domain *d;
	uint64_t ce[2];
	const uint16_t sid = 0x0108;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(d, sid), 0);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_detach(d, sid), 0);
	ctx_entry(&e, sid, ce);
	ck_assert_uint_eq(ce[0], 0);
	ck_assert_uint_eq(ce[1], 0);
	ck_assert_uint_eq(log_total(&e), 2);
	expect_cmd(&e, 0, FAKE_CC, VTD_CC_GRAN_DEVICE, liommu_domain_id(d), sid);
	expect_cmd(&e, 1, FAKE_IOTLB, VTD_IOTLB_GRAN_DOMAIN, liommu_domain_id(d), 0);
	/* The root entry stays: the bus keeps its context table. */
	ck_assert_uint_eq(root_lo(&e, 1) & 1, 1);
	ck_assert_int_eq(liommu_domain_detach(d, sid), -ENOENT);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(attach_busy_detach_enoent)
{
	struct env e;
	struct liommu_domain *a, *b;

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_MODEL);
	a = dom_new(&e);
	b = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0008), 0);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0008), 0);	/* already there */
	ck_assert_int_eq(liommu_domain_attach(b, 0x0008), -EBUSY);
	ck_assert_int_eq(liommu_domain_detach(b, 0x0008), -ENOENT);
	ck_assert_int_eq(liommu_domain_detach(b, 0x0009), -ENOENT);
	ck_assert_uint_eq(log_total(&e), 0);
	ck_assert_int_eq(liommu_domain_detach(a, 0x0008), 0);
	ck_assert_int_eq(liommu_domain_attach(b, 0x0008), 0);
	liommu_domain_free(a);
	liommu_domain_free(b);
	env_fini(&e);
}
END_TEST

START_TEST(devices_on_one_bus_share_a_context_table)
{
	struct env e;
	struct liommu_domain *a, *b;
	uint64_t root_before, ce[2];

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_MODEL);
	a = dom_new(&e);
	b = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0500), 0);
	root_before = root_lo(&e, 5);
	ck_assert_int_eq(liommu_domain_attach(b, 0x05ff), 0);
	ck_assert_int_eq(liommu_domain_attach(a, 0xff00), 0);
	ck_assert_uint_eq(root_lo(&e, 5), root_before);
	ck_assert_uint_ne(root_lo(&e, 0xff) & ~0xfffULL, root_before & ~0xfffULL);
	ctx_entry(&e, 0x0500, ce);
	ck_assert_uint_eq(ce[1] >> 8, liommu_domain_id(a));
	ctx_entry(&e, 0x05ff, ce);
	ck_assert_uint_eq(ce[1] >> 8, liommu_domain_id(b));
	ctx_entry(&e, 0xff00, ce);
	ck_assert_uint_eq(ce[1] >> 8, liommu_domain_id(a));
	liommu_domain_free(a);
	liommu_domain_free(b);
	env_fini(&e);
}
END_TEST

START_TEST(free_detaches_remaining_devices)
{
	struct env e;
	struct liommu_domain *a, *b;
	uint64_t ce[2];
	uint16_t did;
	unsigned int i, cc = 0;

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_MODEL);
	a = dom_new(&e);
	did = liommu_domain_id(a);
	ck_assert_int_eq(liommu_domain_map(a, 0, 0, SZ_2M, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0008), 0);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0210), 0);
	denv_log_clear(&e.f);
	liommu_domain_free(a);
	ctx_entry(&e, 0x0008, ce);
	ck_assert_uint_eq(ce[0] | ce[1], 0);
	ctx_entry(&e, 0x0210, ce);
	ck_assert_uint_eq(ce[0] | ce[1], 0);
	for (i = 0; i < log_total(&e); i++) {
		struct fake_cmd c = denv_log_get(&e.f, i);

		if (c.kind == FAKE_CC) {
			ck_assert_uint_eq(c.gran, VTD_CC_GRAN_DEVICE);
			ck_assert_uint_eq(c.did, did);
			cc++;
		}
	}
	ck_assert_uint_eq(cc, 2);
	/* The last command makes the freed DID clean for its next owner. */
	expect_cmd(&e, log_total(&e) - 1, FAKE_IOTLB, VTD_IOTLB_GRAN_DOMAIN, did, 0);
	/* The sids are free again, and the table pages are gone. */
	b = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(b, 0x0008), 0);
	ck_assert_int_eq(liommu_domain_attach(b, 0x0210), 0);
	liommu_domain_free(b);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Invalidation on map and unmap                                       */
/* ------------------------------------------------------------------ */

START_TEST(map_invalidates_only_under_caching_mode)
{
	bool cm = _i;
	struct env e;
	struct liommu_domain *d;
	struct fake_cmd c;

	env_init_cap(&e, 48, DENV_CAP | (cm ? VTD_CAP_CM : 0), DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_map(d, 0x6000, 0x9000, 2 * SZ_4K, LIOMMU_PROT_RW), 0);
	if (!cm) {
		ck_assert_uint_eq(log_total(&e), 0);
	} else {
		/* Spec 6.1: not-present entries may be cached; new tables too,
		 * so IH = 0. */
		ck_assert_uint_eq(log_total(&e), 1);
		c = denv_log_get(&e.f, 0);
		ck_assert_int_eq(c.kind, FAKE_IOTLB);
		ck_assert_uint_eq(c.gran, VTD_IOTLB_GRAN_PAGE);
		ck_assert_uint_eq(c.did, liommu_domain_id(d));
		ck_assert_uint_eq(c.addr, 0x6000);
		ck_assert_uint_eq(c.am, 1);
		ck_assert(!c.ih);
	}
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(unmap_with_holes_still_invalidates)
{
	struct env e;
	struct liommu_domain *d;
	struct fake_cmd c;

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	ck_assert_int_eq(liommu_domain_map(d, 0x8000, 0x9000, SZ_4K, LIOMMU_PROT_RW), 0);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_unmap(d, 0x8000, 2 * SZ_4K), -ENOENT);
	ck_assert_uint_eq(log_total(&e), 1);
	c = denv_log_get(&e.f, 0);
	ck_assert_uint_eq(c.gran, VTD_IOTLB_GRAN_PAGE);
	ck_assert_uint_eq(c.addr, 0x8000);
	/* Nothing mapped at all: nothing to invalidate. */
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_unmap(d, 0x10000, SZ_4K), -ENOENT);
	ck_assert_uint_eq(log_total(&e), 0);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Hardware that does not answer                                       */
/* ------------------------------------------------------------------ */

START_TEST(failed_flush_keeps_tables_until_retried)
{
	struct env e;
	struct liommu_domain *d;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	struct liommu_domain_stats st;
	size_t live;

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_FAKE);
	d = dom_new(&e);
	/* 4 KiB pages filling one level-1 table, then unmapped whole. */
	ck_assert_int_eq(liommu_domain_map(d, SZ_2M, SZ_2M + SZ_4K, SZ_2M, LIOMMU_PROT_RW), 0);
	live = denv_live_pages(&e.f);
	ck_assert_int_eq(liommu_domain_unmap_nosync(d, SZ_2M, SZ_2M, &g), 0);
	set_stuck(&e, true, false);
	ck_assert_int_eq(liommu_domain_flush(d, &g), -ETIMEDOUT);
	ck_assert_uint_eq(denv_live_pages(&e.f), live);
	ck_assert_ptr_nonnull(g.freelist);
	set_stuck(&e, false, false);
	ck_assert_int_eq(liommu_domain_flush(d, &g), 0);
	ck_assert_uint_eq(denv_live_pages(&e.f), live - 1);
	liommu_domain_get_stats(d, &st);
	ck_assert_uint_eq(st.table_pages, 3);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(failed_attach_is_rolled_back)
{
	struct env e;
	struct liommu_domain *a, *b;
	uint64_t ce[2];

	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_FAKE);
	a = dom_new(&e);
	b = dom_new(&e);
	set_stuck(&e, false, true);
	ck_assert_int_eq(liommu_domain_attach(a, 0x0018), -ETIMEDOUT);
	set_stuck(&e, false, false);
	ctx_entry(&e, 0x0018, ce);
	ck_assert_uint_eq(ce[0] | ce[1], 0);
	/* Not attached to @a: detaching fails, another domain may attach. */
	ck_assert_int_eq(liommu_domain_detach(a, 0x0018), -ENOENT);
	ck_assert_int_eq(liommu_domain_attach(b, 0x0018), 0);
	liommu_domain_free(a);
	liommu_domain_free(b);
	env_fini(&e);
}
END_TEST

START_TEST(non_coherent_unit_sees_root_and_context_entries)
{
	struct env e;
	struct liommu_domain *d;
	uint64_t ce[2];

	/* ECAP.C = 0 (QEMU's value): memory changes only on flush. */
	env_init_cap(&e, 48, DENV_CAP, DENV_ECAP, DENV_FAKE_IMAGE);
	d = dom_new(&e);
	ck_assert_uint_eq(fake_vtd_image_mismatches(e.f.f), 0);
	ck_assert_int_eq(liommu_domain_attach(d, 0x4020), 0);
	ck_assert_uint_eq(fake_vtd_image_mismatches(e.f.f), 0);
	ctx_entry(&e, 0x4020, ce);	/* read through the image */
	ck_assert_uint_eq(ce[0] & 1, 1);
	ck_assert_uint_eq(ce[1], 2 | ((uint64_t)liommu_domain_id(d) << 8));
	ck_assert_int_eq(liommu_domain_detach(d, 0x4020), 0);
	ck_assert_uint_eq(fake_vtd_image_mismatches(e.f.f), 0);
	ctx_entry(&e, 0x4020, ce);
	ck_assert_uint_eq(ce[0] | ce[1], 0);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Write-buffer flushing (CAP.RWBF)                                    */
/* ------------------------------------------------------------------ */

START_TEST(map_flushes_write_buffer_when_rwbf)
{
	/* _i = 0: no RWBF, 1: RWBF, 2: RWBF and CM. */
	bool rwbf = _i >= 1, cm = _i == 2;
	struct env e;
	struct liommu_domain *d;
	unsigned int wbf;

	env_init_cap(&e, 48, DENV_CAP | (rwbf ? VTD_CAP_RWBF : 0) | (cm ? VTD_CAP_CM : 0),
		     DENV_ECAP, DENV_FAKE);
	d = dom_new(&e);
	denv_log_clear(&e.f);
	wbf = e.f.f->nwbf;
	ck_assert_int_eq(liommu_domain_map(d, 0x6000, 0x9000, SZ_4K, LIOMMU_PROT_RW), 0);
	if (!rwbf) {
		/* Spec 6.8: only RWBF units buffer table writes. */
		ck_assert_uint_eq(e.f.f->nwbf, wbf);
		ck_assert_uint_eq(log_total(&e), 0);
	} else if (!cm) {
		/* No invalidation follows a not-present -> present change, so
		 * the write buffer is flushed explicitly, exactly once. */
		ck_assert_uint_eq(e.f.f->nwbf, wbf + 1);
		ck_assert_uint_eq(log_total(&e), 0);
	} else {
		/* The caching-mode invalidation flushes it first (6.8). */
		ck_assert_uint_eq(e.f.f->nwbf, wbf + 1);
		ck_assert_uint_eq(log_total(&e), 1);
	}
	/* Unmap: the write buffer is flushed before the invalidation. */
	wbf = e.f.f->nwbf;
	ck_assert_int_eq(liommu_domain_unmap(d, 0x6000, SZ_4K), 0);
	ck_assert_uint_eq(e.f.f->nwbf, wbf + (rwbf ? 1 : 0));
	/* Attach: the context invalidation carries the flush. */
	wbf = e.f.f->nwbf;
	ck_assert_int_eq(liommu_domain_attach(d, 0x0008), 0);
	ck_assert_uint_ge(e.f.f->nwbf, wbf + (rwbf ? 1 : 0));
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

START_TEST(failed_write_buffer_flush_withdraws_the_map)
{
	struct env e;
	struct liommu_domain *d;
	struct liommu_domain_stats st;
	uint64_t pa;

	env_init_cap(&e, 48, DENV_CAP | VTD_CAP_RWBF, DENV_ECAP, DENV_FAKE);
	d = dom_new(&e);
	ck_assert_int_eq(liommu_domain_map(d, 0x100000, 0x200000, SZ_4K, LIOMMU_PROT_RW), 0);
	set_wbf_stuck(&e, true);
	ck_assert_int_eq(liommu_domain_map(d, 0x6000, 0x9000, 2 * SZ_4K, LIOMMU_PROT_RW),
			 -ETIMEDOUT);
	set_wbf_stuck(&e, false);
	/* The caller holds nothing of the failed call. */
	ck_assert_int_eq(liommu_domain_translate(d, 0x6000, &pa, NULL, NULL), -ENOENT);
	ck_assert_int_eq(liommu_domain_translate(d, 0x7000, &pa, NULL, NULL), -ENOENT);
	liommu_domain_get_stats(d, &st);
	ck_assert_uint_eq(st.mapped_bytes, SZ_4K);
	/* The earlier mapping is untouched and the range can be mapped. */
	ck_assert_int_eq(liommu_domain_translate(d, 0x100000, &pa, NULL, NULL), 0);
	ck_assert_uint_eq(pa, 0x200000);
	ck_assert_int_eq(liommu_domain_map(d, 0x6000, 0x9000, 2 * SZ_4K, LIOMMU_PROT_RW), 0);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Randomized: map/unmap against a reference, unit view included      */
/* ------------------------------------------------------------------ */

/* Reference mappings: disjoint intervals [start, end) -> pa + offset. */
struct ref_ival {
	uint64_t start, end, pa;
	unsigned int prot;
};

#define REF_MAX	2048

struct ref {
	struct ref_ival iv[REF_MAX];
	unsigned int n;
};

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: a small, well-mixed generator with a 64-bit seed. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t test_seed(void)
{
	const char *env = getenv("LIOMMU_SEED");
	uint64_t seed;

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

static bool ref_overlaps(const struct ref *r, uint64_t s, uint64_t e)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->iv[i].start < e && s < r->iv[i].end)
			return true;
	return false;
}

static const struct ref_ival *ref_find(const struct ref *r, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (iova >= r->iv[i].start && iova < r->iv[i].end)
			return &r->iv[i];
	return NULL;
}

/* Remove [s, e); returns the bytes that were mapped and the lowest and
 * highest removed addresses in *lo / *hi. */
static uint64_t ref_remove(struct ref *r, uint64_t s, uint64_t e, uint64_t *lo, uint64_t *hi)
{
	uint64_t bytes = 0;
	unsigned int i = 0;

	*lo = UINT64_MAX;
	*hi = 0;
	while (i < r->n) {
		struct ref_ival v = r->iv[i];
		uint64_t cs = v.start > s ? v.start : s;
		uint64_t ce = v.end < e ? v.end : e;

		if (cs >= ce) {
			i++;
			continue;
		}
		bytes += ce - cs;
		if (cs < *lo)
			*lo = cs;
		if (ce > *hi)
			*hi = ce;
		/* Drop v, then add back its parts outside [s, e). */
		r->iv[i] = r->iv[--r->n];
		if (v.start < cs)
			r->iv[r->n++] = (struct ref_ival){ v.start, cs, v.pa, v.prot };
		if (ce < v.end)
			r->iv[r->n++] = (struct ref_ival){ ce, v.end, v.pa + (ce - v.start),
							   v.prot };
		/* Parts re-added at the end are beyond [s, e): revisiting
		 * them is harmless. */
	}
	return bytes;
}

/* translate() and an independent walk of the unit's view agree with the
 * reference at @iova; a leaf never maps more than the reference has. */
static void ref_check(struct env *e, struct liommu_domain *d, uint64_t root,
		      const struct ref *r, uint64_t iova, uint64_t seed)
{
	const struct ref_ival *v = ref_find(r, iova);
	uint64_t pa = 0, size = 0, wpa = 0, wsize = 0, base;
	unsigned int prot = 0;
	int ret, wret;

	if (iova >> e->width) {
		ck_assert_int_eq(liommu_domain_translate(d, iova, &pa, NULL, NULL), -ERANGE);
		return;
	}
	ret = liommu_domain_translate(d, iova, &pa, &prot, &size);
	wret = denv_walk(&e->f, root, e->width == 39 ? 3 : 4, iova,
			 VTD_SLPTE_R | VTD_SLPTE_W, &wpa, &wsize);
	if (!v) {
		ck_assert_msg(ret == -ENOENT, "seed %" PRIu64 ": 0x%" PRIx64
			      " translates (%d) but is not mapped", seed, iova, ret);
		ck_assert_msg(wret != 0, "seed %" PRIu64 ": the unit reaches 0x%" PRIx64, seed,
			      iova);
		return;
	}
	ck_assert_msg(ret == 0, "seed %" PRIu64 ": 0x%" PRIx64 " lost (%d)", seed, iova, ret);
	ck_assert_uint_eq(pa, v->pa + (iova - v->start));
	ck_assert_uint_eq(prot, v->prot);
	ck_assert(size == SZ_4K || size == SZ_2M || size == SZ_1G);
	base = iova & ~(size - 1);
	ck_assert_msg(base >= v->start && base + size <= v->end,
		      "seed %" PRIu64 ": page of 0x%" PRIx64 " (size 0x%" PRIx64
		      ") exceeds [0x%" PRIx64 ", 0x%" PRIx64 ")", seed, iova, size,
		      v->start, v->end);
	/* The unit's walk: R and W needed on every level only for RW leaves;
	 * walk with the leaf's own rights otherwise. */
	if (prot != LIOMMU_PROT_RW)
		wret = denv_walk(&e->f, root, e->width == 39 ? 3 : 4, iova,
				 prot == LIOMMU_PROT_READ ? VTD_SLPTE_R : VTD_SLPTE_W,
				 &wpa, &wsize);
	ck_assert_int_eq(wret, 0);
	ck_assert_uint_eq(wpa, pa);
	ck_assert_uint_eq(wsize, size);
}

/* A size class: 4 KiB runs, 2 MiB multiples, or one 1 GiB page. */
static void rand_range(uint64_t *rng, uint64_t space, uint64_t *iova, uint64_t *size,
		       uint64_t *pa)
{
	unsigned int k = (unsigned int)(rng_next(rng) % 10);
	uint64_t align;

	if (k < 6) {
		align = SZ_4K;
		*size = (1 + rng_next(rng) % 48) * SZ_4K;
	} else if (k < 9) {
		align = SZ_2M;
		*size = (1 + rng_next(rng) % 3) * SZ_2M;
	} else {
		align = SZ_1G;
		*size = SZ_1G;
	}
	/* Sometimes an IOVA only 4 KiB aligned across a superpage boundary. */
	if (align > SZ_4K && rng_next(rng) % 4 == 0)
		align = SZ_4K;
	*iova = (rng_next(rng) % ((space - *size) / align)) * align;
	*pa = (rng_next(rng) % (64 * SZ_1G / align)) * align;
	/* Sometimes a pa that rules superpages out. */
	if (rng_next(rng) % 5 == 0)
		*pa = (*pa + SZ_4K) & ((64 * SZ_1G) - 1);
}

START_TEST(random_map_unmap_matches_reference)
{
	static struct ref r;
	struct env e;
	struct liommu_domain *d;
	struct liommu_domain_stats st;
	uint64_t seed = test_seed(), rng = seed, space = 8 * SZ_1G, root, ce[2];
	uint64_t iova, size, pa, lo, hi, mapped = 0, removed, k;
	unsigned int op, i, prot, ops = 400, nmap = 0, nunmap = 0, nfail = 0;
	int ret;

	fprintf(stderr, "random_map_unmap_matches_reference: width %u LIOMMU_SEED=%" PRIu64
		"\n", widths[_i], seed);
	memset(&r, 0, sizeof(r));
	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_MODEL);
	d = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(d, 0x0008), 0);
	ctx_entry(&e, 0x0008, ce);
	root = ce[0] & ~0xfffULL;

	for (op = 0; op < ops; op++) {
		unsigned int kind = (unsigned int)(rng_next(&rng) % 8);

		denv_log_clear(&e.f);
		if (kind < 4 || r.n == 0) {
			rand_range(&rng, space, &iova, &size, &pa);
			prot = 1 + (unsigned int)(rng_next(&rng) % 3);
			ret = liommu_domain_map(d, iova, pa, size, prot);
			if (ref_overlaps(&r, iova, iova + size) || r.n >= REF_MAX - 2) {
				ck_assert_msg(ret == -EEXIST || r.n >= REF_MAX - 2,
					      "seed %" PRIu64 " op %u: overlapping map gave %d",
					      seed, op, ret);
				nfail += ret != 0;
			} else {
				ck_assert_msg(ret == 0, "seed %" PRIu64 " op %u: map gave %d",
					      seed, op, ret);
				r.iv[r.n++] = (struct ref_ival){ iova, iova + size, pa, prot };
				mapped += size;
				nmap++;
			}
			/* No CM, no RWBF: a successful map invalidates nothing
			 * (6.1); a failed one may invalidate what it undid. */
			if (ret == 0)
				ck_assert_uint_eq(log_total(&e), 0);
		} else {
			const struct ref_ival *v = &r.iv[rng_next(&rng) % r.n];

			if (kind < 6) {
				/* All of a mapping, or a page-aligned piece of it
				 * (which may split superpages). */
				iova = v->start;
				size = v->end - v->start;
				if (kind == 5 && size > SZ_4K) {
					uint64_t pages = size / SZ_4K;
					uint64_t first = rng_next(&rng) % pages;

					iova += first * SZ_4K;
					size = (1 + rng_next(&rng) % (pages - first)) * SZ_4K;
				}
			} else {
				/* Anywhere: holes give -ENOENT, the rest goes. */
				rand_range(&rng, space, &iova, &size, &pa);
			}
			removed = ref_remove(&r, iova, iova + size, &lo, &hi);
			ret = liommu_domain_unmap(d, iova, size);
			ck_assert_msg(ret == (removed == size ? 0 : -ENOENT),
				      "seed %" PRIu64 " op %u: unmap [0x%" PRIx64 ", +0x%" PRIx64
				      ") gave %d, %" PRIu64 " bytes were mapped", seed, op,
				      iova, size, ret, removed);
			mapped -= removed;
			nunmap++;
			if (removed) {
				/* One invalidation that covers what went. */
				struct fake_cmd c;

				ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 1);
				c = denv_log_get(&e.f, 0);
				ck_assert_uint_eq(c.did, liommu_domain_id(d));
				if (c.gran == VTD_IOTLB_GRAN_PAGE) {
					ck_assert_uint_le(c.addr, lo);
					ck_assert_uint_ge(c.addr + (SZ_4K << c.am), hi);
				} else {
					ck_assert_uint_eq(c.gran, VTD_IOTLB_GRAN_DOMAIN);
				}
			}
		}
		liommu_domain_get_stats(d, &st);
		ck_assert_msg(st.mapped_bytes == mapped, "seed %" PRIu64 " op %u: %" PRIu64
			      " bytes mapped, reference %" PRIu64, seed, op,
			      st.mapped_bytes, mapped);
		/* Probe every mapping's ends and a random inside page, and
		 * random addresses. */
		for (i = 0; i < r.n; i++) {
			const struct ref_ival *v = &r.iv[i];

			ref_check(&e, d, root, &r, v->start, seed);
			ref_check(&e, d, root, &r, v->end - 1, seed);
			ref_check(&e, d, root, &r, v->start - 1, seed);
			ref_check(&e, d, root, &r, v->end, seed);
			k = rng_next(&rng) % (v->end - v->start);
			ref_check(&e, d, root, &r, v->start + k, seed);
		}
		for (i = 0; i < 8; i++)
			ref_check(&e, d, root, &r, rng_next(&rng) % space, seed);
	}
	ck_assert_uint_gt(nmap, 50);
	ck_assert_uint_gt(nunmap, 50);
	(void)nfail;

	/* Unmapping whole top-level spans frees every table below them,
	 * after the one invalidation.  (1 GiB each at 39 bits, 512 GiB at
	 * 48 bits; never entirely mapped, hence -ENOENT.) */
	k = 1ULL << (12 + 9 * (e.width == 39 ? 2 : 3));
	ck_assert_int_eq(liommu_domain_unmap(d, 0, k > space ? k : space), -ENOENT);
	liommu_domain_get_stats(d, &st);
	ck_assert_uint_eq(st.mapped_bytes, 0);
	ck_assert_uint_eq(st.table_pages, 1);
	liommu_domain_free(d);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Concurrency                                                         */
/* ------------------------------------------------------------------ */

#define MT_THREADS	4
#define MT_ROUNDS	24
#define MT_PA		0x300000000ULL

struct mt_worker {
	struct env *e;
	struct liommu_domain *shared;
	pthread_barrier_t *bar;
	unsigned int t;
	int err;
};

#define MT_CHECK(cond) do { if (!(cond)) { w->err = __LINE__; return NULL; } } while (0)

/*
 * Each thread owns one 1 GiB slot of the shared domain and, in it, maps
 * 4 KiB runs that share level-1 tables with nothing else, a 2 MiB page it
 * splits, and a 1 GiB-aligned region whose upper tables every thread
 * installs at the same time on the first round (all slots hang below the
 * same top-level entry).  At the same time it creates its own domain,
 * attaches a device to it, maps, detaches and frees it: the config lock
 * and the invalidation interface are shared with the other threads.
 */
static void *mt_fn(void *arg)
{
	struct mt_worker *w = arg;
	struct liommu_domain *s = w->shared, *own;
	uint64_t slot = (1 + w->t) * SZ_1G, iova, pa, size, r;
	uint16_t sid = vtd_sid(1 + w->t % 2, w->t, 0);

	pthread_barrier_wait(w->bar);
	for (r = 0; r < MT_ROUNDS; r++) {
		iova = slot + (r % 8) * 4 * SZ_2M;
		MT_CHECK(liommu_domain_map(s, iova, MT_PA + iova, 37 * SZ_4K,
					   LIOMMU_PROT_RW) == 0);
		MT_CHECK(liommu_domain_map(s, iova + SZ_2M, MT_PA + iova + SZ_2M, SZ_2M,
					   LIOMMU_PROT_READ) == 0);
		MT_CHECK(liommu_domain_translate(s, iova + SZ_2M + 5 * SZ_4K, &pa, NULL,
						 &size) == 0);
		MT_CHECK(pa == MT_PA + iova + SZ_2M + 5 * SZ_4K && size == SZ_2M);
		/* Split the superpage, punch a hole, check a neighbour. */
		MT_CHECK(liommu_domain_unmap(s, iova + SZ_2M + 5 * SZ_4K, SZ_4K) == 0);
		MT_CHECK(liommu_domain_translate(s, iova + SZ_2M + 6 * SZ_4K, &pa, NULL,
						 &size) == 0);
		MT_CHECK(pa == MT_PA + iova + SZ_2M + 6 * SZ_4K && size == SZ_4K);
		MT_CHECK(liommu_domain_unmap(s, iova + SZ_2M, SZ_2M) == -ENOENT);
		MT_CHECK(liommu_domain_translate(s, iova + 36 * SZ_4K, &pa, NULL, NULL) == 0);
		MT_CHECK(pa == MT_PA + iova + 36 * SZ_4K);
		/* Leave every eighth round's 4 KiB run mapped. */
		if (r < MT_ROUNDS - 8)
			MT_CHECK(liommu_domain_unmap(s, iova, 37 * SZ_4K) == 0);

		MT_CHECK(liommu_domain_new(w->e->u, &own) == 0);
		MT_CHECK(liommu_domain_attach(own, sid) == 0);
		MT_CHECK(liommu_domain_map(own, r * SZ_4K, 0x7000, SZ_4K, LIOMMU_PROT_RW) == 0);
		MT_CHECK(liommu_domain_attach(s, sid) == -EBUSY);
		MT_CHECK(liommu_domain_detach(own, sid) == 0);
		liommu_domain_free(own);
	}
	return NULL;
}

START_TEST(threads_map_unmap_disjoint_ranges_of_one_domain)
{
	struct env e;
	struct liommu_domain *s, *chk;
	struct liommu_domain_stats st;
	pthread_barrier_t bar;
	pthread_t th[MT_THREADS];
	struct mt_worker w[MT_THREADS];
	uint64_t slot, iova, pa, size, k, ce[2], root;
	unsigned int t, r, prot;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_MODEL);
	s = dom_new(&e);
	ck_assert_int_eq(liommu_domain_attach(s, 0x0008), 0);
	pthread_barrier_init(&bar, NULL, MT_THREADS);
	for (t = 0; t < MT_THREADS; t++) {
		w[t] = (struct mt_worker){ .e = &e, .shared = s, .bar = &bar, .t = t };
		ck_assert_int_eq(pthread_create(&th[t], NULL, mt_fn, &w[t]), 0);
	}
	for (t = 0; t < MT_THREADS; t++) {
		pthread_join(th[t], NULL);
		ck_assert_msg(w[t].err == 0, "thread %u failed at line %d", t, w[t].err);
	}
	pthread_barrier_destroy(&bar);

	/* The shared domain holds exactly the last eight 4 KiB runs of each
	 * thread, as translate() and the unit's own walk see them. */
	ctx_entry(&e, 0x0008, ce);
	root = ce[0] & ~0xfffULL;
	for (t = 0; t < MT_THREADS; t++) {
		slot = (1 + t) * SZ_1G;
		for (r = 0; r < 8; r++) {
			iova = slot + r * 4 * SZ_2M;
			for (k = 0; k < 40; k++) {
				int ret = liommu_domain_translate(s, iova + k * SZ_4K, &pa,
								  &prot, &size);

				if (k >= 37) {
					ck_assert_int_eq(ret, -ENOENT);
					continue;
				}
				ck_assert_int_eq(ret, 0);
				ck_assert_uint_eq(pa, MT_PA + iova + k * SZ_4K);
				ck_assert_uint_eq(prot, LIOMMU_PROT_RW);
				ck_assert_int_eq(denv_walk(&e.f, root, widths[_i] == 39 ? 3 : 4,
							   iova + k * SZ_4K, VTD_SLPTE_R |
							   VTD_SLPTE_W, &pa, &size), 0);
				ck_assert_uint_eq(pa, MT_PA + iova + k * SZ_4K);
			}
			ck_assert_int_eq(liommu_domain_translate(s, iova + SZ_2M, &pa, NULL,
								 NULL), -ENOENT);
		}
	}
	liommu_domain_get_stats(s, &st);
	ck_assert_uint_eq(st.mapped_bytes, MT_THREADS * 8 * 37 * SZ_4K);
	/* Every per-thread domain is gone: its ID is free again, and only
	 * the shared domain and @chk hold IDs. */
	chk = dom_new(&e);
	ck_assert_uint_ne(liommu_domain_id(chk), liommu_domain_id(s));
	ck_assert_uint_le(liommu_domain_id(chk), 1);
	liommu_domain_free(chk);
	liommu_domain_free(s);
	env_fini(&e);
}
END_TEST

Suite *domain_suite(void);
Suite *domain_suite(void)
{
	Suite *s = suite_create("domain");
	TCase *tc;
	int n = (int)(sizeof(widths) / sizeof(widths[0]));

	tc = tcase_create("ids");
	tcase_add_loop_test(tc, domain_ids_are_unique_until_enospc, 0, 6);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("attach_detach");
	tcase_add_loop_test(tc, attach_writes_root_and_context_entries, 0, n);
	tcase_add_loop_test(tc, attach_invalidates_device_context_and_under_cm_the_iotlb, 0, 2);
	tcase_add_loop_test(tc, detach_clears_entry_then_context_then_iotlb, 0, n);
	tcase_add_test(tc, attach_busy_detach_enoent);
	tcase_add_test(tc, devices_on_one_bus_share_a_context_table);
	tcase_add_test(tc, free_detaches_remaining_devices);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalidation");
	tcase_add_loop_test(tc, map_invalidates_only_under_caching_mode, 0, 2);
	tcase_add_test(tc, unmap_with_holes_still_invalidates);
	suite_add_tcase(s, tc);

	tc = tcase_create("write_buffer");
	tcase_add_loop_test(tc, map_flushes_write_buffer_when_rwbf, 0, 3);
	tcase_add_test(tc, failed_write_buffer_flush_withdraws_the_map);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, random_map_unmap_matches_reference, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, threads_map_unmap_disjoint_ranges_of_one_domain, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures_and_coherency");
	tcase_add_test(tc, failed_flush_keeps_tables_until_retried);
	tcase_add_test(tc, failed_attach_is_rolled_back);
	tcase_add_test(tc, non_coherent_unit_sees_root_and_context_entries);
	suite_add_tcase(s, tc);
	return s;
}
