/* SPDX-License-Identifier: MIT */
/*
 * liommu/irte.h - interrupt-remapping encodings: IRTEs, remappable MSI
 * and I/OxAPIC messages, live entry updates, posted-interrupt
 * descriptors.
 *
 * Everything here is pure: composing an entry from fields, decoding an
 * entry back into fields, and validating both, with no register access.
 * The bit positions come from liommu/vtd.h (VT-d spec 5.1, 9.10, 9.11);
 * the one structure defined here rather than in vtd.h is the
 * posted-interrupt descriptor, which the VT-d spec (9.12) and the Intel
 * SDM (vol. 3C 29.6, "Posted-Interrupt Processing") share.
 *
 * The interrupt-remapping table code, the software model and the eli
 * delivery plan all build their entries with these encoders, so a bit
 * is placed in exactly one function.
 *
 * Threading contract:
 *  - compose/decode functions are pure and reentrant.
 *  - liommu_irte_update() may run while the remapping hardware reads the
 *    entry; callers serialise updates to one entry (the table lock).
 *  - liommu_pi_*() operate with atomic instructions and may run
 *    concurrently with each other and with hardware posting into the
 *    same descriptor, except liommu_pi_desc_init(), which must finish
 *    before the descriptor is published.
 *
 * Errors: negative errno values; -EINVAL for a malformed argument or
 * entry, -ERANGE for a value that does not fit its field or the table,
 * -ENOENT for a not-present entry, -ENODEV when a capability (CAP.PI,
 * CMPXCHG16B) is missing.
 */
#ifndef LIOMMU_IRTE_H
#define LIOMMU_IRTE_H

#include <stdbool.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* IRTE fields                                                         */
/* ------------------------------------------------------------------ */

/**
 * struct liommu_irte_sid - source validation of an IRTE (spec 9.10).
 * @svt: VTD_SVT_NONE, VTD_SVT_SID or VTD_SVT_BUS.
 * @sq:  VTD_SQ_* for VTD_SVT_SID; must be 0 otherwise.
 * @sid: the requester-id for VTD_SVT_SID; (start bus << 8) | end bus for
 *       VTD_SVT_BUS (start <= end); 0 for VTD_SVT_NONE.
 */
struct liommu_irte_sid {
	unsigned int svt;
	unsigned int sq;
	uint16_t sid;
};

/* No source validation: any requester may use the entry. */
static inline struct liommu_irte_sid liommu_irte_sid_none(void)
{
	struct liommu_irte_sid s = { VTD_SVT_NONE, 0, 0 };

	return s;
}

/* Only requester @rid may use the entry, compared under the mask of @sq. */
static inline struct liommu_irte_sid liommu_irte_sid_requester(uint16_t rid,
							      unsigned int sq)
{
	struct liommu_irte_sid s = { VTD_SVT_SID, sq, rid };

	return s;
}

/* Any requester on buses @start..@end (inclusive) may use the entry. */
static inline struct liommu_irte_sid liommu_irte_sid_bus(unsigned int start,
							unsigned int end)
{
	struct liommu_irte_sid s = { VTD_SVT_BUS, 0,
				     (uint16_t)(((start & 0xff) << 8) | (end & 0xff)) };

	return s;
}

/**
 * struct liommu_irte_remap - a remapped-format IRTE (spec 9.10).
 * @vector:       interrupt vector; 16..255 for fixed and lowest-priority
 *                delivery (0..15 are reserved for exceptions, SDM vol. 3
 *                10.5.2); ignored by the APIC for NMI, SMI, INIT, ExtINT.
 * @dest:         destination APIC ID: 8 bits when @x2apic is false,
 *                32 bits (x2APIC ID or logical ID) when true.
 * @x2apic:       the table's mode (IRTA.EIME): selects where @dest goes.
 * @dest_logical: DM; logical rather than physical destination.
 * @redir_hint:   RH; lowest-priority redirection among the destinations.
 * @level:        TM; level- rather than edge-triggered.
 * @dlm:          delivery mode, VTD_DLM_* (011b and 110b are reserved).
 * @fpd:          FPD; do not record faults for this entry.
 * @avail:        the 4 software-available bits (0..15).
 * @sid:          source validation.
 */
