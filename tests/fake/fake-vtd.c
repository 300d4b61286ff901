// SPDX-License-Identifier: MIT
/*
 * fake-vtd.c - the misbehaving register file described in fake-vtd.h
 * (why it exists next to the model is written there).
 *
 * Only what the driver touches is implemented: GCMD/GSTS (with a check of
 * the 11.4.4 write protocol), CCMD and the IOTLB registers (commands
 * completed at the requested granularity and logged), FSTS and the
 * fault-recording registers (RW1C), a queued-invalidation engine that
 * validates descriptors the way QEMU's model does and writes wait status,
 * and a page arena with an optional "unit's view" image that only the
 * platform's flush op updates.  It translates nothing: DMA tests run on
 * the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/platform.h>

#include "fake-vtd.h"

static uint32_t ld32(const struct fake_vtd *f, uint32_t off)
{
	uint32_t v;

	memcpy(&v, f->regs + off, sizeof(v));
	return v;
}

static uint64_t ld64(const struct fake_vtd *f, uint32_t off)
{
	uint64_t v;

	memcpy(&v, f->regs + off, sizeof(v));
	return v;
}

static void st32(struct fake_vtd *f, uint32_t off, uint32_t v)
{
	memcpy(f->regs + off, &v, sizeof(v));
}

static void st64(struct fake_vtd *f, uint32_t off, uint64_t v)
{
	memcpy(f->regs + off, &v, sizeof(v));
}

static uint64_t cap(const struct fake_vtd *f)
{
	return ld64(f, VTD_CAP_REG);
}

static uint64_t ecap(const struct fake_vtd *f)
{
	return ld64(f, VTD_ECAP_REG);
}

static void event(struct fake_vtd *f, char c)
{
	if (f->nevents < FAKE_MAX_EVENTS)
		f->events[f->nevents++] = c;
}

static void *phys_locked(struct fake_vtd *f, uint64_t pa, size_t len)
{
	uint64_t end = FAKE_PA_BASE + (uint64_t)FAKE_ARENA_PAGES * VTD_PAGE_SIZE;

	if (pa < FAKE_PA_BASE || pa + len > end || pa + len < pa)
		return NULL;
	return f->arena + (pa - FAKE_PA_BASE);
}

/* ------------------------------------------------------------------ */
/* Faults                                                              */
/* ------------------------------------------------------------------ */

static unsigned int nfr(const struct fake_vtd *f)
{
	return vtd_cap_nfr(cap(f));
}

static void update_ppf(struct fake_vtd *f)
{
	uint32_t fsts = ld32(f, VTD_FSTS_REG) & ~(uint32_t)VTD_FSTS_PPF;
	unsigned int i;

	for (i = 0; i < nfr(f); i++)
		if (ld64(f, vtd_frcd_reg(cap(f), i) + 8) & VTD_FRCD_HI_F)
			fsts |= (uint32_t)VTD_FSTS_PPF;
	st32(f, VTD_FSTS_REG, fsts);
}

void fake_vtd_record_fault(struct fake_vtd *f, unsigned int idx, uint64_t lo, uint64_t hi)
{
	uint32_t off = vtd_frcd_reg(cap(f), idx);
	uint32_t fsts;

	pthread_mutex_lock(&f->lock);
	fsts = ld32(f, VTD_FSTS_REG);
	st64(f, off, lo);
	st64(f, off + 8, hi | VTD_FRCD_HI_F);
	if (!(fsts & VTD_FSTS_PPF)) {
		fsts &= ~(uint32_t)VTD_FSTS_FRI;
		fsts |= (uint32_t)vtd_field_prep(VTD_FSTS_FRI, idx);
		st32(f, VTD_FSTS_REG, fsts);
	}
	update_ppf(f);
	pthread_mutex_unlock(&f->lock);
}

/* ------------------------------------------------------------------ */
/* Queued invalidation                                                 */
/* ------------------------------------------------------------------ */

static void iq_error(struct fake_vtd *f, unsigned int iqei)
{
	st32(f, VTD_FSTS_REG, ld32(f, VTD_FSTS_REG) | (uint32_t)VTD_FSTS_IQE);
	st64(f, VTD_IQERCD_REG, vtd_field_prep(VTD_IQERCD_IQEI, iqei));
}

