# SPDX-License-Identifier: MIT
# check-iova links the static archive ($(TEST_LINK_STATIC)) to reach
# liommu__iova_check() and liommu__iova_use_membarrier().
check_PROGRAMS += tests/check-iova
tests_check_iova_SOURCES = tests/runner.c tests/check-iova.c
tests_check_iova_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=iova_suite
tests_check_iova_CFLAGS = $(TEST_CFLAGS)
tests_check_iova_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_iova_LDADD = $(TEST_LIBS)