struct liommu_irte_remap {
	uint8_t vector;
	uint32_t dest;
	bool x2apic;
	bool dest_logical;
	bool redir_hint;
	bool level;
	unsigned int dlm;
	bool fpd;
	unsigned int avail;
	struct liommu_irte_sid sid;
};

/**
 * struct liommu_irte_posted - a posted-format IRTE (spec 9.11).
 * @vector: the virtual vector hardware sets in the descriptor's PIR
 *          (16..255).
 * @pda:    physical address of the posted-interrupt descriptor,
 *          64-byte aligned (9.12).
 * @urgent: URG; notify even while the descriptor's SN is set.
 * @fpd:    FPD; do not record faults for this entry.
 * @avail:  the 4 software-available bits (0..15).
 * @sid:    source validation.
 */
struct liommu_irte_posted {
	uint8_t vector;
	uint64_t pda;
	bool urgent;
	bool fpd;
	unsigned int avail;
	struct liommu_irte_sid sid;
};

static inline bool liommu_irte_present(const struct vtd_irte *e)
{
	return (e->lo & VTD_IRTE_LO_P) != 0;
}

static inline bool liommu_irte_is_posted(const struct vtd_irte *e)
{
	return (e->lo & VTD_IRTE_LO_IM) != 0;
}

/**
 * liommu_irte_compose_remap() - build a present remapped-format IRTE.
 * @r:   the fields.
 * @out: the entry (written only on success).
 *
 * Return: 0; -EINVAL for a reserved delivery mode, a vector below 16
 * with fixed or lowest-priority delivery, an SVT of 3, or SQ/SID set
 * where the SVT does not use them; -ERANGE for a destination wider than
 * 8 bits in xAPIC mode, @avail above 15, an SQ above 3, or a bus range
 * whose start exceeds its end.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_irte_compose_remap(const struct liommu_irte_remap *r,
					    struct vtd_irte *out);

/**
 * liommu_irte_decode_remap() - read a remapped-format IRTE back.
 * @e:      the entry.
 * @x2apic: the table's mode (IRTA.EIME), which decides how DST reads.
 * @out:    the fields (written only on success).
 *
 * The checks are the ones hardware applies before using an entry
 * (fault reasons 0x22 and 0x24), plus the encodings the spec leaves
 * undefined.
 *
 * Return: 0; -ENOENT if P is clear; -EINVAL for a posted-format entry,
 * any reserved bit set (including DST bits 39:32 and 63:48 in xAPIC
 * mode), a reserved delivery mode or an SVT of 3.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_irte_decode_remap(const struct vtd_irte *e, bool x2apic,
					   struct liommu_irte_remap *out);

/**
 * liommu_irte_compose_posted() - build a present posted-format IRTE.
 * @p:   the fields.
 * @cap: the unit's CAP register; posting needs CAP.PI.
 * @out: the entry (written only on success).
 *
 * Return: 0; -ENODEV without CAP.PI; -EINVAL for a vector below 16, a
 * descriptor address that is not 64-byte aligned, or the source
 * validation errors of liommu_irte_compose_remap(); -ERANGE as there.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_irte_compose_posted(const struct liommu_irte_posted *p,
					     uint64_t cap, struct vtd_irte *out);

/**
 * liommu_irte_decode_posted() - read a posted-format IRTE back.
 * @e:   the entry.
 * @out: the fields (written only on success).
 *
 * Return: 0; -ENOENT if P is clear; -EINVAL for a remapped-format entry,
 * a reserved bit set or an SVT of 3.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_irte_decode_posted(const struct vtd_irte *e,
					    struct liommu_irte_posted *out);

/**
 * liommu_irte_sid_check() - source validation as hardware applies it.
 * @e:   a present entry (either format).
 * @rid: the requester-id of the interrupt request.
 *
 * SVT_SID compares @rid with SID under the SQ mask; SVT_BUS requires
 * start bus <= @rid's bus <= end bus with start in SID[15:8] and end in
 * SID[7:0] (spec 9.10; QEMU 7.2 reads the two bytes the other way).
 *
 * Return: 0 if the request may use the entry; -EPERM if validation fails
 * (fault reason 0x26); -EINVAL for the reserved SVT 3, which hardware
 * also treats as a failure.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_irte_sid_check(const struct vtd_irte *e, uint16_t rid);

/* ------------------------------------------------------------------ */
/* Remappable MSI and I/OxAPIC messages (spec 5.1.2.2, 5.1.5)          */
/* ------------------------------------------------------------------ */

