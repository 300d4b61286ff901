/* SPDX-License-Identifier: MIT */
/*
 * liommu/platform.h - what the driver needs from the machine it runs on.
 *
 * A platform is a small ops table: the VT-d unit's register window,
 * zeroed 4 KiB pages that the unit can read (CPU pointer plus the
 * physical/bus address the unit sees), an optional cache-line flush for
 * units that do not snoop (ECAP.C = 0) and an optional bounded view of
 * physical memory.  Everything above it (driver, strategies, tools) is
 * platform-agnostic.
 *
 * Platforms shipped with the library:
 *  - host: a caller's MMIO pointer and page allocator (bare-metal
 *    hypervisors), liommu_platform_host_new();
 *  - qemu: QEMU's own VT-d model through qtest, see liommu/qemu.h;
 *  - sim: the in-process software model, see liommu/sim.h.
 *
 * Threading: a platform's ops may be called from any thread at once; the
 * register ops of one unit are serialised by the driver only where the
 * specification requires (GCMD updates, register-based invalidation).
 * liommu_platform_new()/_free() are not thread-safe against other use of
 * the same platform.
 */
#ifndef LIOMMU_PLATFORM_H
#define LIOMMU_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_platform;

/**
 * struct liommu_platform_ops - a platform's primitive operations.
 * @read32:     read a 32-bit register at byte offset @off.  Context: any.
 * @read64:     read a 64-bit register.  Context: any.
 * @write32:    write a 32-bit register.  Context: any.
 * @write64:    write a 64-bit register.  Context: any.
 * @page_alloc: allocate one zeroed, 4 KiB aligned page near NUMA node
 *              @node (-1: no preference); store its CPU pointer in *@va
 *              and the address the unit uses for it in *@pa.  Return 0
 *              or -ENOMEM.  Context: may block; thread-safe.
 * @page_free:  give back a page from @page_alloc.  Context: thread-safe.
 * @flush:      optional; write back the cache lines covering
 *              [@va, @va + @len) so a non-coherent unit sees them.
 * @phys_map:   optional; CPU pointer for physical [@pa, @pa + @len), or
 *              NULL when any of it lies outside the memory the platform
 *              knows.  Used by tests and simulated devices, never by the
 *              driver's hot paths.
 * @destroy:    optional; release @priv when the platform is freed.
 */
struct liommu_platform_ops {
	uint32_t (*read32)(void *priv, uint32_t off);
	uint64_t (*read64)(void *priv, uint32_t off);
	void (*write32)(void *priv, uint32_t off, uint32_t val);
	void (*write64)(void *priv, uint32_t off, uint64_t val);
	int (*page_alloc)(void *priv, int node, void **va, uint64_t *pa);
	void (*page_free)(void *priv, void *va, uint64_t pa);
	void (*flush)(void *priv, const void *va, size_t len);
	void *(*phys_map)(void *priv, uint64_t pa, size_t len);
	void (*destroy)(void *priv);
};

/**
 * liommu_platform_new() - wrap an ops table into a platform.
 * @ops:  the operations; read/write and page ops are required.  The table
 *        must outlive the platform.
 * @priv: passed to every op.
 * @out:  the new platform.
 *
 * Return: 0, -EINVAL when a required op is missing, -ENOMEM.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_platform_new(const struct liommu_platform_ops *ops,
				      void *priv, struct liommu_platform **out);

/**
 * liommu_platform_free() - destroy a platform (calls ops->destroy).
 * Every unit using it must have been freed.  NULL is accepted.
 */
LIOMMU_EXPORT void liommu_platform_free(struct liommu_platform *plat);

/** liommu_platform_ops() / _priv() - the table and cookie given at creation. */
LIOMMU_EXPORT const struct liommu_platform_ops *
liommu_platform_get_ops(const struct liommu_platform *plat);
LIOMMU_EXPORT void *liommu_platform_get_priv(const struct liommu_platform *plat);

/**
 * liommu_platform_phys_map() - CPU pointer for physical [@pa, @pa + @len).
 * Return: the pointer, or NULL when the platform has no @phys_map op or
 * the range is not entirely inside its memory.  Context: any.
 */
LIOMMU_EXPORT void *liommu_platform_phys_map(struct liommu_platform *plat,
					     uint64_t pa, size_t len);

/**
 * struct liommu_host_config - the host platform's memory callbacks.
 * @page_alloc, @page_free, @flush, @phys_map: as in liommu_platform_ops.
 *              @flush NULL means clflushopt/clflush of the range.
 * @priv:       passed to the callbacks.
 */
struct liommu_host_config {
	int (*page_alloc)(void *priv, int node, void **va, uint64_t *pa);
	void (*page_free)(void *priv, void *va, uint64_t pa);
	void (*flush)(void *priv, const void *va, size_t len);
	void *(*phys_map)(void *priv, uint64_t pa, size_t len);
	void *priv;
};

/**
 * liommu_platform_host_new() - platform over a caller's register mapping.
 * @mmio: the unit's register window (at least VTD_REG_WINDOW_SIZE bytes),
 *        mapped uncached.  Accessed with volatile 32/64-bit loads/stores.
 * @cfg:  memory callbacks; copied.
 * @out:  the new platform.
 *
 * Return: 0, -EINVAL, -ENOMEM.  Context: may block.
 */
LIOMMU_EXPORT int liommu_platform_host_new(volatile void *mmio,
					   const struct liommu_host_config *cfg,
					   struct liommu_platform **out);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_PLATFORM_H */
