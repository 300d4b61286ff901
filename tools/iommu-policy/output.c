// SPDX-License-Identifier: MIT
/*
 * output.c - print a report as an aligned table (libsmartcols), JSON
 * (jansson) or CSV.  The JSON and CSV field names and units are the
 * documented schema (docs/iommu-policy.md, "Output"); change them only
 * together with the schema version.
 *
 * Unknown values (the IOTLB hit rate on QEMU, an exposure that was not
 * measured) are null in JSON, empty in CSV and "-" in the table.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libsmartcols.h>

#include "policy.h"

#define SCHEMA "iommu-policy/1"
#define CELL 72	/* bytes of one table cell */

static const char *report_name(enum ipol_report_kind k)
{
	switch (k) {
	case IPOL_REPORT_SWEEP:
		return "sweep";
	case IPOL_REPORT_REPLAY:
		return "replay";
	default:
		return "compare";
	}
}

static const char *strategy(const struct ipol_result *r)
{
	const char *s = liommu_dma_strategy_name(r->strategy);

	return s ? s : "?";
}

static const char *verdict_word(enum ipol_verdict v)
{
	switch (v) {
	case IPOL_BOUND_OK:
		return "yes";
	case IPOL_BOUND_LATE:
		return "late";
	case IPOL_BOUND_BROKEN:
		return "no";
	default:
		return "n/a";
	}
}

/* ------------------------------------------------------------------ */
/* Human units                                                         */
/* ------------------------------------------------------------------ */

