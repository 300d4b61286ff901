/* SPDX-License-Identifier: MIT */
/*
 * shadow.h - the guest's DMA mappings mirrored into host domains (not
 * installed).
 *
 * What it is for: an assigned device's DMA goes through the host IOMMU,
 * not through the emulated unit, so the host must map exactly what the
 * guest's tables map for that device.  With caching mode (CAP.CM = 1)
 * the guest invalidates after every change, present or not, so each
 * guest invalidation is the moment to look: the shadow walks the guest's
 * tables (liommu_model_walk_range(), side-effect free, bounded by the
 * guest memory table) over what the invalidation covered and makes the
 * host side match, through libiommu/dma in fixed-IOVA mode (the guest
 * chose the IOVAs) with the configured teardown.
 *
 * It owns, per attached guest source-id, a record of what it mapped
 * (guest IOVA -> guest-physical page, host backend address, size,
 * permission) and the struct liommu_dma it created on the host domain.
 * It does not own the guest's model, the memory table or the host
 * domains.
 *
 * What is mirrored, per source-id:
 *  - a leaf the guest's tables map (any page size) whose guest-physical
 *    range lies in one range of the memory table: host IOVA = guest IOVA,
 *    host address = the range's backend address plus the offset,
 *    permissions = the guest's (read, write);
 *  - with TE clear or a pass-through context: every range of the memory
 *    table, IOVA = guest-physical (the device reaches all guest RAM
 *    untranslated, as on hardware), nothing else;
 *  - nothing else: a leaf pointing outside guest RAM is counted in
 *    @skipped and not mapped (a DMA there faults on the host; the guest
 *    would have aborted it as a master abort).
 *
 * Threading contract:
 *  - liommu__viommu_shadow_inval() runs in the guest model's invalidation
 *    callback (liommu_model_inval_fn), with the guest unit's register
 *    lock held, in the thread that performed the invalidation (the
 *    sidecore thread, or a trap-mode caller).  When it returns, the host
 *    domains match the guest's tables over what it covered; for STRICT
 *    teardown, every host translation of what the guest unmapped there is
 *    gone (host unmap returned), so the guest's wait descriptor, which
 *    completes after the callback, is honest.
 *  - _attach(), _detach(), _unmap_backing() and _get_stats() may run in
 *    other threads at the same time; a mutex inside the shadow
 *    serialises them with _inval().
 *  - _new() and _free() are not thread-safe against other use.
 */
#ifndef VIOMMU_SHADOW_H
#define VIOMMU_SHADOW_H

#include <stdint.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/model.h>

#include "gmem.h"

struct viommu_shadow;

/**
 * struct viommu_shadow_config - what the shadow mirrors, and how.
 * @guest:    the guest's emulated unit (walked, never programmed).  The
 *            engine creates it with flush_on_te set, so that a change of
 *            GCMD.TE reaches liommu__viommu_shadow_inval() as a global context
 *            and IOTLB invalidation.
 * @gmem:     the guest memory table (guest-physical -> backend address).
 * @teardown: LIOMMU_DMA_STRICT, _OPTIMISTIC or _DEFERRED: the strategy of
 *            the host-side struct liommu_dma (fixed-IOVA mode).
 * @quota, @age_ns: its bounds (liommu_dma_config quota/age_ns for
 *            OPTIMISTIC, batch/interval_ns for DEFERRED); 0 = defaults.
 * @max_mappings: most host mappings per source-id; 0 =
 *            VIOMMU_SHADOW_MAX_MAPPINGS.  A walk stops collecting there,
 *            so the host memory and the time one invalidation costs are
 *            bounded whatever the guest's tables say (tables that alias
 *            each other map the whole address space with a few pages).
 */
struct viommu_shadow_config {
	struct liommu_model *guest;
	struct viommu_gmem *gmem;
	enum liommu_dma_strategy teardown;
	unsigned int quota;
	uint64_t age_ns;
	uint64_t max_mappings;
};

/* 2^20 host mappings per device: 4 GiB of 4 KiB pages mapped at once,
 * about 8 MiB of host page tables. */
#define VIOMMU_SHADOW_MAX_MAPPINGS	(1ull << 20)

