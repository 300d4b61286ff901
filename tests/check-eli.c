// SPDX-License-Identifier: MIT
/*
 * check-eli.c - ELI helpers: IDT gates and the shadow IDT, the IDTR
 * #GP threshold, VMX and SVM MSR intercept maps for EOI pass-through,
 * the preemption-timer slice, spurious-EOI detection and the delivery
 * plan.
 *
 * Expected values are worked out by hand from the Intel SDM (6.14.1,
 * 24.6.9, 25.5.1, A.6) and the AMD APM (vol. 2 15.11), with the
 * arithmetic in comments.  Property tests use fixed seeds, named in the
 * failure messages.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/eli.h>
#include <liommu/irte.h>
#include <liommu/vtd.h>

/* See check-irte.c: cheap in loops, reports only on failure. */
#define REQUIRE_EQ(a, b, what)							\
	do {									\
		unsigned long long a_ = (unsigned long long)(a);		\
		unsigned long long b_ = (unsigned long long)(b);		\
		if (a_ != b_)							\
			ck_abort_msg("%s: %s = 0x%llx, expected 0x%llx (%s)",	\
				     what, #a, a_, b_, #b);			\
	} while (0)

#define QEMU_CAP_AW48	0x00d2008c222f0606ULL	/* no CAP.PI */
#define CAP_PI		(1ULL << 59)

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s;
}

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* ------------------------------------------------------------------ */
/* Gate descriptors                                                    */
/* ------------------------------------------------------------------ */

START_TEST(gate_hand_values)
{
	struct liommu_gate g = {
		.offset = 0xffffffff81a00b40ULL, .selector = 0x10, .ist = 1,
		.type = LIOMMU_GATE_TYPE_INTR, .dpl = 0, .present = true,
	}, d;
	struct liommu_idt_gate e;

	ck_assert_int_eq(liommu_eli_gate_compose(&g, &e), 0);
	/*
	 * Bytes 0-1 offset 15:0 = 0x0b40; bytes 2-3 selector 0x0010; byte 4
	 * IST = 0x01; byte 5 = P(1) DPL(00) 0 type(1110) = 0x8e; bytes 6-7
	 * offset 31:16 = 0x81a0.  Bytes 8-11 offset 63:32 = 0xffffffff.
	 */
	ck_assert_uint_eq(e.lo, 0x81a08e0100100b40ULL);
	ck_assert_uint_eq(e.hi, 0x00000000ffffffffULL);
	ck_assert_int_eq(liommu_eli_gate_decode(&e, &d), 0);
	ck_assert_uint_eq(d.offset, g.offset);
	ck_assert_uint_eq(d.selector, 0x10);
	ck_assert_uint_eq(d.ist, 1);
	ck_assert_uint_eq(d.type, 0xe);
	ck_assert(d.present);

	/* A DPL-3 trap gate (int3-style): byte 5 = 1 11 0 1111 = 0xef. */
	g.type = LIOMMU_GATE_TYPE_TRAP;
	g.dpl = 3;
	g.ist = 0;
	g.offset = 0x1234;
	ck_assert_int_eq(liommu_eli_gate_compose(&g, &e), 0);
	ck_assert_uint_eq(e.lo, 0x0000ef0000101234ULL);
	ck_assert_uint_eq(e.hi, 0);
}
END_TEST

START_TEST(gate_round_trip_random)
{
	struct liommu_gate g, d;
	struct liommu_idt_gate e;
	unsigned int i;

	rng_seed(0x6a7e);
	for (i = 0; i < 100000; i++) {
		g.offset = rng();
		g.selector = (uint16_t)rng();
		g.ist = (unsigned int)(rng() % 8);
		g.type = (rng() & 1) ? LIOMMU_GATE_TYPE_INTR : LIOMMU_GATE_TYPE_TRAP;
		g.dpl = (unsigned int)(rng() % 4);
		g.present = rng() & 1;
		REQUIRE_EQ(liommu_eli_gate_compose(&g, &e), 0, "gate seed 0x6a7e");
		REQUIRE_EQ(e.lo & (LIOMMU_GATE_LO_ZERO | LIOMMU_GATE_LO_S), 0, "gate seed 0x6a7e");
		REQUIRE_EQ(e.hi & LIOMMU_GATE_HI_RSVD, 0, "gate seed 0x6a7e");
		REQUIRE_EQ(liommu_eli_gate_decode(&e, &d), 0, "gate seed 0x6a7e");
		REQUIRE_EQ(d.offset, g.offset, "gate seed 0x6a7e");
		REQUIRE_EQ(d.selector, g.selector, "gate seed 0x6a7e");
		REQUIRE_EQ(d.ist, g.ist, "gate seed 0x6a7e");
		REQUIRE_EQ(d.type, g.type, "gate seed 0x6a7e");
		REQUIRE_EQ(d.dpl, g.dpl, "gate seed 0x6a7e");
		REQUIRE_EQ(d.present, g.present, "gate seed 0x6a7e");
	}
}
END_TEST

