// SPDX-License-Identifier: MIT
/*
 * idt.c - 64-bit IDT gate descriptors and the ELI shadow IDT.
 *
 * The shadow IDT is what the guest runs with in ELI's direct mode: the
 * gates of the vectors assigned to the guest are the guest's own, copied
 * bit for bit, and every other gate is not-present, so a host interrupt
 * that arrives while the guest runs raises #NP and exits (Gordon et al.,
 * ASPLOS 2012, section 4).  The IDTR limit can additionally cut the
 * table short: a vector whose gate lies beyond the limit raises #GP
 * (SDM vol. 3A 6.10), which exits too.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <liommu/eli.h>

LIOMMU_EXPORT int liommu_eli_gate_compose(const struct liommu_gate *g,
					  struct liommu_idt_gate *out)
{
	if (g->type != LIOMMU_GATE_TYPE_INTR && g->type != LIOMMU_GATE_TYPE_TRAP)
		return -EINVAL;
	if (g->ist > 7 || g->dpl > 3)
		return -ERANGE;

	out->lo = vtd_field_prep(LIOMMU_GATE_LO_OFF_15_0, g->offset) |
		  vtd_field_prep(LIOMMU_GATE_LO_SEL, g->selector) |
		  vtd_field_prep(LIOMMU_GATE_LO_IST, g->ist) |
		  vtd_field_prep(LIOMMU_GATE_LO_TYPE, g->type) |
		  vtd_field_prep(LIOMMU_GATE_LO_DPL, g->dpl) |
		  (g->present ? LIOMMU_GATE_LO_P : 0) |
		  vtd_field_prep(LIOMMU_GATE_LO_OFF_31_16, g->offset >> 16);
	out->hi = vtd_field_prep(LIOMMU_GATE_HI_OFF_63_32, g->offset >> 32);
	return 0;
}

LIOMMU_EXPORT int liommu_eli_gate_decode(const struct liommu_idt_gate *d,
					 struct liommu_gate *out)
{
	struct liommu_gate g;

	g.offset = vtd_field_get(LIOMMU_GATE_LO_OFF_15_0, d->lo) |
		   vtd_field_get(LIOMMU_GATE_LO_OFF_31_16, d->lo) << 16 |
		   vtd_field_get(LIOMMU_GATE_HI_OFF_63_32, d->hi) << 32;
	g.selector = (uint16_t)vtd_field_get(LIOMMU_GATE_LO_SEL, d->lo);
	g.ist = (unsigned int)vtd_field_get(LIOMMU_GATE_LO_IST, d->lo);
	g.type = (unsigned int)vtd_field_get(LIOMMU_GATE_LO_TYPE, d->lo);
	g.dpl = (unsigned int)vtd_field_get(LIOMMU_GATE_LO_DPL, d->lo);
	g.present = d->lo & LIOMMU_GATE_LO_P;

	/* A present gate the CPU would reject raises #GP on delivery; a
	 * not-present one is never looked at beyond P. */
	if (g.present) {
		if (g.type != LIOMMU_GATE_TYPE_INTR && g.type != LIOMMU_GATE_TYPE_TRAP)
			return -EINVAL;
		if ((d->lo & (LIOMMU_GATE_LO_ZERO | LIOMMU_GATE_LO_S)) ||
		    (d->hi & LIOMMU_GATE_HI_RSVD))
			return -EINVAL;
	}
	*out = g;
	return 0;
}

LIOMMU_EXPORT int liommu_eli_idtr_limit(unsigned int threshold, uint16_t *limit)
{
	if (threshold > LIOMMU_ELI_VECTORS)
		return -ERANGE;
	/* Vector v's gate spans bytes 16v .. 16v + 15; the limit is the
	 * last valid byte, so 16 * threshold - 1 keeps vectors below the
	 * threshold and cuts off the rest.  With threshold 0 even vector 0
	 * does not fit under limit 0. */
	*limit = threshold ? (uint16_t)(threshold * LIOMMU_GATE_SIZE - 1) : 0;
	return 0;
}

LIOMMU_EXPORT int liommu_eli_shadow_build(const struct liommu_eli_shadow_cfg *cfg,
					  struct liommu_eli_shadow *out,
					  unsigned int *bad_vector)
{
	struct liommu_eli_vecset exposed;
	struct liommu_gate g;
	uint16_t limit;
	unsigned int v;
	int ret;

	ret = liommu_eli_idtr_limit(cfg->threshold, &limit);
	if (ret)
		return ret;
	if (!cfg->guest_idt && liommu_eli_vecset_count(&cfg->assigned))
		return -EINVAL;
	/* Validate everything before writing anything. */
	for (v = 0; v < LIOMMU_ELI_VECTORS; v++) {
		if (!liommu_eli_vecset_test(&cfg->assigned, v))
			continue;
		if (v >= cfg->threshold) {
			if (bad_vector)
				*bad_vector = v;
			return -ERANGE;
		}
		if (!liommu_eli_idt_covers(cfg->guest_limit, v))
			continue;
		if (liommu_eli_gate_decode(&cfg->guest_idt[v], &g)) {
			if (bad_vector)
				*bad_vector = v;
			return -EINVAL;
		}
	}

	memset(&exposed, 0, sizeof(exposed));
	for (v = 0; v < LIOMMU_ELI_VECTORS; v++) {
		out->idt[v].lo = 0;
		out->idt[v].hi = 0;
		if (!liommu_eli_vecset_test(&cfg->assigned, v) ||
		    !liommu_eli_idt_covers(cfg->guest_limit, v) ||
		    !(cfg->guest_idt[v].lo & LIOMMU_GATE_LO_P))
			continue;
		out->idt[v] = cfg->guest_idt[v];
		liommu_eli_vecset_add(&exposed, v);
	}
	out->limit = limit;
	out->exposed = exposed;
	return (int)liommu_eli_vecset_count(&exposed);
}
