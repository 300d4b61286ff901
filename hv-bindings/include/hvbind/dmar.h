/* SPDX-License-Identifier: MIT */
/*
 * hvbind/dmar.h - build the ACPI DMAR table a guest sees.
 *
 * A guest finds its (emulated) VT-d units through the ACPI DMA Remapping
 * table (Intel VT-d specification, chapter 8, "BIOS Considerations"): one
 * DRHD structure per remapping unit with the guest-physical base of its
 * register page and the devices it translates for, and RMRR structures
 * for memory a device keeps using across the hand-over from firmware to
 * the OS.  A hypervisor serving a vIOMMU (docs/viommu.md, "What a
 * hypervisor provides", step 4) describes its units here and places the
 * bytes hvb_dmar_build() writes among the guest's ACPI tables (an XSDT
 * entry, or fw_cfg for firmware that builds the tables itself).
 *
 * The builder collects structures and checks each against the spec as it
 * is added; hvb_dmar_build() serialises them in the order the spec
 * requires (8.2: all DRHDs, then all RMRRs) and fills in the lengths and
 * the checksum.  What is refused, and why, is listed with each function;
 * a refused call leaves the builder unchanged, and when a log callback is
 * configured it receives one line naming the rule.
 *
 * Wire format (all fields little-endian, offsets in bytes):
 *
 *   ACPI header     0  "DMAR", length(4), revision 1, checksum, OEM ID(6),
 *                      OEM table ID(8), OEM revision(4), creator ID(4),
 *                      creator revision(4)
 *   DMAR           36  host address width - 1, flags, 10 reserved
 *   DRHD            0  type 0 (2), length (2), flags, size, segment (2),
 *                      register base (8), device scopes from 16
 *   RMRR            0  type 1 (2), length (2), reserved (2), segment (2),
 *                      base (8), limit (8), device scopes from 24
 *   device scope    0  type, length, reserved (2), enumeration ID,
 *                      start bus, then (device, function) byte pairs
 *
 * Threading: the library has no global state.  Every function is pure
 * apart from the builder it is given: calls on different builders may run
 * concurrently; calls on one builder must be serialised by the caller,
 * except that any number of threads may run hvb_dmar_build() on a builder
 * nobody is modifying.  Nothing blocks, sleeps or takes a lock;
 * allocation is by malloc().
 *
 * Errors: 0 on success, a negative errno value on failure; nothing
 * aborts or exits.
 */
#ifndef HVBIND_DMAR_H
#define HVBIND_DMAR_H

#include <stddef.h>
#include <stdint.h>

#include <hvbind/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DMAR flags (spec 8.1). */
#define HVB_DMAR_FLAG_INTR_REMAP		0x01u	/* interrupt remapping supported */
#define HVB_DMAR_FLAG_X2APIC_OPT_OUT		0x02u	/* firmware asks the OS not to use x2APIC */
#define HVB_DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN	0x04u	/* firmware-initiated DMA protection */
#define HVB_DMAR_FLAGS_ALL			0x07u

/* DRHD flags (spec 8.3). */
#define HVB_DMAR_DRHD_INCLUDE_PCI_ALL		0x01u	/* every PCI device of the segment
							   not claimed by another DRHD */

/* Largest register-set size: the size field is bits 3:0 (spec 8.3). */
#define HVB_DMAR_DRHD_SIZE_LOG2_MAX		15u

/* Device scope entry types (spec 8.3.1). */
#define HVB_DMAR_SCOPE_PCI_ENDPOINT		1u
#define HVB_DMAR_SCOPE_PCI_SUBHIERARCHY		2u	/* a bridge and all below it */
#define HVB_DMAR_SCOPE_IOAPIC			3u
#define HVB_DMAR_SCOPE_HPET			4u	/* an MSI-capable HPET */

/* A scope entry's length is one byte: 6 + 2 per path element. */
#define HVB_DMAR_PATH_MAX			124u

/* Host address width range accepted by hvb_dmar_new(), in bits. */
#define HVB_DMAR_HAW_MIN			32u
#define HVB_DMAR_HAW_MAX			64u

/* Sizes of the fixed parts, for callers that check the bytes. */
#define HVB_DMAR_HEADER_LEN			48u
#define HVB_DMAR_DRHD_LEN			16u
#define HVB_DMAR_RMRR_LEN			24u
#define HVB_DMAR_SCOPE_LEN			6u

struct hvb_dmar;

/**
 * typedef hvb_log_fn - diagnostics callback.
 * @priv: the configuration's @log_priv.
 * @level: a syslog level (LOG_ERR for a refused call).
 * @msg: one line without a newline; valid during the call only.
 */
typedef void (*hvb_log_fn)(void *priv, int level, const char *msg);

