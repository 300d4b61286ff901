// SPDX-License-Identifier: MIT
/*
 * nic.c - a simulated NIC driven through a mapping strategy.
 *
 * Each queue has an RX and a TX descriptor ring and one driver thread.
 * The driver works in polls, as NAPI does:
 *   1. it takes the next frames from the workload: a TX frame gets a
 *      buffer from the queue's pool, liommu_dma_map(TO_DEVICE) and a TX
 *      descriptor; an RX frame is handed to the device as an arrival;
 *   2. the device side processes the rings: it DMA-reads every posted TX
 *      buffer and DMA-writes each arrival into the next posted RX buffer,
 *      through the unit (a translation fault here is a bug and stops the
 *      run);
 *   3. the driver reaps completions: liommu_dma_unmap() of each TX and RX
 *      buffer, back to the pool, and refills the RX ring with fresh
 *      buffers mapped FROM_DEVICE;
 *   4. the device-side probe (probe.c) retries recently unmapped IOVAs.
 * Pools are LIFO per size, as a page allocator's per-CPU lists are, so a
 * buffer just freed is the next one used.
 *
 * What is measured (docs/iommu-policy.md, "Metrics"), after a warm-up of
 * each queue's first descriptors (a quarter of its share, at most two
 * rings' worth) for the rates and times, over the whole run for the
 * counters and the exposure:
 *  - packets: descriptors completed (RX + TX);
 *  - busy time: the queue thread's CPU time minus the CPU time it spent
 *    playing the device and probing.  Real NICs DMA in parallel with the
 *    CPU, and the probe is an instrument, so packets/s = packets / busy
 *    time is the rate one dedicated core sustains with this strategy (the
 *    slowest queue for several threads).  CPU time rather than wall time:
 *    on a shared machine wall time also measures the other tenants, CPU
 *    time does not (the modelled invalidation wait is a busy-wait, so it
 *    is CPU time too);
 *  - driver CPU: process CPU time (strategy reclaimer threads included)
 *    minus the device and probe sections' thread CPU time;
 *  - map/unmap: wall time of each liommu_dma_map()/_unmap() call;
 *  - IOTLB hit rate of the device's own DMAs: the unit's lookup counters
 *    read around the device section only, so probe lookups never count;
 *  - wake-up lateness: a thread that sleeps in short periods records how
 *    late the kernel woke it, the same delay a strategy's reclaimer
 *    thread suffers; a time bound is judged with it (ipol_result_verdict).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/dma.h>

#include "policy.h"

#define PAGE		4096u
#define NR_CLASSES	(IPOL_TX_MAX / PAGE)	/* buffers of 1 .. 16 pages */

struct pool {
	uint64_t *pa;
	size_t n, cap;
};

struct slot {
	uint64_t pa;
	uint64_t iova;
	uint32_t len;	/* bytes of the frame (TX) or the buffer (RX) */
	uint32_t pages;
};

struct ring {
	struct slot *s;
	unsigned int size;
	unsigned int head;	/* next slot the driver posts */
	unsigned int dev;	/* next slot the device processes */
	unsigned int tail;	/* next slot the driver reaps */
};

struct nic;

struct queue {
	struct nic *nic;
	pthread_t thread;
	unsigned int id;
	uint64_t rng;
	uint64_t quota;		/* descriptors to complete */
	uint64_t warm;		/* of which the first are a warm-up */
	uint64_t measured;	/* descriptors completed after the warm-up */
	uint64_t done;

	struct ring rx, tx;
	struct pool pools[NR_CLASSES + 1];
	uint32_t *arrivals;	/* RX descriptor lengths waiting for buffers */
	unsigned int narr, arr_head, arr_cap;
	struct ipol_pkt pend[IPOL_MAX_BURST];
	unsigned int npend, ipend;
	uint8_t *scratch;	/* the device's side of its DMAs */
	struct ipol_probe *probe;

	uint64_t maps, unmaps, map_ns, unmap_ns;
	uint64_t maps_seen, unmaps_seen, map_timed, unmap_timed;
	uint64_t wall_ns, drv_cpu_ns, aside_cpu_ns;
	uint64_t iotlb_hits, iotlb_misses;	/* the device's own lookups */
	bool have_iotlb;
	int err;
	const char *why;
};

