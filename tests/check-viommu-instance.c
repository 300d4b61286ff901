// SPDX-License-Identifier: MIT
/*
 * check-viommu-instance.c - one emulated unit for a VM and the polling
 * thread that serves it (liommu/viommu.h): creation and its refusals,
 * the register page (its memfd, what the guest reads), trapped accesses,
 * the sidecore's life cycle, back-off and statistics, interrupts that
 * wait for the page, and guest pointers outside guest memory, which get
 * the fault reason or IQE the specification gives.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#define PG	4096ull
#define RAM	(4ull << 20)

/* QEMU 7.2's intel-iommu,caching-mode=on (read over qtest; check-viommu
 * compares the model with QEMU itself). */
#define QEMU_CM_CAP	0x00d2008c22260286ull
#define QEMU_CM_ECAP	0xf00f4aull

struct fx {
	struct liommu_viommu *v;
	struct liommu_sidecore *sc;
	uint8_t *ram;
	uint32_t *page;
	/* events seen */
	pthread_mutex_t lock;
	unsigned int nev;
	enum liommu_model_event ev;
	uint64_t addr;
	uint32_t data;
	uint32_t fsts_at_event;	/* what the page showed when it arrived */
};

static void on_event(void *priv, enum liommu_model_event ev, uint64_t addr, uint32_t data)
{
	struct fx *f = priv;

	pthread_mutex_lock(&f->lock);
	/* Atomic: the test polls it without the lock. */
	__atomic_store_n(&f->nev, f->nev + 1, __ATOMIC_RELEASE);
	f->ev = ev;
	f->addr = addr;
	f->data = data;
	f->fsts_at_event = (uint32_t)liommu_viommu_mmio_read(f->v, VTD_FSTS_REG, 4);
	pthread_mutex_unlock(&f->lock);
}

static void fx_up(struct fx *f, enum liommu_viommu_mode mode, bool sidecore)
{
	struct liommu_viommu_config c;
	struct liommu_sidecore_config scc;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->ram = aligned_alloc(PG, RAM);
	ck_assert_ptr_nonnull(f->ram);
	memset(f->ram, 0, RAM);
	liommu_viommu_config_default(&c);
	c.mode = mode;
	c.event = on_event;
	c.event_priv = f;
	ck_assert_int_eq(liommu_viommu_new(&c, &f->v), 0);
	ck_assert_int_eq(liommu_viommu_mem_add(f->v, 0, RAM, f->ram, 0x40000000ull), 0);
	f->page = liommu_viommu_regs_page(f->v);
	if (sidecore) {
		liommu_sidecore_config_default(&scc);
		scc.spin_ns = 1000000;	/* 1 ms, then sleeps */
		scc.sleep_max_ns = 200000;
		ck_assert_int_eq(liommu_sidecore_new(&scc, &f->sc), 0);
		ck_assert_int_eq(liommu_sidecore_add(f->sc, f->v), 0);
	}
}

static void fx_down(struct fx *f)
{
	if (f->sc) {
		ck_assert_int_eq(liommu_sidecore_remove(f->sc, f->v), 0);
		liommu_sidecore_free(f->sc);
	}
	liommu_viommu_free(f->v);
	free(f->ram);
	pthread_mutex_destroy(&f->lock);
}

/* A guest store and load: through the page (SIDECORE) or trapped. */
static void w32(struct fx *f, uint32_t off, uint32_t v)
{
	liommu_viommu_mmio_write(f->v, off, 4, v);
}

static void w64(struct fx *f, uint32_t off, uint64_t v)
{
	liommu_viommu_mmio_write(f->v, off, 8, v);
}

static uint32_t r32(struct fx *f, uint32_t off)
{
	return (uint32_t)liommu_viommu_mmio_read(f->v, off, 4);
}

/* Wait (bounded: 2 s) until (register & mask) == want. */
static bool wait32(struct fx *f, uint32_t off, uint32_t mask, uint32_t want)
{
	struct timespec d = { 0, 50000 };
	int i;

	for (i = 0; i < 40000; i++) {
		if ((r32(f, off) & mask) == want)
			return true;
		nanosleep(&d, NULL);
	}
	return false;
}