static void h_count(char *b, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(b, n, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(b, n, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(b, n, "%.1fk", v / 1e3);
	else
		snprintf(b, n, "%.0f", v);
}

static void h_ns(char *b, size_t n, double ns)
{
	if (ns >= 1e9)
		snprintf(b, n, "%.2fs", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(b, n, "%.2fms", ns / 1e6);
	else if (ns >= 1e4)
		snprintf(b, n, "%.1fus", ns / 1e3);
	else
		snprintf(b, n, "%.0fns", ns);
}

static void h_bytes(char *b, size_t n, uint64_t v)
{
	if (v >= (1ull << 30))
		snprintf(b, n, "%.1fG", v / (double)(1ull << 30));
	else if (v >= (1ull << 20))
		snprintf(b, n, "%.1fM", v / (double)(1ull << 20));
	else if (v >= (1ull << 10))
		snprintf(b, n, "%.0fK", v / (double)(1ull << 10));
	else
		snprintf(b, n, "%" PRIu64, v);
}

static void h_bound(char *b, size_t n, const struct liommu_dma_bound *bd)
{
	char t[32];

	if (bd->unbounded) {
		snprintf(b, n, "unbounded");
		return;
	}
	if (!bd->count && !bd->time_ns) {
		snprintf(b, n, "none");
		return;
	}
	h_ns(t, sizeof(t), (double)bd->time_ns);
	if (bd->queues > 1)
		snprintf(b, n, "%" PRIu64 "x%u/%s", bd->count, bd->queues, t);
	else
		snprintf(b, n, "%" PRIu64 "/%s", bd->count, t);
}

/* ------------------------------------------------------------------ */
/* Table                                                               */
/* ------------------------------------------------------------------ */

struct tcol {
	const char *name;
	int flags;
};

static const struct tcol nic_cols[] = {
	{ "WORKLOAD", 0 }, { "STRATEGY", 0 }, { "PKT/S", SCOLS_FL_RIGHT },
	{ "CPU/PKT", SCOLS_FL_RIGHT }, { "MAP", SCOLS_FL_RIGHT },
	{ "UNMAP", SCOLS_FL_RIGHT }, { "INV/PKT", SCOLS_FL_RIGHT },
	{ "IOTLB-HIT", SCOLS_FL_RIGHT }, { "PINNED", SCOLS_FL_RIGHT },
	{ "MAPPED", SCOLS_FL_RIGHT }, { "PT-MEM", SCOLS_FL_RIGHT },
	{ "STALE-DMA", SCOLS_FL_RIGHT }, { "EXP-MAX", SCOLS_FL_RIGHT },
	{ "EXP-P99", SCOLS_FL_RIGHT }, { "OPEN", SCOLS_FL_RIGHT },
	{ "BOUND", SCOLS_FL_RIGHT }, { "IN-BOUND", SCOLS_FL_RIGHT },
};

static const struct tcol replay_cols[] = {
	{ "TRACE", 0 }, { "STRATEGY", 0 }, { "EVENTS/S", SCOLS_FL_RIGHT },
	{ "MAPS", SCOLS_FL_RIGHT }, { "UNMAPS", SCOLS_FL_RIGHT },
	{ "REUSE", SCOLS_FL_RIGHT }, { "FLUSHES", SCOLS_FL_RIGHT },
	{ "INV-DESC", SCOLS_FL_RIGHT }, { "INV/UNMAP", SCOLS_FL_RIGHT },
	{ "PTE-WR", SCOLS_FL_RIGHT }, { "MAP", SCOLS_FL_RIGHT },
	{ "UNMAP", SCOLS_FL_RIGHT }, { "PINNED", SCOLS_FL_RIGHT },
	{ "MAPPED", SCOLS_FL_RIGHT }, { "PT-MEM", SCOLS_FL_RIGHT },
	{ "BOUND", SCOLS_FL_RIGHT },
};

static void nic_cells(const struct ipol_report *rep, const struct ipol_result *r,
		      char cell[][CELL])
{
	int i = 0;

	if (rep->kind == IPOL_REPORT_SWEEP)
		snprintf(cell[i++], CELL, "%s=%" PRIu64, r->param, r->param_value);
	else
		snprintf(cell[i++], CELL, "%s", r->workload);
	snprintf(cell[i++], CELL, "%s", strategy(r));
	h_count(cell[i++], CELL, r->pps);
	h_ns(cell[i++], CELL, r->cpu_ns_per_pkt);
	h_ns(cell[i++], CELL, r->map_ns);
	h_ns(cell[i++], CELL, r->unmap_ns);
	snprintf(cell[i++], CELL, "%.3f", r->inval_per_pkt);
	if (isnan(r->iotlb_hit_rate))
		snprintf(cell[i++], CELL, "-");
	else
		snprintf(cell[i++], CELL, "%.1f%%", 100 * r->iotlb_hit_rate);
	h_bytes(cell[i++], CELL, r->peak_pinned_bytes);
	h_bytes(cell[i++], CELL, r->peak_mapped_bytes);
	h_bytes(cell[i++], CELL, r->pt_bytes);
	if (r->probed) {
		h_count(cell[i++], CELL, (double)r->exp.stale_dmas);
		h_ns(cell[i++], CELL, (double)r->exp.max_ns);
		h_ns(cell[i++], CELL, (double)r->exp.p99_ns);
		snprintf(cell[i++], CELL, "%" PRIu64, r->exp.open);
	} else {
		for (int k = 0; k < 4; k++)
			snprintf(cell[i++], CELL, "-");
	}
	h_bound(cell[i++], CELL, &r->st.bound);
	snprintf(cell[i++], CELL, "%s", verdict_word(r->verdict));
}

static void replay_cells(const struct ipol_result *r, char cell[][CELL])
{
	int i = 0;

	snprintf(cell[i++], CELL, "%s", r->workload);
	snprintf(cell[i++], CELL, "%s", strategy(r));
	h_count(cell[i++], CELL, r->pps);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.maps);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.unmaps);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.reuse_hits);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.flushes);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.inv_descs);
	snprintf(cell[i++], CELL, "%.3f", r->inval_per_pkt);
	snprintf(cell[i++], CELL, "%" PRIu64, r->st.pte_writes);
	h_ns(cell[i++], CELL, r->map_ns);
	h_ns(cell[i++], CELL, r->unmap_ns);
	h_bytes(cell[i++], CELL, r->peak_pinned_bytes);
	h_bytes(cell[i++], CELL, r->peak_mapped_bytes);
	h_bytes(cell[i++], CELL, r->pt_bytes);
	h_bound(cell[i++], CELL, &r->st.bound);
}

/*
 * Where the replay's address spaces came from, what is in each at the
 * end, and, when the trace did not name every event's domain, which
 * figures rest on the guess.
 */
