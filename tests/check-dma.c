// SPDX-License-Identifier: MIT
/*
 * check-dma.c - the DMA mapping strategies (liommu/dma.h) keep their
 * promises, checked by a device that really DMAs through the unit.
 *
 * On the sim platform (the software VT-d model, which caches
 * translations in its IOTLB like hardware does, so a missing invalidation
 * shows as a stale DMA that still succeeds):
 *  - STRICT: once unmap() returns, a DMA to the IOVA faults, even though
 *    the device used it a moment before; the invalidation is one
 *    page-selective descriptor with the smallest covering mask, or
 *    domain-selective when CAP.PSI is absent or CAP.MAMV is too small.
 *  - OPTIMISTIC: a reuse hit writes no PTE and issues no invalidation;
 *    the cache never holds more than its quota, retires in batches with
 *    one invalidation each, and nothing outlives the age limit even when
 *    the caller goes idle (the stale DMA succeeds just after unmap() and
 *    faults once the age has passed with no further call).
 *  - DEFERRED: PTEs are cleared at once, the stale DMA may still succeed
 *    until the flush (count or time, again with no further call) and
 *    faults after it; the IOVA goes back to the allocator only then.
 *  - DIRECT: maps the declared memory with superpages at creation and
 *    never writes a PTE afterwards.
 *  - Every rejected argument (bad direction, zero length, overflow,
 *    unknown or doubly unmapped IOVA, wrong length or direction at unmap,
 *    bad configuration) has its own test and changes nothing.
 *  - Many threads mapping, DMAing and unmapping on one instance (run
 *    under ThreadSanitizer in the tsan build).
 *
 * check-dma-strategies-qemu.c checks the same guarantees once more on QEMU 7.2's own
 * VT-d model with the edu device's DMA.
 *
 * Links the static archive and reads the instance's IOVA allocator
 * (dma-internal.h) to see when an IOVA really returns to it.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/dma.h>
#include <liommu/iova.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/sim.h>
#include <liommu/vtd.h>

#include "sim-dev.h"

#include "dma-internal.h"

#define SID		0x0018		/* 00:03.0 */
#define PG		4096ull

static const char *const strat_name[] = { "direct", "strict", "optimistic", "deferred" };

/* ------------------------------------------------------------------ */
/* Fixture: a sim, a unit with translation on, a domain, a device       */
/* ------------------------------------------------------------------ */

struct env {
	struct liommu_sim *sim;
	struct liommu_unit *unit;
	struct liommu_domain *dom;
	struct liommu_dma *dma;
	/* DIRECT's declared memory (a 2 MiB aligned block of the sim). */
	uint64_t mem_pa;
	uint64_t mem_len;
	uint8_t *mem_va;
};

static void env_up_model(struct env *e, const struct liommu_model_config *mc)
{
	struct liommu_sim_config sc = { .mem_size = 96ull << 20, .model = mc };

	memset(e, 0, sizeof(*e));
	ck_assert_int_eq(liommu_sim_new(&sc, &e->sim), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_sim_platform(e->sim), NULL, &e->unit), 0);
	ck_assert_int_eq(liommu_domain_new(e->unit, &e->dom), 0);
	ck_assert_int_eq(liommu_domain_attach(e->dom, SID), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(e->unit), 0);
}

/* Reserve a 2 MiB aligned block of 4 MiB + 8 KiB for DIRECT's memory. */
static void env_direct_mem(struct env *e)
{
	uint64_t pa, len = (4ull << 20) + 2 * PG;
	void *va;

	ck_assert_int_eq(liommu_sim_alloc(e->sim, len + (2ull << 20), &va, &pa), 0);
	e->mem_pa = (pa + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	e->mem_len = len;
	e->mem_va = (uint8_t *)va + (e->mem_pa - pa);
}

static void env_up_with(struct env *e, enum liommu_dma_strategy s, struct liommu_dma_config cfg,
			const struct liommu_model_config *mc)
{
	struct liommu_dma_range r;

	env_up_model(e, mc);
	cfg.strategy = s;
	if (s == LIOMMU_DMA_DIRECT) {
		env_direct_mem(e);
		r = (struct liommu_dma_range){ e->mem_pa, e->mem_len };
		cfg.ranges = &r;
		cfg.nranges = 1;
	}
	ck_assert_int_eq(liommu_dma_new(e->dom, &cfg, &e->dma), 0);
}

static void env_up(struct env *e, enum liommu_dma_strategy s, struct liommu_dma_config cfg)
{
	env_up_with(e, s, cfg, NULL);
}

/* A unit whose invalidations take @ns to complete (the model's latency,
 * reached through the sim's configuration), default strategy knobs. */
static void env_up_latency(struct env *e, enum liommu_dma_strategy s, uint64_t ns)
{
	struct liommu_model_config mc;

	liommu_model_config_default(&mc);
	mc.inval_latency_ns = ns;
	env_up_with(e, s, (struct liommu_dma_config){ .strategy = s }, &mc);
}

static void env_down(struct env *e)
{
	liommu_dma_free(e->dma);
	liommu_domain_free(e->dom);
	liommu_unit_free(e->unit);
	liommu_sim_free(e->sim);
}

/* A buffer the device may use: DIRECT's memory, else a fresh allocation. */
static uint64_t buf(struct env *e, size_t size, unsigned int idx, void **va)
{
	uint64_t pa;

	if (e->mem_len) {
		ck_assert_uint_le((idx + 1) * ((size + PG - 1) & ~(PG - 1)), e->mem_len);
		pa = e->mem_pa + idx * ((size + PG - 1) & ~(PG - 1));
		if (va)
			*va = e->mem_va + (pa - e->mem_pa);
		return pa;
	}
	ck_assert_int_eq(liommu_sim_alloc(e->sim, size, va, &pa), 0);
	return pa;
}

static void clear_faults(struct env *e)
{
	sim_dev_clear_faults(e->unit);
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

static void ustats(struct env *e, struct liommu_unit_stats *st)
{
	liommu_unit_get_stats(e->unit, st);
}

/* Bytes the instance's allocator has handed out and not got back. */
static uint64_t iova_allocated(struct env *e)
{
	struct liommu_iova_stats st;

	liommu_iova_get_stats(e->dma->iova, &st);
	return st.allocated_bytes;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

/*
 * The time bounds hold "up to the scheduling latency of the reclaimer
 * thread" (dma.h).  This machine may be shared and the tests run under
 * sanitizers, so a stale translation may live this much longer than the
 * configured 2 ms before the test calls it a failure.
 */
#define SCHED_SLACK_MS	250u
/* Seconds per test case: sanitizers on a shared 2-CPU machine are slow. */
#define TC_TIMEOUT	300

/*
 * Poll (DMA only: no call into the instance) until a DMA to @iova is
 * blocked.  Return: milliseconds since @t0_ns when it first was, or
 * more than SCHED_SLACK_MS if it never was within 2 s.
 */
static unsigned int wait_until_blocked(struct env *e, uint64_t iova, uint64_t t0_ns)
{
	uint64_t t;

	do {
		sleep_ms(1);
		t = (liommu__dma_now_ns() - t0_ns) / 1000000;
		if (dev_read(e, iova, (uint8_t[8]){ 0 }, 8) == -EFAULT)
			return (unsigned int)t;
	} while (t < 2000);
	return UINT32_MAX;
}

/* Stats once the reclaimer has finished what it was doing: no stale page
 * left (bounded wait, without calling into the instance's map path). */
static void stats_settle(struct env *e, struct liommu_dma_stats *st)
{
	unsigned int ms;

	for (ms = 0; ms < 1000; ms++) {
		stats(e, st);
		if (!st->stale_pages && !iova_allocated(e))
			return;
		sleep_ms(1);
	}
}

/* ------------------------------------------------------------------ */
/* Names and configuration                                             */
/* ------------------------------------------------------------------ */

START_TEST(strategy_names_round_trip)
{
	enum liommu_dma_strategy s;
	unsigned int i;

	for (i = 0; i < LIOMMU_DMA_NR_STRATEGIES; i++) {
		ck_assert_str_eq(liommu_dma_strategy_name(i), strat_name[i]);
		ck_assert_int_eq(liommu_dma_strategy_parse(strat_name[i], &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_ptr_null(liommu_dma_strategy_name(LIOMMU_DMA_NR_STRATEGIES));
	ck_assert_ptr_null(liommu_dma_strategy_name((enum liommu_dma_strategy)-1));
	ck_assert_int_eq(liommu_dma_strategy_parse("lazy", &s), -EINVAL);
	ck_assert_int_eq(liommu_dma_strategy_parse("", &s), -EINVAL);
	ck_assert_int_eq(liommu_dma_strategy_parse(NULL, &s), -EINVAL);
	ck_assert_int_eq(liommu_dma_strategy_parse("strict", NULL), -EINVAL);
}
END_TEST

static int try_new(struct env *e, struct liommu_dma_config cfg)
{
	struct liommu_dma *d = (struct liommu_dma *)&cfg;	/* must not be touched */
	int ret = liommu_dma_new(e->dom, &cfg, &d);

	if (!ret)
		liommu_dma_free(d);
	else
		ck_assert_ptr_eq(d, (struct liommu_dma *)&cfg);
	return ret;
}

START_TEST(new_rejects_bad_configuration)
{
	struct liommu_dma_range r[2];
	struct liommu_domain_stats ds;
	struct liommu_dma *d;
	struct env e;

	env_up_model(&e, NULL);
	env_direct_mem(&e);
	ck_assert_int_eq(liommu_dma_new(NULL, &(struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT }, &d), -EINVAL);
	ck_assert_int_eq(liommu_dma_new(e.dom, NULL, &d), -EINVAL);
	ck_assert_int_eq(liommu_dma_new(e.dom, &(struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT }, NULL), -EINVAL);
	/* unknown strategy */
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){ .strategy = 4 }), -EINVAL);
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){ .strategy = -1 }), -EINVAL);
	/* DIRECT without memory */
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){ .strategy = LIOMMU_DMA_DIRECT }),
			 -EINVAL);
	/* ranges for a strategy that allocates IOVAs */
	r[0] = (struct liommu_dma_range){ e.mem_pa, PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT, .ranges = r, .nranges = 1 }), -EINVAL);
	/* misaligned, empty, overlapping, wrapping ranges */
	r[0] = (struct liommu_dma_range){ e.mem_pa + 1, PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -EINVAL);
	r[0] = (struct liommu_dma_range){ e.mem_pa, PG + 1 };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -EINVAL);
	r[0] = (struct liommu_dma_range){ e.mem_pa, 0 };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -EINVAL);
	r[0] = (struct liommu_dma_range){ e.mem_pa, 4 * PG };
	r[1] = (struct liommu_dma_range){ e.mem_pa + 3 * PG, 4 * PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 2 }), -EINVAL);
	r[0] = (struct liommu_dma_range){ 0xfffffffffffff000ull, 2 * PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -ERANGE);
	/* beyond the 48-bit address width */
	r[0] = (struct liommu_dma_range){ 1ull << 48, PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -ERANGE);
	/* IOVA window */
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT, .iova_base = 0x100800 }), -EINVAL);
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT, .iova_limit = 0x10000800 }), -EINVAL);
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT, .iova_base = 0x200000, .iova_limit = 0x200000 }),
		-EINVAL);
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT, .iova_limit = (1ull << 48) + PG }), -ERANGE);
	/* optimistic batch above its quota, too many deferred queues */
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_OPTIMISTIC, .quota = 4, .opt_batch = 5 }), -EINVAL);
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DEFERRED, .queues = 257 }), -EINVAL);
	/* a declared range the domain already maps */
	ck_assert_int_eq(liommu_domain_map(e.dom, e.mem_pa + PG, e.mem_pa + PG, PG,
					   LIOMMU_PROT_RW), 0);
	r[0] = (struct liommu_dma_range){ e.mem_pa, 4 * PG };
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DIRECT, .ranges = r, .nranges = 1 }), -EEXIST);
	ck_assert_int_eq(liommu_domain_unmap(e.dom, e.mem_pa + PG, PG), 0);
	/* nothing any rejected call did stayed mapped */
	liommu_domain_get_stats(e.dom, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 0);
	/* and the defaults are what dma.h says */
	ck_assert_int_eq(try_new(&e, (struct liommu_dma_config){
		.strategy = LIOMMU_DMA_DEFERRED, .queues = 256 }), 0);
	env_down(&e);
}
END_TEST

