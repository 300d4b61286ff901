// SPDX-License-Identifier: MIT
/*
 * check-irq-remap.c - the interrupt-remapping table (irq-remap/src/
 * table.c, alloc.c) against the software VT-d unit.
 *
 * The driver side programs a unit on the sim platform; the hardware
 * side is the model's interrupt-remapping translation
 * (liommu_model_msi()), which reads the table the driver wrote, caches
 * entries in its IEC until they are invalidated, and records faults in
 * the fault-recording registers.  Covered: set-up (IRTA, SIRTP, IRE,
 * CFI, the global IEC flush) for every table size class, delivery,
 * every fault reason the table can produce, IEC staleness and its
 * invalidation, the allocator's alignment, exhaustion and error paths,
 * a multithreaded allocator/writer test for TSan, and every rejected
 * argument.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <liommu/irq-remap.h>
#include <liommu/model.h>
#include <liommu/sim.h>

#include "fake/fake-vtd.h"
#include "ir-bench.h"

#define DEV_SID		0x0310	/* 03:02.0 */

struct fx {
	struct liommu_sim *sim;
	struct liommu_unit *u;
	struct liommu_ir_table *t;
	struct ir_bench b;
};

static int model_fire(void *ctx, uint16_t sid, uint64_t addr, uint32_t data,
		      struct ir_outcome *o)
{
	struct liommu_model_irq irq;
	struct liommu_fault f;
	int ret;

	ret = liommu_model_msi(liommu_sim_model(ctx), sid, addr, data, 0, &irq, &f);
	if (ret == -EFAULT) {
		*o = ir_fault(f.reason);
		return 0;
	}
	if (ret)
		return ret;
	ck_assert_int_eq(irq.kind, LIOMMU_MODEL_IRQ_REMAPPED);
	*o = ir_delivered(irq.vector, irq.dest, irq.dest_logical, irq.delivery_mode,
			  irq.level);
	return 0;
}

static void fx_open(struct fx *x, const struct liommu_model_config *mc,
		    const struct liommu_unit_config *uc, const struct liommu_ir_config *ic)
{
	struct liommu_sim_config sc = { .mem_size = 64ULL << 20, .mem_base = 0x100000,
					.model = mc };

	memset(x, 0, sizeof(*x));
	ck_assert_int_eq(liommu_sim_new(&sc, &x->sim), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_sim_platform(x->sim), uc, &x->u), 0);
	if (ic)
		ck_assert_int_eq(liommu_ir_enable(x->u, ic, &x->t), 0);
	x->b = (struct ir_bench){ x->u, x->t, DEV_SID, model_fire, x->sim, 0x30 };
}

static void fx_close(struct fx *x)
{
	liommu_ir_disable(x->t);
	liommu_unit_free(x->u);
	liommu_sim_free(x->sim);
}

static uint64_t reg64(struct fx *x, uint32_t off)
{
	return liommu_model_read64(liommu_sim_model(x->sim), off);
}

static uint32_t reg32(struct fx *x, uint32_t off)
{
	return liommu_model_read32(liommu_sim_model(x->sim), off);
}

static const struct liommu_ir_config default_ir;

/* ------------------------------------------------------------------ */
/* Set-up and tear-down                                                */
/* ------------------------------------------------------------------ */

static const uint32_t sizes[] = { 2, 256, 512, 4096, 65536 };

START_TEST(setup_programs_irta_sirtp_ire)
{
	struct liommu_ir_config ic = { .entries = sizes[_i] };
	struct liommu_unit_stats us0, us1;
	struct liommu_ir_stats st;
	uint64_t irta;
	uint32_t gsts;
	struct fx x;

	fx_open(&x, NULL, NULL, NULL);
	liommu_unit_get_stats(x.u, &us0);
	ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &x.t), 0);
	liommu_unit_get_stats(x.u, &us1);
	irta = reg64(&x, VTD_IRTA_REG);
	ck_assert_uint_eq(irta, liommu_ir_irta(x.t));
	/* 2^(S + 1) entries, 4 KiB aligned base, EIME clear. */
	ck_assert_uint_eq(vtd_irta_entries(irta), sizes[_i]);
	ck_assert_uint_eq(liommu_ir_entries(x.t), sizes[_i]);
	ck_assert_uint_eq(irta & VTD_IRTA_EIME, 0);
	ck_assert_uint_eq(irta & ~(VTD_IRTA_IRTA | VTD_IRTA_EIME | VTD_IRTA_S), 0);
	ck_assert_ptr_nonnull(liommu_sim_phys(x.sim, irta & VTD_IRTA_IRTA,
					      sizes[_i] * sizeof(struct vtd_irte)));
	/* The table pages are counted as pages the unit reads. */
	ck_assert_uint_eq(us1.table_pages - us0.table_pages,
			  (sizes[_i] * 16 + VTD_PAGE_SIZE - 1) / VTD_PAGE_SIZE);
	gsts = reg32(&x, VTD_GSTS_REG);
	ck_assert(gsts & VTD_GSTS_IRES);
	ck_assert(gsts & VTD_GSTS_IRTPS);
	ck_assert(!(gsts & VTD_GSTS_CFIS));
	/* No CAP.ESIRTPS on the default unit: SIRTP is followed by a
	 * global IEC flush. */
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.iec_global, 1);
	ck_assert_uint_eq(st.allocated, 0);
	/* Entries start not-present; the first index past the table is
	 * out of range. */
	{
		struct ir_step s[IR_MAX_STEPS];

		x.b.t = x.t;
		ck_assert_uint_eq(ir_run(&x.b, SC_NOT_PRESENT, s), 1);
		ck_assert(ir_outcome_eq(&s[0].got, &s[0].want));
		liommu_unit_read_faults(x.u, NULL, 0, NULL);
		/* A 16-bit handle cannot name an index past a full table. */
		if (sizes[_i] < LIOMMU_IR_MAX_ENTRIES) {
			ck_assert_uint_eq(ir_run(&x.b, SC_INDEX, s), 1);
			ck_assert(ir_outcome_eq(&s[0].got, &s[0].want));
		}
	}
	liommu_ir_disable(x.t);
	x.t = NULL;
	ck_assert(!(reg32(&x, VTD_GSTS_REG) & VTD_GSTS_IRES));
	liommu_unit_get_stats(x.u, &us1);
	ck_assert_uint_eq(us1.table_pages, us0.table_pages);
	fx_close(&x);
}
END_TEST

