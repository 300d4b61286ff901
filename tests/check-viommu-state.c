// SPDX-License-Identifier: MIT
/*
 * check-viommu-state.c - live migration of an emulated unit
 * (liommu_viommu_save_state() / _restore_state(), over the model's
 * liommu_model_save_state()): libiommu's driver runs as the guest on a
 * platform whose registers can be switched from one instance to another,
 * maps buffers through instance A (a device DMAs through host domain
 * H1), A's state moves to a fresh instance B with the same guest RAM, B's
 * shadow is rebuilt from the guest's tables into host domain H2, and the
 * guest then goes on with B: its queue continues where it was, its
 * mappings are there, its unmaps reach H2.  And every malformed or
 * foreign blob is refused without changing the unit.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/platform.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

Suite *viommu_state_suite(void);

#define PG		4096ull
#define RAM_SIZE	(32ull << 20)
#define TABLES_GPA	(16ull << 20)
#define HSID1		0x0010
#define HSID2		0x0020
#define GSID		0x0018

struct mig {
	struct liommu_sim *host;
	struct liommu_unit *hunit;
	struct liommu_domain *h1, *h2;
	uint8_t *ram;
	uint64_t ram_pa;
	struct liommu_viommu *a, *b;
	struct liommu_sidecore *sc;
	struct liommu_viommu *cur;	/* the instance the guest's registers are */
	uint64_t next_page;		/* guest table pages, from TABLES_GPA */
	struct liommu_platform *gplat;
	struct liommu_unit *gunit;
	struct liommu_domain *gdom;
	struct liommu_dma *gdma;
};

/* The guest's platform: registers of @cur (trapped, or its page), pages of
 * guest RAM. */
static uint32_t sw_rd32(void *priv, uint32_t off)
{
	struct mig *m = priv;

	return (uint32_t)liommu_viommu_mmio_read(m->cur, off, 4);
}

static uint64_t sw_rd64(void *priv, uint32_t off)
{
	struct mig *m = priv;

	return liommu_viommu_mmio_read(m->cur, off, 8);
}

static void sw_wr32(void *priv, uint32_t off, uint32_t val)
{
	struct mig *m = priv;

	liommu_viommu_mmio_write(m->cur, off, 4, val);
}

static void sw_wr64(void *priv, uint32_t off, uint64_t val)
{
	struct mig *m = priv;

	liommu_viommu_mmio_write(m->cur, off, 8, val);
}

static int sw_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct mig *m = priv;
	uint64_t gpa = __atomic_fetch_add(&m->next_page, PG, __ATOMIC_RELAXED);

	(void)node;
	if (gpa + PG > RAM_SIZE)
		return -ENOMEM;
	*va = m->ram + gpa;
	*pa = gpa;
	memset(*va, 0, PG);
	return 0;
}

static void sw_free(void *priv, void *va, uint64_t pa)
{
	(void)priv;
	(void)va;
	(void)pa;
}

static const struct liommu_platform_ops sw_ops = {
	.read32 = sw_rd32, .read64 = sw_rd64, .write32 = sw_wr32, .write64 = sw_wr64,
	.page_alloc = sw_alloc, .page_free = sw_free,
};

static struct liommu_viommu *instance(struct mig *m, enum liommu_viommu_mode mode)
{
	struct liommu_viommu_config vc;
	struct liommu_viommu *v;

	liommu_viommu_config_default(&vc);
	vc.mode = mode;
	ck_assert_int_eq(liommu_viommu_new(&vc, &v), 0);
	ck_assert_int_eq(liommu_viommu_mem_add(v, 0, RAM_SIZE, m->ram, m->ram_pa), 0);
	return v;
}

