/* SPDX-License-Identifier: MIT */
/*
 * ir-table.h - the interrupt-remapping table object, shared by table.c
 * (set-up, entries, invalidation) and alloc.c (the index allocator), and
 * test hooks (not installed).
 */
#ifndef LIOMMU_IR_TABLE_H
#define LIOMMU_IR_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/irq-remap.h>

#include "../../libiommu/driver/driver-layer.h"

struct liommu_ir_table {
	struct liommu_unit *unit;
	uint32_t entries;		/* 2^(S + 1) */
	uint64_t irta;			/* as programmed */
	bool x2apic;			/* IRTA.EIME */
	struct vtd_irte *irte;		/* CPU view of the table */
	uint64_t pa;			/* its physical address */
	unsigned int npages;
	struct liommu_page *pages;	/* for freeing, in address order */

	/*
	 * lock protects the allocator state and serialises entry writers.
	 * Taken before the unit's invalidation lock is ever needed, and
	 * never held across an invalidation.
	 */
	pthread_mutex_t lock;
	unsigned long *used;		/* 1 = allocated (or leaked) */
	unsigned long *dying;		/* 1 = being freed, or leaked: not writable */
	uint8_t *order;			/* at a block's first index: log2(size)+1 */
	uint32_t hint;			/* where the next scan starts */

	_Atomic uint64_t st_allocated;
	_Atomic uint64_t st_leaked;
	_Atomic uint64_t st_writes;
	_Atomic uint64_t st_iec_index;
	_Atomic uint64_t st_iec_global;
};

/* alloc.c: allocator over t->used / t->order.  _locked: t->lock held. */
int liommu__ir_alloc_init(struct liommu_ir_table *t);
void liommu__ir_alloc_fini(struct liommu_ir_table *t);
int liommu__ir_alloc_locked(struct liommu_ir_table *t, unsigned int count,
			    uint16_t *index);
/* Check that [index, index + count) is a block allocated as such. */
int liommu__ir_block_check_locked(const struct liommu_ir_table *t, uint16_t index,
				  unsigned int count);
/* Start freeing a checked block: its entries can no longer be written
 * and the block can no longer be freed, but it is not reusable yet. */
void liommu__ir_retire_locked(struct liommu_ir_table *t, uint16_t index,
			      unsigned int count);
/* Make a retired block allocatable again (after its IEC invalidation). */
void liommu__ir_release_locked(struct liommu_ir_table *t, uint16_t index,
			       unsigned int count);
/* Allocated and not retired: its entry may be written. */
bool liommu__ir_is_allocated_locked(const struct liommu_ir_table *t, uint16_t index);

/*
 * Test hook: write @e into allocated entry @index without validating it
 * (reserved bits and all), with the same ordering and invalidation as
 * liommu_ir_set_remap().  Tests use it for the fault paths hardware must
 * catch (fault reason 0x24).
 */
int liommu__ir_write_raw(struct liommu_ir_table *t, uint16_t index,
			 const struct vtd_irte *e, unsigned int flags);

#endif /* LIOMMU_IR_TABLE_H */
