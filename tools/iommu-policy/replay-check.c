// SPDX-License-Identifier: MIT
/*
 * replay-check.c - the limits a trace must respect to be replayed, checked
 * before anything runs, and the memory a replay needs.
 *
 * trace.c checks each line on its own (syntax, alignment, no wrap past
 * 2^64) and plan.c resolves which map each unmap ends.  What neither
 * knows is the platform the replay runs on: the sim unit's address width,
 * the physical memory the sim can be given, the page tables the live
 * mappings need.  A trace that passes those two steps but not these
 * limits used to fail half-way through the replay with "creating the sim
 * platform failed: Invalid argument"; here it fails first, with the line
 * where the limit is crossed and the limit itself.
 *
 * Pure: it reads a trace and a plan, knows nothing of libiommu, and owns
 * no state, so tests/check-cli.c tests every rejection without a
 * platform.  It must not change the plan (plan.c owns it) nor decide
 * domains.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "policy.h"
#include "trace.h"

/* "0x10000000000 (1 TiB)": exact for a reader who compares, short for one who does not. */
static const char *fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double x = (double)v;
	int u = -1;

	while (u < 5 && x >= 1024) {
		x /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, len, "0x%" PRIx64 " bytes (%.4g %s)", v, x, unit[u]);
	return buf;
}

/* Length of the piece of record @r that starts at offset @off. */
static uint64_t piece_len(const struct ipol_plan_rec *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->ncuts;

	/* The first cut above @off ends the piece (cuts are sorted). */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->cuts[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < r->ncuts ? r->cuts[lo] : r->size) - off;
}

/*
 * Walk the plan in trace order, keeping the bytes and pieces live in all
 * address spaces together (the replay puts them all in one domain).
 * @t may be NULL (no line numbers, no per-event checks); @lim NULL checks
 * nothing and only measures.
 */
static int walk(const struct ipol_trace *t, const struct ipol_plan *pl,
		const struct ipol_replay_limits *lim, struct ipol_replay_need *need,
		unsigned long *line, char *msg, size_t msglen)
{
	uint64_t live = 0, pieces = 0, unmapped = 0;
	uint64_t live_max = 0;
	const char *live_what = NULL;
	char a[64], b[64];
	size_t k;
	uint32_t j;

	memset(need, 0, sizeof(*need));
	if (lim) {
		/* The tighter of the two limits on live mappings names itself. */
		live_max = lim->max_live;
		live_what = "the most the replay sizes the sim's page-table memory for";
		if (lim->iova_alloc && lim->iova_space < live_max) {
			live_max = lim->iova_space;
			live_what = "the I/O address space the strategies allocate from";
		}
	}
	/* The plan has one op per trace event, in order; without that there
	 * are no line numbers to give. */
	if (t && t->n != pl->nops)
		t = NULL;
	for (k = 0; k < pl->nops; k++) {
		const struct ipol_plan_op *op = &pl->ops[k];
		const struct ipol_trace_event *ev = t ? &t->ev[k] : NULL;
		unsigned long ln = ev ? ev->line : 0;

		if (op->is_map) {
			const struct ipol_plan_rec *r = &pl->recs[op->rec];

			if (lim && lim->iova_alloc && r->size > lim->iova_space) {
				*line = ln;
				snprintf(msg, msglen, "map size %s is larger than the replayed "
					 "unit's I/O address space: %u-bit address width, %s "
					 "above the first MiB", fmt_bytes(a, sizeof(a), r->size),
					 lim->addr_width, fmt_bytes(b, sizeof(b), lim->iova_space));
				return -EINVAL;
			}
			/* trace.c refused a wrap past 2^64: r->paddr + r->size is exact. */
			if (lim && r->paddr + r->size > lim->max_paddr) {
				*line = ln;
				snprintf(msg, msglen, "map of physical [0x%" PRIx64 ", 0x%" PRIx64
					 ") ends above %s, the most physical memory the replay "
					 "gives the sim platform", r->paddr, r->paddr + r->size,
					 fmt_bytes(b, sizeof(b), lim->max_paddr));
				return -EINVAL;
			}
			/* Each map is at most 2^64 - 4 KiB and there are fewer than
			 * 2^32 of them: the sum cannot wrap before it passes the
			 * limit, which is checked on every map. */
			live += r->size;
			pieces += r->ncuts + 1;
			if (lim && live > live_max) {
				*line = ln;
				snprintf(msg, msglen, "live mappings of all address spaces "
					 "add up to %s at this map, more than %s, %s",
					 fmt_bytes(a, sizeof(a), live),
					 fmt_bytes(b, sizeof(b), live_max), live_what);
				return -EINVAL;
			}
			if (live > need->peak_live_bytes)
				need->peak_live_bytes = live;
			if (pieces > need->peak_live_pieces)
				need->peak_live_pieces = pieces;
			continue;
		}
		if (ev && lim) {
			/* unmatched_bytes sums unmap sizes: keep it exact. */
			if (unmapped + ev->size < unmapped) {
				*line = ln;
				snprintf(msg, msglen, "unmap sizes add up to more than 2^64 bytes; "
					 "this is not a trace of one machine's DMA");
				return -EINVAL;
			}
			unmapped += ev->size;
		}
		for (j = 0; j < op->n; j++) {
			const struct ipol_plan_removal *rm = &pl->rm[op->first + j];

			live -= piece_len(&pl->recs[rm->rec], rm->off);
			pieces--;
		}
	}
	return 0;
}

int ipol_replay_check(const struct ipol_trace *t, const struct ipol_plan *pl,
		      const struct ipol_replay_limits *lim, unsigned long *line,
		      char *msg, size_t msglen)
{
	struct ipol_replay_need need;

	*line = 0;
	if (msglen)
		msg[0] = '\0';
	return walk(t, pl, lim, &need, line, msg, msglen);
}

void ipol_replay_need(const struct ipol_plan *pl, struct ipol_replay_need *need)
{
	unsigned long line;
	char msg[1];

	walk(NULL, pl, NULL, need, &line, msg, sizeof(msg));
}

uint64_t ipol_replay_table_reserve(const struct ipol_replay_need *need)
{
	/*
	 * Worst case, every live byte is mapped with 4 KiB pages: a leaf
	 * table per 2 MiB (live / 512) and the levels above (under 1/511
	 * more).  A piece may straddle a table at each of 3 levels: 3 more
	 * pages each.  The strategies keep mappings past their unmap
	 * (optimistic's cache, deferred's queue): as much again.  The block
	 * is lazily backed, so an unused reserve costs address space only.
	 */
	uint64_t leaf = need->peak_live_bytes / 512 + IPOL_TRACE_PAGE;
	uint64_t bytes = leaf + leaf / 511 + need->peak_live_pieces * 3 * IPOL_TRACE_PAGE;

	return 2 * ((bytes + (2u << 20) - 1) & ~((uint64_t)(2u << 20) - 1));
}
