/* SPDX-License-Identifier: MIT */
/*
 * liommu/model.h - a VT-d unit in software (the hardware side).
 *
 * The model is what a driver programs: a register file with the
 * specification's semantics (GCMD/GSTS, RTADDR, CCMD, IOTLB, IQA/IQH/IQT,
 * ICS/IECTL, FSTS/FECTL/FEDATA/FEADDR, fault-recording registers, IRTA),
 * legacy-mode DMA translation (root and context tables, 3/4/5-level
 * second-level tables, 2 MiB and 1 GiB pages), caches that keep stale
 * entries until the driver invalidates them (context cache, IOTLB,
 * interrupt entry cache), queued invalidation, and interrupt-remapping
 * translation of MSI writes.  Simulated devices call
 * liommu_model_translate(), liommu_model_dma_read()/_write() and
 * liommu_model_msi(); a driver reaches the registers through
 * liommu_model_read32()/_write32()/... (the sim platform, liommu/sim.h,
 * wires them to struct liommu_platform_ops).
 *
 * What exists: the model runs in-process, under the sim platform and the
 * tests.  The vIOMMU engine (viommu-sidecore/) runs it as a guest's unit
 * through the hooks below (invalidation callback, side-effect-free
 * walks, register change count); docs/model.md, "The register file" and
 * "Hooks for a shadow", says what they guarantee.  The register file is one 4 KiB page
 * at the VT-d register offsets that holds exactly what a read returns,
 * so reads compute nothing and have no side effects.
 *
 * Memory: the model touches "physical memory" only through the bounded
 * interface in struct liommu_model_mem.  A table pointer, descriptor or
 * status address outside it is reported the way hardware reports an
 * access error (fault reasons 0x07/0x08/0x09/0x23, IQE with IQEI = 2),
 * never followed.
 *
 * Encodings come from liommu/vtd.h only.  Default capabilities mirror
 * QEMU 7.2's intel-iommu with aw-bits=48, intremap=on:
 * CAP 0x00d2008c222f0606, ECAP 0xf00f4a.
 *
 * Threading contract:
 *  - Register accesses (liommu_model_read*()/_write*()) may come from any
 *    thread; they are serialised by the model's register lock.  Queued
 *    invalidation is processed synchronously inside the liommu_model_
 *    write*() call that writes IQT (or sets GCMD.QIE over a non-empty
 *    queue), in the writer's thread, under that lock: when the write
 *    returns, every descriptor up to the new tail has completed (or the
 *    queue stopped with FSTS.IQE).  Register-based invalidation (CCMD.ICC,
 *    IOTLB.IVT) likewise completes before the write returns.  With a
 *    modelled invalidation latency (struct liommu_model_config
 *    .inval_latency_ns) such a write busy-waits, under that lock, until
 *    the latency has passed since it was made.
 *  - liommu_model_translate(), _dma_read(), _dma_write() and _msi() may be
 *    called from any number of threads concurrently with each other and
 *    with register accesses.  Cache lookups take no lock: each cache is a
 *    hash of 4-way buckets whose slots carry a sequence count (odd while
 *    a slot is written; readers retry when it changed).  A miss walks the
 *    tables with 8-byte single-copy-atomic acquire loads and inserts its
 *    result.  In front of the context cache and the IOTLB sits a small
 *    TLB keyed by (source-id, page) that answers a repeated hit with one
 *    lookup instead of two; its entries are made from context-cache and
 *    IOTLB entries and die with them (eviction or invalidation), so it
 *    changes no behaviour and no statistic: its hits count as context-
 *    cache and IOTLB hits.
 *  - Memory ordering, what a driver thread may rely on:
 *    (1) A table store made before an invalidation is submitted is seen
 *        by every walk that starts after the invalidation completes.
 *    (2) When an invalidation completes (the register write returns, or
 *        the wait descriptor's status is written / ICS.IWC set), no cache
 *        entry it covers survives, including entries being filled by
 *        walks that raced with it: every invalidation advances an epoch
 *        before it drops entries, and a fill that finds the epoch moved
 *        once it owns the slot it inserts into drops its entry unseen
 *        (the invalidation never waits for fills).
 *    (3) A translation already under way when an invalidation completes
 *        may still use what it looked up (a request in flight), exactly
 *        as in hardware; the next request will not.
 *    (4) Without invalidation, a cached translation keeps being used after
 *        the table changes: staleness is observable, as on real hardware.
 *    (5) The status write of an invalidation wait descriptor is a release
 *        store: a driver that acquires the status word sees all effects of
 *        the descriptors before it.
 *  - Callbacks (struct liommu_model_config.event) run in the thread that
 *    caused the event (a device thread that recorded a fault, or the
 *    register writer) with no model lock held; they may call back into
 *    the model.  The invalidation callback (.inval) is the exception: it
 *    runs in the register writer with the register lock held, after the
 *    entries are dropped and before the completion is visible, so it may
 *    call only what takes no register lock (liommu_model_inval_fn).
 *  - For a shadow of the tables and a poller of the registers (the vIOMMU
 *    engine): liommu_model_walk(), _context() and _walk_range() read the
 *    tables as they are in memory without touching caches, fault
 *    registers or statistics; liommu_model_regs_seq() says, lock-free,
 *    whether the register file changed, and _regs_snapshot() copies it.
 *  - liommu_model_new()/_free() are not thread-safe against other use of
 *    the same model.
 *
 * Errors: negative errno values; nothing aborts.
 */
