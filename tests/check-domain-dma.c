// SPDX-License-Identifier: MIT
/*
 * check-domain-dma.c - domains and devices proven by moving real bytes with
 * DMA through a VT-d unit the driver programmed.
 *
 * One set of test bodies runs on two "benches":
 *  - qemu (check-domain-dma-qemu): QEMU 7.2's own intel-iommu model, an
 *    implementation nobody here wrote, with three edu devices (00:01.0,
 *    00:02.0, 00:03.0) as the DMA engines (liommu/qemu.h);
 *  - sim (check-domain-dma-sim): the project's software model (liommu/sim.h),
 *    whose simulated devices can use any source-id (here three, on two
 *    buses).
 * A bench is started once per test case (one QEMU each for 39 bits, 48
 * bits and 48 bits with caching mode, CAP.CM) and each test brings a
 * fresh unit up on it with the invalidation interface under test
 * (register-based or queued), so both are exercised.  The sim's
 * caching-mode bench also reports CAP.RWBF.
 *
 * What a DMA must do is worked out from the specification: bytes land at
 * the physical page the domain maps (9.8); a request to a page without R
 * or W (which is also what a cleared entry looks like) records fault
 * reason 0x06 for a read and 0x05 for a write, a request from a device
 * whose context entry is not present records 0x02 (7.1.3, table "unit
 * fault conditions"); each record carries the requester's source-id and
 * the page address of the request (11.4.14).
 *
 * edu specifics (docs/qemu-oracle.md): its buffer can only be filled and
 * read by DMA, so a device write is "RAM -> edu" from a staging page the
 * bench maps in every domain the device joins, then "edu -> RAM" to the
 * IOVA under test, and a device read is the reverse.  Transfers stay
 * below the buffer's last byte and IOVAs below edu's 28-bit DMA mask.
 * QEMU drops faults of a source-id while one of its records is pending,
 * so every expected fault is read (and so cleared) with
 * liommu_unit_read_faults() before the next DMA, and compared with what
 * the bench saw.
 *
 * The randomized differential test prints its seed and takes it from
 * LIOMMU_SEED.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

#ifdef DMA_BENCH_QEMU
#include <liommu/qemu.h>
#define DMA_SUITE	domain_dma_qemu_suite
#define DMA_SUITE_NAME	"qemu_dma"
/* Transfers end before edu's last buffer byte (QEMU 7.2 aborts there). */
#define DMA_MAX		LIOMMU_EDU_BUF_USABLE
#else
#include <liommu/sim.h>
#define DMA_SUITE	domain_dma_sim_suite
#define DMA_SUITE_NAME	"sim_dma"
#define DMA_MAX		4095u
#endif

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

/*
 * Physical layout, as offsets from the bench's base (guest RAM at 0 for
 * QEMU, whose caller-owned data region is [1 MiB, 128 MiB) with 256 MiB
 * of RAM; a 128 MiB block allocated first on the sim):
 *   POOL   [16 MiB, 48 MiB)  pages the tests map and check;
 *   STAGE  127 MiB           edu's staging page (QEMU only), also mapped
 *                            at IOVA STAGE so that a 1 GiB identity
 *                            mapping covers it.
 * IOVAs used by the tests stay below 120 MiB (edu's mask is 256 MiB).
 */
#define POOL		0x01000000ULL
#define POOL_SIZE	0x02000000ULL
#define STAGE		0x07f00000ULL
#define DATA_SIZE	0x08000000ULL
#define IOVA_SPACE	0x07800000ULL

#define MAX_DEVS	3

struct bench {
	bool up;
	char why[256];		/* why the bench did not come up */
	unsigned int aw;
	bool cm;		/* CAP.CM: the unit may cache not-present entries */
	struct liommu_platform *plat;
	uint64_t base;		/* physical base of the layout above */
	unsigned int ndev;
	uint16_t sid[MAX_DEVS];
	bool staging;		/* DMAs go through STAGE (edu) */
	/* A request the cached translation forbids (write to a read-only
	 * page, read of a write-only one) records a fault, as spec 7.1.3
	 * asks.  QEMU 7.2 does not: see denied_dma(). */
	bool records_cached_denials;
#ifdef DMA_BENCH_QEMU
	struct liommu_qemu *q;
#else
	struct liommu_sim *sim;
#endif
	/* Per test. */
	struct liommu_unit *u;
};

static struct bench B;

/* The driver's and the platform's last warning or error, shown when a
 * test fails to bring a unit up; everything with LIOMMU_TEST_VERBOSE. */
static char last_log[512];

static void test_log(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level <= 4)		/* LOG_WARNING */
		snprintf(last_log, sizeof(last_log), "%s", msg);
	if (getenv("LIOMMU_TEST_VERBOSE"))
		fprintf(stderr, "log(%d): %s\n", level, msg);
}

static uint8_t *phys(uint64_t pa, size_t len)
{
	uint8_t *p = liommu_platform_phys_map(B.plat, pa, len);

	ck_assert_msg(p, "no CPU view of pa 0x%" PRIx64, pa);
	return p;
}

/* ------------------------------------------------------------------ */
/* The two benches                                                     */
/* ------------------------------------------------------------------ */

#ifdef DMA_BENCH_QEMU

