// SPDX-License-Identifier: MIT
/*
 * check-pgtable.c - the second-level page-table format against the
 * specification (9.8) and QEMU 7.2's rules, on the model through the
 * sim platform; the tests that need ECAP.SC, a count of cache flushes or
 * a unit that sees memory only once it is flushed run on
 * tests/fake/fake-vtd.c (tests/driver-env.h says why).
 *
 * Entry values are worked out by hand from the spec: a 4 KiB leaf is
 * pa | W (bit 1) | R (bit 0); a 2 MiB / 1 GiB leaf adds PS (bit 7); a
 * table entry is next-table pa | R | W; SNP (bit 11) only with ECAP.SC,
 * TM (bit 62) never.  Table indexes are bits 47:39, 38:30, 29:21 and 20:12
 * of the IOVA (spec 3.6).  Each test runs at 39 bits (3 levels) and 48
 * bits (4 levels).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <liommu/liommu.h>

#include "driver-env.h"

static const unsigned int widths[] = { 39, 48 };

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

/* Bits a table entry may carry besides its address: R and W. */
#define TABLE_LOW_BITS	0x3ULL
#define HIGH_BITS	0xfff0000000000000ULL

struct env {
	struct denv f;
	struct liommu_unit *u;
	struct liommu_domain *d;
	unsigned int width, levels;
};

static void env_init_cap(struct env *e, unsigned int width, uint64_t cap, uint64_t ecap,
			 enum denv_unit unit, bool no_superpages)
{
	denv_init(&e->f, cap, ecap, unit);
	ck_assert_int_eq(denv_unit(&e->f, width, no_superpages, &e->u), 0);
	ck_assert_int_eq(liommu_domain_new(e->u, &e->d), 0);
	e->width = width;
	e->levels = width == 39 ? 3 : 4;
	ck_assert_uint_eq(liommu_unit_levels(e->u), e->levels);
}

static void env_init(struct env *e, unsigned int width)
{
	env_init_cap(e, width, DENV_CAP, DENV_ECAP, DENV_MODEL, false);
}

static void env_fini(struct env *e)
{
	liommu_domain_free(e->d);
	liommu_unit_free(e->u);
	denv_fini(&e->f);
}

/* Root of the domain's table: attach a device and read its context entry
 * (spec 9.3: SLPTPTR in bits 63:12 of the lower half). */
static uint64_t table_root(struct env *e)
{
	uint64_t rta = denv_reg64(&e->f, VTD_RTADDR_REG) & ~0xfffULL;
	uint64_t root_lo, ctx_lo;

	if (liommu_domain_attach(e->d, 0x0008) != 0)
		return 0;
	root_lo = denv_read_pa(&e->f, rta);		/* bus 0 */
	ctx_lo = denv_read_pa(&e->f, (root_lo & ~0xfffULL) + 16 * 8); /* devfn 8 */
	return ctx_lo & ~0xfffULL;
}

/* Entry @idx of the table at @table_pa, as the unit reads it. */
static uint64_t entry(struct env *e, uint64_t table_pa, unsigned int idx)
{
	return denv_read_pa(&e->f, table_pa + 8ULL * idx);
}

/* Follow table entries from the root down to @level for @iova, checking
 * each is a well-formed table entry; returns the table at @level. */
static uint64_t table_at(struct env *e, uint64_t iova, unsigned int level)
{
	uint64_t t = table_root(e), v;
	unsigned int l;

	ck_assert_uint_ne(t, 0);
	for (l = e->levels; l > level; l--) {
		v = entry(e, t, (unsigned int)(iova >> (12 + 9 * (l - 1))) & 511);
		ck_assert_uint_eq(v & 0xfffULL, TABLE_LOW_BITS);
		ck_assert_uint_eq(v & HIGH_BITS, 0);
		ck_assert_uint_ne(v & ~0xfffULL, 0);
		t = v & ~0xfffULL;
	}
	return t;
}

static void expect_xlat(struct env *e, uint64_t iova, uint64_t pa, uint64_t size,
			unsigned int prot)
{
	uint64_t got_pa = 0, got_size = 0;
	unsigned int got_prot = 0;

	ck_assert_int_eq(liommu_domain_translate(e->d, iova, &got_pa, &got_prot, &got_size), 0);
	ck_assert_uint_eq(got_pa, pa);
	ck_assert_uint_eq(got_size, size);
	ck_assert_uint_eq(got_prot, prot);
}

static void expect_unmapped(struct env *e, uint64_t iova)
{
	uint64_t pa;

	ck_assert_int_eq(liommu_domain_translate(e->d, iova, &pa, NULL, NULL), -ENOENT);
}

static struct liommu_domain_stats stats(struct env *e)
{
	struct liommu_domain_stats st;

