// SPDX-License-Identifier: MIT
/*
 * check-unit.c - unit bring-up, the GCMD protocol and both invalidation
 * interfaces.
 *
 * Two kinds of hardware: QEMU 7.2's own VT-d model through the qemu
 * platform (the oracle: what a real implementation accepts and reports,
 * see check-unit-qemu.c), and tests/fake/fake-vtd.c for what QEMU cannot show
 * (command bits that never clear, refused granularities, RWBF, ECAP.C = 1,
 * ITE, several fault records, hostile CAP values, allocator failures).
 *
 * Expected register and descriptor values are written out by hand from
 * the spec's bit positions, not rebuilt from vtd.h's macros, so a wrong
 * encoding fails here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../libiommu/driver/inval.h"
#include "../libiommu/driver/unit.h"
#include "fake/fake-vtd.h"
#include "unit-tests.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static uint64_t with_field(uint64_t v, uint64_t mask, uint64_t field)
{
	return (v & ~mask) | vtd_field_prep(mask, field);
}

static struct fake_vtd *fake(uint64_t cap, uint64_t ecap)
{
	struct fake_vtd *f = fake_vtd_new(cap, ecap);

	ck_assert_ptr_nonnull(f);
	return f;
}

static struct liommu_unit *up(struct fake_vtd *f, const struct liommu_unit_config *cfg)
{
	struct liommu_unit *u = NULL;
	int ret = liommu_unit_new(f->plat, cfg, &u);

	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(u);
	return u;
}

static void down(struct fake_vtd *f, struct liommu_unit *u)
{
	liommu_unit_free(u);
	ck_assert_uint_eq(f->pages_live, 0);
	ck_assert_uint_eq(f->bad_accesses, 0);
	ck_assert_uint_eq(f->gcmd_violations, 0);
	fake_vtd_free(f);
}

static struct liommu_unit_stats stats(const struct liommu_unit *u)
{
	struct liommu_unit_stats st;

	liommu_unit_get_stats(u, &st);
	return st;
}

/* ------------------------------------------------------------------ */
/* Bring-up decisions                                                  */
/* ------------------------------------------------------------------ */

START_TEST(bringup_defaults)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);
	struct liommu_unit_stats st = stats(u);

	ck_assert_uint_eq(liommu_unit_addr_width(u), 48);
	ck_assert_uint_eq(liommu_unit_levels(u), 4);
	ck_assert_uint_eq(u->agaw, 2);
	ck_assert_int_eq(liommu_unit_inval_mode(u), LIOMMU_INVAL_QUEUED);
	ck_assert_uint_eq(u->sllps, 3);			/* 2 MiB and 1 GiB */
	ck_assert_uint_eq(u->did_count, 65536);		/* ND = 6 */
	ck_assert_uint_eq(u->did_bitmap[0] & 1, 0);	/* no CM: DID 0 usable */
	ck_assert(!u->coherent);
	ck_assert(!u->caching_mode);
	ck_assert_uint_eq(u->iva_reg, 0xf0);
	ck_assert_uint_eq(u->iotlb_reg, 0xf8);
	ck_assert_uint_eq(liommu_unit_cap(u), FAKE_QEMU_CAP);
	ck_assert_uint_eq(liommu_unit_ecap(u), FAKE_QEMU_ECAP);
	ck_assert_ptr_eq(liommu_unit_platform(u), f->plat);

	/* GSTS: root pointer set and QI on, translation still off. */
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG), 0x44000000u);
	ck_assert_uint_eq(fake_rd64(f, VTD_RTADDR_REG), u->root.pa);
	ck_assert_uint_eq(fake_rd64(f, VTD_IQA_REG), u->iq.pa);	/* QS = 0 */
	/* Writes: SRTP alone (bit 30), then QIE alone (bit 26). */
	ck_assert_uint_eq(f->gcmd_writes, 2);
	ck_assert_uint_eq(f->gcmd_log[0], 0x40000000u);
	ck_assert_uint_eq(f->gcmd_log[1], 0x04000000u);

	/* Bring-up invalidations: context-cache global (type 1, G=01),
	 * wait (type 5, SW bit 5, FN bit 6, data 1 in 63:32), IOTLB global
	 * (type 2, G=01, DW bit 6, DR bit 7 as CAP.DWD/DRD), wait (data 2). */
	ck_assert_uint_eq(f->ndescs, 4);
	ck_assert_uint_eq(f->descs[0].lo, 0x11);
	ck_assert_uint_eq(f->descs[0].hi, 0);
	ck_assert_uint_eq(f->descs[1].lo, 0x0000000100000065ULL);
	ck_assert_uint_eq(f->descs[1].hi, u->status_page.pa);
	ck_assert_uint_eq(f->descs[2].lo, 0xd2);
	ck_assert_uint_eq(f->descs[2].hi, 0);
	ck_assert_uint_eq(f->descs[3].lo, 0x0000000200000065ULL);

	ck_assert_uint_eq(st.inv_descs, 2);
	ck_assert_uint_eq(st.inv_waits, 2);
	ck_assert_uint_eq(st.context_invs, 1);
	ck_assert_uint_eq(st.iotlb_global, 1);
	ck_assert_uint_eq(st.iotlb_domain, 0);
	ck_assert_uint_eq(st.iotlb_page, 0);
	ck_assert_uint_eq(st.table_pages, 1);		/* the root table */
	ck_assert_uint_eq(f->pages_live, 3);		/* + queue + status */

	liommu_unit_free(u);
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG) & 0x84000000u, 0);
	ck_assert_uint_eq(f->pages_live, 0);
	ck_assert_uint_eq(f->gcmd_violations, 0);
	fake_vtd_free(f);
}
END_TEST

