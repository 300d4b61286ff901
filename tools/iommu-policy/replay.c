// SPDX-License-Identifier: MIT
/*
 * replay.c - drive a strategy with the map/unmap sequence of a trace.
 *
 * A trace gives, for each map, the IOVA, size and physical address the
 * traced kernel used, and for each unmap the IOVA range.  The replay maps
 * the same (paddr, size) sequence through the strategy under test, which
 * picks its own IOVAs; the traced IOVAs only say which earlier map an
 * unmap ends.  Two things make that less simple than a lookup, and both
 * are resolved before anything runs (the "plan"):
 *
 *  - Domains.  Several devices have their own address spaces and their
 *    allocators hand out the same IOVAs (Linux allocates top-down from
 *    4 GiB in every domain), and an ftrace event line does not name its
 *    domain.  The plan keeps a list of address spaces: a map goes to the
 *    first one where its range is free (a new one when none is); an
 *    unmap goes to the address space whose live mappings fit it best:
 *    one mapping exactly equal to the range, else mappings tiling it
 *    exactly, else mappings covering it with the least left over (a
 *    partial unmap), else mappings covering part of it; ties go to the
 *    oldest mapping.  The first trace map, a 16 MiB identity mapping,
 *    thus stays in address space 0 while a later 8 KiB map at IOVA 0 of
 *    another device lands in address space 1, and an unmap of 4 KiB at 0
 *    takes the 8 KiB mapping (less left over), not a piece of the 16 MiB
 *    one.  CSV traces may name the domain instead (the "domain" column);
 *    then nothing is inferred and a map that overlaps a live mapping of
 *    its own domain is an error in the file.
 *  - Partial unmaps.  The kernel may unmap part of a mapping, or several
 *    mappings at once (a scatter-gather list).  liommu_dma_unmap() ends a
 *    whole mapping, so the plan splits each traced map at every boundary
 *    a later unmap draws inside it: the map is replayed as one
 *    liommu_dma_map_sg() call with one segment per piece (one
 *    liommu_dma_map() when there is one piece), and each unmap as one
 *    liommu_dma_unmap_sg() over the pieces it ends (one unmap for one
 *    piece), so a strict strategy still invalidates once per traced
 *    unmap.
 *
 * Unmaps of ranges nothing maps (a capture that started late) are
 * counted and skipped.  Every map is replayed BIDIRECTIONAL: Linux 6.1
 * maps even device-write-only buffers read+write.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liommu/dma.h>
#include <liommu/model.h>

#include "plan.h"
#include "policy.h"

/* ------------------------------------------------------------------ */
/* Running a plan                                                      */
/* ------------------------------------------------------------------ */

