# SPDX-License-Identifier: MIT
# DMA mapping strategies (direct, strict, optimistic, deferred) over a domain.
liommu_include_HEADERS += libiommu/include/liommu/dma.h
libiommu_libiommu_la_SOURCES += \
	libiommu/dma/dma-internal.h \
	libiommu/dma/dma.c \
	libiommu/dma/dma-config.c \
	libiommu/dma/dma-live.h \
	libiommu/dma/dma-live.c \
	libiommu/dma/dma-map.c \
	libiommu/dma/dma-iova.c \
	libiommu/dma/dma-reclaim.c \
	libiommu/dma/dma-stats.c \
	libiommu/dma/dma-direct.c \
	libiommu/dma/dma-strict.c \
	libiommu/dma/dma-optimistic.c \
	libiommu/dma/dma-deferred.c
