// SPDX-License-Identifier: MIT
/*
 * diff-scenario.c - generate random VT-d scenarios and run each on two
 * units, comparing every observable after every operation (see
 * diff-scenario.h for the format and the physical layout).
 *
 * The device is QEMU's edu on the qemu side and a stand-in on a sim side
 * that behaves like it: a 4 KiB buffer and a DMA engine whose requests are
 * cut at 4 KiB boundaries of the I/O address, as PCIe requests are (a
 * request never crosses a 4 KiB boundary), so a transfer that faults on
 * one page still moves the others, as QEMU's edu does.  Where the device,
 * not the IOMMU, decides what happens, the stand-in copies edu: a blocked
 * read fills that piece of the buffer with zeros (QEMU completes it from
 * unassigned memory; real hardware would abort the request, a device
 * matter the VT-d specification does not cover).
 *
 * Choices that keep the comparison about VT-d semantics (each is a place
 * where either behaviour is allowed, and the generator stays clear of it):
 *  - the sim's IOTLB and context cache are large enough that nothing is
 *    evicted within a scenario (QEMU evicts only when 1024 IOTLB entries
 *    fill up; the scenarios stay far below that), and the PDE cache is
 *    off (QEMU 7.2 caches no paging-structure entries);
 *  - translation is turned off and on only when no stale mapping is
 *    pending, and the sim's unit flushes its caches on every TE change
 *    (liommu_model_config.flush_on_te): QEMU does (vtd_handle_gcmd_te()),
 *    the spec leaves it to software, and an entry the model kept would
 *    show as soon as it went stale;
 *  - no wait descriptor has both SW and IF, or neither: QEMU 7.2 handles
 *    SW and ignores IF when both are set, and reports IQE when neither is
 *    (vtd_process_wait_desc()); the model follows 6.5.2.8 for both;
 *  - IEC index masks stay within ECAP.MHMV (QEMU does not check it);
 *  - event addresses (FEADDR, IEADDR) stay in the interrupt range, so
 *    QEMU's interrupt message lands in the APIC, not in RAM;
 *  - a fault record's PASID value is not compared (QEMU 7.2 writes 0xffff
 *    there with PP = 0, the model 0; PV means nothing without PP);
 *  - a DMA refused by a cached translation's permissions: the model
 *    records 0x05/0x06, QEMU 7.2 records nothing (perm_fault_on_hit());
 *  - IRTA.EIME without ECAP.EIM: RsvdZ in the model, writable in QEMU;
 *  - FECTL.IP after fault records are cleared: see fsts_touch();
 *  - IQERCD is not compared: QEMU 7.2 does not implement it (reads 0);
 *    check-model checks the model's against the spec;
 *  - after every page-selective IOTLB invalidation (a driver's or a raw
 *    descriptor) the runner drops the domain's IOTLB entries on both
 *    sides with a domain-selective one (psi_resync()): QEMU 7.2 keeps the
 *    PSI address mask in a uint8_t (VTDIOTLBPageInvInfo.mask, widened
 *    upstream in 2024), so vtd_hash_remove_by_page() compares only bits
 *    7:AM of the page number, and nothing for AM >= 8: it drops entries
 *    of the domain far outside the range, which shows as soon as one of
 *    them goes stale.  check-model's psi_drops_only_its_range checks the
 *    model's exact range instead.  (Found with LIOMMU_SEED=0x16,
 *    scenario 130: after a strict unmap of a 2 MiB page QEMU walked for
 *    a stale 4 KiB page elsewhere in the domain.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include <liommu/model.h>

#include "diff-scenario.h"
#include "../libiommu/driver/unit.h"

#define SP_SIZE		0x200000ULL

/* DMAs that met QEMU 7.2's silent permission block (perm_fault_on_hit). */
static unsigned long quirks;
#define SIM_MEM		(256ULL << 20)
#define SIM_RESERVED	(16ULL << 20)

/* ------------------------------------------------------------------ */
/* Sides                                                               */
/* ------------------------------------------------------------------ */

int diff_side_sim(struct diff_side *s, const struct liommu_model_config *mc)
{
	struct liommu_model_config def;
	struct liommu_sim_config sc = { .mem_size = SIM_MEM, .mem_base = 0 };
	uint64_t pa;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!mc) {
		liommu_model_config_default(&def);
		def.iotlb_entries = 16384;
		def.context_entries = 1024;
		def.pde_entries = 0;
		def.flush_on_te = true;	/* as QEMU (see the file comment) */
		mc = &def;
	}
	sc.model = mc;
	ret = liommu_sim_new(&sc, &s->sim);
	if (ret)
		return ret;
	/* Keep [0, 16 MiB) away from table pages: the data region must be at
	 * the same physical addresses as on QEMU. */
	ret = liommu_sim_alloc(s->sim, SIM_RESERVED, NULL, &pa);
	if (ret || pa != 0) {
		liommu_sim_free(s->sim);
		return ret ? ret : -ENOMEM;
	}
	s->name = "sim";
	s->plat = liommu_sim_platform(s->sim);
	s->ram = liommu_sim_mem(s->sim, NULL, NULL);
	s->sid = vtd_sid(0, 1, 0);	/* where QEMU puts edu */
	s->attached = -1;
	return 0;
}

int diff_side_qemu(struct diff_side *s, struct liommu_qemu *q)
{
	uint64_t base, size;

	memset(s, 0, sizeof(*s));
	if (liommu_qemu_data_region(q, &base, &size) || base > DIFF_POOL ||
	    base + size < DIFF_REGION_END)
		return -EINVAL;
	s->name = "qemu";
	s->q = q;
	s->plat = liommu_qemu_platform(q);
	s->ram = liommu_qemu_ram(q, NULL);
	s->sid = liommu_qemu_edu_sid(q);
	s->attached = -1;
	return 0;
}

/*
 * A vIOMMU side.  The instance's unit is the one the sim side is built
 * with (diff_viommu_unit_config()), so any difference is the engine's:
 * its memory interface, its register page, its sidecore.  Nothing is
 * attached (no device is assigned), so there is no host domain and the
 * guest RAM's backend address is never used.
 */
void diff_viommu_unit_config(struct liommu_model_config *mc)
{
	struct liommu_viommu_config vc;

	liommu_viommu_config_default(&vc);
	*mc = vc.unit;
	mc->iotlb_entries = 16384;
	mc->context_entries = 1024;
	mc->pde_entries = 0;
	mc->flush_on_te = true;		/* liommu_viommu_new() forces it */
}

#define SETTLE_PASSES	3u
#define SETTLE_WAIT_NS	5000000000ull	/* 5 s: sanitizers, a loaded machine */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * SIDECORE: a register store reaches the unit on the sidecore's next
 * pass, and what it caused reaches the page in the same pass.  A pass
 * that was under way when the stores were made may have scanned before
 * them; the one after it has not; one more covers a pass counter store
 * still in the thread's store buffer when it was read (x86-TSO lets the
 * thread's next loads pass it).  Hence SETTLE_PASSES whole passes after
 * a full fence, kicked, bounded in time.  With sweep_passes = 1 each of
 * them also restores read-only words the runner's raw writes changed.
 */
