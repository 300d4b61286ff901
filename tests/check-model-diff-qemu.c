// SPDX-License-Identifier: MIT
/*
 * check-model-diff-qemu.c - the differential runner's QEMU half: one QEMU 7.2
 * (intel-iommu aw-bits=48, intremap=on, edu) against the sim with the
 * model's default configuration, LIOMMU_DIFF_N (default 200) seeded
 * random scenarios.  Built only when configure found qemu-system-x86_64.
 */
#include <string.h>

#include <check.h>

#include <liommu/model.h>
#include <liommu/qemu.h>

#include "diff-scenario.h"

START_TEST(qemu_vs_sim_random_scenarios)
{
	/* A generous bound: make check runs on a loaded machine. */
	struct liommu_qemu_config qc = { .aw_bits = 48, .intremap = true, .timeout_ms = 60000 };
	struct liommu_qemu *q = NULL;
	struct diff_side a, b;
	int r;

	r = liommu_qemu_start(&qc, &q);
	ck_assert_msg(r == 0, "liommu_qemu_start: %s", strerror(-r));
	ck_assert_int_eq(diff_side_sim(&a, NULL), 0);
	ck_assert_int_eq(diff_side_qemu(&b, q), 0);
	/* CAP and ECAP are the first observables compared: QEMU's must be
	 * the model's defaults. */
	diff_run_many(&a, &b, diff_count(200));
	diff_side_fini(&a);
	diff_side_fini(&b);
	liommu_sim_free(a.sim);
	liommu_qemu_stop(q);
}
END_TEST

void diff_qemu_tcases(Suite *s)
{
	TCase *tc = tcase_create("qemu");

	tcase_add_test(tc, qemu_vs_sim_random_scenarios);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
}
