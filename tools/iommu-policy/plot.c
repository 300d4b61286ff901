// SPDX-License-Identifier: MIT
/*
 * plot.c - --plot FILE.png|FILE.svg: write the data (FILE.dat) and a
 * gnuplot script (FILE.gp) next to the image and run gnuplot on them.
 * No plotting code of our own: the .gp file is the plot, and it can be
 * edited and rerun by hand.
 *
 *  - compare: packets/s against measured exposure (max time a stale DMA
 *    still succeeded after unmap), one point per strategy, one series per
 *    workload;
 *  - sweep: packets/s (left axis) and measured exposure (right axis)
 *    against the swept parameter, one curve per strategy;
 *  - replay: invalidations and PTE writes per strategy (bars).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"

extern char **environ;

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	if (!dot || (slash && dot < slash))
		return NULL;
	return dot + 1;
}

int ipol_plot_check_path(const char *path)
{
	const char *e = ext_of(path);

	if (!e || (strcmp(e, "png") && strcmp(e, "svg")))
		return -EINVAL;
	if ((size_t)(e - path) < 2)	/* ".png" alone has no name */
		return -EINVAL;
	return 0;
}

/* A gnuplot single-quoted string: only ' needs escaping (as ''). */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static const char *sname(const struct ipol_result *r)
{
	const char *s = liommu_dma_strategy_name(r->strategy);

	return s ? s : "?";
}

static void terminal(FILE *gp, const char *ext, const char *img)
{
	if (!strcmp(ext, "svg"))
		fputs("set terminal svg size 1000,650 dynamic background '#ffffff'\n", gp);
	else
		fputs("set terminal png size 1000,650\n", gp);
	fputs("set output ", gp);
	gp_str(gp, img);
	fputs("\nset grid\nset key outside right top\n", gp);
}

/*
 * A strategy's bound as the text table's BOUND column prints it
 * (output.c h_bound(), which is static there; tests/cli-compare.sh
 * checks that both print the same strings).
 */
