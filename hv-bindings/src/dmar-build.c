// SPDX-License-Identifier: MIT
/*
 * dmar-build.c - serialise the ACPI DMAR table a guest sees.
 *
 * One job: collect DRHD and RMRR structures with their device scopes,
 * refuse what the VT-d specification (chapter 8) or the readers that
 * matter (Linux's drivers/iommu/intel/dmar.c) would reject or ignore,
 * and write the bytes.  Read top to bottom: the wire layout, the
 * builder's state, primitives (logging, checks), the public entry points,
 * serialisation.  hvbind/dmar.h is the manual.
 *
 * Field offsets follow the spec's tables and were cross-checked against
 * ACPICA's reader structures (acpi_table_dmar, acpi_dmar_hardware_unit,
 * acpi_dmar_reserved_memory, acpi_dmar_device_scope); tests/check-hvb-dmar.c
 * has iasl disassemble the output.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <hvbind/dmar.h>

#include "dmar-internal.h"

/* ---- Wire layout (little-endian) ---------------------------------------- */

/* ACPI common table header (ACPI 6.x, 5.2.6): 36 bytes. */
#define ACPI_HDR_SIGNATURE		0	/* "DMAR" */
#define ACPI_HDR_LENGTH			4	/* u32, the whole table */
#define ACPI_HDR_REVISION		8
#define ACPI_HDR_CHECKSUM		9	/* all bytes sum to 0 mod 256 */
#define ACPI_HDR_OEM_ID			10	/* 6 bytes */
#define ACPI_HDR_OEM_TABLE_ID		16	/* 8 bytes */
#define ACPI_HDR_OEM_REVISION		24	/* u32 */
#define ACPI_HDR_CREATOR_ID		28	/* 4 bytes */
#define ACPI_HDR_CREATOR_REVISION	32	/* u32 */
#define ACPI_HDR_LEN			36

/* DMAR fields after the ACPI header (spec 8.1, table "DMAR"). */
#define DMAR_HAW			36	/* host address width - 1 */
#define DMAR_FLAGS			37
						/* 38..47 reserved */
/* The DMAR revision is 1 in every VT-d revision to date (spec 8.1). */
#define DMAR_REVISION			1

/* Remapping structure header, common to DRHD and RMRR (spec 8.2). */
#define RS_TYPE				0	/* u16 */
#define RS_LENGTH			2	/* u16, including the scopes */
#define RS_TYPE_DRHD			0
#define RS_TYPE_RMRR			1

/* DRHD (spec 8.3). */
#define DRHD_FLAGS			4
#define DRHD_SIZE			5	/* bits 3:0: 2^N 4 KiB pages (VT-d 3.0+) */
#define DRHD_SEGMENT			6	/* u16 */
#define DRHD_REG_BASE			8	/* u64 */

/* RMRR (spec 8.4). */
						/* 4..5 reserved */
#define RMRR_SEGMENT			6	/* u16 */
#define RMRR_BASE			8	/* u64, 4 KiB aligned */
#define RMRR_LIMIT			16	/* u64, last byte; limit + 1 aligned */

/* Device scope (spec 8.3.1). */
#define SCOPE_TYPE			0
#define SCOPE_LENGTH			1	/* u8, 6 + 2 * path elements */
						/* 2..3 reserved */
#define SCOPE_ENUM_ID			4
#define SCOPE_START_BUS			5
#define SCOPE_PATH			6	/* (device, function) byte pairs */

_Static_assert(HVB_DMAR_HEADER_LEN == 48, "DMAR header is 48 bytes (spec 8.1)");
_Static_assert(HVB_DMAR_DRHD_LEN == DRHD_REG_BASE + 8, "DRHD fixed part");
_Static_assert(HVB_DMAR_RMRR_LEN == RMRR_LIMIT + 8, "RMRR fixed part");
_Static_assert(HVB_DMAR_SCOPE_LEN == SCOPE_PATH, "scope fixed part");
_Static_assert(HVB_DMAR_SCOPE_LEN + 2 * HVB_DMAR_PATH_MAX <= UINT8_MAX,
	       "a scope's length fits its one-byte field");

