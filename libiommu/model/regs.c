// SPDX-License-Identifier: MIT
/*
 * regs.c - the software VT-d unit's register file (spec 11.4).
 *
 * Registers are kept as named fields, not as a byte array: every access
 * goes through reg_read64()/reg_write64() on the naturally aligned 64-bit
 * word that contains it, with a byte mask saying which half (or both) the
 * access covers.  That gives 32-bit halves of 64-bit registers and 64-bit
 * accesses to pairs of 32-bit registers (FEADDR/FEUADDR) one code path.
 *
 * Write masks, write-only fields and reset values follow QEMU 7.2's
 * vtd_init() where the specification leaves room (e.g. FEDATA keeps 16
 * bits, RTADDR keeps TTM bits 11:10), and the specification where QEMU
 * takes a shortcut; each such place says which.  Reserved bits read 0,
 * RW1C bits clear when written 1, read-only bits ignore writes.
 *
 * Side effects of a write (GCMD commands, register-based invalidation,
 * queue processing) run under reg_lock in the writer's thread; interrupt
 * messages they produce are queued in a struct model_evq and sent after
 * the lock is dropped.
 */
#include "model-internal.h"

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
#define FSTS_W1C	(VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)
/* FSTS bits whose being set suppresses a new fault event (7.3.1). */
#define FSTS_EVENT_BITS	(VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | \
			 VTD_FSTS_ICE | VTD_FSTS_ITE)

static bool frcd_range(const struct liommu_model *m, uint32_t off, unsigned int *idx)
{
	uint32_t base = LIOMMU_MODEL_FRCD_OFFSET;

	if (off < base || off >= base + m->cfg.nfr * VTD_FRCD_SIZE)
		return false;
	*idx = (off - base) / VTD_FRCD_SIZE;
	return true;
}

/* ------------------------------------------------------------------ */
/* Events and faults                                                   */
/* ------------------------------------------------------------------ */

static void evq_push(struct model_evq *q, enum liommu_model_event ev, uint64_t addr,
		     uint32_t data)
{
	if (q->n >= MODEL_MAX_EVENTS)
		return;
	q->e[q->n].ev = ev;
	q->e[q->n].addr = addr;
	q->e[q->n].data = data;
	q->n++;
}

void liommu__model_send_events(struct liommu_model *m, const struct model_evq *q)
{
	unsigned int i;

	for (i = 0; i < q->n; i++) {
		mstat_inc(m, q->e[i].ev == LIOMMU_MODEL_EV_FAULT ? MS_FAULT_EVENTS :
							      MS_INV_EVENTS);
		if (m->cfg.event)
			m->cfg.event(m->cfg.event_priv, q->e[i].ev, q->e[i].addr,
				     q->e[i].data);
	}
}

static void fault_msi_locked(struct liommu_model *m, struct model_evq *q)
{
	evq_push(q, LIOMMU_MODEL_EV_FAULT,
		 ((uint64_t)m->feuaddr << 32) | m->feaddr, m->fedata);
}

/*
 * Fault event (7.3.1): generated when a status condition appears while
 * none was pending (@pre_fsts is FSTS before the update).  IP is set;
 * with IM clear the message is sent and IP cleared; with IM set it stays
 * pending until software clears IM.  Same rule as QEMU's
 * vtd_generate_fault_event().
 */
static void fault_event_locked(struct liommu_model *m, uint32_t pre_fsts,
			       struct model_evq *q)
{
	if (pre_fsts & FSTS_EVENT_BITS)
		return;
	m->fectl |= VTD_FECTL_IP;
	if (!(m->fectl & VTD_FECTL_IM)) {
		fault_msi_locked(m, q);
		m->fectl &= ~VTD_FECTL_IP;
	}
}

static void update_ppf_locked(struct liommu_model *m)
{
	unsigned int i;

	m->fsts &= ~VTD_FSTS_PPF;
	for (i = 0; i < m->cfg.nfr; i++)
		if (m->frcd[i][1] & VTD_FRCD_HI_F) {
			m->fsts |= VTD_FSTS_PPF;
			break;
		}
}

void liommu__model_fsts_error_locked(struct liommu_model *m, uint32_t bit,
				     struct model_evq *q)
{
	uint32_t pre = m->fsts;

	m->fsts |= bit;
	fault_event_locked(m, pre, q);
}

