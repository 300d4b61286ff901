# SPDX-License-Identifier: MIT
# Unit bring-up, invalidation and faults: against tests/fake/fake-vtd.c always,
# and against QEMU's VT-d model when configure found qemu-system-x86_64.
# Linked statically (-static) to reach the driver's internal functions;
# check-unit*.c include the driver's own headers by path
# ("../libiommu/driver/unit.h"), check-fault.c only public ones.
check_PROGRAMS += tests/check-unit tests/check-fault

UNIT_TEST_SOURCES = tests/runner.c tests/fake/fake-vtd.c tests/fake/fake-vtd.h tests/unit-tests.h
UNIT_TEST_CPPFLAGS = $(TEST_CPPFLAGS)
if HAVE_QEMU
UNIT_TEST_SOURCES += tests/check-unit-qemu.c
UNIT_TEST_CPPFLAGS += -DLIOMMU_QEMU_TESTS
endif
EXTRA_DIST += tests/check-unit-qemu.c

tests_check_unit_SOURCES = $(UNIT_TEST_SOURCES) tests/check-unit.c
tests_check_unit_CPPFLAGS = $(UNIT_TEST_CPPFLAGS) -DCHECK_SUITE=unit_suite
tests_check_unit_CFLAGS = $(TEST_CFLAGS)
tests_check_unit_LDFLAGS = -static
tests_check_unit_LDADD = $(TEST_LIBS)

tests_check_fault_SOURCES = $(UNIT_TEST_SOURCES) tests/check-fault.c
tests_check_fault_CPPFLAGS = $(UNIT_TEST_CPPFLAGS) -DCHECK_SUITE=fault_suite
tests_check_fault_CFLAGS = $(TEST_CFLAGS)
tests_check_fault_LDFLAGS = -static
tests_check_fault_LDADD = $(TEST_LIBS)
