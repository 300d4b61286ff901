// SPDX-License-Identifier: MIT
/*
 * platform.c - the platform object: an ops table and its cookie.
 */
#include <errno.h>
#include <stdlib.h>

#include "../driver/driver-layer.h"

int liommu_platform_new(const struct liommu_platform_ops *ops, void *priv,
			struct liommu_platform **out)
{
	struct liommu_platform *p;

	if (!ops || !out || !ops->read32 || !ops->read64 || !ops->write32 ||
	    !ops->write64 || !ops->page_alloc || !ops->page_free)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->priv = priv;
	*out = p;
	return 0;
}

void liommu_platform_free(struct liommu_platform *plat)
{
	if (!plat)
		return;
	if (plat->ops->destroy)
		plat->ops->destroy(plat->priv);
	free(plat);
}

const struct liommu_platform_ops *liommu_platform_get_ops(const struct liommu_platform *plat)
{
	return plat->ops;
}

void *liommu_platform_get_priv(const struct liommu_platform *plat)
{
	return plat->priv;
}

void *liommu_platform_phys_map(struct liommu_platform *plat, uint64_t pa, size_t len)
{
	if (!plat->ops->phys_map || len == 0 || pa + len < pa)
		return NULL;
	return plat->ops->phys_map(plat->priv, pa, len);
}
