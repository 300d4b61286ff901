// SPDX-License-Identifier: MIT
/*
 * regpage.c - the register page between a guest and the emulated unit
 * (regpage.h says why there are two copies).  It owns the watched-
 * register list, the order in which guest writes are forwarded, and the
 * order in which the unit's values are published; it must not decode a
 * register (the model does, behind liommu_model_write32/64).
 *
 * It knows three register properties plain memory cannot express, and
 * nothing else of their meaning: write-only (GCMD, IVA), one-shot status
 * (below) and that enabling queued invalidation consumes IQT (below).
 *
 * One-shot status.  GSTS.RTPS, FLS, WBFS and IRTPS are set when their
 * command completes and hardware clears them when software issues the
 * command again (spec 11.4.5); the page cannot clear them at the guest's
 * GCMD store, so a guest repeating the command would read the old 1 as
 * its completion before the sidecore has seen the store, and its next
 * GCMD store would overwrite the unconsumed one (a lost SRTP).  So the
 * page shows a one-shot bit for @oneshot_hold_ns after its command
 * completed (1 s by default: a guest that waits for it, Linux polls
 * GSTS, sees it unless its vCPU stalls that long) and hides it after;
 * a command repeated later reads 0 until its own completion.  A repeat
 * within the hold still reads complete early (docs/viommu.md lists it).
 *
 * QI enable consumes IQT.  The model runs the queue from IQH to IQT when
 * GCMD.QIE enables it, and a guest re-enabling a used queue stores
 * IQT = 0, IQA, then QIE (Linux 6.1's __dmar_enable_qi()).  So IQT is
 * data to GCMD: the scan loads GCMD before IQT (a pass that sees the QIE
 * store sees the tail stored before it) and forwards IQT first.  The
 * other order in the guest, QIE then a tail store, gives the same result
 * either way: while QI is off a tail store only latches, and the enable
 * then runs the queue up to it.
 *
 * Orderings the polling preserves (docs/viommu.md, "The register page"):
 *  - A guest's stores become visible in program order (x86-TSO), so the
 *    scan loads the registers that trigger work (GCMD, CCMD, the IOTLB
 *    register, IQT) first and the registers they consume (RTADDR, IQA,
 *    IRTA, IVA, the event registers) after: if a trigger's new value is
 *    seen, so is every data store the guest made before it, and the
 *    forwarding then runs data first, triggers last.
 *  - Between two scans only the last value stored to a register is seen.
 *    VT-d makes software wait for each command's status (GSTS after
 *    GCMD, ICC/IVT clear) before the next, so a conforming guest loses
 *    nothing; two write-1-to-clear stores to the same register within
 *    one scan act as the last one.
 *  - A write-1-to-clear store of exactly the value the page shows (FSTS
 *    read and written back, ICS.IWC cleared with 1) leaves the page
 *    unchanged and cannot be seen by any poller.  Linux 6.1 clears
 *    fault records with a store of F alone (never the value it read,
 *    since FR is non-zero) and FSTS with PFO|PPF|PRO, which the engine
 *    never publishes (PRO stays 0), so its clears are seen.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "regpage.h"

/* Words compared at once before a publication looks at each. */
#define RP_BLOCK	16u

enum rp_kind {
	RP_RO = 0,	/* the unit's value; guest stores are repaired */
	RP_GUEST,	/* watched, published by compare-and-swap */
	RP_GUEST_HI,	/* upper half of a watched 64-bit register */
	RP_GCMD,	/* watched, reads the sentinel */
	RP_IVA,		/* watched, write-only: the page keeps the guest's value */
	RP_IVA_HI,
	RP_RO64,	/* low half of a 64-bit read-only register */
	RP_RO64_HI,
};