static const struct {
	unsigned int sagaw, mgaw, req;
	int ret;
	unsigned int width, levels;
} width_rows[] = {
	{ 0x6, 48, 0, 0, 48, 4 },	/* QEMU aw-bits=48 */
	{ 0x2, 39, 0, 0, 39, 3 },	/* QEMU aw-bits=39 */
	{ 0xe, 57, 0, 0, 57, 5 },	/* 5-level hardware */
	{ 0xe, 48, 0, 0, 48, 4 },	/* 57 supported but above MGAW */
	{ 0xe, 52, 0, 0, 48, 4 },
	{ 0x6, 48, 39, 0, 39, 3 },	/* narrower on request */
	{ 0xe, 57, 57, 0, 57, 5 },
	{ 0x6, 48, 57, -ENODEV, 0, 0 },	/* not in SAGAW */
	{ 0x2, 39, 48, -ENODEV, 0, 0 },
	{ 0xe, 48, 57, -ENODEV, 0, 0 },	/* in SAGAW, above MGAW */
	{ 0x4, 39, 0, -ENODEV, 0, 0 },	/* only 48, MGAW 39 */
	{ 0x0, 48, 0, -ENODEV, 0, 0 },	/* no SAGAW bit at all */
	{ 0x11, 48, 0, -ENODEV, 0, 0 },	/* only reserved SAGAW bits */
};

START_TEST(width_selection)
{
	struct liommu_unit_config cfg = { .addr_width = width_rows[_i].req };
	uint64_t cap = with_field(FAKE_QEMU_CAP, VTD_CAP_SAGAW, width_rows[_i].sagaw);
	struct fake_vtd *f;
	struct liommu_unit *u = NULL;

	cap = with_field(cap, VTD_CAP_MGAW, width_rows[_i].mgaw - 1);
	f = fake(cap, FAKE_QEMU_ECAP);
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), width_rows[_i].ret);
	if (!width_rows[_i].ret) {
		ck_assert_uint_eq(liommu_unit_addr_width(u), width_rows[_i].width);
		ck_assert_uint_eq(liommu_unit_levels(u), width_rows[_i].levels);
	} else {
		ck_assert_ptr_null(u);
	}
	down(f, u);
}
END_TEST

START_TEST(config_rejected)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit_config cfg;
	struct liommu_unit *u = (void *)1;

	ck_assert_int_eq(liommu_unit_new(NULL, NULL, &u), -EINVAL);
	ck_assert_int_eq(liommu_unit_new(f->plat, NULL, NULL), -EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.addr_width = 40;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -EINVAL);
	ck_assert_ptr_null(u);
	cfg.addr_width = 64;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.qi_order = 8;		/* IQA.QS is 3 bits */
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.inval = (enum liommu_inval_mode)7;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.numa_node = -2;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -EINVAL);
	/* Nothing was touched by a rejected configuration. */
	ck_assert_uint_eq(f->gcmd_writes, 0);
	down(f, NULL);
}
END_TEST

START_TEST(queued_needs_ecap_qi)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP & ~VTD_ECAP_QI);
	struct liommu_unit_config cfg = { .inval = LIOMMU_INVAL_QUEUED };
	struct liommu_unit *u = NULL;

	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -ENODEV);
	ck_assert_ptr_null(u);
	/* AUTO falls back to registers without ECAP.QI. */
	cfg.inval = LIOMMU_INVAL_AUTO;
	u = up(f, &cfg);
	ck_assert_int_eq(liommu_unit_inval_mode(u), LIOMMU_INVAL_REGISTER);
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG) & 0x04000000u, 0);
	down(f, u);
}
END_TEST

static const struct {
	uint64_t cap, ecap;
} hostile_rows[] = {
	{ ~0ULL, ~0ULL },					/* no device */
	{ 0, 0 },
	{ FAKE_QEMU_CAP | 0x7, FAKE_QEMU_ECAP },		/* ND = 7, reserved */
	{ FAKE_QEMU_CAP, (FAKE_QEMU_ECAP & ~0x3ff00ULL) | (0x100ULL << 8) },	/* IRO 0x1000 */
	{ FAKE_QEMU_CAP, FAKE_QEMU_ECAP & ~0x3ff00ULL },	/* IRO 0 */
	{ (FAKE_QEMU_CAP & ~0x3ff000000ULL) | (0x100ULL << 24), FAKE_QEMU_ECAP },	/* FRO 0x1000 */
	{ FAKE_QEMU_CAP | (0xffULL << 40), FAKE_QEMU_ECAP },	/* 256 records at 0x220 */
};