START_TEST(gate_rejects_bad_input)
{
	struct liommu_gate g = { .offset = 0x1000, .selector = 8, .type = 0xe, .present = true }, d;
	struct liommu_idt_gate e = { 0x77, 0x77 }, good, bad;
	unsigned int t, b;

	for (t = 0; t < 16; t++) {
		g.type = t;
		if (t == 0xe || t == 0xf)
			continue;
		ck_assert_int_eq(liommu_eli_gate_compose(&g, &e), -EINVAL);
	}
	ck_assert_uint_eq(e.lo, 0x77);
	g.type = 0xe;
	g.ist = 8;
	ck_assert_int_eq(liommu_eli_gate_compose(&g, &e), -ERANGE);
	g.ist = 0;
	g.dpl = 4;
	ck_assert_int_eq(liommu_eli_gate_compose(&g, &e), -ERANGE);
	g.dpl = 0;
	ck_assert_int_eq(liommu_eli_gate_compose(&g, &good), 0);

	/* Present gates with must-be-zero bits: lo 39:35, 44; hi 63:32. */
	for (b = 35; b <= 39; b++) {
		bad = good;
		bad.lo |= 1ULL << b;
		ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), -EINVAL);
	}
	bad = good;
	bad.lo |= 1ULL << 44;
	ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), -EINVAL);
	for (b = 32; b < 64; b++) {
		bad = good;
		bad.hi |= 1ULL << b;
		ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), -EINVAL);
	}
	/* Present gates of a type IA-32e forbids (0xc call gate, 0x5 task). */
	bad = good;
	bad.lo = (bad.lo & ~LIOMMU_GATE_LO_TYPE) | (0xcULL << 40);
	ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), -EINVAL);
	bad.lo = (bad.lo & ~LIOMMU_GATE_LO_TYPE) | (0x5ULL << 40);
	ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), -EINVAL);
	/* ... the same bits in a not-present gate are never looked at. */
	bad.lo &= ~LIOMMU_GATE_LO_P;
	bad.hi = ~0ULL;
	ck_assert_int_eq(liommu_eli_gate_decode(&bad, &d), 0);
	ck_assert(!d.present);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IDTR limit                                                          */
/* ------------------------------------------------------------------ */

START_TEST(idtr_limit_hand_values)
{
	uint16_t limit = 0x5555;
	unsigned int t, v;

	ck_assert_int_eq(liommu_eli_idtr_limit(256, &limit), 0);
	ck_assert_uint_eq(limit, 0xfff);	/* 256 * 16 - 1 */
	ck_assert_int_eq(liommu_eli_idtr_limit(0xf0, &limit), 0);
	ck_assert_uint_eq(limit, 0xeff);	/* 240 * 16 - 1 = 3839 */
	ck_assert_int_eq(liommu_eli_idtr_limit(32, &limit), 0);
	ck_assert_uint_eq(limit, 0x1ff);	/* 32 * 16 - 1 = 511 */
	ck_assert_int_eq(liommu_eli_idtr_limit(0, &limit), 0);
	ck_assert_uint_eq(limit, 0);
	limit = 0x5555;
	ck_assert_int_eq(liommu_eli_idtr_limit(257, &limit), -ERANGE);
	ck_assert_uint_eq(limit, 0x5555);

	/* Vector 0xef's gate is bytes 0xef0..0xeff: inside limit 0xeff;
	 * 0xf0's starts at 0xf00: outside, so it raises #GP. */
	ck_assert(liommu_eli_idt_covers(0xeff, 0xef));
	ck_assert(!liommu_eli_idt_covers(0xeff, 0xf0));
	ck_assert(!liommu_eli_idt_covers(0xefe, 0xef));	/* last byte cut off */
	for (t = 0; t <= 256; t++) {
		ck_assert_int_eq(liommu_eli_idtr_limit(t, &limit), 0);
		for (v = 0; v < 256; v++)
			REQUIRE_EQ(liommu_eli_idt_covers(limit, v), v < t, "threshold");
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Shadow IDT                                                          */
/* ------------------------------------------------------------------ */

/* A guest IDT with a distinct, well-formed, present gate per vector. */
static void fill_guest_idt(struct liommu_idt_gate *idt)
{
	struct liommu_gate g;
	unsigned int v;

	for (v = 0; v < 256; v++) {
		g.offset = 0xffffffff81000000ULL + v * 0x10;
		g.selector = 0x10;
		g.ist = v == 2 ? 2 : 0;
		g.type = v == 3 ? LIOMMU_GATE_TYPE_TRAP : LIOMMU_GATE_TYPE_INTR;
		g.dpl = v == 3 ? 3 : 0;
		g.present = true;
		REQUIRE_EQ(liommu_eli_gate_compose(&g, &idt[v]), 0, "fill_guest_idt");
	}
}

START_TEST(shadow_exposes_only_assigned)
{
	struct liommu_idt_gate guest[256];
	struct liommu_eli_shadow_cfg cfg;
	struct liommu_eli_shadow *sh = malloc(sizeof(*sh));
	unsigned int v;

	ck_assert_ptr_nonnull(sh);
	fill_guest_idt(guest);
	memset(&cfg, 0, sizeof(cfg));
	cfg.guest_idt = guest;
	cfg.guest_limit = 0xfff;
	cfg.threshold = 0xf0;
	liommu_eli_vecset_add(&cfg.assigned, 0x31);
	liommu_eli_vecset_add(&cfg.assigned, 0x40);
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, NULL), 2);
	ck_assert_uint_eq(sh->limit, 0xeff);
	for (v = 0; v < 256; v++) {
		if (v == 0x31 || v == 0x40) {
			ck_assert_uint_eq(sh->idt[v].lo, guest[v].lo);
			ck_assert_uint_eq(sh->idt[v].hi, guest[v].hi);
		} else {
			/* not-present: a host interrupt here raises #NP */
			ck_assert_uint_eq(sh->idt[v].lo, 0);
			ck_assert_uint_eq(sh->idt[v].hi, 0);
		}
	}
	ck_assert(liommu_eli_vecset_test(&sh->exposed, 0x31));
	ck_assert_uint_eq(liommu_eli_vecset_count(&sh->exposed), 2);
	free(sh);
}
END_TEST