START_TEST(esirtps_skips_the_global_flush)
{
	struct liommu_model_config mc;
	struct liommu_ir_stats st;
	struct fx x;

	liommu_model_config_default(&mc);
	mc.esirtps = true;
	fx_open(&x, &mc, NULL, &default_ir);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.iec_global, 0);
	fx_close(&x);
}
END_TEST

START_TEST(disable_lets_interrupts_through)
{
	struct liommu_model_irq irq;
	struct fx x;

	fx_open(&x, NULL, NULL, &default_ir);
	/* Remapping on: a compatibility-format message is blocked. */
	ck_assert_int_eq(liommu_model_msi(liommu_sim_model(x.sim), DEV_SID, 0xfee00000, 0x41,
					  LIOMMU_MODEL_NO_RECORD, &irq, NULL), -EFAULT);
	liommu_ir_disable(x.t);
	x.t = NULL;
	ck_assert_int_eq(liommu_model_msi(liommu_sim_model(x.sim), DEV_SID, 0xfee00000, 0x41,
					  0, &irq, NULL), 0);
	ck_assert_int_eq(irq.kind, LIOMMU_MODEL_IRQ_PASSTHROUGH);
	/* A second table may be set up after the first is gone. */
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &x.t), 0);
	fx_close(&x);
}
END_TEST

START_TEST(compat_policy)
{
	struct liommu_ir_config ic = { .allow_compat = true };
	struct liommu_model_irq irq;
	struct liommu_fault f;
	struct fx x;
	bool ovf;

	fx_open(&x, NULL, NULL, &default_ir);
	ck_assert_int_eq(liommu_model_msi(liommu_sim_model(x.sim), DEV_SID, 0xfee00000, 0x41,
					  0, &irq, NULL), -EFAULT);
	ck_assert_int_eq(liommu_unit_read_faults(x.u, &f, 1, &ovf), 1);
	ck_assert_uint_eq(f.reason, VTD_FR_IR_COMPAT);
	ck_assert_uint_eq(f.sid, DEV_SID);
	liommu_ir_disable(x.t);

	ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &x.t), 0);
	ck_assert(reg32(&x, VTD_GSTS_REG) & VTD_GSTS_CFIS);
	ck_assert_int_eq(liommu_model_msi(liommu_sim_model(x.sim), DEV_SID, 0xfee00000, 0x41,
					  0, &irq, NULL), 0);
	ck_assert_int_eq(irq.kind, LIOMMU_MODEL_IRQ_PASSTHROUGH);
	liommu_ir_disable(x.t);
	x.t = NULL;
	/* Tear-down puts the policy back to blocked. */
	ck_assert(!(reg32(&x, VTD_GSTS_REG) & VTD_GSTS_CFIS));
	fx_close(&x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Delivery and faults: the shared scenarios                           */
/* ------------------------------------------------------------------ */

START_TEST(scenario_on_model)
{
	struct ir_step s[IR_MAX_STEPS];
	struct liommu_fault f[2];
	char got[96], want[96];
	unsigned int n, i;
	struct fx x;
	int nf;

	fx_open(&x, NULL, NULL, &default_ir);
	n = ir_run(&x.b, (enum ir_scenario)_i, s);
	for (i = 0; i < n; i++) {
		/* The model caches entries in its IEC, so a change without
		 * invalidation is not seen yet. */
		const struct ir_outcome *w = s[i].cache_dependent ? &s[i].old : &s[i].want;

		ir_outcome_str(&s[i].got, got, sizeof(got));
		ir_outcome_str(w, want, sizeof(want));
		ck_assert_msg(ir_outcome_eq(&s[i].got, w), "%s step %u: got %s, want %s",
			      ir_scenario_names[_i], i, got, want);
	}
	/* A fault is recorded with the request's source-id and the index in
	 * FI[63:48] (spec 7.2.1); a delivery records nothing. */
	nf = liommu_unit_read_faults(x.u, f, 2, NULL);
	if (s[0].want.delivered) {
		ck_assert_int_eq(nf, 0);
	} else {
		ck_assert_int_eq(nf, 1);
		ck_assert_uint_eq(f[0].reason, s[0].want.reason);
		ck_assert_uint_eq(f[0].sid, DEV_SID);
		ck_assert_uint_eq(f[0].addr >> 48,
				  _i == SC_INDEX ? liommu_ir_entries(x.t) : 0);
	}
	fx_close(&x);
}
END_TEST

START_TEST(shv_with_reserved_data_faults)
{
	struct liommu_irte_remap r = ir_entry(0x40, 1);
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct fx x;
	uint16_t idx;

	fx_open(&x, NULL, NULL, &default_ir);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 2, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), 0);
	msg = ir_msg(liommu_ir_entries(x.t), idx, true, 0);
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data | 0x10000, &o), 0);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_REQ_RSVD);
	fx_close(&x);
}
END_TEST

/*
 * With SHV the index is handle + subhandle, up to 0x1fffe (5.1.2.2):
 * past a full 65536-entry table it is out of range (0x21).  QEMU 7.2
 * adds the two in a uint16_t (vtd_interrupt_remap_msi()) and wraps to
 * index 0 instead.
 */
