// SPDX-License-Identifier: MIT
/*
 * dma-live.c - the live table of the DMA layer, apart from its hot path
 * (dma-live.h): filing a mapping in a shard and taking it out under the
 * shard's lock, growing a hash table of mappings, creating the shards,
 * and at liommu_dma_free() unmapping what the caller left mapped and
 * freeing the shards.  It owns the shards' buckets and counts; it must
 * not touch a strategy's state or the counters, and it gives a mapping's
 * IOVA and record back only at teardown, through dma-iova.c and
 * dma-map.c.
 *
 * Locking: a shard's lock is a struct liommu__spin held for one
 * hash-chain edit; functions ending in _locked expect it held.  Teardown
 * runs with no other thread using the instance, so it takes no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include "dma-live.h"

/* Initial buckets per live-table shard; shards double as they fill. */
#define LIVE_MIN_BUCKETS	16u

void liommu__dma_table_grow(struct liommu__dma_map ***bucket, uint64_t *nbuckets,
			    uint64_t (*index)(const struct liommu__dma_map *m, uint64_t n))
{
	uint64_t n = *nbuckets * 2, i;
	struct liommu__dma_map **nb = calloc(n, sizeof(*nb)), *m, *next;

	if (!nb)
		return;
	for (i = 0; i < *nbuckets; i++) {
		for (m = (*bucket)[i]; m; m = next) {
			uint64_t j = index(m, n);

			next = m->next;
			m->next = nb[j];
			nb[j] = m;
		}
	}
	free(*bucket);
	*bucket = nb;
	*nbuckets = n;
}

/* A mapping's bucket in a live-table shard of @n buckets. */
static uint64_t live_index(const struct liommu__dma_map *m, uint64_t n)
{
	return liommu__dma_live_slot(liommu__dma_live_hash(m->iova), n);
}

void liommu__dma_live_link_locked(struct liommu__dma_live *s, struct liommu__dma_map *m)
{
	uint64_t j;

	if (liommu__dma_live_count(s) >= 2 * s->nbuckets)
		liommu__dma_table_grow(&s->bucket, &s->nbuckets, live_index);
	j = liommu__dma_live_bucket(s, liommu__dma_live_hash(m->iova));
	m->next = s->bucket[j];
	s->bucket[j] = m;
	liommu__dma_live_set_count_locked(s, liommu__dma_live_count(s) + 1);
}

int liommu__dma_live_take_locked(struct liommu__dma_live *s, uint64_t iova, uint64_t len,
				 unsigned int prot, struct liommu__dma_map **out)
{
	uint64_t page = iova & VTD_PAGE_MASK, h = liommu__dma_live_hash(page);
	struct liommu__dma_map **pp, *m;

	for (pp = &s->bucket[liommu__dma_live_bucket(s, h)]; (m = *pp); pp = &m->next) {
		if (m->iova != page)
			continue;
		if (m->off != (iova & ~VTD_PAGE_MASK))
			return -ENOENT;
		if (m->len != len || m->prot != prot)
			return -EINVAL;
		*pp = m->next;
		m->next = NULL;
		liommu__dma_live_set_count_locked(s, liommu__dma_live_count(s) - 1);
		*out = m;
		return 0;
	}
	return LIOMMU__DMA_ELSEWHERE;
}

int liommu__dma_live_init(struct liommu_dma *dma)
{
	unsigned int i;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];

		s->bucket = calloc(LIVE_MIN_BUCKETS, sizeof(*s->bucket));
		if (!s->bucket)
			return -ENOMEM;
		s->nbuckets = LIVE_MIN_BUCKETS;
	}
	return 0;
}

void liommu__dma_live_teardown(struct liommu_dma *dma)
{
	struct liommu_gather g = LIOMMU_GATHER_INIT;
	struct liommu__dma_map *all = NULL, *m, *next;
	uint64_t n = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];
		uint64_t j;

		if (!s->bucket)
			continue;
		for (j = 0; j < s->nbuckets; j++) {
			for (m = s->bucket[j]; m; m = next) {
				next = m->next;
				m->next = all;
				all = m;
				n++;
			}
			s->bucket[j] = NULL;
		}
		liommu__dma_live_set_count_locked(s, 0);
	}
	if (!all)
		return;
	liommu__log(dma->unit, LOG_WARNING, "dma: %llu mappings still live at free",
		    (unsigned long long)n);
	for (m = all; m; m = m->next)
		liommu_domain_unmap_nosync(dma->dom, m->iova, m->npages << VTD_PAGE_SHIFT, &g);
	ret = liommu_domain_flush(dma->dom, &g);
	for (m = all; m; m = next) {
		next = m->next;
		if (!ret)
			liommu__dma_iova_free(dma, m);
		liommu__dma_map_free(m);
	}
}

void liommu__dma_live_fini(struct liommu_dma *dma)
{
	unsigned int i;

	for (i = 0; i < LIOMMU__DMA_SLOTS; i++) {
		struct liommu__dma_live *s = &dma->live[i];

		if (!s->bucket)
			continue;
		free(s->bucket);
		s->bucket = NULL;
	}
}
