/* SPDX-License-Identifier: MIT */
/*
 * plan.h - a trace resolved for replay (plan.c builds it, replay.c runs
 * it): the address space of every traced map, the pieces each map is
 * split into so that every unmap ends whole pieces, and the pieces each
 * unmap ends.  Pure data, no libiommu: tests and the fuzzer build plans
 * from hostile traces without a platform.
 */
#ifndef IPOL_PLAN_H
#define IPOL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct ipol_plan_rec {		/* one traced map */
	uint64_t paddr;
	uint64_t size;
	uint64_t seq;		/* its index among maps: age */
	uint64_t *cuts;		/* offsets where it is split (sorted at the end) */
	uint32_t ncuts, capcuts;
	uint64_t first_seg;	/* index of its first piece among all pieces */
};

struct ipol_plan_piece {	/* a live part of a traced map */
	uint64_t iova;
	uint64_t size;
	uint32_t rec;
	uint64_t off;		/* offset of the piece within its map */
};

/* A treap node holding one piece (in struct ipol_plan's node pool). */
struct ipol_plan_node {
	struct ipol_plan_piece pc;
	uint32_t left, right;
	uint32_t prio;
};

struct ipol_plan_space {	/* one address space: pieces ordered by IOVA */
	uint32_t root;
	size_t n;
	int32_t domain;		/* the event's domain; inferred: -1 - index */
	uint8_t dom_src;	/* enum ipol_trace_dom_src */
	uint64_t maps, unmaps;	/* traced events it took */
	uint64_t live_bytes;	/* bytes of its live pieces */
};

struct ipol_plan_removal {	/* a piece an unmap ends */
	uint32_t rec;
	uint64_t off;
};

struct ipol_plan_op {		/* one trace event */
	uint8_t is_map;
	uint32_t rec;		/* map: its record */
	uint32_t first, n;	/* unmap: removals[first .. first + n) */
};

struct ipol_plan {
	struct ipol_plan_rec *recs;
	size_t nrecs;
	struct ipol_plan_op *ops;
	size_t nops;
	struct ipol_plan_removal *rm;
	size_t nrm, caprm;
	struct ipol_plan_space *sp;
	size_t nsp, capsp;
	struct ipol_plan_space_info *spinfo;	/* info.spaces, built at the end */
	uint64_t *dom_ptr;			/* the trace's kprobe domain pointers */
	struct ipol_plan_node *node;	/* pool shared by every space */
	size_t nnode, capnode;
	uint32_t free_node;
	uint64_t rng;			/* treap priorities */
	uint64_t work;			/* steps taken, bounded */
	struct ipol_plan_info info;
};

#endif /* IPOL_PLAN_H */
