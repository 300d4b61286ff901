// SPDX-License-Identifier: MIT
/*
 * check-model-diff.c - the differential runner: the model (sim platform) and
 * QEMU 7.2's VT-d model (qemu platform) run the same seeded random
 * scenarios and must agree on every observable (tests/diff-scenario.h).
 *
 * Environment:
 *   LIOMMU_SEED    base seed (decimal or 0x hex), or "random" for one
 *                  from the time and pid; default DEFAULT_SEED, so that
 *                  `make check` is repeatable.  The seed is printed first
 *                  so a failing run can be repeated exactly.
 *   LIOMMU_DIFF_N  scenarios against QEMU (default 200) and sim against
 *                  sim (default 100).
 * Scenario i uses the i-th number of the SplitMix64 stream started at the
 * base seed (diff_rand()); a failure prints i, its
 * seed, the operations up to the first difference and what differed.
 *
 * One QEMU process serves every scenario: each starts with a fresh
 * driver unit, registers put back, the data region refilled and edu's
 * buffer reloaded (diff-scenario.c side_start()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "diff-scenario.h"

/*
 * Scenarios with malformed descriptors leave the invalidation queue in
 * error (IQE), on purpose.  liommu_domain_free() then cannot invalidate
 * the domain's IOTLB entries and, by the leak policy in liommu.h, leaks
 * the domain's tables rather than free pages the unit may still walk
 * (it returns -EIO from the final invalidation; checked by hand with a
 * print on that path: 4 domains in the default sim-vs-sim run).  Those
 * deliberate leaks are the runner's only ones, so LeakSanitizer is told
 * to ignore allocations made under diff_run() and nothing else.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:diff_run\n";
}

#define DEFAULT_SEED	0xbULL

static uint64_t base_seed(void)
{
	static uint64_t seed;
	static bool have;
	const char *s = getenv("LIOMMU_SEED");

	if (have)
		return seed;
	if (s && !strcmp(s, "random"))
		seed = (uint64_t)time(NULL) * 1000003ULL ^ (uint64_t)getpid();
	else if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = DEFAULT_SEED;
	have = true;
	fprintf(stderr, "check-model-diff: LIOMMU_SEED=0x%" PRIx64 "\n", seed);
	return seed;
}

unsigned int diff_count(unsigned int def)
{
	const char *s = getenv("LIOMMU_DIFF_N");

	return s && *s ? (unsigned int)strtoul(s, NULL, 0) : def;
}

static char why[1024];
static char dump[DIFF_MAX_OPS * 200];

/* Run @n scenarios; fail with everything needed to reproduce. */
void diff_run_many(struct diff_side *a, struct diff_side *b, unsigned int n)
{
	uint64_t base = base_seed(), stream = base;
	struct diff_scenario sc;
	unsigned int i;

	for (i = 0; i < n; i++) {
		diff_generate(diff_rand(&stream), &sc);
		if (diff_run(&sc, a, b, why, sizeof(why))) {
			unsigned int op = 0;

			sscanf(why, "op %u", &op);
			diff_dump(&sc, op, dump, sizeof(dump));
			fprintf(stderr, "scenario %u (LIOMMU_SEED=0x%" PRIx64 " LIOMMU_DIFF_N=%u), "
				"seed 0x%" PRIx64 ":\n%s", i, base, i + 1, sc.seed, dump);
			ck_abort_msg("%s vs %s, scenario %u: %s", a->name, b->name, i, why);
		}
	}
	fprintf(stderr, "check-model-diff: %s vs %s: %u scenarios agree (%lu DMAs refused by a "
		"cached entry's permissions: recorded by the model only)\n", a->name, b->name,
		n, diff_quirks());
}

/* The runner itself: two identical sims agree (the generator and the
 * runner are deterministic, and the driver works on the sim). */
START_TEST(sim_vs_sim_agree)
{
	struct diff_side a, b;

	ck_assert_int_eq(diff_side_sim(&a, NULL), 0);
	ck_assert_int_eq(diff_side_sim(&b, NULL), 0);
	b.name = "sim2";
	diff_run_many(&a, &b, diff_count(100));
	diff_side_fini(&a);
	diff_side_fini(&b);
	liommu_sim_free(a.sim);
	liommu_sim_free(b.sim);
}
END_TEST

/* The comparison can fail: a unit that does not collapse a source-id's
 * faults differs from one that does after two faulting DMAs (FSTS.PFO). */
START_TEST(runner_detects_divergence)
{
	struct liommu_model_config mc;
	struct diff_side a, b;
	struct diff_scenario sc;

	memset(&sc, 0, sizeof(sc));
	sc.seed = 1;
	sc.nops = 2;
	sc.ops[0].kind = DOP_DMA;
	sc.ops[0].iova = 0x7000000;	/* never mapped */
	sc.ops[0].len = 16;
	sc.ops[1] = sc.ops[0];
	sc.ops[1].iova += VTD_PAGE_SIZE;
	liommu_model_config_default(&mc);
	mc.collapse_faults = false;
	mc.pde_entries = 0;
	mc.flush_on_te = true;
	ck_assert_int_eq(diff_side_sim(&a, NULL), 0);
	ck_assert_int_eq(diff_side_sim(&b, &mc), 0);
	b.name = "sim-nocollapse";
	ck_assert_int_eq(diff_run(&sc, &a, &b, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "op 1: FSTS") != NULL, "%s", why);
	/* Without the second DMA they agree. */
	sc.nops = 1;
	ck_assert_int_eq(diff_run(&sc, &a, &b, why, sizeof(why)), 0);
	diff_side_fini(&a);
	diff_side_fini(&b);
	liommu_sim_free(a.sim);
	liommu_sim_free(b.sim);
}
END_TEST


Suite *model_diff_suite(void);
Suite *model_diff_suite(void)
{
	Suite *s = suite_create("model-diff");
	TCase *tc;

	tc = tcase_create("runner");
	tcase_add_test(tc, sim_vs_sim_agree);
	tcase_add_test(tc, runner_detects_divergence);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	diff_qemu_tcases(s);
	return s;
}
