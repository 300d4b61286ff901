/* SPDX-License-Identifier: MIT */
/*
 * liommu/viommu.h - a VT-d unit emulated for a guest (vIOMMU).
 *
 * What this is for: a guest that runs its own, unmodified VT-d driver
 * against an emulated unit tells the host exactly when it maps and
 * unmaps DMA buffers, so the host can mirror ("shadow") those mappings
 * into the real IOMMU: intra-guest protection and pinning of only what
 * is mapped, instead of direct assignment's "everything mapped, nothing
 * protected" (Amit, Ben-Yehuda, Tsafrir, Schuster, "vIOMMU: Efficient
 * IOMMU Emulation", USENIX ATC 2011).
 *
 * The emulated unit is libiommu's own software VT-d unit (liommu/model.h):
 * its register semantics, table walks, caches, invalidation queue and
 * fault recording, not a second implementation.  This header adds what a
 * guest needs around it.
 *
 * The pieces, in the order a hypervisor uses them:
 *  - struct liommu_viommu, one emulated unit for one VM: its capability
 *    set (liommu_viommu_config_default() is QEMU 7.2's
 *    `intel-iommu,caching-mode=on`), its guest memory table (every guest
 *    pointer the unit follows is bounded to it), its assigned devices
 *    (each guest source-id shadowed into a host libiommu domain);
 *  - two ways for the guest's register accesses to arrive: a shared
 *    register page polled by a sidecore thread (struct liommu_sidecore,
 *    no VM exit at all), or trapped accesses the hypervisor forwards
 *    (liommu_viommu_mmio_read() / _mmio_write());
 *  - a guest platform, so that libiommu's own driver can be the guest
 *    (tests, benches, examples).
 *
 * Threading contract: an instance may be used from any thread; calls
 * that may block say so.  In SIDECORE mode the instance's register page
 * belongs to the sidecore thread serving it; the hypervisor's calls
 * (memory, devices, faults, statistics) run beside it.  The shadow is
 * updated inside the guest unit's invalidation (in the sidecore thread
 * or the trapping caller's), under a mutex of its own that attach,
 * detach and memory removal take too.  Callbacks (@event) must not call
 * back into the instance.
 *
 * Orderings the polling design preserves, and where a guest can see a
 * delay (docs/viommu.md, "The register page", says why each holds):
 *  - A guest's stores are seen in program order: a command register
 *    (GCMD, CCMD, the IOTLB register, IQT) is read before the registers
 *    it consumes, and the data registers are forwarded first, so a
 *    command never acts on an older RTADDR, IQA, IRTA or IVA; IQT, which
 *    enabling queued invalidation consumes, is data to GCMD in this
 *    sense (loaded after it, forwarded before it).
 *  - Status follows the command, later: GSTS after GCMD, CCMD.ICC and
 *    IOTLB.IVT clearing, IQH advancing, a wait descriptor's status and
 *    ICS.IWC appear one polling pass after the store (nanoseconds when
 *    the thread polls; up to the configured wake-up bound when it
 *    sleeps).  VT-d makes software poll for each of them, so a
 *    conforming driver only waits.  Two exceptions a page cannot avoid
 *    (docs/viommu.md lists them): a one-shot command (SRTP, SIRTP, WBF,
 *    SFL) repeated within @oneshot_hold_ns of the previous one's
 *    completion reads complete at once, and a write-1-to-clear store
 *    reads back as stored until the next pass.
 *  - An invalidation's host-side effect (the shadow) is complete before
 *    its completion is visible: a guest that sees a wait descriptor's
 *    status, or ICC/IVT clear, after a strict unmap knows the host
 *    mapping is gone.
 *  - Fault records are published before FSTS.PPF, and interrupts are
 *    sent only after the page shows their cause.
 *  - Between two passes only the last value stored to a register is
 *    seen; a write-1-to-clear store of the value the page already shows
 *    cannot be seen (regpage.c lists what Linux 6.1 does).  GCMD reads a
 *    sentinel with only reserved bits set after each command, so a
 *    second write of the same command is a change.
 *
 * The engine is part of libiommu (one library, one version script, one
 * ABI version for hypervisors and the daemon), in its own layer: it uses
 * only libiommu's public headers, which tests/check-layers.sh enforces.
 */