/* Returns 0 or the IQEI code of what is wrong with @d. */
static unsigned int check_desc(struct fake_vtd *f, const struct vtd_inv_desc *d)
{
	unsigned int type = (unsigned int)vtd_field_get(VTD_INV_TYPE, d->lo);

	if (d->lo & VTD_INV_TYPE_HI)
		return VTD_IQEI_TYPE;
	switch (type) {
	case VTD_INV_TYPE_CC:
		if ((d->lo & VTD_INV_CC_LO_RSVD) || d->hi || !vtd_field_get(VTD_INV_CC_G, d->lo))
			return VTD_IQEI_RSVD;
		return 0;
	case VTD_INV_TYPE_IOTLB:
		if ((d->lo & VTD_INV_IOTLB_LO_RSVD) || (d->hi & VTD_INV_IOTLB_HI_RSVD) ||
		    !vtd_field_get(VTD_INV_IOTLB_G, d->lo))
			return VTD_IQEI_RSVD;
		if (vtd_field_get(VTD_INV_IOTLB_G, d->lo) == VTD_IOTLB_GRAN_PAGE &&
		    vtd_field_get(VTD_INV_IOTLB_HI_AM, d->hi) > vtd_cap_mamv(cap(f)))
			return VTD_IQEI_RSVD;
		return 0;
	case VTD_INV_TYPE_IEC:
		if (!(ecap(f) & VTD_ECAP_IR) || (d->lo & VTD_INV_IEC_LO_RSVD) || d->hi)
			return VTD_IQEI_RSVD;
		return 0;
	case VTD_INV_TYPE_WAIT:
		if ((d->lo & VTD_INV_WAIT_LO_RSVD) || (d->hi & VTD_INV_WAIT_HI_RSVD) ||
		    !(d->lo & (VTD_INV_WAIT_SW | VTD_INV_WAIT_IF)))
			return VTD_IQEI_RSVD;
		return 0;
	default:
		return VTD_IQEI_TYPE;
	}
}

static void iq_process_locked(struct fake_vtd *f)
{
	uint64_t iqa = ld64(f, VTD_IQA_REG);
	unsigned int entries = 256u << vtd_field_get(VTD_IQA_QS, iqa);
	unsigned int tail = (unsigned int)vtd_field_get(VTD_IQ_QT, ld64(f, VTD_IQT_REG));

	if (!(ld32(f, VTD_GSTS_REG) & VTD_GSTS_QIES) || f->qi_stuck ||
	    (ld32(f, VTD_FSTS_REG) & VTD_FSTS_IQE))
		return;
	if (tail >= entries) {
		iq_error(f, VTD_IQEI_TAIL);
		return;
	}
	while (f->iq_head != tail) {
		uint64_t pa = (iqa & VTD_IQA_IQA) + (uint64_t)f->iq_head * 16;
		struct vtd_inv_desc *p = phys_locked(f, pa, 16), d;
		unsigned int err;

		if (!p) {
			iq_error(f, VTD_IQEI_FETCH);
			return;
		}
		memcpy(&d, p, sizeof(d));
		err = check_desc(f, &d);
		if (err) {
			iq_error(f, err);
			return;
		}
		if (f->ndescs < FAKE_MAX_DESCS)
			f->descs[f->ndescs++] = d;
		event(f, 'Q');
		if (vtd_field_get(VTD_INV_TYPE, d.lo) == VTD_INV_TYPE_WAIT &&
		    (d.lo & VTD_INV_WAIT_SW)) {
			if (f->ite_next_waits) {
				/* A device-TLB time-out aborts the wait: no
				 * status write (6.5.2.10). */
				f->ite_next_waits--;
				st32(f, VTD_FSTS_REG,
				     ld32(f, VTD_FSTS_REG) | (uint32_t)VTD_FSTS_ITE);
				st64(f, VTD_IQERCD_REG,
				     vtd_field_prep(VTD_IQERCD_ITESID, 0x0108));
			} else {
				uint32_t *s = phys_locked(f, d.hi & VTD_INV_WAIT_HI_SADDR, 4);

				if (!s) {
					iq_error(f, VTD_IQEI_FETCH);
					return;
				}
				__atomic_store_n(s, (uint32_t)vtd_field_get(VTD_INV_WAIT_SDATA, d.lo),
						 __ATOMIC_RELEASE);
			}
		}
		f->iq_head = (f->iq_head + 1) % entries;
		st64(f, VTD_IQH_REG, vtd_field_prep(VTD_IQ_QH, f->iq_head));
	}
}

