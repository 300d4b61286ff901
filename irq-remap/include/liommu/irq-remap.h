/* SPDX-License-Identifier: MIT */
/*
 * liommu/irq-remap.h - an interrupt-remapping table on a VT-d unit.
 *
 * Life cycle:
 *   liommu_ir_enable(unit, cfg)     allocates the table (2^(S+1) IRTEs,
 *                                   physically contiguous, zeroed),
 *                                   programs IRTA (address, S, EIME),
 *                                   latches it with GCMD.SIRTP, flushes
 *                                   the interrupt entry cache (IEC)
 *                                   globally, sets the compatibility-
 *                                   format policy (GCMD.CFI) and turns
 *                                   remapping on (GCMD.IRE);
 *   liommu_ir_alloc()               one IRTE, or a naturally aligned block
 *                                   of 2..32 for multi-message MSI;
 *   liommu_ir_set_remap()/_posted() compose and publish an entry, then
 *                                   invalidate its IEC line;
 *   liommu_ir_free()                clear the entries, invalidate, and
 *                                   only then make the indices reusable;
 *   liommu_ir_disable()             GCMD.IRE off, free the table.
 *
 * What a device is programmed with comes from liommu/irte.h:
 * liommu_msi_compose() with liommu_ir_entries() as the table size, or
 * liommu_ioapic_rte_compose().
 *
 * Ordering rules implemented here (spec 6.5.2.7, 9.10):
 *  - an entry is written high half first, P last (liommu_irte_update());
 *  - after an entry changes, the IEC line covering it is invalidated
 *    (index-selective, or global when the block exceeds ECAP.MHMV)
 *    before the call returns, unless LIOMMU_IR_NOSYNC defers it to a
 *    later liommu_ir_sync();
 *  - an index returns to the allocator only after its cleared entry has
 *    been invalidated, so a reused index never hits a stale IEC line.
 *
 * Requirements: ECAP.IR, and queued invalidation in use on the unit (the
 * IEC has no register-based invalidation, 6.5.2.7); x2APIC mode needs
 * ECAP.EIM, posted entries need CAP.PI.
 *
 * Threading contract: one table per unit.  liommu_ir_alloc(), _free(),
 * _set_*(), _clear(), _get(), _sync() may be called from any number of
 * threads at once; the table lock (a mutex) serialises the allocator and
 * entry writers, and IEC invalidations run outside it, serialised by the
 * unit's invalidation lock.  Writers of one index must still agree on
 * what it holds (the last writer wins).  liommu_ir_enable() and
 * liommu_ir_disable() must not race with anything else on the table.
 *
 * Errors: negative errno values: -EINVAL malformed argument, -ERANGE an
 * index or size outside the table, -ENOENT an index that is not
 * allocated, -ENOSPC no free block, -ENODEV a missing capability,
 * -EBUSY remapping already enabled on the unit, -ETIMEDOUT the unit did
 * not acknowledge a command, -EIO an invalidation failed.
 */
#ifndef LIOMMU_IRQ_REMAP_H
#define LIOMMU_IRQ_REMAP_H

#include <stdbool.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/irte.h>
#include <liommu/liommu.h>
#include <liommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_ir_table;

/* Largest multi-message MSI block: MSI's Multiple Message Enable field
 * allows 1, 2, 4, 8, 16 or 32 vectors (PCI Local Bus 3.0, 6.8.1.3). */
#define LIOMMU_IR_MAX_BLOCK	32u
/* IRTA.S is 4 bits: 2^(S + 1) entries, 2 .. 65536 (spec 11.4.10). */
#define LIOMMU_IR_MIN_ENTRIES	2u
#define LIOMMU_IR_MAX_ENTRIES	65536u
#define LIOMMU_IR_DEFAULT_ENTRIES 256u

/**
 * struct liommu_ir_config - how to set up remapping.  Zero is a default.
 * @entries:      table size, a power of two from 2 to 65536; 0 = 256.
 *                Tables above 256 entries span several pages, which
 *                must come out of the platform physically contiguous.
 * @x2apic:       IRTA.EIME: 32-bit (x2APIC) destination IDs; -ENODEV
 *                without ECAP.EIM.  Off: 8-bit xAPIC IDs.
 * @allow_compat: GCMD.CFI: let compatibility-format interrupts bypass
 *                remapping (only honoured in xAPIC mode, spec 5.1.2.1).
 *                Off (the default, and the safe choice): they are
 *                blocked with fault reason 0x25.  QEMU 7.2 implements no
 *                CFI bit (GSTS.CFIS never sets: -ETIMEDOUT) and passes
 *                compatibility interrupts through regardless.
 */
struct liommu_ir_config {
	unsigned int entries;
	bool x2apic;
	bool allow_compat;
};

