/* SPDX-License-Identifier: MIT */
/*
 * inval.h - the unit's two invalidation interfaces, register-based and
 * queued (inval.c; not installed).
 *
 * Owns the invalidation requests the driver issues: context cache, IOTLB
 * (global, domain, page range) and the queue's set-up and tear-down.  The
 * interrupt entry cache invalidation is declared in driver-layer.h, where
 * interrupt remapping finds it.  Every call waits for completion, under
 * the unit's inv_lock.
 *
 * Who includes it: inval.c, unit.c (bring-up), domain.c (attach, detach,
 * flush) and the driver's white-box tests.  Not pgtable.c: the format
 * leaves invalidation to its owner.
 */
#ifndef LIOMMU_DRIVER_INVAL_H
#define LIOMMU_DRIVER_INVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "unit.h"

/* Set up queued invalidation if the unit uses it (allocates the queue,
 * sets QIE); tear it down after a final wait.  Context: may block. */
int liommu__inval_init(struct liommu_unit *u);
void liommu__inval_fini(struct liommu_unit *u);

/* Return: 0, -EINVAL, -EIO (the unit refused or reported a queue error),
 * -ETIMEDOUT.  Context: may block; take inv_lock. */
int liommu__inval_context_global(struct liommu_unit *u);
int liommu__inval_context_device(struct liommu_unit *u, uint16_t did, uint16_t sid);
int liommu__inval_iotlb_global(struct liommu_unit *u);
int liommu__inval_iotlb_domain(struct liommu_unit *u, uint16_t did);
/* Page-selective over [start, end); falls back to domain-selective when
 * CAP.PSI is absent or the covering mask exceeds CAP.MAMV. */
int liommu__inval_iotlb_range(struct liommu_unit *u, uint16_t did,
			      uint64_t start, uint64_t end, bool leaf_only);

/* Test hook: submit @n raw descriptors, unchecked, followed by a wait
 * descriptor, and wait.  QI only (-ENODEV otherwise); -EIO when the unit
 * reported a queue error (the queue is recovered before returning). */
int liommu__qi_submit_raw(struct liommu_unit *u, const struct vtd_inv_desc *d,
			  unsigned int n);

#endif /* LIOMMU_DRIVER_INVAL_H */
