// SPDX-License-Identifier: MIT
/*
 * regs.c - the software VT-d unit's register decoding (spec 11.4): what a
 * software read or write at a register offset does.
 *
 * The registers live in the register page (regfile.h) at their offsets
 * and hold exactly what software reads, so a read is a load from the
 * page (under reg_lock, so that it sees no half-done write) and has no
 * side effect.  A write goes through reg64_write_locked() on the
 * naturally aligned 64-bit word that contains it, with a byte mask
 * saying which half (or both) the access covers, or through
 * reg32_write_locked() for a 32-bit register.  That gives 32-bit halves
 * of 64-bit registers and 64-bit accesses to pairs of 32-bit registers
 * (FEADDR/FEUADDR) one code path.
 *
 * Write masks, write-only fields and reset values follow QEMU 7.2's
 * vtd_init() where the specification leaves room (e.g. FEDATA keeps 16
 * bits, RTADDR keeps TTM bits 11:10), and the specification where QEMU
 * takes a shortcut; each such place says which.  Reserved bits read 0,
 * RW1C bits clear when written 1, read-only bits ignore writes.
 *
 * It owns GCMD/GSTS and what the unit latches from them (the TE/IRE/CFI
 * copies and the root and interrupt-remapping tables device threads
 * use), the stored registers (RTADDR, CCMD, IVA/IOTLB, IQT, IQA, IRTA,
 * the event message registers) and register-based invalidation.  It
 * calls down only: qi.c (the queue), cache.c (invalidations), fault.c
 * (software's writes to the status and event registers, whose bits the
 * unit sets there).  It must not set a status bit itself, advance the
 * queue, or drop cache entries but through cache.c.
 *
 * Side effects of a write (GCMD commands, register-based invalidation,
 * queue processing) run under reg_lock in the writer's thread; interrupt
 * messages they produce are queued in a struct model_evq and sent after
 * the lock is dropped.  Every write advances the register file's change
 * count (regs_seq) before the unlock; liommu_model_regs_snapshot() copies
 * the page and that count under the lock.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "fault.h"
#include "qi.h"
#include "regs.h"

/* Write masks (bits software may change) and write-only fields. */
#define RTADDR_WMASK	0xfffffffffffffc00ULL	/* RTA + TTM, as QEMU */
#define CCMD_WMASK	(VTD_CCMD_ICC | VTD_CCMD_CIRG | VTD_CCMD_FM | \
			 VTD_CCMD_SID | VTD_CCMD_DID)
#define CCMD_WOMASK	(VTD_CCMD_FM | VTD_CCMD_SID)	/* read as 0 (QEMU) */
#define IOTLB_WMASK	(VTD_IOTLB_IVT | VTD_IOTLB_IIRG | VTD_IOTLB_DR | \
			 VTD_IOTLB_DW | VTD_IOTLB_DID)
#define IVA_WMASK	(VTD_IVA_ADDR | VTD_IVA_IH | VTD_IVA_AM)
#define IQA_WMASK	(VTD_IQA_IQA | VTD_IQA_DW | VTD_IQA_QS)
#define FEDATA_WMASK	0x0000ffffu		/* QEMU; EIMD not supported */
#define FEADDR_WMASK	0xfffffffcu
#define IEADDR_WMASK	0xfffffffcu

static bool frcd_range(const struct liommu_model *m, uint32_t off, unsigned int *idx)
{
	uint32_t base = LIOMMU_MODEL_FRCD_OFFSET;

	if (off < base || off >= base + m->cfg.nfr * VTD_FRCD_SIZE)
		return false;
	*idx = (off - base) / VTD_FRCD_SIZE;
	return true;
}

/* ------------------------------------------------------------------ */
/* Reset                                                               */
/* ------------------------------------------------------------------ */

