// SPDX-License-Identifier: MIT
/*
 * env.c - the stack one measurement runs on: a platform (the in-process
 * sim, QEMU's VT-d model through the qemu platform, or a guest of the
 * vIOMMU engine whose assigned NIC reaches memory through a host domain
 * on the sim), a unit brought up by the driver, one domain with the NIC's
 * source-id attached, and the mapping strategy under test on top of it.  It also gives the simulated
 * device its DMA (through the unit: faults are real faults) and the
 * exposure probe its "would a DMA here still succeed?" question.
 *
 * A fresh stack per (workload, strategy) keeps counters, caches and page
 * tables from leaking between measurements.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/dma.h>
#include <liommu/liommu.h>
#include <liommu/model.h>
#include <liommu/qemu.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>

#include "policy.h"

/* The NIC's requester ID on the sim: bus 1, device 0, function 0 (where
 * a NIC behind a root port sits). */
#define SIM_NIC_SID	0x0100

/*
 * Buffers in a region of (guest-)physical memory: QEMU's data region
 * [1 MiB, RAM / 2), or the vIOMMU guest's buffer RAM.  A first-fit page
 * bitmap under a mutex hands them out.  Buffers are allocated once per
 * slot and recycled by the NIC, so this is not a hot path.
 */
struct ram_bufs {
	pthread_mutex_t lock;
	uint64_t base;
	size_t pages;
	unsigned char *used;
};

/*
 * vIOMMU guest layout (guest-physical): buffers at [1 MiB, 1 MiB +
 * mem_size), the guest driver's table pages after them.  Guest RAM is a
 * block of the host sim's memory, so the host IOMMU maps guest-physical
 * g to host-physical ram_pa + g.
 */
#define VIOMMU_BUF_GPA	(1ull << 20)

const char *ipol_platform_name(enum ipol_platform_kind k)
{
	return k == IPOL_PLATFORM_QEMU ? "qemu" : k == IPOL_PLATFORM_VIOMMU ? "viommu" : "sim";
}

int ipol_platform_parse(const char *s, enum ipol_platform_kind *out)
{
	if (!strcmp(s, "sim"))
		*out = IPOL_PLATFORM_SIM;
	else if (!strcmp(s, "qemu"))
		*out = IPOL_PLATFORM_QEMU;
	else if (!strcmp(s, "viommu"))
		*out = IPOL_PLATFORM_VIOMMU;
	else
		return -EINVAL;
	return 0;
}

static int ram_bufs_new(struct ipol_env *env, uint64_t base, uint64_t size)
{
	struct ram_bufs *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->base = base;
	b->pages = (size_t)(size / 4096);
	b->used = calloc(b->pages, 1);
	if (!b->used) {
		free(b);
		return -ENOMEM;
	}
	pthread_mutex_init(&b->lock, NULL);
	env->ram_bufs = b;
	env->mem_base = base;
	env->mem_size = size;
	return 0;
}

static void ram_bufs_free(struct ipol_env *env)
{
	struct ram_bufs *b = env->ram_bufs;

	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->used);
	free(b);
	env->ram_bufs = NULL;
}

/*
 * The vIOMMU platform: a host (sim platform, the driver, a domain for
 * the NIC, with the modelled invalidation latency: the real hardware's
 * cost), guest RAM in the host's memory, an instance in sidecore mode
 * served by a sidecore thread, the NIC attached, and the guest platform
 * on which ipol_env_new() then brings up the guest's own unit.
 */