/* An MSI/MSI-X message as a device writes it: address and data. */
struct liommu_msi_msg {
	uint64_t addr;
	uint32_t data;
};

/* Compatibility-format MSI data (Intel SDM vol. 3 10.11.2), which an
 * I/OxAPIC still fills in beside a remappable address. */
#define LIOMMU_MSI_DATA_VECTOR	VTD_GENMASK64(7, 0)
#define LIOMMU_MSI_DATA_TM	VTD_BIT64(15)	/* 1 = level */

/**
 * struct liommu_msi_remap - the remappable-format fields of an MSI.
 * @handle:    interrupt handle, the IRTE index when !@shv.
 * @shv:       subhandle valid: the IRTE index is @handle + @subhandle, so
 *             one handle serves a block of MSI vectors (multi-message MSI).
 * @subhandle: added to @handle when @shv; must be 0 otherwise.
 */
struct liommu_msi_remap {
	uint16_t handle;
	bool shv;
	uint16_t subhandle;
};

static inline bool liommu_msi_is_remappable(const struct liommu_msi_msg *m)
{
	return (m->addr & VTD_MSI_ADDR_IF) != 0;
}

/**
 * liommu_msi_compose() - build a remappable-format MSI address and data.
 * @r:             handle, SHV and subhandle.
 * @table_entries: entries in the remapping table (vtd_irta_entries()):
 *                 a power of two from 2 to 65536.
 * @out:           the message (written only on success).
 *
 * Handle bits 14:0 go to address bits 19:5 and bit 15 to address bit 2;
 * data carries the subhandle when SHV and is 0 otherwise.
 *
 * Return: 0; -EINVAL for a bad @table_entries or a subhandle without
 * SHV; -ERANGE if the IRTE index (@handle, plus @subhandle with SHV)
 * lies beyond the table.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_msi_compose(const struct liommu_msi_remap *r,
				     uint32_t table_entries,
				     struct liommu_msi_msg *out);

/**
 * liommu_msi_decode() - decode a remappable-format MSI as hardware does.
 * @m:     the message.
 * @out:   handle, SHV, subhandle (written only on success).
 * @index: if not NULL, the IRTE index: handle, plus subhandle with SHV
 *         (up to 0x1fffe; checking it against the table is the
 *         caller's, as hardware reports fault 0x21).
 *
 * Return: 0; -EINVAL for a compatibility-format message (interrupt
 * format bit clear), an address outside 0xFEExxxxx or with upper bits
 * set, or data bits 31:16 set with SHV (fault reason 0x20 in QEMU).
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_msi_decode(const struct liommu_msi_msg *m,
				    struct liommu_msi_remap *out, uint32_t *index);

/**
 * struct liommu_ioapic_rte - an I/OxAPIC redirection entry in
 * remappable format (spec 5.1.5.1).
 * @handle:     interrupt_index, the IRTE the pin uses (no subhandle).
 * @vector:     the I/OxAPIC matches EOIs on it; the spec asks for the
 *              IRTE's vector (Linux programs the pin number instead and
 *              EOIs the I/OxAPIC explicitly), so any value is accepted.
 * @level:      trigger mode; must equal the IRTE's TM.
 * @active_low: pin polarity.
 * @masked:     pin masked.
 */
struct liommu_ioapic_rte {
	uint16_t handle;
	uint8_t vector;
	bool level;
	bool active_low;
	bool masked;
};

/**
 * liommu_ioapic_rte_compose() - build a remappable-format RTE.
 * @r:             the fields.
 * @table_entries: entries in the remapping table (see liommu_msi_compose()).
 * @out:           the 64-bit RTE (written only on success).
 *
 * Return: 0; -EINVAL for a bad @table_entries; -ERANGE for a handle
 * beyond the table.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_ioapic_rte_compose(const struct liommu_ioapic_rte *r,
					    uint32_t table_entries, uint64_t *out);

/**
 * liommu_ioapic_rte_decode() - read a remappable-format RTE back.
 * @rte: the 64-bit entry; the read-only delivery-status and remote-IRR
 *       bits are ignored.
 * @out: the fields (written only on success).
 *
 * Return: 0; -EINVAL for a compatibility-format RTE or a reserved bit
 * (10:8, 47:17) set.
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_ioapic_rte_decode(uint64_t rte, struct liommu_ioapic_rte *out);

/**
 * liommu_ioapic_rte_to_msi() - the message an I/OxAPIC sends for an RTE.
 * @rte: a remappable-format RTE.
 * @out: the interrupt request: RTE bits 63:48 as address bits 19:4, RTE
 *       bit 11 as address bit 2 (so SHV = 0 and the handle carries over),
 *       vector and trigger mode in the data (as QEMU's I/OAPIC model).
 *
 * Return: 0; -EINVAL as liommu_ioapic_rte_decode().
 * Context: any; pure.
 */
