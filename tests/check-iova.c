// SPDX-License-Identifier: MIT
/*
 * check-iova.c - the IOVA allocator: alignment, exact ranges, exhaustion
 * and recovery, reserved ranges (the interrupt window included), address
 * widths, rejection of double and stray frees, a seeded model test
 * against a page-by-page reference, multi-threaded stress with an
 * overlap detector, the per-thread caches' life cycle (fast path
 * taking no allocator-wide lock, magazines returned on thread exit,
 * stale caches of destroyed allocators never touched, a thread's own
 * magazines coming back to it from the depot), and the runs a miss takes
 * (aligned, private to the thread, clear of reserved ranges, never
 * starving a small space, counted exactly).
 *
 * The model test prints its seed; LIOMMU_SEED=<n> replays it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <liommu/iova.h>

#include "../libiommu/iova/iova-internal.h"

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define PG		LIOMMU_IOVA_GRANULE
#define INTR_FIRST	0xfee00000ULL
#define INTR_END	0xfef00000ULL
#define RUN_ORDER	7	/* a cache miss below 512 KiB takes 128 pages */
#define RUN_PAGES	(1ULL << RUN_ORDER)

/* Configurations the loop tests run through. */
static const unsigned int cfg_flags[] = {
	0,
	LIOMMU_IOVA_TOP_DOWN,
	LIOMMU_IOVA_NO_CACHE,
	LIOMMU_IOVA_NO_CACHE | LIOMMU_IOVA_TOP_DOWN,
};
#define NCFG (int)(sizeof(cfg_flags) / sizeof(cfg_flags[0]))

static struct liommu_iova *mk(unsigned int width, uint64_t base, unsigned int flags)
{
	struct liommu_iova_config cfg = { .width = width, .base = base, .flags = flags };
	struct liommu_iova *a = NULL;
	int err = liommu_iova_new(&cfg, &a);

	ck_assert_msg(err == 0, "liommu_iova_new(width %u, base %#" PRIx64 ", flags %#x) = %d",
		      width, base, flags, err);
	return a;
}

static void check_ok(struct liommu_iova *a)
{
	const char *why = NULL;
	int err = liommu__iova_check(a, &why);

	ck_assert_msg(err == 0, "invariant violated: %s", why);
}

static struct liommu_iova_stats stats(struct liommu_iova *a)
{
	struct liommu_iova_stats st;

	liommu_iova_get_stats(a, &st);
	return st;
}