START_TEST(defaults_and_bounds)
{
	static const struct {
		bool unbounded;
		uint64_t count, time_ns;
		unsigned int queues;
	} want[] = {
		{ true, UINT64_MAX, UINT64_MAX, 1 },
		{ false, 0, 0, 1 },
		{ false, LIOMMU_DMA_DEFAULT_QUOTA, LIOMMU_DMA_DEFAULT_AGE_NS, 1 },
		{ false, LIOMMU_DMA_DEFAULT_BATCH, LIOMMU_DMA_DEFAULT_INTERVAL_NS, 8 },
	};
	struct liommu_dma_bound b;
	struct liommu_dma_stats st;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	ck_assert_int_eq(liommu_dma_get_strategy(e.dma), _i);
	ck_assert_ptr_eq(liommu_dma_domain(e.dma), e.dom);
	liommu_dma_get_bound(e.dma, &b);
	ck_assert_int_eq(b.unbounded, want[_i].unbounded);
	ck_assert_uint_eq(b.count, want[_i].count);
	ck_assert_uint_eq(b.time_ns, want[_i].time_ns);
	ck_assert_uint_eq(b.queues, want[_i].queues);
	stats(&e, &st);
	ck_assert_int_eq(st.strategy, _i);
	ck_assert_uint_eq(st.bound.count, want[_i].count);
	ck_assert_uint_eq(st.maps + st.unmaps + st.reuse_hits + st.retired, 0);
	ck_assert_uint_gt(st.table_pages, 0);
	if (_i == LIOMMU_DMA_DIRECT) {
		ck_assert_uint_eq(st.mapped_pages, e.mem_len / PG);
		ck_assert_uint_eq(st.pinned_pages, e.mem_len / PG);
		ck_assert_uint_gt(st.pte_writes, 0);
	} else {
		ck_assert_uint_eq(st.mapped_pages + st.pinned_pages + st.pte_writes, 0);
		ck_assert_uint_eq(e.dma->cfg.iova_base, LIOMMU_DMA_DEFAULT_IOVA_BASE);
	}
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Every strategy moves data, with the direction's permission          */
/* ------------------------------------------------------------------ */

START_TEST(map_dma_unmap_round_trip)
{
	struct liommu_dma_stats st;
	uint64_t pa, iova, iova2;
	uint8_t back[6000];
	uint8_t *va;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, 4 * PG, 1, (void **)&va);
	/* 6000 bytes from offset 0x123: spans two pages, offset kept */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa + 0x123, 6000, LIOMMU_DMA_BIDIRECTIONAL,
					&iova), 0);
	ck_assert_uint_eq(iova & (PG - 1), 0x123);
	if (_i == LIOMMU_DMA_DIRECT)
		ck_assert_uint_eq(iova, pa + 0x123);
	else
		ck_assert_uint_ge(iova, LIOMMU_DMA_DEFAULT_IOVA_BASE);
	ck_assert_int_eq(dev_write(&e, iova, 6000, 0x5a), 0);
	ck_assert_uint_eq(va[0x123], 0x5a);
	ck_assert_uint_eq(va[0x123 + 5999], 0x5a);
	ck_assert_uint_eq(va[0x122], 0);
	ck_assert_uint_eq(va[0x123 + 6000], 0);
	memset(va + 0x123, 0xc3, 6000);
	ck_assert_int_eq(dev_read(&e, iova, back, 6000), 0);
	ck_assert_uint_eq(back[0], 0xc3);
	ck_assert_uint_eq(back[5999], 0xc3);

	/* TO_DEVICE: read-only for the device */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa + 3 * PG, 100, LIOMMU_DMA_TO_DEVICE, &iova2), 0);
	ck_assert_int_eq(dev_read(&e, iova2, back, 100), 0);
	if (_i != LIOMMU_DMA_DIRECT) {
		ck_assert_int_eq(dev_write(&e, iova2, 100, 1), -EFAULT);
		ck_assert_uint_eq(va[3 * PG], 0);
	}
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 100, LIOMMU_DMA_TO_DEVICE), 0);
	/* FROM_DEVICE: write-only */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa + 3 * PG, 100, LIOMMU_DMA_FROM_DEVICE, &iova2),
			 0);
	ck_assert_int_eq(dev_write(&e, iova2, 100, 7), 0);
	ck_assert_uint_eq(va[3 * PG + 99], 7);
	if (_i != LIOMMU_DMA_DIRECT)
		ck_assert_int_eq(dev_read(&e, iova2, back, 100), -EFAULT);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 100, LIOMMU_DMA_FROM_DEVICE), 0);

	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 6000, LIOMMU_DMA_BIDIRECTIONAL), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 3);
	ck_assert_uint_eq(st.unmaps, 3);
	ck_assert_uint_eq(st.live_pages, 0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	if (_i != LIOMMU_DMA_DIRECT) {
		ck_assert_uint_eq(st.mapped_pages, 0);
		/* OPTIMISTIC: the TO_DEVICE mapping of page 3 stayed cached
		 * while its FROM_DEVICE mapping was made */
		ck_assert_uint_eq(st.peak_mapped_pages, _i == LIOMMU_DMA_OPTIMISTIC ? 4 : 3);
		ck_assert_uint_eq(st.peak_pinned_pages, st.peak_mapped_pages);
		ck_assert_uint_eq(iova_allocated(&e), 0);
		ck_assert_int_eq(dev_write(&e, iova, 1, 1), -EFAULT);
	}
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rejected arguments                                                  */
/* ------------------------------------------------------------------ */

static void assert_unchanged(struct env *e, uint64_t maps, uint64_t unmaps)
{
	struct liommu_dma_stats st;

	stats(e, &st);
	ck_assert_uint_eq(st.maps, maps);
	ck_assert_uint_eq(st.unmaps, unmaps);
}

START_TEST(map_rejects_bad_direction)
{
	uint64_t pa, iova = 0x77;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, (enum liommu_dma_dir)0, &iova), -EINVAL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, (enum liommu_dma_dir)4, &iova), -EINVAL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, (enum liommu_dma_dir)-1, &iova), -EINVAL);
	ck_assert_uint_eq(iova, 0x77);
	assert_unchanged(&e, 0, 0);
	env_down(&e);
}
END_TEST