static void bound_str(char *b, size_t n, const struct liommu_dma_bound *bd)
{
	double ns = (double)bd->time_ns;
	char t[32];

	if (bd->unbounded) {
		snprintf(b, n, "unbounded");
		return;
	}
	if (!bd->count && !bd->time_ns) {
		snprintf(b, n, "none");
		return;
	}
	if (ns >= 1e9)
		snprintf(t, sizeof(t), "%.2fs", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(t, sizeof(t), "%.2fms", ns / 1e6);
	else if (ns >= 1e4)
		snprintf(t, sizeof(t), "%.1fus", ns / 1e3);
	else
		snprintf(t, sizeof(t), "%.0fns", ns);
	if (bd->queues > 1)
		snprintf(b, n, "%" PRIu64 "x%u/%s", bd->count, bd->queues, t);
	else
		snprintf(b, n, "%" PRIu64 "/%s", bd->count, t);
}

/* A power of ten in us as a tic label: 100ns, 10us, 1ms, 10s. */
static void decade_label(char *b, size_t n, double us)
{
	double ns = us * 1e3;

	if (ns < 999.5)
		snprintf(b, n, "%.0fns", ns);
	else if (ns < 999.5e3)
		snprintf(b, n, "%.0fus", ns / 1e3);
	else if (ns < 999.5e6)
		snprintf(b, n, "%.0fms", ns / 1e6);
	else
		snprintf(b, n, "%.0fs", ns / 1e9);
}

/* The largest power of ten <= @v (v > 0), without libm. */
static double decade_floor(double v)
{
	double p = 1;

	while (p > v)
		p /= 10;
	while (p * 10 <= v)
		p *= 10;
	return p;
}

static bool is_direct(const struct ipol_result *x)
{
	return x->st.bound.unbounded;
}

/*
 * Where the compare plot draws a row on its log exposure axis [xlo, xhi]
 * (us): the measured maximum; 0 (nothing reached after unmap) at the low
 * end, which a log axis cannot otherwise show; an unbounded strategy at
 * the high end, never at the finite window its probe happened to see;
 * NaN (not drawn) when no probe ran.
 */
static double plot_x(const struct ipol_result *x, double xlo, double xhi)
{
	if (is_direct(x))
		return xhi;
	if (!x->probed)
		return NAN;
	if (!x->exp.max_ns)
		return xlo;
	return x->exp.max_ns / 1e3;
}

/*
 * The compare plot's geometry, fixed in the .gp (margins at screen
 * fractions of the 1000x650 terminal) so that its labels can be placed
 * here, where the points are known: the plot area in pixels and the
 * size of a character of gnuplot's default font, rounded up.
 */
#define PLOT_W		600.0	/* screen 0.10 .. 0.70 of 1000 */
#define PLOT_H		520.0	/* screen 0.10 .. 0.90 of 650 */
#define CHAR_W		9.0
#define CHAR_H		16.0
#define AXIS_PAD	1.1	/* the x range's margin, a factor; as in the .gp */
#define MAX_BOXES	(4 * 64 + LIOMMU_DMA_NR_STRATEGIES)

struct box {
	double x0, x1, y0, y1;
};

struct geom {
	double lxlo, lxhi, ymax;
	struct box taken[MAX_BOXES];
	size_t n;
};

static double gx(const struct geom *g, double x)
{
	return (log10(x) - g->lxlo) / (g->lxhi - g->lxlo) * PLOT_W;
}

static double gy(const struct geom *g, double y)
{
	return y / g->ymax * PLOT_H;
}

static void take(struct geom *g, struct box b)
{
	if (g->n < MAX_BOXES)
		g->taken[g->n++] = b;
}

static bool box_free(const struct geom *g, const struct box *b)
{
	size_t i;

	if (b->x0 < 0 || b->x1 > PLOT_W || b->y0 < 0 || b->y1 > PLOT_H)
		return false;
	for (i = 0; i < g->n; i++) {
		const struct box *t = &g->taken[i];

		if (b->x0 < t->x1 && t->x0 < b->x1 && b->y0 < t->y1 && t->y0 < b->y1)
			return false;
	}
	return true;
}

/* A label anchored at (@x, @y), justified left or right, moved by
 * (@dx, @dy) characters, as gnuplot's "offset char" does. */
struct spot {
	double x, y, dx, dy;
	bool right;
};

static struct box spot_box(const struct geom *g, const struct spot *sp, size_t len)
{
	double w = (double)len * CHAR_W + 4, ax = gx(g, sp->x) + sp->dx * CHAR_W;
	double yc = gy(g, sp->y) + sp->dy * CHAR_H;
	struct box b = { ax, ax + w, yc - CHAR_H / 2, yc + CHAR_H / 2 };

	if (sp->right) {
		b.x0 = ax - w;
		b.x1 = ax;
	}
	return b;
}

static void write_compare(const struct ipol_report *r, FILE *dat, FILE *gp,
			  const char *datpath)
{
	static const int pt[LIOMMU_DMA_NR_STRATEGIES] = {
		[LIOMMU_DMA_STRICT] = 5, [LIOMMU_DMA_OPTIMISTIC] = 7,
		[LIOMMU_DMA_DEFERRED] = 9,
	};
	const struct ipol_result *top[LIOMMU_DMA_NR_STRATEGIES] = { NULL };
	const struct ipol_result *low[LIOMMU_DMA_NR_STRATEGIES] = { NULL };
	double left_x[LIOMMU_DMA_NR_STRATEGIES] = { 0 };
	struct geom g = { 0 };
	bool left[LIOMMU_DMA_NR_STRATEGIES] = { false };
	double minpos = 0, maxfin = 0, xlo, xhi, xarrow, d;
	size_t i, k, nblocks = 0;
	const char *seen[64];
	bool direct = false;
	char b[64];
	int s, nlabel = 0;

	/* The axis: a decade of room either side of the finite measurements,
	 * so 0 (low end) and unbounded (high end) stand apart from them. */
	for (i = 0; i < r->n; i++) {
		const struct ipol_result *x = &r->rows[i];
		double us = x->exp.max_ns / 1e3;

		direct |= is_direct(x);
		if (is_direct(x) || !x->probed || !x->exp.max_ns)
			continue;
		if (!minpos || us < minpos)
			minpos = us;
		if (us > maxfin)
			maxfin = us;
	}
	if (!minpos)
		minpos = maxfin = 10;
	xlo = decade_floor(minpos) / 10;
	xhi = decade_floor(maxfin);
	xhi *= xhi < maxfin ? 100 : 10;
	xarrow = xhi / 4;

	fputs("# iommu-policy compare: one block (gnuplot index) per workload\n"
	      "# x_us: where the point is drawn on the log axis: exposure_max_us,\n"
	      "#       or the axis' low end when that is 0, or its high end for an\n"
	      "#       unbounded strategy (direct; its exposure_max_us is only what\n"
	      "#       the probe happened to see), NaN when nothing was measured\n", dat);
	fprintf(dat, "# axis_us %.6g %.6g\n", xlo, xhi);
	fputs("# workload strategy bound exposure_max_us exposure_p99_us packets_per_s x_us\n",
	      dat);
	/* One block per workload, in first-seen order. */
	for (i = 0; i < r->n && nblocks < 64; i++) {
		bool dup = false;

		for (k = 0; k < nblocks; k++)
			dup |= !strcmp(seen[k], r->rows[i].workload);
		if (dup)
			continue;
		seen[nblocks] = r->rows[i].workload;
		if (nblocks)
			fputs("\n\n", dat);
		for (k = 0; k < r->n; k++) {
			const struct ipol_result *x = &r->rows[k];

			if (strcmp(x->workload, seen[nblocks]))
				continue;
			bound_str(b, sizeof(b), &x->st.bound);
			fprintf(dat, "\"%s\" %s \"%s\" ", x->workload, sname(x), b);
			if (x->probed)
				fprintf(dat, "%.3f %.3f", x->exp.max_ns / 1e3,
					x->exp.p99_ns / 1e3);
			else
				fputs("NaN NaN", dat);
			fprintf(dat, " %.1f ", x->pps);
			if (isnan(plot_x(x, xlo, xhi)))
				fputs("NaN\n", dat);
			else
				fprintf(dat, "%.6g\n", plot_x(x, xlo, xhi));
			if ((unsigned int)x->strategy >= LIOMMU_DMA_NR_STRATEGIES ||
			    isnan(plot_x(x, xlo, xhi)))
				continue;
			s = x->strategy;
			if (!top[s] || x->pps > top[s]->pps)
				top[s] = x;
			if (!low[s] || x->pps < low[s]->pps)
				low[s] = x;
			if (!left[s] || plot_x(x, xlo, xhi) < left_x[s])
				left_x[s] = plot_x(x, xlo, xhi);
			left[s] = true;
		}
		nblocks++;
	}

	fputs("set title 'Throughput against measured exposure (one point per strategy "
	      "and workload)'\n"
	      "set xlabel 'longest time a stale DMA succeeded after unmap() "
	      "(log scale; 0 at the left end)'\n"
	      "set ylabel 'packets/s'\n"
	      "set logscale x 10\n", gp);
	fprintf(gp, "XLO = %.6g\nXHI = %.6g\nXARROW = %.6g\n", xlo, xhi, xarrow);
	for (i = 0; i < r->n; i++)
		if (r->rows[i].pps > g.ymax)
			g.ymax = r->rows[i].pps;
	/* Room above the fastest point for its label. */
	g.ymax = g.ymax > 0 ? g.ymax * 1.15 : 1;
	/* The range reaches a little past both ends, so that the points
	 * and arrow heads drawn there are not cut by the border (and the
	 * tics there are not lost to rounding). */
	g.lxlo = log10(xlo / AXIS_PAD);
	g.lxhi = log10(xhi * AXIS_PAD);
	fprintf(gp, "YMAX = %.1f\n", g.ymax);
	fputs("set lmargin at screen 0.10\nset rmargin at screen 0.70\n"
	      "set bmargin at screen 0.10\nset tmargin at screen 0.90\n"
	      "set xrange [XLO / 1.1 : XHI * 1.1]\nset yrange [0:YMAX]\n"
	      "set format y '%.1s%c'\nset mxtics default\n"
	      "set xtics ('0' XLO", gp);
	for (d = xlo * 10; d < xhi * 0.999; d *= 10) {
		decade_label(b, sizeof(b), d);
		fprintf(gp, ", '%s' %.6g", b, d);
	}
	if (direct)
		fputs(", 'unbounded' XHI)\n", gp);
	else {
		decade_label(b, sizeof(b), xhi);
		fprintf(gp, ", '%s' XHI)\n", b);
	}
	/*
	 * One label per strategy, its bound, next to the strategy's points:
	 * the first of a few spots (above them, beside the fastest, below
	 * them) that covers no point, arrow or earlier label; the first spot
	 * when none is free.  direct's spots are at the arrows' heads.
	 */
	for (i = 0; i < r->n; i++) {
		const struct ipol_result *x = &r->rows[i];
		double px = plot_x(x, xlo, xhi), py = gy(&g, x->pps);

		if (isnan(px))
			continue;
		if (is_direct(x))
			take(&g, (struct box){ gx(&g, xarrow), PLOT_W, py - 7, py + 7 });
		else
			take(&g, (struct box){ gx(&g, px) - 9, gx(&g, px) + 9, py - 9, py + 9 });
	}
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
		const struct ipol_result *x = top[s];
		struct spot spots[6];
		char text[96];
		size_t nspots, j, pick = 0;
		struct box bx;

		if (!x)
			continue;
		if (is_direct(x)) {
			spots[0] = (struct spot){ xhi, x->pps, -0.5, 1.3, true };
			spots[1] = (struct spot){ xhi, low[s]->pps, -0.5, -1.3, true };
			spots[2] = (struct spot){ xarrow, x->pps, -1.0, 0, true };
			nspots = 3;
		} else {
			spots[0] = (struct spot){ left_x[s], x->pps, 0, 1.3, false };
			spots[1] = (struct spot){ plot_x(x, xlo, xhi), x->pps, 1.2, 0, false };
			spots[2] = (struct spot){ plot_x(x, xlo, xhi), x->pps, -1.2, 0, true };
			spots[3] = (struct spot){ left_x[s], low[s]->pps, 0, -1.3, false };
			spots[4] = (struct spot){ left_x[s], x->pps, 0, 2.6, false };
			spots[5] = (struct spot){ left_x[s], low[s]->pps, 0, -2.6, false };
			nspots = 6;
		}
		bound_str(b, sizeof(b), &x->st.bound);
		snprintf(text, sizeof(text), "%s: %s", sname(x), b);
		for (j = 0; j < nspots; j++) {
			bx = spot_box(&g, &spots[j], strlen(text));
			if (box_free(&g, &bx)) {
				pick = j;
				break;
			}
		}
		take(&g, spot_box(&g, &spots[pick], strlen(text)));
		fprintf(gp, "set label %d ", ++nlabel);
		gp_str(gp, text);
		if (spots[pick].x == xhi)
			fputs(" at XHI", gp);
		else
			fprintf(gp, " at %.6g", spots[pick].x);
		fprintf(gp, ", %.1f %s offset char %.1f, %.1f front\n", spots[pick].y,
			spots[pick].right ? "right" : "left", spots[pick].dx, spots[pick].dy);
	}
	fputs("pt(s) = s eq 'strict' ? 5 : s eq 'optimistic' ? 7 : 9\n"
	      "plot ", gp);
	for (k = 0; k < nblocks; k++) {
		fprintf(gp, "%s", k ? ", \\\n     " : "");
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using (strcol(2) eq 'direct' ? NaN : $7):6:"
			"(pt(strcol(2))) with points pt variable ps 1.6 lc %zu notitle, \\\n"
			"     keyentry with boxes fill solid 1.0 lc %zu title ", k, k + 1, k + 1);
		gp_str(gp, seen[k]);
		if (!direct)
			continue;
		fputs(", \\\n     ", gp);
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using (strcol(2) eq 'direct' ? XARROW : NaN):6:"
			"(XHI - XARROW):(0) with vectors head filled size char 1,20 lw 2 "
			"lc %zu notitle", k, k + 1);
	}
	/* What the point types mean. */
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
		if (!top[s])
			continue;
		if (is_direct(top[s])) {
			fputs(", \\\n     keyentry with vectors head filled lw 2 lc 'black' "
			      "title 'direct (unbounded)'", gp);
			continue;
		}
		fprintf(gp, ", \\\n     keyentry with points pt %d ps 1.6 lc 'black' title ",
			pt[s]);
		gp_str(gp, sname(top[s]));
	}
	fputc('\n', gp);
}