START_TEST(index_past_a_full_table)
{
	struct liommu_ir_config ic = { .entries = LIOMMU_IR_MAX_ENTRIES };
	struct liommu_irte_remap r = ir_entry(0x44, 0);
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct fx x;
	uint16_t idx;

	fx_open(&x, NULL, NULL, &ic);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), 0);
	msg = ir_msg(LIOMMU_IR_MAX_ENTRIES, 0xffff, true, 0);
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data | 1, &o), 0);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_INDEX);
	fx_close(&x);
}
END_TEST

START_TEST(clear_is_stale_until_synced)
{
	struct liommu_irte_remap r = ir_entry(0x41, 2);
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct fx x;
	uint16_t idx;

	fx_open(&x, NULL, NULL, &default_ir);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), 0);
	msg = ir_msg(liommu_ir_entries(x.t), idx, false, 0);
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(o.delivered && o.vector == 0x41 && o.dest == 2);
	ck_assert_int_eq(liommu_ir_clear(x.t, idx, LIOMMU_IR_NOSYNC), 0);
	/* The memory entry is gone, the cached one is still used. */
	{
		struct vtd_irte e;

		ck_assert_int_eq(liommu_ir_get(x.t, idx, &e), 0);
		ck_assert(!liommu_irte_present(&e));
	}
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(o.delivered && o.vector == 0x41);
	ck_assert_int_eq(liommu_ir_sync(x.t, idx, 1), 0);
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_P);
	fx_close(&x);
}
END_TEST

START_TEST(free_invalidates_before_reuse)
{
	struct liommu_model_stats ms0, ms1;
	struct liommu_ir_stats st;
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct fx x;
	uint16_t idx, i;

	fx_open(&x, NULL, NULL, &default_ir);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 8, &idx), 0);
	for (i = 0; i < 8; i++) {
		struct liommu_irte_remap r = ir_entry((uint8_t)(0x50 + i), 0);

		ck_assert_int_eq(liommu_ir_set_remap(x.t, (uint16_t)(idx + i), &r, 0), 0);
	}
	msg = ir_msg(liommu_ir_entries(x.t), idx, true, 5);
	/* Fill the IEC with the block's entry 5. */
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(o.delivered && o.vector == 0x55);
	liommu_model_get_stats(liommu_sim_model(x.sim), &ms0);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.allocated, 8);
	ck_assert_int_eq(liommu_ir_free(x.t, idx, 8), 0);
	liommu_model_get_stats(liommu_sim_model(x.sim), &ms1);
	/* One index-selective invalidation (IM = 3) for the whole block. */
	ck_assert_uint_eq(ms1.iec_invs - ms0.iec_invs, 1);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.allocated, 0);
	ck_assert_uint_eq(st.iec_index, 8 + 1);
	/* The cached entry is gone with the freed one. */
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_P);
	fx_close(&x);
}
END_TEST

START_TEST(block_above_mhmv_is_flushed_globally)
{
	struct liommu_model_config mc;
	struct liommu_ir_stats st0, st1;
	struct fx x;
	uint16_t idx;

	liommu_model_config_default(&mc);
	mc.mhmv = 1;
	fx_open(&x, &mc, NULL, &default_ir);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 2, &idx), 0);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 4, &idx), 0);
	liommu_ir_get_stats(x.t, &st0);
	ck_assert_int_eq(liommu_ir_sync(x.t, idx, 2), 0);	/* IM 1 */
	ck_assert_int_eq(liommu_ir_sync(x.t, (uint16_t)(idx + 1), 2), 0); /* IM 2 > 1 */
	ck_assert_int_eq(liommu_ir_free(x.t, idx, 4), 0);	/* IM 2 > 1 */
	liommu_ir_get_stats(x.t, &st1);
	ck_assert_uint_eq(st1.iec_index - st0.iec_index, 1);
	ck_assert_uint_eq(st1.iec_global - st0.iec_global, 2);
	ck_assert_int_eq(liommu_ir_sync_all(x.t), 0);
	liommu_ir_get_stats(x.t, &st0);
	ck_assert_uint_eq(st0.iec_global - st1.iec_global, 1);
	fx_close(&x);
}
END_TEST

START_TEST(x2apic_destinations)
{
	struct liommu_model_config mc;
	struct liommu_ir_config ic = { .x2apic = true };
	struct liommu_irte_remap r = ir_entry(0x60, 0x12345678);
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct fx x;
	uint16_t idx;

	liommu_model_config_default(&mc);
	mc.eim = true;
	fx_open(&x, &mc, NULL, &ic);
	ck_assert(liommu_ir_is_x2apic(x.t));
	ck_assert(reg64(&x, VTD_IRTA_REG) & VTD_IRTA_EIME);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	/* An entry composed for xAPIC mode would put DST elsewhere. */
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), -EINVAL);
	r.x2apic = true;
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), 0);
	msg = ir_msg(liommu_ir_entries(x.t), idx, false, 0);
	ck_assert_int_eq(model_fire(x.sim, DEV_SID, msg.addr, msg.data, &o), 0);
	ck_assert(o.delivered);
	ck_assert_uint_eq(o.dest, 0x12345678);
	fx_close(&x);
}
END_TEST

START_TEST(x2apic_needs_eim)
{
	struct liommu_ir_config ic = { .x2apic = true };
	struct liommu_ir_table *t = (void *)1;
	struct liommu_irte_remap r = ir_entry(0x60, 1);
	struct fx x;
	uint16_t idx;

	fx_open(&x, NULL, NULL, NULL);
	ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &t), -ENODEV);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &x.t), 0);
	ck_assert(!liommu_ir_is_x2apic(x.t));
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	r.x2apic = true;
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), -EINVAL);
	fx_close(&x);
}
END_TEST

