// SPDX-License-Identifier: MIT
/*
 * fuzz-viommu.c - libFuzzer harness for the vIOMMU engine's
 * guest-facing surface: guest memory, register writes, invalidation
 * descriptors.
 *
 * What it is for: everything a guest controls reaches the engine as
 * bytes in its RAM and values in its registers; this harness lets
 * libFuzzer choose both for a TRAP-mode instance with 64 KiB of guest
 * RAM at gpa 0 and one assigned device shadowed into a host domain on
 * the sim platform.  After each input the host domain must map nothing
 * outside that guest RAM's backing (the hostile-guest invariant of
 * tests/check-viommu-hostile.c; that suite also checks the tables grant
 * each mapping), and ASan/UBSan must stay quiet.
 *
 * Input: one byte of flags (bit 0: start from a well-formed unit: root
 * table, a context entry for the device, TE and QI on, so that short
 * inputs reach the walks), then records of
 *   0: ram   u16 offset (8-aligned), u64 value  - a guest store
 *   1: reg   u16 offset, u8 size (4/8), u64     - a trapped write
 *   2: desc  u64 lo, u64 hi                     - a descriptor at the
 *            harness's tail, then IQT
 *   3: fault u64 iova, u8 flags                 - liommu_viommu_fault()
 * Unused trailing bytes are ignored.  The instance lives across inputs
 * (creating a sim per input costs more than the input); each input
 * starts from a reset guest: RAM zeroed, TE, QI off, caches invalidated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#define RAM		(64u << 10)
#define GSID		0x0018
#define HSID		0x0010
#define QBASE		0x8000u		/* the harness's queue: 1 page */

static struct liommu_sim *host;
static struct liommu_unit *hunit;
static struct liommu_domain *hdom;
static struct liommu_viommu *v;
static uint8_t *ram;
static uint64_t ram_pa;
static unsigned int qtail;

static void setup(void)
{
	struct liommu_sim_config hc = { .mem_size = 16u << 20 };
	struct liommu_viommu_config vc;
	void *va;

	if (liommu_sim_new(&hc, &host) ||
	    liommu_unit_new(liommu_sim_platform(host), NULL, &hunit) ||
	    liommu_unit_enable_translation(hunit) || liommu_domain_new(hunit, &hdom) ||
	    liommu_domain_attach(hdom, HSID) || liommu_sim_alloc(host, RAM, &va, &ram_pa))
		abort();
	ram = va;
	liommu_viommu_config_default(&vc);
	vc.mode = LIOMMU_VIOMMU_TRAP;
	if (liommu_viommu_new(&vc, &v) || liommu_viommu_mem_add(v, 0, RAM, ram, ram_pa) ||
	    liommu_viommu_attach(v, GSID, hdom))
		abort();
}

static void wr(uint32_t off, unsigned int size, uint64_t val)
{
	liommu_viommu_mmio_write(v, off, size, val);
}

static void ram64(uint32_t off, uint64_t val)
{
	memcpy(ram + (off & (RAM - 8) & ~7u), &val, 8);
}

/* Back to a unit with nothing enabled and nothing mirrored. */
static void reset(void)
{
	uint64_t gsts = liommu_viommu_mmio_read(v, VTD_GSTS_REG, 4);

	if (gsts & VTD_GSTS_QIES)
		wr(VTD_IQT_REG, 8, liommu_viommu_mmio_read(v, VTD_IQH_REG, 8));
	wr(VTD_GCMD_REG, 4, gsts & VTD_GSTS_TES);	/* QI off first */
	wr(VTD_GCMD_REG, 4, 0);				/* then TE */
	wr(VTD_FSTS_REG, 4, VTD_FSTS_RW1C);
	memset(ram, 0, RAM);
	wr(VTD_CCMD_REG, 8, 0);
	wr(VTD_CCMD_REG, 8, VTD_CCMD_ICC | (uint64_t)VTD_CC_GRAN_GLOBAL << 61);
	qtail = 0;
}

static void scaffold(void)
{
	ram64(0x0000, 0x1000 | 1);			/* root[0] -> context table */
	ram64(0x1000 + (GSID & 0xff) * 16 + 8, 1 | 1u << 8);	/* AW 39, DID 1 */
	ram64(0x1000 + (GSID & 0xff) * 16, 0x2000 | 1);	/* SLPTPTR */
	wr(VTD_RTADDR_REG, 8, 0);
	wr(VTD_GCMD_REG, 4, VTD_GCMD_SRTP);
	wr(VTD_IQT_REG, 8, 0);
	wr(VTD_IQA_REG, 8, QBASE);
	wr(VTD_GCMD_REG, 4, VTD_GCMD_TE);
	wr(VTD_GCMD_REG, 4, VTD_GCMD_TE | VTD_GCMD_QIE);
}

static uint64_t get(const uint8_t **p, const uint8_t *end, unsigned int n)
{
	uint64_t x = 0;
	unsigned int i;

	for (i = 0; i < n && *p < end; i++)
		x |= (uint64_t)*(*p)++ << (8 * i);
	return x;
}

static int leaf_inside(void *priv, uint64_t iova, uint64_t pa, uint64_t size,
		       unsigned int perm)
{
	(void)priv;
	(void)iova;
	(void)perm;
	/* The invariant: the host maps only the guest's RAM. */
	if (pa < ram_pa || size > RAM || pa - ram_pa > RAM - size)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct liommu_fault f;
	uint64_t a, b;

	if (!v)
		setup();
	reset();
	if (get(&p, end, 1) & 1)
		scaffold();
	while (p < end) {
		switch (get(&p, end, 1) & 3) {
		case 0:
			a = get(&p, end, 2);
			ram64((uint32_t)a, get(&p, end, 8));
			break;
		case 1:
			a = get(&p, end, 2) & 0xfff;
			b = get(&p, end, 1) & 1 ? 8 : 4;
			wr((uint32_t)a, (unsigned int)b, get(&p, end, 8));
			break;
		case 2:
			a = get(&p, end, 8);
			b = get(&p, end, 8);
			memcpy(ram + QBASE + qtail * 16, &a, 8);
			memcpy(ram + QBASE + qtail * 16 + 8, &b, 8);
			qtail = (qtail + 1) % 256;
			wr(VTD_IQT_REG, 8, (uint64_t)qtail << 4);
			break;
		default:
			a = get(&p, end, 8);
			(void)liommu_viommu_fault(v, GSID, a, (unsigned int)get(&p, end, 1) & 3, &f);
			break;
		}
	}
	/* Every host leaf of the device. */
	if (liommu_model_walk_range(liommu_sim_model(host), HSID, 0, UINT64_MAX, leaf_inside,
				    NULL) < 0)
		abort();
	return 0;
}