static void write_sweep(const struct ipol_report *r, FILE *dat, FILE *gp,
			const char *datpath)
{
	size_t s, k, nblocks = 0;

	fprintf(dat, "# strategy %s packets_per_s exposure_max_us exposure_p99_us\n",
		r->sweep_param);
	for (s = 0; s < LIOMMU_DMA_NR_STRATEGIES; s++) {
		bool any = false;

		for (k = 0; k < r->n; k++) {
			const struct ipol_result *x = &r->rows[k];

			if (x->strategy != (enum liommu_dma_strategy)s)
				continue;
			if (!any && nblocks)
				fputs("\n\n", dat);
			any = true;
			fprintf(dat, "%s %" PRIu64 " %.1f %.3f %.3f\n", sname(x),
				x->param_value, x->pps, x->exp.max_ns / 1e3,
				x->exp.p99_ns / 1e3);
		}
		if (!any)
			continue;
		fprintf(gp, "%s", nblocks ? ", \\\n     " : "");
		if (!nblocks) {
			fprintf(gp, "set title 'Sweep of %s'\n", r->sweep_param);
			fprintf(gp, "set xlabel '%s'\n", r->sweep_param);
			fputs("set ylabel 'packets/s'\n"
			      "set y2label 'longest stale-DMA window after unmap() (us)'\n"
			      "set ytics nomirror\nset y2tics\n"
			      "plot ", gp);
		}
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using 2:3 with linespoints pt 7 title '%s packets/s', \\\n     ",
			nblocks, liommu_dma_strategy_name((enum liommu_dma_strategy)s));
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using 2:4 axes x1y2 with linespoints dt 2 pt 6 "
			"title '%s exposure'", nblocks,
			liommu_dma_strategy_name((enum liommu_dma_strategy)s));
		nblocks++;
	}
	fputc('\n', gp);
}

