/* SPDX-License-Identifier: MIT */
/*
 * domain-fake.h - a small fake VT-d unit for the page-table and domain
 * suites: a register file that acknowledges GCMD, CCMD and IOTLB commands
 * (register-based invalidation) and logs them, plus page memory whose
 * physical address is its CPU address.
 *
 * Non-coherent mode keeps a separate "memory image" of every page that
 * only the platform's flush op updates, the way a unit without ECAP.C
 * sees memory; a store the driver forgot to flush shows up as a
 * difference between the CPU view and the image.
 *
 * Threading: all ops take the fake's lock.  Non-coherent mode copies page
 * bytes in flush and is for single-threaded tests only.
 */
#ifndef LIOMMU_TESTS_DOMAIN_FAKE_H
#define LIOMMU_TESTS_DOMAIN_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/liommu.h>

/* QEMU 7.2's values with aw-bits=48 (DESIGN.md), QI cleared so that the
 * driver uses the registers this fake implements. */
#define FAKE_CAP	0x00d2008c222f0606ULL
#define FAKE_ECAP	(0xf00f4aULL & ~VTD_ECAP_QI)

enum fake_cmd_kind { FAKE_CC = 1, FAKE_IOTLB = 2 };

struct fake_cmd {
	enum fake_cmd_kind kind;
	unsigned int gran;	/* CIRG or IIRG */
	uint16_t did;
	uint16_t sid;		/* context commands */
	uint64_t addr;		/* IOTLB page-selective: IVA.ADDR */
	unsigned int am;	/* IVA.AM */
	bool ih;		/* IVA.IH */
};

#define FAKE_LOG_MAX 4096

struct fake_page {
	void *va;
	uint8_t *img;		/* non-coherent mode: what the unit sees */
	struct fake_page *next;
};

struct fake {
	pthread_mutex_t lock;
	uint64_t cap, ecap;
	uint8_t regs[VTD_REG_WINDOW_SIZE];
	uint32_t gsts;
	bool ignore_iotlb;	/* leave IVT set: the driver times out */
	bool ignore_ccmd;	/* leave ICC set */
	bool ignore_wbf;	/* leave GSTS.WBFS set */
	unsigned int wbf;	/* GCMD.WBF commands seen */
	struct fake_cmd log[FAKE_LOG_MAX];
	unsigned int nlog;
	struct fake_page *pages;
	size_t live_pages;
	bool image;		/* keep a memory image (ECAP.C = 0) */
	uint64_t flush_calls;
	struct liommu_platform *plat;
};

/* Create a fake with @cap/@ecap; @image keeps a memory image. */
struct fake *fake_new(uint64_t cap, uint64_t ecap, bool image);
void fake_free(struct fake *f);
/* liommu_unit_new() on the fake: register invalidation, @width bits,
 * a short timeout so that ignored commands fail fast. */
int fake_unit(struct fake *f, unsigned int width, bool no_superpages,
	      struct liommu_unit **out);

/* Make the fake ignore (leave busy) IOTLB and/or context commands; turning
 * it off completes a command left pending, as late hardware would. */
void fake_set_ignore(struct fake *f, bool iotlb, bool ccmd);
void fake_log_clear(struct fake *f);
/* Leave GSTS.WBFS set after GCMD.WBF (the flush never completes). */
void fake_set_ignore_wbf(struct fake *f, bool wbf);
/* GCMD.WBF commands written so far. */
unsigned int fake_wbf_count(struct fake *f);
/* A register as the driver last wrote it (e.g. VTD_RTADDR_REG). */
uint64_t fake_reg64(struct fake *f, uint32_t off);
unsigned int fake_log_count(struct fake *f, enum fake_cmd_kind kind);
/* Copy of log entry @i (0 = oldest). */
struct fake_cmd fake_log_get(struct fake *f, unsigned int i);
size_t fake_live_pages(struct fake *f);
uint64_t fake_flush_calls(struct fake *f);
/* Number of pages whose image differs from the CPU view. */
unsigned int fake_image_mismatches(struct fake *f);
/* The 64-bit word at physical @pa as the unit sees it (the image in
 * non-coherent mode, memory otherwise). */
uint64_t fake_read_pa(struct fake *f, uint64_t pa);
/*
 * An independent second-level walk as the unit would do it (spec 9.8,
 * written from the spec, not from pgtable.c), over the unit's view of
 * memory.  Returns 0 and the translation, or -1 when some entry on the
 * way lacks @need (VTD_SLPTE_R or VTD_SLPTE_W) or is not present.
 */
int fake_walk(struct fake *f, uint64_t root_pa, unsigned int levels, uint64_t iova,
	      uint64_t need, uint64_t *pa, uint64_t *page_size);

#endif
