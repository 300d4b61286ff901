// SPDX-License-Identifier: MIT
/*
 * posted.c - posted-interrupt descriptor operations (VT-d 9.12, 5.2.3;
 * Intel SDM vol. 3C 29.6).
 *
 * The descriptor is shared with hardware that updates it with locked
 * read-modify-writes (the remapping unit posting, the CPU processing
 * posted interrupts), so every access here is an atomic on the 64-bit
 * word holding the field.  The control-word updates that change more
 * than one field (NDST with NV and SN on migration, NV on blocking) are
 * single compare-and-swap loops, in the manner of KVM's
 * arch/x86/kvm/vmx/posted_intr.c, so hardware never observes half of an
 * update.
 */
#include <errno.h>
#include <stdint.h>

#include <liommu/irte.h>
#include <liommu/vtd.h>

static uint64_t *pir_word(struct liommu_pi_desc *pd, uint8_t vector)
{
	return &pd->pir[vector / 64];
}

static uint64_t pir_bit(uint8_t vector)
{
	return VTD_BIT64(vector % 64);
}

static int ndst_prep(uint32_t ndst, bool x2apic, uint64_t *field)
{
	if (!x2apic && ndst > 0xff)
		return -ERANGE;
	*field = x2apic ? vtd_field_prep(LIOMMU_PID_NDST, ndst) :
			  vtd_field_prep(LIOMMU_PID_NDST_XAPIC, ndst);
	return 0;
}

LIOMMU_EXPORT int liommu_pi_desc_init(struct liommu_pi_desc *pd, uint8_t nv,
				      uint32_t ndst, bool x2apic)
{
	uint64_t dst;
	unsigned int i;
	int ret;

	if (nv < 16)
		return -EINVAL;
	ret = ndst_prep(ndst, x2apic, &dst);
	if (ret)
		return ret;
	for (i = 0; i < 4; i++)
		pd->pir[i] = 0;
	for (i = 0; i < 3; i++)
		pd->rsvd[i] = 0;
	pd->control = vtd_field_prep(LIOMMU_PID_NV, nv) | dst;
	return 0;
}

/* ------------------------------------------------------------------ */
/* PIR                                                                 */
/* ------------------------------------------------------------------ */

LIOMMU_EXPORT bool liommu_pi_test_and_set_pir(struct liommu_pi_desc *pd, uint8_t vector)
{
	return __atomic_fetch_or(pir_word(pd, vector), pir_bit(vector),
				 __ATOMIC_SEQ_CST) & pir_bit(vector);
}

LIOMMU_EXPORT bool liommu_pi_test_and_clear_pir(struct liommu_pi_desc *pd, uint8_t vector)
{
	return __atomic_fetch_and(pir_word(pd, vector), ~pir_bit(vector),
				  __ATOMIC_SEQ_CST) & pir_bit(vector);
}

LIOMMU_EXPORT bool liommu_pi_test_pir(const struct liommu_pi_desc *pd, uint8_t vector)
{
	return __atomic_load_n(&pd->pir[vector / 64], __ATOMIC_SEQ_CST) & pir_bit(vector);
}