LIOMMU_EXPORT int liommu_ioapic_rte_to_msi(uint64_t rte, struct liommu_msi_msg *out);

/* ------------------------------------------------------------------ */
/* Live entry update                                                   */
/* ------------------------------------------------------------------ */

/* liommu_irte_update() flag: without CMPXCHG16B, change a present entry
 * whose both halves differ by passing through not-present (interrupts
 * arriving in that window fault, or are dropped silently with FPD). */
#define LIOMMU_IRTE_UPDATE_TRANSIENT	(1u << 0)

/**
 * liommu_irte_update() - replace a live IRTE in an order hardware
 * never misreads.
 * @slot:  the entry in the remapping table (16-byte aligned).
 * @val:   the new contents.
 * @flags: 0 or LIOMMU_IRTE_UPDATE_TRANSIENT.
 *
 * Ordering (jailhouse vtd.c and Linux modify_irte() follow the same
 * rules; spec 9.10 leaves hardware free to fetch the 128 bits as two
 * halves):
 *  - making an entry present: write the high half, then the low half
 *    that carries P with a release store (ordered after the first), so
 *    hardware never sees P with a stale SID or descriptor address;
 *  - making an entry not-present: write the low half (P = 0) first,
 *    then the high half with a release store;
 *  - changing a present entry where only one half differs: one 64-bit
 *    store, which is single-copy atomic;
 *  - changing both halves of a present entry (e.g. remapped <-> posted,
 *    a new descriptor address): one LOCK CMPXCHG16B, as Linux's
 *    modify_irte() does for posted entries.  Without it the update is
 *    refused unless LIOMMU_IRTE_UPDATE_TRANSIENT allows a pass through
 *    not-present.
 * The caller then flushes the line for a non-coherent unit and
 * invalidates the interrupt entry cache (index-selective IEC) before it
 * relies on the new contents.
 *
 * Return: 0; -EINVAL for a misaligned @slot or unknown @flags; -ENODEV if
 * both halves of a present entry change, the CPU lacks CMPXCHG16B and
 * LIOMMU_IRTE_UPDATE_TRANSIENT is not set; -EBUSY if the entry changed
 * under a 128-bit exchange (another writer broke the serialisation).
 * Context: any; does not block; callers serialise writers of one slot.
 */
LIOMMU_EXPORT int liommu_irte_update(struct vtd_irte *slot, const struct vtd_irte *val,
				     unsigned int flags);

/* ------------------------------------------------------------------ */
/* Posted-interrupt descriptor (VT-d 9.12, SDM vol. 3C 29.6)           */
/* ------------------------------------------------------------------ */

/**
 * struct liommu_pi_desc - posted-interrupt descriptor, 64 bytes.
 * @pir:     posted-interrupt requests, bits 255:0: bit n of the 256 is
 *           vector n (@pir[n / 64] bit n % 64).
 * @control: bits 319:256: ON, SN, NV, NDST (LIOMMU_PID_*).
 * @rsvd:    bits 511:320, reserved (software-available for the CPU).
 *
 * Layout as KVM's struct pi_desc (pir[8] u32 + control u64): the SDM
 * defines PIR and ON, VT-d 9.12 adds SN, NV and NDST, which the VT-d
 * posting hardware reads.  Hardware updates it with locked atomics, so
 * software only touches it with atomics too.
 */
struct liommu_pi_desc {
	_Alignas(64) uint64_t pir[4];
	uint64_t control;
	uint64_t rsvd[3];
};
_Static_assert(sizeof(struct liommu_pi_desc) == 64, "PI descriptor is 64 bytes");