START_TEST(posted_entries)
{
	struct liommu_model_config mc;
	struct liommu_irte_posted p = { .vector = 0x70, .sid = liommu_irte_sid_none() };
	struct liommu_model_irq irq;
	struct liommu_msi_msg msg;
	struct fx x;
	uint16_t idx;

	/* Without CAP.PI posting is refused. */
	fx_open(&x, NULL, NULL, &default_ir);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	p.pda = 0x200040;
	ck_assert_int_eq(liommu_ir_set_posted(x.t, idx, &p, 0), -ENODEV);
	fx_close(&x);

	liommu_model_config_default(&mc);
	mc.posted = true;
	fx_open(&x, &mc, NULL, &default_ir);
	ck_assert_int_eq(liommu_sim_alloc(x.sim, VTD_PAGE_SIZE, NULL, &p.pda), 0);
	p.pda += 64;
	p.urgent = true;
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_posted(x.t, idx, &p, 0), 0);
	msg = ir_msg(liommu_ir_entries(x.t), idx, false, 0);
	ck_assert_int_eq(liommu_model_msi(liommu_sim_model(x.sim), DEV_SID, msg.addr,
					  msg.data, 0, &irq, NULL), 0);
	ck_assert_int_eq(irq.kind, LIOMMU_MODEL_IRQ_POSTED);
	ck_assert_uint_eq(irq.vector, 0x70);
	ck_assert_uint_eq(irq.pda, p.pda);
	ck_assert(irq.urgent);
	/* remapped -> posted changes both halves: one CMPXCHG16B (or a
	 * refused update), never a torn entry. */
	{
		struct liommu_irte_remap r = ir_entry(0x71, 3);
		struct vtd_irte e;
		int ret;

		ret = liommu_ir_set_remap(x.t, idx, &r, 0);
		ck_assert(ret == 0 || ret == -ENODEV);
		if (ret)
			ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r,
							     LIOMMU_IR_TRANSIENT), 0);
		ck_assert_int_eq(liommu_ir_get(x.t, idx, &e), 0);
		ck_assert(!liommu_irte_is_posted(&e));
		ck_assert_uint_eq(vtd_field_get(VTD_IRTE_LO_V, e.lo), 0x71);
	}
	fx_close(&x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Allocator                                                           */
/* ------------------------------------------------------------------ */

static const unsigned int counts[] = { 1, 2, 4, 8, 16, 32 };

START_TEST(alloc_aligned_until_exhausted)
{
	struct liommu_ir_config ic = { .entries = 256 };
	unsigned int count = counts[_i], n = 0, i;
	uint16_t idx[256 + 1];
	uint8_t seen[256] = { 0 };
	struct liommu_ir_stats st;
	struct fx x;

	fx_open(&x, NULL, NULL, &ic);
	while (liommu_ir_alloc(x.t, count, &idx[n]) == 0) {
		ck_assert_uint_eq(idx[n] % count, 0);
		for (i = 0; i < count; i++) {
			ck_assert_uint_eq(seen[idx[n] + i], 0);
			seen[idx[n] + i] = 1;
		}
		n++;
		ck_assert_uint_le(n, 256 / count);
	}
	ck_assert_uint_eq(n, 256 / count);
	ck_assert_int_eq(liommu_ir_alloc(x.t, count, &idx[n]), -ENOSPC);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx[n]), -ENOSPC);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.allocated, 256);
	/* Freeing one block makes exactly that block available again. */
	ck_assert_int_eq(liommu_ir_free(x.t, idx[n / 2], count), 0);
	ck_assert_int_eq(liommu_ir_alloc(x.t, count, &idx[n]), 0);
	ck_assert_uint_eq(idx[n], idx[n / 2]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(liommu_ir_free(x.t, idx[i], count), 0);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.allocated, 0);
	fx_close(&x);
}
END_TEST

START_TEST(alloc_fragmented_table)
{
	struct liommu_ir_config ic = { .entries = 64 };
	uint16_t idx, singles[64];
	unsigned int i;
	struct fx x;

	fx_open(&x, NULL, NULL, &ic);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &singles[i]), 0);
	/* Free every other entry: 32 free entries but no free pair. */
	for (i = 0; i < 64; i += 2)
		ck_assert_int_eq(liommu_ir_free(x.t, singles[i], 1), 0);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 2, &idx), -ENOSPC);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	ck_assert_uint_eq(idx % 2, singles[0] % 2);
	/* Free an aligned 32 range: a block of 32 fits again. */
	for (i = 1; i < 32; i += 2)
		ck_assert_int_eq(liommu_ir_free(x.t, singles[i], 1), 0);
	ck_assert_uint_eq(idx, 0);	/* the scan restarted at 0 */
	ck_assert_int_eq(liommu_ir_free(x.t, idx, 1), 0);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 32, &idx), 0);
	ck_assert_uint_eq(idx, 0);
	fx_close(&x);
}
END_TEST

START_TEST(alloc_and_free_rejections)
{
	struct liommu_ir_config ic = { .entries = 256 };
	uint16_t idx, b4;
	struct fx x;

	fx_open(&x, NULL, NULL, &ic);
	ck_assert_int_eq(liommu_ir_alloc(NULL, 1, &idx), -EINVAL);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, NULL), -EINVAL);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 0, &idx), -EINVAL);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 3, &idx), -EINVAL);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 64, &idx), -EINVAL);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 4, &b4), 0);
	ck_assert_int_eq(liommu_ir_free(NULL, b4, 4), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 3), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 64), -EINVAL);
	/* Not the block as allocated: smaller, larger, or not its start. */
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 2), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, (uint16_t)(b4 + 1), 1), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, (uint16_t)(b4 + 2), 2), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, (uint16_t)(b4 + 1), 4), -EINVAL);
	ck_assert_int_eq(liommu_ir_free(x.t, 256, 1), -ERANGE);
	ck_assert_int_eq(liommu_ir_free(x.t, 0xffff, 1), -ERANGE);
	ck_assert_int_eq(liommu_ir_free(x.t, (uint16_t)((b4 + 8) % 256), 1), -ENOENT);
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 4), 0);
	/* Double free. */
	ck_assert_int_eq(liommu_ir_free(x.t, b4, 4), -ENOENT);
	fx_close(&x);
}
END_TEST

