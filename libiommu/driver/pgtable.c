// SPDX-License-Identifier: MIT
/*
 * pgtable.c - the second-level page-table format (spec 9.8).
 *
 * A domain's table is a radix tree of 4 KiB pages with 512 64-bit entries
 * each, unit->levels deep (3 for a 39-bit, 4 for a 48-bit, 5 for a 57-bit
 * address width).  Level 1 entries map 4 KiB pages; a level 2 or 3 entry
 * with PS set maps a 2 MiB or 1 GiB page when CAP.SLLPS reports it.
 *
 * Entry encodings (spec 9.8, cross-checked with QEMU 7.2's
 * vtd_iova_to_slpte() and its VTD_SPTE_*_RSVD_MASK macros):
 *  - non-leaf: next table address | R | W.  The hardware checks R/W at
 *    every level (QEMU: "access_right_check" on each entry), so a table
 *    entry must allow both and let the leaf decide.
 *  - leaf: page address | R/W from prot | PS above level 1.  SNP (bit 11)
 *    only when ECAP.SC, because without it bit 11 is reserved at every
 *    level (QEMU's masks include 0x800 at L1..L4 and fault with reason
 *    0xc).  TM (bit 62) is reserved unless ECAP.DT and this driver never
 *    asks for transient mappings, so it is never set.
 *
 * Concurrency: map/unmap of disjoint ranges run without a domain lock.
 * The hardware entries are the truth the unit walks; the driver also needs
 * a CPU pointer for each table it finds there, so every table page has a
 * shadow node (struct liommu_pt_node) holding its children's nodes.  A new
 * level is installed by (1) allocating a zeroed page, flushing it for a
 * non-coherent unit, (2) a release compare-and-swap of the shadow slot,
 * the loser freeing its page, then (3) a compare-and-swap of the hardware
 * entry from 0 (or from the superpage being split) to the table pointer.
 * Step 3 is done by every thread that uses the node, and they all store
 * the same value, so no thread can return from map() before the hardware
 * sees the levels above its leaves.  It starts with an acquire load: an
 * entry that already holds the pointer (every map after the first below
 * that entry) needs no locked RMW, and its cache line stays shared.
 * Every entry store is one 64-bit atomic store or compare-and-swap,
 * followed by a cache-line flush when ECAP.C is 0.
 *
 * Freeing: a table page is freed only when an unmap range covers its whole
 * span, and only after the invalidation that makes it unreachable
 * (liommu__pt_free_gathered() after the IOTLB flush).  Detached subtrees
 * are chained through their shadow nodes, which the unit never reads, so
 * the table pages themselves stay untouched until they are freed.
 *
 * What this file must not touch: units, domains, invalidation and the
 * domain counters.  Table pages and flushes come from the owner's
 * struct liommu_pt_ops (domain.c supplies them), called only off the
 * common path (a new level, a split, a free) or, for flushes, only when
 * the unit is not coherent; a call reports what it wrote in a struct
 * liommu_pt_count, and a failed map leaves the undo (unmap, invalidate,
 * free) to the owner, which alone can invalidate.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <liommu/liommu.h>
#include <liommu/vtd.h>

#include "pgtable.h"

/* Physical addresses a leaf can hold: bits 51:12 (spec 9.8). */
#define PT_PA_LIMIT	(1ULL << 52)

struct liommu_pt_node {
	void *va;			/* the table the unit walks: CPU view */
	uint64_t pa;			/* and the unit's */
	unsigned int level;		/* 1 = 4 KiB leaves */
	struct liommu_pt_node *free_next; /* gather freelist link */
	struct liommu_pt_node *child[];	/* VTD_PT_ENTRIES when level > 1 */
};

/* ------------------------------------------------------------------ */
/* Entry primitives                                                    */
/* ------------------------------------------------------------------ */

