// SPDX-License-Identifier: MIT
/*
 * check-vtd.c - the encodings in liommu/vtd.h against values worked out by
 * hand from the VT-d specification, and against the CAP/ECAP values QEMU
 * 7.2's VT-d model reports (an implementation nobody here wrote).
 *
 * Every expected constant below is written as the spec describes the
 * field (bit position, then value), not computed with the header's own
 * macros, so a wrong mask in vtd.h makes a test fail.
 */
#include <check.h>
#include <stdint.h>

#include <liommu/vtd.h>

/* QEMU 7.2, -device intel-iommu,aw-bits=48 (DESIGN.md, read over qtest). */
#define QEMU_CAP_AW48 0x00d2008c222f0606ULL

START_TEST(cap_fields_decode_qemu_value)
{
	uint64_t cap = QEMU_CAP_AW48;

	/* ND (2:0) = 6: 2^(4 + 2*6) = 65536 domains. */
	ck_assert_uint_eq(vtd_cap_nd_domains_log2(cap), 16);
	/* SAGAW (12:8) = 0b00110: 39-bit and 48-bit. */
	ck_assert_uint_eq(vtd_cap_sagaw(cap), 0x6);
	ck_assert(vtd_cap_sagaw(cap) & VTD_SAGAW_39);
	ck_assert(vtd_cap_sagaw(cap) & VTD_SAGAW_48);
	ck_assert(!(vtd_cap_sagaw(cap) & VTD_SAGAW_57));
	/* MGAW (21:16) = 47: 48-bit guest address width. */
	ck_assert_uint_eq(vtd_cap_mgaw(cap), 48);
	/* FRO (33:24) = 0x22: fault records at 0x220 (QEMU VTD_FRCD_REG_OFFSET). */
	ck_assert_uint_eq(vtd_cap_fro(cap), 0x220);
	ck_assert_uint_eq(vtd_frcd_reg(cap, 0), 0x220);
	ck_assert_uint_eq(vtd_frcd_reg(cap, 1), 0x230);
	/* SLLPS (37:34) = 0b0011: 2 MiB and 1 GiB. */
	ck_assert_uint_eq(vtd_cap_sllps(cap), VTD_SLLPS_2M | VTD_SLLPS_1G);
	/* PSI bit 39 set; NFR (47:40) = 0: one record; MAMV (53:48) = 18. */
	ck_assert(cap & VTD_CAP_PSI);
	ck_assert_uint_eq(vtd_cap_nfr(cap), 1);
	ck_assert_uint_eq(vtd_cap_mamv(cap), 18);
	/* DWD bit 54 and DRD bit 55 set; CM bit 7, RWBF bit 4 clear. */
	ck_assert(cap & VTD_CAP_DWD);
	ck_assert(cap & VTD_CAP_DRD);
	ck_assert(!(cap & VTD_CAP_CM));
	ck_assert(!(cap & VTD_CAP_RWBF));
}
END_TEST

START_TEST(cap_masks_sit_at_spec_bit_positions)
{
	ck_assert_uint_eq(VTD_CAP_ND, 0x7ULL);
	ck_assert_uint_eq(VTD_CAP_CM, 1ULL << 7);
	ck_assert_uint_eq(VTD_CAP_SAGAW, 0x1fULL << 8);
	ck_assert_uint_eq(VTD_CAP_MGAW, 0x3fULL << 16);
	ck_assert_uint_eq(VTD_CAP_FRO, 0x3ffULL << 24);
	ck_assert_uint_eq(VTD_CAP_SLLPS, 0xfULL << 34);
	ck_assert_uint_eq(VTD_CAP_PSI, 1ULL << 39);
	ck_assert_uint_eq(VTD_CAP_NFR, 0xffULL << 40);
	ck_assert_uint_eq(VTD_CAP_MAMV, 0x3fULL << 48);
	ck_assert_uint_eq(VTD_CAP_PI, 1ULL << 59);
	/* ECAP (11.4.3) */
	ck_assert_uint_eq(VTD_ECAP_C, 1ULL << 0);
	ck_assert_uint_eq(VTD_ECAP_QI, 1ULL << 1);
	ck_assert_uint_eq(VTD_ECAP_IR, 1ULL << 3);
	ck_assert_uint_eq(VTD_ECAP_EIM, 1ULL << 4);
	ck_assert_uint_eq(VTD_ECAP_PT, 1ULL << 6);
	ck_assert_uint_eq(VTD_ECAP_SC, 1ULL << 7);
	ck_assert_uint_eq(VTD_ECAP_IRO, 0x3ffULL << 8);
	ck_assert_uint_eq(VTD_ECAP_MHMV, 0xfULL << 20);
	ck_assert_uint_eq(VTD_ECAP_SMTS, 1ULL << 43);
}
END_TEST