START_TEST(entry_rejections)
{
	struct liommu_ir_config ic = { .entries = 256 };
	struct liommu_irte_remap r = ir_entry(0x40, 1);
	struct liommu_irte_posted p = { .vector = 0x40, .pda = 0x1000 };
	struct vtd_irte e;
	struct fx x;
	uint16_t idx, other;

	fx_open(&x, NULL, NULL, &ic);
	ck_assert_int_eq(liommu_ir_alloc(x.t, 1, &idx), 0);
	other = (uint16_t)((idx + 1) % 256);
	ck_assert_int_eq(liommu_ir_set_remap(NULL, idx, &r, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, NULL, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 1u << 7), -EINVAL);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, 256, &r, 0), -ERANGE);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, other, &r, 0), -ENOENT);
	/* The encoders' own refusals come through unchanged. */
	r.vector = 5;
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), -EINVAL);
	r.vector = 0x40;
	r.dest = 256;
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), -ERANGE);
	r.dest = 1;
	r.dlm = 3;
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), -EINVAL);
	r.dlm = VTD_DLM_FIXED;
	/* Nothing was written by the refused calls. */
	ck_assert_int_eq(liommu_ir_get(x.t, idx, &e), 0);
	ck_assert(!liommu_irte_present(&e));
	ck_assert_int_eq(liommu_ir_set_posted(NULL, idx, &p, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_set_posted(x.t, idx, NULL, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_clear(NULL, idx, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_clear(x.t, idx, LIOMMU_IR_TRANSIENT), -EINVAL);
	ck_assert_int_eq(liommu_ir_clear(x.t, 300, 0), -ERANGE);
	ck_assert_int_eq(liommu_ir_clear(x.t, other, 0), -ENOENT);
	ck_assert_int_eq(liommu_ir_get(NULL, idx, &e), -EINVAL);
	ck_assert_int_eq(liommu_ir_get(x.t, idx, NULL), -EINVAL);
	ck_assert_int_eq(liommu_ir_get(x.t, 256, &e), -ERANGE);
	ck_assert_int_eq(liommu_ir_sync(NULL, 0, 1), -EINVAL);
	ck_assert_int_eq(liommu_ir_sync(x.t, 0, 0), -EINVAL);
	ck_assert_int_eq(liommu_ir_sync(x.t, 255, 2), -ERANGE);
	ck_assert_int_eq(liommu_ir_sync_all(NULL), -EINVAL);
	ck_assert_int_eq(liommu__ir_write_raw(x.t, idx, NULL, 0), -EINVAL);
	ck_assert_uint_eq(liommu_ir_entries(NULL), 0);
	ck_assert_uint_eq(liommu_ir_irta(NULL), 0);
	ck_assert(!liommu_ir_is_x2apic(NULL));
	liommu_ir_get_stats(NULL, NULL);
	ck_assert_int_eq(liommu_ir_set_remap(x.t, idx, &r, 0), 0);
	fx_close(&x);
}
END_TEST

START_TEST(enable_rejections)
{
	struct liommu_unit_config reg = { .inval = LIOMMU_INVAL_REGISTER };
	struct liommu_model_config mc;
	struct liommu_ir_table *t = (void *)1, *t2;
	static const uint32_t bad[] = { 1, 3, 100, 131072 };
	struct liommu_ir_config ic = { 0 };
	struct fx x;
	unsigned int i;

	fx_open(&x, NULL, NULL, NULL);
	ck_assert_int_eq(liommu_ir_enable(NULL, NULL, &t), -EINVAL);
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, NULL), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ic.entries = bad[i];
		ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &t), -EINVAL);
		ck_assert_ptr_null(t);
	}
	/* One table per unit. */
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &x.t), 0);
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t2), -EBUSY);
	liommu_ir_disable(NULL);
	fx_close(&x);

	/* The IEC can only be invalidated through the queue. */
	fx_open(&x, NULL, &reg, NULL);
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), -ENODEV);
	fx_close(&x);

	liommu_model_config_default(&mc);
	mc.ir = false;
	mc.mhmv = 0;
	fx_open(&x, &mc, NULL, NULL);
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), -ENODEV);
	fx_close(&x);
}
END_TEST

/* A platform over the sim that leaves a gap after every page it hands
 * out, so no two of its pages are physically adjacent. */
struct gappy {
	struct liommu_sim *sim;
	const struct liommu_platform_ops *inner;
	void *inner_priv;
	uint64_t gaps[64];
	unsigned int ngaps;
};

static struct gappy gappy_state;

static uint32_t g_rd32(void *p, uint32_t o) { (void)p; return gappy_state.inner->read32(gappy_state.inner_priv, o); }
static uint64_t g_rd64(void *p, uint32_t o) { (void)p; return gappy_state.inner->read64(gappy_state.inner_priv, o); }
static void g_wr32(void *p, uint32_t o, uint32_t v) { (void)p; gappy_state.inner->write32(gappy_state.inner_priv, o, v); }
static void g_wr64(void *p, uint32_t o, uint64_t v) { (void)p; gappy_state.inner->write64(gappy_state.inner_priv, o, v); }
static void g_free(void *p, void *va, uint64_t pa) { (void)p; gappy_state.inner->page_free(gappy_state.inner_priv, va, pa); }

