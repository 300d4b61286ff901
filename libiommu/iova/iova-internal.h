/* SPDX-License-Identifier: MIT */
/*
 * iova-internal.h - internals of the IOVA allocator (not installed).
 *
 * iova-tree.c: an AVL tree of the allocated and reserved ranges of one
 * IOVA space, keyed by first page frame (pfn = IOVA >> 12), each node
 * augmented with the free gap in front of it, and its subtree with the
 * largest gap and the largest naturally aligned block a gap can hold.
 * Like Linux's rbtree, the tree knows nothing of locks: iova.c calls it
 * with the allocator's tree lock held.  iova-tree.c explains the choice.
 *
 * iova.c: the allocator, its per-thread magazine caches and its state
 * map; liommu__iova_check() is its self-test hook for the test suite.
 */
#ifndef LIOMMU_IOVA_INTERNAL_H
#define LIOMMU_IOVA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

enum iova_kind {
	IOVA_KIND_END,		/* zero-length marker at the end of the space */
	IOVA_KIND_RESERVED,	/* liommu_iova_reserve() */
	IOVA_KIND_RANGE,	/* live until freed; liveness = presence */
	IOVA_KIND_CLASS,	/* cacheable size; liveness in the state map */
};

/*
 * One range [pfn, pfn_end).  The free gap in front of it is
 * [gap_lo, pfn): gap_lo is the predecessor's pfn_end, or the space's base
 * for the first node.  max_gap and max_order cover the whole subtree.
 */
struct iova_node {
	struct iova_node *left, *right, *parent;
	uint64_t pfn;
	uint64_t pfn_end;
	uint64_t gap_lo;
	uint64_t max_gap;	/* largest pfn - gap_lo in the subtree */
	int8_t gap_order;	/* largest aligned 2^k block in own gap, -1 none */
	int8_t max_order;	/* largest gap_order in the subtree */
	uint8_t height;		/* AVL height, leaf = 1 */
	uint8_t kind;		/* enum iova_kind */
};

struct iova_tree {
	struct iova_node *root;
	struct iova_node end;	/* the END marker, always in the tree */
	uint64_t base_pfn;
	uint64_t end_pfn;
	uint64_t nodes;		/* including the END marker */
};

void liommu__iova_tree_init(struct iova_tree *t, uint64_t base_pfn,
			    uint64_t end_pfn);
/* Free every node but the END marker (embedded). */
void liommu__iova_tree_fini(struct iova_tree *t);

/*
 * Find free space for @npages pages: naturally aligned when @order >= 0
 * (then npages == 1 << order), 4 KiB aligned otherwise.  Lowest address
 * first, or highest with @top_down.  Returns the node the space sits in
 * front of and the chosen first pfn, or NULL when nothing fits.
 */
struct iova_node *liommu__iova_tree_find_fit(const struct iova_tree *t,
					     uint64_t npages, int order,
					     bool top_down, uint64_t *pfn);

/* Insert @n (pfn, pfn_end, kind set) into the gap in front of @succ,
 * which must contain it. */
void liommu__iova_tree_insert_before(struct iova_tree *t,
				     struct iova_node *succ,
				     struct iova_node *n);

/* Unlink @n (never the END marker); the caller frees it. */
void liommu__iova_tree_erase(struct iova_tree *t, struct iova_node *n);

/* The node starting exactly at @pfn, or NULL. */
struct iova_node *liommu__iova_tree_lookup(const struct iova_tree *t,
					   uint64_t pfn);

/* The first node (address order) ending after @pfn: the one containing
 * @pfn, or the next one.  Never NULL for @pfn < end_pfn. */
struct iova_node *liommu__iova_tree_first_after(const struct iova_tree *t,
						uint64_t pfn);

/* In-order successor, NULL after the END marker. */
struct iova_node *liommu__iova_tree_next(const struct iova_node *n);

/* Check order, disjointness, gaps, augmentation and AVL balance.
 * Returns the node count, or -1 on the first violation. */
long liommu__iova_tree_check(const struct iova_tree *t);

static inline unsigned int iova_tree_height(const struct iova_tree *t)
{
	return t->root ? t->root->height : 0;
}

struct liommu_iova;

/*
 * liommu__iova_check() - verify every invariant of @a: the tree (see
 * liommu__iova_tree_check), its byte accounting, and that every IOVA in a
 * magazine or the depot is a cacheable node whose state says "not live".
 * Sets *@why to a static description of the first violation.
 * Return: 0 or -EUCLEAN.  Context: takes all of @a's locks in order.
 */
int liommu__iova_check(struct liommu_iova *a, const char **why);

/*
 * liommu__iova_use_membarrier() - test hook: use (or stop using) the
 * membarrier(2) handshake for thread caches; without it the owner takes
 * the sequentially consistent fallback.  Only while no allocator exists.
 * Return: whether membarrier is now in use.
 */
bool liommu__iova_use_membarrier(bool on);

#endif /* LIOMMU_IOVA_INTERNAL_H */
