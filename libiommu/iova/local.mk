# SPDX-License-Identifier: MIT
# IOVA allocator: range tree, per-thread magazine caches, public header.
libiommu_libiommu_la_SOURCES += \
	libiommu/iova/iova.c \
	libiommu/iova/iova-tree.c \
	libiommu/iova/iova-internal.h
liommu_include_HEADERS += libiommu/include/liommu/iova.h