static int sidecore_settle(struct diff_side *s)
{
	struct liommu_sidecore_stats st;
	uint64_t start, t0 = 0;
	struct timespec d = { 0, 2000 };

	atomic_thread_fence(memory_order_seq_cst);
	liommu_sidecore_get_stats(s->sc, &st);
	start = st.passes;
	s->settles++;
	for (;;) {
		liommu_sidecore_kick(s->sc);
		liommu_sidecore_get_stats(s->sc, &st);
		if (st.passes - start >= SETTLE_PASSES)
			return 0;
		if (!t0)
			t0 = mono_ns();
		else if (mono_ns() - t0 > SETTLE_WAIT_NS)
			break;
		nanosleep(&d, NULL);
	}
	s->settle_timeouts++;
	return -ETIMEDOUT;
}

/*
 * SIDECORE: the runner's and the driver's register accesses go to the
 * page through the guest platform's ops, with two exceptions, each
 * explicit and counted:
 *
 * 1. The documented deviation (docs/viommu.md, "What plain memory
 *    cannot show"): a write-1-to-clear store of exactly the value the
 *    page shows leaves the page unchanged, so no poller can see it.  The
 *    runner makes such stores (the queue recovery writes IQE when FSTS
 *    shows IQE alone; side_start clears ICS.IWC with 1) and so does the
 *    driver (liommu_unit_read_faults() clears FSTS.PFO with PFO alone,
 *    which is all FSTS shows once the records are cleared).  Hardware
 *    and TRAP mode act on them.  Here such a store gets one more bit
 *    that the unit never shows and whose write does nothing: FSTS.PRO
 *    (11.4.9.1, RW1C; the unit has no page requests, PRO stays 0, which
 *    is how Linux 6.1's PFO|PPF|PRO clear is seen) or reserved bit 1 of
 *    ICS.  The unit receives the same clear. (@w1c_visible)
 *
 * 2. GSTS's one-shot status bits (RTPS, IRTPS) stay set after their
 *    command (11.4.5), and the page cannot clear them at the guest's
 *    GCMD store as hardware does; the engine hides them once they have
 *    been shown for liommu_viommu_config.oneshot_hold_ns (1 s), so a
 *    guest repeating SRTP later waits for its own completion.  Within
 *    the hold (docs/viommu.md lists it) the repeat reads complete at
 *    once, before the sidecore consumed the store, and a second GCMD
 *    store before the next pass overwrites it: the command is lost.
 *    liommu_unit_new() on a used instance does exactly this, within
 *    milliseconds (SRTP, then QIE).  The side runs with the hold off
 *    (UINT64_MAX: GSTS then reads as the sim's, whatever the timing),
 *    and every GCMD store waits, bounded, until the page shows the
 *    sentinel again (consumed), so the driver's own GSTS wait then reads
 *    the command's real status.  (@gcmd_early counts the one-shot stores
 *    that met their status bit already set.)
 *
 * 3. Not documented either; an engine bug of the same kind (reported):
 *    after a write-1-to-clear store (FSTS, ICS, a fault record's F) the
 *    page shows the value stored, 1s included, until the next pass: a
 *    guest reading the register back sees the bits it just cleared set
 *    (after liommu__fault_clear_all()'s FSTS store, every error bit).
 *    The driver does read back: qi_sync_locked() clears IQE and reads
 *    FSTS again at once, sees IQE, "recovers" a good descriptor and
 *    gives up with -EIO ("invalidation queue cannot be recovered").
 *    Here such a store settles the side before returning.  (@w1c_settled)
 *
 * 4. (No longer an exception: a pass that sees IQT, IQA and GCMD.QIE
 *    together while QI is disabled forwards IQT before GCMD, regpage.c,
 *    so a re-enabled queue starts from the new tail.  Before that fix the
 *    runner had to settle the side before each GCMD store.)
 *
 * Other stores and every load pass through untouched.
 */
#define FSTS_PRO	VTD_BIT64(7)
#define ICS_RSVD1	VTD_BIT64(1)
#define GCMD_SENTINEL	0x007fffffu	/* docs/viommu.md: GCMD after a command */

static uint32_t bus_rd32(void *priv, uint32_t off)
{
	struct diff_side *s = priv;

	return liommu__rd32(s->gplat, off);
}

static uint64_t bus_rd64(void *priv, uint32_t off)
{
	struct diff_side *s = priv;

	return liommu__rd64(s->gplat, off);
}

static void bus_gcmd_wait(struct diff_side *s)
{
	struct timespec d = { 0, 2000 };
	uint64_t t0 = mono_ns();

	while (liommu__rd32(s->gplat, VTD_GCMD_REG) != GCMD_SENTINEL) {
		if (mono_ns() - t0 > SETTLE_WAIT_NS) {
			s->settle_timeouts++;
			return;
		}
		liommu_sidecore_kick(s->sc);
		nanosleep(&d, NULL);
	}
}

/* The high half of the one fault record (CAP.NFR = 0 in this unit). */
static bool bus_frcd_hi(uint32_t off)
{
	return off >= LIOMMU_MODEL_FRCD_OFFSET + 8 && off < LIOMMU_MODEL_FRCD_OFFSET + 16;
}

static void bus_wr32(void *priv, uint32_t off, uint32_t val)
{
	struct diff_side *s = priv;
	uint32_t w1c = off == VTD_FSTS_REG ? (uint32_t)VTD_FSTS_RW1C :
		       off == VTD_ICS_REG  ? (uint32_t)VTD_ICS_IWC : 0;

	if ((val & w1c) && liommu__rd32(s->gplat, off) == val) {
		val |= (uint32_t)(off == VTD_FSTS_REG ? FSTS_PRO : ICS_RSVD1);
		s->w1c_visible++;
	}
	if (off == VTD_GCMD_REG) {
		uint32_t oneshot = val & (uint32_t)(VTD_GCMD_SRTP | VTD_GCMD_SIRTP);

		/* GCMD and GSTS share the bit positions (11.4.4, 11.4.5). */
		if (oneshot && (liommu__rd32(s->gplat, VTD_GSTS_REG) & oneshot))
			s->gcmd_early++;
		liommu__wr32(s->gplat, off, val);
		bus_gcmd_wait(s);
		return;
	}
	liommu__wr32(s->gplat, off, val);
	if (w1c || bus_frcd_hi(off)) {
		s->w1c_settled++;
		sidecore_settle(s);
	}
}

static void bus_wr64(void *priv, uint32_t off, uint64_t val)
{
	struct diff_side *s = priv;

	liommu__wr64(s->gplat, off, val);
	if (bus_frcd_hi(off)) {
		s->w1c_settled++;
		sidecore_settle(s);
	}
}

static int bus_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct diff_side *s = priv;

	return liommu_platform_get_ops(s->gplat)->page_alloc(liommu_platform_get_priv(s->gplat),
							      node, va, pa);
}

static void bus_page_free(void *priv, void *va, uint64_t pa)
{
	struct diff_side *s = priv;

	liommu_platform_get_ops(s->gplat)->page_free(liommu_platform_get_priv(s->gplat), va, pa);
}

static void *bus_phys_map(void *priv, uint64_t pa, size_t len)
{
	struct diff_side *s = priv;

	return liommu_platform_phys_map(s->gplat, pa, len);
}

static const struct liommu_platform_ops bus_ops = {
	.read32 = bus_rd32,
	.read64 = bus_rd64,
	.write32 = bus_wr32,
	.write64 = bus_wr64,
	.page_alloc = bus_page_alloc,
	.page_free = bus_page_free,
	.phys_map = bus_phys_map,
};

