/* SPDX-License-Identifier: MIT */
/*
 * sim-dev.h - a device's DMA through a unit on the sim platform, as the
 * DMA-layer suites (check-dma.c, check-dma-fixed.c) make it: a write of a
 * pattern or a read, with the unit's pending fault records dropped after
 * a blocked DMA so that the next fault is recorded (the model collapses
 * faults per source-id, as QEMU does).
 */
#ifndef TESTS_SIM_DEV_H
#define TESTS_SIM_DEV_H

#include <check.h>
#include <errno.h>
#include <string.h>

#include <liommu/liommu.h>
#include <liommu/sim.h>

static inline void sim_dev_clear_faults(struct liommu_unit *unit)
{
	struct liommu_fault f[8];

	while (liommu_unit_read_faults(unit, f, 8, NULL) > 0)
		;
}

/* Device @sid writes @len bytes of @pattern at @iova.  Return: 0 or the
 * DMA's error (-EFAULT when the unit blocked it: the fault names @sid and
 * is cleared). */
static inline int sim_dev_write(struct liommu_sim *sim, struct liommu_unit *unit, uint16_t sid,
				uint64_t iova, size_t len, uint8_t pattern)
{
	uint8_t data[2 * 4096];
	struct liommu_fault f;
	int ret;

	ck_assert_uint_le(len, sizeof(data));
	memset(data, pattern, len);
	ret = liommu_sim_dma_write(sim, sid, iova, data, len, &f);
	if (ret == -EFAULT) {
		ck_assert_uint_eq(f.sid, sid);
		sim_dev_clear_faults(unit);
	}
	return ret;
}

/* Device @sid reads @len bytes at @iova into @out.  Return: as above. */
static inline int sim_dev_read(struct liommu_sim *sim, struct liommu_unit *unit, uint16_t sid,
			       uint64_t iova, void *out, size_t len)
{
	struct liommu_fault f;
	int ret = liommu_sim_dma_read(sim, sid, iova, out, len, &f);

	if (ret == -EFAULT)
		sim_dev_clear_faults(unit);
	return ret;
}

#endif /* TESTS_SIM_DEV_H */
