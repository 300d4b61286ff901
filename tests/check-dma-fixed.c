// SPDX-License-Identifier: MIT
/*
 * check-dma-fixed.c - fixed-IOVA mode of the DMA mapping layer
 * (liommu_dma_config.fixed_iova, liommu_dma_map_at()): the caller, a
 * vIOMMU shadow mirroring a guest's mappings, picks every IOVA.
 *
 * On the sim platform (the software VT-d model, whose IOTLB caches
 * translations as hardware does), a device really DMAs through the unit,
 * for each of STRICT, OPTIMISTIC and DEFERRED:
 *  - map_at() lands a DMA at the chosen IOVA on the right host page, with
 *    the direction's permission only;
 *  - a 2 MiB aligned IOVA and PA of 2 MiB is one superpage, a
 *    misaligned IOVA is not;
 *  - an overlap with a live mapping is -EEXIST and changes nothing; the
 *    pages next to it are exactly free;
 *  - after unmap() the DMA faults (STRICT at once, the others once
 *    drained), and a new PA at the same IOVA is what the device reaches
 *    (the stale mapping is retired first);
 *  - OPTIMISTIC: the same (IOVA, PA, length, direction) again is a reuse
 *    hit with no PTE write and no invalidation; the same PA elsewhere is
 *    not;
 *  - every rejected argument; IOVA 0 with base 0; the interrupt range;
 *  - a seeded random sequence of map_at()/unmap() against a reference of
 *    what must translate where.
 *
 * Single-threaded: the concurrency of the map path is check-dma's.
 * Links the static archive and reads the instance's configuration
 * (dma-internal.h) to see the base filled in.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/dma.h>
#include <liommu/iova.h>
#include <liommu/liommu.h>
#include <liommu/sim.h>
#include <liommu/vtd.h>

#include "sim-dev.h"

#include "dma-internal.h"

#define SID		0x0018		/* 00:03.0 */
#define PG		4096ull
#define SZ_2M		(2ull << 20)
/* A window well inside the unit's width and away from the sim's memory. */
#define WIN		0x40000000ull
/* Long enough that neither reclaimer retires anything during a test:
 * stale mappings go only when the test (or a map_at()) drains them. */
#define LONG_NS		(10ull * 1000000000ull)
#define TC_TIMEOUT	300

/* ------------------------------------------------------------------ */
/* Fixture: a sim, a unit with translation on, a domain, an instance    */
/* ------------------------------------------------------------------ */

struct env {
	struct liommu_sim *sim;
	struct liommu_unit *unit;
	struct liommu_domain *dom;
	struct liommu_dma *dma;
	enum liommu_dma_strategy s;
};

static void env_up_cfg(struct env *e, struct liommu_dma_config cfg)
{
	struct liommu_sim_config sc = { .mem_size = 64ull << 20 };

	memset(e, 0, sizeof(*e));
	ck_assert_int_eq(liommu_sim_new(&sc, &e->sim), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_sim_platform(e->sim), NULL, &e->unit), 0);
	ck_assert_int_eq(liommu_domain_new(e->unit, &e->dom), 0);
	ck_assert_int_eq(liommu_domain_attach(e->dom, SID), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(e->unit), 0);
	e->s = cfg.strategy;
	ck_assert_int_eq(liommu_dma_new(e->dom, &cfg, &e->dma), 0);
}

/* A fixed-IOVA instance of strategy @s, base 1 MiB, no timed retirement. */
static void env_up(struct env *e, enum liommu_dma_strategy s)
{
	env_up_cfg(e, (struct liommu_dma_config){
		.strategy = s,
		.fixed_iova = true,
		.iova_base = 0x100000,
		.age_ns = LONG_NS,
		.interval_ns = LONG_NS,
	});
}

static void env_down(struct env *e)
{
	liommu_dma_free(e->dma);
	liommu_domain_free(e->dom);
	liommu_unit_free(e->unit);
	liommu_sim_free(e->sim);
}

static uint64_t buf(struct env *e, size_t size, uint8_t **va)
{
	uint64_t pa;

	ck_assert_int_eq(liommu_sim_alloc(e->sim, size, (void **)va, &pa), 0);
	return pa;
}

static int dev_write(struct env *e, uint64_t iova, size_t len, uint8_t pattern)
{
	return sim_dev_write(e->sim, e->unit, SID, iova, len, pattern);
}