static inline uint32_t ld32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t ld64(const uint32_t *p)
{
	return __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

/* Add to a counter only the polling thread writes. */
static inline void rp_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static uint64_t seen64(const struct viommu_regpage *rp, unsigned int w)
{
	return rp->seen[w] | (uint64_t)rp->seen[w + 1] << 32;
}

static void set_seen64(struct viommu_regpage *rp, unsigned int w, uint64_t v)
{
	rp->seen[w] = (uint32_t)v;
	rp->seen[w + 1] = (uint32_t)(v >> 32);
}

static void add_watch(struct viommu_regpage *rp, uint32_t off, unsigned int width,
		      enum rp_kind kind)
{
	struct rp_watch *w = &rp->watch[rp->nwatch++];

	w->off = (uint16_t)off;
	w->width = (uint8_t)width;
	w->kind = (uint8_t)kind;
	rp->cls[off / 4] = (uint8_t)kind;
	if (width == 8)
		rp->cls[off / 4 + 1] = kind == RP_IVA ? RP_IVA_HI : RP_GUEST_HI;
}

static void mark_ro64(struct viommu_regpage *rp, uint32_t off)
{
	rp->cls[off / 4] = RP_RO64;
	rp->cls[off / 4 + 1] = RP_RO64_HI;
}

/* The registers software may write (spec 11.4, the model's regs.c), in
 * processing order: what commands consume, then status and control
 * (write-1-to-clear and mask bits), then the commands. */
static void build_watch(struct viommu_regpage *rp)
{
	unsigned int nfr = (unsigned int)((liommu_model_cap(rp->m) >> 40) & 0xff) + 1;
	unsigned int i;

	rp->nwatch = 0;
	memset(rp->cls, RP_RO, sizeof(rp->cls));
	add_watch(rp, VTD_RTADDR_REG, 8, RP_GUEST);
	add_watch(rp, VTD_IQA_REG, 8, RP_GUEST);
	add_watch(rp, VTD_IRTA_REG, 8, RP_GUEST);
	add_watch(rp, LIOMMU_MODEL_IVA_OFFSET, 8, RP_IVA);
	add_watch(rp, VTD_FEDATA_REG, 4, RP_GUEST);
	add_watch(rp, VTD_FEADDR_REG, 4, RP_GUEST);
	add_watch(rp, VTD_FEUADDR_REG, 4, RP_GUEST);
	add_watch(rp, VTD_IEDATA_REG, 4, RP_GUEST);
	add_watch(rp, VTD_IEADDR_REG, 4, RP_GUEST);
	add_watch(rp, VTD_IEUADDR_REG, 4, RP_GUEST);
	add_watch(rp, VTD_FECTL_REG, 4, RP_GUEST);
	add_watch(rp, VTD_IECTL_REG, 4, RP_GUEST);
	for (i = 0; i < nfr && i < 128; i++)
		add_watch(rp, LIOMMU_MODEL_FRCD_OFFSET + i * VTD_FRCD_SIZE + 8, 8, RP_GUEST);
	add_watch(rp, VTD_FSTS_REG, 4, RP_GUEST);
	add_watch(rp, VTD_ICS_REG, 4, RP_GUEST);
	add_watch(rp, VTD_CCMD_REG, 8, RP_GUEST);
	add_watch(rp, LIOMMU_MODEL_IVA_OFFSET + 8, 8, RP_GUEST);	/* IOTLB */
	/* IQT before GCMD: enabling QI consumes it (file comment). */
	add_watch(rp, VTD_IQT_REG, 8, RP_GUEST);
	add_watch(rp, VTD_GCMD_REG, 4, RP_GCMD);
	/* 64-bit read-only registers are published whole, never torn. */
	mark_ro64(rp, VTD_CAP_REG);
	mark_ro64(rp, VTD_ECAP_REG);
	mark_ro64(rp, VTD_IQH_REG);
	mark_ro64(rp, VTD_IQERCD_REG);
	mark_ro64(rp, VTD_AFLOG_REG);
	mark_ro64(rp, VTD_PHMBASE_REG);
	mark_ro64(rp, VTD_PHMLIMIT_REG);
	for (i = 0; i < nfr && i < 128; i++)
		mark_ro64(rp, LIOMMU_MODEL_FRCD_OFFSET + i * VTD_FRCD_SIZE);
}

/* Words of the register file the model implements: up to the end of
 * its fault-recording registers (CAP.FRO = 0x22, CAP.NFR + 1 of them). */
static unsigned int live_words(struct liommu_model *m)
{
	unsigned int nfr = (unsigned int)((liommu_model_cap(m) >> 40) & 0xff) + 1;

	return LIOMMU_MODEL_FRCD_OFFSET / 4 + (nfr > 128 ? 128 : nfr) * VTD_FRCD_SIZE / 4;
}

int liommu__viommu_regpage_init(struct viommu_regpage *rp, struct liommu_model *m, void *page)
{
	uint64_t seq;

	if (!page || ((uintptr_t)page & (VTD_REG_WINDOW_SIZE - 1)))
		return -EINVAL;
	memset(rp, 0, sizeof(*rp));
	rp->m = m;
	rp->page = page;
	rp->oneshot_hold_ns = VIOMMU_ONESHOT_HOLD_NS;
	rp->gsts_hide = (uint32_t)VTD_GSTS_ONESHOT;	/* none completed yet */
	build_watch(rp);
	rp->live_words = live_words(m);
	liommu_model_regs_snapshot(m, rp->snap, sizeof(rp->snap), &seq);
	rp->pub_seq = seq;
	memcpy(rp->seen, rp->snap, sizeof(rp->seen));
	rp->seen[VTD_GCMD_REG / 4] = VIOMMU_GCMD_SENTINEL;
	/* The guest is started after this returns, and whatever starts it (a
	 * thread start, an fd sent over a socket) orders these stores. */
	memcpy(page, rp->seen, sizeof(rp->seen));
	return 0;
}

bool liommu__viommu_regpage_changed(const struct viommu_regpage *rp)
{
	return liommu_model_regs_seq(rp->m) != rp->pub_seq;
}

/* Forward a changed watched register: only the half the guest changed,
 * when it changed one (a 32-bit store to a 64-bit register), so that the
 * model sees the access the guest made. */
static void forward(struct viommu_regpage *rp, const struct rp_watch *w, uint64_t val)
{
	unsigned int wi = w->off / 4;

	if (w->width == 4) {
		liommu_model_write32(rp->m, w->off, (uint32_t)val);
		rp->seen[wi] = (uint32_t)val;
		return;
	}
	if ((uint32_t)val == rp->seen[wi])
		liommu_model_write32(rp->m, w->off + 4u, (uint32_t)(val >> 32));
	else if ((uint32_t)(val >> 32) == rp->seen[wi + 1])
		liommu_model_write32(rp->m, w->off, (uint32_t)val);
	else
		liommu_model_write64(rp->m, w->off, val);
	set_seen64(rp, wi, val);
}

static uint64_t rp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A GCMD value forwarded: the one-shot commands in it complete inside
 * the model's write (synchronously), so their status bits show from the
 * next publication on.  GCMD and GSTS share bit positions (11.4.4/5). */
static void oneshot_issued(struct viommu_regpage *rp, uint32_t gcmd)
{
	uint32_t bits = gcmd & (uint32_t)VTD_GSTS_ONESHOT;

	if (!bits)
		return;
	rp->gsts_hide &= ~bits;
	rp->oneshot_t = rp_now_ns();
}

/* Hide one-shot status bits shown longer than the hold.  Return: true
 * when GSTS must be published again. */
static bool oneshot_expire(struct viommu_regpage *rp)
{
	if ((rp->gsts_hide & (uint32_t)VTD_GSTS_ONESHOT) == (uint32_t)VTD_GSTS_ONESHOT ||
	    rp->oneshot_hold_ns == UINT64_MAX)
		return false;
	/* A clock read every scan would cost more than the scan; the hold
	 * is a second, so every 256th scan is exact enough. */
	if (++rp->oneshot_tick & 255)
		return false;
	if (rp_now_ns() - rp->oneshot_t < rp->oneshot_hold_ns)
		return false;
	rp->gsts_hide |= (uint32_t)VTD_GSTS_ONESHOT;
	return true;
}

unsigned int liommu__viommu_regpage_scan(struct viommu_regpage *rp)
{
	uint64_t val[RP_MAX_WATCH];
	unsigned int i, n = 0;

	/* Triggers first (they are last in the list): see the file comment. */
	for (i = rp->nwatch; i-- > 0;) {
		const struct rp_watch *w = &rp->watch[i];

		val[i] = w->width == 4 ? ld32(&rp->page[w->off / 4]) : ld64(&rp->page[w->off / 4]);
	}
	for (i = 0; i < rp->nwatch; i++) {
		const struct rp_watch *w = &rp->watch[i];
		unsigned int wi = w->off / 4;
		uint64_t old;

		old = w->width == 4 ? rp->seen[wi] : seen64(rp, wi);
		if (val[i] == old)
			continue;
		n++;
		forward(rp, w, val[i]);
		if (w->kind == RP_GCMD) {
			oneshot_issued(rp, (uint32_t)val[i]);
			uint32_t expect = (uint32_t)val[i];

			/* Consumed: put the sentinel back unless the guest
			 * already wrote again.  Either way the page now
			 * holds the sentinel or a write not yet forwarded,
			 * so the sentinel is what was last seen there: a
			 * newer write equal to the one just consumed (the
			 * same command twice, the second between our load
			 * and this exchange) is still a change next pass. */
			__atomic_compare_exchange_n(&rp->page[wi], &expect, VIOMMU_GCMD_SENTINEL,
						    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			rp->seen[wi] = VIOMMU_GCMD_SENTINEL;
		}
	}
	rp_count(&rp->writes, n);
	if (n || liommu__viommu_regpage_changed(rp) || oneshot_expire(rp))
		liommu__viommu_regpage_publish(rp);
	return n;
}

static void publish_word(struct viommu_regpage *rp, unsigned int wi)
{
	uint32_t *p = &rp->page[wi];

	switch (rp->cls[wi]) {
	case RP_RO:
		if (rp->snap[wi] != rp->seen[wi]) {
			__atomic_store_n(p, rp->snap[wi], __ATOMIC_RELEASE);
			rp->seen[wi] = rp->snap[wi];
		}
		break;
	case RP_RO64: {
		uint64_t v = rp->snap[wi] | (uint64_t)rp->snap[wi + 1] << 32;

		if (v != seen64(rp, wi)) {
			__atomic_store_n((uint64_t *)(void *)p, v, __ATOMIC_RELEASE);
			set_seen64(rp, wi, v);
		}
		break;
	}
	case RP_GUEST: {
		bool wide = rp->cls[wi + 1] == RP_GUEST_HI;

		if (wide) {
			uint64_t v = rp->snap[wi] | (uint64_t)rp->snap[wi + 1] << 32;
			uint64_t expect = seen64(rp, wi);

			if (v != expect &&
			    __atomic_compare_exchange_n((uint64_t *)(void *)p, &expect, v, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				set_seen64(rp, wi, v);
		} else {
			uint32_t expect = rp->seen[wi];

			if (rp->snap[wi] != expect &&
			    __atomic_compare_exchange_n(p, &expect, rp->snap[wi], false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				rp->seen[wi] = rp->snap[wi];
		}
		break;
	}
	default:	/* upper halves (done with their low half), GCMD, IVA */
		break;
	}
}

void liommu__viommu_regpage_publish(struct viommu_regpage *rp)
{
	unsigned int frcd_lo = LIOMMU_MODEL_FRCD_OFFSET / 4, wi, b;
	uint64_t seq;

	/* Only the live part of the file: above the fault records the
	 * model implements nothing (liommu_model_regs_snapshot()), and
	 * what the page shows there is the zero of _init() (a guest's
	 * stores there are the sweep's). */
	liommu_model_regs_snapshot(rp->m, rp->snap, rp->live_words * 4, &seq);
	rp->snap[VTD_GSTS_REG / 4] &= ~rp->gsts_hide;
	/* Fault records first (each one's information before its F bit),
	 * so that FSTS.PPF, published after, never points at a record the
	 * page does not show yet. */
	for (wi = frcd_lo; wi < rp->live_words; wi++)
		publish_word(rp, wi);
	/* Skip blocks where the page already shows the unit's value (a
	 * 64-bit register's halves never straddle a block: they are 8-byte
	 * aligned). */
	for (b = 0; b < frcd_lo; b += RP_BLOCK) {
		unsigned int end = b + RP_BLOCK < frcd_lo ? b + RP_BLOCK : frcd_lo;

		if (!memcmp(&rp->snap[b], &rp->seen[b], (end - b) * sizeof(rp->snap[0])))
			continue;
		for (wi = b; wi < end; wi++)
			publish_word(rp, wi);
	}
	rp->pub_seq = seq;
	rp_count(&rp->publications, 1);
}

unsigned int liommu__viommu_regpage_sweep(struct viommu_regpage *rp)
{
	unsigned int wi, n = 0;

	for (wi = 0; wi < RP_WORDS; wi++) {
		uint8_t c = rp->cls[wi];

		if (c != RP_RO && c != RP_RO64 && c != RP_RO64_HI)
			continue;
		if (ld32(&rp->page[wi]) != rp->seen[wi]) {
			__atomic_store_n(&rp->page[wi], rp->seen[wi], __ATOMIC_RELEASE);
			n++;
		}
	}
	rp_count(&rp->repaired, n);
	return n;
}
