/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - the second-level page-table format (pgtable.c; not
 * installed).
 *
 * A format in the sense of Linux's io-pgtable: it builds and walks the
 * radix tree the unit reads and knows nothing of units, domains or
 * invalidation.  What it needs from its owner (a table page, giving one
 * back, making stores visible to a unit that does not snoop) comes
 * through a const struct liommu_pt_ops and a cookie; what it cannot know
 * (the address width, the superpages the unit takes, whether it snoops)
 * through struct liommu_pt_cfg.  Invalidation is the owner's: unmap
 * gathers what must be invalidated in a struct liommu_gather, and a
 * failed map says how much of it stayed mapped so that the owner can
 * undo it with an unmap and an invalidation.  Each call reports the
 * entries it wrote and the bytes it mapped or unmapped in a struct
 * liommu_pt_count, for the owner's counters.
 *
 * Who includes it: pgtable.c and domain.h (domain.c is the owner).  It
 * includes only public headers.
 *
 * Concurrency: map, unmap and translate of disjoint ranges run at once
 * without a lock (pgtable.c says how); the ops must allow that.
 */
#ifndef LIOMMU_DRIVER_PGTABLE_H
#define LIOMMU_DRIVER_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liommu/liommu.h>

struct liommu_pt_node;

/**
 * struct liommu_pt_ops - what the format asks of its owner.
 * @page_alloc: a zeroed 4 KiB page the unit can walk, already visible to
 *              it; CPU pointer in *@va, the unit's address in *@pa.
 *              Return 0 or a negative errno.  Context: may block; called
 *              from map and unmap (new levels, superpage splits), by
 *              several threads at once.
 * @page_free:  give back a page from @page_alloc that the unit can no
 *              longer reach.  Context: as @page_alloc.
 * @flush:      make CPU stores to [@va, @va + @len) visible to the unit.
 *              Called only when the configuration says the unit is not
 *              coherent, so a coherent unit pays no indirect call.
 *              Context: any; on the map and unmap paths.
 */
struct liommu_pt_ops {
	int (*page_alloc)(void *cookie, void **va, uint64_t *pa);
	void (*page_free)(void *cookie, void *va, uint64_t pa);
	void (*flush)(void *cookie, const void *va, size_t len);
};

/**
 * struct liommu_pt_cfg - the unit's properties the format obeys.
 * @levels:   table depth: 3, 4 or 5.
 * @width:    input address bits, 12 + 9 * @levels (39, 48, 57).
 * @sllps:    superpage sizes the format may use (VTD_SLLPS_*).
 * @snoop:    set SNP in leaves (ECAP.SC; bit 11 is reserved otherwise).
 * @coherent: stores need no @flush: the unit snoops its table fetches
 *            (ECAP.C), or the platform has nothing to flush with.
 */
struct liommu_pt_cfg {
	unsigned int levels;
	unsigned int width;
	unsigned int sllps;
	bool snoop;
	bool coherent;
};

/* One table.  Set up by liommu__pt_init(), read-only afterwards. */
struct liommu_pt {
	const struct liommu_pt_ops *ops;
	void *cookie;
	struct liommu_pt_cfg cfg;
	struct liommu_pt_node *root;
	uint64_t root_pa;		/* the top-level table, for the context entry */
};

/* What one call did, for the owner's counters (filled in by every call,
 * failed ones included). */
struct liommu_pt_count {
	uint64_t pte_writes;		/* leaf and non-leaf entry stores */
	uint64_t mapped;		/* bytes made present */
	uint64_t unmapped;		/* bytes made not present */
};

/* Allocate the top-level table.  Return: 0, -EINVAL (inconsistent
 * @cfg), -ENOMEM.  Context: may block. */
int liommu__pt_init(struct liommu_pt *pt, const struct liommu_pt_cfg *cfg,
		    const struct liommu_pt_ops *ops, void *cookie);
/* Free every table page (the table must be unreachable for the unit). */
void liommu__pt_destroy(struct liommu_pt *pt);

/*
 * Map [@iova, @iova + @size) to @pa.  On failure [@iova, @iova +
 * @cnt->mapped) stays mapped (the entries are live): the owner unmaps it
 * and invalidates before freeing the gathered tables.  Return: 0,
 * -EINVAL, -ERANGE, -EEXIST, -ENOMEM.  Context: lock-free; may block in
 * @page_alloc.
 */
int liommu__pt_map(struct liommu_pt *pt, uint64_t iova, uint64_t pa, uint64_t size,
		   unsigned int prot, struct liommu_pt_count *cnt);
/* Clear the entries of a range and gather it in @g; tables the range
 * covers whole are unlinked onto @g's freelist.  Return: 0, -EINVAL,
 * -ERANGE, -ENOENT (some page was not mapped), -ENOMEM (a split).
 * Context: lock-free. */
int liommu__pt_unmap(struct liommu_pt *pt, uint64_t iova, uint64_t size,
		     struct liommu_gather *g, struct liommu_pt_count *cnt);
/* Free the gathered table pages (after the invalidation). */
void liommu__pt_free_gathered(struct liommu_pt *pt, struct liommu_gather *g);
/* Walk the table as the unit would.  Return: 0, -ERANGE, -ENOENT.
 * Context: lock-free. */
int liommu__pt_translate(const struct liommu_pt *pt, uint64_t iova, uint64_t *pa,
			 unsigned int *prot, uint64_t *page_size);

#endif /* LIOMMU_DRIVER_PGTABLE_H */