	liommu_domain_get_stats(e->d, &st);
	return st;
}

/* ------------------------------------------------------------------ */
/* Encodings                                                           */
/* ------------------------------------------------------------------ */

START_TEST(leaf_4k_entries_follow_prot)
{
	struct env e;
	/* 0x40201000: indexes 0 / 1 / 1 / 1 for levels 4 / 3 / 2 / 1. */
	const uint64_t iova = 0x40201000;
	uint64_t l1;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, iova, 0x12345000, SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, iova + SZ_4K, 0x23456000, SZ_4K,
					   LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, iova + 2 * SZ_4K, 0x34567000, SZ_4K,
					   LIOMMU_PROT_WRITE), 0);
	l1 = table_at(&e, iova, 1);
	ck_assert_uint_eq(entry(&e, l1, 0), 0);
	ck_assert_uint_eq(entry(&e, l1, 1), 0x12345003ULL);	/* R | W */
	ck_assert_uint_eq(entry(&e, l1, 2), 0x23456001ULL);	/* R */
	ck_assert_uint_eq(entry(&e, l1, 3), 0x34567002ULL);	/* W */
	ck_assert_uint_eq(entry(&e, l1, 4), 0);
	/* The levels above hold only the path to this table. */
	ck_assert_uint_eq(entry(&e, table_at(&e, iova, 2), 0), 0);
	ck_assert_uint_eq(entry(&e, table_at(&e, iova, 3), 0), 0);
	expect_xlat(&e, iova + 0x123, 0x12345123, SZ_4K, LIOMMU_PROT_RW);
	expect_xlat(&e, iova + SZ_4K, 0x23456000, SZ_4K, LIOMMU_PROT_READ);
	expect_xlat(&e, iova + 2 * SZ_4K + 8, 0x34567008, SZ_4K, LIOMMU_PROT_WRITE);
	env_fini(&e);
}
END_TEST

START_TEST(superpage_entries_have_ps)
{
	struct env e;

	env_init(&e, widths[_i]);
	/* 2 MiB at 1 GiB: level-3 index 1, level-2 index 0. */
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, 0x80000000, SZ_2M, LIOMMU_PROT_RW), 0);
	ck_assert_uint_eq(entry(&e, table_at(&e, SZ_1G, 2), 0), 0x80000083ULL);
	/* 1 GiB at 2 GiB: level-3 index 2, read-only. */
	ck_assert_int_eq(liommu_domain_map(e.d, 2 * SZ_1G, 0x140000000ULL, SZ_1G,
					   LIOMMU_PROT_READ), 0);
	ck_assert_uint_eq(entry(&e, table_at(&e, 2 * SZ_1G, 3), 2), 0x140000081ULL);
	expect_xlat(&e, SZ_1G + 0x1234, 0x80001234, SZ_2M, LIOMMU_PROT_RW);
	expect_xlat(&e, 2 * SZ_1G + 0x12345678, 0x152345678ULL, SZ_1G, LIOMMU_PROT_READ);
	env_fini(&e);
}
END_TEST

START_TEST(snoop_bit_only_with_ecap_sc)
{
	struct env e;
	uint64_t l1;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP | VTD_ECAP_SC, DENV_FAKE, false);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_4K, 0x5000, SZ_4K, LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_2M, 0x400000, SZ_2M, LIOMMU_PROT_RW), 0);
	l1 = table_at(&e, SZ_4K, 1);	/* table entries: R | W, no SNP */
	ck_assert_uint_eq(entry(&e, l1, 1), 0x5000ULL | (1ULL << 11) | 0x1);
	ck_assert_uint_eq(entry(&e, table_at(&e, SZ_2M, 2), 1),
			  0x400000ULL | (1ULL << 11) | 0x83);
	env_fini(&e);

	/* QEMU's ECAP (no SC): bit 11 is reserved at every level. */
	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_4K, 0x5000, SZ_4K, LIOMMU_PROT_READ), 0);
	ck_assert_uint_eq(entry(&e, table_at(&e, SZ_4K, 1), 1), 0x5001ULL);
	env_fini(&e);
}
END_TEST

START_TEST(transient_mapping_bit_never_set)
{
	struct env e;

	/* Even with ECAP.DT, where TM (bit 62) would be legal. */
	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP | VTD_ECAP_DT, DENV_MODEL, false);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x7000, SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_uint_eq(entry(&e, table_at(&e, 0, 1), 0), 0x7003ULL);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Page-size choice                                                    */
/* ------------------------------------------------------------------ */