/**
 * struct hvb_dmar_config - the table as a whole.
 * @host_addr_width: the guest's DMA physical addressability in bits, N
 *	(the table stores N - 1, spec 8.1); HVB_DMAR_HAW_MIN..._MAX.  Every
 *	register set and RMRR must lie below 2^N.
 * @flags: HVB_DMAR_FLAG_*; other bits are reserved and refused.
 * @oem_id: ACPI header OEM ID, at most 6 printable ASCII characters,
 *	padded with spaces; NULL: "HVBIND".
 * @oem_table_id: at most 8 characters; NULL: "HVBDMAR".
 * @oem_revision: ACPI header OEM revision.
 * @creator_id: the ACPI header's "ASL compiler ID", at most 4 characters;
 *	NULL: "HVB".
 * @creator_revision: the ACPI header's compiler revision.
 * @log, @log_priv: diagnostics; NULL = silent.
 */
struct hvb_dmar_config {
	unsigned int host_addr_width;
	uint8_t flags;
	const char *oem_id;
	const char *oem_table_id;
	uint32_t oem_revision;
	const char *creator_id;
	uint32_t creator_revision;
	hvb_log_fn log;
	void *log_priv;
};

/**
 * struct hvb_dmar_path - one hop of a device scope's path (spec 8.3.1.1).
 * @device: PCI device number, 0-31.
 * @function: PCI function number, 0-7.
 *
 * The first hop is on the scope's start bus; each further hop is on the
 * secondary bus of the bridge the previous hop named.
 */
struct hvb_dmar_path {
	uint8_t device;
	uint8_t function;
};

/**
 * struct hvb_dmar_scope - one device scope entry (spec 8.3.1).
 * @type: HVB_DMAR_SCOPE_*.
 * @enum_id: the I/O APIC ID (as in the MADT) for IOAPIC, the HPET number
 *	(as in the HPET table) for HPET; must be 0 for the PCI types, where
 *	the field is reserved.
 * @start_bus: the bus the first path element is on.
 * @path: @path_len hops, 1..HVB_DMAR_PATH_MAX.  An IOAPIC or HPET is
 *	named by the PCI requester ID its interrupts carry, so it has a path
 *	too.
 * @path_len: number of elements in @path.
 */
struct hvb_dmar_scope {
	uint8_t type;
	uint8_t enum_id;
	uint8_t start_bus;
	const struct hvb_dmar_path *path;
	size_t path_len;
};

/**
 * hvb_dmar_new() - create an empty table builder.
 * @cfg: the table's header fields; copied, not kept.
 * @out: the builder, on success.
 *
 * Return: 0; -EINVAL if @cfg or @out is NULL, @cfg->flags has reserved
 * bits, or an ID string is too long or not printable ASCII; -ERANGE if
 * @cfg->host_addr_width is outside HVB_DMAR_HAW_MIN..HVB_DMAR_HAW_MAX;
 * -ENOMEM.
 * Context: any thread; allocates.
 */
HVB_EXPORT int hvb_dmar_new(const struct hvb_dmar_config *cfg, struct hvb_dmar **out);

/**
 * hvb_dmar_free() - destroy a builder.
 * @b: the builder, or NULL.
 *
 * Context: any thread; no other call on @b may run during or after it.
 */
HVB_EXPORT void hvb_dmar_free(struct hvb_dmar *b);

/**
 * hvb_dmar_add_drhd() - describe one remapping unit (spec 8.3).
 * @b: the builder.
 * @flags: HVB_DMAR_DRHD_* (other bits reserved).
 * @segment: the PCI segment (domain) the unit serves.
 * @reg_base: guest-physical base of the unit's register set, 4 KiB
 *	aligned: where the hypervisor maps the register page.
 * @size_log2: the register set is 2^@size_log2 4 KiB pages (the DRHD size
 *	field, VT-d 3.0 and later; 0 = one page, what older readers assume).
 * @idx: the DRHD's index for hvb_dmar_drhd_add_scope(); may be NULL.
 *
 * DRHDs appear in the table in the order they are added.  A segment has
 * at most one INCLUDE_PCI_ALL unit and it comes after every other unit of
 * that segment (spec 8.3), so once it is added no other DRHD of the
 * segment is accepted.
 *
 * Return: 0; -EINVAL for a NULL @b, reserved @flags bits, a misaligned
 * @reg_base, a register set overlapping another DRHD's, a second
 * INCLUDE_PCI_ALL unit or any unit after it on one segment; -ERANGE if
 * @size_log2 > HVB_DMAR_DRHD_SIZE_LOG2_MAX, the register set does not lie
 * below 2^host_addr_width, or the table would exceed 4 GiB - 1 bytes;
 * -ENOMEM.
 * Context: any thread, serialised with other calls on @b; allocates.
 */
HVB_EXPORT int hvb_dmar_add_drhd(struct hvb_dmar *b, uint8_t flags, uint16_t segment,
				 uint64_t reg_base, unsigned int size_log2, unsigned int *idx);