/* ------------------------------------------------------------------ */
/* Register-based invalidation                                         */
/* ------------------------------------------------------------------ */

static void log_cmd_locked(struct fake_vtd *f, const struct fake_cmd *c)
{
	if (f->ncmds < FAKE_MAX_EVENTS)
		f->cmds[f->ncmds++] = *c;
}

/* Complete the context command @v (ICC set): log it, report CAIG. */
static uint64_t ccmd_complete_locked(struct fake_vtd *f, uint64_t v)
{
	uint64_t g = vtd_field_get(VTD_CCMD_CIRG, v);
	struct fake_cmd c = {
		.kind = FAKE_CC,
		.gran = (unsigned int)g,
		.did = (uint16_t)vtd_field_get(VTD_CCMD_DID, v),
		.sid = (uint16_t)vtd_field_get(VTD_CCMD_SID, v),
	};

	log_cmd_locked(f, &c);
	v &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG);
	if (!f->caig_zero)
		v |= vtd_field_prep(VTD_CCMD_CAIG, g);
	return v;
}

/* Complete the IOTLB command @v (IVT set): log it with IVA, report IAIG. */
static uint64_t iotlb_complete_locked(struct fake_vtd *f, uint64_t v)
{
	uint64_t g = vtd_field_get(VTD_IOTLB_IIRG, v);
	uint64_t iva = ld64(f, vtd_iva_reg(ecap(f)));
	struct fake_cmd c = {
		.kind = FAKE_IOTLB,
		.gran = (unsigned int)g,
		.did = (uint16_t)vtd_field_get(VTD_IOTLB_DID, v),
	};

	/* IVA matters only for page-selective requests (11.4.8.1). */
	if (g == VTD_IOTLB_GRAN_PAGE) {
		c.addr = iva & VTD_IVA_ADDR;
		c.am = (unsigned int)vtd_field_get(VTD_IVA_AM, iva);
		c.ih = iva & VTD_IVA_IH;
	}
	log_cmd_locked(f, &c);
	v &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG);
	if (!f->iaig_zero)
		v |= vtd_field_prep(VTD_IOTLB_IAIG, g);
	return v;
}

void fake_vtd_release(struct fake_vtd *f)
{
	uint32_t iotlb;
	uint64_t v;

	pthread_mutex_lock(&f->lock);
	iotlb = vtd_iotlb_reg(ecap(f));
	v = ld64(f, VTD_CCMD_REG);
	if ((v & VTD_CCMD_ICC) && !f->ccmd_stuck)
		st64(f, VTD_CCMD_REG, ccmd_complete_locked(f, v));
	v = ld64(f, iotlb);
	if ((v & VTD_IOTLB_IVT) && !f->iotlb_stuck)
		st64(f, iotlb, iotlb_complete_locked(f, v));
	if (!f->wbf_stuck && !f->gcmd_stuck)
		st32(f, VTD_GSTS_REG, ld32(f, VTD_GSTS_REG) & ~(uint32_t)VTD_GSTS_WBFS);
	pthread_mutex_unlock(&f->lock);
}

/* ------------------------------------------------------------------ */
/* Register writes                                                     */
/* ------------------------------------------------------------------ */

