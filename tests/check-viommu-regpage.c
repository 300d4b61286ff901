// SPDX-License-Identifier: MIT
/*
 * check-viommu-regpage.c - the register page between a guest and the
 * emulated unit (viommu-sidecore/src/regpage.c): the guest's plain
 * stores reach the model as register writes, the model's values come
 * back into the page, and libiommu's own driver, run unchanged over the
 * page (the host platform over plain memory) with a polling thread on
 * the other side, brings the unit up: queued invalidation, root table,
 * translation, a mapped page the model translates.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/platform.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#include "../viommu-sidecore/src/regpage.h"

#define MEM_SIZE	(4u << 20)

/* "Guest memory": one array, physical address = offset. */
struct mem {
	uint8_t *base;
	uint64_t next;
};

static int mem_read(void *priv, uint64_t pa, void *buf, size_t len)
{
	struct mem *g = priv;

	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return -EFAULT;
	if (len == 8 && !(pa & 7))
		*(uint64_t *)buf = __atomic_load_n((uint64_t *)(void *)(g->base + pa), __ATOMIC_ACQUIRE);
	else
		memcpy(buf, g->base + pa, len);
	return 0;
}

static int mem_write(void *priv, uint64_t pa, const void *buf, size_t len)
{
	struct mem *g = priv;

	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return -EFAULT;
	if (len == 4 && !(pa & 3))
		__atomic_store_n((uint32_t *)(void *)(g->base + pa), *(const uint32_t *)buf,
				 __ATOMIC_RELEASE);
	else
		memcpy(g->base + pa, buf, len);
	return 0;
}

static const struct liommu_model_mem_ops mem_ops = { .read = mem_read, .write = mem_write };

static int page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct mem *g = priv;
	uint64_t p = __atomic_fetch_add(&g->next, 4096, __ATOMIC_RELAXED);

	(void)node;
	if (p + 4096 > MEM_SIZE)
		return -ENOMEM;
	memset(g->base + p, 0, 4096);
	*va = g->base + p;
	*pa = p;
	return 0;
}

static void page_free(void *priv, void *va, uint64_t pa)
{
	(void)priv; (void)va; (void)pa;
}

static void *phys_map(void *priv, uint64_t pa, size_t len)
{
	struct mem *g = priv;

	return pa < MEM_SIZE && len <= MEM_SIZE - pa ? g->base + pa : NULL;
}

struct fixture {
	struct mem mem;
	struct liommu_model *m;
	uint32_t *page;
	struct viommu_regpage rp;
	pthread_t poller;
	int stop;
};

static void fx_up(struct fixture *f)
{
	struct liommu_viommu_config cfg;

	memset(f, 0, sizeof(*f));
	f->mem.base = aligned_alloc(4096, MEM_SIZE);
	ck_assert_ptr_nonnull(f->mem.base);
	f->mem.next = 4096;
	liommu_viommu_config_default(&cfg);
	cfg.unit.mem.ops = &mem_ops;
	cfg.unit.mem.priv = &f->mem;
	ck_assert_int_eq(liommu_model_new(&cfg.unit, &f->m), 0);
	f->page = aligned_alloc(4096, 4096);
	ck_assert_ptr_nonnull(f->page);
	ck_assert_int_eq(liommu__viommu_regpage_init(&f->rp, f->m, f->page), 0);
}

static void fx_down(struct fixture *f)
{
	liommu_model_free(f->m);
	free(f->page);
	free(f->mem.base);
}

static uint32_t pg32(struct fixture *f, uint32_t off)
{
	return __atomic_load_n(&f->page[off / 4], __ATOMIC_ACQUIRE);
}

static uint64_t pg64(struct fixture *f, uint32_t off)
{
	return __atomic_load_n((uint64_t *)(void *)&f->page[off / 4], __ATOMIC_ACQUIRE);
}

static void st32(struct fixture *f, uint32_t off, uint32_t v)
{
	__atomic_store_n(&f->page[off / 4], v, __ATOMIC_RELEASE);
}

static void st64(struct fixture *f, uint32_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(void *)&f->page[off / 4], v, __ATOMIC_RELEASE);
}

START_TEST(test_init_shows_the_unit)
{
	struct fixture f;

	fx_up(&f);
	ck_assert_uint_eq(pg64(&f, VTD_CAP_REG), liommu_model_cap(f.m));
	ck_assert_uint_eq(pg64(&f, VTD_ECAP_REG), liommu_model_ecap(f.m));
	ck_assert_uint_eq(pg32(&f, VTD_VER_REG), liommu_model_read32(f.m, VTD_VER_REG));
	ck_assert_uint_eq(pg32(&f, VTD_FECTL_REG), VTD_FECTL_IM);
	ck_assert_uint_eq(pg32(&f, VTD_GCMD_REG), VIOMMU_GCMD_SENTINEL);
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 0);	/* nothing written */
	fx_down(&f);
}
END_TEST

/* A one-shot command written twice with the same value acts twice: the
 * sentinel makes the second store visible. */
START_TEST(test_gcmd_repeated_write_is_seen)
{
	struct fixture f;
	uint64_t seq;

	fx_up(&f);
	st64(&f, VTD_RTADDR_REG, 0x10000);
	st32(&f, VTD_GCMD_REG, VTD_GCMD_SRTP);
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 2);
	ck_assert(pg32(&f, VTD_GSTS_REG) & VTD_GSTS_RTPS);
	ck_assert(liommu_model_read32(f.m, VTD_GSTS_REG) & VTD_GSTS_RTPS);
	ck_assert_uint_eq(pg64(&f, VTD_RTADDR_REG), 0x10000);
	ck_assert_uint_eq(pg32(&f, VTD_GCMD_REG), VIOMMU_GCMD_SENTINEL);
	seq = liommu_model_regs_seq(f.m);
	st32(&f, VTD_GCMD_REG, VTD_GCMD_SRTP);
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 1);
	ck_assert_uint_ne(liommu_model_regs_seq(f.m), seq);	/* the model saw a write */
	fx_down(&f);
}
END_TEST

