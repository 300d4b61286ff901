/* SPDX-License-Identifier: MIT */
/*
 * liommu/eli.h - ExitLess Interrupts (ELI) helpers.
 *
 * ELI (Gordon et al., "ELI: Bare-Metal Performance for I/O
 * Virtualization", ASPLOS 2012) lets a guest take the interrupts of its
 * assigned devices, and signal their completion, without VM exits:
 *
 *  - the guest runs with external-interrupt exiting off and a *shadow
 *    IDT*: the vectors of its assigned devices keep the guest's gates,
 *    every other vector is not-present, so a host interrupt arriving
 *    while the guest runs raises #NP, which the exception bitmap turns
 *    into an exit; the shadow IDTR limit can also cut the table short so
 *    vectors at or above a threshold raise #GP (another exit);
 *  - the MSR bitmap lets x2APIC EOI writes (MSR 0x80B) through and traps
 *    every other MSR access;
 *  - protection: a VMX-preemption-timer slice bounds how long the guest
 *    runs, spurious EOIs (nothing of the guest's in service) are
 *    detected, and host-critical interrupts aimed at a guest core are
 *    redirected as NMIs, which exit even with the guest's IF clear;
 *  - a delivery plan decides per interrupt source between direct
 *    delivery (ELI, or VT-d posting when CAP.PI allows), bouncing to a
 *    host core, and NMI redirection, and builds the IRTEs with the
 *    irq-remap encoders (liommu/irte.h).
 *
 * The Intel SDM structures used here are defined in this header, each
 * once: 64-bit IDT gate descriptors (vol. 3A 6.14.1), the VMX MSR bitmap
 * (vol. 3C 24.6.9; 25.6.9 in 2023+ editions), IA32_VMX_MISC (vol. 3D
 * A.6) and the preemption timer (vol. 3C 25.5.1); the AMD SVM MSR
 * permission map follows the AMD64 APM vol. 2 15.11.
 *
 * Threading contract: every function is pure or works only on memory the
 * caller passes in; none takes a lock.  Callers serialise writers of one
 * bitmap, shadow IDT or ISR tracker.
 *
 * Errors: negative errno values (-EINVAL malformed, -ERANGE out of
 * range).
 */
#ifndef LIOMMU_ELI_H
#define LIOMMU_ELI_H

#include <stdbool.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/irte.h>
#include <liommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIOMMU_ELI_VECTORS		256
/* Vectors 0-31 are the architecture's exceptions (SDM vol. 3A 6.3.1). */
#define LIOMMU_ELI_FIRST_EXTERNAL	32

/* ------------------------------------------------------------------ */
/* Vector sets                                                         */
/* ------------------------------------------------------------------ */

/* A set of the 256 vectors: bit n of the 256 is vector n. */
struct liommu_eli_vecset {
	uint64_t bits[4];
};

/* Vectors above 255 are ignored by add and del and never members. */
static inline void liommu_eli_vecset_add(struct liommu_eli_vecset *s, unsigned int v)
{
	if (v < LIOMMU_ELI_VECTORS)
		s->bits[v / 64] |= 1ULL << (v % 64);
}

static inline void liommu_eli_vecset_del(struct liommu_eli_vecset *s, unsigned int v)
{
	if (v < LIOMMU_ELI_VECTORS)
		s->bits[v / 64] &= ~(1ULL << (v % 64));
}

static inline bool liommu_eli_vecset_test(const struct liommu_eli_vecset *s, unsigned int v)
{
	return v < LIOMMU_ELI_VECTORS && ((s->bits[v / 64] >> (v % 64)) & 1);
}

static inline unsigned int liommu_eli_vecset_count(const struct liommu_eli_vecset *s)
{
	return (unsigned int)(__builtin_popcountll(s->bits[0]) +
			      __builtin_popcountll(s->bits[1]) +
			      __builtin_popcountll(s->bits[2]) +
			      __builtin_popcountll(s->bits[3]));
}

/* ------------------------------------------------------------------ */
/* 64-bit IDT gate descriptors (SDM vol. 3A 6.14.1, figure 6-8)        */
/* ------------------------------------------------------------------ */