static bool overlaps(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

/* xorshift64*: small, seedable, good enough to drive a model. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static uint64_t test_seed(void)
{
	const char *s = getenv("LIOMMU_SEED");
	uint64_t seed;

	if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (!seed)
		seed = 1;
	fprintf(stderr, "check-iova: seed %" PRIu64 " (LIOMMU_SEED=%" PRIu64 " replays)\n",
		seed, seed);
	return seed;
}

/* ------------------------------------------------------------------ */
/* Configuration and arguments                                         */
/* ------------------------------------------------------------------ */

START_TEST(new_rejects_bad_config)
{
	struct liommu_iova_config cfg = { 0 };
	struct liommu_iova *a = (struct liommu_iova *)&cfg;

	ck_assert_int_eq(liommu_iova_new(NULL, NULL), -EINVAL);
	cfg.width = LIOMMU_IOVA_WIDTH_MIN - 1;
	ck_assert_int_eq(liommu_iova_new(&cfg, &a), -EINVAL);
	ck_assert_ptr_null(a);
	cfg.width = LIOMMU_IOVA_WIDTH_MAX + 1;
	ck_assert_int_eq(liommu_iova_new(&cfg, &a), -EINVAL);
	cfg.width = 39;
	cfg.base = 0x800;
	ck_assert_int_eq(liommu_iova_new(&cfg, &a), -EINVAL);
	cfg.base = 1ULL << 39;
	ck_assert_int_eq(liommu_iova_new(&cfg, &a), -EINVAL);
	cfg.base = 0;
	cfg.flags = 0x100;
	ck_assert_int_eq(liommu_iova_new(&cfg, &a), -EINVAL);

	/* Zero is a default: 48 bits, IOVA 0 excluded. */
	ck_assert_int_eq(liommu_iova_new(NULL, &a), 0);
	ck_assert_uint_eq(liommu_iova_width(a), 48);
	ck_assert_uint_eq(liommu_iova_base(a), PG);
	liommu_iova_destroy(a);
	a = mk(39, 0, LIOMMU_IOVA_ALLOW_ZERO);
	ck_assert_uint_eq(liommu_iova_base(a), 0);
	liommu_iova_destroy(a);
	liommu_iova_destroy(NULL);
}
END_TEST

START_TEST(bad_arguments_rejected)
{
	struct liommu_iova *a = mk(39, 0, cfg_flags[_i]);
	uint64_t iova;

	ck_assert_int_eq(liommu_iova_alloc(NULL, PG, &iova), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, NULL), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc(a, 0, &iova), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc(a, PG + 1, &iova), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc(a, 1ULL << 39, &iova), -ENOSPC);
	ck_assert_int_eq(liommu_iova_alloc_range(NULL, PG, PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc_range(a, PG, 0), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc_range(a, PG + 8, PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 0, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc_range(a, ~0ULL & ~(PG - 1), 2 * PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_free(NULL, PG, PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, PG, 0), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, PG, 100), -EINVAL);
	ck_assert_int_eq(liommu_iova_reserve(NULL, PG, PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_reserve(a, PG, 0), -EINVAL);
	ck_assert_int_eq(liommu_iova_reserve(a, 0x1234, PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_reserve(a, ~0ULL & ~(PG - 1), 2 * PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_flush_caches(NULL), -EINVAL);
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	ck_assert_uint_eq(stats(a).allocs, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Placement                                                           */
/* ------------------------------------------------------------------ */

/* Every power of two from 4 KiB to 1 GiB comes back naturally aligned,
 * including after a free and reallocation through the caches. */
START_TEST(pow2_sizes_naturally_aligned)
{
	struct liommu_iova *a = mk(39, 0, cfg_flags[_i]);
	uint64_t iova[3];

	for (unsigned int order = 12; order <= 30; order++) {
		uint64_t size = 1ULL << order;

		for (int k = 0; k < 3; k++) {
			ck_assert_int_eq(liommu_iova_alloc(a, size, &iova[k]), 0);
			ck_assert_msg(iova[k] % size == 0, "size %#" PRIx64 " at %#" PRIx64,
				      size, iova[k]);
			ck_assert(iova[k] >= PG && iova[k] + size <= 1ULL << 39);
			ck_assert(!overlaps(iova[k], size, INTR_FIRST, INTR_END - INTR_FIRST));
		}
		ck_assert(!overlaps(iova[0], size, iova[1], size));
		ck_assert(!overlaps(iova[1], size, iova[2], size));
		ck_assert(!overlaps(iova[0], size, iova[2], size));
		ck_assert_int_eq(liommu_iova_free(a, iova[1], size), 0);
		ck_assert_int_eq(liommu_iova_alloc(a, size, &iova[1]), 0);
		ck_assert(iova[1] % size == 0);
		for (int k = 0; k < 3; k++)
			ck_assert_int_eq(liommu_iova_free(a, iova[k], size), 0);
	}
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* Other sizes get exactly their size, 4 KiB aligned: first fit packs
 * them back to back. */
START_TEST(non_pow2_sizes_exact)
{
	struct liommu_iova *a = mk(39, 0, LIOMMU_IOVA_NO_CACHE);
	uint64_t x, y, z;

	ck_assert_int_eq(liommu_iova_alloc(a, 3 * PG, &x), 0);
	ck_assert_uint_eq(x, PG);
	ck_assert_int_eq(liommu_iova_alloc(a, 5 * PG, &y), 0);
	ck_assert_uint_eq(y, 4 * PG);
	ck_assert_int_eq(liommu_iova_alloc(a, 3 * MiB + PG, &z), 0);
	ck_assert_uint_eq(z, 9 * PG);
	/* The freed 3-page hole (pages 1-3): a 2-page request is a power
	 * of two, so it lands naturally aligned at page 2; page 1 is left. */
	ck_assert_int_eq(liommu_iova_free(a, x, 3 * PG), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 2 * PG, &x), 0);
	ck_assert_uint_eq(x, 2 * PG);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, &y), 0);
	ck_assert_uint_eq(y, PG);
	/* A 2-page allocation cannot be freed as 3, nor as 1. */
	ck_assert_int_eq(liommu_iova_free(a, x, 3 * PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, x, PG), -EINVAL);
	ck_assert_uint_eq(stats(a).allocated_bytes, 3 * PG + 5 * PG + 3 * MiB + PG);
	check_ok(a);
	liommu_iova_destroy(a);

	/* Top-down: packed against the limit. */
	a = mk(39, 0, LIOMMU_IOVA_NO_CACHE | LIOMMU_IOVA_TOP_DOWN);
	ck_assert_int_eq(liommu_iova_alloc(a, 3 * PG, &x), 0);
	ck_assert_uint_eq(x, (1ULL << 39) - 3 * PG);
	ck_assert_int_eq(liommu_iova_alloc(a, 5 * PG, &y), 0);
	ck_assert_uint_eq(y, (1ULL << 39) - 8 * PG);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

START_TEST(exact_ranges)
{
	struct liommu_iova *a = mk(39, 0, cfg_flags[_i]);
	uint64_t iova;

	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB, 64 * KiB), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB + 60 * KiB, 8 * KiB), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB - 4 * KiB, 8 * KiB), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB - 4 * KiB, 4 * KiB), 0);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB + 64 * KiB, 4 * KiB), 0);
	/* The interrupt window and anything straddling it. */
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_FIRST, PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_FIRST - PG, 2 * PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_END - PG, 2 * PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_FIRST - MiB, 3 * MiB), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_END, PG), 0);
	ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_FIRST - PG, PG), 0);
	/* Bounds. */
	ck_assert_int_eq(liommu_iova_alloc_range(a, 0, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 1ULL << 39, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc_range(a, (1ULL << 39) - PG, 2 * PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc_range(a, (1ULL << 39) - PG, PG), 0);
	/* A 64 KiB exact range is freed as such, and only once. */
	ck_assert_int_eq(liommu_iova_free(a, 16 * MiB, 4 * KiB), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, 16 * MiB, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_free(a, 16 * MiB, 64 * KiB), -ENOENT);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 16 * MiB, 64 * KiB), 0);
	ck_assert_uint_eq(stats(a).allocated_bytes, 64 * KiB + 5 * PG);

	/* An exact range over IOVAs parked in caches takes them back. */
	ck_assert_int_eq(liommu_iova_alloc(a, 64 * KiB, &iova), 0);
	ck_assert_int_eq(liommu_iova_free(a, iova, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_alloc_range(a, iova, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_free(a, iova, 64 * KiB), 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Exhaustion                                                          */
/* ------------------------------------------------------------------ */

/* A 16 MiB space holds exactly 4095 pages (page 0 excluded); when full,
 * -ENOSPC; each free makes room again; once all is freed, the biggest
 * aligned block (8 MiB) fits again, which needs every cached page back
 * in the tree. */
START_TEST(exhaustion_and_recovery)
{
	struct liommu_iova *a = mk(24, 0, cfg_flags[_i]);
	static uint64_t iova[4096];
	uint64_t x, n = 0;

	while (liommu_iova_alloc(a, PG, &x) == 0) {
		ck_assert(n < 4095);
		iova[n++] = x;
	}
	ck_assert_uint_eq(n, 4095);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), -ENOSPC);
	ck_assert_int_eq(liommu_iova_alloc(a, 3 * PG, &x), -ENOSPC);
	ck_assert_uint_eq(stats(a).allocated_bytes, 4095 * PG);
	check_ok(a);

	ck_assert_int_eq(liommu_iova_free(a, iova[100], PG), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), 0);
	ck_assert_uint_eq(x, iova[100]);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), -ENOSPC);

	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(liommu_iova_free(a, iova[i], PG), 0);
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 8 * MiB, &x), 0);
	ck_assert_uint_eq(x, 8 * MiB);
	ck_assert_int_eq(liommu_iova_alloc(a, 8 * MiB, &x), -ENOSPC);	/* page 0 */
	ck_assert_int_eq(liommu_iova_alloc(a, 4 * MiB, &x), 0);
	ck_assert_uint_eq(x, 4 * MiB);
	if (!(cfg_flags[_i] & LIOMMU_IOVA_NO_CACHE))
		ck_assert_uint_gt(stats(a).cache_flushes, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* Exhaustion in a size class other than the one parked in the caches:
 * 1 MiB frees sit in magazines, a 2 MiB request must still find them. */
START_TEST(exhaustion_crosses_size_classes)
{
	struct liommu_iova *a = mk(24, 0, 0);
	uint64_t iova[16], x;
	int n = 0;

	while (liommu_iova_alloc(a, MiB, &x) == 0)
		iova[n++] = x;
	ck_assert_int_eq(n, 15);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(liommu_iova_free(a, iova[i], MiB), 0);
	ck_assert_uint_eq(stats(a).cached_bytes, 15 * MiB);
	ck_assert_int_eq(liommu_iova_alloc(a, 2 * MiB, &x), 0);
	ck_assert_uint_eq(x % (2 * MiB), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 12 * KiB, &x), 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reserved ranges                                                     */
/* ------------------------------------------------------------------ */

/* Fill an 8 GiB space with blocks of one size: none touches the
 * interrupt window, and the count is exactly what is left once the
 * window and page 0 are excluded. */
START_TEST(interrupt_window_never_returned)
{
	static const uint64_t sizes[] = { 1 * MiB, 2 * MiB, 4 * MiB, 64 * MiB };
	/* blocks lost: the one holding IOVA 0, and those meeting the window */
	static const uint64_t lost[] = { 2, 2, 2, 2 };

	for (unsigned int s = 0; s < 4; s++) {
		struct liommu_iova *a = mk(33, 0, cfg_flags[_i]);
		uint64_t size = sizes[s], x, n = 0;

		while (liommu_iova_alloc(a, size, &x) == 0) {
			ck_assert_msg(!overlaps(x, size, INTR_FIRST, INTR_END - INTR_FIRST),
				      "%#" PRIx64 "+%#" PRIx64 " meets the interrupt window",
				      x, size);
			n++;
		}
		ck_assert_uint_eq(n, (8 * GiB) / size - lost[s]);
		ck_assert_uint_eq(stats(a).reserved_bytes, MiB);
		check_ok(a);
		liommu_iova_destroy(a);
	}
}
END_TEST

/* Non-power-of-two sizes that would straddle the window go around it. */
START_TEST(no_allocation_straddles_window)
{
	struct liommu_iova *a = mk(33, INTR_FIRST - 5 * PG, cfg_flags[_i] | LIOMMU_IOVA_NO_CACHE);
	uint64_t x, y, z;

	ck_assert_int_eq(liommu_iova_alloc(a, 3 * PG, &x), 0);
	ck_assert(!overlaps(x, 3 * PG, INTR_FIRST, INTR_END - INTR_FIRST));
	if (!(cfg_flags[_i] & LIOMMU_IOVA_TOP_DOWN)) {
		ck_assert_uint_eq(x, INTR_FIRST - 5 * PG);
		/* 2 pages left below the window: a 3-page request skips it */
		ck_assert_int_eq(liommu_iova_alloc(a, 3 * PG, &y), 0);
		ck_assert_uint_eq(y, INTR_END);
		ck_assert_int_eq(liommu_iova_alloc(a, 2 * PG, &z), 0);
		ck_assert_uint_eq(z, INTR_FIRST - 2 * PG);
		ck_assert_int_eq(liommu_iova_alloc_range(a, INTR_FIRST - PG, 2 * PG), -EEXIST);
	}
	liommu_iova_destroy(a);

	/* Without the reservation the window is ordinary space. */
	a = mk(33, INTR_FIRST, LIOMMU_IOVA_NO_INTR_RESERVE | LIOMMU_IOVA_NO_CACHE);
	ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), 0);
	ck_assert_uint_eq(x, INTR_FIRST);
	ck_assert_uint_eq(stats(a).reserved_bytes, 0);
	liommu_iova_destroy(a);
}
END_TEST

