// SPDX-License-Identifier: MIT
/*
 * plan.c - resolve a DMA trace into a replay plan (see replay.c for what
 * a replay does and docs/iommu-policy.md, "Replay", for the rules).
 *
 * An event whose domain the trace gives (the CSV column, or the domain
 * pointer of the driver's kprobe calls, trace.c) goes to that domain's
 * address space and nowhere else.  Only the others are inferred, and the
 * plan counts them (info.guessed, and info.contested for those that had
 * more than one candidate space), so that the report can say which of
 * its figures rest on a guess.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "trace.h"

/*
 * Bounds on hostile input: a trace of one machine needs a handful of
 * address spaces and far fewer steps; a file that needs more is rejected
 * with its line rather than planned for hours.
 */
#define MAX_SPACES	1024
#define WORK_LIMIT	(1ull << 28)
#define NIL		UINT32_MAX

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t cap2;
	void *n;

	if (need <= *cap)
		return 0;
	cap2 = *cap ? *cap * 2 : 16;
	while (cap2 < need)
		cap2 *= 2;
	n = realloc(*p, cap2 * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = cap2;
	return 0;
}

/* ------------------------------------------------------------------ */
/* A treap per address space: pieces never overlap, so ordering them by */
/* first IOVA also orders them by end.  O(log n) expected per step.     */
/* ------------------------------------------------------------------ */

#define N(i) (pl->node[i])

static int node_new(struct ipol_plan *pl, const struct ipol_plan_piece *pc,
		    uint32_t *out)
{
	uint32_t i;

	if (pl->free_node != NIL) {
		i = pl->free_node;
		pl->free_node = N(i).left;
	} else {
		if (pl->nnode >= NIL - 1 ||
		    grow((void **)&pl->node, &pl->capnode, pl->nnode + 1, sizeof(*pl->node)))
			return -ENOMEM;
		i = (uint32_t)pl->nnode++;
	}
	N(i).pc = *pc;
	N(i).left = N(i).right = NIL;
	N(i).prio = (uint32_t)(ipol_rand(&pl->rng) >> 32);
	*out = i;
	return 0;
}

static void node_free(struct ipol_plan *pl, uint32_t i)
{
	N(i).left = pl->free_node;
	pl->free_node = i;
}

/* Split @t into pieces starting below @key (*@l) and the rest (*@r). */
static void tsplit(struct ipol_plan *pl, uint32_t t, uint64_t key, uint32_t *l,
		   uint32_t *r)
{
	if (t == NIL) {
		*l = *r = NIL;
	} else if (N(t).pc.iova < key) {
		tsplit(pl, N(t).right, key, &N(t).right, r);
		*l = t;
	} else {
		tsplit(pl, N(t).left, key, l, &N(t).left);
		*r = t;
	}
}

static uint32_t tmerge(struct ipol_plan *pl, uint32_t l, uint32_t r)
{
	if (l == NIL)
		return r;
	if (r == NIL)
		return l;
	if (N(l).prio > N(r).prio) {
		N(l).right = tmerge(pl, N(l).right, r);
		return l;
	}
	N(r).left = tmerge(pl, l, N(r).left);
	return r;
}

static int space_insert(struct ipol_plan *pl, struct ipol_plan_space *s,
			const struct ipol_plan_piece *pc)
{
	uint32_t i, l, r;

	if (node_new(pl, pc, &i))
		return -ENOMEM;
	tsplit(pl, s->root, pc->iova, &l, &r);
	s->root = tmerge(pl, tmerge(pl, l, i), r);
	s->n++;
	return 0;
}

static void space_erase(struct ipol_plan *pl, struct ipol_plan_space *s, uint64_t iova)
{
	uint32_t l, m, r;

	/* iova + 1 cannot wrap: a piece ends at most at 2^64. */
	tsplit(pl, s->root, iova, &l, &r);
	tsplit(pl, r, iova + 1, &m, &r);
	s->root = tmerge(pl, l, r);
	if (m != NIL) {
		node_free(pl, m);
		s->n--;
	}
}

