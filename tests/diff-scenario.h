/* SPDX-License-Identifier: MIT */
/*
 * diff-scenario.h - the differential runner: one scenario, two VT-d units.
 *
 * A scenario is a sequence of operations a hypervisor and a device would
 * perform on a VT-d unit: tables changed through the driver API in
 * liommu.h (map, unmap, unmap without invalidation and a later flush,
 * attach, detach, translation on/off), raw register writes, raw
 * invalidation descriptors (valid and malformed) pushed into the driver's
 * queue, DMAs by an edu-like device (a 4 KiB buffer and a DMA engine),
 * and fault collection.  The same scenario runs on two "sides", each a
 * platform with the driver on top: the sim platform (the model) and the
 * qemu platform (QEMU 7.2's intel_iommu.c with its edu device), or two
 * sims, or a sim and a vIOMMU instance (liommu/viommu.h: the driver as
 * the guest's, on the instance's guest platform, in either mode).  After every operation the runner compares every observable:
 * the return code of each driver call, the registers (GSTS, FSTS, FECTL,
 * FEDATA/FEADDR, IQH/IQT, ICS, IECTL and friends, CCMD, the IOTLB
 * register, the fault record), the collected faults (reason, source-id,
 * address, type), and the bytes DMA and wait descriptors wrote into the
 * data region; at the end of a scenario, the device buffer too.
 *
 * Physical layout shared by both sides (the sim is built with the same
 * 256 MiB at physical 0 as QEMU's guest RAM, and [0, 16 MiB) is taken
 * from its allocator so table pages never land there):
 *   DIFF_POOL    64 pages of 4 KiB mappings' frames (the last page holds
 *                wait-descriptor status words);
 *   DIFF_SP0/1   two 2 MiB frames for superpage mappings (DMAs touch
 *                only their first DIFF_SP_WINDOW bytes).
 *
 * Generation is deterministic: a scenario is a function of its seed.
 */
#ifndef DIFF_SCENARIO_H
#define DIFF_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include <liommu/liommu.h>
#include <liommu/qemu.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#define DIFF_POOL		0x400000ULL	/* 4 MiB */
#define DIFF_POOL_PAGES		64u
#define DIFF_STATUS		(DIFF_POOL + (DIFF_POOL_PAGES - 1) * VTD_PAGE_SIZE)
#define DIFF_SP0		0x600000ULL
#define DIFF_SP1		0x800000ULL
#define DIFF_SP_WINDOW		0x10000ULL
#define DIFF_REGION_END		0xa00000ULL
/* IOVA windows (edu's DMA mask is 28 bits). */
#define DIFF_IOVA_SMALL		0x100000ULL	/* 32 pages of 4 KiB maps */
#define DIFF_IOVA_SMALL_PAGES	32u
#define DIFF_IOVA_SP		0x2000000ULL	/* 32 MiB: three 2 MiB slots */
#define DIFF_DOMAINS		2u
#define DIFF_MAX_OPS		48u
#define DIFF_MAX_DESC		4u
#define DIFF_BUF_USABLE		4095u		/* LIOMMU_EDU_BUF_USABLE */

enum diff_op_kind {
	DOP_MAP = 1,		/* liommu_domain_map */
	DOP_UNMAP,		/* liommu_domain_unmap (strict) */
	DOP_UNMAP_NOSYNC,	/* PTEs cleared, no invalidation: stale */
	DOP_FLUSH,		/* liommu_domain_flush of the gather */
	DOP_ATTACH,		/* edu to a domain */
	DOP_DETACH,
	DOP_TE,			/* enable / disable translation */
	DOP_DMA,		/* edu DMA */
	DOP_FAULTS,		/* liommu_unit_read_faults */
	DOP_REG32,		/* raw register write */
	DOP_REG64,
	DOP_QI,			/* raw descriptors + IQT write */
};

struct diff_op {
	enum diff_op_kind kind;
	unsigned int dom;		/* domain index */
	uint64_t iova;
	uint64_t pa;
	uint64_t size;
	unsigned int prot;
	bool to_ram;			/* DMA direction: edu -> RAM */
	uint32_t buf_off;
	uint32_t len;
	uint32_t reg;
	uint64_t val;
	unsigned int ndesc;
	struct vtd_inv_desc desc[DIFF_MAX_DESC];
	bool desc_did[DIFF_MAX_DESC];	/* DID field = domain @dom's ID */
};

struct diff_scenario {
	uint64_t seed;
	unsigned int nops;
	struct diff_op ops[DIFF_MAX_OPS];
};