void liommu__model_regs_reset_locked(struct liommu_model *m)
{
	atomic_store(&m->te, false);
	atomic_store(&m->ire, false);
	atomic_store(&m->cfis, false);
	atomic_store(&m->root, 0);
	atomic_store(&m->irta, 0);
	/* Everything not set below, reserved offsets included, reads 0. */
	memset(m->regs, 0, sizeof(*m->regs));
	REG32(m, VTD_VER_REG) = LIOMMU_MODEL_VERSION;
	REG64(m, VTD_CAP_REG) = m->cap;
	REG64(m, VTD_ECAP_REG) = m->ecap;
	REG32(m, VTD_FECTL_REG) = VTD_FECTL_IM;	/* reset value 0x80000000 (QEMU, spec) */
	/* The queue's registers read 0 without ECAP.QI. */
	REG32(m, VTD_IECTL_REG) = m->cfg.qi ? VTD_IECTL_IM : 0;
	m->ccmd_wo = 0;
	m->iva = 0;
	m->iq_base = 0;
	m->iq_entries = 0;
	m->next_frcd = 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* Set or clear the GSTS status bit @bit. */
static void gsts_set_locked(struct liommu_model *m, uint32_t bit, bool on)
{
	if (on)
		REG32(m, VTD_GSTS_REG) |= bit;
	else
		REG32(m, VTD_GSTS_REG) &= ~bit;
}

static void gcmd_write_locked(struct liommu_model *m, uint32_t val, struct model_evq *q)
{
	uint32_t changed = REG32(m, VTD_GSTS_REG) ^ val;

	/* Persistent bits act on a change, one-shot bits when set, in the
	 * order QEMU's vtd_handle_gcmd_write() uses. */
	if (changed & VTD_GCMD_TE) {
		bool on = val & VTD_GCMD_TE;

		/* By default no cache flush: hardware may keep its caches
		 * across TE changes and software invalidates.  QEMU flushes
		 * here; @flush_on_te does the same. */
		gsts_set_locked(m, VTD_GSTS_TES, on);
		atomic_store_explicit(&m->te, on, memory_order_release);
		if (m->cfg.flush_on_te) {
			liommu__model_ctx_inv_locked(m, VTD_CC_GRAN_GLOBAL, 0, 0, 0, false);
			liommu__model_iotlb_inv_locked(m, VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false,
						       false);
		}
	}
	if (val & VTD_GCMD_SRTP) {
		/* RTADDR is latched now (11.4.6); without ESRTPS the caches
		 * keep what they hold and software must invalidate them. */
		atomic_store_explicit(&m->root,
				      REG64(m, VTD_RTADDR_REG) & VTD_RTADDR_RTA & m->haw_mask,
				      memory_order_release);
		gsts_set_locked(m, VTD_GSTS_RTPS, true);
		if (m->cfg.esrtps) {
			liommu__model_ctx_inv_locked(m, VTD_CC_GRAN_GLOBAL, 0, 0, 0, false);
			liommu__model_iotlb_inv_locked(m, VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false,
						       false);
		}
	}
	if ((changed & VTD_GCMD_QIE) && m->cfg.qi) {
		if (val & VTD_GCMD_QIE) {
			gsts_set_locked(m, VTD_GSTS_QIES, true);
			liommu__model_qi_enable_locked(m, q);
		} else if (liommu__model_qi_disable_locked(m)) {
			gsts_set_locked(m, VTD_GSTS_QIES, false);
		}
	}
	if ((val & VTD_GCMD_SIRTP) && m->cfg.ir) {
		atomic_store_explicit(&m->irta, REG64(m, VTD_IRTA_REG), memory_order_release);
		gsts_set_locked(m, VTD_GSTS_IRTPS, true);
		if (m->cfg.esirtps)
			liommu__model_iec_inv_locked(m, false, 0, 0, false);
	}
	if ((changed & VTD_GCMD_IRE) && m->cfg.ir) {
		bool on = val & VTD_GCMD_IRE;

		gsts_set_locked(m, VTD_GSTS_IRES, on);
		atomic_store_explicit(&m->ire, on, memory_order_release);
	}
	if ((changed & VTD_GCMD_CFI) && m->cfg.ir) {
		bool on = val & VTD_GCMD_CFI;

		gsts_set_locked(m, VTD_GSTS_CFIS, on);
		atomic_store_explicit(&m->cfis, on, memory_order_release);
	}
	/* WBF: with CAP.RWBF the flush completes before this write returns,
	 * so WBFS reads 0 again at once; without RWBF it is ignored.  SFL and
	 * EAFL need CAP.AFL, which the model does not offer. */
}

/* Register-based context-cache invalidation (11.4.7). */
static void ccmd_write_locked(struct liommu_model *m)
{
	/* The command as written: FM and SID are write-only, kept aside. */
	uint64_t ccmd = REG64(m, VTD_CCMD_REG) | m->ccmd_wo;
	unsigned int caig;

	if (!(ccmd & VTD_CCMD_ICC))
		return;
	/* With QI on, register-based invalidation is not allowed (6.5.2);
	 * like QEMU the unit ignores it and ICC stays set. */
	if (REG32(m, VTD_GSTS_REG) & VTD_GSTS_QIES)
		return;
	/* Performed as asked, domain-selective too (QEMU widens that to
	 * global); a reserved granularity does nothing and reports CAIG 0. */
	caig = (unsigned int)vtd_field_get(VTD_CCMD_CIRG, ccmd);
	if (caig)
		liommu__model_ctx_inv_locked(m, caig, (uint16_t)vtd_field_get(VTD_CCMD_DID, ccmd),
					     (uint16_t)vtd_field_get(VTD_CCMD_SID, ccmd),
					     (unsigned int)vtd_field_get(VTD_CCMD_FM, ccmd), false);
	/* Complete after the modelled latency (qi.c). */
	liommu__model_inval_wait(liommu__model_inval_due(m));
	REG64(m, VTD_CCMD_REG) &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG);
	REG64(m, VTD_CCMD_REG) |= vtd_field_prep(VTD_CCMD_CAIG, caig);
}

