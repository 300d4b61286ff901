// SPDX-License-Identifier: MIT
/*
 * check-irte.c - irq-remap encoders: IRTEs (remapped and posted), source
 * validation, remappable MSI and I/OxAPIC messages, the ordered update of
 * a live entry, and posted-interrupt descriptors.
 *
 * Expected values are worked out by hand from the VT-d spec (5.1.2.2,
 * 5.1.5.1, 9.10, 9.11, 9.12) with the arithmetic in comments, and where
 * QEMU 7.2 has its own reading (vtd_irte_get(), vtd_interrupt_remap_msi(),
 * ioapic_entry_parse()) the test applies QEMU's arithmetic to our
 * encodings.  Property tests use a fixed-seed generator; the seed is in
 * the failure message.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/irte.h>
#include <liommu/vtd.h>

#include "irq-remap-internal.h"

/* QEMU 7.2 CAP with aw-bits=48 (DESIGN.md): bit 59 (PI) clear. */
#define QEMU_CAP_AW48	0x00d2008c222f0606ULL
#define CAP_PI		(1ULL << 59)

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ULL;
}

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* ck_assert_*() records a checkpoint per call (a pipe write in fork
 * mode); loops of 10^5 cases use this instead, which only costs on
 * failure. */
#define REQUIRE_EQ(a, b, what)							\
	do {									\
		unsigned long long a_ = (unsigned long long)(a);		\
		unsigned long long b_ = (unsigned long long)(b);		\
		if (a_ != b_)							\
			ck_abort_msg("%s: %s = 0x%llx, expected 0x%llx (%s)",	\
				     what, #a, a_, b_, #b);			\
	} while (0)

static const struct vtd_irte sentinel = { 0x5a5a5a5a5a5a5a5aULL, 0xa5a5a5a5a5a5a5a5ULL };

static struct liommu_irte_remap remap_base(void)
{
	struct liommu_irte_remap r;

	memset(&r, 0, sizeof(r));
	r.vector = 0x31;
	r.dest = 0x05;
	r.dlm = VTD_DLM_FIXED;
	r.sid = liommu_irte_sid_requester(0x0008, VTD_SQ_ALL);
	return r;
}

/* ------------------------------------------------------------------ */
/* Remapped IRTEs                                                      */
/* ------------------------------------------------------------------ */

START_TEST(remap_xapic_hand_value)
{
	struct liommu_irte_remap r = remap_base();
	struct vtd_irte e;

	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	/*
	 * P bit 0 = 0x1; vector 0x31 in 23:16 = 0x310000; xAPIC destination
	 * 0x05 in 47:40 = 0x05 << 40 = 0x0000050000000000.
	 */
	ck_assert_uint_eq(e.lo, 0x0000050000310001ULL);
	/* SID 0x0008 (00:01.0) in 15:0; SQ 0; SVT 01b in 19:18 = 0x40000. */
	ck_assert_uint_eq(e.hi, 0x0000000000040008ULL);
	/* QEMU vtd_remap_irq_get(): dest = (dest_id & 0xff00) >> 8 without EIME. */
	ck_assert_uint_eq(((e.lo >> 32) & 0xff00) >> 8, 0x05);
	/* QEMU reads vector as bits 23:16 and SID as hi 15:0. */
	ck_assert_uint_eq((e.lo >> 16) & 0xff, 0x31);
	ck_assert_uint_eq(e.hi & 0xffff, 0x0008);
}
END_TEST

START_TEST(remap_x2apic_all_fields_hand_value)
{
	struct liommu_irte_remap r;
	struct vtd_irte e;

	memset(&r, 0, sizeof(r));
	r.vector = 0xef;
	r.dest = 0xffffffffu;
	r.x2apic = true;
	r.dest_logical = true;
	r.redir_hint = true;
	r.level = true;
	r.dlm = VTD_DLM_LOWEST;
	r.fpd = true;
	r.avail = 0xa;
	r.sid = liommu_irte_sid_requester(0x1234, VTD_SQ_IGN_2_0);
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	/*
	 * P 0x1 + FPD 0x2 + DM 0x4 + RH 0x8 + TM 0x10 + DLM 001b << 5 = 0x20
	 * = 0x3f; avail 0xa << 8 = 0xa00; vector 0xef << 16 = 0xef0000;
	 * DST 0xffffffff in 63:32.
	 */
	ck_assert_uint_eq(e.lo, 0xffffffff00ef0a3fULL);
	/* SID 0x1234; SQ 11b << 16 = 0x30000; SVT 01b << 18 = 0x40000. */
	ck_assert_uint_eq(e.hi, 0x0000000000071234ULL);
	/* QEMU with EIME: dest = dest_id, all 32 bits. */
	ck_assert_uint_eq(e.lo >> 32, 0xffffffffu);
}
END_TEST

START_TEST(remap_nmi_ignores_vector)
{
	struct liommu_irte_remap r = remap_base(), d;
	struct vtd_irte e;

	r.dlm = VTD_DLM_NMI;
	r.vector = 2;	/* ignored by the APIC for NMI: accepted */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	/* DLM 100b << 5 = 0x80; vector 2 << 16 = 0x20000. */
	ck_assert_uint_eq(e.lo, 0x0000050000020081ULL);
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), 0);
	ck_assert_uint_eq(d.dlm, VTD_DLM_NMI);
}
END_TEST

static void assert_remap_eq(const struct liommu_irte_remap *a, const struct liommu_irte_remap *b)
{
	REQUIRE_EQ(a->vector, b->vector, "round trip");
	REQUIRE_EQ(a->dest, b->dest, "round trip");
	REQUIRE_EQ(a->x2apic, b->x2apic, "round trip");
	REQUIRE_EQ(a->dest_logical, b->dest_logical, "round trip");
	REQUIRE_EQ(a->redir_hint, b->redir_hint, "round trip");
	REQUIRE_EQ(a->level, b->level, "round trip");
	REQUIRE_EQ(a->dlm, b->dlm, "round trip");
	REQUIRE_EQ(a->fpd, b->fpd, "round trip");
	REQUIRE_EQ(a->avail, b->avail, "round trip");
	REQUIRE_EQ(a->sid.svt, b->sid.svt, "round trip");
	REQUIRE_EQ(a->sid.sq, b->sid.sq, "round trip");
	REQUIRE_EQ(a->sid.sid, b->sid.sid, "round trip");
}

static struct liommu_irte_sid random_sid(void)
{
	unsigned int a, b;

	switch (rng() % 3) {
	case 0:
		return liommu_irte_sid_none();
	case 1:
		return liommu_irte_sid_requester((uint16_t)rng(), (unsigned int)(rng() % 4));
	default:
		a = (unsigned int)(rng() % 256);
		b = (unsigned int)(rng() % 256);
		return liommu_irte_sid_bus(a < b ? a : b, a < b ? b : a);
	}
}

