// SPDX-License-Identifier: MIT
/*
 * bench-dma.c - nanoseconds per 4 KiB map+unmap pair for each DMA mapping
 * strategy (liommu/dma.h), next to a floor measured in the same run.
 *
 * Each strategy runs on the sim platform (the in-process VT-d model,
 * queued invalidation) with a fresh domain and instance per run, no
 * modelled invalidation latency (the model's default,
 * liommu_model_config.inval_latency_ns = 0), and default configuration.
 * Every thread cycles through a ring of 64 buffers of its own:
 * map(pa, 4096, BIDIRECTIONAL), unmap.  OPTIMISTIC therefore hits its
 * reuse cache after the warm-up (the ring fits in the quota),
 * the case it is built for; DEFERRED flushes every 256 unmaps per queue.
 *
 * The floor is the least any strategy with real page-table entries must
 * do: a bump allocator for the IOVA, a walk of a 4-level radix table
 * (512 entries per level, as VT-d's) to store the leaf PTE with a release
 * store, and the same walk to clear it.  No invalidation, no bookkeeping,
 * no thread safety beyond the atomic stores: every thread has its own
 * table and bump pointer.  Because the floor is thread-private its
 * two-thread speedup shows how much parallelism the machine gave the run
 * (2.00 on two idle CPUs; this machine is shared).
 *
 * Every figure is the minimum, median and maximum over --reps runs, the kinds
 * interleaved so drift hits them alike.  Two-thread figures are ns per
 * pair per thread (the slower thread's time / its pairs); the speedup is
 * the two-thread aggregate throughput over the one-thread throughput,
 * from medians.
 *
 *   bench-dma [--iters N] [--reps R] [--only KIND [--threads 1|2]]
 *
 * Below the table: how long handing one cache line from one thread's CPU
 * to the other's takes (a ping-pong of one word, half the round trip),
 * measured in each run.  Whatever two threads share per pair costs at
 * least that much per hand-over, which bounds every strategy with a
 * shared structure on its path: STRICT's single invalidation queue
 * above all (one unit, one queue, one tail register and ring).
 *
 * --only runs one strategy (or "floor") alone, for a profiler; it prints
 * no table.  --threads restricts it to one or two threads.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/sim.h>

#include "bench-stats.h"

#define MAX_REPS	101
#define RING		64
#define PG		4096ull
#define WARMUP		2000

static uint64_t iters = 200000;
static int reps = 7;
static int only = -1;		/* --only: run one kind (for profiling) */
static int only_threads;	/* --threads: with --only, 1 or 2 threads only */

/* ------------------------------------------------------------------ */
/* The floor: bump allocator + PTE store and clear in a 4-level table   */
/* ------------------------------------------------------------------ */

#define FLOOR_WINDOW	(4096 * PG)	/* IOVAs cycle through 16 MiB */

struct floor_table {
	uint64_t *top;		/* level 4: entries are next-level pointers | 1 */
	uint64_t bump;
};

static uint64_t *table_page(void)
{
	return aligned_alloc(4096, 4096);
}

static int floor_new(struct floor_table *t)
{
	uint64_t iova;

	t->bump = 0;
	t->top = table_page();
	if (!t->top)
		return -ENOMEM;
	memset(t->top, 0, 4096);
	/* Build the levels for the whole window once, as a table that has
	 * been used before would have them. */
	for (iova = 0; iova < FLOOR_WINDOW; iova += PG) {
		uint64_t *tab = t->top;
		int lvl;

		for (lvl = 4; lvl > 1; lvl--) {
			unsigned int idx = (unsigned int)(iova >> (12 + 9 * (lvl - 1))) & 511;

			if (!tab[idx]) {
				uint64_t *n = table_page();

				if (!n)
					return -ENOMEM;
				memset(n, 0, 4096);
				tab[idx] = (uint64_t)(uintptr_t)n | 1;
			}
			tab = (uint64_t *)(uintptr_t)(tab[idx] & ~1ull);
		}
	}
	return 0;
}

static void floor_free_level(uint64_t *tab, int lvl)
{
	unsigned int i;

	if (lvl > 1)
		for (i = 0; i < 512; i++)
			if (tab[i])
				floor_free_level((uint64_t *)(uintptr_t)(tab[i] & ~1ull), lvl - 1);
	free(tab);
}

