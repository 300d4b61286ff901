/* SPDX-License-Identifier: MIT */
/*
 * policy.h - what the files of iommu-policy share: exit codes, option
 * helpers, the run configuration, the result rows every subcommand
 * produces, and the entry points of the building blocks (platform,
 * simulated NIC, exposure probe, replay, output, plots, progress).
 *
 * Layout: main.c dispatches to cmd-<name>.c; workload.c defines the
 * built-in workloads, nic.c runs one of them on one strategy, probe.c is
 * the device-side exposure probe, env.c builds the platform/unit/domain/
 * strategy stack, replay.c turns a trace into strategy calls, output.c
 * prints tables/JSON/CSV, plot.c writes gnuplot files, progress.c draws
 * the progress bar.
 *
 * Threading: the result rows and configuration are filled by the thread
 * that runs a subcommand; nic.c's queue threads only touch their own
 * per-queue state and the atomic progress counter.
 */
#ifndef IPOL_POLICY_H
#define IPOL_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <liommu/dma.h>

/* Exit codes (documented in docs/iommu-policy.md and the man pages). */
enum ipol_exit {
	IPOL_EXIT_OK = 0,
	IPOL_EXIT_FAILURE = 1,		/* runtime failure */
	IPOL_EXIT_USAGE = 2,		/* bad command line */
	IPOL_EXIT_INPUT = 3,		/* bad or unreadable input file */
	IPOL_EXIT_PLATFORM = 4,		/* platform unavailable (QEMU) */
	IPOL_EXIT_BOUND = 5,		/* --check: an exposure bound broken */
};

#define IPOL_PROG "iommu-policy"

/*
 * Default modelled cost of one invalidation wait, and where it comes from.
 * Printed with every result that used it.  It is an assumption, stated as
 * one: no measurement of VT-d hardware could be cited for it (an earlier
 * citation of this file could not be verified and was removed), and this
 * machine cannot measure it.  Users with a figure for their hardware pass
 * --inval-latency.
 */
#define IPOL_INVAL_LATENCY_DEFAULT_NS	800u
#define IPOL_INVAL_LATENCY_SOURCE \
	"an assumed round figure for one IOTLB invalidation and its completion " \
	"wait on VT-d hardware, not a measurement; pass --inval-latency with " \
	"your hardware's figure"

/* ------------------------------------------------------------------ */
/* Errors and option helpers (util.c)                                  */
/* ------------------------------------------------------------------ */

/* "iommu-policy: <message>" on stderr. */
void ipol_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As ipol_err() plus "Try 'iommu-policy CMD --help'."; returns 2. */
int ipol_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Integers with optional binary suffixes K, M, G (KiB, MiB, GiB). */
int ipol_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Durations: a number with ns, us, ms or s (bare numbers are ns). */
int ipol_parse_duration(const char *s, uint64_t *ns);
/* Plain unsigned integers. */
int ipol_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

uint64_t ipol_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t ipol_thread_cpu_ns(void);	/* CLOCK_THREAD_CPUTIME_ID */
uint64_t ipol_process_cpu_ns(void);	/* CLOCK_PROCESS_CPUTIME_ID */

/* A small, seedable generator (xorshift64*): reproducible workloads. */
static inline uint64_t ipol_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ------------------------------------------------------------------ */
/* Platforms and the strategy stack (env.c)                            */
/* ------------------------------------------------------------------ */

enum ipol_platform_kind {
	IPOL_PLATFORM_SIM = 0,
	IPOL_PLATFORM_QEMU,
	/* The NIC's driver is a guest's: libiommu's driver on the vIOMMU
	 * engine's guest platform, served by a sidecore thread, its DMA
	 * through the shadow in a host domain on the sim platform. */
	IPOL_PLATFORM_VIOMMU,
};

const char *ipol_platform_name(enum ipol_platform_kind k);
int ipol_platform_parse(const char *s, enum ipol_platform_kind *out);