/* The first piece whose end is above @a, or NIL. */
static uint32_t first_after(struct ipol_plan *pl, const struct ipol_plan_space *s,
			    uint64_t a)
{
	uint32_t t = s->root, best = NIL;

	while (t != NIL) {
		pl->work++;
		if (N(t).pc.iova + N(t).pc.size > a || N(t).pc.iova + N(t).pc.size == 0) {
			best = t;
			t = N(t).left;
		} else {
			t = N(t).right;
		}
	}
	return best;
}

/* The piece after the one starting at @iova, or NIL. */
static uint32_t next_piece(struct ipol_plan *pl, const struct ipol_plan_space *s,
			   uint64_t iova)
{
	uint32_t t = s->root, best = NIL;

	while (t != NIL) {
		pl->work++;
		if (N(t).pc.iova > iova) {
			best = t;
			t = N(t).left;
		} else {
			t = N(t).right;
		}
	}
	return best;
}

/*
 * Does a piece starting at @iova begin before the end of [a, a + size)?
 * Written without a + size, which is 2^64 (0) for a range that ends at
 * the top of the address space.
 */
static bool begins_before_end(uint64_t iova, uint64_t a, uint64_t size)
{
	return iova < a || iova - a < size;
}

static bool overlaps(struct ipol_plan *pl, const struct ipol_plan_space *s,
		     uint64_t a, uint64_t size)
{
	uint32_t i = first_after(pl, s, a);

	return i != NIL && begins_before_end(N(i).pc.iova, a, size);
}

static int add_cut(struct ipol_plan_rec *r, uint64_t off)
{
	size_t cap = r->capcuts;

	/* A cut is only made strictly inside a live piece: never twice. */
	if (r->ncuts == UINT32_MAX - 1 ||
	    grow((void **)&r->cuts, &cap, r->ncuts + 1, sizeof(*r->cuts)))
		return -ENOMEM;
	r->capcuts = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	r->cuts[r->ncuts++] = off;
	return 0;
}

/* Split piece @i of @s at IOVA @where, strictly inside it. */
static int split(struct ipol_plan *pl, struct ipol_plan_space *s, uint32_t i,
		 uint64_t where)
{
	struct ipol_plan_piece right = N(i).pc;
	uint64_t left_size = where - N(i).pc.iova;

	right.iova = where;
	right.size -= left_size;
	right.off += left_size;
	N(i).pc.size = left_size;	/* the order of pieces is unchanged */
	if (add_cut(&pl->recs[right.rec], right.off))
		return -ENOMEM;
	return space_insert(pl, s, &right);
}

/*
 * How well @s's live pieces fit the unmap [a, a + size): class 0 one
 * piece equal to it, 1 pieces tiling it, 2 covering it with pieces
 * reaching outside, 3 covering part of it, 4 nothing.  @excess: bytes of
 * the intersecting pieces outside the range; @oldest: their oldest map.
 */
static int fit(struct ipol_plan *pl, const struct ipol_plan_space *s, uint64_t a,
	       uint64_t size, uint64_t *excess, uint64_t *oldest)
{
	uint32_t i = first_after(pl, s, a), k, count = 0;
	uint64_t end = a + size, covered = 0;	/* end may be 0: 2^64 */
	bool outside = false;

	*excess = 0;
	*oldest = UINT64_MAX;
	for (k = i; k != NIL && begins_before_end(N(k).pc.iova, a, size);
	     k = next_piece(pl, s, N(k).pc.iova)) {
		const struct ipol_plan_piece *pc = &N(k).pc;
		uint64_t pend = pc->iova + pc->size;
		uint64_t lo = pc->iova > a ? pc->iova : a;
		uint64_t hi = (pend - a) < size ? pend : end;

		covered += hi - lo;
		*excess += pc->size - (hi - lo);
		if (pc->iova < a || (pend - a) > size || (pend == 0 && end != 0))
			outside = true;
		if (pl->recs[pc->rec].seq < *oldest)
			*oldest = pl->recs[pc->rec].seq;
		count++;
		if (pl->work > WORK_LIMIT)
			break;
	}
	if (!count)
		return 4;
	if (covered < size)
		return 3;
	if (count == 1 && !outside)
		return 0;
	return outside ? 2 : 1;
}

