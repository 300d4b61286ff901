/* SPDX-License-Identifier: MIT */
/*
 * internal.h - state shared by the driver's source files (not installed).
 *
 * unit.c owns bring-up and the GCMD/GSTS protocol, inval.c the two
 * invalidation interfaces, fault.c the fault records, domain.c domain IDs
 * and context entries, pgtable.c the second-level page-table format.
 * Non-static functions shared between them carry a double underscore.
 */
#ifndef LIOMMU_INTERNAL_H
#define LIOMMU_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

#include "../common/spin.h"

#define LIOMMU_DEFAULT_TIMEOUT_US	1000000u

struct liommu_platform {
	const struct liommu_platform_ops *ops;
	void *priv;
};

/* Register access through the platform. */
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

/* A 4 KiB page the unit reads: CPU view and unit view. */
struct liommu_page {
	void *va;
	uint64_t pa;
};

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

/*
 * Hot-path domain counters, sharded so that threads mapping and unmapping
 * at once do not bounce one cache line (pgtable.c updates them, domain.c
 * sums them).  Shards 0 .. LIOMMU_STAT_SHARDS - 2 are owned by one thread
 * each at a time (handed out on a thread's first map or unmap, taken back
 * when it exits), which updates them with relaxed loads and stores, no
 * locked RMW; readers load them relaxed.  Threads beyond those share the
 * last shard and update it with relaxed RMWs.
 *
 * Mapped bytes: shard deltas not yet folded into st_mapped_base.  A
 * shard folds its delta (adds it to the base and subtracts it from
 * itself) once it reaches LIOMMU_STAT_SLACK in either direction; @hi is
 * the largest value @delta reached since the shard's last fold, so that
 * base + hi is the total at that moment as far as this shard can tell.
 * The folds keep the peak (see liommu_domain_get_stats() in domain.c).
 */
#define LIOMMU_STAT_SHARDS	16
#define LIOMMU_STAT_SHARED	(LIOMMU_STAT_SHARDS - 1)
#define LIOMMU_STAT_SLACK	(1LL << 16)	/* 64 KiB: 16 4 KiB pages */

struct liommu_stat_shard {
	_Alignas(64) _Atomic uint64_t pte_writes;
	_Atomic int64_t delta;		/* mapped bytes not yet in the base */
	_Atomic int64_t hi;		/* max of delta since the last fold */
};

/* The calling thread's shard index + 1, 0 until its first use (domain.c).
 * initial-exec: one %fs-relative load, no __tls_get_addr call. */
extern _Thread_local unsigned int liommu__stat_slot
	__attribute__((tls_model("initial-exec")));
unsigned int liommu__stat_slot_assign(void);

static inline unsigned int liommu__stat_shard(void)
{
	unsigned int slot = liommu__stat_slot;

	return (slot ? slot : liommu__stat_slot_assign()) - 1;
}

/* Allocated 64-byte aligned (domain.c) for the shards' alignment. */
struct liommu_domain {
	struct liommu_unit *unit;
	uint16_t did;
	struct liommu_page pgd;		/* top-level table */
	struct liommu_pt_node *pt;	/* pgtable.c: software view of the table */
	_Atomic uint64_t st_table_pages;
	_Atomic int64_t st_mapped_base;	/* folded shard deltas */
	_Atomic uint64_t st_peak_mapped_bytes;	/* max of the folds' totals */
	struct liommu_stat_shard st_shard[LIOMMU_STAT_SHARDS];
};