/* Register-based IOTLB invalidation (11.4.8). */
static void iotlb_write_locked(struct liommu_model *m)
{
	uint64_t iotlb = REG64(m, MODEL_IOTLB_OFF);
	uint16_t did = (uint16_t)vtd_field_get(VTD_IOTLB_DID, iotlb);
	unsigned int iaig;

	if (!(iotlb & VTD_IOTLB_IVT))
		return;
	if (REG32(m, VTD_GSTS_REG) & VTD_GSTS_QIES)
		return;
	iaig = (unsigned int)vtd_field_get(VTD_IOTLB_IIRG, iotlb);
	/* Without CAP.PSI the unit may invalidate at a coarser granularity
	 * and says so in IAIG (11.4.8.1); AM above MAMV is rejected (IAIG 0,
	 * as QEMU), as is the reserved granularity 0. */
	if (iaig == VTD_IOTLB_GRAN_PAGE && !m->cfg.psi)
		iaig = VTD_IOTLB_GRAN_DOMAIN;
	else if (iaig == VTD_IOTLB_GRAN_PAGE && vtd_field_get(VTD_IVA_AM, m->iva) > m->cfg.mamv)
		iaig = 0;
	if (iaig)
		liommu__model_iotlb_inv_locked(m, iaig, did, m->iva & VTD_IVA_ADDR,
					       (unsigned int)vtd_field_get(VTD_IVA_AM, m->iva),
					       m->iva & VTD_IVA_IH, false);
	liommu__model_inval_wait(liommu__model_inval_due(m));
	REG64(m, MODEL_IOTLB_OFF) &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG);
	REG64(m, MODEL_IOTLB_OFF) |= vtd_field_prep(VTD_IOTLB_IAIG, iaig);
}

/* ------------------------------------------------------------------ */
/* 32-bit registers                                                    */
/* ------------------------------------------------------------------ */

static void reg32_write_locked(struct liommu_model *m, uint32_t off, uint32_t val,
			       struct model_evq *q)
{
	bool qi = m->cfg.qi;

