# SPDX-License-Identifier: MIT
# An unmodified Debian 12 Linux 6.1 guest programs the engine
# (tests/linux-guest/, docs/viommu.md "A Linux guest").  viommu-host is
# the hypervisor side (the engine on a page of the guest's RAM file);
# run.sh downloads the kernel and busybox (cached), boots QEMU TCG and
# checks what Linux printed and what the engine saw.  It needs
# qemu-system-x86_64, iasl, apt-get and a few minutes, so it runs only
# when LIOMMU_LINUX_GUEST=1 (otherwise it is skipped):
#   LIOMMU_LINUX_GUEST=1 make check TESTS=tests/linux-guest/run.sh
noinst_PROGRAMS += tests/linux-guest/viommu-host
tests_linux_guest_viommu_host_SOURCES = tests/linux-guest/viommu-host.c
tests_linux_guest_viommu_host_CFLAGS = $(AM_CFLAGS)
tests_linux_guest_viommu_host_LDADD = libiommu/libiommu.la

# The guest's DMAR table, by libhvbind's builder (run.sh compares it
# with iasl's compile of dmar.asl, byte for byte).
noinst_PROGRAMS += tests/linux-guest/make-dmar
tests_linux_guest_make_dmar_SOURCES = tests/linux-guest/make-dmar.c
tests_linux_guest_make_dmar_CPPFLAGS = $(HVB_CPPFLAGS)
tests_linux_guest_make_dmar_CFLAGS = $(AM_CFLAGS)
tests_linux_guest_make_dmar_LDADD = hv-bindings/libhvbind.la

check_SCRIPTS += tests/linux-guest/run.sh
EXTRA_DIST += tests/linux-guest/run.sh tests/linux-guest/dmar.asl \
	tests/linux-guest/vfio-map.c tests/linux-guest/init.sh
