// SPDX-License-Identifier: MIT
/*
 * protect.c - ELI's protection helpers: a VMX-preemption-timer slice so
 * a guest that never exits still returns control to the host, and
 * in-service tracking that tells the guest's own EOIs from spurious ones
 * and from EOIs that retire a host interrupt.
 */
#include <errno.h>
#include <stdint.h>

#include <liommu/eli.h>

#define NSEC_PER_SEC	1000000000ULL

/* GCC/Clang's 128-bit integer; __extension__ keeps -pedantic quiet. */
__extension__ typedef unsigned __int128 u128;

/* ------------------------------------------------------------------ */
/* VMX-preemption timer (SDM vol. 3C 25.5.1, vol. 3D A.6)              */
/* ------------------------------------------------------------------ */

LIOMMU_EXPORT int liommu_eli_preempt_timer(uint64_t tsc_hz, uint64_t vmx_misc,
					   uint64_t slice_ns, uint32_t *value)
{
	unsigned int rate = (unsigned int)vtd_field_get(LIOMMU_VMX_MISC_PREEMPT_RATE, vmx_misc);
	u128 ticks, v;

	if (!tsc_hz)
		return -EINVAL;
	/* The product of two 64-bit values is exact in 128 bits; both
	 * divisions round down. */
	ticks = (u128)tsc_hz * slice_ns / NSEC_PER_SEC;
	v = ticks >> rate;
	if (v > UINT32_MAX)
		return -ERANGE;
	*value = (uint32_t)v;
	return 0;
}

LIOMMU_EXPORT int liommu_eli_preempt_timer_ns(uint64_t tsc_hz, uint64_t vmx_misc,
					      uint32_t value, uint64_t *ns)
{
	unsigned int rate = (unsigned int)vtd_field_get(LIOMMU_VMX_MISC_PREEMPT_RATE, vmx_misc);
	u128 t;

	if (!tsc_hz)
		return -EINVAL;
	/* value < 2^32, 2^rate <= 2^31, 10^9 < 2^30: the product fits. */
	t = ((u128)value << rate) * NSEC_PER_SEC / tsc_hz;
	*ns = t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
	return 0;
}

/* ------------------------------------------------------------------ */
/* In-service tracking                                                 */
/* ------------------------------------------------------------------ */

LIOMMU_EXPORT int liommu_eli_isr_deliver(struct liommu_eli_isr *isr, unsigned int vector)
{
	if (vector < 16 || vector >= LIOMMU_ELI_VECTORS)
		return -EINVAL;
	if (liommu_eli_vecset_test(&isr->in_service, vector))
		return -EBUSY;
	liommu_eli_vecset_add(&isr->in_service, vector);
	return 0;
}

LIOMMU_EXPORT int liommu_eli_isr_eoi(struct liommu_eli_isr *isr,
				     const struct liommu_eli_vecset *guest,
				     unsigned int *vector)
{
	int w;

	/* An EOI retires the highest-priority in-service vector; priority
	 * rises with the vector number (SDM vol. 3A 10.8.3.1, 10.8.5). */
	for (w = 3; w >= 0; w--) {
		uint64_t bits = isr->in_service.bits[w];
		unsigned int v;

		if (!bits)
			continue;
		v = (unsigned int)w * 64 + 63 - (unsigned int)__builtin_clzll(bits);
		liommu_eli_vecset_del(&isr->in_service, v);
		if (vector)
			*vector = v;
		return liommu_eli_vecset_test(guest, v) ? LIOMMU_ELI_EOI_GUEST :
							   LIOMMU_ELI_EOI_HOST;
	}
	return LIOMMU_ELI_EOI_SPURIOUS;
}