START_TEST(map_rejects_zero_length_and_overflow)
{
	uint64_t pa, iova = 0x77;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 0, LIOMMU_DMA_TO_DEVICE, &iova), -EINVAL);
	ck_assert_int_eq(liommu_dma_map(e.dma, UINT64_MAX - 10, 12, LIOMMU_DMA_TO_DEVICE, &iova),
			 -EINVAL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, NULL), -EINVAL);
	ck_assert_int_eq(liommu_dma_map(NULL, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), -EINVAL);
	ck_assert_uint_eq(iova, 0x77);
	assert_unchanged(&e, 0, 0);
	env_down(&e);
}
END_TEST

START_TEST(map_rejects_beyond_memory_or_space)
{
	uint64_t iova = 0x77;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	if (_i == LIOMMU_DMA_DIRECT) {
		/* outside the declared memory, or straddling its end */
		ck_assert_int_eq(liommu_dma_map(e.dma, e.mem_pa - PG, 8, LIOMMU_DMA_TO_DEVICE,
						&iova), -ERANGE);
		ck_assert_int_eq(liommu_dma_map(e.dma, e.mem_pa + e.mem_len - 8, 16,
						LIOMMU_DMA_TO_DEVICE, &iova), -ERANGE);
	} else {
		/* a physical address no PTE can hold (spec 9.8: bits 51:12) */
		ck_assert_int_eq(liommu_dma_map(e.dma, 1ull << 52, 8, LIOMMU_DMA_TO_DEVICE,
						&iova) < 0, 1);
		ck_assert_uint_eq(iova_allocated(&e), 0);
	}
	ck_assert_uint_eq(iova, 0x77);
	assert_unchanged(&e, 0, 0);
	env_down(&e);
}
END_TEST

START_TEST(unmap_rejects_bad_direction_and_zero_length)
{
	uint64_t pa, iova;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 64, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, (enum liommu_dma_dir)0), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, (enum liommu_dma_dir)7), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 0, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap(NULL, iova, 64, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	assert_unchanged(&e, 1, 0);
	/* still mapped and usable */
	ck_assert_int_eq(dev_read(&e, iova, (uint8_t[64]){ 0 }, 64), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_TO_DEVICE), 0);
	env_down(&e);
}
END_TEST

START_TEST(unmap_rejects_unknown_iova)
{
	uint64_t pa, iova;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	if (_i == LIOMMU_DMA_DIRECT) {
		ck_assert_int_eq(liommu_dma_unmap(e.dma, e.mem_pa + e.mem_len, 8,
						  LIOMMU_DMA_TO_DEVICE), -ENOENT);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, e.mem_pa - 8, 16,
						  LIOMMU_DMA_TO_DEVICE), -ENOENT);
	} else {
		ck_assert_int_eq(liommu_dma_unmap(e.dma, 0x123456000ull, 8,
						  LIOMMU_DMA_TO_DEVICE), -ENOENT);
		ck_assert_int_eq(liommu_dma_map(e.dma, pa + 8, 64, LIOMMU_DMA_TO_DEVICE, &iova),
				 0);
		/* the right page but not the address map() returned */
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova + 1, 63, LIOMMU_DMA_TO_DEVICE),
				 -ENOENT);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova + PG, 64, LIOMMU_DMA_TO_DEVICE),
				 -ENOENT);
		assert_unchanged(&e, 1, 0);
		ck_assert_int_eq(dev_read(&e, iova, (uint8_t[64]){ 0 }, 64), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_TO_DEVICE), 0);
	}
	env_down(&e);
}
END_TEST

START_TEST(unmap_rejects_wrong_length_or_direction)
{
	uint64_t pa, iova;
	struct env e;

	/* DIRECT keeps no record of what was mapped: nothing to compare */
	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, 2 * PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 5000, LIOMMU_DMA_BIDIRECTIONAL, &iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 4096, LIOMMU_DMA_BIDIRECTIONAL), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 5000, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	assert_unchanged(&e, 1, 0);
	ck_assert_int_eq(dev_write(&e, iova + PG, 8, 1), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 5000, LIOMMU_DMA_BIDIRECTIONAL), 0);
	env_down(&e);
}
END_TEST

START_TEST(double_unmap_is_enoent)
{
	struct liommu_dma_stats st;
	uint64_t pa, iova;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 64, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_TO_DEVICE), -ENOENT);
	stats(&e, &st);
	ck_assert_uint_eq(st.unmaps, 1);
	/* still -ENOENT once the stale mapping is retired */
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 64, LIOMMU_DMA_TO_DEVICE), -ENOENT);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

START_TEST(sg_rejects_bad_arguments)
{
	struct liommu_dma_sg sg[3];
	struct liommu_dma_stats st;
	uint64_t pa;
	unsigned int i;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){ 0 });
	pa = buf(&e, 3 * PG, 0, NULL);
	for (i = 0; i < 3; i++)
		sg[i] = (struct liommu_dma_sg){ .pa = pa + i * PG, .len = 100 + i };
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 0, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, NULL, 3, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 3, (enum liommu_dma_dir)0), -EINVAL);
	sg[2].len = 0;
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 3, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	assert_unchanged(&e, 0, 0);
	sg[2].len = 102;
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 3, LIOMMU_DMA_TO_DEVICE), 3);
	ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 0, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, NULL, 3, LIOMMU_DMA_TO_DEVICE), -EINVAL);
	ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 3, LIOMMU_DMA_FROM_DEVICE),
			 _i == LIOMMU_DMA_DIRECT ? 0 : -EINVAL);
	if (_i != LIOMMU_DMA_DIRECT) {
		/* one unknown segment: refused before any segment is unmapped */
		uint64_t keep = sg[1].iova;

		sg[1].iova = 0x7777000;
		ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 3, LIOMMU_DMA_TO_DEVICE), -ENOENT);
		sg[1].iova = keep;
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(dev_read(&e, sg[i].iova, (uint8_t[100]){ 0 }, 100), 0);
		stats(&e, &st);
		ck_assert_uint_eq(st.unmaps, 0);
		ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 3, LIOMMU_DMA_TO_DEVICE), 0);
		ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 3, LIOMMU_DMA_TO_DEVICE), -ENOENT);
	}
	env_down(&e);
}
END_TEST

/* A failing segment undoes the ones mapped before it. */
START_TEST(map_sg_is_all_or_nothing)
{
	struct liommu_dma_config cfg = { 0 };
	struct liommu_dma_sg sg[3];
	struct liommu_dma_stats st;
	uint64_t pa;
	unsigned int i;
	struct env e;

	if (_i != LIOMMU_DMA_DIRECT) {
		/* room for two pages only */
		cfg.iova_base = 0x100000;
		cfg.iova_limit = 0x102000;
	}
	env_up(&e, (enum liommu_dma_strategy)_i, cfg);
	pa = buf(&e, 3 * PG, 0, NULL);
	for (i = 0; i < 3; i++)
		sg[i] = (struct liommu_dma_sg){ .pa = pa + i * PG, .len = PG };
	if (_i == LIOMMU_DMA_DIRECT)
		sg[2].pa = e.mem_pa + e.mem_len;
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 3, LIOMMU_DMA_BIDIRECTIONAL),
			 _i == LIOMMU_DMA_DIRECT ? -ERANGE : -ENOSPC);
	stats(&e, &st);
	ck_assert_uint_eq(st.live_pages, 0);
	if (_i != LIOMMU_DMA_DIRECT) {
		/* nothing stays mapped, cached or queued */
		ck_assert_uint_eq(st.mapped_pages, 0);
		ck_assert_uint_eq(st.stale_pages, 0);
		ck_assert_uint_eq(iova_allocated(&e), 0);
		/* two fit */
		ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 2, LIOMMU_DMA_BIDIRECTIONAL), 2);
		ck_assert_uint_ne(sg[0].iova, sg[1].iova);
		ck_assert_int_eq(dev_write(&e, sg[1].iova, 8, 1), 0);
		ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 2, LIOMMU_DMA_BIDIRECTIONAL), 0);
	}
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* STRICT                                                              */
/* ------------------------------------------------------------------ */