START_TEST(remap_round_trip_random)
{
	static const unsigned int dlms[] = { 0, 1, 2, 4, 5, 7 };
	struct liommu_irte_remap r, d;
	struct vtd_irte e;
	unsigned int i;

	rng_seed(0x1257eULL);
	for (i = 0; i < 200000; i++) {
		memset(&r, 0, sizeof(r));
		r.x2apic = rng() & 1;
		r.dest = r.x2apic ? (uint32_t)rng() : (uint32_t)(rng() % 256);
		r.dlm = dlms[rng() % 6];
		r.vector = (uint8_t)(16 + rng() % 240);
		r.dest_logical = rng() & 1;
		r.redir_hint = rng() & 1;
		r.level = rng() & 1;
		r.fpd = rng() & 1;
		r.avail = (unsigned int)(rng() % 16);
		r.sid = random_sid();
		REQUIRE_EQ(liommu_irte_compose_remap(&r, &e), 0, "remap seed 0x1257e");
		REQUIRE_EQ(liommu_irte_present(&e), true, "remap seed 0x1257e");
		REQUIRE_EQ(liommu_irte_is_posted(&e), false, "remap seed 0x1257e");
		REQUIRE_EQ(liommu_irte_decode_remap(&e, r.x2apic, &d), 0, "remap seed 0x1257e");
		assert_remap_eq(&r, &d);
		/* Nothing outside the defined fields is ever set. */
		REQUIRE_EQ(e.lo & VTD_IRTE_LO_RSVD, 0, "remap seed 0x1257e");
		REQUIRE_EQ(e.hi & VTD_IRTE_HI_RSVD, 0, "remap seed 0x1257e");
		if (!r.x2apic)
			REQUIRE_EQ(e.lo & VTD_IRTE_LO_DST_XAPIC_RSVD, 0, "remap seed 0x1257e");
	}
}
END_TEST

START_TEST(remap_every_single_field_moves_only_its_bits)
{
	struct liommu_irte_remap r = remap_base();
	struct vtd_irte base, e;

	r.x2apic = true;
	r.dest = 0;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &base), 0);
	r.fpd = true;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 1ULL << 1);
	r.fpd = false;
	r.dest_logical = true;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 1ULL << 2);
	r.dest_logical = false;
	r.redir_hint = true;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 1ULL << 3);
	r.redir_hint = false;
	r.level = true;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 1ULL << 4);
	r.level = false;
	r.dlm = VTD_DLM_EXTINT;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 7ULL << 5);
	r.dlm = VTD_DLM_FIXED;
	r.avail = 0xf;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 0xfULL << 8);
	r.avail = 0;
	r.dest = 0x80000001u;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	ck_assert_uint_eq(e.lo ^ base.lo, 0x80000001ULL << 32);
	ck_assert_uint_eq(e.hi, base.hi);
}
END_TEST

START_TEST(remap_rejects_bad_input)
{
	struct liommu_irte_remap r;
	struct vtd_irte e;
	unsigned int v;

	for (v = 0; v < 16; v++) {
		r = remap_base();
		r.vector = (uint8_t)v;
		e = sentinel;
		ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
		r.dlm = VTD_DLM_LOWEST;
		ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
		ck_assert_uint_eq(e.lo, sentinel.lo);	/* untouched */
		ck_assert_uint_eq(e.hi, sentinel.hi);
	}
	r = remap_base();
	r.dlm = 3;	/* reserved */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r.dlm = 6;	/* reserved */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r.dlm = 8;	/* does not fit 3 bits */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r = remap_base();
	r.dest = 0x100;	/* xAPIC IDs are 8 bits */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -ERANGE);
	r.x2apic = true;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	r = remap_base();
	r.avail = 16;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -ERANGE);
	r = remap_base();
	r.sid.svt = 3;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r = remap_base();
	r.sid.sq = 4;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -ERANGE);
	r = remap_base();
	r.sid = liommu_irte_sid_none();
	r.sid.sid = 0x10;	/* a SID that would never be checked */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r.sid = liommu_irte_sid_none();
	r.sid.sq = 1;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
	r.sid = liommu_irte_sid_bus(5, 2);	/* start above end */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -ERANGE);
	r.sid = liommu_irte_sid_bus(2, 5);
	r.sid.sq = 1;	/* SQ means nothing for a bus range */
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), -EINVAL);
}
END_TEST

START_TEST(remap_decode_rejects_every_reserved_bit)
{
	struct liommu_irte_remap r = remap_base(), d;
	struct vtd_irte good, e;
	unsigned int b;

	ck_assert_int_eq(liommu_irte_compose_remap(&r, &good), 0);
	/* Low half: bits 14:12 and 31:24 (9.10; QEMU __reserved_0/1). */
	for (b = 0; b < 64; b++) {
		e = good;
		e.lo ^= 1ULL << b;
		if ((b >= 12 && b <= 14) || (b >= 24 && b <= 31)) {
			ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
			ck_assert_int_eq(liommu_irte_decode_remap(&e, true, &d), -EINVAL);
		}
		/* xAPIC mode: DST bits 39:32 and 63:48 are reserved too. */
		if ((b >= 32 && b <= 39) || b >= 48) {
			ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
			ck_assert_int_eq(liommu_irte_decode_remap(&e, true, &d), 0);
		}
	}
	/* High half: bits 63:20 (QEMU __reserved_2). */
	for (b = 20; b < 64; b++) {
		e = good;
		e.hi ^= 1ULL << b;
		ck_assert_int_eq(liommu_irte_decode_remap(&e, true, &d), -EINVAL);
	}
	e = good;
	e.lo &= ~1ULL;		/* P clear */
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -ENOENT);
	e = good;
	e.lo |= 1ULL << 15;	/* IM: posted format */
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
	e = good;
	e.lo |= 3ULL << 5;	/* DLM 011b */
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
	e = good;
	e.lo |= 6ULL << 5;	/* DLM 110b */
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
	e = good;
	e.hi |= 3ULL << 18;	/* SVT 11b */
	ck_assert_int_eq(liommu_irte_decode_remap(&e, false, &d), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Source validation                                                   */
/* ------------------------------------------------------------------ */

static struct vtd_irte irte_with_sid(struct liommu_irte_sid s)
{
	struct liommu_irte_remap r = remap_base();
	struct vtd_irte e;

	r.sid = s;
	ck_assert_int_eq(liommu_irte_compose_remap(&r, &e), 0);
	return e;
}

START_TEST(sid_check_sq_masks)
{
	struct vtd_irte e;
	unsigned int sq;

	/* Entry SID 00:01.0 = 0x0008. */
	for (sq = 0; sq < 4; sq++) {
		e = irte_with_sid(liommu_irte_sid_requester(0x0008, sq));
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0008), 0);
		/* 0x000c differs in bit 2: only SQ 01b, 10b, 11b ignore it. */
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x000c), sq >= 1 ? 0 : -EPERM);
		/* 0x000a differs in bit 1: ignored by SQ 10b and 11b. */
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x000a), sq >= 2 ? 0 : -EPERM);
		/* 0x0009 differs in bit 0: ignored by SQ 11b only. */
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0009), sq >= 3 ? 0 : -EPERM);
		/* 0x0010 differs in bit 4 (device 2): never ignored. */
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0010), -EPERM);
		/* 0x0108 differs in the bus: never ignored. */
		ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0108), -EPERM);
	}
	/* QEMU's vtd_svt_mask[] is {0xffff, 0xfffb, 0xfff9, 0xfff8}. */
	ck_assert_uint_eq(vtd_sq_mask(0), 0xffff);
	ck_assert_uint_eq(vtd_sq_mask(1), 0xfffb);
	ck_assert_uint_eq(vtd_sq_mask(2), 0xfff9);
	ck_assert_uint_eq(vtd_sq_mask(3), 0xfff8);
}
END_TEST