	switch (off) {
	case VTD_GCMD_REG:
		gcmd_write_locked(m, val, q);
		break;
	case VTD_FSTS_REG:
		if (liommu__model_fsts_write_locked(m, val) & VTD_FSTS_IQE)
			liommu__model_qi_iqe_cleared_locked(m, q);
		break;
	case VTD_FECTL_REG:
		liommu__model_fectl_write_locked(m, val, q);
		break;
	case VTD_FEDATA_REG:
		REG32(m, VTD_FEDATA_REG) = val & FEDATA_WMASK;
		break;
	case VTD_FEADDR_REG:
		REG32(m, VTD_FEADDR_REG) = val & FEADDR_WMASK;
		break;
	case VTD_FEUADDR_REG:
		/* RsvdZ unless x2APIC destinations are possible (ECAP.EIM). */
		REG32(m, VTD_FEUADDR_REG) = m->cfg.eim ? val : 0;
		break;
	case VTD_ICS_REG:
		if (qi)
			liommu__model_ics_write_locked(m, val);
		break;
	case VTD_IECTL_REG:
		if (qi)
			liommu__model_iectl_write_locked(m, val, q);
		break;
	case VTD_IEDATA_REG:
		if (qi)
			REG32(m, VTD_IEDATA_REG) = val;
		break;
	case VTD_IEADDR_REG:
		if (qi)
			REG32(m, VTD_IEADDR_REG) = val & IEADDR_WMASK;
		break;
	case VTD_IEUADDR_REG:
		if (qi)
			REG32(m, VTD_IEUADDR_REG) = m->cfg.eim ? val : 0;
		break;
	default:
		break;		/* VER, GSTS, PMEN, PLM*, reserved: read-only or 0 */
	}
}

/* ------------------------------------------------------------------ */
/* 64-bit registers                                                    */
/* ------------------------------------------------------------------ */

static bool is_reg64(const struct liommu_model *m, uint32_t off)
{
	unsigned int idx;

	switch (off) {
	case VTD_CAP_REG:
	case VTD_ECAP_REG:
	case VTD_RTADDR_REG:
	case VTD_CCMD_REG:
	case VTD_AFLOG_REG:
	case VTD_PHMBASE_REG:
	case VTD_PHMLIMIT_REG:
	case VTD_IQH_REG:
	case VTD_IQT_REG:
	case VTD_IQA_REG:
	case VTD_IQERCD_REG:
	case VTD_IRTA_REG:
	case LIOMMU_MODEL_IVA_OFFSET:
	case MODEL_IOTLB_OFF:
		return true;
	default:
		return frcd_range(m, off, &idx);
	}
}

/* Merge @val into @cur for the bits in @bytes (the half or halves the
 * access covered) that @wmask lets software change. */
static uint64_t merge(uint64_t cur, uint64_t val, uint64_t bytes, uint64_t wmask)
{
	uint64_t w = bytes & wmask;

	return (cur & ~w) | (val & w);
}

static void reg64_write_locked(struct liommu_model *m, uint32_t off, uint64_t val,
			       uint64_t bytes, struct model_evq *q)
{
	bool qi = m->cfg.qi;
	unsigned int idx;
	uint64_t ccmd;

	switch (off) {
	case VTD_RTADDR_REG:
		REG64(m, off) = merge(REG64(m, off), val, bytes, RTADDR_WMASK);
		break;
	case VTD_CCMD_REG:
		ccmd = merge(REG64(m, off) | m->ccmd_wo, val, bytes, CCMD_WMASK);
		REG64(m, off) = ccmd & ~CCMD_WOMASK;
		m->ccmd_wo = ccmd & CCMD_WOMASK;
		/* ICC lives in the upper half: a 32-bit write of the low half
		 * only latches (QEMU acts on the upper-half write too). */
		if (bytes & VTD_CCMD_ICC)
			ccmd_write_locked(m);
		break;
	case VTD_IQT_REG:
		if (!qi)
			break;
		REG64(m, off) = merge(REG64(m, off), val, bytes, VTD_IQ_QT);
		/* The tail is in the low half; writing it starts processing
		 * unless QI is off or a queue error is pending. */
		if ((bytes & VTD_IQ_QT) && (REG32(m, VTD_GSTS_REG) & VTD_GSTS_QIES) &&
		    !(REG32(m, VTD_FSTS_REG) & VTD_FSTS_IQE))
			liommu__model_qi_run_locked(m, q);
		break;
	case VTD_IQA_REG:
		if (qi)
			REG64(m, off) = merge(REG64(m, off), val, bytes, IQA_WMASK);
		break;
	case VTD_IRTA_REG:
		if (m->cfg.ir)
			REG64(m, off) = merge(REG64(m, off), val, bytes,
					      VTD_IRTA_IRTA | VTD_IRTA_S |
					      (m->cfg.eim ? VTD_IRTA_EIME : 0));
		break;
	case LIOMMU_MODEL_IVA_OFFSET:
		/* Write-only: kept aside, the page reads 0. */
		m->iva = merge(m->iva, val, bytes, IVA_WMASK);
		break;
	case MODEL_IOTLB_OFF:
		REG64(m, off) = merge(REG64(m, off), val, bytes, IOTLB_WMASK);
		if (bytes & VTD_IOTLB_IVT)
			iotlb_write_locked(m);
		break;
	default:
		if (frcd_range(m, off, &idx) &&
		    (off - LIOMMU_MODEL_FRCD_OFFSET) % VTD_FRCD_SIZE == 8)
			liommu__model_frcd_hi_write_locked(m, idx, val & bytes);
		break;		/* CAP, ECAP, IQH, IQERCD, AFLOG, PHM*: read-only */
	}
}

