// SPDX-License-Identifier: MIT
/*
 * qi.c - the software VT-d unit's invalidation queue (spec 6.5.2).
 *
 * Descriptors are processed synchronously, under the register lock, in
 * the thread whose register write made them visible (an IQT write, QIE
 * being set over a non-empty queue, or FSTS.IQE being cleared): when that
 * write returns, every descriptor up to the tail has completed, or the
 * queue has stopped at a bad descriptor with FSTS.IQE set, IQH pointing
 * at it and IQERCD.IQEI saying why (6.5.2.10, 11.4.9.9).
 *
 * Only 128-bit legacy descriptors exist (no scalable mode): PASID-based
 * types and device-TLB descriptors without ECAP.DT are invalid types
 * (QEMU 7.2 accepts and ignores types 3, 6 and 7).  Reserved fields are
 * checked with vtd.h's masks, the same ones QEMU uses.
 *
 * An invalidation takes liommu_model_config.inval_latency_ns to
 * complete: a wait descriptor writes its status and raises its event no
 * earlier than that after the register write that started the run (and
 * register-based invalidation, regs.c, clears ICC / IVT no earlier than
 * that after its write).  The queue runs in the writer's thread, so the
 * latency is a busy-wait there with reg_lock held, as a driver polling
 * the status would spend it: the unit's other invalidations and register
 * accesses wait behind it, as they would behind hardware's single queue.
 *
 * It owns IQH and IQERCD in the register page (software writes IQT and
 * IQA through regs.c; qi.c reads them) and the queue base and size
 * latched at QIE, and the invalidation callback (liommu_model_config.
 * inval): every invalidation, queued or register-based, is performed
 * and reported by the three *_inv_locked() functions here.  It calls
 * down only: cache.c to invalidate, fault.c to
 * raise FSTS.IQE or the completion event, mem.c to fetch descriptors and
 * write wait status.  It must not decode register writes or touch other
 * registers.
 */
#include <time.h>

#include "cache.h"
#include "fault.h"
#include "mem.h"
#include "qi.h"
#include "stats.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t liommu__model_inval_due(const struct liommu_model *m)
{
	/* No clock read when no latency is configured (the default). */
	return m->cfg.inval_latency_ns ? now_ns() + m->cfg.inval_latency_ns : 0;
}

void liommu__model_inval_wait(uint64_t due_ns)
{
	while (due_ns && now_ns() < due_ns)
		liommu__cpu_relax();
}

/* A descriptor's verdict: DESC_OK, or the IQEI code to report (an error
 * with no IQEI detail is DESC_ERR_NODETAIL, reported as IQEI 0). */
#define DESC_OK			0
#define DESC_ERR_NODETAIL	0x100

/* ------------------------------------------------------------------ */
/* Performed and reported                                              */
/* ------------------------------------------------------------------ */

/*
 * The invalidation callback runs here, under reg_lock, after cache.c
 * dropped the entries and before anything makes the completion visible
 * (the caller clears ICC / IVT, or a later wait descriptor writes its
 * status): a shadow that unmaps from inside it is done before software
 * sees the invalidation complete (liommu_model_inval_fn).
 */
static void inval_notify_locked(struct liommu_model *m, const struct liommu_model_inval *inv)
{
	if (m->cfg.inval)
		m->cfg.inval(m->cfg.inval_priv, inv);
}

void liommu__model_ctx_inv_locked(struct liommu_model *m, unsigned int gran, uint16_t did,
				  uint16_t sid, unsigned int fm, bool queued)
{
	struct liommu_model_inval inv = { .kind = LIOMMU_MODEL_INV_CONTEXT, .queued = queued };

	switch (gran) {
	case VTD_CC_GRAN_GLOBAL:
		liommu__model_inv_ctx_all_locked(m);
		inv.gran = LIOMMU_MODEL_INV_GLOBAL;
		break;
	case VTD_CC_GRAN_DOMAIN:
		liommu__model_inv_ctx_domain_locked(m, did);
		inv.gran = LIOMMU_MODEL_INV_DOMAIN;
		inv.did = did;
		break;
	default:	/* VTD_CC_GRAN_DEVICE */
		liommu__model_inv_ctx_device_locked(m, sid, fm);
		inv.gran = LIOMMU_MODEL_INV_DEVICE;
		inv.did = did;
		inv.sid = sid;
		inv.fm = (uint8_t)fm;
		break;
	}
	inval_notify_locked(m, &inv);
}