START_TEST(unaligned_range_uses_largest_fitting_pages)
{
	struct env e;
	const uint64_t delta = 0x40000000;	/* keeps 1 GiB alignment */

	env_init(&e, widths[_i]);
	/* 4K | 2M | 2M | 4K */
	ck_assert_int_eq(liommu_domain_map(e.d, 0x1ff000, 0x1ff000 + delta,
					   SZ_4K + 2 * SZ_2M + SZ_4K, LIOMMU_PROT_RW), 0);
	expect_unmapped(&e, 0x1fe000);
	expect_xlat(&e, 0x1ff000, 0x1ff000 + delta, SZ_4K, LIOMMU_PROT_RW);
	expect_xlat(&e, 0x200000, 0x200000 + delta, SZ_2M, LIOMMU_PROT_RW);
	expect_xlat(&e, 0x400000, 0x400000 + delta, SZ_2M, LIOMMU_PROT_RW);
	expect_xlat(&e, 0x600000, 0x600000 + delta, SZ_4K, LIOMMU_PROT_RW);
	expect_unmapped(&e, 0x601000);
	/* 4K | 1G | 4K */
	ck_assert_int_eq(liommu_domain_map(e.d, 2 * SZ_1G - SZ_4K, 3 * SZ_1G - SZ_4K,
					   SZ_4K + SZ_1G + SZ_4K, LIOMMU_PROT_READ), 0);
	expect_xlat(&e, 2 * SZ_1G - SZ_4K, 3 * SZ_1G - SZ_4K, SZ_4K, LIOMMU_PROT_READ);
	expect_xlat(&e, 2 * SZ_1G + 0x3456789, 3 * SZ_1G + 0x3456789, SZ_1G, LIOMMU_PROT_READ);
	expect_xlat(&e, 3 * SZ_1G, 4 * SZ_1G, SZ_4K, LIOMMU_PROT_READ);
	ck_assert_uint_eq(stats(&e).mapped_bytes, 4 * SZ_4K + 2 * SZ_2M + SZ_1G);
	env_fini(&e);
}
END_TEST

START_TEST(misaligned_pa_forces_4k_pages)
{
	struct env e;
	uint64_t off;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_2M, SZ_2M + SZ_4K, SZ_2M, LIOMMU_PROT_RW), 0);
	for (off = 0; off < SZ_2M; off += 64 * SZ_4K)
		expect_xlat(&e, SZ_2M + off, SZ_2M + SZ_4K + off, SZ_4K, LIOMMU_PROT_RW);
	/* levels - 1 new tables, their links, 512 leaves. */
	ck_assert_uint_eq(stats(&e).pte_writes, (e.levels - 1) + 512);
	env_fini(&e);
}
END_TEST

START_TEST(no_superpages_config_and_sllps)
{
	struct env e;
	uint64_t cap_2m = (DENV_CAP & ~VTD_CAP_SLLPS) | vtd_field_prep(VTD_CAP_SLLPS, 1);
	uint64_t cap_none = DENV_CAP & ~VTD_CAP_SLLPS;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_MODEL, true);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, SZ_1G, SZ_1G, LIOMMU_PROT_RW), 0);
	expect_xlat(&e, SZ_1G + SZ_2M, SZ_1G + SZ_2M, SZ_4K, LIOMMU_PROT_RW);
	env_fini(&e);

	/* SLLPS = 2 MiB only: a 1 GiB aligned range uses 2 MiB pages. */
	env_init_cap(&e, widths[_i], cap_2m, DENV_ECAP, DENV_MODEL, false);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, SZ_1G, SZ_1G, LIOMMU_PROT_RW), 0);
	expect_xlat(&e, SZ_1G + SZ_2M, SZ_1G + SZ_2M, SZ_2M, LIOMMU_PROT_RW);
	env_fini(&e);

	env_init_cap(&e, widths[_i], cap_none, DENV_ECAP, DENV_MODEL, false);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_2M, SZ_2M, SZ_2M, LIOMMU_PROT_RW), 0);
	expect_xlat(&e, SZ_2M, SZ_2M, SZ_4K, LIOMMU_PROT_RW);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

