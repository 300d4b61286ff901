/* SPDX-License-Identifier: MIT */
/*
 * liommu/liommu.h - the VT-d driver: units, domains, devices, faults.
 *
 * Life cycle:
 *   liommu_unit_new(platform)        reads CAP/ECAP, picks the address
 *                                    width, installs an empty root table
 *                                    (SRTP), sets up queued invalidation
 *                                    when ECAP.QI allows;
 *   liommu_domain_new(unit)          a domain ID and a second-level table;
 *   liommu_domain_map()/unmap()      edit the table, invalidate the IOTLB;
 *   liommu_domain_attach(sid)        point a device's context entry at it;
 *   liommu_unit_enable_translation() GCMD.TE, waits for GSTS.TES;
 *   ... and the reverse: detach, liommu_domain_free(), liommu_unit_free().
 *
 * Threading contract:
 *  - liommu_domain_map(), _unmap(), _unmap_nosync(), _flush() and
 *    _translate() may run concurrently from many threads on one domain as
 *    long as the IOVA ranges of concurrent map/unmap calls are disjoint.
 *    Page-table levels are installed with compare-and-swap; no domain-wide
 *    lock is taken.  Overlapping concurrent calls are a caller bug (the
 *    table stays consistent but which call wins is undefined).
 *  - Invalidation submission is serialised per unit (the invalidation
 *    queue, or the register-based command registers).
 *  - attach/detach, domain and unit creation/destruction take the unit's
 *    configuration lock and may block.
 *  - Fault reading takes the unit's fault lock.
 *
 * Errors: every function returns 0 (or a count) on success and a negative
 * errno value on failure; nothing aborts.
 */
#ifndef LIOMMU_LIOMMU_H
#define LIOMMU_LIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/fault-record.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_unit;
struct liommu_domain;

/* Log levels are syslog's (LOG_ERR = 3 ... LOG_DEBUG = 7). */
typedef void (*liommu_log_fn)(void *priv, int level, const char *msg);

/* ------------------------------------------------------------------ */
/* Units                                                               */
/* ------------------------------------------------------------------ */

enum liommu_inval_mode {
	LIOMMU_INVAL_AUTO = 0,	/* queued when ECAP.QI, else registers */
	LIOMMU_INVAL_REGISTER,	/* CCMD and IOTLB registers */
	LIOMMU_INVAL_QUEUED,	/* invalidation queue; -ENODEV without ECAP.QI */
};

/**
 * struct liommu_unit_config - how to bring a unit up.  Zero is a default.
 * @addr_width:   39, 48 or 57; 0 = the widest in CAP.SAGAW that does not
 *                exceed CAP.MGAW.  -ENODEV when not supported.
 * @inval:        invalidation interface, see enum liommu_inval_mode.
 * @qi_order:     invalidation queue size, 2^order 4 KiB pages (0..7).
 * @numa_node:    node for table pages; LIOMMU_NODE_ANY for no preference.
 *                Zero-initialised configs mean node 0.
 * @timeout_us:   bound for every hardware wait; 0 = 1 s.
 * @no_superpages: never use 2 MiB / 1 GiB pages even if CAP.SLLPS has them.
 * @log, @log_priv: diagnostics; NULL = silent.
 */
struct liommu_unit_config {
	unsigned int addr_width;
	enum liommu_inval_mode inval;
	unsigned int qi_order;
	int numa_node;
	unsigned int timeout_us;
	bool no_superpages;
	liommu_log_fn log;
	void *log_priv;
};
#define LIOMMU_NODE_ANY (-1)