struct nic {
	const struct ipol_nic_config *cfg;
	const struct ipol_workload *wl;
	struct ipol_env env;
	struct ipol_progress *prog;
	struct queue *q;
	_Atomic int stop;
	_Atomic int watch_stop;
	_Atomic uint64_t watch_next;	/* the watcher's next deadline */
	uint64_t late_max_ns;	/* wake-up lateness, see sched_watch() */
};

/* Period of the wake-up lateness watcher: short, so it samples often. */
#define WATCH_PERIOD_NS	200000u

static unsigned int pages_of(uint64_t len)
{
	return (unsigned int)((len + PAGE - 1) / PAGE);
}

static int buf_get(struct queue *q, unsigned int pages, uint64_t *pa)
{
	struct pool *p = &q->pools[pages];

	if (p->n) {
		*pa = p->pa[--p->n];
		return 0;
	}
	return ipol_env_buf_alloc(&q->nic->env, (uint64_t)pages * PAGE, pa);
}

static int buf_put(struct queue *q, unsigned int pages, uint64_t pa)
{
	struct pool *p = &q->pools[pages];

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint64_t *n = realloc(p->pa, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->pa = n;
		p->cap = cap;
	}
	p->pa[p->n++] = pa;
	return 0;
}

/*
 * Per-call times are sampled: one map() and one unmap() in MAP_SAMPLE is
 * timed, because a clock read costs as much as a whole DIRECT map() on
 * some machines (a paravirtual clock without a vDSO fast path).  unmap()
 * still reads the clock once, after it returns, when the probe needs the
 * time it happened.
 */
#define MAP_SAMPLE	8u

static int do_map(struct queue *q, struct slot *s, enum liommu_dma_dir dir)
{
	const bool timed = !(q->maps_seen++ % MAP_SAMPLE);
	uint64_t t0 = timed ? ipol_now_ns() : 0;
	int ret = liommu_dma_map(q->nic->env.dma, s->pa, s->len, dir, &s->iova);

	if (timed) {
		q->map_ns += ipol_now_ns() - t0;
		q->map_timed++;
	}
	if (ret) {
		q->why = "liommu_dma_map()";
		return ret;
	}
	q->maps++;
	if (q->probe)
		ipol_probe_mapped(q->probe, s->iova);
	return 0;
}

static int do_unmap(struct queue *q, struct slot *s, enum liommu_dma_dir dir)
{
	const bool timed = !(q->unmaps_seen++ % MAP_SAMPLE);
	uint64_t t0 = timed ? ipol_now_ns() : 0, t1 = 0;
	int ret = liommu_dma_unmap(q->nic->env.dma, s->iova, s->len, dir);

	if (timed || q->probe)
		t1 = ipol_now_ns();
	if (timed) {
		q->unmap_ns += t1 - t0;
		q->unmap_timed++;
	}
	if (ret) {
		q->why = "liommu_dma_unmap()";
		return ret;
	}
	q->unmaps++;
	if (q->probe)
		ipol_probe_unmapped(q->probe, s->iova, s->pa,
				    dir == LIOMMU_DMA_FROM_DEVICE, t1);
	return 0;
}

static unsigned int ring_used(const struct ring *r)
{
	return r->head - r->tail;
}

/* Post a fresh RX buffer in every free RX slot. */
static int rx_refill(struct queue *q)
{
	const unsigned int pages = pages_of(q->nic->cfg->buffer);
	int ret;

	while (ring_used(&q->rx) < q->rx.size) {
		struct slot *s = &q->rx.s[q->rx.head % q->rx.size];

		ret = buf_get(q, pages, &s->pa);
		if (ret) {
			q->why = "allocating an RX buffer";
			return ret;
		}
		s->len = q->nic->cfg->buffer;
		s->pages = pages;
		ret = do_map(q, s, LIOMMU_DMA_FROM_DEVICE);
		if (ret)
			return ret;
		q->rx.head++;
	}
	return 0;
}