/**
 * struct viommu_shadow_stats - what the shadow did.
 * @invalidations: liommu__viommu_shadow_inval() calls that covered an attached
 *                 source-id.
 * @maps, @unmaps: host mappings made and removed (liommu_dma_map_at() /
 *                 _unmap() calls that succeeded).
 * @kept:          guest leaves found already mirrored, unchanged.
 * @skipped:       guest leaves not mirrored (outside guest RAM, or the
 *                 host refused the mapping), and erroneous guest entries
 *                 the walk skipped.
 * @host_errors:   host map/unmap calls that failed.
 * @limited:       guest leaves not mirrored because the source-id had
 *                 @max_mappings already (or a walk was cut there).
 * @host:          the host-side struct liommu_dma_stats, summed over the
 *                 attached source-ids (@host.bound: the teardown's).
 */
struct viommu_shadow_stats {
	uint64_t invalidations;
	uint64_t maps;
	uint64_t unmaps;
	uint64_t kept;
	uint64_t skipped;
	uint64_t host_errors;
	uint64_t limited;
	struct liommu_dma_stats host;
};

/** liommu__viommu_shadow_new() - an empty shadow.  Return: 0, -EINVAL, -ENOMEM.
 * Context: may block. */
int liommu__viommu_shadow_new(const struct viommu_shadow_config *cfg, struct viommu_shadow **out);

/** liommu__viommu_shadow_free() - detach every source-id (host mappings unmapped)
 * and free; NULL is accepted.  Context: may block. */
void liommu__viommu_shadow_free(struct viommu_shadow *sh);

/**
 * liommu__viommu_shadow_attach() - mirror guest source-id @sid into @host.
 * @host: an empty host domain that the host device is attached to; the
 *        shadow puts a struct liommu_dma (fixed IOVA, the teardown) on it
 *        and maps what the guest's tables map for @sid now.
 * Return: 0; -EEXIST (attached); -ENOMEM; liommu_dma_new()'s errors.
 * Context: may block; not from the invalidation callback.
 */
int liommu__viommu_shadow_attach(struct viommu_shadow *sh, uint16_t sid,
				struct liommu_domain *host);

/**
 * liommu__viommu_shadow_detach() - stop mirroring @sid: every host mapping made
 * for it is unmapped (strictly: when this returns no host translation is
 * left) and its struct liommu_dma freed.  Return: 0, -ENOENT.
 * Context: as _attach().
 */
int liommu__viommu_shadow_detach(struct viommu_shadow *sh, uint16_t sid);

/**
 * liommu__viommu_shadow_inval() - make the host match the guest's tables over
 * what @inv covered (context: global, domain, device; IOTLB: global,
 * domain, page with its mask; IEC and device-TLB cover no DMA mapping and
 * are ignored).
 * Context: the guest model's invalidation callback (see the contract).
 */
void liommu__viommu_shadow_inval(struct viommu_shadow *sh, const struct liommu_model_inval *inv);

/**
 * liommu__viommu_shadow_resync() - walk every attached source-id's whole address
 * space and make the host match (after a restore, or a memory table
 * change).  Context: not from the invalidation callback.
 */
void liommu__viommu_shadow_resync(struct viommu_shadow *sh);

/**
 * liommu__viommu_shadow_sync_page() - make the host match the guest for the
 * 4 KiB page of @sid holding @iova (a host fault where the guest's
 * tables grant: the guest changed a page without invalidating it, which
 * caching mode forbids, or the host refused it before).
 * Return: 1 when a host mapping was made, 0 when none was, -ENOENT
 * (@sid not attached).  Context: not from the invalidation callback.
 */
int liommu__viommu_shadow_sync_page(struct viommu_shadow *sh, uint16_t sid, uint64_t iova);

/**
 * liommu__viommu_shadow_unmap_backing() - unmap (strictly) every host mapping
 * whose guest-physical page lies in [@gpa, @gpa + @size): the hypervisor
 * is taking that guest RAM away.  Those pages are not mapped again
 * until a later invalidation finds them in guest RAM.
 * Return: the number of host mappings removed.
 * Context: not from the invalidation callback.
 */
uint64_t liommu__viommu_shadow_unmap_backing(struct viommu_shadow *sh, uint64_t gpa, uint64_t size);

/** liommu__viommu_shadow_get_stats() - fill @st.  Context: any. */
void liommu__viommu_shadow_get_stats(struct viommu_shadow *sh, struct viommu_shadow_stats *st);

#endif /* VIOMMU_SHADOW_H */