#ifndef LIOMMU_MODEL_H
#define LIOMMU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/fault-record.h>
#include <liommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_model;

/**
 * struct liommu_model_mem_ops - the bounded physical-memory interface.
 * @read:  copy [@pa, @pa + @len) into @buf.  Return 0, or -EFAULT when
 *         any byte of the range lies outside memory (then nothing is
 *         copied).  An 8-byte read at an 8-byte aligned address must be
 *         a single-copy-atomic acquire load (__atomic_load_n(p,
 *         __ATOMIC_ACQUIRE)) because the driver edits tables while
 *         devices translate.
 * @write: copy @buf to [@pa, @pa + @len); 0 or -EFAULT as @read.  A 4-byte
 *         aligned 4-byte write (a wait descriptor's status) must be a
 *         single-copy-atomic release store.
 *
 * Context: called from device threads and from the register writer,
 * concurrently; must not call back into the model.
 */
struct liommu_model_mem_ops {
	int (*read)(void *priv, uint64_t pa, void *buf, size_t len);
	int (*write)(void *priv, uint64_t pa, const void *buf, size_t len);
};

/**
 * struct liommu_model_mem - where the model's physical memory is.
 * @ops, @priv:  the access interface; required.
 * @direct:      optional fast path: the host address of physical
 *               [@direct_pa, @direct_pa + @direct_size).  Accesses wholly
 *               inside that window are made directly (8-byte table loads
 *               with __atomic_load_n), everything else goes through @ops.
 *               NULL = always use @ops.
 * @direct_pa:   physical address of @direct's first byte.
 * @direct_size: bytes in the window.
 */
struct liommu_model_mem {
	const struct liommu_model_mem_ops *ops;
	void *priv;
	void *direct;
	uint64_t direct_pa;
	uint64_t direct_size;
};

/* Events the unit signals with an MSI (spec 7.3 fault event, 6.5.2.9
 * invalidation completion event). */
enum liommu_model_event {
	LIOMMU_MODEL_EV_FAULT = 1,	/* FEADDR/FEUADDR, FEDATA */
	LIOMMU_MODEL_EV_INV_DONE = 2,	/* IEADDR/IEUADDR, IEDATA */
};

/**
 * typedef liommu_model_event_fn - an interrupt message the unit sends.
 * @priv: the config's @event_priv.
 * @ev:   which event register set produced it.
 * @addr: message address (upper:lower address registers).
 * @data: message data.
 *
 * Called only when the event is not masked (FECTL.IM / IECTL.IM clear);
 * a masked event leaves IP set and is sent when software clears IM.
 * Context: see the threading contract at the top of this header.
 */
typedef void (*liommu_model_event_fn)(void *priv, enum liommu_model_event ev,
				      uint64_t addr, uint32_t data);

/* What an invalidation covered (struct liommu_model_inval). */
enum liommu_model_inval_kind {
	LIOMMU_MODEL_INV_CONTEXT = 1,	/* context cache (CCMD, descriptor 0x1) */
	LIOMMU_MODEL_INV_IOTLB,		/* IOTLB and PDE cache (IOTLB reg, 0x2) */
	LIOMMU_MODEL_INV_IEC,		/* interrupt entry cache (0x4) */
	LIOMMU_MODEL_INV_DEVTLB,	/* device-TLB (0x3; the model has none) */
};

/* The granularity the unit performed: for the context cache and the
 * IOTLB what CAIG / IAIG report (a page-selective request without
 * CAP.PSI is performed, and reported, domain-selective). */
enum liommu_model_inval_gran {
	LIOMMU_MODEL_INV_GLOBAL = 1,
	LIOMMU_MODEL_INV_DOMAIN,	/* @did */
	LIOMMU_MODEL_INV_DEVICE,	/* context: @sid under @fm (and @did) */
	LIOMMU_MODEL_INV_PAGE,		/* IOTLB, device-TLB: @addr, 2^@am pages */
	LIOMMU_MODEL_INV_INDEX,		/* IEC: 2^@am entries from @iidx */
};

/**
 * struct liommu_model_inval - one invalidation the unit performed.
 * @kind:   enum liommu_model_inval_kind.
 * @gran:   enum liommu_model_inval_gran, as performed.
 * @queued: from the invalidation queue; false for the CCMD / IOTLB
 *          registers and for the implicit invalidations of GCMD (SRTP
 *          with CAP.ESRTPS, SIRTP with CAP.ESIRTPS, a TE change with
 *          @flush_on_te).
 * @did:    domain-id: context DOMAIN and DEVICE (as written), IOTLB
 *          DOMAIN and PAGE.
 * @sid:    source-id: context DEVICE, device-TLB.
 * @fm:     function mask (CCMD.FM / descriptor FM): context DEVICE.
 * @addr:   first byte covered, aligned down to 2^@am pages: IOTLB PAGE,
 *          device-TLB (its S-bit size decoded).
 * @am:     address mask (IOTLB PAGE, device-TLB: 2^@am 4 KiB pages) or
 *          index mask (IEC INDEX: 2^@am entries).
 * @ih:     invalidation hint (IOTLB PAGE): the PDE cache was kept.
 * @iidx:   first interrupt index covered, aligned down (IEC INDEX).
 *
 * Fields a kind and granularity do not use are 0.
 */
