// SPDX-License-Identifier: MIT
/*
 * cmd-replay.c - `iommu-policy replay FILE`: drive each strategy with the
 * map/unmap sequence of a DMA trace (Linux ftrace iommu:map/iommu:unmap
 * text, or the CSV of docs/iommu-policy.md) and report its counters.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "trace.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " IPOL_PROG " replay [OPTIONS] FILE\n"
"\n"
"Replay the maps and unmaps of a DMA trace through each strategy on the sim\n"
"platform: the same (paddr, size) sequence, with IOVAs chosen by the strategy,\n"
"and report maps, unmaps, invalidations, PTE writes, reuse hits, peak pinned\n"
"and mapped memory and page-table memory.  FILE is the ftrace text of the\n"
"iommu:map and iommu:unmap events (other events are skipped) or a CSV with the\n"
"header op,iova,size,paddr[,domain]; \"-\" reads standard input.\n"
"\n"
"      --format F           auto (default), ftrace or csv\n"
"\n%s\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage, 3 bad or unreadable trace.\n"
"See iommu-policy-replay(1) and docs/iommu-policy.md for the trace formats.\n",
		ipol_help_common);
}

int ipol_cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		IPOL_COMMON_LONGOPTS,
		{ "format", required_argument, NULL, IPOL_OPT_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	enum ipol_trace_format fmt = IPOL_TRACE_AUTO;
	struct ipol_trace t = { 0 };
	struct ipol_trace_error terr;
	struct ipol_plan *plan = NULL;
	struct ipol_report rep = { .kind = IPOL_REPORT_REPLAY };
	struct ipol_progress prog;
	struct ipol_opts o;
	const char *path;
	char *pathdup = NULL, msg[320];
	unsigned long line;
	size_t nrows = 0;
	int c, ret, s;

	ipol_opts_init(&o, "replay");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" IPOL_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return IPOL_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return ipol_getopt_error("replay", c, argv);
		if (c == IPOL_OPT_FORMAT) {
			if (!strcmp(optarg, "auto"))
				fmt = IPOL_TRACE_AUTO;
			else if (!strcmp(optarg, "ftrace"))
				fmt = IPOL_TRACE_FTRACE;
			else if (!strcmp(optarg, "csv"))
				fmt = IPOL_TRACE_CSV;
			else
				return ipol_usage("replay", "invalid --format '%s': expected "
						  "auto, ftrace or csv", optarg);
			continue;
		}
		if (c == IPOL_OPT_CHECK)
			return ipol_usage("replay", "--check needs an exposure measurement; "
					  "replay makes none (use compare or sweep)");
		ret = ipol_opts_common(&o, c, optarg);
		if (ret)
			return ret == -1 ? ipol_getopt_error("replay", '?', argv) : ret;
	}
	if (optind == argc)
		return ipol_usage("replay", "missing the trace FILE");
	if (optind + 1 < argc)
		return ipol_usage("replay", "unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];
	ret = ipol_opts_finish(&o, false);
	if (ret)
		return ret;

	ret = ipol_trace_load(path, fmt, &t, &terr);
	if (ret) {
		if (terr.line)
			ipol_err("%s:%lu: %s", path, terr.line, terr.msg);
		else
			ipol_err("%s: %s", path, terr.msg);
		ipol_trace_free(&t);
		return ret == -ENOMEM ? IPOL_EXIT_FAILURE : IPOL_EXIT_INPUT;
	}
	ret = ipol_plan_build(&t, &plan, &line, msg, sizeof(msg));
	if (ret) {
		if (ret == -EINVAL)
			ipol_err("%s:%lu: %s", path, line, msg);
		else
			ipol_err("%s: planning the replay: %s", path, strerror(-ret));
		ipol_trace_free(&t);
		return ret == -EINVAL ? IPOL_EXIT_INPUT : IPOL_EXIT_FAILURE;
	}

	/* The platform's limits, before anything runs: a trace beyond them
	 * is bad input (exit 3), not a failure of the replay. */
	{
		struct ipol_replay_limits lim;
		bool iova_alloc = false;

		for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++)
			iova_alloc |= o.strategy[s] && s != LIOMMU_DMA_DIRECT;
		ipol_replay_limits(iova_alloc, &lim);
		if (ipol_replay_check(&t, plan, &lim, &line, msg, sizeof(msg))) {
			ipol_err("%s:%lu: %s", path, line, msg);
			ret = IPOL_EXIT_INPUT;
			goto out;
		}
	}

	rep.rows = calloc(LIOMMU_DMA_NR_STRATEGIES, sizeof(*rep.rows));
	pathdup = strdup(path);
	if (!rep.rows || !pathdup) {
		ipol_err("out of memory");
		ret = IPOL_EXIT_FAILURE;
		goto out;
	}
	rep.platform = IPOL_PLATFORM_SIM;
	rep.knobs = o.knobs;
	rep.inval_default = !o.inval_set && o.knobs.inval_latency_ns;
	rep.trace_path = path;
	rep.trace_format = ipol_trace_format_name(t.format);
	ipol_plan_get_info(plan, &rep.plan);

	ipol_progress_init(&prog, o.progress, t.n * LIOMMU_DMA_NR_STRATEGIES);
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
		struct ipol_result *r = &rep.rows[nrows];
		const char *why = "replaying";
		char label[64];

		if (!o.strategy[s])
			continue;
		snprintf(label, sizeof(label), "replay/%s",
			 liommu_dma_strategy_name((enum liommu_dma_strategy)s));
		ipol_progress_label(&prog, label);
		ret = ipol_replay_run(plan, (enum liommu_dma_strategy)s, &o.knobs, r, &why);
		if (ret) {
			ipol_progress_done(&prog);
			ret = ipol_run_failed(label, why, ret);
			goto out;
		}
		snprintf(r->workload, sizeof(r->workload), "%s", basename(pathdup));
		ipol_progress_add(&prog, t.n);
		nrows++;
	}
	ipol_progress_done(&prog);
	rep.n = nrows;
	ret = ipol_emit(&o, &rep);
out:
	free(pathdup);
	free(rep.rows);
	ipol_plan_free(plan);
	ipol_trace_free(&t);
	return ret;
}