/* Strategy knobs; 0 = the library's default. */
struct ipol_knobs {
	unsigned int quota;
	uint64_t age_ns;
	unsigned int batch;
	uint64_t interval_ns;
	unsigned int queues;
	/* Not a strategy's: the sim model's invalidation latency
	 * (liommu_model_config.inval_latency_ns); 0 on qemu. */
	uint64_t inval_latency_ns;
};

/**
 * struct ipol_env - one platform, unit, domain and strategy instance.
 * Built fresh for every (workload, strategy) so no counter or cache
 * carries over.
 */
struct ipol_env {
	enum ipol_platform_kind kind;
	struct liommu_sim *sim;
	struct liommu_qemu *qemu;
	struct liommu_platform *plat;
	struct liommu_unit *unit;
	struct liommu_domain *dom;
	struct liommu_dma *dma;
	uint16_t sid;
	uint64_t mem_base;
	uint64_t mem_size;
	struct ram_bufs *ram_bufs;	/* qemu, viommu: the buffer allocator */
	/* viommu: the host side (@sim, @sid are the host's; @plat, @unit,
	 * @dom, @dma the guest's) and the engine between them. */
	struct liommu_unit *host_unit;
	struct liommu_domain *host_dom;
	struct liommu_viommu *viommu;
	struct liommu_sidecore *sidecore;
	uint64_t guest_ram_pa;		/* host-physical address of guest-physical 0 */
};

/**
 * struct ipol_env_config - what ipol_env_new() builds.
 * @kind:      platform.
 * @strategy:  the strategy to put on the domain.
 * @knobs:     its parameters.
 * @mem_size:  sim: physical memory bytes; qemu: guest RAM (rounded up
 *             to MiB, at most 2 GiB).
 * @iova_limit: highest IOVA + 1 for the strategy (0 = the unit's width;
 *             qemu: edu's 28-bit DMA mask is always applied).
 * @direct_size: direct: bytes from the memory's start it maps up front
 *             (0 = all of it); replay gives the sim more memory than the
 *             traced buffers span, for page tables only.
 */
struct ipol_env_config {
	enum ipol_platform_kind kind;
	enum liommu_dma_strategy strategy;
	struct ipol_knobs knobs;
	uint64_t mem_size;
	uint64_t iova_limit;
	uint64_t direct_size;
};

/*
 * Return: 0, or a negative errno; *@why is set to a static description
 * of the step that failed.  -ENOENT/-ETIMEDOUT/-EIO from QEMU's start
 * mean the platform is unavailable.
 */
int ipol_env_new(const struct ipol_env_config *cfg, struct ipol_env *env,
		 const char **why);
void ipol_env_free(struct ipol_env *env);

/* Buffers in the platform's physical memory (4 KiB multiples). */
int ipol_env_buf_alloc(struct ipol_env *env, uint64_t size, uint64_t *pa);
void ipol_env_buf_free(struct ipol_env *env, uint64_t pa, uint64_t size);

/*
 * The device's DMA through the unit: write = device writes memory (RX),
 * read = device reads memory (TX).  Return 0, -EFAULT on a translation
 * fault (recorded as hardware records it), other negative errno.
 */
int ipol_env_dev_write(struct ipol_env *env, uint64_t iova, const void *buf,
		       size_t len);
int ipol_env_dev_read(struct ipol_env *env, uint64_t iova, void *buf, size_t len);

/*
 * Would a device DMA at @iova in direction @write succeed now?  Sim: a
 * translation request that records no fault; qemu: a one-byte edu DMA
 * (its fault record is collected and cleared).
 * Return 1 reachable, 0 faulted, negative errno on failure.
 * @iotlb_hit: set when the request was served by the IOTLB (sim only).
 * @pa:        where it landed; IPOL_PA_UNKNOWN on qemu.
 */
#define IPOL_PA_UNKNOWN	UINT64_MAX
int ipol_env_probe(struct ipol_env *env, uint64_t iova, bool write,
		   bool *iotlb_hit, uint64_t *pa);

