/* SPDX-License-Identifier: MIT */
/*
 * liommu/vtd.h - Intel VT-d hardware encodings.
 *
 * This header is the one place in the project where VT-d encodings are
 * written down: register offsets, CAP/ECAP fields, root and context
 * entries (legacy mode), second-level paging entries, invalidation
 * descriptors, fault records and fault reasons, and interrupt-remapping
 * table entries.  The driver (libiommu/driver), the software model
 * (libiommu/model), irq-remap and the tests use it, and so will the
 * planned viommu-sidecore engine; a bit defined twice is a bug waiting
 * to happen.
 *
 * Section numbers refer to the Intel Virtualization Technology for
 * Directed I/O Architecture Specification, revision 4.x ("spec").
 *
 * Conventions:
 *  - VTD_<REG>_REG is a register offset from the unit's base.
 *  - VTD_<REG>_<FIELD> is a mask for a field of that register, used with
 *    vtd_field_get() / vtd_field_prep(), which derive the shift from the
 *    mask.  Single-bit fields are plain VTD_BIT64() masks.
 *  - Hardware-visible entries are struct { uint64_t lo, hi; } with a size
 *    assertion; no bitfields anywhere (their layout is
 *    implementation-defined and their stores are unordered).
 *
 * Threading: everything here is a constant or a pure inline function.
 */
#ifndef LIOMMU_VTD_H
#define LIOMMU_VTD_H

#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Mask helpers                                                        */
/* ------------------------------------------------------------------ */

#define VTD_BIT64(n)		(1ULL << (n))
/* Bits h..l inclusive, h >= l, both in 0..63. */
#define VTD_GENMASK64(h, l)	((~0ULL >> (63 - (h))) & (~0ULL << (l)))

/* Extract the field described by @mask from @val, shifted down to bit 0. */
static inline uint64_t vtd_field_get(uint64_t mask, uint64_t val)
{
	return (val & mask) >> __builtin_ctzll(mask);
}

/* Place @val in the field described by @mask; excess bits are dropped. */
static inline uint64_t vtd_field_prep(uint64_t mask, uint64_t val)
{
	return (val << __builtin_ctzll(mask)) & mask;
}

/* True when @val fits in the field described by @mask without loss. */
static inline bool vtd_field_fits(uint64_t mask, uint64_t val)
{
	return (vtd_field_get(mask, vtd_field_prep(mask, val))) == val;
}

#define VTD_PAGE_SHIFT		12
#define VTD_PAGE_SIZE		(1ULL << VTD_PAGE_SHIFT)
#define VTD_PAGE_MASK		(~(VTD_PAGE_SIZE - 1))
/* Physical-address bits a page frame field can hold (spec 9.x: HAW <= 52). */
#define VTD_ADDR_MASK		VTD_GENMASK64(51, 12)

/* ------------------------------------------------------------------ */
/* Register offsets (spec 11.4), in offset order                       */
/* ------------------------------------------------------------------ */

#define VTD_VER_REG		0x000	/* 32: version */
#define  VTD_VER_MIN		VTD_GENMASK64(3, 0)
#define  VTD_VER_MAX		VTD_GENMASK64(7, 4)

#define VTD_CAP_REG		0x008	/* 64: capability (11.4.2) */
#define  VTD_CAP_ND		VTD_GENMASK64(2, 0)	/* domains: 2^(4 + 2*ND) */
#define  VTD_CAP_AFL		VTD_BIT64(3)	/* advanced fault logging */
#define  VTD_CAP_RWBF		VTD_BIT64(4)	/* required write-buffer flush */
#define  VTD_CAP_PLMR		VTD_BIT64(5)	/* protected low-memory region */
#define  VTD_CAP_PHMR		VTD_BIT64(6)	/* protected high-memory region */
#define  VTD_CAP_CM		VTD_BIT64(7)	/* caching mode */
#define  VTD_CAP_SAGAW		VTD_GENMASK64(12, 8)	/* supported AGAWs */
#define  VTD_CAP_MGAW		VTD_GENMASK64(21, 16)	/* max guest AW - 1 */
#define  VTD_CAP_ZLR		VTD_BIT64(22)	/* zero-length read */
#define  VTD_CAP_FRO		VTD_GENMASK64(33, 24)	/* fault-record offset / 16 */
#define  VTD_CAP_SLLPS		VTD_GENMASK64(37, 34)	/* SL large pages */
#define  VTD_CAP_PSI		VTD_BIT64(39)	/* page-selective invalidation */
#define  VTD_CAP_NFR		VTD_GENMASK64(47, 40)	/* fault records - 1 */
#define  VTD_CAP_MAMV		VTD_GENMASK64(53, 48)	/* max address mask value */
#define  VTD_CAP_DWD		VTD_BIT64(54)	/* write draining */
#define  VTD_CAP_DRD		VTD_BIT64(55)	/* read draining */
#define  VTD_CAP_FL1GP		VTD_BIT64(56)	/* first-level 1 GiB pages */
#define  VTD_CAP_PI		VTD_BIT64(59)	/* posted interrupts */
#define  VTD_CAP_FL5LP		VTD_BIT64(60)	/* first-level 5-level paging */
#define  VTD_CAP_ESIRTPS	VTD_BIT64(62)	/* SIRTP invalidates IR caches */
#define  VTD_CAP_ESRTPS		VTD_BIT64(63)	/* SRTP invalidates caches */

/* SAGAW bits (11.4.2): bit 1 = 39-bit 3-level, bit 2 = 48-bit 4-level,
 * bit 3 = 57-bit 5-level.  The same encoding is the context entry's AW. */
#define VTD_SAGAW_39		VTD_BIT64(1)
#define VTD_SAGAW_48		VTD_BIT64(2)
#define VTD_SAGAW_57		VTD_BIT64(3)
/* SLLPS bits: bit 0 = 2 MiB, bit 1 = 1 GiB. */
#define VTD_SLLPS_2M		VTD_BIT64(0)
#define VTD_SLLPS_1G		VTD_BIT64(1)

