// SPDX-License-Identifier: MIT
/*
 * fuzz-trace.c - libFuzzer harness for iommu-policy's trace parser and
 * replay planner (tools/iommu-policy/trace.c, plan.c, replay-check.c):
 * any bytes, in each of the three format modes; a trace that parses is
 * also planned and checked against the replay's limits, so the domain
 * inference, the splitting of partial unmaps and the live-mapping
 * accounting see hostile sequences too.  Build and run with `make fuzz` (needs clang with
 * -fsanitize=fuzzer); the seed corpus is tests/data/traces.
 */
#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ipol_trace_format fmts[] = {
		IPOL_TRACE_AUTO, IPOL_TRACE_FTRACE, IPOL_TRACE_CSV,
	};
	/* The sim's limits (ipol_replay_limits() needs libiommu). */
	static const struct ipol_replay_limits lim = {
		.addr_width = 48, .iova_space = (1ull << 48) - (1u << 20),
		.max_paddr = IPOL_REPLAY_MAX_PADDR, .max_live = IPOL_REPLAY_MAX_LIVE,
		.iova_alloc = true,
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct ipol_trace t = { 0 };
		struct ipol_trace_error err;
		struct ipol_plan *plan = NULL;
		unsigned long line;
		char msg[320];

		if (ipol_trace_parse((const char *)data, size, fmts[i], &t, &err) == 0 &&
		    ipol_plan_build(&t, &plan, &line, msg, sizeof(msg)) == 0) {
			struct ipol_replay_need need;

			ipol_replay_check(&t, plan, &lim, &line, msg, sizeof(msg));
			ipol_replay_need(plan, &need);
			ipol_plan_free(plan);
		}
		ipol_trace_free(&t);
	}
	return 0;
}