/* IOTLB lookups so far; false when the platform cannot tell (qemu). */
bool ipol_env_iotlb(struct ipol_env *env, uint64_t *hits, uint64_t *misses);

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/**
 * struct ipol_exposure - what the device-side probe measured.
 * @watched:    unmapped buffers the probe watched.
 * @exposed:    of those, buffers a stale DMA reached after unmap().
 * @stale_dmas: stale DMAs that succeeded (all attempts).
 * @open:       buffers still reachable when the probe stopped watching
 *              them (end of run, or evicted from a full watch list);
 *              their window is at least what was measured.
 * @max_ns:     longest time after unmap() a stale DMA succeeded.
 * @p99_ns:     99th percentile of that time over all watched buffers
 *              (buffers never reached count as 0).
 * @max_stale:  most unmapped buffers seen reachable at once.
 */
struct ipol_exposure {
	uint64_t watched;
	uint64_t exposed;
	uint64_t stale_dmas;
	uint64_t open;
	uint64_t max_ns;
	uint64_t p99_ns;
	uint64_t max_stale;
};

/* Whether a measured exposure respects the promise: yes, no, or no bound. */
enum ipol_verdict {
	IPOL_BOUND_NA = 0,
	IPOL_BOUND_OK,
	IPOL_BOUND_LATE,	/* over the time bound by less than the measured
				 * wake-up lateness: allowed (liommu/dma.h) */
	IPOL_BOUND_BROKEN,
};

/**
 * struct ipol_result - one row: a (workload or trace, strategy) pair, and
 * for sweeps the parameter value.
 */
struct ipol_result {
	char workload[64];
	enum liommu_dma_strategy strategy;
	const char *param;		/* sweep: parameter name; else NULL */
	uint64_t param_value;

	uint64_t packets;		/* replay: trace events */
	double wall_s;			/* whole run, wall clock */
	double busy_s;			/* wall minus device simulation and probe */
	double pps;			/* packets / busy_s */
	double cpu_ns_per_pkt;		/* driver CPU, all threads */
	double map_ns;			/* mean per map call */
	double unmap_ns;		/* mean per unmap call */
	double inval_per_pkt;		/* inv_waits / packets */
	double iotlb_hit_rate;		/* device DMAs; NaN when unknown */

	struct liommu_dma_stats st;	/* the strategy's counters at the end */
	uint64_t peak_pinned_bytes;
	uint64_t peak_mapped_bytes;
	uint64_t pt_bytes;		/* page-table memory at the end */

	bool probed;			/* exposure was measured */
	struct ipol_exposure exp;
	bool late_known;		/* late_ns was measured */
	uint64_t late_ns;		/* worst wake-up lateness of a sleeping
					 * thread during the run (nic.c) */
	enum ipol_verdict verdict;

	/* replay only */
	uint64_t trace_maps, trace_unmaps;
	uint64_t dma_calls;		/* liommu_dma_map/_unmap(_sg) calls */
	uint64_t segments_mapped;	/* pieces after splitting partial unmaps */
	uint64_t unmatched_unmaps;
	uint64_t unmatched_bytes;
	uint64_t live_at_end;
	unsigned int domains;
};

/* ------------------------------------------------------------------ */
/* Built-in workloads and the simulated NIC (workload.c, nic.c)        */
/* ------------------------------------------------------------------ */

enum ipol_pkt_dir {
	IPOL_RX = 0,	/* device writes memory */
	IPOL_TX = 1,	/* device reads memory */
};

#define IPOL_MAX_BURST	64	/* packets one transaction may produce */

struct ipol_pkt {
	uint8_t dir;
	uint32_t len;
};

/**
 * struct ipol_workload - a built-in workload: a generator of transactions
 * (a message sent, a request and its response), each a burst of frames.
 * @name:     command-line name.
 * @descr:    one line for --help and the docs.
 * @next:     fill @out with the next transaction's frames; return their
 *            number (1 .. IPOL_MAX_BURST).  @rng is the queue's state.
 */