START_TEST(ecap_iotlb_register_offsets)
{
	/* QEMU: ECAP.IRO = 0xf -> IVA at 0xf0, IOTLB at 0xf8. */
	uint64_t ecap = 0xf00f4aULL;

	ck_assert_uint_eq(vtd_iva_reg(ecap), 0xf0);
	ck_assert_uint_eq(vtd_iotlb_reg(ecap), 0xf8);
	ck_assert(ecap & VTD_ECAP_QI);
	ck_assert(ecap & VTD_ECAP_IR);
	ck_assert(ecap & VTD_ECAP_PT);
	ck_assert(!(ecap & VTD_ECAP_C));
	ck_assert_uint_eq(vtd_ecap_mhmv(ecap), 0xf);
}
END_TEST

START_TEST(register_offsets_match_spec_table)
{
	/* Spec 10.4, table "Remapping Register Description". */
	ck_assert_uint_eq(VTD_VER_REG, 0x00);
	ck_assert_uint_eq(VTD_CAP_REG, 0x08);
	ck_assert_uint_eq(VTD_ECAP_REG, 0x10);
	ck_assert_uint_eq(VTD_GCMD_REG, 0x18);
	ck_assert_uint_eq(VTD_GSTS_REG, 0x1c);
	ck_assert_uint_eq(VTD_RTADDR_REG, 0x20);
	ck_assert_uint_eq(VTD_CCMD_REG, 0x28);
	ck_assert_uint_eq(VTD_FSTS_REG, 0x34);
	ck_assert_uint_eq(VTD_FECTL_REG, 0x38);
	ck_assert_uint_eq(VTD_FEDATA_REG, 0x3c);
	ck_assert_uint_eq(VTD_FEADDR_REG, 0x40);
	ck_assert_uint_eq(VTD_FEUADDR_REG, 0x44);
	ck_assert_uint_eq(VTD_AFLOG_REG, 0x58);
	ck_assert_uint_eq(VTD_PMEN_REG, 0x64);
	ck_assert_uint_eq(VTD_PLMBASE_REG, 0x68);
	ck_assert_uint_eq(VTD_PLMLIMIT_REG, 0x6c);
	ck_assert_uint_eq(VTD_PHMBASE_REG, 0x70);
	ck_assert_uint_eq(VTD_PHMLIMIT_REG, 0x78);
	ck_assert_uint_eq(VTD_IQH_REG, 0x80);
	ck_assert_uint_eq(VTD_IQT_REG, 0x88);
	ck_assert_uint_eq(VTD_IQA_REG, 0x90);
	ck_assert_uint_eq(VTD_ICS_REG, 0x9c);
	ck_assert_uint_eq(VTD_IECTL_REG, 0xa0);
	ck_assert_uint_eq(VTD_IEDATA_REG, 0xa4);
	ck_assert_uint_eq(VTD_IEADDR_REG, 0xa8);
	ck_assert_uint_eq(VTD_IEUADDR_REG, 0xac);
	ck_assert_uint_eq(VTD_IQERCD_REG, 0xb0);
	ck_assert_uint_eq(VTD_IRTA_REG, 0xb8);
}
END_TEST

START_TEST(gcmd_gsts_bits)
{
	/* 11.4.4: TE 31, SRTP 30, SFL 29, EAFL 28, WBF 27, QIE 26, IRE 25,
	 * SIRTP 24, CFI 23. */
	ck_assert_uint_eq(VTD_GCMD_TE, 0x80000000u);
	ck_assert_uint_eq(VTD_GCMD_SRTP, 0x40000000u);
	ck_assert_uint_eq(VTD_GCMD_WBF, 0x08000000u);
	ck_assert_uint_eq(VTD_GCMD_QIE, 0x04000000u);
	ck_assert_uint_eq(VTD_GCMD_IRE, 0x02000000u);
	ck_assert_uint_eq(VTD_GCMD_SIRTP, 0x01000000u);
	ck_assert_uint_eq(VTD_GCMD_CFI, 0x00800000u);
	/* Persistent = TE|EAFL|QIE|IRE|CFI; one-shot = SRTP|SFL|WBF|SIRTP. */
	ck_assert_uint_eq(VTD_GSTS_PERSISTENT, 0x96800000u);
	ck_assert_uint_eq(VTD_GSTS_ONESHOT, 0x69000000u);
	ck_assert_uint_eq(VTD_GSTS_PERSISTENT & VTD_GSTS_ONESHOT, 0);
}
END_TEST

