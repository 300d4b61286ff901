# SPDX-License-Identifier: MIT
# The software VT-d unit (libiommu/model) and the sim platform: register
# semantics, fault reasons, caches, queued invalidation and the ordering
# rules, against the specification (check-model), and the differential
# runner that executes the same random scenarios on the model and on QEMU
# 7.2's VT-d model (check-model-diff, only when configure found QEMU).
check_PROGRAMS += tests/check-model
tests_check_model_SOURCES = tests/runner.c tests/check-model.c tests/check-model-env.h
tests_check_model_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=model_suite
tests_check_model_CFLAGS = $(TEST_CFLAGS)
tests_check_model_LDADD = $(TEST_LIBS)
tests_check_model_LDFLAGS = $(TEST_LINK_STATIC)

# The hooks the vIOMMU engine uses: invalidation callback, side-effect-
# free walks, register change count (check-model-hooks).
check_PROGRAMS += tests/check-model-hooks
tests_check_model_hooks_SOURCES = tests/runner.c tests/check-model-hooks.c \
	tests/check-model-env.h
tests_check_model_hooks_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=model_hooks_suite
tests_check_model_hooks_CFLAGS = $(TEST_CFLAGS)
tests_check_model_hooks_LDADD = $(TEST_LIBS)
tests_check_model_hooks_LDFLAGS = $(TEST_LINK_STATIC)

check_PROGRAMS += tests/check-model-diff
DIFF_TEST_SOURCES = tests/runner.c tests/check-model-diff.c tests/diff-scenario.c \
	tests/diff-scenario.h
DIFF_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=model_diff_suite
if HAVE_QEMU
DIFF_TEST_SOURCES += tests/check-model-diff-qemu.c
DIFF_TEST_CPPFLAGS += -DLIOMMU_QEMU_TESTS
endif
EXTRA_DIST += tests/check-model-diff-qemu.c
tests_check_model_diff_SOURCES = $(DIFF_TEST_SOURCES)
tests_check_model_diff_CPPFLAGS = $(DIFF_TEST_CPPFLAGS)
tests_check_model_diff_CFLAGS = $(TEST_CFLAGS)
tests_check_model_diff_LDADD = $(TEST_LIBS)
tests_check_model_diff_LDFLAGS = $(TEST_LINK_STATIC)
