# SPDX-License-Identifier: MIT
# viommu-sidecore, the daemon: serves the protocol of hv-bindings
# (libhvbind's framing) with the engine of libiommu.  A program, so it
# may use both libraries (tests/check-layers.sh: "programs"); libhvbind
# itself still links alone.
bin_PROGRAMS += viommu-sidecore/daemon/viommu-sidecore
viommu_sidecore_daemon_viommu_sidecore_SOURCES = \
	viommu-sidecore/daemon/daemon.h \
	viommu-sidecore/daemon/main.c \
	viommu-sidecore/daemon/server.c
viommu_sidecore_daemon_viommu_sidecore_CPPFLAGS = $(AM_CPPFLAGS) $(HVB_CPPFLAGS)
viommu_sidecore_daemon_viommu_sidecore_LDADD = libiommu/libiommu.la hv-bindings/libhvbind.la

dist_man8_MANS += viommu-sidecore/daemon/viommu-sidecore.8
