/* SPDX-License-Identifier: MIT */
/*
 * liommu/qemu.h - the qemu platform: QEMU's own VT-d model as hardware.
 *
 * liommu_qemu_start() launches qemu-system-x86_64 (q35, intel-iommu, the
 * edu test device) with no guest code at all: a firmware file of hlt
 * instructions keeps the CPU idle, the qtest protocol on a UNIX socket
 * gives register and PCI access, and guest RAM is a shared file mapped
 * into this process so table pages are written directly.  The resulting
 * platform drives the real QEMU VT-d model, an implementation written by
 * other people: it is the project's hardware oracle.  docs/qemu-oracle.md
 * has the command line and the QEMU 7.2 facts it relies on.
 *
 * edu (PCI 1234:11e8) is the DMA engine: liommu_qemu_edu_dma() copies
 * between its 4 KiB internal buffer and an IOVA, through the IOMMU.
 * cfg.edu_count edus sit at 00:01.0, 00:02.0, ... (edu number i in slot
 * i + 1, so source-id (i + 1) << 3); the functions without an index
 * address edu 0, the _n variants any of them.  edu's DMA mask is 28
 * bits: IOVAs must stay below 256 MiB.
 *
 * Guest physical memory (guest RAM is at physical 0, and the pointer from
 * liommu_qemu_ram() plus a physical address is its CPU view):
 *   [0, 1 MiB)                 legacy area, overlaid by ROM: never used;
 *   liommu_qemu_data_region()  [1 MiB, RAM / 2): the caller's, never
 *                              touched by the platform (DMA buffers);
 *   [RAM / 2, RAM)             the page pool behind the platform's
 *                              page_alloc and liommu_qemu_alloc_pages().
 *
 * Threading: the platform's ops, liommu_qemu_qtest(), the PCI accessors,
 * liommu_qemu_edu_dma(), liommu_qemu_hmp() and the page-pool functions
 * may be called from several threads: each qtest exchange (and each
 * two-step PCI configuration access) holds an internal lock, DMA commands
 * and QMP commands have their own.  liommu_qemu_start() and
 * liommu_qemu_stop() must not race with anything else on the instance.
 * QEMU is killed when the *thread* that called liommu_qemu_start() exits
 * (PR_SET_PDEATHSIG, so that a crashed test leaves no QEMU behind): start
 * it from a thread that outlives its use.
 *
 * Errors: QEMU is outside this process and its replies are checked; FAIL,
 * garbage, EOF give -EIO and a missing reply -ETIMEDOUT.  After EOF,
 * garbage or a timeout the connection is considered broken and every
 * later call fails with -EIO (register reads then return all ones).
 */
#ifndef LIOMMU_QEMU_H
#define LIOMMU_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <liommu/export.h>
#include <liommu/liommu.h>
#include <liommu/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_qemu;

/* Most edu devices one QEMU instance can have (cfg.edu_count). */
#define LIOMMU_QEMU_MAX_EDU	4

/**
 * struct liommu_qemu_config - how to start QEMU.  Zero is a default.
 * @qemu_path:    binary; NULL = $LIOMMU_QEMU, else the path found at
 *                configure time, else "qemu-system-x86_64" from $PATH.
 * @aw_bits:      intel-iommu aw-bits, 39 or 48 (QEMU 7.2); 0 = 48.
 * @intremap:     intel-iommu intremap=on (ECAP.IR).  Works under TCG with
 *                QEMU 7.2's default irqchip; ECAP.EIM stays 0, since
 *                QEMU only offers eim=on with KVM's split irqchip.
 * @caching_mode: intel-iommu caching-mode=on (CAP.CM).
 * @ram_mb:       guest RAM in MiB, 32..2048; 0 = 256.
 * @qmp:          also open a QMP monitor (liommu_qemu_hmp()).
 * @cpus:         CPUs (-smp), 1..8; 0 = 1.  Every CPU halts at once (the
 *                application processors wait for a SIPI that never
 *                comes); their local APICs have IDs 0 .. @cpus - 1 and
 *                still take fixed interrupts into IRR.
 * @timeout_ms:   bound for start-up, for each reply and for each DMA;
 *                0 = 10 s.
 * @trace:        comma-separated QEMU trace-event patterns ("apic_*,
 *                vtd_ir_*"; letters, digits, '_' and '*'; at most 8
 *                of fewer than 64 characters), each passed as
 *                "-trace PATTERN"; their output lands on QEMU's stderr,
 *                see liommu_qemu_stderr().  NULL = none.  Only read by
 *                liommu_qemu_start().
 * @edu_count:   edu devices, 1..LIOMMU_QEMU_MAX_EDU; 0 = 1.  Each has
 *                its own BAR, bus mastering, MSI and requester ID.
 * @log, @log_priv: diagnostics (why QEMU refused to start: its stderr);
 *                NULL = silent.
 */
