// SPDX-License-Identifier: MIT
/*
 * check-viommu-hostile.c - seeded random hostile guests against the
 * vIOMMU engine, beside a well-behaved one.
 *
 * What it is for: the engine follows guest pointers and mirrors guest
 * tables into a real IOMMU, so a guest that lies must not reach host
 * memory that is not its own, must not get a host mapping its tables do
 * not grant, must not crash or wedge the engine, and must not take the
 * service away from the VM next to it.  Every case here is one campaign:
 *
 *  - hostile VM A (two assigned source-ids, each on its own host domain,
 *    guest RAM in two ranges with a hole between them whose host backing
 *    is contiguous, so an engine that computed "backend + gpa" without
 *    the memory table would land in the wrong, but still A's, page) is
 *    driven by a SplitMix64 stream: raw root, context and second-level
 *    entries (reserved bits, pointers outside RAM, self-pointing and
 *    looping tables, superpages over the hole), every register offset
 *    written with random values and sizes, random IQA/IQT (past the
 *    queue, misaligned), random and invalid descriptors, floods, every
 *    kind of invalidation, TE and QIE toggles, liommu_viommu_fault();
 *    a second thread edits A's tables all the while, so tables change
 *    while the engine walks them;
 *  - good VM B runs libiommu's own driver on the guest platform and
 *    keeps mapping, DMAing through its host domain and unmapping; every
 *    DMA must land where it mapped and fault after the strict unmap, and
 *    its cycle count must grow in every batch.
 *
 * After each batch the test quiesces A and checks the host side against
 * an independent walk: its own second-level walker over A's RAM (spec
 * 9.1 root entries, 9.3 context entries, 9.8 second-level entries; TE
 * from GSTS), not the engine's records and not the model's walker.  Every
 * host leaf of A's source-ids (enumerated on the host unit) and every
 * IOVA A ever put in a leaf (translated by the host unit, caches
 * included) must (1) lie in A's RAM backing, before any sync, and (2)
 * after A's own global invalidation, be granted by A's tables at that
 * guest-physical page with at least the host's permissions.
 *
 * $LIOMMU_SEED (printed either way) reproduces the operation stream;
 * the interleaving with the sidecore and the editor thread is not
 * reproducible.  $LIOMMU_HOSTILE_OPS is the campaign's total number of
 * hostile operations, split over its rounds (default small, for make
 * check).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/platform.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#define PG		4096ull
#define SZ_2M		(2ull << 20)
#define SZ_1G		(1ull << 30)

/* Hostile VM A: RAM [0, 8 MiB) and [16 MiB, 18 MiB), host-contiguous. */
#define A_R0_GPA	0ull
#define A_R0_SIZE	(8ull << 20)
#define A_R1_GPA	(16ull << 20)
#define A_R1_SIZE	(2ull << 20)
#define A_HOST_SIZE	(A_R0_SIZE + A_R1_SIZE)
#define A_NSID		2
static const uint16_t a_gsid[A_NSID] = { 0x0018, 0x0019 };	/* 00:03.0, .1 */
static const uint16_t a_hsid[A_NSID] = { 0x0020, 0x0021 };
/* A's layout, as its (hostile) driver starts from. */
#define A_ROOT		0x0000ull
#define A_CTX		0x1000ull
#define A_POOL		0x2000ull	/* table pages the hostile guest reuses */
#define A_NPOOL		64
#define A_QUEUE		0x100000ull	/* up to 128 pages of queue */
#define A_STATUS	0x1f0000ull	/* wait descriptors' status words */

/* Good VM B: RAM [0, 16 MiB), its driver's pages from 8 MiB. */
#define B_RAM_SIZE	(16ull << 20)
#define B_TABLES	(8ull << 20)
#define B_GSID		0x0018
#define B_HSID		0x0030

#define IOTLB_OFF	0xf0u	/* ECAP.IRO of the default capability set */

#define NCAND		4096

#define DEFAULT_OPS	24000ull	/* make check: both rounds */
#define BATCH		400u		/* hostile operations between checks */

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

static uint64_t sm64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	return n ? sm64(s) % n : 0;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *e = getenv(name);

	return e && *e ? strtoull(e, NULL, 0) : def;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The world: one host, A, B                                           */
/* ------------------------------------------------------------------ */

struct hostile {
	enum liommu_viommu_mode mode;
	uint8_t *ram;		/* A_HOST_SIZE bytes of host memory */
	uint64_t ram_pa;	/* its host-physical address */
	struct liommu_viommu *v;
	struct liommu_domain *hd[A_NSID];
	/* The hostile driver's idea of its queue (it may be wrong). */
	uint64_t qbase;
	unsigned int qs;
	uint64_t qtail;
	/* Every IOVA it put in a leaf (a ring). */
	uint64_t cand[NCAND];
	unsigned int ncand;
	/* The editor thread. */
	pthread_t ed;
	atomic_bool ed_stop;
	uint64_t ed_seed;
	_Atomic uint64_t ed_ops;
};

struct good {
	uint8_t *ram;
	uint64_t ram_pa;
	struct liommu_viommu *v;
	struct liommu_domain *hdom;
	struct liommu_platform *gplat;
	struct liommu_unit *gunit;
	struct liommu_domain *gdom;
	struct liommu_dma *gdma;
	pthread_t th;
	atomic_bool stop;
	_Atomic uint64_t cycles;
	_Atomic uint64_t failures;
	char why[160];
	uint64_t seed;
};

struct world {
	struct liommu_sim *host;
	struct liommu_model *hmodel;
	struct liommu_unit *hunit;
	struct liommu_sidecore *sc;
	struct hostile a;
	struct good b;
	uint64_t seed;
	/* What the campaign did, for the closing line. */
	uint64_t ops, batches, leaves_checked, probes, host_leaves_max;
};

static void *host_block(struct world *w, uint64_t size, uint64_t *pa_out)
{
	uint64_t pa;
	void *va;

	ck_assert_int_eq(liommu_sim_alloc(w->host, size + SZ_2M, &va, &pa), 0);
	*pa_out = (pa + SZ_2M - 1) & ~(SZ_2M - 1);
	return (uint8_t *)va + (*pa_out - pa);
}