/* Fields of @control (descriptor bit = 256 + bit) */
#define LIOMMU_PID_ON		VTD_BIT64(0)	/* 256: outstanding notification */
#define LIOMMU_PID_SN		VTD_BIT64(1)	/* 257: suppress notification */
#define LIOMMU_PID_RSVD1	VTD_GENMASK64(15, 2)	/* 271:258 */
#define LIOMMU_PID_NV		VTD_GENMASK64(23, 16)	/* 279:272: notification vector */
#define LIOMMU_PID_RSVD2	VTD_GENMASK64(31, 24)	/* 287:280 */
#define LIOMMU_PID_NDST		VTD_GENMASK64(63, 32)	/* 319:288: x2APIC destination */
/* xAPIC mode: the APIC ID is NDST[15:8], descriptor bits 303:296; KVM
 * writes (apic_id << 8) & 0xff00. */
#define LIOMMU_PID_NDST_XAPIC	VTD_GENMASK64(47, 40)

/**
 * liommu_pi_desc_init() - clear a descriptor and set where it notifies.
 * @pd:     the descriptor (not yet visible to hardware or other threads).
 * @nv:     notification vector (16..255), a host vector.
 * @ndst:   the APIC ID of the physical CPU running the vCPU.
 * @x2apic: whether @ndst is an x2APIC ID (32 bits) or an xAPIC ID (8).
 *
 * Return: 0; -EINVAL for @nv below 16; -ERANGE for @ndst above 255 in
 * xAPIC mode.
 * Context: any; not concurrent with any use of @pd.
 */
LIOMMU_EXPORT int liommu_pi_desc_init(struct liommu_pi_desc *pd, uint8_t nv,
				      uint32_t ndst, bool x2apic);

/**
 * liommu_pi_test_and_set_pir() - atomically set PIR bit @vector.
 * @pd:     the descriptor.
 * @vector: the vector (any of 0..255; posting validates the range).
 *
 * Return: the bit's previous value.
 * Context: any; lock-free (one locked OR on the PIR word).
 */
LIOMMU_EXPORT bool liommu_pi_test_and_set_pir(struct liommu_pi_desc *pd, uint8_t vector);

/**
 * liommu_pi_test_and_clear_pir() - atomically clear PIR bit @vector.
 * @pd:     the descriptor.
 * @vector: the vector.
 *
 * Return: the bit's previous value.
 * Context: any; lock-free (one locked AND on the PIR word).
 */
LIOMMU_EXPORT bool liommu_pi_test_and_clear_pir(struct liommu_pi_desc *pd, uint8_t vector);

/**
 * liommu_pi_test_pir() - read PIR bit @vector.
 * @pd:     the descriptor.
 * @vector: the vector.
 *
 * Return: the bit's current value (a snapshot).
 * Context: any; an atomic load.
 */
LIOMMU_EXPORT bool liommu_pi_test_pir(const struct liommu_pi_desc *pd, uint8_t vector);

/**
 * liommu_pi_take_pir() - move every posted request out of the PIR.
 * @pd:  the descriptor.
 * @out: the requests taken, bit n = vector n (overwritten).
 *
 * Each 64-bit word is exchanged with 0 atomically, so a request posted
 * concurrently lands either in @out or in the PIR for the next call,
 * never in both and never lost.  This is the PIR-to-IRR sync that KVM
 * (vmx_sync_pir_to_irr) does after clearing ON.
 *
 * Return: the number of vectors taken.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT unsigned int liommu_pi_take_pir(struct liommu_pi_desc *pd, uint64_t out[4]);

/**
 * liommu_pi_test_on() - read ON (outstanding notification).
 * @pd: the descriptor.
 *
 * Return: ON's current value (a snapshot).
 * Context: any; an atomic load.
 */
LIOMMU_EXPORT bool liommu_pi_test_on(const struct liommu_pi_desc *pd);

/**
 * liommu_pi_test_and_set_on() - atomically set ON.
 * @pd: the descriptor.
 *
 * Return: ON's previous value; false means the caller owns sending the
 * notification.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT bool liommu_pi_test_and_set_on(struct liommu_pi_desc *pd);

/**
 * liommu_pi_test_and_clear_on() - atomically clear ON.
 * @pd: the descriptor.
 *
 * The notified CPU clears ON before liommu_pi_take_pir(), so a request
 * posted in between triggers a new notification instead of being lost.
 *
 * Return: ON's previous value.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT bool liommu_pi_test_and_clear_on(struct liommu_pi_desc *pd);

/**
 * liommu_pi_test_sn() - read SN (suppress notification).
 * @pd: the descriptor.
 *
 * Return: SN's current value (a snapshot).
 * Context: any; an atomic load.
 */