/* One unit under test: a platform, the driver on it, an edu device. */
struct diff_side {
	const char *name;
	struct liommu_sim *sim;		/* exactly one of sim, q, v */
	struct liommu_qemu *q;
	struct liommu_viommu *v;
	struct liommu_sidecore *sc;	/* v in SIDECORE mode: its thread */
	struct liommu_platform *gplat;	/* v: the guest platform */
	/*
	 * Called after every operation (and wherever the runner reads what
	 * its own writes caused) before the side's observables are read:
	 * make the register writes made so far take effect.  NULL when they
	 * do at once (sim, qemu, TRAP).  Return: 0, or -ETIMEDOUT.
	 */
	int (*settle)(struct diff_side *s);
	unsigned long settles, settle_timeouts;
	/* SIDECORE (diff-scenario.c, bus_wr32()): write-1-to-clear stores
	 * of the value the page showed, made visible; SRTP/SIRTP stores
	 * that met their GSTS status bit already set; write-1-to-clear
	 * stores settled before the next access. */
	unsigned long w1c_visible, gcmd_early, w1c_settled;
	struct liommu_platform *plat;
	uint8_t *ram;			/* CPU address of physical 0 */
	uint16_t sid;			/* edu's source-id */
	uint8_t edu[4096];		/* sim: the device buffer */
	struct liommu_unit *u;
	struct liommu_domain *dom[DIFF_DOMAINS];
	struct liommu_gather g[DIFF_DOMAINS];
	int attached;			/* domain index or -1 */
};

/* A side on a sim (@mc NULL: liommu_model_config_default() with caches
 * sized so no entry is evicted within a scenario, no PDE cache, as QEMU).
 * Return: 0 or negative errno. */
int diff_side_sim(struct diff_side *s, const struct liommu_model_config *mc);
/* The unit both sides of a sim-vs-vIOMMU comparison are:
 * liommu_viommu_config_default()'s, with flush_on_te (which the engine
 * forces) and the caches sized as diff_side_sim() sizes them. */
void diff_viommu_unit_config(struct liommu_model_config *mc);
/*
 * A side on a vIOMMU instance in @mode: guest RAM is a 256 MiB host
 * buffer at guest-physical 0 (as the sim's memory), the driver runs on
 * liommu_viommu_guest_platform_new() over [16 MiB, 256 MiB), edu's DMA
 * goes through liommu_viommu_model() (@mc NULL: diff_viommu_unit_config()).
 * In SIDECORE mode a sidecore thread serves the instance and @s->settle
 * waits for its passes; @s must not move while the side lives.
 * Return: 0 or negative errno.
 */
int diff_side_viommu(struct diff_side *s, enum liommu_viommu_mode mode,
		     const struct liommu_model_config *mc);
/* Free a vIOMMU side entirely (driver objects, platforms, thread,
 * instance, guest RAM). */
void diff_side_viommu_free(struct diff_side *s);
/* A side on a running QEMU (caller starts and stops it). */
int diff_side_qemu(struct diff_side *s, struct liommu_qemu *q);
/* Free the driver objects (not the platform). */
void diff_side_fini(struct diff_side *s);

/* Build scenario @seed. */
void diff_generate(uint64_t seed, struct diff_scenario *sc);

/*
 * Run @sc on both sides.  Return: 0 when every observable agreed; else
 * -1 with a description of the first difference (operation index, what,
 * both values) in @why.
 */
int diff_run(const struct diff_scenario *sc, struct diff_side *a, struct diff_side *b,
	     char *why, size_t why_len);

/* DMAs so far refused by a cached entry's permissions, where QEMU 7.2
 * records no fault and the model (with the spec) does. */
unsigned long diff_quirks(void);

/* Print @sc, one operation a line, up to @upto (inclusive). */
void diff_dump(const struct diff_scenario *sc, unsigned int upto, char *out, size_t len);

/* check-model-diff.c: run @n scenarios from $LIOMMU_SEED (printed) on @a and
 * @b, failing the Check test with a reproducer; $LIOMMU_DIFF_N or @def. */
void diff_run_many(struct diff_side *a, struct diff_side *b, unsigned int n);
unsigned int diff_count(unsigned int def);

/* The QEMU test case lives in check-model-diff-qemu.c, built when configure
 * found qemu-system-x86_64. */
#ifdef LIOMMU_QEMU_TESTS
void diff_qemu_tcases(Suite *s);
#else
static inline void diff_qemu_tcases(Suite *s) { (void)s; }
#endif

/* SplitMix64: the scenario generator's random numbers. */
static inline uint64_t diff_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* DIFF_SCENARIO_H */