START_TEST(strict_dma_after_unmap_faults)
{
	struct liommu_model_stats ms;
	uint64_t pa, iova, hits;
	struct liommu_fault f;
	uint8_t b[16];
	struct env e;
	int i;

	env_up(&e, LIOMMU_DMA_STRICT, (struct liommu_dma_config){ 0 });
	pa = buf(&e, PG, 0, NULL);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(liommu_dma_map(e.dma, pa, 16, LIOMMU_DMA_BIDIRECTIONAL, &iova),
				 0);
		/* twice, so the second is served from the model's IOTLB */
		ck_assert_int_eq(dev_read(&e, iova, b, 16), 0);
		liommu_model_get_stats(liommu_sim_model(e.sim), &ms);
		hits = ms.iotlb_hits;
		ck_assert_int_eq(dev_read(&e, iova, b, 16), 0);
		liommu_model_get_stats(liommu_sim_model(e.sim), &ms);
		ck_assert_uint_eq(ms.iotlb_hits, hits + 1);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 16, LIOMMU_DMA_BIDIRECTIONAL), 0);
		ck_assert_int_eq(liommu_sim_dma_read(e.sim, SID, iova, b, 16, &f), -EFAULT);
		ck_assert_uint_eq(f.addr, iova & ~(PG - 1));
		ck_assert_uint_eq(f.sid, SID);
		clear_faults(&e);
		ck_assert_int_eq(dev_write(&e, iova, 16, 3), -EFAULT);
	}
	{
		struct liommu_dma_stats st;

		stats(&e, &st);
		ck_assert_uint_eq(st.reclaim_late_ns, 0);	/* no reclaimer */
	}
	env_down(&e);
}
END_TEST

/* A reused IOVA reaches the new buffer, never the old one. */
START_TEST(strict_reused_iova_reaches_new_buffer)
{
	uint64_t pa_a, pa_b, iova_a, iova_b;
	uint8_t *va_a, *va_b;
	struct env e;

	env_up(&e, LIOMMU_DMA_STRICT, (struct liommu_dma_config){ 0 });
	pa_a = buf(&e, PG, 0, (void **)&va_a);
	pa_b = buf(&e, PG, 0, (void **)&va_b);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa_a, PG, LIOMMU_DMA_FROM_DEVICE, &iova_a), 0);
	ck_assert_int_eq(dev_write(&e, iova_a, 8, 0xaa), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova_a, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	/* the thread's magazine hands the freed IOVA straight back */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa_b, PG, LIOMMU_DMA_FROM_DEVICE, &iova_b), 0);
	ck_assert_uint_eq(iova_b, iova_a);
	ck_assert_int_eq(dev_write(&e, iova_b, 8, 0xbb), 0);
	ck_assert_uint_eq(va_b[0], 0xbb);
	ck_assert_uint_eq(va_a[0], 0xaa);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova_b, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	env_down(&e);
}
END_TEST

/*
 * Concurrent unmaps share invalidations (dma-strict.c combines them), yet
 * each returns only after one that covers its own PTEs completed: right
 * after unmap() the device, its IOTLB primed by a read through the
 * mapping, must not reach the thread's buffer (it faults, or reaches
 * another thread's buffer that reuses the IOVA).  Run without and with a
 * modelled invalidation latency (the unit's): with it, waiters outlast
 * their spin and sleep, and the flusher wakes them.
 */
#define SC_THREADS	3
#define SC_ITERS	200

static const uint64_t sc_latency_ns[] = { 0, 20000 };

struct sc_arg {
	struct env *e;
	uint64_t pa;
	uint8_t tag;
	int err;
};

static void *sc_worker(void *p)
{
	struct sc_arg *a = p;
	uint8_t b[16], mine[16];
	unsigned int i;
	uint64_t iova;

	memset(mine, a->tag, sizeof(mine));
	for (i = 0; i < SC_ITERS && !a->err; i++) {
		if (liommu_dma_map(a->e->dma, a->pa, PG, LIOMMU_DMA_TO_DEVICE, &iova)) {
			a->err = 1;
			break;
		}
		if (liommu_sim_dma_read(a->e->sim, SID, iova, b, sizeof(b), NULL) ||
		    memcmp(b, mine, sizeof(b)))
			a->err = 2;
		if (liommu_dma_unmap(a->e->dma, iova, PG, LIOMMU_DMA_TO_DEVICE))
			a->err = 3;
		if (!liommu_sim_dma_read(a->e->sim, SID, iova, b, sizeof(b), NULL) &&
		    !memcmp(b, mine, sizeof(b)))
			a->err = 4;	/* a stale translation outlived unmap() */
	}
	return NULL;
}