struct liommu_model_inval {
	enum liommu_model_inval_kind kind;
	enum liommu_model_inval_gran gran;
	bool queued;
	uint16_t did;
	uint16_t sid;
	uint8_t fm;
	uint64_t addr;
	unsigned int am;
	bool ih;
	uint32_t iidx;
};

/**
 * typedef liommu_model_inval_fn - an invalidation the unit performed.
 * @priv: the config's @inval_priv.
 * @inv:  what it covered; valid during the call only.
 *
 * Called once per invalidation, in the thread that performs it (the
 * register writer: the write of CCMD, the IOTLB register, GCMD, or the
 * IQT / GCMD / FSTS write that ran the queue), after the unit dropped
 * the cache entries it covers and before its completion is visible to
 * software: before CCMD.ICC / IOTLB.IVT clear and before any later wait
 * descriptor of the queue writes its status or sets ICS.IWC.  So a
 * shadow that removes what @inv covers from within the call has done
 * so when the driver sees the invalidation complete (strict unmap).
 * A malformed descriptor (the queue stops with IQE) or a command with
 * a reserved granularity performs nothing and is not reported.
 *
 * Context: called with the model's register lock (a spin lock) held:
 * device threads that record a fault and every register access of this
 * unit wait until it returns, so keep it short.  It may call
 * liommu_model_walk(), _context(), _walk_range(), _regs_seq(),
 * _get_stats(), liommu_model_translate() with LIOMMU_MODEL_NO_RECORD,
 * and anything of another unit.  It must not call this unit's register
 * accessors (liommu_model_read*() / _write*() / _regs_snapshot()),
 * _reset(), _dma_read() / _dma_write(), _msi(), or translate without
 * NO_RECORD: they take the register lock (a fault is recorded under it)
 * and would deadlock.
 */
typedef void (*liommu_model_inval_fn)(void *priv, const struct liommu_model_inval *inv);

/**
 * struct liommu_model_config - the unit's capability set and sizes.
 * Fill with liommu_model_config_default() and change what you need.
 * @sagaw:        supported address widths, VTD_SAGAW_39/_48/_57 bits.
 * @mgaw:         maximum guest address width in bits (CAP.MGAW + 1),
 *                up to the widest width in @sagaw.
 * @haw:          host address width, 32 .. 52: address bits above it
 *                are reserved in root, context and paging entries (QEMU
 *                uses its aw-bits, 48).
 * @domains:      number of domain IDs: 16, 64, 256, 1024, 4096, 16384
 *                or 65536 (CAP.ND).
 * @sllps:        superpage sizes, VTD_SLLPS_2M / VTD_SLLPS_1G bits.
 * @nfr:          fault-recording registers, 1 .. 128 (CAP.NFR + 1).
 * @mamv:         maximum address-mask value for page-selective IOTLB
 *                invalidation (CAP.MAMV), 0 .. 63.
 * @caching_mode: CAP.CM: not-present and erroneous entries are cached
 *                too (context entries with domain 0, leaves with their
 *                domain), so software must invalidate after making
 *                entries present.
 * @coherent:     ECAP.C (page-walk coherency).  Informational for the
 *                model: its reads always see memory.
 * @psi:          CAP.PSI (page-selective invalidation).
 * @drain:        CAP.DRD and CAP.DWD (read/write draining).
 * @rwbf:         CAP.RWBF (write-buffer flushing required).
 * @qi:           ECAP.QI (queued invalidation).
 * @ir:           ECAP.IR (interrupt remapping; needs @qi, spec 11.4.3).
 * @eim:          ECAP.EIM (x2APIC mode, 32-bit destinations); needs @ir.
 * @posted:       CAP.PI (posted interrupts); needs @ir.
 * @pass_through: ECAP.PT (context TT = 2 passes requests through).
 * @device_tlb:   ECAP.DT: context TT = 1 is valid, device-TLB
 *                invalidation descriptors are accepted, and translation
 *                requests (LIOMMU_MODEL_ATS) are served.
 * @mhmv:         ECAP.MHMV (IEC index mask limit), 0 .. 15; used with @ir.
 * @esrtps:       CAP.ESRTPS: SRTP also invalidates the context cache,
 *                IOTLB (and PASID caches); otherwise SRTP only latches.
 * @esirtps:      CAP.ESIRTPS: SIRTP also invalidates the IEC.
 * @flush_on_te:  drop the context cache and the IOTLB whenever GCMD.TE
 *                changes, as QEMU 7.2 does (vtd_handle_gcmd_te()).  Off
 *                by default: hardware may keep its caches across a TE
 *                change, and software invalidates after enabling
 *                translation.  The differential runner turns it on.
 * @collapse_faults: do not record a fault while a fault from the same
 *                source-id is pending in a fault-recording register
 *                (QEMU 7.2's vtd_try_collapse_fault(); on by default so
 *                the two units agree).  Off: every fault is recorded until
 *                the registers are full, then FSTS.PFO.
 * @context_entries, @iotlb_entries, @iec_entries: cache capacities,
 *                rounded up to a power of two, at least 4 each.
 * @pde_entries:  paging-structure cache: second-level PDEs (the entry
 *                that points at a leaf table), rounded up like the others;
 *                0 disables it.  Page-selective invalidation with IH = 1
 *                keeps these entries (spec 6.5.1.2), so a driver that
 *                frees a leaf table and sets IH is caught.
 * @inval_latency_ns: how long an invalidation takes, 0 (none, the
 *                default) .. LIOMMU_MODEL_INVAL_LATENCY_MAX_NS.  The
 *                model invalidates in nanoseconds and hardware does not
 *                (its cost cannot be measured here): an invalidation-wait
 *                descriptor writes its status and raises its event no
 *                earlier than this after the register write that started
 *                the queue's run, and CCMD.ICC / IOTLB.IVT clear no
 *                earlier than this after the write that set them.  The
 *                wait is a busy-wait in the writer's thread with the
 *                register lock held (the queue runs there), so any driver
 *                sees it, and the unit's other register accesses wait
 *                behind it as behind hardware's single queue.  Several
 *                descriptors before one wait cost the latency once.
 * @event, @event_priv: interrupt messages (NULL = dropped; IP still set).
 * @inval, @inval_priv: told of every invalidation performed (NULL =
 *                nobody; see liommu_model_inval_fn for when and where).
 * @mem:          physical memory; @mem.ops is required.
 */
