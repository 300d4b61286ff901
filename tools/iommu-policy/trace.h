/* SPDX-License-Identifier: MIT */
/*
 * trace.h - DMA trace files for `iommu-policy replay`.
 *
 * Two input formats are accepted (docs/iommu-policy.md has the grammar):
 *  - the Linux ftrace text of the iommu:map and iommu:unmap events as
 *    trace_pipe or the trace file prints them, optionally with kprobes on
 *    intel_iommu_map_pages()/intel_iommu_unmap_pages() whose first
 *    argument, the domain pointer, names the domain of the event they
 *    precede; every other event line is skipped, "#" lines are comments;
 *  - a CSV file whose first significant line is the header
 *    "op,iova,size,paddr" or "op,iova,size,paddr,domain".
 *
 * The parser is pure: it reads a buffer, knows nothing of libiommu and
 * never aborts, so tests/fuzz/fuzz-trace.c can feed it anything.  The
 * first malformed line stops parsing with its 1-based number and one
 * sentence saying what is wrong.
 *
 * Threading: no shared state; one struct ipol_trace per thread.
 */
#ifndef IPOL_TRACE_H
#define IPOL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define IPOL_TRACE_PAGE		4096u
/* Lines longer than this are rejected rather than parsed. */
#define IPOL_TRACE_MAX_LINE	4096u
/*
 * Kprobe calls waiting for their iommu:map/unmap event.  A call's event
 * follows it within the same task (or idle CPU) after at most a few
 * nested interrupt-context operations, so a handful suffice; the oldest
 * is dropped (counted as an orphan) when a trace fills them.
 */
#define IPOL_TRACE_MAX_PENDING	64u

/* Where an event's domain comes from. */
enum ipol_trace_dom_src {
	IPOL_TRACE_DOM_NONE = 0,	/* the trace does not say: inferred */
	IPOL_TRACE_DOM_CSV,		/* the CSV domain column */
	IPOL_TRACE_DOM_KPROBE,		/* the driver's domain pointer */
};

enum ipol_trace_format {
	IPOL_TRACE_AUTO = 0,	/* CSV when the header is there, else ftrace */
	IPOL_TRACE_FTRACE,
	IPOL_TRACE_CSV,
};

enum ipol_trace_op {
	IPOL_TRACE_MAP = 0,
	IPOL_TRACE_UNMAP = 1,
};

/**
 * struct ipol_trace_event - one map or unmap.
 * @iova:   first I/O virtual address (4 KiB aligned).
 * @size:   bytes (a non-zero multiple of 4 KiB); for an ftrace unmap the
 *          unmapped_size the kernel reported, which is what happened.
 * @paddr:  physical address of a map (4 KiB aligned); 0 for unmaps.
 * @ts_ns:  ftrace timestamp in nanoseconds; 0 in CSV files.
 * @line:   1-based line number in the file.
 * @domain: the CSV domain column, or for ftrace the index in
 *          ipol_trace.dom_ptr of the domain its kprobe calls named; -1
 *          when the trace does not say.
 * @op:     enum ipol_trace_op.
 * @dom_src: enum ipol_trace_dom_src: where @domain comes from.
 */
struct ipol_trace_event {
	uint64_t iova;
	uint64_t size;
	uint64_t paddr;
	uint64_t ts_ns;
	uint32_t line;
	int32_t domain;
	uint8_t op;
	uint8_t dom_src;
};

/* A kprobe call of the driver not yet paired with its event (trace.c). */
struct ipol_trace_call {
	uint64_t iova, size, paddr;
	int64_t key;		/* the task, or the CPU for the idle task */
	uint32_t dom;		/* index in ipol_trace.dom_ptr */
	uint32_t line;
	uint8_t op;
};

/**
 * struct ipol_trace - a parsed trace.
 * @ev, @n:      the events in file order.
 * @format:      the format that was parsed (never AUTO after success).
 * @lines:       lines read.
 * @skipped:     ftrace event lines of other events (kprobe lines too).
 * @lost_events: events ftrace reported lost ("[LOST n EVENTS]" lines).
 * @empty_unmaps: ftrace unmaps with unmapped_size=0 (nothing happened;
 *               not stored in @ev).
 * @dom_ptr, @ndom: ftrace: the domain pointers the kprobe lines named, in
 *               order of first appearance (an event's @domain indexes it).
 * @kprobe_calls: ftrace: intel_iommu_{map,unmap}_pages kprobe lines.
 * @kprobe_orphans: of those, calls no iommu:map/unmap event took (a map
 *               that failed, lost events, an overflow of the pending set).
 * @no_domain:   events whose domain the trace does not give (ftrace
 *               events without a matching kprobe call, CSV without the
 *               domain column).
 * @dom_conflicts: ftrace events whose kprobe calls named different
 *               domains (impossible in Linux; the domain is then unknown).
 * @dom_hash:    trace.c's index of @dom_ptr.
 * @pend, @npend: the kprobe calls still waiting for their event.
 */
struct ipol_trace {
	struct ipol_trace_event *ev;
	size_t n;
	size_t cap;
	enum ipol_trace_format format;
	size_t lines;
	size_t skipped;
	uint64_t lost_events;
	size_t empty_unmaps;
	uint64_t *dom_ptr;
	size_t ndom, capdom;
	uint32_t *dom_hash;
	size_t kprobe_calls;
	size_t kprobe_orphans;
	size_t no_domain;
	size_t dom_conflicts;
	struct ipol_trace_call pend[IPOL_TRACE_MAX_PENDING];
	size_t npend;
};

/* The first error: its line (0 when not tied to a line) and a sentence. */
struct ipol_trace_error {
	unsigned long line;
	char msg[200];
};

/**
 * ipol_trace_parse() - parse a whole trace held in memory.
 * @buf, @len: the bytes; need not be NUL-terminated.
 * @fmt:       format, or IPOL_TRACE_AUTO to detect it.
 * @t:         output; zero it first.  Freed with ipol_trace_free() in
 *             every case.
 * @err:       filled on failure.
 *
 * Return: 0, -EINVAL (malformed line: @err says which and why), -ENOMEM.
 */
int ipol_trace_parse(const char *buf, size_t len, enum ipol_trace_format fmt,
		     struct ipol_trace *t, struct ipol_trace_error *err);

/**
 * ipol_trace_load() - read @path (or standard input for "-") and parse it.
 * Return: as ipol_trace_parse(), or -errno when the file cannot be read
 * (@err then holds the reason with line 0).
 */
int ipol_trace_load(const char *path, enum ipol_trace_format fmt,
		    struct ipol_trace *t, struct ipol_trace_error *err);

void ipol_trace_free(struct ipol_trace *t);

const char *ipol_trace_format_name(enum ipol_trace_format fmt);

/*
 * "kprobe" when every event's domain came from the kprobe lines, "csv"
 * from the CSV column, "inferred" when none did, "mixed" otherwise.
 */
const char *ipol_trace_domain_source(const struct ipol_trace *t);

#endif /* IPOL_TRACE_H */