/* 16 bytes; no bitfields (the CPU reads it). */
struct liommu_idt_gate {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct liommu_idt_gate) == 16, "IDT gate is 16 bytes");

#define LIOMMU_GATE_LO_OFF_15_0		VTD_GENMASK64(15, 0)	/* offset 15:0 */
#define LIOMMU_GATE_LO_SEL		VTD_GENMASK64(31, 16)	/* segment selector */
#define LIOMMU_GATE_LO_IST		VTD_GENMASK64(34, 32)	/* interrupt stack table */
#define LIOMMU_GATE_LO_ZERO		VTD_GENMASK64(39, 35)	/* must be 0 */
#define LIOMMU_GATE_LO_TYPE		VTD_GENMASK64(43, 40)
#define LIOMMU_GATE_LO_S		VTD_BIT64(44)		/* 0: system descriptor */
#define LIOMMU_GATE_LO_DPL		VTD_GENMASK64(46, 45)
#define LIOMMU_GATE_LO_P		VTD_BIT64(47)
#define LIOMMU_GATE_LO_OFF_31_16	VTD_GENMASK64(63, 48)	/* offset 31:16 */
#define LIOMMU_GATE_HI_OFF_63_32	VTD_GENMASK64(31, 0)	/* offset 63:32 */
#define LIOMMU_GATE_HI_RSVD		VTD_GENMASK64(63, 32)
/* IA-32e mode allows only these two types in the IDT (SDM 6.14.1). */
#define LIOMMU_GATE_TYPE_INTR		0xe	/* clears IF on entry */
#define LIOMMU_GATE_TYPE_TRAP		0xf
#define LIOMMU_GATE_SIZE		16

/**
 * struct liommu_gate - the fields of a 64-bit interrupt or trap gate.
 * @offset:   handler address.
 * @selector: code-segment selector.
 * @ist:      interrupt-stack-table index, 0..7 (0 = no stack switch).
 * @type:     LIOMMU_GATE_TYPE_INTR or LIOMMU_GATE_TYPE_TRAP.
 * @dpl:      descriptor privilege level, 0..3.
 * @present:  P.
 */
struct liommu_gate {
	uint64_t offset;
	uint16_t selector;
	unsigned int ist;
	unsigned int type;
	unsigned int dpl;
	bool present;
};

/**
 * liommu_eli_gate_compose() - encode a 64-bit IDT gate.
 * @g:   the fields.
 * @out: the descriptor (written only on success).
 *
 * Return: 0; -EINVAL for a type other than 0xE/0xF; -ERANGE for @ist
 * above 7 or @dpl above 3.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_gate_compose(const struct liommu_gate *g,
					  struct liommu_idt_gate *out);

/**
 * liommu_eli_gate_decode() - decode and validate a 64-bit IDT gate.
 * @d:   the descriptor, e.g. read from a guest's IDT.
 * @out: the fields (written only on success).
 *
 * Return: 0 for a well-formed gate (present or not); -EINVAL for a
 * present gate whose type is not 0xE/0xF or whose must-be-zero bits
 * (39:35, 44, high dword) are set, i.e. one the CPU would refuse.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_gate_decode(const struct liommu_idt_gate *d,
					 struct liommu_gate *out);

/* True when an IDT with limit @limit holds the whole gate of @vector:
 * 16 * vector + 15 <= limit (SDM 6.10); otherwise delivery raises #GP. */
static inline bool liommu_eli_idt_covers(uint16_t limit, unsigned int vector)
{
	return vector < LIOMMU_ELI_VECTORS &&
	       (uint32_t)vector * LIOMMU_GATE_SIZE + (LIOMMU_GATE_SIZE - 1) <= limit;
}

/**
 * liommu_eli_idtr_limit() - the IDTR limit that makes vectors at or above
 * @threshold raise #GP.
 * @threshold: 0..256; 256 covers the whole table.
 * @limit:     16 * @threshold - 1, or 0 when @threshold is 0 (no gate
 *             fits under a limit below 15).
 *
 * Return: 0; -ERANGE for @threshold above 256.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_idtr_limit(unsigned int threshold, uint16_t *limit);

/* ------------------------------------------------------------------ */
/* Shadow IDT                                                          */
/* ------------------------------------------------------------------ */