START_TEST(strict_concurrent_unmaps_leave_nothing_stale)
{
	struct sc_arg arg[SC_THREADS];
	pthread_t th[SC_THREADS];
	struct liommu_dma_stats st;
	unsigned int i;
	struct env e;

	env_up_latency(&e, LIOMMU_DMA_STRICT, sc_latency_ns[_i]);
	for (i = 0; i < SC_THREADS; i++) {
		void *va;

		arg[i] = (struct sc_arg){ .e = &e, .tag = (uint8_t)(0xa0 + i) };
		arg[i].pa = buf(&e, PG, i, &va);
		memset(va, arg[i].tag, PG);
		ck_assert_int_eq(pthread_create(&th[i], NULL, sc_worker, &arg[i]), 0);
	}
	for (i = 0; i < SC_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(arg[i].err == 0, "thread %u: error %d", i, arg[i].err);
	}
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, SC_THREADS * SC_ITERS);
	ck_assert_uint_eq(st.unmaps, SC_THREADS * SC_ITERS);
	/* combined: never more waits than unmaps, at least one */
	ck_assert_uint_ge(st.inv_waits, 1);
	ck_assert_uint_le(st.inv_waits, st.unmaps);
	ck_assert_uint_eq(st.live_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

/*
 * The invalidation latency is the unit's (liommu_model_config), and
 * STRICT pays it where hardware would make it pay: each unmap returns no
 * earlier than the latency after it began (it waits for an invalidation
 * issued after it cleared its PTEs, a lower bound only); and unmaps that
 * arrive while one invalidation is in flight are served together by the
 * next (dma-strict.c), so three concurrent unmaps need at most two
 * invalidations.  The latency is long against a thread's start-up so
 * that every ticket is queued before the first invalidation completes.
 */
#define SL_THREADS	3
#define SL_LATENCY_NS	200000000ull	/* 200 ms */

struct sl_arg {
	struct env *e;
	pthread_barrier_t *go;
	uint64_t iova;
	uint64_t ns;
	int ret;
};

static void *sl_worker(void *p)
{
	struct sl_arg *a = p;
	uint64_t t0;

	pthread_barrier_wait(a->go);
	t0 = liommu__dma_now_ns();
	a->ret = liommu_dma_unmap(a->e->dma, a->iova, PG, LIOMMU_DMA_TO_DEVICE);
	a->ns = liommu__dma_now_ns() - t0;
	return NULL;
}

START_TEST(strict_unmaps_pay_and_share_the_unit_latency)
{
	struct sl_arg arg[SL_THREADS];
	pthread_t th[SL_THREADS];
	struct liommu_dma_stats st;
	pthread_barrier_t go;
	unsigned int i;
	struct env e;

	env_up_latency(&e, LIOMMU_DMA_STRICT, SL_LATENCY_NS);
	ck_assert_int_eq(pthread_barrier_init(&go, NULL, SL_THREADS), 0);
	for (i = 0; i < SL_THREADS; i++) {
		arg[i] = (struct sl_arg){ .e = &e, .go = &go, .ret = -1 };
		ck_assert_int_eq(liommu_dma_map(e.dma, buf(&e, PG, i, NULL), PG,
						LIOMMU_DMA_TO_DEVICE, &arg[i].iova), 0);
	}
	stats(&e, &st);
	ck_assert_uint_eq(st.inv_waits, 0);	/* maps do not invalidate */
	for (i = 0; i < SL_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, sl_worker, &arg[i]), 0);
	for (i = 0; i < SL_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(arg[i].ret, 0);
		ck_assert_msg(arg[i].ns >= SL_LATENCY_NS, "unmap %u returned after %llu ns",
			      i, (unsigned long long)arg[i].ns);
	}
	pthread_barrier_destroy(&go);
	stats(&e, &st);
	ck_assert_uint_eq(st.unmaps, SL_THREADS);
	ck_assert_uint_ge(st.inv_waits, 1);
	ck_assert_uint_le(st.inv_waits, 2);
	ck_assert_uint_eq(st.flushes, st.inv_waits);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

/*
 * One page-selective invalidation with the smallest covering mask: 3 pages
 * are allocated as 4, naturally aligned, so AM = 2.  Without PSI, or with
 * MAMV below the mask needed, domain-selective.
 */
START_TEST(strict_invalidation_granularity)
{
	struct liommu_model_config mc;
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_stats st;
	uint64_t pa, iova;
	struct env e;

	liommu_model_config_default(&mc);
	if (_i == 1)
		mc.mamv = 1;
	if (_i == 2)
		mc.psi = false;
	env_up_model(&e, &mc);
	ck_assert_int_eq(liommu_dma_new(e.dom, &(struct liommu_dma_config){
		.strategy = LIOMMU_DMA_STRICT }, &e.dma), 0);
	pa = buf(&e, 3 * PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 3 * PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_uint_eq(iova % (4 * PG), 0);
	ustats(&e, &u0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 3 * PG, LIOMMU_DMA_TO_DEVICE), 0);
	ustats(&e, &u1);
	ck_assert_uint_eq(u1.inv_descs - u0.inv_descs, 1);
	ck_assert_uint_eq(u1.inv_waits - u0.inv_waits, 1);
	ck_assert_uint_eq(u1.iotlb_page - u0.iotlb_page, _i == 0);
	ck_assert_uint_eq(u1.iotlb_domain - u0.iotlb_domain, _i != 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.inv_descs, 1);
	ck_assert_uint_eq(st.inv_waits, 1);
	ck_assert_uint_eq(st.pte_writes, 3 + 3 + 3);	/* 3 table levels + 3 leaves, 3 clears */
	env_down(&e);
}
END_TEST

START_TEST(strict_sg_unmap_invalidates_once)
{
	struct liommu_dma_sg sg[4];
	struct liommu_dma_stats st;
	uint64_t pa;
	unsigned int i;
	struct env e;

	env_up(&e, LIOMMU_DMA_STRICT, (struct liommu_dma_config){ 0 });
	pa = buf(&e, 4 * PG, 0, NULL);
	for (i = 0; i < 4; i++)
		sg[i] = (struct liommu_dma_sg){ .pa = pa + i * PG + 16, .len = 32 };
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 4, LIOMMU_DMA_TO_DEVICE), 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(dev_read(&e, sg[i].iova, (uint8_t[32]){ 0 }, 32), 0);
	ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 4, LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, 4);
	ck_assert_uint_eq(st.unmaps, 4);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.inv_waits, 1);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(dev_read(&e, sg[i].iova, (uint8_t[32]){ 0 }, 32), -EFAULT);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* OPTIMISTIC                                                          */
/* ------------------------------------------------------------------ */

START_TEST(optimistic_reuse_hit_writes_nothing)
{
	struct liommu_dma_stats st0, st1;
	struct liommu_unit_stats u0, u1;
	uint64_t pa, iova, iova2;
	uint8_t *va;
	struct env e;
	int i;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC,
	       (struct liommu_dma_config){ .age_ns = 10ull * 1000000000 });
	pa = buf(&e, 2 * PG, 0, (void **)&va);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 100, LIOMMU_DMA_FROM_DEVICE, &iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 100, LIOMMU_DMA_FROM_DEVICE), 0);
	stats(&e, &st0);
	ustats(&e, &u0);
	ck_assert_uint_eq(st0.stale_pages, 1);
	for (i = 0; i < 100; i++) {
		/* the same page, any offset and length inside it: a hit */
		ck_assert_int_eq(liommu_dma_map(e.dma, pa + (i % 7) * 8, 100 + i,
						LIOMMU_DMA_FROM_DEVICE, &iova2), 0);
		ck_assert_uint_eq(iova2, iova + (i % 7) * 8);
		ck_assert_int_eq(dev_write(&e, iova2, 4, (uint8_t)i), 0);
		ck_assert_uint_eq(va[(i % 7) * 8], (uint8_t)i);
		/* the reused record checks this map's length and offset, not
		 * those of the mapping it was cached from */
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 99 + i, LIOMMU_DMA_FROM_DEVICE),
				 -EINVAL);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova + ((i + 1) % 7) * 8, 100 + i,
						  LIOMMU_DMA_FROM_DEVICE), -ENOENT);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 100 + i, LIOMMU_DMA_FROM_DEVICE),
				 0);
	}
	stats(&e, &st1);
	ustats(&e, &u1);
	ck_assert_uint_eq(st1.reuse_hits - st0.reuse_hits, 100);
	ck_assert_uint_eq(st1.pte_writes, st0.pte_writes);
	ck_assert_uint_eq(st1.inv_descs, st0.inv_descs);
	ck_assert_uint_eq(u1.inv_descs, u0.inv_descs);
	ck_assert_uint_eq(u1.inv_waits, u0.inv_waits);
	ck_assert_uint_eq(st1.flushes, 0);

	/* another direction or another page count is another key: a miss */
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 100, LIOMMU_DMA_TO_DEVICE, &iova2), 0);
	ck_assert_uint_ne(iova2 & ~(PG - 1), iova);
	ck_assert_int_eq(dev_write(&e, iova2, 4, 1), -EFAULT);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 100, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, 2 * PG, LIOMMU_DMA_FROM_DEVICE, &iova2), 0);
	ck_assert_uint_ne(iova2, iova);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, 2 * PG, LIOMMU_DMA_FROM_DEVICE), 0);
	stats(&e, &st1);
	ck_assert_uint_eq(st1.reuse_hits - st0.reuse_hits, 100);
	ck_assert_uint_eq(st1.stale_pages, 4);
	/* drain: everything retired with one invalidation, DMA faults */
	ustats(&e, &u0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	ustats(&e, &u1);
	ck_assert_uint_eq(u1.inv_descs - u0.inv_descs, 1);
	stats(&e, &st1);
	ck_assert_uint_eq(st1.stale_pages, 0);
	ck_assert_uint_eq(st1.retired, 3);
	ck_assert_uint_eq(st1.mapped_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	ck_assert_int_eq(dev_write(&e, iova, 4, 1), -EFAULT);
	env_down(&e);
}
END_TEST

/* Never more than the quota cached; retired in batches, one
 * invalidation per batch, oldest first. */
START_TEST(optimistic_quota_holds)
{
	enum { QUOTA = 8, BATCH = 3, N = 40 };
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_stats st;
	uint64_t pa[N], iova[N];
	unsigned int i, j, reachable;
	struct env e;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC, (struct liommu_dma_config){
		.quota = QUOTA, .opt_batch = BATCH, .age_ns = 10ull * 1000000000 });
	for (i = 0; i < N; i++) {
		uint8_t *va;

		pa[i] = buf(&e, PG, 0, (void **)&va);
		va[0] = (uint8_t)(i + 1);
	}
	ustats(&e, &u0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(liommu_dma_map(e.dma, pa[i], PG, LIOMMU_DMA_TO_DEVICE,
						&iova[i]), 0);
		ck_assert_int_eq(dev_read(&e, iova[i], (uint8_t[8]){ 0 }, 8), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova[i], PG, LIOMMU_DMA_TO_DEVICE), 0);
		stats(&e, &st);
		ck_assert_uint_le(st.stale_pages, QUOTA);
		/* the device can reach at most QUOTA unmapped buffers, and
		 * they are the newest ones (a retired IOVA handed to a newer
		 * buffer reaches that one: the tag tells) */
		reachable = 0;
		for (j = 0; j <= i; j++) {
			uint8_t tag = 0;

			if (!dev_read(&e, iova[j], &tag, 1) && tag == j + 1) {
				reachable++;
				ck_assert_uint_lt(i - j, QUOTA);
			}
		}
		ck_assert_uint_le(reachable, QUOTA);
		ck_assert_uint_eq(reachable, st.stale_pages);
	}
	ustats(&e, &u1);
	stats(&e, &st);
	/* every overflow retired BATCH mappings with one invalidation */
	ck_assert_uint_eq(st.retired % BATCH, 0);
	ck_assert_uint_eq(st.retired, N - st.stale_pages);
	ck_assert_uint_eq(st.flushes, st.retired / BATCH);
	ck_assert_uint_eq(u1.inv_descs - u0.inv_descs, st.flushes);
	ck_assert_uint_eq(st.bound.count, QUOTA);
	ck_assert_uint_le(st.peak_pinned_pages, QUOTA + 1);
	env_down(&e);
}
END_TEST