/*
 * Primary fault logging (7.2.1).  The unit writes the next register in
 * round-robin order; if that register still holds an unserviced fault
 * (F = 1) the new fault is lost and PFO is set; while PFO is set nothing
 * is recorded.  FRI is updated only when no fault was pending (it names
 * the first pending record).  With collapse_faults, a fault from a
 * source-id that already has a pending record is dropped (QEMU's
 * vtd_try_collapse_fault()).
 */
void liommu__model_record_fault_locked(struct liommu_model *m, uint16_t sid,
				       uint64_t fi, unsigned int reason,
				       bool is_write, struct model_evq *q)
{
	uint32_t pre = m->fsts;
	unsigned int i, idx = m->next_frcd;

	if (pre & VTD_FSTS_PFO) {
		mstat_inc(m, MS_FAULTS_LOST);
		return;
	}
	if (m->cfg.collapse_faults) {
		for (i = 0; i < m->cfg.nfr; i++)
			if ((m->frcd[i][1] & VTD_FRCD_HI_F) &&
			    vtd_field_get(VTD_FRCD_HI_SID, m->frcd[i][1]) == sid) {
				mstat_inc(m, MS_FAULTS_LOST);
				return;
			}
	}
	if (m->frcd[idx][1] & VTD_FRCD_HI_F) {
		m->fsts |= VTD_FSTS_PFO;
		mstat_inc(m, MS_FAULTS_LOST);
		return;
	}
	m->frcd[idx][0] = fi & VTD_FRCD_LO_FI;
	m->frcd[idx][1] = VTD_FRCD_HI_F |
			  (is_write ? 0 : VTD_FRCD_HI_T) |
			  vtd_field_prep(VTD_FRCD_HI_FR, reason) |
			  vtd_field_prep(VTD_FRCD_HI_SID, sid);
	m->next_frcd = (idx + 1) % m->cfg.nfr;
	mstat_inc(m, MS_FAULTS);
	if (!(pre & VTD_FSTS_PPF))
		m->fsts = (m->fsts & ~(uint32_t)VTD_FSTS_FRI) |
			  (uint32_t)vtd_field_prep(VTD_FSTS_FRI, idx);
	update_ppf_locked(m);
	fault_event_locked(m, pre, q);
}

void liommu__model_report_fault(struct liommu_model *m, uint16_t sid, uint64_t fi,
				unsigned int reason, bool is_write)
{
	struct model_evq q = { 0 };

	model_reg_lock(m);
	liommu__model_record_fault_locked(m, sid, fi, reason, is_write, &q);
	model_reg_unlock(m);
	liommu__model_send_events(m, &q);
}

/*
 * Invalidation completion event (6.5.2.8, 11.4.9.4-5): a wait descriptor
 * with IF sets ICS.IWC; only when IWC was clear does it set IECTL.IP and,
 * with IM clear, send the message (QEMU vtd_generate_completion_event()).
 */
