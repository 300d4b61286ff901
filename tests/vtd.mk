# SPDX-License-Identifier: MIT
check_PROGRAMS += tests/check-vtd
tests_check_vtd_SOURCES = tests/runner.c tests/check-vtd.c
tests_check_vtd_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=vtd_suite
tests_check_vtd_CFLAGS = $(TEST_CFLAGS)
tests_check_vtd_LDADD = $(CHECK_LIBS)
