// SPDX-License-Identifier: MIT
/*
 * cmd-compare.c - `iommu-policy compare` (the default subcommand): every
 * chosen strategy on every chosen built-in workload, one table.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " IPOL_PROG " [compare] [OPTIONS]\n"
"\n"
"Run each mapping strategy on each built-in workload: a simulated NIC whose\n"
"driver maps and unmaps its RX/TX buffers through the strategy while the\n"
"device side DMAs through the VT-d model, and a device-side probe measures\n"
"how long unmapped buffers stay reachable.  Prints one row per (workload,\n"
"strategy).\n"
"\n"
"Workloads:\n");
	for (size_t i = 0; i < ipol_nr_workloads; i++)
		fprintf(f, "  %-12s %s\n", ipol_workloads[i].name, ipol_workloads[i].descr);
	fprintf(f, "\n%s%s\nExit status: 0 ok, 1 runtime failure, 2 usage, 4 platform "
		"unavailable,\n5 exposure bound broken (--check).  See iommu-policy-compare(1).\n",
		ipol_help_nic, ipol_help_common);
}

int ipol_cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		IPOL_COMMON_LONGOPTS,
		IPOL_NIC_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ipol_opts o;
	struct ipol_report rep = { .kind = IPOL_REPORT_COMPARE };
	struct ipol_progress prog;
	size_t w, nrows = 0, nw = 0, ns = 0;
	int c, ret, s;

	ipol_opts_init(&o, "compare");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" IPOL_COMMON_SHORTOPTS IPOL_NIC_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return IPOL_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return ipol_getopt_error("compare", c, argv);
		ret = ipol_opts_common(&o, c, optarg);
		if (ret == -1)
			ret = ipol_opts_nic(&o, c, optarg);
		if (ret)
			return ret == -1 ? IPOL_EXIT_USAGE : ret;
	}
	if (optind < argc)
		return ipol_usage("compare", "unexpected argument '%s'", argv[optind]);
	ret = ipol_opts_finish(&o, true);
	if (ret)
		return ret;

	for (w = 0; w < ipol_nr_workloads; w++)
		nw += o.workload[w];
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++)
		ns += o.strategy[s];
	rep.rows = calloc(nw * ns, sizeof(*rep.rows));
	if (!rep.rows) {
		ipol_err("out of memory");
		return IPOL_EXIT_FAILURE;
	}
	rep.platform = o.nic.platform;
	rep.nic = o.nic;
	rep.knobs = o.knobs;
	rep.inval_default = !o.inval_set && o.knobs.inval_latency_ns;

	ipol_progress_init(&prog, o.progress, o.nic.packets * nw * ns);
	for (w = 0; w < ipol_nr_workloads; w++) {
		if (!o.workload[w])
			continue;
		for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
			struct ipol_result *r = &rep.rows[nrows];
			char label[64], what[64];
			const char *why = "running";

			if (!o.strategy[s])
				continue;
			snprintf(label, sizeof(label), "%s/%s", ipol_workloads[w].name,
				 liommu_dma_strategy_name((enum liommu_dma_strategy)s));
			ipol_progress_label(&prog, label);
			ret = ipol_nic_run(&o.nic, &ipol_workloads[w],
					   (enum liommu_dma_strategy)s, &prog, r, &why);
			if (ret) {
				ipol_progress_done(&prog);
				snprintf(what, sizeof(what), "%s", label);
				free(rep.rows);
				return ipol_run_failed(what, why, ret);
			}
			nrows++;
		}
	}
	ipol_progress_done(&prog);
	rep.n = nrows;
	ret = ipol_emit(&o, &rep);
	free(rep.rows);
	return ret;
}