static inline uint64_t *floor_leaf(struct floor_table *t, uint64_t iova)
{
	uint64_t *tab = t->top;
	int lvl;

	for (lvl = 4; lvl > 1; lvl--)
		tab = (uint64_t *)(uintptr_t)(__atomic_load_n(
			&tab[(iova >> (12 + 9 * (lvl - 1))) & 511], __ATOMIC_ACQUIRE) & ~1ull);
	return &tab[(iova >> 12) & 511];
}

__attribute__((noinline)) static uint64_t floor_map(struct floor_table *t, uint64_t pa)
{
	uint64_t iova = t->bump;

	t->bump = (t->bump + PG) % FLOOR_WINDOW;
	__atomic_store_n(floor_leaf(t, iova), pa | 3, __ATOMIC_RELEASE);
	return iova;
}

__attribute__((noinline)) static void floor_unmap(struct floor_table *t, uint64_t iova)
{
	__atomic_store_n(floor_leaf(t, iova), 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */
/* ------------------------------------------------------------------ */

/* A strategy, the floor, or the driver's own page-table floor. */
#define K_FLOOR		LIOMMU_DMA_NR_STRATEGIES
#define K_PTFLOOR	(LIOMMU_DMA_NR_STRATEGIES + 1)
#define NKINDS		(LIOMMU_DMA_NR_STRATEGIES + 2)

static const char *const kind_name[NKINDS] = {
	"direct", "strict", "optimistic", "deferred", "floor", "pt-floor",
};

struct thread_run {
	int kind;
	struct liommu_dma *dma;
	struct liommu_domain *dom;	/* K_PTFLOOR */
	uint64_t pt_base;		/* K_PTFLOOR: this thread's IOVA window */
	uint64_t ring[RING];
	pthread_barrier_t *bar;
	double ns;
	int err;
};

/*
 * The driver's page-table floor: bump-allocate an IOVA in the thread's
 * window, liommu_domain_map() one 4 KiB page, liommu_domain_unmap_nosync()
 * it (no invalidation).  Every strategy that writes PTEs pays this.
 */
__attribute__((noinline)) static int pt_pair(struct thread_run *r, uint64_t *bump, uint64_t pa)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	uint64_t iova = r->pt_base + *bump;
	int err;

	*bump = (*bump + PG) % FLOOR_WINDOW;
	err = liommu_domain_map(r->dom, iova, pa, PG, LIOMMU_PROT_RW);
	return err ?: liommu_domain_unmap_nosync(r->dom, iova, PG, &g);
}

static void *run_thread(void *p)
{
	struct thread_run *r = p;
	struct floor_table ft = { 0 };
	uint64_t i, iova, bump = 0;
	double t0;
	int err = 0;

	if (r->kind == K_FLOOR) {
		err = floor_new(&ft);
		for (i = 0; i < WARMUP && !err; i++)
			floor_unmap(&ft, floor_map(&ft, r->ring[i % RING]));
	} else if (r->kind == K_PTFLOOR) {
		for (i = 0; i < FLOOR_WINDOW / PG && !err; i++)
			err = pt_pair(r, &bump, r->ring[i % RING]);
	} else {
		for (i = 0; i < WARMUP && !err; i++)
			err = liommu_dma_map(r->dma, r->ring[i % RING], PG,
					     LIOMMU_DMA_BIDIRECTIONAL, &iova) ?:
			      liommu_dma_unmap(r->dma, iova, PG, LIOMMU_DMA_BIDIRECTIONAL);
	}
	pthread_barrier_wait(r->bar);
	t0 = now_ns();
	if (r->kind == K_FLOOR) {
		for (i = 0; i < iters && !err; i++)
			floor_unmap(&ft, floor_map(&ft, r->ring[i % RING]));
	} else if (r->kind == K_PTFLOOR) {
		for (i = 0; i < iters && !err; i++)
			err = pt_pair(r, &bump, r->ring[i % RING]);
	} else {
		for (i = 0; i < iters && !err; i++)
			err = liommu_dma_map(r->dma, r->ring[i % RING], PG,
					     LIOMMU_DMA_BIDIRECTIONAL, &iova) ?:
			      liommu_dma_unmap(r->dma, iova, PG, LIOMMU_DMA_BIDIRECTIONAL);
	}
	r->ns = now_ns() - t0;
	r->err = err;
	if (ft.top)
		floor_free_level(ft.top, 4);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Cache-line hand-over between the two threads' CPUs                  */
/* ------------------------------------------------------------------ */

#define PINGPONG_ROUNDS	200000

struct pingpong {
	_Alignas(64) atomic_uint_fast64_t word;
	pthread_barrier_t bar;
};

/* The second player: answers every odd value with the next even one. */
static void *pong(void *p)
{
	struct pingpong *pp = p;
	uint64_t i;

	pthread_barrier_wait(&pp->bar);
	for (i = 0; i < PINGPONG_ROUNDS; i++) {
		while (atomic_load_explicit(&pp->word, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&pp->word, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

/* ns for one hand-over of a cache line between two threads (one way). */
static double line_handover_ns(void)
{
	struct pingpong pp = { .word = 0 };
	pthread_t tid;
	uint64_t i;
	double t0, ns;

	pthread_barrier_init(&pp.bar, NULL, 2);
	pthread_create(&tid, NULL, pong, &pp);
	pthread_barrier_wait(&pp.bar);
	t0 = now_ns();
	for (i = 0; i < PINGPONG_ROUNDS; i++) {
		atomic_store_explicit(&pp.word, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&pp.word, memory_order_acquire) != 2 * i + 2)
			;
	}
	ns = now_ns() - t0;
	pthread_join(tid, NULL);
	pthread_barrier_destroy(&pp.bar);
	return ns / (2.0 * PINGPONG_ROUNDS);
}

struct env {
	struct liommu_sim *sim;
	struct liommu_unit *unit;
	uint64_t mem_base, mem_size;
	uint64_t ring[2][RING];
};

static int env_new(struct env *e)
{
	struct liommu_sim_config sc = { .mem_size = 128ull << 20 };
	unsigned int t, i;
	int err;

	memset(e, 0, sizeof(*e));
	err = liommu_sim_new(&sc, &e->sim);
	if (err)
		return err;
	liommu_sim_mem(e->sim, &e->mem_base, &e->mem_size);
	err = liommu_unit_new(liommu_sim_platform(e->sim), NULL, &e->unit);
	if (err)
		return err;
	err = liommu_unit_enable_translation(e->unit);
	for (t = 0; t < 2 && !err; t++)
		for (i = 0; i < RING && !err; i++)
			err = liommu_sim_alloc(e->sim, PG, NULL, &e->ring[t][i]);
	return err;
}

/* One run of @kind with @nthreads threads: ns per pair per thread. */
static double measure(struct env *e, int kind, int nthreads, uint64_t *reuse,
		      double *inval_per_unmap)
{
	struct liommu_dma_range r = { e->mem_base, e->mem_size };
	struct liommu_dma_config cfg = { .strategy = (enum liommu_dma_strategy)kind };
	struct liommu_domain *dom = NULL;
	struct thread_run t[2];
	pthread_barrier_t bar;
	pthread_t tid[2];
	double worst = 0;
	int i, err = 0;

	if (kind != K_FLOOR) {
		if (kind == LIOMMU_DMA_DIRECT) {
			cfg.ranges = &r;
			cfg.nranges = 1;
		}
		err = liommu_domain_new(e->unit, &dom);
		if (err)
			goto fail;
	}
	pthread_barrier_init(&bar, NULL, (unsigned int)nthreads);
	for (i = 0; i < nthreads; i++) {
		t[i] = (struct thread_run){ .kind = kind, .bar = &bar, .dom = dom,
					    .pt_base = (1ull << 32) + (uint64_t)i * FLOOR_WINDOW };
		memcpy(t[i].ring, e->ring[i], sizeof(t[i].ring));
	}
	if (kind < LIOMMU_DMA_NR_STRATEGIES) {
		err = liommu_dma_new(dom, &cfg, &t[0].dma);
		if (err)
			goto fail;
		t[1].dma = t[0].dma;
	}
	for (i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, run_thread, &t[i]);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&bar);
	for (i = 0; i < nthreads; i++) {
		if (t[i].err) {
			err = t[i].err;
			goto fail;
		}
		if (t[i].ns > worst)
			worst = t[i].ns;
	}
	if (kind < LIOMMU_DMA_NR_STRATEGIES) {
		struct liommu_dma_stats st;

		liommu_dma_get_stats(t[0].dma, &st);
		if (reuse)
			*reuse = st.reuse_hits;
		if (inval_per_unmap)
			*inval_per_unmap = st.unmaps ? (double)st.inv_waits / (double)st.unmaps : 0;
		liommu_dma_free(t[0].dma);
	}
	liommu_domain_free(dom);
	return worst / (double)iters;

fail:
	fprintf(stderr, "bench-dma: %s: %s\n", kind_name[kind], strerror(-err));
	exit(1);
}

static void put(const struct summary *m)
{
	printf(" %7.1f / %-7.1f / %-7.1f", m->min, m->median, m->max);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static double v[2][NKINDS][MAX_REPS], handover[MAX_REPS];
	struct summary m[2][NKINDS], ho;
	double inv[2][NKINDS] = { { 0 } };
	uint64_t reuse = 0;
	struct env e;
	int c, k, i, nt, err;

	while ((c = getopt_long(argc, argv, "n:r:o:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			for (only = 0; only < NKINDS; only++)
				if (!strcmp(optarg, kind_name[only]))
					break;
			if (only == NKINDS) {
				fprintf(stderr, "bench-dma: unknown kind '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			only_threads = atoi(optarg);
			if (only_threads != 1 && only_threads != 2) {
				fprintf(stderr, "bench-dma: --threads is 1 or 2\n");
				return 2;
			}
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [--iters N] [--reps R] [--only KIND [--threads 1|2]]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!iters || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "bench-dma: --iters must be > 0, --reps 1..%d\n", MAX_REPS);
		return 2;
	}
	bench_print_machine();	/* bench-stats.h: the CPU and load of every figure */
	fflush(stdout);
	err = env_new(&e);
	if (err) {
		fprintf(stderr, "bench-dma: sim set-up: %s\n", strerror(-err));
		return 1;
	}
	if (only >= 0) {
		for (i = 0; i < reps; i++)
			for (nt = 1; nt <= 2; nt++)
				if (!only_threads || nt == only_threads)
					printf("%s, %d thread(s): %.1f ns per pair\n", kind_name[only], nt,
				       measure(&e, only, nt, NULL, NULL));
		goto out;
	}
	for (i = 0; i < reps; i++) {
		for (nt = 1; nt <= 2; nt++)
			for (k = 0; k < NKINDS; k++)
				v[nt - 1][k][i] = measure(&e, k, nt,
							  k == LIOMMU_DMA_OPTIMISTIC && nt == 1 &&
							  !i ? &reuse : NULL, &inv[nt - 1][k]);
		handover[i] = line_handover_ns();
	}
	ho = summarize(handover, reps);
	for (nt = 0; nt < 2; nt++)
		for (k = 0; k < NKINDS; k++)
			m[nt][k] = summarize(v[nt][k], reps);

	printf("bench-dma: 4 KiB map+unmap, %" PRIu64 " pairs per thread and run, %d runs,"
	       " sim platform, no modelled invalidation latency\n", iters, reps);
	printf("ns per pair (per thread), min / median / max.  ratio = strategy / floor"
	       " (bump allocator + PTE store + clear);\n"
	       "pt-ratio = strategy / pt-floor (bump allocator + the driver's"
	       " liommu_domain_map + liommu_domain_unmap_nosync);\n"
	       "speedup = 2-thread throughput / 1-thread, from medians;"
	       " inv/unmap = invalidation waits per unmap (last run)\n");
	printf("optimistic reuse hits in the first one-thread run: %" PRIu64 " of %" PRIu64
	       " maps\n\n", reuse, iters + WARMUP);
	printf("%-11s %-27s %-7s %-7s %-8s %-7s  %-27s %-7s %-7s %s\n", "", " 1 thread",
	       "ratio", "ratio", "pt-ratio", "inv/", " 2 threads", "ratio", "speedup", "inv/");
	printf("%-11s %-27s %-7s %-7s %-8s %-7s  %-27s %-7s %-7s %s\n", "", "", "(min)",
	       "(med)", "(med)", "unmap", "", "(med)", "", "unmap");
	for (k = 0; k < NKINDS; k++) {
		printf("%-11s", kind_name[k]);
		put(&m[0][k]);
		printf(" %-7.2f %-7.2f %-8.2f %-7.3f ", m[0][k].min / m[0][K_FLOOR].min,
		       m[0][k].median / m[0][K_FLOOR].median,
		       m[0][k].median / m[0][K_PTFLOOR].median, inv[0][k]);
		put(&m[1][k]);
		printf(" %-7.2f %-7.2f %.3f\n", m[1][k].median / m[1][K_FLOOR].median,
		       2 * m[0][k].median / m[1][k].median, inv[1][k]);
	}
	printf("\ncache line handed from one thread's CPU to the other's: %.1f / %.1f / %.1f ns"
	       " (min / median / max, one way)\n", ho.min, ho.median, ho.max);
out:
	liommu_unit_free(e.unit);
	liommu_sim_free(e.sim);
	return 0;
}