/**
 * struct liommu_eli_shadow_cfg - what the shadow IDT is built from.
 * @guest_idt:   the guest's IDT, copied out of guest memory by the caller;
 *               (@guest_limit + 1) / 16 gates are read.
 * @guest_limit: the guest's IDTR limit; gates beyond it stay not-present
 *               in the shadow (the guest itself would take #GP there).
 * @assigned:    the vectors the guest receives without exits: its assigned
 *               devices' vectors, plus, if wanted, its exception vectors.
 * @threshold:   vectors at or above it fall outside the shadow's limit and
 *               raise #GP (liommu_eli_idtr_limit()); 256 for none.
 */
struct liommu_eli_shadow_cfg {
	const struct liommu_idt_gate *guest_idt;
	uint16_t guest_limit;
	struct liommu_eli_vecset assigned;
	unsigned int threshold;
};

/**
 * struct liommu_eli_shadow - a shadow IDT (one 4 KiB page) and its IDTR
 * limit.
 * @idt:     256 gates: the guest's gate for exposed vectors, not-present
 *           (all zero) elsewhere, so those vectors raise #NP.
 * @limit:   the IDTR limit to load with it.
 * @exposed: the vectors whose guest gates were copied.
 */
struct liommu_eli_shadow {
	struct liommu_idt_gate idt[LIOMMU_ELI_VECTORS];
	uint16_t limit;
	struct liommu_eli_vecset exposed;
};

/**
 * liommu_eli_shadow_build() - build the shadow IDT for direct mode.
 * @cfg:        guest IDT, assigned vectors, threshold.
 * @out:        the shadow (fully written on success).
 * @bad_vector: if not NULL, on -EINVAL the vector of the malformed gate
 *              and on -ERANGE the unreachable assigned vector.
 *
 * Exposed are the assigned vectors whose guest gate is present and
 * within the guest's limit; each is copied bit for bit after
 * liommu_eli_gate_decode() accepts it.  Everything else is zero.
 *
 * Return: the number of exposed vectors; -EINVAL for a NULL @guest_idt
 * with a non-empty assigned set or a malformed guest gate on an assigned
 * vector (the caller stays in injection mode); -ERANGE for a threshold
 * above 256 or an assigned vector at or above the threshold.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_shadow_build(const struct liommu_eli_shadow_cfg *cfg,
					  struct liommu_eli_shadow *out,
					  unsigned int *bad_vector);

/* ------------------------------------------------------------------ */
/* MSR bitmaps: x2APIC EOI pass-through                                */
/* ------------------------------------------------------------------ */

#define LIOMMU_MSR_X2APIC_EOI		0x80b	/* SDM vol. 3A 10.12.1.2 */
#define LIOMMU_MSR_IA32_VMX_MISC	0x485	/* SDM vol. 3D A.6 */

/*
 * VMX MSR bitmap (SDM vol. 3C 24.6.9): 4 KiB, one bit per MSR, set =
 * exit.  Low MSRs are 0x00000000-0x00001fff, high MSRs 0xc0000000-
 * 0xc0001fff; any other MSR always exits.
 */
#define LIOMMU_VMX_MSR_BITMAP_SIZE	4096
#define LIOMMU_VMX_MSR_READ_LOW		0x000
#define LIOMMU_VMX_MSR_READ_HIGH	0x400
#define LIOMMU_VMX_MSR_WRITE_LOW	0x800
#define LIOMMU_VMX_MSR_WRITE_HIGH	0xc00

/*
 * SVM MSR permission map (APM vol. 2 15.11): 8 KiB, two bits per MSR
 * (bit 2n intercepts reads, bit 2n + 1 writes), in three 2 KiB ranges:
 * 0x000 for MSRs 0x00000000-0x00001fff, 0x800 for 0xc0000000-0xc0001fff,
 * 0x1000 for 0xc0010000-0xc0011fff; 0x1800-0x1fff is reserved.  Any
 * other MSR is always intercepted.
 */
#define LIOMMU_SVM_MSRPM_SIZE		8192
#define LIOMMU_SVM_MSRPM_RANGE0		0x0000
#define LIOMMU_SVM_MSRPM_RANGE1		0x0800
#define LIOMMU_SVM_MSRPM_RANGE2		0x1000