/* Idle caller: the reclaimer retires by age with no further call. */
START_TEST(optimistic_age_holds_when_idle)
{
	struct liommu_dma_stats st;
	uint64_t pa, iova, t0;
	unsigned int waited;
	struct env e;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC, (struct liommu_dma_config){ .age_ns = 2000000 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(dev_read(&e, iova, (uint8_t[8]){ 0 }, 8), 0);
	t0 = liommu__dma_now_ns();
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_TO_DEVICE), 0);
	/* inside the window the stale mapping still works (that is the
	 * optimisation); skip the check if this thread was descheduled */
	if (liommu__dma_now_ns() - t0 < 1000000)
		ck_assert_int_eq(dev_read(&e, iova, (uint8_t[8]){ 0 }, 8), 0);
	/* no call into the instance from here on: only the reclaimer runs */
	waited = wait_until_blocked(&e, iova, t0);
	ck_assert_msg(waited <= SCHED_SLACK_MS, "stale mapping lived %u ms (age 2 ms)", waited);
	/* the reclaimer frees the IOVA right after the invalidation */
	stats_settle(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(st.retired, 1);
	ck_assert_uint_eq(st.mapped_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	/* the pass that retired it ended after its due time, and says so */
	ck_assert_uint_gt(st.reclaim_late_ns, 0);
	env_down(&e);
}
END_TEST

/* Busy caller: with a long quota, entries older than the age still go. */
START_TEST(optimistic_age_holds_under_traffic)
{
	struct liommu_dma_stats st;
	uint64_t pa[2], iova, stale, t0, ms = 0, n = 0;
	uint8_t *va0, tag;
	struct env e;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC, (struct liommu_dma_config){ .age_ns = 2000000 });
	pa[0] = buf(&e, PG, 0, (void **)&va0);
	pa[1] = buf(&e, PG, 0, NULL);
	va0[0] = 0xee;
	ck_assert_int_eq(liommu_dma_map(e.dma, pa[0], PG, LIOMMU_DMA_TO_DEVICE, &stale), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, stale, PG, LIOMMU_DMA_TO_DEVICE), 0);
	t0 = liommu__dma_now_ns();
	/* keep reusing another page until the stale one no longer reaches
	 * page 0 (blocked, or its retired IOVA handed to the other page) */
	for (;;) {
		ck_assert_int_eq(liommu_dma_map(e.dma, pa[1], PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_TO_DEVICE), 0);
		if (++n % 32)
			continue;
		ms = (liommu__dma_now_ns() - t0) / 1000000;
		tag = 0;
		if (dev_read(&e, stale, &tag, 1) || tag != 0xee || ms > 2000)
			break;
	}
	ck_assert_msg(ms <= SCHED_SLACK_MS, "stale mapping lived %llu ms under traffic (age 2 ms)",
		      (unsigned long long)ms);
	/* the stale page stops being reachable at the invalidation (or its
	 * IOVA is reused right after), a moment before the reclaimer counts
	 * the retirement: let the reclaimer finish before reading counters */
	stats_settle(&e, &st);
	ck_assert_uint_ge(st.retired, 1);
	ck_assert_uint_gt(st.reuse_hits, 0);
	env_down(&e);
}
END_TEST

/*
 * The reuse cache is per thread, the quota per instance: a thread whose
 * unmaps find every token held by cached mappings of another thread's
 * cache retires at once (the quota holds); once that thread has taken
 * its buffers back (its tokens idle), a third thread unmapping them
 * (through the live table's other shards, validated as ever) takes over
 * the idle tokens and caches them with no invalidation.
 */
enum { XT_QUOTA = 8 };

struct xt_arg {
	struct env *e;
	uint64_t pa[XT_QUOTA], iova[XT_QUOTA];
	bool unmap;		/* map and unmap; else map only (hits) */
	int err;
};

static void *xt_worker(void *p)
{
	struct xt_arg *a = p;
	unsigned int i;

	for (i = 0; i < XT_QUOTA && !a->err; i++) {
		if (liommu_dma_map(a->e->dma, a->pa[i], 100, LIOMMU_DMA_TO_DEVICE, &a->iova[i]))
			a->err = 1;
		else if (a->unmap &&
			 liommu_dma_unmap(a->e->dma, a->iova[i], 100, LIOMMU_DMA_TO_DEVICE))
			a->err = 2;
	}
	return NULL;
}

static void xt_run(struct xt_arg *a, bool unmap)
{
	pthread_t th;

	a->unmap = unmap;
	ck_assert_int_eq(pthread_create(&th, NULL, xt_worker, a), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(a->err, 0);
}

START_TEST(optimistic_quota_is_shared_by_thread_caches)
{
	struct liommu_dma_stats st0, st;
	struct xt_arg a = { .e = NULL };
	uint64_t pa, iova, first[XT_QUOTA];
	struct env e;
	unsigned int i;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC, (struct liommu_dma_config){
		.quota = XT_QUOTA, .opt_batch = 2, .age_ns = 10ull * 1000000000 });
	a.e = &e;
	for (i = 0; i < XT_QUOTA; i++)
		a.pa[i] = buf(&e, PG, 0, NULL);
	/* this thread takes its counter slot (and so its cache) first */
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_TO_DEVICE), 0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	stats(&e, &st0);
	ck_assert_uint_eq(st0.retired, 1);
	ck_assert_uint_eq(st0.flushes, 1);
	/* another thread caches XT_QUOTA mappings: every token */
	xt_run(&a, true);
	memcpy(first, a.iova, sizeof(first));
	stats(&e, &st0);
	ck_assert_uint_eq(st0.stale_pages, XT_QUOTA);
	ck_assert_uint_eq(st0.retired, 1);
	/* this thread finds no token: each unmap retires its own mapping */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
		ck_assert_int_eq(dev_read(&e, iova, (uint8_t[8]){ 0 }, 8), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_TO_DEVICE), 0);
		ck_assert_int_eq(dev_read(&e, iova, (uint8_t[8]){ 0 }, 8), -EFAULT);
		clear_faults(&e);
		stats(&e, &st);
		ck_assert_uint_eq(st.stale_pages, XT_QUOTA);
		ck_assert_uint_eq(st.retired, i + 2);
		ck_assert_uint_eq(st.flushes, i + 2);
		ck_assert_uint_eq(st.reuse_hits, 0);
	}
	/* the other thread (a new one: same slot or not) maps its buffers
	 * again; hits only where it lands on the first thread's cache */
	xt_run(&a, false);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, XT_QUOTA - st.reuse_hits);
	for (i = 0; i < XT_QUOTA; i++)
		if (a.iova[i] != first[i])
			ck_assert_uint_eq(st.reuse_hits, 0);
	/* unmapped here, from another live-table shard: checked as ever */
	for (i = 0; i < XT_QUOTA; i++) {
		ck_assert_int_eq(liommu_dma_unmap(e.dma, a.iova[i], 99, LIOMMU_DMA_TO_DEVICE),
				 -EINVAL);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, a.iova[i] + 1, 100,
						  LIOMMU_DMA_TO_DEVICE), -ENOENT);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, a.iova[i], 100, LIOMMU_DMA_FROM_DEVICE),
				 -EINVAL);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, a.iova[i], 100, LIOMMU_DMA_TO_DEVICE), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, a.iova[i], 100, LIOMMU_DMA_TO_DEVICE),
				 -ENOENT);
		stats(&e, &st);
		ck_assert_uint_le(st.stale_pages, XT_QUOTA);
	}
	stats(&e, &st);
	ck_assert_uint_eq(st.live_pages, 0);
	ck_assert_uint_le(st.stale_pages, XT_QUOTA);
	if (st.reuse_hits == XT_QUOTA) {
		/* all idle tokens taken over: cached, no invalidation */
		ck_assert_uint_eq(st.stale_pages, XT_QUOTA);
		ck_assert_uint_eq(st.flushes, 4);
	}
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(st.mapped_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

/* Mappings parked in the cache of a thread that has exited still go
 * within the age bound, with no further call into the instance. */
START_TEST(optimistic_age_holds_for_exited_thread_cache)
{
	struct liommu_dma_stats st;
	struct xt_arg a = { .e = NULL };
	unsigned int i, waited;
	uint64_t t0;
	struct env e;

	env_up(&e, LIOMMU_DMA_OPTIMISTIC, (struct liommu_dma_config){
		.quota = XT_QUOTA, .age_ns = 2000000 });
	a.e = &e;
	for (i = 0; i < XT_QUOTA; i++)
		a.pa[i] = buf(&e, PG, 0, NULL);
	t0 = liommu__dma_now_ns();
	xt_run(&a, true);
	for (i = 0; i < XT_QUOTA; i++) {
		waited = wait_until_blocked(&e, a.iova[i], t0);
		ck_assert_msg(waited <= SCHED_SLACK_MS, "stale mapping %u lived %u ms (age 2 ms)",
			      i, waited);
	}
	stats_settle(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(st.retired, XT_QUOTA);
	ck_assert_uint_eq(st.mapped_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DEFERRED                                                            */
/* ------------------------------------------------------------------ */

START_TEST(deferred_frees_iova_only_after_flush)
{
	struct liommu_dma_stats st;
	struct liommu_unit_stats u0, u1;
	uint64_t pa, pa2, iova, iova2;
	uint8_t *va;
	struct env e;

	env_up(&e, LIOMMU_DMA_DEFERRED, (struct liommu_dma_config){
		.batch = 4, .interval_ns = 60ull * 1000000000 });
	pa = buf(&e, PG, 0, (void **)&va);
	pa2 = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_FROM_DEVICE, &iova), 0);
	ck_assert_int_eq(dev_write(&e, iova, 8, 0x11), 0);
	ustats(&e, &u0);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	ustats(&e, &u1);
	ck_assert_uint_eq(u1.inv_descs, u0.inv_descs);
	/* the PTE is gone at once ... */
	ck_assert_int_eq(liommu_domain_translate(e.dom, iova, NULL, NULL, NULL), -ENOENT);
	/* ... but the IOTLB still holds it: the stale DMA gets through */
	ck_assert_int_eq(dev_write(&e, iova, 8, 0x22), 0);
	ck_assert_uint_eq(va[0], 0x22);
	/* the IOVA stays allocated, so no new buffer can get it */
	ck_assert_uint_eq(iova_allocated(&e), PG);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa2, PG, LIOMMU_DMA_FROM_DEVICE, &iova2), 0);
	ck_assert_uint_ne(iova2, iova);
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova2, PG, LIOMMU_DMA_FROM_DEVICE), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 2);
	ck_assert_uint_eq(st.mapped_pages, 0);
	ck_assert_uint_eq(st.flushes, 0);
	ck_assert_uint_eq(iova_allocated(&e), 2 * PG);
	/* the flush: then the IOVAs are free and the stale DMA faults */
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.retired, 2);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	ck_assert_int_eq(dev_write(&e, iova, 8, 0x33), -EFAULT);
	ck_assert_uint_eq(va[0], 0x22);
	env_down(&e);
}
END_TEST

