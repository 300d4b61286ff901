# SPDX-License-Identifier: MIT
check_PROGRAMS += tests/check-irte
tests_check_irte_SOURCES = tests/runner.c tests/check-irte.c
tests_check_irte_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=irte_suite \
	-I$(top_srcdir)/irq-remap/src
tests_check_irte_CFLAGS = $(TEST_CFLAGS)
# -static: link libiommu's archive, which also holds the internal
# liommu__ helpers the tests drive.
tests_check_irte_LDFLAGS = -static
tests_check_irte_LDADD = $(TEST_LIBS)