START_TEST(bad_arguments_are_einval)
{
	struct env e;
	struct liommu_gather g = LIOMMU_GATHER_INIT;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0, 0, LIOMMU_PROT_RW), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(e.d, 0x800, 0, SZ_4K, LIOMMU_PROT_RW), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x800, SZ_4K, LIOMMU_PROT_RW), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0, 0x800, LIOMMU_PROT_RW), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0, SZ_4K, 0), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0, SZ_4K, 4), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, 0), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0x10, SZ_4K), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, 0x10), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap_nosync(e.d, 0, SZ_4K, NULL), -EINVAL);
	ck_assert_int_eq(liommu_domain_map(NULL, 0, 0, SZ_4K, LIOMMU_PROT_RW), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap(NULL, 0, SZ_4K), -EINVAL);
	ck_assert_int_eq(liommu_domain_unmap_nosync(NULL, 0, SZ_4K, &g), -EINVAL);
	ck_assert_int_eq(liommu_domain_flush(NULL, &g), -EINVAL);
	ck_assert_int_eq(liommu_domain_flush(e.d, NULL), -EINVAL);
	ck_assert_int_eq(liommu_domain_translate(NULL, 0, NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(stats(&e).pte_writes, 0);
	ck_assert_uint_eq(stats(&e).table_pages, 1);
	env_fini(&e);
}
END_TEST

START_TEST(beyond_address_width_is_erange)
{
	struct env e;
	uint64_t top;

	env_init(&e, widths[_i]);
	top = 1ULL << e.width;
	ck_assert_int_eq(liommu_domain_map(e.d, top, 0, SZ_4K, LIOMMU_PROT_RW), -ERANGE);
	ck_assert_int_eq(liommu_domain_map(e.d, top - SZ_4K, 0, 2 * SZ_4K, LIOMMU_PROT_RW),
			 -ERANGE);
	ck_assert_int_eq(liommu_domain_map(e.d, ~0xfffULL, 0, 2 * SZ_4K, LIOMMU_PROT_RW),
			 -ERANGE);
	/* Physical addresses are bits 51:12 of a leaf. */
	ck_assert_int_eq(liommu_domain_map(e.d, 0, (1ULL << 52) - SZ_4K, 2 * SZ_4K,
					   LIOMMU_PROT_RW), -ERANGE);
	ck_assert_int_eq(liommu_domain_unmap(e.d, top, SZ_4K), -ERANGE);
	ck_assert_int_eq(liommu_domain_translate(e.d, top, NULL, NULL, NULL), -ERANGE);
	/* The last page of the address space is fine. */
	ck_assert_int_eq(liommu_domain_map(e.d, top - SZ_4K, 0x9000, SZ_4K, LIOMMU_PROT_RW), 0);
	expect_xlat(&e, top - 1, 0x9fff, SZ_4K, LIOMMU_PROT_RW);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, (1ULL << 52) - SZ_4K, SZ_4K,
					   LIOMMU_PROT_RW), 0);
	env_fini(&e);
}
END_TEST

START_TEST(overlap_is_eexist_and_undone)
{
	struct env e;
	unsigned int iotlb;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, 0x10000, 0xaa000, SZ_4K, LIOMMU_PROT_RW), 0);
	denv_log_clear(&e.f);
	/* Overlap at the first page: nothing to undo, no invalidation. */
	ck_assert_int_eq(liommu_domain_map(e.d, 0x10000, 0xbb000, 2 * SZ_4K, LIOMMU_PROT_RW),
			 -EEXIST);
	ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 0);
	expect_unmapped(&e, 0x11000);
	/* Overlap in the middle: the 16 pages before it are withdrawn and
	 * invalidated, like any live mapping. */
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x100000, 0x20000, LIOMMU_PROT_RW), -EEXIST);
	iotlb = denv_log_count(&e.f, FAKE_IOTLB);
	ck_assert_uint_ge(iotlb, 1);
	expect_unmapped(&e, 0);
	expect_unmapped(&e, 0xf000);
	expect_unmapped(&e, 0x11000);
	expect_xlat(&e, 0x10000, 0xaa000, SZ_4K, LIOMMU_PROT_RW);
	ck_assert_uint_eq(stats(&e).mapped_bytes, SZ_4K);

	/* Inside and over a superpage. */
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G + SZ_2M, 0, SZ_2M, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G + SZ_2M + 0x5000, 0, SZ_4K,
					   LIOMMU_PROT_RW), -EEXIST);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G + SZ_2M, SZ_2M, SZ_2M, LIOMMU_PROT_RW),
			 -EEXIST);
	/* 1 GiB over it: the 2 MiB page before it is mapped, then undone. */
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, 0, SZ_1G, LIOMMU_PROT_RW), -EEXIST);
	expect_unmapped(&e, SZ_1G);
	expect_xlat(&e, SZ_1G + SZ_2M, 0, SZ_2M, LIOMMU_PROT_RW);
	ck_assert_uint_eq(stats(&e).mapped_bytes, SZ_4K + SZ_2M);
	env_fini(&e);
}
END_TEST

START_TEST(unmapping_holes_is_enoent_but_unmaps_the_rest)
{
	struct env e;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x1000, 2 * SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, 3 * SZ_4K, 0x5000, SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, 4 * SZ_4K), -ENOENT);
	expect_unmapped(&e, 0);
	expect_unmapped(&e, SZ_4K);
	expect_unmapped(&e, 3 * SZ_4K);
	ck_assert_uint_eq(stats(&e).mapped_bytes, 0);
	/* Nothing there at all. */
	ck_assert_int_eq(liommu_domain_unmap(e.d, 5 * SZ_1G, SZ_4K), -ENOENT);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Splitting superpages                                                */
