// SPDX-License-Identifier: MIT
/*
 * check-irq-remap-qemu.c - irq-remap against QEMU 7.2's interrupt remapping
 * (intel-iommu,intremap=on), an implementation nobody here wrote.
 *
 * The remapping table is set up and filled through irq-remap; edu's MSI
 * is programmed with the remappable-format message liommu_msi_compose()
 * builds and raised; tests/ir-qemu.h says how delivery and faults are
 * observed.  Covered:
 *  (a) valid entries deliver the entry's vector, destination, modes to
 *      the local APIC (trace and IRR) and record no fault;
 *  (b) a not-present entry, an out-of-range handle, a source-id failing
 *      validation (requester-id, bus range with start == end, reserved
 *      SVT) and a reserved bit each make QEMU drop the interrupt with
 *      the matching reason, and record no fault (QEMU 7.2 does not
 *      report interrupt-remapping faults);
 *  (c) an entry changed without IEC invalidation: QEMU 7.2 has no
 *      interrupt entry cache (vtd_irte_get() reads the table on every
 *      interrupt), so the new entry is used at once, and after the
 *      invalidation too.
 * Plus an I/OxAPIC pin in remappable format (the RTE from
 * liommu_ioapic_rte_compose()), the set-up registers as QEMU latched
 * them, and QEMU's departures (no CFI, compatibility format always
 * passed through).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <liommu/irq-remap.h>
#include <liommu/qemu.h>

#include "ir-qemu.h"

Suite *irq_remap_qemu_suite(void);

static void no_fault_recorded(struct ir_qemu *iq)
{
	struct liommu_fault f;
	uint32_t fsts = liommu_platform_get_ops(liommu_qemu_platform(iq->q))->read32(
		liommu_platform_get_priv(liommu_qemu_platform(iq->q)), VTD_FSTS_REG);

	ck_assert_uint_eq(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO), 0);
	ck_assert_int_eq(liommu_unit_read_faults(iq->u, &f, 1, NULL), 0);
}

START_TEST(setup_as_qemu_latches_it)
{
	const struct liommu_platform_ops *ops;
	struct liommu_ir_config ic = { .entries = 4096 };
	struct ir_qemu iq;
	void *priv;
	uint32_t gsts;

	ir_qemu_open(&iq, &ic);
	ops = liommu_platform_get_ops(liommu_qemu_platform(iq.q));
	priv = liommu_platform_get_priv(liommu_qemu_platform(iq.q));
	ck_assert_uint_eq(ops->read64(priv, VTD_IRTA_REG), liommu_ir_irta(iq.t));
	ck_assert_uint_eq(vtd_irta_entries(liommu_ir_irta(iq.t)), 4096);
	gsts = ops->read32(priv, VTD_GSTS_REG);
	ck_assert(gsts & VTD_GSTS_IRES);
	ck_assert(gsts & VTD_GSTS_IRTPS);
	ck_assert(gsts & VTD_GSTS_QIES);
	ck_assert(!(gsts & VTD_GSTS_CFIS));
	/* An index in the last page of the 16-page table reaches QEMU. */
	{
		struct liommu_irte_remap r = ir_entry(0x90, 0);
		struct liommu_msi_msg msg;
		struct ir_outcome o;
		uint16_t idx = 0;
		unsigned int i;

		for (i = 0; i < 4096 / 32; i++)
			ck_assert_int_eq(liommu_ir_alloc(iq.t, 32, &idx), 0);
		ck_assert_uint_eq(idx, 4096 - 32);
		ck_assert_int_eq(liommu_ir_set_remap(iq.t, 4095, &r, 0), 0);
		msg = ir_msg(4096, 4095, false, 0);
		ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
		ck_assert(o.delivered);
		ck_assert_uint_eq(o.vector, 0x90);
	}
	liommu_ir_disable(iq.t);
	iq.t = NULL;
	ck_assert(!(ops->read32(priv, VTD_GSTS_REG) & VTD_GSTS_IRES));
	ir_qemu_close(&iq);
}
END_TEST

/* (a) and (b): one scenario per QEMU (QEMU names a fault reason only
 * the first time a given check fails in the process). */
static const enum ir_scenario qemu_rows[] = {
	SC_DELIVER, SC_DELIVER_ATTRS, SC_DELIVER_SQ, SC_DELIVER_BUS, SC_SUBHANDLE,
	SC_NOT_PRESENT, SC_INDEX, SC_SID, SC_BUS, SC_SVT3, SC_RSVD,
};

