// SPDX-License-Identifier: MIT
/*
 * msr.c - MSR intercept bitmaps for EOI pass-through.
 *
 * ELI lets the guest write the x2APIC EOI register (MSR 0x80b) directly
 * and traps every other MSR access.  Intel VMX describes intercepts with
 * a 4 KiB MSR bitmap (SDM vol. 3C 24.6.9), AMD SVM with an 8 KiB MSR
 * permission map (APM vol. 2 15.11).  Both are written byte-wise here, so
 * the position of every bit is a line of arithmetic.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <liommu/eli.h>

/* ------------------------------------------------------------------ */
/* VMX                                                                 */
/* ------------------------------------------------------------------ */

/* Index of @msr's read or write bit in the VMX bitmap (byte = index / 8,
 * bit = index % 8); -1 for MSRs the bitmap does not cover. */
static long vmx_bit(uint32_t msr, bool write)
{
	if (msr <= 0x1fff)
		return (long)(write ? LIOMMU_VMX_MSR_WRITE_LOW : LIOMMU_VMX_MSR_READ_LOW) * 8 + msr;
	if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		return (long)(write ? LIOMMU_VMX_MSR_WRITE_HIGH : LIOMMU_VMX_MSR_READ_HIGH) * 8 +
		       (msr - 0xc0000000u);
	return -1;
}

LIOMMU_EXPORT int liommu_eli_vmx_msr_intercept(uint8_t *bm, uint32_t msr, bool write,
					       bool intercept)
{
	long bit = vmx_bit(msr, write);

	if (bit < 0)
		return -ERANGE;
	if (intercept)
		bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		bm[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	return 0;
}

LIOMMU_EXPORT bool liommu_eli_vmx_msr_exits(const uint8_t *bm, uint32_t msr, bool write)
{
	long bit = vmx_bit(msr, write);

	return bit < 0 || ((bm[bit / 8] >> (bit % 8)) & 1);
}

LIOMMU_EXPORT int liommu_eli_vmx_msr_bitmap_build(uint8_t *bm)
{
	memset(bm, 0xff, LIOMMU_VMX_MSR_BITMAP_SIZE);
	/* Write-low byte 0x800 + 0x80b / 8 = 0x901, bit 0x80b % 8 = 3. */
	return liommu_eli_vmx_msr_intercept(bm, LIOMMU_MSR_X2APIC_EOI, true, false);
}

/* ------------------------------------------------------------------ */
/* SVM                                                                 */
/* ------------------------------------------------------------------ */

/* Index of @msr's read (2n) or write (2n + 1) bit in the SVM map. */
static long svm_bit(uint32_t msr, bool write)
{
	long base;

	if (msr <= 0x1fff)
		base = LIOMMU_SVM_MSRPM_RANGE0;
	else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		base = LIOMMU_SVM_MSRPM_RANGE1;
	else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
		base = LIOMMU_SVM_MSRPM_RANGE2;
	else
		return -1;
	return base * 8 + 2 * (long)(msr & 0x1fff) + (write ? 1 : 0);
}

LIOMMU_EXPORT int liommu_eli_svm_msr_intercept(uint8_t *pm, uint32_t msr, bool write,
					       bool intercept)
{
	long bit = svm_bit(msr, write);

	if (bit < 0)
		return -ERANGE;
	if (intercept)
		pm[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		pm[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	return 0;
}

LIOMMU_EXPORT bool liommu_eli_svm_msr_exits(const uint8_t *pm, uint32_t msr, bool write)
{
	long bit = svm_bit(msr, write);

	return bit < 0 || ((pm[bit / 8] >> (bit % 8)) & 1);
}

LIOMMU_EXPORT int liommu_eli_svm_msrpm_build(uint8_t *pm)
{
	memset(pm, 0xff, LIOMMU_SVM_MSRPM_SIZE);
	/* Range 0, write bit 2 * 0x80b + 1 = 0x1017: byte 0x202, bit 7. */
	return liommu_eli_svm_msr_intercept(pm, LIOMMU_MSR_X2APIC_EOI, true, false);
}