static void gcmd_write_locked(struct fake_vtd *f, uint32_t v)
{
	uint32_t gsts = ld32(f, VTD_GSTS_REG);
	uint32_t oneshot = v & (uint32_t)VTD_GSTS_ONESHOT;
	uint32_t pchange = (v ^ gsts) & (uint32_t)VTD_GSTS_PERSISTENT;
	unsigned int nchanges = (unsigned int)__builtin_popcount(oneshot) +
				(unsigned int)__builtin_popcount(pchange);

	if (f->gcmd_writes < 256)
		f->gcmd_log[f->gcmd_writes] = v;
	f->gcmd_writes++;
	/* 11.4.4: exactly one command per write. */
	if (nchanges != 1)
		f->gcmd_violations++;
	if (f->gcmd_stuck) {
		/* Accepted, never completed: the one-shot status bits show
		 * "in progress" (RTPS/IRTPS/FLS clear, WBFS set) for ever;
		 * persistent bits do not change. */
		gsts &= ~(oneshot & (uint32_t)(VTD_GSTS_RTPS | VTD_GSTS_IRTPS | VTD_GSTS_FLS));
		if (oneshot & VTD_GCMD_WBF)
			gsts |= (uint32_t)VTD_GSTS_WBFS;
		st32(f, VTD_GSTS_REG, gsts);
		return;
	}

	if ((pchange & VTD_GCMD_QIE) && !(v & VTD_GCMD_QIE)) {
		/* IQH resets to 0 when QI is turned off (11.4.9.1). */
		f->iq_head = 0;
		st64(f, VTD_IQH_REG, 0);
	}
	gsts = (gsts & ~(uint32_t)VTD_GSTS_PERSISTENT) | (v & (uint32_t)VTD_GSTS_PERSISTENT);
	if (v & VTD_GCMD_SRTP)
		gsts |= (uint32_t)VTD_GSTS_RTPS;
	if (v & VTD_GCMD_SIRTP)
		gsts |= (uint32_t)VTD_GSTS_IRTPS;
	if (v & VTD_GCMD_SFL)
		gsts |= (uint32_t)VTD_GSTS_FLS;
	if (v & VTD_GCMD_WBF) {
		f->nwbf++;
		event(f, 'W');
		/* 11.4.5: WBFS set while the flush is in progress. */
		if (f->wbf_stuck)
			gsts |= (uint32_t)VTD_GSTS_WBFS;
		else
			gsts &= ~(uint32_t)VTD_GSTS_WBFS;
	}
	st32(f, VTD_GSTS_REG, gsts);
}

static bool in_window(struct fake_vtd *f, uint32_t off, unsigned int size)
{
	if (off + size > VTD_REG_WINDOW_SIZE || (off & (size - 1))) {
		f->bad_accesses++;
		return false;
	}
	return true;
}

static bool is_frcd_hi(struct fake_vtd *f, uint32_t off, uint32_t delta)
{
	uint32_t fro = vtd_cap_fro(cap(f));

	return off >= fro && off < fro + nfr(f) * VTD_FRCD_SIZE &&
	       (off - fro) % VTD_FRCD_SIZE == delta;
}

static void fake_write32(void *priv, uint32_t off, uint32_t v)
{
	struct fake_vtd *f = priv;

	pthread_mutex_lock(&f->lock);
	if (!in_window(f, off, 4))
		goto out;
	if (off == VTD_GCMD_REG) {
		gcmd_write_locked(f, v);
	} else if (off == VTD_FSTS_REG) {
		uint32_t fsts = ld32(f, VTD_FSTS_REG);
		bool iqe_cleared = (fsts & v & VTD_FSTS_IQE);

		st32(f, VTD_FSTS_REG, fsts & ~(v & (uint32_t)VTD_FSTS_RW1C));
		if (iqe_cleared && f->resume_on_iqe_clear)
			iq_process_locked(f);
	} else if (is_frcd_hi(f, off, 12)) {
		if (v & (uint32_t)(VTD_FRCD_HI_F >> 32))
			st32(f, off, ld32(f, off) & ~(uint32_t)(VTD_FRCD_HI_F >> 32));
		update_ppf(f);
	} else if (off == VTD_GSTS_REG || off == VTD_CAP_REG || off == VTD_CAP_REG + 4 ||
		   off == VTD_ECAP_REG || off == VTD_ECAP_REG + 4) {
		/* read-only */
	} else {
		st32(f, off, v);
	}
out:
	pthread_mutex_unlock(&f->lock);
}

