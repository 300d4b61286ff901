# SPDX-License-Identifier: MIT
# DMA mapping strategies (direct, strict, optimistic, deferred) over a domain.
liommu_include_HEADERS += libiommu/include/liommu/dma.h
libiommu_libiommu_la_SOURCES += \
	libiommu/src/dma-internal.h \
	libiommu/src/dma.c \
	libiommu/src/dma-direct.c \
	libiommu/src/dma-strict.c \
	libiommu/src/dma-optimistic.c \
	libiommu/src/dma-deferred.c
