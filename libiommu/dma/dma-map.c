// SPDX-License-Identifier: MIT
/*
 * dma-map.c - mapping records (struct liommu__dma_map) and a fresh
 * mapping.  It owns the per-thread free list the records come from and
 * go back to, and liommu__dma_map_fresh(), which gives a request its own
 * record, IOVA space (dma-iova.c) and PTEs (liommu_domain_map()) or
 * nothing at all.  It must not look into the live table, a strategy's
 * state or the counters: where a record is linked is its owner's
 * business, and a record handed to liommu__dma_map_free() is no longer
 * linked anywhere.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dma-internal.h"

/*
 * Records come from a per-thread free list of up to MAP_CACHE_MAX
 * (records are all alike and often freed in batches, by a DEFERRED flush
 * of 256 or an OPTIMISTIC retirement, more than glibc's per-thread tcache
 * keeps; the rest went through the arena's locked path).  The list is
 * freed when the thread exits (a key destructor); without the key,
 * records go straight back to malloc.  Never calloc: glibc's calloc
 * skips the tcache.
 */
#define MAP_CACHE_MAX	512u

static _Thread_local struct liommu__dma_map *map_cache
	__attribute__((tls_model("initial-exec")));
static _Thread_local unsigned int map_cache_n __attribute__((tls_model("initial-exec")));
/* 0: key not set yet; 1: set; 2: thread exiting or no key (no caching) */
static _Thread_local unsigned char map_cache_state __attribute__((tls_model("initial-exec")));
static pthread_key_t map_cache_key;
static pthread_once_t map_cache_once = PTHREAD_ONCE_INIT;
static bool map_cache_key_ok;

static void map_cache_release(void *v)
{
	struct liommu__dma_map *m, *next;

	(void)v;
	map_cache_state = 2;	/* a later destructor's frees go to free() */
	for (m = map_cache; m; m = next) {
		next = m->next;
		free(m);
	}
	map_cache = NULL;
	map_cache_n = 0;
}

static void map_cache_key_init(void)
{
	map_cache_key_ok = !pthread_key_create(&map_cache_key, map_cache_release);
}

/* No destructor may point into an unloaded library. */
__attribute__((destructor)) static void map_cache_key_fini(void)
{
	if (map_cache_key_ok)
		pthread_key_delete(map_cache_key);
}

struct liommu__dma_map *liommu__dma_map_new(const struct liommu__dma_map *req)
{
	struct liommu__dma_map *m = map_cache;

	if (m) {
		map_cache = m->next;
		map_cache_n--;
	} else {
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
	}
	*m = *req;
	return m;
}

void liommu__dma_map_free(struct liommu__dma_map *m)
{
	if (map_cache_state != 1) {
		if (map_cache_state == 0) {
			pthread_once(&map_cache_once, map_cache_key_init);
			map_cache_state = map_cache_key_ok &&
					  !pthread_setspecific(map_cache_key, (void *)1) ? 1 : 2;
		}
		if (map_cache_state != 1) {
			free(m);
			return;
		}
	}
	if (map_cache_n >= MAP_CACHE_MAX) {
		free(m);
		return;
	}
	m->next = map_cache;
	map_cache = m;
	map_cache_n++;
}

int liommu__dma_map_fresh(struct liommu_dma *dma, struct liommu__dma_map **mp)
{
	struct liommu__dma_map *m = liommu__dma_map_new(*mp);
	int ret;

	if (!m)
		return -ENOMEM;
	ret = liommu__dma_iova_alloc(dma, m);
	if (ret)
		goto err_free;
	/* A failed map leaves nothing mapped (liommu_domain_map()). */
	ret = liommu_domain_map(dma->dom, m->iova, m->pa, m->npages << VTD_PAGE_SHIFT,
				m->prot);
	if (ret)
		goto err_iova;
	*mp = m;
	return 0;

err_iova:
	liommu__dma_iova_free(dma, m);
err_free:
	liommu__dma_map_free(m);
	return ret;
}
