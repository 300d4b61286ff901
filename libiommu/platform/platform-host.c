// SPDX-License-Identifier: MIT
/*
 * platform-host.c - the host platform: a bare-metal hypervisor's register
 * mapping and page allocator.
 *
 * Registers are accessed with single volatile loads and stores of the
 * register's width; VT-d requires 64-bit registers to be accessed either
 * as one 64-bit access or as two 32-bit ones, lower half first (spec
 * 10.2), and x86-64 performs the 64-bit access atomically.  They are
 * volatile atomic accesses (acquire loads, release stores: plain MOVs on
 * x86) because the window may be plain memory that another thread
 * serves, as the vIOMMU's register page is (viommu-sidecore/src/
 * regpage.c): the C memory model then has no data race, and table and
 * descriptor stores made before a register write stay before it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <liommu/platform.h>

struct host_plat {
	volatile uint8_t *mmio;
	struct liommu_host_config cfg;
	struct liommu_platform_ops ops;
};

static uint32_t host_read32(void *priv, uint32_t off)
{
	struct host_plat *h = priv;

	return __atomic_load_n((volatile uint32_t *)(h->mmio + off), __ATOMIC_ACQUIRE);
}

static uint64_t host_read64(void *priv, uint32_t off)
{
	struct host_plat *h = priv;

	return __atomic_load_n((volatile uint64_t *)(h->mmio + off), __ATOMIC_ACQUIRE);
}

static void host_write32(void *priv, uint32_t off, uint32_t val)
{
	struct host_plat *h = priv;

	__atomic_store_n((volatile uint32_t *)(h->mmio + off), val, __ATOMIC_RELEASE);
}

static void host_write64(void *priv, uint32_t off, uint64_t val)
{
	struct host_plat *h = priv;

	__atomic_store_n((volatile uint64_t *)(h->mmio + off), val, __ATOMIC_RELEASE);
}

static int host_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct host_plat *h = priv;

	return h->cfg.page_alloc(h->cfg.priv, node, va, pa);
}

static void host_page_free(void *priv, void *va, uint64_t pa)
{
	struct host_plat *h = priv;

	h->cfg.page_free(h->cfg.priv, va, pa);
}

/* Write back every 64-byte line of the range (SDM: CLFLUSH is ordered
 * with respect to stores to the same line; the fence orders the lot). */
static void host_flush(void *priv, const void *va, size_t len)
{
	struct host_plat *h = priv;
	uintptr_t p, end;

	if (h->cfg.flush) {
		h->cfg.flush(h->cfg.priv, va, len);
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	end = (uintptr_t)va + len;
	__asm__ volatile("mfence" ::: "memory");
	for (p = (uintptr_t)va & ~(uintptr_t)63; p < end; p += 64)
		__asm__ volatile("clflush %0" : "+m"(*(volatile char *)p));
	__asm__ volatile("mfence" ::: "memory");
#else
	(void)p;
	(void)end;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

static void *host_phys_map(void *priv, uint64_t pa, size_t len)
{
	struct host_plat *h = priv;

	return h->cfg.phys_map ? h->cfg.phys_map(h->cfg.priv, pa, len) : NULL;
}

static void host_destroy(void *priv)
{
	free(priv);
}

int liommu_platform_host_new(volatile void *mmio, const struct liommu_host_config *cfg,
			     struct liommu_platform **out)
{
	struct host_plat *h;
	int ret;

	if (!mmio || !cfg || !cfg->page_alloc || !cfg->page_free || !out)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->mmio = mmio;
	h->cfg = *cfg;
	h->ops = (struct liommu_platform_ops){
		.read32 = host_read32,
		.read64 = host_read64,
		.write32 = host_write32,
		.write64 = host_write64,
		.page_alloc = host_page_alloc,
		.page_free = host_page_free,
		.flush = host_flush,
		.phys_map = host_phys_map,
		.destroy = host_destroy,
	};
	ret = liommu_platform_new(&h->ops, h, out);
	if (ret)
		free(h);
	return ret;
}
