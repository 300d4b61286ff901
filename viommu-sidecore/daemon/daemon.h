/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - what main.c and server.c of viommu-sidecore share: the
 * options and the server's life cycle.
 *
 * Threading: the server is one thread (its poll() loop); the engine's
 * sidecore thread polls the SIDECORE instances' register pages beside it
 * and calls their event callbacks.
 */
#ifndef VIOMMU_SIDECORE_DAEMON_H
#define VIOMMU_SIDECORE_DAEMON_H

#include <stdarg.h>

/* Exit codes (viommu-sidecore.8, EXIT STATUS). */
#define VSD_EXIT_OK	0	/* stopped by SIGTERM or SIGINT */
#define VSD_EXIT_ERROR	1	/* could not start (socket, engine) or a fatal error */
#define VSD_EXIT_USAGE	2	/* bad command line */

#define VSD_DEFAULT_SOCKET "/run/viommu-sidecore/viommu.sock"

struct vsd_options {
	const char *socket;	/* the listening socket's path */
	int cpu;		/* the sidecore thread's CPU, -1 = any */
};

/* One line on stderr, prefixed with the program's name. */
void vsd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run the server until SIGTERM or SIGINT.  Return: a VSD_EXIT_* code. */
int vsd_serve(const struct vsd_options *opt);

#endif /* VIOMMU_SIDECORE_DAEMON_H */