static void print_domains(const struct ipol_plan_info *p, FILE *out)
{
	unsigned int k;

	if (p->kprobe_calls)
		fprintf(out, "Domains from %" PRIu64 " intel_iommu_{map,unmap}_pages kprobe "
			"calls (%" PRIu64 " without an iommu:map/unmap event, %" PRIu64
			" events whose calls disagreed).\n", p->kprobe_calls,
			p->kprobe_orphans, p->dom_conflicts);
	for (k = 0; k < p->domains && p->spaces; k++) {
		const struct ipol_plan_space_info *si = &p->spaces[k];

		if (!strcmp(si->source, "kprobe"))
			fprintf(out, "  address space %u: domain 0x%" PRIx64, k, si->domain);
		else if (!strcmp(si->source, "csv"))
			fprintf(out, "  address space %u: CSV domain %" PRIu64, k, si->domain);
		else
			fprintf(out, "  address space %u: inferred", k);
		fprintf(out, ", %" PRIu64 " maps, %" PRIu64 " unmaps, %" PRIu64 " pieces "
			"(%" PRIu64 " bytes) live at the end\n", si->maps, si->unmaps,
			si->live_pieces, si->live_bytes);
	}
	if (p->guessed)
		fprintf(out, "AMBIGUOUS: the trace does not name the domain of %" PRIu64
			" of its %" PRIu64 " events (%" PRIu64 " of them had more than one "
			"candidate address space); they were placed by inference, so these "
			"figures are a guess, not the trace's: " IPOL_PLAN_GUESS_DEPENDENT
			".  Add the kprobes of iommu-policy-replay(1) to the capture.\n",
			p->guessed, p->maps + p->unmaps, p->contested);
}

static void print_latency_note(const struct ipol_report *rep, FILE *out)
{
	if (rep->knobs.inval_latency_ns)
		fprintf(out, "Invalidation latency: %" PRIu64 " ns modelled per invalidation "
			"wait%s%s%s.\n", rep->knobs.inval_latency_ns,
			rep->inval_default ? " (default; source: " : "",
			rep->inval_default ? IPOL_INVAL_LATENCY_SOURCE : "",
			rep->inval_default ? ")" : " (--inval-latency)");
	else if (rep->platform == IPOL_PLATFORM_QEMU)
		fprintf(out, "Invalidation latency: QEMU's emulated invalidation, no "
			"modelled wait added.\n");
	else
		fprintf(out, "Invalidation latency: none modelled (--inval-latency 0).\n");
}

static int print_table(const struct ipol_report *rep, FILE *out)
{
	const bool replay = rep->kind == IPOL_REPORT_REPLAY;
	const struct tcol *cols = replay ? replay_cols : nic_cols;
	size_t ncols = replay ? sizeof(replay_cols) / sizeof(replay_cols[0])
			      : sizeof(nic_cols) / sizeof(nic_cols[0]);
	struct libscols_table *tb = scols_new_table();
	char cell[20][CELL];
	size_t i, c;
	int ret = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	scols_table_set_stream(tb, out);
	for (c = 0; c < ncols; c++) {
		const char *name = cols[c].name;

		if (c == 0 && rep->kind == IPOL_REPORT_SWEEP)
			name = "PARAM";
		if (!scols_table_new_column(tb, name, 0, cols[c].flags))
			goto out;
	}
	for (i = 0; i < rep->n; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			goto out;
		if (replay)
			replay_cells(&rep->rows[i], cell);
		else
			nic_cells(rep, &rep->rows[i], cell);
		for (c = 0; c < ncols; c++)
			if (scols_line_set_data(ln, c, cell[c]))
				goto out;
	}
	ret = scols_print_table(tb);
	if (ret)
		goto out;

	if (replay) {
		const struct ipol_plan_info *p = &rep->plan;

		fprintf(out, "Trace %s (%s): %" PRIu64 " maps, %" PRIu64 " unmaps, "
			"%u address spaces, %" PRIu64 " pieces after splitting partial "
			"unmaps, %" PRIu64 " unmaps matched nothing (%" PRIu64 " bytes), %"
			PRIu64 " pieces still mapped at the end.\n",
			rep->trace_path, rep->trace_format, p->maps, p->unmaps, p->domains,
			p->segments, p->unmatched_unmaps, p->unmatched_bytes, p->live_at_end);
		print_domains(p, out);
	} else {
		uint64_t late = 0;

		for (i = 0; i < rep->n; i++) {
			if (rep->rows[i].late_known && rep->rows[i].late_ns > late)
				late = rep->rows[i].late_ns;
			if (rep->rows[i].st.reclaim_late_ns > late)
				late = rep->rows[i].st.reclaim_late_ns;
		}
		h_ns(cell[0], CELL, (double)late);
		fprintf(out, "Platform %s; %" PRIu64 " packets, ring %u, RX buffer %u B, "
			"%u thread%s.\nPKT/S: packets per second of driver CPU time (device "
			"simulation and probe excluded).  EXP-*: measured time a stale DMA "
			"still succeeded after unmap().\nIN-BOUND 'late': over the time "
			"bound by less than the scheduling lateness measured in the same "
			"run (a sleeping thread's or the reclaimer's own; at most %s), "
			"which the bound allows.\n",
			ipol_platform_name(rep->platform), rep->nic.packets,
			rep->nic.ring, rep->nic.buffer, rep->nic.threads,
			rep->nic.threads == 1 ? "" : "s", cell[0]);
	}
	print_latency_note(rep, out);
	ret = 0;
out:
	scols_unref_table(tb);
	return ret;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *ju(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *json_counters(const struct liommu_dma_stats *st)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			 "maps", ju(st->maps), "unmaps", ju(st->unmaps),
			 "reuse_hits", ju(st->reuse_hits), "retired", ju(st->retired),
			 "flushes", ju(st->flushes), "pte_writes", ju(st->pte_writes),
			 "inv_descs", ju(st->inv_descs), "inv_waits", ju(st->inv_waits),
			 "table_pages", ju(st->table_pages));
}

