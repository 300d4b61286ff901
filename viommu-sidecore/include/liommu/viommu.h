/* SPDX-License-Identifier: MIT */
/*
 * liommu/viommu.h - a VT-d unit emulated for a guest (vIOMMU).
 *
 * What this is for: a guest that runs its own, unmodified VT-d driver
 * against an emulated unit tells the host exactly when it maps and
 * unmaps DMA buffers, so the host can mirror ("shadow") those mappings
 * into the real IOMMU: intra-guest protection and pinning of only what
 * is mapped, instead of direct assignment's "everything mapped, nothing
 * protected" (Amit, Ben-Yehuda, Tsafrir, Schuster, "vIOMMU: Efficient
 * IOMMU Emulation", USENIX ATC 2011).
 *
 * The emulated unit is libiommu's own software VT-d unit (liommu/model.h):
 * its register semantics, table walks, caches, invalidation queue and
 * fault recording, not a second implementation.  This header adds what a
 * guest needs around it.
 *
 * What exists so far (docs/viommu.md tracks the rest):
 *  - liommu_viommu_config_default(): the capability set a guest sees,
 *    equal to QEMU 7.2's `-device intel-iommu,caching-mode=on`, so that
 *    a guest meets a familiar unit.
 *
 * The engine is part of libiommu (one library, one version script, one
 * ABI version for hypervisors and the daemon), in its own layer: it uses
 * only libiommu's public headers, which tests/check-layers.sh enforces.
 */
#ifndef LIOMMU_VIOMMU_H
#define LIOMMU_VIOMMU_H

#include <stdint.h>

#include <liommu/export.h>
#include <liommu/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct liommu_viommu_config - one emulated unit.
 * @unit: the capability set and cache sizes the guest's unit has
 *        (struct liommu_model_config; its @mem and @event fields are the
 *        engine's and are ignored here).
 */
struct liommu_viommu_config {
	struct liommu_model_config unit;
};

/**
 * liommu_viommu_config_default() - QEMU 7.2's intel-iommu,caching-mode=on.
 * @cfg: filled in.
 *
 * CAP 0x00d2008c22260286 and ECAP 0xf00f4a, as QEMU 7.2 reports them
 * with `-M q35 -device intel-iommu,caching-mode=on` (read over qtest;
 * tests/check-viommu.c compares the two when QEMU is installed):
 * caching mode (the guest invalidates after making entries present, so
 * every map reaches the host), 39-bit 3-level second-level tables, 65536
 * domains, 2 MiB and 1 GiB pages, one fault-recording register at 0x220,
 * page-selective invalidation up to 2^18 pages, read/write draining,
 * queued invalidation, interrupt remapping (xAPIC), pass-through, the
 * IOTLB registers at 0xf0.  Never scalable mode: a Linux guest turns it
 * on when offered, and the model does not implement it.
 * Context: any.
 */
LIOMMU_EXPORT void liommu_viommu_config_default(struct liommu_viommu_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_VIOMMU_H */
