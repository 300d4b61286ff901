// SPDX-License-Identifier: MIT
/*
 * irte.c - interrupt-remapping table entries and remappable messages.
 *
 * Read top to bottom: source validation, remapped IRTEs (spec 9.10),
 * posted IRTEs (9.11), remappable MSI address/data (5.1.2.2, 5.1.5.2),
 * I/OxAPIC redirection entries (5.1.5.1), and the ordered update of a
 * live entry.  Every bit comes from liommu/vtd.h; this file only decides
 * which combinations are valid.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/irte.h>
#include <liommu/vtd.h>

#include "irq-remap-internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* ------------------------------------------------------------------ */
/* Source validation (9.10 SVT, SQ, SID)                               */
/* ------------------------------------------------------------------ */

static int sid_validate(const struct liommu_irte_sid *s)
{
	if (s->svt > VTD_SVT_BUS)
		return -EINVAL;		/* 11b is reserved */
	if (s->sq > VTD_SQ_IGN_2_0)
		return -ERANGE;
	switch (s->svt) {
	case VTD_SVT_NONE:
		/* Hardware ignores SQ and SID; refusing them keeps a caller
		 * from believing it asked for validation. */
		if (s->sq || s->sid)
			return -EINVAL;
		break;
	case VTD_SVT_BUS:
		if (s->sq)
			return -EINVAL;
		if ((s->sid >> 8) > (s->sid & 0xff))
			return -ERANGE;	/* start bus above end bus */
		break;
	default:
		break;
	}
	return 0;
}

static uint64_t sid_prep(const struct liommu_irte_sid *s)
{
	return vtd_field_prep(VTD_IRTE_HI_SID, s->sid) |
	       vtd_field_prep(VTD_IRTE_HI_SQ, s->sq) |
	       vtd_field_prep(VTD_IRTE_HI_SVT, s->svt);
}

static int sid_get(uint64_t hi, struct liommu_irte_sid *s)
{
	s->svt = (unsigned int)vtd_field_get(VTD_IRTE_HI_SVT, hi);
	s->sq = (unsigned int)vtd_field_get(VTD_IRTE_HI_SQ, hi);
	s->sid = (uint16_t)vtd_field_get(VTD_IRTE_HI_SID, hi);
	return s->svt > VTD_SVT_BUS ? -EINVAL : 0;
}