START_TEST(test_new_refusals)
{
	struct liommu_viommu_config c;
	struct liommu_viommu *v = NULL;
	void *p;

	liommu_viommu_config_default(&c);
	ck_assert_int_eq(c.mode, LIOMMU_VIOMMU_SIDECORE);
	ck_assert_int_eq(c.teardown, LIOMMU_DMA_STRICT);
	ck_assert_int_eq(liommu_viommu_new(NULL, &v), -EINVAL);
	c.mode = 7;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), -EINVAL);
	c.mode = LIOMMU_VIOMMU_SIDECORE;
	c.teardown = 9;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), -EINVAL);
	c.teardown = LIOMMU_DMA_STRICT;
	p = aligned_alloc(PG, 2 * PG);
	c.regs_page = (uint8_t *)p + 64;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), -EINVAL);
	/* A capability set the model refuses. */
	c.regs_page = NULL;
	c.unit.sagaw = 0;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), -EINVAL);
	ck_assert_ptr_null(v);
	/* A page the caller gives is used as is. */
	liommu_viommu_config_default(&c);
	c.regs_page = p;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), 0);
	ck_assert_ptr_eq(liommu_viommu_regs_page(v), p);
	ck_assert_int_eq(liommu_viommu_regs_fd(v), -1);
	liommu_viommu_free(v);
	free(p);
}
END_TEST

START_TEST(test_page_and_fd)
{
	struct fx f;
	uint64_t cap, ecap;
	uint32_t *map;
	int fd;

	fx_up(&f, LIOMMU_VIOMMU_SIDECORE, false);
	cap = liommu_model_cap(liommu_viommu_model(f.v));
	ecap = liommu_model_ecap(liommu_viommu_model(f.v));
	/* The default equals QEMU 7.2's caching-mode unit. */
	ck_assert_uint_eq(cap, QEMU_CM_CAP);
	ck_assert_uint_eq(ecap, QEMU_CM_ECAP);
	ck_assert(cap & VTD_CAP_CM);
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, VTD_CAP_REG, 8), cap);
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, VTD_ECAP_REG, 8), ecap);
	fd = liommu_viommu_regs_fd(f.v);
	ck_assert_int_ge(fd, 0);
	/* What a hypervisor maps into the guest is the same page. */
	map = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_uint_eq(map[VTD_CAP_REG / 4], (uint32_t)cap);
	ck_assert_uint_eq(map[VTD_VER_REG / 4], LIOMMU_MODEL_VERSION);
	map[VTD_FECTL_REG / 4] = 0;
	ck_assert_uint_eq(f.page[VTD_FECTL_REG / 4], 0);
	munmap(map, PG);
	/* Accesses the window does not have read 0 and change nothing. */
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, VTD_REG_WINDOW_SIZE, 4), 0);
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, 2, 4), 0);
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, 8, 2), 0);
	liommu_viommu_mmio_write(f.v, VTD_REG_WINDOW_SIZE - 4, 8, ~0ull);
	fx_down(&f);
}
END_TEST

START_TEST(test_capabilities_configurable)
{
	struct liommu_viommu_config c;
	struct liommu_viommu *v;
	uint64_t cap;

	liommu_viommu_config_default(&c);
	c.unit.sagaw = VTD_SAGAW_39 | VTD_SAGAW_48;
	c.unit.mgaw = 48;
	c.unit.haw = 48;
	c.unit.nfr = 8;
	c.unit.caching_mode = false;
	c.unit.ir = false;
	c.mode = LIOMMU_VIOMMU_TRAP;
	ck_assert_int_eq(liommu_viommu_new(&c, &v), 0);
	cap = liommu_viommu_mmio_read(v, VTD_CAP_REG, 8);
	ck_assert(!(cap & VTD_CAP_CM));
	ck_assert_uint_eq((cap >> 40) & 0xff, 7);		/* NFR - 1 */
	ck_assert_uint_eq((cap >> 8) & 0x1f, VTD_SAGAW_39 | VTD_SAGAW_48);
	ck_assert(!(liommu_viommu_mmio_read(v, VTD_ECAP_REG, 8) & VTD_ECAP_IR));
	ck_assert_int_eq(liommu_viommu_regs_fd(v), -1);
	ck_assert_ptr_null(liommu_viommu_regs_page(v));
	liommu_viommu_free(v);
}
END_TEST