struct ipol_workload {
	const char *name;
	const char *descr;
	unsigned int (*next)(uint64_t *rng, struct ipol_pkt *out);
};

extern const struct ipol_workload ipol_workloads[];
extern const size_t ipol_nr_workloads;
const struct ipol_workload *ipol_workload_find(const char *name);

#define IPOL_TX_MAX	65536u	/* largest TX buffer (a TSO send) */

/**
 * struct ipol_nic_config - one run of a workload on a strategy.
 * @platform:    sim or qemu.
 * @packets:     descriptors to complete (RX + TX), over all queues.
 * @ring:        descriptors per ring (RX and TX rings of each queue).
 * @buffer:      RX buffer size; a received frame larger than it spans
 *               several descriptors.
 * @threads:     queues, one driver thread each.
 * @budget:      descriptors handled per poll (NAPI weight).
 * @probe_budget: stale-IOVA probes per poll and queue (0 = no probe).
 * @probe_watch: most unmapped buffers watched per queue.
 * @seed:        workload generator seed.
 * @knobs:       strategy parameters.
 */
struct ipol_nic_config {
	enum ipol_platform_kind platform;
	uint64_t packets;
	unsigned int ring;
	unsigned int buffer;
	unsigned int threads;
	unsigned int budget;
	unsigned int probe_budget;
	unsigned int probe_watch;
	uint64_t seed;
	struct ipol_knobs knobs;
};

struct ipol_progress;

/*
 * Run @wl under @strategy and fill @res.  On failure *@why names the step
 * and the return value is a negative errno (-ENOENT/-ETIMEDOUT/-EIO while
 * starting QEMU: platform unavailable).
 */
int ipol_nic_run(const struct ipol_nic_config *cfg, const struct ipol_workload *wl,
		 enum liommu_dma_strategy strategy, struct ipol_progress *prog,
		 struct ipol_result *res, const char **why);

/* Set the exposure verdict of @res from its bound and measurement. */
void ipol_result_verdict(struct ipol_result *res);

/* ------------------------------------------------------------------ */
/* Exposure probe (probe.c)                                            */
/* ------------------------------------------------------------------ */

struct ipol_probe;

int ipol_probe_new(unsigned int watch, struct ipol_probe **out);
void ipol_probe_free(struct ipol_probe *p);
/* The buffer at physical @pa, device address @iova, was unmapped at
 * @t_ns; the device used it writing (@write) or reading. */
void ipol_probe_unmapped(struct ipol_probe *p, uint64_t iova, uint64_t pa,
			 bool write, uint64_t t_ns);
/* @iova was mapped again: a watched buffer there is live, stop watching. */
void ipol_probe_mapped(struct ipol_probe *p, uint64_t iova);
/* Try up to @budget watched buffers (new ones first).  Return 0 or the
 * first platform error. */
int ipol_probe_step(struct ipol_probe *p, struct ipol_env *env,
		    unsigned int budget);
/* Try every watched buffer once more and close them all. */
int ipol_probe_finish(struct ipol_probe *p, struct ipol_env *env);
/* Merge several probes' measurements (p99 over all windows). */
void ipol_probe_summary(struct ipol_probe *const *p, size_t n,
			struct ipol_exposure *out);

/* ------------------------------------------------------------------ */
/* Replay (replay.c)                                                   */
/* ------------------------------------------------------------------ */

struct ipol_trace;
struct ipol_plan;

/* One address space of a plan, for the report. */
struct ipol_plan_space_info {
	const char *source;		/* "kprobe", "csv" or "inferred" */
	uint64_t domain;		/* kprobe: the domain pointer; csv: the
					 * column; inferred: the space's index */
	uint64_t maps, unmaps;		/* traced events it took */
	uint64_t live_pieces, live_bytes; /* still mapped at the end */
};

/*
 * Summary of a plan, for the report.  @guessed counts the events whose
 * domain the trace does not give: while it is not 0, every counter that
 * follows from which map an unmap ends (IPOL_PLAN_GUESS_DEPENDENT) is a
 * guess, not a fact of the trace.
 */