static int start_viommu(const struct ipol_env_config *cfg, struct ipol_env *env,
			const char **why)
{
	struct liommu_sim_config sc = { 0 };
	struct liommu_model_config mc;
	struct liommu_viommu_config vc;
	uint64_t bufs = (cfg->mem_size + 4095) & ~4095ull;
	uint64_t tables = (16ull << 20) + bufs / 4;
	uint64_t ram = VIOMMU_BUF_GPA + bufs + tables, ram_pa;
	void *ram_va;
	int ret;

	liommu_model_config_default(&mc);
	mc.inval_latency_ns = cfg->knobs.inval_latency_ns;
	sc.model = &mc;
	/* Guest RAM, 2 MiB of alignment slack, the host's own tables. */
	sc.mem_size = ram + (2ull << 20) + tables;
	*why = "creating the host sim platform";
	ret = liommu_sim_new(&sc, &env->sim);
	if (ret)
		return ret;
	env->sid = SIM_NIC_SID;
	*why = "bringing up the host VT-d unit";
	ret = liommu_unit_new(liommu_sim_platform(env->sim), NULL, &env->host_unit);
	if (ret)
		return ret;
	ret = liommu_domain_new(env->host_unit, &env->host_dom);
	if (!ret)
		ret = liommu_domain_attach(env->host_dom, env->sid);
	if (!ret)
		ret = liommu_unit_enable_translation(env->host_unit);
	if (ret)
		return ret;
	*why = "allocating guest RAM";
	ret = liommu_sim_alloc(env->sim, ram + (2ull << 20), &ram_va, &ram_pa);
	if (ret)
		return ret;
	{
		/* 2 MiB aligned, so guest superpages can be host ones. */
		uint64_t pa = (ram_pa + (2ull << 20) - 1) & ~((2ull << 20) - 1);

		ram_va = (uint8_t *)ram_va + (pa - ram_pa);
		ram_pa = pa;
	}
	env->guest_ram_pa = ram_pa;
	*why = "creating the vIOMMU instance";
	liommu_viommu_config_default(&vc);
	ret = liommu_viommu_new(&vc, &env->viommu);
	if (ret)
		return ret;
	ret = liommu_viommu_mem_add(env->viommu, 0, ram, ram_va, ram_pa);
	if (ret)
		return ret;
	*why = "assigning the NIC to the guest";
	ret = liommu_viommu_attach(env->viommu, env->sid, env->host_dom);
	if (ret)
		return ret;
	*why = "starting the sidecore";
	ret = liommu_sidecore_new(NULL, &env->sidecore);
	if (!ret)
		ret = liommu_sidecore_add(env->sidecore, env->viommu);
	if (ret)
		return ret;
	*why = "creating the guest platform";
	ret = liommu_viommu_guest_platform_new(env->viommu, VIOMMU_BUF_GPA + bufs, tables,
					       &env->plat);
	if (ret)
		return ret;
	*why = "setting up buffers in guest RAM";
	return ram_bufs_new(env, VIOMMU_BUF_GPA, bufs);
}

static void stop_viommu(struct ipol_env *env)
{
	liommu_platform_free(env->plat);
	env->plat = NULL;
	if (env->sidecore) {
		if (env->viommu)
			liommu_sidecore_remove(env->sidecore, env->viommu);
		liommu_sidecore_free(env->sidecore);
	}
	liommu_viommu_free(env->viommu);
	liommu_domain_free(env->host_dom);
	liommu_unit_free(env->host_unit);
}

static int start_platform(const struct ipol_env_config *cfg, struct ipol_env *env,
			  const char **why)
{
	uint64_t base, size;
	int ret;

	if (cfg->kind == IPOL_PLATFORM_QEMU) {
		struct liommu_qemu_config qc = { 0 };

		qc.ram_mb = (unsigned int)((cfg->mem_size + (1u << 20) - 1) >> 20);
		if (qc.ram_mb < 256)
			qc.ram_mb = 256;
		*why = "starting QEMU";
		ret = liommu_qemu_start(&qc, &env->qemu);
		if (ret)
			return ret;
		env->plat = liommu_qemu_platform(env->qemu);
		env->sid = liommu_qemu_edu_sid(env->qemu);
		*why = "setting up buffers in QEMU's RAM";
		ret = liommu_qemu_data_region(env->qemu, &base, &size);
		return ret ? ret : ram_bufs_new(env, base, size);
	}
	if (cfg->kind == IPOL_PLATFORM_VIOMMU)
		return start_viommu(cfg, env, why);

	{
		struct liommu_sim_config sc = { 0 };
		struct liommu_model_config mc;

		/* The modelled invalidation latency is the unit's: every
		 * invalidation the driver waits for takes that long. */
		liommu_model_config_default(&mc);
		mc.inval_latency_ns = cfg->knobs.inval_latency_ns;
		sc.model = &mc;
		sc.mem_size = cfg->mem_size;
		*why = "creating the sim platform";
		ret = liommu_sim_new(&sc, &env->sim);
		if (ret)
			return ret;
		env->plat = liommu_sim_platform(env->sim);
		env->sid = SIM_NIC_SID;
		liommu_sim_mem(env->sim, &env->mem_base, &env->mem_size);
	}
	return 0;
}