START_TEST(reserve_api)
{
	struct liommu_iova *a = mk(30, 0, cfg_flags[_i]);
	uint64_t x, live;

	ck_assert_int_eq(liommu_iova_reserve(a, 64 * MiB, 64 * MiB), 0);
	ck_assert_uint_eq(stats(a).reserved_bytes, 64 * MiB);
	/* overlapping reservations are fine, counted once */
	ck_assert_int_eq(liommu_iova_reserve(a, 96 * MiB, 64 * MiB), 0);
	ck_assert_uint_eq(stats(a).reserved_bytes, 96 * MiB);
	/* beyond the space: clipped, or ignored altogether */
	ck_assert_int_eq(liommu_iova_reserve(a, GiB - MiB, 2 * MiB), 0);
	ck_assert_uint_eq(stats(a).reserved_bytes, 97 * MiB);
	ck_assert_int_eq(liommu_iova_reserve(a, 4 * GiB, MiB), 0);
	ck_assert_uint_eq(stats(a).reserved_bytes, 97 * MiB);
	/* a reservation is not an allocation */
	ck_assert_int_eq(liommu_iova_free(a, 64 * MiB, 64 * MiB), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, 64 * MiB, 32 * MiB), -EINVAL);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 100 * MiB, PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 63 * MiB, 2 * MiB), -EEXIST);

	/* a live allocation blocks a reservation, which then changes nothing */
	ck_assert_int_eq(liommu_iova_alloc_range(a, 200 * MiB, MiB), 0);
	ck_assert_int_eq(liommu_iova_reserve(a, 199 * MiB, 4 * MiB), -EBUSY);
	ck_assert_uint_eq(stats(a).reserved_bytes, 97 * MiB);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 199 * MiB, MiB), 0);
	ck_assert_int_eq(liommu_iova_free(a, 199 * MiB, MiB), 0);

	/* reserving over cached (freed) IOVAs works */
	ck_assert_int_eq(liommu_iova_alloc(a, 64 * KiB, &live), 0);
	ck_assert_int_eq(liommu_iova_free(a, live, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_reserve(a, live, 64 * KiB), 0);
	ck_assert_uint_eq(stats(a).reserved_bytes, 97 * MiB + 64 * KiB);

	/* fill what is left: nothing lands in a reserved range */
	while (liommu_iova_alloc(a, MiB, &x) == 0) {
		ck_assert(!overlaps(x, MiB, 64 * MiB, 96 * MiB));
		ck_assert(!overlaps(x, MiB, GiB - MiB, MiB));
		ck_assert(!overlaps(x, MiB, 200 * MiB, MiB));
		ck_assert(!overlaps(x, MiB, live, 64 * KiB));
	}
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Address widths                                                      */
/* ------------------------------------------------------------------ */

START_TEST(width_limits)
{
	static const unsigned int widths[] = { 39, 48, 57 };
	unsigned int w = widths[_i % 3];
	unsigned int flags = _i < 3 ? 0 : LIOMMU_IOVA_TOP_DOWN;
	uint64_t limit = 1ULL << w, x, y;
	struct liommu_iova *a = mk(w, 0, flags);

	ck_assert_int_eq(liommu_iova_alloc_range(a, limit - PG, PG), 0);
	ck_assert_int_eq(liommu_iova_alloc_range(a, limit, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc_range(a, limit - PG, 2 * PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_free(a, limit, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_alloc(a, limit, &x), -ENOSPC);
	/* Half the space: the top half is taken by the page above, the
	 * bottom half holds IOVA 0, so nothing fits. */
	ck_assert_int_eq(liommu_iova_alloc(a, limit / 2, &x), -ENOSPC);
	ck_assert_int_eq(liommu_iova_free(a, limit - PG, PG), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, limit / 2, &x), 0);
	ck_assert_uint_eq(x, limit / 2);
	ck_assert_int_eq(liommu_iova_alloc(a, limit / 4, &y), 0);
	ck_assert_uint_eq(y, limit / 4);
	ck_assert_int_eq(liommu_iova_alloc(a, limit / 4, &y), -ENOSPC);
	/* Small allocations stay below the limit too. */
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(liommu_iova_alloc(a, 64 * KiB, &y), 0);
		ck_assert(y + 64 * KiB <= limit / 4 && y >= PG);
	}
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* The narrowest and widest spaces: 16 bits hold 15 pages above page 0;
 * 63 bits hold a 2^62 block above the interrupt window's half. */
START_TEST(extreme_widths)
{
	struct liommu_iova *a = mk(LIOMMU_IOVA_WIDTH_MIN, 0, cfg_flags[_i]);
	uint64_t x, n = 0, seen = 0;

	while (liommu_iova_alloc(a, PG, &x) == 0) {
		ck_assert(x >= PG && x < 64 * KiB);
		ck_assert(!(seen & 1ULL << (x / PG)));
		seen |= 1ULL << (x / PG);
		n++;
	}
	ck_assert_uint_eq(n, 15);
	ck_assert_int_eq(liommu_iova_free(a, 8 * PG, PG), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 2 * PG, &x), -ENOSPC);
	ck_assert_int_eq(liommu_iova_free(a, 9 * PG, PG), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 2 * PG, &x), 0);
	ck_assert_uint_eq(x, 8 * PG);
	check_ok(a);
	liommu_iova_destroy(a);

	a = mk(LIOMMU_IOVA_WIDTH_MAX, 0, cfg_flags[_i]);
	ck_assert_int_eq(liommu_iova_alloc(a, 1ULL << 62, &x), 0);
	ck_assert_uint_eq(x, 1ULL << 62);
	ck_assert_int_eq(liommu_iova_alloc(a, 1ULL << 62, &x), -ENOSPC);
	ck_assert_int_eq(liommu_iova_alloc_range(a, (1ULL << 63) - PG, PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, 1ULL << 63, PG), -ERANGE);
	for (int i = 0; i < 300; i++) {
		ck_assert_int_eq(liommu_iova_alloc(a, MiB, &x), 0);
		ck_assert(x < 1ULL << 62 && x % MiB == 0);
		ck_assert(!overlaps(x, MiB, INTR_FIRST, INTR_END - INTR_FIRST));
	}
	ck_assert_int_eq(liommu_iova_free(a, 1ULL << 62, 1ULL << 62), 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rejected frees                                                      */
/* ------------------------------------------------------------------ */

START_TEST(double_and_bogus_free_rejected)
{
	struct liommu_iova *a = mk(39, 0, cfg_flags[_i]);
	uint64_t p, q, r, x[64];

	ck_assert_int_eq(liommu_iova_alloc(a, PG, &p), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 64 * KiB, &q), 0);
	ck_assert_int_eq(liommu_iova_alloc(a, 5 * PG, &r), 0);
	ck_assert_int_eq(liommu_iova_free(a, p, PG), 0);
	ck_assert_int_eq(liommu_iova_free(a, p, PG), -ENOENT);		/* double */
	ck_assert_int_eq(liommu_iova_free(a, q, PG), -EINVAL);		/* wrong size */
	ck_assert_int_eq(liommu_iova_free(a, q, 128 * KiB), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, q + PG, PG), -ENOENT);	/* inside */
	ck_assert_int_eq(liommu_iova_free(a, GiB, 64 * KiB), -ENOENT);	/* free space */
	ck_assert_int_eq(liommu_iova_free(a, r, 4 * PG), -EINVAL);
	ck_assert_int_eq(liommu_iova_free(a, r + PG, 4 * PG), -ENOENT);
	ck_assert_int_eq(liommu_iova_free(a, 0, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_free(a, 1ULL << 39, PG), -ERANGE);
	ck_assert_int_eq(liommu_iova_free(a, INTR_FIRST, MiB), -EINVAL);	/* reserved */
	ck_assert_int_eq(liommu_iova_free(a, INTR_FIRST, PG), -EINVAL);
	ck_assert_uint_eq(stats(a).allocated_bytes, 64 * KiB + 5 * PG);
	ck_assert_uint_eq(stats(a).frees, 1);
	check_ok(a);

	/* State is intact: q and r are still live and exclusive, and new
	 * allocations never overlap them or each other. */
	ck_assert_int_eq(liommu_iova_alloc_range(a, q, PG), -EEXIST);
	ck_assert_int_eq(liommu_iova_alloc_range(a, r + 4 * PG, PG), -EEXIST);
	for (int i = 0; i < 64; i++) {
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x[i]), 0);
		ck_assert(!overlaps(x[i], PG, q, 64 * KiB));
		ck_assert(!overlaps(x[i], PG, r, 5 * PG));
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(x[i], x[j]);
	}
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(liommu_iova_free(a, x[i], PG), 0);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(liommu_iova_free(a, x[i], PG), -ENOENT);
	ck_assert_int_eq(liommu_iova_free(a, q, 64 * KiB), 0);
	ck_assert_int_eq(liommu_iova_free(a, r, 5 * PG), 0);
	ck_assert_int_eq(liommu_iova_free(a, q, 64 * KiB), -ENOENT);
	ck_assert_int_eq(liommu_iova_free(a, r, 5 * PG), -ENOENT);
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

struct race {
	struct liommu_iova *a;
	pthread_barrier_t *bar;
	uint64_t iova;
	int rc;
};

static void *race_free(void *p)
{
	struct race *r = p;

	pthread_barrier_wait(r->bar);
	r->rc = liommu_iova_free(r->a, r->iova, PG);
	return NULL;
}

/* Two threads free the same allocation at the same moment: exactly one
 * succeeds, so the IOVA cannot enter two magazines. */
START_TEST(racing_double_free_one_wins)
{
	struct liommu_iova *a = mk(39, 0, cfg_flags[_i]);
	pthread_barrier_t bar;

	pthread_barrier_init(&bar, NULL, 2);
	for (int i = 0; i < 200; i++) {
		struct race r[2] = { { .a = a, .bar = &bar }, { .a = a, .bar = &bar } };
		pthread_t t[2];
		uint64_t x;

		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), 0);
		r[0].iova = r[1].iova = x;
		for (int k = 0; k < 2; k++)
			pthread_create(&t[k], NULL, race_free, &r[k]);
		for (int k = 0; k < 2; k++)
			pthread_join(t[k], NULL);
		ck_assert_msg((r[0].rc == 0) != (r[1].rc == 0), "rc %d and %d",
			      r[0].rc, r[1].rc);
		ck_assert_int_eq(r[0].rc + r[1].rc, -ENOENT);
	}
	pthread_barrier_destroy(&bar);
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Randomised model                                                    */
/* ------------------------------------------------------------------ */

/* A 16 MiB space, page by page: 0 free, -1 reserved or outside, else the
 * id of the live allocation. */
#define M_PAGES		4096
struct model {
	int32_t page[M_PAGES];
	struct { uint64_t pfn, n; } live[M_PAGES];
	unsigned int nlive;
	uint64_t live_pages;
	uint64_t reserved_pages;
};

static bool m_free_run(const struct model *m, uint64_t pfn, uint64_t n)
{
	if (pfn + n > M_PAGES)
		return false;
	for (uint64_t i = pfn; i < pfn + n; i++)
		if (m->page[i])
			return false;
	return true;
}