/**
 * liommu_eli_vmx_msr_bitmap_build() - trap every MSR access except
 * x2APIC EOI writes.
 * @bm: LIOMMU_VMX_MSR_BITMAP_SIZE bytes.
 *
 * Return: 0.
 * Context: any; writes @bm only.
 */
LIOMMU_EXPORT int liommu_eli_vmx_msr_bitmap_build(uint8_t *bm);

/**
 * liommu_eli_vmx_msr_intercept() - set whether one MSR access exits.
 * @bm:        a VMX MSR bitmap.
 * @msr:       the MSR.
 * @write:     the write bit rather than the read bit.
 * @intercept: exit (true) or pass through (false).
 *
 * Return: 0; -ERANGE for an MSR outside the bitmap's two ranges (those
 * always exit).
 * Context: any.
 */
LIOMMU_EXPORT int liommu_eli_vmx_msr_intercept(uint8_t *bm, uint32_t msr, bool write,
					       bool intercept);

/**
 * liommu_eli_vmx_msr_exits() - whether an MSR access exits under @bm.
 * @bm:    a VMX MSR bitmap.
 * @msr:   the MSR.
 * @write: a WRMSR rather than an RDMSR.
 *
 * Return: true if the access causes a VM exit (always for MSRs outside
 * the bitmap's ranges).
 * Context: any; pure.
 */
LIOMMU_EXPORT bool liommu_eli_vmx_msr_exits(const uint8_t *bm, uint32_t msr, bool write);

/**
 * liommu_eli_svm_msrpm_build() - intercept every MSR access except
 * x2APIC EOI writes.
 * @pm: LIOMMU_SVM_MSRPM_SIZE bytes; the reserved quarter is all ones.
 *
 * Return: 0.
 * Context: any; writes @pm only.
 */
LIOMMU_EXPORT int liommu_eli_svm_msrpm_build(uint8_t *pm);

/**
 * liommu_eli_svm_msr_intercept() - set whether one MSR access is
 * intercepted.
 * @pm:        an SVM MSR permission map.
 * @msr:       the MSR.
 * @write:     the write bit (2n + 1) rather than the read bit (2n).
 * @intercept: intercept (true) or pass through (false).
 *
 * Return: 0; -ERANGE for an MSR outside the map's three ranges (always
 * intercepted).
 * Context: any.
 */
LIOMMU_EXPORT int liommu_eli_svm_msr_intercept(uint8_t *pm, uint32_t msr, bool write,
					       bool intercept);

/**
 * liommu_eli_svm_msr_exits() - whether an MSR access is intercepted.
 * @pm:    an SVM MSR permission map.
 * @msr:   the MSR.
 * @write: a WRMSR rather than an RDMSR.
 *
 * Return: true if intercepted (always for MSRs outside the map).
 * Context: any; pure.
 */
LIOMMU_EXPORT bool liommu_eli_svm_msr_exits(const uint8_t *pm, uint32_t msr, bool write);

/* ------------------------------------------------------------------ */
/* Protection: preemption timer, spurious EOIs                         */
/* ------------------------------------------------------------------ */

/* IA32_VMX_MISC 4:0: the preemption timer counts down by 1 each time
 * TSC bit X changes, i.e. once every 2^X TSC ticks (SDM 25.5.1). */
#define LIOMMU_VMX_MISC_PREEMPT_RATE	VTD_GENMASK64(4, 0)

