// SPDX-License-Identifier: MIT
/*
 * inval.c - the two invalidation interfaces of a VT-d unit.
 *
 * Register-based invalidation (spec 6.5.1) writes one command to the
 * Context Command register or the IOTLB Invalidate register (with the
 * address in the IVA register for page-selective requests) and polls its
 * busy bit; the unit then reports the granularity it actually used, and
 * a reported granularity of 0 means the request was refused.
 *
 * Queued invalidation (spec 6.5.2) writes 128-bit descriptors into a ring
 * of 2^qi_order pages and moves the tail register.  Every submission ends
 * with an invalidation-wait descriptor that makes the unit write a fresh
 * sequence number into a status page once everything before it has
 * completed; the driver polls that word.  A malformed descriptor stops the
 * unit with FSTS.IQE and IQH pointing at it (6.5.2.10): the driver logs
 * IQERCD, replaces the descriptor with a harmless wait, clears IQE and
 * lets the queue drain, then reports -EIO.
 *
 * Both interfaces are serialised by inv_lock.  The counters say what was
 * asked of the hardware: descriptors or commands, waits, and IOTLB
 * invalidations by the granularity requested.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <syslog.h>

#include "inval.h"

#define IQ_DESCS_PER_PAGE	(VTD_PAGE_SIZE / sizeof(struct vtd_inv_desc))
/* Status-page words: the completion word of the current submission and a
 * scratch word for descriptors written during queue-error recovery. */
#define STATUS_SYNC		0
#define STATUS_SCRATCH		1
/* How long an invalidation wait spins before it yields the CPU. */
#define QI_SPIN_US		20

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Counters only written under inv_lock (st_inv_descs, st_inv_waits): a
 * relaxed load and store, no locked RMW; readers load them relaxed. */
