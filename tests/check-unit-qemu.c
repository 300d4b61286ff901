// SPDX-License-Identifier: MIT
/*
 * check-unit-qemu.c - the unit driver against QEMU 7.2's VT-d model.
 *
 * QEMU's intel_iommu.c is an implementation nobody here wrote: what it
 * accepts, what it reports in GSTS, CCMD.CAIG and IOTLB.IAIG, how it
 * stops on a malformed descriptor and which fault it records for edu's
 * DMA are the oracle for the driver.  Each test starts its own QEMU
 * (about 0.2 s) so that no state leaks between tests.
 *
 * Facts of QEMU 7.2 these tests rely on (hw/i386/intel_iommu.c): a
 * domain-selective context invalidation is performed, and reported in
 * CAIG, as global; CAP.MAMV is 18; descriptors with reserved bits set, an
 * unknown type, or a wait with neither SW nor IF stop the queue with
 * FSTS.IQE; fetching resumes on a tail write once IQE is clear.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <liommu/qemu.h>

#include "../libiommu/driver/inval.h"
#include "../libiommu/driver/unit.h"
#include "unit-tests.h"

/* The driver's last error message, for checking what it saw. */
struct log_capture {
	char last_err[512];
	unsigned int errors;
};

static void capture_log(void *priv, int level, const char *msg)
{
	struct log_capture *c = priv;

	if (level > 3)		/* LOG_ERR */
		return;
	c->errors++;
	snprintf(c->last_err, sizeof(c->last_err), "%s", msg);
}

static struct liommu_qemu *qemu_up(unsigned int aw_bits, bool intremap)
{
	struct liommu_qemu_config cfg = { .aw_bits = aw_bits, .intremap = intremap };
	struct liommu_qemu *q = NULL;

	ck_assert_int_eq(liommu_qemu_start(&cfg, &q), 0);
	ck_assert_ptr_nonnull(q);
	return q;
}

static struct liommu_unit *unit_up(struct liommu_qemu *q, const struct liommu_unit_config *cfg)
{
	struct liommu_unit *u = NULL;

	ck_assert_int_eq(liommu_unit_new(liommu_qemu_platform(q), cfg, &u), 0);
	ck_assert_ptr_nonnull(u);
	return u;
}

static uint32_t rd32(struct liommu_qemu *q, uint32_t off)
{
	return liommu__rd32(liommu_qemu_platform(q), off);
}

static uint64_t rd64(struct liommu_qemu *q, uint32_t off)
{
	return liommu__rd64(liommu_qemu_platform(q), off);
}

/* The queue is drained and the driver's tail is the unit's. */
static void assert_queue_idle(struct liommu_qemu *q, const struct liommu_unit *u)
{
	ck_assert_uint_eq(rd64(q, VTD_IQH_REG), (uint64_t)u->iq_tail << 4);
	ck_assert_uint_eq(rd64(q, VTD_IQT_REG), (uint64_t)u->iq_tail << 4);
	ck_assert_uint_eq(rd32(q, VTD_FSTS_REG) & 0x70, 0);
}

/* ------------------------------------------------------------------ */
/* Bring-up                                                            */
/* ------------------------------------------------------------------ */

/* _i = 0: aw-bits=39, _i = 1: aw-bits=48. */
START_TEST(qemu_bringup_width_and_gsts)
{
	unsigned int aw = _i ? 48 : 39;
	struct liommu_qemu *q = qemu_up(aw, false);
	struct liommu_unit *u = unit_up(q, NULL);
	struct liommu_unit_stats st;
	uint64_t cap = liommu_unit_cap(u);

	/* SAGAW: 39-bit only, or 39 and 48; MGAW = aw - 1. */
	ck_assert_uint_eq((cap >> 8) & 0x1f, _i ? 0x6 : 0x2);
	ck_assert_uint_eq((cap >> 16) & 0x3f, aw - 1);
	ck_assert_uint_eq(liommu_unit_addr_width(u), aw);
	ck_assert_uint_eq(liommu_unit_levels(u), _i ? 4 : 3);
	ck_assert_int_eq(liommu_unit_inval_mode(u), LIOMMU_INVAL_QUEUED);
	ck_assert_uint_eq(u->sllps, 3);
	ck_assert_uint_eq(u->did_count, 65536);
	ck_assert(!u->coherent);		/* QEMU: ECAP.C = 0 */

	/* Root pointer loaded (RTPS), QI on (QIES), translation off. */
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x44000000u);
	ck_assert_uint_eq(rd64(q, VTD_RTADDR_REG), u->root.pa);
	ck_assert_uint_eq(rd64(q, VTD_IQA_REG), u->iq.pa);
	assert_queue_idle(q, u);
	ck_assert_uint_eq(*(volatile uint32_t *)u->status_page.va, 2);
	liommu_unit_get_stats(u, &st);
	ck_assert_uint_eq(st.inv_descs, 2);
	ck_assert_uint_eq(st.inv_waits, 2);
	ck_assert_uint_eq(st.table_pages, 1);

	/* TES follows RTPS; RTPS stays set; RTADDR unchanged. */
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0xc4000000u);
	ck_assert_uint_eq(rd64(q, VTD_RTADDR_REG), u->root.pa);
	ck_assert_int_eq(liommu_unit_disable_translation(u), 0);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x44000000u);
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0xc4000000u);

	/* Free turns translation and QI off; QEMU resets IQH to 0. */
	liommu_unit_free(u);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x40000000u);
	ck_assert_uint_eq(rd64(q, VTD_IQH_REG), 0);

	/* A second bring-up on the same unit: IQT is reset before QIE. */
	u = unit_up(q, NULL);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x44000000u);
	assert_queue_idle(q, u);
	liommu_unit_free(u);
	liommu_qemu_stop(q);
}
END_TEST

