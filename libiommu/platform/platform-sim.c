// SPDX-License-Identifier: MIT
/*
 * sim.c - the sim platform: the software VT-d unit in-process over a
 * block of anonymous memory that plays "physical memory".
 *
 * The block is one mmap() (lazily backed by the kernel, so a large
 * configured size costs nothing until touched).  A bitmap page allocator
 * with a next-fit cursor hands out zeroed runs of pages; consecutive
 * single-page allocations therefore come out physically contiguous while
 * memory is fresh, which is what a driver building an invalidation queue
 * from single pages hopes for.  The model sees the block both as its
 * direct window and through bounded read/write ops (the same interface a
 * planned viommu-sidecore will read a guest's RAM through).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <liommu/model.h>
#include <liommu/platform.h>
#include <liommu/sim.h>
#include <liommu/vtd.h>

#define SIM_DEFAULT_MEM	(64ULL << 20)

struct liommu_sim {
	uint8_t *mem;
	uint64_t base;
	uint64_t size;
	uint64_t npages;
	struct liommu_model *model;
	struct liommu_platform *plat;

	pthread_mutex_t alloc_lock;	/* protects bitmap and cursor */
	uint64_t *bitmap;		/* bit set = page allocated */
	uint64_t cursor;		/* next-fit start */
	_Atomic uint64_t used;
};

/* ------------------------------------------------------------------ */
/* Memory ops for the model (bounded)                                  */
/* ------------------------------------------------------------------ */

static void *sim_ptr(struct liommu_sim *s, uint64_t pa, uint64_t len)
{
	uint64_t off = pa - s->base;

	if (!len || pa < s->base || off >= s->size || len > s->size - off)
		return NULL;
	return s->mem + off;
}

static int sim_mem_read(void *priv, uint64_t pa, void *buf, size_t len)
{
	struct liommu_sim *s = priv;
	void *p = sim_ptr(s, pa, len);

	if (!p)
		return -EFAULT;
	if (len == 8 && !(pa & 7))
		*(uint64_t *)buf = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
	else
		memcpy(buf, p, len);
	return 0;
}

static int sim_mem_write(void *priv, uint64_t pa, const void *buf, size_t len)
{
	struct liommu_sim *s = priv;
	void *p = sim_ptr(s, pa, len);

	if (!p)
		return -EFAULT;
	if (len == 4 && !(pa & 3))
		__atomic_store_n((uint32_t *)p, *(const uint32_t *)buf, __ATOMIC_RELEASE);
	else
		memcpy(p, buf, len);
	return 0;
}

static const struct liommu_model_mem_ops sim_mem_ops = {
	.read = sim_mem_read,
	.write = sim_mem_write,
};

/* ------------------------------------------------------------------ */
/* Page allocator                                                      */
/* ------------------------------------------------------------------ */

static bool bit_test(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] & (1ULL << (i % 64));
}