#ifndef LIOMMU_VIOMMU_H
#define LIOMMU_VIOMMU_H

#include <stdint.h>

#include <liommu/dma.h>
#include <liommu/export.h>
#include <liommu/model.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_viommu;
struct liommu_sidecore;
struct liommu_domain;
struct liommu_platform;

/* How the guest's register accesses reach the engine. */
enum liommu_viommu_mode {
	/*
	 * The guest reads and writes a shared register page as plain memory
	 * (no VM exit); a sidecore thread (struct liommu_sidecore) polls it.
	 */
	LIOMMU_VIOMMU_SIDECORE = 0,
	/*
	 * The hypervisor traps each register access (an MMIO exit) and calls
	 * liommu_viommu_mmio_read() / _mmio_write().
	 */
	LIOMMU_VIOMMU_TRAP = 1,
};

/**
 * typedef liommu_viommu_event_fn - an interrupt the guest's unit sends.
 * @priv: the config's @event_priv.
 * @ev:   LIOMMU_MODEL_EV_FAULT (fault event: FEADDR/FEUADDR, FEDATA) or
 *        LIOMMU_MODEL_EV_INV_DONE (invalidation completion: IEADDR,
 *        IEDATA).
 * @addr, @data: the MSI the guest programmed; the hypervisor injects it
 *        (writing an eventfd that KVM's irqfd signals is the expected
 *        shape).
 *
 * Sent only after the register page shows the state that caused it
 * (the fault record, FSTS.PPF, ICS.IWC): a guest's handler never reads
 * stale registers.  In sidecore mode it runs in the sidecore thread; in
 * trap mode in the thread whose call caused it.  It must not call back
 * into this instance.
 */
typedef void (*liommu_viommu_event_fn)(void *priv, enum liommu_model_event ev,
				       uint64_t addr, uint32_t data);

/**
 * struct liommu_viommu_config - one emulated unit.
 * @unit:     the capability set and cache sizes the guest's unit has
 *            (struct liommu_model_config; its @mem, @event and @inval
 *            fields are the engine's and are ignored here).
 * @mode:     enum liommu_viommu_mode.
 * @regs_page: SIDECORE: where the guest's register page is: 4 KiB,
 *            4 KiB aligned, shared with the guest (for example a page of
 *            guest RAM that the guest kernel is told to leave alone) and
 *            kept mapped by the caller for the instance's life.  NULL:
 *            the instance creates the page in a memfd
 *            (liommu_viommu_regs_fd() gives it to the hypervisor, which
 *            maps it into the guest).  Ignored in TRAP mode.
 * @teardown: what a guest unmap does to the host side:
 *            LIOMMU_DMA_STRICT (the default; 0, which is DIRECT's value,
 *            is taken as STRICT: a shadow is never direct mapping): the host
 *            mapping is gone before the guest's invalidation completes;
 *            LIOMMU_DMA_OPTIMISTIC: the host keeps the mapping in a
 *            reuse cache bounded by @quota and @age_ns (optimistic
 *            teardown), so a guest that maps the same page at the same
 *            IOVA again costs the host nothing; LIOMMU_DMA_DEFERRED:
 *            batched host invalidations bounded by @quota (batch) and
 *            @age_ns (interval).
 * @quota, @age_ns: the bounds of @teardown (0 = libiommu/dma's defaults).
 * @event, @event_priv: the guest's interrupts (NULL = dropped; the
 *            model still sets IP).
 * @max_mappings: most host mappings the shadow keeps per assigned
 *            device; 0 = 2^20 (4 GiB of 4 KiB pages mapped at once).  A
 *            guest whose tables map more (or alias each other, so that a
 *            few table pages map its whole address space) gets the first
 *            ones in IOVA order and the rest fault at the host
 *            (@shadow_limited counts them): host page-table memory and
 *            the time one invalidation can take stay bounded whatever
 *            the guest writes.
 * @oneshot_hold_ns: SIDECORE: how long GSTS's one-shot status bits
 *            (RTPS, FLS, WBFS, IRTPS) stay visible in the page after
 *            their command completed; then they read 0, so a guest that
 *            repeats the command waits for its own completion instead
 *            of reading the old 1 (hardware clears them at the command;
 *            a page cannot).  0 = 1 s; UINT64_MAX = never hidden.
 */