/* A guest store to a read-only register stays until the sweep, which
 * restores the unit's value; watched registers are not touched by it. */
START_TEST(test_sweep_repairs_read_only)
{
	struct fixture f;
	uint64_t cap;

	fx_up(&f);
	cap = pg64(&f, VTD_CAP_REG);
	st64(&f, VTD_CAP_REG, ~0ULL);
	st32(&f, VTD_GSTS_REG, 0xffffffffu);
	st32(&f, 0xf00, 0x12345678u);		/* a reserved offset */
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 0);
	ck_assert_uint_eq(liommu__viommu_regpage_sweep(&f.rp), 4);	/* CAP's two halves, GSTS, 0xf00 */
	ck_assert_uint_eq(pg64(&f, VTD_CAP_REG), cap);
	ck_assert_uint_eq(pg32(&f, VTD_GSTS_REG), 0);
	ck_assert_uint_eq(pg32(&f, 0xf00), 0);
	ck_assert_uint_eq(liommu_model_cap(f.m), cap);
	fx_down(&f);
}
END_TEST

/* Write-1-to-clear through the page: FECTL's mask and the write of a
 * value that differs from what the page shows. */
START_TEST(test_fectl_and_fsts)
{
	struct fixture f;

	fx_up(&f);
	st32(&f, VTD_FECTL_REG, 0);		/* unmask */
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 1);
	ck_assert_uint_eq(liommu_model_read32(f.m, VTD_FECTL_REG), 0);
	ck_assert_uint_eq(pg32(&f, VTD_FECTL_REG), 0);
	/* Linux's FSTS clear (PFO | PPF | PRO) over an FSTS of 0: the bits
	 * the guest stored are the unit's to undo, and it does. */
	st32(&f, VTD_FSTS_REG, 0x83);
	ck_assert_uint_eq(liommu__viommu_regpage_scan(&f.rp), 1);
	ck_assert_uint_eq(pg32(&f, VTD_FSTS_REG), 0);
	fx_down(&f);
}
END_TEST

static void *poll_loop(void *arg)
{
	struct fixture *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
		liommu__viommu_regpage_scan(&f->rp);
	return NULL;
}

/* libiommu's driver, unchanged, over the page: it polls GSTS and the
 * wait descriptors' status while another thread serves the page. */
START_TEST(test_driver_brings_the_unit_up_through_the_page)
{
	struct liommu_host_config hc = {
		.page_alloc = page_alloc, .page_free = page_free, .phys_map = phys_map,
	};
	struct liommu_unit_config uc = { .inval = LIOMMU_INVAL_QUEUED, .timeout_us = 5000000 };
	struct liommu_platform *plat = NULL;
	struct liommu_domain *dom = NULL;
	struct liommu_unit *u = NULL;
	struct liommu_model_xlate x;
	struct fixture f;
	void *va;
	uint64_t pa;

	fx_up(&f);
	hc.priv = &f.mem;
	ck_assert_int_eq(pthread_create(&f.poller, NULL, poll_loop, &f), 0);
	ck_assert_int_eq(liommu_platform_host_new(f.page, &hc, &plat), 0);
	ck_assert_int_eq(liommu_unit_new(plat, &uc, &u), 0);
	ck_assert_int_eq(liommu_unit_inval_mode(u), LIOMMU_INVAL_QUEUED);
	ck_assert_int_eq(liommu_domain_new(u, &dom), 0);
	ck_assert_int_eq(page_alloc(&f.mem, -1, &va, &pa), 0);
	ck_assert_int_eq(liommu_domain_map(dom, 0x7000, pa, 4096,
					   LIOMMU_PROT_READ | LIOMMU_PROT_WRITE), 0);
	ck_assert_int_eq(liommu_domain_attach(dom, 0x0018), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(u), 0);
	ck_assert(liommu_model_read32(f.m, VTD_GSTS_REG) & VTD_GSTS_TES);
	ck_assert(liommu_model_read32(f.m, VTD_GSTS_REG) & VTD_GSTS_QIES);
	ck_assert_int_eq(liommu_model_translate(f.m, 0x0018, 0x7123, LIOMMU_MODEL_READ, &x, NULL), 0);
	ck_assert_uint_eq(x.pa, pa + 0x123);
	ck_assert_int_eq(liommu_domain_unmap(dom, 0x7000, 4096), 0);
	ck_assert_int_eq(liommu_model_translate(f.m, 0x0018, 0x7123,
						LIOMMU_MODEL_READ | LIOMMU_MODEL_NO_RECORD, &x, NULL), -EFAULT);
	ck_assert_int_eq(liommu_domain_detach(dom, 0x0018), 0);
	liommu_domain_free(dom);
	liommu_unit_free(u);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(f.poller, NULL);
	ck_assert_uint_gt(f.rp.writes, 5);
	liommu_platform_free(plat);
	fx_down(&f);
}
END_TEST

Suite *viommu_regpage_suite(void);
Suite *viommu_regpage_suite(void)
{
	Suite *s = suite_create("viommu-regpage");
	TCase *tc = tcase_create("regpage");

	tcase_add_test(tc, test_init_shows_the_unit);
	tcase_add_test(tc, test_gcmd_repeated_write_is_seen);
	tcase_add_test(tc, test_sweep_repairs_read_only);
	tcase_add_test(tc, test_fectl_and_fsts);
	tcase_add_test(tc, test_driver_brings_the_unit_up_through_the_page);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
