# SPDX-License-Identifier: MIT
# Examples are built by `make` and `make check` so they never rot.
noinst_PROGRAMS += examples/dma-hello
examples_dma_hello_SOURCES = examples/dma-hello.c
examples_dma_hello_LDADD = libiommu/libiommu.la

# Run the example as a test too: it exits non-zero when an outcome differs
# from what the VT-d rules predict.
TESTS += examples/dma-hello