static void world_up(struct world *w, enum liommu_viommu_mode mode, uint64_t seed)
{
	struct liommu_sim_config hc = { .mem_size = 96ull << 20 };
	struct liommu_viommu_config vc;
	struct liommu_dma_config gc = { .strategy = LIOMMU_DMA_STRICT };
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	ck_assert_int_eq(liommu_sim_new(&hc, &w->host), 0);
	w->hmodel = liommu_sim_model(w->host);
	ck_assert_int_eq(liommu_unit_new(liommu_sim_platform(w->host), NULL, &w->hunit), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(w->hunit), 0);

	liommu_viommu_config_default(&vc);
	vc.mode = mode;
	vc.teardown = LIOMMU_DMA_STRICT;
	if (mode == LIOMMU_VIOMMU_SIDECORE)
		ck_assert_int_eq(liommu_sidecore_new(NULL, &w->sc), 0);

	/* A: strict host teardown, so "the host maps only what the tables
	 * grant" holds exactly after A's own invalidation. */
	w->a.mode = mode;
	w->a.ram = host_block(w, A_HOST_SIZE, &w->a.ram_pa);
	ck_assert_int_eq(liommu_viommu_new(&vc, &w->a.v), 0);
	ck_assert_int_eq(liommu_viommu_mem_add(w->a.v, A_R0_GPA, A_R0_SIZE, w->a.ram,
					       w->a.ram_pa),
			 0);
	ck_assert_int_eq(liommu_viommu_mem_add(w->a.v, A_R1_GPA, A_R1_SIZE,
					       w->a.ram + A_R0_SIZE, w->a.ram_pa + A_R0_SIZE),
			 0);
	for (i = 0; i < A_NSID; i++) {
		ck_assert_int_eq(liommu_domain_new(w->hunit, &w->a.hd[i]), 0);
		ck_assert_int_eq(liommu_domain_attach(w->a.hd[i], a_hsid[i]), 0);
		ck_assert_int_eq(liommu_viommu_attach(w->a.v, a_gsid[i], w->a.hd[i]), 0);
	}

	/* B: as check-viommu-e2e.c's fixture. */
	w->b.ram = host_block(w, B_RAM_SIZE, &w->b.ram_pa);
	w->b.seed = seed ^ 0x5bd1e995ull;
	ck_assert_int_eq(liommu_viommu_new(&vc, &w->b.v), 0);
	ck_assert_int_eq(liommu_viommu_mem_add(w->b.v, 0, B_RAM_SIZE, w->b.ram, w->b.ram_pa), 0);
	ck_assert_int_eq(liommu_domain_new(w->hunit, &w->b.hdom), 0);
	ck_assert_int_eq(liommu_domain_attach(w->b.hdom, B_HSID), 0);
	ck_assert_int_eq(liommu_viommu_attach(w->b.v, B_GSID, w->b.hdom), 0);

	if (w->sc) {
		ck_assert_int_eq(liommu_sidecore_add(w->sc, w->a.v), 0);
		ck_assert_int_eq(liommu_sidecore_add(w->sc, w->b.v), 0);
	}
	ck_assert_int_eq(liommu_viommu_guest_platform_new(w->b.v, B_TABLES,
							  B_RAM_SIZE - B_TABLES, &w->b.gplat),
			 0);
	ck_assert_int_eq(liommu_unit_new(w->b.gplat, NULL, &w->b.gunit), 0);
	ck_assert_int_eq(liommu_domain_new(w->b.gunit, &w->b.gdom), 0);
	ck_assert_int_eq(liommu_domain_attach(w->b.gdom, B_GSID), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(w->b.gunit), 0);
	ck_assert_int_eq(liommu_dma_new(w->b.gdom, &gc, &w->b.gdma), 0);
}

static void world_down(struct world *w)
{
	unsigned int i;

	liommu_dma_free(w->b.gdma);
	liommu_domain_free(w->b.gdom);
	liommu_unit_free(w->b.gunit);
	liommu_platform_free(w->b.gplat);
	if (w->sc) {
		ck_assert_int_eq(liommu_sidecore_remove(w->sc, w->a.v), 0);
		ck_assert_int_eq(liommu_sidecore_remove(w->sc, w->b.v), 0);
		liommu_sidecore_free(w->sc);
	}
	liommu_viommu_free(w->a.v);
	liommu_viommu_free(w->b.v);
	for (i = 0; i < A_NSID; i++)
		liommu_domain_free(w->a.hd[i]);
	liommu_domain_free(w->b.hdom);
	liommu_unit_free(w->hunit);
	liommu_sim_free(w->host);
}

/* ------------------------------------------------------------------ */
/* A's guest memory, as its own CPU sees it                            */
/* ------------------------------------------------------------------ */

/* Host offset (into a->ram) of guest-physical [@gpa, @gpa + @len), or -1
 * when it is not wholly in one range: the test's own memory table. */
static int64_t a_off(uint64_t gpa, uint64_t len)
{
	if (gpa < A_R0_GPA + A_R0_SIZE && len <= A_R0_GPA + A_R0_SIZE - gpa)
		return (int64_t)(gpa - A_R0_GPA);
	if (gpa >= A_R1_GPA && gpa < A_R1_GPA + A_R1_SIZE && len <= A_R1_GPA + A_R1_SIZE - gpa)
		return (int64_t)(A_R0_SIZE + gpa - A_R1_GPA);
	return -1;
}

/* The other way: the guest-physical address behind host @pa of A, or
 * UINT64_MAX when @pa is not A's. */
static uint64_t a_gpa_of(const struct hostile *a, uint64_t pa)
{
	if (pa < a->ram_pa || pa >= a->ram_pa + A_HOST_SIZE)
		return UINT64_MAX;
	pa -= a->ram_pa;
	return pa < A_R0_SIZE ? A_R0_GPA + pa : A_R1_GPA + pa - A_R0_SIZE;
}

/* Guest stores and loads race with the engine by design: 64-bit atomics,
 * as an x86 guest's aligned MOV. */
static void gw64(struct hostile *a, uint64_t gpa, uint64_t val)
{
	int64_t o = a_off(gpa & ~7ull, 8);

	if (o >= 0)
		__atomic_store_n((uint64_t *)(void *)(a->ram + o), val, __ATOMIC_RELAXED);
}

static bool gr64(const struct hostile *a, uint64_t gpa, uint64_t *val)
{
	int64_t o = a_off(gpa, 8);

	if (o < 0 || (gpa & 7))
		return false;
	*val = __atomic_load_n((const uint64_t *)(const void *)(a->ram + o), __ATOMIC_RELAXED);
	return true;
}

/* ------------------------------------------------------------------ */
/* Registers and quiescing                                             */
/* ------------------------------------------------------------------ */

