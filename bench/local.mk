# SPDX-License-Identifier: MIT
# Benchmarks: run with `make bench`; never part of `make check`.
BENCH_BINS =

# IOVA allocator fast path against a bump-allocator floor.
BENCH_BINS += bench/bench-iova
noinst_PROGRAMS += bench/bench-iova
bench_bench_iova_SOURCES = bench/bench-iova.c bench/bench-stats.h
bench_bench_iova_LDADD = libiommu/libiommu.la
# static archive: the bench selects the fallback handshake by a test hook
bench_bench_iova_LDFLAGS = $(AM_LDFLAGS) -static

# DMA mapping strategies: 4 KiB map+unmap per strategy against a floor
# (bump allocator + PTE store/clear in a 4-level table), one and two threads.
BENCH_BINS += bench/bench-dma
noinst_PROGRAMS += bench/bench-dma
bench_bench_dma_SOURCES = bench/bench-dma.c bench/bench-stats.h
bench_bench_dma_LDADD = libiommu/libiommu.la

# The software VT-d unit's translation: IOTLB hit against a plain hash
# lookup, 4-level miss against a raw 4-load walk over the same tables.
BENCH_BINS += bench/bench-translate
noinst_PROGRAMS += bench/bench-translate
bench_bench_translate_SOURCES = bench/bench-translate.c bench/bench-stats.h
bench_bench_translate_LDADD = libiommu/libiommu.la
# static archive: the figure is the model's, not the PLT's and GOT's
bench_bench_translate_LDFLAGS = $(AM_LDFLAGS) -static

# The vIOMMU engine: request round trip through the sidecore against a
# cache-line ping-pong and trap analogues (SIGSEGV, eventfd), guest strict
# map+unmap against the bare sim unit, invalidations/s with 1-16 VMs and
# the scan cost per idle VM.
BENCH_BINS += bench/bench-viommu
noinst_PROGRAMS += bench/bench-viommu
bench_bench_viommu_SOURCES = bench/bench-viommu.c bench/bench-stats.h
bench_bench_viommu_LDADD = libiommu/libiommu.la

# Five alternating rounds of the three benches over two builds.
EXTRA_DIST += bench/rounds.sh