static void bench_start(unsigned int aw, bool cm)
{
	struct liommu_qemu_config cfg = {
		.aw_bits = aw, .caching_mode = cm, .timeout_ms = 20000, .log = test_log,
		.edu_count = MAX_DEVS,
	};
	unsigned int i;
	uint64_t base, size;
	int r;

	memset(&B, 0, sizeof(B));
	B.aw = aw;
	B.cm = cm;
	r = liommu_qemu_start(&cfg, &B.q);
	if (r) {
		snprintf(B.why, sizeof(B.why), "liommu_qemu_start: %s", strerror(-r));
		return;
	}
	r = liommu_qemu_data_region(B.q, &base, &size);
	if (r || base > POOL || base + size < DATA_SIZE) {
		snprintf(B.why, sizeof(B.why), "data region [0x%" PRIx64 ", +0x%" PRIx64
			 ") does not hold the layout", base, size);
		return;
	}
	B.plat = liommu_qemu_platform(B.q);
	B.base = 0;
	/* One edu per device, each with its own requester ID and buffer. */
	B.ndev = liommu_qemu_edu_count(B.q);
	if (B.ndev != MAX_DEVS) {
		snprintf(B.why, sizeof(B.why), "%u edus, want %u", B.ndev, MAX_DEVS);
		return;
	}
	for (i = 0; i < B.ndev; i++) {
		r = liommu_qemu_edu_sid_n(B.q, i);
		if (r < 0) {
			snprintf(B.why, sizeof(B.why), "edu %u: %s", i, strerror(-r));
			return;
		}
		B.sid[i] = (uint16_t)r;
	}
	B.staging = true;
	B.records_cached_denials = false;
	B.up = true;
}

static void bench_stop(void)
{
	liommu_qemu_stop(B.q);
	B.q = NULL;
	B.up = false;
}

/* One transfer of edu @dev; a fault is returned in @f with -EFAULT. */
static int edu(unsigned int dev, enum liommu_edu_dir dir, uint64_t iova, uint32_t len,
	       struct liommu_fault *f)
{
	struct liommu_qemu_dma_result res;
	int r = liommu_qemu_edu_dma_n(B.q, dev, dir, iova, 0, len, &res);

	if (r)
		return r;
	ck_assert_msg(!res.overflow, "primary fault overflow");
	if (res.faulted) {
		*f = res.fault;
		return -EFAULT;
	}
	return 0;
}

/* A faulted staging leg is the bench's failure, not the test's. */
static int stage_leg(unsigned int dev, enum liommu_edu_dir dir, uint32_t len)
{
	struct liommu_fault f;
	int r = edu(dev, dir, STAGE, len, &f);

	ck_assert_msg(r == 0, "staging DMA failed (%d, reason 0x%x): is STAGE mapped?", r,
		      r == -EFAULT ? f.reason : 0);
	return r;
}

static int bench_dma(unsigned int dev, bool write, uint64_t iova, void *buf, uint32_t len,
		     struct liommu_fault *f)
{
	int r;

	if (write) {
		memcpy(phys(B.base + STAGE, len), buf, len);
		stage_leg(dev, LIOMMU_EDU_FROM_RAM, len);
		return edu(dev, LIOMMU_EDU_TO_RAM, iova, len, f);
	}
	r = edu(dev, LIOMMU_EDU_FROM_RAM, iova, len, f);
	if (r)
		return r;
	stage_leg(dev, LIOMMU_EDU_TO_RAM, len);
	memcpy(buf, phys(B.base + STAGE, len), len);
	return 0;
}

#else /* the sim */

static void bench_start(unsigned int aw, bool cm)
{
	struct liommu_model_config mc;
	struct liommu_sim_config cfg = { .mem_size = DATA_SIZE + 0x4000000ULL, .model = &mc };
	int r;

	memset(&B, 0, sizeof(B));
	B.aw = aw;
	B.cm = cm;
	/* QEMU's capabilities; the caching-mode bench also asks for
	 * write-buffer flushing (CAP.RWBF), which QEMU cannot offer. */
	liommu_model_config_default(&mc);
	mc.caching_mode = cm;
	mc.rwbf = cm;
	r = liommu_sim_new(&cfg, &B.sim);
	if (r) {
		snprintf(B.why, sizeof(B.why), "liommu_sim_new: %s", strerror(-r));
		return;
	}
	/* The layout first, before any table page is allocated. */
	r = liommu_sim_alloc(B.sim, DATA_SIZE, NULL, &B.base);
	if (r) {
		snprintf(B.why, sizeof(B.why), "liommu_sim_alloc: %s", strerror(-r));
		return;
	}
	B.plat = liommu_sim_platform(B.sim);
	/* Simulated devices: any requester, here on two buses. */
	B.ndev = MAX_DEVS;
	B.sid[0] = vtd_sid(0, 1, 0);
	B.sid[1] = vtd_sid(0, 2, 0);
	B.sid[2] = vtd_sid(3, 0, 1);
	B.staging = false;
	B.records_cached_denials = true;
	B.up = true;
}

static void bench_stop(void)
{
	liommu_sim_free(B.sim);
	B.sim = NULL;
	B.up = false;
}

static int bench_dma(unsigned int dev, bool write, uint64_t iova, void *buf, uint32_t len,
		     struct liommu_fault *f)
{
	if (write)
		return liommu_sim_dma_write(B.sim, B.sid[dev], iova, buf, len, f);
	return liommu_sim_dma_read(B.sim, B.sid[dev], iova, buf, len, f);
}

#endif

static void bench39_start(void) { bench_start(39, false); }
static void bench48_start(void) { bench_start(48, false); }
static void bench48_cm_start(void) { bench_start(48, true); }

/* ------------------------------------------------------------------ */
/* Per-test unit, domains and DMA helpers                              */
/* ------------------------------------------------------------------ */

static const enum liommu_inval_mode modes[] = { LIOMMU_INVAL_REGISTER, LIOMMU_INVAL_QUEUED };

