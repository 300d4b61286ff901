/* SPDX-License-Identifier: MIT */
/*
 * ir-bench.h - interrupt-remapping scenarios shared by check-irq-remap,
 * check-irq-remap-qemu and check-irq-remap-diff.
 *
 * A scenario programs a remapping table through the irq-remap API (the
 * same driver code on every unit), builds the message a device would
 * send, and "fires" it through a backend: the software model
 * (liommu_model_msi()) or QEMU 7.2 (edu's MSI, observed through QEMU's
 * trace events and diagnostics).  Each step records what happened and
 * what the specification says must happen, so the same table drives the
 * single-unit tests and the differential test.
 */
#ifndef CHECK_IR_BENCH_H
#define CHECK_IR_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include <liommu/irq-remap.h>
#include <liommu/irte.h>
#include <liommu/liommu.h>
#include <liommu/vtd.h>

#include "ir-table.h"

/* What one interrupt request became. */
struct ir_outcome {
	bool delivered;
	uint8_t vector;
	uint32_t dest;
	bool dest_logical;
	uint8_t dlm;
	bool level;
	/* !delivered: the fault reason (VTD_FR_IR_*), 0 when the backend
	 * dropped the request without saying why. */
	uint8_t reason;
};

typedef int (*ir_fire_fn)(void *ctx, uint16_t sid, uint64_t addr, uint32_t data,
			  struct ir_outcome *o);

struct ir_bench {
	struct liommu_unit *unit;
	struct liommu_ir_table *t;
	uint16_t sid;		/* the device's requester-id */
	ir_fire_fn fire;
	void *ctx;
	unsigned int vector;	/* next fresh vector */
};

/* One observation: @got from the backend, @want from the spec.  With
 * @cache_dependent the spec allows the old or the new entry (an entry
 * changed without IEC invalidation, 6.5.2.7): @want is the new one,
 * @old the cached one. */
struct ir_step {
	struct ir_outcome got;
	struct ir_outcome want;
	struct ir_outcome old;
	bool cache_dependent;
};

#define IR_MAX_STEPS	4

enum ir_scenario {
	SC_DELIVER,		/* fixed, physical, APIC 0 */
	SC_DELIVER_ATTRS,	/* lowest priority, logical, level, dest 5 */
	SC_DELIVER_SQ,		/* SVT = 01b, SQ ignores the function */
	SC_DELIVER_BUS,		/* SVT = 10b, start == end == the bus */
	SC_SUBHANDLE,		/* multi-message block, SHV + subhandle */
	SC_NOT_PRESENT,		/* 0x22 */
	SC_INDEX,		/* 0x21 */
	SC_SID,			/* 0x26, requester-id mismatch */
	SC_BUS,			/* 0x26, bus outside the range */
	SC_SVT3,		/* 0x26, reserved SVT */
	SC_RSVD,		/* 0x24 */
	SC_STALE,		/* changed without and then with IEC invalidation */
	SC_COUNT,
};

static const char *const ir_scenario_names[SC_COUNT] = {
	"deliver", "deliver-attrs", "deliver-sq", "deliver-bus", "subhandle",
	"not-present", "index", "sid", "bus", "svt3", "reserved", "stale",
};

static inline struct ir_outcome ir_delivered(uint8_t vector, uint32_t dest, bool logical,
					     uint8_t dlm, bool level)
{
	struct ir_outcome o = { true, vector, dest, logical, dlm, level, 0 };

	return o;
}

static inline struct ir_outcome ir_fault(uint8_t reason)
{
	struct ir_outcome o = { .delivered = false, .reason = reason };

	return o;
}

static inline bool ir_outcome_eq(const struct ir_outcome *a, const struct ir_outcome *b)
{
	if (a->delivered != b->delivered)
		return false;
	if (!a->delivered)
		return a->reason == b->reason;
	return a->vector == b->vector && a->dest == b->dest &&
	       a->dest_logical == b->dest_logical && a->dlm == b->dlm &&
	       a->level == b->level;
}

static inline void ir_outcome_str(const struct ir_outcome *o, char *buf, size_t len)
{
	if (o->delivered)
		snprintf(buf, len, "vector 0x%02x dest 0x%x %s dlm %u %s", o->vector, o->dest,
			 o->dest_logical ? "logical" : "physical", o->dlm,
			 o->level ? "level" : "edge");
	else
		snprintf(buf, len, "fault 0x%02x", o->reason);
}

static inline struct liommu_irte_remap ir_entry(uint8_t vector, uint32_t dest)
{
	struct liommu_irte_remap r = {
		.vector = vector, .dest = dest, .dlm = VTD_DLM_FIXED,
		.sid = liommu_irte_sid_none(),
	};

	return r;
}

static inline struct ir_outcome ir_want(const struct liommu_irte_remap *r)
{
	return ir_delivered(r->vector, r->dest, r->dest_logical, (uint8_t)r->dlm, r->level);
}

/* The message for IRTE @handle (+ @sub with SHV) in a table of
 * @entries entries. */
static inline struct liommu_msi_msg ir_msg(uint32_t entries, uint16_t handle, bool shv,
					   uint16_t sub)
{
	struct liommu_msi_remap m = { handle, shv, sub };
	struct liommu_msi_msg msg;

	ck_assert_int_eq(liommu_msi_compose(&m, entries, &msg), 0);
	return msg;
}