START_TEST(shadow_rejects_and_skips)
{
	struct liommu_idt_gate guest[256];
	struct liommu_eli_shadow_cfg cfg;
	struct liommu_eli_shadow *sh = malloc(sizeof(*sh));
	unsigned int bad = 0;

	ck_assert_ptr_nonnull(sh);
	fill_guest_idt(guest);
	memset(&cfg, 0, sizeof(cfg));
	cfg.guest_idt = guest;
	cfg.guest_limit = 0xfff;
	cfg.threshold = 0xf0;
	/* Assigned at the threshold: unreachable, refused. */
	liommu_eli_vecset_add(&cfg.assigned, 0xf0);
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), -ERANGE);
	ck_assert_uint_eq(bad, 0xf0);
	liommu_eli_vecset_del(&cfg.assigned, 0xf0);
	cfg.threshold = 257;
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), -ERANGE);
	cfg.threshold = 256;
	/* A malformed guest gate on an assigned vector: refused, named. */
	guest[0x50].hi |= 1ULL << 40;
	liommu_eli_vecset_add(&cfg.assigned, 0x50);
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 0x50);
	/* ... on a vector not assigned it does not matter. */
	liommu_eli_vecset_del(&cfg.assigned, 0x50);
	liommu_eli_vecset_add(&cfg.assigned, 0x51);
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), 1);
	/* Not present in the guest, or beyond the guest's limit: not exposed. */
	guest[0x52].lo &= ~LIOMMU_GATE_LO_P;
	liommu_eli_vecset_add(&cfg.assigned, 0x52);
	liommu_eli_vecset_add(&cfg.assigned, 0x90);
	cfg.guest_limit = 0x90 * 16 - 1;	/* covers up to 0x8f */
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), 1);
	ck_assert(!liommu_eli_vecset_test(&sh->exposed, 0x52));
	ck_assert(!liommu_eli_vecset_test(&sh->exposed, 0x90));
	ck_assert_uint_eq(sh->idt[0x90].lo, 0);
	/* No guest IDT at all. */
	cfg.guest_idt = NULL;
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), -EINVAL);
	memset(&cfg.assigned, 0, sizeof(cfg.assigned));
	ck_assert_int_eq(liommu_eli_shadow_build(&cfg, sh, &bad), 0);
	free(sh);
}
END_TEST

START_TEST(shadow_property_never_exposes_outside_assigned)
{
	struct liommu_idt_gate guest[256];
	struct liommu_eli_shadow_cfg cfg;
	struct liommu_eli_shadow *sh = malloc(sizeof(*sh));
	struct liommu_gate g;
	unsigned int iter, v, n;
	int ret;

	ck_assert_ptr_nonnull(sh);
	rng_seed(0x5ad0);
	for (iter = 0; iter < 3000; iter++) {
		fill_guest_idt(guest);
		for (v = 0; v < 256; v++)
			if (rng() % 4 == 0)
				guest[v].lo &= ~LIOMMU_GATE_LO_P;
		memset(&cfg, 0, sizeof(cfg));
		cfg.guest_idt = guest;
		cfg.guest_limit = (uint16_t)(rng() % 0x1000);
		cfg.threshold = 32 + (unsigned int)(rng() % 225);
		for (v = 0; v < cfg.threshold; v++)
			if (rng() % 8 == 0)
				liommu_eli_vecset_add(&cfg.assigned, v);
		ret = liommu_eli_shadow_build(&cfg, sh, NULL);
		REQUIRE_EQ(ret >= 0, 1, "shadow seed 0x5ad0");
		n = 0;
		for (v = 0; v < 256; v++) {
			bool reachable = liommu_eli_idt_covers(sh->limit, v) &&
					 (sh->idt[v].lo & LIOMMU_GATE_LO_P);

			/* What the CPU can deliver through the shadow is the
			 * guest's gate of an assigned vector, and nothing else. */
			if (reachable) {
				REQUIRE_EQ(liommu_eli_vecset_test(&cfg.assigned, v), 1,
					   "shadow seed 0x5ad0");
				REQUIRE_EQ(sh->idt[v].lo, guest[v].lo, "shadow seed 0x5ad0");
				REQUIRE_EQ(sh->idt[v].hi, guest[v].hi, "shadow seed 0x5ad0");
				REQUIRE_EQ(liommu_eli_gate_decode(&sh->idt[v], &g), 0,
					   "shadow seed 0x5ad0");
				n++;
			}
			REQUIRE_EQ(reachable, liommu_eli_vecset_test(&sh->exposed, v),
				   "shadow seed 0x5ad0");
			if (!liommu_eli_vecset_test(&cfg.assigned, v))
				REQUIRE_EQ(sh->idt[v].lo | sh->idt[v].hi, 0, "shadow seed 0x5ad0");
		}
		REQUIRE_EQ(n, (unsigned int)ret, "shadow seed 0x5ad0");
	}
	free(sh);
}
END_TEST

/* ------------------------------------------------------------------ */
/* MSR maps                                                            */
/* ------------------------------------------------------------------ */

START_TEST(vmx_msr_bitmap_hand_values)
{
	uint8_t *bm = malloc(LIOMMU_VMX_MSR_BITMAP_SIZE);
	unsigned int i;

	ck_assert_ptr_nonnull(bm);
	ck_assert_int_eq(liommu_eli_vmx_msr_bitmap_build(bm), 0);
	/*
	 * x2APIC EOI 0x80b, write: write-low quarter at 0x800, byte
	 * 0x800 + 0x80b / 8 = 0x800 + 0x101 = 0x901, bit 0x80b % 8 = 3:
	 * 0xff & ~0x08 = 0xf7.  Every other byte stays 0xff.
	 */
	for (i = 0; i < LIOMMU_VMX_MSR_BITMAP_SIZE; i++)
		REQUIRE_EQ(bm[i], i == 0x901 ? 0xf7 : 0xff, "vmx byte");
	ck_assert(!liommu_eli_vmx_msr_exits(bm, 0x80b, true));
	/* The EOI read bit: read-low byte 0x101, bit 3, still set. */
	ck_assert(liommu_eli_vmx_msr_exits(bm, 0x80b, false));

	/* IA32_EFER 0xc0000080 write: write-high 0xc00 + 0x80 / 8 = 0xc10,
	 * bit 0. */
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0xc0000080u, true, false), 0);
	ck_assert_uint_eq(bm[0xc10], 0xfe);
	/* 0xc0001fff read: read-high 0x400 + 0x1fff / 8 = 0x7ff, bit 7. */
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0xc0001fffu, false, false), 0);
	ck_assert_uint_eq(bm[0x7ff], 0x7f);
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0xc0001fffu, false, true), 0);
	ck_assert_uint_eq(bm[0x7ff], 0xff);

	/* Outside both ranges: no bit, always exits. */
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0x2000, true, false), -ERANGE);
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0xc0002000u, true, false), -ERANGE);
	ck_assert_int_eq(liommu_eli_vmx_msr_intercept(bm, 0x40000000u, false, false), -ERANGE);
	ck_assert(liommu_eli_vmx_msr_exits(bm, 0x40000000u, false));
	free(bm);
}
END_TEST