static int dev_read(struct env *e, uint64_t iova, void *out, size_t len)
{
	return sim_dev_read(e->sim, e->unit, SID, iova, out, len);
}

static void stats(struct env *e, struct liommu_dma_stats *st)
{
	liommu_dma_get_stats(e->dma, st);
}

static void dstats(struct env *e, struct liommu_domain_stats *st)
{
	liommu_domain_get_stats(e->dom, st);
}

static bool keeps_stale(enum liommu_dma_strategy s)
{
	return s == LIOMMU_DMA_OPTIMISTIC || s == LIOMMU_DMA_DEFERRED;
}

/* ------------------------------------------------------------------ */
/* Landing, direction, superpages                                      */
/* ------------------------------------------------------------------ */

START_TEST(map_at_lands_on_the_host_page_with_its_direction)
{
	uint64_t pa, iova = WIN + 5 * PG + 0x123, got, psz;
	struct liommu_dma_stats st;
	unsigned int prot;
	uint8_t back[6000];
	uint8_t *va;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i);
	pa = buf(&e, 4 * PG, &va);
	/* 6000 bytes from offset 0x123: two pages at the chosen IOVA */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, iova, pa + 0x123, 6000,
					   LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_domain_translate(e.dom, iova, &got, &prot, &psz), 0);
	ck_assert_uint_eq(got, pa + 0x123);
	ck_assert_uint_eq(prot, LIOMMU_PROT_RW);
	ck_assert_uint_eq(psz, PG);
	ck_assert_int_eq(liommu_domain_translate(e.dom, iova + 6000 - 1, &got, NULL, NULL), 0);
	ck_assert_uint_eq(got, pa + 0x123 + 6000 - 1);
	/* exactly two pages: the ones around are not mapped */
	ck_assert_int_eq(liommu_domain_translate(e.dom, WIN + 4 * PG, NULL, NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(liommu_domain_translate(e.dom, WIN + 7 * PG, NULL, NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(dev_write(&e, iova, 6000, 0x5a), 0);
	ck_assert_uint_eq(va[0x123], 0x5a);
	ck_assert_uint_eq(va[0x123 + 5999], 0x5a);
	ck_assert_uint_eq(va[0x122], 0);
	ck_assert_uint_eq(va[0x123 + 6000], 0);
	memset(va + 0x123, 0xc3, 6000);
	ck_assert_int_eq(dev_read(&e, iova, back, 6000), 0);
	ck_assert_uint_eq(back[0], 0xc3);
	ck_assert_uint_eq(back[5999], 0xc3);

	/* TO_DEVICE: the device reads, its write faults and changes nothing */
	memset(va + 3 * PG, 0x11, 100);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 9 * PG, pa + 3 * PG, 100,
					   LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(dev_read(&e, WIN + 9 * PG, back, 100), 0);
	ck_assert_uint_eq(back[99], 0x11);
	ck_assert_int_eq(dev_write(&e, WIN + 9 * PG, 100, 0x22), -EFAULT);
	ck_assert_uint_eq(va[3 * PG], 0x11);
	/* FROM_DEVICE: the device writes, its read faults */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 10 * PG, pa + 3 * PG, 100,
					   LIOMMU_DMA_FROM_DEVICE), 0);
	ck_assert_int_eq(dev_write(&e, WIN + 10 * PG, 100, 0x33), 0);
	ck_assert_uint_eq(va[3 * PG + 99], 0x33);
	ck_assert_int_eq(dev_read(&e, WIN + 10 * PG, back, 100), -EFAULT);

	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 3);
	ck_assert_uint_eq(st.live_pages, 4);
	ck_assert_uint_eq(st.reuse_hits, 0);
	ck_assert_uint_eq(st.map_at_drains, 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 6000, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 9 * PG, 100, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 10 * PG, 100, LIOMMU_DMA_FROM_DEVICE), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.unmaps, 3);
	ck_assert_uint_eq(st.live_pages, 0);
	env_down(&e);
}
END_TEST

