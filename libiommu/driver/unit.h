/* SPDX-License-Identifier: MIT */
/*
 * unit.h - one VT-d unit's driver state and its primitives (not
 * installed).
 *
 * Owns struct liommu_unit (the capabilities decided at bring-up, the root
 * and context tables, domain IDs, the invalidation queue's state, the
 * locks and the unit counters) and the primitives of unit.c: bounded
 * register waits, the clock they use and the write-buffer flush.  The
 * platform object, register access, page helpers, GCMD and the log line
 * are in driver-layer.h, which this header builds on.
 *
 * Who includes it: the driver's sources (unit.c, inval.c, fault.c, log.c
 * and, through domain.h, domain.c), inval.h, fault.h and domain.h, and the
 * driver's white-box tests (tests/check-unit*.c, check-fault.c,
 * diff-scenario.c).  Not the other layers: they use driver-layer.h.
 * Not pgtable.c: the page-table format never sees a unit.
 */
#ifndef LIOMMU_DRIVER_UNIT_H
#define LIOMMU_DRIVER_UNIT_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

#include "../common/spin.h"
#include "driver-layer.h"

#define LIOMMU_DEFAULT_TIMEOUT_US	1000000u

struct liommu_context_table {
	struct liommu_page page;
};

struct liommu_unit {
	struct liommu_platform *plat;
	struct liommu_unit_config cfg;	/* defaults filled in */
	uint64_t cap;
	uint64_t ecap;
	unsigned int agaw;		/* SAGAW/AW encoding in use: 1, 2, 3 */
	unsigned int width;		/* 39, 48, 57 */
	unsigned int levels;		/* 3, 4, 5 */
	unsigned int sllps;		/* usable superpage sizes (VTD_SLLPS_*) */
	bool coherent;			/* ECAP.C */
	bool caching_mode;		/* CAP.CM */
	enum liommu_inval_mode inval;	/* REGISTER or QUEUED */
	unsigned int iva_reg;		/* IVA register offset (ECAP.IRO) */
	unsigned int iotlb_reg;		/* IOTLB register offset */

	/*
	 * GCMD read-modify-write and the GSTS poll that follows (spec
	 * 11.4.4).  Innermost lock: taken under cfg_lock (TE) and under
	 * inv_lock (write-buffer flush).  Lock order: cfg_lock, inv_lock,
	 * gcmd_lock, fault_lock.  GCMD is write-only (reads return 0 on
	 * QEMU), so the persistent bits are always taken from GSTS.
	 */
	pthread_mutex_t gcmd_lock;

	/* Protected by cfg_lock: root/context tables, DIDs. */
	pthread_mutex_t cfg_lock;
	struct liommu_page root;
	struct liommu_context_table *ctx[VTD_ROOT_ENTRIES];
	struct liommu_domain *dev_domain[65536]; /* sid -> attached domain */
	unsigned long *did_bitmap;
	unsigned int did_count;		/* 2^(4 + 2 * CAP.ND) */

	/* Protected by inv_lock: the invalidation queue or the CCMD/IOTLB
	 * registers, whichever is in use.  A spin lock, as Linux's qi->q_lock:
	 * held for one submission and its wait, which a unit completes in
	 * microseconds (the sim at once); waiters yield (spin.c), so a slow
	 * platform (QEMU over qtest) costs them CPU time, not correctness. */
	struct liommu__spin inv_lock;
	struct liommu_page iq;		/* first queue page (IQA.IQA) */
	void *iq_pages[128];		/* CPU pointers of each queue page */
	uint64_t iq_pas[128];		/* physically contiguous from iq.pa */
	unsigned int iq_npages;		/* 2^qi_order, 0 in register mode */
	unsigned int iq_entries;	/* 128-bit descriptors in the queue */
	unsigned int iq_tail;		/* next free slot */
	unsigned int iq_head_seen;	/* IQH as last read: at or behind the unit's */
	struct liommu_page status_page;	/* wait-descriptor status words */
	uint32_t wait_seq;		/* last status value handed out */
	/* Register mode: actual granularity of the last command (CAIG /
	 * IAIG as the unit reported it), for diagnostics and tests. */
	unsigned int reg_caig;
	unsigned int reg_iaig;

	/* Protected by fault_lock. */
	pthread_mutex_t fault_lock;

	/* Counters, relaxed atomics.  The first five are written only under
	 * inv_lock (a load and a store, no locked read-modify-write on the
	 * invalidation path); the rest with relaxed read-modify-writes. */
	_Atomic uint64_t st_inv_descs;
	_Atomic uint64_t st_inv_waits;
	_Atomic uint64_t st_iotlb_page;
	_Atomic uint64_t st_iotlb_domain;
	_Atomic uint64_t st_iotlb_global;
	_Atomic uint64_t st_context_invs;
	_Atomic uint64_t st_table_pages;
	_Atomic uint64_t st_inv_errors;	/* IQE/ITE/ICE or IAIG/CAIG = 0 */
	_Atomic uint64_t st_wbf;	/* write-buffer flushes */
};

/* Monotonic microseconds, for bounded waits. */
uint64_t liommu__now_us(void);
/* Poll a register until (value & mask) == want, bounded by
 * cfg.timeout_us.  *last (may be NULL) gets the last value read.
 * Return: 0 or -ETIMEDOUT.  Context: may block (yields while polling). */
int liommu__wait_reg32(const struct liommu_unit *u, uint32_t off, uint32_t mask,
		       uint32_t want, uint32_t *last);
int liommu__wait_reg64(const struct liommu_unit *u, uint32_t off, uint64_t mask,
		       uint64_t want, uint64_t *last);
/* GCMD.WBF when CAP.RWBF (spec 6.8); 0 without doing anything otherwise.
 * Needed after a not-present -> present change that is not followed by
 * an invalidation (which flushes the write buffers itself).  Context:
 * may block; takes gcmd_lock. */
int liommu__flush_write_buffer(struct liommu_unit *u);

#endif /* LIOMMU_DRIVER_UNIT_H */