static void bits_set(uint64_t *bm, uint64_t i, uint64_t n, bool on)
{
	for (; n; n--, i++) {
		if (on)
			bm[i / 64] |= 1ULL << (i % 64);
		else
			bm[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* First run of @n free pages at or after @from, wrapping once. */
static bool find_run_locked(struct liommu_sim *s, uint64_t n, uint64_t *at)
{
	uint64_t tries, i = s->cursor, run = 0, start = 0;

	for (tries = 0; tries < s->npages + n; tries++, i++) {
		if (i >= s->npages) {
			i = 0;
			run = 0;
		}
		if (bit_test(s->bitmap, i)) {
			run = 0;
			continue;
		}
		if (!run)
			start = i;
		if (++run == n) {
			*at = start;
			return true;
		}
	}
	return false;
}

int liommu_sim_alloc(struct liommu_sim *s, size_t size, void **va, uint64_t *pa)
{
	uint64_t n, at;

	if (!s || !size || !pa)
		return -EINVAL;
	n = (size + VTD_PAGE_SIZE - 1) / VTD_PAGE_SIZE;
	if (n > s->npages)
		return -ENOMEM;
	pthread_mutex_lock(&s->alloc_lock);
	if (!find_run_locked(s, n, &at)) {
		pthread_mutex_unlock(&s->alloc_lock);
		return -ENOMEM;
	}
	bits_set(s->bitmap, at, n, true);
	s->cursor = at + n;
	pthread_mutex_unlock(&s->alloc_lock);
	atomic_fetch_add(&s->used, n);
	/* Zeroed outside the lock: the pages are ours now. */
	memset(s->mem + at * VTD_PAGE_SIZE, 0, n * VTD_PAGE_SIZE);
	if (va)
		*va = s->mem + at * VTD_PAGE_SIZE;
	*pa = s->base + at * VTD_PAGE_SIZE;
	return 0;
}

int liommu_sim_release(struct liommu_sim *s, uint64_t pa, size_t size)
{
	uint64_t first, n, i;

	if (!s || !size || (pa & (VTD_PAGE_SIZE - 1)) || !sim_ptr(s, pa, size))
		return -EINVAL;
	first = (pa - s->base) / VTD_PAGE_SIZE;
	n = (size + VTD_PAGE_SIZE - 1) / VTD_PAGE_SIZE;
	pthread_mutex_lock(&s->alloc_lock);
	for (i = 0; i < n; i++)
		if (!bit_test(s->bitmap, first + i)) {
			pthread_mutex_unlock(&s->alloc_lock);
			return -ENOENT;
		}
	bits_set(s->bitmap, first, n, false);
	pthread_mutex_unlock(&s->alloc_lock);
	atomic_fetch_sub(&s->used, n);
	return 0;
}

uint64_t liommu_sim_pages_used(struct liommu_sim *s)
{
	return atomic_load(&s->used);
}

/* ------------------------------------------------------------------ */
/* Platform ops                                                        */
/* ------------------------------------------------------------------ */

static uint32_t sim_read32(void *priv, uint32_t off)
{
	return liommu_model_read32(((struct liommu_sim *)priv)->model, off);
}

static uint64_t sim_read64(void *priv, uint32_t off)
{
	return liommu_model_read64(((struct liommu_sim *)priv)->model, off);
}

static void sim_write32(void *priv, uint32_t off, uint32_t val)
{
	liommu_model_write32(((struct liommu_sim *)priv)->model, off, val);
}

static void sim_write64(void *priv, uint32_t off, uint64_t val)
{
	liommu_model_write64(((struct liommu_sim *)priv)->model, off, val);
}

static int sim_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	(void)node;	/* one block, one node */
	return liommu_sim_alloc(priv, VTD_PAGE_SIZE, va, pa) ? -ENOMEM : 0;
}

static void sim_page_free(void *priv, void *va, uint64_t pa)
{
	(void)va;
	liommu_sim_release(priv, pa, VTD_PAGE_SIZE);
}

static void *sim_phys_map(void *priv, uint64_t pa, size_t len)
{
	return sim_ptr(priv, pa, len);
}

/* No flush op: the model reads the block directly, so it is coherent
 * whatever ECAP.C says. */
static const struct liommu_platform_ops sim_platform_ops = {
	.read32 = sim_read32,
	.read64 = sim_read64,
	.write32 = sim_write32,
	.write64 = sim_write64,
	.page_alloc = sim_page_alloc,
	.page_free = sim_page_free,
	.phys_map = sim_phys_map,
};

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

int liommu_sim_new(const struct liommu_sim_config *cfg, struct liommu_sim **out)
{
	struct liommu_model_config mc;
	struct liommu_sim *s;
	uint64_t size = cfg && cfg->mem_size ? cfg->mem_size : SIM_DEFAULT_MEM;
	uint64_t base = cfg ? cfg->mem_base : 0;
	int ret;

	if (!out || (size & (VTD_PAGE_SIZE - 1)) || (base & (VTD_PAGE_SIZE - 1)) ||
	    base + size < base || (base + size - 1) > VTD_ADDR_MASK ||
	    size > SIZE_MAX / 2)
		return -EINVAL;
	if (cfg && cfg->model)
		mc = *cfg->model;
	else
		liommu_model_config_default(&mc);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->size = size;
	s->npages = size / VTD_PAGE_SIZE;
	ret = -ENOMEM;
	s->bitmap = calloc((s->npages + 63) / 64, sizeof(uint64_t));
	if (!s->bitmap)
		goto err_bitmap;
	s->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->mem == MAP_FAILED)
		goto err_mmap;
	if (pthread_mutex_init(&s->alloc_lock, NULL))
		goto err_lock;
	mc.mem.ops = &sim_mem_ops;
	mc.mem.priv = s;
	mc.mem.direct = s->mem;
	mc.mem.direct_pa = base;
	mc.mem.direct_size = size;
	ret = liommu_model_new(&mc, &s->model);
	if (ret)
		goto err_model;
	ret = liommu_platform_new(&sim_platform_ops, s, &s->plat);
	if (ret)
		goto err_plat;
	*out = s;
	return 0;

err_plat:
	liommu_model_free(s->model);
err_model:
	pthread_mutex_destroy(&s->alloc_lock);
err_lock:
	munmap(s->mem, size);
err_mmap:
	free(s->bitmap);
err_bitmap:
	free(s);
	return ret;
}

void liommu_sim_free(struct liommu_sim *s)
{
	if (!s)
		return;
	liommu_platform_free(s->plat);
	liommu_model_free(s->model);
	pthread_mutex_destroy(&s->alloc_lock);
	munmap(s->mem, s->size);
	free(s->bitmap);
	free(s);
}

struct liommu_platform *liommu_sim_platform(struct liommu_sim *s)
{
	return s->plat;
}

struct liommu_model *liommu_sim_model(struct liommu_sim *s)
{
	return s->model;
}

void *liommu_sim_mem(struct liommu_sim *s, uint64_t *base, uint64_t *size)
{
	if (base)
		*base = s->base;
	if (size)
		*size = s->size;
	return s->mem;
}

void *liommu_sim_phys(struct liommu_sim *s, uint64_t pa, size_t len)
{
	return sim_ptr(s, pa, len);
}

int liommu_sim_dma_read(struct liommu_sim *s, uint16_t sid, uint64_t iova, void *buf,
			size_t len, struct liommu_fault *fault)
{
	return liommu_model_dma_read(s->model, sid, iova, buf, len, fault);
}

int liommu_sim_dma_write(struct liommu_sim *s, uint16_t sid, uint64_t iova,
			 const void *buf, size_t len, struct liommu_fault *fault)
{
	return liommu_model_dma_write(s->model, sid, iova, buf, len, fault);
}