START_TEST(scenario_on_qemu)
{
	enum ir_scenario sc = qemu_rows[_i];
	struct ir_step s[IR_MAX_STEPS];
	uint64_t irr0[4], irr1[4];
	char got[96], want[96];
	struct ir_qemu iq;
	unsigned int n;

	ir_qemu_open(&iq, &(struct liommu_ir_config){ 0 });
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr0), 0);
	n = ir_run(&iq.b, sc, s);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr1), 0);
	ir_outcome_str(&s[0].got, got, sizeof(got));
	ir_outcome_str(&s[0].want, want, sizeof(want));
	ck_assert_msg(ir_outcome_eq(&s[0].got, &s[0].want), "%s: got %s, want %s; qemu: %s",
		      ir_scenario_names[sc], got, want, iq.last);
	if (s[0].want.delivered) {
		/* QEMU's own record of the remapping names the entry. */
		ck_assert_ptr_nonnull(strstr(iq.last, "vtd_ir_remap "));
		/* A fixed interrupt to physical APIC 0 is pending there. */
		if (s[0].want.dest == 0 && !s[0].want.dest_logical &&
		    s[0].want.dlm == VTD_DLM_FIXED) {
			ck_assert(!ir_irr_test(irr0, s[0].want.vector));
			ck_assert(ir_irr_test(irr1, s[0].want.vector));
		}
	} else {
		/* Dropped: nothing reaches the APIC. */
		ck_assert(memcmp(irr0, irr1, sizeof(irr0)) == 0);
		ck_assert_ptr_null(strstr(iq.last, "apic_deliver_irq"));
	}
	/* QEMU 7.2 records no interrupt-remapping fault either way. */
	no_fault_recorded(&iq);
	ir_qemu_close(&iq);
}
END_TEST

/* (a) The destination field picks the APIC: with two CPUs, each
 * entry's vector lands in its own APIC's IRR only. */
START_TEST(destination_selects_the_apic)
{
	struct liommu_irte_remap r0 = ir_entry(0xb0, 0), r1 = ir_entry(0xb1, 1);
	uint64_t irr0[4], irr1[4];
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct ir_qemu iq;
	uint16_t idx;

	ir_qemu_open_cpus(&iq, &(struct liommu_ir_config){ 0 }, 2);
	ck_assert_int_eq(liommu_ir_alloc(iq.t, 2, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_remap(iq.t, idx, &r0, 0), 0);
	ck_assert_int_eq(liommu_ir_set_remap(iq.t, (uint16_t)(idx + 1), &r1, 0), 0);
	msg = ir_msg(liommu_ir_entries(iq.t), idx, false, 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
	ck_assert(ir_outcome_eq(&o, &(struct ir_outcome){ true, 0xb0, 0, false, 0, false, 0 }));
	msg = ir_msg(liommu_ir_entries(iq.t), (uint16_t)(idx + 1), false, 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
	ck_assert(ir_outcome_eq(&o, &(struct ir_outcome){ true, 0xb1, 1, false, 0, false, 0 }));
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr0), 0);
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 1, irr1), 0);
	ck_assert(ir_irr_test(irr0, 0xb0));
	ck_assert(!ir_irr_test(irr0, 0xb1));
	ck_assert(ir_irr_test(irr1, 0xb1));
	ck_assert(!ir_irr_test(irr1, 0xb0));
	no_fault_recorded(&iq);
	ir_qemu_close(&iq);
}
END_TEST

/*
 * An I/OxAPIC pin in remappable format (5.1.5.1): the redirection entry
 * from liommu_ioapic_rte_compose() names the IRTE, QEMU's I/OAPIC turns
 * the pin into a remappable MSI (SHV = 0, handle from RTE bits 63:49 and
 * 11) that goes through the same remapping.  The pin is raised with
 * qtest's set_irq_in on q35's I/OAPIC (QOM path /machine/q35/ioapic).
 */
#define IOAPIC_BASE	0xfec00000u	/* IOREGSEL; IOWIN at +0x10 */
#define IOAPIC_PIN	14

static void ioapic_write_rte(struct ir_qemu *iq, unsigned int pin, uint64_t rte)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "writel 0x%x 0x%x", IOAPIC_BASE, 0x10 + 2 * pin + 1);
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
	snprintf(cmd, sizeof(cmd), "writel 0x%x 0x%x", IOAPIC_BASE + 0x10,
		 (unsigned int)(rte >> 32));
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
	snprintf(cmd, sizeof(cmd), "writel 0x%x 0x%x", IOAPIC_BASE, 0x10 + 2 * pin);
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
	snprintf(cmd, sizeof(cmd), "writel 0x%x 0x%x", IOAPIC_BASE + 0x10, (unsigned int)rte);
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
}