#define VTD_ECAP_REG		0x010	/* 64: extended capability (11.4.3) */
#define  VTD_ECAP_C		VTD_BIT64(0)	/* page-walk coherency */
#define  VTD_ECAP_QI		VTD_BIT64(1)	/* queued invalidation */
#define  VTD_ECAP_DT		VTD_BIT64(2)	/* device-TLB */
#define  VTD_ECAP_IR		VTD_BIT64(3)	/* interrupt remapping */
#define  VTD_ECAP_EIM		VTD_BIT64(4)	/* extended interrupt mode */
#define  VTD_ECAP_PT		VTD_BIT64(6)	/* pass-through */
#define  VTD_ECAP_SC		VTD_BIT64(7)	/* snoop control */
#define  VTD_ECAP_IRO		VTD_GENMASK64(17, 8)	/* IOTLB reg offset / 16 */
#define  VTD_ECAP_MHMV		VTD_GENMASK64(23, 20)	/* max handle mask value */
#define  VTD_ECAP_MTS		VTD_BIT64(25)	/* memory type support */
#define  VTD_ECAP_NEST		VTD_BIT64(26)	/* nested translation */
#define  VTD_ECAP_PRS		VTD_BIT64(29)	/* page requests */
#define  VTD_ECAP_ERS		VTD_BIT64(30)	/* execute requests */
#define  VTD_ECAP_SRS		VTD_BIT64(31)	/* supervisor requests */
#define  VTD_ECAP_NWFS		VTD_BIT64(33)	/* no write flag */
#define  VTD_ECAP_EAFS		VTD_BIT64(34)	/* extended accessed flag */
#define  VTD_ECAP_PSS		VTD_GENMASK64(39, 35)	/* PASID size - 1 */
#define  VTD_ECAP_PASID		VTD_BIT64(40)
#define  VTD_ECAP_DIT		VTD_BIT64(41)	/* device-TLB invalidation throttle */
#define  VTD_ECAP_PDS		VTD_BIT64(42)	/* page-request drain */
#define  VTD_ECAP_SMTS		VTD_BIT64(43)	/* scalable mode */
#define  VTD_ECAP_VCS		VTD_BIT64(44)	/* virtual command */
#define  VTD_ECAP_SLADS		VTD_BIT64(45)	/* SL accessed/dirty */
#define  VTD_ECAP_SLTS		VTD_BIT64(46)	/* SL translation (scalable) */
#define  VTD_ECAP_FLTS		VTD_BIT64(47)	/* FL translation (scalable) */
#define  VTD_ECAP_SMPWCS	VTD_BIT64(48)	/* SM page-walk coherency */
#define  VTD_ECAP_RPS		VTD_BIT64(49)	/* RID-PASID */

#define VTD_GCMD_REG		0x018	/* 32: global command (11.4.4) */
#define VTD_GSTS_REG		0x01c	/* 32: global status (11.4.5) */
/* GCMD bits and the GSTS bits that report them share positions. */
#define  VTD_GCMD_TE		VTD_BIT64(31)	/* translation enable */
#define  VTD_GCMD_SRTP		VTD_BIT64(30)	/* set root table pointer */
#define  VTD_GCMD_SFL		VTD_BIT64(29)	/* set fault log */
#define  VTD_GCMD_EAFL		VTD_BIT64(28)	/* enable advanced fault log */
#define  VTD_GCMD_WBF		VTD_BIT64(27)	/* write-buffer flush */
#define  VTD_GCMD_QIE		VTD_BIT64(26)	/* queued invalidation enable */
#define  VTD_GCMD_IRE		VTD_BIT64(25)	/* interrupt remapping enable */
#define  VTD_GCMD_SIRTP		VTD_BIT64(24)	/* set IR table pointer */
#define  VTD_GCMD_CFI		VTD_BIT64(23)	/* compatibility format IRQs */
#define  VTD_GSTS_TES		VTD_GCMD_TE
#define  VTD_GSTS_RTPS		VTD_GCMD_SRTP
#define  VTD_GSTS_FLS		VTD_GCMD_SFL
#define  VTD_GSTS_AFLS		VTD_GCMD_EAFL
#define  VTD_GSTS_WBFS		VTD_GCMD_WBF
#define  VTD_GSTS_QIES		VTD_GCMD_QIE
#define  VTD_GSTS_IRES		VTD_GCMD_IRE
#define  VTD_GSTS_IRTPS		VTD_GCMD_SIRTP
#define  VTD_GSTS_CFIS		VTD_GCMD_CFI
/*
 * Spec 11.4.4: software must write GCMD with the persistent bits it wants
 * kept (TE, EAFL, QIE, IRE, CFI) taken from GSTS, plus at most one command
 * bit changed.  The one-shot command bits (SRTP, SFL, WBF, SIRTP) must
 * never be carried over from GSTS: their status bits mean something else.
 * RTPS, FLS and IRTPS are cleared when the command is written and SET
 * when it completes (they stay 1 afterwards); WBFS is set while the flush
 * runs and CLEARED when it completes (11.4.5).
 */
#define VTD_GSTS_PERSISTENT	(VTD_GSTS_TES | VTD_GSTS_AFLS | VTD_GSTS_QIES | \
				 VTD_GSTS_IRES | VTD_GSTS_CFIS)
#define VTD_GSTS_ONESHOT	(VTD_GSTS_RTPS | VTD_GSTS_FLS | VTD_GSTS_WBFS | \
				 VTD_GSTS_IRTPS)

#define VTD_RTADDR_REG		0x020	/* 64: root table address (11.4.6) */
#define  VTD_RTADDR_RTA		VTD_GENMASK64(63, 12)
#define  VTD_RTADDR_TTM		VTD_GENMASK64(11, 10)	/* 00 legacy, 01 scalable */
#define  VTD_RTADDR_TTM_LEGACY	0ULL

