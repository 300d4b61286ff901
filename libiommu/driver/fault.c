// SPDX-License-Identifier: MIT
/*
 * fault.c - primary fault logging: decoding, naming and collecting the
 * fault-recording registers of a VT-d unit.
 *
 * The unit records a blocked request in one of CAP.NFR + 1 128-bit
 * fault-recording registers at CAP.FRO * 16 (spec 7.2.1, 11.4.14), sets
 * its F bit and, when it is the first pending one, FSTS.PPF with FSTS.FRI
 * pointing at it.  Records fill the registers as a ring; software reads a
 * record, clears it by writing 1 to F, and moves to the next one while F
 * is set.  When the next register is still occupied the unit drops the
 * fault and sets FSTS.PFO (overflow), which software also clears.
 */
#include <errno.h>
#include <syslog.h>

#include "fault.h"

void liommu_fault_decode(uint64_t lo, uint64_t hi, struct liommu_fault *f)
{
	if (!f)
		return;
	/* 11.4.14: FI is bits 63:12 of the low half (for interrupt-remapping
	 * faults FI[63:48] holds the interrupt index). */
	f->addr = lo & VTD_FRCD_LO_FI;
	f->sid = (uint16_t)vtd_field_get(VTD_FRCD_HI_SID, hi);
	f->reason = (uint8_t)vtd_field_get(VTD_FRCD_HI_FR, hi);
	/* T = 1 for reads (and AtomicOps), 0 for writes. */
	f->is_write = !(hi & VTD_FRCD_HI_T);
	f->at = (uint8_t)vtd_field_get(VTD_FRCD_HI_AT, hi);
	f->pasid_present = hi & VTD_FRCD_HI_PP;
	f->pasid = (uint32_t)vtd_field_get(VTD_FRCD_HI_PV, hi);
	f->exec = hi & VTD_FRCD_HI_EXE;
	f->priv = hi & VTD_FRCD_HI_PRIV;
}

/*
 * The conditions of the specification's fault-reason table (Appendix A;
 * 7.1.3 for interrupt remapping), phrased for a reader of a log line.
 */
const char *liommu_fault_reason_str(unsigned int reason)
{
	switch (reason) {
	case VTD_FR_ROOT_P:
		return "root entry for the request's bus is not present";
	case VTD_FR_CTX_P:
		return "context entry for the requester is not present";
	case VTD_FR_CTX_INV:
		return "context entry is invalidly programmed "
		       "(unsupported AW, reserved TT, or table pointer above HAW)";
	case VTD_FR_ADDR_BEYOND_AW:
		return "input address is above 2^X - 1, X = min(MGAW, context AW)";
	case VTD_FR_WRITE:
		return "write to a page whose second-level entry does not allow writes";
	case VTD_FR_READ:
		return "read from a page whose second-level entry does not allow reads";
	case VTD_FR_PT_ACCESS:
		return "error accessing a second-level paging entry";
	case VTD_FR_ROOT_ACCESS:
		return "error accessing the root entry through RTADDR";
	case VTD_FR_CTX_ACCESS:
		return "error accessing the context entry through the root entry's CTP";
	case VTD_FR_ROOT_RSVD:
		return "reserved field set in a present root entry";
	case VTD_FR_CTX_RSVD:
		return "reserved field set in a present context entry";
	case VTD_FR_PT_RSVD:
		return "reserved field set in a present second-level paging entry";
	case VTD_FR_CTX_TT:
		return "translation or translated request blocked by the context entry's TT";
	case VTD_FR_IR_REQ_RSVD:
		return "reserved field set in a remappable interrupt request";
	case VTD_FR_IR_INDEX:
		return "interrupt index above the interrupt-remapping table size "
		       "(or its IRTE above HAW)";
	case VTD_FR_IR_P:
		return "interrupt-remapping table entry is not present";
	case VTD_FR_IR_ACCESS:
		return "error accessing the interrupt-remapping table through IRTA";
	case VTD_FR_IR_RSVD:
		return "reserved field set in a present interrupt-remapping table entry";
	case VTD_FR_IR_COMPAT:
		return "compatibility-format interrupt blocked (EIME set or CFIS clear)";
	case VTD_FR_IR_SID:
		return "interrupt blocked: source-id verification (SVT/SQ/SID) failed";
	case VTD_FR_IR_PDA_ACCESS:
		return "error accessing the posted-interrupt descriptor of a posted IRTE";
	default:
		return "reserved fault reason";
	}
}

void liommu__fault_clear_all(struct liommu_unit *u)
{
	unsigned int i, nfr = vtd_cap_nfr(u->cap);

	pthread_mutex_lock(&u->fault_lock);
	for (i = 0; i < nfr; i++) {
		uint32_t off = vtd_frcd_reg(u->cap, i);

		/* F is bit 127: bit 31 of the record's last dword (RW1C). */
		if (liommu__rd64(u->plat, off + 8) & VTD_FRCD_HI_F)
			liommu__wr32(u->plat, off + 12, (uint32_t)(VTD_FRCD_HI_F >> 32));
	}
	liommu__wr32(u->plat, VTD_FSTS_REG, (uint32_t)VTD_FSTS_RW1C);
	pthread_mutex_unlock(&u->fault_lock);
}

int liommu_unit_read_faults(struct liommu_unit *unit, struct liommu_fault *out,
			    size_t max, bool *overflow)
{
	unsigned int nfr, idx, i;
	uint32_t fsts;
	int n = 0;

	if (!unit || (max && !out))
		return -EINVAL;
	if (overflow)
		*overflow = false;
	if (max > INT32_MAX)
		max = INT32_MAX;
	nfr = vtd_cap_nfr(unit->cap);

	pthread_mutex_lock(&unit->fault_lock);
	fsts = liommu__rd32(unit->plat, VTD_FSTS_REG);
	/*
	 * FRI is only meaningful while PPF is set (11.4.9.1) and names the
	 * register that was recorded when PPF went from 0 to 1; the pending
	 * records follow it around the ring.  FRI does not move when
	 * software clears records, so after a call that stopped at @max the
	 * leading records are already clear: skip those, then take the run
	 * of set ones.
	 */
	if (fsts & VTD_FSTS_PPF) {
		bool in_run = false;

		idx = (unsigned int)vtd_field_get(VTD_FSTS_FRI, fsts) % nfr;
		for (i = 0; i < nfr && (size_t)n < max; i++, idx = (idx + 1) % nfr) {
			uint32_t off = vtd_frcd_reg(unit->cap, idx);
			uint64_t hi = liommu__rd64(unit->plat, off + 8);
			uint64_t lo;

			if (!(hi & VTD_FRCD_HI_F)) {
				if (in_run)
					break;
				continue;
			}
			in_run = true;
			/* The unit sets F after the other fields (11.4.14):
			 * F first, then the rest is stable. */
			lo = liommu__rd64(unit->plat, off);
			liommu_fault_decode(lo, hi, &out[n++]);
			liommu__wr32(unit->plat, off + 12, (uint32_t)(VTD_FRCD_HI_F >> 32));
		}
	}
	if (fsts & VTD_FSTS_PFO) {
		liommu__log(unit, LOG_WARNING, "primary fault overflow: faults were lost");
		liommu__wr32(unit->plat, VTD_FSTS_REG, (uint32_t)VTD_FSTS_PFO);
		if (overflow)
			*overflow = true;
	}
	pthread_mutex_unlock(&unit->fault_lock);
	return n;
}