static json_t *json_bound(const struct liommu_dma_bound *b)
{
	return json_pack("{s:b,s:o,s:i,s:o}", "unbounded", b->unbounded,
			 "count", ju(b->count), "queues", (int)b->queues,
			 "time_ns", ju(b->time_ns));
}

/* A late verdict is within the bound as liommu/dma.h states it: the time
 * bound holds up to the reclaimer's scheduling latency. */
static bool verdict_within(enum ipol_verdict v)
{
	return v == IPOL_BOUND_OK || v == IPOL_BOUND_LATE;
}

static json_t *json_verdict(enum ipol_verdict v)
{
	if (v == IPOL_BOUND_NA)
		return json_null();
	return json_boolean(verdict_within(v));
}

static json_t *json_nic_row(const struct ipol_report *rep, const struct ipol_result *r)
{
	json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			      "workload", r->workload, "strategy", strategy(r),
			      "packets", ju(r->packets), "wall_s", jreal(r->wall_s),
			      "busy_s", jreal(r->busy_s), "packets_per_s", jreal(r->pps),
			      "cpu_ns_per_packet", jreal(r->cpu_ns_per_pkt),
			      "map_ns", jreal(r->map_ns), "unmap_ns", jreal(r->unmap_ns),
			      "invalidations_per_packet", jreal(r->inval_per_pkt),
			      "iotlb_hit_rate", jreal(r->iotlb_hit_rate),
			      "peak_pinned_bytes", ju(r->peak_pinned_bytes),
			      "peak_mapped_bytes", ju(r->peak_mapped_bytes),
			      "page_table_bytes", ju(r->pt_bytes));

	if (!o)
		return NULL;
	if (rep->kind == IPOL_REPORT_SWEEP) {
		json_object_set_new(o, "param", json_string(r->param));
		json_object_set_new(o, "param_value", ju(r->param_value));
	}
	json_object_set_new(o, "counters", json_counters(&r->st));
	if (r->probed)
		json_object_set_new(o, "exposure",
			json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
				  "watched", ju(r->exp.watched), "exposed", ju(r->exp.exposed),
				  "stale_dmas", ju(r->exp.stale_dmas), "open", ju(r->exp.open),
				  "max_ns", ju(r->exp.max_ns), "p99_ns", ju(r->exp.p99_ns),
				  "max_stale", ju(r->exp.max_stale)));
	else
		json_object_set_new(o, "exposure", json_null());
	json_object_set_new(o, "bound", json_bound(&r->st.bound));
	json_object_set_new(o, "within_bound", json_verdict(r->verdict));
	json_object_set_new(o, "verdict", r->verdict == IPOL_BOUND_NA ? json_null() :
			    json_string(verdict_word(r->verdict)));
	json_object_set_new(o, "wakeup_lateness_ns",
			    r->late_known ? ju(r->late_ns) : json_null());
	json_object_set_new(o, "reclaimer_lateness_ns", ju(r->st.reclaim_late_ns));
	return o;
}