START_TEST(map_at_2m_aligned_is_a_superpage)
{
	struct liommu_domain_stats d0, d1;
	uint64_t raw, pa, got, psz;
	uint8_t *va;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i);
	raw = buf(&e, 2 * SZ_2M, &va);
	pa = (raw + SZ_2M - 1) & ~(SZ_2M - 1);
	va += pa - raw;
	dstats(&e, &d0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 4 * SZ_2M, pa, SZ_2M,
					   LIOMMU_DMA_BIDIRECTIONAL), 0);
	dstats(&e, &d1);
	ck_assert_int_eq(liommu_domain_translate(e.dom, 4 * SZ_2M + 0x1234, &got, NULL, &psz), 0);
	ck_assert_uint_eq(psz, SZ_2M);
	ck_assert_uint_eq(got, pa + 0x1234);
	/* one leaf plus at most the two table entries above it */
	ck_assert_uint_le(d1.pte_writes - d0.pte_writes, 3);
	ck_assert_uint_eq(d1.mapped_bytes - d0.mapped_bytes, SZ_2M);
	ck_assert_int_eq(dev_write(&e, 4 * SZ_2M + SZ_2M - 8, 8, 0x77), 0);
	ck_assert_uint_eq(va[SZ_2M - 1], 0x77);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, 4 * SZ_2M, SZ_2M, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);

	/* the same PA at an IOVA 4 KiB off the boundary: small pages only */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 6 * SZ_2M + PG, pa, SZ_2M,
					   LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_domain_translate(e.dom, 6 * SZ_2M + PG, &got, NULL, &psz), 0);
	ck_assert_uint_eq(psz, PG);
	ck_assert_uint_eq(got, pa);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, 6 * SZ_2M + PG, SZ_2M,
					  LIOMMU_DMA_BIDIRECTIONAL), 0);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Overlap, unmap, remap                                               */
/* ------------------------------------------------------------------ */

START_TEST(map_at_overlapping_a_live_mapping_is_eexist)
{
	struct liommu_domain_stats d0, d1;
	struct liommu_dma_stats s0, s1;
	uint64_t pa, pb, got;
	uint8_t *va, *vb, back[8];
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i);
	pa = buf(&e, 3 * PG, &va);
	pb = buf(&e, 8 * PG, &vb);
	memset(va, 0xaa, 3 * PG);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 4 * PG, pa, 3 * PG,
					   LIOMMU_DMA_BIDIRECTIONAL), 0);
	dstats(&e, &d0);
	stats(&e, &s0);
	/* the same range, its tail, its head, around it, inside it */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 4 * PG, pb, 3 * PG,
					   LIOMMU_DMA_BIDIRECTIONAL), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 6 * PG, pb, 2 * PG,
					   LIOMMU_DMA_TO_DEVICE), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 3 * PG, pb, 2 * PG,
					   LIOMMU_DMA_TO_DEVICE), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 2 * PG + 0x10, pb + 0x10, 6 * PG,
					   LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 5 * PG + 1, pb + 1, 1,
					   LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	/* the same buffer again: still refused, it is live */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 4 * PG, pa, 3 * PG,
					   LIOMMU_DMA_BIDIRECTIONAL), -EEXIST);
	dstats(&e, &d1);
	stats(&e, &s1);
	ck_assert_uint_eq(d1.pte_writes, d0.pte_writes);
	ck_assert_uint_eq(d1.mapped_bytes, d0.mapped_bytes);
	ck_assert_uint_eq(s1.maps, s0.maps);
	ck_assert_uint_eq(s1.live_pages, 3);
	ck_assert_uint_eq(s1.reuse_hits, 0);
	ck_assert_int_eq(liommu_domain_translate(e.dom, WIN + 6 * PG + 8, &got, NULL, NULL), 0);
	ck_assert_uint_eq(got, pa + 2 * PG + 8);
	ck_assert_int_eq(dev_read(&e, WIN + 6 * PG, back, 8), 0);
	ck_assert_uint_eq(back[0], 0xaa);
	ck_assert_int_eq(dev_write(&e, WIN + 4 * PG, 8, 0xbb), 0);
	ck_assert_uint_eq(va[0], 0xbb);
	ck_assert_uint_eq(vb[0], 0);
	/* the pages on either side are free, exactly */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 3 * PG, pb, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 7 * PG, pb + PG, PG,
					   LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 3 * PG, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 7 * PG, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 4 * PG, 3 * PG,
					  LIOMMU_DMA_BIDIRECTIONAL), 0);
	env_down(&e);
}
END_TEST

