// SPDX-License-Identifier: MIT
/*
 * alloc.c - the IRTE index allocator of an interrupt-remapping table.
 *
 * A bitmap of the table's entries plus, at the first index of each
 * block, its order (log2 of its size, plus one so 0 means "not a block
 * start").  Blocks are 1, 2, 4, 8, 16 or 32 entries and naturally
 * aligned: a multi-message MSI with SHV names handle + subhandle for
 * subhandles 0..count-1 (spec 5.1.2.2), and one index-selective IEC
 * invalidation with IM = log2(count) covers exactly an aligned block
 * (6.5.2.7).  The scan starts where the last allocation ended, so
 * indices are not reused straight away (a freed index was invalidated,
 * but a device that still raises it then faults instead of hitting a
 * new owner's entry).
 *
 * Every function here runs with the table lock held (_locked) except
 * set-up and tear-down.
 */
#include <errno.h>
#include <stdlib.h>

#include "ir-table.h"

#define BITS_PER_ULONG	(8 * sizeof(unsigned long))

static bool test_bit(const unsigned long *map, uint32_t i)
{
	return (map[i / BITS_PER_ULONG] >> (i % BITS_PER_ULONG)) & 1ul;
}

static void set_bits(unsigned long *map, uint32_t i, unsigned int n, bool on)
{
	for (unsigned int k = 0; k < n; k++, i++) {
		if (on)
			map[i / BITS_PER_ULONG] |= 1ul << (i % BITS_PER_ULONG);
		else
			map[i / BITS_PER_ULONG] &= ~(1ul << (i % BITS_PER_ULONG));
	}
}

static bool range_free(const unsigned long *map, uint32_t i, unsigned int n)
{
	/* A whole word at once when the block fills it (blocks are at most
	 * 32 entries and aligned, so they never straddle a word). */
	if (n > 1 && n <= BITS_PER_ULONG) {
		unsigned long mask = n == BITS_PER_ULONG ? ~0ul :
				     ((1ul << n) - 1) << (i % BITS_PER_ULONG);

		return !(map[i / BITS_PER_ULONG] & mask);
	}
	return !test_bit(map, i);
}

int liommu__ir_alloc_init(struct liommu_ir_table *t)
{
	size_t words = (t->entries + BITS_PER_ULONG - 1) / BITS_PER_ULONG;

	t->used = calloc(words, sizeof(unsigned long));
	t->dying = calloc(words, sizeof(unsigned long));
	t->order = calloc(t->entries, 1);
	if (!t->used || !t->dying || !t->order) {
		liommu__ir_alloc_fini(t);
		return -ENOMEM;
	}
	t->hint = 0;
	return 0;
}

void liommu__ir_alloc_fini(struct liommu_ir_table *t)
{
	free(t->used);
	free(t->dying);
	free(t->order);
	t->used = NULL;
	t->dying = NULL;
	t->order = NULL;
}

static unsigned int order_of(unsigned int count)
{
	unsigned int o = 0;

	while ((1u << o) < count)
		o++;
	return o;
}

int liommu__ir_alloc_locked(struct liommu_ir_table *t, unsigned int count,
			    uint16_t *index)
{
	uint32_t start, i;

	if (count > t->entries)
		return -ENOSPC;
	/* First aligned candidate at or after the hint, wrapping once. */
	start = (t->hint & ~(count - 1)) % t->entries;
	i = start;
	do {
		if (range_free(t->used, i, count)) {
			set_bits(t->used, i, count, true);
			t->order[i] = (uint8_t)(order_of(count) + 1);
			t->hint = (i + count) % t->entries;
			*index = (uint16_t)i;
			atomic_fetch_add_explicit(&t->st_allocated, count,
						  memory_order_relaxed);
			return 0;
		}
		i = (i + count) % t->entries;
	} while (i != start);
	return -ENOSPC;
}

int liommu__ir_block_check_locked(const struct liommu_ir_table *t, uint16_t index,
				  unsigned int count)
{
	if (!test_bit(t->used, index))
		return -ENOENT;
	if (t->order[index] != order_of(count) + 1)
		return -EINVAL;
	return 0;
}

void liommu__ir_retire_locked(struct liommu_ir_table *t, uint16_t index,
			      unsigned int count)
{
	set_bits(t->dying, index, count, true);
	t->order[index] = 0;
}

void liommu__ir_release_locked(struct liommu_ir_table *t, uint16_t index,
			       unsigned int count)
{
	set_bits(t->used, index, count, false);
	set_bits(t->dying, index, count, false);
	t->order[index] = 0;
	atomic_fetch_sub_explicit(&t->st_allocated, count, memory_order_relaxed);
}

bool liommu__ir_is_allocated_locked(const struct liommu_ir_table *t, uint16_t index)
{
	return test_bit(t->used, index) && !test_bit(t->dying, index);
}

int liommu_ir_alloc(struct liommu_ir_table *t, unsigned int count, uint16_t *index)
{
	int ret;

	if (!t || !index || !count || count > LIOMMU_IR_MAX_BLOCK ||
	    (count & (count - 1)))
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = liommu__ir_alloc_locked(t, count, index);
	pthread_mutex_unlock(&t->lock);
	return ret;
}
