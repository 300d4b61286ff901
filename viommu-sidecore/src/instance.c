// SPDX-License-Identifier: MIT
/*
 * instance.c - one emulated unit for one VM: its life cycle and the
 * hypervisor's calls (guest memory, assigned devices, faults, statistics).
 * It owns the guest's model, the memory table, the shadow and the
 * register page; register accesses are mmio.c's, interrupts events.c's,
 * the polling thread sidecore.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liommu/vtd.h>

#include "instance.h"

/* The model's invalidation callback: the shadow follows the guest. */
static void instance_inval(void *priv, const struct liommu_model_inval *inv)
{
	struct liommu_viommu *v = priv;

	if (v->sh)
		liommu__viommu_shadow_inval(v->sh, inv);
}

/* A memfd page for the guest's registers (the hypervisor maps the fd
 * into the guest at the DRHD's register base). */
static int page_create(struct liommu_viommu *v)
{
	void *p;
	int fd = memfd_create("liommu-viommu-regs", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, VTD_REG_WINDOW_SIZE)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	p = mmap(NULL, VTD_REG_WINDOW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	v->page = p;
	v->regs_fd = fd;
	v->page_mapped = true;
	return 0;
}

static void page_destroy(struct liommu_viommu *v)
{
	if (v->page_mapped)
		munmap(v->page, VTD_REG_WINDOW_SIZE);
	if (v->regs_fd >= 0)
		close(v->regs_fd);
}

int liommu_viommu_new(const struct liommu_viommu_config *cfg, struct liommu_viommu **out)
{
	struct liommu_model_config mc;
	struct viommu_shadow_config shc;
	struct liommu_viommu *v;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	if (cfg->mode != LIOMMU_VIOMMU_SIDECORE && cfg->mode != LIOMMU_VIOMMU_TRAP)
		return -EINVAL;
	if (cfg->teardown != LIOMMU_DMA_DIRECT && cfg->teardown != LIOMMU_DMA_STRICT &&
	    cfg->teardown != LIOMMU_DMA_OPTIMISTIC && cfg->teardown != LIOMMU_DMA_DEFERRED)
		return -EINVAL;
	if (cfg->mode == LIOMMU_VIOMMU_SIDECORE && cfg->regs_page &&
	    ((uintptr_t)cfg->regs_page & (VTD_REG_WINDOW_SIZE - 1)))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->cfg = *cfg;
	/* 0 is DIRECT's value: a shadow is never direct mapping, so a
	 * zeroed config means the strict default. */
	if (v->cfg.teardown == LIOMMU_DMA_DIRECT)
		v->cfg.teardown = LIOMMU_DMA_STRICT;
	v->regs_fd = -1;
	ret = liommu__viommu_gmem_new(&v->gmem);
	if (ret)
		goto err_free;

	mc = cfg->unit;
	memset(&mc.mem, 0, sizeof(mc.mem));
	mc.mem.ops = &liommu__viommu_gmem_mem_ops;
	mc.mem.priv = v->gmem;
	mc.event = liommu__viommu_event_raise;
	mc.event_priv = v;
	mc.inval = instance_inval;
	mc.inval_priv = v;
	/* A TE change reaches the shadow as a global invalidation: devices
	 * switch between identity and translated mirroring. */
	mc.flush_on_te = true;
	ret = liommu_model_new(&mc, &v->m);
	if (ret)
		goto err_gmem;

	shc.guest = v->m;
	shc.gmem = v->gmem;
	shc.teardown = v->cfg.teardown;
	shc.quota = cfg->quota;
	shc.age_ns = cfg->age_ns;
	shc.max_mappings = cfg->max_mappings;
	ret = liommu__viommu_shadow_new(&shc, &v->sh);
	if (ret)
		goto err_model;

	if (cfg->mode == LIOMMU_VIOMMU_SIDECORE) {
		if (cfg->regs_page) {
			v->page = cfg->regs_page;
		} else {
			ret = page_create(v);
			if (ret)
				goto err_shadow;
		}
		ret = liommu__viommu_regpage_init(&v->rp, v->m, v->page);
		if (ret)
			goto err_page;
		if (cfg->oneshot_hold_ns)
			v->rp.oneshot_hold_ns = cfg->oneshot_hold_ns;
	}
	*out = v;
	return 0;

err_page:
	page_destroy(v);
err_shadow:
	liommu__viommu_shadow_free(v->sh);
err_model:
	liommu_model_free(v->m);
err_gmem:
	liommu__viommu_gmem_free(v->gmem);
err_free:
	free(v);
	return ret;
}

void liommu_viommu_free(struct liommu_viommu *v)
{
	if (!v)
		return;
	if (atomic_load(&v->sc))
		liommu_sidecore_remove(atomic_load(&v->sc), v);
	/* Devices first: their host mappings go before the guest's memory. */
	liommu__viommu_shadow_free(v->sh);
	v->sh = NULL;
	liommu_model_free(v->m);
	liommu__viommu_gmem_free(v->gmem);
	page_destroy(v);
	free(v);
}

static int mem_add(struct liommu_viommu *v, const struct viommu_gmem_region *r)
{
	int ret = liommu__viommu_gmem_add(v->gmem, r);

	/* Devices that see guest RAM at identity (TE clear, pass-through)
	 * see the new range too. */
	if (!ret)
		liommu__viommu_shadow_resync(v->sh);
	return ret;
}

int liommu_viommu_mem_add(struct liommu_viommu *v, uint64_t gpa, uint64_t size, void *host,
			  uint64_t backend)
{
	struct viommu_gmem_region r = {
		.gpa = gpa, .size = size, .host = host, .fd = -1, .backend = backend,
	};

	if (!v || !host)
		return -EINVAL;
	return mem_add(v, &r);
}

int liommu_viommu_mem_add_fd(struct liommu_viommu *v, uint64_t gpa, uint64_t size, int fd,
			     uint64_t offset, uint64_t backend)
{
	struct viommu_gmem_region r = {
		.gpa = gpa, .size = size, .fd = fd, .fd_offset = offset, .backend = backend,
	};

	if (!v || fd < 0)
		return -EINVAL;
	return mem_add(v, &r);
}

int liommu_viommu_mem_remove(struct liommu_viommu *v, uint64_t gpa, uint64_t size)
{
	int ret;

	if (!v)
		return -EINVAL;
	/* The table first: once it returns no walk resolves the range, so
	 * nothing can map it again; then what was mapped into it goes. */
	ret = liommu__viommu_gmem_remove(v->gmem, gpa, size);
	if (ret)
		return ret;
	liommu__viommu_shadow_unmap_backing(v->sh, gpa, size);
	return 0;
}

int liommu_viommu_regs_fd(const struct liommu_viommu *v)
{
	return v ? v->regs_fd : -1;
}

void *liommu_viommu_regs_page(const struct liommu_viommu *v)
{
	return v && v->cfg.mode == LIOMMU_VIOMMU_SIDECORE ? v->page : NULL;
}

struct liommu_model *liommu_viommu_model(struct liommu_viommu *v)
{
	return v ? v->m : NULL;
}

int liommu_viommu_attach(struct liommu_viommu *v, uint16_t sid, struct liommu_domain *host)
{
	if (!v || !host)
		return -EINVAL;
	return liommu__viommu_shadow_attach(v->sh, sid, host);
}

int liommu_viommu_detach(struct liommu_viommu *v, uint16_t sid)
{
	if (!v)
		return -EINVAL;
	return liommu__viommu_shadow_detach(v->sh, sid);
}

int liommu_viommu_fault(struct liommu_viommu *v, uint16_t sid, uint64_t iova,
			unsigned int flags, struct liommu_fault *fault)
{
	struct liommu_fault f;
	int ret;

	if (!v || !flags || (flags & ~(LIOMMU_MODEL_READ | LIOMMU_MODEL_WRITE)))
		return -EINVAL;
	/* The guest's unit, caches first, as its hardware would: the fault
	 * is recorded (FSTS, the fault record, PFO, FPD) and its event
	 * waits for the page (events.c). */
	ret = liommu_model_translate(v->m, sid, iova, flags, NULL, &f);
	if (ret == -EFAULT) {
		atomic_fetch_add_explicit(&v->faults_injected, 1, memory_order_relaxed);
		if (fault)
			*fault = f;
		return -EFAULT;
	}
	if (ret)
		return ret;
	/* The guest grants it: the host was behind the guest's tables
	 * (the guest skipped an invalidation): catch up on that page. */
	liommu__viommu_shadow_sync_page(v->sh, sid, iova);
	return 0;
}

void liommu_viommu_get_stats(struct liommu_viommu *v, struct liommu_viommu_stats *st)
{
	struct viommu_shadow_stats ss;

	memset(st, 0, sizeof(*st));
	if (!v)
		return;
	if (v->cfg.mode == LIOMMU_VIOMMU_SIDECORE) {
		st->reg_writes = atomic_load_explicit(&v->rp.writes, memory_order_relaxed);
		st->publications = atomic_load_explicit(&v->rp.publications,
							memory_order_relaxed);
		st->repaired = atomic_load_explicit(&v->rp.repaired, memory_order_relaxed);
	} else {
		st->reg_writes = atomic_load_explicit(&v->reg_writes, memory_order_relaxed);
	}
	liommu__viommu_shadow_get_stats(v->sh, &ss);
	st->invalidations = ss.invalidations;
	st->shadow_maps = ss.maps;
	st->shadow_unmaps = ss.unmaps;
	st->shadow_skipped = ss.skipped;
	st->shadow_limited = ss.limited;
	st->faults_injected = atomic_load_explicit(&v->faults_injected, memory_order_relaxed);
	st->events = atomic_load_explicit(&v->events, memory_order_relaxed);
	st->host = ss.host;
}

int liommu_viommu_save_state(struct liommu_viommu *v, void *buf, size_t len)
{
	if (!v)
		return -EINVAL;
	if (atomic_load(&v->sc))
		return -EBUSY;
	return liommu_model_save_state(v->m, buf, len);
}

int liommu_viommu_restore_state(struct liommu_viommu *v, const void *buf, size_t len)
{
	int ret;

	if (!v)
		return -EINVAL;
	if (atomic_load(&v->sc))
		return -EBUSY;
	ret = liommu_model_restore_state(v->m, buf, len);
	if (ret)
		return ret;
	/* The page shows the restored unit (and forgets what the guest's
	 * old page showed: the guest did not run since the save). */
	if (v->cfg.mode == LIOMMU_VIOMMU_SIDECORE) {
		uint64_t hold = v->rp.oneshot_hold_ns;
		uint64_t w = atomic_load(&v->rp.writes), p = atomic_load(&v->rp.publications);
		uint64_t r = atomic_load(&v->rp.repaired);

		liommu__viommu_regpage_init(&v->rp, v->m, v->page);
		v->rp.oneshot_hold_ns = hold;
		atomic_store(&v->rp.writes, w);
		atomic_store(&v->rp.publications, p);
		atomic_store(&v->rp.repaired, r);
	}
	liommu__viommu_shadow_resync(v->sh);
	return 0;
}