LIOMMU_EXPORT unsigned int liommu_pi_take_pir(struct liommu_pi_desc *pd, uint64_t out[4])
{
	unsigned int i, n = 0;

	for (i = 0; i < 4; i++) {
		/* Skip the locked exchange on an empty word, as KVM does: a
		 * request posted after the load is picked up next time. */
		if (!__atomic_load_n(&pd->pir[i], __ATOMIC_RELAXED)) {
			out[i] = 0;
			continue;
		}
		out[i] = __atomic_exchange_n(&pd->pir[i], 0, __ATOMIC_SEQ_CST);
		n += (unsigned int)__builtin_popcountll(out[i]);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Control word: ON, SN, NV, NDST                                      */
/* ------------------------------------------------------------------ */

static uint64_t control_load(const struct liommu_pi_desc *pd)
{
	return __atomic_load_n(&pd->control, __ATOMIC_SEQ_CST);
}

LIOMMU_EXPORT bool liommu_pi_test_on(const struct liommu_pi_desc *pd)
{
	return control_load(pd) & LIOMMU_PID_ON;
}

LIOMMU_EXPORT bool liommu_pi_test_and_set_on(struct liommu_pi_desc *pd)
{
	return __atomic_fetch_or(&pd->control, LIOMMU_PID_ON, __ATOMIC_SEQ_CST) &
	       LIOMMU_PID_ON;
}

LIOMMU_EXPORT bool liommu_pi_test_and_clear_on(struct liommu_pi_desc *pd)
{
	return __atomic_fetch_and(&pd->control, ~LIOMMU_PID_ON, __ATOMIC_SEQ_CST) &
	       LIOMMU_PID_ON;
}

LIOMMU_EXPORT bool liommu_pi_test_sn(const struct liommu_pi_desc *pd)
{
	return control_load(pd) & LIOMMU_PID_SN;
}

LIOMMU_EXPORT void liommu_pi_set_sn(struct liommu_pi_desc *pd)
{
	__atomic_fetch_or(&pd->control, LIOMMU_PID_SN, __ATOMIC_SEQ_CST);
}

LIOMMU_EXPORT void liommu_pi_clear_sn(struct liommu_pi_desc *pd)
{
	__atomic_fetch_and(&pd->control, ~LIOMMU_PID_SN, __ATOMIC_SEQ_CST);
}

LIOMMU_EXPORT uint8_t liommu_pi_nv(const struct liommu_pi_desc *pd)
{
	return (uint8_t)vtd_field_get(LIOMMU_PID_NV, control_load(pd));
}

LIOMMU_EXPORT uint32_t liommu_pi_ndst(const struct liommu_pi_desc *pd, bool x2apic)
{
	return (uint32_t)vtd_field_get(x2apic ? LIOMMU_PID_NDST : LIOMMU_PID_NDST_XAPIC,
				       control_load(pd));
}

LIOMMU_EXPORT int liommu_pi_post(struct liommu_pi_desc *pd, uint8_t vector, bool urgent)
{
	uint64_t old, new;

	if (vector < 16)
		return -EINVAL;
	/* PIR first, with a full barrier, so whoever sees ON (set below or
	 * by an earlier posting) also sees this request. */
	__atomic_fetch_or(pir_word(pd, vector), pir_bit(vector), __ATOMIC_SEQ_CST);

	old = control_load(pd);
	do {
		if (old & LIOMMU_PID_ON)
			return 0;	/* a notification is already outstanding */
		if ((old & LIOMMU_PID_SN) && !urgent)
			return 0;	/* suppressed: stays in the PIR */
		new = old | LIOMMU_PID_ON;
	} while (!__atomic_compare_exchange_n(&pd->control, &old, new, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return 1;
}

LIOMMU_EXPORT int liommu_pi_set_dest(struct liommu_pi_desc *pd, uint32_t ndst,
				     bool x2apic, uint8_t nv)
{
	uint64_t dst, old, new;
	int ret;

	if (nv < 16)
		return -EINVAL;
	ret = ndst_prep(ndst, x2apic, &dst);
	if (ret)
		return ret;

	old = control_load(pd);
	do {
		new = (old & ~(LIOMMU_PID_NDST | LIOMMU_PID_NV | LIOMMU_PID_SN)) |
		      dst | vtd_field_prep(LIOMMU_PID_NV, nv);
	} while (!__atomic_compare_exchange_n(&pd->control, &old, new, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return 0;
}

LIOMMU_EXPORT int liommu_pi_block(struct liommu_pi_desc *pd, uint8_t wakeup_nv)
{
	uint64_t old, new;

	if (wakeup_nv < 16)
		return -EINVAL;
	old = control_load(pd);
	do {
		new = (old & ~LIOMMU_PID_NV) | vtd_field_prep(LIOMMU_PID_NV, wakeup_nv);
	} while (!__atomic_compare_exchange_n(&pd->control, &old, new, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	/* A notification sent before the switch used the old vector. */
	return (new & LIOMMU_PID_ON) ? 1 : 0;
}
