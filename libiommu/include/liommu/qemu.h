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
 * other people: it is the project's hardware oracle.
 *
 * edu (PCI 1234:11e8, 00:01.0) is the DMA engine: liommu_qemu_edu_dma()
 * copies between its 4 KiB internal buffer and an IOVA, through the IOMMU.
 * edu's DMA mask is 28 bits: IOVAs must stay below 256 MiB.
 *
 * Threading: one thread at a time per struct liommu_qemu (the qtest
 * socket is a single request/response stream).  The platform's register
 * ops take an internal lock so a driver may still call them from several
 * threads.
 */
#ifndef LIOMMU_QEMU_H
#define LIOMMU_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/export.h>
#include <liommu/liommu.h>
#include <liommu/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct liommu_qemu;

/**
 * struct liommu_qemu_config - how to start QEMU.  Zero is a default.
 * @qemu_path:    binary; NULL = $LIOMMU_QEMU, else the path found at
 *                configure time, else "qemu-system-x86_64" from $PATH.
 * @aw_bits:      intel-iommu aw-bits, 39 or 48 (QEMU 7.2); 0 = 48.
 * @intremap:     intel-iommu intremap=on (needs the split irqchip).
 * @caching_mode: intel-iommu caching-mode=on (CAP.CM).
 * @ram_mb:       guest RAM in MiB, 0 = 256.
 * @qmp:          also open a QMP monitor (liommu_qemu_hmp()).
 * @timeout_ms:   bound for start-up and each reply; 0 = 10 s.
 */
struct liommu_qemu_config {
	const char *qemu_path;
	unsigned int aw_bits;
	bool intremap;
	bool caching_mode;
	unsigned int ram_mb;
	bool qmp;
	unsigned int timeout_ms;
};

/**
 * liommu_qemu_start() - launch QEMU and connect to it.
 * Return: 0; -ENOENT (no QEMU binary), -ETIMEDOUT, -EIO (QEMU exited or
 * spoke something unexpected), -ENOMEM.  Context: blocks (~0.3 s).
 */
LIOMMU_EXPORT int liommu_qemu_start(const struct liommu_qemu_config *cfg,
				    struct liommu_qemu **out);

/**
 * liommu_qemu_stop() - kill QEMU, wait for it, remove its socket, firmware
 * and RAM files.  Every unit on the platform must be freed first.  NULL is
 * accepted.  Files are also removed if the process dies (they are
 * unlinked as soon as QEMU has opened them).
 */
LIOMMU_EXPORT void liommu_qemu_stop(struct liommu_qemu *q);

/** liommu_qemu_platform() - the platform (owned by @q). */
LIOMMU_EXPORT struct liommu_platform *liommu_qemu_platform(struct liommu_qemu *q);

/** liommu_qemu_ram() - guest RAM as mapped in this process; PA = offset. */
LIOMMU_EXPORT void *liommu_qemu_ram(struct liommu_qemu *q, size_t *size);

/** liommu_qemu_edu_sid() - edu's source-id (bus 0, device 1, function 0). */
LIOMMU_EXPORT uint16_t liommu_qemu_edu_sid(const struct liommu_qemu *q);

enum liommu_edu_dir {
	LIOMMU_EDU_FROM_RAM = 0,	/* device reads memory: RAM -> edu */
	LIOMMU_EDU_TO_RAM = 1,		/* device writes memory: edu -> RAM */
};

/* edu's internal buffer as the DMA engine addresses it. */
#define LIOMMU_EDU_BUF_ADDR	0x40000u
#define LIOMMU_EDU_BUF_SIZE	4096u
#define LIOMMU_EDU_DMA_MASK	((1ULL << 28) - 1)

/**
 * struct liommu_qemu_dma_result - what one edu DMA did.
 * @faulted: a new primary fault was recorded (FSTS.PPF went from 0 to 1,
 *           or a new record appeared); the DMA moved no bytes.
 * @fault:   the record at FSTS.FRI, decoded.  The record is left pending:
 *           clear it with liommu_unit_read_faults().
 */
struct liommu_qemu_dma_result {
	bool faulted;
	struct liommu_fault fault;
};

/**
 * liommu_qemu_edu_dma() - run one edu DMA through the IOMMU and wait.
 * @dir:     direction, see enum liommu_edu_dir.
 * @iova:    the I/O virtual address (below 2^28).
 * @buf_off: offset in edu's 4 KiB buffer.
 * @len:     bytes, @buf_off + @len <= 4096.
 * @res:     outcome; may be NULL.
 * Return: 0 when the command completed (check @res for a fault), -EINVAL,
 * -ETIMEDOUT, -EIO.
 */
LIOMMU_EXPORT int liommu_qemu_edu_dma(struct liommu_qemu *q, enum liommu_edu_dir dir,
				      uint64_t iova, uint32_t buf_off, uint32_t len,
				      struct liommu_qemu_dma_result *res);

/**
 * liommu_qemu_qtest() - send one raw qtest command line (no newline) and
 * copy the reply line (without "OK "/"FAIL ") into @reply.
 * Return: 0 for OK, -EIO for FAIL or a broken connection, -ETIMEDOUT.
 */
LIOMMU_EXPORT int liommu_qemu_qtest(struct liommu_qemu *q, const char *cmd,
				    char *reply, size_t reply_len);

/** PCI configuration space of bus 0 through ports 0xcf8/0xcfc. */
LIOMMU_EXPORT uint32_t liommu_qemu_pci_read32(struct liommu_qemu *q, unsigned int devfn,
					      unsigned int reg);
LIOMMU_EXPORT void liommu_qemu_pci_write32(struct liommu_qemu *q, unsigned int devfn,
					   unsigned int reg, uint32_t val);

/**
 * liommu_qemu_hmp() - run a human monitor command (e.g. "info lapic")
 * through QMP's human-monitor-command; needs @qmp in the config.
 * @out: malloc'd text of the reply, unescaped; the caller frees it.
 * Return: 0, -ENOTCONN (no QMP), -EIO, -ETIMEDOUT.
 */
LIOMMU_EXPORT int liommu_qemu_hmp(struct liommu_qemu *q, const char *cmd, char **out);

#ifdef __cplusplus
}
#endif

#endif /* LIOMMU_QEMU_H */