/* Flags of liommu_ir_set_*() and liommu_ir_clear(). */
/* Do not invalidate the IEC; the caller calls liommu_ir_sync() later
 * (batching).  Until then the unit may keep using the old entry. */
#define LIOMMU_IR_NOSYNC	(1u << 0)
/* Without CMPXCHG16B, allow a present entry whose both halves change to
 * pass through not-present (see LIOMMU_IRTE_UPDATE_TRANSIENT). */
#define LIOMMU_IR_TRANSIENT	(1u << 1)

/**
 * liommu_ir_enable() - set up and enable interrupt remapping on @unit.
 * @unit: the unit, brought up with queued invalidation.
 * @cfg:  configuration, NULL for defaults.
 * @out:  the table.
 *
 * Order (spec 6.5.2.7, 10.4.4, 11.4.10): table zeroed and flushed; IRTA
 * written; GCMD.SIRTP and wait for GSTS.IRTPS; global IEC invalidation
 * (skipped with CAP.ESIRTPS, where SIRTP already did it); GCMD.CFI per
 * @allow_compat; GCMD.IRE and wait for GSTS.IRES.  All entries start
 * not-present, so every remappable interrupt faults (0x22) until an
 * entry is set.
 *
 * Return: 0; -EINVAL (NULL argument, @entries not a power of two in
 * range); -ENODEV (no ECAP.IR, register-based invalidation, @x2apic
 * without ECAP.EIM); -EBUSY (GSTS.IRES already set); -ENOMEM (including
 * pages that are not physically contiguous); -ETIMEDOUT; -EIO.  On
 * failure remapping is left off and nothing is allocated, except pages
 * the unit may still read after a timeout, which are leaked.
 * Context: may block; takes the unit's GCMD and invalidation locks.
 */
LIOMMU_EXPORT int liommu_ir_enable(struct liommu_unit *unit,
				   const struct liommu_ir_config *cfg,
				   struct liommu_ir_table **out);

/**
 * liommu_ir_disable() - turn remapping off and free the table.
 * @t: the table; NULL is accepted.
 *
 * Clears GCMD.IRE and waits for GSTS.IRES to clear, then invalidates the
 * IEC globally and frees the table pages.  If the unit does not
 * acknowledge, the pages are leaked rather than freed under a unit that
 * may still read them.  Entries still allocated are dropped with it.
 * Context: may block.
 */
LIOMMU_EXPORT void liommu_ir_disable(struct liommu_ir_table *t);

/**
 * liommu_ir_entries() - the table size, 2^(IRTA.S + 1).
 * @t: the table.
 * Return: the number of entries; 0 for NULL.  Context: any.
 */
LIOMMU_EXPORT uint32_t liommu_ir_entries(const struct liommu_ir_table *t);

/**
 * liommu_ir_irta() - the IRTA value programmed (address | EIME | S).
 * @t: the table.
 * Return: the value; 0 for NULL.  Context: any.
 */
LIOMMU_EXPORT uint64_t liommu_ir_irta(const struct liommu_ir_table *t);

/**
 * liommu_ir_is_x2apic() - whether the table uses 32-bit destinations.
 * @t: the table.
 * Return: IRTA.EIME.  Context: any.
 */
LIOMMU_EXPORT bool liommu_ir_is_x2apic(const struct liommu_ir_table *t);

/**
 * liommu_ir_alloc() - reserve @count consecutive IRTEs.
 * @t:     the table.
 * @count: 1, 2, 4, 8, 16 or 32.
 * @index: the first index; a multiple of @count (naturally aligned, so
 *         a multi-message MSI's subhandles 0..@count-1 stay in the
 *         block, and one index-selective IEC invalidation with
 *         IM = log2(@count) covers it exactly).
 *
 * The entries are not-present until set.
 * Return: 0; -EINVAL (NULL argument, @count not a power of two up to
 * 32); -ENOSPC (no free aligned block).
 * Context: any thread; takes the table lock.
 */
LIOMMU_EXPORT int liommu_ir_alloc(struct liommu_ir_table *t, unsigned int count,
				  uint16_t *index);

/**
 * liommu_ir_free() - clear and release a block from liommu_ir_alloc().
 * @t:     the table.
 * @index: the block's first index.
 * @count: the block's size, as allocated.
 *
 * Each entry is made not-present (P cleared first), the IEC is
 * invalidated for the block and waited for, and only then may the
 * indices be allocated again.  If the invalidation fails the block stays
 * reserved (leaked) and the error is returned: handing it out again
 * could route a new device's interrupts through a stale cached entry.
 * Return: 0; -EINVAL (NULL, @index/@count not a block allocated as
 * such, or a block already being freed or retired by a failed
 * invalidation); -ERANGE (beyond the table); -ENOENT (not allocated);
 * -ETIMEDOUT or -EIO from the invalidation.
 * Context: may block; takes the table lock, then waits for the IEC
 * invalidation without it.
 */
