/* SPDX-License-Identifier: MIT */
/*
 * ir-qemu.h - QEMU 7.2 as an interrupt-remapping backend for
 * ir-bench.h (check-irq-remap-qemu, check-irq-remap-diff).
 *
 * QEMU runs with intel-iommu,intremap=on and edu; the driver (unit,
 * remapping table) programs QEMU's VT-d model through the qemu
 * platform.  Firing a message programs edu's MSI capability with it and
 * makes edu raise its interrupt: QEMU sends the MSI through edu's bus
 * master address space into the IOMMU's interrupt window
 * (vtd_mem_ir_write()), remaps it and hands the result to the local
 * APICs, all before the qtest write returns.
 *
 * What is observable, and how:
 *  - a remapped interrupt: the trace event apic_deliver_irq (dest,
 *    dest_mode, delivery_mode, vector, trigger_mode) printed when QEMU
 *    delivers it, and the vector pending in the APIC's IRR ("info
 *    lapic" over QMP; the CPU halts with interrupts off, so it stays);
 *  - a blocked interrupt: QEMU 7.2 records no fault (vtd_mem_ir_write()
 *    drops it: "TODO: report error"); the reason is only in the
 *    error_report_once() of the check that failed, printed the first
 *    time that check fails in the process.  Each fault scenario
 *    therefore runs in a QEMU of its own.
 */
#ifndef CHECK_IR_QEMU_H
#define CHECK_IR_QEMU_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <liommu/irq-remap.h>
#include <liommu/qemu.h>

#include "ir-bench.h"

#define IR_QEMU_TRACE	"apic_deliver_irq,vtd_ir_remap,vtd_ir_irte_get"

struct ir_qemu {
	struct liommu_qemu *q;
	struct liommu_unit *u;
	struct liommu_ir_table *t;
	struct ir_bench b;
	char *last;		/* QEMU's stderr for the last message fired */
};

/* QEMU 7.2's diagnostics (hw/i386/intel_iommu.c) and the fault reason
 * each stands for. */
static const struct {
	const char *text;
	uint8_t reason;
} ir_qemu_reasons[] = {
	{ "vtd_irte_get: index too large", VTD_FR_IR_INDEX },
	{ "vtd_irte_get: read failed", VTD_FR_IR_ACCESS },
	{ "vtd_irte_get: detected non-present IRTE", VTD_FR_IR_P },
	{ "vtd_irte_get: detected non-zero reserved IRTE", VTD_FR_IR_RSVD },
	{ "vtd_irte_get: invalid IRTE SID", VTD_FR_IR_SID },
	{ "vtd_irte_get: invalid SVT_BUS", VTD_FR_IR_SID },
	{ "vtd_irte_get: detected invalid IRTE SVT", VTD_FR_IR_SID },
	{ "vtd_interrupt_remap_msi: invalid IR MSI", VTD_FR_IR_REQ_RSVD },
	{ "vtd_interrupt_remap_msi: MSI address", VTD_FR_IR_REQ_RSVD },
};

/* Parse what QEMU printed while one message was handled. */
static inline void ir_qemu_parse(const char *text, struct ir_outcome *o)
{
	const char *p = strstr(text, "apic_deliver_irq ");
	unsigned int dest, dm, dlm, vec, tm;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (p) {
		ck_assert_int_eq(sscanf(p, "apic_deliver_irq dest %u dest_mode %u "
					"delivery_mode %u vector %u trigger_mode %u",
					&dest, &dm, &dlm, &vec, &tm), 5);
		*o = ir_delivered((uint8_t)vec, dest, dm, (uint8_t)dlm, tm);
		/* One message, one delivery. */
		ck_assert_ptr_null(strstr(p + 1, "apic_deliver_irq "));
		return;
	}
	for (i = 0; i < sizeof(ir_qemu_reasons) / sizeof(ir_qemu_reasons[0]); i++) {
		if (strstr(text, ir_qemu_reasons[i].text)) {
			*o = ir_fault(ir_qemu_reasons[i].reason);
			return;
		}
	}
	*o = ir_fault(0);
}

static inline int ir_qemu_fire(void *ctx, uint16_t sid, uint64_t addr, uint32_t data,
			       struct ir_outcome *o)
{
	struct ir_qemu *iq = ctx;
	size_t off;
	char *text;
	int r;

	/* edu is the requester: its source-id is what QEMU checks. */
	ck_assert_uint_eq(sid, liommu_qemu_edu_sid(iq->q));
	r = liommu_qemu_edu_msi_setup(iq->q, addr, data, true);
	if (r)
		return r;
	r = liommu_qemu_stderr(iq->q, 0, &text, &off);
	if (r)
		return r;
	free(text);
	r = liommu_qemu_edu_raise_irq(iq->q);
	if (r)
		return r;
	r = liommu_qemu_stderr(iq->q, off, &text, NULL);
	if (r)
		return r;
	ir_qemu_parse(text, o);
	free(iq->last);
	iq->last = text;
	return 0;
}

static inline void ir_qemu_log(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level <= 3)
		fprintf(stderr, "liommu: %s\n", msg);
}

/* QEMU with @cpus CPUs, a unit with queued invalidation and (with @ic)
 * a table. */
static inline void ir_qemu_open_cpus(struct ir_qemu *iq, const struct liommu_ir_config *ic,
				     unsigned int cpus)
{
	struct liommu_qemu_config qc = {
		.intremap = true, .qmp = true, .trace = IR_QEMU_TRACE,
		.cpus = cpus, .log = ir_qemu_log,
	};
	struct liommu_unit_config uc = { .inval = LIOMMU_INVAL_QUEUED,
					 .timeout_us = 300000, .log = ir_qemu_log };

	memset(iq, 0, sizeof(*iq));
	ck_assert_int_eq(liommu_qemu_start(&qc, &iq->q), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_qemu_platform(iq->q), &uc, &iq->u), 0);
	if (ic)
		ck_assert_int_eq(liommu_ir_enable(iq->u, ic, &iq->t), 0);
	iq->b = (struct ir_bench){ iq->u, iq->t, liommu_qemu_edu_sid(iq->q),
				   ir_qemu_fire, iq, 0x30 };
}

static inline void ir_qemu_open(struct ir_qemu *iq, const struct liommu_ir_config *ic)
{
	ir_qemu_open_cpus(iq, ic, 1);
}

static inline void ir_qemu_close(struct ir_qemu *iq)
{
	liommu_ir_disable(iq->t);
	liommu_unit_free(iq->u);
	liommu_qemu_stop(iq->q);
	free(iq->last);
}

static inline bool ir_irr_test(const uint64_t irr[4], uint8_t v)
{
	return (irr[v / 64] >> (v % 64)) & 1;
}

#endif /* CHECK_IR_QEMU_H */
