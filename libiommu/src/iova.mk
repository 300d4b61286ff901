# SPDX-License-Identifier: MIT
# IOVA allocator: range tree, per-thread magazine caches, public header.
libiommu_libiommu_la_SOURCES += \
	libiommu/src/iova.c \
	libiommu/src/iova-tree.c \
	libiommu/src/iova-internal.h
liommu_include_HEADERS += libiommu/include/liommu/iova.h