/**
 * liommu_eli_preempt_timer() - the VMX-preemption timer value for a time
 * slice.
 * @tsc_hz:   TSC frequency.
 * @vmx_misc: IA32_VMX_MISC as read on this CPU.
 * @slice_ns: the slice.
 * @value:    floor(floor(@tsc_hz * @slice_ns / 10^9) / 2^X), so the
 *            timer fires no later than the slice's end (the first
 *            decrement may come early, never late).
 *
 * Return: 0; -EINVAL for @tsc_hz 0; -ERANGE if the value does not fit
 * the 32-bit VMCS field.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_preempt_timer(uint64_t tsc_hz, uint64_t vmx_misc,
					   uint64_t slice_ns, uint32_t *value);

/**
 * liommu_eli_preempt_timer_ns() - the longest a timer value can run.
 * @tsc_hz:   TSC frequency.
 * @vmx_misc: IA32_VMX_MISC.
 * @value:    the timer value.
 * @ns:       floor(@value * 2^X * 10^9 / @tsc_hz).
 *
 * Return: 0; -EINVAL for @tsc_hz 0.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_preempt_timer_ns(uint64_t tsc_hz, uint64_t vmx_misc,
					      uint32_t value, uint64_t *ns);

/*
 * In-service tracking on a guest core.  The guest's EOI reaches the
 * physical local APIC, which retires the highest-priority (highest)
 * vector in service.  If that vector is the host's, the guest has just
 * acknowledged a host interrupt; if none is in service the EOI is
 * spurious.  The host mirrors deliveries here to tell the cases apart.
 */
struct liommu_eli_isr {
	struct liommu_eli_vecset in_service;
};

enum liommu_eli_eoi {
	LIOMMU_ELI_EOI_GUEST = 0,	/* retired one of the guest's vectors */
	LIOMMU_ELI_EOI_HOST,		/* retired a host vector: not the guest's */
	LIOMMU_ELI_EOI_SPURIOUS,	/* nothing was in service */
};

/**
 * liommu_eli_isr_deliver() - record that @vector entered service.
 * @isr:    the core's tracker.
 * @vector: 16..255.
 *
 * Return: 0; -EINVAL for a vector below 16; -EBUSY if @vector is already
 * in service (an APIC holds it in IRR instead, so the caller's mirror
 * is wrong).
 * Context: any.
 */
LIOMMU_EXPORT int liommu_eli_isr_deliver(struct liommu_eli_isr *isr, unsigned int vector);

/**
 * liommu_eli_isr_eoi() - account an EOI the guest wrote.
 * @isr:    the core's tracker.
 * @guest:  the vectors that belong to the guest.
 * @vector: if not NULL, the vector retired (unchanged when spurious).
 *
 * Return: an enum liommu_eli_eoi value: the highest in-service vector is
 * retired and classified, or LIOMMU_ELI_EOI_SPURIOUS if none was.
 * Context: any.
 */
LIOMMU_EXPORT int liommu_eli_isr_eoi(struct liommu_eli_isr *isr,
				     const struct liommu_eli_vecset *guest,
				     unsigned int *vector);

/* ------------------------------------------------------------------ */
/* Delivery plan                                                       */
/* ------------------------------------------------------------------ */

enum liommu_eli_route {
	LIOMMU_ELI_ROUTE_ELI = 1,	/* guest vector straight to the guest core */
	LIOMMU_ELI_ROUTE_POSTED,	/* VT-d posting into the vCPU's descriptor */
	LIOMMU_ELI_ROUTE_BOUNCE,	/* guest interrupt to a host core, injected */
	LIOMMU_ELI_ROUTE_HOST,		/* host interrupt handled on a host core */
	LIOMMU_ELI_ROUTE_NMI,		/* host-critical interrupt as NMI to a guest core */
};

/* Why a source did not get the most direct route. */
enum liommu_eli_reason {
	LIOMMU_ELI_REASON_NONE = 0,
	LIOMMU_ELI_REASON_LEVEL,		/* level-triggered: EOI must reach the I/OxAPIC */
	LIOMMU_ELI_REASON_VECTOR_RESERVED,	/* guest vector below 32 */
	LIOMMU_ELI_REASON_NOT_GUEST_CORE,	/* target core is not the guest's */
	LIOMMU_ELI_REASON_VECTOR_CRITICAL,	/* guest vector is a host-critical one */
	LIOMMU_ELI_REASON_VECTOR_ABOVE_LIMIT,	/* at or above the #GP threshold */
	LIOMMU_ELI_REASON_MOVED,		/* host interrupt moved off a guest core */
	LIOMMU_ELI_REASON_LEVEL_NO_NMI,		/* critical but level: NMIs are edge only */
};

