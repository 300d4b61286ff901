// SPDX-License-Identifier: MIT
/*
 * trace.c - parse DMA traces: Linux ftrace text of iommu:map/iommu:unmap
 * and the project's CSV.
 *
 * The kernel prints the two events (include/trace/events/iommu.h) as
 *   map: IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu
 *   unmap: IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu
 * after trace_pipe's "TASK-PID [CPU] FLAGS SECS.USECS: " prefix.  Those
 * two payloads are parsed strictly; any other event is skipped, because a
 * real capture holds kprobes, group and attach events too.  Everything is
 * hostile input: every number is range-checked, every line is bounded and
 * the first malformed line is reported with its number.
 *
 * The two events carry no domain.  A kprobe at the entry of the Intel
 * driver's intel_iommu_map_pages() or intel_iommu_unmap_pages() (Linux
 * 6.1 drivers/iommu/intel/iommu.c) prints the domain pointer, its first
 * argument, and the chunk the core hands the driver:
 *   NAME: (intel_iommu_map_pages+0x0/0xe0) dom=0x... iova=0x... paddr=0x... pgsize=0x... pgcount=0x...
 *   NAME: (intel_iommu_unmap_pages+0x0/0x180) dom=0x... iova=0x... pgsize=0x... pgcount=0x...
 * The core (drivers/iommu/iommu.c, __iommu_map() and __iommu_unmap())
 * makes one or more such calls for one operation, from the same task,
 * and only then emits iommu:map or iommu:unmap.  An interrupt that maps
 * or unmaps in between runs to completion before the task goes on, so
 * the calls of an event are the newest pending calls of its task (of its
 * CPU for the idle task, whose pid 0 every CPU shares): a contiguous
 * block of the same kind, inside the event's range, starting at its
 * iova, and for a map tiling it exactly.  Matching on the task rather
 * than the CPU survives a task that sleeps in the allocator and wakes
 * on another CPU.  Such an event takes the domain its calls name; an
 * event without one keeps none and the planner has to guess.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"

#define CSV_HEADER4	"op,iova,size,paddr"
#define CSV_HEADER5	"op,iova,size,paddr,domain"
/* Upper bound on a trace file: replaying more is not what this tool is for. */
#define TRACE_MAX_BYTES	(1ull << 30)
/* Distinct kprobe domain pointers: a machine has a few dozen domains. */
#define TRACE_MAX_DOMAINS	1024u
#define DOM_HASH_SLOTS		(2 * TRACE_MAX_DOMAINS)
/* Key of a call or event whose task and CPU are both unknown. */
#define KEY_UNKNOWN		(-1)

struct cursor {
	const char *p;
	const char *end;
};

static int fail(struct ipol_trace_error *err, unsigned long line,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ipol_trace_error *err, unsigned long line,
		const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

static bool at_end(struct cursor *c)
{
	skip_blanks(c);
	return c->p == c->end;
}

static bool take_lit(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Hexadecimal digits (no prefix); false when none or more than 64 bits. */
static bool take_hex(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = c->p;
	int d;

	while (c->p < c->end && (d = hex_val(*c->p)) >= 0) {
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)d;
		c->p++;
	}
	*out = v;
	return c->p != start;
}

static bool take_dec(struct cursor *c, uint64_t *out, unsigned int *ndigits)
{
	uint64_t v = 0;
	const char *start = c->p;

	while (c->p < c->end && is_digit(*c->p)) {
		unsigned int d = (unsigned int)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		c->p++;
	}
	*out = v;
	if (ndigits)
		*ndigits = (unsigned int)(c->p - start);
	return c->p != start;
}

/* A whole field: "0x" hexadecimal or decimal, nothing else. */
static bool parse_number(const char *s, size_t len, uint64_t *out)
{
	struct cursor c = { s, s + len };

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		c.p += 2;
		if (!take_hex(&c, out))
			return false;
	} else if (!take_dec(&c, out, NULL)) {
		return false;
	}
	return c.p == c.end;
}