static inline uint64_t pte_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pte_set(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* On failure *old holds the current value. */
static inline bool pte_cas(uint64_t *p, uint64_t *old, uint64_t v)
{
	return __atomic_compare_exchange_n(p, old, v, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static inline struct liommu_pt_node *node_child(struct liommu_pt_node *n, unsigned int i)
{
	return __atomic_load_n(&n->child[i], __ATOMIC_ACQUIRE);
}

static inline uint64_t *node_hw(const struct liommu_pt_node *n)
{
	return n->va;
}

static inline bool pte_present(uint64_t e)
{
	return e & VTD_SLPTE_PRESENT;
}

static inline bool pte_is_leaf(uint64_t e, unsigned int level)
{
	return level == 1 || (e & VTD_SLPTE_PS);
}

static inline uint64_t level_span(unsigned int level)
{
	return 1ULL << vtd_level_shift(level);
}

/* Make one modified entry visible to a unit that does not snoop. */
static inline void pte_flush(const struct liommu_pt *pt, const uint64_t *p)
{
	if (!pt->cfg.coherent)
		pt->ops->flush(pt->cookie, p, sizeof(*p));
}

static uint64_t pte_table(const struct liommu_pt_node *n)
{
	return (n->pa & VTD_SLPTE_ADDR) | VTD_SLPTE_R | VTD_SLPTE_W;
}

static uint64_t pte_leaf(const struct liommu_pt_cfg *cfg, uint64_t pa,
			 unsigned int level, unsigned int prot)
{
	uint64_t e = pa & VTD_SLPTE_ADDR;

	if (prot & LIOMMU_PROT_READ)
		e |= VTD_SLPTE_R;
	if (prot & LIOMMU_PROT_WRITE)
		e |= VTD_SLPTE_W;
	if (level > 1)
		e |= VTD_SLPTE_PS;
	if (cfg->snoop)
		e |= VTD_SLPTE_SNP;
	return e;
}

/*
 * Superpages: 2 MiB at level 2, 1 GiB at level 3 (spec 9.8; there is no
 * 512 GiB second-level page, QEMU treats PS at level 4 as reserved).
 * 1 GiB pages are used only when 2 MiB pages are too, so that splitting
 * one never needs more than one new table.
 */
static bool superpage_ok(const struct liommu_pt_cfg *cfg, unsigned int level)
{
	if (level == 2)
		return cfg->sllps & VTD_SLLPS_2M;
	if (level == 3)
		return (cfg->sllps & VTD_SLLPS_1G) && (cfg->sllps & VTD_SLLPS_2M);
	return false;
}

/* ------------------------------------------------------------------ */
/* Table nodes                                                         */
/* ------------------------------------------------------------------ */

static struct liommu_pt_node *node_alloc(struct liommu_pt *pt, unsigned int level)
{
	size_t sz = sizeof(struct liommu_pt_node) +
		    (level > 1 ? VTD_PT_ENTRIES * sizeof(struct liommu_pt_node *) : 0);
	struct liommu_pt_node *n = calloc(1, sz);

	if (!n)
		return NULL;
	if (pt->ops->page_alloc(pt->cookie, &n->va, &n->pa)) {
		free(n);
		return NULL;
	}
	n->level = level;
	return n;
}

/* The page must be unreachable for the unit (never published, or
 * invalidated after being unlinked). */
static void node_free(struct liommu_pt *pt, struct liommu_pt_node *n)
{
	pt->ops->page_free(pt->cookie, n->va, n->pa);
	free(n);
}

/* Before a table is linked: its contents must reach memory first. */
static void node_make_visible(const struct liommu_pt *pt, const struct liommu_pt_node *n)
{
	if (!pt->cfg.coherent)
		pt->ops->flush(pt->cookie, n->va, VTD_PAGE_SIZE);
}

/*
 * Publish *@node in shadow slot @i unless another thread got there first;
 * then *@node is the winner's and ours is freed (the unit never saw it).
 * Returns true when ours was published.
 */
static bool node_publish(struct liommu_pt *pt, struct liommu_pt_node *parent,
			 unsigned int i, struct liommu_pt_node **node)
{
	struct liommu_pt_node *cur = NULL;

	if (__atomic_compare_exchange_n(&parent->child[i], &cur, *node, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return true;
	node_free(pt, *node);
	*node = cur;
	return false;
}

/*
 * Point hardware entry @i of @parent at @child, replacing @expect (0 for
 * an empty slot, the superpage for a split).  Another thread may have done
 * it already: that is success too.  Returns false when the entry holds
 * something else (only an overlapping concurrent call can cause that).
 */
static bool node_link(struct liommu_pt *pt, struct liommu_pt_count *cnt,
		      struct liommu_pt_node *parent, unsigned int i,
		      const struct liommu_pt_node *child, uint64_t expect)
{
	uint64_t *hw = node_hw(parent);
	uint64_t want = pte_table(child);
	uint64_t cur = pte_get(&hw[i]);

	/* Usually some earlier map linked it already: an acquire load, no
	 * locked RMW, and no write to a line other mappers read. */
	if (cur == want)
		return true;
	if (cur != expect)
		return false;
	if (pte_cas(&hw[i], &cur, want)) {
		pte_flush(pt, &hw[i]);
		cnt->pte_writes++;
		return true;
	}
	return cur == want;
}

/* Free @n and everything below it. */
static void subtree_free(struct liommu_pt *pt, struct liommu_pt_node *n)
{
	unsigned int i;

	if (n->level > 1) {
		for (i = 0; i < VTD_PT_ENTRIES; i++)
			if (n->child[i])
				subtree_free(pt, n->child[i]);
	}
	node_free(pt, n);
}

/* ------------------------------------------------------------------ */
/* Setup and teardown                                                  */
/* ------------------------------------------------------------------ */

int liommu__pt_init(struct liommu_pt *pt, const struct liommu_pt_cfg *cfg,
		    const struct liommu_pt_ops *ops, void *cookie)
{
	struct liommu_pt_node *root;

	if (!ops || !ops->page_alloc || !ops->page_free ||
	    (!cfg->coherent && !ops->flush) ||
	    cfg->levels < 3 || cfg->levels > 5 ||
	    vtd_level_shift(cfg->levels + 1) != cfg->width)
		return -EINVAL;
	*pt = (struct liommu_pt){ .ops = ops, .cookie = cookie, .cfg = *cfg };
	root = node_alloc(pt, cfg->levels);
	if (!root)
		return -ENOMEM;
	node_make_visible(pt, root);
	pt->root = root;
	pt->root_pa = root->pa;
	return 0;
}

void liommu__pt_destroy(struct liommu_pt *pt)
{
	if (!pt->root)
		return;
	subtree_free(pt, pt->root);
	pt->root = NULL;
	pt->root_pa = 0;
}

/* ------------------------------------------------------------------ */
/* Map                                                                 */
/* ------------------------------------------------------------------ */

struct map_ctx {
	struct liommu_pt *pt;
	struct liommu_pt_count cnt;
	uint64_t delta;		/* pa - iova, modulo 2^64 */
	unsigned int prot;
};

/* The table below entry @i of @n (level > 1), created if needed. */
static int map_child(struct map_ctx *c, struct liommu_pt_node *n, unsigned int i,
		     struct liommu_pt_node **out)
{
	struct liommu_pt *pt = c->pt;
	uint64_t e = pte_get(&node_hw(n)[i]);
	struct liommu_pt_node *child;

	if (pte_present(e) && (e & VTD_SLPTE_PS))
		return -EEXIST;		/* inside an existing superpage */
	child = node_child(n, i);
	if (!child) {
		if (pte_present(e))
			return -EEXIST;	/* only an overlapping unmap gets here */
		child = node_alloc(pt, n->level - 1);
		if (!child)
			return -ENOMEM;
		node_make_visible(pt, child);
		node_publish(pt, n, i, &child);
	}
	if (!node_link(pt, &c->cnt, n, i, child, 0))
		return -EEXIST;
	*out = child;
	return 0;
}

/* Leaves are written in address order, so [start, start + cnt.mapped)
 * is what this call has mapped at any moment. */
static int map_level(struct map_ctx *c, struct liommu_pt_node *n,
		     uint64_t iova, uint64_t end)
{
	const struct liommu_pt *pt = c->pt;
	unsigned int level = n->level;
	uint64_t span = level_span(level);
	uint64_t *hw = node_hw(n);
	int ret;

	while (iova < end) {
		unsigned int i = vtd_level_index(iova, level);
		uint64_t slot_end = (iova & ~(span - 1)) + span;
		uint64_t chunk_end = end < slot_end ? end : slot_end;
		uint64_t pa = iova + c->delta;
		bool whole = !(iova & (span - 1)) && chunk_end == slot_end;
		struct liommu_pt_node *child;

		if (level == 1 ||
		    (whole && !(pa & (span - 1)) && superpage_ok(&pt->cfg, level) &&
		     !node_child(n, i))) {
			uint64_t cur = 0;

			if (!pte_cas(&hw[i], &cur, pte_leaf(&pt->cfg, pa, level, c->prot)))
				return -EEXIST;
			pte_flush(pt, &hw[i]);
			c->cnt.pte_writes++;
			c->cnt.mapped += span;
			iova = chunk_end;
			continue;
		}
		ret = map_child(c, n, i, &child);
		if (ret)
			return ret;
		ret = map_level(c, child, iova, chunk_end);
		if (ret)
			return ret;
		iova = chunk_end;
	}
	return 0;
}

static int check_range(const struct liommu_pt *pt, uint64_t iova, uint64_t size)
{
	if (!size || (iova | size) & (VTD_PAGE_SIZE - 1))
		return -EINVAL;
	if (iova + size < iova || iova + size > (1ULL << pt->cfg.width))
		return -ERANGE;
	return 0;
}

int liommu__pt_map(struct liommu_pt *pt, uint64_t iova, uint64_t pa, uint64_t size,
		   unsigned int prot, struct liommu_pt_count *cnt)
{
	struct map_ctx c = { .pt = pt, .delta = pa - iova, .prot = prot };
	int ret;

	*cnt = (struct liommu_pt_count){ 0 };
	if (!prot || (prot & ~LIOMMU_PROT_RW) || (pa & (VTD_PAGE_SIZE - 1)))
		return -EINVAL;
	ret = check_range(pt, iova, size);
	if (ret)
		return ret;
	if (pa + size < pa || pa + size > PT_PA_LIMIT)
		return -ERANGE;

	ret = map_level(&c, pt->root, iova, iova + size);
	*cnt = c.cnt;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Unmap                                                               */
/* ------------------------------------------------------------------ */

struct unmap_ctx {
	struct liommu_pt *pt;
	struct liommu_pt_count cnt;
	struct liommu_gather *g;
	bool missing;		/* some page of the range was not mapped */
	int err;
};

static void gather_add(struct liommu_gather *g, uint64_t start, uint64_t end)
{
	if (!g->end) {
		g->start = start;
		g->end = end;
		return;
	}
	if (start < g->start)
		g->start = start;
	if (end > g->end)
		g->end = end;
}

/* Bytes mapped below a detached node; notes holes in c->missing. */
static uint64_t subtree_mapped(struct unmap_ctx *c, struct liommu_pt_node *n)
{
	uint64_t *hw = node_hw(n);
	uint64_t bytes = 0, e;
	unsigned int i;

	for (i = 0; i < VTD_PT_ENTRIES; i++) {
		e = pte_get(&hw[i]);
		if (!pte_present(e))
			c->missing = true;
		else if (pte_is_leaf(e, n->level))
			bytes += level_span(n->level);
		else if (node_child(n, i))
			bytes += subtree_mapped(c, node_child(n, i));
		else
			c->missing = true;
	}
	return bytes;
}

/*
 * Replace superpage @e in entry @i of @n by a table mapping the same range
 * with the same attributes, so part of it can be unmapped.  The unit sees
 * either the superpage or the table: both translate identically.  Two
 * threads splitting the same superpage (disjoint unmaps inside it) agree
 * through the shadow slot and both link the same table.
 */
static struct liommu_pt_node *split(struct unmap_ctx *c, struct liommu_pt_node *n,
				    unsigned int i, uint64_t e)
{
	struct liommu_pt *pt = c->pt;
	unsigned int cl = n->level - 1;
	uint64_t cspan = level_span(cl);
	uint64_t base = e & VTD_SLPTE_ADDR;
	uint64_t attrs = (e & ~(VTD_SLPTE_ADDR | VTD_SLPTE_PS)) |
			 (cl > 1 ? VTD_SLPTE_PS : 0);
	struct liommu_pt_node *child = node_child(n, i);
	unsigned int j;

	if (!child) {
		uint64_t *chw;

		child = node_alloc(pt, cl);
		if (!child)
			return NULL;
		chw = node_hw(child);
		for (j = 0; j < VTD_PT_ENTRIES; j++)
			chw[j] = (base + j * cspan) | attrs;
		node_make_visible(pt, child);
		if (node_publish(pt, n, i, &child))
			c->cnt.pte_writes += VTD_PT_ENTRIES;
	}
	if (!node_link(pt, &c->cnt, n, i, child, e))
		return NULL;
	return child;
}

static void unmap_level(struct unmap_ctx *c, struct liommu_pt_node *n,
			uint64_t iova, uint64_t end)
{
	const struct liommu_pt *pt = c->pt;
	unsigned int level = n->level;
	uint64_t span = level_span(level);
	uint64_t *hw = node_hw(n);

	while (iova < end) {
		unsigned int i = vtd_level_index(iova, level);
		uint64_t slot = iova & ~(span - 1);
		uint64_t chunk_end = end < slot + span ? end : slot + span;
		bool whole = iova == slot && chunk_end == slot + span;
		uint64_t e = pte_get(&hw[i]);
		struct liommu_pt_node *child;

		if (!pte_present(e)) {
			c->missing = true;
		} else if (pte_is_leaf(e, level) && whole) {
			pte_set(&hw[i], 0);
			pte_flush(pt, &hw[i]);
			c->cnt.pte_writes++;
			c->cnt.unmapped += span;
			gather_add(c->g, slot, slot + span);
		} else if (pte_is_leaf(e, level)) {
			child = split(c, n, i, e);
			if (!child) {
				c->err = -ENOMEM;
			} else {
				c->g->tables = true;
				unmap_level(c, child, iova, chunk_end);
			}
		} else if (!(child = node_child(n, i))) {
			c->missing = true;	/* overlapping call in progress */
		} else if (whole) {
			/* The range covers this whole table: unlink it and
			 * free it after the invalidation. */
			pte_set(&hw[i], 0);
			pte_flush(pt, &hw[i]);
			__atomic_store_n(&n->child[i], NULL, __ATOMIC_RELEASE);
			c->cnt.pte_writes++;
			c->cnt.unmapped += subtree_mapped(c, child);
			child->free_next = c->g->freelist;
			c->g->freelist = child;
			c->g->tables = true;
			gather_add(c->g, slot, slot + span);
		} else {
			unmap_level(c, child, iova, chunk_end);
		}
		iova = chunk_end;
	}
}

int liommu__pt_unmap(struct liommu_pt *pt, uint64_t iova, uint64_t size,
		     struct liommu_gather *g, struct liommu_pt_count *cnt)
{
	struct unmap_ctx c = { .pt = pt, .g = g };
	int ret;

	*cnt = (struct liommu_pt_count){ 0 };
	ret = check_range(pt, iova, size);
	if (ret)
		return ret;
	unmap_level(&c, pt->root, iova, iova + size);
	*cnt = c.cnt;
	if (c.err)
		return c.err;
	return c.missing ? -ENOENT : 0;
}

void liommu__pt_free_gathered(struct liommu_pt *pt, struct liommu_gather *g)
{
	struct liommu_pt_node *n = g->freelist, *next;

	for (; n; n = next) {
		next = n->free_next;
		subtree_free(pt, n);
	}
	*g = (struct liommu_gather)LIOMMU_GATHER_INIT;
}

/* ------------------------------------------------------------------ */
/* Translate                                                           */
/* ------------------------------------------------------------------ */

int liommu__pt_translate(const struct liommu_pt *pt, uint64_t iova, uint64_t *pa,
			 unsigned int *prot, uint64_t *page_size)
{
	struct liommu_pt_node *n = pt->root;
	unsigned int level;
	uint64_t e, span;

	if (iova >> pt->cfg.width)
		return -ERANGE;
	for (;;) {
		level = n->level;
		e = pte_get(&node_hw(n)[vtd_level_index(iova, level)]);
		if (!pte_present(e))
			return -ENOENT;
		if (pte_is_leaf(e, level))
			break;
		n = node_child(n, vtd_level_index(iova, level));
		if (!n)
			return -ENOENT;
	}
	span = level_span(level);
	if (pa)
		*pa = (e & VTD_SLPTE_ADDR & ~(span - 1)) | (iova & (span - 1));
	if (prot)
		*prot = ((e & VTD_SLPTE_R) ? LIOMMU_PROT_READ : 0) |
			((e & VTD_SLPTE_W) ? LIOMMU_PROT_WRITE : 0);
	if (page_size)
		*page_size = span;
	return 0;
}
