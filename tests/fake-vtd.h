/* SPDX-License-Identifier: MIT */
/*
 * fake-vtd.h - a deliberately small software VT-d register file for the
 * unit and fault tests.
 *
 * It is not a model of the hardware (libiommu/model is): it implements
 * just the register behaviour the driver relies on and lets a test break
 * it on purpose - command bits that never clear, refused granularities,
 * queue errors, time-outs, overflowing fault records, hostile CAP values,
 * non-contiguous pages - and it records what the driver wrote so the test
 * can check order and encoding.  QEMU's VT-d model is the oracle for
 * what it can show; this fake covers what QEMU cannot.
 *
 * Threading: every op takes the fake's mutex.
 */
#ifndef FAKE_VTD_H
#define FAKE_VTD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/platform.h>
#include <liommu/vtd.h>

#define FAKE_ARENA_PAGES	64
#define FAKE_PA_BASE		0x40000000ULL	/* PA != VA on purpose */
#define FAKE_MAX_EVENTS		4096
#define FAKE_MAX_DESCS		4096

/* QEMU 7.2's CAP/ECAP with aw-bits=48, intremap=on (see DESIGN.md), with
 * ECAP.C as QEMU reports it (0).  FRO 0x220, NFR 1, IRO 0xf0. */
#define FAKE_QEMU_CAP		0x00d2008c222f0606ULL
#define FAKE_QEMU_ECAP		0x0000000000f00f4aULL

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

	/* Behaviour knobs. */
	bool gcmd_stuck;	/* GCMD commands never complete */
	bool ccmd_stuck;	/* ICC never clears */
	bool iotlb_stuck;	/* IVT never clears */
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

#endif /* FAKE_VTD_H */
