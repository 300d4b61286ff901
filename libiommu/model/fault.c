// SPDX-License-Identifier: MIT
/*
 * fault.c - fault recording and the software VT-d unit's interrupt
 * events (spec 7.2, 7.3, 11.4.9).
 *
 * It owns the status bits the unit sets -- FSTS, the fault-recording
 * registers, FECTL.IP, ICS.IWC, IECTL.IP -- in the register page
 * (regfile.h), and next_frcd.  It reads FECTL.IM, IECTL.IM and the
 * message registers (FEDATA/FEADDR/FEUADDR, IEDATA/...) that regs.c
 * stores as software wrote them.  It must not decode other registers,
 * touch the caches or run the queue: everything that reports a status
 * (translate.c, irq.c, qi.c, regs.c) calls down into it, nothing here
 * calls up.  Every function but liommu__model_send_events() and
 * liommu__model_report_fault() runs with reg_lock held.
 */
#include "fault.h"
#include "stats.h"

#define FSTS_W1C	(VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)
/* FSTS bits whose being set suppresses a new fault event (7.3.1). */
#define FSTS_EVENT_BITS	(VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | \
			 VTD_FSTS_ICE | VTD_FSTS_ITE)

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

/* ------------------------------------------------------------------ */
/* Fault event                                                         */
/* ------------------------------------------------------------------ */

static void fault_msi_locked(struct liommu_model *m, struct model_evq *q)
{
	evq_push(q, LIOMMU_MODEL_EV_FAULT,
		 ((uint64_t)REG32(m, VTD_FEUADDR_REG) << 32) | REG32(m, VTD_FEADDR_REG),
		 REG32(m, VTD_FEDATA_REG));
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
	REG32(m, VTD_FECTL_REG) |= VTD_FECTL_IP;
	if (!(REG32(m, VTD_FECTL_REG) & VTD_FECTL_IM)) {
		fault_msi_locked(m, q);
		REG32(m, VTD_FECTL_REG) &= ~VTD_FECTL_IP;
	}
}

/* 11.4.9.2: IP is cleared once software has serviced every status
 * condition (QEMU vtd_handle_fsts_write()). */
static void fault_ip_recheck_locked(struct liommu_model *m)
{
	if ((REG32(m, VTD_FECTL_REG) & VTD_FECTL_IP) &&
	    !(REG32(m, VTD_FSTS_REG) & FSTS_EVENT_BITS))
		REG32(m, VTD_FECTL_REG) &= ~VTD_FECTL_IP;
}

static void update_ppf_locked(struct liommu_model *m)
{
	unsigned int i;

	REG32(m, VTD_FSTS_REG) &= ~VTD_FSTS_PPF;
	for (i = 0; i < m->cfg.nfr; i++)
		if (FRCD_HI(m, i) & VTD_FRCD_HI_F) {
			REG32(m, VTD_FSTS_REG) |= VTD_FSTS_PPF;
			break;
		}
}

void liommu__model_fsts_error_locked(struct liommu_model *m, uint32_t bit,
				     struct model_evq *q)
{
	uint32_t pre = REG32(m, VTD_FSTS_REG);