static void settle(struct world *w)
{
	struct liommu_sidecore_stats st;
	uint64_t p0, t0;

	if (!w->sc)
		return;
	liommu_sidecore_get_stats(w->sc, &st);
	p0 = st.passes;
	/* Two passes that started after our last store: the first may have
	 * begun before it; the second saw it, forwarded it and published. */
	t0 = now_ns();
	for (;;) {
		liommu_sidecore_kick(w->sc);
		liommu_sidecore_get_stats(w->sc, &st);
		if (st.passes >= p0 + 3)
			return;
		ck_assert_msg(now_ns() - t0 < 60000000000ull,
			      "sidecore stopped passing for 60 s (seed %#" PRIx64 ")", w->seed);
		sched_yield();
	}
}

static uint64_t a_rd(struct world *w, uint32_t off, unsigned int size)
{
	return liommu_viommu_mmio_read(w->a.v, off, size);
}

static void a_wr(struct world *w, uint32_t off, unsigned int size, uint64_t val)
{
	liommu_viommu_mmio_write(w->a.v, off, size, val);
}

/* Wait (bounded) until (reg & mask) == want; SIDECORE status comes a
 * pass later. */
static bool a_wait(struct world *w, uint32_t off, unsigned int size, uint64_t mask,
		   uint64_t want)
{
	int i;

	for (i = 0; i < 100000; i++) {
		if ((a_rd(w, off, size) & mask) == want)
			return true;
		settle(w);
	}
	return false;
}

/*
 * A's own global invalidation, from whatever state the hostile stream
 * left: queued invalidation off (so the register interface is live),
 * the root pointer latched from RTADDR, a global context-cache and a
 * global IOTLB invalidation.  After it the host must match A's tables
 * (strict teardown).
 */
static void a_sync(struct world *w)
{
	uint64_t gsts;

	settle(w);
	/* Spec 6.5.2: QI goes off only with the queue empty; a halted queue
	 * (IQE) is emptied by moving the tail to the head.  IQH and GSTS
	 * come from the unit, not the page: the hostile stream may have
	 * stored garbage over those read-only words, which the engine
	 * restores only at its next sweep (a guest that scribbles over its
	 * own status registers confuses only itself). */
	a_wr(w, VTD_IQT_REG, 8, liommu_model_read64(liommu_viommu_model(w->a.v), VTD_IQH_REG));
	settle(w);
	gsts = liommu_model_read32(liommu_viommu_model(w->a.v), VTD_GSTS_REG) &
	       VTD_GSTS_PERSISTENT;
	a_wr(w, VTD_GCMD_REG, 4, gsts & ~VTD_GCMD_QIE);
	a_wr(w, VTD_FSTS_REG, 4, VTD_FSTS_RW1C);
	settle(w);
	ck_assert_msg(a_wait(w, VTD_GSTS_REG, 4, VTD_GSTS_QIES, 0),
		      "QIE does not clear (seed %#" PRIx64 ")", w->seed);
	a_wr(w, VTD_GCMD_REG, 4, (gsts & ~VTD_GCMD_QIE) | VTD_GCMD_SRTP);
	settle(w);
	ck_assert_msg(a_wait(w, VTD_GSTS_REG, 4, VTD_GSTS_RTPS, VTD_GSTS_RTPS),
		      "SRTP does not complete (seed %#" PRIx64 ")", w->seed);
	/* SIDECORE: a store of the value the page shows is not seen, and a
	 * command the unit ignored (CCMD while QI was on) still shows the
	 * hostile value there: store something else first. */
	a_wr(w, VTD_CCMD_REG, 8, 0);
	a_wr(w, IOTLB_OFF + 8, 8, 0);
	settle(w);
	a_wr(w, VTD_CCMD_REG, 8, VTD_CCMD_ICC | (uint64_t)VTD_CC_GRAN_GLOBAL << 61);
	settle(w);
	ck_assert_msg(a_wait(w, VTD_CCMD_REG, 8, VTD_CCMD_ICC, 0),
		      "CCMD.ICC stays set (seed %#" PRIx64 ")", w->seed);
	a_wr(w, IOTLB_OFF + 8, 8,
	     VTD_IOTLB_IVT | (uint64_t)VTD_IOTLB_GRAN_GLOBAL << 60 | VTD_IOTLB_DR | VTD_IOTLB_DW);
	settle(w);
	ck_assert_msg(a_wait(w, IOTLB_OFF + 8, 8, VTD_IOTLB_IVT, 0),
		      "IOTLB.IVT stays set (seed %#" PRIx64 ")", w->seed);
}

/* ------------------------------------------------------------------ */
/* The independent walk of A's tables                                  */
/* ------------------------------------------------------------------ */

/*
 * What A's tables grant for @sid at @iova, read from A's RAM now:
 * Return: true with the guest-physical address and permissions
 * (LIOMMU_MODEL_READ/_WRITE), false when nothing is granted.
 *
 * Written from the spec, not from the model: GSTS.TES clear means no
 * translation (every RAM address at identity); RTADDR's TTM is ignored;
 * a root entry (9.1) and a context entry (9.3) must be present with their
 * reserved bits clear; TT 00 translates, 10 passes through, 01 (no
 * ECAP.DT here) and 11 are reserved; AW must be the 39-bit 3-level
 * encoding, the only one SAGAW offers; each second-level entry (9.8)
 * needs R or W, permissions are the AND down the walk, PS at levels 2
 * and 3 ends it with a 2 MiB or 1 GiB page.  Where the spec is finer
 * (reserved bits of PTEs) this walker grants more, never less: a host
 * mapping it does not grant is a real violation.
 */
static bool gwalk(struct world *w, uint16_t sid, uint64_t iova, uint64_t *gpa,
		  unsigned int *perm)
{
	struct hostile *a = &w->a;
	uint64_t rta, lo, hi, table, pte, size;
	unsigned int level, p = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE, tt;

	if (!(a_rd(w, VTD_GSTS_REG, 4) & VTD_GSTS_TES))
		goto identity;
	/* RTADDR.TTM is not consulted: this unit has no scalable mode and
	 * 10b/11b are reserved; the model (as QEMU for bit 11) walks legacy
	 * tables whatever TTM holds, and granting more is the safe side. */
	rta = a_rd(w, VTD_RTADDR_REG, 8) & VTD_RTADDR_RTA;
	if (!gr64(a, rta + (sid >> 8) * 16, &lo) || !gr64(a, rta + (sid >> 8) * 16 + 8, &hi))
		return false;
	if (!(lo & VTD_ROOT_LO_P) || (lo & VTD_ROOT_LO_RSVD))
		return false;
	table = lo & VTD_ROOT_LO_CTP;
	if (!gr64(a, table + (sid & 0xff) * 16, &lo) ||
	    !gr64(a, table + (sid & 0xff) * 16 + 8, &hi))
		return false;
	if (!(lo & VTD_CTX_LO_P) || (lo & VTD_CTX_LO_RSVD) || (hi & VTD_CTX_HI_RSVD))
		return false;
	tt = (unsigned int)((lo & VTD_CTX_LO_TT) >> 2);
	if (tt == VTD_CTX_TT_PASS_THROUGH)
		goto identity;
	if (tt != VTD_CTX_TT_MULTI_LEVEL || (hi & VTD_CTX_HI_AW) != 1)
		return false;
	if (iova >> 39)
		return false;
	table = lo & VTD_CTX_LO_SLPTPTR;
	for (level = 3; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);

		if (!gr64(a, table + ((iova >> shift) & 511) * 8, &pte))
			return false;
		p &= (unsigned int)(pte & VTD_SLPTE_PRESENT);
		if (!p)
			return false;
		if (level == 1 || (pte & VTD_SLPTE_PS)) {
			size = 1ull << shift;
			*gpa = ((pte & VTD_SLPTE_ADDR) & ~(size - 1)) + (iova & (size - 1));
			*perm = p;
			return true;
		}
		table = pte & VTD_SLPTE_ADDR;
	}
	return false;