START_TEST(qemu_width_not_supported)
{
	struct liommu_qemu *q = qemu_up(48, false);
	struct liommu_unit_config cfg = { .addr_width = 57 };
	struct liommu_unit *u = NULL;

	ck_assert_int_eq(liommu_unit_new(liommu_qemu_platform(q), &cfg, &u), -ENODEV);
	ck_assert_ptr_null(u);
	/* Nothing was written: GSTS as QEMU reset it. */
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0);
	cfg.addr_width = 39;
	u = unit_up(q, &cfg);
	ck_assert_uint_eq(liommu_unit_levels(u), 3);
	liommu_unit_free(u);
	liommu_qemu_stop(q);

	q = qemu_up(39, false);
	cfg.addr_width = 48;
	ck_assert_int_eq(liommu_unit_new(liommu_qemu_platform(q), &cfg, &u), -ENODEV);
	liommu_qemu_stop(q);
}
END_TEST

START_TEST(qemu_register_mode_granularity)
{
	struct liommu_qemu *q = qemu_up(48, false);
	struct liommu_unit_config cfg = { .inval = LIOMMU_INVAL_REGISTER };
	struct liommu_unit *u = unit_up(q, &cfg);
	struct liommu_unit_stats st;

	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x40000000u);	/* no QIES */
	/* Bring-up ended with a global IOTLB invalidation: IAIG 01. */
	ck_assert_uint_eq(u->reg_iaig, 1);
	ck_assert_uint_eq(rd64(q, 0xf8) >> 57 & 3, 1);

	ck_assert_int_eq(liommu__inval_context_global(u), 0);
	ck_assert_uint_eq(u->reg_caig, 1);
	ck_assert_int_eq(liommu__inval_context_device(u, 1, liommu_qemu_edu_sid(q)), 0);
	ck_assert_uint_eq(u->reg_caig, 3);
	ck_assert_uint_eq(rd64(q, VTD_CCMD_REG) >> 59 & 3, 3);
	ck_assert_uint_eq(rd64(q, VTD_CCMD_REG) >> 63, 0);	/* ICC clear */

	/* QEMU performs a domain-selective context invalidation as a
	 * global one and says so in CAIG (a coarser granularity is the
	 * unit's right, 11.4.7). */
	liommu__wr64(liommu_qemu_platform(q), VTD_CCMD_REG,
		     0xc000000000000001ULL);	/* ICC, CIRG 10, DID 1 */
	/* ICC 0, CIRG still 10, CAIG 01. */
	ck_assert_uint_eq(rd64(q, VTD_CCMD_REG) >> 59, 0x9);

	ck_assert_int_eq(liommu__inval_iotlb_global(u), 0);
	ck_assert_uint_eq(u->reg_iaig, 1);
	ck_assert_int_eq(liommu__inval_iotlb_domain(u, 1), 0);
	ck_assert_uint_eq(u->reg_iaig, 2);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x200000, 0x400000, true), 0);
	ck_assert_uint_eq(u->reg_iaig, 3);
	ck_assert_uint_eq(rd64(q, 0xf8) >> 63, 0);		/* IVT clear */
	/* 2^19 pages exceed MAMV 18: domain-selective instead. */
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0, 1ULL << 31, false), 0);
	ck_assert_uint_eq(u->reg_iaig, 2);

	liommu_unit_get_stats(u, &st);
	ck_assert_uint_eq(st.inv_descs, 2 + 6);
	ck_assert_uint_eq(st.inv_waits, 2 + 6);
	ck_assert_uint_eq(st.context_invs, 1 + 2);
	ck_assert_uint_eq(st.iotlb_global, 1 + 1);
	ck_assert_uint_eq(st.iotlb_domain, 2);
	ck_assert_uint_eq(st.iotlb_page, 1);
	ck_assert_uint_eq(atomic_load(&u->st_inv_errors), 0);
	liommu_unit_free(u);
	liommu_qemu_stop(q);
}
END_TEST