START_TEST(hostile_cap_refused)
{
	struct fake_vtd *f = fake(hostile_rows[_i].cap, hostile_rows[_i].ecap);
	struct liommu_unit *u = NULL;

	ck_assert_int_eq(liommu_unit_new(f->plat, NULL, &u), -ENODEV);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(f->gcmd_writes, 0);
	down(f, NULL);
}
END_TEST

START_TEST(superpages_dids_caching_mode)
{
	struct liommu_unit_config cfg = { .no_superpages = true };
	struct fake_vtd *f;
	struct liommu_unit *u;

	/* Reserved SLLPS bits (512 GiB, 1 TiB) are never used. */
	f = fake(with_field(FAKE_QEMU_CAP, VTD_CAP_SLLPS, 0xf), FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_uint_eq(u->sllps, 3);
	down(f, u);

	f = fake(with_field(FAKE_QEMU_CAP, VTD_CAP_SLLPS, 0x1), FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_uint_eq(u->sllps, 1);			/* 2 MiB only */
	down(f, u);

	f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	u = up(f, &cfg);
	ck_assert_uint_eq(u->sllps, 0);
	down(f, u);

	/* ND = 0: 16 domains; CM: DID 0 reserved (6.2.2). */
	f = fake((FAKE_QEMU_CAP & ~0x7ULL) | VTD_CAP_CM, FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_uint_eq(u->did_count, 16);
	ck_assert(u->caching_mode);
	ck_assert_uint_eq(u->did_bitmap[0], 1);
	down(f, u);

	/* ND = 2: 2^(4+4) = 256 domains. */
	f = fake((FAKE_QEMU_CAP & ~0x7ULL) | 2, FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_uint_eq(u->did_count, 256);
	ck_assert_uint_eq(u->did_bitmap[0], 0);
	down(f, u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* GCMD protocol                                                       */
/* ------------------------------------------------------------------ */

START_TEST(firmware_left_translation_on)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u;

	/* Firmware state: TE, QIE and IRE on, an old root pointer loaded. */
	fake_poke32(f, VTD_GSTS_REG, 0x86000000u | 0x40000000u);
	u = up(f, NULL);
	/* TE off first, keeping QIE and IRE; then QIE off (queue empty);
	 * then SRTP with IRE carried and RTPS not carried; then QIE on. */
	ck_assert_uint_eq(f->gcmd_writes, 4);
	ck_assert_uint_eq(f->gcmd_log[0], 0x06000000u);
	ck_assert_uint_eq(f->gcmd_log[1], 0x02000000u);
	ck_assert_uint_eq(f->gcmd_log[2], 0x42000000u);
	ck_assert_uint_eq(f->gcmd_log[3], 0x06000000u);

	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert_uint_eq(f->gcmd_log[4], 0x86000000u);
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG), 0xc6000000u);
	/* Enabling twice writes nothing. */
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert_uint_eq(f->gcmd_writes, 5);
	ck_assert_int_eq(liommu_unit_disable_translation(u), 0);
	ck_assert_uint_eq(f->gcmd_log[5], 0x06000000u);
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG), 0x46000000u);
	/* IRE is irq-remap's business: the unit leaves it as found. */
	liommu_unit_free(u);
	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG), 0x42000000u);
	ck_assert_uint_eq(f->gcmd_violations, 0);
	ck_assert_uint_eq(f->pages_live, 0);
	fake_vtd_free(f);
}
END_TEST

START_TEST(gcmd_never_acknowledged)
{
	struct liommu_unit_config cfg = { .timeout_us = 2000 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = NULL;

	f->gcmd_stuck = true;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -ETIMEDOUT);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(f->gcmd_writes, 1);		/* the SRTP */
	ck_assert_uint_eq(f->pages_live, 0);

	f->gcmd_stuck = false;
	u = up(f, &cfg);
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	f->gcmd_stuck = true;
	ck_assert_int_eq(liommu_unit_disable_translation(u), -ETIMEDOUT);
	/* RTPS drops when SRTP is written and never comes back; WBFS rises
	 * and never drops. */
	ck_assert_int_eq(liommu__gcmd_oneshot(u, VTD_GCMD_SRTP), -ETIMEDOUT);
	ck_assert_int_eq(liommu__gcmd_oneshot(u, VTD_GCMD_WBF), -ETIMEDOUT);
	f->gcmd_stuck = false;
	ck_assert_int_eq(liommu__gcmd_oneshot(u, VTD_GCMD_WBF), 0);
	ck_assert_int_eq(liommu__gcmd_oneshot(u, VTD_GCMD_SRTP), 0);
	ck_assert_int_eq(liommu_unit_disable_translation(u), 0);
	/* Only known commands. */
	ck_assert_int_eq(liommu__gcmd_oneshot(u, VTD_GCMD_TE), -EINVAL);
	ck_assert_int_eq(liommu__gcmd_set(u, VTD_GCMD_SRTP, true), -EINVAL);
	ck_assert_int_eq(liommu__gcmd_set(u, VTD_GCMD_TE | VTD_GCMD_QIE, true), -EINVAL);
	ck_assert_int_eq(liommu_unit_enable_translation(NULL), -EINVAL);
	ck_assert_int_eq(liommu_unit_disable_translation(NULL), -EINVAL);
	down(f, u);
}
END_TEST

