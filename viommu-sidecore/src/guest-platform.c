// SPDX-License-Identifier: MIT
/*
 * guest-platform.c - libiommu's own driver as a guest's: a platform whose
 * registers are a vIOMMU instance's (the register page as plain memory in
 * SIDECORE mode, exactly what a guest sees; trapped accesses in TRAP
 * mode) and whose pages are guest RAM, addressed guest-physically.  It
 * owns a page allocator over one guest-physical range; it never touches
 * the unit's internals.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/platform.h>
#include <liommu/vtd.h>

#include "instance.h"

#define GP_PAGE 4096ull

struct gp {
	struct liommu_viommu *v;
	uint8_t *base;		/* host address of @gpa (guest RAM) */
	uint64_t gpa, npages;
	pthread_mutex_t lock;	/* the allocator */
	uint64_t next;		/* pages below it were handed out once */
	uint64_t *free_list;	/* page indices given back */
	uint64_t nfree;
};

static uint32_t gp_read32(void *priv, uint32_t off)
{
	struct gp *g = priv;

	return (uint32_t)liommu_viommu_mmio_read(g->v, off, 4);
}

static uint64_t gp_read64(void *priv, uint32_t off)
{
	struct gp *g = priv;

	return liommu_viommu_mmio_read(g->v, off, 8);
}

static void gp_write32(void *priv, uint32_t off, uint32_t val)
{
	struct gp *g = priv;

	liommu_viommu_mmio_write(g->v, off, 4, val);
}

static void gp_write64(void *priv, uint32_t off, uint64_t val)
{
	struct gp *g = priv;

	liommu_viommu_mmio_write(g->v, off, 8, val);
}

static int gp_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct gp *g = priv;
	uint64_t idx;

	(void)node;
	pthread_mutex_lock(&g->lock);
	if (g->nfree) {
		idx = g->free_list[--g->nfree];
	} else if (g->next < g->npages) {
		idx = g->next++;
	} else {
		pthread_mutex_unlock(&g->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&g->lock);
	*va = g->base + idx * GP_PAGE;
	*pa = g->gpa + idx * GP_PAGE;
	memset(*va, 0, GP_PAGE);
	return 0;
}

static void gp_page_free(void *priv, void *va, uint64_t pa)
{
	struct gp *g = priv;

	(void)va;
	if (pa < g->gpa || pa - g->gpa >= g->npages * GP_PAGE)
		return;
	pthread_mutex_lock(&g->lock);
	/* The list has room for every page: each is freed once. */
	g->free_list[g->nfree++] = (pa - g->gpa) / GP_PAGE;
	pthread_mutex_unlock(&g->lock);
}

/* Any guest RAM, for simulated guest devices and tests; the pointer
 * stays valid while its range is in the memory table. */
static void *gp_phys_map(void *priv, uint64_t pa, size_t len)
{
	struct gp *g = priv;
	void *p;

	liommu__viommu_gmem_read_lock(g->v->gmem);
	p = liommu__viommu_gmem_ptr(g->v->gmem, pa, len);
	liommu__viommu_gmem_read_unlock(g->v->gmem);
	return p;
}

static void gp_destroy(void *priv)
{
	struct gp *g = priv;

	pthread_mutex_destroy(&g->lock);
	free(g->free_list);
	free(g);
}

static const struct liommu_platform_ops gp_ops = {
	.read32 = gp_read32,
	.read64 = gp_read64,
	.write32 = gp_write32,
	.write64 = gp_write64,
	.page_alloc = gp_page_alloc,
	.page_free = gp_page_free,
	.phys_map = gp_phys_map,
	.destroy = gp_destroy,
};

int liommu_viommu_guest_platform_new(struct liommu_viommu *v, uint64_t gpa, uint64_t size,
				     struct liommu_platform **out)
{
	struct gp *g;
	void *base;
	int ret;

	if (!v || !out || !size || ((gpa | size) & (GP_PAGE - 1)))
		return -EINVAL;
	liommu__viommu_gmem_read_lock(v->gmem);
	base = liommu__viommu_gmem_ptr(v->gmem, gpa, size);
	liommu__viommu_gmem_read_unlock(v->gmem);
	if (!base)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->v = v;
	g->base = base;
	g->gpa = gpa;
	g->npages = size / GP_PAGE;
	g->free_list = calloc(g->npages, sizeof(*g->free_list));
	if (!g->free_list) {
		free(g);
		return -ENOMEM;
	}
	pthread_mutex_init(&g->lock, NULL);
	ret = liommu_platform_new(&gp_ops, g, out);
	if (ret)
		gp_destroy(g);
	return ret;
}