START_TEST(sid_check_bus_range_and_none)
{
	struct vtd_irte e;

	/* Buses 2..5: SID = (2 << 8) | 5 = 0x0205 (start in 15:8). */
	e = irte_with_sid(liommu_irte_sid_bus(2, 5));
	ck_assert_uint_eq(e.hi, 0x80205ULL);	/* SVT 10b << 18 = 0x80000 */
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x01ff), -EPERM);
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0200), 0);
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0300), 0);
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x05ff), 0);
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0600), -EPERM);
	e = irte_with_sid(liommu_irte_sid_bus(7, 7));
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0700), 0);
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0x0800), -EPERM);
	e = irte_with_sid(liommu_irte_sid_none());
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0xffff), 0);
	e.hi |= 3ULL << 18;
	ck_assert_int_eq(liommu_irte_sid_check(&e, 0), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Posted IRTEs                                                        */
/* ------------------------------------------------------------------ */

static struct liommu_irte_posted posted_base(void)
{
	struct liommu_irte_posted p;

	memset(&p, 0, sizeof(p));
	p.vector = 0x40;
	p.pda = 0x0000000123456780ULL;
	p.urgent = true;
	p.sid = liommu_irte_sid_requester(0x0100, VTD_SQ_ALL);
	return p;
}

START_TEST(posted_hand_value)
{
	struct liommu_irte_posted p = posted_base();
	struct vtd_irte e;

	ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &e), 0);
	/*
	 * P 0x1; URG bit 14 = 0x4000; IM bit 15 = 0x8000; vector 0x40 << 16
	 * = 0x400000.  PDA bits 31:6 go to 63:38, i.e. PDA & 0xffffffc0
	 * shifted left by 32: 0x23456780 << 32 = 0x2345678000000000.
	 */
	ck_assert_uint_eq(e.lo, 0x234567800040c001ULL);
	/* SID 0x0100, SVT 01b << 18 = 0x40000, PDA 63:32 = 0x1 in 63:32. */
	ck_assert_uint_eq(e.hi, 0x0000000100040100ULL);
	/* Linux: pda_l = e.lo >> 38 is pda >> 6 (26 bits), pda_h = e.hi >> 32. */
	ck_assert_uint_eq(e.lo >> 38, (p.pda >> 6) & 0x3ffffff);
	ck_assert_uint_eq(e.hi >> 32, p.pda >> 32);
}
END_TEST

START_TEST(posted_round_trip_random)
{
	struct liommu_irte_posted p, d;
	struct vtd_irte e;
	unsigned int i;

	rng_seed(0x9057ULL);
	for (i = 0; i < 200000; i++) {
		memset(&p, 0, sizeof(p));
		p.vector = (uint8_t)(16 + rng() % 240);
		p.pda = rng() & ~63ULL;
		p.urgent = rng() & 1;
		p.fpd = rng() & 1;
		p.avail = (unsigned int)(rng() % 16);
		p.sid = random_sid();
		REQUIRE_EQ(liommu_irte_compose_posted(&p, CAP_PI, &e), 0, "posted seed 0x9057");
		REQUIRE_EQ(liommu_irte_is_posted(&e), true, "posted seed 0x9057");
		REQUIRE_EQ(e.lo & VTD_IRTE_LO_PI_RSVD, 0, "posted seed 0x9057");
		REQUIRE_EQ(e.hi & VTD_IRTE_HI_PI_RSVD, 0, "posted seed 0x9057");
		REQUIRE_EQ(liommu_irte_decode_posted(&e, &d), 0, "posted seed 0x9057");
		REQUIRE_EQ(d.vector, p.vector, "posted seed 0x9057");
		REQUIRE_EQ(d.pda, p.pda, "posted seed 0x9057");
		REQUIRE_EQ(d.urgent, p.urgent, "posted seed 0x9057");
		REQUIRE_EQ(d.fpd, p.fpd, "posted seed 0x9057");
		REQUIRE_EQ(d.avail, p.avail, "posted seed 0x9057");
		REQUIRE_EQ(d.sid.svt, p.sid.svt, "posted seed 0x9057");
		REQUIRE_EQ(d.sid.sq, p.sid.sq, "posted seed 0x9057");
		REQUIRE_EQ(d.sid.sid, p.sid.sid, "posted seed 0x9057");
	}
}
END_TEST

START_TEST(posted_rejects_bad_input)
{
	struct liommu_irte_posted p = posted_base(), d;
	struct vtd_irte e = sentinel, good;
	unsigned int b;

	/* QEMU 7.2's CAP has no PI (bit 59): posting is refused. */
	ck_assert_int_eq(liommu_irte_compose_posted(&p, QEMU_CAP_AW48, &e), -ENODEV);
	ck_assert_uint_eq(e.lo, sentinel.lo);
	for (b = 1; b < 64; b <<= 1) {
		p = posted_base();
		p.pda |= b;	/* 1, 2, 4 ... 32: not 64-byte aligned */
		ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &e), -EINVAL);
	}
	p = posted_base();
	p.vector = 15;
	ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &e), -EINVAL);
	p = posted_base();
	p.avail = 16;
	ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &e), -ERANGE);
	p = posted_base();
	p.sid = liommu_irte_sid_bus(9, 1);
	ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &e), -ERANGE);

	/* Decode: reserved bits lo 7:2, 13:12, 37:24 and hi 31:20 (9.11). */
	p = posted_base();
	ck_assert_int_eq(liommu_irte_compose_posted(&p, CAP_PI, &good), 0);
	for (b = 0; b < 64; b++) {
		int want_lo = ((b >= 2 && b <= 7) || b == 12 || b == 13 ||
			       (b >= 24 && b <= 37)) ? -EINVAL : 0;
		int want_hi = (b >= 20 && b <= 31) ? -EINVAL : 0;

		if (b == 0 || b == 15)
			continue;	/* P and IM change the format, checked below */
		e = good;
		e.lo ^= 1ULL << b;
		ck_assert_msg(liommu_irte_decode_posted(&e, &d) == want_lo, "lo bit %u", b);
		if (b == 18 || b == 19)
			continue;	/* SVT: 11b is checked below */
		e = good;
		e.hi ^= 1ULL << b;
		ck_assert_msg(liommu_irte_decode_posted(&e, &d) == want_hi, "hi bit %u", b);
	}
	e = good;
	e.lo &= ~1ULL;
	ck_assert_int_eq(liommu_irte_decode_posted(&e, &d), -ENOENT);
	e = good;
	e.lo &= ~(1ULL << 15);
	ck_assert_int_eq(liommu_irte_decode_posted(&e, &d), -EINVAL);
	e = good;
	e.hi |= 3ULL << 18;
	ck_assert_int_eq(liommu_irte_decode_posted(&e, &d), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Remappable MSI                                                      */
/* ------------------------------------------------------------------ */

/* QEMU vtd_interrupt_remap_msi(): index = index_h << 15 | index_l, with
 * index_l = address bits 19:5 and index_h = address bit 2. */
static uint32_t qemu_msi_index(const struct liommu_msi_msg *m)
{
	uint32_t a = (uint32_t)m->addr;
	uint32_t index = ((a >> 2) & 1) << 15 | ((a >> 5) & 0x7fff);

	if ((a >> 3) & 1)
		index += m->data & 0xffff;
	return index;
}

START_TEST(msi_handles_hand_values)
{
	static const struct {
		uint16_t handle;
		uint64_t addr;
	} cases[] = {
		/* 0xfee00000 | IF (bit 4) = 0xfee00010 */
		{ 0x0000, 0xfee00010ULL },
		/* 0x7fff << 5 = 0xfffe0 in 19:5: 0xfeefffe0 | 0x10 */
		{ 0x7fff, 0xfeeffff0ULL },
		/* handle[15] in bit 2 = 0x4; 19:5 = 0: 0xfee00014 */
		{ 0x8000, 0xfee00014ULL },
		/* both: 0xfeefffe0 | 0x10 | 0x4 */
		{ 0xffff, 0xfeeffff4ULL },
	};
	struct liommu_msi_remap r = { 0 }, d;
	struct liommu_msi_msg m;
	uint32_t index;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.handle = cases[i].handle;
		ck_assert_int_eq(liommu_msi_compose(&r, 65536, &m), 0);
		ck_assert_uint_eq(m.addr, cases[i].addr);
		ck_assert_uint_eq(m.data, 0);
		ck_assert(liommu_msi_is_remappable(&m));
		ck_assert_uint_eq(qemu_msi_index(&m), cases[i].handle);
		ck_assert_int_eq(liommu_msi_decode(&m, &d, &index), 0);
		ck_assert_uint_eq(d.handle, cases[i].handle);
		ck_assert(!d.shv);
		ck_assert_uint_eq(index, cases[i].handle);
	}
}
END_TEST

