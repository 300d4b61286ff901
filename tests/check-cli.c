// SPDX-License-Identifier: MIT
/*
 * check-cli.c - the pure parts of iommu-policy: the trace parser (every
 * accepted form and every rejection, with its line number), the replay
 * plan (domain inference, splitting of partial unmaps, hand-worked
 * examples, the real Linux capture) and the limits of the replay
 * platform (replay-check.c), each rejection with its line.  The end-to-end runs, output
 * formats and hand-computed replay counters are the shell tests
 * tests/cli-*.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "plan.h"
#include "policy.h"
#include "trace.h"

#define MAP_LINE(iova, end, pa, size) \
	"  init-1  [000] .....  1.754501: map: IOMMU: iova=" iova " - " end \
	" paddr=" pa " size=" size "\n"
#define UNMAP_LINE(iova, end, size, unmapped) \
	"  dd-178  [000] d.h3.  19.834304: unmap: IOMMU: iova=" iova " - " end \
	" size=" size " unmapped_size=" unmapped "\n"

static int parse(const char *text, enum ipol_trace_format fmt, struct ipol_trace *t,
		 struct ipol_trace_error *err)
{
	memset(t, 0, sizeof(*t));
	return ipol_trace_parse(text, strlen(text), fmt, t, err);
}

/*
 * The source tree: $LIOMMU_TOP_SRCDIR under `make check`, else the one
 * this binary was configured from, so that running ./tests/check-cli by
 * hand reads the same fixtures.
 */
static const char *top_srcdir(void)
{
	const char *top = getenv("LIOMMU_TOP_SRCDIR");

	return top && *top ? top : IPOL_TOP_SRCDIR;
}

/* ------------------------------------------------------------------ */
/* Accepted input                                                      */
/* ------------------------------------------------------------------ */