void liommu__model_inv_event_locked(struct liommu_model *m, struct model_evq *q)
{
	if (m->ics & VTD_ICS_IWC)
		return;
	m->ics |= VTD_ICS_IWC;
	m->iectl |= VTD_IECTL_IP;
	if (!(m->iectl & VTD_IECTL_IM)) {
		evq_push(q, LIOMMU_MODEL_EV_INV_DONE,
			 ((uint64_t)m->ieuaddr << 32) | m->ieaddr, m->iedata);
		m->iectl &= ~VTD_IECTL_IP;
	}
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
	m->gsts = 0;
	m->rtaddr = 0;
	m->ccmd = 0;
	m->fsts = 0;
	m->fectl = VTD_FECTL_IM;	/* reset value 0x80000000 (QEMU, spec) */
	m->fedata = 0;
	m->feaddr = 0;
	m->feuaddr = 0;
	m->iqh = 0;
	m->iqt = 0;
	m->iqa = 0;
	m->iq_base = 0;
	m->iq_entries = 0;
	m->ics = 0;
	m->iectl = VTD_IECTL_IM;
	m->iedata = 0;
	m->ieaddr = 0;
	m->ieuaddr = 0;
	m->iqercd = 0;
	m->irta_reg = 0;
	m->iva = 0;
	m->iotlb_reg = 0;
	memset(m->frcd, 0, sizeof(m->frcd));
	m->next_frcd = 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static void qie_locked(struct liommu_model *m, bool on, struct model_evq *q)
{
	if (on) {
		/* The queue base and size are latched when QI is enabled. */
		m->iq_base = m->iqa & VTD_IQA_IQA & m->haw_mask;
		m->iq_entries = 256u << vtd_field_get(VTD_IQA_QS, m->iqa);
		m->gsts |= VTD_GSTS_QIES;
		/* QEMU processes a non-zero tail at once (Windows does this);
		 * so do we, rather than wait for the next tail write. */
		if (m->iqt != m->iqh && !(m->fsts & VTD_FSTS_IQE))
			liommu__model_qi_run_locked(m, q);
		return;
	}
	/*
	 * Spec 6.5.2: software disables QI only with the queue empty
	 * (IQH == IQT).  Otherwise the command is ignored and QIES stays set
	 * (QEMU additionally insists the last descriptor was a wait).  On
	 * disable the unit clears IQH.
	 */
	if (m->iqh != m->iqt)
		return;
	m->iqh = 0;
	m->gsts &= ~VTD_GSTS_QIES;
}

static void gcmd_write_locked(struct liommu_model *m, uint32_t val, struct model_evq *q)
{
	uint32_t changed = m->gsts ^ val;

	/* Persistent bits act on a change, one-shot bits when set, in the
	 * order QEMU's vtd_handle_gcmd_write() uses. */
	if (changed & VTD_GCMD_TE) {
		bool on = val & VTD_GCMD_TE;

		/* By default no cache flush: hardware may keep its caches
		 * across TE changes and software invalidates.  QEMU flushes
		 * here; @flush_on_te does the same. */
		m->gsts = on ? (m->gsts | VTD_GSTS_TES) : (m->gsts & ~(uint32_t)VTD_GSTS_TES);
		atomic_store_explicit(&m->te, on, memory_order_release);
		if (m->cfg.flush_on_te) {
			liommu__model_inv_ctx_all_locked(m);
			liommu__model_inv_iotlb_all_locked(m);
		}
	}
	if (val & VTD_GCMD_SRTP) {
		/* RTADDR is latched now (11.4.6); without ESRTPS the caches
		 * keep what they hold and software must invalidate them. */
		atomic_store_explicit(&m->root, m->rtaddr & VTD_RTADDR_RTA & m->haw_mask,
				      memory_order_release);
		m->gsts |= VTD_GSTS_RTPS;
		if (m->cfg.esrtps) {
			liommu__model_inv_ctx_all_locked(m);
			liommu__model_inv_iotlb_all_locked(m);
		}
	}
	if ((changed & VTD_GCMD_QIE) && m->cfg.qi)
		qie_locked(m, val & VTD_GCMD_QIE, q);
	if ((val & VTD_GCMD_SIRTP) && m->cfg.ir) {
		atomic_store_explicit(&m->irta, m->irta_reg, memory_order_release);
		m->gsts |= VTD_GSTS_IRTPS;
		if (m->cfg.esirtps)
			liommu__model_inv_iec_all_locked(m);
	}
	if ((changed & VTD_GCMD_IRE) && m->cfg.ir) {
		bool on = val & VTD_GCMD_IRE;

		m->gsts = on ? (m->gsts | VTD_GSTS_IRES) : (m->gsts & ~(uint32_t)VTD_GSTS_IRES);
		atomic_store_explicit(&m->ire, on, memory_order_release);
	}
	if ((changed & VTD_GCMD_CFI) && m->cfg.ir) {
		bool on = val & VTD_GCMD_CFI;

		m->gsts = on ? (m->gsts | VTD_GSTS_CFIS) : (m->gsts & ~(uint32_t)VTD_GSTS_CFIS);
		atomic_store_explicit(&m->cfis, on, memory_order_release);
	}
	/* WBF: with CAP.RWBF the flush completes before this write returns,
	 * so WBFS reads 0 again at once; without RWBF it is ignored.  SFL and
	 * EAFL need CAP.AFL, which the model does not offer. */
}

/* Register-based context-cache invalidation (11.4.7). */
static void ccmd_write_locked(struct liommu_model *m)
{
	unsigned int caig;

	if (!(m->ccmd & VTD_CCMD_ICC))
		return;
	/* With QI on, register-based invalidation is not allowed (6.5.2);
	 * like QEMU the unit ignores it and ICC stays set. */
	if (m->gsts & VTD_GSTS_QIES)
		return;
	switch (vtd_field_get(VTD_CCMD_CIRG, m->ccmd)) {
	case VTD_CC_GRAN_GLOBAL:
		liommu__model_inv_ctx_all_locked(m);
		caig = VTD_CC_GRAN_GLOBAL;
		break;
	case VTD_CC_GRAN_DOMAIN:
		/* Performed as asked (QEMU widens it to global). */
		liommu__model_inv_ctx_domain_locked(m, (uint16_t)vtd_field_get(VTD_CCMD_DID, m->ccmd));
		caig = VTD_CC_GRAN_DOMAIN;
		break;
	case VTD_CC_GRAN_DEVICE:
		liommu__model_inv_ctx_device_locked(m, (uint16_t)vtd_field_get(VTD_CCMD_SID, m->ccmd),
						    (unsigned int)vtd_field_get(VTD_CCMD_FM, m->ccmd));
		caig = VTD_CC_GRAN_DEVICE;
		break;
	default:
		caig = 0;	/* reserved granularity: nothing done, CAIG 0 */
		break;
	}
	/* Complete after the modelled latency (qi.c). */
	liommu__model_inval_wait(liommu__model_inval_due(m));
	m->ccmd &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG);
	m->ccmd |= vtd_field_prep(VTD_CCMD_CAIG, caig);
}