START_TEST(unmap_ends_the_dma)
{
	uint64_t pa, iova = WIN + 0x80;
	struct liommu_dma_stats st;
	uint8_t *va;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i);
	pa = buf(&e, PG, &va);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, iova, pa + 0x80, 64, LIOMMU_DMA_FROM_DEVICE), 0);
	/* the unit now holds the translation in its IOTLB */
	ck_assert_int_eq(dev_write(&e, iova, 64, 1), 0);
	ck_assert_uint_eq(va[0x80], 1);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_FROM_DEVICE), 0);
	if (_i == LIOMMU_DMA_STRICT) {
		ck_assert_int_eq(dev_write(&e, iova, 64, 2), -EFAULT);
	} else if (_i == LIOMMU_DMA_OPTIMISTIC) {
		/* cached: still mapped until retired (the promised window) */
		ck_assert_int_eq(dev_write(&e, iova, 64, 2), 0);
		stats(&e, &st);
		ck_assert_uint_eq(st.stale_pages, 1);
	} else {
		stats(&e, &st);
		ck_assert_uint_eq(st.stale_pages, 1);
		ck_assert_int_eq(liommu_domain_translate(e.dom, iova, NULL, NULL, NULL), -ENOENT);
	}
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	ck_assert_int_eq(dev_write(&e, iova, 64, 3), -EFAULT);
	ck_assert_uint_ne(va[0x80], 3);
	ck_assert_int_eq(liommu_domain_translate(e.dom, iova, NULL, NULL, NULL), -ENOENT);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(st.mapped_pages, 0);
	/* a second unmap finds nothing */
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_FROM_DEVICE), -ENOENT);
	env_down(&e);
}
END_TEST

/*
 * A new PA at an IOVA whose old mapping is stale (OPTIMISTIC cached,
 * DEFERRED queued, STRICT gone): the device reaches the new PA, never the
 * old one, also when the new range only partly overlaps the old.
 */
START_TEST(remap_at_same_iova_reaches_the_new_page)
{
	struct liommu_dma_stats s0, s1;
	uint8_t *va, *vb, back[8];
	uint64_t pa, pb;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i);
	pa = buf(&e, 2 * PG, &va);
	pb = buf(&e, 2 * PG, &vb);
	memset(va, 0xaa, 2 * PG);
	memset(vb, 0xbb, 2 * PG);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pa, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(dev_read(&e, WIN + PG, back, 8), 0);	/* cached by the unit */
	ck_assert_uint_eq(back[0], 0xaa);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	stats(&e, &s0);
	/* same IOVA, other PA: not a reuse hit */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pb, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	stats(&e, &s1);
	ck_assert_uint_eq(s1.reuse_hits, s0.reuse_hits);
	ck_assert_uint_eq(s1.map_at_drains, s0.map_at_drains + keeps_stale(e.s));
	ck_assert_uint_eq(s1.retired, s0.retired + keeps_stale(e.s));
	ck_assert_uint_eq(s1.stale_pages, 0);
	ck_assert_int_eq(dev_read(&e, WIN + PG, back, 8), 0);
	ck_assert_uint_eq(back[0], 0xbb);
	ck_assert_int_eq(dev_write(&e, WIN, 8, 0xcc), 0);
	ck_assert_uint_eq(vb[0], 0xcc);
	ck_assert_uint_eq(va[0], 0xaa);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);

	/* half overlapping the stale range: [WIN + PG, WIN + 3 PG) to pa */
	stats(&e, &s0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + PG, pa, 2 * PG, LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &s1);
	ck_assert_uint_eq(s1.map_at_drains, s0.map_at_drains + keeps_stale(e.s));
	ck_assert_int_eq(dev_read(&e, WIN + PG, back, 8), 0);
	ck_assert_uint_eq(back[0], 0xaa);
	/* and the page the new range left out is gone for the device */
	ck_assert_int_eq(dev_read(&e, WIN, back, 8), -EFAULT);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + PG, 2 * PG, LIOMMU_DMA_TO_DEVICE), 0);
	env_down(&e);
}
END_TEST