START_TEST(svm_msrpm_hand_values)
{
	uint8_t *pm = malloc(LIOMMU_SVM_MSRPM_SIZE);
	unsigned int i;

	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(liommu_eli_svm_msrpm_build(pm), 0);
	/*
	 * MSR 0x80b is in the first 2 KiB range (0x0-0x1fff): write bit
	 * 2 * 0x80b + 1 = 0x1017, byte 0x1017 / 8 = 0x202, bit 7:
	 * 0xff & ~0x80 = 0x7f.  The read bit 0x1016 (byte 0x202 bit 6) stays.
	 */
	for (i = 0; i < LIOMMU_SVM_MSRPM_SIZE; i++)
		REQUIRE_EQ(pm[i], i == 0x202 ? 0x7f : 0xff, "svm byte");
	ck_assert(!liommu_eli_svm_msr_exits(pm, 0x80b, true));
	ck_assert(liommu_eli_svm_msr_exits(pm, 0x80b, false));

	/* EFER 0xc0000080: range 0x800, bits 0x100 (read) and 0x101
	 * (write) of the range: byte 0x800 + 0x20 = 0x820, bit 1 for write. */
	ck_assert_int_eq(liommu_eli_svm_msr_intercept(pm, 0xc0000080u, true, false), 0);
	ck_assert_uint_eq(pm[0x820], 0xfd);
	/* 0xc0010000 read: range 0x1000, bit 0. */
	ck_assert_int_eq(liommu_eli_svm_msr_intercept(pm, 0xc0010000u, false, false), 0);
	ck_assert_uint_eq(pm[0x1000], 0xfe);
	/* 0xc0011fff write: bit 2 * 0x1fff + 1 = 0x3fff: byte 0x1000 + 0x7ff
	 * = 0x17ff, bit 7. */
	ck_assert_int_eq(liommu_eli_svm_msr_intercept(pm, 0xc0011fffu, true, false), 0);
	ck_assert_uint_eq(pm[0x17ff], 0x7f);
	ck_assert_int_eq(liommu_eli_svm_msr_intercept(pm, 0xc0012000u, true, false), -ERANGE);
	ck_assert_int_eq(liommu_eli_svm_msr_intercept(pm, 0x2000, false, false), -ERANGE);
	ck_assert(liommu_eli_svm_msr_exits(pm, 0xc0012000u, true));
	free(pm);
}
END_TEST

/* Every MSR access exits except the x2APIC EOI write, on both maps. */
START_TEST(msr_property_only_eoi_write_passes)
{
	static const uint32_t bases[] = { 0x0, 0xc0000000u, 0xc0010000u };
	uint8_t *bm = malloc(LIOMMU_VMX_MSR_BITMAP_SIZE);
	uint8_t *pm = malloc(LIOMMU_SVM_MSRPM_SIZE);
	unsigned int r, i, w;
	uint32_t msr;

	ck_assert_ptr_nonnull(bm);
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(liommu_eli_vmx_msr_bitmap_build(bm), 0);
	ck_assert_int_eq(liommu_eli_svm_msrpm_build(pm), 0);
	for (r = 0; r < 3; r++) {
		for (i = 0; i < 0x2000; i++) {
			msr = bases[r] + i;
			for (w = 0; w < 2; w++) {
				bool eoi = msr == LIOMMU_MSR_X2APIC_EOI && w;

				REQUIRE_EQ(liommu_eli_vmx_msr_exits(bm, msr, w), !eoi, "vmx msr");
				REQUIRE_EQ(liommu_eli_svm_msr_exits(pm, msr, w), !eoi, "svm msr");
			}
		}
	}
	rng_seed(0x3503);
	for (i = 0; i < 100000; i++) {
		msr = (uint32_t)rng();
		for (w = 0; w < 2; w++) {
			bool eoi = msr == LIOMMU_MSR_X2APIC_EOI && w;

			REQUIRE_EQ(liommu_eli_vmx_msr_exits(bm, msr, w), !eoi, "vmx seed 0x3503");
			REQUIRE_EQ(liommu_eli_svm_msr_exits(pm, msr, w), !eoi, "svm seed 0x3503");
		}
	}
	free(bm);
	free(pm);
}
END_TEST

