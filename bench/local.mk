# SPDX-License-Identifier: MIT
# Benchmarks: run with `make bench`; never part of `make check`.
BENCH_BINS =
