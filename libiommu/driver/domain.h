/* SPDX-License-Identifier: MIT */
/*
 * domain.h - struct liommu_domain (domain.c; not installed).
 *
 * Owns the domain object: its unit and domain ID, its second-level table
 * (a struct liommu_pt of pgtable.h, whose ops domain.c supplies) and its
 * counters (domain-stats.h).  Domain IDs and context entries live in the
 * unit (unit.h) under its cfg_lock.
 *
 * Who includes it: domain.c.  The other layers and the tests hold a
 * domain only as the opaque handle of liommu.h.
 */
#ifndef LIOMMU_DRIVER_DOMAIN_H
#define LIOMMU_DRIVER_DOMAIN_H

#include <stdint.h>

#include "domain-stats.h"
#include "pgtable.h"
#include "unit.h"

/* Allocated 64-byte aligned (domain.c) for the counter shards. */
struct liommu_domain {
	struct liommu_unit *unit;
	uint16_t did;
	struct liommu_pt pt;		/* lock-free: see pgtable.c */
	struct liommu__dom_stats st;	/* relaxed atomics, sharded */
};

#endif /* LIOMMU_DRIVER_DOMAIN_H */