static void mig_up(struct mig *m, enum liommu_viommu_mode mode)
{
	struct liommu_sim_config hc = { .mem_size = 96ull << 20 };
	struct liommu_dma_config gc = { .strategy = LIOMMU_DMA_STRICT };
	uint64_t pa;
	void *va;

	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(liommu_sim_new(&hc, &m->host), 0);
	ck_assert_int_eq(liommu_unit_new(liommu_sim_platform(m->host), NULL, &m->hunit), 0);
	ck_assert_int_eq(liommu_domain_new(m->hunit, &m->h1), 0);
	ck_assert_int_eq(liommu_domain_new(m->hunit, &m->h2), 0);
	ck_assert_int_eq(liommu_domain_attach(m->h1, HSID1), 0);
	ck_assert_int_eq(liommu_domain_attach(m->h2, HSID2), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(m->hunit), 0);
	ck_assert_int_eq(liommu_sim_alloc(m->host, RAM_SIZE + (2ull << 20), &va, &pa), 0);
	m->ram_pa = (pa + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	m->ram = (uint8_t *)va + (m->ram_pa - pa);

	m->a = instance(m, mode);
	ck_assert_int_eq(liommu_viommu_attach(m->a, GSID, m->h1), 0);
	if (mode == LIOMMU_VIOMMU_SIDECORE) {
		ck_assert_int_eq(liommu_sidecore_new(NULL, &m->sc), 0);
		ck_assert_int_eq(liommu_sidecore_add(m->sc, m->a), 0);
	}
	m->cur = m->a;
	m->next_page = TABLES_GPA;
	ck_assert_int_eq(liommu_platform_new(&sw_ops, m, &m->gplat), 0);
	ck_assert_int_eq(liommu_unit_new(m->gplat, NULL, &m->gunit), 0);
	ck_assert_int_eq(liommu_domain_new(m->gunit, &m->gdom), 0);
	ck_assert_int_eq(liommu_domain_attach(m->gdom, GSID), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(m->gunit), 0);
	ck_assert_int_eq(liommu_dma_new(m->gdom, &gc, &m->gdma), 0);
}

static void mig_down(struct mig *m)
{
	liommu_dma_free(m->gdma);
	liommu_domain_free(m->gdom);
	liommu_unit_free(m->gunit);
	liommu_platform_free(m->gplat);
	liommu_viommu_free(m->a);	/* removes itself from the sidecore */
	liommu_viommu_free(m->b);
	liommu_sidecore_free(m->sc);
	liommu_domain_free(m->h1);
	liommu_domain_free(m->h2);
	liommu_unit_free(m->hunit);
	liommu_sim_free(m->host);
}

static int dev_write(struct mig *m, uint16_t hsid, uint64_t iova, uint8_t pat)
{
	uint8_t b[32];

	memset(b, pat, sizeof(b));
	return liommu_sim_dma_write(m->host, hsid, iova, b, sizeof(b), NULL);
}

static uint64_t gbuf(unsigned int i)
{
	return (1ull << 20) + i * (64ull << 10);
}

/* The registers a guest reads, equal on both units. */
static void same_registers(struct liommu_viommu *x, struct liommu_viommu *y)
{
	static const uint32_t regs[] = {
		VTD_GSTS_REG, VTD_RTADDR_REG, VTD_FSTS_REG, VTD_FECTL_REG, VTD_IQH_REG,
		VTD_IQT_REG, VTD_IQA_REG, VTD_ICS_REG, VTD_IECTL_REG, VTD_CAP_REG,
	};
	unsigned int i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		ck_assert_msg(liommu_model_read64(liommu_viommu_model(x), regs[i] & ~7u) ==
				      liommu_model_read64(liommu_viommu_model(y), regs[i] & ~7u),
			      "register %#x differs after restore", regs[i]);
}

START_TEST(test_migrate_running_guest)
{
	enum liommu_viommu_mode mode = _i ? LIOMMU_VIOMMU_TRAP : LIOMMU_VIOMMU_SIDECORE;
	static uint8_t blob[LIOMMU_VIOMMU_STATE_SIZE];
	uint64_t iova[8];
	unsigned int i;
	struct mig m;

	mig_up(&m, mode);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(liommu_dma_map(m.gdma, gbuf(i), 64, LIOMMU_DMA_BIDIRECTIONAL,
						&iova[i]),
				 0);
		ck_assert_int_eq(dev_write(&m, HSID1, iova[i], (uint8_t)i), 0);
	}
	/* Stop-and-copy: the guest is not running from here. */
	if (m.sc)
		ck_assert_int_eq(liommu_viommu_save_state(m.a, blob, sizeof(blob)), -EBUSY);
	if (m.sc)
		ck_assert_int_eq(liommu_sidecore_remove(m.sc, m.a), 0);
	ck_assert_int_eq(liommu_viommu_save_state(m.a, blob, sizeof(blob) - 1), -EINVAL);
	ck_assert_int_eq(liommu_viommu_save_state(m.a, blob, sizeof(blob)), 0);
	m.b = instance(&m, mode);
	ck_assert_int_eq(liommu_viommu_restore_state(m.b, blob, sizeof(blob)), 0);
	same_registers(m.a, m.b);
	/* The destination's device: its shadow comes from the guest's tables. */
	ck_assert_int_eq(liommu_viommu_attach(m.b, GSID, m.h2), 0);
	if (m.sc)
		ck_assert_int_eq(liommu_sidecore_add(m.sc, m.b), 0);
	m.cur = m.b;
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(dev_write(&m, HSID2, iova[i], (uint8_t)(0x40 + i)), 0);
		ck_assert_uint_eq(m.ram[gbuf(i)], 0x40 + i);
	}
	/* The guest goes on with B: its queue continues, its strict unmaps
	 * reach the new host domain, new maps appear there. */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(liommu_dma_unmap(m.gdma, iova[i], 64, LIOMMU_DMA_BIDIRECTIONAL), 0);
		ck_assert_int_eq(dev_write(&m, HSID2, iova[i], 1), -EFAULT);
	}
	for (i = 6; i < 8; i++) {
		ck_assert_int_eq(liommu_dma_map(m.gdma, gbuf(i), 64, LIOMMU_DMA_FROM_DEVICE,
						&iova[i]),
				 0);
		ck_assert_int_eq(dev_write(&m, HSID2, iova[i], (uint8_t)i), 0);
		ck_assert_uint_eq(m.ram[gbuf(i)], i);
	}
	for (i = 3; i < 8; i++)
		ck_assert_int_eq(liommu_dma_unmap(m.gdma, iova[i], 64,
						  i < 6 ? LIOMMU_DMA_BIDIRECTIONAL
							: LIOMMU_DMA_FROM_DEVICE),
				 0);
	mig_down(&m);
}
END_TEST