START_TEST(qemu_queued_invalidations)
{
	struct liommu_qemu *q = qemu_up(48, true);
	struct liommu_unit_config cfg = { .qi_order = (unsigned int)_i };
	struct liommu_unit *u = unit_up(q, &cfg);
	struct liommu_unit_stats st;

	ck_assert_uint_eq(rd64(q, VTD_IQA_REG), u->iq.pa | (unsigned int)_i);
	ck_assert_uint_eq(u->iq_entries, 256u << _i);
	ck_assert_int_eq(liommu__inval_context_global(u), 0);
	ck_assert_int_eq(liommu__inval_context_device(u, 1, liommu_qemu_edu_sid(q)), 0);
	ck_assert_int_eq(liommu__inval_iotlb_global(u), 0);
	ck_assert_int_eq(liommu__inval_iotlb_domain(u, 1), 0);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0x1000, 0x3000, true), 0);
	ck_assert_int_eq(liommu__inval_iotlb_range(u, 1, 0, 1ULL << 31, false), 0);
	ck_assert_int_eq(liommu__inval_iec(u, true, 0, 0), 0);
	ck_assert_int_eq(liommu__inval_iec(u, false, 0x10, 4), 0);
	assert_queue_idle(q, u);
	ck_assert_uint_eq(*(volatile uint32_t *)u->status_page.va, 2 + 8);

	/* Around the ring more than once. */
	for (unsigned int i = 0; i < (u->iq_entries / 2) + 10; i++)
		ck_assert_int_eq(liommu__inval_iotlb_domain(u, (uint16_t)i), 0);
	assert_queue_idle(q, u);

	liommu_unit_get_stats(u, &st);
	ck_assert_uint_eq(st.context_invs, 1 + 2);
	ck_assert_uint_eq(st.iotlb_global, 1 + 1);
	ck_assert_uint_eq(st.iotlb_domain, 2 + (u->iq_entries / 2) + 10);
	ck_assert_uint_eq(st.iotlb_page, 1);
	ck_assert_uint_eq(st.inv_descs, st.inv_waits);
	ck_assert_uint_eq(st.inv_descs, 2 + 8 + (u->iq_entries / 2) + 10);
	liommu_unit_free(u);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG) & 0x04000000u, 0);
	liommu_qemu_stop(q);
}
END_TEST

/*
 * Malformed descriptors: QEMU stops with FSTS.IQE and IQH at the bad
 * one; the driver reports -EIO, and the queue works afterwards.
 */
START_TEST(qemu_queue_error_recovered)
{
	struct liommu_qemu *q = qemu_up(48, false);
	struct log_capture log = { .errors = 0 };
	struct liommu_unit_config cfg = { .log = capture_log, .log_priv = &log };
	struct liommu_unit *u = unit_up(q, &cfg);
	const struct vtd_inv_desc rsvd = { 0x12 | (1ULL << 8), 0 };	/* IOTLB, bit 8 */
	const struct vtd_inv_desc type15 = { 0xf, 0 };
	const struct vtd_inv_desc nowait = { 0x5, 0 };	/* wait, no SW, no IF */
	const struct vtd_inv_desc batch[3] = { { 0x11, 0 }, { 0x2 | (3ULL << 4), 0xf00 },
					       { 0x12, 0 } };	/* middle: IOTLB hi rsvd */

	ck_assert_int_eq(liommu__qi_submit_raw(u, &rsvd, 1), -EIO);
	assert_queue_idle(q, u);
	/* IQH pointed at the bad descriptor (slot 4, after the bring-up's
	 * four); QEMU 7.2 has no IQERCD register, so IQEI reads 0. */
	ck_assert_uint_eq(log.errors, 1);
	ck_assert_msg(strstr(log.last_err, "slot 4 (IQERCD 0x0, IQEI 0: no detail): "
				 "descriptor 0x0000000000000000 0x0000000000000112"),
		      "%s", log.last_err);
	ck_assert_int_eq(liommu__inval_iotlb_global(u), 0);
	ck_assert_int_eq(liommu__qi_submit_raw(u, &type15, 1), -EIO);
	assert_queue_idle(q, u);
	ck_assert_int_eq(liommu__qi_submit_raw(u, &nowait, 1), -EIO);
	assert_queue_idle(q, u);
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 3), -EIO);
	assert_queue_idle(q, u);
	ck_assert_ptr_nonnull(strstr(log.last_err, "descriptor 0x0000000000000f00 "
					      "0x0000000000000032"));
	ck_assert_uint_eq(atomic_load(&u->st_inv_errors), 4);
	/* The replacement wait wrote the scratch word (data 0), the batch's
	 * own wait the completion word. */
	ck_assert_uint_eq(((volatile uint32_t *)u->status_page.va)[0], u->wait_seq);
	ck_assert_int_eq(liommu__inval_context_global(u), 0);
	ck_assert_int_eq(liommu__qi_submit_raw(u, batch, 1), 0);
	assert_queue_idle(q, u);

	/* QEMU only lets QI be disabled with the queue drained and a wait
	 * last: after recovery both hold. */
	liommu_unit_free(u);
	ck_assert_uint_eq(rd32(q, VTD_GSTS_REG), 0x40000000u);
	liommu_qemu_stop(q);
}
END_TEST

