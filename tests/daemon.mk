# SPDX-License-Identifier: MIT
# The viommu-sidecore daemon, run as a child process and driven through
# libhvbind's client; the test process is also the guest (libiommu's
# driver over the register page the daemon shares).  The daemon binary
# is found through LIOMMU_TOP_BUILDDIR.
check_PROGRAMS += tests/check-hvb-daemon
tests_check_hvb_daemon_SOURCES = tests/runner.c tests/check-hvb-daemon.c
tests_check_hvb_daemon_CPPFLAGS = $(TEST_CPPFLAGS) $(HVB_CPPFLAGS) -DCHECK_SUITE=hvb_daemon_suite
tests_check_hvb_daemon_CFLAGS = $(TEST_CFLAGS)
tests_check_hvb_daemon_LDADD = hv-bindings/libhvbind.la $(TEST_LIBS)
EXTRA_tests_check_hvb_daemon_DEPENDENCIES = viommu-sidecore/daemon/viommu-sidecore