#define VTD_CCMD_REG		0x028	/* 64: context command (11.4.7) */
#define  VTD_CCMD_ICC		VTD_BIT64(63)	/* invalidate context cache */
#define  VTD_CCMD_CIRG		VTD_GENMASK64(62, 61)	/* requested granularity */
#define  VTD_CCMD_CAIG		VTD_GENMASK64(60, 59)	/* actual granularity */
#define  VTD_CCMD_FM		VTD_GENMASK64(33, 32)	/* function mask */
#define  VTD_CCMD_SID		VTD_GENMASK64(31, 16)
#define  VTD_CCMD_DID		VTD_GENMASK64(15, 0)
/* CIRG/CAIG values; the context-cache descriptor's G field uses them too. */
#define VTD_CC_GRAN_GLOBAL	1
#define VTD_CC_GRAN_DOMAIN	2
#define VTD_CC_GRAN_DEVICE	3

#define VTD_FSTS_REG		0x034	/* 32: fault status (11.4.9.1) */
#define  VTD_FSTS_PFO		VTD_BIT64(0)	/* primary fault overflow, RW1C */
#define  VTD_FSTS_PPF		VTD_BIT64(1)	/* primary pending fault, RO */
#define  VTD_FSTS_AFO		VTD_BIT64(2)	/* advanced fault overflow */
#define  VTD_FSTS_APF		VTD_BIT64(3)	/* advanced pending fault */
#define  VTD_FSTS_IQE		VTD_BIT64(4)	/* invalidation queue error, RW1C */
#define  VTD_FSTS_ICE		VTD_BIT64(5)	/* invalidation completion error */
#define  VTD_FSTS_ITE		VTD_BIT64(6)	/* invalidation time-out error */
#define  VTD_FSTS_FRI		VTD_GENMASK64(15, 8)	/* fault record index */
/* Bits software clears by writing 1. */
#define VTD_FSTS_RW1C		(VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF | \
				 VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

#define VTD_FECTL_REG		0x038	/* 32: fault event control */
#define  VTD_FECTL_IM		VTD_BIT64(31)	/* interrupt mask */
#define  VTD_FECTL_IP		VTD_BIT64(30)	/* interrupt pending */
#define VTD_FEDATA_REG		0x03c	/* 32: fault event MSI data */
#define VTD_FEADDR_REG		0x040	/* 32: fault event MSI address */
#define VTD_FEUADDR_REG		0x044	/* 32: fault event MSI upper address */
#define VTD_AFLOG_REG		0x058	/* 64: advanced fault log */
#define  VTD_AFLOG_FLA		VTD_GENMASK64(63, 12)
#define  VTD_AFLOG_FLS		VTD_GENMASK64(11, 9)

#define VTD_PMEN_REG		0x064	/* 32: protected memory enable */
#define  VTD_PMEN_EPM		VTD_BIT64(31)
#define  VTD_PMEN_PRS		VTD_BIT64(0)
#define VTD_PLMBASE_REG		0x068	/* 32 */
#define VTD_PLMLIMIT_REG	0x06c	/* 32 */
#define VTD_PHMBASE_REG		0x070	/* 64 */
#define VTD_PHMLIMIT_REG	0x078	/* 64 */

#define VTD_IQH_REG		0x080	/* 64: invalidation queue head (11.4.9) */
#define VTD_IQT_REG		0x088	/* 64: invalidation queue tail */
/* IQH/IQT hold the byte offset of a 128-bit descriptor: index << 4. */
#define  VTD_IQ_QH		VTD_GENMASK64(18, 4)
#define  VTD_IQ_QT		VTD_GENMASK64(18, 4)
#define VTD_IQA_REG		0x090	/* 64: invalidation queue address */
#define  VTD_IQA_IQA		VTD_GENMASK64(63, 12)
#define  VTD_IQA_DW		VTD_BIT64(11)	/* 256-bit descriptors */
#define  VTD_IQA_QS		VTD_GENMASK64(2, 0)	/* 2^QS 4 KiB pages */
#define VTD_ICS_REG		0x09c	/* 32: invalidation completion status */
#define  VTD_ICS_IWC		VTD_BIT64(0)	/* wait descriptor complete, RW1C */
#define VTD_IECTL_REG		0x0a0	/* 32: invalidation event control */
#define  VTD_IECTL_IM		VTD_BIT64(31)
#define  VTD_IECTL_IP		VTD_BIT64(30)
#define VTD_IEDATA_REG		0x0a4
#define VTD_IEADDR_REG		0x0a8
#define VTD_IEUADDR_REG		0x0ac
#define VTD_IQERCD_REG		0x0b0	/* 64: invalidation queue error record */
/* 11.4.9.9: ICESID is bits 63:48, ITESID bits 47:32 (each valid only
 * while FSTS.ICE / FSTS.ITE is set), IQEI bits 3:0 (valid while IQE). */
#define  VTD_IQERCD_ICESID	VTD_GENMASK64(63, 48)
#define  VTD_IQERCD_ITESID	VTD_GENMASK64(47, 32)
#define  VTD_IQERCD_IQEI	VTD_GENMASK64(3, 0)
/* IQEI values (11.4.9.9); 0 means the unit gives no detail. */
#define VTD_IQEI_NONE		0
#define VTD_IQEI_TAIL		1	/* invalid tail pointer */
#define VTD_IQEI_FETCH		2	/* descriptor fetch failed */
#define VTD_IQEI_TYPE		3	/* invalid descriptor type */
#define VTD_IQEI_RSVD		4	/* reserved field set in a valid type */
#define VTD_IQEI_WIDTH		5	/* descriptor width (IQA.DW) invalid */

#define VTD_IRTA_REG		0x0b8	/* 64: IR table address (11.4.10) */
#define  VTD_IRTA_IRTA		VTD_GENMASK64(63, 12)
#define  VTD_IRTA_EIME		VTD_BIT64(11)	/* x2APIC (32-bit) destinations */
#define  VTD_IRTA_S		VTD_GENMASK64(3, 0)	/* 2^(S+1) entries */

/*
 * IOTLB registers (11.4.8): the IVA register sits at ECAP.IRO * 16 and the
 * IOTLB invalidate register 8 bytes above it.
 */