static void fake_write64(void *priv, uint32_t off, uint64_t v)
{
	struct fake_vtd *f = priv;
	uint32_t iotlb = vtd_iotlb_reg(ecap(f));

	pthread_mutex_lock(&f->lock);
	if (!in_window(f, off, 8))
		goto out;
	if (off == VTD_CCMD_REG) {
		if (v & VTD_CCMD_ICC) {
			event(f, 'C');
			if (!f->ccmd_stuck)
				v = ccmd_complete_locked(f, v);
		}
		st64(f, off, v);
	} else if (off == iotlb) {
		if (v & VTD_IOTLB_IVT) {
			event(f, 'I');
			if (!f->iotlb_stuck)
				v = iotlb_complete_locked(f, v);
		}
		st64(f, off, v);
	} else if (off == VTD_IQT_REG) {
		st64(f, off, v & VTD_IQ_QT);
		iq_process_locked(f);
	} else if (is_frcd_hi(f, off, 8)) {
		if (v & VTD_FRCD_HI_F)
			st64(f, off, ld64(f, off) & ~VTD_FRCD_HI_F);
		update_ppf(f);
	} else if (off == VTD_CAP_REG || off == VTD_ECAP_REG || off == VTD_IQH_REG) {
		/* read-only */
	} else {
		st64(f, off, v);
	}
out:
	pthread_mutex_unlock(&f->lock);
}

static uint32_t fake_read32(void *priv, uint32_t off)
{
	struct fake_vtd *f = priv;
	uint32_t v = ~0u;

	pthread_mutex_lock(&f->lock);
	if (in_window(f, off, 4))
		v = off == VTD_GCMD_REG ? 0 : ld32(f, off);	/* GCMD is write-only */
	pthread_mutex_unlock(&f->lock);
	return v;
}

static uint64_t fake_read64(void *priv, uint32_t off)
{
	struct fake_vtd *f = priv;
	uint64_t v = ~0ULL;

	pthread_mutex_lock(&f->lock);
	if (in_window(f, off, 8))
		v = ld64(f, off);
	pthread_mutex_unlock(&f->lock);
	return v;
}

uint32_t fake_rd32(struct fake_vtd *f, uint32_t off)
{
	return fake_read32(f, off);
}

uint64_t fake_rd64(struct fake_vtd *f, uint32_t off)
{
	return fake_read64(f, off);
}

void fake_poke32(struct fake_vtd *f, uint32_t off, uint32_t v)
{
	pthread_mutex_lock(&f->lock);
	st32(f, off, v);
	pthread_mutex_unlock(&f->lock);
}

void fake_poke64(struct fake_vtd *f, uint32_t off, uint64_t v)
{
	pthread_mutex_lock(&f->lock);
	st64(f, off, v);
	pthread_mutex_unlock(&f->lock);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

static bool page_ok(const struct fake_vtd *f, int i)
{
	if (f->used[i])
		return false;
	if (!f->alloc_gaps)
		return true;
	return !(i > 0 && f->used[i - 1]) && !(i + 1 < FAKE_ARENA_PAGES && f->used[i + 1]);
}

static int fake_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct fake_vtd *f = priv;
	int i, found = -1;

	pthread_mutex_lock(&f->lock);
	if (f->alloc_limited && f->pages_live >= f->alloc_limit)
		goto out;
	for (i = 0; i < FAKE_ARENA_PAGES; i++) {
		int j = f->alloc_descending ? FAKE_ARENA_PAGES - 1 - i : i;

		if (page_ok(f, j)) {
			found = j;
			break;
		}
	}
	if (found >= 0) {
		f->used[found] = true;
		f->pages_live++;
		memset(f->arena + (size_t)found * VTD_PAGE_SIZE, 0, VTD_PAGE_SIZE);
		/* The unit sees garbage until the driver flushes the zeroes. */
		if (f->image)
			memset(f->img + (size_t)found * VTD_PAGE_SIZE, 0xa5, VTD_PAGE_SIZE);
		*va = f->arena + (size_t)found * VTD_PAGE_SIZE;
		*pa = FAKE_PA_BASE + (uint64_t)found * VTD_PAGE_SIZE;
	}
out:
	pthread_mutex_unlock(&f->lock);
	return found >= 0 ? 0 : -ENOMEM;
}