struct ipol_plan_info {
	uint64_t maps, unmaps;
	uint64_t segments;		/* pieces the maps are split into */
	uint64_t unmatched_unmaps;	/* unmaps that found no live mapping */
	uint64_t unmatched_bytes;	/* bytes of unmaps with no mapping */
	uint64_t live_at_end;		/* pieces never unmapped */
	unsigned int domains;		/* address spaces used */
	uint64_t max_paddr_end;		/* highest paddr + size mapped */
	const char *domain_source;	/* ipol_trace_domain_source() */
	uint64_t guessed;		/* events placed by inference */
	uint64_t contested;		/* of those, with 2+ candidate spaces */
	uint64_t kprobe_calls, kprobe_orphans, dom_conflicts;
	const struct ipol_plan_space_info *spaces; /* @domains entries; valid
						    * while the plan lives */
};

/* The report counters that depend on the domain guess, comma-separated. */
#define IPOL_PLAN_GUESS_DEPENDENT \
	"domains,segments,live_at_end,unmatched_unmaps,unmatched_bytes,dma_calls," \
	"maps,unmaps,reuse_hits,retired,flushes,pte_writes,inv_descs,inv_waits," \
	"invalidations_per_unmap," \
	"peak_pinned_bytes,peak_mapped_bytes,page_table_bytes"


/*
 * Resolve a trace into a plan: which domain each map belongs to, how
 * each map must be split so that every unmap removes whole pieces, and
 * which pieces each unmap removes (docs/iommu-policy.md, "Replay").
 * Return 0, -EINVAL (inconsistent CSV: *@line and @msg say why), -ENOMEM.
 */
int ipol_plan_build(const struct ipol_trace *t, struct ipol_plan **out,
		    unsigned long *line, char *msg, size_t msglen);
void ipol_plan_free(struct ipol_plan *plan);
void ipol_plan_get_info(const struct ipol_plan *plan, struct ipol_plan_info *info);

/*
 * The platform's limits on a replayed trace (replay-check.c checks them,
 * ipol_replay_limits() in replay.c fills them for the sim the replay
 * runs on; docs/iommu-policy.md, "Limits of a replay").
 * @addr_width: the replayed unit's address width in bits.
 * @iova_space: bytes of IOVA the strategies hand out: [first MiB, 2^width).
 * @max_paddr:  traced paddr + size must not pass this: the most physical
 *              memory the replay gives the sim.
 * @max_live:   live mappings (all address spaces) must not add up to more:
 *              what the sim's page-table reserve is sized for.
 * @iova_alloc: a strategy that allocates IOVAs runs (all but direct), so
 *              @iova_space applies.
 */
struct ipol_replay_limits {
	unsigned int addr_width;
	uint64_t iova_space;
	uint64_t max_paddr;
	uint64_t max_live;
	bool iova_alloc;
};

/* The most the trace keeps mapped at once, in bytes and plan pieces. */
struct ipol_replay_need {
	uint64_t peak_live_bytes;
	uint64_t peak_live_pieces;
};

#define IPOL_REPLAY_MAX_PADDR	(1ull << 40)	/* 1 TiB */
#define IPOL_REPLAY_MAX_LIVE	(1ull << 40)	/* 1 TiB */

void ipol_replay_limits(bool iova_alloc, struct ipol_replay_limits *lim);
/*
 * Check @t (and @plan, built from it) against @lim.  Return 0, or -EINVAL
 * with *@line (the trace line where a limit is crossed) and @msg (which
 * limit, and by how much).
 */
int ipol_replay_check(const struct ipol_trace *t, const struct ipol_plan *plan,
		      const struct ipol_replay_limits *lim, unsigned long *line,
		      char *msg, size_t msglen);
void ipol_replay_need(const struct ipol_plan *plan, struct ipol_replay_need *need);
/* Sim memory to add for the page tables of @need at worst (4 KiB pages). */
uint64_t ipol_replay_table_reserve(const struct ipol_replay_need *need);