/* The guest programs a root table: trapped, or through the polled page. */
START_TEST(test_srtp_both_modes)
{
	enum liommu_viommu_mode mode = _i ? LIOMMU_VIOMMU_TRAP : LIOMMU_VIOMMU_SIDECORE;
	struct liommu_sidecore_stats ss;
	struct liommu_viommu_stats st;
	struct fx f;

	fx_up(&f, mode, mode == LIOMMU_VIOMMU_SIDECORE);
	w64(&f, VTD_RTADDR_REG, 0x1000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, VTD_RTADDR_REG, 8), 0x1000);
	/* The same one-shot command again is seen again (GCMD reads the
	 * sentinel in the page after each command). */
	w64(&f, VTD_RTADDR_REG, 0x2000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	/* RTPS is still set from the first command: wait for the engine to
	 * have forwarded both writes instead (bounded). */
	for (int i = 0; i < 20000; i++) {
		struct timespec d = { 0, 100000 };

		liommu_viommu_get_stats(f.v, &st);
		if (st.reg_writes >= 4)
			break;
		nanosleep(&d, NULL);
	}
	ck_assert_uint_ge(st.reg_writes, 4);
	if (f.sc) {
		liommu_sidecore_get_stats(f.sc, &ss);
		ck_assert_uint_gt(ss.passes, 0);
		ck_assert_uint_ge(ss.requests, 4);
		ck_assert_uint_eq(ss.instances, 1);
		ck_assert_uint_gt(st.publications, 0);
	}
	fx_down(&f);
}
END_TEST

START_TEST(test_sidecore_lifecycle)
{
	struct liommu_sidecore_config c;
	struct liommu_sidecore *sc, *sc2;
	struct liommu_sidecore_stats ss;
	struct liommu_viommu_config vc;
	struct liommu_viommu *trap;
	struct fx f;
	int i;

	liommu_sidecore_config_default(&c);
	c.cpu = CPU_SETSIZE + 1;
	ck_assert_int_eq(liommu_sidecore_new(&c, &sc), -EINVAL);
	fx_up(&f, LIOMMU_VIOMMU_SIDECORE, true);
	ck_assert_int_eq(liommu_sidecore_add(f.sc, f.v), -EBUSY);
	ck_assert_int_eq(liommu_sidecore_new(NULL, &sc2), 0);
	ck_assert_int_eq(liommu_sidecore_add(sc2, f.v), -EBUSY);
	ck_assert_int_eq(liommu_sidecore_remove(sc2, f.v), -ENOENT);
	liommu_viommu_config_default(&vc);
	vc.mode = LIOMMU_VIOMMU_TRAP;
	ck_assert_int_eq(liommu_viommu_new(&vc, &trap), 0);
	ck_assert_int_eq(liommu_sidecore_add(sc2, trap), -EINVAL);
	liommu_viommu_free(trap);
	/* Moved from one sidecore to another. */
	ck_assert_int_eq(liommu_sidecore_remove(f.sc, f.v), 0);
	ck_assert_int_eq(liommu_sidecore_add(sc2, f.v), 0);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	ck_assert_int_eq(liommu_sidecore_remove(sc2, f.v), 0);
	ck_assert_int_eq(liommu_sidecore_add(f.sc, f.v), 0);
	liommu_sidecore_free(sc2);

	/* Pinning. */
	ck_assert_int_eq(liommu_sidecore_set_cpu(f.sc, CPU_SETSIZE + 5), -EINVAL);
	ck_assert_int_eq(liommu_sidecore_set_cpu(f.sc, 0), 0);
	for (i = 0; i < 2000; i++) {
		struct timespec d = { 0, 1000000 };

		liommu_sidecore_get_stats(f.sc, &ss);
		if (ss.cpu == 0 && ss.sleeps > 0)
			break;
		nanosleep(&d, NULL);
	}
	ck_assert_int_eq(ss.cpu, 0);
	ck_assert_int_eq(liommu_sidecore_set_cpu(f.sc, -1), 0);
	fx_down(&f);
}
END_TEST

