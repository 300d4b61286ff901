// SPDX-License-Identifier: MIT
/*
 * unit.c - bringing a VT-d unit up and down.
 *
 * Reads CAP/ECAP and decides what the unit is used for (address width and
 * table depth from SAGAW/MGAW, superpages from SLLPS, domain IDs from ND,
 * the invalidation interface from ECAP.QI), installs an empty legacy-mode
 * root table with the Set Root Table Pointer command, and turns
 * translation on and off.  Every Global Command register write follows
 * the protocol of spec 11.4.4 (persistent bits from GSTS plus one command)
 * and every wait for the hardware is bounded by the unit's timeout.
 *
 * The file reads top to bottom: page and timing primitives, the GCMD
 * protocol, bring-up decisions, the public entry points.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "fault.h"
#include "inval.h"
#include "unit.h"

#define BITS_PER_ULONG	(8 * sizeof(unsigned long))

/* ------------------------------------------------------------------ */
/* Pages, cache flushes, time                                          */
/* ------------------------------------------------------------------ */

/* A page the unit reads must be 4 KiB aligned and addressable by the
 * page-frame fields (VTD_ADDR_MASK); anything else from a platform is a
 * platform bug, refused here rather than written into a table. */
static int page_alloc_raw(struct liommu_unit *u, struct liommu_page *pg)
{
	const struct liommu_platform *p = u->plat;
	void *va = NULL;
	uint64_t pa = 0;
	int ret;

	ret = p->ops->page_alloc(p->priv, u->cfg.numa_node, &va, &pa);
	if (ret)
		return ret < 0 ? ret : -ENOMEM;
	if (!va || (pa & ~VTD_ADDR_MASK)) {
		liommu__log(u, LOG_ERR, "platform returned an unusable page (pa 0x%llx)",
			    (unsigned long long)pa);
		if (va)
			p->ops->page_free(p->priv, va, pa);
		return -ENOMEM;
	}
	pg->va = va;
	pg->pa = pa;
	return 0;
}

static void page_free_raw(struct liommu_unit *u, struct liommu_page *pg)
{
	if (!pg->va)
		return;
	u->plat->ops->page_free(u->plat->priv, pg->va, pg->pa);
	pg->va = NULL;
	pg->pa = 0;
}

int liommu__page_alloc(struct liommu_unit *u, struct liommu_page *pg)
{
	int ret = page_alloc_raw(u, pg);

	if (ret)
		return ret;
	/* The platform zeroes the page; a non-coherent unit must see the
	 * zeroes in memory, not stale lines, before it can walk the page. */
	liommu__flush(u, pg->va, VTD_PAGE_SIZE);
	atomic_fetch_add_explicit(&u->st_table_pages, 1, memory_order_relaxed);
	return 0;
}

void liommu__page_free(struct liommu_unit *u, struct liommu_page *pg)
{
	if (!pg->va)
		return;
	page_free_raw(u, pg);
	atomic_fetch_sub_explicit(&u->st_table_pages, 1, memory_order_relaxed);
}

void liommu__flush(const struct liommu_unit *u, const void *va, size_t len)
{
	const struct liommu_platform *p = u->plat;

	/* ECAP.C = 1: the unit snoops its structure fetches (11.4.3). */
	if (u->coherent || !p->ops->flush)
		return;
	p->ops->flush(p->priv, va, len);
}

uint64_t liommu__now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Spin briefly, then give the CPU away: a register poll through a slow
 * platform (qtest) should not starve the thread serving it. */
static void poll_pause(unsigned int iter)
{
	if (iter < 64)
		__asm__ volatile("" ::: "memory");
	else
		sched_yield();
}

/* Poll a 32- or 64-bit register until (value & mask) == want or the
 * unit's timeout passes; the last value read goes to *last. */
static int wait_reg(const struct liommu_unit *u, uint32_t off, bool wide,
		    uint64_t mask, uint64_t want, uint64_t *last)
{
	uint64_t deadline = liommu__now_us() + u->cfg.timeout_us;
	unsigned int iter = 0;
	int ret = 0;
	uint64_t v;

	for (;;) {
		bool late = liommu__now_us() > deadline;

		/* Read once more after the deadline so that a slow caller
		 * (preempted between checks) does not report a false timeout. */
		v = wide ? liommu__rd64(u->plat, off) : liommu__rd32(u->plat, off);
		if ((v & mask) == want)
			break;
		if (late) {
			ret = -ETIMEDOUT;
			break;
		}
		poll_pause(iter++);
	}
	*last = v;
	return ret;
}

