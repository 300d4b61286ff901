# SPDX-License-Identifier: MIT
# Platforms: what the driver reads registers and allocates pages through.
# host (the caller's MMIO and pages), qemu (QEMU's VT-d model over qtest)
# and sim (the software unit of libiommu/model, in-process).
libiommu_libiommu_la_SOURCES += \
	libiommu/platform/platform.c \
	libiommu/platform/platform-host.c \
	libiommu/platform/platform-qemu.c \
	libiommu/platform/platform-sim.c \
	libiommu/platform/qemu-edu.c \
	libiommu/platform/qtest.c \
	libiommu/platform/qtest.h
liommu_include_HEADERS += libiommu/include/liommu/sim.h