/* Toggling one MSR's intercept changes exactly one bit of the map. */
START_TEST(msr_property_one_bit_per_access)
{
	static const uint32_t bases[] = { 0x0, 0xc0000000u, 0xc0010000u };
	uint8_t *a = malloc(LIOMMU_SVM_MSRPM_SIZE), *b = malloc(LIOMMU_SVM_MSRPM_SIZE);
	unsigned int i, k, diff;
	uint32_t msr;
	bool w;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	rng_seed(0xb17);
	for (i = 0; i < 2000; i++) {
		msr = bases[rng() % 3] + (uint32_t)(rng() % 0x2000);
		w = rng() & 1;
		if (msr < 0xc0010000u) {
			ck_assert_int_eq(liommu_eli_vmx_msr_bitmap_build(a), 0);
			memcpy(b, a, LIOMMU_VMX_MSR_BITMAP_SIZE);
			REQUIRE_EQ(liommu_eli_vmx_msr_intercept(b, msr, w, false), 0, "vmx seed 0xb17");
			for (k = 0, diff = 0; k < LIOMMU_VMX_MSR_BITMAP_SIZE; k++)
				diff += (unsigned int)__builtin_popcount(a[k] ^ b[k]);
			REQUIRE_EQ(diff, msr == LIOMMU_MSR_X2APIC_EOI && w ? 0 : 1, "vmx seed 0xb17");
			REQUIRE_EQ(liommu_eli_vmx_msr_exits(b, msr, w), false, "vmx seed 0xb17");
			REQUIRE_EQ(liommu_eli_vmx_msr_exits(b, msr, !w),
				   !(msr == LIOMMU_MSR_X2APIC_EOI && !w), "vmx seed 0xb17");
		}
		ck_assert_int_eq(liommu_eli_svm_msrpm_build(a), 0);
		memcpy(b, a, LIOMMU_SVM_MSRPM_SIZE);
		REQUIRE_EQ(liommu_eli_svm_msr_intercept(b, msr, w, false), 0, "svm seed 0xb17");
		for (k = 0, diff = 0; k < LIOMMU_SVM_MSRPM_SIZE; k++)
			diff += (unsigned int)__builtin_popcount(a[k] ^ b[k]);
		REQUIRE_EQ(diff, msr == LIOMMU_MSR_X2APIC_EOI && w ? 0 : 1, "svm seed 0xb17");
		REQUIRE_EQ(liommu_eli_svm_msr_exits(b, msr, w), false, "svm seed 0xb17");
	}
	free(a);
	free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Preemption timer                                                    */
/* ------------------------------------------------------------------ */

START_TEST(preempt_timer_hand_values)
{
	uint32_t v = 0x1234;
	uint64_t ns;

	/* 2.5 GHz, X = 5, 1 ms: 2.5e9 * 1e6 / 1e9 = 2,500,000 ticks;
	 * / 2^5 = 78,125 exactly. */
	ck_assert_int_eq(liommu_eli_preempt_timer(2500000000ULL, 5, 1000000, &v), 0);
	ck_assert_uint_eq(v, 78125);
	/* and back: 78,125 * 32 * 1e9 / 2.5e9 = 1,000,000 ns. */
	ck_assert_int_eq(liommu_eli_preempt_timer_ns(2500000000ULL, 5, v, &ns), 0);
	ck_assert_uint_eq(ns, 1000000);
	/* Only IA32_VMX_MISC 4:0 count: 0x7004c1e7 has X = 7.  3 GHz, 10 ms:
	 * 3e7 ticks / 128 = 234,375. */
	ck_assert_int_eq(liommu_eli_preempt_timer(3000000000ULL, 0x7004c1e7ULL, 10000000, &v), 0);
	ck_assert_uint_eq(v, 234375);
	/* Rounds down: 3 GHz, X = 5, 1 ns = 3 ticks -> 0 (exit at once). */
	ck_assert_int_eq(liommu_eli_preempt_timer(3000000000ULL, 5, 1, &v), 0);
	ck_assert_uint_eq(v, 0);
	/* The 32-bit field: at 1 GHz and X = 0 a tick is 1 ns, so
	 * 2^32 - 1 ns fits and 2^32 ns does not. */
	ck_assert_int_eq(liommu_eli_preempt_timer(1000000000ULL, 0, 0xffffffffULL, &v), 0);
	ck_assert_uint_eq(v, 0xffffffffu);
	v = 7;
	ck_assert_int_eq(liommu_eli_preempt_timer(1000000000ULL, 0, 0x100000000ULL, &v), -ERANGE);
	ck_assert_uint_eq(v, 7);
	/* 3 GHz, X = 0, 2 s = 6e9 ticks > 2^32 - 1; with X = 5 it fits. */
	ck_assert_int_eq(liommu_eli_preempt_timer(3000000000ULL, 0, 2000000000ULL, &v), -ERANGE);
	ck_assert_int_eq(liommu_eli_preempt_timer(3000000000ULL, 5, 2000000000ULL, &v), 0);
	ck_assert_uint_eq(v, 187500000);
	/* The product tsc_hz * slice_ns overflows 64 bits without wrapping. */
	ck_assert_int_eq(liommu_eli_preempt_timer(UINT64_MAX, 31, UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(liommu_eli_preempt_timer(0, 5, 1000, &v), -EINVAL);
	ck_assert_int_eq(liommu_eli_preempt_timer_ns(0, 5, 1, &ns), -EINVAL);
}
END_TEST

START_TEST(preempt_timer_property_never_late)
{
	uint64_t hz, slice, ns, misc;
	uint32_t v;
	unsigned int i, ok = 0;

	rng_seed(0x7e11);
	for (i = 0; i < 100000; i++) {
		hz = 100000000ULL + rng() % 5000000000ULL;
		misc = rng();
		slice = rng() % 10000000000ULL;
		if (liommu_eli_preempt_timer(hz, misc, slice, &v))
			continue;
		ok++;
		REQUIRE_EQ(liommu_eli_preempt_timer_ns(hz, misc, v, &ns), 0, "timer seed 0x7e11");
		REQUIRE_EQ(ns <= slice, 1, "timer seed 0x7e11");
		/* and not more than one timer tick early */
		if (v < UINT32_MAX) {
			REQUIRE_EQ(liommu_eli_preempt_timer_ns(hz, misc, v + 1, &ns), 0,
				   "timer seed 0x7e11");
			REQUIRE_EQ(ns + 1 >= slice, 1, "timer seed 0x7e11");
		}
	}
	ck_assert_uint_gt(ok, 1000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Spurious EOIs                                                       */
/* ------------------------------------------------------------------ */

START_TEST(isr_classifies_eois)
{
	struct liommu_eli_isr isr;
	struct liommu_eli_vecset guest;
	unsigned int v = 0;

	memset(&isr, 0, sizeof(isr));
	memset(&guest, 0, sizeof(guest));
	liommu_eli_vecset_add(&guest, 0x31);
	liommu_eli_vecset_add(&guest, 0xc0);

	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_SPURIOUS);
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 0x31), 0);
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 0x80), 0);	/* host, nested */
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 0x31), -EBUSY);
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 15), -EINVAL);
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 256), -EINVAL);
	/* The guest's EOI retires the highest in service: the host's 0x80. */
	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_HOST);
	ck_assert_uint_eq(v, 0x80);
	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_GUEST);
	ck_assert_uint_eq(v, 0x31);
	v = 7;
	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_SPURIOUS);
	ck_assert_uint_eq(v, 7);
	/* Highest across words: 0xc0 (word 3) before 0x7f (word 1). */
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 0x7f), 0);
	ck_assert_int_eq(liommu_eli_isr_deliver(&isr, 0xc0), 0);
	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_GUEST);
	ck_assert_uint_eq(v, 0xc0);
	ck_assert_int_eq(liommu_eli_isr_eoi(&isr, &guest, &v), LIOMMU_ELI_EOI_HOST);
	ck_assert_uint_eq(v, 0x7f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Delivery plan                                                       */
/* ------------------------------------------------------------------ */

static const struct liommu_eli_core plan_cores[] = {
	{ .apic_id = 0, .guest = false, .pi_desc = 0 },
	{ .apic_id = 2, .guest = true, .pi_desc = 0x7f001000ULL },
	{ .apic_id = 4, .guest = true, .pi_desc = 0 },
};

static struct liommu_eli_plan_cfg plan_cfg(void)
{
	struct liommu_eli_plan_cfg c;

	memset(&c, 0, sizeof(c));
	c.cores = plan_cores;
	c.ncores = 3;
	c.host_core = 0;
	c.bounce_vector = 0xec;
	c.threshold = 0xf0;
	c.cap = QEMU_CAP_AW48;
	liommu_eli_vecset_add(&c.host_critical, 0xef);	/* e.g. the host timer */
	liommu_eli_vecset_add(&c.host_critical, 0xfd);
	return c;
}

START_TEST(plan_routes_by_rule)
{
	static const struct liommu_eli_source src[] = {
		/* host, sid, vector, core, level */
		{ false, 0x0008, 0x41, 1, false },	/* 0: ELI */
		{ false, 0x0008, 0x42, 1, true },	/* 1: level -> bounce */
		{ false, 0x0010, 0x1f, 1, false },	/* 2: exception range */
		{ false, 0x0010, 0x43, 0, false },	/* 3: host core */
		{ false, 0x0018, 0xef, 1, false },	/* 4: host-critical vector */
		{ false, 0x0018, 0xf5, 2, false },	/* 5: above the #GP threshold */
		{ true, 0x00f8, 0xfd, 2, false },	/* 6: critical on guest core: NMI */
		{ true, 0x00f8, 0xfd, 2, true },	/* 7: ... level: moved */
		{ true, 0x00f0, 0x60, 2, false },	/* 8: not critical: moved */
		{ true, 0x00f0, 0x61, 0, false },	/* 9: host core: stays */
	};
	static const struct {
		enum liommu_eli_route route;
		enum liommu_eli_reason reason;
		unsigned int core;
	} want[] = {
		{ LIOMMU_ELI_ROUTE_ELI, LIOMMU_ELI_REASON_NONE, 1 },
		{ LIOMMU_ELI_ROUTE_BOUNCE, LIOMMU_ELI_REASON_LEVEL, 0 },
		{ LIOMMU_ELI_ROUTE_BOUNCE, LIOMMU_ELI_REASON_VECTOR_RESERVED, 0 },
		{ LIOMMU_ELI_ROUTE_BOUNCE, LIOMMU_ELI_REASON_NOT_GUEST_CORE, 0 },
		{ LIOMMU_ELI_ROUTE_BOUNCE, LIOMMU_ELI_REASON_VECTOR_CRITICAL, 0 },
		{ LIOMMU_ELI_ROUTE_BOUNCE, LIOMMU_ELI_REASON_VECTOR_ABOVE_LIMIT, 0 },
		{ LIOMMU_ELI_ROUTE_NMI, LIOMMU_ELI_REASON_NONE, 2 },
		{ LIOMMU_ELI_ROUTE_HOST, LIOMMU_ELI_REASON_LEVEL_NO_NMI, 0 },
		{ LIOMMU_ELI_ROUTE_HOST, LIOMMU_ELI_REASON_MOVED, 0 },
		{ LIOMMU_ELI_ROUTE_HOST, LIOMMU_ELI_REASON_NONE, 0 },
	};
	struct liommu_eli_plan_cfg c = plan_cfg();
	struct liommu_eli_decision d[10];
	struct liommu_eli_vecset exposed;
	struct liommu_irte_remap r;
	unsigned int i;

	ck_assert_int_eq(liommu_eli_plan(&c, src, 10, d, &exposed), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_msg(d[i].route == want[i].route, "source %u route %d", i, d[i].route);
		ck_assert_msg(d[i].reason == want[i].reason, "source %u reason %d", i, d[i].reason);
		ck_assert_uint_eq(d[i].core, want[i].core);
	}
	/* Source 0: vector 0x41 << 16, xAPIC dest 2 << 40, P:
	 * 0x0000020000410001; SID 0x0008 with SVT 01b: 0x40008. */
	ck_assert_uint_eq(d[0].irte.lo, 0x0000020000410001ULL);
	ck_assert_uint_eq(d[0].irte.hi, 0x0000000000040008ULL);
	/* Source 1: bounce vector 0xec to APIC 0, level (TM 0x10). */
	ck_assert_uint_eq(d[1].irte.lo, 0x0000000000ec0011ULL);
	/* Source 6: NMI (DLM 100b << 5 = 0x80) to APIC 4. */
	ck_assert_uint_eq(d[6].irte.lo, 0x0000040000fd0081ULL);
	ck_assert_int_eq(liommu_irte_decode_remap(&d[6].irte, false, &r), 0);
	ck_assert_uint_eq(r.dlm, VTD_DLM_NMI);
	/* Only the ELI-routed vector is exposed. */
	ck_assert_uint_eq(liommu_eli_vecset_count(&exposed), 1);
	ck_assert(liommu_eli_vecset_test(&exposed, 0x41));
}
END_TEST

START_TEST(plan_posts_with_cap_pi)
{
	static const struct liommu_eli_source src[] = {
		{ false, 0x0008, 0x41, 1, false },	/* core with a descriptor */
		{ false, 0x0008, 0xef, 1, false },	/* critical vector: posting is fine */
		{ false, 0x0010, 0x42, 2, false },	/* no descriptor: ELI */
	};
	struct liommu_eli_plan_cfg c = plan_cfg();
	struct liommu_eli_decision d[3];
	struct liommu_eli_vecset exposed;
	struct liommu_irte_posted p;

	c.cap = QEMU_CAP_AW48 | CAP_PI;
	ck_assert_int_eq(liommu_eli_plan(&c, src, 3, d, &exposed), 0);
	ck_assert_int_eq(d[0].route, LIOMMU_ELI_ROUTE_POSTED);
	ck_assert_int_eq(liommu_irte_decode_posted(&d[0].irte, &p), 0);
	ck_assert_uint_eq(p.pda, 0x7f001000ULL);
	ck_assert_uint_eq(p.vector, 0x41);
	ck_assert_int_eq(d[1].route, LIOMMU_ELI_ROUTE_POSTED);
	ck_assert_int_eq(d[2].route, LIOMMU_ELI_ROUTE_ELI);
	ck_assert_uint_eq(liommu_eli_vecset_count(&exposed), 1);
	ck_assert(liommu_eli_vecset_test(&exposed, 0x42));
	/* prefer_eli: ELI where allowed, bounce for the critical vector. */
	c.prefer_eli = true;
	ck_assert_int_eq(liommu_eli_plan(&c, src, 3, d, &exposed), 0);
	ck_assert_int_eq(d[0].route, LIOMMU_ELI_ROUTE_ELI);
	ck_assert_int_eq(d[1].route, LIOMMU_ELI_ROUTE_BOUNCE);
	ck_assert_int_eq(d[1].reason, LIOMMU_ELI_REASON_VECTOR_CRITICAL);
}
END_TEST

START_TEST(plan_rejects_bad_input)
{
	struct liommu_eli_source s = { false, 8, 0x41, 1, false };
	struct liommu_eli_core cores[3];
	struct liommu_eli_plan_cfg c = plan_cfg();
	struct liommu_eli_decision d;

	c.ncores = 0;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	c = plan_cfg();
	c.host_core = 3;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	c.host_core = 1;	/* a guest core */
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	c = plan_cfg();
	c.bounce_vector = 0x1f;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	c = plan_cfg();
	c.threshold = 31;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -ERANGE);
	c.threshold = 257;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -ERANGE);
	c = plan_cfg();
	s.core = 3;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	s.core = 0;
	s.host = true;
	s.vector = 0x10;	/* host vector in the exception range */
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
	/* An APIC ID above 255 without x2APIC. */
	memcpy(cores, plan_cores, sizeof(cores));
	cores[1].apic_id = 0x100;
	c.cores = cores;
	s.host = false;
	s.vector = 0x41;
	s.core = 1;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -ERANGE);
	c.x2apic = true;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), 0);
	/* A misaligned posted descriptor is the encoder's -EINVAL. */
	cores[1].pi_desc = 0x7f001020ULL;
	c.cap |= CAP_PI;
	ck_assert_int_eq(liommu_eli_plan(&c, &s, 1, &d, NULL), -EINVAL);
}
END_TEST