static int push(struct ipol_trace *t, const struct ipol_trace_event *ev)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ipol_trace_event *n = realloc(t->ev, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->ev = n;
		t->cap = cap;
	}
	t->ev[t->n++] = *ev;
	return 0;
}

/* Checks shared by both formats: alignment, non-zero size, no wrap. */
static int check_event(const struct ipol_trace_event *ev,
		       struct ipol_trace_error *err)
{
	const uint64_t mask = IPOL_TRACE_PAGE - 1;
	const char *what = ev->op == IPOL_TRACE_MAP ? "map" : "unmap";

	if (ev->size == 0)
		return fail(err, ev->line, "%s of size 0", what);
	if (ev->iova & mask)
		return fail(err, ev->line, "%s iova 0x%" PRIx64 " is not 4 KiB aligned",
			    what, ev->iova);
	if (ev->size & mask)
		return fail(err, ev->line, "%s size %" PRIu64 " is not a multiple of 4096",
			    what, ev->size);
	if (ev->iova + ev->size < ev->iova)
		return fail(err, ev->line, "%s range 0x%" PRIx64 " + %" PRIu64
			    " wraps past 2^64", what, ev->iova, ev->size);
	if (ev->op == IPOL_TRACE_MAP) {
		if (ev->paddr & mask)
			return fail(err, ev->line, "map paddr 0x%" PRIx64
				    " is not 4 KiB aligned", ev->paddr);
		if (ev->paddr + ev->size < ev->paddr)
			return fail(err, ev->line, "map paddr 0x%" PRIx64 " + %" PRIu64
				    " wraps past 2^64", ev->paddr, ev->size);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

static void trim(const char **s, size_t *len)
{
	while (*len && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_blank((*s)[*len - 1]))
		(*len)--;
}

/* 0: not a header; 4 or 5: the number of columns it announces. */
static int csv_header_columns(const char *s, size_t len)
{
	trim(&s, &len);
	if (len == strlen(CSV_HEADER4) && !memcmp(s, CSV_HEADER4, len))
		return 4;
	if (len == strlen(CSV_HEADER5) && !memcmp(s, CSV_HEADER5, len))
		return 5;
	return 0;
}

static int parse_csv_line(struct ipol_trace *t, const char *s, size_t len,
			  unsigned long line, int ncols,
			  struct ipol_trace_error *err)
{
	static const char *const names[] = { "op", "iova", "size", "paddr", "domain" };
	const char *f[6];
	size_t fl[6];
	struct ipol_trace_event ev = { .line = (uint32_t)line, .domain = -1 };
	uint64_t v;
	int n = 0, i;
	size_t start = 0, k;

	for (k = 0; k <= len; k++) {
		if (k < len && s[k] != ',')
			continue;
		if (n == 6)
			break;
		f[n] = s + start;
		fl[n] = k - start;
		trim(&f[n], &fl[n]);
		n++;
		start = k + 1;
	}
	if (n != ncols)
		return fail(err, line, "expected %d comma-separated fields (%s), found %s%d",
			    ncols, ncols == 4 ? CSV_HEADER4 : CSV_HEADER5,
			    n == 6 ? "more than " : "", n == 6 ? 5 : n);

	if (fl[0] == 3 && !memcmp(f[0], "map", 3))
		ev.op = IPOL_TRACE_MAP;
	else if (fl[0] == 5 && !memcmp(f[0], "unmap", 5))
		ev.op = IPOL_TRACE_UNMAP;
	else
		return fail(err, line, "op must be \"map\" or \"unmap\", found \"%.*s\"",
			    (int)(fl[0] > 32 ? 32 : fl[0]), f[0]);

	for (i = 1; i < ncols; i++) {
		if (i == 3 && ev.op == IPOL_TRACE_UNMAP) {
			if (fl[i])
				return fail(err, line, "unmap takes no paddr (leave the field empty)");
			continue;
		}
		if (!fl[i])
			return fail(err, line, "field \"%s\" is empty", names[i]);
		if (!parse_number(f[i], fl[i], &v))
			return fail(err, line, "field \"%s\" is not a number "
				    "(decimal or 0x hexadecimal, at most 64 bits): \"%.*s\"",
				    names[i], (int)(fl[i] > 32 ? 32 : fl[i]), f[i]);
		switch (i) {
		case 1:
			ev.iova = v;
			break;
		case 2:
			ev.size = v;
			break;
		case 3:
			ev.paddr = v;
			break;
		default:
			if (v > 65535)
				return fail(err, line, "domain %" PRIu64 " is above 65535", v);
			ev.domain = (int32_t)v;
			ev.dom_src = IPOL_TRACE_DOM_CSV;
			break;
		}
	}
	if (check_event(&ev, err))
		return -EINVAL;
	if (ev.dom_src == IPOL_TRACE_DOM_NONE)
		t->no_domain++;
	return push(t, &ev);
}

/* ------------------------------------------------------------------ */
/* ftrace text                                                         */
/* ------------------------------------------------------------------ */

/*
 * Find "SECS.FRAC: " preceded by a blank (or at the start): the timestamp
 * that ends ftrace's common prefix.  Task names may hold blanks and
 * colons, but a blank-separated "digits.digits: " is the timestamp in
 * every format trace_pipe prints, so the first match wins.
 */
static bool find_timestamp(struct cursor *c, uint64_t *ts_ns, const char **start)
{
	const char *p;

	for (p = c->p; p < c->end; p++) {
		struct cursor t = { p, c->end };
		uint64_t sec, frac;
		unsigned int nd;

		if (p != c->p && !is_blank(p[-1]))
			continue;
		if (!take_dec(&t, &sec, NULL) || !take_lit(&t, "."))
			continue;
		if (!take_dec(&t, &frac, &nd) || !take_lit(&t, ": "))
			continue;
		if (nd > 9 || sec > UINT64_MAX / 1000000000u - 1)
			continue;
		while (nd++ < 9)
			frac *= 10;
		*ts_ns = sec * 1000000000u + frac;
		*start = p;
		c->p = t.p;
		return true;
	}
	return false;
}

/* "CPU:N [LOST M EVENTS]" as trace_pipe prints it after an overrun. */
static bool parse_lost(const char *s, size_t len, uint64_t *lost)
{
	struct cursor c = { s, s + len };
	uint64_t v;

	skip_blanks(&c);
	if (!take_lit(&c, "CPU:") || !take_dec(&c, &v, NULL))
		return false;
	if (!take_lit(&c, " [LOST ") || !take_dec(&c, &v, NULL))
		return false;
	if (!take_lit(&c, " EVENTS]") || !at_end(&c))
		return false;
	*lost = v;
	return true;
}

/*
 * The task an event line belongs to, from the prefix before its
 * timestamp at @ts: "TASK-PID [CPU]" (or "TASK-PID (TGID) [CPU]" with
 * the record-tgid option).  The pid when it is above 0; for pid 0, the
 * idle task of every CPU, or when the pid cannot be read, the CPU
 * (-2 - CPU); KEY_UNKNOWN when neither can.
 */
static int64_t task_key(const char *s, const char *ts)
{
	const char *p, *lb = NULL, *q;
	uint64_t cpu = 0, pid = 0, mul = 1;
	unsigned int nd = 0;

	for (p = s; p < ts; p++) {
		struct cursor c = { p + 1, ts };
		uint64_t v;
		unsigned int n;

		if (*p != '[' || !take_dec(&c, &v, &n) || n > 6 || !take_lit(&c, "]"))
			continue;
		lb = p;
		cpu = v;
	}
	if (!lb)
		return KEY_UNKNOWN;
	q = lb;
	while (q > s && is_blank(q[-1]))
		q--;
	if (q > s && q[-1] == ')') {
		while (q > s && q[-1] != '(')
			q--;
		if (q > s)
			q--;
		while (q > s && is_blank(q[-1]))
			q--;
	}
	while (q > s && is_digit(q[-1]) && nd < 10) {
		pid += (uint64_t)(q[-1] - '0') * mul;
		mul *= 10;
		nd++;
		q--;
	}
	if (nd == 0 || nd == 10 || q == s || q[-1] != '-' || pid == 0)
		return -2 - (int64_t)cpu;
	return (int64_t)pid;
}

/* Index of domain pointer @ptr in t->dom_ptr, added when new; -1 when full. */
static int dom_index(struct ipol_trace *t, uint64_t ptr, uint32_t *out)
{
	uint32_t *slot = t->dom_hash;
	size_t h, i;

	if (!slot) {
		slot = calloc(DOM_HASH_SLOTS, sizeof(*slot));	/* 0: empty, else index + 1 */
		if (!slot)
			return -ENOMEM;
		t->dom_hash = slot;
	}
	h = (size_t)((ptr * 0x9e3779b97f4a7c15ull) >> 40) % DOM_HASH_SLOTS;
	for (i = 0; i < DOM_HASH_SLOTS; i++, h = (h + 1) % DOM_HASH_SLOTS) {
		if (!slot[h])
			break;
		if (t->dom_ptr[slot[h] - 1] == ptr) {
			*out = slot[h] - 1;
			return 0;
		}
	}
	if (t->ndom == TRACE_MAX_DOMAINS)
		return -ENOSPC;
	if (t->ndom == t->capdom) {
		size_t cap = t->capdom ? t->capdom * 2 : 8;
		uint64_t *n = realloc(t->dom_ptr, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->dom_ptr = n;
		t->capdom = cap;
	}
	t->dom_ptr[t->ndom] = ptr;
	slot[h] = (uint32_t)++t->ndom;
	*out = (uint32_t)(t->ndom - 1);
	return 0;
}

static void pend_drop(struct ipol_trace *t, size_t i)
{
	memmove(&t->pend[i], &t->pend[i + 1], (t->npend - i - 1) * sizeof(t->pend[0]));
	t->npend--;
}

static void pend_push(struct ipol_trace *t, const struct ipol_trace_call *c)
{
	if (t->npend == IPOL_TRACE_MAX_PENDING) {
		pend_drop(t, 0);
		t->kprobe_orphans++;
	}
	t->pend[t->npend++] = *c;
}

/* Is [c->iova, c->iova + c->size) inside [a, a + span)?  No sum can wrap. */
static bool call_inside(const struct ipol_trace_call *c, uint64_t a, uint64_t span)
{
	return c->iova >= a && c->iova - a <= span && c->size <= span - (c->iova - a);
}

/*
 * Give @ev the domain of its kprobe calls (see the top of this file) and
 * take them off the pending set.  @span: the bytes the operation covered
 * (an unmap may go past its size to the end of a superpage).  An event
 * whose calls cannot be found keeps no domain, and the calls stay for the
 * end-of-trace orphan count.
 */
static void pend_take(struct ipol_trace *t, struct ipol_trace_event *ev, int64_t key,
		      uint64_t span)
{
	size_t idx[IPOL_TRACE_MAX_PENDING], n = 0, i = t->npend, k;
	const bool is_map = ev->op == IPOL_TRACE_MAP;
	uint64_t sum = 0, lowest = UINT64_MAX;
	bool conflict = false;

	while (i-- > 0) {
		const struct ipol_trace_call *c = &t->pend[i];

		if (c->key != key)
			continue;
		if (c->op != ev->op || !call_inside(c, ev->iova, span))
			break;
		if (is_map && (c->paddr - c->iova != ev->paddr - ev->iova ||
			       c->size > ev->size - sum))
			break;
		if (n && c->dom != t->pend[idx[0]].dom)
			conflict = true;
		idx[n++] = i;
		sum += c->size;
		if (c->iova < lowest)
			lowest = c->iova;
		if (is_map && sum == ev->size)
			break;
	}
	/* The core's loop starts at the event's iova; a map's calls tile it. */
	if (!n || lowest != ev->iova || (is_map && sum != ev->size)) {
		t->no_domain++;
		return;
	}
	if (conflict) {
		t->dom_conflicts++;
		t->no_domain++;
	} else {
		ev->domain = (int32_t)t->pend[idx[0]].dom;
		ev->dom_src = IPOL_TRACE_DOM_KPROBE;
	}
	/* idx[] runs from the newest down: dropping in that order keeps it valid. */
	for (k = 0; k < n; k++)
		pend_drop(t, idx[k]);
}

/* "name=value" fields of a kprobe line; values "0x" hexadecimal or decimal. */
struct kp_field {
	const char *name;
	uint64_t v;
	bool seen;
};

/*
 * A kprobe line: "(SYMBOL+0xOFF/0xLEN) field=value ...".  Return 0 with
 * the call pushed when SYMBOL is one of the two driver functions, 1 when
 * the line is some other probe (skipped), -EINVAL or -ENOMEM.
 */
static int parse_kprobe(struct ipol_trace *t, struct cursor *c, int64_t key,
			unsigned long line, struct ipol_trace_error *err)
{
	static const char map_fn[] = "intel_iommu_map_pages";
	static const char unmap_fn[] = "intel_iommu_unmap_pages";
	struct kp_field f[] = {
		{ "dom", 0, false }, { "iova", 0, false }, { "pgsize", 0, false },
		{ "pgcount", 0, false }, { "paddr", 0, false },
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct ipol_trace_call call = { .key = key, .line = (uint32_t)line };
	const char *sym = c->p + 1, *what;
	uint64_t off, len;
	size_t k, need;
	int ret;

	c->p++;
	while (c->p < c->end && *c->p != '+' && *c->p != ')' && !is_blank(*c->p))
		c->p++;
	if ((size_t)(c->p - sym) == strlen(map_fn) && !memcmp(sym, map_fn, strlen(map_fn)))
		call.op = IPOL_TRACE_MAP;
	else if ((size_t)(c->p - sym) == strlen(unmap_fn) &&
		 !memcmp(sym, unmap_fn, strlen(unmap_fn)))
		call.op = IPOL_TRACE_UNMAP;
	else
		return 1;
	what = call.op == IPOL_TRACE_MAP ? map_fn : unmap_fn;
	if (!take_lit(c, "+0x") || !take_hex(c, &off) || !take_lit(c, "/0x") ||
	    !take_hex(c, &len) || !take_lit(c, ")"))
		return fail(err, line, "%s kprobe: expected \"(%s+0xOFFSET/0xLENGTH)\"",
			    what, what);
	if (off)
		return fail(err, line, "%s kprobe at offset 0x%" PRIx64 ": only a probe at "
			    "the function entry (+0x0) sees the arguments in %%di, %%si, ...",
			    what, off);

	while (!at_end(c)) {
		const char *name = c->p, *val;
		size_t nl, vl;

		while (c->p < c->end && *c->p != '=' && !is_blank(*c->p))
			c->p++;
		nl = (size_t)(c->p - name);
		if (!nl || c->p == c->end || *c->p != '=')
			return fail(err, line, "%s kprobe: expected name=value fields", what);
		val = ++c->p;
		if (c->p < c->end && *c->p == '"') {	/* a string argument */
			const char *q = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));

			if (!q)
				return fail(err, line, "%s kprobe: unterminated string", what);
			c->p = q + 1;
			continue;
		}
		while (c->p < c->end && !is_blank(*c->p))
			c->p++;
		vl = (size_t)(c->p - val);
		for (k = 0; k < nf; k++) {
			if (strlen(f[k].name) != nl || memcmp(f[k].name, name, nl))
				continue;
			if (f[k].seen)
				return fail(err, line, "%s kprobe: field %s given twice",
					    what, f[k].name);
			if (!parse_number(val, vl, &f[k].v))
				return fail(err, line, "%s kprobe: %s is not a number (decimal "
					    "or 0x hexadecimal, at most 64 bits)", what, f[k].name);
			f[k].seen = true;
		}
	}
	need = call.op == IPOL_TRACE_MAP ? nf : nf - 1;
	for (k = 0; k < need; k++)
		if (!f[k].seen)
			return fail(err, line, "%s kprobe without the %s= field (see "
				    "iommu-policy-replay(1) for the probe definition)",
				    what, f[k].name);
	call.iova = f[1].v;
	call.paddr = call.op == IPOL_TRACE_MAP ? f[4].v : 0;
	if (!f[0].v)
		return fail(err, line, "%s kprobe: dom is 0", what);
	if (f[2].v < IPOL_TRACE_PAGE || (f[2].v & (f[2].v - 1)))
		return fail(err, line, "%s kprobe: pgsize 0x%" PRIx64 " is not a power of "
			    "two of at least 4096", what, f[2].v);
	if (!f[3].v || f[3].v > UINT64_MAX / f[2].v)
		return fail(err, line, "%s kprobe: pgcount 0x%" PRIx64 " is 0 or "
			    "pgsize * pgcount passes 2^64", what, f[3].v);
	call.size = f[2].v * f[3].v;
	if ((call.iova | call.paddr) & (IPOL_TRACE_PAGE - 1))
		return fail(err, line, "%s kprobe: iova or paddr is not 4 KiB aligned", what);
	if (call.iova + call.size < call.iova || call.paddr + call.size < call.paddr)
		return fail(err, line, "%s kprobe: the range wraps past 2^64", what);
	ret = dom_index(t, f[0].v, &call.dom);
	if (ret == -ENOSPC)
		return fail(err, line, "more than %u domain pointers in the kprobe lines",
			    TRACE_MAX_DOMAINS);
	if (ret)
		return ret;
	t->kprobe_calls++;
	pend_push(t, &call);
	return 0;
}

static int expect_hex0x(struct cursor *c, uint64_t *v, unsigned long line,
			const char *what, const char *field,
			struct ipol_trace_error *err)
{
	if (!take_lit(c, "0x") || !take_hex(c, v))
		return fail(err, line, "%s event: %s is not a 0x hexadecimal "
			    "number of at most 64 bits", what, field);
	return 0;
}

static int parse_iommu_payload(struct ipol_trace *t, struct cursor *c,
			       bool is_map, uint64_t ts, int64_t key, unsigned long line,
			       struct ipol_trace_error *err)
{
	const char *what = is_map ? "map" : "unmap";
	struct ipol_trace_event ev = {
		.op = is_map ? IPOL_TRACE_MAP : IPOL_TRACE_UNMAP,
		.ts_ns = ts,
		.line = (uint32_t)line,
		.domain = -1,
	};
	uint64_t end, unmapped = 0;

	skip_blanks(c);
	if (!take_lit(c, "IOMMU: iova="))
		return fail(err, line, "%s event: expected \"IOMMU: iova=\"", what);
	if (expect_hex0x(c, &ev.iova, line, what, "iova", err))
		return -EINVAL;
	if (!take_lit(c, " - "))
		return fail(err, line, "%s event: expected \" - \" between the "
			    "iova range bounds", what);
	if (expect_hex0x(c, &end, line, what, "the iova range end", err))
		return -EINVAL;
	if (is_map) {
		if (!take_lit(c, " paddr="))
			return fail(err, line, "map event: expected \"paddr=\" after the iova range");
		if (expect_hex0x(c, &ev.paddr, line, what, "paddr", err))
			return -EINVAL;
	}
	if (!take_lit(c, " size=") || !take_dec(c, &ev.size, NULL))
		return fail(err, line, "%s event: expected \"size=\" and a decimal number", what);
	if (!is_map && (!take_lit(c, " unmapped_size=") ||
			!take_dec(c, &unmapped, NULL)))
		return fail(err, line, "unmap event: expected \"unmapped_size=\" "
			    "and a decimal number");
	if (!at_end(c))
		return fail(err, line, "%s event: unexpected text after the last field", what);
	if (ev.size && ev.iova + ev.size >= ev.iova && end != ev.iova + ev.size)
		return fail(err, line, "%s event: range end 0x%" PRIx64 " differs from "
			    "iova + size (0x%" PRIx64 ")", what, end, ev.iova + ev.size);
	if (check_event(&ev, err))
		return -EINVAL;
	if (!is_map) {
		/*
		 * unmapped_size is what the kernel really unmapped: less
		 * than size when it met a hole, more when it had to take a
		 * whole superpage.  Replay that.
		 */
		if (unmapped == 0) {
			/* Its calls, if any, are done with: take them. */
			size_t nd = t->no_domain;

			pend_take(t, &ev, key, ev.size);
			t->no_domain = nd;	/* not an event of the replay */
			t->empty_unmaps++;
			return 0;
		}
		if (unmapped & (IPOL_TRACE_PAGE - 1))
			return fail(err, line, "unmap event: unmapped_size %" PRIu64
				    " is not a multiple of 4096", unmapped);
		if (ev.iova + unmapped < ev.iova)
			return fail(err, line, "unmap event: iova + unmapped_size wraps past 2^64");
		pend_take(t, &ev, key, unmapped > ev.size ? unmapped : ev.size);
		ev.size = unmapped;
	} else {
		pend_take(t, &ev, key, ev.size);
	}
	return push(t, &ev);
}

static int parse_ftrace_line(struct ipol_trace *t, const char *s, size_t len,
			     unsigned long line, struct ipol_trace_error *err)
{
	struct cursor c = { s, s + len };
	const char *name, *ts_start;
	size_t nlen;
	uint64_t ts, lost;
	int64_t key;
	int ret;

	if (parse_lost(s, len, &lost)) {
		if (t->lost_events + lost < t->lost_events)
			return fail(err, line, "lost-event counts add up to more than 2^64");
		t->lost_events += lost;
		return 0;
	}
	if (!find_timestamp(&c, &ts, &ts_start))
		return fail(err, line, "not an ftrace event line (expected "
			    "\"TASK-PID [CPU] FLAGS SECONDS: EVENT: ...\")");
	name = c.p;
	while (c.p < c.end && *c.p != ':' && !is_blank(*c.p))
		c.p++;
	nlen = (size_t)(c.p - name);
	if (nlen == 0 || c.p == c.end || *c.p != ':')
		return fail(err, line, "ftrace event line without an event name");
	c.p++;
	key = task_key(s, ts_start);
	skip_blanks(&c);
	/*
	 * A kprobe's payload opens with "(SYMBOL+OFF/LEN)" whatever the
	 * probe is called (even "map"); the tracepoints' with "IOMMU:".
	 */
	if (c.p < c.end && *c.p == '(') {
		/* Counted as skipped either way: it is not an event to replay. */
		ret = parse_kprobe(t, &c, key, line, err);
		if (ret < 0)
			return ret;
	} else if (nlen == 3 && !memcmp(name, "map", 3)) {
		return parse_iommu_payload(t, &c, true, ts, key, line, err);
	} else if (nlen == 5 && !memcmp(name, "unmap", 5)) {
		return parse_iommu_payload(t, &c, false, ts, key, line, err);
	}
	t->skipped++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
/* ------------------------------------------------------------------ */

int ipol_trace_parse(const char *buf, size_t len, enum ipol_trace_format fmt,
		     struct ipol_trace *t, struct ipol_trace_error *err)
{
	size_t pos = 0;
	unsigned long line = 0;
	int ncols = 0, ret;
	bool decided = fmt != IPOL_TRACE_AUTO;

	if (err) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (fmt != IPOL_TRACE_AUTO && fmt != IPOL_TRACE_FTRACE && fmt != IPOL_TRACE_CSV)
		return fail(err, 0, "unknown trace format");
	t->format = fmt;

	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		size_t k;

		pos += l + (nl ? 1 : 0);
		line++;
		t->lines = line;
		if (l && s[l - 1] == '\r')
			l--;
		if (l > IPOL_TRACE_MAX_LINE)
			return fail(err, line, "line longer than %u bytes", IPOL_TRACE_MAX_LINE);
		if (memchr(s, '\0', l))
			return fail(err, line, "NUL byte in a text trace");
		for (k = 0; k < l && is_blank(s[k]); k++)
			;
		if (k == l || s[k] == '#')
			continue;

		if (!decided) {
			ncols = csv_header_columns(s, l);
			t->format = ncols ? IPOL_TRACE_CSV : IPOL_TRACE_FTRACE;
			decided = true;
			if (ncols)
				continue;
		} else if (t->format == IPOL_TRACE_CSV && !ncols) {
			ncols = csv_header_columns(s, l);
			if (!ncols)
				return fail(err, line, "expected the CSV header \"%s\" "
					    "or \"%s\"", CSV_HEADER4, CSV_HEADER5);
			continue;
		}

		if (t->format == IPOL_TRACE_CSV)
			ret = parse_csv_line(t, s, l, line, ncols, err);
		else
			ret = parse_ftrace_line(t, s, l, line, err);
		if (ret == -ENOMEM) {
			fail(err, line, "out of memory");
			return -ENOMEM;
		}
		if (ret)
			return ret;
	}
	if (t->format == IPOL_TRACE_AUTO)
		t->format = IPOL_TRACE_FTRACE;
	/* Calls still waiting at the end never saw their event. */
	t->kprobe_orphans += t->npend;
	t->npend = 0;
	if (t->format == IPOL_TRACE_CSV && !ncols)
		return fail(err, line, "CSV trace without the header \"%s\"", CSV_HEADER4);
	if (t->n == 0)
		return fail(err, 0, "no map or unmap events in the trace");
	return 0;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= TRACE_MAX_BYTES) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int ipol_trace_load(const char *path, enum ipol_trace_format fmt,
		    struct ipol_trace *t, struct ipol_trace_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (fd < 0) {
		ret = -errno;
		fail(err, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!is_stdin)
			close(fd);
		fail(err, 0, "is a directory");
		return -EISDIR;
	}
	ret = read_all(fd, &buf, &len);
	if (!is_stdin)
		close(fd);
	if (ret) {
		fail(err, 0, "cannot read: %s", ret == -EFBIG ?
		     "larger than 1 GiB" : strerror(-ret));
		return ret;
	}
	ret = ipol_trace_parse(buf, len, fmt, t, err);
	free(buf);
	return ret;
}

void ipol_trace_free(struct ipol_trace *t)
{
	free(t->ev);
	free(t->dom_ptr);
	free(t->dom_hash);
	t->ev = NULL;
	t->dom_ptr = NULL;
	t->dom_hash = NULL;
	t->n = t->cap = 0;
	t->ndom = t->capdom = 0;
}

const char *ipol_trace_format_name(enum ipol_trace_format fmt)
{
	switch (fmt) {
	case IPOL_TRACE_FTRACE:
		return "ftrace";
	case IPOL_TRACE_CSV:
		return "csv";
	default:
		return "auto";
	}
}

const char *ipol_trace_domain_source(const struct ipol_trace *t)
{
	size_t i, csv = 0, kp = 0;

	for (i = 0; i < t->n; i++) {
		csv += t->ev[i].dom_src == IPOL_TRACE_DOM_CSV;
		kp += t->ev[i].dom_src == IPOL_TRACE_DOM_KPROBE;
	}
	if (t->n && kp == t->n)
		return "kprobe";
	if (t->n && csv == t->n)
		return "csv";
	return kp + csv ? "mixed" : "inferred";
}
