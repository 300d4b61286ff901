/* SPDX-License-Identifier: MIT */
/*
 * qi.h - the software VT-d unit's invalidation queue and its modelled
 * invalidation latency (qi.c; not installed).
 *
 * Called by regs.c only: the register writes that make descriptors
 * visible (IQT, GCMD.QIE, FSTS.IQE cleared) run the queue, and
 * register-based invalidation waits out the same latency and performs
 * its invalidation through the same reporting entry points as the
 * queue (the invalidation callback, liommu_model_config.inval).  qi.c calls
 * down into cache.c (the invalidations), fault.c (IQE, the completion
 * event) and mem.c (descriptor fetch, status write), never back up.
 */
#ifndef LIOMMU_MODEL_QI_H
#define LIOMMU_MODEL_QI_H

#include <stdbool.h>
#include <stdint.h>

#include "fault.h"
#include "model-internal.h"

/* GCMD.QIE set (the caller has set GSTS.QIES): latch the queue base and
 * size from IQA and process what is already queued. */
void liommu__model_qi_enable_locked(struct liommu_model *m, struct model_evq *q);
/* GCMD.QIE cleared.  Return: false when the queue is not empty, so the
 * command is ignored and GSTS.QIES stays set (6.5.2); true when the unit
 * disabled it (IQH cleared; the caller clears GSTS.QIES). */
bool liommu__model_qi_disable_locked(struct liommu_model *m);
/* Software cleared FSTS.IQE: IQERCD.IQEI is no longer valid, and the
 * queue resumes from IQH (6.5.2.10). */
void liommu__model_qi_iqe_cleared_locked(struct liommu_model *m, struct model_evq *q);
/* Process descriptors from IQH up to IQT (stops at an error). */
void liommu__model_qi_run_locked(struct liommu_model *m, struct model_evq *q);
/* The modelled invalidation latency: the earliest completion time of an
 * invalidation submitted now (0: no latency configured), and the
 * busy-wait until then (0: none). */
uint64_t liommu__model_inval_due(const struct liommu_model *m);
void liommu__model_inval_wait(uint64_t due_ns);

/*
 * Invalidations performed and reported: drop what the request covers
 * (cache.c) and then tell liommu_model_config.inval, before the caller
 * makes the completion visible.  The queue's descriptors and regs.c's
 * register-based and implicit (GCMD) invalidations all go through them,
 * so each invalidation is reported once, the same way.  The caller has
 * validated the request; @gran is what the unit performs (VTD_CC_GRAN_*,
 * VTD_IOTLB_GRAN_*), never a reserved value.
 */
void liommu__model_ctx_inv_locked(struct liommu_model *m, unsigned int gran, uint16_t did,
				  uint16_t sid, unsigned int fm, bool queued);
void liommu__model_iotlb_inv_locked(struct liommu_model *m, unsigned int gran, uint16_t did,
				    uint64_t addr, unsigned int am, bool ih, bool queued);
/* IEC: all entries (@index_sel false), or 2^@im from @iidx. */
void liommu__model_iec_inv_locked(struct liommu_model *m, bool index_sel, uint16_t iidx,
				  unsigned int im, bool queued);

#endif /* LIOMMU_MODEL_QI_H */