/* Register-based IOTLB invalidation (11.4.8). */
static void iotlb_write_locked(struct liommu_model *m)
{
	uint16_t did = (uint16_t)vtd_field_get(VTD_IOTLB_DID, m->iotlb_reg);
	unsigned int iaig;

	if (!(m->iotlb_reg & VTD_IOTLB_IVT))
		return;
	if (m->gsts & VTD_GSTS_QIES)
		return;
	switch (vtd_field_get(VTD_IOTLB_IIRG, m->iotlb_reg)) {
	case VTD_IOTLB_GRAN_GLOBAL:
		liommu__model_inv_iotlb_all_locked(m);
		iaig = VTD_IOTLB_GRAN_GLOBAL;
		break;
	case VTD_IOTLB_GRAN_DOMAIN:
		liommu__model_inv_iotlb_domain_locked(m, did);
		iaig = VTD_IOTLB_GRAN_DOMAIN;
		break;
	case VTD_IOTLB_GRAN_PAGE:
		if (!m->cfg.psi) {
			/* Without CAP.PSI the unit may invalidate at a coarser
			 * granularity and says so in IAIG (11.4.8.1). */
			liommu__model_inv_iotlb_domain_locked(m, did);
			iaig = VTD_IOTLB_GRAN_DOMAIN;
		} else if (vtd_field_get(VTD_IVA_AM, m->iva) > m->cfg.mamv) {
			iaig = 0;	/* AM above MAMV: rejected, as QEMU */
		} else {
			liommu__model_inv_iotlb_page_locked(m, did, m->iva & VTD_IVA_ADDR,
							   (unsigned int)vtd_field_get(VTD_IVA_AM, m->iva),
							   m->iva & VTD_IVA_IH);
			iaig = VTD_IOTLB_GRAN_PAGE;
		}
		break;
	default:
		iaig = 0;
		break;
	}
	liommu__model_inval_wait(liommu__model_inval_due(m));
	m->iotlb_reg &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG);
	m->iotlb_reg |= vtd_field_prep(VTD_IOTLB_IAIG, iaig);
}

/* ------------------------------------------------------------------ */
/* 32-bit registers                                                    */
/* ------------------------------------------------------------------ */

static uint32_t reg32_read_locked(struct liommu_model *m, uint32_t off)
{
	bool qi = m->cfg.qi;

	switch (off) {
	case VTD_VER_REG:
		return LIOMMU_MODEL_VERSION;
	case VTD_GCMD_REG:
		return 0;		/* write-only */
	case VTD_GSTS_REG:
		return m->gsts;
	case VTD_FSTS_REG:
		return m->fsts;
	case VTD_FECTL_REG:
		return m->fectl;
	case VTD_FEDATA_REG:
		return m->fedata;
	case VTD_FEADDR_REG:
		return m->feaddr;
	case VTD_FEUADDR_REG:
		return m->feuaddr;
	case VTD_ICS_REG:
		return qi ? m->ics : 0;
	case VTD_IECTL_REG:
		return qi ? m->iectl : 0;
	case VTD_IEDATA_REG:
		return qi ? m->iedata : 0;
	case VTD_IEADDR_REG:
		return qi ? m->ieaddr : 0;
	case VTD_IEUADDR_REG:
		return qi ? m->ieuaddr : 0;
	default:
		return 0;	/* PMEN, PLM*, reserved: read 0 */
	}
}