START_TEST(free_leaks_what_the_unit_may_walk)
{
	struct liommu_unit_config cfg = { .timeout_us = 2000 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, &cfg);

	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	f->gcmd_stuck = true;
	/* TE cannot be turned off: the root table stays allocated, and so
	 * do the queue and status pages (QIE stays on too). */
	liommu_unit_free(u);
	ck_assert_uint_eq(f->pages_live, 3);
	fake_vtd_free(f);
}
END_TEST

START_TEST(free_releases_context_tables)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);
	unsigned int bus[] = { 0, 5, 255 };

	/* domain.c allocates these on attach; the unit frees them. */
	for (unsigned int i = 0; i < 3; i++) {
		u->ctx[bus[i]] = calloc(1, sizeof(*u->ctx[0]));
		ck_assert_ptr_nonnull(u->ctx[bus[i]]);
		ck_assert_int_eq(liommu__page_alloc(u, &u->ctx[bus[i]]->page), 0);
	}
	ck_assert_uint_eq(stats(u).table_pages, 4);
	ck_assert_uint_eq(f->pages_live, 6);
	down(f, u);
}
END_TEST

START_TEST(allocation_failures_unwind)
{
	struct liommu_unit_config cfg = { .qi_order = 1 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = NULL;

	/* Root, then queue pages (2), then the status page. */
	f->alloc_limited = true;
	f->alloc_limit = (unsigned int)_i;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -ENOMEM);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(f->pages_live, 0);
	f->alloc_limit = 4;
	u = up(f, &cfg);
	down(f, u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Register-based invalidation                                         */
/* ------------------------------------------------------------------ */

START_TEST(register_commands_encoded)
{
	struct liommu_unit_config cfg = { .inval = LIOMMU_INVAL_REGISTER };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, &cfg);
	struct liommu_unit_stats st;

	ck_assert_uint_eq(fake_rd32(f, VTD_GSTS_REG), 0x40000000u);	/* no QIES */
	/* Global context: ICC cleared, CIRG 01 (62:61), CAIG 01 (60:59). */
	ck_assert_uint_eq(fake_rd64(f, VTD_CCMD_REG), 0x2800000000000000ULL);
	/* Global IOTLB: IIRG 01 (61:60), DR 49, DW 48, IAIG 01 (58:57). */
	ck_assert_uint_eq(fake_rd64(f, 0xf8), 0x1203000000000000ULL);
	ck_assert_str_eq(f->events, "CI");

	/* Device: CIRG 11, SID 0x0008 in 31:16, DID 5, CAIG 11. */
	ck_assert_int_eq(liommu__inval_context_device(u, 5, 0x0008), 0);
	ck_assert_uint_eq(fake_rd64(f, VTD_CCMD_REG), 0x7800000000080005ULL);
	ck_assert_uint_eq(u->reg_caig, 3);
	/* Domain IOTLB: IIRG 10, DID 7 in 47:32, IAIG 10. */
	ck_assert_int_eq(liommu__inval_iotlb_domain(u, 7), 0);
	ck_assert_uint_eq(fake_rd64(f, 0xf8), 0x2403000700000000ULL);
	ck_assert_uint_eq(u->reg_iaig, 2);
	/* Pages 3..4: AM 3 at 0, IH (bit 6) for a leaf-only change. */
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 7, 0x3000, 0x5000, true), 0);
	ck_assert_uint_eq(fake_rd64(f, 0xf0), 0x43);
	ck_assert_uint_eq(fake_rd64(f, 0xf8), 0x3603000700000000ULL);
	ck_assert_uint_eq(u->reg_iaig, 3);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 7, 0x7ff000, 0x800000, false), 0);
	ck_assert_uint_eq(fake_rd64(f, 0xf0), 0x7ff000);
	ck_assert_int_eq(liommu_unit_invalidate_iotlb_all(u), 0);
	ck_assert_uint_eq(u->reg_iaig, 1);
	/* The IEC has no register interface. */
	ck_assert_int_eq(liommu__inval_iec(u, true, 0, 0), -ENODEV);
	ck_assert_int_eq(liommu__qi_submit_raw(u, NULL, 0), -ENODEV);

	st = stats(u);
	ck_assert_uint_eq(st.inv_descs, 7);
	ck_assert_uint_eq(st.inv_waits, 7);
	ck_assert_uint_eq(st.context_invs, 2);
	ck_assert_uint_eq(st.iotlb_global, 2);
	ck_assert_uint_eq(st.iotlb_domain, 1);
	ck_assert_uint_eq(st.iotlb_page, 2);
	down(f, u);
}
END_TEST