struct liommu_qemu_config {
	const char *qemu_path;
	unsigned int aw_bits;
	bool intremap;
	bool caching_mode;
	unsigned int ram_mb;
	bool qmp;
	unsigned int cpus;
	unsigned int timeout_ms;
	const char *trace;
	unsigned int edu_count;
	liommu_log_fn log;
	void *log_priv;
};

/**
 * liommu_qemu_start() - launch QEMU and connect to it.
 * @cfg: configuration, NULL for defaults.
 * @out: the new instance.
 *
 * Temporary files (firmware, RAM file, sockets, in a private directory)
 * are unlinked before this returns.
 *
 * Return: 0; -EINVAL (bad configuration), -ENOENT (no QEMU binary),
 * -ETIMEDOUT, -EIO (QEMU exited or spoke something unexpected), -ENODEV
 * (fewer edu devices on bus 0 than @edu_count), -ENOMEM.
 * Context: blocks (about 0.2 s); forks.
 */
LIOMMU_EXPORT int liommu_qemu_start(const struct liommu_qemu_config *cfg,
				    struct liommu_qemu **out);

/**
 * liommu_qemu_stop() - kill QEMU (SIGKILL), reap it, unmap guest RAM and
 * free the platform.  Every unit on the platform must be freed first.
 * NULL is accepted.
 * Context: blocks until QEMU is reaped, at most @timeout_ms.
 */
LIOMMU_EXPORT void liommu_qemu_stop(struct liommu_qemu *q);

/**
 * liommu_qemu_platform() - the platform (owned by @q: do not free it).
 * Return: the platform.  Context: any.
 */
LIOMMU_EXPORT struct liommu_platform *liommu_qemu_platform(struct liommu_qemu *q);

/**
 * liommu_qemu_ram() - guest RAM as mapped in this process.
 * @size: set to its size in bytes; may be NULL.
 * Return: the mapping; guest physical address = offset.  Context: any.
 */
LIOMMU_EXPORT void *liommu_qemu_ram(struct liommu_qemu *q, size_t *size);

/**
 * liommu_qemu_data_region() - guest physical range reserved for the
 * caller's DMA buffers: [1 MiB, RAM / 2).  The platform never allocates
 * from it.
 * Return: 0 or -EINVAL.  Context: any.
 */
LIOMMU_EXPORT int liommu_qemu_data_region(const struct liommu_qemu *q,
					  uint64_t *base, uint64_t *size);

/**
 * liommu_qemu_alloc_pages() - @n physically contiguous, zeroed 4 KiB pages
 * from the page pool (the platform's page_alloc takes one at a time).
 * @va: CPU pointer.  @pa: guest physical address.
 * Return: 0, -EINVAL, -ENOMEM (pool exhausted).  Context: thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_alloc_pages(struct liommu_qemu *q, unsigned int n,
					  void **va, uint64_t *pa);

/**
 * liommu_qemu_free_pages() - give back pages from liommu_qemu_alloc_pages().
 * Return: 0; -EINVAL when the range is outside the pool or not entirely
 * allocated (nothing is freed then).  Context: thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_free_pages(struct liommu_qemu *q, uint64_t pa,
					 unsigned int n);

/**
 * liommu_qemu_pid() - QEMU's process ID (0 once it has been reaped).
 * Return: the pid.  Context: any.
 */
LIOMMU_EXPORT pid_t liommu_qemu_pid(const struct liommu_qemu *q);

/**
 * liommu_qemu_edu_sid() - edu 0's source-id (bus 0, found at start-up).
 * Return: bus << 8 | devfn.  Context: any.
 */
LIOMMU_EXPORT uint16_t liommu_qemu_edu_sid(const struct liommu_qemu *q);

/**
 * liommu_qemu_edu_count() - how many edus the instance has (cfg.edu_count
 * with its default filled in).
 * Return: 1..LIOMMU_QEMU_MAX_EDU.  Context: any.
 */
LIOMMU_EXPORT unsigned int liommu_qemu_edu_count(const struct liommu_qemu *q);

/**
 * liommu_qemu_edu_sid_n() - source-id of edu number @idx.
 * @idx: 0 .. liommu_qemu_edu_count() - 1; edus are numbered in slot order.
 * Return: bus << 8 | devfn (0..0xffff), or -EINVAL for a NULL @q or an
 * @idx out of range.  Context: any.
 */
LIOMMU_EXPORT int liommu_qemu_edu_sid_n(const struct liommu_qemu *q, unsigned int idx);

