/* SPDX-License-Identifier: MIT */
/*
 * liommu/fault-record.h - a decoded VT-d primary fault record.
 *
 * Both halves of the library speak it: the software unit (liommu/model.h)
 * returns the fault it recorded, the driver (liommu/liommu.h) the faults
 * it read back from the fault-recording registers.  It lives in this base
 * header so that the model needs nothing of the driver (docs/design.md,
 * "Layers and their rules").  The decoder of the raw 128-bit record and
 * the reason strings stay with the driver's fault reader, in liommu.h.
 *
 * Threading contract: plain data, no functions.
 */
#ifndef LIOMMU_FAULT_RECORD_H
#define LIOMMU_FAULT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct liommu_fault - one decoded primary fault record (spec 11.4.14).
 * @addr:   faulting page address (FI), or the interrupt index << 48 for
 *          interrupt-remapping faults, as the hardware records it.
 * @sid:    requester source-id (bus << 8 | devfn).
 * @reason: VTD_FR_* code (liommu/vtd.h).
 * @is_write: the request was a write (T = 0).
 * @at:     address type of the request.
 * @pasid_present, @pasid, @exec, @priv: PASID-tagged request fields.
 */
struct liommu_fault {
	uint64_t addr;
	uint16_t sid;
	uint8_t reason;
	bool is_write;
	uint8_t at;
	bool pasid_present;
	uint32_t pasid;
	bool exec;
	bool priv;
};

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_FAULT_RECORD_H */