START_TEST(register_commands_without_drain)
{
	struct liommu_unit_config cfg = { .inval = LIOMMU_INVAL_REGISTER };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP & ~(VTD_CAP_DRD | VTD_CAP_DWD), FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, &cfg);

	ck_assert_int_eq(liommu__inval_iotlb_domain(u, 7), 0);
	ck_assert_uint_eq(fake_rd64(f, 0xf8), 0x2400000700000000ULL);
	down(f, u);
}
END_TEST

/* 0: CCMD never done, 1: IOTLB never done, 2: CAIG 0, 3: IAIG 0. */
START_TEST(register_commands_fail)
{
	struct liommu_unit_config cfg = { .inval = LIOMMU_INVAL_REGISTER,
					  .timeout_us = 2000 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = NULL;
	int want = _i < 2 ? -ETIMEDOUT : -EIO;

	f->ccmd_stuck = _i == 0;
	f->iotlb_stuck = _i == 1;
	f->caig_zero = _i == 2;
	f->iaig_zero = _i == 3;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), want);
	ck_assert_uint_eq(f->pages_live, 0);

	/* The same failures on a running unit. */
	f->ccmd_stuck = f->iotlb_stuck = f->caig_zero = f->iaig_zero = false;
	u = up(f, &cfg);
	f->ccmd_stuck = _i == 0;
	f->iotlb_stuck = _i == 1;
	f->caig_zero = _i == 2;
	f->iaig_zero = _i == 3;
	if (_i == 0 || _i == 2)
		ck_assert_int_eq(liommu__inval_context_device(u, 1, 8), want);
	else
		ck_assert_int_eq(liommu__inval_iotlb_domain(u, 1), want);
	ck_assert_uint_eq(atomic_load(&u->st_inv_errors), 1);
	down(f, u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Page-selective invalidation: address mask choice                    */
/* ------------------------------------------------------------------ */

static const struct {
	uint64_t start, end;
	unsigned int gran;	/* 3 page, 2 domain */
	uint64_t addr;
	unsigned int am;
} psi_rows[] = {
	{ 0x1000, 0x2000, 3, 0x1000, 0 },
	{ 0x1234, 0x1235, 3, 0x1000, 0 },	/* sub-page range */
	{ 0x1000, 0x3000, 3, 0x0000, 2 },	/* pages 1-2 straddle a pair */
	{ 0x2000, 0x4000, 3, 0x2000, 1 },	/* aligned pair */
	{ 0x3000, 0x5000, 3, 0x0000, 3 },
	{ 0x0, 0x200000, 3, 0x0, 9 },		/* one 2 MiB block */
	{ 0x1ff000, 0x201000, 3, 0x0, 10 },	/* crosses 2 MiB */
	{ 0x40000000, 0x80000000, 3, 0x40000000, 18 },	/* AM = MAMV */
	{ 0x0, 0x80000000, 2, 0, 0 },		/* AM 19 > MAMV 18 */
	{ 0xfffffffff000, 0x1000000000000, 3, 0xfffffffff000, 0 },
};

START_TEST(psi_address_mask)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);
	struct vtd_inv_desc d;
	struct liommu_unit_stats st;

	ck_assert_int_eq(liommu__inval_iotlb_range(u, 3, psi_rows[_i].start,
						   psi_rows[_i].end, false), 0);
	d = f->descs[f->ndescs - 2];
	st = stats(u);
	/* lo: type 2, G in 5:4, DW 6, DR 7, DID 3 in 31:16. */
	ck_assert_uint_eq(d.lo, 0x300c2 | (psi_rows[_i].gran << 4));
	if (psi_rows[_i].gran == 3) {
		ck_assert_uint_eq(d.hi, psi_rows[_i].addr | psi_rows[_i].am);
		ck_assert_uint_eq(st.iotlb_page, 1);
	} else {
		ck_assert_uint_eq(d.hi, 0);
		ck_assert_uint_eq(st.iotlb_domain, 1);
	}
	down(f, u);
}
END_TEST

