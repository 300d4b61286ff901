/* SPDX-License-Identifier: MIT */
/*
 * bench-stats.h - the clock, the min/median/max summary and the machine
 * header every bench uses.
 *
 * This machine is shared, so a bench repeats each measurement and reports
 * the minimum (the least disturbed run), the median (the typical one) and
 * the maximum (how disturbed the worst was); one definition keeps every
 * bench's figures comparable.
 *
 * A figure means little without the CPU it was taken on: the same code
 * of bench-iova gave a floor of 17.7 ns on one CPU that reads "AMD EPYC"
 * and 8.8 ns on another (docs/performance.md, "bench-iova on AMD EPYC
 * (2026-12-07)").  Hypervisors report a generic model name, so
 * bench_print_machine() adds the family, model and stepping, the online
 * CPUs, the load average, and costs measured on the spot: the core clock
 * (a chain of dependent adds, one cycle each on every x86 core; a VM
 * cannot read the host's frequency), an uncontended locked add (the
 * floors and the allocators pay it) and one read of the bench clock.
 * Every bench prints it first.
 */
#ifndef LIOMMU_BENCH_STATS_H
#define LIOMMU_BENCH_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	double min, median, max;
};

/* Sorts @v (n >= 1 repetitions) in place; the median of an even count
 * is the upper of the two middle values. */
static inline struct summary summarize(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return (struct summary){ v[0], v[n / 2], v[n - 1] };
}

/* ------------------------------------------------------------------ */
/* The machine a run was taken on                                      */
/* ------------------------------------------------------------------ */

/* Calibration: the best of BENCH_CAL_RUNS short runs, each short enough
 * (about 1 ms) that most escape preemption on a loaded machine. */
#define BENCH_CAL_ITERS	200000
#define BENCH_CAL_RUNS	15

/* The value of /proc/cpuinfo's first "@key" line into @out ("?" if none). */
static inline void bench_cpuinfo(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t klen = strlen(key);
	char line[512];

	snprintf(out, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (line[0] == '\n')
			break;	/* only the first processor */
		/* "model" must not match "model name": only blanks to ':' */
		if (!v || strncmp(line, key, klen) ||
		    line + klen + strspn(line + klen, " \t") != v)
			continue;
		v++;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

/* ns per dependent add, 0 where not measured. */
static inline double bench_ns_per_cycle(void)
{
#if defined(__x86_64__)
	double best = 0;

	for (int r = 0; r < BENCH_CAL_RUNS; r++) {
		uint64_t x = 1;
		double t0 = now_ns(), t;

		for (int i = 0; i < BENCH_CAL_ITERS; i++)
			__asm__ volatile("add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\t"
					 "add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0"
					 : "+r"(x));
		t = (now_ns() - t0) / (8.0 * BENCH_CAL_ITERS);
		if (!best || t < best)
			best = t;
	}
	return best;
#else
	return 0;
#endif
}

/* ns per uncontended atomic add on a private line (a LOCK ADD on x86),
 * each one ordered after the last. */
static inline double bench_ns_per_locked_add(void)
{
	static _Alignas(64) _Atomic uint64_t word;
	double best = 0;

	for (int r = 0; r < BENCH_CAL_RUNS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < BENCH_CAL_ITERS; i++)
			atomic_fetch_add_explicit(&word, 1, memory_order_seq_cst);
		t = (now_ns() - t0) / BENCH_CAL_ITERS;
		if (!best || t < best)
			best = t;
	}
	return best;
}

static inline double bench_ns_per_clock_read(void)
{
	double best = 0, sink = 0;

	for (int r = 0; r < BENCH_CAL_RUNS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < BENCH_CAL_ITERS / 20; i++)
			sink += now_ns();
		t = (now_ns() - t0) / (BENCH_CAL_ITERS / 20);
		if (sink > 0 && (!best || t < best))
			best = t;
	}
	return best;
}

static inline void bench_print_load(const char *when)
{
	double la[3];

	if (getloadavg(la, 3) == 3)
		printf("load average %.2f %.2f %.2f %s\n", la[0], la[1], la[2], when);
	else
		printf("load average unknown %s\n", when);
}

/*
 * Two lines that say where the figures below come from, e.g.
 *   machine: AMD EPYC (family 26 model 2 stepping 1), 2 of 2 CPUs online
 *   cpu: core clock 3.32 GHz (dependent adds), locked add 6.0 ns = 20 cycles,
 *   clock read 27 ns; load average 0.16 0.74 0.49 at start
 * About 30 ms, taken before the first measurement.
 */
static inline void bench_print_machine(void)
{
	char name[128], fam[16], model[16], step[16];
	double cyc = bench_ns_per_cycle(), lk = bench_ns_per_locked_add();
	double rd = bench_ns_per_clock_read();

	bench_cpuinfo("model name", name, sizeof(name));
	bench_cpuinfo("cpu family", fam, sizeof(fam));
	bench_cpuinfo("model", model, sizeof(model));
	bench_cpuinfo("stepping", step, sizeof(step));
	printf("machine: %s (family %s model %s stepping %s), %ld of %ld CPUs online\n", name,
	       fam, model, step, sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
	if (cyc > 0)
		printf("cpu: core clock %.2f GHz (dependent adds), locked add %.1f ns = %.0f cycles,"
		       " clock read %.0f ns; ", 1 / cyc, lk, lk / cyc, rd);
	else
		printf("cpu: locked add %.1f ns, clock read %.0f ns; ", lk, rd);
	bench_print_load("at start");
}

#endif /* LIOMMU_BENCH_STATS_H */
