# SPDX-License-Identifier: MIT
lib_LTLIBRARIES += libiommu/libiommu.la
pkgconfig_DATA += libiommu/libiommu.pc

liommu_includedir = $(includedir)/liommu
liommu_include_HEADERS = \
	libiommu/include/liommu/export.h \
	libiommu/include/liommu/liommu.h \
	libiommu/include/liommu/platform.h \
	libiommu/include/liommu/qemu.h \
	libiommu/include/liommu/vtd.h

libiommu_libiommu_la_SOURCES = \
	libiommu/src/internal.h \
	libiommu/src/domain.c \
	libiommu/src/fault.c \
	libiommu/src/inval.c \
	libiommu/src/log.c \
	libiommu/src/pgtable.c \
	libiommu/src/platform.c \
	libiommu/src/platform-host.c \
	libiommu/src/platform-qemu.c \
	libiommu/src/qemu-edu.c \
	libiommu/src/qtest.c \
	libiommu/src/qtest.h \
	libiommu/src/unit.c \
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

# Fragments owned by their modules add sources and headers with +=.
include libiommu/src/iova.mk
include libiommu/src/dma.mk
include libiommu/model/local.mk
