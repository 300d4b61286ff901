# SPDX-License-Identifier: MIT
# iommu-policy's tests: the Check suite of its pure parts (trace parser,
# replay planner) and end-to-end shell tests of every subcommand and
# output format; `make fuzz-trace` (or `make fuzz`) builds and runs the
# libFuzzer harness of the trace parser when clang supports
# -fsanitize=fuzzer.
check_PROGRAMS += tests/check-cli
tests_check_cli_SOURCES = tests/runner.c tests/check-cli.c \
	tools/iommu-policy/trace.c tools/iommu-policy/plan.c \
	tools/iommu-policy/replay-check.c
tests_check_cli_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tools/iommu-policy \
	-DCHECK_SUITE=cli_suite -DIPOL_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_check_cli_CFLAGS = $(TEST_CFLAGS)
tests_check_cli_LDADD = $(CHECK_LIBS)

check_SCRIPTS += tests/cli-usage.sh tests/cli-compare.sh tests/cli-sweep.sh \
	tests/cli-replay.sh tests/cli-qemu.sh
EXTRA_DIST += tests/cli-lib.sh tests/cli-usage.sh tests/cli-compare.sh \
	tests/cli-sweep.sh tests/cli-replay.sh tests/replay-tables.awk tests/cli-qemu.sh \
	tests/fuzz/fuzz-trace.c

# libFuzzer: FUZZ_CC must accept -fsanitize=fuzzer; FUZZ_TIME in seconds.
FUZZ_CC = clang
FUZZ_TIME = 60
fuzz-trace:
	@if echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then \
		mkdir -p tests/fuzz/corpus-trace && \
		$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
			-I$(top_builddir) -I$(top_srcdir)/libiommu/include \
			-I$(top_srcdir)/tools/iommu-policy \
			$(top_srcdir)/tests/fuzz/fuzz-trace.c \
			$(top_srcdir)/tools/iommu-policy/trace.c \
			$(top_srcdir)/tools/iommu-policy/plan.c \
			$(top_srcdir)/tools/iommu-policy/replay-check.c -o tests/fuzz/fuzz-trace && \
		./tests/fuzz/fuzz-trace -max_total_time=$(FUZZ_TIME) -max_len=16384 \
			tests/fuzz/corpus-trace $(top_srcdir)/tests/data/traces; \
	else \
		echo "fuzz-trace: $(FUZZ_CC) lacks -fsanitize=fuzzer (clang, libfuzzer-14-dev): skipped"; \
	fi
fuzz: fuzz-trace
.PHONY: fuzz fuzz-trace
CLEANFILES += tests/fuzz/fuzz-trace