START_TEST(ccmd_and_iotlb_register_commands)
{
	/* Global context invalidation: ICC (63) | CIRG=01 (62:61). */
	uint64_t ccmd = VTD_CCMD_ICC | vtd_field_prep(VTD_CCMD_CIRG, VTD_CC_GRAN_GLOBAL);
	uint64_t iotlb;

	ck_assert_uint_eq(ccmd, 0xa000000000000000ULL);
	/* Device-selective, DID 5, SID 00:01.0, FM 0. */
	ccmd = VTD_CCMD_ICC | vtd_field_prep(VTD_CCMD_CIRG, VTD_CC_GRAN_DEVICE) |
	       vtd_field_prep(VTD_CCMD_SID, 0x0008) | vtd_field_prep(VTD_CCMD_DID, 5);
	ck_assert_uint_eq(ccmd, 0xe000000000080005ULL);
	ck_assert_uint_eq(vtd_field_get(VTD_CCMD_CAIG, 0x1800000000000000ULL), 3);
	/* Domain-selective IOTLB, DID 7, drain reads and writes:
	 * IVT 63 | IIRG=10 (61:60) | DR 49 | DW 48 | DID 47:32. */
	iotlb = VTD_IOTLB_IVT | vtd_field_prep(VTD_IOTLB_IIRG, VTD_IOTLB_GRAN_DOMAIN) |
		VTD_IOTLB_DR | VTD_IOTLB_DW | vtd_field_prep(VTD_IOTLB_DID, 7);
	ck_assert_uint_eq(iotlb, 0xa003000700000000ULL);
	ck_assert_uint_eq(vtd_field_get(VTD_IOTLB_IAIG, 0x0400000000000000ULL), 2);
}
END_TEST

START_TEST(root_and_context_entries)
{
	/* Context entry for a 4-level table at 0x1234000, DID 0x2a:
	 * lo = SLPTPTR | TT=00 | P; hi = DID(23:8) | AW=010 (48-bit). */
	struct vtd_context_entry ce = {
		.lo = 0x1234000ULL | vtd_field_prep(VTD_CTX_LO_TT, VTD_CTX_TT_MULTI_LEVEL) |
		      VTD_CTX_LO_P,
		.hi = vtd_field_prep(VTD_CTX_HI_DID, 0x2a) |
		      vtd_field_prep(VTD_CTX_HI_AW, (uint64_t)vtd_width_to_agaw(48)),
	};

	ck_assert_uint_eq(ce.lo, 0x1234001ULL);
	ck_assert_uint_eq(ce.hi, 0x2a02ULL);
	/* tests/data/traces/linux-6.1-q35-strict.trace logs the same layout:
	 * "q0=0x77c0001 q1=0x202" is a context entry for DID 2, AW 2. */
	ck_assert_uint_eq(vtd_field_get(VTD_CTX_HI_DID, 0x202), 2);
	ck_assert_uint_eq(vtd_field_get(VTD_CTX_HI_AW, 0x202), 2);
	ck_assert_uint_eq(vtd_field_get(VTD_CTX_LO_SLPTPTR, 0x77c0001) << 12, 0x77c0000);
	/* Pass-through TT is 10b at bits 3:2. */
	ck_assert_uint_eq(vtd_field_prep(VTD_CTX_LO_TT, VTD_CTX_TT_PASS_THROUGH), 0x8);
	/* Root entry: "q0=0x77c1001" = context table 0x77c1000, present. */
	ck_assert(0x77c1001ULL & VTD_ROOT_LO_P);
	ck_assert_uint_eq(0x77c1001ULL & VTD_ROOT_LO_CTP, 0x77c1000ULL);
	ck_assert_uint_eq(vtd_sid(0, 1, 0), 0x0008);
	ck_assert_uint_eq(vtd_sid(1, 0, 0), 0x0100);
	ck_assert_uint_eq(vtd_sid(0, 0x1f, 3), 0x00fb);
	ck_assert_uint_eq(vtd_sid_bus(0x0100), 1);
	ck_assert_uint_eq(vtd_sid_devfn(0x00fb), 0xfb);
}
END_TEST

