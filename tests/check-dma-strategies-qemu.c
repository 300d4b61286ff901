// SPDX-License-Identifier: MIT
/*
 * check-dma-strategies-qemu.c - the DMA mapping strategies on QEMU 7.2's own VT-d
 * model, with the edu device doing the DMA (the hardware oracle).
 *
 * One QEMU per test; each strategy gets a fresh domain with edu attached,
 * IOVAs below edu's 28-bit DMA mask, and buffers in the platform's data
 * region:
 *  - STRICT: edu writes through the mapping; once unmap() returns the
 *    same DMA is blocked and QEMU records the fault at that page.
 *  - OPTIMISTIC: a reuse hit returns the same IOVA with no invalidation
 *    request and no PTE write, and edu still reaches the buffer; once the
 *    age limit has passed with no call, edu's DMA is blocked.
 *  - DEFERRED: the IOVA stays allocated until the flush; after it edu's
 *    DMA is blocked.
 *  - DIRECT: IOVA = PA, no PTE write after creation, edu reaches the
 *    buffer before and after unmap().
 * Faults are cleared after each blocked DMA: QEMU drops further faults of
 * a source-id while one of its records is pending.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/dma.h>
#include <liommu/iova.h>
#include <liommu/liommu.h>
#include <liommu/qemu.h>

#include "dma-internal.h"

#define PG	4096ull
#define LEN	64u

struct qenv {
	struct liommu_qemu *q;
	struct liommu_unit *unit;
	struct liommu_domain *dom;
	struct liommu_dma *dma;
	uint8_t *ram;
	uint64_t data;		/* next free byte of the data region */
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static void clear_faults(struct qenv *e)
{
	struct liommu_fault f[4];

	while (liommu_unit_read_faults(e->unit, f, 4, NULL) > 0)
		;
}

/* A fresh domain for @cfg with edu attached. */
static void dma_up(struct qenv *e, struct liommu_dma_config cfg)
{
	ck_assert_int_eq(liommu_domain_new(e->unit, &e->dom), 0);
	ck_assert_int_eq(liommu_domain_attach(e->dom, liommu_qemu_edu_sid(e->q)), 0);
	if (cfg.strategy != LIOMMU_DMA_DIRECT)
		cfg.iova_limit = LIOMMU_EDU_DMA_MASK + 1;
	ck_assert_int_eq(liommu_dma_new(e->dom, &cfg, &e->dma), 0);
}

static void dma_down(struct qenv *e)
{
	liommu_dma_free(e->dma);
	liommu_domain_free(e->dom);
	e->dma = NULL;
	e->dom = NULL;
}

/* @n pages of the data region, zeroed. */
static uint64_t qbuf(struct qenv *e, unsigned int n)
{
	uint64_t pa = e->data;

	e->data += n * PG;
	memset(e->ram + pa, 0, n * PG);
	return pa;
}

/* edu copies its buffer's first LEN bytes to @iova.  Return: 1 when QEMU
 * blocked it (a fault at @iova's page was recorded), 0 when it went
 * through. */
static int edu_write(struct qenv *e, uint64_t iova)
{
	struct liommu_qemu_dma_result r;

	ck_assert_int_eq(liommu_qemu_edu_dma(e->q, LIOMMU_EDU_TO_RAM, iova, 0, LEN, &r), 0);
	if (!r.faulted)
		return 0;
	ck_assert_uint_eq(r.fault.addr, iova & ~(PG - 1));
	ck_assert_uint_eq(r.fault.sid, liommu_qemu_edu_sid(e->q));
	ck_assert(r.fault.is_write);
	clear_faults(e);
	return 1;
}