static struct ipol_plan_space *new_space(struct ipol_plan *pl, int32_t dom,
					 uint8_t src)
{
	struct ipol_plan_space *s;

	if (grow((void **)&pl->sp, &pl->capsp, pl->nsp + 1, sizeof(*pl->sp)))
		return NULL;
	s = &pl->sp[pl->nsp++];
	memset(s, 0, sizeof(*s));
	s->root = NIL;
	s->domain = dom;
	s->dom_src = src;
	return s;
}

static bool is_domain(const struct ipol_plan_space *s, const struct ipol_trace_event *ev)
{
	return s->dom_src == ev->dom_src && s->domain == ev->domain;
}

static int too_much(struct ipol_plan *pl, const struct ipol_trace_event *ev,
		    unsigned long *line, char *msg, size_t msglen, const char *what)
{
	(void)pl;
	*line = ev->line;
	snprintf(msg, msglen, "%s; this is not a trace of one machine's DMA", what);
	return -EINVAL;
}

static int plan_map(struct ipol_plan *pl, const struct ipol_trace_event *ev,
		    unsigned long *line, char *msg, size_t msglen)
{
	struct ipol_plan_piece pc = { .iova = ev->iova, .size = ev->size,
				      .rec = (uint32_t)pl->nrecs };
	struct ipol_plan_rec *r = &pl->recs[pl->nrecs];
	struct ipol_plan_space *s = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->paddr = ev->paddr;
	r->size = ev->size;
	r->seq = pl->nrecs;
	if (ev->paddr + ev->size > pl->info.max_paddr_end)
		pl->info.max_paddr_end = ev->paddr + ev->size;

	if (ev->dom_src != IPOL_TRACE_DOM_NONE) {
		for (i = 0; i < pl->nsp && !s; i++)
			if (is_domain(&pl->sp[i], ev))
				s = &pl->sp[i];
		if (!s && pl->nsp == MAX_SPACES)
			return too_much(pl, ev, line, msg, msglen,
					"more than 1024 distinct domains");
		if (!s && !(s = new_space(pl, ev->domain, ev->dom_src)))
			return -ENOMEM;
		if (overlaps(pl, s, ev->iova, ev->size)) {
			*line = ev->line;
			if (ev->dom_src == IPOL_TRACE_DOM_KPROBE)
				snprintf(msg, msglen, "map of [0x%" PRIx64 ", 0x%" PRIx64
					 ") overlaps a live mapping of domain 0x%" PRIx64
					 " (from the kprobe lines); events were lost?",
					 ev->iova, ev->iova + ev->size, pl->dom_ptr[ev->domain]);
			else
				snprintf(msg, msglen, "map of [0x%" PRIx64 ", 0x%" PRIx64
					 ") overlaps a live mapping of domain %d",
					 ev->iova, ev->iova + ev->size, (int)ev->domain);
			return -EINVAL;
		}
	} else {
		size_t nfree = 0;

		/* The first space where it is free; a second one makes it contested. */
		for (i = 0; i < pl->nsp && nfree < 2; i++) {
			if (overlaps(pl, &pl->sp[i], ev->iova, ev->size))
				continue;
			if (!nfree++)
				s = &pl->sp[i];
		}
		pl->info.guessed++;
		pl->info.contested += nfree > 1;
		if (!s && pl->nsp == MAX_SPACES)
			return too_much(pl, ev, line, msg, msglen,
					"map overlaps live mappings in 1024 address spaces");
		if (!s && !(s = new_space(pl, -1 - (int32_t)pl->nsp, IPOL_TRACE_DOM_NONE)))
			return -ENOMEM;
	}
	pl->nrecs++;
	pl->info.maps++;
	s->maps++;
	s->live_bytes += ev->size;
	return space_insert(pl, s, &pc);
}