START_TEST(psi_fallbacks_and_rejections)
{
	struct fake_vtd *f;
	struct liommu_unit *u;

	/* MAMV 2: an 8-page block goes domain-selective. */
	f = fake(with_field(FAKE_QEMU_CAP, VTD_CAP_MAMV, 2), FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x3000, 0x5000, true), 0);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].lo, 0x100e2);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].hi, 0);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x4000, 0x8000, true), 0);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].lo, 0x100f2);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].hi, 0x4042);	/* IH, AM 2 */
	ck_assert_uint_eq(stats(u).iotlb_domain, 1);
	ck_assert_uint_eq(stats(u).iotlb_page, 1);
	/* Rejected: empty/inverted range, DID beyond CAP.ND. */
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x5000, 0x5000, false), -EINVAL);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x6000, 0x5000, false), -EINVAL);
	ck_assert_int_eq(liommu__inval_iotlb_range(NULL, 1, 0, 0x1000, false), -EINVAL);
	down(f, u);

	/* No CAP.PSI: always domain-selective. */
	f = fake((FAKE_QEMU_CAP & ~VTD_CAP_PSI & ~0x7ULL) | 1, FAKE_QEMU_ECAP);
	u = up(f, NULL);
	ck_assert_uint_eq(u->did_count, 64);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x1000, 0x2000, true), 0);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].lo, 0x100e2);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 64, 0x1000, 0x2000, true), -EINVAL);
	ck_assert_int_eq(liommu__inval_iotlb_domain(u, 64), -EINVAL);
	ck_assert_int_eq(liommu__inval_context_device(u, 64, 8), -EINVAL);
	ck_assert_int_eq(liommu__inval_iotlb_domain(NULL, 1), -EINVAL);
	ck_assert_int_eq(liommu__inval_iotlb_global(NULL), -EINVAL);
	ck_assert_int_eq(liommu__inval_context_global(NULL), -EINVAL);
	ck_assert_int_eq(liommu_unit_invalidate_iotlb_all(NULL), -EINVAL);
	down(f, u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Write-buffer flush, cache flushes                                   */
/* ------------------------------------------------------------------ */

START_TEST(write_buffer_flush_before_invalidation)
{
	struct liommu_unit_config cfg = { .inval = _i ? LIOMMU_INVAL_REGISTER
						      : LIOMMU_INVAL_QUEUED };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP | VTD_CAP_RWBF, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, &cfg);

	/* WBF (GCMD bit 27) ahead of each invalidation, carrying QIE (26)
	 * when queued invalidation is on. */
	ck_assert_str_eq(f->events, _i ? "WCWI" : "WQQWQQ");
	ck_assert_uint_eq(f->gcmd_log[_i ? 1 : 2], _i ? 0x08000000u : 0x0c000000u);
	ck_assert_uint_eq(atomic_load(&u->st_wbf), 2);
	ck_assert_int_eq(liommu__flush_write_buffer(u), 0);
	ck_assert_uint_eq(f->nwbf, 3);
	down(f, u);

	/* Without RWBF there is nothing to flush. */
	f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	u = up(f, &cfg);
	ck_assert_str_eq(f->events, _i ? "CI" : "QQQQ");
	ck_assert_int_eq(liommu__flush_write_buffer(u), 0);
	ck_assert_uint_eq(f->nwbf, 0);
	down(f, u);
}
END_TEST

START_TEST(cache_flush_only_when_not_coherent)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);	/* C = 0 */
	struct liommu_unit *u = up(f, NULL);
	struct liommu_page pg;

	/* Root page, queue page, four descriptors. */
	ck_assert_uint_eq(f->flushes, 6);
	ck_assert_int_eq(liommu__page_alloc(u, &pg), 0);
	ck_assert_uint_eq(f->flushes, 7);
	liommu__flush(u, pg.va, 64);
	ck_assert_uint_eq(f->flushes, 8);
	liommu__page_free(u, &pg);
	ck_assert_ptr_null(pg.va);
	down(f, u);

	f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP | VTD_ECAP_C);
	u = up(f, NULL);
	ck_assert(u->coherent);
	ck_assert_int_eq(liommu__page_alloc(u, &pg), 0);
	liommu__flush(u, pg.va, 64);
	ck_assert_uint_eq(f->flushes, 0);
	liommu__page_free(u, &pg);
	down(f, u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Queued invalidation                                                 */
/* ------------------------------------------------------------------ */

START_TEST(queue_layout)
{
	struct liommu_unit_config cfg = { .qi_order = 2 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u;

	/* Pages handed out top-down still form one ascending ring. */
	f->alloc_descending = true;
	u = up(f, &cfg);
	ck_assert_uint_eq(u->iq_entries, 1024);
	ck_assert_uint_eq(fake_rd64(f, VTD_IQA_REG), u->iq.pa | 2);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(u->iq_pas[i], u->iq.pa + i * 4096);
	ck_assert_int_eq(liommu_unit_invalidate_iotlb_all(u), 0);
	down(f, u);

	/* A platform that never returns neighbours cannot hold 2 pages. */
	f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	f->alloc_gaps = true;
	cfg.qi_order = 1;
	u = NULL;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -ENOMEM);
	ck_assert_uint_eq(f->pages_live, 0);
	cfg.qi_order = 0;
	u = up(f, &cfg);
	down(f, u);
}
END_TEST

START_TEST(queue_wraps_around)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);
	struct liommu_unit_stats st;

	/* 256 slots, two per call: 300 calls go around more than twice. */
	for (unsigned int i = 0; i < 300; i++)
		ck_assert_int_eq(liommu__inval_iotlb_domain(u, (uint16_t)(i % 7)), 0);
	ck_assert_uint_eq(f->iq_head, u->iq_tail);
	ck_assert_uint_eq(u->iq_tail, (2 * 302) % 256);
	st = stats(u);
	ck_assert_uint_eq(st.inv_descs, 302);
	ck_assert_uint_eq(st.inv_waits, 302);
	ck_assert_uint_eq(st.iotlb_domain, 300);
	/* The last wait carried sequence number 302. */
	ck_assert_uint_eq(f->descs[f->ndescs - 1].lo >> 32, 302);
	down(f, u);
}
END_TEST

