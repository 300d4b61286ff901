// SPDX-License-Identifier: MIT
/*
 * sidecore.c - one thread that polls many instances' register pages
 * (liommu/viommu.h, "The sidecore").  It owns the thread, the list of
 * instances it serves (touched by that thread only; other threads ask
 * it to change the list and wait for the answer) and the idle back-off.
 * What a pass does to one instance is mmio.c's liommu__viommu_instance_poll().
 *
 * Cost of an idle VM: one pass loads each watched register of its page
 * and compares it with the value last seen (regpage.c), plus one load of
 * the model's register change count and two of its event slots; no
 * store to a shared line, no lock.  bench/bench-viommu measures it.
 *
 * Waking: the thread sleeps on a condition variable with a timeout (the
 * wake-up bound).  A kick sets a flag and signals only when the thread
 * says it sleeps; both are sequentially consistent, so either the thread
 * sees the flag before it waits, or the kicker sees it sleeping and
 * signals under the mutex.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBNUMA
#include <numa.h>
#endif

#include "instance.h"

#define SC_DEFAULT_SPIN_NS	50000ull
#define SC_DEFAULT_SLEEP_MIN_NS	1000ull
#define SC_DEFAULT_SLEEP_MAX_NS	1000000ull
#define SC_DEFAULT_SWEEP	4096u
/* One pass in this many is timed (a power of two). */
#define SC_SAMPLE		64u

enum sc_req { SC_REQ_NONE, SC_REQ_ADD, SC_REQ_REMOVE, SC_REQ_STOP };

struct liommu_sidecore {
	struct liommu_sidecore_config cfg;
	pthread_t th;

	/* Requests from other threads and the sleep: under @lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC; the thread sleeps here */
	pthread_cond_t done_cond;	/* requesters wait here */
	enum sc_req req;
	struct liommu_viommu *req_v;
	int req_ret;
	bool req_done;
	/* Read by the thread every pass: a line of its own, written only
	 * when a request is posted. */
	_Atomic bool req_pending __attribute__((aligned(64)));
	/* Kicks: written by any thread (a guest platform kicks on every
	 * register store), so away from what the thread polls. */
	_Atomic bool sleeping __attribute__((aligned(64)));
	_Atomic bool kicked;

	/* The thread's own: the instances it serves. */
	struct liommu_viommu **list;
	unsigned int n, cap;
	int node;			/* where @list lives, -1 without libnuma */