static void fake_page_free(void *priv, void *va, uint64_t pa)
{
	struct fake_vtd *f = priv;
	size_t i = (size_t)(pa - FAKE_PA_BASE) / VTD_PAGE_SIZE;

	pthread_mutex_lock(&f->lock);
	if (pa >= FAKE_PA_BASE && i < FAKE_ARENA_PAGES && f->used[i] &&
	    va == f->arena + i * VTD_PAGE_SIZE) {
		f->used[i] = false;
		f->pages_live--;
	} else {
		f->bad_accesses++;
	}
	pthread_mutex_unlock(&f->lock);
}

/* Write back whole 64-byte lines, like CLFLUSH, into the unit's view. */
static void fake_flush(void *priv, const void *va, size_t len)
{
	struct fake_vtd *f = priv;
	uintptr_t base = (uintptr_t)f->arena;
	uintptr_t end = base + (size_t)FAKE_ARENA_PAGES * VTD_PAGE_SIZE;
	uintptr_t a = (uintptr_t)va & ~(uintptr_t)63;
	uintptr_t stop = (uintptr_t)va + len;

	pthread_mutex_lock(&f->lock);
	f->flushes++;
	if (f->image && (uintptr_t)va >= base && stop <= end) {
		for (; a < stop; a += 64)
			memcpy(f->img + (a - base), (void *)a, 64);
	} else if (f->image) {
		f->bad_accesses++;	/* a flush of memory the unit never had */
	}
	pthread_mutex_unlock(&f->lock);
}

static void *fake_phys_map(void *priv, uint64_t pa, size_t len)
{
	struct fake_vtd *f = priv;
	void *p;

	pthread_mutex_lock(&f->lock);
	p = phys_locked(f, pa, len);
	pthread_mutex_unlock(&f->lock);
	return p;
}

static const struct liommu_platform_ops fake_ops = {
	.read32 = fake_read32,
	.read64 = fake_read64,
	.write32 = fake_write32,
	.write64 = fake_write64,
	.page_alloc = fake_page_alloc,
	.page_free = fake_page_free,
	.flush = fake_flush,
	.phys_map = fake_phys_map,
};

struct fake_vtd *fake_vtd_new(uint64_t cap_val, uint64_t ecap_val)
{
	struct fake_vtd *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->arena = aligned_alloc(VTD_PAGE_SIZE, (size_t)FAKE_ARENA_PAGES * VTD_PAGE_SIZE);
	f->img = malloc((size_t)FAKE_ARENA_PAGES * VTD_PAGE_SIZE);
	if (!f->arena || !f->img || liommu_platform_new(&fake_ops, f, &f->plat)) {
		free(f->arena);
		free(f->img);
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->resume_on_iqe_clear = true;
	st32(f, VTD_VER_REG, 0x10);
	st64(f, VTD_CAP_REG, cap_val);
	st64(f, VTD_ECAP_REG, ecap_val);
	st32(f, VTD_FECTL_REG, (uint32_t)VTD_FECTL_IM);
	return f;
}

void fake_vtd_free(struct fake_vtd *f)
{
	if (!f)
		return;
	liommu_platform_free(f->plat);
	pthread_mutex_destroy(&f->lock);
	free(f->arena);
	free(f->img);
	free(f);
}

void fake_vtd_kick(struct fake_vtd *f)
{
	pthread_mutex_lock(&f->lock);
	iq_process_locked(f);
	pthread_mutex_unlock(&f->lock);
}

unsigned int fake_vtd_count_events(struct fake_vtd *f, char c)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nevents; i++)
		n += f->events[i] == c;
	pthread_mutex_unlock(&f->lock);
	return n;
}

uint64_t fake_vtd_read_pa(struct fake_vtd *f, uint64_t pa)
{
	uint8_t *p;
	uint64_t v = ~0ULL;

	pthread_mutex_lock(&f->lock);
	p = phys_locked(f, pa, 8);
	if (p) {
		if (f->image)
			p = f->img + (p - f->arena);
		memcpy(&v, p, 8);
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

unsigned int fake_vtd_image_mismatches(struct fake_vtd *f)
{
	unsigned int i, n = 0;
	size_t off;

	pthread_mutex_lock(&f->lock);
	for (i = 0; f->image && i < FAKE_ARENA_PAGES; i++) {
		off = (size_t)i * VTD_PAGE_SIZE;
		if (f->used[i] && memcmp(f->img + off, f->arena + off, VTD_PAGE_SIZE))
			n++;
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}