/* Idle: the thread sleeps (bounded), a request after a sleep is served
 * and the wait it may have had is reported; a kick ends a sleep. */
START_TEST(test_backoff)
{
	struct liommu_sidecore_stats a, b;
	struct timespec d = { 0, 30000000 };
	struct fx f;

	fx_up(&f, LIOMMU_VIOMMU_SIDECORE, true);
	nanosleep(&d, NULL);
	liommu_sidecore_get_stats(f.sc, &a);
	ck_assert_uint_gt(a.sleeps, 0);
	ck_assert_uint_gt(a.sleep_ns, 0);
	/* Idle for 30 ms with a 1 ms spin: mostly asleep, not spinning. */
	ck_assert_uint_lt(a.passes, 30000000ull / 50);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	liommu_sidecore_get_stats(f.sc, &b);
	ck_assert_uint_ge(b.backoff_requests, 1);
	ck_assert_uint_gt(b.backoff_wait_max_ns, 0);
	/* The wake-up bound (200 us) plus scheduling; 100 ms is generous. */
	ck_assert_uint_lt(b.backoff_wait_max_ns, 100000000ull);
	ck_assert_uint_ge(b.kicks, 1);	/* the trapped write kicked it */
	fx_down(&f);
}
END_TEST

/* A fault's interrupt goes out only once the page shows FSTS.PPF. */
START_TEST(test_fault_event_after_page)
{
	enum liommu_viommu_mode mode = _i ? LIOMMU_VIOMMU_TRAP : LIOMMU_VIOMMU_SIDECORE;
	struct liommu_fault flt;
	struct liommu_viommu_stats st;
	struct timespec d = { 0, 100000 };
	struct fx f;
	int i;

	fx_up(&f, mode, mode == LIOMMU_VIOMMU_SIDECORE);
	w32(&f, VTD_FEDATA_REG, 0x4051);
	w32(&f, VTD_FEADDR_REG, 0xfee00000u);
	w32(&f, VTD_FECTL_REG, 0);	/* unmask */
	/* Root table at gpa 0 (zeroed: nothing present), TE on. */
	w64(&f, VTD_RTADDR_REG, 0);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_TE);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_TES, (uint32_t)VTD_GSTS_TES));
	ck_assert_int_eq(liommu_viommu_fault(f.v, 0x0100, 0x5000, LIOMMU_MODEL_READ, &flt),
			 -EFAULT);
	ck_assert_uint_eq(flt.reason, VTD_FR_ROOT_P);
	ck_assert_uint_eq(flt.sid, 0x0100);
	for (i = 0; i < 20000 && !__atomic_load_n(&f.nev, __ATOMIC_ACQUIRE); i++)
		nanosleep(&d, NULL);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.nev, 1);
	ck_assert_int_eq(f.ev, LIOMMU_MODEL_EV_FAULT);
	ck_assert_uint_eq(f.addr, 0xfee00000u);
	ck_assert_uint_eq(f.data, 0x4051);
	ck_assert(f.fsts_at_event & VTD_FSTS_PPF);
	pthread_mutex_unlock(&f.lock);
	liommu_viommu_get_stats(f.v, &st);
	ck_assert_uint_eq(st.faults_injected, 1);
	ck_assert_uint_eq(st.events, 1);
	/* Bad flags. */
	ck_assert_int_eq(liommu_viommu_fault(f.v, 0x0100, 0x5000, 0, &flt), -EINVAL);
	ck_assert_int_eq(liommu_viommu_fault(f.v, 0x0100, 0x5000, 0x80, &flt), -EINVAL);
	fx_down(&f);
}
END_TEST

/* Guest pointers outside guest memory get what hardware gives: a root
 * table outside RAM is a root-table access fault, an invalidation queue
 * outside RAM stops with IQE; the host memory beyond RAM is untouched. */