#define VTD_IVA_ADDR		VTD_GENMASK64(63, 12)
#define VTD_IVA_IH		VTD_BIT64(6)	/* only leaf entries changed */
#define VTD_IVA_AM		VTD_GENMASK64(5, 0)	/* 2^AM pages */
#define VTD_IOTLB_IVT		VTD_BIT64(63)	/* invalidate (busy) */
#define VTD_IOTLB_IIRG		VTD_GENMASK64(61, 60)	/* requested granularity */
#define VTD_IOTLB_IAIG		VTD_GENMASK64(58, 57)	/* actual granularity */
#define VTD_IOTLB_DR		VTD_BIT64(49)	/* drain reads */
#define VTD_IOTLB_DW		VTD_BIT64(48)	/* drain writes */
#define VTD_IOTLB_DID		VTD_GENMASK64(47, 32)
/* IIRG/IAIG values; the IOTLB descriptor's G field uses them too. */
#define VTD_IOTLB_GRAN_GLOBAL	1
#define VTD_IOTLB_GRAN_DOMAIN	2
#define VTD_IOTLB_GRAN_PAGE	3

/* Fault-recording registers (11.4.14): 16 bytes each at CAP.FRO * 16. */
#define VTD_FRCD_SIZE		16
/* Low 64 bits */
#define  VTD_FRCD_LO_FI		VTD_GENMASK64(63, 12)	/* faulting page address */
/* High 64 bits (register offset + 8) */
#define  VTD_FRCD_HI_F		VTD_BIT64(63)	/* fault recorded, RW1C */
#define  VTD_FRCD_HI_T		VTD_BIT64(62)	/* 1 = read/AtomicOp, 0 = write */
#define  VTD_FRCD_HI_AT		VTD_GENMASK64(61, 60)	/* address type */
#define  VTD_FRCD_HI_PV		VTD_GENMASK64(59, 40)	/* PASID value */
#define  VTD_FRCD_HI_FR		VTD_GENMASK64(39, 32)	/* fault reason */
#define  VTD_FRCD_HI_PP		VTD_BIT64(31)	/* PASID present */
#define  VTD_FRCD_HI_EXE	VTD_BIT64(30)	/* execute requested */
#define  VTD_FRCD_HI_PRIV	VTD_BIT64(29)	/* privileged mode */
#define  VTD_FRCD_HI_SID	VTD_GENMASK64(15, 0)	/* source-id */

/* Register window size the driver needs mapped: the IOTLB and fault
 * registers may sit anywhere in the first 4 KiB page (QEMU: 0x1000). */
#define VTD_REG_WINDOW_SIZE	0x1000

/* ------------------------------------------------------------------ */
/* CAP/ECAP decoders                                                   */
/* ------------------------------------------------------------------ */

static inline unsigned int vtd_cap_nd_domains_log2(uint64_t cap)
{
	return 4 + 2 * (unsigned int)vtd_field_get(VTD_CAP_ND, cap);
}
static inline unsigned int vtd_cap_sagaw(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_SAGAW, cap);
}
static inline unsigned int vtd_cap_mgaw(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_MGAW, cap) + 1;
}
static inline unsigned int vtd_cap_fro(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_FRO, cap) * 16;
}
static inline unsigned int vtd_cap_nfr(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_NFR, cap) + 1;
}
static inline unsigned int vtd_cap_sllps(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_SLLPS, cap);
}
static inline unsigned int vtd_cap_mamv(uint64_t cap)
{
	return (unsigned int)vtd_field_get(VTD_CAP_MAMV, cap);
}
static inline unsigned int vtd_ecap_iro(uint64_t ecap)
{
	return (unsigned int)vtd_field_get(VTD_ECAP_IRO, ecap) * 16;
}
static inline unsigned int vtd_ecap_mhmv(uint64_t ecap)
{
	return (unsigned int)vtd_field_get(VTD_ECAP_MHMV, ecap);
}
/* IVA register offset and the IOTLB invalidate register 8 bytes above. */
static inline unsigned int vtd_iva_reg(uint64_t ecap)
{
	return vtd_ecap_iro(ecap);
}
static inline unsigned int vtd_iotlb_reg(uint64_t ecap)
{
	return vtd_ecap_iro(ecap) + 8;
}
/* Offset of fault-recording register @i (0-based). */
static inline unsigned int vtd_frcd_reg(uint64_t cap, unsigned int i)
{
	return vtd_cap_fro(cap) + i * VTD_FRCD_SIZE;
}

/*
 * Address widths: the SAGAW/AW encoding n stands for a (n + 2)-level table
 * translating 30 + 9 * n bits (1: 39-bit 3-level, 2: 48-bit 4-level,
 * 3: 57-bit 5-level).  Spec 3.6 / 9.3.
 */
static inline unsigned int vtd_agaw_to_width(unsigned int aw)
{
	return 30 + 9 * aw;
}
static inline unsigned int vtd_agaw_to_levels(unsigned int aw)
{
	return aw + 2;
}
/* Returns the AW encoding for a width of 39, 48 or 57 bits, -1 otherwise. */
static inline int vtd_width_to_agaw(unsigned int width)
{
	if (width < 39 || width > 57 || (width - 30) % 9)
		return -1;
	return (int)(width - 30) / 9;
}

/* ------------------------------------------------------------------ */
/* Root and context entries, legacy mode (spec 9.1, 9.3)               */
/* ------------------------------------------------------------------ */

struct vtd_root_entry {
	uint64_t lo;
	uint64_t hi;	/* reserved in legacy mode */
};
_Static_assert(sizeof(struct vtd_root_entry) == 16, "root entry is 128 bits");
#define VTD_ROOT_LO_P		VTD_BIT64(0)
#define VTD_ROOT_LO_CTP		VTD_GENMASK64(63, 12)	/* context table */
/* Reserved bits of a present legacy root entry (bits 11:1, all of hi,
 * and CTP bits above the host address width). */
#define VTD_ROOT_LO_RSVD	VTD_GENMASK64(11, 1)
#define VTD_ROOT_ENTRIES	256	/* one per bus */