/* Pulse the pin (edge) and return what QEMU printed meanwhile. */
static void ioapic_pulse(struct ir_qemu *iq, unsigned int pin, struct ir_outcome *o)
{
	char cmd[96], *text;
	size_t off;

	ck_assert_int_eq(liommu_qemu_stderr(iq->q, 0, &text, &off), 0);
	free(text);
	snprintf(cmd, sizeof(cmd), "set_irq_in /machine/q35/ioapic unnamed-gpio-in %u 1", pin);
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
	snprintf(cmd, sizeof(cmd), "set_irq_in /machine/q35/ioapic unnamed-gpio-in %u 0", pin);
	ck_assert_int_eq(liommu_qemu_qtest(iq->q, cmd, NULL, 0), 0);
	ck_assert_int_eq(liommu_qemu_stderr(iq->q, off, &text, NULL), 0);
	ir_qemu_parse(text, o);
	free(iq->last);
	iq->last = text;
}

START_TEST(ioapic_pin_remapped)
{
	struct liommu_irte_remap r = ir_entry(0xc3, 0);
	struct liommu_ioapic_rte rte = { .vector = 0xc3 };
	struct ir_outcome o;
	struct ir_qemu iq;
	uint64_t raw, irr[4];
	uint16_t idx, unused;

	ir_qemu_open(&iq, &(struct liommu_ir_config){ 0 });
	ck_assert_int_eq(liommu_ir_alloc(iq.t, 1, &unused), 0);
	ck_assert_int_eq(liommu_ir_alloc(iq.t, 1, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_remap(iq.t, idx, &r, 0), 0);
	rte.handle = idx;
	ck_assert_int_eq(liommu_ioapic_rte_compose(&rte, liommu_ir_entries(iq.t), &raw), 0);
	ioapic_write_rte(&iq, IOAPIC_PIN, raw);
	ioapic_pulse(&iq, IOAPIC_PIN, &o);
	ck_assert_msg(ir_outcome_eq(&o, &(struct ir_outcome){ true, 0xc3, 0, false, 0,
							       false, 0 }), "qemu: %s", iq.last);
	/* QEMU saw the index from the RTE, not from anywhere else. */
	{
		char want[48];

		snprintf(want, sizeof(want), "vtd_ir_remap index %u ", idx);
		ck_assert_ptr_nonnull(strstr(iq.last, want));
	}
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr), 0);
	ck_assert(ir_irr_test(irr, 0xc3));
	/* The same pin pointed at a not-present entry is dropped. */
	rte.handle = unused;
	ck_assert_int_eq(liommu_ioapic_rte_compose(&rte, liommu_ir_entries(iq.t), &raw), 0);
	ioapic_write_rte(&iq, IOAPIC_PIN, raw);
	ioapic_pulse(&iq, IOAPIC_PIN, &o);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_P);
	no_fault_recorded(&iq);
	ir_qemu_close(&iq);
}
END_TEST

/* (c) QEMU 7.2 has no IEC: a change is seen before the invalidation. */
START_TEST(change_without_invalidation)
{
	struct ir_step s[IR_MAX_STEPS];
	struct ir_qemu iq;
	uint64_t irr[4];
	unsigned int n, i;

	ir_qemu_open(&iq, &(struct liommu_ir_config){ 0 });
	n = ir_run(&iq.b, SC_STALE, s);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_msg(ir_outcome_eq(&s[i].got, &s[i].want), "step %u: qemu: %s",
			      i, iq.last);
	ck_assert(s[1].cache_dependent);
	ck_assert(!ir_outcome_eq(&s[1].got, &s[1].old));
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr), 0);
	ck_assert(ir_irr_test(irr, s[0].want.vector));
	ck_assert(ir_irr_test(irr, s[1].want.vector));
	no_fault_recorded(&iq);
	ir_qemu_close(&iq);
}
END_TEST