static void unit_up(int i)
{
	struct liommu_unit_config cfg = {
		.addr_width = B.aw,
		.inval = modes[i],
		.numa_node = LIOMMU_NODE_ANY,
		/* Every register poll is a qtest round trip to another
		 * process: leave room for a loaded machine. */
		.timeout_us = 10000000,
		.log = test_log,
	};
	struct liommu_fault junk[8];
	int r;

	ck_assert_msg(B.up, "bench not up: %s", B.why);
	last_log[0] = 0;
	r = liommu_unit_new(B.plat, &cfg, &B.u);
	ck_assert_msg(r == 0, "liommu_unit_new: %s (last message: %s)", strerror(-r), last_log);
	ck_assert_uint_eq(liommu_unit_addr_width(B.u), B.aw);
	ck_assert_uint_eq(liommu_unit_levels(B.u), B.aw == 39 ? 3 : 4);
	ck_assert_int_eq(liommu_unit_inval_mode(B.u), modes[i]);
	ck_assert(!(liommu_unit_cap(B.u) & VTD_CAP_CM) == !B.cm);
	/* A previous test on this bench may have left records behind. */
	while (liommu_unit_read_faults(B.u, junk, 8, NULL) > 0)
		;
	ck_assert_int_eq(liommu_unit_enable_translation(B.u), 0);
}

/* Invalidations went through the interface under test. */
static void unit_down(void)
{
	struct liommu_unit_stats st;

	liommu_unit_get_stats(B.u, &st);
	ck_assert_uint_gt(st.inv_descs, 0);
	ck_assert_uint_gt(st.inv_waits, 0);
	liommu_unit_free(B.u);
	B.u = NULL;
}

static struct liommu_domain *dom_new(void)
{
	struct liommu_domain *d = NULL;

	ck_assert_int_eq(liommu_domain_new(B.u, &d), 0);
	/* Spec 6.2.2: with caching mode, DID 0 tags not-present entries. */
	if (B.cm)
		ck_assert_uint_ne(liommu_domain_id(d), 0);
	return d;
}

/* Attach device @dev; on the qemu bench, make sure the domain maps the
 * staging page (unless a mapping already covers it identically). */
static void attach(struct liommu_domain *d, unsigned int dev)
{
	uint64_t pa = 0;

	if (B.staging) {
		if (liommu_domain_translate(d, STAGE, &pa, NULL, NULL) != 0)
			ck_assert_int_eq(liommu_domain_map(d, STAGE, B.base + STAGE, SZ_4K,
							   LIOMMU_PROT_RW), 0);
		ck_assert_int_eq(liommu_domain_translate(d, STAGE, &pa, NULL, NULL), 0);
		ck_assert_uint_eq(pa, B.base + STAGE);
	}
	ck_assert_int_eq(liommu_domain_attach(d, B.sid[dev]), 0);
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((seed * 2654435761u + i * 40503u) >> 13);
}

/* The fault just reported is the one pending in the unit: read (clear)
 * it with the driver and compare. */
static void expect_recorded(const struct liommu_fault *f)
{
	struct liommu_fault rec[4];
	bool ovf = true;
	int n = liommu_unit_read_faults(B.u, rec, 4, &ovf);

	ck_assert_int_eq(n, 1);
	ck_assert(!ovf);
	ck_assert_uint_eq(rec[0].reason, f->reason);
	ck_assert_uint_eq(rec[0].sid, f->sid);
	ck_assert_uint_eq(rec[0].addr, f->addr);
	ck_assert(rec[0].is_write == f->is_write);
}

/* Device @dev writes @len pattern bytes at @iova; they must land at @pa. */
static void dev_write_ok(unsigned int dev, uint64_t iova, uint64_t pa, uint32_t len,
			 uint32_t seed)
{
	uint8_t want[DMA_MAX];
	struct liommu_fault f;
	uint8_t *p = phys(pa - 1, len + 2) + 1;	/* with a byte either side */
	uint8_t before = p[-1], after = p[len];
	int r;

	ck_assert_uint_le(len, DMA_MAX);
	fill(want, len, seed);
	memset(p, 0x5a, len);
	r = bench_dma(dev, true, iova, want, len, &f);
	ck_assert_msg(r == 0, "write at 0x%" PRIx64 ": %d (reason 0x%x)", iova, r,
		      r == -EFAULT ? f.reason : 0);
	ck_assert_mem_eq(p, want, len);
	ck_assert_uint_eq(p[-1], before);
	ck_assert_uint_eq(p[len], after);
}

/* Device @dev reads @len bytes at @iova; they must come from @pa. */
static void dev_read_ok(unsigned int dev, uint64_t iova, uint64_t pa, uint32_t len,
			uint32_t seed)
{
	uint8_t got[DMA_MAX];
	struct liommu_fault f;
	uint8_t *p = phys(pa, len);
	int r;

	ck_assert_uint_le(len, DMA_MAX);
	fill(p, len, seed);
	memset(got, 0, len);
	r = bench_dma(dev, false, iova, got, len, &f);
	ck_assert_msg(r == 0, "read at 0x%" PRIx64 ": %d (reason 0x%x)", iova, r,
		      r == -EFAULT ? f.reason : 0);
	ck_assert_mem_eq(got, p, len);
}

/* A DMA of device @dev at @iova must fault with @reason; a blocked write
 * must not change @pa (when it is not 0). */