static void count_locked(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Queued invalidation: ring primitives                                */
/* ------------------------------------------------------------------ */

static struct vtd_inv_desc *iq_slot(const struct liommu_unit *u, unsigned int idx)
{
	struct vtd_inv_desc *page = u->iq_pages[idx / IQ_DESCS_PER_PAGE];

	return page + idx % IQ_DESCS_PER_PAGE;
}

static volatile uint32_t *status_word(const struct liommu_unit *u, unsigned int w)
{
	return (volatile uint32_t *)u->status_page.va + w;
}

static uint64_t status_pa(const struct liommu_unit *u, unsigned int w)
{
	return u->status_page.pa + w * sizeof(uint32_t);
}

static unsigned int iq_head_locked(const struct liommu_unit *u)
{
	return (unsigned int)(vtd_field_get(VTD_IQ_QH, liommu__rd64(u->plat, VTD_IQH_REG)) %
			      u->iq_entries);
}

static void iq_write_slot_locked(struct liommu_unit *u, unsigned int idx,
				 struct vtd_inv_desc d)
{
	volatile struct vtd_inv_desc *slot = iq_slot(u, idx);

	slot->lo = d.lo;
	slot->hi = d.hi;
	liommu__flush(u, (const void *)slot, sizeof(*slot));
}

static void iq_kick_locked(struct liommu_unit *u)
{
	/* The descriptors must be in memory before the unit may fetch them:
	 * order the stores above before the tail register write. */
	liommu__wmb();
	liommu__wr64(u->plat, VTD_IQT_REG,
		     vtd_field_prep(VTD_IQ_QT, u->iq_tail));
}

/* Free slots if the unit's head were @head (one slot always stays empty). */
static unsigned int iq_room_locked(const struct liommu_unit *u, unsigned int head)
{
	return u->iq_entries - 1 - (u->iq_tail + u->iq_entries - head) % u->iq_entries;
}

/*
 * Wait until the ring has room for @need descriptors.  First against
 * iq_head_seen, the head as last read: the unit's head only moves from
 * there towards the tail, so room found that way is really there and the
 * IQH read (a register access, a lock in the sim) is needed only about
 * once per trip round the ring.  No clock read unless the queue is full.
 */
static int iq_reserve_locked(struct liommu_unit *u, unsigned int need)
{
	uint64_t deadline = 0;

	if (need > u->iq_entries - 1)
		return -EINVAL;
	for (;;) {
		bool late = false;

		if (iq_room_locked(u, u->iq_head_seen) >= need)
			return 0;
		if (deadline)
			late = liommu__now_us() > deadline;
		u->iq_head_seen = iq_head_locked(u);
		if (iq_room_locked(u, u->iq_head_seen) >= need)
			return 0;
		if (late) {
			liommu__log(u, LOG_ERR, "invalidation queue full (head %u tail %u)",
				    u->iq_head_seen, u->iq_tail);
			return -ETIMEDOUT;
		}
		if (!deadline) {
			deadline = liommu__now_us() + u->cfg.timeout_us;
			continue;
		}
		sched_yield();
	}
}

static const char *iqei_str(unsigned int iqei)
{
	switch (iqei) {
	case VTD_IQEI_TAIL:
		return "invalid tail pointer";
	case VTD_IQEI_FETCH:
		return "descriptor fetch error";
	case VTD_IQEI_TYPE:
		return "invalid descriptor type";
	case VTD_IQEI_RSVD:
		return "reserved field set";
	case VTD_IQEI_WIDTH:
		return "invalid descriptor width";
	default:
		return "no detail";
	}
}

/*
 * FSTS.IQE (6.5.2.10): the unit stopped at the descriptor IQH points to.
 * Overwrite it with an invalidation wait that only writes the scratch
 * word, clear IQE, and rewrite the tail so fetching resumes (hardware
 * resumes on the IQE clear; QEMU's model only on a tail write).
 */
static void iq_recover_iqe_locked(struct liommu_unit *u)
{
	uint64_t iqercd = liommu__rd64(u->plat, VTD_IQERCD_REG);
	unsigned int head = iq_head_locked(u);
	const struct vtd_inv_desc *bad = iq_slot(u, head);
	unsigned int iqei = (unsigned int)vtd_field_get(VTD_IQERCD_IQEI, iqercd);

	liommu__log(u, LOG_ERR,
		    "invalidation queue error at slot %u (IQERCD 0x%llx, IQEI %u: %s): "
		    "descriptor 0x%016llx 0x%016llx",
		    head, (unsigned long long)iqercd, iqei, iqei_str(iqei),
		    (unsigned long long)bad->hi, (unsigned long long)bad->lo);
	iq_write_slot_locked(u, head,
			     vtd_inv_wait(true, 0, status_pa(u, STATUS_SCRATCH), false, false));
	liommu__wmb();
	liommu__wr32(u->plat, VTD_FSTS_REG, (uint32_t)VTD_FSTS_IQE);
	iq_kick_locked(u);
	count(&u->st_inv_errors, 1);
}

/* ITE / ICE concern device-TLB invalidations (11.4.9.1); the unit aborts
 * pending waits, so the completion word may never be written. */
static void iq_clear_ite_ice_locked(struct liommu_unit *u, uint32_t fsts)
{
	uint64_t iqercd = liommu__rd64(u->plat, VTD_IQERCD_REG);

	liommu__log(u, LOG_ERR, "invalidation %s%s (ITESID 0x%04x, ICESID 0x%04x)",
		    (fsts & VTD_FSTS_ITE) ? "time-out error " : "",
		    (fsts & VTD_FSTS_ICE) ? "completion error" : "",
		    (unsigned int)vtd_field_get(VTD_IQERCD_ITESID, iqercd),
		    (unsigned int)vtd_field_get(VTD_IQERCD_ICESID, iqercd));
	liommu__wr32(u->plat, VTD_FSTS_REG, fsts & (uint32_t)(VTD_FSTS_ITE | VTD_FSTS_ICE));
	count(&u->st_inv_errors, 1);
}

/*
 * Queue @n descriptors and a wait descriptor with status write and fence
 * (FN: nothing behind it starts before everything ahead of it is done),
 * then poll the status word.  Queue errors are recovered here and
 * reported as -EIO once the queue has drained.
 */
static int qi_sync_locked(struct liommu_unit *u, const struct vtd_inv_desc *d,
			  unsigned int n)
{
	unsigned int i, iter = 0, recoveries = 0;
	uint64_t deadline, yield_at = 0;
	bool draining = false, may_yield = false;
	uint32_t seq;
	int ret;

	ret = iq_reserve_locked(u, n + 1);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		iq_write_slot_locked(u, u->iq_tail, d[i]);
		u->iq_tail = (u->iq_tail + 1) % u->iq_entries;
	}
	/* A fresh, non-zero value each time: a late write from a submission
	 * that timed out can never look like this one's completion. */
	seq = ++u->wait_seq;
	if (!seq)
		seq = ++u->wait_seq;
	iq_write_slot_locked(u, u->iq_tail,
			     vtd_inv_wait(true, seq, status_pa(u, STATUS_SYNC), false, true));
	u->iq_tail = (u->iq_tail + 1) % u->iq_entries;
	iq_kick_locked(u);
	count_locked(&u->st_inv_descs, n);
	count_locked(&u->st_inv_waits, 1);

	/*
	 * The status word first: a unit that completes the batch during the
	 * tail write (the sim platform, a fast one) then costs no clock read.
	 * The deadline is set on the first pass that has to wait; "late" is
	 * still sampled before the checks, so a completion seen after the
	 * deadline passed wins over the timeout.
	 */
	ret = 0;
	deadline = 0;
	for (;;) {
		bool late = false;
		uint32_t fsts;

		if (__atomic_load_n(status_word(u, STATUS_SYNC), __ATOMIC_ACQUIRE) == seq)
			return ret;
		/* The clock every 16th pass only: a clock read costs more than
		 * a pass over the status word where the clock is not a cheap
		 * TSC read (a paravirtualised guest: 30 ns measured), and a
		 * unit served by polling (a vIOMMU) answers in a few passes. */
		if (!deadline) {
			uint64_t now = liommu__now_us();

			deadline = now + u->cfg.timeout_us;
			yield_at = now + QI_SPIN_US;
		} else if (!(iter & 15)) {
			uint64_t now = liommu__now_us();

			late = now > deadline;
			may_yield = now >= yield_at;
		}
		if (__atomic_load_n(status_word(u, STATUS_SYNC), __ATOMIC_ACQUIRE) == seq)
			return ret;
		fsts = liommu__rd32(u->plat, VTD_FSTS_REG);
		if (fsts & VTD_FSTS_IQE) {
			ret = -EIO;
			draining = true;
			/* Each recovery consumes one bad descriptor; more than
			 * the batch holds means the unit rejects our repair. */
			if (++recoveries > n + 1) {
				liommu__log(u, LOG_ERR, "invalidation queue cannot be recovered");
				return -EIO;
			}
			iq_recover_iqe_locked(u);
			continue;
		}
		if (fsts & (VTD_FSTS_ITE | VTD_FSTS_ICE)) {
			iq_clear_ite_ice_locked(u, fsts);
			ret = -EIO;
			draining = true;
		}
		if (draining && iq_head_locked(u) == u->iq_tail)
			return ret;
		if (late) {
			liommu__log(u, LOG_ERR, "invalidation wait timed out (head %u tail %u)",
				    iq_head_locked(u), u->iq_tail);
			return ret ? ret : -ETIMEDOUT;
		}
		/* Spin QI_SPIN_US first: a unit answers in microseconds, and
		 * where a syscall costs microseconds too (a paravirtualised
		 * guest) an early yield only adds its cost to the wait. */
		iter++;
		if (may_yield)
			sched_yield();
	}
}