START_TEST(msi_subhandle_hand_value)
{
	struct liommu_msi_remap r = { .handle = 0x100, .shv = true, .subhandle = 3 }, d;
	struct liommu_msi_msg m;
	uint32_t index;

	ck_assert_int_eq(liommu_msi_compose(&r, 512, &m), 0);
	/* 0x100 << 5 = 0x2000; IF 0x10 + SHV 0x8: 0xfee02018; data 3. */
	ck_assert_uint_eq(m.addr, 0xfee02018ULL);
	ck_assert_uint_eq(m.data, 3);
	ck_assert_uint_eq(qemu_msi_index(&m), 0x103);
	ck_assert_int_eq(liommu_msi_decode(&m, &d, &index), 0);
	ck_assert(d.shv);
	ck_assert_uint_eq(d.handle, 0x100);
	ck_assert_uint_eq(d.subhandle, 3);
	ck_assert_uint_eq(index, 0x103);
}
END_TEST

START_TEST(msi_round_trip_every_handle)
{
	struct liommu_msi_remap r = { 0 }, d;
	struct liommu_msi_msg m;
	uint32_t h, index;

	for (h = 0; h < 65536; h++) {
		r.handle = (uint16_t)h;
		r.shv = h & 1;
		r.subhandle = r.shv ? (uint16_t)((h * 7) % (65536 - h)) : 0;
		REQUIRE_EQ(liommu_msi_compose(&r, 65536, &m), 0, "msi handle");
		REQUIRE_EQ(m.addr >> 20, 0xfee, "msi handle");
		REQUIRE_EQ(qemu_msi_index(&m), h + r.subhandle, "msi handle");
		REQUIRE_EQ(liommu_msi_decode(&m, &d, &index), 0, "msi handle");
		REQUIRE_EQ(d.handle, r.handle, "msi handle");
		REQUIRE_EQ(d.shv, r.shv, "msi handle");
		REQUIRE_EQ(d.subhandle, r.subhandle, "msi handle");
		REQUIRE_EQ(index, h + r.subhandle, "msi handle");
		/* Address bits 1:0 are don't-care: the decode ignores them. */
		m.addr |= 3;
		REQUIRE_EQ(liommu_msi_decode(&m, &d, NULL), 0, "msi handle");
		REQUIRE_EQ(d.handle, r.handle, "msi handle");
	}
}
END_TEST

