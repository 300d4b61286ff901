// SPDX-License-Identifier: MIT
/*
 * check-viommu.c - the vIOMMU engine (liommu/viommu.h): the unit a guest
 * sees.  The capability set is checked against QEMU 7.2 itself (the
 * registers of -device intel-iommu,caching-mode=on read over qtest),
 * not against numbers written here, when QEMU is installed; the decoded
 * fields are checked against the specification's field layout either
 * way.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <liommu/model.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>
#ifdef LIOMMU_QEMU_TESTS
#include <liommu/qemu.h>
#endif

static uint64_t bits(uint64_t v, unsigned int lo, unsigned int hi)
{
	return (v >> lo) & ((2ULL << (hi - lo)) - 1);
}

/* A model built from the default configuration, with a memory
 * interface that has no memory (nothing in these tests reads it). */
static int no_mem_read(void *priv, uint64_t pa, void *buf, size_t len)
{
	(void)priv; (void)pa; (void)buf; (void)len;
	return -EFAULT;
}

static int no_mem_write(void *priv, uint64_t pa, const void *buf, size_t len)
{
	(void)priv; (void)pa; (void)buf; (void)len;
	return -EFAULT;
}

static const struct liommu_model_mem_ops no_mem_ops = {
	.read = no_mem_read, .write = no_mem_write,
};

static struct liommu_model *default_unit(void)
{
	struct liommu_viommu_config cfg;
	struct liommu_model *m = NULL;

	liommu_viommu_config_default(&cfg);
	cfg.unit.mem.ops = &no_mem_ops;
	ck_assert_int_eq(liommu_model_new(&cfg.unit, &m), 0);
	return m;
}

/* The fields the default promises, decoded by the spec's layout (11.4.2,
 * 11.4.3): a change of the default that breaks a promise of the header
 * fails here even without QEMU. */
START_TEST(test_default_fields)
{
	struct liommu_model *m = default_unit();
	uint64_t cap = liommu_model_cap(m), ecap = liommu_model_ecap(m);

	ck_assert_uint_eq(bits(cap, 7, 7), 1);		/* CM */
	ck_assert_uint_eq(bits(cap, 8, 12), 0x2);	/* SAGAW: 39-bit only */
	ck_assert_uint_eq(bits(cap, 16, 21) + 1, 39);	/* MGAW */
	ck_assert_uint_eq(bits(cap, 0, 2), 6);		/* ND: 65536 domains */
	ck_assert_uint_eq(bits(cap, 34, 37), 3);	/* SLLPS: 2 MiB, 1 GiB */
	ck_assert_uint_eq(bits(cap, 39, 39), 1);	/* PSI */
	ck_assert_uint_eq(bits(cap, 40, 47) + 1, 1);	/* NFR */
	ck_assert_uint_eq(bits(cap, 24, 33) * 16, 0x220);	/* FRO */
	ck_assert_uint_eq(bits(ecap, 1, 1), 1);		/* QI */
	ck_assert_uint_eq(bits(ecap, 3, 3), 1);		/* IR */
	ck_assert_uint_eq(bits(ecap, 8, 17) * 16, 0xf0);	/* IRO */
	ck_assert_uint_eq(bits(ecap, 43, 43), 0);	/* SMTS: never scalable mode */
	ck_assert_uint_eq(liommu_model_read32(m, VTD_VER_REG), 0x10);
	liommu_model_free(m);
}
END_TEST

#ifdef LIOMMU_QEMU_TESTS
static uint64_t qemu_reg(struct liommu_qemu *q, const char *cmd)
{
	char reply[64];

	ck_assert_int_eq(liommu_qemu_qtest(q, cmd, reply, sizeof(reply)), 0);
	return strtoull(reply, NULL, 0);
}

/* The oracle: QEMU 7.2 with the options the header names (aw-bits 39 is
 * QEMU 7.2's default; intremap=on is what its "auto" becomes under TCG). */
START_TEST(test_default_equals_qemu)
{
	struct liommu_qemu_config qc = { .aw_bits = 39, .intremap = true, .caching_mode = true };
	struct liommu_qemu *q = NULL;
	struct liommu_model *m = default_unit();
	uint64_t qcap, qecap, qver;

	ck_assert_int_eq(liommu_qemu_start(&qc, &q), 0);
	qver = qemu_reg(q, "readl 0xfed90000");
	qcap = qemu_reg(q, "readq 0xfed90008");
	qecap = qemu_reg(q, "readq 0xfed90010");
	liommu_qemu_stop(q);
	ck_assert_msg(liommu_model_cap(m) == qcap, "CAP %#llx, QEMU %#llx",
		      (unsigned long long)liommu_model_cap(m), (unsigned long long)qcap);
	ck_assert_msg(liommu_model_ecap(m) == qecap, "ECAP %#llx, QEMU %#llx",
		      (unsigned long long)liommu_model_ecap(m), (unsigned long long)qecap);
	ck_assert_uint_eq(liommu_model_read32(m, VTD_VER_REG), qver);
	liommu_model_free(m);
}
END_TEST
#endif

Suite *viommu_suite(void);
Suite *viommu_suite(void)
{
	Suite *s = suite_create("viommu");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_default_fields);
#ifdef LIOMMU_QEMU_TESTS
	tcase_add_test(tc, test_default_equals_qemu);
	tcase_set_timeout(tc, 60);
#endif
	suite_add_tcase(s, tc);
	return s;
}
