// SPDX-License-Identifier: MIT
/*
 * domain-fake.c - the fake VT-d unit behind check-pgtable and
 * check-domain (see domain-fake.h).  It implements only what register-
 * based bring-up and invalidation touch: CAP/ECAP, GCMD/GSTS (11.4.4,
 * write-buffer flushes counted), CCMD (11.4.7.1) and the IVA/IOTLB pair
 * (11.4.8), each command completed at once with the actual granularity
 * equal to the requested one.
 */
#include <stdlib.h>
#include <string.h>

#include "domain-fake.h"

static uint64_t reg_get64(struct fake *f, uint32_t off)
{
	uint64_t v;

	memcpy(&v, f->regs + off, sizeof(v));
	return v;
}

static void reg_put64(struct fake *f, uint32_t off, uint64_t v)
{
	memcpy(f->regs + off, &v, sizeof(v));
}

static void log_cmd_locked(struct fake *f, const struct fake_cmd *c)
{
	if (f->nlog < FAKE_LOG_MAX)
		f->log[f->nlog++] = *c;
}

static unsigned int iotlb_reg(const struct fake *f)
{
	return vtd_iotlb_reg(f->ecap);
}

/* A 64-bit register changed (by one 64-bit write or its upper half). */
static void reg64_written_locked(struct fake *f, uint32_t off)
{
	uint64_t v = reg_get64(f, off);
	struct fake_cmd c = { 0 };

	if (off == VTD_CCMD_REG && (v & VTD_CCMD_ICC) && !f->ignore_ccmd) {
		uint64_t g = vtd_field_get(VTD_CCMD_CIRG, v);

		c.kind = FAKE_CC;
		c.gran = (unsigned int)g;
		c.did = (uint16_t)vtd_field_get(VTD_CCMD_DID, v);
		c.sid = (uint16_t)vtd_field_get(VTD_CCMD_SID, v);
		log_cmd_locked(f, &c);
		v &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG);
		v |= vtd_field_prep(VTD_CCMD_CAIG, g);
		reg_put64(f, off, v);
	} else if (off == iotlb_reg(f) && (v & VTD_IOTLB_IVT) && !f->ignore_iotlb) {
		uint64_t g = vtd_field_get(VTD_IOTLB_IIRG, v);
		uint64_t iva = reg_get64(f, vtd_iva_reg(f->ecap));

		c.kind = FAKE_IOTLB;
		c.gran = (unsigned int)g;
		c.did = (uint16_t)vtd_field_get(VTD_IOTLB_DID, v);
		/* IVA matters only for page-selective requests (11.4.8.1). */
		if (g == VTD_IOTLB_GRAN_PAGE) {
			c.addr = iva & VTD_IVA_ADDR;
			c.am = (unsigned int)vtd_field_get(VTD_IVA_AM, iva);
			c.ih = iva & VTD_IVA_IH;
		}
		log_cmd_locked(f, &c);
		v &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG);
		v |= vtd_field_prep(VTD_IOTLB_IAIG, g);
		reg_put64(f, off, v);
	}
}

