/* SPDX-License-Identifier: MIT */
/*
 * regpage.h - a unit's register file served as plain shared memory (not
 * installed).
 *
 * The guest reads and writes a 4 KiB page at the VT-d offsets as if it
 * were the unit's MMIO window; the emulated unit (libiommu's model) keeps
 * its own register file.  This file is the bus between the two: it turns
 * "a watched word of the page changed" into a register write of the
 * model (liommu_model_write32/64, so every semantic is the model's), and
 * copies what the model's registers read back into the page.  It owns
 * the page's contents and the list of watched registers; it must not
 * decode a register value (that is the model's).
 *
 * Why two copies and not the model's file in the shared page: a page
 * that both the guest and the unit store into cannot tell "the guest
 * wrote" from "the unit wrote" without a record of the value last seen
 * at each word, which is a second copy anyway; keeping the model's copy
 * private makes every model update race-free, and the page is updated
 * only by compare-and-swap against the value last seen, so a guest store
 * that lands between a scan and a publication is never overwritten: the
 * next scan sees it.
 */
#ifndef VIOMMU_REGPAGE_H
#define VIOMMU_REGPAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/model.h>
#include <liommu/vtd.h>

#define RP_WORDS	(VTD_REG_WINDOW_SIZE / 4)
/* 20 fixed registers and one fault-record high half per record. */
#define RP_MAX_WATCH	(20 + 128)

/*
 * What GCMD reads in the page after the engine consumed a write: a
 * value with only reserved bits (22:0) set.  GCMD is write-only and its
 * one-shot bits act every time they are written, so a repeated write of
 * the same command must differ from what the page holds; a guest that
 * writes exactly this value (reserved bits only, no command) is not seen.
 */
#define VIOMMU_GCMD_SENTINEL	0x007fffffu

struct rp_watch {
	uint16_t off;
	uint8_t width;		/* 4 or 8 */
	uint8_t kind;		/* enum rp_kind */
};

/* How long GSTS's one-shot status bits stay visible after their
 * command, by default (regpage.c, "One-shot status"). */
#define VIOMMU_ONESHOT_HOLD_NS	1000000000ull

struct viommu_regpage {
	struct liommu_model *m;
	uint64_t oneshot_hold_ns;	/* UINT64_MAX: never hidden */
	uint32_t gsts_hide;		/* one-shot status bits the page hides */
	uint64_t oneshot_t;		/* when the last one-shot command completed */
	unsigned int oneshot_tick;	/* scans since the hold was last checked */
	uint32_t *page;			/* shared with the guest */
	unsigned int live_words;	/* the model's registers end here (fault records last) */
	unsigned int nwatch;
	struct rp_watch watch[RP_MAX_WATCH];	/* in processing order */
	uint8_t cls[RP_WORDS];		/* enum rp_kind of each word */
	uint32_t seen[RP_WORDS];	/* what the page holds, as far as we know */
	uint32_t snap[RP_WORDS];	/* the model's file at the last publication */
	uint64_t pub_seq;		/* liommu_model_regs_seq() of @snap */
	/* Counters: written by the polling thread only (a relaxed load and
	 * store, no locked RMW), read by anyone. */
	_Atomic uint64_t writes;	/* guest writes forwarded */
	_Atomic uint64_t publications;
	_Atomic uint64_t repaired;	/* read-only words the guest had overwritten */
};

/**
 * liommu__viommu_regpage_init() - bind @page to unit @m and fill it.
 * @page: 4 KiB, 4 KiB aligned, shared with the guest; overwritten.
 * Return: 0, -EINVAL (misaligned page).  Context: before the guest runs.
 */
int liommu__viommu_regpage_init(struct viommu_regpage *rp, struct liommu_model *m, void *page);

/**
 * liommu__viommu_regpage_scan() - one poll: forward what the guest wrote to the
 * watched registers since the last scan, then publish what changed.
 * Return: the number of registers the guest had written.
 * Context: one thread at a time per page (the polling thread).
 */
unsigned int liommu__viommu_regpage_scan(struct viommu_regpage *rp);

/**
 * liommu__viommu_regpage_changed() - does the unit hold register values the page
 * does not show yet (a fault recorded by a device thread, say)?
 * Context: any; lock-free.
 */
bool liommu__viommu_regpage_changed(const struct viommu_regpage *rp);

/**
 * liommu__viommu_regpage_publish() - copy the unit's registers that changed
 * since the last publication into the page: fault records first, then
 * the rest in offset order, so that a guest that sees FSTS.PPF sees the
 * record too.
 * Context: the polling thread, or a trap-mode caller holding the
 * instance's trap lock.
 */
void liommu__viommu_regpage_publish(struct viommu_regpage *rp);

/**
 * liommu__viommu_regpage_sweep() - restore every read-only word of the page that
 * the guest overwrote (a guest store to CAP, GSTS, a reserved offset...),
 * as the hardware would have ignored it.  Costs a pass over the page, so
 * the engine runs it every few thousand scans and when going idle.
 * Return: words restored.  Context: as liommu__viommu_regpage_scan().
 */
unsigned int liommu__viommu_regpage_sweep(struct viommu_regpage *rp);

#endif /* VIOMMU_REGPAGE_H */