START_TEST(msi_rejects_bad_input)
{
	struct liommu_msi_remap r = { 0 }, d;
	struct liommu_msi_msg m = { 0x1234, 0x5678 }, good;

	/* Table sizes: 2^(S+1), 2 .. 65536. */
	ck_assert_int_eq(liommu_msi_compose(&r, 0, &m), -EINVAL);
	ck_assert_int_eq(liommu_msi_compose(&r, 1, &m), -EINVAL);
	ck_assert_int_eq(liommu_msi_compose(&r, 65535, &m), -EINVAL);
	ck_assert_int_eq(liommu_msi_compose(&r, 131072, &m), -EINVAL);
	ck_assert_uint_eq(m.addr, 0x1234);	/* untouched */
	/* Handles beyond the table: a 256-entry table (S = 7) ends at 255. */
	r.handle = 256;
	ck_assert_int_eq(liommu_msi_compose(&r, 256, &m), -ERANGE);
	r.handle = 0xffff;
	ck_assert_int_eq(liommu_msi_compose(&r, 32768, &m), -ERANGE);
	r.handle = 255;
	ck_assert_int_eq(liommu_msi_compose(&r, 256, &m), 0);
	r.shv = true;
	r.subhandle = 1;	/* 255 + 1 = 256 */
	ck_assert_int_eq(liommu_msi_compose(&r, 256, &m), -ERANGE);
	r.shv = false;		/* a subhandle without SHV */
	ck_assert_int_eq(liommu_msi_compose(&r, 65536, &m), -EINVAL);

	r.handle = 0x42;
	r.shv = true;
	r.subhandle = 0;
	ck_assert_int_eq(liommu_msi_compose(&r, 65536, &good), 0);
	m = good;
	m.addr |= 1ULL << 32;	/* QEMU: high 32 bits must be 0 */
	ck_assert_int_eq(liommu_msi_decode(&m, &d, NULL), -EINVAL);
	m = good;
	m.addr ^= 1ULL << 20;	/* 0xfef: not the interrupt range head */
	ck_assert_int_eq(liommu_msi_decode(&m, &d, NULL), -EINVAL);
	m = good;
	m.addr &= ~VTD_MSI_ADDR_IF;	/* compatibility format */
	ck_assert(!liommu_msi_is_remappable(&m));
	ck_assert_int_eq(liommu_msi_decode(&m, &d, NULL), -EINVAL);
	m = good;
	m.data = 0x10000;	/* reserved data bits with SHV */
	ck_assert_int_eq(liommu_msi_decode(&m, &d, NULL), -EINVAL);
	m = good;
	m.addr &= ~VTD_MSI_ADDR_SHV;	/* without SHV the data is not checked */
	ck_assert_int_eq(liommu_msi_decode(&m, &d, NULL), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* I/OxAPIC RTEs                                                       */
/* ------------------------------------------------------------------ */

START_TEST(ioapic_rte_hand_value_and_qemu_conversion)
{
	struct liommu_ioapic_rte r = {
		.handle = 0x8001, .vector = 0x21, .level = true, .active_low = true,
	}, d;
	struct liommu_msi_msg m;
	struct liommu_msi_remap mr;
	uint64_t rte, qemu_addr;
	uint32_t index;

	ck_assert_int_eq(liommu_ioapic_rte_compose(&r, 65536, &rte), 0);
	/*
	 * vector 0x21; handle[15] in bit 11 = 0x800; polarity bit 13 =
	 * 0x2000; trigger bit 15 = 0x8000; format bit 48 = 1 << 48;
	 * handle[14:0] = 1 in 63:49 = 1 << 49.  Sum: 0x000300000000a821.
	 */
	ck_assert_uint_eq(rte, 0x000300000000a821ULL);
	ck_assert_int_eq(liommu_ioapic_rte_decode(rte, &d), 0);
	ck_assert_uint_eq(d.handle, 0x8001);
	ck_assert_uint_eq(d.vector, 0x21);
	ck_assert(d.level && d.active_low && !d.masked);

	/* QEMU ioapic_entry_parse(): addr = 0xfee00000 | (rte >> 48) << 4 |
	 * ((rte >> 11) & 1) << 2; data = vector | trigger << 15. */
	qemu_addr = 0xfee00000ULL | ((rte >> 48) & 0xffff) << 4 | ((rte >> 11) & 1) << 2;
	ck_assert_int_eq(liommu_ioapic_rte_to_msi(rte, &m), 0);
	ck_assert_uint_eq(m.addr, qemu_addr);
	/* 0xfee00000 | 1 << 5 | IF 0x10 | handle[15] 0x4 = 0xfee00034 */
	ck_assert_uint_eq(m.addr, 0xfee00034ULL);
	ck_assert_uint_eq(m.data, 0x8021);
	ck_assert_int_eq(liommu_msi_decode(&m, &mr, &index), 0);
	ck_assert(!mr.shv);
	ck_assert_uint_eq(index, 0x8001);
}
END_TEST

START_TEST(ioapic_rte_round_trip_every_handle)
{
	struct liommu_ioapic_rte r, d;
	struct liommu_msi_msg m;
	struct liommu_msi_remap mr;
	uint64_t rte;
	uint32_t h;

	for (h = 0; h < 65536; h++) {
		r.handle = (uint16_t)h;
		r.vector = (uint8_t)h;
		r.level = h & 1;
		r.active_low = h & 2;
		r.masked = h & 4;
		REQUIRE_EQ(liommu_ioapic_rte_compose(&r, 65536, &rte), 0, "rte handle");
		REQUIRE_EQ(liommu_ioapic_rte_decode(rte, &d), 0, "rte handle");
		REQUIRE_EQ(d.handle, r.handle, "rte handle");
		REQUIRE_EQ(d.vector, r.vector, "rte handle");
		REQUIRE_EQ(d.level, r.level, "rte handle");
		REQUIRE_EQ(d.active_low, r.active_low, "rte handle");
		REQUIRE_EQ(d.masked, r.masked, "rte handle");
		/* Read-only bits set by the I/OxAPIC are ignored on decode. */
		REQUIRE_EQ(liommu_ioapic_rte_decode(rte | (1ULL << 12) | (1ULL << 14), &d), 0, "rte handle");
		REQUIRE_EQ(liommu_ioapic_rte_to_msi(rte, &m), 0, "rte handle");
		REQUIRE_EQ(liommu_msi_decode(&m, &mr, NULL), 0, "rte handle");
		REQUIRE_EQ(mr.handle, h, "rte handle");
		REQUIRE_EQ(qemu_msi_index(&m), h, "rte handle");
	}
}
END_TEST

START_TEST(ioapic_rte_rejects_bad_input)
{
	struct liommu_ioapic_rte r = { .handle = 16, .vector = 0x30 }, d;
	struct liommu_msi_msg m;
	uint64_t rte = 0x77, good;
	unsigned int b;

	ck_assert_int_eq(liommu_ioapic_rte_compose(&r, 16, &rte), -ERANGE);
	ck_assert_int_eq(liommu_ioapic_rte_compose(&r, 24, &rte), -EINVAL);
	ck_assert_uint_eq(rte, 0x77);
	ck_assert_int_eq(liommu_ioapic_rte_compose(&r, 32, &good), 0);
	/* Compatibility format (bit 48 clear). */
	ck_assert_int_eq(liommu_ioapic_rte_decode(good & ~(1ULL << 48), &d), -EINVAL);
	ck_assert_int_eq(liommu_ioapic_rte_to_msi(good & ~(1ULL << 48), &m), -EINVAL);
	/* Bits 10:8 must be 000b; 47:17 are reserved. */
	for (b = 8; b <= 10; b++)
		ck_assert_int_eq(liommu_ioapic_rte_decode(good | (1ULL << b), &d), -EINVAL);
	for (b = 17; b <= 47; b++)
		ck_assert_int_eq(liommu_ioapic_rte_decode(good | (1ULL << b), &d), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Live entry update                                                   */
/* ------------------------------------------------------------------ */

struct irte_slot {
	alignas(16) struct vtd_irte e;
	struct vtd_irte misaligned_pad;
};

static struct vtd_irte make_remap(uint32_t gen)
{
	struct liommu_irte_remap r = remap_base();
	struct vtd_irte e;

	/* Both halves carry the generation: destination and SID. */
	r.x2apic = true;
	r.dest = gen;
	r.vector = (uint8_t)(0x20 + gen % 200);
	r.sid = liommu_irte_sid_requester((uint16_t)gen, VTD_SQ_ALL);
	REQUIRE_EQ(liommu_irte_compose_remap(&r, &e), 0, "make_remap");
	return e;
}

START_TEST(update_orders_and_rejects)
{
	struct irte_slot s;
	struct vtd_irte a = make_remap(1), b = make_remap(2), lo_only = a, zero = { 0, 0 };

	memset(&s, 0, sizeof(s));
	/* not-present -> present */
	ck_assert_int_eq(liommu_irte_update(&s.e, &a, 0), 0);
	ck_assert_uint_eq(s.e.lo, a.lo);
	ck_assert_uint_eq(s.e.hi, a.hi);
	/* present -> present, low half only: one store, no CMPXCHG16B needed */
	lo_only.lo ^= VTD_IRTE_LO_FPD;
	ck_assert_int_eq(liommu__irte_update(&s.e, &lo_only, 0, false, liommu__irte_store_half, NULL), 0);
	ck_assert_uint_eq(s.e.lo, lo_only.lo);
	/* present -> present, both halves, no CMPXCHG16B, no transient: refused */
	ck_assert_int_eq(liommu__irte_update(&s.e, &b, 0, false, liommu__irte_store_half, NULL), -ENODEV);
	ck_assert_uint_eq(s.e.lo, lo_only.lo);
	ck_assert_uint_eq(s.e.hi, lo_only.hi);
	/* ... allowed through not-present */
	ck_assert_int_eq(liommu__irte_update(&s.e, &b, LIOMMU_IRTE_UPDATE_TRANSIENT, false,
					     liommu__irte_store_half, NULL), 0);
	ck_assert_uint_eq(s.e.lo, b.lo);
	ck_assert_uint_eq(s.e.hi, b.hi);
	/* present -> not-present */
	ck_assert_int_eq(liommu_irte_update(&s.e, &zero, 0), 0);
	ck_assert_uint_eq(s.e.lo, 0);
	ck_assert_uint_eq(s.e.hi, 0);
	/* Bad arguments. */
	ck_assert_int_eq(liommu_irte_update((struct vtd_irte *)((char *)&s.e + 8), &a, 0), -EINVAL);
	ck_assert_int_eq(liommu_irte_update(&s.e, &a, 2), -EINVAL);
}
END_TEST

/*
 * Store by store: after every 64-bit store the entry as hardware would
 * fetch it must be not-present, or exactly the old entry, or exactly the
 * new one.  Covers every transition between not-present, remapped and
 * posted entries on the path without CMPXCHG16B.
 */
struct store_watch {
	struct vtd_irte *slot;
	struct vtd_irte old, val;
	unsigned int stores;
	unsigned int bad;
};

static void watching_store(void *cookie, uint64_t *half, uint64_t v)
{
	struct store_watch *w = cookie;
	struct vtd_irte now;

	liommu__irte_store_half(NULL, half, v);
	w->stores++;
	now = *w->slot;
	if (!(now.lo & VTD_IRTE_LO_P))
		return;
	if (now.lo == w->old.lo && now.hi == w->old.hi)
		return;
	if (now.lo == w->val.lo && now.hi == w->val.hi)
		return;
	w->bad++;
}

START_TEST(update_store_order_never_exposes_a_mix)
{
	struct liommu_irte_posted pp = posted_base();
	struct vtd_irte states[5], zero = { 0, 0 }, junk = { 0xfff0, 0xffffffff00000000ULL };
	struct irte_slot s;
	struct store_watch w;
	unsigned int i, j;

	states[0] = zero;
	states[1] = junk;		/* not present, stale bits left behind */
	states[2] = make_remap(1);
	states[3] = make_remap(2);	/* both halves differ from states[2] */
	ck_assert_int_eq(liommu_irte_compose_posted(&pp, CAP_PI, &states[4]), 0);
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 5; j++) {
			memset(&s, 0, sizeof(s));
			s.e = states[i];
			w.slot = &s.e;
			w.old = states[i];
			w.val = states[j];
			w.stores = 0;
			w.bad = 0;
			ck_assert_int_eq(liommu__irte_update(&s.e, &states[j],
							     LIOMMU_IRTE_UPDATE_TRANSIENT, false,
							     watching_store, &w), 0);
			ck_assert_msg(w.bad == 0, "%u -> %u: %u mixed states", i, j, w.bad);
			ck_assert_uint_eq(s.e.lo, states[j].lo);
			ck_assert_uint_eq(s.e.hi, states[j].hi);
			ck_assert_uint_le(w.stores, 3);
		}
	}
}
END_TEST

START_TEST(update_cmpxchg16b_changes_both_halves)
{
	struct irte_slot s;
	struct vtd_irte a = make_remap(7), p;
	struct liommu_irte_posted pp = posted_base();

	if (!liommu__cpu_has_cx16())
		return;	/* nothing to check on a CPU without it */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(liommu_irte_update(&s.e, &a, 0), 0);
	/* remapped -> posted: both halves change in one exchange */
	ck_assert_int_eq(liommu_irte_compose_posted(&pp, CAP_PI, &p), 0);
	ck_assert_int_eq(liommu__irte_update(&s.e, &p, 0, true, liommu__irte_store_half, NULL), 0);
	ck_assert_uint_eq(s.e.lo, p.lo);
	ck_assert_uint_eq(s.e.hi, p.hi);
}
END_TEST

#if defined(__x86_64__)
/* The remapping hardware fetches an IRTE as one 128-bit read; a LOCK
 * CMPXCHG16B with equal expected and new values reads it the same way. */
static struct vtd_irte read128(struct vtd_irte *p)
{
	uint64_t lo = 0, hi = 0;

	__asm__ __volatile__("lock cmpxchg16b %0"
			     : "+m"(*p), "+a"(lo), "+d"(hi)
			     : "b"(0ULL), "c"(0ULL)
			     : "memory", "cc");
	{
		struct vtd_irte e = { lo, hi };

		return e;
	}
}

struct update_race {
	struct irte_slot slot;
	bool use_cx16;
	int stop;
	unsigned long torn;
	unsigned long present_seen;
};

static void *update_reader(void *arg)
{
	struct update_race *u = arg;
	struct liommu_irte_remap d;

	while (!__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
		struct vtd_irte e = read128(&u->slot.e);

		if (!(e.lo & VTD_IRTE_LO_P))
			continue;
		u->present_seen++;
		/* A present entry must be one the writer composed whole. */
		if (liommu_irte_decode_remap(&e, true, &d) != 0 ||
		    (uint16_t)d.dest != d.sid.sid)
			u->torn++;
	}
	return NULL;
}

START_TEST(update_never_exposes_a_torn_present_entry)
{
	struct update_race *u = calloc(1, sizeof(*u));
	struct vtd_irte zero = { 0, 0 }, e;
	pthread_t t;
	uint32_t gen;

	ck_assert_ptr_nonnull(u);
	u->use_cx16 = _i == 0;
	if (u->use_cx16 && !liommu__cpu_has_cx16()) {
		free(u);
		return;
	}
	ck_assert_int_eq(pthread_create(&t, NULL, update_reader, u), 0);
	for (gen = 1; gen < 200000; gen++) {
		e = make_remap(gen);
		REQUIRE_EQ(liommu__irte_update(&u->slot.e, &e, LIOMMU_IRTE_UPDATE_TRANSIENT,
					       u->use_cx16, liommu__irte_store_half, NULL),
			   0, "update");
		/* every other generation passes through not-present */
		if (gen % 2 == 0)
			REQUIRE_EQ(liommu__irte_update(&u->slot.e, &zero, 0, u->use_cx16,
						       liommu__irte_store_half, NULL),
				   0, "clear");
	}
	__atomic_store_n(&u->stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(u->torn == 0, "%lu torn entries of %lu present reads", u->torn,
		      u->present_seen);
	free(u);
}
END_TEST

static void add_x86_update_race(TCase *tc)
{
	/* loop index 0: CMPXCHG16B path; 1: transient path */
	tcase_add_loop_test(tc, update_never_exposes_a_torn_present_entry, 0, 2);
}
#else
static void add_x86_update_race(TCase *tc)
{
	(void)tc;
}
#endif

/* ------------------------------------------------------------------ */
/* Posted-interrupt descriptors                                        */
/* ------------------------------------------------------------------ */

START_TEST(pi_desc_layout_hand_values)
{
	struct liommu_pi_desc pd;
	const uint8_t *bytes = (const uint8_t *)&pd;

	ck_assert_uint_eq(sizeof(pd), 64);
	ck_assert_uint_eq(alignof(struct liommu_pi_desc), 64);
	/* Bit 256 (ON) is byte 32: control starts there. */
	ck_assert_uint_eq(offsetof(struct liommu_pi_desc, control), 32);

	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 0x12345678u, true), 0);
	/* NV 0xf2 in 279:272 = control 23:16; NDST in 319:288 = 63:32. */
	ck_assert_uint_eq(pd.control, 0x1234567800f20000ULL);
	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 0x05, false), 0);
	/* xAPIC: APIC ID in NDST[15:8], bits 303:296 = control 47:40. */
	ck_assert_uint_eq(pd.control, 0x0000050000f20000ULL);
	ck_assert_uint_eq(liommu_pi_ndst(&pd, false), 0x05);
	ck_assert_uint_eq(liommu_pi_nv(&pd), 0xf2);

	/* PIR bit n is vector n: 0x31 -> byte 6 bit 1; 0xff -> byte 31 bit 7. */
	ck_assert(!liommu_pi_test_and_set_pir(&pd, 0x31));
	ck_assert(liommu_pi_test_and_set_pir(&pd, 0x31));
	ck_assert_uint_eq(bytes[6], 0x02);
	ck_assert(!liommu_pi_test_and_set_pir(&pd, 0xff));
	ck_assert_uint_eq(bytes[31], 0x80);
	ck_assert(liommu_pi_test_pir(&pd, 0xff));
	ck_assert(liommu_pi_test_and_clear_pir(&pd, 0xff));
	ck_assert(!liommu_pi_test_pir(&pd, 0xff));
	/* ON is bit 256: byte 32 bit 0; SN bit 257: byte 32 bit 1. */
	ck_assert(!liommu_pi_test_and_set_on(&pd));
	liommu_pi_set_sn(&pd);
	ck_assert_uint_eq(bytes[32], 0x03);
	ck_assert(liommu_pi_test_on(&pd) && liommu_pi_test_sn(&pd));
	liommu_pi_clear_sn(&pd);
	ck_assert(liommu_pi_test_and_clear_on(&pd));
	ck_assert_uint_eq(bytes[32], 0x00);
}
END_TEST

