// SPDX-License-Identifier: MIT
/*
 * qemu-edu.c - PCI configuration space and the edu DMA engine under QEMU.
 *
 * edu (QEMU's hw/misc/edu.c, PCI 1234:11e8) has a 4 KiB buffer at device
 * address 0x40000 and a DMA engine programmed through BAR0: 0x80 source,
 * 0x88 destination, 0x90 count, 0x98 command (bit 0 start, cleared when
 * done; bit 1 direction, 1 = buffer to RAM; bit 2 raise an interrupt).
 * The transfer runs from a virtual-clock timer 100 ms after the command;
 * with -icount shift=0,sleep=off and the CPU halted, QEMU warps the clock
 * to that deadline, which takes about a millisecond of wall time.  QEMU
 * 7.2 has no qtest accelerator in Debian's build, so qtest's clock_step
 * is not available ("FAIL Unknown command"): polling the command register
 * is the way to wait.
 *
 * The DMA goes through pci_dma_read/write, hence through the IOMMU's
 * address space for edu's requester ID: with translation enabled a
 * blocked request records a primary fault (spec 7.2.1) and moves no
 * bytes; edu still clears the start bit.
 *
 * edu masks DMA addresses to 28 bits (and says so only in a log), and in
 * QEMU 7.2 its range check of the buffer side calls hw_error(), which
 * stops QEMU, for any transfer that reaches the buffer's last byte
 * (within(end, start, start + 4096) with an exclusive end).  Both limits
 * are checked here before starting.
 *
 * A blocked DMA read is completed by QEMU from unassigned memory: edu's
 * buffer receives zeros.  A blocked write changes nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/vtd.h>

#include "qtest.h"

#define PCI_VENDOR_DEVICE	0x00
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_MEMORY	0x2
#define  PCI_COMMAND_MASTER	0x4
#define PCI_BAR0		0x10
#define EDU_VENDOR_DEVICE	0x11e81234u
#define EDU_ID			0x00	/* 0xRRrr00ed: version, then 0xed */
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define  EDU_DMA_RUN		0x1
#define  EDU_DMA_TO_RAM		0x2

/* Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2). */
static uint32_t cf8(unsigned int devfn, unsigned int reg)
{
	return 0x80000000u | (devfn & 0xff) << 8 | (reg & 0xfc);
}

int liommu__qemu_pci_read_locked(struct liommu_qemu *q, unsigned int devfn,
				 unsigned int reg, uint32_t *val)
{
	int r;

	r = liommu__qtest_outl(&q->qt, LIOMMU_QEMU_PCI_ADDR, cf8(devfn, reg));
	return r ? r : liommu__qtest_inl(&q->qt, LIOMMU_QEMU_PCI_DATA, val);
}

int liommu__qemu_pci_write_locked(struct liommu_qemu *q, unsigned int devfn,
				  unsigned int reg, uint32_t val)
{
	int r;

	r = liommu__qtest_outl(&q->qt, LIOMMU_QEMU_PCI_ADDR, cf8(devfn, reg));
	return r ? r : liommu__qtest_outl(&q->qt, LIOMMU_QEMU_PCI_DATA, val);
}

static bool pci_args_ok(unsigned int devfn, unsigned int reg)
{
	return devfn < 256 && reg < 256 && !(reg & 3);
}

uint32_t liommu_qemu_pci_read32(struct liommu_qemu *q, unsigned int devfn,
				unsigned int reg)
{
	uint32_t v = 0xffffffffu;

	if (!q || !pci_args_ok(devfn, reg))
		return v;
	pthread_mutex_lock(&q->io_lock);
	if (liommu__qemu_pci_read_locked(q, devfn, reg, &v))
		v = 0xffffffffu;
	pthread_mutex_unlock(&q->io_lock);
	return v;
}

int liommu_qemu_pci_write32(struct liommu_qemu *q, unsigned int devfn,
			    unsigned int reg, uint32_t val)
{
	int r;

	if (!q || !pci_args_ok(devfn, reg))
		return -EINVAL;
	pthread_mutex_lock(&q->io_lock);
	r = liommu__qemu_pci_write_locked(q, devfn, reg, val);
	pthread_mutex_unlock(&q->io_lock);
	return r;
}

/* One qtest memory access under io_lock. */
static int mmio_read(struct liommu_qemu *q, char width, uint64_t addr, uint64_t *v)
{
	int r;

	pthread_mutex_lock(&q->io_lock);
	r = liommu__qtest_read(&q->qt, width, addr, v);
	pthread_mutex_unlock(&q->io_lock);
	return r;
}

