# SPDX-License-Identifier: MIT
check_PROGRAMS += tests/check-eli
tests_check_eli_SOURCES = tests/runner.c tests/check-eli.c
tests_check_eli_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=eli_suite
tests_check_eli_CFLAGS = $(TEST_CFLAGS)
tests_check_eli_LDADD = $(TEST_LIBS)
