/* SPDX-License-Identifier: MIT */
/*
 * irq-remap-internal.h - helpers irq-remap shares with its tests (not
 * installed).
 *
 * liommu__irte_update() is liommu_irte_update() with the CMPXCHG16B
 * decision made by the caller, so the tests can drive the path a CPU
 * without it takes on a CPU that has it, and with the 64-bit stores
 * going through @store, so a test can look at the entry after every
 * single store, as hardware could.
 */
#ifndef LIOMMU_IRQ_REMAP_INTERNAL_H
#define LIOMMU_IRQ_REMAP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <liommu/irte.h>

/* Store @val into one half of a live IRTE: an atomic store with release
 * semantics, so it is ordered after every earlier store to the entry. */
typedef void (*liommu__irte_store_fn)(void *cookie, uint64_t *half, uint64_t val);

void liommu__irte_store_half(void *cookie, uint64_t *half, uint64_t val);

int liommu__irte_update(struct vtd_irte *slot, const struct vtd_irte *val,
			unsigned int flags, bool use_cx16,
			liommu__irte_store_fn store, void *cookie);

/* True when this CPU has a 128-bit compare-and-exchange (CMPXCHG16B). */
bool liommu__cpu_has_cx16(void);

#endif /* LIOMMU_IRQ_REMAP_INTERNAL_H */