/* log.c */
void liommu__log(const struct liommu_unit *u, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * unit.c: page helpers.  Zeroed 4 KiB pages on the unit's node for the
 * structures the unit walks (root table, context tables, second-level
 * tables); each one is counted in st_table_pages until freed.  The
 * invalidation queue and its status page are not counted.
 */
int liommu__page_alloc(struct liommu_unit *u, struct liommu_page *pg);
void liommu__page_free(struct liommu_unit *u, struct liommu_page *pg);
/* Make CPU stores to [va, va + len) visible to a non-coherent unit
 * (ECAP.C = 0); a no-op for coherent units. */
void liommu__flush(const struct liommu_unit *u, const void *va, size_t len);
/* Monotonic microseconds, for bounded waits. */
uint64_t liommu__now_us(void);
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
/* Poll a register until (value & mask) == want, bounded by
 * cfg.timeout_us.  *last (may be NULL) gets the last value read.
 * Return: 0 or -ETIMEDOUT. */
int liommu__wait_reg32(const struct liommu_unit *u, uint32_t off, uint32_t mask,
		       uint32_t want, uint32_t *last);
int liommu__wait_reg64(const struct liommu_unit *u, uint32_t off, uint64_t mask,
		       uint64_t want, uint64_t *last);
/* GCMD protocol (11.4.4), take gcmd_lock themselves.  _set turns a
 * persistent bit (TE, QIE, IRE, CFI, EAFL) on or off and waits for its
 * GSTS twin; _oneshot issues SRTP, SIRTP, SFL or WBF and waits for
 * completion (RTPS/IRTPS/FLS set, WBFS clear).  Return: 0, -EINVAL,
 * -ETIMEDOUT. */
int liommu__gcmd_set(struct liommu_unit *u, uint32_t bit, bool on);
int liommu__gcmd_oneshot(struct liommu_unit *u, uint32_t cmd);
/* GCMD.WBF when CAP.RWBF (spec 6.8); 0 without doing anything otherwise.
 * Needed after a not-present -> present change that is not followed by
 * an invalidation (which flushes the write buffers itself). */
int liommu__flush_write_buffer(struct liommu_unit *u);

/* inval.c: both interfaces.  Each call waits for completion. */
int liommu__inval_init(struct liommu_unit *u);	/* sets up QI if chosen */
void liommu__inval_fini(struct liommu_unit *u);
int liommu__inval_context_global(struct liommu_unit *u);
int liommu__inval_context_device(struct liommu_unit *u, uint16_t did, uint16_t sid);
int liommu__inval_iotlb_global(struct liommu_unit *u);
int liommu__inval_iotlb_domain(struct liommu_unit *u, uint16_t did);
/* Page-selective over [start, end); falls back to domain-selective when
 * CAP.PSI is absent or the covering mask exceeds CAP.MAMV. */
int liommu__inval_iotlb_range(struct liommu_unit *u, uint16_t did,
			      uint64_t start, uint64_t end, bool leaf_only);
/* Interrupt entry cache: global, or 2^im entries from @index (QI only;
 * -ENODEV in register mode, where the IEC cannot be invalidated). */
int liommu__inval_iec(struct liommu_unit *u, bool global, uint16_t index,
		      unsigned int im);
/* Test hook: submit @n raw descriptors, unchecked, followed by a wait
 * descriptor, and wait.  QI only (-ENODEV otherwise); -EIO when the unit
 * reported a queue error (the queue is recovered before returning). */
int liommu__qi_submit_raw(struct liommu_unit *u, const struct vtd_inv_desc *d,
			  unsigned int n);

/* fault.c */
void liommu__fault_clear_all(struct liommu_unit *u);

/* pgtable.c: second-level page-table format. */
struct liommu_pt_node;
/* Allocate the top-level table (d->pgd, d->pt); d->unit must be set. */
int liommu__pt_init(struct liommu_domain *d);
int liommu__pt_map(struct liommu_domain *d, uint64_t iova, uint64_t pa,
		   uint64_t size, unsigned int prot);
int liommu__pt_unmap(struct liommu_domain *d, uint64_t iova, uint64_t size,
		     struct liommu_gather *g);
int liommu__pt_translate(struct liommu_domain *d, uint64_t iova, uint64_t *pa,
			 unsigned int *prot, uint64_t *page_size);
/* Free the gathered table pages (after the invalidation). */
void liommu__pt_free_gathered(struct liommu_domain *d, struct liommu_gather *g);
/* Free every table page of the domain (it must be unreachable). */
void liommu__pt_destroy(struct liommu_domain *d);

#endif /* LIOMMU_INTERNAL_H */
