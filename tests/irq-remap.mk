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

# The remapping table against the software model (sim platform), and,
# when configure found QEMU, against QEMU 7.2's interrupt remapping and
# both side by side.  ir-bench.h holds the scenarios they share.
IR_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/irq-remap/src
EXTRA_DIST += tests/ir-bench.h tests/ir-qemu.h

check_PROGRAMS += tests/check-irq-remap
tests_check_irq_remap_SOURCES = tests/runner.c tests/check-irq-remap.c tests/ir-bench.h \
	tests/fake/fake-vtd.c tests/fake/fake-vtd.h
tests_check_irq_remap_CPPFLAGS = $(IR_TEST_CPPFLAGS) -DCHECK_SUITE=irq_remap_suite
tests_check_irq_remap_CFLAGS = $(TEST_CFLAGS)
tests_check_irq_remap_LDFLAGS = -static
tests_check_irq_remap_LDADD = $(TEST_LIBS)

if HAVE_QEMU
check_PROGRAMS += tests/check-irq-remap-qemu tests/check-irq-remap-diff
tests_check_irq_remap_qemu_SOURCES = tests/runner.c tests/check-irq-remap-qemu.c tests/ir-bench.h \
	tests/ir-qemu.h
tests_check_irq_remap_qemu_CPPFLAGS = $(IR_TEST_CPPFLAGS) -DCHECK_SUITE=irq_remap_qemu_suite
tests_check_irq_remap_qemu_CFLAGS = $(TEST_CFLAGS)
tests_check_irq_remap_qemu_LDFLAGS = -static
tests_check_irq_remap_qemu_LDADD = $(TEST_LIBS)

tests_check_irq_remap_diff_SOURCES = tests/runner.c tests/check-irq-remap-diff.c tests/ir-bench.h \
	tests/ir-qemu.h
tests_check_irq_remap_diff_CPPFLAGS = $(IR_TEST_CPPFLAGS) -DCHECK_SUITE=irq_remap_diff_suite
tests_check_irq_remap_diff_CFLAGS = $(TEST_CFLAGS)
tests_check_irq_remap_diff_LDFLAGS = -static
tests_check_irq_remap_diff_LDADD = $(TEST_LIBS)
endif
EXTRA_DIST += tests/check-irq-remap-qemu.c tests/check-irq-remap-diff.c
