// SPDX-License-Identifier: MIT
/*
 * bench-iova.c - cost of the IOVA allocator's fast path, next to a floor
 * measured in the same run.
 *
 * For 4 KiB, 64 KiB and 1 MiB it times alloc+free pairs on one thread
 * (after a warm-up, so every pair is served by the thread's magazine),
 * and the same loop on two threads at once against one allocator.  The
 * floor is a bump allocator with the same bookkeeping shape: an atomic
 * increment of a shared counter to allocate, a state byte set, claimed
 * back by compare-and-swap on free, and an atomic decrement; it is what
 * any thread-safe allocator that validates frees must at least do: three
 * locked instructions per pair, so on a given CPU it costs about three
 * times the "locked add" of the header line.  A second, "plain" floor
 * does the same with plain loads and stores on a thread-private counter
 * (no thread safety at all; see struct plain_floor for why its accesses
 * are spelled as relaxed atomics).  The allocator's fast path makes one
 * locked instruction per pair (the free's state claim) but runs about
 * 300 instructions, so its ratio to the floor moves with the CPU: below
 * 1 where locked instructions are dear, well above where they are cheap
 * (docs/performance.md, "bench-iova on AMD EPYC (2026-12-07)").  Every
 * figure is the minimum, median and maximum over --reps repetitions,
 * because this machine is shared and absolute times drift; the output
 * opens with the CPU, its measured clock and locked-add cost and the load
 * average (bench-stats.h), and ends with the load average.
 *
 * A last table times 4 KiB allocations freed in bursts of 256, DEFERRED's
 * pattern (its flush queue frees 256 IOVAs at once), on a fresh
 * allocator per run with the threads started unsynchronised, as
 * bench-dma's are: every miss then searches the tree while the other
 * thread's does, and a burst overflows the thread's two magazines into
 * the depot.  Its two-thread speedup shows whether the threads end up
 * sharing cache lines of state bytes (they did before misses took
 * 64-page runs and the depot returned a thread's own magazines).
 *
 * It also reads the allocator's lock_acquisitions counter around the
 * timed loops (after the warm-ups) and prints it per pair: the fast path
 * must take no allocator-wide lock (0 per pair).  The "no-memb" column is
 * the allocator with its fallback handshake (one atomic exchange per
 * call), which kernels without membarrier(2) get; the bench links the
 * static archive to select it through a test hook.
 *
 *   bench-iova [--iters N] [--reps R]
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/iova.h>

#include "bench-stats.h"

#include "../libiommu/iova/iova-internal.h"

#define MAX_REPS	101
#define BURST		256	/* DEFERRED's default flush-queue batch */

static uint64_t iters = 2000000;
static int reps = 7;

/* ------------------------------------------------------------------ */
/* Floors                                                              */
/* ------------------------------------------------------------------ */

/*
 * The bump counter is shared by all threads (that is the allocator);
 * state bytes and the op counter are per thread, as the allocator's are
 * in practice.  With two threads the counter no longer returns to the
 * same value, so the state slot is keyed by the thread's own sequence.
 */
#define FLOOR_SLOTS 4096
static _Atomic uint64_t floor_bump = 1ULL << 20;

struct atomic_floor {
	_Atomic uint8_t state[FLOOR_SLOTS];
	_Atomic uint64_t ops;
};