int ipol_env_new(const struct ipol_env_config *cfg, struct ipol_env *env,
		 const char **why)
{
	struct liommu_dma_config dc = { 0 };
	struct liommu_dma_range range;
	int ret;

	memset(env, 0, sizeof(*env));
	env->kind = cfg->kind;
	ret = start_platform(cfg, env, why);
	if (ret)
		goto err;

	*why = "bringing up the VT-d unit";
	ret = liommu_unit_new(env->plat, NULL, &env->unit);
	if (ret)
		goto err;
	*why = "creating the domain";
	ret = liommu_domain_new(env->unit, &env->dom);
	if (ret)
		goto err;
	*why = "attaching the device to the domain";
	ret = liommu_domain_attach(env->dom, env->sid);
	if (ret)
		goto err;
	*why = "enabling translation";
	ret = liommu_unit_enable_translation(env->unit);
	if (ret)
		goto err;

	dc.strategy = cfg->strategy;
	dc.quota = cfg->knobs.quota;
	dc.age_ns = cfg->knobs.age_ns;
	dc.batch = cfg->knobs.batch;
	dc.interval_ns = cfg->knobs.interval_ns;
	dc.queues = cfg->knobs.queues;
	dc.iova_limit = cfg->iova_limit;
	if (cfg->kind == IPOL_PLATFORM_QEMU)
		dc.iova_limit = LIOMMU_EDU_DMA_MASK + 1;
	if (cfg->strategy == LIOMMU_DMA_DIRECT) {
		/* Everything the buffers can live in, mapped up front. */
		range.pa = env->mem_base;
		range.len = env->mem_size;
		if (cfg->direct_size && cfg->direct_size < range.len)
			range.len = cfg->direct_size;
		dc.ranges = &range;
		dc.nranges = 1;
	}
	*why = "creating the mapping strategy";
	ret = liommu_dma_new(env->dom, &dc, &env->dma);
	if (ret)
		goto err;
	return 0;
err:
	ipol_env_free(env);
	return ret;
}

void ipol_env_free(struct ipol_env *env)
{
	liommu_dma_free(env->dma);
	if (env->dom)
		liommu_domain_detach(env->dom, env->sid);
	liommu_domain_free(env->dom);
	liommu_unit_free(env->unit);
	ram_bufs_free(env);
	if (env->kind == IPOL_PLATFORM_VIOMMU)
		stop_viommu(env);
	liommu_qemu_stop(env->qemu);
	liommu_sim_free(env->sim);
	memset(env, 0, sizeof(*env));
}