/**
 * liommu_unit_new() - bring up a VT-d unit.
 * @plat: the platform giving access to the unit; must outlive the unit.
 * @cfg:  configuration, NULL for defaults.
 * @out:  the new unit.
 *
 * Disables translation if firmware left it on, installs an empty root
 * table (legacy mode) with GCMD.SRTP, clears stale faults, enables queued
 * invalidation when chosen, then invalidates the context cache and IOTLB
 * globally.  Translation stays off until liommu_unit_enable_translation().
 *
 * Return: 0, -EINVAL, -ENODEV (no usable address width, QI asked for but
 * absent, implausible CAP/ECAP), -ENOMEM, -ETIMEDOUT (the unit did not
 * acknowledge a command), -EIO (an invalidation failed during bring-up:
 * queue error, or a register invalidation reported granularity 0).
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_unit_new(struct liommu_platform *plat,
				  const struct liommu_unit_config *cfg,
				  struct liommu_unit **out);

/**
 * liommu_unit_free() - disable translation and QI, free every table page.
 * All domains must have been freed.  NULL is accepted.  If the unit does
 * not acknowledge TE or QIE going off, the root, context and queue pages
 * are deliberately leaked rather than freed under a unit that may still
 * walk them.  Context: may block.
 */
LIOMMU_EXPORT void liommu_unit_free(struct liommu_unit *unit);

/** liommu_unit_enable_translation() - set GCMD.TE and wait for GSTS.TES.
 * Return: 0, -EINVAL (NULL unit) or -ETIMEDOUT.  Context: may block;
 * takes the config lock. */
LIOMMU_EXPORT int liommu_unit_enable_translation(struct liommu_unit *unit);
/** liommu_unit_disable_translation() - clear GCMD.TE, wait for GSTS.TES = 0. */
LIOMMU_EXPORT int liommu_unit_disable_translation(struct liommu_unit *unit);

LIOMMU_EXPORT uint64_t liommu_unit_cap(const struct liommu_unit *unit);
LIOMMU_EXPORT uint64_t liommu_unit_ecap(const struct liommu_unit *unit);
/** Address width in bits (39, 48, 57) and levels (3, 4, 5) in use. */
LIOMMU_EXPORT unsigned int liommu_unit_addr_width(const struct liommu_unit *unit);
LIOMMU_EXPORT unsigned int liommu_unit_levels(const struct liommu_unit *unit);
/** The invalidation interface chosen (REGISTER or QUEUED). */
LIOMMU_EXPORT enum liommu_inval_mode
liommu_unit_inval_mode(const struct liommu_unit *unit);
LIOMMU_EXPORT struct liommu_platform *liommu_unit_platform(struct liommu_unit *unit);

/**
 * struct liommu_unit_stats - counters since liommu_unit_new(), read with
 * relaxed atomics (each field is exact, the set is not a snapshot).
 * @inv_descs:   invalidation requests submitted (descriptors, or register
 *               commands in register mode), waits excluded.
 * @inv_waits:   completions waited for (wait descriptors or register polls).
 * @iotlb_page, @iotlb_domain, @iotlb_global: IOTLB invalidations by the
 *               granularity the driver asked for.
 * @context_invs: context-cache invalidations.
 * @table_pages: pages the unit walks that are currently allocated: root
 *               table, context tables and every domain's second-level
 *               tables (the invalidation queue is not counted).
 */
struct liommu_unit_stats {
	uint64_t inv_descs;
	uint64_t inv_waits;
	uint64_t iotlb_page;
	uint64_t iotlb_domain;
	uint64_t iotlb_global;
	uint64_t context_invs;
	uint64_t table_pages;
};
LIOMMU_EXPORT void liommu_unit_get_stats(const struct liommu_unit *unit,
					 struct liommu_unit_stats *st);

/**
 * liommu_unit_invalidate_iotlb_all() - global IOTLB invalidation and wait.
 * Return: 0, -ETIMEDOUT, -EIO (queue error).  Context: may block.
 */
LIOMMU_EXPORT int liommu_unit_invalidate_iotlb_all(struct liommu_unit *unit);

/* ------------------------------------------------------------------ */
/* Faults                                                              */
/* ------------------------------------------------------------------ */

/* struct liommu_fault, a decoded fault record, is in liommu/fault-record.h. */

