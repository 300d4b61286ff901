/* SPDX-License-Identifier: MIT */
/*
 * bench-stats.h - the clock and the min/median summary every bench uses.
 *
 * This machine is shared, so a bench repeats each measurement and reports
 * the minimum (the least disturbed run) and the median (the typical one);
 * one definition keeps every bench's figures comparable.
 */
#ifndef LIOMMU_BENCH_STATS_H
#define LIOMMU_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, as a double for per-op division. */
static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double min, median;
};

/* Sorts @v (n >= 1 repetitions) in place. */
static inline struct summary summarize(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return (struct summary){ v[0], v[n / 2] };
}

#endif /* LIOMMU_BENCH_STATS_H */