static void reg32_write_locked(struct liommu_model *m, uint32_t off, uint32_t val,
			       struct model_evq *q)
{
	bool qi = m->cfg.qi;

	switch (off) {
	case VTD_GCMD_REG:
		gcmd_write_locked(m, val, q);
		break;
	case VTD_FSTS_REG: {
		uint32_t clear = val & FSTS_W1C;

		m->fsts &= ~clear;
		if (clear & VTD_FSTS_IQE)
			m->iqercd &= ~VTD_IQERCD_IQEI;	/* valid only while IQE */
		/* 11.4.9.2: IP is cleared once software has serviced every
		 * status condition (QEMU vtd_handle_fsts_write()). */
		if ((m->fectl & VTD_FECTL_IP) && !(m->fsts & FSTS_EVENT_BITS))
			m->fectl &= ~VTD_FECTL_IP;
		/* 6.5.2.10: clearing IQE lets the unit fetch again from IQH
		 * (QEMU waits for the next tail write instead). */
		if ((clear & VTD_FSTS_IQE) && (m->gsts & VTD_GSTS_QIES) && m->iqh != m->iqt)
			liommu__model_qi_run_locked(m, q);
		break;
	}
	case VTD_FECTL_REG:
		m->fectl = (m->fectl & ~(uint32_t)VTD_FECTL_IM) | (val & (uint32_t)VTD_FECTL_IM);
		/* Unmasking sends a pending event (7.3.1). */
		if ((m->fectl & VTD_FECTL_IP) && !(m->fectl & VTD_FECTL_IM)) {
			fault_msi_locked(m, q);
			m->fectl &= ~VTD_FECTL_IP;
		}
		break;
	case VTD_FEDATA_REG:
		m->fedata = val & FEDATA_WMASK;
		break;
	case VTD_FEADDR_REG:
		m->feaddr = val & FEADDR_WMASK;
		break;
	case VTD_FEUADDR_REG:
		/* RsvdZ unless x2APIC destinations are possible (ECAP.EIM). */
		m->feuaddr = m->cfg.eim ? val : 0;
		break;
	case VTD_ICS_REG:
		if (!qi)
			break;
		m->ics &= ~(val & (uint32_t)VTD_ICS_IWC);
		if ((m->iectl & VTD_IECTL_IP) && !(m->ics & VTD_ICS_IWC))
			m->iectl &= ~VTD_IECTL_IP;
		break;
	case VTD_IECTL_REG:
		if (!qi)
			break;
		m->iectl = (m->iectl & ~(uint32_t)VTD_IECTL_IM) | (val & (uint32_t)VTD_IECTL_IM);
		if ((m->iectl & VTD_IECTL_IP) && !(m->iectl & VTD_IECTL_IM)) {
			evq_push(q, LIOMMU_MODEL_EV_INV_DONE,
				 ((uint64_t)m->ieuaddr << 32) | m->ieaddr, m->iedata);
			m->iectl &= ~VTD_IECTL_IP;
		}
		break;
	case VTD_IEDATA_REG:
		if (qi)
			m->iedata = val;
		break;
	case VTD_IEADDR_REG:
		if (qi)
			m->ieaddr = val & IEADDR_WMASK;
		break;
	case VTD_IEUADDR_REG:
		if (qi)
			m->ieuaddr = m->cfg.eim ? val : 0;
		break;
	default:
		break;		/* read-only or reserved */
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
	case LIOMMU_MODEL_IVA_OFFSET + 8:
		return true;
	default:
		return frcd_range(m, off, &idx);
	}
}

