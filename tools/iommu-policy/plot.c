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
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

static void write_compare(const struct ipol_report *r, FILE *dat, FILE *gp,
			  const char *datpath)
{
	size_t i, k, nblocks = 0;
	const char *seen[64];

	fputs("# workload strategy exposure_max_us packets_per_s exposure_p99_us\n", dat);
	/* One block (gnuplot "index") per workload, in first-seen order. */
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
			fprintf(dat, "\"%s\" %s %.3f %.1f %.3f\n", x->workload, sname(x),
				x->exp.max_ns / 1e3, x->pps, x->exp.p99_ns / 1e3);
		}
		nblocks++;
	}
	fputs("set title 'Throughput against measured exposure (one point per strategy)'\n"
	      "set xlabel 'longest time a stale DMA succeeded after unmap() (us)'\n"
	      "set ylabel 'packets/s'\n"
	      "set offsets graph 0.05, graph 0.15, graph 0.1, graph 0.05\n"
	      "plot ", gp);
	for (k = 0; k < nblocks; k++) {
		fprintf(gp, "%s", k ? ", \\\n     " : "");
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using 3:4 with points pt 7 ps 1.5 title ", k);
		gp_str(gp, seen[k]);
		fputs(", \\\n     ", gp);
		gp_str(gp, datpath);
		fprintf(gp, " index %zu using 3:4:2 with labels offset char 1,1 notitle", k);
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

static int run_gnuplot(const char *gppath)
{
	char *argv[] = { "gnuplot", (char *)gppath, NULL };
	pid_t pid;
	int st, ret;

	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret)
		return -ret;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int ipol_plot(const struct ipol_report *r, const char *path)
{
	const char *ext = ext_of(path);
	size_t base = (size_t)(ext - path) - 1;
	char *datpath = NULL, *gppath = NULL;
	FILE *dat = NULL, *gp = NULL;
	int ret;

	if (ipol_plot_check_path(path))
		return -EINVAL;
	if (asprintf(&datpath, "%.*s.dat", (int)base, path) < 0 ||
	    asprintf(&gppath, "%.*s.gp", (int)base, path) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	dat = fopen(datpath, "w");
	gp = fopen(gppath, "w");
	if (!dat || !gp) {
		ret = -errno;
		goto out;
	}
	fputs("# generated by iommu-policy; rerun with: gnuplot ", gp);
	fputs(gppath, gp);
	fputc('\n', gp);
	terminal(gp, ext, path);
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
	ret = 0;
	if (fclose(dat))
		ret = -errno;
	if (fclose(gp) && !ret)
		ret = -errno;
	dat = gp = NULL;
	if (!ret)
		ret = run_gnuplot(gppath);
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	free(datpath);
	free(gppath);
	return ret;
}