/* ------------------------------------------------------------------ */

START_TEST(partial_unmap_splits_2m_page)
{
	struct env e;
	uint64_t l1, i;
	const uint64_t base = SZ_1G + SZ_2M, pa = 0x3c00000;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, base, pa, SZ_2M, LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_unmap(e.d, base + 3 * SZ_4K, SZ_4K), 0);
	/* The level-2 entry is now a table of 511 read-only 4 KiB leaves. */
	l1 = table_at(&e, base, 1);
	for (i = 0; i < 512; i++)
		ck_assert_uint_eq(entry(&e, l1, (unsigned int)i),
				  i == 3 ? 0 : (pa + i * SZ_4K) | 0x1);
	expect_xlat(&e, base + 2 * SZ_4K + 5, pa + 2 * SZ_4K + 5, SZ_4K, LIOMMU_PROT_READ);
	expect_unmapped(&e, base + 3 * SZ_4K);
	expect_xlat(&e, base + SZ_2M - 1, pa + SZ_2M - 1, SZ_4K, LIOMMU_PROT_READ);
	ck_assert_uint_eq(stats(&e).mapped_bytes, SZ_2M - SZ_4K);
	env_fini(&e);
}
END_TEST

START_TEST(partial_unmap_splits_1g_page)
{
	struct env e;
	const uint64_t base = 2 * SZ_1G, pa = 5 * SZ_1G;
	uint64_t l2, i;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, base, pa, SZ_1G, LIOMMU_PROT_RW), 0);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_unmap(e.d, base + SZ_2M + SZ_4K, SZ_4K), 0);
	/* 1 GiB -> 512 x 2 MiB, the second of which -> 512 x 4 KiB. */
	l2 = table_at(&e, base, 2);
	for (i = 0; i < 512; i += 37)
		if (i != 1)
			ck_assert_uint_eq(entry(&e, l2, (unsigned int)i),
					  (pa + i * SZ_2M) | 0x83);
	expect_xlat(&e, base, pa, SZ_2M, LIOMMU_PROT_RW);
	expect_xlat(&e, base + SZ_2M, pa + SZ_2M, SZ_4K, LIOMMU_PROT_RW);
	expect_unmapped(&e, base + SZ_2M + SZ_4K);
	expect_xlat(&e, base + SZ_1G - SZ_4K, pa + SZ_1G - SZ_4K, SZ_2M, LIOMMU_PROT_RW);
	ck_assert_uint_eq(stats(&e).mapped_bytes, SZ_1G - SZ_4K);
	/* Splitting changed table entries: the flush must not claim "leaf
	 * only" (IH = 0), whatever granularity it used. */
	ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 1);
	ck_assert_int_eq(denv_log_get(&e.f, 0).kind, FAKE_IOTLB);
	ck_assert(!denv_log_get(&e.f, 0).ih);
	/* Unmapping the rest leaves nothing mapped. */
	ck_assert_int_eq(liommu_domain_unmap(e.d, base, SZ_1G), -ENOENT);
	ck_assert_uint_eq(stats(&e).mapped_bytes, 0);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Freeing table pages                                                 */
/* ------------------------------------------------------------------ */

START_TEST(whole_span_unmap_frees_tables_after_flush)
{
	struct env e;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	uint64_t top_span;
	size_t live;

	env_init(&e, widths[_i]);
	/* 4 MiB of 4 KiB pages: one table per level, two at level 1. */
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x40001000, 2 * SZ_2M, LIOMMU_PROT_RW), 0);
	ck_assert_uint_eq(stats(&e).table_pages, e.levels + 1);
	live = denv_live_pages(&e.f);
	/* The span of one top-level entry covers everything below it. */
	top_span = 1ULL << (12 + 9 * (e.levels - 1));
	ck_assert_int_eq(liommu_domain_unmap_nosync(e.d, 0, top_span, &g), -ENOENT);
	expect_unmapped(&e, 0);
	ck_assert_ptr_nonnull(g.freelist);
	ck_assert(g.tables);
	ck_assert_uint_eq(g.start, 0);
	ck_assert_uint_eq(g.end, top_span);
	/* Not freed yet: the unit may still walk them until the flush. */
	ck_assert_uint_eq(denv_live_pages(&e.f), live);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_flush(e.d, &g), 0);
	ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 1);
	ck_assert(!denv_log_get(&e.f, 0).ih);
	ck_assert_uint_eq(denv_live_pages(&e.f), live - e.levels);
	ck_assert_uint_eq(stats(&e).table_pages, 1);
	ck_assert_uint_eq(stats(&e).mapped_bytes, 0);
	ck_assert_ptr_null(g.freelist);
	ck_assert_uint_eq(g.end, 0);
	/* An empty gather flushes nothing. */
	ck_assert_int_eq(liommu_domain_flush(e.d, &g), 0);
	ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 1);
	/* The domain works again afterwards. */
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x7000, SZ_4K, LIOMMU_PROT_RW), 0);
	expect_xlat(&e, 0, 0x7000, SZ_4K, LIOMMU_PROT_RW);
	env_fini(&e);
}
END_TEST