static inline void ir_fire(struct ir_bench *b, const struct liommu_msi_msg *msg,
			   struct ir_step *s)
{
	memset(&s->got, 0, sizeof(s->got));
	ck_assert_int_eq(b->fire(b->ctx, b->sid, msg->addr, msg->data, &s->got), 0);
}

static inline uint8_t ir_vec(struct ir_bench *b)
{
	ck_assert_uint_lt(b->vector, 256);
	return (uint8_t)b->vector++;
}

/*
 * Run scenario @sc on @b (remapping enabled, xAPIC mode, nothing
 * allocated yet).  Return: the number of steps filled in @s.
 */
static inline unsigned int ir_run(struct ir_bench *b, enum ir_scenario sc,
				  struct ir_step s[IR_MAX_STEPS])
{
	uint32_t n = liommu_ir_entries(b->t);
	struct liommu_irte_remap r = ir_entry(ir_vec(b), 0);
	struct liommu_msi_msg msg;
	struct vtd_irte raw;
	uint16_t idx;
	unsigned int i;

	memset(s, 0, IR_MAX_STEPS * sizeof(*s));
	ck_assert_int_eq(liommu_ir_alloc(b->t, sc == SC_SUBHANDLE ? 4 : 1, &idx), 0);
	msg = ir_msg(n, idx, false, 0);
	switch (sc) {
	case SC_DELIVER:
		break;
	case SC_DELIVER_ATTRS:
		r.dest = 5;
		r.dest_logical = true;
		r.dlm = VTD_DLM_LOWEST;
		r.level = true;
		r.redir_hint = true;
		break;
	case SC_DELIVER_SQ:
		/* Function bits ignored: the requester's device and bus must
		 * match, its function may differ. */
		r.sid = liommu_irte_sid_requester((uint16_t)(b->sid ^ 0x7), VTD_SQ_IGN_2_0);
		break;
	case SC_DELIVER_BUS:
		r.sid = liommu_irte_sid_bus(vtd_sid_bus(b->sid), vtd_sid_bus(b->sid));
		break;
	case SC_SUBHANDLE:
		for (i = 0; i < 4; i++) {
			struct liommu_irte_remap e = ir_entry(ir_vec(b), 0);

			ck_assert_int_eq(liommu_ir_set_remap(b->t, (uint16_t)(idx + i), &e, 0), 0);
			if (i == 2)
				s[0].want = ir_want(&e);
		}
		msg = ir_msg(n, idx, true, 2);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_NOT_PRESENT:
		s[0].want = ir_fault(VTD_FR_IR_P);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_INDEX:
		/* A well-formed handle for a bigger table. */
		msg = ir_msg(LIOMMU_IR_MAX_ENTRIES, (uint16_t)n, false, 0);
		s[0].want = ir_fault(VTD_FR_IR_INDEX);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_SID:
		r.sid = liommu_irte_sid_requester((uint16_t)(b->sid + 8), VTD_SQ_ALL);
		ck_assert_int_eq(liommu_ir_set_remap(b->t, idx, &r, 0), 0);
		s[0].want = ir_fault(VTD_FR_IR_SID);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_BUS:
		/* start == end: QEMU 7.2 reads the two bytes the other way
		 * round (vtd.h VTD_SVT_BUS), which only agrees then. */
		r.sid = liommu_irte_sid_bus(vtd_sid_bus(b->sid) + 1, vtd_sid_bus(b->sid) + 1);
		ck_assert_int_eq(liommu_ir_set_remap(b->t, idx, &r, 0), 0);
		s[0].want = ir_fault(VTD_FR_IR_SID);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_SVT3:
		ck_assert_int_eq(liommu_irte_compose_remap(&r, &raw), 0);
		raw.hi |= vtd_field_prep(VTD_IRTE_HI_SVT, 3);
		ck_assert_int_eq(liommu__ir_write_raw(b->t, idx, &raw, 0), 0);
		s[0].want = ir_fault(VTD_FR_IR_SID);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_RSVD:
		ck_assert_int_eq(liommu_irte_compose_remap(&r, &raw), 0);
		raw.lo |= VTD_BIT64(12);	/* in VTD_IRTE_LO_RSVD, 14:12 */
		ck_assert_int_eq(liommu__ir_write_raw(b->t, idx, &raw, 0), 0);
		s[0].want = ir_fault(VTD_FR_IR_RSVD);
		ir_fire(b, &msg, &s[0]);
		return 1;
	case SC_STALE: {
		struct liommu_irte_remap r2 = ir_entry(ir_vec(b), 0);

		ck_assert_int_eq(liommu_ir_set_remap(b->t, idx, &r, 0), 0);
		s[0].want = ir_want(&r);
		ir_fire(b, &msg, &s[0]);
		/* Only the vector changes: one 64-bit store, no transient. */
		ck_assert_int_eq(liommu_ir_set_remap(b->t, idx, &r2, LIOMMU_IR_NOSYNC), 0);
		s[1].want = ir_want(&r2);
		s[1].old = ir_want(&r);
		s[1].cache_dependent = true;
		ir_fire(b, &msg, &s[1]);
		ck_assert_int_eq(liommu_ir_sync(b->t, idx, 1), 0);
		s[2].want = ir_want(&r2);
		ir_fire(b, &msg, &s[2]);
		return 3;
	}
	default:
		ck_abort_msg("unknown scenario %d", sc);
	}
	ck_assert_int_eq(liommu_ir_set_remap(b->t, idx, &r, 0), 0);
	s[0].want = ir_want(&r);
	ir_fire(b, &msg, &s[0]);
	return 1;
}

#endif /* CHECK_IR_BENCH_H */