struct vtd_context_entry {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_context_entry) == 16, "context entry is 128 bits");
#define VTD_CTX_LO_P		VTD_BIT64(0)
#define VTD_CTX_LO_FPD		VTD_BIT64(1)	/* fault processing disable */
#define VTD_CTX_LO_TT		VTD_GENMASK64(3, 2)	/* translation type */
#define VTD_CTX_LO_SLPTPTR	VTD_GENMASK64(63, 12)
#define VTD_CTX_LO_RSVD		VTD_GENMASK64(11, 4)
#define VTD_CTX_HI_AW		VTD_GENMASK64(2, 0)	/* SAGAW encoding */
#define VTD_CTX_HI_AVL		VTD_GENMASK64(6, 3)	/* software use */
#define VTD_CTX_HI_DID		VTD_GENMASK64(23, 8)
#define VTD_CTX_HI_RSVD		(VTD_GENMASK64(63, 24) | VTD_BIT64(7))
/* TT values (9.3) */
#define VTD_CTX_TT_MULTI_LEVEL	0	/* untranslated requests only */
#define VTD_CTX_TT_DEV_TLB	1	/* also translation requests (ATS) */
#define VTD_CTX_TT_PASS_THROUGH	2	/* needs ECAP.PT */
#define VTD_CTX_ENTRIES		256	/* one per devfn */

/* A PCI source-id: bus in 15:8, device 7:3, function 2:0. */
static inline uint16_t vtd_sid(unsigned int bus, unsigned int dev, unsigned int fn)
{
	return (uint16_t)(((bus & 0xff) << 8) | ((dev & 0x1f) << 3) | (fn & 7));
}
static inline unsigned int vtd_sid_bus(uint16_t sid) { return sid >> 8; }
static inline unsigned int vtd_sid_devfn(uint16_t sid) { return sid & 0xff; }

/* ------------------------------------------------------------------ */
/* Second-level paging entries (spec 9.8)                              */
/* ------------------------------------------------------------------ */

#define VTD_SLPTE_R		VTD_BIT64(0)	/* read */
#define VTD_SLPTE_W		VTD_BIT64(1)	/* write */
#define VTD_SLPTE_X		VTD_BIT64(2)	/* execute (ECAP.ERS) */
#define VTD_SLPTE_EMT		VTD_GENMASK64(5, 3)	/* memory type (ECAP.MTS) */
#define VTD_SLPTE_IPAT		VTD_BIT64(6)
#define VTD_SLPTE_PS		VTD_BIT64(7)	/* page size: superpage leaf */
#define VTD_SLPTE_A		VTD_BIT64(8)	/* accessed (scalable mode) */
#define VTD_SLPTE_D		VTD_BIT64(9)	/* dirty (scalable mode) */
#define VTD_SLPTE_SNP		VTD_BIT64(11)	/* snoop; reserved unless ECAP.SC */
#define VTD_SLPTE_ADDR		VTD_GENMASK64(51, 12)
#define VTD_SLPTE_TM		VTD_BIT64(62)	/* transient mapping; reserved unless ECAP.DT */
/* An entry is present when R or W is set (9.8: "at least one of R, W"). */
#define VTD_SLPTE_PRESENT	(VTD_SLPTE_R | VTD_SLPTE_W)
#define VTD_PT_ENTRIES		512
#define VTD_PT_LEVEL_BITS	9

/* Bits translated at @level (1 = 4 KiB leaf level) of a second-level table. */
static inline unsigned int vtd_level_shift(unsigned int level)
{
	return VTD_PAGE_SHIFT + (level - 1) * VTD_PT_LEVEL_BITS;
}
static inline unsigned int vtd_level_index(uint64_t iova, unsigned int level)
{
	return (unsigned int)(iova >> vtd_level_shift(level)) & (VTD_PT_ENTRIES - 1);
}

/* ------------------------------------------------------------------ */
/* Invalidation descriptors, 128-bit (spec 6.5.2)                      */
/* ------------------------------------------------------------------ */

struct vtd_inv_desc {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_inv_desc) == 16, "descriptor is 128 bits");

#define VTD_INV_TYPE		VTD_GENMASK64(3, 0)
#define VTD_INV_TYPE_HI		VTD_GENMASK64(11, 9)	/* type bits 6:4 (scalable) */
#define VTD_INV_TYPE_CC		0x1	/* context-cache */
#define VTD_INV_TYPE_IOTLB	0x2
#define VTD_INV_TYPE_DEVTLB	0x3
#define VTD_INV_TYPE_IEC	0x4	/* interrupt entry cache */
#define VTD_INV_TYPE_WAIT	0x5
#define VTD_INV_TYPE_PIOTLB	0x6	/* PASID-based IOTLB */
#define VTD_INV_TYPE_PC		0x7	/* PASID cache */
#define VTD_INV_TYPE_PDEVTLB	0x8
#define VTD_INV_TYPE_PGRP_RESP	0x9

/* Context-cache invalidate (6.5.2.1) */
#define VTD_INV_CC_G		VTD_GENMASK64(5, 4)	/* VTD_CC_GRAN_* */
#define VTD_INV_CC_DID		VTD_GENMASK64(31, 16)
#define VTD_INV_CC_SID		VTD_GENMASK64(47, 32)
#define VTD_INV_CC_FM		VTD_GENMASK64(49, 48)
#define VTD_INV_CC_LO_RSVD	(VTD_GENMASK64(15, 6) | VTD_GENMASK64(63, 50))

/* IOTLB invalidate (6.5.2.3) */
#define VTD_INV_IOTLB_G		VTD_GENMASK64(5, 4)	/* VTD_IOTLB_GRAN_* */
#define VTD_INV_IOTLB_DW	VTD_BIT64(6)
#define VTD_INV_IOTLB_DR	VTD_BIT64(7)
#define VTD_INV_IOTLB_DID	VTD_GENMASK64(31, 16)
#define VTD_INV_IOTLB_LO_RSVD	(VTD_GENMASK64(15, 8) | VTD_GENMASK64(63, 32))
#define VTD_INV_IOTLB_HI_AM	VTD_GENMASK64(5, 0)
#define VTD_INV_IOTLB_HI_IH	VTD_BIT64(6)
#define VTD_INV_IOTLB_HI_ADDR	VTD_GENMASK64(63, 12)
#define VTD_INV_IOTLB_HI_RSVD	VTD_GENMASK64(11, 7)