	/* Statistics: written by the thread only, read by anyone. */
	_Atomic uint64_t passes __attribute__((aligned(64)));
	_Atomic uint64_t busy_passes, requests, sleeps, kicks, sleep_ns;
	_Atomic uint64_t backoff_requests, backoff_wait_ns, backoff_wait_max_ns, scan_ns;
	_Atomic unsigned int ninst;
	_Atomic int cpu_now, node_now;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Add to a counter only the thread writes: no locked RMW. */
static inline void sc_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void sc_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ------------------------------------------------------------------ */
/* Memory on the thread's node                                         */
/* ------------------------------------------------------------------ */

static int sc_numa_node(int cpu)
{
#ifdef HAVE_LIBNUMA
	if (cpu >= 0 && numa_available() >= 0)
		return numa_node_of_cpu(cpu);
#endif
	(void)cpu;
	return -1;
}

static void *sc_alloc(int node, size_t size)
{
#ifdef HAVE_LIBNUMA
	if (node >= 0)
		return numa_alloc_onnode(size, node);
#endif
	(void)node;
	return malloc(size);
}

static void sc_free_mem(int node, void *p, size_t size)
{
#ifdef HAVE_LIBNUMA
	if (node >= 0) {
		if (p)
			numa_free(p, size);
		return;
	}
#endif
	(void)node;
	(void)size;
	free(p);
}

/* ------------------------------------------------------------------ */
/* The thread                                                          */
/* ------------------------------------------------------------------ */

static void sc_where(struct liommu_sidecore *sc)
{
	int cpu = sched_getcpu();

	atomic_store_explicit(&sc->cpu_now, cpu, memory_order_relaxed);
	atomic_store_explicit(&sc->node_now, sc_numa_node(cpu), memory_order_relaxed);
}

static int sc_list_add(struct liommu_sidecore *sc, struct liommu_viommu *v)
{
	if (sc->n == sc->cap) {
		unsigned int cap = sc->cap ? sc->cap * 2 : 16;
		struct liommu_viommu **l = sc_alloc(sc->node, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		if (sc->n)
			memcpy(l, sc->list, sc->n * sizeof(*l));
		sc_free_mem(sc->node, sc->list, sc->cap * sizeof(*l));
		sc->list = l;
		sc->cap = cap;
	}
	sc->list[sc->n++] = v;
	return 0;
}

static int sc_list_remove(struct liommu_sidecore *sc, struct liommu_viommu *v)
{
	unsigned int i;

	for (i = 0; i < sc->n; i++)
		if (sc->list[i] == v) {
			/* A last pass: what the guest wrote is forwarded and
			 * what the unit changed is published. */
			liommu__viommu_instance_poll(v);
			sc->list[i] = sc->list[--sc->n];
			return 0;
		}
	return -ENOENT;
}

/* Serve the pending request; the requester collects the answer and
 * frees the slot.  Return: true to stop. */
static bool sc_serve_request(struct liommu_sidecore *sc)
{
	bool stop = false;

	pthread_mutex_lock(&sc->lock);
	if (!sc->req_done) {
		switch (sc->req) {
		case SC_REQ_ADD:
			sc->req_ret = sc_list_add(sc, sc->req_v);
			break;
		case SC_REQ_REMOVE:
			sc->req_ret = sc_list_remove(sc, sc->req_v);
			break;
		case SC_REQ_STOP:
			stop = true;
			sc->req_ret = 0;
			break;
		default:
			break;
		}
		sc->req_done = true;
	}
	atomic_store_explicit(&sc->ninst, sc->n, memory_order_relaxed);
	atomic_store(&sc->req_pending, false);
	pthread_cond_broadcast(&sc->done_cond);
	pthread_mutex_unlock(&sc->lock);
	return stop;
}

static void sc_sweep(struct liommu_sidecore *sc)
{
	unsigned int i;

	for (i = 0; i < sc->n; i++)
		liommu__viommu_regpage_sweep(&sc->list[i]->rp);
}

/* Sleep up to @ns unless kicked or asked.  Return: true when kicked. */
static bool sc_sleep(struct liommu_sidecore *sc, uint64_t ns)
{
	struct timespec ts;
	uint64_t t;
	bool kicked;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (uint64_t)ts.tv_nsec + ns;
	ts.tv_sec += (time_t)(t / 1000000000ull);
	ts.tv_nsec = (long)(t % 1000000000ull);
	pthread_mutex_lock(&sc->lock);
	atomic_store(&sc->sleeping, true);
	if (!atomic_load(&sc->kicked) && !atomic_load(&sc->req_pending))
		pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
	atomic_store(&sc->sleeping, false);
	pthread_mutex_unlock(&sc->lock);
	kicked = atomic_exchange(&sc->kicked, false);
	return kicked;
}

/*
 * The loop.  Clock reads cost more than an idle pass where the clock is
 * not a plain TSC read (30 ns in a paravirtualised guest, measured by
 * bench-viommu), so an idle pass reads none: every SC_SAMPLE-th pass is
 * timed (scan_ns adds that sample SC_SAMPLE times: the cost per idle VM
 * is an average over many passes anyway) and only then are the spin
 * window and the yield decided.  A busy pass reads the clock once, for
 * the spin window and the back-off statistics.
 */
static void *sc_thread(void *arg)
{
	struct liommu_sidecore *sc = arg;
	uint64_t last_busy = now_ns(), sleep_cur = sc->cfg.sleep_min_ns, slept_at = 0;
	unsigned int sweep = 0, pass = 0, i;
	bool woke = false;

	sc_where(sc);
	for (;;) {
		uint64_t t0 = 0, t1, busy = 0;
		bool sample = !(++pass & (SC_SAMPLE - 1)) || woke;

		if (atomic_load_explicit(&sc->req_pending, memory_order_acquire) &&
		    sc_serve_request(sc))
			break;
		if (sample)
			t0 = now_ns();
		for (i = 0; i < sc->n; i++)
			busy += liommu__viommu_instance_poll(sc->list[i]);
		sc_add(&sc->passes, 1);
		if (++sweep >= sc->cfg.sweep_passes) {
			sweep = 0;
			sc_sweep(sc);
		}
		if (!busy && !sample) {
			sc_relax();
			continue;
		}
		t1 = now_ns();
		if (sample)
			sc_add(&sc->scan_ns, (t1 - t0) * (woke ? 1 : SC_SAMPLE));
		if (busy) {
			sc_add(&sc->busy_passes, 1);
			sc_add(&sc->requests, busy);
			if (woke) {
				uint64_t w = t1 - slept_at;

				sc_add(&sc->backoff_requests, 1);
				sc_add(&sc->backoff_wait_ns, w);
				if (w > atomic_load_explicit(&sc->backoff_wait_max_ns,
							     memory_order_relaxed))
					atomic_store_explicit(&sc->backoff_wait_max_ns, w,
							      memory_order_relaxed);
			}
			last_busy = t1;
			sleep_cur = sc->cfg.sleep_min_ns;
			woke = false;
			continue;
		}
		woke = false;
		if (t1 - last_busy < sc->cfg.spin_ns) {
			/* A guest vCPU that shares this CPU (an overcommitted
			 * or shared host) must get to run while we spin, or
			 * its next request waits for our sleep: after a short
			 * idle stretch, yield at each sample.  A steady stream
			 * of requests never meets a yield. */
			if (t1 - last_busy > sc->cfg.spin_ns / 8)
				sched_yield();
			continue;
		}
		/* Going idle: repair the pages once, then sleep. */
		sc_sweep(sc);
		sc_where(sc);
		slept_at = now_ns();
		if (sc_sleep(sc, sleep_cur)) {
			sc_add(&sc->kicks, 1);
			sleep_cur = sc->cfg.sleep_min_ns;
		} else if (sleep_cur < sc->cfg.sleep_max_ns) {
			sleep_cur *= 2;
			if (sleep_cur > sc->cfg.sleep_max_ns)
				sleep_cur = sc->cfg.sleep_max_ns;
		}
		sc_add(&sc->sleeps, 1);
		sc_add(&sc->sleep_ns, now_ns() - slept_at);
		woke = true;
	}
	/* Stopping: a final pass, so every write seen is forwarded. */
	for (i = 0; i < sc->n; i++)
		liommu__viommu_instance_poll(sc->list[i]);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Public calls                                                        */
/* ------------------------------------------------------------------ */

void liommu_sidecore_config_default(struct liommu_sidecore_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpu = -1;
	cfg->spin_ns = SC_DEFAULT_SPIN_NS;
	cfg->sleep_min_ns = SC_DEFAULT_SLEEP_MIN_NS;
	cfg->sleep_max_ns = SC_DEFAULT_SLEEP_MAX_NS;
	cfg->sweep_passes = SC_DEFAULT_SWEEP;
}

/*
 * @cpu as a set: that CPU, or (-1) every CPU the process's main thread
 * may run on (the caller's own affinity may be narrower: a hypervisor
 * thread pinned elsewhere).  Whether the process may use @cpu at all is
 * the kernel's answer when the thread is placed there (its cpuset).
 */
static int sc_cpuset(int cpu, cpu_set_t *set)
{
	if (cpu < 0) {
		if (sched_getaffinity(getpid(), sizeof(*set), set))
			return -errno;
		return 0;
	}
	if (cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(set);
	CPU_SET(cpu, set);
	return 0;
}

int liommu_sidecore_new(const struct liommu_sidecore_config *cfg, struct liommu_sidecore **out)
{
	struct liommu_sidecore *sc;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	cpu_set_t set;
	int ret;

	if (!out)
		return -EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	liommu_sidecore_config_default(&sc->cfg);
	if (cfg) {
		sc->cfg.cpu = cfg->cpu;
		if (cfg->spin_ns)
			sc->cfg.spin_ns = cfg->spin_ns;
		if (cfg->sleep_min_ns)
			sc->cfg.sleep_min_ns = cfg->sleep_min_ns;
		if (cfg->sleep_max_ns)
			sc->cfg.sleep_max_ns = cfg->sleep_max_ns;
		if (cfg->sweep_passes)
			sc->cfg.sweep_passes = cfg->sweep_passes;
	}
	if (sc->cfg.sleep_min_ns > sc->cfg.sleep_max_ns)
		sc->cfg.sleep_min_ns = sc->cfg.sleep_max_ns;
	ret = sc_cpuset(sc->cfg.cpu, &set);
	if (ret)
		goto err_free;
	sc->node = sc_numa_node(sc->cfg.cpu);
	atomic_store(&sc->cpu_now, -1);
	atomic_store(&sc->node_now, -1);
	pthread_mutex_init(&sc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sc->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&sc->done_cond, NULL);
	pthread_attr_init(&ta);
	/* Started on its CPU, so its first allocations are local. */
	pthread_attr_setaffinity_np(&ta, sizeof(set), &set);
	ret = -pthread_create(&sc->th, &ta, sc_thread, sc);
	pthread_attr_destroy(&ta);
	if (ret)
		goto err_sync;
	*out = sc;
	return 0;

err_sync:
	pthread_cond_destroy(&sc->done_cond);
	pthread_cond_destroy(&sc->cond);
	pthread_mutex_destroy(&sc->lock);
err_free:
	free(sc);
	return ret;
}

/* Post a request and wait for the thread's answer (one at a time). */
static int sc_request(struct liommu_sidecore *sc, enum sc_req r, struct liommu_viommu *v)
{
	int ret;

	pthread_mutex_lock(&sc->lock);
	while (sc->req != SC_REQ_NONE)
		pthread_cond_wait(&sc->done_cond, &sc->lock);
	sc->req = r;
	sc->req_v = v;
	sc->req_done = false;
	atomic_store(&sc->req_pending, true);
	pthread_cond_signal(&sc->cond);
	while (!sc->req_done)
		pthread_cond_wait(&sc->done_cond, &sc->lock);
	ret = sc->req_ret;
	sc->req = SC_REQ_NONE;
	pthread_cond_broadcast(&sc->done_cond);
	pthread_mutex_unlock(&sc->lock);
	return ret;
}

void liommu_sidecore_free(struct liommu_sidecore *sc)
{
	unsigned int i;

	if (!sc)
		return;
	sc_request(sc, SC_REQ_STOP, NULL);
	pthread_join(sc->th, NULL);
	/* Instances still listed are no longer served. */
	for (i = 0; i < sc->n; i++)
		atomic_store(&sc->list[i]->sc, NULL);
	sc_free_mem(sc->node, sc->list, sc->cap * sizeof(*sc->list));
	pthread_cond_destroy(&sc->done_cond);
	pthread_cond_destroy(&sc->cond);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

int liommu_sidecore_add(struct liommu_sidecore *sc, struct liommu_viommu *v)
{
	struct liommu_sidecore *none = NULL;
	int ret;

	if (!sc || !v || v->cfg.mode != LIOMMU_VIOMMU_SIDECORE)
		return -EINVAL;
	if (!atomic_compare_exchange_strong(&v->sc, &none, sc))
		return -EBUSY;
	ret = sc_request(sc, SC_REQ_ADD, v);
	if (ret)
		atomic_store(&v->sc, NULL);
	return ret;
}

int liommu_sidecore_remove(struct liommu_sidecore *sc, struct liommu_viommu *v)
{
	int ret;

	if (!sc || !v)
		return -EINVAL;
	if (atomic_load(&v->sc) != sc)
		return -ENOENT;
	ret = sc_request(sc, SC_REQ_REMOVE, v);
	if (!ret)
		atomic_store(&v->sc, NULL);
	return ret;
}

void liommu_sidecore_kick(struct liommu_sidecore *sc)
{
	if (!sc)
		return;
	/* Store only when not set already: a polling thread's line is then
	 * only read by kickers.  The fence orders the flag before the load
	 * of @sleeping (the thread orders them the other way, sc_sleep()). */
	if (!atomic_load_explicit(&sc->kicked, memory_order_relaxed))
		atomic_store_explicit(&sc->kicked, true, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&sc->sleeping)) {
		pthread_mutex_lock(&sc->lock);
		pthread_cond_signal(&sc->cond);
		pthread_mutex_unlock(&sc->lock);
	}
}

int liommu_sidecore_set_cpu(struct liommu_sidecore *sc, int cpu)
{
	cpu_set_t set;
	int ret;

	if (!sc)
		return -EINVAL;
	ret = sc_cpuset(cpu, &set);
	if (ret)
		return ret;
	ret = -pthread_setaffinity_np(sc->th, sizeof(set), &set);
	if (!ret) {
		sc->cfg.cpu = cpu;
		liommu_sidecore_kick(sc);
	}
	return ret;
}

void liommu_sidecore_get_stats(struct liommu_sidecore *sc, struct liommu_sidecore_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!sc)
		return;
#define LD(f) atomic_load_explicit(&sc->f, memory_order_relaxed)
	st->passes = LD(passes);
	st->busy_passes = LD(busy_passes);
	st->requests = LD(requests);
	st->sleeps = LD(sleeps);
	st->kicks = LD(kicks);
	st->sleep_ns = LD(sleep_ns);
	st->backoff_requests = LD(backoff_requests);
	st->backoff_wait_ns = LD(backoff_wait_ns);
	st->backoff_wait_max_ns = LD(backoff_wait_max_ns);
	st->scan_ns = LD(scan_ns);
	st->instances = LD(ninst);
	st->cpu = LD(cpu_now);
	st->node = LD(node_now);
#undef LD
}