static void dev_dma_faults(unsigned int dev, bool write, uint64_t iova, unsigned int reason,
			   uint64_t pa)
{
	uint8_t buf[64], keep[64];
	struct liommu_fault f;
	int r;

	fill(buf, sizeof(buf), 77);
	if (pa)
		memcpy(keep, phys(pa, sizeof(keep)), sizeof(keep));
	r = bench_dma(dev, write, iova, buf, sizeof(buf), &f);
	ck_assert_msg(r == -EFAULT, "%s at 0x%" PRIx64 " did not fault (%d)",
		      write ? "write" : "read", iova, r);
	ck_assert_msg(f.reason == reason, "%s at 0x%" PRIx64 ": reason 0x%x (%s), want 0x%x",
		      write ? "write" : "read", iova, f.reason,
		      liommu_fault_reason_str(f.reason), reason);
	ck_assert_uint_eq(f.sid, B.sid[dev]);
	ck_assert_uint_eq(f.addr, iova & ~(SZ_4K - 1));
	ck_assert(f.is_write == write);
	expect_recorded(&f);
	if (pa)
		ck_assert_mem_eq(phys(pa, sizeof(keep)), keep, sizeof(keep));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/*
 * A DMA the domain's present mapping forbids (wrong direction) after an
 * allowed DMA to the same page may have cached the translation.  The
 * spec (7.1.3) still faults it with @reason, and the sim does.  QEMU
 * 7.2's vtd_do_iommu_translate() returns an IOTLB hit with its access
 * flags without checking them, so no fault is recorded; the memory core
 * then refuses the access (address_space_translate_iommu(): perm lacks
 * the direction -> unassigned): a write is dropped and a read returns
 * zeros.  Either way nothing may reach or leave @pa.
 */
static void denied_dma(unsigned int dev, bool write, uint64_t iova, unsigned int reason,
		       uint64_t pa)
{
	uint8_t buf[64], keep[64];
	struct liommu_fault f;
	int r;

	fill(buf, sizeof(buf), 91);
	memcpy(keep, phys(pa, sizeof(keep)), sizeof(keep));
	if (!write)
		ck_assert(!all_zero(keep, sizeof(keep)));
	r = bench_dma(dev, write, iova, buf, sizeof(buf), &f);
	if (r == -EFAULT) {
		ck_assert_uint_eq(f.reason, reason);
		ck_assert_uint_eq(f.sid, B.sid[dev]);
		ck_assert_uint_eq(f.addr, iova & ~(SZ_4K - 1));
		ck_assert(f.is_write == write);
		expect_recorded(&f);
	} else {
		ck_assert_msg(!B.records_cached_denials,
			      "%s at 0x%" PRIx64 " against the mapping's rights: %d, no fault",
			      write ? "write" : "read", iova, r);
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(liommu_unit_read_faults(B.u, &f, 1, NULL), 0);
		if (!write)
			ck_assert(all_zero(buf, sizeof(buf)));
	}
	ck_assert_mem_eq(phys(pa, sizeof(keep)), keep, sizeof(keep));
}

static uint64_t P(uint64_t off)
{
	return B.base + POOL + off;
}

/* ------------------------------------------------------------------ */
/* Page sizes                                                          */
/* ------------------------------------------------------------------ */

START_TEST(dma_through_4k_and_2m_pages)
{
	struct liommu_domain *d;
	uint64_t pa, size;

	unit_up(_i);
	d = dom_new();
	/* 4 KiB: a run of three pages, not physically adjacent to its IOVA. */
	ck_assert_int_eq(liommu_domain_map(d, 0x123000, P(0x5000), 3 * SZ_4K,
					   LIOMMU_PROT_RW), 0);
	/* 2 MiB: IOVA and pa both 2 MiB aligned. */
	ck_assert_int_eq(liommu_domain_map(d, 0x400000, P(0x600000), SZ_2M,
					   LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_translate(d, 0x400000, &pa, NULL, &size), 0);
	ck_assert_uint_eq(size, SZ_2M);
	ck_assert_int_eq(liommu_domain_translate(d, 0x124000, &pa, NULL, &size), 0);
	ck_assert_uint_eq(size, SZ_4K);
	attach(d, 0);

	dev_write_ok(0, 0x123010, P(0x5010), 200, 1);
	dev_write_ok(0, 0x125000, P(0x7000), 4000, 2);
	dev_read_ok(0, 0x124800, P(0x6800), 0x800, 3);
	/* First, middle and last 4 KiB of the 2 MiB page. */
	dev_write_ok(0, 0x400000, P(0x600000), 512, 4);
	dev_read_ok(0, 0x4a3100, P(0x6a3100), 300, 5);
	dev_write_ok(0, 0x5ff000 + 3000, P(0x7ff000 + 3000), 1000, 6);
	/* Just outside both. */
	dev_dma_faults(0, true, 0x126000, VTD_FR_WRITE, 0);
	dev_dma_faults(0, false, 0x122000, VTD_FR_READ, 0);
	dev_dma_faults(0, false, 0x600000, VTD_FR_READ, 0);
	liommu_domain_free(d);
	unit_down();
}
END_TEST

START_TEST(dma_through_1g_page_and_its_split)
{
	struct liommu_domain *d;
	uint64_t pa, size;

	unit_up(_i);
	d = dom_new();
	/* A 1 GiB page needs a 1 GiB aligned pa; only the identity mapping
	 * at 0 keeps every DMA target inside the bench's memory. */
	ck_assert_uint_eq(B.base & (SZ_1G - 1), 0);
	ck_assert_int_eq(liommu_domain_map(d, 0, B.base, SZ_1G, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_translate(d, POOL + 0x9000, &pa, NULL, &size), 0);
	ck_assert_uint_eq(size, SZ_1G);
	ck_assert_uint_eq(pa, P(0x9000));
	attach(d, 0);
	dev_write_ok(0, POOL + 0x9000, P(0x9000), 1500, 7);
	dev_read_ok(0, POOL + 0x1234567, P(0x1234567), 700, 8);

	/* Unmap one 4 KiB page inside: 1 GiB -> 2 MiB pages -> 4 KiB pages,
	 * invalidated; the unit must stop using the 1 GiB translation. */
	ck_assert_int_eq(liommu_domain_unmap(d, POOL + 0x9000, SZ_4K), 0);
	ck_assert_int_eq(liommu_domain_translate(d, POOL + 0xa000, &pa, NULL, &size), 0);
	ck_assert_uint_eq(size, SZ_4K);
	ck_assert_int_eq(liommu_domain_translate(d, POOL + SZ_2M, &pa, NULL, &size), 0);
	ck_assert_uint_eq(size, SZ_2M);
	dev_dma_faults(0, true, POOL + 0x9000, VTD_FR_WRITE, P(0x9000));
	dev_dma_faults(0, false, POOL + 0x9800, VTD_FR_READ, 0);
	dev_write_ok(0, POOL + 0xa000, P(0xa000), 100, 9);
	dev_write_ok(0, POOL + 0x8000 + 3000, P(0x8000 + 3000), 1000, 10);
	dev_read_ok(0, POOL + SZ_2M + 0x77, P(SZ_2M + 0x77), 900, 11);
	liommu_domain_free(d);
	unit_down();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Devices and domains                                                 */
/* ------------------------------------------------------------------ */

#define NDOMS	3

/* P(page of domain @k) for devices_in_several_domains(). */
static uint64_t dom_page(unsigned int k)
{
	return P(0x100000 * (k + 1));
}

START_TEST(devices_in_several_domains)
{
	struct liommu_domain *d[NDOMS];
	const uint64_t iova = 0x300000;
	unsigned int k, dev, gone;

	unit_up(_i);
	ck_assert_uint_eq(B.ndev, NDOMS);
	/* The same IOVA, a different page in each domain. */
	for (k = 0; k < NDOMS; k++) {
		d[k] = dom_new();
		ck_assert_int_eq(liommu_domain_map(d[k], iova, dom_page(k), SZ_4K,
						   LIOMMU_PROT_RW), 0);
	}
	/* Every device in its own domain at once. */
	for (dev = 0; dev < B.ndev; dev++)
		attach(d[dev], dev);
	for (dev = 0; dev < B.ndev; dev++)
		dev_write_ok(dev, iova + 0x40, dom_page(dev) + 0x40, 64, 20 + dev);
	/* Each device reads its own domain's page and no other: every page
	 * holds its own pattern before any device reads. */
	for (k = 0; k < NDOMS; k++)
		fill(phys(dom_page(k) + 0x400, 256), 256, 100 + k);
	for (dev = 0; dev < B.ndev; dev++) {
		uint8_t got[256];
		struct liommu_fault f;

		ck_assert_int_eq(bench_dma(dev, false, iova + 0x400, got, sizeof(got), &f), 0);
		ck_assert_mem_eq(got, phys(dom_page(dev) + 0x400, sizeof(got)), sizeof(got));
		for (k = 0; k < NDOMS; k++)
			if (k != dev)
				ck_assert(memcmp(got, phys(dom_page(k) + 0x400, sizeof(got)),
						 sizeof(got)));
	}

	/* One device detached: its request faults "context entry not
	 * present" with its own source-id (the only record), the others
	 * keep reaching their own domains. */
	gone = 1;
	ck_assert_int_eq(liommu_domain_detach(d[gone], B.sid[gone]), 0);
	dev_dma_faults(gone, false, iova + 0x10, VTD_FR_CTX_P, 0);
	for (dev = 0; dev < B.ndev; dev++) {
		if (dev == gone)
			continue;
		dev_write_ok(dev, iova + 0x600, dom_page(dev) + 0x600, 128, 60 + dev);
		dev_read_ok(dev, iova + 0x800, dom_page(dev) + 0x800, 128, 70 + dev);
	}
	dev_dma_faults(gone, false, iova, VTD_FR_CTX_P, 0);
	attach(d[gone], gone);
	dev_read_ok(gone, iova + 0x900, dom_page(gone) + 0x900, 128, 80);
	for (dev = 0; dev < B.ndev; dev++)
		ck_assert_int_eq(liommu_domain_detach(d[dev], B.sid[dev]), 0);

	/* Each device moved through every domain: its DMAs follow it, the
	 * other domains' pages stay as they were. */
	for (dev = 0; dev < B.ndev; dev++) {
		for (k = 0; k < NDOMS; k++) {
			uint64_t other = dom_page((k + 1) % NDOMS);
			uint8_t keep[256];

			memcpy(keep, phys(other, sizeof(keep)), sizeof(keep));
			attach(d[k], dev);
			dev_write_ok(dev, iova, dom_page(k), 256, 30 + k);
			dev_read_ok(dev, iova + 0x800, dom_page(k) + 0x800, 256, 40 + k);
			ck_assert_mem_eq(phys(other, sizeof(keep)), keep, sizeof(keep));
			ck_assert_int_eq(liommu_domain_detach(d[k], B.sid[dev]), 0);
		}
	}
	for (k = 0; k < NDOMS; k++)
		liommu_domain_free(d[k]);
	unit_down();
}
END_TEST

START_TEST(detach_then_dma_faults)
{
	struct liommu_domain *a, *b;
	const uint64_t iova = 0x2000;

	unit_up(_i);
	a = dom_new();
	b = dom_new();
	ck_assert_int_eq(liommu_domain_map(a, iova, P(0x3000), SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(b, iova, P(0x4000), SZ_4K, LIOMMU_PROT_RW), 0);
	attach(a, 0);
	dev_read_ok(0, iova, P(0x3000), 128, 50);	/* caches warm */
	ck_assert_int_eq(liommu_domain_detach(a, B.sid[0]), 0);
	/* The context entry is gone and its cached copy invalidated: reason
	 * 0x02, context entry not present (the bus's root entry stays). */
	dev_dma_faults(0, false, iova + 0x10, VTD_FR_CTX_P, 0);
	dev_dma_faults(0, false, iova + 0x10, VTD_FR_CTX_P, 0);
	/* Attached elsewhere, the same IOVA reaches the other domain's page. */
	attach(b, 0);
	dev_read_ok(0, iova, P(0x4000), 128, 51);
	dev_write_ok(0, iova + 0x100, P(0x4100), 128, 52);
	/* Freeing a domain detaches its devices. */
	liommu_domain_free(b);
	dev_dma_faults(0, false, iova, VTD_FR_CTX_P, 0);
	liommu_domain_free(a);
	unit_down();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Permissions and unmapping                                           */
/* ------------------------------------------------------------------ */

START_TEST(read_only_and_write_only_mappings)
{
	struct liommu_domain *d;
	unsigned int prot;
	uint64_t pa;

	unit_up(_i);
	d = dom_new();
	ck_assert_int_eq(liommu_domain_map(d, 0x10000, P(0x10000), SZ_4K, LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_map(d, 0x11000, P(0x11000), SZ_4K, LIOMMU_PROT_WRITE), 0);
	/* A read-only 2 MiB page too (R at the leaf, PS set). */
	ck_assert_int_eq(liommu_domain_map(d, 0x800000, P(0x800000), SZ_2M, LIOMMU_PROT_READ), 0);
	ck_assert_int_eq(liommu_domain_translate(d, 0x11000, &pa, &prot, NULL), 0);
	ck_assert_uint_eq(prot, LIOMMU_PROT_WRITE);
	attach(d, 0);

	/* The forbidden direction first, with nothing cached: the unit
	 * walks the table and faults (0x05 write, 0x06 read). */
	fill(phys(P(0x11200), 64), 64, 63);
	dev_dma_faults(0, true, 0x10100, VTD_FR_WRITE, P(0x10100));
	dev_dma_faults(0, false, 0x11200, VTD_FR_READ, 0);
	dev_dma_faults(0, true, 0x9ff000, VTD_FR_WRITE, P(0x9ff000));
	/* The allowed direction works... */
	dev_read_ok(0, 0x10100, P(0x10100), 256, 60);
	dev_write_ok(0, 0x11200, P(0x11200), 256, 61);
	dev_read_ok(0, 0x9ff000, P(0x9ff000), 1024, 62);
	/* ...and the forbidden one stays blocked with the translation
	 * cached (recorded or not, see denied_dma()). */
	denied_dma(0, true, 0x10100, VTD_FR_WRITE, P(0x10100));
	denied_dma(0, false, 0x11200, VTD_FR_READ, P(0x11200));
	denied_dma(0, true, 0x9ff000 + 0x40, VTD_FR_WRITE, P(0x9ff040));
	liommu_domain_free(d);
	unit_down();
}
END_TEST

START_TEST(unmap_then_dma_faults)
{
	struct liommu_domain *d;
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	unsigned int k;

	unit_up(_i);
	d = dom_new();
	ck_assert_int_eq(liommu_domain_map(d, 0x40000, P(0x40000), 8 * SZ_4K, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_map(d, 0xc00000, P(0xc00000), SZ_2M, LIOMMU_PROT_RW), 0);
	attach(d, 0);
	/* Every page used once, so the unit has cached its translation. */
	for (k = 0; k < 8; k++)
		dev_read_ok(0, 0x40000 + k * SZ_4K, P(0x40000 + k * SZ_4K), 64, 70 + k);
	dev_read_ok(0, 0xc00000, P(0xc00000), 64, 78);

	ck_assert_int_eq(liommu_domain_unmap(d, 0x42000, SZ_4K), 0);
	dev_dma_faults(0, true, 0x42000 + 0x300, VTD_FR_WRITE, P(0x42300));
	dev_dma_faults(0, false, 0x42000 + 0x300, VTD_FR_READ, 0);
	dev_read_ok(0, 0x41000, P(0x41000), 64, 79);
	dev_read_ok(0, 0x43000, P(0x43000), 64, 80);

	/* Deferred: gathered, then one flush makes both go. */
	ck_assert_int_eq(liommu_domain_unmap_nosync(d, 0x44000, 2 * SZ_4K, &g), 0);
	ck_assert_int_eq(liommu_domain_unmap_nosync(d, 0xc00000, SZ_2M, &g), 0);
	ck_assert_int_eq(liommu_domain_flush(d, &g), 0);
	dev_dma_faults(0, false, 0x45000, VTD_FR_READ, 0);
	dev_dma_faults(0, true, 0xd00000, VTD_FR_WRITE, P(0xd00000));
	dev_read_ok(0, 0x46000, P(0x46000), 64, 81);

	/* Mapped again elsewhere: the new page, not a stale one. */
	ck_assert_int_eq(liommu_domain_map(d, 0x42000, P(0x90000), SZ_4K, LIOMMU_PROT_RW), 0);
	dev_write_ok(0, 0x42000, P(0x90000), 512, 82);
	liommu_domain_free(d);
	unit_down();
}
END_TEST

/*
 * A fault first, then the mapping (or the attach) that makes the request
 * legal, then the same request again.  A unit with caching mode may have
 * cached the not-present context entry (tagged DID 0) and the not-present
 * leaf (spec 6.1, 6.2.2): attach and map must invalidate them.  Without
 * caching mode nothing may be cached and the test still holds.
 */
START_TEST(fault_then_map_or_attach_then_dma)
{
	struct liommu_domain *d;

	unit_up(_i);
	d = dom_new();
	ck_assert_int_eq(liommu_domain_map(d, 0x20000, P(0x20000), SZ_4K, LIOMMU_PROT_RW), 0);
	/* Not attached yet: a fresh unit has no context table for the bus. */
	dev_dma_faults(0, false, 0x20000, VTD_FR_ROOT_P, 0);
	attach(d, 0);
	dev_read_ok(0, 0x20000, P(0x20000), 128, 90);
	/* Not mapped yet: both directions fault, then map and retry. */
	dev_dma_faults(0, false, 0x31000, VTD_FR_READ, 0);
	dev_dma_faults(0, true, 0x31000, VTD_FR_WRITE, P(0x31000));
	ck_assert_int_eq(liommu_domain_map(d, 0x31000, P(0x31000), SZ_4K, LIOMMU_PROT_RW), 0);
	dev_read_ok(0, 0x31000, P(0x31000), 128, 91);
	dev_write_ok(0, 0x31800, P(0x31800), 128, 92);
	/* A 2 MiB page over a range that faulted at 4 KiB. */
	dev_dma_faults(0, false, 0xe01000, VTD_FR_READ, 0);
	ck_assert_int_eq(liommu_domain_map(d, 0xe00000, P(0xe00000), SZ_2M, LIOMMU_PROT_RW), 0);
	dev_read_ok(0, 0xe01000, P(0xe01000), 128, 93);
	liommu_domain_free(d);
	unit_down();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Randomized differential test                                        */
/* ------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t test_seed(void)
{
	const char *env = getenv("LIOMMU_SEED");

	if (env && *env)
		return strtoull(env, NULL, 0);
	return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

#define RND_MAPS	2048
#define RND_ROUNDS	6
#define RND_OPS		60	/* map/unmap operations per round */
#define RND_DMAS	24	/* DMAs per round */

struct rnd_map {
	uint64_t iova, size;
};

/* A random mapping: 4 KiB runs or 2 MiB pages, into POOL, IOVAs in
 * [0, IOVA_SPACE) away from STAGE's 2 MiB. */
static void rnd_range(uint64_t *rng, uint64_t *iova, uint64_t *size, uint64_t *pa)
{
	bool big = rng_next(rng) % 4 == 0;
	uint64_t align = big ? SZ_2M : SZ_4K;

	*size = big ? SZ_2M * (1 + rng_next(rng) % 2) : SZ_4K * (1 + rng_next(rng) % 16);
	*iova = (rng_next(rng) % ((IOVA_SPACE - *size) / align)) * align;
	*pa = P((rng_next(rng) % ((POOL_SIZE - *size) / align)) * align);
	/* Sometimes a pa that is not 2 MiB aligned: 4 KiB pages for a 2 MiB
	 * aligned IOVA range. */
	if (big && rng_next(rng) % 3 == 0) {
		*pa = P((rng_next(rng) % ((POOL_SIZE - *size) / SZ_4K)) * SZ_4K);
		if (!(*pa & (SZ_2M - 1)))
			*pa += SZ_4K;
	}
}

START_TEST(random_dma_matches_translate)
{
	static struct rnd_map maps[RND_MAPS];
	struct liommu_domain *d;
	uint64_t seed = test_seed(), rng = seed;
	unsigned int nmaps = 0, round, op, k, faults = 0, landed = 0, silent = 0;
	unsigned int nmapped = 0, nunmapped = 0;
	uint8_t buf[1024], keep[1024];

	fprintf(stderr, "random_dma_matches_translate: aw %u mode %d LIOMMU_SEED=%" PRIu64 "\n",
		B.aw, (int)modes[_i], seed);
	unit_up(_i);
	d = dom_new();
	attach(d, 0);
	fill(phys(P(0), POOL_SIZE), POOL_SIZE, (uint32_t)seed);

	for (round = 0; round < RND_ROUNDS; round++) {
		for (op = 0; op < RND_OPS; op++) {
			uint64_t iova, size, pa;
			int r;

			if (nmaps == 0 || rng_next(&rng) % 2 == 0) {
				unsigned int prot = 1 + (unsigned int)(rng_next(&rng) % 3);

				rnd_range(&rng, &iova, &size, &pa);
				if (iova < STAGE + SZ_2M && iova + size > STAGE - SZ_2M)
					continue;
				r = liommu_domain_map(d, iova, pa, size, prot);
				ck_assert_msg(r == 0 || r == -EEXIST, "seed %" PRIu64 ": map %d",
					      seed, r);
				if (r == 0 && nmaps < RND_MAPS) {
					maps[nmaps++] = (struct rnd_map){ iova, size };
					nmapped++;
				}
			} else {
				/* A whole earlier mapping or a piece of it. */
				k = (unsigned int)(rng_next(&rng) % nmaps);
				iova = maps[k].iova;
				size = maps[k].size;
				if (rng_next(&rng) % 3 == 0 && size > SZ_4K) {
					uint64_t pages = size / SZ_4K, first = rng_next(&rng) % pages;

					iova += first * SZ_4K;
					size = SZ_4K * (1 + rng_next(&rng) % (pages - first));
				} else {
					maps[k] = maps[--nmaps];
				}
				r = liommu_domain_unmap(d, iova, size);
				ck_assert_msg(r == 0 || r == -ENOENT, "seed %" PRIu64 ": unmap %d",
					      seed, r);
				nunmapped++;
			}
		}
		/* DMAs, three in four inside a mapping the reference kept. */
		for (op = 0; op < RND_DMAS; op++) {
			uint64_t iova, pa = 0, psize;
			unsigned int prot = 0;
			bool write = rng_next(&rng) % 2;
			uint32_t len = 1 + (uint32_t)(rng_next(&rng) % sizeof(buf));
			struct liommu_fault f;
			int t, r;

			if (nmaps && rng_next(&rng) % 4) {
				k = (unsigned int)(rng_next(&rng) % nmaps);
				iova = maps[k].iova + rng_next(&rng) % maps[k].size;
			} else {
				iova = rng_next(&rng) % IOVA_SPACE;
			}
			/* Stay in one 4 KiB page. */
			if ((iova & (SZ_4K - 1)) + len > SZ_4K)
				len = (uint32_t)(SZ_4K - (iova & (SZ_4K - 1)));
			if (iova >= STAGE - SZ_2M && iova < STAGE + SZ_2M)
				continue;
			t = liommu_domain_translate(d, iova, &pa, &prot, &psize);
			ck_assert(t == 0 || t == -ENOENT);
			if (t == 0)
				ck_assert(pa >= P(0) && pa + len <= P(POOL_SIZE));
			fill(buf, len, (uint32_t)rng_next(&rng));
			if (t == 0 && write)
				memcpy(keep, phys(pa, len), len);
			r = bench_dma(0, write, iova, buf, len, &f);
			if (t == 0 && (prot & (write ? LIOMMU_PROT_WRITE : LIOMMU_PROT_READ))) {
				ck_assert_msg(r == 0, "seed %" PRIu64 ": %s 0x%" PRIx64
					      " (pa 0x%" PRIx64 ") gave %d, reason 0x%x", seed,
					      write ? "write" : "read", iova, pa, r,
					      r == -EFAULT ? f.reason : 0);
				if (write) {
					ck_assert_mem_eq(phys(pa, len), buf, len);
				} else {
					ck_assert_mem_eq(buf, phys(pa, len), len);
				}
				landed++;
				continue;
			}
			if (t == 0 && r == 0 && !B.records_cached_denials) {
				/* Present, wrong direction, translation cached by
				 * QEMU: blocked without a record (denied_dma()). */
				ck_assert_int_eq(liommu_unit_read_faults(B.u, &f, 1, NULL), 0);
				if (write)
					ck_assert_mem_eq(phys(pa, len), keep, len);
				else
					ck_assert(all_zero(buf, len));
				silent++;
				continue;
			}
			ck_assert_msg(r == -EFAULT, "seed %" PRIu64 ": %s 0x%" PRIx64
				      " not allowed by translate (%d, prot %u) but gave %d", seed,
				      write ? "write" : "read", iova, t, prot, r);
			ck_assert_uint_eq(f.reason, write ? VTD_FR_WRITE : VTD_FR_READ);
			ck_assert_uint_eq(f.sid, B.sid[0]);
			ck_assert_uint_eq(f.addr, iova & ~(SZ_4K - 1));
			ck_assert(f.is_write == write);
			expect_recorded(&f);
			if (t == 0 && write)
				ck_assert_mem_eq(phys(pa, len), keep, len);
			faults++;
		}
	}
	fprintf(stderr, "  %u maps, %u unmaps; DMAs: %u landed, %u faulted, %u denied "
		"without a record\n", nmapped, nunmapped, landed, faults, silent);
	ck_assert_uint_gt(landed, 10);
	ck_assert_uint_gt(faults, 10);
	liommu_domain_free(d);
	unit_down();
}
END_TEST

Suite *DMA_SUITE(void);
Suite *DMA_SUITE(void)
{
	Suite *s = suite_create(DMA_SUITE_NAME);
	static const struct {
		const char *name;
		void (*start)(void);
	} benches[] = {
		{ "aw39", bench39_start },
		{ "aw48", bench48_start },
		{ "aw48_cm", bench48_cm_start },
	};
	unsigned int i;
	int n = (int)(sizeof(modes) / sizeof(modes[0]));

	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		TCase *tc = tcase_create(benches[i].name);

		/* One bench (one QEMU) per test case; each test brings up its
		 * own unit on it, register-based (_i = 0) and queued (1). */
		tcase_add_unchecked_fixture(tc, benches[i].start, bench_stop);
		/* About 3 s per test on an idle machine; sanitizers and a
		 * machine loaded many times over need far more. */
		tcase_set_timeout(tc, 300);
		tcase_add_loop_test(tc, dma_through_4k_and_2m_pages, 0, n);
		tcase_add_loop_test(tc, dma_through_1g_page_and_its_split, 0, n);
		tcase_add_loop_test(tc, devices_in_several_domains, 0, n);
		tcase_add_loop_test(tc, detach_then_dma_faults, 0, n);
		tcase_add_loop_test(tc, read_only_and_write_only_mappings, 0, n);
		tcase_add_loop_test(tc, unmap_then_dma_faults, 0, n);
		tcase_add_loop_test(tc, fault_then_map_or_attach_then_dma, 0, n);
		tcase_add_loop_test(tc, random_dma_matches_translate, 0, n);
		suite_add_tcase(s, tc);
	}
	return s;
}
