/* SPDX-License-Identifier: MIT */
/*
 * instance.h - one emulated unit for one VM (struct liommu_viommu), as
 * the engine's files share it (not installed).
 *
 * instance.c creates and destroys it and forwards the hypervisor's calls
 * (memory, devices, faults, statistics); mmio.c is the trapped register
 * access; events.c holds interrupts back until the register page shows
 * their cause; sidecore.c is the polling thread that drives the register
 * page; guest-platform.c lets libiommu's driver be the guest.
 *
 * Threading: the fields set at creation are constant.  @rp belongs to
 * the thread serving the instance (its sidecore, which takes it over in
 * liommu_sidecore_add() and gives it back in _remove()); @sc is written
 * by those two calls only.  The event slots (@ev) are lock-free
 * (events.c).  Counters are relaxed atomics, exact once the instance is
 * quiet.
 */
#ifndef VIOMMU_INSTANCE_H
#define VIOMMU_INSTANCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <liommu/viommu.h>

#include "gmem.h"
#include "regpage.h"
#include "shadow.h"

/* An interrupt held back until the page shows its cause (events.c). */
struct viommu_event_slot {
	_Atomic uint64_t addr;
	_Atomic uint32_t data;
	_Atomic bool pending;
};

struct liommu_viommu {
	struct liommu_viommu_config cfg;
	struct liommu_model *m;
	struct viommu_gmem *gmem;
	struct viommu_shadow *sh;

	/* SIDECORE: the page and its bus to the model. */
	struct viommu_regpage rp;
	void *page;
	int regs_fd;		/* the memfd holding @page, or -1 */
	bool page_mapped;	/* @page is our own mapping of @regs_fd */

	_Atomic(struct liommu_sidecore *) sc;	/* serving it, or NULL */

	/* enum liommu_model_event - 1 indexes these. */
	struct viommu_event_slot ev[2];

	_Atomic uint64_t events;
	_Atomic uint64_t faults_injected;
	_Atomic uint64_t reg_writes;	/* TRAP: writes forwarded */
};

/* events.c: the model's event callback (priv = the instance). */
void liommu__viommu_event_raise(void *priv, enum liommu_model_event ev, uint64_t addr,
				uint32_t data);
/* events.c: send what is pending (SIDECORE: after the page shows its
 * cause).  Return: the number sent.  Context: the serving thread. */
unsigned int liommu__viommu_event_flush(struct liommu_viommu *v);

/* mmio.c: one sidecore pass over @v: forward guest writes, publish,
 * then send pending events.  Return: guest writes seen (0 = idle). */
unsigned int liommu__viommu_instance_poll(struct liommu_viommu *v);

#endif /* VIOMMU_INSTANCE_H */