static int g_alloc(void *p, int node, void **va, uint64_t *pa)
{
	struct gappy *g = &gappy_state;
	int ret = g->inner->page_alloc(g->inner_priv, node, va, pa);

	(void)p;
	if (!ret && g->ngaps < 64)
		ck_assert_int_eq(liommu_sim_alloc(g->sim, VTD_PAGE_SIZE, NULL,
						  &g->gaps[g->ngaps++]), 0);
	return ret;
}

static const struct liommu_platform_ops gappy_ops = {
	.read32 = g_rd32, .read64 = g_rd64, .write32 = g_wr32, .write64 = g_wr64,
	.page_alloc = g_alloc, .page_free = g_free,
};

START_TEST(discontiguous_pages_refused)
{
	struct liommu_ir_config ic = { .entries = 1024 };	/* 4 pages */
	struct liommu_platform *plat;
	struct liommu_unit *u;
	struct liommu_ir_table *t;
	struct liommu_unit_stats st0, st1;
	struct liommu_sim *sim;

	ck_assert_int_eq(liommu_sim_new(NULL, &sim), 0);
	memset(&gappy_state, 0, sizeof(gappy_state));
	gappy_state.sim = sim;
	gappy_state.inner = liommu_platform_get_ops(liommu_sim_platform(sim));
	gappy_state.inner_priv = liommu_platform_get_priv(liommu_sim_platform(sim));
	ck_assert_int_eq(liommu_platform_new(&gappy_ops, NULL, &plat), 0);
	ck_assert_int_eq(liommu_unit_new(plat, NULL, &u), 0);
	liommu_unit_get_stats(u, &st0);
	ck_assert_int_eq(liommu_ir_enable(u, &ic, &t), -ENOMEM);
	liommu_unit_get_stats(u, &st1);
	ck_assert_uint_eq(st1.table_pages, st0.table_pages);
	ck_assert(!(liommu_model_read32(liommu_sim_model(sim), VTD_GSTS_REG) & VTD_GSTS_IRES));
	/* One page needs no contiguity. */
	ic.entries = 256;
	ck_assert_int_eq(liommu_ir_enable(u, &ic, &t), 0);
	liommu_ir_disable(t);
	liommu_unit_free(u);
	liommu_platform_free(plat);
	liommu_sim_free(sim);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A unit that misbehaves (tests/fake/fake-vtd.c)                           */
/* ------------------------------------------------------------------ */

struct ffx {
	struct fake_vtd *f;
	struct liommu_unit *u;
	struct liommu_platform *filter;	/* drops GCMD writes with IRE set */
	bool drop_ire;
};

static struct ffx *cur_ffx;

static uint32_t f_rd32(void *p, uint32_t o) { (void)p; return liommu_platform_get_ops(cur_ffx->f->plat)->read32(liommu_platform_get_priv(cur_ffx->f->plat), o); }
static uint64_t f_rd64(void *p, uint32_t o) { (void)p; return liommu_platform_get_ops(cur_ffx->f->plat)->read64(liommu_platform_get_priv(cur_ffx->f->plat), o); }
static void f_wr64(void *p, uint32_t o, uint64_t v) { (void)p; liommu_platform_get_ops(cur_ffx->f->plat)->write64(liommu_platform_get_priv(cur_ffx->f->plat), o, v); }
static int f_alloc(void *p, int n, void **va, uint64_t *pa) { (void)p; return liommu_platform_get_ops(cur_ffx->f->plat)->page_alloc(liommu_platform_get_priv(cur_ffx->f->plat), n, va, pa); }
static void f_free(void *p, void *va, uint64_t pa) { (void)p; liommu_platform_get_ops(cur_ffx->f->plat)->page_free(liommu_platform_get_priv(cur_ffx->f->plat), va, pa); }

static void f_wr32(void *p, uint32_t o, uint32_t v)
{
	(void)p;
	/* A unit that never acts on IRE: GSTS.IRES stays clear. */
	if (o == VTD_GCMD_REG && cur_ffx->drop_ire && (v & VTD_GCMD_IRE))
		return;
	liommu_platform_get_ops(cur_ffx->f->plat)->write32(
		liommu_platform_get_priv(cur_ffx->f->plat), o, v);
}

static const struct liommu_platform_ops filter_ops = {
	.read32 = f_rd32, .read64 = f_rd64, .write32 = f_wr32, .write64 = f_wr64,
	.page_alloc = f_alloc, .page_free = f_free,
};

static void ffx_open(struct ffx *x)
{
	struct liommu_unit_config uc = { .inval = LIOMMU_INVAL_QUEUED, .timeout_us = 50000 };

	memset(x, 0, sizeof(*x));
	cur_ffx = x;
	x->f = fake_vtd_new(FAKE_QEMU_CAP, FAKE_QEMU_ECAP);
	ck_assert_ptr_nonnull(x->f);
	ck_assert_int_eq(liommu_platform_new(&filter_ops, NULL, &x->filter), 0);
	ck_assert_int_eq(liommu_unit_new(x->filter, &uc, &x->u), 0);
}

static void ffx_close(struct ffx *x)
{
	liommu_unit_free(x->u);
	liommu_platform_free(x->filter);
	fake_vtd_free(x->f);
	cur_ffx = NULL;
}

/* The descriptors and commands, checked against encodings worked out
 * by hand from the spec rather than through vtd.h's helpers. */
START_TEST(fake_sees_the_spec_sequence)
{
	struct liommu_ir_config ic = { .entries = 512 };
	struct liommu_ir_table *t;
	unsigned int w0, d0, i;
	uint16_t idx;
	struct ffx x;
	uint64_t irta;

	ffx_open(&x);
	w0 = x.f->gcmd_writes;
	d0 = x.f->ndescs;
	ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &t), 0);
	/* IRTA: base | S = 8 (2^9 = 512 entries), EIME 0 (11.4.10). */
	irta = fake_rd64(x.f, VTD_IRTA_REG);
	ck_assert_uint_eq(irta & 0xfff, 8);
	ck_assert_uint_eq(irta & ~0xfffull, liommu_ir_irta(t) & ~0xfffull);
	ck_assert_uint_eq((irta & ~0xfffull) % VTD_PAGE_SIZE, 0);
	/* GCMD: SIRTP (bit 24), then IRE (bit 25) with QIE (26) kept; CFI
	 * (23) already off, so not written.  One command per write. */
	ck_assert_uint_eq(x.f->gcmd_writes - w0, 2);
	ck_assert_uint_eq(x.f->gcmd_log[w0], (1u << 26) | (1u << 24));
	ck_assert_uint_eq(x.f->gcmd_log[w0 + 1], (1u << 26) | (1u << 25));
	ck_assert_uint_eq(x.f->gcmd_violations, 0);
	/* Between them: a global IEC invalidation (type 4, G = 0) and its
	 * wait (6.5.2.7). */
	ck_assert_uint_eq(x.f->ndescs - d0, 2);
	ck_assert_uint_eq(x.f->descs[d0].lo, 0x4);
	ck_assert_uint_eq(x.f->descs[d0].hi, 0);
	ck_assert_uint_eq(x.f->descs[d0 + 1].lo & 0xf, 0x5);

	ck_assert_int_eq(liommu_ir_alloc(t, 8, &idx), 0);
	ck_assert_int_eq(liommu_ir_alloc(t, 8, &idx), 0);
	ck_assert_uint_eq(idx, 8);
	d0 = x.f->ndescs;
	ck_assert_int_eq(liommu_ir_free(t, idx, 8), 0);
	/* Index-selective: G (bit 4), IM = 3 (31:27), IIDX = 8 (47:32). */
	ck_assert_uint_eq(x.f->descs[d0].lo, 0x4 | (1u << 4) | (3u << 27) | (8ull << 32));
	/* Every cleared entry is zero in memory. */
	for (i = 0; i < 8; i++) {
		struct vtd_irte e;

		ck_assert_int_eq(liommu_ir_get(t, (uint16_t)(idx + i), &e), 0);
		ck_assert_uint_eq(e.lo | e.hi, 0);
	}
	w0 = x.f->gcmd_writes;
	d0 = x.f->ndescs;
	liommu_ir_disable(t);
	/* IRE off (QIE kept), then a global IEC flush. */
	ck_assert_uint_eq(x.f->gcmd_log[w0], 1u << 26);
	ck_assert_uint_eq(x.f->descs[d0].lo, 0x4);
	ffx_close(&x);
}
END_TEST