enum liommu_edu_dir {
	LIOMMU_EDU_FROM_RAM = 0,	/* device reads memory: RAM -> edu */
	LIOMMU_EDU_TO_RAM = 1,		/* device writes memory: edu -> RAM */
};

/*
 * edu's internal buffer as the DMA engine addresses it.  QEMU 7.2's edu
 * stops the whole emulator (hw_error) when a transfer reaches the
 * buffer's last byte: its range check compares the exclusive end with
 * "<" (fixed in later QEMU).  Transfers must therefore end within the
 * first LIOMMU_EDU_BUF_USABLE bytes.
 */
#define LIOMMU_EDU_BUF_ADDR	0x40000u
#define LIOMMU_EDU_BUF_SIZE	4096u
#define LIOMMU_EDU_BUF_USABLE	(LIOMMU_EDU_BUF_SIZE - 1)
#define LIOMMU_EDU_DMA_MASK	((1ULL << 28) - 1)

/**
 * struct liommu_qemu_dma_result - what one edu DMA did.
 * @faulted:  a new primary fault was recorded (a fault-recording
 *            register's F went from 0 to 1).  A blocked write leaves
 *            memory alone; a blocked read fills edu's buffer range with
 *            zeros (QEMU 7.2 completes it from unassigned memory, where
 *            hardware would abort it).
 * @overflow: FSTS.PFO went from 0 to 1: the DMA faulted, no record.
 * @index:    the new record's index when @faulted.
 * @fault:    that record, decoded.  It is left pending (F = 1, FSTS.PPF
 *            set): clear it with liommu_unit_read_faults().
 *
 * While a record of edu's source-id is pending, QEMU 7.2 drops further
 * faults from it without a record or PFO ("compression of faults", spec
 * 7.2.1): such a DMA is blocked yet reports neither flag.  Clear faults
 * between DMAs that are expected to fault.
 */
struct liommu_qemu_dma_result {
	bool faulted;
	bool overflow;
	unsigned int index;
	struct liommu_fault fault;
};

/**
 * liommu_qemu_edu_dma() - run one edu DMA through the IOMMU and wait.
 * @dir:     direction, see enum liommu_edu_dir.
 * @iova:    the I/O virtual address; [@iova, @iova + @len) below 2^28.
 * @buf_off: offset in edu's 4 KiB buffer.
 * @len:     bytes, 1 <= @len, @buf_off + @len <= LIOMMU_EDU_BUF_USABLE.
 * @res:     outcome; may be NULL.
 * Return: 0 when the command completed (check @res for a fault), -EINVAL,
 * -EBUSY (an earlier DMA has not completed), -ETIMEDOUT, -EIO.
 * Context: blocks (about 1 ms); serialised with other DMAs of @q.
 */
LIOMMU_EXPORT int liommu_qemu_edu_dma(struct liommu_qemu *q, enum liommu_edu_dir dir,
				      uint64_t iova, uint32_t buf_off, uint32_t len,
				      struct liommu_qemu_dma_result *res);

/**
 * liommu_qemu_edu_dma_n() - liommu_qemu_edu_dma() on edu number @idx.
 * @idx: 0 .. liommu_qemu_edu_count() - 1.
 *
 * The request carries that edu's source-id; its buffer is its own.  DMAs
 * of all edus are serialised, so a new fault record found afterwards is
 * this DMA's.
 * Return: as liommu_qemu_edu_dma(); -EINVAL also for @idx out of range.
 * Context: blocks (about 1 ms); serialised with other DMAs of @q.
 */
LIOMMU_EXPORT int liommu_qemu_edu_dma_n(struct liommu_qemu *q, unsigned int idx,
					enum liommu_edu_dir dir, uint64_t iova,
					uint32_t buf_off, uint32_t len,
					struct liommu_qemu_dma_result *res);

/**
 * liommu_qemu_qtest() - send one raw qtest command line and return the
 * text after "OK " (or "FAIL ") in @reply, truncated to @reply_len - 1
 * bytes.  @reply may be NULL.  QEMU 7.2 aborts on some malformed
 * commands (e.g. "readl" without an address); later calls then fail with
 * -EIO.
 * Return: 0 for OK; -EINVAL (empty, or a line break in @cmd), -EIO for
 * FAIL or a broken connection, -ETIMEDOUT.
 * Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_qtest(struct liommu_qemu *q, const char *cmd,
				    char *reply, size_t reply_len);

/**
 * liommu_qemu_pci_read32() - PCI configuration read on bus 0 through
 * ports 0xcf8/0xcfc.  @reg must be 4-byte aligned and below 256.
 * Return: the value; 0xffffffff (as for a master abort) on bad arguments
 * or a qtest error.  Context: blocks; thread-safe.
 */