/** liommu_fault_decode() - decode the two halves of a fault record. */
LIOMMU_EXPORT void liommu_fault_decode(uint64_t lo, uint64_t hi,
				       struct liommu_fault *f);

/**
 * liommu_fault_reason_str() - the specification's meaning of a reason code.
 * Return: a static string; "reserved fault reason" for unknown codes.
 */
LIOMMU_EXPORT const char *liommu_fault_reason_str(unsigned int reason);

/**
 * liommu_unit_read_faults() - collect and clear pending fault records.
 * @unit:     the unit.
 * @out:      records, oldest first as the hardware ring allows.
 * @max:      capacity of @out.
 * @overflow: set when FSTS.PFO was set (faults were lost); PFO is cleared.
 *            May be NULL.
 *
 * Each collected record is cleared (F written 1) so the hardware can
 * reuse it; records beyond @max stay pending for the next call.
 * Return: number of records stored, or -EINVAL (NULL unit, or NULL @out
 * with @max > 0).  Context: takes the fault lock.
 */
LIOMMU_EXPORT int liommu_unit_read_faults(struct liommu_unit *unit,
					  struct liommu_fault *out, size_t max,
					  bool *overflow);

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

#define LIOMMU_PROT_READ	1u
#define LIOMMU_PROT_WRITE	2u
#define LIOMMU_PROT_RW		(LIOMMU_PROT_READ | LIOMMU_PROT_WRITE)

/**
 * liommu_domain_new() - allocate a domain ID and an empty second-level
 * table.  IDs come from CAP.ND; ID 0 is never used when CAP.CM is set
 * (spec 6.2.2: with caching mode, DID 0 tags not-present entries).
 * Return: 0, -ENOSPC (IDs exhausted), -ENOMEM.  Context: config lock.
 */
LIOMMU_EXPORT int liommu_domain_new(struct liommu_unit *unit,
				    struct liommu_domain **out);

/**
 * liommu_domain_free() - release a domain.  Devices still attached are
 * detached first.  NULL is accepted.  Context: may block.
 */
LIOMMU_EXPORT void liommu_domain_free(struct liommu_domain *dom);

LIOMMU_EXPORT uint16_t liommu_domain_id(const struct liommu_domain *dom);
LIOMMU_EXPORT struct liommu_unit *liommu_domain_unit(struct liommu_domain *dom);

/**
 * liommu_domain_map() - map [@iova, @iova + @size) to [@pa, @pa + @size).
 * @prot: LIOMMU_PROT_READ and/or LIOMMU_PROT_WRITE.
 *
 * Uses 1 GiB and 2 MiB pages where CAP.SLLPS allows and @iova and @pa are
 * both aligned for the part of the range that fits.  Not-present to
 * present changes need no invalidation unless CAP.CM is set, in which
 * case the range is invalidated (spec 6.1); otherwise a unit reporting
 * CAP.RWBF gets a write-buffer flush (GCMD.WBF, spec 6.8).
 * Return: 0; -EINVAL (misaligned, zero size, bad prot), -ERANGE (beyond
 * the address width), -EEXIST (some page already mapped; nothing of this
 * call stays mapped), -ENOMEM, -ETIMEDOUT or -EIO (the invalidation or
 * write-buffer flush failed; the range was unmapped again).
 * Context: lock-free for the table; may allocate; with CAP.CM or
 * CAP.RWBF it takes the unit's invalidation or GCMD lock and waits.
 */
LIOMMU_EXPORT int liommu_domain_map(struct liommu_domain *dom, uint64_t iova,
				    uint64_t pa, uint64_t size, unsigned int prot);

/**
 * struct liommu_gather - unmapped ranges and freed table pages waiting for
 * one invalidation.  Initialise with LIOMMU_GATHER_INIT; only the driver
 * touches the fields.
 */
struct liommu_gather {
	uint64_t start;		/* lowest unmapped IOVA */
	uint64_t end;		/* one past the highest (0 when empty) */
	void *freelist;		/* table pages to free after the flush */
	bool tables;		/* non-leaf entries changed: IH must be 0 */
};
#define LIOMMU_GATHER_INIT { 0, 0, NULL, false }

