// SPDX-License-Identifier: MIT
/*
 * iova-tree.c - an augmented AVL tree of IOVA ranges with O(log n)
 * worst-case first-fit search.
 *
 * Why this structure.  Linux's drivers/iommu/iova.c keeps allocated
 * ranges in a red-black tree and searches for a gap by walking backwards
 * (rb_prev) from a cached node, one gap per step.  With a fragmented
 * space (many small holes below the cached node, none large enough) an
 * allocation visits every range: O(n) worst case, which Linux softens
 * with max32_alloc_size ("nothing this big fits below 4 GiB") but does
 * not remove.  Here every node records the free gap in front of it, and
 * every subtree the largest gap and the largest naturally aligned block
 * (2^k pages at a multiple of 2^k) any of its gaps can hold.  A search
 * then descends once from the root, choosing the leftmost (or rightmost)
 * child whose summary says "fits": O(height) = O(log n), with no false
 * negatives.  The aligned summary is exact because "an aligned 2^k block
 * fits in a gap" is monotone in k: a gap holding an aligned 2^k block
 * holds every smaller aligned block, so one order per gap says it all.
 *
 * Why AVL rather than red-black: the augmentation must be refreshed on
 * the whole root path after each change anyway, so the red-black tree's
 * cheaper rebalancing buys nothing, while AVL's height bound (1.44 log2 n
 * against 2 log2 n) shortens every search.  Why a tree of allocated
 * ranges rather than of free ones: the allocated node is also the record
 * that validates a free (the size must match, reserved ranges cannot be
 * freed), so one structure serves both.  Why not a buddy allocator:
 * exact ranges (alloc_range, reservations such as the interrupt window,
 * non-power-of-two sizes) would each split into up to 2 * width buddy
 * blocks and still need a per-allocation record for validation.
 *
 * The END marker, a zero-length node at end_pfn embedded in the tree
 * struct, carries the last gap, so "the gap in front of a node" covers
 * the whole space.  Every function expects the caller's lock held.
 */
#include <stddef.h>
#include <stdlib.h>

#include "iova-internal.h"

/* ------------------------------------------------------------------ */
/* Augmentation                                                        */
/* ------------------------------------------------------------------ */

/* Largest k such that an aligned 2^k block fits in [lo, end), -1 if the
 * gap is empty.  With len = end - lo and K = floor(log2(len)), either
 * the aligned 2^K block fits or, since len >= 2 * 2^(K-1), an aligned
 * 2^(K-1) block certainly does. */
static int8_t gap_fit_order(uint64_t lo, uint64_t end)
{
	uint64_t len, blk;
	int k;

	if (end <= lo)
		return -1;
	len = end - lo;
	k = 63 - __builtin_clzll(len);
	blk = 1ULL << k;
	if (((lo + blk - 1) & ~(blk - 1)) + blk <= end)
		return (int8_t)k;
	return (int8_t)(k - 1);
}

static inline unsigned int height(const struct iova_node *x)
{
	return x ? x->height : 0;
}

static void set_gap(struct iova_node *x, uint64_t gap_lo)
{
	x->gap_lo = gap_lo;
	x->gap_order = gap_fit_order(gap_lo, x->pfn);
}

/* Recompute @x's height and subtree summaries from its children. */
static void node_update(struct iova_node *x)
{
	const struct iova_node *l = x->left, *r = x->right;
	uint64_t mg = x->pfn - x->gap_lo;
	int8_t mo = x->gap_order;
	unsigned int hl = height(l), hr = height(r);

	if (l) {
		if (l->max_gap > mg)
			mg = l->max_gap;
		if (l->max_order > mo)
			mo = l->max_order;
	}
	if (r) {
		if (r->max_gap > mg)
			mg = r->max_gap;
		if (r->max_order > mo)
			mo = r->max_order;
	}
	x->max_gap = mg;
	x->max_order = mo;
	x->height = (uint8_t)(1 + (hl > hr ? hl : hr));
}

/* ------------------------------------------------------------------ */
/* AVL primitives                                                      */
/* ------------------------------------------------------------------ */

static void replace_child(struct iova_tree *t, struct iova_node *p,
			  struct iova_node *old, struct iova_node *new)
{
	if (!p)
		t->root = new;
	else if (p->left == old)
		p->left = new;
	else
		p->right = new;
}

