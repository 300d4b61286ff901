// SPDX-License-Identifier: MIT
/*
 * main.c - viommu-sidecore, the vIOMMU daemon: command line, then the
 * server (server.c).  viommu-sidecore.8 is the manual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"

void vsd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("viommu-sidecore: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: viommu-sidecore [--socket PATH] [--cpu N]\n"
		"Serve emulated VT-d units to hypervisors over a UNIX socket.\n"
		"\n"
		"  -s, --socket PATH  listen on PATH (default " VSD_DEFAULT_SOCKET ";\n"
		"                     its folder is created 0700 when missing)\n"
		"  -c, --cpu N        pin the register-page polling thread to CPU N\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"\n"
		"Exit status: 0 stopped by SIGTERM/SIGINT, 1 error, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vsd_options opt = { .socket = VSD_DEFAULT_SOCKET, .cpu = -1 };
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "s:c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.socket = optarg;
			break;
		case 'c':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 || n > INT_MAX) {
				vsd_log("--cpu: not a CPU number: %s", optarg);
				return VSD_EXIT_USAGE;
			}
			opt.cpu = (int)n;
			break;
		case 'h':
			usage(stdout);
			return VSD_EXIT_OK;
		case 'V':
			printf("viommu-sidecore %s\n", PACKAGE_VERSION);
			return VSD_EXIT_OK;
		default:
			usage(stderr);
			return VSD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		vsd_log("unexpected argument: %s", argv[optind]);
		usage(stderr);
		return VSD_EXIT_USAGE;
	}
	if (!*opt.socket) {
		vsd_log("--socket: empty path");
		return VSD_EXIT_USAGE;
	}
	return vsd_serve(&opt);
}
