// SPDX-License-Identifier: MIT
/*
 * check-fault.c - fault records: decoding against the spec's layout,
 * reason strings, and collecting/clearing records from a unit.
 *
 * Records are built by hand from the bit positions of spec 11.4.14 (not
 * with vtd.h's masks).  Collection runs against tests/fake/fake-vtd.c with
 * four recording registers (QEMU has one and collapses faults of a
 * pending source-id, so it can show neither the ring walk nor PFO with
 * records); the real DMA fault from QEMU's edu is in check-unit-qemu.c.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <check.h>

#include <liommu/liommu.h>

#include "fake/fake-vtd.h"
#include "unit-tests.h"

/* QEMU's CAP with NFR = 3 (four records at 0x220). */
#define CAP_4_RECORDS	(FAKE_QEMU_CAP | (3ULL << 40))

START_TEST(decode_all_fields)
{
	struct liommu_fault f;

	/* F 63, T 62 = 0 (write), AT 61:60 = 2, PV 59:40 = 0x12345,
	 * FR 39:32 = 0x06, PP 31, EXE 30, PRIV 29, SID 15:0 = 0x0108. */
	memset(&f, 0xaa, sizeof(f));
	liommu_fault_decode(0x00000000deadbabcULL, 0xa1234506e0000108ULL, &f);
	ck_assert_uint_eq(f.addr, 0xdeadb000ULL);	/* FI is 63:12 */
	ck_assert_uint_eq(f.sid, 0x0108);
	ck_assert_uint_eq(f.reason, 0x06);
	ck_assert(f.is_write);
	ck_assert_uint_eq(f.at, 2);
	ck_assert(f.pasid_present);
	ck_assert_uint_eq(f.pasid, 0x12345);
	ck_assert(f.exec);
	ck_assert(f.priv);

	/* The record QEMU writes for a blocked read by 00:01.0 with no
	 * root entry: F, T = 1, FR = 0x01, SID 0x0008. */
	liommu_fault_decode(0x1000, 0xc000000100000008ULL, &f);
	ck_assert_uint_eq(f.addr, 0x1000);
	ck_assert_uint_eq(f.sid, 0x0008);
	ck_assert_uint_eq(f.reason, 0x01);
	ck_assert(!f.is_write);
	ck_assert_uint_eq(f.at, 0);
	ck_assert(!f.pasid_present);
	ck_assert_uint_eq(f.pasid, 0);
	ck_assert(!f.exec);
	ck_assert(!f.priv);

	/* Interrupt-remapping fault: FI[63:48] carries the index. */
	liommu_fault_decode(0x1234000000000000ULL, 0x8000002200000010ULL, &f);
	ck_assert_uint_eq(f.addr >> 48, 0x1234);
	ck_assert_uint_eq(f.reason, 0x22);
	ck_assert_uint_eq(f.sid, 0x0010);

	/* The highest values every field can hold. */
	liommu_fault_decode(~0ULL, ~0ULL, &f);
	ck_assert_uint_eq(f.addr, 0xfffffffffffff000ULL);
	ck_assert_uint_eq(f.sid, 0xffff);
	ck_assert_uint_eq(f.reason, 0xff);
	ck_assert_uint_eq(f.at, 3);
	ck_assert_uint_eq(f.pasid, 0xfffff);
	ck_assert(!f.is_write);

	liommu_fault_decode(1, 2, NULL);	/* tolerated */
}
END_TEST

static const struct {
	unsigned int code;
	const char *word;	/* a word the spec's condition implies */
} reason_rows[] = {
	{ 0x01, "root entry" },
	{ 0x02, "context entry" },
	{ 0x03, "context entry" },
	{ 0x04, "MGAW" },
	{ 0x05, "write" },
	{ 0x06, "read" },
	{ 0x07, "second-level" },
	{ 0x08, "RTADDR" },
	{ 0x09, "CTP" },
	{ 0x0a, "root entry" },
	{ 0x0b, "context entry" },
	{ 0x0c, "paging entry" },
	{ 0x0d, "TT" },
	{ 0x20, "interrupt request" },
	{ 0x21, "index" },
	{ 0x22, "not present" },
	{ 0x23, "IRTA" },
	{ 0x24, "reserved" },
	{ 0x25, "compatibility" },
	{ 0x26, "source-id" },
	{ 0x27, "posted" },
};

START_TEST(reason_strings_for_every_code)
{
	const char *s = liommu_fault_reason_str(reason_rows[_i].code);
	unsigned int j;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_ne(s, "reserved fault reason");
	ck_assert_ptr_nonnull(strstr(s, reason_rows[_i].word));
	/* Each code has its own text. */
	for (j = 0; j < sizeof(reason_rows) / sizeof(reason_rows[0]); j++)
		if (j != (unsigned int)_i)
			ck_assert_str_ne(s, liommu_fault_reason_str(reason_rows[j].code));
}
END_TEST