void unit_qemu_tcases(Suite *s)
{
	TCase *tc = tcase_create("qemu");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, qemu_bringup_width_and_gsts, 0, 2);
	tcase_add_test(tc, qemu_width_not_supported);
	tcase_add_test(tc, qemu_register_mode_granularity);
	tcase_add_loop_test(tc, qemu_queued_invalidations, 0, 2);
	tcase_add_test(tc, qemu_queue_error_recovered);
	suite_add_tcase(s, tc);
}

/* ------------------------------------------------------------------ */
/* Faults from a real DMA                                              */
/* ------------------------------------------------------------------ */

/*
 * Translation on, root table empty: every edu DMA is blocked with reason
 * 0x1 (root entry not present) and edu's source-id 00:01.0 = 0x0008.
 */
START_TEST(qemu_edu_fault_root_not_present)
{
	struct liommu_qemu *q = qemu_up(48, false);
	struct liommu_unit *u = unit_up(q, NULL);
	struct liommu_qemu_dma_result res;
	struct liommu_fault out[4];
	bool ovf = true;

	ck_assert_uint_eq(liommu_qemu_edu_sid(q), 0x0008);
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);

	/* edu writes memory: T = 0. */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x5000, 0, 64, &res), 0);
	ck_assert(res.faulted);
	ck_assert_uint_eq(rd32(q, VTD_FSTS_REG) & 0x2, 0x2);		/* PPF */
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, &ovf), 1);
	ck_assert(!ovf);
	ck_assert_uint_eq(out[0].reason, 0x1);
	ck_assert_str_eq(liommu_fault_reason_str(out[0].reason),
			 "root entry for the request's bus is not present");
	ck_assert_uint_eq(out[0].sid, 0x0008);
	ck_assert_uint_eq(out[0].addr, 0x5000);
	ck_assert(out[0].is_write);
	/* Cleared: F of the (only) record, PPF. */
	ck_assert_uint_eq(rd64(q, 0x228) >> 63, 0);
	ck_assert_uint_eq(rd32(q, VTD_FSTS_REG) & 0x3, 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, NULL), 0);

	/* edu reads memory: T = 1; a record again now that it was cleared. */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, 0x7123, 0, 16, &res), 0);
	ck_assert(res.faulted);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, NULL), 1);
	ck_assert_uint_eq(out[0].reason, 0x1);
	ck_assert_uint_eq(out[0].addr, 0x7000);
	ck_assert(!out[0].is_write);

	/* Translation off: QEMU passes DMA through, no fault. */
	ck_assert_int_eq(liommu_unit_disable_translation(u), 0);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, 0x7000, 0, 16, &res), 0);
	ck_assert(!res.faulted);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, NULL), 0);
	liommu_unit_free(u);
	liommu_qemu_stop(q);
}
END_TEST

/* A fault left pending before bring-up is cleared by it. */
START_TEST(qemu_stale_fault_cleared_by_bringup)
{
	struct liommu_qemu *q = qemu_up(48, false);
	struct liommu_unit *u = unit_up(q, NULL);
	struct liommu_qemu_dma_result res;
	struct liommu_fault out[2];

	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x1000, 0, 8, &res), 0);
	ck_assert(res.faulted);
	liommu_unit_free(u);		/* the record stays pending */
	ck_assert_uint_eq(rd32(q, VTD_FSTS_REG) & 0x2, 0x2);
	u = unit_up(q, NULL);
	ck_assert_uint_eq(rd32(q, VTD_FSTS_REG) & 0x3, 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 2, NULL), 0);
	liommu_unit_free(u);
	liommu_qemu_stop(q);
}
END_TEST

void fault_qemu_tcases(Suite *s)
{
	TCase *tc = tcase_create("qemu");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, qemu_edu_fault_root_not_present);
	tcase_add_test(tc, qemu_stale_fault_cleared_by_bringup);
	suite_add_tcase(s, tc);
}