struct liommu_model_config {
	unsigned int sagaw;
	unsigned int mgaw;
	unsigned int haw;
	unsigned int domains;
	unsigned int sllps;
	unsigned int nfr;
	unsigned int mamv;
	bool caching_mode;
	bool coherent;
	bool psi;
	bool drain;
	bool rwbf;
	bool qi;
	bool ir;
	bool eim;
	bool posted;
	bool pass_through;
	bool device_tlb;
	unsigned int mhmv;
	bool esrtps;
	bool esirtps;
	bool flush_on_te;
	bool collapse_faults;
	unsigned int context_entries;
	unsigned int iotlb_entries;
	unsigned int iec_entries;
	unsigned int pde_entries;
	uint64_t inval_latency_ns;
	liommu_model_event_fn event;
	void *event_priv;
	liommu_model_inval_fn inval;
	void *inval_priv;
	struct liommu_model_mem mem;
};

/* Register layout chosen by the model, as QEMU: fault-recording registers
 * at 0x220 (CAP.FRO = 0x22), IVA at 0xf0 and IOTLB at 0xf8 (ECAP.IRO = 0xf). */
#define LIOMMU_MODEL_FRCD_OFFSET	0x220
#define LIOMMU_MODEL_IVA_OFFSET		0x0f0
/* Largest liommu_model_config.inval_latency_ns: 1 s. */
#define LIOMMU_MODEL_INVAL_LATENCY_MAX_NS	1000000000ull
/* VER register value (major 1, minor 0), as QEMU. */
#define LIOMMU_MODEL_VERSION		0x10

/**
 * liommu_model_config_default() - QEMU 7.2 intel-iommu defaults
 * (aw-bits=48, intremap=on, eim off, pt on): SAGAW 39+48, MGAW 48, HAW
 * 48, 65536 domains, 2 MiB and 1 GiB pages, one fault record, MAMV 18,
 * PSI, drain, QI, IR, PT, MHMV 15, no DT, coherency off, caching mode
 * off, faults collapsed per source-id; caches of 256 context, 1024 IOTLB,
 * 256 PDE and 256 IEC entries; no invalidation latency; no event
 * callback; no memory (set @mem before liommu_model_new()).
 * Context: any.
 */
LIOMMU_EXPORT void liommu_model_config_default(struct liommu_model_config *cfg);

/**
 * liommu_model_new() - create a unit in its reset state.
 * @cfg: the configuration; copied.
 * @out: the new model.
 *
 * Return: 0; -EINVAL when the configuration is not a valid VT-d capability
 * set (no or unknown SAGAW bits, MGAW out of range, @domains not a power
 * of four in 16..65536, @nfr out of range, EIM without IR, IR without QI,
 * @inval_latency_ns above LIOMMU_MODEL_INVAL_LATENCY_MAX_NS, missing
 * @mem.ops) or -ENOMEM.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_model_new(const struct liommu_model_config *cfg,
				   struct liommu_model **out);

/** liommu_model_free() - destroy a model; NULL is accepted.  No other call
 * may be running on it.  Context: may block. */
LIOMMU_EXPORT void liommu_model_free(struct liommu_model *m);

/**
 * liommu_model_reset() - power-on reset: registers to their reset values
 * (translation, QI and IR disabled, faults cleared), caches emptied.
 * Statistics are kept.
 * Context: takes the register lock (a spin lock); does not sleep.
 */
LIOMMU_EXPORT void liommu_model_reset(struct liommu_model *m);

/** liommu_model_cap() / _ecap() - the CAP and ECAP register values.
 * Context: any. */
LIOMMU_EXPORT uint64_t liommu_model_cap(const struct liommu_model *m);
LIOMMU_EXPORT uint64_t liommu_model_ecap(const struct liommu_model *m);

/**
 * liommu_model_read32() / _read64() / _write32() / _write64() - register
 * access at byte offset @off (spec 11.4).  64-bit registers may also be
 * accessed as two 32-bit halves (the low half at @off, the high half at
 * @off + 4); a write to the half that carries a command bit (CCMD.ICC,
 * IOTLB.IVT at +4) acts as the 64-bit write would with the other half's
 * latched value.  Reserved bits and unimplemented offsets read as zero;
 * writes to read-only bits are ignored; RW1C bits clear when written 1.
 * Offsets at or above VTD_REG_WINDOW_SIZE or not naturally aligned read
 * as zero and ignore writes.
 * Context: takes the register lock, a spin lock held for the access
 * (and, for a tail write, the run of the queue; for an invalidation, the
 * modelled latency, a busy-wait); never waits for
 * translations in flight (an invalidation advances an epoch that a
 * racing fill rechecks, rule (2) above); does not sleep.
 */
