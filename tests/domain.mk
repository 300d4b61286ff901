# SPDX-License-Identifier: MIT
# Domains and the second-level page-table format: check-pgtable and
# check-domain run on the model (sim platform) and, for what the model
# must not do, on tests/fake/fake-vtd.c (tests/driver-env.h picks);
# check-domain-dma-qemu drives QEMU's own VT-d model and the edu DMA engine.
# All link the static archive ($(TEST_LINK_STATIC)) so they test the library code
# that is built into it, whatever the shared object exports.
DOMAIN_FAKE = tests/driver-env.h tests/fake/fake-vtd.c tests/fake/fake-vtd.h

check_PROGRAMS += tests/check-pgtable
tests_check_pgtable_SOURCES = tests/runner.c tests/check-pgtable.c $(DOMAIN_FAKE)
tests_check_pgtable_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=pgtable_suite
tests_check_pgtable_CFLAGS = $(TEST_CFLAGS)
tests_check_pgtable_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_pgtable_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/check-domain
tests_check_domain_SOURCES = tests/runner.c tests/check-domain.c $(DOMAIN_FAKE)
tests_check_domain_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=domain_suite
tests_check_domain_CFLAGS = $(TEST_CFLAGS)
tests_check_domain_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_domain_LDADD = $(TEST_LIBS)

# One set of DMA test bodies, two benches: QEMU's VT-d model with edu
# (only when configure found QEMU) and the in-process sim.
if HAVE_QEMU
check_PROGRAMS += tests/check-domain-dma-qemu
tests_check_domain_dma_qemu_SOURCES = tests/runner.c tests/check-domain-dma.c
tests_check_domain_dma_qemu_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=domain_dma_qemu_suite -DDMA_BENCH_QEMU
tests_check_domain_dma_qemu_CFLAGS = $(TEST_CFLAGS)
tests_check_domain_dma_qemu_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_domain_dma_qemu_LDADD = $(TEST_LIBS)
endif

check_PROGRAMS += tests/check-domain-dma-sim
tests_check_domain_dma_sim_SOURCES = tests/runner.c tests/check-domain-dma.c
tests_check_domain_dma_sim_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=domain_dma_sim_suite
tests_check_domain_dma_sim_CFLAGS = $(TEST_CFLAGS)
tests_check_domain_dma_sim_LDFLAGS = $(TEST_LINK_STATIC)
tests_check_domain_dma_sim_LDADD = $(TEST_LIBS)