int liommu__wait_reg32(const struct liommu_unit *u, uint32_t off, uint32_t mask,
		       uint32_t want, uint32_t *last)
{
	uint64_t v;
	int ret = wait_reg(u, off, false, mask, want, &v);

	if (last)
		*last = (uint32_t)v;
	return ret;
}

int liommu__wait_reg64(const struct liommu_unit *u, uint32_t off, uint64_t mask,
		       uint64_t want, uint64_t *last)
{
	uint64_t v;
	int ret = wait_reg(u, off, true, mask, want, &v);

	if (last)
		*last = v;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Global Command register protocol (spec 11.4.4, 10.4.4)              */
/* ------------------------------------------------------------------ */

/*
 * GCMD is write-only: the value written must carry every persistent
 * feature that should stay on (read from GSTS) and change exactly one
 * command.  Writing GSTS back verbatim would re-issue whatever one-shot
 * status bit happens to be set (RTPS stays 1 after a root-table load, so
 * every later write would reload the root pointer), hence the mask.
 */
static uint32_t gcmd_base_locked(const struct liommu_unit *u)
{
	return liommu__rd32(u->plat, VTD_GSTS_REG) & (uint32_t)VTD_GSTS_PERSISTENT;
}

int liommu__gcmd_set(struct liommu_unit *u, uint32_t bit, bool on)
{
	uint32_t val, last = 0;
	int ret;

	if (!bit || (bit & (bit - 1)) || !(bit & VTD_GSTS_PERSISTENT))
		return -EINVAL;
	pthread_mutex_lock(&u->gcmd_lock);
	val = gcmd_base_locked(u);
	if (!!(val & bit) == on) {
		pthread_mutex_unlock(&u->gcmd_lock);
		return 0;
	}
	val = on ? (val | bit) : (val & ~bit);
	liommu__wr32(u->plat, VTD_GCMD_REG, val);
	/* The status twin of a persistent command sits at the same bit. */
	ret = liommu__wait_reg32(u, VTD_GSTS_REG, bit, on ? bit : 0, &last);
	pthread_mutex_unlock(&u->gcmd_lock);
	if (ret)
		liommu__log(u, LOG_ERR, "GCMD 0x%08x: GSTS stuck at 0x%08x", val, last);
	return ret;
}

int liommu__gcmd_oneshot(struct liommu_unit *u, uint32_t cmd)
{
	uint32_t val, want, last = 0;
	int ret;

	switch (cmd) {
	case VTD_GCMD_SRTP:
	case VTD_GCMD_SIRTP:
	case VTD_GCMD_SFL:
		/* RTPS/IRTPS/FLS: cleared by the write, set on completion. */
		want = cmd;
		break;
	case VTD_GCMD_WBF:
		/* WBFS: set while the flush is in progress (11.4.5). */
		want = 0;
		break;
	default:
		return -EINVAL;
	}
	pthread_mutex_lock(&u->gcmd_lock);
	val = gcmd_base_locked(u) | cmd;
	liommu__wr32(u->plat, VTD_GCMD_REG, val);
	ret = liommu__wait_reg32(u, VTD_GSTS_REG, cmd, want, &last);
	pthread_mutex_unlock(&u->gcmd_lock);
	if (ret)
		liommu__log(u, LOG_ERR, "GCMD 0x%08x: GSTS stuck at 0x%08x", val, last);
	return ret;
}

int liommu__flush_write_buffer(struct liommu_unit *u)
{
	int ret;

	/* Spec 6.8: only units reporting CAP.RWBF buffer table writes. */
	if (!(u->cap & VTD_CAP_RWBF))
		return 0;
	ret = liommu__gcmd_oneshot(u, VTD_GCMD_WBF);
	if (!ret)
		atomic_fetch_add_explicit(&u->st_wbf, 1, memory_order_relaxed);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Bring-up decisions                                                  */
/* ------------------------------------------------------------------ */

static int check_config(const struct liommu_unit_config *c)
{
	if (c->addr_width && vtd_width_to_agaw(c->addr_width) < 0)
		return -EINVAL;
	if (c->inval != LIOMMU_INVAL_AUTO && c->inval != LIOMMU_INVAL_REGISTER &&
	    c->inval != LIOMMU_INVAL_QUEUED)
		return -EINVAL;
	if (c->qi_order > 7)	/* IQA.QS is 3 bits (11.4.9.3) */
		return -EINVAL;
	if (c->numa_node < LIOMMU_NODE_ANY)
		return -EINVAL;
	return 0;
}

/*
 * Address width: the request, or the widest SAGAW entry not above MGAW.
 * MGAW bounds the addresses the unit translates (fault reason 0x4 above
 * it), so a table wider than MGAW would promise IOVAs that always fault.
 */
static int pick_width(struct liommu_unit *u)
{
	unsigned int sagaw = vtd_cap_sagaw(u->cap);
	unsigned int mgaw = vtd_cap_mgaw(u->cap);
	int aw;

	if (u->cfg.addr_width) {
		aw = vtd_width_to_agaw(u->cfg.addr_width);
		if (!(sagaw & (1u << aw)) || u->cfg.addr_width > mgaw) {
			liommu__log(u, LOG_ERR,
				    "%u-bit address width not supported (SAGAW 0x%x, MGAW %u)",
				    u->cfg.addr_width, sagaw, mgaw);
			return -ENODEV;
		}
	} else {
		for (aw = 3; aw >= 1; aw--)
			if ((sagaw & (1u << aw)) && vtd_agaw_to_width(aw) <= mgaw)
				break;
		if (aw < 1) {
			liommu__log(u, LOG_ERR, "no usable address width (SAGAW 0x%x, MGAW %u)",
				    sagaw, mgaw);
			return -ENODEV;
		}
	}
	u->agaw = (unsigned int)aw;
	u->width = vtd_agaw_to_width(u->agaw);
	u->levels = vtd_agaw_to_levels(u->agaw);
	return 0;
}

/* Register offsets that CAP/ECAP point at must fall inside the window the
 * platform maps; a unit claiming otherwise is refused, not trusted. */
static int check_offsets(struct liommu_unit *u)
{
	unsigned int nfr = vtd_cap_nfr(u->cap);
	unsigned int fro = vtd_cap_fro(u->cap);
	unsigned int iro = vtd_ecap_iro(u->ecap);

	if (!iro || iro + 16 > VTD_REG_WINDOW_SIZE ||
	    !fro || fro + nfr * VTD_FRCD_SIZE > VTD_REG_WINDOW_SIZE) {
		liommu__log(u, LOG_ERR, "IOTLB (0x%x) or fault registers (0x%x x %u) "
			    "outside the register window", iro, fro, nfr);
		return -ENODEV;
	}
	u->iva_reg = vtd_iva_reg(u->ecap);
	u->iotlb_reg = vtd_iotlb_reg(u->ecap);
	return 0;
}

static int setup_dids(struct liommu_unit *u)
{
	unsigned int nd = (unsigned int)vtd_field_get(VTD_CAP_ND, u->cap);
	size_t words;

	/* ND = 7 is reserved (11.4.2); DIDs are 16-bit fields everywhere. */
	if (nd > 6) {
		liommu__log(u, LOG_ERR, "reserved CAP.ND value %u", nd);
		return -ENODEV;
	}
	u->did_count = 1u << vtd_cap_nd_domains_log2(u->cap);
	words = (u->did_count + BITS_PER_ULONG - 1) / BITS_PER_ULONG;
	u->did_bitmap = calloc(words, sizeof(unsigned long));
	if (!u->did_bitmap)
		return -ENOMEM;
	/* With caching mode the unit tags cached not-present entries with
	 * DID 0 (6.2.2): no domain may own it. */
	if (u->caching_mode)
		u->did_bitmap[0] |= 1ul;
	return 0;
}

static int pick_inval(struct liommu_unit *u)
{
	bool qi = u->ecap & VTD_ECAP_QI;

	switch (u->cfg.inval) {
	case LIOMMU_INVAL_AUTO:
		u->inval = qi ? LIOMMU_INVAL_QUEUED : LIOMMU_INVAL_REGISTER;
		return 0;
	case LIOMMU_INVAL_REGISTER:
		u->inval = LIOMMU_INVAL_REGISTER;
		return 0;
	case LIOMMU_INVAL_QUEUED:
		if (!qi) {
			liommu__log(u, LOG_ERR, "queued invalidation asked for, ECAP.QI clear");
			return -ENODEV;
		}
		u->inval = LIOMMU_INVAL_QUEUED;
		return 0;
	}
	return -EINVAL;
}

/* Firmware (or a previous owner) may have left translation or queued
 * invalidation on; both must be off before the root table and the queue
 * are replaced. */
static int quiesce(struct liommu_unit *u)
{
	uint32_t gsts = liommu__rd32(u->plat, VTD_GSTS_REG);
	int ret;

	if (gsts & VTD_GSTS_TES) {
		liommu__log(u, LOG_WARNING, "translation left enabled, disabling it");
		ret = liommu__gcmd_set(u, VTD_GCMD_TE, false);
		if (ret)
			return ret;
	}
	if (gsts & VTD_GSTS_QIES) {
		liommu__log(u, LOG_WARNING, "queued invalidation left enabled, disabling it");
		/* 6.5.2: QIE may only be cleared with the queue drained. */
		ret = liommu__wait_reg64(u, VTD_IQH_REG, VTD_IQ_QH,
					 liommu__rd64(u->plat, VTD_IQT_REG) & VTD_IQ_QT, NULL);
		if (!ret)
			ret = liommu__gcmd_set(u, VTD_GCMD_QIE, false);
		if (ret)
			return ret;
	}
	return 0;
}

/* Legacy-mode root table (RTADDR.TTM = 00), loaded with SRTP (10.4.5). */
static int set_root_table(struct liommu_unit *u)
{
	int ret;

	ret = liommu__page_alloc(u, &u->root);
	if (ret)
		return ret;
	liommu__wr64(u->plat, VTD_RTADDR_REG,
		     (u->root.pa & VTD_RTADDR_RTA) |
		     vtd_field_prep(VTD_RTADDR_TTM, VTD_RTADDR_TTM_LEGACY));
	return liommu__gcmd_oneshot(u, VTD_GCMD_SRTP);
}

/* Pages the unit may still walk are leaked, never freed, when it could
 * not be stopped: a stale walk of a reused page would be worse. */
static void unit_release(struct liommu_unit *u, bool hw_stopped)
{
	unsigned int i;

	if (hw_stopped) {
		for (i = 0; i < VTD_ROOT_ENTRIES; i++) {
			if (u->ctx[i]) {
				liommu__page_free(u, &u->ctx[i]->page);
				free(u->ctx[i]);
				u->ctx[i] = NULL;
			}
		}
		liommu__page_free(u, &u->root);
	} else if (u->root.va) {
		liommu__log(u, LOG_ERR, "translation still on: root and context tables leaked");
	}
	free(u->did_bitmap);
	pthread_mutex_destroy(&u->fault_lock);
	pthread_mutex_destroy(&u->cfg_lock);
	pthread_mutex_destroy(&u->gcmd_lock);
	free(u);
}

/* ------------------------------------------------------------------ */
/* Public entry points                                                 */
/* ------------------------------------------------------------------ */

int liommu_unit_new(struct liommu_platform *plat, const struct liommu_unit_config *cfg,
		    struct liommu_unit **out)
{
	static const struct liommu_unit_config defaults;
	struct liommu_unit *u;
	int ret;

	if (!plat || !out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	ret = check_config(cfg);
	if (ret)
		return ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->plat = plat;
	u->cfg = *cfg;
	if (!u->cfg.timeout_us)
		u->cfg.timeout_us = LIOMMU_DEFAULT_TIMEOUT_US;
	pthread_mutex_init(&u->gcmd_lock, NULL);
	pthread_mutex_init(&u->cfg_lock, NULL);
	atomic_init(&u->inv_lock.v, 0);
	pthread_mutex_init(&u->fault_lock, NULL);

	u->cap = liommu__rd64(plat, VTD_CAP_REG);
	u->ecap = liommu__rd64(plat, VTD_ECAP_REG);
	if (u->cap == ~0ULL || !u->cap) {
		liommu__log(u, LOG_ERR, "no VT-d unit: CAP reads 0x%llx",
			    (unsigned long long)u->cap);
		ret = -ENODEV;
		goto err_free;
	}
	u->coherent = u->ecap & VTD_ECAP_C;
	u->caching_mode = u->cap & VTD_CAP_CM;
	u->sllps = u->cfg.no_superpages ? 0 :
		   (vtd_cap_sllps(u->cap) & (unsigned int)(VTD_SLLPS_2M | VTD_SLLPS_1G));

	ret = pick_width(u);
	if (!ret)
		ret = check_offsets(u);
	if (!ret)
		ret = pick_inval(u);
	if (!ret)
		ret = setup_dids(u);
	if (ret)
		goto err_free;

	ret = quiesce(u);
	if (ret)
		goto err_free;
	/* Stale records would be reported as ours; clear them first. */
	liommu__fault_clear_all(u);

	ret = set_root_table(u);
	if (ret)
		goto err_free;
	ret = liommu__inval_init(u);
	if (ret)
		goto err_free;
	/*
	 * Without CAP.ESRTPS the unit may still cache entries from the old
	 * root table: invalidate the context cache, then the IOTLB, globally
	 * (6.5.3 order: context before IOTLB).
	 */
	ret = liommu__inval_context_global(u);
	if (!ret)
		ret = liommu__inval_iotlb_global(u);
	if (ret)
		goto err_inval;

	liommu__log(u, LOG_INFO, "unit up: %u-bit %u-level, %s invalidation, %u DIDs%s",
		    u->width, u->levels,
		    u->inval == LIOMMU_INVAL_QUEUED ? "queued" : "register",
		    u->did_count, u->coherent ? "" : ", non-coherent");
	*out = u;
	return 0;

err_inval:
	liommu__inval_fini(u);
err_free:
	unit_release(u, true);
	return ret;
}

void liommu_unit_free(struct liommu_unit *unit)
{
	bool stopped = true;

	if (!unit)
		return;
	pthread_mutex_lock(&unit->cfg_lock);
	if (liommu__gcmd_set(unit, VTD_GCMD_TE, false))
		stopped = false;
	pthread_mutex_unlock(&unit->cfg_lock);
	liommu__inval_fini(unit);
	unit_release(unit, stopped);
}

int liommu_unit_enable_translation(struct liommu_unit *unit)
{
	int ret;

	if (!unit)
		return -EINVAL;
	pthread_mutex_lock(&unit->cfg_lock);
	ret = liommu__gcmd_set(unit, VTD_GCMD_TE, true);
	pthread_mutex_unlock(&unit->cfg_lock);
	return ret;
}

int liommu_unit_disable_translation(struct liommu_unit *unit)
{
	int ret;

	if (!unit)
		return -EINVAL;
	pthread_mutex_lock(&unit->cfg_lock);
	ret = liommu__gcmd_set(unit, VTD_GCMD_TE, false);
	pthread_mutex_unlock(&unit->cfg_lock);
	return ret;
}

uint64_t liommu_unit_cap(const struct liommu_unit *unit)
{
	return unit ? unit->cap : 0;
}

uint64_t liommu_unit_ecap(const struct liommu_unit *unit)
{
	return unit ? unit->ecap : 0;
}

unsigned int liommu_unit_addr_width(const struct liommu_unit *unit)
{
	return unit ? unit->width : 0;
}

unsigned int liommu_unit_levels(const struct liommu_unit *unit)
{
	return unit ? unit->levels : 0;
}

enum liommu_inval_mode liommu_unit_inval_mode(const struct liommu_unit *unit)
{
	return unit ? unit->inval : LIOMMU_INVAL_AUTO;
}

struct liommu_platform *liommu_unit_platform(struct liommu_unit *unit)
{
	return unit ? unit->plat : NULL;
}

void liommu_unit_get_stats(const struct liommu_unit *unit, struct liommu_unit_stats *st)
{
	const struct liommu_unit *u = unit;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!u)
		return;
	st->inv_descs = atomic_load_explicit(&u->st_inv_descs, memory_order_relaxed);
	st->inv_waits = atomic_load_explicit(&u->st_inv_waits, memory_order_relaxed);
	st->iotlb_page = atomic_load_explicit(&u->st_iotlb_page, memory_order_relaxed);
	st->iotlb_domain = atomic_load_explicit(&u->st_iotlb_domain, memory_order_relaxed);
	st->iotlb_global = atomic_load_explicit(&u->st_iotlb_global, memory_order_relaxed);
	st->context_invs = atomic_load_explicit(&u->st_context_invs, memory_order_relaxed);
	st->table_pages = atomic_load_explicit(&u->st_table_pages, memory_order_relaxed);
}

int liommu_unit_invalidate_iotlb_all(struct liommu_unit *unit)
{
	if (!unit)
		return -EINVAL;
	return liommu__inval_iotlb_global(unit);
}