START_TEST(reason_strings_reserved)
{
	static const unsigned int codes[] = {
		0x00, 0x0e, 0x0f, 0x10, 0x1f, 0x28, 0x2f, 0x30, 0x58, 0xff, 0x100, UINT_MAX,
	};

	for (unsigned int i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		ck_assert_str_eq(liommu_fault_reason_str(codes[i]), "reserved fault reason");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Collecting records                                                  */
/* ------------------------------------------------------------------ */

static struct liommu_unit *up(struct fake_vtd *f)
{
	struct liommu_unit *u = NULL;

	ck_assert_int_eq(liommu_unit_new(f->plat, NULL, &u), 0);
	return u;
}

static void down(struct fake_vtd *f, struct liommu_unit *u)
{
	liommu_unit_free(u);
	ck_assert_uint_eq(f->pages_live, 0);
	ck_assert_uint_eq(f->bad_accesses, 0);
	fake_vtd_free(f);
}

static uint64_t frcd_hi(struct fake_vtd *f, unsigned int i)
{
	return fake_rd64(f, 0x220 + 16 * i + 8);
}

/* Record @n faults starting at register @first, wrapping at 4; fault k
 * has page 0x1000 * (k + 1) and source-id 0x100 + k. */
static void record(struct fake_vtd *f, unsigned int first, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++)
		fake_vtd_record_fault(f, (first + k) % 4, 0x1000ULL * (k + 1),
				      0x0000000600000000ULL | (0x100 + k));
}

START_TEST(ring_walk_from_fri)
{
	struct fake_vtd *f = fake_vtd_new(CAP_4_RECORDS, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f);
	struct liommu_fault out[8];
	bool ovf = true;

	record(f, 2, 3);	/* registers 2, 3, 0; FRI = 2 */
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG), 0x0202);	/* FRI 2, PPF */
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, &ovf), 3);
	ck_assert(!ovf);
	for (unsigned int k = 0; k < 3; k++) {
		ck_assert_uint_eq(out[k].addr, 0x1000ULL * (k + 1));
		ck_assert_uint_eq(out[k].sid, 0x100 + k);
		ck_assert_uint_eq(out[k].reason, 6);
		ck_assert(out[k].is_write);
	}
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(frcd_hi(f, i) >> 63, 0);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x3, 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, NULL), 0);
	down(f, u);
}
END_TEST

START_TEST(records_beyond_max_stay_pending)
{
	struct fake_vtd *f = fake_vtd_new(CAP_4_RECORDS, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f);
	struct liommu_fault out[4];

	record(f, 3, 3);	/* registers 3, 0, 1 */
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 2, NULL), 2);
	ck_assert_uint_eq(out[0].sid, 0x100);
	ck_assert_uint_eq(out[1].sid, 0x101);
	ck_assert_uint_eq(frcd_hi(f, 1) >> 63, 1);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x2, 0x2);
	/* FRI still names register 3, which is clear now. */
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 0, NULL), 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, NULL, 0, NULL), 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, NULL), 1);
	ck_assert_uint_eq(out[0].sid, 0x102);
	ck_assert_uint_eq(out[0].addr, 0x3000);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x2, 0);
	down(f, u);
}
END_TEST

START_TEST(overflow_reported_and_cleared)
{
	struct fake_vtd *f = fake_vtd_new(CAP_4_RECORDS, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f);
	struct liommu_fault out[8];
	bool ovf = false;

	/* All four registers full and a fifth fault lost: PFO. */
	record(f, 1, 4);
	fake_poke32(f, VTD_FSTS_REG, fake_rd32(f, VTD_FSTS_REG) | 0x1);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, &ovf), 4);
	ck_assert(ovf);
	ck_assert_uint_eq(out[3].sid, 0x103);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0x3, 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, &ovf), 0);
	ck_assert(!ovf);

	/* PFO alone (records read earlier by someone else). */
	fake_poke32(f, VTD_FSTS_REG, 0x1);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, &ovf), 0);
	ck_assert(ovf);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG), 0);
	/* Overflow with no way to report it: still cleared. */
	fake_poke32(f, VTD_FSTS_REG, 0x1);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, NULL), 0);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG), 0);
	down(f, u);
}
END_TEST

START_TEST(hostile_fault_status)
{
	struct fake_vtd *f = fake_vtd_new(CAP_4_RECORDS, FAKE_QEMU_ECAP);
	struct liommu_unit *u = up(f);
	struct liommu_fault out[8];

	/* FRI 200 on a unit with 4 registers: no access outside them. */
	fake_vtd_record_fault(f, 0, 0x5000, 0x0000000200000020ULL);
	fake_poke32(f, VTD_FSTS_REG, (200u << 8) | 0x2);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, NULL), 1);
	ck_assert_uint_eq(out[0].reason, 2);
	/* PPF with no record set at all. */
	fake_poke32(f, VTD_FSTS_REG, 0x2);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 8, NULL), 0);
	ck_assert_int_eq(liommu_unit_read_faults(NULL, out, 8, NULL), -EINVAL);
	ck_assert_int_eq(liommu_unit_read_faults(u, NULL, 1, NULL), -EINVAL);
	down(f, u);
}
END_TEST

START_TEST(bringup_clears_stale_faults)
{
	struct fake_vtd *f = fake_vtd_new(CAP_4_RECORDS, FAKE_QEMU_ECAP);
	struct liommu_unit *u;
	struct liommu_fault out[4];

	/* Left by firmware: two records, PFO, IQE, ICE, ITE. */
	record(f, 0, 2);
	fake_poke32(f, VTD_FSTS_REG, fake_rd32(f, VTD_FSTS_REG) | 0x71);
	u = up(f);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(frcd_hi(f, i) >> 63, 0);
	ck_assert_uint_eq(fake_rd32(f, VTD_FSTS_REG) & 0xff, 0);
	ck_assert_int_eq(liommu_unit_read_faults(u, out, 4, NULL), 0);
	down(f, u);
}
END_TEST

Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, decode_all_fields);
	tcase_add_loop_test(tc, reason_strings_for_every_code, 0,
			    (int)(sizeof(reason_rows) / sizeof(reason_rows[0])));
	tcase_add_test(tc, reason_strings_reserved);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_test(tc, ring_walk_from_fri);
	tcase_add_test(tc, records_beyond_max_stay_pending);
	tcase_add_test(tc, overflow_reported_and_cleared);
	tcase_add_test(tc, hostile_fault_status);
	tcase_add_test(tc, bringup_clears_stale_faults);
	suite_add_tcase(s, tc);

	fault_qemu_tcases(s);
	return s;
}