/* @what, when not NULL, counts the request under inv_lock (no locked
 * read-modify-write on the invalidation path). */
static int qi_sync(struct liommu_unit *u, const struct vtd_inv_desc *d, unsigned int n,
		   _Atomic uint64_t *what)
{
	int ret;

	liommu__spin_lock(&u->inv_lock);
	if (what)
		count_locked(what, 1);
	ret = qi_sync_locked(u, d, n);
	liommu__spin_unlock(&u->inv_lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Register-based invalidation (6.5.1, 11.4.7, 11.4.8)                 */
/* ------------------------------------------------------------------ */

static int reg_ccmd(struct liommu_unit *u, uint64_t cmd)
{
	uint64_t v = 0;
	int ret;

	liommu__spin_lock(&u->inv_lock);
	liommu__wr64(u->plat, VTD_CCMD_REG, cmd | VTD_CCMD_ICC);
	count_locked(&u->st_inv_descs, 1);
	count_locked(&u->st_inv_waits, 1);
	ret = liommu__wait_reg64(u, VTD_CCMD_REG, VTD_CCMD_ICC, 0, &v);
	if (!ret) {
		u->reg_caig = (unsigned int)vtd_field_get(VTD_CCMD_CAIG, v);
		/* CAIG 00: the unit refused the request (11.4.7). */
		if (!u->reg_caig)
			ret = -EIO;
	}
	liommu__spin_unlock(&u->inv_lock);
	if (ret) {
		count(&u->st_inv_errors, 1);
		liommu__log(u, LOG_ERR, "context command 0x%016llx failed (CCMD 0x%016llx): %s",
			    (unsigned long long)cmd, (unsigned long long)v,
			    ret == -EIO ? "CAIG 0" : "time-out");
	}
	return ret;
}

static int reg_iotlb(struct liommu_unit *u, unsigned int gran, uint16_t did,
		     uint64_t addr, unsigned int am, bool ih, _Atomic uint64_t *what)
{
	uint64_t cmd, v = 0;
	int ret;

	cmd = VTD_IOTLB_IVT | vtd_field_prep(VTD_IOTLB_IIRG, gran) |
	      vtd_field_prep(VTD_IOTLB_DID, did) |
	      ((u->cap & VTD_CAP_DRD) ? VTD_IOTLB_DR : 0) |
	      ((u->cap & VTD_CAP_DWD) ? VTD_IOTLB_DW : 0);
	liommu__spin_lock(&u->inv_lock);
	count_locked(what, 1);
	/* 11.4.8.1: the address goes to IVA before the command is issued. */
	if (gran == VTD_IOTLB_GRAN_PAGE)
		liommu__wr64(u->plat, u->iva_reg,
			     (addr & VTD_IVA_ADDR) | (ih ? VTD_IVA_IH : 0) |
			     vtd_field_prep(VTD_IVA_AM, am));
	liommu__wr64(u->plat, u->iotlb_reg, cmd);
	count_locked(&u->st_inv_descs, 1);
	count_locked(&u->st_inv_waits, 1);
	ret = liommu__wait_reg64(u, u->iotlb_reg, VTD_IOTLB_IVT, 0, &v);
	if (!ret) {
		u->reg_iaig = (unsigned int)vtd_field_get(VTD_IOTLB_IAIG, v);
		/* IAIG 00: the unit detected an incorrect request and
		 * ignored it (11.4.8.1). */
		if (!u->reg_iaig)
			ret = -EIO;
	}
	liommu__spin_unlock(&u->inv_lock);
	if (ret) {
		count(&u->st_inv_errors, 1);
		liommu__log(u, LOG_ERR, "IOTLB command 0x%016llx failed (IOTLB 0x%016llx): %s",
			    (unsigned long long)cmd, (unsigned long long)v,
			    ret == -EIO ? "IAIG 0" : "time-out");
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Set-up and tear-down                                                */
/* ------------------------------------------------------------------ */

static int cmp_page_pa(const void *a, const void *b)
{
	const struct liommu_page *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void iq_free_pages(struct liommu_unit *u)
{
	unsigned int i;

	for (i = 0; i < u->iq_npages; i++)
		u->plat->ops->page_free(u->plat->priv, u->iq_pages[i], u->iq_pas[i]);
	u->iq_npages = 0;
	u->iq.va = NULL;
	u->iq.pa = 0;
	if (u->status_page.va)
		u->plat->ops->page_free(u->plat->priv, u->status_page.va, u->status_page.pa);
	u->status_page.va = NULL;
	u->status_page.pa = 0;
}

/*
 * IQA takes one base address: a queue of several pages must be
 * physically contiguous.  The platform hands out single pages, so collect
 * them, sort by address and accept only a contiguous run.
 */
static int iq_alloc_pages(struct liommu_unit *u)
{
	unsigned int n = 1u << u->cfg.qi_order, i;
	struct liommu_page pages[128];
	int ret = 0;

	for (i = 0; i < n; i++) {
		ret = u->plat->ops->page_alloc(u->plat->priv, u->cfg.numa_node,
					       &pages[i].va, &pages[i].pa);
		if (ret || !pages[i].va || (pages[i].pa & ~VTD_ADDR_MASK)) {
			if (!ret && pages[i].va)
				u->plat->ops->page_free(u->plat->priv, pages[i].va, pages[i].pa);
			ret = -ENOMEM;
			break;
		}
	}
	if (!ret) {
		qsort(pages, n, sizeof(pages[0]), cmp_page_pa);
		for (i = 1; i < n; i++) {
			if (pages[i].pa != pages[0].pa + i * VTD_PAGE_SIZE) {
				liommu__log(u, LOG_ERR, "platform pages are not contiguous: "
					    "a %u-page invalidation queue needs them to be", n);
				ret = -ENOMEM;
				break;
			}
		}
		i = n;
	}
	if (ret) {
		while (i--)
			u->plat->ops->page_free(u->plat->priv, pages[i].va, pages[i].pa);
		return ret;
	}
	for (i = 0; i < n; i++) {
		u->iq_pages[i] = pages[i].va;
		u->iq_pas[i] = pages[i].pa;
	}
	u->iq_npages = n;
	u->iq = pages[0];
	u->iq_entries = n * IQ_DESCS_PER_PAGE;
	u->iq_tail = 0;
	u->iq_head_seen = 0;
	return 0;
}

int liommu__inval_init(struct liommu_unit *u)
{
	int ret;

	if (u->inval != LIOMMU_INVAL_QUEUED)
		return 0;
	ret = iq_alloc_pages(u);
	if (ret)
		return ret;
	ret = u->plat->ops->page_alloc(u->plat->priv, u->cfg.numa_node,
				       &u->status_page.va, &u->status_page.pa);
	if (ret || !u->status_page.va || (u->status_page.pa & ~VTD_ADDR_MASK)) {
		if (!ret && u->status_page.va)
			u->plat->ops->page_free(u->plat->priv, u->status_page.va,
						u->status_page.pa);
		u->status_page.va = NULL;
		iq_free_pages(u);
		return -ENOMEM;
	}
	/* Queue pages are written by the CPU and fetched by the unit. */
	for (unsigned int i = 0; i < u->iq_npages; i++)
		liommu__flush(u, u->iq_pages[i], VTD_PAGE_SIZE);

	/* 10.4.23: tail to 0, then the queue base and size (128-bit
	 * descriptors, DW = 0), then QIE; the unit resets IQH to 0 while
	 * QI is off. */
	liommu__wr64(u->plat, VTD_IQT_REG, 0);
	liommu__wr64(u->plat, VTD_IQA_REG,
		     (u->iq.pa & VTD_IQA_IQA) | vtd_field_prep(VTD_IQA_QS, u->cfg.qi_order));
	ret = liommu__gcmd_set(u, VTD_GCMD_QIE, true);
	if (ret) {
		/* QIES never came up: the unit does not fetch from the
		 * queue, but it might later; keep the pages out of reuse. */
		liommu__log(u, LOG_ERR, "queued invalidation did not start: queue pages leaked");
		u->iq_npages = 0;
		u->status_page.va = NULL;
		return ret;
	}
	u->iq_tail = iq_head_locked(u);
	u->iq_head_seen = u->iq_tail;
	if (u->iq_tail)
		liommu__wr64(u->plat, VTD_IQT_REG, vtd_field_prep(VTD_IQ_QT, u->iq_tail));
	return 0;
}

void liommu__inval_fini(struct liommu_unit *u)
{
	int ret;

	if (u->inval != LIOMMU_INVAL_QUEUED || !u->iq_npages)
		return;
	liommu__spin_lock(&u->inv_lock);
	/* Drain with a final wait so that IQH == IQT and the last
	 * descriptor fetched is a wait: the state in which the unit accepts
	 * QIE being cleared (QEMU insists on both). */
	ret = qi_sync_locked(u, NULL, 0);
	if (ret)
		liommu__log(u, LOG_WARNING, "final invalidation wait failed (%d)", ret);
	ret = liommu__gcmd_set(u, VTD_GCMD_QIE, false);
	if (ret) {
		liommu__log(u, LOG_ERR, "queued invalidation still on: queue pages leaked");
		u->iq_npages = 0;
		u->status_page.va = NULL;
	} else {
		iq_free_pages(u);
	}
	liommu__spin_unlock(&u->inv_lock);
}

/* ------------------------------------------------------------------ */
/* Invalidation requests                                               */
/* ------------------------------------------------------------------ */

static int prepare(struct liommu_unit *u)
{
	if (!u)
		return -EINVAL;
	/* 6.8: flush the write buffer before the caches are invalidated so
	 * that the unit re-reads what the CPU wrote. */
	return liommu__flush_write_buffer(u);
}

int liommu__inval_context_global(struct liommu_unit *u)
{
	int ret = prepare(u);

	if (ret)
		return ret;
	count(&u->st_context_invs, 1);
	if (u->inval == LIOMMU_INVAL_QUEUED) {
		struct vtd_inv_desc d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);

		return qi_sync(u, &d, 1, NULL);
	}
	return reg_ccmd(u, vtd_field_prep(VTD_CCMD_CIRG, VTD_CC_GRAN_GLOBAL));
}

int liommu__inval_context_device(struct liommu_unit *u, uint16_t did, uint16_t sid)
{
	int ret;

	if (!u || did >= u->did_count)
		return -EINVAL;
	ret = prepare(u);
	if (ret)
		return ret;
	count(&u->st_context_invs, 1);
	if (u->inval == LIOMMU_INVAL_QUEUED) {
		/* FM = 0: exactly this source-id, no function masking. */
		struct vtd_inv_desc d = vtd_inv_cc(VTD_CC_GRAN_DEVICE, did, sid, 0);

		return qi_sync(u, &d, 1, NULL);
	}
	return reg_ccmd(u, vtd_field_prep(VTD_CCMD_CIRG, VTD_CC_GRAN_DEVICE) |
			   vtd_field_prep(VTD_CCMD_SID, sid) |
			   vtd_field_prep(VTD_CCMD_DID, did));
}

static int iotlb(struct liommu_unit *u, unsigned int gran, uint16_t did,
		 uint64_t addr, unsigned int am, bool ih)
{
	_Atomic uint64_t *what;
	int ret = prepare(u);

	if (ret)
		return ret;
	switch (gran) {
	case VTD_IOTLB_GRAN_GLOBAL:
		what = &u->st_iotlb_global;
		break;
	case VTD_IOTLB_GRAN_DOMAIN:
		what = &u->st_iotlb_domain;
		break;
	default:
		what = &u->st_iotlb_page;
		break;
	}
	if (u->inval == LIOMMU_INVAL_QUEUED) {
		struct vtd_inv_desc d = vtd_inv_iotlb(gran, did, addr, am, ih,
						      u->cap & VTD_CAP_DRD,
						      u->cap & VTD_CAP_DWD);

		return qi_sync(u, &d, 1, what);
	}
	return reg_iotlb(u, gran, did, addr, am, ih, what);
}

int liommu__inval_iotlb_global(struct liommu_unit *u)
{
	if (!u)
		return -EINVAL;
	return iotlb(u, VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false);
}

int liommu__inval_iotlb_domain(struct liommu_unit *u, uint16_t did)
{
	if (!u || did >= u->did_count)
		return -EINVAL;
	return iotlb(u, VTD_IOTLB_GRAN_DOMAIN, did, 0, 0, false);
}

/*
 * Page-selective invalidation covers 2^AM pages aligned to their size
 * (6.5.2.3): the smallest such block holding both the first and the last
 * page of [start, end).  A block above CAP.MAMV, or a unit without
 * CAP.PSI, gets a domain-selective invalidation instead.
 */
int liommu__inval_iotlb_range(struct liommu_unit *u, uint16_t did,
			      uint64_t start, uint64_t end, bool leaf_only)
{
	uint64_t first, last;
	unsigned int am = 0;

	if (!u || did >= u->did_count || start >= end)
		return -EINVAL;
	first = start >> VTD_PAGE_SHIFT;
	last = (end - 1) >> VTD_PAGE_SHIFT;
	while ((first >> am) != (last >> am))
		am++;
	if (!(u->cap & VTD_CAP_PSI) || am > vtd_cap_mamv(u->cap))
		return iotlb(u, VTD_IOTLB_GRAN_DOMAIN, did, 0, 0, false);
	return iotlb(u, VTD_IOTLB_GRAN_PAGE, did,
		     ((first >> am) << am) << VTD_PAGE_SHIFT, am, leaf_only);
}

int liommu__inval_iec(struct liommu_unit *u, bool global, uint16_t index,
		      unsigned int im)
{
	struct vtd_inv_desc d;
	int ret;

	if (!u)
		return -EINVAL;
	/* The IEC has no register-based invalidation (6.5.2.7). */
	if (u->inval != LIOMMU_INVAL_QUEUED || !(u->ecap & VTD_ECAP_IR))
		return -ENODEV;
	if (!global && (im > vtd_ecap_mhmv(u->ecap) || (index & ((1u << im) - 1))))
		return -EINVAL;
	ret = prepare(u);
	if (ret)
		return ret;
	d = vtd_inv_iec(!global, index, global ? 0 : im);
	return qi_sync(u, &d, 1, NULL);
}

int liommu__qi_submit_raw(struct liommu_unit *u, const struct vtd_inv_desc *d,
			  unsigned int n)
{
	if (!u || (n && !d))
		return -EINVAL;
	if (u->inval != LIOMMU_INVAL_QUEUED)
		return -ENODEV;
	if (n + 1 > u->iq_entries - 1)
		return -EINVAL;
	return qi_sync(u, d, n, NULL);
}