START_TEST(optimistic_same_mapping_again_is_a_reuse_hit)
{
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_stats s0, s1;
	uint64_t pa, got;
	uint8_t *va, back[8];
	struct env e;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC);
	pa = buf(&e, 2 * PG, &va);
	memset(va, 0x5e, 2 * PG);
	/* two pages from offset 0x40 */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 0x40, pa + 0x40, 2 * PG - 0x80,
					   LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 0x40, 2 * PG - 0x80,
					  LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &s0);
	liommu_unit_get_stats(e.unit, &u0);
	/* same IOVA, PA, page count and direction (another length in the
	 * same pages): the cached mapping, untouched */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 0x40, pa + 0x40, PG,
					   LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &s1);
	liommu_unit_get_stats(e.unit, &u1);
	ck_assert_uint_eq(s1.reuse_hits, s0.reuse_hits + 1);
	ck_assert_uint_eq(s1.maps, s0.maps + 1);
	ck_assert_uint_eq(s1.pte_writes, s0.pte_writes);
	ck_assert_uint_eq(u1.inv_descs, u0.inv_descs);
	ck_assert_uint_eq(s1.map_at_drains, 0);
	ck_assert_uint_eq(s1.stale_pages, 0);
	ck_assert_uint_eq(s1.live_pages, 2);
	ck_assert_int_eq(dev_read(&e, WIN + 0x40, back, 8), 0);
	ck_assert_uint_eq(back[0], 0x5e);
	/* unmap with the new length, as map_at() was given */
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 0x40, 2 * PG - 0x80,
					  LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, WIN + 0x40, PG, LIOMMU_DMA_TO_DEVICE), 0);

	/* the same buffer at another IOVA is not a hit, and the device
	 * reaches it there; the cached one stays where it is */
	stats(&e, &s0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 8 * PG + 0x40, pa + 0x40, PG,
					   LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &s1);
	ck_assert_uint_eq(s1.reuse_hits, s0.reuse_hits);
	ck_assert_uint_gt(s1.pte_writes, s0.pte_writes);
	ck_assert_uint_eq(s1.stale_pages, 2);
	ck_assert_int_eq(liommu_domain_translate(e.dom, WIN + 8 * PG + 0x40, &got, NULL, NULL), 0);
	ck_assert_uint_eq(got, pa + 0x40);
	/* another direction at the cached IOVA: not a hit either */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 0x40, pa + 0x40, PG,
					   LIOMMU_DMA_BIDIRECTIONAL), 0);
	stats(&e, &s0);
	ck_assert_uint_eq(s0.reuse_hits, s1.reuse_hits);
	ck_assert_uint_eq(s0.map_at_drains, 1);
	ck_assert_int_eq(dev_write(&e, WIN + 0x40, 8, 0x61), 0);
	ck_assert_uint_eq(va[0x40], 0x61);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rejected arguments, IOVA 0, the interrupt range                     */
/* ------------------------------------------------------------------ */