/* Segment index of the piece starting at @off in record @r. */
static uint32_t seg_index(const struct ipol_plan_rec *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->ncuts;

	if (off == 0)
		return 0;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (r->cuts[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

static uint64_t seg_off(const struct ipol_plan_rec *r, uint32_t k)
{
	return k ? r->cuts[k - 1] : 0;
}

static uint64_t seg_len(const struct ipol_plan_rec *r, uint32_t k)
{
	uint64_t end = k < r->ncuts ? r->cuts[k] : r->size;

	return end - seg_off(r, k);
}

void ipol_replay_limits(bool iova_alloc, struct ipol_replay_limits *lim)
{
	struct liommu_model_config mc;

	/* The sim unit of ipol_env_new(): the model's default capabilities,
	 * whose widest address width the driver picks (MGAW). */
	liommu_model_config_default(&mc);
	memset(lim, 0, sizeof(*lim));
	lim->addr_width = mc.mgaw;
	lim->iova_space = (mc.mgaw >= 64 ? UINT64_MAX : (1ull << mc.mgaw)) -
			  LIOMMU_DMA_DEFAULT_IOVA_BASE;
	lim->max_paddr = IPOL_REPLAY_MAX_PADDR;
	if (mc.haw < 64 && (1ull << mc.haw) < lim->max_paddr)
		lim->max_paddr = 1ull << mc.haw;	/* what the unit can address */
	lim->max_live = IPOL_REPLAY_MAX_LIVE;
	lim->iova_alloc = iova_alloc;
}

int ipol_replay_run(const struct ipol_plan *pl, enum liommu_dma_strategy strategy,
		    const struct ipol_knobs *knobs, struct ipol_result *res,
		    const char **why)
{
	struct ipol_env_config ec = {
		.kind = IPOL_PLATFORM_SIM,
		.strategy = strategy,
		.knobs = *knobs,
	};
	const enum liommu_dma_dir dir = LIOMMU_DMA_BIDIRECTIONAL;
	struct ipol_env env;
	struct ipol_replay_need need;
	struct liommu_dma_sg *sg = NULL;
	uint64_t *iova = NULL, nseg = 0, t0, t1, start, map_ns = 0, unmap_ns = 0;
	uint64_t map_calls = 0, unmap_calls = 0;
	size_t k;
	uint32_t maxn = 1;
	int ret;

	memset(res, 0, sizeof(*res));
	res->strategy = strategy;
	/*
	 * Physical memory from 0 up to the highest traced page, 2 MiB
	 * aligned (what direct maps), then room for the page tables of the
	 * most the trace keeps mapped: traced paddrs may alias (several
	 * domains, or one buffer mapped many times), so the live mappings
	 * can need more tables than the traced memory could hold.
	 * ipol_replay_check() has bounded both.
	 */
	ec.direct_size = (pl->info.max_paddr_end + (2u << 20) - 1) & ~((2ull << 20) - 1);
	if (ec.direct_size < (64ull << 20))
		ec.direct_size = 64ull << 20;
	ipol_replay_need(pl, &need);
	ec.mem_size = ec.direct_size + ipol_replay_table_reserve(&need);

	nseg = pl->info.segments;
	for (k = 0; k < pl->nrecs; k++)
		if (pl->recs[k].ncuts + 1 > maxn)
			maxn = pl->recs[k].ncuts + 1;
	for (k = 0; k < pl->nops; k++)
		if (!pl->ops[k].is_map && pl->ops[k].n > maxn)
			maxn = pl->ops[k].n;
	iova = calloc(nseg ? nseg : 1, sizeof(*iova));
	sg = calloc(maxn, sizeof(*sg));
	if (!iova || !sg) {
		free(sg);
		free(iova);
		*why = "allocating the replay";
		return -ENOMEM;
	}

	ret = ipol_env_new(&ec, &env, why);
	if (ret)
		goto out;

	start = ipol_now_ns();
	for (k = 0; k < pl->nops; k++) {
		const struct ipol_plan_op *op = &pl->ops[k];

		if (op->is_map) {
			const struct ipol_plan_rec *r = &pl->recs[op->rec];
			uint32_t j, n = r->ncuts + 1;

			t0 = ipol_now_ns();
			if (n == 1) {
				ret = liommu_dma_map(env.dma, r->paddr, r->size, dir,
						     &iova[r->first_seg]);
			} else {
				for (j = 0; j < n; j++) {
					sg[j].pa = r->paddr + seg_off(r, j);
					sg[j].len = seg_len(r, j);
				}
				ret = liommu_dma_map_sg(env.dma, sg, n, dir);
				if (ret == (int)n) {
					ret = 0;
					for (j = 0; j < n; j++)
						iova[r->first_seg + j] = sg[j].iova;
				} else if (ret >= 0) {
					ret = -EIO;
				}
			}
			t1 = ipol_now_ns();
			if (ret) {
				*why = "replaying a map";
				goto out_env;
			}
			map_ns += t1 - t0;
			map_calls++;
		} else if (op->n) {
			uint32_t j;

			for (j = 0; j < op->n; j++) {
				const struct ipol_plan_removal *rm = &pl->rm[op->first + j];
				const struct ipol_plan_rec *r = &pl->recs[rm->rec];
				uint32_t s = seg_index(r, rm->off);

				sg[j].pa = r->paddr + rm->off;
				sg[j].len = seg_len(r, s);
				sg[j].iova = iova[r->first_seg + s];
			}
			t0 = ipol_now_ns();
			if (op->n == 1)
				ret = liommu_dma_unmap(env.dma, sg[0].iova, sg[0].len, dir);
			else
				ret = liommu_dma_unmap_sg(env.dma, sg, op->n, dir);
			t1 = ipol_now_ns();
			if (ret) {
				*why = "replaying an unmap";
				goto out_env;
			}
			unmap_ns += t1 - t0;
			unmap_calls++;
		}
	}
	t1 = ipol_now_ns();

	liommu_dma_get_stats(env.dma, &res->st);
	res->packets = pl->nops;
	res->wall_s = res->busy_s = (t1 - start) / 1e9;
	res->pps = t1 > start ? pl->nops / res->wall_s : 0;
	res->map_ns = map_calls ? (double)map_ns / map_calls : 0;
	res->unmap_ns = unmap_calls ? (double)unmap_ns / unmap_calls : 0;
	res->inval_per_pkt = pl->info.unmaps ? (double)res->st.inv_waits / pl->info.unmaps : 0;
	res->iotlb_hit_rate = NAN;
	res->peak_pinned_bytes = res->st.peak_pinned_pages * 4096;
	res->peak_mapped_bytes = res->st.peak_mapped_pages * 4096;
	res->pt_bytes = res->st.table_pages * 4096;
	res->trace_maps = pl->info.maps;
	res->trace_unmaps = pl->info.unmaps;
	res->dma_calls = map_calls + unmap_calls;
	res->segments_mapped = pl->info.segments;
	res->unmatched_unmaps = pl->info.unmatched_unmaps;
	res->unmatched_bytes = pl->info.unmatched_bytes;
	res->live_at_end = pl->info.live_at_end;
	res->domains = pl->info.domains;
	res->verdict = IPOL_BOUND_NA;
	ret = 0;
out_env:
	ipol_env_free(&env);
out:
	free(sg);
	free(iova);
	return ret;
}
