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
			break;
		}
	}
	if (check_event(&ev, err))
		return -EINVAL;
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
static bool find_timestamp(struct cursor *c, uint64_t *ts_ns)
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
			       bool is_map, uint64_t ts, unsigned long line,
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
			t->empty_unmaps++;
			return 0;
		}
		if (unmapped & (IPOL_TRACE_PAGE - 1))
			return fail(err, line, "unmap event: unmapped_size %" PRIu64
				    " is not a multiple of 4096", unmapped);
		if (ev.iova + unmapped < ev.iova)
			return fail(err, line, "unmap event: iova + unmapped_size wraps past 2^64");
		ev.size = unmapped;
	}
	return push(t, &ev);
}

static int parse_ftrace_line(struct ipol_trace *t, const char *s, size_t len,
			     unsigned long line, struct ipol_trace_error *err)
{
	struct cursor c = { s, s + len };
	const char *name;
	size_t nlen;
	uint64_t ts, lost;

	if (parse_lost(s, len, &lost)) {
		if (t->lost_events + lost < t->lost_events)
			return fail(err, line, "lost-event counts add up to more than 2^64");
		t->lost_events += lost;
		return 0;
	}
	if (!find_timestamp(&c, &ts))
		return fail(err, line, "not an ftrace event line (expected "
			    "\"TASK-PID [CPU] FLAGS SECONDS: EVENT: ...\")");
	name = c.p;
	while (c.p < c.end && *c.p != ':' && !is_blank(*c.p))
		c.p++;
	nlen = (size_t)(c.p - name);
	if (nlen == 0 || c.p == c.end || *c.p != ':')
		return fail(err, line, "ftrace event line without an event name");
	c.p++;
	if (nlen == 3 && !memcmp(name, "map", 3))
		return parse_iommu_payload(t, &c, true, ts, line, err);
	if (nlen == 5 && !memcmp(name, "unmap", 5))
		return parse_iommu_payload(t, &c, false, ts, line, err);
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
	t->ev = NULL;
	t->n = t->cap = 0;
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
