/* SPDX-License-Identifier: MIT */
/*
 * fake-vtd.h - the one fake VT-d unit of the tests: a deliberately small
 * register file that misbehaves on request and records what the driver
 * wrote.
 *
 * The real software unit is the model (libiommu/model, reached through
 * the sim platform, liommu/sim.h), and every test that only needs a
 * correct unit runs on it.  This fake exists for what the model must not
 * do, because the model is specified to behave like hardware and to be
 * the driver's reference:
 *  - misbehave: command bits that never clear (GCMD, CCMD.ICC,
 *    IOTLB.IVT, a write-buffer flush that never completes), CAIG / IAIG
 *    reported as 0, a queue that is never served, ITE on a wait;
 *  - take CAP/ECAP values no valid unit has (the model refuses an
 *    invalid capability set in liommu_model_new(); the driver must
 *    refuse it at bring-up), or bits the model does not implement
 *    (ECAP.SC);
 *  - hold fault records a test writes (fake_vtd_record_fault(): any
 *    reason, any field, reserved bits set), which the model only records
 *    from real translation faults;
 *  - see memory the way a unit without ECAP.C does: with @image set, the
 *    unit's view of every page changes only when the driver flushes it
 *    (the model reads memory directly; ECAP.C is informational there);
 *  - record the exact sequence of GCMD values, descriptors, register
 *    commands, write-buffer flushes, cache flushes and page allocations
 *    (with gaps, from the top, or refused), so encodings and ordering can
 *    be asserted.
 * QEMU's VT-d model is the oracle for what a real implementation accepts
 * (check-unit-qemu.c, check-platform-qemu.c); this fake covers what
 * neither QEMU nor the model can show.
 *
 * Threading: every op takes the fake's mutex.  The knobs are plain
 * fields that a test sets while no driver call is running.
 */
#ifndef FAKE_VTD_H
#define FAKE_VTD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/platform.h>
#include <liommu/vtd.h>

#define FAKE_ARENA_PAGES	256
#define FAKE_PA_BASE		0x40000000ULL	/* PA != VA on purpose */
#define FAKE_MAX_EVENTS		4096
#define FAKE_MAX_DESCS		4096

/* QEMU 7.2's CAP/ECAP with aw-bits=48, intremap=on (see DESIGN.md), with
 * ECAP.C as QEMU reports it (0).  FRO 0x220, NFR 1, IRO 0xf0. */
#define FAKE_QEMU_CAP		0x00d2008c222f0606ULL
#define FAKE_QEMU_ECAP		0x0000000000f00f4aULL

/* A register-based invalidation command the fake completed (CCMD 11.4.7.1,
 * IOTLB 11.4.8), in the order completed. */
enum fake_cmd_kind { FAKE_CC = 1, FAKE_IOTLB = 2 };

struct fake_cmd {
	enum fake_cmd_kind kind;
	unsigned int gran;	/* CIRG or IIRG as requested */
	uint16_t did;
	uint16_t sid;		/* context commands */
	uint64_t addr;		/* IOTLB page-selective: IVA.ADDR */
	unsigned int am;	/* IVA.AM */
	bool ih;		/* IVA.IH */
};

struct fake_vtd {
	pthread_mutex_t lock;
	uint8_t regs[VTD_REG_WINDOW_SIZE];
	struct liommu_platform *plat;

	/* Memory: a page arena; pa = FAKE_PA_BASE + offset (or reversed). */
	uint8_t *arena;
	bool used[FAKE_ARENA_PAGES];
	unsigned int pages_live;
	bool alloc_gaps;	/* never hand out two adjacent pages */
	bool alloc_descending;	/* hand out pages from the top down */
	bool alloc_limited;	/* refuse pages once alloc_limit are live */
	unsigned int alloc_limit;
	unsigned int flushes;	/* platform flush op calls */
	bool image;		/* ECAP.C = 0 seen from the unit's side: see
				 * fake_vtd_read_pa(); set before the first
				 * page is allocated */
	uint8_t *img;		/* the unit's view of the arena (@image) */

	/* Behaviour knobs. */
	bool gcmd_stuck;	/* GCMD commands never complete */
	bool ccmd_stuck;	/* ICC never clears */
	bool iotlb_stuck;	/* IVT never clears */
	bool wbf_stuck;		/* GSTS.WBFS stays set after GCMD.WBF */
	bool caig_zero;		/* CAIG reported as 0 */
	bool iaig_zero;		/* IAIG reported as 0 */
	bool qi_stuck;		/* IQT writes are not processed */
	unsigned int ite_next_waits;	/* abort this many waits with ITE */
	bool resume_on_iqe_clear;	/* real hardware: clearing IQE resumes */

	/* Observations. */
	unsigned int gcmd_writes;
	uint32_t gcmd_log[256];
	unsigned int gcmd_violations;	/* writes breaking 11.4.4 */
	unsigned int nwbf;
	char events[FAKE_MAX_EVENTS];	/* W=WBF C=CCMD I=IOTLB Q=queued desc */
	unsigned int nevents;
	struct vtd_inv_desc descs[FAKE_MAX_DESCS];	/* processed, in order */
	unsigned int ndescs;
	unsigned int bad_accesses;	/* register accesses outside the window */
	struct fake_cmd cmds[FAKE_MAX_EVENTS];	/* completed CCMD/IOTLB commands */
	unsigned int ncmds;

	/* Queue state (the model's view). */
	unsigned int iq_head;
};

/* Create with the given CAP/ECAP; other registers at reset values. */
struct fake_vtd *fake_vtd_new(uint64_t cap, uint64_t ecap);
void fake_vtd_free(struct fake_vtd *f);

uint32_t fake_rd32(struct fake_vtd *f, uint32_t off);
uint64_t fake_rd64(struct fake_vtd *f, uint32_t off);
/* Raw register store, no side effects (test set-up). */
void fake_poke32(struct fake_vtd *f, uint32_t off, uint32_t v);
void fake_poke64(struct fake_vtd *f, uint32_t off, uint64_t v);

/* Record a primary fault in register @idx (sets F, PPF; FRI when PPF was
 * clear).  @hi's F bit is forced on. */
void fake_vtd_record_fault(struct fake_vtd *f, unsigned int idx, uint64_t lo, uint64_t hi);

/* Process what the queue holds now (after qi_stuck is cleared). */
void fake_vtd_kick(struct fake_vtd *f);

/* Count of @c in the event log. */
unsigned int fake_vtd_count_events(struct fake_vtd *f, char c);

/* Complete what the stuck knobs left pending, as late hardware would: a
 * CCMD or IOTLB command whose knob is now off, and GSTS.WBFS once
 * wbf_stuck is off.  Call after clearing a knob. */
void fake_vtd_release(struct fake_vtd *f);

/* The 64-bit word at physical @pa as the unit sees it: the image with
 * @image set, memory otherwise; ~0 outside the arena. */
uint64_t fake_vtd_read_pa(struct fake_vtd *f, uint64_t pa);

/* Allocated pages whose image differs from memory (a store the driver
 * did not flush); 0 without @image. */
unsigned int fake_vtd_image_mismatches(struct fake_vtd *f);

#endif /* FAKE_VTD_H */