int ipol_env_buf_alloc(struct ipol_env *env, uint64_t size, uint64_t *pa)
{
	struct ram_bufs *b = env->ram_bufs;
	size_t n = (size_t)((size + 4095) / 4096), i, run = 0;

	if (!b)
		return liommu_sim_alloc(env->sim, (size_t)size, NULL, pa);
	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->pages; i++) {
		run = b->used[i] ? 0 : run + 1;
		if (run == n) {
			memset(&b->used[i + 1 - n], 1, n);
			pthread_mutex_unlock(&b->lock);
			*pa = b->base + (uint64_t)(i + 1 - n) * 4096;
			return 0;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return -ENOMEM;
}

void ipol_env_buf_free(struct ipol_env *env, uint64_t pa, uint64_t size)
{
	struct ram_bufs *b = env->ram_bufs;
	size_t n = (size_t)((size + 4095) / 4096);

	if (!b) {
		liommu_sim_release(env->sim, pa, (size_t)n * 4096);
		return;
	}
	pthread_mutex_lock(&b->lock);
	memset(&b->used[(pa - b->base) / 4096], 0, n);
	pthread_mutex_unlock(&b->lock);
}

/* Collect and clear fault records so QEMU records the next one. */
static void qemu_clear_faults(struct ipol_env *env)
{
	struct liommu_fault f[8];
	bool ovf;

	while (liommu_unit_read_faults(env->unit, f, 8, &ovf) == 8)
		;
}

/*
 * edu moves at most its 4 KiB buffer (less the last byte, see
 * LIOMMU_EDU_BUF_USABLE) per command: larger transfers are split, as a
 * device's DMA engine splits at its maximum payload.
 */
static int qemu_dma(struct ipol_env *env, enum liommu_edu_dir dir,
		    uint64_t iova, size_t len)
{
	struct liommu_qemu_dma_result res;

	while (len) {
		/* QEMU 7.2's edu must not reach its buffer's last byte. */
		uint32_t chunk = len > LIOMMU_EDU_BUF_USABLE ? LIOMMU_EDU_BUF_USABLE
							     : (uint32_t)len;
		int ret = liommu_qemu_edu_dma(env->qemu, dir, iova, 0, chunk, &res);

		if (ret)
			return ret;
		if (res.faulted || res.overflow) {
			qemu_clear_faults(env);
			return -EFAULT;
		}
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

int ipol_env_dev_write(struct ipol_env *env, uint64_t iova, const void *buf,
		       size_t len)
{
	if (env->sim)
		return liommu_sim_dma_write(env->sim, env->sid, iova, buf, len, NULL);
	/* edu writes what its buffer holds; the payload bytes do not matter. */
	return qemu_dma(env, LIOMMU_EDU_TO_RAM, iova, len);
}

int ipol_env_dev_read(struct ipol_env *env, uint64_t iova, void *buf, size_t len)
{
	if (env->sim)
		return liommu_sim_dma_read(env->sim, env->sid, iova, buf, len, NULL);
	return qemu_dma(env, LIOMMU_EDU_FROM_RAM, iova, len);
}

int ipol_env_probe(struct ipol_env *env, uint64_t iova, bool write,
		   bool *iotlb_hit, uint64_t *pa)
{
	int ret;

	*iotlb_hit = false;
	*pa = IPOL_PA_UNKNOWN;
	if (env->sim) {
		struct liommu_model_xlate x;
		unsigned int flags = (write ? LIOMMU_MODEL_WRITE : LIOMMU_MODEL_READ) |
				     LIOMMU_MODEL_NO_RECORD;

		ret = liommu_model_translate(liommu_sim_model(env->sim), env->sid,
					     iova, flags, &x, NULL);
		if (ret == -EFAULT)
			return 0;
		if (ret)
			return ret;
		*iotlb_hit = x.iotlb_hit;
		*pa = x.pa;
		/* The probe speaks the driver's addresses: guest-physical. */
		if (env->viommu)
			*pa = x.pa >= env->guest_ram_pa ? x.pa - env->guest_ram_pa
							: IPOL_PA_UNKNOWN;
		return 1;
	}
	ret = qemu_dma(env, write ? LIOMMU_EDU_TO_RAM : LIOMMU_EDU_FROM_RAM, iova, 1);
	if (ret == -EFAULT)
		return 0;
	return ret ? ret : 1;
}

bool ipol_env_iotlb(struct ipol_env *env, uint64_t *hits, uint64_t *misses)
{
	struct liommu_model_stats st;

	if (!env->sim)
		return false;
	liommu_model_get_stats(liommu_sim_model(env->sim), &st);
	*hits = st.iotlb_hits;
	*misses = st.iotlb_misses;
	return true;
}
