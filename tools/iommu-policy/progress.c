// SPDX-License-Identifier: MIT
/*
 * progress.c - a progress bar on stderr, drawn only when stderr is a
 * terminal (the caller decides; --progress/--no-progress override).
 *
 * Queue threads add completed packets with a relaxed atomic; whichever
 * thread notices that 100 ms have passed since the last draw claims the
 * draw with a compare-and-swap, so the bar costs one atomic add per poll
 * and one clock read.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

#define DRAW_PERIOD_NS	100000000ull
#define BAR_WIDTH	30

void ipol_progress_init(struct ipol_progress *p, bool enabled, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->total = total ? total : 1;
}

static void draw(struct ipol_progress *p)
{
	uint64_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
	unsigned int fill, pct;
	char bar[BAR_WIDTH + 1];

	if (done > p->total)
		done = p->total;
	fill = (unsigned int)(done * BAR_WIDTH / p->total);
	pct = (unsigned int)(done * 100 / p->total);
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r[%s] %3u%% %-40.40s", bar, pct, p->label);
	fflush(stderr);
}

void ipol_progress_label(struct ipol_progress *p, const char *label)
{
	if (!p || !p->enabled)
		return;
	snprintf(p->label, sizeof(p->label), "%s", label);
	draw(p);
}

void ipol_progress_add(struct ipol_progress *p, uint64_t n)
{
	uint64_t now, last;

	if (!p || !p->enabled)
		return;
	atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
	now = ipol_now_ns();
	last = atomic_load_explicit(&p->last_draw_ns, memory_order_relaxed);
	if (now - last < DRAW_PERIOD_NS)
		return;
	if (atomic_compare_exchange_strong(&p->last_draw_ns, &last, now))
		draw(p);
}

void ipol_progress_done(struct ipol_progress *p)
{
	if (!p || !p->enabled)
		return;
	/* Erase the bar so the results start on a clean line. */
	fprintf(stderr, "\r%*s\r", BAR_WIDTH + 48, "");
	fflush(stderr);
}
