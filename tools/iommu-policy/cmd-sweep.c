// SPDX-License-Identifier: MIT
/*
 * cmd-sweep.c - `iommu-policy sweep`: vary one parameter (optimistic
 * quota or age limit, deferred batch or interval, ring size) over a list
 * of values on one workload and print the curve (and plot it).
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define MAX_VALUES 64

struct param {
	const char *name;
	const char *descr;
	bool duration;
	/* strategies the parameter acts on (when --strategies is not given) */
	int strategy;		/* -1: all */
	const char *defaults;
	uint64_t min, max;
};

static const struct param params[] = {
	{ "quota", "optimistic: cached mappings", false, LIOMMU_DMA_OPTIMISTIC,
	  "16,32,64,128,256,512,1024", 1, 1u << 20 },
	{ "age", "optimistic: age limit", true, LIOMMU_DMA_OPTIMISTIC,
	  "50us,100us,250us,500us,1ms,2ms,5ms", 1000, 10000000000ull },
	{ "batch", "deferred: unmaps per flush", false, LIOMMU_DMA_DEFERRED,
	  "8,16,32,64,128,256,512", 1, 1u << 20 },
	{ "interval", "deferred: flush interval", true, LIOMMU_DMA_DEFERRED,
	  "100us,250us,500us,1ms,2ms,5ms,10ms", 1000, 10000000000ull },
	{ "ring", "descriptors per ring", false, -1,
	  "64,128,256,512,1024", 8, 4096 },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"Usage: " IPOL_PROG " sweep [--param NAME] [--values LIST] [OPTIONS]\n"
"\n"
"Run one workload (default netperf-256) once per value of one parameter and\n"
"print packets/s, CPU cost and measured exposure for each value: the\n"
"trade-off curve between speed and protection.\n"
"\n"
"      --param NAME         the parameter (default quota):\n");
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		fprintf(f, "                             %-9s %s (default values %s)\n",
			params[i].name, params[i].descr, params[i].defaults);
	fprintf(f,
"      --values LIST        comma list of values (durations take ns/us/ms/s)\n"
"\n%s%s\nThe parameter's strategy is swept unless --strategies says otherwise\n"
"(ring: all strategies).  Exit status: 0 ok, 1 runtime failure, 2 usage,\n"
"4 platform unavailable, 5 exposure bound broken (--check).\n"
"See iommu-policy-sweep(1).\n", ipol_help_nic, ipol_help_common);
}

static int parse_values(const struct param *p, const char *arg, uint64_t *v,
			size_t *n)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	*n = 0;
	if (!dup)
		return ipol_usage("sweep", "out of memory");
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t x;
		int r = p->duration ? ipol_parse_duration(tok, &x)
				    : ipol_parse_uint(tok, 0, UINT64_MAX, &x);

		if (r || x < p->min || x > p->max) {
			ret = ipol_usage("sweep", "invalid value '%s' for --param %s: "
					 "expected %s from %" PRIu64 " to %" PRIu64 "%s", tok,
					 p->name, p->duration ? "a duration" : "an integer",
					 p->min, p->max, p->duration ? " ns" : "");
			break;
		}
		if (*n == MAX_VALUES) {
			ret = ipol_usage("sweep", "more than %d values", MAX_VALUES);
			break;
		}
		v[(*n)++] = x;
	}
	free(dup);
	if (!ret && !*n)
		ret = ipol_usage("sweep", "--values is empty");
	return ret;
}

static void apply(const struct param *p, struct ipol_nic_config *nic, uint64_t v)
{
	if (!strcmp(p->name, "quota"))
		nic->knobs.quota = (unsigned int)v;
	else if (!strcmp(p->name, "age"))
		nic->knobs.age_ns = v;
	else if (!strcmp(p->name, "batch"))
		nic->knobs.batch = (unsigned int)v;
	else if (!strcmp(p->name, "interval"))
		nic->knobs.interval_ns = v;
	else
		nic->ring = (unsigned int)v;
}