struct liommu_viommu_config {
	struct liommu_model_config unit;
	enum liommu_viommu_mode mode;
	void *regs_page;
	enum liommu_dma_strategy teardown;
	unsigned int quota;
	uint64_t age_ns;
	liommu_viommu_event_fn event;
	void *event_priv;
	uint64_t max_mappings;
	uint64_t oneshot_hold_ns;
};

/**
 * liommu_viommu_config_default() - QEMU 7.2's intel-iommu,caching-mode=on,
 * sidecore mode, strict teardown.
 * @cfg: filled in.
 *
 * CAP 0x00d2008c22260286 and ECAP 0xf00f4a, as QEMU 7.2 reports them
 * with `-M q35 -device intel-iommu,caching-mode=on` (read over qtest;
 * tests/check-viommu.c compares the two when QEMU is installed):
 * caching mode (the guest invalidates after making entries present, so
 * every map reaches the host), 39-bit 3-level second-level tables, 65536
 * domains, 2 MiB and 1 GiB pages, one fault-recording register at 0x220,
 * page-selective invalidation up to 2^18 pages, read/write draining,
 * queued invalidation, interrupt remapping (xAPIC), pass-through, the
 * IOTLB registers at 0xf0.  Never scalable mode: a Linux guest turns it
 * on when offered, and the model does not implement it.
 * Context: any.
 */
LIOMMU_EXPORT void liommu_viommu_config_default(struct liommu_viommu_config *cfg);

/**
 * liommu_viommu_new() - an emulated unit for one VM, in its reset state.
 * @cfg: the configuration; copied.
 * @out: the new instance.
 *
 * The guest's memory table starts empty (add ranges with
 * liommu_viommu_mem_add() before the guest programs the unit: a table
 * pointer outside it faults as on hardware).  In SIDECORE mode the
 * register page is filled and the instance is served once it is added to
 * a sidecore (liommu_sidecore_add()).
 * Return: 0; -EINVAL (an invalid capability set, see liommu_model_new();
 * a misaligned @regs_page; DIRECT or an unknown @teardown or @mode);
 * -ENOMEM; memfd_create()'s or mmap()'s -errno.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_viommu_new(const struct liommu_viommu_config *cfg,
				    struct liommu_viommu **out);

/**
 * liommu_viommu_free() - destroy an instance; NULL is accepted.
 *
 * Detaches every device (their host mappings are unmapped), closes the
 * register page's memfd and frees the unit.  It must have been removed
 * from its sidecore.  Context: may block; no other call on @v may run.
 */
LIOMMU_EXPORT void liommu_viommu_free(struct liommu_viommu *v);

/**
 * liommu_viommu_mem_add() - guest-physical [@gpa, @gpa + @size) is the
 * host memory at @host.
 * @gpa, @size: 4 KiB aligned, @size non-zero; must not overlap a range
 *            already added.
 * @host:     the hypervisor's mapping of that guest RAM, 4 KiB aligned,
 *            kept mapped until the range is removed.
 * @backend:  the address the host IOMMU side maps @gpa's first byte to:
 *            its physical address on the sim and qemu platforms, the
 *            process virtual address for VFIO.
 * Return: 0, -EINVAL, -EEXIST, -ENOMEM.
 * Context: any thread but the sidecore's; may block (waits for the
 * readers of the old table).
 */