START_TEST(full_1g_of_4k_pages_unmaps_to_one_table)
{
	struct env e;

	/* 39 bits: the 1 GiB span is a whole top-level entry. */
	env_init(&e, 39);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x100001000ULL, SZ_1G, LIOMMU_PROT_RW), 0);
	ck_assert_uint_eq(stats(&e).table_pages, 1 + 1 + 512);
	ck_assert_uint_eq(stats(&e).mapped_bytes, SZ_1G);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, SZ_1G), 0);
	ck_assert_uint_eq(stats(&e).table_pages, 1);
	ck_assert_uint_eq(stats(&e).mapped_bytes, 0);
	ck_assert_uint_eq(stats(&e).peak_mapped_bytes, SZ_1G);
	env_fini(&e);
}
END_TEST

START_TEST(single_page_unmap_invalidates_that_page)
{
	struct env e;
	struct fake_cmd c;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, 0x123000, 0x456000, 4 * SZ_4K, LIOMMU_PROT_RW), 0);
	denv_log_clear(&e.f);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0x124000, SZ_4K), 0);
	ck_assert_uint_eq(denv_log_count(&e.f, FAKE_IOTLB), 1);
	c = denv_log_get(&e.f, 0);
	/* CAP.PSI is set: one page-selective invalidation of that page. */
	ck_assert_uint_eq(c.gran, VTD_IOTLB_GRAN_PAGE);
	ck_assert_uint_eq(c.did, liommu_domain_id(e.d));
	ck_assert_uint_eq(c.addr, 0x124000);
	ck_assert_uint_eq(c.am, 0);
	expect_xlat(&e, 0x123000, 0x456000, SZ_4K, LIOMMU_PROT_RW);
	expect_unmapped(&e, 0x124000);
	expect_xlat(&e, 0x125000, 0x458000, SZ_4K, LIOMMU_PROT_RW);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cache coherency and counters                                        */
/* ------------------------------------------------------------------ */

static void check_unit_view(struct env *e, uint64_t root, const uint64_t *probes,
			    unsigned int n)
{
	unsigned int i;
	uint64_t pa, size, wpa, wsize;
	unsigned int prot;
	int r;

	ck_assert_uint_eq(fake_vtd_image_mismatches(e->f.f), 0);
	for (i = 0; i < n; i++) {
		r = liommu_domain_translate(e->d, probes[i], &pa, &prot, &size);
		if (r) {
			ck_assert_int_eq(denv_walk(&e->f, root, e->levels, probes[i],
						   VTD_SLPTE_PRESENT, &wpa, &wsize), -1);
			continue;
		}
		ck_assert_int_eq(denv_walk(&e->f, root, e->levels, probes[i],
					   VTD_SLPTE_PRESENT, &wpa, &wsize), 0);
		ck_assert_uint_eq(wpa, pa);
		ck_assert_uint_eq(wsize, size);
	}
}

START_TEST(non_coherent_unit_sees_every_entry)
{
	struct env e;
	uint64_t root;
	static const uint64_t probes[] = {
		0, 0x1000, 0x5000, SZ_2M, SZ_2M + 0x3000, SZ_1G, SZ_1G + 0x12345678,
		2 * SZ_1G, 3 * SZ_1G - SZ_4K,
	};

	/* QEMU's ECAP.C = 0; the fake's memory changes only on flush. */
	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP, DENV_FAKE_IMAGE, false);
	root = table_root(&e);
	check_unit_view(&e, root, probes, 9);
	ck_assert_int_eq(liommu_domain_map(e.d, 0x1000, 0x9000, 5 * SZ_4K, LIOMMU_PROT_RW), 0);
	check_unit_view(&e, root, probes, 9);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_2M, SZ_2M, SZ_2M, LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, 0, SZ_1G, LIOMMU_PROT_RW), 0);
	check_unit_view(&e, root, probes, 9);
	ck_assert_int_eq(liommu_domain_unmap(e.d, SZ_2M + 0x3000, SZ_4K), 0);
	ck_assert_int_eq(liommu_domain_unmap(e.d, SZ_1G + SZ_2M, SZ_4K), 0);
	check_unit_view(&e, root, probes, 9);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, SZ_1G), -ENOENT);
	check_unit_view(&e, root, probes, 9);
	env_fini(&e);
}
END_TEST

