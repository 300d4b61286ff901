// SPDX-License-Identifier: MIT
/*
 * spin.c - the slow path of the spin lock (spin.h).
 *
 * A waiter polls the lock word with plain loads (no locked operation
 * while it is held, so the holder's line is not pulled away from it)
 * and retries the exchange only when it reads the lock free.  After 64
 * polls it yields on every poll: user space cannot keep the holder on
 * its CPU, and a preempted holder needs the waiter's CPU to finish.
 */
#include <sched.h>

#include "spin.h"

void liommu__spin_lock_wait(struct liommu__spin *l)
{
	unsigned int spins = 0;

	do {
		while (atomic_load_explicit(&l->v, memory_order_relaxed)) {
			if (++spins < 64)
				liommu__cpu_relax();
			else
				sched_yield();
		}
	} while (atomic_exchange_explicit(&l->v, 1, memory_order_acquire));
}
