// SPDX-License-Identifier: MIT
/*
 * state.c - the unit's state as a versioned blob (liommu_model_save_state()
 * / _restore_state()), for live migration of a guest's emulated unit.  It
 * owns the blob's layout; it touches the register file and the latched
 * registers, and empties the caches on a restore.
 *
 * What is in the blob: everything software can observe or that decides
 * what the unit does next: the register file as software reads it, and
 * what the unit latched and cannot be read back (the root table and IRTA
 * latched at SRTP / SIRTP, the queue base and size latched at QIE, the
 * write-only CCMD and IVA fields, TE / IRE / CFI as in force, the next
 * fault-recording register).  What is not: the caches.  A restored unit
 * starts with empty caches, which a guest cannot tell from a unit whose
 * entries were evicted (caching is not architecturally visible, spec
 * 6.1), and statistics, which are the host's.
 *
 * Layout (little-endian): struct state_blob, then the register file.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "model-internal.h"
#include "regfile.h"
#include "regs.h"

#define STATE_MAGIC	0x4c44534du	/* "MSDL" */
#define STATE_VERSION	1u

struct state_blob {
	uint32_t magic;
	uint32_t version;
	uint32_t size;		/* the whole blob */
	uint32_t nfr;
	uint64_t cap;
	uint64_t ecap;
	uint64_t root;
	uint64_t irta;
	uint64_t ccmd_wo;
	uint64_t iva;
	uint64_t iq_base;
	uint32_t iq_entries;
	uint32_t next_frcd;
	uint8_t te, ire, cfis;
	uint8_t reserved[5];	/* 0 */
};
_Static_assert(sizeof(struct state_blob) + MODEL_REGS_SIZE == LIOMMU_MODEL_STATE_SIZE,
	       "LIOMMU_MODEL_STATE_SIZE is the blob's size");

int liommu_model_save_state(struct liommu_model *m, void *buf, size_t len)
{
	struct state_blob b;

	if (!m || !buf || len < LIOMMU_MODEL_STATE_SIZE)
		return -EINVAL;
	memset(&b, 0, sizeof(b));
	b.magic = htole32(STATE_MAGIC);
	b.version = htole32(STATE_VERSION);
	b.size = htole32(LIOMMU_MODEL_STATE_SIZE);
	b.nfr = htole32(m->cfg.nfr);
	b.cap = htole64(m->cap);
	b.ecap = htole64(m->ecap);
	model_reg_lock(m);
	b.root = htole64(atomic_load(&m->root));
	b.irta = htole64(atomic_load(&m->irta));
	b.ccmd_wo = htole64(m->ccmd_wo);
	b.iva = htole64(m->iva);
	b.iq_base = htole64(m->iq_base);
	b.iq_entries = htole32(m->iq_entries);
	b.next_frcd = htole32(m->next_frcd);
	b.te = atomic_load(&m->te);
	b.ire = atomic_load(&m->ire);
	b.cfis = atomic_load(&m->cfis);
	memcpy((uint8_t *)buf + sizeof(b), m->regs, MODEL_REGS_SIZE);
	model_reg_unlock(m);
	memcpy(buf, &b, sizeof(b));
	return 0;
}

/* A latched table address: 4 KiB aligned (RTADDR.RTA, IRTA.IRTA), inside
 * the host address width. */
static bool addr_ok(const struct liommu_model *m, uint64_t a)
{
	return !(a & 0xfff) && !(a & ~m->haw_mask);
}

/*
 * Is @b a state this unit can be in?  The same capability set, the
 * latched values in the ranges the unit could have latched, GSTS showing
 * what is in force, CAP/ECAP/VER in the file as this unit has them.
 */
static bool blob_ok(const struct liommu_model *m, const struct state_blob *b,
		    const struct model_regfile *r)
{
	uint32_t gsts = r->d[VTD_GSTS_REG / 4];
	uint32_t qe = le32toh(b->iq_entries);
	unsigned int i;

	if (le32toh(b->magic) != STATE_MAGIC || le32toh(b->version) != STATE_VERSION ||
	    le32toh(b->size) != LIOMMU_MODEL_STATE_SIZE)
		return false;
	if (le64toh(b->cap) != m->cap || le64toh(b->ecap) != m->ecap ||
	    le32toh(b->nfr) != m->cfg.nfr)
		return false;
	for (i = 0; i < sizeof(b->reserved); i++)
		if (b->reserved[i])
			return false;
	if (b->te > 1 || b->ire > 1 || b->cfis > 1)
		return false;
	if (!!(gsts & VTD_GSTS_TES) != b->te || !!(gsts & VTD_GSTS_IRES) != b->ire ||
	    !!(gsts & VTD_GSTS_CFIS) != b->cfis)
		return false;
	if (!addr_ok(m, le64toh(b->root)) || !addr_ok(m, le64toh(b->irta) & ~0xfffull) ||
	    !addr_ok(m, le64toh(b->iq_base)))
		return false;
	/* 256 << QS descriptors (spec 11.4.9.3), or none before QIE. */
	if (qe && (qe & (qe - 1) || qe < 256 || qe > 256u << 7))
		return false;
	if (le32toh(b->next_frcd) >= m->cfg.nfr)
		return false;
	return r->q[VTD_CAP_REG / 8] == m->cap && r->q[VTD_ECAP_REG / 8] == m->ecap &&
	       r->d[VTD_VER_REG / 4] == LIOMMU_MODEL_VERSION;
}

int liommu_model_restore_state(struct liommu_model *m, const void *buf, size_t len)
{
	struct model_regfile r;	/* a copy: @buf need not be aligned */
	struct state_blob b;

	if (!m || !buf || len != LIOMMU_MODEL_STATE_SIZE)
		return -EINVAL;
	memcpy(&b, buf, sizeof(b));
	memcpy(&r, (const uint8_t *)buf + sizeof(b), sizeof(r));
	if (!blob_ok(m, &b, &r))
		return -EINVAL;
	model_reg_lock(m);
	memcpy(m->regs, &r, MODEL_REGS_SIZE);
	atomic_store(&m->root, le64toh(b.root));
	atomic_store(&m->irta, le64toh(b.irta));
	m->ccmd_wo = le64toh(b.ccmd_wo);
	m->iva = le64toh(b.iva);
	m->iq_base = le64toh(b.iq_base);
	m->iq_entries = le32toh(b.iq_entries);
	m->next_frcd = le32toh(b.next_frcd);
	atomic_store(&m->te, b.te);
	atomic_store(&m->ire, b.ire);
	atomic_store(&m->cfis, b.cfis);
	/* Nothing cached survives a migration. */
	liommu__model_inv_ctx_all_locked(m);
	liommu__model_inv_iotlb_all_locked(m);
	liommu__model_inv_iec_all_locked(m);
	model_regs_changed_locked(m);
	model_reg_unlock(m);
	return 0;
}