	REG32(m, VTD_FSTS_REG) |= bit;
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
bool liommu__model_record_fault_locked(struct liommu_model *m, uint16_t sid,
				       uint64_t fi, unsigned int reason,
				       bool is_write, struct model_evq *q)
{
	uint32_t pre = REG32(m, VTD_FSTS_REG);
	unsigned int i, idx = m->next_frcd;

	if (pre & VTD_FSTS_PFO) {
		mstat_inc(m, MS_FAULTS_LOST);
		return false;
	}
	if (m->cfg.collapse_faults) {
		for (i = 0; i < m->cfg.nfr; i++)
			if ((FRCD_HI(m, i) & VTD_FRCD_HI_F) &&
			    vtd_field_get(VTD_FRCD_HI_SID, FRCD_HI(m, i)) == sid) {
				mstat_inc(m, MS_FAULTS_LOST);
				return false;
			}
	}
	if (FRCD_HI(m, idx) & VTD_FRCD_HI_F) {
		/* PFO is new (it was clear above): the page changed. */
		REG32(m, VTD_FSTS_REG) |= VTD_FSTS_PFO;
		mstat_inc(m, MS_FAULTS_LOST);
		return true;
	}
	FRCD_LO(m, idx) = fi & VTD_FRCD_LO_FI;
	FRCD_HI(m, idx) = VTD_FRCD_HI_F |
			  (is_write ? 0 : VTD_FRCD_HI_T) |
			  vtd_field_prep(VTD_FRCD_HI_FR, reason) |
			  vtd_field_prep(VTD_FRCD_HI_SID, sid);
	m->next_frcd = (idx + 1) % m->cfg.nfr;
	mstat_inc(m, MS_FAULTS);
	if (!(pre & VTD_FSTS_PPF))
		REG32(m, VTD_FSTS_REG) = (REG32(m, VTD_FSTS_REG) & ~(uint32_t)VTD_FSTS_FRI) |
					 (uint32_t)vtd_field_prep(VTD_FSTS_FRI, idx);
	update_ppf_locked(m);
	fault_event_locked(m, pre, q);
	return true;
}

void liommu__model_report_fault(struct liommu_model *m, uint16_t sid, uint64_t fi,
				unsigned int reason, bool is_write)
{
	struct model_evq q = { 0 };

	model_reg_lock(m);
	/* A fault lost or collapsed changes no register: a flood of them
	 * (a hostile guest's device) leaves a poller's page alone. */
	if (liommu__model_record_fault_locked(m, sid, fi, reason, is_write, &q))
		model_regs_changed_locked(m);
	model_reg_unlock(m);
	liommu__model_send_events(m, &q);
}

uint32_t liommu__model_fsts_write_locked(struct liommu_model *m, uint32_t val)
{
	uint32_t clear = val & FSTS_W1C;

	REG32(m, VTD_FSTS_REG) &= ~clear;
	fault_ip_recheck_locked(m);
	return clear;
}

void liommu__model_frcd_hi_write_locked(struct liommu_model *m, unsigned int idx,
					uint64_t val)
{
	/* F is RW1C; the rest of the record is read-only. */
	if (!(val & VTD_FRCD_HI_F))
		return;
	FRCD_HI(m, idx) &= ~VTD_FRCD_HI_F;
	update_ppf_locked(m);
	fault_ip_recheck_locked(m);
}

void liommu__model_fectl_write_locked(struct liommu_model *m, uint32_t val,
				      struct model_evq *q)
{
	REG32(m, VTD_FECTL_REG) = (REG32(m, VTD_FECTL_REG) & ~(uint32_t)VTD_FECTL_IM) |
				  (val & (uint32_t)VTD_FECTL_IM);
	/* Unmasking sends a pending event (7.3.1). */
	if ((REG32(m, VTD_FECTL_REG) & VTD_FECTL_IP) &&
	    !(REG32(m, VTD_FECTL_REG) & VTD_FECTL_IM)) {
		fault_msi_locked(m, q);
		REG32(m, VTD_FECTL_REG) &= ~VTD_FECTL_IP;
	}
}

/* ------------------------------------------------------------------ */
/* Invalidation completion event                                       */
/* ------------------------------------------------------------------ */

static void inv_msi_locked(struct liommu_model *m, struct model_evq *q)
{
	evq_push(q, LIOMMU_MODEL_EV_INV_DONE,
		 ((uint64_t)REG32(m, VTD_IEUADDR_REG) << 32) | REG32(m, VTD_IEADDR_REG),
		 REG32(m, VTD_IEDATA_REG));
}

/*
 * Invalidation completion event (6.5.2.8, 11.4.9.4-5): a wait descriptor
 * with IF sets ICS.IWC; only when IWC was clear does it set IECTL.IP and,
 * with IM clear, send the message (QEMU vtd_generate_completion_event()).
 */
void liommu__model_inv_event_locked(struct liommu_model *m, struct model_evq *q)
{
	if (REG32(m, VTD_ICS_REG) & VTD_ICS_IWC)
		return;
	REG32(m, VTD_ICS_REG) |= VTD_ICS_IWC;
	REG32(m, VTD_IECTL_REG) |= VTD_IECTL_IP;
	if (!(REG32(m, VTD_IECTL_REG) & VTD_IECTL_IM)) {
		inv_msi_locked(m, q);
		REG32(m, VTD_IECTL_REG) &= ~VTD_IECTL_IP;
	}
}

void liommu__model_ics_write_locked(struct liommu_model *m, uint32_t val)
{
	REG32(m, VTD_ICS_REG) &= ~(val & (uint32_t)VTD_ICS_IWC);
	if ((REG32(m, VTD_IECTL_REG) & VTD_IECTL_IP) && !(REG32(m, VTD_ICS_REG) & VTD_ICS_IWC))
		REG32(m, VTD_IECTL_REG) &= ~VTD_IECTL_IP;
}

void liommu__model_iectl_write_locked(struct liommu_model *m, uint32_t val,
				      struct model_evq *q)
{
	REG32(m, VTD_IECTL_REG) = (REG32(m, VTD_IECTL_REG) & ~(uint32_t)VTD_IECTL_IM) |
				  (val & (uint32_t)VTD_IECTL_IM);
	if ((REG32(m, VTD_IECTL_REG) & VTD_IECTL_IP) && !(REG32(m, VTD_IECTL_REG) & VTD_IECTL_IM)) {
		inv_msi_locked(m, q);
		REG32(m, VTD_IECTL_REG) &= ~VTD_IECTL_IP;
	}
}