/*
 * End to end, over random machines: the plan's IRTEs decode to what the
 * route promises, and the shadow IDT built from the plan's exposed set
 * never lets a host-critical vector, an exception vector or a vector at
 * or above the threshold through to the guest.
 */
START_TEST(plan_property_protects_host_vectors)
{
	struct liommu_idt_gate guest[256];
	struct liommu_eli_core cores[8];
	struct liommu_eli_source src[64];
	struct liommu_eli_decision d[64];
	struct liommu_eli_plan_cfg c;
	struct liommu_eli_shadow_cfg sc;
	struct liommu_eli_shadow *sh = malloc(sizeof(*sh));
	struct liommu_eli_vecset exposed;
	struct liommu_irte_remap r;
	struct liommu_irte_posted p;
	unsigned int iter, i, v, n;

	ck_assert_ptr_nonnull(sh);
	fill_guest_idt(guest);
	rng_seed(0xe11);
	for (iter = 0; iter < 2000; iter++) {
		memset(&c, 0, sizeof(c));
		c.ncores = 2 + (unsigned int)(rng() % 7);
		c.x2apic = rng() & 1;
		for (i = 0; i < c.ncores; i++) {
			cores[i].apic_id = c.x2apic ? (uint32_t)rng() : (uint32_t)(rng() % 256);
			cores[i].guest = i != 0 && (rng() % 3 != 0);
			cores[i].pi_desc = (rng() & 1) ? (rng() & 0xffffffffffc0ULL) | 0x40 : 0;
		}
		c.cores = cores;
		c.host_core = 0;
		c.bounce_vector = (uint8_t)(32 + rng() % 224);
		c.threshold = 32 + (unsigned int)(rng() % 225);
		c.cap = (rng() & 1) ? CAP_PI : 0;
		c.prefer_eli = rng() & 1;
		for (v = 0; v < 256; v++)
			if (rng() % 16 == 0)
				liommu_eli_vecset_add(&c.host_critical, v);
		n = 1 + (unsigned int)(rng() % 64);
		for (i = 0; i < n; i++) {
			src[i].host = rng() % 3 == 0;
			src[i].sid = (uint16_t)rng();
			src[i].vector = (uint8_t)(src[i].host ? 32 + rng() % 224 : rng() % 256);
			src[i].core = (unsigned int)(rng() % c.ncores);
			src[i].level = rng() % 4 == 0;
		}
		REQUIRE_EQ(liommu_eli_plan(&c, src, n, d, &exposed), 0, "plan seed 0xe11");
		for (v = 0; v < 256; v++) {
			if (!liommu_eli_vecset_test(&exposed, v))
				continue;
			REQUIRE_EQ(liommu_eli_vecset_test(&c.host_critical, v), 0, "plan seed 0xe11");
			REQUIRE_EQ(v >= 32 && v < c.threshold, 1, "plan seed 0xe11");
		}
		for (i = 0; i < n; i++) {
			const struct liommu_eli_core *core = &cores[d[i].core];

			if (d[i].route == LIOMMU_ELI_ROUTE_POSTED) {
				REQUIRE_EQ(liommu_irte_decode_posted(&d[i].irte, &p), 0, "plan posted");
				REQUIRE_EQ(p.pda, core->pi_desc, "plan posted");
				REQUIRE_EQ(p.vector, src[i].vector, "plan posted");
				REQUIRE_EQ(core->guest && !src[i].host && !src[i].level, 1,
					   "plan posted");
				continue;
			}
			REQUIRE_EQ(liommu_irte_decode_remap(&d[i].irte, c.x2apic, &r), 0, "plan remap");
			REQUIRE_EQ(r.dest, core->apic_id, "plan remap");
			REQUIRE_EQ(r.sid.sid, src[i].sid, "plan remap");
			REQUIRE_EQ(r.sid.svt, VTD_SVT_SID, "plan remap");
			switch (d[i].route) {
			case LIOMMU_ELI_ROUTE_ELI:
				REQUIRE_EQ(core->guest && !src[i].host, 1, "plan eli");
				REQUIRE_EQ(liommu_eli_vecset_test(&exposed, r.vector), 1, "plan eli");
				break;
			case LIOMMU_ELI_ROUTE_NMI:
				REQUIRE_EQ(r.dlm, VTD_DLM_NMI, "plan nmi");
				REQUIRE_EQ(src[i].host && !src[i].level, 1, "plan nmi");
				REQUIRE_EQ(liommu_eli_vecset_test(&c.host_critical, src[i].vector), 1,
					   "plan nmi");
				break;
			case LIOMMU_ELI_ROUTE_BOUNCE:
				REQUIRE_EQ(r.vector, c.bounce_vector, "plan bounce");
				REQUIRE_EQ(core->guest, 0, "plan bounce");
				break;
			case LIOMMU_ELI_ROUTE_HOST:
				REQUIRE_EQ(src[i].host, 1, "plan host");
				REQUIRE_EQ(core->guest, 0, "plan host");
				break;
			default:
				ck_abort_msg("route %d", d[i].route);
			}
		}
		/* Feed the exposed set to the shadow IDT builder. */
		memset(&sc, 0, sizeof(sc));
		sc.guest_idt = guest;
		sc.guest_limit = 0xfff;
		sc.assigned = exposed;
		sc.threshold = c.threshold;
		REQUIRE_EQ(liommu_eli_shadow_build(&sc, sh, NULL),
			   liommu_eli_vecset_count(&exposed), "plan shadow");
		for (v = 0; v < 256; v++) {
			if (!liommu_eli_idt_covers(sh->limit, v) || !(sh->idt[v].lo & LIOMMU_GATE_LO_P))
				continue;
			REQUIRE_EQ(liommu_eli_vecset_test(&c.host_critical, v), 0, "plan shadow");
			REQUIRE_EQ(v >= 32, 1, "plan shadow");
		}
	}
	free(sh);
}
END_TEST

