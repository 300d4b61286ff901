/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault recording and the software VT-d unit's two interrupt
 * events, the fault event and the invalidation completion event (fault.c;
 * not installed).
 *
 * fault.c owns the bits the unit itself sets in the status and event
 * registers: FSTS (PPF, FRI, PFO and the error bits), the fault-recording
 * registers, FECTL.IP, ICS.IWC and IECTL.IP, and the rules of 7.3.1 and
 * 11.4.9 for when a message is sent.  It is below everything that raises
 * a status: the walk and interrupt remapping (a primary fault), the queue
 * (IQE, IWC) and the register decoder (software clearing or unmasking).
 * That is why it is a file of its own: the queue and the walk report
 * through it instead of calling back up into regs.c, and regs.c hands it
 * software's writes to these registers.  It must not decode any other
 * register, touch the caches or run the queue.
 *
 * Messages are not sent under reg_lock: they are queued in a struct
 * model_evq and sent with liommu__model_send_events() after the unlock.
 */
#ifndef LIOMMU_MODEL_FAULT_H
#define LIOMMU_MODEL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "model-internal.h"

/* Up to this many interrupt messages are produced by one register write
 * or one fault; they are sent after the register lock is dropped. */
#define MODEL_MAX_EVENTS	4

struct model_evq {
	unsigned int n;
	struct {
		enum liommu_model_event ev;
		uint64_t addr;
		uint32_t data;
	} e[MODEL_MAX_EVENTS];
};

/* Send the queued messages through the event callback.  Context: no
 * model lock held. */
void liommu__model_send_events(struct liommu_model *m, const struct model_evq *q);

/* Record a primary fault (spec 7.2.1) and queue the fault event.
 * Return: true when the register page changed (false: the fault was
 * lost under PFO or collapsed). */
bool liommu__model_record_fault_locked(struct liommu_model *m, uint16_t sid,
				       uint64_t fi, unsigned int reason,
				       bool is_write, struct model_evq *q);
/* Record a fault from a device thread: takes reg_lock, sends the event. */
void liommu__model_report_fault(struct liommu_model *m, uint16_t sid, uint64_t fi,
				unsigned int reason, bool is_write);
/* Set an FSTS error bit (IQE ...) and queue the fault event (7.3.1). */
void liommu__model_fsts_error_locked(struct liommu_model *m, uint32_t bit,
				     struct model_evq *q);
/* Invalidation completion event (ICS.IWC, IECTL). */
void liommu__model_inv_event_locked(struct liommu_model *m, struct model_evq *q);

/*
 * Software's writes to the registers fault.c owns (regs.c decodes the
 * access and passes the value; each applies the register's write mask
 * and RW1C rules).
 */
/* FSTS: clear the RW1C bits written 1.  Return: the bits cleared. */
uint32_t liommu__model_fsts_write_locked(struct liommu_model *m, uint32_t val);
/* The high half of fault-recording register @idx: F is RW1C. */
void liommu__model_frcd_hi_write_locked(struct liommu_model *m, unsigned int idx,
					uint64_t val);
void liommu__model_fectl_write_locked(struct liommu_model *m, uint32_t val,
				      struct model_evq *q);
void liommu__model_ics_write_locked(struct liommu_model *m, uint32_t val);
void liommu__model_iectl_write_locked(struct liommu_model *m, uint32_t val,
				      struct model_evq *q);

#endif /* LIOMMU_MODEL_FAULT_H */