static json_t *json_replay_row(const struct ipol_result *r)
{
	json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			      "trace", r->workload, "strategy", strategy(r),
			      "events", ju(r->packets), "wall_s", jreal(r->wall_s),
			      "events_per_s", jreal(r->pps), "dma_calls", ju(r->dma_calls),
			      "map_ns", jreal(r->map_ns), "unmap_ns", jreal(r->unmap_ns),
			      "invalidations_per_unmap", jreal(r->inval_per_pkt),
			      "peak_pinned_bytes", ju(r->peak_pinned_bytes),
			      "peak_mapped_bytes", ju(r->peak_mapped_bytes),
			      "page_table_bytes", ju(r->pt_bytes));

	if (!o)
		return NULL;
	json_object_set_new(o, "counters", json_counters(&r->st));
	json_object_set_new(o, "bound", json_bound(&r->st.bound));
	return o;
}

/* The replay's domain fields of "trace" (docs/iommu-policy.md). */
static int json_domains(const struct ipol_plan_info *p, json_t *tr)
{
	json_t *dep = json_array(), *sp = json_array();
	const char *c = IPOL_PLAN_GUESS_DEPENDENT, *e;
	unsigned int k;

	if (!dep || !sp)
		goto err;
	while (p->guessed && *c) {
		e = strchr(c, ',');
		if (!e)
			e = c + strlen(c);
		if (json_array_append_new(dep, json_stringn(c, (size_t)(e - c))))
			goto err;
		c = *e ? e + 1 : e;
	}
	for (k = 0; k < p->domains && p->spaces; k++) {
		const struct ipol_plan_space_info *si = &p->spaces[k];
		char ptr[24];
		json_t *d, *o;

		if (!strcmp(si->source, "kprobe")) {
			snprintf(ptr, sizeof(ptr), "0x%" PRIx64, si->domain);
			d = json_string(ptr);
		} else if (!strcmp(si->source, "csv")) {
			d = ju(si->domain);
		} else {
			d = json_null();
		}
		o = json_pack("{s:i,s:s,s:o,s:o,s:o,s:o,s:o}", "index", (int)k,
			      "source", si->source, "domain", d, "maps", ju(si->maps),
			      "unmaps", ju(si->unmaps), "live_pieces", ju(si->live_pieces),
			      "live_bytes", ju(si->live_bytes));
		if (!o || json_array_append_new(sp, o))
			goto err;
	}
	/* json_object_set_new() takes the value even when it fails: no leak. */
	if (json_object_set_new(tr, "domain_source", json_string(p->domain_source ?
						p->domain_source : "inferred")) |
	    json_object_set_new(tr, "ambiguous_events", ju(p->guessed)) |
	    json_object_set_new(tr, "contested_events", ju(p->contested)) |
	    json_object_set_new(tr, "guess_dependent", dep) |
	    json_object_set_new(tr, "kprobe_calls", ju(p->kprobe_calls)) |
	    json_object_set_new(tr, "kprobe_orphans", ju(p->kprobe_orphans)) |
	    json_object_set_new(tr, "domain_conflicts", ju(p->dom_conflicts)) |
	    json_object_set_new(tr, "address_spaces", sp))
		return -ENOMEM;
	return 0;
err:
	json_decref(dep);
	json_decref(sp);
	return -ENOMEM;
}

static json_t *json_config(const struct ipol_report *rep)
{
	const struct ipol_knobs *k = &rep->knobs;
	json_t *o = json_pack("{s:i,s:o,s:i,s:o,s:o,s:i}",
			      "quota", (int)k->quota, "age_ns", ju(k->age_ns),
			      "batch", (int)k->batch, "interval_ns", ju(k->interval_ns),
			      "inval_latency_ns", ju(k->inval_latency_ns),
			      "queues", (int)k->queues);

	if (o && rep->kind != IPOL_REPORT_REPLAY) {
		const struct ipol_nic_config *n = &rep->nic;

		json_object_set_new(o, "packets", ju(n->packets));
		json_object_set_new(o, "ring", json_integer(n->ring));
		json_object_set_new(o, "buffer", json_integer(n->buffer));
		json_object_set_new(o, "threads", json_integer(n->threads));
		json_object_set_new(o, "budget", json_integer(n->budget));
		json_object_set_new(o, "probe_budget", json_integer(n->probe_budget));
		json_object_set_new(o, "probe_watch", json_integer(n->probe_watch));
		json_object_set_new(o, "seed", ju(n->seed));
	}
	return o;
}

