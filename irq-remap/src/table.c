// SPDX-License-Identifier: MIT
/*
 * table.c - the interrupt-remapping table of a VT-d unit: set-up,
 * entry updates, interrupt entry cache invalidation, tear-down.
 *
 * Set-up follows spec 10.4.4 and 11.4.10 as QEMU 7.2 (hw/i386/
 * intel_iommu.c: vtd_handle_gcmd_sirtp(), vtd_handle_gcmd_ire(),
 * vtd_interrupt_remap_table_setup()) and Linux (intel_setup_irq_
 * remapping(), iommu_set_irq_remapping()) implement it: the table is
 * 2^(IRTA.S + 1) 16-byte entries, physically contiguous and 4 KiB
 * aligned; IRTA is written, then GCMD.SIRTP latches it (GSTS.IRTPS
 * sets on completion); the IEC is invalidated globally unless
 * CAP.ESIRTPS says SIRTP did that already; GCMD.CFI decides whether
 * compatibility-format interrupts bypass remapping; GCMD.IRE turns
 * remapping on.  Every GCMD write goes through the unit's GCMD protocol
 * (persistent bits from GSTS, one command at a time).
 *
 * The IEC is only invalidated through the invalidation queue
 * (6.5.2.7), so a unit in register-based invalidation mode is refused.
 * Entries are written through liommu_irte_update() (high half first,
 * P last; P cleared first), flushed for a non-coherent unit, and the
 * IEC line is invalidated before the call returns.
 *
 * The file reads top to bottom: table pages, set-up, tear-down, entry
 * writes, invalidation, accessors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <liommu/irq-remap.h>

#include "../../libiommu/driver/driver-layer.h"
#include "ir-table.h"

#define IRTE_PER_PAGE	(VTD_PAGE_SIZE / sizeof(struct vtd_irte))

/* ------------------------------------------------------------------ */
/* Table pages                                                         */
/* ------------------------------------------------------------------ */