/* Each malformed or foreign blob is refused and changes nothing. */
START_TEST(test_bad_blobs)
{
	static uint8_t good[LIOMMU_VIOMMU_STATE_SIZE], bad[LIOMMU_VIOMMU_STATE_SIZE];
	static uint8_t before[VTD_REG_WINDOW_SIZE], after[VTD_REG_WINDOW_SIZE];
	static const struct {
		const char *what;
		unsigned int off;
		uint8_t xor;
	} cases[] = {
		{ "magic", 0, 0x01 },
		{ "version", 4, 0x02 },
		{ "size", 8, 0x10 },
		{ "number of fault records", 12, 0x01 },
		{ "CAP", 16, 0x80 },
		{ "ECAP", 24, 0x01 },
		{ "root table not 4 KiB aligned", 32, 0x08 },
		{ "queue size not 256 << QS", 72, 0x01 },
		{ "next fault record beyond the unit", 76, 0x05 },
		{ "TE in force but GSTS.TES clear", 80, 0x01 },
		{ "TE not a bool", 80, 0x02 },
		{ "reserved byte", 84, 0x01 },
		{ "VER in the file", 88 + VTD_VER_REG, 0x01 },
		{ "CAP in the file", 88 + VTD_CAP_REG, 0x01 },
	};
	struct liommu_viommu_config vc;
	struct liommu_viommu *v, *other;
	struct liommu_model *mdl;
	unsigned int i;

	liommu_viommu_config_default(&vc);
	vc.mode = LIOMMU_VIOMMU_TRAP;
	ck_assert_int_eq(liommu_viommu_new(&vc, &v), 0);
	mdl = liommu_viommu_model(v);
	/* A state with something latched: a root table, QI on. */
	liommu_viommu_mmio_write(v, VTD_RTADDR_REG, 8, 0x5000);
	liommu_viommu_mmio_write(v, VTD_GCMD_REG, 4, (uint32_t)VTD_GCMD_SRTP);
	ck_assert_int_eq(liommu_model_save_state(mdl, good, sizeof(good)), 0);
	ck_assert_int_eq(liommu_model_regs_snapshot(mdl, before, sizeof(before), NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, good, sizeof(bad));
		bad[cases[i].off] ^= cases[i].xor;
		ck_assert_msg(liommu_viommu_restore_state(v, bad, sizeof(bad)) == -EINVAL,
			      "%s: not refused", cases[i].what);
		ck_assert_int_eq(liommu_model_regs_snapshot(mdl, after, sizeof(after), NULL), 0);
		ck_assert_msg(!memcmp(before, after, sizeof(after)), "%s: unit changed",
			      cases[i].what);
	}
	ck_assert_int_eq(liommu_viommu_restore_state(v, good, sizeof(good) - 8), -EINVAL);
	ck_assert_int_eq(liommu_viommu_restore_state(v, good, sizeof(good)), 0);
	/* Another capability set (8 fault records) does not take it. */
	vc.unit.nfr = 8;
	ck_assert_int_eq(liommu_viommu_new(&vc, &other), 0);
	ck_assert_int_eq(liommu_viommu_restore_state(other, good, sizeof(good)), -EINVAL);
	liommu_viommu_free(other);
	liommu_viommu_free(v);
}
END_TEST

Suite *viommu_state_suite(void)
{
	Suite *s = suite_create("viommu_state");
	TCase *tc;

	tc = tcase_create("a running guest moves to another instance");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_migrate_running_guest, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed or foreign state is refused");
	tcase_add_test(tc, test_bad_blobs);
	suite_add_tcase(s, tc);
	return s;
}
