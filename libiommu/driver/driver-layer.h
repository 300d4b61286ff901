/* SPDX-License-Identifier: MIT */
/*
 * driver-layer.h - what the VT-d driver offers the library's other layers
 * (not installed).
 *
 * Who includes it: the DMA layer (libiommu/dma/dma-internal.h), the
 * platforms (the .c files of libiommu/platform/) and interrupt remapping
 * (irq-remap/src/ir-table.h and table.c), each by its path from the
 * including file ("../driver/driver-layer.h",
 * "../../libiommu/driver/driver-layer.h"), so the rule can be read off the
 * include line.  Those layers include no other header of libiommu/driver/:
 * unit.h, inval.h, fault.h, domain.h, domain-stats.h and pgtable.h are the
 * driver's own, for its sources and its white-box tests.  The software
 * model (libiommu/model/) includes nothing of the driver.
 *
 * What it owns:
 *  - struct liommu_platform, the platform object: the platform layer
 *    builds it (platform.c), the driver reads every register through it;
 *  - register access through a platform, and the write barrier that
 *    orders memory the unit reads before a register write;
 *  - struct liommu_page and the page helpers (zeroed pages the unit
 *    walks, and the flush a non-coherent unit needs);
 *  - the calling thread's slot, by which the domain counters
 *    (domain-stats.h) and the DMA layer's live table are sharded;
 *  - the unit's log line;
 *  - the two unit commands interrupt remapping issues itself: the GCMD
 *    protocol and the interrupt entry cache invalidation.
 * struct liommu_unit stays opaque here; its capabilities and modes are
 * read with the public accessors (liommu_unit_cap(), liommu_unit_ecap(),
 * liommu_unit_inval_mode(), liommu_unit_platform()).
 *
 * This header includes only public headers, so the driver's own headers
 * build on it without a cycle.
 */
#ifndef LIOMMU_DRIVER_LAYER_H
#define LIOMMU_DRIVER_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

/* ------------------------------------------------------------------ */
/* The platform object and register access                             */
/* ------------------------------------------------------------------ */

/* Built by liommu_platform_new() (platform/platform.c); read-only after. */
struct liommu_platform {
	const struct liommu_platform_ops *ops;
	void *priv;
};

static inline uint32_t liommu__rd32(const struct liommu_platform *p, uint32_t off)
{
	return p->ops->read32(p->priv, off);
}
static inline uint64_t liommu__rd64(const struct liommu_platform *p, uint32_t off)
{
	return p->ops->read64(p->priv, off);
}
static inline void liommu__wr32(const struct liommu_platform *p, uint32_t off, uint32_t v)
{
	p->ops->write32(p->priv, off, v);
}
static inline void liommu__wr64(const struct liommu_platform *p, uint32_t off, uint64_t v)
{
	p->ops->write64(p->priv, off, v);
}

/*
 * Write barrier: CPU stores to memory the unit reads (descriptors, table
 * entries) become visible before a later register write or store.  On
 * x86 "writes are not reordered with older writes", uncached MMIO writes
 * included (SDM vol. 3A, memory ordering), so a compiler barrier is enough
 * there; elsewhere a full fence.  Not atomic_thread_fence(): GCC rejects
 * it under TSan.
 */
#if defined(__x86_64__) || defined(__i386__)
static inline void liommu__wmb(void)
{
	__asm__ volatile("" ::: "memory");
}
#else
static inline void liommu__wmb(void)
{
	__sync_synchronize();
}
#endif

/* ------------------------------------------------------------------ */
/* Pages the unit reads (unit.c)                                       */
/* ------------------------------------------------------------------ */

/* A 4 KiB page the unit reads: CPU view and unit view. */
struct liommu_page {
	void *va;
	uint64_t pa;
};

/*
 * Zeroed 4 KiB pages on the unit's node for the structures the unit walks
 * (root and context tables, second-level tables, the interrupt-remapping
 * table), already flushed for a non-coherent unit; each one is counted in
 * the unit's table_pages until freed.  Return: 0 or a negative errno.
 * Context: may block; thread-safe.
 */
int liommu__page_alloc(struct liommu_unit *u, struct liommu_page *pg);
void liommu__page_free(struct liommu_unit *u, struct liommu_page *pg);
/* Make CPU stores to [va, va + len) visible to a non-coherent unit
 * (ECAP.C = 0); a no-op for coherent units.  Context: any. */
void liommu__flush(const struct liommu_unit *u, const void *va, size_t len);

/* ------------------------------------------------------------------ */
/* Thread slots (domain-stats.c)                                       */
/* ------------------------------------------------------------------ */

/*
 * Slots 0 .. LIOMMU_STAT_SHARDS - 2 are owned by one thread each at a time
 * (handed out on a thread's first use, taken back when it exits); threads
 * beyond those share slot LIOMMU_STAT_SHARED.  Whatever is sharded by
 * slot may be updated without a locked read-modify-write in an exclusive
 * slot and needs one in the shared slot.
 */
#define LIOMMU_STAT_SHARDS	16
#define LIOMMU_STAT_SHARED	(LIOMMU_STAT_SHARDS - 1)

/* The calling thread's slot + 1, 0 until its first use.  initial-exec:
 * one %fs-relative load, no __tls_get_addr call. */
extern _Thread_local unsigned int liommu__stat_slot
	__attribute__((tls_model("initial-exec")));
/* Give the calling thread a slot; returns it + 1.  Context: any. */
unsigned int liommu__stat_slot_assign(void);

static inline unsigned int liommu__stat_shard(void)
{
	unsigned int slot = liommu__stat_slot;

	return (slot ? slot : liommu__stat_slot_assign()) - 1;
}

/* ------------------------------------------------------------------ */
/* Diagnostics (log.c)                                                 */
/* ------------------------------------------------------------------ */

/* Format and pass one line to the unit's log callback, if it has one.
 * Context: any. */
void liommu__log(const struct liommu_unit *u, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* Unit commands for interrupt remapping (unit.c, inval.c)             */
/* ------------------------------------------------------------------ */

/* GCMD protocol (11.4.4).  _set turns a persistent bit (TE, QIE, IRE,
 * CFI, EAFL) on or off and waits for its GSTS twin; _oneshot issues SRTP,
 * SIRTP, SFL or WBF and waits for completion (RTPS/IRTPS/FLS set, WBFS
 * clear).  Return: 0, -EINVAL, -ETIMEDOUT.  Context: may block; take the
 * unit's gcmd_lock, the innermost of its locks. */
int liommu__gcmd_set(struct liommu_unit *u, uint32_t bit, bool on);
int liommu__gcmd_oneshot(struct liommu_unit *u, uint32_t cmd);

/* Interrupt entry cache: global, or 2^im entries from @index, and wait.
 * QI only: -ENODEV in register mode, where the IEC cannot be invalidated.
 * Return: 0, -EINVAL, -ENODEV, -EIO, -ETIMEDOUT.  Context: may block;
 * takes the unit's invalidation lock. */
int liommu__inval_iec(struct liommu_unit *u, bool global, uint16_t index,
		      unsigned int im);

#endif /* LIOMMU_DRIVER_LAYER_H */