LIOMMU_EXPORT uint32_t liommu_model_read32(struct liommu_model *m, uint32_t off);
LIOMMU_EXPORT uint64_t liommu_model_read64(struct liommu_model *m, uint32_t off);
LIOMMU_EXPORT void liommu_model_write32(struct liommu_model *m, uint32_t off,
					uint32_t val);
LIOMMU_EXPORT void liommu_model_write64(struct liommu_model *m, uint32_t off,
					uint64_t val);

/**
 * liommu_model_regs_seq() - the register file's change count.
 * @m: the unit.
 *
 * The count advances whenever a byte of the register file (what
 * liommu_model_read32() would return at some offset) changes, whatever
 * changed it: a register write and what it caused (queue progress,
 * status and IP bits, invalidation completion), a fault recorded by a
 * device thread, a reset.  It may also advance when nothing changed
 * (every register write inside the window advances it); a fault that is
 * lost or collapsed without touching a register does not.  Equal values
 * mean an unchanged file, so a poller calls this first and
 * liommu_model_regs_snapshot() only when it moved.
 * Return: the count (never decreases).
 * Context: any thread; lock-free, one acquire load.
 */
LIOMMU_EXPORT uint64_t liommu_model_regs_seq(const struct liommu_model *m);

/**
 * liommu_model_regs_snapshot() - copy the register file, or its start.
 * @m:   the unit.
 * @buf: the file at the VT-d offsets from 0, as liommu_model_read32() /
 *       _read64() return them.
 * @len: bytes to copy from offset 0: a non-zero multiple of 8; more than
 *       VTD_REG_WINDOW_SIZE (4 KiB) copies the whole file.  Every register
 *       this model implements lies below LIOMMU_MODEL_FRCD_OFFSET + 16 *
 *       (CAP.NFR + 1) (the fault-recording registers come last), so a
 *       poller copies that much and no more: everything above reads 0.
 * @seq: where to put liommu_model_regs_seq()'s value for this copy (no
 *       change made after it is in the copy; every change before it is);
 *       may be NULL.
 * Return: 0; -EINVAL when @buf is NULL or @len is 0 or not a multiple
 * of 8.
 * Context: takes the register lock (a spin lock) for the copy; does not
 * sleep.  Not from the invalidation callback (deadlock).
 */
LIOMMU_EXPORT int liommu_model_regs_snapshot(struct liommu_model *m, void *buf, size_t len,
					     uint64_t *seq);

/*
 * The unit's state as a blob, for live migration of an emulated unit:
 * the register file and what the unit latched (root table, IRTA, queue
 * base and size, write-only fields, TE/IRE/CFI in force, the next fault
 * record), versioned, little-endian.  Not in it: the caches (a restored
 * unit starts empty, which software cannot tell from eviction) and the
 * statistics.  The memory the tables live in is the caller's to move.
 */
#define LIOMMU_MODEL_STATE_SIZE	(88 + VTD_REG_WINDOW_SIZE)

/**
 * liommu_model_save_state() - copy the unit's state.
 * @buf, @len: at least LIOMMU_MODEL_STATE_SIZE bytes.
 * Return: 0, -EINVAL.
 * Context: takes the register lock; consistent with register writes,
 * not with translations in flight (stop the devices first).
 */
LIOMMU_EXPORT int liommu_model_save_state(struct liommu_model *m, void *buf, size_t len);

/**
 * liommu_model_restore_state() - put a unit into a saved state.
 * @buf, @len: a blob from liommu_model_save_state() of a unit with the
 *	same capability set (CAP, ECAP, number of fault records).
 *
 * The blob is checked whole before anything changes: magic, version,
 * size, the capability set, reserved bytes zero, latched addresses
 * aligned and inside the host address width, a queue size VT-d allows,
 * the next fault record inside the unit, GSTS agreeing with what is
 * latched as in force, CAP/ECAP/VER in the file.  Then every cache is
 * emptied and the register change count advances.
 * Return: 0; -EINVAL (any check failed: nothing changed).
 * Context: takes the register lock; no translation may be in flight.
 */
LIOMMU_EXPORT int liommu_model_restore_state(struct liommu_model *m, const void *buf,
					     size_t len);

/* Request flags for translation and DMA. */
#define LIOMMU_MODEL_READ	0x1u	/* read request (T = 1 in a fault) */
#define LIOMMU_MODEL_WRITE	0x2u	/* write request (T = 0) */
/* A translation request (PCIe ATS, AT = 01b): served only through a
 * context entry with TT = 1 (device-TLB), blocked with fault 0x0D
 * through TT = 0.  Needs @device_tlb. */
#define LIOMMU_MODEL_ATS	0x4u
/* Report a fault to the caller but do not record it in the fault
 * registers or signal it (a probe, e.g. for exposure measurements). */
#define LIOMMU_MODEL_NO_RECORD	0x100u