int ipol_cmd_sweep(int argc, char **argv)
{
	static const struct option longopts[] = {
		IPOL_COMMON_LONGOPTS,
		IPOL_NIC_LONGOPTS,
		{ "param", required_argument, NULL, IPOL_OPT_PARAM },
		{ "values", required_argument, NULL, IPOL_OPT_VALUES },
		{ NULL, 0, NULL, 0 },
	};
	const struct param *p = &params[0];
	const char *values = NULL;
	uint64_t v[MAX_VALUES];
	struct ipol_opts o;
	struct ipol_report rep = { .kind = IPOL_REPORT_SWEEP };
	struct ipol_progress prog;
	const struct ipol_workload *wl = NULL;
	size_t nv, i, ns = 0, nrows = 0, k;
	int c, ret, s;

	ipol_opts_init(&o, "sweep");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" IPOL_COMMON_SHORTOPTS IPOL_NIC_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return IPOL_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return ipol_getopt_error("sweep", c, argv);
		if (c == IPOL_OPT_PARAM) {
			for (k = 0; k < sizeof(params) / sizeof(params[0]); k++)
				if (!strcmp(params[k].name, optarg))
					break;
			if (k == sizeof(params) / sizeof(params[0]))
				return ipol_usage("sweep", "invalid --param '%s': expected "
						  "quota, age, batch, interval or ring", optarg);
			p = &params[k];
			continue;
		}
		if (c == IPOL_OPT_VALUES) {
			values = optarg;
			continue;
		}
		ret = ipol_opts_common(&o, c, optarg);
		if (ret == -1)
			ret = ipol_opts_nic(&o, c, optarg);
		if (ret)
			return ret == -1 ? IPOL_EXIT_USAGE : ret;
	}
	if (optind < argc)
		return ipol_usage("sweep", "unexpected argument '%s'", argv[optind]);
	ret = parse_values(p, values ? values : p->defaults, v, &nv);
	if (ret)
		return ret;

	/* One workload: the one given, else netperf-256. */
	for (k = 0; k < ipol_nr_workloads; k++) {
		if (!o.workload[k])
			continue;
		if (wl)
			return ipol_usage("sweep", "sweep runs one workload; --workloads "
					  "names several");
		wl = &ipol_workloads[k];
	}
	if (!wl) {
		wl = ipol_workload_find("netperf-256");
		o.workload[wl - ipol_workloads] = true;
		o.workload_set = true;
	}
	if (!o.strategy_set && p->strategy >= 0) {
		o.strategy[p->strategy] = true;
		o.strategy_set = true;
	}
	ret = ipol_opts_finish(&o, true);
	if (ret)
		return ret;
	if (!strcmp(p->name, "ring"))
		for (i = 0; i < nv; i++)
			if (o.nic.budget > v[i])
				return ipol_usage("sweep", "ring %" PRIu64 " is smaller than "
						  "--budget %u", v[i], o.nic.budget);

	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++)
		ns += o.strategy[s];
	rep.rows = calloc(nv * ns, sizeof(*rep.rows));
	if (!rep.rows) {
		ipol_err("out of memory");
		return IPOL_EXIT_FAILURE;
	}
	rep.platform = o.nic.platform;
	rep.nic = o.nic;
	rep.knobs = o.knobs;
	rep.inval_default = !o.inval_set && o.knobs.inval_latency_ns;
	rep.sweep_param = p->name;

	ipol_progress_init(&prog, o.progress, o.nic.packets * nv * ns);
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
		if (!o.strategy[s])
			continue;
		for (i = 0; i < nv; i++) {
			struct ipol_nic_config nic = o.nic;
			struct ipol_result *r = &rep.rows[nrows];
			const char *why = "running";
			char label[64];

			apply(p, &nic, v[i]);
			snprintf(label, sizeof(label), "%s/%s %s=%" PRIu64, wl->name,
				 liommu_dma_strategy_name((enum liommu_dma_strategy)s),
				 p->name, v[i]);
			ipol_progress_label(&prog, label);
			ret = ipol_nic_run(&nic, wl, (enum liommu_dma_strategy)s, &prog, r, &why);
			if (ret) {
				ipol_progress_done(&prog);
				free(rep.rows);
				return ipol_run_failed(label, why, ret);
			}
			r->param = p->name;
			r->param_value = v[i];
			nrows++;
		}
	}
	ipol_progress_done(&prog);
	rep.n = nrows;
	ret = ipol_emit(&o, &rep);
	free(rep.rows);
	return ret;
}