LIOMMU_EXPORT int liommu_ir_free(struct liommu_ir_table *t, uint16_t index,
				 unsigned int count);

/**
 * liommu_ir_set_remap() - publish a remapped-format IRTE.
 * @t:     the table.
 * @index: an allocated index.
 * @r:     the fields; @r->x2apic must match the table's mode.
 * @flags: 0, LIOMMU_IR_NOSYNC, LIOMMU_IR_TRANSIENT.
 *
 * Composes with liommu_irte_compose_remap(), writes with
 * liommu_irte_update(), flushes the line for a non-coherent unit and
 * invalidates the IEC entry (unless LIOMMU_IR_NOSYNC).
 * Return: 0; -EINVAL (NULL, unknown flag, mode mismatch, or the
 * encoder's -EINVAL); -ERANGE (index beyond the table, or the
 * encoder's -ERANGE); -ENOENT (index not allocated, or its block being
 * freed); -ENODEV (see
 * liommu_irte_update()); -ETIMEDOUT, -EIO (invalidation; the entry is
 * written, the unit may still use the old one).
 * Context: may block (invalidation); takes the table lock.
 */
LIOMMU_EXPORT int liommu_ir_set_remap(struct liommu_ir_table *t, uint16_t index,
				      const struct liommu_irte_remap *r,
				      unsigned int flags);

/**
 * liommu_ir_set_posted() - publish a posted-format IRTE (needs CAP.PI).
 * @t:     the table.
 * @index: an allocated index.
 * @p:     the fields.
 * @flags: as liommu_ir_set_remap().
 *
 * Return: as liommu_ir_set_remap(); -ENODEV without CAP.PI.
 * Context: as liommu_ir_set_remap().
 */
LIOMMU_EXPORT int liommu_ir_set_posted(struct liommu_ir_table *t, uint16_t index,
				       const struct liommu_irte_posted *p,
				       unsigned int flags);

/**
 * liommu_ir_clear() - make an allocated entry not-present (keeps the
 * index allocated).
 * @t:     the table.
 * @index: an allocated index.
 * @flags: 0 or LIOMMU_IR_NOSYNC.
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOENT as liommu_ir_set_remap();
 * -ETIMEDOUT, -EIO (invalidation).
 * Context: as liommu_ir_set_remap().
 */
LIOMMU_EXPORT int liommu_ir_clear(struct liommu_ir_table *t, uint16_t index,
				  unsigned int flags);

/**
 * liommu_ir_get() - read an entry back as the unit would.
 * @t:     the table.
 * @index: any index in the table.
 * @out:   the 128-bit entry (each half an atomic load).
 *
 * Return: 0; -EINVAL (NULL); -ERANGE (index beyond the table).
 * Context: any thread; lock-free.
 */
LIOMMU_EXPORT int liommu_ir_get(const struct liommu_ir_table *t, uint16_t index,
				struct vtd_irte *out);

/**
 * liommu_ir_sync() - invalidate the IEC for [@index, @index + @count).
 * @t:     the table.
 * @index: first index.
 * @count: entries, >= 1; the smallest naturally aligned power-of-two
 *         block covering the range is invalidated, or the whole IEC if
 *         that block is larger than 2^ECAP.MHMV.
 *
 * Return: 0; -EINVAL (NULL, @count 0); -ERANGE (range beyond the table);
 * -ETIMEDOUT, -EIO.
 * Context: may block; takes the unit's invalidation lock.
 */
LIOMMU_EXPORT int liommu_ir_sync(struct liommu_ir_table *t, uint16_t index,
				 unsigned int count);

/**
 * liommu_ir_sync_all() - invalidate the whole IEC (global granularity).
 * @t: the table.
 * Return: 0; -EINVAL; -ETIMEDOUT, -EIO.  Context: may block.
 */
LIOMMU_EXPORT int liommu_ir_sync_all(struct liommu_ir_table *t);

/**
 * struct liommu_ir_stats - counters since liommu_ir_enable() (relaxed
 * atomics: each field exact, the set not a snapshot).
 * @allocated:   entries currently allocated.
 * @leaked:      entries kept out of reuse after a failed invalidation.
 * @writes:      entries written (set or clear).
 * @iec_index:   index-selective IEC invalidations.
 * @iec_global:  global IEC invalidations.
 */
struct liommu_ir_stats {
	uint64_t allocated;
	uint64_t leaked;
	uint64_t writes;
	uint64_t iec_index;
	uint64_t iec_global;
};

/**
 * liommu_ir_get_stats() - read the counters.
 * @t:  the table.
 * @st: filled in (zeroes for a NULL @t).
 * Context: any.
 */
LIOMMU_EXPORT void liommu_ir_get_stats(const struct liommu_ir_table *t,
				       struct liommu_ir_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_IRQ_REMAP_H */