/* The batch fills: one flush for the batch, from the unmap that fills it. */
START_TEST(deferred_flushes_by_count)
{
	enum { BATCH = 5 };
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_stats st;
	uint64_t pa[BATCH], iova[BATCH];
	unsigned int i, j;
	struct env e;

	env_up(&e, LIOMMU_DMA_DEFERRED, (struct liommu_dma_config){
		.batch = BATCH, .interval_ns = 60ull * 1000000000 });
	for (i = 0; i < BATCH; i++) {
		pa[i] = buf(&e, PG, 0, NULL);
		ck_assert_int_eq(liommu_dma_map(e.dma, pa[i], PG, LIOMMU_DMA_TO_DEVICE, &iova[i]),
				 0);
		ck_assert_int_eq(dev_read(&e, iova[i], (uint8_t[8]){ 0 }, 8), 0);
	}
	ustats(&e, &u0);
	for (i = 0; i < BATCH; i++) {
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova[i], PG, LIOMMU_DMA_TO_DEVICE), 0);
		stats(&e, &st);
		if (i < BATCH - 1) {
			ck_assert_uint_eq(st.stale_pages, i + 1);
			ck_assert_uint_eq(st.flushes, 0);
			for (j = 0; j <= i; j++)
				ck_assert_int_eq(dev_read(&e, iova[j], (uint8_t[8]){ 0 }, 8), 0);
		}
	}
	ustats(&e, &u1);
	stats(&e, &st);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.retired, BATCH);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(u1.inv_waits - u0.inv_waits, 1);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	for (i = 0; i < BATCH; i++)
		ck_assert_int_eq(dev_read(&e, iova[i], (uint8_t[8]){ 0 }, 8), -EFAULT);
	env_down(&e);
}
END_TEST

START_TEST(deferred_flushes_by_time_when_idle)
{
	struct liommu_dma_stats st;
	uint64_t pa, iova, t0;
	unsigned int waited;
	struct env e;

	env_up(&e, LIOMMU_DMA_DEFERRED, (struct liommu_dma_config){ .interval_ns = 2000000 });
	pa = buf(&e, PG, 0, NULL);
	ck_assert_int_eq(liommu_dma_map(e.dma, pa, PG, LIOMMU_DMA_TO_DEVICE, &iova), 0);
	ck_assert_int_eq(dev_read(&e, iova, (uint8_t[8]){ 0 }, 8), 0);
	t0 = liommu__dma_now_ns();
	ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, PG, LIOMMU_DMA_TO_DEVICE), 0);
	waited = wait_until_blocked(&e, iova, t0);
	ck_assert_msg(waited <= SCHED_SLACK_MS, "queued unmap lived %u ms (interval 2 ms)",
		      waited);
	stats_settle(&e, &st);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.stale_pages, 0);
	ck_assert_uint_eq(iova_allocated(&e), 0);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DIRECT                                                              */
/* ------------------------------------------------------------------ */

START_TEST(direct_maps_with_superpages_and_never_writes_again)
{
	struct liommu_dma_stats st0, st1;
	struct liommu_unit_stats u0, u1;
	struct liommu_dma_sg sg[2];
	uint64_t iova, psz, pa;
	unsigned int i;
	struct env e;

	env_up(&e, LIOMMU_DMA_DIRECT, (struct liommu_dma_config){ 0 });
	/* 4 MiB + 8 KiB from a 2 MiB boundary: two 2 MiB pages, two 4 KiB */
	ck_assert_int_eq(liommu_domain_translate(e.dom, e.mem_pa, &pa, NULL, &psz), 0);
	ck_assert_uint_eq(psz, 2ull << 20);
	ck_assert_int_eq(liommu_domain_translate(e.dom, e.mem_pa + (2ull << 20) + 5, &pa,
						 NULL, &psz), 0);
	ck_assert_uint_eq(psz, 2ull << 20);
	ck_assert_uint_eq(pa, e.mem_pa + (2ull << 20) + 5);
	ck_assert_int_eq(liommu_domain_translate(e.dom, e.mem_pa + (4ull << 20), NULL, NULL,
						 &psz), 0);
	ck_assert_uint_eq(psz, PG);
	stats(&e, &st0);
	ustats(&e, &u0);
	/* 2 superpage leaves + 2 small leaves + the level-2 and level-1
	 * tables below the top (level-3 and level-2 table entries) */
	ck_assert_uint_le(st0.pte_writes, 8);
	ck_assert_uint_eq(st0.mapped_pages, e.mem_len / PG);
	ck_assert_uint_eq(st0.peak_pinned_pages, e.mem_len / PG);
	for (i = 0; i < 1000; i++) {
		uint64_t off = (i * 7919ull * 64) % (e.mem_len - 256);

		ck_assert_int_eq(liommu_dma_map(e.dma, e.mem_pa + off, 256,
						LIOMMU_DMA_BIDIRECTIONAL, &iova), 0);
		ck_assert_uint_eq(iova, e.mem_pa + off);
		if (i % 100 == 0)
			ck_assert_int_eq(dev_write(&e, iova, 256, (uint8_t)i), 0);
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova, 256, LIOMMU_DMA_BIDIRECTIONAL), 0);
	}
	sg[0] = (struct liommu_dma_sg){ .pa = e.mem_pa, .len = 3 * PG };
	sg[1] = (struct liommu_dma_sg){ .pa = e.mem_pa + (4ull << 20), .len = 2 * PG };
	ck_assert_int_eq(liommu_dma_map_sg(e.dma, sg, 2, LIOMMU_DMA_TO_DEVICE), 2);
	ck_assert_int_eq(liommu_dma_unmap_sg(e.dma, sg, 2, LIOMMU_DMA_TO_DEVICE), 0);
	stats(&e, &st1);
	ustats(&e, &u1);
	ck_assert_uint_eq(st1.pte_writes, st0.pte_writes);
	ck_assert_uint_eq(u1.inv_descs, u0.inv_descs);
	ck_assert_uint_eq(u1.inv_waits, u0.inv_waits);
	ck_assert_uint_eq(st1.table_pages, st0.table_pages);
	ck_assert_uint_eq(st1.maps, 1002);
	ck_assert_uint_eq(st1.unmaps, 1002);
	ck_assert_uint_eq(st1.mapped_pages, e.mem_len / PG);
	/* unmapped, yet reachable: no protection inside the VM */
	ck_assert_int_eq(dev_write(&e, e.mem_pa, 8, 9), 0);
	env_down(&e);
}
END_TEST