LIOMMU_EXPORT uint32_t liommu_qemu_pci_read32(struct liommu_qemu *q, unsigned int devfn,
					      unsigned int reg);
/**
 * liommu_qemu_pci_write32() - PCI configuration write on bus 0.
 * Return: 0, -EINVAL, -EIO, -ETIMEDOUT.  Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_pci_write32(struct liommu_qemu *q, unsigned int devfn,
					  unsigned int reg, uint32_t val);

/**
 * liommu_qemu_hmp() - run a human monitor command (e.g. "info lapic")
 * through QMP's human-monitor-command; needs @qmp in the config.
 * @out: malloc'd text of the reply, unescaped; the caller frees it.
 * Return: 0, -EINVAL, -ENOTCONN (no QMP), -EIO (error reply, malformed
 * JSON, broken connection), -ETIMEDOUT, -ENOMEM.
 * Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_hmp(struct liommu_qemu *q, const char *cmd, char **out);

/**
 * liommu_qemu_stderr() - what QEMU has written on its stderr so far.
 * @from: byte offset to start at (0, or a previous call's *@end).
 * @out:  malloc'd NUL-terminated text from @from (at most 4 MiB); the
 *        caller frees it.  Trace events (cfg.trace) and QEMU's
 *        error_report() diagnostics appear here, in order.
 * @end:  offset just past the returned text; may be NULL.
 * Return: 0, -EINVAL, -EIO (no stderr capture), -ENOMEM.
 * Context: any; does not block on QEMU.
 */
LIOMMU_EXPORT int liommu_qemu_stderr(struct liommu_qemu *q, size_t from, char **out,
				     size_t *end);

/**
 * liommu_qemu_lapic_irr() - the interrupt request register of a local
 * APIC, read with "info lapic @apic_id" through QMP (needs cfg.qmp).
 * @irr: bit n of the 256 = vector n pending (@irr[n / 64] bit n % 64).
 *
 * The CPU halts with interrupts disabled and its APIC software-disabled,
 * so a fixed interrupt the APIC accepts stays in IRR for good: tests use
 * a fresh vector for every delivery they check.
 * Return: 0; -EINVAL; -ENOTCONN (no QMP); -EIO (no IRR line in the
 * reply, or a malformed one); -ETIMEDOUT; -ENOMEM.
 * Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_lapic_irr(struct liommu_qemu *q, unsigned int apic_id,
					uint64_t irr[4]);

/**
 * liommu_qemu_edu_msi_setup() - program edu's MSI capability.
 * @addr:   message address (64-bit capability: all 64 bits written).
 * @data:   message data (16 bits reach the wire; QEMU's msi_notify()
 *          sends the 32-bit value with the upper half zero).
 * @enable: set MSI Enable with one vector (MME = 0) afterwards; false
 *          leaves MSI disabled.
 *
 * MSI Enable is cleared while the message changes.
 * Return: 0; -EINVAL; -ENODEV (no 64-bit MSI capability); -EIO;
 * -ETIMEDOUT.  Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_edu_msi_setup(struct liommu_qemu *q, uint64_t addr,
					    uint32_t data, bool enable);

/**
 * liommu_qemu_edu_msi_setup_n() - liommu_qemu_edu_msi_setup() on edu
 * number @idx (0 .. liommu_qemu_edu_count() - 1).
 * Return: as liommu_qemu_edu_msi_setup(); -EINVAL also for @idx out of
 * range.  Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_edu_msi_setup_n(struct liommu_qemu *q, unsigned int idx,
					      uint64_t addr, uint32_t data, bool enable);

/**
 * liommu_qemu_edu_raise_irq() - make edu raise its interrupt (register
 * 0x60), then acknowledge it (0x64).  With MSI enabled the message goes
 * through the IOMMU's interrupt-remapping window with edu's source-id
 * and is remapped (and delivered to the local APICs) or dropped before
 * this returns.  QEMU 7.2 drops a faulting interrupt without recording
 * a fault (vtd_mem_ir_write(): "TODO: report error"); its reason only
 * appears as a one-time error_report() on stderr.
 * Return: 0, -EINVAL, -EIO, -ETIMEDOUT.  Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_edu_raise_irq(struct liommu_qemu *q);

/**
 * liommu_qemu_edu_raise_irq_n() - liommu_qemu_edu_raise_irq() on edu
 * number @idx (0 .. liommu_qemu_edu_count() - 1): its MSI carries that
 * edu's source-id.
 * Return: 0, -EINVAL (also @idx out of range), -EIO, -ETIMEDOUT.
 * Context: blocks; thread-safe.
 */
LIOMMU_EXPORT int liommu_qemu_edu_raise_irq_n(struct liommu_qemu *q, unsigned int idx);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_QEMU_H */