START_TEST(test_pointers_outside_guest_ram)
{
	enum liommu_viommu_mode mode = _i ? LIOMMU_VIOMMU_TRAP : LIOMMU_VIOMMU_SIDECORE;
	struct liommu_fault flt;
	struct fx f;

	fx_up(&f, mode, mode == LIOMMU_VIOMMU_SIDECORE);
	w64(&f, VTD_RTADDR_REG, RAM + 0x10000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_TE);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_TES, (uint32_t)VTD_GSTS_TES));
	ck_assert_int_eq(liommu_viommu_fault(f.v, 0x0008, 0x1000, LIOMMU_MODEL_WRITE, &flt),
			 -EFAULT);
	ck_assert_uint_eq(flt.reason, VTD_FR_ROOT_ACCESS);
	/* A queue beyond RAM: enabling it and submitting stops with IQE. */
	w64(&f, VTD_IQA_REG, RAM + 0x20000);
	w32(&f, VTD_GCMD_REG, (uint32_t)(VTD_GCMD_TE | VTD_GCMD_QIE));
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_QIES, (uint32_t)VTD_GSTS_QIES));
	w64(&f, VTD_IQT_REG, 16);
	ck_assert(wait32(&f, VTD_FSTS_REG, (uint32_t)VTD_FSTS_IQE, (uint32_t)VTD_FSTS_IQE));
	fx_down(&f);
}
END_TEST

START_TEST(test_mem_table_refusals)
{
	struct fx f;
	int fd;

	fx_up(&f, LIOMMU_VIOMMU_TRAP, false);
	ck_assert_int_eq(liommu_viommu_mem_add(f.v, PG, PG, f.ram, 0), -EEXIST);
	ck_assert_int_eq(liommu_viommu_mem_add(f.v, RAM + 1, PG, f.ram, 0), -EINVAL);
	ck_assert_int_eq(liommu_viommu_mem_add(f.v, RAM, 0, f.ram, 0), -EINVAL);
	ck_assert_int_eq(liommu_viommu_mem_add(f.v, RAM, PG, NULL, 0), -EINVAL);
	ck_assert_int_eq(liommu_viommu_mem_add_fd(f.v, RAM, PG, -1, 0, 0), -EINVAL);
	ck_assert_int_eq(liommu_viommu_mem_remove(f.v, 0, PG), -ENOENT);
	/* An fd-backed range. */
	fd = memfd_create("check-viommu-ram", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 2 * PG), 0);
	ck_assert_int_eq(liommu_viommu_mem_add_fd(f.v, RAM, 2 * PG, fd, 0, 0x80000000ull), 0);
	close(fd);
	ck_assert_int_eq(liommu_viommu_mem_remove(f.v, RAM, 2 * PG), 0);
	fx_down(&f);
}
END_TEST

/* GSTS's one-shot bits: shown after their command for the hold, then
 * hidden, so a repeated SRTP never reads complete before it is consumed. */
START_TEST(test_oneshot_hold)
{
	struct liommu_viommu_config c;
	struct liommu_sidecore *sc;
	struct liommu_viommu_stats st;
	struct timespec d = { 0, 40000000 };
	struct fx f;
	uint32_t gsts;
	int i;

	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.lock, NULL);
	f.ram = aligned_alloc(PG, RAM);
	memset(f.ram, 0, RAM);
	liommu_viommu_config_default(&c);
	c.oneshot_hold_ns = 20000000;	/* 20 ms */
	ck_assert_int_eq(liommu_viommu_new(&c, &f.v), 0);
	ck_assert_int_eq(liommu_viommu_mem_add(f.v, 0, RAM, f.ram, 0), 0);
	f.page = liommu_viommu_regs_page(f.v);
	ck_assert_int_eq(liommu_sidecore_new(NULL, &sc), 0);
	f.sc = sc;
	ck_assert_int_eq(liommu_sidecore_add(sc, f.v), 0);

	w64(&f, VTD_RTADDR_REG, 0x1000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, (uint32_t)VTD_GSTS_RTPS));
	nanosleep(&d, NULL);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, 0));
	/* Again: whenever the page shows RTPS, the engine had consumed the
	 * command (the stats are read after the GSTS load). */
	for (i = 0; i < 5; i++) {
		uint64_t before;

		nanosleep(&d, NULL);
		ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS, 0));
		liommu_viommu_get_stats(f.v, &st);
		before = st.reg_writes;
		w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_SRTP);
		gsts = r32(&f, VTD_GSTS_REG);
		liommu_viommu_get_stats(f.v, &st);
		if (gsts & VTD_GSTS_RTPS)
			ck_assert_uint_gt(st.reg_writes, before);
		ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_RTPS,
				 (uint32_t)VTD_GSTS_RTPS));
	}
	/* The model itself keeps RTPS: only the page hides it. */
	ck_assert(liommu_model_read32(liommu_viommu_model(f.v), VTD_GSTS_REG) & VTD_GSTS_RTPS);
	fx_down(&f);
}
END_TEST