/**
 * hvb_dmar_drhd_add_scope() - add a device to a unit's scope (8.3.1).
 * @b: the builder.
 * @drhd: index returned by hvb_dmar_add_drhd().
 * @scope: the entry; copied, not kept.
 *
 * An INCLUDE_PCI_ALL unit already covers every PCI device of its segment;
 * its scope lists only the IOAPICs and HPETs behind it (spec 8.3), so PCI
 * types are refused there.  A device is under one unit only: the same
 * entry (type, start bus, path) on two DRHDs of a segment is refused, and
 * an IOAPIC ID or HPET number appears once in the table.
 *
 * Return: 0; -EINVAL for a NULL @b or @scope, an unknown @drhd, an unknown
 * type, a non-zero @enum_id on a PCI type, a PCI type on an
 * INCLUDE_PCI_ALL unit, a NULL path, a path length of 0; -ERANGE for a
 * path longer than HVB_DMAR_PATH_MAX, a device above 31 or a function
 * above 7, a DRHD that would exceed its 16-bit length, or a table that
 * would exceed 4 GiB - 1 bytes; -EEXIST for a device or an enumeration
 * ID already in some unit's scope; -ENOMEM.
 * Context: any thread, serialised with other calls on @b; allocates.
 */
HVB_EXPORT int hvb_dmar_drhd_add_scope(struct hvb_dmar *b, unsigned int drhd,
				       const struct hvb_dmar_scope *scope);

/**
 * hvb_dmar_add_rmrr() - reserve a memory region for devices (spec 8.4).
 * @b: the builder.
 * @segment: the PCI segment of the devices.
 * @base: first byte of the region, 4 KiB aligned.
 * @limit: last byte of the region (inclusive), so @limit + 1 is 4 KiB
 *	aligned; @limit > @base.
 * @idx: the RMRR's index for hvb_dmar_rmrr_add_scope(); may be NULL.
 *
 * The OS keeps the region identity-mapped for the devices in the RMRR's
 * scope.  Add at least one scope before hvb_dmar_build(); the segment must
 * have a DRHD by then.
 *
 * Return: 0; -EINVAL for a NULL @b, a misaligned @base or @limit + 1, or
 * @limit <= @base; -ERANGE for a region not below 2^host_addr_width or a
 * table that would exceed 4 GiB - 1 bytes; -ENOMEM.
 * Context: any thread, serialised with other calls on @b; allocates.
 */
HVB_EXPORT int hvb_dmar_add_rmrr(struct hvb_dmar *b, uint16_t segment, uint64_t base,
				 uint64_t limit, unsigned int *idx);

/**
 * hvb_dmar_rmrr_add_scope() - name a device that uses an RMRR's region.
 * @b: the builder.
 * @rmrr: index returned by hvb_dmar_add_rmrr().
 * @scope: the entry; copied, not kept.  PCI endpoint or sub-hierarchy
 *	only: an interrupt controller does not DMA (Linux ignores IOAPIC and
 *	HPET entries in an RMRR).
 *
 * Return: 0; -EINVAL for a NULL @b or @scope, an unknown @rmrr, a type
 * other than the two PCI types, a non-zero @enum_id, a NULL path or a
 * path length of 0; -ERANGE as for hvb_dmar_drhd_add_scope(); -EEXIST
 * for an entry this RMRR already lists; -ENOMEM.
 * Context: any thread, serialised with other calls on @b; allocates.
 */
HVB_EXPORT int hvb_dmar_rmrr_add_scope(struct hvb_dmar *b, unsigned int rmrr,
				       const struct hvb_dmar_scope *scope);

/**
 * hvb_dmar_build() - serialise the table.
 * @b: the builder.
 * @buf: where to write the table; may be NULL when @len is 0.
 * @len: size of @buf in bytes.
 * @needed: if not NULL, receives the table's length, also on -ENOSPC.
 *
 * Writes the ACPI header (checksum such that all bytes sum to 0 modulo
 * 256), the DMAR fields, every DRHD in the order added, then every RMRR
 * in the order added, each followed by its scopes in the order added.
 * Reserved fields are 0.  Call with @len 0 to learn the length.
 *
 * Return: 0; -EINVAL for a NULL @b, a NULL @buf with a non-zero @len, a
 * table without a DRHD, a DRHD without INCLUDE_PCI_ALL and without any
 * scope (Linux ignores such a unit), an RMRR without a scope or on a
 * segment no DRHD serves; -ENOSPC if @len is less than the table
 * (nothing written).
 * Context: any thread; concurrent calls on one unmodified builder are
 * fine; does not allocate.
 */
HVB_EXPORT int hvb_dmar_build(const struct hvb_dmar *b, void *buf, size_t len, size_t *needed);

#ifdef __cplusplus
}
#endif

#endif /* HVBIND_DMAR_H */
