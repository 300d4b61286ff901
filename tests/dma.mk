# SPDX-License-Identifier: MIT
# DMA mapping strategies: check-dma on the sim platform, check-dma-fixed
# the fixed-IOVA mode (liommu_dma_map_at()) on the sim;
# check-dma-strategies-qemu checks the same guarantees once on QEMU 7.2's
# VT-d model with edu (only when configure found qemu-system-x86_64).  All link the static archive
# and see libiommu/dma for dma-internal.h (the instance's IOVA allocator).
check_PROGRAMS += tests/check-dma
tests_check_dma_SOURCES = tests/runner.c tests/check-dma.c tests/sim-dev.h
tests_check_dma_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/libiommu/dma -DCHECK_SUITE=dma_suite
tests_check_dma_CFLAGS = $(TEST_CFLAGS)
tests_check_dma_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_dma_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/check-dma-fixed
tests_check_dma_fixed_SOURCES = tests/runner.c tests/check-dma-fixed.c tests/sim-dev.h
tests_check_dma_fixed_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/libiommu/dma \
	-DCHECK_SUITE=dma_fixed_suite
tests_check_dma_fixed_CFLAGS = $(TEST_CFLAGS)
tests_check_dma_fixed_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_dma_fixed_LDADD = $(TEST_LIBS)

if HAVE_QEMU
check_PROGRAMS += tests/check-dma-strategies-qemu
endif
EXTRA_DIST += tests/check-dma-strategies-qemu.c
tests_check_dma_strategies_qemu_SOURCES = tests/runner.c tests/check-dma-strategies-qemu.c
tests_check_dma_strategies_qemu_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/libiommu/dma \
	-DCHECK_SUITE=dma_strategies_qemu_suite
tests_check_dma_strategies_qemu_CFLAGS = $(TEST_CFLAGS)
tests_check_dma_strategies_qemu_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_dma_strategies_qemu_LDADD = $(TEST_LIBS)