/* Device-TLB invalidate (6.5.2.5) */
#define VTD_INV_DEVTLB_PFSID_LO	VTD_GENMASK64(15, 12)
#define VTD_INV_DEVTLB_MIP	VTD_GENMASK64(20, 16)	/* max invs pending */
#define VTD_INV_DEVTLB_SID	VTD_GENMASK64(47, 32)
#define VTD_INV_DEVTLB_PFSID_HI	VTD_GENMASK64(63, 52)
#define VTD_INV_DEVTLB_HI_S	VTD_BIT64(0)	/* size encoded in ADDR */
#define VTD_INV_DEVTLB_HI_ADDR	VTD_GENMASK64(63, 12)

/* Interrupt entry cache invalidate (6.5.2.7) */
#define VTD_INV_IEC_G		VTD_BIT64(4)	/* 0 global, 1 index-selective */
#define VTD_INV_IEC_IM		VTD_GENMASK64(31, 27)	/* index mask: 2^IM entries */
#define VTD_INV_IEC_IIDX	VTD_GENMASK64(47, 32)	/* interrupt index */
#define VTD_INV_IEC_LO_RSVD	(VTD_GENMASK64(26, 5) | VTD_GENMASK64(63, 48))

/* Invalidation wait (6.5.2.8) */
#define VTD_INV_WAIT_IF		VTD_BIT64(4)	/* raise invalidation event */
#define VTD_INV_WAIT_SW		VTD_BIT64(5)	/* write status data */
#define VTD_INV_WAIT_FN		VTD_BIT64(6)	/* fence */
#define VTD_INV_WAIT_PD		VTD_BIT64(7)	/* page-request drain */
#define VTD_INV_WAIT_SDATA	VTD_GENMASK64(63, 32)	/* status data */
#define VTD_INV_WAIT_LO_RSVD	VTD_GENMASK64(31, 8)
#define VTD_INV_WAIT_HI_SADDR	VTD_GENMASK64(63, 2)	/* dword-aligned address */
#define VTD_INV_WAIT_HI_RSVD	VTD_GENMASK64(1, 0)

static inline struct vtd_inv_desc vtd_inv_cc(unsigned int gran, uint16_t did,
					     uint16_t sid, unsigned int fm)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_CC) |
		      vtd_field_prep(VTD_INV_CC_G, gran) |
		      vtd_field_prep(VTD_INV_CC_DID, did) |
		      vtd_field_prep(VTD_INV_CC_SID, sid) |
		      vtd_field_prep(VTD_INV_CC_FM, fm),
		.hi = 0,
	};
	return d;
}

/* @addr must be aligned to 2^@am pages (6.5.2.3). */
static inline struct vtd_inv_desc vtd_inv_iotlb(unsigned int gran, uint16_t did,
						uint64_t addr, unsigned int am,
						bool ih, bool drain_read,
						bool drain_write)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_IOTLB) |
		      vtd_field_prep(VTD_INV_IOTLB_G, gran) |
		      (drain_write ? VTD_INV_IOTLB_DW : 0) |
		      (drain_read ? VTD_INV_IOTLB_DR : 0) |
		      vtd_field_prep(VTD_INV_IOTLB_DID, did),
		.hi = (gran == VTD_IOTLB_GRAN_PAGE) ?
		      ((addr & VTD_INV_IOTLB_HI_ADDR) |
		       (ih ? VTD_INV_IOTLB_HI_IH : 0) |
		       vtd_field_prep(VTD_INV_IOTLB_HI_AM, am)) : 0,
	};
	return d;
}

static inline struct vtd_inv_desc vtd_inv_iec(bool index_selective,
					      uint16_t index, unsigned int im)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_IEC) |
		      (index_selective ? VTD_INV_IEC_G : 0) |
		      (index_selective ? vtd_field_prep(VTD_INV_IEC_IM, im) : 0) |
		      (index_selective ? vtd_field_prep(VTD_INV_IEC_IIDX, index) : 0),
		.hi = 0,
	};
	return d;
}

/* @status_addr must be 4-byte aligned. */
static inline struct vtd_inv_desc vtd_inv_wait(bool status_write, uint32_t status,
					       uint64_t status_addr, bool intr,
					       bool fence)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_WAIT) |
		      (intr ? VTD_INV_WAIT_IF : 0) |
		      (status_write ? VTD_INV_WAIT_SW : 0) |
		      (fence ? VTD_INV_WAIT_FN : 0) |
		      (status_write ? vtd_field_prep(VTD_INV_WAIT_SDATA, status) : 0),
		.hi = status_write ? (status_addr & VTD_INV_WAIT_HI_SADDR) : 0,
	};
	return d;
}

static inline struct vtd_inv_desc vtd_inv_devtlb(uint16_t sid, uint16_t pfsid,
						 unsigned int max_pending,
						 uint64_t addr, bool size)
{
	struct vtd_inv_desc d = {
		.lo = vtd_field_prep(VTD_INV_TYPE, VTD_INV_TYPE_DEVTLB) |
		      vtd_field_prep(VTD_INV_DEVTLB_PFSID_LO, pfsid & 0xf) |
		      vtd_field_prep(VTD_INV_DEVTLB_MIP, max_pending) |
		      vtd_field_prep(VTD_INV_DEVTLB_SID, sid) |
		      vtd_field_prep(VTD_INV_DEVTLB_PFSID_HI, pfsid >> 4),
		.hi = (addr & VTD_INV_DEVTLB_HI_ADDR) | (size ? VTD_INV_DEVTLB_HI_S : 0),
	};
	return d;
}

/* ------------------------------------------------------------------ */
/* Fault reasons (spec 7.1.3 and Appendix A, legacy-mode codes)        */
/* ------------------------------------------------------------------ */