START_TEST(ftrace_events_parsed_others_skipped)
{
	const char *text =
		"# tracer: nop\n"
		"#\n"
		"            init-1       [000] .....     1.744030: add_device_to_group: IOMMU: groupID=0 device=0000:00:00.0\n"
		"            init-1       [000] .....     1.753533: vtd_map: (intel_iommu_map_pages+0x0/0xe0) dom=0xffff888007796710 iova=0x0 paddr=0x0 pgsize=0x1000 pgcount=0x1000 prot=3\n"
		"            init-1       [000] .....     1.754501: map: IOMMU: iova=0x0000000000000000 - 0x0000000001000000 paddr=0x0000000000000000 size=16777216\n"
		"    kworker/u4:3-115     [000] d.h2.     4.680104: unmap: IOMMU: iova=0x00000000fff3e000 - 0x00000000fff3f000 size=4096 unmapped_size=4096\n"
		"\n"
		"          <idle>-0       [000] d.H2.     4.857993: unmap: IOMMU: iova=0x00000000fff3d000 - 0x00000000fff3e000 size=4096 unmapped_size=4096\r\n";
	struct ipol_trace t;
	struct ipol_trace_error err;

	ck_assert_int_eq(parse(text, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(t.format, IPOL_TRACE_FTRACE);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_eq(t.skipped, 2);
	ck_assert_uint_eq(t.lines, 8);
	ck_assert_int_eq(t.ev[0].op, IPOL_TRACE_MAP);
	ck_assert_uint_eq(t.ev[0].iova, 0);
	ck_assert_uint_eq(t.ev[0].size, 16u << 20);
	ck_assert_uint_eq(t.ev[0].paddr, 0);
	ck_assert_uint_eq(t.ev[0].line, 5);
	ck_assert_uint_eq(t.ev[0].ts_ns, 1754501000ull);
	/* The vtd_map kprobe line before it names its domain. */
	ck_assert_int_eq(t.ev[0].domain, 0);
	ck_assert_int_eq(t.ev[0].dom_src, IPOL_TRACE_DOM_KPROBE);
	ck_assert_uint_eq(t.dom_ptr[0], 0xffff888007796710ull);
	ck_assert_int_eq(t.ev[1].domain, -1);
	ck_assert_int_eq(t.ev[1].op, IPOL_TRACE_UNMAP);
	ck_assert_uint_eq(t.ev[1].iova, 0xfff3e000);
	ck_assert_uint_eq(t.ev[1].size, 4096);
	ck_assert_uint_eq(t.ev[1].line, 6);
	ck_assert_uint_eq(t.ev[2].line, 8);
	ipol_trace_free(&t);
}
END_TEST

START_TEST(ftrace_unmapped_size_is_replayed)
{
	/* The kernel met a hole: only 4 KiB of the 8 KiB went; a zero
	 * unmapped_size changed nothing and is dropped. */
	const char *text =
		MAP_LINE("0x0000000000010000", "0x0000000000012000", "0x0000000000200000", "8192")
		UNMAP_LINE("0x0000000000010000", "0x0000000000012000", "8192", "4096")
		UNMAP_LINE("0x0000000000010000", "0x0000000000012000", "8192", "0");
	struct ipol_trace t;
	struct ipol_trace_error err;

	ck_assert_int_eq(parse(text, IPOL_TRACE_FTRACE, &t, &err), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_eq(t.ev[1].size, 4096);
	ck_assert_uint_eq(t.empty_unmaps, 1);
	ipol_trace_free(&t);
}
END_TEST

START_TEST(ftrace_lost_events_counted)
{
	const char *text =
		MAP_LINE("0x0000000000010000", "0x0000000000011000", "0x0000000000200000", "4096")
		"CPU:1 [LOST 17 EVENTS]\n"
		UNMAP_LINE("0x0000000000010000", "0x0000000000011000", "4096", "4096");
	struct ipol_trace t;
	struct ipol_trace_error err;

	ck_assert_int_eq(parse(text, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_uint_eq(t.lost_events, 17);
	ck_assert_uint_eq(t.n, 2);
	ipol_trace_free(&t);
}
END_TEST

START_TEST(csv_both_headers_and_numbers)
{
	const char *four =
		"# a comment\n"
		"op,iova,size,paddr\n"
		"map,0x1000,4096,0x200000\n"
		"map, 65536 , 0x2000 ,2101248\n"
		"unmap,0x1000,4096,\n";
	const char *five =
		"op,iova,size,paddr,domain\n"
		"map,0x1000,4096,0x200000,7\n"
		"unmap,0x1000,4096,,7\n";
	struct ipol_trace t;
	struct ipol_trace_error err;

	ck_assert_int_eq(parse(four, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(t.format, IPOL_TRACE_CSV);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_eq(t.ev[1].iova, 65536);
	ck_assert_uint_eq(t.ev[1].size, 8192);
	ck_assert_uint_eq(t.ev[1].paddr, 0x201000);
	ck_assert_uint_eq(t.ev[1].line, 4);
	ck_assert_int_eq(t.ev[2].op, IPOL_TRACE_UNMAP);
	ck_assert_int_eq(t.ev[2].domain, -1);
	ipol_trace_free(&t);

	ck_assert_int_eq(parse(five, IPOL_TRACE_CSV, &t, &err), 0);
	ck_assert_int_eq(t.ev[0].domain, 7);
	ck_assert_int_eq(t.ev[1].domain, 7);
	ipol_trace_free(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rejections: one per rule, each with its line number                 */
/* ------------------------------------------------------------------ */

struct bad {
	const char *name;
	enum ipol_trace_format fmt;
	const char *text;
	unsigned long line;
	const char *needle;	/* a word the message must contain */
};

static const struct bad bad_inputs[] = {
	{ "not an event line", IPOL_TRACE_FTRACE,
	  MAP_LINE("0x0000000000010000", "0x0000000000011000", "0x0000000000200000", "4096")
	  "this is not ftrace\n", 2, "not an ftrace event line" },
	{ "map without paddr", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 size=4096\n",
	  1, "paddr=" },
	{ "map iova not hex", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0xZZ - 0x0000000000011000 paddr=0x0 size=4096\n",
	  1, "iova is not" },
	{ "map iova over 64 bits", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x10000000000000000 - 0x0000000000011000 paddr=0x0 size=4096\n",
	  1, "64 bits" },
	{ "map without range dash", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 0x0000000000011000 paddr=0x0 size=4096\n",
	  1, "\" - \"" },
	{ "map end differs from iova + size", IPOL_TRACE_FTRACE,
	  "# header\n"
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000012000 paddr=0x0 size=4096\n",
	  2, "differs" },
	{ "map of size 0", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000010000 paddr=0x0 size=0\n",
	  1, "size 0" },
	{ "map iova misaligned", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010800 - 0x0000000000011800 paddr=0x0 size=4096\n",
	  1, "not 4 KiB aligned" },
	{ "map size not a page multiple", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000010200 paddr=0x0 size=512\n",
	  1, "multiple of 4096" },
	{ "map paddr misaligned", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 paddr=0x10 size=4096\n",
	  1, "paddr" },
	{ "map range wraps", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0xfffffffffffff000 - 0x0000000000000000 paddr=0x0 size=8192\n",
	  1, "wraps" },
	{ "map trailing text", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 paddr=0x0 size=4096 extra\n",
	  1, "unexpected text" },
	{ "unmap without unmapped_size", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: unmap: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 size=4096\n",
	  1, "unmapped_size" },
	{ "unmapped_size not a page multiple", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: unmap: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 size=4096 unmapped_size=100\n",
	  1, "unmapped_size" },
	{ "map payload without IOMMU prefix", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: iova=0x0000000000010000 - 0x0000000000011000 paddr=0x0 size=4096\n",
	  1, "IOMMU: iova=" },
	{ "map size not decimal", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 paddr=0x0 size=x\n",
	  1, "size=" },
	{ "event without a name", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: : whatever\n", 1, "event name" },
	{ "NUL byte", IPOL_TRACE_AUTO, NULL, 2, "NUL" },
	{ "line too long", IPOL_TRACE_AUTO, NULL, 1, "longer than" },
	{ "no events at all", IPOL_TRACE_AUTO,
	  "# only comments\n\n", 0, "no map or unmap" },
	{ "csv without header", IPOL_TRACE_CSV,
	  "map,0x1000,4096,0x200000\n", 1, "CSV header" },
	{ "csv too few fields", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,4096\n", 2, "found 3" },
	{ "csv too many fields", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,4096,0x0,1,2\n", 2, "more than 5" },
	{ "csv domain missing in a 5-column file", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr,domain\nmap,0x1000,4096,0x0\n", 2, "found 4" },
	{ "csv bad op", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmapp,0x1000,4096,0x0\n", 2, "\"map\" or \"unmap\"" },
	{ "csv empty iova", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,,4096,0x0\n", 2, "\"iova\" is empty" },
	{ "csv size not a number", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,4k,0x0\n", 2, "\"size\" is not a number" },
	{ "csv negative number", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,-4096,4096,0x0\n", 2, "\"iova\" is not a number" },
	{ "csv number over 64 bits", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,18446744073709551616,4096,0x0\n", 2, "64 bits" },
	{ "csv map without paddr", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,4096,\n", 2, "\"paddr\" is empty" },
	{ "csv unmap with paddr", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nunmap,0x1000,4096,0x2000\n", 2, "no paddr" },
	{ "csv domain too large", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr,domain\nmap,0x1000,4096,0x0,65536\n", 2, "65535" },
	{ "csv misaligned size", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\n\nmap,0x1000,100,0x0\n", 3, "multiple of 4096" },
	{ "csv unmap of size 0", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nunmap,0x1000,0,\n", 2, "size 0" },
	{ "csv map of size 0", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,0,0x0\n", 2, "map of size 0" },
	{ "csv map iova + size wraps", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0xfffffffffffff000,0x2000,0x0\n", 2, "wraps past 2^64" },
	{ "csv map paddr + size wraps", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nmap,0x1000,0x2000,0xfffffffffffff000\n", 2, "map paddr" },
	{ "csv unmap iova + size wraps", IPOL_TRACE_AUTO,
	  "op,iova,size,paddr\nunmap,0xffffffffffffe000,0x4000,\n", 2, "unmap range" },
	{ "unmap iova + unmapped_size wraps", IPOL_TRACE_FTRACE,
	  "  a-1 [000] ..... 1.0: unmap: IOMMU: iova=0xffffffffffffe000 - 0xfffffffffffff000 size=4096 unmapped_size=8192\n",
	  1, "unmapped_size wraps" },
	{ "lost-event counts over 2^64", IPOL_TRACE_FTRACE,
	  "CPU:0 [LOST 18446744073709551615 EVENTS]\n"
	  "CPU:1 [LOST 1 EVENTS]\n", 2, "lost-event counts" },
};

START_TEST(rejection_has_line_and_reason)
{
	const struct bad *b = &bad_inputs[_i];
	struct ipol_trace t;
	struct ipol_trace_error err;
	char *text;
	size_t len;
	int ret;

	if (!strcmp(b->name, "NUL byte")) {
		static const char nul[] = "op,iova,size,paddr\nmap,0x1000\0,4096,0x0\n";

		len = sizeof(nul) - 1;
		text = malloc(len);
		ck_assert_ptr_nonnull(text);
		memcpy(text, nul, len);
	} else if (!strcmp(b->name, "line too long")) {
		len = IPOL_TRACE_MAX_LINE + 10;
		text = malloc(len);
		ck_assert_ptr_nonnull(text);
		memset(text, 'x', len);
	} else {
		len = strlen(b->text);
		text = malloc(len);
		ck_assert_ptr_nonnull(text);
		memcpy(text, b->text, len);
	}
	memset(&t, 0, sizeof(t));
	ret = ipol_trace_parse(text, len, b->fmt, &t, &err);
	ck_assert_msg(ret == -EINVAL, "%s: accepted (%d)", b->name, ret);
	ck_assert_msg(err.line == b->line, "%s: line %lu, expected %lu (%s)",
		      b->name, err.line, b->line, err.msg);
	ck_assert_msg(strstr(err.msg, b->needle), "%s: message \"%s\" lacks \"%s\"",
		      b->name, err.msg, b->needle);
	ipol_trace_free(&t);
	free(text);
}
END_TEST

START_TEST(load_reports_unreadable_files)
{
	struct ipol_trace t = { 0 };
	struct ipol_trace_error err;

	ck_assert_int_eq(ipol_trace_load("/nonexistent/trace", IPOL_TRACE_AUTO, &t, &err),
			 -ENOENT);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
	ck_assert_int_eq(ipol_trace_load("/", IPOL_TRACE_AUTO, &t, &err), -EISDIR);
	ipol_trace_free(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Replay plans, worked by hand                                        */
/* ------------------------------------------------------------------ */

static struct ipol_plan *plan_of(const char *text, struct ipol_plan_info *info)
{
	struct ipol_trace t;
	struct ipol_trace_error err;
	struct ipol_plan *pl = NULL;
	unsigned long line;
	char msg[200];

	ck_assert_int_eq(parse(text, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, &line, msg, sizeof(msg)), 0);
	ipol_plan_get_info(pl, info);
	ipol_trace_free(&t);
	return pl;
}

START_TEST(plan_partial_unmap_splits_the_map)
{
	/* B (2 pages) is unmapped page by page: it is replayed as two
	 * segments, and the two unmaps end one each. */
	const char *text =
		"op,iova,size,paddr\n"
		"map,0x10000,4096,0x200000\n"	/* A */
		"map,0x11000,8192,0x201000\n"	/* B */
		"unmap,0x10000,4096,\n"
		"map,0x10000,4096,0x200000\n"	/* A again */
		"unmap,0x11000,4096,\n"
		"unmap,0x12000,4096,\n"
		"unmap,0x10000,4096,\n";
	struct ipol_plan_info in;
	struct ipol_plan *pl = plan_of(text, &in);

	ck_assert_uint_eq(in.maps, 3);
	ck_assert_uint_eq(in.unmaps, 4);
	ck_assert_uint_eq(in.segments, 4);
	ck_assert_uint_eq(in.unmatched_unmaps, 0);
	ck_assert_uint_eq(in.live_at_end, 0);
	ck_assert_uint_eq(in.domains, 1);
	ck_assert_uint_eq(in.max_paddr_end, 0x203000);
	/* B was cut at offset 4096; the unmap at 0x12000 ends that piece. */
	ck_assert_uint_eq(pl->recs[1].ncuts, 1);
	ck_assert_uint_eq(pl->recs[1].cuts[0], 4096);
	ck_assert_uint_eq(pl->ops[5].n, 1);
	ck_assert_uint_eq(pl->rm[pl->ops[5].first].rec, 1);
	ck_assert_uint_eq(pl->rm[pl->ops[5].first].off, 4096);
	ipol_plan_free(pl);
}
END_TEST

START_TEST(plan_sg_unmap_takes_tiled_maps)
{
	/* Three maps unmapped by one range (an sg list): one op, three pieces. */
	const char *text =
		"op,iova,size,paddr\n"
		"map,0x20000,4096,0x300000\n"
		"map,0x21000,4096,0x500000\n"
		"map,0x22000,8192,0x700000\n"
		"unmap,0x20000,16384,\n";
	struct ipol_plan_info in;
	struct ipol_plan *pl = plan_of(text, &in);

	ck_assert_uint_eq(in.segments, 3);
	ck_assert_uint_eq(pl->ops[3].n, 3);
	ck_assert_uint_eq(in.live_at_end, 0);
	ipol_plan_free(pl);
}
END_TEST

START_TEST(plan_infers_domains_sharing_iovas)
{
	/*
	 * The real capture's shape: a 16 MiB identity map in one domain, then
	 * another device maps 8 KiB at IOVA 0 and unmaps it page by page, and
	 * two devices use the same top-down IOVA.
	 */
	const char *text =
		MAP_LINE("0x0000000000000000", "0x0000000001000000", "0x0000000000000000", "16777216")
		MAP_LINE("0x00000000fffff000", "0x0000000100000000", "0x0000000008000000", "4096")
		MAP_LINE("0x00000000fffff000", "0x0000000100000000", "0x0000000009000000", "4096")
		MAP_LINE("0x0000000000000000", "0x0000000000002000", "0x000000000a000000", "8192")
		UNMAP_LINE("0x0000000000000000", "0x0000000000001000", "4096", "4096")
		UNMAP_LINE("0x0000000000001000", "0x0000000000002000", "4096", "4096")
		UNMAP_LINE("0x00000000fffff000", "0x0000000100000000", "4096", "4096")
		UNMAP_LINE("0x00000000fffff000", "0x0000000100000000", "4096", "4096")
		UNMAP_LINE("0x00000000fffff000", "0x0000000100000000", "4096", "4096");
	struct ipol_plan_info in;
	struct ipol_plan *pl = plan_of(text, &in);

	ck_assert_uint_eq(in.domains, 2);
	/* The 8 KiB map is split once; the identity map never. */
	ck_assert_uint_eq(pl->recs[0].ncuts, 0);
	ck_assert_uint_eq(pl->recs[3].ncuts, 1);
	ck_assert_uint_eq(in.segments, 5);
	/* Both halves of the 8 KiB map, not pieces of the identity map. */
	ck_assert_uint_eq(pl->rm[pl->ops[4].first].rec, 3);
	ck_assert_uint_eq(pl->rm[pl->ops[5].first].rec, 3);
	/* Same IOVA in two domains: the oldest mapping goes first. */
	ck_assert_uint_eq(pl->rm[pl->ops[6].first].rec, 1);
	ck_assert_uint_eq(pl->rm[pl->ops[7].first].rec, 2);
	/* The third unmap of that IOVA finds nothing. */
	ck_assert_uint_eq(pl->ops[8].n, 0);
	ck_assert_uint_eq(in.unmatched_unmaps, 1);
	ck_assert_uint_eq(in.unmatched_bytes, 4096);
	ck_assert_uint_eq(in.live_at_end, 1);
	ipol_plan_free(pl);
}
END_TEST

START_TEST(plan_csv_domain_overlap_is_an_error)
{
	const char *text =
		"op,iova,size,paddr,domain\n"
		"map,0x10000,8192,0x200000,1\n"
		"map,0x10000,4096,0x300000,2\n"	/* another domain: fine */
		"map,0x11000,4096,0x400000,1\n";	/* overlaps line 2 */
	struct ipol_trace t;
	struct ipol_trace_error err;
	struct ipol_plan *pl = NULL;
	unsigned long line;
	char msg[200];

	ck_assert_int_eq(parse(text, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 4);
	ck_assert_ptr_nonnull(strstr(msg, "overlaps a live mapping of domain 1"));
	ck_assert_ptr_null(pl);
	ipol_trace_free(&t);
}
END_TEST

START_TEST(plan_real_capture_resolves_every_unmap)
{
	/* The capture is in the repository (tests/data/README.md says where
	 * it came from); missing, it fails the test like any other defect. */
	char path[4096];
	struct ipol_trace t = { 0 };
	struct ipol_trace_error err = { 0 };
	struct ipol_plan *pl;
	struct ipol_plan_info in;
	unsigned long line;
	char msg[200];
	int ret;

	snprintf(path, sizeof(path), "%s/tests/data/traces/linux-6.1-q35-strict.trace",
		 top_srcdir());
	ret = ipol_trace_load(path, IPOL_TRACE_AUTO, &t, &err);
	ck_assert_msg(ret == 0, "%s: %s (%d)", path, err.msg, ret);
	ck_assert_uint_eq(t.n, 924 + 326);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, &line, msg, sizeof(msg)), 0);
	ipol_plan_get_info(pl, &in);
	ck_assert_uint_eq(in.maps, 924);
	ck_assert_uint_eq(in.unmaps, 326);
	ck_assert_uint_eq(in.unmatched_unmaps, 0);
	ck_assert_uint_ge(in.domains, 2);
	ipol_plan_free(pl);
	ipol_trace_free(&t);
}
END_TEST

START_TEST(plan_csv_domains_are_bounded)
{
	/* 1024 address spaces, as inference allows; the 1025th is refused. */
	size_t cap = 64 + 1100 * 40, len = 0;
	char *text = malloc(cap);
	struct ipol_trace t;
	struct ipol_trace_error err;
	struct ipol_plan *pl = NULL;
	unsigned long line;
	char msg[200];
	int d;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "op,iova,size,paddr,domain\n");
	for (d = 0; d < 1100; d++)
		len += (size_t)snprintf(text + len, cap - len, "map,0x1000,4096,0x0,%d\n", d);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ipol_trace_parse(text, len, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 1026);
	ck_assert_ptr_nonnull(strstr(msg, "more than 1024 distinct domains"));
	ck_assert_ptr_null(pl);
	ipol_trace_free(&t);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits of the replay platform (replay-check.c)                      */
/* ------------------------------------------------------------------ */

/* Small limits, so that tests cross them with a few lines. */
static const struct ipol_replay_limits small_limits = {
	.addr_width = 20,
	.iova_space = 1u << 20,
	.max_paddr = 64u << 20,
	.max_live = 16u << 10,
	.iova_alloc = true,
};

/* Parse and plan @text (both must succeed), then check it against @lim. */
static int check_limits(const char *text, const struct ipol_replay_limits *lim,
			unsigned long *line, char *msg, size_t msglen)
{
	struct ipol_trace t;
	struct ipol_trace_error err;
	struct ipol_plan *pl = NULL;
	int ret;

	ck_assert_int_eq(parse(text, IPOL_TRACE_AUTO, &t, &err), 0);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, line, msg, msglen), 0);
	ret = ipol_replay_check(&t, pl, lim, line, msg, msglen);
	ipol_plan_free(pl);
	ipol_trace_free(&t);
	return ret;
}

START_TEST(limit_map_larger_than_the_address_width)
{
	/* The map of the issue: 2^63 bytes, far beyond any VT-d width. */
	const char *text = "op,iova,size,paddr\n"
			   "map,0x10000,4096,0x0\n"
			   "map,0x0,0x8000000000000000,0x0\n";
	struct ipol_replay_limits lim = small_limits;
	unsigned long line;
	char msg[320];

	lim.addr_width = 48;
	lim.iova_space = (1ull << 48) - (1u << 20);
	lim.max_paddr = 1ull << 40;
	lim.max_live = 1ull << 40;
	ck_assert_int_eq(check_limits(text, &lim, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_assert_msg(strstr(msg, "map size 0x8000000000000000 bytes (8 EiB) is larger than "
			     "the replayed unit's I/O address space: 48-bit address width"),
		      "%s", msg);
	/* direct allocates no IOVA: the same map then ends above the memory. */
	lim.iova_alloc = false;
	ck_assert_int_eq(check_limits(text, &lim, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_assert_msg(strstr(msg, "ends above 0x10000000000 bytes (1 TiB), the most physical "
			     "memory"), "%s", msg);
}
END_TEST

START_TEST(limit_map_beyond_the_sim_memory)
{
	const char *text = "op,iova,size,paddr\n"
			   "map,0x0,4096,0x3fff000\n"	/* ends at 64 MiB: fine */
			   "map,0x1000,8192,0x3fff000\n";	/* one page beyond */
	unsigned long line;
	char msg[320];

	ck_assert_int_eq(check_limits(text, &small_limits, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_assert_msg(strstr(msg, "map of physical [0x3fff000, 0x4001000) ends above "
			     "0x4000000 bytes (64 MiB)"), "%s", msg);
}
END_TEST

START_TEST(limit_live_mappings_count_what_unmaps_left)
{
	/* 16 KiB may be live.  The partial unmap frees 4 KiB of A, so C
	 * fits; D is one page too many. */
	const char *text = "op,iova,size,paddr\n"
			   "map,0x10000,8192,0x0\n"		/* A: 8 KiB live */
			   "map,0x20000,8192,0x0\n"		/* B: 16 KiB */
			   "unmap,0x10000,4096,\n"		/* 12 KiB */
			   "map,0x30000,4096,0x0\n"		/* C: 16 KiB */
			   "map,0x40000,4096,0x0\n";		/* D: 20 KiB */
	struct ipol_replay_limits lim = small_limits;
	unsigned long line;
	char msg[320];

	ck_assert_int_eq(check_limits(text, &lim, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 6);
	ck_assert_msg(strstr(msg, "live mappings of all address spaces add up to 0x5000 "
			     "bytes (20 KiB) at this map, more than 0x4000 bytes (16 KiB), "
			     "the most the replay sizes"), "%s", msg);
	/* When the IOVA space is the tighter limit, it is the one named. */
	lim.max_live = 1u << 20;
	lim.iova_space = 12u << 10;
	ck_assert_int_eq(check_limits(text, &lim, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_assert_msg(strstr(msg, "the I/O address space the strategies allocate from"),
		      "%s", msg);
	/* ... unless only direct runs, which allocates none. */
	lim.iova_alloc = false;
	ck_assert_int_eq(check_limits(text, &lim, &line, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(limit_unmap_sizes_over_2_64)
{
	const char *text = "op,iova,size,paddr\n"
			   "map,0x10000,4096,0x0\n"
			   "unmap,0x0,0xfffffffffffff000,\n"
			   "unmap,0x0,0x2000,\n";
	unsigned long line;
	char msg[320];

	ck_assert_int_eq(check_limits(text, &small_limits, &line, msg, sizeof(msg)), -EINVAL);
	ck_assert_uint_eq(line, 4);
	ck_assert_ptr_nonnull(strstr(msg, "unmap sizes add up to more than 2^64 bytes"));
}
END_TEST

START_TEST(limit_need_is_the_peak)
{
	/* small.csv's shape: A (1 page), B (2 pages, split by its unmaps). */
	struct ipol_plan_info in;
	struct ipol_plan *pl = plan_of("op,iova,size,paddr\n"
				       "map,0x10000,4096,0x100000\n"
				       "map,0x20000,8192,0x200000\n"
				       "unmap,0x20000,4096,\n"
				       "unmap,0x21000,4096,\n"
				       "map,0x30000,4096,0x300000\n", &in);
	struct ipol_replay_need need;
	uint64_t reserve;

	ipol_replay_need(pl, &need);
	ck_assert_uint_eq(need.peak_live_bytes, 12288);
	ck_assert_uint_eq(need.peak_live_pieces, 3);
	/* Whole 2 MiB blocks, twice what the live mappings could need. */
	reserve = ipol_replay_table_reserve(&need);
	ck_assert_uint_eq(reserve % (2u << 20), 0);
	ck_assert_uint_ge(reserve, 2 * (12288 / 512 + 3 * 3 * 4096));
	ipol_plan_free(pl);
}
END_TEST

START_TEST(limit_real_capture_is_within)
{
	char path[4096];
	struct ipol_trace t = { 0 };
	struct ipol_trace_error err = { 0 };
	struct ipol_plan *pl;
	struct ipol_replay_limits lim = {
		.addr_width = 48, .iova_space = (1ull << 48) - (1u << 20),
		.max_paddr = 1ull << 40, .max_live = 1ull << 40, .iova_alloc = true,
	};
	unsigned long line;
	char msg[320];
	int ret;

	snprintf(path, sizeof(path), "%s/tests/data/traces/linux-6.1-q35-strict.trace",
		 top_srcdir());
	ret = ipol_trace_load(path, IPOL_TRACE_AUTO, &t, &err);
	ck_assert_msg(ret == 0, "%s: %s (%d)", path, err.msg, ret);
	ck_assert_int_eq(ipol_plan_build(&t, &pl, &line, msg, sizeof(msg)), 0);
	ret = ipol_replay_check(&t, pl, &lim, &line, msg, sizeof(msg));
	ck_assert_msg(ret == 0, "line %lu: %s", line, msg);
	ipol_plan_free(pl);
	ipol_trace_free(&t);
}
END_TEST

Suite *cli_suite(void);

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("trace_accepts");
	tcase_add_test(tc, ftrace_events_parsed_others_skipped);
	tcase_add_test(tc, ftrace_unmapped_size_is_replayed);
	tcase_add_test(tc, ftrace_lost_events_counted);
	tcase_add_test(tc, csv_both_headers_and_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("trace_rejects");
	tcase_add_loop_test(tc, rejection_has_line_and_reason, 0,
			    sizeof(bad_inputs) / sizeof(bad_inputs[0]));
	tcase_add_test(tc, load_reports_unreadable_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay_plan");
	tcase_add_test(tc, plan_partial_unmap_splits_the_map);
	tcase_add_test(tc, plan_sg_unmap_takes_tiled_maps);
	tcase_add_test(tc, plan_infers_domains_sharing_iovas);
	tcase_add_test(tc, plan_csv_domain_overlap_is_an_error);
	tcase_add_test(tc, plan_real_capture_resolves_every_unmap);
	tcase_add_test(tc, plan_csv_domains_are_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay_limits");
	tcase_add_test(tc, limit_map_larger_than_the_address_width);
	tcase_add_test(tc, limit_map_beyond_the_sim_memory);
	tcase_add_test(tc, limit_live_mappings_count_what_unmaps_left);
	tcase_add_test(tc, limit_unmap_sizes_over_2_64);
	tcase_add_test(tc, limit_need_is_the_peak);
	tcase_add_test(tc, limit_real_capture_is_within);
	suite_add_tcase(s, tc);
	return s;
}