LIOMMU_EXPORT int liommu_viommu_mem_add(struct liommu_viommu *v, uint64_t gpa,
					uint64_t size, void *host, uint64_t backend);

/**
 * liommu_viommu_mem_add_fd() - the same, backed by a file the instance
 * maps itself (MAP_SHARED, read-write) at @offset; @fd may be closed
 * afterwards.  Return: as liommu_viommu_mem_add(), or mmap()'s -errno.
 */
LIOMMU_EXPORT int liommu_viommu_mem_add_fd(struct liommu_viommu *v, uint64_t gpa,
					   uint64_t size, int fd, uint64_t offset,
					   uint64_t backend);

/**
 * liommu_viommu_mem_remove() - a range added before is no longer guest
 * RAM.  When it returns no walk of the guest's tables reaches it and
 * every host mapping the shadow made into it is gone (strictly, whatever
 * the teardown), so the hypervisor may free the memory.  Guest entries
 * that still point there are not mirrored again (a DMA there faults at
 * the host).  Return: 0, -ENOENT (no range with exactly this @gpa and
 * @size), -EINVAL.  Context: as liommu_viommu_mem_add().
 */
LIOMMU_EXPORT int liommu_viommu_mem_remove(struct liommu_viommu *v, uint64_t gpa,
					   uint64_t size);

/**
 * liommu_viommu_regs_fd() - the memfd holding the register page (a
 * hypervisor maps it into the guest at the DRHD's register base).
 * Return: the fd (owned by the instance), or -1 when the page was given
 * in the config or the mode is TRAP.  Context: any.
 */
LIOMMU_EXPORT int liommu_viommu_regs_fd(const struct liommu_viommu *v);

/** liommu_viommu_regs_page() - the register page (SIDECORE), or NULL.
 * Context: any. */
LIOMMU_EXPORT void *liommu_viommu_regs_page(const struct liommu_viommu *v);

/**
 * liommu_viommu_model() - the emulated unit (liommu/model.h), for the
 * hypervisor's emulated devices: liommu_model_translate(),
 * _dma_read() / _dma_write() and _msi() on it translate through the
 * guest's own tables.  Do not call its register accessors: the guest
 * owns the registers.  Context: any.
 */
LIOMMU_EXPORT struct liommu_model *liommu_viommu_model(struct liommu_viommu *v);

/**
 * liommu_viommu_mmio_read() / _mmio_write() - a trapped register access.
 * @off:  byte offset in the 4 KiB register window.
 * @size: 4 or 8.
 * TRAP mode: a read returns what the unit's register holds (reads have
 * no side effects); a write has the unit's semantics, and what it causes
 * (an invalidation and its shadow update, interrupts) is done before it
 * returns.  SIDECORE mode: the access is made to the register page,
 * exactly as the guest's own load or store (a hypervisor that traps some
 * accesses anyway); a write is forwarded by the sidecore's next pass,
 * which this call wakes.  Unaligned, out-of-window or other sizes read 0
 * and ignore writes, as the model does.
 * Context: any thread; the unit serialises register writes.
 */
LIOMMU_EXPORT uint64_t liommu_viommu_mmio_read(struct liommu_viommu *v, uint32_t off,
					       unsigned int size);
LIOMMU_EXPORT void liommu_viommu_mmio_write(struct liommu_viommu *v, uint32_t off,
					    unsigned int size, uint64_t val);

/**
 * liommu_viommu_attach() - an assigned device: guest source-id @sid is a
 * host device attached to @host (a libiommu domain on any platform, empty,
 * used by this instance only and kept alive until detach).
 *
 * The instance shadows the guest's tables for @sid into @host through
 * libiommu/dma with the configured teardown: from now on every guest
 * invalidation that covers @sid makes @host match what the guest's
 * tables map for @sid (guest IOVA -> @backend of the guest-physical
 * page, the guest's permissions, the largest page both sides allow).
 * What the tables map already is mapped now.
 * Return: 0; -EEXIST (@sid attached); -EINVAL; -ENOMEM; a host mapping
 * error.  Context: may block; not from the sidecore thread.
 */