identity:
	if (a_off(iova & ~(PG - 1), PG) < 0)
		return false;
	*gpa = iova;
	*perm = LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE;
	return true;
}

/* On a failure: what A's tables hold on the way to @iova, and what the
 * engine's own unit says (for the report only, never for the verdict). */
static void gwalk_explain(struct world *w, uint16_t sid, uint64_t iova)
{
	struct liommu_model_xlate x;
	struct liommu_fault f;
	uint64_t rta = a_rd(w, VTD_RTADDR_REG, 8), lo = 0, hi = 0, t, pte = 0;
	unsigned int level;
	int ret;

	fprintf(stderr, "explain sid %#x iova %#" PRIx64 ": GSTS %#" PRIx64 " RTADDR %#" PRIx64
		"\n", sid, iova, a_rd(w, VTD_GSTS_REG, 4), rta);
	rta &= VTD_RTADDR_RTA;
	gr64(&w->a, rta + (sid >> 8) * 16, &lo);
	gr64(&w->a, rta + (sid >> 8) * 16 + 8, &hi);
	fprintf(stderr, "  root %#" PRIx64 " %#" PRIx64 "\n", lo, hi);
	t = lo & VTD_ROOT_LO_CTP;
	lo = hi = 0;
	gr64(&w->a, t + (sid & 0xff) * 16, &lo);
	gr64(&w->a, t + (sid & 0xff) * 16 + 8, &hi);
	fprintf(stderr, "  ctx  %#" PRIx64 " %#" PRIx64 "\n", lo, hi);
	t = lo & VTD_CTX_LO_SLPTPTR;
	for (level = 3; level >= 1; level--) {
		uint64_t slot = t + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
		bool ok = gr64(&w->a, slot, &pte);

		fprintf(stderr, "  L%u [%#" PRIx64 "] = %#" PRIx64 "%s\n", level, slot, pte,
			ok ? "" : " (unreadable)");
		if (!ok || !(pte & 3) || (pte & VTD_SLPTE_PS))
			break;
		t = pte & VTD_SLPTE_ADDR;
	}
	ret = liommu_model_walk(liommu_viommu_model(w->a.v), sid, iova, &x, &f);
	fprintf(stderr, "  engine's unit: %d pa %#" PRIx64 " perm %u size %#" PRIx64
		" reason %#x\n", ret, x.pa, x.perm, x.page_size, f.reason);
}

/* ------------------------------------------------------------------ */
/* The checks                                                          */
/* ------------------------------------------------------------------ */

struct leaf_check {
	struct world *w;
	unsigned int idx;	/* which of A's source-ids */
	bool tables;		/* (2) too: A has just invalidated globally */
	uint64_t leaves;
};

/* One host page of A: (1) its host address is A's RAM, (2) A's tables
 * grant @iova there with at least @perm. */
static void check_page(struct world *w, unsigned int idx, bool tables, uint64_t iova,
		       uint64_t pa, unsigned int perm, const char *how)
{
	uint64_t gpa = a_gpa_of(&w->a, pa), ggpa = 0;
	unsigned int gperm = 0;

	ck_assert_msg(gpa != UINT64_MAX,
		      "%s: host maps A's iova %#" PRIx64 " (sid %#x) to pa %#" PRIx64
		      ", outside A's RAM [%#" PRIx64 ", +%#llx) (seed %#" PRIx64 ")",
		      how, iova, a_gsid[idx], pa, w->a.ram_pa, A_HOST_SIZE, w->seed);
	if (!tables)
		return;
	if (!gwalk(w, a_gsid[idx], iova, &ggpa, &gperm) || ggpa != gpa || (perm & ~gperm))
		gwalk_explain(w, a_gsid[idx], iova);
	ck_assert_msg(gwalk(w, a_gsid[idx], iova, &ggpa, &gperm),
		      "%s: host maps A's iova %#" PRIx64 " (sid %#x) -> gpa %#" PRIx64
		      " that A's tables do not grant (seed %#" PRIx64 ")",
		      how, iova, a_gsid[idx], gpa, w->seed);
	ck_assert_msg(ggpa == gpa,
		      "%s: A's iova %#" PRIx64 " (sid %#x): host at gpa %#" PRIx64
		      ", A's tables say gpa %#" PRIx64 " (seed %#" PRIx64 ")",
		      how, iova, a_gsid[idx], gpa, ggpa, w->seed);
	ck_assert_msg((perm & ~gperm) == 0,
		      "%s: A's iova %#" PRIx64 " (sid %#x): host perm %u beyond A's %u"
		      " (seed %#" PRIx64 ")",
		      how, iova, a_gsid[idx], perm, gperm, w->seed);
}

static int host_leaf_cb(void *priv, uint64_t iova, uint64_t pa, uint64_t size,
			unsigned int perm)
{
	struct leaf_check *lc = priv;
	uint64_t o;

	/* The whole leaf in A's RAM backing first (a 1 GiB leaf fails here
	 * without 262144 walks). */
	check_page(lc->w, lc->idx, false, iova, pa, perm, "host leaf start");
	check_page(lc->w, lc->idx, false, iova + size - 1, pa + size - 1, perm, "host leaf end");
	for (o = 0; o < size; o += PG)
		check_page(lc->w, lc->idx, lc->tables, iova + o, pa + o, perm, "host leaf");
	lc->leaves++;
	return 0;
}

/* Every host leaf of A's source-ids, and the candidates through the
 * host unit's caches. */