/**
 * struct liommu_model_xlate - a successful translation.
 * @pa:        the physical address of the requested IOVA.
 * @page_size: size of the page it lies in (4 KiB, 2 MiB, 1 GiB; 4 KiB for
 *             untranslated requests: TE clear or pass-through).
 * @perm:      LIOMMU_MODEL_READ/_WRITE the page allows.
 * @did:       domain of the context entry (0 when TE is clear).
 * @iotlb_hit: served from the IOTLB (or not translated at all).
 */
struct liommu_model_xlate {
	uint64_t pa;
	uint64_t page_size;
	unsigned int perm;
	uint16_t did;
	bool iotlb_hit;
};

/**
 * liommu_model_translate() - translate one DMA request (spec 3.4, 3.6).
 * @m:      the unit.
 * @sid:    requester source-id (bus << 8 | devfn).
 * @iova:   the request address.
 * @flags:  LIOMMU_MODEL_READ and/or _WRITE, optionally _ATS and
 *          _NO_RECORD.
 * @out:    the translation on success (undefined after a failure).  May
 *          be NULL.
 * @fault:  on -EFAULT, the fault as the hardware records it (page address,
 *          sid, reason, is_write).  May be NULL.
 *
 * With GSTS.TES clear, requests are not translated (pa = iova), as QEMU
 * and the spec (3.1: "DMA requests are not remapped") do.  Otherwise the
 * context cache and IOTLB are consulted and on a miss the root, context
 * and second-level tables are walked.  Faults are recorded in the fault
 * registers (and signalled) unless the context entry's FPD is set or
 * @flags has LIOMMU_MODEL_NO_RECORD.
 *
 * Return: 0, -EFAULT (translation fault, see @fault), -EINVAL (@flags has
 * neither READ nor WRITE, or unknown bits).
 * Context: any thread; lock-free on an IOTLB hit; may invoke the event
 * callback when it records a fault.
 */
LIOMMU_EXPORT int liommu_model_translate(struct liommu_model *m, uint16_t sid,
					 uint64_t iova, unsigned int flags,
					 struct liommu_model_xlate *out,
					 struct liommu_fault *fault);

/**
 * struct liommu_model_ctx - a source-id's context entry as it is in memory.
 * @present:  the root and the context entry are present.
 * @reason:   0 when the entry is usable; otherwise the fault reason a
 *            request would record for it (VTD_FR_ROOT_ACCESS ..
 *            VTD_FR_CTX_INV: unreadable, not present, reserved bits, AW
 *            not in SAGAW, TT not supported).
 * @fpd:      FPD (meaningful whenever the context entry could be read).
 * @tt:       translation type, VTD_CTX_TT_*.
 * @did:      domain-id.
 * @aw:       the AW field (0 = 30-bit ... 3 = 57-bit).
 * @width:    address bits translated: min(AW's width, MGAW).  IOVAs at
 *            or above 2^@width fault with VTD_FR_ADDR_BEYOND_AW.
 * @levels:   second-level table levels (3, 4, 5).
 * @slptptr:  the top-level table (SLPTPTR).
 * @te:       GSTS.TES: when false the unit does not translate at all
 *            (requests pass untranslated whatever the tables say).
 * When @reason is not 0: @tt, @did and @aw are the raw fields if
 * @present (the entry could be read and has P set), else 0; @width,
 * @levels and @slptptr are 0.
 */
struct liommu_model_ctx {
	bool present;
	uint8_t reason;
	bool fpd;
	unsigned int tt;
	uint16_t did;
	unsigned int aw;
	unsigned int width;
	unsigned int levels;
	uint64_t slptptr;
	bool te;
};

/**
 * liommu_model_context() - decode @sid's context entry, read now.
 * @m:   the unit.
 * @sid: source-id.
 * @out: the entry (see struct liommu_model_ctx).
 *
 * Reads the root table latched at SRTP and the context entry as they are
 * in memory (not the context cache), with the checks a translation
 * makes; caches nothing, records nothing, counts nothing.  TE is not
 * consulted (@out->te reports it).
 * Return: 0 (a usable entry), -EFAULT (@out->reason says why not),
 * -EINVAL (@out NULL).
 * Context: any thread, no lock; also from the invalidation callback.
 */
LIOMMU_EXPORT int liommu_model_context(struct liommu_model *m, uint16_t sid,
				       struct liommu_model_ctx *out);

/**
 * liommu_model_walk() - translate @iova for @sid from the tables in
 * memory now, without side effects.
 * @m:     the unit.
 * @sid:   source-id.
 * @iova:  the address.
 * @out:   the translation, encoded as liommu_model_translate()'s
 *         (@iotlb_hit false for a walked page; true, as translate, when
 *         TE is clear or the context passes through).  May be NULL.
 * @fault: on -EFAULT, the fault a request would record (page address,
 *         sid, reason, is_write false).  May be NULL.
 *
 * The walk of liommu_model_translate()'s miss path (the same code):
 * root table latched at SRTP, context entry, second-level tables, with
 * the same checks and fault reasons, but it reads no cache (not even the
 * PDE cache), fills none, records no fault, raises no event and changes
 * no statistic.  It asks for no particular access: it succeeds when the
 * page grants read or write (@out->perm says which) and fails with
 * VTD_FR_READ where the permissions accumulated down the walk become
 * empty (a read request would record that; a write would record
 * VTD_FR_WRITE).  A request for a permission @out->perm lacks faults in
 * translate.  With TE clear the result is untranslated (pa = iova),
 * as translate's.
 * Return: 0 or -EFAULT.
 * Context: any thread, no lock, concurrently with everything else;
 * also from the invalidation callback.
 */
