// SPDX-License-Identifier: MIT
/*
 * bench-viommu.c - the vIOMMU engine (liommu/viommu.h): what a guest pays
 * for its IOMMU when a sidecore polls its register page, against floors
 * and trap analogues measured in the same run.
 *
 * The guest is libiommu's own driver on the engine's guest platform
 * (tests/check-viommu-e2e.c's fixture); the guest thread is pinned to
 * CPU 0 and the sidecore (or the I/O thread of the eventfd analogue) to
 * CPU 1.  Four groups of figures, each min / median / max over --reps
 * runs, the kinds interleaved so drift hits them alike:
 *
 * 1. Request round trip: the guest writes one wait descriptor (status
 *    write, no fence) into its invalidation queue in guest RAM, stores
 *    IQT, and spins on the status word.
 *      pingpong     floor: two threads on CPU 0 and CPU 1 hand one cache
 *                   line there and back (one full round trip);
 *      sidecore     the IQT store is a plain store to the register page
 *                   (what a guest does), the sidecore's pass forwards it;
 *      sc-driver    the same through the driver:
 *                   liommu_unit_invalidate_iotlb_all() (a global IOTLB
 *                   descriptor + a fenced wait, the guest platform's
 *                   register ops, which kick the sidecore on each write);
 *      trap-call    a TRAP instance, liommu_viommu_mmio_write() called
 *                   directly: the engine's own work with no exit at all;
 *      trap-sigsegv the IQT store goes to a PROT_NONE page; the SIGSEGV
 *                   handler decodes the faulting store (the bench emits
 *                   it as `mov %rax,(%rdx)`, so the handler knows its
 *                   length and source register), calls
 *                   liommu_viommu_mmio_write() on a TRAP instance and
 *                   skips the instruction: a VM exit's analogue, in the
 *                   faulting thread as KVM's is;
 *      trap-eventfd the guest writes an eventfd, an I/O thread on CPU 1
 *                   blocked in read() calls liommu_viommu_mmio_write()
 *                   and writes a reply eventfd the guest blocks on
 *                   (ioeventfd + a userspace device model's analogue).
 *    Each request is timed (less the cost of one clock read): a run
 *    gives its mean request and its median request (p50); the mean
 *    carries every preemption of either thread on a shared machine, the
 *    p50 what an undisturbed request costs.  Ratios: sidecore /
 *    pingpong; each trap analogue / sidecore.  For the sidecore kinds:
 *    its sleeps during the run, passes per forwarded write, and its
 *    time in passes per busy pass (scan_ns / busy_passes).
 *
 * 2. Strict 4 KiB map+unmap, the guest driver's liommu_dma_map() +
 *    liommu_dma_unmap() (STRICT) over a ring of 64 buffers, the host sim
 *    and the bare sim unit both with the policy CLI's modelled
 *    invalidation latency (iommu-policy's default --inval-latency,
 *    800 ns, IPOL_INVAL_LATENCY_DEFAULT_NS) and the host teardown STRICT:
 *      bare         the same driver on a bare sim unit (floor);
 *      sidecore     the guest through a SIDECORE instance, its device
 *                   shadowed into a host domain on the host sim;
 *      trap-call    through a TRAP instance, register accesses as direct
 *                   calls (no exit cost);
 *      trap-sigsegv through a TRAP instance, every register access of the
 *                   driver (loads too) trapping through SIGSEGV as above.
 *
 * 3. Invalidations per second one sidecore sustains with 1, 4 and 16
 *    VMs: one guest thread per VM, all pinned to CPU 0 (the machine has
 *    two; the sidecore has CPU 1), each looping on
 *    liommu_unit_invalidate_iotlb_all() of its own guest unit for
 *    --inval-ms; the total per second.  Ratio: ns per invalidation
 *    (1 / rate) over the pingpong round trip.
 *
 * 4. Scan cost per idle VM: 1, 16 and 64 idle instances on one sidecore
 *    that never sleeps (spin_ns 10 s) for --scan-ms; scan_ns / passes /
 *    instances from its statistics.  Floor: the same number of loads
 *    (each watched register and the three flags a pass reads) from as
 *    many pages, compared with a saved copy, in a loop of the bench's.
 *
 *   bench-viommu [--iters N] [--pairs N] [--reps R] [--inval-ms MS]
 *                [--scan-ms MS]
 *
 * Trap analogues need x86-64 Linux (the handler decodes the store); on
 * other machines they are not measured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/platform.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#include "bench-stats.h"

#if defined(__x86_64__) && defined(__linux__)
#define HAVE_TRAP 1
#else
#define HAVE_TRAP 0
#endif

#define MAX_REPS	101
#define PG		4096ull
#define RAM_SIZE	(4ull << 20)	/* guest RAM per VM: gpa 0 .. 4 MiB */
#define TABLES_GPA	(1ull << 20)	/* the guest driver's pages from here */
#define STATUS_GPA	0x1000ull	/* the bench's own wait status word */
#define BUF_GPA		0x10000ull	/* the map+unmap ring's buffers */
#define RING		64
#define HSID		0x0010
#define GSID		0x0018
#define INVAL_LATENCY_NS 800		/* tools/iommu-policy/policy.h */
#define GUEST_CPU	0
#define SC_CPU		1