static int mmio_write(struct liommu_qemu *q, char width, uint64_t addr, uint64_t v)
{
	int r;

	pthread_mutex_lock(&q->io_lock);
	r = liommu__qtest_write(&q->qt, width, addr, v);
	pthread_mutex_unlock(&q->io_lock);
	return r;
}

/* BAR0 first, then decode and bus mastering (PCI 3.0, 6.2.2); then
 * edu's identification register through the new BAR proves it decodes. */
static int edu_setup_one(struct liommu_qemu *q, unsigned int idx)
{
	unsigned int devfn = q->edu[idx].devfn;
	uint32_t bar, cmd;
	uint64_t ident;
	int r;

	pthread_mutex_lock(&q->io_lock);
	r = liommu__qemu_pci_write_locked(q, devfn, PCI_BAR0, (uint32_t)q->edu[idx].bar);
	if (!r)
		r = liommu__qemu_pci_read_locked(q, devfn, PCI_BAR0, &bar);
	if (!r && (bar & ~0xfu) != q->edu[idx].bar)
		r = -EIO;
	if (!r)
		r = liommu__qemu_pci_read_locked(q, devfn, PCI_COMMAND, &cmd);
	if (!r)
		r = liommu__qemu_pci_write_locked(q, devfn, PCI_COMMAND,
						  (cmd & 0xffff) | PCI_COMMAND_MEMORY |
						  PCI_COMMAND_MASTER);
	pthread_mutex_unlock(&q->io_lock);
	if (r)
		return r;
	r = mmio_read(q, 'l', q->edu[idx].bar + EDU_ID, &ident);
	if (r)
		return r;
	return (ident & 0xffff) == 0x00ed ? 0 : -EIO;
}

int liommu__qemu_edu_setup(struct liommu_qemu *q)
{
	unsigned int dev, found = 0;
	uint32_t id;
	int r = 0;

	/* Function 0 of each device on bus 0, in slot order; edu is
	 * single-function. */
	pthread_mutex_lock(&q->io_lock);
	for (dev = 0; dev < 32 && found < q->cfg.edu_count; dev++) {
		r = liommu__qemu_pci_read_locked(q, dev << 3, PCI_VENDOR_DEVICE, &id);
		if (r)
			break;
		if (id != EDU_VENDOR_DEVICE)
			continue;
		q->edu[found].devfn = dev << 3;
		q->edu[found].bar = LIOMMU_QEMU_EDU_BAR0 -
				    (uint64_t)found * LIOMMU_QEMU_EDU_BAR_SIZE;
		found++;
	}
	pthread_mutex_unlock(&q->io_lock);
	if (r)
		return r;
	if (found < q->cfg.edu_count)
		return -ENODEV;
	for (dev = 0; dev < found && !r; dev++)
		r = edu_setup_one(q, dev);
	return r;
}

unsigned int liommu_qemu_edu_count(const struct liommu_qemu *q)
{
	return q->cfg.edu_count;
}

int liommu_qemu_edu_sid_n(const struct liommu_qemu *q, unsigned int idx)
{
	if (!q || idx >= q->cfg.edu_count)
		return -EINVAL;
	return vtd_sid(0, q->edu[idx].devfn >> 3, q->edu[idx].devfn & 7);
}

uint16_t liommu_qemu_edu_sid(const struct liommu_qemu *q)
{
	return (uint16_t)liommu_qemu_edu_sid_n(q, 0);
}

/* F bits of every fault-recording register, one bit per record. */
static int read_frcd_f(struct liommu_qemu *q, unsigned long *f, unsigned int nfr)
{
	uint64_t hi;
	unsigned int i;
	int r;

	for (i = 0; i < nfr; i++) {
		r = mmio_read(q, 'q', LIOMMU_QEMU_DMAR_BASE + vtd_frcd_reg(q->cap, i) + 8, &hi);
		if (r)
			return r;
		if (hi & VTD_FRCD_HI_F)
			f[i / (8 * sizeof(long))] |= 1UL << (i % (8 * sizeof(long)));
	}
	return 0;
}

static bool test_f(const unsigned long *f, unsigned int i)
{
	return f[i / (8 * sizeof(long))] & (1UL << (i % (8 * sizeof(long))));
}

/* Find the records whose F went 0 -> 1 and decode one: the one FSTS.FRI
 * points at when it is among them, otherwise the first. */
static int collect_fault(struct liommu_qemu *q, const unsigned long *before,
			 unsigned int nfr, uint32_t fsts,
			 struct liommu_qemu_dma_result *res)
{
	unsigned long after[256 / (8 * sizeof(long))] = { 0 };
	unsigned int i, fri = (unsigned int)vtd_field_get(VTD_FSTS_FRI, fsts);
	uint64_t lo, hi;
	int r, pick = -1;