START_TEST(address_widths)
{
	ck_assert_int_eq(vtd_width_to_agaw(39), 1);
	ck_assert_int_eq(vtd_width_to_agaw(48), 2);
	ck_assert_int_eq(vtd_width_to_agaw(57), 3);
	ck_assert_int_eq(vtd_width_to_agaw(40), -1);
	ck_assert_int_eq(vtd_width_to_agaw(30), -1);
	ck_assert_int_eq(vtd_width_to_agaw(66), -1);
	ck_assert_uint_eq(vtd_agaw_to_levels(1), 3);
	ck_assert_uint_eq(vtd_agaw_to_levels(3), 5);
	ck_assert_uint_eq(vtd_agaw_to_width(2), 48);
	/* Level shifts: 12, 21, 30, 39, 48; index of 0x40201000 per level. */
	ck_assert_uint_eq(vtd_level_shift(1), 12);
	ck_assert_uint_eq(vtd_level_shift(3), 30);
	ck_assert_uint_eq(vtd_level_shift(5), 48);
	ck_assert_uint_eq(vtd_level_index(0x40201000ULL, 1), 1);
	ck_assert_uint_eq(vtd_level_index(0x40201000ULL, 2), 1);
	ck_assert_uint_eq(vtd_level_index(0x40201000ULL, 3), 1);
	ck_assert_uint_eq(vtd_level_index(0x8000000000ULL, 4), 1);
}
END_TEST

START_TEST(second_level_pte_bits)
{
	/* 9.8: R 0, W 1, PS 7, SNP 11, ADDR 51:12, TM 62. */
	ck_assert_uint_eq(VTD_SLPTE_R, 0x1);
	ck_assert_uint_eq(VTD_SLPTE_W, 0x2);
	ck_assert_uint_eq(VTD_SLPTE_PS, 0x80);
	ck_assert_uint_eq(VTD_SLPTE_SNP, 0x800);
	ck_assert_uint_eq(VTD_SLPTE_TM, 1ULL << 62);
	ck_assert_uint_eq(VTD_SLPTE_ADDR, 0x000ffffffffff000ULL);
	/* A 2 MiB RW leaf at 0x40200000. */
	ck_assert_uint_eq(0x40200000ULL | VTD_SLPTE_PS | VTD_SLPTE_R | VTD_SLPTE_W,
			  0x40200083ULL);
}
END_TEST

START_TEST(invalidation_descriptors)
{
	struct vtd_inv_desc d;

	/* Global context-cache: type 1, G=01 at 5:4 -> 0x11.  The Linux
	 * trace logs "qw0=0x11" for it. */
	d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);
	ck_assert_uint_eq(d.lo, 0x11);
	ck_assert_uint_eq(d.hi, 0);
	/* Device-selective: G=11, DID 2 at 31:16, SID 0x0008 at 47:32. */
	d = vtd_inv_cc(VTD_CC_GRAN_DEVICE, 2, 0x0008, 0);
	ck_assert_uint_eq(d.lo, 0x0000000800020031ULL);
	/* Global IOTLB with read and write drain: type 2, G=01, DW 6, DR 7:
	 * 0x2 | 0x10 | 0x40 | 0x80 = 0xd2 (the trace's "qw0=0xd2"). */
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, true, true);
	ck_assert_uint_eq(d.lo, 0xd2);
	ck_assert_uint_eq(d.hi, 0);
	/* Page-selective, DID 3, 16 pages at 0x100000, IH: hi = addr | IH | AM=4. */
	d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, 3, 0x100000, 4, true, false, false);
	ck_assert_uint_eq(d.lo, 0x0000000000030032ULL);
	ck_assert_uint_eq(d.hi, 0x100044ULL);
	/* IEC index-selective: type 4, G bit 4, IM 31:27 = 2, IIDX 47:32 = 0x10. */
	d = vtd_inv_iec(true, 0x10, 2);
	ck_assert_uint_eq(d.lo, 0x0000001010000014ULL);
	d = vtd_inv_iec(false, 0x10, 2);
	ck_assert_uint_eq(d.lo, 0x4);
	/* Wait: type 5, SW 5, FN 6, status data 63:32, address in hi. */
	d = vtd_inv_wait(true, 0xabcd, 0x7000, false, true);
	ck_assert_uint_eq(d.lo, 0x0000abcd00000065ULL);
	ck_assert_uint_eq(d.hi, 0x7000);
	d = vtd_inv_wait(false, 0, 0, true, false);
	ck_assert_uint_eq(d.lo, 0x15);
	/* Device-TLB: SID 0x0100 at 47:32, PFSID split 15:12 / 63:52. */
	d = vtd_inv_devtlb(0x0100, 0x0123, 0, 0x5000, false);
	ck_assert_uint_eq(d.lo, 0x0120010000003003ULL);
	ck_assert_uint_eq(d.hi, 0x5000);
}
END_TEST