/**
 * struct liommu_eli_core - a physical CPU the plan may route to.
 * @apic_id: its APIC ID (8-bit unless the plan is x2APIC).
 * @guest:   dedicated to the guest's vCPU (runs in ELI direct mode).
 * @pi_desc: physical address of that vCPU's posted-interrupt descriptor,
 *           64-byte aligned; 0 when posting is not set up.
 */
struct liommu_eli_core {
	uint32_t apic_id;
	bool guest;
	uint64_t pi_desc;
};

/**
 * struct liommu_eli_source - one interrupt source (an MSI vector or an
 * I/OxAPIC pin behind one IRTE).
 * @host:   owned by the host; false for the guest's assigned devices.
 * @sid:    requester-id, used for source validation.
 * @vector: the vector the owner programmed (the guest's own vector for
 *          guest sources).
 * @core:   index in the core table of the CPU the owner aims it at.
 * @level:  level-triggered.
 */
struct liommu_eli_source {
	bool host;
	uint16_t sid;
	uint8_t vector;
	unsigned int core;
	bool level;
};

/**
 * struct liommu_eli_plan_cfg - the machine the plan routes on.
 * @cores:         the CPUs.
 * @ncores:        entries in @cores.
 * @host_core:     index of a host (non-guest) core for bounced and moved
 *                 interrupts.
 * @bounce_vector: host vector (32..255) bounced guest interrupts arrive on.
 * @host_critical: host vectors that must never reach the guest.
 * @threshold:     the shadow IDT's #GP threshold (32..256).
 * @x2apic:        the remapping table's mode (IRTA.EIME).
 * @cap:           the unit's CAP register (CAP.PI enables posting).
 * @prefer_eli:    use ELI even where posting is possible.
 */
struct liommu_eli_plan_cfg {
	const struct liommu_eli_core *cores;
	unsigned int ncores;
	unsigned int host_core;
	uint8_t bounce_vector;
	struct liommu_eli_vecset host_critical;
	unsigned int threshold;
	bool x2apic;
	uint64_t cap;
	bool prefer_eli;
};

/**
 * struct liommu_eli_decision - the plan for one source.
 * @route:  how it is delivered.
 * @reason: why not more directly (LIOMMU_ELI_REASON_NONE if it could not
 *          be more direct).
 * @core:   index of the core the IRTE targets (the vCPU's for posting).
 * @irte:   the entry to install, built by liommu_irte_compose_remap() or
 *          liommu_irte_compose_posted(), source-validated on @sid.
 */
struct liommu_eli_decision {
	enum liommu_eli_route route;
	enum liommu_eli_reason reason;
	unsigned int core;
	struct vtd_irte irte;
};

/**
 * liommu_eli_plan() - decide how each interrupt source is delivered.
 * @cfg:     cores, host-critical vectors, threshold, capabilities.
 * @src:     the sources.
 * @nsrc:    entries in @src and @out.
 * @out:     one decision per source.
 * @exposed: if not NULL, the vectors routed by ELI: the assigned set for
 *           liommu_eli_shadow_build().  It never meets @host_critical,
 *           holds no vector below 32 and none at or above the threshold.
 *
 * Guest sources: level-triggered ones, vectors below 32 and targets that
 * are not guest cores bounce to @host_core on @bounce_vector; otherwise
 * they are posted if CAP.PI and the core's descriptor allow (and
 * @prefer_eli does not forbid it), else delivered by ELI unless the
 * vector is host-critical or at or above the threshold (then bounced).
 * Host sources aimed at host cores stay; host-critical edge sources aimed
 * at a guest core become NMIs to that core; the rest move to @host_core.
 *
 * Return: 0; -EINVAL for an empty core table, a bad @host_core (out of
 * range or a guest core), a bounce vector below 32, a source's core out
 * of range or a host source's vector below 32; -ERANGE for a threshold
 * outside 32..256 or an APIC ID the table's mode cannot hold; the
 * encoders' errors for anything else they reject (for example an
 * unaligned descriptor address).  @out is complete only on success.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_eli_plan(const struct liommu_eli_plan_cfg *cfg,
				  const struct liommu_eli_source *src, unsigned int nsrc,
				  struct liommu_eli_decision *out,
				  struct liommu_eli_vecset *exposed);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_ELI_H */