__attribute__((noinline)) static int floor_alloc(struct atomic_floor *f, uint64_t size,
						 uint64_t *iova)
{
	uint64_t v;

	if (!size || size & 4095)
		return -EINVAL;
	v = atomic_fetch_add_explicit(&floor_bump, size, memory_order_relaxed);
	atomic_store_explicit(&f->state[(v >> 12) % FLOOR_SLOTS], 1, memory_order_release);
	atomic_store_explicit(&f->ops, atomic_load_explicit(&f->ops, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	*iova = v;
	return 0;
}

__attribute__((noinline)) static int floor_free(struct atomic_floor *f, uint64_t iova,
						uint64_t size)
{
	uint8_t live = 1;

	if (!size || (iova | size) & 4095)
		return -EINVAL;
	if (!atomic_compare_exchange_strong_explicit(&f->state[(iova >> 12) % FLOOR_SLOTS],
						     &live, 0, memory_order_acq_rel,
						     memory_order_relaxed))
		return -ENOENT;
	atomic_fetch_sub_explicit(&floor_bump, size, memory_order_relaxed);
	atomic_store_explicit(&f->ops, atomic_load_explicit(&f->ops, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return 0;
}

/*
 * The plain floor's words are accessed with relaxed atomic loads and
 * stores: on x86 these are the plain MOVs the name promises, and they
 * pin the instruction sequence.  Written as ordinary C, GCC 12 -O2
 * (whose SLP vectorizer is on at -O2) merged plain_free()'s updates of
 * bump and ops into one 16-byte load and store; that load reads two
 * 8-byte stores plain_alloc() had just made, which no x86 CPU forwards
 * from the store buffer, and the next plain_alloc()'s 8-byte load read
 * the 16-byte store.  The "plain" floor then timed two store-forwarding
 * stalls per pair (20 + 14 cycles on this VM's AMD EPYC, family 26
 * model 2), not bookkeeping, and came out slower than three locked
 * instructions on a CPU whose stalls cost more than its locks
 * (docs/performance.md, "bench-iova on AMD EPYC (2026-12-07)").
 * Nothing here is shared between threads.
 */
struct plain_floor {
	_Atomic uint64_t bump;
	_Atomic uint64_t ops;
	_Atomic uint8_t state[FLOOR_SLOTS];
};

static inline uint64_t ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void st(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

__attribute__((noinline)) static int plain_alloc(struct plain_floor *f, uint64_t size,
						 uint64_t *iova)
{
	uint64_t v;

	if (!size || size & 4095)
		return -EINVAL;
	v = ld(&f->bump);
	st(&f->bump, v + size);
	atomic_store_explicit(&f->state[(v >> 12) % FLOOR_SLOTS], 1, memory_order_relaxed);
	st(&f->ops, ld(&f->ops) + 1);
	*iova = v;
	return 0;
}

__attribute__((noinline)) static int plain_free(struct plain_floor *f, uint64_t iova,
						uint64_t size)
{
	_Atomic uint8_t *s;

	if (!size || (iova | size) & 4095)
		return -EINVAL;
	s = &f->state[(iova >> 12) % FLOOR_SLOTS];
	if (!atomic_load_explicit(s, memory_order_relaxed))
		return -ENOENT;
	atomic_store_explicit(s, 0, memory_order_relaxed);
	st(&f->bump, ld(&f->bump) - size);
	st(&f->ops, ld(&f->ops) + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timed loops                                                         */
/* ------------------------------------------------------------------ */

enum kind { K_IOVA, K_FLOOR, K_PLAIN, K_BURST };

struct run {
	enum kind kind;
	struct liommu_iova *a;
	uint64_t size;
	uint64_t n;
	pthread_barrier_t *bar;
	double ns;
	int err;
};

/* @n allocations of @size, each burst of BURST freed at once (in
 * allocation order, as a flush queue does); *@k carries a partial burst
 * from one call to the next. */
static int burst_loop(struct liommu_iova *a, uint64_t size, uint64_t n, uint64_t *q,
		      unsigned int *k)
{
	int err = 0;

	for (uint64_t i = 0; i < n && !err; i++) {
		err = liommu_iova_alloc(a, size, &q[(*k)++]);
		if (*k < BURST)
			continue;
		for (unsigned int j = 0; j < BURST && !err; j++)
			err = liommu_iova_free(a, q[j], size);
		*k = 0;
	}
	return err;
}

static void *run_loop(void *p)
{
	struct run *r = p;
	struct plain_floor *pf = calloc(1, sizeof(*pf));
	struct atomic_floor *af = calloc(1, sizeof(*af));
	uint64_t x, q[BURST];
	unsigned int k = 0;
	double t0;
	int err = 0;

	if (!pf || !af) {
		free(pf);
		free(af);
		r->err = -ENOMEM;
		return NULL;
	}
	st(&pf->bump, 1ULL << 20);
	/* warm-up: attach the thread cache, fill a magazine slot */
	if (r->kind == K_BURST)
		err = burst_loop(r->a, r->size, 8 * BURST, q, &k);
	for (int i = 0; i < 1000 && !err && r->kind != K_BURST; i++) {
		if (r->kind == K_IOVA)
			err = liommu_iova_alloc(r->a, r->size, &x) ?: liommu_iova_free(r->a, x, r->size);
		else if (r->kind == K_FLOOR)
			err = floor_alloc(af, r->size, &x) ?: floor_free(af, x, r->size);
		else
			err = plain_alloc(pf, r->size, &x) ?: plain_free(pf, x, r->size);
	}
	if (r->bar)
		pthread_barrier_wait(r->bar);
	t0 = now_ns();
	switch (r->kind) {
	case K_IOVA:
		for (uint64_t i = 0; i < r->n && !err; i++)
			err = liommu_iova_alloc(r->a, r->size, &x) ?:
			      liommu_iova_free(r->a, x, r->size);
		break;
	case K_FLOOR:
		for (uint64_t i = 0; i < r->n && !err; i++)
			err = floor_alloc(af, r->size, &x) ?: floor_free(af, x, r->size);
		break;
	case K_PLAIN:
		for (uint64_t i = 0; i < r->n && !err; i++)
			err = plain_alloc(pf, r->size, &x) ?: plain_free(pf, x, r->size);
		break;
	case K_BURST:
		err = burst_loop(r->a, r->size, r->n, q, &k);
		break;
	}
	r->ns = now_ns() - t0;
	for (unsigned int j = 0; j < k && !err; j++)
		err = liommu_iova_free(r->a, q[j], r->size);
	r->err = err;
	free(pf);
	free(af);
	return NULL;
}

/*
 * One repetition with @nthreads threads: returns ns per alloc+free pair
 * as seen by one thread (the slowest thread's time / iterations) and
 * stores the allocator-wide lock acquisitions per pair, counted between
 * the end of the warm-ups and the end of the timed loops, in *@locks.
 */
struct shared_run {
	pthread_barrier_t start, stop;
	struct liommu_iova_stats before, after;
};

struct thread_run {
	struct run r;
	struct shared_run *sh;
	bool first;
};

static void *timed_thread(void *p)
{
	struct thread_run *t = p;

	t->r.bar = &t->sh->start;
	run_loop(&t->r);
	/* read the counters after every timed loop, before any thread
	 * exits (an exit hands its cache back, taking locks) */
	pthread_barrier_wait(&t->sh->stop);
	if (t->first && t->r.a)
		liommu_iova_get_stats(t->r.a, &t->sh->after);
	pthread_barrier_wait(&t->sh->stop);
	return NULL;
}

static double measure(enum kind kind, struct liommu_iova *a, uint64_t size,
		      int nthreads, double *locks)
{
	struct thread_run t[2];
	struct shared_run sh;
	pthread_t tid[2];
	double worst = 0;

	pthread_barrier_init(&sh.start, NULL, (unsigned int)nthreads + 1);
	pthread_barrier_init(&sh.stop, NULL, (unsigned int)nthreads);
	for (int i = 0; i < nthreads; i++) {
		t[i] = (struct thread_run){ .sh = &sh, .first = i == 0 };
		t[i].r = (struct run){ .kind = kind, .a = a, .size = size, .n = iters };
		pthread_create(&tid[i], NULL, timed_thread, &t[i]);
	}
	/* the threads have warmed up (caches attached) when this returns */
	pthread_barrier_wait(&sh.start);
	if (a)
		liommu_iova_get_stats(a, &sh.before);
	for (int i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&sh.start);
	pthread_barrier_destroy(&sh.stop);
	for (int i = 0; i < nthreads; i++) {
		if (t[i].r.err) {
			fprintf(stderr, "bench-iova: loop failed: %s\n", strerror(-t[i].r.err));
			exit(1);
		}
		if (t[i].r.ns > worst)
			worst = t[i].r.ns;
	}
	if (locks)
		*locks = a ? (double)(sh.after.lock_acquisitions - sh.before.lock_acquisitions) /
			     (double)(iters * (uint64_t)nthreads) : 0;
	return worst / (double)iters;
}

/* One cell, min / median / max: 21 columns, a blank first. */
static void put(const struct summary *m)
{
	printf(" %5.1f /%5.1f /%5.1f", m->min, m->median, m->max);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const uint64_t sizes[] = { 4096, 65536, 1 << 20 };
	static const char *const names[] = { "4KiB", "64KiB", "1MiB" };
	enum { IOVA1, NOMB1, FLOOR1, PLAIN1, IOVA2, FLOOR2, PLAIN2, NV };
	enum { BURST1, BURST2, BPLAIN1, BPLAIN2, NB };
	struct summary m[3][NV], mb[NB];
	double lock1[3] = { 0 }, lock2[3] = { 0 };
	bool have_mb;
	int c, err;

	while ((c = getopt_long(argc, argv, "n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [--iters N] [--reps R]\n", argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!iters || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "bench-iova: --iters must be > 0, --reps 1..%d\n", MAX_REPS);
		return 2;
	}
	printf("bench-iova: %" PRIu64 " alloc+free pairs per thread and run, %d runs;"
	       " ns per pair, min / median / max\n", iters, reps);
	bench_print_machine();
	fflush(stdout);
	have_mb = liommu__iova_use_membarrier(true);

	for (int s = 0; s < 3; s++) {
		static double v[NV][MAX_REPS];
		struct liommu_iova *a, *b;
		double l;

		/* interleave the kinds so drift hits them alike */
		for (int i = 0; i < reps; i++) {
			/* the fallback handshake needs an allocator created,
			 * used and destroyed while it is selected */
			liommu__iova_use_membarrier(false);
			err = liommu_iova_new(NULL, &b);
			if (err)
				goto fail;
			v[NOMB1][i] = measure(K_IOVA, b, sizes[s], 1, NULL);
			liommu_iova_destroy(b);
			liommu__iova_use_membarrier(true);

			err = liommu_iova_new(NULL, &a);
			if (err)
				goto fail;
			v[IOVA1][i] = measure(K_IOVA, a, sizes[s], 1, &l);
			lock1[s] = l > lock1[s] ? l : lock1[s];
			v[IOVA2][i] = measure(K_IOVA, a, sizes[s], 2, &l);
			lock2[s] = l > lock2[s] ? l : lock2[s];
			liommu_iova_destroy(a);
			v[FLOOR1][i] = measure(K_FLOOR, NULL, sizes[s], 1, NULL);
			v[PLAIN1][i] = measure(K_PLAIN, NULL, sizes[s], 1, NULL);
			v[FLOOR2][i] = measure(K_FLOOR, NULL, sizes[s], 2, NULL);
			v[PLAIN2][i] = measure(K_PLAIN, NULL, sizes[s], 2, NULL);
		}
		for (int k = 0; k < NV; k++)
			m[s][k] = summarize(v[k], reps);
	}
	for (int i = 0; i < reps; i++) {
		static double v[NB][MAX_REPS];
		struct liommu_iova *a;

		for (int nt = 1; nt <= 2; nt++) {
			err = liommu_iova_new(NULL, &a);
			if (err)
				goto fail;
			v[nt == 1 ? BURST1 : BURST2][i] = measure(K_BURST, a, 4096, nt, NULL);
			liommu_iova_destroy(a);
		}
		v[BPLAIN1][i] = measure(K_PLAIN, NULL, 4096, 1, NULL);
		v[BPLAIN2][i] = measure(K_PLAIN, NULL, 4096, 2, NULL);
		if (i == reps - 1)
			for (int k = 0; k < NB; k++)
				mb[k] = summarize(v[k], reps);
	}

	printf("membarrier handshake: %s\n\n", have_mb ? "in use" : "unavailable");
	printf("one thread\n%-6s %-19s %-19s %-19s %-19s %-8s %-8s %s\n", "size", " iova",
	       " iova no-memb", " floor", " floor plain", "iova/flr", "iova/flr", "global locks");
	printf("%-6s %-19s %-19s %-19s %-19s %-8s %-8s %s\n", "", "", "", "", "", "(min)",
	       "(median)", "per pair");
	for (int s = 0; s < 3; s++) {
		printf("%-6s", names[s]);
		put(&m[s][IOVA1]);
		put(&m[s][NOMB1]);
		put(&m[s][FLOOR1]);
		put(&m[s][PLAIN1]);
		printf(" %-8.2f %-8.2f %.2g\n", m[s][IOVA1].min / m[s][FLOOR1].min,
		       m[s][IOVA1].median / m[s][FLOOR1].median, lock1[s]);
	}
	/*
	 * Speedup: aggregate two-thread throughput over one thread's, from
	 * medians.  "floor plain" is the control: thread-private work only,
	 * so its speedup shows how much parallelism the machine gave this
	 * run (2.00 on two idle CPUs).
	 */
	printf("\ntwo threads, one allocator (ns per pair per thread; speedup ="
	       " 2-thread throughput / 1-thread)\n");
	printf("%-6s %-19s %-19s %-19s %-8s %-8s %-8s %s\n", "size", " iova", " floor",
	       " floor plain", "iova", "floor", "plain", "global locks");
	printf("%-6s %-19s %-19s %-19s %-8s %-8s %-8s %s\n", "", "", "", "",
	       "speedup", "speedup", "speedup", "per pair");
	for (int s = 0; s < 3; s++) {
		printf("%-6s", names[s]);
		put(&m[s][IOVA2]);
		put(&m[s][FLOOR2]);
		put(&m[s][PLAIN2]);
		printf(" %-8.2f %-8.2f %-8.2f %.2g\n",
		       2 * m[s][IOVA1].median / m[s][IOVA2].median,
		       2 * m[s][FLOOR1].median / m[s][FLOOR2].median,
		       2 * m[s][PLAIN1].median / m[s][PLAIN2].median, lock2[s]);
	}
	printf("\nbursts: 4 KiB allocations freed %d at a time, fresh allocator per run"
	       " (ns per pair per thread)\n", BURST);
	printf("%-6s %-19s %-19s %-8s %-8s\n", "", " 1 thread", " 2 threads", "iova",
	       "plain");
	printf("%-6s %-19s %-19s %-8s %-8s\n", "", "", "", "speedup", "speedup");
	printf("%-6s", "4KiB");
	put(&mb[BURST1]);
	put(&mb[BURST2]);
	printf(" %-8.2f %-8.2f\n\n", 2 * mb[BURST1].median / mb[BURST2].median,
	       2 * mb[BPLAIN1].median / mb[BPLAIN2].median);
	bench_print_load("at end");
	return 0;
fail:
	fprintf(stderr, "bench-iova: liommu_iova_new: %s\n", strerror(-err));
	return 1;
}
