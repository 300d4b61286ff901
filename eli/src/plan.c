// SPDX-License-Identifier: MIT
/*
 * plan.c - the ELI delivery plan: for every interrupt source, whether it
 * reaches the guest directly (ELI, or VT-d posting), bounces through a
 * host core, or is redirected as an NMI, and the IRTE that makes it so.
 *
 * The rules, in the order they apply, with the reason each one exists:
 *
 * Guest sources (the guest's assigned devices)
 *  1. Level-triggered: the guest's EOI reaches only the local APIC,
 *     never the I/OxAPIC's remote IRR, so the host must complete it:
 *     bounce.
 *  2. Vector below 32: the exception range; delivering it through the
 *     guest's IDT would run an exception handler: bounce.
 *  3. Target core not dedicated to the guest: no direct mode there:
 *     bounce.
 *  4. CAP.PI and a descriptor for the vCPU: post (the notification
 *     vector is the host's, so host-critical vectors do not collide).
 *  5. Vector in the host-critical set: exposing it in the shadow IDT
 *     would hand the host's interrupt to the guest: bounce.
 *  6. Vector at or above the #GP threshold: unreachable in the shadow
 *     IDT: bounce.
 *  7. Otherwise ELI: the guest vector to the guest core, exposed in the
 *     shadow IDT.
 * Host sources
 *  1. Aimed at a host core: leave it there.
 *  2. Host-critical and edge-triggered, aimed at a guest core: NMI to
 *     that core; an NMI exits even while the guest runs with IF clear,
 *     which a #NP-based exit cannot guarantee (ELI, section 5).
 *  3. Otherwise move it to the host core (level-triggered critical
 *     sources cannot be NMIs: NMI delivery is edge only).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <liommu/eli.h>
#include <liommu/irte.h>

static int remap_to(const struct liommu_eli_plan_cfg *cfg, unsigned int core,
		    uint8_t vector, unsigned int dlm, bool level, uint16_t sid,
		    struct vtd_irte *out)
{
	struct liommu_irte_remap r;

	memset(&r, 0, sizeof(r));
	r.vector = vector;
	r.dest = cfg->cores[core].apic_id;
	r.x2apic = cfg->x2apic;
	r.dlm = dlm;
	r.level = level;
	r.sid = liommu_irte_sid_requester(sid, VTD_SQ_ALL);
	return liommu_irte_compose_remap(&r, out);
}

static int post_to(const struct liommu_eli_plan_cfg *cfg, unsigned int core,
		   uint8_t vector, uint16_t sid, struct vtd_irte *out)
{
	struct liommu_irte_posted p;

	memset(&p, 0, sizeof(p));
	p.vector = vector;
	p.pda = cfg->cores[core].pi_desc;
	p.sid = liommu_irte_sid_requester(sid, VTD_SQ_ALL);
	return liommu_irte_compose_posted(&p, cfg->cap, out);
}

static bool can_post(const struct liommu_eli_plan_cfg *cfg, unsigned int core)
{
	return (cfg->cap & VTD_CAP_PI) && cfg->cores[core].pi_desc && !cfg->prefer_eli;
}

static int plan_guest(const struct liommu_eli_plan_cfg *cfg,
		      const struct liommu_eli_source *s, struct liommu_eli_decision *d,
		      struct liommu_eli_vecset *exposed)
{
	enum liommu_eli_reason why;

	if (s->level)
		why = LIOMMU_ELI_REASON_LEVEL;
	else if (s->vector < LIOMMU_ELI_FIRST_EXTERNAL)
		why = LIOMMU_ELI_REASON_VECTOR_RESERVED;
	else if (!cfg->cores[s->core].guest)
		why = LIOMMU_ELI_REASON_NOT_GUEST_CORE;
	else if (can_post(cfg, s->core))
		goto posted;
	else if (liommu_eli_vecset_test(&cfg->host_critical, s->vector))
		why = LIOMMU_ELI_REASON_VECTOR_CRITICAL;
	else if (s->vector >= cfg->threshold)
		why = LIOMMU_ELI_REASON_VECTOR_ABOVE_LIMIT;
	else
		goto eli;

	d->route = LIOMMU_ELI_ROUTE_BOUNCE;
	d->reason = why;
	d->core = cfg->host_core;
	return remap_to(cfg, cfg->host_core, cfg->bounce_vector, VTD_DLM_FIXED,
			s->level, s->sid, &d->irte);

posted:
	d->route = LIOMMU_ELI_ROUTE_POSTED;
	d->reason = LIOMMU_ELI_REASON_NONE;
	d->core = s->core;
	return post_to(cfg, s->core, s->vector, s->sid, &d->irte);

eli:
	d->route = LIOMMU_ELI_ROUTE_ELI;
	d->reason = LIOMMU_ELI_REASON_NONE;
	d->core = s->core;
	liommu_eli_vecset_add(exposed, s->vector);
	return remap_to(cfg, s->core, s->vector, VTD_DLM_FIXED, false, s->sid, &d->irte);
}

static int plan_host(const struct liommu_eli_plan_cfg *cfg,
		     const struct liommu_eli_source *s, struct liommu_eli_decision *d)
{
	bool critical = liommu_eli_vecset_test(&cfg->host_critical, s->vector);

	if (!cfg->cores[s->core].guest) {
		d->route = LIOMMU_ELI_ROUTE_HOST;
		d->reason = LIOMMU_ELI_REASON_NONE;
		d->core = s->core;
		return remap_to(cfg, s->core, s->vector, VTD_DLM_FIXED, s->level, s->sid,
				&d->irte);
	}
	if (critical && !s->level) {
		d->route = LIOMMU_ELI_ROUTE_NMI;
		d->reason = LIOMMU_ELI_REASON_NONE;
		d->core = s->core;
		/* The APIC ignores the vector of an NMI; it stays in the IRTE
		 * so the host's NMI handler can tell which source fired. */
		return remap_to(cfg, s->core, s->vector, VTD_DLM_NMI, false, s->sid,
				&d->irte);
	}
	d->route = LIOMMU_ELI_ROUTE_HOST;
	d->reason = critical ? LIOMMU_ELI_REASON_LEVEL_NO_NMI : LIOMMU_ELI_REASON_MOVED;
	d->core = cfg->host_core;
	return remap_to(cfg, cfg->host_core, s->vector, VTD_DLM_FIXED, s->level, s->sid,
			&d->irte);
}

