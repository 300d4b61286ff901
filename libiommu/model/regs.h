/* SPDX-License-Identifier: MIT */
/*
 * regs.h - the software VT-d unit's register decoding (regs.c; not
 * installed): what reset puts in the register page.  The accessors
 * themselves are public (liommu_model_read32() ... in liommu/model.h).
 *
 * regs.c is the top of the model's register side: it calls down into
 * qi.c, cache.c and fault.c, and only model.c calls into it.
 */
#ifndef LIOMMU_MODEL_REGS_H
#define LIOMMU_MODEL_REGS_H

#include "model-internal.h"

/* Power-on values of the register page and of the latched state. */
void liommu__model_regs_reset_locked(struct liommu_model *m);

#endif /* LIOMMU_MODEL_REGS_H */
