// SPDX-License-Identifier: MIT
/*
 * config.c - the default capability set of an emulated unit.  It owns
 * the mapping from "what QEMU 7.2 advertises" to the model's
 * configuration fields, nothing else.
 */
#include <string.h>

#include <liommu/viommu.h>
#include <liommu/vtd.h>

void liommu_viommu_config_default(struct liommu_viommu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	liommu_model_config_default(&cfg->unit);
	/* QEMU 7.2's aw-bits defaults to 39: one width, 3 levels, and
	 * address bits above 39 reserved in its entries. */
	cfg->unit.sagaw = VTD_SAGAW_39;
	cfg->unit.mgaw = 39;
	cfg->unit.haw = 39;
	cfg->unit.caching_mode = true;
	cfg->mode = LIOMMU_VIOMMU_SIDECORE;
	cfg->teardown = LIOMMU_DMA_STRICT;
}
