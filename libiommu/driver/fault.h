/* SPDX-License-Identifier: MIT */
/*
 * fault.h - primary fault logging (fault.c; not installed).
 *
 * Owns the fault-recording registers: reading, decoding and clearing
 * records, under the unit's fault_lock.  The public entry points
 * (liommu_unit_read_faults(), liommu_fault_decode()) are in liommu.h;
 * this header carries what the rest of the driver calls.
 *
 * Who includes it: fault.c and unit.c (bring-up clears stale records).
 */
#ifndef LIOMMU_DRIVER_FAULT_H
#define LIOMMU_DRIVER_FAULT_H

#include "unit.h"

/* Clear every fault record and FSTS's sticky bits.  Context: may block;
 * takes fault_lock. */
void liommu__fault_clear_all(struct liommu_unit *u);

#endif /* LIOMMU_DRIVER_FAULT_H */
