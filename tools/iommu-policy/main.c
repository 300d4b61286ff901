// SPDX-License-Identifier: MIT
/*
 * main.c - iommu-policy: compare IOMMU DMA-mapping policies.
 *
 * A dispatcher table of subcommands, one file each (cmd-<name>.c).  With
 * no subcommand, or when the first argument is an option, `compare` runs.
 * Exit codes are those of enum ipol_exit (docs/iommu-policy.md).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "policy.h"

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "compare", ipol_cmd_compare,
	  "run every strategy on every built-in workload (the default)" },
	{ "sweep", ipol_cmd_sweep,
	  "vary one parameter (quota, age, batch, interval, ring) and print the curve" },
	{ "replay", ipol_cmd_replay,
	  "replay a DMA trace (ftrace iommu:map/unmap text or CSV)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " IPOL_PROG " [COMMAND] [OPTIONS]\n"
		"\nCompare IOMMU DMA-mapping strategies (direct, strict, optimistic,\n"
		"deferred): throughput, CPU cost, invalidations, pinned memory and the\n"
		"measured window in which a device can still reach unmapped buffers.\n"
		"\nCommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "help for a command (as COMMAND --help)");
	fprintf(f, "\nRun '" IPOL_PROG " COMMAND --help' for its options.  Exit status:\n"
		"0 ok, 1 runtime failure, 2 usage, 3 bad input file, 4 platform\n"
		"unavailable, 5 exposure bound broken (--check).\n");
}

static const struct cmd *find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") &&
			 strcmp(argv[1], "-h") && strcmp(argv[1], "--version")))
		return ipol_cmd_compare(argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return IPOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf(IPOL_PROG " (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return IPOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		char help[] = "--help";
		char *args[] = { argv[1], help, NULL };

		if (argc < 3) {
			usage(stdout);
			return IPOL_EXIT_OK;
		}
		c = find(argv[2]);
		if (!c)
			return ipol_usage(NULL, "unknown command '%s'", argv[2]);
		return c->run(2, args);
	}
	c = find(argv[1]);
	if (!c)
		return ipol_usage(NULL, "unknown command '%s'", argv[1]);
	return c->run(argc - 1, argv + 1);
}
