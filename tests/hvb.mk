# SPDX-License-Identifier: MIT
# libhvbind's suites link libhvbind alone (its static archive, for the
# internal hvb__ hook) and see only its headers, as a hypervisor would.
HVB_TEST_CPPFLAGS = $(HVB_CPPFLAGS) -I$(top_srcdir)/hv-bindings/src -I$(top_srcdir)/tests

check_PROGRAMS += tests/check-hvb-dmar
tests_check_hvb_dmar_SOURCES = tests/runner.c tests/check-hvb-dmar.c
tests_check_hvb_dmar_CPPFLAGS = $(HVB_TEST_CPPFLAGS) -DCHECK_SUITE=hvb_dmar_suite
tests_check_hvb_dmar_CFLAGS = $(TEST_CFLAGS)
tests_check_hvb_dmar_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_hvb_dmar_LDADD = hv-bindings/libhvbind.la $(CHECK_LIBS)

# The protocol's framing over socket pairs (public API only).
check_PROGRAMS += tests/check-hvb-proto
tests_check_hvb_proto_SOURCES = tests/runner.c tests/check-hvb-proto.c
tests_check_hvb_proto_CPPFLAGS = $(HVB_TEST_CPPFLAGS) -DCHECK_SUITE=hvb_proto_suite
tests_check_hvb_proto_CFLAGS = $(TEST_CFLAGS)
tests_check_hvb_proto_LDADD = hv-bindings/libhvbind.la $(CHECK_LIBS)