int diff_side_viommu(struct diff_side *s, enum liommu_viommu_mode mode,
		     const struct liommu_model_config *mc)
{
	struct liommu_sidecore_config scc;
	struct liommu_viommu_config vc;
	void *ram;
	int ret;

	memset(s, 0, sizeof(*s));
	s->attached = -1;
	liommu_viommu_config_default(&vc);
	if (mc)
		vc.unit = *mc;
	else
		diff_viommu_unit_config(&vc.unit);
	vc.mode = mode;
	vc.oneshot_hold_ns = UINT64_MAX;	/* exception 2 below */
	ram = mmap(NULL, SIM_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return -ENOMEM;
	s->ram = ram;
	ret = liommu_viommu_new(&vc, &s->v);
	if (ret)
		goto err;
	/* Backend 0: arbitrary, nothing is attached. */
	ret = liommu_viommu_mem_add(s->v, 0, SIM_MEM, s->ram, 0);
	if (ret)
		goto err;
	if (mode == LIOMMU_VIOMMU_SIDECORE) {
		liommu_sidecore_config_default(&scc);
		/* Restore guest-overwritten read-only words every pass, so a
		 * settled page shows the unit's values (raw writes to CAP,
		 * GSTS, VER, IQH ... are ignored by a real unit). */
		scc.sweep_passes = 1;
		ret = liommu_sidecore_new(&scc, &s->sc);
		if (ret)
			goto err;
		ret = liommu_sidecore_add(s->sc, s->v);
		if (ret)
			goto err;
		s->settle = sidecore_settle;
	}
	/* Table pages from where the sim side's allocator takes them. */
	ret = liommu_viommu_guest_platform_new(s->v, SIM_RESERVED, SIM_MEM - SIM_RESERVED,
					       &s->gplat);
	if (ret)
		goto err;
	s->plat = s->gplat;
	if (mode == LIOMMU_VIOMMU_SIDECORE) {
		ret = liommu_platform_new(&bus_ops, s, &s->plat);
		if (ret) {
			s->plat = s->gplat;
			goto err;
		}
	}
	s->name = mode == LIOMMU_VIOMMU_SIDECORE ? "viommu-sidecore" : "viommu-trap";
	s->sid = vtd_sid(0, 1, 0);
	return 0;
err:
	diff_side_viommu_free(s);
	return ret;
}

void diff_side_viommu_free(struct diff_side *s)
{
	diff_side_fini(s);
	if (s->plat != s->gplat)
		liommu_platform_free(s->plat);
	liommu_platform_free(s->gplat);
	s->plat = s->gplat = NULL;
	if (s->sc) {
		if (s->v)
			liommu_sidecore_remove(s->sc, s->v);
		liommu_sidecore_free(s->sc);
		s->sc = NULL;
	}
	liommu_viommu_free(s->v);
	s->v = NULL;
	if (s->ram)
		munmap(s->ram, SIM_MEM);
	s->ram = NULL;
}

static int settle(struct diff_side *s)
{
	return s->settle ? s->settle(s) : 0;
}

void diff_side_fini(struct diff_side *s)
{
	unsigned int d;

	for (d = 0; d < DIFF_DOMAINS; d++) {
		if (s->dom[d] && s->g[d].end)
			liommu_domain_flush(s->dom[d], &s->g[d]);
		liommu_domain_free(s->dom[d]);
		s->dom[d] = NULL;
	}
	liommu_unit_free(s->u);
	s->u = NULL;
	s->attached = -1;
}

/*
 * edu's DMA: [iova, iova + len) <-> buffer [off, off + len).  The sim
 * stand-in cuts the request at 4 KiB boundaries and zero-fills a blocked
 * read's piece, as QEMU's edu ends up doing (see the file comment).
 */
static int side_dma(struct diff_side *s, bool to_ram, uint64_t iova, uint32_t off,
		    uint32_t len)
{
	struct liommu_model *m;

	if (s->q)
		return liommu_qemu_edu_dma(s->q, to_ram ? LIOMMU_EDU_TO_RAM : LIOMMU_EDU_FROM_RAM,
					   iova, off, len, NULL);
	m = s->v ? liommu_viommu_model(s->v) : liommu_sim_model(s->sim);
	while (len) {
		uint32_t n = (uint32_t)(VTD_PAGE_SIZE - (iova & (VTD_PAGE_SIZE - 1)));
		int r;

		if (n > len)
			n = len;
		if (to_ram) {
			r = liommu_model_dma_write(m, s->sid, iova, s->edu + off, n, NULL);
		} else {
			r = liommu_model_dma_read(m, s->sid, iova, s->edu + off, n, NULL);
			if (r == -EFAULT)
				memset(s->edu + off, 0, n);
		}
		if (r && r != -EFAULT)
			return r;	/* -EIO: a stray access, never expected */
		iova += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Observables                                                         */
/* ------------------------------------------------------------------ */

struct reg_desc {
	const char *name;
	uint32_t off;
	unsigned int width;
	uint64_t mask;		/* bits compared */
	bool dynamic;
};

/*
 * FRCD0 is at CAP.FRO * 16 = 0x220 on both (CAP is compared).  @dynamic:
 * can change without a write to the register window from the runner
 * (a DMA, a descriptor, a driver call): compared after every operation;
 * the rest at the start, after raw register writes and at the end (each
 * register read is a qtest round trip, the runner's main cost).
 */
static const struct reg_desc regs[] = {
	{ "GSTS",    VTD_GSTS_REG,    32, ~0ULL, true },
	{ "FSTS",    VTD_FSTS_REG,    32, ~0ULL, true },
	{ "FECTL",   VTD_FECTL_REG,   32, ~0ULL, true },
	{ "IQH",     VTD_IQH_REG,     64, ~0ULL, true },
	{ "IQT",     VTD_IQT_REG,     64, ~0ULL, true },
	/* The queue base is a page of each side's own allocator. */
	{ "IQA.QS",  VTD_IQA_REG,     64, VTD_IQA_DW | VTD_IQA_QS, true },
	{ "ICS",     VTD_ICS_REG,     32, ~0ULL, true },
	{ "IECTL",   VTD_IECTL_REG,   32, ~0ULL, true },
	{ "FRCD0.lo", LIOMMU_MODEL_FRCD_OFFSET, 64, ~0ULL, true },
	/* QEMU 7.2 records PV = 0xffff (its PCI_NO_PASID) with PP = 0; the
	 * spec makes PV meaningful only with PP = 1 (11.4.14), the model
	 * writes 0.  PP itself is compared. */
	{ "FRCD0.hi", LIOMMU_MODEL_FRCD_OFFSET + 8, 64, ~VTD_FRCD_HI_PV, true },
	{ "VER",     VTD_VER_REG,     32, ~0ULL, false },
	{ "CAP",     VTD_CAP_REG,     64, ~0ULL, false },
	{ "ECAP",    VTD_ECAP_REG,    64, ~0ULL, false },
	{ "CCMD",    VTD_CCMD_REG,    64, ~0ULL, false },
	{ "FEDATA",  VTD_FEDATA_REG,  32, ~0ULL, false },
	{ "FEADDR",  VTD_FEADDR_REG,  32, ~0ULL, false },
	{ "FEUADDR", VTD_FEUADDR_REG, 32, ~0ULL, false },
	{ "PMEN",    VTD_PMEN_REG,    32, ~0ULL, false },
	{ "IEDATA",  VTD_IEDATA_REG,  32, ~0ULL, false },
	{ "IEADDR",  VTD_IEADDR_REG,  32, ~0ULL, false },
	{ "IEUADDR", VTD_IEUADDR_REG, 32, ~0ULL, false },
	/* IRTA.EIME is RsvdZ without ECAP.EIM (11.4.10); QEMU 7.2 keeps it
	 * writable (vtd_init()'s IRTA write mask). */
	{ "IRTA",    VTD_IRTA_REG,    64, ~VTD_IRTA_EIME, false },
	{ "IOTLB",   LIOMMU_MODEL_IVA_OFFSET + 8, 64, ~0ULL, false },
};
#define NREGS	(sizeof(regs) / sizeof(regs[0]))

static uint64_t reg_read(struct diff_side *s, const struct reg_desc *r)
{
	uint64_t v = r->width == 64 ? liommu__rd64(s->plat, r->off) :
				      liommu__rd32(s->plat, r->off);

	/* A fault record's fields mean something only while F is set
	 * (11.4.14): a cleared record keeps whatever was last there. */
	if (r->off == LIOMMU_MODEL_FRCD_OFFSET &&
	    !(liommu__rd64(s->plat, r->off + 8) & VTD_FRCD_HI_F))
		return 0;
	if (r->off == LIOMMU_MODEL_FRCD_OFFSET + 8 && !(v & VTD_FRCD_HI_F))
		return 0;
	return v & r->mask;
}

struct ctx {
	char *why;
	size_t why_len;
	unsigned int op;
};

static int differ(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int differ(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->why, c->why_len, "op %u: ", c->op);
	if (n < 0 || (size_t)n >= c->why_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->why + n, c->why_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int compare_regs(struct ctx *c, struct diff_side *a, struct diff_side *b, bool all)
{
	unsigned int i;

	for (i = 0; i < NREGS; i++) {
		if (!all && !regs[i].dynamic)
			continue;
		uint64_t va = reg_read(a, &regs[i]), vb = reg_read(b, &regs[i]);

		if (va != vb)
			return differ(c, "%s: %s 0x%" PRIx64 ", %s 0x%" PRIx64, regs[i].name,
				      a->name, va, b->name, vb);
	}
	return 0;
}

static int compare_mem(struct ctx *c, struct diff_side *a, struct diff_side *b,
		       uint64_t pa, uint64_t len)
{
	const uint8_t *pa_a = a->ram + pa, *pa_b = b->ram + pa;
	uint64_t i;

	if (!memcmp(pa_a, pa_b, len))
		return 0;
	for (i = 0; i < len && pa_a[i] == pa_b[i]; i++)
		;
	return differ(c, "memory at 0x%" PRIx64 ": %s 0x%02x, %s 0x%02x", pa + i, a->name,
		      pa_a[i], b->name, pa_b[i]);
}

static int compare_windows(struct ctx *c, struct diff_side *a, struct diff_side *b)
{
	if (compare_mem(c, a, b, DIFF_POOL, DIFF_POOL_PAGES * VTD_PAGE_SIZE) ||
	    compare_mem(c, a, b, DIFF_SP0, DIFF_SP_WINDOW) ||
	    compare_mem(c, a, b, DIFF_SP1, DIFF_SP_WINDOW))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reset between scenarios                                             */
/* ------------------------------------------------------------------ */

static void fill_region(uint8_t *ram, uint64_t seed)
{
	uint64_t *p = (uint64_t *)(ram + DIFF_POOL);
	size_t i, n = (DIFF_REGION_END - DIFF_POOL) / 8;

	for (i = 0; i < n; i++)
		p[i] = diff_rand(&seed);
	memset(ram + DIFF_STATUS, 0, VTD_PAGE_SIZE);
}

/*
 * Bring a side to the scenario's starting state: a fresh driver unit, the
 * registers a previous scenario may have left changed put back, edu's
 * buffer loaded from the data region (translation off: pa = iova), two
 * domains, edu attached to the first, translation on.
 */
static int side_start(struct diff_side *s, uint64_t seed)
{
	struct liommu_fault f[4];
	unsigned int d;
	int ret;

	diff_side_fini(s);
	fill_region(s->ram, seed);
	ret = liommu_unit_new(s->plat, NULL, &s->u);
	if (ret)
		return ret;
	liommu__wr32(s->plat, VTD_FSTS_REG, (uint32_t)VTD_FSTS_RW1C);
	liommu__wr32(s->plat, VTD_ICS_REG, (uint32_t)VTD_ICS_IWC);
	liommu__wr32(s->plat, VTD_FECTL_REG, (uint32_t)VTD_FECTL_IM);
	liommu__wr32(s->plat, VTD_IECTL_REG, (uint32_t)VTD_IECTL_IM);
	liommu__wr32(s->plat, VTD_FEDATA_REG, 0);
	liommu__wr32(s->plat, VTD_FEADDR_REG, 0);
	liommu__wr32(s->plat, VTD_FEUADDR_REG, 0);
	liommu__wr32(s->plat, VTD_IEDATA_REG, 0);
	liommu__wr32(s->plat, VTD_IEADDR_REG, 0);
	liommu__wr32(s->plat, VTD_IEUADDR_REG, 0);
	liommu__wr64(s->plat, VTD_IRTA_REG, 0);
	liommu__wr64(s->plat, VTD_CCMD_REG, 0);
	liommu__wr64(s->plat, LIOMMU_MODEL_IVA_OFFSET + 8, 0);
	ret = settle(s);
	if (ret)
		return ret;
	ret = liommu_unit_read_faults(s->u, f, 4, NULL);
	if (ret < 0)
		return ret;
	ret = side_dma(s, false, DIFF_POOL, 0, DIFF_BUF_USABLE);
	if (ret)
		return ret;
	for (d = 0; d < DIFF_DOMAINS; d++) {
		struct liommu_gather g = LIOMMU_GATHER_INIT;

		s->g[d] = g;
		ret = liommu_domain_new(s->u, &s->dom[d]);
		if (ret)
			return ret;
	}
	ret = liommu_domain_attach(s->dom[0], s->sid);
	if (ret)
		return ret;
	s->attached = 0;
	ret = liommu_unit_enable_translation(s->u);
	return ret ? ret : settle(s);
}

/* ------------------------------------------------------------------ */
/* Executing one operation                                             */
/* ------------------------------------------------------------------ */

/* What an operation returned, beyond the registers and memory. */
struct result {
	int rc;
	bool quirk;		/* DMA hits QEMU's silent permission block */
	int nfaults;
	bool overflow;
	struct liommu_fault f[4];
};

static void qi_put(struct diff_side *s, struct vtd_inv_desc d, unsigned int slot)
{
	struct liommu_unit *u = s->u;
	struct vtd_inv_desc *q = (struct vtd_inv_desc *)u->iq_pages[slot / 256] + slot % 256;

	__atomic_store_n(&q->hi, d.hi, __ATOMIC_RELAXED);
	__atomic_store_n(&q->lo, d.lo, __ATOMIC_RELEASE);
}

static int exec_qi(struct diff_side *s, const struct diff_op *op)
{
	struct liommu_unit *u = s->u;
	unsigned int i;

	for (i = 0; i < op->ndesc; i++) {
		struct vtd_inv_desc d = op->desc[i];

		if (op->desc_did[i]) {
			uint64_t did = liommu_domain_id(s->dom[op->dom]);

			if (vtd_field_get(VTD_INV_TYPE, d.lo) == VTD_INV_TYPE_CC)
				d.lo = (d.lo & ~VTD_INV_CC_DID) | vtd_field_prep(VTD_INV_CC_DID, did);
			else
				d.lo = (d.lo & ~VTD_INV_IOTLB_DID) |
				       vtd_field_prep(VTD_INV_IOTLB_DID, did);
		}
		if (vtd_field_get(VTD_INV_TYPE, d.lo) == VTD_INV_TYPE_CC &&
		    vtd_field_get(VTD_INV_CC_G, d.lo) == VTD_CC_GRAN_DEVICE)
			d.lo = (d.lo & ~VTD_INV_CC_SID) | vtd_field_prep(VTD_INV_CC_SID, s->sid);
		qi_put(s, d, u->iq_tail);
		u->iq_tail = (u->iq_tail + 1) % u->iq_entries;
	}
	liommu__wr64(s->plat, VTD_IQT_REG, (uint64_t)u->iq_tail << 4);
	return 0;
}

/* After a queue error: put a harmless wait where IQH stopped, clear IQE,
 * write the tail again (hardware resumes on the IQE clear, QEMU 7.2 only
 * on the tail write: after both, the two agree again). */
static void qi_recover(struct diff_side *s)
{
	unsigned int head = (unsigned int)(liommu__rd64(s->plat, VTD_IQH_REG) >> 4);

	qi_put(s, vtd_inv_wait(true, 0xdead, DIFF_STATUS + 0xff0, false, false), head);
	liommu__wr32(s->plat, VTD_FSTS_REG, (uint32_t)VTD_FSTS_IQE);
	liommu__wr64(s->plat, VTD_IQT_REG, (uint64_t)s->u->iq_tail << 4);
}

/*
 * QEMU 7.2 checks a cached translation's permissions without recording a
 * fault: on an IOTLB hit vtd_do_iommu_translate() returns the cached
 * entry, and the memory core then blocks a request the entry does not
 * allow (address_space_translate_iommu(): "unassigned") with no fault
 * record, no FSTS.PPF.  The spec records a fault (0x05/0x06) whether the
 * translation came from a cache or a walk (7.1.2, 6.2.1: the caches hold
 * what the tables say, the checks are the same); the model does.  On the
 * sim, this finds whether a DMA would hit that case: a probe that records
 * nothing, counted as an IOTLB hit and refused for R/W.  It changes no
 * cache (a refused walk inserts nothing; an allowed one inserts what the
 * DMA itself would).
 */
static bool perm_fault_on_hit(struct diff_side *s, const struct diff_op *op)
{
	struct liommu_model *m;
	uint64_t iova = op->iova & VTD_PAGE_MASK;
	bool quirk = false;

	if (!s->sim)
		return false;
	m = liommu_sim_model(s->sim);
	for (; iova < op->iova + op->len; iova += VTD_PAGE_SIZE) {
		struct liommu_model_stats before, after;
		struct liommu_fault f;
		int r;

		liommu_model_get_stats(m, &before);
		r = liommu_model_translate(m, s->sid, iova, LIOMMU_MODEL_NO_RECORD |
					   (op->to_ram ? LIOMMU_MODEL_WRITE : LIOMMU_MODEL_READ),
					   NULL, &f);
		liommu_model_get_stats(m, &after);
		if (r == -EFAULT && (f.reason == VTD_FR_READ || f.reason == VTD_FR_WRITE) &&
		    after.iotlb_hits > before.iotlb_hits)
			quirk = true;
	}
	return quirk;
}

/*
 * Spec 11.4.9.2: FECTL.IP clears when software has serviced every status
 * condition, clearing the F fields included.  QEMU 7.2 re-evaluates IP
 * only when FSTS is written (vtd_handle_fsts_write()), so after records
 * are cleared its IP stays set until some FSTS write.  Linux's fault
 * handler always writes FSTS last, which hides it; so does the runner,
 * with a write that clears nothing, after anything that clears F.
 */
static void fsts_touch(struct diff_side *s)
{
	liommu__wr32(s->plat, VTD_FSTS_REG, 0);
}

static void exec_op(struct diff_side *s, const struct diff_op *op, struct result *r)
{
	struct liommu_domain *dom = s->dom[op->dom];

	memset(r, 0, sizeof(*r));
	switch (op->kind) {
	case DOP_MAP:
		r->rc = liommu_domain_map(dom, op->iova, op->pa, op->size, op->prot);
		break;
	case DOP_UNMAP:
		r->rc = liommu_domain_unmap(dom, op->iova, op->size);
		break;
	case DOP_UNMAP_NOSYNC:
		r->rc = liommu_domain_unmap_nosync(dom, op->iova, op->size, &s->g[op->dom]);
		break;
	case DOP_FLUSH:
		r->rc = liommu_domain_flush(dom, &s->g[op->dom]);
		break;
	case DOP_ATTACH:
		r->rc = liommu_domain_attach(dom, s->sid);
		if (!r->rc)
			s->attached = (int)op->dom;
		break;
	case DOP_DETACH:
		r->rc = liommu_domain_detach(dom, s->sid);
		if (!r->rc)
			s->attached = -1;
		break;
	case DOP_TE:
		r->rc = op->val ? liommu_unit_enable_translation(s->u) :
				  liommu_unit_disable_translation(s->u);
		break;
	case DOP_DMA:
		r->quirk = perm_fault_on_hit(s, op);
		r->rc = side_dma(s, op->to_ram, op->iova, op->buf_off, op->len);
		break;
	case DOP_FAULTS:
		r->nfaults = liommu_unit_read_faults(s->u, r->f, 4, &r->overflow);
		fsts_touch(s);
		break;
	case DOP_REG32:
		liommu__wr32(s->plat, op->reg, (uint32_t)op->val);
		break;
	case DOP_REG64:
		liommu__wr64(s->plat, op->reg, op->val);
		if (op->reg == LIOMMU_MODEL_FRCD_OFFSET + 8)
			fsts_touch(s);
		break;
	case DOP_QI:
		r->rc = exec_qi(s, op);
		break;
	}
}

static int compare_results(struct ctx *c, struct diff_side *a, const struct result *ra,
			   struct diff_side *b, const struct result *rb)
{
	int i;

	if (ra->rc != rb->rc)
		return differ(c, "return code: %s %d, %s %d", a->name, ra->rc, b->name, rb->rc);
	if (ra->nfaults != rb->nfaults || ra->overflow != rb->overflow)
		return differ(c, "faults: %s %d%s, %s %d%s", a->name, ra->nfaults,
			      ra->overflow ? "+PFO" : "", b->name, rb->nfaults,
			      rb->overflow ? "+PFO" : "");
	for (i = 0; i < ra->nfaults; i++) {
		const struct liommu_fault *fa = &ra->f[i], *fb = &rb->f[i];

		if (fa->reason != fb->reason || fa->sid != fb->sid || fa->addr != fb->addr ||
		    fa->is_write != fb->is_write || fa->at != fb->at)
			return differ(c, "fault %d: %s reason 0x%x sid 0x%x addr 0x%" PRIx64
				      " %s, %s reason 0x%x sid 0x%x addr 0x%" PRIx64 " %s", i,
				      a->name, fa->reason, fa->sid, fa->addr,
				      fa->is_write ? "write" : "read", b->name, fb->reason,
				      fb->sid, fb->addr, fb->is_write ? "write" : "read");
	}
	return 0;
}

static int compare_all(struct ctx *c, struct diff_side *a, struct diff_side *b, bool all)
{
	if (compare_regs(c, a, b, all) || compare_windows(c, a, b))
		return -1;
	return 0;
}

unsigned long diff_quirks(void)
{
	return quirks;
}

/* Page-selective IOTLB invalidations the sim side's unit has performed
 * (the driver issues the same ones on both sides). */
static uint64_t sim_psi_count(const struct diff_side *a, const struct diff_side *b)
{
	const struct diff_side *s = a->sim ? a : b;
	struct liommu_model_stats st;

	if (!s->sim)
		return 0;
	liommu_model_get_stats(liommu_sim_model(s->sim), &st);
	return st.iotlb_invs_page;
}

/* QEMU 7.2's 8-bit PSI mask (see the file comment): drop the domain's
 * IOTLB entries on this side, so both sides cache the same again. */
static int psi_resync(struct diff_side *s, unsigned int dom)
{
	struct diff_op op = { .kind = DOP_QI, .dom = dom, .ndesc = 2 };

	op.desc[0] = vtd_inv_iotlb(VTD_IOTLB_GRAN_DOMAIN, 0, 0, 0, false, false, false);
	op.desc_did[0] = true;
	op.desc[1] = vtd_inv_wait(true, 0xfeed, DIFF_STATUS + 0xff8, false, false);
	return exec_qi(s, &op);
}

/* Both sides' writes have taken effect (struct diff_side's @settle). */
static int settle_both(struct ctx *c, struct diff_side *a, struct diff_side *b)
{
	int ea = settle(a), eb = settle(b);

	if (ea || eb)
		return differ(c, "settle: %s %d, %s %d", a->name, ea, b->name, eb);
	return 0;
}

int diff_run(const struct diff_scenario *sc, struct diff_side *a, struct diff_side *b,
	     char *why, size_t why_len)
{
	struct ctx c = { .why = why, .why_len = why_len, .op = 0 };
	struct result ra, rb;
	unsigned int i, k;
	uint64_t psi;
	int ea, eb;

	why[0] = 0;
	ea = side_start(a, sc->seed);
	eb = side_start(b, sc->seed);
	if (ea || eb) {
		snprintf(why, why_len, "start: %s %d, %s %d", a->name, ea, b->name, eb);
		return -1;
	}
	if (compare_all(&c, a, b, true))
		return -1;
	for (i = 0; i < sc->nops; i++) {
		const struct diff_op *op = &sc->ops[i];

		c.op = i;
		psi = sim_psi_count(a, b);
		exec_op(a, op, &ra);
		exec_op(b, op, &rb);
		if (settle_both(&c, a, b))
			return -1;
		/* QEMU's quirk only: a vIOMMU side is the model, and records
		 * the fault as the sim does (compared below). */
		if ((ra.quirk || rb.quirk) && !a->v && !b->v) {
			/* The one DMA QEMU blocks without a record (see
			 * perm_fault_on_hit()): compare the data, then drop
			 * the model's record so both go on from the same state. */
			struct liommu_fault f[4];

			if (compare_results(&c, a, &ra, b, &rb) || compare_windows(&c, a, b))
				return -1;
			liommu_unit_read_faults(a->u, f, 4, NULL);
			liommu_unit_read_faults(b->u, f, 4, NULL);
			fsts_touch(a);
			fsts_touch(b);
			quirks++;
			if (settle_both(&c, a, b))
				return -1;
		}
		if (compare_results(&c, a, &ra, b, &rb) ||
		    compare_all(&c, a, b, op->kind == DOP_REG32 || op->kind == DOP_REG64))
			return -1;
		/* One recovery per malformed descriptor: after the first,
		 * the queue moves on to the next one and stops again.  Left
		 * stopped, a later raw FSTS write clearing IQE would resume
		 * the model (as hardware does) but not QEMU 7.2. */
		for (k = 0; op->kind == DOP_QI && k <= DIFF_MAX_DESC &&
			    (liommu__rd32(a->plat, VTD_FSTS_REG) & VTD_FSTS_IQE); k++) {
			qi_recover(a);
			qi_recover(b);
			if (settle_both(&c, a, b) || compare_all(&c, a, b, false))
				return -1;
		}
		if (sim_psi_count(a, b) != psi) {
			ea = psi_resync(a, op->dom);
			eb = psi_resync(b, op->dom);
			if (ea || eb)
				return differ(&c, "resync: %s %d, %s %d", a->name, ea, b->name, eb);
			if (settle_both(&c, a, b) || compare_all(&c, a, b, false))
				return -1;
		}
	}
	/* Whatever DMA touched, anywhere in the region; then edu's buffer,
	 * written out with translation off. */
	c.op = sc->nops;
	if (compare_mem(&c, a, b, DIFF_POOL, DIFF_REGION_END - DIFF_POOL))
		return -1;
	ea = liommu_unit_disable_translation(a->u);
	eb = liommu_unit_disable_translation(b->u);
	if (ea || eb)
		return differ(&c, "disable: %s %d, %s %d", a->name, ea, b->name, eb);
	ea = side_dma(a, true, DIFF_POOL, 0, DIFF_BUF_USABLE);
	eb = side_dma(b, true, DIFF_POOL, 0, DIFF_BUF_USABLE);
	if (ea || eb)
		return differ(&c, "readback: %s %d, %s %d", a->name, ea, b->name, eb);
	if (compare_mem(&c, a, b, DIFF_POOL, DIFF_BUF_USABLE))
		return differ(&c, "device buffer differs (%s)", why);
	if (settle_both(&c, a, b))
		return -1;
	return compare_all(&c, a, b, true);
}

/* ------------------------------------------------------------------ */
/* Generation                                                          */
/* ------------------------------------------------------------------ */

struct gen {
	uint64_t rng;
	bool te;
	int attached;
	bool pending[DIFF_DOMAINS];
	unsigned int nmaps;
	struct { unsigned int dom; uint64_t iova, size; } maps[DIFF_MAX_OPS];
	uint32_t seq;
	uint64_t last_dma;
};

static uint64_t rnd(struct gen *g, uint64_t n)
{
	return n ? diff_rand(&g->rng) % n : 0;
}

static bool chance(struct gen *g, unsigned int percent)
{
	return rnd(g, 100) < percent;
}

static void gen_map(struct gen *g, struct diff_op *op)
{
	op->kind = DOP_MAP;
	op->dom = (unsigned int)rnd(g, DIFF_DOMAINS);
	op->prot = 1 + (unsigned int)rnd(g, 3);
	if (chance(g, 75)) {
		uint64_t n = 1 + rnd(g, 3), page = rnd(g, DIFF_IOVA_SMALL_PAGES - n + 1);

		op->iova = DIFF_IOVA_SMALL + page * VTD_PAGE_SIZE;
		op->size = n * VTD_PAGE_SIZE;
		op->pa = DIFF_POOL + rnd(g, DIFF_POOL_PAGES - 1 - n + 1) * VTD_PAGE_SIZE;
	} else {
		op->iova = DIFF_IOVA_SP + rnd(g, 3) * SP_SIZE;
		op->size = SP_SIZE;
		op->pa = chance(g, 50) ? DIFF_SP0 : DIFF_SP1;
	}
	if (g->nmaps < DIFF_MAX_OPS) {
		g->maps[g->nmaps].dom = op->dom;
		g->maps[g->nmaps].iova = op->iova;
		g->maps[g->nmaps].size = op->size;
		g->nmaps++;
	}
}

/* An unmap range: a recorded map, part of one (superpages split), or a
 * random page (usually -ENOENT). */
static void gen_unmap_range(struct gen *g, struct diff_op *op)
{
	if (g->nmaps && chance(g, 85)) {
		unsigned int k = (unsigned int)rnd(g, g->nmaps);

		op->dom = g->maps[k].dom;
		op->iova = g->maps[k].iova;
		op->size = g->maps[k].size;
		if (op->size == SP_SIZE && chance(g, 30)) {
			op->iova += rnd(g, 16) * VTD_PAGE_SIZE;
			op->size = VTD_PAGE_SIZE;
		}
	} else {
		op->dom = (unsigned int)rnd(g, DIFF_DOMAINS);
		op->iova = DIFF_IOVA_SMALL + rnd(g, DIFF_IOVA_SMALL_PAGES) * VTD_PAGE_SIZE;
		op->size = VTD_PAGE_SIZE;
	}
}

/* A recorded map of the attached domain, as a DMA window. */
static bool pick_map(struct gen *g, uint64_t *lo, uint64_t *hi)
{
	unsigned int k, tries;

	for (tries = 0; tries < 8 && g->nmaps; tries++) {
		k = (unsigned int)rnd(g, g->nmaps);
		if (g->maps[k].dom != (unsigned int)g->attached)
			continue;
		*lo = g->maps[k].iova;
		*hi = *lo + (g->maps[k].size > DIFF_SP_WINDOW ? DIFF_SP_WINDOW : g->maps[k].size);
		if (*hi - *lo < 2 * VTD_PAGE_SIZE)
			*hi = *lo + 2 * VTD_PAGE_SIZE;	/* may run off the end */
		return true;
	}
	return false;
}

static void gen_dma(struct gen *g, struct diff_op *op)
{
	uint64_t lo, hi;

	op->kind = DOP_DMA;
	op->to_ram = chance(g, 50);
	op->len = 1 + (uint32_t)rnd(g, chance(g, 20) ? 3000 : 300);
	if (op->len > 2 * VTD_PAGE_SIZE - 1)
		op->len = 2 * VTD_PAGE_SIZE - 1;
	if (!g->te) {
		lo = DIFF_POOL;
		hi = DIFF_STATUS;
	} else if (g->attached >= 0 && chance(g, 60) && pick_map(g, &lo, &hi)) {
		/* inside something the attached domain mapped (or tried to) */
	} else if (chance(g, 50)) {
		lo = DIFF_IOVA_SMALL;
		hi = DIFF_IOVA_SMALL + (DIFF_IOVA_SMALL_PAGES + 1) * VTD_PAGE_SIZE;
	} else if (chance(g, 70)) {
		lo = DIFF_IOVA_SP + rnd(g, 3) * SP_SIZE;
		hi = lo + DIFF_SP_WINDOW;
	} else {
		lo = rnd(g, (LIOMMU_EDU_DMA_MASK + 1) / VTD_PAGE_SIZE - 2) * VTD_PAGE_SIZE;
		hi = lo + 2 * VTD_PAGE_SIZE;
	}
	op->iova = lo + rnd(g, hi - lo - op->len + 1);
	/* Often go back to the last DMA's page, in either direction: that is
	 * what hits the IOTLB, stale entries and cached permissions. */
	if (g->te && g->last_dma && chance(g, 35)) {
		op->iova = (g->last_dma & VTD_PAGE_MASK) + rnd(g, VTD_PAGE_SIZE / 2);
		if (op->len > VTD_PAGE_SIZE)
			op->len = VTD_PAGE_SIZE;
	}
	/* Often start near a page end so the transfer crosses pages. */
	if (chance(g, 30)) {
		uint64_t end = (op->iova | (VTD_PAGE_SIZE - 1)) - rnd(g, 64);

		if (end >= lo && end + op->len <= hi)
			op->iova = end;
	}
	op->buf_off = (uint32_t)rnd(g, DIFF_BUF_USABLE - op->len + 1);
	if (g->te)
		g->last_dma = op->iova;
}

static const struct {
	uint32_t reg;
	unsigned int width;
	uint64_t fixed;		/* bits forced on */
	uint64_t randmask;	/* bits drawn at random */
} reg_writes[] = {
	{ VTD_FECTL_REG,   32, 0, 0xffffffffULL },
	{ VTD_FEDATA_REG,  32, 0, 0xffffffffULL },
	{ VTD_FEADDR_REG,  32, 0xfee00000ULL, 0x000fffffULL },
	{ VTD_FEUADDR_REG, 32, 0, 0xffffffffULL },
	{ VTD_IECTL_REG,   32, 0, 0xffffffffULL },
	{ VTD_IEDATA_REG,  32, 0, 0xffffffffULL },
	{ VTD_IEADDR_REG,  32, 0xfee00000ULL, 0x000fffffULL },
	{ VTD_IEUADDR_REG, 32, 0, 0xffffffffULL },
	{ VTD_ICS_REG,     32, 0, 0xffffffffULL },
	{ VTD_FSTS_REG,    32, 0, 0xffffffffULL },
	{ VTD_VER_REG,     32, 0, 0xffffffffULL },
	{ 0x04,            32, 0, 0xffffffffULL },	/* reserved */
	{ VTD_GSTS_REG,    32, 0, 0xffffffffULL },
	{ VTD_PMEN_REG,    32, 0, 0xffffffffULL },
	{ VTD_CAP_REG,     64, 0, ~0ULL },
	{ VTD_ECAP_REG,    64, 0, ~0ULL },
	{ VTD_IQH_REG,     64, 0, ~0ULL },
	/* With QI on, register-based invalidation is ignored (6.5.2). */
	{ VTD_CCMD_REG,    64, 0, ~0ULL },
	{ LIOMMU_MODEL_IVA_OFFSET + 8, 64, 0, ~0ULL },
	{ LIOMMU_MODEL_IVA_OFFSET, 64, 0, ~0ULL },
	{ VTD_IRTA_REG,    64, 0, ~0ULL },
	/* Fault record: F is RW1C, the rest read-only. */
	{ LIOMMU_MODEL_FRCD_OFFSET + 8, 64, 0, ~0ULL },
	{ LIOMMU_MODEL_FRCD_OFFSET, 64, 0, ~0ULL },
};

static void gen_reg(struct gen *g, struct diff_op *op)
{
	unsigned int k = (unsigned int)rnd(g, sizeof(reg_writes) / sizeof(reg_writes[0]));

	op->kind = reg_writes[k].width == 64 ? DOP_REG64 : DOP_REG32;
	op->reg = reg_writes[k].reg;
	op->val = reg_writes[k].fixed | (diff_rand(&g->rng) & reg_writes[k].randmask);
}

static struct vtd_inv_desc gen_valid_desc(struct gen *g, bool *did)
{
	*did = false;
	switch (rnd(g, 4)) {
	case 0: {
		unsigned int gran = 1 + (unsigned int)rnd(g, 3);

		*did = gran != VTD_CC_GRAN_GLOBAL;
		return vtd_inv_cc(gran, 0, 0, (unsigned int)rnd(g, 4));
	}
	case 1: {
		unsigned int gran = 1 + (unsigned int)rnd(g, 3), am = (unsigned int)rnd(g, 6);
		uint64_t addr = chance(g, 70) ?
				DIFF_IOVA_SMALL + rnd(g, DIFF_IOVA_SMALL_PAGES) * VTD_PAGE_SIZE :
				DIFF_IOVA_SP + rnd(g, 3 * 512) * VTD_PAGE_SIZE;

		*did = gran != VTD_IOTLB_GRAN_GLOBAL;
		return vtd_inv_iotlb(gran, 0, addr & ~((VTD_PAGE_SIZE << am) - 1), am,
				     chance(g, 50), chance(g, 50), chance(g, 50));
	}
	case 2:
		return vtd_inv_iec(chance(g, 50), (uint16_t)rnd(g, 65536),
				   (unsigned int)rnd(g, 16));
	default:
		if (chance(g, 70))
			return vtd_inv_wait(true, (uint32_t)diff_rand(&g->rng),
					    DIFF_STATUS + 4 * (1 + rnd(g, 32)), false,
					    chance(g, 50));
		return vtd_inv_wait(false, 0, 0, true, chance(g, 50));
	}
}

/* Malformed descriptors: reserved bits, reserved granularity, unknown
 * types (6.5.2; QEMU vtd_process_inv_desc() and its per-type checks). */
static struct vtd_inv_desc gen_bad_desc(struct gen *g)
{
	struct vtd_inv_desc d;

	switch (rnd(g, 9)) {
	case 0:
		d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);
		d.lo |= VTD_BIT64(4 + rnd(g, 2));	/* bits 5:4 of lo (RsvdZ) */
		break;
	case 1:
		d = vtd_inv_cc(VTD_CC_GRAN_GLOBAL, 0, 0, 0);
		d.hi = 1ULL << rnd(g, 64);
		break;
	case 2:
		d = vtd_inv_cc(0, 0, 0, 0);		/* granularity 0 */
		break;
	case 3:
		d = vtd_inv_iotlb(VTD_IOTLB_GRAN_GLOBAL, 0, 0, 0, false, false, false);
		d.lo |= VTD_BIT64(8 + rnd(g, 8));	/* 15:8 RsvdZ */
		break;
	case 4:
		d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, 1, 0, 0, false, false, false);
		d.hi |= VTD_BIT64(7 + rnd(g, 5));	/* 11:7 RsvdZ */
		break;
	case 5:
		d = vtd_inv_iotlb(VTD_IOTLB_GRAN_PAGE, 1, 0, 0, false, false, false);
		d.hi |= vtd_field_prep(VTD_INV_IOTLB_HI_AM, 19 + rnd(g, 45));	/* > MAMV */
		break;
	case 6:
		d.lo = 0;				/* type 0 */
		d.hi = 0;
		break;
	case 7:
		d.lo = 8 + rnd(g, 8);			/* types 8..15 */
		d.hi = 0;
		break;
	default:
		d = vtd_inv_wait(true, 1, DIFF_STATUS, false, false);
		d.hi |= 1 + rnd(g, 3);			/* address bits 1:0 RsvdZ */
		break;
	}
	return d;
}

static void gen_qi(struct gen *g, struct diff_op *op)
{
	unsigned int i, n = 1 + (unsigned int)rnd(g, DIFF_MAX_DESC - 1);

	op->kind = DOP_QI;
	op->dom = (unsigned int)rnd(g, DIFF_DOMAINS);
	for (i = 0; i < n; i++) {
		op->desc_did[i] = false;
		if (chance(g, 15))
			op->desc[i] = gen_bad_desc(g);
		else
			op->desc[i] = gen_valid_desc(g, &op->desc_did[i]);
	}
	op->desc[n] = vtd_inv_wait(true, ++g->seq, DIFF_STATUS, false, false);
	op->desc_did[n] = false;
	op->ndesc = n + 1;
}

void diff_generate(uint64_t seed, struct diff_scenario *sc)
{
	struct gen g = { .rng = seed, .te = true, .attached = 0 };
	unsigned int n;

	memset(sc, 0, sizeof(*sc));
	sc->seed = seed;
	n = 12 + (unsigned int)rnd(&g, DIFF_MAX_OPS - 12 - 1);
	while (sc->nops < n) {
		struct diff_op *op = &sc->ops[sc->nops++];
		uint64_t k = rnd(&g, 100);
		unsigned int d;

		/* Do not stay detached or untranslated for long: most DMAs
		 * should meet a translation. */
		if (g.attached < 0 && chance(&g, 40))
			k = 72;
		else if (!g.te && chance(&g, 30))
			k = 76;
		if (k < 30) {
			gen_dma(&g, op);
			/* Usually collect the fault (QEMU keeps one record and
			 * collapses a source-id's faults until it is cleared). */
			if (sc->nops < n && chance(&g, 70))
				sc->ops[sc->nops++].kind = DOP_FAULTS;
		} else if (k < 50) {
			gen_map(&g, op);
		} else if (k < 58) {
			op->kind = DOP_UNMAP;
			gen_unmap_range(&g, op);
		} else if (k < 65) {
			gen_unmap_range(&g, op);
			if (g.pending[op->dom]) {
				op->kind = DOP_FLUSH;
			} else {
				op->kind = DOP_UNMAP_NOSYNC;
				g.pending[op->dom] = true;
			}
		} else if (k < 70) {
			op->dom = (unsigned int)rnd(&g, DIFF_DOMAINS);
			op->kind = DOP_FLUSH;
			g.pending[op->dom] = false;
		} else if (k < 75) {
			if (g.attached >= 0) {
				op->kind = DOP_DETACH;
				op->dom = (unsigned int)g.attached;
				g.attached = -1;
			} else {
				op->kind = DOP_ATTACH;
				op->dom = (unsigned int)rnd(&g, DIFF_DOMAINS);
				g.attached = (int)op->dom;
			}
		} else if (k < 78) {
			/* TE changes flush QEMU's caches: only without stale
			 * mappings pending (see the file comment). */
			for (d = 0; d < DIFF_DOMAINS; d++)
				if (g.pending[d])
					break;
			if (d < DIFF_DOMAINS) {
				op->kind = DOP_FLUSH;
				op->dom = d;
				g.pending[d] = false;
			} else {
				op->kind = DOP_TE;
				g.te = !g.te;
				op->val = g.te;
			}
		} else if (k < 85) {
			op->kind = DOP_FAULTS;
		} else if (k < 92) {
			gen_reg(&g, op);
		} else {
			gen_qi(&g, op);
		}
	}
}

static const char *kind_name(enum diff_op_kind k)
{
	static const char *const names[] = {
		[DOP_MAP] = "map", [DOP_UNMAP] = "unmap", [DOP_UNMAP_NOSYNC] = "unmap-nosync",
		[DOP_FLUSH] = "flush", [DOP_ATTACH] = "attach", [DOP_DETACH] = "detach",
		[DOP_TE] = "te", [DOP_DMA] = "dma", [DOP_FAULTS] = "faults",
		[DOP_REG32] = "reg32", [DOP_REG64] = "reg64", [DOP_QI] = "qi",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) && names[k] ? names[k] : "?";
}

void diff_dump(const struct diff_scenario *sc, unsigned int upto, char *out, size_t len)
{
	size_t at = 0;
	unsigned int i, j;

	out[0] = 0;
	for (i = 0; i < sc->nops && i <= upto && at < len; i++) {
		const struct diff_op *op = &sc->ops[i];
		int n = snprintf(out + at, len - at,
				 "  %2u %-12s dom %u iova 0x%" PRIx64 " pa 0x%" PRIx64
				 " size 0x%" PRIx64 " prot %u %s off %u len %u reg 0x%x val 0x%"
				 PRIx64, i, kind_name(op->kind), op->dom, op->iova, op->pa,
				 op->size, op->prot, op->to_ram ? "to-ram" : "from-ram",
				 op->buf_off, op->len, op->reg, op->val);

		if (n < 0)
			return;
		at += (size_t)n;
		for (j = 0; j < op->ndesc && at < len; j++) {
			n = snprintf(out + at, len - at, " [%016" PRIx64 " %016" PRIx64 "]",
				     op->desc[j].hi, op->desc[j].lo);
			if (n < 0)
				return;
			at += (size_t)n;
		}
		if (at < len) {
			n = snprintf(out + at, len - at, "\n");
			if (n < 0)
				return;
			at += (size_t)n;
		}
	}
}