START_TEST(map_at_rejects_bad_arguments)
{
	const uint64_t limit = 3ull << 30;	/* not a power of two */
	struct liommu_domain_stats ds;
	struct liommu_dma_stats st;
	struct liommu_dma_sg sg;
	uint64_t pa, iova = 0x77;
	struct liommu_dma *d;
	struct env e;

	env_up_cfg(&e, (struct liommu_dma_config){
		.strategy = (enum liommu_dma_strategy)_i,
		.fixed_iova = true,
		.iova_base = 0x100000,
		.iova_limit = limit,
		.age_ns = LONG_NS,
		.interval_ns = LONG_NS,
	});
	ck_assert_uint_eq(e.dma->cfg.iova_base, 0x100000);
	pa = buf(&e, 2 * PG, NULL);
	ck_assert_int_eq(liommu_dma_map_at(NULL, WIN, pa, PG, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pa, 0, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pa, PG, (enum liommu_dma_dir)0), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pa, PG, (enum liommu_dma_dir)4), -EINVAL);
	/* page offsets differ */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 1, pa, PG, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 0x800, pa + 0x400, 16,
					   LIOMMU_DMA_TO_DEVICE), -EINVAL);
	/* overflow of pa + len and of iova + len */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN + 0xff5, UINT64_MAX - 10, 12,
					   LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, UINT64_MAX - 10, pa + 0xff5, 12,
					   LIOMMU_DMA_TO_DEVICE), -EINVAL);
	/* outside [iova_base, iova_limit) */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0, pa, PG, LIOMMU_DMA_TO_DEVICE), -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0x100000 - PG, pa, PG, LIOMMU_DMA_TO_DEVICE),
			 -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0x100000 - PG, pa, 2 * PG,
					   LIOMMU_DMA_TO_DEVICE), -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, limit, pa, PG, LIOMMU_DMA_TO_DEVICE), -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, limit - PG, pa, 2 * PG, LIOMMU_DMA_TO_DEVICE),
			 -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 1ull << 48, pa, PG, LIOMMU_DMA_TO_DEVICE),
			 -ERANGE);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, UINT64_MAX & ~(PG - 1), pa, PG,
					   LIOMMU_DMA_TO_DEVICE), -ERANGE);
	/* liommu_dma_map() and map_sg() belong to instances that pick IOVAs */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), -EINVAL);
	ck_assert_uint_eq(iova, 0x77);
	sg = (struct liommu_dma_sg){ .pa = pa, .len = PG, .iova = 0x77 };
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, &sg, 1, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_uint_eq(sg.iova, 0x77);
	/* the edges that are inside do map */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0x100000, pa, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, limit - PG, pa + PG, PG, LIOMMU_DMA_TO_DEVICE),
			 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 2);
	ck_assert_uint_eq(st.live_pages, 2);
	dstats(&e, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 2 * PG);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, 0x100000, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, limit - PG, PG, LIOMMU_DMA_TO_DEVICE), 0);
	liommu_dma_free(e.dma);

	/* an instance that picks IOVAs refuses map_at() */
	ck_assert_int_eq(liommu_dma_new(e.dom, &(struct liommu_dma_config){
		.strategy = (enum liommu_dma_strategy)_i }, &e.dma), 0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, WIN, pa, PG, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 0);
	liommu_dma_free(e.dma);

	/* DIRECT has no IOVA to choose */
	d = (struct liommu_dma *)&sg;
	ck_assert_int_eq(liommu_dma_new(e.dom, &(struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .fixed_iova = true,
		.ranges = &(struct liommu_dma_range){ pa, 2 * PG }, .nranges = 1 }, &d), -EINVAL);
	ck_assert_ptr_eq(d, (struct liommu_dma *)&sg);
	dstats(&e, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 0);
	e.dma = NULL;
	env_down(&e);
}
END_TEST

START_TEST(iova_zero_with_base_zero)
{
	uint64_t pa, got;
	uint8_t *va;
	struct env e;

	env_up_cfg(&e, (struct liommu_dma_config){
		.strategy = (enum liommu_dma_strategy)_i,
		.fixed_iova = true,
		.age_ns = LONG_NS,
		.interval_ns = LONG_NS,
	});
	/* base 0 stays 0 (not the 1 MiB default) */
	ck_assert_uint_eq(e.dma->cfg.iova_base, 0);
	pa = buf(&e, 2 * PG, &va);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0, pa, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_domain_translate(e.dom, 0, &got, NULL, NULL), 0);
	ck_assert_uint_eq(got, pa);
	ck_assert_int_eq(dev_write(&e, 0, 8, 0x42), 0);
	ck_assert_uint_eq(va[0], 0x42);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, 0, 2 * PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	ck_assert_int_eq(dev_write(&e, 0, 8, 0x43), -EFAULT);
	ck_assert_uint_eq(va[0], 0x42);
	/* and IOVA 0 can be taken again */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, 0, pa + PG, PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	ck_assert_int_eq(dev_write(&e, 0, 8, 0x44), 0);
	ck_assert_uint_eq(va[PG], 0x44);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, 0, PG, LIOMMU_DMA_BIDIRECTIONAL), 0);
	env_down(&e);
}
END_TEST