START_TEST(pi_desc_rejects_bad_input)
{
	struct liommu_pi_desc pd;

	ck_assert_int_eq(liommu_pi_desc_init(&pd, 15, 1, true), -EINVAL);
	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 0x100, false), -ERANGE);
	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 0x100, true), 0);
	ck_assert_int_eq(liommu_pi_post(&pd, 15, false), -EINVAL);
	ck_assert_int_eq(liommu_pi_set_dest(&pd, 1, true, 0), -EINVAL);
	ck_assert_int_eq(liommu_pi_set_dest(&pd, 256, false, 0xf2), -ERANGE);
	ck_assert_int_eq(liommu_pi_block(&pd, 3), -EINVAL);
	/* nothing changed by the refusals */
	ck_assert_uint_eq(liommu_pi_ndst(&pd, true), 0x100);
	ck_assert_uint_eq(liommu_pi_nv(&pd), 0xf2);
}
END_TEST

START_TEST(pi_post_follows_on_sn_urgent)
{
	struct liommu_pi_desc pd;
	uint64_t taken[4];

	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 3, true), 0);
	/* ON clear, SN clear: set ON, notify. */
	ck_assert_int_eq(liommu_pi_post(&pd, 0x41, false), 1);
	ck_assert(liommu_pi_test_on(&pd));
	/* ON already set: no second notification, PIR still collects. */
	ck_assert_int_eq(liommu_pi_post(&pd, 0x42, false), 0);
	ck_assert_uint_eq(liommu_pi_take_pir(&pd, taken), 2);
	ck_assert_uint_eq(taken[1], (1ULL << 1) | (1ULL << 2));	/* 0x41, 0x42 */
	ck_assert_uint_eq(taken[0] | taken[2] | taken[3], 0);
	ck_assert(liommu_pi_test_and_clear_on(&pd));
	/* SN set: a non-urgent posting neither sets ON nor notifies. */
	liommu_pi_set_sn(&pd);
	ck_assert_int_eq(liommu_pi_post(&pd, 0x50, false), 0);
	ck_assert(!liommu_pi_test_on(&pd));
	ck_assert(liommu_pi_test_pir(&pd, 0x50));
	/* ... an urgent one does. */
	ck_assert_int_eq(liommu_pi_post(&pd, 0x51, true), 1);
	ck_assert(liommu_pi_test_on(&pd));
	ck_assert_uint_eq(liommu_pi_take_pir(&pd, taken), 2);
	ck_assert_uint_eq(liommu_pi_take_pir(&pd, taken), 0);
}
END_TEST