LIOMMU_EXPORT int liommu_viommu_attach(struct liommu_viommu *v, uint16_t sid,
				       struct liommu_domain *host);

/**
 * liommu_viommu_detach() - stop shadowing @sid; unmaps (strictly) what
 * the shadow mapped into its host domain.  Return: 0, -ENOENT.
 * Context: as liommu_viommu_attach().
 */
LIOMMU_EXPORT int liommu_viommu_detach(struct liommu_viommu *v, uint16_t sid);

/**
 * liommu_viommu_fault() - the host refused an assigned device's DMA:
 * record it in the guest's unit as the guest's own tables explain it.
 * @sid:   the guest source-id.
 * @iova:  the request address.
 * @flags: LIOMMU_MODEL_READ or LIOMMU_MODEL_WRITE.
 * @fault: the fault as recorded for the guest (reason, source-id, page
 *         address, type); may be NULL.
 *
 * The guest's unit translates the request as its hardware would
 * (caches, then its tables) and records the fault in its fault
 * registers (FSTS.PPF, PFO on overflow, FPD honoured), then the fault
 * event goes out once the register page shows it.
 * Return: -EFAULT (recorded: @fault says what the guest sees); 0 when
 * the guest's unit grants the access (the host was behind the guest:
 * nothing recorded); -EINVAL.
 * Context: any thread (a device's or the hypervisor's).
 */
LIOMMU_EXPORT int liommu_viommu_fault(struct liommu_viommu *v, uint16_t sid, uint64_t iova,
				      unsigned int flags, struct liommu_fault *fault);

/*
 * Live migration.  The guest-visible state of the emulated unit is the
 * model's (liommu_model_save_state(): registers and latched values; no
 * caches): a blob of LIOMMU_VIOMMU_STATE_SIZE bytes.  Guest RAM, the
 * assigned devices and the capability set are the hypervisor's to carry:
 * on the destination, create an instance with the same capability set,
 * add the same guest RAM, restore, attach the devices (each attach walks
 * the guest's tables, so the shadow is rebuilt from them), then serve it.
 */
#define LIOMMU_VIOMMU_STATE_SIZE	LIOMMU_MODEL_STATE_SIZE

/**
 * liommu_viommu_save_state() - the guest-visible state of @v.
 * @buf, @len: at least LIOMMU_VIOMMU_STATE_SIZE bytes.
 * Return: 0; -EINVAL; -EBUSY (SIDECORE: still served by a sidecore:
 * remove it first, which forwards what the guest wrote).
 * Context: the guest's vCPUs and devices stopped; may block.
 */
LIOMMU_EXPORT int liommu_viommu_save_state(struct liommu_viommu *v, void *buf, size_t len);

/**
 * liommu_viommu_restore_state() - put @v into a saved state.
 * @buf, @len: a blob from liommu_viommu_save_state() of an instance with
 *	the same capability set.
 *
 * Checked whole first (liommu_model_restore_state()): a malformed or
 * foreign blob changes nothing.  In SIDECORE mode the register page is
 * rewritten from the restored unit.  Devices attached already are
 * re-synced with the guest's tables.
 * Return: 0; -EINVAL; -EBUSY (served by a sidecore).
 * Context: the guest not running; may block.
 */
LIOMMU_EXPORT int liommu_viommu_restore_state(struct liommu_viommu *v, const void *buf,
					      size_t len);