static int print_json(const struct ipol_report *rep, FILE *out)
{
	json_t *root, *rows;
	size_t i;
	int ret = -ENOMEM;

	root = json_pack("{s:s,s:s,s:s}", "schema", SCHEMA, "command",
			 report_name(rep->kind), "platform", ipol_platform_name(rep->platform));
	rows = json_array();
	if (!root || !rows)
		goto out;
	json_object_set_new(root, "config", json_config(rep));
	json_object_set_new(root, "inval_latency",
		json_pack("{s:o,s:b,s:b,s:s?}", "ns", ju(rep->knobs.inval_latency_ns),
			  "modelled", rep->knobs.inval_latency_ns != 0,
			  "default", rep->inval_default,
			  "source", rep->inval_default ? IPOL_INVAL_LATENCY_SOURCE : NULL));
	if (rep->kind == IPOL_REPORT_SWEEP)
		json_object_set_new(root, "sweep", json_pack("{s:s}", "param", rep->sweep_param));
	if (rep->kind == IPOL_REPORT_REPLAY) {
		const struct ipol_plan_info *p = &rep->plan;

		json_t *tr = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:i}",
				       "path", rep->trace_path, "format", rep->trace_format,
				       "maps", ju(p->maps), "unmaps", ju(p->unmaps),
				       "segments", ju(p->segments),
				       "unmatched_unmaps", ju(p->unmatched_unmaps),
				       "unmatched_bytes", ju(p->unmatched_bytes),
				       "live_at_end", ju(p->live_at_end),
				       "domains", (int)p->domains);

		if (!tr || json_domains(p, tr)) {
			json_decref(tr);
			goto out;
		}
		json_object_set_new(root, "trace", tr);
	}
	for (i = 0; i < rep->n; i++) {
		json_t *row = rep->kind == IPOL_REPORT_REPLAY ?
			json_replay_row(&rep->rows[i]) : json_nic_row(rep, &rep->rows[i]);

		if (!row || json_array_append_new(rows, row))
			goto out;
	}
	json_object_set_new(root, "results", rows);
	rows = NULL;
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		       JSON_REAL_PRECISION(10)) == 0) {
		fputc('\n', out);
		ret = 0;
	} else {
		ret = -EIO;
	}
out:
	json_decref(rows);
	json_decref(root);
	return ret;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

/* RFC 4180 quoting for the one free-text field (a trace's name). */
static void csv_str(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_real(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, ",%.6g", v);
	else
		fputs(",", out);
}

static void csv_u(FILE *out, uint64_t v)
{
	fprintf(out, ",%" PRIu64, v);
}

static void csv_stats(FILE *out, const struct liommu_dma_stats *st)
{
	csv_u(out, st->maps);
	csv_u(out, st->unmaps);
	csv_u(out, st->reuse_hits);
	csv_u(out, st->retired);
	csv_u(out, st->flushes);
	csv_u(out, st->pte_writes);
	csv_u(out, st->inv_descs);
	csv_u(out, st->inv_waits);
}

static void csv_bound(FILE *out, const struct liommu_dma_bound *b)
{
	fprintf(out, ",%s", b->unbounded ? "true" : "false");
	csv_u(out, b->count);
	csv_u(out, b->queues);
	csv_u(out, b->time_ns);
}

#define CSV_COUNTERS "maps,unmaps,reuse_hits,retired,flushes,pte_writes,inv_descs,inv_waits"
#define CSV_BOUND "bound_unbounded,bound_count,bound_queues,bound_time_ns"