/* First (or last) fit the allocator must agree with; -1 if none. */
static int64_t m_fit(const struct model *m, uint64_t n, bool pow2, bool top_down)
{
	uint64_t step = pow2 ? n : 1;

	if (n > M_PAGES)
		return -1;
	if (!top_down) {
		for (uint64_t p = 0; p + n <= M_PAGES; p += step)
			if (m_free_run(m, p, n))
				return (int64_t)p;
	} else {
		for (int64_t p = (int64_t)((M_PAGES - n) / step * step); p >= 0; p -= step)
			if (m_free_run(m, (uint64_t)p, n))
				return p;
	}
	return -1;
}

static void m_take(struct model *m, uint64_t pfn, uint64_t n)
{
	unsigned int id = m->nlive++;

	m->live[id].pfn = pfn;
	m->live[id].n = n;
	for (uint64_t i = pfn; i < pfn + n; i++)
		m->page[i] = (int32_t)id + 1;
	m->live_pages += n;
}

static void m_drop(struct model *m, unsigned int id)
{
	unsigned int last = --m->nlive;

	for (uint64_t i = m->live[id].pfn; i < m->live[id].pfn + m->live[id].n; i++)
		m->page[i] = 0;
	m->live_pages -= m->live[id].n;
	if (id != last) {
		m->live[id] = m->live[last];
		for (uint64_t i = m->live[id].pfn; i < m->live[id].pfn + m->live[id].n; i++)
			m->page[i] = (int32_t)id + 1;
	}
}

static bool m_is_live(const struct model *m, uint64_t pfn, uint64_t n)
{
	return pfn < M_PAGES && m->page[pfn] > 0 &&
	       m->live[m->page[pfn] - 1].pfn == pfn && m->live[m->page[pfn] - 1].n == n;
}

START_TEST(model_random)
{
	unsigned int flags = cfg_flags[_i];
	bool exact = flags & LIOMMU_IOVA_NO_CACHE, top = flags & LIOMMU_IOVA_TOP_DOWN;
	struct liommu_iova *a = mk(24, 0, flags);
	struct model *m = calloc(1, sizeof(*m));
	uint64_t freed_pfn = 0, freed_n = 0;
	int ops = 20000;

	ck_assert_ptr_nonnull(m);
	fprintf(stderr, "check-iova: model config %d\n", _i);
	rnd_state = test_seed() + (uint64_t)_i;
	m->page[0] = -1;		/* below base */

	for (int op = 0; op < ops; op++) {
		uint64_t r = rnd_below(100), pfn, n, iova;
		bool full = m->live_pages > M_PAGES * 3 / 4;
		int rc;

		if (r < 45 && !full) {
			/* alloc: mostly cacheable classes, some other sizes */
			bool pow2 = rnd_below(4) != 0;
			int64_t want;

			n = pow2 ? 1ULL << rnd_below(pow2 && rnd_below(8) ? 9 : 12)
				 : 3 + rnd_below(60);
			if (n & (n - 1))
				pow2 = false;
			else
				pow2 = true;
			want = m_fit(m, n, pow2, top);
			rc = liommu_iova_alloc(a, n * PG, &iova);
			if (want < 0) {
				ck_assert_msg(rc == -ENOSPC, "op %d: alloc %" PRIu64
					      " pages: %d, model has no fit", op, n, rc);
				continue;
			}
			ck_assert_msg(rc == 0, "op %d: alloc %" PRIu64 " pages failed %d"
				      " though %" PRId64 " fits", op, n, rc, want);
			pfn = iova / PG;
			ck_assert(iova % PG == 0);
			if (pow2)
				ck_assert_msg(pfn % n == 0, "op %d: misaligned", op);
			ck_assert_msg(m_free_run(m, pfn, n), "op %d: %#" PRIx64 "+%" PRIu64
				      " pages overlaps live or reserved space", op, iova, n);
			if (exact)
				ck_assert_msg(pfn == (uint64_t)want, "op %d: got pfn %" PRIu64
					      ", first fit is %" PRId64, op, pfn, want);
			m_take(m, pfn, n);
		} else if (r < 55 && !full) {
			/* exact range */
			bool ok;

			pfn = rnd_below(M_PAGES + 8);
			n = 1 + rnd_below(16);
			rc = liommu_iova_alloc_range(a, pfn * PG, n * PG);
			if (pfn == 0 || pfn + n > M_PAGES) {
				ck_assert_int_eq(rc, -ERANGE);
				continue;
			}
			ok = m_free_run(m, pfn, n);
			ck_assert_msg(rc == (ok ? 0 : -EEXIST), "op %d: alloc_range "
				      "%" PRIu64 "+%" PRIu64 ": %d", op, pfn, n, rc);
			if (ok)
				m_take(m, pfn, n);
		} else if (r < 92 && m->nlive) {
			unsigned int id = (unsigned int)rnd_below(m->nlive);

			freed_pfn = m->live[id].pfn;
			freed_n = m->live[id].n;
			ck_assert_int_eq(liommu_iova_free(a, freed_pfn * PG, freed_n * PG), 0);
			m_drop(m, id);
		} else if (r < 99) {
			/* stray or double frees: must be refused, change nothing */
			switch (rnd_below(4)) {
			case 0:
				pfn = freed_pfn;
				n = freed_n;
				break;
			case 1:
				pfn = rnd_below(M_PAGES);
				n = 1ULL << rnd_below(5);
				break;
			case 2:
				if (!m->nlive)
					continue;
				pfn = m->live[rnd_below(m->nlive)].pfn;
				n = m->live[m->page[pfn] - 1].n * 2;
				break;
			default:
				if (!m->nlive)
					continue;
				pfn = m->live[rnd_below(m->nlive)].pfn + 1;
				n = 1;
				break;
			}
			if (!n || m_is_live(m, pfn, n))
				continue;
			rc = liommu_iova_free(a, pfn * PG, n * PG);
			ck_assert_msg(rc == -ENOENT || rc == -EINVAL || rc == -ERANGE,
				      "op %d: stray free %" PRIu64 "+%" PRIu64 " gave %d",
				      op, pfn, n, rc);
		} else {
			/* a small reservation */
			bool busy = false;
			uint64_t added = 0;

			pfn = rnd_below(M_PAGES);
			n = 1 + rnd_below(4);
			for (uint64_t i = pfn; i < pfn + n && i < M_PAGES; i++)
				busy |= m->page[i] > 0;
			rc = liommu_iova_reserve(a, pfn * PG, n * PG);
			ck_assert_int_eq(rc, busy ? -EBUSY : 0);
			if (busy)
				continue;
			for (uint64_t i = pfn; i < pfn + n && i < M_PAGES; i++) {
				if (!m->page[i]) {
					m->page[i] = -1;
					added++;
				}
			}
			m->reserved_pages += added;
		}

		if (op % 16 == 0) {
			struct liommu_iova_stats st = stats(a);

			ck_assert_uint_eq(st.allocated_bytes, m->live_pages * PG);
			ck_assert_uint_eq(st.reserved_bytes, m->reserved_pages * PG);
		}
		if (op % 256 == 0)
			check_ok(a);
	}
	check_ok(a);
	while (m->nlive) {
		ck_assert_int_eq(liommu_iova_free(a, m->live[0].pfn * PG, m->live[0].n * PG), 0);
		m_drop(m, 0);
	}
	ck_assert_uint_eq(stats(a).allocated_bytes, 0);
	liommu_iova_flush_caches(a);
	ck_assert_uint_eq(stats(a).cached_bytes, 0);
	check_ok(a);
	free(m);
	liommu_iova_destroy(a);
}
END_TEST

/* The tree stays AVL-balanced: height <= 1.44 log2(n + 2) after many
 * insertions and a fragmenting pattern of removals. */
START_TEST(tree_height_logarithmic)
{
	struct liommu_iova *a = mk(39, 0, LIOMMU_IOVA_NO_CACHE);
	enum { N = 100000 };
	static uint64_t x[N];
	struct liommu_iova_stats st;
	double bound;

	for (int i = 0; i < N; i++)
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x[i]), 0);
	for (int i = 0; i < N; i += 3)
		ck_assert_int_eq(liommu_iova_free(a, x[i], PG), 0);
	st = stats(a);
	bound = 1.4405 * log2((double)st.tree_nodes + 2) - 0.3277;
	ck_assert_msg(st.tree_height <= bound, "height %u for %" PRIu64 " nodes",
		      st.tree_height, st.tree_nodes);
	ck_assert_uint_ge(st.tree_height, (unsigned int)log2((double)st.tree_nodes));
	/* Every hole is one page: a 2-page request goes past all of them. */
	ck_assert_int_eq(liommu_iova_alloc(a, 2 * PG, &x[0]), 0);
	ck_assert_uint_gt(x[0], x[N - 2]);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Per-thread caches                                                   */
/* ------------------------------------------------------------------ */

/* After a warm-up, alloc+free pairs are served by the thread's magazine:
 * counted as hits, no tree operation, no allocator-wide lock. */
