# SPDX-License-Identifier: MIT
# Check suites: one binary per module, all sharing tests/runner.c.  Each
# module's fragment adds its binaries with the pattern:
#   check_PROGRAMS += tests/check-foo
#   tests_check_foo_SOURCES = tests/runner.c tests/check-foo.c
#   tests_check_foo_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=foo_suite
#   tests_check_foo_CFLAGS = $(TEST_CFLAGS)
#   tests_check_foo_LDADD = $(TEST_LIBS)
#   tests_check_foo_LDFLAGS = $(TEST_LINK_STATIC)
TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
# Tests link the static archive (libtool's -static for an uninstalled
# library) so they can reach internal (double underscore) functions too.
TEST_LIBS = libiommu/libiommu.la $(CHECK_LIBS)
TEST_LINK_STATIC = $(AM_LDFLAGS) -static

TESTS += $(check_PROGRAMS) $(check_SCRIPTS)

check_SCRIPTS += tests/check-headers.sh tests/check-exports.sh tests/check-layers.sh
EXTRA_DIST += tests/check-headers.sh tests/check-exports.sh tests/check-layers.sh tests/summary.sh tests/data \
	tests/README.md

include tests/vtd.mk
include tests/platform.mk
include tests/unit.mk
include tests/domain.mk
include tests/model.mk
include tests/iova.mk
include tests/eli.mk
include tests/irq-remap.mk
include tests/dma.mk
include tests/viommu.mk
include tests/cli.mk
include tests/linux-guest.mk
include tests/hvb.mk
include tests/daemon.mk