/*
 * Re-enabling a used queue: IQT = 0, IQA, GCMD.QIE seen in one pass (the
 * instance is not served while the guest stores them) must enable the
 * new queue at tail 0, not run the old tail over it (no IQE).
 */
START_TEST(test_qi_reenable_one_pass)
{
	struct liommu_sidecore_config scc;
	uint64_t *q = NULL;
	struct fx f;

	fx_up(&f, LIOMMU_VIOMMU_SIDECORE, false);
	liommu_sidecore_config_default(&scc);
	ck_assert_int_eq(liommu_sidecore_new(&scc, &f.sc), 0);
	ck_assert_int_eq(liommu_sidecore_add(f.sc, f.v), 0);
	/* A queue at gpa 0x10000 with one wait descriptor (status to 0x20000). */
	q = (uint64_t *)(void *)(f.ram + 0x10000);
	{
		struct vtd_inv_desc d = vtd_inv_wait(true, 0x77, 0x20000, false, false);

		q[0] = d.lo;
		q[1] = d.hi;
	}
	w64(&f, VTD_IQA_REG, 0x10000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_QIE);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_QIES, (uint32_t)VTD_GSTS_QIES));
	w64(&f, VTD_IQT_REG, 16);
	ck_assert(wait32(&f, VTD_IQH_REG, 0xffff, 16));
	ck_assert_uint_eq(*(uint32_t *)(void *)(f.ram + 0x20000), 0x77);
	w32(&f, VTD_GCMD_REG, 0);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_QIES, 0));
	/* The re-enable, stored while nobody polls. */
	ck_assert_int_eq(liommu_sidecore_remove(f.sc, f.v), 0);
	memset(f.ram + 0x30000, 0, PG);
	w64(&f, VTD_IQT_REG, 0);
	w64(&f, VTD_IQA_REG, 0x30000);
	w32(&f, VTD_GCMD_REG, (uint32_t)VTD_GCMD_QIE);
	ck_assert_int_eq(liommu_sidecore_add(f.sc, f.v), 0);
	ck_assert(wait32(&f, VTD_GSTS_REG, (uint32_t)VTD_GSTS_QIES, (uint32_t)VTD_GSTS_QIES));
	ck_assert_uint_eq(r32(&f, VTD_FSTS_REG) & VTD_FSTS_IQE, 0);
	ck_assert_uint_eq(liommu_viommu_mmio_read(f.v, VTD_IQH_REG, 8), 0);
	fx_down(&f);
}
END_TEST

Suite *viommu_instance_suite(void);

Suite *viommu_instance_suite(void)
{
	Suite *s = suite_create("viommu_instance");
	TCase *tc;

	tc = tcase_create("creation refuses bad configurations");
	tcase_add_test(tc, test_new_refusals);
	tcase_add_test(tc, test_capabilities_configurable);
	tcase_add_test(tc, test_mem_table_refusals);
	suite_add_tcase(s, tc);
	tc = tcase_create("register page and its memfd");
	tcase_add_test(tc, test_page_and_fd);
	suite_add_tcase(s, tc);
	tc = tcase_create("a guest command through page or trap");
	tcase_add_loop_test(tc, test_srtp_both_modes, 0, 2);
	tcase_add_loop_test(tc, test_pointers_outside_guest_ram, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("what plain memory cannot show: one-shot status, QI re-enable");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_oneshot_hold);
	tcase_add_test(tc, test_qi_reenable_one_pass);
	suite_add_tcase(s, tc);
	tc = tcase_create("sidecore life cycle, pinning, back-off");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sidecore_lifecycle);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	tc = tcase_create("interrupts wait for the page");
	tcase_add_loop_test(tc, test_fault_event_after_page, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