Suite *eli_suite(void);

Suite *eli_suite(void)
{
	Suite *s = suite_create("eli");
	TCase *tc;

	tc = tcase_create("gates");
	tcase_add_test(tc, gate_hand_values);
	tcase_add_test(tc, gate_round_trip_random);
	tcase_add_test(tc, gate_rejects_bad_input);
	tcase_add_test(tc, idtr_limit_hand_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("shadow_idt");
	tcase_add_test(tc, shadow_exposes_only_assigned);
	tcase_add_test(tc, shadow_rejects_and_skips);
	tcase_add_test(tc, shadow_property_never_exposes_outside_assigned);
	suite_add_tcase(s, tc);

	tc = tcase_create("msr_maps");
	tcase_add_test(tc, vmx_msr_bitmap_hand_values);
	tcase_add_test(tc, svm_msrpm_hand_values);
	tcase_add_test(tc, msr_property_only_eoi_write_passes);
	tcase_add_test(tc, msr_property_one_bit_per_access);
	suite_add_tcase(s, tc);

	tc = tcase_create("protection");
	tcase_add_test(tc, preempt_timer_hand_values);
	tcase_add_test(tc, preempt_timer_property_never_late);
	tcase_add_test(tc, isr_classifies_eois);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan");
	tcase_add_test(tc, plan_routes_by_rule);
	tcase_add_test(tc, plan_posts_with_cap_pi);
	tcase_add_test(tc, plan_rejects_bad_input);
	tcase_add_test(tc, plan_property_protects_host_vectors);
	suite_add_tcase(s, tc);

	return s;
}