static uint64_t iters = 20000;		/* round trips per run */
static uint64_t pairs = 20000;		/* map+unmap pairs per run */
static int reps = 5;
static unsigned int inval_ms = 200;
static unsigned int scan_ms = 100;
static int guest_cpu = GUEST_CPU, sc_cpu = SC_CPU;
static cpu_set_t all_cpus;		/* the process's affinity at start */

static const char *phase = "set-up";	/* what was measured, for die() */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-viommu: %s: %s: %s\n", phase, what,
		strerror(err < 0 ? -err : err));
	exit(1);
}

#define CHECK(call)                              \
	do {                                     \
		int err_ = (call);               \
		if (err_)                        \
			die(#call, err_);        \
	} while (0)

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static struct liommu_sidecore *sidecore_up(uint64_t spin_ns)
{
	struct liommu_sidecore_config c;
	struct liommu_sidecore *sc;

	cpu_set_t mine;

	liommu_sidecore_config_default(&c);
	c.cpu = sc_cpu;
	if (spin_ns)
		c.spin_ns = spin_ns;
	/* liommu_sidecore_new() checks @cpu against the calling thread's
	 * affinity (sched_getaffinity(0)), not the process's as documented:
	 * widen ours (pinned to the guest's CPU) while it starts. */
	pthread_getaffinity_np(pthread_self(), sizeof(mine), &mine);
	sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
	CHECK(liommu_sidecore_new(&c, &sc));
	pthread_setaffinity_np(pthread_self(), sizeof(mine), &mine);
	return sc;
}

/* ------------------------------------------------------------------ */
/* Trapped register accesses: a PROT_NONE page and a SIGSEGV handler   */
/* ------------------------------------------------------------------ */

static uint8_t *trap_page;			/* the guest's register window */
static struct liommu_viommu *_Atomic trap_v;	/* the TRAP instance behind it */
static _Atomic uint64_t trap_count;

#if HAVE_TRAP
/* The four instructions the handler decodes: fixed registers, so fixed
 * encodings (rax <-> (rdx)). */
static inline void trap_st64(uint32_t off, uint64_t v)
{
	__asm__ volatile("movq %0, (%1)" : : "a"(v), "d"(trap_page + off) : "memory");
}

static inline void trap_st32(uint32_t off, uint32_t v)
{
	__asm__ volatile("movl %0, (%1)" : : "a"(v), "d"(trap_page + off) : "memory");
}

static inline uint64_t trap_ld64(uint32_t off)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=a"(v) : "d"(trap_page + off) : "memory");
	return v;
}

static inline uint32_t trap_ld32(uint32_t off)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=a"(v) : "d"(trap_page + off) : "memory");
	return v;
}

/*
 * The exit handler: the fault is synchronous and never inside the
 * engine (the faulting instruction is one of the four above), so calling
 * the engine from the handler is safe here though not async-signal-safe
 * in general.
 */
static void trap_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)g[REG_RIP];
	uint8_t *a = si->si_addr;
	struct liommu_viommu *v = atomic_load_explicit(&trap_v, memory_order_relaxed);
	uint32_t off;

	if (!trap_page || a < trap_page || a >= trap_page + PG || !v) {
		signal(sig, SIG_DFL);	/* a real fault: die of it */
		return;
	}
	off = (uint32_t)(a - trap_page);
	if (ip[0] == 0x48 && ip[1] == 0x89 && ip[2] == 0x02) {
		liommu_viommu_mmio_write(v, off, 8, (uint64_t)g[REG_RAX]);
		g[REG_RIP] += 3;
	} else if (ip[0] == 0x89 && ip[1] == 0x02) {
		liommu_viommu_mmio_write(v, off, 4, (uint32_t)g[REG_RAX]);
		g[REG_RIP] += 2;
	} else if (ip[0] == 0x48 && ip[1] == 0x8b && ip[2] == 0x02) {
		g[REG_RAX] = (greg_t)liommu_viommu_mmio_read(v, off, 8);
		g[REG_RIP] += 3;
	} else if (ip[0] == 0x8b && ip[1] == 0x02) {
		g[REG_RAX] = (greg_t)(uint32_t)liommu_viommu_mmio_read(v, off, 4);
		g[REG_RIP] += 2;
	} else {
		abort();
	}
	atomic_store_explicit(&trap_count,
			      atomic_load_explicit(&trap_count, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void trap_init(void)
{
	struct sigaction sa;

	trap_page = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (trap_page == MAP_FAILED)
		die("mmap", errno);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL))
		die("sigaction", errno);
}

/* A platform whose registers trap (the driver's loads and stores go to
 * trap_page) and whose pages are the engine's guest platform's. */
static uint32_t tp_read32(void *priv, uint32_t off)
{
	(void)priv;
	return trap_ld32(off);
}

static uint64_t tp_read64(void *priv, uint32_t off)
{
	(void)priv;
	return trap_ld64(off);
}

static void tp_write32(void *priv, uint32_t off, uint32_t val)
{
	(void)priv;
	trap_st32(off, val);
}

static void tp_write64(void *priv, uint32_t off, uint64_t val)
{
	(void)priv;
	trap_st64(off, val);
}
#else
static void trap_init(void)
{
}

static void trap_st64(uint32_t off, uint64_t v)
{
	(void)off;
	(void)v;
	abort();
}
#define tp_read32 NULL
#define tp_read64 NULL
#define tp_write32 NULL
#define tp_write64 NULL
#endif

static int tp_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct liommu_platform *in = priv;

	return liommu_platform_get_ops(in)->page_alloc(liommu_platform_get_priv(in), node, va,
							pa);
}

