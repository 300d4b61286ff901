// SPDX-License-Identifier: MIT
/*
 * options.c - options every subcommand shares (output format, strategy
 * list and knobs, --check) and those of the NIC simulation (compare and
 * sweep), their validation, and the common ending of a subcommand:
 * print, plot, check bounds, choose the exit code.
 *
 * Every error is one line on stderr and exit code 2 (usage) before
 * anything runs; --plot files that cannot be written are exit code 1,
 * also before anything runs; failures while running are exit code 1, a
 * platform that cannot start is 4, and --check turns a broken exposure
 * bound into 5.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

const char ipol_help_common[] =
"Output:\n"
"      --json               JSON (schema iommu-policy/1, docs/iommu-policy.md)\n"
"      --csv                CSV with a header line\n"
"  -o, --output FILE        write the results to FILE instead of stdout\n"
"      --plot FILE.png|.svg also write FILE.dat and FILE.gp and run gnuplot\n"
"      --progress           progress bar on stderr (default: when it is a terminal)\n"
"      --no-progress        no progress bar\n"
"      --check              exit 5 when a measured exposure breaks its strategy's bound\n"
"Strategies:\n"
"  -s, --strategies LIST    comma list of direct,strict,optimistic,deferred (default all)\n"
"      --inval-latency T    the sim model's time per invalidation wait (default 800ns;\n"
"                           0 on qemu, the only value allowed there); T takes ns, us,\n"
"                           ms or s\n"
"      --quota N            optimistic: cached mappings (default 256)\n"
"      --age T              optimistic: age limit of a cached mapping (default 1ms)\n"
"      --batch N            deferred: unmaps per flush and queue (default 256)\n"
"      --interval T         deferred: longest wait for a flush (default 10ms)\n"
"      --queues N           deferred: flush queues (default 8)\n"
"  -h, --help               this help\n";

const char ipol_help_nic[] =
"Simulated NIC:\n"
"  -w, --workloads LIST     comma list of netperf-16k,netperf-256,memcached,apache\n"
"  -p, --platform P         sim (default), qemu (QEMU's VT-d model, edu DMA) or\n"
"                           viommu (the driver as a vIOMMU guest, DMA through\n"
"                           the shadow in a host domain on the sim)\n"
"  -n, --packets N          descriptors per run, RX + TX (default 50000; qemu 200)\n"
"  -r, --ring-size N        descriptors per RX and TX ring (default 256)\n"
"  -b, --buffer-size SIZE   RX buffer size, 256..64K (default 2048)\n"
"  -t, --threads N          queues, one driver thread each (default 1)\n"
"      --budget N           descriptors per poll (default 64; qemu 8)\n"
"      --probe-budget N     stale-IOVA retries per poll and queue (default 16;\n"
"                           qemu 1; 0 = no exposure probe)\n"
"      --probe-watch N      unmapped buffers watched per queue (default 4096)\n"
"      --seed N             workload generator seed (default 1)\n";

void ipol_opts_init(struct ipol_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->progress = -1;
	o->knobs.quota = LIOMMU_DMA_DEFAULT_QUOTA;
	o->knobs.age_ns = LIOMMU_DMA_DEFAULT_AGE_NS;
	o->knobs.batch = LIOMMU_DMA_DEFAULT_BATCH;
	o->knobs.interval_ns = LIOMMU_DMA_DEFAULT_INTERVAL_NS;
	o->knobs.queues = 8;
	o->nic.platform = IPOL_PLATFORM_SIM;
	o->nic.ring = 256;
	o->nic.buffer = 2048;
	o->nic.threads = 1;
	o->nic.probe_watch = 4096;
	o->nic.seed = 1;
}

static int bad(struct ipol_opts *o, const char *opt, const char *arg, const char *want)
{
	return ipol_usage(o->cmd, "invalid %s '%s': %s", opt, arg, want);
}

static int parse_strategies(struct ipol_opts *o, const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	if (!dup)
		return ipol_usage(o->cmd, "out of memory");
	memset(o->strategy, 0, sizeof(o->strategy));
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum liommu_dma_strategy s;
		int i;

		if (!strcmp(tok, "all")) {
			for (i = 0; i < LIOMMU_DMA_NR_STRATEGIES; i++)
				o->strategy[i] = true;
			continue;
		}
		if (liommu_dma_strategy_parse(tok, &s)) {
			ret = bad(o, "strategy", tok,
				  "expected direct, strict, optimistic, deferred or all");
			break;
		}
		o->strategy[s] = true;
	}
	free(dup);
	if (!ret && !memchr(o->strategy, true, sizeof(o->strategy)))
		ret = bad(o, "--strategies", arg, "empty list");
	o->strategy_set = true;
	return ret;
}

static int parse_workloads(struct ipol_opts *o, const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	if (!dup)
		return ipol_usage(o->cmd, "out of memory");
	memset(o->workload, 0, sizeof(o->workload));
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct ipol_workload *w;
		size_t i;

		if (!strcmp(tok, "all")) {
			for (i = 0; i < ipol_nr_workloads; i++)
				o->workload[i] = true;
			continue;
		}
		w = ipol_workload_find(tok);
		if (!w) {
			ret = bad(o, "workload", tok,
				  "expected netperf-16k, netperf-256, memcached, apache or all");
			break;
		}
		o->workload[w - ipol_workloads] = true;
	}
	free(dup);
	if (!ret && !memchr(o->workload, true, sizeof(o->workload)))
		ret = bad(o, "--workloads", arg, "empty list");
	o->workload_set = true;
	return ret;
}

static int num(struct ipol_opts *o, const char *opt, const char *arg,
	       uint64_t min, uint64_t max, uint64_t *out)
{
	char want[96];

	if (!ipol_parse_uint(arg, min, max, out))
		return 0;
	snprintf(want, sizeof(want), "expected an integer from %" PRIu64 " to %" PRIu64,
		 min, max);
	return bad(o, opt, arg, want);
}

static int dur(struct ipol_opts *o, const char *opt, const char *arg,
	       uint64_t min, uint64_t max, uint64_t *out)
{
	char want[128];

	if (!ipol_parse_duration(arg, out) && *out >= min && *out <= max)
		return 0;
	snprintf(want, sizeof(want), "expected a duration from %" PRIu64 " ns to %"
		 PRIu64 " ns (units ns, us, ms, s)", min, max);
	return bad(o, opt, arg, want);
}

int ipol_opts_common(struct ipol_opts *o, int c, const char *arg)
{
	uint64_t v;
	int ret = 0;

	switch (c) {
	case IPOL_OPT_JSON:
	case IPOL_OPT_CSV:
		if (o->fmt_set)
			return ipol_usage(o->cmd, "--json and --csv exclude each other");
		o->fmt = c == IPOL_OPT_JSON ? IPOL_FMT_JSON : IPOL_FMT_CSV;
		o->fmt_set = true;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case IPOL_OPT_PLOT:
		if (ipol_plot_check_path(arg))
			return bad(o, "--plot", arg, "expected a FILE.png or FILE.svg path");
		o->plot = arg;
		return 0;
	case IPOL_OPT_PROGRESS:
		o->progress = 1;
		return 0;
	case IPOL_OPT_NO_PROGRESS:
		o->progress = 0;
		return 0;
	case IPOL_OPT_CHECK:
		o->check = true;
		return 0;
	case 's':
		return parse_strategies(o, arg);
	case IPOL_OPT_INVAL:
		ret = dur(o, "--inval-latency", arg, 0, 1000000000ull, &o->knobs.inval_latency_ns);
		o->inval_set = true;
		return ret;
	case IPOL_OPT_QUOTA:
		ret = num(o, "--quota", arg, 1, 1u << 20, &v);
		o->knobs.quota = (unsigned int)v;
		return ret;
	case IPOL_OPT_AGE:
		return dur(o, "--age", arg, 1000, 10000000000ull, &o->knobs.age_ns);
	case IPOL_OPT_BATCH:
		ret = num(o, "--batch", arg, 1, 1u << 20, &v);
		o->knobs.batch = (unsigned int)v;
		return ret;
	case IPOL_OPT_INTERVAL:
		return dur(o, "--interval", arg, 1000, 10000000000ull, &o->knobs.interval_ns);
	case IPOL_OPT_QUEUES:
		ret = num(o, "--queues", arg, 1, 256, &v);
		o->knobs.queues = (unsigned int)v;
		return ret;
	default:
		return -1;
	}
}

int ipol_opts_nic(struct ipol_opts *o, int c, const char *arg)
{
	uint64_t v;
	int ret;

	switch (c) {
	case 'w':
		return parse_workloads(o, arg);
	case 'p':
		if (ipol_platform_parse(arg, &o->nic.platform))
			return bad(o, "--platform", arg, "expected sim, qemu or viommu");
		return 0;
	case 'n':
		o->packets_set = true;
		return num(o, "--packets", arg, 1, 1000000000ull, &o->nic.packets);
	case 'r':
		ret = num(o, "--ring-size", arg, 8, 4096, &v);
		o->nic.ring = (unsigned int)v;
		return ret;
	case 'b':
		if (ipol_parse_size(arg, 256, IPOL_TX_MAX, &v))
			return bad(o, "--buffer-size", arg, "expected a size from 256 to 64K");
		o->nic.buffer = (unsigned int)v;
		return 0;
	case 't':
		ret = num(o, "--threads", arg, 1, 64, &v);
		o->nic.threads = (unsigned int)v;
		return ret;
	case IPOL_OPT_BUDGET:
		ret = num(o, "--budget", arg, 1, 4096, &v);
		o->nic.budget = (unsigned int)v;
		o->budget_set = true;
		return ret;
	case IPOL_OPT_PROBE_BUDGET:
		ret = num(o, "--probe-budget", arg, 0, 4096, &v);
		o->nic.probe_budget = (unsigned int)v;
		o->probe_budget_set = true;
		return ret;
	case IPOL_OPT_PROBE_WATCH:
		ret = num(o, "--probe-watch", arg, 16, 1u << 20, &v);
		o->nic.probe_watch = (unsigned int)v;
		return ret;
	case IPOL_OPT_SEED:
		return num(o, "--seed", arg, 0, UINT64_MAX, &o->nic.seed);
	default:
		return -1;
	}
}

static int opts_finish(struct ipol_opts *o, bool nic)
{
	const bool qemu = o->nic.platform == IPOL_PLATFORM_QEMU;
	size_t i;

	if (!o->strategy_set)
		for (i = 0; i < LIOMMU_DMA_NR_STRATEGIES; i++)
			o->strategy[i] = true;
	if (!o->inval_set)
		o->knobs.inval_latency_ns = qemu ? 0 : IPOL_INVAL_LATENCY_DEFAULT_NS;
	/* The latency is the sim model's (liommu_model_config); QEMU's
	 * invalidations take the time they take. */
	if (qemu && o->knobs.inval_latency_ns)
		return ipol_usage(o->cmd, "--inval-latency: --platform qemu has no modelled "
				  "invalidation latency (QEMU's own cost is measured); use 0 "
				  "or --platform sim");
	if (o->progress < 0)
		o->progress = isatty(STDERR_FILENO);
	if (!nic)
		return 0;
	if (!o->workload_set)
		for (i = 0; i < ipol_nr_workloads; i++)
			o->workload[i] = true;
	if (!o->packets_set)
		o->nic.packets = qemu ? 200 : 50000;
	if (!o->budget_set)
		o->nic.budget = qemu ? 8 : 64;
	if (!o->probe_budget_set)
		o->nic.probe_budget = qemu ? 1 : 16;
	o->nic.knobs = o->knobs;
	if (o->nic.budget > o->nic.ring)
		return ipol_usage(o->cmd, "--budget %u is larger than the ring (%u)",
				  o->nic.budget, o->nic.ring);
	if (qemu && o->nic.threads != 1)
		return ipol_usage(o->cmd, "--platform qemu runs one queue: edu is one "
				  "DMA engine (use --threads 1)");
	if (qemu && o->nic.buffer > 4096)
		return ipol_usage(o->cmd, "--platform qemu: --buffer-size is at most 4K "
				  "(edu's DMA buffer)");
	return 0;
}