START_TEST(pi_migration_and_blocking)
{
	struct liommu_pi_desc pd;

	ck_assert_int_eq(liommu_pi_desc_init(&pd, 0xf2, 3, false), 0);
	liommu_pi_set_sn(&pd);
	ck_assert_int_eq(liommu_pi_post(&pd, 0x60, true), 1);	/* ON set */
	/* vCPU loaded on APIC 9: NDST and NV replaced, SN cleared, ON kept. */
	ck_assert_int_eq(liommu_pi_set_dest(&pd, 9, false, 0xf3), 0);
	ck_assert_uint_eq(liommu_pi_ndst(&pd, false), 9);
	ck_assert_uint_eq(liommu_pi_nv(&pd), 0xf3);
	ck_assert(!liommu_pi_test_sn(&pd));
	ck_assert(liommu_pi_test_on(&pd));
	ck_assert_uint_eq(pd.control, 0x0000090000f30001ULL);
	/* Blocking with ON set: the caller must self-IPI the wake-up vector. */
	ck_assert_int_eq(liommu_pi_block(&pd, 0xf4), 1);
	ck_assert_uint_eq(liommu_pi_nv(&pd), 0xf4);
	ck_assert_uint_eq(liommu_pi_ndst(&pd, false), 9);
	ck_assert(liommu_pi_test_and_clear_on(&pd));
	ck_assert_int_eq(liommu_pi_block(&pd, 0xf4), 0);
	/* x2APIC destination takes all 32 bits. */
	ck_assert_int_eq(liommu_pi_set_dest(&pd, 0xabcdef01u, true, 0xf2), 0);
	ck_assert_uint_eq(liommu_pi_ndst(&pd, true), 0xabcdef01u);
	ck_assert_uint_eq(pd.control >> 32, 0xabcdef01u);
}
END_TEST

/* Two threads: one sets PIR bits as hardware would, the other drains with
 * liommu_pi_take_pir().  Every newly set bit is taken exactly once. */
struct pir_race {
	struct liommu_pi_desc pd;
	int done;
	unsigned long set_new;
	unsigned long taken;
};

static bool pir_empty(struct liommu_pi_desc *pd)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (__atomic_load_n(&pd->pir[i], __ATOMIC_SEQ_CST))
			return false;
	return true;
}

