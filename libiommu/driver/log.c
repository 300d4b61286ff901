// SPDX-License-Identifier: MIT
/*
 * log.c - the driver's diagnostics, routed to the caller's log callback.
 * Messages are formatted only when a callback is installed, so a silent
 * unit pays nothing for them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"

void liommu__log(const struct liommu_unit *u, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!u || !u->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u->cfg.log(u->cfg.log_priv, level, msg);
}