START_TEST(fake_sirtp_timeout)
{
	struct liommu_ir_table *t = (void *)1;
	unsigned int live;
	struct ffx x;

	ffx_open(&x);
	live = x.f->pages_live;
	x.f->gcmd_stuck = true;
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), -ETIMEDOUT);
	ck_assert_ptr_null(t);
	/* IRE never came on: the unit cannot read the table, it is freed. */
	ck_assert_uint_eq(x.f->pages_live, live);
	x.f->gcmd_stuck = false;
	ffx_close(&x);
}
END_TEST

START_TEST(fake_iec_timeout_at_enable)
{
	struct liommu_ir_table *t = (void *)1;
	unsigned int live;
	struct ffx x;

	ffx_open(&x);
	live = x.f->pages_live;
	x.f->qi_stuck = true;
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), -ETIMEDOUT);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(x.f->pages_live, live);
	ck_assert(!(fake_rd32(x.f, VTD_GSTS_REG) & VTD_GSTS_IRES));
	x.f->qi_stuck = false;
	fake_vtd_kick(x.f);
	ffx_close(&x);
}
END_TEST

START_TEST(fake_ire_never_acknowledged_leaks_table)
{
	struct liommu_ir_table *t = (void *)1;
	unsigned int live;
	struct ffx x;

	ffx_open(&x);
	live = x.f->pages_live;
	x.drop_ire = true;
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), -ETIMEDOUT);
	ck_assert_ptr_null(t);
	/* IRE may still come on: the table page is never handed back. */
	ck_assert_uint_eq(x.f->pages_live, live + 1);
	ffx_close(&x);
}
END_TEST

START_TEST(fake_disable_not_acknowledged_leaks_table)
{
	struct liommu_ir_table *t;
	unsigned int live;
	struct ffx x;

	ffx_open(&x);
	live = x.f->pages_live;
	ck_assert_int_eq(liommu_ir_enable(x.u, NULL, &t), 0);
	x.f->gcmd_stuck = true;
	liommu_ir_disable(t);
	ck_assert_uint_eq(x.f->pages_live, live + 1);
	x.f->gcmd_stuck = false;
	ffx_close(&x);
}
END_TEST