/**
 * struct liommu_viommu_stats - what an instance did.
 * @reg_writes:     guest register writes the engine forwarded to the unit.
 * @publications:   register-page refreshes (SIDECORE).
 * @repaired:       read-only page words restored after a guest store.
 * @invalidations:  guest invalidations the shadow handled.
 * @shadow_maps, @shadow_unmaps: host mappings made and removed.
 * @shadow_skipped: guest entries not shadowed (a guest-physical address
 *                  outside the memory table, an erroneous entry).
 * @shadow_limited: guest leaves not shadowed because the device had
 *                  @max_mappings host mappings already.
 * @faults_injected: faults recorded for the guest by liommu_viommu_fault().
 * @events:         interrupts sent to the hypervisor.
 * @host:           the host side's counters, summed over attached
 *                  devices (struct liommu_dma_stats; @host.bound is the
 *                  teardown's).
 */
struct liommu_viommu_stats {
	uint64_t reg_writes;
	uint64_t publications;
	uint64_t repaired;
	uint64_t invalidations;
	uint64_t shadow_maps;
	uint64_t shadow_unmaps;
	uint64_t shadow_skipped;
	uint64_t shadow_limited;
	uint64_t faults_injected;
	uint64_t events;
	struct liommu_dma_stats host;
};

/** liommu_viommu_get_stats() - fill @st.  Context: any. */
LIOMMU_EXPORT void liommu_viommu_get_stats(struct liommu_viommu *v,
					   struct liommu_viommu_stats *st);

/*
 * The sidecore: one thread polling many instances' register pages.
 *
 * Each pass scans every instance (a load per watched register, compared
 * with the value last seen), forwards what the guest wrote, publishes
 * what the unit changed and sends deferred events.  When a pass finds
 * nothing, the thread keeps spinning (with PAUSE) for @spin_ns, then
 * sleeps, doubling the sleep from @sleep_min_ns up to @sleep_max_ns, the
 * wake-up bound: a guest request that arrives while the thread sleeps
 * waits at most that long.  liommu_sidecore_kick() ends a sleep early
 * (a hypervisor that learns of guest activity some other way).
 */

/**
 * struct liommu_sidecore_config - the polling thread.
 * @cpu:          CPU to pin the thread to (pthread affinity); -1 = any.
 *                Its memory (the instance list, statistics) comes from
 *                that CPU's NUMA node through libnuma where available.
 * @spin_ns:      keep polling this long after the last request before
 *                sleeping; 0 = 50 us.
 * @sleep_min_ns: the first sleep; 0 = 1 us.
 * @sleep_max_ns: the longest sleep, i.e. the wake-up bound; 0 = 1 ms.
 * @sweep_passes: restore guest-overwritten read-only words every this
 *                many passes (and when going idle); 0 = 4096.
 */
struct liommu_sidecore_config {
	int cpu;
	uint64_t spin_ns;
	uint64_t sleep_min_ns;
	uint64_t sleep_max_ns;
	unsigned int sweep_passes;
};

/**
 * struct liommu_sidecore_stats - what the polling thread did.
 * @passes:       scans of the whole instance list.
 * @busy_passes:  passes that found a guest write or a unit change.
 * @requests:     guest register writes forwarded.
 * @sleeps:       times the thread slept; @kicks: sleeps ended by a kick.
 * @sleep_ns:     total time asleep.
 * @backoff_requests: busy passes right after a sleep: requests that may
 *                have waited because of the back-off.
 * @backoff_wait_ns, @backoff_wait_max_ns: for those, the time from the
 *                start of the sleep to the pass that served them (an
 *                upper bound on the wait the back-off caused), total and
 *                worst.
 * @scan_ns:      total time in passes (divide by @passes and the number
 *                of instances for the cost per idle VM).
 * @instances:    instances served now.
 * @cpu:          the CPU the thread runs on (-1 before it started).
 * @node:         its NUMA node (-1 without libnuma).
 */
struct liommu_sidecore_stats {
	uint64_t passes;
	uint64_t busy_passes;
	uint64_t requests;
	uint64_t sleeps;
	uint64_t kicks;
	uint64_t sleep_ns;
	uint64_t backoff_requests;
	uint64_t backoff_wait_ns;
	uint64_t backoff_wait_max_ns;
	uint64_t scan_ns;
	unsigned int instances;
	int cpu;
	int node;
};