	r = read_frcd_f(q, after, nfr);
	if (r)
		return r;
	for (i = 0; i < nfr; i++) {
		if (!test_f(after, i) || test_f(before, i))
			continue;
		if (pick < 0 || i == fri)
			pick = (int)i;
	}
	if (pick < 0)
		return 0;
	r = mmio_read(q, 'q', LIOMMU_QEMU_DMAR_BASE + vtd_frcd_reg(q->cap, (unsigned int)pick), &lo);
	if (!r)
		r = mmio_read(q, 'q', LIOMMU_QEMU_DMAR_BASE +
			      vtd_frcd_reg(q->cap, (unsigned int)pick) + 8, &hi);
	if (r)
		return r;
	res->faulted = true;
	res->index = (unsigned int)pick;
	liommu_fault_decode(lo, hi, &res->fault);
	return 0;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

static int edu_dma_locked(struct liommu_qemu *q, unsigned int idx, enum liommu_edu_dir dir,
			  uint64_t iova, uint32_t buf_off, uint32_t len,
			  struct liommu_qemu_dma_result *res)
{
	unsigned long before[256 / (8 * sizeof(long))] = { 0 };
	unsigned int nfr = vtd_cap_nfr(q->cap), wait_us = 20;
	uint64_t fsts0, fsts1, cmd, deadline, buf = LIOMMU_EDU_BUF_ADDR + buf_off;
	uint64_t bar = q->edu[idx].bar;
	int r;

	r = mmio_read(q, 'q', bar + EDU_DMA_CMD, &cmd);
	if (r)
		return r;
	if (cmd & EDU_DMA_RUN)
		return -EBUSY;	/* an earlier transfer timed out */
	r = mmio_read(q, 'l', LIOMMU_QEMU_DMAR_BASE + VTD_FSTS_REG, &fsts0);
	if (!r)
		r = read_frcd_f(q, before, nfr);
	if (!r)
		r = mmio_write(q, 'q', bar + EDU_DMA_SRC, dir == LIOMMU_EDU_TO_RAM ? buf : iova);
	if (!r)
		r = mmio_write(q, 'q', bar + EDU_DMA_DST, dir == LIOMMU_EDU_TO_RAM ? iova : buf);
	if (!r)
		r = mmio_write(q, 'q', bar + EDU_DMA_CNT, len);
	if (!r)
		r = mmio_write(q, 'q', bar + EDU_DMA_CMD, EDU_DMA_RUN |
			       (dir == LIOMMU_EDU_TO_RAM ? EDU_DMA_TO_RAM : 0));
	if (r)
		return r;