LIOMMU_EXPORT int liommu_eli_plan(const struct liommu_eli_plan_cfg *cfg,
				  const struct liommu_eli_source *src, unsigned int nsrc,
				  struct liommu_eli_decision *out,
				  struct liommu_eli_vecset *exposed)
{
	struct liommu_eli_vecset exp;
	unsigned int i;
	int ret;

	if (!cfg->cores || !cfg->ncores)
		return -EINVAL;
	if (cfg->host_core >= cfg->ncores || cfg->cores[cfg->host_core].guest)
		return -EINVAL;
	if (cfg->bounce_vector < LIOMMU_ELI_FIRST_EXTERNAL)
		return -EINVAL;
	if (cfg->threshold < LIOMMU_ELI_FIRST_EXTERNAL || cfg->threshold > LIOMMU_ELI_VECTORS)
		return -ERANGE;
	for (i = 0; i < nsrc; i++) {
		if (src[i].core >= cfg->ncores)
			return -EINVAL;
		if (src[i].host && src[i].vector < LIOMMU_ELI_FIRST_EXTERNAL)
			return -EINVAL;
	}

	memset(&exp, 0, sizeof(exp));
	for (i = 0; i < nsrc; i++) {
		ret = src[i].host ? plan_host(cfg, &src[i], &out[i]) :
				    plan_guest(cfg, &src[i], &out[i], &exp);
		if (ret)
			return ret;
	}
	if (exposed)
		*exposed = exp;
	return 0;
}