START_TEST(interrupt_range_is_refused)
{
	const uint64_t intr = VTD_MSI_ADDR_BASE;	/* spec 3.14 */
	struct liommu_domain_stats ds;
	struct liommu_dma_stats st;
	uint64_t pa;
	struct env e;

	ck_assert_uint_eq(intr, 0xfee00000ull);
	env_up(&e, (enum liommu_dma_strategy)_i);
	pa = buf(&e, 2 * PG, NULL);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr, pa, PG, LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr + 0xff000, pa, PG,
					   LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	/* straddling either edge */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr - PG, pa, 2 * PG,
					   LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr + 0xff000, pa, 2 * PG,
					   LIOMMU_DMA_FROM_DEVICE), -EEXIST);
	dstats(&e, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 0);
	/* the pages just outside map */
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr - PG, pa, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_map_at(e.dma, intr + 0x100000, pa + PG, PG,
					   LIOMMU_DMA_FROM_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, intr - PG, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, intr + 0x100000, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Random map_at/unmap against a reference                             */
/* ------------------------------------------------------------------ */

#define R_PAGES		192u	/* IOVA pages in the window tested */
#define R_HOST		48u	/* host pages, each filled with its tag */
#define R_MAX_PAGES	6u
#define R_OPS		3000u
#define R_CHECK_EVERY	100u
#define R_SEED		0x5eed0f1eu

struct r_map {
	bool live;
	uint64_t iova, len;		/* as given to map_at (iova with offset) */
	unsigned int first, n;		/* IOVA pages [first, first + n) */
	unsigned int host;		/* first host page */
	enum liommu_dma_dir dir;
};

/* Per IOVA page: index into the mappings + 1, or 0 when not live. */
struct r_ref {
	unsigned int owner[R_PAGES];
	struct r_map map[R_PAGES];
	unsigned int nmap;
};

static uint64_t r_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint8_t r_tag(unsigned int host_page)
{
	return (uint8_t)(0x10 + host_page);
}

/*
 * Every IOVA page of the window: a live page translates to its host
 * page with its direction and the device reaches that page's tag; any
 * other page is unreachable (STRICT always, the others once drained).
 */
static void r_check(struct env *e, const struct r_ref *r, uint64_t host_pa, unsigned int op)
{
	uint64_t iova, got, psz;
	unsigned int p, prot;
	uint8_t back[8];
	int ret;

	if (keeps_stale(e->s))
		ck_assert_int_eq(liommu_dma_drain(e->dma), 0);
	for (p = 0; p < R_PAGES; p++) {
		iova = WIN + p * PG;
		ret = liommu_domain_translate(e->dom, iova, &got, &prot, &psz);
		if (!r->owner[p]) {
			ck_assert_msg(ret == -ENOENT, "op %u: page %u mapped (%d)", op, p, ret);
			ck_assert_int_eq(dev_read(e, iova, back, 8), -EFAULT);
			ck_assert_int_eq(dev_write(e, iova, 8, 0), -EFAULT);
			continue;
		}
		const struct r_map *m = &r->map[r->owner[p] - 1];
		unsigned int h = m->host + (p - m->first);

		ck_assert_msg(ret == 0, "op %u: page %u not mapped (%d)", op, p, ret);
		ck_assert_uint_eq(got, host_pa + h * PG);
		ck_assert_uint_eq(prot, (unsigned int)m->dir);
		ck_assert_uint_eq(psz, PG);
		ret = dev_read(e, iova, back, 8);
		if (m->dir & LIOMMU_PROT_READ) {
			ck_assert_int_eq(ret, 0);
			ck_assert_uint_eq(back[0], r_tag(h));
			ck_assert_uint_eq(back[7], r_tag(h));
		} else {
			ck_assert_int_eq(ret, -EFAULT);
		}
		/* the tag itself, so the host page keeps its content */
		ret = dev_write(e, iova, 8, r_tag(h));
		ck_assert_int_eq(ret, m->dir & LIOMMU_PROT_WRITE ? 0 : -EFAULT);
	}
}

START_TEST(random_map_at_unmap_matches_reference)
{
	struct r_ref *r = calloc(1, sizeof(*r));
	uint64_t host_pa, x = R_SEED + (uint64_t)_i * 7919;
	struct liommu_dma_stats st;
	unsigned int op, p, i, nlive = 0, maps = 0, unmaps = 0, refused = 0;
	uint8_t *host_va;
	struct env e;

	ck_assert_ptr_nonnull(r);
	env_up(&e, (enum liommu_dma_strategy)_i);
	host_pa = buf(&e, R_HOST * PG, &host_va);
	for (i = 0; i < R_HOST; i++)
		memset(host_va + i * PG, r_tag(i), PG);
	for (op = 0; op < R_OPS; op++) {
		uint64_t rnd = r_next(&x);

		if (nlive && rnd % 5 < 2) {
			/* unmap a random live mapping */
			unsigned int k = (unsigned int)(r_next(&x) % r->nmap);

			while (!r->map[k].live)
				k = (k + 1) % r->nmap;
			struct r_map *m = &r->map[k];

			ck_assert_int_eq(liommu_dma_unmap(e.dma, m->iova, m->len, m->dir), 0);
			for (p = m->first; p < m->first + m->n; p++)
				r->owner[p] = 0;
			m->live = false;
			nlive--;
			unmaps++;
		} else {
			unsigned int n = 1 + (unsigned int)(r_next(&x) % R_MAX_PAGES);
			unsigned int first = (unsigned int)(r_next(&x) % (R_PAGES - n + 1));
			unsigned int host = (unsigned int)(r_next(&x) % (R_HOST - n + 1));
			unsigned int off = (unsigned int)(r_next(&x) % PG);
			unsigned int end = (unsigned int)(r_next(&x) % PG) + 1;
			enum liommu_dma_dir dir = (enum liommu_dma_dir)(1 + r_next(&x) % 3);
			bool overlap = false;
			uint64_t len;
			int want, ret;

			/* bytes [off, (n - 1) pages + end) cover exactly n pages */
			if (n == 1 && end <= off)
				end = off + 1 + (unsigned int)(r_next(&x) % (PG - off));
			len = (n - 1) * PG + end - off;
			for (p = first; p < first + n; p++)
				overlap |= r->owner[p] != 0;
			want = overlap ? -EEXIST : 0;
			ret = liommu_dma_map_at(e.dma, WIN + first * PG + off,
						host_pa + host * PG + off, len, dir);
			ck_assert_msg(ret == want, "seed %#x op %u: map_at pages %u+%u: %d, want %d",
				      R_SEED, op, first, n, ret, want);
			if (!ret) {
				struct r_map *m;

				for (i = 0; i < r->nmap && r->map[i].live; i++)
					;
				if (i == r->nmap)
					r->nmap++;
				m = &r->map[i];
				*m = (struct r_map){ true, WIN + first * PG + off, len, first, n,
						     host, dir };
				for (p = first; p < first + n; p++)
					r->owner[p] = i + 1;
				nlive++;
				maps++;
			} else {
				refused++;
			}
		}
		if (op % R_CHECK_EVERY == R_CHECK_EVERY - 1)
			r_check(&e, r, host_pa, op);
	}
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, maps);
	ck_assert_uint_eq(st.unmaps, unmaps);
	/* both outcomes were exercised, or the test proves little */
	ck_assert_uint_gt(refused, 100);
	ck_assert_uint_gt(maps, 500);
	/* the retry after retiring stale mappings was exercised */
	if (keeps_stale(e.s))
		ck_assert_uint_gt(st.map_at_drains, 0);
	else
		ck_assert_uint_eq(st.map_at_drains, 0);
	for (i = 0; i < r->nmap; i++)
		if (r->map[i].live)
			ck_assert_int_eq(liommu_dma_unmap(e.dma, r->map[i].iova, r->map[i].len,
							  r->map[i].dir), 0);
	memset(r->owner, 0, sizeof(r->owner));
	r_check(&e, r, host_pa, R_OPS);
	stats(&e, &st);
	ck_assert_uint_eq(st.live_pages, 0);
	ck_assert_uint_eq(st.mapped_pages, 0);
	env_down(&e);
	free(r);
}
END_TEST

Suite *dma_fixed_suite(void);

Suite *dma_fixed_suite(void)
{
	Suite *s = suite_create("dma-fixed");
	TCase *tc;

	tc = tcase_create("mapping");
	tcase_add_loop_test(tc, map_at_lands_on_the_host_page_with_its_direction,
			    LIOMMU_DMA_STRICT, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_at_2m_aligned_is_a_superpage, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_at_overlapping_a_live_mapping_is_eexist, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, unmap_ends_the_dma, LIOMMU_DMA_STRICT, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, remap_at_same_iova_reaches_the_new_page, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_test(tc, optimistic_same_mapping_again_is_a_reuse_hit);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, map_at_rejects_bad_arguments, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, iova_zero_with_base_zero, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, interrupt_range_is_refused, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_loop_test(tc, random_map_at_unmap_matches_reference, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);
	return s;
}