START_TEST(fault_record_fields)
{
	/* DESIGN.md: QEMU recorded reason 6, sid 0x0008 for a read. */
	uint64_t hi = (1ULL << 63) | (1ULL << 62) | (0x06ULL << 32) | 0x0008;

	ck_assert(hi & VTD_FRCD_HI_F);
	ck_assert(hi & VTD_FRCD_HI_T);
	ck_assert_uint_eq(vtd_field_get(VTD_FRCD_HI_FR, hi), VTD_FR_READ);
	ck_assert_uint_eq(vtd_field_get(VTD_FRCD_HI_SID, hi), 0x0008);
	ck_assert_uint_eq(VTD_FRCD_HI_PV, 0xfffffULL << 40);
	ck_assert_uint_eq(VTD_FSTS_FRI, 0xff00);
	ck_assert_uint_eq(VTD_FSTS_RW1C, 0x7d);
}
END_TEST

START_TEST(irq_remap_msi_format)
{
	/* 5.1.5.2: handle 0x8001 -> HANDLE[14:0]=1 at 19:5, HANDLE[15] at 2. */
	uint64_t addr = VTD_MSI_ADDR_BASE | vtd_field_prep(VTD_MSI_ADDR_HANDLE_LO, 0x8001 & 0x7fff) |
			VTD_MSI_ADDR_IF | VTD_MSI_ADDR_HANDLE_HI;

	ck_assert_uint_eq(addr, 0xfee00034ULL);
	ck_assert_uint_eq(VTD_IRTA_EIME, 1ULL << 11);
	ck_assert_uint_eq(VTD_IRTE_LO_V, 0xffULL << 16);
	ck_assert_uint_eq(VTD_IRTE_HI_SVT, 0x3ULL << 18);
}
END_TEST

START_TEST(field_helpers)
{
	ck_assert_uint_eq(VTD_GENMASK64(63, 0), ~0ULL);
	ck_assert_uint_eq(VTD_GENMASK64(0, 0), 1ULL);
	ck_assert_uint_eq(VTD_GENMASK64(51, 12), 0x000ffffffffff000ULL);
	ck_assert_uint_eq(vtd_field_prep(VTD_GENMASK64(5, 4), 5), 0x10);	/* truncated */
	ck_assert(!vtd_field_fits(VTD_GENMASK64(5, 4), 5));
	ck_assert(vtd_field_fits(VTD_GENMASK64(5, 4), 3));
	ck_assert_uint_eq(vtd_field_get(VTD_GENMASK64(63, 60), 0xf000000000000000ULL), 0xf);
}
END_TEST

Suite *vtd_suite(void);
Suite *vtd_suite(void)
{
	Suite *s = suite_create("vtd");
	TCase *tc = tcase_create("encodings");

	tcase_add_test(tc, cap_fields_decode_qemu_value);
	tcase_add_test(tc, cap_masks_sit_at_spec_bit_positions);
	tcase_add_test(tc, ecap_iotlb_register_offsets);
	tcase_add_test(tc, register_offsets_match_spec_table);
	tcase_add_test(tc, gcmd_gsts_bits);
	tcase_add_test(tc, ccmd_and_iotlb_register_commands);
	tcase_add_test(tc, root_and_context_entries);
	tcase_add_test(tc, address_widths);
	tcase_add_test(tc, second_level_pte_bits);
	tcase_add_test(tc, invalidation_descriptors);
	tcase_add_test(tc, fault_record_fields);
	tcase_add_test(tc, irq_remap_msi_format);
	tcase_add_test(tc, field_helpers);
	suite_add_tcase(s, tc);
	return s;
}