static void tp_page_free(void *priv, void *va, uint64_t pa)
{
	struct liommu_platform *in = priv;

	liommu_platform_get_ops(in)->page_free(liommu_platform_get_priv(in), va, pa);
}

static void *tp_phys_map(void *priv, uint64_t pa, size_t len)
{
	return liommu_platform_phys_map(priv, pa, len);
}

static const struct liommu_platform_ops trap_ops = {
	.read32 = tp_read32,
	.read64 = tp_read64,
	.write32 = tp_write32,
	.write64 = tp_write64,
	.page_alloc = tp_page_alloc,
	.page_free = tp_page_free,
	.phys_map = tp_phys_map,
};

/* ------------------------------------------------------------------ */
/* A VM: guest RAM, an instance, the guest driver                      */
/* ------------------------------------------------------------------ */

/* The guest driver's bound for every wait: 10 s, not the default 1 s
 * (on this shared machine a loaded run saw waits past 1 s). */
static const struct liommu_unit_config guest_ucfg = { .timeout_us = 10000000 };

struct vm {
	uint8_t *ram;
	bool ram_owned;
	struct liommu_viommu *v;
	struct liommu_platform *gplat;	/* the engine's guest platform */
	struct liommu_platform *tplat;	/* its trapping wrapper, or NULL */
	struct liommu_unit *gunit;
	struct liommu_domain *gdom;
	struct liommu_dma *gdma;
	/* the bench's own use of the guest's queue (raw descriptors) */
	volatile uint64_t *iq;
	unsigned int entries, tail;
	uint32_t seq;
};

/*
 * @ram NULL: guest RAM of its own (host memory nothing maps for DMA);
 * otherwise host memory at @backend (the host sim's).  @trapping: the
 * driver's register accesses trap through SIGSEGV (TRAP mode only).
 */
static void vm_up(struct vm *vm, enum liommu_viommu_mode mode, uint8_t *ram, uint64_t backend,
		  bool trapping)
{
	struct liommu_viommu_config vc;
	uint64_t iqa;

	memset(vm, 0, sizeof(*vm));
	if (!ram) {
		ram = aligned_alloc(2ull << 20, RAM_SIZE);
		if (!ram)
			die("aligned_alloc", ENOMEM);
		memset(ram, 0, RAM_SIZE);
		vm->ram_owned = true;
		backend = 1ull << 32;
	}
	vm->ram = ram;
	liommu_viommu_config_default(&vc);
	vc.mode = mode;
	vc.teardown = LIOMMU_DMA_STRICT;
	CHECK(liommu_viommu_new(&vc, &vm->v));
	CHECK(liommu_viommu_mem_add(vm->v, 0, RAM_SIZE, ram, backend));
	CHECK(liommu_viommu_guest_platform_new(vm->v, TABLES_GPA, RAM_SIZE - TABLES_GPA,
					       &vm->gplat));
	if (trapping) {
		CHECK(liommu_platform_new(&trap_ops, vm->gplat, &vm->tplat));
		atomic_store(&trap_v, vm->v);
	}
	/* SIDECORE: the driver's set-up waits for GSTS, so a temporary
	 * sidecore serves it. */
	if (mode == LIOMMU_VIOMMU_SIDECORE) {
		struct liommu_sidecore *sc = sidecore_up(0);

		CHECK(liommu_sidecore_add(sc, vm->v));
		CHECK(liommu_unit_new(vm->gplat, &guest_ucfg, &vm->gunit));
		CHECK(liommu_sidecore_remove(sc, vm->v));
		liommu_sidecore_free(sc);
	} else {
		CHECK(liommu_unit_new(vm->tplat ? vm->tplat : vm->gplat, &guest_ucfg, &vm->gunit));
	}
	iqa = liommu_viommu_mmio_read(vm->v, VTD_IQA_REG, 8);
	vm->iq = (volatile uint64_t *)(void *)(ram + (iqa & VTD_IQA_IQA));
	vm->entries = 256u << vtd_field_get(VTD_IQA_QS, iqa);
	vm->tail = (unsigned int)vtd_field_get(VTD_IQ_QT,
					       liommu_viommu_mmio_read(vm->v, VTD_IQT_REG, 8));
}

/* The instance must not be served; SIDECORE: a temporary sidecore serves
 * the driver's teardown (detach, the final queue drain). */
static void vm_down(struct vm *vm)
{
	struct liommu_sidecore *sc = NULL;

	if (liommu_viommu_regs_page(vm->v)) {
		sc = sidecore_up(0);
		CHECK(liommu_sidecore_add(sc, vm->v));
	}
	liommu_dma_free(vm->gdma);
	liommu_domain_free(vm->gdom);
	liommu_unit_free(vm->gunit);
	if (sc) {
		CHECK(liommu_sidecore_remove(sc, vm->v));
		liommu_sidecore_free(sc);
	}
	if (vm->tplat) {
		liommu_platform_free(vm->tplat);
		atomic_store(&trap_v, NULL);
	}
	liommu_platform_free(vm->gplat);
	liommu_viommu_free(vm->v);
	if (vm->ram_owned)
		free(vm->ram);
}

static volatile uint32_t *vm_status(struct vm *vm)
{
	return (volatile uint32_t *)(void *)(vm->ram + STATUS_GPA);
}

/* Put a wait descriptor (status write of a fresh value) at the tail.
 * Return: the IQT value that submits it. */