LIOMMU_EXPORT int liommu_model_walk(struct liommu_model *m, uint16_t sid, uint64_t iova,
				    struct liommu_model_xlate *out,
				    struct liommu_fault *fault);

/**
 * typedef liommu_model_leaf_fn - one mapped page found by
 * liommu_model_walk_range().
 * @priv: the caller's pointer.
 * @iova: first IOVA of the page (aligned to @size).
 * @pa:   first physical address of the page.
 * @size: page size (4 KiB, 2 MiB, 1 GiB), or for an untranslated
 *        context (TE clear, pass-through) the length of the range.
 * @perm: LIOMMU_MODEL_READ / _WRITE accumulated down the walk (not 0).
 * Return: 0 to go on; anything else stops the walk and is returned by
 * it (use a negative errno: a positive count means something else).
 */
typedef int (*liommu_model_leaf_fn)(void *priv, uint64_t iova, uint64_t pa,
				    uint64_t size, unsigned int perm);

/**
 * liommu_model_walk_range() - every mapped page of @sid in an IOVA range,
 * read from memory now.
 * @m:     the unit.
 * @sid:   source-id.
 * @start: first IOVA.
 * @end:   one past the last IOVA (clipped to 2^width of the context).
 * @cb:    called for every leaf that grants read or write and overlaps
 *         [@start, @end), in increasing IOVA order; a superpage that
 *         begins before @start or ends after @end is reported whole.
 * @priv:  passed to @cb.
 *
 * The same entry checks as liommu_model_walk() (one decoder of paging
 * entries serves both), with its lack of side effects.  A non-present
 * entry (no R, no W) at any level is skipped with the whole subtree
 * below it in one step, so a sparse space costs time in proportion to
 * its present entries, not its size.  An entry a translation would fault
 * on for another reason (reserved bits, a table outside memory) is
 * skipped the same way and counted: the rest of the range is still
 * reported, as hardware still translates the rest (a walk through it
 * faults, liommu_model_walk() says how).  Tables that point back at
 * themselves or an ancestor are walked as the hardware would (a walk
 * never goes deeper than the context's levels), so the walk ends, after
 * at most one leaf per 4 KiB page of the range.  With TE clear or a
 * pass-through context, @cb is called once: (@start, @start, @end -
 * @start, READ | WRITE).
 *
 * Return: 0 when the range was walked and nothing was skipped for an
 * error; a positive count of erroneous entries skipped; @cb's non-zero
 * value when it stopped the walk; -EFAULT when the context entry is not
 * usable (liommu_model_context() gives the reason); -EINVAL (@cb NULL).
 * An empty range returns 0 without calling @cb.
 * Context: any thread, no lock, concurrently with everything else (a
 * table changed during the walk gives either its old or its new entries
 * where it changed); also from the invalidation callback.
 */
LIOMMU_EXPORT int liommu_model_walk_range(struct liommu_model *m, uint16_t sid,
					  uint64_t start, uint64_t end,
					  liommu_model_leaf_fn cb, void *priv);

/**
 * liommu_model_dma_read() / _dma_write() - a device's DMA through the unit.
 * @m:     the unit.
 * @sid:   requester source-id.
 * @iova:  first byte.
 * @buf:   destination (read) or source (write) in the caller's memory.
 * @len:   bytes; the range may cross pages of any size.
 * @fault: on -EFAULT, the first fault.  May be NULL.
 *
 * Every page of the range is translated before any byte moves: on a fault
 * nothing is copied, the fault is recorded as by liommu_model_translate()
 * and returned.
 * Return: 0; -EFAULT (translation fault); -EIO (translated to an address
 * outside memory: the request is aborted there, as a master abort, and no
 * VT-d fault exists; @fault->reason is 0 and @fault->addr the physical
 * page; pieces before it have moved, as a real device's earlier TLPs
 * would have); -EINVAL (@buf NULL, @iova + @len overflows); -ENOMEM.
 * Context: any thread, as liommu_model_translate().
 */
LIOMMU_EXPORT int liommu_model_dma_read(struct liommu_model *m, uint16_t sid,
					uint64_t iova, void *buf, size_t len,
					struct liommu_fault *fault);
LIOMMU_EXPORT int liommu_model_dma_write(struct liommu_model *m, uint16_t sid,
					 uint64_t iova, const void *buf, size_t len,
					 struct liommu_fault *fault);

/* What an MSI write became. */
enum liommu_model_irq_kind {
	LIOMMU_MODEL_IRQ_PASSTHROUGH = 1,	/* not remapped (IR off, or
						 * compatibility format with CFI) */
	LIOMMU_MODEL_IRQ_REMAPPED = 2,		/* remapped-format IRTE (9.10) */
	LIOMMU_MODEL_IRQ_POSTED = 3,		/* posted-format IRTE (9.11) */
};

/**
 * struct liommu_model_irq - a translated interrupt request.
 * @kind:     see enum liommu_model_irq_kind.
 * @index:    the IRTE index used (handle + subhandle); remapped/posted.
 * @vector:   vector (posted: the virtual vector).
 * @dest:     destination APIC ID: 8 bits (IRTA.EIME = 0, IRTE bits 47:40)
 *            or 32 bits (EIME = 1).  Remapped only.
 * @dest_logical: DM; @redir_hint: RH; @level: TM; @delivery_mode: DLM.
 * @pda:      posted: the 64-byte aligned posted-interrupt descriptor.
 * @urgent:   posted: URG.
 * @addr, @data: passthrough: the original message.
 */