#define PAGE_SIZE			4096u
#define PAGE_MASK			((uint64_t)PAGE_SIZE - 1)

/* ---- The builder's state ------------------------------------------------- */

struct scope {
	uint8_t type;
	uint8_t enum_id;
	uint8_t start_bus;
	uint8_t path_len;
	struct hvb_dmar_path path[HVB_DMAR_PATH_MAX];
};

/* A DRHD or an RMRR with its scopes. */
struct rstruct {
	uint16_t segment;
	uint8_t flags;			/* DRHD */
	uint8_t size_log2;		/* DRHD */
	uint64_t base;			/* DRHD register base, RMRR base */
	uint64_t limit;			/* DRHD: last register byte; RMRR limit */
	struct scope *scopes;
	size_t n_scopes, cap_scopes;
	uint32_t len;			/* serialised length, scopes included */
};

struct rlist {
	struct rstruct *v;
	size_t n, cap;
};

struct hvb_dmar {
	uint8_t haw;			/* N; the table stores N - 1 */
	uint8_t flags;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
	hvb_log_fn log;
	void *log_priv;

	struct rlist drhd;
	struct rlist rmrr;
	uint64_t len;			/* serialised length so far */
	uint64_t len_max;		/* the header's 32-bit length field */
};

/* ---- Primitives ---------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int refuse(const struct hvb_dmar *b, int err, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (b && b->log) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		b->log(b->log_priv, LOG_ERR, msg);
	}
	return err;
}

static uint64_t addr_max(const struct hvb_dmar *b)
{
	return b->haw >= 64 ? UINT64_MAX : ((uint64_t)1 << b->haw) - 1;
}

/* Copy an ACPI header ID, padded with spaces; NULL takes the default. */
static int set_id(char *dst, size_t n, const char *src, const char *dflt)
{
	size_t len, i;

	if (!src)
		src = dflt;
	len = strlen(src);
	if (len > n)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (src[i] < 0x20 || src[i] > 0x7e)
			return -EINVAL;
	memset(dst, ' ', n);
	memcpy(dst, src, len);
	return 0;
}