void liommu__model_iotlb_inv_locked(struct liommu_model *m, unsigned int gran, uint16_t did,
				    uint64_t addr, unsigned int am, bool ih, bool queued)
{
	struct liommu_model_inval inv = { .kind = LIOMMU_MODEL_INV_IOTLB, .queued = queued };

	switch (gran) {
	case VTD_IOTLB_GRAN_GLOBAL:
		liommu__model_inv_iotlb_all_locked(m);
		inv.gran = LIOMMU_MODEL_INV_GLOBAL;
		break;
	case VTD_IOTLB_GRAN_DOMAIN:
		liommu__model_inv_iotlb_domain_locked(m, did);
		inv.gran = LIOMMU_MODEL_INV_DOMAIN;
		inv.did = did;
		break;
	default:	/* VTD_IOTLB_GRAN_PAGE */
		liommu__model_inv_iotlb_page_locked(m, did, addr, am, ih);
		inv.gran = LIOMMU_MODEL_INV_PAGE;
		inv.did = did;
		/* ADDR's low AM bits are ignored (6.5.2.3). */
		inv.addr = addr & ~((VTD_PAGE_SIZE << am) - 1);
		inv.am = am;
		inv.ih = ih;
		break;
	}
	inval_notify_locked(m, &inv);
}