/* Replay @plan under @strategy on a fresh sim; fill @res. */
int ipol_replay_run(const struct ipol_plan *plan, enum liommu_dma_strategy strategy,
		    const struct ipol_knobs *knobs, struct ipol_result *res,
		    const char **why);

/* ------------------------------------------------------------------ */
/* Output (output.c, plot.c, progress.c)                               */
/* ------------------------------------------------------------------ */

enum ipol_format {
	IPOL_FMT_TABLE = 0,
	IPOL_FMT_JSON,
	IPOL_FMT_CSV,
};

enum ipol_report_kind {
	IPOL_REPORT_COMPARE = 0,
	IPOL_REPORT_SWEEP,
	IPOL_REPORT_REPLAY,
};

/**
 * struct ipol_report - everything a subcommand prints.
 * @kind:       which subcommand.
 * @platform:   platform used.
 * @nic:        compare/sweep: the NIC configuration.
 * @knobs:      strategy parameters (0 = library default).
 * @inval_default: the invalidation latency is the documented default.
 * @sweep_param: sweep: the parameter varied.
 * @trace_path, @trace_format: replay.
 * @plan:       replay: the plan's summary.
 * @rows, @n:   results.
 */
struct ipol_report {
	enum ipol_report_kind kind;
	enum ipol_platform_kind platform;
	struct ipol_nic_config nic;
	struct ipol_knobs knobs;
	bool inval_default;
	const char *sweep_param;
	const char *trace_path;
	const char *trace_format;
	struct ipol_plan_info plan;
	struct ipol_result *rows;
	size_t n;
};

/* Print @r to @out in @fmt.  Return 0 or a negative errno. */
int ipol_output(const struct ipol_report *r, enum ipol_format fmt, FILE *out);

/*
 * Write PATH-without-extension.dat and .gp and run gnuplot on them to
 * produce @path (.png or .svg).  Print one line saying what failed and
 * which files were written (a file that could not be written, gnuplot
 * missing, gnuplot failing, no image drawn); return the exit code.
 */
int ipol_plot(const struct ipol_report *r, const char *path);
/* Check a --plot argument's form: 0 or -EINVAL. */
int ipol_plot_check_path(const char *path);
/* Before running anything: can @path's directory take the image, the
 * .dat and the .gp?  Print why not; return the exit code. */
int ipol_plot_check_output(const char *path);

struct ipol_progress {
	bool enabled;
	uint64_t total;
	_Atomic uint64_t done;
	_Atomic uint64_t last_draw_ns;
	char label[64];
};

void ipol_progress_init(struct ipol_progress *p, bool enabled, uint64_t total);
void ipol_progress_label(struct ipol_progress *p, const char *label);
void ipol_progress_add(struct ipol_progress *p, uint64_t n);
void ipol_progress_done(struct ipol_progress *p);


/* ------------------------------------------------------------------ */
/* Command-line options shared by the subcommands (options.c)          */
/* ------------------------------------------------------------------ */

enum {
	IPOL_OPT_JSON = 256,
	IPOL_OPT_CSV,
	IPOL_OPT_PLOT,
	IPOL_OPT_PROGRESS,
	IPOL_OPT_NO_PROGRESS,
	IPOL_OPT_CHECK,
	IPOL_OPT_INVAL,
	IPOL_OPT_QUOTA,
	IPOL_OPT_AGE,
	IPOL_OPT_BATCH,
	IPOL_OPT_INTERVAL,
	IPOL_OPT_QUEUES,
	IPOL_OPT_BUDGET,
	IPOL_OPT_PROBE_BUDGET,
	IPOL_OPT_PROBE_WATCH,
	IPOL_OPT_SEED,
	IPOL_OPT_PARAM,
	IPOL_OPT_VALUES,
	IPOL_OPT_FORMAT,
};