static int rlist_grow(struct rlist *l)
{
	struct rstruct *v;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? 2 * l->cap : 4;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

static int scopes_grow(struct rstruct *r)
{
	struct scope *v;
	size_t cap;

	if (r->n_scopes < r->cap_scopes)
		return 0;
	cap = r->cap_scopes ? 2 * r->cap_scopes : 2;
	v = realloc(r->scopes, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->scopes = v;
	r->cap_scopes = cap;
	return 0;
}

static bool is_pci_type(uint8_t type)
{
	return type == HVB_DMAR_SCOPE_PCI_ENDPOINT || type == HVB_DMAR_SCOPE_PCI_SUBHIERARCHY;
}

/* The same PCI device: same start bus and path (spec 8.3.1.1). */
static bool same_pci_device(const struct scope *s, const struct hvb_dmar_scope *t)
{
	size_t i;

	if (!is_pci_type(s->type) || s->start_bus != t->start_bus || s->path_len != t->path_len)
		return false;
	for (i = 0; i < s->path_len; i++)
		if (s->path[i].device != t->path[i].device ||
		    s->path[i].function != t->path[i].function)
			return false;
	return true;
}

/* Checks every scope shares, whatever structure it goes on. */
static int check_scope(const struct hvb_dmar *b, const struct rstruct *r,
		       const struct hvb_dmar_scope *s)
{
	size_t i, slen;

	if (s->type < HVB_DMAR_SCOPE_PCI_ENDPOINT || s->type > HVB_DMAR_SCOPE_HPET)
		return refuse(b, -EINVAL, "dmar: scope type %u is not one of 1-4", s->type);
	/* Spec 8.3.1: the enumeration ID is reserved for the PCI types. */
	if (is_pci_type(s->type) && s->enum_id)
		return refuse(b, -EINVAL, "dmar: enumeration ID %u on a PCI scope (reserved)",
			      s->enum_id);
	if (!s->path || !s->path_len)
		return refuse(b, -EINVAL, "dmar: a scope needs a path of at least one element");
	if (s->path_len > HVB_DMAR_PATH_MAX)
		return refuse(b, -ERANGE, "dmar: path of %zu elements (at most %u)", s->path_len,
			      HVB_DMAR_PATH_MAX);
	for (i = 0; i < s->path_len; i++)
		if (s->path[i].device > 31 || s->path[i].function > 7)
			return refuse(b, -ERANGE, "dmar: path element %zu is %u.%u (device 0-31, "
				      "function 0-7)", i, s->path[i].device, s->path[i].function);
	slen = HVB_DMAR_SCOPE_LEN + 2 * s->path_len;
	if (r->len + slen > UINT16_MAX)
		return refuse(b, -ERANGE, "dmar: structure would be %zu bytes (16-bit length)",
			      (size_t)r->len + slen);
	if (b->len + slen > b->len_max)
		return refuse(b, -ERANGE, "dmar: table would exceed %llu bytes",
			      (unsigned long long)b->len_max);
	return 0;
}

static int append_scope(struct hvb_dmar *b, struct rstruct *r, const struct hvb_dmar_scope *s)
{
	size_t slen = HVB_DMAR_SCOPE_LEN + 2 * s->path_len;
	struct scope *d;
	int err;

	err = scopes_grow(r);
	if (err)
		return err;
	d = &r->scopes[r->n_scopes++];
	memset(d, 0, sizeof(*d));
	d->type = s->type;
	d->enum_id = s->enum_id;
	d->start_bus = s->start_bus;
	d->path_len = (uint8_t)s->path_len;
	memcpy(d->path, s->path, s->path_len * sizeof(*s->path));
	r->len += (uint32_t)slen;
	b->len += slen;
	return 0;
}

/* ---- Public entry points ------------------------------------------------- */

HVB_EXPORT int hvb_dmar_new(const struct hvb_dmar_config *cfg, struct hvb_dmar **out)
{
	struct hvb_dmar *b;
	int err;

	if (!cfg || !out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->log = cfg->log;
	b->log_priv = cfg->log_priv;
	if (cfg->flags & ~HVB_DMAR_FLAGS_ALL) {
		err = refuse(b, -EINVAL, "dmar: table flags 0x%x have reserved bits", cfg->flags);
		goto err_free;
	}
	if (cfg->host_addr_width < HVB_DMAR_HAW_MIN || cfg->host_addr_width > HVB_DMAR_HAW_MAX) {
		err = refuse(b, -ERANGE, "dmar: host address width %u (%u-%u)",
			     cfg->host_addr_width, HVB_DMAR_HAW_MIN, HVB_DMAR_HAW_MAX);
		goto err_free;
	}
	if (set_id(b->oem_id, sizeof(b->oem_id), cfg->oem_id, "HVBIND") ||
	    set_id(b->oem_table_id, sizeof(b->oem_table_id), cfg->oem_table_id, "HVBDMAR") ||
	    set_id(b->creator_id, sizeof(b->creator_id), cfg->creator_id, "HVB")) {
		err = refuse(b, -EINVAL, "dmar: an ACPI header ID is too long or not printable");
		goto err_free;
	}
	b->haw = (uint8_t)cfg->host_addr_width;
	b->flags = cfg->flags;
	b->oem_revision = cfg->oem_revision;
	b->creator_revision = cfg->creator_revision;
	b->len = HVB_DMAR_HEADER_LEN;
	b->len_max = UINT32_MAX;
	*out = b;
	return 0;

err_free:
	free(b);
	return err;
}

static void rlist_free(struct rlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].scopes);
	free(l->v);
}

HVB_EXPORT void hvb_dmar_free(struct hvb_dmar *b)
{
	if (!b)
		return;
	rlist_free(&b->drhd);
	rlist_free(&b->rmrr);
	free(b);
}

void hvb__dmar_set_len_max(struct hvb_dmar *b, uint64_t len_max)
{
	b->len_max = len_max;
}

HVB_EXPORT int hvb_dmar_add_drhd(struct hvb_dmar *b, uint8_t flags, uint16_t segment,
				 uint64_t reg_base, unsigned int size_log2, unsigned int *idx)
{
	struct rstruct *r;
	uint64_t last;
	size_t i;
	int err;

	if (!b)
		return -EINVAL;
	if (flags & ~HVB_DMAR_DRHD_INCLUDE_PCI_ALL)
		return refuse(b, -EINVAL, "dmar: DRHD flags 0x%x have reserved bits", flags);
	if (reg_base & PAGE_MASK)
		return refuse(b, -EINVAL, "dmar: DRHD register base 0x%llx is not 4 KiB aligned",
			      (unsigned long long)reg_base);
	if (size_log2 > HVB_DMAR_DRHD_SIZE_LOG2_MAX)
		return refuse(b, -ERANGE, "dmar: DRHD size 2^%u pages (the field has 4 bits)",
			      size_log2);
	last = ((uint64_t)PAGE_SIZE << size_log2) - 1;
	if (reg_base > addr_max(b) - last)
		return refuse(b, -ERANGE, "dmar: DRHD registers at 0x%llx are not below 2^%u",
			      (unsigned long long)reg_base, b->haw);
	last += reg_base;
	for (i = 0; i < b->drhd.n; i++) {
		const struct rstruct *o = &b->drhd.v[i];

		if (reg_base <= o->limit && o->base <= last)
			return refuse(b, -EINVAL, "dmar: DRHD registers at 0x%llx overlap DRHD %zu's",
				      (unsigned long long)reg_base, i);
		/*
		 * Spec 8.3: an INCLUDE_PCI_ALL unit is reported after every
		 * other unit of its segment, which also makes it the only one.
		 */
		if (o->segment == segment && (o->flags & HVB_DMAR_DRHD_INCLUDE_PCI_ALL))
			return refuse(b, -EINVAL, "dmar: segment %u already ended with INCLUDE_PCI_ALL "
				      "DRHD %zu", segment, i);
	}
	if (b->len + HVB_DMAR_DRHD_LEN > b->len_max)
		return refuse(b, -ERANGE, "dmar: table would exceed %llu bytes",
			      (unsigned long long)b->len_max);
	err = rlist_grow(&b->drhd);
	if (err)
		return err;
	r = &b->drhd.v[b->drhd.n];
	memset(r, 0, sizeof(*r));
	r->segment = segment;
	r->flags = flags;
	r->size_log2 = (uint8_t)size_log2;
	r->base = reg_base;
	r->limit = last;
	r->len = HVB_DMAR_DRHD_LEN;
	b->len += HVB_DMAR_DRHD_LEN;
	if (idx)
		*idx = (unsigned int)b->drhd.n;
	b->drhd.n++;
	return 0;
}

HVB_EXPORT int hvb_dmar_drhd_add_scope(struct hvb_dmar *b, unsigned int drhd,
				       const struct hvb_dmar_scope *scope)
{
	struct rstruct *r;
	size_t i, j;
	int err;

	if (!b || !scope)
		return -EINVAL;
	if (drhd >= b->drhd.n)
		return refuse(b, -EINVAL, "dmar: no DRHD %u", drhd);
	r = &b->drhd.v[drhd];
	err = check_scope(b, r, scope);
	if (err)
		return err;
	/* Spec 8.3: an INCLUDE_PCI_ALL unit's scope lists IOAPICs and HPETs only. */
	if ((r->flags & HVB_DMAR_DRHD_INCLUDE_PCI_ALL) && is_pci_type(scope->type))
		return refuse(b, -EINVAL, "dmar: PCI scope on INCLUDE_PCI_ALL DRHD %u", drhd);
	for (i = 0; i < b->drhd.n; i++) {
		const struct rstruct *o = &b->drhd.v[i];

		for (j = 0; j < o->n_scopes; j++) {
			const struct scope *s = &o->scopes[j];

			if (is_pci_type(scope->type) && o->segment == r->segment &&
			    same_pci_device(s, scope))
				return refuse(b, -EEXIST, "dmar: device %02x:%02x.%u is already in "
					      "DRHD %zu's scope", scope->start_bus,
					      scope->path[0].device, scope->path[0].function, i);
			if (!is_pci_type(scope->type) && s->type == scope->type &&
			    s->enum_id == scope->enum_id)
				return refuse(b, -EEXIST, "dmar: %s %u is already in DRHD %zu's scope",
					      scope->type == HVB_DMAR_SCOPE_IOAPIC ? "IOAPIC" : "HPET",
					      scope->enum_id, i);
		}
	}
	return append_scope(b, r, scope);
}

HVB_EXPORT int hvb_dmar_add_rmrr(struct hvb_dmar *b, uint16_t segment, uint64_t base,
				 uint64_t limit, unsigned int *idx)
{
	struct rstruct *r;
	int err;

	if (!b)
		return -EINVAL;
	/* Spec 8.4: base 4 KiB aligned, limit the last byte of a 4 KiB page. */
	if ((base & PAGE_MASK) || ((limit + 1) & PAGE_MASK))
		return refuse(b, -EINVAL, "dmar: RMRR 0x%llx-0x%llx is not 4 KiB aligned "
			      "(limit is the last byte)", (unsigned long long)base,
			      (unsigned long long)limit);
	if (limit <= base)
		return refuse(b, -EINVAL, "dmar: RMRR limit 0x%llx is not above its base 0x%llx",
			      (unsigned long long)limit, (unsigned long long)base);
	if (limit > addr_max(b))
		return refuse(b, -ERANGE, "dmar: RMRR limit 0x%llx is not below 2^%u",
			      (unsigned long long)limit, b->haw);
	if (b->len + HVB_DMAR_RMRR_LEN > b->len_max)
		return refuse(b, -ERANGE, "dmar: table would exceed %llu bytes",
			      (unsigned long long)b->len_max);
	err = rlist_grow(&b->rmrr);
	if (err)
		return err;
	r = &b->rmrr.v[b->rmrr.n];
	memset(r, 0, sizeof(*r));
	r->segment = segment;
	r->base = base;
	r->limit = limit;
	r->len = HVB_DMAR_RMRR_LEN;
	b->len += HVB_DMAR_RMRR_LEN;
	if (idx)
		*idx = (unsigned int)b->rmrr.n;
	b->rmrr.n++;
	return 0;
}

HVB_EXPORT int hvb_dmar_rmrr_add_scope(struct hvb_dmar *b, unsigned int rmrr,
				       const struct hvb_dmar_scope *scope)
{
	struct rstruct *r;
	size_t j;
	int err;

	if (!b || !scope)
		return -EINVAL;
	if (rmrr >= b->rmrr.n)
		return refuse(b, -EINVAL, "dmar: no RMRR %u", rmrr);
	r = &b->rmrr.v[rmrr];
	if (!is_pci_type(scope->type))
		return refuse(b, -EINVAL, "dmar: RMRR scope type %u (PCI endpoint or "
			      "sub-hierarchy only)", scope->type);
	err = check_scope(b, r, scope);
	if (err)
		return err;
	for (j = 0; j < r->n_scopes; j++)
		if (same_pci_device(&r->scopes[j], scope))
			return refuse(b, -EEXIST, "dmar: device is already in RMRR %u's scope", rmrr);
	return append_scope(b, r, scope);
}

/* ---- Serialisation ------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static size_t put_scopes(uint8_t *p, const struct rstruct *r)
{
	size_t off = 0, i, k;

	for (i = 0; i < r->n_scopes; i++) {
		const struct scope *s = &r->scopes[i];
		uint8_t *e = p + off;

		e[SCOPE_TYPE] = s->type;
		e[SCOPE_LENGTH] = (uint8_t)(HVB_DMAR_SCOPE_LEN + 2 * s->path_len);
		e[SCOPE_ENUM_ID] = s->enum_id;
		e[SCOPE_START_BUS] = s->start_bus;
		for (k = 0; k < s->path_len; k++) {
			e[SCOPE_PATH + 2 * k] = s->path[k].device;
			e[SCOPE_PATH + 2 * k + 1] = s->path[k].function;
		}
		off += e[SCOPE_LENGTH];
	}
	return off;
}

/* The rules that hold for a whole table only, checked before writing. */
static int check_table(const struct hvb_dmar *b)
{
	size_t i, j;

	if (!b->drhd.n)
		return refuse(b, -EINVAL, "dmar: a table needs at least one DRHD");
	for (i = 0; i < b->drhd.n; i++)
		if (!(b->drhd.v[i].flags & HVB_DMAR_DRHD_INCLUDE_PCI_ALL) &&
		    !b->drhd.v[i].n_scopes)
			return refuse(b, -EINVAL, "dmar: DRHD %zu has no scope and no "
				      "INCLUDE_PCI_ALL (its unit would be ignored)", i);
	for (i = 0; i < b->rmrr.n; i++) {
		const struct rstruct *r = &b->rmrr.v[i];

		if (!r->n_scopes)
			return refuse(b, -EINVAL, "dmar: RMRR %zu has no device scope", i);
		for (j = 0; j < b->drhd.n; j++)
			if (b->drhd.v[j].segment == r->segment)
				break;
		if (j == b->drhd.n)
			return refuse(b, -EINVAL, "dmar: RMRR %zu is on segment %u, which no DRHD "
				      "serves", i, r->segment);
	}
	return 0;
}

HVB_EXPORT int hvb_dmar_build(const struct hvb_dmar *b, void *buf, size_t len, size_t *needed)
{
	uint8_t *p = buf, sum = 0;
	size_t off, i;
	int err;

	if (!b || (!buf && len))
		return -EINVAL;
	err = check_table(b);
	if (err)
		return err;
	if (needed)
		*needed = (size_t)b->len;
	if (len < b->len)
		return -ENOSPC;

	memset(p, 0, (size_t)b->len);
	memcpy(p + ACPI_HDR_SIGNATURE, "DMAR", 4);
	put32(p + ACPI_HDR_LENGTH, (uint32_t)b->len);
	p[ACPI_HDR_REVISION] = DMAR_REVISION;
	memcpy(p + ACPI_HDR_OEM_ID, b->oem_id, sizeof(b->oem_id));
	memcpy(p + ACPI_HDR_OEM_TABLE_ID, b->oem_table_id, sizeof(b->oem_table_id));
	put32(p + ACPI_HDR_OEM_REVISION, b->oem_revision);
	memcpy(p + ACPI_HDR_CREATOR_ID, b->creator_id, sizeof(b->creator_id));
	put32(p + ACPI_HDR_CREATOR_REVISION, b->creator_revision);
	p[DMAR_HAW] = (uint8_t)(b->haw - 1);
	p[DMAR_FLAGS] = b->flags;

	/* Spec 8.2: structures in type order, DRHDs first. */
	off = HVB_DMAR_HEADER_LEN;
	for (i = 0; i < b->drhd.n; i++) {
		const struct rstruct *r = &b->drhd.v[i];
		uint8_t *s = p + off;

		put16(s + RS_TYPE, RS_TYPE_DRHD);
		put16(s + RS_LENGTH, (uint16_t)r->len);
		s[DRHD_FLAGS] = r->flags;
		s[DRHD_SIZE] = r->size_log2;
		put16(s + DRHD_SEGMENT, r->segment);
		put64(s + DRHD_REG_BASE, r->base);
		off += HVB_DMAR_DRHD_LEN + put_scopes(s + HVB_DMAR_DRHD_LEN, r);
	}
	for (i = 0; i < b->rmrr.n; i++) {
		const struct rstruct *r = &b->rmrr.v[i];
		uint8_t *s = p + off;

		put16(s + RS_TYPE, RS_TYPE_RMRR);
		put16(s + RS_LENGTH, (uint16_t)r->len);
		put16(s + RMRR_SEGMENT, r->segment);
		put64(s + RMRR_BASE, r->base);
		put64(s + RMRR_LIMIT, r->limit);
		off += HVB_DMAR_RMRR_LEN + put_scopes(s + HVB_DMAR_RMRR_LEN, r);
	}

	for (i = 0; i < off; i++)
		sum = (uint8_t)(sum + p[i]);
	p[ACPI_HDR_CHECKSUM] = (uint8_t)-sum;
	return 0;
}
