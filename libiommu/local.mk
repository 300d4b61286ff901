# SPDX-License-Identifier: MIT
lib_LTLIBRARIES += libiommu/libiommu.la
pkgconfig_DATA += libiommu/libiommu.pc

liommu_includedir = $(includedir)/liommu
liommu_include_HEADERS = \
	libiommu/include/liommu/export.h \
	libiommu/include/liommu/fault-record.h \
	libiommu/include/liommu/liommu.h \
	libiommu/include/liommu/platform.h \
	libiommu/include/liommu/qemu.h \
	libiommu/include/liommu/vtd.h

# Each layer's folder adds its own sources (libiommu/*/local.mk); the
# layers and which may include which are in docs/design.md ("Layers").
libiommu_libiommu_la_SOURCES = \
	libiommu/common/spin.h \
	libiommu/common/spin.c

libiommu_libiommu_la_CPPFLAGS = $(AM_CPPFLAGS) -DLIOMMU_BUILDING \
	-DQEMU_DEFAULT_BINARY='"$(QEMU_SYSTEM_X86)"'
libiommu_libiommu_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libiommu_libiommu_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(LIOMMU_LT_VERSION) \
	-Wl,--version-script=$(top_srcdir)/libiommu/libiommu.sym -no-undefined
libiommu_libiommu_la_LIBADD = $(NUMA_LIBS)
EXTRA_libiommu_libiommu_la_DEPENDENCIES = libiommu/libiommu.sym
EXTRA_DIST += libiommu/libiommu.sym libiommu/libiommu.pc.in

# Fragments owned by the layers add sources and headers with +=.
include libiommu/driver/local.mk
include libiommu/platform/local.mk
include libiommu/iova/local.mk
include libiommu/dma/local.mk
include libiommu/model/local.mk
