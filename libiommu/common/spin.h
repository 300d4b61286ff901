/* SPDX-License-Identifier: MIT */
/*
 * spin.h - the spin lock of the driver and of the software VT-d unit (not
 * installed).
 *
 * libiommu/common/ holds what both sides of the library use and neither
 * owns: no VT-d encoding, no driver or model state.  The model may include
 * it without seeing the driver's internals.
 */
#ifndef LIOMMU_COMMON_SPIN_H
#define LIOMMU_COMMON_SPIN_H

#include <stdatomic.h>

/*
 * A test-and-test-and-set lock for short critical sections that never
 * sleep (spin.c): the lock is one locked exchange and the unlock a plain
 * release store, where a pthread mutex costs two locked operations and
 * a futex sleep whenever two threads collide.  A waiter spins briefly,
 * then yields: user space cannot keep the holder on its CPU.
 */
struct liommu__spin {
	atomic_uint v;
};

void liommu__spin_lock_wait(struct liommu__spin *l);

static inline void liommu__spin_lock(struct liommu__spin *l)
{
	if (atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
		liommu__spin_lock_wait(l);
}

static inline void liommu__spin_unlock(struct liommu__spin *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_release);
}

/* A spin-wait hint to the CPU. */
#if defined(__x86_64__) || defined(__i386__)
static inline void liommu__cpu_relax(void)
{
	__builtin_ia32_pause();
}
#else
static inline void liommu__cpu_relax(void)
{
	__asm__ volatile("" ::: "memory");
}
#endif

#endif /* LIOMMU_COMMON_SPIN_H */