LIOMMU_EXPORT int liommu_irte_sid_check(const struct vtd_irte *e, uint16_t rid)
{
	uint16_t sid = (uint16_t)vtd_field_get(VTD_IRTE_HI_SID, e->hi);
	unsigned int sq = (unsigned int)vtd_field_get(VTD_IRTE_HI_SQ, e->hi);
	unsigned int bus = rid >> 8;
	uint16_t mask;

	switch (vtd_field_get(VTD_IRTE_HI_SVT, e->hi)) {
	case VTD_SVT_NONE:
		return 0;
	case VTD_SVT_SID:
		mask = vtd_sq_mask(sq);
		return (sid & mask) == (rid & mask) ? 0 : -EPERM;
	case VTD_SVT_BUS:
		/* Start bus in SID[15:8], end bus in SID[7:0] (9.10). */
		return (bus >= (unsigned int)(sid >> 8) && bus <= (sid & 0xffu)) ?
		       0 : -EPERM;
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* Remapped-format IRTE (9.10)                                         */
/* ------------------------------------------------------------------ */

static bool dlm_reserved(unsigned int dlm)
{
	return dlm > 7 || dlm == 3 || dlm == 6;
}

/* Vectors 0-15 are reserved: an APIC rejects them for fixed and
 * lowest-priority delivery (SDM vol. 3 10.5.2, "illegal vector"). */
static bool vector_needed(unsigned int dlm)
{
	return dlm == VTD_DLM_FIXED || dlm == VTD_DLM_LOWEST;
}

LIOMMU_EXPORT int liommu_irte_compose_remap(const struct liommu_irte_remap *r,
					    struct vtd_irte *out)
{
	uint64_t lo;
	int ret;

	if (dlm_reserved(r->dlm))
		return -EINVAL;
	if (vector_needed(r->dlm) && r->vector < 16)
		return -EINVAL;
	if (r->avail > 0xf)
		return -ERANGE;
	if (!r->x2apic && r->dest > 0xff)
		return -ERANGE;
	ret = sid_validate(&r->sid);
	if (ret)
		return ret;

	lo = VTD_IRTE_LO_P |
	     (r->fpd ? VTD_IRTE_LO_FPD : 0) |
	     (r->dest_logical ? VTD_IRTE_LO_DM : 0) |
	     (r->redir_hint ? VTD_IRTE_LO_RH : 0) |
	     (r->level ? VTD_IRTE_LO_TM : 0) |
	     vtd_field_prep(VTD_IRTE_LO_DLM, r->dlm) |
	     vtd_field_prep(VTD_IRTE_LO_AVAIL, r->avail) |
	     vtd_field_prep(VTD_IRTE_LO_V, r->vector);
	/* 9.10: xAPIC IDs go to DST[15:8]; x2APIC IDs fill DST. */
	if (r->x2apic)
		lo |= vtd_field_prep(VTD_IRTE_LO_DST, r->dest);
	else
		lo |= vtd_field_prep(VTD_IRTE_LO_DST_XAPIC, r->dest);

	out->lo = lo;
	out->hi = sid_prep(&r->sid);
	return 0;
}

LIOMMU_EXPORT int liommu_irte_decode_remap(const struct vtd_irte *e, bool x2apic,
					   struct liommu_irte_remap *out)
{
	struct liommu_irte_remap r;
	uint64_t lo = e->lo, hi = e->hi;

	if (!(lo & VTD_IRTE_LO_P))
		return -ENOENT;
	if (lo & VTD_IRTE_LO_IM)
		return -EINVAL;
	if ((lo & VTD_IRTE_LO_RSVD) || (hi & VTD_IRTE_HI_RSVD))
		return -EINVAL;
	if (!x2apic && (lo & VTD_IRTE_LO_DST_XAPIC_RSVD))
		return -EINVAL;

	r.vector = (uint8_t)vtd_field_get(VTD_IRTE_LO_V, lo);
	r.x2apic = x2apic;
	r.dest = (uint32_t)vtd_field_get(x2apic ? VTD_IRTE_LO_DST : VTD_IRTE_LO_DST_XAPIC, lo);
	r.dest_logical = lo & VTD_IRTE_LO_DM;
	r.redir_hint = lo & VTD_IRTE_LO_RH;
	r.level = lo & VTD_IRTE_LO_TM;
	r.dlm = (unsigned int)vtd_field_get(VTD_IRTE_LO_DLM, lo);
	r.fpd = lo & VTD_IRTE_LO_FPD;
	r.avail = (unsigned int)vtd_field_get(VTD_IRTE_LO_AVAIL, lo);
	if (dlm_reserved(r.dlm))
		return -EINVAL;
	if (sid_get(hi, &r.sid))
		return -EINVAL;
	*out = r;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Posted-format IRTE (9.11)                                           */
/* ------------------------------------------------------------------ */

/* Descriptor address bits 31:6 live in IRTE bits 63:38, bits 63:32 in
 * IRTE bits 127:96 (Linux: pda_l = pda >> 6, pda_h = pda >> 32). */
#define PDA_LO_BITS	VTD_GENMASK64(31, 6)

LIOMMU_EXPORT int liommu_irte_compose_posted(const struct liommu_irte_posted *p,
					     uint64_t cap, struct vtd_irte *out)
{
	int ret;

	if (!(cap & VTD_CAP_PI))
		return -ENODEV;
	if (p->vector < 16)
		return -EINVAL;
	if (p->pda & (VTD_PDA_ALIGN - 1))
		return -EINVAL;
	if (p->avail > 0xf)
		return -ERANGE;
	ret = sid_validate(&p->sid);
	if (ret)
		return ret;

	out->lo = VTD_IRTE_LO_P | VTD_IRTE_LO_IM |
		  (p->fpd ? VTD_IRTE_LO_FPD : 0) |
		  (p->urgent ? VTD_IRTE_LO_URG : 0) |
		  vtd_field_prep(VTD_IRTE_LO_AVAIL, p->avail) |
		  vtd_field_prep(VTD_IRTE_LO_V, p->vector) |
		  vtd_field_prep(VTD_IRTE_LO_PDA_LO, vtd_field_get(PDA_LO_BITS, p->pda));
	out->hi = sid_prep(&p->sid) |
		  vtd_field_prep(VTD_IRTE_HI_PDA_HI, p->pda >> 32);
	return 0;
}

LIOMMU_EXPORT int liommu_irte_decode_posted(const struct vtd_irte *e,
					    struct liommu_irte_posted *out)
{
	struct liommu_irte_posted p;
	uint64_t lo = e->lo, hi = e->hi;

	if (!(lo & VTD_IRTE_LO_P))
		return -ENOENT;
	if (!(lo & VTD_IRTE_LO_IM))
		return -EINVAL;
	if ((lo & VTD_IRTE_LO_PI_RSVD) || (hi & VTD_IRTE_HI_PI_RSVD))
		return -EINVAL;

	p.vector = (uint8_t)vtd_field_get(VTD_IRTE_LO_V, lo);
	p.pda = (vtd_field_get(VTD_IRTE_HI_PDA_HI, hi) << 32) |
		vtd_field_prep(PDA_LO_BITS, vtd_field_get(VTD_IRTE_LO_PDA_LO, lo));
	p.urgent = lo & VTD_IRTE_LO_URG;
	p.fpd = lo & VTD_IRTE_LO_FPD;
	p.avail = (unsigned int)vtd_field_get(VTD_IRTE_LO_AVAIL, lo);
	if (sid_get(hi, &p.sid))
		return -EINVAL;
	*out = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Remappable MSI (5.1.2.2, 5.1.5.2)                                   */
/* ------------------------------------------------------------------ */

/* IRTA.S allows 2^1 .. 2^16 entries (11.4.10). */
static bool table_entries_valid(uint32_t n)
{
	return n >= 2 && n <= 65536 && (n & (n - 1)) == 0;
}

static uint64_t handle_addr_bits(uint16_t handle)
{
	return vtd_field_prep(VTD_MSI_ADDR_HANDLE_LO, handle & 0x7fff) |
	       ((handle & 0x8000) ? VTD_MSI_ADDR_HANDLE_HI : 0);
}

LIOMMU_EXPORT int liommu_msi_compose(const struct liommu_msi_remap *r,
				     uint32_t table_entries,
				     struct liommu_msi_msg *out)
{
	uint32_t index;

	if (!table_entries_valid(table_entries))
		return -EINVAL;
	if (!r->shv && r->subhandle)
		return -EINVAL;
	index = (uint32_t)r->handle + (r->shv ? r->subhandle : 0);
	if (index >= table_entries)
		return -ERANGE;

	out->addr = VTD_MSI_ADDR_BASE | VTD_MSI_ADDR_IF | handle_addr_bits(r->handle) |
		    (r->shv ? VTD_MSI_ADDR_SHV : 0);
	/* 5.1.5.2: data is the subhandle with SHV; 0 otherwise. */
	out->data = r->shv ? r->subhandle : 0;
	return 0;
}

LIOMMU_EXPORT int liommu_msi_decode(const struct liommu_msi_msg *m,
				    struct liommu_msi_remap *out, uint32_t *index)
{
	struct liommu_msi_remap r;

	/* The checks and their order follow QEMU's vtd_interrupt_remap_msi(). */
	if (m->addr & VTD_MSI_ADDR_HI_RSVD)
		return -EINVAL;
	if (vtd_field_get(VTD_MSI_ADDR_HEAD, m->addr) != VTD_MSI_ADDR_HEAD_VAL)
		return -EINVAL;
	if (!(m->addr & VTD_MSI_ADDR_IF))
		return -EINVAL;

	r.handle = (uint16_t)(vtd_field_get(VTD_MSI_ADDR_HANDLE_LO, m->addr) |
			      ((m->addr & VTD_MSI_ADDR_HANDLE_HI) ? 0x8000 : 0));
	r.shv = m->addr & VTD_MSI_ADDR_SHV;
	r.subhandle = 0;
	if (r.shv) {
		if (m->data & VTD_MSI_DATA_RSVD)
			return -EINVAL;
		r.subhandle = (uint16_t)vtd_field_get(VTD_MSI_DATA_SUBHANDLE, m->data);
	}
	*out = r;
	if (index)
		*index = (uint32_t)r.handle + r.subhandle;
	return 0;
}

/* ------------------------------------------------------------------ */
/* I/OxAPIC redirection entries, remappable format (5.1.5.1)          */
/* ------------------------------------------------------------------ */

LIOMMU_EXPORT int liommu_ioapic_rte_compose(const struct liommu_ioapic_rte *r,
					    uint32_t table_entries, uint64_t *out)
{
	if (!table_entries_valid(table_entries))
		return -EINVAL;
	if (r->handle >= table_entries)
		return -ERANGE;

	*out = VTD_IOAPIC_RTE_IF |
	       vtd_field_prep(VTD_IOAPIC_RTE_VECTOR, r->vector) |
	       vtd_field_prep(VTD_IOAPIC_RTE_HANDLE_LO, r->handle & 0x7fff) |
	       ((r->handle & 0x8000) ? VTD_IOAPIC_RTE_HANDLE_HI : 0) |
	       (r->active_low ? VTD_IOAPIC_RTE_POLARITY : 0) |
	       (r->level ? VTD_IOAPIC_RTE_TM : 0) |
	       (r->masked ? VTD_IOAPIC_RTE_MASK : 0);
	return 0;
}

LIOMMU_EXPORT int liommu_ioapic_rte_decode(uint64_t rte, struct liommu_ioapic_rte *out)
{
	struct liommu_ioapic_rte r;

	if (!(rte & VTD_IOAPIC_RTE_IF))
		return -EINVAL;
	if (rte & (VTD_IOAPIC_RTE_ZERO | VTD_IOAPIC_RTE_RSVD))
		return -EINVAL;

	r.handle = (uint16_t)(vtd_field_get(VTD_IOAPIC_RTE_HANDLE_LO, rte) |
			      ((rte & VTD_IOAPIC_RTE_HANDLE_HI) ? 0x8000 : 0));
	r.vector = (uint8_t)vtd_field_get(VTD_IOAPIC_RTE_VECTOR, rte);
	r.level = rte & VTD_IOAPIC_RTE_TM;
	r.active_low = rte & VTD_IOAPIC_RTE_POLARITY;
	r.masked = rte & VTD_IOAPIC_RTE_MASK;
	*out = r;
	return 0;
}

LIOMMU_EXPORT int liommu_ioapic_rte_to_msi(uint64_t rte, struct liommu_msi_msg *out)
{
	struct liommu_ioapic_rte r;
	int ret;

	ret = liommu_ioapic_rte_decode(rte, &r);
	if (ret)
		return ret;
	/* The I/OxAPIC copies RTE 63:48 to address 19:4 and RTE bit 11 to
	 * address bit 2; SHV (bit 3) stays 0 because RTE bit 10 is 0. */
	out->addr = VTD_MSI_ADDR_BASE | VTD_MSI_ADDR_IF | handle_addr_bits(r.handle);
	out->data = (uint32_t)(vtd_field_prep(LIOMMU_MSI_DATA_VECTOR, r.vector) |
			       (r.level ? LIOMMU_MSI_DATA_TM : 0));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Live entry update                                                   */
/* ------------------------------------------------------------------ */

#if defined(__x86_64__)
/* 0 = not probed yet, 1 = present, 2 = absent. */
static int cx16_state;

bool liommu__cpu_has_cx16(void)
{
	unsigned int a, b, c, d;
	int s = __atomic_load_n(&cx16_state, __ATOMIC_RELAXED);

	if (!s) {
		s = (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_CMPXCHG16B)) ? 1 : 2;
		__atomic_store_n(&cx16_state, s, __ATOMIC_RELAXED);
	}
	return s == 1;
}

/* One LOCK CMPXCHG16B: replace *slot with @val if it still holds @old.
 * The IRTE is 16-byte aligned (checked by the caller). */
static bool irte_cmpxchg16b(struct vtd_irte *slot, struct vtd_irte old,
			    struct vtd_irte val)
{
	bool ok;

	__asm__ __volatile__("lock cmpxchg16b %1"
			     : "=@ccz"(ok), "+m"(*slot), "+a"(old.lo), "+d"(old.hi)
			     : "b"(val.lo), "c"(val.hi)
			     : "memory");
	return ok;
}
#else
bool liommu__cpu_has_cx16(void)
{
	return false;
}

static bool irte_cmpxchg16b(struct vtd_irte *slot, struct vtd_irte old,
			    struct vtd_irte val)
{
	(void)slot;
	(void)old;
	(void)val;
	return false;
}
#endif

void liommu__irte_store_half(void *cookie, uint64_t *half, uint64_t val)
{
	(void)cookie;
	/* A release store orders every earlier store before it, which is
	 * the fence between the two halves; x86 stores then reach the
	 * coherent remapping hardware in program order (TSO).  No separate
	 * fence: each store carries its own release. */
	__atomic_store_n(half, val, __ATOMIC_RELEASE);
}

int liommu__irte_update(struct vtd_irte *slot, const struct vtd_irte *val,
			unsigned int flags, bool use_cx16,
			liommu__irte_store_fn store, void *cookie)
{
	struct vtd_irte cur;

	if ((uintptr_t)slot & 15)
		return -EINVAL;
	if (flags & ~LIOMMU_IRTE_UPDATE_TRANSIENT)
		return -EINVAL;

	cur.lo = __atomic_load_n(&slot->lo, __ATOMIC_ACQUIRE);
	cur.hi = __atomic_load_n(&slot->hi, __ATOMIC_ACQUIRE);

	if (!(cur.lo & VTD_IRTE_LO_P)) {
		/* Becoming present (or staying not-present): hardware ignores
		 * the rest of a not-present entry, so the high half goes in
		 * first and P appears last, with a complete entry beneath. */
		store(cookie, &slot->hi, val->hi);
		store(cookie, &slot->lo, val->lo);
		return 0;
	}
	if (!(val->lo & VTD_IRTE_LO_P)) {
		/* Becoming not-present: clear P first, then the rest. */
		store(cookie, &slot->lo, val->lo);
		store(cookie, &slot->hi, val->hi);
		return 0;
	}
	/* Present to present.  One differing half is one atomic store. */
	if (cur.hi == val->hi) {
		store(cookie, &slot->lo, val->lo);
		return 0;
	}
	if (cur.lo == val->lo) {
		store(cookie, &slot->hi, val->hi);
		return 0;
	}
	/* Both halves change: a 128-bit exchange, as Linux's modify_irte(). */
	if (use_cx16)
		return irte_cmpxchg16b(slot, cur, *val) ? 0 : -EBUSY;
	if (!(flags & LIOMMU_IRTE_UPDATE_TRANSIENT))
		return -ENODEV;
	store(cookie, &slot->lo, cur.lo & ~VTD_IRTE_LO_P);
	store(cookie, &slot->hi, val->hi);
	store(cookie, &slot->lo, val->lo);
	return 0;
}

LIOMMU_EXPORT int liommu_irte_update(struct vtd_irte *slot, const struct vtd_irte *val,
				     unsigned int flags)
{
	return liommu__irte_update(slot, val, flags, liommu__cpu_has_cx16(),
				   liommu__irte_store_half, NULL);
}