int ipol_opts_finish(struct ipol_opts *o, bool nic)
{
	int ret = opts_finish(o, nic);

	/* After the usage checks, before anything runs: a --plot into a
	 * directory that does not exist should not cost the user a run. */
	if (!ret && o->plot)
		ret = ipol_plot_check_output(o->plot);
	return ret;
}

int ipol_getopt_error(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	/* For a short option inside a cluster, argv[optind - 1] is the cluster. */
	if (c == ':')
		return ipol_usage(cmd, "option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return ipol_usage(cmd, "unrecognised option '-%c'", optopt);
	return ipol_usage(cmd, "unrecognised option '%s'", arg);
}

int ipol_run_failed(const char *what, const char *why, int err)
{
	bool platform = !strcmp(why, "starting QEMU");

	ipol_err("%s: %s failed: %s", what, why, strerror(-err));
	return platform ? IPOL_EXIT_PLATFORM : IPOL_EXIT_FAILURE;
}

int ipol_emit(const struct ipol_opts *o, const struct ipol_report *r)
{
	FILE *out = stdout;
	int ret, code = IPOL_EXIT_OK;
	size_t i;

	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			ipol_err("cannot write %s: %s", o->output, strerror(errno));
			return IPOL_EXIT_FAILURE;
		}
	}
	ret = ipol_output(r, o->fmt, out);
	if (out != stdout && fclose(out) && !ret)
		ret = -errno;
	if (ret) {
		ipol_err("writing the results: %s", strerror(-ret));
		return IPOL_EXIT_FAILURE;
	}
	if (o->plot)
		code = ipol_plot(r, o->plot);	/* prints its own error */
	if (o->check) {
		for (i = 0; i < r->n; i++) {
			const struct ipol_result *x = &r->rows[i];

			if (x->verdict != IPOL_BOUND_BROKEN)
				continue;
			ipol_err("%s/%s: exposure bound broken: a stale DMA succeeded %"
				 PRIu64 " ns after unmap() (%" PRIu64 " stale DMAs, %" PRIu64
				 " buffers reachable at once); bound %" PRIu64 " mappings x %u, %"
				 PRIu64 " ns plus %" PRIu64 " ns of measured lateness",
				 x->workload, liommu_dma_strategy_name(x->strategy),
				 x->exp.max_ns, x->exp.stale_dmas, x->exp.max_stale,
				 x->st.bound.count, x->st.bound.queues, x->st.bound.time_ns,
				 x->late_ns > x->st.reclaim_late_ns ? x->late_ns
								    : x->st.reclaim_late_ns);
			if (code == IPOL_EXIT_OK)
				code = IPOL_EXIT_BOUND;
		}
	}
	return code;
}