LIOMMU_EXPORT bool liommu_pi_test_sn(const struct liommu_pi_desc *pd);

/**
 * liommu_pi_set_sn() - set SN: non-urgent postings stay in the PIR
 * without a notification (a preempted vCPU, KVM's vmx_vcpu_pi_put()).
 * @pd: the descriptor.
 *
 * Return: nothing.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT void liommu_pi_set_sn(struct liommu_pi_desc *pd);

/**
 * liommu_pi_clear_sn() - clear SN: notifications resume.
 * @pd: the descriptor.
 *
 * Return: nothing.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT void liommu_pi_clear_sn(struct liommu_pi_desc *pd);

/**
 * liommu_pi_nv() - the notification vector currently in @pd.
 * @pd: the descriptor.
 *
 * Return: NV.
 * Context: any; an atomic load.
 */
LIOMMU_EXPORT uint8_t liommu_pi_nv(const struct liommu_pi_desc *pd);

/**
 * liommu_pi_ndst() - the notification destination currently in @pd.
 * @pd:     the descriptor.
 * @x2apic: read all 32 NDST bits (x2APIC) or NDST[15:8] (xAPIC).
 *
 * Return: the APIC ID.
 * Context: any; an atomic load.
 */
LIOMMU_EXPORT uint32_t liommu_pi_ndst(const struct liommu_pi_desc *pd, bool x2apic);

/**
 * liommu_pi_post() - post @vector as the remapping hardware does.
 * @pd:     the descriptor.
 * @vector: 16..255.
 * @urgent: the IRTE's URG bit.
 *
 * Spec 5.2.3 (interrupt-posting hardware operation): set PIR[@vector];
 * then, in one atomic step on the control word, if ON is clear and
 * (@urgent or SN clear) set ON and send a notification event (NV to
 * NDST).  Software uses it to post from the host (KVM's
 * vmx_deliver_posted_interrupt) and the model uses it as hardware.
 *
 * Return: 1 if the caller must send the notification (vector
 * liommu_pi_nv() to liommu_pi_ndst()); 0 if none is due (already
 * outstanding, or suppressed); -EINVAL for a vector below 16.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT int liommu_pi_post(struct liommu_pi_desc *pd, uint8_t vector, bool urgent);

/**
 * liommu_pi_set_dest() - point notifications at a (new) physical CPU.
 * @pd:     the descriptor.
 * @ndst:   the APIC ID of the CPU the vCPU now runs on.
 * @x2apic: APIC ID format, as in liommu_pi_desc_init().
 * @nv:     the notification vector to use while the vCPU runs.
 *
 * What KVM's vmx_vcpu_pi_load() does on vCPU load or migration: in one
 * compare-and-swap on the control word, set NDST and NV and clear SN, so
 * a posting that races with the update notifies either the old CPU with
 * the old vector or the new CPU with the new one, never a mix.  After a
 * wake-up the caller checks liommu_pi_test_on() for requests posted
 * while notifications went to the wake-up vector.
 *
 * Return: 0; -EINVAL for @nv below 16; -ERANGE for @ndst above 255 in
 * xAPIC mode.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT int liommu_pi_set_dest(struct liommu_pi_desc *pd, uint32_t ndst,
				     bool x2apic, uint8_t nv);

/**
 * liommu_pi_block() - route notifications to the wake-up vector.
 * @pd:        the descriptor of a vCPU about to block (halt).
 * @wakeup_nv: the host's wake-up vector (16..255).
 *
 * What KVM's pi_enable_wakeup_handler() does: switch NV to @wakeup_nv
 * with a compare-and-swap, leaving NDST (the CPU that will handle the
 * wake-up) and SN alone.  If ON was already set, a notification may
 * have gone out on the old vector before the switch, so the caller must
 * send itself a wake-up IPI.
 *
 * Return: 1 if ON was set (send the self-IPI), 0 if not; -EINVAL for a
 * vector below 16.
 * Context: any; lock-free.
 */
LIOMMU_EXPORT int liommu_pi_block(struct liommu_pi_desc *pd, uint8_t wakeup_nv);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_IRTE_H */