static struct iova_node *rotate_left(struct iova_tree *t, struct iova_node *x)
{
	struct iova_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

static struct iova_node *rotate_right(struct iova_tree *t, struct iova_node *x)
{
	struct iova_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/* Restore |balance| <= 1 at @x (children already balanced and updated);
 * returns the subtree's new root. */
static struct iova_node *rebalance(struct iova_tree *t, struct iova_node *x)
{
	int b = (int)height(x->left) - (int)height(x->right);

	if (b > 1) {
		if (height(x->left->left) < height(x->left->right))
			rotate_left(t, x->left);
		return rotate_right(t, x);
	}
	if (b < -1) {
		if (height(x->right->right) < height(x->right->left))
			rotate_right(t, x->right);
		return rotate_left(t, x);
	}
	return x;
}

/*
 * Walk from @x to the root refreshing summaries and rebalancing.  Only
 * the ancestors of a change can be out of balance or stale, so one walk
 * after an insertion or a removal restores every invariant; it always
 * goes to the root because the summaries change all the way up.
 */
static void retrace(struct iova_tree *t, struct iova_node *x)
{
	while (x) {
		node_update(x);
		x = rebalance(t, x);
		x = x->parent;
	}
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

void liommu__iova_tree_init(struct iova_tree *t, uint64_t base_pfn,
			    uint64_t end_pfn)
{
	struct iova_node *e = &t->end;

	*e = (struct iova_node){
		.pfn = end_pfn,
		.pfn_end = end_pfn,
		.kind = IOVA_KIND_END,
	};
	set_gap(e, base_pfn);
	node_update(e);
	t->root = e;
	t->base_pfn = base_pfn;
	t->end_pfn = end_pfn;
	t->nodes = 1;
}

static void free_subtree(struct iova_tree *t, struct iova_node *x)
{
	while (x) {
		struct iova_node *r = x->right;

		free_subtree(t, x->left);
		if (x != &t->end)
			free(x);
		x = r;
	}
}

void liommu__iova_tree_fini(struct iova_tree *t)
{
	free_subtree(t, t->root);
	t->root = NULL;
	t->nodes = 0;
}

static inline bool sub_fits(const struct iova_node *x, uint64_t npages, int order)
{
	if (!x)
		return false;
	return order >= 0 ? x->max_order >= order : x->max_gap >= npages;
}

static inline bool own_fits(const struct iova_node *x, uint64_t npages, int order)
{
	return order >= 0 ? x->gap_order >= order : x->pfn - x->gap_lo >= npages;
}

struct iova_node *liommu__iova_tree_find_fit(const struct iova_tree *t,
					     uint64_t npages, int order,
					     bool top_down, uint64_t *pfn)
{
	struct iova_node *x = t->root;

	if (!sub_fits(x, npages, order))
		return NULL;
	/* The root's summary promised a fit, so one of the three places
	 * we look at each step holds it: the loop ends at a node. */
	for (;;) {
		struct iova_node *first = top_down ? x->right : x->left;
		struct iova_node *last = top_down ? x->left : x->right;

		if (sub_fits(first, npages, order)) {
			x = first;
			continue;
		}
		if (own_fits(x, npages, order))
			break;
		x = last;
	}
	if (order >= 0) {
		uint64_t mask = npages - 1;

		*pfn = top_down ? (x->pfn - npages) & ~mask
				: (x->gap_lo + mask) & ~mask;
	} else {
		*pfn = top_down ? x->pfn - npages : x->gap_lo;
	}
	return x;
}

void liommu__iova_tree_insert_before(struct iova_tree *t,
				     struct iova_node *succ,
				     struct iova_node *n)
{
	n->left = n->right = NULL;
	set_gap(n, succ->gap_lo);
	set_gap(succ, n->pfn_end);
	if (!succ->left) {
		succ->left = n;
		n->parent = succ;
	} else {
		struct iova_node *p = succ->left;

		while (p->right)
			p = p->right;
		p->right = n;
		n->parent = p;
	}
	/* succ is an ancestor of n either way, so it is refreshed too. */
	retrace(t, n);
	t->nodes++;
}

struct iova_node *liommu__iova_tree_next(const struct iova_node *n)
{
	const struct iova_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct iova_node *)n;
	}
	p = n->parent;
	while (p && n == p->right) {
		n = p;
		p = p->parent;
	}
	return (struct iova_node *)p;
}

void liommu__iova_tree_erase(struct iova_tree *t, struct iova_node *n)
{
	struct iova_node *s = liommu__iova_tree_next(n);

	/* The successor's gap absorbs n and n's own gap. */
	set_gap(s, n->gap_lo);
	if (n->left && n->right) {
		/* s is the leftmost node of n's right subtree: move it into
		 * n's place.  Its old parent (or s itself) starts the walk,
		 * which passes through s's new position. */
		struct iova_node *fix = s->parent == n ? s : s->parent;

		if (s->parent != n) {
			s->parent->left = s->right;
			if (s->right)
				s->right->parent = s->parent;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		s->parent = n->parent;
		replace_child(t, n->parent, n, s);
		retrace(t, fix);
	} else {
		struct iova_node *c = n->left ? n->left : n->right;
		struct iova_node *p = n->parent;

		if (c)
			c->parent = p;
		replace_child(t, p, n, c);
		retrace(t, p);
		/* With only a right child, s sits below p, off the path. */
		retrace(t, s);
	}
	n->left = n->right = n->parent = NULL;
	t->nodes--;
}

struct iova_node *liommu__iova_tree_lookup(const struct iova_tree *t,
					   uint64_t pfn)
{
	struct iova_node *x = t->root;

	while (x) {
		if (pfn < x->pfn)
			x = x->left;
		else if (pfn > x->pfn)
			x = x->right;
		else
			return x;
	}
	return NULL;
}

struct iova_node *liommu__iova_tree_first_after(const struct iova_tree *t,
						uint64_t pfn)
{
	struct iova_node *x = t->root, *best = NULL;

	/* pfn_end is non-decreasing in address order (ranges are disjoint),
	 * so this is a lower-bound search. */
	while (x) {
		if (x->pfn_end > pfn) {
			best = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* Self-check                                                          */
/* ------------------------------------------------------------------ */

struct check_state {
	const struct iova_tree *t;
	const struct iova_node *prev;
	long count;
	bool bad;
};

static unsigned int check_sub(struct check_state *cs, const struct iova_node *x,
			      const struct iova_node *parent)
{
	unsigned int hl, hr;
	uint64_t mg;
	int8_t mo;

	if (!x || cs->bad)
		return 0;
	if (x->parent != parent)
		goto bad;
	hl = check_sub(cs, x->left, x);
	if (cs->bad)
		return 0;
	/* in-order visit */
	if (x->pfn_end < x->pfn || x->gap_lo > x->pfn)
		goto bad;
	if (x->gap_lo != (cs->prev ? cs->prev->pfn_end : cs->t->base_pfn))
		goto bad;
	if (x->gap_order != gap_fit_order(x->gap_lo, x->pfn))
		goto bad;
	if ((x->kind == IOVA_KIND_END) != (x == &cs->t->end))
		goto bad;
	if (x->kind != IOVA_KIND_END && x->pfn_end == x->pfn)
		goto bad;
	if (x->kind > IOVA_KIND_CLASS)
		goto bad;
	cs->prev = x;
	cs->count++;
	hr = check_sub(cs, x->right, x);
	if (cs->bad)
		return 0;
	if (hl > hr + 1 || hr > hl + 1)
		goto bad;
	if (x->height != 1 + (hl > hr ? hl : hr))
		goto bad;
	mg = x->pfn - x->gap_lo;
	mo = x->gap_order;
	if (x->left) {
		mg = x->left->max_gap > mg ? x->left->max_gap : mg;
		mo = x->left->max_order > mo ? x->left->max_order : mo;
	}
	if (x->right) {
		mg = x->right->max_gap > mg ? x->right->max_gap : mg;
		mo = x->right->max_order > mo ? x->right->max_order : mo;
	}
	if (x->max_gap != mg || x->max_order != mo)
		goto bad;
	return x->height;
bad:
	cs->bad = true;
	return 0;
}

long liommu__iova_tree_check(const struct iova_tree *t)
{
	struct check_state cs = { .t = t };

	check_sub(&cs, t->root, NULL);
	if (cs.bad || cs.prev != &t->end || t->end.pfn != t->end_pfn)
		return -1;
	if ((uint64_t)cs.count != t->nodes)
		return -1;
	return cs.count;
}