static int plan_unmap(struct ipol_plan *pl, const struct ipol_trace_event *ev,
		      struct ipol_plan_op *op)
{
	uint64_t a = ev->iova, size = ev->size, covered = 0;
	struct ipol_plan_space *best = NULL;
	int best_class = 4;
	uint64_t best_excess = 0, best_oldest = 0;
	bool known = ev->dom_src != IPOL_TRACE_DOM_NONE;
	size_t k, candidates = 0;
	uint32_t i;

	pl->info.unmaps++;
	op->first = (uint32_t)pl->nrm;
	op->n = 0;
again:
	for (k = 0; k < pl->nsp; k++) {
		struct ipol_plan_space *s = &pl->sp[k];
		uint64_t excess, oldest;
		int c;

		/*
		 * A known domain looks in its own space only.  When nothing
		 * is live there and the domain came from a kprobe, its map
		 * may have been placed by inference (its kprobe line was not
		 * captured): the second pass looks in the inferred spaces,
		 * and the unmap counts as guessed.
		 */
		if (known && !is_domain(s, ev))
			continue;
		if (!known && ev->dom_src == IPOL_TRACE_DOM_KPROBE &&
		    s->dom_src != IPOL_TRACE_DOM_NONE)
			continue;
		c = fit(pl, s, a, size, &excess, &oldest);
		if (c == 4)
			continue;
		candidates++;
		if (!best || c < best_class ||
		    (c == best_class && (excess < best_excess ||
		     (excess == best_excess && oldest < best_oldest)))) {
			best = s;
			best_class = c;
			best_excess = excess;
			best_oldest = oldest;
		}
	}
	if (pl->work > WORK_LIMIT)
		return -E2BIG;
	if (!best && known && ev->dom_src == IPOL_TRACE_DOM_KPROBE) {
		known = false;
		goto again;
	}
	if (!known) {
		pl->info.guessed++;
		pl->info.contested += candidates > 1;
	}
	if (!best) {
		pl->info.unmatched_unmaps++;
		pl->info.unmatched_bytes += size;
		return 0;
	}