static uint64_t vm_queue_wait(struct vm *vm)
{
	struct vtd_inv_desc d;

	if (!++vm->seq)
		++vm->seq;
	d = vtd_inv_wait(true, vm->seq, STATUS_GPA, false, false);
	vm->iq[2 * vm->tail] = d.lo;
	vm->iq[2 * vm->tail + 1] = d.hi;
	vm->tail = (vm->tail + 1) % vm->entries;
	return vtd_field_prep(VTD_IQ_QT, vm->tail);
}

static void vm_wait_status(struct vm *vm)
{
	while (__atomic_load_n(vm_status(vm), __ATOMIC_ACQUIRE) != vm->seq)
		relax();
}

/* ------------------------------------------------------------------ */
/* 1. Round trips                                                      */
/* ------------------------------------------------------------------ */

enum rt_kind { RT_PINGPONG, RT_SC, RT_SC_DRIVER, RT_TRAP_CALL, RT_SIGSEGV, RT_EVENTFD, NRT };

static const char *const rt_name[NRT] = {
	"pingpong", "sidecore", "sc-driver", "trap-call", "trap-sigsegv", "trap-eventfd",
};

struct pingpong {
	_Alignas(64) atomic_uint_fast64_t word;
	uint64_t n;
	pthread_barrier_t bar;
};