/*
 * Legacy-mode DMA-remapping reasons run from 0x01 to 0x0D; 0x00 is
 * reserved (software's "no reason" in initialised advanced fault-log
 * entries) and 0x0E-0x1F are not assigned to legacy-mode conditions (the
 * same range QEMU's VTDFaultReason and Linux's dmar.c table cover; Linux
 * commit 4ecccd9edd5e: "DMA fault reasons in Intel's document are from 1
 * to 0xD").  Interrupt-remapping reasons are 0x20-0x27; 0x30 and up are
 * scalable-mode reasons, which a legacy-mode driver never provokes.
 */

enum vtd_fault_reason {
	VTD_FR_ROOT_P		= 0x01,	/* root entry not present */
	VTD_FR_CTX_P		= 0x02,	/* context entry not present */
	VTD_FR_CTX_INV		= 0x03,	/* invalid context entry programming */
	VTD_FR_ADDR_BEYOND_AW	= 0x04,	/* input address above 2^AW - 1 */
	VTD_FR_WRITE		= 0x05,	/* write to a page without W */
	VTD_FR_READ		= 0x06,	/* read from a page without R */
	VTD_FR_PT_ACCESS	= 0x07,	/* next-level table access failed */
	VTD_FR_ROOT_ACCESS	= 0x08,	/* root table access failed */
	VTD_FR_CTX_ACCESS	= 0x09,	/* context table access failed */
	VTD_FR_ROOT_RSVD	= 0x0a,	/* reserved bit set in root entry */
	VTD_FR_CTX_RSVD		= 0x0b,	/* reserved bit set in context entry */
	VTD_FR_PT_RSVD		= 0x0c,	/* reserved bit set in paging entry */
	VTD_FR_CTX_TT		= 0x0d,	/* request blocked by context TT */
	VTD_FR_IR_REQ_RSVD	= 0x20,	/* reserved bit in remappable request */
	VTD_FR_IR_INDEX		= 0x21,	/* index beyond IRTA.S */
	VTD_FR_IR_P		= 0x22,	/* IRTE not present */
	VTD_FR_IR_ACCESS	= 0x23,	/* IRTE access failed */
	VTD_FR_IR_RSVD		= 0x24,	/* reserved bit set in present IRTE */
	VTD_FR_IR_COMPAT	= 0x25,	/* compatibility format blocked */
	VTD_FR_IR_SID		= 0x26,	/* source-id validation failed */
	VTD_FR_IR_PDA_ACCESS	= 0x27,	/* posted descriptor access failed */
};

/* ------------------------------------------------------------------ */
/* Interrupt remapping (spec 5.1, 9.10, 9.11)                          */
/* ------------------------------------------------------------------ */

/*
 * Checked field by field against the spec and against QEMU 7.2
 * (include/hw/i386/intel_iommu.h union VTD_IR_TableEntry and
 * VTD_IR_MSIAddress; hw/i386/intel_iommu.c vtd_irte_get(),
 * vtd_remap_irq_get(), vtd_interrupt_remap_msi()) and Linux's
 * include/linux/dmar.h struct irte (remapped and posted views).
 */
struct vtd_irte {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_irte) == 16, "IRTE is 128 bits");

/* Bits common to both formats (9.10, 9.11), low 64 bits */
#define VTD_IRTE_LO_P		VTD_BIT64(0)
#define VTD_IRTE_LO_FPD		VTD_BIT64(1)	/* fault processing disable */
#define VTD_IRTE_LO_AVAIL	VTD_GENMASK64(11, 8)	/* ignored by hardware */
#define VTD_IRTE_LO_IM		VTD_BIT64(15)	/* 1 = posted format (IRTE mode) */
#define VTD_IRTE_LO_V		VTD_GENMASK64(23, 16)	/* vector (posted: virtual) */
/* ... and high 64 bits: source validation (9.10, table "SVT/SQ") */
#define VTD_IRTE_HI_SID		VTD_GENMASK64(15, 0)
#define VTD_IRTE_HI_SQ		VTD_GENMASK64(17, 16)	/* SID qualifier */
#define VTD_IRTE_HI_SVT		VTD_GENMASK64(19, 18)	/* SID validation type */

/* Remapped format (9.10), IM = 0 */
#define VTD_IRTE_LO_DM		VTD_BIT64(2)	/* 1 = logical destination */
#define VTD_IRTE_LO_RH		VTD_BIT64(3)	/* redirection hint */
#define VTD_IRTE_LO_TM		VTD_BIT64(4)	/* 1 = level triggered */
#define VTD_IRTE_LO_DLM		VTD_GENMASK64(7, 5)	/* delivery mode */
#define VTD_IRTE_LO_DST		VTD_GENMASK64(63, 32)	/* destination ID */
/*
 * IRTA.EIME = 0 (xAPIC): the 8-bit APIC ID sits in DST bits 15:8, i.e.
 * IRTE bits 47:40, and IRTE bits 39:32 and 63:48 are reserved (9.10).
 * QEMU: irq->dest = (dest_id & 0xff00) >> 8 when !intr_eime.
 * IRTA.EIME = 1 (x2APIC): all 32 DST bits are the destination.
 */
#define VTD_IRTE_LO_DST_XAPIC	VTD_GENMASK64(47, 40)
#define VTD_IRTE_LO_DST_XAPIC_RSVD (VTD_GENMASK64(39, 32) | VTD_GENMASK64(63, 48))
/* Reserved in a present remapped IRTE (fault 0x24); QEMU's __reserved_0,
 * __reserved_1 and __reserved_2. */
#define VTD_IRTE_LO_RSVD	(VTD_GENMASK64(14, 12) | VTD_GENMASK64(31, 24))
#define VTD_IRTE_HI_RSVD	VTD_GENMASK64(63, 20)

/* Posted format (9.11), IM = 1; only when CAP.PI.  Linux: struct irte
 * p_urgent (14), pda_l (38..63), pda_h (96..127). */