/* getopt_long entries every subcommand accepts. */
#define IPOL_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, IPOL_OPT_JSON }, \
	{ "csv", no_argument, NULL, IPOL_OPT_CSV }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "plot", required_argument, NULL, IPOL_OPT_PLOT }, \
	{ "progress", no_argument, NULL, IPOL_OPT_PROGRESS }, \
	{ "no-progress", no_argument, NULL, IPOL_OPT_NO_PROGRESS }, \
	{ "check", no_argument, NULL, IPOL_OPT_CHECK }, \
	{ "strategies", required_argument, NULL, 's' }, \
	{ "inval-latency", required_argument, NULL, IPOL_OPT_INVAL }, \
	{ "quota", required_argument, NULL, IPOL_OPT_QUOTA }, \
	{ "age", required_argument, NULL, IPOL_OPT_AGE }, \
	{ "batch", required_argument, NULL, IPOL_OPT_BATCH }, \
	{ "interval", required_argument, NULL, IPOL_OPT_INTERVAL }, \
	{ "queues", required_argument, NULL, IPOL_OPT_QUEUES }
#define IPOL_COMMON_SHORTOPTS "ho:s:"

/* getopt_long entries of the NIC simulation (compare, sweep). */
#define IPOL_NIC_LONGOPTS \
	{ "workloads", required_argument, NULL, 'w' }, \
	{ "platform", required_argument, NULL, 'p' }, \
	{ "packets", required_argument, NULL, 'n' }, \
	{ "ring-size", required_argument, NULL, 'r' }, \
	{ "buffer-size", required_argument, NULL, 'b' }, \
	{ "threads", required_argument, NULL, 't' }, \
	{ "budget", required_argument, NULL, IPOL_OPT_BUDGET }, \
	{ "probe-budget", required_argument, NULL, IPOL_OPT_PROBE_BUDGET }, \
	{ "probe-watch", required_argument, NULL, IPOL_OPT_PROBE_WATCH }, \
	{ "seed", required_argument, NULL, IPOL_OPT_SEED }
#define IPOL_NIC_SHORTOPTS "w:p:n:r:b:t:"

#define IPOL_MAX_WORKLOADS	8

struct ipol_opts {
	const char *cmd;
	enum ipol_format fmt;
	bool fmt_set;
	const char *output;
	const char *plot;
	int progress;			/* -1 auto (stderr is a tty), 0, 1 */
	bool check;
	bool strategy[LIOMMU_DMA_NR_STRATEGIES];
	bool strategy_set;
	struct ipol_knobs knobs;
	bool inval_set;
	struct ipol_nic_config nic;
	bool packets_set, probe_budget_set, budget_set;
	bool workload[IPOL_MAX_WORKLOADS];
	bool workload_set;
};

void ipol_opts_init(struct ipol_opts *o, const char *cmd);
/* Return 0 when @c was handled, -1 when it is not a common option, or an
 * exit code (2) after printing the error. */
int ipol_opts_common(struct ipol_opts *o, int c, const char *arg);
int ipol_opts_nic(struct ipol_opts *o, int c, const char *arg);
/* Fill platform-dependent defaults, validate combinations (2), check that
 * the --plot files can be written (1); 0 when all is well. */
int ipol_opts_finish(struct ipol_opts *o, bool nic);
/* Print @r as asked, plot it, apply --check.  Return the exit code. */
int ipol_emit(const struct ipol_opts *o, const struct ipol_report *r);
/* getopt_long() returned '?' or ':' (optstring starts with ':'). */
int ipol_getopt_error(const char *cmd, int c, char **argv);
/* Map a run failure to an exit code and print it. */
int ipol_run_failed(const char *what, const char *why, int err);
/* Texts for --help. */
extern const char ipol_help_common[];
extern const char ipol_help_nic[];

/* ------------------------------------------------------------------ */
/* Subcommands                                                         */
/* ------------------------------------------------------------------ */

int ipol_cmd_compare(int argc, char **argv);
int ipol_cmd_sweep(int argc, char **argv);
int ipol_cmd_replay(int argc, char **argv);

#endif /* IPOL_POLICY_H */