START_TEST(fast_path_takes_no_global_lock)
{
	static const uint64_t sizes[] = { 4 * KiB, 64 * KiB, 1 * MiB };
	struct liommu_iova *a = mk(48, 0, 0);

	for (int s = 0; s < 3; s++) {
		struct liommu_iova_stats before, after;
		uint64_t x;

		ck_assert_int_eq(liommu_iova_alloc(a, sizes[s], &x), 0);
		ck_assert_int_eq(liommu_iova_free(a, x, sizes[s]), 0);
		before = stats(a);
		for (int i = 0; i < 1000; i++) {
			ck_assert_int_eq(liommu_iova_alloc(a, sizes[s], &x), 0);
			ck_assert_int_eq(liommu_iova_free(a, x, sizes[s]), 0);
		}
		after = stats(a);
		ck_assert_uint_eq(after.cache_hits - before.cache_hits, 1000);
		ck_assert_uint_eq(after.cache_free_hits - before.cache_free_hits, 1000);
		ck_assert_uint_eq(after.cache_misses, before.cache_misses);
		ck_assert_uint_eq(after.lock_acquisitions, before.lock_acquisitions);
		ck_assert_uint_eq(after.tree_ops, before.tree_ops);
		ck_assert_uint_eq(after.thread_caches, 1);
	}
	/* Sizes beyond the caches take the tree, and its lock, each time. */
	{
		struct liommu_iova_stats before = stats(a), after;
		uint64_t x;

		ck_assert_int_eq(liommu_iova_alloc(a, 2 * MiB, &x), 0);
		ck_assert_int_eq(liommu_iova_free(a, x, 2 * MiB), 0);
		after = stats(a);
		ck_assert_uint_eq(after.tree_ops - before.tree_ops, 2);
		ck_assert_uint_ge(after.lock_acquisitions - before.lock_acquisitions, 2);
		ck_assert_uint_eq(after.cache_hits, before.cache_hits);
	}
	liommu_iova_destroy(a);
}
END_TEST

/* Magazines spill to the depot and come back from it. */
START_TEST(depot_exchanges)
{
	struct liommu_iova *a = mk(48, 0, 0);
	static uint64_t x[1000];
	struct liommu_iova_stats st;

	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x[i]), 0);
	/* 8 refills of a 128-page run; 24 pages of the last still cached */
	st = stats(a);
	ck_assert_uint_eq(st.cache_misses, 8);
	ck_assert_uint_eq(st.cache_hits, 1000 - 8);
	ck_assert_uint_eq(st.cached_bytes, 24 * PG);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(liommu_iova_free(a, x[i], PG), 0);
	st = stats(a);
	/* 2 x 127 stay in the thread, the rest went to the depot */
	ck_assert_uint_ge(st.depot_ops, (1000 - 2 * 127) / 127);
	ck_assert_uint_eq(st.cached_bytes, 1024 * PG);
	ck_assert_uint_eq(st.allocated_bytes, 0);
	check_ok(a);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x[i]), 0);
	st = stats(a);
	ck_assert_uint_eq(st.cache_misses, 8);		/* the first round only */
	ck_assert_uint_eq(st.cache_hits, 2000 - 8);
	ck_assert_uint_eq(st.cached_bytes, 24 * PG);
	check_ok(a);
	ck_assert_int_eq(liommu_iova_flush_caches(a), 24);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(liommu_iova_free(a, x[i], PG), 0);
	ck_assert_int_eq(liommu_iova_flush_caches(a), 1000);
	st = stats(a);
	ck_assert_uint_eq(st.cached_bytes, 0);
	ck_assert_uint_eq(st.tree_nodes, 2);	/* interrupt window + end */
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

struct worker {
	struct liommu_iova *a;
	int n;
	uint64_t size;
	int rc;
};

static void *fill_and_exit(void *p)
{
	struct worker *w = p;
	uint64_t *x = calloc((size_t)w->n, sizeof(*x));

	w->rc = x ? 0 : -ENOMEM;
	for (int i = 0; i < w->n && !w->rc; i++)
		w->rc = liommu_iova_alloc(w->a, w->size, &x[i]);
	for (int i = 0; i < w->n && !w->rc; i++)
		w->rc = liommu_iova_free(w->a, x[i], w->size);
	free(x);
	return NULL;
}

/* A thread that exits hands its magazines back: full ones to the depot,
 * the partial one to the tree; the next thread is served from the depot.
 * 300 allocations of 64 KiB take 38 runs of 8 (4 left over); 300 frees
 * leave one magazine in the depot, a full "previous" one and 50 IOVAs in
 * "loaded". */
START_TEST(thread_exit_returns_magazines)
{
	struct liommu_iova *a = mk(48, 0, 0);
	struct worker w = { .a = a, .n = 300, .size = 64 * KiB };
	struct liommu_iova_stats st;
	pthread_t t;

	pthread_create(&t, NULL, fill_and_exit, &w);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.rc, 0);
	st = stats(a);
	ck_assert_uint_eq(st.thread_caches, 0);
	ck_assert_uint_eq(st.allocated_bytes, 0);
	ck_assert_uint_eq(st.cached_bytes, 254 * 64 * KiB);
	ck_assert_uint_eq(st.depot_ops, 2);
	ck_assert_uint_eq(st.allocs, 300);
	ck_assert_uint_eq(st.frees, 300);
	ck_assert_uint_eq(st.cache_misses, 38);
	ck_assert_uint_eq(st.cache_hits, 262);
	check_ok(a);

	/* a second thread reuses them: the depot's magazines count as hits,
	 * the other 46 take 6 runs */
	pthread_create(&t, NULL, fill_and_exit, &w);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.rc, 0);
	st = stats(a);
	ck_assert_uint_eq(st.cache_misses, 38 + 6);
	ck_assert_uint_eq(st.cache_hits, 262 + 254 + 46 - 6);
	ck_assert_uint_eq(st.thread_caches, 0);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* A thread of the cache and run tests, driven by a barrier. */
struct run_thread {
	struct liommu_iova *a;
	pthread_barrier_t *bar;
	uint64_t size;
	int n;
	uint64_t iova[256];
	int rc;
};

#define OWN_N	381	/* three magazines */

static void *alloc_wait_free(void *p)
{
	struct run_thread *r = p;
	static uint64_t x[OWN_N];

	for (int i = 0; i < OWN_N && !r->rc; i++)
		r->rc = liommu_iova_alloc(r->a, PG, &x[i]);
	pthread_barrier_wait(r->bar);	/* main frees its own */
	pthread_barrier_wait(r->bar);
	for (int i = 0; i < OWN_N && !r->rc; i++)
		r->rc = liommu_iova_free(r->a, x[i], PG);
	return NULL;	/* exiting parks both full magazines too */
}

/*
 * A thread gets back the magazine it parked in the depot, though other
 * threads parked theirs on top: swapping magazines between threads that
 * free in bursts would mix their IOVAs (and the cache lines of their
 * state bytes and PTEs).  Main parks magazines of its IOVAs
 * (its 381 and the rest of its last run), the other thread parks three
 * on top; main's next 381 are all its own.
 */
START_TEST(depot_returns_own_magazine)
{
	struct liommu_iova *a = mk(48, 0, 0);
	struct run_thread other = { .a = a };
	static uint64_t mine[OWN_N], again[OWN_N];
	pthread_barrier_t bar;
	uint64_t parked;
	pthread_t t;

	other.bar = &bar;
	pthread_barrier_init(&bar, NULL, 2);
	for (int i = 0; i < OWN_N; i++)
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &mine[i]), 0);
	pthread_create(&t, NULL, alloc_wait_free, &other);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < OWN_N; i++)
		ck_assert_int_eq(liommu_iova_free(a, mine[i], PG), 0);
	parked = stats(a).depot_ops;
	ck_assert_uint_ge(parked, 1);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	ck_assert_int_eq(other.rc, 0);
	ck_assert_uint_ge(stats(a).depot_ops, parked + 3);
	for (int i = 0; i < OWN_N; i++) {
		bool own = false;

		ck_assert_int_eq(liommu_iova_alloc(a, PG, &again[i]), 0);
		/* the rest of main's last run was in its magazine */
		for (int j = 0; j < OWN_N && !own; j++)
			own = again[i] / (RUN_PAGES * PG) == mine[j] / (RUN_PAGES * PG);
		ck_assert_msg(own, "allocation %d: %#" PRIx64 " is the other thread's",
			      i, again[i]);
	}
	check_ok(a);
	pthread_barrier_destroy(&bar);
	liommu_iova_destroy(a);
}
END_TEST

static void *alloc_one(void *p)
{
	struct run_thread *r = p;

	r->rc = liommu_iova_alloc(r->a, PG, &r->iova[0]);
	return NULL;
}

/*
 * A live thread's lone magazine in the depot is left to it: it parked it
 * at the end of a burst of frees and takes it back in its next burst of
 * allocations.  A thread that has none of its own takes a run from the
 * tree instead.  (An exited thread's are anybody's at once, see
 * thread_exit_returns_magazines.)
 */