static void write_replay(const struct ipol_report *r, FILE *dat, FILE *gp,
			 const char *datpath)
{
	size_t k;

	fputs("# strategy inv_descs pte_writes flushes\n", dat);
	for (k = 0; k < r->n; k++)
		fprintf(dat, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			sname(&r->rows[k]), r->rows[k].st.inv_descs,
			r->rows[k].st.pte_writes, r->rows[k].st.flushes);
	fputs("set title 'Replay: invalidations and PTE writes per strategy'\n"
	      "set style data histograms\nset style fill solid 0.7 border -1\n"
	      "set ylabel 'count'\nset yrange [0:*]\n"
	      "plot ", gp);
	gp_str(gp, datpath);
	fputs(" using 2:xtic(1) title 'invalidation descriptors', ''"
	      " using 3 title 'PTE writes', '' using 4 title 'flushes'\n", gp);
}

/* PATH-without-extension.dat and .gp. */
static int side_paths(const char *path, char **datpath, char **gppath)
{
	size_t base = (size_t)(ext_of(path) - path) - 1;

	*datpath = *gppath = NULL;
	if (asprintf(datpath, "%.*s.dat", (int)base, path) < 0) {
		*datpath = NULL;
		return -ENOMEM;
	}
	if (asprintf(gppath, "%.*s.gp", (int)base, path) < 0) {
		*gppath = NULL;
		free(*datpath);
		*datpath = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* 0 if @file may be written: absent, or a writable non-directory. */
static int file_writable(const char *file)
{
	struct stat sb;

	if (stat(file, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(sb.st_mode))
		return -EISDIR;
	return access(file, W_OK) ? -errno : 0;
}

/* 0 if @dir is a directory files can be created in. */
static int dir_writable(const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	return access(dir, W_OK | X_OK) ? -errno : 0;
}

int ipol_plot_check_output(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *files[3] = { NULL, NULL, (char *)path };
	int ret = IPOL_EXIT_FAILURE, err, i;

	if (ipol_plot_check_path(path))
		return IPOL_EXIT_USAGE;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir || side_paths(path, &files[0], &files[1])) {
		ipol_err("--plot %s: out of memory", path);
		goto out;
	}
	err = dir_writable(dir);
	if (err) {
		ipol_err("--plot %s: cannot write into %s: %s (nothing was run)", path, dir,
			 strerror(-err));
		goto out;
	}
	for (i = 0; i < 3; i++) {
		err = file_writable(files[i]);
		if (err) {
			ipol_err("--plot %s: cannot write %s: %s (nothing was run)", path,
				 files[i], strerror(-err));
			goto out;
		}
	}
	ret = IPOL_EXIT_OK;
out:
	free(files[0]);
	free(files[1]);
	free(dir);
	return ret;
}

/* Write @len bytes of @text to @file; return 0 or -errno. */
static int write_file(const char *file, const char *text, size_t len)
{
	FILE *f = fopen(file, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len)
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno ? errno : EIO;
	return -err;
}

/*
 * Run gnuplot on @gppath and check that it drew @path.  Its standard
 * error is ours, so its own messages reach the user unchanged; each
 * outcome gets one line of ours after them, naming what was written.
 */
static int run_gnuplot(const char *path, const char *datpath, const char *gppath)
{
	char *argv[] = { "gnuplot", (char *)gppath, NULL };
	struct stat sb;
	pid_t pid;
	int st, ret;

	/* A stale image from an earlier run must not pass for this one. */
	if (unlink(path) && errno != ENOENT) {
		ipol_err("plotting %s: cannot replace it: %s; wrote %s and %s", path,
			 strerror(errno), datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret == ENOENT) {
		ipol_err("plotting %s: gnuplot not found in PATH (install gnuplot-nox); "
			 "wrote %s and %s: run 'gnuplot %s' to draw it", path, datpath,
			 gppath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	if (ret) {
		ipol_err("plotting %s: cannot run gnuplot: %s; wrote %s and %s", path,
			 strerror(ret), datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ipol_err("plotting %s: waiting for gnuplot: %s; wrote %s and %s", path,
				 strerror(errno), datpath, gppath);
			return IPOL_EXIT_FAILURE;
		}
	}
	if (WIFSIGNALED(st)) {
		ipol_err("plotting %s: gnuplot %s was killed by signal %d (%s); wrote %s "
			 "and %s", path, gppath, WTERMSIG(st), strsignal(WTERMSIG(st)),
			 datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	/* posix_spawnp() reports a missing program itself; a shell wrapper
	 * that cannot find the real one exits 127. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		ipol_err("plotting %s: gnuplot %s exited with status 127 (command not "
			 "found; install gnuplot-nox); wrote %s and %s", path, gppath,
			 datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		ipol_err("plotting %s: gnuplot %s exited with status %d (its messages are "
			 "above); wrote %s and %s", path, gppath,
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1, datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	if (stat(path, &sb)) {
		ipol_err("plotting %s: gnuplot %s exited with status 0 but did not write "
			 "%s: %s; wrote %s and %s", path, gppath, path, strerror(errno),
			 datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	if (!S_ISREG(sb.st_mode) || !sb.st_size) {
		ipol_err("plotting %s: gnuplot %s exited with status 0 but %s is empty; "
			 "wrote %s and %s", path, gppath, path, datpath, gppath);
		return IPOL_EXIT_FAILURE;
	}
	return IPOL_EXIT_OK;
}

int ipol_plot(const struct ipol_report *r, const char *path)
{
	char *datpath = NULL, *gppath = NULL, *dtext = NULL, *gtext = NULL;
	size_t dlen = 0, glen = 0;
	FILE *dat = NULL, *gp = NULL;
	int ret = IPOL_EXIT_FAILURE, err;

	if (ipol_plot_check_path(path))
		return IPOL_EXIT_USAGE;
	/* Both texts are built in memory first, so that a write error can
	 * only come from the file system and is reported with its file. */
	if (side_paths(path, &datpath, &gppath) ||
	    !(dat = open_memstream(&dtext, &dlen)) ||
	    !(gp = open_memstream(&gtext, &glen))) {
		ipol_err("plotting %s: out of memory; nothing was written", path);
		goto out;
	}
	fputs("# generated by iommu-policy; rerun with: gnuplot ", gp);
	fputs(gppath, gp);
	fputc('\n', gp);
	terminal(gp, ext_of(path), path);
	switch (r->kind) {
	case IPOL_REPORT_SWEEP:
		write_sweep(r, dat, gp, datpath);
		break;
	case IPOL_REPORT_REPLAY:
		write_replay(r, dat, gp, datpath);
		break;
	default:
		write_compare(r, dat, gp, datpath);
		break;
	}
	err = fclose(dat);
	dat = NULL;
	err |= fclose(gp);
	gp = NULL;
	if (err) {
		ipol_err("plotting %s: out of memory; nothing was written", path);
		goto out;
	}
	err = write_file(datpath, dtext, dlen);
	if (err) {
		ipol_err("plotting %s: cannot write %s: %s; nothing was plotted", path,
			 datpath, strerror(-err));
		goto out;
	}
	err = write_file(gppath, gtext, glen);
	if (err) {
		ipol_err("plotting %s: cannot write %s: %s; wrote only %s", path, gppath,
			 strerror(-err), datpath);
		goto out;
	}
	ret = run_gnuplot(path, datpath, gppath);
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	free(dtext);
	free(gtext);
	free(datpath);
	free(gppath);
	return ret;
}