static int arrival_push(struct queue *q, uint32_t len)
{
	if (q->narr == q->arr_cap) {
		unsigned int cap = q->arr_cap * 2, i;
		uint32_t *n = malloc(cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (i = 0; i < q->narr; i++)
			n[i] = q->arrivals[(q->arr_head + i) % q->arr_cap];
		free(q->arrivals);
		q->arrivals = n;
		q->arr_head = 0;
		q->arr_cap = cap;
	}
	q->arrivals[(q->arr_head + q->narr) % q->arr_cap] = len;
	q->narr++;
	return 0;
}

/* Step 1: up to @budget descriptors from the workload. */
static int driver_xmit(struct queue *q, unsigned int budget)
{
	const uint32_t buffer = q->nic->cfg->buffer;
	int ret;

	while (budget) {
		struct ipol_pkt *f;

		if (q->ipend == q->npend) {
			q->npend = q->nic->wl->next(&q->rng, q->pend);
			q->ipend = 0;
		}
		f = &q->pend[q->ipend];
		if (f->dir == IPOL_TX) {
			struct slot *s;

			if (ring_used(&q->tx) == q->tx.size)
				break;
			s = &q->tx.s[q->tx.head % q->tx.size];
			s->len = f->len;
			s->pages = pages_of(f->len);
			ret = buf_get(q, s->pages, &s->pa);
			if (ret) {
				q->why = "allocating a TX buffer";
				return ret;
			}
			ret = do_map(q, s, LIOMMU_DMA_TO_DEVICE);
			if (ret)
				return ret;
			q->tx.head++;
			budget--;
		} else {
			/* A frame larger than an RX buffer spans several. */
			uint32_t left = f->len;

			while (left) {
				uint32_t d = left > buffer ? buffer : left;

				ret = arrival_push(q, d);
				if (ret) {
					q->why = "queueing an RX frame";
					return ret;
				}
				left -= d;
				budget = budget ? budget - 1 : 0;
			}
		}
		q->ipend++;
	}
	return 0;
}

/* Step 2: the device.  Every DMA goes through the unit. */
static int device_run(struct queue *q)
{
	struct ipol_env *env = &q->nic->env;
	int ret;

	while (q->tx.dev != q->tx.head) {
		struct slot *s = &q->tx.s[q->tx.dev % q->tx.size];

		ret = ipol_env_dev_read(env, s->iova, q->scratch, s->len);
		if (ret) {
			q->why = ret == -EFAULT ? "device TX DMA faulted on a mapped buffer"
						: "device TX DMA";
			return ret;
		}
		q->tx.dev++;
	}
	while (q->narr && q->rx.dev != q->rx.head) {
		struct slot *s = &q->rx.s[q->rx.dev % q->rx.size];
		uint32_t len = q->arrivals[q->arr_head];

		ret = ipol_env_dev_write(env, s->iova, q->scratch, len);
		if (ret) {
			q->why = ret == -EFAULT ? "device RX DMA faulted on a mapped buffer"
						: "device RX DMA";
			return ret;
		}
		q->arr_head = (q->arr_head + 1) % q->arr_cap;
		q->narr--;
		q->rx.dev++;
	}
	return 0;
}

/* Step 3: reap what the device completed.  Return descriptors reaped. */
static int driver_reap(struct queue *q, uint64_t *reaped)
{
	int ret;

	while (q->tx.tail != q->tx.dev) {
		struct slot *s = &q->tx.s[q->tx.tail % q->tx.size];

		ret = do_unmap(q, s, LIOMMU_DMA_TO_DEVICE);
		if (ret)
			return ret;
		ret = buf_put(q, s->pages, s->pa);
		if (ret)
			return ret;
		q->tx.tail++;
		(*reaped)++;
	}
	while (q->rx.tail != q->rx.dev) {
		struct slot *s = &q->rx.s[q->rx.tail % q->rx.size];

		ret = do_unmap(q, s, LIOMMU_DMA_FROM_DEVICE);
		if (ret)
			return ret;
		ret = buf_put(q, s->pages, s->pa);
		if (ret)
			return ret;
		q->rx.tail++;
		(*reaped)++;
	}
	return rx_refill(q);
}

static void *queue_main(void *arg)
{
	struct queue *q = arg;
	const struct ipol_nic_config *cfg = q->nic->cfg;
	uint64_t start = ipol_now_ns(), c0 = ipol_thread_cpu_ns(), c1, c2;
	int ret;

	/*
	 * A poll is a driver section (reap, refill, transmit) and an
	 * instrument section (the device, then the probe), each contiguous,
	 * so the thread CPU clock is read twice per poll: the read is a
	 * system call of a few microseconds on some machines.
	 */
	ret = rx_refill(q);
	while (!ret && q->done < q->quota && !q->nic->stop) {
		uint64_t h0 = 0, m0 = 0, h1, m1, reaped = 0;

		ret = driver_xmit(q, cfg->budget);
		c1 = ipol_thread_cpu_ns();
		q->drv_cpu_ns += c1 - c0;
		if (ret)
			break;
		if (q->have_iotlb)
			ipol_env_iotlb(&q->nic->env, &h0, &m0);
		ret = device_run(q);
		if (q->have_iotlb && ipol_env_iotlb(&q->nic->env, &h1, &m1)) {
			q->iotlb_hits += h1 - h0;
			q->iotlb_misses += m1 - m0;
		}
		if (!ret && q->probe) {
			ret = ipol_probe_step(q->probe, &q->nic->env, cfg->probe_budget);
			if (ret)
				q->why = "probing a stale IOVA";
		}
		c2 = ipol_thread_cpu_ns();
		q->aside_cpu_ns += c2 - c1;
		c0 = c2;
		if (ret)
			break;
		ret = driver_reap(q, &reaped);
		q->done += reaped;
		if (q->done - reaped >= q->warm)
			q->measured += reaped;
		ipol_progress_add(q->nic->prog, reaped);
		if (q->done >= q->warm && q->done - reaped < q->warm) {
			/* Warm-up over: rings full, buffers, table pages and
			 * IOVA caches in place.  Measure from here. */
			c0 = ipol_thread_cpu_ns();
			q->drv_cpu_ns = 0;
			q->map_ns = q->unmap_ns = q->map_timed = q->unmap_timed = 0;
			q->iotlb_hits = q->iotlb_misses = 0;
		}
	}
	q->drv_cpu_ns += ipol_thread_cpu_ns() - c0;
	q->wall_ns = ipol_now_ns() - start;
	if (ret) {
		q->err = ret;
		q->nic->stop = 1;
	}
	return NULL;
}

/* Unmap whatever is still posted and give every buffer back. */
static void queue_teardown(struct queue *q)
{
	struct ipol_env *env = &q->nic->env;
	unsigned int i;
	size_t k;

	if (env->dma) {
		for (; q->tx.tail != q->tx.head; q->tx.tail++) {
			struct slot *s = &q->tx.s[q->tx.tail % q->tx.size];

			liommu_dma_unmap(env->dma, s->iova, s->len, LIOMMU_DMA_TO_DEVICE);
			buf_put(q, s->pages, s->pa);
		}
		for (; q->rx.tail != q->rx.head; q->rx.tail++) {
			struct slot *s = &q->rx.s[q->rx.tail % q->rx.size];

			liommu_dma_unmap(env->dma, s->iova, s->len, LIOMMU_DMA_FROM_DEVICE);
			buf_put(q, s->pages, s->pa);
		}
	}
	for (i = 0; i <= NR_CLASSES; i++) {
		for (k = 0; k < q->pools[i].n; k++)
			ipol_env_buf_free(env, q->pools[i].pa[k], (uint64_t)i * PAGE);
		free(q->pools[i].pa);
	}
	free(q->rx.s);
	free(q->tx.s);
	free(q->arrivals);
	free(q->scratch);
	ipol_probe_free(q->probe);
}

static int queue_init(struct nic *nic, struct queue *q, unsigned int id,
		      uint64_t quota)
{
	const struct ipol_nic_config *cfg = nic->cfg;
	size_t scratch = IPOL_TX_MAX > cfg->buffer ? IPOL_TX_MAX : cfg->buffer;

	q->nic = nic;
	q->id = id;
	q->quota = quota;
	q->warm = quota / 4 < 2ull * cfg->ring ? quota / 4 : 2ull * cfg->ring;
	/* Distinct, reproducible streams per queue. */
	q->rng = cfg->seed * 0x9e3779b97f4a7c15ull + id + 1;
	q->rx.size = q->tx.size = cfg->ring;
	q->rx.s = calloc(cfg->ring, sizeof(struct slot));
	q->tx.s = calloc(cfg->ring, sizeof(struct slot));
	q->arr_cap = 2 * IPOL_MAX_BURST + cfg->budget;
	q->arrivals = calloc(q->arr_cap, sizeof(uint32_t));
	q->scratch = calloc(1, scratch);
	if (!q->rx.s || !q->tx.s || !q->arrivals || !q->scratch)
		return -ENOMEM;
	if (cfg->probe_budget)
		return ipol_probe_new(cfg->probe_watch, &q->probe);
	return 0;
}

/*
 * The wake-up lateness watcher: sleep to absolute deadlines WATCH_PERIOD_NS
 * apart and keep the worst delay between a deadline and the wake-up.  A
 * strategy's reclaimer thread sleeps the same way, so this is how late it
 * may have run: the scheduling latency its time bound is promised up to.
 */
static void *sched_watch(void *arg)
{
	struct nic *nic = arg;
	struct timespec ts;
	uint64_t next = nic->watch_next, now;

	while (!nic->watch_stop) {
		next += WATCH_PERIOD_NS;
		nic->watch_next = next;
		ts.tv_sec = (time_t)(next / 1000000000u);
		ts.tv_nsec = (long)(next % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = ipol_now_ns();
		if (now > next && now - next > nic->late_max_ns)
			nic->late_max_ns = now - next;
		if (now > next + WATCH_PERIOD_NS)
			next = now;	/* do not replay missed periods */
	}
	return NULL;
}

/*
 * Stop the watcher.  A deadline already past that it has not woken up for
 * (or a watcher that never got to run) is lateness too.
 */
static uint64_t sched_watch_stop(struct nic *nic, pthread_t thread)
{
	uint64_t now = ipol_now_ns(), deadline = nic->watch_next;
	uint64_t pending = now > deadline ? now - deadline : 0;

	nic->watch_stop = 1;
	pthread_join(thread, NULL);
	return pending > nic->late_max_ns ? pending : nic->late_max_ns;
}

void ipol_result_verdict(struct ipol_result *res)
{
	const struct liommu_dma_bound *b = &res->st.bound;
	uint64_t slack = res->late_known ? res->late_ns : 0;

	/* The reclaimer's own lateness (liommu_dma_stats): also a preempted
	 * lock holder it waited for, which a sleeping watcher cannot see. */
	if (res->st.reclaim_late_ns > slack)
		slack = res->st.reclaim_late_ns;

	if (!res->probed || b->unbounded) {
		res->verdict = IPOL_BOUND_NA;
		return;
	}
	res->verdict = IPOL_BOUND_OK;
	/* No stale window promised: any stale DMA breaks it. */
	if (!b->count && !b->time_ns && res->exp.stale_dmas)
		res->verdict = IPOL_BOUND_BROKEN;
	/* The count bound is exact. */
	if (res->exp.max_stale > b->count * (b->queues ? b->queues : 1))
		res->verdict = IPOL_BOUND_BROKEN;
	if (res->verdict == IPOL_BOUND_BROKEN || res->exp.max_ns <= b->time_ns)
		return;
	/* The time bound holds up to the reclaimer's scheduling latency
	 * (liommu/dma.h), measured in the same run by sched_watch() and by
	 * the reclaimer itself. */
	res->verdict = res->exp.max_ns <= b->time_ns + slack ? IPOL_BOUND_LATE
							     : IPOL_BOUND_BROKEN;
}

/* Physical memory the run needs: RX rings, TX buffers in flight, slack. */
static uint64_t mem_needed(const struct ipol_nic_config *cfg)
{
	uint64_t rx = (uint64_t)cfg->ring * pages_of(cfg->buffer) * PAGE;
	/* at most a poll's worth of TX buffers of each size is in flight */
	uint64_t tx = (uint64_t)(cfg->budget + IPOL_MAX_BURST) *
		      (NR_CLASSES * (NR_CLASSES + 1) / 2) * PAGE;
	uint64_t total = (64ull << 20) + cfg->threads * (rx + tx);

	return (total + (2u << 20) - 1) & ~((2ull << 20) - 1);
}

int ipol_nic_run(const struct ipol_nic_config *cfg, const struct ipol_workload *wl,
		 enum liommu_dma_strategy strategy, struct ipol_progress *prog,
		 struct ipol_result *res, const char **why)
{
	struct ipol_env_config ec = {
		.kind = cfg->platform,
		.strategy = strategy,
		.knobs = cfg->knobs,
		.mem_size = mem_needed(cfg),
	};
	struct nic nic = { .cfg = cfg, .wl = wl, .prog = prog };
	struct ipol_probe **probes = NULL;
	uint64_t cpu0, cpu1, hits = 0, misses = 0, h, m;
	uint64_t max_busy = 0, aside_cpu = 0, map_timed = 0, unmap_timed = 0;
	uint64_t map_ns = 0, unmap_ns = 0, done = 0, measured = 0, wall = 0;
	pthread_t watcher;
	bool have_iotlb, watching = false;
	unsigned int i, started = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	snprintf(res->workload, sizeof(res->workload), "%s", wl->name);
	res->strategy = strategy;
	if (cfg->platform == IPOL_PLATFORM_QEMU)
		ec.mem_size *= 2;	/* the data region is half of RAM */

	ret = ipol_env_new(&ec, &nic.env, why);
	if (ret)
		return ret;
	nic.q = calloc(cfg->threads, sizeof(*nic.q));
	probes = calloc(cfg->threads, sizeof(*probes));
	if (!nic.q || !probes) {
		*why = "allocating queues";
		ret = -ENOMEM;
		goto out;
	}
	have_iotlb = ipol_env_iotlb(&nic.env, &h, &m);
	for (i = 0; i < cfg->threads; i++) {
		uint64_t quota = cfg->packets / cfg->threads +
				 (i < cfg->packets % cfg->threads);

		nic.q[i].have_iotlb = have_iotlb;
		ret = queue_init(&nic, &nic.q[i], i, quota);
		if (ret) {
			*why = "allocating queues";
			goto out_queues;
		}
	}

	/* Without the watcher no time bound can be judged, but the run is
	 * still worth having: its failure is not fatal. */
	nic.watch_next = ipol_now_ns();
	watching = !pthread_create(&watcher, NULL, sched_watch, &nic);
	cpu0 = ipol_process_cpu_ns();
	for (i = 0; i < cfg->threads; i++) {
		ret = pthread_create(&nic.q[i].thread, NULL, queue_main, &nic.q[i]);
		if (ret) {
			ret = -ret;
			*why = "starting a queue thread";
			nic.stop = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(nic.q[i].thread, NULL);
	cpu1 = ipol_process_cpu_ns();
	if (ret)
		goto out_queues;

	for (i = 0; i < cfg->threads; i++) {
		struct queue *q = &nic.q[i];
		uint64_t busy = q->drv_cpu_ns;

		if (q->err) {
			ret = q->err;
			*why = q->why ? q->why : "running a queue";
			goto out_queues;
		}
		if (busy > max_busy)
			max_busy = busy;
		if (q->wall_ns > wall)
			wall = q->wall_ns;
		aside_cpu += q->aside_cpu_ns;
		map_timed += q->map_timed;
		unmap_timed += q->unmap_timed;
		map_ns += q->map_ns;
		unmap_ns += q->unmap_ns;
		done += q->done;
		measured += q->measured;
		hits += q->iotlb_hits;
		misses += q->iotlb_misses;
	}
	/* The measurement ends here; what follows is bookkeeping. */
	liommu_dma_get_stats(nic.env.dma, &res->st);
	for (i = 0; i < cfg->threads; i++) {
		if (!nic.q[i].probe)
			continue;
		ret = ipol_probe_finish(nic.q[i].probe, &nic.env);
		if (ret) {
			*why = "probing a stale IOVA";
			goto out_queues;
		}
		probes[i] = nic.q[i].probe;
	}
	if (watching) {
		res->late_ns = sched_watch_stop(&nic, watcher);
		res->late_known = true;
		watching = false;
	}
	if (cfg->probe_budget) {
		ipol_probe_summary(probes, cfg->threads, &res->exp);
		res->probed = true;
	}

	res->packets = done;
	res->wall_s = wall / 1e9;
	res->busy_s = max_busy / 1e9;
	/* The slowest queue sets the rate, over what every queue measured. */
	res->pps = max_busy ? measured / (max_busy / 1e9) : 0;
	res->cpu_ns_per_pkt = done && cpu1 - cpu0 > aside_cpu ?
			      (double)(cpu1 - cpu0 - aside_cpu) / done : 0;
	res->map_ns = map_timed ? (double)map_ns / map_timed : 0;
	res->unmap_ns = unmap_timed ? (double)unmap_ns / unmap_timed : 0;
	res->inval_per_pkt = done ? (double)res->st.inv_waits / done : 0;
	res->iotlb_hit_rate = NAN;
	if (have_iotlb && hits + misses)
		res->iotlb_hit_rate = (double)hits / (double)(hits + misses);
	res->peak_pinned_bytes = res->st.peak_pinned_pages * PAGE;
	res->peak_mapped_bytes = res->st.peak_mapped_pages * PAGE;
	res->pt_bytes = res->st.table_pages * PAGE;
	ipol_result_verdict(res);
	ret = 0;

out_queues:
	if (watching)
		sched_watch_stop(&nic, watcher);
	for (i = 0; i < cfg->threads; i++)
		if (nic.q[i].nic)
			queue_teardown(&nic.q[i]);
out:
	free(probes);
	free(nic.q);
	ipol_env_free(&nic.env);
	return ret;
}