static uint32_t fake_read32(void *priv, uint32_t off)
{
	struct fake *f = priv;
	uint32_t v;

	pthread_mutex_lock(&f->lock);
	if (off == VTD_GSTS_REG) {
		v = f->gsts;
	} else if (off == VTD_GCMD_REG) {
		v = 0;		/* write-only (11.4.4) */
	} else if (off + 4 <= sizeof(f->regs)) {
		memcpy(&v, f->regs + off, 4);
	} else {
		v = ~0u;
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

static uint64_t fake_read64(void *priv, uint32_t off)
{
	struct fake *f = priv;
	uint64_t v;

	if (off == VTD_CAP_REG)
		return f->cap;
	if (off == VTD_ECAP_REG)
		return f->ecap;
	pthread_mutex_lock(&f->lock);
	v = off + 8 <= sizeof(f->regs) ? reg_get64(f, off) : ~0ULL;
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void gcmd_locked(struct fake *f, uint32_t val)
{
	/* Persistent bits follow the command; one-shot SRTP/SFL/SIRTP
	 * complete at once (status set); WBF completes at once (WBFS 0)
	 * unless the fake ignores it (WBFS stays 1, 11.4.5). */
	f->gsts = (val & (uint32_t)VTD_GSTS_PERSISTENT) |
		  (val & (uint32_t)(VTD_GCMD_SRTP | VTD_GCMD_SFL | VTD_GCMD_SIRTP));
	if (val & (uint32_t)VTD_GCMD_WBF) {
		f->wbf++;
		if (f->ignore_wbf)
			f->gsts |= (uint32_t)VTD_GSTS_WBFS;
	}
}

static void fake_write32(void *priv, uint32_t off, uint32_t val)
{
	struct fake *f = priv;

	pthread_mutex_lock(&f->lock);
	if (off == VTD_GCMD_REG) {
		gcmd_locked(f, val);
	} else if (off + 4 <= sizeof(f->regs)) {
		memcpy(f->regs + off, &val, 4);
		/* Upper half of a 64-bit command register: the command. */
		if (off == VTD_CCMD_REG + 4 || off == iotlb_reg(f) + 4)
			reg64_written_locked(f, off - 4);
	}
	pthread_mutex_unlock(&f->lock);
}

static void fake_write64(void *priv, uint32_t off, uint64_t val)
{
	struct fake *f = priv;

	pthread_mutex_lock(&f->lock);
	if (off + 8 <= sizeof(f->regs)) {
		reg_put64(f, off, val);
		reg64_written_locked(f, off);
	}
	pthread_mutex_unlock(&f->lock);
}

static int fake_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct fake *f = priv;
	struct fake_page *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->va = aligned_alloc(4096, 4096);
	if (!p->va) {
		free(p);
		return -1;
	}
	memset(p->va, 0, 4096);
	if (f->image) {
		/* Memory holds garbage until the driver flushes the zeroes. */
		p->img = malloc(4096);
		if (!p->img) {
			free(p->va);
			free(p);
			return -1;
		}
		memset(p->img, 0xa5, 4096);
	}
	pthread_mutex_lock(&f->lock);
	p->next = f->pages;
	f->pages = p;
	f->live_pages++;
	pthread_mutex_unlock(&f->lock);
	*va = p->va;
	*pa = (uint64_t)(uintptr_t)p->va;
	return 0;
}

static void fake_page_free(void *priv, void *va, uint64_t pa)
{
	struct fake *f = priv;
	struct fake_page **pp, *p = NULL;

	pthread_mutex_lock(&f->lock);
	for (pp = &f->pages; *pp; pp = &(*pp)->next) {
		if ((*pp)->va == va) {
			p = *pp;
			*pp = p->next;
			f->live_pages--;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (p) {
		free(p->va);
		free(p->img);
		free(p);
	}
}

static struct fake_page *page_of_locked(struct fake *f, uintptr_t addr)
{
	struct fake_page *p;

	for (p = f->pages; p; p = p->next)
		if (addr >= (uintptr_t)p->va && addr < (uintptr_t)p->va + 4096)
			return p;
	return NULL;
}

/* Write back whole 64-byte lines, like CLFLUSH. */
static void fake_flush(void *priv, const void *va, size_t len)
{
	struct fake *f = priv;
	uintptr_t a = (uintptr_t)va & ~(uintptr_t)63;
	uintptr_t end = (uintptr_t)va + len;
	struct fake_page *p;

	pthread_mutex_lock(&f->lock);
	f->flush_calls++;
	if (f->image) {
		for (; a < end; a += 64) {
			p = page_of_locked(f, a);
			if (p)
				memcpy(p->img + (a - (uintptr_t)p->va), (void *)a, 64);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

static const struct liommu_platform_ops fake_ops = {
	.read32 = fake_read32,
	.read64 = fake_read64,
	.write32 = fake_write32,
	.write64 = fake_write64,
	.page_alloc = fake_page_alloc,
	.page_free = fake_page_free,
	.flush = fake_flush,
};

struct fake *fake_new(uint64_t cap, uint64_t ecap, bool image)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->cap = cap;
	f->ecap = ecap;
	f->image = image;
	if (liommu_platform_new(&fake_ops, f, &f->plat)) {
		free(f);
		return NULL;
	}
	return f;
}

void fake_free(struct fake *f)
{
	struct fake_page *p, *n;

	if (!f)
		return;
	liommu_platform_free(f->plat);
	for (p = f->pages; p; p = n) {
		n = p->next;
		free(p->va);
		free(p->img);
		free(p);
	}
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int fake_unit(struct fake *f, unsigned int width, bool no_superpages,
	      struct liommu_unit **out)
{
	struct liommu_unit_config cfg = {
		.addr_width = width,
		.inval = LIOMMU_INVAL_REGISTER,
		.numa_node = LIOMMU_NODE_ANY,
		.timeout_us = 20000,
		.no_superpages = no_superpages,
	};

	return liommu_unit_new(f->plat, &cfg, out);
}

void fake_set_ignore(struct fake *f, bool iotlb, bool ccmd)
{
	pthread_mutex_lock(&f->lock);
	f->ignore_iotlb = iotlb;
	f->ignore_ccmd = ccmd;
	reg64_written_locked(f, VTD_CCMD_REG);
	reg64_written_locked(f, iotlb_reg(f));
	pthread_mutex_unlock(&f->lock);
}

void fake_log_clear(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	f->nlog = 0;
	pthread_mutex_unlock(&f->lock);
}

uint64_t fake_reg64(struct fake *f, uint32_t off)
{
	return fake_read64(f, off);
}

unsigned int fake_log_count(struct fake *f, enum fake_cmd_kind kind)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nlog; i++)
		n += f->log[i].kind == kind;
	pthread_mutex_unlock(&f->lock);
	return n;
}

struct fake_cmd fake_log_get(struct fake *f, unsigned int i)
{
	struct fake_cmd c = { 0 };

	pthread_mutex_lock(&f->lock);
	if (i < f->nlog)
		c = f->log[i];
	pthread_mutex_unlock(&f->lock);
	return c;
}

void fake_set_ignore_wbf(struct fake *f, bool wbf)
{
	pthread_mutex_lock(&f->lock);
	f->ignore_wbf = wbf;
	if (!wbf)
		f->gsts &= ~(uint32_t)VTD_GSTS_WBFS;
	pthread_mutex_unlock(&f->lock);
}

unsigned int fake_wbf_count(struct fake *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->wbf;
	pthread_mutex_unlock(&f->lock);
	return n;
}

size_t fake_live_pages(struct fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->lock);
	n = f->live_pages;
	pthread_mutex_unlock(&f->lock);
	return n;
}

uint64_t fake_flush_calls(struct fake *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->lock);
	n = f->flush_calls;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned int fake_image_mismatches(struct fake *f)
{
	struct fake_page *p;
	unsigned int n = 0;

	pthread_mutex_lock(&f->lock);
	for (p = f->pages; p; p = p->next)
		if (p->img && memcmp(p->img, p->va, 4096))
			n++;
	pthread_mutex_unlock(&f->lock);
	return n;
}

uint64_t fake_read_pa(struct fake *f, uint64_t pa)
{
	struct fake_page *p;
	uint64_t v = ~0ULL;

	pthread_mutex_lock(&f->lock);
	p = page_of_locked(f, (uintptr_t)pa);
	if (p)
		memcpy(&v, (p->img ? p->img : (uint8_t *)p->va) + (pa & 4095), 8);
	pthread_mutex_unlock(&f->lock);
	return v;
}

int fake_walk(struct fake *f, uint64_t root_pa, unsigned int levels, uint64_t iova,
	      uint64_t need, uint64_t *pa, uint64_t *page_size)
{
	uint64_t table = root_pa, e, size;
	unsigned int level, shift, idx;

	for (level = levels; level >= 1; level--) {
		/* 9 bits per level above the 12-bit page offset (spec 3.6). */
		shift = 12 + 9 * (level - 1);
		idx = (unsigned int)(iova >> shift) & 511;
		e = fake_read_pa(f, table + 8ULL * idx);
		if (!(e & need))
			return -1;
		/* Bits 51:12 hold the address (9.8). */
		if (level == 1 || (e & (1ULL << 7))) {
			size = 1ULL << shift;
			*pa = (e & 0x000ffffffffff000ULL & ~(size - 1)) | (iova & (size - 1));
			*page_size = size;
			return 0;
		}
		table = e & 0x000ffffffffff000ULL;
	}
	return -1;
}
