// SPDX-License-Identifier: MIT
/*
 * events.c - the guest unit's interrupts (fault event, invalidation
 * completion event), sent only once the guest can read their cause.
 *
 * The model raises an event right after it changed its own register
 * file (a fault record and FSTS.PPF, ICS.IWC).  In TRAP mode that file
 * is what the guest reads, so the event goes out at once.  In SIDECORE
 * mode the guest reads the register page, which the polling thread
 * refreshes: an event raised by the model (in the sidecore thread, or in
 * a device thread that recorded a fault) is parked in a slot and sent by
 * the polling thread after its next publication, so a guest's handler
 * never reads registers older than its interrupt.
 *
 * Ordering: a slot is filled (address, data) and then marked pending
 * with a release store; the polling thread takes it with an acquire
 * exchange, then publishes if the model's registers moved (the
 * acquire orders that check after the change that caused the event),
 * then sends.  Two events of one kind raised between two passes are
 * sent once: VT-d's event interrupts are edge-triggered status
 * notifications, and the guest's handler reads every fault record and
 * ICS whatever woke it.
 */
#include <stdatomic.h>

#include "instance.h"

void liommu__viommu_event_raise(void *priv, enum liommu_model_event ev, uint64_t addr,
				uint32_t data)
{
	struct liommu_viommu *v = priv;
	struct viommu_event_slot *s;

	if (ev != LIOMMU_MODEL_EV_FAULT && ev != LIOMMU_MODEL_EV_INV_DONE)
		return;
	if (v->cfg.mode == LIOMMU_VIOMMU_TRAP) {
		atomic_fetch_add_explicit(&v->events, 1, memory_order_relaxed);
		if (v->cfg.event)
			v->cfg.event(v->cfg.event_priv, ev, addr, data);
		return;
	}
	s = &v->ev[ev - 1];
	atomic_store_explicit(&s->addr, addr, memory_order_relaxed);
	atomic_store_explicit(&s->data, data, memory_order_relaxed);
	atomic_store_explicit(&s->pending, true, memory_order_release);
}

unsigned int liommu__viommu_event_flush(struct liommu_viommu *v)
{
	bool take[2];
	unsigned int i, n = 0;

	for (i = 0; i < 2; i++)
		take[i] = atomic_load_explicit(&v->ev[i].pending, memory_order_relaxed) &&
			  atomic_exchange_explicit(&v->ev[i].pending, false,
						   memory_order_acquire);
	if (!take[0] && !take[1])
		return 0;
	if (liommu__viommu_regpage_changed(&v->rp))
		liommu__viommu_regpage_publish(&v->rp);
	for (i = 0; i < 2; i++) {
		if (!take[i])
			continue;
		n++;
		atomic_fetch_add_explicit(&v->events, 1, memory_order_relaxed);
		if (v->cfg.event)
			v->cfg.event(v->cfg.event_priv, (enum liommu_model_event)(i + 1),
				     atomic_load_explicit(&v->ev[i].addr, memory_order_relaxed),
				     atomic_load_explicit(&v->ev[i].data, memory_order_relaxed));
	}
	return n;
}