START_TEST(coherent_unit_gets_no_flushes)
{
	struct env e;
	uint64_t before;

	env_init_cap(&e, widths[_i], DENV_CAP, DENV_ECAP | VTD_ECAP_C, DENV_FAKE, false);
	before = e.f.f->flushes;
	ck_assert_int_eq(liommu_domain_map(e.d, 0, SZ_2M + SZ_4K, SZ_2M, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_1G, SZ_1G, SZ_1G, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_unmap(e.d, SZ_1G, SZ_4K), 0);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, SZ_2M), 0);
	ck_assert_uint_eq(e.f.f->flushes, before);
	env_fini(&e);
}
END_TEST

START_TEST(counters_count_entries_pages_and_bytes)
{
	struct env e;
	struct liommu_domain_stats st;

	env_init(&e, widths[_i]);
	st = stats(&e);
	ck_assert_uint_eq(st.table_pages, 1);
	ck_assert_uint_eq(st.pte_writes, 0);
	ck_assert_int_eq(liommu_domain_map(e.d, 0, 0x1000, SZ_4K, LIOMMU_PROT_RW), 0);
	st = stats(&e);
	ck_assert_uint_eq(st.pte_writes, e.levels);	/* levels-1 links + leaf */
	ck_assert_uint_eq(st.table_pages, e.levels);
	ck_assert_uint_eq(st.mapped_bytes, SZ_4K);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_4K, 0x2000, SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(e.d, SZ_2M, SZ_2M, SZ_2M, LIOMMU_PROT_RW), 0);
	st = stats(&e);
	ck_assert_uint_eq(st.pte_writes, e.levels + 2);
	ck_assert_uint_eq(st.mapped_bytes, 2 * SZ_4K + SZ_2M);
	ck_assert_int_eq(liommu_domain_unmap(e.d, 0, 2 * SZ_4K), 0);
	st = stats(&e);
	ck_assert_uint_eq(st.pte_writes, e.levels + 4);
	ck_assert_uint_eq(st.mapped_bytes, SZ_2M);
	ck_assert_uint_eq(st.peak_mapped_bytes, 2 * SZ_4K + SZ_2M);
	/* A split writes 512 new entries and the link to them. */
	ck_assert_int_eq(liommu_domain_unmap(e.d, SZ_2M, SZ_4K), 0);
	st = stats(&e);
	ck_assert_uint_eq(st.pte_writes, e.levels + 4 + 512 + 1 + 1);
	ck_assert_uint_eq(st.table_pages, e.levels + 1);
	env_fini(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Concurrency: disjoint ranges from four threads                     */
/* ------------------------------------------------------------------ */

#define NTHREADS	4
#define FINE_PAGES	1024	/* per thread, interleaved with the others */
#define PA_OFF		0x200000000ULL
#define FINE_BASE	0x10000000ULL
#define SPLIT_BASE	SZ_1G
#define SPLIT_PAGES	4	/* 2 MiB superpages split by all threads */
#define DETACH_BASE	(2 * SZ_1G)
#define ROUNDS		8

struct worker {
	struct env *e;
	pthread_barrier_t *bar;
	unsigned int t;
	int err;
};

#define W_CHECK(cond) do { if (!(cond)) { w->err = __LINE__; return NULL; } } while (0)

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct liommu_domain *d = w->e->d;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	uint64_t iova, pa, size, k, s, r;

	pthread_barrier_wait(w->bar);
	/* Fine interleave: neighbours share every level-1 table. */
	for (k = 0; k < FINE_PAGES; k++) {
		iova = FINE_BASE + (k * NTHREADS + w->t) * SZ_4K;
		W_CHECK(liommu_domain_map(d, iova, iova + PA_OFF, SZ_4K, LIOMMU_PROT_RW) == 0);
	}
	/* All threads split the same superpages at once. */
	for (s = 0; s < SPLIT_PAGES; s++) {
		iova = SPLIT_BASE + s * SZ_2M + (1 + 2 * w->t) * 16 * SZ_4K;
		W_CHECK(liommu_domain_unmap_nosync(d, iova, SZ_4K, &g) == 0);
	}
	W_CHECK(liommu_domain_flush(d, &g) == 0);
	for (k = 0; k < FINE_PAGES; k++) {
		iova = FINE_BASE + (k * NTHREADS + w->t) * SZ_4K;
		W_CHECK(liommu_domain_translate(d, iova, &pa, NULL, &size) == 0);
		W_CHECK(pa == iova + PA_OFF && size == SZ_4K);
		if (k & 1)
			W_CHECK(liommu_domain_unmap_nosync(d, iova, SZ_4K, &g) == 0);
	}
	W_CHECK(liommu_domain_flush(d, &g) == 0);
	/* Whole level-1 tables built and torn down next to each other. */
	for (r = 0; r < ROUNDS; r++) {
		iova = DETACH_BASE + w->t * SZ_2M;
		W_CHECK(liommu_domain_map(d, iova, iova + PA_OFF + SZ_4K, SZ_2M,
					  LIOMMU_PROT_RW) == 0);
		W_CHECK(liommu_domain_translate(d, iova + SZ_2M - SZ_4K, &pa, NULL, &size) == 0);
		W_CHECK(pa == iova + PA_OFF + SZ_2M && size == SZ_4K);
		W_CHECK(liommu_domain_unmap(d, iova, SZ_2M) == 0);
	}
	return NULL;
}