	/* Poll the start bit, backing off from 20 us to 1 ms. */
	deadline = liommu__qemu_now_ms() + q->cfg.timeout_ms;
	for (;;) {
		r = mmio_read(q, 'q', bar + EDU_DMA_CMD, &cmd);
		if (r)
			return r;
		if (!(cmd & EDU_DMA_RUN))
			break;
		if (liommu__qemu_now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_us(wait_us);
		wait_us = wait_us < 500 ? wait_us * 2 : 1000;
	}

	r = mmio_read(q, 'l', LIOMMU_QEMU_DMAR_BASE + VTD_FSTS_REG, &fsts1);
	if (r)
		return r;
	res->overflow = !(fsts0 & VTD_FSTS_PFO) && (fsts1 & VTD_FSTS_PFO);
	return collect_fault(q, before, nfr, (uint32_t)fsts1, res);
}

int liommu_qemu_edu_dma_n(struct liommu_qemu *q, unsigned int idx,
			  enum liommu_edu_dir dir, uint64_t iova, uint32_t buf_off,
			  uint32_t len, struct liommu_qemu_dma_result *res)
{
	struct liommu_qemu_dma_result local;
	int r;

	if (!q || idx >= q->cfg.edu_count || (dir != LIOMMU_EDU_FROM_RAM && dir != LIOMMU_EDU_TO_RAM))
		return -EINVAL;
	if (!len || buf_off >= LIOMMU_EDU_BUF_USABLE || len > LIOMMU_EDU_BUF_USABLE - buf_off)
		return -EINVAL;
	if (iova > LIOMMU_EDU_DMA_MASK || len - 1 > LIOMMU_EDU_DMA_MASK - iova)
		return -EINVAL;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&q->edu_lock);
	r = edu_dma_locked(q, idx, dir, iova, buf_off, len, res);
	pthread_mutex_unlock(&q->edu_lock);
	return r;
}

int liommu_qemu_edu_dma(struct liommu_qemu *q, enum liommu_edu_dir dir,
			uint64_t iova, uint32_t buf_off, uint32_t len,
			struct liommu_qemu_dma_result *res)
{
	return liommu_qemu_edu_dma_n(q, 0, dir, iova, buf_off, len, res);
}

/* ------------------------------------------------------------------ */
/* edu's MSI (PCI Local Bus 3.0, 6.8.1)                                */
/* ------------------------------------------------------------------ */

#define PCI_STATUS_CAP_LIST	0x10	/* status register (config 0x06) bit 4 */
#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSI		0x05
/* MSI capability, 64-bit address, no per-vector masking (edu's
 * msi_init(pdev, 0, 1, true, false)): control in the upper 16 bits of
 * the first dword, address low at +4, high at +8, data at +12. */
#define MSI_CTRL_ENABLE		(1u << 16)
#define MSI_CTRL_64BIT		(1u << 23)
#define MSI_CTRL_MME		(7u << 20)
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64

/* Walk the capability list (at most 48 entries, as Linux's
 * pci_find_capability() bounds it) for the MSI capability. */
static int edu_msi_cap_locked(struct liommu_qemu *q, unsigned int devfn, unsigned int *at)
{
	uint32_t v;
	unsigned int ptr, n;
	int r;

	r = liommu__qemu_pci_read_locked(q, devfn, PCI_COMMAND, &v);
	if (r)
		return r;
	if (!((v >> 16) & PCI_STATUS_CAP_LIST))
		return -ENODEV;
	r = liommu__qemu_pci_read_locked(q, devfn, PCI_CAP_PTR, &v);
	if (r)
		return r;
	ptr = v & 0xfc;
	for (n = 0; ptr >= 0x40 && n < 48; n++) {
		r = liommu__qemu_pci_read_locked(q, devfn, ptr, &v);
		if (r)
			return r;
		if ((v & 0xff) == PCI_CAP_ID_MSI) {
			if (!(v & MSI_CTRL_64BIT))
				return -ENODEV;
			*at = ptr;
			return 0;
		}
		ptr = (v >> 8) & 0xfc;
	}
	return -ENODEV;
}

int liommu_qemu_edu_msi_setup_n(struct liommu_qemu *q, unsigned int idx, uint64_t addr,
				uint32_t data, bool enable)
{
	unsigned int cap = 0, devfn;
	uint32_t ctrl;
	int r;

	if (!q || idx >= q->cfg.edu_count)
		return -EINVAL;
	devfn = q->edu[idx].devfn;
	pthread_mutex_lock(&q->io_lock);
	r = edu_msi_cap_locked(q, devfn, &cap);
	if (!r)
		r = liommu__qemu_pci_read_locked(q, devfn, cap, &ctrl);
	/* Disable while the message changes, then write address and data,
	 * then enable with one vector (MME = 0), as a driver does. */
	if (!r)
		r = liommu__qemu_pci_write_locked(q, devfn, cap,
						  ctrl & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME));
	if (!r)
		r = liommu__qemu_pci_write_locked(q, devfn, cap + 4, (uint32_t)addr);
	if (!r)
		r = liommu__qemu_pci_write_locked(q, devfn, cap + 8,
						  (uint32_t)(addr >> 32));
	if (!r)
		r = liommu__qemu_pci_write_locked(q, devfn, cap + 12, data);
	if (!r && enable)
		r = liommu__qemu_pci_write_locked(q, devfn, cap,
						  (ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
	pthread_mutex_unlock(&q->io_lock);
	return r;
}

int liommu_qemu_edu_msi_setup(struct liommu_qemu *q, uint64_t addr, uint32_t data,
			      bool enable)
{
	return liommu_qemu_edu_msi_setup_n(q, 0, addr, data, enable);
}

int liommu_qemu_edu_raise_irq_n(struct liommu_qemu *q, unsigned int idx)
{
	int r;

	if (!q || idx >= q->cfg.edu_count)
		return -EINVAL;
	/* edu_raise_irq() ORs the value into its status and, with MSI on,
	 * sends the message synchronously (msi_notify() through edu's bus
	 * master address space, hence through the IOMMU's interrupt
	 * window): the interrupt has been remapped or dropped when the
	 * qtest write returns.  The acknowledge clears the status again. */
	r = mmio_write(q, 'l', q->edu[idx].bar + EDU_IRQ_RAISE, 1);
	if (!r)
		r = mmio_write(q, 'l', q->edu[idx].bar + EDU_IRQ_ACK, 1);
	return r;
}

int liommu_qemu_edu_raise_irq(struct liommu_qemu *q)
{
	return liommu_qemu_edu_raise_irq_n(q, 0);
}
