/* SPDX-License-Identifier: MIT */
/*
 * regfile.h - the storage of the software VT-d unit's register file: one
 * 4 KiB page laid out at the specification's offsets (vtd.h VTD_*_REG,
 * and the model's LIOMMU_MODEL_FRCD_OFFSET / _IVA_OFFSET), holding
 * exactly what software reads there (not installed).
 *
 * It owns the layout and the accessors, nothing else: no file may read a
 * register value from anywhere but this page, and no behaviour lives
 * here.  What a register does when written is regs.c's (decoding) and
 * fault.c's (status and event bits the unit sets); the queue registers
 * are advanced by qi.c.  State the hardware latches and software cannot
 * read back (the root and interrupt-remapping tables latched at SRTP /
 * SIRTP, the queue base latched at QIE, write-only fields) lives in
 * struct liommu_model, beside the page, as it does in a real unit.
 *
 * Because the page is what the guest would read, a reader needs no
 * computation, and reads have no side effects: that is what lets the
 * planned vIOMMU sidecore (docs/model.md, "The register file") hand the
 * page to a guest as plain shared memory.
 *
 * Accesses go through the REG32()/REG64() lvalues, member accesses of a
 * union of 32- and 64-bit arrays (well defined in C11, 6.5.2.3), so a
 * 64-bit register and its two 32-bit halves are the same bytes.  VT-d
 * registers are little-endian, and so must the host be for the halves to
 * line up (checked below).  All accesses are made under reg_lock.
 */
#ifndef LIOMMU_MODEL_REGFILE_H
#define LIOMMU_MODEL_REGFILE_H

#include <stdint.h>

#include <liommu/model.h>
#include <liommu/vtd.h>

#define MODEL_REGS_SIZE		VTD_REG_WINDOW_SIZE

/* The most fault-recording registers the model offers: they must fit
 * in the page above LIOMMU_MODEL_FRCD_OFFSET. */
#define MODEL_MAX_NFR		128

_Static_assert(MODEL_REGS_SIZE == 4096, "the register file is one 4 KiB page");
_Static_assert(LIOMMU_MODEL_FRCD_OFFSET + MODEL_MAX_NFR * VTD_FRCD_SIZE <= MODEL_REGS_SIZE,
	       "fault-recording registers beyond the register page");
_Static_assert(LIOMMU_MODEL_IVA_OFFSET + 16 <= LIOMMU_MODEL_FRCD_OFFSET,
	       "IVA/IOTLB registers overlap the fault-recording registers");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "VT-d registers are little-endian; the page is the guest's view");

struct model_regfile {
	union {
		uint32_t d[MODEL_REGS_SIZE / 4];
		uint64_t q[MODEL_REGS_SIZE / 8];
	};
};
_Static_assert(sizeof(struct model_regfile) == MODEL_REGS_SIZE, "register page size");

/* The 32-bit register at @off (4-byte aligned) / the 64-bit one at @off
 * (8-byte aligned) of unit @m, as an lvalue. */
#define REG32(m, off)		((m)->regs->d[(off) / 4])
#define REG64(m, off)		((m)->regs->q[(off) / 8])

/* Fault-recording register @i: low half (FI), high half (F, T, FR, SID). */
#define MODEL_FRCD_OFF(i)	(LIOMMU_MODEL_FRCD_OFFSET + (uint32_t)(i) * VTD_FRCD_SIZE)
#define FRCD_LO(m, i)		REG64(m, MODEL_FRCD_OFF(i))
#define FRCD_HI(m, i)		REG64(m, MODEL_FRCD_OFF(i) + 8)

/* The IOTLB register, at IVA + 8 (ECAP.IRO * 16 + 8). */
#define MODEL_IOTLB_OFF		(LIOMMU_MODEL_IVA_OFFSET + 8)

#endif /* LIOMMU_MODEL_REGFILE_H */
