// SPDX-License-Identifier: MIT
/*
 * irq.c - interrupt remapping in the software VT-d unit (spec 5.1, 9.10,
 * 9.11).
 *
 * An MSI write (address 0xFEEx_xxxx) is passed through while GSTS.IRES
 * is clear.  Otherwise a compatibility-format message passes only when
 * GSTS.CFIS is set and the table is in xAPIC mode (IRTA.EIME = 0; in
 * x2APIC mode compatibility interrupts are always blocked, 5.1.2.1) and
 * is blocked with fault 0x25 otherwise.  A remappable-format message
 * names an IRTE: handle[14:0] in address bits 19:5, handle[15] in bit 2,
 * plus the data's subhandle when SHV is set.  The IRTE comes from the
 * interrupt entry cache or the table latched at SIRTP, and is checked in
 * QEMU 7.2's order (vtd_interrupt_remap_msi(), vtd_irte_get()):
 *
 *   data bits 31:16 set with SHV 0x20; index beyond IRTA.S 0x21;
 *   IRTE not readable 0x23; not present 0x22; reserved bits 0x24;
 *   source-id validation (SVT/SQ/SID) 0x26; a posted IRTE whose
 *   descriptor is not readable 0x27.
 *
 * QEMU 7.2 differs in three places, all noted where they happen: it lets
 * compatibility-format messages through whatever CFIS says, it reads the
 * SVT = 10b bus range the wrong way round (vtd.h VTD_SVT_BUS), and it
 * neither caches IRTEs nor records interrupt faults.  FPD in the IRTE
 * suppresses the reasons that depend on a readable entry (0x22, 0x26,
 * 0x27), by analogy with QEMU's qualified DMA faults.
 *
 * It owns the IRTE checks and the interrupt entry cache's fills.  Like
 * translate.c it reads only latched state (IRES, CFIS, the table latched
 * at SIRTP) without locks, calls down only (cache.c, mem.c, fault.c) and
 * must not touch registers or drop entries.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "fault.h"
#include "mem.h"
#include "model-internal.h"
#include "stats.h"

static bool ir_qualified(unsigned int r)
{
	return r == VTD_FR_IR_P || r == VTD_FR_IR_SID || r == VTD_FR_IR_PDA_ACCESS;
}

/* Reserved bits of a present IRTE (9.10 remapped, 9.11 posted). */
static bool irte_rsvd(const struct liommu_model *m, uint64_t lo, uint64_t hi, bool eime)
{
	if (lo & VTD_IRTE_LO_IM) {
		/* Posted format exists only with CAP.PI; otherwise IM is a
		 * reserved bit. */
		if (!m->cfg.posted)
			return true;
		return (lo & VTD_IRTE_LO_PI_RSVD) || (hi & VTD_IRTE_HI_PI_RSVD);
	}
	if ((lo & VTD_IRTE_LO_RSVD) || (hi & VTD_IRTE_HI_RSVD))
		return true;
	/* xAPIC mode: only DST bits 15:8 carry the APIC ID (9.10; QEMU
	 * does not check the rest). */
	return !eime && (lo & VTD_IRTE_LO_DST_XAPIC_RSVD);
}

/* Source-id validation (9.10, SVT/SQ/SID). */
static bool sid_ok(uint64_t hi, uint16_t sid)
{
	uint16_t want = (uint16_t)vtd_field_get(VTD_IRTE_HI_SID, hi);

	switch (vtd_field_get(VTD_IRTE_HI_SVT, hi)) {
	case VTD_SVT_NONE:
		return true;
	case VTD_SVT_SID: {
		uint16_t mask = vtd_sq_mask((unsigned int)vtd_field_get(VTD_IRTE_HI_SQ, hi));

		return (sid & mask) == (want & mask);
	}
	case VTD_SVT_BUS: {
		/* Start bus in SID[15:8], end bus in SID[7:0]. */
		unsigned int bus = vtd_sid_bus(sid);

		return bus >= (unsigned int)(want >> 8) && bus <= (unsigned int)(want & 0xff);
	}
	default:
		/* SVT = 11b is reserved; QEMU takes it as a validation
		 * failure, and so do we. */
		return false;
	}
}

/* Fetch an IRTE through the IEC.  Return 0 or a fault reason; *fpd is
 * the entry's FPD when it was read. */
static unsigned int irte_get(struct liommu_model *m, struct mstats_blk *b,
			     uint32_t index, uint64_t irta, uint64_t *lo, uint64_t *hi,
			     bool *fpd)
{
	struct mcache_val v;
	uint64_t epoch;

	epoch = atomic_load_explicit(&m->epoch, memory_order_acquire);
	if (mcache_lookup(&m->iec, (uint64_t)index + 1, &v)) {
		mstat_add(b, MS_IEC_HITS, 1);
		*lo = v.v0;
		*hi = v.v1;
		*fpd = *lo & VTD_IRTE_LO_FPD;
		return 0;
	}
	mstat_add(b, MS_IEC_MISSES, 1);
	if (model_read128(m, (irta & VTD_IRTA_IRTA & m->haw_mask) +
			  (uint64_t)index * sizeof(struct vtd_irte), lo, hi))
		return VTD_FR_IR_ACCESS;
	*fpd = *lo & VTD_IRTE_LO_FPD;
	if (!(*lo & VTD_IRTE_LO_P))
		return VTD_FR_IR_P;
	if (irte_rsvd(m, *lo, *hi, irta & VTD_IRTA_EIME))
		return VTD_FR_IR_RSVD;
	/* Only present, well-formed entries are cached; source-id checks
	 * depend on the request and are made on every use. */
	liommu__mcache_insert(&m->iec, (uint64_t)index + 1, *lo, *hi, &m->epoch, epoch);
	return 0;
}