/**
 * liommu_sidecore_config_default() - any CPU, 50 us spin, 1 us .. 1 ms
 * sleeps, a sweep every 4096 passes.  Context: any.
 */
LIOMMU_EXPORT void liommu_sidecore_config_default(struct liommu_sidecore_config *cfg);

/**
 * liommu_sidecore_new() - start a polling thread.
 * Return: 0; -EINVAL (@cpu beyond CPU_SETSIZE, or a CPU the kernel does
 * not let this process run on);
 * -ENOMEM; pthread_create()'s error negated.  Context: may block.
 */
LIOMMU_EXPORT int liommu_sidecore_new(const struct liommu_sidecore_config *cfg,
				      struct liommu_sidecore **out);

/** liommu_sidecore_free() - stop the thread (it finishes its pass: every
 * write it saw is forwarded and published); instances must have been
 * removed.  NULL is accepted.  Context: may block. */
LIOMMU_EXPORT void liommu_sidecore_free(struct liommu_sidecore *sc);

/**
 * liommu_sidecore_add() - serve a SIDECORE-mode instance from now on.
 * Return: 0; -EINVAL (TRAP mode); -EBUSY (served by a sidecore already);
 * -ENOMEM.  Context: may block until the thread has taken it (at most
 * one pass, or a sleep it ends).
 */
LIOMMU_EXPORT int liommu_sidecore_add(struct liommu_sidecore *sc, struct liommu_viommu *v);

/**
 * liommu_sidecore_remove() - stop serving @v; when it returns the thread
 * no longer touches @v (a final scan has forwarded and published what it
 * saw).  Return: 0, -ENOENT.  Context: may block, as _add().
 */
LIOMMU_EXPORT int liommu_sidecore_remove(struct liommu_sidecore *sc, struct liommu_viommu *v);

/** liommu_sidecore_kick() - end the thread's sleep now.  Context: any;
 * cheap when the thread is polling. */
LIOMMU_EXPORT void liommu_sidecore_kick(struct liommu_sidecore *sc);

/** liommu_sidecore_set_cpu() - move the thread (-1 = any CPU).
 * Return: 0, -EINVAL.  Context: any thread but the sidecore's. */
LIOMMU_EXPORT int liommu_sidecore_set_cpu(struct liommu_sidecore *sc, int cpu);

/** liommu_sidecore_get_stats() - fill @st.  Context: any. */
LIOMMU_EXPORT void liommu_sidecore_get_stats(struct liommu_sidecore *sc,
					     struct liommu_sidecore_stats *st);

/*
 * The guest platform: libiommu's own driver as the guest's.
 *
 * A struct liommu_platform whose register ops read and write the
 * instance's register page as plain memory (SIDECORE: the guest's view,
 * exactly) or call liommu_viommu_mmio_read() / _mmio_write() (TRAP), and
 * whose page allocator hands out 4 KiB pages of guest RAM from
 * guest-physical [@gpa, @gpa + @size) (their "physical" address is the
 * guest-physical one).  liommu_unit_new() over it is a guest driver; the
 * tests and benches use it as the guest side.
 */

/**
 * liommu_viommu_guest_platform_new() - a platform for a guest driver.
 * @v:    the instance.
 * @gpa, @size: guest RAM to allocate table pages from; must lie in one
 *        range of the memory table and stay there while the platform
 *        lives.
 * @out:  the platform (free with liommu_platform_free()).
 * Return: 0, -EINVAL (not 4 KiB aligned or not guest RAM), -ENOMEM.
 * Context: may block.
 */
LIOMMU_EXPORT int liommu_viommu_guest_platform_new(struct liommu_viommu *v, uint64_t gpa,
						   uint64_t size,
						   struct liommu_platform **out);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_VIOMMU_H */