struct liommu_model_irq {
	enum liommu_model_irq_kind kind;
	uint16_t index;
	uint8_t vector;
	uint32_t dest;
	bool dest_logical;
	bool redir_hint;
	bool level;
	uint8_t delivery_mode;
	uint64_t pda;
	bool urgent;
	uint64_t addr;
	uint32_t data;
};

/**
 * liommu_model_msi() - interrupt-remapping translation of an MSI write
 * (spec 5.1).
 * @m:     the unit.
 * @sid:   requester source-id.
 * @addr:  the MSI address (0xFEEx_xxxx).
 * @data:  the MSI data.
 * @flags: 0 or LIOMMU_MODEL_NO_RECORD.
 * @out:   the result on success.  May be NULL.
 * @fault: on -EFAULT, the interrupt-remapping fault (reason 0x20-0x27,
 *         addr = index << 48 when an index was involved, as recorded).
 *         May be NULL.
 *
 * With GSTS.IRES clear the message passes through.  Otherwise a
 * remappable-format message is looked up in the interrupt entry cache or
 * the table IRTA latched at SIRTP; a compatibility-format message passes
 * through only when GSTS.CFIS is set and is blocked (0x25) otherwise.
 * Faults are recorded unless the IRTE's FPD is set or NO_RECORD.
 * Return: 0, -EFAULT, -EINVAL (@addr not in 0xFEEx_xxxx).
 * Context: any thread; lock-free on an IEC hit.
 */
LIOMMU_EXPORT int liommu_model_msi(struct liommu_model *m, uint16_t sid,
				   uint64_t addr, uint32_t data, unsigned int flags,
				   struct liommu_model_irq *out,
				   struct liommu_fault *fault);

/**
 * struct liommu_model_stats - counters since liommu_model_new().  Each
 * field is exact once the threads that use the model are quiescent;
 * while they run, a field may lag by the requests in progress.
 * @translations:  DMA translation requests (TE set), faults included.
 * @untranslated:  requests passed through with TE clear.
 * @iotlb_hits, @iotlb_misses: IOTLB lookups.
 * @ctx_hits, @ctx_misses: context-cache lookups.
 * @walks:         second-level table walks started.
 * @walk_loads:    table entries read by walks (root/context excluded).
 * @pde_hits:      walks that started from a cached PDE.
 * @iec_hits, @iec_misses: interrupt entry cache lookups.
 * @ctx_invs:      context-cache invalidations (register or descriptor).
 * @iotlb_invs_global, @iotlb_invs_domain, @iotlb_invs_page: IOTLB
 *                 invalidations by the granularity performed.
 * @iotlb_entries_dropped: IOTLB entries removed by invalidations.
 * @iec_invs:      interrupt entry cache invalidations.
 * @inv_waits:     invalidation wait descriptors completed.
 * @qi_descs:      descriptors fetched from the invalidation queue.
 * @qi_errors:     times the queue stopped with IQE.
 * @faults:        faults recorded in a fault-recording register.
 * @faults_lost:   faults not recorded: registers full (PFO) or the
 *                 unrecorded-fault window described in spec 7.2.1.
 * @faults_suppressed: faults not recorded because of FPD.
 * @fault_events, @inv_events: interrupt messages sent.
 * @irqs_remapped, @irqs_posted, @irqs_passthrough: MSIs by outcome.
 * @dma_read_bytes, @dma_write_bytes: bytes moved by the DMA API.
 */
struct liommu_model_stats {
	uint64_t translations;
	uint64_t untranslated;
	uint64_t iotlb_hits;
	uint64_t iotlb_misses;
	uint64_t ctx_hits;
	uint64_t ctx_misses;
	uint64_t walks;
	uint64_t walk_loads;
	uint64_t pde_hits;
	uint64_t iec_hits;
	uint64_t iec_misses;
	uint64_t ctx_invs;
	uint64_t iotlb_invs_global;
	uint64_t iotlb_invs_domain;
	uint64_t iotlb_invs_page;
	uint64_t iotlb_entries_dropped;
	uint64_t iec_invs;
	uint64_t inv_waits;
	uint64_t qi_descs;
	uint64_t qi_errors;
	uint64_t faults;
	uint64_t faults_lost;
	uint64_t faults_suppressed;
	uint64_t fault_events;
	uint64_t inv_events;
	uint64_t irqs_remapped;
	uint64_t irqs_posted;
	uint64_t irqs_passthrough;
	uint64_t dma_read_bytes;
	uint64_t dma_write_bytes;
};

/**
 * liommu_model_get_stats() - add up the counters.
 * Context: any thread; takes the statistics lock (not the register lock).
 */
LIOMMU_EXPORT void liommu_model_get_stats(struct liommu_model *m,
					  struct liommu_model_stats *st);

/**
 * liommu_model_iotlb_count() - valid entries now in the IOTLB (tests and
 * diagnostics; a racy snapshot while devices run).  Context: any.
 */
LIOMMU_EXPORT unsigned int liommu_model_iotlb_count(struct liommu_model *m);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_MODEL_H */