static void *pir_setter(void *arg)
{
	struct pir_race *r = arg;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	unsigned int round, i;

	/* Rounds of 1000 postings; between rounds wait for the drain, so
	 * the two threads interleave even on a loaded machine. */
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 1000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (!liommu_pi_test_and_set_pir(&r->pd, (uint8_t)(16 + x % 240)))
				r->set_new++;
		}
		while (!pir_empty(&r->pd))
			sched_yield();
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(pi_pir_atomics_two_threads)
{
	struct pir_race *r = calloc(1, sizeof(*r));
	uint64_t out[4];
	pthread_t t;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(liommu_pi_desc_init(&r->pd, 0xf2, 1, true), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, pir_setter, r), 0);
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		r->taken += liommu_pi_take_pir(&r->pd, out);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	r->taken += liommu_pi_take_pir(&r->pd, out);
	ck_assert_uint_eq(r->taken, r->set_new);
	ck_assert_uint_gt(r->set_new, 240 * 100);	/* many rounds of refills */
	free(r);
}
END_TEST

/* Poster (hardware) and receiver (the notified CPU): the receiver clears
 * ON before taking the PIR, as KVM does.  Nothing posted is lost, and
 * once both stop the descriptor is quiet: PIR empty, ON clear. */
struct notify_race {
	struct liommu_pi_desc pd;
	int done;
	int pending;		/* notifications sent, not yet handled */
	uint64_t posted[4];
	uint64_t seen[4];
	unsigned long notifications;
};

static void *poster(void *arg)
{
	struct notify_race *r = arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i;
	uint8_t v;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (uint8_t)(16 + x % 240);
		r->posted[v / 64] |= 1ULL << (v % 64);
		if ((i & 1023) == 0)
			liommu_pi_set_sn(&r->pd);	/* vCPU preempted */
		if ((i & 1023) == 512)
			liommu_pi_clear_sn(&r->pd);
		if (liommu_pi_post(&r->pd, v, (i & 7) == 0) == 1) {
			r->notifications++;
			__atomic_fetch_add(&r->pending, 1, __ATOMIC_SEQ_CST);
		}
	}
	liommu_pi_clear_sn(&r->pd);
	/* A final urgent posting flushes anything held back by SN. */
	if (liommu_pi_post(&r->pd, 0x20, true) == 1)
		__atomic_fetch_add(&r->pending, 1, __ATOMIC_SEQ_CST);
	r->posted[0] |= 1ULL << 0x20;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(pi_notification_protocol_two_threads)
{
	struct notify_race *r = calloc(1, sizeof(*r));
	uint64_t out[4];
	pthread_t t;
	unsigned int i;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(liommu_pi_desc_init(&r->pd, 0xf2, 1, true), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, poster, r), 0);
	for (;;) {
		int done = __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&r->pending, __ATOMIC_SEQ_CST) > 0) {
			__atomic_fetch_sub(&r->pending, 1, __ATOMIC_SEQ_CST);
			liommu_pi_test_and_clear_on(&r->pd);
			liommu_pi_take_pir(&r->pd, out);
			for (i = 0; i < 4; i++)
				r->seen[i] |= out[i];
		} else if (done) {
			break;
		}
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(r->seen[i], r->posted[i]);
		ck_assert_uint_eq(r->pd.pir[i], 0);
	}
	ck_assert(!liommu_pi_test_on(&r->pd));
	ck_assert_uint_gt(r->notifications, 0);
	free(r);
}
END_TEST

/* Migration racing with posting: NV and NDST always move together. */
struct migrate_race {
	struct liommu_pi_desc pd;
	int done;
	unsigned long failures;
	unsigned long mismatches;
};

static void *migrator(void *arg)
{
	struct migrate_race *r = arg;
	uint32_t cpu;

	for (cpu = 0; cpu < 200000; cpu++)
		if (liommu_pi_set_dest(&r->pd, cpu, true, (uint8_t)(0x20 + cpu % 200)))
			__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(pi_migration_is_one_update)
{
	struct migrate_race *r = calloc(1, sizeof(*r));
	pthread_t t;
	uint64_t c;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(liommu_pi_desc_init(&r->pd, 0x20, 0, true), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, migrator, r), 0);
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		liommu_pi_post(&r->pd, 0x30, false);
		liommu_pi_test_and_clear_on(&r->pd);
		c = __atomic_load_n(&r->pd.control, __ATOMIC_SEQ_CST);
		if (((c >> 16) & 0xff) != 0x20 + (c >> 32) % 200)
			r->mismatches++;
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(r->mismatches, 0);
	ck_assert_uint_eq(r->failures, 0);
	ck_assert_uint_eq(liommu_pi_ndst(&r->pd, true), 199999);
	free(r);
}
END_TEST

Suite *irte_suite(void);

Suite *irte_suite(void)
{
	Suite *s = suite_create("irte");
	TCase *tc;

	tc = tcase_create("remapped");
	tcase_add_test(tc, remap_xapic_hand_value);
	tcase_add_test(tc, remap_x2apic_all_fields_hand_value);
	tcase_add_test(tc, remap_nmi_ignores_vector);
	tcase_add_test(tc, remap_round_trip_random);
	tcase_add_test(tc, remap_every_single_field_moves_only_its_bits);
	tcase_add_test(tc, remap_rejects_bad_input);
	tcase_add_test(tc, remap_decode_rejects_every_reserved_bit);
	suite_add_tcase(s, tc);

	tc = tcase_create("source_validation");
	tcase_add_test(tc, sid_check_sq_masks);
	tcase_add_test(tc, sid_check_bus_range_and_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("posted");
	tcase_add_test(tc, posted_hand_value);
	tcase_add_test(tc, posted_round_trip_random);
	tcase_add_test(tc, posted_rejects_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("msi");
	tcase_add_test(tc, msi_handles_hand_values);
	tcase_add_test(tc, msi_subhandle_hand_value);
	tcase_add_test(tc, msi_round_trip_every_handle);
	tcase_add_test(tc, msi_rejects_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("ioapic");
	tcase_add_test(tc, ioapic_rte_hand_value_and_qemu_conversion);
	tcase_add_test(tc, ioapic_rte_round_trip_every_handle);
	tcase_add_test(tc, ioapic_rte_rejects_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("update");
	tcase_add_test(tc, update_orders_and_rejects);
	tcase_add_test(tc, update_store_order_never_exposes_a_mix);
	tcase_add_test(tc, update_cmpxchg16b_changes_both_halves);
	add_x86_update_race(tc);
	suite_add_tcase(s, tc);

	tc = tcase_create("posted_descriptor");
	tcase_add_test(tc, pi_desc_layout_hand_values);
	tcase_add_test(tc, pi_desc_rejects_bad_input);
	tcase_add_test(tc, pi_post_follows_on_sn_urgent);
	tcase_add_test(tc, pi_migration_and_blocking);
	tcase_add_test(tc, pi_pir_atomics_two_threads);
	tcase_add_test(tc, pi_notification_protocol_two_threads);
	tcase_add_test(tc, pi_migration_is_one_update);
	suite_add_tcase(s, tc);

	return s;
}