static int cmp_page_pa(const void *a, const void *b)
{
	const struct liommu_page *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void table_free_pages(struct liommu_ir_table *t, unsigned int n)
{
	while (n--)
		liommu__page_free(t->unit, &t->pages[n]);
}

/*
 * IRTA holds one base address, so the table must be physically
 * contiguous (11.4.10).  Platforms hand out single pages: collect them,
 * sort by address and accept only a contiguous run.  The CPU view is
 * kept per page, so the pages need not be virtually contiguous.
 */
static int table_alloc_pages(struct liommu_ir_table *t)
{
	unsigned int n = t->npages, i;
	int ret;

	t->pages = calloc(n, sizeof(*t->pages));
	if (!t->pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = liommu__page_alloc(t->unit, &t->pages[i]);
		if (ret) {
			table_free_pages(t, i);
			return ret;
		}
	}
	qsort(t->pages, n, sizeof(*t->pages), cmp_page_pa);
	for (i = 1; i < n; i++) {
		if (t->pages[i].pa != t->pages[0].pa + (uint64_t)i * VTD_PAGE_SIZE) {
			liommu__log(t->unit, LOG_ERR, "platform pages are not contiguous: "
				    "a %u-entry remapping table needs %u in a row",
				    t->entries, n);
			table_free_pages(t, n);
			return -ENOMEM;
		}
	}
	t->pa = t->pages[0].pa;
	return 0;
}

static struct vtd_irte *slot(const struct liommu_ir_table *t, uint32_t index)
{
	struct vtd_irte *page = t->pages[index / IRTE_PER_PAGE].va;

	return page + index % IRTE_PER_PAGE;
}

static void table_release(struct liommu_ir_table *t, bool hw_stopped)
{
	if (t->pages) {
		if (hw_stopped)
			table_free_pages(t, t->npages);
		else
			liommu__log(t->unit, LOG_ERR,
				    "interrupt remapping still on: %u table pages leaked",
				    t->npages);
	}
	free(t->pages);
	liommu__ir_alloc_fini(t);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int check_config(const struct liommu_unit *u, const struct liommu_ir_config *c,
			uint32_t *entries)
{
	uint32_t n = c->entries ? c->entries : LIOMMU_IR_DEFAULT_ENTRIES;

	if (n < LIOMMU_IR_MIN_ENTRIES || n > LIOMMU_IR_MAX_ENTRIES || (n & (n - 1)))
		return -EINVAL;
	if (!(liommu_unit_ecap(u) & VTD_ECAP_IR)) {
		liommu__log(u, LOG_ERR, "interrupt remapping asked for, ECAP.IR clear");
		return -ENODEV;
	}
	/* IEC invalidation exists only as a queued descriptor (6.5.2.7). */
	if (liommu_unit_inval_mode(u) != LIOMMU_INVAL_QUEUED) {
		liommu__log(u, LOG_ERR, "interrupt remapping needs queued invalidation");
		return -ENODEV;
	}
	if (c->x2apic && !(liommu_unit_ecap(u) & VTD_ECAP_EIM)) {
		liommu__log(u, LOG_ERR, "x2APIC mode asked for, ECAP.EIM clear");
		return -ENODEV;
	}
	*entries = n;
	return 0;
}

static unsigned int log2_u32(uint32_t v)
{
	unsigned int l = 0;

	while ((1u << l) < v)
		l++;
	return l;
}

int liommu_ir_enable(struct liommu_unit *unit, const struct liommu_ir_config *cfg,
		     struct liommu_ir_table **out)
{
	static const struct liommu_ir_config defaults;
	struct liommu_ir_table *t;
	bool stopped = true;
	uint32_t entries;
	int ret;

	if (!unit || !out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	ret = check_config(unit, cfg, &entries);
	if (ret)
		return ret;
	/* One table per unit: a set IRES means another owner (or firmware)
	 * has remapping on with a table we know nothing about. */
	if (liommu__rd32(liommu_unit_platform(unit), VTD_GSTS_REG) &
	    (uint32_t)VTD_GSTS_IRES) {
		liommu__log(unit, LOG_ERR, "interrupt remapping is already enabled");
		return -EBUSY;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->unit = unit;
	t->entries = entries;
	t->x2apic = cfg->x2apic;
	t->npages = (unsigned int)((entries * sizeof(struct vtd_irte) + VTD_PAGE_SIZE - 1) /
				   VTD_PAGE_SIZE);
	pthread_mutex_init(&t->lock, NULL);
	ret = liommu__ir_alloc_init(t);
	if (ret)
		goto err_free;
	ret = table_alloc_pages(t);
	if (ret) {
		free(t->pages);
		t->pages = NULL;
		goto err_free;
	}

	/* 11.4.10: base (4 KiB aligned, bits 63:12), EIME (bit 11), S
	 * (bits 3:0) with 2^(S + 1) entries. */
	t->irta = (t->pa & VTD_IRTA_IRTA) | (t->x2apic ? VTD_IRTA_EIME : 0) |
		  vtd_field_prep(VTD_IRTA_S, log2_u32(entries) - 1);
	liommu__wr64(liommu_unit_platform(unit), VTD_IRTA_REG, t->irta);
	/* The zeroed table must be in memory before the unit may read it;
	 * liommu__page_alloc() flushed it, the barrier orders the stores
	 * before the command. */
	liommu__wmb();
	ret = liommu__gcmd_oneshot(unit, (uint32_t)VTD_GCMD_SIRTP);
	if (ret)
		goto err_free;
	/* 6.5.2.7 / 11.4.2: without ESIRTPS the IEC may still hold entries
	 * of a previous table. */
	if (!(liommu_unit_cap(unit) & VTD_CAP_ESIRTPS)) {
		ret = liommu__inval_iec(unit, true, 0, 0);
		if (ret)
			goto err_free;
		atomic_fetch_add_explicit(&t->st_iec_global, 1, memory_order_relaxed);
	}
	ret = liommu__gcmd_set(unit, (uint32_t)VTD_GCMD_CFI, cfg->allow_compat);
	if (ret) {
		liommu__log(unit, LOG_ERR, "GCMD.CFI %s not acknowledged",
			    cfg->allow_compat ? "on" : "off");
		goto err_free;
	}
	ret = liommu__gcmd_set(unit, (uint32_t)VTD_GCMD_IRE, true);
	if (ret) {
		/* IRES may still come up later: the unit could read the
		 * table, so its pages are never reused. */
		stopped = false;
		goto err_free;
	}
	liommu__log(unit, LOG_INFO, "interrupt remapping on: %u entries at 0x%llx, %s mode%s",
		    entries, (unsigned long long)t->pa, t->x2apic ? "x2APIC" : "xAPIC",
		    cfg->allow_compat ? ", compatibility format allowed" : "");
	*out = t;
	return 0;

err_free:
	table_release(t, stopped);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Tear-down                                                           */
/* ------------------------------------------------------------------ */

void liommu_ir_disable(struct liommu_ir_table *t)
{
	struct liommu_unit *u;
	bool stopped;
	int ret;

	if (!t)
		return;
	u = t->unit;
	stopped = !liommu__gcmd_set(u, (uint32_t)VTD_GCMD_IRE, false);
	/* Leave the compatibility policy as bring-up found it: blocked. */
	if (stopped && (liommu__rd32(liommu_unit_platform(u), VTD_GSTS_REG) &
			(uint32_t)VTD_GSTS_CFIS))
		liommu__gcmd_set(u, (uint32_t)VTD_GCMD_CFI, false);
	if (stopped) {
		/* Nothing cached from this table may survive into the next
		 * owner's. */
		ret = liommu__inval_iec(u, true, 0, 0);
		if (ret)
			liommu__log(u, LOG_WARNING, "final IEC invalidation failed (%d)", ret);
	}
	table_release(t, stopped);
}

/* ------------------------------------------------------------------ */
/* Invalidation                                                        */
/* ------------------------------------------------------------------ */

/*
 * Index-selective invalidation covers 2^IM entries from an index
 * aligned to that size (6.5.2.7): the smallest such block holding
 * [index, index + count).  A block wider than ECAP.MHMV allows gets a
 * global invalidation instead.
 */
static int iec_inval(struct liommu_ir_table *t, uint32_t index, uint32_t count)
{
	uint32_t first = index, last = index + count - 1;
	unsigned int im = 0;
	int ret;

	while ((first >> im) != (last >> im))
		im++;
	if (im > vtd_ecap_mhmv(liommu_unit_ecap(t->unit))) {
		ret = liommu__inval_iec(t->unit, true, 0, 0);
		if (!ret)
			atomic_fetch_add_explicit(&t->st_iec_global, 1, memory_order_relaxed);
		return ret;
	}
	ret = liommu__inval_iec(t->unit, false, (uint16_t)((first >> im) << im), im);
	if (!ret)
		atomic_fetch_add_explicit(&t->st_iec_index, 1, memory_order_relaxed);
	return ret;
}

int liommu_ir_sync(struct liommu_ir_table *t, uint16_t index, unsigned int count)
{
	if (!t || !count)
		return -EINVAL;
	if ((uint32_t)index + count > t->entries)
		return -ERANGE;
	return iec_inval(t, index, count);
}

int liommu_ir_sync_all(struct liommu_ir_table *t)
{
	int ret;

	if (!t)
		return -EINVAL;
	ret = liommu__inval_iec(t->unit, true, 0, 0);
	if (!ret)
		atomic_fetch_add_explicit(&t->st_iec_global, 1, memory_order_relaxed);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Entries                                                             */
/* ------------------------------------------------------------------ */

static int write_entry(struct liommu_ir_table *t, uint16_t index,
		       const struct vtd_irte *e, unsigned int flags)
{
	struct vtd_irte *s;
	int ret;

	if (flags & ~(LIOMMU_IR_NOSYNC | LIOMMU_IR_TRANSIENT))
		return -EINVAL;
	if (index >= t->entries)
		return -ERANGE;
	pthread_mutex_lock(&t->lock);
	if (!liommu__ir_is_allocated_locked(t, index)) {
		pthread_mutex_unlock(&t->lock);
		return -ENOENT;
	}
	s = slot(t, index);
	ret = liommu_irte_update(s, e, (flags & LIOMMU_IR_TRANSIENT) ?
				 LIOMMU_IRTE_UPDATE_TRANSIENT : 0);
	if (!ret) {
		liommu__flush(t->unit, s, sizeof(*s));
		atomic_fetch_add_explicit(&t->st_writes, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&t->lock);
	if (ret || (flags & LIOMMU_IR_NOSYNC))
		return ret;
	return iec_inval(t, index, 1);
}

int liommu__ir_write_raw(struct liommu_ir_table *t, uint16_t index,
			 const struct vtd_irte *e, unsigned int flags)
{
	if (!t || !e)
		return -EINVAL;
	return write_entry(t, index, e, flags);
}

int liommu_ir_set_remap(struct liommu_ir_table *t, uint16_t index,
			const struct liommu_irte_remap *r, unsigned int flags)
{
	struct vtd_irte e;
	int ret;

	if (!t || !r)
		return -EINVAL;
	/* DST reads differently in the two modes (9.10): an entry composed
	 * for the other mode would name another CPU. */
	if (r->x2apic != t->x2apic)
		return -EINVAL;
	ret = liommu_irte_compose_remap(r, &e);
	if (ret)
		return ret;
	return write_entry(t, index, &e, flags);
}

int liommu_ir_set_posted(struct liommu_ir_table *t, uint16_t index,
			 const struct liommu_irte_posted *p, unsigned int flags)
{
	struct vtd_irte e;
	int ret;

	if (!t || !p)
		return -EINVAL;
	ret = liommu_irte_compose_posted(p, liommu_unit_cap(t->unit), &e);
	if (ret)
		return ret;
	return write_entry(t, index, &e, flags);
}

int liommu_ir_clear(struct liommu_ir_table *t, uint16_t index, unsigned int flags)
{
	static const struct vtd_irte zero;

	if (!t)
		return -EINVAL;
	if (flags & ~LIOMMU_IR_NOSYNC)
		return -EINVAL;
	return write_entry(t, index, &zero, flags);
}

int liommu_ir_get(const struct liommu_ir_table *t, uint16_t index, struct vtd_irte *out)
{
	const struct vtd_irte *s;

	if (!t || !out)
		return -EINVAL;
	if (index >= t->entries)
		return -ERANGE;
	s = slot(t, index);
	out->lo = __atomic_load_n(&s->lo, __ATOMIC_ACQUIRE);
	out->hi = __atomic_load_n(&s->hi, __ATOMIC_ACQUIRE);
	return 0;
}

int liommu_ir_free(struct liommu_ir_table *t, uint16_t index, unsigned int count)
{
	static const struct vtd_irte zero;
	unsigned int i;
	int ret;

	if (!t || !count || count > LIOMMU_IR_MAX_BLOCK || (count & (count - 1)) ||
	    (index & (count - 1)))
		return -EINVAL;
	if ((uint32_t)index + count > t->entries)
		return -ERANGE;
	pthread_mutex_lock(&t->lock);
	ret = liommu__ir_block_check_locked(t, index, count);
	if (ret) {
		pthread_mutex_unlock(&t->lock);
		return ret;
	}
	/* Not-present first (P cleared before the rest, liommu_irte_update())
	 * so the unit stops using the entries... */
	for (i = 0; i < count; i++) {
		struct vtd_irte *s = slot(t, index + i);

		liommu_irte_update(s, &zero, 0);
		liommu__flush(t->unit, s, sizeof(*s));
	}
	atomic_fetch_add_explicit(&t->st_writes, count, memory_order_relaxed);
	/* ...and while the invalidation runs without the lock, nobody may
	 * write the entries again (-ENOENT) or free the block twice
	 * (-EINVAL), and the allocator still sees it taken. */
	liommu__ir_retire_locked(t, index, count);
	pthread_mutex_unlock(&t->lock);

	/* ...then the IEC, waited for, before the indices are reusable
	 * (6.5.2.7: software must invalidate before reusing an entry). */
	ret = iec_inval(t, index, count);
	pthread_mutex_lock(&t->lock);
	if (ret) {
		liommu__log(t->unit, LOG_ERR, "IEC invalidation for IRTEs %u..%u failed (%d): "
			    "indices kept out of reuse", index, index + count - 1, ret);
		atomic_fetch_add_explicit(&t->st_leaked, count, memory_order_relaxed);
	} else {
		liommu__ir_release_locked(t, index, count);
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

uint32_t liommu_ir_entries(const struct liommu_ir_table *t)
{
	return t ? t->entries : 0;
}

uint64_t liommu_ir_irta(const struct liommu_ir_table *t)
{
	return t ? t->irta : 0;
}

bool liommu_ir_is_x2apic(const struct liommu_ir_table *t)
{
	return t ? t->x2apic : false;
}

void liommu_ir_get_stats(const struct liommu_ir_table *t, struct liommu_ir_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!t)
		return;
	st->allocated = atomic_load_explicit(&t->st_allocated, memory_order_relaxed);
	st->leaked = atomic_load_explicit(&t->st_leaked, memory_order_relaxed);
	st->writes = atomic_load_explicit(&t->st_writes, memory_order_relaxed);
	st->iec_index = atomic_load_explicit(&t->st_iec_index, memory_order_relaxed);
	st->iec_global = atomic_load_explicit(&t->st_iec_global, memory_order_relaxed);
}