/* Load edu's buffer with @pattern, by DMA from a mapped page. */
static void edu_load(struct qenv *e, uint64_t pa, uint8_t pattern)
{
	struct liommu_qemu_dma_result r;
	uint64_t iova;

	memset(e->ram + pa, pattern, LEN);
	ck_assert_int_eq(liommu_dma_map(e->dma, pa, LEN, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(liommu_qemu_edu_dma(e->q, LIOMMU_EDU_FROM_RAM, iova, 0, LEN, &r), 0);
	ck_assert(!r.faulted);
	ck_assert_int_eq(liommu_dma_unmap(e->dma, iova, LEN, LIOMMU_DMA_TO_DEVICE), 0);
}

static uint64_t iova_allocated(struct qenv *e)
{
	struct liommu_iova_stats st;

	liommu_iova_get_stats(e->dma->iova, &st);
	return st.allocated_bytes;
}

static void qemu_strict(struct qenv *e)
{
	uint64_t src = qbuf(e, 1), dst = qbuf(e, 1), iova;

	dma_up(e, (struct liommu_dma_config){ .strategy = LIOMMU_DMA_STRICT });
	edu_load(e, src, 0xa5);
	ck_assert_int_eq(liommu_dma_map(e->dma, dst, PG, LIOMMU_DMA_FROM_DEVICE, &iova), 0);
	ck_assert_uint_lt(iova, 1ull << 28);
	ck_assert_int_eq(edu_write(e, iova), 0);
	ck_assert_uint_eq(e->ram[dst + LEN - 1], 0xa5);
	memset(e->ram + dst, 0, LEN);
	ck_assert_int_eq(liommu_dma_unmap(e->dma, iova, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	ck_assert_int_eq(edu_write(e, iova), 1);
	ck_assert_uint_eq(e->ram[dst], 0);
	dma_down(e);
}

static void qemu_optimistic(struct qenv *e)
{
	uint64_t src = qbuf(e, 1), dst = qbuf(e, 1), iova, iova2;
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_stats s0, s1;
	unsigned int waited = 0;

	dma_up(e, (struct liommu_dma_config){ .strategy = LIOMMU_DMA_OPTIMISTIC,
					      .age_ns = 20000000 });
	edu_load(e, src, 0x3c);
	ck_assert_int_eq(liommu_dma_map(e->dma, dst, PG, LIOMMU_DMA_FROM_DEVICE, &iova), 0);
	ck_assert_int_eq(edu_write(e, iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e->dma, iova, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	liommu_unit_get_stats(e->unit, &u0);
	liommu_dma_get_stats(e->dma, &s0);
	ck_assert_int_eq(liommu_dma_map(e->dma, dst, PG, LIOMMU_DMA_FROM_DEVICE, &iova2), 0);
	liommu_unit_get_stats(e->unit, &u1);
	liommu_dma_get_stats(e->dma, &s1);
	ck_assert_uint_eq(iova2, iova);
	ck_assert_uint_eq(s1.reuse_hits, s0.reuse_hits + 1);
	ck_assert_uint_eq(s1.pte_writes, s0.pte_writes);
	ck_assert_uint_eq(u1.inv_descs, u0.inv_descs);
	ck_assert_uint_eq(u1.inv_waits, u0.inv_waits);
	memset(e->ram + dst, 0, LEN);
	ck_assert_int_eq(edu_write(e, iova2), 0);
	ck_assert_uint_eq(e->ram[dst], 0x3c);
	ck_assert_int_eq(liommu_dma_unmap(e->dma, iova2, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	/* idle: the reclaimer retires it within the age (20 ms) */
	sleep_ms(100);
	memset(e->ram + dst, 0, LEN);
	while (!edu_write(e, iova) && waited < 2000) {
		sleep_ms(20);
		waited += 20;
	}
	ck_assert_msg(waited == 0, "stale mapping outlived the age by %u ms more", 100 + waited);
	ck_assert_uint_eq(e->ram[dst], 0);
	ck_assert_uint_eq(iova_allocated(e), 0);
	dma_down(e);
}

static void qemu_deferred(struct qenv *e)
{
	uint64_t src = qbuf(e, 1), dst = qbuf(e, 1), iova;

	dma_up(e, (struct liommu_dma_config){ .strategy = LIOMMU_DMA_DEFERRED,
					      .interval_ns = 60ull * 1000000000 });
	edu_load(e, src, 0x77);
	ck_assert_int_eq(liommu_dma_drain(e->dma), 0);
	ck_assert_int_eq(liommu_dma_map(e->dma, dst, PG, LIOMMU_DMA_FROM_DEVICE, &iova), 0);
	ck_assert_int_eq(edu_write(e, iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e->dma, iova, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	/* PTE cleared, IOVA held until the flush (QEMU may or may not still
	 * translate it from its IOTLB: that is the deferred window) */
	ck_assert_int_eq(liommu_domain_translate(e->dom, iova, NULL, NULL, NULL), -ENOENT);
	ck_assert_uint_eq(iova_allocated(e), PG);
	(void)edu_write(e, iova);
	ck_assert_int_eq(liommu_dma_drain(e->dma), 0);
	ck_assert_uint_eq(iova_allocated(e), 0);
	memset(e->ram + dst, 0, LEN);
	ck_assert_int_eq(edu_write(e, iova), 1);
	ck_assert_uint_eq(e->ram[dst], 0);
	dma_down(e);
}

static void qemu_direct(struct qenv *e)
{
	struct liommu_dma_stats s0, s1;
	struct liommu_dma_range r;
	uint64_t base, iova;
	int i;

	/* 2 MiB aligned so the 2 MiB pages of CAP.SLLPS are used */
	e->data = (e->data + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	base = qbuf(e, 1024);
	r = (struct liommu_dma_range){ base, 1024 * PG };
	dma_up(e, (struct liommu_dma_config){ .strategy = LIOMMU_DMA_DIRECT,
					      .ranges = &r, .nranges = 1 });
	liommu_dma_get_stats(e->dma, &s0);
	edu_load(e, base + 5 * PG, 0x99);
	for (i = 0; i < 3; i++) {
		uint64_t pa = base + (uint64_t)(i * 300 + 7) * PG;

		ck_assert_int_eq(liommu_dma_map(e->dma, pa, PG, LIOMMU_DMA_FROM_DEVICE, &iova),
				 0);
		ck_assert_uint_eq(iova, pa);
		ck_assert_int_eq(edu_write(e, iova), 0);
		ck_assert_uint_eq(e->ram[pa], 0x99);
		ck_assert_int_eq(liommu_dma_unmap(e->dma, iova, PG, LIOMMU_DMA_FROM_DEVICE), 0);
		/* no protection inside the VM: still reachable */
		memset(e->ram + pa, 0, LEN);
		ck_assert_int_eq(edu_write(e, iova), 0);
		ck_assert_uint_eq(e->ram[pa], 0x99);
	}
	liommu_dma_get_stats(e->dma, &s1);
	ck_assert_uint_eq(s1.pte_writes, s0.pte_writes);
	ck_assert_uint_eq(s1.inv_descs, s0.inv_descs);
	ck_assert_uint_le(s0.pte_writes, 4);	/* two 2 MiB leaves + two tables */
	dma_down(e);
}

START_TEST(qemu_edu_strategies)
{
	struct liommu_qemu_config qc = { 0 };
	struct qenv e = { 0 };
	uint64_t size;

	ck_assert_int_eq(liommu_qemu_start(&qc, &e.q), 0);
	e.ram = liommu_qemu_ram(e.q, NULL);
	ck_assert_int_eq(liommu_qemu_data_region(e.q, &e.data, &size), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_qemu_platform(e.q), NULL, &e.unit), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(e.unit), 0);
	qemu_strict(&e);
	qemu_optimistic(&e);
	qemu_deferred(&e);
	qemu_direct(&e);
	ck_assert_uint_le(e.data, 1ull << 28);
	liommu_unit_free(e.unit);
	liommu_qemu_stop(e.q);
}
END_TEST

Suite *dma_strategies_qemu_suite(void);

Suite *dma_strategies_qemu_suite(void)
{
	Suite *s = suite_create("dma-strategies-qemu");
	TCase *tc = tcase_create("qemu");

	tcase_add_test(tc, qemu_edu_strategies);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