START_TEST(direct_free_unmaps_everything)
{
	struct liommu_domain_stats ds;
	struct env e;

	env_up(&e, LIOMMU_DMA_DIRECT, (struct liommu_dma_config){ 0 });
	liommu_dma_free(e.dma);
	e.dma = NULL;
	liommu_domain_get_stats(e.dom, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 0);
	ck_assert_int_eq(dev_write(&e, e.mem_pa, 8, 9), -EFAULT);
	env_down(&e);
}
END_TEST

/* liommu_dma_free() with mappings still live and stale: the domain ends
 * empty and the device reaches nothing. */
START_TEST(free_with_live_and_stale_mappings)
{
	struct liommu_domain_stats ds;
	uint64_t pa, iova[4];
	unsigned int i;
	struct env e;

	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){
		.interval_ns = 60ull * 1000000000, .age_ns = 60ull * 1000000000 });
	pa = buf(&e, 4 * PG, 0, NULL);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(liommu_dma_map(e.dma, pa + i * PG, PG, LIOMMU_DMA_TO_DEVICE,
						&iova[i]), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(liommu_dma_unmap(e.dma, iova[i], PG, LIOMMU_DMA_TO_DEVICE), 0);
	liommu_dma_free(e.dma);
	e.dma = NULL;
	liommu_domain_get_stats(e.dom, &ds);
	ck_assert_uint_eq(ds.mapped_bytes, 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(dev_read(&e, iova[i], (uint8_t[8]){ 0 }, 8), -EFAULT);
	env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many threads on one instance                                        */
/* ------------------------------------------------------------------ */

#define MT_THREADS	4
#define MT_ITERS	300

struct mt_arg {
	struct env *e;
	unsigned int id;
	uint64_t pa;		/* 4 pages of its own */
	uint8_t *va;
	int err;
};

static void *mt_worker(void *p)
{
	struct mt_arg *a = p;
	unsigned int i;

	for (i = 0; i < MT_ITERS && !a->err; i++) {
		unsigned int pg = i % 4, len = 1 + (i * 131) % 3000;
		uint8_t tag = (uint8_t)(a->id * 64 + i);
		struct liommu_dma_sg sg[2];
		uint64_t iova;
		uint8_t data[3000];

		if (liommu_dma_map(a->e->dma, a->pa + pg * PG, len, LIOMMU_DMA_BIDIRECTIONAL,
				   &iova)) {
			a->err = 1;
			break;
		}
		memset(data, tag, len);
		if (liommu_sim_dma_write(a->e->sim, SID, iova, data, len, NULL) ||
		    a->va[pg * PG + len - 1] != tag)
			a->err = 2;
		if (liommu_dma_unmap(a->e->dma, iova, len, LIOMMU_DMA_BIDIRECTIONAL))
			a->err = 3;
		if (i % 16)
			continue;
		sg[0] = (struct liommu_dma_sg){ .pa = a->pa, .len = 100 };
		sg[1] = (struct liommu_dma_sg){ .pa = a->pa + 2 * PG, .len = 2 * PG };
		if (liommu_dma_map_sg(a->e->dma, sg, 2, LIOMMU_DMA_TO_DEVICE) != 2)
			a->err = 4;
		else if (liommu_dma_unmap_sg(a->e->dma, sg, 2, LIOMMU_DMA_TO_DEVICE))
			a->err = 5;
	}
	return NULL;
}

START_TEST(many_threads_one_instance)
{
	struct mt_arg arg[MT_THREADS];
	pthread_t th[MT_THREADS];
	struct liommu_dma_stats st;
	uint64_t n = 0;
	unsigned int i;
	struct env e;

	/* small quota and batch so retirement and flushes run concurrently */
	env_up(&e, (enum liommu_dma_strategy)_i, (struct liommu_dma_config){
		.quota = 6, .opt_batch = 2, .batch = 7, .queues = 2, .age_ns = 200000,
		.interval_ns = 200000 });
	for (i = 0; i < MT_THREADS; i++) {
		void *va;

		arg[i] = (struct mt_arg){ .e = &e, .id = i };
		arg[i].pa = buf(&e, 4 * PG, i, &va);
		arg[i].va = va;
		ck_assert_int_eq(pthread_create(&th[i], NULL, mt_worker, &arg[i]), 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(arg[i].err == 0, "thread %u: error %d", i, arg[i].err);
	}
	for (i = 0; i < MT_ITERS; i++)
		n += 1 + (i % 16 ? 0 : 2);
	stats(&e, &st);
	ck_assert_uint_eq(st.maps, n * MT_THREADS);
	ck_assert_uint_eq(st.unmaps, n * MT_THREADS);
	ck_assert_uint_eq(st.live_pages, 0);
	ck_assert_int_eq(liommu_dma_drain(e.dma), 0);
	stats(&e, &st);
	ck_assert_uint_eq(st.stale_pages, 0);
	if (_i != LIOMMU_DMA_DIRECT) {
		ck_assert_uint_eq(st.mapped_pages, 0);
		ck_assert_uint_eq(iova_allocated(&e), 0);
	}
	env_down(&e);
}
END_TEST

Suite *dma_suite(void);

Suite *dma_suite(void)
{
	Suite *s = suite_create("dma");
	TCase *tc;

	tc = tcase_create("api");
	tcase_add_test(tc, strategy_names_round_trip);
	tcase_add_test(tc, new_rejects_bad_configuration);
	tcase_add_loop_test(tc, defaults_and_bounds, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_dma_unmap_round_trip, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, free_with_live_and_stale_mappings, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, map_rejects_bad_direction, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_rejects_zero_length_and_overflow, 0,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_rejects_beyond_memory_or_space, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, unmap_rejects_bad_direction_and_zero_length, 0,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, unmap_rejects_unknown_iova, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, unmap_rejects_wrong_length_or_direction, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, double_unmap_is_enoent, LIOMMU_DMA_STRICT,
			    LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, sg_rejects_bad_arguments, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_add_loop_test(tc, map_sg_is_all_or_nothing, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("strict");
	tcase_add_test(tc, strict_dma_after_unmap_faults);
	tcase_add_loop_test(tc, strict_concurrent_unmaps_leave_nothing_stale, 0,
			    sizeof(sc_latency_ns) / sizeof(sc_latency_ns[0]));
	tcase_add_test(tc, strict_unmaps_pay_and_share_the_unit_latency);
	tcase_add_test(tc, strict_reused_iova_reaches_new_buffer);
	tcase_add_loop_test(tc, strict_invalidation_granularity, 0, 3);
	tcase_add_test(tc, strict_sg_unmap_invalidates_once);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("optimistic");
	tcase_add_test(tc, optimistic_reuse_hit_writes_nothing);
	tcase_add_test(tc, optimistic_quota_holds);
	tcase_add_test(tc, optimistic_age_holds_when_idle);
	tcase_add_test(tc, optimistic_age_holds_under_traffic);
	tcase_add_test(tc, optimistic_quota_is_shared_by_thread_caches);
	tcase_add_test(tc, optimistic_age_holds_for_exited_thread_cache);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("deferred");
	tcase_add_test(tc, deferred_frees_iova_only_after_flush);
	tcase_add_test(tc, deferred_flushes_by_count);
	tcase_add_test(tc, deferred_flushes_by_time_when_idle);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("direct");
	tcase_add_test(tc, direct_maps_with_superpages_and_never_writes_again);
	tcase_add_test(tc, direct_free_unmaps_everything);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_loop_test(tc, many_threads_one_instance, 0, LIOMMU_DMA_NR_STRATEGIES);
	tcase_set_timeout(tc, TC_TIMEOUT);
	suite_add_tcase(s, tc);
	return s;
}