/* ------------------------------------------------------------------ */
/* Public accessors                                                    */
/* ------------------------------------------------------------------ */

static bool off_ok(uint32_t off, unsigned int size)
{
	return off < VTD_REG_WINDOW_SIZE && !(off & (size - 1));
}

uint32_t liommu_model_read32(struct liommu_model *m, uint32_t off)
{
	uint32_t v;

	if (!off_ok(off, 4))
		return 0;
	model_reg_lock(m);
	v = REG32(m, off);
	model_reg_unlock(m);
	return v;
}

uint64_t liommu_model_read64(struct liommu_model *m, uint32_t off)
{
	uint64_t v;

	if (!off_ok(off, 8))
		return 0;
	model_reg_lock(m);
	v = REG64(m, off);
	model_reg_unlock(m);
	return v;
}

void liommu_model_write32(struct liommu_model *m, uint32_t off, uint32_t val)
{
	struct model_evq q = { 0 };

	if (!off_ok(off, 4))
		return;
	model_reg_lock(m);
	if (is_reg64(m, off & ~7u)) {
		unsigned int shift = (off & 4) * 8;

		reg64_write_locked(m, off & ~7u, (uint64_t)val << shift,
				   0xffffffffULL << shift, &q);
	} else {
		reg32_write_locked(m, off, val, &q);
	}
	/* Whatever the write did (a stored value, a command, queue
	 * progress, status bits), without comparing: cheaper than finding
	 * out, and a poller only copies the page once more. */
	model_regs_changed_locked(m);
	model_reg_unlock(m);
	liommu__model_send_events(m, &q);
}

void liommu_model_write64(struct liommu_model *m, uint32_t off, uint64_t val)
{
	struct model_evq q = { 0 };

	if (!off_ok(off, 8))
		return;
	model_reg_lock(m);
	if (is_reg64(m, off)) {
		reg64_write_locked(m, off, val, ~0ULL, &q);
	} else {
		/* Two 32-bit registers (e.g. FEADDR + FEUADDR, which Xen
		 * writes with one 64-bit store): low one first. */
		reg32_write_locked(m, off, (uint32_t)val, &q);
		reg32_write_locked(m, off + 4, (uint32_t)(val >> 32), &q);
	}
	model_regs_changed_locked(m);
	model_reg_unlock(m);
	liommu__model_send_events(m, &q);
}

uint64_t liommu_model_regs_seq(const struct liommu_model *m)
{
	return atomic_load_explicit(&m->regs_seq, memory_order_acquire);
}

int liommu_model_regs_snapshot(struct liommu_model *m, void *buf, size_t len, uint64_t *seq)
{
	uint64_t s;

	if (!buf || !len || (len & 7))
		return -EINVAL;
	if (len > MODEL_REGS_SIZE)
		len = MODEL_REGS_SIZE;
	model_reg_lock(m);
	memcpy(buf, m->regs, len);
	s = atomic_load_explicit(&m->regs_seq, memory_order_relaxed);
	model_reg_unlock(m);
	if (seq)
		*seq = s;
	return 0;
}