int liommu_model_msi(struct liommu_model *m, uint16_t sid, uint64_t addr, uint32_t data,
		     unsigned int flags, struct liommu_model_irq *out,
		     struct liommu_fault *fault)
{
	struct mstats_blk *b;
	struct liommu_model_irq r;
	uint64_t irta, lo = 0, hi = 0;
	uint32_t index = 0;
	unsigned int fr = 0;
	bool fpd = false, have_index = false;

	if ((flags & ~LIOMMU_MODEL_NO_RECORD) ||
	    vtd_field_get(VTD_MSI_ADDR_HEAD, addr) != VTD_MSI_ADDR_HEAD_VAL ||
	    (addr & VTD_MSI_ADDR_HI_RSVD))
		return -EINVAL;
	b = model_stats(m);
	memset(&r, 0, sizeof(r));
	if (!atomic_load_explicit(&m->ire, memory_order_acquire))
		goto passthrough;
	irta = atomic_load_explicit(&m->irta, memory_order_acquire);
	if (!(addr & VTD_MSI_ADDR_IF)) {
		/* QEMU 7.2 passes these through regardless of CFIS. */
		if (atomic_load_explicit(&m->cfis, memory_order_acquire) &&
		    !(irta & VTD_IRTA_EIME))
			goto passthrough;
		fr = VTD_FR_IR_COMPAT;
		goto fault;
	}
	index = (uint32_t)vtd_field_get(VTD_MSI_ADDR_HANDLE_LO, addr) |
		((uint32_t)vtd_field_get(VTD_MSI_ADDR_HANDLE_HI, addr) << 15);
	have_index = true;
	if (addr & VTD_MSI_ADDR_SHV) {
		if (data & VTD_MSI_DATA_RSVD) {
			fr = VTD_FR_IR_REQ_RSVD;
			goto fault;
		}
		index += (uint32_t)vtd_field_get(VTD_MSI_DATA_SUBHANDLE, data);
	}
	if (index >= vtd_irta_entries(irta)) {
		fr = VTD_FR_IR_INDEX;
		goto fault;
	}
	fr = irte_get(m, b, index, irta, &lo, &hi, &fpd);
	if (fr)
		goto fault;
	if (!sid_ok(hi, sid)) {
		fr = VTD_FR_IR_SID;
		goto fault;
	}
	r.index = (uint16_t)index;
	r.vector = (uint8_t)vtd_field_get(VTD_IRTE_LO_V, lo);
	if (lo & VTD_IRTE_LO_IM) {
		uint64_t probe;

		r.kind = LIOMMU_MODEL_IRQ_POSTED;
		r.pda = (vtd_field_get(VTD_IRTE_LO_PDA_LO, lo) << 6) |
			(vtd_field_get(VTD_IRTE_HI_PDA_HI, hi) << 32);
		r.urgent = lo & VTD_IRTE_LO_URG;
		/* The unit would post into the descriptor: it must exist. */
		if (model_read64(m, r.pda, &probe)) {
			fr = VTD_FR_IR_PDA_ACCESS;
			goto fault;
		}
		mstat_add(b, MS_IRQS_POSTED, 1);
	} else {
		r.kind = LIOMMU_MODEL_IRQ_REMAPPED;
		/* xAPIC: APIC ID in DST bits 15:8 (IRTE 47:40); x2APIC: all 32
		 * bits (QEMU vtd_remap_irq_get()). */
		r.dest = (irta & VTD_IRTA_EIME) ?
			 (uint32_t)vtd_field_get(VTD_IRTE_LO_DST, lo) :
			 (uint32_t)vtd_field_get(VTD_IRTE_LO_DST_XAPIC, lo);
		r.dest_logical = lo & VTD_IRTE_LO_DM;
		r.redir_hint = lo & VTD_IRTE_LO_RH;
		r.level = lo & VTD_IRTE_LO_TM;
		r.delivery_mode = (uint8_t)vtd_field_get(VTD_IRTE_LO_DLM, lo);
		mstat_add(b, MS_IRQS_REMAPPED, 1);
	}
	if (out)
		*out = r;
	return 0;

passthrough:
	r.kind = LIOMMU_MODEL_IRQ_PASSTHROUGH;
	r.addr = addr;
	r.data = data;
	mstat_add(b, MS_IRQS_PASSTHROUGH, 1);
	if (out)
		*out = r;
	return 0;

fault:
	if (fault) {
		memset(fault, 0, sizeof(*fault));
		/* 7.2.1: for interrupt requests FI[63:48] holds the index. */
		fault->addr = have_index ? (uint64_t)(index & 0xffff) << 48 : 0;
		fault->sid = sid;
		fault->reason = (uint8_t)fr;
		fault->is_write = true;
	}
	if (fpd && ir_qualified(fr))
		mstat_add(b, MS_FAULTS_SUPPRESSED, 1);
	else if (!(flags & LIOMMU_MODEL_NO_RECORD))
		liommu__model_report_fault(m, sid,
					   have_index ? (uint64_t)(index & 0xffff) << 48 : 0,
					   fr, true);
	return -EFAULT;
}
