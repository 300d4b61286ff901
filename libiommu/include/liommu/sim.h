/* SPDX-License-Identifier: MIT */
/*
 * liommu/sim.h - the sim platform: the software VT-d model in-process.
 *
 * A struct liommu_sim owns a block of anonymous memory (mmap'd, size
 * configurable) that plays "physical memory" at a configurable base
 * address, a thread-safe page allocator over it, and a software VT-d
 * unit (liommu/model.h) whose tables, invalidation queue and DMA all live
 * in that block.  liommu_sim_platform() turns it into a struct
 * liommu_platform: register ops go to the model, page_alloc/page_free to
 * the block's allocator, phys_map is bounds-checked against the block,
 * flush is a no-op (the model reads memory directly).  It is the default
 * platform of the examples and the CLI: every program runs on
 * a machine with no VT-d hardware and no QEMU.
 *
 * Simulated devices move data with liommu_sim_dma_read()/_write() (DMA
 * through the unit, faults reported and recorded as hardware does) and
 * get buffers from liommu_sim_alloc().
 *
 * Threading contract: every function except liommu_sim_new()/_free() may
 * be called from any thread at once.  The allocator takes a mutex; DMA
 * and register access follow liommu/model.h's contract (a driver thread
 * may edit tables and invalidate while device threads do DMA).
 * liommu_sim_free() requires that nothing else uses the sim, its platform
 * or its model any more.
 */
#ifndef LIOMMU_SIM_H
#define LIOMMU_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_sim;

/**
 * struct liommu_sim_config - how to build a sim.  Zero is a default.
 * @mem_size: bytes of physical memory, a multiple of 4 KiB; 0 = 64 MiB.
 * @mem_base: physical address of the block's first byte, 4 KiB aligned;
 *            0 is allowed (and the default).  Addresses outside
 *            [@mem_base, @mem_base + @mem_size) are not memory.
 * @model:    the unit's capabilities, cache sizes and invalidation
 *            latency (@inval_latency_ns: every driver on this platform
 *            sees its invalidations take that long); NULL =
 *            liommu_model_config_default().  Its @mem is ignored (the sim
 *            supplies its block).
 */
struct liommu_sim_config {
	uint64_t mem_size;
	uint64_t mem_base;
	const struct liommu_model_config *model;
};

/**
 * liommu_sim_new() - create the memory block, allocator, model and
 * platform.
 * @cfg: configuration, NULL for defaults; copied.
 * @out: the new sim.
 *
 * Return: 0; -EINVAL (size not a multiple of 4 KiB, base misaligned,
 * base + size overflowing, or an invalid model configuration); -ENOMEM.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_sim_new(const struct liommu_sim_config *cfg,
				 struct liommu_sim **out);

/** liommu_sim_free() - destroy the platform, the model and the memory.
 * Units on the platform must be freed first.  NULL is accepted. */
LIOMMU_EXPORT void liommu_sim_free(struct liommu_sim *sim);

/** liommu_sim_platform() - the platform (owned by the sim).  Context: any. */
LIOMMU_EXPORT struct liommu_platform *liommu_sim_platform(struct liommu_sim *sim);

/** liommu_sim_model() - the VT-d unit (owned by the sim).  Context: any. */
LIOMMU_EXPORT struct liommu_model *liommu_sim_model(struct liommu_sim *sim);

/**
 * liommu_sim_mem() - the memory block.
 * @base: physical address of its first byte.  May be NULL.
 * @size: its size in bytes.  May be NULL.
 * Return: the block's CPU address.  Context: any.
 */
LIOMMU_EXPORT void *liommu_sim_mem(struct liommu_sim *sim, uint64_t *base,
				   uint64_t *size);

/**
 * liommu_sim_phys() - CPU pointer for physical [@pa, @pa + @len).
 * Return: the pointer, or NULL when any of the range lies outside the
 * block (or @len is 0).  Context: any.
 */
LIOMMU_EXPORT void *liommu_sim_phys(struct liommu_sim *sim, uint64_t pa,
				    size_t len);

/**
 * liommu_sim_alloc() - allocate zeroed, physically contiguous memory.
 * @sim:  the sim.
 * @size: bytes, rounded up to 4 KiB pages.
 * @va:   CPU address.  May be NULL.
 * @pa:   physical address (4 KiB aligned).
 * Return: 0, -EINVAL (@size 0), -ENOMEM (no contiguous run free).
 * Context: thread-safe (allocator mutex).
 */
LIOMMU_EXPORT int liommu_sim_alloc(struct liommu_sim *sim, size_t size,
				   void **va, uint64_t *pa);

/**
 * liommu_sim_release() - give back [@pa, @pa + @size) from
 * liommu_sim_alloc() (or the platform's page_alloc).  Any part of an
 * allocation may be released separately, page by page.
 * Return: 0, -EINVAL (misaligned or outside the block), -ENOENT (some
 * page of the range was not allocated; nothing is released).
 * Context: thread-safe.
 */
LIOMMU_EXPORT int liommu_sim_release(struct liommu_sim *sim, uint64_t pa,
				     size_t size);

/** liommu_sim_pages_used() - pages currently allocated.  Context: any. */
LIOMMU_EXPORT uint64_t liommu_sim_pages_used(struct liommu_sim *sim);

/**
 * liommu_sim_dma_read() / _dma_write() - a simulated device's DMA.
 * @sim:   the sim.
 * @sid:   requester source-id (bus << 8 | devfn).
 * @iova:  device address.
 * @buf:   the data, in the caller's memory.
 * @len:   bytes; may cross pages.
 * @fault: the fault on -EFAULT (reason, page address, sid, type).  May be
 *         NULL.
 *
 * As liommu_model_dma_read()/_write(): every page is translated before
 * any byte moves; faults are recorded in the unit's fault registers.
 * Return: 0, -EFAULT, -EIO (translated outside the block), -EINVAL,
 * -ENOMEM.  Context: any thread.
 */
LIOMMU_EXPORT int liommu_sim_dma_read(struct liommu_sim *sim, uint16_t sid,
				      uint64_t iova, void *buf, size_t len,
				      struct liommu_fault *fault);
LIOMMU_EXPORT int liommu_sim_dma_write(struct liommu_sim *sim, uint16_t sid,
				       uint64_t iova, const void *buf, size_t len,
				       struct liommu_fault *fault);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_SIM_H */