/*
 * A malformed descriptor in the middle of a batch: the unit stops with
 * IQE at it; the driver replaces it, clears IQE and the rest of the batch
 * runs.  _i = 0: the unit resumes when IQE is cleared (hardware);
 * _i = 1: it resumes only on a tail write (QEMU's model).
 */
START_TEST(queue_error_recovered)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);
	struct vtd_inv_desc batch[3] = {
		{ 0x11, 0 },		/* context-cache global */
		{ 0xf, 0 },		/* type 15: no such descriptor */
		{ 0x12, 0 },		/* IOTLB global */
	};
	unsigned int before;

	f->resume_on_iqe_clear = _i == 0;
	before = f->ndescs;
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 3), -EIO);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x10, 0);
	ck_assert_uint_eq(f->iq_head, u->iq_tail);
	ck_assert_uint_eq(atomic_load(&u->st_inv_errors), 1);
	/* Processed: the good ones, the replacement wait (status into the
	 * scratch word, dword 1 of the status page), the batch's wait. */
	ck_assert_uint_eq(f->ndescs - before, 4);
	ck_assert_uint_eq(f->descs[before].lo, 0x11);
	ck_assert_uint_eq(f->descs[before + 1].lo, 0x25);
	ck_assert_uint_eq(f->descs[before + 1].hi, u->status_page.pa + 4);
	ck_assert_uint_eq(f->descs[before + 2].lo, 0x12);
	ck_assert_uint_eq(f->descs[before + 3].lo & 0xffffffff, 0x65);

	/* A reserved bit in a valid type; then a bad wait descriptor. */
	batch[0].lo = 0x12 | (1ULL << 8);
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 1), -EIO);
	batch[0].lo = 0x25;
	batch[0].hi = u->status_page.pa + 5;	/* not dword aligned */
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 1), -EIO);
	ck_assert_uint_eq(atomic_load(&u->st_inv_errors), 3);

	/* The queue works afterwards. */
	ck_assert_int_eq(liommu__inval_context_global(u), 0);
	ck_assert_int_eq(liommu__qi_submit_raw(u, NULL, 0), 0);
	ck_assert_int_eq(liommu__qi_submit_raw(u, NULL, 1), -EINVAL);
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 255), -EINVAL);
	down(f, u);
}
END_TEST

START_TEST(queue_time_out_error)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);

	/* A device-TLB time-out aborts the wait: no status write. */
	f->ite_next_waits = 1;
	ck_assert_int_eq(liommu__inval_iotlb_global(u), -EIO);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x40, 0);
	ck_assert_uint_eq(f->iq_head, u->iq_tail);
	ck_assert_int_eq(liommu__inval_iotlb_global(u), 0);
	down(f, u);
}
END_TEST

START_TEST(queue_never_served)
{
	struct liommu_unit_config cfg = { .timeout_us = 2000 };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = NULL;

	f->qi_stuck = true;
	ck_assert_int_eq(liommu_unit_new(f->plat, &cfg, &u), -ETIMEDOUT);
	ck_assert_uint_eq(f->pages_live, 0);
	f->qi_stuck = false;
	u = up(f, &cfg);
	f->qi_stuck = true;
	ck_assert_int_eq(liommu__inval_context_device(u, 1, 8), -ETIMEDOUT);
	/* The ring keeps the stuck entries: a full ring times out too. */
	for (unsigned int i = 0; i < 130; i++)
		(void)liommu__inval_iotlb_global(u);
	ck_assert_int_eq(liommu__inval_iotlb_global(u), -ETIMEDOUT);
	f->qi_stuck = false;
	fake_vtd_kick(f);
	ck_assert_int_eq(liommu__inval_iotlb_global(u), 0);
	down(f, u);
}
END_TEST

START_TEST(interrupt_entry_cache)
{
	struct fake_vtd *f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, NULL);

	/* Global: type 4, G (bit 4) clear. */
	ck_assert_int_eq(liommu__inval_iec(u, true, 0, 0), 0);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].lo, 0x4);
	/* Index-selective: G set, IM 2 in 31:27, index 0x24 in 47:32. */
	ck_assert_int_eq(liommu__inval_iec(u, false, 0x24, 2), 0);
	ck_assert_uint_eq(f->descs[f->ndescs - 2].lo, 0x0000002410000014ULL);
	/* IM above ECAP.MHMV (15), index not aligned to 2^IM. */
	ck_assert_int_eq(liommu__inval_iec(u, false, 0, 16), -EINVAL);
	ck_assert_int_eq(liommu__inval_iec(u, false, 0x22, 2), -EINVAL);
	ck_assert_int_eq(liommu__inval_iec(NULL, true, 0, 0), -EINVAL);
	down(f, u);

	f = fake(FAKE_QEMU_CAP, FAKE_QEMU_ECAP & ~VTD_ECAP_IR);
	u = up(f, NULL);
	ck_assert_int_eq(liommu__inval_iec(u, true, 0, 0), -ENODEV);
	down(f, u);
}
END_TEST