START_TEST(depot_leaves_live_lone_magazine)
{
	struct liommu_iova *a = mk(48, 0, 0);
	struct run_thread other = { .a = a };
	static uint64_t mine[256];
	struct liommu_iova_stats before, mid;
	pthread_t t;

	/* two whole runs; the frees park one magazine, 2 + 127 stay */
	for (int i = 0; i < 256; i++)
		ck_assert_int_eq(liommu_iova_alloc(a, PG, &mine[i]), 0);
	for (int i = 0; i < 256; i++)
		ck_assert_int_eq(liommu_iova_free(a, mine[i], PG), 0);
	before = stats(a);
	ck_assert_uint_eq(before.depot_ops, 1);
	pthread_create(&t, NULL, alloc_one, &other);
	pthread_join(t, NULL);
	ck_assert_int_eq(other.rc, 0);
	/* a miss, not a depot hit (its exit then parked its full magazine) */
	mid = stats(a);
	ck_assert_uint_eq(mid.cache_misses, before.cache_misses + 1);
	ck_assert_uint_eq(mid.cache_hits, before.cache_hits);
	for (int j = 0; j < 256; j++)
		ck_assert_uint_ne(other.iova[0] / (RUN_PAGES * PG), mine[j] / (RUN_PAGES * PG));
	/* all 256 come back to main, the depot's one included */
	for (int i = 0; i < 256; i++) {
		uint64_t x;
		bool own = false;

		ck_assert_int_eq(liommu_iova_alloc(a, PG, &x), 0);
		for (int j = 0; j < 256 && !own; j++)
			own = x == mine[j];
		ck_assert_msg(own, "allocation %d: %#" PRIx64 " is not main's", i, x);
	}
	ck_assert_uint_eq(stats(a).depot_ops, mid.depot_ops + 1);
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

struct outlive {
	struct liommu_iova *a, *b;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int phase;
	int rc;
};

static void outlive_wait(struct outlive *o, int phase)
{
	pthread_mutex_lock(&o->lock);
	while (o->phase < phase)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void outlive_set(struct outlive *o, int phase)
{
	pthread_mutex_lock(&o->lock);
	o->phase = phase;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

static void *outlive_thread(void *p)
{
	struct outlive *o = p;
	uint64_t x;

	o->rc = liommu_iova_alloc(o->a, PG, &x) ?: liommu_iova_free(o->a, x, PG);
	outlive_set(o, 1);
	outlive_wait(o, 2);	/* main destroys a, creates b */
	for (int i = 0; i < 10 && !o->rc; i++)
		o->rc = liommu_iova_alloc(o->b, PG, &x) ?: liommu_iova_free(o->b, x, PG);
	return NULL;	/* the exit destructor must not touch a's cache */
}

/* An allocator destroyed while a thread still holds a cache slot for it:
 * the slot is stale, recognised by its id, never dereferenced (ASan
 * would report a use after free). */
START_TEST(destroyed_allocator_cache_never_touched)
{
	struct outlive o = { .phase = 0 };
	pthread_t t;

	pthread_mutex_init(&o.lock, NULL);
	pthread_cond_init(&o.cond, NULL);
	o.a = mk(39, 0, 0);
	pthread_create(&t, NULL, outlive_thread, &o);
	outlive_wait(&o, 1);
	ck_assert_uint_eq(stats(o.a).thread_caches, 1);
	liommu_iova_destroy(o.a);
	o.b = mk(39, 0, 0);	/* quite possibly at the same address */
	outlive_set(&o, 2);
	pthread_join(t, NULL);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_uint_eq(stats(o.b).thread_caches, 0);
	ck_assert_uint_eq(stats(o.b).allocated_bytes, 0);
	check_ok(o.b);
	/* the rest of its run went to the depot (a full magazine) */
	ck_assert_int_eq(liommu_iova_flush_caches(o.b), (int)(RUN_PAGES - 1));
	ck_assert_uint_eq(stats(o.b).tree_nodes, 2);
	check_ok(o.b);
	liommu_iova_destroy(o.b);
	pthread_cond_destroy(&o.cond);
	pthread_mutex_destroy(&o.lock);
}
END_TEST

/* More allocators than a thread has cache slots: the least recently
 * used cache is handed back, and every allocator stays consistent. */
START_TEST(cache_slot_eviction)
{
	enum { NA = 12 };
	struct liommu_iova *a[NA];
	uint64_t x;

	for (int i = 0; i < NA; i++)
		a[i] = mk(39, 0, 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < NA; i++) {
			ck_assert_int_eq(liommu_iova_alloc(a[i], PG, &x), 0);
			ck_assert_int_eq(liommu_iova_free(a[i], x, PG), 0);
		}
	}
	for (int i = 0; i < NA; i++) {
		struct liommu_iova_stats st = stats(a[i]);

		ck_assert_uint_le(st.thread_caches, 1);
		ck_assert_uint_eq(st.allocs, 3);
		ck_assert_uint_eq(st.allocated_bytes, 0);
		/* one run, or nothing once evicted */
		ck_assert_uint_le(st.cached_bytes, RUN_PAGES * PG);
		check_ok(a[i]);
	}
	for (int i = 0; i < NA; i++)
		liommu_iova_destroy(a[i]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Runs: a miss takes 128 aligned pages at once                        */
/* ------------------------------------------------------------------ */

/* Configurations with caches (runs are a cache refill). */
static const unsigned int run_flags[] = { 0, LIOMMU_IOVA_TOP_DOWN };

/*
 * A miss of a class below 512 KiB takes one naturally aligned run of 128
 * pages: the thread then gets the whole run, ascending, with one miss,
 * one tree-lock acquisition and one tree insertion per IOVA; the next
 * miss takes the next run.  The first run is the lowest (page 0 is not
 * in the space, so pages 128..255) or, top-down, the highest.
 */
START_TEST(run_refill_contiguous_aligned)
{
	unsigned int flags = run_flags[_i];

	for (int c = 0; c <= 8; c++) {
		struct liommu_iova *a = mk(39, 0, flags);
		uint64_t size = PG << c, count = c < RUN_ORDER ? RUN_PAGES >> c : 1;
		uint64_t run = c < RUN_ORDER ? RUN_PAGES * PG : size, first, x;
		struct liommu_iova_stats before = stats(a), st;

		ck_assert_int_eq(liommu_iova_alloc(a, size, &first), 0);
		ck_assert_uint_eq(first % run, 0);
		ck_assert_uint_eq(first, flags & LIOMMU_IOVA_TOP_DOWN ?
					 (1ULL << 39) - run : run);
		st = stats(a);
		ck_assert_uint_eq(st.cache_misses, 1);
		ck_assert_uint_eq(st.cache_hits, 0);
		ck_assert_uint_eq(st.allocated_bytes, size);
		ck_assert_uint_eq(st.cached_bytes, run - size);
		ck_assert_uint_eq(st.tree_ops - before.tree_ops, count);
		ck_assert_uint_eq(st.tree_nodes - before.tree_nodes, count);
		/* the depot (empty), then the tree once; and the cache list
		 * when this thread attached its cache */
		ck_assert_uint_eq(st.lock_acquisitions - before.lock_acquisitions, 2 +
				  (st.thread_caches - before.thread_caches));
		check_ok(a);
		for (uint64_t i = 1; i < count; i++) {
			ck_assert_int_eq(liommu_iova_alloc(a, size, &x), 0);
			ck_assert_uint_eq(x, first + i * size);
		}
		st = stats(a);
		ck_assert_uint_eq(st.cache_misses, 1);
		ck_assert_uint_eq(st.cache_hits, count - 1);
		ck_assert_uint_eq(st.cached_bytes, 0);
		ck_assert_uint_eq(st.allocated_bytes, run);
		/* the next miss: the next run, disjoint */
		ck_assert_int_eq(liommu_iova_alloc(a, size, &x), 0);
		ck_assert_uint_eq(x % run, 0);
		ck_assert(!overlaps(x, run, first, run));
		ck_assert_uint_eq(stats(a).cache_misses, 2);
		check_ok(a);
		liommu_iova_destroy(a);
	}
}
END_TEST

/* One allocation per barrier round, so the threads miss together. */
static void *run_lockstep(void *p)
{
	struct run_thread *r = p;

	for (int i = 0; i < r->n; i++) {
		pthread_barrier_wait(r->bar);
		if (!r->rc)
			r->rc = liommu_iova_alloc(r->a, r->size, &r->iova[i]);
	}
	return NULL;
}

/*
 * Two threads that miss at the same moments get disjoint runs: no
 * run (two lines of state bytes, sixteen of leaf PTEs) holds IOVAs
 * of both.  Taking one IOVA per miss interleaved them page by page.
 */
START_TEST(concurrent_misses_get_private_runs)
{
	static const uint64_t sizes[] = { 4 * KiB, 16 * KiB, 128 * KiB };

	for (unsigned int s = 0; s < 3; s++) {
		struct liommu_iova *a = mk(39, 0, run_flags[_i]);
		struct run_thread *r = calloc(2, sizeof(*r));
		pthread_barrier_t bar;
		pthread_t t[2];

		ck_assert_ptr_nonnull(r);
		pthread_barrier_init(&bar, NULL, 2);
		for (int k = 0; k < 2; k++) {
			r[k] = (struct run_thread){ .a = a, .bar = &bar, .size = sizes[s],
						    .n = 256 };
			pthread_create(&t[k], NULL, run_lockstep, &r[k]);
		}
		for (int k = 0; k < 2; k++) {
			pthread_join(t[k], NULL);
			ck_assert_int_eq(r[k].rc, 0);
		}
		for (int i = 0; i < 256; i++) {
			for (int j = 0; j < 256; j++) {
				uint64_t l0 = r[0].iova[i] / (RUN_PAGES * PG);
				uint64_t l1 = r[1].iova[j] / (RUN_PAGES * PG);

				ck_assert_msg(l0 != l1, "%#" PRIx64 " and %#" PRIx64
					      " share a run", r[0].iova[i], r[1].iova[j]);
			}
		}
		/* each run was consumed whole and in ascending order */
		for (int k = 0; k < 2; k++)
			for (int i = 1; i < 256; i++)
				if (r[k].iova[i] % (RUN_PAGES * PG))
					ck_assert_uint_eq(r[k].iova[i], r[k].iova[i - 1] + sizes[s]);
		ck_assert_uint_eq(stats(a).cache_misses, 2 * 256 * sizes[s] / (RUN_PAGES * PG));
		check_ok(a);
		pthread_barrier_destroy(&bar);
		free(r);
		liommu_iova_destroy(a);
	}
}
END_TEST

static void *hold_one(void *p)
{
	struct run_thread *r = p;

	r->rc = liommu_iova_alloc(r->a, r->size, &r->iova[0]);
	pthread_barrier_wait(r->bar);	/* main allocates everything */
	pthread_barrier_wait(r->bar);	/* main has checked */
	return NULL;
}

/*
 * Spaces too small for runs, or for many: every IOVA is still handed
 * out.  Widths 16 and 19 (15 and 127 pages) hold no run; width 20 (255
 * pages) holds one run and 127 single pages below it.  Another thread's cached run does
 * not make the space run dry either: the allocation that finds nothing
 * flushes it back.
 */
START_TEST(small_space_hands_out_everything)
{
	static const unsigned int widths[] = { 16, 19, 20 };

	for (unsigned int w = 0; w < 3; w++) {
		for (int c = 0; c <= 2; c++) {
			uint64_t size = PG << c, pages = (1ULL << widths[w]) / PG;
			uint64_t expect = pages / (1ULL << c) - 1;	/* page 0 */
			struct run_thread other = { .size = size };
			struct liommu_iova *a = mk(widths[w], 0, run_flags[_i]);
			static uint8_t seen[1 << 8];
			pthread_barrier_t bar;
			uint64_t x, n = 0;
			pthread_t t;

			other.a = a;
			other.bar = &bar;
			pthread_barrier_init(&bar, NULL, 2);
			pthread_create(&t, NULL, hold_one, &other);
			pthread_barrier_wait(&bar);
			ck_assert_int_eq(other.rc, 0);
			memset(seen, 0, sizeof(seen));
			seen[other.iova[0] / PG] = 1;
			while (liommu_iova_alloc(a, size, &x) == 0) {
				ck_assert_uint_eq(x % size, 0);
				ck_assert_msg(!seen[x / PG], "%#" PRIx64 " handed out twice", x);
				seen[x / PG] = 1;
				n++;
			}
			/* everything but the other thread's live one */
			ck_assert_uint_eq(n, expect - 1);
			ck_assert_uint_eq(stats(a).allocated_bytes, expect * size);
			ck_assert_uint_eq(stats(a).cached_bytes, 0);
			if (widths[w] > 16)
				ck_assert_uint_gt(stats(a).cache_flushes, 0);
			check_ok(a);
			pthread_barrier_wait(&bar);
			pthread_join(t, NULL);
			pthread_barrier_destroy(&bar);
			liommu_iova_destroy(a);
		}
	}
}
END_TEST

/*
 * Runs next to reserved ranges: a space of 4864 pages just below 4 GiB
 * with the interrupt window inside and one more page reserved, filled
 * page by page.  No IOVA meets a reserved range, the run holding the odd
 * page comes as single misses, so does everything once half the space
 * is used, and the counters are exact: one miss per run or single page,
 * one tree insertion per IOVA.
 */
START_TEST(runs_respect_reserved_ranges)
{
	uint64_t base = INTR_FIRST - MiB, odd = base + 100 * PG, x, n = 0;
	uint64_t total = (4 * GiB - base) / PG - (INTR_END - INTR_FIRST) / PG - 1;
	uint64_t space = (4 * GiB - base) / PG, used = space - total, runs = 0;
	struct liommu_iova *a = mk(32, base, run_flags[_i]);
	struct liommu_iova_stats before, st;

	/* Runs while half the space stays free (the other 127 of the first
	 * run's pages come one by one, whenever they are the lowest). */
	while (runs < (total - (RUN_PAGES - 1)) / RUN_PAGES &&
	       used + RUN_PAGES + space / 2 <= space) {
		used += RUN_PAGES;
		runs++;
	}
	ck_assert_uint_gt(runs, 1);

	ck_assert_int_eq(liommu_iova_reserve(a, odd, PG), 0);
	before = stats(a);
	while (liommu_iova_alloc(a, PG, &x) == 0) {
		ck_assert_msg(!overlaps(x, PG, INTR_FIRST, INTR_END - INTR_FIRST) && x != odd,
			      "%#" PRIx64 " is reserved", x);
		n++;
	}
	ck_assert_uint_eq(n, total);
	st = stats(a);
	ck_assert_uint_eq(st.allocs, total);
	ck_assert_uint_eq(st.cache_misses, runs + (total - runs * RUN_PAGES));
	ck_assert_uint_eq(st.cache_hits, total - st.cache_misses);
	ck_assert_uint_eq(st.tree_ops - before.tree_ops, total);
	ck_assert_uint_eq(st.allocated_bytes, total * PG);
	ck_assert_uint_eq(st.cached_bytes, 0);
	check_ok(a);
	for (x = base; x < 4 * GiB; x += PG)
		if (x != odd && (x < INTR_FIRST || x >= INTR_END))
			ck_assert_int_eq(liommu_iova_free(a, x, PG), 0);
	/* the depot overflowed; what it could not hold went to the tree */
	st = stats(a);
	ck_assert_uint_eq(st.allocated_bytes, 0);
	ck_assert_uint_le(st.cached_bytes, total * PG);
	check_ok(a);
	ck_assert_int_eq(liommu_iova_flush_caches(a), (int)(st.cached_bytes / PG));
	ck_assert_uint_eq(stats(a).tree_nodes, 3);	/* two reserved + end */
	check_ok(a);
	liommu_iova_destroy(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Multi-threaded stress                                               */
/* ------------------------------------------------------------------ */

/*
 * Configurations: a roomy 4 GiB space (the interrupt window inside), a
 * tight 64 MiB one where the threads' live sets and caches exceed the
 * space (so allocations keep flushing every thread's cache while the
 * owners run), and producers/consumers (two threads allocate, two free
 * what the others allocated, so magazines travel through the depot).
 * The last two repeat the first two with the fallback handshake (no
 * membarrier), which kernels without the command get.
 */
static const struct {
	unsigned int width;
	bool producer_consumer;
	bool no_membarrier;
} stress_cfg[] = {
	{ 32, false, false },
	{ 26, false, false },
	{ 32, true, false },
	{ 32, false, true },
	{ 26, false, true },
};

#define S_MAX_PAGES	(1ULL << (32 - 12))
#define S_THREADS	4
#define S_LIVE		64
#define S_BOX		256

enum role { MIXED, PRODUCER, CONSUMER };

struct stress {
	struct liommu_iova *a;
	uint64_t limit;
	_Atomic uint64_t *owned;	/* one bit per page: live somewhere */
	_Atomic int overlap;
	_Atomic int errors;
	_Atomic uint64_t enospc;
	_Atomic int producers_left;
	/* handoff: allocations passed to another thread to free */
	pthread_mutex_t lock;
	struct { uint64_t iova, size; } box[S_BOX];
	unsigned int nbox;
	int ops;
};

struct stress_arg {
	struct stress *s;
	enum role role;
	uint64_t seed;
};

static void mark(struct stress *s, uint64_t iova, uint64_t size, bool set)
{
	for (uint64_t p = iova / PG; p < (iova + size) / PG; p++) {
		uint64_t bit = 1ULL << (p % 64), old;

		if (set) {
			old = atomic_fetch_or(&s->owned[p / 64], bit);
			if (old & bit)
				atomic_store(&s->overlap, 1);
		} else {
			old = atomic_fetch_and(&s->owned[p / 64], ~bit);
			if (!(old & bit))
				atomic_store(&s->overlap, 1);
		}
	}
}

static bool box_put(struct stress *s, uint64_t iova, uint64_t size)
{
	bool ok = false;

	pthread_mutex_lock(&s->lock);
	if (s->nbox < S_BOX) {
		s->box[s->nbox].iova = iova;
		s->box[s->nbox].size = size;
		s->nbox++;
		ok = true;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static bool box_take(struct stress *s, uint64_t *iova, uint64_t *size)
{
	bool ok = false;

	pthread_mutex_lock(&s->lock);
	if (s->nbox) {
		s->nbox--;
		*iova = s->box[s->nbox].iova;
		*size = s->box[s->nbox].size;
		ok = true;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void stress_free(struct stress *s, uint64_t iova, uint64_t size)
{
	if (liommu_iova_free(s->a, iova, size))
		atomic_fetch_add(&s->errors, 1);
}

static void *stress_thread(void *p)
{
	struct stress_arg *arg = p;
	struct stress *s = arg->s;
	struct { uint64_t iova, size; } live[S_LIVE];
	uint64_t r = arg->seed | 1;
	int n = 0;

	for (int op = 0; op < s->ops || arg->role == CONSUMER; op++) {
		uint64_t size, iova;
		int rc;

		r ^= r >> 12;
		r ^= r << 25;
		r ^= r >> 27;
		if (arg->role == CONSUMER) {
			if (box_take(s, &iova, &size)) {
				mark(s, iova, size, false);
				stress_free(s, iova, size);
			} else if (!atomic_load(&s->producers_left)) {
				break;
			} else {
				sched_yield();
			}
			continue;
		}
		if (arg->role == PRODUCER || (n < S_LIVE && (n == 0 || (r >> 40) % 2))) {
			switch ((r >> 8) % 16) {
			case 0:
				size = (3 + (r >> 20) % 30) * PG;	/* exact, non-pow2 */
				break;
			case 1:
				size = 2 * MiB;				/* uncached pow2 */
				break;
			default:
				size = PG << ((r >> 24) % 9);		/* 4 KiB .. 1 MiB */
				break;
			}
			rc = liommu_iova_alloc(s->a, size, &iova);
			if (rc == -ENOSPC) {
				atomic_fetch_add(&s->enospc, 1);
				continue;
			}
			if (rc || iova % PG || iova + size > s->limit || iova < PG ||
			    ((size & (size - 1)) == 0 && iova % size)) {
				atomic_fetch_add(&s->errors, 1);
				continue;
			}
			mark(s, iova, size, true);
			if (arg->role == PRODUCER) {
				while (!box_put(s, iova, size))
					sched_yield();
				continue;
			}
			live[n].iova = iova;
			live[n].size = size;
			n++;
		} else {
			int k = (int)((r >> 16) % (uint64_t)n);

			iova = live[k].iova;
			size = live[k].size;
			live[k] = live[--n];
			/* now and then let another thread free it */
			if ((r >> 32) % 8 == 0 && box_put(s, iova, size))
				continue;
			mark(s, iova, size, false);
			stress_free(s, iova, size);
			/* and free one somebody else boxed */
			if (box_take(s, &iova, &size)) {
				mark(s, iova, size, false);
				stress_free(s, iova, size);
			}
		}
	}
	while (n) {
		n--;
		mark(s, live[n].iova, live[n].size, false);
		stress_free(s, live[n].iova, live[n].size);
	}
	if (arg->role == PRODUCER)
		atomic_fetch_sub(&s->producers_left, 1);
	return NULL;
}

START_TEST(threads_stress_no_overlap)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct stress_arg arg[S_THREADS];
	pthread_t t[S_THREADS];
	struct liommu_iova_stats st;
	const char *env = getenv("LIOMMU_IOVA_STRESS_OPS");
	uint64_t seed = test_seed();
	uint64_t iova, size;

	ck_assert_ptr_nonnull(s);
	if (stress_cfg[_i].no_membarrier)
		ck_assert(!liommu__iova_use_membarrier(false));
	s->owned = calloc(S_MAX_PAGES / 64, sizeof(*s->owned));
	ck_assert_ptr_nonnull(s->owned);
	s->a = mk(stress_cfg[_i].width, 0, 0);
	s->limit = 1ULL << stress_cfg[_i].width;
	s->ops = env ? atoi(env) : 100000;
	pthread_mutex_init(&s->lock, NULL);
	/* the interrupt window counts as owned: an allocation there is an
	 * overlap */
	if (s->limit > INTR_END)
		mark(s, INTR_FIRST, INTR_END - INTR_FIRST, true);
	for (int i = 0; i < S_THREADS; i++) {
		arg[i].s = s;
		arg[i].seed = seed * (uint64_t)(2 * i + 1);
		arg[i].role = !stress_cfg[_i].producer_consumer ? MIXED :
			      i < S_THREADS / 2 ? PRODUCER : CONSUMER;
		if (arg[i].role == PRODUCER)
			atomic_fetch_add(&s->producers_left, 1);
	}
	for (int i = 0; i < S_THREADS; i++)
		pthread_create(&t[i], NULL, stress_thread, &arg[i]);
	for (int i = 0; i < S_THREADS; i++)
		pthread_join(t[i], NULL);
	/* every worker's cache went back on exit */
	ck_assert_uint_eq(stats(s->a).thread_caches, 0);
	while (box_take(s, &iova, &size)) {
		mark(s, iova, size, false);
		ck_assert_int_eq(liommu_iova_free(s->a, iova, size), 0);
	}
	ck_assert_int_eq(atomic_load(&s->overlap), 0);
	ck_assert_int_eq(atomic_load(&s->errors), 0);
	st = stats(s->a);
	fprintf(stderr, "check-iova: stress width %u%s%s, %d x %d ops: hits %" PRIu64
		" misses %" PRIu64 " depot %" PRIu64 " flushes %" PRIu64 " locks %" PRIu64
		" enospc %" PRIu64 "\n", stress_cfg[_i].width,
		stress_cfg[_i].producer_consumer ? " producer/consumer" : "",
		stress_cfg[_i].no_membarrier ? " no-membarrier" : "",
		S_THREADS, s->ops, st.cache_hits, st.cache_misses, st.depot_ops,
		st.cache_flushes, st.lock_acquisitions, atomic_load(&s->enospc));
	ck_assert_uint_eq(st.allocated_bytes, 0);
	ck_assert_uint_le(st.thread_caches, 1);	/* main freed the boxed ones */
	ck_assert_uint_eq(st.allocs, st.frees);
	ck_assert_uint_gt(st.cache_hits, 0);
	if (stress_cfg[_i].producer_consumer)
		ck_assert_uint_gt(st.depot_ops, 0);
	if (stress_cfg[_i].width < 32)
		ck_assert_uint_gt(st.cache_flushes, 0);
	check_ok(s->a);
	liommu_iova_flush_caches(s->a);
	st = stats(s->a);
	ck_assert_uint_eq(st.cached_bytes, 0);
	ck_assert_uint_eq(st.tree_nodes, s->limit > INTR_END ? 2 : 1);
	check_ok(s->a);
	liommu_iova_destroy(s->a);
	liommu__iova_use_membarrier(true);
	pthread_mutex_destroy(&s->lock);
	free(s->owned);
	free(s);
}
END_TEST

Suite *iova_suite(void);

Suite *iova_suite(void)
{
	Suite *s = suite_create("iova");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, new_rejects_bad_config);
	tcase_add_loop_test(tc, bad_arguments_rejected, 0, NCFG);
	suite_add_tcase(s, tc);

	tc = tcase_create("placement");
	tcase_add_loop_test(tc, pow2_sizes_naturally_aligned, 0, NCFG);
	tcase_add_test(tc, non_pow2_sizes_exact);
	tcase_add_loop_test(tc, exact_ranges, 0, NCFG);
	tcase_add_loop_test(tc, width_limits, 0, 6);
	tcase_add_loop_test(tc, extreme_widths, 0, NCFG);
	suite_add_tcase(s, tc);

	tc = tcase_create("exhaustion");
	tcase_add_loop_test(tc, exhaustion_and_recovery, 0, NCFG);
	tcase_add_test(tc, exhaustion_crosses_size_classes);
	suite_add_tcase(s, tc);

	tc = tcase_create("reserved");
	tcase_add_loop_test(tc, interrupt_window_never_returned, 0, NCFG);
	tcase_add_loop_test(tc, no_allocation_straddles_window, 0, NCFG);
	tcase_add_loop_test(tc, reserve_api, 0, NCFG);
	suite_add_tcase(s, tc);

	tc = tcase_create("validation");
	tcase_add_loop_test(tc, double_and_bogus_free_rejected, 0, NCFG);
	tcase_add_loop_test(tc, racing_double_free_one_wins, 0, NCFG);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_loop_test(tc, model_random, 0, NCFG);
	tcase_add_test(tc, tree_height_logarithmic);
	suite_add_tcase(s, tc);

	tc = tcase_create("caches");
	tcase_add_test(tc, fast_path_takes_no_global_lock);
	tcase_add_test(tc, depot_exchanges);
	tcase_add_test(tc, thread_exit_returns_magazines);
	tcase_add_test(tc, destroyed_allocator_cache_never_touched);
	tcase_add_test(tc, cache_slot_eviction);
	tcase_add_test(tc, depot_returns_own_magazine);
	tcase_add_test(tc, depot_leaves_live_lone_magazine);
	suite_add_tcase(s, tc);

	tc = tcase_create("runs");
	tcase_add_loop_test(tc, run_refill_contiguous_aligned, 0, 2);
	tcase_add_loop_test(tc, concurrent_misses_get_private_runs, 0, 2);
	tcase_add_loop_test(tc, small_space_hands_out_everything, 0, 2);
	tcase_add_loop_test(tc, runs_respect_reserved_ranges, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_loop_test(tc, threads_stress_no_overlap, 0,
			    (int)(sizeof(stress_cfg) / sizeof(stress_cfg[0])));
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);

	return s;
}