	i = first_after(pl, best, a);
	if (i != NIL && N(i).pc.iova < a) {
		if (split(pl, best, i, a))
			return -ENOMEM;
		i = first_after(pl, best, a);
	}
	while (i != NIL && begins_before_end(N(i).pc.iova, a, size)) {
		uint64_t iova = N(i).pc.iova, pend = iova + N(i).pc.size;

		if (pend - a > size && pend != 0) {
			if (split(pl, best, i, a + size))
				return -ENOMEM;
		} else if (pend == 0 && a + size != 0) {
			if (split(pl, best, i, a + size))
				return -ENOMEM;
		}
		if (grow((void **)&pl->rm, &pl->caprm, pl->nrm + 1, sizeof(*pl->rm)))
			return -ENOMEM;
		if (op->n == UINT32_MAX)
			return -E2BIG;
		pl->rm[pl->nrm].rec = N(i).pc.rec;
		pl->rm[pl->nrm].off = N(i).pc.off;
		pl->nrm++;
		op->n++;
		covered += N(i).pc.size;
		best->live_bytes -= N(i).pc.size;
		i = next_piece(pl, best, iova);
		space_erase(pl, best, iova);
		if (pl->work > WORK_LIMIT)
			return -E2BIG;
	}
	best->unmaps++;
	if (covered < size)
		pl->info.unmatched_bytes += size - covered;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ipol_plan_build(const struct ipol_trace *t, struct ipol_plan **out,
		    unsigned long *line, char *msg, size_t msglen)
{
	struct ipol_plan *pl = calloc(1, sizeof(*pl));
	size_t k, maps = 0;
	int ret = -ENOMEM;

	*line = 0;
	if (msglen)
		msg[0] = '\0';
	if (!pl)
		return -ENOMEM;
	pl->free_node = NIL;
	pl->rng = 0x853c49e6748fea9bull;
	for (k = 0; k < t->n; k++)
		maps += t->ev[k].op == IPOL_TRACE_MAP;
	if (maps >= UINT32_MAX || t->n >= UINT32_MAX)
		goto err;
	pl->recs = calloc(maps ? maps : 1, sizeof(*pl->recs));
	pl->ops = calloc(t->n ? t->n : 1, sizeof(*pl->ops));
	pl->dom_ptr = calloc(t->ndom ? t->ndom : 1, sizeof(*pl->dom_ptr));
	if (!pl->recs || !pl->ops || !pl->dom_ptr)
		goto err;
	if (t->ndom)
		memcpy(pl->dom_ptr, t->dom_ptr, t->ndom * sizeof(*pl->dom_ptr));
	for (k = 0; k < t->n; k++) {
		const struct ipol_trace_event *ev = &t->ev[k];
		struct ipol_plan_op *op = &pl->ops[pl->nops++];

		if (ev->op == IPOL_TRACE_MAP) {
			op->is_map = 1;
			op->rec = (uint32_t)pl->nrecs;
			ret = plan_map(pl, ev, line, msg, msglen);
		} else {
			ret = plan_unmap(pl, ev, op);
		}
		if (ret == -E2BIG)
			ret = too_much(pl, ev, line, msg, msglen,
				       "resolving address spaces takes more than 2^28 steps");
		if (ret)
			goto err;
	}
	for (k = 0; k < pl->nrecs; k++) {
		struct ipol_plan_rec *r = &pl->recs[k];

		if (r->ncuts)
			qsort(r->cuts, r->ncuts, sizeof(*r->cuts), cmp_u64);
		r->first_seg = pl->info.segments;
		pl->info.segments += r->ncuts + 1;
	}
	pl->spinfo = calloc(pl->nsp ? pl->nsp : 1, sizeof(*pl->spinfo));
	if (!pl->spinfo) {
		ret = -ENOMEM;
		goto err;
	}
	for (k = 0; k < pl->nsp; k++) {
		const struct ipol_plan_space *sp = &pl->sp[k];
		struct ipol_plan_space_info *si = &pl->spinfo[k];

		pl->info.live_at_end += sp->n;
		si->maps = sp->maps;
		si->unmaps = sp->unmaps;
		si->live_pieces = sp->n;
		si->live_bytes = sp->live_bytes;
		if (sp->dom_src == IPOL_TRACE_DOM_KPROBE) {
			si->source = "kprobe";
			si->domain = pl->dom_ptr[sp->domain];
		} else if (sp->dom_src == IPOL_TRACE_DOM_CSV) {
			si->source = "csv";
			si->domain = (uint64_t)sp->domain;
		} else {
			si->source = "inferred";
			si->domain = k;
		}
	}
	pl->info.domains = (unsigned int)pl->nsp;
	pl->info.spaces = pl->spinfo;
	pl->info.domain_source = ipol_trace_domain_source(t);
	pl->info.kprobe_calls = t->kprobe_calls;
	pl->info.kprobe_orphans = t->kprobe_orphans;
	pl->info.dom_conflicts = t->dom_conflicts;
	*out = pl;
	return 0;
err:
	ipol_plan_free(pl);
	return ret;
}

void ipol_plan_free(struct ipol_plan *pl)
{
	size_t i;

	if (!pl)
		return;
	if (pl->recs)
		for (i = 0; i < pl->nrecs; i++)
			free(pl->recs[i].cuts);
	free(pl->node);
	free(pl->sp);
	free(pl->spinfo);
	free(pl->dom_ptr);
	free(pl->recs);
	free(pl->ops);
	free(pl->rm);
	free(pl);
}

void ipol_plan_get_info(const struct ipol_plan *pl, struct ipol_plan_info *info)
{
	*info = pl->info;
}
