# SPDX-License-Identifier: MIT
# The vIOMMU engine (viommu-sidecore/): its QEMU comparisons run when
# configure found qemu-system-x86_64.
check_PROGRAMS += tests/check-viommu
tests_check_viommu_SOURCES = tests/runner.c tests/check-viommu.c
tests_check_viommu_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_suite
if HAVE_QEMU
tests_check_viommu_CPPFLAGS += -DLIOMMU_QEMU_TESTS
endif
tests_check_viommu_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_LDADD = $(TEST_LIBS)

# The register page (an internal of the engine: linked statically).
check_PROGRAMS += tests/check-viommu-regpage
tests_check_viommu_regpage_SOURCES = tests/runner.c tests/check-viommu-regpage.c
tests_check_viommu_regpage_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_regpage_suite
tests_check_viommu_regpage_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_regpage_LDFLAGS = -static
tests_check_viommu_regpage_LDADD = $(TEST_LIBS)

# The guest memory table (viommu-sidecore/src/gmem.h, internal: linked
# statically).
check_PROGRAMS += tests/check-viommu-gmem
tests_check_viommu_gmem_SOURCES = tests/runner.c tests/check-viommu-gmem.c
tests_check_viommu_gmem_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/viommu-sidecore/src \
	-DCHECK_SUITE=viommu_gmem_suite
tests_check_viommu_gmem_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_gmem_LDADD = $(TEST_LIBS)
tests_check_viommu_gmem_LDFLAGS = $(TEST_LINK_STATIC)

# End to end: the driver as the guest, the engine, a host domain on the
# sim platform (the engine's internals are not used: shared library).
check_PROGRAMS += tests/check-viommu-e2e
tests_check_viommu_e2e_SOURCES = tests/runner.c tests/check-viommu-e2e.c
tests_check_viommu_e2e_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_e2e_suite
if HAVE_QEMU
tests_check_viommu_e2e_CPPFLAGS += -DLIOMMU_QEMU_TESTS
endif
tests_check_viommu_e2e_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_e2e_LDADD = $(TEST_LIBS)

# The instance and the sidecore thread (public API only).
check_PROGRAMS += tests/check-viommu-instance
tests_check_viommu_instance_SOURCES = tests/runner.c tests/check-viommu-instance.c
tests_check_viommu_instance_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_instance_suite
tests_check_viommu_instance_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_instance_LDADD = $(TEST_LIBS)

# The differential scenarios (diff-scenario.[ch], which uses the driver's
# internals: linked statically) through an instance in each mode, against
# the model run directly.  check-model-diff.c brings the seeded loop.
check_PROGRAMS += tests/check-viommu-diff
tests_check_viommu_diff_SOURCES = tests/runner.c tests/check-viommu-diff.c \
	tests/check-model-diff.c tests/diff-scenario.c tests/diff-scenario.h
tests_check_viommu_diff_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_diff_suite
tests_check_viommu_diff_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_diff_LDADD = $(TEST_LIBS)
tests_check_viommu_diff_LDFLAGS = $(TEST_LINK_STATIC)
# Hostile guests beside a good one (public API only); a long campaign:
# LIOMMU_HOSTILE_OPS=1000000 ./tests/check-viommu-hostile.
check_PROGRAMS += tests/check-viommu-hostile
tests_check_viommu_hostile_SOURCES = tests/runner.c tests/check-viommu-hostile.c
tests_check_viommu_hostile_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_hostile_suite
tests_check_viommu_hostile_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_hostile_LDADD = $(TEST_LIBS)

# libFuzzer over the engine's guest-facing surface (guest RAM, trapped
# register writes, descriptors): `make fuzz-viommu` (or `make fuzz`).
# The library's sources are compiled into the harness with clang, so
# libFuzzer sees their coverage; FUZZ_CC and FUZZ_TIME as in cli.mk.
EXTRA_DIST += tests/fuzz/fuzz-viommu.c
fuzz-viommu:
	@if echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then \
		srcs=; for f in $(libiommu_libiommu_la_SOURCES); do \
			case $$f in *.c) srcs="$$srcs $(top_srcdir)/$$f";; esac; done; \
		mkdir -p tests/fuzz/corpus-viommu && \
		$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -pthread \
			-DHAVE_CONFIG_H -DLIOMMU_BUILDING -DQEMU_DEFAULT_BINARY='"$(QEMU_SYSTEM_X86)"' \
			$(AM_CPPFLAGS) \
			$(top_srcdir)/tests/fuzz/fuzz-viommu.c $$srcs \
			$(URCU_BP_LIBS) $(NUMA_LIBS) -o tests/fuzz/fuzz-viommu && \
		./tests/fuzz/fuzz-viommu -max_total_time=$(FUZZ_TIME) -max_len=4096 \
			tests/fuzz/corpus-viommu; \
	else \
		echo "fuzz-viommu: $(FUZZ_CC) lacks -fsanitize=fuzzer (clang, libfuzzer-14-dev): skipped"; \
	fi
fuzz: fuzz-viommu
.PHONY: fuzz-viommu
CLEANFILES += tests/fuzz/fuzz-viommu

# Live migration of an instance (public API only).
check_PROGRAMS += tests/check-viommu-state
tests_check_viommu_state_SOURCES = tests/runner.c tests/check-viommu-state.c
tests_check_viommu_state_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=viommu_state_suite
tests_check_viommu_state_CFLAGS = $(TEST_CFLAGS)
tests_check_viommu_state_LDADD = $(TEST_LIBS)