static void check_host(struct world *w, bool tables, uint64_t *rng)
{
	struct leaf_check lc = { .w = w, .tables = tables };
	struct liommu_model_xlate x;
	unsigned int i, k, n;
	int ret;

	for (i = 0; i < A_NSID; i++) {
		lc.idx = i;
		lc.leaves = 0;
		ret = liommu_model_walk_range(w->hmodel, a_hsid[i], 0, UINT64_MAX, host_leaf_cb,
					      &lc);
		ck_assert_msg(ret >= 0, "host walk of sid %#x: %d", a_hsid[i], ret);
		w->leaves_checked += lc.leaves;
		if (lc.leaves > w->host_leaves_max)
			w->host_leaves_max = lc.leaves;
	}
	n = w->a.ncand < NCAND ? w->a.ncand : NCAND;
	for (k = 0; k < n + 64; k++) {
		uint64_t iova = k < n ? w->a.cand[k] : rnd(rng, 1ull << 39) & ~(PG - 1);
		unsigned int f;

		for (i = 0; i < A_NSID; i++)
			for (f = LIOMMU_MODEL_READ; f <= LIOMMU_MODEL_WRITE; f <<= 1) {
				ret = liommu_model_translate(w->hmodel, a_hsid[i], iova,
							     f | LIOMMU_MODEL_NO_RECORD, &x, NULL);
				w->probes++;
				if (ret)
					continue;
				check_page(w, i, tables, iova & ~(PG - 1), x.pa & ~(PG - 1), f,
					   "host probe");
			}
	}
}

/* ------------------------------------------------------------------ */
/* The good VM                                                         */
/* ------------------------------------------------------------------ */

static void good_fail(struct good *b, const char *what, uint64_t x)
{
	if (atomic_fetch_add(&b->failures, 1) == 0)
		snprintf(b->why, sizeof(b->why), "%s (%#" PRIx64 ")", what, x);
}