static int print_csv(const struct ipol_report *rep, FILE *out)
{
	size_t i;

	if (rep->kind == IPOL_REPORT_REPLAY) {
		fputs("trace,strategy,events,wall_s,events_per_s,trace_maps,trace_unmaps,"
		      "segments,dma_calls,map_ns,unmap_ns,invalidations_per_unmap,"
		      CSV_COUNTERS ",peak_pinned_bytes,peak_mapped_bytes,page_table_bytes,"
		      "unmatched_unmaps,unmatched_bytes,live_at_end,domains," CSV_BOUND
		      ",inval_latency_ns,domain_source,ambiguous_events,contested_events\n",
		      out);
		for (i = 0; i < rep->n; i++) {
			const struct ipol_result *r = &rep->rows[i];

			csv_str(out, r->workload);
			fprintf(out, ",%s", strategy(r));
			csv_u(out, r->packets);
			csv_real(out, r->wall_s);
			csv_real(out, r->pps);
			csv_u(out, r->trace_maps);
			csv_u(out, r->trace_unmaps);
			csv_u(out, r->segments_mapped);
			csv_u(out, r->dma_calls);
			csv_real(out, r->map_ns);
			csv_real(out, r->unmap_ns);
			csv_real(out, r->inval_per_pkt);
			csv_stats(out, &r->st);
			csv_u(out, r->peak_pinned_bytes);
			csv_u(out, r->peak_mapped_bytes);
			csv_u(out, r->pt_bytes);
			csv_u(out, r->unmatched_unmaps);
			csv_u(out, r->unmatched_bytes);
			csv_u(out, r->live_at_end);
			csv_u(out, r->domains);
			csv_bound(out, &r->st.bound);
			csv_u(out, rep->knobs.inval_latency_ns);
			fprintf(out, ",%s", rep->plan.domain_source ?
				rep->plan.domain_source : "inferred");
			csv_u(out, rep->plan.guessed);
			csv_u(out, rep->plan.contested);
			fputc('\n', out);
		}
		return ferror(out) ? -EIO : 0;
	}

	fprintf(out, "workload,strategy,%spackets,wall_s,busy_s,packets_per_s,"
		"cpu_ns_per_packet,map_ns,unmap_ns,invalidations_per_packet,iotlb_hit_rate,"
		"peak_pinned_bytes,peak_mapped_bytes,page_table_bytes," CSV_COUNTERS
		",exposure_watched,exposure_exposed,exposure_stale_dmas,exposure_open,"
		"exposure_max_ns,exposure_p99_ns,exposure_max_stale," CSV_BOUND
		",within_bound,inval_latency_ns,verdict,wakeup_lateness_ns,"
		"reclaimer_lateness_ns\n",
		rep->kind == IPOL_REPORT_SWEEP ? "param,param_value," : "");
	for (i = 0; i < rep->n; i++) {
		const struct ipol_result *r = &rep->rows[i];

		fprintf(out, "%s,%s", r->workload, strategy(r));
		if (rep->kind == IPOL_REPORT_SWEEP)
			fprintf(out, ",%s,%" PRIu64, r->param, r->param_value);
		csv_u(out, r->packets);
		csv_real(out, r->wall_s);
		csv_real(out, r->busy_s);
		csv_real(out, r->pps);
		csv_real(out, r->cpu_ns_per_pkt);
		csv_real(out, r->map_ns);
		csv_real(out, r->unmap_ns);
		csv_real(out, r->inval_per_pkt);
		csv_real(out, r->iotlb_hit_rate);
		csv_u(out, r->peak_pinned_bytes);
		csv_u(out, r->peak_mapped_bytes);
		csv_u(out, r->pt_bytes);
		csv_stats(out, &r->st);
		if (r->probed) {
			csv_u(out, r->exp.watched);
			csv_u(out, r->exp.exposed);
			csv_u(out, r->exp.stale_dmas);
			csv_u(out, r->exp.open);
			csv_u(out, r->exp.max_ns);
			csv_u(out, r->exp.p99_ns);
			csv_u(out, r->exp.max_stale);
		} else {
			fputs(",,,,,,,", out);
		}
		csv_bound(out, &r->st.bound);
		fprintf(out, ",%s", r->verdict == IPOL_BOUND_NA ? "" :
			verdict_within(r->verdict) ? "true" : "false");
		csv_u(out, rep->knobs.inval_latency_ns);
		fprintf(out, ",%s", r->verdict == IPOL_BOUND_NA ? "" : verdict_word(r->verdict));
		if (r->late_known)
			csv_u(out, r->late_ns);
		else
			fputc(',', out);
		csv_u(out, r->st.reclaim_late_ns);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

int ipol_output(const struct ipol_report *r, enum ipol_format fmt, FILE *out)
{
	int ret;

	switch (fmt) {
	case IPOL_FMT_JSON:
		ret = print_json(r, out);
		break;
	case IPOL_FMT_CSV:
		ret = print_csv(r, out);
		break;
	default:
		ret = print_table(r, out);
		break;
	}
	if (!ret && fflush(out))
		ret = -errno;
	return ret;
}