START_TEST(fake_failed_invalidation_keeps_block_out_of_reuse)
{
	struct liommu_ir_config ic = { .entries = 16 };
	struct liommu_irte_remap r = ir_entry(0x40, 1);
	struct liommu_ir_stats st;
	struct liommu_ir_table *t;
	uint16_t idx, other;
	struct ffx x;
	int n = 0;

	ffx_open(&x);
	ck_assert_int_eq(liommu_ir_enable(x.u, &ic, &t), 0);
	ck_assert_int_eq(liommu_ir_alloc(t, 4, &idx), 0);
	x.f->qi_stuck = true;
	/* The entry is written; the invalidation is reported as failed. */
	ck_assert_int_eq(liommu_ir_set_remap(t, idx, &r, 0), -ETIMEDOUT);
	ck_assert_int_eq(liommu_ir_free(t, idx, 4), -ETIMEDOUT);
	x.f->qi_stuck = false;
	fake_vtd_kick(x.f);
	liommu_ir_get_stats(t, &st);
	ck_assert_uint_eq(st.leaked, 4);
	/* A second free of the retired block is refused, its entries can
	 * no longer be written... */
	ck_assert_int_eq(liommu_ir_free(t, idx, 4), -EINVAL);
	ck_assert_int_eq(liommu_ir_set_remap(t, idx, &r, 0), -ENOENT);
	ck_assert_int_eq(liommu_ir_clear(t, (uint16_t)(idx + 3), 0), -ENOENT);
	/* ...and the table has room for 12 more entries, not 16. */
	while (liommu_ir_alloc(t, 1, &other) == 0) {
		ck_assert(other < idx || other >= idx + 4);
		n++;
	}
	ck_assert_int_eq(n, 12);
	liommu_ir_disable(t);
	ffx_close(&x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define THREADS		4
#define ITERS		300

struct thr {
	struct fx *x;
	unsigned int id;
	_Atomic unsigned int *owner;
};

static void *worker(void *arg)
{
	struct thr *th = arg;
	struct liommu_ir_table *t = th->x->t;
	unsigned int seed = th->id * 7919u + 1, it, i;

	for (it = 0; it < ITERS; it++) {
		unsigned int count = 1u << (rand_r(&seed) % 6);
		uint16_t idx;
		int ret = liommu_ir_alloc(t, count, &idx);

		if (ret == -ENOSPC)
			continue;
		ck_assert_int_eq(ret, 0);
		ck_assert_uint_eq(idx % count, 0);
		/* Nobody else holds any entry of the block. */
		for (i = 0; i < count; i++) {
			unsigned int zero = 0;

			ck_assert(atomic_compare_exchange_strong(&th->owner[idx + i], &zero,
								 th->id + 1));
		}
		for (i = 0; i < count; i++) {
			struct liommu_irte_remap r = ir_entry((uint8_t)(0x20 + th->id), th->id);
			struct vtd_irte e;

			ck_assert_int_eq(liommu_ir_set_remap(t, (uint16_t)(idx + i), &r, 0), 0);
			ck_assert_int_eq(liommu_ir_get(t, (uint16_t)(idx + i), &e), 0);
			ck_assert_uint_eq(vtd_field_get(VTD_IRTE_LO_V, e.lo), 0x20 + th->id);
		}
		/* Deliveries from this thread's block see this thread's entry. */
		{
			struct liommu_msi_msg msg = ir_msg(liommu_ir_entries(t), idx, true,
							   (uint16_t)(count - 1));
			struct ir_outcome o;

			ck_assert_int_eq(model_fire(th->x->sim, DEV_SID, msg.addr, msg.data,
						    &o), 0);
			ck_assert(o.delivered);
			ck_assert_uint_eq(o.vector, 0x20 + th->id);
		}
		for (i = 0; i < count; i++)
			atomic_store(&th->owner[idx + i], 0);
		ck_assert_int_eq(liommu_ir_free(t, idx, count), 0);
	}
	return NULL;
}

START_TEST(threads_alloc_set_free)
{
	struct liommu_ir_config ic = { .entries = 128 };
	static _Atomic unsigned int owner[128];
	pthread_t tid[THREADS];
	struct thr th[THREADS];
	struct liommu_ir_stats st;
	struct fx x;
	unsigned int i;

	fx_open(&x, NULL, NULL, &ic);
	for (i = 0; i < 128; i++)
		atomic_init(&owner[i], 0);
	for (i = 0; i < THREADS; i++) {
		th[i] = (struct thr){ &x, i, owner };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, worker, &th[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	liommu_ir_get_stats(x.t, &st);
	ck_assert_uint_eq(st.allocated, 0);
	ck_assert_uint_eq(st.leaked, 0);
	fx_close(&x);
}
END_TEST

Suite *irq_remap_suite(void);

Suite *irq_remap_suite(void)
{
	Suite *s = suite_create("irq-remap");
	TCase *tc;

	tc = tcase_create("setup");
	tcase_add_loop_test(tc, setup_programs_irta_sirtp_ire, 0,
			    sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, esirtps_skips_the_global_flush);
	tcase_add_test(tc, disable_lets_interrupts_through);
	tcase_add_test(tc, compat_policy);
	tcase_add_test(tc, x2apic_destinations);
	tcase_add_test(tc, x2apic_needs_eim);
	tcase_add_test(tc, discontiguous_pages_refused);
	tcase_add_test(tc, enable_rejections);
	suite_add_tcase(s, tc);

	tc = tcase_create("remap");
	tcase_add_loop_test(tc, scenario_on_model, 0, SC_COUNT);
	tcase_add_test(tc, shv_with_reserved_data_faults);
	tcase_add_test(tc, index_past_a_full_table);
	tcase_add_test(tc, clear_is_stale_until_synced);
	tcase_add_test(tc, free_invalidates_before_reuse);
	tcase_add_test(tc, block_above_mhmv_is_flushed_globally);
	tcase_add_test(tc, posted_entries);
	tcase_add_test(tc, entry_rejections);
	suite_add_tcase(s, tc);

	tc = tcase_create("broken-unit");
	tcase_add_test(tc, fake_sees_the_spec_sequence);
	tcase_add_test(tc, fake_sirtp_timeout);
	tcase_add_test(tc, fake_iec_timeout_at_enable);
	tcase_add_test(tc, fake_ire_never_acknowledged_leaks_table);
	tcase_add_test(tc, fake_disable_not_acknowledged_leaks_table);
	tcase_add_test(tc, fake_failed_invalidation_keeps_block_out_of_reuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("alloc");
	tcase_add_loop_test(tc, alloc_aligned_until_exhausted, 0,
			    sizeof(counts) / sizeof(counts[0]));
	tcase_add_test(tc, alloc_fragmented_table);
	tcase_add_test(tc, alloc_and_free_rejections);
	tcase_add_test(tc, threads_alloc_set_free);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