static void *good_main(void *arg)
{
	struct world *w = arg;
	struct good *b = &w->b;
	uint64_t s = b->seed;
	uint8_t buf[512], back[512];

	while (!atomic_load(&b->stop)) {
		uint64_t gpa = (rnd(&s, (B_TABLES >> 12) - 16) + 8) << 12;
		size_t len = 1 + rnd(&s, sizeof(buf));
		uint64_t off = rnd(&s, PG - len), iova;
		uint8_t pat = (uint8_t)(1 + rnd(&s, 255));
		struct liommu_fault f;

		if (liommu_dma_map(b->gdma, gpa + off, len, LIOMMU_DMA_BIDIRECTIONAL, &iova)) {
			good_fail(b, "map failed", gpa);
			break;
		}
		memset(buf, pat, len);
		if (liommu_sim_dma_write(w->host, B_HSID, iova, buf, len, &f))
			good_fail(b, "DMA write through the host faulted", iova);
		else if (memcmp(b->ram + gpa + off, buf, len))
			good_fail(b, "DMA landed elsewhere", iova);
		if (liommu_sim_dma_read(w->host, B_HSID, iova, back, len, &f) ||
		    memcmp(back, buf, len))
			good_fail(b, "DMA read back wrong", iova);
		if (liommu_dma_unmap(b->gdma, iova, len, LIOMMU_DMA_BIDIRECTIONAL)) {
			good_fail(b, "unmap failed", iova);
			break;
		}
		/* Strict on both sides: gone at the host now. */
		if (!liommu_sim_dma_write(w->host, B_HSID, iova, buf, 1, &f))
			good_fail(b, "DMA after the unmap reached memory", iova);
		atomic_fetch_add(&b->cycles, 1);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The hostile guest                                                   */
/* ------------------------------------------------------------------ */

static uint64_t pool_page(uint64_t *s)
{
	return A_POOL + rnd(s, A_NPOOL) * PG;
}

/* An address a hostile entry points at: mostly A's tables or RAM, often
 * across the end of a range, in the hole, or anywhere at all. */
static uint64_t hostile_addr(uint64_t *s, uint64_t align)
{
	uint64_t a;

	switch (rnd(s, 10)) {
	case 0: case 1: case 2:
		a = pool_page(s);
		break;
	case 3:
		a = A_R0_SIZE - align * (1 + rnd(s, 2));	/* at / across the end */
		break;
	case 4:
		a = A_R0_SIZE + rnd(s, A_R1_GPA - A_R0_SIZE);	/* the hole */
		break;
	case 5:
		a = A_R1_GPA + rnd(s, A_R1_SIZE + SZ_2M);	/* range 1 and past it */
		break;
	case 6:
		a = sm64(s);					/* anything */
		break;
	case 7:
		a = A_ROOT + rnd(s, 2) * PG;			/* root/context: loops */
		break;
	default:
		a = rnd(s, A_R0_SIZE);
		break;
	}
	return a & ~(align - 1) & VTD_SLPTE_ADDR;
}

static uint64_t hostile_iova(uint64_t *s)
{
	switch (rnd(s, 6)) {
	case 0:
		return rnd(s, 1ull << 39);
	case 1:
		return 0xfee00000ull + rnd(s, SZ_2M);	/* the interrupt window */
	case 2:
		return (1ull << 39) - rnd(s, 1ull << 24);
	case 3:
		return sm64(s);				/* beyond any width */
	default:
		return rnd(s, 64ull << 20);
	}
}

static void cand_add(struct hostile *a, uint64_t iova)
{
	a->cand[a->ncand++ % NCAND] = iova & ~(PG - 1);
}

/* A random second-level (or root/context) entry. */
static uint64_t hostile_entry(uint64_t *s, unsigned int level)
{
	uint64_t align = level == 2 ? SZ_2M : level == 3 ? SZ_1G : PG;
	uint64_t e;

	switch (rnd(s, 6)) {
	case 0:
		return sm64(s);
	case 1:
		return 0;
	case 2:	/* a table pointer, often back to a pool page (loops) */
		e = pool_page(s) | (1 + rnd(s, 3));
		break;
	case 3:	/* a superpage leaf anywhere */
		e = hostile_addr(s, align) | VTD_SLPTE_PS | (1 + rnd(s, 3));
		break;
	default:
		e = hostile_addr(s, PG) | (1 + rnd(s, 3));
		break;
	}
	if (!rnd(s, 4))	/* reserved, ignored and software bits */
		e |= sm64(s) & (VTD_GENMASK64(11, 2) | VTD_GENMASK64(63, 52));
	return e;
}

/*
 * A path for @iova from @sid's context down to a leaf of @level,
 * through pool pages (reused at random, so paths alias and loop).  The
 * hostile guest knows where its leaves are: they are the candidates.
 */
static void hostile_map(struct hostile *a, uint64_t *s, uint16_t sid, uint64_t iova,
			unsigned int leaf)
{
	uint64_t ctx = A_CTX + (sid & 0xff) * 16, lo = 0, hi, table, pte;
	unsigned int level;

	if (!gr64(a, ctx, &lo) || !(lo & 1) || (lo & VTD_CTX_LO_SLPTPTR) < A_POOL ||
	    (lo & VTD_CTX_LO_SLPTPTR) >= A_POOL + A_NPOOL * PG) {
		hi = 1 | (uint64_t)(1 + rnd(s, 8)) << 8;	/* AW 39, a DID */
		lo = pool_page(s) | 1;
		gw64(a, ctx + 8, hi);
		gw64(a, ctx, lo);
	}
	table = lo & VTD_CTX_LO_SLPTPTR;
	iova &= ((1ull << 39) - 1) & ~(PG - 1);
	for (level = 3; level > leaf; level--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;

		if (!gr64(a, slot, &pte) || !(pte & 3) || (pte & VTD_SLPTE_PS) ||
		    (pte & VTD_SLPTE_ADDR) < A_POOL ||
		    (pte & VTD_SLPTE_ADDR) >= A_POOL + A_NPOOL * PG) {
			pte = pool_page(s) | 3;
			gw64(a, slot, pte);
		}
		table = pte & VTD_SLPTE_ADDR;
	}
	pte = hostile_addr(s, leaf == 1 ? PG : leaf == 2 ? SZ_2M : SZ_1G) | (1 + rnd(s, 3));
	if (leaf > 1)
		pte |= VTD_SLPTE_PS;
	gw64(a, table + ((iova >> (12 + 9 * (leaf - 1))) & 511) * 8, pte);
	cand_add(a, iova);
}

/* The well-formed start a hostile guest departs from (and returns to,
 * now and then, so the deep paths stay reachable). */
static void hostile_scaffold(struct world *w, uint64_t *s)
{
	struct hostile *a = &w->a;
	unsigned int i;

	/* A clean slate of table pages: aliased, densely present tables
	 * multiply into up to 2^27 leaves per walk (see docs/viommu.md,
	 * "Hostile guests"), so the campaign keeps their density bounded
	 * per batch and spends its time on variety, not on one walk. */
	for (i = 0; i < A_NPOOL * PG / 8; i++)
		gw64(a, A_POOL + i * 8ull, 0);
	gw64(a, A_ROOT + 8, 0);
	gw64(a, A_ROOT, A_CTX | 1);
	for (i = 0; i < A_NSID; i++) {
		gw64(a, A_CTX + (a_gsid[i] & 0xff) * 16 + 8, 1 | (uint64_t)(1 + i) << 8);
		gw64(a, A_CTX + (a_gsid[i] & 0xff) * 16, pool_page(s) | 1);
	}
	a->qbase = A_QUEUE;
	a->qs = (unsigned int)rnd(s, 8);
	a->qtail = 0;
	a_wr(w, VTD_FSTS_REG, 4, VTD_FSTS_RW1C);
	a_wr(w, VTD_RTADDR_REG, 8, A_ROOT);
	a_wr(w, VTD_GCMD_REG, 4, VTD_GCMD_SRTP);
	settle(w);
	a_wr(w, VTD_IQT_REG, 8, 0);
	a_wr(w, VTD_IQA_REG, 8, a->qbase | a->qs);
	a_wr(w, VTD_GCMD_REG, 4, VTD_GCMD_TE);
	settle(w);
	a_wr(w, VTD_GCMD_REG, 4, VTD_GCMD_TE | VTD_GCMD_QIE);
	settle(w);
	a->qtail = a_rd(w, VTD_IQH_REG, 8) & VTD_IQ_QH;
}

static void desc_random(uint64_t *s, uint64_t *lo, uint64_t *hi)
{
	uint64_t t = rnd(s, 12);

	*lo = t < 10 ? t : sm64(s);	/* 6..9: PASID types the unit lacks */
	*hi = 0;
	switch (t) {
	case VTD_INV_TYPE_CC:
		*lo |= rnd(s, 4) << 4 | rnd(s, 16) << 16 | (uint64_t)a_gsid[rnd(s, 2)] << 32 |
		       rnd(s, 4) << 48;
		break;
	case VTD_INV_TYPE_IOTLB:
		*lo |= rnd(s, 4) << 4 | rnd(s, 4) << 6 | rnd(s, 16) << 16;
		*hi = (hostile_iova(s) & ~(PG - 1)) | rnd(s, 64) | rnd(s, 2) << 6;
		break;
	case VTD_INV_TYPE_WAIT:
		*lo |= rnd(s, 16) << 4 | sm64(s) << 32;
		*hi = rnd(s, 2) ? A_STATUS + rnd(s, 256) * 4 : sm64(s) & ~3ull;
		break;
	default:
		*lo |= sm64(s) & ~0xfull;
		*hi = sm64(s);
		break;
	}
	if (!rnd(s, 8)) {	/* reserved bits in a valid type */
		*lo |= sm64(s) & ~0xfull;
		*hi |= sm64(s);
	}
}

/* Descriptors at the hostile driver's tail, then IQT: @n of them (a
 * flood wraps the queue). */
static void hostile_descs(struct world *w, uint64_t *s, unsigned int n)
{
	struct hostile *a = &w->a;
	uint64_t qsize = (PG << a->qs) / 16, lo, hi;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t slot = a->qbase + (a->qtail % qsize) * 16;

		desc_random(s, &lo, &hi);
		gw64(a, slot, lo);
		gw64(a, slot + 8, hi);
		a->qtail = (a->qtail + 1) % qsize;
	}
	a_wr(w, VTD_IQT_REG, 8, a->qtail << 4);
}

static void hostile_reg(struct world *w, uint64_t *s)
{
	struct hostile *a = &w->a;
	uint32_t off = (uint32_t)rnd(s, VTD_REG_WINDOW_SIZE);
	uint64_t val = sm64(s);
	unsigned int size = rnd(s, 2) ? 4 : 8;
	uint8_t *page = liommu_viommu_regs_page(a->v);

	if (rnd(s, 4))
		off &= ~(size - 1u);	/* mostly aligned; sometimes not */
	if (rnd(s, 3) == 0)
		off = (uint32_t)rnd(s, 0x100) & ~(size - 1u);	/* the live registers */
	if (page && !(off & (size - 1)) && rnd(s, 2)) {
		/* SIDECORE: the guest's own store to the page, no kick. */
		if (size == 4)
			__atomic_store_n((uint32_t *)(void *)(page + off), (uint32_t)val,
					 __ATOMIC_RELEASE);
		else
			__atomic_store_n((uint64_t *)(void *)(page + off), val, __ATOMIC_RELEASE);
		return;
	}
	a_wr(w, off, size, val);
}

static void hostile_op(struct world *w, uint64_t *s)
{
	struct hostile *a = &w->a;
	uint16_t sid = a_gsid[rnd(s, A_NSID)];
	uint64_t iova = hostile_iova(s), v, gsts;
	struct liommu_fault f;

	switch (rnd(s, 20)) {
	case 0: case 1: case 2: case 3:
		hostile_map(a, s, sid, iova, (unsigned int)(1 + (rnd(s, 8) == 0) +
							   (rnd(s, 16) == 0)));
		if (rnd(s, 2))
			hostile_descs(w, s, 1 + (unsigned int)rnd(s, 3));
		break;
	case 4: case 5:	/* a raw entry anywhere in the tables */
		gw64(a, pool_page(s) + rnd(s, 512) * 8, hostile_entry(s, 1 + (unsigned int)rnd(s, 3)));
		break;
	case 6:		/* root and context entries */
		if (rnd(s, 2))
			gw64(a, A_ROOT + rnd(s, 2) * 8, rnd(s, 2) ? A_CTX | 1 : hostile_entry(s, 1));
		else
			gw64(a, A_CTX + (sid & 0xff) * 16 + rnd(s, 2) * 8,
			     rnd(s, 3) ? sm64(s) & (VTD_GENMASK64(63, 0)) :
					 hostile_addr(s, PG) | rnd(s, 16));
		break;
	case 7: case 8: case 9:
		hostile_reg(w, s);
		break;
	case 10: case 11:
		hostile_descs(w, s, 1 + (unsigned int)rnd(s, 8));
		break;
	case 12:	/* a flood: most of the queue, now and then all of it */
		hostile_descs(w, s, (unsigned int)(rnd(s, 16) ? rnd(s, 512) :
					 rnd(s, (PG << a->qs) / 16)));
		break;
	case 13:	/* IQA / IQT nonsense */
		if (rnd(s, 2)) {
			a->qbase = rnd(s, 2) ? A_QUEUE : hostile_addr(s, PG);
			a->qs = (unsigned int)rnd(s, 8);
			a_wr(w, VTD_IQA_REG, 8, a->qbase | a->qs | (rnd(s, 4) ? 0 : VTD_IQA_DW));
		} else {
			a_wr(w, VTD_IQT_REG, 8, rnd(s, 2) ? sm64(s) : rnd(s, 1u << 20));
		}
		break;
	case 14:	/* register invalidations */
		if (rnd(s, 2)) {
			a_wr(w, VTD_CCMD_REG, 8,
			     VTD_CCMD_ICC | rnd(s, 4) << 61 | rnd(s, 4) << 32 |
				     (uint64_t)(rnd(s, 2) ? sid : rnd(s, 65536)) << 16 | rnd(s, 16));
		} else {
			a_wr(w, IOTLB_OFF, 8, (iova & ~(PG - 1)) | rnd(s, 128));
			a_wr(w, IOTLB_OFF + 8, 8,
			     VTD_IOTLB_IVT | rnd(s, 4) << 60 | rnd(s, 16) << 32 |
				     (rnd(s, 2) ? VTD_IOTLB_DR | VTD_IOTLB_DW : 0));
		}
		break;
	case 15:	/* GCMD: TE, QIE, SRTP, random */
		gsts = a_rd(w, VTD_GSTS_REG, 4) & VTD_GSTS_PERSISTENT;
		switch (rnd(s, 5)) {
		case 0:
			v = gsts ^ VTD_GCMD_TE;
			break;
		case 1:
			v = gsts ^ VTD_GCMD_QIE;
			break;
		case 2:
			a_wr(w, VTD_RTADDR_REG, 8,
			     rnd(s, 2) ? A_ROOT : hostile_addr(s, PG) | (sm64(s) & 0xfff));
			v = gsts | VTD_GCMD_SRTP;
			break;
		case 3:
			v = gsts | VTD_GCMD_WBF;
			break;
		default:
			v = sm64(s);
			break;
		}
		a_wr(w, VTD_GCMD_REG, 4, v);
		break;
	case 16:
		(void)liommu_viommu_fault(a->v, rnd(s, 4) ? sid : (uint16_t)sm64(s),
					  rnd(s, 2) ? a->cand[rnd(s, NCAND)] : iova,
					  (unsigned int)rnd(s, 4), &f);
		break;
	case 17:	/* clear the errors and faults it caused, or not */
		a_wr(w, VTD_FSTS_REG, 4, rnd(s, 2) ? VTD_FSTS_RW1C : sm64(s));
		break;
	case 18:
		if (!rnd(s, 8))
			hostile_scaffold(w, s);
		break;
	default:	/* page-selective invalidation of a candidate, via QI */
		v = a->cand[rnd(s, NCAND)];
		{
			uint64_t qsize = (PG << a->qs) / 16;
			uint64_t slot = a->qbase + (a->qtail % qsize) * 16;

			gw64(a, slot, VTD_INV_TYPE_IOTLB | (uint64_t)VTD_IOTLB_GRAN_PAGE << 4 |
					      rnd(s, 16) << 16);
			gw64(a, slot + 8, v | rnd(s, 10));
			a->qtail = (a->qtail + 1) % qsize;
			a_wr(w, VTD_IQT_REG, 8, a->qtail << 4);
		}
		break;
	}
}

/* The second thread: table edits while the engine walks them. */
static void *editor_main(void *arg)
{
	struct world *w = arg;
	struct hostile *a = &w->a;
	uint64_t s = a->ed_seed;
	unsigned int n = 0;

	while (!atomic_load_explicit(&a->ed_stop, memory_order_acquire)) {
		switch (rnd(&s, 4)) {
		case 0:
			gw64(a, pool_page(&s) + rnd(&s, 512) * 8,
			     hostile_entry(&s, 1 + (unsigned int)rnd(&s, 3)));
			break;
		case 1:	/* flip a present leaf's permission or address */
		{
			uint64_t slot = pool_page(&s) + rnd(&s, 512) * 8, pte;

			if (gr64(a, slot, &pte))
				gw64(a, slot, pte ^ (rnd(&s, 2) ? 3 : PG << rnd(&s, 12)));
			break;
		}
		case 2:
			gw64(a, A_CTX + (a_gsid[rnd(&s, 2)] & 0xff) * 16,
			     pool_page(&s) | (rnd(&s, 8) ? 1 : rnd(&s, 16)));
			break;
		default:	/* a queue slot rewritten under the engine */
			gw64(a, A_QUEUE + rnd(&s, 32) * 16, VTD_INV_TYPE_IOTLB |
								 rnd(&s, 4) << 4);
			break;
		}
		atomic_fetch_add_explicit(&a->ed_ops, 1, memory_order_relaxed);
		/* As many edits as the batch has operations, spread over it. */
		if (++n >= BATCH)
			break;
		sched_yield();
	}
	return NULL;
}

static void editor_start(struct world *w, uint64_t *s)
{
	atomic_store(&w->a.ed_stop, false);
	w->a.ed_seed = sm64(s);
	ck_assert_int_eq(pthread_create(&w->a.ed, NULL, editor_main, w), 0);
}

static void editor_stop(struct world *w)
{
	atomic_store_explicit(&w->a.ed_stop, true, memory_order_release);
	ck_assert_int_eq(pthread_join(w->a.ed, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* The campaign                                                        */
/* ------------------------------------------------------------------ */

static uint64_t campaign_seed(void)
{
	static uint64_t seed;

	if (!seed) {
		seed = env_u64("LIOMMU_SEED", 0);
		if (!seed)
			seed = now_ns() ^ ((uint64_t)getpid() << 32);
	}
	return seed;
}

static void b_wait_progress(struct world *w, uint64_t since)
{
	uint64_t t0 = now_ns();

	while (atomic_load(&w->b.cycles) <= since) {
		ck_assert_msg(now_ns() - t0 < 20000000000ull,
			      "good VM B made no progress for 20 s while A was hostile"
			      " (seed %#" PRIx64 ")", w->seed);
		sched_yield();
	}
	ck_assert_msg(atomic_load(&w->b.failures) == 0, "good VM B: %s (seed %#" PRIx64 ")",
		      w->b.why, w->seed);
}

START_TEST(test_campaign)
{
	enum liommu_viommu_mode mode = _i ? LIOMMU_VIOMMU_TRAP : LIOMMU_VIOMMU_SIDECORE;
	uint64_t seed = campaign_seed() + (uint64_t)_i, s = seed;
	uint64_t ops = env_u64("LIOMMU_HOSTILE_OPS", DEFAULT_OPS) / 2, t0 = now_ns(), done;
	uint64_t b_last = 0;
	struct liommu_viommu_stats ast, bst;
	struct world *w = calloc(1, sizeof(*w));

	ck_assert_ptr_nonnull(w);
	printf("viommu_hostile: %s round: LIOMMU_SEED=%#" PRIx64 " (this round %#" PRIx64
	       "), %" PRIu64 " ops\n",
	       _i ? "TRAP" : "SIDECORE", campaign_seed(), seed, ops);
	fflush(stdout);
	world_up(w, mode, seed);
	hostile_scaffold(w, &s);
	ck_assert_int_eq(pthread_create(&w->b.th, NULL, good_main, w), 0);

	for (done = 0; done < ops;) {
		unsigned int i, n = ops - done < BATCH ? (unsigned int)(ops - done) : BATCH;

		if (!rnd(&s, 4))
			hostile_scaffold(w, &s);
		editor_start(w, &s);
		for (i = 0; i < n; i++)
			hostile_op(w, &s);
		editor_stop(w);
		done += n;
		w->ops += n;
		w->batches++;
		/* (1) holds at any time, before A cleans up after itself. */
		settle(w);
		check_host(w, false, &s);
		/* (2) after A's own global invalidation. */
		a_sync(w);
		check_host(w, true, &s);
		b_wait_progress(w, b_last);
		b_last = atomic_load(&w->b.cycles);
		if (!(w->batches % 250)) {
			printf("viommu_hostile: %s: %" PRIu64 " ops, %.1f s, B %" PRIu64 " cycles\n",
			       _i ? "TRAP" : "SIDECORE", w->ops, (double)(now_ns() - t0) / 1e9,
			       b_last);
			fflush(stdout);
		}
	}
	atomic_store(&w->b.stop, true);
	ck_assert_int_eq(pthread_join(w->b.th, NULL), 0);
	ck_assert_msg(atomic_load(&w->b.failures) == 0, "good VM B: %s (seed %#" PRIx64 ")",
		      w->b.why, w->seed);

	liommu_viommu_get_stats(w->a.v, &ast);
	liommu_viommu_get_stats(w->b.v, &bst);
	printf("viommu_hostile: %s round done in %.1f s: %" PRIu64 " ops (+%" PRIu64
	       " editor) in %" PRIu64 " batches; A: %" PRIu64 " reg writes, %" PRIu64
	       " invalidations, %" PRIu64 " maps, %" PRIu64 " unmaps, %" PRIu64
	       " skipped, %" PRIu64 " faults; host leaves checked %" PRIu64 " (max %" PRIu64
	       "), probes %" PRIu64 "; B: %" PRIu64 " map/DMA/unmap cycles\n",
	       _i ? "TRAP" : "SIDECORE", (double)(now_ns() - t0) / 1e9, w->ops,
	       atomic_load(&w->a.ed_ops), w->batches, ast.reg_writes, ast.invalidations,
	       ast.shadow_maps, ast.shadow_unmaps, ast.shadow_skipped, ast.faults_injected,
	       w->leaves_checked, w->host_leaves_max, w->probes, atomic_load(&w->b.cycles));
	fflush(stdout);
	/* The campaign reached the shadow: it mapped and refused things. */
	ck_assert_uint_gt(ast.shadow_maps, 0);
	ck_assert_uint_gt(ast.shadow_skipped, 0);
	ck_assert_uint_gt(bst.shadow_maps, 0);
	world_down(w);
	free(w);
}
END_TEST

Suite *viommu_hostile_suite(void);

Suite *viommu_hostile_suite(void)
{
	Suite *s = suite_create("viommu_hostile");
	uint64_t ops = env_u64("LIOMMU_HOSTILE_OPS", DEFAULT_OPS);
	TCase *tc;

	/* Chosen here, before Check forks, so every round shares it. */
	printf("viommu_hostile: LIOMMU_SEED=%#" PRIx64 " LIOMMU_HOSTILE_OPS=%" PRIu64 "\n",
	       campaign_seed(), ops);
	fflush(stdout);

	tc = tcase_create("hostile guest beside a good one: host maps only its RAM, as its tables "
			  "grant; the good VM keeps its service");
	/* Generous: sanitizers and a shared 2-core machine; long campaigns
	 * scale it. */
	tcase_set_timeout(tc, (double)(300 + ops / 200));
	tcase_add_loop_test(tc, test_campaign, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