START_TEST(clear_without_invalidation)
{
	struct liommu_irte_remap r = ir_entry(0x77, 0);
	struct liommu_msi_msg msg;
	struct ir_outcome o;
	struct ir_qemu iq;
	uint16_t idx;

	ir_qemu_open(&iq, &(struct liommu_ir_config){ 0 });
	ck_assert_int_eq(liommu_ir_alloc(iq.t, 1, &idx), 0);
	ck_assert_int_eq(liommu_ir_set_remap(iq.t, idx, &r, 0), 0);
	msg = ir_msg(liommu_ir_entries(iq.t), idx, false, 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
	ck_assert(o.delivered);
	ck_assert_int_eq(liommu_ir_clear(iq.t, idx, LIOMMU_IR_NOSYNC), 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
	ck_assert(!o.delivered);
	ck_assert_uint_eq(o.reason, VTD_FR_IR_P);
	/* The freed index is invalidated through QEMU's queue (the IEC
	 * descriptor is accepted: no IQE) and stays blocked. */
	ck_assert_int_eq(liommu_ir_free(iq.t, idx, 1), 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, msg.addr, msg.data, &o), 0);
	ck_assert(!o.delivered);
	ir_qemu_close(&iq);
}
END_TEST

/*
 * QEMU 7.2 departures: no GCMD.CFI handling at all (vtd_handle_gcmd_
 * write() has no CFI case, so GSTS.CFIS never sets), and compatibility-
 * format interrupts pass through whatever CFI says (vtd_interrupt_
 * remap_msi(): "This is compatible mode"), where the spec blocks them
 * with fault 0x25 unless CFIS.
 */
START_TEST(qemu_has_no_cfi)
{
	struct liommu_ir_config ic = { .allow_compat = true };
	struct liommu_ir_table *t = (void *)1;
	struct ir_outcome o;
	struct ir_qemu iq;
	uint64_t irr[4];

	ir_qemu_open(&iq, NULL);
	ck_assert_int_eq(liommu_ir_enable(iq.u, &ic, &t), -ETIMEDOUT);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(liommu_ir_enable(iq.u, NULL, &iq.t), 0);
	ck_assert_int_eq(ir_qemu_fire(&iq, iq.b.sid, VTD_MSI_ADDR_BASE, 0x9a, &o), 0);
	ck_assert(o.delivered);
	ck_assert_uint_eq(o.vector, 0x9a);
	ck_assert_int_eq(liommu_qemu_lapic_irr(iq.q, 0, irr), 0);
	ck_assert(ir_irr_test(irr, 0x9a));
	ir_qemu_close(&iq);
}
END_TEST

START_TEST(qemu_helpers_reject_bad_arguments)
{
	struct liommu_qemu_config qc = { .intremap = true, .trace = "apic_*,bad pattern" };
	struct liommu_qemu *q = NULL;
	uint64_t irr[4];
	char *text;

	ck_assert_int_eq(liommu_qemu_start(&qc, &q), -EINVAL);
	qc.trace = "apic_deliver_irq,";
	ck_assert_int_eq(liommu_qemu_start(&qc, &q), -EINVAL);
	qc.trace = ",";
	ck_assert_int_eq(liommu_qemu_start(&qc, &q), -EINVAL);
	qc.trace = "a,b,c,d,e,f,g,h,i";
	ck_assert_int_eq(liommu_qemu_start(&qc, &q), -EINVAL);
	qc.trace = NULL;
	qc.cpus = 9;
	ck_assert_int_eq(liommu_qemu_start(&qc, &q), -EINVAL);
	qc.cpus = 0;
	ck_assert_int_eq(liommu_qemu_stderr(NULL, 0, &text, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_lapic_irr(NULL, 0, irr), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_msi_setup(NULL, 0, 0, true), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_raise_irq(NULL), -EINVAL);
	/* Without QMP there is no monitor to ask. */
	ck_assert_int_eq(liommu_qemu_start(&qc, &q), 0);
	ck_assert_int_eq(liommu_qemu_lapic_irr(q, 0, irr), -ENOTCONN);
	ck_assert_int_eq(liommu_qemu_lapic_irr(q, 0, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_stderr(q, 0, NULL, NULL), -EINVAL);
	/* Reading past the end gives empty text. */
	ck_assert_int_eq(liommu_qemu_stderr(q, 1u << 30, &text, NULL), 0);
	ck_assert_str_eq(text, "");
	free(text);
	liommu_qemu_stop(q);
}
END_TEST

Suite *irq_remap_qemu_suite(void)
{
	Suite *s = suite_create("irq-remap-qemu");
	TCase *tc;

	tc = tcase_create("qemu");
	tcase_add_test(tc, setup_as_qemu_latches_it);
	tcase_add_loop_test(tc, scenario_on_qemu, 0,
			    sizeof(qemu_rows) / sizeof(qemu_rows[0]));
	tcase_add_test(tc, destination_selects_the_apic);
	tcase_add_test(tc, ioapic_pin_remapped);
	tcase_add_test(tc, change_without_invalidation);
	tcase_add_test(tc, clear_without_invalidation);
	tcase_add_test(tc, qemu_has_no_cfi);
	tcase_add_test(tc, qemu_helpers_reject_bad_arguments);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