/**
 * liommu_domain_unmap() - unmap [@iova, @iova + @size), invalidate the
 * IOTLB for it and wait.  When this returns, no translation of the range
 * survives in the unit's caches.  A superpage partly covered is split.
 * Return: 0; -EINVAL, -ERANGE, -ENOENT (some page was not mapped; the
 * mapped rest is still unmapped), -ENOMEM (split failed), -ETIMEDOUT.
 * Context: lock-free for the table; waits for the invalidation.
 */
LIOMMU_EXPORT int liommu_domain_unmap(struct liommu_domain *dom, uint64_t iova,
				      uint64_t size);

/**
 * liommu_domain_unmap_nosync() - clear the PTEs of a range and record it
 * in @g without invalidating.  The unit may keep translating the range
 * until liommu_domain_flush(@g) returns; table pages emptied by this call
 * are freed only then.
 * Return: as liommu_domain_unmap(), minus -ETIMEDOUT.
 */
LIOMMU_EXPORT int liommu_domain_unmap_nosync(struct liommu_domain *dom,
					     uint64_t iova, uint64_t size,
					     struct liommu_gather *g);

/**
 * liommu_domain_flush() - invalidate what @g gathered and wait, then free
 * its table pages and reset it.  Uses one page-selective invalidation with
 * the smallest covering address mask when CAP.PSI and CAP.MAMV allow, a
 * domain-selective one otherwise.
 * Return: 0, -ETIMEDOUT, -EIO.  Context: may block.
 */
LIOMMU_EXPORT int liommu_domain_flush(struct liommu_domain *dom,
				      struct liommu_gather *g);

/**
 * liommu_domain_translate() - software walk of the domain's table.
 * @pa:        physical address for @iova (page offset included).
 * @prot:      LIOMMU_PROT_* of the leaf.  May be NULL.
 * @page_size: 4 KiB, 2 MiB or 1 GiB.  May be NULL.
 * Return: 0, -ENOENT (not mapped), -ERANGE.  Context: lock-free.
 */
LIOMMU_EXPORT int liommu_domain_translate(struct liommu_domain *dom,
					  uint64_t iova, uint64_t *pa,
					  unsigned int *prot, uint64_t *page_size);

/**
 * liommu_domain_attach() - route source-id @sid through this domain.
 * Writes the context entry (allocating the bus's context table), then
 * invalidates the context cache for the device and the domain's IOTLB
 * as spec 6.5.3.3 orders (the unit may cache not-present entries when
 * CAP.CM is set).
 * Return: 0, -EBUSY (already attached to a domain), -ENOMEM, -ETIMEDOUT.
 * Context: config lock; may block.
 */
LIOMMU_EXPORT int liommu_domain_attach(struct liommu_domain *dom, uint16_t sid);

/**
 * liommu_domain_detach() - clear @sid's context entry, invalidate the
 * device's context-cache entry, then the domain's IOTLB.
 * Return: 0, -ENOENT (not attached to this domain), -ETIMEDOUT.
 */
LIOMMU_EXPORT int liommu_domain_detach(struct liommu_domain *dom, uint16_t sid);

/**
 * struct liommu_domain_stats - per-domain counters (relaxed atomics).
 * @pte_writes:  leaf and non-leaf entry stores.
 * @table_pages: table pages currently held, the top level included.
 * @mapped_bytes: bytes currently mapped.
 * @peak_mapped_bytes: the most ever mapped at once.
 */
struct liommu_domain_stats {
	uint64_t pte_writes;
	uint64_t table_pages;
	uint64_t mapped_bytes;
	uint64_t peak_mapped_bytes;
};
LIOMMU_EXPORT void liommu_domain_get_stats(const struct liommu_domain *dom,
					   struct liommu_domain_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_LIOMMU_H */