START_TEST(disjoint_map_unmap_from_four_threads)
{
	struct env e;
	pthread_barrier_t bar;
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	uint64_t iova, pa, size, k, s;
	unsigned int t;

	env_init(&e, widths[_i]);
	ck_assert_int_eq(liommu_domain_map(e.d, SPLIT_BASE, SPLIT_BASE + PA_OFF,
					   SPLIT_PAGES * SZ_2M, LIOMMU_PROT_RW), 0);
	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){ .e = &e, .bar = &bar, .t = t };
		ck_assert_int_eq(pthread_create(&th[t], NULL, worker_fn, &w[t]), 0);
	}
	for (t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		ck_assert_msg(w[t].err == 0, "thread %u failed at line %d", t, w[t].err);
	}
	pthread_barrier_destroy(&bar);

	for (k = 0; k < FINE_PAGES * NTHREADS; k++) {
		iova = FINE_BASE + k * SZ_4K;
		if ((k / NTHREADS) & 1)
			expect_unmapped(&e, iova);
		else
			expect_xlat(&e, iova, iova + PA_OFF, SZ_4K, LIOMMU_PROT_RW);
	}
	for (s = 0; s < SPLIT_PAGES; s++) {
		for (k = 0; k < 512; k++) {
			iova = SPLIT_BASE + s * SZ_2M + k * SZ_4K;
			if (k % 32 == 16 && k / 32 < NTHREADS) {
				expect_unmapped(&e, iova);
				continue;
			}
			ck_assert_int_eq(liommu_domain_translate(e.d, iova, &pa, NULL, &size), 0);
			ck_assert_uint_eq(pa, iova + PA_OFF);
			ck_assert_uint_eq(size, SZ_4K);
		}
	}
	for (t = 0; t < NTHREADS; t++)
		expect_unmapped(&e, DETACH_BASE + t * SZ_2M);
	ck_assert_uint_eq(stats(&e).mapped_bytes,
			  FINE_PAGES * NTHREADS / 2 * SZ_4K +
			  SPLIT_PAGES * (SZ_2M - NTHREADS * SZ_4K));
	env_fini(&e);
}
END_TEST

Suite *pgtable_suite(void);
Suite *pgtable_suite(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc;
	int n = (int)(sizeof(widths) / sizeof(widths[0]));

	tc = tcase_create("encodings");
	tcase_add_loop_test(tc, leaf_4k_entries_follow_prot, 0, n);
	tcase_add_loop_test(tc, superpage_entries_have_ps, 0, n);
	tcase_add_loop_test(tc, snoop_bit_only_with_ecap_sc, 0, n);
	tcase_add_loop_test(tc, transient_mapping_bit_never_set, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("page_sizes");
	tcase_add_loop_test(tc, unaligned_range_uses_largest_fitting_pages, 0, n);
	tcase_add_loop_test(tc, misaligned_pa_forces_4k_pages, 0, n);
	tcase_add_loop_test(tc, no_superpages_config_and_sllps, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, bad_arguments_are_einval, 0, n);
	tcase_add_loop_test(tc, beyond_address_width_is_erange, 0, n);
	tcase_add_loop_test(tc, overlap_is_eexist_and_undone, 0, n);
	tcase_add_loop_test(tc, unmapping_holes_is_enoent_but_unmaps_the_rest, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("split");
	tcase_add_loop_test(tc, partial_unmap_splits_2m_page, 0, n);
	tcase_add_loop_test(tc, partial_unmap_splits_1g_page, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("freeing");
	tcase_add_loop_test(tc, whole_span_unmap_frees_tables_after_flush, 0, n);
	tcase_add_test(tc, full_1g_of_4k_pages_unmaps_to_one_table);
	tcase_add_loop_test(tc, single_page_unmap_invalidates_that_page, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("coherency_and_counters");
	tcase_add_loop_test(tc, non_coherent_unit_sees_every_entry, 0, n);
	tcase_add_loop_test(tc, coherent_unit_gets_no_flushes, 0, n);
	tcase_add_loop_test(tc, counters_count_entries_pages_and_bytes, 0, n);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, disjoint_map_unmap_from_four_threads, 0, n);
	suite_add_tcase(s, tc);
	return s;
}