void liommu__model_iec_inv_locked(struct liommu_model *m, bool index_sel, uint16_t iidx,
				  unsigned int im, bool queued)
{
	struct liommu_model_inval inv = { .kind = LIOMMU_MODEL_INV_IEC, .queued = queued };

	if (index_sel) {
		liommu__model_inv_iec_index_locked(m, iidx, im);
		inv.gran = LIOMMU_MODEL_INV_INDEX;
		inv.iidx = iidx & ~((1u << im) - 1);
		inv.am = im;
	} else {
		liommu__model_inv_iec_all_locked(m);
		inv.gran = LIOMMU_MODEL_INV_GLOBAL;
	}
	inval_notify_locked(m, &inv);
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

static unsigned int do_cc(struct liommu_model *m, const struct vtd_inv_desc *d)
{
	unsigned int gran = (unsigned int)vtd_field_get(VTD_INV_CC_G, d->lo);

	if ((d->lo & VTD_INV_CC_LO_RSVD) || d->hi)
		return VTD_IQEI_RSVD;
	if (gran == 0)
		return VTD_IQEI_RSVD;	/* G = 0 is reserved */
	liommu__model_ctx_inv_locked(m, gran, (uint16_t)vtd_field_get(VTD_INV_CC_DID, d->lo),
				     (uint16_t)vtd_field_get(VTD_INV_CC_SID, d->lo),
				     (unsigned int)vtd_field_get(VTD_INV_CC_FM, d->lo), true);
	return DESC_OK;
}

static unsigned int do_iotlb(struct liommu_model *m, const struct vtd_inv_desc *d)
{
	uint16_t did = (uint16_t)vtd_field_get(VTD_INV_IOTLB_DID, d->lo);
	unsigned int am = (unsigned int)vtd_field_get(VTD_INV_IOTLB_HI_AM, d->hi);
	unsigned int gran = (unsigned int)vtd_field_get(VTD_INV_IOTLB_G, d->lo);

	if ((d->lo & VTD_INV_IOTLB_LO_RSVD) || (d->hi & VTD_INV_IOTLB_HI_RSVD))
		return VTD_IQEI_RSVD;
	/* DR/DW: the model has no posted writes or reads in flight to
	 * drain; every request completes before its translate call returns. */
	switch (gran) {
	case VTD_IOTLB_GRAN_GLOBAL:
	case VTD_IOTLB_GRAN_DOMAIN:
		liommu__model_iotlb_inv_locked(m, gran, did, 0, 0, false, true);
		return DESC_OK;
	case VTD_IOTLB_GRAN_PAGE:
		if (am > m->cfg.mamv)
			return VTD_IQEI_RSVD;	/* as QEMU: AM above MAMV */
		if (!m->cfg.psi)
			liommu__model_iotlb_inv_locked(m, VTD_IOTLB_GRAN_DOMAIN, did, 0, 0,
						       false, true);
		else
			liommu__model_iotlb_inv_locked(m, gran, did,
						       d->hi & VTD_INV_IOTLB_HI_ADDR, am,
						       d->hi & VTD_INV_IOTLB_HI_IH, true);
		return DESC_OK;
	default:
		return VTD_IQEI_RSVD;
	}
}

/*
 * Device-TLB invalidate (6.5.2.5): the model has no device TLBs, so a
 * well-formed descriptor drops nothing; it is still reported, since the
 * device behind a shadow may have one.  With S = 1 the size is encoded
 * in ADDR (PCIe ATS 3.1): the lowest clear bit from bit 12 up says how
 * many 4 KiB pages, 2^(that bit - 11); every bit set is the whole space.
 */
static unsigned int do_devtlb(struct liommu_model *m, const struct vtd_inv_desc *d)
{
	const uint64_t lo_rsvd = VTD_GENMASK64(11, 4) | VTD_GENMASK64(31, 21) |
				 VTD_GENMASK64(51, 48);
	const uint64_t hi_rsvd = VTD_GENMASK64(11, 1);
	struct liommu_model_inval inv = {
		.kind = LIOMMU_MODEL_INV_DEVTLB,
		.gran = LIOMMU_MODEL_INV_PAGE,
		.queued = true,
	};
	uint64_t addr = d->hi & VTD_INV_DEVTLB_HI_ADDR;

	if (!m->cfg.device_tlb)
		return VTD_IQEI_TYPE;
	if ((d->lo & lo_rsvd) || (d->hi & hi_rsvd))
		return VTD_IQEI_RSVD;
	inv.sid = (uint16_t)vtd_field_get(VTD_INV_DEVTLB_SID, d->lo);
	if (d->hi & VTD_INV_DEVTLB_HI_S) {
		/* The clear bits of ADDR[63:12], from bit 0 up. */
		uint64_t clear = ~(addr >> VTD_PAGE_SHIFT) & (UINT64_MAX >> VTD_PAGE_SHIFT);

		inv.am = clear ? (unsigned int)__builtin_ctzll(clear) + 1 : 64 - VTD_PAGE_SHIFT;
	}
	inv.addr = inv.am >= 64 - VTD_PAGE_SHIFT ? 0 : addr & ~((VTD_PAGE_SIZE << inv.am) - 1);
	inval_notify_locked(m, &inv);
	return DESC_OK;
}

static unsigned int do_iec(struct liommu_model *m, const struct vtd_inv_desc *d)
{
	unsigned int im = (unsigned int)vtd_field_get(VTD_INV_IEC_IM, d->lo);

	if (!m->cfg.ir)
		return VTD_IQEI_TYPE;
	if ((d->lo & VTD_INV_IEC_LO_RSVD) || d->hi)
		return VTD_IQEI_RSVD;
	if (!(d->lo & VTD_INV_IEC_G)) {
		liommu__model_iec_inv_locked(m, false, 0, 0, true);
		return DESC_OK;
	}
	/* IM may not exceed ECAP.MHMV (11.4.3). */
	if (im > m->cfg.mhmv)
		return VTD_IQEI_RSVD;
	liommu__model_iec_inv_locked(m, true, (uint16_t)vtd_field_get(VTD_INV_IEC_IIDX, d->lo),
				     im, true);
	return DESC_OK;
}

/*
 * Invalidation wait (6.5.2.8).  Everything before it has completed
 * (processing is in order and synchronous), so FN needs no extra work.
 * SW writes the status dword with a release store; IF raises the
 * completion event.  Both may be set (QEMU 7.2 asserts they are not);
 * neither is a valid, if useless, wait (QEMU reports IQE).
 */
static unsigned int do_wait(struct liommu_model *m, const struct vtd_inv_desc *d,
			    struct model_evq *q, uint64_t due_ns)
{
	/* PD (page-request drain) needs ECAP.PDS, which the model lacks. */
	if ((d->lo & (VTD_INV_WAIT_LO_RSVD | VTD_INV_WAIT_PD)) ||
	    (d->hi & VTD_INV_WAIT_HI_RSVD))
		return VTD_IQEI_RSVD;
	liommu__model_inval_wait(due_ns);
	if (d->lo & VTD_INV_WAIT_SW) {
		uint32_t status = (uint32_t)vtd_field_get(VTD_INV_WAIT_SDATA, d->lo);

		if (liommu__model_write32(m, d->hi & VTD_INV_WAIT_HI_SADDR, status))
			return DESC_ERR_NODETAIL;	/* status write failed */
	}
	if (d->lo & VTD_INV_WAIT_IF)
		liommu__model_inv_event_locked(m, q);
	mstat_inc(m, MS_INV_WAITS);
	return DESC_OK;
}

static unsigned int do_desc(struct liommu_model *m, const struct vtd_inv_desc *d,
			    struct model_evq *q, uint64_t due_ns)
{
	/* Type bits 6:4 (lo 11:9) only exist in scalable mode. */
	if (vtd_field_get(VTD_INV_TYPE_HI, d->lo))
		return VTD_IQEI_TYPE;
	switch (vtd_field_get(VTD_INV_TYPE, d->lo)) {
	case VTD_INV_TYPE_CC:
		return do_cc(m, d);
	case VTD_INV_TYPE_IOTLB:
		return do_iotlb(m, d);
	case VTD_INV_TYPE_DEVTLB:
		return do_devtlb(m, d);
	case VTD_INV_TYPE_IEC:
		return do_iec(m, d);
	case VTD_INV_TYPE_WAIT:
		return do_wait(m, d, q, due_ns);
	default:
		return VTD_IQEI_TYPE;	/* 0, PASID types, page response ... */
	}
}

static void queue_error_locked(struct liommu_model *m, unsigned int iqei,
			       struct model_evq *q)
{
	REG64(m, VTD_IQERCD_REG) = (REG64(m, VTD_IQERCD_REG) & ~VTD_IQERCD_IQEI) |
				   vtd_field_prep(VTD_IQERCD_IQEI,
						  iqei == DESC_ERR_NODETAIL ? VTD_IQEI_NONE : iqei);
	mstat_inc(m, MS_QI_ERRORS);
	liommu__model_fsts_error_locked(m, VTD_FSTS_IQE, q);
}

void liommu__model_qi_run_locked(struct liommu_model *m, struct model_evq *q)
{
	uint32_t head = (uint32_t)vtd_field_get(VTD_IQ_QH, REG64(m, VTD_IQH_REG));
	uint32_t tail = (uint32_t)vtd_field_get(VTD_IQ_QT, REG64(m, VTD_IQT_REG));
	uint64_t due_ns;

	if (!m->iq_entries || (REG32(m, VTD_FSTS_REG) & VTD_FSTS_IQE))
		return;
	/* 256-bit descriptors need scalable mode (ECAP.SMTS). */
	if (REG64(m, VTD_IQA_REG) & VTD_IQA_DW) {
		queue_error_locked(m, VTD_IQEI_WIDTH, q);
		return;
	}
	/* A tail beyond the queue (11.4.9.2; QEMU checks it the same way). */
	if (tail >= m->iq_entries) {
		queue_error_locked(m, VTD_IQEI_TAIL, q);
		return;
	}
	/* Submitted now: every wait of this run completes at due_ns or later. */
	due_ns = liommu__model_inval_due(m);
	while (head != tail) {
		struct vtd_inv_desc d;
		unsigned int err;

		if (model_read128(m, m->iq_base + (uint64_t)head * sizeof(d), &d.lo, &d.hi)) {
			queue_error_locked(m, VTD_IQEI_FETCH, q);
			return;
		}
		mstat_inc(m, MS_QI_DESCS);
		err = do_desc(m, &d, q, due_ns);
		if (err) {
			/* IQH stays on the bad descriptor (6.5.2.10). */
			queue_error_locked(m, err, q);
			return;
		}
		head = (head + 1) % m->iq_entries;
		REG64(m, VTD_IQH_REG) = vtd_field_prep(VTD_IQ_QH, head);
	}
}

void liommu__model_qi_enable_locked(struct liommu_model *m, struct model_evq *q)
{
	uint64_t iqa = REG64(m, VTD_IQA_REG);

	/* The queue base and size are latched when QI is enabled. */
	m->iq_base = iqa & VTD_IQA_IQA & m->haw_mask;
	m->iq_entries = 256u << vtd_field_get(VTD_IQA_QS, iqa);
	/* QEMU processes a non-zero tail at once (Windows does this); so do
	 * we, rather than wait for the next tail write. */
	if (REG64(m, VTD_IQT_REG) != REG64(m, VTD_IQH_REG) &&
	    !(REG32(m, VTD_FSTS_REG) & VTD_FSTS_IQE))
		liommu__model_qi_run_locked(m, q);
}

bool liommu__model_qi_disable_locked(struct liommu_model *m)
{
	/*
	 * Spec 6.5.2: software disables QI only with the queue empty
	 * (IQH == IQT).  Otherwise the command is ignored and QIES stays set
	 * (QEMU additionally insists the last descriptor was a wait).  On
	 * disable the unit clears IQH.
	 */
	if (REG64(m, VTD_IQH_REG) != REG64(m, VTD_IQT_REG))
		return false;
	REG64(m, VTD_IQH_REG) = 0;
	return true;
}

void liommu__model_qi_iqe_cleared_locked(struct liommu_model *m, struct model_evq *q)
{
	REG64(m, VTD_IQERCD_REG) &= ~VTD_IQERCD_IQEI;	/* valid only while IQE */
	/* 6.5.2.10: clearing IQE lets the unit fetch again from IQH (QEMU
	 * waits for the next tail write instead). */
	if ((REG32(m, VTD_GSTS_REG) & VTD_GSTS_QIES) &&
	    REG64(m, VTD_IQH_REG) != REG64(m, VTD_IQT_REG))
		liommu__model_qi_run_locked(m, q);
}