struct worker {
	struct liommu_unit *u;
	unsigned int id;
	int failures;
};

static void *invalidate_loop(void *arg)
{
	struct worker *w = arg;

	for (unsigned int i = 0; i < 100; i++) {
		uint16_t did = (uint16_t)(w->id + 1);
		int ret;

		switch (i % 4) {
		case 0:
			ret = liommu__inval_iotlb_domain(w->u, did);
			break;
		case 1:
			ret = liommu__inval_iotlb_range(w->u, did, i * 0x1000ULL,
							(i + 3) * 0x1000ULL, i & 1);
			break;
		case 2:
			ret = liommu__inval_context_device(w->u, did, (uint16_t)i);
			break;
		default:
			ret = liommu__flush_write_buffer(w->u);
			break;
		}
		w->failures += ret != 0;
	}
	return NULL;
}

START_TEST(concurrent_invalidations)
{
	struct liommu_unit_config cfg = { .inval = _i ? LIOMMU_INVAL_REGISTER
						      : LIOMMU_INVAL_QUEUED };
	struct fake_vtd *f = fake(FAKE_QEMU_CAP | VTD_CAP_RWBF, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f, &cfg);
	struct worker w[4];
	pthread_t t[4];
	struct liommu_unit_stats st;

	for (unsigned int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .u = u, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, invalidate_loop, &w[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	st = stats(u);
	ck_assert_uint_eq(st.inv_descs, 2 + 300);
	ck_assert_uint_eq(st.inv_waits, 2 + 300);
	ck_assert_uint_eq(st.iotlb_domain, 100);
	ck_assert_uint_eq(st.iotlb_page, 100);
	ck_assert_uint_eq(st.context_invs, 1 + 100);
	/* One WBF ahead of every invalidation plus the explicit ones. */
	ck_assert_uint_eq(f->nwbf, 2 + 300 + 100);
	down(f, u);
}
END_TEST

START_TEST(getters_tolerate_null)
{
	struct liommu_unit_stats st;

	memset(&st, 0xff, sizeof(st));
	liommu_unit_get_stats(NULL, &st);
	ck_assert_uint_eq(st.inv_descs, 0);
	ck_assert_uint_eq(st.table_pages, 0);
	liommu_unit_get_stats(NULL, NULL);
	ck_assert_uint_eq(liommu_unit_cap(NULL), 0);
	ck_assert_uint_eq(liommu_unit_ecap(NULL), 0);
	ck_assert_uint_eq(liommu_unit_addr_width(NULL), 0);
	ck_assert_uint_eq(liommu_unit_levels(NULL), 0);
	ck_assert_ptr_null(liommu_unit_platform(NULL));
	liommu_unit_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("unit");
	TCase *tc;

	tc = tcase_create("bringup");
	tcase_add_test(tc, bringup_defaults);
	tcase_add_loop_test(tc, width_selection, 0,
			    (int)(sizeof(width_rows) / sizeof(width_rows[0])));
	tcase_add_test(tc, config_rejected);
	tcase_add_test(tc, queued_needs_ecap_qi);
	tcase_add_loop_test(tc, hostile_cap_refused, 0,
			    (int)(sizeof(hostile_rows) / sizeof(hostile_rows[0])));
	tcase_add_test(tc, superpages_dids_caching_mode);
	tcase_add_loop_test(tc, allocation_failures_unwind, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("gcmd");
	tcase_add_test(tc, firmware_left_translation_on);
	tcase_add_test(tc, gcmd_never_acknowledged);
	tcase_add_test(tc, free_leaks_what_the_unit_may_walk);
	tcase_add_test(tc, free_releases_context_tables);
	tcase_add_test(tc, getters_tolerate_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("register-invalidation");
	tcase_add_test(tc, register_commands_encoded);
	tcase_add_test(tc, register_commands_without_drain);
	tcase_add_loop_test(tc, register_commands_fail, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("queued-invalidation");
	tcase_add_loop_test(tc, psi_address_mask, 0,
			    (int)(sizeof(psi_rows) / sizeof(psi_rows[0])));
	tcase_add_test(tc, psi_fallbacks_and_rejections);
	tcase_add_loop_test(tc, write_buffer_flush_before_invalidation, 0, 2);
	tcase_add_test(tc, cache_flush_only_when_not_coherent);
	tcase_add_test(tc, queue_layout);
	tcase_add_test(tc, queue_wraps_around);
	tcase_add_loop_test(tc, queue_error_recovered, 0, 2);
	tcase_add_test(tc, queue_time_out_error);
	tcase_add_test(tc, queue_never_served);
	tcase_add_test(tc, interrupt_entry_cache);
	tcase_add_loop_test(tc, concurrent_invalidations, 0, 2);
	suite_add_tcase(s, tc);

	unit_qemu_tcases(s);
	return s;
}