#define VTD_IRTE_LO_URG		VTD_BIT64(14)	/* urgent */
#define VTD_IRTE_LO_PDA_LO	VTD_GENMASK64(63, 38)	/* descriptor address 31:6 */
#define VTD_IRTE_HI_PDA_HI	VTD_GENMASK64(63, 32)	/* descriptor address 63:32 */
#define VTD_IRTE_LO_PI_RSVD	(VTD_GENMASK64(7, 2) | VTD_GENMASK64(13, 12) | \
				 VTD_GENMASK64(37, 24))
#define VTD_IRTE_HI_PI_RSVD	VTD_GENMASK64(31, 20)
/* The posted-interrupt descriptor is 64-byte aligned (9.12). */
#define VTD_PDA_ALIGN		64

/* SVT values (9.10) */
#define VTD_SVT_NONE		0	/* no source-id check */
#define VTD_SVT_SID		1	/* check SID with the SQ mask */
/*
 * Bus range: the requester's bus must lie in [SID[15:8], SID[7:0]], i.e.
 * start bus in the upper byte and end bus in the lower byte (9.10; Linux
 * set_irte_verify_bus() writes (start_bus << 8) | end_bus).  QEMU 7.2's
 * vtd_irte_get() reads the upper byte as the maximum and the lower byte
 * as the minimum, so it only agrees with the spec when start == end.
 */
#define VTD_SVT_BUS		2
/* SQ values (9.10): which requester-id bits SVT_SID compares */
#define VTD_SQ_ALL		0	/* all 16 bits */
#define VTD_SQ_IGN_2		1	/* ignore bit 2 */
#define VTD_SQ_IGN_2_1		2	/* ignore bits 2:1 */
#define VTD_SQ_IGN_2_0		3	/* ignore bits 2:0 (the function) */

/* Requester-id bits compared under @sq; QEMU's vtd_svt_mask[] is
 * {0xffff, 0xfffb, 0xfff9, 0xfff8}. */
static inline uint16_t vtd_sq_mask(unsigned int sq)
{
	static const uint16_t mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };

	return mask[sq & 3];
}

/* Delivery modes (Intel SDM vol. 3 10.11.2; 011b and 110b reserved) */
#define VTD_DLM_FIXED		0
#define VTD_DLM_LOWEST		1
#define VTD_DLM_SMI		2
#define VTD_DLM_NMI		4
#define VTD_DLM_INIT		5
#define VTD_DLM_EXTINT		7

/* Entries in the table IRTA describes: 2^(S + 1), 2 .. 65536 (11.4.10). */
static inline uint32_t vtd_irta_entries(uint64_t irta)
{
	return 2u << vtd_field_get(VTD_IRTA_S, irta);
}

/*
 * Remappable-format MSI address (5.1.2.2, programmed as in 5.1.5.2):
 * 0xFEE in 31:20, handle[14:0] in 19:5, interrupt format bit 4 = 1,
 * SHV bit 3, handle[15] in bit 2, bits 1:0 don't care; the upper 32
 * address bits must be 0.  QEMU's VTD_IR_MSIAddress: __not_care:2,
 * index_h:1, sub_valid:1, int_mode:1, index_l:15, __head:12.
 */
#define VTD_MSI_ADDR_BASE	0xfee00000ULL
#define VTD_MSI_ADDR_HEAD	VTD_GENMASK64(31, 20)	/* 0xfee */
#define VTD_MSI_ADDR_HEAD_VAL	0xfee
#define VTD_MSI_ADDR_HANDLE_LO	VTD_GENMASK64(19, 5)
#define VTD_MSI_ADDR_IF		VTD_BIT64(4)	/* remappable format */
#define VTD_MSI_ADDR_SHV	VTD_BIT64(3)	/* subhandle valid */
#define VTD_MSI_ADDR_HANDLE_HI	VTD_BIT64(2)
#define VTD_MSI_ADDR_HI_RSVD	VTD_GENMASK64(63, 32)
/* Data: subhandle in 15:0 (added to the handle when SHV), 31:16 reserved
 * when SHV (QEMU: VTD_IR_MSI_DATA_RESERVED, fault 0x20). */
#define VTD_MSI_DATA_SUBHANDLE	VTD_GENMASK64(15, 0)
#define VTD_MSI_DATA_RSVD	VTD_GENMASK64(31, 16)

/*
 * I/OxAPIC redirection-table entry in remappable format (5.1.5.1).  The
 * I/OxAPIC turns it into a remappable MSI with SHV = 0: RTE bits 63:48
 * become address bits 19:4 and RTE bit 11 address bit 2 (QEMU's
 * ioapic_entry_parse(): dest_idx = entry >> 48 shifted to address bit 4,
 * bit 11 to address bit 2).  Linux: struct IR_IO_APIC_route_entry.
 */
#define VTD_IOAPIC_RTE_VECTOR	VTD_GENMASK64(7, 0)	/* must match the IRTE */
#define VTD_IOAPIC_RTE_ZERO	VTD_GENMASK64(10, 8)	/* 000b */
#define VTD_IOAPIC_RTE_HANDLE_HI VTD_BIT64(11)	/* interrupt_index[15] */
#define VTD_IOAPIC_RTE_DELIVS	VTD_BIT64(12)	/* delivery status, RO */
#define VTD_IOAPIC_RTE_POLARITY	VTD_BIT64(13)	/* 1 = active low */
#define VTD_IOAPIC_RTE_RIRR	VTD_BIT64(14)	/* remote IRR, RO */
#define VTD_IOAPIC_RTE_TM	VTD_BIT64(15)	/* 1 = level; must match IRTE */
#define VTD_IOAPIC_RTE_MASK	VTD_BIT64(16)
#define VTD_IOAPIC_RTE_RSVD	VTD_GENMASK64(47, 17)
#define VTD_IOAPIC_RTE_IF	VTD_BIT64(48)	/* 1 = remappable format */
#define VTD_IOAPIC_RTE_HANDLE_LO VTD_GENMASK64(63, 49)	/* interrupt_index[14:0] */

#endif /* LIOMMU_VTD_H */