static void *pong(void *p)
{
	struct pingpong *pp = p;
	uint64_t i;

	pin(sc_cpu);
	pthread_barrier_wait(&pp->bar);
	for (i = 0; i < pp->n; i++) {
		while (atomic_load_explicit(&pp->word, memory_order_acquire) != 2 * i + 1)
			relax();
		atomic_store_explicit(&pp->word, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

/* Full round trips of one cache line between CPU 0 and CPU 1, each
 * timed into @samp. */
static void rt_pingpong(uint64_t n, double *samp)
{
	struct pingpong pp = { .word = 0, .n = n };
	pthread_t tid;
	uint64_t i;

	pthread_barrier_init(&pp.bar, NULL, 2);
	pthread_create(&tid, NULL, pong, &pp);
	pthread_barrier_wait(&pp.bar);
	for (i = 0; i < n; i++) {
		double t0 = now_ns();

		atomic_store_explicit(&pp.word, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&pp.word, memory_order_acquire) != 2 * i + 2)
			relax();
		samp[i] = now_ns() - t0;
	}
	pthread_join(tid, NULL);
	pthread_barrier_destroy(&pp.bar);
}

/* The eventfd analogue's I/O thread. */
struct iothread {
	int req, rep;
	struct liommu_viommu *v;
	uint32_t off;
	uint64_t val;
	bool stop;
	pthread_t th;
};

static void *io_thread(void *p)
{
	struct iothread *io = p;
	uint64_t n;

	pin(sc_cpu);
	for (;;) {
		if (read(io->req, &n, sizeof(n)) != sizeof(n))
			continue;
		if (io->stop)
			break;
		liommu_viommu_mmio_write(io->v, io->off, 8, io->val);
		n = 1;
		if (write(io->rep, &n, sizeof(n)) != sizeof(n))
			abort();
	}
	return NULL;
}

static void io_up(struct iothread *io, struct liommu_viommu *v)
{
	memset(io, 0, sizeof(*io));
	io->v = v;
	io->req = eventfd(0, 0);
	io->rep = eventfd(0, 0);
	if (io->req < 0 || io->rep < 0)
		die("eventfd", errno);
	pthread_create(&io->th, NULL, io_thread, io);
}

static void io_down(struct iothread *io)
{
	uint64_t n = 1;

	io->stop = true;
	if (write(io->req, &n, sizeof(n)) != sizeof(n))
		abort();
	pthread_join(io->th, NULL);
	close(io->req);
	close(io->rep);
}

/* One guest write through the eventfd analogue. */
static void io_write(struct iothread *io, uint32_t off, uint64_t val)
{
	uint64_t n = 1;

	io->off = off;
	io->val = val;
	if (write(io->req, &n, sizeof(n)) != sizeof(n) || read(io->rep, &n, sizeof(n)) != sizeof(n))
		abort();
}

static void rt_one(enum rt_kind k, struct vm *vm, struct iothread *io)
{
	uint64_t iqt;

	if (k == RT_SC_DRIVER) {
		CHECK(liommu_unit_invalidate_iotlb_all(vm->gunit));
		return;
	}
	iqt = vm_queue_wait(vm);
	switch (k) {
	case RT_SC:
		__atomic_store_n((uint64_t *)((char *)liommu_viommu_regs_page(vm->v) +
					      VTD_IQT_REG), iqt, __ATOMIC_RELEASE);
		break;
	case RT_TRAP_CALL:
		liommu_viommu_mmio_write(vm->v, VTD_IQT_REG, 8, iqt);
		break;
	case RT_SIGSEGV:
		trap_st64(VTD_IQT_REG, iqt);
		break;
	case RT_EVENTFD:
		io_write(io, VTD_IQT_REG, iqt);
		break;
	default:
		abort();
	}
	vm_wait_status(vm);
}

static double clock_ns;		/* one now_ns(), subtracted from each sample */

/*
 * Round trips of @k, each timed (less one clock read); the mean into
 * *@mean, the median request into *@p50.  The raw kinds submit a multiple
 * of the queue's length, so the guest driver's own tail is where it left
 * it.
 */
static void rt_measure(enum rt_kind k, struct vm *vm, struct liommu_sidecore_stats *scd,
		       double *mean, double *p50)
{
	struct liommu_sidecore *sc = NULL;
	struct liommu_sidecore_stats s0, s1;
	struct iothread io;
	uint64_t i, n = (iters + vm->entries - 1) / vm->entries * vm->entries;
	double *samp = malloc(n * sizeof(*samp)), sum = 0;

	if (!samp)
		die("malloc", ENOMEM);
	if (k == RT_PINGPONG) {
		rt_pingpong(n, samp);
		goto out;
	}
	if (k == RT_SC || k == RT_SC_DRIVER) {
		sc = sidecore_up(0);	/* the defaults: 50 us spin, then sleeps */
		CHECK(liommu_sidecore_add(sc, vm->v));
	}
	if (k == RT_SIGSEGV)
		atomic_store(&trap_v, vm->v);
	if (k == RT_EVENTFD)
		io_up(&io, vm->v);
	for (i = 0; i < vm->entries; i++)
		rt_one(k, vm, &io);
	if (sc)
		liommu_sidecore_get_stats(sc, &s0);
	for (i = 0; i < n; i++) {
		double t0 = now_ns();

		rt_one(k, vm, &io);
		samp[i] = now_ns() - t0;
	}
	if (sc) {
		liommu_sidecore_get_stats(sc, &s1);
		if (scd) {
			scd->sleeps += s1.sleeps - s0.sleeps;
			scd->requests += s1.requests - s0.requests;
			scd->passes += s1.passes - s0.passes;
			scd->busy_passes += s1.busy_passes - s0.busy_passes;
			scd->scan_ns += s1.scan_ns - s0.scan_ns;
		}
		CHECK(liommu_sidecore_remove(sc, vm->v));
		liommu_sidecore_free(sc);
	}
	if (k == RT_EVENTFD)
		io_down(&io);
	if (k == RT_SIGSEGV)
		atomic_store(&trap_v, NULL);
out:
	for (i = 0; i < n; i++) {
		samp[i] -= clock_ns;
		sum += samp[i];
	}
	*mean = sum / (double)n;
	*p50 = summarize(samp, (int)n).median;
	free(samp);
}

/* ------------------------------------------------------------------ */
/* 2. Strict map+unmap                                                 */
/* ------------------------------------------------------------------ */

enum mu_kind { MU_BARE, MU_SC, MU_TRAP_CALL, MU_SIGSEGV, NMU };

static const char *const mu_name[NMU] = { "bare", "sidecore", "trap-call", "trap-sigsegv" };

struct host {
	struct liommu_sim *sim;
	struct liommu_unit *unit;
	struct liommu_domain *dom;
	uint8_t *ram;		/* RAM_SIZE, 2 MiB aligned */
	uint64_t ram_pa;
};

static void host_up(struct host *h, uint16_t sid)
{
	struct liommu_model_config mc;
	struct liommu_sim_config hc = { .mem_size = 64ull << 20, .model = &mc };
	uint64_t pa;
	void *va;

	liommu_model_config_default(&mc);
	mc.inval_latency_ns = INVAL_LATENCY_NS;
	CHECK(liommu_sim_new(&hc, &h->sim));
	CHECK(liommu_unit_new(liommu_sim_platform(h->sim), NULL, &h->unit));
	CHECK(liommu_domain_new(h->unit, &h->dom));
	CHECK(liommu_domain_attach(h->dom, sid));
	CHECK(liommu_unit_enable_translation(h->unit));
	CHECK(liommu_sim_alloc(h->sim, RAM_SIZE + (2ull << 20), &va, &pa));
	h->ram_pa = (pa + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	h->ram = (uint8_t *)va + (h->ram_pa - pa);
	memset(h->ram, 0, RAM_SIZE);
}

static void host_down(struct host *h)
{
	liommu_domain_free(h->dom);
	liommu_unit_free(h->unit);
	liommu_sim_free(h->sim);
}

struct mu_env {
	struct host host;
	struct vm vm;		/* not MU_BARE */
	struct liommu_dma *dma;
	uint64_t ring[RING];	/* the buffers' addresses as the driver sees them */
};

static void mu_up(struct mu_env *e, enum mu_kind k)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	host_up(&e->host, k == MU_BARE ? GSID : HSID);
	if (k == MU_BARE) {
		for (i = 0; i < RING; i++)
			e->ring[i] = e->host.ram_pa + BUF_GPA + i * PG;
	} else {
		vm_up(&e->vm, k == MU_SC ? LIOMMU_VIOMMU_SIDECORE : LIOMMU_VIOMMU_TRAP, e->host.ram,
		      e->host.ram_pa, k == MU_SIGSEGV);
		CHECK(liommu_viommu_attach(e->vm.v, GSID, e->host.dom));
		for (i = 0; i < RING; i++)
			e->ring[i] = BUF_GPA + i * PG;
	}
}

/* The guest side of a viommu env needs a server for its set-up. */
static void mu_guest_up(struct mu_env *e, enum mu_kind k)
{
	struct liommu_dma_config dc = { .strategy = LIOMMU_DMA_STRICT };

	if (k == MU_BARE) {
		CHECK(liommu_dma_new(e->host.dom, &dc, &e->dma));
		return;
	}
	CHECK(liommu_domain_new(e->vm.gunit, &e->vm.gdom));
	CHECK(liommu_domain_attach(e->vm.gdom, GSID));
	CHECK(liommu_unit_enable_translation(e->vm.gunit));
	CHECK(liommu_dma_new(e->vm.gdom, &dc, &e->vm.gdma));
	e->dma = e->vm.gdma;
}

static void mu_down(struct mu_env *e, enum mu_kind k)
{
	if (k == MU_BARE)
		liommu_dma_free(e->dma);
	else
		vm_down(&e->vm);
	host_down(&e->host);
}

static uint64_t mu_loop(struct liommu_dma *dma, const uint64_t *ring, uint64_t n)
{
	uint64_t i, iova;

	for (i = 0; i < n; i++) {
		CHECK(liommu_dma_map(dma, ring[i % RING], PG, LIOMMU_DMA_BIDIRECTIONAL, &iova));
		CHECK(liommu_dma_unmap(dma, iova, PG, LIOMMU_DMA_BIDIRECTIONAL));
	}
	return n;
}

/* ns per strict map+unmap pair in a fresh environment of @k. */
static double mu_measure(enum mu_kind k, struct liommu_viommu_stats *vst)
{
	struct liommu_sidecore *sc = NULL;
	struct mu_env e;
	double t0, ns;

	mu_up(&e, k);
	if (k == MU_SC) {
		sc = sidecore_up(0);
		CHECK(liommu_sidecore_add(sc, e.vm.v));
	}
	mu_guest_up(&e, k);
	mu_loop(e.dma, e.ring, 2000);
	t0 = now_ns();
	mu_loop(e.dma, e.ring, pairs);
	ns = now_ns() - t0;
	if (vst && k != MU_BARE)
		liommu_viommu_get_stats(e.vm.v, vst);
	if (sc) {
		CHECK(liommu_sidecore_remove(sc, e.vm.v));
		liommu_sidecore_free(sc);
	}
	mu_down(&e, k);
	return ns / (double)pairs;
}

/* ------------------------------------------------------------------ */
/* 3. Invalidations per second, N VMs on one sidecore                  */
/* ------------------------------------------------------------------ */

struct inv_thread {
	struct vm *vm;
	_Atomic bool *stop;
	pthread_barrier_t *bar;
	uint64_t done;
	pthread_t th;
};

static void *inv_run(void *p)
{
	struct inv_thread *t = p;
	uint64_t n = 0;

	pin(guest_cpu);
	pthread_barrier_wait(t->bar);
	while (!atomic_load_explicit(t->stop, memory_order_relaxed)) {
		CHECK(liommu_unit_invalidate_iotlb_all(t->vm->gunit));
		n++;
	}
	t->done = n;
	return NULL;
}

/* Total invalidations (each with its wait) per second with @nvm VMs. */
static double inv_measure(struct vm *vms, unsigned int nvm)
{
	struct liommu_sidecore *sc = sidecore_up(0);
	struct inv_thread t[16];
	pthread_barrier_t bar;
	_Atomic bool stop = false;
	struct timespec d = { (time_t)(inval_ms / 1000), (long)(inval_ms % 1000) * 1000000L };
	uint64_t total = 0;
	double t0, ns;
	unsigned int i;

	for (i = 0; i < nvm; i++)
		CHECK(liommu_sidecore_add(sc, vms[i].v));
	pthread_barrier_init(&bar, NULL, nvm + 1);
	for (i = 0; i < nvm; i++) {
		t[i] = (struct inv_thread){ .vm = &vms[i], .stop = &stop, .bar = &bar };
		pthread_create(&t[i].th, NULL, inv_run, &t[i]);
	}
	pthread_barrier_wait(&bar);
	t0 = now_ns();
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < nvm; i++) {
		pthread_join(t[i].th, NULL);
		total += t[i].done;
	}
	ns = now_ns() - t0;
	pthread_barrier_destroy(&bar);
	for (i = 0; i < nvm; i++)
		CHECK(liommu_sidecore_remove(sc, vms[i].v));
	liommu_sidecore_free(sc);
	return (double)total / ns * 1e9;
}

/* ------------------------------------------------------------------ */
/* 4. Scan cost per idle VM                                            */
/* ------------------------------------------------------------------ */

#define SCAN_MAX	64
#define SCAN_LOADS	23	/* 20 watched registers (one fault record) + 3 flags */

/* ns per idle instance per pass, from the sidecore's own statistics. */
static double scan_measure(struct liommu_viommu **vs, unsigned int n)
{
	struct liommu_sidecore *sc = sidecore_up(10000000000ull);
	struct liommu_sidecore_stats s0, s1;
	struct timespec d = { (time_t)(scan_ms / 1000), (long)(scan_ms % 1000) * 1000000L };
	struct timespec w = { 0, 5000000 };
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK(liommu_sidecore_add(sc, vs[i]));
	nanosleep(&w, NULL);
	liommu_sidecore_get_stats(sc, &s0);
	nanosleep(&d, NULL);
	liommu_sidecore_get_stats(sc, &s1);
	for (i = 0; i < n; i++)
		CHECK(liommu_sidecore_remove(sc, vs[i]));
	liommu_sidecore_free(sc);
	if (s1.passes == s0.passes)
		return 0;
	return (double)(s1.scan_ns - s0.scan_ns) / (double)(s1.passes - s0.passes) / n;
}

/* The floor: per page, SCAN_LOADS loads compared with a saved copy, the
 * pass timed as the sidecore times it (two clock reads per pass). */
struct scan_floor_thread {
	uint32_t *pages[SCAN_MAX];
	uint32_t seen[SCAN_MAX][SCAN_LOADS];
	unsigned int n;
	double ns_per_vm;
};

static const uint16_t scan_off[SCAN_LOADS] = {
	0x20, 0x24, 0x90, 0x94, 0xb8, 0xbc, 0x100, 0x104, 0x3c, 0x40, 0x44, 0xa4, 0xa8, 0xac,
	0x38, 0xa0, 0x22c, 0x34, 0x9c, 0x28, 0x18, 0x88, 0x8c,
};

static void *scan_floor_run(void *p)
{
	struct scan_floor_thread *f = p;
	uint64_t passes = 0, busy = 0;
	double total = 0, end;

	pin(sc_cpu);
	end = now_ns() + scan_ms * 1e6;
	for (;;) {
		double t0 = now_ns(), t1;
		unsigned int i, j;

		for (i = 0; i < f->n; i++)
			for (j = 0; j < SCAN_LOADS; j++)
				busy += __atomic_load_n(&f->pages[i][scan_off[j] / 4],
							__ATOMIC_RELAXED) != f->seen[i][j];
		t1 = now_ns();
		total += t1 - t0;
		passes++;
		if (t1 > end)
			break;
	}
	f->ns_per_vm = busy ? 0 : total / (double)passes / f->n;
	return NULL;
}

static double scan_floor(struct liommu_viommu **vs, unsigned int n)
{
	static struct scan_floor_thread f;
	unsigned int i, j;
	pthread_t tid;

	f.n = n;
	for (i = 0; i < n; i++) {
		f.pages[i] = liommu_viommu_regs_page(vs[i]);
		for (j = 0; j < SCAN_LOADS; j++)
			f.seen[i][j] = f.pages[i][scan_off[j] / 4];
	}
	pthread_create(&tid, NULL, scan_floor_run, &f);
	pthread_join(tid, NULL);
	return f.ns_per_vm;
}

/* ------------------------------------------------------------------ */

static void put(const struct summary *m)
{
	printf(" %9.1f / %-9.1f / %-9.1f", m->min, m->median, m->max);
}

static void put_ratio(const char *what, double min, double med)
{
	printf("  %-22s %6.2f (min) %6.2f (med)", what, min, med);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "inval-ms", required_argument, NULL, 'i' },
		{ "scan-ms", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const unsigned int inv_n[] = { 1, 4, 16 };
	static const unsigned int scan_n[] = { 1, 16, 64 };
	static double rt[NRT][MAX_REPS], rtp[NRT][MAX_REPS], mu[NMU][MAX_REPS], inv[3][MAX_REPS];
	static double scan[3][MAX_REPS], scanf_[3][MAX_REPS];
	struct summary mrt[NRT], mrtp[NRT], mmu[NMU], minv[3], mscan[3], mscanf[3];
	struct liommu_sidecore_stats rtsc[NRT];
	struct liommu_viommu_stats vst[NMU];
	struct liommu_viommu *idle[SCAN_MAX];
	struct vm scvm, trvm, invvm[16];
	bool have_trap = HAVE_TRAP;
	int c, k, i;
	unsigned int j;

	while ((c = getopt_long(argc, argv, "n:p:r:i:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			pairs = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'i':
			inval_ms = (unsigned int)atoi(optarg);
			break;
		case 's':
			scan_ms = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [--iters N] [--pairs N] [--reps R] [--inval-ms MS]"
				" [--scan-ms MS]\n", argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!iters || !pairs || reps < 1 || reps > MAX_REPS || !inval_ms || !scan_ms) {
		fprintf(stderr, "bench-viommu: --iters, --pairs, --inval-ms, --scan-ms > 0,"
			" --reps 1..%d\n", MAX_REPS);
		return 2;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		guest_cpu = -1;
		sc_cpu = -1;
	}
	bench_print_machine();
	fflush(stdout);
	sched_getaffinity(0, sizeof(all_cpus), &all_cpus);
	pin(guest_cpu);
	clock_ns = bench_ns_per_clock_read();
	trap_init();
	memset(rtsc, 0, sizeof(rtsc));
	memset(vst, 0, sizeof(vst));

	vm_up(&scvm, LIOMMU_VIOMMU_SIDECORE, NULL, 0, false);
	vm_up(&trvm, LIOMMU_VIOMMU_TRAP, NULL, 0, false);
	for (j = 0; j < 16; j++)
		vm_up(&invvm[j], LIOMMU_VIOMMU_SIDECORE, NULL, 0, false);
	for (j = 0; j < SCAN_MAX; j++) {
		struct liommu_viommu_config vc;

		liommu_viommu_config_default(&vc);
		CHECK(liommu_viommu_new(&vc, &idle[j]));
	}

	for (i = 0; i < reps; i++) {
		for (k = 0; k < NRT; k++) {
			if (!have_trap && k == RT_SIGSEGV)
				continue;
			phase = rt_name[k];
			rt_measure((enum rt_kind)k, k == RT_SC || k == RT_SC_DRIVER ? &scvm : &trvm,
				   &rtsc[k], &rt[k][i], &rtp[k][i]);
		}
		for (k = 0; k < NMU; k++) {
			if (!have_trap && k == MU_SIGSEGV)
				continue;
			phase = mu_name[k];
			mu[k][i] = mu_measure((enum mu_kind)k, i == reps - 1 ? &vst[k] : NULL);
		}
		phase = "invalidations/s";
		for (j = 0; j < 3; j++)
			inv[j][i] = inv_measure(invvm, inv_n[j]);
		phase = "scan";
		for (j = 0; j < 3; j++) {
			scan[j][i] = scan_measure(idle, scan_n[j]);
			scanf_[j][i] = scan_floor(idle, scan_n[j]);
		}
		fprintf(stderr, "bench-viommu: run %d of %d done\n", i + 1, reps);
	}
	for (k = 0; k < NRT; k++) {
		mrt[k] = summarize(rt[k], reps);
		mrtp[k] = summarize(rtp[k], reps);
	}
	for (k = 0; k < NMU; k++)
		mmu[k] = summarize(mu[k], reps);
	for (j = 0; j < 3; j++) {
		minv[j] = summarize(inv[j], reps);
		mscan[j] = summarize(scan[j], reps);
		mscanf[j] = summarize(scanf_[j], reps);
	}

	printf("bench-viommu: %d runs; guest thread on CPU %d, sidecore / I/O thread on CPU %d;"
	       " min / median / max\n", reps, guest_cpu, sc_cpu);
	printf("\n1. request round trip (one wait descriptor, IQT store, status seen), ns,"
	       " %" PRIu64 "+ per run, each timed (less one clock read, %.0f ns);\n"
	       "   mean = the run's mean request, p50 = its median request\n", iters, clock_ns);
	printf("%-13s %-33s %-33s %s\n", "", "  mean (min / median / max)",
	       "  p50 (min / median / max)", "ratio of medians: mean, p50");
	for (k = 0; k < NRT; k++) {
		const char *vs = k == RT_SC || k == RT_SC_DRIVER ? "/ pingpong" : "/ sidecore";
		enum rt_kind f = k == RT_SC || k == RT_SC_DRIVER ? RT_PINGPONG : RT_SC;

		if (!have_trap && k == RT_SIGSEGV) {
			printf("%-13s not measured (needs x86-64 Linux)\n", rt_name[k]);
			continue;
		}
		printf("%-13s", rt_name[k]);
		put(&mrt[k]);
		put(&mrtp[k]);
		if (k == RT_PINGPONG)
			printf("  (floor)");
		else
			printf("  %s %7.2f %7.2f", vs, mrt[k].median / mrt[f].median,
			       mrtp[k].median / mrtp[f].median);
		if (k == RT_SC || k == RT_SC_DRIVER)
			printf("  sleeps %" PRIu64 ", passes/request %.1f, ns/busy pass %.0f",
			       rtsc[k].sleeps,
			       rtsc[k].requests ? (double)rtsc[k].passes / (double)rtsc[k].requests
						: 0,
			       rtsc[k].busy_passes ? (double)rtsc[k].scan_ns /
							     (double)rtsc[k].busy_passes : 0);
		printf("\n");
	}

	printf("\n2. strict 4 KiB map+unmap (guest driver, liommu_dma STRICT), ns per pair,"
	       " %" PRIu64 " per run;\n   host sim and bare sim: %u ns modelled invalidation"
	       " latency (iommu-policy's default); host teardown STRICT\n", pairs,
	       INVAL_LATENCY_NS);
	for (k = 0; k < NMU; k++) {
		if (!have_trap && k == MU_SIGSEGV) {
			printf("%-13s not measured (needs x86-64 Linux)\n", mu_name[k]);
			continue;
		}
		printf("%-13s", mu_name[k]);
		put(&mmu[k]);
		if (k == MU_BARE)
			printf("  (floor)");
		else
			put_ratio("/ bare", mmu[k].min / mmu[MU_BARE].min,
				  mmu[k].median / mmu[MU_BARE].median);
		if (k != MU_BARE)
			printf("  inval/pair %.2f, host unmaps/pair %.2f",
			       (double)vst[k].invalidations / (double)(pairs + 2000),
			       (double)vst[k].shadow_unmaps / (double)(pairs + 2000));
		printf("\n");
	}

	printf("\n3. invalidations per second on one sidecore (global IOTLB + wait, through"
	       " the guest driver);\n   one guest thread per VM, all on CPU %d; %u ms per run;"
	       " ratio = ns per invalidation / pingpong round trip (median)\n", guest_cpu,
	       inval_ms);
	for (j = 0; j < 3; j++) {
		printf("%2u VM(s)     ", inv_n[j]);
		put(&minv[j]);
		printf("  /s   %6.2f\n", 1e9 / minv[j].median / mrt[RT_PINGPONG].median);
	}

	printf("\n4. sidecore scan cost per idle VM (scan_ns / passes / instances), ns;"
	       " floor = %d loads per page compared, in a loop of the bench's\n", SCAN_LOADS);
	for (j = 0; j < 3; j++) {
		printf("%2u idle VMs ", scan_n[j]);
		put(&mscan[j]);
		printf("  floor");
		put(&mscanf[j]);
		printf("  ratio %5.2f (med)\n", mscan[j].median / mscanf[j].median);
	}
	bench_print_load("at end");

	for (j = 0; j < SCAN_MAX; j++)
		liommu_viommu_free(idle[j]);
	for (j = 0; j < 16; j++)
		vm_down(&invvm[j]);
	vm_down(&trvm);
	vm_down(&scvm);
	return 0;
}