static uint64_t reg64_read_locked(struct liommu_model *m, uint32_t off)
{
	bool qi = m->cfg.qi;
	unsigned int idx;

	switch (off) {
	case VTD_CAP_REG:
		return m->cap;
	case VTD_ECAP_REG:
		return m->ecap;
	case VTD_RTADDR_REG:
		return m->rtaddr;
	case VTD_CCMD_REG:
		return m->ccmd & ~CCMD_WOMASK;
	case VTD_IQH_REG:
		return qi ? m->iqh : 0;
	case VTD_IQT_REG:
		return qi ? m->iqt : 0;
	case VTD_IQA_REG:
		return qi ? m->iqa : 0;
	case VTD_IQERCD_REG:
		return qi ? m->iqercd : 0;
	case VTD_IRTA_REG:
		return m->cfg.ir ? m->irta_reg : 0;
	case LIOMMU_MODEL_IVA_OFFSET:
		return 0;		/* IVA is write-only */
	case LIOMMU_MODEL_IVA_OFFSET + 8:
		return m->iotlb_reg;
	default:
		if (frcd_range(m, off, &idx))
			return m->frcd[idx][(off - LIOMMU_MODEL_FRCD_OFFSET) % VTD_FRCD_SIZE / 8];
		return 0;	/* AFLOG, PHM*: features not offered */
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

	switch (off) {
	case VTD_RTADDR_REG:
		m->rtaddr = merge(m->rtaddr, val, bytes, RTADDR_WMASK);
		break;
	case VTD_CCMD_REG:
		m->ccmd = merge(m->ccmd, val, bytes, CCMD_WMASK);
		/* ICC lives in the upper half: a 32-bit write of the low half
		 * only latches (QEMU acts on the upper-half write too). */
		if (bytes & VTD_CCMD_ICC)
			ccmd_write_locked(m);
		break;
	case VTD_IQT_REG:
		if (!qi)
			break;
		m->iqt = merge(m->iqt, val, bytes, VTD_IQ_QT);
		/* The tail is in the low half; writing it starts processing
		 * unless QI is off or a queue error is pending. */
		if ((bytes & VTD_IQ_QT) && (m->gsts & VTD_GSTS_QIES) &&
		    !(m->fsts & VTD_FSTS_IQE))
			liommu__model_qi_run_locked(m, q);
		break;
	case VTD_IQA_REG:
		if (qi)
			m->iqa = merge(m->iqa, val, bytes, IQA_WMASK);
		break;
	case VTD_IRTA_REG:
		if (m->cfg.ir)
			m->irta_reg = merge(m->irta_reg, val, bytes,
					    VTD_IRTA_IRTA | VTD_IRTA_S |
					    (m->cfg.eim ? VTD_IRTA_EIME : 0));
		break;
	case LIOMMU_MODEL_IVA_OFFSET:
		m->iva = merge(m->iva, val, bytes, IVA_WMASK);
		break;
	case LIOMMU_MODEL_IVA_OFFSET + 8:
		m->iotlb_reg = merge(m->iotlb_reg, val, bytes, IOTLB_WMASK);
		if (bytes & VTD_IOTLB_IVT)
			iotlb_write_locked(m);
		break;
	default:
		if (frcd_range(m, off, &idx) &&
		    (off - LIOMMU_MODEL_FRCD_OFFSET) % VTD_FRCD_SIZE == 8 &&
		    (val & bytes & VTD_FRCD_HI_F)) {
			/* F is RW1C; the rest of the record is read-only. */
			m->frcd[idx][1] &= ~VTD_FRCD_HI_F;
			update_ppf_locked(m);
			if ((m->fectl & VTD_FECTL_IP) && !(m->fsts & FSTS_EVENT_BITS))
				m->fectl &= ~VTD_FECTL_IP;
		}
		break;
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
	if (is_reg64(m, off & ~7u))
		v = (uint32_t)(reg64_read_locked(m, off & ~7u) >> ((off & 4) * 8));
	else
		v = reg32_read_locked(m, off);
	model_reg_unlock(m);
	return v;
}

uint64_t liommu_model_read64(struct liommu_model *m, uint32_t off)
{
	uint64_t v;

	if (!off_ok(off, 8))
		return 0;
	model_reg_lock(m);
	if (is_reg64(m, off))
		v = reg64_read_locked(m, off);
	else
		v = reg32_read_locked(m, off) |
		    ((uint64_t)reg32_read_locked(m, off + 4) << 32);
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
	model_reg_unlock(m);
	liommu__model_send_events(m, &q);
}
